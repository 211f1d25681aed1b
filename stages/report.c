/*
 * report: the `report` kind, one self-contained HTML page of its input
 * files, so a graph makes its report as an artifact, cached and verified
 * like any other.  Its one input takes many paths (a reference to a
 * matrix stage's output names one per instance): each file's pictures
 * are drawn as `cairn report` draws a run's outputs (plot.h: curves and
 * whatever else the drawers take, every file of a kind overlaid, one
 * colour per file), and a metrics file (a JSON object of numbers, no
 * arrays) is a row of a table, the best of each column marked.  The
 * page is plot_page.h's, as `cairn report`'s.  Nothing of the clock or
 * the machine goes in: the same files give the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "kind_versions.h"
#include "kinds.h"
#include "plot.h"
#include "plot_page.h"
#include "units.h"
#include "util.h"

/* A file bigger than this is listed, not read. */
#define FILE_MAX (256ull << 20)
/* JSON bigger than this is not looked at for metrics. */
#define METRICS_MAX (16u << 20)

static const struct kind_setting settings[] = {
	{ "title", KIND_STRING, "\"report\"", 0, 0, NULL,
	  "the page's title and heading" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port inputs[] = {
	{ .name = "inputs",
	  .doc = "the files to show: curves, scores, maps, metrics JSON ...",
	  .many = 1 },
	{ .name = NULL },
};

static const struct kind_port outputs[] = {
	{ .name = "report", .doc = "HTML: the page, self-contained (no "
				   "network)" },
	{ .name = NULL },
};

/* One input file. */
struct input {
	const char *path;
	struct buf bytes;
	uint64_t size;
	const char *skipped;	/* why it is not read, or NULL */
	int drawn;		/* a drawer takes it */
	char **names;		/* its metrics, by dotted name */
	double *values;
	size_t n, cap;
};

/* The numbers of j under dotted names into in; -1 when j holds an array
 * (a series: for the drawers, not a metrics file). */
static int flatten(const struct json *j, struct buf *name,
		   struct input *in)
{
	size_t k, len = name->len;
	double v;

	switch (j->type) {
	case JSON_ARRAY:
		return -1;
	case JSON_OBJECT:
		for (k = 0; k < j->u.object.n; k++) {
			buf_truncate(name, len);
			if (len)
				buf_addc(name, '.');
			buf_adds(name, j->u.object.k[k]);
			if (flatten(j->u.object.v[k], name, in) < 0)
				return -1;
		}
		buf_truncate(name, len);
		return 0;
	case JSON_NUMBER:
	case JSON_BOOL:
		v = j->type == JSON_BOOL ? (double)j->u.boolean : j->u.number;
		xgrow((void **)&in->names, &in->cap, in->n + 1,
		      sizeof(*in->names));
		in->values = xrealloc(in->values, in->cap * sizeof(double));
		in->names[in->n] = xstrdup(name->data);
		in->values[in->n++] = v;
		return 0;
	default:
		return 0;
	}
}

static void metrics_drop(struct input *in)
{
	size_t k;

	for (k = 0; k < in->n; k++)
		free(in->names[k]);
	free(in->names);
	free(in->values);
	in->names = NULL;
	in->values = NULL;
	in->n = in->cap = 0;
}

/* Whether in is a metrics file: a JSON object with numbers, no arrays. */
static int metrics_of(struct input *in)
{
	struct buf name = BUF_INIT;
	struct json *j = NULL;
	struct err ignore;
	size_t n = strlen(in->path);

	if (n < 5 || strcmp(in->path + n - 5, ".json") ||
	    in->bytes.len > METRICS_MAX ||
	    json_parse(in->bytes.data, in->bytes.len, in->path, &j, &ignore))
		return 0;
	if (j->type != JSON_OBJECT || flatten(j, &name, in) < 0 || !in->n)
		metrics_drop(in);
	json_free(j);
	buf_release(&name);
	return in->n > 0;
}

/* Read path into in; 0, or -1 with err when it cannot be read. */
static int input_read(struct input *in, const char *path, struct err *err)
{
	struct stat st;
	FILE *f;
	int bad;

	memset(in, 0, sizeof(*in));
	in->path = path;
	buf_init(&in->bytes);
	if (stat(path, &st) < 0)
		return err_errno(err, "cannot read input '%s'", path);
	if (S_ISDIR(st.st_mode)) {
		in->skipped = "a folder";
		return 0;
	}
	in->size = (uint64_t)st.st_size;
	if (!S_ISREG(st.st_mode)) {
		in->skipped = "not a file";
		return 0;
	}
	if (in->size > FILE_MAX) {
		in->skipped = "over 256 MiB";
		return 0;
	}
	if (!(f = fopen(path, "rbe")))
		return err_errno(err, "cannot read input '%s'", path);
	for (;;) {
		char chunk[65536];
		size_t got = fread(chunk, 1, sizeof(chunk), f);
		if (!got)
			break;
		buf_add(&in->bytes, chunk, got);
		if (in->bytes.len > FILE_MAX)
			break;
	}
	bad = ferror(f) ? EIO : in->bytes.len > FILE_MAX ? EFBIG : 0;
	fclose(f);
	if (bad) {
		errno = bad;
		return err_errno(err, "cannot read input '%s'", path);
	}
	in->size = in->bytes.len;
	return 0;
}

/* The table of the metrics files: a row each, a column per metric, the
 * best of a column marked (none when all its rows agree). */
static void metrics_table(struct buf *out, struct input *ins, size_t n)
{
	const char **cols = NULL;
	size_t ncols = 0, cap = 0, i, k, c;
	double *best;

	for (i = 0; i < n; i++)
		for (k = 0; k < ins[i].n; k++) {
			for (c = 0; c < ncols && strcmp(cols[c], ins[i].names[k]);
			     c++)
				;
			if (c == ncols) {
				xgrow((void **)&cols, &cap, ncols + 1,
				      sizeof(*cols));
				cols[ncols++] = ins[i].names[k];
			}
		}
	if (!ncols)
		return;
	best = xcalloc(ncols, sizeof(double));
	for (c = 0; c < ncols; c++) {
		struct plot_best pb;

		plot_best_init(&pb, cols[c]);
		for (i = 0; i < n; i++)
			for (k = 0; k < ins[i].n; k++)
				if (!strcmp(ins[i].names[k], cols[c]))
					plot_best_add(&pb, ins[i].values[k]);
		best[c] = plot_best_value(&pb);
	}
	buf_adds(out, "<section id=\"metrics\"><h2>Metrics</h2>\n<p>One row "
		      "per metrics file. Click a header to sort; the best value "
		      "of each metric is marked.</p>\n<table id=\"metrics-table\""
		      " class=\"sortable\"><thead><tr><th>input</th>");
	for (c = 0; c < ncols; c++) {
		int lo = plot_smaller_better(cols[c]);
		buf_addf(out, "<th class=\"metric\" data-best=\"%s\" title=\"%s "
			      "is better\">",
			 lo ? "min" : "max", lo ? "smaller" : "larger");
		plot_esc(out, cols[c]);
		buf_adds(out, "</th>");
	}
	buf_adds(out, "</tr></thead>\n<tbody>\n");
	for (i = 0; i < n; i++) {
		if (!ins[i].n)
			continue;
		buf_adds(out, "<tr><td><code>");
		plot_esc(out, ins[i].path);
		buf_adds(out, "</code></td>");
		for (c = 0; c < ncols; c++) {
			double x;
			for (k = 0; k < ins[i].n && strcmp(ins[i].names[k],
							   cols[c]);
			     k++)
				;
			if (k == ins[i].n) {
				buf_adds(out, "<td class=\"num\">-</td>");
				continue;
			}
			x = ins[i].values[k];
			buf_addf(out, "<td class=\"num%s\" data-v=\"",
				 x == best[c] ? " best" : "");
			json_float(out, x);
			buf_adds(out, "\">");
			plot_number(out, x);
			buf_adds(out, "</td>");
		}
		buf_adds(out, "</tr>\n");
	}
	buf_adds(out, "</tbody></table></section>\n");
	free(best);
	free(cols);
}

static void inputs_table(struct buf *out, const struct input *ins, size_t n)
{
	char sz[32];
	size_t i;

	buf_adds(out, "<section id=\"inputs\"><h2>Inputs</h2>\n<table "
		      "class=\"inputs\"><tr><th>input</th><th>size</th>"
		      "<th>shown as</th></tr>\n");
	for (i = 0; i < n; i++) {
		buf_adds(out, "<tr><td><code>");
		plot_esc(out, ins[i].path);
		buf_addf(out, "</code></td><td class=\"num\">%s</td><td>",
			 ins[i].skipped && !ins[i].size
				 ? "-"
				 : format_size(ins[i].size, sz));
		if (ins[i].skipped) {
			buf_adds(out, "not read: ");
			buf_adds(out, ins[i].skipped);
		} else {
			buf_adds(out, ins[i].n	      ? "metrics"
				      : ins[i].drawn ? "pictures"
						     : "nothing cairn can draw");
		}
		buf_adds(out, "</td></tr>\n");
	}
	buf_adds(out, "</table></section>\n");
}

/* The page of ins[0..n) under title into out. */
static void page(struct buf *out, const char *title, struct input *ins,
		 size_t n)
{
	struct plot_src *srcs = xcalloc(n + 1, sizeof(*srcs));
	struct buf figs = BUF_INIT;
	size_t i, k = 0;

	plot_page_open(out, title, NULL);
	buf_adds(out, "<header><h1>");
	plot_esc(out, title);
	buf_addf(out, "</h1>\n<p class=\"meta\">%zu input file%s, drawn by "
		      "the <code>report</code> kind</p>\n<nav><a "
		      "href=\"#metrics\">metrics</a><a href=\"#pictures\">"
		      "pictures</a><a href=\"#inputs\">inputs</a></nav>"
		      "</header>\n",
		 n, n == 1 ? "" : "s");
	metrics_table(out, ins, n);
	for (i = 0; i < n; i++) {
		if (ins[i].skipped || ins[i].n)
			continue;
		srcs[k].label = ins[i].path;
		srcs[k].name = ins[i].path;
		srcs[k].data = ins[i].bytes.data;
		srcs[k].len = ins[i].bytes.len;
		srcs[k].member = i;
		/* Drawn alone first, to say which files made no picture (a
		 * drawer takes a file or not whatever else is drawn). */
		ins[i].drawn = plot_artifacts(&figs, &srcs[k++], 1) > 0;
		buf_truncate(&figs, 0);
	}
	buf_adds(out, "<section id=\"pictures\"><h2>Pictures</h2>\n");
	if (k && plot_artifacts(&figs, srcs, k)) {
		buf_adds(out, "<div class=\"charts\">\n");
		buf_add(out, figs.data, figs.len);
		buf_adds(out, "</div>\n");
	} else {
		buf_adds(out, "<p>No input is one cairn can draw.</p>\n");
	}
	buf_adds(out, "</section>\n");
	inputs_table(out, ins, n);
	plot_page_close(out);
	buf_release(&figs);
	free(srcs);
}

static int run(const struct kind_run *r, struct err *err)
{
	const char *const *paths = r->many && r->many[0] ? r->many[0] : NULL;
	struct input *ins;
	struct buf html = BUF_INIT;
	size_t n = 0, i;
	FILE *f;
	int rc = 0;

	if (kind_check_run(r, err))
		return -1;
	while (paths && paths[n])
		n++;
	ins = xcalloc(n + 1, sizeof(*ins));
	for (i = 0; i < n && !rc; i++)
		if ((rc = input_read(&ins[i], paths[i], err)) == 0 &&
		    !ins[i].skipped)
			metrics_of(&ins[i]);
	if (!rc) {
		page(&html, kind_string(r, "title"), ins, n);
		f = fopen(r->outputs[0], "we");
		if (!f || fwrite(html.data, 1, html.len, f) != html.len) {
			rc = err_errno(err, "cannot write '%s'", r->outputs[0]);
			if (f)
				fclose(f);
		} else if (fclose(f)) {
			rc = err_errno(err, "cannot write '%s'", r->outputs[0]);
		}
	}
	for (i = 0; i < n; i++) {
		buf_release(&ins[i].bytes);
		metrics_drop(&ins[i]);
	}
	free(ins);
	buf_release(&html);
	return rc;
}

const struct stage_kind kind_report = {
	.name = "report",
	.summary = "one self-contained HTML page of its input files' pictures "
		   "and metrics",
	.doc = "Draw the input files on one HTML page, as 'cairn report' "
	       "draws a run's\noutputs: curves of epochs and whatever else "
	       "cairn can draw, the files of\none kind overlaid (a colour "
	       "each); a metrics file (a JSON object of\nnumbers, no arrays) "
	       "is a row of a table with the best of each metric\nmarked. "
	       "'inputs' takes any number of paths: a reference to a matrix\n"
	       "stage's output names one per instance. The page needs no "
	       "network, and\nthe same files give the same bytes, so it is "
	       "cached and verified like\nany output.",
	.settings = settings,
	.inputs = inputs,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_report,
	.sources = KIND_SOURCES_report,
};
