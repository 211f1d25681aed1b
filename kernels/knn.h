/*
 * knn.h: the k nearest neighbours of every point of a 2D set.
 *
 * For each point, the k other points nearest to it, nearest first; equal
 * distances are ordered by index, so the answer is one and the same on
 * every device.  Distances are squared Euclidean in double, computed as
 * (xj - xi)^2 + (yj - yi)^2 without fused multiply-adds: the CPU (a
 * uniform grid searched ring by ring, on all cores) and the GPU (tiled
 * brute force) give identical indices.
 */
#ifndef CAIRN_KNN_H
#define CAIRN_KNN_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "hostdev.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KNN_MAX_K 64
/* The GPU searches by brute force (n^2): "auto" takes it up to here. */
#define KNN_GPU_AUTO_MAX 300000

/*
 * Insert candidate (dd, jj) into the sorted best list (d, j) of *c <= k
 * entries, keeping the k smallest by (distance, index).
 */
HOST_DEVICE static inline void knn_insert(double *d, int32_t *j, int *c,
					  int k, double dd, int32_t jj)
{
	int p = *c;

	if (p == k) {
		if (dd > d[k - 1] || (dd == d[k - 1] && jj > j[k - 1]))
			return;
		p = k - 1;
	} else {
		(*c)++;
	}
	while (p > 0 && (dd < d[p - 1] || (dd == d[p - 1] && jj < j[p - 1]))) {
		d[p] = d[p - 1];
		j[p] = j[p - 1];
		p--;
	}
	d[p] = dd;
	j[p] = jj;
}

/*
 * xy: n points as x, y pairs.  1 <= k <= n - 1, k <= KNN_MAX_K.
 * idx: n * k indices, row i the neighbours of point i.
 */
void knn_cpu(const double *xy, size_t n, int k, int32_t *idx, int threads);
/* The brute-force answer, one thread: the test suite's reference. */
void knn_brute(const double *xy, size_t n, int k, int32_t *idx);
/* Dispatched as axpy() is: DEVICE_CPU, DEVICE_CUDA, or -1 (why). */
int knn(enum device_pref pref, const double *xy, size_t n, int k,
	int32_t *idx, char *why, size_t whylen);

#ifdef __cplusplus
}
#endif

#endif
