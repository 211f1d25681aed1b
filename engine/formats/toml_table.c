/*
 * The value tree of a TOML document: creating values, and tables as
 * insertion-ordered key lists with a hash index once they grow past a few
 * keys (a graph with thousands of stages must not cost quadratic time).
 */
#include <stdarg.h>

#include "err.h"
#include "toml_internal.h"
#include "util.h"

/*
 * A table's entries are one allocation in a list arena (lists_of):
 * kv[0..cap), and from INDEX_FROM slots on (cap a power of two) an
 * open-addressing index of 2 * cap uint32 slots right after kv[cap], each
 * 0 or an entry's position plus one.  Tables and arrays start with one
 * slot and grow by one where they lie while they are the newest
 * allocation of their arena (usually: a [header] table's inline tables
 * and arrays live in the other one), else double.
 */
enum { INDEX_FROM = 16 };

_Static_assert(sizeof(struct toml_value) == 32, "toml_value grew");

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
	struct toml_value *v = arena_alloc(p->arena, sizeof(*v));

	*v = (struct toml_value){ .type = (unsigned char)type,
				  .depth = (unsigned short)depth };
	toml_locate(p, at, &v->line, &v->col);
	return v;
}

/* Where v's entries or items live: decided by flags it has from the start
 * (a dotted table sealed inside an inline one no longer grows). */
static struct arena *lists_of(struct parser *p, const struct toml_value *v)
{
	return &p->doc->lists[(v->flags & (TOML_INLINE | TOML_STATIC)) != 0];
}

static size_t table_bytes(uint32_t cap)
{
	return cap * sizeof(struct toml_kv) +
	       (cap >= INDEX_FROM ? 2 * (size_t)cap * sizeof(uint32_t) : 0);
}

static uint32_t *index_of(const struct toml_value *t)
{
	return (uint32_t *)(t->u.table.kv + t->u.table.cap);
}

static void index_add(struct toml_value *t, uint32_t i)
{
	const struct toml_kv *kv = &t->u.table.kv[i];
	uint32_t *index = index_of(t);
	size_t mask = 2 * (size_t)t->u.table.cap - 1;
	size_t h = kv->hash & mask;

	while (index[h])
		h = (h + 1) & mask;
	index[h] = i + 1;
}

static uint32_t next_cap(uint32_t cap)
{
	uint32_t n = cap ? cap * 2 : 1;

	if (n >= INDEX_FROM)
		while (n & (n - 1))
			n += n & -n;
	return n;
}

/* Room for one more entry in t. */
static void table_room(struct parser *p, struct toml_value *t)
{
	uint32_t cap = t->u.table.cap, ncap, i;

	if (t->u.table.len < cap)
		return;
	if (cap == UINT32_MAX / 2)
		BUG("a table of %u keys", (unsigned)cap);
	if (cap && cap + 1 < INDEX_FROM &&
	    arena_extend(lists_of(p, t), t->u.table.kv, table_bytes(cap),
			 table_bytes(cap + 1)) == 0) {
		t->u.table.cap++;
		return;
	}
	ncap = next_cap(cap);
	t->u.table.kv = arena_grow(lists_of(p, t), t->u.table.kv,
				   table_bytes(cap), table_bytes(ncap));
	t->u.table.cap = ncap;
	if (ncap < INDEX_FROM)
		return;
	memset(index_of(t), 0, 2 * (size_t)ncap * sizeof(uint32_t));
	for (i = 0; i < t->u.table.len; i++)
		index_add(t, i);
}

struct toml_kv *toml_find(struct toml_value *t, const char *key, size_t keylen)
{
	uint32_t i;

	if (t->type != TOML_TABLE)
		return NULL;
	if (t->u.table.cap >= INDEX_FROM) {
		const uint32_t *index = index_of(t);
		size_t mask = 2 * (size_t)t->u.table.cap - 1;
		uint32_t hash = hash_key(key, keylen), slot;
		size_t h = hash & mask;

		while ((slot = index[h])) {
			struct toml_kv *kv = &t->u.table.kv[slot - 1];
			if (kv->hash == hash && kv->keylen == keylen &&
			    !memcmp(kv->key, key, keylen))
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

	table_room(p, t);
	kv = &t->u.table.kv[t->u.table.len];
	kv->key = key;
	kv->keylen = (uint32_t)keylen;
	kv->hash = hash_key(key, keylen);
	kv->value = v;
	kv->line = v->line;
	kv->col = v->col;
	if (t->u.table.cap >= INDEX_FROM)
		index_add(t, t->u.table.len);
	t->u.table.len++;
	return kv;
}

void toml_push(struct parser *p, struct toml_value *a, struct toml_value *v)
{
	uint32_t cap = a->u.array.cap, ncap;
	size_t sz = sizeof(v);

	if (a->u.array.len == cap) {
		if (cap == UINT32_MAX / 2)
			BUG("an array of %u values", (unsigned)cap);
		if (cap && arena_extend(lists_of(p, a), a->u.array.items, cap * sz,
					(cap + 1) * sz) == 0) {
			a->u.array.cap++;
		} else {
			ncap = cap ? cap * 2 : 1;
			a->u.array.items = arena_grow(lists_of(p, a), a->u.array.items,
						      cap * sz, ncap * sz);
			a->u.array.cap = ncap;
		}
	}
	a->u.array.items[a->u.array.len++] = v;
}

void toml_close(struct parser *p, struct toml_value *v)
{
	if (v->type == TOML_ARRAY && v->u.array.len < v->u.array.cap &&
	    arena_trim(lists_of(p, v), v->u.array.items,
		       v->u.array.cap * sizeof(*v->u.array.items),
		       v->u.array.len * sizeof(*v->u.array.items)) == 0)
		v->u.array.cap = v->u.array.len;
	if (v->type == TOML_TABLE && v->u.table.cap < INDEX_FROM &&
	    v->u.table.len < v->u.table.cap &&
	    arena_trim(lists_of(p, v), v->u.table.kv, table_bytes(v->u.table.cap),
		       table_bytes(v->u.table.len)) == 0)
		v->u.table.cap = v->u.table.len;
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
	arena_release(&doc->lists[0]);
	arena_release(&doc->lists[1]);
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
