/*
 * Curves of epochs (plot.h): {"epochs": [{"epoch": 1, "train_loss": ...},
 * ...]}, every number of the first epoch a series, "epoch" the x (else 1,
 * 2, 3 ...): train.classifier's curve output, or any JSON a shell stage
 * writes so.  One chart per quantity, every artifact overlaid; train_X
 * and val_X share the chart of X, val dashed.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "plot.h"
#include "util.h"

struct curve {
	char **names;		/* the series: train_loss, val_loss ... */
	size_t nnames;
	double *x;		/* the epochs */
	double **y;		/* y[name][point] */
	size_t npoints;
};

static void curve_free(struct curve *c)
{
	size_t k;

	if (!c)
		return;
	for (k = 0; k < c->nnames; k++) {
		free(c->names[k]);
		free(c->y[k]);
	}
	free(c->names);
	free(c->y);
	free(c->x);
	free(c);
}

/* The curve j holds, or NULL. */
static struct curve *curve_from(const struct json *j)
{
	const struct json *ep = json_member(j, "epochs"), *first;
	struct curve *c;
	size_t i, k;

	if (!ep || ep->type != JSON_ARRAY || !ep->u.array.n)
		return NULL;
	first = ep->u.array.v[0];
	if (first->type != JSON_OBJECT)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->npoints = ep->u.array.n;
	c->x = xcalloc(c->npoints, sizeof(double));
	c->names = xcalloc(first->u.object.n + 1, sizeof(char *));
	c->y = xcalloc(first->u.object.n + 1, sizeof(double *));
	for (k = 0; k < first->u.object.n; k++) {
		if (first->u.object.v[k]->type != JSON_NUMBER ||
		    !strcmp(first->u.object.k[k], "epoch"))
			continue;
		c->names[c->nnames] = xstrdup(first->u.object.k[k]);
		c->y[c->nnames++] = xcalloc(c->npoints, sizeof(double));
	}
	for (i = 0; i < c->npoints; i++) {
		const struct json *e = ep->u.array.v[i];
		double v;

		c->x[i] = json_num(e, "epoch", &v) == 0 ? v : (double)(i + 1);
		for (k = 0; k < c->nnames; k++)
			if (json_num(e, c->names[k], &c->y[k][i]) < 0) {
				curve_free(c);
				return NULL;
			}
	}
	if (!c->nnames) {
		curve_free(c);
		return NULL;
	}
	return c;
}

static int mine(const struct plot_item *it)
{
	struct curve *c = it->json && !it->src->as ? curve_from(it->json)
						   : NULL;

	curve_free(c);
	return c != NULL;
}

/* X of train_X, val_X or X. */
static const char *quantity(const char *name, int *val, int *train)
{
	*val = !strncmp(name, "val_", 4);
	*train = !strncmp(name, "train_", 6);
	return name + (*val ? 4 : *train ? 6 : 0);
}

static void draw(struct buf *out, const struct plot_item *const *items,
		 size_t n)
{
	struct curve **c = xcalloc(n + 1, sizeof(*c));
	const char **q = NULL;
	struct plot_line *lines = NULL;
	struct buf *labels = NULL;
	size_t i, k, j, nq = 0, qcap = 0, cap = 0, nl, nlab;
	int val, train;

	for (i = 0; i < n; i++) {
		c[i] = curve_from(items[i]->json);
		for (k = 0; k < c[i]->nnames; k++) {
			const char *nm = quantity(c[i]->names[k], &val, &train);
			for (j = 0; j < nq && strcmp(q[j], nm); j++)
				;
			if (j == nq) {
				xgrow((void **)&q, &qcap, nq + 1, sizeof(*q));
				q[nq++] = nm;
			}
		}
	}
	labels = xcalloc(2 * n * (nq + 1) + 1, sizeof(*labels));
	for (j = 0; j < nq; j++) {
		struct plot_axes ax = { q[j], "epoch", NULL, 0, 0, 0, 0, 0 };

		nl = nlab = 0;
		for (i = 0; i < n; i++)
			for (k = 0; k < c[i]->nnames; k++) {
				const char *nm = quantity(c[i]->names[k], &val,
							  &train);
				if (strcmp(nm, q[j]))
					continue;
				xgrow((void **)&lines, &cap, nl + 1,
				      sizeof(*lines));
				buf_init(&labels[nlab]);
				buf_adds(&labels[nlab], items[i]->src->label);
				if (val || train)
					buf_adds(&labels[nlab],
						 val ? " val" : " train");
				lines[nl].label = labels[nlab++].data;
				lines[nl].color =
					plot_palette(items[i]->src->member);
				lines[nl].dashed = val;
				lines[nl].x = c[i]->x;
				lines[nl].y = c[i]->y[k];
				lines[nl++].n = c[i]->npoints;
			}
		plot_lines_svg(out, &ax, lines, nl);
		for (i = 0; i < nlab; i++)
			buf_release(&labels[i]);
	}
	for (i = 0; i < n; i++)
		curve_free(c[i]);
	free(c);
	free(q);
	free(lines);
	free(labels);
}

const struct plot_drawer plot_curve_drawer = { "curve", mine, draw };
