/*
 * Kernels against their references.  On every machine: each CPU kernel
 * against hand-computed cases and a plain sort or brute-force answer, on
 * edge cases (ties, all-equal values, one value, duplicated points, k =
 * n - 1).  With --gpu: the CUDA path against the CPU path (integers
 * identical, edges identical since selection is exact), or skipped (77)
 * where no device is present.
 */
#include <math.h>

#include "axpy.h"
#include "check.h"
#include "device.h"
#include "gamma.h"
#include "knn.h"
#include "quantile.h"
#include "rng.h"

static void fill(double *x, double *y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		x[i] = sin((double)i) * 1e3;
		y[i] = cos((double)i * 0.5);
	}
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* numpy's linear quantile on a sorted copy: the plain reference. */
static double ref_quantile(const float *sorted, size_t n, double q)
{
	double h = q * (double)(n - 1), lo = floor(h);
	size_t a = (size_t)lo, b = a + 1 < n ? a + 1 : a;

	if (sorted[a] == sorted[b])
		return sorted[a];
	return sorted[a] + (h - lo) * ((double)sorted[b] - sorted[a]);
}

static size_t check_quantiles(const float *x, size_t n, int threads)
{
	static const double q[] = { 0, 0.1, 0.2, 0.25, 0.5, 0.6, 0.8, 0.99, 1 };
	double got[9], passes[9];
	float *s = malloc(n * sizeof(float));
	size_t bad = 0;
	int i;

	memcpy(s, x, n * sizeof(float));
	qsort(s, n, sizeof(float), cmp_float);
	quantiles_cpu(x, n, q, 9, got, threads);
	quantiles_cpu_passes(x, n, q, 9, passes, threads);
	bad += memcmp(got, passes, sizeof(got)) != 0;
	for (i = 0; i < 9; i++)
		if (got[i] != ref_quantile(s, n, q[i])) {
			fprintf(stderr, "q %g of %zu: %.9g, expected %.9g\n",
				q[i], n, got[i], ref_quantile(s, n, q[i]));
			bad++;
		}
	free(s);
	return bad;
}

static void test_quantiles(void)
{
	enum { N = 1 << 20 };
	float *x = malloc(N * sizeof(float)), hand[] = { 3, 1, 2, 4 };
	struct rng r = rng_for(7, 0);
	double e[3], q3[3] = { 0.25, 0.5, 0.75 };
	size_t i;

	/* By hand: sorted 1 2 3 4; h = 0.75, 1.5, 2.25. */
	quantiles_cpu(hand, 4, q3, 3, e, 1);
	CHECK(e[0] == 1.75 && e[1] == 2.5 && e[2] == 3.25);
	/* Wide, signed, with negative zero and denormals around. */
	for (i = 0; i < N; i++)
		x[i] = (float)(rng_normal(&r) * 1e3);
	x[5] = -0.0f, x[6] = 0.0f, x[7] = 1e-40f, x[8] = -1e-40f;
	CHECK_INT(check_quantiles(x, N, 0), 0);
	CHECK_INT(check_quantiles(x, N, 3), 0);
	/* Heavy ties: 5 distinct values. */
	for (i = 0; i < N; i++)
		x[i] = (float)(rng_next(&r) % 5);
	CHECK_INT(check_quantiles(x, N, 0), 0);
	/* All equal; one value; two values. */
	for (i = 0; i < N; i++)
		x[i] = 42.5f;
	CHECK_INT(check_quantiles(x, N, 2), 0);
	quantiles_cpu(x, 1, q3, 3, e, 0);
	CHECK(e[0] == 42.5 && e[2] == 42.5);
	x[1] = -1;
	CHECK_INT(check_quantiles(x, 2, 0), 0);
	/* Keys near each other (the third pass decides). */
	for (i = 0; i < N; i++)
		x[i] = 1.0f + (float)(rng_next(&r) % 4096) * 1.1920929e-7f;
	CHECK_INT(check_quantiles(x, N, 0), 0);
	free(x);
}

static void test_digitize(void)
{
	float x[] = { -5, 0, 0.5f, 1, 1.5f, 2, 9, -0.0f };
	double edges[] = { 0, 1, 2 }, many[40];
	int32_t out[8], want[] = { 0, 1, 1, 2, 2, 3, 3, 1 };
	enum { N = 100000 };
	float *y = malloc(N * sizeof(float));
	int32_t *a = malloc(N * sizeof(int32_t)), b;
	struct rng r = rng_for(3, 1);
	size_t i, bad = 0;
	int k;

	digitize_cpu(x, 8, edges, 3, out, 1);
	CHECK(!memcmp(out, want, sizeof(want)));
	/* Many edges: the binary search agrees with counting. */
	for (k = 0; k < 40; k++)
		many[k] = k * 0.25 - 5;
	for (i = 0; i < N; i++)
		y[i] = (float)(rng_uniform(&r) * 14 - 7);
	y[0] = (float)many[3];
	digitize_cpu(y, N, many, 40, a, 0);
	for (i = 0; i < N; i++) {
		for (b = 0, k = 0; k < 40; k++)
			b += (double)y[i] >= many[k];
		bad += a[i] != b;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(a[0], 4);
	/* No edges: everything in bin 0. */
	digitize_cpu(x, 8, edges, 0, out, 0);
	CHECK_INT(out[0] + out[5] + out[6], 0);
	free(y);
	free(a);
}

static size_t knn_diff(const double *xy, size_t n, int k, int threads)
{
	int32_t *a = malloc(n * (size_t)k * sizeof(int32_t)),
		*b = malloc(n * (size_t)k * sizeof(int32_t));
	size_t i, bad = 0;

	knn_cpu(xy, n, k, a, threads);
	knn_brute(xy, n, k, b);
	for (i = 0; i < n * (size_t)k; i++)
		bad += a[i] != b[i];
	free(a);
	free(b);
	return bad;
}

static void test_knn(void)
{
	enum { N = 3000 };
	double *xy = malloc(2 * N * sizeof(double)),
	       square[] = { 0, 0, 1, 0, 0, 1, 1, 1, 5, 5 };
	int32_t idx[5 * 4];
	struct rng r = rng_for(11, 2);
	size_t i;

	/* By hand: (0,0)'s nearest are (1,0) and (0,1) at 1 (index order),
	 * then (1,1); (5,5)'s nearest is (1,1). */
	knn_cpu(square, 5, 3, idx, 1);
	CHECK(idx[0] == 1 && idx[1] == 2 && idx[2] == 3);
	CHECK(idx[12] == 3 && idx[13] == 1 && idx[14] == 2);
	knn_cpu(square, 5, 4, idx, 1);	/* k = n - 1: everyone */
	CHECK(idx[16] == 3 && idx[19] == 0);
	for (i = 0; i < N; i++) {
		xy[2 * i] = rng_uniform(&r) * 100;
		xy[2 * i + 1] = rng_uniform(&r) * 30;
	}
	CHECK_INT(knn_diff(xy, N, 1, 0), 0);
	CHECK_INT(knn_diff(xy, N, 8, 3), 0);
	CHECK_INT(knn_diff(xy, N, KNN_MAX_K, 0), 0);
	/* Within a unit square: cells narrower than 1, where a distance and
	 * its square order differently (the stop rule compares squares). */
	for (i = 0; i < N; i++) {
		xy[2 * i] = rng_uniform(&r) * 0.01;
		xy[2 * i + 1] = rng_uniform(&r) * 0.003;
	}
	CHECK_INT(knn_diff(xy, N, 8, 0), 0);
	CHECK_INT(knn_diff(xy, N, KNN_MAX_K, 2), 0);
	/* A raster: ties everywhere. */
	for (i = 0; i < N; i++) {
		xy[2 * i] = (double)(i % 50);
		xy[2 * i + 1] = (double)(i / 50);
	}
	CHECK_INT(knn_diff(xy, N, 8, 0), 0);
	/* Clustered with duplicates, and all on one line. */
	for (i = 0; i < N; i++) {
		xy[2 * i] = (double)(i % 7) * 1e-3 + (i % 3 ? 1000 : 0);
		xy[2 * i + 1] = i % 5 ? 0 : 2;
	}
	CHECK_INT(knn_diff(xy, N, 6, 0), 0);
	for (i = 0; i < N; i++)
		xy[2 * i] = 4, xy[2 * i + 1] = 4;
	CHECK_INT(knn_diff(xy, 200, 5, 0), 0);
	free(xy);
}

/* Trilinear interpolation of d at (x, y, z) in voxels, written apart
 * from the kernel's; NAN outside. */
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

/* The exhaustive reference: every point of a fine lattice within the
 * radius, in no particular order, until one passes; the pass rate in
 * percent. */
static double gamma_exhaustive(const float *ref, const float *ev,
			       const struct gamma_grid *g,
			       const struct gamma_opts *o, double step_mm)
{
	size_t n = (size_t)g->nx * g->ny * g->nz, i, evaluated = 0, passed = 0;
	double mx = 0, r = o->radius * o->dta_mm;
	int k = (int)floor(r / step_mm + 1e-9);

	for (i = 0; i < n; i++)
		mx = ref[i] > mx ? ref[i] : mx;
	for (i = 0; i < n; i++) {
		int x = (int)(i % g->nx), y = (int)(i / g->nx % g->ny),
		    z = (int)(i / ((size_t)g->nx * g->ny)), a, b, c;
		double dd, best = INFINITY;
		if (ref[i] < mx * o->cutoff_pct / 100 || ref[i] <= 0)
			continue;
		dd = (o->local ? ref[i] : mx) * o->dose_pct / 100;
		for (c = -k; c <= k; c++)
			for (b = -k; b <= k; b++)
				for (a = -k; a <= k; a++) {
					double ox = a * step_mm, oy = b * step_mm,
					       oz = c * step_mm, d2, e, t;
					d2 = ox * ox + oy * oy + oz * oz;
					if (d2 > r * r * (1 + 1e-12))
						continue;
					e = trilinear(ev, g, x + ox / g->sx,
						      y + oy / g->sy, z + oz / g->sz);
					if (e != e)
						continue;
					t = d2 / (o->dta_mm * o->dta_mm) +
					    (e - ref[i]) * (e - ref[i]) / (dd * dd);
					best = t < best ? t : best;
					if (best <= 1)	/* passes: enough */
						goto done;
				}
	done:
		evaluated++;
		passed += sqrt(best) <= 1;
	}
	return evaluated ? 100.0 * (double)passed / (double)evaluated : 100;
}

/* A small dose: a hot sphere with falloff; the evaluated one shifted,
 * scaled and noisy, so that some voxels fail. */
static void small_doses(float *ref, float *ev, const struct gamma_grid *g,
			double shift_mm, double scale)
{
	struct rng r = rng_for(21, 0);
	int x, y, z;

	for (z = 0; z < g->nz; z++)
		for (y = 0; y < g->ny; y++)
			for (x = 0; x < g->nx; x++) {
				double px = (x - g->nx / 2.0) * g->sx,
				       py = (y - g->ny / 2.0) * g->sy,
				       pz = (z - g->nz / 2.0) * g->sz;
				double d = sqrt(px * px + py * py + pz * pz) - 12;
				double qx = px - shift_mm,
				       dq = sqrt(qx * qx + py * py + pz * pz) - 12;
				size_t i = ((size_t)z * g->ny + y) * g->nx + x;
				ref[i] = (float)(d < 0 ? 60 : 60 * exp(-d / 8));
				ev[i] = (float)((dq < 0 ? 60 : 60 * exp(-dq / 8)) *
						scale +
						(rng_uniform(&r) - 0.5) * 1.5);
			}
}

static void test_gamma(void)
{
	enum { NX = 20, NY = 18, NZ = 14 };
	struct gamma_grid g = { NX, NY, NZ, 2.5, 2.5, 3.0 };
	struct gamma_opts o = { 3, 3, 0, 10, GAMMA_TOL, 2, 0 };
	size_t n = (size_t)NX * NY * NZ, i, bad = 0;
	float *ref = malloc(n * sizeof(float)), *ev = malloc(n * sizeof(float)),
	      *out = malloc(n * sizeof(float));
	struct gamma_result res, res3;
	double want, slope = 2.0, s = 1.5, exact;

	/* Identical doses: gamma 0 everywhere evaluated. */
	small_doses(ref, ev, &g, 0, 1);
	gamma_cpu(ref, ref, &g, &o, out, &res, 0);
	CHECK(res.evaluated > 0 && res.passed == res.evaluated && res.max == 0);
	/* A uniform field 3% of its maximum off: gamma exactly 1. */
	for (i = 0; i < n; i++)
		ref[i] = 50, ev[i] = 51.5f;
	gamma_cpu(ref, ev, &g, &o, out, &res, 0);
	for (i = 0; i < n; i++)
		bad += fabs(out[i] - 1.0) > 1e-6;
	CHECK_INT(bad, 0);
	/* ... and a voxel passes at gamma <= 1 (docs/stages.md): all pass. */
	CHECK(res.evaluated > 0);
	CHECK_INT(res.passed, res.evaluated);
	CHECK(res.pass_rate == 100);
	/* The cutoff: voxels at or above 10% of the maximum are evaluated,
	 * so those at exactly 10% are, those at 5% are not. */
	{
		size_t above = 0;
		for (i = 0; i < n; i++) {
			ref[i] = i % 4 == 0 ? 5.0f : i % 4 == 1 ? 10.0f : 100.0f;
			above += ref[i] >= 10;
		}
		gamma_cpu(ref, ref, &g, &o, out, &res, 0);
		CHECK_INT(res.evaluated, above);
	}
	/* A linear gradient along x (slope Gy/mm), the evaluated one moved
	 * s mm: gamma = s / sqrt(DTA^2 + dD^2 / slope^2) in the interior
	 * (by hand: minimise u^2/DTA^2 + slope^2 (u - s)^2 / dD^2). */
	for (i = 0; i < n; i++) {
		double x = (double)(i % NX) * g.sx;
		ref[i] = (float)(10 + slope * x);
		ev[i] = (float)(10 + slope * (x - s));
	}
	gamma_cpu(ref, ev, &g, &o, out, &res, 2);
	{
		double dd = (10 + slope * (NX - 1) * g.sx) * 0.03;
		exact = s / sqrt(9 + dd * dd / (slope * slope));
	}
	for (i = 0; i < n; i++) {
		size_t x = i % NX;
		if (x < 4 || x > NX - 4 || out[i] < 0)
			continue;
		/* The search finds the minimum within its accuracy. */
		bad += fabs(out[i] - exact) > GAMMA_TOL;
	}
	CHECK_INT(bad, 0);
	/* Against the exhaustive fine-grid search: within 0.1 percentage
	 * points, for 3%/3mm and 2%/2mm, global and local (radius 1: pass or
	 * fail is exact for any radius of at least one DTA, and the
	 * brute force stays affordable); never below it, since the lattice's
	 * passing points are real (unit.gamma compares voxel by voxel). */
	o.radius = 1;
	small_doses(ref, ev, &g, 2.0, 1.03);
	gamma_cpu(ref, ev, &g, &o, out, &res3, 0);
	want = gamma_exhaustive(ref, ev, &g, &o, 0.15);
	CHECK(fabs(res3.pass_rate - want) <= 0.1);
	CHECK(res3.pass_rate > 50 && res3.pass_rate < 100);	/* not trivial */
	o.dose_pct = 2, o.dta_mm = 2;
	gamma_cpu(ref, ev, &g, &o, out, &res, 0);
	want = gamma_exhaustive(ref, ev, &g, &o, 0.1);
	CHECK(fabs(res.pass_rate - want) <= 0.1);
	CHECK(res.pass_rate < res3.pass_rate);
	o.local = 1;
	gamma_cpu(ref, ev, &g, &o, out, &res, 0);
	want = gamma_exhaustive(ref, ev, &g, &o, 0.1);
	fprintf(stderr, "test_kernels: local 2%%/2mm: %.4f%% (lattice %.4f%%)\n",
		res.pass_rate, want);
	CHECK(res.pass_rate >= want && res.pass_rate - want <= 0.2);
	/* Thread counts agree exactly. */
	{
		float *out1 = malloc(n * sizeof(float));
		gamma_cpu(ref, ev, &g, &o, out1, &res, 1);
		gamma_cpu(ref, ev, &g, &o, out, &res, 3);
		CHECK(!memcmp(out, out1, n * sizeof(float)));
		free(out1);
	}
	free(ref), free(ev), free(out);
}

static int cpu_tests(void)
{
	enum { N = 1 << 20 };
	double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double)),
	       *ref = malloc(N * sizeof(double));
	char why[160] = "";
	size_t i, bad = 0;

	fill(x, ref, N);
	for (i = 0; i < N; i++)
		ref[i] += 2.5 * x[i];
	fill(x, y, N);
	axpy_cpu(N, 2.5, x, y, 3);
	for (i = 0; i < N; i++)
		bad += y[i] != ref[i];
	CHECK_INT(bad, 0);
	fill(x, y, N);
	CHECK_INT(axpy(DEVICE_CPU, N, 2.5, x, y, why, sizeof(why)), DEVICE_CPU);
	for (i = 0, bad = 0; i < N; i++)
		bad += y[i] != ref[i];
	CHECK_INT(bad, 0);
	/* Without a device, AUTO falls back and CUDA is refused. */
	if (device_count(why, sizeof(why)) == 0) {
		float v[4] = { 1, 2, 3, 4 };
		double q = 0.5, e;
		fill(x, y, N);
		CHECK_INT(axpy(DEVICE_AUTO, N, 2.5, x, y, why, sizeof(why)),
			  DEVICE_CPU);
		CHECK_INT(axpy(DEVICE_CUDA, N, 2.5, x, y, why, sizeof(why)), -1);
		CHECK(strstr(why, "cuda requested but not usable") != NULL);
		CHECK_INT(quantiles(DEVICE_AUTO, v, 4, &q, 1, &e, why,
				    sizeof(why)),
			  DEVICE_CPU);
		CHECK(e == 2.5);
		CHECK_INT(quantiles(DEVICE_CUDA, v, 4, &q, 1, &e, why,
				    sizeof(why)),
			  -1);
	}
	free(x), free(y), free(ref);
	test_quantiles();
	test_digitize();
	test_knn();
	test_gamma();
	return check_done("test_kernels");
}

static int gpu_tests(void)
{
	enum { N = 1 << 22, P = 20000, K = 12 };
	static const double q[] = { 0.05, 0.2, 0.4, 0.5, 0.6, 0.8, 0.95 };
	double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double)),
	       *ref = malloc(N * sizeof(double)), ec[7], eg[7], *xy;
	float *v = malloc(N * sizeof(float));
	int32_t *bc = malloc(N * sizeof(int32_t)), *bg = malloc(N * sizeof(int32_t));
	int32_t *ic, *ig;
	struct rng r = rng_for(5, 5);
	char why[160] = "";
	size_t i, bad = 0;

	if (device_count(why, sizeof(why)) == 0) {
		printf("no CUDA device: %s\n", why);
		SKIP("no CUDA device");
	}
	fill(x, ref, N);
	for (i = 0; i < N; i++)
		ref[i] += 2.5 * x[i];
	fill(x, y, N);
	CHECK_INT(axpy(DEVICE_CUDA, N, 2.5, x, y, why, sizeof(why)), DEVICE_CUDA);
	/* fma on the GPU may differ from a*x+y on the CPU in the last bit. */
	for (i = 0; i < N; i++)
		bad += fabs(y[i] - ref[i]) > 1e-12 * (fabs(ref[i]) + 1);
	CHECK_INT(bad, 0);
	/* Quantiles and bins: identical. */
	for (i = 0; i < N; i++)
		v[i] = (float)(i % 3 ? rng_normal(&r) : (double)(i % 17));
	quantiles_cpu(v, N, q, 7, ec, 0);
	CHECK_INT(quantiles(DEVICE_CUDA, v, N, q, 7, eg, why, sizeof(why)),
		  DEVICE_CUDA);
	CHECK(!memcmp(ec, eg, sizeof(ec)));
	digitize_cpu(v, N, ec, 7, bc, 0);
	CHECK_INT(digitize(DEVICE_CUDA, v, N, ec, 7, bg, why, sizeof(why)),
		  DEVICE_CUDA);
	CHECK(!memcmp(bc, bg, N * sizeof(int32_t)));
	/* kNN: identical indices, ties included (half the points on a grid). */
	xy = malloc(2 * P * sizeof(double));
	ic = malloc((size_t)P * K * sizeof(int32_t));
	ig = malloc((size_t)P * K * sizeof(int32_t));
	for (i = 0; i < P; i++) {
		xy[2 * i] = i % 2 ? rng_uniform(&r) * 140 : (double)(i % 140);
		xy[2 * i + 1] = i % 2 ? rng_uniform(&r) * 140 : (double)(i / 140);
	}
	knn_cpu(xy, P, K, ic, 0);
	CHECK_INT(knn(DEVICE_CUDA, xy, P, K, ig, why, sizeof(why)), DEVICE_CUDA);
	CHECK(!memcmp(ic, ig, (size_t)P * K * sizeof(int32_t)));
	/* Gamma: the same values (the same voxel code, no FMA on the GPU). */
	{
		struct gamma_grid g = { 48, 40, 32, 2.5, 2.5, 3.0 };
		struct gamma_opts o = { 3, 3, 0, 10, GAMMA_TOL, 2, 0 };
		size_t gn = (size_t)48 * 40 * 32;
		float *gr = malloc(gn * sizeof(float)), *ge = malloc(gn * sizeof(float)),
		      *oc = malloc(gn * sizeof(float)), *og = malloc(gn * sizeof(float));
		struct gamma_result rc_, rg;
		small_doses(gr, ge, &g, 2.0, 1.03);
		gamma_cpu(gr, ge, &g, &o, oc, &rc_, 0);
		CHECK_INT(gamma_index(DEVICE_CUDA, gr, ge, &g, &o, og, &rg, why,
				      sizeof(why)),
			  DEVICE_CUDA);
		for (i = 0, bad = 0; i < gn; i++)
			bad += fabsf(oc[i] - og[i]) > 1e-6f;
		CHECK_INT(bad, 0);
		CHECK_INT(rc_.passed, rg.passed);
		free(gr), free(ge), free(oc), free(og);
	}
	free(x), free(y), free(ref), free(v), free(bc), free(bg), free(xy);
	free(ic), free(ig);
	return check_done("test_kernels_gpu");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--gpu"))
		return gpu_tests();
	return cpu_tests();
}
