// GEMM on the GPU: 16 x 16 tiles of C per block, the matching tiles of
// op(A) and op(B) staged in shared memory.  Each C element's sum runs over
// K in order, as on the CPU, but with fused multiply-adds: results agree
// within float rounding (docs/stages.md states the tolerance).
#include "cuda.h"
#include "cuda_check.cuh"
#include "gemm.h"
#include "gemm_device.cuh"

#define T 16

__global__ static void gemm_kernel(int ta, int tb, size_t m, size_t n,
				   size_t k, float alpha, const float *a,
				   size_t lda, const float *b, size_t ldb,
				   float beta, float *c, size_t ldc)
{
	__shared__ float sa[T][T + 1], sb[T][T + 1];
	size_t row = blockIdx.y * (size_t)T + threadIdx.y;
	size_t col = blockIdx.x * (size_t)T + threadIdx.x;
	float acc = 0;

	for (size_t k0 = 0; k0 < k; k0 += T) {
		size_t ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
		sa[threadIdx.y][threadIdx.x] =
			row < m && ka < k ? (ta ? a[ka * lda + row] : a[row * lda + ka])
					  : 0.0f;
		sb[threadIdx.y][threadIdx.x] =
			kb < k && col < n ? (tb ? b[col * ldb + kb] : b[kb * ldb + col])
					  : 0.0f;
		__syncthreads();
		for (int p = 0; p < T; p++)
			acc += sa[threadIdx.y][p] * sb[p][threadIdx.x];
		__syncthreads();
	}
	if (row < m && col < n)
		c[row * ldc + col] = alpha * acc +
				     (beta == 0 ? 0.0f : beta * c[row * ldc + col]);
}

void gemm_device(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
		 const float *a, size_t lda, const float *b, size_t ldb,
		 float beta, float *c, size_t ldc)
{
	dim3 threads(T, T), blocks((unsigned)((n + T - 1) / T),
				   (unsigned)((m + T - 1) / T));

	if (m && n)
		gemm_kernel<<<blocks, threads>>>(ta, tb, m, n, k, alpha, a, lda, b,
						 ldb, beta, c, ldc);
}

extern "C" int cuda_gemm(int ta, int tb, size_t m, size_t n, size_t k,
			 float alpha, const float *a, size_t lda, const float *b,
			 size_t ldb, float beta, float *c, size_t ldc, char *why,
			 size_t whylen)
{
	size_t na = (ta ? k : m) * lda, nb = (tb ? n : k) * ldb, nc = m * ldc;
	float *da = NULL, *db = NULL, *dc = NULL;
	int ret = -1;

	if (!m || !n)
		return 0;
	CUDA_TRY(cudaMalloc(&da, na * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&db, nb * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&dc, nc * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMemcpy(da, a, na * sizeof(float), cudaMemcpyHostToDevice),
		 "cudaMemcpy");
	CUDA_TRY(cudaMemcpy(db, b, nb * sizeof(float), cudaMemcpyHostToDevice),
		 "cudaMemcpy");
	if (beta != 0)
		CUDA_TRY(cudaMemcpy(dc, c, nc * sizeof(float),
				    cudaMemcpyHostToDevice), "cudaMemcpy");
	gemm_device(ta, tb, m, n, k, alpha, da, lda, db, ldb, beta, dc, ldc);
	CUDA_TRY(cudaGetLastError(), "kernel launch");
	CUDA_TRY(cudaMemcpy(c, dc, nc * sizeof(float), cudaMemcpyDeviceToHost),
		 "cudaMemcpy");
	ret = 0;
out:
	cudaFree(da);
	cudaFree(db);
	cudaFree(dc);
	return ret;
}
