/*
 * plot.h: the pictures of artifacts, for the report (`cairn report`, which
 * reads them from the store, and the `report` kind, which reads its input
 * files).  An artifact is a file's bytes; what it holds decides what is
 * drawn (docs/report.md "Pictures"): a curve of epochs, a classifier's
 * scores (ROC), eval.dose's maps (DVH curves, gamma slices), a binning or
 * zbins report, a series a shell stage declares as a plot, a PNG or SVG.
 * Artifacts of one kind given together are drawn together (every member
 * of a sweep overlaid).  Everything drawn is inline SVG, or PNG as a
 * data: URI: no clock, nothing of the machine, so the same bytes give the
 * same picture, byte for byte.
 */
#ifndef CAIRN_PLOT_H
#define CAIRN_PLOT_H

#include <stddef.h>

struct buf;
struct json;
struct h5_file;

/* One artifact. */
struct plot_src {
	const char *label;	/* who made it: "train[lr=0.1]", a file */
	const char *name;	/* its output name or path: the extension
				   tells a format (".json", ".csv", ".png") */
	const void *data;	/* its bytes */
	size_t len;
	size_t member;		/* its colour: the sweep member it is of */
	const char *as;		/* a declared plot's form (NULL: look) */
};

/* An artifact as a drawer sees it: parsed once. */
struct plot_item {
	const struct plot_src *src;
	struct json *json;	/* the bytes as JSON, or NULL */
	struct h5_file *h5;	/* the bytes as HDF5, or NULL */
};

/* What one drawer does: which items are its, and drawing all of them. */
struct plot_drawer {
	const char *name;	/* "curve", "roc" ...: the figure's class */
	int (*mine)(const struct plot_item *it);
	void (*draw)(struct buf *out, const struct plot_item *const *items,
		     size_t n);
};

/*
 * Append to out the figures of srcs[0..n): each artifact goes to the
 * first drawer that takes it, and each drawer draws all its artifacts
 * together, in the order of the drawers.  Returns how many drawers drew.
 */
size_t plot_artifacts(struct buf *out, const struct plot_src *srcs, size_t n);

/* ---- the pieces drawers share (plot_chart.c) ---- */

/* The colour of member i (a fixed palette, then round). */
const char *plot_palette(size_t i);

/* A line: (x[k], y[k]) for k < n; points not finite are left out. */
struct plot_line {
	const char *label;
	const char *color;
	int dashed;
	const double *x, *y;
	size_t n;
};

/* A line chart: axes with ticks, title, the axes' names, a legend.
 * Fixed ranges when lo < hi (else fitted to the lines). */
struct plot_axes {
	const char *title, *xlabel, *ylabel;
	double xlo, xhi, ylo, yhi;
	int square;		/* x and y share a scale (ROC) */
};
void plot_lines_svg(struct buf *out, const struct plot_axes *ax,
		    const struct plot_line *lines, size_t n);

/* A bar chart: bars[0..n) over categories 0..n-1, labelled every
 * label_every bars by labels[i] (NULL: the index). */
void plot_bars_svg(struct buf *out, const char *title, const char *xlabel,
		   const char *ylabel, const double *bars, size_t n,
		   const char *const *labels, const char *color);

/* Array a of counts, as many as bins says (1 to max), each a whole
 * number 0 to 10^15, as doubles (malloc'd, *n of them); NULL when it is
 * not (a report a drawer must not trust). */
double *plot_counts(const struct json *a, double bins, size_t max,
		    size_t *n);

/* An HTML <figure> around a picture: open with its class and caption,
 * then close. */
void plot_figure_open(struct buf *out, const char *cls);
void plot_figure_close(struct buf *out, const char *caption);

/* Text escaped for HTML. */
void plot_esc(struct buf *out, const char *s);

#endif
