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

/* The evaluated dose at voxel (x, y, z) moved by (ox, oy, oz) mm, by
 * trilinear interpolation; NaN outside the volume. */
HOST_DEVICE static inline double gamma_eval_at(const struct gamma_job *j,
					       int x, int y, int z, double ox,
					       double oy, double oz)
{
	const struct gamma_grid *g = &j->grid;
	double px = x + ox / g->sx, py = y + oy / g->sy, pz = z + oz / g->sz;
	double fx, fy, fz, v = 0;
	int x0, y0, z0, c;

	if (px < 0 || py < 0 || pz < 0 || px > g->nx - 1 || py > g->ny - 1 ||
	    pz > g->nz - 1)
		return NAN;
	x0 = (int)floor(px), y0 = (int)floor(py), z0 = (int)floor(pz);
	fx = px - x0, fy = py - y0, fz = pz - z0;
	for (c = 0; c < 8; c++) {
		int xi = x0 + (c & 1), yi = y0 + (c >> 1 & 1), zi = z0 + (c >> 2);
		double w = (c & 1 ? fx : 1 - fx) * (c & 2 ? fy : 1 - fy) *
			   (c & 4 ? fz : 1 - fz);
		if (w == 0)
			continue;
		v += w * j->eval[((size_t)zi * (size_t)g->ny + (size_t)yi) *
					 (size_t)g->nx +
				 (size_t)xi];
	}
	return v;
}

/* The gamma of voxel (x, y, z). */
HOST_DEVICE static inline float gamma_voxel(const struct gamma_job *j, int x, int y,
					       int z)
{
	const struct gamma_grid *g = &j->grid;
	size_t i = ((size_t)z * (size_t)g->ny + (size_t)y) * (size_t)g->nx +
		   (size_t)x;
	size_t sy = (size_t)g->nx, sz = (size_t)g->nx * (size_t)g->ny, k;
	double dr = j->ref[i], dd, best = HUGE_VAL, bx = 0, by = 0, bz = 0, h;
	double dta2 = j->opts.dta_mm * j->opts.dta_mm;
	double r2 = j->opts.radius * j->opts.radius * dta2;
	int axis, sign, rounds;

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
		if (t < best) {
			best = t;
			bx = p->ox, by = p->oy, bz = p->oz;
		}
	}
	/* Between lattice points: a pattern search around the best one. */
	h = j->opts.step_frac * j->opts.dta_mm / 2;
	for (rounds = 0; best > 0 && rounds < 64 &&
			 h >= j->opts.step_frac * j->opts.dta_mm / 16;
	     rounds++) {
		int moved = 0;
		for (axis = 0; axis < 3; axis++)
			for (sign = -1; sign <= 1; sign += 2) {
				double cx = bx + (axis == 0 ? sign * h : 0),
				       cy = by + (axis == 1 ? sign * h : 0),
				       cz = bz + (axis == 2 ? sign * h : 0);
				double d2 = cx * cx + cy * cy + cz * cz, de, t;
				if (d2 > r2)
					continue;
				de = gamma_eval_at(j, x, y, z, cx, cy, cz);
				if (de != de)
					continue;
				t = (de - dr) / dd;
				t = d2 / dta2 + t * t;
				if (t < best) {
					best = t;
					bx = cx, by = cy, bz = cz;
					moved = 1;
				}
			}
		if (!moved)
			h /= 2;
	}
	return (float)sqrt(best);
}

#endif
