/*
 * The charts the drawers share (plot.h): lines with axes, ticks and a
 * legend; bars; the figure around a picture.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "plot.h"
#include "svg.h"
#include "util.h"

/* Tableau's ten: told apart by most eyes, and printable. */
static const char *const palette[] = { "#4e79a7", "#f28e2b", "#e15759",
				       "#76b7b2", "#59a14f", "#edc948",
				       "#b07aa1", "#ff9da7", "#9c755f",
				       "#bab0ac" };

const char *plot_palette(size_t i)
{
	return palette[i % ARRAY_LEN(palette)];
}

double *plot_counts(const struct json *c, double bins, size_t max,
		    size_t *n)
{
	double *v;
	size_t i;

	if (!c || c->type != JSON_ARRAY || !c->u.array.n ||
	    c->u.array.n > max || bins != (double)c->u.array.n)
		return NULL;
	v = xcalloc(c->u.array.n, sizeof(double));
	for (i = 0; i < c->u.array.n; i++) {
		const struct json *e = c->u.array.v[i];
		if (e->type != JSON_NUMBER || !(e->u.number >= 0) ||
		    e->u.number > 1e15 || e->u.number != floor(e->u.number)) {
			free(v);
			return NULL;
		}
		v[i] = e->u.number;
	}
	*n = c->u.array.n;
	return v;
}

void plot_esc(struct buf *out, const char *s)
{
	svg_escape(out, s);
}

void plot_figure_open(struct buf *out, const char *cls)
{
	buf_addf(out, "<figure class=\"%s\">\n", cls);
}

void plot_figure_close(struct buf *out, const char *caption)
{
	if (caption && *caption) {
		buf_adds(out, "<figcaption>");
		svg_escape(out, caption);
		buf_adds(out, "</figcaption>");
	}
	buf_adds(out, "</figure>\n");
}

#define PLOT_W 420	/* the plotting area */
#define PLOT_H 240
#define LEFT 58		/* room for the y labels */
#define TOP 28		/* the title */
#define BOTTOM 40	/* the x labels and the axis's name */
#define LEGEND_W 230

/* The svg element and the frame: title, ticks and grid over [x0, x1] x
 * [y0, y1], the axes' names. */
static void frame(struct buf *out, const char *cls, int width, int height,
		  const char *title, const char *xlabel, const char *ylabel,
		  int xticks, double x0, double x1, double y0, double y1)
{
	double t[16], step;
	struct buf lab = BUF_INIT;
	size_t k, nt;

	buf_addf(out, "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
		      "font-size=\"11\">\n",
		 cls, width, height);
	buf_adds(out, "<g font-size=\"13\" font-weight=\"bold\">");
	svg_text(out, LEFT + PLOT_W / 2.0, 18, "middle", title);
	buf_addf(out, "</g>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		      "fill=\"none\" stroke=\"#888\"/>\n",
		 LEFT, TOP, PLOT_W, PLOT_H);
	nt = xticks ? svg_ticks(x0, x1, 8, t, &step) : 0;
	for (k = 0; k < nt; k++) {
		double px = LEFT + (t[k] - x0) / (x1 - x0) * PLOT_W;
		buf_adds(out, "<path d=\"M");
		svg_xy(out, px, TOP);
		buf_addf(out, "V%d\" stroke=\"#eee\"/>\n", TOP + PLOT_H + 4);
		buf_truncate(&lab, 0);
		svg_tick_label(&lab, t[k], step);
		svg_text(out, px, TOP + PLOT_H + 16, "middle", lab.data);
	}
	nt = svg_ticks(y0, y1, 6, t, &step);
	for (k = 0; k < nt; k++) {
		double py = TOP + PLOT_H - (t[k] - y0) / (y1 - y0) * PLOT_H;
		buf_adds(out, "<path d=\"M");
		svg_xy(out, LEFT - 4, py);
		buf_addf(out, "H%d\" stroke=\"#eee\"/>\n", LEFT + PLOT_W);
		buf_truncate(&lab, 0);
		svg_tick_label(&lab, t[k], step);
		svg_text(out, LEFT - 6, py + 4, "end", lab.data);
	}
	svg_text(out, LEFT + PLOT_W / 2.0, TOP + PLOT_H + 34, "middle", xlabel);
	if (ylabel) {
		buf_addf(out, "<g transform=\"translate(12,%d) rotate(-90)\">",
			 TOP + PLOT_H / 2);
		svg_text(out, 0, 0, "middle", ylabel);
		buf_adds(out, "</g>\n");
	}
	buf_release(&lab);
}

void plot_lines_svg(struct buf *out, const struct plot_axes *ax,
		    const struct plot_line *lines, size_t n)
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	double pad;
	size_t i, k;
	int height = TOP + PLOT_H + BOTTOM;

	for (i = 0; i < n; i++)
		for (k = 0; k < lines[i].n; k++) {
			if (!isfinite(lines[i].x[k]) || !isfinite(lines[i].y[k]))
				continue;
			x0 = fmin(x0, lines[i].x[k]);
			x1 = fmax(x1, lines[i].x[k]);
			y0 = fmin(y0, lines[i].y[k]);
			y1 = fmax(y1, lines[i].y[k]);
		}
	if (x0 > x1)
		x0 = x1 = y0 = y1 = 0;
	if (x0 == x1) {
		x0 -= 1;
		x1 += 1;
	}
	pad = y1 > y0 ? (y1 - y0) * 0.05 : fabs(y0) * 0.05 + 0.5;
	y0 -= pad;
	y1 += pad;
	if (ax->xlo < ax->xhi) {
		x0 = ax->xlo;
		x1 = ax->xhi;
	}
	if (ax->ylo < ax->yhi) {
		y0 = ax->ylo;
		y1 = ax->yhi;
	}
	if (TOP + 20 * (int)n > height)
		height = TOP + 20 * (int)n + 10;
	frame(out, "chart", LEFT + PLOT_W + LEGEND_W, height, ax->title,
	      ax->xlabel, ax->ylabel, 1, x0, x1, y0, y1);
	if (ax->square) {	/* the diagonal: chance, for a ROC */
		buf_adds(out, "<path d=\"M");
		svg_xy(out, LEFT, TOP + PLOT_H);
		buf_adds(out, "L");
		svg_xy(out, LEFT + PLOT_W, TOP);
		buf_adds(out, "\" stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>\n");
	}
	for (i = 0; i < n; i++) {
		const struct plot_line *l = &lines[i];
		double ly = TOP + 10 + 20 * (double)i;
		int first = 1;

		buf_adds(out, "<polyline class=\"curve\" data-label=\"");
		svg_escape(out, l->label);
		buf_adds(out, "\" points=\"");
		for (k = 0; k < l->n; k++) {
			if (!isfinite(l->x[k]) || !isfinite(l->y[k]))
				continue;
			if (!first)
				buf_addc(out, ' ');
			first = 0;
			svg_xy(out, LEFT + (l->x[k] - x0) / (x1 - x0) * PLOT_W,
			       TOP + PLOT_H - (l->y[k] - y0) / (y1 - y0) * PLOT_H);
		}
		buf_addf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s>"
			      "<title>",
			 l->color, l->dashed ? " stroke-dasharray=\"6,3\"" : "");
		svg_escape(out, l->label);
		buf_adds(out, "</title></polyline>\n<path d=\"M");
		svg_xy(out, LEFT + PLOT_W + 12, ly);
		buf_addf(out, "h24\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
			 l->color, l->dashed ? " stroke-dasharray=\"6,3\"" : "");
		svg_text(out, LEFT + PLOT_W + 42, ly + 4, "start", l->label);
	}
	buf_adds(out, "</svg>\n");
}

void plot_bars_svg(struct buf *out, const char *title, const char *xlabel,
		   const char *ylabel, const double *bars, size_t n,
		   const char *const *labels, const char *color)
{
	double top = 0, w, t;
	struct buf lab = BUF_INIT;
	size_t i, every;

	for (i = 0; i < n; i++)
		if (isfinite(bars[i]) && bars[i] > top)
			top = bars[i];
	if (top <= 0)
		top = 1;
	top *= 1.05;
	frame(out, "bars", LEFT + PLOT_W + 20, TOP + PLOT_H + BOTTOM, title,
	      xlabel, ylabel, 0, 0, 1, 0, top);
	w = n ? (double)PLOT_W / (double)n : PLOT_W;
	every = n > 24 ? (n + 11) / 12 : 1;
	for (i = 0; i < n; i++) {
		double h = isfinite(bars[i]) && bars[i] > 0
				   ? bars[i] / top * PLOT_H
				   : 0;

		buf_adds(out, "<rect class=\"bar\" x=\"");
		svg_num(out, LEFT + (double)i * w + (w > 4 ? 0.5 : 0));
		buf_adds(out, "\" y=\"");
		svg_num(out, TOP + PLOT_H - h);
		buf_adds(out, "\" width=\"");
		svg_num(out, w > 4 ? w - 1 : w);
		buf_adds(out, "\" height=\"");
		svg_num(out, h);
		buf_addf(out, "\" fill=\"%s\"><title>", color);
		buf_truncate(&lab, 0);
		if (labels)
			buf_adds(&lab, labels[i]);
		else
			buf_addf(&lab, "%zu", i);
		buf_addf(&lab, ": %.6g", bars[i]);
		svg_escape(out, lab.data);
		buf_adds(out, "</title></rect>\n");
	}
	for (i = 0; i < n; i += every) {
		buf_truncate(&lab, 0);
		if (labels)
			buf_adds(&lab, labels[i]);
		else
			buf_addf(&lab, "%zu", i);
		t = LEFT + ((double)i + 0.5) * w;
		svg_text(out, t, TOP + PLOT_H + 16, "middle", lab.data);
	}
	buf_adds(out, "</svg>\n");
	buf_release(&lab);
}
