/*
 * groups: the neighbour-group cache for overlap-based training.  For N
 * scan positions, the K nearest of each (the knn kernel); every group of
 * C = gridsize^2 positions made of a point and C - 1 of its K nearest,
 * deduplicated and written once; and a sample of them.  What users kept
 * in hand-made cache files with hand-made checksums is an ordinary output
 * here, keyed by the positions' digest and these settings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "groups.h"
#include "h5.h"
#include "kind_versions.h"
#include "kinds.h"
#include "knn.h"
#include "parallel.h"
#include "rng.h"
#include "util.h"

#define MAX_CANDIDATES (1ull << 28)	/* groups before deduplication */
#define MAX_COORD 1e15		/* |x|, |y|: squared distances stay exact
				   enough and the search grid's cells
				   countable */

static const char *const devices[] = { "auto", "cpu", "cuda", NULL };
static const char *const member_rules[] = { "centre", "neighbourhood", NULL };
static const char *const orders[] = { "cache", "random", NULL };

static const struct kind_setting sample_fields[] = {
	{ "n", KIND_INT, "0", 0, 2147483647, NULL,
	  "groups to draw (0: all of them)" },
	{ "seed", KIND_INT, "0", 0, 9007199254740991.0, NULL,
	  "the seed of the draw" },
	{ "replace", KIND_BOOL, "false", 0, 0, NULL,
	  "draw with replacement (a group may come again; n may exceed "
	  "the groups)" },
	{ "order", KIND_STRING, "\"cache\"", 0, 0, orders,
	  "the sample's order: as in the cache, or as drawn" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_setting settings[] = {
	{ "k", KIND_INT, "6", 1, KNN_MAX_K, NULL,
	  "neighbours per position (K)" },
	{ "gridsize", KIND_INT, "2", 1, 8, NULL,
	  "groups have gridsize^2 positions (C)" },
	{ "members", KIND_STRING, "\"centre\"", 0, 0, member_rules,
	  "centre: a point and C - 1 of its k nearest; neighbourhood: any C "
	  "of the point and its k nearest" },
	{ "sample", KIND_TABLE, "{}", 0, 0, NULL,
	  "{ n, seed, replace, order }: draw n of the groups (gridsize 1 "
	  "without replacement in cache order: the first n positions)",
	  sample_fields },
	{ "device", KIND_STRING, "\"auto\"", 0, 0, devices,
	  "where the neighbour search runs (auto: a GPU when usable)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port inputs[] = {
	{ "positions", "HDF5 with 'positions' float64 [n, 2] (synth.scan)" },
	{ NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "groups", "HDF5: 'neighbours' int32 [n, k], 'groups' int32 [m, C] "
		    "(all, deduplicated), 'sample' int32 [s, C] (the draw)" },
	{ "report", "JSON: positions, groups before and after deduplication, "
		    "sampled, neighbour distances" },
	{ NULL, NULL },
};

uint64_t groups_per_point(int k, int c, int centre, uint64_t limit)
{
	uint64_t r = 1;
	int i, choose = centre ? c - 1 : c, pool = centre ? k : k + 1;

	if (choose > pool)
		return 0;
	/* C(pool, choose), exact at every step: r * (pool - i) / (i + 1). */
	for (i = 0; i < choose; i++) {
		r = r * (uint64_t)(pool - i) / (uint64_t)(i + 1);
		if (r > limit)
			return 0;
	}
	return r;
}

struct gen {
	const int32_t *idx;
	int k, c, centre;
	uint64_t per;
	int32_t *rows;		/* n * per rows of c */
};

static void gen_part(void *ctx, size_t from, size_t to, int t)
{
	const struct gen *g = ctx;
	int32_t pool[KNN_MAX_K + 1];
	int pick[KNN_MAX_K + 1], a, b;
	/* centre: i, then C - 1 of its k; neighbourhood: C of i and its k */
	int lead = g->centre, choose = g->c - lead, np = g->k + !lead;
	size_t i;

	(void)t;
	for (i = from; i < to; i++) {
		int32_t *row = g->rows + i * g->per * (size_t)g->c;
		if (!lead)
			pool[0] = (int32_t)i;
		memcpy(pool + !lead, g->idx + i * (size_t)g->k,
		       (size_t)g->k * sizeof(int32_t));
		for (a = 0; a < choose; a++)
			pick[a] = a;
		for (;;) {
			if (lead)
				row[0] = (int32_t)i;
			for (a = 0; a < choose; a++)
				row[a + lead] = pool[pick[a]];
			/* Members ascending (c <= 64: insertion sort). */
			for (a = 1; a < g->c; a++)
				for (b = a; b > 0 && row[b - 1] > row[b]; b--) {
					int32_t x = row[b];
					row[b] = row[b - 1];
					row[b - 1] = x;
				}
			row += g->c;
			/* The next choice in lexicographic order. */
			for (a = choose - 1; a >= 0 && pick[a] == np - choose + a;
			     a--)
				;
			if (a < 0)
				break;
			pick[a]++;
			for (b = a + 1; b < choose; b++)
				pick[b] = pick[b - 1] + 1;
		}
	}
}

static uint64_t row_hash(const int32_t *row, int c)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	int a;

	for (a = 0; a < c; a++) {
		h ^= (uint32_t)row[a];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

int32_t *groups_from_knn(const int32_t *idx, size_t n, int k, int c,
			 int centre, size_t *m, int threads)
{
	struct gen g = { idx, k, c, centre,
			 groups_per_point(k, c, centre, MAX_CANDIDATES), NULL };
	size_t total = n * g.per, cap = 16, i, kept = 0;
	uint64_t *slot;

	if (c == 1) {
		int32_t *rows = xcalloc(n ? n : 1, sizeof(int32_t));
		for (i = 0; i < n; i++)
			rows[i] = (int32_t)i;
		*m = n;
		return rows;
	}
	g.rows = xcalloc(total ? total * (size_t)c : 1, sizeof(int32_t));
	parallel_for(threads, n, 256, gen_part, &g);
	/* Deduplicate in order: an open-addressed set of row numbers + 1. */
	while (cap < 2 * total)
		cap *= 2;
	slot = xcalloc(cap, sizeof(uint64_t));
	for (i = 0; i < total; i++) {
		const int32_t *row = g.rows + i * (size_t)c;
		size_t h = row_hash(row, c) & (cap - 1);
		for (;; h = (h + 1) & (cap - 1)) {
			if (!slot[h]) {
				slot[h] = kept + 1;
				if (kept != i)
					memcpy(g.rows + kept * (size_t)c, row,
					       (size_t)c * sizeof(int32_t));
				kept++;
				break;
			}
			if (!memcmp(g.rows + (slot[h] - 1) * (size_t)c, row,
				    (size_t)c * sizeof(int32_t)))
				break;
		}
	}
	free(slot);
	*m = kept;
	return xrealloc(g.rows, (kept ? kept : 1) * (size_t)c * sizeof(int32_t));
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Draw s of m rows: without replacement a partial Fisher-Yates shuffle,
 * with it s uniform draws; then in cache order (sorted) or as drawn.
 */
static size_t *draw(size_t m, size_t s, uint64_t seed, int replace,
		    int sorted)
{
	size_t *all = xcalloc((replace ? s : m) + 1, sizeof(size_t)), i;
	struct rng r = rng_for(seed, 0);

	if (replace) {
		for (i = 0; i < s; i++)
			all[i] = (size_t)(rng_next(&r) % m);
	} else {
		for (i = 0; i < m; i++)
			all[i] = i;
		for (i = 0; i < s; i++) {
			size_t j = i + (size_t)(rng_next(&r) % (m - i)),
			       x = all[i];
			all[i] = all[j];
			all[j] = x;
		}
	}
	if (sorted)
		qsort(all, s, sizeof(size_t), cmp_size);
	return all;
}

/* The settings together: a group is a point and C - 1 of its k (or C of
 * the point and its k: the same bound). */
static int check(const struct kind_run *r, struct buf *why)
{
	int64_t k = kind_int(r, "k"), gs = kind_int(r, "gridsize");

	if (gs * gs - 1 > k) {
		buf_addf(why, "gridsize %lld makes groups of %lld: a point and "
			      "%lld of its neighbours, but k = %lld",
			 (long long)gs, (long long)(gs * gs),
			 (long long)(gs * gs - 1), (long long)k);
		return -1;
	}
	return 0;
}

static int run(const struct kind_run *r, struct err *err)
{
	int k = (int)kind_int(r, "k"), gs = (int)kind_int(r, "gridsize");
	int c = gs * gs, dev;
	uint64_t want = (uint64_t)kind_int(r, "sample.n"), per;
	int centre = !strcmp(kind_string(r, "members"), "centre");
	int replace = kind_bool(r, "sample.replace");
	int sorted = !strcmp(kind_string(r, "sample.order"), "cache");
	uint64_t seed = (uint64_t)kind_int(r, "sample.seed"), d[2];
	uint64_t dn[2], dg[2], ds[2];
	struct h5_file *in = NULL, *out = NULL;
	double *xy = NULL, dsum = 0, dmax = 0;
	int32_t *idx = NULL, *rows = NULL, *pick = NULL;
	size_t n, m = 0, s, i, *chosen = NULL;
	struct buf rep = BUF_INIT;
	char why[200];
	int rc = -1;
	void *p;

	if (kind_check_run(r, err))
		return -1;
	{
		uint64_t want2[2] = { H5_ANY, 2 };
		if (h5_open(r->inputs[0], &in, err) ||
		    h5_read(in, "positions", H5_FLOAT64, 2, want2, d, &p, err))
			goto out;
	}
	xy = p;
	n = (size_t)d[0];
	if (d[0] > INT32_MAX) {
		err_set(err, "'%s': dataset 'positions' has %llu rows; at most "
			     "%d (the indices are int32)",
			r->inputs[0], (unsigned long long)d[0], INT32_MAX);
		goto out;
	}
	for (i = 0; i < 2 * n; i++)
		if (!(xy[i] >= -MAX_COORD && xy[i] <= MAX_COORD)) {
			err_set(err, "'%s': dataset 'positions' row %zu column %zu: "
				     "%g is out of range (%g to %g)",
				r->inputs[0], i / 2, i % 2, xy[i], -MAX_COORD,
				MAX_COORD);
			goto out;
		}
	if ((size_t)k >= n) {
		err_set(err, "k = %d neighbours asked, but '%s' has %zu "
			     "position%s (k must be below the count)",
			k, r->inputs[0], n, n == 1 ? "" : "s");
		goto out;
	}
	per = groups_per_point(k, c, centre, MAX_CANDIDATES);
	if (c > 1 && (!per || per * n > MAX_CANDIDATES)) {
		err_set(err, "k = %d and gridsize %d give C(%d, %d) groups per "
			     "position, %zu positions: over %llu candidates",
			k, gs, centre ? k : k + 1, centre ? c - 1 : c, n,
			(unsigned long long)MAX_CANDIDATES);
		goto out;
	}
	if (replace && want * (uint64_t)c > MAX_CANDIDATES) {
		err_set(err, "sample.n = %llu groups of %d drawn with "
			     "replacement: over %llu positions",
			(unsigned long long)want, c,
			(unsigned long long)MAX_CANDIDATES);
		goto out;
	}
	idx = xcalloc(n * (size_t)k, sizeof(int32_t));
	dev = knn((enum device_pref)device_pref_parse(kind_string(r, "device")),
		  xy, n, k, idx, why, sizeof(why));
	if (dev < 0) {
		err_set(err, "%s", why);
		goto out;
	}
	fprintf(stderr, "groups: neighbours of %zu positions on the %s\n", n,
		device_name(dev));
	for (i = 0; i < n; i++) {
		size_t q = (size_t)idx[i * (size_t)k + (size_t)k - 1];
		double dx = xy[2 * q] - xy[2 * i], dy = xy[2 * q + 1] - xy[2 * i + 1];
		double dist = dx * dx + dy * dy;
		dsum += dist;
		dmax = dist > dmax ? dist : dmax;
	}
	rows = groups_from_knn(idx, n, k, c, centre, &m, r->threads);
	if (!want)
		replace = 0;	/* n = 0: every group once */
	s = !want ? m : replace || want < m ? (size_t)want : m;
	pick = xcalloc(s ? s * (size_t)c : 1, sizeof(int32_t));
	if (!replace && sorted && (c == 1 || s == m)) {
		memcpy(pick, rows, s * (size_t)c * sizeof(int32_t));
	} else if (m) {
		chosen = draw(m, s, seed, replace, sorted);
		for (i = 0; i < s; i++)
			memcpy(pick + i * (size_t)c, rows + chosen[i] * (size_t)c,
			       (size_t)c * sizeof(int32_t));
	}
	dn[0] = n, dn[1] = (uint64_t)k;
	dg[0] = m, dg[1] = (uint64_t)c;
	ds[0] = s, ds[1] = (uint64_t)c;
	if (h5_create(r->outputs[0], &out, err) ||
	    h5_write(out, "neighbours", H5_INT32, 2, dn, idx, err) ||
	    h5_write(out, "groups", H5_INT32, 2, dg, rows, err) ||
	    h5_write(out, "sample", H5_INT32, 2, ds, pick, err) ||
	    h5_attr_string(out, "/", "kind", "groups", err) ||
	    h5_attr_int(out, "/", "k", k, err) ||
	    h5_attr_int(out, "/", "gridsize", gs, err) ||
	    h5_attr_int(out, "/", "sample_n", (int64_t)want, err) ||
	    h5_attr_int(out, "/", "sample_seed", (int64_t)seed, err) ||
	    h5_attr_string(out, "/", "members", kind_string(r, "members"),
			   err) ||
	    h5_attr_int(out, "/", "sample_replace", replace, err) ||
	    h5_attr_string(out, "/", "sample_order",
			   kind_string(r, "sample.order"), err))
		goto out;
	buf_addf(&rep, "{\"positions\": %zu, \"k\": %d, \"gridsize\": %d, "
		       "\"members\": \"%s\", "
		       "\"group_size\": %d, \"candidates\": %llu, \"groups\": %zu, "
		       "\"duplicates\": %llu, \"sampled\": %zu, "
		       "\"kth_distance\": {\"mean_sq\": %.6g, \"max_sq\": %.6g}}\n",
		 n, k, gs, kind_string(r, "members"), c,
		 (unsigned long long)(c == 1 ? n : per * n), m,
		 (unsigned long long)(c == 1 ? 0 : per * n - m), s,
		 n ? dsum / (double)n : 0.0, dmax);
	if (kind_write_text(r->outputs[1], &rep, err))
		goto out;
	rc = 0;
out:
	rc = h5_finish(in, out, rc, err);
	free(xy);
	free(idx);
	free(rows);
	free(pick);
	free(chosen);
	buf_release(&rep);
	return rc;
}

const struct stage_kind kind_groups = {
	.name = "groups",
	.summary = "neighbour groups of scan positions, deduplicated, sampled",
	.doc = "For each position its k nearest (ties by index; the same on the "
	       "CPU and GPU),\nthen every group of C = gridsize^2 positions: "
	       "members = \"centre\", a point and\nC - 1 of its k nearest; "
	       "\"neighbourhood\", any C of the point and its k\nnearest (the "
	       "PtychoPINN rule). Members ascending, duplicates dropped (the\n"
	       "first kept, so the order is point by point). All groups are "
	       "written once;\n'sample' holds sample.n of them drawn with "
	       "sample.seed, without replacement\nor with it (sample.replace), "
	       "in cache order or as drawn (sample.order), or\nall when "
	       "sample.n is 0. The cache is keyed like every stage's outputs: "
	       "no\nhand-made cache file or checksum.",
	.settings = settings,
	.inputs = inputs,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_groups,
	.sources = KIND_SOURCES_groups,
	.check = check,
};
