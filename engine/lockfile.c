#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "graph.h"
#include "lockfile.h"
#include "store.h"
#include "toml.h"
#include "toml_json.h"
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
	const struct digest *d;
	char hex[DIGEST_HEX + 1];
};

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->path,
		      ((const struct pair *)b)->path);
}

/* One section: "[NAME]" then key, then sorted inputs and outputs. */
struct section {
	char *name;
	struct buf text;
	struct digest *outs;
	size_t nouts;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct section *)a)->name,
		      ((const struct section *)b)->name);
}

static void table(struct buf *t, const char *inst, const char *sub,
		  struct pair *p, size_t n)
{
	size_t i;

	if (n)
		qsort(p, n, sizeof(*p), by_path);
	buf_adds(t, "\n[stage.");
	json_string(t, inst, strlen(inst));
	buf_addf(t, ".%s]\n", sub);
	for (i = 0; i < n; i++) {
		if (i && !strcmp(p[i].path, p[i - 1].path))
			continue;
		json_string(t, p[i].path, strlen(p[i].path));
		buf_addf(t, " = \"%s\"\n", p[i].hex);
	}
}

static void section_new(struct section *s, const struct lock_entry *e)
{
	const struct graph_inst *in = e->inst;
	struct pair *p = xcalloc(in->ndeps + in->nouts + 1, sizeof(*p));
	char hex[DIGEST_HEX + 1];
	size_t i;

	s->name = xstrdup(in->name);
	buf_init(&s->text);
	buf_adds(&s->text, "\n[stage.");
	json_string(&s->text, in->name, strlen(in->name));
	digest_hex(&e->key, hex);
	buf_addf(&s->text, "]\nkey = \"%s\"\n", hex);
	for (i = 0; i < in->ndeps; i++) {
		p[i].path = in->deps[i].path;
		digest_hex(&e->deps[i], p[i].hex);
	}
	table(&s->text, in->name, "inputs", p, in->ndeps);
	s->outs = xcalloc(in->nouts + 1, sizeof(*s->outs));
	for (i = 0; i < in->nouts; i++) {
		p[i].path = in->outs[i].path;
		digest_hex(&e->outs[i], p[i].hex);
		s->outs[s->nouts++] = e->outs[i];
	}
	table(&s->text, in->name, "outputs", p, in->nouts);
	free(p);
}

/* An entry of the old file, copied as it was (re-serialised). */
static int section_old(struct section *s, const char *name,
		       const struct toml_value *v)
{
	const struct toml_value *key = toml_get(v, "key"), *t;
	struct pair *p;
	size_t i, n;
	int k;

	if (!key || key->type != TOML_STRING)
		return -1;
	s->name = xstrdup(name);
	buf_init(&s->text);
	buf_adds(&s->text, "\n[stage.");
	json_string(&s->text, name, strlen(name));
	buf_adds(&s->text, "]\nkey = ");
	json_string(&s->text, key->u.string.ptr, key->u.string.len);
	buf_addc(&s->text, '\n');
	for (k = 0; k < 2; k++) {
		t = toml_get(v, k ? "outputs" : "inputs");
		n = t && t->type == TOML_TABLE ? t->u.table.len : 0;
		p = xcalloc(n + 1, sizeof(*p));
		if (k)
			s->outs = xcalloc(n + 1, sizeof(*s->outs));
		for (i = 0; i < n; i++) {
			const struct toml_value *d = t->u.table.kv[i].value;
			p[i].path = t->u.table.kv[i].key;
			if (d->type != TOML_STRING ||
			    digest_parse(d->u.string.ptr,
					 k ? &s->outs[s->nouts] : &(struct digest){ { 0 } }) < 0) {
				free(p);
				return -1;
			}
			snprintf(p[i].hex, sizeof(p[i].hex), "%s",
				 d->u.string.ptr);
			if (k)
				s->nouts++;
		}
		table(&s->text, name, k ? "outputs" : "inputs", p, n);
		free(p);
	}
	return 0;
}

int lock_write(const char *path, const struct graph *g,
	       const struct lock_entry *e, size_t n, struct store *s,
	       struct err *err)
{
	struct section *sec = xcalloc(n + g->ninsts + 1, sizeof(*sec));
	struct toml_doc *old = NULL;
	struct err ignore;
	struct buf out = BUF_INIT, tmp = BUF_INIT, rootname = BUF_INIT;
	struct digest *ids = NULL;
	size_t nsec = 0, nids = 0, i, j;
	char real[PATH_MAX], *fresh;
	FILE *f;
	int rc = -1;

	fresh = xcalloc(g->ninsts + 1, 1);
	for (i = 0; i < n; i++) {
		section_new(&sec[nsec++], &e[i]);
		fresh[e[i].inst->index] = 1;
	}
	if (access(path, F_OK) == 0 && toml_parse_file(path, &old, &ignore) == 0) {
		const struct toml_value *root = toml_get(toml_root(old), "stage");
		for (i = 0; root && root->type == TOML_TABLE &&
			    i < root->u.table.len;
		     i++) {
			const struct toml_kv *kv = &root->u.table.kv[i];
			const struct graph_inst *in = graph_find(g, kv->key);

			if (kv->value->type != TOML_TABLE || !in ||
			    fresh[in->index])
				continue;
			if (section_old(&sec[nsec], kv->key, kv->value) == 0)
				nsec++;
		}
	}
	if (nsec)
		qsort(sec, nsec, sizeof(*sec), by_name);
	buf_adds(&out, "# cairn lock file, written by 'cairn run': what each "
		       "stage instance was\n# made from (inputs) and made "
		       "(outputs), by content digest. Do not edit.\n");
	buf_addf(&out, "version = 1\ngraph = ");
	json_string(&out, g->name, strlen(g->name));
	buf_addc(&out, '\n');
	for (i = 0; i < nsec; i++) {
		buf_add(&out, sec[i].text.data, sec[i].text.len);
		ids = xrealloc(ids, (nids + sec[i].nouts + 1) * sizeof(*ids));
		for (j = 0; j < sec[i].nouts; j++)
			ids[nids++] = sec[i].outs[j];
	}
	/* Unchanged: leave the file (and its root) alone. */
	{
		FILE *cur = fopen(path, "rb");
		struct buf old_text = BUF_INIT;
		char chunk[65536];
		size_t got;
		int same;

		while (cur && (got = fread(chunk, 1, sizeof(chunk), cur)) > 0)
			buf_add(&old_text, chunk, got);
		if (cur)
			fclose(cur);
		same = cur && old_text.len == out.len &&
		       !memcmp(old_text.data, out.data, out.len);
		buf_release(&old_text);
		if (same) {
			rc = 0;
			goto out;
		}
	}
	buf_addf(&tmp, "%s.cairn-tmp-%ld", path, (long)getpid());
	f = fopen(tmp.data, "w");
	if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f)) {
		err_errno(err, "cannot write '%s'", tmp.data);
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, path) < 0) {
		err_errno(err, "cannot rename '%s' to '%s'", tmp.data, path);
		unlink(tmp.data);
		goto out;
	}
	/* What the lock names is a root: gc keeps it. */
	if (realpath(path, real)) {
		struct store_writer *w;
		buf_addf(&rootname, "lock:%s", real);
		if (rootname.len <= 400 && store_writer_new(s, &w, err) == 0) {
			if (store_set_root(w, rootname.data, ids, nids, err))
				store_writer_abort(w);
			else if (store_writer_commit(w, err))
				goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < nsec; i++) {
		free(sec[i].name);
		buf_release(&sec[i].text);
		free(sec[i].outs);
	}
	free(sec);
	free(ids);
	free(fresh);
	toml_doc_free(old);
	buf_release(&out);
	buf_release(&tmp);
	buf_release(&rootname);
	return rc;
}
