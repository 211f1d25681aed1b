/*
 * Stage keys.  The encoding is a header, then tagged fields in a fixed
 * order, each list sorted, every string length-prefixed: no two different
 * stages can encode alike, and map order or time never enter.
 */
#include "buf.h"
#include "graph.h"
#include "key.h"
#include "toml.h"
#include "toml_json.h"
#include "util.h"

static void u32(struct buf *b, uint32_t v)
{
	unsigned char p[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };

	buf_add(b, p, 4);
}

/* A field: tag, u32 length, bytes. */
static void field(struct buf *b, char tag, const void *data, size_t n)
{
	buf_addc(b, tag);
	u32(b, (uint32_t)n);
	buf_add(b, data, n);
}

static void fields(struct buf *b, char tag, const char *s)
{
	field(b, tag, s, strlen(s));
}

static int by_key(const void *a, const void *b)
{
	const struct toml_kv *x = *(const struct toml_kv *const *)a;
	const struct toml_kv *y = *(const struct toml_kv *const *)b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, n);

	return c ? c : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

void key_value(struct buf *out, const struct toml_value *v)
{
	struct buf t = BUF_INIT;
	size_t i;

	switch (v->type) {
	case TOML_STRING:
		field(out, 's', v->u.string.ptr, v->u.string.len);
		break;
	case TOML_INTEGER:
		buf_addf(&t, "%lld", (long long)v->u.integer);
		field(out, 'i', t.data, t.len);
		break;
	case TOML_FLOAT:
		toml_json_float(&t, v->u.real);
		field(out, 'f', t.data, t.len);
		break;
	case TOML_BOOL:
		field(out, 'b', v->u.boolean ? "1" : "0", 1);
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		field(out, 'd', v->u.datetime->text,
		      strlen(v->u.datetime->text));
		break;
	case TOML_ARRAY:
		buf_addc(out, 'a');
		u32(out, (uint32_t)v->u.array.len);
		for (i = 0; i < v->u.array.len; i++)
			key_value(out, v->u.array.items[i]);
		break;
	case TOML_TABLE: {
		const struct toml_kv **kv =
			xcalloc(v->u.table.len + 1, sizeof(*kv));
		for (i = 0; i < v->u.table.len; i++)
			kv[i] = &v->u.table.kv[i];
		if (v->u.table.len)
			qsort(kv, v->u.table.len, sizeof(*kv), by_key);
		buf_addc(out, 't');
		u32(out, (uint32_t)v->u.table.len);
		for (i = 0; i < v->u.table.len; i++) {
			field(out, 'k', kv[i]->key, kv[i]->keylen);
			key_value(out, kv[i]->value);
		}
		free(kv);
		break;
	}
	}
	buf_release(&t);
}

struct item {
	const char *a, *b;
	const struct digest *d;
};

static int by_item(const void *x, const void *y)
{
	const struct item *p = x, *q = y;
	int c = strcmp(p->a, q->a);

	return c ? c : strcmp(p->b, q->b);
}

static void items(struct buf *enc, char tag, struct item *it, size_t n)
{
	size_t i;

	if (n)
		qsort(it, n, sizeof(*it), by_item);
	buf_addc(enc, tag);
	u32(enc, (uint32_t)n);
	for (i = 0; i < n; i++) {
		fields(enc, 'n', it[i].a);
		fields(enc, 'p', it[i].b);
		if (it[i].d)
			field(enc, 'h', it[i].d->b, DIGEST_LEN);
	}
}

void key_compute(const struct graph *g, const struct graph_inst *in,
		 const struct key_inputs *ki, struct buf *enc,
		 struct digest *key)
{
	size_t n = in->ndeps + in->ncode + in->nouts + in->nparams + 1, i, j;
	struct item *it = xcalloc(n, sizeof(*it));
	const struct graph_stage *st = in->stage;

	buf_truncate(enc, 0);
	buf_addf(enc, "cairn key %d\n", KEY_SCHEMA);
	if (st->kind) {
		fields(enc, 'K', st->kind);
		fields(enc, 'V', ki->kind_version ? ki->kind_version : "");
		buf_addc(enc, 'S');
		if (st->with)
			key_value(enc, st->with);
		else
			u32(enc, 0);
	} else {
		fields(enc, 'C', in->cmd);
	}
	fields(enc, 'W', in->wdir);
	for (i = 0; i < in->ncode; i++) {
		it[i].a = in->code[i].path;
		it[i].b = "";
		it[i].d = &ki->code[i];
	}
	items(enc, 'F', it, in->ncode);
	for (i = 0; i < in->ndeps; i++) {
		it[i].a = in->deps[i].name;
		it[i].b = in->deps[i].path;
		it[i].d = &ki->deps[i];
	}
	items(enc, 'I', it, in->ndeps);
	/* Params: names are sorted in the instance already. */
	buf_addc(enc, 'P');
	u32(enc, (uint32_t)in->nparams);
	for (i = 0; i < in->nparams; i++) {
		for (j = 0; j < g->nparams; j++)
			if (!strcmp(g->params[j].name, in->params[i]))
				break;
		fields(enc, 'n', in->params[i]);
		if (j < g->nparams)
			key_value(enc, g->params[j].value);
	}
	/* Environment: declared names, sorted, values as found or absent. */
	buf_addc(enc, 'E');
	u32(enc, (uint32_t)st->nenv);
	{
		size_t *ord = xcalloc(st->nenv + 1, sizeof(size_t)), k;

		for (i = 0; i < st->nenv; i++) {
			for (k = i; k > 0 && strcmp(st->env[ord[k - 1]],
						    st->env[i]) > 0;
			     k--)
				ord[k] = ord[k - 1];
			ord[k] = i;
		}
		for (k = 0; k < st->nenv; k++) {
			i = ord[k];
			fields(enc, 'n', st->env[i]);
			if (ki->env && ki->env[i])
				fields(enc, 'v', ki->env[i]);
			else
				buf_addc(enc, '-');
		}
		free(ord);
	}
	for (i = 0; i < in->nouts; i++) {
		it[i].a = in->outs[i].name;
		it[i].b = in->outs[i].path;
		it[i].d = NULL;
	}
	items(enc, 'O', it, in->nouts);
	free(it);
	sha256(enc->data, enc->len, key);
}
