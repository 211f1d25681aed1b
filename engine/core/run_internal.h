/*
 * run_internal.h: the state of one run (run.h), shared by the files that
 * carry it out, each one concept:
 *   run.c          run_graph: set up, run, check the outputs, the lock file
 *   run_sched.c    the scheduler: targets, edges and readiness, cores,
 *                  memory and GPUs, launching, the event loop, interrupts
 *   run_decide.c   the decision: up to date, restorable or to run (the
 *                  lock file, the store's runs), and its threaded pre-pass
 *   run_stage.c    a stage's command: started (or an earlier run's
 *                  cluster job adopted), then its outputs checked and
 *                  ingested
 *   run_store.c    the run's store: restores, records, batched commits
 *   run_progress.c what the run reports through its run_status
 *   run_edited.c   outputs edited since the last run: refused, or kept
 *                  in the store before they are replaced
 * Not part of cairn's interface: only these files include it.
 */
#ifndef CAIRN_RUN_INTERNAL_H
#define CAIRN_RUN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "idxheap.h"
#include "jobtab.h"
#include "lockfile.h"
#include "profile.h"
#include "run.h"
#include "run_status.h"
#include "scan.h"
#include "tmpclean.h"

struct exec_end;
struct exec_sub;
struct graph_path;

enum state {
	ST_WAIT,	/* not decided yet */
	ST_UPTODATE,	/* outputs in the workspace match a run */
	ST_RESTORED,	/* outputs materialised from the store */
	ST_QUEUED,	/* must run; waiting for a slot */
	ST_RUNNING,
	ST_DONE,	/* ran and recorded */
	ST_PLANNED,	/* dry run: would run */
	ST_PENDING,	/* dry run: waits for an upstream that would run */
	ST_FAILED,
	ST_BLOCKED,	/* an upstream failed */
};

/*
 * One instance's part in the run.  There is one per instance of the
 * graph (10^6 in a big sweep), so it holds nothing that can be had again
 * cheaply: the key's encoding is kept only for o->on_decide (runner.enc)
 * and made again to record a run (run_key); the log's path is made from
 * the instance's name (run_log_path); flags are bytes.
 */
struct ist {
	enum state st;
	enum state decided;	/* set by the pre-pass, taken by the loop */
	unsigned char want;
	unsigned char by_lock;	/* up to date as its lock entry says */
	unsigned char kept_job;	/* its cluster job is in the store's jobs */
	unsigned char ran_beside;	/* stages were running when it
					   settled */
	unsigned char asked;	/* the remote cache was asked about it (or
				   must not be: forced, always_run) */
	unsigned char cached;	/* restorable thanks to the remote cache */
	unsigned char has_run;	/* run is the run it recorded */
	unsigned char cleared;	/* its outputs were removed for its
				   command: its old lock entry describes
				   nothing */
	unsigned char has_log;	/* a log was named for its command */
	const char *why;
	struct digest key;
	struct digest *dep_d, *code_d, *out_d;	/* out_d in inst->outs order */
	unsigned *out_m;	/* the outputs' st_mode when stored (0: not) */
	/* ST_RESTORED: the run it restores; has_run: the run recorded. */
	struct digest run;
	long job;		/* the executor's id while running */
	int64_t start_ns;
	unsigned long long gpus;	/* bit mask of the GPUs it holds */
	const struct lock_known *locked;	/* its lock file entry */
	size_t spawned_before;	/* stages started when it settled */
	double secs;		/* its command's time, or its restore's */
	char *failure;		/* why its command failed (owned) */
};

/*
 * What decide reads through: the runner's store, scan and err, or a worker
 * thread's own (a store_reader, a deferred scan).
 */
struct reader {
	struct store *s;
	struct scan *scan;
	struct err *err;
	struct profile *prof;	/* the run's, a thread's, or NULL */
};


struct runner {
	struct graph *g;
	struct store *s;
	const struct run_opts *o;
	const struct run_status *st;
	struct run_result *res;
	struct err *err;
	struct scan scan;
	struct reader rd;	/* s, &scan, err */
	const struct executor *exec;
	struct lock_index lock;	/* the lock file as it was (n == 0: none) */
	struct ist *is;
	struct buf *enc;	/* o->on_decide: each key's encoding (else
				   NULL) */
	struct digest *digests;	/* every ist's dep_d, code_d, out_d */
	unsigned *modes;	/* every ist's out_m */
	struct buf envjson;	/* the environment fingerprint, JSON */
	size_t running;
	size_t spawned;		/* stages started: the graph's stat
				   snapshot is stale once one has */
	int stop;		/* a failure without -k: launch nothing more */
	double *dur;		/* st->eta: last recorded duration per
				   instance (s) */
	size_t total;		/* instances asked for */
	double left;		/* recorded seconds of what is still to run */
	/* Instance i's dependents are down[down_at[i] .. down_at[i + 1]),
	 * one entry per edge; waiting[i] counts its upstream edges not yet
	 * settled.  ready: to decide; queued: to run; run_idx: running. */
	size_t *down, *down_at, *waiting, *run_idx;
	struct idxheap ready, queued;
	/* Finished stages whose records are not committed yet. */
	size_t *unsaved, nunsaved;
	int64_t dirty_since;	/* when the writer was first seen open */
	/* The machine's resources and what running stages hold. */
	long cpus, cpus_used;
	uint64_t mem, mem_used;
	int ngpus;
	unsigned char gpu_busy[64];
	/* Instances found to run, waiting for the remote cache's answer
	 * (o->cache), asked about together; cache_off: it failed, and is
	 * not asked again; cache_why: "on remote 'NAME'". */
	size_t *asking, nasking;
	int cache_off;
	char *cache_why;
	struct jobtab jobs;	/* cluster jobs an earlier run left */
	struct tmpclean tmp;	/* temporary files a killed cairn left */
	int begun;		/* run_begin was called: its result in */
	int begin_rc;
};

/* ---- run.c ---- */

/* o->begin, once, on the main thread, before the run first reads the
 * store's runs or writes anything (the stat cache's updates are committed
 * first); the store's next read then sees what a gc did before it.  0,
 * or -1 with r->err (and again at every later call). */
int run_begin(struct runner *r);

/* ---- run_sched.c ---- */

/* Mark the instances asked for and everything upstream of them. */
int run_select(struct runner *r);
/* The machine's cores, memory and (when a stage wants one) GPUs. */
void run_resources(struct runner *r);
/* Each instance's upstream edges counted, the job slots, and those that
 * wait for nothing ready; run_sched_release frees them. */
void run_sched_init(struct runner *r);
void run_sched_release(struct runner *r);
/* Decide, restore, start and finish instances until nothing more can
 * happen (or an interrupt: running stages are stopped). */
void run_loop(struct runner *r);
/* The remote cache: whether it is to be asked about i (found to run),
 * and asking it about those waiting (r->asking), each then taken again. */
int run_cache_wants(const struct runner *r, size_t i);
void run_cache_ask(struct runner *r);

/* ---- run_decide.c ---- */

/* rel, relative to the workspace, as an absolute path in out. */
void run_abspath(const struct graph *g, const char *rel, struct buf *out);
/* Scan a source input or an output of the graph (scan_path_as). */
int run_scan_path(const struct runner *r, const struct reader *rd,
		  const struct graph_path *gp, struct buf *p,
		  struct digest *out, int *missing);
/* Index of the output named name in in->outs (in->nouts: none). */
size_t run_out_index(const struct graph_inst *in, const char *name);
/* Whether --force names in. */
int run_forced(const struct runner *r, const struct graph_inst *in);
/* ord[0..in->nouts): in's outputs in name order, as records list them. */
void run_out_order(const struct graph_inst *in, size_t *ord);
/* i's key and its encoding (into enc) from r->is[i]'s input digests, as
 * run_decide computed them. */
void run_key(const struct runner *r, size_t i, struct buf *enc,
	     struct digest *key);
/* Decide instance i into r->is[i]: 0, -1 with rd->err, or SCAN_DEFER. */
int run_decide(const struct runner *r, const struct reader *rd, size_t i);
/* Decide i again from the store alone, its key known (the remote cache
 * has just filled the store): 0, or -1 with r->err. */
int run_decide_stored(struct runner *r, size_t i);
/* Decide the instances that read only source files, on threads. */
int run_prepass(struct runner *r);

/* ---- run_stage.c ---- */

/* The path of i's log (WORKSPACE/.cairn/logs/NAME.log), into out. */
void run_log_path(const struct runner *r, size_t i, struct buf *out);
/* Start i's command: 0, 1 when an earlier run's job is adopted instead,
 * -1 with r->err. */
int run_spawn(struct runner *r, size_t i);
/* i's command ended: check, ingest, record (i is ST_DONE or ST_FAILED). */
void run_finish(struct runner *r, size_t i, const struct exec_end *end);
/* The executor submitted subs (exec->watch). */
void run_on_submitted(void *arg, const struct exec_sub *subs, size_t n);
/* After the run: an earlier run's jobs not needed are dropped. */
void run_drop_orphans(struct runner *r);

/* ---- run_store.c ---- */

/* A batch of records is committed within BATCH_NS of its first. */
#define BATCH_NS 250000000LL

/* The run's writer, opened when none is; NULL with r->err. */
struct store_writer *run_writer(struct runner *r);
/* Commit the writer's batch; -1 (its stages failed, reported). */
int run_commit(struct runner *r);
/* Materialise i's recorded outputs: 0, -1 with r->err, -2 with r->err
 * when the store cannot give them (the stage runs instead). */
int run_restore(struct runner *r, size_t i);
/* Record i's run (error: why it failed, or NULL; metrics its numbers). */
int run_record(struct runner *r, size_t i, const struct exec_end *end,
	       const char *error, const struct buf *metrics);

/* ---- run_edited.c ---- */

/* Before the loop (a real run): the outputs of the instances asked for
 * that differ from what the lock file says the last run made, and whose
 * bytes the store lacks.  Forced instances' (and after a killed run,
 * all) are stored and rooted first; the others refused, each said.  0
 * (go on), 1 (refused: nothing was changed), -1 with r->err. */
int run_edited(struct runner *r);

/* ---- run_progress.c ---- */

enum report {
	REP_UPTODATE,		/* "ok" */
	REP_WOULD_RESTORE,	/* "restore" (dry run) */
	REP_WOULD_RUN,		/* "run" (dry run) */
	REP_PENDING,		/* "pending" (dry run) */
	REP_RESTORED,		/* "restored" */
	REP_STARTED,		/* "running" */
	REP_ADOPTED,		/* "adopted" */
	REP_DONE,		/* "done" */
	REP_REMOTE,		/* "remote" (dry run: restorable from the
				   remote cache) */
};

/* Tell o->on_decide and the status of i. */
void run_report(struct runner *r, size_t i, enum report what);
/* i's command failed: why, and its log. */
void run_report_failed(struct runner *r, size_t i, const char *why);
/* i's command exited well, but i failed after (said through errors). */
void run_report_dropped(struct runner *r, size_t i);
/* The run is over: each instance's outcome, then ended. */
void run_report_ended(struct runner *r);
void run_hint(struct runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void run_error(struct runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void run_warning(struct runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The status wants an ETA: r->dur from the store's records. */
void run_durations(struct runner *r);

#endif
