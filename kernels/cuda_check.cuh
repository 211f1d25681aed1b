// cuda_check.cuh: the error convention of the .cu files: a failed CUDA
// call becomes -1 with "what: the runtime's message" in why, and the
// runtime's sticky error is cleared so later calls start clean.
#ifndef CAIRN_CUDA_CHECK_CUH
#define CAIRN_CUDA_CHECK_CUH

#include <cuda_runtime.h>
#include <stdio.h>

static inline int cuda_fail(cudaError_t rc, const char *what, char *why,
			    size_t whylen)
{
	snprintf(why, whylen, "%s: %s", what, cudaGetErrorString(rc));
	cudaGetLastError();
	return -1;
}

// Evaluate a CUDA call; on failure record it and goto out.
#define CUDA_TRY(call, what)                                             \
	do {                                                             \
		cudaError_t rc_ = (call);                                \
		if (rc_ != cudaSuccess) {                                \
			cuda_fail(rc_, what, why, whylen);               \
			goto out;                                        \
		}                                                        \
	} while (0)

// Blocks for a grid-stride loop over n items.
static inline unsigned cuda_blocks(size_t n, unsigned threads)
{
	size_t b = (n + threads - 1) / threads;
	return b < 1 ? 1 : b > 65535 ? 65535 : (unsigned)b;
}

#endif
