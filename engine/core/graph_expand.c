/*
 * Expanding stages into instances: the matrix (Cartesian product in
 * declaration order, minus exclude, plus include), then ${...} in outputs
 * (params and matrix only), then in deps, code, wdir and cmd (anything,
 * including other stages' outputs, which become edges).
 */
#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "arena.h"
#include "err.h"
#include "graph_internal.h"
#include "interp.h"
#include "json.h"
#include "kinds.h"
#include "suggest.h"
#include "utf8.h"
#include "util.h"

struct axis {
	const char *name;
	const struct toml_value *values;	/* array */
	const char **texts;		/* each value's text, in g->mem */
};

static int scalar(const struct toml_value *v)
{
	return v->type != TOML_ARRAY && v->type != TOML_TABLE;
}

/* A string holding "\u0000": C strings, paths and commands end there. */
static int has_nul(const struct toml_value *v)
{
	return v->type == TOML_STRING &&
	       memchr(v->u.string.ptr, 0, v->u.string.len) != NULL;
}

static int same_value(const struct toml_value *a, const struct toml_value *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int eq;

	value_text(a, &x);
	value_text(b, &y);
	eq = a->type == b->type && x.len == y.len && !memcmp(x.data, y.data, x.len);
	buf_release(&x);
	buf_release(&y);
	return eq;
}

static struct graph_inst *new_inst(struct loader *l, struct graph_stage *st)
{
	struct graph_inst *in;

	xgrow((void **)&l->g->insts, &l->cap_insts, l->g->ninsts + 1,
	      sizeof(*l->g->insts));
	in = &l->g->insts[l->g->ninsts];
	memset(in, 0, sizeof(*in));
	in->stage = st;
	in->index = l->g->ninsts++;
	st->ninsts++;
	return in;
}

/* v's text, kept in the graph's arena. */
static const char *text_of(struct loader *l, const struct toml_value *v,
			   struct buf *t)
{
	buf_truncate(t, 0);
	value_text(v, t);
	return arena_strndup(l->g->mem, t->data, t->len);
}

/* Name the instance and bind its values: vals[k] for axes[k], whose text
 * is texts[k].  The bindings share their names and texts (a matrix of a
 * million instances holds each value's text once); name is scratch. */
static void bind(struct loader *l, struct graph_inst *in,
		 const struct graph_stage *st, const struct axis *axes,
		 size_t n, const struct toml_value *const *vals,
		 const char *const *texts, struct buf *name)
{
	size_t k;

	if (!n) {
		in->name = st->name;	/* no matrix: the stage's own */
		return;
	}
	buf_truncate(name, 0);
	buf_adds(name, st->name);
	in->nbinds = n;
	in->binds = arena_alloc(l->g->mem, n * sizeof(*in->binds));
	for (k = 0; k < n; k++) {
		in->binds[k].name = axes[k].name;
		in->binds[k].value = vals[k];
		in->binds[k].text = texts[k];
		buf_addc(name, k ? ',' : '[');
		buf_adds(name, axes[k].name);
		buf_addc(name, '=');
		buf_adds(name, texts[k]);
	}
	buf_addc(name, ']');
	in->name = arena_strndup(l->g->mem, name->data, name->len);
}

/* Does table entry e (exclude/include) bind exactly vals on its keys? */
static int matches(const struct toml_value *e, const struct axis *axes,
		   size_t n, const struct toml_value *const *vals)
{
	size_t i, k;

	for (i = 0; i < e->u.table.len; i++) {
		for (k = 0; k < n; k++)
			if (!strcmp(e->u.table.kv[i].key, axes[k].name))
				break;
		if (k == n || !same_value(e->u.table.kv[i].value, vals[k]))
			return 0;
	}
	return 1;
}

static int check_entry(struct loader *l, const struct toml_value *e,
		       const struct axis *axes, size_t n, const char *what,
		       int need_all)
{
	size_t i, k;

	if (e->type != TOML_TABLE)
		return gerr(l, e, "each '%s' entry must be a table such as "
				  "{ %s = ... }",
			    what, n ? axes[0].name : "key");
	for (i = 0; i < e->u.table.len; i++) {
		const struct toml_kv *kv = &e->u.table.kv[i];
		struct suggest sg;

		for (k = 0; k < n; k++)
			if (!strcmp(kv->key, axes[k].name))
				break;
		if (k == n) {
			suggest_init(&sg, kv->key);
			for (k = 0; k < n; k++)
				suggest_add(&sg, axes[k].name);
			gerr_at(l, kv->line, kv->col,
				"'%s' is not a matrix key%s", kv->key,
				suggest_clause(&sg));
			suggest_release(&sg);
			return -1;
		}
		if (!scalar(kv->value))
			return gerr(l, kv->value, "matrix values must be "
						  "strings, numbers, booleans "
						  "or dates");
	}
	if (need_all)
		for (k = 0; k < n; k++)
			if (!toml_get(e, axes[k].name))
				return gerr(l, e, "an 'include' entry must give "
						  "every matrix key; '%s' is "
						  "missing",
					    axes[k].name);
	return 0;
}

static int expand_matrix(struct loader *l, struct graph_stage *st)
{
	const struct toml_value *m = stage_get(st, SK_MATRIX);
	const struct toml_value *excl = NULL, *incl = NULL;
	const struct toml_value **vals = NULL;
	const char **texts = NULL;
	struct axis *axes = NULL;
	struct buf name = BUF_INIT, t = BUF_INIT;
	size_t naxes = 0, *idx = NULL, i, k, before = l->g->ninsts, j;
	int rc = -1, done;

	st->load_first = l->g->ninsts;
	if (!m) {
		bind(l, new_inst(l, st), st, NULL, 0, NULL, NULL, &name);
		buf_release(&name);
		return 0;
	}
	if (m->type != TOML_TABLE)
		return gerr(l, m, "'matrix' must be a table of arrays, such as "
				  "{ lr = [0.1, 0.01] }");
	axes = xcalloc(m->u.table.len + 1, sizeof(*axes));
	for (i = 0; i < m->u.table.len; i++) {
		const struct toml_kv *kv = &m->u.table.kv[i];

		if (!strcmp(kv->key, "exclude") || !strcmp(kv->key, "include")) {
			if (kv->value->type != TOML_ARRAY) {
				gerr(l, kv->value, "'%s' must be an array of "
						   "tables",
				     kv->key);
				goto out;
			}
			if (kv->key[0] == 'e')
				excl = kv->value;
			else
				incl = kv->value;
			continue;
		}
		if (kv->value->type != TOML_ARRAY) {
			gerr(l, kv->value, "matrix key '%s' must be an array of "
					   "values",
			     kv->key);
			goto out;
		}
		if (!kv->value->u.array.len) {
			gerr(l, kv->value, "matrix key '%s' of stage '%s' has no "
					   "values",
			     kv->key, st->name);
			goto out;
		}
		for (j = 0; j < kv->value->u.array.len; j++) {
			const struct toml_value *e = kv->value->u.array.items[j];
			if (!scalar(e)) {
				gerr(l, e, "matrix values must be strings, "
					   "numbers, booleans or dates");
				goto out;
			}
			if (has_nul(e)) {
				gerr(l, e, "matrix value holds a NUL character "
					   "(\\u0000), which no file name or "
					   "command can hold");
				goto out;
			}
		}
		axes[naxes].name = kv->key;
		axes[naxes++].values = kv->value;
	}
	if (!naxes) {
		gerr(l, m, "the matrix of stage '%s' has no keys", st->name);
		goto out;
	}
	/* Refuse a product too large to hold before building any of it. */
	{
		unsigned long long prod = 1;
		struct buf what = BUF_INIT;
		int over = 0;

		for (k = 0; k < naxes; k++) {
			unsigned long long n = axes[k].values->u.array.len;
			buf_addf(&what, "%s%llu", k ? " x " : "", n);
			over |= __builtin_mul_overflow(prod, n, &prod);
		}
		if (over)
			buf_adds(&what, " (more than 2^64)");
		else if (naxes > 1)
			buf_addf(&what, " = %llu", prod);
		if (over || prod + (incl ? incl->u.array.len : 0) +
					l->g->ninsts >
				    GRAPH_MAX_INSTANCES) {
			gerr(l, m, "the matrix of stage '%s' expands to %s "
				   "instances; a graph may have at most %llu",
			     st->name, what.data,
			     (unsigned long long)GRAPH_MAX_INSTANCES);
			buf_release(&what);
			goto out;
		}
		buf_release(&what);
	}
	for (i = 0; excl && i < excl->u.array.len; i++)
		if (check_entry(l, excl->u.array.items[i], axes, naxes,
				"exclude", 0) < 0)
			goto out;
	for (i = 0; incl && i < incl->u.array.len; i++)
		if (check_entry(l, incl->u.array.items[i], axes, naxes,
				"include", 1) < 0)
			goto out;
	idx = xcalloc(naxes, sizeof(size_t));
	vals = xcalloc(naxes, sizeof(*vals));
	texts = xcalloc(naxes, sizeof(*texts));
	for (k = 0; k < naxes; k++) {
		axes[k].texts = xcalloc(axes[k].values->u.array.len,
					sizeof(char *));
		for (j = 0; j < axes[k].values->u.array.len; j++)
			axes[k].texts[j] = text_of(
				l, axes[k].values->u.array.items[j], &t);
	}
	for (done = 0; !done;) {
		int skip = 0;

		for (k = 0; k < naxes; k++) {
			vals[k] = axes[k].values->u.array.items[idx[k]];
			texts[k] = axes[k].texts[idx[k]];
		}
		for (i = 0; excl && i < excl->u.array.len && !skip; i++)
			skip = matches(excl->u.array.items[i], axes, naxes, vals);
		if (!skip)
			bind(l, new_inst(l, st), st, axes, naxes, vals, texts,
			     &name);
		/* Odometer: the last key changes fastest. */
		for (k = naxes; k-- > 0;) {
			if (++idx[k] < axes[k].values->u.array.len)
				break;
			idx[k] = 0;
			if (k == 0)
				done = 1;
		}
	}
	for (i = 0; incl && i < incl->u.array.len; i++) {
		const struct toml_value *e = incl->u.array.items[i];
		struct graph_inst *in;

		for (k = 0; k < naxes; k++) {
			vals[k] = toml_get(e, axes[k].name);
			texts[k] = text_of(l, vals[k], &t);
		}
		in = new_inst(l, st);
		bind(l, in, st, axes, naxes, vals, texts, &name);
		for (j = before; j + 1 < l->g->ninsts; j++)
			if (!strcmp(l->g->insts[j].name, in->name)) {
				gerr(l, e, "duplicate instance '%s': this "
					   "combination is already in the matrix",
				     in->name);
				goto out;
			}
	}
	if (l->g->ninsts == before) {
		gerr(l, m, "the matrix of stage '%s' is empty: every "
			   "combination is excluded",
		     st->name);
		goto out;
	}
	rc = 0;
out:
	for (k = 0; axes && k < naxes; k++)
		free(axes[k].texts);
	free(axes);
	free(idx);
	free(vals);
	free(texts);
	buf_release(&name);
	buf_release(&t);
	return rc;
}

/* ---- interpolation ---- */

enum phase { PHASE_OUTS, PHASE_DEPS, PHASE_REST };

/* A param's text as interpolated: its scalar's, or its array's
 * elements', found on the first reference and kept in g->mem. */
struct ptext {
	const char **v;
	size_t n;
	int done;
};

struct ictx {
	struct loader *l;
	struct graph_inst *in;
	enum phase phase;
	struct refv params;		/* params used (names the graph keeps) */
	struct refv vals;		/* scratch for interp */
	struct ptext *ptexts;		/* by index in g->params */
	struct graph_inst **refs;	/* producers named by stage refs */
	const char **refouts;
	size_t nrefs, caprefs;
	struct buf norm;		/* scratch for add_path */
	const char *empty;		/* "" in g->mem: the default wdir */
};

static int add_param(struct ictx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->params.n; i++)
		if (!strcmp(c->params.v[i], name))
			return 0;
	refv_push(&c->params, name);
	return 0;
}

static int array_has_nul(const struct toml_value *v)
{
	size_t j;

	for (j = 0; j < v->u.array.len; j++)
		if (has_nul(v->u.array.items[j]))
			return 1;
	return 0;
}

static int param_ref(struct ictx *c, const char *name, struct refv *vals,
		     struct buf *why)
{
	struct graph *g = c->l->g;
	struct suggest sg;
	size_t i;

	for (i = 0; i < g->nparams; i++) {
		const struct toml_value *v = g->params[i].value;
		struct ptext *pt = &c->ptexts[i];
		struct buf t = BUF_INIT;
		size_t j;

		if (strcmp(g->params[i].name, name))
			continue;
		add_param(c, g->params[i].name);
		if (pt->done) {
			for (j = 0; j < pt->n; j++)
				refv_push(vals, pt->v[j]);
			return 0;
		}
		if (has_nul(v) || (v->type == TOML_ARRAY &&
				   array_has_nul(v))) {
			buf_addf(why, "param '%s' holds a NUL character "
				      "(\\u0000), which no file name or "
				      "command can hold",
				 name);
			return -1;
		}
		pt->n = v->type == TOML_ARRAY ? v->u.array.len : 1;
		pt->v = arena_alloc(g->mem, (pt->n + 1) * sizeof(char *));
		if (v->type == TOML_ARRAY) {
			for (j = 0; j < v->u.array.len; j++) {
				buf_truncate(&t, 0);
				if (value_text(v->u.array.items[j], &t) < 0) {
					buf_release(&t);
					buf_addf(why, "param '%s' holds an "
						      "array of tables",
						 name);
					return -1;
				}
				pt->v[j] = arena_strndup(g->mem, t.data, t.len);
			}
		} else if (value_text(v, &t) < 0) {
			buf_addf(why, "param '%s' is a table and cannot be "
				      "written into a string",
				 name);
			return -1;
		} else {
			pt->v[0] = arena_strndup(g->mem, t.data, t.len);
		}
		buf_release(&t);
		pt->done = 1;
		for (j = 0; j < pt->n; j++)
			refv_push(vals, pt->v[j]);
		return 0;
	}
	suggest_init(&sg, name);
	for (i = 0; i < g->nparams; i++)
		suggest_add(&sg, g->params[i].name);
	buf_addf(why, "unknown param '%s'%s", name, suggest_clause(&sg));
	suggest_release(&sg);
	return -1;
}

static int path_ref(const struct graph_path *p, size_t n, const char *kind,
		    const char *name, struct refv *vals, struct buf *why)
{
	size_t i;
	int found = 0;

	for (i = 0; i < n; i++)
		if (!strcmp(p[i].name, name)) {
			refv_push(vals, p[i].path);
			found = 1;
		}
	if (!found)
		buf_addf(why, "no %s named '%s'", kind, name);
	return found ? 0 : -1;
}

static int stage_ref(struct ictx *c, const char *ref, struct refv *vals,
		     struct buf *why)
{
	struct graph *g = c->l->g;
	const char *dot = strchr(ref, '.');
	struct suggest sg;
	char *sname;
	struct graph_stage *st = NULL;
	size_t i, k, cap;
	int found = 0;

	if (!dot || strncmp(dot, ".outs.", 6) || !dot[6]) {
		buf_addf(why, "'${stage.%s}': write ${stage.NAME.outs.OUT}",
			 ref);
		return -1;
	}
	st = graph_stage_findn(g, ref, (size_t)(dot - ref));
	if (!st) {
		sname = xstrndup(ref, (size_t)(dot - ref));
		suggest_init(&sg, sname);
		for (i = 0; i < g->nstages; i++)
			suggest_add(&sg, g->stages[i].name);
		buf_addf(why, "unknown stage '%s'%s", sname,
			 suggest_clause(&sg));
		suggest_release(&sg);
		free(sname);
		return -1;
	}
	if (c->phase == PHASE_OUTS) {
		buf_adds(why, "an output cannot name another stage's output");
		return -1;
	}
	/* A stage's instances are contiguous until the final reorder. */
	for (i = st->load_first; i < st->load_first + st->ninsts; i++) {
		struct graph_inst *p = &g->insts[i];
		size_t j, o;
		int ok = 1;

		/* Shared matrix keys select the matching instance only. */
		for (j = 0; j < p->nbinds && ok; j++)
			for (k = 0; k < c->in->nbinds; k++)
				if (!strcmp(p->binds[j].name,
					    c->in->binds[k].name) &&
				    strcmp(p->binds[j].text,
					   c->in->binds[k].text))
					ok = 0;
		if (!ok)
			continue;
		for (o = 0; o < p->nouts; o++)
			if (!strcmp(p->outs[o].name, dot + 6))
				break;
		if (o == p->nouts) {
			buf_addf(why, "stage '%s' has no output named '%s'",
				 st->name, dot + 6);
			return -1;
		}
		refv_push(vals, p->outs[o].path);
		/* refouts grows with refs, not at every reference: a stage
		 * reading a matrix of a million names as many. */
		cap = c->caprefs;
		xgrow((void **)&c->refs, &c->caprefs, c->nrefs + 1,
		      sizeof(*c->refs));
		if (c->caprefs != cap)
			c->refouts = xrealloc(c->refouts,
					      c->caprefs * sizeof(char *));
		c->refs[c->nrefs] = p;
		c->refouts[c->nrefs++] = p->outs[o].name;
		found = 1;
	}
	if (!found) {
		buf_addf(why, "stage '%s' has no instance matching '%s'",
			 st->name, c->in->name);
		return -1;
	}
	return 0;
}

static int resolve(void *ctx, const char *ref, struct refv *vals,
		   struct buf *why)
{
	struct ictx *c = ctx;
	size_t k;

	if (!strncmp(ref, "params.", 7))
		return param_ref(c, ref + 7, vals, why);
	if (!strncmp(ref, "matrix.", 7)) {
		for (k = 0; k < c->in->nbinds; k++)
			if (!strcmp(c->in->binds[k].name, ref + 7)) {
				refv_push(vals, c->in->binds[k].text);
				return 0;
			}
		buf_addf(why, "stage '%s' has no matrix key '%s'",
			 c->in->stage->name, ref + 7);
		return -1;
	}
	if (!strncmp(ref, "outs.", 5)) {
		if (c->phase == PHASE_OUTS) {
			buf_adds(why, "an output cannot name another output");
			return -1;
		}
		return path_ref(c->in->outs, c->in->nouts, "output", ref + 5,
				vals, why);
	}
	if (!strncmp(ref, "deps.", 5)) {
		if (c->phase != PHASE_REST) {
			buf_adds(why, "${deps.NAME} can be used in 'cmd', "
				      "'code' and 'wdir'");
			return -1;
		}
		return path_ref(c->in->deps, c->in->ndeps, "input", ref + 5,
				vals, why);
	}
	if (!strncmp(ref, "stage.", 6))
		return stage_ref(c, ref + 6, vals, why);
	buf_addf(why, "unknown reference '${%s}': use params.NAME, matrix.NAME, "
		      "deps.NAME, outs.NAME or stage.NAME.outs.OUT",
		 ref);
	return -1;
}

/* Interpolate string value v; paths go to *many when a reference names
 * several.  Errors point at the "${" inside the string. */
static int expand(struct ictx *c, const struct toml_value *v, int shell,
		  struct buf *out, struct refv *many)
{
	struct buf why = BUF_INIT;
	size_t at = 0;
	int rc;

	buf_truncate(out, 0);
	if (has_nul(v)) {
		const char *z = memchr(v->u.string.ptr, 0, v->u.string.len);
		return gerr_at(c->l, v->line,
			       v->col + 1 + (int)utf8_count(v->u.string.ptr,
							    (size_t)(z - v->u.string.ptr)),
			       "a NUL character (\\u0000) cannot be part of "
			       "a file name or a command");
	}
	rc = interp(v->u.string.ptr, shell, resolve, c, out, many, &c->vals,
		    &at, &why);
	if (rc < 0) {
		int col = v->col + 1 + (int)utf8_count(v->u.string.ptr, at);
		if (v->line != 0 && v->u.string.ptr[0] && strchr(v->u.string.ptr, '\n'))
			col = v->col;
		gerr_at(c->l, v->line, col, "%s", why.data);
	}
	buf_release(&why);
	return rc;
}

/* Slots held for a list of n paths: n while it is short, then the next
 * power of two (a stage that reads every instance of a matrix of a
 * million has as many inputs). */
static size_t path_room(size_t n)
{
	size_t r = 16;

	if (n <= r)
		return n;
	while (r < n)
		r *= 2;
	return r;
}

/* A new entry at the end of list[0..*n), not cleared.  Lists live in
 * the graph's arena: an instance's list being made is usually its newest
 * allocation (its strings go to the other end), so it grows where it
 * lies. */
static struct graph_path *push_path(struct ictx *c, struct graph_path **list,
				    size_t *n)
{
	if (path_room(*n + 1) > path_room(*n))
		*list = arena_grow(c->l->g->mem, *list,
				   path_room(*n) * sizeof(**list),
				   path_room(*n + 1) * sizeof(**list));
	return &(*list)[(*n)++];
}

/* name must outlive the graph (a key of its document, or ""). */
static int add_path(struct ictx *c, struct graph_path **list, size_t *n,
		    const char *name, const char *path,
		    const struct toml_value *at, int inside)
{
	struct buf *norm = &c->norm;
	struct graph_path *p;

	if (!*path)
		return gerr(c->l, at, "empty path");
	if (path[0] == '/' && !inside) {
		buf_truncate(norm, 0);
		buf_adds(norm, path);
	} else if (path_normalise(path, norm) < 0) {
		return gerr(c->l, at, "path '%s' is outside the workspace", path);
	}
	p = push_path(c, list, n);
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->path = arena_strndup(c->l->g->mem, norm->data, norm->len);
	p->line = at->line;
	p->col = at->col;
	return 0;
}

/* How output name at path is digested: the stage's 'hash' table says,
 * else .h5 and .hdf5 files by content (graph.c checked the table). */
static int output_hash(const struct graph_stage *stage, const char *name,
		       const char *path)
{
	const struct toml_value *h = stage_get(stage, SK_HASH), *v;
	size_t n = strlen(path);

	if (h && (v = toml_get(h, name)) && v->type == TOML_STRING)
		return strcmp(v->u.string.ptr, "hdf5") ? GRAPH_HASH_BYTES
						       : GRAPH_HASH_HDF5;
	if ((n > 3 && !strcmp(path + n - 3, ".h5")) ||
	    (n > 5 && !strcmp(path + n - 5, ".hdf5")))
		return GRAPH_HASH_HDF5;
	return GRAPH_HASH_BYTES;
}

/* One path entry e (a string) named name into list. */
static int one_path(struct ictx *c, const struct toml_value *e,
		    const char *name, struct graph_path **list, size_t *n,
		    const char *what, struct buf *out, struct refv *many)
{
	size_t j;
	int rc;

	if (e->type != TOML_STRING)
		return gerr(c->l, e, "each entry of '%s' must be a path "
				     "(a string), not %s %s",
			    what,
			    e->type == TOML_INTEGER || e->type == TOML_ARRAY
				    ? "an" : "a",
			    toml_type_name(e->type));
	many->n = 0;
	c->nrefs = 0;
	if ((rc = expand(c, e, 0, out, many)) < 0)
		return rc;
	if (many->n) {
		for (j = 0; j < many->n && !rc; j++)
			rc = add_path(c, list, n, name, many->v[j], e, 0);
	} else {
		rc = add_path(c, list, n, name, out->data, e, 0);
	}
	/* A stage reference makes an edge to its producer: one per path
	 * when a reference named several instances, else the first
	 * reference of the entry (graph_check finds the rest by path). */
	if (!rc && c->nrefs && many->n == c->nrefs) {
		for (j = 0; j < c->nrefs; j++) {
			struct graph_path *p = &(*list)[*n - c->nrefs + j];
			p->from = c->refs[j];
			p->from_out = c->refouts[j];
		}
	} else if (!rc && c->nrefs && !many->n) {
		struct graph_path *p = &(*list)[*n - 1];
		p->from = c->refs[0];
		p->from_out = c->refouts[0];
	}
	c->nrefs = 0;
	many->n = 0;
	return rc;
}

/* A list or table of paths (deps, code) into list; in a table, a name
 * may hold an array of paths (all of them under that name). */
static int paths(struct ictx *c, const struct toml_value *v,
		 struct graph_path **list, size_t *n, const char *what)
{
	struct buf out = BUF_INIT;
	struct refv many = { NULL, 0, 0 };
	size_t i, j;
	int rc = 0;

	for (i = 0; v && !rc && i < (v->type == TOML_TABLE ? v->u.table.len
							   : v->u.array.len);
	     i++) {
		const struct toml_value *e = v->type == TOML_TABLE
						     ? v->u.table.kv[i].value
						     : v->u.array.items[i];
		const char *name = v->type == TOML_TABLE ? v->u.table.kv[i].key
							 : "";

		if (v->type != TOML_TABLE || e->type != TOML_ARRAY) {
			rc = one_path(c, e, name, list, n, what, &out, &many);
			continue;
		}
		if (!e->u.array.len)
			rc = gerr(c->l, e, "'%s.%s' names no path: give it one "
					   "or more",
				  what, name);
		for (j = 0; j < e->u.array.len && !rc; j++)
			rc = one_path(c, e->u.array.items[j], name, list, n,
				      what, &out, &many);
	}
	refv_release(&many);
	buf_release(&out);
	return rc;
}

/* ---- code globs: patterns with '*', '?' or '[' ---- */

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * Match path against pattern by '/'-separated segments: '*', '?' and '[..]'
 * stay within a segment (fnmatch on each); a "**" segment matches any
 * number of segments, none included.
 */
static int seg_match(const char *pat, const char *path)
{
	const char *ps = strchr(pat, '/'), *xs = strchr(path, '/');
	size_t pl = ps ? (size_t)(ps - pat) : strlen(pat);
	size_t xl = xs ? (size_t)(xs - path) : strlen(path);
	char *pseg, *xseg;
	int ok;

	if (pl == 2 && !memcmp(pat, "**", 2)) {
		const char *rest = ps ? ps + 1 : "";
		const char *p = path;
		if (!*rest)
			return 1;
		for (;;) {
			if (seg_match(rest, p))
				return 1;
			p = strchr(p, '/');
			if (!p)
				return 0;
			p++;
		}
	}
	pseg = xstrndup(pat, pl);
	xseg = xstrndup(path, xl);
	ok = !fnmatch(pseg, xseg, FNM_PERIOD);
	free(pseg);
	free(xseg);
	if (!ok)
		return 0;
	if (!ps || !xs)
		return !ps && !xs;
	return seg_match(ps + 1, xs + 1);
}

/* Every file under dir (workspace-relative) matching pat, into out. */
static void walk_match(const char *ws, const char *dir, const char *pat,
		       struct strv *out)
{
	struct buf full = BUF_INIT, rel = BUF_INIT;
	DIR *d;
	struct dirent *ent;

	buf_addf(&full, "%s/%s", ws, dir);
	if (!(d = opendir(full.data))) {
		buf_release(&full);
		return;
	}
	while ((ent = readdir(d))) {
		struct stat st;

		if (ent->d_name[0] == '.')
			continue;	/* hidden: .git, .cairn */
		buf_truncate(&rel, 0);
		if (strcmp(dir, "."))
			buf_addf(&rel, "%s/", dir);
		buf_adds(&rel, ent->d_name);
		buf_truncate(&full, 0);
		buf_addf(&full, "%s/%s", ws, rel.data);
		if (stat(full.data, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk_match(ws, rel.data, pat, out);
		else if (S_ISREG(st.st_mode) && seg_match(pat, rel.data))
			strv_push(out, rel.data);
	}
	closedir(d);
	buf_release(&full);
	buf_release(&rel);
}

static int by_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Replace code entries that are patterns by the files they match, sorted
 * ('*' stays within a folder, a "**" segment spans any number of folders;
 * hidden files and folders are skipped).  A pattern matching nothing is an
 * error.
 */
static int expand_globs(struct ictx *c, struct graph_inst *in)
{
	struct graph_path *out = NULL;
	size_t n = 0, i, j;
	int rc = 0;

	for (i = 0; i < in->ncode && !rc; i++) {
		struct graph_path *p = &in->code[i];
		struct strv m = { NULL, 0, 0 };
		char *prefix, *slash;

		if (!has_glob(p->path)) {
			*push_path(c, &out, &n) = *p;
			continue;
		}
		/* Walk only below the pattern's fixed leading folders. */
		prefix = xstrndup(p->path, strcspn(p->path, "*?["));
		slash = strrchr(prefix, '/');
		if (slash)
			*slash = '\0';
		walk_match(c->l->g->workspace, slash ? prefix : ".", p->path,
			   &m);
		free(prefix);
		if (!m.n) {
			rc = gerr_at(c->l, p->line, p->col,
				     "code pattern '%s' of '%s' matches no file",
				     p->path, in->name);
		}
		if (m.n)
			qsort(m.v, m.n, sizeof(char *), by_strp);
		for (j = 0; j < m.n; j++) {
			struct graph_path *q = push_path(c, &out, &n);
			*q = *p;
			q->path = arena_strndup(c->l->g->mem, m.v[j],
						strlen(m.v[j]));
			q->from_out = NULL;
		}
		strv_release(&m);
	}
	for (; i < in->ncode; i++)
		*push_path(c, &out, &n) = in->code[i];
	in->code = out;
	in->ncode = n;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A kind's input is one path, unless the kind takes many there: a
 * reference to a matrix stage names one per instance. */
static int kind_paths(struct ictx *c, const struct graph_inst *in)
{
	const struct kind_port *p;
	size_t i, first = 0, n;

	for (p = in->stage->kdesc->inputs; p && p->name; p++) {
		for (n = i = 0; i < in->ndeps; i++)
			if (!strcmp(in->deps[i].name, p->name) && !n++)
				first = i;
		if (n > 1 && !p->many)
			return gerr_at(c->l, in->deps[first].line,
				       in->deps[first].col,
				       "kind '%s' reads one path as input "
				       "'%s', but '%s' gives it %zu",
				       in->stage->kdesc->name, p->name,
				       in->name, n);
	}
	return 0;
}

/*
 * A kind instance's settings as JSON, defaults filled in; ${...} in a
 * setting is interpolated here, per instance (a matrix can sweep a
 * setting), and the text checked against the setting's type and range.
 */
static int kind_settings(struct ictx *c, struct graph_inst *in)
{
	const struct stage_kind *k = in->stage->kdesc;
	const struct toml_value *with = in->stage->with;
	const struct kind_setting *s;
	struct buf j = BUF_INIT, t = BUF_INIT;
	int rc = 0;

	buf_addc(&j, '{');
	for (s = k->settings; s && s->name && !rc; s++) {
		const struct toml_value *v = with ? toml_get(with, s->name) : NULL;

		if (s != k->settings)
			buf_adds(&j, ", ");
		json_string(&j, s->name, strlen(s->name));
		buf_adds(&j, ": ");
		if (!v || v->type != TOML_STRING) {
			kind_value_json(s, v, &j);
			continue;
		}
		if ((rc = expand(c, v, 0, &t, NULL)) < 0)
			break;
		if (s->type == KIND_STRING) {
			const char *const *ch;
			struct buf why = BUF_INIT;
			for (ch = s->choices; ch && *ch && strcmp(*ch, t.data); ch++)
				;
			if (ch && !*ch) {
				rc = gerr(c->l, v, "setting '%s' of kind '%s' is "
						   "'%s' here: not one of its "
						   "choices",
					  s->name, k->name, t.data);
				break;
			}
			if (s->valid && s->valid(t.data, &why) < 0) {
				rc = gerr(c->l, v, "setting '%s' of kind '%s' is "
						   "'%s' here: %s",
					  s->name, k->name, t.data, why.data);
				buf_release(&why);
				break;
			}
			buf_release(&why);
			json_string(&j, t.data, t.len);
		} else {
			char *end;
			double x = strtod(t.data, &end);
			int ok = t.len && !*end;

			if (s->type == KIND_BOOL)
				ok = !strcmp(t.data, "true") ||
				     !strcmp(t.data, "false");
			else if (s->type == KIND_INT)
				ok = ok && x == (double)(long long)x;
			else if (s->type == KIND_RANGE)
				ok = 0;
			if (!ok || (s->type != KIND_BOOL &&
				    (x < s->min || x > s->max))) {
				rc = gerr(c->l, v, "setting '%s' of kind '%s' is "
						   "'%s' here: not %s in [%.15g, %.15g]",
					  s->name, k->name, t.data,
					  s->type == KIND_INT ? "an integer"
							      : "a number",
					  s->min, s->max);
				break;
			}
			buf_adds(&j, t.data);
		}
	}
	buf_addc(&j, '}');
	if (!rc)
		in->settings = arena_strndup(c->l->g->mem, j.data, j.len);
	buf_release(&j);
	buf_release(&t);
	return rc;
}

/* The params met so far become c->in's; the list starts again. */
static void keep_params(struct ictx *c)
{
	struct graph_inst *in = c->in;

	in->nparams = c->params.n;
	in->params = NULL;
	if (in->nparams) {
		in->params = arena_alloc(c->l->g->mem,
					 in->nparams * sizeof(char *));
		memcpy(in->params, c->params.v, in->nparams * sizeof(char *));
	}
	c->params.n = 0;
}

/* Phase 2 for one instance: deps, code, wdir, metrics, cmd. */
static int rest(struct ictx *c)
{
	struct graph_inst *in = c->in;
	struct arena *A = c->l->g->mem;
	const struct graph_stage *st = in->stage;
	const struct toml_value *v;
	struct buf out = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < in->nparams; i++)
		refv_push(&c->params, in->params[i]);
	c->phase = PHASE_DEPS;
	if ((v = stage_get(st, SK_DEPS)) &&
	    (rc = paths(c, v, &in->deps, &in->ndeps, "deps")) < 0)
		goto out;
	c->phase = PHASE_REST;
	if ((v = stage_get(st, SK_CODE)) &&
	    ((rc = paths(c, v, &in->code, &in->ncode, "code")) < 0 ||
	     (rc = expand_globs(c, in)) < 0))
		goto out;
	in->wdir = (char *)c->empty;
	if ((v = stage_get(st, SK_WDIR))) {
		if ((rc = expand(c, v, 0, &out, NULL)) < 0)
			goto out;
		if (path_normalise(out.data, &c->norm) < 0) {
			rc = gerr(c->l, v, "wdir '%s' is outside the workspace",
				  out.data);
			goto out;
		}
		in->wdir = arena_strndup(A, c->norm.data, c->norm.len);
	}
	if ((v = stage_get(st, SK_METRICS))) {
		in->metrics = arena_alloc(A, (v->u.array.len + 1) *
						     sizeof(char *));
		for (i = 0; i < v->u.array.len; i++) {
			const struct toml_value *m = v->u.array.items[i];

			if ((rc = expand(c, m, 0, &out, NULL)) < 0)
				goto out;
			if (path_normalise(out.data, &c->norm) < 0) {
				rc = gerr(c->l, m, "metrics file '%s' is outside "
						   "the workspace",
					  out.data);
				goto out;
			}
			in->metrics[in->nmetrics++] =
				arena_strndup(A, c->norm.data, c->norm.len);
		}
	}
	if (in->stage->kdesc && ((rc = kind_settings(c, in)) < 0 ||
				 (rc = kind_paths(c, in)) < 0))
		goto out;
	if ((v = stage_get(st, SK_CMD))) {
		size_t before = in->ndeps;

		if ((rc = expand(c, v, 1, &out, NULL)) < 0)
			goto out;
		in->cmd = arena_strndup(A, out.data, out.len);
		/* Stage outputs named in the command are inputs too. */
		for (i = 0; i < c->nrefs; i++) {
			struct graph_path *p;
			size_t j;
			int dup = 0;

			for (j = 0; j < before; j++)
				dup |= in->deps[j].from == c->refs[i] &&
				       !strcmp(in->deps[j].from_out,
					       c->refouts[i]);
			if (!dup) {
				size_t o;
				for (o = 0; o < c->refs[i]->nouts; o++)
					if (!strcmp(c->refs[i]->outs[o].name,
						    c->refouts[i]))
						break;
				add_path(c, &in->deps, &in->ndeps, "",
					 c->refs[i]->outs[o].path, v, 0);
				p = &in->deps[in->ndeps - 1];
				p->from = c->refs[i];
				p->from_out = c->refouts[i];
			}
		}
		c->nrefs = 0;
	}
	/* Declared params count too, then sort: the key must not depend on
	 * the order they were met in. */
	if ((v = stage_get(st, SK_PARAMS)))
		for (i = 0; i < v->u.array.len; i++)
			add_param(c, v->u.array.items[i]->u.string.ptr);
	keep_params(c);
	if (in->nparams)
		qsort(in->params, in->nparams, sizeof(char *), cmp_str);
out:
	buf_release(&out);
	return rc;
}

int graph_expand(struct loader *l)
{
	struct ictx c;
	struct buf out = BUF_INIT;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < l->g->nstages; i++)
		if (expand_matrix(l, &l->g->stages[i]) < 0)
			return -1;
	memset(&c, 0, sizeof(c));
	c.l = l;
	buf_init(&c.norm);
	c.empty = arena_strndup(l->g->mem, "", 0);
	c.ptexts = xcalloc(l->g->nparams + 1, sizeof(*c.ptexts));
	/* Outputs first: every stage's, so that others can name them. */
	for (i = 0; i < l->g->ninsts && !rc; i++) {
		const struct toml_value *o =
			stage_get(l->g->insts[i].stage, SK_OUTS);
		c.in = &l->g->insts[i];
		c.phase = PHASE_OUTS;
		for (j = 0; o && j < o->u.table.len && !rc; j++) {
			const struct toml_value *v = o->u.table.kv[j].value;
			if ((rc = expand(&c, v, 0, &out, NULL)) < 0)
				break;
			if (out.data[0] == '/') {
				rc = gerr(l, v, "output '%s' is an absolute "
						"path; outputs must be inside "
						"the workspace",
					  out.data);
				break;
			}
			rc = add_path(&c, &c.in->outs, &c.in->nouts,
				      o->u.table.kv[j].key, out.data, v, 1);
			if (!rc)
				c.in->outs[c.in->nouts - 1].hash = output_hash(
					c.in->stage, o->u.table.kv[j].key,
					out.data);
		}
		/* The params its outputs use are the instance's own: kept
		 * until rest() adds the others. */
		keep_params(&c);
	}
	for (i = 0; i < l->g->ninsts && !rc; i++) {
		c.in = &l->g->insts[i];
		rc = rest(&c);
	}
	refv_release(&c.params);
	refv_release(&c.vals);
	free(c.ptexts);
	free(c.refs);
	free(c.refouts);
	buf_release(&c.norm);
	buf_release(&out);
	return rc;
}
