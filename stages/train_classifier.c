/*
 * train.classifier: fit the event classifier (classifier.h) on the train
 * split, with Adam (decoupled weight decay) over shuffled minibatches,
 * and keep a training curve: loss and accuracy per epoch on train and
 * val, and the events per second.  The same seed and thread count give
 * the same model, bit for bit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "classifier.h"
#include "cuda.h"
#include "device.h"
#include "err.h"
#include "h5.h"
#include "kind_versions.h"
#include "kinds.h"
#include "rng.h"
#include "util.h"

static const char *const inputs_kinds[] = { "binned", "direct", NULL };
static const char *const poolings[] = { "cls", "mean", "max", NULL };
static const char *const devices[] = { "auto", "cpu", "cuda", NULL };

static const struct kind_setting settings[] = {
	{ "input", KIND_STRING, "\"binned\"", 0, 0, inputs_kinds,
	  "binned: tokens from binning; direct: the continuous features of "
	  "synth.events' layout" },
	{ "vector", KIND_INT, "4", 4, 5, NULL,
	  "direct: 4 = (pT, eta, phi, id), 5 = (+E); binned: the tokens' "
	  "features decide" },
	{ "met", KIND_BOOL, "true", 0, 0, NULL,
	  "use the MET (its tokens, or one more object)" },
	{ "pooling", KIND_STRING, "\"cls\"", 0, 0, poolings,
	  "cls: attention to a learned query; mean; max (padding masked)" },
	{ "embed", KIND_INT, "32", CLF_MIN_EMBED, CLF_MAX_EMBED, NULL,
	  "embedding width" },
	{ "hidden", KIND_INT, "64", CLF_MIN_HIDDEN, CLF_MAX_HIDDEN, NULL,
	  "hidden layer width" },
	{ "epochs", KIND_INT, "5", 1, 10000, NULL, "passes over the train split" },
	{ "batch", KIND_INT, "256", 1, 65536, NULL, "events per minibatch" },
	{ "lr", KIND_FLOAT, "0.002", 1e-7, 10, NULL, "Adam's learning rate" },
	{ "weight_decay", KIND_FLOAT, "0.0001", 0, 1, NULL,
	  "decoupled weight decay (not on biases)" },
	{ "seed", KIND_INT, "0", 0, 9007199254740991.0, NULL,
	  "the seed of the initialisation and the shuffles" },
	{ "device", KIND_STRING, "\"cpu\"", 0, 0, devices,
	  "cpu: the reference, bit for bit for a seed and thread count; cuda "
	  "or auto: the GPU, within rounding" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port inputs[] = {
	{ "data", "HDF5: tokens (binning) for binned input, events "
		  "(synth.events) for direct input" },
	{ NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "model", "HDF5: the weights under model/ and the configuration as "
		   "attributes" },
	{ "curve", "JSON: per epoch the train and val loss and accuracy; the "
		   "final values at the top (the speed is in the log)" },
	{ NULL, NULL },
};

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Log-loss and accuracy of split d. */
static void score(const struct clf *m, const struct clf_data *d, int threads,
		  double *loss, double *acc)
{
	size_t *idx = xcalloc(d->n + 1, sizeof(size_t)), i, right = 0;
	float *p = xcalloc(d->n + 1, sizeof(float));
	double l = 0;

	for (i = 0; i < d->n; i++)
		idx[i] = i;
	clf_predict(m, d, idx, d->n, p, threads, DEVICE_CPU);
	for (i = 0; i < d->n; i++) {
		double q = p[i] < 1e-7 ? 1e-7 : p[i] > 1 - 1e-7 ? 1 - 1e-7 : p[i];
		l -= d->labels[i] ? log(q) : log(1 - q);
		right += (p[i] >= 0.5f) == (d->labels[i] == 1);
	}
	*loss = d->n ? l / (double)d->n : 0;
	*acc = d->n ? (double)right / (double)d->n : 0;
	free(idx);
	free(p);
}

/* Whether parameter i is a bias (no weight decay). */
static int is_bias(const struct clf *m, size_t i)
{
	return (i >= m->emb_b && i < m->q) || (i >= m->b1 && i < m->w2) ||
	       i == m->b2;
}

/* The GPU's training state when the device setting allows one: *gpu
 * NULL means the CPU trains.  0, or -1 when cuda was demanded and could
 * not be had. */
static int open_gpu(const struct kind_run *r, const struct clf *m,
		    const struct clf_data *t, size_t batch, struct cuda_clf **gpu,
		    struct err *err)
{
	enum device_pref pref =
		(enum device_pref)device_pref_parse(kind_string(r, "device"));
	char why[160] = "", msg[200];

	*gpu = NULL;
	if (device_try_cuda(pref, why, sizeof(why))) {
#ifdef CAIRN_HAVE_CUDA
		struct cuda_clf_spec s;
		memset(&s, 0, sizeof(s));
		s.binned = m->cfg.binned, s.pooling = m->cfg.pooling;
		s.D = m->cfg.embed, s.H = m->cfg.hidden, s.W = m->cfg.width;
		s.nfeat = m->cfg.nfeat;
		s.nw = m->nw, s.emb = m->emb, s.emb_b = m->emb_b, s.q = m->q;
		s.w1 = m->w1, s.b1 = m->b1, s.w2 = m->w2, s.b2 = m->b2;
		s.tok = t->tok, s.feat = t->feat, s.valid = t->valid;
		s.labels = t->labels, s.n = t->n;
		s.lr = kind_float(r, "lr"), s.wd = kind_float(r, "weight_decay");
		if (cuda_clf_open(&s, m->w, batch, gpu, why, sizeof(why)) == 0)
			return 0;
#else
		(void)m, (void)t, (void)batch;
#endif
	}
	if (device_fallback(pref, why, msg, sizeof(msg)) < 0)
		return err_set(err, "%s", msg);
	return 0;
}

static int run(const struct kind_run *r, struct err *err)
{
	struct clf_config cfg;
	struct clf_data train, val;
	struct clf m;
	struct h5_file *out = NULL;
	struct buf curve = BUF_INIT, epochs = BUF_INIT;
	int64_t nep = kind_int(r, "epochs"), ep;
	size_t B = (size_t)kind_int(r, "batch"), *order = NULL, i, k;
	double lr = kind_float(r, "lr"), wd = kind_float(r, "weight_decay");
	float *g = NULL, *m1 = NULL, *m2 = NULL;
	double b1t = 1, b2t = 1, tl = 0, ta = 0, vl = 0, va = 0, rate = 0;
	uint64_t seed = (uint64_t)kind_int(r, "seed");
	struct cuda_clf *gpu = NULL;
	int rc = -1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&m, 0, sizeof(m));
	memset(&val, 0, sizeof(val));
	if (kind_check_run(r, err))
		return -1;
	cfg.binned = !strcmp(kind_string(r, "input"), "binned");
	cfg.vector = (int)kind_int(r, "vector");
	cfg.met = kind_bool(r, "met");
	cfg.pooling = !strcmp(kind_string(r, "pooling"), "mean")  ? POOL_MEAN
		      : !strcmp(kind_string(r, "pooling"), "max") ? POOL_MAX
								  : POOL_CLS;
	cfg.embed = (int)kind_int(r, "embed");
	cfg.hidden = (int)kind_int(r, "hidden");
	if (clf_load(r->inputs[0], "train", &cfg, &train, err))
		return -1;
	if (clf_load(r->inputs[0], "val", &cfg, &val, err))
		goto out;
	if (!train.n) {
		err_set(err, "'%s': the train split is empty", r->inputs[0]);
		goto out;
	}
	clf_init(&m, &cfg, seed);
	clf_standardise_fit(&m, &train);
	clf_standardise(&m, &train);
	clf_standardise(&m, &val);
	g = xcalloc(m.nw, sizeof(float));
	m1 = xcalloc(m.nw, sizeof(float));
	m2 = xcalloc(m.nw, sizeof(float));
	order = xcalloc(train.n, sizeof(size_t));
	for (i = 0; i < train.n; i++)
		order[i] = i;
	if (open_gpu(r, &m, &train, B, &gpu, err) < 0)
		goto out;
	fprintf(stderr, "train.classifier: training on the %s\n",
		gpu ? "cuda" : "cpu");
	for (ep = 1; ep <= nep; ep++) {
		struct rng sh = rng_for(seed, (uint64_t)ep);
		double loss = 0, t0 = seconds(), dt;
		size_t right = 0;
		/* A new order each epoch (Fisher-Yates). */
		for (i = train.n - 1; i > 0; i--) {
			size_t j = (size_t)(rng_next(&sh) % (i + 1)), x = order[i];
			order[i] = order[j];
			order[j] = x;
		}
		if (gpu) {
#ifdef CAIRN_HAVE_CUDA
			char why[160];
			if (cuda_clf_epoch(gpu, order, train.n, &loss, &right, why,
					   sizeof(why)) ||
			    cuda_clf_weights(gpu, m.w, why, sizeof(why))) {
				err_set(err, "%s", why);
				goto out;
			}
#endif
		}
		for (k = 0; !gpu && k < train.n; k += B) {
			size_t n = train.n - k < B ? train.n - k : B;
			loss += clf_grad(&m, &train, order + k, n, g, &right,
					 r->threads);
			b1t *= 0.9;
			b2t *= 0.999;
			for (i = 0; i < m.nw; i++) {
				double mh, vh;
				m1[i] = 0.9f * m1[i] + 0.1f * g[i];
				m2[i] = 0.999f * m2[i] + 0.001f * g[i] * g[i];
				mh = m1[i] / (1 - b1t);
				vh = m2[i] / (1 - b2t);
				m.w[i] -= (float)(lr * (mh / (sqrt(vh) + 1e-8) +
							(is_bias(&m, i) ? 0 : wd * m.w[i])));
			}
		}
		dt = seconds() - t0;
		tl = loss / (double)train.n;
		ta = (double)right / (double)train.n;
		rate = dt > 0 ? (double)train.n / dt : 0;
		score(&m, &val, r->threads, &vl, &va);
		if (!isfinite(tl) || !isfinite(vl)) {
			err_set(err, "training diverged in epoch %lld: the %s loss "
				     "is %g (a smaller lr)",
				(long long)ep, isfinite(tl) ? "val" : "train",
				isfinite(tl) ? vl : tl);
			goto out;
		}
		/* (The speed goes to the log, not the curve: the curve is
		 * reproducible, the clock is not.) */
		buf_addf(&epochs, "%s{\"epoch\": %lld, \"train_loss\": %.6f, "
				  "\"train_accuracy\": %.6f, \"val_loss\": %.6f, "
				  "\"val_accuracy\": %.6f}",
			 ep > 1 ? ", " : "", (long long)ep, tl, ta, vl, va);
		fprintf(stderr, "epoch %lld: train loss %.4f acc %.4f, val loss "
				"%.4f acc %.4f, %.0f events/s\n",
			(long long)ep, tl, ta, vl, va, rate);
	}
	buf_addf(&curve, "{\"train_loss\": %.6f, \"train_accuracy\": %.6f, "
			 "\"val_loss\": %.6f, \"val_accuracy\": %.6f, "
			 "\"train_events\": %zu, \"parameters\": %zu, "
			 "\"threads\": %d, \"epochs\": [%s]}\n",
		 tl, ta, vl, va, train.n, m.nw, r->threads, epochs.data);
	if (h5_create(r->outputs[0], &out, err) || clf_save(&m, out, err) ||
	    h5_attr_string(out, "/", "kind", "train.classifier", err) ||
	    h5_attr_int(out, "/", "epochs", nep, err) ||
	    h5_attr_int(out, "/", "batch", (int64_t)B, err) ||
	    h5_attr_double(out, "/", "lr", lr, err) ||
	    h5_attr_double(out, "/", "weight_decay", wd, err) ||
	    h5_attr_int(out, "/", "seed", (int64_t)seed, err) ||
	    kind_write_text(r->outputs[1], &curve, err))
		goto out;
	rc = 0;
out:
#ifdef CAIRN_HAVE_CUDA
	cuda_clf_close(gpu);
#endif
	rc = h5_finish(NULL, out, rc, err);
	clf_data_free(&train);
	clf_data_free(&val);
	clf_free(&m);
	free(g), free(m1), free(m2), free(order);
	buf_release(&curve);
	buf_release(&epochs);
	return rc;
}

const struct stage_kind kind_train_classifier = {
	.name = "train.classifier",
	.summary = "an event classifier: embedding, pooling, one hidden layer",
	.doc = "Each object is embedded (a token lookup for binned input; a "
	       "linear map of\nits standardised features - log pT, eta, phi/pi, "
	       "(log E), one-hot type -\nfor direct input; the MET as tokens or "
	       "one more object), the event's\nobjects are pooled (cls: softmax "
	       "attention to a learned query; mean;\nmax; padding masked), then "
	       "a hidden layer (ReLU) and a logistic output.\nAdam with decoupled "
	       "weight decay over shuffled minibatches; the log-loss.\nThe same "
	       "seed and thread count give the same model, bit for bit.",
	.settings = settings,
	.inputs = inputs,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_train_classifier,
	.sources = KIND_SOURCES_train_classifier,
};
