/*
 * `cairn report --compare A B`'s page (report.h): two runs, or two sets of
 * runs (lock files), paired and shown side by side, what differs marked;
 * the pictures of each pair's outputs overlaid.  Nothing here reads a
 * clock: the same runs give the same bytes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "json.h"
#include "plot.h"
#include "plot_page.h"
#include "report.h"
#include "runrec.h"
#include "store.h"
#include "units.h"
#include "util.h"

static const char compare_style[] =
	"tr.differs>th,tr.differs>td{background:#fff3cd}\n"
	"td.better{font-weight:bold;background:#dff3df}\n"
	"table.compare th{text-align:left;font-weight:normal}\n"
	"table.compare thead th{font-weight:bold}\n"
	".side-a{color:#4e79a7}.side-b{color:#f28e2b}\n";

void report_side_release(struct report_side *side)
{
	runrec_free_all(side->runs, side->n);
	free(side->desc);
	memset(side, 0, sizeof(*side));
}

/* A value as the page shows it: strings bare, the rest as JSON. */
static void text_of(struct buf *out, const struct json *v)
{
	if (!v)
		buf_adds(out, "-");
	else if (v->type == JSON_STRING)
		buf_adds(out, v->u.string);
	else
		json_write(out, v);
}

static void short_id(struct buf *out, const char *hex)
{
	buf_addf(out, "<span class=\"id\" title=\"%s\">%.12s</span>", hex, hex);
}

enum { ROW_IDS = 1, ROW_UNMARKED = 2 };

/* One row: name, then A's and B's text (ids shortened with ROW_IDS); 1
 * when they differ (marked, unless ROW_UNMARKED: then 0). */
static int row(struct buf *out, const char *name, const char *a,
	       const char *b, int flags)
{
	int ids = flags & ROW_IDS;
	int differs = !(flags & ROW_UNMARKED) && strcmp(a, b) != 0;

	buf_addf(out, "<tr%s><th>", differs ? " class=\"differs\"" : "");
	plot_esc(out, name);
	buf_adds(out, "</th><td>");
	if (ids && strcmp(a, "-"))
		short_id(out, a);
	else
		plot_esc(out, a);
	buf_adds(out, "</td><td>");
	if (ids && strcmp(b, "-"))
		short_id(out, b);
	else
		plot_esc(out, b);
	buf_adds(out, "</td><td></td><td></td></tr>\n");
	return differs;
}

/* Rows for the members of objects a and b (A's order, then B's own). */
static size_t object_rows(struct buf *out, const char *prefix,
			  const struct json *a, const struct json *b)
{
	const struct json *sides[2] = { a, b };
	struct buf name = BUF_INIT, x = BUF_INIT, y = BUF_INIT;
	size_t s, i, differ = 0;

	for (s = 0; s < 2; s++)
		for (i = 0; sides[s] && sides[s]->type == JSON_OBJECT &&
			    i < sides[s]->u.object.n;
		     i++) {
			const char *k = sides[s]->u.object.k[i];
			if (s == 1 && json_member(a, k))
				continue;
			buf_truncate(&name, 0);
			buf_truncate(&x, 0);
			buf_truncate(&y, 0);
			buf_addf(&name, "%s%s", prefix, k);
			text_of(&x, json_member(a, k));
			text_of(&y, json_member(b, k));
			differ += (size_t)row(out, name.data, x.data, y.data, 0);
		}
	buf_release(&name);
	buf_release(&x);
	buf_release(&y);
	return differ;
}

/* An inputs or outputs array as {path (or name): id}. */
static struct json *by(const struct json *arr, const char *label)
{
	struct json *o = xcalloc(1, sizeof(*o));
	size_t i, k;

	o->type = JSON_OBJECT;
	for (i = 0; arr && arr->type == JSON_ARRAY && i < arr->u.array.n; i++) {
		const char *path = json_str(arr->u.array.v[i], label);
		const char *id = json_str(arr->u.array.v[i], "id");
		struct json *v;

		if (!path || !id || json_member(o, path))
			continue;
		v = xcalloc(1, sizeof(*v));
		v->type = JSON_STRING;
		v->u.string = xstrdup(id);
		k = o->u.object.n++;
		o->u.object.k = xrealloc(o->u.object.k, (k + 1) * sizeof(char *));
		o->u.object.v = xrealloc(o->u.object.v,
					 (k + 1) * sizeof(struct json *));
		o->u.object.k[k] = xstrdup(path);
		o->u.object.v[k] = v;
	}
	return o;
}

/* Rows of ids by path or name: the same path with another id differs. */
static size_t id_rows(struct buf *out, const char *prefix, const char *label,
		      const struct runrec *a, const struct runrec *b,
		      const char *field)
{
	struct json *x = by(a ? runrec_get(a, field) : NULL, label);
	struct json *y = by(b ? runrec_get(b, field) : NULL, label);
	const struct json *sides[2] = { x, y };
	struct buf name = BUF_INIT;
	size_t s, i, differ = 0;

	for (s = 0; s < 2; s++)
		for (i = 0; i < sides[s]->u.object.n; i++) {
			const char *k = sides[s]->u.object.k[i];
			const struct json *va = json_member(x, k);
			const struct json *vb = json_member(y, k);
			if (s == 1 && va)
				continue;
			buf_truncate(&name, 0);
			buf_addf(&name, "%s%s", prefix, k);
			differ += (size_t)row(out, name.data,
					      va ? va->u.string : "-",
					      vb ? vb->u.string : "-", ROW_IDS);
		}
	buf_release(&name);
	json_free(x);
	json_free(y);
	return differ;
}

/* A metric's row: both values, B - A, and the better side. */
static int metric_row(struct buf *out, const char *name, const struct json *a,
		      const struct json *b)
{
	int lo = plot_smaller_better(name), has_a, has_b, differs;
	double x = 0, y = 0;

	has_a = a && a->type == JSON_NUMBER;
	has_b = b && b->type == JSON_NUMBER;
	x = has_a ? a->u.number : 0;
	y = has_b ? b->u.number : 0;
	differs = has_a != has_b || (has_a && x != y);
	buf_addf(out, "<tr%s data-best=\"%s\"><th>metrics.",
		 differs ? " class=\"differs\"" : "", lo ? "min" : "max");
	plot_esc(out, name);
	buf_adds(out, "</th>");
	if (has_a) {
		buf_addf(out, "<td class=\"num%s\" data-v=\"",
			 has_b && (lo ? x < y : x > y) ? " better" : "");
		json_float(out, x);
		buf_adds(out, "\">");
		plot_number(out, x);
		buf_adds(out, "</td>");
	} else {
		buf_adds(out, "<td class=\"num\">-</td>");
	}
	if (has_b) {
		buf_addf(out, "<td class=\"num%s\" data-v=\"",
			 has_a && (lo ? y < x : y > x) ? " better" : "");
		json_float(out, y);
		buf_adds(out, "\">");
		plot_number(out, y);
		buf_adds(out, "</td>");
	} else {
		buf_adds(out, "<td class=\"num\">-</td>");
	}
	if (has_a && has_b) {
		buf_adds(out, "<td class=\"num\">");
		if (y - x > 0)
			buf_addc(out, '+');
		plot_number(out, y - x);
		buf_addf(out, "</td><td>%s</td></tr>\n",
			 x == y			   ? "same"
			 : (lo ? x < y : x > y) ? "A"
						 : "B");
	} else {
		buf_adds(out, "<td></td><td></td></tr>\n");
	}
	return differs;
}

static size_t metric_rows(struct buf *out, const struct json *a,
			  const struct json *b)
{
	const struct json *sides[2] = { a, b };
	size_t s, i, differ = 0;

	for (s = 0; s < 2; s++)
		for (i = 0; sides[s] && sides[s]->type == JSON_OBJECT &&
			    i < sides[s]->u.object.n;
		     i++) {
			const char *k = sides[s]->u.object.k[i];
			if (s == 1 && json_member(a, k))
				continue;
			differ += (size_t)metric_row(out, k, json_member(a, k),
						     json_member(b, k));
		}
	return differ;
}

/* The outputs of run (of at most REPORT_ART_MAX bytes, stored) as
 * artifacts of member, labelled "A: instance". */
static void run_artifacts(struct store *s, const struct runrec *run,
			  const char *side, size_t member, struct report_art *a)
{
	const struct json *outs = runrec_get(run, "outputs");
	size_t k;

	for (k = 0; outs && outs->type == JSON_ARRAY && k < outs->u.array.n &&
		    k < run->noutputs;
	     k++) {
		const char *path = json_str(outs->u.array.v[k], "path");
		struct store_object o;
		struct plot_src *src;

		if (!path || store_lookup(s, &run->outputs[k], &o) ||
		    o.size > REPORT_ART_MAX)
			continue;
		xgrow((void **)&a->src, &a->cap, a->n + 1, sizeof(*a->src));
		xgrow((void **)&a->bytes, &a->bcap, a->n + 1, sizeof(*a->bytes));
		xgrow((void **)&a->labels, &a->lcap, a->n + 1,
		      sizeof(*a->labels));
		buf_init(&a->bytes[a->n]);
		if (report_read_blob(s, &run->outputs[k], &a->bytes[a->n]) < 0) {
			buf_release(&a->bytes[a->n]);
			continue;
		}
		buf_init(&a->labels[a->n]);
		buf_addf(&a->labels[a->n], "%s: %s", side, run->instance);
		src = &a->src[a->n];
		memset(src, 0, sizeof(*src));
		src->label = a->labels[a->n].data;
		src->name = path;
		src->data = a->bytes[a->n].data;
		src->len = a->bytes[a->n].len;
		src->member = member;
		a->n++;
	}
}

static void run_cell(struct buf *out, const struct runrec *r)
{
	char hex[DIGEST_HEX + 1];

	if (!r) {
		buf_adds(out, "<td>-</td>");
		return;
	}
	digest_hex(&r->id, hex);
	buf_adds(out, "<td>");
	plot_esc(out, r->instance);
	buf_adds(out, " ");
	short_id(out, hex);
	buf_adds(out, "</td>");
}

/* Pair p's section; how many rows differ. */
static size_t pair_section(struct buf *out, struct store *s, size_t p,
			   const struct runrec *a, const struct runrec *b)
{
	char ha[DIGEST_HEX + 1] = "-", hb[DIGEST_HEX + 1] = "-";
	struct buf rows = BUF_INIT, figs = BUF_INIT, ta = BUF_INIT,
		   tb = BUF_INIT;
	struct report_art art;
	size_t differ = 0;

	if (a)
		digest_hex(&a->id, ha);
	if (b)
		digest_hex(&b->id, hb);
	row(&rows, "run", ha, hb, ROW_IDS | ROW_UNMARKED);
	differ += (size_t)row(&rows, "instance", a ? a->instance : "-",
			      b ? b->instance : "-", 0);
	differ += (size_t)row(&rows, "status",
			      !a ? "-" : a->ok ? "ok" : "failed",
			      !b ? "-" : b->ok ? "ok" : "failed", 0);
	buf_addf(&ta, "%.2f s", a ? a->duration_s : 0);
	buf_addf(&tb, "%.2f s", b ? b->duration_s : 0);
	row(&rows, "duration", a ? ta.data : "-", b ? tb.data : "-",
	    ROW_UNMARKED);
	differ += object_rows(&rows, "params.", a ? runrec_get(a, "params") : NULL,
			      b ? runrec_get(b, "params") : NULL);
	differ += object_rows(&rows, "matrix.", a ? runrec_get(a, "matrix") : NULL,
			      b ? runrec_get(b, "matrix") : NULL);
	differ += metric_rows(&rows, a ? runrec_get(a, "metrics") : NULL,
			      b ? runrec_get(b, "metrics") : NULL);
	differ += id_rows(&rows, "input ", "path", a, b, "inputs");
	differ += id_rows(&rows, "output ", "name", a, b, "outputs");
	buf_addf(out, "<section class=\"pair\" id=\"pair-%zu\"><h2>", p + 1);
	plot_esc(out, a ? a->instance : b->instance);
	if (a && b && strcmp(a->instance, b->instance)) {
		buf_adds(out, " &harr; ");
		plot_esc(out, b->instance);
	}
	buf_addf(out, "</h2>\n<p>%zu row%s differ%s.</p>\n<table class=\"compare\">"
		      "<thead><tr><th></th><th class=\"side-a\">A</th>"
		      "<th class=\"side-b\">B</th><th>B &minus; A</th>"
		      "<th>better</th></tr></thead>\n<tbody>\n",
		 differ, differ == 1 ? "" : "s", differ == 1 ? "s" : "");
	buf_add(out, rows.data, rows.len);
	buf_adds(out, "</tbody></table>\n");
	memset(&art, 0, sizeof(art));
	if (a)
		run_artifacts(s, a, "A", 0, &art);
	if (b)
		run_artifacts(s, b, "B", 1, &art);
	if (art.n && plot_artifacts(&figs, art.src, art.n)) {
		buf_adds(out, "<div class=\"charts\">\n");
		buf_add(out, figs.data, figs.len);
		buf_adds(out, "</div>\n");
	}
	buf_adds(out, "</section>\n");
	report_artifacts_free(&art);
	buf_release(&rows);
	buf_release(&figs);
	buf_release(&ta);
	buf_release(&tb);
	return differ;
}

/* Pairs: the one run of each side together, else by instance name (A's
 * order, then B's own); pa[i] or pb[i] NULL where a side has none. */
static size_t pairs(const struct report_side *a, const struct report_side *b,
		    const struct runrec ***pa, const struct runrec ***pb)
{
	size_t n = 0, i, j;

	*pa = xcalloc(a->n + b->n + 1, sizeof(**pa));
	*pb = xcalloc(a->n + b->n + 1, sizeof(**pb));
	if (a->n == 1 && b->n == 1) {
		(*pa)[0] = &a->runs[0];
		(*pb)[0] = &b->runs[0];
		return 1;
	}
	for (i = 0; i < a->n; i++, n++) {
		(*pa)[n] = &a->runs[i];
		for (j = 0; j < b->n; j++)
			if (!strcmp(a->runs[i].instance, b->runs[j].instance))
				(*pb)[n] = &b->runs[j];
	}
	for (j = 0; j < b->n; j++) {
		for (i = 0; i < a->n; i++)
			if (!strcmp(a->runs[i].instance, b->runs[j].instance))
				break;
		if (i == a->n)
			(*pb)[n++] = &b->runs[j];
	}
	return n;
}

static void side_line(struct buf *out, const char *cls, const char *name,
		      const struct report_side *side)
{
	buf_addf(out, "<li><span class=\"%s\">%s</span>: ", cls, name);
	plot_esc(out, side->desc);
	if (side->n != 1 || side->missing)
		buf_addf(out, ", %zu run%s", side->n, side->n == 1 ? "" : "s");
	if (side->missing)
		buf_addf(out, " (%zu entr%s with no run in the store)",
			 side->missing, side->missing == 1 ? "y" : "ies");
	buf_adds(out, "</li>\n");
}

size_t report_compare_html(struct buf *out, struct store *s,
			   const struct report_side *a,
			   const struct report_side *b, int64_t now_ns,
			   size_t *npairs)
{
	const struct runrec **pa, **pb;
	struct buf title = BUF_INIT, body = BUF_INIT;
	size_t n = pairs(a, b, &pa, &pb), i, differ, pairs_differ = 0;
	char t[32];

	buf_addf(&title, "cairn report: %s against %s", a->what, b->what);
	plot_page_open(out, title.data, compare_style);
	buf_adds(out, "<header><h1>");
	plot_esc(out, title.data + strlen("cairn report: "));
	buf_adds(out, "</h1>\n<ul class=\"meta\">\n");
	side_line(out, "side-a", "A", a);
	side_line(out, "side-b", "B", b);
	buf_adds(out, "</ul>\n");
	if (now_ns)
		buf_addf(out, "<p class=\"meta\">made %s UTC</p>\n",
			 format_time(now_ns, t));
	buf_adds(out, "</header>\n");
	for (i = 0; i < n; i++) {
		differ = pair_section(&body, s, i, pa[i], pb[i]);
		pairs_differ += differ > 0;
		buf_addf(out, "%s<tr%s><td><a href=\"#pair-%zu\">", i ? "" :
			 "<section id=\"summary\"><h2>Summary</h2>\n<table "
			 "id=\"pairs\"><thead><tr><th>pair</th><th "
			 "class=\"side-a\">A</th><th class=\"side-b\">B</th>"
			 "<th>rows that differ</th></tr></thead>\n<tbody>\n",
			 differ ? " class=\"differs\"" : "", i + 1);
		plot_esc(out, pa[i] ? pa[i]->instance : pb[i]->instance);
		buf_adds(out, "</a></td>");
		run_cell(out, pa[i]);
		run_cell(out, pb[i]);
		buf_addf(out, "<td class=\"num\">%zu</td></tr>\n", differ);
	}
	if (n)
		buf_addf(out, "</tbody></table>\n<p>%zu of %zu pair%s differ%s."
			      "</p></section>\n",
			 pairs_differ, n, n == 1 ? "" : "s",
			 n == 1 ? "s" : "");
	buf_add(out, body.data, body.len);
	plot_page_close(out);
	buf_release(&title);
	buf_release(&body);
	free(pa);
	free(pb);
	*npairs = n;
	return pairs_differ;
}
