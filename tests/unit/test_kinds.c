/*
 * The built-in kinds, called as the kind-run process calls them: outputs,
 * shapes, padding, determinism for any number of threads, and for
 * synth.events classes that differ but overlap (learnable, not trivial).
 * Also the registry and the settings JSON with defaults filled in.
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

static char dir[] = "/tmp/cairn-test-kinds-XXXXXX";
static char msg[4200];

/* Under ASan an allocation over 4 GiB fails instead of being mapped
 * lazily (as kindtest.h). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=4096";
}

/* Run kind name as kind-run does, with settings as JSON (not checked at
 * load: a hand-edited file); its error into msg. */
static int run_kind(const char *name, const char *settings, const char *out,
		    int threads)
{
	const struct stage_kind *k = kind_find(name);
	struct json *j = NULL;
	struct kind_run r;
	struct err e;
	const char *outs[2] = { out, NULL };
	int rc;

	if (!k || json_parse(settings, strlen(settings), "s", &j, &e))
		return -2;
	r.kind = k;
	r.settings = j;
	r.inputs = NULL;
	r.outputs = outs;
	r.threads = threads;
	rc = k->run(&r, &e);
	msg[0] = 0;
	if (rc)
		snprintf(msg, sizeof(msg), "%s", e.msg);
	json_free(j);
	return rc;
}

static void slurp(const char *path, struct buf *b)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	if (f)
		fclose(f);
}

static void test_events(void)
{
	const char *s = "{\"n\": 4000, \"max_objects\": 18, \"signal_fraction\": "
			"0.5, \"val_fraction\": 0.1, \"test_fraction\": 0.2, "
			"\"seed\": 3}";
	char a[256], b[256];
	struct buf x = BUF_INIT, y = BUF_INIT;
	struct h5_file *f;
	struct err e;
	uint64_t any3[3] = { H5_ANY, 18, 4 }, any2[2] = { H5_ANY, 18 },
		 any1[1] = { H5_ANY }, d[3];
	float *obj;
	uint8_t *types, *labels;
	void *p;
	size_t i, n, sig = 0, pad_ok = 1;
	double best = 0;

	snprintf(a, sizeof(a), "%s/e1.h5", dir);
	snprintf(b, sizeof(b), "%s/e3.h5", dir);
	CHECK_INT(run_kind("synth.events", s, a, 1), 0);
	CHECK_INT(run_kind("synth.events", s, b, 3), 0);
	slurp(a, &x);
	slurp(b, &y);
	CHECK(x.len > 0 && x.len == y.len && !memcmp(x.data, y.data, x.len));
	buf_release(&x);
	buf_release(&y);

	CHECK_INT(h5_open(a, &f, &e), 0);
	CHECK_INT(h5_read(f, "train/objects", H5_FLOAT32, 3, any3, d, &p, &e), 0);
	obj = p;
	n = (size_t)d[0];
	CHECK_INT(n, 2800);
	CHECK_INT(h5_read(f, "train/types", H5_UINT8, 2, any2, d, &p, &e), 0);
	types = p;
	CHECK_INT(h5_read(f, "train/labels", H5_UINT8, 1, any1, d, &p, &e), 0);
	labels = p;
	CHECK_INT(h5_read(f, "test/labels", H5_UINT8, 1, any1, d, &p, &e), 0);
	CHECK_INT(d[0], 800);
	free(p);
	CHECK_INT(h5_read(f, "val/met", H5_FLOAT32, 2,
			  (uint64_t[]){ H5_ANY, 2 }, d, &p, &e), 0);
	CHECK_INT(d[0], 400);
	free(p);
	for (i = 0; i < n; i++) {
		size_t j, k = 0;
		sig += labels[i];
		for (j = 0; j < 18; j++) {
			if (types[i * 18 + j]) {
				/* objects first, hardest first, E >= pT */
				pad_ok &= k == j && types[i * 18 + j] <= 7 &&
					  obj[(i * 18 + j) * 4] >=
						  obj[(i * 18 + j) * 4 + 1] &&
					  (j == 0 || obj[(i * 18 + j) * 4 + 1] <=
							     obj[(i * 18 + j - 1) * 4 + 1]);
				k++;
			} else {
				pad_ok &= obj[(i * 18 + j) * 4 + 1] == 0;
			}
		}
		pad_ok &= k >= 1;
	}
	CHECK(pad_ok);
	CHECK(sig > n * 4 / 10 && sig < n * 6 / 10);
	/* Leading pT alone separates the classes somewhat, not fully. */
	{
		double cut;
		for (cut = 20; cut < 300; cut += 5) {
			size_t ok = 0;
			for (i = 0; i < n; i++)
				ok += (obj[i * 18 * 4 + 1] > cut) == labels[i];
			if ((double)ok / (double)n > best)
				best = (double)ok / (double)n;
		}
	}
	CHECK(best > 0.55 && best < 0.9);
	free(obj);
	free(types);
	free(labels);
	CHECK_INT(h5_close(f, &e), 0);
}

static void test_scan(void)
{
	char a[256];
	struct h5_file *f;
	struct err e;
	uint64_t want[2] = { 10, 2 }, d[2];
	double *xy;
	void *p;

	snprintf(a, sizeof(a), "%s/s.h5", dir);
	CHECK_INT(run_kind("synth.scan", "{\"n\": 10, \"pattern\": \"raster\", "
					 "\"step\": 2.0, \"jitter\": 0.0, "
					 "\"seed\": 0}",
			   a, 1),
		  0);
	CHECK_INT(h5_open(a, &f, &e), 0);
	CHECK_INT(h5_read(f, "positions", H5_FLOAT64, 2, want, d, &p, &e), 0);
	xy = p;
	/* 10 points on a 4-wide grid, 2 apart: the 6th is (2, 2). */
	CHECK(xy[10] == 2.0 && xy[11] == 2.0 && xy[18] == 2.0 && xy[19] == 4.0);
	free(p);
	CHECK_INT(h5_close(f, &e), 0);
}

static void test_volumes(void)
{
	const char *base = "{\"n\": 3, \"nx\": 40, \"ny\": 40, \"nz\": 24, "
			   "\"spacing_xy\": 3.0, \"spacing_z\": 3.0, "
			   "\"pred_scale\": 1.0, \"pred_shift_mm\": %s, "
			   "\"pred_blur_mm\": %s, \"pred_noise_gy\": %s, "
			   "\"seed\": 5}";
	char a[256], b[256], s[512];
	struct buf x = BUF_INIT, y = BUF_INIT;
	struct h5_file *f;
	struct err e;
	uint64_t want[3] = { 24, 40, 40 }, d[3];
	float *plan, *pred;
	uint8_t *ptv;
	int16_t *ct;
	void *p;
	size_t v, in70 = 0, at70 = 0, diff = 0;

	snprintf(a, sizeof(a), "%s/v1.h5", dir);
	snprintf(b, sizeof(b), "%s/v2.h5", dir);
	snprintf(s, sizeof(s), base, "0.0", "0.0", "0.0");
	CHECK_INT(run_kind("synth.volumes", s, a, 1), 0);
	CHECK_INT(run_kind("synth.volumes", s, b, 3), 0);
	slurp(a, &x);
	slurp(b, &y);
	CHECK(x.len > 0 && x.len == y.len && !memcmp(x.data, y.data, x.len));
	buf_release(&x);
	buf_release(&y);
	CHECK_INT(h5_open(a, &f, &e), 0);
	CHECK_INT(h5_read(f, "case1/dose_plan", H5_FLOAT32, 3, want, d, &p, &e), 0);
	plan = p;
	CHECK_INT(h5_read(f, "case1/dose_pred", H5_FLOAT32, 3, want, d, &p, &e), 0);
	pred = p;
	CHECK_INT(h5_read(f, "case1/masks/PTV70", H5_UINT8, 3, want, d, &p, &e), 0);
	ptv = p;
	CHECK_INT(h5_read(f, "case1/ct", H5_INT16, 3, want, d, &p, &e), 0);
	ct = p;
	for (v = 0; v < 24 * 40 * 40; v++) {
		in70 += ptv[v];
		at70 += ptv[v] && plan[v] > 69.99f && plan[v] < 70.01f;
		diff += pred[v] != plan[v];
	}
	CHECK(in70 > 100);
	CHECK_INT(at70, in70);	/* 70 Gy everywhere in PTV70 */
	CHECK_INT(diff, 0);	/* no error asked: the prediction is the plan */
	CHECK(ct[0] == -1000);	/* a corner: air */
	free(plan);
	free(pred);
	free(ptv);
	free(ct);
	CHECK_INT(h5_close(f, &e), 0);
	/* A shifted, blurred, noisy prediction differs, the plan does not. */
	snprintf(s, sizeof(s), base, "6.0", "3.0", "1.0");
	CHECK_INT(run_kind("synth.volumes", s, b, 2), 0);
	CHECK_INT(h5_open(b, &f, &e), 0);
	CHECK_INT(h5_read(f, "case0/dose_pred", H5_FLOAT32, 3, want, d, &p, &e), 0);
	pred = p;
	CHECK_INT(h5_read(f, "case0/dose_plan", H5_FLOAT32, 3, want, d, &p, &e), 0);
	plan = p;
	for (v = diff = 0; v < 24 * 40 * 40; v++)
		diff += fabsf(pred[v] - plan[v]) > 0.5f;
	CHECK(diff > 1000);
	free(plan);
	free(pred);
	CHECK_INT(h5_close(f, &e), 0);
}

static void test_registry(void)
{
	const struct stage_kind *const *k;
	struct buf b = BUF_INIT;
	size_t n, i;

	k = kinds_list(&n);
	CHECK(n >= 3);
	for (i = 0; i < n; i++)
		CHECK(k[i]->version && strlen(k[i]->version) == 64);
	kind_settings_json(kind_find("synth.scan"), NULL, &b);
	CHECK_STR(b.data, "{\"n\": 1000, \"pattern\": \"raster\", \"step\": 1.0, "
			  "\"jitter\": 0.0, \"seed\": 0}");
	buf_release(&b);
	CHECK(kind_find("nosuch") == NULL);
}

/*
 * Settings read at run time are checked again (a settings file can be
 * edited by hand: n = -1 allocated 2^64 bytes), with the checks across
 * settings; and a report is written only when it is JSON.
 */
static void test_checks(void)
{
	const char *vol = "{\"n\": %s, \"nx\": %s, \"ny\": 16, \"nz\": 8, "
			  "\"spacing_xy\": 3.0, \"spacing_z\": 3.0, "
			  "\"pred_scale\": 1.0, \"pred_shift_mm\": 0.0, "
			  "\"pred_blur_mm\": 0.0, \"pred_noise_gy\": 0.0, "
			  "\"seed\": 0%s}";
	char s[512], out[256];
	struct buf b = BUF_INIT;
	struct err e;

	snprintf(out, sizeof(out), "%s/checked.h5", dir);
	snprintf(s, sizeof(s), vol, "-1", "16", "");
	CHECK_INT(run_kind("synth.volumes", s, out, 1), -1);
	CHECK_STR(msg, "setting 'n' of kind 'synth.volumes' must be in [1, "
		       "10000]");
	snprintf(s, sizeof(s), vol, "2.5", "16", "");
	CHECK_INT(run_kind("synth.volumes", s, out, 1), -1);
	CHECK_STR(msg, "setting 'n' of kind 'synth.volumes' must be an integer");
	snprintf(s, sizeof(s), vol, "1", "\"16\"", "");
	CHECK_INT(run_kind("synth.volumes", s, out, 1), -1);
	CHECK_STR(msg, "setting 'nx' of kind 'synth.volumes' must be an integer");
	snprintf(s, sizeof(s), vol, "1", "16", ", \"cases\": 2");
	CHECK_INT(run_kind("synth.volumes", s, out, 1), -1);
	CHECK_STR(msg, "kind 'synth.volumes' has no setting 'cases'");
	CHECK_INT(run_kind("synth.scan", "{\"n\": 10}", out, 1), -1);
	CHECK_STR(msg, "kind 'synth.scan' needs setting 'pattern'");
	CHECK_INT(run_kind("synth.scan", "{\"n\": 10, \"pattern\": \"grid\", "
					 "\"step\": 1.0, \"jitter\": 0.0, "
					 "\"seed\": 0}",
			   out, 1),
		  -1);
	CHECK_STR(msg, "setting 'pattern' of kind 'synth.scan' is one of "
		       "'raster', 'spiral', not 'grid'");
	/* Each in range, together 10^13 voxels: refused, not allocated. */
	snprintf(s, sizeof(s), vol, "10000", "1024", "");
	CHECK_INT(run_kind("synth.volumes", s, out, 1), -1);
	CHECK_STR(msg, "kind 'synth.volumes': n x nx x ny x nz = 1310720000 "
		       "voxels, over 2^30: fewer or smaller cases");
	CHECK(access(out, F_OK) != 0);
	/* A NaN printed into a report would make it not JSON. */
	buf_adds(&b, "{\"pass_rate\": inf}\n");
	CHECK_INT(kind_write_text(out, &b, &e), -1);
	snprintf(s, sizeof(s), "'%s': the report is not valid JSON (report:1:15: ",
		 out);
	CHECK(!strncmp(e.msg, s, strlen(s)));
	CHECK(access(out, F_OK) != 0);
	buf_release(&b);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	test_registry();
	test_scan();
	test_events();
	test_volumes();
	test_checks();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_kinds");
}
