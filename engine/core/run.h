/*
 * run.h: executing a graph: for each instance in order, fingerprint its
 * inputs, compute its key, and decide: up to date (outputs in the
 * workspace match a recorded run), restorable (a recorded run's outputs
 * are in the store: materialise them), or run it (through the executor:
 * executor.h), then ingest its outputs and record the run.  Independent instances run in
 * parallel up to the job limit.  At the end the lock file is rewritten.
 */
#ifndef CAIRN_RUN_H
#define CAIRN_RUN_H

#include <stddef.h>

struct digest;
struct err;
struct executor;
struct graph;
struct graph_inst;
struct profile;
struct run_status;
struct store;

/*
 * A remote cache (cairn run --remote, status --remote), asked for what
 * the store lacks without the run knowing how it travels.  The run asks
 * about the instances it would otherwise run (not those forced or
 * always_run), a batch at a time: every instance that is ready and found
 * to run, before any of them starts (the first batch: every instance that
 * reads only source files; then those each wave of results made ready).
 */
struct run_cache_ask {
	const struct digest *key;	/* in: the instance's key */
	size_t nouts;		/* in: its outputs */
	struct digest *outs;	/* in: room for nouts; probe fills it: the
				   remote run's outputs, in name order (as
				   run records list them) */
	int found;		/* out: the remote holds a run of the key
				   under a trusted signature (fetch: the
				   store now holds it all) */
};

struct run_cache {
	const char *name;	/* the remote's, for messages */
	/*
	 * A run: fill the store with the runs the remote holds for
	 * a[0..n) and all they need; the run then restores them like any
	 * recorded run.  A dry run (-n, status): probe, storing nothing.
	 * Each returns 0; 1 with a warning in err (some downloads refused:
	 * those keys are not found, the others are); -1 with err when the
	 * remote fails (down, denied): the run says so and goes on without
	 * it, never asking again.  An untrusted record is not found, not an
	 * error.  Either may be NULL: not asked.
	 */
	int (*fetch)(void *ctx, struct run_cache_ask *a, size_t n,
		     struct err *err);
	int (*probe)(void *ctx, struct run_cache_ask *a, size_t n,
		     struct err *err);
	void *ctx;
};

struct run_opts {
	int jobs;			/* parallel processes (>= 1) */
	int keep_going;			/* -k: independent work goes on */
	int dry_run;			/* -n: decide and report only */
	int status_only;		/* cairn status: like dry_run, quiet */
	const char *const *force;	/* --force: stages or instances */
	size_t nforce;
	const char *const *targets;	/* stage, instance or glob; none: all */
	size_t ntargets;
	const char *lock_path;		/* the lock file to rewrite */
	/* How commands run (exec_local, exec_mux...); NULL only in a
	 * dry run, which starts nothing. */
	const struct executor *exec;
	int remote;			/* exec runs them elsewhere (a cluster):
					   this machine's cores, memory and
					   GPUs do not limit what starts */
	int no_adopt;			/* an earlier run's jobs still in the
					   queue are cancelled, not waited for */
	/* Told of every decision (explain): the state ("up to date",
	 * "restorable", "to run", "pending"), why, and the key's encoding
	 * (NULL for pending). */
	void (*on_decide)(const struct graph_inst *in, const char *state,
			  const char *why, const char *enc, size_t enclen,
			  void *ctx);
	void *ctx;
	const struct run_cache *cache;	/* a remote cache, or NULL */
	/* An earlier run was killed while its stages ran (it left
	 * .cairn/running): outputs that differ from the lock file may be
	 * its stages' work, so they are kept in the store and replaced,
	 * not refused as edited. */
	int killed_before;
	/* Called once, before the run first does what a gc running beside
	 * it could harm or what writes anything: reads the store's runs of a
	 * key, restores, starts a stage, records, sets the lock file's root.
	 * The command line writes the store's live mark there (and says in
	 * the workspace lock who holds it), so that a run with nothing to do
	 * writes nothing.  0, or -1 with err (the run fails).  NULL: none. */
	int (*begin)(void *ctx, struct err *err);
	void *begin_ctx;
	struct profile *prof;		/* --profile: phases timed, or NULL */
};

struct run_result {
	size_t ran, restored, uptodate, failed, blocked;
	/* A dry run: planned = would_run + would_restore + pending. */
	size_t planned, would_run, would_restore, pending;
	/* Of restored (a dry run: would_restore), those the remote cache
	 * gave: fetched into the store for this run (found by a probe). */
	size_t cached;
	/* Outputs found edited since the last run made them: kept in the
	 * store (kept), or refused: then nothing ran (edited > kept). */
	size_t edited, kept;
};

/*
 * Run (or with dry_run, plan) g against store s.  Progress, warnings and
 * errors go through st (run_status.h; NULL: nothing is said); run_graph
 * prints nothing.
 * Return 0 when everything asked for succeeded (or is up to date), 1 when
 * a stage failed or an output edited by hand would be replaced (nothing
 * is run or changed: res->edited > res->kept), 130 when interrupted (SIGINT, SIGTERM, SIGHUP: running
 * stages are terminated and nothing partial is recorded), -1 with err for
 * an error that stopped the run.
 */
int run_graph(struct graph *g, struct store *s, const struct run_opts *o,
	      const struct run_status *st, struct run_result *res,
	      struct err *err);

#endif
