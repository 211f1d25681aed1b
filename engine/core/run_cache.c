/*
 * The remote cache's part in a run (run.h, struct run_cache): the
 * instances found to run are asked about together, those ready at once in
 * one batch, before any of them starts.  In a run, what the remote gave
 * is decided again from the store, and restores like any recorded run; in
 * a dry run, a run the remote holds is taken as restorable from it, its
 * outputs known from the answer, so the keys downstream of it are known
 * too.  A remote that fails is said once and not asked again: the run
 * goes on without it.
 */
#include <stdlib.h>

#include "err.h"
#include "graph.h"
#include "interrupt.h"
#include "run_internal.h"
#include "util.h"

int run_cache_wants(const struct runner *r, size_t i)
{
	const struct run_cache *c = r->o->cache;

	return c && !r->cache_off && !r->is[i].asked &&
	       (r->o->dry_run ? c->probe != NULL : c->fetch != NULL);
}

/* A probe's answer for i: the remote run's outputs (name order) as i's. */
static void take_outputs(struct runner *r, size_t i,
			 const struct run_cache_ask *a)
{
	const struct graph_inst *in = &r->g->insts[i];
	size_t *ord = xcalloc(in->nouts + 1, sizeof(*ord)), k;

	run_out_order(in, ord);
	for (k = 0; k < in->nouts; k++)
		r->is[i].out_d[ord[k]] = a->outs[k];
	free(ord);
}

/* i's answer: its decision, for take() to act on. */
static void answered(struct runner *r, size_t i,
		     const struct run_cache_ask *a)
{
	struct ist *x = &r->is[i];

	x->decided = ST_QUEUED;
	if (!a || !a->found)
		return;
	if (r->o->dry_run) {
		take_outputs(r, i, a);
		x->decided = ST_RESTORED;
		x->cached = 1;
		x->why = r->cache_why;
		return;
	}
	if (run_decide_stored(r, i) < 0) {
		run_warning(r, "cannot read what remote '%s' gave for '%s' "
			       "(%s); running it",
			    r->o->cache->name, r->g->insts[i].name,
			    r->err->msg);
		x->why = "what the remote cache gave cannot be read";
	} else if (x->st == ST_RESTORED) {
		x->cached = 1;
		x->why = r->cache_why;
	}
	x->decided = x->st;
	x->st = ST_WAIT;
}

void run_cache_ask(struct runner *r)
{
	const struct run_cache *c = r->o->cache;
	size_t n = r->nasking, k;
	struct run_cache_ask *a = xcalloc(n + 1, sizeof(*a));
	struct err e;
	int rc = -2;

	r->nasking = 0;
	if (!r->cache_why) {
		struct buf b = BUF_INIT;

		buf_addf(&b, "%s remote '%s'",
			 r->o->dry_run ? "on" : "pulled from", c->name);
		r->cache_why = buf_detach(&b, NULL);
	}
	for (k = 0; k < n; k++) {
		const struct graph_inst *in = &r->g->insts[r->asking[k]];

		r->is[r->asking[k]].asked = 1;
		a[k].key = &r->is[r->asking[k]].key;
		a[k].nouts = in->nouts;
		a[k].outs = xcalloc(in->nouts + 1, sizeof(*a[k].outs));
	}
	/* The remote's writes go through a writer of their own: the run's
	 * batch is committed first (LMDB has one writer). */
	if (!r->stop && !interrupt_caught() && !r->cache_off &&
	    (r->o->dry_run || run_commit(r) == 0)) {
		memset(&e, 0, sizeof(e));
		rc = r->o->dry_run ? c->probe(c->ctx, a, n, &e)
				   : c->fetch(c->ctx, a, n, &e);
		if (rc < 0) {
			run_warning(r, "%s; running without remote '%s'", e.msg,
				    c->name);
			r->cache_off = 1;
		} else if (rc > 0) {
			run_warning(r, "%s", e.msg);
		}
	}
	for (k = 0; k < n; k++) {
		answered(r, r->asking[k], rc >= 0 ? &a[k] : NULL);
		idxheap_push(&r->ready, r->asking[k]);
		free(a[k].outs);
	}
	free(a);
}
