/*
 * gemm.h: C = alpha * op(A) op(B) + beta * C over row-major floats, op
 * transposing when asked; blocked for the caches and split over threads
 * by rows of C.  The sums run in a fixed order for any thread count, so
 * results do not depend on it.
 */
#ifndef CAIRN_GEMM_H
#define CAIRN_GEMM_H

#include <stddef.h>

#include "device.h"

/*
 * A is M x K (or K x M with ta), B is K x N (or N x K with tb), C is
 * M x N; lda, ldb, ldc their row strides.  threads 0: all cores.
 */
void gemm_cpu(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
	      const float *a, size_t lda, const float *b, size_t ldb,
	      float beta, float *c, size_t ldc, int threads);

/*
 * Dispatched as axpy() is: DEVICE_CPU, DEVICE_CUDA (a tiled kernel; sums
 * in the same order, with fused multiply-adds: within float rounding of
 * the CPU's), or -1 (why).
 */
int gemm(enum device_pref pref, int ta, int tb, size_t m, size_t n, size_t k,
	 float alpha, const float *a, size_t lda, const float *b, size_t ldb,
	 float beta, float *c, size_t ldc, char *why, size_t whylen);

#endif
