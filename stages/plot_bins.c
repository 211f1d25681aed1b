/*
 * binning's bin utilisation (plot.h): its report, {"vocabulary": ...,
 * "features": {"pt": {"bins": n, "counts": {"train": [n numbers], ...},
 * ...}, ...}}, as bars of the training split's counts per bin, one chart
 * per feature and artifact: every bin on the axis, so an empty one is a
 * gap there, and named in the caption (the edges are fitted on train, so
 * that split is the one whose empty bins matter).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "plot.h"
#include "util.h"

/* binning's bins per feature at most (the type has 7). */
#define MAX_BINS 255
/* Features at most (binning has 7: five of a particle, two of MET). */
#define MAX_FEATURES 16
/* Empty bins named in a caption at most. */
#define MAX_NAMED 12

/* Feature f's train counts ({"bins": n, "counts": {"train": [n]}}), or
 * NULL (*n: how many). */
static double *train_counts(const struct json *f, size_t *n)
{
	double bins;

	if (!f || f->type != JSON_OBJECT || json_num(f, "bins", &bins) < 0)
		return NULL;
	return plot_counts(json_member(json_member(f, "counts"), "train"),
			   bins, MAX_BINS, n);
}

/* A binning report: its features, each with train counts. */
static const struct json *features_of(const struct json *j)
{
	const struct json *fs = json_member(j, "features");
	double vocab;
	size_t i, n;

	if (!fs || fs->type != JSON_OBJECT || !fs->u.object.n ||
	    fs->u.object.n > MAX_FEATURES ||
	    json_num(j, "vocabulary", &vocab) < 0)
		return NULL;
	for (i = 0; i < fs->u.object.n; i++) {
		double *v = train_counts(fs->u.object.v[i], &n);
		if (!v)
			return NULL;
		free(v);
	}
	return fs;
}

static int mine(const struct plot_item *it)
{
	return it->json && !it->src->as && features_of(it->json);
}

/* The caption: who, the feature, its method and what is empty. */
static void caption(struct buf *cap, const struct plot_item *it,
		    const char *name, const struct json *f, const double *v,
		    size_t n)
{
	const char *method = json_str(f, "method");
	size_t k, empty = 0;

	buf_truncate(cap, 0);
	if (it->src->label && *it->src->label)
		buf_addf(cap, "%s: ", it->src->label);
	buf_addf(cap, "%s, %s%s%zu bins: ", name, method ? method : "",
		 method ? ", " : "", n);
	for (k = 0; k < n; k++)
		empty += v[k] == 0;
	if (!empty) {
		buf_adds(cap, "every bin used in train");
		return;
	}
	buf_addf(cap, "%zu empty in train (", empty);
	for (k = 0, empty = 0; k < n; k++) {
		if (v[k] != 0)
			continue;
		if (empty++ == MAX_NAMED) {
			buf_adds(cap, ", ...");
			break;
		}
		buf_addf(cap, "%s%zu", empty > 1 ? ", " : "", k);
	}
	buf_addc(cap, ')');
}

static void draw(struct buf *out, const struct plot_item *const *items,
		 size_t n)
{
	struct buf title = BUF_INIT, cap = BUF_INIT;
	size_t i, f, nb = 0;

	for (i = 0; i < n; i++) {
		const struct json *fs = features_of(items[i]->json);

		for (f = 0; f < fs->u.object.n; f++) {
			const char *name = fs->u.object.k[f];
			int met = !strncmp(name, "met_", 4);
			double *v = train_counts(fs->u.object.v[f], &nb);

			buf_truncate(&title, 0);
			buf_addf(&title, "%s: train %s per bin", name,
				 met ? "events" : "objects");
			caption(&cap, items[i], name, fs->u.object.v[f], v, nb);
			plot_figure_open(out, "bins");
			plot_bars_svg(out, title.data, "bin",
				      met ? "events" : "objects", v, nb, NULL,
				      plot_palette(items[i]->src->member));
			plot_figure_close(out, cap.data);
			free(v);
		}
	}
	buf_release(&title);
	buf_release(&cap);
}

const struct plot_drawer plot_bins_drawer = { "bins", mine, draw };
