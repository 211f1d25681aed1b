/*
 * eval.dose: a predicted dose against the planned one, per case and over
 * all cases: the mean absolute error over the body and per structure;
 * DVH metrics per structure (D95, D2, D50, Dmean, Vx) for both and their
 * differences, with cumulative DVH curves; and the 3D gamma pass rate
 * for each criterion asked (3%/3mm, 2%/2mm, ...).  docs/stages.md states
 * the definitions and conventions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gamma.h"
#include "h5.h"
#include "json.h"
#include "kind_versions.h"
#include "kinds.h"
#include "quantile.h"
#include "util.h"

#define MAX_CRITERIA 8
#define MAX_VX 16
#define MAX_STRUCTS 16
/* What an input may hold (docs/stages.md): a forged or broken file is
 * refused, naming the attribute or dataset and the range. */
#define MAX_CASES 1000000
#define MIN_SPACING 0.001	/* mm: gamma's offsets, in voxels, fit an int */
#define MAX_SPACING 1000.0
#define MAX_EXTENT 65536	/* voxels along an axis */
#define MAX_DOSE 10000.0	/* Gy, either sign */
#define MAX_DVH_BINS 1000000
#define MAX_NAME 127		/* a structure's name, bytes */

static const char *const norms[] = { "global", "local", NULL };
static const char *const devices[] = { "auto", "cpu", "cuda", NULL };
static const char *const pass_rules[] = { "le", "lt", NULL };
static const char *const aggregates[] = { "mean", "pooled", NULL };

struct criterion {
	double pct, mm;
};

/* "3%/3mm,2%/2mm" into c; the count, or -1 with why. */
static int parse_criteria(const char *v, struct criterion *c, struct buf *why)
{
	int n = 0;
	const char *p = v;

	for (;;) {
		char *end;
		double pct = strtod(p, &end), mm;
		if (end == p || strncmp(end, "%/", 2))
			goto bad;
		p = end + 2;
		mm = strtod(p, &end);
		if (end == p || strncmp(end, "mm", 2) || !(pct > 0) || !(mm > 0) ||
		    pct > 100 || mm > 100)
			goto bad;
		if (n == MAX_CRITERIA) {
			buf_addf(why, "at most %d criteria", MAX_CRITERIA);
			return -1;
		}
		if (c) {
			c[n].pct = pct;
			c[n].mm = mm;
		}
		n++;
		p = end + 2;
		if (!*p)
			return n;
		if (*p++ != ',')
			goto bad;
	}
bad:
	buf_addf(why, "criteria are written like \"3%%/3mm,2%%/2mm\" (percent "
		      "and millimetres above 0), not \"%s\"",
		 v);
	return -1;
}

static int valid_criteria(const char *v, struct buf *why)
{
	return parse_criteria(v, NULL, why) < 0 ? -1 : 0;
}

/* "50,60,70" (Gy) into x; the count, or -1 with why. */
static int parse_doses(const char *v, double *x, struct buf *why)
{
	int n = 0;
	const char *p = v;

	if (!*p)
		return 0;
	for (;;) {
		char *end;
		double d = strtod(p, &end);
		if (end == p || !(d >= 0) || d > 1e4 || (*end && *end != ',')) {
			buf_addf(why, "doses are written like \"50,60,70\" (Gy), "
				      "not \"%s\"",
				 v);
			return -1;
		}
		if (n == MAX_VX) {
			buf_addf(why, "at most %d doses", MAX_VX);
			return -1;
		}
		if (x)
			x[n] = d;
		n++;
		if (!*end)
			return n;
		p = end + 1;
	}
}

static int valid_doses(const char *v, struct buf *why)
{
	return parse_doses(v, NULL, why) < 0 ? -1 : 0;
}

static const struct kind_setting settings[] = {
	{ "criteria", KIND_STRING, "\"3%/3mm,2%/2mm\"", 0, 0, NULL,
	  "gamma criteria: dose difference in percent / distance in mm",
	  NULL, valid_criteria },
	{ "normalisation", KIND_STRING, "\"global\"", 0, 0, norms,
	  "gamma's dose criterion: a percentage of the maximum reference dose "
	  "(global) or of the voxel's (local)" },
	{ "cutoff_pct", KIND_FLOAT, "10.0", 0, 100, NULL,
	  "reference voxels below this percentage of the maximum reference "
	  "dose are not evaluated" },
	{ "pass", KIND_STRING, "\"le\"", 0, 0, pass_rules,
	  "a voxel passes when gamma <= 1 (le) or gamma < 1 (lt, pymedphys)" },
	{ "radius", KIND_FLOAT, "2.0", 1, 10, NULL,
	  "the search radius, in distance criteria" },
	{ "vx_gy", KIND_STRING, "\"50,60,70\"", 0, 0, NULL,
	  "doses x (Gy) for Vx: the percentage of a structure receiving at "
	  "least x",
	  NULL, valid_doses },
	{ "dvh_step_gy", KIND_FLOAT, "0.1", 0.001, 100, NULL,
	  "the dose step of the cumulative DVH curves" },
	{ "aggregate", KIND_STRING, "\"mean\"", 0, 0, aggregates,
	  "MAE and DVH over all cases: the mean of the cases' values (mean) "
	  "or over all cases' voxels together (pooled, under 'pooled')" },
	{ "reference", KIND_STRING, "\"dose_plan\"", 0, 0, NULL,
	  "the reference dose's dataset in each case of 'volumes'" },
	{ "predicted", KIND_STRING, "\"dose_pred\"", 0, 0, NULL,
	  "the evaluated dose's dataset in each case of 'prediction'" },
	{ "device", KIND_STRING, "\"auto\"", 0, 0, devices,
	  "where the gamma search runs (auto: a GPU when usable)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port inputs[] = {
	{ "volumes", "HDF5 in synth.volumes' layout: caseN/ct, caseN/masks/NAME, "
		     "the reference dose, spacing attributes" },
	{ "prediction", "HDF5 with the evaluated dose of every case "
			"(caseN/DATASET, float32, the same grid)" },
	{ NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "metrics", "JSON: MAE, DVH metrics and gamma pass rates, over all "
		     "cases and per case" },
	{ "maps", "HDF5: caseN/gamma/CRITERION float32 maps (-1: not "
		  "evaluated), caseN/dose_diff float32 (predicted - reference, "
		  "Gy), caseN/dvh/NAME/reference and /predicted curves, "
		  "dvh_dose" },
	{ NULL, NULL },
};

/* A structure's DVH numbers for one dose. */
struct dvh {
	double d95, d2, d50, mean, vx[MAX_VX];
};

/* A growing array of floats. */
struct fpool {
	float *v;
	size_t n, cap;
};

/* What aggregate = "pooled" and the pooled gamma gather over all cases:
 * the absolute differences' sums and counts, each structure's voxel
 * doses, each criterion's evaluated gammas. */
struct pooled {
	double body_sum, sum[MAX_STRUCTS];
	uint64_t body_n, n[MAX_STRUCTS];
	struct fpool ref[MAX_STRUCTS], pred[MAX_STRUCTS], gamma[MAX_CRITERIA];
};

static void pooled_release(struct pooled *p)
{
	int i;

	for (i = 0; i < MAX_STRUCTS; i++)
		free(p->ref[i].v), free(p->pred[i].v);
	for (i = 0; i < MAX_CRITERIA; i++)
		free(p->gamma[i].v);
}

/* The DVH numbers of a structure's voxel doses v[0..m). */
static void dvh_values(const float *v, size_t m, const double *vx, int nvx,
		       enum device_pref dev, struct dvh *out)
{
	/* D95: the dose at least 95% of the volume receives, the 5th
	 * percentile; D2 the 98th; D50 the median. */
	static const double q[3] = { 0.05, 0.98, 0.5 };
	double e[3] = { 0, 0, 0 }, sum = 0;
	uint64_t at_least[MAX_VX] = { 0 };
	size_t i;
	char why[160];
	int k;

	for (i = 0; i < m; i++) {
		sum += v[i];
		for (k = 0; k < nvx; k++)
			at_least[k] += v[i] >= vx[k];
	}
	if (m && quantiles(dev, v, m, q, 3, e, why, sizeof(why)) < 0)
		quantiles_cpu(v, m, q, 3, e, 0);
	out->d95 = e[0];
	out->d2 = e[1];
	out->d50 = e[2];
	out->mean = m ? sum / (double)m : 0;
	for (k = 0; k < nvx; k++)
		out->vx[k] = m ? 100.0 * (double)at_least[k] / (double)m : 0;
}

/* Append the doses of dose[0..n) inside mask to a pool (pooled: all
 * cases' voxels of a structure together). */
static void pool_add(struct fpool *p, const float *dose, const uint8_t *mask,
		     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!mask || mask[i]) {
			if (p->n == p->cap) {
				p->cap = p->cap ? 2 * p->cap : 4096;
				p->v = xrealloc(p->v, p->cap * sizeof(float));
			}
			p->v[p->n++] = dose[i];
		}
}

static void dvh_of(const float *dose, const uint8_t *mask, size_t n,
		   const double *vx, int nvx, enum device_pref dev,
		   struct dvh *out, struct fpool *pool)
{
	struct fpool v = { NULL, 0, 0 };

	pool_add(&v, dose, mask, n);
	dvh_values(v.v, v.n, vx, nvx, dev, out);
	if (pool)
		pool_add(pool, v.v, NULL, v.n);
	free(v.v);
}

/* Cumulative DVH: the fraction of the structure receiving at least
 * i * step, for i in [0, nbins). */
static void dvh_curve(const float *dose, const uint8_t *mask, size_t n,
		      double step, size_t nbins, float *curve)
{
	uint64_t *h = xcalloc(nbins + 1, sizeof(uint64_t)), m = 0, above = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (mask[i]) {
			double b = floor(dose[i] / step);
			h[b < 0 ? 0 : b >= (double)nbins ? nbins : (size_t)b]++;
			m++;
		}
	above = h[nbins];
	for (i = nbins; i-- > 0;) {
		above += h[i];
		curve[i] = m ? (float)((double)above / (double)m) : 0;
	}
	free(h);
}

struct case_stats {
	double mae_body, mae[MAX_STRUCTS];
	struct dvh ref[MAX_STRUCTS], pred[MAX_STRUCTS];
	struct gamma_result g[MAX_CRITERIA];
};

static void crit_name(const struct criterion *c, char *out, size_t n)
{
	snprintf(out, n, "%gpct_%gmm", c->pct, c->mm);
}

static void dvh_json(struct buf *b, const char *label, double r, double p)
{
	buf_addf(b, "\"%s\": {\"reference\": %.4f, \"predicted\": %.4f, "
		    "\"diff\": %.4f}",
		 label, r, p, p - r);
}

/* The gamma results of the nc criteria c as one JSON member. */
static void gamma_json(struct buf *b, const struct gamma_result *g,
		       const struct criterion *c, int nc)
{
	char label[48];
	int k;

	buf_adds(b, "\"gamma\": {");
	for (k = 0; k < nc; k++) {
		crit_name(&c[k], label, sizeof(label));
		buf_addf(b, "%s\"%s\": {\"pass_rate\": %.4f, \"mean\": %.4f, "
			    "\"p50\": %.4f, \"p90\": %.4f, \"p95\": %.4f, "
			    "\"p99\": %.4f, \"max\": %.4f, \"evaluated\": %llu}",
			 k ? ", " : "", label, g[k].pass_rate, g[k].mean, g[k].p50,
			 g[k].p90, g[k].p95, g[k].p99, g[k].max,
			 (unsigned long long)g[k].evaluated);
	}
	buf_addc(b, '}');
}

/* One case's (or all cases') numbers as JSON members: MAE, then gamma
 * for the nc criteria c (none when c is NULL), then DVH. */
static void stats_json(struct buf *b, const struct case_stats *s,
		       char *const *names, size_t ns, const struct criterion *c,
		       int nc, const double *vx, int nvx)
{
	size_t i;
	int k;
	char label[48];

	buf_addf(b, "\"mae_body_gy\": %.4f, \"mae_gy\": {", s->mae_body);
	for (i = 0; i < ns; i++) {
		buf_adds(b, i ? ", " : "");
		json_string(b, names[i], strlen(names[i]));
		buf_addf(b, ": %.4f", s->mae[i]);
	}
	buf_adds(b, "}, ");
	if (c) {
		gamma_json(b, s->g, c, nc);
		buf_adds(b, ", ");
	}
	buf_adds(b, "\"dvh\": {");
	for (i = 0; i < ns; i++) {
		const struct dvh *r = &s->ref[i], *p = &s->pred[i];
		buf_adds(b, i ? ", " : "");
		json_string(b, names[i], strlen(names[i]));
		buf_adds(b, ": {");
		dvh_json(b, "D95", r->d95, p->d95);
		buf_adds(b, ", ");
		dvh_json(b, "D2", r->d2, p->d2);
		buf_adds(b, ", ");
		dvh_json(b, "D50", r->d50, p->d50);
		buf_adds(b, ", ");
		dvh_json(b, "Dmean", r->mean, p->mean);
		for (k = 0; k < nvx; k++) {
			snprintf(label, sizeof(label), "V%g", vx[k]);
			buf_adds(b, ", ");
			dvh_json(b, label, r->vx[k], p->vx[k]);
		}
		buf_addc(b, '}');
	}
	buf_addc(b, '}');
}

/* acc += s / n, field by field (the mean over cases) but gamma, which
 * pools the cases' voxels (struct pooled). */
static void accumulate(struct case_stats *acc, const struct case_stats *s,
		       double n)
{
	const double *src = (const double *)(const void *)s;
	double *dst = (double *)(void *)acc;
	size_t i;

	/* Every field before the gamma results is a double. */
	for (i = 0; i < offsetof(struct case_stats, g) / sizeof(double); i++)
		dst[i] += src[i] / n;
}

/* The pooled numbers of all cases: MAE and DVH into *s. */
static void pooled_stats(const struct pooled *p, size_t ns, const double *vx,
			 int nvx, enum device_pref dev, struct case_stats *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->mae_body = p->body_n ? p->body_sum / (double)p->body_n : 0;
	for (i = 0; i < ns; i++) {
		s->mae[i] = p->n[i] ? p->sum[i] / (double)p->n[i] : 0;
		dvh_values(p->ref[i].v, p->ref[i].n, vx, nvx, dev, &s->ref[i]);
		dvh_values(p->pred[i].v, p->pred[i].n, vx, nvx, dev, &s->pred[i]);
	}
}

/* Case c's grid d (from dataset name of f): every extent 1 to
 * MAX_EXTENT, so gamma's int coordinates hold. */
static int check_grid(struct h5_file *f, int64_t c, const char *name,
		      const uint64_t *d, struct err *err)
{
	int i;

	for (i = 0; i < 3; i++)
		if (d[i] < 1 || d[i] > MAX_EXTENT)
			return err_set(err, "'%s': dataset 'case%lld/%s' has shape "
					    "[%llu, %llu, %llu]: extents must be 1 "
					    "to %d",
				       h5_path(f), (long long)c, name,
				       (unsigned long long)d[0],
				       (unsigned long long)d[1],
				       (unsigned long long)d[2], MAX_EXTENT);
	return 0;
}

/* Case c's dose v[0..n) (dataset name of f): finite, within MAX_DOSE. */
static int check_doses(struct h5_file *f, int64_t c, const char *name,
		       const float *v, size_t n, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(v[i] >= -MAX_DOSE && v[i] <= MAX_DOSE))
			return err_set(err, "'%s': dataset 'case%lld/%s' voxel %zu: "
					    "%g is out of range (%g to %g Gy)",
				       h5_path(f), (long long)c, name, i,
				       (double)v[i], -MAX_DOSE, MAX_DOSE);
	return 0;
}

static int run(const struct kind_run *r, struct err *err)
{
	struct criterion crit[MAX_CRITERIA];
	double vx[MAX_VX], sx, sy, sz, step = kind_float(r, "dvh_step_gy");
	struct buf why = BUF_INIT, rep = BUF_INIT, cases = BUF_INIT;
	int nc = parse_criteria(kind_string(r, "criteria"), crit, &why);
	int nvx = parse_doses(kind_string(r, "vx_gy"), vx, &why), k;
	enum device_pref dev =
		(enum device_pref)device_pref_parse(kind_string(r, "device"));
	struct h5_file *fv = NULL, *fp = NULL, *out = NULL;
	struct case_stats mean;
	struct pooled pool;
	int pooled = !strcmp(kind_string(r, "aggregate"), "pooled");
	int pass_lt = !strcmp(kind_string(r, "pass"), "lt");
	char **names = NULL, path[256], label[48], msg[160];
	size_t ns = 0, i;
	int64_t ncases = 0, c;
	int rc = -1, device_used = DEVICE_CPU;

	memset(&mean, 0, sizeof(mean));
	memset(&pool, 0, sizeof(pool));
	if (kind_check_run(r, err))
		goto out;
	if (nc < 0 || nvx < 0) {
		err_set(err, "%s", why.data);
		goto out;
	}
	if (h5_open(r->inputs[0], &fv, err) || h5_open(r->inputs[1], &fp, err) ||
	    h5_attr_int_in(fv, "/", "cases", 1, MAX_CASES, &ncases, err) ||
	    h5_attr_double_in(fv, "/", "spacing_x_mm", MIN_SPACING, MAX_SPACING,
			      &sx, err) ||
	    h5_attr_double_in(fv, "/", "spacing_y_mm", MIN_SPACING, MAX_SPACING,
			      &sy, err) ||
	    h5_attr_double_in(fv, "/", "spacing_z_mm", MIN_SPACING, MAX_SPACING,
			      &sz, err) ||
	    h5_create(r->outputs[1], &out, err))
		goto out;
	for (c = 0; c < ncases; c++) {
		uint64_t any[3] = { H5_ANY, H5_ANY, H5_ANY }, d[3], d2[3];
		struct case_stats s;
		struct gamma_grid g;
		float *ref = NULL, *pred = NULL, *map = NULL;
		int16_t *ct = NULL;
		uint8_t *body = NULL;
		double maxd = 0, mae = 0;
		size_t n, nb = 0, nbins;
		void *p;
		int bad = 0;

		memset(&s, 0, sizeof(s));
		snprintf(path, sizeof(path), "case%lld/%s", (long long)c,
			 kind_string(r, "reference"));
		if (h5_read(fv, path, H5_FLOAT32, 3, any, d, &p, err))
			goto out;
		ref = p;
		snprintf(path, sizeof(path), "case%lld/%s", (long long)c,
			 kind_string(r, "predicted"));
		if (h5_read(fp, path, H5_FLOAT32, 3, d, d2, &p, err)) {
			free(ref);
			goto out;
		}
		pred = p;
		snprintf(path, sizeof(path), "case%lld/ct", (long long)c);
		if (h5_read(fv, path, H5_INT16, 3, d, d2, &p, err)) {
			free(ref), free(pred);
			goto out;
		}
		ct = p;
		n = (size_t)(d[0] * d[1] * d[2]);
		bad = check_grid(fv, c, kind_string(r, "reference"), d, err) ||
		      check_doses(fv, c, kind_string(r, "reference"), ref, n,
				  err) ||
		      check_doses(fp, c, kind_string(r, "predicted"), pred, n,
				  err);
		if (!bad && c == 0) {
			snprintf(path, sizeof(path), "case%lld/masks", (long long)c);
			bad = h5_list(fv, path, &names, &ns, err) < 0;
			if (!bad && ns > MAX_STRUCTS) {
				err_set(err, "'%s': case 0 has %zu structures; at "
					     "most %d",
					r->inputs[0], ns, MAX_STRUCTS);
				bad = 1;
			}
			for (i = 0; i < ns && !bad; i++)
				if (strlen(names[i]) > MAX_NAME) {
					err_set(err, "'%s': a structure's name in "
						     "'%s' is longer than %d "
						     "bytes",
						r->inputs[0], path, MAX_NAME);
					bad = 1;
				}
		}
		if (bad) {
			free(ref), free(pred), free(ct);
			goto out;
		}
		/* The dose difference, for the report's slices of it. */
		{
			float *diff = xmalloc(n * sizeof(float) + 1);

			for (i = 0; i < n; i++)
				diff[i] = pred[i] - ref[i];
			snprintf(path, sizeof(path), "case%lld/dose_diff",
				 (long long)c);
			bad = h5_write(out, path, H5_FLOAT32, 3, d, diff, err) < 0;
			free(diff);
			if (bad) {
				free(ref), free(pred), free(ct);
				goto out;
			}
		}
		/* The body: CT above -500 HU. */
		body = xmalloc(n);
		for (i = 0; i < n; i++) {
			body[i] = ct[i] > -500;
			if (body[i]) {
				mae += fabs((double)pred[i] - ref[i]);
				nb++;
			}
			if (ref[i] > maxd)
				maxd = ref[i];
		}
		s.mae_body = nb ? mae / (double)nb : 0;
		pool.body_sum += mae, pool.body_n += nb;
		if (maxd * 1.2 / step + 2 > MAX_DVH_BINS) {
			err_set(err, "dvh_step_gy %g and case %lld's maximum "
				     "reference dose of %g Gy make over %d DVH "
				     "bins (a larger step)",
				step, (long long)c, maxd, MAX_DVH_BINS);
			free(ref), free(pred), free(ct), free(body);
			goto out;
		}
		nbins = (size_t)(maxd * 1.2 / step) + 2;
		for (i = 0; i < ns && !bad; i++) {
			uint8_t *m;
			size_t v, cnt;
			float *curve;
			uint64_t dc[1] = { nbins };
			snprintf(path, sizeof(path), "case%lld/masks/%s",
				 (long long)c, names[i]);
			if (h5_read(fv, path, H5_UINT8, 3, d, d2, &p, err)) {
				bad = 1;
				break;
			}
			m = p;
			for (mae = 0, cnt = 0, v = 0; v < n; v++)
				if (m[v]) {
					mae += fabs((double)pred[v] - ref[v]);
					cnt++;
				}
			s.mae[i] = cnt ? mae / (double)cnt : 0;
			pool.sum[i] += mae, pool.n[i] += cnt;
			dvh_of(ref, m, n, vx, nvx, dev, &s.ref[i],
			       pooled ? &pool.ref[i] : NULL);
			dvh_of(pred, m, n, vx, nvx, dev, &s.pred[i],
			       pooled ? &pool.pred[i] : NULL);
			curve = xcalloc(nbins, sizeof(float));
			dvh_curve(ref, m, n, step, nbins, curve);
			snprintf(path, sizeof(path), "case%lld/dvh/%s/reference",
				 (long long)c, names[i]);
			bad = h5_write(out, path, H5_FLOAT32, 1, dc, curve, err) < 0;
			dvh_curve(pred, m, n, step, nbins, curve);
			snprintf(path, sizeof(path), "case%lld/dvh/%s/predicted",
				 (long long)c, names[i]);
			bad = bad ||
			      h5_write(out, path, H5_FLOAT32, 1, dc, curve, err) < 0;
			free(curve);
			free(m);
		}
		g.nx = (int)d[2], g.ny = (int)d[1], g.nz = (int)d[0];
		g.sx = sx, g.sy = sy, g.sz = sz;
		map = xmalloc(n * sizeof(float) + 1);
		for (k = 0; k < nc && !bad; k++) {
			struct gamma_opts o;
			o.dose_pct = crit[k].pct;
			o.dta_mm = crit[k].mm;
			o.local = !strcmp(kind_string(r, "normalisation"), "local");
			o.cutoff_pct = kind_float(r, "cutoff_pct");
			o.tol = GAMMA_TOL;
			o.radius = kind_float(r, "radius");
			o.pass_lt = pass_lt;
			device_used = gamma_index(dev, ref, pred, &g, &o, map,
						  &s.g[k], msg, sizeof(msg));
			if (device_used < 0) {
				err_set(err, "%s", msg);
				bad = 1;
				break;
			}
			for (i = 0; i < n; i++)	/* all cases' voxels */
				if (map[i] >= 0)
					pool_add(&pool.gamma[k], &map[i], NULL, 1);
			crit_name(&crit[k], label, sizeof(label));
			snprintf(path, sizeof(path), "case%lld/gamma/%s",
				 (long long)c, label);
			bad = h5_write(out, path, H5_FLOAT32, 3, d, map, err) < 0;
		}
		free(ref), free(pred), free(ct), free(body), free(map);
		if (bad)
			goto out;
		accumulate(&mean, &s, (double)ncases);
		buf_addf(&cases, "%s{\"case\": %lld, ", c ? ", " : "", (long long)c);
		stats_json(&cases, &s, names, ns, crit, nc, vx, nvx);
		buf_addc(&cases, '}');
		if (!c) {
			uint64_t dd[1] = { nbins };
			float *axis = xcalloc(nbins, sizeof(float));
			for (i = 0; i < nbins; i++)
				axis[i] = (float)(i * step);
			bad = h5_write(out, "dvh_dose", H5_FLOAT32, 1, dd, axis,
				       err) < 0;
			free(axis);
			if (bad)
				goto out;
		}
	}
	fprintf(stderr, "eval.dose: gamma on the %s\n", device_name(device_used));
	for (k = 0; k < nc; k++)
		gamma_summary(pool.gamma[k].v, pool.gamma[k].n, pass_lt,
			      &mean.g[k]);
	buf_addf(&rep, "{\"cases\": %lld, ", (long long)ncases);
	if (pooled) {
		struct case_stats all;
		pooled_stats(&pool, ns, vx, nvx, dev, &all);
		gamma_json(&rep, mean.g, crit, nc);
		buf_adds(&rep, ", \"pooled\": {");
		stats_json(&rep, &all, names, ns, NULL, 0, vx, nvx);
		buf_addc(&rep, '}');
	} else {
		stats_json(&rep, &mean, names, ns, crit, nc, vx, nvx);
	}
	buf_addf(&rep, ", \"per_case\": [%s]}\n", cases.data);
	if (h5_attr_string(out, "/", "kind", "eval.dose", err) ||
	    h5_attr_string(out, "/", "criteria", kind_string(r, "criteria"),
			   err) ||
	    h5_attr_string(out, "/", "normalisation",
			   kind_string(r, "normalisation"), err) ||
	    h5_attr_string(out, "/", "pass", kind_string(r, "pass"), err) ||
	    kind_write_text(r->outputs[0], &rep, err))
		goto out;
	rc = 0;
out:
	h5_finish(fv, NULL, 0, err);
	h5_finish(fp, NULL, 0, err);
	rc = h5_finish(NULL, out, rc, err);
	for (i = 0; i < ns; i++)
		free(names[i]);
	free(names);
	pooled_release(&pool);
	buf_release(&why);
	buf_release(&rep);
	buf_release(&cases);
	return rc;
}

const struct stage_kind kind_eval_dose = {
	.name = "eval.dose",
	.summary = "a predicted dose against the plan: MAE, DVH, 3D gamma",
	.doc = "For every case and over all cases: the mean absolute error (Gy) "
	       "over the body\n(CT above -500 HU) and per structure; per "
	       "structure D95, D2, D50 (the\ndose at least 95%, 2%, 50% of it "
	       "receives: exact quantiles), Dmean and Vx\n(percent receiving at "
	       "least x Gy) of both doses and their difference, and\ncumulative "
	       "DVH curves; and for each gamma criterion the 3D pass rate\n"
	       "(see docs/stages.md: global or local normalisation, a dose "
	       "cutoff, an exact\nsearch within the radius; a voxel passes "
	       "when gamma <= 1, or < 1 with\npass = \"lt\"), its mean and "
	       "percentiles. Over all cases gamma pools\nthe cases' voxels; MAE "
	       "and DVH are the mean of the cases' values, or\npooled under "
	       "'pooled' with aggregate = \"pooled\".",
	.settings = settings,
	.inputs = inputs,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_eval_dose,
	.sources = KIND_SOURCES_eval_dose,
};
