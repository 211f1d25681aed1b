/*
 * kNN on the CPU: the points sorted into a uniform grid of about two per
 * cell; each query visits rings of cells around its own, nearest ring
 * first, and stops once its k-th distance is below the nearest a point of
 * the next ring can be.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda.h"
#include "knn.h"
#include "parallel.h"
#include "util.h"

struct grid {
	const double *xy;
	size_t n;
	int k;
	int32_t *idx;		/* the answer */
	double x0, y0, size;	/* cell (cx, cy) spans x0 + cx * size ... */
	int64_t nx, ny;
	size_t *start;		/* nx * ny + 1: a cell's points in order */
	int32_t *order;		/* point indices, by cell */
	double *pts;		/* their coordinates, by cell */
};

static int64_t cell_of(double v, double v0, double size, int64_t n)
{
	int64_t c = (int64_t)floor((v - v0) / size);

	return c < 0 ? 0 : c >= n ? n - 1 : c;
}

static void grid_build(struct grid *g)
{
	double x1, y1, w, h, cells;
	size_t i, *fill;

	g->x0 = x1 = g->xy[0];
	g->y0 = y1 = g->xy[1];
	for (i = 1; i < g->n; i++) {
		double x = g->xy[2 * i], y = g->xy[2 * i + 1];
		g->x0 = x < g->x0 ? x : g->x0;
		x1 = x > x1 ? x : x1;
		g->y0 = y < g->y0 ? y : g->y0;
		y1 = y > y1 ? y : y1;
	}
	w = x1 - g->x0;
	h = y1 - g->y0;
	cells = (double)g->n / 2 + 1;
	if (w > 0 && h > 0)
		g->size = sqrt(w * h / cells);
	else
		g->size = (w > h ? w : h) / cells;
	if (!(g->size > 0))
		g->size = 1;	/* every point in one place */
	/* Bound the cell count when one side is much longer. */
	if (w / g->size + 1 > 4 * cells)
		g->size = w / (4 * cells);
	if (h / g->size + 1 > 4 * cells)
		g->size = h / (4 * cells);
	g->nx = (int64_t)(w / g->size) + 1;
	g->ny = (int64_t)(h / g->size) + 1;
	g->start = xcalloc((size_t)(g->nx * g->ny + 1), sizeof(size_t));
	fill = xcalloc((size_t)(g->nx * g->ny), sizeof(size_t));
	g->order = xcalloc(g->n, sizeof(int32_t));
	g->pts = xcalloc(2 * g->n, sizeof(double));
	for (i = 0; i < g->n; i++) {
		int64_t c = cell_of(g->xy[2 * i + 1], g->y0, g->size, g->ny) *
				    g->nx +
			    cell_of(g->xy[2 * i], g->x0, g->size, g->nx);
		g->start[c + 1]++;
	}
	for (i = 0; i < (size_t)(g->nx * g->ny); i++)
		g->start[i + 1] += g->start[i];
	for (i = 0; i < g->n; i++) {
		int64_t c = cell_of(g->xy[2 * i + 1], g->y0, g->size, g->ny) *
				    g->nx +
			    cell_of(g->xy[2 * i], g->x0, g->size, g->nx);
		size_t at = g->start[c] + fill[c]++;
		g->order[at] = (int32_t)i;
		g->pts[2 * at] = g->xy[2 * i];
		g->pts[2 * at + 1] = g->xy[2 * i + 1];
	}
	free(fill);
}

static void scan_cell(const struct grid *g, int64_t cx, int64_t cy,
		      size_t self, double px, double py, double *d,
		      int32_t *j, int *c)
{
	size_t a, e;

	if (cx < 0 || cy < 0 || cx >= g->nx || cy >= g->ny)
		return;
	a = g->start[cy * g->nx + cx];
	e = g->start[cy * g->nx + cx + 1];
	for (; a < e; a++) {
		double dx = g->pts[2 * a] - px, dy = g->pts[2 * a + 1] - py;
		double dd = dx * dx + dy * dy;
		if ((size_t)g->order[a] == self)
			continue;
		if (*c < g->k || dd <= d[g->k - 1])
			knn_insert(d, j, c, g->k, dd, g->order[a]);
	}
}

static void query_part(void *ctx, size_t from, size_t to, int t)
{
	const struct grid *g = ctx;
	double d[KNN_MAX_K];
	int32_t j[KNN_MAX_K];
	size_t i;

	(void)t;
	for (i = from; i < to; i++) {
		double px = g->xy[2 * i], py = g->xy[2 * i + 1];
		int64_t cx = cell_of(px, g->x0, g->size, g->nx),
			cy = cell_of(py, g->y0, g->size, g->ny), r, dx, dy;
		int c = 0;

		for (r = 0;; r++) {
			double reach = (double)r * g->size;
			for (dy = -r; dy <= r; dy++)
				for (dx = -r; dx <= r;
				     dx += (dy == -r || dy == r) ? 1 : 2 * r)
					scan_cell(g, cx + dx, cy + dy, i, px, py,
						  d, j, &c);
			/* Everything seen, or the next ring cannot help. */
			if (cx - r <= 0 && cy - r <= 0 && cx + r >= g->nx - 1 &&
			    cy + r >= g->ny - 1)
				break;
			if (c == g->k && d[g->k - 1] * (1 + 1e-9) < reach * reach)
				break;
		}
		memcpy(g->idx + i * (size_t)g->k, j, (size_t)g->k * sizeof(int32_t));
	}
}

void knn_cpu(const double *xy, size_t n, int k, int32_t *idx, int threads)
{
	struct grid g;

	if (k < 1 || k > KNN_MAX_K || (size_t)k >= n)
		BUG("knn with k = %d of %zu points", k, n);
	memset(&g, 0, sizeof(g));
	g.xy = xy;
	g.n = n;
	g.k = k;
	g.idx = idx;
	grid_build(&g);
	parallel_for(threads, n, 1024, query_part, &g);
	free(g.start);
	free(g.order);
	free(g.pts);
}

void knn_brute(const double *xy, size_t n, int k, int32_t *idx)
{
	double d[KNN_MAX_K];
	int32_t j[KNN_MAX_K];
	size_t i, q;

	for (i = 0; i < n; i++) {
		int c = 0;
		for (q = 0; q < n; q++) {
			double dx = xy[2 * q] - xy[2 * i],
			       dy = xy[2 * q + 1] - xy[2 * i + 1];
			if (q != i)
				knn_insert(d, j, &c, k, dx * dx + dy * dy,
					   (int32_t)q);
		}
		memcpy(idx + i * (size_t)k, j, (size_t)k * sizeof(int32_t));
	}
}

int knn(enum device_pref pref, const double *xy, size_t n, int k,
	int32_t *idx, char *why, size_t whylen)
{
	char reason[160] = "";

	if (pref == DEVICE_AUTO && n > KNN_GPU_AUTO_MAX) {
		snprintf(reason, sizeof(reason), "over %d points: the CPU grid "
			 "beats brute force", KNN_GPU_AUTO_MAX);
	} else if (device_try_cuda(pref, reason, sizeof(reason))) {
#ifdef CAIRN_HAVE_CUDA
		if (cuda_knn(xy, n, k, idx, reason, sizeof(reason)) == 0)
			return DEVICE_CUDA;
#endif
	}
	if (device_fallback(pref, reason, why, whylen) < 0)
		return -1;
	knn_cpu(xy, n, k, idx, 0);
	return DEVICE_CPU;
}
