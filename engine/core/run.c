/*
 * The run (run.h): decide each instance in topological order, materialise
 * what the store already has, run the rest through the executor (in
 * parallel up to the job limit), ingest and record what they made, then
 * rewrite the lock file.  This file sets the run up and concludes it; the
 * files named in run_internal.h carry it out.
 */
#include "executor.h"
#include "graph.h"
#include "interrupt.h"
#include "run_internal.h"
#include "store.h"
#include "util.h"

static int finished(enum state s)
{
	return s == ST_UPTODATE || s == ST_RESTORED || s == ST_DONE;
}

static void runner_init(struct runner *r, struct graph *g, struct store *s,
			const struct run_opts *o, const struct run_status *st,
			struct run_result *res, struct err *err)
{
	size_t i, ndig = 0, nmode = 0;

	memset(r, 0, sizeof(*r));
	memset(res, 0, sizeof(*res));
	r->g = g;
	r->s = s;
	r->o = o;
	r->st = st;
	r->res = res;
	r->err = err;
	r->is = xcalloc(g->ninsts + 1, sizeof(*r->is));
	/* Every instance's digests in one array, and its outputs' modes in
	 * another: four allocations an instance were 400,000 at 100,000. */
	for (i = 0; i < g->ninsts; i++) {
		ndig += g->insts[i].ndeps + g->insts[i].ncode + g->insts[i].nouts;
		nmode += g->insts[i].nouts;
	}
	r->digests = xcalloc(ndig + 1, sizeof(*r->digests));
	r->modes = xcalloc(nmode + 1, sizeof(*r->modes));
	for (i = 0, ndig = nmode = 0; i < g->ninsts; i++) {
		const struct graph_inst *in = &g->insts[i];
		struct ist *x = &r->is[i];

		x->dep_d = r->digests + ndig;
		x->code_d = x->dep_d + in->ndeps;
		x->out_d = x->code_d + in->ncode;
		x->out_m = r->modes + nmode;
		ndig += in->ndeps + in->ncode + in->nouts;
		nmode += in->nouts;
	}
	if (o->on_decide) {
		r->enc = xcalloc(g->ninsts + 1, sizeof(*r->enc));
		for (i = 0; i < g->ninsts; i++)
			buf_init(&r->enc[i]);
	}
	buf_init(&r->envjson);	/* filled when the first stage is recorded */
	run_resources(r);
	/* The executor is the caller's (ninja's injected runner): a dry run
	 * starts nothing and may pass none. */
	if (!o->exec && !o->dry_run)
		BUG("run_graph: no executor for a run that starts commands");
	r->exec = o->exec;
	r->unsaved = xcalloc(g->ninsts + 1, sizeof(size_t));
	tmpclean_init(&r->tmp);
	scan_init(&r->scan, s);
	r->rd.s = s;
	r->rd.scan = &r->scan;
	r->rd.err = err;
	r->rd.prof = o->prof;
}

int run_begin(struct runner *r)
{
	if (r->begun)
		return r->begin_rc;
	r->begun = 1;
	/* One write transaction at a time: the stat cache's first. */
	if (r->scan.w && scan_finish(&r->scan, r->err) < 0)
		r->begin_rc = -1;
	else if (r->o->begin && r->o->begin(r->o->begin_ctx, r->err) < 0)
		r->begin_rc = -1;
	store_idle(r->s);
	return r->begin_rc;
}

/*
 * Whether every instance asked for has a lock file entry, and none must
 * run whatever it says: then the run may well have nothing to do, and
 * o->begin waits until it has (run_begin).
 */
static int maybe_noop(const struct runner *r)
{
	size_t i;

	for (i = 0; i < r->g->ninsts; i++)
		if (r->is[i].want &&
		    (!r->is[i].locked || r->g->insts[i].stage->always_run ||
		     run_forced(r, &r->g->insts[i])))
			return 0;
	return 1;
}

static void runner_release(struct runner *r)
{
	size_t i;

	buf_release(&r->envjson);
	for (i = 0; i < r->g->ninsts; i++) {
		if (r->enc)
			buf_release(&r->enc[i]);
		free(r->is[i].failure);
	}
	free(r->enc);
	free(r->is);
	free(r->digests);
	free(r->modes);
	free(r->dur);
	free(r->unsaved);
	run_sched_release(r);
	lock_index_free(&r->lock);
	jobtab_free(&r->jobs);
	tmpclean_release(&r->tmp);
}

/*
 * Each instance's lock file entry.  The graph's instances by name and the
 * entries are both in strcmp order: one walk pairs them, where a binary
 * search per instance took 14 strcmp each at 10,000.
 */
static void lock_match(struct runner *r)
{
	const struct graph *g = r->g;
	const struct lock_index *x = &r->lock;
	size_t i = 0, k = 0;
	int c;

	if (!g->by_name) {
		for (i = 0; i < g->ninsts; i++)
			r->is[i].locked = lock_index_find(x, g->insts[i].name);
		return;
	}
	while (i < g->ninsts && k < x->n) {
		c = strcmp(g->by_name[i]->name, x->e[k].name);
		if (!c)
			r->is[g->by_name[i]->index].locked = &x->e[k];
		i += c <= 0;
		k += c >= 0;
	}
}

/*
 * Before the loop: the targets, the lock file's entries, the pre-pass,
 * the cluster jobs an earlier run left, the durations for an ETA, the
 * scheduler.  -1 with err.
 */
static int prepare(struct runner *r)
{
	const struct run_opts *o = r->o;
	struct graph *g = r->g;
	int64_t t;
	size_t i;

	if (run_select(r) < 0)
		return -1;
	for (i = 0; i < g->ninsts; i++)
		r->total += r->is[i].want;
	/* The lock file: what each instance's last key made. */
	t = profile_now(o->prof);
	if (o->lock_path && lock_index_load(o->lock_path, &r->lock) == 0)
		lock_match(r);
	profile_add(o->prof, PROF_LOCK, t, r->lock.n);
	if (!maybe_noop(r) && run_begin(r) < 0)
		return -1;
	if (run_prepass(r) < 0)
		return -1;
	/* Cluster jobs an earlier coordinator of this workspace left. */
	if (!o->dry_run && !o->status_only) {
		if (jobtab_load(&r->jobs, r->s, g->workspace, r->err) < 0)
			return -1;
		if (r->jobs.n && !r->exec->adopt)
			run_warning(r, "%zu cluster job%s of an earlier run %s "
				       "kept for this workspace; run with "
				       "--executor slurm to take %s over",
				    r->jobs.n, r->jobs.n == 1 ? "" : "s",
				    r->jobs.n == 1 ? "is" : "are",
				    r->jobs.n == 1 ? "it" : "them");
		if (r->exec->watch)
			r->exec->watch(r->exec->ctx, run_on_submitted, r);
	}
	if (r->st && r->st->eta)
		run_durations(r);
	run_sched_init(r);
	return 0;
}

/*
 * A stage may write where it did not say (another stage's output): each
 * output made, restored or found up to date while a stage ran or before
 * one started is checked again at the end.  One that changed is not what its record says:
 * it is left out of the lock file and runs again next time.
 */
static void outputs_kept(struct runner *r)
{
	struct buf p = BUF_INIT;
	struct digest now;
	size_t i, k, n = 0;
	int missing;

	for (i = 0; i < r->g->ninsts; i++) {
		const struct graph_inst *in = &r->g->insts[i];
		struct ist *x = &r->is[i];

		if (!finished(x->st) ||
		    (x->spawned_before == r->spawned && !x->ran_beside))
			continue;
		/* The stat cache's pages read for 10^6 outputs would all
		 * stay in this process's RSS. */
		if (++n % 1024 == 0)
			store_drop_pages(r->s);
		for (k = 0; k < in->nouts; k++) {
			if (run_scan_path(r, &r->rd, &in->outs[k], &p, &now,
					  &missing) == 0 &&
			    digest_eq(&now, &x->out_d[k]))
				continue;
			run_error(r, "output '%s' of '%s' changed after '%s' "
				     "%s it (another stage wrote it?); it runs "
				     "again next time",
				  in->outs[k].path, in->name, in->name,
				  x->st == ST_DONE	 ? "made"
				  : x->st == ST_RESTORED ? "restored"
							 : "checked");
			if (x->st == ST_DONE)
				r->res->ran--;
			else if (x->st == ST_RESTORED)
				r->res->restored--;
			else
				r->res->uptodate--;
			x->st = ST_FAILED;
			r->res->failed++;
			break;
		}
	}
	buf_release(&p);
}

/*
 * Every instance up to date as the lock file says, and the file has no
 * other entries: it would be written as it is.
 */
static int lock_as_read(const struct runner *r)
{
	size_t i, same = 0;

	if (r->lock.n != r->g->ninsts || r->res->failed || r->res->blocked)
		return 0;
	for (i = 0; i < r->g->ninsts; i++)
		same += r->is[i].by_lock;
	return same == r->g->ninsts;
}

/*
 * The lock file: an entry per instance that finished.  Unchanged, it is
 * left alone with its gc root; else the root is set first: when it cannot
 * be, the old file and its root stay as they were, and the run fails.
 */
static int write_lock(struct runner *r)
{
	const char *path = r->o->lock_path;
	struct graph *g = r->g;
	struct lock_entry *le = xcalloc(g->ninsts + 1, sizeof(*le));
	char *drop = xcalloc(g->ninsts + 1, 1);
	struct lock_text lt;
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < g->ninsts; i++) {
		/* A command that started and failed left its outputs removed
		 * or half made: the old entry would call them edited. */
		drop[i] = r->is[i].cleared && !finished(r->is[i].st);
		if (!finished(r->is[i].st))
			continue;
		le[n].inst = &g->insts[i];
		le[n].key = r->is[i].key;
		le[n].deps = r->is[i].dep_d;
		le[n].code = r->is[i].code_d;
		le[n].outs = r->is[i].out_d;
		n++;
	}
	tmpclean_beside(&r->tmp, path);
	lock_render(path, g, le, n, drop, &lt);
	if (!lock_unchanged(path, &lt) &&
	    (run_begin(r) < 0 || lock_set_root(path, r->s, &lt, r->err) < 0 ||
	     lock_write(path, &lt, r->err) < 0))
		rc = -1;
	lock_text_release(&lt);
	free(le);
	free(drop);
	return rc;
}

/*
 * After the loop: an earlier run's jobs not needed dropped, the outputs
 * checked again, the last batch committed, the lock file written.  The
 * run's code (run_graph).
 */
static int conclude(struct runner *r)
{
	const struct run_opts *o = r->o;
	const struct run_result *res = r->res;
	int64_t t;
	int rc = 0;

	if (r->jobs.n && r->exec->adopt && !interrupt_caught())
		run_drop_orphans(r);
	if (!o->dry_run && !interrupt_caught())
		outputs_kept(r);
	if (run_commit(r) < 0 && !res->failed)
		return -1;
	t = profile_now(o->prof);
	if (!lock_as_read(r) && !o->dry_run && o->lock_path &&
	    write_lock(r) < 0)
		rc = -1;
	profile_add(o->prof, PROF_LOCK, t, 0);
	if (!rc)
		rc = res->failed || res->blocked ? 1 : 0;
	if (interrupt_caught())
		rc = 130;
	return rc;
}

int run_graph(struct graph *g, struct store *s, const struct run_opts *o,
	      const struct run_status *st, struct run_result *res,
	      struct err *err)
{
	struct runner r;
	int rc = -1;

	runner_init(&r, g, s, o, st, res, err);
	interrupt_catch();
	if (prepare(&r) == 0 && (rc = run_edited(&r)) == 0) {
		run_loop(&r);
		rc = conclude(&r);
		run_report_ended(&r);	/* after conclude's checks */
	} else if (rc == 1) {
		run_report_ended(&r);	/* refused: each outcome "not run" */
	}
	interrupt_release();
	runner_release(&r);
	return rc;
}
