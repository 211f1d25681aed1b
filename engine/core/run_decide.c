/*
 * The decision (run_internal.h): fingerprint an instance's inputs, compute
 * its key, and say whether it is up to date (the lock file or a recorded
 * run says the workspace holds its outputs), restorable (the store holds
 * them) or to run; and the pre-pass that decides on threads what reads
 * only source files.
 */
#define _GNU_SOURCE	/* qsort_r */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "err.h"
#include "graph.h"
#include "key.h"
#include "kinds.h"
#include "run_internal.h"
#include "store.h"
#include "util.h"

void run_abspath(const struct graph *g, const char *rel, struct buf *out)
{
	buf_truncate(out, 0);
	if (rel[0] != '/') {
		buf_adds(out, g->workspace);
		buf_addc(out, '/');
	}
	if (strcmp(rel, "."))
		buf_adds(out, rel);
}

/*
 * Scan a source input or an output of the graph.  What graph_load saw of
 * it stands in for a new stat until the first stage starts: until then
 * only cairn has touched the workspace.
 */
int run_scan_path(const struct runner *r, const struct reader *rd,
		  const struct graph_path *gp, struct buf *p,
		  struct digest *out, int *missing)
{
	int64_t t = profile_now(rd->prof);
	uint64_t hashed = rd->scan->hashed;
	int rc;

	run_abspath(r->g, gp->path, p);
	if (!r->spawned && gp->seen < 0) {
		*missing = 1;
		errno = ENOENT;
		rc = err_errno(rd->err, "cannot read '%s'", p->data);
	} else {
		rc = scan_path_as(rd->scan, p->data,
				  !r->spawned && gp->seen > 0 ? &gp->st : NULL,
				  gp->hash == GRAPH_HASH_HDF5, out, missing,
				  rd->err);
	}
	if (rd->prof) {
		profile_add(rd->prof, PROF_SCAN, t, 1);
		rd->prof->hashed += rd->scan->hashed - hashed;
	}
	return rc;
}

size_t run_out_index(const struct graph_inst *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->nouts; i++)
		if (!strcmp(in->outs[i].name, name))
			return i;
	return in->nouts;
}

/* Outputs in name order: how run records list them. */
static int by_out_name(const void *a, const void *b, void *ctx)
{
	const struct graph_inst *in = ctx;

	return strcmp(in->outs[*(const size_t *)a].name,
		      in->outs[*(const size_t *)b].name);
}

void run_out_order(const struct graph_inst *in, size_t *ord)
{
	size_t i;

	for (i = 0; i < in->nouts; i++)
		ord[i] = i;
	qsort_r(ord, in->nouts, sizeof(*ord), by_out_name, (void *)in);
}

int run_forced(const struct runner *r, const struct graph_inst *in)
{
	size_t k;

	for (k = 0; k < r->o->nforce; k++)
		if (graph_inst_matches(in, r->o->force[k]))
			return 1;
	return 0;
}

struct found {
	const struct graph_inst *in;
	struct digest *outs;	/* in inst->outs order */
	int ok;
};

static int take_run(const struct store_run *run, void *ctx)
{
	struct found *f = ctx;
	size_t *ord, i;

	if (run->noutputs != f->in->nouts)
		return 0;
	ord = xcalloc(f->in->nouts + 1, sizeof(*ord));
	run_out_order(f->in, ord);
	for (i = 0; i < run->noutputs; i++)
		memcpy(f->outs[ord[i]].b, run->outputs[i].b, DIGEST_LEN);
	free(ord);
	f->ok = 1;
	return 0;
}

/*
 * Does the lock file's entry for in name key x->key, and does the
 * workspace hold the outputs it lists?  1 (x->out_d filled), 0 (no: decide
 * from the store), or SCAN_DEFER.
 */
static int lock_says(const struct runner *r, const struct reader *rd,
		     const struct graph_inst *in, struct ist *x, struct buf *p)
{
	const struct lock_known *e = x->locked;
	struct digest now;
	size_t k, j;
	int missing, rc;

	if (!digest_eq(&e->key, &x->key))
		return 0;
	for (k = 0; k < in->nouts; k++) {
		for (j = 0; j < e->nouts; j++)
			if (!strcmp(e->out_path[j], in->outs[k].path))
				break;
		if (j == e->nouts)
			return 0;
		x->out_d[k] = e->out_id[j];
		rc = run_scan_path(r, rd, &in->outs[k], p, &now, &missing);
		if (rc == SCAN_DEFER)
			return SCAN_DEFER;
		if (rc < 0 || !digest_eq(&now, &x->out_d[k]))
			return 0;
	}
	return 1;
}

/*
 * The first recorded run of x->key whose outputs the workspace holds (up
 * to date), or else the store (restorable); none: to run.  0, -1 with
 * rd->err set, or SCAN_DEFER.
 */
static int from_store(const struct runner *r, const struct reader *rd,
		      const struct graph_inst *in, struct ist *x,
		      struct buf *p)
{
	struct digest *runs = NULL, *now = NULL;
	size_t nruns = 0, j;
	int missing, rc = -1;

	if (store_action_runs(rd->s, &x->key, &runs, &nruns, rd->err))
		goto out;
	for (j = 0; j < nruns; j++) {
		struct found f = { in, x->out_d, 0 };
		struct store_object obj;
		size_t k;
		int have = 1, same = 1;

		if (store_get_run(rd->s, &runs[j], take_run, &f, rd->err) || !f.ok)
			continue;
		if (!now) {
			now = xcalloc(in->nouts + 1, sizeof(*now));
			for (k = 0; k < in->nouts; k++) {
				int e = run_scan_path(r, rd, &in->outs[k], p,
						      &now[k], &missing);
				if (e == SCAN_DEFER) {
					rc = e;
					goto out;
				}
				if (e < 0)
					memset(&now[k], 0, sizeof(now[k]));
			}
		}
		for (k = 0; k < in->nouts && same; k++)
			same = digest_eq(&now[k], &x->out_d[k]);
		if (same) {
			x->st = ST_UPTODATE;
			x->why = "up to date";
			rc = 0;
			goto out;
		}
		for (k = 0; k < in->nouts && have; k++)
			have = store_lookup(rd->s, &x->out_d[k], &obj) == 0;
		if (!have)
			continue;
		x->st = ST_RESTORED;
		x->why = "restorable from the store";
		x->run = runs[j];
		rc = 0;
		goto out;
	}
	x->st = ST_QUEUED;
	x->why = nruns ? "its recorded runs are gone from the store"
		       : "no run with this key";
	rc = 0;
out:
	free(runs);
	free(now);
	return rc;
}

int run_decide_stored(struct runner *r, size_t i)
{
	struct ist *x = &r->is[i];
	struct buf p = BUF_INIT;
	int rc;

	rc = from_store(r, &r->rd, &r->g->insts[i], x, &p);
	buf_release(&p);
	return rc < 0 ? -1 : 0;
}

void run_key(const struct runner *r, size_t i, struct buf *enc,
	     struct digest *key)
{
	const struct graph_inst *in = &r->g->insts[i];
	const char **env = xcalloc(in->stage->nenv + 1, sizeof(char *));
	struct key_inputs ki;
	size_t j;

	for (j = 0; j < in->stage->nenv; j++)
		env[j] = getenv(in->stage->env[j]);
	ki.deps = r->is[i].dep_d;
	ki.code = r->is[i].code_d;
	ki.env = env;
	ki.kind_version = in->stage->kdesc ? in->stage->kdesc->version : NULL;
	buf_truncate(enc, 0);
	key_compute(r->g, in, &ki, enc, key);
	free(env);
}

/*
 * Fingerprint inputs and compute the key; then decide.  0, -1 with
 * rd->err set, or SCAN_DEFER when a worker thread must leave it to the
 * runner.  Writes only r->is[i].
 */
int run_decide(const struct runner *r, const struct reader *rd, size_t i)
{
	const struct graph *g = r->g;
	const struct graph_inst *in = &g->insts[i];
	struct ist *x = &r->is[i];
	struct buf p = BUF_INIT, enc = BUF_INIT;
	int64_t t = 0, scanned = 0;
	size_t j, o;
	int missing, rc = -1, ls;

	for (j = 0; j < in->ndeps; j++) {
		const struct graph_path *d = &in->deps[j];
		const struct ist *up = d->from ? &r->is[d->from->index] : NULL;

		o = d->from ? run_out_index(d->from, d->from_out) : 0;
		if (up && o < d->from->nouts &&
		    !strcmp(d->from->outs[o].path, d->path)) {
			x->dep_d[j] = up->out_d[o];
			continue;
		}
		if ((rc = run_scan_path(r, rd, d, &p, &x->dep_d[j],
					&missing)) < 0) {
			if (rc == SCAN_DEFER)
				goto out;
			rc = -1;
			if (missing)
				err_set(rd->err, "input '%s' of '%s' is missing",
					d->path, in->name);
			goto out;
		}
	}
	for (j = 0; j < in->ncode; j++) {
		if ((rc = run_scan_path(r, rd, &in->code[j], &p,
					&x->code_d[j], &missing)) < 0)
			goto out;
	}
	t = profile_now(rd->prof);
	run_key(r, i, &enc, &x->key);
	profile_add(rd->prof, PROF_KEY, t, 1);
	/* The encoding is needed again to explain, or to record a run, which
	 * makes it again: at 10^6 instances, kept, it was 250 MB. */
	if (r->enc) {
		buf_release(&r->enc[i]);
		r->enc[i] = enc;
		buf_init(&enc);
	}
	rc = -1;
	/* The lock file says what this key made: when the workspace holds
	 * exactly that, it is up to date, with no store lookup. */
	t = profile_now(rd->prof);
	scanned = rd->prof ? rd->prof->ns[PROF_SCAN] : 0;
	if (x->locked && !in->stage->always_run && !run_forced(r, in) &&
	    (ls = lock_says(r, rd, in, x, &p)) != 0) {
		rc = ls == 1 ? 0 : ls;
		if (rc == 0) {
			x->st = ST_UPTODATE;
			x->why = "up to date";
			x->by_lock = 1;
		}
		goto out;
	}
	/* Past the lock file the store's runs are read, or the stage runs:
	 * run_begin first, which a worker thread leaves to the main one
	 * (it holds the runner const: the main thread's reader is the
	 * runner's own). */
	if (!r->begun && rd != &r->rd) {
		rc = SCAN_DEFER;
		goto out;
	}
	if (!r->begun && run_begin((struct runner *)r) < 0)
		goto out;

	if (in->stage->always_run || run_forced(r, in)) {
		x->why = in->stage->always_run ? "always_run" : "forced";
		x->st = ST_QUEUED;
		x->asked = 1;	/* it runs: no remote cache either */
		rc = 0;
		goto out;
	}
	rc = from_store(r, rd, in, x, &p);
out:
	if (t && rd->prof)
		profile_add(rd->prof, PROF_LOOKUP,
			    t + rd->prof->ns[PROF_SCAN] - scanned, 1);
	buf_release(&enc);
	buf_release(&p);
	return rc;
}

/*
 * The pre-pass: instances that read only source files (no other stage's
 * outputs) can be decided before anything runs, and independently of one
 * another, so they are decided on a few threads, each reading through a
 * store_reader of its own.  What a worker cannot do without writing (a
 * folder input to store) it leaves to the main loop.  In a large graph
 * most instances are of this kind, and a no-op run is mostly this.
 */
#define PREPASS_THREADS 4
#define PREPASS_MIN 256

struct prepass {
	const struct runner *r;
	size_t *list, n;
	atomic_size_t next;
};

struct worker {
	struct prepass *pp;
	struct store *s;
	struct scan scan;
	struct err err;
	struct profile prof;
};

static void *prepass_worker(void *arg)
{
	struct worker *w = arg;
	struct prepass *pp = w->pp;
	struct reader rd = { w->s, &w->scan, &w->err,
			     pp->r->o->prof ? &w->prof : NULL };
	size_t k;

	while ((k = atomic_fetch_add(&pp->next, 1)) < pp->n) {
		struct ist *x = &pp->r->is[pp->list[k]];
		if (run_decide(pp->r, &rd, pp->list[k]) == 0)
			x->decided = x->st;
		x->st = ST_WAIT;
	}
	store_idle(w->s);
	return NULL;
}

int run_prepass(struct runner *r)
{
	struct prepass pp;
	struct worker w[PREPASS_THREADS];
	pthread_t t[PREPASS_THREADS];
	int started[PREPASS_THREADS] = { 0 };
	size_t i, j, nt;
	int rc = 0;

	pp.r = r;
	pp.list = xcalloc(r->g->ninsts + 1, sizeof(size_t));
	pp.n = 0;
	atomic_init(&pp.next, 0);
	for (i = 0; i < r->g->ninsts; i++) {
		const struct graph_inst *in = &r->g->insts[i];
		int source = r->is[i].want;
		for (j = 0; j < in->ndeps && source; j++)
			source = !in->deps[j].from;
		if (source)
			pp.list[pp.n++] = i;
	}
	nt = r->cpus < PREPASS_THREADS ? (size_t)r->cpus : PREPASS_THREADS;
	if (pp.n < PREPASS_MIN || nt < 2) {
		free(pp.list);
		return 0;
	}
	for (i = 0; i < nt; i++) {
		memset(&w[i].prof, 0, sizeof(w[i].prof));
		w[i].pp = &pp;
		w[i].s = store_reader(r->s);
		scan_init_deferred(&w[i].scan, w[i].s);
	}
	for (i = 1; i < nt; i++)
		started[i] = pthread_create(&t[i], NULL, prepass_worker,
					    &w[i]) == 0;
	prepass_worker(&w[0]);
	for (i = 1; i < nt; i++)
		if (started[i])
			pthread_join(t[i], NULL);
	for (i = 0; i < nt; i++) {
		if (scan_merge(&r->scan, &w[i].scan, r->err) < 0)
			rc = -1;
		if (r->o->prof)
			profile_merge(r->o->prof, &w[i].prof, i > 0);
		store_close(w[i].s);
	}
	free(pp.list);
	return rc;
}
