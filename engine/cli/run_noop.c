/*
 * cairn run and the no-op proof (run_noop.h).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "graph.h"
#include "noop.h"
#include "orphans.h"
#include "profile.h"
#include "run.h"
#include "run_noop.h"
#include "util.h"

/* path made absolute against the current folder (not resolved). */
static void absolute(const char *path, struct buf *out)
{
	char cwd[PATH_MAX];

	buf_truncate(out, 0);
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		buf_addf(out, "%s/", cwd);
	buf_adds(out, path);
}

static int stat_of(const char *path, struct filestat *out)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	filestat_from(&st, out);
	return 1;
}

void run_noop_init(struct run_noop *n, const struct cli *cli,
		   const char *file)
{
	struct buf b = BUF_INIT, p = BUF_INIT;
	struct filestat exe;
	struct timespec ts;
	size_t i;

	memset(n, 0, sizeof(*n));
	clock_gettime(CLOCK_REALTIME, &ts);
	n->since_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	noop_path(file, &p);
	n->path = buf_detach(&p, NULL);
	n->have_graph_st = stat_of(file, &n->graph_st);
	/* The program (its kinds' versions are in it), where it runs, what
	 * it was told. */
	if (stat_of("/proc/self/exe", &exe))
		buf_addf(&b, "exe %llu %llu %llu %lld %lld\n",
			 (unsigned long long)exe.dev,
			 (unsigned long long)exe.ino,
			 (unsigned long long)exe.size, (long long)exe.mtime_ns,
			 (long long)exe.ctime_ns);
	absolute(file, &p);
	buf_addf(&b, "graph %s\n", p.data);
	buf_addf(&b, "store %s\n",
		 cli->store || getenv("CAIRN_STORE") ? cli_store_path(cli) : "");
	for (i = 0; i < cli->nov; i++)
		buf_addf(&b, "param %s=%s\n", cli->ov[i].name,
			 cli->ov[i].value);
	n->context = buf_detach(&b, NULL);
	buf_release(&p);
}

void run_noop_release(struct run_noop *n)
{
	free(n->path);
	free(n->context);
	free(n->names);
	memset(n, 0, sizeof(*n));
}

/* ---- the fast path ---- */

struct say {
	const struct run_status *st;
	struct graph_inst in;	/* the name is all a report reads of it */
};

static void say_uptodate(const char *name, size_t i, size_t n, void *ctx)
{
	struct say *s = ctx;
	struct run_progress p;

	memset(&p, 0, sizeof(p));
	p.settled = i + 1;
	p.total = n;
	p.eta_s = -1;
	s->in.name = (char *)name;
	s->in.index = i;
	if (s->st->decided)
		s->st->decided(s->st->ctx, &s->in, RUN_UPTODATE, NULL, &p);
}

int run_noop_try(struct run_noop *n, const struct run_status *st,
		 struct run_result *res, struct profile *prof, int *lockfd)
{
	struct noop_proof pf;
	struct buf p = BUF_INIT;
	struct say s;
	int64_t t = profile_now(prof);
	size_t checked = 0;
	int fd = -1, held = 0;

	if (noop_load(n->path, &pf) < 0)
		return 0;
	/* The workspace lock first, as a full run takes it: the proof is
	 * checked with no run working beside. */
	buf_addf(&p, "%s/.cairn/lock", pf.workspace);
	fd = open(p.data, O_RDWR | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto out;
	/* Stage processes a killed run left: the full run stops them. */
	buf_truncate(&p, 0);
	orphans_path(pf.workspace, &p);
	if (access(p.data, F_OK) == 0)
		goto out;
	held = noop_holds(&pf, n->context, &checked);
out:
	profile_add(prof, PROF_PROOF, t, checked);
	if (held) {
		memset(&s, 0, sizeof(s));
		s.st = st;
		noop_names(&pf, say_uptodate, &s);
		if (st->ended)
			st->ended(st->ctx);
		memset(res, 0, sizeof(*res));
		res->uptodate = pf.nnames;
		*lockfd = fd;
		n->held = 1;
	} else if (fd >= 0) {
		close(fd);
	}
	noop_release(&pf);
	buf_release(&p);
	return held;
}

/* ---- the watch over a full run ---- */

#define W ((struct run_noop *)ctx)
#define INNER (W->inner)

static void w_decided(void *ctx, const struct graph_inst *in,
		      enum run_verdict v, const char *why,
		      const struct run_progress *p)
{
	if (v == RUN_UPTODATE) {
		xgrow((void **)&W->names, &W->cap, W->nnames + 1,
		      sizeof(*W->names));
		W->names[W->nnames++] = in->name;
	} else {
		W->said++;
	}
	if (INNER->decided)
		INNER->decided(INNER->ctx, in, v, why, p);
}

static void w_restored(void *ctx, const struct graph_inst *in,
		       const struct run_progress *p)
{
	W->said++;
	if (INNER->restored)
		INNER->restored(INNER->ctx, in, p);
}

static void w_started(void *ctx, const struct graph_inst *in, int adopted,
		      const struct run_progress *p)
{
	W->said++;
	if (INNER->started)
		INNER->started(INNER->ctx, in, adopted, p);
}

static void w_finished(void *ctx, const struct graph_inst *in,
		       const struct run_progress *p)
{
	W->said++;
	if (INNER->finished)
		INNER->finished(INNER->ctx, in, p);
}

static void w_failed(void *ctx, const struct graph_inst *in, const char *why,
		     const char *log)
{
	W->said++;
	if (INNER->failed)
		INNER->failed(INNER->ctx, in, why, log);
}

static void w_warning(void *ctx, const char *msg)
{
	W->said++;
	if (INNER->warning)
		INNER->warning(INNER->ctx, msg);
}

static void w_error(void *ctx, const char *msg)
{
	W->said++;
	if (INNER->error)
		INNER->error(INNER->ctx, msg);
}

static void w_ended(void *ctx)
{
	if (INNER->ended)
		INNER->ended(INNER->ctx);
}

static void w_hint(void *ctx, const char *msg)
{
	W->said++;
	if (INNER->hint)
		INNER->hint(INNER->ctx, msg);
}

static void w_outcome(void *ctx, const struct run_outcome *o)
{
	if (INNER->outcome)
		INNER->outcome(INNER->ctx, o);
}

static void w_edited(void *ctx, const struct run_edit *e)
{
	W->said++;
	if (INNER->edited)
		INNER->edited(INNER->ctx, e);
}

static void w_dropped(void *ctx, const struct graph_inst *in, double secs)
{
	W->said++;
	if (INNER->dropped)
		INNER->dropped(INNER->ctx, in, secs);
}

#undef W
#undef INNER

const struct run_status *run_noop_watch(struct run_noop *n,
					const struct run_status *st,
					const char *lock)
{
	static const struct run_status watch = {
		.decided = w_decided,	.restored = w_restored,
		.started = w_started,	.finished = w_finished,
		.failed = w_failed,	.warning = w_warning,
		.error = w_error,	.ended = w_ended,
		.hint = w_hint,		.outcome = w_outcome,
		.edited = w_edited,	.dropped = w_dropped,
	};

	n->have_lock_st = stat_of(lock, &n->lock_st);
	n->inner = st;
	n->watch = watch;
	n->watch.eta = st->eta;
	n->watch.ctx = n;
	return &n->watch;
}

void run_noop_after(struct run_noop *n, const struct graph *g,
		    const char *lock, const struct run_result *res, int rc)
{
	struct buf ga = BUF_INIT, la = BUF_INIT;
	struct noop_record r;
	struct filestat now;
	const char *why;

	/* Every instance up to date by the lock file, which stayed as it
	 * was, and nothing said but that. */
	if (n->held || rc || n->said || !n->have_graph_st ||
	    !n->have_lock_st || res->ran || res->restored || res->failed ||
	    res->blocked || res->edited || res->uptodate != g->ninsts ||
	    n->nnames != g->ninsts || !stat_of(lock, &now) ||
	    now.ino != n->lock_st.ino || now.mtime_ns != n->lock_st.mtime_ns)
		return;
	absolute(g->file, &ga);
	absolute(lock, &la);
	r.context = n->context;
	r.graph_abs = ga.data;
	r.lock_abs = la.data;
	r.graph_st = &n->graph_st;
	r.lock_st = &n->lock_st;
	r.names = n->names;
	r.nnames = n->nnames;
	r.since_ns = n->since_ns;
	noop_record(n->path, g, &r, &why);
	buf_release(&ga);
	buf_release(&la);
}

void run_noop_forget(const struct run_noop *n, const char *workspace)
{
	noop_forget(n->path, workspace);
}
