/*
 * The report's picture of the graph (report.h): one box per stage, left to
 * right, each in the column of its longest chain of producers, ordered in
 * its column by where its producers stand (to cross fewer edges), coloured
 * by the most pressing state of its instances.
 */
#include <string.h>

#include "buf.h"
#include "graph.h"
#include "report.h"
#include "svg.h"
#include "util.h"

#define COL_GAP 70	/* between columns, for the edges */
#define ROW_H 64	/* a box and the gap below it */
#define BOX_H 44
#define MARGIN 10
#define CHAR_W 7	/* an average character at the picture's font size */

/* Which state a stage shows: the first of these its instances have. */
static const int pressing[] = { REPORT_FAILED, REPORT_NEVER, REPORT_WOULD_RUN,
				REPORT_RESTORABLE, REPORT_UPTODATE };

struct dnode {
	const struct graph_stage *st;
	size_t count, n[REPORT_NSTATES];
	int state;
	size_t col, row;
	double bary;		/* where its producers stand */
	size_t first;		/* its first instance: the tie-break */
};

struct dedge {
	size_t a, b;
};

static int by_column(const void *x, const void *y)
{
	const struct dnode *const *a = x, *const *b = y;

	if ((*a)->col != (*b)->col)
		return (*a)->col < (*b)->col ? -1 : 1;
	if ((*a)->bary != (*b)->bary)
		return (*a)->bary < (*b)->bary ? -1 : 1;
	return (*a)->first < (*b)->first ? -1 : (*a)->first > (*b)->first;
}

/* "3 up to date, 1 failed", or the one state all share. */
static void summary(const struct dnode *d, struct buf *b)
{
	size_t k, kinds = 0;

	for (k = 0; k < REPORT_NSTATES; k++)
		kinds += d->n[k] > 0;
	for (k = 0; k < REPORT_NSTATES; k++) {
		if (!d->n[k])
			continue;
		if (kinds == 1) {
			buf_adds(b, report_state_name((int)k));
			return;
		}
		buf_addf(b, "%s%zu %s", b->len ? ", " : "", d->n[k],
			 report_state_name((int)k));
	}
}

static void point(struct buf *out, double x, double y)
{
	svg_num(out, x);
	buf_addc(out, ',');
	svg_num(out, y);
}

void report_dag_svg(struct buf *out, const struct report *r)
{
	const struct graph *g = r->g;
	struct dnode *nodes = xcalloc(g->nstages + 1, sizeof(*nodes));
	struct dnode **order = xcalloc(g->nstages + 1, sizeof(*order));
	size_t *node_of = xcalloc(g->ninsts + 1, sizeof(size_t));
	struct dedge *edges = NULL;
	size_t nnodes = 0, nedges = 0, capedges = 0, i, j, k, ncols = 0;
	size_t maxrows = 0, *rows_in;
	size_t maxlabel = 10;
	int pass, changed = 1;
	double boxw;
	struct buf label = BUF_INIT;

	/* Nodes in first-instance (topological) order. */
	for (i = 0; i < g->ninsts; i++) {
		const struct graph_stage *st = g->insts[i].stage;
		for (j = 0; j < nnodes && nodes[j].st != st; j++)
			;
		if (j == nnodes) {
			nodes[nnodes].st = st;
			nodes[nnodes++].first = i;
		}
		node_of[i] = j;
		nodes[j].count++;
		nodes[j].n[r->insts[i].state]++;
	}
	for (i = 0; i < g->ninsts; i++)
		for (k = 0; k < g->insts[i].ndeps; k++) {
			const struct graph_inst *up = g->insts[i].deps[k].from;
			if (!up || node_of[up->index] == node_of[i])
				continue;
			for (j = 0; j < nedges; j++)
				if (edges[j].a == node_of[up->index] &&
				    edges[j].b == node_of[i])
					break;
			if (j < nedges)
				continue;
			xgrow((void **)&edges, &capedges, nedges + 1,
			      sizeof(*edges));
			edges[nedges].a = node_of[up->index];
			edges[nedges++].b = node_of[i];
		}
	/* Columns: the longest chain of producers (edges go forward in
	 * topological order, so one pass in that order settles them). */
	while (changed) {
		changed = 0;
		for (j = 0; j < nedges; j++)
			if (nodes[edges[j].b].col < nodes[edges[j].a].col + 1) {
				nodes[edges[j].b].col = nodes[edges[j].a].col + 1;
				changed = 1;
			}
	}
	for (i = 0; i < nnodes; i++) {
		struct dnode *d = &nodes[i];
		if (d->col + 1 > ncols)
			ncols = d->col + 1;
		for (k = 0; k < ARRAY_LEN(pressing); k++)
			if (d->n[pressing[k]]) {
				d->state = pressing[k];
				break;
			}
		buf_truncate(&label, 0);
		summary(d, &label);
		if (label.len > maxlabel)
			maxlabel = label.len;
		if (strlen(d->st->name) + 6 > maxlabel)
			maxlabel = strlen(d->st->name) + 6;
		order[i] = d;
		d->bary = (double)d->first;
	}
	/* Rows: in each column by the mean row of the producers, twice. */
	rows_in = xcalloc(ncols + 1, sizeof(size_t));
	for (pass = 0; pass < 3; pass++) {
		if (pass) {
			for (i = 0; i < nnodes; i++) {
				double sum = 0;
				size_t n = 0;
				for (j = 0; j < nedges; j++)
					if (edges[j].b == i) {
						sum += (double)nodes[edges[j].a].row;
						n++;
					}
				nodes[i].bary = n ? sum / (double)n
						  : (double)nodes[i].row;
			}
		}
		qsort(order, nnodes, sizeof(*order), by_column);
		memset(rows_in, 0, (ncols + 1) * sizeof(size_t));
		for (i = 0; i < nnodes; i++)
			order[i]->row = rows_in[order[i]->col]++;
	}
	for (k = 0; k < ncols; k++)
		if (rows_in[k] > maxrows)
			maxrows = rows_in[k];
	if (maxlabel > 40)
		maxlabel = 40;
	boxw = (double)(maxlabel * CHAR_W + 16);
	buf_adds(out, "<svg class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "width=\"");
	svg_num(out, 2 * MARGIN + (double)ncols * (boxw + COL_GAP) - COL_GAP);
	buf_addf(out, "\" height=\"%d\" font-family=\"sans-serif\" "
		      "font-size=\"12\">\n",
		 2 * MARGIN + (int)maxrows * ROW_H - (ROW_H - BOX_H));
	buf_adds(out, "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" "
		      "refX=\"10\" refY=\"5\" markerWidth=\"7\" "
		      "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,"
		      "5L0,10z\" fill=\"#555\"/></marker></defs>\n");
	for (j = 0; j < nedges; j++) {
		const struct dnode *a = &nodes[edges[j].a], *b = &nodes[edges[j].b];
		double x1 = MARGIN + (double)a->col * (boxw + COL_GAP) + boxw;
		double y1 = MARGIN + (double)a->row * ROW_H + BOX_H / 2.0;
		double x2 = MARGIN + (double)b->col * (boxw + COL_GAP);
		double y2 = MARGIN + (double)b->row * ROW_H + BOX_H / 2.0;

		buf_adds(out, "<path class=\"edge\" d=\"M");
		point(out, x1, y1);
		if (b->col > a->col + 1) {
			/* Over columns between: along the gap below the
			 * rows, not through the boxes in them. */
			double low = (y1 > y2 ? y1 : y2) + BOX_H / 2.0 +
				     (ROW_H - BOX_H) / 2.0;
			buf_adds(out, "C");
			point(out, x1 + COL_GAP / 2.0, y1);
			buf_addc(out, ' ');
			point(out, x1 + COL_GAP / 2.0, low);
			buf_addc(out, ' ');
			point(out, x1 + COL_GAP, low);
			buf_adds(out, "L");
			point(out, x2 - COL_GAP, low);
			y1 = low;
			x1 = x2 - COL_GAP;
		}
		buf_adds(out, "C");
		point(out, x1 + COL_GAP / 2.0, y1);
		buf_addc(out, ' ');
		point(out, x2 - COL_GAP / 2.0, y2);
		buf_addc(out, ' ');
		point(out, x2, y2);
		buf_adds(out, "\" fill=\"none\" stroke=\"#555\" "
			      "marker-end=\"url(#arrow)\"/>\n");
	}
	for (i = 0; i < nnodes; i++) {
		const struct dnode *d = &nodes[i];
		double x = MARGIN + (double)d->col * (boxw + COL_GAP);
		double y = MARGIN + (double)d->row * ROW_H;

		buf_adds(out, "<a href=\"#stage-");
		svg_escape(out, d->st->name);
		buf_adds(out, "\"><g class=\"node\" data-stage=\"");
		svg_escape(out, d->st->name);
		buf_addf(out, "\" data-state=\"%s\"><title>",
			 report_state_name(d->state));
		svg_escape(out, d->st->name);
		buf_addf(out, ": %zu instance%s</title><rect x=\"", d->count,
			 d->count == 1 ? "" : "s");
		svg_num(out, x);
		buf_adds(out, "\" y=\"");
		svg_num(out, y);
		buf_adds(out, "\" width=\"");
		svg_num(out, boxw);
		buf_addf(out, "\" height=\"%d\" rx=\"6\" fill=\"%s\" "
			      "stroke=\"#333\"/><text x=\"",
			 BOX_H, report_state_color(d->state));
		svg_num(out, x + 8);
		buf_adds(out, "\" y=\"");
		svg_num(out, y + 18);
		buf_adds(out, "\" font-weight=\"bold\">");
		svg_escape(out, d->st->name);
		if (d->count > 1)
			buf_addf(out, " \xc3\x97%zu", d->count);
		buf_adds(out, "</text><text x=\"");
		svg_num(out, x + 8);
		buf_adds(out, "\" y=\"");
		svg_num(out, y + 35);
		buf_adds(out, "\">");
		buf_truncate(&label, 0);
		summary(d, &label);
		svg_escape(out, label.data);
		buf_adds(out, "</text></g></a>\n");
	}
	buf_adds(out, "</svg>\n");
	buf_release(&label);
	free(rows_in);
	free(edges);
	free(node_of);
	free(order);
	free(nodes);
}
