/*
 * The value tree of a TOML document: creating values, and tables as
 * insertion-ordered key lists with a hash index once they grow past a few
 * keys (a graph with thousands of stages must not cost quadratic time).
 */
#include <stdarg.h>

#include "err.h"
#include "toml_internal.h"
#include "util.h"

enum { INDEX_FROM = 16 };

static uint32_t hash_key(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct toml_value *toml_new(struct parser *p, enum toml_type type,
			    const char *at, unsigned depth)
{
	struct toml_value *v = arena_zalloc(p->arena, sizeof(*v));

	v->type = type;
	v->depth = depth;
	toml_locate(p, at, &v->line, &v->col);
	return v;
}

static void reindex(struct parser *p, struct toml_value *t)
{
	size_t cap = 64, i;

	while (cap < t->u.table.len * 2)
		cap *= 2;
	t->u.table.index = arena_zalloc(p->arena, cap * sizeof(uint32_t));
	t->u.table.index_cap = cap;
	for (i = 0; i < t->u.table.len; i++) {
		struct toml_kv *kv = &t->u.table.kv[i];
		size_t h = hash_key(kv->key, kv->keylen) & (cap - 1);

		while (t->u.table.index[h])
			h = (h + 1) & (cap - 1);
		t->u.table.index[h] = (uint32_t)(i + 1);
	}
}

struct toml_kv *toml_find(struct toml_value *t, const char *key, size_t keylen)
{
	size_t i;

	if (t->type != TOML_TABLE)
		return NULL;
	if (t->u.table.index) {
		size_t mask = t->u.table.index_cap - 1;
		size_t h = hash_key(key, keylen) & mask;
		uint32_t slot;

		while ((slot = t->u.table.index[h])) {
			struct toml_kv *kv = &t->u.table.kv[slot - 1];
			if (kv->keylen == keylen && !memcmp(kv->key, key, keylen))
				return kv;
			h = (h + 1) & mask;
		}
		return NULL;
	}
	for (i = 0; i < t->u.table.len; i++) {
		struct toml_kv *kv = &t->u.table.kv[i];
		if (kv->keylen == keylen && !memcmp(kv->key, key, keylen))
			return kv;
	}
	return NULL;
}

struct toml_kv *toml_insert(struct parser *p, struct toml_value *t,
			    const char *key, size_t keylen,
			    struct toml_value *v)
{
	struct toml_kv *kv;

	if (t->u.table.len == t->u.table.cap) {
		size_t cap = t->u.table.cap ? t->u.table.cap * 2 : 4;
		t->u.table.kv = arena_grow(p->arena, t->u.table.kv,
					   t->u.table.len * sizeof(*kv),
					   cap * sizeof(*kv));
		t->u.table.cap = cap;
	}
	kv = &t->u.table.kv[t->u.table.len++];
	kv->key = key;
	kv->keylen = keylen;
	kv->value = v;
	kv->line = v->line;
	kv->col = v->col;
	if (t->u.table.len >= INDEX_FROM &&
	    t->u.table.len * 2 > t->u.table.index_cap) {
		reindex(p, t);
	} else if (t->u.table.index) {
		size_t mask = t->u.table.index_cap - 1;
		size_t h = hash_key(key, keylen) & mask;

		while (t->u.table.index[h])
			h = (h + 1) & mask;
		t->u.table.index[h] = (uint32_t)t->u.table.len;
	}
	return kv;
}

void toml_push(struct parser *p, struct toml_value *a, struct toml_value *v)
{
	if (a->u.array.len == a->u.array.cap) {
		size_t cap = a->u.array.cap ? a->u.array.cap * 2 : 4;
		a->u.array.items = arena_grow(p->arena, a->u.array.items,
					      a->u.array.len * sizeof(v),
					      cap * sizeof(v));
		a->u.array.cap = cap;
	}
	a->u.array.items[a->u.array.len++] = v;
}

const struct toml_kv *toml_get_kv(const struct toml_value *t, const char *key,
				  size_t keylen)
{
	if (!t)
		return NULL;
	return toml_find((struct toml_value *)t, key, keylen);
}

const struct toml_value *toml_get(const struct toml_value *t, const char *key)
{
	const struct toml_kv *kv = toml_get_kv(t, key, strlen(key));

	return kv ? kv->value : NULL;
}

const struct toml_value *toml_root(const struct toml_doc *doc)
{
	return doc->root;
}

const char *toml_filename(const struct toml_doc *doc)
{
	return doc->filename;
}

void toml_doc_free(struct toml_doc *doc)
{
	if (!doc)
		return;
	free(doc->filename);
	free(doc->src);
	arena_release(&doc->arena);
	free(doc);
}

const char *toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_TABLE: return "table";
	case TOML_ARRAY: return "array";
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_FLOAT: return "float";
	case TOML_BOOL: return "boolean";
	case TOML_DATETIME: return "offset date-time";
	case TOML_DATETIME_LOCAL: return "local date-time";
	case TOML_DATE_LOCAL: return "local date";
	case TOML_TIME_LOCAL: return "local time";
	}
	BUG("bad toml type %d", (int)type);
}

int toml_error_at(const struct toml_doc *doc, int line, int col,
		  struct err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vat(err, doc->filename, doc->src, doc->len, line, col, fmt, ap);
	va_end(ap);
	return -1;
}
