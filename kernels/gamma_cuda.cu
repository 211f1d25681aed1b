// The gamma index on the GPU: one thread per reference voxel, running
// gamma_voxel (the CPU's code) over the cell list in device memory.
// Built without fused multiply-adds (CMakeLists.txt) so the values equal
// the CPU's.
#include <stdlib.h>

#include "cuda.h"
#include "cuda_check.cuh"
#include "gamma.h"
#include "gamma_voxel.h"

__global__ static void gamma_kernel(struct gamma_job j, size_t n)
{
	size_t v = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	size_t stride = (size_t)gridDim.x * blockDim.x;
	size_t plane = (size_t)j.grid.nx * (size_t)j.grid.ny;

	for (; v < n; v += stride) {
		size_t z = v / plane, r = v % plane;
		j.out[v] = gamma_voxel(&j, (int)(r % (size_t)j.grid.nx),
				       (int)(r / (size_t)j.grid.nx), (int)z);
	}
}

extern "C" int cuda_gamma(const float *ref, const float *eval,
			  const struct gamma_grid *g,
			  const struct gamma_opts *o, float *out, char *why,
			  size_t whylen)
{
	size_t n = (size_t)g->nx * g->ny * g->nz, noff = 0, i;
	struct gamma_cell *off = gamma_cells(g, o, &noff), *doff = NULL;
	float *dref = NULL, *deval = NULL, *dout = NULL;
	struct gamma_job j;
	double mx = 0;
	int ret = -1;

	if (!off) {
		snprintf(why, whylen, "unusable gamma settings");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (ref[i] > mx)
			mx = ref[i];
	CUDA_TRY(cudaMalloc(&dref, n * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&deval, n * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&dout, n * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&doff, noff * sizeof(*off)), "cudaMalloc");
	CUDA_TRY(cudaMemcpy(dref, ref, n * sizeof(float), cudaMemcpyHostToDevice),
		 "cudaMemcpy");
	CUDA_TRY(cudaMemcpy(deval, eval, n * sizeof(float),
			    cudaMemcpyHostToDevice), "cudaMemcpy");
	CUDA_TRY(cudaMemcpy(doff, off, noff * sizeof(*off),
			    cudaMemcpyHostToDevice), "cudaMemcpy");
	j.ref = dref;
	j.eval = deval;
	j.grid = *g;
	j.opts = *o;
	j.cells = doff;
	j.ncells = noff;
	j.cutoff = mx * o->cutoff_pct / 100;
	if (j.cutoff <= 0)
		j.cutoff = 1e-30;
	j.norm = mx * o->dose_pct / 100;
	j.out = dout;
	gamma_kernel<<<cuda_blocks(n, 128), 128>>>(j, n);
	CUDA_TRY(cudaGetLastError(), "kernel launch");
	CUDA_TRY(cudaMemcpy(out, dout, n * sizeof(float), cudaMemcpyDeviceToHost),
		 "cudaMemcpy");
	ret = 0;
out:
	cudaFree(dref);
	cudaFree(deval);
	cudaFree(dout);
	cudaFree(doff);
	free(off);
	return ret;
}
