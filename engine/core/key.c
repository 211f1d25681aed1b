/*
 * Stage keys.  The encoding is a header, then tagged fields in a fixed
 * order, each list sorted, every string length-prefixed: no two different
 * stages can encode alike, and map order or time never enter.
 */
#include "buf.h"
#include "graph.h"
#include "interp.h"
#include "json.h"
#include "key.h"
#include "toml.h"
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
		json_float(&t, v->u.real);
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

/* "cairn key N\n": formatted once per process, not once per key. */
#define KEY_STR2(x) #x
#define KEY_STR(x) KEY_STR2(x)
static const char key_head[] = "cairn key " KEY_STR(KEY_SCHEMA) "\n";

void key_compute(const struct graph *g, const struct graph_inst *in,
		 const struct key_inputs *ki, struct buf *enc,
		 struct digest *key)
{
	size_t n = in->ndeps + in->ncode + in->nouts + in->nparams + 1, i, j;
	struct item *it = xcalloc(n, sizeof(*it));
	const struct graph_stage *st = in->stage;

	buf_truncate(enc, 0);
	buf_adds(enc, key_head);
	if (st->kind) {
		fields(enc, 'K', st->kind);
		fields(enc, 'V', ki->kind_version ? ki->kind_version : "");
		fields(enc, 'S', in->settings ? in->settings : "");
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
	/* Outputs digested by content (HDF5), by name: only when there are
	 * some, so other keys keep their encoding. */
	for (i = 0; i < in->nouts; i++)
		if (in->outs[i].hash == GRAPH_HASH_HDF5)
			fields(enc, 'D', in->outs[i].name);
	free(it);
	sha256(enc->data, enc->len, key);
}

/* ---- reading an encoding back, for explain ---- */

struct rd {
	const unsigned char *p, *end;
};

static int rd_u32(struct rd *r, uint32_t *v)
{
	if (r->end - r->p < 4)
		return -1;
	*v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
	     (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	return 0;
}

/* A field with tag t into out (as text, or hex for 'h'). */
static int rd_field(struct rd *r, char t, struct buf *out)
{
	uint32_t n, i;

	if (r->p >= r->end || *r->p != (unsigned char)t)
		return -1;
	r->p++;
	if (rd_u32(r, &n) < 0 || (uint32_t)(r->end - r->p) < n)
		return -1;
	buf_truncate(out, 0);
	if (t == 'h')
		for (i = 0; i < n; i++)
			buf_addf(out, "%02x", r->p[i]);
	else
		buf_add(out, r->p, n);
	r->p += n;
	return 0;
}

/* A canonical value, rendered as TOML-ish text. */
static int rd_value(struct rd *r, struct buf *out, int depth)
{
	struct buf t = BUF_INIT;
	uint32_t n, i;
	char tag;

	if (r->p >= r->end || depth > 64)
		return -1;
	tag = (char)*r->p;
	if (tag == 's' || tag == 'i' || tag == 'f' || tag == 'b' ||
	    tag == 'd') {
		if (rd_field(r, tag, &t) < 0)
			return -1;
		if (tag == 's') {
			buf_addc(out, '"');
			buf_add(out, t.data, t.len);
			buf_addc(out, '"');
		} else if (tag == 'b') {
			buf_adds(out, t.data[0] == '1' ? "true" : "false");
		} else {
			buf_add(out, t.data, t.len);
		}
		buf_release(&t);
		return 0;
	}
	r->p++;
	if (rd_u32(r, &n) < 0)
		return -1;
	buf_adds(out, tag == 'a' ? "[" : "{");
	for (i = 0; i < n; i++) {
		if (i)
			buf_adds(out, ", ");
		if (tag == 't') {
			if (rd_field(r, 'k', &t) < 0)
				return -1;
			buf_add(out, t.data, t.len);
			buf_adds(out, " = ");
		}
		if (rd_value(r, out, depth + 1) < 0) {
			buf_release(&t);
			return -1;
		}
	}
	buf_adds(out, tag == 'a' ? "]" : "}");
	buf_release(&t);
	return tag == 'a' || tag == 't' ? 0 : -1;
}

static void add(struct strv *l, struct strv *v, const char *label,
		const char *value)
{
	strv_push(l, label);
	strv_push(v, value);
}

int key_components(const char *enc, size_t len, struct strv *labels,
		   struct strv *values)
{
	struct rd r = { (const unsigned char *)enc,
			(const unsigned char *)enc + len };
	struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT, lab = BUF_INIT;
	const char *hdr = key_head;
	uint32_t n, i;
	int rc = -1;

	if (len < strlen(hdr) || memcmp(enc, hdr, strlen(hdr)))
		return -1;
	r.p += strlen(hdr);
	while (r.p < r.end) {
		char tag = (char)*r.p;

		switch (tag) {
		case 'C':
			if (rd_field(&r, 'C', &a) < 0)
				goto out;
			add(labels, values, "command", a.data);
			continue;
		case 'K':
			if (rd_field(&r, 'K', &a) < 0)
				goto out;
			add(labels, values, "kind", a.data);
			continue;
		case 'V':
			if (rd_field(&r, 'V', &a) < 0)
				goto out;
			add(labels, values, "kind version", a.data);
			continue;
		case 'S':
			r.p++;
			buf_truncate(&a, 0);
			if (r.p < r.end && *r.p == 't') {
				if (rd_value(&r, &a, 0) < 0)
					goto out;
			} else if (rd_u32(&r, &n) < 0) {
				goto out;
			}
			add(labels, values, "settings", a.data);
			continue;
		case 'W':
			if (rd_field(&r, 'W', &a) < 0)
				goto out;
			add(labels, values, "wdir", a.data);
			continue;
		case 'D':
			if (rd_field(&r, 'D', &a) < 0)
				goto out;
			buf_truncate(&lab, 0);
			buf_addf(&lab, "output %s digest", a.data);
			add(labels, values, lab.data, "hdf5");
			continue;
		}
		r.p++;
		if (rd_u32(&r, &n) < 0)
			goto out;
		for (i = 0; i < n; i++) {
			buf_truncate(&lab, 0);
			if (rd_field(&r, 'n', &a) < 0)
				goto out;
			switch (tag) {
			case 'F':
			case 'I':
				if (rd_field(&r, 'p', &b) < 0 ||
				    rd_field(&r, 'h', &c) < 0)
					goto out;
				if (tag == 'F')
					buf_addf(&lab, "code %s", a.data);
				else
					buf_addf(&lab, "input %s", b.data);
				add(labels, values, lab.data, c.data);
				break;
			case 'P':
				buf_truncate(&b, 0);
				if (rd_value(&r, &b, 0) < 0)
					goto out;
				buf_addf(&lab, "param %s", a.data);
				add(labels, values, lab.data, b.data);
				break;
			case 'E':
				buf_addf(&lab, "env %s", a.data);
				if (r.p < r.end && *r.p == '-') {
					r.p++;
					add(labels, values, lab.data, "(unset)");
				} else if (rd_field(&r, 'v', &b) < 0) {
					goto out;
				} else {
					add(labels, values, lab.data, b.data);
				}
				break;
			case 'O':
				if (rd_field(&r, 'p', &b) < 0)
					goto out;
				buf_addf(&lab, "output %s", a.data);
				add(labels, values, lab.data, b.data);
				break;
			default:
				goto out;
			}
		}
	}
	rc = 0;
out:
	buf_release(&a);
	buf_release(&b);
	buf_release(&c);
	buf_release(&lab);
	return rc;
}
