/*
 * binning: events (as synth.events writes them) into integer tokens.
 *
 * Bin edges are fitted per feature on the training split only:
 * quantile (equal frequency; exact quantiles, numpy's default rule),
 * uniform (equal width over the training range) or fixed (equal width
 * over a given range, e.g. phi over [-pi, pi]).  Every split is then
 * digitised and each object becomes one composite token,
 *
 *   token = 1 + sum over the features f in order of bin_f * stride_f,
 *
 * the last feature varying fastest (stride 1), the type's bin being
 * type - 1 (7 values); then the event's MET and MET-phi tokens follow the
 * particle tokens' range; 0 is padding.  With 5 bins and 7 types:
 * particles 1..875, MET 876..880, MET-phi 881..885, vocabulary 886.
 *
 * A value outside the fitted range (below the training minimum or above
 * its maximum; outside [lo, hi] for fixed) is clamped into the first or
 * last bin and counted in the report, or with out_of_range = "error" is
 * an error naming the split, event, object, feature and value.  NaN or
 * infinite values are always an error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "kind_versions.h"
#include "kinds.h"
#include "quantile.h"
#include "util.h"

#define MAX_FEATURES 5
#define MAX_BINS 255
#define MAX_PARTICLE_TOKENS (1 << 30)

static const char *const methods[] = { "quantile", "uniform", "fixed", NULL };
static const char *const methods_or_default[] = { "", "quantile", "uniform",
						  "fixed", NULL };
static const char *const range_rules[] = { "clamp", "error", NULL };
static const char *const devices[] = { "auto", "cpu", "cuda", NULL };
static const char *const split_names[] = { "train", "val", "test" };

/* A particle feature: its name, its column in 'objects' (-1: the type). */
struct fname {
	const char *name;
	int col;
};
static const struct fname feature_names[] = {
	{ "type", -1 }, { "e", 0 }, { "pt", 1 }, { "eta", 2 }, { "phi", 3 },
};

static int valid_features(const char *v, struct buf *why)
{
	char seen[MAX_FEATURES] = { 0 };
	const char *p = v;
	int n = 0;

	for (;;) {
		size_t len = strcspn(p, ","), i;
		for (i = 0; i < MAX_FEATURES; i++)
			if (strlen(feature_names[i].name) == len &&
			    !strncmp(p, feature_names[i].name, len))
				break;
		if (i == MAX_FEATURES) {
			buf_addf(why, "features are a comma-separated list of "
				      "type, e, pt, eta, phi; not '%.*s'",
				 (int)len, p);
			return -1;
		}
		if (seen[i]++) {
			buf_addf(why, "feature '%s' is listed twice",
				 feature_names[i].name);
			return -1;
		}
		n++;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

#define FEATURE_FIELDS(method, lo, hi)                                        \
	{ "method", KIND_STRING, method, 0, 0, methods_or_default,            \
	  "quantile, uniform or fixed (\"\": the stage's method)" },          \
	{ "bins", KIND_INT, "0", 0, MAX_BINS, NULL,                            \
	  "bins of this feature (0: the stage's bins)" },                     \
	{ "lo", KIND_FLOAT, lo, -1e300, 1e300, NULL,                           \
	  "fixed: the range's low end" },                                     \
	{ "hi", KIND_FLOAT, hi, -1e300, 1e300, NULL,                           \
	  "fixed: the range's high end" },                                    \
	{ NULL, 0, NULL, 0, 0, NULL, NULL }

static const struct kind_setting plain_fields[] = {
	FEATURE_FIELDS("\"\"", "0.0", "0.0"),
};
static const struct kind_setting angle_fields[] = {
	FEATURE_FIELDS("\"fixed\"", "-3.141592653589793", "3.141592653589793"),
};

static const struct kind_setting settings[] = {
	{ "features", KIND_STRING, "\"type,pt,eta,phi\"", 0, 0, NULL,
	  "the particle token's features, most significant first (of type, "
	  "e, pt, eta, phi)",
	  NULL, valid_features },
	{ "bins", KIND_INT, "5", 1, MAX_BINS, NULL,
	  "bins per continuous feature" },
	{ "method", KIND_STRING, "\"quantile\"", 0, 0, methods,
	  "how edges are fitted on the training split" },
	{ "met", KIND_BOOL, "true", 0, 0, NULL,
	  "append the MET and MET-phi tokens to each event" },
	{ "out_of_range", KIND_STRING, "\"clamp\"", 0, 0, range_rules,
	  "a value outside the fitted range: clamp it into the first or last "
	  "bin (and count it), or fail naming it" },
	{ "device", KIND_STRING, "\"auto\"", 0, 0, devices,
	  "where quantiles and digitisation run (auto: a GPU when usable)" },
	{ "e", KIND_TABLE, "{}", 0, 0, NULL, "energy: { method, bins, lo, hi }",
	  plain_fields },
	{ "pt", KIND_TABLE, "{}", 0, 0, NULL, "pT: { method, bins, lo, hi }",
	  plain_fields },
	{ "eta", KIND_TABLE, "{}", 0, 0, NULL, "eta: { method, bins, lo, hi }",
	  plain_fields },
	{ "phi", KIND_TABLE, "{}", 0, 0, NULL,
	  "phi: { method, bins, lo, hi }, fixed over [-pi, pi] unless set",
	  angle_fields },
	{ "met_value", KIND_TABLE, "{}", 0, 0, NULL,
	  "MET magnitude: { method, bins, lo, hi }", plain_fields },
	{ "met_phi", KIND_TABLE, "{}", 0, 0, NULL,
	  "MET phi: { method, bins, lo, hi }, fixed over [-pi, pi] unless set",
	  angle_fields },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port inputs[] = {
	{ "events", "HDF5 in synth.events' layout: per split 'objects', "
		    "'types', 'met', 'labels'" },
	{ NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "tokens", "HDF5: per split 'tokens' int32 [n, T (+2 with met)] and "
		    "'labels'; 'edges/FEATURE' float64; the scheme as attributes" },
	{ "report", "JSON: per feature its edges and per split its bin counts "
		    "and empty bins; values clamped; tokens used" },
	{ NULL, NULL },
};

/* One binned feature: a particle feature, or the MET's two. */
struct feat {
	const char *name;	/* as in settings and the file */
	int col;		/* objects column, -1 type; met column */
	int met;		/* 1: from 'met' */
	char method[16];
	int bins;
	double lo, hi;		/* the fitted range */
	double *edges;		/* bins - 1 */
	int64_t stride;
	uint64_t *counts[3];	/* per split, per bin */
	uint64_t clamped[3];
};

struct split {
	uint64_t n, width;
	float *objects, *met;
	uint8_t *types, *labels;
};

static int read_split(struct h5_file *f, const char *file, const char *name,
		      uint64_t width, struct split *s, struct err *err)
{
	uint64_t w3[3] = { H5_ANY, width, 4 }, w2[2] = { H5_ANY, width },
		 wm[2] = { H5_ANY, 2 }, w1[1] = { H5_ANY }, d[3];
	char path[64];
	size_t i;
	void *p;

	snprintf(path, sizeof(path), "%s/objects", name);
	if (h5_read(f, path, H5_FLOAT32, 3, w3, d, &p, err))
		return -1;
	s->objects = p;
	s->n = d[0];
	s->width = d[1];
	w2[0] = wm[0] = w1[0] = s->n;
	w2[1] = s->width;
	snprintf(path, sizeof(path), "%s/types", name);
	if (h5_read(f, path, H5_UINT8, 2, w2, d, &p, err))
		return -1;
	s->types = p;
	snprintf(path, sizeof(path), "%s/met", name);
	if (h5_read(f, path, H5_FLOAT32, 2, wm, d, &p, err))
		return -1;
	s->met = p;
	snprintf(path, sizeof(path), "%s/labels", name);
	if (h5_read(f, path, H5_UINT8, 1, w1, d, &p, err))
		return -1;
	s->labels = p;
	for (i = 0; i < s->n; i++)
		if (s->labels[i] > 1)
			return err_set(err, "'%s': dataset '%s' event %zu: %d is out "
					    "of range (0 or 1)",
				       file, path, i, s->labels[i]);
	return 0;
}

/* The values of feature ft in split s (valid objects only), checked. */
static float *gather(const struct feat *ft, const struct split *s,
		     const char *file, const char *split, size_t *n,
		     struct err *err)
{
	size_t cap = ft->met ? s->n : s->n * s->width, m = 0, i, j;
	float *v = xcalloc(cap ? cap : 1, sizeof(float));

	for (i = 0; i < s->n; i++) {
		if (ft->met) {
			float x = s->met[2 * i + (size_t)ft->col];
			if (!isfinite(x)) {
				err_set(err, "'%s': %s event %zu: %s is %g: NaN "
					     "and infinite values cannot be "
					     "binned",
					file, split, i, ft->name, x);
				free(v);
				return NULL;
			}
			v[m++] = x;
			continue;
		}
		for (j = 0; j < s->width; j++) {
			size_t o = i * s->width + j;
			float x;
			if (!s->types[o])
				continue;
			if (s->types[o] > 7) {
				err_set(err, "'%s': dataset '%s/types' event %zu "
					     "object %zu: %d is out of range (0 "
					     "to 7)",
					file, split, i, j, s->types[o]);
				free(v);
				return NULL;
			}
			x = ft->col < 0 ? (float)s->types[o]
					: s->objects[o * 4 + (size_t)ft->col];
			if (!isfinite(x)) {
				err_set(err, "'%s': %s event %zu object %zu: %s is "
					     "%g: NaN and infinite values cannot "
					     "be binned",
					file, split, i, j, ft->name, x);
				free(v);
				return NULL;
			}
			v[m++] = x;
		}
	}
	*n = m;
	return v;
}

/* Fit ft's edges on the training values v[0..n). */
static int fit(struct feat *ft, const float *v, size_t n,
	       enum device_pref dev, struct err *err)
{
	char why[200];
	size_t i;
	int k;

	ft->edges = xcalloc((size_t)ft->bins, sizeof(double));
	if (ft->col < 0 && !ft->met) {
		/* Types 1 to 7, a bin each: edges 2 to 7, so numpy's
		 * digitize(type, edges) gives the bin as for any feature. */
		for (k = 0; k < 6; k++)
			ft->edges[k] = k + 2;
		ft->lo = 1;
		ft->hi = 7;
		return 0;
	}
	if (strcmp(ft->method, "fixed")) {
		ft->lo = ft->hi = v[0];
		for (i = 1; i < n; i++) {
			ft->lo = v[i] < ft->lo ? v[i] : ft->lo;
			ft->hi = v[i] > ft->hi ? v[i] : ft->hi;
		}
	} else if (!(ft->lo < ft->hi)) {
		return err_set(err, "feature '%s': a fixed range needs lo < hi, "
				    "not [%g, %g]",
			       ft->name, ft->lo, ft->hi);
	}
	if (!strcmp(ft->method, "quantile")) {
		double *q = xcalloc((size_t)ft->bins, sizeof(double));
		for (k = 1; k < ft->bins; k++)
			q[k - 1] = (double)k / ft->bins;
		if (ft->bins > 1 &&
		    quantiles(dev, v, n, q, ft->bins - 1, ft->edges, why,
			      sizeof(why)) < 0) {
			free(q);
			return err_set(err, "feature '%s': %s", ft->name, why);
		}
		free(q);
	} else {
		for (k = 1; k < ft->bins; k++)
			ft->edges[k - 1] =
				ft->lo + (ft->hi - ft->lo) * k / ft->bins;
	}
	/* An edge at zero is written +0 (a quantile between -0 values is
	 * -0): equal in every comparison, and no "-0.0" in the files. */
	for (k = 0; k < ft->bins - 1; k++)
		if (ft->edges[k] == 0)
			ft->edges[k] = 0;
	return 0;
}

/* Digitise split s's values of ft into bins (one per value, in gather
 * order), applying the out-of-range rule. */
static int32_t *transform(struct feat *ft, const struct split *s, int si,
			  const char *file, int strict, enum device_pref dev,
			  size_t *n, struct err *err)
{
	float *v = gather(ft, s, file, split_names[si], n, err);
	int32_t *b;
	char why[200];
	size_t i;

	if (!v)
		return NULL;
	if (ft->col >= 0 || ft->met)
		for (i = 0; i < *n; i++) {
			if (v[i] >= ft->lo && v[i] <= ft->hi)
				continue;
			if (strict) {
				err_set(err, "'%s': %s: %s value %.9g is outside "
					     "the fitted range [%.9g, %.9g] "
					     "(out_of_range = \"error\"; \"clamp\" "
					     "puts it in the first or last bin)",
					file, split_names[si], ft->name, v[i], ft->lo,
					ft->hi);
				free(v);
				return NULL;
			}
			ft->clamped[si]++;
		}
	b = xcalloc(*n ? *n : 1, sizeof(int32_t));
	if (digitize(dev, v, *n, ft->edges, ft->bins - 1, b, why, sizeof(why)) <
	    0) {
		err_set(err, "feature '%s': %s", ft->name, why);
		free(v);
		free(b);
		return NULL;
	}
	for (i = 0; i < *n; i++)
		ft->counts[si][b[i]]++;
	free(v);
	return b;
}

static void json_list_u64(struct buf *b, const uint64_t *v, int n)
{
	int i;

	buf_addc(b, '[');
	for (i = 0; i < n; i++)
		buf_addf(b, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
	buf_addc(b, ']');
}

static void report(struct buf *b, struct feat *fs, int nf, int npart,
		   const struct split *sp, int64_t vocab, int64_t part,
		   const uint64_t *used)
{
	uint64_t empty_total = 0, clamped_total = 0, tok_used = 0;
	int f, si, k;

	for (k = 0; k < vocab; k++)
		tok_used += used[k] != 0;
	buf_addf(b, "{\"vocabulary\": %lld, \"particle_tokens\": %lld, "
		    "\"tokens_used\": %llu, \"features\": {",
		 (long long)vocab, (long long)part, (unsigned long long)tok_used);
	for (f = 0; f < nf; f++) {
		struct feat *ft = &fs[f];
		buf_addf(b, "%s\"%s\": {\"method\": \"%s\", \"bins\": %d, "
			    "\"range\": [%.9g, %.9g], \"edges\": [",
			 f ? ", " : "", ft->name,
			 ft->col < 0 && !ft->met ? "type" : ft->method, ft->bins,
			 ft->lo, ft->hi);
		for (k = 0; k + 1 < ft->bins; k++)
			buf_addf(b, "%s%.9g", k ? ", " : "", ft->edges[k]);
		buf_adds(b, "], \"counts\": {");
		for (si = 0; si < 3; si++) {
			buf_addf(b, "%s\"%s\": ", si ? ", " : "", split_names[si]);
			json_list_u64(b, ft->counts[si], ft->bins);
		}
		buf_adds(b, "}, \"empty_train_bins\": [");
		for (k = 0, si = 0; k < ft->bins; k++)
			if (!ft->counts[0][k]) {
				buf_addf(b, "%s%d", si++ ? ", " : "", k);
				empty_total++;
			}
		buf_adds(b, "], \"clamped\": {");
		for (si = 0; si < 3; si++) {
			buf_addf(b, "%s\"%s\": %llu", si ? ", " : "",
				 split_names[si],
				 (unsigned long long)ft->clamped[si]);
			clamped_total += ft->clamped[si];
		}
		buf_adds(b, "}}");
	}
	buf_addf(b, "}, \"particle_features\": %d, \"events\": {\"train\": %llu, "
		    "\"val\": %llu, \"test\": %llu}, \"empty_bins\": %llu, "
		    "\"clamped\": %llu}\n",
		 npart, (unsigned long long)sp[0].n, (unsigned long long)sp[1].n,
		 (unsigned long long)sp[2].n, (unsigned long long)empty_total,
		 (unsigned long long)clamped_total);
}

/* The features in order: the particle ones, then (with met) the MET's. */
static int setup(const struct kind_run *r, struct feat *fs, int *npart)
{
	const char *p = kind_string(r, "features");
	int nf = 0, i, met = kind_bool(r, "met");
	char key[32];

	for (;;) {
		size_t len = strcspn(p, ",");
		for (i = 0; i < MAX_FEATURES; i++)
			if (strlen(feature_names[i].name) == len &&
			    !strncmp(p, feature_names[i].name, len))
				break;
		fs[nf].name = feature_names[i].name;
		fs[nf++].col = feature_names[i].col;
		if (!p[len])
			break;
		p += len + 1;
	}
	*npart = nf;
	if (met) {
		fs[nf].name = "met_value";
		fs[nf].col = 0;
		fs[nf++].met = 1;
		fs[nf].name = "met_phi";
		fs[nf].col = 1;
		fs[nf++].met = 1;
	}
	for (i = 0; i < nf; i++) {
		struct feat *ft = &fs[i];
		const char *m;
		if (ft->col < 0 && !ft->met) {
			ft->bins = 7;
			continue;
		}
		snprintf(key, sizeof(key), "%s.method", ft->name);
		m = kind_string(r, key);
		snprintf(ft->method, sizeof(ft->method), "%s",
			 *m ? m : kind_string(r, "method"));
		snprintf(key, sizeof(key), "%s.bins", ft->name);
		ft->bins = (int)kind_int(r, key);
		if (!ft->bins)
			ft->bins = (int)kind_int(r, "bins");
		snprintf(key, sizeof(key), "%s.lo", ft->name);
		ft->lo = kind_float(r, key);
		snprintf(key, sizeof(key), "%s.hi", ft->name);
		ft->hi = kind_float(r, key);
	}
	return nf;
}

/* The settings together: the particle tokens the features' bins make
 * (the vocabulary's bulk, allocated per run) are at most
 * MAX_PARTICLE_TOKENS. */
static int check(const struct kind_run *r, struct buf *why)
{
	struct feat fs[MAX_FEATURES + 2];
	int64_t part = 1;
	int npart, f;

	memset(fs, 0, sizeof(fs));
	setup(r, fs, &npart);
	for (f = 0; f < npart; f++)
		part *= fs[f].bins;
	if (part > MAX_PARTICLE_TOKENS) {
		buf_addf(why, "kind 'binning': the features' bins make %lld "
			      "particle tokens, over 2^30: fewer bins or features",
			 (long long)part);
		return -1;
	}
	return 0;
}

static int run(const struct kind_run *r, struct err *err)
{
	struct feat fs[MAX_FEATURES + 2];
	struct split sp[3];
	enum device_pref dev =
		(enum device_pref)device_pref_parse(kind_string(r, "device"));
	int strict = !strcmp(kind_string(r, "out_of_range"), "error");
	int nf, npart, f, si, rc = -1;
	const char *file = r->inputs[0];
	int64_t part = 1, vocab;
	struct h5_file *in = NULL, *out = NULL;
	uint64_t *used = NULL;
	struct buf rep = BUF_INIT, names = BUF_INIT;
	char path[64];

	memset(fs, 0, sizeof(fs));
	memset(sp, 0, sizeof(sp));
	if (kind_check_run(r, err))
		return -1;
	nf = setup(r, fs, &npart);
	if (h5_open(file, &in, err))
		goto out;
	for (si = 0; si < 3; si++)
		if (read_split(in, file, split_names[si],
			       si ? sp[0].width : H5_ANY, &sp[si], err))
			goto out;
	/* At most MAX_PARTICLE_TOKENS: check() saw to it. */
	for (f = npart - 1; f >= 0; f--) {
		fs[f].stride = part;
		part *= fs[f].bins;
	}
	vocab = 1 + part + (nf > npart ? fs[npart].bins + fs[npart + 1].bins : 0);
	used = xcalloc((size_t)vocab, sizeof(uint64_t));
	for (f = 0; f < nf; f++) {
		float *v;
		size_t n;
		for (si = 0; si < 3; si++)
			fs[f].counts[si] = xcalloc((size_t)fs[f].bins,
						   sizeof(uint64_t));
		if (!(v = gather(&fs[f], &sp[0], file, "train", &n, err)))
			goto out;
		if (!n) {
			free(v);
			err_set(err, "'%s': the train split has no %s: nothing to "
				     "fit the edges of '%s' on",
				file, fs[f].met ? "events" : "objects",
				fs[f].name);
			goto out;
		}
		rc = fit(&fs[f], v, n, dev, err);
		free(v);
		if (rc)
			goto out;
		rc = -1;
	}
	if (h5_create(r->outputs[0], &out, err))
		goto out;
	for (si = 0; si < 3; si++) {
		const struct split *s = &sp[si];
		uint64_t T = s->width + (nf > npart ? 2 : 0), d2[2] = { s->n, T },
			 d1[1] = { s->n };
		int32_t *tok = xcalloc(s->n * T + 1, sizeof(int32_t));
		int32_t *bins[MAX_FEATURES + 2] = { 0 };
		size_t n = 0, c = 0, i, j;
		int bad = 0;

		for (f = 0; f < nf && !bad; f++)
			bad = !(bins[f] = transform(&fs[f], s, si, file, strict,
						    dev, &n, err));
		for (i = 0; i < s->n && !bad; i++) {
			for (j = 0; j < s->width; j++) {
				int64_t t = 1;
				if (!s->types[i * s->width + j])
					continue;
				for (f = 0; f < npart; f++)
					t += bins[f][c] * fs[f].stride;
				tok[i * T + j] = (int32_t)t;
				c++;
			}
			if (nf > npart) {
				tok[i * T + s->width] =
					(int32_t)(1 + part + bins[npart][i]);
				tok[i * T + s->width + 1] =
					(int32_t)(1 + part + fs[npart].bins +
						  bins[npart + 1][i]);
			}
			for (j = 0; j < T; j++)
				if (tok[i * T + j])
					used[tok[i * T + j]]++;
		}
		if (!bad) {
			snprintf(path, sizeof(path), "%s/tokens", split_names[si]);
			bad = h5_write(out, path, H5_INT32, 2, d2, tok, err) < 0;
		}
		if (!bad) {
			snprintf(path, sizeof(path), "%s/labels", split_names[si]);
			bad = h5_write(out, path, H5_UINT8, 1, d1, s->labels,
				       err) < 0;
		}
		for (f = 0; f < nf; f++)
			free(bins[f]);
		free(tok);
		if (bad)
			goto out;
	}
	for (f = 0; f < nf; f++) {
		uint64_t d1[1] = { (uint64_t)fs[f].bins - 1 };
		char key[48];
		if (f < npart)
			buf_addf(&names, "%s%s", f ? "," : "", fs[f].name);
		snprintf(path, sizeof(path), "edges/%s", fs[f].name);
		snprintf(key, sizeof(key), "bins_%s", fs[f].name);
		if ((fs[f].bins > 1 &&
		     h5_write(out, path, H5_FLOAT64, 1, d1, fs[f].edges, err)) ||
		    h5_attr_int(out, "/", key, fs[f].bins, err))
			goto out;
		snprintf(key, sizeof(key), "stride_%s", fs[f].name);
		if (f < npart && h5_attr_int(out, "/", key, fs[f].stride, err))
			goto out;
	}
	if (h5_attr_string(out, "/", "kind", "binning", err) ||
	    h5_attr_string(out, "/", "features", names.data, err) ||
	    h5_attr_int(out, "/", "met", nf > npart, err) ||
	    h5_attr_int(out, "/", "vocabulary", vocab, err) ||
	    h5_attr_int(out, "/", "particle_tokens", part, err) ||
	    h5_attr_int(out, "/", "max_objects", (int64_t)sp[0].width, err) ||
	    h5_attr_string(out, "/", "method", kind_string(r, "method"), err) ||
	    h5_attr_string(out, "/", "out_of_range",
			   kind_string(r, "out_of_range"), err))
		goto out;
	report(&rep, fs, nf, npart, sp, vocab, part, used);
	if (kind_write_text(r->outputs[1], &rep, err))
		goto out;
	rc = 0;
out:
	rc = h5_finish(in, out, rc, err);
	for (si = 0; si < 3; si++) {
		free(sp[si].objects);
		free(sp[si].met);
		free(sp[si].types);
		free(sp[si].labels);
	}
	for (f = 0; f < nf; f++) {
		free(fs[f].edges);
		for (si = 0; si < 3; si++)
			free(fs[f].counts[si]);
	}
	free(used);
	buf_release(&rep);
	buf_release(&names);
	return rc;
}

const struct stage_kind kind_binning = {
	.name = "binning",
	.summary = "events into integer tokens, edges fitted on train",
	.doc = "Fit bin edges per feature on the training split only: quantile "
	       "(equal\nfrequency, exact), uniform (equal width over the "
	       "training range) or fixed\n(equal width over [lo, hi]; phi and "
	       "MET phi default to [-pi, pi]). Every\nsplit becomes tokens: an "
	       "object's is 1 + sum of bin_f * stride_f over the\nfeatures in "
	       "order (the last varies fastest; the type's bin is type - 1),\n"
	       "then with met the event's MET and MET-phi tokens follow the "
	       "particle\ntokens; 0 is padding. 5 bins, 7 types: particles "
	       "1..875, MET 876..880,\nMET-phi 881..885, vocabulary 886. A value "
	       "outside the fitted range (the\ntraining min..max, or [lo, hi]) "
	       "is clamped into the first or last bin and\ncounted, or with "
	       "out_of_range = \"error\" fails naming it; NaN and infinite\n"
	       "values always fail. The report gives every feature's edges and "
	       "bin counts\nper split, empty bins and clamped values.",
	.settings = settings,
	.inputs = inputs,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_binning,
	.sources = KIND_SOURCES_binning,
	.check = check,
};
