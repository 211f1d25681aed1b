/*
 * suggest.h: "did you mean" for mistyped commands, options, keys and
 * names, in its two spellings: a clause that ends a message ("unknown
 * param 'lrr'; did you mean 'lr'?") and a hint line of its own ("hint:
 * did you mean 'run'?").
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
 * The candidate closest to a word, offered one at a time (no array to
 * build): suggest_init, suggest_add for each candidate, then
 * suggest_pick or one of the texts, and suggest_release.
 */
struct suggest {
	const char *word;
	const char *pick;	/* the closest candidate so far, or NULL */
	size_t best;		/* its distance */
	int ties;		/* other names as close */
	char *text;		/* the last text made, or NULL */
};

/* Start a suggestion for word (kept by pointer: it must outlive s). */
void suggest_init(struct suggest *s, const char *word);
/* Offer a candidate (kept by pointer, as the pick may be it). */
void suggest_add(struct suggest *s, const char *cand);
/*
 * The candidate closest to the word, or NULL when none is close enough
 * (a distance of at most 1 for short words, a third of the length for
 * long ones) or two candidates are equally close.  The same name offered
 * twice is no tie.
 */
const char *suggest_pick(const struct suggest *s);
/*
 * "; did you mean 'PICK'?" to end a message with, or "" when there is no
 * pick.  Valid until the next text of s or suggest_release.
 */
const char *suggest_clause(struct suggest *s);
/*
 * "did you mean 'PREFIXPICK'?" for a hint line of its own (prefix such
 * as "--" or "store "), or NULL when there is no pick.  Valid as above.
 */
const char *suggest_hint(struct suggest *s, const char *prefix);
/* Free the text; s may be used again after suggest_init. */
void suggest_release(struct suggest *s);

/* suggest_pick over cands, which ends with NULL. */
const char *suggest(const char *word, const char *const *cands);

#endif
