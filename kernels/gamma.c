#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda.h"
#include "gamma.h"
#include "gamma_voxel.h"
#include "parallel.h"
#include "util.h"

static int cmp_offset(const void *a, const void *b)
{
	const struct gamma_offset *p = a, *q = b;

	if (p->d2 != q->d2)
		return p->d2 < q->d2 ? -1 : 1;
	/* Ties: any fixed order (the same search either way). */
	if (p->dz != q->dz)
		return p->dz - q->dz;
	if (p->dy != q->dy)
		return p->dy - q->dy;
	if (p->dx != q->dx)
		return p->dx - q->dx;
	if (p->w[1] != q->w[1])
		return p->w[1] < q->w[1] ? -1 : 1;
	if (p->w[2] != q->w[2])
		return p->w[2] < q->w[2] ? -1 : 1;
	return p->w[4] < q->w[4] ? -1 : p->w[4] > q->w[4];
}

/* Split a coordinate in voxels into its cell and the upper weight. */
static void split(double v, int *cell, int *up, double *f)
{
	double fl = floor(v);

	*cell = (int)fl;
	*f = v - fl;
	if (*f < 1e-12)
		*f = 0;
	*up = *f > 0;
}

struct gamma_offset *gamma_offsets(const struct gamma_grid *g,
				   const struct gamma_opts *o, size_t *n)
{
	double h, r;
	int k, i, j, l;
	size_t cap, m = 0;
	struct gamma_offset *v;

	*n = 0;
	if (!(o->dta_mm > 0) || !(o->step_frac > 0) || !(o->radius > 0) ||
	    !(g->sx > 0) || !(g->sy > 0) || !(g->sz > 0))
		return NULL;
	h = o->step_frac * o->dta_mm;
	r = o->radius * o->dta_mm;
	k = (int)floor(r / h + 1e-9);
	cap = (size_t)(2 * k + 1) * (size_t)(2 * k + 1) * (size_t)(2 * k + 1);
	v = xcalloc(cap, sizeof(*v));
	for (l = -k; l <= k; l++)
		for (j = -k; j <= k; j++)
			for (i = -k; i <= k; i++) {
				double x = i * h, y = j * h, z = l * h, fx, fy, fz;
				double d2 = x * x + y * y + z * z;
				struct gamma_offset *p = &v[m];
				int c;
				if (d2 > r * r * (1 + 1e-12))
					continue;
				p->d2 = d2 / (o->dta_mm * o->dta_mm);
				p->ox = x, p->oy = y, p->oz = z;
				split(x / g->sx, &p->dx, &p->ux, &fx);
				split(y / g->sy, &p->dy, &p->uy, &fy);
				split(z / g->sz, &p->dz, &p->uz, &fz);
				for (c = 0; c < 8; c++)
					p->w[c] = (c & 1 ? fx : 1 - fx) *
						  (c & 2 ? fy : 1 - fy) *
						  (c & 4 ? fz : 1 - fz);
				m++;
			}
	qsort(v, m, sizeof(*v), cmp_offset);
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

void gamma_summary(const float *out, size_t n, struct gamma_result *res)
{
	double sum = 0;
	size_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < n; i++) {
		if (out[i] < 0)
			continue;
		res->evaluated++;
		res->passed += out[i] <= 1;
		sum += out[i];
		if (out[i] > res->max)
			res->max = out[i];
	}
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
	j.off = gamma_offsets(g, o, &j.noff);
	j.cutoff = mx * o->cutoff_pct / 100;
	if (j.cutoff <= 0)
		j.cutoff = 1e-30;	/* zero dose is never evaluated */
	j.norm = mx * o->dose_pct / 100;
	j.out = out;
	/* Slices interleave cheap (low dose) and costly voxels: small
	 * slices keep the threads evenly loaded. */
	parallel_chunks(threads, n, 2048, gamma_part, &j);
	free((void *)j.off);
	gamma_summary(out, n, res);
}

/* Whether the search can run on g: a NaN, zero or tiny spacing would put
 * offsets, in voxels, past an int and the search outside the volume. */
static int usable(const struct gamma_grid *g, const struct gamma_opts *o)
{
	double reach = o->radius * o->dta_mm, s[3] = { g->sx, g->sy, g->sz };
	int k;

	if (g->nx < 1 || g->ny < 1 || g->nz < 1 || !(o->dta_mm > 0) ||
	    !(o->step_frac > 0) || !(o->radius > 0) || !(o->dose_pct > 0) ||
	    !isfinite(reach))
		return 0;
	for (k = 0; k < 3; k++)
		if (!(s[k] > 0) || !(reach / s[k] < 1e6))
			return 0;
	return 1;
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
			gamma_summary(out, (size_t)g->nx * g->ny * g->nz, res);
			return DEVICE_CUDA;
		}
#endif
	}
	if (device_fallback(pref, reason, why, whylen) < 0)
		return -1;
	gamma_cpu(ref, eval, g, o, out, res, 0);
	return DEVICE_CPU;
}
