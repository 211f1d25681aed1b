/*
 * exec_local.h: the local executor (executor.h): each job a process group
 * on this machine.
 */
#ifndef CAIRN_EXEC_LOCAL_H
#define CAIRN_EXEC_LOCAL_H

#include <signal.h>

#include "executor.h"

struct orphans;

/* The local executor: process groups on this machine. */
struct exec_local {
	sigset_t chld, old;
	struct orphans *running;	/* where jobs are recorded, or NULL */
};

/*
 * Set e up to run locally; SIGCHLD is blocked until exec_local_close.
 * Each job is a process group of its own whose first process dies with
 * this thread (PR_SET_PDEATHSIG; Linux), with only descriptors 0 (from
 * /dev/null), 1 and 2 (its log) open.
 */
void exec_local_open(struct exec_local *l, struct executor *e);
/* Record each job's process group in workspace's .cairn/running while
 * it runs (orphans.h), so that the next run can stop what a killed one
 * left; a job whose record cannot be written does not start.  The file
 * goes at exec_local_close when no job runs. */
void exec_local_record(struct exec_local *l, const char *workspace);
void exec_local_close(struct exec_local *l);

#endif
