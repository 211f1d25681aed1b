/*
 * compare.tokens: two token datasets of the same events (ours against a
 * colleague's binning, say), compared: agreement per position and
 * overall, per-feature bin agreement where both schemes can be decoded
 * (both made by binning, the feature binned alike), the token-frequency
 * distributions and their distance, and the events that differ most.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "json.h"
#include "kind_versions.h"
#include "kinds.h"
#include "util.h"

static const char *const split_names[] = { "train", "val", "test" };

static const struct kind_setting settings[] = {
	{ "top", KIND_INT, "10", 0, 10000, NULL,
	  "how many of the most differing events to list" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port inputs[] = {
	{ "a", "HDF5 of tokens (binning's layout: per split 'tokens' int32)" },
	{ "b", "HDF5 of tokens of the same events" },
	{ NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "report", "JSON: agreement overall, per position and per feature; "
		    "frequency distance; the most differing events" },
	{ NULL, NULL },
};

#define MAX_FEATURES 8
#define MAX_BINS 255			/* binning's, per feature */
#define MAX_PARTICLE_TOKENS (1 << 30)	/* binning's */

/* How to decode one side's tokens, when binning made them. */
struct scheme {
	int known;
	int nf, met;
	char names[MAX_FEATURES][16];
	int64_t bins[MAX_FEATURES], stride[MAX_FEATURES];
	int64_t part, met_bins, met_phi_bins;
};

/* Attribute name of the root, when there is one: 0 and *out in [lo, hi];
 * 1 when absent or not an integer (no scheme); -1 with err when out of
 * range (a broken scheme is an error, not a silent "not decodable"). */
static int scheme_int(struct h5_file *f, const char *name, int64_t lo,
		      int64_t hi, int64_t *out, struct err *err)
{
	struct err ignore;

	if (h5_attr_get_int(f, "/", name, out, &ignore))
		return 1;
	return h5_attr_int_in(f, "/", name, lo, hi, out, err);
}

/* The scheme binning wrote into f, if any (s->known); 0, or -1 with err
 * when its attributes are there but out of range. */
static int load_scheme(struct h5_file *f, struct scheme *s, struct err *err)
{
	char list[128], key[48];
	struct err ignore;
	int64_t v;
	char *p, *save;
	int rc;

	memset(s, 0, sizeof(*s));
	if (h5_attr_get_string(f, "/", "features", list, sizeof(list), &ignore))
		return 0;
	if ((rc = scheme_int(f, "particle_tokens", 1, MAX_PARTICLE_TOKENS,
			     &s->part, err)) ||
	    (rc = scheme_int(f, "met", 0, 1, &v, err)))
		return rc < 0 ? -1 : 0;
	s->met = (int)v;
	for (p = strtok_r(list, ",", &save); p && s->nf < MAX_FEATURES;
	     p = strtok_r(NULL, ",", &save)) {
		snprintf(s->names[s->nf], sizeof(s->names[0]), "%s", p);
		snprintf(key, sizeof(key), "bins_%s", p);
		if ((rc = scheme_int(f, key, 1, MAX_BINS, &s->bins[s->nf], err)))
			return rc < 0 ? -1 : 0;
		snprintf(key, sizeof(key), "stride_%s", p);
		if ((rc = scheme_int(f, key, 1, s->part, &s->stride[s->nf], err)))
			return rc < 0 ? -1 : 0;
		s->nf++;
	}
	if (s->met &&
	    ((rc = scheme_int(f, "bins_met_value", 1, MAX_BINS, &s->met_bins,
			      err)) ||
	     (rc = scheme_int(f, "bins_met_phi", 1, MAX_BINS, &s->met_phi_bins,
			      err))))
		return rc < 0 ? -1 : 0;
	s->known = 1;
	return 0;
}

/* Feature f's bin of particle token t under s. */
static int64_t decode(const struct scheme *s, int f, int32_t t)
{
	return (t - 1) / s->stride[f] % s->bins[f];
}

struct worst {
	int split;
	uint64_t event, differ;
};

static int cmp_token(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;

	return a < b ? -1 : a > b;
}

static int cmp_worst(const void *x, const void *y)
{
	const struct worst *a = x, *b = y;

	if (a->differ != b->differ)
		return a->differ > b->differ ? -1 : 1;
	if (a->split != b->split)
		return a->split < b->split ? -1 : 1;
	return a->event < b->event ? -1 : a->event > b->event;
}

static int run(const struct kind_run *r, struct err *err)
{
	struct h5_file *fa = NULL, *fb = NULL;
	struct scheme sa, sb;
	int32_t *ta[3] = { 0 }, *tb[3] = { 0 };
	uint64_t n[3] = { 0 }, T = 0, *pos_eq = NULL, total = 0, equal = 0;
	uint64_t active = 0, active_eq = 0, feq[MAX_FEATURES] = { 0 };
	uint64_t fcount = 0, met_eq[2] = { 0 }, met_n = 0;
	uint64_t ntop = (uint64_t)kind_int(r, "top");
	int32_t *ka = NULL, *kb = NULL;
	size_t na = 0, nb = 0;
	struct worst *w = NULL;
	size_t nw = 0;
	struct buf rep = BUF_INIT;
	int si, f, fmap[MAX_FEATURES], rc = -1;
	double tv = 0, js = 0;
	uint64_t i, t;

	if (kind_check_run(r, err))
		return -1;
	if (h5_open(r->inputs[0], &fa, err) || h5_open(r->inputs[1], &fb, err))
		goto out;
	for (si = 0; si < 3; si++) {
		uint64_t want[2] = { H5_ANY, si ? T : H5_ANY }, da[2], db[2];
		char path[32];
		void *p;
		snprintf(path, sizeof(path), "%s/tokens", split_names[si]);
		if (h5_read(fa, path, H5_INT32, 2, want, da, &p, err))
			goto out;
		ta[si] = p;
		T = da[1];
		want[0] = da[0];
		want[1] = T;
		if (h5_read(fb, path, H5_INT32, 2, want, db, &p, err))
			goto out;
		tb[si] = p;
		n[si] = da[0];
		for (i = 0; i < n[si] * T; i++)
			if (ta[si][i] < 0 || tb[si][i] < 0) {
				int in_a = ta[si][i] < 0;
				err_set(err, "'%s': dataset '%s' event %llu position "
					     "%llu: %d is out of range (0 to "
					     "2147483647)",
					r->inputs[in_a ? 0 : 1], path,
					(unsigned long long)(i / T),
					(unsigned long long)(i % T),
					in_a ? ta[si][i] : tb[si][i]);
				goto out;
			}
	}
	if (load_scheme(fa, &sa, err) || load_scheme(fb, &sb, err))
		goto out;
	/* Features both schemes bin alike: decodable on both sides. */
	for (f = 0; f < sa.nf; f++) {
		int g;
		fmap[f] = -1;
		for (g = 0; sa.known && sb.known && g < sb.nf; g++)
			if (!strcmp(sa.names[f], sb.names[g]) &&
			    sa.bins[f] == sb.bins[g])
				fmap[f] = g;
	}
	pos_eq = xcalloc(T + 1, sizeof(uint64_t));
	/* The tokens used, to be sorted: their frequencies without a table
	 * as large as the largest token (which a file could make 2^31). */
	ka = xcalloc(n[0] * T + n[1] * T + n[2] * T + 1, sizeof(int32_t));
	kb = xcalloc(n[0] * T + n[1] * T + n[2] * T + 1, sizeof(int32_t));
	w = xcalloc(n[0] + n[1] + n[2] + 1, sizeof(struct worst));
	for (si = 0; si < 3; si++)
		for (i = 0; i < n[si]; i++) {
			const int32_t *a = ta[si] + i * T, *b = tb[si] + i * T;
			uint64_t differ = 0;
			for (t = 0; t < T; t++) {
				int both = sa.known && sb.known;
				int part_a = a[t] > 0 && a[t] <= sa.part,
				    part_b = b[t] > 0 && b[t] <= sb.part;
				if (a[t])
					ka[na++] = a[t];
				if (b[t])
					kb[nb++] = b[t];
				total++;
				equal += a[t] == b[t];
				pos_eq[t] += a[t] == b[t];
				differ += a[t] != b[t];
				if (a[t] || b[t]) {
					active++;
					active_eq += a[t] == b[t];
				}
				if (both && part_a && part_b) {
					fcount++;
					for (f = 0; f < sa.nf; f++)
						if (fmap[f] >= 0)
							feq[f] += decode(&sa, f, a[t]) ==
								  decode(&sb, fmap[f],
									 b[t]);
				}
			}
			if (sa.known && sb.known && sa.met && sb.met && T >= 2 &&
			    sa.met_bins == sb.met_bins &&
			    sa.met_phi_bins == sb.met_phi_bins) {
				met_n++;
				met_eq[0] += a[T - 2] - sa.part == b[T - 2] - sb.part;
				met_eq[1] += a[T - 1] - sa.part == b[T - 1] - sb.part;
			}
			if (differ) {
				w[nw].split = si;
				w[nw].event = i;
				w[nw++].differ = differ;
			}
		}
	/* Frequencies: total variation and Jensen-Shannon (bits), token
	 * by token in ascending order. */
	qsort(ka, na, sizeof(int32_t), cmp_token);
	qsort(kb, nb, sizeof(int32_t), cmp_token);
	{
		size_t x = 0, y = 0;
		while (na && nb && (x < na || y < nb)) {
			int32_t tok = x == na		   ? kb[y]
				      : y == nb		   ? ka[x]
				      : ka[x] < kb[y] ? ka[x]
						      : kb[y];
			size_t ca = 0, cb = 0;
			double p, q, m;
			for (; x < na && ka[x] == tok; x++)
				ca++;
			for (; y < nb && kb[y] == tok; y++)
				cb++;
			p = (double)ca / (double)na;
			q = (double)cb / (double)nb;
			m = (p + q) / 2;
			tv += fabs(p - q) / 2;
			if (p > 0)
				js += p * log2(p / m) / 2;
			if (q > 0)
				js += q * log2(q / m) / 2;
		}
	}
	buf_addf(&rep, "{\"events\": %llu, \"token_positions\": %llu, "
		       "\"agreement\": %.6f, \"agreement_nonpadding\": %.6f, "
		       "\"events_differing\": %zu, \"frequency\": "
		       "{\"total_variation\": %.6f, \"jensen_shannon_bits\": %.6f},",
		 (unsigned long long)(n[0] + n[1] + n[2]), (unsigned long long)T,
		 total ? (double)equal / (double)total : 1.0,
		 active ? (double)active_eq / (double)active : 1.0, nw, tv, js);
	buf_adds(&rep, " \"per_position\": [");
	for (t = 0; t < T; t++) {
		uint64_t ev = n[0] + n[1] + n[2];
		buf_addf(&rep, "%s%.6f", t ? ", " : "",
			 ev ? (double)pos_eq[t] / (double)ev : 1.0);
	}
	buf_adds(&rep, "], \"per_feature\": {");
	if (!sa.known || !sb.known)
		buf_adds(&rep, "\"note\": \"not decodable: both inputs must "
			       "carry binning's scheme attributes\"");
	for (f = 0; sa.known && sb.known && f < sa.nf; f++) {
		if (f)
			buf_adds(&rep, ", ");
		json_string(&rep, sa.names[f], strlen(sa.names[f]));
		if (fmap[f] < 0)
			buf_adds(&rep, ": null");
		else
			buf_addf(&rep, ": %.6f",
				 fcount ? (double)feq[f] / (double)fcount : 1.0);
	}
	if (met_n)
		buf_addf(&rep, ", \"met_value\": %.6f, \"met_phi\": %.6f",
			 (double)met_eq[0] / (double)met_n,
			 (double)met_eq[1] / (double)met_n);
	buf_adds(&rep, "}, \"most_differing\": [");
	qsort(w, nw, sizeof(*w), cmp_worst);
	for (i = 0; i < nw && i < ntop; i++) {
		const int32_t *a = ta[w[i].split] + w[i].event * T,
			      *b = tb[w[i].split] + w[i].event * T;
		buf_addf(&rep, "%s{\"split\": \"%s\", \"event\": %llu, "
			       "\"differing\": %llu, \"a\": [",
			 i ? ", " : "", split_names[w[i].split],
			 (unsigned long long)w[i].event,
			 (unsigned long long)w[i].differ);
		for (t = 0; t < T; t++)
			buf_addf(&rep, "%s%d", t ? ", " : "", a[t]);
		buf_adds(&rep, "], \"b\": [");
		for (t = 0; t < T; t++)
			buf_addf(&rep, "%s%d", t ? ", " : "", b[t]);
		buf_adds(&rep, "]}");
	}
	buf_adds(&rep, "]}\n");
	if (kind_write_text(r->outputs[0], &rep, err))
		goto out;
	rc = 0;
out:
	h5_finish(fa, NULL, 0, err);
	h5_finish(fb, NULL, 0, err);
	for (si = 0; si < 3; si++) {
		free(ta[si]);
		free(tb[si]);
	}
	free(pos_eq);
	free(ka);
	free(kb);
	free(w);
	buf_release(&rep);
	return rc;
}

const struct stage_kind kind_compare_tokens = {
	.name = "compare.tokens",
	.summary = "two token datasets of the same events, compared",
	.doc = "Reads the tokens of every split from a and b (the same events: "
	       "the shapes\nmust match) and reports: the share of equal tokens "
	       "overall, over positions\nnot padding in both, and per position; "
	       "per feature, the share of particle\ntokens whose bin of that "
	       "feature agrees, where both files carry binning's\nscheme and bin "
	       "the feature alike (else null), and the same for the MET\n"
	       "tokens; the token-frequency distributions' total variation and\n"
	       "Jensen-Shannon distance (bits); the top events by differing "
	       "positions,\nwith both token rows.",
	.settings = settings,
	.inputs = inputs,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_compare_tokens,
	.sources = KIND_SOURCES_compare_tokens,
};
