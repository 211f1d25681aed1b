/*
 * synth.volumes: CT-like cases for the dose-prediction pipelines.  Each
 * case: an int16 CT volume (HU), structure masks (PTV70, PTV56, rectum,
 * bladder, femur_l, femur_r), a planned dose in Gy (70 Gy to PTV70, 56 Gy
 * to the rest of PTV56, an exponential falloff outside), and a predicted
 * dose made from the plan with a controllable error: scale, a shift along
 * x in mm, a Gaussian blur, Gaussian noise.  Volumes are [z, y, x] with
 * the voxel spacing in attributes.  Geometry varies per case with the
 * seed; each case draws from its own generator, so the output is the same
 * for any number of threads.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "kind_versions.h"
#include "kinds.h"
#include "rng.h"
#include "util.h"

static const struct kind_setting settings[] = {
	{ "n", KIND_INT, "4", 1, 10000, NULL, "how many cases" },
	{ "nx", KIND_INT, "128", 16, 1024, NULL, "voxels along x" },
	{ "ny", KIND_INT, "128", 16, 1024, NULL, "voxels along y" },
	{ "nz", KIND_INT, "96", 8, 1024, NULL, "voxels along z (slices)" },
	{ "spacing_xy", KIND_FLOAT, "3.0", 0.1, 20, NULL, "voxel size in x and y, mm" },
	{ "spacing_z", KIND_FLOAT, "3.0", 0.1, 20, NULL, "slice thickness, mm" },
	{ "pred_scale", KIND_FLOAT, "1.0", 0, 2, NULL,
	  "predicted dose = plan times this (before the rest)" },
	{ "pred_shift_mm", KIND_FLOAT, "0.0", -100, 100, NULL,
	  "the prediction moved along x, mm" },
	{ "pred_blur_mm", KIND_FLOAT, "0.0", 0, 50, NULL,
	  "Gaussian blur of the prediction (sigma), mm" },
	{ "pred_noise_gy", KIND_FLOAT, "0.0", 0, 20, NULL,
	  "Gaussian noise on the prediction (sigma), Gy" },
	{ "seed", KIND_INT, "0", 0, 9007199254740991.0, NULL, "the seed" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "volumes",
	  "HDF5: per case caseN/ct int16 [z, y, x] (HU), caseN/masks/NAME "
	  "uint8, caseN/dose_plan and caseN/dose_pred float32 (Gy)" },
	{ NULL, NULL },
};

static const char *const structures[] = { "PTV70", "PTV56", "rectum",
					  "bladder", "femur_l", "femur_r" };
#define NSTRUCT 6

/* An axis-aligned ellipsoid (centre and radii in mm). */
struct ell {
	double c[3], r[3];
};

/* Its normalised radius at p: < 1 inside. */
static double ell_at(const struct ell *e, const double p[3])
{
	double s = 0;
	int k;

	for (k = 0; k < 3; k++) {
		double d = (p[k] - e->c[k]) / e->r[k];
		s += d * d;
	}
	return sqrt(s);
}

/* Distance outside (mm, approximately; 0 inside). */
static double ell_out(const struct ell *e, const double p[3])
{
	double q = ell_at(e, p), rm = (e->r[0] + e->r[1] + e->r[2]) / 3;

	return q <= 1 ? 0 : (q - 1) * rm;
}

struct job {
	int64_t from, to;
	int nx, ny, nz;
	double sxy, sz, scale, shift, blur, noise;
	uint64_t seed;
	size_t nvox;
	int16_t *ct;
	uint8_t *masks;		/* case, structure, voxel */
	float *plan, *pred;
};

/* Separable Gaussian blur along one axis of a [nz, ny, nx] volume. */
static void blur_axis(float *v, int nx, int ny, int nz, int axis,
		      double sigma_vox)
{
	int len = axis == 0 ? nx : axis == 1 ? ny : nz, rad, i, j, a, b;
	size_t stride = axis == 0 ? 1 : axis == 1 ? (size_t)nx
						  : (size_t)nx * (size_t)ny;
	int outer = axis == 0 ? ny * nz : axis == 1 ? nx * nz : nx * ny;
	double *w, *line;

	if (sigma_vox <= 0)
		return;
	rad = (int)ceil(3 * sigma_vox);
	w = xcalloc((size_t)(2 * rad + 1), sizeof(double));
	line = xcalloc((size_t)len, sizeof(double));
	for (i = -rad; i <= rad; i++)
		w[i + rad] = exp(-0.5 * (i / sigma_vox) * (i / sigma_vox));
	for (j = 0; j < outer; j++) {
		size_t base;
		if (axis == 0)
			base = (size_t)j * (size_t)nx;
		else if (axis == 1)
			base = (size_t)(j / nx) * (size_t)nx * (size_t)ny +
			       (size_t)(j % nx);
		else
			base = (size_t)j;
		for (a = 0; a < len; a++)
			line[a] = v[base + (size_t)a * stride];
		for (a = 0; a < len; a++) {
			double s = 0, ws = 0;
			for (b = a - rad; b <= a + rad; b++)
				if (b >= 0 && b < len) {
					s += w[b - a + rad] * line[b];
					ws += w[b - a + rad];
				}
			v[base + (size_t)a * stride] = (float)(s / ws);
		}
	}
	free(w);
	free(line);
}

static void one_case(const struct job *j, int64_t c)
{
	struct rng r = rng_for(j->seed, (uint64_t)(c + 1));
	double cx = j->nx * j->sxy / 2, cy = j->ny * j->sxy / 2,
	       cz = j->nz * j->sz / 2, sigma = 12.0;
	struct ell body = { { cx, cy, cz },
			    { cx * (0.82 + 0.06 * rng_uniform(&r)),
			      cy * (0.62 + 0.06 * rng_uniform(&r)), 1e9 } };
	struct ell p70 = { { cx + 6 * rng_normal(&r), cy + 4 * rng_normal(&r),
			     cz + 6 * rng_normal(&r) },
			   { 22 + 4 * rng_uniform(&r), 18 + 4 * rng_uniform(&r),
			     20 + 4 * rng_uniform(&r) } };
	struct ell p56 = { { p70.c[0], p70.c[1], p70.c[2] },
			   { p70.r[0] + 10, p70.r[1] + 10, p70.r[2] + 12 } };
	struct ell rect = { { p70.c[0], p70.c[1] + p70.r[1] + 12, p70.c[2] },
			    { 14, 12, 45 } };
	struct ell blad = { { p70.c[0], p70.c[1] - p70.r[1] - 18,
			      p70.c[2] + 20 },
			    { 35 + 8 * rng_uniform(&r), 28, 30 } };
	struct ell fl = { { cx - cx * 0.55, cy, cz }, { 20, 20, 1e9 } };
	struct ell fr = { { cx + cx * 0.55, cy, cz }, { 20, 20, 1e9 } };
	const struct ell *st[NSTRUCT] = { &p70, &p56, &rect, &blad, &fl, &fr };
	int16_t *ct = j->ct + (size_t)c * j->nvox;
	float *plan = j->plan + (size_t)c * j->nvox;
	float *pred = j->pred + (size_t)c * j->nvox;
	uint8_t *m = j->masks + (size_t)c * NSTRUCT * j->nvox;
	int x, y, z, k;
	size_t v = 0;

	for (z = 0; z < j->nz; z++)
		for (y = 0; y < j->ny; y++)
			for (x = 0; x < j->nx; x++, v++) {
				double p[3] = { (x + 0.5) * j->sxy,
						(y + 0.5) * j->sxy,
						(z + 0.5) * j->sz };
				double q[2] = { (p[0] - body.c[0]) / body.r[0],
						(p[1] - body.c[1]) / body.r[1] };
				int in_body = q[0] * q[0] + q[1] * q[1] < 1;
				double hu = in_body ? 40 : -1000, d;

				for (k = 0; k < NSTRUCT; k++) {
					int in = in_body && ell_at(st[k], p) < 1;
					m[(size_t)k * j->nvox + v] = (uint8_t)in;
				}
				if (m[3 * j->nvox + v])
					hu = 10;	/* bladder: fluid */
				if (m[2 * j->nvox + v])
					hu = -80;	/* rectum: some gas */
				if (m[4 * j->nvox + v] || m[5 * j->nvox + v])
					hu = 700;	/* femurs: bone */
				ct[v] = (int16_t)(hu + (in_body ? 8 * rng_normal(&r)
								: 0));
				d = fmax(70 * exp(-ell_out(&p70, p) / sigma),
					 56 * exp(-ell_out(&p56, p) / sigma));
				plan[v] = in_body ? (float)d : 0;
			}
	/* The prediction: scale, shift along x, blur, noise. */
	{
		double sh = j->shift / j->sxy;
		for (z = 0; z < j->nz; z++)
			for (y = 0; y < j->ny; y++)
				for (x = 0; x < j->nx; x++) {
					double src = x - sh;
					int x0 = (int)floor(src);
					double t = src - x0, a = 0, b = 0;
					size_t row = ((size_t)z * (size_t)j->ny +
						      (size_t)y) *
						     (size_t)j->nx;
					if (x0 >= 0 && x0 < j->nx)
						a = plan[row + (size_t)x0];
					if (x0 + 1 >= 0 && x0 + 1 < j->nx)
						b = plan[row + (size_t)x0 + 1];
					pred[row + (size_t)x] =
						(float)(j->scale * (a * (1 - t) +
								    b * t));
				}
		blur_axis(pred, j->nx, j->ny, j->nz, 0, j->blur / j->sxy);
		blur_axis(pred, j->nx, j->ny, j->nz, 1, j->blur / j->sxy);
		blur_axis(pred, j->nx, j->ny, j->nz, 2, j->blur / j->sz);
		if (j->noise > 0)
			for (v = 0; v < j->nvox; v++)
				pred[v] = (float)fmax(0, pred[v] +
							  j->noise * rng_normal(&r));
	}
}

static void *cases(void *arg)
{
	const struct job *j = arg;
	int64_t c;

	for (c = j->from; c < j->to; c++)
		one_case(j, c);
	return NULL;
}

#define MAX_VOXELS (1ll << 30)	/* over all cases: 16 bytes each in memory */

/* The settings together: the cases' voxels fit MAX_VOXELS. */
static int check(const struct kind_run *r, struct buf *why)
{
	int64_t v = kind_int(r, "n") * kind_int(r, "nx") * kind_int(r, "ny") *
		    kind_int(r, "nz");

	if (v > MAX_VOXELS) {
		buf_addf(why, "kind 'synth.volumes': n x nx x ny x nz = %lld "
			      "voxels, over 2^30: fewer or smaller cases",
			 (long long)v);
		return -1;
	}
	return 0;
}

static int run(const struct kind_run *r, struct err *err)
{
	struct job j, parts[64];
	pthread_t t[64];
	int started[64] = { 0 }, nt = r->threads > 64 ? 64 : r->threads, k;
	int64_t n = kind_int(r, "n"), c;
	struct h5_file *f = NULL;
	char path[96];
	int rc;

	if (kind_check_run(r, err))
		return -1;
	memset(&j, 0, sizeof(j));
	j.nx = (int)kind_int(r, "nx");
	j.ny = (int)kind_int(r, "ny");
	j.nz = (int)kind_int(r, "nz");
	j.sxy = kind_float(r, "spacing_xy");
	j.sz = kind_float(r, "spacing_z");
	j.scale = kind_float(r, "pred_scale");
	j.shift = kind_float(r, "pred_shift_mm");
	j.blur = kind_float(r, "pred_blur_mm");
	j.noise = kind_float(r, "pred_noise_gy");
	j.seed = (uint64_t)kind_int(r, "seed");
	j.nvox = (size_t)j.nx * (size_t)j.ny * (size_t)j.nz;
	j.ct = xcalloc((size_t)n * j.nvox, sizeof(int16_t));
	j.masks = xcalloc((size_t)n * NSTRUCT * j.nvox, 1);
	j.plan = xcalloc((size_t)n * j.nvox, sizeof(float));
	j.pred = xcalloc((size_t)n * j.nvox, sizeof(float));
	if (nt < 1)
		nt = 1;
	if (nt > n)
		nt = (int)n;
	for (k = 0; k < nt; k++) {
		parts[k] = j;
		parts[k].from = n * k / nt;
		parts[k].to = n * (k + 1) / nt;
	}
	for (k = 1; k < nt; k++)
		started[k] = pthread_create(&t[k], NULL, cases, &parts[k]) == 0;
	cases(&parts[0]);
	for (k = 1; k < nt; k++)
		if (started[k])
			pthread_join(t[k], NULL);
		else
			cases(&parts[k]);
	rc = h5_create(r->outputs[0], &f, err);
	for (c = 0; c < n && !rc; c++) {
		uint64_t d[3] = { (uint64_t)j.nz, (uint64_t)j.ny, (uint64_t)j.nx };
		snprintf(path, sizeof(path), "case%lld/ct", (long long)c);
		rc = h5_write(f, path, H5_INT16, 3, d, j.ct + (size_t)c * j.nvox,
			      err);
		for (k = 0; k < NSTRUCT && !rc; k++) {
			snprintf(path, sizeof(path), "case%lld/masks/%s",
				 (long long)c, structures[k]);
			rc = h5_write(f, path, H5_UINT8, 3, d,
				      j.masks + ((size_t)c * NSTRUCT + (size_t)k) *
							j.nvox,
				      err);
		}
		snprintf(path, sizeof(path), "case%lld/dose_plan", (long long)c);
		if (!rc)
			rc = h5_write(f, path, H5_FLOAT32, 3, d,
				      j.plan + (size_t)c * j.nvox, err);
		snprintf(path, sizeof(path), "case%lld/dose_pred", (long long)c);
		if (!rc)
			rc = h5_write(f, path, H5_FLOAT32, 3, d,
				      j.pred + (size_t)c * j.nvox, err);
	}
	if (!rc)
		rc = h5_attr_string(f, "/", "kind", "synth.volumes", err) ||
		     h5_attr_int(f, "/", "cases", n, err) ||
		     h5_attr_double(f, "/", "spacing_x_mm", j.sxy, err) ||
		     h5_attr_double(f, "/", "spacing_y_mm", j.sxy, err) ||
		     h5_attr_double(f, "/", "spacing_z_mm", j.sz, err) ||
		     h5_attr_double(f, "/", "pred_scale", j.scale, err) ||
		     h5_attr_double(f, "/", "pred_shift_mm", j.shift, err) ||
		     h5_attr_double(f, "/", "pred_blur_mm", j.blur, err) ||
		     h5_attr_double(f, "/", "pred_noise_gy", j.noise, err) ||
		     h5_attr_int(f, "/", "seed", (int64_t)j.seed, err);
	rc = h5_finish(NULL, f, rc, err);
	free(j.ct);
	free(j.masks);
	free(j.plan);
	free(j.pred);
	return rc ? -1 : 0;
}

const struct stage_kind kind_synth_volumes = {
	.name = "synth.volumes",
	.summary = "CT-like cases: volume, structure masks, planned and "
		   "predicted dose",
	.doc = "N cases of an int16 CT volume (HU) with structures PTV70, "
	       "PTV56, rectum,\nbladder, femur_l, femur_r (uint8 masks), a "
	       "planned dose in Gy (70 Gy in\nPTV70, 56 Gy in the rest of "
	       "PTV56, falling off exponentially outside,\n12 mm), and a "
	       "predicted dose: the plan scaled, shifted along x, blurred\nand "
	       "noised as set. Volumes are [z, y, x]; the spacing is in the "
	       "root\nattributes. Cases are made on all cores, each from its "
	       "own generator.",
	.settings = settings,
	.inputs = NULL,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_synth_volumes,
	.sources = KIND_SOURCES_synth_volumes,
	.check = check,
};
