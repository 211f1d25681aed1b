#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda.h"
#include "parallel.h"
#include "quantile.h"
#include "util.h"

static const int pass_shift[3] = { 21, 10, 0 }, pass_bits[3] = { 11, 11, 10 };

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The slot of prefix v among the np sorted prefixes u. */
static int find_prefix(const uint32_t *u, int np, uint32_t v)
{
	int lo = 0, hi = np - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (u[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int radix_select(radix_count_fn count, void *ctx, size_t n,
		 const uint64_t *ranks, int nr, uint32_t *keys, char *why,
		 size_t whylen)
{
	uint32_t *pre = xcalloc((size_t)nr, sizeof(uint32_t));
	uint32_t *u = xcalloc((size_t)nr, sizeof(uint32_t));
	uint64_t *rem = xcalloc((size_t)nr, sizeof(uint64_t));
	int32_t top[RADIX_TOP];
	int level, i, rc = 0;

	for (i = 0; i < nr; i++) {
		if (ranks[i] >= n)
			BUG("rank %llu of %zu keys", (unsigned long long)ranks[i],
			    n);
		rem[i] = ranks[i];
	}
	for (level = 0; level < 3 && !rc; level++) {
		struct radix_pass p;
		uint64_t *hist;
		int np = 0, s;

		memcpy(u, pre, (size_t)nr * sizeof(uint32_t));
		qsort(u, (size_t)nr, sizeof(uint32_t), cmp_u32);
		for (i = 0; i < nr; i++)
			if (!np || u[np - 1] != u[i])
				u[np++] = u[i];
		for (i = 0; i < RADIX_TOP; i++)
			top[i] = -1;
		for (s = np - 1; s >= 0; s--)
			top[level == 2 ? u[s] >> 11 : u[s] & (RADIX_TOP - 1)] = s;
		p.level = level;
		p.shift = pass_shift[level];
		p.bits = pass_bits[level];
		p.np = np;
		p.prefix = u;
		p.top = top;
		hist = xcalloc((size_t)np << p.bits, sizeof(uint64_t));
		if ((rc = count(ctx, &p, hist, why, whylen)) == 0)
			for (i = 0; i < nr; i++) {
				const uint64_t *h = hist + ((size_t)find_prefix(
						    u, np, pre[i]) << p.bits);
				uint32_t d = 0;
				while (d + 1 < (1u << p.bits) && rem[i] >= h[d])
					rem[i] -= h[d++];
				pre[i] = pre[i] << p.bits | d;
			}
		free(hist);
	}
	if (!rc)
		memcpy(keys, pre, (size_t)nr * sizeof(uint32_t));
	free(pre);
	free(u);
	free(rem);
	return rc ? -1 : 0;
}

int quantiles_with(rank_select_fn select, void *ctx, size_t n,
		   const double *q, int nq, double *out, char *why,
		   size_t whylen)
{
	uint64_t *ranks = xcalloc(2 * (size_t)nq, sizeof(uint64_t));
	uint32_t *keys = xcalloc(2 * (size_t)nq, sizeof(uint32_t));
	double *h = xcalloc((size_t)nq, sizeof(double));
	int i, rc;

	for (i = 0; i < nq; i++) {
		double lo;
		h[i] = q[i] * (double)(n - 1);
		lo = floor(h[i]);
		ranks[2 * i] = (uint64_t)lo;
		ranks[2 * i + 1] = (uint64_t)lo + 1 < n ? (uint64_t)lo + 1
							: (uint64_t)lo;
	}
	rc = select(ctx, n, ranks, 2 * nq, keys, why, whylen);
	for (i = 0; i < nq && !rc; i++) {
		double a = key_float(keys[2 * i]), b = key_float(keys[2 * i + 1]);
		double t = h[i] - (double)ranks[2 * i];
		out[i] = a == b ? a : a + t * (b - a);
	}
	free(ranks);
	free(keys);
	free(h);
	return rc;
}

/* ---- the CPU counter ---- */

struct cpu_count {
	const float *x;
	const struct radix_pass *p;
	uint32_t *hists;	/* a histogram per thread */
	size_t len;		/* entries in each */
};

static void count_part(void *arg, size_t from, size_t to, int t)
{
	const struct cpu_count *c = arg;
	const struct radix_pass *p = c->p;
	uint32_t *h = c->hists + (size_t)t * c->len, mask = (1u << p->bits) - 1;
	size_t i;

	if (p->level == 0) {
		for (i = from; i < to; i++)
			h[float_key(c->x[i]) >> 21]++;
		return;
	}
	for (i = from; i < to; i++) {
		uint32_t k = float_key(c->x[i]);
		int s;
		if (p->top[k >> 21] < 0)
			continue;
		if ((s = radix_slot(p, k)) >= 0)
			h[(size_t)s << p->bits | ((k >> p->shift) & mask)]++;
	}
}

struct cpu_ctx {
	const float *x;
	size_t n;
	int threads;
};

enum { MIN_PER_THREAD = 1 << 16 };

static int count_cpu(void *ctx, const struct radix_pass *p, uint64_t *hist,
		     char *why, size_t whylen)
{
	const struct cpu_ctx *cc = ctx;
	struct cpu_count c;
	size_t i;
	int nt = parallel_threads(cc->threads, cc->n, MIN_PER_THREAD), t;

	(void)why, (void)whylen;
	c.x = cc->x;
	c.p = p;
	c.len = (size_t)p->np << p->bits;
	c.hists = xcalloc((size_t)nt * c.len, sizeof(uint32_t));
	nt = parallel_for(nt, cc->n, MIN_PER_THREAD, count_part, &c);
	for (t = 0; t < nt; t++)
		for (i = 0; i < c.len; i++)
			hist[i] += c.hists[(size_t)t * c.len + i];
	free(c.hists);
	return 0;
}

/*
 * The CPU's faster route to the same exact keys, in two passes over the
 * data: count the keys' high 16 bits (a histogram per thread, 256 KiB:
 * it stays in cache), then copy the low 16 bits of the keys whose high
 * half holds a wanted rank into one array per such bucket (the counts
 * give every thread its place), and finish each rank by counting within
 * its bucket.  Selection is exact, so the keys equal radix_select's.
 */
enum { HALF = 1 << 16 };

struct fast {
	const float *x;
	uint32_t *hists;	/* HALF per thread */
	const int32_t *slot;	/* bucket -> slot, or -1 */
	uint16_t **low;		/* per slot: the gathered low halves */
	size_t **at;		/* per slot: per thread, the next place */
};

static void high_part(void *ctx, size_t from, size_t to, int t)
{
	const struct fast *f = ctx;
	uint32_t *h = f->hists + (size_t)t * HALF;
	size_t i;

	for (i = from; i < to; i++)
		h[float_key(f->x[i]) >> 16]++;
}

static void gather_part(void *ctx, size_t from, size_t to, int t)
{
	const struct fast *f = ctx;
	size_t i;

	for (i = from; i < to; i++) {
		uint32_t k = float_key(f->x[i]);
		int32_t s = f->slot[k >> 16];
		if (s >= 0)
			f->low[s][f->at[s][t]++] = (uint16_t)k;
	}
}

static int select_cpu(void *ctx, size_t n, const uint64_t *ranks, int nr,
		      uint32_t *keys, char *why, size_t whylen)
{
	const float *x = ((const struct cpu_ctx *)ctx)->x;
	int threads = ((const struct cpu_ctx *)ctx)->threads;
	struct fast f;
	uint64_t *cum = xcalloc(HALF + 1, sizeof(uint64_t)), *rem, *lowh;
	int32_t *slot = xcalloc(HALF, sizeof(int32_t));
	uint32_t *bucket = xcalloc((size_t)nr, sizeof(uint32_t));
	int nt = parallel_threads(threads, n, MIN_PER_THREAD), t, i, ns = 0;
	size_t b;

	f.x = x;
	f.hists = xcalloc((size_t)nt * HALF, sizeof(uint32_t));
	nt = parallel_for(nt, n, MIN_PER_THREAD, high_part, &f);
	for (t = 0; t < nt; t++)
		for (b = 0; b < HALF; b++)
			cum[b + 1] += f.hists[(size_t)t * HALF + b];
	for (b = 0; b < HALF; b++) {
		cum[b + 1] += cum[b];
		slot[b] = -1;
	}
	/* Each rank's bucket: the last b with cum[b] <= rank. */
	rem = xcalloc((size_t)nr, sizeof(uint64_t));
	for (i = 0; i < nr; i++) {
		size_t lo = 0, hi = HALF - 1;
		while (lo < hi) {
			size_t mid = (lo + hi + 1) / 2;
			if (cum[mid] <= ranks[i])
				lo = mid;
			else
				hi = mid - 1;
		}
		bucket[i] = (uint32_t)lo;
		rem[i] = ranks[i] - cum[lo];
		if (slot[lo] < 0)
			slot[lo] = ns++;
	}
	f.slot = slot;
	f.low = xcalloc((size_t)ns, sizeof(uint16_t *));
	f.at = xcalloc((size_t)ns, sizeof(size_t *));
	for (b = 0; b < HALF; b++) {
		size_t off = 0;
		int32_t s = slot[b];
		if (s < 0)
			continue;
		f.low[s] = xcalloc(cum[b + 1] - cum[b] + 1, sizeof(uint16_t));
		f.at[s] = xcalloc((size_t)nt, sizeof(size_t));
		for (t = 0; t < nt; t++) {
			f.at[s][t] = off;
			off += f.hists[(size_t)t * HALF + b];
		}
	}
	parallel_for(nt, n, MIN_PER_THREAD, gather_part, &f);
	lowh = xcalloc(HALF, sizeof(uint64_t));
	for (i = 0; i < nr; i++) {
		uint32_t bk = bucket[i], d = 0;
		int32_t s = slot[bk];
		size_t m = cum[bk + 1] - cum[bk], j;
		uint64_t r = rem[i];

		memset(lowh, 0, HALF * sizeof(uint64_t));
		for (j = 0; j < m; j++)
			lowh[f.low[s][j]]++;
		while (r >= lowh[d])
			r -= lowh[d++];
		keys[i] = bk << 16 | d;
	}
	for (i = 0; i < ns; i++) {
		free(f.low[i]);
		free(f.at[i]);
	}
	free(f.low);
	free(f.at);
	free(f.hists);
	free(lowh);
	free(cum);
	free(slot);
	free(bucket);
	free(rem);
	(void)why, (void)whylen;
	return 0;
}

static int select_passes(void *ctx, size_t n, const uint64_t *ranks, int nr,
			 uint32_t *keys, char *why, size_t whylen)
{
	return radix_select(count_cpu, ctx, n, ranks, nr, keys, why, whylen);
}

void quantiles_cpu(const float *x, size_t n, const double *q, int nq,
		   double *out, int threads)
{
	struct cpu_ctx c = { x, n, threads };
	char why[8];

	if (quantiles_with(select_cpu, &c, n, q, nq, out, why, sizeof(why)))
		BUG("the CPU selection cannot fail");
}

/* radix_select's counting passes on the CPU: the slower, simpler route,
 * kept as a second reference for the GPU's (unit.kernels). */
void quantiles_cpu_passes(const float *x, size_t n, const double *q, int nq,
			  double *out, int threads)
{
	struct cpu_ctx c = { x, n, threads };
	char why[8];

	if (quantiles_with(select_passes, &c, n, q, nq, out, why, sizeof(why)))
		BUG("the CPU counter cannot fail");
}

int quantiles(enum device_pref pref, const float *x, size_t n,
	      const double *q, int nq, double *out, char *why, size_t whylen)
{
	char reason[160] = "";

	if (device_try_cuda(pref, reason, sizeof(reason))) {
#ifdef CAIRN_HAVE_CUDA
		if (cuda_quantiles(x, n, q, nq, out, reason, sizeof(reason)) ==
		    0)
			return DEVICE_CUDA;
#endif
	}
	if (device_fallback(pref, reason, why, whylen) < 0)
		return -1;
	quantiles_cpu(x, n, q, nq, out, 0);
	return DEVICE_CPU;
}
