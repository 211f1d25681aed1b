/* Digitisation against ascending edges (declared in quantile.h). */
#include <stdio.h>

#include "cuda.h"
#include "parallel.h"
#include "quantile.h"

struct dig {
	const float *x;
	const double *edges;
	int ne;
	int32_t *out;
};

static void dig_part(void *ctx, size_t from, size_t to, int t)
{
	const struct dig *d = ctx;
	size_t i;

	(void)t;
	if (d->ne <= 16) {
		/* Few edges: count them without branches. */
		for (i = from; i < to; i++) {
			double v = d->x[i];
			int32_t b = 0;
			int k;
			for (k = 0; k < d->ne; k++)
				b += v >= d->edges[k];
			d->out[i] = b;
		}
		return;
	}
	for (i = from; i < to; i++) {
		double v = d->x[i];
		int lo = 0, hi = d->ne;	/* the first edge > v */
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (v >= d->edges[mid])
				lo = mid + 1;
			else
				hi = mid;
		}
		d->out[i] = lo;
	}
}

void digitize_cpu(const float *x, size_t n, const double *edges, int ne,
		  int32_t *out, int threads)
{
	struct dig d = { x, edges, ne, out };

	parallel_for(threads, n, 1 << 16, dig_part, &d);
}

int digitize(enum device_pref pref, const float *x, size_t n,
	     const double *edges, int ne, int32_t *out, char *why,
	     size_t whylen)
{
	char reason[160] = "";

	if (device_try_cuda(pref, reason, sizeof(reason))) {
#ifdef CAIRN_HAVE_CUDA
		if (cuda_digitize(x, n, edges, ne, out, reason,
				  sizeof(reason)) == 0)
			return DEVICE_CUDA;
#endif
	}
	if (device_fallback(pref, reason, why, whylen) < 0)
		return -1;
	digitize_cpu(x, n, edges, ne, out, 0);
	return DEVICE_CPU;
}
