/*
 * idxheap.h: a min-heap of indices.  The run takes ready and queued
 * instances lowest index (topological order) first, in O(log n) each
 * rather than by sweeping every instance after every event.
 */
#ifndef CAIRN_IDXHEAP_H
#define CAIRN_IDXHEAP_H

#include <stddef.h>

struct idxheap {
	size_t *v;
	size_t n, cap;
};

#define IDXHEAP_INIT { NULL, 0, 0 }

void idxheap_push(struct idxheap *h, size_t x);
/* The smallest index, removed; the heap must not be empty. */
size_t idxheap_pop(struct idxheap *h);
void idxheap_release(struct idxheap *h);

#endif
