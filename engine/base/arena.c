#include <stdlib.h>
#include <sys/mman.h>

#include "arena.h"
#include "util.h"

/* Blocks start at 64 KiB and double up to 2 MiB: a large document (a
 * 100,000-stage graph) then lives in huge pages, one page fault per 2 MiB
 * instead of per 4 KiB.  The first HUGE_MAX blocks only (64 MiB): past
 * them the kernel's compaction to find more huge pages costs more than
 * the faults they save (cairn graph of 10^6 explicit stages, a gigabyte
 * of document: 6.5 s -> 4.0 s; of a 100,000-stage graph: the same). */
enum { BLOCK = 64 * 1024, BIG = 2 * 1024 * 1024, ALIGN = 16,
       HUGE_MAX = 32 };

struct arena_block {
	struct arena_block *prev;
	size_t size;
	_Alignas(16) char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b;
	size_t size;
	char *p;

	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (a->next && (size_t)(a->end - a->next) >= n) {
		p = a->next;
		a->next += n;
		return p;
	}
	/* A large request gets a block of its own, kept behind the head. */
	if (n > BLOCK / 4) {
		b = xmalloc(sizeof(*b) + n);
		b->size = n;
		if (a->head) {
			b->prev = a->head->prev;
			a->head->prev = b;
		} else {
			b->prev = NULL;
			a->head = b;
			a->next = a->end = b->data + n;
		}
		return b->data;
	}
	size = a->head && a->head->size >= BLOCK ? a->head->size * 2 : BLOCK;
	if (size >= BIG) {
		size = BIG - sizeof(*b);
		b = a->huge < HUGE_MAX ? xmalloc_huge(BIG) : xmalloc(BIG);
		a->huge += a->huge < HUGE_MAX;
	} else {
		b = xmalloc(sizeof(*b) + size);
	}
	b->size = size;
	b->prev = a->head;
	a->head = b;
	a->next = b->data + n;
	a->end = b->data + size;
	return b->data;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *arena_grow(struct arena *a, void *old, size_t old_n, size_t new_n)
{
	void *p = arena_alloc(a, new_n);

	if (old_n)
		memcpy(p, old, old_n);
	return p;
}

void arena_release(struct arena *a)
{
	struct arena_block *b = a->head;

	while (b) {
		struct arena_block *prev = b->prev;
		free(b);
		b = prev;
	}
	a->head = NULL;
	a->next = a->end = NULL;
	a->huge = 0;
}
