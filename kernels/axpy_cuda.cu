// axpy on the GPU: one thread per element, grid-stride loop.
#include "cuda.h"
#include "cuda_check.cuh"

__global__ static void axpy_kernel(size_t n, double a, const double *x,
				   double *y)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	size_t stride = (size_t)gridDim.x * blockDim.x;

	for (; i < n; i += stride)
		y[i] = fma(a, x[i], y[i]);
}

extern "C" int cuda_axpy(size_t n, double a, const double *x, double *y,
			 char *why, size_t whylen)
{
	double *dx = NULL, *dy = NULL;
	size_t bytes = n * sizeof(double);
	int ret = -1;

	if (n == 0)
		return 0;
	CUDA_TRY(cudaMalloc(&dx, bytes), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&dy, bytes), "cudaMalloc");
	CUDA_TRY(cudaMemcpy(dx, x, bytes, cudaMemcpyHostToDevice), "cudaMemcpy");
	CUDA_TRY(cudaMemcpy(dy, y, bytes, cudaMemcpyHostToDevice), "cudaMemcpy");
	axpy_kernel<<<cuda_blocks(n, 256), 256>>>(n, a, dx, dy);
	CUDA_TRY(cudaGetLastError(), "kernel launch");
	CUDA_TRY(cudaMemcpy(y, dy, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy");
	ret = 0;
out:
	cudaFree(dx);
	cudaFree(dy);
	return ret;
}
