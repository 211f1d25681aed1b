/*
 * The report's charts (report.h): line charts with axes, ticks and a
 * legend (training curves), and the last run's Gantt chart.
 */
#include <math.h>
#include <string.h>

#include "buf.h"
#include "graph.h"
#include "report.h"
#include "runrec.h"
#include "svg.h"
#include "util.h"

/* Tableau's ten: told apart by most eyes, and printable. */
static const char *const palette[] = { "#4e79a7", "#f28e2b", "#e15759",
				       "#76b7b2", "#59a14f", "#edc948",
				       "#b07aa1", "#ff9da7", "#9c755f",
				       "#bab0ac" };

const char *report_palette(size_t i)
{
	return palette[i % ARRAY_LEN(palette)];
}

#define PLOT_W 420	/* the plotting area */
#define PLOT_H 240
#define LEFT 58		/* room for the y labels */
#define TOP 28		/* the title */
#define BOTTOM 40	/* the x labels and the axis's name */
#define LEGEND_W 230

static void coord(struct buf *out, double x, double y)
{
	svg_num(out, x);
	buf_addc(out, ',');
	svg_num(out, y);
}

static void text_at(struct buf *out, double x, double y, const char *anchor,
		    const char *text)
{
	buf_adds(out, "<text x=\"");
	svg_num(out, x);
	buf_adds(out, "\" y=\"");
	svg_num(out, y);
	buf_addf(out, "\" text-anchor=\"%s\">", anchor);
	svg_escape(out, text);
	buf_adds(out, "</text>\n");
}

void report_chart_svg(struct buf *out, const char *title, const char *xlabel,
		      const struct report_line *lines, size_t n)
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	double t[16], step, pad;
	struct buf lab = BUF_INIT;
	size_t i, k, nt;
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
	if (TOP + 20 * (int)n > height)
		height = TOP + 20 * (int)n + 10;
	buf_addf(out, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
		      "font-size=\"11\">\n",
		 LEFT + PLOT_W + LEGEND_W, height);
	buf_adds(out, "<g font-size=\"13\" font-weight=\"bold\">");
	text_at(out, LEFT + PLOT_W / 2.0, 18, "middle", title);
	buf_adds(out, "</g>\n<rect x=\"" );
	buf_addf(out, "%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		      "stroke=\"#888\"/>\n",
		 LEFT, TOP, PLOT_W, PLOT_H);
	/* Ticks and grid lines. */
	nt = svg_ticks(x0, x1, 8, t, &step);
	for (k = 0; k < nt; k++) {
		double px = LEFT + (t[k] - x0) / (x1 - x0) * PLOT_W;
		buf_adds(out, "<path d=\"M");
		coord(out, px, TOP);
		buf_addf(out, "V%d\" stroke=\"#eee\"/>\n", TOP + PLOT_H + 4);
		buf_truncate(&lab, 0);
		svg_tick_label(&lab, t[k], step);
		text_at(out, px, TOP + PLOT_H + 16, "middle", lab.data);
	}
	nt = svg_ticks(y0, y1, 6, t, &step);
	for (k = 0; k < nt; k++) {
		double py = TOP + PLOT_H - (t[k] - y0) / (y1 - y0) * PLOT_H;
		buf_adds(out, "<path d=\"M");
		coord(out, LEFT - 4, py);
		buf_addf(out, "H%d\" stroke=\"#eee\"/>\n", LEFT + PLOT_W);
		buf_truncate(&lab, 0);
		svg_tick_label(&lab, t[k], step);
		text_at(out, LEFT - 6, py + 4, "end", lab.data);
	}
	text_at(out, LEFT + PLOT_W / 2.0, TOP + PLOT_H + 34, "middle", xlabel);
	for (i = 0; i < n; i++) {
		const struct report_line *l = &lines[i];
		double ly = TOP + 10 + 20 * (double)i;

		buf_adds(out, "<polyline class=\"curve\" data-label=\"");
		svg_escape(out, l->label);
		buf_adds(out, "\" points=\"");
		for (k = 0; k < l->n; k++) {
			if (!isfinite(l->x[k]) || !isfinite(l->y[k]))
				continue;
			if (k)
				buf_addc(out, ' ');
			coord(out, LEFT + (l->x[k] - x0) / (x1 - x0) * PLOT_W,
			      TOP + PLOT_H - (l->y[k] - y0) / (y1 - y0) * PLOT_H);
		}
		buf_addf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s>"
			      "<title>",
			 l->color, l->dashed ? " stroke-dasharray=\"6,3\"" : "");
		svg_escape(out, l->label);
		buf_adds(out, "</title></polyline>\n<path d=\"M");
		coord(out, LEFT + PLOT_W + 12, ly);
		buf_addf(out, "h24\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
			 l->color, l->dashed ? " stroke-dasharray=\"6,3\"" : "");
		text_at(out, LEFT + PLOT_W + 42, ly + 4, "start", l->label);
	}
	buf_adds(out, "</svg>\n");
	buf_release(&lab);
}

#define GANTT_W 820	/* the time axis */
#define LANE_H 22
#define GANTT_LEFT 60

static const char *bar_color(const struct report_bar *b)
{
	return b->restored ? "#59a14f" : b->ok ? "#4e79a7" : "#e15759";
}

void report_gantt_svg(struct buf *out, const struct report *r)
{
	int64_t t0, t1 = 0;
	double span, t[16], step;
	struct buf lab = BUF_INIT;
	size_t i, k, nt;
	int height;

	if (!r->nbars)
		return;
	t0 = r->bars[0].start_ns;
	for (i = 0; i < r->nbars; i++)
		if (r->bars[i].end_ns > t1)
			t1 = r->bars[i].end_ns;
	span = (double)(t1 - t0) / 1e9;
	if (span <= 0)
		span = 1;
	height = 10 + r->nlanes * LANE_H + 50;
	buf_addf(out, "<svg class=\"gantt\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
		      "font-size=\"11\">\n",
		 GANTT_LEFT + GANTT_W + 20, height);
	for (k = 0; k < (size_t)r->nlanes; k++) {
		buf_truncate(&lab, 0);
		buf_addf(&lab, "slot %zu", k + 1);
		text_at(out, GANTT_LEFT - 6, 10 + (double)k * LANE_H + 15, "end",
			lab.data);
	}
	nt = svg_ticks(0, span, 10, t, &step);
	for (k = 0; k < nt; k++) {
		double px = GANTT_LEFT + t[k] / span * GANTT_W;
		buf_adds(out, "<path d=\"M");
		coord(out, px, 10);
		buf_addf(out, "V%d\" stroke=\"#eee\"/>\n",
			 10 + r->nlanes * LANE_H + 4);
		buf_truncate(&lab, 0);
		svg_tick_label(&lab, t[k], step);
		buf_adds(&lab, " s");
		text_at(out, px, 10 + r->nlanes * LANE_H + 16, "middle",
			lab.data);
	}
	for (i = 0; i < r->nbars; i++) {
		const struct report_bar *b = &r->bars[i];
		const struct graph_inst *in = r->insts[b->inst].in;
		double x = GANTT_LEFT +
			   (double)(b->start_ns - t0) / 1e9 / span * GANTT_W;
		double w = (double)(b->end_ns - b->start_ns) / 1e9 / span *
			   GANTT_W;

		if (w < 3)
			w = 3;
		buf_adds(out, "<a href=\"#inst-");
		buf_addf(out, "%zu\"><rect class=\"bar\" data-inst=\"", in->index);
		svg_escape(out, in->name);
		buf_addf(out, "\" data-how=\"%s\" x=\"",
			 b->restored ? "restored" : b->ok ? "ran" : "failed");
		svg_num(out, x);
		buf_addf(out, "\" y=\"%d\" width=\"", 10 + b->lane * LANE_H + 3);
		svg_num(out, w);
		buf_addf(out, "\" height=\"%d\" fill=\"%s\"><title>", LANE_H - 6,
			 bar_color(b));
		svg_escape(out, in->name);
		buf_truncate(&lab, 0);
		if (b->restored)
			buf_addf(&lab, ": restored at %.2f s",
				 (double)(b->start_ns - t0) / 1e9);
		else
			buf_addf(&lab, ": %s %.2f s from %.2f s",
				 b->ok ? "ran" : "failed after",
				 (double)(b->end_ns - b->start_ns) / 1e9,
				 (double)(b->start_ns - t0) / 1e9);
		svg_escape(out, lab.data);
		buf_adds(out, "</title></rect>");
		/* The name inside a bar wide enough for it. */
		if (!b->restored && w > 7.0 * (double)strlen(in->name) + 8) {
			buf_adds(out, "<text x=\"");
			svg_num(out, x + 4);
			buf_addf(out, "\" y=\"%d\" fill=\"#fff\">",
				 10 + b->lane * LANE_H + 15);
			svg_escape(out, in->name);
			buf_adds(out, "</text>");
		}
		buf_adds(out, "</a>\n");
	}
	{
		static const char *const keys[] = { "ran", "restored", "failed" };
		static const char *const cols[] = { "#4e79a7", "#59a14f",
						    "#e15759" };
		double y = 10 + r->nlanes * LANE_H + 30;
		for (k = 0; k < 3; k++) {
			double x = GANTT_LEFT + 90.0 * (double)k;
			buf_adds(out, "<rect x=\"");
			svg_num(out, x);
			buf_adds(out, "\" y=\"");
			svg_num(out, y);
			buf_addf(out, "\" width=\"12\" height=\"12\" "
				      "fill=\"%s\"/>\n",
				 cols[k]);
			text_at(out, x + 16, y + 10, "start", keys[k]);
		}
	}
	buf_adds(out, "</svg>\n");
	buf_release(&lab);
}
