/*
 * The pictures of the data kinds' outputs (stages/plot_zbins.c,
 * plot_bins.c, plot_tokens.c): real outputs made by the kinds in, the
 * key markup out (bars, captions, the rank line); zbins' report over all
 * n bins; hostile and truncated artifacts in, nothing drawn (or a note),
 * no crash under ASan.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "h5.h"
#include "json.h"
#include "kinds.h"
#include "plot.h"
#include "toml.h"

static char dir[] = "/tmp/cairn-test-plot-kinds-XXXXXX";

#include "kindtest.h"

/* Draw one artifact (bytes, name, label, member); the page into out,
 * how many drawers drew returned. */
static size_t draw_one(struct buf *out, const char *name, const void *data,
		       size_t len, const char *label, size_t member)
{
	struct plot_src s = { label, name, data, len, member, NULL };

	buf_truncate(out, 0);
	return plot_artifacts(out, &s, 1);
}

static size_t draw_text(struct buf *out, const char *name, const char *text)
{
	return draw_one(out, name, text, strlen(text), "x", 0);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; hay && (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static void test_zbins(void)
{
	const char *vol[] = { at("vol.h5") };
	const char *out[] = { at("cache.h5"), at("report.json") };
	struct buf page = BUF_INIT, want = BUF_INIT;
	char *rep;
	int b;

	CHECK_INT(run_kind("synth.volumes", "n = 3\nnx = 16\nny = 16\nnz = 96\n",
			   NULL, vol, 0),
		  0);
	/* Global mode over [24, 93] of 96 slices: 37 of 50 bins, 3 or 6
	 * slices each (1 or 2 a case); min, mean and max over all 50: the
	 * mean is 210 / 50 = 4.2, not 210 / 37 = 5.68. */
	CHECK_INT(run_kind("zbins",
			   "z_range = [24, 93]\nn_bins = 50\nmode = \"global\"\n",
			   vol, out, 1),
		  0);
	buf_adds(&want, "{\"mode\": \"global\", \"bins\": 50, \"bins_used\": 37, "
			"\"slices\": 210, \"slices_per_bin\": {\"min\": 0, "
			"\"mean\": 4.2000, \"max\": 6}, \"counts\": [");
	for (b = 0; b < 50; b++) {
		int z, n = 0;
		for (z = 24; z <= 93; z++)
			n += z * 50 / 96 == b;
		buf_addf(&want, "%s%d", b ? ", " : "", 3 * n);
	}
	buf_adds(&want, "]}\n");
	rep = slurp(out[1]);
	CHECK_STR(rep, want.data);
	CHECK_INT(draw_one(&page, "zbins-out/report-global.json", rep,
			   strlen(rep), "mode=global", 1),
		  1);
	CHECK(strstr(page.data, "<figure class=\"zbins\">\n<svg class=\"bars\""));
	CHECK(strstr(page.data, ">slices per bin: mode=global</text>"));
	CHECK_INT(count(page.data, "<rect class=\"bar\""), 50);
	CHECK(strstr(page.data, "fill=\"#f28e2b\"><title>0: 0</title></rect>"));
	CHECK(strstr(page.data, "<title>12: 3</title>"));
	CHECK(strstr(page.data, "<title>13: 6</title>"));
	CHECK(strstr(page.data, "<figcaption>global mode: 37 of 50 bins used, "
				"210 slices; per bin min 0, mean 4.2, max "
				"6</figcaption></figure>"));
	free(rep);
	/* Local mode: every bin used, still over all 50. */
	CHECK_INT(run_kind("zbins", "z_range = [24, 93]\nn_bins = 50\n", vol,
			   out, 1),
		  0);
	rep = slurp(out[1]);
	CHECK(rep && strstr(rep, "\"bins_used\": 50, \"slices\": 210, "
				 "\"slices_per_bin\": {\"min\": 3, \"mean\": "
				 "4.2000, \"max\": 6}, \"counts\": [6, 3, "));
	free(rep);

	/* Hostile reports: nothing drawn. */
	CHECK_INT(draw_text(&page, "r.json", "{\"bins\": 3, \"slices_per_bin\": "
					     "{}, \"counts\": [1, 2]}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json", "{\"bins\": 2, \"slices_per_bin\": "
					     "{}, \"counts\": [1, -2]}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json", "{\"bins\": 2, \"slices_per_bin\": "
					     "{}, \"counts\": [1, \"2\"]}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json", "{\"bins\": 2, \"slices_per_bin\": "
					     "{}, \"counts\": [1, 0.5]}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json", "{\"bins\": 0, \"slices_per_bin\": "
					     "{}, \"counts\": []}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json", "{\"bins\": 2, \"counts\": [1, 2]}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json", "{\"bins\": 2, \"slices_per_bin\": "
					     "{}, \"counts\": [1, 2"),
		  0);
	/* A mode is text of the file's: escaped. */
	CHECK_INT(draw_text(&page, "r.json", "{\"mode\": \"<b>\", \"bins\": 2, "
					     "\"slices_per_bin\": {}, "
					     "\"counts\": [1, 2]}"),
		  1);
	CHECK(strstr(page.data, "<figcaption>&lt;b&gt; mode: 2 of 2 bins used"));
	CHECK(!strstr(page.data, "<b>"));
	buf_release(&page);
	buf_release(&want);
}

static void test_bins(void)
{
	const char *ev[] = { at("events.h5") };
	const char *out[] = { at("tokens.h5"), at("binning.json") };
	struct buf page = BUF_INIT, tok = BUF_INIT;
	struct json *j = NULL;
	struct err e;
	double used = 0;
	const char *hand;
	char *rep, want[200];

	CHECK_INT(run_kind("synth.events", "n = 200\nmax_objects = 6\nseed = 2\n",
			   NULL, ev, 0),
		  0);
	CHECK_INT(run_kind("binning", "bins = 4\n", ev, out, 1), 0);
	rep = slurp(out[1]);
	CHECK(rep != NULL);
	/* One chart per feature: type, pt, eta, phi, met_value, met_phi. */
	CHECK_INT(draw_one(&page, "out/report.json", rep, strlen(rep), "bin",
			   0),
		  1);
	CHECK_INT(count(page.data, "<figure class=\"bins\">"), 6);
	CHECK_INT(count(page.data, "<rect class=\"bar\""), 7 + 4 * 5);
	CHECK(strstr(page.data, ">pt: train objects per bin</text>"));
	CHECK(strstr(page.data, ">met_value: train events per bin</text>"));
	CHECK(strstr(page.data, "<figcaption>bin: pt, quantile, 4 bins: every "
				"bin used in train</figcaption>"));
	CHECK(strstr(page.data, "<figcaption>bin: type, type, 7 bins: "));
	/* The tokens: as many used as the report counts. */
	CHECK_INT(json_parse(rep, strlen(rep), "r", &j, &e), 0);
	CHECK_INT(json_num(j, "tokens_used", &used), 0);
	json_free(j);
	free(rep);
	CHECK_INT(buf_read_file(&tok, out[0]), 0);
	CHECK_INT(draw_one(&page, "out/tokens.h5", tok.data, tok.len, "bin", 2),
		  1);
	CHECK(strstr(page.data, "<figure class=\"tokens\">\n<svg class=\"chart\""));
	CHECK(strstr(page.data, ">tokens by rank</text>"));
	CHECK_INT(count(page.data, "<polyline class=\"curve\" data-label=\"bin\""),
		  1);
	CHECK(strstr(page.data, "stroke=\"#e15759\""));
	snprintf(want, sizeof(want), "<figcaption>bin: %.0f of 456 tokens used",
		 used);
	CHECK(strstr(page.data, want));
	/* Truncated: not HDF5, nothing drawn. */
	CHECK_INT(draw_one(&page, "out/tokens.h5", tok.data, tok.len / 2, "bin",
			   0),
		  0);
	buf_release(&tok);

	/* An empty bin is named; a label is escaped. */
	hand = "{\"vocabulary\": 9, \"features\": {\"pt\": {\"method\": "
	      "\"quantile\", \"bins\": 4, \"counts\": {\"train\": [5, 0, 3, "
	      "0]}}}}";
	CHECK_INT(draw_one(&page, "r.json", hand, strlen(hand), "<i>", 0), 1);
	CHECK(strstr(page.data, "<figcaption>&lt;i&gt;: pt, quantile, 4 bins: 2 "
				"empty in train (1, 3)</figcaption>"));
	CHECK(strstr(page.data, "<title>1: 0</title>"));
	CHECK(!strstr(page.data, "<i>"));
	/* Hostile: counts not the bins, too many bins, not numbers. */
	CHECK_INT(draw_text(&page, "r.json",
			    "{\"vocabulary\": 9, \"features\": {\"pt\": "
			    "{\"bins\": 3, \"counts\": {\"train\": [1, 2]}}}}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json",
			    "{\"vocabulary\": 9, \"features\": {\"pt\": "
			    "{\"bins\": 2, \"counts\": {\"train\": [1, null]}}}}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json",
			    "{\"vocabulary\": 9, \"features\": {\"pt\": "
			    "{\"bins\": 2, \"counts\": {\"val\": [1, 2]}}}}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json", "{\"vocabulary\": 9, \"features\": {}}"),
		  0);
	CHECK_INT(draw_text(&page, "r.json", "{\"features\": {\"pt\": {\"bins\": "
					     "1, \"counts\": {\"train\": [1]}}}}"),
		  0);
	buf_release(&page);
}

/* A tokens file of binning's layout: vocab, train/tokens rows x 4. */
static void tokens_file(const char *path, int64_t vocab, const int32_t *t,
			uint64_t rows)
{
	struct h5_file *f;
	struct err e;
	uint64_t d[2] = { rows, 4 };

	CHECK_INT(h5_create(path, &f, &e), 0);
	CHECK_INT(h5_write(f, "train/tokens", H5_INT32, 2, d, t, &e), 0);
	CHECK_INT(h5_attr_string(f, "/", "kind", "binning", &e), 0);
	CHECK_INT(h5_attr_int(f, "/", "vocabulary", vocab, &e), 0);
	CHECK_INT(h5_close(f, &e), 0);
}

/* The polyline's points in page. */
static char *points(const char *page)
{
	const char *p = page ? strstr(page, " points=\"") : NULL, *q;
	struct buf b = BUF_INIT;

	if (!p)
		return NULL;
	p += 9;
	q = strchr(p, '"');
	buf_add(&b, p, (size_t)(q - p));
	return buf_detach(&b, NULL);
}

static void test_tokens(void)
{
	int32_t t[8] = { 1, 1, 1, 2, 0, 3, 3, 0 };
	int32_t big[8] = { 1, 1, 1, 30000000, 0, 3, 3, 0 };
	struct buf page = BUF_INIT, f = BUF_INIT;
	char *dense, *sorted;

	/* Used: 1 (3 times), 3 (twice), 2 (once), of 9 (0 is padding). */
	tokens_file(at("t.h5"), 10, t, 2);
	CHECK_INT(buf_read_file(&f, at("t.h5")), 0);
	CHECK_INT(draw_one(&page, "t.h5", f.data, f.len, "a", 0), 1);
	CHECK(strstr(page.data, "<figcaption>a: 3 of 9 tokens used (33.3%), "
				"counted over 6 tokens</figcaption>"));
	dense = points(page.data);
	/* Ranks 1, 2, 3 at log10 3, 2, 1: the x axis spans 1 to 3. */
	CHECK(dense && count(dense, ",") == 3 && !strncmp(dense, "58,", 3));
	CHECK(strstr(page.data, ">log10 count</text>"));
	/* A vocabulary over 2^24: counted by sorting, the same picture. */
	buf_truncate(&f, 0);
	tokens_file(at("big.h5"), 1 << 25, big, 2);
	CHECK_INT(buf_read_file(&f, at("big.h5")), 0);
	CHECK_INT(draw_one(&page, "big.h5", f.data, f.len, "a", 0), 1);
	CHECK(strstr(page.data, "<figcaption>a: 3 of 33554431 tokens used "
				"(0.0%), counted over 6 tokens</figcaption>"));
	sorted = points(page.data);
	CHECK(dense && sorted && !strcmp(dense, sorted));
	free(dense);
	free(sorted);
	/* A token outside the vocabulary: a note, no line. */
	t[5] = 10;
	buf_truncate(&f, 0);
	tokens_file(at("bad.h5"), 10, t, 2);
	CHECK_INT(buf_read_file(&f, at("bad.h5")), 0);
	CHECK_INT(draw_one(&page, "bad.h5", f.data, f.len, "a", 0), 1);
	CHECK(strstr(page.data, "<figcaption>a: not drawn: a token outside the "
				"vocabulary, or a split not [n, T]"));
	CHECK(!strstr(page.data, "<polyline"));
	t[5] = -1;
	buf_truncate(&f, 0);
	tokens_file(at("bad.h5"), 1 << 25, t, 2);
	CHECK_INT(buf_read_file(&f, at("bad.h5")), 0);
	CHECK_INT(draw_one(&page, "bad.h5", f.data, f.len, "a", 0), 1);
	CHECK(!strstr(page.data, "<polyline"));
	/* Not binning's (a vocabulary of 1, or none): not drawn at all. */
	buf_truncate(&f, 0);
	tokens_file(at("bad.h5"), 1, t, 2);
	CHECK_INT(buf_read_file(&f, at("bad.h5")), 0);
	CHECK_INT(draw_one(&page, "bad.h5", f.data, f.len, "a", 0), 0);
	buf_release(&f);
	buf_release(&page);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	test_zbins();
	test_bins();
	test_tokens();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_plot_kinds");
}
