#include "device.h"
#include "kernels.h"

#ifdef CAIRN_HAVE_CUDA
#define CUDA 1
#else
#define CUDA 0
#endif

static const struct kernel_info kernels[] = {
	{ "axpy", "y = a*x + y (toolchain check)", CUDA },
	{ "quantiles", "exact quantiles by radix selection", CUDA },
	{ "digitize", "bins of values against edges", CUDA },
	{ "knn", "k nearest neighbours in 2D (grid / brute force)", CUDA },
	{ "gemm", "blocked, threaded matrix product", CUDA },
	{ "embed_pool", "the classifier's embedding and pooling", CUDA },
	{ "classifier_train", "the classifier's minibatch step and Adam", CUDA },
	{ "gamma", "3D gamma index, sub-voxel search nearest first", CUDA },
};

const struct kernel_info *kernels_list(size_t *n)
{
	*n = sizeof(kernels) / sizeof(kernels[0]);
	return kernels;
}
