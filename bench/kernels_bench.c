/*
 * kernels_bench: times the binning and neighbour kernels on generated
 * data, and writes that data raw so bench/baseline.py can time numpy and
 * scipy on exactly the same values.
 *
 *   kernels_bench binning N FILE   4 features x N float32 (pT-like,
 *       eta-like, phi-like, E-like) -> FILE; quantile edges (5 bins) and
 *       digitisation of each feature, best of 3
 *   kernels_bench groups N K C FILE   N jittered raster points (float64
 *       x, y) -> FILE; k nearest neighbours, and the deduplicated groups
 *       of C (the point and C - 1 of its K nearest), best of 3
 *   kernels_bench gamma FILE PCT DTA STEP [RAW]   the gamma index of case
 *       0 of a synth.volumes FILE (plan against prediction), best of 3;
 *       RAW gets both doses as float32 for the numpy side
 *   kernels_bench volumes N NX NY NZ FILE   N CT volumes (int16, as
 *       synth.volumes writes caseN/ct) -> FILE, for the slice cache
 *
 * Prints "name seconds detail" lines; device with CAIRN_DEVICE=cpu|cuda.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device.h"
#include "err.h"
#include "gamma.h"
#include "groups.h"
#include "h5.h"
#include "knn.h"
#include "quantile.h"
#include "rng.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void save(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "kernels_bench: cannot write '%s'\n", path);
		exit(1);
	}
}

static enum device_pref pref(void)
{
	const char *d = getenv("CAIRN_DEVICE");
	int p = d ? device_pref_parse(d) : DEVICE_CPU;

	return p < 0 ? DEVICE_CPU : (enum device_pref)p;
}

static int binning(size_t n, const char *path)
{
	float *x = malloc(4 * n * sizeof(float));
	int32_t *bins = malloc(n * sizeof(int32_t));
	double q[4] = { 0.2, 0.4, 0.6, 0.8 }, e[4][4], best = 1e9, tq = 0;
	char why[160];
	size_t i;
	int f, run, dev = DEVICE_CPU;

	for (i = 0; i < n; i++) {
		struct rng r = rng_for(1, i);
		double pt = 20 - log(rng_uniform(&r)) * 35,
		       eta = rng_normal(&r) * 1.4;
		x[i] = (float)pt;
		x[n + i] = (float)eta;
		x[2 * n + i] = (float)((rng_uniform(&r) * 2 - 1) * M_PI);
		x[3 * n + i] = (float)(pt * cosh(eta));
	}
	save(path, x, 4 * n * sizeof(float));
	for (run = 0; run < 3; run++) {
		double t0 = now(), t1;
		for (f = 0; f < 4; f++)
			dev = quantiles(pref(), x + (size_t)f * n, n, q, 4, e[f],
					why, sizeof(why));
		t1 = now();
		for (f = 0; f < 4; f++)
			digitize(pref(), x + (size_t)f * n, n, e[f], 4, bins,
				 why, sizeof(why));
		if (now() - t0 < best) {
			best = now() - t0;
			tq = t1 - t0;
		}
	}
	printf("binning %.4f quantiles %.4f digitize %.4f device %s\n", best, tq,
	       best - tq, device_name(dev));
	for (f = 0; f < 4; f++)
		printf("edges %d %.9g %.9g %.9g %.9g\n", f, e[f][0], e[f][1],
		       e[f][2], e[f][3]);
	free(x);
	free(bins);
	return 0;
}

static int groups(size_t n, int k, int c, const char *path)
{
	double *xy = malloc(2 * n * sizeof(double)), best = 1e9, tk = 0;
	int32_t *idx = malloc(n * (size_t)k * sizeof(int32_t));
	size_t side = (size_t)ceil(sqrt((double)n)), i, m = 0;
	char why[160];
	int run, dev = DEVICE_CPU;

	for (i = 0; i < n; i++) {
		struct rng r = rng_for(2, i);
		xy[2 * i] = (double)(i % side) + (rng_uniform(&r) - 0.5) * 0.3;
		xy[2 * i + 1] = (double)(i / side) + (rng_uniform(&r) - 0.5) * 0.3;
	}
	save(path, xy, 2 * n * sizeof(double));
	for (run = 0; run < 3; run++) {
		double t0 = now(), t1;
		int32_t *g;
		dev = knn(pref(), xy, n, k, idx, why, sizeof(why));
		t1 = now();
		g = groups_from_knn(idx, n, k, c, 1, &m, 0);
		if (now() - t0 < best) {
			best = now() - t0;
			tk = t1 - t0;
		}
		free(g);
	}
	printf("groups %.4f knn %.4f combine %.4f count %zu device %s\n", best,
	       tk, best - tk, m, device_name(dev));
	free(xy);
	free(idx);
	return 0;
}

static int volumes(int n, uint64_t nx, uint64_t ny, uint64_t nz,
		   const char *path)
{
	size_t len = (size_t)(nx * ny * nz), i;
	int16_t *ct = malloc(len * sizeof(int16_t));
	struct h5_file *f;
	struct err e;
	int c;

	if (h5_create(path, &f, &e))
		goto fail;
	for (c = 0; c < n; c++) {
		uint64_t d[3] = { nz, ny, nx };
		char name[64];
		struct rng r = rng_for(3, (uint64_t)c);
		for (i = 0; i < len; i++)
			ct[i] = (int16_t)(rng_next(&r) % 2000) - 1000;
		snprintf(name, sizeof(name), "case%d/ct", c);
		if (h5_write(f, name, H5_INT16, 3, d, ct, &e))
			goto fail;
	}
	if (h5_attr_int(f, "/", "cases", n, &e) || h5_close(f, &e))
		goto fail;
	free(ct);
	return 0;
fail:
	fprintf(stderr, "kernels_bench: %s\n", e.msg);
	free(ct);
	return 1;
}

/* Gamma of case 0 of a synth.volumes file: plan as reference. */
static int gamma_bench(const char *path, double pct, double dta,
		       double step, const char *raw)
{
	uint64_t any[3] = { H5_ANY, H5_ANY, H5_ANY }, d[3];
	/* step is the numpy baseline's lattice; cairn's search is exact. */
	struct gamma_opts o = { pct, dta, 0, 10, GAMMA_TOL, 2, 0 };
	struct gamma_grid g;
	struct gamma_result res;
	struct h5_file *f;
	struct err e;
	float *ref, *ev, *out;
	void *p;
	double best = 1e9, sx, sz;
	char why[160];
	int run, dev = DEVICE_CPU;

	(void)step;
	if (h5_open(path, &f, &e) ||
	    h5_read(f, "case0/dose_plan", H5_FLOAT32, 3, any, d, &p, &e))
		goto fail;
	ref = p;
	if (h5_read(f, "case0/dose_pred", H5_FLOAT32, 3, any, d, &p, &e) ||
	    h5_attr_get_double(f, "/", "spacing_x_mm", &sx, &e) ||
	    h5_attr_get_double(f, "/", "spacing_z_mm", &sz, &e))
		goto fail;
	ev = p;
	h5_close(f, &e);
	g.nx = (int)d[2], g.ny = (int)d[1], g.nz = (int)d[0];
	g.sx = g.sy = sx, g.sz = sz;
	out = malloc(d[0] * d[1] * d[2] * sizeof(float));
	for (run = 0; run < 3; run++) {
		double t0 = now();
		dev = gamma_index(pref(), ref, ev, &g, &o, out, &res, why,
				  sizeof(why));
		if (now() - t0 < best)
			best = now() - t0;
	}
	printf("gamma %.4f pass %.4f evaluated %llu mean %.4f device %s\n", best,
	       res.pass_rate, (unsigned long long)res.evaluated, res.mean,
	       device_name(dev));
	if (raw) {	/* the planes for the numpy side */
		FILE *w = fopen(raw, "wb");
		size_t n = d[0] * d[1] * d[2];
		if (!w || fwrite(ref, sizeof(float), n, w) != n ||
		    fwrite(ev, sizeof(float), n, w) != n || fclose(w))
			return 1;
		printf("shape %d %d %d spacing %g %g %g\n", g.nz, g.ny, g.nx, sz,
		       sx, sx);
	}
	free(ref), free(ev), free(out);
	return 0;
fail:
	fprintf(stderr, "kernels_bench: %s\n", e.msg);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "binning"))
		return binning((size_t)atoll(argv[2]), argv[3]);
	if (argc == 6 && !strcmp(argv[1], "groups"))
		return groups((size_t)atoll(argv[2]), atoi(argv[3]),
			      atoi(argv[4]), argv[5]);
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "gamma"))
		return gamma_bench(argv[2], atof(argv[3]), atof(argv[4]),
				   atof(argv[5]), argc == 7 ? argv[6] : NULL);
	if (argc == 7 && !strcmp(argv[1], "volumes"))
		return volumes(atoi(argv[2]), (uint64_t)atoll(argv[3]),
			       (uint64_t)atoll(argv[4]), (uint64_t)atoll(argv[5]),
			       argv[6]);
	fprintf(stderr, "usage: kernels_bench binning N FILE | groups N K C "
			"FILE | volumes N NX NY NZ FILE\n");
	return 2;
}
