/*
 * run_noop.h: cairn run's side of the no-op proof (core/noop.h).  Before
 * the graph is loaded, a run with nothing but the graph to go on (no
 * targets, --force, --remote, --json, -n or --executor) checks the proof
 * its last no-op left, and when it holds says each instance up to date
 * and is done.  A run that decides in full watches what it says (the
 * order instances are reported in, any warning), and when it changed
 * nothing writes the proof for the next.
 */
#ifndef CAIRN_RUN_NOOP_H
#define CAIRN_RUN_NOOP_H

#include <stddef.h>
#include <stdint.h>

#include "run_status.h"
#include "statmany.h"

struct buf;
struct cli;
struct graph;
struct profile;
struct run_result;

/* A run's view of its own proof. */
struct run_noop {
	char *path;		/* the proof's file (noop_path) */
	char *context;		/* the context this run is in */
	int64_t since_ns;	/* wall clock at the start */
	struct filestat graph_st, lock_st;
	int have_graph_st, have_lock_st;
	int held;		/* the proof held: the run was not decided
				   in full (and need not write it) */
	/* The watch over a full run's reports. */
	struct run_status watch;
	const struct run_status *inner;
	const char **names;	/* reported up to date, in order */
	size_t nnames, cap;
	int said;		/* warnings, errors, edits, anything run */
};

/* Set n up for graph file `file` before it is loaded: the context from
 * the executable, the folder, the file's name, the store named and the
 * -p values; the graph file's stat. */
void run_noop_init(struct run_noop *n, const struct cli *cli,
		   const char *file);
void run_noop_release(struct run_noop *n);

/*
 * The fast path: when the proof holds (and the workspace lock is free:
 * *lockfd then holds it), report every instance up to date through st,
 * fill res, and return 1; else 0, and the run decides in full.
 */
int run_noop_try(struct run_noop *n, const struct run_status *st,
		 struct run_result *res, struct profile *prof, int *lockfd);

/* Before a full run: what st must be wrapped in (the watch), and the
 * lock file's stat (lock: its path). */
const struct run_status *run_noop_watch(struct run_noop *n,
					const struct run_status *st,
					const char *lock);

/*
 * After a full run that ended with rc: when it found every instance up
 * to date by the lock file and changed nothing, write the proof (a
 * failure to write changes nothing: it is a cache).
 */
void run_noop_after(struct run_noop *n, const struct graph *g,
		    const char *lock, const struct run_result *res, int rc);

/* A run begins to work: every proof of the workspace is stale. */
void run_noop_forget(const struct run_noop *n, const char *workspace);

#endif
