/*
 * cuda.h: the C face of the .cu files, compiled only when CUDA is built
 * in (CAIRN_HAVE_CUDA).  Everything here returns 0 or -1 with a message in
 * why, and never aborts: a missing driver is an ordinary answer.
 */
#ifndef CAIRN_CUDA_H
#define CAIRN_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct device_info;
struct gamma_grid;
struct gamma_opts;

int cuda_device_count(char *why, size_t whylen);
int cuda_device_describe(int i, struct device_info *out);
int cuda_axpy(size_t n, double a, const double *x, double *y, char *why,
	      size_t whylen);
int cuda_quantiles(const float *x, size_t n, const double *q, int nq,
		   double *out, char *why, size_t whylen);
int cuda_digitize(const float *x, size_t n, const double *edges, int ne,
		  int32_t *out, char *why, size_t whylen);
int cuda_gamma(const float *ref, const float *eval,
	       const struct gamma_grid *g, const struct gamma_opts *o,
	       float *out, char *why, size_t whylen);
int cuda_knn(const double *xy, size_t n, int k, int32_t *idx, char *why,
	     size_t whylen);

#ifdef __cplusplus
}
#endif

#endif
