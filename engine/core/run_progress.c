/*
 * What the run reports (run_internal.h): each instance's decision to
 * o->on_decide (explain), and progress, warnings and errors to the run's
 * status (run_status.h); and, for a status that shows an ETA, the
 * recorded durations of the instances.
 */
#include <stdarg.h>

#include "err.h"
#include "graph.h"
#include "json.h"
#include "run_internal.h"
#include "runrec.h"
#include "store.h"
#include "util.h"

static void progress(const struct runner *r, struct run_progress *p)
{
	const struct run_result *s = r->res;
	int jobs = r->o->jobs > 0 ? r->o->jobs : 1;

	p->settled = s->ran + s->restored + s->uptodate + s->failed +
		     s->blocked;
	p->total = r->total;
	p->restored = s->restored;
	p->running = r->running;
	/* ETA: the recorded durations of what is still to run. */
	p->eta_s = r->left >= 1 ? r->left / jobs : -1;
	p->secs = 0;
}

void run_report(struct runner *r, size_t i, enum report what)
{
	static const char *const state[] = {
		[REP_UPTODATE] = "up to date", [REP_WOULD_RESTORE] = "restorable",
		[REP_WOULD_RUN] = "to run",    [REP_PENDING] = "pending",
		[REP_RESTORED] = "restorable", [REP_STARTED] = "to run",
		[REP_ADOPTED] = "to run",      [REP_DONE] = "to run",
		[REP_REMOTE] = "remote",
	};
	static const enum run_verdict verdict[] = {
		[REP_UPTODATE] = RUN_UPTODATE,
		[REP_WOULD_RESTORE] = RUN_WOULD_RESTORE,
		[REP_WOULD_RUN] = RUN_WOULD_RUN,
		[REP_PENDING] = RUN_PENDING,
		[REP_REMOTE] = RUN_WOULD_RESTORE,
	};
	const struct run_status *st = r->st;
	const struct graph_inst *in = &r->g->insts[i];
	const struct ist *x = &r->is[i];
	struct run_progress p;

	if (r->o->on_decide) {
		int known = what != REP_PENDING;
		r->o->on_decide(in, state[what], x->why,
				known ? r->enc[i].data : NULL,
				known ? r->enc[i].len : 0, r->o->ctx);
	}
	if (!st)
		return;
	progress(r, &p);
	if (what == REP_RESTORED || what == REP_DONE)
		p.secs = x->secs;
	switch (what) {
	case REP_UPTODATE:
	case REP_WOULD_RESTORE:
	case REP_WOULD_RUN:
	case REP_PENDING:
	case REP_REMOTE:
		if (st->decided)
			st->decided(st->ctx, in, verdict[what], x->why, &p);
		break;
	case REP_RESTORED:
		if (st->restored)
			st->restored(st->ctx, in, &p);
		break;
	case REP_STARTED:
	case REP_ADOPTED:
		if (st->started)
			st->started(st->ctx, in, what == REP_ADOPTED, &p);
		break;
	case REP_DONE:
		if (st->finished)
			st->finished(st->ctx, in, &p);
		break;
	}
}

void run_report_dropped(struct runner *r, size_t i)
{
	if (r->st && r->st->dropped)
		r->st->dropped(r->st->ctx, &r->g->insts[i], r->is[i].secs);
}

void run_report_failed(struct runner *r, size_t i, const char *why)
{
	struct buf log = BUF_INIT;

	if (!r->st || !r->st->failed)
		return;
	if (r->is[i].has_log)
		run_log_path(r, i, &log);
	r->st->failed(r->st->ctx, &r->g->insts[i], why,
		      r->is[i].has_log ? log.data : NULL);
	buf_release(&log);
}

const char *run_end_word(enum run_end e)
{
	static const char *const word[] = {
		[RUN_END_UPTODATE] = "up to date",
		[RUN_END_RESTORED] = "restored",
		[RUN_END_RAN] = "ran",
		[RUN_END_FAILED] = "failed",
		[RUN_END_BLOCKED] = "blocked",
		[RUN_END_NOT_RUN] = "not run",
		[RUN_END_WOULD_RESTORE] = "would restore",
		[RUN_END_WOULD_RUN] = "would run",
		[RUN_END_PENDING] = "pending",
	};

	return word[e];
}

static enum run_end end_of(const struct ist *x)
{
	switch (x->st) {
	case ST_UPTODATE: return RUN_END_UPTODATE;
	case ST_RESTORED: return RUN_END_RESTORED;
	case ST_DONE: return RUN_END_RAN;
	case ST_FAILED: return RUN_END_FAILED;
	case ST_BLOCKED: return RUN_END_BLOCKED;
	case ST_PLANNED: return RUN_END_WOULD_RUN;
	case ST_PENDING: return RUN_END_PENDING;
	default: return RUN_END_NOT_RUN;
	}
}

/* Each instance asked for, as it ended (run --json). */
static void outcomes(struct runner *r)
{
	const struct run_status *st = r->st;
	struct buf log = BUF_INIT;
	size_t i;

	for (i = 0; i < r->g->ninsts; i++) {
		const struct ist *x = &r->is[i];
		struct run_outcome o;
		int restored;

		if (!x->want)
			continue;
		memset(&o, 0, sizeof(o));
		o.in = &r->g->insts[i];
		o.end = end_of(x);
		/* A dry run's restorable instance is still ST_RESTORED. */
		if (o.end == RUN_END_RESTORED && r->o->dry_run)
			o.end = RUN_END_WOULD_RESTORE;
		if (o.end != RUN_END_PENDING && o.end != RUN_END_BLOCKED &&
		    o.end != RUN_END_NOT_RUN)
			o.key = &x->key;
		if (o.end == RUN_END_UPTODATE || o.end == RUN_END_RESTORED ||
		    o.end == RUN_END_RAN || o.end == RUN_END_WOULD_RESTORE)
			o.outs = x->out_d;
		restored = o.end == RUN_END_RESTORED ||
			   o.end == RUN_END_WOULD_RESTORE;
		if (x->has_run || (restored && memcmp(x->run.b,
						      (struct digest){ 0 }.b,
						      DIGEST_LEN)))
			o.run = &x->run;
		if (o.end == RUN_END_RAN || o.end == RUN_END_FAILED ||
		    o.end == RUN_END_RESTORED)
			o.secs = x->secs;
		if (o.end == RUN_END_WOULD_RUN ||
		    o.end == RUN_END_WOULD_RESTORE || o.end == RUN_END_PENDING)
			o.why = x->why;
		else if (o.end == RUN_END_FAILED)
			o.why = x->failure;
		if ((o.end == RUN_END_FAILED || o.end == RUN_END_RAN) &&
		    x->has_log) {
			run_log_path(r, i, &log);
			o.log = log.data;
		}
		st->outcome(st->ctx, &o);
	}
	buf_release(&log);
}

void run_report_ended(struct runner *r)
{
	if (r->st && r->st->outcome)
		outcomes(r);
	if (r->st && r->st->ended)
		r->st->ended(r->st->ctx);
}

static void say(struct runner *r, int error, const char *fmt, va_list ap)
{
	void (*fn)(void *, const char *);
	struct buf msg = BUF_INIT;

	if (!r->st || !(fn = error ? r->st->error : r->st->warning))
		return;
	buf_vaddf(&msg, fmt, ap);
	fn(r->st->ctx, msg.data);
	buf_release(&msg);
}

void run_error(struct runner *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(r, 1, fmt, ap);
	va_end(ap);
}

void run_hint(struct runner *r, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	if (!r->st || !r->st->hint)
		return;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	r->st->hint(r->st->ctx, msg.data);
	buf_release(&msg);
}

void run_warning(struct runner *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(r, 0, fmt, ap);
	va_end(ap);
}

struct durations {
	struct runner *r;
	int64_t *when;
};

/* The newest record of each instance of this graph gives its duration. */
static int note_duration(const struct digest *id, const struct store_run *run,
			 void *ctx)
{
	struct durations *d = ctx;
	struct graph_inst *in;
	struct runrec rr;
	double ns;

	if (runrec_from(id, run, &rr) < 0)
		return 0;
	if (!strcmp(rr.graph, d->r->g->name) &&
	    (in = graph_find(d->r->g, rr.instance)) &&
	    run->time_ns > d->when[in->index] &&
	    json_num(rr.payload, "duration_ns", &ns) == 0) {
		d->when[in->index] = run->time_ns;
		d->r->dur[in->index] = rr.duration_s;
	}
	runrec_release(&rr);
	return 0;
}

void run_durations(struct runner *r)
{
	struct durations d = { r, xcalloc(r->g->ninsts + 1, sizeof(int64_t)) };
	struct err ignore;

	r->dur = xcalloc(r->g->ninsts + 1, sizeof(double));
	store_runs_walk(r->s, note_duration, &d, &ignore);
	free(d.when);
}
