#include "idset.h"
#include "util.h"

static size_t slot_of(const struct digest *id, size_t cap)
{
	size_t h;

	memcpy(&h, id->b, sizeof(h));	/* SHA-256 bytes are uniform */
	return h & (cap - 1);
}

void idset_init(struct idset *s)
{
	memset(s, 0, sizeof(*s));
}

void idset_release(struct idset *s)
{
	free(s->slots);
	free(s->used);
	idset_init(s);
}

static void grow(struct idset *s)
{
	struct idset n;
	size_t i;

	n.cap = s->cap ? s->cap * 2 : 1024;
	n.len = 0;
	n.slots = xcalloc(n.cap, sizeof(*n.slots));
	n.used = xcalloc(n.cap, 1);
	for (i = 0; i < s->cap; i++)
		if (s->used[i])
			idset_add(&n, &s->slots[i]);
	free(s->slots);
	free(s->used);
	*s = n;
}

int idset_add(struct idset *s, const struct digest *id)
{
	size_t h;

	if ((s->len + 1) * 2 > s->cap)
		grow(s);
	for (h = slot_of(id, s->cap); s->used[h]; h = (h + 1) & (s->cap - 1))
		if (digest_eq(&s->slots[h], id))
			return 0;
	s->used[h] = 1;
	s->slots[h] = *id;
	s->len++;
	return 1;
}

int idset_has(const struct idset *s, const struct digest *id)
{
	size_t h;

	if (!s->cap)
		return 0;
	for (h = slot_of(id, s->cap); s->used[h]; h = (h + 1) & (s->cap - 1))
		if (digest_eq(&s->slots[h], id))
			return 1;
	return 0;
}
