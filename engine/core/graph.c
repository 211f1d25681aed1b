/*
 * Loading a graph: the file, [graph], [params] and -p overrides, and every
 * [stage.NAME] table checked key by key and type by type.  Expansion and
 * the checks of the whole are in graph_expand.c and graph_check.c.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "arena.h"
#include "err.h"
#include "graph_internal.h"
#include "json.h"
#include "kinds.h"
#include "suggest.h"
#include "units.h"
#include "util.h"

int gerr_at(struct loader *l, int line, int col, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	toml_error_at(l->g->doc, line, col, l->err, "%s", b.data);
	buf_release(&b);
	return -1;
}

int gerr(struct loader *l, const struct toml_value *v, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (v)
		toml_error_at(l->g->doc, v->line, v->col, l->err, "%s", b.data);
	else
		err_set(l->err, "%s: %s", l->g->file, b.data);
	buf_release(&b);
	return -1;
}

int value_text(const struct toml_value *v, struct buf *out)
{
	switch (v->type) {
	case TOML_STRING:
		buf_add(out, v->u.string.ptr, v->u.string.len);
		return 0;
	case TOML_INTEGER:
		buf_addf(out, "%lld", (long long)v->u.integer);
		return 0;
	case TOML_FLOAT:
		json_float(out, v->u.real);
		return 0;
	case TOML_BOOL:
		buf_adds(out, v->u.boolean ? "true" : "false");
		return 0;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		buf_adds(out, v->u.datetime->text);
		return 0;
	default:
		return -1;
	}
}

static const char *an(enum toml_type t)
{
	switch (t) {
	case TOML_ARRAY: return "an array";
	case TOML_INTEGER: return "an integer";
	case TOML_TABLE: return "a table";
	default: return t == TOML_STRING ? "a string"
		 : t == TOML_FLOAT	 ? "a float"
		 : t == TOML_BOOL	 ? "a boolean"
					 : "a date-time";
	}
}

/* Every key of table t must be in allowed[]; where says where we are
 * (followed by 'name' when name is not NULL: "stage 'train'", put
 * together only for the message).  With mask, bit j of *mask is set when
 * allowed[j] is there. */
static int check_keys_mask(struct loader *l, const struct toml_value *t,
			   const char *const *allowed, const char *where,
			   const char *name, unsigned *mask)
{
	size_t i, j;

	for (i = 0; i < t->u.table.len; i++) {
		const struct toml_kv *kv = &t->u.table.kv[i];
		struct suggest sg;
		int ok = 0;

		for (j = 0; allowed[j] && !ok; j++)
			ok = !strcmp(kv->key, allowed[j]);
		if (ok) {
			if (mask)
				*mask |= 1u << (j - 1);
			continue;
		}
		suggest_init(&sg, kv->key);
		for (j = 0; allowed[j]; j++)
			suggest_add(&sg, allowed[j]);
		if (name)
			gerr_at(l, kv->line, kv->col,
				"unknown key '%s' in %s '%s'%s", kv->key, where,
				name, suggest_clause(&sg));
		else
			gerr_at(l, kv->line, kv->col, "unknown key '%s' in %s%s",
				kv->key, where, suggest_clause(&sg));
		suggest_release(&sg);
		return -1;
	}
	return 0;
}

static int check_keys(struct loader *l, const struct toml_value *t,
		      const char *const *allowed, const char *where)
{
	return check_keys_mask(l, t, allowed, where, NULL, NULL);
}

/* A stage table's keys, in enum stage_key's order. */
static const char *const stage_keys[] = {
	"cmd",	   "kind",   "with",	  "deps",      "code",
	"outs",	   "params", "env",	  "metrics",   "resources",
	"matrix",  "wdir",   "always_run", "determinism", "hash",
	"executor", "plots",
	NULL,
};

_Static_assert(sizeof(stage_keys) / sizeof(*stage_keys) == SK_COUNT + 1,
	       "stage_keys[] and enum stage_key differ");

const struct toml_value *stage_get(const struct graph_stage *st,
				   enum stage_key k)
{
	if (!(st->keys & (1u << k)))
		return NULL;
	return toml_get(st->table, stage_keys[k]);
}

static int expect(struct loader *l, const struct toml_value *v,
		  enum toml_type type, const char *what)
{
	if (v->type == type)
		return 0;
	return gerr(l, v, "%s must be %s, not %s", what, an(type),
		    an(v->type));
}

int graph_executor_known(const char *name)
{
	return !strcmp(name, "local") || !strcmp(name, "slurm");
}

/* An executor's name ([graph] or a stage's). */
static int executor_value(struct loader *l, const struct toml_value *v)
{
	if (expect(l, v, TOML_STRING, "'executor'") < 0)
		return -1;
	if (!graph_executor_known(v->u.string.ptr))
		return gerr(l, v, "unknown executor '%s' (use local or slurm)",
			    v->u.string.ptr);
	return 0;
}

/* An array of strings into a fresh string vector. */
static int strings(struct loader *l, const struct toml_value *v,
		   const char *what, char ***out, size_t *n)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (expect(l, v, TOML_ARRAY, what) < 0)
		return -1;
	*out = xcalloc(v->u.array.len + 1, sizeof(char *));
	for (i = 0; i < v->u.array.len; i++) {
		const struct toml_value *e = v->u.array.items[i];
		if (e->type != TOML_STRING)
			return gerr(l, e, "each entry of %s must be a string, "
					  "not %s",
				    what, an(e->type));
		(*out)[(*n)++] = xstrdup(e->u.string.ptr);
	}
	return 0;
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/*
 * cairn.toml says nothing of what it is: its graph is named after its
 * workspace's folder, so that workspaces sharing a store keep their runs
 * apart.  Characters a name may not use become '-'; the root folder
 * keeps "cairn".
 */
static void name_after_workspace(struct graph *g)
{
	const char *base = strrchr(g->workspace, '/');
	char *s;

	base = base ? base + 1 : g->workspace;
	if (!*base)
		return;
	free(g->name);
	g->name = xstrdup(base);
	for (s = g->name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			*s = '-';
}

static int graph_table(struct loader *l, const char *dir)
{
	static const char *const keys[] = { "name", "workspace", "store",
					    "executor", NULL };
	const struct toml_value *t = toml_get(toml_root(l->g->doc), "graph");
	const struct toml_value *v;
	struct buf ws = BUF_INIT;
	char real[PATH_MAX];
	const char *base;

	base = strrchr(l->g->file, '/');
	base = base ? base + 1 : l->g->file;
	l->g->name = xstrndup(base, strcspn(base, "."));
	l->g->executor = xstrdup("local");
	buf_adds(&ws, dir);
	if (t) {
		if (expect(l, t, TOML_TABLE, "'graph'") < 0 ||
		    check_keys(l, t, keys, "[graph]") < 0)
			goto fail;
		if ((v = toml_get(t, "name"))) {
			if (expect(l, v, TOML_STRING, "'name'") < 0)
				goto fail;
			if (!valid_name(v->u.string.ptr)) {
				gerr(l, v, "graph name '%s' may only use A-Z a-z "
					   "0-9 _ -",
				     v->u.string.ptr);
				goto fail;
			}
			free(l->g->name);
			l->g->name = xstrdup(v->u.string.ptr);
		}
		if ((v = toml_get(t, "store"))) {
			if (expect(l, v, TOML_STRING, "'store'") < 0)
				goto fail;
			l->g->store = xstrdup(v->u.string.ptr);
		}
		if ((v = toml_get(t, "executor"))) {
			if (executor_value(l, v) < 0)
				goto fail;
			free(l->g->executor);
			l->g->executor = xstrdup(v->u.string.ptr);
		}
		if ((v = toml_get(t, "workspace"))) {
			if (expect(l, v, TOML_STRING, "'workspace'") < 0)
				goto fail;
			buf_truncate(&ws, 0);
			if (v->u.string.ptr[0] != '/')
				buf_addf(&ws, "%s/", dir);
			buf_adds(&ws, v->u.string.ptr);
			if (!realpath(ws.data, real)) {
				gerr(l, v, "workspace '%s' does not exist",
				     v->u.string.ptr);
				goto fail;
			}
			buf_truncate(&ws, 0);
			buf_adds(&ws, real);
		}
	}
	l->g->workspace = buf_detach(&ws, NULL);
	if (!strcmp(l->g->name, "cairn") && !(t && toml_get(t, "name")))
		name_after_workspace(l->g);
	return 0;
fail:
	buf_release(&ws);
	return -1;
}

static int params_table(struct loader *l, const struct graph_override *ov,
			size_t nov)
{
	const struct toml_value *t = toml_get(toml_root(l->g->doc), "params");
	struct buf text = BUF_INIT;
	struct err perr;
	size_t i, j;

	if (t && expect(l, t, TOML_TABLE, "'params'") < 0)
		return -1;
	l->g->nparams = t ? t->u.table.len : 0;
	l->g->params = xcalloc(l->g->nparams + 1, sizeof(*l->g->params));
	for (i = 0; i < l->g->nparams; i++) {
		l->g->params[i].name = xstrdup(t->u.table.kv[i].key);
		l->g->params[i].value = t->u.table.kv[i].value;
	}
	/* Each override is TOML when it parses as a value, else a string. */
	for (i = 0; i < nov; i++) {
		struct toml_doc *d;
		struct buf one = BUF_INIT;

		buf_addf(&one, "v = %s\n", ov[i].value);
		if (toml_parse(one.data, one.len, "-p", &d, &perr) == 0) {
			buf_addf(&text, "p%zu = %s\n", i, ov[i].value);
			toml_doc_free(d);
		} else {
			buf_addf(&text, "p%zu = ", i);
			json_string(&text, ov[i].value, strlen(ov[i].value));
			buf_addc(&text, '\n');
		}
		buf_release(&one);
	}
	if (nov && toml_parse(text.data, text.len, "-p", &l->g->overrides,
			      &perr) < 0) {
		err_set(l->err, "invalid -p value: %s", perr.msg);
		goto fail;
	}
	for (i = 0; i < nov; i++) {
		char key[32];
		struct suggest sg;

		for (j = 0; j < l->g->nparams; j++)
			if (!strcmp(l->g->params[j].name, ov[i].name))
				break;
		if (j == l->g->nparams) {
			suggest_init(&sg, ov[i].name);
			for (j = 0; j < l->g->nparams; j++)
				suggest_add(&sg, l->g->params[j].name);
			err_set(l->err, "unknown param '%s' in '-p %s=%s'%s",
				ov[i].name, ov[i].name, ov[i].value,
				suggest_clause(&sg));
			suggest_release(&sg);
			goto fail;
		}
		snprintf(key, sizeof(key), "p%zu", i);
		l->g->params[j].value = toml_get(toml_root(l->g->overrides),
						 key);
		l->g->params[j].overridden = 1;
	}
	buf_release(&text);
	return 0;
fail:
	buf_release(&text);
	return -1;
}

/* "2h", "30m", "90s", "1h30m", "02:00:00" or an integer of seconds. */
static int parse_duration(const char *s, uint64_t *out)
{
	unsigned h, m, sec;
	char tail;
	uint64_t total = 0;

	if (sscanf(s, "%u:%u:%u%c", &h, &m, &sec, &tail) == 3) {
		*out = (uint64_t)h * 3600 + m * 60 + sec;
		return 0;
	}
	while (*s) {
		char *end;
		unsigned long long v = strtoull(s, &end, 10);
		if (end == s)
			return -1;
		switch (*end) {
		case 'd': total += v * 86400; break;
		case 'h': total += v * 3600; break;
		case 'm': total += v * 60; break;
		case 's': total += v; break;
		default: return -1;
		}
		s = end + 1;
	}
	*out = total;
	return total ? 0 : -1;
}

static int resources(struct loader *l, struct graph_stage *st,
		     const struct toml_value *t)
{
	static const char *const keys[] = { "cpus", "gpus", "mem", "time",
					    NULL };
	const struct toml_value *v;

	if (expect(l, t, TOML_TABLE, "'resources'") < 0 ||
	    check_keys(l, t, keys, "'resources'") < 0)
		return -1;
	if ((v = toml_get(t, "cpus"))) {
		if (expect(l, v, TOML_INTEGER, "'cpus'") < 0)
			return -1;
		if (v->u.integer < 1 || v->u.integer > 4096)
			return gerr(l, v, "'cpus' must be 1 to 4096");
		st->cpus = (int)v->u.integer;
	}
	if ((v = toml_get(t, "gpus"))) {
		if (expect(l, v, TOML_INTEGER, "'gpus'") < 0)
			return -1;
		if (v->u.integer < 0 || v->u.integer > 64)
			return gerr(l, v, "'gpus' must be 0 to 64");
		st->gpus = (int)v->u.integer;
	}
	if ((v = toml_get(t, "mem"))) {
		if (v->type == TOML_INTEGER && v->u.integer > 0)
			st->mem = (uint64_t)v->u.integer;
		else if (v->type != TOML_STRING ||
			 parse_size(v->u.string.ptr, &st->mem) < 0 || !st->mem)
			return gerr(l, v, "'mem' must be a size such as \"16G\" "
					  "or \"512M\"");
	}
	if ((v = toml_get(t, "time"))) {
		if (v->type == TOML_INTEGER && v->u.integer > 0)
			st->time_s = (uint64_t)v->u.integer;
		else if (v->type != TOML_STRING ||
			 parse_duration(v->u.string.ptr, &st->time_s) < 0)
			return gerr(l, v, "'time' must be a duration such as "
					  "\"2h\", \"30m\" or \"01:30:00\"");
	}
	return 0;
}

/* A kind stage's settings and its deps and outs against the kind. */
static int kind_ports(struct loader *l, struct graph_stage *st,
		      const struct toml_value *t)
{
	const struct stage_kind *k = st->kdesc;
	const struct toml_value *at, *outs = toml_get(t, "outs"),
				     *deps = toml_get(t, "deps");
	const struct kind_port *p;
	struct buf why = BUF_INIT;
	size_t i;
	int line, col, rc = 0;

	if (kind_check_with(k, st->with, t, &why, &at, &line, &col) < 0) {
		rc = at ? gerr(l, at, "%s", why.data)
			: gerr_at(l, line, col, "%s", why.data);
		buf_release(&why);
		return rc;
	}
	buf_release(&why);
	/* Every output the kind makes, named as the kind names it (an
	 * optional one when the stage wants it). */
	for (p = k->outputs; p && p->name; p++)
		if (!p->optional && (!outs || outs->type != TOML_TABLE ||
				     !toml_get(outs, p->name)))
			return gerr(l, outs ? outs : t,
				    "kind '%s' makes output '%s': name it in "
				    "'outs'",
				    k->name, p->name);
	for (i = 0; outs && outs->type == TOML_TABLE && i < outs->u.table.len;
	     i++) {
		for (p = k->outputs; p && p->name &&
				     strcmp(p->name, outs->u.table.kv[i].key);
		     p++)
			;
		if (!p || !p->name)
			return gerr_at(l, outs->u.table.kv[i].line,
				       outs->u.table.kv[i].col,
				       "kind '%s' makes no output '%s'", k->name,
				       outs->u.table.kv[i].key);
	}
	for (p = k->inputs; p && p->name; p++)
		if (!deps || deps->type != TOML_TABLE || !toml_get(deps, p->name))
			return gerr(l, deps ? deps : t,
				    "kind '%s' reads input '%s': name it in "
				    "'deps'",
				    k->name, p->name);
	for (i = 0; deps && deps->type == TOML_TABLE && i < deps->u.table.len;
	     i++) {
		for (p = k->inputs; p && p->name &&
				    strcmp(p->name, deps->u.table.kv[i].key);
		     p++)
			;
		if (!p || !p->name)
			return gerr_at(l, deps->u.table.kv[i].line,
				       deps->u.table.kv[i].col,
				       "kind '%s' reads no input '%s'", k->name,
				       deps->u.table.kv[i].key);
	}
	if (deps && deps->type == TOML_ARRAY && deps->u.array.len)
		return gerr(l, deps, "the inputs of kind '%s' are named: write "
				     "deps as a table",
			    k->name);
	return 0;
}

/* 'hash = { OUT = "hdf5" | "bytes" }': each an output of the stage. */
static int output_hashes(struct loader *l, const struct toml_value *t,
			 const struct toml_value *h)
{
	const struct toml_value *outs = toml_get(t, "outs");
	size_t i;

	if (h->type != TOML_TABLE)
		return gerr(l, h, "'hash' must be a table of outputs "
				  "(hash = { model = \"bytes\" }), not %s",
			    an(h->type));
	for (i = 0; i < h->u.table.len; i++) {
		const struct toml_kv *kv = &h->u.table.kv[i];
		if (!outs || outs->type != TOML_TABLE || !toml_get(outs, kv->key))
			return gerr_at(l, kv->line, kv->col,
				       "'hash' names '%s', which is not an "
				       "output of this stage",
				       kv->key);
		if (kv->value->type != TOML_STRING ||
		    (strcmp(kv->value->u.string.ptr, "hdf5") &&
		     strcmp(kv->value->u.string.ptr, "bytes")))
			return gerr(l, kv->value, "the hash of output '%s' is "
						  "\"hdf5\" or \"bytes\"",
				    kv->key);
	}
	return 0;
}

static int stage_table(struct loader *l, const struct toml_kv *kv,
		       struct graph_stage *st)
{
	const struct toml_value *t = kv->value, *v, *cmd, *kind;
	size_t i, n;
	int rc = -1;

	st->name = (char *)kv->key;	/* the document's, as long-lived */
	st->table = t;
	if (!valid_name(kv->key))
		return gerr_at(l, kv->line, kv->col,
			       "stage name '%s' may only use A-Z a-z 0-9 _ -",
			       kv->key);
	if (t->type != TOML_TABLE)
		return gerr(l, t, "stage '%s' must be a table ([stage.%s]), "
				  "not %s",
			    kv->key, kv->key, an(t->type));
	if (check_keys_mask(l, t, stage_keys, "stage", kv->key, &st->keys) < 0)
		goto out;
	cmd = stage_get(st, SK_CMD);
	kind = stage_get(st, SK_KIND);
	if (cmd && kind) {
		gerr(l, kind, "stage '%s' has both 'cmd' and 'kind': it runs a "
			      "command or a built-in kind, not both",
		     kv->key);
		goto out;
	}
	if (!cmd && !kind) {
		gerr(l, t, "stage '%s' has neither 'cmd' nor 'kind'", kv->key);
		goto out;
	}
	if (cmd && expect(l, cmd, TOML_STRING, "'cmd'") < 0)
		goto out;
	if (kind) {
		size_t nk;
		if (expect(l, kind, TOML_STRING, "'kind'") < 0)
			goto out;
		if (!(st->kdesc = kind_find(kind->u.string.ptr))) {
			const struct stage_kind *const *all = kinds_list(&nk);
			struct suggest sg;
			size_t ki;
			suggest_init(&sg, kind->u.string.ptr);
			for (ki = 0; ki < nk; ki++)
				suggest_add(&sg, all[ki]->name);
			gerr(l, kind, "unknown kind '%s' (see 'cairn kinds')%s",
			     kind->u.string.ptr, suggest_clause(&sg));
			suggest_release(&sg);
			goto out;
		}
		st->kind = kind->u.string.ptr;
	}
	if ((v = stage_get(st, SK_WITH))) {
		if (!kind) {
			gerr(l, v, "'with' holds the settings of a 'kind'; "
				   "stage '%s' runs a 'cmd'",
			     kv->key);
			goto out;
		}
		if (expect(l, v, TOML_TABLE, "'with'") < 0)
			goto out;
		st->with = v;
	}
	if (st->kdesc && kind_ports(l, st, t) < 0)
		goto out;
	if ((v = stage_get(st, SK_DEPS)) && v->type != TOML_ARRAY &&
	    v->type != TOML_TABLE) {
		gerr(l, v, "'deps' must be an array of paths or a table of "
			   "named paths, not %s",
		     an(v->type));
		goto out;
	}
	if ((v = stage_get(st, SK_OUTS))) {
		if (v->type != TOML_TABLE) {
			gerr(l, v, "'outs' must be a table of named paths "
				   "(outs = { model = \"m.h5\" }), not %s",
			     an(v->type));
			goto out;
		}
		for (i = 0; i < v->u.table.len; i++)
			if (v->u.table.kv[i].value->type != TOML_STRING) {
				gerr(l, v->u.table.kv[i].value,
				     "output '%s' must be a path (a string), "
				     "not %s",
				     v->u.table.kv[i].key,
				     an(v->u.table.kv[i].value->type));
				goto out;
			}
	}
	if ((v = stage_get(st, SK_HASH)) && output_hashes(l, t, v) < 0)
		goto out;
	if ((v = stage_get(st, SK_PLOTS)) && graph_plots(l, st, v) < 0)
		goto out;
	if ((v = stage_get(st, SK_CODE))) {
		char **tmp;
		if (strings(l, v, "'code'", &tmp, &n) < 0)
			goto out;
		for (i = 0; i < n; i++)
			free(tmp[i]);
		free(tmp);
	}
	if ((v = stage_get(st, SK_PARAMS))) {
		char **names;
		if (strings(l, v, "'params'", &names, &n) < 0)
			goto out;
		for (i = 0; i < n; i++) {
			size_t j;
			for (j = 0; j < l->g->nparams; j++)
				if (!strcmp(names[i],
					    l->g->params[j].name))
					break;
			if (j == l->g->nparams) {
				const struct toml_value *e = v->u.array.items[i];
				struct suggest sg;
				suggest_init(&sg, names[i]);
				for (j = 0; j < l->g->nparams; j++)
					suggest_add(&sg, l->g->params[j].name);
				gerr(l, e, "unknown param '%s'%s", names[i],
				     suggest_clause(&sg));
				suggest_release(&sg);
				for (j = 0; j < n; j++)
					free(names[j]);
				free(names);
				goto out;
			}
		}
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	if ((v = stage_get(st, SK_ENV))) {
		if (strings(l, v, "'env'", &st->env, &st->nenv) < 0)
			goto out;
		for (i = 0; i < st->nenv; i++)
			if (!valid_name(st->env[i]) ||
			    strchr(st->env[i], '-') ||
			    (st->env[i][0] >= '0' && st->env[i][0] <= '9')) {
				gerr(l, v->u.array.items[i],
				     "'%s' is not an environment variable name",
				     st->env[i]);
				goto out;
			}
	}
	if ((v = stage_get(st, SK_METRICS)) &&
	    strings(l, v, "'metrics'", &st->metrics, &st->nmetrics) < 0)
		goto out;
	if ((v = stage_get(st, SK_RESOURCES)) && resources(l, st, v) < 0)
		goto out;
	if ((v = stage_get(st, SK_WDIR)) &&
	    expect(l, v, TOML_STRING, "'wdir'") < 0)
		goto out;
	if ((v = stage_get(st, SK_DETERMINISM))) {
		static const char *const kinds[] = { "bitwise", "semantic",
						      "nondeterministic", NULL };
		size_t k;

		if (expect(l, v, TOML_STRING, "'determinism'") < 0)
			goto out;
		for (k = 0; kinds[k] && strcmp(kinds[k], v->u.string.ptr); k++)
			;
		if (!kinds[k]) {
			gerr(l, v, "determinism '%s' is not bitwise, semantic or "
				   "nondeterministic",
			     v->u.string.ptr);
			goto out;
		}
		st->determinism = (int)k;
	}
	if ((v = stage_get(st, SK_EXECUTOR))) {
		if (executor_value(l, v) < 0)
			goto out;
		st->executor = v->u.string.ptr;
	}
	if ((v = stage_get(st, SK_ALWAYS_RUN))) {
		if (expect(l, v, TOML_BOOL, "'always_run'") < 0)
			goto out;
		st->always_run = v->u.boolean;
	}
	rc = 0;
out:
	return rc;
}

struct named {
	uint64_t pre[2];	/* name_prefix of in->name */
	struct graph_inst *in;
};

static int by_inst(const void *a, const void *b)
{
	const struct named *x = a, *y = b;

	return name_cmp(x->pre, x->in->name, y->pre, y->in->name);
}

/* g->by_name: the instances sorted by name. */
static void sort_by_name(struct graph *g)
{
	struct named *v = xcalloc(g->ninsts + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < g->ninsts; i++) {
		v[i].in = &g->insts[i];
		name_prefix(v[i].in->name, v[i].pre);
	}
	qsort(v, g->ninsts, sizeof(*v), by_inst);
	g->by_name = xcalloc(g->ninsts + 1, sizeof(void *));
	for (i = 0; i < g->ninsts; i++)
		g->by_name[i] = v[i].in;
	free(v);
}

/* [executor.slurm]: partition, account, qos, sbatch_args, max_jobs,
 * poll_interval (seconds). */
static int executor_table(struct loader *l)
{
	static const char *const kinds[] = { "slurm", NULL };
	static const char *const keys[] = { "partition", "account", "qos",
					    "sbatch_args", "max_jobs",
					    "poll_interval", NULL };
	const struct toml_value *t = toml_get(toml_root(l->g->doc), "executor");
	const struct toml_value *s, *v;
	struct graph_slurm *c = &l->g->slurm;
	char **fields[] = { &c->partition, &c->account, &c->qos,
			    &c->sbatch_args };
	size_t i;

	c->poll_s = 0.25;
	if (!t)
		return 0;
	if (expect(l, t, TOML_TABLE, "'executor'") < 0 ||
	    check_keys(l, t, kinds, "[executor]") < 0)
		return -1;
	if (!(s = toml_get(t, "slurm")))
		return 0;
	if (expect(l, s, TOML_TABLE, "'executor.slurm'") < 0 ||
	    check_keys(l, s, keys, "[executor.slurm]") < 0)
		return -1;
	for (i = 0; i < 4; i++)
		if ((v = toml_get(s, keys[i]))) {
			if (expect(l, v, TOML_STRING, "this setting") < 0)
				return -1;
			*fields[i] = xstrdup(v->u.string.ptr);
		}
	if ((v = toml_get(s, "max_jobs"))) {
		if (v->type != TOML_INTEGER || v->u.integer < 1 ||
		    v->u.integer > 100000)
			return gerr(l, v, "'max_jobs' is a number of jobs, 1 to "
					  "100000");
		c->max_jobs = (int)v->u.integer;
	}
	if ((v = toml_get(s, "poll_interval"))) {
		double x = v->type == TOML_INTEGER ? (double)v->u.integer
			   : v->type == TOML_FLOAT ? v->u.real
						   : -1;
		if (!(x >= 0.01 && x <= 600))
			return gerr(l, v, "'poll_interval' is seconds, 0.01 to "
					  "600");
		c->poll_s = x;
	}
	return 0;
}

static int top_level(struct loader *l, const char *dir,
		     const struct graph_override *ov, size_t nov)
{
	static const char *const keys[] = { "graph", "params", "stage",
					    "executor", NULL };
	const struct toml_value *root = toml_root(l->g->doc), *stages;
	size_t i;

	if (check_keys(l, root, keys, "the graph file") < 0 ||
	    graph_table(l, dir) < 0 || executor_table(l) < 0 ||
	    params_table(l, ov, nov) < 0)
		return -1;
	stages = toml_get(root, "stage");
	if (!stages)
		return gerr(l, NULL, "no stages: add a [stage.NAME] table");
	if (expect(l, stages, TOML_TABLE, "'stage'") < 0)
		return -1;
	l->g->nstages = stages->u.table.len;
	l->g->stages = xcalloc(l->g->nstages + 1, sizeof(*l->g->stages));
	for (i = 0; i < stages->u.table.len; i++)
		if (stage_table(l, &stages->u.table.kv[i], &l->g->stages[i]) < 0)
			return -1;
	if (!l->g->nstages)
		return gerr(l, stages, "no stages: add a [stage.NAME] table");
	l->g->stage_table = stages;
	return 0;
}

static int64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int graph_load(const char *file, const struct graph_override *ov,
	       size_t nov, struct graph **out, struct err *err)
{
	struct loader l;
	struct graph *g = xcalloc(1, sizeof(*g));
	char dir[PATH_MAX], *slash;
	struct stat st;
	int64_t t = clock_ns();
	int rc;

	*out = NULL;
	l.g = g;
	l.err = err;
	l.cap_insts = 0;
	g->file = xstrdup(file);
	g->mem = xcalloc(1, sizeof(*g->mem));
	rc = toml_parse_file(file, &g->doc, err);
	if (rc < 0) {
		graph_free(g);
		return -1;
	}
	g->file_bytes = stat(file, &st) == 0 ? (uint64_t)st.st_size : 0;
	g->parse_ns = clock_ns() - t;
	t = clock_ns();
	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	{
		char real[PATH_MAX];
		if (!realpath(dir, real)) {
			err_errno(err, "cannot resolve '%s'", dir);
			graph_free(g);
			return -1;
		}
		snprintf(dir, sizeof(dir), "%s", real);
	}
	if (top_level(&l, dir, ov, nov) < 0 || graph_expand(&l) < 0) {
		graph_free(g);
		return -1;
	}
	g->expand_ns = clock_ns() - t;
	t = clock_ns();
	if (graph_check(&l) < 0) {
		graph_free(g);
		return -1;
	}
	sort_by_name(g);
	g->check_ns = clock_ns() - t;
	*out = g;
	return 0;
}

static void free_strs(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void graph_free(struct graph *g)
{
	size_t i;

	if (!g)
		return;
	/* The instances' strings and path lists are in g->mem. */
	free(g->insts);
	free(g->by_name);
	for (i = 0; i < g->nstages; i++) {
		free_strs(g->stages[i].env, g->stages[i].nenv);
		free_strs(g->stages[i].metrics, g->stages[i].nmetrics);
		graph_plots_free(&g->stages[i]);
	}
	free(g->stages);
	for (i = 0; i < g->nparams; i++)
		free(g->params[i].name);
	free(g->params);
	free(g->file);
	free(g->name);
	free(g->workspace);
	free(g->store);
	free(g->executor);
	free(g->slurm.partition);
	free(g->slurm.account);
	free(g->slurm.qos);
	free(g->slurm.sbatch_args);
	toml_doc_free(g->doc);
	toml_doc_free(g->overrides);
	if (g->mem)
		arena_release(g->mem);
	free(g->mem);
	free(g);
}

struct graph_inst *graph_find(const struct graph *g, const char *name)
{
	size_t lo = 0, hi = g->ninsts;

	while (g->by_name && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, g->by_name[mid]->name);
		if (!c)
			return g->by_name[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct graph_path *graph_path_at(const struct graph_inst *in, size_t j)
{
	if (j < in->nouts)
		return &in->outs[j];
	j -= in->nouts;
	return j < in->ndeps ? &in->deps[j] : &in->code[j - in->ndeps];
}

int graph_inst_matches(const struct graph_inst *in, const char *pat)
{
	return !strcmp(pat, in->name) || !strcmp(pat, in->stage->name) ||
	       !fnmatch(pat, in->name, 0) || !fnmatch(pat, in->stage->name, 0);
}

int graph_check_target(const struct graph *g, const char *pat,
		       struct err *err)
{
	struct suggest sg;
	size_t i;

	for (i = 0; i < g->ninsts; i++)
		if (graph_inst_matches(&g->insts[i], pat))
			return 0;
	suggest_init(&sg, pat);
	for (i = 0; i < g->nstages; i++)
		suggest_add(&sg, g->stages[i].name);
	for (i = 0; i < g->ninsts; i++)
		if (g->insts[i].nbinds)
			suggest_add(&sg, g->insts[i].name);
	err_set(err, "no stage or instance matches '%s'%s", pat,
		suggest_clause(&sg));
	suggest_release(&sg);
	return -1;
}

struct graph_stage *graph_stage_findn(const struct graph *g, const char *name,
				      size_t n)
{
	const struct toml_kv *kv;

	if (!g->stage_table ||
	    !(kv = toml_get_kv(g->stage_table, name, n)))
		return NULL;
	return &g->stages[kv - g->stage_table->u.table.kv];
}

struct graph_stage *graph_stage_find(const struct graph *g, const char *name)
{
	return graph_stage_findn(g, name, strlen(name));
}

void graph_forget_stats(struct graph *g)
{
	size_t i, j;

	for (i = 0; i < g->ninsts; i++) {
		struct graph_inst *in = &g->insts[i];
		for (j = 0; j < in->ndeps; j++)
			in->deps[j].seen = 0;
		for (j = 0; j < in->nouts; j++)
			in->outs[j].seen = 0;
		for (j = 0; j < in->ncode; j++)
			in->code[j].seen = 0;
	}
}
