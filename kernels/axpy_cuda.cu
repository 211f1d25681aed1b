// axpy on the GPU: one thread per element, grid-stride loop.
#include <cuda_runtime.h>
#include <stdio.h>

#include "cuda.h"

__global__ static void axpy_kernel(size_t n, double a, const double *x,
				   double *y)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	size_t stride = (size_t)gridDim.x * blockDim.x;

	for (; i < n; i += stride)
		y[i] = fma(a, x[i], y[i]);
}

static int fail(cudaError_t rc, const char *what, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s: %s", what, cudaGetErrorString(rc));
	cudaGetLastError();
	return -1;
}

extern "C" int cuda_axpy(size_t n, double a, const double *x, double *y,
			 char *why, size_t whylen)
{
	double *dx = NULL, *dy = NULL;
	size_t bytes = n * sizeof(double);
	cudaError_t rc;
	int ret = -1;

	if (n == 0)
		return 0;
	if ((rc = cudaMalloc(&dx, bytes)) != cudaSuccess ||
	    (rc = cudaMalloc(&dy, bytes)) != cudaSuccess) {
		fail(rc, "cudaMalloc", why, whylen);
		goto out;
	}
	if ((rc = cudaMemcpy(dx, x, bytes, cudaMemcpyHostToDevice)) !=
		    cudaSuccess ||
	    (rc = cudaMemcpy(dy, y, bytes, cudaMemcpyHostToDevice)) !=
		    cudaSuccess) {
		fail(rc, "cudaMemcpy", why, whylen);
		goto out;
	}
	{
		unsigned blocks = (unsigned)((n + 255) / 256);
		if (blocks > 65535)
			blocks = 65535;
		axpy_kernel<<<blocks, 256>>>(n, a, dx, dy);
	}
	if ((rc = cudaGetLastError()) != cudaSuccess) {
		fail(rc, "kernel launch", why, whylen);
		goto out;
	}
	if ((rc = cudaMemcpy(y, dy, bytes, cudaMemcpyDeviceToHost)) !=
	    cudaSuccess) {
		fail(rc, "cudaMemcpy", why, whylen);
		goto out;
	}
	ret = 0;
out:
	cudaFree(dx);
	cudaFree(dy);
	return ret;
}
