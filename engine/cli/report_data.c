/*
 * What `cairn report` shows, gathered (report.h): per instance its state,
 * the run behind its outputs and its newest run, its outputs' sizes; the
 * last run's timeline; the lock file's state; a stage's artifacts, for
 * its pictures.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "graph.h"
#include "json.h"
#include "lockfile.h"
#include "plot.h"
#include "report.h"
#include "runrec.h"
#include "store.h"
#include "util.h"

/* Runs further apart than this with nothing running between them belong
 * to different invocations of cairn run. */
#define RUN_GAP_NS (30LL * 1000000000LL)

static const char *const state_names[] = { "up to date", "restorable",
					   "would run", "failed",
					   "never run" };
static const char *const state_colors[] = { "#8fd18f", "#8ec5e8", "#f5b453",
					    "#e8747c", "#d9d9d9" };

const char *report_state_name(int state)
{
	return state >= 0 && state < REPORT_NSTATES ? state_names[state] : "?";
}

const char *report_state_color(int state)
{
	return state >= 0 && state < REPORT_NSTATES ? state_colors[state]
						    : "#ffffff";
}

void report_inst_label(struct buf *out, const struct graph_inst *in)
{
	size_t k;

	if (!in->nbinds) {
		buf_adds(out, in->name);
		return;
	}
	for (k = 0; k < in->nbinds; k++)
		buf_addf(out, "%s%s=%s", k ? "," : "", in->binds[k].name,
			 in->binds[k].text);
}

int report_read_blob(struct store *s, const struct digest *id,
		     struct buf *out)
{
	char chunk[65536];
	size_t got;
	struct err ignore;
	FILE *f = tmpfile();
	int rc = -1;

	if (!f)
		return -1;
	if (store_cat(s, id, fileno(f), &ignore) == 0) {
		rewind(f);
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_add(out, chunk, got);
		rc = ferror(f) ? -1 : 0;
	}
	fclose(f);
	return rc;
}

void report_artifacts(const struct report *r, const struct graph_stage *st,
		      struct report_art *a)
{
	size_t i, k, member = 0;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < r->ninsts; i++) {
		const struct report_inst *ri = &r->insts[i];
		const struct json *outs;

		if (ri->in->stage != st)
			continue;
		member++;
		if (!ri->run || !r->s)
			continue;
		outs = runrec_get(ri->run, "outputs");
		for (k = 0; outs && outs->type == JSON_ARRAY &&
			    k < outs->u.array.n && k < ri->run->noutputs;
		     k++) {
			const char *path = json_str(outs->u.array.v[k], "path");
			struct plot_src *src;
			struct buf *label;

			if (!path || ri->out_size[k] > REPORT_ART_MAX)
				continue;
			xgrow((void **)&a->src, &a->cap, a->n + 1,
			      sizeof(*a->src));
			xgrow((void **)&a->bytes, &a->bcap, a->n + 1,
			      sizeof(*a->bytes));
			xgrow((void **)&a->labels, &a->lcap, a->n + 1,
			      sizeof(*a->labels));
			buf_init(&a->bytes[a->n]);
			if (report_read_blob(r->s, &ri->run->outputs[k],
					     &a->bytes[a->n]) < 0) {
				buf_release(&a->bytes[a->n]);
				continue;
			}
			label = &a->labels[a->n];
			buf_init(label);
			report_inst_label(label, ri->in);
			src = &a->src[a->n];
			memset(src, 0, sizeof(*src));
			src->label = label->data;
			src->name = path;
			src->data = a->bytes[a->n].data;
			src->len = a->bytes[a->n].len;
			src->member = member - 1;
			src->as = graph_plot_as(
				st, json_str(outs->u.array.v[k], "name"));
			a->n++;
		}
	}
}

void report_artifacts_free(struct report_art *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		buf_release(&a->bytes[i]);
		buf_release(&a->labels[i]);
	}
	free(a->src);
	free(a->bytes);
	free(a->labels);
	memset(a, 0, sizeof(*a));
}

static int by_start(const void *x, const void *y)
{
	const struct report_bar *a = x, *b = y;

	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return a->inst < b->inst ? -1 : a->inst > b->inst;
}

/* used_ns of run id: when it last ran or its outputs were restored. */
static int take_used(const struct store_run *sr, void *ctx)
{
	*(int64_t *)ctx = sr->used_ns;
	return 0;
}

/*
 * The last run: every run of an instance and every restore of one
 * (a run's last use after its end), cut where nothing ran for
 * RUN_GAP_NS; then each bar in the lowest slot free at its start.
 */
static void timeline(struct report *r, struct store *s)
{
	struct report_bar *all = NULL;
	size_t n = 0, cap = 0, i, j, from = 0;
	int64_t end = 0, *lane_end = NULL, span, mark;
	int nlanes = 0;

	for (i = 0; i < r->nruns; i++) {
		const struct runrec *rr = &r->runs[i];
		const struct graph_inst *in = graph_find(r->g, rr->instance);
		int64_t used = 0;
		struct err ignore;

		if (!in)
			continue;
		xgrow((void **)&all, &cap, n + 2, sizeof(*all));
		all[n].inst = in->index;
		all[n].start_ns = rr->start_ns;
		all[n].end_ns = rr->start_ns + (int64_t)(rr->duration_s * 1e9);
		all[n].restored = 0;
		all[n++].ok = rr->ok;
		if (s && rr->ok &&
		    store_get_run(s, &rr->id, take_used, &used, &ignore) == 0 &&
		    used > all[n - 1].end_ns) {
			all[n].inst = in->index;
			all[n].start_ns = all[n].end_ns = used;
			all[n].restored = 1;
			all[n++].ok = 1;
		}
	}
	if (!n)
		return;
	qsort(all, n, sizeof(*all), by_start);
	for (i = 0; i < n; i++) {
		if (i && all[i].start_ns > end + RUN_GAP_NS)
			from = i;
		if (all[i].end_ns > end)
			end = all[i].end_ns;
	}
	r->nbars = n - from;
	r->bars = xcalloc(r->nbars, sizeof(*r->bars));
	memcpy(r->bars, all + from, r->nbars * sizeof(*r->bars));
	free(all);
	/* A restore is a moment: it takes 1% of the chart in its slot. */
	span = end - r->bars[0].start_ns;
	mark = span / 100 > 0 ? span / 100 : 1;
	lane_end = xcalloc(r->nbars, sizeof(int64_t));
	for (i = 0; i < r->nbars; i++) {
		int64_t stop = r->bars[i].end_ns;
		if (r->bars[i].restored || stop - r->bars[i].start_ns < mark)
			stop = r->bars[i].start_ns + mark;
		for (j = 0; j < (size_t)nlanes &&
			    lane_end[j] > r->bars[i].start_ns;
		     j++)
			;
		if (j == (size_t)nlanes)
			nlanes++;
		lane_end[j] = stop;
		r->bars[i].lane = (int)j;
	}
	r->nlanes = nlanes;
	free(lane_end);
}

static void inst_runs(struct report *r, struct report_inst *ri,
		      const struct lock_index *lock)
{
	const struct lock_known *lk = lock_index_find(lock, ri->in->name);
	size_t k;

	/* Newest first: the lock's key's, else the newest that worked. */
	for (k = 0; k < r->nruns; k++) {
		const struct runrec *rr = &r->runs[k];
		if (strcmp(rr->instance, ri->in->name))
			continue;
		if (!ri->last)
			ri->last = rr;
		if (rr->ok && lk && digest_eq(&lk->key, &rr->key)) {
			ri->run = rr;
			break;
		}
		if (rr->ok && !ri->run)
			ri->run = rr;
	}
}

int report_gather(struct report *r, const struct graph *g, struct store *s,
		  const int *state, struct err *err)
{
	struct lock_index lock;
	size_t i, k;
	int rc, current = 1;

	memset(r, 0, sizeof(*r));
	memset(&lock, 0, sizeof(lock));
	r->g = g;
	r->s = s;
	r->lock_path = lock_path_for(g->file);
	if (s && (rc = runrec_all(s, g->name, &r->runs, &r->nruns, err)))
		return rc;
	if (lock_index_load(r->lock_path, &lock) == 0) {
		r->lock = REPORT_LOCK_CURRENT;
		r->lock_entries = lock.n;
	}
	r->ninsts = g->ninsts;
	r->insts = xcalloc(g->ninsts + 1, sizeof(*r->insts));
	for (i = 0; i < g->ninsts; i++) {
		struct report_inst *ri = &r->insts[i];
		const struct lock_known *lk;

		ri->in = &g->insts[i];
		inst_runs(r, ri, &lock);
		ri->state = state[i] >= 0 && state[i] < REPORT_WOULD_RUN
				    ? state[i]
			    : !ri->last	    ? REPORT_NEVER
			    : !ri->last->ok ? REPORT_FAILED
					    : REPORT_WOULD_RUN;
		lk = lock_index_find(&lock, ri->in->name);
		if (ri->state != REPORT_UPTODATE || !lk)
			current = 0;
		if (!ri->run)
			continue;
		ri->out_size = xcalloc(ri->run->noutputs + 1, sizeof(uint64_t));
		for (k = 0; k < ri->run->noutputs; k++) {
			struct store_object o;
			ri->out_size[k] =
				store_lookup(s, &ri->run->outputs[k], &o) == 0
					? o.size
					: UINT64_MAX;
		}
	}
	if (r->lock == REPORT_LOCK_CURRENT && !current)
		r->lock = REPORT_LOCK_STALE;
	lock_index_free(&lock);
	for (k = 0; k < r->nruns; k++) {
		int64_t end = r->runs[k].start_ns +
			      (int64_t)(r->runs[k].duration_s * 1e9);
		if (end > r->newest_ns)
			r->newest_ns = end;
	}
	timeline(r, s);
	return 0;
}

void report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->ninsts; i++)
		free(r->insts[i].out_size);
	free(r->insts);
	runrec_free_all(r->runs, r->nruns);
	free(r->bars);
	free(r->lock_path);
	memset(r, 0, sizeof(*r));
}
