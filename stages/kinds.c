#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "kinds.h"
#include "suggest.h"
#include "toml.h"
#include "toml_json.h"
#include "util.h"

extern const struct stage_kind kind_synth_events;
extern const struct stage_kind kind_synth_scan;
extern const struct stage_kind kind_synth_volumes;
extern const struct stage_kind kind_zbins;
extern const struct stage_kind kind_groups;
extern const struct stage_kind kind_binning;
extern const struct stage_kind kind_compare_tokens;
extern const struct stage_kind kind_eval_dose;
extern const struct stage_kind kind_train_classifier;
extern const struct stage_kind kind_eval_classifier;
extern const struct stage_kind kind_report;

/* Kinds register here, one line each. */
static const struct stage_kind *const kinds[] = {
	&kind_synth_events,
	&kind_synth_scan,
	&kind_synth_volumes,
	&kind_binning,
	&kind_zbins,
	&kind_groups,
	&kind_compare_tokens,
	&kind_train_classifier,
	&kind_eval_classifier,
	&kind_eval_dose,
	&kind_report,
};

const struct stage_kind *const *kinds_list(size_t *n)
{
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}

const struct stage_kind *kind_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

static const char *const type_names[] = { "an integer", "a number",
					  "a string", "a boolean",
					  "a range [lo, hi] of integers",
					  "a table" };

static int range_ok(const struct toml_value *v)
{
	return v->type == TOML_ARRAY && v->u.array.len == 2 &&
	       v->u.array.items[0]->type == TOML_INTEGER &&
	       v->u.array.items[1]->type == TOML_INTEGER &&
	       v->u.array.items[0]->u.integer <= v->u.array.items[1]->u.integer;
}

static int number(const struct toml_value *v, double *out)
{
	if (v->type == TOML_INTEGER)
		*out = (double)v->u.integer;
	else if (v->type == TOML_FLOAT)
		*out = v->u.real;
	else
		return -1;
	return 0;
}

static void not_a_choice(const struct stage_kind *k,
			 const struct kind_setting *s, const char *name,
			 const char *value, struct buf *why)
{
	const char *const *c;

	buf_addf(why, "setting '%s' of kind '%s' is one of", name, k->name);
	for (c = s->choices; *c; c++)
		buf_addf(why, "%s '%s'", c == s->choices ? "" : ",", *c);
	buf_addf(why, ", not '%s'", value);
}

/* Check value v of setting s (named name: "a" or "a.b"); 0 or -1. */
static int check_value(const struct stage_kind *k, const struct kind_setting *s,
		       const char *name, const struct toml_value *v,
		       struct buf *why, const struct toml_value **at, int *line,
		       int *col);

/* Check table t against the settings in list (names under prefix). */
static int check_table(const struct stage_kind *k,
		       const struct kind_setting *list, const char *prefix,
		       const struct toml_value *t, const struct toml_value *stage,
		       struct buf *why, const struct toml_value **at, int *line,
		       int *col)
{
	const struct kind_setting *s;
	size_t i;
	struct buf full = BUF_INIT;
	int rc = 0;

	for (i = 0; t && i < t->u.table.len && !rc; i++) {
		const struct toml_kv *kv = &t->u.table.kv[i];
		struct suggest sg;

		for (s = list; s && s->name && strcmp(s->name, kv->key); s++)
			;
		buf_truncate(&full, 0);
		buf_addf(&full, "%s%s%s", prefix, *prefix ? "." : "", kv->key);
		if (!s || !s->name) {
			suggest_init(&sg, kv->key);
			for (s = list; s && s->name; s++)
				suggest_add(&sg, s->name);
			buf_addf(why, "kind '%s' has no setting '%s'%s",
				 k->name, full.data, suggest_clause(&sg));
			suggest_release(&sg);
			*line = kv->line;
			*col = kv->col;
			rc = -1;
			break;
		}
		rc = check_value(k, s, full.data, kv->value, why, at, line, col);
	}
	for (s = list; s && s->name && !rc; s++)
		if (!s->def && (!t || !toml_get(t, s->name))) {
			buf_addf(why, "kind '%s' needs setting '%s%s%s' (in 'with')",
				 k->name, prefix, *prefix ? "." : "", s->name);
			*at = t ? t : stage;
			rc = -1;
		}
	buf_release(&full);
	return rc;
}

static int check_value(const struct stage_kind *k, const struct kind_setting *s,
		       const char *name, const struct toml_value *v,
		       struct buf *why, const struct toml_value **at, int *line,
		       int *col)
{
	double x;

	/* ${...} is resolved per instance (graph_expand checks it). */
	if (v->type == TOML_STRING && strstr(v->u.string.ptr, "${") &&
	    !strchr(name, '.'))
		return 0;
	if ((s->type == KIND_INT && v->type != TOML_INTEGER) ||
	    (s->type == KIND_FLOAT && number(v, &x) < 0) ||
	    (s->type == KIND_STRING && v->type != TOML_STRING) ||
	    (s->type == KIND_BOOL && v->type != TOML_BOOL) ||
	    (s->type == KIND_RANGE && !range_ok(v)) ||
	    (s->type == KIND_TABLE && v->type != TOML_TABLE)) {
		buf_addf(why, "setting '%s' of kind '%s' must be %s", name,
			 k->name, type_names[s->type]);
		*at = v;
		return -1;
	}
	if (s->type == KIND_TABLE)
		return check_table(k, s->fields, name, v, v, why, at, line, col);
	if ((s->type == KIND_INT || s->type == KIND_FLOAT) &&
	    number(v, &x) == 0 && (x < s->min || x > s->max)) {
		buf_addf(why, "setting '%s' of kind '%s' must be in [%.15g, %.15g]",
			 name, k->name, s->min, s->max);
		*at = v;
		return -1;
	}
	if (s->type == KIND_RANGE &&
	    ((double)v->u.array.items[0]->u.integer < s->min ||
	     (double)v->u.array.items[1]->u.integer > s->max)) {
		buf_addf(why, "setting '%s' of kind '%s' must lie in [%.15g, %.15g]",
			 name, k->name, s->min, s->max);
		*at = v;
		return -1;
	}
	if (s->type == KIND_STRING && s->choices) {
		const char *const *c;
		for (c = s->choices; *c && strcmp(*c, v->u.string.ptr); c++)
			;
		if (!*c) {
			not_a_choice(k, s, name, v->u.string.ptr, why);
			*at = v;
			return -1;
		}
	}
	if (s->type == KIND_STRING && s->valid &&
	    s->valid(v->u.string.ptr, why) < 0) {
		*at = v;
		return -1;
	}
	return 0;
}

/* Whether a setting of with is written with ${...} (known per instance). */
static int placeholders(const struct toml_value *with)
{
	size_t i;

	for (i = 0; with && i < with->u.table.len; i++)
		if (with->u.table.kv[i].value->type == TOML_STRING &&
		    strstr(with->u.table.kv[i].value->u.string.ptr, "${"))
			return 1;
	return 0;
}

int kind_check_with(const struct stage_kind *k, const struct toml_value *with,
		    const struct toml_value *stage, struct buf *why,
		    const struct toml_value **at, int *line, int *col)
{
	struct buf text = BUF_INIT;
	struct json *j;
	struct err e;
	int rc;

	*at = NULL;
	*line = *col = 0;
	rc = check_table(k, k->settings, "", with, stage, why, at, line, col);
	if (rc || !k->check || placeholders(with))
		return rc;
	kind_settings_json(k, with, &text);
	if (json_parse(text.data, text.len, "settings", &j, &e) == 0) {
		struct kind_run r = { k, j, NULL, NULL, 0 };
		if (k->check(&r, why) < 0) {
			*at = with ? with : stage;
			rc = -1;
		}
		json_free(j);
	}
	buf_release(&text);
	return rc;
}

/* The settings under prefix in o (JSON) against list, as check_table does
 * for TOML, with the same words. */
static int check_json(const struct stage_kind *k,
		      const struct kind_setting *list, const char *prefix,
		      const struct json *o, struct buf *why)
{
	const struct kind_setting *s;
	struct buf full = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < o->u.object.n && !rc; i++) {
		for (s = list; s && s->name && strcmp(s->name, o->u.object.k[i]);
		     s++)
			;
		if (!s || !s->name) {
			buf_addf(why, "kind '%s' has no setting '%s%s%s'", k->name,
				 prefix, *prefix ? "." : "", o->u.object.k[i]);
			rc = -1;
		}
	}
	for (s = list; s && s->name && !rc; s++) {
		const struct json *v = json_member(o, s->name), *lo, *hi;
		double x = v && v->type == JSON_NUMBER ? v->u.number : 0;
		buf_truncate(&full, 0);
		buf_addf(&full, "%s%s%s", prefix, *prefix ? "." : "", s->name);
		lo = v && v->type == JSON_ARRAY && v->u.array.n == 2
			     ? v->u.array.v[0]
			     : NULL;
		hi = lo ? v->u.array.v[1] : NULL;
		if (!v) {
			buf_addf(why, "kind '%s' needs setting '%s'", k->name,
				 full.data);
			rc = -1;
		} else if ((s->type == KIND_INT &&
			    (v->type != JSON_NUMBER || x != floor(x))) ||
			   (s->type == KIND_FLOAT && v->type != JSON_NUMBER) ||
			   (s->type == KIND_STRING && v->type != JSON_STRING) ||
			   (s->type == KIND_BOOL && v->type != JSON_BOOL) ||
			   (s->type == KIND_RANGE &&
			    (!lo || lo->type != JSON_NUMBER ||
			     hi->type != JSON_NUMBER ||
			     lo->u.number != floor(lo->u.number) ||
			     hi->u.number != floor(hi->u.number) ||
			     lo->u.number > hi->u.number)) ||
			   (s->type == KIND_TABLE && v->type != JSON_OBJECT)) {
			buf_addf(why, "setting '%s' of kind '%s' must be %s",
				 full.data, k->name, type_names[s->type]);
			rc = -1;
		} else if (s->type == KIND_TABLE) {
			rc = check_json(k, s->fields, full.data, v, why);
		} else if ((s->type == KIND_INT || s->type == KIND_FLOAT) &&
			   (x < s->min || x > s->max)) {
			buf_addf(why, "setting '%s' of kind '%s' must be in "
				      "[%.15g, %.15g]",
				 full.data, k->name, s->min, s->max);
			rc = -1;
		} else if (s->type == KIND_RANGE && (lo->u.number < s->min ||
						     hi->u.number > s->max)) {
			buf_addf(why, "setting '%s' of kind '%s' must lie in "
				      "[%.15g, %.15g]",
				 full.data, k->name, s->min, s->max);
			rc = -1;
		} else if (s->type == KIND_STRING && s->choices) {
			const char *const *c;
			for (c = s->choices; *c && strcmp(*c, v->u.string); c++)
				;
			if (!*c) {
				not_a_choice(k, s, full.data, v->u.string, why);
				rc = -1;
			}
		}
		if (!rc && s->type == KIND_STRING && s->valid &&
		    s->valid(v->u.string, why) < 0)
			rc = -1;
	}
	buf_release(&full);
	return rc;
}

int kind_check_run(const struct kind_run *r, struct err *err)
{
	struct buf why = BUF_INIT;
	int rc = 0;

	if (!r->settings || r->settings->type != JSON_OBJECT)
		rc = err_set(err, "the settings of kind '%s' are not a JSON "
				  "object",
			     r->kind->name);
	else if (check_json(r->kind, r->kind->settings, "", r->settings,
			    &why) < 0 ||
		 (r->kind->check && r->kind->check(r, &why) < 0))
		rc = err_set(err, "%s", why.data);
	buf_release(&why);
	return rc;
}

void kind_value_json(const struct kind_setting *s, const struct toml_value *v,
		     struct buf *out)
{
	const struct kind_setting *f;

	if (s->type == KIND_TABLE) {
		buf_addc(out, '{');
		for (f = s->fields; f && f->name; f++) {
			if (f != s->fields)
				buf_adds(out, ", ");
			json_string(out, f->name, strlen(f->name));
			buf_adds(out, ": ");
			kind_value_json(f, v ? toml_get(v, f->name) : NULL, out);
		}
		buf_addc(out, '}');
	} else if (v && s->type == KIND_FLOAT && v->type == TOML_INTEGER) {
		json_float(out, (double)v->u.integer);
	} else if (v) {
		toml_json_plain(out, v);
	} else {
		buf_adds(out, s->def);	/* TOML and JSON agree here */
	}
}

void kind_settings_json(const struct stage_kind *k,
			const struct toml_value *with, struct buf *out)
{
	struct kind_setting all = { 0 };

	all.type = KIND_TABLE;
	all.fields = k->settings;
	kind_value_json(&all, with, out);
}

/* Setting name ("a" or "a.b") in the run's settings. */
static const struct json *setting(const struct kind_run *r, const char *name)
{
	const char *dot = strchr(name, '.');
	char head[64];

	if (!dot)
		return json_member(r->settings, name);
	snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
	return json_member(json_member(r->settings, head), dot + 1);
}

int64_t kind_int(const struct kind_run *r, const char *name)
{
	return (int64_t)kind_float(r, name);
}

double kind_float(const struct kind_run *r, const char *name)
{
	const struct json *v = setting(r, name);

	return v && v->type == JSON_NUMBER ? v->u.number : 0;
}

const char *kind_string(const struct kind_run *r, const char *name)
{
	const struct json *v = setting(r, name);

	return v && v->type == JSON_STRING ? v->u.string : "";
}

void kind_range(const struct kind_run *r, const char *name, int64_t *lo,
		int64_t *hi)
{
	const struct json *v = setting(r, name);

	*lo = *hi = 0;
	if (v && v->type == JSON_ARRAY && v->u.array.n == 2 &&
	    v->u.array.v[0]->type == JSON_NUMBER &&
	    v->u.array.v[1]->type == JSON_NUMBER) {
		*lo = (int64_t)v->u.array.v[0]->u.number;
		*hi = (int64_t)v->u.array.v[1]->u.number;
	}
}

int kind_bool(const struct kind_run *r, const char *name)
{
	const struct json *v = setting(r, name);

	return v && v->type == JSON_BOOL && v->u.boolean;
}

static void describe_settings(const struct kind_setting *list,
			      const char *indent, struct buf *out)
{
	const struct kind_setting *s;

	for (s = list; s && s->name; s++) {
		buf_addf(out, "%s  %-12s %s", indent, s->name,
			 s->type == KIND_INT     ? "integer"
			 : s->type == KIND_FLOAT ? "number"
			 : s->type == KIND_BOOL  ? "boolean"
			 : s->type == KIND_RANGE ? "[lo, hi]"
			 : s->type == KIND_TABLE ? "table"
						 : "string");
		if (s->type == KIND_INT || s->type == KIND_FLOAT ||
		    s->type == KIND_RANGE)
			buf_addf(out, " in [%.15g, %.15g]", s->min, s->max);
		if (s->choices) {
			const char *const *c;
			buf_adds(out, ": ");
			for (c = s->choices; *c; c++)
				buf_addf(out, "%s%s", c == s->choices ? "" : ", ",
					 *c);
		}
		if (s->type == KIND_TABLE)
			buf_adds(out, ", optional");
		else
			buf_addf(out, "%s%s", s->def ? ", default " : ", required",
				 s->def ? s->def : "");
		buf_addf(out, "\n%s      %s\n", indent, s->doc);
		if (s->type == KIND_TABLE)
			describe_settings(s->fields, "    ", out);
	}
}

int kind_write_text(const char *path, const struct buf *b, struct err *err)
{
	struct json *j;
	struct err e;
	FILE *f;

	if (json_parse(b->data, b->len, "report", &j, &e) < 0)
		return err_set(err, "'%s': the report is not valid JSON (%s)",
			       path, e.msg);
	json_free(j);
	f = fopen(path, "we");

	if (!f || fwrite(b->data, 1, b->len, f) != b->len) {
		if (f)
			fclose(f);
		return err_errno(err, "cannot write '%s'", path);
	}
	if (fclose(f))
		return err_errno(err, "cannot write '%s'", path);
	return 0;
}

void kind_describe(const struct stage_kind *k, struct buf *out)
{
	const struct kind_port *p;

	buf_addf(out, "kind %s: %s\n\n%s\n", k->name, k->summary, k->doc);
	buf_adds(out, "\nsettings (in 'with'):\n");
	describe_settings(k->settings, "", out);
	buf_adds(out, "\ninputs (in 'deps'):\n");
	for (p = k->inputs; p && p->name; p++)
		buf_addf(out, "  %-12s %s%s\n", p->name,
			 p->many ? "any number of paths: " : "", p->doc);
	if (!k->inputs || !k->inputs->name)
		buf_adds(out, "  (none)\n");
	buf_adds(out, "\noutputs (in 'outs'):\n");
	for (p = k->outputs; p && p->name; p++)
		buf_addf(out, "  %-12s %s%s\n", p->name,
			 p->optional ? "optional (written when named): " : "",
			 p->doc);
	buf_addf(out, "\ncode version: %s\n", k->version);
}
