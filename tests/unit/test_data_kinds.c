/*
 * The kinds that process data (binning, groups, compare.tokens), called
 * as the kind-run process calls them, on small hand-made inputs whose
 * answers are computed by hand: edges, tokens, groups, agreement; and
 * their edge cases: ties, all-equal values, NaN rejected, empty splits,
 * values out of range (clamped or refused), k >= n, determinism across
 * thread counts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "gamma.h"
#include "h5.h"
#include "json.h"
#include "kinds.h"
#include "toml.h"

static char dir[] = "/tmp/cairn-test-data-kinds-XXXXXX";

#include "kindtest.h"

/* An events file: per split n events of width objects. */
struct ev {
	uint64_t n, w;
	float obj[16 * 4 * 4], met[16 * 2];
	uint8_t types[16 * 4], labels[16];
};

static void write_events(const char *path, const struct ev *sp)
{
	static const char *const names[] = { "train", "val", "test" };
	struct h5_file *f;
	struct err e;
	int s;

	CHECK_INT(h5_create(path, &f, &e), 0);
	for (s = 0; s < 3; s++) {
		uint64_t d3[3] = { sp[s].n, sp[s].w, 4 }, d2[2] = { sp[s].n, sp[s].w },
			 dm[2] = { sp[s].n, 2 }, d1[1] = { sp[s].n };
		char p[64];
		snprintf(p, sizeof(p), "%s/objects", names[s]);
		CHECK_INT(h5_write(f, p, H5_FLOAT32, 3, d3, sp[s].obj, &e), 0);
		snprintf(p, sizeof(p), "%s/types", names[s]);
		CHECK_INT(h5_write(f, p, H5_UINT8, 2, d2, sp[s].types, &e), 0);
		snprintf(p, sizeof(p), "%s/met", names[s]);
		CHECK_INT(h5_write(f, p, H5_FLOAT32, 2, dm, sp[s].met, &e), 0);
		snprintf(p, sizeof(p), "%s/labels", names[s]);
		CHECK_INT(h5_write(f, p, H5_UINT8, 1, d1, sp[s].labels, &e), 0);
	}
	CHECK_INT(h5_close(f, &e), 0);
}

static void *read_ds(const char *path, const char *name, enum h5_type t,
		     int rank, uint64_t *dims)
{
	uint64_t any[3] = { H5_ANY, H5_ANY, H5_ANY };
	struct h5_file *f;
	struct err e;
	void *p = NULL;

	if (h5_open(path, &f, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return NULL;
	}
	if (h5_read(f, name, t, rank, any, dims, &p, &e))
		fprintf(stderr, "%s\n", e.msg);
	h5_close(f, &e);
	return p;
}

/*
 * Train: 4 events of 2 objects; the second object of the last event is
 * padding.  pT 10..70 (7 values: quantile edges for 2 bins = the median,
 * 40), eta all equal (ties: one edge at that value), phi by the fixed
 * default range.  Val: an event with pT 500, past the training range.
 * Test: empty.
 */
static void make_events(struct ev *sp)
{
	static const float pt[8] = { 10, 20, 30, 40, 50, 60, 70, 0 };
	int i;

	memset(sp, 0, 3 * sizeof(*sp));
	sp[0].n = 4, sp[0].w = 2;
	for (i = 0; i < 7; i++) {
		sp[0].obj[4 * i] = pt[i] * 2;	/* E */
		sp[0].obj[4 * i + 1] = pt[i];
		sp[0].obj[4 * i + 2] = 1.5f;
		sp[0].obj[4 * i + 3] = i < 4 ? -1.0f : 1.0f;
		sp[0].types[i] = (uint8_t)(i % 7 + 1);
	}
	for (i = 0; i < 4; i++) {
		sp[0].met[2 * i] = (float)(10 * (i + 1));
		sp[0].met[2 * i + 1] = 0.5f;
		sp[0].labels[i] = (uint8_t)(i % 2);
	}
	sp[1].n = 1, sp[1].w = 2;
	sp[1].obj[1] = 500, sp[1].obj[2] = 1.5f, sp[1].types[0] = 3;
	sp[1].met[0] = 25;
	sp[2].n = 0, sp[2].w = 2;
}

static void test_binning(void)
{
	struct ev sp[3];
	const char *in[] = { at("ev.h5"), NULL };
	const char *out[] = { at("tok.h5"), at("tok.json"), NULL };
	const char *out3[] = { at("tok3.h5"), at("tok3.json"), NULL };
	uint64_t d[3];
	int32_t *t;
	double *e;
	char *rep, *a, *b;

	make_events(sp);
	write_events(in[0], sp);
	/* 2 bins each over type, pt, eta, phi: 7 * 2 * 2 * 2 = 56 particle
	 * tokens; MET 57..58; MET phi 59..60; vocabulary 61. */
	CHECK_INT(run_kind("binning", "bins = 2\n", in, out, 1), 0);
	e = read_ds(out[0], "edges/pt", H5_FLOAT64, 1, d);
	CHECK(e && d[0] == 1 && e[0] == 40);
	free(e);
	e = read_ds(out[0], "edges/eta", H5_FLOAT64, 1, d);
	CHECK(e && e[0] == 1.5);	/* all equal: every value in bin 1 */
	free(e);
	e = read_ds(out[0], "edges/phi", H5_FLOAT64, 1, d);
	CHECK(e && e[0] == 0);		/* fixed [-pi, pi], 2 bins */
	free(e);
	/* Types in numpy's convention like every feature: digitize(type,
	 * edges) = the number of edges at or below it = type - 1. */
	e = read_ds(out[0], "edges/type", H5_FLOAT64, 1, d);
	CHECK(e && d[0] == 6);
	for (int k = 0; e && k < 6; k++)
		CHECK(e[k] == k + 2);
	free(e);
	t = read_ds(out[0], "train/tokens", H5_INT32, 2, d);
	CHECK(t && d[0] == 4 && d[1] == 4);
	if (t) {
		/* Event 0, object 0: type 1 (bin 0), pt 10 (0), eta (1),
		 * phi -1 (0): 1 + 0*8 + 0*4 + 1*2 + 0 = 3.  Object 1: type
		 * 2, pt 20, eta, phi -1: 1 + 8 + 2 = 11.  MET 10 (bin 0 of
		 * edge 25): 57; MET phi 0.5 (bin 1): 60. */
		CHECK_INT(t[0], 3);
		CHECK_INT(t[1], 11);
		CHECK_INT(t[2], 57);
		CHECK_INT(t[3], 60);
		/* Event 2 object 0: type 5, pt 50 (1), eta, phi 1 (1):
		 * 1 + 32 + 4 + 2 + 1 = 40. */
		CHECK_INT(t[8], 40);
		/* Event 3: pt 70 type 7, then padding. */
		CHECK_INT(t[12], 1 + 48 + 4 + 2 + 1);
		CHECK_INT(t[13], 0);
	}
	free(t);
	/* Val: pt 500 clamped into the last bin, counted. */
	t = read_ds(out[0], "val/tokens", H5_INT32, 2, d);
	CHECK(t && t[0] == 1 + 2 * 8 + 1 * 4 + 1 * 2 + 1);	/* phi 0: at the edge */
	free(t);
	/* The empty test split is written, empty. */
	t = read_ds(out[0], "test/tokens", H5_INT32, 2, d);
	CHECK(d[0] == 0 && d[1] == 4);
	free(t);
	rep = slurp(out[1]);
	CHECK(rep && strstr(rep, "\"vocabulary\": 61, \"particle_tokens\": 56"));
	CHECK(rep && strstr(rep, "\"clamped\": {\"train\": 0, \"val\": 1, "
				 "\"test\": 0}"));
	CHECK(rep && strstr(rep, "\"eta\": {\"method\": \"quantile\", \"bins\": "
				 "2, \"range\": [1.5, 1.5], \"edges\": [1.5], "
				 "\"counts\": {\"train\": [0, 7]"));
	CHECK(rep && strstr(rep, "\"empty_train_bins\": [0]"));
	CHECK(rep && strstr(rep, "\"type\": {\"method\": \"type\", \"bins\": "
				 "7, \"range\": [1, 7], \"edges\": [2, 3, 4, 5, 6, 7]"));
	free(rep);
	/* The same bytes with 3 threads. */
	CHECK_INT(run_kind("binning", "bins = 2\n", in, out3, 3), 0);
	a = slurp(out[0]), b = slurp(out3[0]);
	CHECK(a && b && !strcmp(a, b));
	free(a), free(b);
	/* The default scheme: 7 x 5 x 5 x 5, MET after: vocabulary 886. */
	CHECK_INT(run_kind("binning", "", in, out, 0), 0);
	rep = slurp(out[1]);
	CHECK(rep && strstr(rep, "\"vocabulary\": 886, \"particle_tokens\": 875"));
	free(rep);
	/* Out of range refused, named. */
	CHECK_INT(run_kind("binning", "bins = 2\nout_of_range = \"error\"\n", in,
			   out, 1),
		  -1);
	CHECK(strstr(msg, ": val: pt value 500 is outside the fitted range "
			  "[10, 70]") != NULL);
	/* Uniform and fixed edges; the order decides the strides. */
	CHECK_INT(run_kind("binning", "bins = 3\nmethod = \"uniform\"\n"
				      "features = \"pt,type\"\nmet = false\n"
				      "pt = { method = \"fixed\", lo = 0.0, hi = 90.0 }\n",
			   in, out, 1),
		  0);
	e = read_ds(out[0], "edges/pt", H5_FLOAT64, 1, d);
	CHECK(e && d[0] == 2 && e[0] == 30 && e[1] == 60);
	free(e);
	t = read_ds(out[0], "train/tokens", H5_INT32, 2, d);
	/* pt 10 (bin 0), type 1 (bin 0): 1; pt 40 (1), type 4 (3):
	 * 1 + 7 + 3 = 11; no MET columns. */
	CHECK(t && d[1] == 2 && t[0] == 1 && t[3] == 11);
	free(t);
	/* A quantile edge between -0 values is written +0 (numpy compares
	 * them equal, but no file should hold a -0.0 edge). */
	for (int i = 0; i < 7; i++)
		sp[0].obj[4 * i + 2] = -0.0f;
	write_events(in[0], sp);
	CHECK_INT(run_kind("binning", "bins = 2\n", in, out, 1), 0);
	e = read_ds(out[0], "edges/eta", H5_FLOAT64, 1, d);
	CHECK(e && e[0] == 0 && !signbit(e[0]));
	free(e);
	rep = slurp(out[1]);
	CHECK(rep && strstr(rep, "\"edges\": [0], "));
	free(rep);
	/* NaN is refused, named. */
	sp[0].obj[4 * 5 + 2] = NAN;
	write_events(in[0], sp);
	CHECK_INT(run_kind("binning", "", in, out, 1), -1);
	CHECK(strstr(msg, ": train event 2 object 1: eta is nan: NaN and "
			  "infinite values cannot be binned") != NULL);
	/* An empty train split has nothing to fit. */
	make_events(sp);
	sp[0].n = 0;
	write_events(in[0], sp);
	CHECK_INT(run_kind("binning", "", in, out, 1), -1);
	CHECK(strstr(msg, "the train split has no objects") != NULL);
	/* Settings checked before anything runs. */
	CHECK_INT(run_kind("binning", "features = \"pt,mass\"\n", in, out, 1), -3);
	CHECK_STR(msg, "features are a comma-separated list of type, e, pt, "
		       "eta, phi; not 'mass'");
	CHECK_INT(run_kind("binning", "pt = { bin = 3 }\n", in, out, 1), -3);
	CHECK_STR(msg, "kind 'binning' has no setting 'pt.bin'; did you mean "
		       "'bins'?");
}

static void write_positions(const char *path, const double *xy, uint64_t n)
{
	struct h5_file *f;
	struct err e;
	uint64_t d[2] = { n, 2 };

	CHECK_INT(h5_create(path, &f, &e), 0);
	CHECK_INT(h5_write(f, "positions", H5_FLOAT64, 2, d, xy, &e), 0);
	CHECK_INT(h5_close(f, &e), 0);
}

static void test_groups(void)
{
	/* A unit square and a far point. */
	double sq[] = { 0, 0, 1, 0, 0, 1, 1, 1, 10, 10 };
	const char *in[] = { at("pos.h5"), NULL };
	const char *out[] = { at("g.h5"), at("g.json"), NULL };
	uint64_t d[2];
	int32_t *g;
	char *rep;

	write_positions(in[0], sq, 5);
	/* k = 3, gridsize 2: each point with its 3 nearest.  The square's
	 * points all make {0,1,2,3}; point 4's nearest are 3, 1, 2 (1 and 2
	 * tie: index order), so {1,2,3,4}: 2 groups of 5 candidates. */
	CHECK_INT(run_kind("groups", "k = 3\n", in, out, 1), 0);
	g = read_ds(out[0], "groups", H5_INT32, 2, d);
	CHECK(g && d[0] == 2 && d[1] == 4);
	if (g) {
		CHECK(g[0] == 0 && g[1] == 1 && g[2] == 2 && g[3] == 3);
		CHECK(g[4] == 1 && g[5] == 2 && g[6] == 3 && g[7] == 4);
	}
	free(g);
	g = read_ds(out[0], "neighbours", H5_INT32, 2, d);
	CHECK(g && d[0] == 5 && d[1] == 3 && g[12] == 3 && g[13] == 1 &&
	      g[14] == 2);
	free(g);
	rep = slurp(out[1]);
	CHECK(rep && strstr(rep, "\"candidates\": 5, \"groups\": 2, "
				 "\"duplicates\": 3, \"sampled\": 2"));
	free(rep);
	/* k = 4 and groups of 4: C(4, 3) = 4 choices per point. */
	CHECK_INT(run_kind("groups", "k = 4\nsample = { n = 1, seed = 5 }\n", in,
			   out, 2),
		  0);
	rep = slurp(out[1]);
	CHECK(rep && strstr(rep, "\"candidates\": 20, \"groups\": 5, "
				 "\"duplicates\": 15, \"sampled\": 1"));
	free(rep);
	g = read_ds(out[0], "sample", H5_INT32, 2, d);
	CHECK(g && d[0] == 1 && d[1] == 4);
	free(g);
	/* gridsize 1: the sample is the first n positions, in order. */
	CHECK_INT(run_kind("groups", "k = 2\ngridsize = 1\nsample = { n = 3 }\n",
			   in, out, 1),
		  0);
	g = read_ds(out[0], "sample", H5_INT32, 2, d);
	CHECK(g && d[0] == 3 && d[1] == 1 && g[0] == 0 && g[1] == 1 && g[2] == 2);
	free(g);
	/* K larger than N; groups larger than k + 1. */
	CHECK_INT(run_kind("groups", "k = 5\n", in, out, 1), -1);
	CHECK(strstr(msg, "k = 5 neighbours asked, but '") &&
	      strstr(msg, "' has 5 positions (k must be below the count)"));
	/* Settings that cannot work together: refused at load. */
	CHECK_INT(run_kind("groups", "k = 2\ngridsize = 2\n", in, out, 1), -3);
	CHECK_STR(msg, "gridsize 2 makes groups of 4: a point and 3 of its "
		       "neighbours, but k = 2");
	sq[3] = NAN;
	write_positions(in[0], sq, 5);
	CHECK_INT(run_kind("groups", "k = 2\ngridsize = 1\n", in, out, 1), -1);
	CHECK(strstr(msg, "': dataset 'positions' row 1 column 1: nan is out "
			  "of range (-1e+15 to 1e+15)"));
	CHECK_INT(run_kind("groups", "sample = { n = -1 }\n", in, out, 1), -3);
	CHECK_STR(msg, "setting 'sample.n' of kind 'groups' must be in [0, "
		       "2147483647]");
}


/* The k nearest of i by brute force (squared distance, then index). */
static void brute_knn(const double *xy, int n, int i, int k, int *nn)
{
	int j, a, m = 0, cand[64];
	double d[64];

	for (j = 0; j < n; j++) {
		double dx = xy[2 * j] - xy[2 * i], dy = xy[2 * j + 1] - xy[2 * i + 1];
		if (j == i)
			continue;
		d[m] = dx * dx + dy * dy;
		cand[m++] = j;
	}
	for (a = 1; a < m; a++)	/* insertion sort: stable, so index order */
		for (j = a; j > 0 && d[j - 1] > d[j]; j--) {
			double t = d[j];
			int c = cand[j];
			d[j] = d[j - 1], cand[j] = cand[j - 1];
			d[j - 1] = t, cand[j - 1] = c;
		}
	memcpy(nn, cand, (size_t)k * sizeof(int));
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Every group of c by brute force (centre: i and c - 1 of its k; else c
 * of i and its k), members ascending, the first of equal ones kept, as
 * docs/stages.md says: into g (rows of c); returns how many. */
static int brute_groups(const double *xy, int n, int k, int c, int centre,
			int *g)
{
	int i, m = 0, pool[65], np, choose, pick[65], a, b, row[64];

	for (i = 0; i < n; i++) {
		np = 0;
		if (!centre)
			pool[np++] = i;
		brute_knn(xy, n, i, k, pool + np);
		np += k;
		choose = centre ? c - 1 : c;
		for (a = 0; a < choose; a++)
			pick[a] = a;
		for (;;) {
			int len = 0, dup = 0;
			if (centre)
				row[len++] = i;
			for (a = 0; a < choose; a++)
				row[len++] = pool[pick[a]];
			qsort(row, (size_t)c, sizeof(int), cmp_int);
			for (b = 0; b < m && !dup; b++)
				dup = !memcmp(g + b * c, row, (size_t)c * sizeof(int));
			if (!dup)
				memcpy(g + m++ * c, row, (size_t)c * sizeof(int));
			for (a = choose - 1; a >= 0 && pick[a] == np - choose + a; a--)
				;
			if (a < 0)
				break;
			pick[a]++;
			for (b = a + 1; b < choose; b++)
				pick[b] = pick[b - 1] + 1;
		}
	}
	return m;
}

/* The groups' two rules against the brute force; the draw with and
 * without replacement, in cache order and as drawn (issue 17). */
static void test_groups_rules(void)
{
	double xy[2 * 14];
	const char *in[] = { at("pos14.h5"), NULL };
	const char *out[] = { at("g14.h5"), at("g14.json"), NULL };
	static int want[4000 * 4];
	uint64_t d[2];
	int32_t *g, *g2;
	int i, j, m, centre, found, lacks = 0;
	char *rep;

	/* Integer coordinates: distances exact, ties broken by index. */
	for (i = 0; i < 14; i++) {
		xy[2 * i] = (double)((i * 7) % 11);
		xy[2 * i + 1] = (double)((i * i * 3) % 13);
	}
	write_positions(in[0], xy, 14);
	for (centre = 1; centre >= 0; centre--) {
		CHECK_INT(run_kind("groups", centre ? "k = 4\nmembers = \"centre\"\n"
						    : "k = 4\nmembers = "
						      "\"neighbourhood\"\n",
				   in, out, 2),
			  0);
		m = brute_groups(xy, 14, 4, 4, centre, want);
		g = read_ds(out[0], "groups", H5_INT32, 2, d);
		CHECK(g && d[0] == (uint64_t)m && d[1] == 4);
		for (i = 0; g && d[0] == (uint64_t)m && i < m * 4; i++)
			CHECK_INT(g[i], want[i]);
		/* neighbourhood: groups without their centre exist. */
		for (i = 0; g && !centre && i < m; i++)
			lacks += g[4 * i] != 0 && g[4 * i + 1] != 0 &&
				 g[4 * i + 2] != 0 && g[4 * i + 3] != 0;
		free(g);
		rep = slurp(out[1]);
		CHECK(rep && strstr(rep, centre ? "\"members\": \"centre\""
						: "\"members\": \"neighbourhood\""));
		free(rep);
	}
	CHECK(lacks > 0);
	/* With replacement: n may exceed the groups; rows repeat; in cache
	 * order their places in the cache do not go down. */
	CHECK_INT(run_kind("groups", "k = 4\nmembers = \"neighbourhood\"\n"
				     "sample = { n = 500, seed = 3, replace = true }\n",
			   in, out, 1),
		  0);
	g = read_ds(out[0], "sample", H5_INT32, 2, d);
	CHECK(g && d[0] == 500 && d[1] == 4);
	for (i = 0, found = -1; g && d[0] == 500 && i < 500; i++) {
		for (j = 0; j < m && memcmp(want + 4 * j, g + 4 * i,
					    4 * sizeof(int)); j++)
			;
		CHECK(j < m);
		CHECK(j >= found);
		found = j;
	}
	free(g);
	/* Without replacement, as drawn vs in cache order: the same rows,
	 * the cache order's sorted, the drawn one not (seed 3, 6 of m). */
	CHECK_INT(run_kind("groups", "k = 4\nmembers = \"neighbourhood\"\n"
				     "sample = { n = 6, seed = 3 }\n",
			   in, out, 1),
		  0);
	g = read_ds(out[0], "sample", H5_INT32, 2, d);
	CHECK_INT(run_kind("groups", "k = 4\nmembers = \"neighbourhood\"\n"
				     "sample = { n = 6, seed = 3, order = "
				     "\"random\" }\n",
			   in, out, 1),
		  0);
	g2 = read_ds(out[0], "sample", H5_INT32, 2, d);
	CHECK(g && g2 && d[0] == 6);
	if (g && g2) {
		int same = 0, inorder = 1;
		for (i = 0; i < 6; i++)
			for (j = 0; j < 6; j++)
				same += !memcmp(g + 4 * i, g2 + 4 * j,
						4 * sizeof(int32_t));
		CHECK_INT(same, 6);
		for (i = 0, found = -1; i < 6; i++) {
			for (j = 0; j < m && memcmp(want + 4 * j, g + 4 * i,
						    4 * sizeof(int)); j++)
				;
			inorder &= j < m && j > found;
			found = j;
		}
		CHECK(inorder);
		CHECK(memcmp(g, g2, 6 * 4 * sizeof(int32_t)) != 0);
	}
	free(g);
	free(g2);
	CHECK_INT(run_kind("groups", "members = \"ring\"\n", in, out, 1), -3);
	CHECK(strstr(msg, "'members'") != NULL);
}

static void test_compare(void)
{
	struct ev sp[3];
	const char *ev[] = { at("ev.h5"), NULL };
	const char *o1[] = { at("t1.h5"), at("t1.json"), NULL };
	const char *o2[] = { at("t2.h5"), at("t2.json"), NULL };
	const char *in[] = { o1[0], o2[0], NULL };
	const char *out[] = { at("cmp.json"), NULL };
	char *rep;

	make_events(sp);
	write_events(ev[0], sp);
	CHECK_INT(run_kind("binning", "bins = 2\n", ev, o1, 1), 0);
	/* The same with phi binned into 4: type, pt, eta still decodable
	 * and equal, phi not comparable, tokens all different. */
	CHECK_INT(run_kind("binning", "bins = 2\nphi = { bins = 4 }\n", ev, o2, 1),
		  0);
	CHECK_INT(run_kind("compare.tokens", "", in, out, 1), 0);
	rep = slurp(out[0]);
	CHECK(rep && strstr(rep, "\"per_feature\": {\"type\": 1.000000, \"pt\": "
				 "1.000000, \"eta\": 1.000000, \"phi\": null, "
				 "\"met_value\": 1.000000, \"met_phi\": 1.000000}"));
	CHECK(rep && strstr(rep, "\"events\": 5, \"token_positions\": 4"));
	free(rep);
	/* Against itself: full agreement, zero distance. */
	in[1] = o1[0];
	CHECK_INT(run_kind("compare.tokens", "top = 3\n", in, out, 1), 0);
	rep = slurp(out[0]);
	CHECK(rep && strstr(rep, "\"agreement\": 1.000000, \"agreement_nonpadding"
				 "\": 1.000000, \"events_differing\": 0, "
				 "\"frequency\": {\"total_variation\": 0.000000, "
				 "\"jensen_shannon_bits\": 0.000000}"));
	CHECK(rep && strstr(rep, "\"most_differing\": []"));
	free(rep);
	/* Different events: the shapes must match. */
	sp[0].n = 3;
	write_events(ev[0], sp);
	CHECK_INT(run_kind("binning", "bins = 2\n", ev, o2, 1), 0);
	in[1] = o2[0];
	CHECK_INT(run_kind("compare.tokens", "", in, out, 1), -1);
	CHECK(strstr(msg, "train/tokens") != NULL);
}

static void test_eval_dose(void)
{
	const char *vol[] = { at("vol.h5"), NULL };
	const char *vol2[] = { at("vol2.h5"), NULL };
	const char *same[] = { vol[0], vol[0], NULL };
	const char *other[] = { vol[0], vol2[0], NULL };
	const char *out[] = { at("dose.json"), at("maps.h5"), NULL };
	uint64_t d[3];
	float *m;
	char *rep;

	/* Two small cases; the prediction in the same file (dose_pred) is
	 * the plan shifted 3 mm, blurred and noisy. */
	CHECK_INT(run_kind("synth.volumes",
			   "n = 2\nnx = 40\nny = 36\nnz = 24\n"
			   "pred_shift_mm = 3.0\npred_blur_mm = 2.0\n"
			   "pred_noise_gy = 1.0\nseed = 4\n",
			   NULL, vol, 0),
		  0);
	/* The plan against itself: all zero, everything passes. */
	CHECK_INT(run_kind("eval.dose", "predicted = \"dose_plan\"\n", same, out,
			   0),
		  0);
	rep = slurp(out[0]);
	CHECK(rep && strstr(rep, "{\"cases\": 2, \"mae_body_gy\": 0.0000, "));
	CHECK(rep && strstr(rep, "\"3pct_3mm\": {\"pass_rate\": 100.0000, "
				 "\"mean\": 0.0000, \"p50\": 0.0000, \"p90\": "
				 "0.0000, \"p95\": 0.0000, \"p99\": 0.0000, "
				 "\"max\": 0.0000"));
	CHECK(rep && strstr(rep, "\"PTV70\": {\"D95\": {\"reference\": "
				 "70.0000, \"predicted\": 70.0000, \"diff\": "
				 "0.0000}"));
	free(rep);
	/* The prediction: errors show; 2%/2mm is stricter than 3%/3mm. */
	CHECK_INT(run_kind("eval.dose", "", same, out, 2), 0);
	rep = slurp(out[0]);
	CHECK(rep && !strstr(rep, "\"mae_body_gy\": 0.0000, "));
	{
		double p3 = 0, p2 = 0, pl = 0;
		const char *a = rep ? strstr(rep, "\"3pct_3mm\": {\"pass_rate\": ")
				    : NULL;
		const char *b = rep ? strstr(rep, "\"2pct_2mm\": {\"pass_rate\": ")
				    : NULL;
		if (a && b) {
			p3 = atof(a + 26);
			p2 = atof(b + 26);
		}
		CHECK(p3 > 50 && p3 < 100 && p2 < p3);
		free(rep);
		/* Local normalisation (each voxel's own dose) is stricter
		 * than global (the maximum's) where the dose is low. */
		CHECK_INT(run_kind("eval.dose", "normalisation = \"local\"\n",
				   same, out, 2),
			  0);
		rep = slurp(out[0]);
		a = rep ? strstr(rep, "\"3pct_3mm\": {\"pass_rate\": ") : NULL;
		if (a)
			pl = atof(a + 26);
		CHECK(a && pl < p3);
	}
	free(rep);
	m = read_ds(out[1], "case1/gamma/3pct_3mm", H5_FLOAT32, 3, d);
	CHECK(m && d[0] == 24 && d[1] == 36 && d[2] == 40);
	free(m);
	m = read_ds(out[1], "case0/dvh/PTV70/reference", H5_FLOAT32, 1, d);
	CHECK(m && d[0] > 700 && m[0] == 1 && m[699] == 1 && m[701] == 0);
	free(m);
	/* Settings checked at load; the prediction's grid must match. */
	CHECK_INT(run_kind("eval.dose", "criteria = \"3%/3\"\n", same, out, 1),
		  -3);
	CHECK_STR(msg, "criteria are written like \"3%/3mm,2%/2mm\" (percent and "
		       "millimetres above 0), not \"3%/3\"");
	CHECK_INT(run_kind("synth.volumes", "n = 2\nnx = 40\nny = 36\nnz = 20\n",
			   NULL, vol2, 0),
		  0);
	CHECK_INT(run_kind("eval.dose", "", other, out, 1), -1);
	CHECK(strstr(msg, "dataset 'case0/dose_pred' has shape [20, 36, 40], "
			  "expected [24, 36, 40]") != NULL);
}

/*
 * Forged and broken inputs (issue 13, item 12): refused with the file, the
 * dataset or attribute and the accepted range named, before any output is
 * made; the inputs untouched.
 */
/*
 * DVH numbers by their definition (docs/stages.md): on a ramp of known
 * doses, 0.125 i Gy for the structure's voxels i = 0..1000, numpy's linear
 * quantiles give D95 (the 5th percentile, the dose 95% of the volume
 * receives at least) 6.25, D50 62.5, D2 (98th) 122.5; Dmean 62.5; V50 (the
 * share at 50 Gy or more) 601 of 1001.
 */
static void test_dvh_ramp(void)
{
	const char *vol[] = { at("ramp.h5"), NULL };
	const char *same[] = { vol[0], vol[0], NULL };
	const char *out[] = { at("ramp.json"), at("rampmaps.h5"), NULL };
	hsize_t dims[3] = { 8, 16, 16 };
	size_t n = 8 * 16 * 16, i;
	float *dose = calloc(n, sizeof(float));
	uint8_t *mask = calloc(n, 1);
	char *rep;

	CHECK_INT(run_kind("synth.volumes", "n = 1\nnx = 16\nny = 16\nnz = 8\n",
			   NULL, vol, 0),
		  0);
	for (i = 0; i < 1001; i++) {
		dose[i] = 0.125f * (float)i;
		mask[i] = 1;
	}
	forge_dataset(vol[0], "case0/dose_plan", H5T_IEEE_F32LE, 3, dims,
		      H5T_NATIVE_FLOAT, dose);
	forge_dataset(vol[0], "case0/masks/PTV70", H5T_STD_U8LE, 3, dims,
		      H5T_NATIVE_UINT8, mask);
	CHECK_INT(run_kind("eval.dose",
			   "predicted = \"dose_plan\"\nvx_gy = \"50\"\n", same,
			   out, 0),
		  0);
	rep = slurp(out[0]);
	CHECK(rep && strstr(rep, "\"PTV70\": {"
				 "\"D95\": {\"reference\": 6.2500, "
				 "\"predicted\": 6.2500, \"diff\": 0.0000}, "
				 "\"D2\": {\"reference\": 122.5000, "
				 "\"predicted\": 122.5000, \"diff\": 0.0000}, "
				 "\"D50\": {\"reference\": 62.5000, "
				 "\"predicted\": 62.5000, \"diff\": 0.0000}, "
				 "\"Dmean\": {\"reference\": 62.5000, "
				 "\"predicted\": 62.5000, \"diff\": 0.0000}, "
				 "\"V50\": {\"reference\": 60.0400, "
				 "\"predicted\": 60.0400, \"diff\": 0.0000}}"));
	if (rep && !strstr(rep, "\"D95\": {\"reference\": 6.2500"))
		fprintf(stderr, "%s\n", rep);
	free(rep);
	/* MAE, the mean absolute difference over the body: a prediction 1 Gy
	 * above and below the plan in turn has an MAE of exactly 1. */
	for (i = 0; i < n; i++)
		dose[i] += i % 2 ? 1.0f : -1.0f;
	forge_dataset(vol[0], "case0/dose_pred", H5T_IEEE_F32LE, 3, dims,
		      H5T_NATIVE_FLOAT, dose);
	CHECK_INT(run_kind("eval.dose", "vx_gy = \"50\"\n", same, out, 0), 0);
	rep = slurp(out[0]);
	CHECK(rep && strstr(rep, "{\"cases\": 1, \"mae_body_gy\": 1.0000, "));
	free(rep);
	free(dose);
	free(mask);
}


/* zbins' local rules (issue 17): zpos, the JS-DDPM code's
 * min(int((z - lo) / (hi - lo) * n), n - 1), by default; even,
 * floor((z - lo) * n / (hi - lo + 1)).  On [24, 93] with 50 bins 20 of the
 * 70 slices bin apart. */
static void test_zbins_rules(void)
{
	const char *vol[] = { at("zr-vol.h5"), NULL };
	const char *out[] = { at("zr.h5"), at("zr.json"), NULL };
	const char *out2[] = { at("zr2.h5"), at("zr2.json"), NULL };
	uint64_t d[1];
	int32_t *a, *b, *z;
	int i, apart = 0;

	CHECK_INT(run_kind("synth.volumes", "n = 1\nnx = 16\nny = 16\nnz = 96\n",
			   NULL, vol, 0),
		  0);
	CHECK_INT(run_kind("zbins", "z_range = [24, 93]\nn_bins = 50\n", vol,
			   out, 1),
		  0);
	CHECK_INT(run_kind("zbins", "z_range = [24, 93]\nn_bins = 50\n"
				    "rule = \"even\"\n",
			   vol, out2, 1),
		  0);
	a = read_ds(out[0], "bin", H5_INT32, 1, d);
	z = read_ds(out[0], "z", H5_INT32, 1, d);
	b = read_ds(out2[0], "bin", H5_INT32, 1, d);
	CHECK(a && b && z && d[0] == 70);
	for (i = 0; a && b && z && d[0] == 70 && i < 70; i++) {
		int up = (int)((double)(z[i] - 24) / 69.0 * 50.0);
		CHECK_INT(a[i], up < 49 ? up : 49);
		CHECK_INT(b[i], (z[i] - 24) * 50 / 70);
		apart += a[i] != b[i];
	}
	CHECK_INT(apart, 20);
	free(a);
	free(b);
	free(z);
	/* One slice: bin 0 (zpos would divide by zero). */
	CHECK_INT(run_kind("zbins", "z_range = [30, 30]\nn_bins = 5\n", vol, out,
			   1),
		  0);
	a = read_ds(out[0], "bin", H5_INT32, 1, d);
	CHECK(a && d[0] == 1 && a[0] == 0);
	free(a);
	CHECK_INT(run_kind("zbins", "z_range = [30, 30]\nrule = \"floor\"\n",
			   vol, out, 1),
		  -3);
}

static void test_forged(void)
{
	const char *vol[] = { at("fv.h5"), NULL }, *both[] = { vol[0], vol[0], NULL };
	const char *dose[] = { at("fd.json"), at("fd.h5"), NULL };
	const char *zout[] = { at("fz.h5"), at("fz.json"), NULL };
	const char *ev[] = { at("fe.h5"), NULL };
	const char *tok[] = { at("ft.h5"), at("ft.json"), NULL };
	hsize_t rows[3] = { 1000000000, 2, 4 };
	struct ev sp[3];
	char want[512];

	CHECK_INT(run_kind("synth.volumes", "n = 1\nnx = 16\nny = 16\nnz = 8\n",
			   NULL, vol, 1),
		  0);
	/* NaN spacing made gamma read outside the volume (a segfault). */
	forge_attr_double(vol[0], "/", "spacing_x_mm", NAN);
	snprintf(want, sizeof(want), "'%s': attribute 'spacing_x_mm' of '/': nan "
				     "is out of range (0.001 to 1000)",
		 vol[0]);
	refused("eval.dose", "", both, dose, want);
	/* Spacing 0 wrote inf into the metrics (invalid JSON). */
	forge_attr_double(vol[0], "/", "spacing_x_mm", 3.0);
	forge_attr_double(vol[0], "/", "spacing_z_mm", 0);
	snprintf(want, sizeof(want), "'%s': attribute 'spacing_z_mm' of '/': 0 is "
				     "out of range (0.001 to 1000)",
		 vol[0]);
	refused("eval.dose", "", both, dose, want);
	forge_attr_double(vol[0], "/", "spacing_z_mm", 3.0);
	CHECK_INT(run_kind("eval.dose", "", both, dose, 1), 0);
	/* cases = -1 made zbins allocate 2^64 - 72 bytes. */
	forge_attr_int(vol[0], "/", "cases", -1);
	snprintf(want, sizeof(want), "'%s': attribute 'cases' of '/': -1 is out "
				     "of range (1 to 1000000)",
		 vol[0]);
	refused("zbins", "z_range = [1, 4]\n", vol, zout, want);
	refused("eval.dose", "", both, dose, want);
	/* A header of 10^9 rows whose data the file does not hold. */
	make_events(sp);
	write_events(ev[0], sp);
	forge_header(ev[0], "train/objects", H5T_IEEE_F32LE, 3, rows);
	snprintf(want, sizeof(want), "'%s': dataset 'train/objects' has shape "
				     "[1000000000, 2, 4] (32000000000 bytes), "
				     "but the file stores 0 bytes of it",
		 ev[0]);
	refused("binning", "", ev, tok, want);
	/* A label that is neither signal nor background. */
	write_events(ev[0], sp);
	forge_u8(ev[0], "val/labels", 0, 7);
	snprintf(want, sizeof(want), "'%s': dataset 'val/labels' event 0: 7 is out "
				     "of range (0 or 1)",
		 ev[0]);
	refused("binning", "", ev, tok, want);
}

/* More of what a file can hold that the kinds took for granted. */
static void test_forged_more(void)
{
	const char *vol[] = { at("mv.h5"), NULL }, *both[] = { vol[0], vol[0], NULL };
	const char *dose[] = { at("md.json"), at("md.h5"), NULL };
	const char *ev[] = { at("me.h5"), NULL };
	const char *t1[] = { at("mt1.h5"), at("mt1.json"), NULL };
	const char *t2[] = { at("mt2.h5"), at("mt2.json"), NULL };
	const char *cin[] = { t1[0], t2[0], NULL }, *cout[] = { at("mc.json"), NULL };
	const char *pos[] = { at("mp.h5"), NULL };
	const char *gout[] = { at("mg.h5"), at("mg.json"), NULL };
	double sq[] = { 0, 0, 1, 0, 0, 1, 1, 1, 10, 10 };
	struct gamma_grid g = { 2, 2, 2, NAN, 1, 1 };
	struct gamma_opts o = { 3, 3, 0, 10, 0.1, 2 };
	struct gamma_result res;
	float ref[8] = { 1, 1, 1, 1, 1, 1, 1, 1 }, map[8];
	char want[600], why[200], *rep;
	struct json *j;
	struct err e;
	struct ev sp[3];

	/* The gamma kernel itself refuses a grid it cannot search. */
	CHECK_INT(gamma_index(DEVICE_CPU, ref, ref, &g, &o, map, &res, why,
			      sizeof(why)),
		  -1);
	CHECK_STR(why, "gamma: cannot search a grid of 2 x 2 x 2 voxels of nan x "
		       "1 x 1 mm within 6 mm");
	CHECK_INT(run_kind("synth.volumes", "n = 1\nnx = 16\nny = 16\nnz = 8\n",
			   NULL, vol, 1),
		  0);
	/* An attribute of three values read into one overran the reader. */
	forge_attr_array(vol[0], "/", "spacing_y_mm", 3, 2.0);
	snprintf(want, sizeof(want), "'%s': attribute 'spacing_y_mm' of '/' has 3 "
				     "values, expected one",
		 vol[0]);
	refused("eval.dose", "", both, dose, want);
	forge_attr_double(vol[0], "/", "spacing_y_mm", 3.0);
	/* A finite but absurd dose made 10^30 DVH bins. */
	forge_f32(vol[0], "case0/dose_pred", 77, 1e30f);
	snprintf(want, sizeof(want), "'%s': dataset 'case0/dose_pred' voxel 77: "
				     "1e+30 is out of range (-10000 to 10000 Gy)",
		 vol[0]);
	refused("eval.dose", "", both, dose, want);
	forge_f32(vol[0], "case0/dose_pred", 77, 0);
	forge_f32(vol[0], "case0/dose_plan", 5, 9000);
	refused("eval.dose", "dvh_step_gy = 0.001\n", both, dose,
		"dvh_step_gy 0.001 and case 0's maximum reference dose of 9000 "
		"Gy make over 1000000 DVH bins (a larger step)");
	forge_f32(vol[0], "case0/dose_plan", 5, 0);
	/* A structure's name is a JSON key: quoted, the report stays JSON. */
	CHECK_INT(run_kind("synth.volumes", "n = 2\nnx = 16\nny = 16\nnz = 8\n",
			   NULL, vol, 1),
		  0);
	forge_rename(vol[0], "case0/masks/rectum", "case0/masks/rec\"tum");
	forge_rename(vol[0], "case1/masks/rectum", "case1/masks/rec\"tum");
	CHECK_INT(run_kind("eval.dose", "criteria = \"3%/3mm\"\n", both, dose, 1),
		  0);
	rep = slurp(dose[0]);
	j = NULL;
	CHECK(rep && json_parse(rep, strlen(rep), "m", &j, &e) == 0);
	CHECK(json_member(json_member(j, "mae_gy"), "rec\"tum") != NULL);
	json_free(j);
	free(rep);

	/* Tokens as large as int32 goes made compare.tokens allocate a
	 * table of 2^31 counts per side (16 GiB each). */
	make_events(sp);
	write_events(ev[0], sp);
	CHECK_INT(run_kind("binning", "bins = 2\n", ev, t1, 1), 0);
	CHECK_INT(run_kind("binning", "bins = 2\n", ev, t2, 1), 0);
	forge_i32(t2[0], "train/tokens", 1, 2147483647);
	CHECK_INT(run_kind("compare.tokens", "", cin, cout, 1), 0);
	rep = slurp(cout[0]);
	CHECK(rep && strstr(rep, "\"b\": [3, 2147483647, 57, 60]"));
	free(rep);
	forge_i32(t2[0], "train/tokens", 1, -5);
	snprintf(want, sizeof(want), "'%s': dataset 'train/tokens' event 0 "
				     "position 1: -5 is out of range (0 to "
				     "2147483647)",
		 t2[0]);
	refused("compare.tokens", "", cin, cout, want);
	/* A scheme's stride of 0 divided by zero. */
	CHECK_INT(run_kind("binning", "bins = 2\n", ev, t2, 1), 0);
	forge_attr_int(t2[0], "/", "stride_pt", 0);
	snprintf(want, sizeof(want), "'%s': attribute 'stride_pt' of '/': 0 is out "
				     "of range (1 to 56)",
		 t2[0]);
	refused("compare.tokens", "", cin, cout, want);
	/* A type id past 7. */
	forge_u8(ev[0], "val/types", 1, 9);
	snprintf(want, sizeof(want), "'%s': dataset 'val/types' event 0 object 1: "
				     "9 is out of range (0 to 7)",
		 ev[0]);
	refused("binning", "", ev, t1, want);
	/* Bins making over 2^30 particle tokens: refused at load. */
	CHECK_INT(run_kind("binning", "features = \"type,e,pt,eta,phi\"\n"
				      "bins = 255\n",
			   ev, t1, 1),
		  -3);
	CHECK_STR(msg, "kind 'binning': the features' bins make 29597754375 "
		       "particle tokens, over 2^30: fewer bins or features");

	/* One CT under 1100 names: each case is in the file, but the cache
	 * of them all would be 18 GB. */
	{
		const char *zout[] = { at("mz.h5"), at("mz.json"), NULL };
		hsize_t d3[3] = { 8, 1024, 1024 };
		int16_t *ct = calloc(8 * 1024 * 1024, sizeof(int16_t));
		char name[32];
		hid_t f;
		int c;
		CHECK_INT(run_kind("synth.volumes", "n = 1\nnx = 16\nny = 16\n"
						    "nz = 8\n",
				   NULL, vol, 1),
			  0);
		forge_dataset(vol[0], "case0/ct", H5T_STD_I16LE, 3, d3,
			      H5T_NATIVE_INT16, ct);
		free(ct);
		f = forge_open(vol[0]);
		for (c = 1; c < 1100; c++) {
			snprintf(name, sizeof(name), "case%d", c);
			H5Gclose(H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT,
					    H5P_DEFAULT));
			snprintf(name, sizeof(name), "case%d/ct", c);
			CHECK(H5Lcreate_hard(f, "case0/ct", f, name, H5P_DEFAULT,
					     H5P_DEFAULT) >= 0);
		}
		CHECK(H5Fclose(f) >= 0);
		forge_attr_int(vol[0], "/", "cases", 1100);
		refused("zbins", "z_range = [0, 7]\n", vol, zout,
			"z_range [0, 7] of 1100 cases of 1024 x 1024 makes a slice "
			"cache over 2^34 bytes (16 GiB): a narrower range or fewer "
			"cases");
	}

	/* Finite positions far apart broke the search grid. */
	sq[9] = 1e300;
	write_positions(pos[0], sq, 5);
	snprintf(want, sizeof(want), "'%s': dataset 'positions' row 4 column 1: "
				     "1e+300 is out of range (-1e+15 to 1e+15)",
		 pos[0]);
	refused("groups", "k = 2\ngridsize = 1\n", pos, gout, want);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	test_binning();
	test_groups();
	test_groups_rules();
	test_compare();
	test_eval_dose();
	test_dvh_ramp();
	test_zbins_rules();
	test_forged();
	test_forged_more();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_data_kinds");
}
