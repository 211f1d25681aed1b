/*
 * eval.classifier: a model from train.classifier scored on a split
 * (test by default): accuracy, ROC AUC, log-loss and the confusion
 * counts, as a metrics JSON; and, when the stage names it, every event's
 * score, label and weight with the ROC curve, as HDF5 (the report draws
 * it).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "classifier.h"
#include "err.h"
#include "h5.h"
#include "kind_versions.h"
#include "kinds.h"
#include "util.h"

static const char *const splits[] = { "test", "val", "train", NULL };
static const char *const devices[] = { "auto", "cpu", "cuda", NULL };

static const struct kind_setting settings[] = {
	{ "split", KIND_STRING, "\"test\"", 0, 0, splits, "the split scored" },
	{ "threshold", KIND_FLOAT, "0.5", 0, 1, NULL,
	  "P(signal) at or above which an event is called signal" },
	{ "device", KIND_STRING, "\"cpu\"", 0, 0, devices,
	  "where the forward pass runs: cpu (the reference, bit for bit), "
	  "cuda or auto (within float rounding)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port inputs[] = {
	{ "model", "HDF5 from train.classifier" },
	{ "data", "the data it was trained on's kind: tokens or events" },
	{ NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "metrics", "JSON: accuracy, auc, log_loss, tp, fp, tn, fn, events" },
	{ "scores", "HDF5: score float32 [n], label uint8 [n], weight float32 "
		    "[n]; the ROC curve roc/fpr, roc/tpr, roc/threshold "
		    "float64", 1 },
	{ NULL, NULL },
};

struct scored {
	float p;
	uint8_t y;
};

static int by_score(const void *a, const void *b)
{
	float x = ((const struct scored *)a)->p, y = ((const struct scored *)b)->p;

	return x < y ? -1 : x > y;
}

/* ROC AUC: the Mann-Whitney statistic, tied scores sharing their rank. */
double roc_auc(const float *p, const uint8_t *y, size_t n);
double roc_auc(const float *p, const uint8_t *y, size_t n)
{
	struct scored *s = xcalloc(n + 1, sizeof(*s));
	double pos = 0, neg = 0, ranks = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		s[i].p = p[i];
		s[i].y = y[i];
		pos += y[i] != 0;
	}
	neg = (double)n - pos;
	qsort(s, n, sizeof(*s), by_score);
	for (i = 0; i < n; i = j) {
		double r, npos = 0;
		for (j = i; j < n && s[j].p == s[i].p; j++)
			npos += s[j].y != 0;
		r = ((double)i + 1 + (double)j) / 2;	/* the mean rank */
		ranks += r * npos;
	}
	free(s);
	if (!pos || !neg)
		return 0.5;
	return (ranks - pos * (pos + 1) / 2) / (pos * neg);
}

struct weighed {
	float p, w;
	uint8_t y;
};

static int by_score_down(const void *a, const void *b)
{
	float x = ((const struct weighed *)a)->p, y = ((const struct weighed *)b)->p;

	return x > y ? -1 : x < y;
}

/*
 * The ROC curve of scores p, labels y and weights w (n events): from
 * (0, 0) at threshold +inf, one point per distinct score, highest first:
 * the weighted fractions of negatives (fpr) and positives (tpr) scored at
 * or above it.  Events of one score enter together (a tie is one diagonal
 * step, so the trapezoid under the curve is roc_auc's).  A class absent
 * has rate 0 throughout.  fpr, tpr, thr hold n + 1; returns the points.
 */
size_t roc_curve(const float *p, const uint8_t *y, const float *w, size_t n,
		 double *fpr, double *tpr, double *thr);
size_t roc_curve(const float *p, const uint8_t *y, const float *w, size_t n,
		 double *fpr, double *tpr, double *thr)
{
	struct weighed *s = xcalloc(n + 1, sizeof(*s));
	double pos = 0, neg = 0, tp = 0, fp = 0;
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		s[i].p = p[i];
		s[i].w = w[i];
		s[i].y = y[i] != 0;
		if (s[i].y)
			pos += w[i];
		else
			neg += w[i];
	}
	qsort(s, n, sizeof(*s), by_score_down);
	fpr[k] = tpr[k] = 0;
	thr[k++] = INFINITY;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && s[j].p == s[i].p; j++)
			if (s[j].y)
				tp += s[j].w;
			else
				fp += s[j].w;
		fpr[k] = neg > 0 ? fp / neg : 0;
		tpr[k] = pos > 0 ? tp / pos : 0;
		thr[k++] = s[i].p;
	}
	free(s);
	return k;
}

/* The scores output: every event's score, label and weight (1: the data
 * has none), the ROC curve, and the AUC as an attribute. */
static int write_scores(const char *path, const float *p, const uint8_t *y,
			size_t n, double auc, const char *split, struct err *err)
{
	struct h5_file *f = NULL;
	float *w = xcalloc(n + 1, sizeof(float));
	double *fpr = xcalloc(n + 1, sizeof(double));
	double *tpr = xcalloc(n + 1, sizeof(double));
	double *thr = xcalloc(n + 1, sizeof(double));
	uint64_t dn[1] = { n }, dk[1];
	size_t i;
	int rc = -1;

	for (i = 0; i < n; i++)
		w[i] = 1;
	dk[0] = roc_curve(p, y, w, n, fpr, tpr, thr);
	if (h5_create(path, &f, err) == 0 &&
	    h5_write(f, "score", H5_FLOAT32, 1, dn, p, err) == 0 &&
	    h5_write(f, "label", H5_UINT8, 1, dn, y, err) == 0 &&
	    h5_write(f, "weight", H5_FLOAT32, 1, dn, w, err) == 0 &&
	    h5_write(f, "roc/fpr", H5_FLOAT64, 1, dk, fpr, err) == 0 &&
	    h5_write(f, "roc/tpr", H5_FLOAT64, 1, dk, tpr, err) == 0 &&
	    h5_write(f, "roc/threshold", H5_FLOAT64, 1, dk, thr, err) == 0 &&
	    h5_attr_string(f, "/", "kind", "eval.classifier", err) == 0 &&
	    h5_attr_string(f, "/", "split", split, err) == 0 &&
	    h5_attr_double(f, "/", "auc", auc, err) == 0)
		rc = 0;
	rc = h5_finish(NULL, f, rc, err);
	free(w);
	free(fpr);
	free(tpr);
	free(thr);
	return rc;
}

static int run(const struct kind_run *r, struct err *err)
{
	struct clf m;
	struct clf_data d;
	struct clf_config cfg;
	struct buf rep = BUF_INIT;
	double thr = kind_float(r, "threshold"), loss = 0, auc;
	uint64_t tp = 0, fp = 0, tn = 0, fn = 0;
	size_t *idx = NULL, i;
	float *p = NULL;
	int rc = -1;

	if (kind_check_run(r, err) || clf_read(&m, r->inputs[0], err))
		return -1;
	cfg = m.cfg;
	if (clf_load(r->inputs[1], kind_string(r, "split"), &cfg, &d, err))
		goto out;
	if (cfg.binned && cfg.vocab != m.cfg.vocab) {
		err_set(err, "'%s' has a vocabulary of %d; the model was trained "
			     "on %d",
			r->inputs[1], cfg.vocab, m.cfg.vocab);
		clf_data_free(&d);
		goto out;
	}
	clf_standardise(&m, &d);
	idx = xcalloc(d.n + 1, sizeof(size_t));
	p = xcalloc(d.n + 1, sizeof(float));
	for (i = 0; i < d.n; i++)
		idx[i] = i;
	{
		enum device_pref pref = (enum device_pref)device_pref_parse(
			kind_string(r, "device"));
		int dev = clf_predict(&m, &d, idx, d.n, p, r->threads, pref);
		if (dev < 0) {
			err_set(err, "device = \"cuda\": no usable CUDA device");
			clf_data_free(&d);
			goto out;
		}
		fprintf(stderr, "eval.classifier: forward pass on the %s\n",
			device_name(dev));
	}
	for (i = 0; i < d.n; i++)
		if (!isfinite(p[i])) {
			err_set(err, "'%s' gives event %zu of '%s' a P(signal) of "
				     "%g: its weights overflow",
				r->inputs[0], i, r->inputs[1], (double)p[i]);
			clf_data_free(&d);
			goto out;
		}
	for (i = 0; i < d.n; i++) {
		double q = p[i] < 1e-7 ? 1e-7 : p[i] > 1 - 1e-7 ? 1 - 1e-7 : p[i];
		int call = p[i] >= thr, y = d.labels[i] != 0;
		loss -= y ? log(q) : log(1 - q);
		tp += call && y, fp += call && !y, tn += !call && !y,
			fn += !call && y;
	}
	auc = roc_auc(p, d.labels, d.n);
	buf_addf(&rep, "{\"accuracy\": %.6f, \"auc\": %.6f, \"log_loss\": %.6f, "
		       "\"tp\": %llu, \"fp\": %llu, \"tn\": %llu, \"fn\": %llu, "
		       "\"events\": %zu}\n",
		 d.n ? (double)(tp + tn) / (double)d.n : 0,
		 auc, d.n ? loss / (double)d.n : 0,
		 (unsigned long long)tp, (unsigned long long)fp,
		 (unsigned long long)tn, (unsigned long long)fn, d.n);
	rc = kind_write_text(r->outputs[0], &rep, err);
	if (rc == 0 && r->outputs[1])
		rc = write_scores(r->outputs[1], p, d.labels, d.n, auc,
				  kind_string(r, "split"), err);
	clf_data_free(&d);
out:
	clf_free(&m);
	free(idx);
	free(p);
	buf_release(&rep);
	return rc;
}

const struct stage_kind kind_eval_classifier = {
	.name = "eval.classifier",
	.summary = "a trained classifier scored: accuracy, ROC AUC, log-loss",
	.doc = "Scores a train.classifier model on a split of data of the kind "
	       "it was\ntrained on (tokens or events; the same MET use and "
	       "width): accuracy at\nthe threshold, ROC AUC (Mann-Whitney, tied "
	       "scores sharing ranks), mean\nlog-loss and the confusion counts, "
	       "as JSON ready for 'metrics'; and when\n'outs' names 'scores', "
	       "every event's score, label and weight with the\nROC curve "
	       "(ties one step), as HDF5: the report draws it.",
	.settings = settings,
	.inputs = inputs,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_eval_classifier,
	.sources = KIND_SOURCES_eval_classifier,
};
