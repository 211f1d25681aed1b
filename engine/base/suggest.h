/*
 * suggest.h: "did you mean" for mistyped commands, options and keys.
 */
#ifndef CAIRN_SUGGEST_H
#define CAIRN_SUGGEST_H

#include <stddef.h>

/*
 * Edit distance between a and b: insertions, deletions, substitutions and
 * transpositions of neighbours each count 1 (optimal string alignment).
 */
size_t edit_distance(const char *a, const char *b);

/*
 * The candidate closest to word, or NULL when none is close enough (a
 * distance of at most 1 for short words, a third of the length for long
 * ones) or two candidates are equally close.  cands ends with NULL.
 */
const char *suggest(const char *word, const char *const *cands);

#endif
