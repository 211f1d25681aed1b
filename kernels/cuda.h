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

/* The classifier's embedding and pooling (stages/classifier.c), as plain
 * arrays: pooling 0 cls, 1 mean, 2 max. */
struct cuda_ep {
	int binned, pooling, D, W, nfeat, vocab;
	const float *emb, *emb_b, *q;
};
/* Training the classifier on the GPU (kernels/classifier_cuda.cu). */
struct cuda_clf_spec {
	int binned, pooling, D, H, W, nfeat;
	size_t nw, emb, emb_b, q, w1, b1, w2, b2;
	const int32_t *tok;		/* binned: n x W */
	const float *feat;		/* direct: n x W x nfeat */
	const uint8_t *valid, *labels;
	size_t n;
	double lr, wd;
};
struct cuda_clf;
int cuda_clf_open(const struct cuda_clf_spec *s, const float *w,
		  size_t batch, struct cuda_clf **out, char *why,
		  size_t whylen);
/* One pass over order[0..n) in minibatches: Adam steps on the device;
 * the summed log-loss and correct count added to *loss, *correct. */
int cuda_clf_epoch(struct cuda_clf *c, const size_t *order, size_t n,
		   double *loss, size_t *correct, char *why, size_t whylen);
int cuda_clf_weights(struct cuda_clf *c, float *w, char *why, size_t whylen);
void cuda_clf_close(struct cuda_clf *c);

int cuda_embed_pool(const struct cuda_ep *ep, const int32_t *tok,
		    const float *feat, const uint8_t *valid, size_t n,
		    float *P, char *why, size_t whylen);
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
int cuda_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
	      const float *a, size_t lda, const float *b, size_t ldb,
	      float beta, float *c, size_t ldc, char *why, size_t whylen);
int cuda_knn(const double *xy, size_t n, int k, int32_t *idx, char *why,
	     size_t whylen);

#ifdef __cplusplus
}
#endif

#endif
