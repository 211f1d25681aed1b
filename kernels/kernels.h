/*
 * kernels.h: the list of compute kernels in this build, for --version and
 * for stage code versions.
 */
#ifndef CAIRN_KERNELS_H
#define CAIRN_KERNELS_H

#include <stddef.h>

struct kernel_info {
	const char *name;
	const char *summary;
	int has_cuda;		/* a CUDA version is compiled in */
};

/* All kernels, *n set to their number.  Static storage. */
const struct kernel_info *kernels_list(size_t *n);

#endif
