/*
 * run_status.h: what a run tells a person as it goes, as callbacks (like
 * ninja's Status): each instance as it is found up to date, restored,
 * started, finished or failed; warnings and errors.  run_graph calls
 * them and prints nothing itself: the command line's implementation
 * (engine/cli/status_term.c) prints them, a test records them.  Every
 * callback may be NULL (nothing said); ctx is passed to each.
 */
#ifndef CAIRN_RUN_STATUS_H
#define CAIRN_RUN_STATUS_H

#include <stddef.h>

struct graph_inst;

/* Where the run is, when an instance is reported. */
struct run_progress {
	size_t settled;		/* ran, restored, up to date, failed or
				   blocked */
	size_t total;		/* instances asked for */
	size_t restored;
	size_t running;
	double eta_s;		/* seconds still to run, from the recorded
				   durations (with eta); < 0: not known */
};

/* A decision that needs no command: the real run's up to date, or a dry
 * run's verdict. */
enum run_verdict {
	RUN_UPTODATE,		/* outputs in the workspace match a run */
	RUN_WOULD_RESTORE,	/* dry run: restorable from the store */
	RUN_WOULD_RUN,		/* dry run: to run */
	RUN_PENDING,		/* dry run: waits for an upstream to run */
};

struct run_status {
	/* in was decided (why: the reason, or NULL). */
	void (*decided)(void *ctx, const struct graph_inst *in,
			enum run_verdict v, const char *why,
			const struct run_progress *p);
	/* in's outputs were materialised from the store. */
	void (*restored)(void *ctx, const struct graph_inst *in,
			 const struct run_progress *p);
	/* in's command started; adopted: it is an earlier run's cluster
	 * job, taken over. */
	void (*started)(void *ctx, const struct graph_inst *in, int adopted,
			const struct run_progress *p);
	/* in's command succeeded and its run was recorded. */
	void (*finished)(void *ctx, const struct graph_inst *in,
			 const struct run_progress *p);
	/* in's command failed: why ("failed with exit status 2", "killed
	 * by signal 9"), and its log. */
	void (*failed)(void *ctx, const struct graph_inst *in,
		       const char *why, const char *log);
	/* A complete message, one line or more: "cannot restore 'x' ...". */
	void (*warning)(void *ctx, const char *msg);
	void (*error)(void *ctx, const char *msg);
	/* The run is over: nothing more is reported. */
	void (*ended)(void *ctx);
	/* Wants eta_s: the store's recorded durations are read for it. */
	int eta;
	void *ctx;
};

#endif
