/*
 * gamma_voxel.h: one voxel's gamma search, the same code on the CPU and
 * the GPU (compiled there without fused multiply-adds), so both give the
 * same values.  See gamma.h for the definition and the method.
 *
 * Coordinates are in voxels from the reference voxel r; the distance term
 * of a point q is sum alpha_k q_k^2 (alpha_k = spacing_k^2 / DTA^2), its
 * dose term beta (T(q) - D_ref(r))^2 (beta = 1 / dD^2), T trilinear.
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
	const struct gamma_cell *cells;
	size_t ncells;
	double cutoff, norm;	/* dose cutoff; global dD */
	float *out;
};

/* A box of a cell: its centre in the cell's coordinates [0, 1]^3 and how
 * often the cell was halved to make it. */
struct gamma_box {
	double c[3];
	int level;
};

/* What the search of one voxel holds. */
struct gamma_state {
	double alpha[3], beta, dr;	/* the terms; D_ref(r) */
	double best;			/* the least gamma^2 found */
	double r2, tol;			/* radius^2; accuracy */
	int pass_lt;
};

/* The dose of a cell as a0 + a1 u + a2 v + a3 w + a12 uv + a13 uw
 * + a23 vw + a123 uvw, u, v, w in [0, 1]. */
struct gamma_tri {
	double a0, a1, a2, a3, a12, a13, a23, a123;
};

HOST_DEVICE static inline double gamma_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Whether a box whose gamma^2 is at least lb can be dropped: it cannot
 * improve the best by tol (below the radius), nor turn a failing voxel
 * into a passing one. */
HOST_DEVICE static inline int gamma_drop(const struct gamma_state *s, double lb)
{
	double cap = sqrt(s->best < s->r2 ? s->best : s->r2) - s->tol;
	float g = (float)sqrt(s->best);

	if (s->pass_lt ? g >= 1 && lb < 1 : g > 1 && lb <= 1)
		return 0;
	return cap <= 0 || lb >= cap * cap;
}

/*
 * One box of the cell whose low corner is d (voxels from r), half sizes
 * h[3] (0 along a flat axis): improves s->best by the box's point nearest
 * the relaxation's minimiser; whether the box must be split.
 */
HOST_DEVICE static inline int gamma_box_visit(struct gamma_state *s,
					      const struct gamma_tri *a,
					      const int *d, const double *c,
					      const double *h)
{
	double t0, t[3], t12, t13, t23, eps, lo[3], hi[3], m[3], q[3];
	double tmin = HUGE_VAL, tmax = -HUGE_VAL, dist0 = 0, gap, lb, lb2;
	double sgn, g[3], bp[6], mu = 0, sv, w, tq;
	int k, nb = 0, i, j;

	t0 = a->a0 + a->a1 * c[0] + a->a2 * c[1] + a->a3 * c[2] +
	     a->a12 * c[0] * c[1] + a->a13 * c[0] * c[2] +
	     a->a23 * c[1] * c[2] + a->a123 * c[0] * c[1] * c[2];
	t[0] = a->a1 + a->a12 * c[1] + a->a13 * c[2] + a->a123 * c[1] * c[2];
	t[1] = a->a2 + a->a12 * c[0] + a->a23 * c[2] + a->a123 * c[0] * c[2];
	t[2] = a->a3 + a->a13 * c[0] + a->a23 * c[1] + a->a123 * c[0] * c[1];
	t12 = a->a12 + a->a123 * c[2];
	t13 = a->a13 + a->a123 * c[1];
	t23 = a->a23 + a->a123 * c[0];
	eps = fabs(t12) * h[0] * h[1] + fabs(t13) * h[0] * h[2] +
	      fabs(t23) * h[1] * h[2] + fabs(a->a123) * h[0] * h[1] * h[2];
	/* The corner doses bound a trilinear dose over the box. */
	for (i = 0; i < 8; i++) {
		double x = i & 1 ? h[0] : -h[0], y = i & 2 ? h[1] : -h[1],
		       z = i & 4 ? h[2] : -h[2];
		double v = t0 + t[0] * x + t[1] * y + t[2] * z + t12 * x * y +
			   t13 * x * z + t23 * y * z + a->a123 * x * y * z;
		tmin = v < tmin ? v : tmin;
		tmax = v > tmax ? v : tmax;
	}
	for (k = 0; k < 3; k++) {
		m[k] = d[k] + c[k];
		lo[k] = m[k] - h[k], hi[k] = m[k] + h[k];
		q[k] = gamma_clamp(0, lo[k], hi[k]);
		dist0 += s->alpha[k] * q[k] * q[k];
	}
	gap = s->dr < tmin ? tmin - s->dr : s->dr > tmax ? s->dr - tmax : 0;
	lb = dist0 + s->beta * gap * gap;
	if (gamma_drop(s, lb))
		return 0;
	/* The relaxation: minimise sum alpha q^2 + beta (|L(q)| - eps)+^2
	 * over the box, L the linearisation less D_ref(r).  With S = sgn L
	 * decreasing along the path q_k(mu) = clamp(-mu g_k / alpha_k), the
	 * minimiser is where mu = beta (S - eps): G(mu) = mu - beta (S(mu)
	 * - eps) rises, and is linear between the clamps' breakpoints. */
	sv = t0 - s->dr;
	for (k = 0; k < 3; k++)
		sv += t[k] * (q[k] - m[k]);
	if (fabs(sv) > eps) {
		double ga, gb, ma = 0;
		sgn = sv > 0 ? 1 : -1;
		for (k = 0; k < 3; k++) {
			g[k] = sgn * t[k];
			if (g[k] == 0 || h[k] == 0)
				continue;
			w = -s->alpha[k] / g[k];
			if (lo[k] * w > 0)
				bp[nb++] = lo[k] * w;
			if (hi[k] * w > 0)
				bp[nb++] = hi[k] * w;
		}
		for (i = 1; i < nb; i++)
			for (j = i; j > 0 && bp[j - 1] > bp[j]; j--)
				w = bp[j], bp[j] = bp[j - 1], bp[j - 1] = w;
		/* S at mu, G at mu, walking the segments. */
		ga = -s->beta * (fabs(sv) - eps);
		for (i = 0; i <= nb; i++) {
			double mb, sb;
			if (i == nb) {	/* past every clamp: S is constant */
				sb = sgn * (t0 - s->dr);
				for (k = 0; k < 3; k++)
					sb += g[k] * (gamma_clamp(-ma * g[k] /
								   s->alpha[k],
								   lo[k], hi[k]) -
						      m[k]);
				mu = s->beta * (sb - eps);
				break;
			}
			mb = bp[i];
			sb = sgn * (t0 - s->dr);
			for (k = 0; k < 3; k++)
				sb += g[k] * (gamma_clamp(-mb * g[k] / s->alpha[k],
							  lo[k], hi[k]) -
					      m[k]);
			gb = mb - s->beta * (sb - eps);
			if (gb >= 0) {
				mu = gb > ga ? ma - ga * (mb - ma) / (gb - ga) : mb;
				break;
			}
			ma = mb, ga = gb;
		}
		if (mu < 0)
			mu = 0;
		for (k = 0; k < 3; k++)
			q[k] = gamma_clamp(-mu * g[k] / s->alpha[k], lo[k], hi[k]);
	}
	sv = t0 - s->dr;
	dist0 = 0;
	for (k = 0; k < 3; k++) {
		sv += t[k] * (q[k] - m[k]);
		dist0 += s->alpha[k] * q[k] * q[k];
	}
	w = fabs(sv) - eps;
	lb2 = dist0 + (w > 0 ? s->beta * w * w : 0);
	if (lb2 > lb)
		lb = lb2;
	/* The minimiser is a point of the box: its true gamma^2. */
	{
		double x = q[0] - m[0], y = q[1] - m[1], z = q[2] - m[2];
		tq = t0 + t[0] * x + t[1] * y + t[2] * z + t12 * x * y +
		     t13 * x * z + t23 * y * z + a->a123 * x * y * z - s->dr;
		tq = dist0 + s->beta * tq * tq;
		if (tq < s->best)
			s->best = tq;
	}
	return !gamma_drop(s, lb);
}

/* Search the cell whose low corner is d voxels from r, the dose at its
 * corners e[8] (bits x, y, z); flat[k]: the axis has one voxel. */
HOST_DEVICE static inline void gamma_cell_search(struct gamma_state *s,
						 const int *d, const double *e,
						 const int *flat)
{
	struct gamma_box stack[7 * GAMMA_DEPTH + 8];
	struct gamma_tri a;
	int sp = 0, k;

	a.a0 = e[0];
	a.a1 = e[1] - e[0], a.a2 = e[2] - e[0], a.a3 = e[4] - e[0];
	a.a12 = e[3] - e[1] - e[2] + e[0];
	a.a13 = e[5] - e[1] - e[4] + e[0];
	a.a23 = e[6] - e[2] - e[4] + e[0];
	a.a123 = e[7] - e[3] - e[5] - e[6] + e[1] + e[2] + e[4] - e[0];
	for (k = 0; k < 3; k++)
		stack[0].c[k] = flat[k] ? 0 : 0.5;
	stack[0].level = 0;
	sp = 1;
	while (sp > 0) {
		struct gamma_box b = stack[--sp];
		double h = ldexp(1.0, -(b.level + 1)), hv[3];
		int i;
		for (k = 0; k < 3; k++)
			hv[k] = flat[k] ? 0 : h;
		if (!gamma_box_visit(s, &a, d, b.c, hv) || b.level == GAMMA_DEPTH)
			continue;
		/* Eight halves (fewer along flat axes). */
		for (i = 0; i < 8; i++) {
			struct gamma_box *n;
			if ((i & 1 && flat[0]) || (i & 2 && flat[1]) ||
			    (i & 4 && flat[2]))
				continue;
			n = &stack[sp++];
			for (k = 0; k < 3; k++)
				n->c[k] = flat[k] ? 0
						  : b.c[k] + (i >> k & 1 ? h : -h) / 2;
			n->level = b.level + 1;
		}
	}
}

/* The gamma of voxel (x, y, z). */
HOST_DEVICE static inline float gamma_voxel(const struct gamma_job *j, int x, int y,
					       int z)
{
	const struct gamma_grid *g = &j->grid;
	size_t i = ((size_t)z * (size_t)g->ny + (size_t)y) * (size_t)g->nx +
		   (size_t)x;
	int n[3] = { g->nx, g->ny, g->nz }, p[3] = { x, y, z }, flat[3], k;
	double sp[3] = { g->sx, g->sy, g->sz }, dd, t;
	struct gamma_state s;
	size_t c;

	s.dr = j->ref[i];
	if (s.dr < j->cutoff)
		return -1;
	dd = j->opts.local ? s.dr * j->opts.dose_pct / 100 : j->norm;
	for (k = 0; k < 3; k++) {
		s.alpha[k] = sp[k] * sp[k] / (j->opts.dta_mm * j->opts.dta_mm);
		flat[k] = n[k] == 1;
	}
	s.beta = 1 / (dd * dd);
	s.r2 = j->opts.radius * j->opts.radius;
	s.tol = j->opts.tol;
	s.pass_lt = j->opts.pass_lt;
	t = j->eval[i] - s.dr;
	s.best = s.beta * t * t;	/* the voxel itself */
	for (c = 0; c < j->ncells && s.best > 0; c++) {
		const struct gamma_cell *cl = &j->cells[c];
		int d[3] = { cl->dx, cl->dy, cl->dz }, lo[3], v;
		double e[8];
		if (gamma_drop(&s, cl->d2))
			break;	/* nearest first: no farther cell can do */
		for (k = 0; k < 3; k++) {
			lo[k] = p[k] + d[k];
			if (lo[k] < 0 || lo[k] + !flat[k] >= n[k])
				break;
		}
		if (k < 3)
			continue;	/* outside the volume */
		for (v = 0; v < 8; v++) {
			size_t xi = (size_t)(lo[0] + (v & 1 && !flat[0])),
			       yi = (size_t)(lo[1] + (v & 2 && !flat[1])),
			       zi = (size_t)(lo[2] + (v & 4 && !flat[2]));
			e[v] = j->eval[(zi * (size_t)g->ny + yi) * (size_t)g->nx +
				       xi];
		}
		gamma_cell_search(&s, d, e, flat);
	}
	return (float)sqrt(s.best);
}

#endif
