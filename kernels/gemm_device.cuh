// gemm_device.cuh: the tiled GEMM on device pointers, for .cu files that
// keep their data on the GPU (gemm_cuda.cu).
#ifndef CAIRN_GEMM_DEVICE_CUH
#define CAIRN_GEMM_DEVICE_CUH

#include <stddef.h>

void gemm_device(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
		 const float *a, size_t lda, const float *b, size_t ldb,
		 float beta, float *c, size_t ldc);

#endif
