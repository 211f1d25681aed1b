/*
 * gamma.h: the 3D gamma index of an evaluated dose against a reference.
 *
 * For each reference voxel r at or above the dose cutoff,
 *
 *   gamma(r) = min over points e of sqrt(|e - r|^2 / DTA^2
 *                                        + (D_eval(e) - D_ref(r))^2 / dD^2)
 *
 * where dD = dose_pct% of the maximum reference dose (global) or of
 * D_ref(r) (local), and e runs over a cubic lattice of step
 * step_frac * DTA centred on r, within radius * DTA, D_eval between voxel
 * centres taken by trilinear interpolation (points outside the volume are
 * not searched).  The lattice is visited nearest first and the search
 * stops once |e - r| / DTA reaches the best gamma so far, which is exact:
 * no farther point can do better.  Then the best lattice point is refined
 * by a pattern search (steps of half the lattice step, halved down to a
 * sixteenth, along each axis), so the minimum is found between lattice
 * points too.  A voxel passes when gamma <= 1.  Past
 * the radius the true gamma may be smaller than the one found, but both
 * exceed radius, so pass or fail is exact for radius >= 1.
 *
 * Reference voxels sit on the lattice of the evaluated grid (the same
 * grid), so an offset's interpolation cell and weights are the same for
 * every voxel: they are computed once per offset.
 */
#ifndef CAIRN_GAMMA_H
#define CAIRN_GAMMA_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

struct gamma_grid {
	int nx, ny, nz;		/* voxels; index (z * ny + y) * nx + x */
	double sx, sy, sz;	/* spacing, mm */
};

struct gamma_opts {
	double dose_pct;	/* 3: 3% */
	double dta_mm;		/* 3: 3 mm */
	int local;		/* 0: global normalisation */
	double cutoff_pct;	/* reference voxels below this % of the
				   maximum reference dose are not evaluated */
	double step_frac;	/* lattice step, a fraction of DTA (0.1) */
	double radius;		/* search radius, in DTA (2) */
};

struct gamma_result {
	uint64_t evaluated, passed;
	double pass_rate;	/* percent of evaluated; 100 when none */
	double mean, max;	/* over evaluated voxels */
};

/* One lattice offset: its distance term and interpolation cell. */
struct gamma_offset {
	double d2;		/* |offset|^2 / DTA^2 */
	double ox, oy, oz;	/* the offset, mm */
	int dx, dy, dz;		/* the cell's low corner, in voxels */
	int ux, uy, uz;		/* 1 where the cell extends upward, else 0 */
	double w[8];		/* trilinear weights, corner (x, y, z) bits */
};

/*
 * The lattice within the radius, nearest first (ties in a fixed order).
 * *n set; malloc'd.  NULL when o or g is unusable (non-positive sizes).
 */
struct gamma_offset *gamma_offsets(const struct gamma_grid *g,
				   const struct gamma_opts *o, size_t *n);

/*
 * Gamma of every voxel of ref against eval (both g), into out (float per
 * voxel; -1 where not evaluated), and the summary.  On all cores (threads
 * 0) or the given number: the reference implementation.
 */
void gamma_cpu(const float *ref, const float *eval, const struct gamma_grid *g,
	       const struct gamma_opts *o, float *out, struct gamma_result *res,
	       int threads);
/* Dispatched as axpy() is: DEVICE_CPU, DEVICE_CUDA, or -1 (why): cuda
 * demanded and not usable, or a grid or criteria it cannot search (a
 * spacing NaN, not above 0, or under a millionth of the search's reach;
 * no voxels). */
int gamma_index(enum device_pref pref, const float *ref, const float *eval,
		const struct gamma_grid *g, const struct gamma_opts *o,
		float *out, struct gamma_result *res, char *why, size_t whylen);

/* The summary of a gamma map (shared by the CPU and GPU paths). */
void gamma_summary(const float *out, size_t n, struct gamma_result *res);

#ifdef __cplusplus
}
#endif

#endif
