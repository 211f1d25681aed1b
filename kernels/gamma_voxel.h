/*
 * gamma_voxel.h: one voxel's gamma search, the same code on the CPU and
 * the GPU (compiled there without fused multiply-adds), so both give the
 * same values.  See gamma.h for the definition.
 */
#ifndef CAIRN_GAMMA_VOXEL_H
#define CAIRN_GAMMA_VOXEL_H

#include <math.h>
#include <stddef.h>

#include "gamma.h"
#include "hostdev.h"

struct gamma_job {
	const float *ref, *eval;
	struct gamma_grid grid;		/* by value: the GPU gets a copy */
	struct gamma_opts opts;
	const struct gamma_offset *off;
	size_t noff;
	double cutoff, norm;	/* dose cutoff; global dD */
	float *out;
};

/* The gamma of voxel (x, y, z). */
HOST_DEVICE static inline float gamma_voxel(const struct gamma_job *j, int x, int y,
					       int z)
{
	const struct gamma_grid *g = &j->grid;
	size_t i = ((size_t)z * (size_t)g->ny + (size_t)y) * (size_t)g->nx +
		   (size_t)x;
	size_t sy = (size_t)g->nx, sz = (size_t)g->nx * (size_t)g->ny, k;
	double dr = j->ref[i], dd, best = HUGE_VAL;

	if (dr < j->cutoff)
		return -1;
	dd = j->opts.local ? dr * j->opts.dose_pct / 100 : j->norm;
	for (k = 0; k < j->noff; k++) {
		const struct gamma_offset *p = &j->off[k];
		int cx = x + p->dx, cy = y + p->dy, cz = z + p->dz;
		const float *e;
		double de, t;
		if (p->d2 >= best)
			break;
		if (cx < 0 || cy < 0 || cz < 0 || cx + p->ux >= g->nx ||
		    cy + p->uy >= g->ny || cz + p->uz >= g->nz)
			continue;
		e = j->eval + (size_t)cz * sz + (size_t)cy * sy + (size_t)cx;
		de = p->w[0] * e[0] + p->w[1] * e[p->ux] +
		     p->w[2] * e[p->uy * sy] + p->w[3] * e[p->ux + p->uy * sy] +
		     p->w[4] * e[p->uz * sz] + p->w[5] * e[p->ux + p->uz * sz] +
		     p->w[6] * e[p->uy * sy + p->uz * sz] +
		     p->w[7] * e[p->ux + p->uy * sy + p->uz * sz];
		t = (de - dr) / dd;
		t = p->d2 + t * t;
		if (t < best)
			best = t;
	}
	return (float)sqrt(best);
}

#endif
