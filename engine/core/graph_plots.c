/*
 * A stage's 'plots': which of its outputs `cairn report` shows as what
 * (docs/graph-format.md "plots").  Only how an output is shown: nothing
 * of it is in the stage's key.
 *
 *   plots = { history = "series", sample = "image" }
 *   plots = { history = { x = "epoch", y = ["loss", "val_loss"],
 *                         title = "training" } }
 *
 * Each declaration becomes the text the report's drawers read
 * (plot_src.as): the form, a space, and a JSON object with the output's
 * name and the settings given: series {"out": "history", "x": "epoch",
 * "y": ["loss", "val_loss"]}.
 */
#include <string.h>

#include "err.h"
#include "graph_internal.h"
#include "json.h"
#include "suggest.h"
#include "util.h"

static const char *const forms[] = { "series", "image", NULL };

/* The extensions a form reads. */
static const char *const series_ext[] = { ".csv", ".tsv", ".json", NULL };
static const char *const image_ext[] = { ".png", ".svg", NULL };

static int ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && !strcmp(s + a - b, end);
}

static int form_known(const char *s)
{
	size_t i;

	for (i = 0; forms[i]; i++)
		if (!strcmp(s, forms[i]))
			return 1;
	return 0;
}

static int bad_form(struct loader *l, const struct toml_value *v,
		    const char *out)
{
	if (v->type != TOML_STRING)
		return gerr(l, v, "the plot of output '%s' is \"series\", "
				  "\"image\" or a table ({ x = \"epoch\", y = "
				  "[\"loss\"] })",
			    out);
	return gerr(l, v, "unknown plot form '%s' for output '%s': \"series\" "
			  "(a CSV or JSON table of numbers, drawn as lines) or "
			  "\"image\" (a PNG or SVG)",
		    v->u.string.ptr, out);
}

/* A column's name: a string, not empty. */
static int column(struct loader *l, const struct toml_value *v,
		  const char *what)
{
	if (v->type != TOML_STRING)
		return gerr(l, v, "%s must be a column's name (a string)", what);
	if (!v->u.string.len || strlen(v->u.string.ptr) != v->u.string.len)
		return gerr(l, v, "%s must be a column's name, not empty", what);
	return 0;
}

/* { form, x, y, title } into the settings' JSON (after "out"). */
static int plot_table(struct loader *l, const struct toml_kv *kv,
		      const char **form, struct buf *json)
{
	static const char *const keys[] = { "form", "x", "y", "title", NULL };
	const struct toml_value *t = kv->value, *v, *x, *y;
	size_t i, j;

	for (i = 0; i < t->u.table.len; i++) {
		struct suggest sg;

		for (j = 0; keys[j] && strcmp(keys[j], t->u.table.kv[i].key); j++)
			;
		if (keys[j])
			continue;
		suggest_init(&sg, t->u.table.kv[i].key);
		for (j = 0; keys[j]; j++)
			suggest_add(&sg, keys[j]);
		gerr_at(l, t->u.table.kv[i].line, t->u.table.kv[i].col,
			"unknown key '%s' in the plot of output '%s' (form, x, "
			"y, title)%s",
			t->u.table.kv[i].key, kv->key, suggest_clause(&sg));
		suggest_release(&sg);
		return -1;
	}
	if ((v = toml_get(t, "form"))) {
		if (v->type != TOML_STRING || !form_known(v->u.string.ptr))
			return bad_form(l, v, kv->key);
		*form = v->u.string.ptr;
	}
	x = toml_get(t, "x");
	y = toml_get(t, "y");
	if (!strcmp(*form, "image") && (x || y))
		return gerr(l, x ? x : y, "output '%s' is plotted as an image: "
					  "'x' and 'y' are a series' columns",
			    kv->key);
	if (x) {
		if (column(l, x, "'x'") < 0)
			return -1;
		buf_adds(json, ", \"x\": ");
		json_string(json, x->u.string.ptr, x->u.string.len);
	}
	if (y) {
		if (y->type == TOML_STRING) {
			if (column(l, y, "'y'") < 0)
				return -1;
		} else if (y->type != TOML_ARRAY || !y->u.array.len) {
			return gerr(l, y, "'y' must be a column's name or an "
					  "array of them, not empty");
		}
		buf_adds(json, ", \"y\": [");
		for (i = 0; i < (y->type == TOML_ARRAY ? y->u.array.len : 1);
		     i++) {
			const struct toml_value *c =
				y->type == TOML_ARRAY ? y->u.array.items[i] : y;
			if (column(l, c, "each entry of 'y'") < 0)
				return -1;
			if (x && !strcmp(c->u.string.ptr, x->u.string.ptr))
				return gerr(l, c, "column '%s' is the x of this "
						  "plot: it cannot be a y too",
					    c->u.string.ptr);
			for (j = 0; j < i; j++)
				if (!strcmp(c->u.string.ptr,
					    y->u.array.items[j]->u.string.ptr))
					return gerr(l, c, "column '%s' is in "
							  "'y' twice",
						    c->u.string.ptr);
			if (i)
				buf_adds(json, ", ");
			json_string(json, c->u.string.ptr, c->u.string.len);
		}
		buf_addc(json, ']');
	}
	if ((v = toml_get(t, "title"))) {
		if (v->type != TOML_STRING)
			return gerr(l, v, "'title' must be a string");
		buf_adds(json, ", \"title\": ");
		json_string(json, v->u.string.ptr, v->u.string.len);
	}
	return 0;
}

/* The output's path must be a file the form reads (unless ${...} makes
 * its end). */
static int check_ext(struct loader *l, const struct toml_kv *kv,
		     const char *form, const char *path)
{
	const char *const *ext = strcmp(form, "image") ? series_ext : image_ext;
	size_t i;

	if (ends_with(path, "}"))
		return 0;
	for (i = 0; ext[i]; i++)
		if (ends_with(path, ext[i]))
			return 0;
	return gerr(l, kv->value, "output '%s' ('%s') is plotted as %s: %s",
		    kv->key, path, strcmp(form, "image") ? "a series" : "an image",
		    strcmp(form, "image")
			    ? "a series is a .csv, .tsv or .json file"
			    : "an image is a .png or .svg file");
}

int graph_plots(struct loader *l, struct graph_stage *st,
		const struct toml_value *t)
{
	const struct toml_value *outs = toml_get(st->table, "outs"), *o;
	size_t i, j;

	if (t->type != TOML_TABLE)
		return gerr(l, t, "'plots' must be a table of outputs (plots = "
				  "{ history = \"series\" }), not %s",
			    t->type == TOML_ARRAY ? "an array" : "a value");
	st->plots = xcalloc(t->u.table.len + 1, sizeof(*st->plots));
	for (i = 0; i < t->u.table.len; i++) {
		const struct toml_kv *kv = &t->u.table.kv[i];
		const char *form = "series";
		struct buf json = BUF_INIT;

		o = outs && outs->type == TOML_TABLE ? toml_get(outs, kv->key)
						     : NULL;
		if (!o) {
			struct suggest sg;

			suggest_init(&sg, kv->key);
			for (j = 0; outs && outs->type == TOML_TABLE &&
				    j < outs->u.table.len;
			     j++)
				suggest_add(&sg, outs->u.table.kv[j].key);
			gerr_at(l, kv->line, kv->col,
				"'plots' names '%s', which is not an output of "
				"this stage%s",
				kv->key, suggest_clause(&sg));
			suggest_release(&sg);
			return -1;
		}
		buf_adds(&json, " {\"out\": ");
		json_string(&json, kv->key, strlen(kv->key));
		if (kv->value->type == TOML_TABLE) {
			if (plot_table(l, kv, &form, &json) < 0) {
				buf_release(&json);
				return -1;
			}
		} else if (kv->value->type != TOML_STRING ||
			   !form_known(kv->value->u.string.ptr)) {
			buf_release(&json);
			return bad_form(l, kv->value, kv->key);
		} else {
			form = kv->value->u.string.ptr;
		}
		buf_addc(&json, '}');
		if (o->type == TOML_STRING &&
		    check_ext(l, kv, form, o->u.string.ptr) < 0) {
			buf_release(&json);
			return -1;
		}
		st->plots[st->nplots].out = xstrdup(kv->key);
		st->plots[st->nplots].as = xmalloc(strlen(form) + json.len + 1);
		memcpy(st->plots[st->nplots].as, form, strlen(form));
		memcpy(st->plots[st->nplots].as + strlen(form), json.data,
		       json.len + 1);
		st->nplots++;
		buf_release(&json);
	}
	return 0;
}

const char *graph_plot_as(const struct graph_stage *st, const char *out)
{
	size_t i;

	for (i = 0; out && i < st->nplots; i++)
		if (!strcmp(st->plots[i].out, out))
			return st->plots[i].as;
	return NULL;
}

void graph_plots_free(struct graph_stage *st)
{
	size_t i;

	for (i = 0; i < st->nplots; i++) {
		free(st->plots[i].out);
		free(st->plots[i].as);
	}
	free(st->plots);
}
