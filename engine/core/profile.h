/*
 * profile.h: where a command's time goes (cairn run --profile, status
 * --profile): each phase's wall time and a count of what it did, so that a
 * slow graph shows why.  A phase's time is added where the work is done;
 * work done on the pre-pass's threads is added up over those threads.
 * Every call takes a profile that may be NULL: then it costs a test.
 */
#ifndef CAIRN_PROFILE_H
#define CAIRN_PROFILE_H

#include <stdint.h>

struct buf;

enum profile_phase {
	PROF_PROOF,	/* the last no-op's proof checked: paths (noop.h) */
	PROF_PARSE,	/* the graph file parsed: bytes */
	PROF_EXPAND,	/* its stages read, matrices expanded: instances */
	PROF_CHECK,	/* edges, claims, order, paths stat-ed: instances */
	PROF_STORE,	/* the store opened (and its live mark): opens */
	PROF_SCAN,	/* inputs and outputs fingerprinted: paths */
	PROF_KEY,	/* stage keys computed: keys */
	PROF_LOOKUP,	/* keys against the lock file and the store: instances */
	PROF_SCHEDULE,	/* the event loop outside the other phases: events */
	PROF_COMMANDS,	/* waiting for running commands: commands ended */
	PROF_RESTORE,	/* outputs materialised from the store: instances */
	PROF_RECORD,	/* outputs ingested, runs recorded, commits: commits */
	PROF_LOCK,	/* the lock file read, compared, written: entries */
	PROF_N
};

struct profile {
	int64_t ns[PROF_N];	/* wall time in the phase */
	uint64_t n[PROF_N];	/* how much it did (see above) */
	uint64_t hashed;	/* of PROF_SCAN's paths, those read */
	int64_t threads_ns;	/* of ns[], what the pre-pass's threads
				   other than the main one did */
};

/* The monotonic clock in ns (0 when p is NULL: nothing is timed). */
int64_t profile_now(const struct profile *p);
/* Add the time since since (a profile_now) and n to phase ph; nothing
 * when p is NULL. */
void profile_add(struct profile *p, enum profile_phase ph, int64_t since,
		 uint64_t n);
/* Add from's times and counts to into's (a thread's to the run's); from's
 * times count in into->threads_ns too when thread is set. */
void profile_merge(struct profile *into, const struct profile *from,
		   int thread);
/* The phase's name as printed ("load", ... "lock"). */
const char *profile_name(enum profile_phase ph);
/*
 * The table --profile prints: a header, one line per phase (name, ms,
 * count, unit), then "other" (total_ns less the phases' time on the main
 * thread) and "total" (total_ns).
 */
void profile_write(const struct profile *p, int64_t total_ns,
		   struct buf *out);

#endif
