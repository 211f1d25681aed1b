/*
 * The report's timeline (report.h): the last run's Gantt chart.
 */
#include <math.h>
#include <string.h>

#include "buf.h"
#include "graph.h"
#include "report.h"
#include "runrec.h"
#include "svg.h"
#include "util.h"

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
		svg_text(out, GANTT_LEFT - 6, 10 + (double)k * LANE_H + 15, "end",
			lab.data);
	}
	nt = svg_ticks(0, span, 10, t, &step);
	for (k = 0; k < nt; k++) {
		double px = GANTT_LEFT + t[k] / span * GANTT_W;
		buf_adds(out, "<path d=\"M");
		svg_xy(out, px, 10);
		buf_addf(out, "V%d\" stroke=\"#eee\"/>\n",
			 10 + r->nlanes * LANE_H + 4);
		buf_truncate(&lab, 0);
		svg_tick_label(&lab, t[k], step);
		buf_adds(&lab, " s");
		svg_text(out, px, 10 + r->nlanes * LANE_H + 16, "middle",
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
			svg_text(out, x + 16, y + 10, "start", keys[k]);
		}
	}
	buf_adds(out, "</svg>\n");
	buf_release(&lab);
}
