// kNN on the GPU: tiled brute force.  One thread per query point keeps
// its k best in local memory; the block walks all points in tiles staged
// in shared memory.  Distances use explicitly rounded operations (no
// fused multiply-add) so they equal the CPU's bit for bit, and the
// insertion rule is knn_insert itself: identical indices.
#include "cuda.h"
#include "cuda_check.cuh"
#include "knn.h"

#define TILE 256

__global__ static void knn_kernel(const double *xy, int n, int k,
				  int32_t *idx)
{
	__shared__ double tile[2 * TILE];
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	double px = 0, py = 0, d[KNN_MAX_K];
	int32_t j[KNN_MAX_K];
	int c = 0;

	if (i < n) {
		px = xy[2 * i];
		py = xy[2 * i + 1];
	}
	for (int base = 0; base < n; base += TILE) {
		int m = n - base < TILE ? n - base : TILE;
		__syncthreads();
		for (int t = threadIdx.x; t < m; t += blockDim.x) {
			tile[2 * t] = xy[2 * (base + t)];
			tile[2 * t + 1] = xy[2 * (base + t) + 1];
		}
		__syncthreads();
		if (i >= n)
			continue;
		for (int t = 0; t < m; t++) {
			double dx = __dsub_rn(tile[2 * t], px);
			double dy = __dsub_rn(tile[2 * t + 1], py);
			double dd = __dadd_rn(__dmul_rn(dx, dx), __dmul_rn(dy, dy));
			if (base + t != i && (c < k || dd <= d[k - 1]))
				knn_insert(d, j, &c, k, dd, base + t);
		}
	}
	if (i < n)
		for (int t = 0; t < k; t++)
			idx[(size_t)i * k + t] = j[t];
}

extern "C" int cuda_knn(const double *xy, size_t n, int k, int32_t *idx,
			char *why, size_t whylen)
{
	double *dxy = NULL;
	int32_t *didx = NULL;
	int ret = -1;

	if (n > 0x7fffffff) {
		snprintf(why, whylen, "too many points for the GPU search");
		return -1;
	}
	CUDA_TRY(cudaMalloc(&dxy, 2 * n * sizeof(double)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&didx, n * (size_t)k * sizeof(int32_t)),
		 "cudaMalloc");
	CUDA_TRY(cudaMemcpy(dxy, xy, 2 * n * sizeof(double),
			    cudaMemcpyHostToDevice), "cudaMemcpy");
	knn_kernel<<<(unsigned)((n + 127) / 128), 128>>>(dxy, (int)n, k, didx);
	CUDA_TRY(cudaGetLastError(), "kernel launch");
	CUDA_TRY(cudaMemcpy(idx, didx, n * (size_t)k * sizeof(int32_t),
			    cudaMemcpyDeviceToHost), "cudaMemcpy");
	ret = 0;
out:
	cudaFree(dxy);
	cudaFree(didx);
	return ret;
}
