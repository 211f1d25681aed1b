/*
 * The run: decide each instance in topological order, materialise what
 * the store already has, run the rest as local processes (in parallel up
 * to the job limit), ingest and record what they made, then rewrite the
 * lock file.  See run.h.
 */
#define _GNU_SOURCE	/* posix_spawn_file_actions_addchdir_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "beneath.h"
#include "buf.h"
#include "device.h"
#include "err.h"
#include "executor.h"
#include "graph.h"
#include "h5digest.h"
#include "idxheap.h"
#include "interp.h"
#include "interrupt.h"
#include "jobtab.h"
#include "json.h"
#include "key.h"
#include "kinds.h"
#include "lockfile.h"
#include "metrics.h"
#include "run.h"
#include "runrec.h"
#include "scan.h"
#include "stage_env.h"
#include "store.h"
#include "term.h"
#include "tmpclean.h"
#include "toml.h"
#include "util.h"
#include "version.h"

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

struct ist {
	int want;
	enum state st;
	const char *why;
	struct digest key;
	struct buf enc;
	struct digest *dep_d, *code_d, *out_d;	/* out_d in inst->outs order */
	unsigned *out_m;	/* the outputs' st_mode when stored (0: not) */
	struct digest from;	/* ST_RESTORED: the run it restores */
	long job;		/* the executor's id while running */
	int64_t start_ns;
	char *log;
	unsigned long long gpus;	/* bit mask of the GPUs it holds */
	enum state decided;	/* set by the pre-pass, taken by the loop */
	const struct lock_known *locked;	/* its lock file entry */
	int by_lock;		/* up to date as its lock entry says */
	int kept_job;		/* its cluster job is in the store's jobs */
	size_t spawned_before;	/* stages started when it settled */
	int ran_beside;		/* and some were running then */
};

/*
 * What decide reads through: the runner's store, scan and err, or a worker
 * thread's own (a store_reader, a deferred scan).
 */
struct reader {
	struct store *s;
	struct scan *scan;
	struct err *err;
};

struct runner {
	struct graph *g;
	struct store *s;
	const struct run_opts *o;
	struct term *t;
	struct run_result *res;
	struct err *err;
	struct scan scan;
	struct reader rd;	/* s, &scan, err */
	const struct executor *exec;
	struct lock_index lock;	/* the lock file as it was (n == 0: none) */
	struct ist *is;
	struct buf envjson;	/* the environment fingerprint, JSON */
	size_t running;
	size_t spawned;		/* stages started: the graph's stat
				   snapshot is stale once one has */
	int stop;		/* a failure without -k: launch nothing more */
	int tty;		/* progress as one updating line */
	double *dur;		/* last recorded duration per instance (s) */
	int line;		/* that line is on the screen */
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
	struct jobtab jobs;	/* cluster jobs an earlier run left */
	struct tmpclean tmp;	/* temporary files a killed cairn left */
};

static void abspath(const struct graph *g, const char *rel, struct buf *out)
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
static int scan_graph_path(const struct runner *r, const struct reader *rd,
			   const struct graph_path *gp, struct buf *p,
			   struct digest *out, int *missing)
{
	abspath(r->g, gp->path, p);
	if (!r->spawned && gp->seen < 0) {
		*missing = 1;
		errno = ENOENT;
		return err_errno(rd->err, "cannot read '%s'", p->data);
	}
	return scan_path_as(rd->scan, p->data,
			    !r->spawned && gp->seen > 0 ? &gp->st : NULL,
			    gp->hash == GRAPH_HASH_HDF5, out, missing, rd->err);
}

/* Index of output named name in in->outs. */
static size_t out_index(const struct graph_inst *in, const char *name)
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

static void out_order(const struct graph_inst *in, size_t *ord)
{
	size_t i;

	for (i = 0; i < in->nouts; i++)
		ord[i] = i;
	qsort_r(ord, in->nouts, sizeof(*ord), by_out_name, (void *)in);
}

/* Mark the instances asked for and everything upstream of them. */
static int select_targets(struct runner *r)
{
	struct graph *g = r->g;
	size_t i, j, k;

	for (i = 0; i < g->ninsts; i++) {
		r->is[i].want = !r->o->ntargets;
		for (k = 0; k < r->o->ntargets; k++)
			r->is[i].want |= graph_inst_matches(&g->insts[i],
							    r->o->targets[k]);
	}
	for (k = 0; k < r->o->ntargets; k++) {
		for (i = 0; i < g->ninsts; i++)
			if (graph_inst_matches(&g->insts[i], r->o->targets[k]))
				break;
		if (i == g->ninsts)
			return err_set(r->err, "no stage or instance matches "
					       "'%s'",
				       r->o->targets[k]);
	}
	/* Reverse topological order: a consumer marks its producers. */
	for (i = g->ninsts; i-- > 0;)
		if (r->is[i].want)
			for (j = 0; j < g->insts[i].ndeps; j++)
				if (g->insts[i].deps[j].from)
					r->is[g->insts[i].deps[j].from->index]
						.want = 1;
	return 0;
}

static int forced(const struct runner *r, const struct graph_inst *in)
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
	out_order(f->in, ord);
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
		rc = scan_graph_path(r, rd, &in->outs[k], p, &now, &missing);
		if (rc == SCAN_DEFER)
			return SCAN_DEFER;
		if (rc < 0 || !digest_eq(&now, &x->out_d[k]))
			return 0;
	}
	return 1;
}

/*
 * Fingerprint inputs and compute the key; then decide.  0, -1 with
 * rd->err set, or SCAN_DEFER when a worker thread must leave it to the
 * runner.  Writes only r->is[i].
 */
static int decide(const struct runner *r, const struct reader *rd, size_t i)
{
	const struct graph *g = r->g;
	const struct graph_inst *in = &g->insts[i];
	struct ist *x = &r->is[i];
	struct key_inputs ki;
	const char **env = xcalloc(in->stage->nenv + 1, sizeof(char *));
	struct digest *runs = NULL, *now = NULL;
	struct buf p = BUF_INIT;
	size_t nruns = 0, j, o;
	int missing, rc = -1, ls;

	for (j = 0; j < in->ndeps; j++) {
		const struct graph_path *d = &in->deps[j];
		const struct ist *up = d->from ? &r->is[d->from->index] : NULL;

		o = d->from ? out_index(d->from, d->from_out) : 0;
		if (up && o < d->from->nouts &&
		    !strcmp(d->from->outs[o].path, d->path)) {
			x->dep_d[j] = up->out_d[o];
			continue;
		}
		if ((rc = scan_graph_path(r, rd, d, &p, &x->dep_d[j],
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
		if ((rc = scan_graph_path(r, rd, &in->code[j], &p,
					  &x->code_d[j], &missing)) < 0)
			goto out;
	}
	for (j = 0; j < in->stage->nenv; j++)
		env[j] = getenv(in->stage->env[j]);
	ki.deps = x->dep_d;
	ki.code = x->code_d;
	ki.env = env;
	ki.kind_version = in->stage->kdesc ? in->stage->kdesc->version : NULL;
	key_compute(g, in, &ki, &x->enc, &x->key);
	rc = -1;
	/* The lock file says what this key made: when the workspace holds
	 * exactly that, it is up to date, with no store lookup. */
	if (x->locked && !in->stage->always_run && !forced(r, in) &&
	    (ls = lock_says(r, rd, in, x, &p)) != 0) {
		rc = ls == 1 ? 0 : ls;
		if (rc == 0) {
			x->st = ST_UPTODATE;
			x->why = "up to date";
			x->by_lock = 1;
		}
		goto out;
	}

	if (in->stage->always_run || forced(r, in)) {
		x->why = in->stage->always_run ? "always_run" : "forced";
		x->st = ST_QUEUED;
		rc = 0;
		goto out;
	}
	if (store_action_runs(rd->s, &x->key, &runs, &nruns, rd->err))
		goto out;
	/* The first recorded run whose outputs the workspace holds (up to
	 * date), or else the store (restorable). */
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
				int e = scan_graph_path(r, rd, &in->outs[k], &p,
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
		x->from = runs[j];
		rc = 0;
		goto out;
	}
	x->st = ST_QUEUED;
	x->why = nruns ? "its recorded runs are gone from the store"
		       : "no run with this key";
	rc = 0;
out:
	/* The key's encoding is needed again only to record a run or to
	 * explain: at 100,000 instances it is tens of megabytes. */
	if (!rc && !r->o->on_decide &&
	    (x->st == ST_UPTODATE || x->st == ST_RESTORED))
		buf_release(&x->enc);
	free(runs);
	free(now);
	free(env);
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
};

static void *prepass_worker(void *arg)
{
	struct worker *w = arg;
	struct prepass *pp = w->pp;
	struct reader rd = { w->s, &w->scan, &w->err };
	size_t k;

	while ((k = atomic_fetch_add(&pp->next, 1)) < pp->n) {
		struct ist *x = &pp->r->is[pp->list[k]];
		if (decide(pp->r, &rd, pp->list[k]) == 0)
			x->decided = x->st;
		x->st = ST_WAIT;
	}
	store_idle(w->s);
	return NULL;
}

static int prepass(struct runner *r)
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
		store_close(w[i].s);
	}
	free(pp.list);
	return rc;
}

static int commit_batch(struct runner *r);
static void report(struct runner *r, size_t i, const char *what);

/*
 * Materialise i's recorded outputs.  0; -1 with err when it may not (an
 * output's folder leads out of the workspace, the batch cannot be
 * committed, the workspace cannot be written); -2 with err when the store
 * could not give them (damaged or missing data: the caller runs the stage
 * instead).
 */
/*
 * The STORE_MODE_* bits of i's outputs as the run it restores recorded
 * them (outputs[].mode, docs/store-format.md); 0 where it says nothing
 * (records made before modes were kept).
 */
static void out_modes(struct runner *r, size_t i, unsigned *modes)
{
	const struct graph_inst *in = &r->g->insts[i];
	const struct json *outs;
	struct runrec rr;
	struct err ignore;
	size_t j, k;

	if (runrec_load(r->s, &r->is[i].from, &rr, &ignore))
		return;
	outs = runrec_get(&rr, "outputs");
	for (j = 0; outs && outs->type == JSON_ARRAY && j < outs->u.array.n;
	     j++) {
		const char *name = json_str(outs->u.array.v[j], "name");
		const char *mode = json_str(outs->u.array.v[j], "mode");
		for (k = 0; name && mode && k < in->nouts; k++)
			if (!strcmp(in->outs[k].name, name))
				modes[k] = store_mode_of(
					S_IFREG | (unsigned)strtoul(mode, NULL, 8));
	}
	runrec_release(&rr);
}

static int restore(struct runner *r, size_t i)
{
	struct graph *g = r->g;
	struct graph_inst *in = &g->insts[i];
	struct buf p = BUF_INIT;
	unsigned *modes;
	size_t k;
	int rc = 0;

	/* Materialising reads the store: it must see this run's records. */
	if (r->nunsaved && commit_batch(r) < 0)
		return -1;
	modes = xcalloc(in->nouts + 1, sizeof(*modes));
	out_modes(r, i, modes);
	for (k = 0; k < in->nouts && !rc; k++) {
		struct digest now;
		int missing;

		if (beneath_folders(g->workspace, in->outs[k].path, in->name,
				    r->err) < 0) {
			rc = -1;
			break;
		}
		if (scan_graph_path(r, &r->rd, &in->outs[k], &p, &now,
				    &missing) == 0 &&
		    digest_eq(&now, &r->is[i].out_d[k]))
			continue;
		tmpclean_beside(&r->tmp, p.data);
		mkdir_p(p.data, 1);
		rc = store_materialize(r->s, &r->is[i].out_d[k], p.data,
				       modes[k], r->err);
		/* Damaged or gone: a miss.  The workspace refusing the
		 * write (a full disk) is not mended by running the stage. */
		if (rc)
			rc = rc == STORE_CORRUPT || rc == STORE_NOTFOUND ? -2
									 : -1;
	}
	free(modes);
	buf_release(&p);
	return rc;
}

static void started(struct runner *r, size_t i)
{
	r->is[i].start_ns = r->exec->now(r->exec->ctx);
	r->is[i].st = ST_RUNNING;
	r->running++;
	r->spawned++;
}

/* The run's writer, opened when none is. */
static struct store_writer *writer(struct runner *r)
{
	if (!r->scan.w && store_writer_new(r->s, &r->scan.w, r->err))
		return NULL;
	return r->scan.w;
}

/*
 * Instance i may have a cluster job an earlier, dead coordinator left
 * (r->jobs): the executor takes it over (1: i runs as that job), or it is
 * void and its record goes (0: i starts anew).  -1: a store error.
 */
static int adopt(struct runner *r, size_t i, const struct exec_job *job)
{
	const char *name = r->g->insts[i].name, *rec;
	struct store_writer *w;
	size_t n;

	if (!(rec = jobtab_find(&r->jobs, name, &n)) || !r->exec->adopt)
		return 0;
	if (r->exec->adopt(r->exec->ctx, job, rec, n,
			   r->o->no_adopt ? ADOPT_CANCEL : ADOPT_WAIT,
			   &r->is[i].job)) {
		r->is[i].kept_job = 1;
		started(r, i);
		report(r, i, "adopted");
		return 1;
	}
	if (!(w = writer(r)) ||
	    jobtab_forget(w, r->g->workspace, name, r->err) < 0)
		return -1;
	return 0;
}

/*
 * After the run: the jobs an earlier run left for instances that turned
 * out up to date or restored are not wanted (cancelled if they still
 * run) and forgotten.  Those of instances this run did not reach stay.
 */
static void drop_orphans(struct runner *r)
{
	struct exec_job job;
	char key[DIGEST_HEX + 1];
	size_t i, n;
	long id;

	for (i = 0; i < r->g->ninsts; i++) {
		const struct graph_inst *in = &r->g->insts[i];
		const char *rec;
		if ((r->is[i].st != ST_UPTODATE &&
		     r->is[i].st != ST_RESTORED) ||
		    !(rec = jobtab_find(&r->jobs, in->name, &n)))
			continue;
		memset(&job, 0, sizeof(job));
		digest_hex(&r->is[i].key, key);
		job.inst = in;
		job.key = key;
		job.log = "/dev/null";
		r->exec->adopt(r->exec->ctx, &job, rec, n, ADOPT_DROP, &id);
		if (!writer(r) ||
		    jobtab_forget(r->scan.w, r->g->workspace, in->name,
				  r->err) < 0)
			return;
	}
}

/* The executor submitted subs: kept in the store before any wait, so a
 * coordinator that dies leaves them to the next run. */
static void on_submitted(void *arg, const struct exec_sub *subs, size_t n)
{
	struct runner *r = arg;
	struct store_writer *w = writer(r);
	size_t k, q;

	for (k = 0; w && k < n; k++)
		for (q = 0; q < r->running; q++) {
			size_t i = r->run_idx[q];
			if (r->is[i].job != subs[k].id)
				continue;
			if (jobtab_keep(w, r->g->workspace, r->g->insts[i].name,
					subs[k].rec, subs[k].n, r->err) < 0)
				w = NULL;
			else
				r->is[i].kept_job = 1;
			break;
		}
	if (!w || commit_batch(r) < 0)
		term_error(r->t, "cannot keep the submitted jobs in the store: "
				 "%s", r->err->msg);
}

/*
 * Digest input j of instance i as it is now, the way its id was taken (an
 * input another stage made is digested as that output is).
 */
static int input_now(struct runner *r, size_t i, size_t j, struct digest *now,
		     struct err *err)
{
	const struct graph_inst *in = &r->g->insts[i];
	const struct graph_path *d = &in->deps[j];
	size_t o = d->from ? out_index(d->from, d->from_out) : 0;
	int hdf5 = d->hash == GRAPH_HASH_HDF5, missing;
	struct buf p = BUF_INIT;
	int rc;

	if (d->from && o < d->from->nouts &&
	    !strcmp(d->from->outs[o].path, d->path))
		hdf5 = d->from->outs[o].hash == GRAPH_HASH_HDF5;
	abspath(r->g, d->path, &p);
	rc = scan_path_as(&r->scan, p.data, NULL, hdf5, now, &missing, err);
	buf_release(&p);
	return rc;
}

/*
 * Are i's inputs (source files and other stages' outputs alike) still what
 * its key was computed from?  0, or 1 with "input 'x' of 'i' changed WHEN"
 * in err: its record would be a lie.  The stat cache makes this a stat per
 * input for files not written lately.
 */
static int inputs_changed(struct runner *r, size_t i, const char *when,
			  struct err *err)
{
	const struct graph_inst *in = &r->g->insts[i];
	struct digest now;
	struct err why;
	size_t j;

	for (j = 0; j < in->ndeps; j++) {
		if (input_now(r, i, j, &now, &why) == 0 &&
		    digest_eq(&now, &r->is[i].dep_d[j]))
			continue;
		err_set(err, "input '%s' of '%s' changed %s%s%s%s; nothing was "
			     "recorded",
			in->deps[j].path, in->name, when,
			in->deps[j].from ? " (it is an output of '" : "",
			in->deps[j].from ? in->deps[j].from->name : "",
			in->deps[j].from ? "')" : "");
		return 1;
	}
	return 0;
}

/*
 * Start an instance's command through the executor: its outputs removed
 * and their folders made, its log, params file, wdir and environment
 * (CAIRN_STAGE, CAIRN_PARAMS_FILE, CAIRN_WORKSPACE, CAIRN_IN_*,
 * CAIRN_OUT_*, CUDA_VISIBLE_DEVICES) prepared.
 */
static int spawn(struct runner *r, size_t i)
{
	struct graph *g = r->g;
	struct graph_inst *in = &g->insts[i];
	struct ist *x = &r->is[i];
	struct buf p = BUF_INIT, params = BUF_INIT, wd = BUF_INIT, name = BUF_INIT;
	char **vars = NULL;
	struct err why;
	struct buf cmdline = BUF_INIT;
	struct exec_job job;
	size_t k, nvars = 0;
	struct stat st;
	char key[DIGEST_HEX + 1];
	int rc = -1;

	memset(&job, 0, sizeof(job));

	buf_addf(&p, "%s/.cairn/logs/", g->workspace);
	stage_file_name(&p, in->name);
	buf_adds(&p, ".log");
	mkdir_p(p.data, 1);
	x->log = xstrdup(p.data);
	digest_hex(&x->key, key);
	job.inst = in;
	job.log = x->log;
	job.key = key;
	if (r->jobs.n && (rc = adopt(r, i, &job)) != 0)
		goto out;	/* taken over (1), or a store error (-1) */
	rc = -1;
	/* What its key was computed from must still be there. */
	if (inputs_changed(r, i, "since its key was computed", r->err))
		goto out;
	for (k = 0; k < in->nouts; k++) {
		if (beneath_folders(g->workspace, in->outs[k].path, in->name,
				    r->err) < 0)
			goto out;
		abspath(g, in->outs[k].path, &p);
		tmpclean_beside(&r->tmp, p.data);
		remove_tree(p.data);
		mkdir_p(p.data, 1);
	}
	if (stage_params_file(g, in, g->workspace, &params, r->err) < 0)
		goto out;
	abspath(g, in->wdir, &wd);
	if (stat(wd.data, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(r->err, "cannot start '%s': its wdir '%s' is not a "
				"folder",
			in->name, wd.data);
		goto out;
	}
	vars = stage_env(in, g->workspace, params.data, &nvars);
	if (in->stage->gpus > 0) {
		/* GPUs are handed out one per stage, never shared. */
		buf_truncate(&name, 0);
		buf_adds(&name, "CUDA_VISIBLE_DEVICES=");
		for (k = 0; k < 64; k++)
			if (x->gpus & (1ull << k))
				buf_addf(&name, "%s%zu",
					 name.data[name.len - 1] == '=' ? "" : ",",
					 k);
		vars = xrealloc(vars, (nvars + 2) * sizeof(char *));
		vars[nvars++] = xstrdup(name.data);
	}
	if (stage_command(in, g->workspace, &cmdline, r->err) < 0)
		goto out;
	job.inst = in;
	job.cmd = cmdline.data;
	job.wdir = wd.data;
	job.log = x->log;
	job.env = vars;
	job.nenv = nvars;
	if (r->exec->start(r->exec->ctx, &job, &x->job, &why) < 0) {
		err_set(r->err, "cannot start '%s': %s", in->name, why.msg);
		goto out;
	}
	started(r, i);
	rc = 0;
out:
	for (k = 0; k < nvars; k++)
		free(vars[k]);
	free(vars);
	buf_release(&p);
	buf_release(&params);
	buf_release(&wd);
	buf_release(&name);
	buf_release(&cmdline);
	return rc;
}

static void show_tail(struct runner *r, const char *log)
{
	FILE *f = fopen(log, "re");
	char *lines[10] = { 0 }, line[512];
	int n = 0, k;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		free(lines[n % 10]);
		lines[n % 10] = xstrdup(line);
		n++;
	}
	fclose(f);
	for (k = n > 10 ? n - 10 : 0; k < n; k++) {
		fprintf(stderr, "  | %s", lines[k % 10]);
		if (!strchr(lines[k % 10], '\n'))
			fputc('\n', stderr);
	}
	for (k = 0; k < 10; k++)
		free(lines[k]);
	(void)r;
}

/* ---- resources ---- */

static long stage_cpus(const struct graph_inst *in)
{
	return in->stage->cpus > 0 ? in->stage->cpus : 1;
}

/* Does in fit now (or, with empty, on an idle machine)? */
static int fits(const struct runner *r, const struct graph_inst *in, int empty)
{
	int free_gpus = 0, k;

	if (r->o->remote)
		return 1;	/* the scheduler places it, not this machine */
	for (k = 0; k < r->ngpus; k++)
		free_gpus += empty || !r->gpu_busy[k];
	if (stage_cpus(in) > r->cpus)
		return 0;
	if (!empty && r->cpus_used && r->cpus_used + stage_cpus(in) > r->cpus)
		return 0;
	if (in->stage->mem && r->mem &&
	    in->stage->mem + (empty ? 0 : r->mem_used) > r->mem)
		return 0;
	return in->stage->gpus <= free_gpus;
}

static const char *need_text(const struct runner *r,
			     const struct graph_inst *in, char buf[160])
{
	snprintf(buf, 160,
		 "%d cpus, %llu MiB, %d gpus; the machine has %ld cpus, %llu "
		 "MiB, %d gpus",
		 (int)stage_cpus(in),
		 (unsigned long long)(in->stage->mem >> 20), in->stage->gpus,
		 r->cpus, (unsigned long long)(r->mem >> 20), r->ngpus);
	return buf;
}

/* Take in's resources; its GPUs are the lowest free ones. */
static void hold(struct runner *r, size_t i)
{
	const struct graph_inst *in = &r->g->insts[i];
	int k, want = in->stage->gpus;

	r->cpus_used += stage_cpus(in);
	r->mem_used += in->stage->mem;
	r->is[i].gpus = 0;
	for (k = 0; k < r->ngpus && want > 0; k++)
		if (!r->gpu_busy[k]) {
			r->gpu_busy[k] = 1;
			r->is[i].gpus |= 1ull << k;
			want--;
		}
}

static void release(struct runner *r, size_t i)
{
	const struct graph_inst *in = &r->g->insts[i];
	int k;

	r->cpus_used -= stage_cpus(in);
	r->mem_used -= in->stage->mem;
	for (k = 0; k < r->ngpus; k++)
		if (r->is[i].gpus & (1ull << k))
			r->gpu_busy[k] = 0;
	r->is[i].gpus = 0;
}

/*
 * Commit the run's writer: stat cache updates and the records of the
 * stages finished since the last commit.  Committing once per stage would
 * cost a disk flush per stage; a batch is committed within BATCH_NS of its
 * first record, before a restore reads the store, and at the end.  If the
 * commit fails, the batch's stages are failed: nothing recorded them.
 */
#define BATCH_NS 250000000LL

static int commit_batch(struct runner *r)
{
	size_t k;
	int rc = 0;

	if (r->scan.w && scan_finish(&r->scan, r->err) < 0) {
		term_error(r->t, "cannot record %zu finished stage%s: %s",
			   r->nunsaved, r->nunsaved == 1 ? "" : "s",
			   r->err->msg);
		for (k = 0; k < r->nunsaved; k++) {
			r->is[r->unsaved[k]].st = ST_FAILED;
			r->res->ran--;
			r->res->failed++;
		}
		r->stop = 1;
		rc = -1;
	}
	r->nunsaved = 0;
	r->dirty_since = 0;
	return rc;
}

static void fingerprint(struct runner *r);

/* The stage exited: check, ingest, record. */
/*
 * Write the run record of instance i into the run's writer: its key,
 * inputs (deps then code), outputs (by name; none for a failed run), and
 * the payload: graph, instance, command, exit status (and the signal or
 * the error for a failure), metrics, times, peak memory, CPU time, log,
 * the environment fingerprint and the key's encoding.  A failed run is never
 * found by its key (store_run.failed), only by id, lineage and history.
 */
static int record(struct runner *r, size_t i, const struct exec_end *end,
		  const char *error, const struct buf *metrics)
{
	const struct graph_inst *in = &r->g->insts[i];
	struct ist *x = &r->is[i];
	int status = end->status, ok = !error;
	struct buf payload = BUF_INIT;
	struct digest *outs_sorted, *ins, logid, runid;
	size_t *ord, k, nin;
	struct store_writer *w;
	struct store_run run;
	char hex[DIGEST_HEX + 1];
	int rc = -1;

	/* Records go into the run's one writer (LMDB has one write lock per
	 * store), committed in batches by commit_batch. */
	if (!r->scan.w && store_writer_new(r->s, &r->scan.w, r->err))
		return -1;
	w = r->scan.w;
	outs_sorted = xcalloc(in->nouts + 1, sizeof(*outs_sorted));
	ord = xcalloc(in->nouts + 1, sizeof(*ord));
	nin = in->ndeps + in->ncode;
	ins = xcalloc(nin + 1, sizeof(*ins));
	if (store_put_file(w, x->log, NULL, &logid, r->err))
		goto out;
	/* The environment fingerprint is taken once, when first needed (a
	 * no-op run never pays for it). */
	if (!r->envjson.len)
		fingerprint(r);
	out_order(in, ord);
	for (k = 0; ok && k < in->nouts; k++)
		outs_sorted[k] = x->out_d[ord[k]];
	for (k = 0; k < in->ndeps; k++)
		ins[k] = x->dep_d[k];
	for (k = 0; k < in->ncode; k++)
		ins[in->ndeps + k] = x->code_d[k];
	buf_adds(&payload, "{\"graph\": ");
	json_string(&payload, r->g->name, strlen(r->g->name));
	buf_adds(&payload, ", \"instance\": ");
	json_string(&payload, in->name, strlen(in->name));
	if (in->cmd) {
		buf_adds(&payload, ", \"cmd\": ");
		json_string(&payload, in->cmd, strlen(in->cmd));
	} else {
		buf_adds(&payload, ", \"kind\": ");
		json_string(&payload, in->stage->kind, strlen(in->stage->kind));
		buf_addf(&payload, ", \"kind_version\": \"%s\"",
			 in->stage->kdesc->version);
	}
	if (WIFSIGNALED(status))
		buf_addf(&payload, ", \"exit\": %d, \"signal\": %d",
			 128 + WTERMSIG(status), WTERMSIG(status));
	else
		buf_addf(&payload, ", \"exit\": %d", WEXITSTATUS(status));
	if (error) {
		buf_adds(&payload, ", \"error\": ");
		json_string(&payload, error, strlen(error));
	}
	{
		struct buf pv = BUF_INIT, mv = BUF_INIT;
		stage_values(r->g, in, &pv, &mv);
		buf_addf(&payload, ", \"params\": %s, \"matrix\": %s", pv.data,
			 mv.data);
		buf_release(&pv);
		buf_release(&mv);
	}
	if (metrics && in->nmetrics)
		buf_addf(&payload, ", \"metrics\": {%s}", metrics->data);
	/* What the ids of the record are, for lineage: paths and names. */
	buf_adds(&payload, ", \"inputs\": [");
	for (k = 0; k < nin; k++) {
		const struct graph_path *d = k < in->ndeps
						     ? &in->deps[k]
						     : &in->code[k - in->ndeps];
		digest_hex(&ins[k], hex);
		buf_adds(&payload, k ? ", {\"path\": " : "{\"path\": ");
		json_string(&payload, d->path, strlen(d->path));
		buf_addf(&payload, ", \"id\": \"%s\"", hex);
		if (k >= in->ndeps)
			buf_adds(&payload, ", \"code\": true");
		else if (d->from) {
			buf_adds(&payload, ", \"from\": ");
			json_string(&payload, d->from->name,
				    strlen(d->from->name));
		}
		buf_addc(&payload, '}');
	}
	buf_adds(&payload, "], \"outputs\": [");
	for (k = 0; ok && k < in->nouts; k++) {
		const struct graph_path *o = &in->outs[ord[k]];
		digest_hex(&outs_sorted[k], hex);
		buf_adds(&payload, k ? ", {\"name\": " : "{\"name\": ");
		json_string(&payload, o->name, strlen(o->name));
		buf_adds(&payload, ", \"path\": ");
		json_string(&payload, o->path, strlen(o->path));
		buf_addf(&payload, ", \"id\": \"%s\"", hex);
		/* Only when a restore must keep something of it. */
		if (store_mode_of(x->out_m[ord[k]]))
			buf_addf(&payload, ", \"mode\": \"%04o\"",
				 x->out_m[ord[k]] & 07777);
		buf_addc(&payload, '}');
	}
	buf_addc(&payload, ']');
	digest_hex(&logid, hex);
	if (end->scheduler[0]) {
		buf_addf(&payload, ", \"scheduler\": {\"name\": ");
		json_string(&payload, end->scheduler, strlen(end->scheduler));
		buf_adds(&payload, ", \"job\": ");
		json_string(&payload, end->job_id, strlen(end->job_id));
		buf_adds(&payload, ", \"node\": ");
		json_string(&payload, end->node, strlen(end->node));
		buf_adds(&payload, ", \"state\": ");
		json_string(&payload, end->state, strlen(end->state));
		buf_addc(&payload, '}');
	}
	buf_addf(&payload, ", \"start_ns\": %lld, "
			   "\"duration_ns\": %lld, \"peak_rss_kib\": %ld, "
			   "\"cpu_s\": %.3f, \"log\": \"%s\", \"env\": %s, "
			   "\"key_encoding\": \"",
		 (long long)x->start_ns, (long long)(end->end_ns - x->start_ns),
		 end->peak_rss_kib, end->cpu_s, hex, r->envjson.data);
	buf_reserve(&payload, 2 * x->enc.len + 2);
	for (k = 0; k < x->enc.len; k++) {
		static const char hexd[] = "0123456789abcdef";
		unsigned char c = (unsigned char)x->enc.data[k];
		buf_addc(&payload, hexd[c >> 4]);
		buf_addc(&payload, hexd[c & 15]);
	}
	buf_adds(&payload, "\"}");
	memset(&run, 0, sizeof(run));
	run.key = x->key;
	run.time_ns = x->start_ns;
	run.inputs = ins;
	run.ninputs = nin;
	run.outputs = outs_sorted;
	run.noutputs = ok ? in->nouts : 0;
	run.payload = payload.data;
	run.len = payload.len;
	run.failed = !ok;
	if (store_put_run(w, &run, &runid, r->err))
		goto out;
	r->unsaved[r->nunsaved++] = i;
	rc = 0;
out:
	free(outs_sorted);
	free(ord);
	free(ins);
	buf_release(&payload);
	return rc;
}

static int finish(struct runner *r, size_t i, const struct exec_end *end)
{
	struct graph *g = r->g;
	struct graph_inst *in = &g->insts[i];
	struct ist *x = &r->is[i];
	struct buf p = BUF_INIT, why = BUF_INIT, metrics = BUF_INIT;
	struct stat *sts = NULL;
	int status = end->status;
	size_t k, nmetrics = 0;

	r->running--;
	release(r, i);
	/* Its job is over: forgotten in the batch that records it. */
	if (x->kept_job && (!writer(r) ||
			    jobtab_forget(r->scan.w, g->workspace, in->name,
					  r->err) < 0))
		term_error(r->t, "%s", r->err->msg);
	x->kept_job = 0;
	if (r->line && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		/* Keep the progress line; the error goes below it. */
		putchar('\n');
		fflush(stdout);
		r->line = 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFSIGNALED(status))
			buf_addf(&why, "killed by signal %d", WTERMSIG(status));
		else
			buf_addf(&why, "failed with exit status %d",
				 WEXITSTATUS(status));
		term_error(r->t, "'%s' %s (log: %s)", in->name, why.data,
			   x->log);
		show_tail(r, x->log);
		goto failed;
	}
	sts = xcalloc(in->nouts + 1, sizeof(*sts));
	for (k = 0; k < in->nouts; k++) {
		struct err bad;
		abspath(g, in->outs[k].path, &p);
		if (lstat(p.data, &sts[k]) < 0 && errno == ENOENT) {
			buf_addf(&why, "did not create its output '%s'",
				 in->outs[k].path);
			term_error(r->t, "'%s' succeeded but %s", in->name,
				   why.data);
			goto failed;
		}
		/* A link out of the workspace, a FIFO, a device: refused
		 * without being opened. */
		if (beneath_output(g->workspace, in->outs[k].path, in->name,
				   &sts[k], &bad) < 0) {
			buf_adds(&why, bad.msg);
			term_error(r->t, "'%s' succeeded but %s", in->name,
				   why.data);
			goto failed;
		}
	}
	/* The numbers of its metrics files go into the record. */
	for (k = 0; k < in->nmetrics; k++) {
		abspath(g, in->metrics[k], &p);
		if (metrics_read(p.data, in->metrics[k], &metrics, &nmetrics,
				 r->err) < 0) {
			buf_addf(&why, "has a bad metrics file: %s",
				 r->err->msg);
			term_error(r->t, "'%s' %s", in->name, why.data);
			goto failed;
		}
	}
	/* An input edited while the stage ran (by hand, or by a stage
	 * running beside it) makes its record a lie: nothing is recorded. */
	if (inputs_changed(r, i, "while it ran", r->err)) {
		term_error(r->t, "%s", r->err->msg);
		goto unrecorded;
	}
	if (!r->scan.w && store_writer_new(r->s, &r->scan.w, r->err))
		goto error;
	for (k = 0; k < in->nouts; k++) {
		struct stat st = sts[k];
		abspath(g, in->outs[k].path, &p);
		x->out_m[k] = (unsigned)st.st_mode;
		if ((S_ISDIR(st.st_mode)
			     ? store_put_tree(r->scan.w, p.data, &x->out_d[k],
					      r->err)
			     : store_put_file(r->scan.w, p.data, NULL,
					      &x->out_d[k], r->err)))
			goto error;
		/* An HDF5 output's id is its content's digest, an alias of
		 * the blob holding its bytes. */
		if (!S_ISDIR(st.st_mode) && in->outs[k].hash == GRAPH_HASH_HDF5) {
			struct digest blob = x->out_d[k];
			struct err ignore;
			if (h5_digest(p.data, &x->out_d[k], &ignore) < 0)
				x->out_d[k] = blob;
			else if (store_put_alias(r->scan.w, &x->out_d[k], &blob,
						 r->err))
				goto error;
		}
	}
	if (record(r, i, end, NULL, &metrics) < 0)
		goto error;
	x->st = ST_DONE;
	r->res->ran++;
	free(sts);
	buf_release(&p);
	buf_release(&why);
	buf_release(&metrics);
	return 0;
error:
	term_error(r->t, "cannot record '%s': %s", in->name, r->err->msg);
	/* What this stage wrote stays unreferenced (gc removes it); a
	 * writer the error left unusable loses the batch. */
	commit_batch(r);
	goto unrecorded;
failed:
	/* A failure is history too ('cairn log', 'cairn runs'). */
	if (record(r, i, end, why.data, NULL) < 0) {
		term_error(r->t, "cannot record the failure of '%s': %s",
			   in->name, r->err->msg);
		commit_batch(r);
	}
unrecorded:
	x->st = ST_FAILED;
	r->res->failed++;
	if (!r->o->keep_going)
		r->stop = 1;
	free(sts);
	buf_release(&p);
	buf_release(&why);
	buf_release(&metrics);
	return 0;
}

static int finished(enum state s)
{
	return s == ST_UPTODATE || s == ST_RESTORED || s == ST_DONE;
}

static void report(struct runner *r, size_t i, const char *what)
{
	if (r->o->on_decide) {
		const char *state = !strcmp(what, "ok")		 ? "up to date"
				    : !strcmp(what, "restore")	 ? "restorable"
				    : !strcmp(what, "restored") ? "restorable"
				    : !strcmp(what, "pending")	 ? "pending"
								 : "to run";
		int known = strcmp(what, "pending") != 0;
		r->o->on_decide(&r->g->insts[i], state, r->is[i].why,
				known ? r->is[i].enc.data : NULL,
				known ? r->is[i].enc.len : 0, r->o->ctx);
	}
	if (r->t->quiet)
		return;
	if (r->o->status_only) {
		static const struct {
			const char *what, *says;
		} says[] = { { "ok", "up to date" },
			     { "restore", "restorable" },
			     { "run", "to run" },
			     { "pending", "pending" } };
		size_t k;
		const char *s = what;

		for (k = 0; k < sizeof(says) / sizeof(says[0]); k++)
			if (!strcmp(says[k].what, what))
				s = says[k].says;
		printf("%-11s %s", s, r->g->insts[i].name);
		if (strcmp(what, "ok") && r->is[i].why)
			printf("  (%s)", r->is[i].why);
		putchar('\n');
		return;
	}
	if (r->tty) {
		/* One updating line, like ninja's. */
		const struct run_result *s = r->res;
		char eta[32] = "";
		double left;

		/* ETA: the recorded durations of what is still to run. */
		left = r->left;
		if (left >= 1) {
			int sec = (int)(left / (r->o->jobs > 0 ? r->o->jobs : 1));
			snprintf(eta, sizeof(eta), " ETA %dm%02ds", sec / 60,
				 sec % 60);
		}
		printf("\r\033[K[%zu/%zu restored %zu, running %zu%s] %s %s",
		       s->ran + s->restored + s->uptodate + s->failed +
			       s->blocked,
		       r->total, s->restored, r->running, eta, what,
		       r->g->insts[i].name);
		fflush(stdout);
		r->line = 1;
		return;
	}
	printf("%-10s %s\n", what, r->g->insts[i].name);
	fflush(stdout);
}

/*
 * Interrupted: terminate every running stage's process group (TERM, then
 * KILL after a grace period) and record none of them.
 */
static void stop_all(struct runner *r)
{
	const struct executor *e = r->exec;
	struct exec_end end;
	int64_t until;
	int killed = 0;
	size_t k;

	term_error(r->t, "interrupted: stopping %zu running stage%s",
		   r->running, r->running == 1 ? "" : "s");
	for (k = 0; k < r->running; k++)
		e->kill(e->ctx, r->is[r->run_idx[k]].job, SIGTERM);
	interrupt_ack();
	until = e->now(e->ctx) + 5000000000LL;
	while (r->running) {
		int64_t left = killed ? -1 : until - e->now(e->ctx);
		if (!killed && left <= 0) {
			for (k = 0; k < r->running; k++)
				e->kill(e->ctx, r->is[r->run_idx[k]].job,
					SIGKILL);
			killed = 1;	/* once: then wait as long as it takes */
			left = -1;
		}
		if (e->wait(e->ctx, left, &end) != 1)
			continue;
		for (k = 0; k < r->running; k++) {
			size_t i = r->run_idx[k];
			if (r->is[i].job != end.id)
				continue;
			r->is[i].st = ST_FAILED;
			r->run_idx[k] = r->run_idx[--r->running];
			/* Cancelled: nothing of it to find again. */
			if (r->is[i].kept_job && writer(r))
				jobtab_forget(r->scan.w, r->g->workspace,
					      r->g->insts[i].name, r->err);
			break;
		}
	}
}


/*
 * i has reached a state its dependents can act on (done, up to date,
 * restored, failed, blocked, or in a dry run planned or pending): count
 * it off each of them, and make ready those that wait for nothing more.
 */
static void settle(struct runner *r, size_t i)
{
	size_t k;

	r->is[i].spawned_before = r->spawned;
	r->is[i].ran_beside = r->running > 0;
	if (r->dur)
		r->left -= r->dur[i];
	for (k = r->down_at[i]; k < r->down_at[i + 1]; k++) {
		size_t d = r->down[k];
		if (--r->waiting[d] == 0 && r->is[d].want)
			idxheap_push(&r->ready, d);
	}
}

static void fail(struct runner *r, size_t i)
{
	r->is[i].st = ST_FAILED;
	r->res->failed++;
	if (!r->o->keep_going)
		r->stop = 1;
	settle(r, i);
}

/*
 * Start queued instances, lowest index first, while job slots, cores,
 * memory and GPUs allow.  One that does not fit now waits its turn; the
 * search past it is bounded so a long queue costs little per event.
 */
static void launch(struct runner *r)
{
	size_t jobs = (size_t)(r->o->jobs > 0 ? r->o->jobs : 1);
	size_t skipped[64], nskip = 0, i, k;
	char need[160];
	int rc;

	while (r->queued.n && r->running < jobs && !r->stop &&
	       !interrupt_caught() &&
	       nskip < sizeof(skipped) / sizeof(skipped[0])) {
		const struct graph_inst *in;

		i = idxheap_pop(&r->queued);
		in = &r->g->insts[i];
		if (!fits(r, in, 0)) {
			if (fits(r, in, 1)) {
				skipped[nskip++] = i;
				continue;
			}
			term_error(r->t, "'%s' needs more than this machine has "
					 "(%s)",
				   in->name, need_text(r, in, need));
			fail(r, i);
			continue;
		}
		hold(r, i);
		if ((rc = spawn(r, i)) < 0) {
			release(r, i);
			term_error(r->t, "%s", r->err->msg);
			fail(r, i);
			continue;
		}
		r->run_idx[r->running - 1] = i;
		if (rc == 0)	/* 1: an earlier run's job, taken over */
			report(r, i, "running");
	}
	for (k = 0; k < nskip; k++)
		idxheap_push(&r->queued, skipped[k]);
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
	size_t i, k;
	int missing;

	for (i = 0; i < r->g->ninsts; i++) {
		const struct graph_inst *in = &r->g->insts[i];
		struct ist *x = &r->is[i];

		if (!finished(x->st) ||
		    (x->spawned_before == r->spawned && !x->ran_beside))
			continue;
		for (k = 0; k < in->nouts; k++) {
			if (scan_graph_path(r, &r->rd, &in->outs[k], &p, &now,
					    &missing) == 0 &&
			    digest_eq(&now, &x->out_d[k]))
				continue;
			term_error(r->t, "output '%s' of '%s' changed after "
					 "'%s' %s it (another stage wrote "
					 "it?); it runs again next time",
				   in->outs[k].path, in->name, in->name,
				   x->st == ST_DONE ? "made" : x->st ==
				   ST_RESTORED ? "restored" : "checked");
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

struct durations {
	struct runner *r;
	int64_t *when;
};

static int note_duration(const struct digest *id, const struct store_run *run,
			 void *ctx)
{
	struct durations *d = ctx;
	struct json *j = NULL;
	struct graph_inst *in;
	const char *graph, *inst;
	struct err ignore;
	double ns;

	(void)id;
	if (json_parse(run->payload, run->len, "run", &j, &ignore) == 0 &&
	    (graph = json_str(j, "graph")) && !strcmp(graph, d->r->g->name) &&
	    (inst = json_str(j, "instance")) &&
	    (in = graph_find(d->r->g, inst)) &&
	    run->time_ns > d->when[in->index] &&
	    json_num(j, "duration_ns", &ns) == 0) {
		d->when[in->index] = run->time_ns;
		d->r->dur[in->index] = ns / 1e9;
	}
	json_free(j);
	return 0;
}

/* What this run ran on: cairn, the host, devices, the workspace's git. */
static void fingerprint(struct runner *r)
{
	struct buf *b = &r->envjson;
	struct utsname u;
	char why[128] = "", line[256];
	FILE *p;
	int n = device_count(why, sizeof(why));

	buf_adds(b, "{\"cairn\": ");
	json_string(b, cairn_version(), strlen(cairn_version()));
	buf_adds(b, ", \"build\": ");
	json_string(b, cairn_build(), strlen(cairn_build()));
	if (uname(&u) == 0) {
		buf_adds(b, ", \"host\": ");
		json_string(b, u.nodename, strlen(u.nodename));
		buf_adds(b, ", \"os\": ");
		buf_addf(b, "\"%s %s %s\"", u.sysname, u.release, u.machine);
	}
	buf_addf(b, ", \"cuda_built\": %s, \"cuda_devices\": %d",
		 device_cuda_built() ? "true" : "false", n);
	if (n > 0) {
		struct device_info d;
		if (device_describe(0, &d) == 0) {
			buf_adds(b, ", \"gpu\": ");
			json_string(b, d.name, strlen(d.name));
		}
	}
	/* The workspace's git commit and whether it has changes. */
	{
		struct buf cmd = BUF_INIT;
		buf_adds(&cmd, "git -C ");
		shell_quote(&cmd, r->g->workspace);
		buf_adds(&cmd, " rev-parse HEAD 2>/dev/null");
		p = popen(cmd.data, "re");
		if (p && fgets(line, sizeof(line), p) && strlen(line) > 40) {
			line[strcspn(line, "\n")] = '\0';
			buf_addf(b, ", \"git_commit\": \"%s\"", line);
			pclose(p);
			buf_truncate(&cmd, 0);
			buf_adds(&cmd, "git -C ");
			shell_quote(&cmd, r->g->workspace);
			buf_adds(&cmd, " status --porcelain --untracked-files=no "
				       "2>/dev/null");
			p = popen(cmd.data, "re");
			buf_addf(b, ", \"git_dirty\": %s",
				 p && fgets(line, sizeof(line), p) ? "true"
								   : "false");
		}
		if (p)
			pclose(p);
		buf_release(&cmd);
	}
	buf_addc(b, '}');
}

int run_graph(struct graph *g, struct store *s, const struct run_opts *o,
	      struct term *t, struct run_result *res, struct err *err)
{
	struct runner r;
	size_t i, j;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	r.g = g;
	r.s = s;
	r.o = o;
	r.t = t;
	r.res = res;
	r.err = err;
	r.is = xcalloc(g->ninsts + 1, sizeof(*r.is));
	for (i = 0; i < g->ninsts; i++) {
		struct graph_inst *in = &g->insts[i];
		buf_init(&r.is[i].enc);
		r.is[i].dep_d = xcalloc(in->ndeps + 1, sizeof(struct digest));
		r.is[i].code_d = xcalloc(in->ncode + 1, sizeof(struct digest));
		r.is[i].out_d = xcalloc(in->nouts + 1, sizeof(struct digest));
		r.is[i].out_m = xcalloc(in->nouts + 1, sizeof(unsigned));
	}
	buf_init(&r.envjson);	/* filled when the first stage is recorded */
	{
		char why[128];
		long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

		r.cpus = sysconf(_SC_NPROCESSORS_ONLN);
		if (r.cpus < 1)
			r.cpus = 1;
		r.mem = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize
					       : 0;
		/* Asking the CUDA driver takes milliseconds: only when a
		 * stage wants a GPU. */
		for (i = 0; i < g->ninsts; i++)
			if (g->insts[i].stage->gpus > 0) {
				r.ngpus = device_count(why, sizeof(why));
				break;
			}
		if (r.ngpus > 64)
			r.ngpus = 64;
	}
	interrupt_catch();
	/* The executor is the caller's (ninja's injected runner): a dry run
	 * starts nothing and may pass none. */
	if (!o->exec && !o->dry_run)
		BUG("run_graph: no executor for a run that starts commands");
	r.exec = o->exec;
	r.unsaved = xcalloc(g->ninsts + 1, sizeof(size_t));
	tmpclean_init(&r.tmp);
	scan_init(&r.scan, s);
	r.rd.s = s;
	r.rd.scan = &r.scan;
	r.rd.err = err;
	if (select_targets(&r) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < g->ninsts; i++)
		r.total += r.is[i].want;
	/* The lock file: what each instance's last key made. */
	if (o->lock_path && lock_index_load(o->lock_path, &r.lock) == 0)
		for (i = 0; i < g->ninsts; i++)
			r.is[i].locked = lock_index_find(&r.lock,
							 g->insts[i].name);
	if (prepass(&r) < 0) {
		rc = -1;
		goto out;
	}
	/* Cluster jobs an earlier coordinator of this workspace left. */
	if (!o->dry_run && !o->status_only) {
		if (jobtab_load(&r.jobs, s, g->workspace, err) < 0) {
			rc = -1;
			goto out;
		}
		if (r.jobs.n && !r.exec->adopt)
			term_warning(t, "%zu cluster job%s of an earlier run "
					"%s kept for this workspace; run with "
					"--executor slurm to take %s over",
				     r.jobs.n, r.jobs.n == 1 ? "" : "s",
				     r.jobs.n == 1 ? "is" : "are",
				     r.jobs.n == 1 ? "it" : "them");
		if (r.exec->watch)
			r.exec->watch(r.exec->ctx, on_submitted, &r);
	}
	r.tty = isatty(STDOUT_FILENO) && !t->verbose && !o->dry_run &&
		!o->status_only && getenv("TERM") && strcmp(getenv("TERM"), "dumb");
	if (r.tty) {
		struct durations d = { &r, xcalloc(g->ninsts + 1,
						   sizeof(int64_t)) };
		struct err ignore;

		r.dur = xcalloc(g->ninsts + 1, sizeof(double));
		store_runs_walk(s, note_duration, &d, &ignore);
		free(d.when);
	}
	/* Each instance waits for one settle per edge from an upstream. */
	r.down_at = xcalloc(g->ninsts + 2, sizeof(size_t));
	r.waiting = xcalloc(g->ninsts + 1, sizeof(size_t));
	r.run_idx = xcalloc((size_t)(o->jobs > 0 ? o->jobs : 1) + 1,
			    sizeof(size_t));
	for (i = 0; i < g->ninsts; i++)
		for (j = 0; j < g->insts[i].ndeps; j++)
			if (g->insts[i].deps[j].from) {
				r.down_at[g->insts[i].deps[j].from->index + 1]++;
				r.waiting[i]++;
			}
	for (i = 0; i < g->ninsts; i++)
		r.down_at[i + 1] += r.down_at[i];
	r.down = xcalloc(r.down_at[g->ninsts] + 1, sizeof(size_t));
	{
		size_t *fill = xcalloc(g->ninsts + 1, sizeof(size_t));
		for (i = 0; i < g->ninsts; i++)
			for (j = 0; j < g->insts[i].ndeps; j++) {
				size_t u;
				if (!g->insts[i].deps[j].from)
					continue;
				u = g->insts[i].deps[j].from->index;
				r.down[r.down_at[u] + fill[u]++] = i;
			}
		free(fill);
	}
	for (i = 0; i < g->ninsts; i++) {
		if (r.dur && r.is[i].want)
			r.left += r.dur[i];
		if (r.is[i].want && !r.waiting[i])
			idxheap_push(&r.ready, i);
	}
	for (;;) {
		/* Decide what is ready, lowest index (topological) first. */
		while (r.ready.n && !r.stop && !interrupt_caught()) {
			struct graph_inst *in;
			struct ist *x;
			int blocked = 0, pending = 0;

			i = idxheap_pop(&r.ready);
			in = &g->insts[i];
			x = &r.is[i];
			for (j = 0; j < in->ndeps; j++) {
				enum state up;
				if (!in->deps[j].from)
					continue;
				up = r.is[in->deps[j].from->index].st;
				blocked |= up == ST_FAILED || up == ST_BLOCKED;
				pending |= up == ST_PLANNED || up == ST_PENDING;
			}
			if (blocked) {
				x->st = ST_BLOCKED;
				res->blocked++;
				settle(&r, i);
				continue;
			}
			if (pending) {
				x->st = ST_PENDING;
				x->why = "waits for an upstream stage";
				res->planned++;
				res->pending++;
				report(&r, i, "pending");
				settle(&r, i);
				continue;
			}
			/* Stat cache updates stay in one open transaction;
			 * finish() commits them before it records a stage. */
			if (x->decided) {
				x->st = x->decided;
				rc = 0;
			} else {
				rc = decide(&r, &r.rd, i);
			}
			if (rc < 0) {
				rc = 0;
				term_error(t, "%s", err->msg);
				fail(&r, i);
				continue;
			}
			if (x->st == ST_UPTODATE) {
				res->uptodate++;
				report(&r, i, "ok");
			} else if (x->st == ST_RESTORED && !o->dry_run) {
				int got = restore(&r, i);
				if (got == -2) {
					/* A miss, not a failure: it runs. */
					term_warning(t, "cannot restore '%s' "
							"(%s); running it",
						     in->name, err->msg);
					x->st = ST_QUEUED;
					x->why = "its stored outputs cannot be "
						 "read";
					idxheap_push(&r.queued, i);
					continue;
				}
				if (got < 0) {
					term_error(t, "cannot restore '%s': %s",
						   in->name, err->msg);
					fail(&r, i);
					continue;
				}
				res->restored++;
				report(&r, i, "restored");
			} else if (x->st == ST_RESTORED) {
				res->planned++;
				res->would_restore++;
				report(&r, i, "restore");
			} else if (o->dry_run) {
				x->st = ST_PLANNED;
				res->planned++;
				res->would_run++;
				report(&r, i, "run");
			} else {
				idxheap_push(&r.queued, i);	/* to run */
				continue;
			}
			settle(&r, i);
		}
		launch(&r);
		if (interrupt_caught()) {
			stop_all(&r);
			break;
		}
		if (r.running) {
			struct exec_end end;
			size_t k;
			int got;

			/* An open writer holds the store's write lock: wait
			 * no longer than the batch may stay open. */
			if (r.scan.w && !r.dirty_since)
				r.dirty_since = r.exec->now(r.exec->ctx);
			if (r.scan.w) {
				int64_t left = r.dirty_since + BATCH_NS -
					       r.exec->now(r.exec->ctx);
				if (left <= 0) {
					commit_batch(&r);
					continue;
				}
				got = r.exec->wait(r.exec->ctx, left, &end);
			} else {
				store_idle(s);
				got = r.exec->wait(r.exec->ctx, -1, &end);
			}
			for (k = 0; got == 1 && k < r.running; k++) {
				i = r.run_idx[k];
				if (r.is[i].job != end.id)
					continue;
				r.run_idx[k] = r.run_idx[r.running - 1];
				finish(&r, i, &end);
				if (r.is[i].st == ST_DONE)
					report(&r, i, "done");
				settle(&r, i);
				break;
			}
			continue;
		}
		if (!r.ready.n || r.stop || interrupt_caught())
			break;
	}
	if (r.line) {
		printf("\r\033[K");
		fflush(stdout);
	}
	if (r.jobs.n && r.exec->adopt && !interrupt_caught())
		drop_orphans(&r);
	if (!o->dry_run && !interrupt_caught())
		outputs_kept(&r);
	if (commit_batch(&r) < 0 && !res->failed) {
		rc = -1;
		goto out;
	}
	/* Every instance up to date as the lock file says, and the file has
	 * no other entries: it would be written as it is. */
	if (r.lock.n == g->ninsts && !res->failed && !res->blocked) {
		size_t same = 0;
		for (i = 0; i < g->ninsts; i++)
			same += r.is[i].by_lock;
		if (same == g->ninsts)
			goto locked;
	}
	if (!o->dry_run && o->lock_path) {
		struct lock_entry *le = xcalloc(g->ninsts + 1, sizeof(*le));
		size_t n = 0;

		for (i = 0; i < g->ninsts; i++) {
			if (!finished(r.is[i].st))
				continue;
			le[n].inst = &g->insts[i];
			le[n].key = r.is[i].key;
			le[n].deps = r.is[i].dep_d;
			le[n].outs = r.is[i].out_d;
			n++;
		}
		tmpclean_beside(&r.tmp, o->lock_path);
		if (lock_write(o->lock_path, g, le, n, s, err) < 0)
			rc = -1;
		free(le);
	}
locked:
	if (!rc)
		rc = res->failed || res->blocked ? 1 : 0;
	if (interrupt_caught())
		rc = 130;
out:
	interrupt_release();
	buf_release(&r.envjson);
	for (i = 0; i < g->ninsts; i++) {
		buf_release(&r.is[i].enc);
		free(r.is[i].dep_d);
		free(r.is[i].code_d);
		free(r.is[i].out_d);
		free(r.is[i].out_m);
		free(r.is[i].log);
	}
	free(r.is);
	free(r.dur);
	free(r.down);
	free(r.down_at);
	free(r.waiting);
	free(r.run_idx);
	free(r.unsaved);
	lock_index_free(&r.lock);
	jobtab_free(&r.jobs);
	tmpclean_release(&r.tmp);
	idxheap_release(&r.ready);
	idxheap_release(&r.queued);
	return rc;
}
