/*
 * classifier.h: the event classifier train.classifier fits and
 * eval.classifier scores.  Each object of an event is embedded (a token
 * lookup for binned input, a linear map of its features for direct
 * input), the event's objects are pooled (cls: attention to a learned
 * query; mean; max; padding masked), then one hidden layer (ReLU) and a
 * logistic output give P(signal).  docs/stages.md has the details.
 */
#ifndef CAIRN_CLASSIFIER_H
#define CAIRN_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"

struct err;
struct h5_file;

enum clf_pooling { POOL_CLS, POOL_MEAN, POOL_MAX };

struct clf_config {
	int binned;		/* 1: tokens; 0: direct features */
	int vector;		/* direct: 4 (pT, eta, phi, id) or 5 (+E) */
	int met;		/* MET used (tokens or an extra object) */
	int pooling;		/* enum clf_pooling */
	int embed, hidden;
	int vocab;		/* binned: the token vocabulary */
	int nfeat;		/* direct: features per object */
	int width;		/* objects per event, MET included */
};

/* The features of direct input are standardised with the training
 * split's mean and spread (part of the model). */
#define CLF_MAX_FEAT 16

/* What the classifier takes (docs/stages.md); data or a model outside is
 * refused, naming the file, the attribute or dataset and the range. */
#define CLF_MIN_EMBED 2
#define CLF_MAX_EMBED 512
#define CLF_MIN_HIDDEN 2
#define CLF_MAX_HIDDEN 4096
#define CLF_MAX_VOCAB (1 << 24)		/* tokens */
#define CLF_MAX_EMBEDDING (1 << 28)	/* vocabulary x embed weights */
#define CLF_MAX_WIDTH 1024		/* objects per event, MET included */
#define CLF_MAX_VALUE 1e15		/* |E|, |pT|, |eta|, |phi|, MET */

struct clf {
	struct clf_config cfg;
	float *w;		/* all parameters, one block */
	size_t nw;
	/* Offsets into w. */
	size_t emb, emb_b, q, w1, b1, w2, b2;
	float mu[CLF_MAX_FEAT], sd[CLF_MAX_FEAT];
};

/* One split of data, ready for the model. */
struct clf_data {
	size_t n;
	int width;
	int32_t *tok;		/* binned: n x width, 0 = padding */
	float *feat;		/* direct: n x width x nfeat */
	uint8_t *valid;		/* direct: n x width */
	uint8_t *labels;
};

/* Lay out and (with seed) initialise the parameters of cfg. */
void clf_init(struct clf *m, const struct clf_config *cfg, uint64_t seed);
void clf_free(struct clf *m);

/*
 * Load split (train, val, test) of path: tokens (binning's layout) when
 * cfg->binned, else events (synth.events' layout) turned into features.
 * Fills cfg's vocab, width and nfeat on the first (train) load; later
 * splits must agree.  0, or -1 with err naming file and dataset.
 */
int clf_load(const char *path, const char *split, struct clf_config *cfg,
	     struct clf_data *d, struct err *err);
void clf_data_free(struct clf_data *d);
/* Fix the standardisation from the training data, then apply it. */
void clf_standardise_fit(struct clf *m, const struct clf_data *train);
void clf_standardise(const struct clf *m, struct clf_data *d);

/*
 * P(signal) of events idx[0..n) into prob; threads: 0 = all cores.  pref
 * DEVICE_CPU is the reference (bit-identical for any thread count); the
 * GPU (embedding and pooling kernel, GEMM) agrees within float rounding.
 * Returns the device that ran, or -1 when CUDA was demanded and could
 * not be had (the CPU's answer is in prob all the same).
 */
int clf_predict(const struct clf *m, const struct clf_data *d,
		const size_t *idx, size_t n, float *prob, int threads,
		enum device_pref pref);

/*
 * One minibatch: forward, backward; the mean log-loss's gradient into g
 * (m->nw floats, overwritten); returns the batch's summed log-loss and
 * adds its correct predictions to *correct.
 */
double clf_grad(const struct clf *m, const struct clf_data *d,
		const size_t *idx, size_t n, float *g, size_t *correct,
		int threads);

/* Save to an open file (weights and the config as attributes); load. */
int clf_save(const struct clf *m, struct h5_file *f, struct err *err);
int clf_read(struct clf *m, const char *path, struct err *err);

#endif
