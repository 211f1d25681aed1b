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

int quantiles_with(radix_count_fn count, void *ctx, size_t n,
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
	rc = radix_select(count, ctx, n, ranks, 2 * nq, keys, why, whylen);
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

void quantiles_cpu(const float *x, size_t n, const double *q, int nq,
		   double *out, int threads)
{
	struct cpu_ctx c = { x, n, threads };
	char why[8];

	if (quantiles_with(count_cpu, &c, n, q, nq, out, why, sizeof(why)))
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
