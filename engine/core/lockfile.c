#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "graph.h"
#include "interp.h"
#include "json.h"
#include "key.h"
#include "lockfile.h"
#include "store.h"
#include "toml.h"
#include "util.h"

char *lock_path_for(const char *file)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(file);

	if (n > 5 && !strcmp(file + n - 5, ".toml"))
		n -= 5;
	buf_add(&b, file, n);
	buf_adds(&b, ".lock");
	return buf_detach(&b, NULL);
}

struct pair {
	const char *path;
	const char *hex;	/* DIGEST_HEX characters, not terminated */
};

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->path,
		      ((const struct pair *)b)->path);
}

/* One instance: a fresh entry of this run, or a table of the old file. */
struct section {
	const char *name;
	const struct lock_entry *e;
	const struct toml_value *old;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct section *)a)->name,
		      ((const struct section *)b)->name);
}

static void quoted(struct buf *t, const char *s)
{
	json_string(t, s, strlen(s));
}

/* "\n[stage."INST".SUB]\n" then '"path" = "hex"' lines, sorted by path. */
static void table(struct buf *t, const char *inst, const char *sub,
		  struct pair *p, size_t n)
{
	size_t i;

	if (n > 1)
		qsort(p, n, sizeof(*p), by_path);
	buf_adds(t, "\n[stage.");
	quoted(t, inst);
	buf_addc(t, '.');
	buf_adds(t, sub);
	buf_adds(t, "]\n");
	for (i = 0; i < n; i++) {
		if (i && !strcmp(p[i].path, p[i - 1].path))
			continue;
		quoted(t, p[i].path);
		buf_adds(t, " = \"");
		buf_add(t, p[i].hex, DIGEST_HEX);
		buf_adds(t, "\"\n");
	}
}

/* A string as a TOML basic string: JSON's escapes, and DEL's. */
static void toml_str(struct buf *t, const char *s, size_t n)
{
	struct buf j = BUF_INIT;
	size_t i;

	json_string(&j, s, n);
	for (i = 0; i < j.len; i++)
		if (j.data[i] == 0x7f)
			buf_adds(t, "\\u007f");
		else
			buf_addc(t, j.data[i]);
	buf_release(&j);
}

/* A key: bare when it may be, else quoted. */
static void toml_key(struct buf *t, const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_' || k[i] == '-'))
			break;
	if (n && i == n)
		buf_add(t, k, n);
	else
		toml_str(t, k, n);
}

/* A value on one line, as TOML reads it back to the same value. */
static void toml_text(struct buf *t, const struct toml_value *v)
{
	size_t i, mark;

	switch (v->type) {
	case TOML_STRING:
		toml_str(t, v->u.string.ptr, v->u.string.len);
		break;
	case TOML_INTEGER:
		buf_addf(t, "%lld", (long long)v->u.integer);
		break;
	case TOML_FLOAT:
		mark = t->len;
		json_float(t, v->u.real);
		if (!memchr(t->data + mark, '.', t->len - mark) &&
		    !memchr(t->data + mark, 'e', t->len - mark) &&
		    !memchr(t->data + mark, 'n', t->len - mark))
			buf_adds(t, ".0");
		break;
	case TOML_BOOL:
		buf_adds(t, v->u.boolean ? "true" : "false");
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		buf_adds(t, v->u.datetime->text);
		break;
	case TOML_ARRAY:
		buf_addc(t, '[');
		for (i = 0; i < v->u.array.len; i++) {
			if (i)
				buf_adds(t, ", ");
			toml_text(t, v->u.array.items[i]);
		}
		buf_addc(t, ']');
		break;
	case TOML_TABLE:
		buf_addc(t, '{');
		for (i = 0; i < v->u.table.len; i++) {
			buf_adds(t, i ? ", " : " ");
			toml_key(t, v->u.table.kv[i].key, v->u.table.kv[i].keylen);
			buf_adds(t, " = ");
			toml_text(t, v->u.table.kv[i].value);
		}
		buf_adds(t, v->u.table.len ? " }" : "}");
		break;
	}
}

static void head(struct buf *t, const char *inst, const char *key)
{
	buf_adds(t, "\n[stage.");
	quoted(t, inst);
	buf_adds(t, "]\nkey = \"");
	buf_add(t, key, DIGEST_HEX);
	buf_adds(t, "\"\n");
}

/* "\n[stage."INST".params]\n" and 'name = value' lines, by name. */
static void params(struct buf *t, const char *inst, const char *const *name,
		   const struct toml_value *const *value, size_t n)
{
	size_t i;

	if (!n)
		return;
	buf_adds(t, "\n[stage.");
	quoted(t, inst);
	buf_adds(t, ".params]\n");
	for (i = 0; i < n; i++) {
		toml_key(t, name[i], strlen(name[i]));
		buf_adds(t, " = ");
		toml_text(t, value[i]);
		buf_addc(t, '\n');
	}
}

/* The params in uses (sorted in the instance already), with g's values. */
static void render_params(struct buf *t, const struct graph *g,
			  const struct graph_inst *in)
{
	const char **name = xcalloc(in->nparams + 1, sizeof(*name));
	const struct toml_value **value = xcalloc(in->nparams + 1,
						  sizeof(*value));
	size_t i, j, n = 0;

	for (i = 0; i < in->nparams; i++) {
		for (j = 0; j < g->nparams; j++)
			if (!strcmp(g->params[j].name, in->params[i]))
				break;
		if (j == g->nparams)
			continue;
		name[n] = in->params[i];
		value[n++] = g->params[j].value;
	}
	params(t, in->name, name, value, n);
	free(name);
	free(value);
}

/* A fresh entry; its outputs' digests are added to ids. */
static void render_new(struct buf *t, const struct graph *g,
		       const struct lock_entry *e, struct digest *ids,
		       size_t *nids)
{
	const struct graph_inst *in = e->inst;
	size_t n = in->ndeps > in->nouts ? in->ndeps : in->nouts, i;
	struct pair *p;
	char *hex;

	if (in->ncode > n)
		n = in->ncode;
	p = xcalloc(n + 1, sizeof(*p));
	hex = xmalloc((n + 1) * (DIGEST_HEX + 1));
	digest_hex(&e->key, hex);
	head(t, in->name, hex);
	render_params(t, g, in);
	for (i = 0; i < in->ncode && e->code; i++) {
		p[i].path = in->code[i].path;
		p[i].hex = hex + i * (DIGEST_HEX + 1);
		digest_hex(&e->code[i], hex + i * (DIGEST_HEX + 1));
	}
	if (in->ncode && e->code)
		table(t, in->name, "code", p, in->ncode);
	for (i = 0; i < in->ndeps; i++) {
		p[i].path = in->deps[i].path;
		p[i].hex = hex + i * (DIGEST_HEX + 1);
		digest_hex(&e->deps[i], hex + i * (DIGEST_HEX + 1));
	}
	table(t, in->name, "inputs", p, in->ndeps);
	for (i = 0; i < in->nouts; i++) {
		p[i].path = in->outs[i].path;
		p[i].hex = hex + i * (DIGEST_HEX + 1);
		digest_hex(&e->outs[i], hex + i * (DIGEST_HEX + 1));
		ids[(*nids)++] = e->outs[i];
	}
	table(t, in->name, "outputs", p, in->nouts);
	free(p);
	free(hex);
}

/* A valid digest string of the old file. */
static int old_digest(const struct toml_value *v, struct digest *d)
{
	return v && v->type == TOML_STRING && v->u.string.len == DIGEST_HEX &&
			       digest_parse(v->u.string.ptr, d) == 0
		       ? 0
		       : -1;
}

/* An old entry's params and code tables, as render_new writes them; -1
 * when they are damaged. */
static int render_old_extra(struct buf *t, const char *name,
			    const struct toml_value *v)
{
	const struct toml_value *pt = toml_get(v, "params");
	const struct toml_value *ct = toml_get(v, "code");
	struct digest d;
	struct pair *p;
	size_t i, n;

	if ((pt && pt->type != TOML_TABLE) || (ct && ct->type != TOML_TABLE))
		return -1;
	if (pt) {
		const char **k = xcalloc(pt->u.table.len + 1, sizeof(*k));
		const struct toml_value **x = xcalloc(pt->u.table.len + 1,
						      sizeof(*x));
		size_t *ord = xcalloc(pt->u.table.len + 1, sizeof(*ord));

		/* By name, as render_params writes them. */
		for (i = 0; i < pt->u.table.len; i++) {
			size_t j = i;
			while (j && strcmp(pt->u.table.kv[ord[j - 1]].key,
					   pt->u.table.kv[i].key) > 0) {
				ord[j] = ord[j - 1];
				j--;
			}
			ord[j] = i;
		}
		for (i = 0; i < pt->u.table.len; i++) {
			k[i] = pt->u.table.kv[ord[i]].key;
			x[i] = pt->u.table.kv[ord[i]].value;
		}
		params(t, name, k, x, pt->u.table.len);
		free(k);
		free(x);
		free(ord);
	}
	n = ct ? ct->u.table.len : 0;
	if (!n)
		return 0;
	p = xcalloc(n + 1, sizeof(*p));
	for (i = 0; i < n; i++) {
		const struct toml_value *x = ct->u.table.kv[i].value;
		if (old_digest(x, &d) < 0) {
			free(p);
			return -1;
		}
		p[i].path = ct->u.table.kv[i].key;
		p[i].hex = x->u.string.ptr;
	}
	table(t, name, "code", p, n);
	free(p);
	return 0;
}

/* An entry of the old file, re-serialised; -1 (nothing added) when it is
 * damaged.  Its outputs' digests are added to ids (sized for them). */
static int render_old(struct buf *t, const char *name,
		      const struct toml_value *v, struct digest *ids,
		      size_t *nids)
{
	const struct toml_value *tab[2];
	struct pair *p[2];
	struct buf extra = BUF_INIT;
	struct digest d;
	size_t n[2], i, mark = t->len;
	int k, rc = 0;

	if (old_digest(toml_get(v, "key"), &d) < 0)
		return -1;
	for (k = 0; k < 2; k++) {
		tab[k] = toml_get(v, k ? "outputs" : "inputs");
		n[k] = tab[k] && tab[k]->type == TOML_TABLE ? tab[k]->u.table.len
							    : 0;
		p[k] = xcalloc(n[k] + 1, sizeof(*p[k]));
		for (i = 0; i < n[k]; i++) {
			const struct toml_value *x = tab[k]->u.table.kv[i].value;
			if (old_digest(x, &d) < 0)
				rc = -1;
			p[k][i].path = tab[k]->u.table.kv[i].key;
			p[k][i].hex = x->type == TOML_STRING ? x->u.string.ptr
							     : NULL;
		}
	}
	if (rc == 0)
		rc = render_old_extra(&extra, name, v);
	if (rc == 0) {
		head(t, name, toml_get(v, "key")->u.string.ptr);
		buf_add(t, extra.data, extra.len);
		table(t, name, "inputs", p[0], n[0]);
		table(t, name, "outputs", p[1], n[1]);
		for (i = 0; i < n[1]; i++)
			old_digest(tab[1]->u.table.kv[i].value,
				   &ids[(*nids)++]);
	} else {
		buf_truncate(t, mark);
	}
	free(p[0]);
	free(p[1]);
	buf_release(&extra);
	return rc;
}

/*
 * Outputs the store does not hold are left out (a lock made with another
 * store, or outputs up to date in the workspace that were never stored
 * here): there is nothing of theirs to keep.
 */
int lock_set_root(const char *path, struct store *s,
		  const struct lock_text *lt, struct err *err)
{
	const struct digest *ids = lt->outs;
	size_t n = lt->nouts;
	char real[PATH_MAX];
	struct buf name = BUF_INIT, dir = BUF_INIT;
	struct store_writer *w = NULL;
	struct store_object o;
	struct digest *keep = xcalloc(n + 1, sizeof(*keep));
	const char *base = strrchr(path, '/');
	struct err why;
	size_t i, k = 0;
	int rc = -1, src;

	/* A first run's lock file does not exist yet: its folder's real
	 * path, then its name. */
	buf_adds(&name, "lock:");
	if (realpath(path, real)) {
		buf_adds(&name, real);
	} else {
		if (base)
			buf_add(&dir, path, base == path ? 1 : (size_t)(base - path));
		else
			buf_adds(&dir, ".");
		if (!realpath(dir.data, real)) {
			err_errno(err, "cannot set the gc root of lock file "
				       "'%s': cannot resolve '%s'",
				  path, dir.data);
			goto out;
		}
		buf_adds(&name, real);
		if (strcmp(real, "/"))
			buf_addc(&name, '/');
		buf_adds(&name, base ? base + 1 : path);
	}
	if (name.len > 400) {
		/* Root names are LMDB keys: a long path goes by its digest. */
		struct digest d;
		char hex[DIGEST_HEX + 1];
		sha256(name.data + 5, name.len - 5, &d);
		digest_hex(&d, hex);
		buf_truncate(&name, 0);
		buf_addf(&name, "lock-sha256:%s", hex);
	}
	for (i = 0; i < n; i++) {
		if (i % 1024 == 1023)
			store_drop_pages(s);	/* a walk all over the store */
		src = store_lookup(s, &ids[i], &o);
		if (src == 0)
			keep[k++] = ids[i];
		else if (src != STORE_NOTFOUND) {
			err_set(err, "cannot set the gc root of lock file '%s': "
				     "%s",
				path, store_strerror(src));
			goto out;
		}
	}
	if (store_writer_new(s, &w, &why) ||
	    store_set_root(w, name.data, keep, k, &why)) {
		if (w)
			store_writer_abort(w);
		err_set(err, "cannot set the gc root of lock file '%s': %s", path,
			why.msg);
		goto out;
	}
	if (store_writer_commit(w, &why)) {
		err_set(err, "cannot set the gc root of lock file '%s': %s", path,
			why.msg);
		goto out;
	}
	rc = 0;
out:
	free(keep);
	buf_release(&name);
	buf_release(&dir);
	return rc;
}

void lock_render(const char *path, const struct graph *g,
		 const struct lock_entry *e, size_t n, const char *drop,
		 struct lock_text *lt)
{
	struct section *sec = xcalloc(n + g->ninsts + 1, sizeof(*sec));
	struct toml_doc *old = NULL;
	struct err ignore;
	struct buf *out = &lt->text;
	size_t nsec = 0, nids = 0, i;
	char *fresh;

	buf_init(out);
	fresh = xcalloc(g->ninsts + 1, 1);
	for (i = 0; i < n; i++) {
		sec[nsec].name = e[i].inst->name;
		sec[nsec++].e = &e[i];
		fresh[e[i].inst->index] = 1;
		nids += e[i].inst->nouts;
	}
	/* Entries of the old file matter only for instances this run did
	 * not settle. */
	if (n < g->ninsts && access(path, F_OK) == 0 &&
	    toml_parse_file(path, &old, &ignore) == 0) {
		const struct toml_value *root = toml_get(toml_root(old), "stage");
		for (i = 0; root && root->type == TOML_TABLE &&
			    i < root->u.table.len;
		     i++) {
			const struct toml_kv *kv = &root->u.table.kv[i];
			const struct graph_inst *in = graph_find(g, kv->key);

			if (kv->value->type != TOML_TABLE || !in ||
			    fresh[in->index] || (drop && drop[in->index]))
				continue;
			sec[nsec].name = kv->key;
			sec[nsec++].old = kv->value;
			{
				const struct toml_value *o =
					toml_get(kv->value, "outputs");
				if (o && o->type == TOML_TABLE)
					nids += o->u.table.len;
			}
		}
	}
	if (nsec > 1)
		qsort(sec, nsec, sizeof(*sec), by_name);
	lt->outs = xcalloc(nids + 1, sizeof(*lt->outs));
	lt->nouts = 0;
	buf_reserve(out, 256 + nsec * 320);
	buf_adds(out, "# cairn lock file, written by 'cairn run': what each "
		      "stage instance was\n# made from (params, code, inputs) "
		      "and made (outputs), by content digest.\n# Do not "
		      "edit.\n");
	buf_adds(out, "version = 2\ngraph = ");
	quoted(out, g->name);
	buf_addc(out, '\n');
	for (i = 0; i < nsec; i++)
		if (sec[i].e)
			render_new(out, g, sec[i].e, lt->outs, &lt->nouts);
		else
			render_old(out, sec[i].name, sec[i].old, lt->outs,
				   &lt->nouts);
	free(sec);
	free(fresh);
	toml_doc_free(old);
}

int lock_unchanged(const char *path, const struct lock_text *lt)
{
	const struct buf *b = &lt->text;
	char chunk[65536];
	size_t got, at = 0;
	int same = 1;
	FILE *f = fopen(path, "rbe");

	if (!f)
		return 0;
	while (same && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		same = at + got <= b->len && !memcmp(chunk, b->data + at, got);
		at += got;
	}
	fclose(f);
	return same && at == b->len;
}

int lock_write(const char *path, const struct lock_text *lt, struct err *err)
{
	struct buf tmp = BUF_INIT;
	FILE *f;
	int rc = -1;

	buf_addf(&tmp, "%s.cairn-tmp-%ld", path, (long)getpid());
	f = fopen(tmp.data, "we");
	if (f) {
		int bad = fwrite(lt->text.data, 1, lt->text.len, f) !=
			  lt->text.len;
		bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
		if (fclose(f) || bad)
			f = NULL;
	}
	if (!f) {
		err_errno(err, "cannot write '%s'", tmp.data);
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, path) < 0) {
		err_errno(err, "cannot rename '%s' to '%s'", tmp.data, path);
		unlink(tmp.data);
		goto out;
	}
	rc = 0;
out:
	buf_release(&tmp);
	return rc;
}

struct same {
	const struct lock_known *lk;
	int same;
};

static int same_outputs(const struct store_run *r, void *ctx)
{
	struct same *x = ctx;
	size_t k, m;

	x->same = r->noutputs == x->lk->nouts;
	for (k = 0; k < x->lk->nouts && x->same; k++) {
		for (m = 0; m < r->noutputs; m++)
			if (digest_eq(&r->outputs[m], &x->lk->out_id[k]))
				break;
		x->same = m < r->noutputs;
	}
	return 0;
}

int lock_entry_run(struct store *s, const struct lock_known *lk,
		      struct digest *run, struct err *err)
{
	struct digest *runs = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = store_action_runs(s, &lk->key, &runs, &n, err)))
		return rc;
	for (i = 0, rc = 0; i < n && !rc; i++) {
		struct same x = { lk, 0 };

		if (store_get_run(s, &runs[i], same_outputs, &x, err) == 0 &&
		    x.same) {
			*run = runs[i];
			rc = 1;
		}
	}
	free(runs);
	return rc;
}

static void said(struct buf *out, int *n, const char *what,
		 const char *name, const char *how)
{
	buf_adds(out, out->len ? ", " : "");
	buf_addf(out, "%s '%s' %s", what, name, how);
	(*n)++;
}

/* The "code P" or "input P" components of enc against lock table t. */
static void digests(struct buf *out, int *n, const char *what,
		    const struct strv *l, const struct strv *v,
		    const struct toml_value *t)
{
	size_t w = strlen(what), i;

	for (i = 0; i < l->n; i++) {
		const struct toml_value *x;
		if (strncmp(l->v[i], what, w) || l->v[i][w] != ' ')
			continue;
		x = toml_get(t, l->v[i] + w + 1);
		if (!x)
			said(out, n, what, l->v[i] + w + 1, "added");
		else if (x->type != TOML_STRING || strcmp(x->u.string.ptr, v->v[i]))
			said(out, n, what, l->v[i] + w + 1, "changed");
	}
	for (i = 0; t && t->type == TOML_TABLE && i < t->u.table.len; i++) {
		struct buf lab = BUF_INIT;
		size_t k;

		buf_addf(&lab, "%s %s", what, t->u.table.kv[i].key);
		for (k = 0; k < l->n && strcmp(l->v[k], lab.data); k++)
			;
		if (k == l->n)
			said(out, n, what, t->u.table.kv[i].key, "removed");
		buf_release(&lab);
	}
}

int lock_entry_changes(const struct toml_value *entry, int version,
		       const struct graph *g, const struct graph_inst *in,
		       const char *enc, size_t len, struct buf *out)
{
	const struct toml_value *pt = toml_get(entry, "params");
	struct strv l = { 0 }, v = { 0 };
	struct buf words = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	size_t i, j;
	int n = 0;

	if (!in)
		return 0;
	for (i = 0; version >= 2 && i < in->nparams; i++) {
		const struct toml_value *was = toml_get(pt, in->params[i]);
		for (j = 0; j < g->nparams; j++)
			if (!strcmp(g->params[j].name, in->params[i]))
				break;
		if (j == g->nparams)
			continue;
		buf_truncate(&b, 0);
		toml_text(&b, g->params[j].value);
		if (!was) {
			said(&words, &n, "param", in->params[i], "added");
			continue;
		}
		buf_truncate(&a, 0);
		toml_text(&a, was);
		if (strcmp(a.data, b.data)) {
			buf_adds(&words, words.len ? ", " : "");
			buf_addf(&words, "param '%s' %s -> %s", in->params[i],
				 a.data, b.data);
			n++;
		}
	}
	for (i = 0; version >= 2 && pt && pt->type == TOML_TABLE &&
		    i < pt->u.table.len;
	     i++) {
		for (j = 0; j < in->nparams; j++)
			if (!strcmp(in->params[j], pt->u.table.kv[i].key))
				break;
		if (j == in->nparams)
			said(&words, &n, "param", pt->u.table.kv[i].key,
			     "removed");
	}
	if (key_components(enc, len, &l, &v) == 0) {
		if (version >= 2)
			digests(&words, &n, "code", &l, &v,
				toml_get(entry, "code"));
		digests(&words, &n, "input", &l, &v, toml_get(entry, "inputs"));
	}
	buf_add(out, words.data, words.len);
	strv_release(&l);
	strv_release(&v);
	buf_release(&words);
	buf_release(&a);
	buf_release(&b);
	return n;
}

void lock_text_release(struct lock_text *lt)
{
	buf_release(&lt->text);
	free(lt->outs);
	lt->outs = NULL;
	lt->nouts = 0;
}

int lock_read(const char *path, struct toml_doc **doc,
	      const struct toml_value **stages, struct err *err)
{
	int rc = toml_parse_file(path, doc, err);

	*stages = NULL;
	if (rc)
		return rc;
	*stages = toml_get(toml_root(*doc), "stage");
	if (*stages && (*stages)->type != TOML_TABLE) {
		err_set(err, "%s: 'stage' is not a table: not a cairn lock "
			     "file",
			path);
		toml_doc_free(*doc);
		*doc = NULL;
		*stages = NULL;
		return -1;
	}
	return 0;
}

static int by_known(const void *a, const void *b)
{
	return strcmp(((const struct lock_known *)a)->name,
		      ((const struct lock_known *)b)->name);
}

/* A "..." string at *p without escapes: cut in place; its start or NULL. */
static char *plain_string(char **p)
{
	char *s = *p, *e;

	if (*s != '"' || !(e = strchr(s + 1, '"')) || memchr(s + 1, '\\',
							   (size_t)(e - s - 1)))
		return NULL;
	*e = '\0';
	*p = e + 1;
	return s + 1;
}

/* Room for one more output in x's pools. */
static void pool_grow(struct lock_index *x, size_t *cap)
{
	if (x->npool < *cap)
		return;
	*cap = *cap ? 2 * *cap : 1024;
	x->paths = xrealloc(x->paths, *cap * sizeof(*x->paths));
	x->ids = xrealloc(x->ids, *cap * sizeof(*x->ids));
}

/* Each entry's outputs, once the pools hold them all: an entry's are
 * contiguous, in entry order. */
static void pool_point(struct lock_index *x)
{
	size_t i, at = 0;

	for (i = 0; i < x->n && x->npool; i++) {
		x->e[i].out_path = x->paths + at;
		x->e[i].out_id = x->ids + at;
		at += x->e[i].nouts;
	}
}

/*
 * The form lock_write writes; -1 at anything else.  Every entry's
 * outputs go into two pools (x->paths, x->ids) rather than two arrays of
 * its own: at 100,000 entries that is 200,000 allocations fewer.
 */
static int scan_lock(struct lock_index *x)
{
	char *p = x->text, *line;
	struct lock_known *cur = NULL;
	size_t cap = 0, pcap = 0;
	int in_outs = 0, in_params = 0, has_key = 0;

	while (*p) {
		line = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
		else
			p = line + strlen(line);
		if (!*line || *line == '#' || !strncmp(line, "version = ", 10) ||
		    !strncmp(line, "graph = ", 8))
			continue;
		if (!strncmp(line, "[stage.", 7)) {
			char *q = line + 7, *name = plain_string(&q);
			if (!name)
				return -1;
			if (!strcmp(q, "]")) {
				if (cur && !has_key)
					return -1;	/* an entry without a key */
				has_key = 0;
				xgrow((void **)&x->e, &cap, x->n + 1,
				      sizeof(*x->e));
				cur = &x->e[x->n++];
				memset(cur, 0, sizeof(*cur));
				cur->name = name;
				in_outs = in_params = 0;
			} else if (cur && !strcmp(name, cur->name) &&
				   (!strcmp(q, ".inputs]") ||
				    !strcmp(q, ".outputs]") ||
				    !strcmp(q, ".code]") ||
				    !strcmp(q, ".params]"))) {
				in_outs = q[1] == 'o';
				in_params = q[1] == 'p';
			} else {
				return -1;
			}
			continue;
		}
		if (!cur)
			return -1;
		if (in_params)
			continue;	/* values of any type: not needed here */
		if (!strncmp(line, "key = ", 6)) {
			char *q = line + 6, *hex = plain_string(&q);
			if (!hex || *q || digest_parse(hex, &cur->key) < 0)
				return -1;
			has_key = 1;
			continue;
		}
		{
			char *q = line, *path = plain_string(&q), *hex;
			if (!path || strncmp(q, " = ", 3))
				return -1;
			q += 3;
			hex = plain_string(&q);
			if (!hex || *q || strlen(hex) != DIGEST_HEX)
				return -1;
			if (!in_outs)
				continue;
			pool_grow(x, &pcap);
			if (digest_parse(hex, &x->ids[x->npool]) < 0)
				return -1;
			x->paths[x->npool++] = path;
			cur->nouts++;
		}
	}
	if (cur && !has_key)
		return -1;
	pool_point(x);
	return 0;
}

/* The same from the TOML parser, for a lock edited by hand. */
static int from_toml(struct lock_index *x, const char *path)
{
	const struct toml_value *stages;
	struct err ignore;
	size_t i, k, pcap = 0;

	if (lock_read(path, &x->doc, &stages, &ignore) || !stages)
		return -1;
	x->e = xcalloc(stages->u.table.len + 1, sizeof(*x->e));
	for (i = 0; i < stages->u.table.len; i++) {
		const struct toml_value *v = stages->u.table.kv[i].value;
		const struct toml_value *key = toml_get(v, "key");
		const struct toml_value *outs = toml_get(v, "outputs");
		struct lock_known *e = &x->e[x->n];

		if (v->type != TOML_TABLE || !key || key->type != TOML_STRING ||
		    digest_parse(key->u.string.ptr, &e->key) < 0)
			continue;
		e->name = stages->u.table.kv[i].key;
		for (k = 0; outs && outs->type == TOML_TABLE &&
			    k < outs->u.table.len;
		     k++) {
			const struct toml_value *h = outs->u.table.kv[k].value;
			pool_grow(x, &pcap);
			if (h->type != TOML_STRING ||
			    digest_parse(h->u.string.ptr, &x->ids[x->npool]) < 0)
				continue;
			x->paths[x->npool++] = outs->u.table.kv[k].key;
			e->nouts++;
		}
		x->n++;
	}
	pool_point(x);
	return 0;
}

/*
 * The file in one allocation of its size (a 10,000-entry lock is 3 MB:
 * a buffer grown to it would copy it and fault its pages twice).  0, or
 * -1 with errno.
 */
static int read_whole(const char *path, char **text)
{
	struct stat st;
	size_t got = 0, cap;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	*text = NULL;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* A byte more than stat says: a file of that size is read to its
	 * end as it is; one that grew meanwhile grows the buffer. */
	cap = (size_t)st.st_size + 2;
	*text = xmalloc(cap);
	for (;;) {
		if (got + 1 == cap) {
			cap *= 2;
			*text = xrealloc(*text, cap);
		}
		n = read(fd, *text + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	e = errno;
	close(fd);
	if (n < 0) {
		free(*text);
		*text = NULL;
		errno = e;
		return -1;
	}
	(*text)[got] = '\0';
	return 0;
}

int lock_index_load(const char *path, struct lock_index *x)
{
	size_t i;

	memset(x, 0, sizeof(*x));
	if (read_whole(path, &x->text) < 0)
		return -1;
	if (scan_lock(x) < 0) {
		lock_index_free(x);
		if (from_toml(x, path) < 0) {
			lock_index_free(x);
			return -1;
		}
	}
	/* lock_write writes entries sorted: sort only a file that is not. */
	for (i = 1; i < x->n; i++)
		if (strcmp(x->e[i - 1].name, x->e[i].name) > 0)
			break;
	if (i < x->n)
		qsort(x->e, x->n, sizeof(*x->e), by_known);
	return 0;
}

const struct lock_known *lock_index_find(const struct lock_index *x,
					 const char *name)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, x->e[mid].name);
		if (!c)
			return &x->e[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void lock_index_free(struct lock_index *x)
{
	free(x->e);
	free(x->paths);
	free(x->ids);
	free(x->text);
	toml_doc_free(x->doc);
	memset(x, 0, sizeof(*x));
}
