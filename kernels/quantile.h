/*
 * quantile.h: exact quantiles of float data by radix selection, and
 * digitisation against bin edges.
 *
 * A float maps to an unsigned key in the same order (float_key); the
 * value at a rank is found in three counting passes over the keys (11,
 * 11 and 10 bits): each pass counts, for the key prefixes still in play,
 * how many keys have each next digit, and walks the counts to the digit
 * holding the rank.  Exact, O(n) per pass, and the same on every device:
 * the passes are counted by a CPU or a CUDA "counter", the walk is one
 * piece of host code.
 */
#ifndef CAIRN_QUANTILE_H
#define CAIRN_QUANTILE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "device.h"
#include "hostdev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The order-preserving key of a float that is not NaN, and back. */
HOST_DEVICE static inline uint32_t float_key(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u & 0x80000000u ? ~u : u | 0x80000000u;
}

static inline float key_float(uint32_t k)
{
	float f;

	k = k & 0x80000000u ? k & 0x7fffffffu : ~k;
	memcpy(&f, &k, sizeof(f));
	return f;
}

#define RADIX_TOP 2048	/* 2^11: the first digit's values */

/*
 * One counting pass.  Count the keys that start with one of the np
 * prefixes (key >> (shift + bits) == prefix[s], prefixes sorted and
 * distinct) by their digit (key >> shift) & ((1 << bits) - 1), into
 * hist[s << bits | digit] (zeroed by the caller).  level 0 has the one
 * empty prefix (every key counts, slot 0).  top[] maps a key's first 11
 * bits to the first slot whose prefix starts with them, or -1 (levels 1
 * and 2).
 */
struct radix_pass {
	int level, shift, bits, np;
	const uint32_t *prefix;
	const int32_t *top;
};

typedef int (*radix_count_fn)(void *ctx, const struct radix_pass *p,
			      uint64_t *hist, char *why, size_t whylen);

/* The slot of key in pass p, or -1: the rule every counter follows. */
HOST_DEVICE static inline int radix_slot(const struct radix_pass *p, uint32_t key)
{
	int32_t s;
	uint32_t want;

	if (p->level == 0)
		return 0;
	s = p->top[key >> 21];
	if (s < 0 || p->level == 1)
		return s;
	want = key >> (p->shift + p->bits);
	for (; s < p->np && p->prefix[s] >> 11 == key >> 21; s++)
		if (p->prefix[s] == want)
			return s;
	return -1;
}

/*
 * The keys at ranks[0..nr) (0-based, in ascending order of value) of n
 * keys counted by count.  0, or -1 when count failed (why set).
 */
int radix_select(radix_count_fn count, void *ctx, size_t n,
		 const uint64_t *ranks, int nr, uint32_t *keys, char *why,
		 size_t whylen);

/* Any exact selection: the keys at ranks[0..nr) of the n values in ctx. */
typedef int (*rank_select_fn)(void *ctx, size_t n, const uint64_t *ranks,
			      int nr, uint32_t *keys, char *why,
			      size_t whylen);

/*
 * The q[0..nq) quantiles (0 <= q <= 1) of x[0..n), n > 0 and no NaN,
 * by numpy's default rule: on the sorted values, with h = q (n - 1),
 * x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]), in double.
 * Ties are ordinary values: equal quantiles make equal edges.
 */
int quantiles_with(rank_select_fn select, void *ctx, size_t n,
		   const double *q, int nq, double *out, char *why,
		   size_t whylen);
/* On all cores (threads 0) or the given number: the reference.  Two
 * passes: the keys' high halves counted, the wanted buckets gathered. */
void quantiles_cpu(const float *x, size_t n, const double *q, int nq,
		   double *out, int threads);
/* The same by radix_select's three counting passes on the CPU (the
 * route the GPU takes): a second reference. */
void quantiles_cpu_passes(const float *x, size_t n, const double *q, int nq,
			  double *out, int threads);
/* Dispatched as axpy() is: DEVICE_CPU, DEVICE_CUDA, or -1 (why). */
int quantiles(enum device_pref pref, const float *x, size_t n,
	      const double *q, int nq, double *out, char *why, size_t whylen);

/*
 * Bins: out[i] = how many of the ne ascending edges are <= x[i] (numpy's
 * digitize, right=False), compared in double: a value below the first
 * edge is bin 0, one at or past the last edge bin ne.
 */
void digitize_cpu(const float *x, size_t n, const double *edges, int ne,
		  int32_t *out, int threads);
int digitize(enum device_pref pref, const float *x, size_t n,
	     const double *edges, int ne, int32_t *out, char *why,
	     size_t whylen);

#ifdef __cplusplus
}
#endif

#endif
