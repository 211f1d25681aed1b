/*
 * why.h: why an instance would run, in words: its key's components
 * against those of its last recorded run ("param 'lr' 0.01 -> 0.1",
 * "code 'src/fit.py' changed"), or that run's failure ("last run failed
 * with exit 4"), or that it never ran; and outputs edited by hand, which
 * a run refuses to replace.  status and explain say the same.
 */
#ifndef CAIRN_WHY_H
#define CAIRN_WHY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"

struct err;
struct store;

/* A recorded run, as far as the reasons need it. */
struct why_run {
	struct digest id;
	char *instance;
	int64_t start_ns;
	int exit;		/* the command's exit status */
	char *error;		/* why it failed otherwise, or NULL */
	int ok;			/* exit 0 and no error */
	struct buf enc;		/* its key's encoding (empty: unknown) */
};

/* The recorded runs of one graph, newest first. */
struct why_history {
	struct why_run *v;
	size_t n;
};

/* Load the runs of graph from s (s NULL: none).  0, or a store code with
 * err set (h is then empty). */
int why_history_load(struct store *s, const char *graph,
		     struct why_history *h, struct err *err);
/* The newest run of instance, or NULL. */
const struct why_run *why_last(const struct why_history *h,
			       const char *instance);
void why_history_release(struct why_history *h);

/*
 * The components that differ between key encodings now and then, in
 * words, separated by ", " (at most max of them, then "and N more"),
 * appended to out.  How many differ, or -1 (nothing added) when either is
 * not a key encoding of this schema.
 */
int why_changes(struct buf *out, const char *now, size_t nlen,
		const char *then, size_t tlen, size_t max);

/*
 * The reason instance would run with key encoding enc, given what the
 * decision said (decided: "no run with this key" is the one refined):
 * "never run", "last run failed with exit 4", or the changes against its
 * last run.  Into out (truncated first).
 */
void why_reason(struct buf *out, const struct why_history *h,
		const char *instance, const char *enc, size_t len,
		const char *decided);

/*
 * Outputs paths[0..n) of instance, edited by hand since its last run made
 * them, in words: what `cairn run` does about them ("output 'out/x.txt'
 * edited by hand: 'cairn run' refuses to replace it; --force 'a' keeps it
 * in the store and replaces it").  Appended to out.
 */
void why_edited(struct buf *out, const char *instance,
		const char *const *paths, size_t n);

#endif
