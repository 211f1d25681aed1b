/*
 * The scheduler (run_internal.h): which instances the run wants, each
 * one's upstream edges and when it is ready, the machine's cores, memory
 * and GPUs and what running stages hold of them, the queue of stages to
 * start, and the event loop: decide what is ready, start what fits, wait
 * for a stage to end.  Interrupted, it stops every running stage.
 */
#include <signal.h>
#include <unistd.h>

#include "device.h"
#include "err.h"
#include "executor.h"
#include "graph.h"
#include "interrupt.h"
#include "run_internal.h"
#include "store.h"
#include "util.h"

int run_select(struct runner *r)
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

void run_resources(struct runner *r)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	char why[128];
	size_t i;

	r->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (r->cpus < 1)
		r->cpus = 1;
	r->mem = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
	/* Asking the CUDA driver takes milliseconds: only when a stage
	 * wants a GPU. */
	for (i = 0; i < r->g->ninsts; i++)
		if (r->g->insts[i].stage->gpus > 0) {
			r->ngpus = device_count(why, sizeof(why));
			break;
		}
	if (r->ngpus > 64)
		r->ngpus = 64;
}

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

static void started(struct runner *r, size_t i)
{
	r->is[i].start_ns = r->exec->now(r->exec->ctx);
	r->is[i].st = ST_RUNNING;
	r->running++;
	r->spawned++;
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

	run_error(r, "interrupted: stopping %zu running stage%s", r->running,
		  r->running == 1 ? "" : "s");
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
			if (r->is[i].kept_job && run_writer(r))
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
			run_error(r, "'%s' needs more than this machine has (%s)",
				  in->name, need_text(r, in, need));
			fail(r, i);
			continue;
		}
		hold(r, i);
		if ((rc = run_spawn(r, i)) < 0) {
			release(r, i);
			run_error(r, "%s", r->err->msg);
			fail(r, i);
			continue;
		}
		started(r, i);
		r->run_idx[r->running - 1] = i;
		/* 1: an earlier run's job, taken over */
		run_report(r, i, rc ? REP_ADOPTED : REP_STARTED);
	}
	for (k = 0; k < nskip; k++)
		idxheap_push(&r->queued, skipped[k]);
}

void run_sched_init(struct runner *r)
{
	const struct graph *g = r->g;
	size_t i, j, *fill;

	/* Each instance waits for one settle per edge from an upstream. */
	r->down_at = xcalloc(g->ninsts + 2, sizeof(size_t));
	r->waiting = xcalloc(g->ninsts + 1, sizeof(size_t));
	r->run_idx = xcalloc((size_t)(r->o->jobs > 0 ? r->o->jobs : 1) + 1,
			     sizeof(size_t));
	if (r->o->cache)
		r->asking = xcalloc(g->ninsts + 1, sizeof(size_t));
	for (i = 0; i < g->ninsts; i++)
		for (j = 0; j < g->insts[i].ndeps; j++)
			if (g->insts[i].deps[j].from) {
				r->down_at[g->insts[i].deps[j].from->index + 1]++;
				r->waiting[i]++;
			}
	for (i = 0; i < g->ninsts; i++)
		r->down_at[i + 1] += r->down_at[i];
	r->down = xcalloc(r->down_at[g->ninsts] + 1, sizeof(size_t));
	fill = xcalloc(g->ninsts + 1, sizeof(size_t));
	for (i = 0; i < g->ninsts; i++)
		for (j = 0; j < g->insts[i].ndeps; j++) {
			size_t u;
			if (!g->insts[i].deps[j].from)
				continue;
			u = g->insts[i].deps[j].from->index;
			r->down[r->down_at[u] + fill[u]++] = i;
		}
	free(fill);
	for (i = 0; i < g->ninsts; i++) {
		if (r->dur && r->is[i].want)
			r->left += r->dur[i];
		if (r->is[i].want && !r->waiting[i])
			idxheap_push(&r->ready, i);
	}
}

void run_sched_release(struct runner *r)
{
	free(r->down);
	free(r->down_at);
	free(r->waiting);
	free(r->run_idx);
	free(r->asking);
	free(r->cache_why);
	idxheap_release(&r->ready);
	idxheap_release(&r->queued);
}

/*
 * i is ready (its upstream all settled): blocked, pending, or decided and
 * then up to date, restored, in a dry run planned, or queued to run.
 */
static void take(struct runner *r, size_t i)
{
	const struct run_opts *o = r->o;
	struct run_result *res = r->res;
	struct graph_inst *in = &r->g->insts[i];
	struct ist *x = &r->is[i];
	int blocked = 0, pending = 0, rc;
	size_t j;

	for (j = 0; j < in->ndeps; j++) {
		enum state up;
		if (!in->deps[j].from)
			continue;
		up = r->is[in->deps[j].from->index].st;
		blocked |= up == ST_FAILED || up == ST_BLOCKED;
		pending |= up == ST_PLANNED || up == ST_PENDING;
	}
	if (blocked) {
		x->st = ST_BLOCKED;
		res->blocked++;
		settle(r, i);
		return;
	}
	if (pending) {
		x->st = ST_PENDING;
		x->why = "waits for an upstream stage";
		res->planned++;
		res->pending++;
		run_report(r, i, REP_PENDING);
		settle(r, i);
		return;
	}
	/* Stat cache updates stay in one open transaction; finishing a
	 * stage commits them before it records it. */
	if (x->decided) {
		x->st = x->decided;
		rc = 0;
	} else {
		rc = run_decide(r, &r->rd, i);
	}
	if (rc < 0) {
		run_error(r, "%s", r->err->msg);
		fail(r, i);
		return;
	}
	if (x->st == ST_UPTODATE) {
		res->uptodate++;
		run_report(r, i, REP_UPTODATE);
	} else if (x->st == ST_RESTORED && !o->dry_run) {
		int64_t t = profile_now(o->prof);
		int got = run_restore(r, i);

		profile_add(o->prof, PROF_RESTORE, t, 1);
		if (got == -2) {
			/* A miss, not a failure: it runs. */
			run_warning(r, "cannot restore '%s' (%s); running it",
				    in->name, r->err->msg);
			x->st = ST_QUEUED;
			x->why = "its stored outputs cannot be read";
			idxheap_push(&r->queued, i);
			return;
		}
		if (got < 0) {
			run_error(r, "cannot restore '%s': %s", in->name,
				  r->err->msg);
			fail(r, i);
			return;
		}
		res->restored++;
		res->cached += x->cached;
		run_report(r, i, REP_RESTORED);
	} else if (x->st == ST_RESTORED) {
		res->planned++;
		res->would_restore++;
		res->cached += x->cached;
		run_report(r, i, x->cached ? REP_REMOTE : REP_WOULD_RESTORE);
	} else if (run_cache_wants(r, i)) {
		/* Asked with the others found to run at once: taken again
		 * with the answer (run_cache_ask). */
		r->asking[r->nasking++] = i;
		return;
	} else if (o->dry_run) {
		x->st = ST_PLANNED;
		res->planned++;
		res->would_run++;
		run_report(r, i, REP_WOULD_RUN);
	} else {
		idxheap_push(&r->queued, i);	/* to run */
		return;
	}
	settle(r, i);
}

/*
 * Wait for a running stage to end, and finish it.  An open writer holds
 * the store's write lock: wait no longer than the batch may stay open.
 */
static void wait_one(struct runner *r)
{
	const struct executor *e = r->exec;
	struct exec_end end;
	int64_t t;
	size_t k, i;
	int got;

	if (r->scan.w && !r->dirty_since)
		r->dirty_since = e->now(e->ctx);
	if (r->scan.w) {
		int64_t left = r->dirty_since + BATCH_NS - e->now(e->ctx);
		if (left <= 0) {
			run_commit(r);
			return;
		}
		t = profile_now(r->o->prof);
		got = e->wait(e->ctx, left, &end);
	} else {
		store_idle(r->s);
		t = profile_now(r->o->prof);
		got = e->wait(e->ctx, -1, &end);
	}
	profile_add(r->o->prof, PROF_COMMANDS, t, got == 1);
	for (k = 0; got == 1 && k < r->running; k++) {
		i = r->run_idx[k];
		if (r->is[i].job != end.id)
			continue;
		r->run_idx[k] = r->run_idx[r->running - 1];
		r->running--;
		release(r, i);
		t = profile_now(r->o->prof);
		run_finish(r, i, &end);
		profile_add(r->o->prof, PROF_RECORD, t, 0);
		if (r->is[i].st == ST_DONE)
			run_report(r, i, REP_DONE);
		settle(r, i);
		break;
	}
}

/* The time of every phase so far, to tell the loop's own from theirs. */
static int64_t phases_ns(const struct profile *p)
{
	int64_t ns = 0;
	int k;

	for (k = 0; p && k < PROF_N; k++)
		ns += p->ns[k];
	return ns;
}

void run_loop(struct runner *r)
{
	struct profile *p = r->o->prof;
	int64_t t = profile_now(p), before = phases_ns(p);
	size_t events = 0;

	for (;;) {
		/* Decide what is ready, lowest index (topological) first. */
		while (r->ready.n && !r->stop && !interrupt_caught()) {
			take(r, idxheap_pop(&r->ready));
			events++;
		}
		launch(r);
		if (r->nasking) {
			run_cache_ask(r);	/* then take them again */
			continue;
		}
		if (interrupt_caught()) {
			stop_all(r);
			break;
		}
		if (r->running) {
			wait_one(r);
			continue;
		}
		if (!r->ready.n || r->stop || interrupt_caught())
			break;
	}
	profile_add(p, PROF_SCHEDULE, t + phases_ns(p) - before, events);
}
