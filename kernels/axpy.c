#include <stdio.h>

#include "axpy.h"
#include "cuda.h"
#include "parallel.h"

struct axpy_args {
	double a;
	const double *x;
	double *y;
};

static void axpy_part(void *ctx, size_t from, size_t to, int t)
{
	const struct axpy_args *g = ctx;
	size_t i;

	(void)t;
	for (i = from; i < to; i++)
		g->y[i] += g->a * g->x[i];
}

void axpy_cpu(size_t n, double a, const double *x, double *y, int threads)
{
	struct axpy_args g = { a, x, y };

	parallel_for(threads, n, 1 << 16, axpy_part, &g);
}

int axpy(enum device_pref pref, size_t n, double a, const double *x,
	 double *y, char *why, size_t whylen)
{
	char reason[160] = "";

	if (device_try_cuda(pref, reason, sizeof(reason))) {
#ifdef CAIRN_HAVE_CUDA
		if (cuda_axpy(n, a, x, y, reason, sizeof(reason)) == 0)
			return DEVICE_CUDA;
#endif
	}
	if (device_fallback(pref, reason, why, whylen) < 0)
		return -1;
	axpy_cpu(n, a, x, y, 0);
	return DEVICE_CPU;
}
