/*
 * The run's store (run_internal.h): outputs restored from it, the record
 * of each stage's run written into the run's one writer, and that
 * writer's batches committed.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "beneath.h"
#include "err.h"
#include "executor.h"
#include "fingerprint.h"
#include "graph.h"
#include "json.h"
#include "kinds.h"
#include "run_internal.h"
#include "runrec.h"
#include "stage_env.h"
#include "store.h"
#include "util.h"

/* Records go into the run's one writer (LMDB has one write lock per
 * store), committed in batches by run_commit. */
struct store_writer *run_writer(struct runner *r)
{
	if (run_begin(r) < 0)
		return NULL;
	if (!r->scan.w && store_writer_new(r->s, &r->scan.w, r->err))
		return NULL;
	return r->scan.w;
}

/*
 * Commit the run's writer: stat cache updates and the records of the
 * stages finished since the last commit.  Committing once per stage would
 * cost a disk flush per stage; a batch is committed within BATCH_NS of its
 * first record, before a restore reads the store, and at the end.  If the
 * commit fails, the batch's stages are failed: nothing recorded them.
 */
int run_commit(struct runner *r)
{
	int64_t t = profile_now(r->o->prof);
	size_t k;
	int rc = 0, open = r->scan.w != NULL;

	if (r->scan.w && scan_finish(&r->scan, r->err) < 0) {
		run_error(r, "cannot record %zu finished stage%s: %s",
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
	if (open)
		profile_add(r->o->prof, PROF_RECORD, t, 1);
	return rc;
}

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

	if (runrec_load(r->s, &r->is[i].run, &rr, &ignore))
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

/* Record that the run i restores was used now; 0 or -1 with err. */
static int touch(struct runner *r, size_t i)
{
	struct store_writer *w = run_writer(r);

	if (!w || store_touch_run(w, &r->is[i].run,
				  r->exec->now(r->exec->ctx), r->err))
		return -1;
	return 0;
}

/*
 * Materialise i's recorded outputs.  0; -1 with err when it may not (an
 * output's folder leads out of the workspace, the batch cannot be
 * committed, the workspace cannot be written); -2 with err when the store
 * could not give them (damaged or missing data: the caller runs the stage
 * instead).
 */
int run_restore(struct runner *r, size_t i)
{
	struct graph *g = r->g;
	struct graph_inst *in = &g->insts[i];
	struct buf p = BUF_INIT;
	unsigned *modes;
	size_t k;
	int64_t t0 = r->exec ? r->exec->now(r->exec->ctx) : 0;
	int rc = 0;

	/* Materialising reads the store: it must see this run's records. */
	if (r->nunsaved && run_commit(r) < 0)
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
		if (run_scan_path(r, &r->rd, &in->outs[k], &p, &now,
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
	if (r->exec)
		r->is[i].secs = (double)(r->exec->now(r->exec->ctx) - t0) / 1e9;
	/* Used now: gc --max-size evicts the least recently used runs
	 * first (committed with the run's next batch). */
	if (!rc && r->exec)
		rc = touch(r, i);
	free(modes);
	buf_release(&p);
	return rc;
}

/* What the record's payload says of i beyond its files. */
static void describe(struct runner *r, size_t i, const struct exec_end *end,
		     const struct buf *enc, struct runrec_new *rn)
{
	const struct graph_inst *in = &r->g->insts[i];
	const struct ist *x = &r->is[i];

	rn->graph = r->g->name;
	rn->instance = in->name;
	rn->cmd = in->cmd;
	if (!in->cmd) {
		rn->kind = in->stage->kind;
		rn->kind_version = in->stage->kdesc->version;
	}
	if (WIFSIGNALED(end->status)) {
		rn->signal = WTERMSIG(end->status);
		rn->exit = 128 + rn->signal;
	} else {
		rn->exit = WEXITSTATUS(end->status);
	}
	rn->scheduler = end->scheduler;
	rn->job = end->job_id;
	rn->node = end->node;
	rn->state = end->state;
	rn->start_ns = x->start_ns;
	rn->duration_ns = end->end_ns - x->start_ns;
	rn->peak_rss_kib = end->peak_rss_kib;
	rn->cpu_s = end->cpu_s;
	/* The environment fingerprint is taken once, when first needed (a
	 * no-op run never pays for it). */
	if (!r->envjson.len)
		fingerprint_json(&r->envjson, r->g->workspace);
	rn->env = r->envjson.data;
	rn->key_enc = enc->data;
	rn->key_enc_len = enc->len;
}

/*
 * Write the run record of instance i into the run's writer: its key,
 * inputs (deps then code), outputs (by name; none for a failed run), its
 * log, and the payload (runrec_encode).  A failed run is never found by
 * its key (store_run.failed), only by id, lineage and history.
 */
int run_record(struct runner *r, size_t i, const struct exec_end *end,
	       const char *error, const struct buf *metrics)
{
	const struct graph_inst *in = &r->g->insts[i];
	struct ist *x = &r->is[i];
	int ok = !error;
	struct buf payload = BUF_INIT, pv = BUF_INIT, mv = BUF_INIT;
	struct buf enc = BUF_INIT, log = BUF_INIT;
	struct digest *outs_sorted, *ins, runid, key;
	struct runrec_input *ri;
	struct runrec_output *ro;
	struct runrec_new rn;
	size_t *ord, k, nin;
	struct store_writer *w;
	struct store_run run;
	int rc = -1;

	if (!(w = run_writer(r)))
		return -1;
	memset(&rn, 0, sizeof(rn));
	nin = in->ndeps + in->ncode;
	outs_sorted = xcalloc(in->nouts + 1, sizeof(*outs_sorted));
	ord = xcalloc(in->nouts + 1, sizeof(*ord));
	ins = xcalloc(nin + 1, sizeof(*ins));
	ri = xcalloc(nin + 1, sizeof(*ri));
	ro = xcalloc(in->nouts + 1, sizeof(*ro));
	run_log_path(r, i, &log);
	if (store_put_file(w, log.data, NULL, &rn.log, r->err))
		goto out;
	/* Made again from the digests its key was: not kept since. */
	run_key(r, i, &enc, &key);
	if (!digest_eq(&key, &x->key))
		BUG("run_record: the key of '%s' changed", in->name);
	describe(r, i, end, &enc, &rn);
	run_out_order(in, ord);
	for (k = 0; ok && k < in->nouts; k++) {
		const struct graph_path *o = &in->outs[ord[k]];
		outs_sorted[k] = x->out_d[ord[k]];
		ro[k].name = o->name;
		ro[k].path = o->path;
		ro[k].id = outs_sorted[k];
		ro[k].mode = x->out_m[ord[k]];
	}
	for (k = 0; k < nin; k++) {
		const struct graph_path *d = k < in->ndeps
						     ? &in->deps[k]
						     : &in->code[k - in->ndeps];
		ins[k] = k < in->ndeps ? x->dep_d[k] : x->code_d[k - in->ndeps];
		ri[k].path = d->path;
		ri[k].id = ins[k];
		ri[k].code = k >= in->ndeps;
		ri[k].from = k < in->ndeps && d->from ? d->from->name : NULL;
	}
	rn.error = error;
	stage_values(r->g, in, &pv, &mv);
	rn.params = pv.data;
	rn.matrix = mv.data;
	rn.metrics = metrics && in->nmetrics ? metrics->data : NULL;
	rn.inputs = ri;
	rn.ninputs = nin;
	rn.outputs = ro;
	rn.noutputs = ok ? in->nouts : 0;
	runrec_encode(&payload, &rn);
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
	x->run = runid;
	x->has_run = 1;
	r->unsaved[r->nunsaved++] = i;
	rc = 0;
out:
	free(outs_sorted);
	free(ord);
	free(ins);
	free(ri);
	free(ro);
	buf_release(&payload);
	buf_release(&pv);
	buf_release(&mv);
	buf_release(&enc);
	buf_release(&log);
	return rc;
}
