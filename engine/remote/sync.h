/*
 * sync.h: push and pull, the store's objects to and from a remote cache
 * (docs/remote.md): raw records (store.h) moved over the transport
 * (http.h) under the names docs/store-format.md, "Remote caches", gives
 * them, and the signed action records (action.h) that say what a stage
 * key made.
 *
 * push sends what some ids need in the store's crash-safe order (chunks,
 * chunk lists, inline blobs, trees, runs, then each run's action record
 * last), so a push killed at any instant never leaves a record on the
 * remote naming what the remote lacks.  What the store's remotes table
 * says the remote holds is not asked about again; the rest is asked about
 * top-down (action record, run, trees, blobs, chunks: whatever is there
 * holds all it names), in parallel.
 *
 * pull asks for stage keys' action records, takes only those a trusted
 * key signed (any other is a miss, never an error), and fetches what
 * their runs need top-down, storing it bottom-up through the store's
 * writer with the id each object must have: a wrong or truncated download
 * is refused and counted, never stored.  It fills the store; restoring
 * into the workspace is `cairn run`'s.
 *
 * Conventions as in store.h and http.h: every fallible call returns 0 or a
 * code (a SYNC_* below, a STORE_*, an HTTP_* or an errno value:
 * sync_strerror names any) with a complete message in err naming the
 * remote and the object.  One struct sync may be used by one thread at a
 * time.
 */
#ifndef CAIRN_SYNC_H
#define CAIRN_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

struct err;
struct remote_conf;
struct store;
struct store_run_refs;
struct sync;

enum {
	SYNC_READONLY = -30600,	/* push to a remote configured read_only */
	SYNC_NOKEY = -30599,	/* runs to push, and no sign_key (or one
				   that cannot be read) to sign their
				   action records */
	SYNC_REFUSED = -30598,	/* pull: downloads failed their checks
				   (refused, nothing of them stored) */
	SYNC_MISSING = -30597,	/* pull: the remote lacks an object that a
				   record it holds names */
	SYNC_INTERRUPTED = -30596,	/* a signal came (interrupt_catch):
					   stopped between requests, what was
					   whole kept */
};

/* A name for any code these calls return. */
const char *sync_strerror(int rc);

struct http_options;

/* The transport's options for remote c (http_options_init's defaults,
 * its url and credentials; o points at c's strings). */
void sync_http_options(const struct remote_conf *c, struct http_options *o);

/*
 * A client for remote c (its url, credentials, keys; c is copied) on
 * store s, whose runs' payloads name what refs finds (may be NULL; the
 * engine's: runrec_refs).  Opens no connection yet.  HTTP_BADARG with a
 * message for a url the transport refuses.  Close with sync_close.
 * sync_open_with: the transport's options o (from sync_http_options,
 * changed: a run waits less for a remote that is down).
 */
int sync_open(const struct remote_conf *c, struct store *s,
	      const struct store_run_refs *refs, struct sync **out,
	      struct err *err);
int sync_open_with(const struct remote_conf *c,
		   const struct http_options *o, struct store *s,
		   const struct store_run_refs *refs, struct sync **out,
		   struct err *err);
void sync_close(struct sync *y);

/* Where a push or pull stands, for progress lines. */
struct sync_progress {
	const char *phase;	/* "checking" (asking what the remote has),
				   "sending", "fetching" */
	size_t done, total;	/* requests of this phase */
	uint64_t bytes;		/* body bytes moved in this phase */
	uint64_t total_bytes;	/* bytes it will move, 0 when not known */
};

/* fn (NULL: none) is called as requests end and about every 100 ms while
 * transfers go on. */
void sync_on_progress(struct sync *y,
		      void (*fn)(const struct sync_progress *p, void *ctx),
		      void *ctx);

/* What a push or a pull did. */
struct sync_counts {
	size_t objects;		/* objects sent (push) or stored (pull) */
	uint64_t bytes;		/* their bytes on the wire */
	size_t present;		/* push: found on the remote when asked;
				   pull: already in the store */
	size_t known;		/* push: left out, the remotes table says
				   the remote holds them (what they name
				   not counted) */
	size_t actions;		/* action records sent (push) or taken
				   (pull) */
	size_t refused;		/* pull: downloads refused by their check */
	size_t missing;		/* pull: objects named but not on the
				   remote */
	size_t heads, gets, puts;	/* requests made */
};

/*
 * Push ids[0..n) (runs, blobs, trees, content ids) and everything they
 * need; a run that did not fail gets its action record, signed with the
 * remote's sign_key.  verify: ask the remote about every object (the
 * remotes table is not believed, nor is "holds all it names"), and send
 * what it lacks.  Marks what the remote now holds in the store's remotes
 * table.  SYNC_READONLY before anything is sent for a read_only remote;
 * SYNC_NOKEY when an action record is to be sent and there is no key;
 * STORE_NOTFOUND for an id the store lacks; a transport code when the
 * remote fails (down, denied: the message names the remote and object).
 * c (filled in all cases) says what was done.
 */
int sync_push(struct sync *y, const struct digest *ids, size_t n, int verify,
	      struct sync_counts *c, struct err *err);

/* What a pull is asked for. */
enum sync_as {
	SYNC_AS_KEY = 1,	/* a stage key: its action record */
	SYNC_AS_ID,		/* an object: a run, blob or tree */
	SYNC_AS_EITHER,		/* a key when the remote has a record for
				   it, else an object */
};

/* What became of it. */
enum sync_outcome {
	SYNC_PULLED = 1,	/* fetched and stored */
	SYNC_HERE,		/* the store had it already */
	SYNC_ABSENT,		/* the remote has nothing under that name */
	SYNC_UNTRUSTED,		/* the remote's action record is not signed
				   by a trusted key (or is malformed, or
				   answers another key): a miss */
	SYNC_FAILED,		/* what it needs was refused or missing */
};

struct sync_want {
	struct digest id;	/* in: the key or object id */
	enum sync_as as;	/* in */
	enum sync_outcome outcome;	/* out */
	struct digest run;	/* out, a key PULLED or HERE: the run its
				   action record names */
};

/*
 * Pull w[0..n) into the store, each want's outcome set.  Returns 0 when
 * every want is PULLED, HERE, ABSENT or UNTRUSTED; SYNC_REFUSED or
 * SYNC_MISSING (the first such message in err, with the count of the
 * others) when some failed, everything else pulled all the same; a
 * transport or store code when the remote or the store fails (then stops).
 * The caller keeps gc off what it stores meanwhile (store_live_begin).
 */
int sync_pull(struct sync *y, struct sync_want *w, size_t n,
	      struct sync_counts *c, struct err *err);

#endif
