/*
 * noop.h: the proof that a run has nothing to do.  A run that found every
 * instance up to date as its lock file says, and changed nothing, writes
 * what that decision rested on: the context it ran in (the program, the
 * folder, the graph file as named, the store, the -p values), the values
 * of the environment variables its keys read, and what stat said of every
 * file it looked at (the graph file, the lock file, every source input,
 * code file and output, and the folders holding the outputs).  The next
 * run with the same context checks that proof first: when every path
 * still stats the same, the same decision would follow, and the run says
 * so without loading the graph.  Anything else (a path changed, missing
 * or racy, a different context, a damaged file) and the run decides in
 * full.  The format is in docs/lock-file.md ("The no-op proof").
 */
#ifndef CAIRN_NOOP_H
#define CAIRN_NOOP_H

#include <stddef.h>
#include <stdint.h>

#include "statmany.h"

struct buf;
struct graph;

/* A proof read back (noop_load): it points into data. */
struct noop_proof {
	unsigned char *data;
	size_t len;
	const char *context;
	const char *workspace;		/* absolute */
	size_t nenv, npaths, nnames;
	const unsigned char *env;	/* nenv (name, value) records */
	const unsigned char *paths;	/* npaths records */
	const unsigned char *names;	/* nnames NUL-terminated names */
};

/* The proof of graph file `file`: DIR/.cairn/noop-BASE beside it. */
void noop_path(const char *file, struct buf *out);

/* Read the proof at path: 0, or -1 when it is missing or not a whole,
 * well-formed proof (then there is none: nothing is said). */
int noop_load(const char *path, struct noop_proof *p);
void noop_release(struct noop_proof *p);

/*
 * Whether p still holds for context: the same context, the same
 * environment values, and every path stat-ed now (on threads) as it was.
 * *checked is how many paths were stat-ed.  1 or 0.
 */
int noop_holds(const struct noop_proof *p, const char *context,
	       size_t *checked);

/* Call fn with each instance name p lists, in the order the run that
 * wrote it reported them. */
void noop_names(const struct noop_proof *p,
		void (*fn)(const char *name, size_t i, size_t n, void *ctx),
		void *ctx);

/* What noop_record needs besides the graph. */
struct noop_record {
	const char *context;
	const char *graph_abs;		/* the graph file, absolute */
	const char *lock_abs;		/* its lock file, absolute */
	/* What stat said of each before the graph was read and before the
	 * run read the lock file. */
	const struct filestat *graph_st, *lock_st;
	const char *const *names;	/* in the order they were reported */
	size_t nnames;
	int64_t since_ns;		/* wall clock before the graph was
					   read: an entry changed less than
					   a second before it is racy */
};

/*
 * Write the proof for g at path (a new file renamed over the old), after
 * stat-ing every path again: 0 when written, 1 when g cannot have one
 * (a folder, a link, a code pattern, a path that changed since the run
 * looked at it, a racy time: why in *why, a static string), -1 when it
 * could not be written (errno set).
 */
int noop_record(const char *path, const struct graph *g,
		const struct noop_record *r, const char **why);

/* Remove the proof at path, and every proof in WORKSPACE/.cairn: a run
 * that starts to work there makes them stale. */
void noop_forget(const char *path, const char *workspace);

#endif
