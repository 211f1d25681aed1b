/*
 * arena.h: a bump allocator.  Everything allocated from an arena is freed
 * at once by arena_release; nothing is freed one at a time.  A parsed TOML
 * document lives in one arena, so parsing never leaks on an error path.
 *
 * A block is filled from both ends: structures (aligned) from its start,
 * strings (unaligned, packed) from its end, so a two-byte key costs three
 * bytes and no padding falls between them.  An allocation larger than
 * ARENA_OWN_BLOCK gets a block of its own, which arena_grow reallocates in
 * place instead of abandoning it (a table of a million keys grows without
 * leaving its old copies behind).
 */
#ifndef CAIRN_ARENA_H
#define CAIRN_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;	/* newest block first */
	char *next, *end;		/* free space in head */
	size_t huge;			/* blocks in huge pages so far */
	struct arena_block *own;	/* blocks of one allocation each */
};

#define ARENA_INIT { NULL, NULL, NULL, 0, NULL }

/* Allocations above this many bytes get a block of their own. */
#define ARENA_OWN_BLOCK (16 * 1024)

/* Return n bytes aligned to 16, valid until arena_release.  Never NULL. */
void *arena_alloc(struct arena *a, size_t n);
/* Like arena_alloc, zero-filled. */
void *arena_zalloc(struct arena *a, size_t n);
/* Copy s[0..n) and a NUL into the arena (not aligned). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/*
 * Grow old, an allocation of old_n bytes from this arena's arena_alloc,
 * arena_zalloc or arena_grow (or NULL with old_n 0), to new_n bytes and
 * return it: extended where it lies when it is the newest allocation
 * and its block has room, reallocated when it has a block of its own,
 * else copied into a new allocation (the old one is abandoned, not
 * freed).  The first old_n bytes are kept; the rest is not cleared.
 */
void *arena_grow(struct arena *a, void *old, size_t old_n, size_t new_n);
/*
 * Extend p (an allocation of old_n bytes, as for arena_grow) to new_n
 * bytes only where it lies: 0 when it could, -1 when it did not (p is
 * unchanged).
 */
int arena_extend(struct arena *a, void *p, size_t old_n, size_t new_n);
/* Give back the end of p (old_n bytes, as for arena_grow) past new_n:
 * 0 when it could (p is the newest allocation of its block), else -1
 * (nothing changes). */
int arena_trim(struct arena *a, void *p, size_t old_n, size_t new_n);
/* Free every block. */
void arena_release(struct arena *a);

#endif
