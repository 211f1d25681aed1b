/*
 * The classifier: its gradient against finite differences for every
 * pooling and both inputs; gemm against a plain triple loop (transposes,
 * alpha, beta, thread counts); ROC AUC by hand; and the kinds: the same
 * seed and threads give the same model bytes, training learns (test AUC
 * well above 0.5), eval refuses a mismatched vocabulary.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "classifier.h"
#include "device.h"
#include "err.h"
#include "gemm.h"
#include "h5.h"
#include "json.h"
#include "kinds.h"
#include "rng.h"
#include "toml.h"

double roc_auc(const float *p, const uint8_t *y, size_t n);

static char dir[] = "/tmp/cairn-test-classifier-XXXXXX";

#include "kindtest.h"

static void test_gemm(void)
{
	enum { M = 37, N = 300, K = 150 };
	float *a = malloc(M * K * sizeof(float)), *b = malloc(K * N * sizeof(float));
	float *c = malloc(M * N * sizeof(float)), *want = malloc(M * N * sizeof(float));
	struct rng r = rng_for(1, 1);
	size_t i, j, p, bad = 0;
	int ta, tb, k;

	for (i = 0; i < M * K; i++)
		a[i] = (float)rng_normal(&r);
	for (i = 0; i < K * N; i++)
		b[i] = (float)rng_normal(&r);
	/* beta unlike alpha (0.25 of a C of 4 adds 1), and beta 0 over a C
	 * of NaN: C is not read then (BLAS's rule), so nothing of it leaks. */
	for (k = 0; k < 2; k++) {
		for (ta = 0; ta < 2; ta++)
			for (tb = 0; tb < 2; tb++) {
				for (i = 0; i < M; i++)
					for (j = 0; j < N; j++) {
						double s = 0;
						for (p = 0; p < K; p++)
							s += (double)(ta ? a[p * M + i] : a[i * K + p]) *
							     (tb ? b[j * K + p] : b[p * N + j]);
						want[i * N + j] = (float)(0.5 * s + (k ? 0.0 : 1.0));
						c[i * N + j] = k ? NAN : 4;
					}
				gemm_cpu(ta, tb, M, N, K, 0.5f, a, ta ? M : K, b,
					 tb ? K : N, k ? 0.0f : 0.25f, c, N, 3);
				for (i = 0; i < M * N; i++)
					bad += !(fabsf(c[i] - want[i]) <=
						 1e-3f * (1 + fabsf(want[i])));
			}
	}
	CHECK_INT(bad, 0);
	free(a), free(b), free(c), free(want);
}

/* A tiny data set of n events, width w, for either input. */
static void tiny(struct clf_config *c, struct clf_data *d, size_t n, int w)
{
	struct rng r = rng_for(9, 9);
	size_t i;

	memset(d, 0, sizeof(*d));
	d->n = n;
	d->width = w;
	d->labels = calloc(n, 1);
	if (c->binned) {
		d->tok = calloc(n * (size_t)w, sizeof(int32_t));
		for (i = 0; i < n * (size_t)w; i++)
			d->tok[i] = i % (size_t)w < 3 || rng_uniform(&r) < 0.5
					    ? (int32_t)(1 + rng_next(&r) % 9)
					    : 0;
	} else {
		d->feat = calloc(n * (size_t)w * (size_t)c->nfeat, sizeof(float));
		d->valid = calloc(n * (size_t)w, 1);
		for (i = 0; i < n * (size_t)w; i++) {
			int f;
			d->valid[i] = i % (size_t)w < 2 || rng_uniform(&r) < 0.6;
			for (f = 0; f < 3; f++)
				d->feat[i * (size_t)c->nfeat + (size_t)f] =
					(float)rng_normal(&r);
			d->feat[i * (size_t)c->nfeat + 3 + rng_next(&r) % 8] = 1;
		}
	}
	for (i = 0; i < n; i++)
		d->labels[i] = (uint8_t)(rng_next(&r) & 1);
}

static void test_gradient(void)
{
	int binned, pooling;

	for (binned = 0; binned < 2; binned++)
		for (pooling = 0; pooling < 3; pooling++) {
			struct clf_config c = { binned, 4, 1, pooling, 6, 5, 10, 11,
						5 };
			struct clf m;
			struct clf_data d;
			size_t idx[7] = { 0, 1, 2, 3, 4, 5, 6 }, right = 0, i, bad = 0;
			float *g;
			clf_init(&m, &c, 3);
			/* A query and biases away from zero: every path live. */
			for (i = 0; i < m.nw; i++)
				if (m.w[i] == 0)
					m.w[i] = 0.05f * (float)((int)(i % 7) - 3);
			tiny(&c, &d, 7, 5);
			g = calloc(m.nw, sizeof(float));
			clf_grad(&m, &d, idx, 7, g, &right, 2);
			for (i = 0; i < m.nw; i++) {
				float keep = m.w[i], *tmp = calloc(m.nw, sizeof(float));
				double lp, lm, num;
				size_t r2 = 0;
				m.w[i] = keep + 1e-3f;
				lp = clf_grad(&m, &d, idx, 7, tmp, &r2, 1) / 7;
				m.w[i] = keep - 1e-3f;
				lm = clf_grad(&m, &d, idx, 7, tmp, &r2, 1) / 7;
				m.w[i] = keep;
				num = (lp - lm) / 2e-3;
				/* max pooling has kinks: a looser bound. */
				if (fabs(num - g[i]) > 2e-3 + 0.05 * fabs(num)) {
					if (bad < 5)
						fprintf(stderr, "binned %d pooling %d param %zu: "
								"%g vs %g\n",
							binned, pooling, i, g[i], num);
					bad++;
				}
				free(tmp);
			}
			CHECK_INT(bad, 0);
			free(g);
			clf_free(&m);
			clf_data_free(&d);
		}
}

static void test_auc(void)
{
	float p[] = { 0.1f, 0.4f, 0.35f, 0.8f }, t[] = { 0.5f, 0.5f, 0.5f, 0.5f };
	uint8_t y[] = { 0, 0, 1, 1 };

	/* Pairs (pos, neg): (0.35 > 0.1) yes, (0.35 > 0.4) no, 0.8 beats
	 * both: 3 of 4. */
	CHECK(fabs(roc_auc(p, y, 4) - 0.75) < 1e-12);
	CHECK(fabs(roc_auc(t, y, 4) - 0.5) < 1e-12);	/* all tied */
	CHECK(fabs(roc_auc(p, y, 2) - 0.5) < 1e-12);	/* one class */
}

/*
 * eval.classifier's numbers by their definitions (docs/stages.md), from
 * the model's own predictions: log-loss -mean(y log p + (1 - y) log(1 -
 * p)) with p clamped to [1e-7, 1 - 1e-7]; an event is called signal at or
 * above the threshold, here set to one event's exact prediction, so that
 * event is the edge.
 */
static void eval_by_definition(const char *const *ein)
{
	const char *eout[] = { at("edef.json"), NULL };
	struct clf m;
	struct clf_data d;
	struct clf_config cfg;
	struct err e;
	size_t *idx, i, k = 0, tp = 0, fp = 0;
	float *p;
	double loss = 0, thr;
	char with[128], want[160], *a;

	if (clf_read(&m, ein[0], &e)) {
		CHECK(0);
		return;
	}
	cfg = m.cfg;
	CHECK(clf_load(ein[1], "test", &cfg, &d, &e) == 0);
	clf_standardise(&m, &d);
	idx = calloc(d.n + 1, sizeof(size_t));
	p = calloc(d.n + 1, sizeof(float));
	for (i = 0; i < d.n; i++)
		idx[i] = i;
	CHECK(clf_predict(&m, &d, idx, d.n, p, 2, DEVICE_CPU) >= 0);
	/* The edge: an event whose prediction is not 0 or 1. */
	for (i = 0; i < d.n; i++)
		if (p[i] > 0.2 && p[i] < 0.8) {
			k = i;
			break;
		}
	thr = (double)p[k];
	for (i = 0; i < d.n; i++) {
		double q = p[i] < 1e-7 ? 1e-7 : p[i] > 1 - 1e-7 ? 1 - 1e-7 : p[i];
		int y = d.labels[i] != 0;
		loss -= y ? log(q) : log(1 - q);
		tp += p[i] >= thr && y;
		fp += p[i] >= thr && !y;
	}
	snprintf(with, sizeof(with), "threshold = %.17g\n", thr);
	CHECK_INT(run_kind("eval.classifier", with, ein, eout, 2), 0);
	a = slurp(eout[0]);
	snprintf(want, sizeof(want), "\"log_loss\": %.6f, \"tp\": %zu, "
				     "\"fp\": %zu, ",
		 loss / (double)d.n, tp, fp);
	if (!a || !strstr(a, want))
		fprintf(stderr, "wanted %s in %s\n", want, a ? a : "(none)");
	CHECK(a && strstr(a, want));
	free(a);
	free(idx);
	free(p);
	clf_data_free(&d);
	clf_free(&m);
}

static void test_kinds(void)
{
	const char *ev[] = { at("ev.h5"), NULL }, *tk[] = { at("tok.h5"), at("tok.json"), NULL };
	const char *in_t[] = { tk[0], NULL }, *in_e[] = { ev[0], NULL };
	const char *m1[] = { at("m1.h5"), at("c1.json"), NULL };
	const char *m2[] = { at("m2.h5"), at("c2.json"), NULL };
	const char *md[] = { at("md.h5"), at("cd.json"), NULL };
	const char *ein[] = { m1[0], tk[0], NULL }, *eout[] = { at("e.json"), NULL };
	const char *edin[] = { md[0], ev[0], NULL };
	char *a;
	const char *s;

	CHECK_INT(run_kind("synth.events", "n = 6000\nseed = 5\n", NULL, ev, 0), 0);
	CHECK_INT(run_kind("binning", "", in_e, tk, 0), 0);
	CHECK_INT(run_kind("train.classifier", "epochs = 2\nseed = 3\n", in_t, m1, 2),
		  0);
	CHECK_INT(run_kind("train.classifier", "epochs = 2\nseed = 3\n", in_t, m2, 2),
		  0);
	/* The same seed and threads: the same model, byte for byte. */
	{
		struct buf x = BUF_INIT, y = BUF_INIT;
		buf_read_file(&x, m1[0]);
		buf_read_file(&y, m2[0]);
		CHECK(x.len > 1000 && x.len == y.len &&
		      !memcmp(x.data, y.data, x.len));
		buf_release(&x), buf_release(&y);
	}
	CHECK_INT(run_kind("eval.classifier", "", ein, eout, 2), 0);
	a = slurp(eout[0]);
	s = a ? strstr(a, "\"auc\": ") : NULL;
	CHECK(s && atof(s + 7) > 0.7);
	CHECK(a && strstr(a, "\"events\": 1200}"));
	free(a);
	eval_by_definition(ein);
	/* Without a GPU, auto takes the CPU and cuda is refused. */
	{
		char why[160];
		if (device_count(why, sizeof(why)) == 0) {
			CHECK_INT(run_kind("eval.classifier", "device = \"auto\"\n",
					   ein, eout, 2),
				  0);
			CHECK_INT(run_kind("eval.classifier", "device = \"cuda\"\n",
					   ein, eout, 2),
				  -1);
			CHECK_STR(msg, "device = \"cuda\": no usable CUDA device");
			CHECK_INT(run_kind("train.classifier",
					   "epochs = 1\ndevice = \"cuda\"\n", in_t,
					   m2, 1),
				  -1);
			CHECK(strstr(msg, "cuda requested but not usable: ") == msg);
		}
	}
	/* Direct input, 5-vector, max pooling, no MET. */
	CHECK_INT(run_kind("train.classifier",
			   "input = \"direct\"\nvector = 5\nmet = false\n"
			   "pooling = \"max\"\nepochs = 2\n",
			   in_e, md, 0),
		  0);
	CHECK_INT(run_kind("eval.classifier", "split = \"val\"\n", edin, eout, 0), 0);
	a = slurp(eout[0]);
	s = a ? strstr(a, "\"auc\": ") : NULL;
	CHECK(s && atof(s + 7) > 0.7);
	free(a);
	/* A model of tokens given events: refused, named. */
	ein[1] = ev[0];
	CHECK_INT(run_kind("eval.classifier", "", ein, eout, 1), -1);
	CHECK(strstr(msg, "has no attribute 'vocabulary'") != NULL);
	/* Tokens without MET, a model asking for it. */
	CHECK_INT(run_kind("binning", "met = false\n", in_e, tk, 0), 0);
	CHECK_INT(run_kind("train.classifier", "epochs = 1\n", in_t, m1, 1), -1);
	CHECK(strstr(msg, "has no MET tokens (made with binning's met = false); "
			  "train with met = false") != NULL);
}

/*
 * Forged inputs (issue 13, item 12): sizes that made training and scoring
 * allocate terabytes, a label that is neither class.  Each refused with
 * the file, the attribute or dataset and the range named; the inputs
 * untouched, no output made.
 */
static void test_forged(void)
{
	const char *ev[] = { at("fe.h5"), NULL }, *tk[] = { at("ft.h5"), at("ft.json"), NULL };
	const char *in_t[] = { tk[0], NULL };
	const char *m[] = { at("fm.h5"), at("fc.json"), NULL };
	const char *ein[] = { m[0], tk[0], NULL }, *eout[] = { at("fe.json"), NULL };
	const char *small = "epochs = 1\nembed = 4\nhidden = 4\n";
	char want[512];

	CHECK_INT(run_kind("synth.events", "n = 300\nmax_objects = 6\nseed = 1\n",
			   NULL, ev, 1),
		  0);
	CHECK_INT(run_kind("binning", "bins = 3\n", ev, tk, 1), 0);
	CHECK_INT(run_kind("train.classifier", small, in_t, m, 1), 0);
	/* A model claiming embed = 10^9. */
	forge_attr_int(m[0], "/", "embed", 1000000000);
	snprintf(want, sizeof(want), "'%s': attribute 'embed' of '/': 1000000000 "
				     "is out of range (2 to 512)",
		 m[0]);
	refused("eval.classifier", "", ein, eout, want);
	/* Tokens claiming a vocabulary of 2^31 - 1. */
	forge_attr_int(tk[0], "/", "vocabulary", 2147483647);
	snprintf(want, sizeof(want), "'%s': attribute 'vocabulary' of '/': "
				     "2147483647 is out of range (1 to 16777216)",
		 tk[0]);
	refused("train.classifier", small, in_t, m, want);
	/* Labels are 0 or 1: 7 was trained on as signal. */
	forge_u8(ev[0], "train/labels", 3, 7);
	snprintf(want, sizeof(want), "'%s': dataset 'train/labels' event 3: 7 is "
				     "out of range (0 or 1)",
		 ev[0]);
	refused("train.classifier", "input = \"direct\"\nepochs = 1\n", ev, m,
		want);
}

/* More that a model or its data can claim. */
static void test_forged_more(void)
{
	const char *ev[] = { at("ge.h5"), NULL }, *tk[] = { at("gt.h5"), at("gt.json"), NULL };
	const char *in_t[] = { tk[0], NULL };
	const char *m[] = { at("gm.h5"), at("gc.json"), NULL };
	const char *md[] = { at("gd.h5"), at("gdc.json"), NULL };
	const char *mn[] = { at("gn.h5"), at("gnc.json"), NULL };
	const char *ein[] = { m[0], tk[0], NULL }, *edin[] = { md[0], ev[0], NULL };
	const char *enin[] = { mn[0], tk[0], NULL };
	const char *eout[] = { at("ge.json"), NULL };
	const char *small = "epochs = 1\nembed = 4\nhidden = 4\n";
	hsize_t one[2] = { 60, 1 }, w1[2] = { 4, 4 }, e16[2] = { 16, 32 };
	int32_t col[60] = { 0 };
	float big[16 * 32], alt[4] = { 1, -1, 1, -1 };
	char want[512];
	int i;

	CHECK_INT(run_kind("synth.events", "n = 300\nmax_objects = 6\nseed = 1\n",
			   NULL, ev, 1),
		  0);
	CHECK_INT(run_kind("binning", "bins = 3\n", ev, tk, 1), 0);
	CHECK_INT(run_kind("train.classifier", small, in_t, m, 1), 0);
	CHECK_INT(run_kind("train.classifier", "input = \"direct\"\nepochs = 1\n",
			   ev, md, 1),
		  0);
	/* A direct model's features per object must be what its vector
	 * makes: a model of 16 (its embedding too) read past the end of
	 * every event's 11. */
	for (i = 0; i < 16 * 32; i++)
		big[i] = 0.01f;
	forge_attr_int(md[0], "/", "nfeat", 16);
	forge_dataset(md[0], "model/embedding", H5T_IEEE_F32LE, 2, e16,
		      H5T_NATIVE_FLOAT, big);
	snprintf(want, sizeof(want), "'%s': attribute 'nfeat' of '/': 16 is out "
				     "of range (11 with vector 4)",
		 md[0]);
	refused("eval.classifier", "split = \"val\"\n", edin, eout, want);
	/* Tokens with MET, a row of one token, a model without MET: the
	 * width less the two MET tokens underflowed. */
	CHECK_INT(run_kind("train.classifier", "epochs = 1\nembed = 4\n"
					       "hidden = 4\nmet = false\n",
			   in_t, mn, 1),
		  0);
	forge_dataset(tk[0], "test/tokens", H5T_STD_I32LE, 2, one,
		      H5T_NATIVE_INT32, col);
	snprintf(want, sizeof(want), "'%s': dataset 'test/tokens' has shape [60, "
				     "1]: tokens per event must be 3 to 1024",
		 tk[0]);
	refused("eval.classifier", "", enin, eout, want);
	/* Weights that overflow give P(signal) NaN: it was scored as a
	 * log-loss of nan, which is not JSON. */
	CHECK_INT(run_kind("binning", "bins = 3\n", ev, tk, 1), 0);
	for (i = 0; i < 16; i++)
		big[i] = 3e38f;
	forge_dataset(m[0], "model/w1", H5T_IEEE_F32LE, 2, w1, H5T_NATIVE_FLOAT,
		      big);
	forge_dataset(m[0], "model/w2", H5T_IEEE_F32LE, 1, w1, H5T_NATIVE_FLOAT,
		      alt);
	for (i = 0; i < 4; i++)
		forge_f32(m[0], "model/embedding_bias", (hsize_t)i, 1);
	{
		hsize_t d[2] = { 0, 4 };
		struct h5_file *f;
		struct err e;
		uint64_t any[2] = { H5_ANY, 4 }, got[2];
		float *emb;
		void *p;
		CHECK_INT(h5_open(m[0], &f, &e), 0);
		CHECK_INT(h5_read(f, "model/embedding", H5_FLOAT32, 2, any, got, &p,
				  &e),
			  0);
		h5_close(f, &e);
		emb = p;
		d[0] = got[0];
		for (i = 0; i < (int)(got[0] * 4); i++)
			emb[i] = 1;
		forge_dataset(m[0], "model/embedding", H5T_IEEE_F32LE, 2, d,
			      H5T_NATIVE_FLOAT, emb);
		free(emb);
	}
	snprintf(want, sizeof(want), "'%s' gives event 0 of '%s' a P(signal) of "
				     "nan: its weights overflow",
		 m[0], tk[0]);
	refused("eval.classifier", "", ein, eout, want);
	/* MET not a number became NaN features, then a NaN loss. */
	forge_f32(ev[0], "train/met", 0, NAN);
	snprintf(want, sizeof(want), "'%s': dataset 'train/met' event 0: nan is "
				     "out of range (-1e+15 to 1e+15)",
		 ev[0]);
	refused("train.classifier", "input = \"direct\"\nepochs = 1\n", ev, md,
		want);
}

/* --gpu: the CUDA paths against the CPU's, or skipped (77). */
static int gpu_tests(void)
{
	enum { M = 300, N = 64, K = 48 };
	float *a = malloc(M * K * sizeof(float)), *b = malloc(N * K * sizeof(float));
	float *c1 = malloc(M * N * sizeof(float)), *c2 = malloc(M * N * sizeof(float));
	struct rng r = rng_for(4, 4);
	char why[160];
	size_t i, bad = 0;
	int binned, pooling;

	if (device_count(why, sizeof(why)) == 0) {
		printf("no CUDA device: %s\n", why);
		SKIP("no CUDA device");
	}
	for (i = 0; i < M * K; i++)
		a[i] = (float)rng_normal(&r);
	for (i = 0; i < N * K; i++)
		b[i] = (float)rng_normal(&r);
	gemm_cpu(0, 1, M, N, K, 1, a, K, b, K, 0, c1, N, 0);
	CHECK_INT(gemm(DEVICE_CUDA, 0, 1, M, N, K, 1, a, K, b, K, 0, c2, N, why,
		       sizeof(why)),
		  DEVICE_CUDA);
	for (i = 0; i < M * N; i++)
		bad += fabsf(c1[i] - c2[i]) > 1e-4f * (1 + fabsf(c1[i]));
	CHECK_INT(bad, 0);
	/* The forward pass: probabilities within float rounding. */
	for (binned = 0; binned < 2; binned++)
		for (pooling = 0; pooling < 3; pooling++) {
			struct clf_config c = { binned, 4, 1, pooling, 16, 12, 10, 11,
						5 };
			struct clf m;
			struct clf_data d;
			size_t idx[200];
			float p1[200], p2[200];
			clf_init(&m, &c, 7);
			tiny(&c, &d, 200, 5);
			for (i = 0; i < 200; i++)
				idx[i] = 199 - i;
			clf_predict(&m, &d, idx, 200, p1, 0, DEVICE_CPU);
			CHECK_INT(clf_predict(&m, &d, idx, 200, p2, 0, DEVICE_CUDA),
				  DEVICE_CUDA);
			for (i = 0, bad = 0; i < 200; i++)
				bad += fabsf(p1[i] - p2[i]) > 1e-5f;
			CHECK_INT(bad, 0);
			clf_free(&m);
			clf_data_free(&d);
		}
	free(a), free(b), free(c1), free(c2);
	/* Training on the GPU: the curve within rounding of the CPU's. */
	if (mkdtemp(dir)) {
		const char *ev[] = { at("ev.h5"), NULL }, *in_e[] = { ev[0], NULL };
		const char *mc[] = { at("mc.h5"), at("cc.json"), NULL };
		const char *mg[] = { at("mg.h5"), at("cg.json"), NULL };
		char *x, *y, cmd[300];
		CHECK_INT(run_kind("synth.events", "n = 4000\nseed = 2\n", NULL, ev,
				   0),
			  0);
		for (pooling = 0; pooling < 3; pooling++) {
			static const char *const with[] = {
				"input = \"direct\"\npooling = \"cls\"\nepochs = 2\n",
				"input = \"direct\"\npooling = \"mean\"\nepochs = 2\n",
				"input = \"direct\"\npooling = \"max\"\nepochs = 2\n",
			};
			char gw[200];
			double lc, lg;
			snprintf(gw, sizeof(gw), "%sdevice = \"cuda\"\n", with[pooling]);
			CHECK_INT(run_kind("train.classifier", with[pooling], in_e, mc, 0),
				  0);
			CHECK_INT(run_kind("train.classifier", gw, in_e, mg, 0), 0);
			x = slurp(mc[1]), y = slurp(mg[1]);
			lc = x && strstr(x, "\"val_loss\": ")
				     ? atof(strstr(x, "\"val_loss\": ") + 12)
				     : -1;
			lg = y && strstr(y, "\"val_loss\": ")
				     ? atof(strstr(y, "\"val_loss\": ") + 12)
				     : -2;
			CHECK(fabs(lc - lg) < 0.01);
			free(x), free(y);
		}
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			return 1;
	}
	return check_done("test_classifier_gpu");
}

int main(int argc, char **argv)
{
	char cmd[300];

	if (argc > 1 && !strcmp(argv[1], "--gpu"))
		return gpu_tests();
	if (!mkdtemp(dir))
		return 1;
	test_gemm();
	test_gradient();
	test_auc();
	test_kinds();
	test_forged();
	test_forged_more();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_classifier");
}
