/*
 * zbins' slices per bin (plot.h): its report, {"mode": ..., "bins": n,
 * "slices_per_bin": {...}, "counts": [n numbers]}, as bars over all n
 * bins, so an empty bin is a gap on the axis and counted in the caption.
 * One chart per artifact (a sweep of modes side by side).
 */
#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "json.h"
#include "plot.h"
#include "util.h"

/* zbins' n_bins at most. */
#define MAX_BINS 100000

/* The counts of a zbins report, or NULL (*n: how many). */
static double *counts_of(const struct json *j, size_t *n)
{
	const struct json *spb = json_member(j, "slices_per_bin");
	double bins;

	if (!spb || spb->type != JSON_OBJECT || json_num(j, "bins", &bins) < 0)
		return NULL;
	return plot_counts(json_member(j, "counts"), bins, MAX_BINS, n);
}

static int mine(const struct plot_item *it)
{
	size_t n;
	double *v = it->json && !it->src->as ? counts_of(it->json, &n) : NULL;

	free(v);
	return v != NULL;
}

static void draw(struct buf *out, const struct plot_item *const *items,
		 size_t n)
{
	struct buf title = BUF_INIT, cap = BUF_INIT;
	size_t i, k, nb = 0, used;
	const char *mode;
	double *v, sum, mn, mx;

	for (i = 0; i < n; i++) {
		v = counts_of(items[i]->json, &nb);
		mode = json_str(items[i]->json, "mode");
		sum = mx = 0;
		mn = v[0];
		for (k = used = 0; k < nb; k++) {
			sum += v[k];
			used += v[k] > 0;
			mn = fmin(mn, v[k]);
			mx = fmax(mx, v[k]);
		}
		buf_truncate(&title, 0);
		buf_adds(&title, "slices per bin");
		if (items[i]->src->label && *items[i]->src->label)
			buf_addf(&title, ": %s", items[i]->src->label);
		buf_truncate(&cap, 0);
		buf_addf(&cap, "%s%s%zu of %zu bins used, %.15g slices; per bin "
			       "min %.15g, mean %.4g, max %.15g",
			 mode ? mode : "", mode ? " mode: " : "", used, nb, sum,
			 mn, sum / (double)nb, mx);
		plot_figure_open(out, "zbins");
		plot_bars_svg(out, title.data, "bin", "slices", v, nb, NULL,
			      plot_palette(items[i]->src->member));
		plot_figure_close(out, cap.data);
		free(v);
	}
	buf_release(&title);
	buf_release(&cap);
}

const struct plot_drawer plot_zbins_drawer = { "zbins", mine, draw };
