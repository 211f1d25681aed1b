/*
 * eval.dose's pictures (plot.h), from its maps output (HDF5, root
 * attribute kind = "eval.dose"): per case, the cumulative DVH curves of
 * every structure (reference solid, predicted dashed, a colour per
 * structure); the gamma map of the first criterion as three slices
 * through its worst voxel (plot_slice.h: 0 to 2, 1 marked, grey where not
 * evaluated); and the dose difference (predicted - reference) on the same
 * slices.  At most MAX_CASES cases of an artifact are drawn, the rest
 * named in a note: their numbers are in the metrics.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "plot.h"
#include "plot_slice.h"
#include "util.h"

#define MAX_CASES 4
#define MAX_STRUCTS 16		/* eval.dose's own limit */
#define MAX_POINTS 1000		/* a DVH curve's points drawn */
#define MAX_EXTENT 65536	/* a map's extent along an axis */
/* What is read of a file at most (h5_read believes a compressed dataset
 * up to 1024 times its stored bytes): a map's voxels, a curve's points. */
#define MAX_VOXELS (1u << 27)
#define MAX_CURVE (1u << 24)

static int mine(const struct plot_item *it)
{
	char kind[32];
	struct err ignore;

	return it->h5 &&
	       !h5_attr_get_string(it->h5, "/", "kind", kind, sizeof(kind),
				   &ignore) &&
	       !strcmp(kind, "eval.dose");
}

static void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* How many groups "case0", "case1" ... the file holds, counted from 0
 * to the first missing. */
static size_t count_cases(struct h5_file *f)
{
	char **names = NULL, *end;
	uint8_t *seen;
	size_t n = 0, i, c = 0;
	struct err ignore;
	unsigned long long k;

	if (h5_list(f, "/", &names, &n, &ignore))
		return 0;
	seen = xcalloc(n + 1, 1);
	for (i = 0; i < n; i++)
		if (!strncmp(names[i], "case", 4) && names[i][4] >= '0' &&
		    names[i][4] <= '9' && (names[i][4] != '0' || !names[i][5])) {
			k = strtoull(names[i] + 4, &end, 10);
			if (!*end && k < n)
				seen[k] = 1;
		}
	while (c < n && seen[c])
		c++;
	free(seen);
	free_names(names, n);
	return c;
}

/* A float32 dataset of rank 1, every value finite: 0, or -1. */
static int read_curve(struct h5_file *f, const char *name, float **v,
		      size_t *n)
{
	uint64_t any[1] = { H5_ANY }, d[1];
	struct err ignore;
	void *p;
	size_t i;

	if (h5_shape(f, name, H5_FLOAT32, 1, any, d, &ignore) ||
	    d[0] > MAX_CURVE ||
	    h5_read(f, name, H5_FLOAT32, 1, any, d, &p, &ignore))
		return -1;
	*v = p;
	*n = (size_t)d[0];
	for (i = 0; i < *n; i++)
		if (!isfinite((*v)[i])) {
			free(p);
			return -1;
		}
	return 0;
}

/* One structure's curve: fractions in [0, 1] at doses x0 + i * step, as
 * percentages, thinned to at most MAX_POINTS. */
static int dvh_line(struct h5_file *f, const char *name, double step,
		    double **x, double **y, size_t *n)
{
	float *v;
	size_t len, i, k = 0, every;

	if (read_curve(f, name, &v, &len))
		return -1;
	for (i = 0; i < len; i++)
		if (v[i] < 0 || v[i] > 1)
			break;
	if (!len || i < len) {
		free(v);
		return -1;
	}
	every = (len + MAX_POINTS - 1) / MAX_POINTS;
	*x = xcalloc(len / every + 2, sizeof(double));
	*y = xcalloc(len / every + 2, sizeof(double));
	for (i = 0; i < len; i += every, k++) {
		(*x)[k] = (double)i * step;
		(*y)[k] = 100.0 * v[i];
	}
	if ((len - 1) % every) {
		(*x)[k] = (double)(len - 1) * step;
		(*y)[k++] = 100.0 * v[len - 1];
	}
	*n = k;
	free(v);
	return 0;
}

/* Case c's DVH chart: every structure of caseC/dvh, doses by the step of
 * dvh_dose. */
static void dvh_figure(struct buf *out, const struct plot_item *it, size_t c)
{
	struct h5_file *f = it->h5;
	char **names = NULL, path[300], title[48];
	struct plot_axes ax = { NULL, "dose (Gy)", "volume (%)", 0, 0, 0, 100,
				0 };
	struct plot_line lines[2 * MAX_STRUCTS];
	struct buf labels[2 * MAX_STRUCTS], cap = BUF_INIT;
	size_t n = 0, i, nl = 0, dn;
	float *dose = NULL;
	double step;
	struct err ignore;
	int side;

	if (read_curve(f, "dvh_dose", &dose, &dn) || dn < 2)
		goto out;
	step = (double)dose[1] - (double)dose[0];
	if (!(step > 0) || !isfinite(step))
		goto out;
	snprintf(path, sizeof(path), "case%zu/dvh", c);
	if (h5_list(f, path, &names, &n, &ignore))
		goto out;
	for (i = 0; i < n && i < MAX_STRUCTS; i++) {
		double *x[2] = { NULL, NULL }, *y[2] = { NULL, NULL };
		size_t np[2];

		for (side = 0; side < 2; side++) {
			snprintf(path, sizeof(path), "case%zu/dvh/%.127s/%s", c,
				 names[i], side ? "predicted" : "reference");
			if (dvh_line(f, path, step, &x[side], &y[side],
				     &np[side]))
				break;
		}
		if (side < 2) {
			free(x[0]), free(y[0]);
			continue;
		}
		for (side = 0; side < 2; side++, nl++) {
			buf_init(&labels[nl]);
			buf_addf(&labels[nl], "%.127s %s", names[i],
				 side ? "predicted" : "reference");
			lines[nl].label = labels[nl].data;
			lines[nl].color = plot_palette(i);
			lines[nl].dashed = side;
			lines[nl].x = x[side];
			lines[nl].y = y[side];
			lines[nl].n = np[side];
		}
	}
	if (nl) {
		snprintf(title, sizeof(title), "DVH, case %zu", c);
		ax.title = title;
		buf_addf(&cap, "%s: case %zu, the cumulative DVH of each "
			       "structure: reference solid, predicted dashed",
			 it->src->label, c);
		plot_figure_open(out, "dvh");
		plot_lines_svg(out, &ax, lines, nl);
		plot_figure_close(out, cap.data);
	}
	for (i = 0; i < nl; i++) {
		free((void *)lines[i].x);
		free((void *)lines[i].y);
		buf_release(&labels[i]);
	}
out:
	free(dose);
	free_names(names, n);
	buf_release(&cap);
}

/* The criterion drawn: the first of the "criteria" attribute that case 0
 * has a map of ("3%/3mm" is "3pct_3mm"), else its first map's.  0, or
 * -1 when there is none. */
static int criterion(struct h5_file *f, char *name, size_t size)
{
	char crit[256], want[64], **names = NULL;
	struct err ignore;
	double pct, mm;
	size_t n = 0, i;
	int rc = -1;

	if (h5_list(f, "case0/gamma", &names, &n, &ignore) || !n)
		goto out;
	snprintf(name, size, "%s", names[0]);
	rc = 0;
	if (h5_attr_get_string(f, "/", "criteria", crit, sizeof(crit),
			       &ignore) ||
	    sscanf(crit, "%lf%%/%lfmm", &pct, &mm) != 2)
		goto out;
	snprintf(want, sizeof(want), "%gpct_%gmm", pct, mm);
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], want))
			snprintf(name, size, "%s", want);
out:
	free_names(names, n);
	return rc;
}

/* "3pct_3mm" as "3%/3mm". */
static void crit_text(struct buf *out, const char *name)
{
	const char *p = strstr(name, "pct_");

	if (p)
		buf_addf(out, "%.*s%%/%s", (int)(p - name), name, p + 4);
	else
		buf_adds(out, name);
}

/* A float32 map of rank 3, each extent 1 to MAX_EXTENT (want: as d, or
 * NULL: any): 0, or -1. */
static int read_map(struct h5_file *f, const char *name, const uint64_t *want,
		    uint64_t *d, float **v)
{
	uint64_t any[3] = { H5_ANY, H5_ANY, H5_ANY };
	struct err ignore;
	void *p;
	int i;

	if (h5_shape(f, name, H5_FLOAT32, 3, want ? want : any, d, &ignore))
		return -1;
	for (i = 0; i < 3; i++)
		if (d[i] < 1 || d[i] > MAX_EXTENT)
			return -1;
	if (d[0] * d[1] * d[2] > MAX_VOXELS ||
	    h5_read(f, name, H5_FLOAT32, 3, want ? want : any, d, &p, &ignore))
		return -1;
	*v = p;
	return 0;
}

/* Case c's gamma slices through the worst voxel of map crit, then the
 * dose difference on the same slices. */
static void gamma_figures(struct buf *out, const struct plot_item *it,
			  size_t c, const char *crit)
{
	static const double gticks[] = { 0, 0.5, 1, 1.5, 2 };
	struct plot_scale gs = { 0, 1, 2, 1 }, ds = { -1, 0, 1, 0 };
	struct plot_map m;
	struct buf cap = BUF_INIT;
	char path[300];
	uint64_t d[3], d2[3];
	float *g = NULL, *diff = NULL;
	size_t n, i, worst = 0, x, y, z;
	double top = -1, range = 0, dticks[3];

	snprintf(path, sizeof(path), "case%zu/gamma/%s", c, crit);
	if (read_map(it->h5, path, NULL, d, &g))
		return;
	n = (size_t)(d[0] * d[1] * d[2]);
	for (i = 0; i < n; i++)
		if (g[i] >= 0 && g[i] > top) {	/* NaN: never */
			top = g[i];
			worst = i;
		}
	m.v = g;
	m.nz = (size_t)d[0], m.ny = (size_t)d[1], m.nx = (size_t)d[2];
	if (top < 0)
		worst = (m.nz / 2 * m.ny + m.ny / 2) * m.nx + m.nx / 2;
	x = worst % m.nx;
	y = worst / m.nx % m.ny;
	z = worst / m.nx / m.ny;
	buf_addf(&cap, "%s: case %zu, gamma ", it->src->label, c);
	crit_text(&cap, crit);
	if (top >= 0)
		buf_addf(&cap, ": the worst voxel, gamma %.3f at x=%zu, y=%zu, "
			       "z=%zu, and the slices through it: axial z=%zu, "
			       "coronal y=%zu, sagittal x=%zu; 1 (marked) "
			       "passes, grey is not evaluated",
			 top, x, y, z, z, y, x);
	else
		buf_addf(&cap, ": no voxel evaluated (all below the cutoff); "
			       "the middle slices: axial z=%zu, coronal y=%zu, "
			       "sagittal x=%zu",
			 z, y, x);
	plot_figure_open(out, "gamma");
	buf_adds(out, "<div class=\"slices\">\n");
	plot_slices(out, &m, &gs, x, y, z);
	plot_scale_bar(out, &gs, gticks, ARRAY_LEN(gticks), 1, "gamma");
	buf_adds(out, "</div>\n");
	plot_figure_close(out, cap.data);

	snprintf(path, sizeof(path), "case%zu/dose_diff", c);
	if (read_map(it->h5, path, d, d2, &diff) == 0) {
		for (i = 0; i < n; i++)
			if (isfinite(diff[i]) && fabs(diff[i]) > range)
				range = fabs(diff[i]);
		if (range == 0)
			range = 1;
		ds.lo = -range, ds.hi = range;
		dticks[0] = -range, dticks[1] = 0, dticks[2] = range;
		m.v = diff;
		buf_truncate(&cap, 0);
		buf_addf(&cap, "%s: case %zu, the dose difference (predicted - "
			       "reference) on the same slices: axial z=%zu, "
			       "coronal y=%zu, sagittal x=%zu; blue below, red "
			       "above, %.3g Gy at the ends",
			 it->src->label, c, z, y, x, range);
		plot_figure_open(out, "dose-diff");
		buf_adds(out, "<div class=\"slices\">\n");
		plot_slices(out, &m, &ds, x, y, z);
		plot_scale_bar(out, &ds, dticks, 3, 0, "Gy");
		buf_adds(out, "</div>\n");
		plot_figure_close(out, cap.data);
	}
	free(g);
	free(diff);
	buf_release(&cap);
}

static void draw(struct buf *out, const struct plot_item *const *items,
		 size_t n)
{
	char crit[128];
	size_t i, c, ncases, before;
	int has_crit;

	for (i = 0; i < n; i++) {
		before = out->len;
		ncases = count_cases(items[i]->h5);
		has_crit = criterion(items[i]->h5, crit, sizeof(crit)) == 0;
		for (c = 0; c < ncases && c < MAX_CASES; c++) {
			dvh_figure(out, items[i], c);
			if (has_crit)
				gamma_figures(out, items[i], c, crit);
		}
		if (ncases > MAX_CASES) {
			buf_adds(out, "<p class=\"note\">");
			plot_esc(out, items[i]->src->label);
			if (ncases == MAX_CASES + 1)
				buf_addf(out, ": case %d is", MAX_CASES);
			else
				buf_addf(out, ": cases %d to %zu are", MAX_CASES,
					 ncases - 1);
			buf_adds(out, " not drawn (their numbers are in the "
				      "metrics)</p>\n");
		}
		if (out->len == before) {
			buf_adds(out, "<p class=\"note\">");
			plot_esc(out, items[i]->src->label);
			buf_adds(out, ": its maps hold nothing cairn can draw</p>\n");
		}
	}
}

const struct plot_drawer plot_dose_drawer = { "dose", mine, draw };
