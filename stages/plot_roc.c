/*
 * ROC curves (plot.h): eval.classifier's scores output (HDF5, root
 * attribute kind = "eval.classifier", roc/fpr and roc/tpr float64 [k]).
 * One chart, every artifact's curve overlaid (a colour per sweep member),
 * the diagonal of chance, and each curve's AUC (the trapezoid under the
 * stored curve) in its legend label.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "plot.h"
#include "util.h"

/* A curve of more points is drawn through those at least this far (in
 * either rate) from the last one drawn: the picture is 420 pixels wide,
 * and the SVG of a million events stays small. */
#define MIN_STEP 1e-3
/* The most points read (h5_read believes a compressed dataset up to 1024
 * times its stored bytes). */
#define MAX_POINTS (1u << 26)

struct roc {
	double *fpr, *tpr;
	size_t n;
};

static void roc_release(struct roc *c)
{
	free(c->fpr);
	free(c->tpr);
	memset(c, 0, sizeof(*c));
}

/* The curve of it's scores, checked: two arrays of one length, at least
 * two points, each rate finite in [0, 1] and never falling.  0, or -1. */
static int roc_read(const struct plot_item *it, struct roc *c)
{
	uint64_t any[1] = { H5_ANY }, d1[1], d2[1];
	char kind[32];
	struct err ignore;
	void *a = NULL, *b = NULL;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (!it->h5 ||
	    h5_attr_get_string(it->h5, "/", "kind", kind, sizeof(kind),
			       &ignore) ||
	    strcmp(kind, "eval.classifier") ||
	    h5_shape(it->h5, "roc/fpr", H5_FLOAT64, 1, any, d1, &ignore) ||
	    d1[0] > MAX_POINTS ||
	    h5_read(it->h5, "roc/fpr", H5_FLOAT64, 1, any, d1, &a, &ignore))
		return -1;
	if (h5_read(it->h5, "roc/tpr", H5_FLOAT64, 1, d1, d2, &b, &ignore)) {
		free(a);
		return -1;
	}
	c->fpr = a;
	c->tpr = b;
	c->n = (size_t)d1[0];
	if (c->n < 2)
		goto bad;
	for (i = 0; i < c->n; i++)
		if (!(c->fpr[i] >= 0 && c->fpr[i] <= 1 && c->tpr[i] >= 0 &&
		      c->tpr[i] <= 1) ||
		    (i && (c->fpr[i] < c->fpr[i - 1] || c->tpr[i] < c->tpr[i - 1])))
			goto bad;
	return 0;
bad:
	roc_release(c);
	return -1;
}

/* The area under c by the trapezoid rule. */
static double roc_area(const struct roc *c)
{
	double a = 0;
	size_t i;

	for (i = 1; i < c->n; i++)
		a += (c->fpr[i] - c->fpr[i - 1]) * (c->tpr[i] + c->tpr[i - 1]) / 2;
	return a;
}

/* Thin c in place to the points MIN_STEP apart (the first and the last
 * kept). */
static void roc_thin(struct roc *c)
{
	size_t i, k = 1;

	for (i = 1; i < c->n; i++)
		if (i == c->n - 1 || c->fpr[i] - c->fpr[k - 1] >= MIN_STEP ||
		    c->tpr[i] - c->tpr[k - 1] >= MIN_STEP) {
			c->fpr[k] = c->fpr[i];
			c->tpr[k++] = c->tpr[i];
		}
	c->n = k;
}

static int mine(const struct plot_item *it)
{
	struct roc c;

	if (roc_read(it, &c))
		return 0;
	roc_release(&c);
	return 1;
}

static void draw(struct buf *out, const struct plot_item *const *items,
		 size_t n)
{
	struct plot_axes ax = { "ROC", "false positive rate",
				"true positive rate", 0, 1, 0, 1, 1 };
	struct roc *c = xcalloc(n + 1, sizeof(*c));
	struct plot_line *lines = xcalloc(n + 1, sizeof(*lines));
	struct buf *labels = xcalloc(n + 1, sizeof(*labels));
	struct buf cap = BUF_INIT;
	char split[32];
	struct err ignore;
	size_t i, nl = 0;

	for (i = 0; i < n; i++) {
		if (roc_read(items[i], &c[i]))
			continue;
		buf_init(&labels[nl]);
		buf_addf(&labels[nl], "%s (AUC %.4f)", items[i]->src->label,
			 roc_area(&c[i]));
		roc_thin(&c[i]);
		lines[nl].label = labels[nl].data;
		lines[nl].color = plot_palette(items[i]->src->member);
		lines[nl].x = c[i].fpr;
		lines[nl].y = c[i].tpr;
		lines[nl++].n = c[i].n;
	}
	if (nl) {
		buf_adds(&cap, "ROC curves of the scores");
		if (!h5_attr_get_string(items[0]->h5, "/", "split", split,
					sizeof(split), &ignore))
			buf_addf(&cap, " on the %s split", split);
		buf_adds(&cap, "; the dashed diagonal is chance");
		plot_figure_open(out, "roc");
		plot_lines_svg(out, &ax, lines, nl);
		plot_figure_close(out, cap.data);
	}
	for (i = 0; i < n; i++) {
		roc_release(&c[i]);
		buf_release(&labels[i]);
	}
	free(c);
	free(lines);
	free(labels);
	buf_release(&cap);
}

const struct plot_drawer plot_roc_drawer = { "roc", mine, draw };
