/*
 * The run's cluster jobs in the store (see jobtab.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jobtab.h"
#include "store.h"
#include "util.h"

static void key_of(struct buf *b, const char *workspace, const char *inst)
{
	buf_truncate(b, 0);
	buf_add(b, workspace, strlen(workspace) + 1);	/* with its NUL */
	if (inst)
		buf_adds(b, inst);
}

static int add(const void *key, size_t klen, const void *rec, size_t n,
	       void *ctx)
{
	struct jobtab *t = ctx;
	const char *inst = memchr(key, '\0', klen);
	struct buf b = BUF_INIT;

	if (!inst)
		return 0;
	inst++;
	t->inst = xrealloc(t->inst, (t->n + 1) * sizeof(*t->inst));
	t->rec = xrealloc(t->rec, (t->n + 1) * sizeof(*t->rec));
	t->len = xrealloc(t->len, (t->n + 1) * sizeof(*t->len));
	buf_add(&b, inst, klen - (size_t)(inst - (const char *)key));
	t->inst[t->n] = buf_detach(&b, NULL);
	buf_add(&b, rec, n);
	t->rec[t->n] = buf_detach(&b, NULL);
	t->len[t->n] = n;
	t->n++;
	return 0;
}

int jobtab_load(struct jobtab *t, struct store *s, const char *workspace,
		struct err *err)
{
	struct buf prefix = BUF_INIT;
	int rc;

	memset(t, 0, sizeof(*t));
	key_of(&prefix, workspace, NULL);
	rc = store_jobs_walk(s, prefix.data, prefix.len, add, t, err);
	buf_release(&prefix);
	return rc ? -1 : 0;
}

const char *jobtab_find(const struct jobtab *t, const char *inst, size_t *n)
{
	size_t lo = 0, hi = t->n;

	/* In key order, which is the instances' byte order. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->inst[mid], inst);
		if (!c) {
			*n = t->len[mid];
			return t->rec[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void jobtab_free(struct jobtab *t)
{
	size_t k;

	for (k = 0; k < t->n; k++) {
		free(t->inst[k]);
		free(t->rec[k]);
	}
	free(t->inst);
	free(t->rec);
	free(t->len);
	memset(t, 0, sizeof(*t));
}

int jobtab_keep(struct store_writer *w, const char *workspace,
		const char *inst, const char *rec, size_t n, struct err *err)
{
	struct buf key = BUF_INIT;
	int rc;

	key_of(&key, workspace, inst);
	rc = store_put_job(w, key.data, key.len, rec, n, err);
	buf_release(&key);
	return rc ? -1 : 0;
}

int jobtab_forget(struct store_writer *w, const char *workspace,
		  const char *inst, struct err *err)
{
	struct buf key = BUF_INIT;
	int rc;

	key_of(&key, workspace, inst);
	rc = store_del_job(w, key.data, key.len, err);
	buf_release(&key);
	return rc ? -1 : 0;
}
