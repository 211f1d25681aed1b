/*
 * Artifacts to pictures (plot.h): each artifact parsed once (JSON, HDF5),
 * handed to the first drawer that takes it; each drawer then draws all of
 * its artifacts together.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "json.h"
#include "plot.h"
#include "util.h"

/* JSON bigger than this is not parsed for a picture. */
#define JSON_MAX (16u << 20)

extern const struct plot_drawer plot_curve_drawer;
extern const struct plot_drawer plot_series_drawer, plot_image_drawer,
	plot_bins_drawer, plot_tokens_drawer, plot_zbins_drawer;
extern const struct plot_drawer plot_roc_drawer;
extern const struct plot_drawer plot_dose_drawer;

/* In the order they are tried and drawn. */
static const struct plot_drawer *const drawers[] = {
	&plot_curve_drawer,
	&plot_series_drawer, &plot_image_drawer, &plot_bins_drawer,
	&plot_tokens_drawer, &plot_zbins_drawer,
	&plot_roc_drawer,
	&plot_dose_drawer,
};

static int ends_with(const char *s, const char *end)
{
	size_t a = s ? strlen(s) : 0, b = strlen(end);

	return a >= b && !strcmp(s + a - b, end);
}

static void parse(struct plot_item *it, const struct plot_src *src)
{
	struct err ignore;

	it->src = src;
	it->json = NULL;
	it->h5 = NULL;
	if (ends_with(src->name, ".json") && src->len <= JSON_MAX &&
	    json_parse(src->data, src->len, src->name, &it->json, &ignore))
		it->json = NULL;
	if (!it->json &&
	    h5_open_image(src->data, src->len, src->name, &it->h5, &ignore))
		it->h5 = NULL;
}

size_t plot_artifacts(struct buf *out, const struct plot_src *srcs, size_t n)
{
	struct plot_item *items = xcalloc(n + 1, sizeof(*items));
	const struct plot_item **mine = xcalloc(n + 1, sizeof(*mine));
	size_t *owner = xcalloc(n + 1, sizeof(*owner));
	size_t i, d, k, drew = 0;
	struct err ignore;

	for (i = 0; i < n; i++) {
		parse(&items[i], &srcs[i]);
		owner[i] = ARRAY_LEN(drawers);
		for (d = 0; d < ARRAY_LEN(drawers); d++)
			if (drawers[d]->mine(&items[i])) {
				owner[i] = d;
				break;
			}
	}
	for (d = 0; d < ARRAY_LEN(drawers); d++) {
		for (k = i = 0; i < n; i++)
			if (owner[i] == d)
				mine[k++] = &items[i];
		if (k) {
			drawers[d]->draw(out, mine, k);
			drew++;
		}
	}
	for (i = 0; i < n; i++) {
		json_free(items[i].json);
		h5_close(items[i].h5, &ignore);
	}
	free(items);
	free(mine);
	free(owner);
	return drew;
}
