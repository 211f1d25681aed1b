// The classifier's embedding and pooling on the GPU (inference): one
// block per event, one thread per embedding dimension.  The CPU reference
// is embed() and pool() in stages/classifier.c; the GPU test compares the
// pooled vectors within float rounding.
#include <stdlib.h>

#include "cuda.h"
#include "cuda_check.cuh"

#define MAX_WIDTH 64

__global__ static void embed_pool_kernel(struct cuda_ep ep, const int32_t *tok,
					 const float *feat,
					 const uint8_t *valid, float *P)
{
	extern __shared__ float h[];	/* width x D */
	__shared__ float att[MAX_WIDTH];
	__shared__ int ok[MAX_WIDTH];
	size_t e = blockIdx.x;
	int j = threadIdx.x, D = ep.D, W = ep.W, i, n = 0;
	float p = 0;

	for (i = 0; i < W; i++) {
		int good;
		if (ep.binned) {
			int32_t t = tok[e * W + i];
			good = t > 0;
			h[i * D + j] = good ? ep.emb[(size_t)t * D + j] : 0.0f;
		} else {
			const float *x = feat + (e * W + i) * (size_t)ep.nfeat;
			float s = ep.emb_b[j];
			good = valid[e * W + i];
			for (int f = 0; f < ep.nfeat; f++)
				if (x[f] != 0)
					s += x[f] * ep.emb[(size_t)f * D + j];
			h[i * D + j] = good ? s : 0.0f;
		}
		if (j == 0)
			ok[i] = good;
		n += good;
	}
	__syncthreads();
	if (n && ep.pooling == 1) {		/* mean */
		for (i = 0; i < W; i++)
			if (ok[i])
				p += h[i * D + j];
		p /= (float)n;
	} else if (n && ep.pooling == 2) {	/* max */
		int any = 0;
		for (i = 0; i < W; i++)
			if (ok[i] && (!any || h[i * D + j] > p)) {
				p = h[i * D + j];
				any = 1;
			}
	} else if (n) {				/* cls */
		if (j == 0) {
			double mx = -HUGE_VAL, z = 0;
			for (i = 0; i < W; i++) {
				double s = 0;
				if (!ok[i])
					continue;
				for (int d = 0; d < D; d++)
					s += (double)ep.q[d] * h[i * D + d];
				att[i] = (float)s;
				mx = s > mx ? s : mx;
			}
			for (i = 0; i < W; i++)
				if (ok[i]) {
					att[i] = (float)exp(att[i] - mx);
					z += att[i];
				}
			for (i = 0; i < W; i++)
				att[i] = ok[i] ? (float)(att[i] / z) : 0.0f;
		}
		__syncthreads();
		for (i = 0; i < W; i++)
			if (ok[i])
				p += att[i] * h[i * D + j];
	}
	P[e * D + j] = p;
}

extern "C" int cuda_embed_pool(const struct cuda_ep *ep, const int32_t *tok,
			       const float *feat, const uint8_t *valid,
			       size_t n, float *P, char *why, size_t whylen)
{
	size_t W = (size_t)ep->W, D = (size_t)ep->D, F = (size_t)ep->nfeat;
	size_t ne = (ep->binned ? (size_t)ep->vocab : F) * D;
	struct cuda_ep dev = *ep;
	float *demb = NULL, *db = NULL, *dq = NULL, *dfeat = NULL, *dP = NULL;
	int32_t *dtok = NULL;
	uint8_t *dvalid = NULL;
	int ret = -1;

	if (W > MAX_WIDTH || D > 1024) {
		snprintf(why, whylen, "width or embedding too large for the GPU "
				      "kernel");
		return -1;
	}
	if (!n)
		return 0;
	CUDA_TRY(cudaMalloc(&demb, ne * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&db, D * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&dq, D * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&dP, n * D * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMemcpy(demb, ep->emb, ne * sizeof(float),
			    cudaMemcpyHostToDevice), "cudaMemcpy");
	CUDA_TRY(cudaMemcpy(db, ep->emb_b, D * sizeof(float),
			    cudaMemcpyHostToDevice), "cudaMemcpy");
	CUDA_TRY(cudaMemcpy(dq, ep->q, D * sizeof(float), cudaMemcpyHostToDevice),
		 "cudaMemcpy");
	if (ep->binned) {
		CUDA_TRY(cudaMalloc(&dtok, n * W * sizeof(int32_t)), "cudaMalloc");
		CUDA_TRY(cudaMemcpy(dtok, tok, n * W * sizeof(int32_t),
				    cudaMemcpyHostToDevice), "cudaMemcpy");
	} else {
		CUDA_TRY(cudaMalloc(&dfeat, n * W * F * sizeof(float)), "cudaMalloc");
		CUDA_TRY(cudaMalloc(&dvalid, n * W), "cudaMalloc");
		CUDA_TRY(cudaMemcpy(dfeat, feat, n * W * F * sizeof(float),
				    cudaMemcpyHostToDevice), "cudaMemcpy");
		CUDA_TRY(cudaMemcpy(dvalid, valid, n * W, cudaMemcpyHostToDevice),
			 "cudaMemcpy");
	}
	dev.emb = demb;
	dev.emb_b = db;
	dev.q = dq;
	embed_pool_kernel<<<(unsigned)n, (unsigned)D, W * D * sizeof(float)>>>(
		dev, dtok, dfeat, dvalid, dP);
	CUDA_TRY(cudaGetLastError(), "kernel launch");
	CUDA_TRY(cudaMemcpy(P, dP, n * D * sizeof(float), cudaMemcpyDeviceToHost),
		 "cudaMemcpy");
	ret = 0;
out:
	cudaFree(demb), cudaFree(db), cudaFree(dq), cudaFree(dP);
	cudaFree(dtok), cudaFree(dfeat), cudaFree(dvalid);
	return ret;
}
