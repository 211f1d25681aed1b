#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "classifier.h"
#include "cuda.h"
#include "err.h"
#include "gemm.h"
#include "h5.h"
#include "parallel.h"
#include "rng.h"
#include "util.h"

static const char *const pool_names[] = { "cls", "mean", "max", NULL };

static void layout(struct clf *m)
{
	const struct clf_config *c = &m->cfg;
	size_t d = (size_t)c->embed, h = (size_t)c->hidden, at = 0;

	m->emb = at;
	at += (size_t)(c->binned ? c->vocab : c->nfeat) * d;
	m->emb_b = at;
	at += d;
	m->q = at;
	at += d;
	m->w1 = at;
	at += h * d;
	m->b1 = at;
	at += h;
	m->w2 = at;
	at += h;
	m->b2 = at;
	at += 1;
	m->nw = at;
}

void clf_init(struct clf *m, const struct clf_config *cfg, uint64_t seed)
{
	struct rng r = rng_for(seed, 0x636c66);	/* "clf" */
	size_t i, d = (size_t)cfg->embed, h = (size_t)cfg->hidden, ne;
	double se, s1 = sqrt(2.0 / (double)d), s2 = sqrt(1.0 / (double)h);

	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	layout(m);
	m->w = xcalloc(m->nw, sizeof(float));
	ne = (size_t)(cfg->binned ? cfg->vocab : cfg->nfeat) * d;
	se = cfg->binned ? 0.1 : 1.0 / sqrt((double)cfg->nfeat);
	for (i = 0; i < ne; i++)
		m->w[m->emb + i] = (float)(rng_normal(&r) * se);
	for (i = 0; i < h * d; i++)
		m->w[m->w1 + i] = (float)(rng_normal(&r) * s1);
	for (i = 0; i < h; i++)
		m->w[m->w2 + i] = (float)(rng_normal(&r) * s2);
	for (i = 0; i < CLF_MAX_FEAT; i++)
		m->mu[i] = 0, m->sd[i] = 1;
}

void clf_free(struct clf *m)
{
	free(m->w);
	m->w = NULL;
}

void clf_data_free(struct clf_data *d)
{
	free(d->tok);
	free(d->feat);
	free(d->valid);
	free(d->labels);
	memset(d, 0, sizeof(*d));
}

/* ---- loading ---- */

/* Labels of split (dataset name of path): 0 (background) or 1 (signal). */
static int check_labels(const char *path, const char *name,
			const uint8_t *y, size_t n, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (y[i] > 1)
			return err_set(err, "'%s': dataset '%s' event %zu: %d is out "
					    "of range (0 or 1)",
				       path, name, i, y[i]);
	return 0;
}

/* The embedding table a vocabulary makes at cfg's width fits. */
static int check_embedding(const char *path, int64_t vocab, int embed,
			   struct err *err)
{
	if (vocab * embed > CLF_MAX_EMBEDDING)
		return err_set(err, "'%s': a vocabulary of %lld tokens at embed "
				    "%d makes %lld embedding weights, over 2^28 "
				    "(fewer bins or a smaller embed)",
			       path, (long long)vocab, embed,
			       (long long)(vocab * embed));
	return 0;
}

static int load_tokens(struct h5_file *f, const char *path, const char *split,
		       struct clf_config *cfg, struct clf_data *d,
		       struct err *err)
{
	uint64_t any2[2] = { H5_ANY, H5_ANY }, dims[2], w1[1], d1[1];
	int64_t vocab, met;
	char name[64];
	int32_t *t;
	void *p;
	size_t i, keep;

	if (h5_attr_int_in(f, "/", "vocabulary", 1, CLF_MAX_VOCAB, &vocab,
			   err) ||
	    h5_attr_int_in(f, "/", "met", 0, 1, &met, err) ||
	    check_embedding(path, vocab, cfg->embed, err))
		return -1;
	if (cfg->met && !met)
		return err_set(err, "'%s' has no MET tokens (made with binning's "
				    "met = false); train with met = false",
			       path);
	snprintf(name, sizeof(name), "%s/tokens", split);
	if (h5_read(f, name, H5_INT32, 2, any2, dims, &p, err))
		return -1;
	t = p;
	if (dims[1] < (uint64_t)(1 + 2 * met) || dims[1] > CLF_MAX_WIDTH) {
		free(t);
		return err_set(err, "'%s': dataset '%s' has shape [%llu, %llu]: "
				    "tokens per event must be %d to %d",
			       path, name, (unsigned long long)dims[0],
			       (unsigned long long)dims[1], (int)(1 + 2 * met),
			       CLF_MAX_WIDTH);
	}
	keep = (size_t)dims[1] - (met && !cfg->met ? 2 : 0);
	d->n = (size_t)dims[0];
	d->width = (int)keep;
	d->tok = xcalloc(d->n * keep + 1, sizeof(int32_t));
	for (i = 0; i < d->n; i++)
		memcpy(d->tok + i * keep, t + i * dims[1], keep * sizeof(int32_t));
	free(t);
	for (i = 0; i < d->n * keep; i++)
		if (d->tok[i] < 0 || d->tok[i] >= vocab)
			return err_set(err, "'%s': dataset '%s' event %zu position "
					    "%zu: %d is out of range (0 to %lld, "
					    "the vocabulary)",
				       path, name, i / keep, i % keep, d->tok[i],
				       (long long)vocab - 1);
	w1[0] = d->n;
	snprintf(name, sizeof(name), "%s/labels", split);
	if (h5_read(f, name, H5_UINT8, 1, w1, d1, &p, err))
		return -1;
	d->labels = p;
	if (check_labels(path, name, d->labels, d->n, err))
		return -1;
	cfg->vocab = (int)vocab;
	return 0;
}

/* Values v[0..n) of event i (object j) in dataset split/name: finite,
 * within CLF_MAX_VALUE (so their squares, means and spreads are). */
static int check_values(const char *path, const char *split,
			const char *name, size_t i, size_t j, const float *v,
			int n, struct err *err)
{
	char obj[48] = "";
	int k;

	if (strcmp(name, "met"))
		snprintf(obj, sizeof(obj), " object %zu", j);
	for (k = 0; k < n; k++)
		if (!(fabsf(v[k]) <= CLF_MAX_VALUE))
			return err_set(err, "'%s': dataset '%s/%s' event %zu%s: %g "
					    "is out of range (%g to %g)",
				       path, split, name, i, obj, (double)v[k],
				       -CLF_MAX_VALUE, CLF_MAX_VALUE);
	return 0;
}

/* Continuous features of an object: log pT, eta, phi / pi, (log E). */
static int load_events(struct h5_file *f, const char *path, const char *split,
		       struct clf_config *cfg, struct clf_data *d,
		       struct err *err)
{
	uint64_t w3[3] = { H5_ANY, H5_ANY, 4 }, dims[3], w2[2], wm[2], w1[1], dd[3];
	int nc = cfg->vector == 5 ? 4 : 3, nf = nc + 8, width;
	float *obj = NULL, *met = NULL;
	uint8_t *types = NULL;
	char name[64];
	void *p;
	size_t i, j, T;
	int rc = -1;

	snprintf(name, sizeof(name), "%s/objects", split);
	if (h5_read(f, name, H5_FLOAT32, 3, w3, dims, &p, err))
		return -1;
	obj = p;
	d->n = (size_t)dims[0];
	T = (size_t)dims[1];
	if (T < 1 || T > (size_t)(CLF_MAX_WIDTH - cfg->met)) {
		err_set(err, "'%s': dataset '%s' has shape [%llu, %llu, 4]: "
			     "objects per event must be 1 to %d%s",
			path, name, (unsigned long long)dims[0],
			(unsigned long long)dims[1], CLF_MAX_WIDTH - cfg->met,
			cfg->met ? " (the MET makes one more)" : "");
		goto out;
	}
	w2[0] = wm[0] = w1[0] = d->n;
	w2[1] = T;
	wm[1] = 2;
	snprintf(name, sizeof(name), "%s/types", split);
	if (h5_read(f, name, H5_UINT8, 2, w2, dd, &p, err))
		goto out;
	types = p;
	snprintf(name, sizeof(name), "%s/met", split);
	if (h5_read(f, name, H5_FLOAT32, 2, wm, dd, &p, err))
		goto out;
	met = p;
	snprintf(name, sizeof(name), "%s/labels", split);
	if (h5_read(f, name, H5_UINT8, 1, w1, dd, &p, err))
		goto out;
	d->labels = p;
	if (check_labels(path, name, d->labels, d->n, err))
		goto out;
	width = (int)T + (cfg->met ? 1 : 0);
	d->width = width;
	d->feat = xcalloc(d->n * (size_t)width * (size_t)nf + 1, sizeof(float));
	d->valid = xcalloc(d->n * (size_t)width + 1, 1);
	for (i = 0; i < d->n; i++)
		for (j = 0; j < (size_t)width; j++) {
			float *x = d->feat + (i * (size_t)width + j) * (size_t)nf;
			double pt, eta, phi, e;
			int type;
			if (j < T) {
				const float *o = obj + (i * T + j) * 4;
				type = types[i * T + j];
				if (!type)
					continue;
				if (type > 7) {
					err_set(err, "'%s': dataset '%s/types' event "
						     "%zu object %zu: %d is out of "
						     "range (0 to 7)",
						path, split, i, j, type);
					goto out;
				}
				if (check_values(path, split, "objects", i, j, o,
						 4, err))
					goto out;
				e = o[0], pt = o[1], eta = o[2], phi = o[3];
			} else {
				if (check_values(path, split, "met", i, 0,
						 met + 2 * i, 2, err))
					goto out;
				type = 8;
				pt = e = met[2 * i];
				eta = 0;
				phi = met[2 * i + 1];
			}
			d->valid[i * (size_t)width + j] = 1;
			x[0] = (float)log(pt > 1e-3 ? pt : 1e-3);
			x[1] = (float)eta;
			x[2] = (float)(phi / M_PI);
			if (nc == 4)
				x[3] = (float)log(e > 1e-3 ? e : 1e-3);
			x[nc + type - 1] = 1;
		}
	cfg->nfeat = nf;
	rc = 0;
out:
	free(obj);
	free(types);
	free(met);
	return rc;
}

int clf_load(const char *path, const char *split, struct clf_config *cfg,
	     struct clf_data *d, struct err *err)
{
	struct h5_file *f;
	int rc;

	memset(d, 0, sizeof(*d));
	if (h5_open(path, &f, err))
		return -1;
	rc = cfg->binned ? load_tokens(f, path, split, cfg, d, err)
			 : load_events(f, path, split, cfg, d, err);
	h5_finish(f, NULL, 0, err);
	if (rc) {
		clf_data_free(d);
		return -1;
	}
	if (cfg->width && cfg->width != d->width) {
		err_set(err, "'%s': %s has %d objects per event (the MET "
			     "included), the model %d",
			path, split, d->width, cfg->width);
		clf_data_free(d);
		return -1;
	}
	cfg->width = d->width;
	return 0;
}

void clf_standardise_fit(struct clf *m, const struct clf_data *t)
{
	int nc = m->cfg.nfeat - 8, f;
	size_t i, n = t->n * (size_t)t->width;

	if (m->cfg.binned)
		return;
	for (f = 0; f < nc; f++) {
		double s = 0, s2 = 0, c = 0, mu, var;
		for (i = 0; i < n; i++)
			if (t->valid[i]) {
				double v = t->feat[i * (size_t)m->cfg.nfeat + (size_t)f];
				s += v, s2 += v * v, c++;
			}
		mu = c ? s / c : 0;
		var = c ? s2 / c - mu * mu : 1;
		m->mu[f] = (float)mu;
		m->sd[f] = (float)(var > 1e-12 ? sqrt(var) : 1);
	}
}

void clf_standardise(const struct clf *m, struct clf_data *d)
{
	int nc = m->cfg.nfeat - 8, f;
	size_t i, n = d->n * (size_t)d->width;

	if (m->cfg.binned)
		return;
	for (i = 0; i < n; i++)
		if (d->valid[i])
			for (f = 0; f < nc; f++) {
				float *v = &d->feat[i * (size_t)m->cfg.nfeat + (size_t)f];
				*v = (*v - m->mu[f]) / m->sd[f];
			}
}

/* ---- forward and backward ---- */

/* Event e's objects embedded into h (width x embed); ok marks the real
 * ones; returns how many. */
static int embed(const struct clf *m, const struct clf_data *d, size_t e,
		 float *h, uint8_t *ok)
{
	const struct clf_config *c = &m->cfg;
	size_t D = (size_t)c->embed, i, f;
	int n = 0;

	for (i = 0; i < (size_t)c->width; i++) {
		float *hi = h + i * D;
		if (c->binned) {
			int32_t t = d->tok[e * (size_t)c->width + i];
			ok[i] = t > 0;
			if (ok[i])
				memcpy(hi, m->w + m->emb + (size_t)t * D,
				       D * sizeof(float));
		} else {
			const float *x = d->feat + (e * (size_t)c->width + i) *
							   (size_t)c->nfeat;
			size_t j;
			ok[i] = d->valid[e * (size_t)c->width + i];
			if (!ok[i])
				continue;
			memcpy(hi, m->w + m->emb_b, D * sizeof(float));
			for (f = 0; f < (size_t)c->nfeat; f++) {
				const float *wf = m->w + m->emb + f * D;
				if (x[f] != 0)
					for (j = 0; j < D; j++)
						hi[j] += x[f] * wf[j];
			}
		}
		n += ok[i];
	}
	return n;
}

/* Pool h into p; att (cls weights) and arg (max positions) kept for the
 * backward pass. */
static void pool(const struct clf *m, const float *h, const uint8_t *ok,
		 int n, float *p, float *att, int *arg)
{
	const struct clf_config *c = &m->cfg;
	size_t D = (size_t)c->embed, i, j;

	memset(p, 0, D * sizeof(float));
	if (!n)
		return;
	if (c->pooling == POOL_MEAN) {
		for (i = 0; i < (size_t)c->width; i++)
			if (ok[i])
				for (j = 0; j < D; j++)
					p[j] += h[i * D + j];
		for (j = 0; j < D; j++)
			p[j] /= (float)n;
	} else if (c->pooling == POOL_MAX) {
		for (j = 0; j < D; j++)
			arg[j] = -1;
		for (i = 0; i < (size_t)c->width; i++)
			if (ok[i])
				for (j = 0; j < D; j++)
					if (arg[j] < 0 || h[i * D + j] > p[j]) {
						p[j] = h[i * D + j];
						arg[j] = (int)i;
					}
	} else {
		const float *q = m->w + m->q;
		double mx = -HUGE_VAL, z = 0;
		for (i = 0; i < (size_t)c->width; i++) {
			double s = 0;
			if (!ok[i])
				continue;
			for (j = 0; j < D; j++)
				s += (double)q[j] * h[i * D + j];
			att[i] = (float)s;
			mx = s > mx ? s : mx;
		}
		for (i = 0; i < (size_t)c->width; i++)
			if (ok[i]) {
				att[i] = (float)exp(att[i] - mx);
				z += att[i];
			} else {
				att[i] = 0;
			}
		for (i = 0; i < (size_t)c->width; i++)
			if (ok[i]) {
				att[i] = (float)(att[i] / z);
				for (j = 0; j < D; j++)
					p[j] += att[i] * h[i * D + j];
			}
	}
}

/* The work of one batch, shared by the threads. */
struct batch {
	const struct clf *m;
	const struct clf_data *d;
	const size_t *idx;
	size_t n;
	float *h, *att, *P, *dP;	/* n x width x D; n x width; n x D */
	uint8_t *ok;
	int *arg, *cnt;
	float *g;			/* per thread: the embedding's and
					   query's gradients */
	size_t glen;
};

static void forward_part(void *ctx, size_t from, size_t to, int t)
{
	const struct batch *b = ctx;
	const struct clf_config *c = &b->m->cfg;
	size_t D = (size_t)c->embed, W = (size_t)c->width, k;

	(void)t;
	for (k = from; k < to; k++) {
		float *h = b->h + k * W * D;
		b->cnt[k] = embed(b->m, b->d, b->idx[k], h, b->ok + k * W);
		pool(b->m, h, b->ok + k * W, b->cnt[k], b->P + k * D,
		     b->att + k * W, b->arg + k * D);
	}
}

static void backward_part(void *ctx, size_t from, size_t to, int t)
{
	const struct batch *b = ctx;
	const struct clf *m = b->m;
	const struct clf_config *c = &m->cfg;
	size_t D = (size_t)c->embed, W = (size_t)c->width, k, i, j, f;
	float *g = b->g + (size_t)t * b->glen;	/* emb, emb_b, q: as in w */
	float *dh = xcalloc(D + 1, sizeof(float));

	memset(g, 0, b->glen * sizeof(float));
	for (k = from; k < to; k++) {
		const float *h = b->h + k * W * D, *dp = b->dP + k * D;
		const uint8_t *ok = b->ok + k * W;
		const float *att = b->att + k * W;
		size_t e = b->idx[k];
		double gbar = 0;
		if (!b->cnt[k])
			continue;
		if (c->pooling == POOL_CLS)
			for (i = 0; i < W; i++)
				if (ok[i]) {
					double gi = 0;
					for (j = 0; j < D; j++)
						gi += (double)dp[j] * h[i * D + j];
					gbar += att[i] * gi;
				}
		for (i = 0; i < W; i++) {
			if (!ok[i])
				continue;
			/* dh: the gradient reaching object i's embedding. */
			if (c->pooling == POOL_MEAN) {
				for (j = 0; j < D; j++)
					dh[j] = dp[j] / (float)b->cnt[k];
			} else if (c->pooling == POOL_MAX) {
				for (j = 0; j < D; j++)
					dh[j] = b->arg[k * D + j] == (int)i ? dp[j]
									    : 0;
			} else {
				const float *q = m->w + m->q;
				double gi = 0, ds;
				for (j = 0; j < D; j++)
					gi += (double)dp[j] * h[i * D + j];
				ds = att[i] * (gi - gbar);
				for (j = 0; j < D; j++) {
					dh[j] = (float)(att[i] * dp[j] + ds * q[j]);
					g[m->q - m->emb + j] += (float)(ds * h[i * D + j]);
				}
			}
			if (c->binned) {
				float *ge = g + (size_t)b->d->tok[e * W + i] * D;
				for (j = 0; j < D; j++)
					ge[j] += dh[j];
			} else {
				const float *x = b->d->feat +
						 (e * W + i) * (size_t)c->nfeat;
				for (f = 0; f < (size_t)c->nfeat; f++)
					if (x[f] != 0)
						for (j = 0; j < D; j++)
							g[f * D + j] += x[f] * dh[j];
				for (j = 0; j < D; j++)
					g[m->emb_b - m->emb + j] += dh[j];
			}
		}
	}
	free(dh);
}

static void batch_alloc(struct batch *b, const struct clf *m, size_t n)
{
	size_t D = (size_t)m->cfg.embed, W = (size_t)m->cfg.width;

	b->h = xcalloc(n * W * D + 1, sizeof(float));
	b->att = xcalloc(n * W + 1, sizeof(float));
	b->P = xcalloc(n * D + 1, sizeof(float));
	b->dP = xcalloc(n * D + 1, sizeof(float));
	b->ok = xcalloc(n * W + 1, 1);
	b->arg = xcalloc(n * D + 1, sizeof(int));
	b->cnt = xcalloc(n + 1, sizeof(int));
}

static void batch_free(struct batch *b)
{
	free(b->h), free(b->att), free(b->P), free(b->dP), free(b->ok);
	free(b->arg), free(b->cnt), free(b->g);
}

/* The hidden layer and output for the batch's pooled P: Z (pre-ReLU)
 * into z, probabilities into prob.  pref: where the GEMM runs (the CPU
 * for training: its sums do not depend on the thread count). */
static void head(const struct clf *m, const float *P, size_t n, float *z,
		 float *prob, int threads, enum device_pref pref)
{
	size_t H = (size_t)m->cfg.hidden, D = (size_t)m->cfg.embed, k, j;
	char why[160];

	if (pref == DEVICE_CPU ||
	    gemm(pref, 0, 1, n, H, D, 1, P, D, m->w + m->w1, D, 0, z, H, why,
		 sizeof(why)) < 0)
		gemm_cpu(0, 1, n, H, D, 1, P, D, m->w + m->w1, D, 0, z, H,
			 threads);
	for (k = 0; k < n; k++) {
		double s = m->w[m->b2];
		for (j = 0; j < H; j++) {
			float a;
			z[k * H + j] += m->w[m->b1 + j];
			a = z[k * H + j] > 0 ? z[k * H + j] : 0;
			s += (double)a * m->w[m->w2 + j];
		}
		prob[k] = (float)(1 / (1 + exp(-s)));
	}
}

/* The GPU's embedding and pooling of events idx[0..n) into P; 0, or -1
 * (the caller falls back to the CPU). */
static int pool_cuda(const struct clf *m, const struct clf_data *d,
		     const size_t *idx, size_t n, float *P)
{
#ifdef CAIRN_HAVE_CUDA
	const struct clf_config *c = &m->cfg;
	size_t W = (size_t)c->width, F = (size_t)c->nfeat, k;
	struct cuda_ep ep = { c->binned, c->pooling, c->embed, c->width,
			      c->nfeat, c->vocab, m->w + m->emb,
			      m->w + m->emb_b, m->w + m->q };
	int32_t *tok = NULL;
	float *feat = NULL;
	uint8_t *valid = NULL;
	char why[160];
	int rc;

	/* The events' rows, gathered contiguous. */
	if (c->binned) {
		tok = xmalloc(n * W * sizeof(int32_t) + 1);
		for (k = 0; k < n; k++)
			memcpy(tok + k * W, d->tok + idx[k] * W,
			       W * sizeof(int32_t));
	} else {
		feat = xmalloc(n * W * F * sizeof(float) + 1);
		valid = xmalloc(n * W + 1);
		for (k = 0; k < n; k++) {
			memcpy(feat + k * W * F, d->feat + idx[k] * W * F,
			       W * F * sizeof(float));
			memcpy(valid + k * W, d->valid + idx[k] * W, W);
		}
	}
	rc = cuda_embed_pool(&ep, tok, feat, valid, n, P, why, sizeof(why));
	free(tok), free(feat), free(valid);
	return rc;
#else
	(void)m, (void)d, (void)idx, (void)n, (void)P;
	return -1;
#endif
}

int clf_predict(const struct clf *m, const struct clf_data *d,
		const size_t *idx, size_t n, float *prob, int threads,
		enum device_pref pref)
{
	enum { CHUNK = 4096 };
	size_t at;
	struct batch b;
	float *z = xcalloc((size_t)CHUNK * (size_t)m->cfg.hidden + 1,
			   sizeof(float));
	char why[160];
	int gpu = device_try_cuda(pref, why, sizeof(why));

	memset(&b, 0, sizeof(b));
	b.m = m;
	b.d = d;
	batch_alloc(&b, m, CHUNK);
	for (at = 0; at < n; at += CHUNK) {
		size_t k = n - at < CHUNK ? n - at : CHUNK;
		b.idx = idx + at;
		b.n = k;
		if (!gpu || pool_cuda(m, d, idx + at, k, b.P) < 0) {
			gpu = 0;
			parallel_for(threads, k, 64, forward_part, &b);
		}
		head(m, b.P, k, z, prob + at, threads,
		     gpu ? pref : DEVICE_CPU);
	}
	batch_free(&b);
	free(z);
	if (!gpu && pref == DEVICE_CUDA)
		return -1;
	return gpu ? DEVICE_CUDA : DEVICE_CPU;
}

double clf_grad(const struct clf *m, const struct clf_data *d,
		const size_t *idx, size_t n, float *g, size_t *correct,
		int threads)
{
	size_t H = (size_t)m->cfg.hidden, D = (size_t)m->cfg.embed, k, j, i;
	float *z = xcalloc(n * H + 1, sizeof(float)),
	      *prob = xcalloc(n + 1, sizeof(float)),
	      *dz = xcalloc(n * H + 1, sizeof(float));
	struct batch b;
	double loss = 0;
	int nt, t;

	memset(&b, 0, sizeof(b));
	b.m = m;
	b.d = d;
	b.idx = idx;
	b.n = n;
	batch_alloc(&b, m, n);
	nt = parallel_for(threads, n, 32, forward_part, &b);
	head(m, b.P, n, z, prob, threads, DEVICE_CPU);
	memset(g, 0, m->nw * sizeof(float));
	for (k = 0; k < n; k++) {
		int y = d->labels[idx[k]];
		double p = prob[k], dl = (p - y) / (double)n;
		p = p < 1e-7 ? 1e-7 : p > 1 - 1e-7 ? 1 - 1e-7 : p;
		loss -= y ? log(p) : log(1 - p);
		*correct += (prob[k] >= 0.5f) == (y == 1);
		g[m->b2] += (float)dl;
		for (j = 0; j < H; j++) {
			float a = z[k * H + j];
			if (a > 0) {
				g[m->w2 + j] += (float)(dl * a);
				dz[k * H + j] = (float)(dl * m->w[m->w2 + j]);
				g[m->b1 + j] += dz[k * H + j];
			}
		}
	}
	/* dW1 = dZ^T P; dP = dZ W1. */
	gemm_cpu(1, 0, H, D, n, 1, dz, H, b.P, D, 0, g + m->w1, D, threads);
	gemm_cpu(0, 0, n, D, H, 1, dz, H, m->w + m->w1, D, 0, b.dP, D, threads);
	/* The rest per event, each thread into its own buffer, added up in
	 * thread order: the same sums for the same thread count. */
	b.glen = m->w1 - m->emb;
	b.g = xcalloc((size_t)nt * b.glen + 1, sizeof(float));
	nt = parallel_for(nt, n, 32, backward_part, &b);
	for (t = 0; t < nt; t++)
		for (i = 0; i < b.glen; i++)
			g[m->emb + i] += b.g[(size_t)t * b.glen + i];
	batch_free(&b);
	free(z), free(prob), free(dz);
	return loss;
}

/* ---- saving and loading ---- */

struct part {
	const char *name;
	size_t off, rows, cols;	/* cols 0: a vector of rows */
};

static int parts(const struct clf *m, struct part *p)
{
	size_t D = (size_t)m->cfg.embed, H = (size_t)m->cfg.hidden;
	size_t ne = (size_t)(m->cfg.binned ? m->cfg.vocab : m->cfg.nfeat);
	struct part all[] = {
		{ "embedding", m->emb, ne, D },
		{ "embedding_bias", m->emb_b, D, 0 },
		{ "query", m->q, D, 0 },
		{ "w1", m->w1, H, D },
		{ "b1", m->b1, H, 0 },
		{ "w2", m->w2, H, 0 },
		{ "b2", m->b2, 1, 0 },
	};

	memcpy(p, all, sizeof(all));
	return (int)(sizeof(all) / sizeof(all[0]));
}

int clf_save(const struct clf *m, struct h5_file *f, struct err *err)
{
	struct part p[8];
	int n = parts(m, p), i;
	uint64_t dm[1] = { CLF_MAX_FEAT };

	for (i = 0; i < n; i++) {
		uint64_t d[2] = { p[i].rows, p[i].cols };
		char name[64];
		snprintf(name, sizeof(name), "model/%s", p[i].name);
		if (h5_write(f, name, H5_FLOAT32, p[i].cols ? 2 : 1, d,
			     m->w + p[i].off, err))
			return -1;
	}
	return h5_write(f, "model/feature_mean", H5_FLOAT32, 1, dm, m->mu, err) ||
			       h5_write(f, "model/feature_sd", H5_FLOAT32, 1, dm,
					m->sd, err) ||
			       h5_attr_string(f, "/", "input",
					      m->cfg.binned ? "binned" : "direct",
					      err) ||
			       h5_attr_int(f, "/", "vector", m->cfg.vector, err) ||
			       h5_attr_int(f, "/", "met", m->cfg.met, err) ||
			       h5_attr_string(f, "/", "pooling",
					      pool_names[m->cfg.pooling], err) ||
			       h5_attr_int(f, "/", "embed", m->cfg.embed, err) ||
			       h5_attr_int(f, "/", "hidden", m->cfg.hidden, err) ||
			       h5_attr_int(f, "/", "vocab", m->cfg.vocab, err) ||
			       h5_attr_int(f, "/", "nfeat", m->cfg.nfeat, err) ||
			       h5_attr_int(f, "/", "width", m->cfg.width, err)
		       ? -1
		       : 0;
}

/* Model attribute name: one of the names in choices (NULL-ended), its
 * index into *out. */
static int model_choice(struct h5_file *f, const char *name,
			const char *const *choices, int *out, struct err *err)
{
	char s[32];
	struct buf b = BUF_INIT;
	int i;

	if (h5_attr_get_string(f, "/", name, s, sizeof(s), err))
		return -1;
	for (i = 0; choices[i]; i++)
		if (!strcmp(s, choices[i])) {
			*out = i;
			return 0;
		}
	for (i = 0; choices[i]; i++)
		buf_addf(&b, "%s'%s'", !i ? "" : choices[i + 1] ? ", " : " or ",
			 choices[i]);
	err_set(err, "'%s': attribute '%s' of '/' is '%s': expected %s",
		h5_path(f), name, s, b.data);
	buf_release(&b);
	return -1;
}

/* Every weight finite; spreads above 0. */
static int check_weights(const char *path, const char *name, const float *w,
			 size_t n, int spread, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isfinite(w[i]) || (spread && !(w[i] > 0)))
			return err_set(err, "'%s': dataset '%s' element %zu: %g is "
					    "out of range (%s)",
				       path, name, i, (double)w[i],
				       spread ? "finite, above 0" : "finite");
	return 0;
}

int clf_read(struct clf *m, const char *path, struct err *err)
{
	static const char *const inputs[] = { "direct", "binned", NULL };
	struct clf_config c;
	struct h5_file *f;
	struct part p[8];
	int64_t v[7];
	int n, i, rc = -1;

	memset(m, 0, sizeof(*m));
	memset(&c, 0, sizeof(c));
	if (h5_open(path, &f, err))
		return -1;
	if (model_choice(f, "input", inputs, &c.binned, err) ||
	    model_choice(f, "pooling", pool_names, &c.pooling, err) ||
	    h5_attr_int_in(f, "/", "vector", 4, 5, &v[0], err) ||
	    h5_attr_int_in(f, "/", "met", 0, 1, &v[1], err) ||
	    h5_attr_int_in(f, "/", "embed", CLF_MIN_EMBED, CLF_MAX_EMBED, &v[2],
			   err) ||
	    h5_attr_int_in(f, "/", "hidden", CLF_MIN_HIDDEN, CLF_MAX_HIDDEN,
			   &v[3], err) ||
	    h5_attr_get_int(f, "/", "vocab", &v[4], err) ||
	    h5_attr_get_int(f, "/", "nfeat", &v[5], err) ||
	    h5_attr_int_in(f, "/", "width", 1, CLF_MAX_WIDTH, &v[6], err))
		goto out;
	/* The input decides which of vocab and nfeat the model uses. */
	if (c.binned && (h5_attr_int_in(f, "/", "vocab", 1, CLF_MAX_VOCAB, &v[4],
					err) ||
			 check_embedding(path, v[4], (int)v[2], err)))
		goto out;
	if (!c.binned && v[5] != (v[0] == 5 ? 12 : 11)) {
		err_set(err, "'%s': attribute 'nfeat' of '/': %lld is out of range "
			     "(%d with vector %lld)",
			path, (long long)v[5], v[0] == 5 ? 12 : 11,
			(long long)v[0]);
		goto out;
	}
	c.vector = (int)v[0], c.met = (int)v[1], c.embed = (int)v[2];
	c.hidden = (int)v[3], c.width = (int)v[6];
	c.vocab = c.binned ? (int)v[4] : 0;
	c.nfeat = c.binned ? 0 : (int)v[5];
	clf_init(m, &c, 0);
	n = parts(m, p);
	for (i = 0; i < n; i++) {
		uint64_t want[2] = { p[i].rows, p[i].cols }, d[2];
		size_t count = p[i].rows * (p[i].cols ? p[i].cols : 1);
		char name[64];
		void *data;
		snprintf(name, sizeof(name), "model/%s", p[i].name);
		if (h5_read(f, name, H5_FLOAT32, p[i].cols ? 2 : 1, want, d, &data,
			    err))
			goto out;
		memcpy(m->w + p[i].off, data, count * sizeof(float));
		free(data);
		if (check_weights(path, name, m->w + p[i].off, count, 0, err))
			goto out;
	}
	{
		uint64_t want[1] = { CLF_MAX_FEAT }, d[1];
		void *data;
		if (h5_read(f, "model/feature_mean", H5_FLOAT32, 1, want, d, &data,
			    err))
			goto out;
		memcpy(m->mu, data, sizeof(m->mu));
		free(data);
		if (h5_read(f, "model/feature_sd", H5_FLOAT32, 1, want, d, &data,
			    err))
			goto out;
		memcpy(m->sd, data, sizeof(m->sd));
		free(data);
		if (check_weights(path, "model/feature_mean", m->mu, CLF_MAX_FEAT,
				  0, err) ||
		    check_weights(path, "model/feature_sd", m->sd, CLF_MAX_FEAT, 1,
				  err))
			goto out;
	}
	rc = 0;
out:
	h5_finish(f, NULL, 0, err);
	if (rc)
		clf_free(m);
	return rc;
}
