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

struct err;
struct executor;
struct graph;
struct graph_inst;
struct run_status;
struct store;

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
};

struct run_result {
	size_t ran, restored, uptodate, failed, blocked;
	/* A dry run: planned = would_run + would_restore + pending. */
	size_t planned, would_run, would_restore, pending;
};

/*
 * Run (or with dry_run, plan) g against store s.  Progress, warnings and
 * errors go through st (run_status.h; NULL: nothing is said); run_graph
 * prints nothing.
 * Return 0 when everything asked for succeeded (or is up to date), 1 when
 * a stage failed, 130 when interrupted (SIGINT, SIGTERM, SIGHUP: running
 * stages are terminated and nothing partial is recorded), -1 with err for
 * an error that stopped the run.
 */
int run_graph(struct graph *g, struct store *s, const struct run_opts *o,
	      const struct run_status *st, struct run_result *res,
	      struct err *err);

#endif
