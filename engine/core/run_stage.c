/*
 * A stage's command (run_internal.h): started through the executor with
 * its outputs cleared, its log, params file and environment (or an
 * earlier run's cluster job adopted in its place); when it ends, its exit
 * status, outputs and metrics checked, its inputs checked unchanged, and
 * its outputs ingested into the store and its run recorded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "beneath.h"
#include "err.h"
#include "executor.h"
#include "graph.h"
#include "h5digest.h"
#include "metrics.h"
#include "run_internal.h"
#include "stage_env.h"
#include "store.h"
#include "util.h"

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
		return 1;
	}
	if (!(w = run_writer(r)) ||
	    jobtab_forget(w, r->g->workspace, name, r->err) < 0)
		return -1;
	return 0;
}

/*
 * After the run: the jobs an earlier run left for instances that turned
 * out up to date or restored are not wanted (cancelled if they still
 * run) and forgotten.  Those of instances this run did not reach stay.
 */
void run_drop_orphans(struct runner *r)
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
		if (!run_writer(r) ||
		    jobtab_forget(r->scan.w, r->g->workspace, in->name,
				  r->err) < 0)
			return;
	}
}

/* The executor submitted subs: kept in the store before any wait, so a
 * coordinator that dies leaves them to the next run. */
void run_on_submitted(void *arg, const struct exec_sub *subs, size_t n)
{
	struct runner *r = arg;
	struct store_writer *w = run_writer(r);
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
	if (!w || run_commit(r) < 0)
		run_error(r, "cannot keep the submitted jobs in the store: %s",
			  r->err->msg);
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
	size_t o = d->from ? run_out_index(d->from, d->from_out) : 0;
	int hdf5 = d->hash == GRAPH_HASH_HDF5, missing;
	struct buf p = BUF_INIT;
	int rc;

	if (d->from && o < d->from->nouts &&
	    !strcmp(d->from->outs[o].path, d->path))
		hdf5 = d->from->outs[o].hash == GRAPH_HASH_HDF5;
	run_abspath(r->g, d->path, &p);
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

void run_log_path(const struct runner *r, size_t i, struct buf *out)
{
	buf_truncate(out, 0);
	buf_addf(out, "%s/.cairn/logs/", r->g->workspace);
	stage_file_name(out, r->g->insts[i].name);
	buf_adds(out, ".log");
}

/*
 * Start an instance's command through the executor: its outputs removed
 * and their folders made, its log, params file, wdir and environment
 * (CAIRN_STAGE, CAIRN_PARAMS_FILE, CAIRN_WORKSPACE, CAIRN_IN_*,
 * CAIRN_OUT_*, CUDA_VISIBLE_DEVICES) prepared.
 */
int run_spawn(struct runner *r, size_t i)
{
	struct graph *g = r->g;
	struct graph_inst *in = &g->insts[i];
	struct ist *x = &r->is[i];
	struct buf p = BUF_INIT, params = BUF_INIT, wd = BUF_INIT, name = BUF_INIT;
	struct buf log = BUF_INIT;
	char **vars = NULL;
	struct err why;
	struct buf cmdline = BUF_INIT;
	struct exec_job job;
	size_t k, nvars = 0;
	struct stat st;
	char key[DIGEST_HEX + 1];
	int rc = -1;

	memset(&job, 0, sizeof(job));

	run_log_path(r, i, &log);
	mkdir_p(log.data, 1);
	x->has_log = 1;
	digest_hex(&x->key, key);
	job.inst = in;
	job.log = log.data;
	job.key = key;
	if (r->jobs.n && (rc = adopt(r, i, &job)) != 0) {
		x->cleared = rc == 1;	/* its job's own run cleared them */
		goto out;	/* taken over (1), or a store error (-1) */
	}
	rc = -1;
	/* What its key was computed from must still be there. */
	if (inputs_changed(r, i, "since its key was computed", r->err))
		goto out;
	for (k = 0; k < in->nouts; k++) {
		if (beneath_folders(g->workspace, in->outs[k].path, in->name,
				    r->err) < 0)
			goto out;
		run_abspath(g, in->outs[k].path, &p);
		tmpclean_beside(&r->tmp, p.data);
		x->cleared = 1;
		remove_tree(p.data);
		mkdir_p(p.data, 1);
	}
	if (stage_params_file(g, in, g->workspace, &params, r->err) < 0)
		goto out;
	run_abspath(g, in->wdir, &wd);
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
	job.log = log.data;
	job.env = vars;
	job.nenv = nvars;
	if (r->exec->start(r->exec->ctx, &job, &x->job, &why) < 0) {
		err_set(r->err, "cannot start '%s': %s", in->name, why.msg);
		goto out;
	}
	rc = 0;
out:
	for (k = 0; k < nvars; k++)
		free(vars[k]);
	free(vars);
	buf_release(&p);
	buf_release(&params);
	buf_release(&wd);
	buf_release(&name);
	buf_release(&log);
	buf_release(&cmdline);
	return rc;
}

/*
 * Did i make each of its outputs, as what it may be (no link out of the
 * workspace, FIFO or device: refused without being opened)?  0 with sts
 * filled, or -1 with why set.
 */
static int outputs_made(struct runner *r, size_t i, struct stat *sts,
			struct buf *why)
{
	const struct graph *g = r->g;
	const struct graph_inst *in = &g->insts[i];
	struct buf p = BUF_INIT;
	size_t k;
	int rc = 0;

	for (k = 0; k < in->nouts && !rc; k++) {
		struct err bad;
		run_abspath(g, in->outs[k].path, &p);
		if (lstat(p.data, &sts[k]) < 0 && errno == ENOENT) {
			buf_addf(why, "did not create its output '%s'",
				 in->outs[k].path);
			rc = -1;
		} else if (beneath_output(g->workspace, in->outs[k].path,
					  in->name, &sts[k], &bad) < 0) {
			buf_adds(why, bad.msg);
			rc = -1;
		}
	}
	buf_release(&p);
	return rc;
}

/* The numbers of i's metrics files, for its record: 0, or -1 with why
 * set. */
static int read_metrics(struct runner *r, size_t i, struct buf *metrics,
			struct buf *why)
{
	const struct graph_inst *in = &r->g->insts[i];
	struct buf p = BUF_INIT;
	size_t k, nmetrics = 0;
	int rc = 0;

	for (k = 0; k < in->nmetrics && !rc; k++) {
		run_abspath(r->g, in->metrics[k], &p);
		if (metrics_read(p.data, in->metrics[k], metrics, &nmetrics,
				 r->err) < 0) {
			buf_addf(why, "has a bad metrics file: %s", r->err->msg);
			rc = -1;
		}
	}
	buf_release(&p);
	return rc;
}

/* Store i's outputs (sts: as they were checked) into the run's writer,
 * their ids in x->out_d.  -1 with r->err. */
static int ingest(struct runner *r, size_t i, const struct stat *sts)
{
	const struct graph_inst *in = &r->g->insts[i];
	struct ist *x = &r->is[i];
	struct buf p = BUF_INIT;
	size_t k;
	int rc = -1;

	if (!run_writer(r))
		return -1;
	for (k = 0; k < in->nouts; k++) {
		struct stat st = sts[k];
		run_abspath(r->g, in->outs[k].path, &p);
		x->out_m[k] = (unsigned)st.st_mode;
		if ((S_ISDIR(st.st_mode)
			     ? store_put_tree(r->scan.w, p.data, &x->out_d[k],
					      r->err)
			     : store_put_file(r->scan.w, p.data, NULL,
					      &x->out_d[k], r->err)))
			goto out;
		/* An HDF5 output's id is its content's digest, an alias of
		 * the blob holding its bytes. */
		if (!S_ISDIR(st.st_mode) && in->outs[k].hash == GRAPH_HASH_HDF5) {
			struct digest blob = x->out_d[k];
			struct err ignore;
			if (h5_digest(p.data, &x->out_d[k], &ignore) < 0)
				x->out_d[k] = blob;
			else if (store_put_alias(r->scan.w, &x->out_d[k], &blob,
						 r->err))
				goto out;
		}
	}
	rc = 0;
out:
	buf_release(&p);
	return rc;
}

/*
 * i's command exited well, but i fails: the status learns first that it
 * runs no more (its line), then why.
 */
static void failed_after(struct runner *r, size_t i, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	run_report_dropped(r, i);
	run_error(r, "%s", msg.data);
	buf_release(&msg);
}

void run_finish(struct runner *r, size_t i, const struct exec_end *end)
{
	struct graph *g = r->g;
	struct graph_inst *in = &g->insts[i];
	struct ist *x = &r->is[i];
	struct buf why = BUF_INIT, metrics = BUF_INIT;
	struct stat *sts = NULL;
	int status = end->status;

	/* Its job is over: forgotten in the batch that records it. */
	if (x->kept_job && (!run_writer(r) ||
			    jobtab_forget(r->scan.w, g->workspace, in->name,
					  r->err) < 0))
		run_error(r, "%s", r->err->msg);
	x->kept_job = 0;
	x->secs = (double)(end->end_ns - x->start_ns) / 1e9;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFSIGNALED(status))
			buf_addf(&why, "killed by signal %d", WTERMSIG(status));
		else
			buf_addf(&why, "failed with exit status %d",
				 WEXITSTATUS(status));
		run_report_failed(r, i, why.data);
		goto failed;
	}
	sts = xcalloc(in->nouts + 1, sizeof(*sts));
	if (outputs_made(r, i, sts, &why) < 0) {
		failed_after(r, i, "'%s' succeeded but %s", in->name, why.data);
		goto failed;
	}
	if (read_metrics(r, i, &metrics, &why) < 0) {
		failed_after(r, i, "'%s' %s", in->name, why.data);
		goto failed;
	}
	/* An input edited while the stage ran (by hand, or by a stage
	 * running beside it) makes its record a lie: nothing is recorded. */
	if (inputs_changed(r, i, "while it ran", r->err)) {
		failed_after(r, i, "%s", r->err->msg);
		goto unrecorded;
	}
	if (ingest(r, i, sts) < 0 || run_record(r, i, end, NULL, &metrics) < 0)
		goto error;
	x->st = ST_DONE;
	r->res->ran++;
	goto out;
error:
	failed_after(r, i, "cannot record '%s': %s", in->name, r->err->msg);
	/* What this stage wrote stays unreferenced (gc removes it); a
	 * writer the error left unusable loses the batch. */
	run_commit(r);
	goto unrecorded;
failed:
	/* A failure is history too ('cairn log', 'cairn runs'). */
	if (run_record(r, i, end, why.data, NULL) < 0) {
		run_error(r, "cannot record the failure of '%s': %s", in->name,
			  r->err->msg);
		run_commit(r);
	}
unrecorded:
	free(x->failure);
	x->failure = xstrdup(why.len ? why.data : r->err->msg);
	x->st = ST_FAILED;
	r->res->failed++;
	if (!r->o->keep_going)
		r->stop = 1;
out:
	free(sts);
	buf_release(&why);
	buf_release(&metrics);
}
