/*
 * Two executors as one: each job goes to the executor its stage names
 * (the graph's default otherwise); ids carry the side in their low bit.
 * While both have jobs in flight, the wait alternates between a look at
 * the cluster (no waiting) and a short wait on local children.
 */
#include <stdlib.h>
#include <string.h>

#include "exec_mux.h"
#include "graph.h"
#include "interrupt.h"
#include "util.h"

static int is_local(const struct exec_mux *m, const struct graph_inst *in)
{
	const char *x = in->stage->executor ? in->stage->executor : m->dflt;

	return !strcmp(x, "local");
}

static int64_t mux_now(void *ctx)
{
	struct exec_mux *m = ctx;

	return m->local->now(m->local->ctx);
}

static int mux_start(void *ctx, const struct exec_job *job, long *id,
		     struct err *err)
{
	struct exec_mux *m = ctx;
	int local = is_local(m, job->inst);
	const struct executor *e = local ? m->local : m->remote;
	long inner;

	if (e->start(e->ctx, job, &inner, err) < 0)
		return -1;
	*id = inner * 2 + !local;
	if (local)
		m->nlocal++;
	else
		m->nremote++;
	return 0;
}

static int wait_remote(struct exec_mux *m, int64_t timeout_ns,
		       struct exec_end *end)
{
	if (m->remote->wait(m->remote->ctx, timeout_ns, end) != 1)
		return 0;
	end->id = end->id * 2 + 1;
	m->nremote--;
	return 1;
}

static int wait_local(struct exec_mux *m, int64_t timeout_ns,
		      struct exec_end *end)
{
	if (m->local->wait(m->local->ctx, timeout_ns, end) != 1)
		return 0;
	end->id *= 2;
	m->nlocal--;
	return 1;
}

static int mux_wait(void *ctx, int64_t timeout_ns, struct exec_end *end)
{
	struct exec_mux *m = ctx;
	int64_t until;

	/* One side idle: the other waits as it would alone. */
	if (!m->nlocal)
		return wait_remote(m, timeout_ns, end);
	if (!m->nremote)
		return wait_local(m, timeout_ns, end);
	/* Both busy: the cluster's news without waiting, then the local
	 * processes' for a short while, so neither waits long on the
	 * other. */
	until = timeout_ns < 0 ? -1 : mux_now(m) + timeout_ns;
	for (;;) {
		int64_t slice = 20000000, t0, left;

		if (wait_remote(m, 0, end))
			return 1;
		if (interrupt_pending())
			return 0;	/* the run looks */
		t0 = mux_now(m);
		left = until < 0 ? slice : until - t0;
		if (left > slice)
			left = slice;
		if (left < 0)
			left = 0;
		if (wait_local(m, left, end))
			return 1;
		/* Back early with nothing: a signal; the run looks. */
		if (mux_now(m) - t0 < left * 9 / 10)
			return 0;
		if (until >= 0 && mux_now(m) >= until)
			return 0;
	}
}

static void mux_kill(void *ctx, long id, int sig)
{
	struct exec_mux *m = ctx;
	const struct executor *e = id & 1 ? m->remote : m->local;

	e->kill(e->ctx, id / 2, sig);
}

/* The cluster's submissions, with their ids as the mux gives them. */
static void mux_told(void *arg, const struct exec_sub *subs, size_t n)
{
	struct exec_mux *m = arg;
	struct exec_sub *mine = xcalloc(n ? n : 1, sizeof(*mine));
	size_t k;

	for (k = 0; k < n; k++) {
		mine[k] = subs[k];
		mine[k].id = subs[k].id * 2 + 1;
	}
	m->watch(m->watch_arg, mine, n);
	free(mine);
}

static void mux_watch(void *ctx,
		      void (*fn)(void *arg, const struct exec_sub *subs,
				 size_t n),
		      void *arg)
{
	struct exec_mux *m = ctx;

	m->watch = fn;
	m->watch_arg = arg;
	if (m->remote->watch)
		m->remote->watch(m->remote->ctx, mux_told, m);
}

/* A job an earlier coordinator left is the cluster's, wherever the stage
 * runs now. */
static int mux_adopt(void *ctx, const struct exec_job *job, const char *rec,
		     size_t n, enum exec_adopt how, long *id)
{
	struct exec_mux *m = ctx;
	long inner;

	if (!m->remote->adopt ||
	    !m->remote->adopt(m->remote->ctx, job, rec, n, how, &inner))
		return 0;
	*id = inner * 2 + 1;
	m->nremote++;
	return 1;
}

void exec_mux_open(struct exec_mux *m, const struct executor *local,
		   const struct executor *remote, const char *dflt,
		   struct executor *e)
{
	m->local = local;
	m->remote = remote;
	m->dflt = dflt;
	m->nlocal = m->nremote = 0;
	e->ctx = m;
	e->start = mux_start;
	e->wait = mux_wait;
	e->kill = mux_kill;
	e->now = mux_now;
	e->watch = mux_watch;
	e->adopt = mux_adopt;
}
