#include <stdlib.h>
#include <sys/mman.h>

#include "arena.h"
#include "util.h"

/* Blocks start at 64 KiB and double up to 2 MiB: a large document (a
 * 100,000-stage graph) then lives in huge pages, one page fault per 2 MiB
 * instead of per 4 KiB.  The first HUGE_MAX blocks of an arena only (16
 * MiB; a graph's load has four arenas: the document's values, its two
 * list arenas and the graph's): past 64 MiB in all the kernel's
 * compaction to find more huge pages costs more than the faults they
 * save (cairn graph of 10^6 explicit stages, a gigabyte of document:
 * 6.5 s -> 4.0 s with one arena of 64 MiB; with four, 32 blocks each
 * cost 3.2-3.3 s against 2.6-2.7 s for 8; a matrix of 10^6 and a
 * 100,000-stage graph: the same with 4 to 32). */
enum { BLOCK = 64 * 1024, BIG = 2 * 1024 * 1024, ALIGN = 16,
       HUGE_MAX = 8 };

/* A shared block holds next (the structures) growing up to end (the
 * strings) growing down; a block of its own holds one allocation of
 * size bytes, and is on the doubly linked list a->own. */
struct arena_block {
	struct arena_block *prev, *next;
	size_t size;
	_Alignas(16) char data[];
};

static size_t round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static int own_size(size_t n)
{
	return n > ARENA_OWN_BLOCK;
}

static struct arena_block *block_of(void *p)
{
	return (struct arena_block *)((char *)p -
				      offsetof(struct arena_block, data));
}

static void *own_block(struct arena *a, size_t n)
{
	struct arena_block *b = xmalloc(sizeof(*b) + n);

	b->size = n;
	b->prev = NULL;
	b->next = a->own;
	if (a->own)
		a->own->prev = b;
	a->own = b;
	return b->data;
}

/* A new shared block with room for n more bytes; the rest of the old one
 * is abandoned. */
static void new_block(struct arena *a, size_t n)
{
	struct arena_block *b;
	size_t size;

	size = a->head && a->head->size >= BLOCK ? a->head->size * 2 : BLOCK;
	if (size >= BIG) {
		size = BIG - sizeof(*b);
		b = a->huge < HUGE_MAX ? xmalloc_huge(BIG) : xmalloc(BIG);
		a->huge += a->huge < HUGE_MAX;
	} else {
		b = xmalloc(sizeof(*b) + size);
	}
	if (size < n)
		BUG("arena block of %zu bytes for %zu", size, n);
	b->size = size;
	b->prev = a->head;
	b->next = NULL;
	a->head = b;
	a->next = b->data;
	a->end = b->data + size;
}

void *arena_alloc(struct arena *a, size_t n)
{
	char *p;

	n = round_up(n);
	if (own_size(n))
		return own_block(a, n);
	if (!a->next || (size_t)(a->end - a->next) < n)
		new_block(a, n);
	p = a->next;
	a->next += n;
	return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (own_size(n + 1)) {
		p = own_block(a, n + 1);
	} else {
		if (!a->next || (size_t)(a->end - a->next) < n + 1)
			new_block(a, n + 1);
		a->end -= n + 1;
		p = a->end;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int arena_extend(struct arena *a, void *p, size_t old_n, size_t new_n)
{
	if (!p || own_size(round_up(old_n)) || own_size(round_up(new_n)) ||
	    (char *)p + round_up(old_n) != a->next ||
	    (size_t)(a->end - (char *)p) < round_up(new_n))
		return -1;
	a->next = (char *)p + round_up(new_n);
	return 0;
}

void *arena_grow(struct arena *a, void *old, size_t old_n, size_t new_n)
{
	void *p;

	if (old && own_size(round_up(old_n)) && new_n >= old_n) {
		struct arena_block *b = block_of(old), *nb;

		nb = xrealloc(b, sizeof(*b) + round_up(new_n));
		nb->size = round_up(new_n);
		if (nb->prev)
			nb->prev->next = nb;
		else
			a->own = nb;
		if (nb->next)
			nb->next->prev = nb;
		return nb->data;
	}
	if (arena_extend(a, old, old_n, new_n) == 0)
		return old;
	p = arena_alloc(a, new_n);
	if (old_n)
		memcpy(p, old, old_n < new_n ? old_n : new_n);
	return p;
}

int arena_trim(struct arena *a, void *p, size_t old_n, size_t new_n)
{
	if (!p || own_size(round_up(old_n)) || new_n > old_n ||
	    (char *)p + round_up(old_n) != a->next)
		return -1;
	a->next = (char *)p + round_up(new_n);
	return 0;
}

void arena_release(struct arena *a)
{
	struct arena_block *b = a->head;

	while (b) {
		struct arena_block *prev = b->prev;
		free(b);
		b = prev;
	}
	for (b = a->own; b;) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = a->own = NULL;
	a->next = a->end = NULL;
	a->huge = 0;
}
