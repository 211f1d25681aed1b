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

struct digest;
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
	double secs;		/* restored: how long the restore took;
				   finished: how long the command ran */
};

/* A decision that needs no command: the real run's up to date, or a dry
 * run's verdict. */
enum run_verdict {
	RUN_UPTODATE,		/* outputs in the workspace match a run */
	RUN_WOULD_RESTORE,	/* dry run: restorable from the store */
	RUN_WOULD_RUN,		/* dry run: to run */
	RUN_PENDING,		/* dry run: waits for an upstream to run */
};

/* How an instance ended, for outcome. */
enum run_end {
	RUN_END_UPTODATE,	/* "up to date" */
	RUN_END_RESTORED,	/* "restored" */
	RUN_END_RAN,		/* "ran": its command succeeded, recorded */
	RUN_END_FAILED,		/* "failed" */
	RUN_END_BLOCKED,	/* "blocked": an upstream failed */
	RUN_END_NOT_RUN,	/* "not run": never reached (a failure
				   without -k, an interrupt, a refusal) */
	RUN_END_WOULD_RESTORE,	/* "would restore" (dry run) */
	RUN_END_WOULD_RUN,	/* "would run" (dry run) */
	RUN_END_PENDING,	/* "pending" (dry run) */
};

/* Its word, as run --json says it. */
const char *run_end_word(enum run_end e);

struct run_outcome {
	const struct graph_inst *in;
	enum run_end end;
	const char *why;		/* failed: why; a dry run's: the
					   reason (else NULL) */
	const struct digest *key;	/* NULL when not computed */
	const struct digest *run;	/* the run recorded (ran, failed) or
					   restored; NULL: none */
	const struct digest *outs;	/* in->outs order: up to date,
					   restored, ran; else NULL */
	double secs;			/* ran, failed: the command's time;
					   restored: the restore's; else 0 */
	const char *log;		/* ran, failed: the log; else NULL */
};

/* An output found changed since the last run made it. */
struct run_edit {
	const struct graph_inst *in;
	const char *path;		/* the output's, as the graph says */
	const struct digest *now;	/* what the workspace holds */
	const struct digest *locked;	/* what the last run made */
	int kept;			/* 1: stored and rooted as root */
	const char *root;		/* kept: the root keeping it */
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
	/* What to do about the error just said: "--force 'a' ...". */
	void (*hint)(void *ctx, const char *msg);
	/* Once the run is over, before ended: each instance asked for, in
	 * the graph's order, as it ended (run --json). */
	void (*outcome)(void *ctx, const struct run_outcome *o);
	/* Before the run starts: an output changed since the last run
	 * made it (refused, or kept in the store first). */
	void (*edited)(void *ctx, const struct run_edit *e);
	/* in's command exited well but in failed after, for a reason said
	 * through error (an output missing, a bad metrics file, an input
	 * changed while it ran, a record not written): it runs no more.
	 * secs: how long its command ran. */
	void (*dropped)(void *ctx, const struct graph_inst *in, double secs);
};

#endif
