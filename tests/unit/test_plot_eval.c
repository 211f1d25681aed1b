/*
 * The evaluations' pictures (plot_roc.c, plot_dose.c, plot_slice.c) and
 * eval.classifier's ROC curve: a real artifact in, the exact key markup
 * out; hostile and truncated ones in, nothing drawn (or a note) and no
 * crash.
 */
#include <math.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "h5.h"
#include "plot.h"
#include "plot_slice.h"
#include "util.h"

size_t roc_curve(const float *p, const uint8_t *y, const float *w, size_t n,
		 double *fpr, double *tpr, double *thr);
double roc_auc(const float *p, const uint8_t *y, size_t n);

static char dir[] = "/tmp/cairn-plot-eval-XXXXXX";

static const char *at(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* The pictures of the files' bytes, as the report draws them. */
static size_t draw(struct buf *out, const char *const *paths, size_t n)
{
	struct plot_src src[4];
	struct buf bytes[4];
	size_t i, drew;

	memset(src, 0, sizeof(src));
	for (i = 0; i < n; i++) {
		buf_init(&bytes[i]);
		CHECK(buf_read_file(&bytes[i], paths[i]) == 0);
		src[i].label = i ? "b<2>" : "a";
		src[i].name = paths[i];
		src[i].data = bytes[i].data;
		src[i].len = bytes[i].len;
		src[i].member = i;
	}
	drew = plot_artifacts(out, src, n);
	for (i = 0; i < n; i++)
		buf_release(&bytes[i]);
	return drew;
}

static int contains(const struct buf *b, const char *s)
{
	if (strstr(b->data, s))
		return 1;
	fprintf(stderr, "no '%s' in:\n%s\n", s, b->data);
	return 0;
}

/* Ties are one step: the trapezoid under the curve is the Mann-Whitney
 * AUC. */
static void test_roc_curve(void)
{
	float p[] = { 0.9f, 0.5f, 0.5f, 0.1f }, w[] = { 1, 1, 1, 1 };
	uint8_t y[] = { 1, 0, 1, 0 };
	double fpr[5], tpr[5], thr[5], a = 0;
	size_t k = roc_curve(p, y, w, 4, fpr, tpr, thr), i;

	CHECK_INT(k, 4);
	CHECK(isinf(thr[0]) && fpr[0] == 0 && tpr[0] == 0);
	CHECK(thr[1] == (double)0.9f && fpr[1] == 0 && tpr[1] == 0.5);
	CHECK(thr[2] == 0.5 && fpr[2] == 0.5 && tpr[2] == 1);
	CHECK(thr[3] == (double)0.1f && fpr[3] == 1 && tpr[3] == 1);
	for (i = 1; i < k; i++)
		a += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
	CHECK(fabs(a - 0.875) < 1e-12);
	CHECK(fabs(roc_auc(p, y, 4) - 0.875) < 1e-12);
	/* One class only: its rate stays 0. */
	k = roc_curve(p, (const uint8_t[]){ 0, 0, 0, 0 }, w, 4, fpr, tpr, thr);
	CHECK(k == 4 && tpr[3] == 0 && fpr[3] == 1);
}

/* A scores file: kind, split and the curve's two rates as given. */
static void scores_file(const char *path, const char *kind, const double *fpr,
			const double *tpr, size_t n, size_t ntpr)
{
	struct h5_file *f;
	struct err e;
	uint64_t d[1] = { n }, dt[1] = { ntpr };

	CHECK(h5_create(path, &f, &e) == 0);
	CHECK(h5_write(f, "roc/fpr", H5_FLOAT64, 1, d, fpr, &e) == 0);
	CHECK(h5_write(f, "roc/tpr", H5_FLOAT64, 1, dt, tpr, &e) == 0);
	if (kind)
		CHECK(h5_attr_string(f, "/", "kind", kind, &e) == 0);
	CHECK(h5_attr_string(f, "/", "split", "test", &e) == 0);
	CHECK(h5_close(f, &e) == 0);
}

static void test_roc_drawer(void)
{
	double f1[] = { 0, 0, 0.5, 1 }, t1[] = { 0, 0.5, 1, 1 };
	double f2[] = { 0, 1 }, t2[] = { 0, 1 };
	double down[] = { 0, 0.6, 0.5, 1 }, nan[] = { 0, NAN, 1, 1 };
	const char *two[] = { at("s1.h5"), at("s2.h5") };
	struct buf out = BUF_INIT;

	scores_file(two[0], "eval.classifier", f1, t1, 4, 4);
	scores_file(two[1], "eval.classifier", f2, t2, 2, 2);
	CHECK_INT(draw(&out, two, 2), 1);
	CHECK(contains(&out, "<figure class=\"roc\">"));
	/* Both overlaid, a colour each, the AUC in the legend. */
	CHECK(contains(&out, "<polyline class=\"curve\" data-label=\"a (AUC "
			     "0.8750)\" points=\"58,268 58,148 268,28 478,28\" "
			     "fill=\"none\" stroke=\"#4e79a7\""));
	CHECK(contains(&out, "<polyline class=\"curve\" data-label=\"b&lt;2&gt; "
			     "(AUC 0.5000)\" points=\"58,268 478,28\" fill=\"none\" "
			     "stroke=\"#f28e2b\""));
	/* The diagonal, and the caption. */
	CHECK(contains(&out, "<path d=\"M58,268L478,28\" stroke=\"#bbb\" "
			     "stroke-dasharray=\"3,3\"/>"));
	CHECK(contains(&out, "<figcaption>ROC curves of the scores on the "
			     "test split; the dashed diagonal is chance"
			     "</figcaption></figure>"));

	/* Hostile: rates falling, not a number, lengths apart, no kind:
	 * none is drawn. */
	scores_file(two[0], "eval.classifier", down, t1, 4, 4);
	scores_file(two[1], "eval.classifier", nan, t1, 4, 4);
	buf_truncate(&out, 0);
	CHECK_INT(draw(&out, two, 2), 0);
	scores_file(two[0], "eval.classifier", f1, t1, 4, 3);
	scores_file(two[1], NULL, f1, t1, 4, 4);
	CHECK_INT(draw(&out, two, 2), 0);
	CHECK_INT(out.len, 0);
	buf_release(&out);
}

/* An eval.dose maps file: one case of 2 x 3 x 4 voxels, one structure. */
static void maps_file(const char *path, int dvh_bad)
{
	struct h5_file *f;
	struct err e;
	uint64_t d3[3] = { 2, 3, 4 }, d1[1] = { 4 };
	float g[24], diff[24], dose[4] = { 0, 2, 4, 6 };
	float ref[4] = { 1, 1, 0.5f, 0 }, pred[4] = { 1, 0.75f, 0.25f, 0 };
	int i;

	for (i = 0; i < 24; i++) {
		g[i] = i < 4 ? -1 : (float)(i % 5) * 0.25f;
		diff[i] = (float)(i - 12) * 0.5f;
	}
	g[17] = 1.5f;	/* the worst: z 1, y 1, x 1 */
	if (dvh_bad)
		ref[1] = 2;
	CHECK(h5_create(path, &f, &e) == 0);
	CHECK(h5_write(f, "case0/gamma/2pct_2mm", H5_FLOAT32, 3, d3, g, &e) == 0);
	CHECK(h5_write(f, "case0/gamma/3pct_3mm", H5_FLOAT32, 3, d3, g, &e) == 0);
	CHECK(h5_write(f, "case0/dose_diff", H5_FLOAT32, 3, d3, diff, &e) == 0);
	CHECK(h5_write(f, "case0/dvh/PTV<70>/reference", H5_FLOAT32, 1, d1, ref,
		       &e) == 0);
	CHECK(h5_write(f, "case0/dvh/PTV<70>/predicted", H5_FLOAT32, 1, d1, pred,
		       &e) == 0);
	CHECK(h5_write(f, "dvh_dose", H5_FLOAT32, 1, d1, dose, &e) == 0);
	CHECK(h5_attr_string(f, "/", "kind", "eval.dose", &e) == 0);
	CHECK(h5_attr_string(f, "/", "criteria", "3%/3mm,2%/2mm", &e) == 0);
	CHECK(h5_close(f, &e) == 0);
}

static void test_scale(void)
{
	struct plot_scale s = { 0, 1, 2, 1 };
	uint8_t c[3];

	plot_scale_rgb(&s, 0, c);
	CHECK(c[0] == 33 && c[1] == 102 && c[2] == 172);
	plot_scale_rgb(&s, 1, c);
	CHECK(c[0] == 247 && c[1] == 247 && c[2] == 247);
	plot_scale_rgb(&s, 5, c);	/* clamped */
	CHECK(c[0] == 178 && c[1] == 24 && c[2] == 43);
	plot_scale_rgb(&s, -1, c);	/* not evaluated */
	CHECK(c[0] == 160 && c[1] == 160 && c[2] == 160);
	plot_scale_rgb(&s, NAN, c);
	CHECK(c[0] == 160);
	s.grey_below = 0;
	plot_scale_rgb(&s, -1, c);
	CHECK(c[0] == 33);
}

static void test_dose_drawer(void)
{
	const char *one[] = { at("maps.h5") };
	struct buf out = BUF_INIT, bytes = BUF_INIT;
	struct plot_src src;
	size_t cut;

	maps_file(one[0], 0);
	CHECK_INT(draw(&out, one, 1), 1);
	/* The DVH: reference solid, predicted dashed, one colour, in %. */
	CHECK(contains(&out, "<figure class=\"dvh\">"));
	CHECK(contains(&out, "<polyline class=\"curve\" data-label=\"PTV&lt;70&gt; "
			     "reference\" points=\"58,28 198,28 338,148 478,268\" "
			     "fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"2\">"));
	CHECK(contains(&out, "data-label=\"PTV&lt;70&gt; predicted\" points=\"58,28 "
			     "198,88 338,208 478,268\" fill=\"none\" "
			     "stroke=\"#4e79a7\" stroke-width=\"2\" "
			     "stroke-dasharray=\"6,3\">"));
	CHECK(contains(&out, "<figcaption>a: case 0, the cumulative DVH of each "
			     "structure: reference solid, predicted dashed"));
	/* Gamma: the first criterion asked, through the worst voxel. */
	CHECK(contains(&out, "<figcaption>a: case 0, gamma 3%/3mm: the worst "
			     "voxel, gamma 1.500 at x=1, y=1, z=1, and the slices "
			     "through it: axial z=1, coronal y=1, sagittal x=1; 1 "
			     "(marked) passes, grey is not evaluated</figcaption>"));
	CHECK(contains(&out, "<img class=\"slice\" data-plane=\"axial\" alt=\"axial "
			     "z=1\" width=\"200\" height=\"150\" "
			     "style=\"image-rendering:pixelated\" "
			     "src=\"data:image/png;base64,iVBORw0KGgo"));
	CHECK(contains(&out, "data-plane=\"coronal\" alt=\"coronal y=1\" "
			     "width=\"200\" height=\"100\""));
	CHECK(contains(&out, "data-plane=\"sagittal\" alt=\"sagittal x=1\" "
			     "width=\"200\" height=\"133\""));
	CHECK(contains(&out, "\"><br>sagittal x=1</span>\n"));
	CHECK(contains(&out, "<path class=\"mark\" d=\"M130,1V21\""));
	/* The dose difference on the same slices, symmetric. */
	CHECK(contains(&out, "<figcaption>a: case 0, the dose difference "
			     "(predicted - reference) on the same slices: axial "
			     "z=1, coronal y=1, sagittal x=1; blue below, red "
			     "above, 6 Gy at the ends</figcaption>"));

	/* A curve out of [0, 1]: no DVH, the slices still. */
	maps_file(one[0], 1);
	buf_truncate(&out, 0);
	CHECK_INT(draw(&out, one, 1), 1);
	CHECK(!strstr(out.data, "class=\"dvh\""));
	CHECK(strstr(out.data, "class=\"gamma\"") != NULL);

	/* Truncated anywhere: a note or nothing, never a crash. */
	maps_file(one[0], 0);
	CHECK(buf_read_file(&bytes, one[0]) == 0);
	memset(&src, 0, sizeof(src));
	src.label = "a";
	src.name = "maps.h5";
	src.data = bytes.data;
	for (cut = 0; cut < bytes.len; cut += 97) {
		src.len = cut;
		buf_truncate(&out, 0);
		plot_artifacts(&out, &src, 1);
	}
	buf_release(&bytes);
	buf_release(&out);
}

/* A map wider than 65536 voxels along an axis: no slices (a PNG is at
 * most 65536 wide), the DVH still. */
static void test_dose_wide(void)
{
	const char *one[] = { at("wide.h5") };
	struct buf out = BUF_INIT;
	struct h5_file *f;
	struct err e;
	uint64_t d3[3] = { 1, 1, 65537 }, d1[1] = { 2 };
	float *g = calloc(65537, sizeof(float)), dose[2] = { 0, 1 };
	float ref[2] = { 1, 0 };

	CHECK(h5_create(one[0], &f, &e) == 0);
	CHECK(h5_write(f, "case0/gamma/3pct_3mm", H5_FLOAT32, 3, d3, g, &e) == 0);
	CHECK(h5_write(f, "case0/dvh/body/reference", H5_FLOAT32, 1, d1, ref,
		       &e) == 0);
	CHECK(h5_write(f, "case0/dvh/body/predicted", H5_FLOAT32, 1, d1, ref,
		       &e) == 0);
	CHECK(h5_write(f, "dvh_dose", H5_FLOAT32, 1, d1, dose, &e) == 0);
	CHECK(h5_attr_string(f, "/", "kind", "eval.dose", &e) == 0);
	CHECK(h5_close(f, &e) == 0);
	CHECK_INT(draw(&out, one, 1), 1);
	CHECK(strstr(out.data, "<figure class=\"dvh\">") != NULL);
	CHECK(!strstr(out.data, "class=\"gamma\""));
	buf_release(&out);
	free(g);
	unlink(one[0]);
}

/* A maps file with the kind and nothing else: a note. */
static void test_dose_empty(void)
{
	const char *one[] = { at("empty.h5") };
	struct buf out = BUF_INIT;
	struct h5_file *f;
	struct err e;

	CHECK(h5_create(one[0], &f, &e) == 0);
	CHECK(h5_attr_string(f, "/", "kind", "eval.dose", &e) == 0);
	CHECK(h5_close(f, &e) == 0);
	CHECK_INT(draw(&out, one, 1), 1);
	CHECK_STR(out.data, "<p class=\"note\">a: its maps hold nothing cairn can "
			    "draw</p>\n");
	buf_release(&out);
}

/* An artifact named by a file that exists (the report names outputs by
 * their workspace paths): HDF5 once refused such an image, and nothing of
 * an HDF5 output was drawn. */
static void test_image_named_by_file(void)
{
	const char *path = at("named.h5");
	struct h5_file *f, *g;
	struct buf b = BUF_INIT;
	struct err e;
	char k[32];

	maps_file(path, 0);
	CHECK(access(path, F_OK) == 0);
	CHECK(buf_read_file(&b, path) == 0);
	CHECK_INT(h5_open_image(b.data, b.len, path, &f, &e), 0);
	/* Two at once, named apart, are two files. */
	CHECK_INT(h5_open_image(b.data, b.len, "other.h5", &g, &e), 0);
	CHECK(h5_attr_get_string(f, "/", "kind", k, sizeof(k), &e) == 0 &&
	      !strcmp(k, "eval.dose"));
	CHECK(h5_close(g, &e) == 0);
	CHECK(h5_close(f, &e) == 0);
	buf_release(&b);
	unlink(path);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_roc_curve();
	test_image_named_by_file();
	test_roc_drawer();
	test_scale();
	test_dose_drawer();
	test_dose_wide();
	test_dose_empty();
	unlink(at("s1.h5"));
	unlink(at("s2.h5"));
	unlink(at("maps.h5"));
	unlink(at("empty.h5"));
	rmdir(dir);
	return check_done("plot_eval");
}
