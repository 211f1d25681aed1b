/*
 * Blocked GEMM: C's rows are split over threads; within a thread, panels
 * of K (KB) and of N (NB) keep a block of B in cache while rows of A
 * stream past, and the inner loop runs over contiguous N so the compiler
 * vectorises it.  op(B) is packed once per panel into a contiguous
 * KB x NB block (transposing when asked).
 */
#include <stdlib.h>
#include <string.h>

#include "cuda.h"
#include "gemm.h"
#include "parallel.h"
#include "util.h"

#define KB 128
#define NB 256

struct gemm_job {
	int ta, tb;
	size_t m, n, k;
	float alpha, beta;
	const float *a, *b;
	size_t lda, ldb, ldc;
	float *c;
};

static float a_at(const struct gemm_job *g, size_t i, size_t p)
{
	return g->ta ? g->a[p * g->lda + i] : g->a[i * g->lda + p];
}

static void gemm_rows(void *ctx, size_t from, size_t to, int t)
{
	const struct gemm_job *g = ctx;
	float *pack = xmalloc(KB * NB * sizeof(float));
	size_t i, j, p, k0, n0;

	(void)t;
	for (i = from; i < to; i++) {
		float *c = g->c + i * g->ldc;
		if (g->beta == 0)
			memset(c, 0, g->n * sizeof(float));
		else if (g->beta != 1)
			for (j = 0; j < g->n; j++)
				c[j] *= g->beta;
	}
	for (n0 = 0; n0 < g->n; n0 += NB) {
		size_t nb = g->n - n0 < NB ? g->n - n0 : NB;
		for (k0 = 0; k0 < g->k; k0 += KB) {
			size_t kb = g->k - k0 < KB ? g->k - k0 : KB;
			for (p = 0; p < kb; p++)
				for (j = 0; j < nb; j++)
					pack[p * NB + j] =
						g->tb ? g->b[(n0 + j) * g->ldb + k0 + p]
						      : g->b[(k0 + p) * g->ldb + n0 + j];
			for (i = from; i < to; i++) {
				float *c = g->c + i * g->ldc + n0;
				for (p = 0; p < kb; p++) {
					float av = g->alpha * a_at(g, i, k0 + p);
					const float *bp = pack + p * NB;
					if (av == 0)
						continue;
					for (j = 0; j < nb; j++)
						c[j] += av * bp[j];
				}
			}
		}
	}
	free(pack);
}

void gemm_cpu(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
	      const float *a, size_t lda, const float *b, size_t ldb,
	      float beta, float *c, size_t ldc, int threads)
{
	struct gemm_job g = { ta, tb, m, n, k, alpha, beta, a, b,
			      lda, ldb, ldc, c };

	if (!m || !n)
		return;
	parallel_for(threads, m, m * n * k < 65536 ? m : 16, gemm_rows, &g);
}

int gemm(enum device_pref pref, int ta, int tb, size_t m, size_t n, size_t k,
	 float alpha, const float *a, size_t lda, const float *b, size_t ldb,
	 float beta, float *c, size_t ldc, char *why, size_t whylen)
{
	char reason[160] = "";

	if (device_try_cuda(pref, reason, sizeof(reason))) {
#ifdef CAIRN_HAVE_CUDA
		if (cuda_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
			      ldc, reason, sizeof(reason)) == 0)
			return DEVICE_CUDA;
#endif
	}
	if (device_fallback(pref, reason, why, whylen) < 0)
		return -1;
	gemm_cpu(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0);
	return DEVICE_CPU;
}
