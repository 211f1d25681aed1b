/*
 * arena.h: a bump allocator.  Everything allocated from an arena is freed
 * at once by arena_release; nothing is freed one at a time.  A parsed TOML
 * document lives in one arena, so parsing never leaks on an error path.
 */
#ifndef CAIRN_ARENA_H
#define CAIRN_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;	/* newest block first */
	char *next, *end;		/* free space in head */
	size_t huge;			/* blocks in huge pages so far */
};

#define ARENA_INIT { NULL, NULL, NULL, 0 }

/* Return n bytes aligned to 16, valid until arena_release.  Never NULL. */
void *arena_alloc(struct arena *a, size_t n);
/* Like arena_alloc, zero-filled. */
void *arena_zalloc(struct arena *a, size_t n);
/* Copy s[0..n) and a NUL into the arena. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/*
 * Grow an array allocated from the arena (old block is abandoned, not
 * freed).  Copies old_n bytes into a new block of new_n bytes.
 */
void *arena_grow(struct arena *a, void *old, size_t old_n, size_t new_n);
/* Free every block. */
void arena_release(struct arena *a);

#endif
