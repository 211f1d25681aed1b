/*
 * exec_slurm.h: the Slurm executor.  Each stage command becomes a batch
 * job (sbatch --parsable), wrapped so that it writes its exit status to a
 * file in the workspace's .cairn/slurm/ folder: that file is the primary
 * signal.  Jobs started together are submitted at the next wait, those of
 * one stage as one array job.  One squeue call per poll covers every job in flight (the poll
 * backs off while nothing changes); a job that leaves the queue without
 * its status file is explained by `scontrol show job` (TIMEOUT,
 * NODE_FAIL, OUT_OF_MEMORY, CANCELLED...), which also goes into its log.
 * Submitted jobs are told to the run (watch), which keeps them in the
 * store; adopt takes over a job an earlier, dead coordinator left.
 * docs/slurm.md.
 */
#ifndef CAIRN_EXEC_SLURM_H
#define CAIRN_EXEC_SLURM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct err;
struct exec_sub;
struct executor;
struct graph;
struct slurm_job;

struct exec_slurm {
	const struct graph *g;
	char *dir;			/* WORKSPACE/.cairn/slurm */
	struct slurm_job *jobs;		/* in flight */
	size_t njobs, cap;
	uint64_t seq;
	int64_t next_poll_ns, poll_ns;	/* the backoff */
	char *sbatch, *squeue, *scancel, *scontrol;	/* the tools */
	void (*watch)(void *arg, const struct exec_sub *subs, size_t n);
	void *watch_arg;
	struct buf seen;		/* squeue of all this user's jobs, */
	int64_t seen_ns;		/* for adoption, and when taken */
};

/* Set e up to submit to Slurm (the tools must be on PATH, or under
 * $CAIRN_SLURM_BIN); 0, or -1 with err. */
int exec_slurm_open(struct exec_slurm *s, const struct graph *g,
		    struct executor *e, struct err *err);
void exec_slurm_close(struct exec_slurm *s);

#endif
