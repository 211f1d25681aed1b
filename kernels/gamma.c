#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda.h"
#include "gamma.h"
#include "gamma_voxel.h"
#include "parallel.h"
#include "quantile.h"
#include "util.h"

static int cmp_cell(const void *a, const void *b)
{
	const struct gamma_cell *p = a, *q = b;

	if (p->d2 != q->d2)
		return p->d2 < q->d2 ? -1 : 1;
	/* Ties: any fixed order (the same search either way). */
	if (p->dz != q->dz)
		return p->dz - q->dz;
	if (p->dy != q->dy)
		return p->dy - q->dy;
	return p->dx - q->dx;
}

/* The low corners of the cells that may reach within the radius, per
 * axis lo[k] to hi[k] voxels (0 to 0 along a flat axis); how many in the
 * whole block, or -1 when the settings cannot be searched. */
static double cell_span(const struct gamma_grid *g, const struct gamma_opts *o,
			int *lo, int *hi)
{
	double reach = o->radius * o->dta_mm, s[3] = { g->sx, g->sy, g->sz };
	double count = 1;
	int n[3] = { g->nx, g->ny, g->nz }, k;

	if (!(o->dta_mm > 0) || !(o->tol > 0) || !(o->radius > 0) ||
	    !isfinite(reach))
		return -1;
	for (k = 0; k < 3; k++) {
		double r;
		if (!(s[k] > 0) || !(reach / s[k] < 1e6) || n[k] < 1)
			return -1;
		r = ceil(reach / s[k]);
		lo[k] = n[k] == 1 ? 0 : -(int)r - 1;
		hi[k] = n[k] == 1 ? 0 : (int)r;
		count *= hi[k] - lo[k] + 1;
	}
	return count;
}

/* A cell's nearest point to the voxel, along one axis, in voxels. */
static double nearest(int d, int flat)
{
	return flat ? 0 : d > 0 ? d : d + 1 < 0 ? d + 1 : 0;
}

struct gamma_cell *gamma_cells(const struct gamma_grid *g,
			       const struct gamma_opts *o, size_t *n)
{
	double count, r2 = o->radius * o->radius;
	int lo[3], hi[3], i, j, l;
	int flat[3] = { g->nx == 1, g->ny == 1, g->nz == 1 };
	size_t m = 0;
	struct gamma_cell *v;

	*n = 0;
	count = cell_span(g, o, lo, hi);
	/* The ball fills half its cube: refuse what would list too many. */
	if (count < 0 || count > 2.0 * GAMMA_MAX_CELLS)
		return NULL;
	v = xcalloc((size_t)count, sizeof(*v));
	for (l = lo[2]; l <= hi[2]; l++)
		for (j = lo[1]; j <= hi[1]; j++)
			for (i = lo[0]; i <= hi[0]; i++) {
				double x = nearest(i, flat[0]) * g->sx,
				       y = nearest(j, flat[1]) * g->sy,
				       z = nearest(l, flat[2]) * g->sz;
				double d2 = (x * x + y * y + z * z) /
					    (o->dta_mm * o->dta_mm);
				if (d2 > r2 * (1 + 1e-12))
					continue;
				v[m].d2 = d2;
				v[m].dx = i, v[m].dy = j, v[m].dz = l;
				m++;
			}
	qsort(v, m, sizeof(*v), cmp_cell);
	*n = m;
	return v;
}

static void gamma_part(void *ctx, size_t from, size_t to, int t)
{
	const struct gamma_job *j = ctx;
	size_t plane = (size_t)j->grid.nx * (size_t)j->grid.ny, v;

	(void)t;
	for (v = from; v < to; v++) {
		size_t z = v / plane, r = v % plane;
		j->out[v] = gamma_voxel(j, (int)(r % (size_t)j->grid.nx),
				      (int)(r / (size_t)j->grid.nx), (int)z);
	}
}

void gamma_summary(const float *out, size_t n, int pass_lt,
		   struct gamma_result *res)
{
	static const double q[4] = { 0.5, 0.9, 0.95, 0.99 };
	double sum = 0, p[4] = { 0, 0, 0, 0 };
	float *v = xmalloc(n * sizeof(float) + 1);
	size_t i, m = 0;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < n; i++) {
		if (out[i] < 0)
			continue;
		v[m++] = out[i];
		res->passed += gamma_passes(out[i], pass_lt);
		sum += out[i];
		if (out[i] > res->max)
			res->max = out[i];
	}
	res->evaluated = m;
	if (m)
		quantiles_cpu(v, m, q, 4, p, 0);
	free(v);
	res->p50 = p[0], res->p90 = p[1], res->p95 = p[2], res->p99 = p[3];
	res->pass_rate = res->evaluated
				 ? 100.0 * (double)res->passed / (double)res->evaluated
				 : 100.0;
	res->mean = res->evaluated ? sum / (double)res->evaluated : 0;
}

static double max_of(const float *d, size_t n)
{
	double m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i] > m)
			m = d[i];
	return m;
}

void gamma_cpu(const float *ref, const float *eval, const struct gamma_grid *g,
	       const struct gamma_opts *o, float *out, struct gamma_result *res,
	       int threads)
{
	size_t n = (size_t)g->nx * (size_t)g->ny * (size_t)g->nz;
	double mx = max_of(ref, n);
	struct gamma_job j;

	j.ref = ref;
	j.eval = eval;
	j.grid = *g;
	j.opts = *o;
	j.cells = gamma_cells(g, o, &j.ncells);
	j.cutoff = mx * o->cutoff_pct / 100;
	if (j.cutoff <= 0)
		j.cutoff = 1e-30;	/* zero dose is never evaluated */
	j.norm = mx * o->dose_pct / 100;
	j.out = out;
	/* Slices interleave cheap (low dose) and costly voxels: small
	 * slices keep the threads evenly loaded. */
	parallel_chunks(threads, n, 512, gamma_part, &j);
	free((void *)j.cells);
	gamma_summary(out, n, o->pass_lt, res);
}

/* Whether the search can run on g: a NaN, zero or tiny spacing would put
 * cells, in voxels, past an int, the search outside the volume, or more
 * cells within the radius than memory holds. */
static int usable(const struct gamma_grid *g, const struct gamma_opts *o)
{
	int lo[3], hi[3];
	double count = cell_span(g, o, lo, hi);

	return o->dose_pct > 0 && count >= 0 && count <= 2.0 * GAMMA_MAX_CELLS;
}

int gamma_index(enum device_pref pref, const float *ref, const float *eval,
		const struct gamma_grid *g, const struct gamma_opts *o,
		float *out, struct gamma_result *res, char *why, size_t whylen)
{
	char reason[160] = "";

	if (!usable(g, o)) {
		snprintf(why, whylen, "gamma: cannot search a grid of %d x %d x %d "
				      "voxels of %g x %g x %g mm within %g mm",
			 g->nx, g->ny, g->nz, g->sx, g->sy, g->sz,
			 o->radius * o->dta_mm);
		return -1;
	}

	if (device_try_cuda(pref, reason, sizeof(reason))) {
#ifdef CAIRN_HAVE_CUDA
		if (cuda_gamma(ref, eval, g, o, out, reason, sizeof(reason)) == 0) {
			gamma_summary(out, (size_t)g->nx * g->ny * g->nz,
				      o->pass_lt, res);
			return DEVICE_CUDA;
		}
#endif
	}
	if (device_fallback(pref, reason, why, whylen) < 0)
		return -1;
	gamma_cpu(ref, eval, g, o, out, res, 0);
	return DEVICE_CPU;
}
