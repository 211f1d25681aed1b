/*
 * What `cairn report` shows, gathered (report.h): per instance its state,
 * the run behind its outputs and its newest run, its outputs' sizes and
 * its curve; the last run's timeline; the lock file's state.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "graph.h"
#include "json.h"
#include "lockfile.h"
#include "report.h"
#include "runrec.h"
#include "store.h"
#include "util.h"

/* A curve file bigger than this is not a curve (it is not read). */
#define CURVE_MAX (4u << 20)

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

static void curve_free(struct report_curve *c)
{
	size_t k;

	if (!c)
		return;
	for (k = 0; k < c->nnames; k++) {
		free(c->names[k]);
		free(c->y[k]);
	}
	free(c->names);
	free(c->y);
	free(c->x);
	free(c);
}

/*
 * A curve: {"epochs": [{"epoch": 1, "train_loss": ...}, ...]}, every
 * number of the first epoch a series (the classifier's curve output;
 * docs/report.md).  NULL when j is not one.
 */
static struct report_curve *curve_from(const struct json *j)
{
	const struct json *ep = json_member(j, "epochs"), *first;
	struct report_curve *c;
	size_t i, k;

	if (!ep || ep->type != JSON_ARRAY || !ep->u.array.n)
		return NULL;
	first = ep->u.array.v[0];
	if (first->type != JSON_OBJECT)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->npoints = ep->u.array.n;
	c->x = xcalloc(c->npoints, sizeof(double));
	c->names = xcalloc(first->u.object.n + 1, sizeof(char *));
	c->y = xcalloc(first->u.object.n + 1, sizeof(double *));
	for (k = 0; k < first->u.object.n; k++) {
		if (first->u.object.v[k]->type != JSON_NUMBER ||
		    !strcmp(first->u.object.k[k], "epoch"))
			continue;
		c->names[c->nnames] = xstrdup(first->u.object.k[k]);
		c->y[c->nnames++] = xcalloc(c->npoints, sizeof(double));
	}
	for (i = 0; i < c->npoints; i++) {
		const struct json *e = ep->u.array.v[i];
		double v;

		c->x[i] = json_num(e, "epoch", &v) == 0 ? v : (double)(i + 1);
		for (k = 0; k < c->nnames; k++)
			if (json_num(e, c->names[k], &c->y[k][i]) < 0) {
				curve_free(c);
				return NULL;
			}
	}
	if (!c->nnames) {
		curve_free(c);
		return NULL;
	}
	return c;
}

/* The curve among run's JSON outputs, read from the store; NULL: none. */
static struct report_curve *find_curve(struct store *s,
				       const struct report_inst *ri)
{
	const struct json *outs = runrec_get(ri->run, "outputs");
	struct report_curve *c = NULL;
	size_t k;

	for (k = 0; outs && outs->type == JSON_ARRAY && k < outs->u.array.n &&
		    k < ri->run->noutputs && !c;
	     k++) {
		const char *path = json_str(outs->u.array.v[k], "path");
		struct buf text = BUF_INIT;
		struct json *j;
		struct err ignore;
		FILE *f;
		size_t len;

		if (!path || (len = strlen(path)) < 5 ||
		    strcmp(path + len - 5, ".json") ||
		    ri->out_size[k] > CURVE_MAX)
			continue;
		if (!(f = tmpfile()))
			continue;
		if (store_cat(s, &ri->run->outputs[k], fileno(f), &ignore) == 0) {
			char chunk[8192];
			size_t got;

			rewind(f);
			while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
				buf_add(&text, chunk, got);
		}
		fclose(f);
		if (text.len &&
		    json_parse(text.data, text.len, path, &j, &ignore) == 0) {
			c = curve_from(j);
			json_free(j);
		}
		buf_release(&text);
	}
	return c;
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
		ri->curve = find_curve(s, ri);
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

	for (i = 0; i < r->ninsts; i++) {
		free(r->insts[i].out_size);
		curve_free(r->insts[i].curve);
	}
	free(r->insts);
	runrec_free_all(r->runs, r->nruns);
	free(r->bars);
	free(r->lock_path);
	memset(r, 0, sizeof(*r));
}
