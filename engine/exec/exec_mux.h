/*
 * exec_mux.h: two executors as one, each stage to the one it names: the
 * cluster's by default, the local one for a stage that says
 * `executor = "local"` (a tiny stage kept off the queue).  Ids are told
 * apart by parity (local ids even, cluster ids odd).
 */
#ifndef CAIRN_EXEC_MUX_H
#define CAIRN_EXEC_MUX_H

#include "executor.h"

struct exec_mux {
	const struct executor *local, *remote;
	const char *dflt;		/* the default: "local" or "slurm" */
	size_t nlocal, nremote;		/* jobs in flight on each side */
	void (*watch)(void *arg, const struct exec_sub *subs, size_t n);
	void *watch_arg;
};

/* Set e up to route jobs between local and remote. */
void exec_mux_open(struct exec_mux *m, const struct executor *local,
		   const struct executor *remote, const char *dflt,
		   struct executor *e);

#endif
