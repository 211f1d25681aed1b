/*
 * synth.events: particle-physics-like events for the binned-vs-direct
 * classification study.  Each event has 1..max_objects objects (E, pT,
 * eta, phi, a type id 1..7), zero-padded, sorted by pT; MET magnitude and
 * phi; and a label: signal (1) or background (0), drawn from different
 * distributions (more objects, harder pT, more central, more b-jets and
 * leptons, more MET for signal) that overlap, so classification is
 * learnable but not trivial.  Written as an HDF5 file with one group per
 * split (train, val, test).
 *
 * Every event draws from its own generator, seeded by (seed, index), so
 * the output is the same for any number of threads.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "h5.h"
#include "kind_versions.h"
#include "kinds.h"
#include "rng.h"
#include "util.h"

#define MAX_OBJECTS 18

static const struct kind_setting settings[] = {
	{ "n", KIND_INT, "100000", 10, 100000000, NULL, "how many events" },
	{ "max_objects", KIND_INT, "18", 1, MAX_OBJECTS, NULL,
	  "objects per event at most (the padded width)" },
	{ "signal_fraction", KIND_FLOAT, "0.5", 0.01, 0.99, NULL,
	  "the share of signal events" },
	{ "val_fraction", KIND_FLOAT, "0.1", 0, 0.5, NULL,
	  "the share of events in the validation split" },
	{ "test_fraction", KIND_FLOAT, "0.2", 0, 0.5, NULL,
	  "the share of events in the test split (the rest is train)" },
	{ "seed", KIND_INT, "0", 0, 9007199254740991.0, NULL,
	  "the seed of every draw" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "events",
	  "HDF5: per split (train, val, test) 'objects' float32 [n, T, 4] "
	  "(E, pT, eta, phi), 'types' uint8 [n, T] (1..7, 0 = padding), "
	  "'met' float32 [n, 2] (magnitude, phi), 'labels' uint8 [n]" },
	{ NULL, NULL },
};

/* Type probabilities (jet, b-jet, electron, muon, photon, tau, other). */
static const double type_p[2][7] = {
	{ 0.62, 0.08, 0.07, 0.07, 0.08, 0.04, 0.04 },	/* background */
	{ 0.44, 0.20, 0.11, 0.11, 0.06, 0.05, 0.03 },	/* signal */
};

struct gen {
	int64_t from, to, n;
	int width;
	double signal_fraction;
	uint64_t seed;
	float *objects, *met;
	uint8_t *types, *labels;
};

static void one_event(const struct gen *g, int64_t i)
{
	struct rng r = rng_for(g->seed, (uint64_t)i);
	int sig = rng_uniform(&r) < g->signal_fraction;
	/* Objects: a shifted geometric count, more for signal. */
	double mean = sig ? 7.0 : 5.5, pt[MAX_OBJECTS], eta[MAX_OBJECTS],
	       phi[MAX_OBJECTS];
	int type[MAX_OBJECTS], k = 1, j, a, b;
	float *o = g->objects + (size_t)i * (size_t)g->width * 4;

	while (k < g->width && rng_uniform(&r) < (mean - 1) / mean)
		k++;
	for (j = 0; j < k; j++) {
		double u = rng_uniform(&r), c = 0;
		int t;
		pt[j] = 20.0 - log(rng_uniform(&r)) * (sig ? 42.0 : 30.0);
		eta[j] = rng_normal(&r) * (sig ? 1.2 : 1.6);
		if (eta[j] > 4.5)
			eta[j] = 4.5;
		if (eta[j] < -4.5)
			eta[j] = -4.5;
		phi[j] = (rng_uniform(&r) * 2 - 1) * M_PI;
		for (t = 0; t < 6 && u > (c += type_p[sig][t]); t++)
			;
		type[j] = t + 1;
	}
	/* Sorted by pT, hardest first (insertion sort: k <= 18). */
	for (a = 1; a < k; a++)
		for (b = a; b > 0 && pt[b - 1] < pt[b]; b--) {
			double x;
			int y;
			x = pt[b], pt[b] = pt[b - 1], pt[b - 1] = x;
			x = eta[b], eta[b] = eta[b - 1], eta[b - 1] = x;
			x = phi[b], phi[b] = phi[b - 1], phi[b - 1] = x;
			y = type[b], type[b] = type[b - 1], type[b - 1] = y;
		}
	for (j = 0; j < k; j++) {
		o[4 * j] = (float)(pt[j] * cosh(eta[j]));
		o[4 * j + 1] = (float)pt[j];
		o[4 * j + 2] = (float)eta[j];
		o[4 * j + 3] = (float)phi[j];
		g->types[(size_t)i * (size_t)g->width + (size_t)j] = (uint8_t)type[j];
	}
	g->met[2 * i] = (float)(-log(rng_uniform(&r)) * (sig ? 38.0 : 22.0));
	g->met[2 * i + 1] = (float)((rng_uniform(&r) * 2 - 1) * M_PI);
	g->labels[i] = (uint8_t)sig;
}

static void *gen_part(void *arg)
{
	const struct gen *g = arg;
	int64_t i;

	for (i = g->from; i < g->to; i++)
		one_event(g, i);
	return NULL;
}

/* Events [from, to) into group name. */
static int write_split(struct h5_file *f, const char *name,
		       const struct gen *g, int64_t from, int64_t to,
		       struct err *err)
{
	uint64_t n = (uint64_t)(to - from), w = (uint64_t)g->width;
	uint64_t d3[3] = { n, w, 4 }, d2[2] = { n, w }, dm[2] = { n, 2 };
	uint64_t d1[1] = { n };
	char path[64];

	snprintf(path, sizeof(path), "%s/objects", name);
	if (h5_write(f, path, H5_FLOAT32, 3, d3,
		     g->objects + (size_t)from * w * 4, err))
		return -1;
	snprintf(path, sizeof(path), "%s/types", name);
	if (h5_write(f, path, H5_UINT8, 2, d2, g->types + (size_t)from * w,
		     err))
		return -1;
	snprintf(path, sizeof(path), "%s/met", name);
	if (h5_write(f, path, H5_FLOAT32, 2, dm, g->met + (size_t)from * 2, err))
		return -1;
	snprintf(path, sizeof(path), "%s/labels", name);
	return h5_write(f, path, H5_UINT8, 1, d1, g->labels + from, err);
}

static int run(const struct kind_run *r, struct err *err)
{
	struct gen g, parts[64];
	pthread_t t[64];
	int started[64] = { 0 }, nt = r->threads > 64 ? 64 : r->threads, k;
	int64_t n = kind_int(r, "n"), ntest, nval;
	struct h5_file *f = NULL;
	int rc;

	if (kind_check_run(r, err))
		return -1;
	memset(&g, 0, sizeof(g));
	g.n = n;
	g.width = (int)kind_int(r, "max_objects");
	g.signal_fraction = kind_float(r, "signal_fraction");
	g.seed = (uint64_t)kind_int(r, "seed");
	g.objects = xcalloc((size_t)n * (size_t)g.width * 4, sizeof(float));
	g.types = xcalloc((size_t)n * (size_t)g.width, 1);
	g.met = xcalloc((size_t)n * 2, sizeof(float));
	g.labels = xcalloc((size_t)n, 1);
	if (nt < 1)
		nt = 1;
	for (k = 0; k < nt; k++) {
		parts[k] = g;
		parts[k].from = n * k / nt;
		parts[k].to = n * (k + 1) / nt;
	}
	for (k = 1; k < nt; k++)
		started[k] = pthread_create(&t[k], NULL, gen_part, &parts[k]) == 0;
	gen_part(&parts[0]);
	for (k = 1; k < nt; k++)
		if (started[k])
			pthread_join(t[k], NULL);
		else
			gen_part(&parts[k]);
	ntest = (int64_t)((double)n * kind_float(r, "test_fraction"));
	nval = (int64_t)((double)n * kind_float(r, "val_fraction"));
	rc = h5_create(r->outputs[0], &f, err);
	if (!rc)
		rc = write_split(f, "train", &g, 0, n - nval - ntest, err) ||
		     write_split(f, "val", &g, n - nval - ntest, n - ntest, err) ||
		     write_split(f, "test", &g, n - ntest, n, err);
	if (!rc)
		rc = h5_attr_string(f, "/", "kind", "synth.events", err) ||
		     h5_attr_int(f, "/", "n", n, err) ||
		     h5_attr_int(f, "/", "max_objects", g.width, err) ||
		     h5_attr_double(f, "/", "signal_fraction", g.signal_fraction,
				    err) ||
		     h5_attr_int(f, "/", "seed", (int64_t)g.seed, err) ||
		     h5_attr_string(f, "/", "features", "E,pT,eta,phi", err);
	rc = h5_finish(NULL, f, rc, err);
	free(g.objects);
	free(g.types);
	free(g.met);
	free(g.labels);
	return rc ? -1 : 0;
}

const struct stage_kind kind_synth_events = {
	.name = "synth.events",
	.summary = "particle-physics-like events, two classes, three splits",
	.doc = "N events of up to max_objects objects (E, pT, eta, phi and a "
	       "type id 1..7:\njet, b-jet, electron, muon, photon, tau, other; "
	       "zero-padded, hardest first),\nMET magnitude and phi, and a "
	       "label. Signal events have more objects, harder\npT, more "
	       "central eta, more b-jets and leptons and more MET than\n"
	       "background, with much overlap: learnable, not trivial. Splits "
	       "train, val,\ntest by position. Each event draws from its own "
	       "generator seeded by (seed,\nindex): the same bytes for any "
	       "number of threads.",
	.settings = settings,
	.inputs = NULL,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_synth_events,
	.sources = KIND_SOURCES_synth_events,
};
