/*
 * executor.h: how a stage's command gets run.  The run (run.c) decides
 * what must run and records what finished; an executor starts commands
 * and reports their ends.  The local executor (exec_local.c) runs them as
 * process groups on this machine; unit tests pass in a fake that runs
 * nothing, so the planner is tested without processes; a cluster
 * executor submits them as jobs.  A struct of function pointers and a
 * context pointer.
 */
#ifndef CAIRN_EXECUTOR_H
#define CAIRN_EXECUTOR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct graph_inst;

struct exec_job {
	const struct graph_inst *inst;	/* its resources, name, outputs */
	const char *cmd;		/* run by /bin/sh -c */
	const char *wdir;		/* absolute; exists */
	const char *log;		/* absolute: stdout and stderr; the
					   executor creates it */
	char *const *env;		/* NAME=VALUE, set over the environment */
	size_t nenv;
	const char *key;		/* the instance's key, hex: a cluster
					   executor keeps it with the job */
};

/* A job a cluster executor submitted: what to keep in the store to find
 * it again (rec, JSON, the executor's own) under its instance. */
struct exec_sub {
	long id;
	const char *rec;
	size_t n;
};

/* What adopt does with a job an earlier coordinator left. */
enum exec_adopt {
	ADOPT_WAIT,	/* finished well: take it; in flight: wait for it */
	ADOPT_CANCEL,	/* finished well: take it; in flight: cancel it */
	ADOPT_DROP,	/* not wanted: cancel it if in flight */
};

struct exec_end {
	long id;			/* as start gave it */
	int status;			/* as waitpid reports it */
	int64_t end_ns;			/* wall clock, CLOCK_REALTIME */
	long peak_rss_kib;
	double cpu_s;			/* user + system */
	/* A cluster executor's word on the job ("" when local): its
	 * scheduler, job id, node and final state. */
	char scheduler[16], job_id[48], node[64], state[32];
};

struct executor {
	void *ctx;
	/* Start job; *id names it in ends.  0, or -1 with err set. */
	int (*start)(void *ctx, const struct exec_job *job, long *id,
		     struct err *err);
	/* The next job to end: 1 with *end filled; 0 when timeout_ns passed
	 * first (timeout_ns < 0: no limit) or a signal arrived. */
	int (*wait)(void *ctx, int64_t timeout_ns, struct exec_end *end);
	/* Send sig to every process of job id. */
	void (*kill)(void *ctx, long id, int sig);
	/* The wall clock (ns since the epoch). */
	int64_t (*now)(void *ctx);

	/* Optional (a cluster executor's; NULL for the local one). */
	/* Call fn with the jobs submitted, as they are, before waiting. */
	void (*watch)(void *ctx,
		      void (*fn)(void *arg, const struct exec_sub *subs,
				 size_t n),
		      void *arg);
	/* Job's instance has rec from an earlier coordinator: 1 when the
	 * job is taken as this run's (*id set; its end will come), 0 when
	 * it is void (the job must start anew; it no longer runs). */
	int (*adopt)(void *ctx, const struct exec_job *job, const char *rec,
		     size_t n, enum exec_adopt how, long *id);
};

#endif
