/*
 * eval.dose's documented settings on hand-made inputs whose answers are
 * computed by hand: aggregate = "mean" (the cases' values averaged) and
 * "pooled" (all cases' voxels together, under 'pooled') on two cases of
 * different sizes, where they differ; pass = "le" and "lt" on doses whose
 * gamma is exactly 1 everywhere.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "h5.h"

static char dir[] = "/tmp/cairn-test-eval-dose-XXXXXX";

#include "kindtest.h"

/* A volumes file of two uniform cases, [4, 5, 6] and [6, 8, 10] voxels:
 * CT 0 HU (all body), one structure 'PTV' over all of it, the plan ref[c]
 * and the prediction pred[c] Gy everywhere. */
static int write_cases(const char *path, const float *ref, const float *pred)
{
	static const uint64_t dims[2][3] = { { 4, 5, 6 }, { 6, 8, 10 } };
	struct h5_file *f;
	struct err e;
	char name[64];
	int c, bad = 0;

	if (h5_create(path, &f, &e))
		return -1;
	bad = h5_attr_int(f, "/", "cases", 2, &e) ||
	      h5_attr_double(f, "/", "spacing_x_mm", 2.5, &e) ||
	      h5_attr_double(f, "/", "spacing_y_mm", 2.5, &e) ||
	      h5_attr_double(f, "/", "spacing_z_mm", 3.0, &e);
	for (c = 0; c < 2 && !bad; c++) {
		size_t n = dims[c][0] * dims[c][1] * dims[c][2], i;
		float *r = malloc(n * sizeof(float)), *p = malloc(n * sizeof(float));
		int16_t *ct = calloc(n, sizeof(int16_t));
		uint8_t *m = malloc(n);
		for (i = 0; i < n; i++)
			r[i] = ref[c], p[i] = pred[c], m[i] = 1;
		snprintf(name, sizeof(name), "case%d/ct", c);
		bad = h5_write(f, name, H5_INT16, 3, dims[c], ct, &e);
		snprintf(name, sizeof(name), "case%d/masks/PTV", c);
		bad = bad || h5_write(f, name, H5_UINT8, 3, dims[c], m, &e);
		snprintf(name, sizeof(name), "case%d/dose_plan", c);
		bad = bad || h5_write(f, name, H5_FLOAT32, 3, dims[c], r, &e);
		snprintf(name, sizeof(name), "case%d/dose_pred", c);
		bad = bad || h5_write(f, name, H5_FLOAT32, 3, dims[c], p, &e);
		free(r), free(p), free(ct), free(m);
	}
	return h5_finish(NULL, f, bad ? -1 : 0, &e);
}

static void test_aggregate(void)
{
	const char *vol[] = { at("vol.h5"), NULL };
	const char *in[] = { vol[0], vol[0], NULL };
	const char *out[] = { at("dose.json"), at("maps.h5"), NULL };
	float ref[2] = { 10, 20 }, pred[2] = { 11, 23 };
	char *rep;

	/* 120 voxels 1 Gy off, 480 voxels 3 Gy off: the mean of the cases'
	 * MAE is 2, the pooled MAE (120 + 1440) / 600 = 2.6; Dmean of the
	 * plan 15 against 18 pooled; D95 (the 5th percentile) 15 against 10
	 * (rank 29.95 of 600 falls in the first case's 120 voxels). */
	CHECK_INT(write_cases(vol[0], ref, pred), 0);
	CHECK_INT(run_kind("eval.dose", "criteria = \"3%/3mm\"\nvx_gy = \"15\"\n",
			   in, out, 1),
		  0);
	rep = slurp(out[0]);
	CHECK(rep && strstr(rep, "{\"cases\": 2, \"mae_body_gy\": 2.0000, "
				 "\"mae_gy\": {\"PTV\": 2.0000}, \"gamma\": "));
	CHECK(rep && strstr(rep, "\"dvh\": {\"PTV\": {\"D95\": {\"reference\": "
				 "15.0000, \"predicted\": 17.0000, \"diff\": "
				 "2.0000}, \"D2\": {\"reference\": 15.0000, "
				 "\"predicted\": 17.0000, \"diff\": 2.0000}, "
				 "\"D50\": {\"reference\": 15.0000, "
				 "\"predicted\": 17.0000, \"diff\": 2.0000}, "
				 "\"Dmean\": {\"reference\": 15.0000, "
				 "\"predicted\": 17.0000, \"diff\": 2.0000}, "
				 "\"V15\": {\"reference\": 50.0000, "
				 "\"predicted\": 50.0000, \"diff\": 0.0000}}}, "
				 "\"per_case\": "));
	CHECK(rep && !strstr(rep, "pooled"));
	free(rep);
	CHECK_INT(run_kind("eval.dose", "criteria = \"3%/3mm\"\nvx_gy = \"15\"\n"
					"aggregate = \"pooled\"\n",
			   in, out, 1),
		  0);
	rep = slurp(out[0]);
	/* Pooled: D2 (the 98th percentile, rank 587.02) and D50 (299.5)
	 * in the second case; V15: 480 of 600 voxels; Dmean (120 x 11 + 480
	 * x 23) / 600 = 20.6 predicted. */
	CHECK(rep && strstr(rep, "{\"cases\": 2, \"gamma\": {\"3pct_3mm\": "));
	CHECK(rep && strstr(rep, "\"pooled\": {\"mae_body_gy\": 2.6000, "
				 "\"mae_gy\": {\"PTV\": 2.6000}, \"dvh\": {\"PTV\": "
				 "{\"D95\": {\"reference\": 10.0000, \"predicted\": "
				 "11.0000, \"diff\": 1.0000}, \"D2\": "
				 "{\"reference\": 20.0000, \"predicted\": 23.0000, "
				 "\"diff\": 3.0000}, \"D50\": {\"reference\": "
				 "20.0000, \"predicted\": 23.0000, \"diff\": "
				 "3.0000}, \"Dmean\": {\"reference\": 18.0000, "
				 "\"predicted\": 20.6000, \"diff\": 2.6000}, "
				 "\"V15\": {\"reference\": 80.0000, \"predicted\": "
				 "80.0000, \"diff\": 0.0000}}}}, \"per_case\": "));
	/* Gamma pools voxels in both modes: 120 at 1 / 0.3 and 480 at
	 * 3 / 0.6 (3% of each case's maximum). */
	CHECK(rep && strstr(rep, "\"mean\": 4.6667, \"p50\": 5.0000, "));
	/* The per-case numbers are the same either way. */
	CHECK(rep && strstr(rep, "\"per_case\": [{\"case\": 0, \"mae_body_gy\": "
				 "1.0000, "));
	free(rep);
	CHECK_INT(run_kind("eval.dose", "aggregate = \"sum\"\n", in, out, 1), -3);
	CHECK(strstr(msg, "'aggregate'") != NULL);
}

static void test_pass_rule(void)
{
	const char *vol[] = { at("vol2.h5"), NULL };
	const char *in[] = { vol[0], vol[0], NULL };
	const char *out[] = { at("dose2.json"), at("maps2.h5"), NULL };
	float ref[2] = { 50, 100 }, pred[2] = { 51.5f, 103 };
	char *rep;

	/* 3% of each case's maximum off everywhere: gamma exactly 1 (global
	 * 3%/3mm), which passes under le (the default) and fails under lt. */
	CHECK_INT(write_cases(vol[0], ref, pred), 0);
	CHECK_INT(run_kind("eval.dose", "criteria = \"3%/3mm\"\n", in, out, 1), 0);
	rep = slurp(out[0]);
	CHECK(rep && strstr(rep, "{\"cases\": 2, \"mae_body_gy\": 2.2500, "));
	CHECK(rep && strstr(rep, "\"gamma\": {\"3pct_3mm\": {\"pass_rate\": "
				 "100.0000, \"mean\": 1.0000, \"p50\": 1.0000, "
				 "\"p90\": 1.0000, \"p95\": 1.0000, \"p99\": "
				 "1.0000, \"max\": 1.0000, \"evaluated\": 600}"));
	free(rep);
	CHECK_INT(run_kind("eval.dose", "criteria = \"3%/3mm\"\npass = \"lt\"\n",
			   in, out, 1),
		  0);
	rep = slurp(out[0]);
	CHECK(rep && strstr(rep, "\"gamma\": {\"3pct_3mm\": {\"pass_rate\": "
				 "0.0000, \"mean\": 1.0000, "));
	free(rep);
	CHECK_INT(run_kind("eval.dose", "pass = \"<=\"\n", in, out, 1), -3);
	CHECK(strstr(msg, "'pass'") != NULL);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	test_aggregate();
	test_pass_rule();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return check_done("test_eval_dose");
}
