// Quantiles and digitisation on the GPU.  The radix selection's walk is
// the host code in quantile.c; here only its counting passes run, with
// the same slot rule (radix_slot) as the CPU counter, so both find the
// same keys and the edges are identical.  Digitisation compares in
// double, as the CPU does: the bins are identical too.
#include "cuda.h"
#include "cuda_check.cuh"
#include "quantile.h"

__global__ static void count_kernel(const float *x, size_t n,
				    struct radix_pass p,
				    unsigned long long *hist)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	size_t stride = (size_t)gridDim.x * blockDim.x;
	uint32_t mask = (1u << p.bits) - 1;

	for (; i < n; i += stride) {
		uint32_t k = float_key(x[i]);
		int s = radix_slot(&p, k);
		if (s >= 0)
			atomicAdd(&hist[(size_t)s << p.bits |
					((k >> p.shift) & mask)],
				  1ull);
	}
}

struct gpu_ctx {
	const float *dx;
	size_t n;
};

static int count_gpu(void *ctx, const struct radix_pass *p, uint64_t *hist,
		     char *why, size_t whylen)
{
	const struct gpu_ctx *g = (const struct gpu_ctx *)ctx;
	size_t len = (size_t)p->np << p->bits;
	unsigned long long *dh = NULL;
	uint32_t *dp = NULL;
	int32_t *dt = NULL;
	int ret = -1;

	CUDA_TRY(cudaMalloc(&dh, len * sizeof(*dh)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&dp, (size_t)p->np * sizeof(*dp)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&dt, RADIX_TOP * sizeof(*dt)), "cudaMalloc");
	CUDA_TRY(cudaMemset(dh, 0, len * sizeof(*dh)), "cudaMemset");
	CUDA_TRY(cudaMemcpy(dp, p->prefix, (size_t)p->np * sizeof(*dp),
			    cudaMemcpyHostToDevice), "cudaMemcpy");
	CUDA_TRY(cudaMemcpy(dt, p->top, RADIX_TOP * sizeof(*dt),
			    cudaMemcpyHostToDevice), "cudaMemcpy");
	{
		struct radix_pass dev = *p;	// the same pass, on the device
		dev.prefix = dp;
		dev.top = dt;
		count_kernel<<<cuda_blocks(g->n, 256), 256>>>(g->dx, g->n, dev,
							       dh);
	}
	CUDA_TRY(cudaGetLastError(), "kernel launch");
	CUDA_TRY(cudaMemcpy(hist, dh, len * sizeof(*dh), cudaMemcpyDeviceToHost),
		 "cudaMemcpy");
	ret = 0;
out:
	cudaFree(dh);
	cudaFree(dp);
	cudaFree(dt);
	return ret;
}

static int select_gpu(void *ctx, size_t n, const uint64_t *ranks, int nr,
		      uint32_t *keys, char *why, size_t whylen)
{
	return radix_select(count_gpu, ctx, n, ranks, nr, keys, why, whylen);
}

extern "C" int cuda_quantiles(const float *x, size_t n, const double *q,
			      int nq, double *out, char *why, size_t whylen)
{
	struct gpu_ctx g = { NULL, n };
	float *dx = NULL;
	int ret = -1;

	CUDA_TRY(cudaMalloc(&dx, n * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMemcpy(dx, x, n * sizeof(float), cudaMemcpyHostToDevice),
		 "cudaMemcpy");
	g.dx = dx;
	ret = quantiles_with(select_gpu, &g, n, q, nq, out, why, whylen);
out:
	cudaFree(dx);
	return ret;
}

__global__ static void digitize_kernel(const float *x, size_t n,
				       const double *edges, int ne,
				       int32_t *out)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	size_t stride = (size_t)gridDim.x * blockDim.x;

	for (; i < n; i += stride) {
		double v = x[i];
		int lo = 0, hi = ne;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (v >= edges[mid])
				lo = mid + 1;
			else
				hi = mid;
		}
		out[i] = lo;
	}
}

extern "C" int cuda_digitize(const float *x, size_t n, const double *edges,
			     int ne, int32_t *out, char *why, size_t whylen)
{
	float *dx = NULL;
	double *de = NULL;
	int32_t *dout = NULL;
	int ret = -1;

	if (n == 0)
		return 0;
	CUDA_TRY(cudaMalloc(&dx, n * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&de, (ne ? ne : 1) * sizeof(double)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&dout, n * sizeof(int32_t)), "cudaMalloc");
	CUDA_TRY(cudaMemcpy(dx, x, n * sizeof(float), cudaMemcpyHostToDevice),
		 "cudaMemcpy");
	if (ne)
		CUDA_TRY(cudaMemcpy(de, edges, ne * sizeof(double),
				    cudaMemcpyHostToDevice), "cudaMemcpy");
	digitize_kernel<<<cuda_blocks(n, 256), 256>>>(dx, n, de, ne, dout);
	CUDA_TRY(cudaGetLastError(), "kernel launch");
	CUDA_TRY(cudaMemcpy(out, dout, n * sizeof(int32_t),
			    cudaMemcpyDeviceToHost), "cudaMemcpy");
	ret = 0;
out:
	cudaFree(dx);
	cudaFree(de);
	cudaFree(dout);
	return ret;
}
