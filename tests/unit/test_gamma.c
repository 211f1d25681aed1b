/*
 * The gamma search against an exhaustive one, per voxel: doses built so
 * that many voxels sit near gamma 1 (anisotropic spacing, steep and
 * shallow gradients, noise), global and local, 3%/3mm and 2%/2mm.  The
 * reference visits every point of a fine lattice within the radius, then
 * zooms in on its best point (a finer lattice five times); it finds a
 * real point, so its gamma is an upper bound of the minimum.  Checks:
 * every gamma within 0.01 of the reference, every voxel whose reference
 * passes passes (pass or fail exact), the pass rule (le, lt), the
 * summary's percentiles, and a single-slice grid (flat cells).
 */
#include <math.h>

#include "check.h"
#include "gamma.h"
#include "rng.h"

/* Trilinear interpolation of d at (x, y, z) in voxels, written apart
 * from the kernel's (a flat axis: 0 only); NAN outside. */
static double trilinear(const float *d, const struct gamma_grid *g, double x,
			double y, double z)
{
	int x0 = (int)floor(x), y0 = (int)floor(y), z0 = (int)floor(z), c;
	double fx = x - x0, fy = y - y0, fz = z - z0, v = 0;

	if (x < 0 || y < 0 || z < 0 || x > g->nx - 1 || y > g->ny - 1 ||
	    z > g->nz - 1)
		return NAN;
	for (c = 0; c < 8; c++) {
		int xi = x0 + (c & 1), yi = y0 + (c >> 1 & 1), zi = z0 + (c >> 2);
		double w = (c & 1 ? fx : 1 - fx) * (c & 2 ? fy : 1 - fy) *
			   (c & 4 ? fz : 1 - fz);
		if (w == 0)
			continue;
		v += w * d[((size_t)zi * g->ny + yi) * g->nx + xi];
	}
	return v;
}

/* gamma^2 at offset (ox, oy, oz) mm from voxel (x, y, z); HUGE_VAL
 * outside the volume or the radius. */
static double g2_at(const float *ev, const struct gamma_grid *g,
		    const struct gamma_opts *o, int x, int y, int z, double dr,
		    double dd, double ox, double oy, double oz)
{
	double d2 = ox * ox + oy * oy + oz * oz, r = o->radius * o->dta_mm, e;

	if (d2 > r * r * (1 + 1e-12))
		return HUGE_VAL;
	e = trilinear(ev, g, x + ox / g->sx, y + oy / g->sy, z + oz / g->sz);
	if (e != e)
		return HUGE_VAL;
	return d2 / (o->dta_mm * o->dta_mm) + (e - dr) * (e - dr) / (dd * dd);
}

/* From the point (bx, by, bz) mm, a pattern search on lattices of 5^3
 * points: recentred on its best while that moves (so it follows a narrow
 * valley), a third of the step when it does not, down to 3 10^-4 mm; the
 * least of best and the gamma^2 found. */
static double zoom(const float *ev, const struct gamma_grid *g,
		   const struct gamma_opts *o, int x, int y, int z, double dr,
		   double dd, double bx, double by, double bz, double h,
		   double best)
{
	double own = g2_at(ev, g, o, x, y, z, dr, dd, bx, by, bz);
	int a, b, c, rounds;

	h /= 2;
	for (rounds = 0; h > 3e-4 && rounds < 200; rounds++) {
		double cx = bx, cy = by, cz = bz;
		int moved = 0;
		for (c = -2; c <= 2; c++)
			for (b = -2; b <= 2; b++)
				for (a = -2; a <= 2; a++) {
					double t = g2_at(ev, g, o, x, y, z, dr, dd,
							 cx + a * h, cy + b * h,
							 cz + c * h);
					if (t < own)
						own = t, bx = cx + a * h,
						by = cy + b * h, bz = cz + c * h,
						moved = 1;
				}
		if (!moved)
			h /= 3;
	}
	return own < best ? own : best;
}

/* The reference gamma of every voxel into want (-1: not evaluated): a
 * lattice of step_mm over the ball, then a zoom from each of its local
 * minima (lower than or equal to their six neighbours). */
static void exhaustive(const float *ref, const float *ev,
		       const struct gamma_grid *g, const struct gamma_opts *o,
		       double step_mm, float *want)
{
	size_t n = (size_t)g->nx * g->ny * g->nz, i;
	double mx = 0, r = o->radius * o->dta_mm, h = step_mm;
	int k = (int)floor(r / step_mm + 1e-9), w = 2 * k + 1;
	double *lat = malloc((size_t)w * w * w * sizeof(double));

	for (i = 0; i < n; i++)
		mx = ref[i] > mx ? ref[i] : mx;
	for (i = 0; i < n; i++) {
		int x = (int)(i % g->nx), y = (int)(i / g->nx % g->ny),
		    z = (int)(i / ((size_t)g->nx * g->ny)), a, b, c;
		double dd, best = HUGE_VAL;
		want[i] = -1;
		if (ref[i] < mx * o->cutoff_pct / 100 || ref[i] <= 0)
			continue;
		dd = (o->local ? ref[i] : mx) * o->dose_pct / 100;
		for (c = -k; c <= k; c++)
			for (b = -k; b <= k; b++)
				for (a = -k; a <= k; a++) {
					double t = g2_at(ev, g, o, x, y, z, ref[i], dd,
							 a * h, b * h, c * h);
					lat[((c + k) * w + b + k) * w + a + k] = t;
					best = t < best ? t : best;
				}
		for (c = -k; c <= k; c++)
			for (b = -k; b <= k; b++)
				for (a = -k; a <= k; a++) {
					size_t at = (size_t)((c + k) * w + b + k) * w +
						    (size_t)(a + k);
					double t = lat[at];
					if (t == HUGE_VAL ||
					    (a > -k && lat[at - 1] < t) ||
					    (a < k && lat[at + 1] < t) ||
					    (b > -k && lat[at - w] < t) ||
					    (b < k && lat[at + w] < t) ||
					    (c > -k && lat[at - w * w] < t) ||
					    (c < k && lat[at + w * w] < t))
						continue;
					best = zoom(ev, g, o, x, y, z, ref[i], dd,
						    a * h, b * h, c * h, h, best);
				}
		want[i] = (float)sqrt(best);
	}
	free(lat);
}

/* A hot sphere with an exponential falloff on a slope; the evaluated one
 * moved by (mx, my, mz) mm, scaled and noisy: voxels on both sides of 1. */
static void doses(float *ref, float *ev, const struct gamma_grid *g,
		  const double *move, double scale, double noise)
{
	struct rng r = rng_for(17, 0);
	int x, y, z, k;

	for (z = 0; z < g->nz; z++)
		for (y = 0; y < g->ny; y++)
			for (x = 0; x < g->nx; x++) {
				double p[3] = { (x - g->nx / 2.0) * g->sx,
						(y - g->ny / 2.0) * g->sy,
						(z - g->nz / 2.0) * g->sz };
				double d = 0, q = 0;
				size_t i = ((size_t)z * g->ny + y) * g->nx + x;
				for (k = 0; k < 3; k++) {
					d += p[k] * p[k];
					q += (p[k] - move[k]) * (p[k] - move[k]);
				}
				d = sqrt(d) - 10, q = sqrt(q) - 10;
				ref[i] = (float)((d < 0 ? 60 : 60 * exp(-d / 7)) +
						 0.4 * p[0]);
				ev[i] = (float)(((q < 0 ? 60 : 60 * exp(-q / 7)) +
						 0.4 * (p[0] - move[0])) *
							scale +
						(rng_uniform(&r) - 0.5) * noise);
			}
}

/* Ours against the reference on one setting; prints the worst gap. */
static void against(const float *ref, const float *ev,
		    const struct gamma_grid *g, const struct gamma_opts *o,
		    double step_mm, const char *what)
{
	size_t n = (size_t)g->nx * g->ny * g->nz, i, far = 0, missed = 0,
	       near1 = 0, evaluated = 0;
	float *got = malloc(n * sizeof(float)), *want = malloc(n * sizeof(float));
	struct gamma_result res;
	double worst = 0;

	gamma_cpu(ref, ev, g, o, got, &res, 0);
	exhaustive(ref, ev, g, o, step_mm, want);
	for (i = 0; i < n; i++) {
		double gap;
		CHECK((got[i] < 0) == (want[i] < 0));
		if (want[i] < 0)
			continue;
		evaluated++;
		near1 += fabs(want[i] - 1) < 0.05;
		if (want[i] > o->radius)	/* past the radius: above it */
			continue;
		gap = fabs(got[i] - want[i]);
		worst = gap > worst ? gap : worst;
		far += gap > 0.01;
		/* Exact pass or fail: a point the reference found passes. */
		missed += gamma_passes(want[i], o->pass_lt) &&
			  !gamma_passes(got[i], o->pass_lt);
	}
	fprintf(stderr, "test_gamma: %s: %zu evaluated, %zu within 0.05 of 1, "
			"worst gap %.5f, pass rate %.2f%%\n",
		what, evaluated, near1, worst, res.pass_rate);
	CHECK_INT(far, 0);
	CHECK_INT(missed, 0);
	/* Not trivial: voxels on both sides of 1, some near it. */
	CHECK(res.pass_rate > 20 && res.pass_rate < 95);
	CHECK(near1 >= 10);
	free(got), free(want);
}

static void test_exhaustive(void)
{
	enum { NX = 10, NY = 9, NZ = 6 };
	struct gamma_grid g = { NX, NY, NZ, 2.5, 3.3, 4.1 };
	struct gamma_opts o = { 3, 3, 0, 10, GAMMA_TOL, 1, 0 };
	size_t n = (size_t)NX * NY * NZ;
	float *ref = malloc(n * sizeof(float)), *ev = malloc(n * sizeof(float));
	double move[3] = { 2.3, -1.4, 1.7 };

	doses(ref, ev, &g, move, 1.05, 1.0);
	against(ref, ev, &g, &o, 0.3, "3%/3mm global");
	o.local = 1;
	against(ref, ev, &g, &o, 0.3, "3%/3mm local");
	o.dose_pct = 2, o.dta_mm = 2, o.radius = 1.5;
	against(ref, ev, &g, &o, 0.3, "2%/2mm local");
	o.local = 0;
	against(ref, ev, &g, &o, 0.3, "2%/2mm global");
	free(ref), free(ev);
}

/* The pass rule, the percentiles, and a single slice (flat cells). */
static void test_rules(void)
{
	enum { NX = 12, NY = 10, NZ = 6 };
	struct gamma_grid g = { NX, NY, NZ, 2.5, 2.5, 3.0 };
	struct gamma_opts o = { 3, 3, 0, 10, GAMMA_TOL, 2, 0 };
	size_t n = (size_t)NX * NY * NZ, i, bad = 0;
	float *ref = malloc(n * sizeof(float)), *ev = malloc(n * sizeof(float)),
	      *out = malloc(n * sizeof(float)), v[100];
	struct gamma_result res;
	double slope = 2.0, s = 1.5, exact, dd;

	/* A uniform field 3% of its maximum off: gamma exactly 1, which
	 * passes under le (gamma <= 1) and fails under lt (gamma < 1). */
	for (i = 0; i < n; i++)
		ref[i] = 50, ev[i] = 51.5f;
	gamma_cpu(ref, ev, &g, &o, out, &res, 0);
	for (i = 0; i < n; i++)
		bad += out[i] != 1;
	CHECK_INT(bad, 0);
	CHECK_INT(res.passed, n);
	CHECK(res.pass_rate == 100);
	o.pass_lt = 1;
	gamma_cpu(ref, ev, &g, &o, out, &res, 0);
	CHECK_INT(res.evaluated, n);
	CHECK_INT(res.passed, 0);
	CHECK(res.pass_rate == 0);
	CHECK(gamma_passes(0.999f, 1) && !gamma_passes(1.0f, 1) &&
	      gamma_passes(1.0f, 0) && !gamma_passes(1.001f, 0));
	o.pass_lt = 0;
	/* The summary: mean, max and numpy's linear percentiles of the
	 * evaluated voxels (-1: not evaluated). */
	for (i = 0; i < 100; i++)
		v[i] = i % 2 ? -1.0f : (float)(i / 2) / 25;	/* 0 .. 1.96 */
	gamma_summary(v, 100, 0, &res);
	CHECK_INT(res.evaluated, 50);
	CHECK_INT(res.passed, 26);	/* 0 .. 1.0 */
	CHECK(fabs(res.mean - 0.98) < 1e-6);
	CHECK(fabs(res.max - 1.96) < 1e-6);
	CHECK(fabs(res.p50 - 0.98) < 1e-6);	/* rank 24.5 */
	CHECK(fabs(res.p90 - 1.764) < 1e-6);	/* rank 44.1 */
	CHECK(fabs(res.p95 - 1.862) < 1e-6);	/* rank 46.55 */
	CHECK(fabs(res.p99 - 1.9404) < 1e-6);	/* rank 48.51 */
	gamma_summary(v, 100, 1, &res);
	CHECK_INT(res.passed, 25);
	/* One slice (nz 1: cells flat along z), a linear gradient along x
	 * moved s mm: gamma = s / sqrt(DTA^2 + dD^2 / slope^2) inside. */
	g.nz = 1;
	for (i = 0; i < (size_t)NX * NY; i++) {
		double x = (double)(i % NX) * g.sx;
		ref[i] = (float)(10 + slope * x);
		ev[i] = (float)(10 + slope * (x - s));
	}
	gamma_cpu(ref, ev, &g, &o, out, &res, 0);
	dd = (10 + slope * (NX - 1) * g.sx) * 0.03;
	exact = s / sqrt(9 + dd * dd / (slope * slope));
	for (i = 0, bad = 0; i < (size_t)NX * NY; i++) {
		size_t x = i % NX;
		if (x < 3 || x > NX - 3 || out[i] < 0)
			continue;
		bad += fabs(out[i] - exact) > GAMMA_TOL;
	}
	CHECK_INT(bad, 0);
	CHECK(res.evaluated > 0);
	free(ref), free(ev), free(out);
}

int main(void)
{
	test_rules();
	test_exhaustive();
	return check_done("test_gamma");
}
