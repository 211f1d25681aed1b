/*
 * A declared series (plot.h; a stage's `plots`, docs/graph-format.md): a
 * table of numbers, CSV (a header line of names, ',' between fields,
 * '"' quoting as RFC 4180), TSV (a tab between) or JSON (an array of
 * objects; an object holding one, its first; or an object of arrays of
 * numbers), drawn as lines: y against x, one chart per y column, every
 * member of a sweep overlaid.  x is the declared column, else one named
 * "step" or "epoch", else the row (1, 2, 3 ...); y the declared columns,
 * else every other column holding a number.  A cell that is not a number
 * is a gap in its line.  What cannot be drawn says why in a note.
 *
 * as: "series" then a space and the declaration's JSON, {"out": NAME,
 * "x": COLUMN, "y": [COLUMN ...], "title": TEXT} (engine/core/
 * graph_plots.c writes it).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "plot.h"
#include "util.h"

#define MAX_COLS 256		/* columns read */
#define MAX_ROWS 1000000	/* rows read */
#define MAX_CELLS (1u << 22)	/* cells read (32 MiB of numbers) */
#define MAX_CHARTS 16		/* y columns drawn unless declared */
#define POINTS 2000		/* points of a line (and the last row) */

/* A table of numbers: col[c][r], NaN where a cell is not one. */
struct table {
	char *names[MAX_COLS];
	double *col[MAX_COLS];
	size_t ncols, nrows;
	int numeric[MAX_COLS];	/* the column holds a number */
	int cut;		/* rows or columns left unread */
};

static void table_free(struct table *t)
{
	size_t c;

	for (c = 0; c < t->ncols; c++) {
		free(t->names[c]);
		free(t->col[c]);
	}
}

static int column_of(const struct table *t, const char *name)
{
	size_t c;

	for (c = 0; c < t->ncols; c++)
		if (!strcmp(t->names[c], name))
			return (int)c;
	return -1;
}

/* A cell's text as a number (C locale's strtod: the locale is never
 * set), NaN when it is not wholly one or not finite. */
static double cell(const char *s, size_t n)
{
	char tmp[64], *end;
	double v;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n || n >= sizeof(tmp))
		return NAN;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	v = strtod(tmp, &end);
	return *end || !isfinite(v) ? NAN : v;
}

/* One field of a delimited line at *p (quoted or not) into f; *p moves
 * past it and its delimiter.  Returns 1 at the line's end. */
static int field(const char **p, const char *end, char delim, struct buf *f)
{
	const char *s = *p;

	buf_truncate(f, 0);
	if (s < end && *s == '"') {
		for (s++; s < end; s++) {
			if (*s == '"' && s + 1 < end && s[1] == '"')
				buf_addc(f, *s++);
			else if (*s == '"')
				break;
			else
				buf_addc(f, *s);
		}
		if (s < end)
			s++;
	}
	while (s < end && *s != delim && *s != '\n' && *s != '\r')
		buf_addc(f, *s++);
	if (s < end && *s == delim) {
		*p = s + 1;
		return 0;
	}
	if (s < end && *s == '\r')
		s++;
	if (s < end && *s == '\n')
		s++;
	*p = s;
	return 1;
}

static int from_text(struct table *t, const char *data, size_t len,
		     char delim, struct buf *why)
{
	const char *p = data, *end = data + len;
	struct buf f = BUF_INIT;
	size_t c, cap = 0;
	int eol = 0;

	while (!eol && p < end) {
		eol = field(&p, end, delim, &f);
		if (t->ncols == MAX_COLS) {
			buf_addf(why, "more than %d columns", MAX_COLS);
			buf_release(&f);
			return -1;
		}
		t->names[t->ncols++] = xstrdup(f.len ? f.data : "");
	}
	if (!t->ncols) {
		buf_adds(why, "no header line");
		buf_release(&f);
		return -1;
	}
	while (p < end) {
		if (*p == '\n' || *p == '\r') {	/* an empty line */
			p++;
			continue;
		}
		if (t->nrows == MAX_ROWS ||
		    (t->nrows + 1) * t->ncols > MAX_CELLS) {
			t->cut = 1;
			break;
		}
		if (t->nrows == cap) {
			size_t old = cap;
			for (c = 0; c < t->ncols; c++) {
				cap = old;
				xgrow((void **)&t->col[c], &cap, t->nrows + 1,
				      sizeof(double));
			}
		}
		for (c = 0, eol = 0; !eol; c++) {
			eol = field(&p, end, delim, &f);
			if (c < t->ncols)
				t->col[c][t->nrows] = cell(f.data ? f.data : "",
							   f.len);
		}
		for (; c < t->ncols; c++)
			t->col[c][t->nrows] = NAN;
		t->nrows++;
	}
	buf_release(&f);
	return 0;
}

/* The array of row objects j holds: itself, or its first member that is
 * one. */
static const struct json *rows_of(const struct json *j)
{
	size_t i;

	if (j->type == JSON_ARRAY)
		return j;
	for (i = 0; j->type == JSON_OBJECT && i < j->u.object.n; i++) {
		const struct json *v = j->u.object.v[i];
		if (v->type == JSON_ARRAY && v->u.array.n &&
		    v->u.array.v[0]->type == JSON_OBJECT)
			return v;
	}
	return NULL;
}

static int add_col(struct table *t, const char *name, size_t nrows)
{
	size_t r;

	if (t->ncols == MAX_COLS || (t->ncols + 1) * nrows > MAX_CELLS) {
		t->cut = 1;
		return -1;
	}
	t->names[t->ncols] = xstrdup(name);
	t->col[t->ncols] = xcalloc(nrows + 1, sizeof(double));
	for (r = 0; r < nrows; r++)
		t->col[t->ncols][r] = NAN;
	return (int)t->ncols++;
}

static int from_json(struct table *t, const struct json *j, struct buf *why)
{
	const struct json *rows = rows_of(j);
	size_t r, k, n;
	int c;

	if (!rows && j->type == JSON_OBJECT) {	/* columns: {"x": [...]} */
		for (k = n = 0; k < j->u.object.n; k++)
			if (j->u.object.v[k]->type == JSON_ARRAY &&
			    j->u.object.v[k]->u.array.n > n)
				n = j->u.object.v[k]->u.array.n;
		t->cut = n > MAX_ROWS;
		t->nrows = n < MAX_ROWS ? n : MAX_ROWS;
		for (k = 0; k < j->u.object.n; k++) {
			const struct json *a = j->u.object.v[k];
			if (a->type != JSON_ARRAY ||
			    column_of(t, j->u.object.k[k]) >= 0)
				continue;
			if ((c = add_col(t, j->u.object.k[k], t->nrows)) < 0)
				break;
			for (r = 0; r < a->u.array.n && r < t->nrows; r++)
				if (a->u.array.v[r]->type == JSON_NUMBER)
					t->col[c][r] = a->u.array.v[r]->u.number;
		}
	} else if (rows) {
		t->cut = rows->u.array.n > MAX_ROWS;
		t->nrows = rows->u.array.n < MAX_ROWS ? rows->u.array.n
						       : MAX_ROWS;
		for (r = 0; r < t->nrows; r++) {
			const struct json *o = rows->u.array.v[r];
			for (k = 0; o->type == JSON_OBJECT && k < o->u.object.n;
			     k++) {
				if (o->u.object.v[k]->type != JSON_NUMBER)
					continue;
				c = column_of(t, o->u.object.k[k]);
				if (c < 0 &&
				    (c = add_col(t, o->u.object.k[k],
						 t->nrows)) < 0)
					continue;
				t->col[c][r] = o->u.object.v[k]->u.number;
			}
		}
	}
	if (!t->ncols) {
		buf_adds(why, "no numbers in rows (an array of objects) or "
			      "columns (an object of arrays)");
		return -1;
	}
	return 0;
}

static int ends_with(const char *s, const char *end)
{
	size_t a = s ? strlen(s) : 0, b = strlen(end);

	return a >= b && !strcmp(s + a - b, end);
}

/* The table of item it; 0, or -1 with why. */
static int table_of(const struct plot_item *it, struct table *t,
		    struct buf *why)
{
	size_t c, r;

	memset(t, 0, sizeof(*t));
	if (ends_with(it->src->name, ".json")) {
		if (!it->json) {
			buf_adds(why, "not JSON (or over 16 MiB)");
			return -1;
		}
		if (from_json(t, it->json, why) < 0)
			return -1;
	} else if (from_text(t, it->src->data, it->src->len,
			     ends_with(it->src->name, ".tsv") ? '\t' : ',',
			     why) < 0) {
		return -1;
	}
	for (c = 0; c < t->ncols; c++)
		for (r = 0; r < t->nrows && !t->numeric[c]; r++)
			t->numeric[c] = !isnan(t->col[c][r]);
	return 0;
}

/* The declaration: as's JSON ({} for a bare "series"), or NULL. */
static struct json *declared(const char *as)
{
	struct json *j = NULL;
	struct err ignore;

	if (!strcmp(as, "series"))
		as = "series {}";
	if (strncmp(as, "series ", 7) ||
	    json_parse(as + 7, strlen(as + 7), "plots", &j, &ignore) ||
	    j->type != JSON_OBJECT) {
		json_free(j);
		return NULL;
	}
	return j;
}

static int mine(const struct plot_item *it)
{
	const char *as = it->src->as;

	return as && !strncmp(as, "series", 6) && (!as[6] || as[6] == ' ');
}

static void note(struct buf *out, const struct plot_item *it,
		 const char *text)
{
	buf_adds(out, "<figure class=\"series\"><p class=\"note\">");
	if (it->src->label && *it->src->label) {
		plot_esc(out, it->src->label);
		buf_adds(out, ": ");
	}
	buf_adds(out, "<code>");
	plot_esc(out, it->src->name);
	buf_adds(out, "</code>: ");
	plot_esc(out, text);
	buf_adds(out, "</p></figure>\n");
}

/* The x column of t under declaration d: its index, -1 for the row, or
 * -2 (missing: why says). */
static int x_of(const struct table *t, const struct json *d, struct buf *why)
{
	const char *x = json_str(d, "x");
	int c;

	if (x) {
		if ((c = column_of(t, x)) < 0)
			buf_addf(why, "no column '%s' (the x)", x);
		return c < 0 ? -2 : c;
	}
	if ((c = column_of(t, "step")) >= 0 || (c = column_of(t, "epoch")) >= 0)
		return c;
	return -1;
}

/* One group: the items of one declared output, drawn together. */
static void draw_group(struct buf *out, const struct plot_item *const *items,
		       size_t n, const struct json *d)
{
	struct table *t = xcalloc(n + 1, sizeof(*t));
	int *ok = xcalloc(n + 1, sizeof(int)), *xc = xcalloc(n + 1, sizeof(int));
	const struct json *ydecl = json_member(d, "y");
	const char *title = json_str(d, "title"), *xname = json_str(d, "x");
	const char **ys = NULL;
	struct plot_line *lines = xcalloc(n + 1, sizeof(*lines));
	double **px = xcalloc(n + 1, sizeof(double *));
	double **py = xcalloc(n + 1, sizeof(double *));
	struct buf why = BUF_INIT, head = BUF_INIT, cap = BUF_INIT;
	size_t i, k, r, ny = 0, ycap = 0, more = 0, nl;

	for (i = 0; i < n; i++) {
		buf_truncate(&why, 0);
		if (table_of(items[i], &t[i], &why) < 0 ||
		    (xc[i] = x_of(&t[i], d, &why)) == -2) {
			note(out, items[i], why.data);
			continue;
		}
		ok[i] = 1;
		if (!xname && xc[i] >= 0)
			xname = t[i].names[xc[i]];
	}
	/* The y columns: declared, else every numeric one but x. */
	if (ydecl && ydecl->type == JSON_ARRAY) {
		for (k = 0; k < ydecl->u.array.n; k++)
			if (ydecl->u.array.v[k]->type == JSON_STRING) {
				xgrow((void **)&ys, &ycap, ny + 1, sizeof(*ys));
				ys[ny++] = ydecl->u.array.v[k]->u.string;
			}
	} else {
		for (i = 0; i < n; i++)
			for (k = 0; ok[i] && k < t[i].ncols; k++) {
				if ((int)k == xc[i] || !t[i].numeric[k])
					continue;
				for (r = 0; r < ny && strcmp(ys[r], t[i].names[k]);
				     r++)
					;
				if (r < ny)
					continue;
				if (ny == MAX_CHARTS) {
					more++;
					continue;
				}
				xgrow((void **)&ys, &ycap, ny + 1, sizeof(*ys));
				ys[ny++] = t[i].names[k];
			}
	}
	for (i = 0; i < n && ydecl; i++)
		for (k = 0; ok[i] && k < ny; k++)
			if (column_of(&t[i], ys[k]) < 0) {
				buf_truncate(&why, 0);
				buf_addf(&why, "no column '%s'", ys[k]);
				note(out, items[i], why.data);
			}
	for (k = 0; k < ny; k++) {
		struct plot_axes ax = { NULL, xname ? xname : "row", NULL,
					0, 0, 0, 0, 0 };

		buf_truncate(&head, 0);
		if (title && ny > 1)
			buf_addf(&head, "%s: %s", title, ys[k]);
		else
			buf_adds(&head, title ? title : ys[k]);
		ax.title = head.data;
		for (i = nl = 0; i < n; i++) {
			int c = ok[i] ? column_of(&t[i], ys[k]) : -1;
			size_t step, np;

			if (c < 0)
				continue;
			/* POINTS or so: every step-th row, and the last. */
			step = (t[i].nrows + POINTS - 1) / POINTS;
			step = step ? step : 1;
			px[nl] = xcalloc(POINTS + 2, sizeof(double));
			py[nl] = xcalloc(POINTS + 2, sizeof(double));
			for (r = np = 0; r < t[i].nrows; r += step) {
				px[nl][np] = xc[i] >= 0 ? t[i].col[xc[i]][r]
						       : (double)(r + 1);
				py[nl][np++] = t[i].col[c][r];
			}
			if (t[i].nrows && (t[i].nrows - 1) % step) {
				r = t[i].nrows - 1;
				px[nl][np] = xc[i] >= 0 ? t[i].col[xc[i]][r]
						       : (double)(r + 1);
				py[nl][np++] = t[i].col[c][r];
			}
			lines[nl].label = items[i]->src->label &&
							  *items[i]->src->label
						  ? items[i]->src->label
						  : items[i]->src->name;
			lines[nl].color = plot_palette(items[i]->src->member);
			lines[nl].x = px[nl];
			lines[nl].y = py[nl];
			lines[nl++].n = np;
		}
		if (nl) {
			buf_truncate(&cap, 0);
			if (json_str(d, "out"))
				buf_addf(&cap, "%s: ", json_str(d, "out"));
			for (i = 0; i < n; i++)
				buf_addf(&cap, "%s%s%s", i ? ", " : "",
					 items[i]->src->name,
					 t[i].cut ? " (read in part)" : "");
			plot_figure_open(out, "series");
			plot_lines_svg(out, &ax, lines, nl);
			plot_figure_close(out, cap.data);
		}
		for (i = 0; i < nl; i++) {
			free(px[i]);
			free(py[i]);
		}
	}
	for (i = 0; i < n && !ny; i++)
		if (ok[i])
			note(out, items[i], "no column of numbers to draw");
	if (more) {
		buf_truncate(&why, 0);
		buf_addf(&why, "%zu more columns not drawn: name the ones to "
			       "draw in the plot's 'y'",
			 more);
		note(out, items[0], why.data);
	}
	for (i = 0; i < n; i++)
		table_free(&t[i]);
	free(t);
	free(ok);
	free(xc);
	free(ys);
	free(lines);
	free(px);
	free(py);
	buf_release(&why);
	buf_release(&head);
	buf_release(&cap);
}

/* The output a declaration names ("" when none), or NULL. */
static const char *out_of(const struct json *d)
{
	const char *o = d ? json_str(d, "out") : NULL;

	return !d ? NULL : o ? o : "";
}

static void draw(struct buf *out, const struct plot_item *const *items,
		 size_t n)
{
	const struct plot_item **group = xcalloc(n + 1, sizeof(*group));
	struct json **d = xcalloc(n + 1, sizeof(*d));
	char *done = xcalloc(n + 1, 1);
	size_t i, j, k;

	for (i = 0; i < n; i++)
		d[i] = declared(items[i]->src->as);
	/* By declared output, in the order they come. */
	for (i = 0; i < n; i++) {
		const char *o = out_of(d[i]);

		if (done[i])
			continue;
		if (!o) {
			done[i] = 1;
			note(out, items[i], "the plot's declaration is not one "
					    "cairn wrote");
			continue;
		}
		for (j = i, k = 0; j < n; j++) {
			const char *oj = out_of(d[j]);
			if (!done[j] && oj && !strcmp(oj, o)) {
				done[j] = 1;
				group[k++] = items[j];
			}
		}
		draw_group(out, group, k, d[i]);
	}
	for (i = 0; i < n; i++)
		json_free(d[i]);
	free(d);
	free(done);
	free(group);
}

const struct plot_drawer plot_series_drawer = { "series", mine, draw };
