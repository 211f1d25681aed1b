/*
 * groups.h: the neighbour groups behind overlap-based training, apart
 * from their kind so the benchmark can time them.
 */
#ifndef CAIRN_GROUPS_H
#define CAIRN_GROUPS_H

#include <stddef.h>
#include <stdint.h>

/* How many candidate groups each point makes: C(k, c - 1) (centre), or
 * C(k + 1, c); 0 when over limit (overflow guard). */
uint64_t groups_per_point(int k, int c, int centre, uint64_t limit);

/*
 * The groups of c points from the k-nearest table idx (n rows of k): for
 * each point i, every set of i and c - 1 of its k nearest (centre), or
 * every set of c of i and its k nearest, i first (not centre); members
 * ascending; duplicates dropped, the first kept, so the order is that of
 * first appearance (point by point, the choices in lexicographic order of
 * rank).  c == 1: each point alone.  Returns *m * c indices (malloc'd).
 */
int32_t *groups_from_knn(const int32_t *idx, size_t n, int k, int c,
			 int centre, size_t *m, int threads);

#endif
