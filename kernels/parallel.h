/*
 * parallel.h: split a loop over threads, the one way every CPU kernel
 * uses all cores.  No pool: kernels run for milliseconds to seconds, so a
 * thread start (tens of microseconds) is noise.
 */
#ifndef CAIRN_PARALLEL_H
#define CAIRN_PARALLEL_H

#include <stddef.h>

#define PARALLEL_MAX 64

/* Threads to use for `threads` (0 or less: all online cores), at most
 * PARALLEL_MAX and at most n / min_per (at least 1). */
int parallel_threads(int threads, size_t n, size_t min_per);

/*
 * Call fn(ctx, from, to, t) for t in [0, nt) over consecutive slices of
 * [0, n), one thread each (nt = parallel_threads(threads, n, min_per));
 * slice t is [n*t/nt, n*(t+1)/nt).  A slice whose thread cannot start
 * runs on the caller's.  Returns nt.
 */
int parallel_for(int threads, size_t n, size_t min_per,
		 void (*fn)(void *ctx, size_t from, size_t to, int t),
		 void *ctx);

/*
 * The same over chunks of `chunk` items handed out in turn (an atomic
 * counter): for loops whose items cost unevenly.  fn sees t, the thread.
 */
int parallel_chunks(int threads, size_t n, size_t chunk,
		    void (*fn)(void *ctx, size_t from, size_t to, int t),
		    void *ctx);

#endif
