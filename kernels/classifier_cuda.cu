// Training the classifier on the GPU: data, weights and Adam's state stay
// on the device; per minibatch the forward pass (a block per event
// embeds and pools, caching what the backward pass needs), the hidden
// layer and its gradients (gemm_device), the per-event backward pass
// (embedding gradients scattered with atomic adds) and the Adam step.
// The CPU path (stages/classifier.c) is the reference: the GPU's sums run
// in another order (atomics), so its models agree within rounding, not
// bit for bit; gpu.classifier compares the two.
#include <stdlib.h>
#include <string.h>

#include "cuda.h"
#include "cuda_check.cuh"
#include "gemm_device.cuh"

#define MAXW 64

struct cuda_clf {
	struct cuda_clf_spec s;
	float *w, *g, *m1, *m2;
	int32_t *tok;
	float *feat;
	uint8_t *valid, *labels;
	size_t *idx;
	size_t cap;			/* batch capacity */
	float *h, *att, *P, *dP, *Z, *A, *dZ, *dl, *loss;
	int *arg, *cnt, *right;
	uint8_t *ok;
	double b1t, b2t;
};

struct dev {				/* what the kernels need, by value */
	int binned, pooling, D, H, W, F;
	size_t emb, emb_b, q, w1, b1, w2, b2;
};

__global__ static void fwd_kernel(struct dev d, const float *w,
				  const int32_t *tok, const float *feat,
				  const uint8_t *valid, const size_t *idx,
				  float *h, uint8_t *ok, float *att, int *arg,
				  int *cnt, float *P)
{
	size_t k = blockIdx.x, e = idx[k];
	int j = threadIdx.x, D = d.D, W = d.W, i, n = 0;
	float *hk = h + k * (size_t)W * D, p = 0;
	uint8_t *okk = ok + k * (size_t)W;
	float *attk = att + k * (size_t)W;

	for (i = 0; i < W; i++) {
		int good;
		if (d.binned) {
			int32_t t = tok[e * W + i];
			good = t > 0;
			hk[i * D + j] = good ? w[d.emb + (size_t)t * D + j] : 0.0f;
		} else {
			const float *x = feat + (e * W + i) * (size_t)d.F;
			float s = w[d.emb_b + j];
			good = valid[e * W + i];
			for (int f = 0; f < d.F; f++)
				if (x[f] != 0)
					s += x[f] * w[d.emb + (size_t)f * D + j];
			hk[i * D + j] = good ? s : 0.0f;
		}
		if (j == 0)
			okk[i] = (uint8_t)good;
		n += good;
	}
	if (j == 0)
		cnt[k] = n;
	__syncthreads();
	if (n && d.pooling == 1) {
		for (i = 0; i < W; i++)
			if (okk[i])
				p += hk[i * D + j];
		p /= (float)n;
	} else if (n && d.pooling == 2) {
		int best = -1;
		for (i = 0; i < W; i++)
			if (okk[i] && (best < 0 || hk[i * D + j] > p)) {
				p = hk[i * D + j];
				best = i;
			}
		arg[k * D + j] = best;
	} else if (n) {
		if (j == 0) {
			double mx = -HUGE_VAL, z = 0;
			for (i = 0; i < W; i++) {
				double s = 0;
				if (!okk[i])
					continue;
				for (int c = 0; c < D; c++)
					s += (double)w[d.q + c] * hk[i * D + c];
				attk[i] = (float)s;
				mx = s > mx ? s : mx;
			}
			for (i = 0; i < W; i++)
				if (okk[i]) {
					attk[i] = (float)exp(attk[i] - mx);
					z += attk[i];
				}
			for (i = 0; i < W; i++)
				attk[i] = okk[i] ? (float)(attk[i] / z) : 0.0f;
		}
		__syncthreads();
		for (i = 0; i < W; i++)
			if (okk[i])
				p += attk[i] * hk[i * D + j];
	}
	P[k * D + j] = p;
}

__global__ static void head_kernel(struct dev d, const float *w,
				   const uint8_t *labels, const size_t *idx,
				   size_t B, const float *Z, float *A, float *dZ,
				   float *dl, float *loss, int *right)
{
	size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	int j, H = d.H, y;
	double s, p, q;

	if (k >= B)
		return;
	s = w[d.b2];
	for (j = 0; j < H; j++) {
		float a = Z[k * H + j] + w[d.b1 + j];
		a = a > 0 ? a : 0;
		A[k * H + j] = a;
		s += (double)a * w[d.w2 + j];
	}
	p = 1 / (1 + exp(-s));
	y = labels[idx[k]];
	q = p < 1e-7 ? 1e-7 : p > 1 - 1e-7 ? 1 - 1e-7 : p;
	loss[k] = (float)(y ? -log(q) : -log(1 - q));
	right[k] = ((float)p >= 0.5f) == (y == 1);
	dl[k] = (float)((p - y) / (double)B);
	for (j = 0; j < H; j++)
		dZ[k * H + j] = A[k * H + j] > 0 ? dl[k] * w[d.w2 + j] : 0.0f;
}

__global__ static void small_grads(struct dev d, size_t B, const float *A,
				   const float *dZ, const float *dl, float *g)
{
	int j = blockIdx.x * blockDim.x + threadIdx.x;
	size_t k;

	if (j < d.H) {
		float gw = 0, gb = 0;
		for (k = 0; k < B; k++) {
			gw += dl[k] * A[k * d.H + j];
			gb += dZ[k * d.H + j];
		}
		g[d.w2 + j] = gw;
		g[d.b1 + j] = gb;
	}
	if (j == 0) {
		float s = 0;
		for (k = 0; k < B; k++)
			s += dl[k];
		g[d.b2] = s;
	}
}

__global__ static void bwd_kernel(struct dev d, const float *w,
				  const int32_t *tok, const float *feat,
				  const size_t *idx, const float *h,
				  const uint8_t *ok, const float *att,
				  const int *arg, const int *cnt,
				  const float *dP, float *g)
{
	__shared__ float ds[MAXW];
	size_t k = blockIdx.x, e = idx[k];
	int j = threadIdx.x, D = d.D, W = d.W, i;
	const float *hk = h + k * (size_t)W * D, *dp = dP + k * D;
	const uint8_t *okk = ok + k * (size_t)W;
	const float *attk = att + k * (size_t)W;

	if (!cnt[k])
		return;
	if (d.pooling == 0 && j == 0) {
		double gbar = 0, gi[MAXW];
		for (i = 0; i < W; i++) {
			double s = 0;
			if (!okk[i])
				continue;
			for (int c = 0; c < D; c++)
				s += (double)dp[c] * hk[i * D + c];
			gi[i] = s;
			gbar += attk[i] * s;
		}
		for (i = 0; i < W; i++)
			ds[i] = okk[i] ? (float)(attk[i] * (gi[i] - gbar)) : 0.0f;
	}
	__syncthreads();
	for (i = 0; i < W; i++) {
		float dh;
		if (!okk[i])
			continue;
		if (d.pooling == 1)
			dh = dp[j] / (float)cnt[k];
		else if (d.pooling == 2)
			dh = arg[k * D + j] == i ? dp[j] : 0.0f;
		else {
			dh = attk[i] * dp[j] + ds[i] * w[d.q + j];
			atomicAdd(&g[d.q + j], ds[i] * hk[i * D + j]);
		}
		if (d.binned) {
			atomicAdd(&g[d.emb + (size_t)tok[e * W + i] * D + j], dh);
		} else {
			const float *x = feat + (e * W + i) * (size_t)d.F;
			for (int f = 0; f < d.F; f++)
				if (x[f] != 0)
					atomicAdd(&g[d.emb + (size_t)f * D + j], x[f] * dh);
			atomicAdd(&g[d.emb_b + j], dh);
		}
	}
}

__global__ static void adam_kernel(struct dev d, size_t nw, float *w,
				   const float *g, float *m1, float *m2,
				   float lr, float wd, float c1, float c2)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	int bias;
	double mh, vh;

	if (i >= nw)
		return;
	bias = (i >= d.emb_b && i < d.q) || (i >= d.b1 && i < d.w2) ||
	       i == d.b2;
	m1[i] = 0.9f * m1[i] + 0.1f * g[i];
	m2[i] = 0.999f * m2[i] + 0.001f * g[i] * g[i];
	mh = m1[i] / c1;
	vh = m2[i] / c2;
	w[i] -= (float)(lr * (mh / (sqrt(vh) + 1e-8) + (bias ? 0 : wd * w[i])));
}

static struct dev dev_of(const struct cuda_clf_spec *s)
{
	struct dev d = { s->binned, s->pooling, s->D, s->H, s->W, s->nfeat,
			 s->emb, s->emb_b, s->q, s->w1, s->b1, s->w2, s->b2 };
	return d;
}

extern "C" void cuda_clf_close(struct cuda_clf *c)
{
	if (!c)
		return;
	cudaFree(c->w), cudaFree(c->g), cudaFree(c->m1), cudaFree(c->m2);
	cudaFree(c->tok), cudaFree(c->feat), cudaFree(c->valid);
	cudaFree(c->labels), cudaFree(c->idx), cudaFree(c->h);
	cudaFree(c->att), cudaFree(c->P), cudaFree(c->dP), cudaFree(c->Z);
	cudaFree(c->A), cudaFree(c->dZ), cudaFree(c->dl), cudaFree(c->loss);
	cudaFree(c->arg), cudaFree(c->cnt), cudaFree(c->right), cudaFree(c->ok);
	free(c);
}

extern "C" int cuda_clf_open(const struct cuda_clf_spec *s, const float *w,
			     size_t batch, struct cuda_clf **out, char *why,
			     size_t whylen)
{
	struct cuda_clf *c = (struct cuda_clf *)calloc(1, sizeof(*c));
	size_t W = (size_t)s->W, D = (size_t)s->D, H = (size_t)s->H, B = batch;
	size_t rows = s->n * W;

	*out = NULL;
	if (!c) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	c->s = *s;
	c->cap = B;
	c->b1t = c->b2t = 1;
	if (W > MAXW || D > 1024) {
		snprintf(why, whylen, "width or embedding too large for the GPU");
		goto out;
	}
	CUDA_TRY(cudaMalloc(&c->w, s->nw * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->g, s->nw * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->m1, s->nw * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->m2, s->nw * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMemcpy(c->w, w, s->nw * sizeof(float),
			    cudaMemcpyHostToDevice), "cudaMemcpy");
	CUDA_TRY(cudaMemset(c->m1, 0, s->nw * sizeof(float)), "cudaMemset");
	CUDA_TRY(cudaMemset(c->m2, 0, s->nw * sizeof(float)), "cudaMemset");
	if (s->binned) {
		CUDA_TRY(cudaMalloc(&c->tok, rows * sizeof(int32_t)), "cudaMalloc");
		CUDA_TRY(cudaMemcpy(c->tok, s->tok, rows * sizeof(int32_t),
				    cudaMemcpyHostToDevice), "cudaMemcpy");
	} else {
		CUDA_TRY(cudaMalloc(&c->feat, rows * s->nfeat * sizeof(float)),
			 "cudaMalloc");
		CUDA_TRY(cudaMalloc(&c->valid, rows), "cudaMalloc");
		CUDA_TRY(cudaMemcpy(c->feat, s->feat, rows * s->nfeat * sizeof(float),
				    cudaMemcpyHostToDevice), "cudaMemcpy");
		CUDA_TRY(cudaMemcpy(c->valid, s->valid, rows, cudaMemcpyHostToDevice),
			 "cudaMemcpy");
	}
	CUDA_TRY(cudaMalloc(&c->labels, s->n), "cudaMalloc");
	CUDA_TRY(cudaMemcpy(c->labels, s->labels, s->n, cudaMemcpyHostToDevice),
		 "cudaMemcpy");
	CUDA_TRY(cudaMalloc(&c->idx, B * sizeof(size_t)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->h, B * W * D * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->att, B * W * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->ok, B * W), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->P, B * D * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->dP, B * D * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->arg, B * D * sizeof(int)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->cnt, B * sizeof(int)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->Z, B * H * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->A, B * H * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->dZ, B * H * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->dl, B * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->loss, B * sizeof(float)), "cudaMalloc");
	CUDA_TRY(cudaMalloc(&c->right, B * sizeof(int)), "cudaMalloc");
	*out = c;
	return 0;
out:
	cuda_clf_close(c);
	return -1;
}

extern "C" int cuda_clf_epoch(struct cuda_clf *c, const size_t *order,
			      size_t n, double *loss, size_t *correct,
			      char *why, size_t whylen)
{
	const struct cuda_clf_spec *s = &c->s;
	struct dev d = dev_of(s);
	size_t D = (size_t)s->D, H = (size_t)s->H, at, k;
	float *hl = (float *)malloc(c->cap * sizeof(float));
	int *hr = (int *)malloc(c->cap * sizeof(int));
	int ret = -1;

	if (!hl || !hr) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (at = 0; at < n; at += c->cap) {
		size_t B = n - at < c->cap ? n - at : c->cap;
		CUDA_TRY(cudaMemcpy(c->idx, order + at, B * sizeof(size_t),
				    cudaMemcpyHostToDevice), "cudaMemcpy");
		fwd_kernel<<<(unsigned)B, (unsigned)D>>>(d, c->w, c->tok, c->feat,
							 c->valid, c->idx, c->h,
							 c->ok, c->att, c->arg,
							 c->cnt, c->P);
		gemm_device(0, 1, B, H, D, 1, c->P, D, c->w + s->w1, D, 0, c->Z, H);
		head_kernel<<<cuda_blocks(B, 128), 128>>>(d, c->w, c->labels,
							  c->idx, B, c->Z, c->A,
							  c->dZ, c->dl, c->loss,
							  c->right);
		small_grads<<<cuda_blocks(H, 128), 128>>>(d, B, c->A, c->dZ, c->dl,
							  c->g);
		gemm_device(1, 0, H, D, B, 1, c->dZ, H, c->P, D, 0, c->g + s->w1, D);
		gemm_device(0, 0, B, D, H, 1, c->dZ, H, c->w + s->w1, D, 0, c->dP,
			    D);
		CUDA_TRY(cudaMemset(c->g + s->emb, 0,
				    (s->w1 - s->emb) * sizeof(float)),
			 "cudaMemset");
		bwd_kernel<<<(unsigned)B, (unsigned)D>>>(d, c->w, c->tok, c->feat,
							 c->idx, c->h, c->ok,
							 c->att, c->arg, c->cnt,
							 c->dP, c->g);
		c->b1t *= 0.9;
		c->b2t *= 0.999;
		adam_kernel<<<cuda_blocks(s->nw, 256), 256>>>(
			d, s->nw, c->w, c->g, c->m1, c->m2, (float)s->lr,
			(float)s->wd, (float)(1 - c->b1t), (float)(1 - c->b2t));
		CUDA_TRY(cudaGetLastError(), "kernel launch");
		CUDA_TRY(cudaMemcpy(hl, c->loss, B * sizeof(float),
				    cudaMemcpyDeviceToHost), "cudaMemcpy");
		CUDA_TRY(cudaMemcpy(hr, c->right, B * sizeof(int),
				    cudaMemcpyDeviceToHost), "cudaMemcpy");
		for (k = 0; k < B; k++) {
			*loss += hl[k];
			*correct += (size_t)hr[k];
		}
	}
	ret = 0;
out:
	free(hl);
	free(hr);
	return ret;
}

extern "C" int cuda_clf_weights(struct cuda_clf *c, float *w, char *why,
				size_t whylen)
{
	int ret = -1;

	CUDA_TRY(cudaMemcpy(w, c->w, c->s.nw * sizeof(float),
			    cudaMemcpyDeviceToHost), "cudaMemcpy");
	ret = 0;
out:
	return ret;
}
