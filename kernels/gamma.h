/*
 * gamma.h: the 3D gamma index of an evaluated dose against a reference.
 *
 * For each reference voxel r at or above the dose cutoff,
 *
 *   gamma(r) = min over points e of sqrt(|e - r|^2 / DTA^2
 *                                        + (D_eval(e) - D_ref(r))^2 / dD^2)
 *
 * where dD = dose_pct% of the maximum reference dose (global) or of
 * D_ref(r) (local), e runs over the evaluated volume within radius * DTA
 * of r, and D_eval between voxel centres is trilinear (points outside the
 * volume are not searched).
 *
 * The search is a branch and bound over the trilinear cells of the
 * evaluated grid, nearest first (gamma_voxel.h).  A box of a cell has two
 * lower bounds of gamma^2 over it: its nearest point's distance term plus
 * the dose term of the gap between D_ref(r) and the box's corner doses
 * (a trilinear dose lies between them); and the exact minimum over the
 * box of the distance term plus the dose term of the box's linearisation
 * at its centre, widened by the bound on its cross terms (a convex
 * problem, solved in closed form along its piecewise linear path).  The
 * second bound's minimiser is a point of the box: its true gamma is an
 * upper bound.  A box is dropped when its lower bound reaches the best
 * gamma found less tol, else split in eight (at most GAMMA_DEPTH times).
 * So every gamma up to the radius is found within tol of the minimum,
 * and pass or fail is decided exactly: while the best found fails, a box
 * whose bound would pass is split on down to the depth limit (a cell
 * over 2^24) whatever tol says.  Past the radius a gamma is an upper
 * bound of the minimum over the whole volume, and above radius.
 *
 * Reference voxels sit on the evaluated grid (the same grid), so the
 * cells around a voxel, and their distances, are the same for every
 * voxel: they are listed once (gamma_cells).
 */
#ifndef CAIRN_GAMMA_H
#define CAIRN_GAMMA_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GAMMA_TOL 0.001		/* the search's accuracy, in gamma */
#define GAMMA_DEPTH 24		/* box splits within a cell, at most */
#define GAMMA_MAX_CELLS (1 << 22)	/* cells within the radius, at most */

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
	double tol;		/* accuracy of each gamma (GAMMA_TOL) */
	double radius;		/* search radius, in DTA (2) */
	int pass_lt;		/* 0: a voxel passes when gamma <= 1;
				   1: when gamma < 1 (pymedphys) */
};

struct gamma_result {
	uint64_t evaluated, passed;
	double pass_rate;	/* percent of evaluated; 100 when none */
	double mean, max;	/* over evaluated voxels */
	double p50, p90, p95, p99;	/* percentiles (numpy's linear rule) */
};

/* One cell of the evaluated grid near a voxel: its low corner, in voxels
 * from the voxel, and its nearest point's distance term. */
struct gamma_cell {
	double d2;		/* min |e - r|^2 / DTA^2 over the cell */
	int dx, dy, dz;
};

/*
 * The cells within the radius of a voxel, nearest first (ties in a fixed
 * order); an axis of one voxel has flat cells (dx, dy or dz 0 only).  *n
 * set; malloc'd.  NULL when o or g is unusable (non-positive sizes) or
 * the radius holds over GAMMA_MAX_CELLS cells.
 */
struct gamma_cell *gamma_cells(const struct gamma_grid *g,
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
 * no voxels; over GAMMA_MAX_CELLS cells within the radius). */
int gamma_index(enum device_pref pref, const float *ref, const float *eval,
		const struct gamma_grid *g, const struct gamma_opts *o,
		float *out, struct gamma_result *res, char *why, size_t whylen);

/* Whether a gamma passes: gamma <= 1, or gamma < 1 when pass_lt. */
static inline int gamma_passes(float gamma, int pass_lt)
{
	return pass_lt ? gamma < 1 : gamma <= 1;
}

/* The summary of a gamma map (shared by the CPU and GPU paths): pass
 * rate under the rule pass_lt, mean, max and percentiles. */
void gamma_summary(const float *out, size_t n, int pass_lt,
		   struct gamma_result *res);

#ifdef __cplusplus
}
#endif

#endif
