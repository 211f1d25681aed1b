/*
 * Declared plots (stages/plot_series.c, plot_image.c): a shell stage's
 * CSV, TSV or JSON series drawn as lines (x and y as declared, or found),
 * members overlaid; a PNG or SVG shown as an <img> from a data: URI; a
 * declaration wins over what the bytes look like; broken, hostile and
 * huge artifacts give a note, never a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "plot.h"
#include "pngenc.h"

static size_t draw(struct buf *out, const char *name, const char *text,
		   const char *as)
{
	struct plot_src s = { "m", name, text, strlen(text), 0, as };

	buf_truncate(out, 0);
	return plot_artifacts(out, &s, 1);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; hay && (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

/* The points of the polyline labelled label. */
static char *points_of(const char *page, const char *label)
{
	char key[128];
	const char *p, *q;
	struct buf b = BUF_INIT;

	snprintf(key, sizeof(key), "data-label=\"%s\" points=\"", label);
	if (!page || !(p = strstr(page, key)))
		return NULL;
	p += strlen(key);
	q = strchr(p, '"');
	buf_add(&b, p, (size_t)(q - p));
	return buf_detach(&b, NULL);
}

static void test_series(void)
{
	static const char *const csv = "epoch,loss,acc\n1,0.9,0.5\n2,0.5,0.7\n"
				       "3,0.25,0.8\n";
	struct buf page = BUF_INIT;
	struct plot_src two[2];
	char *p, *q;

	/* x found (epoch), every other column a chart. */
	CHECK_INT(draw(&page, "out/h.csv", csv, "series {\"out\": \"history\"}"),
		  1);
	CHECK_INT(count(page.data, "<figure class=\"series\">"), 2);
	CHECK(strstr(page.data, "font-weight=\"bold\"><text x=\"268\" y=\"18\" "
				"text-anchor=\"middle\">loss</text>"));
	CHECK(strstr(page.data, "text-anchor=\"middle\">acc</text>"));
	CHECK(strstr(page.data, "text-anchor=\"middle\">epoch</text>"));
	CHECK(strstr(page.data, "<figcaption>history: out/h.csv</figcaption>"));
	p = points_of(page.data, "m");
	/* Three points, x from 1 to 3 across the whole width. */
	CHECK(p && count(p, ",") == 3 && !strncmp(p, "58,", 3) &&
	      strstr(p, " 478,"));
	free(p);
	/* The same numbers as TSV, and as JSON in its three shapes, draw the
	 * same lines. */
	CHECK_INT(draw(&page, "out/h.csv", csv, "series {\"out\": \"h\"}"), 1);
	p = points_of(page.data, "m");
	CHECK_INT(draw(&page, "h.tsv", "epoch\tloss\tacc\n1\t0.9\t0.5\n2\t0.5\t0.7\n"
				       "3\t0.25\t0.8\n",
		       "series {\"out\": \"h\"}"),
		  1);
	q = points_of(page.data, "m");
	CHECK(p && q && !strcmp(p, q));
	free(q);
	CHECK_INT(draw(&page, "h.json",
		       "[{\"epoch\": 1, \"loss\": 0.9, \"acc\": 0.5}, {\"epoch\": "
		       "2, \"loss\": 0.5, \"acc\": 0.7}, {\"epoch\": 3, \"loss\": "
		       "0.25, \"acc\": 0.8}]",
		       "series {\"out\": \"h\"}"),
		  1);
	q = points_of(page.data, "m");
	CHECK(p && q && !strcmp(p, q));
	free(q);
	CHECK_INT(draw(&page, "h.json",
		       "{\"name\": \"run\", \"rows\": [{\"epoch\": 1, \"loss\": "
		       "0.9}, {\"epoch\": 2, \"loss\": 0.5}, {\"epoch\": 3, "
		       "\"loss\": 0.25}]}",
		       "series {\"out\": \"h\"}"),
		  1);
	q = points_of(page.data, "m");
	CHECK(p && q && !strcmp(p, q));
	free(q);
	CHECK_INT(draw(&page, "h.json",
		       "{\"epoch\": [1, 2, 3], \"loss\": [0.9, 0.5, 0.25]}",
		       "series {\"out\": \"h\"}"),
		  1);
	q = points_of(page.data, "m");
	CHECK(p && q && !strcmp(p, q));
	free(q);
	free(p);

	/* Declared columns, quoted names, CRLF; a cell not a number is a
	 * gap; without x, the row. */
	CHECK_INT(draw(&page, "o.csv",
		       "step,\"val, loss\",lr\r\n0,1,9\r\n1,n/a,9\r\n2,3,9\r\n",
		       "series {\"out\": \"o\", \"y\": [\"val, loss\"], "
		       "\"title\": \"validation\"}"),
		  1);
	CHECK_INT(count(page.data, "<polyline"), 1);
	CHECK(strstr(page.data, ">validation</text>"));
	p = points_of(page.data, "m");
	CHECK(p && count(p, ",") == 2);
	free(p);
	CHECK_INT(draw(&page, "o.csv", "loss\n3\n2\n1\n",
		       "series {\"out\": \"o\"}"),
		  1);
	CHECK(strstr(page.data, "text-anchor=\"middle\">row</text>"));
	/* A declared column the file lacks: a note naming it. */
	CHECK_INT(draw(&page, "o.csv", csv,
		       "series {\"out\": \"o\", \"x\": \"epoch\", \"y\": "
		       "[\"loss\", \"val_loss\"]}"),
		  1);
	CHECK_INT(count(page.data, "<polyline"), 1);
	CHECK(strstr(page.data, "<p class=\"note\">m: <code>o.csv</code>: no "
				"column &#39;val_loss&#39;</p>"));
	CHECK_INT(draw(&page, "o.csv", csv,
		       "series {\"out\": \"o\", \"x\": \"time\"}"),
		  1);
	CHECK(strstr(page.data, "no column &#39;time&#39; (the x)"));
	CHECK(!strstr(page.data, "<polyline"));

	/* Two members overlaid, one colour each, one chart per column. */
	memset(two, 0, sizeof(two));
	two[0].label = "lr=0.1";
	two[0].name = "a/h.csv";
	two[0].data = csv;
	two[0].len = strlen(csv);
	two[0].as = "series {\"out\": \"history\", \"y\": [\"loss\"]}";
	two[1] = two[0];
	two[1].label = "lr=<1>";
	two[1].name = "b/h.csv";
	two[1].member = 1;
	buf_truncate(&page, 0);
	CHECK_INT(plot_artifacts(&page, two, 2), 1);
	CHECK_INT(count(page.data, "<svg class=\"chart\""), 1);
	CHECK(strstr(page.data, "data-label=\"lr=0.1\""));
	CHECK(strstr(page.data, "data-label=\"lr=&lt;1&gt;\""));
	CHECK(strstr(page.data, "stroke=\"#f28e2b\""));
	CHECK(strstr(page.data, "<figcaption>history: a/h.csv, b/h.csv"));

	/* A curve declared a series is a series (the declaration wins). */
	CHECK_INT(draw(&page, "c.json",
		       "{\"epochs\": [{\"epoch\": 1, \"train_loss\": 1}]}",
		       "series {\"out\": \"c\"}"),
		  1);
	CHECK(strstr(page.data, "<figure class=\"series\">"));

	/* Broken and hostile: notes, nothing else. */
	CHECK_INT(draw(&page, "x.json", "{\"a\": [1, 2", "series {\"out\": \"x\"}"),
		  1);
	CHECK(strstr(page.data, "<code>x.json</code>: not JSON (or over 16 "
				"MiB)</p>"));
	CHECK_INT(draw(&page, "x.json", "\"text\"", "series {\"out\": \"x\"}"), 1);
	CHECK(strstr(page.data, "no numbers in rows"));
	CHECK_INT(draw(&page, "x.csv", "", "series {\"out\": \"x\"}"), 1);
	CHECK(strstr(page.data, "no header line"));
	CHECK_INT(draw(&page, "x.csv", "a,b\n\"<script>\",x\n",
		       "series {\"out\": \"x\"}"),
		  1);
	CHECK(strstr(page.data, "no column of numbers to draw"));
	CHECK(!strstr(page.data, "<script>"));
	CHECK_INT(draw(&page, "x.csv", "a\n1\n", "series {\"out\": 3}"), 1);
	CHECK_INT(count(page.data, "<polyline"), 1);
	CHECK_INT(draw(&page, "x.csv", "a\n1\n", "series ["), 1);
	CHECK(strstr(page.data, "the plot&#39;s declaration is not one cairn wrote"));
	buf_release(&page);
}

/* A CSV of rows x cols cells, every one 1. */
static void test_series_big(void)
{
	struct buf csv = BUF_INIT, page = BUF_INIT;
	size_t r, c;
	char *p;

	/* 300 columns: only 256 read; 16 charts and a note of the rest. */
	for (c = 0; c < 300; c++)
		buf_addf(&csv, "%sc%zu", c ? "," : "", c);
	buf_addc(&csv, '\n');
	for (r = 0; r < 3; r++) {
		for (c = 0; c < 300; c++)
			buf_addf(&csv, "%s%zu", c ? "," : "", r + c);
		buf_addc(&csv, '\n');
	}
	CHECK_INT(draw(&page, "w.csv", csv.data, "series"), 1);
	CHECK(strstr(page.data, "more than 256 columns"));
	buf_truncate(&csv, 0);
	for (c = 0; c < 40; c++)
		buf_addf(&csv, "%sc%zu", c ? "," : "", c);
	buf_addc(&csv, '\n');
	for (r = 0; r < 3; r++) {
		for (c = 0; c < 40; c++)
			buf_addf(&csv, "%s%zu", c ? "," : "", r + c);
		buf_addc(&csv, '\n');
	}
	CHECK_INT(draw(&page, "w.csv", csv.data, "series"), 1);
	CHECK_INT(count(page.data, "<svg class=\"chart\""), 16);
	CHECK(strstr(page.data, "24 more columns not drawn: name the ones to "
				"draw in the plot&#39;s &#39;y&#39;"));
	/* 100,000 rows: every 50th row and the last, 2,001 points. */
	buf_truncate(&csv, 0);
	buf_adds(&csv, "loss\n");
	for (r = 0; r < 100000; r++)
		buf_addf(&csv, "%zu\n", r);
	CHECK_INT(draw(&page, "l.csv", csv.data, "series"), 1);
	p = points_of(page.data, "m");
	CHECK(p && count(p, ",") == 2001 && strstr(p, " 478,"));
	free(p);
	buf_release(&csv);
	buf_release(&page);
}

static void test_image(void)
{
	static const unsigned char rgb[6] = { 255, 0, 0, 0, 0, 255 };
	struct buf png = BUF_INIT, page = BUF_INIT, b64 = BUF_INIT, big = BUF_INIT;
	struct plot_src s = { "m", "s.png", NULL, 0, 0, "image {\"out\": \"s\"}" };
	static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" "
				  "onload=\"alert(1)\"><script>alert(2)"
				  "</script></svg>";

	CHECK_INT(png_rgb(&png, rgb, 2, 1), 0);
	s.data = png.data;
	s.len = png.len;
	CHECK_INT(plot_artifacts(&page, &s, 1), 1);
	base64(&b64, png.data, png.len);
	CHECK(strstr(page.data, "<figure class=\"image\">\n<img alt=\"m: s.png\" "
				"width=\"2\" height=\"1\" "
				"style=\"max-width:100%;height:auto\" "
				"src=\"data:image/png;base64,"));
	CHECK(strstr(page.data, b64.data));
	CHECK(strstr(page.data, "\"><figcaption>m: s.png</figcaption></figure>"));
	/* An SVG is an image too, its script never in the page's text. */
	CHECK_INT(draw(&page, "s.svg", svg,
		       "image {\"out\": \"s\", \"title\": \"sample\"}"),
		  1);
	CHECK(strstr(page.data, "<img alt=\"m: sample (s.svg)\" "
				"style=\"max-width:100%;height:auto\" "
				"src=\"data:image/svg+xml;base64,"));
	CHECK(!strstr(page.data, "alert"));
	CHECK(strstr(page.data, "<figcaption>m: sample (s.svg)</figcaption>"));
	/* Neither, a PNG's header broken, too big: a note. */
	CHECK_INT(draw(&page, "s.png", "GIF89a", "image {\"out\": \"s\"}"), 1);
	CHECK(strstr(page.data, "<p class=\"note\">neither a PNG nor an SVG</p>"));
	CHECK(!strstr(page.data, "<img"));
	((unsigned char *)png.data)[12] = 'X';	/* IHDR */
	s.data = png.data;
	buf_truncate(&page, 0);
	CHECK_INT(plot_artifacts(&page, &s, 1), 1);
	CHECK(strstr(page.data, "neither a PNG nor an SVG"));
	s.len = 20;
	buf_truncate(&page, 0);
	CHECK_INT(plot_artifacts(&page, &s, 1), 1);
	CHECK(strstr(page.data, "neither a PNG nor an SVG"));
	buf_adds(&big, "<svg>");
	while (big.len <= (8u << 20))
		buf_adds(&big, "<!-- padding padding padding padding -->");
	CHECK_INT(draw(&page, "b.svg", big.data, "image {\"out\": \"b\"}"), 1);
	CHECK(strstr(page.data, "over 8 MiB: too big to put in the page"));
	CHECK(!strstr(page.data, "<img"));
	/* Not declared: a PNG is not drawn. */
	CHECK_INT(draw(&page, "s.svg", svg, NULL), 0);
	buf_release(&png);
	buf_release(&page);
	buf_release(&b64);
	buf_release(&big);
}

int main(void)
{
	test_series();
	test_series_big();
	test_image();
	return check_done("test_plot_decl");
}
