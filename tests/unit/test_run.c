/*
 * The planner, driven through a fake executor: no process is started.
 * The fake "runs" a job by writing its outputs itself (from its inputs'
 * contents, or a constant for stages named const*), fails the stage it is
 * told to, keeps time with a fake clock, and notes what started and how
 * many ran at once.  The store and the workspace are real, in a temporary
 * folder.  What is checked: what runs, in which order, under -j; what is
 * up to date, restored or cut off early; what a failure blocks, with and
 * without -k; dry runs; the pre-pass of a large graph.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "executor.h"
#include "graph.h"
#include "jobtab.h"
#include "json.h"
#include "run.h"
#include "run_status.h"
#include "runrec.h"
#include "store.h"
#include "util.h"

static char dir[] = "/tmp/cairn-test-run-XXXXXX";

#define MAXJOBS 1024

struct fake {
	const char *fail;		/* this instance exits 1 */
	char started[MAXJOBS][64];	/* names, in start order */
	int nstarted;
	long ids[MAXJOBS];
	int status[MAXJOBS];
	int head, tail;			/* completions not yet waited for */
	int running, max_running;
	int64_t clock;
};

static void slurp(const char *path, struct buf *b)
{
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	if (f)
		fclose(f);
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static int fake_start(void *ctx, const struct exec_job *job, long *id,
		      struct err *err)
{
	struct fake *f = ctx;
	const struct graph_inst *in = job->inst;
	char path[1024];
	size_t k;
	int st = 0;

	(void)err;
	snprintf(f->started[f->nstarted], sizeof(f->started[0]), "%s",
		 in->name);
	*id = 1000 + f->nstarted++;
	spit(job->log, "fake\n");
	if (f->fail && !strcmp(in->name, f->fail))
		st = 1 << 8;	/* exit status 1 */
	for (k = 0; k < in->nouts && !st; k++) {
		struct buf text = BUF_INIT;
		size_t d;

		buf_addf(&text, "%s:", in->name);
		if (!strncmp(in->name, "const", 5)) {
			buf_adds(&text, "constant");
		} else {
			for (d = 0; d < in->ndeps; d++) {
				snprintf(path, sizeof(path), "%s/%s", dir,
					 in->deps[d].path);
				slurp(path, &text);
			}
		}
		snprintf(path, sizeof(path), "%s/%s", dir, in->outs[k].path);
		spit(path, text.data);
		buf_release(&text);
	}
	f->ids[f->tail] = *id;
	f->status[f->tail++] = st;
	if (++f->running > f->max_running)
		f->max_running = f->running;
	return 0;
}

static int fake_wait(void *ctx, int64_t timeout_ns, struct exec_end *end)
{
	struct fake *f = ctx;

	(void)timeout_ns;
	if (f->head == f->tail)
		return 0;
	f->clock += 1000000;
	memset(end, 0, sizeof(*end));
	end->id = f->ids[f->head];
	end->status = f->status[f->head++];
	end->end_ns = f->clock;
	f->running--;
	return 1;
}

static void fake_kill(void *ctx, long id, int sig)
{
	(void)ctx;
	(void)id;
	(void)sig;
}

static int64_t fake_now(void *ctx)
{
	struct fake *f = ctx;
	return f->clock += 1000;
}

static struct fake fk;
static struct executor ex = { &fk, fake_start, fake_wait, fake_kill,
			      fake_now };

/*
 * What the run says through its status, one line an event: "running a
 * 0/4" (what, the instance, then settled/total), "failed bad: WHY (log
 * LOG)", "warning: MSG", "error: MSG", "ended".  No terminal involved.
 */
struct seen {
	struct run_status status;
	struct buf said;
};

static struct seen seen;

static void said(const char *what, const struct graph_inst *in,
		 const struct run_progress *p)
{
	buf_addf(&seen.said, "%s %s %zu/%zu\n", what, in->name, p->settled,
		 p->total);
}

static void seen_decided(void *ctx, const struct graph_inst *in,
			 enum run_verdict v, const char *why,
			 const struct run_progress *p)
{
	static const char *const word[] = { "ok", "restore", "run",
					    "pending" };
	(void)ctx;
	(void)why;
	said(word[v], in, p);
}

static void seen_restored(void *ctx, const struct graph_inst *in,
			  const struct run_progress *p)
{
	(void)ctx;
	said("restored", in, p);
}

static void seen_started(void *ctx, const struct graph_inst *in, int adopted,
			 const struct run_progress *p)
{
	(void)ctx;
	said(adopted ? "adopted" : "running", in, p);
}

static void seen_finished(void *ctx, const struct graph_inst *in,
			  const struct run_progress *p)
{
	(void)ctx;
	said("done", in, p);
}

static void seen_failed(void *ctx, const struct graph_inst *in,
			const char *why, const char *log)
{
	const char *base = strrchr(log, '/');

	(void)ctx;
	buf_addf(&seen.said, "failed %s: %s (log %s)\n", in->name, why,
		 base ? base + 1 : log);
}

static void seen_warning(void *ctx, const char *msg)
{
	(void)ctx;
	buf_addf(&seen.said, "warning: %s\n", msg);
}

static void seen_error(void *ctx, const char *msg)
{
	(void)ctx;
	buf_addf(&seen.said, "error: %s\n", msg);
}

static void seen_ended(void *ctx)
{
	(void)ctx;
	buf_adds(&seen.said, "ended\n");
}

static struct seen seen = {
	{ seen_decided, seen_restored, seen_started, seen_finished,
	  seen_failed, seen_warning, seen_error, seen_ended, 0, NULL },
	BUF_INIT
};

static void seen_reset(void)
{
	buf_truncate(&seen.said, 0);
}

/* What run() hands run_graph besides: a remote cache, a store of its
 * own (relative to dir; NULL: .cairn/store), and the store opened. */
static const struct run_cache *use_cache;
static const char *use_store;
static struct store *cur_store;

/* Run graph file name in dir; return run_graph's code. */
static int run(const char *name, int jobs, int keep_going, int dry_run,
	       struct run_result *res)
{
	char path[1024], lock[1024], store[1024];
	struct graph *g = NULL;
	struct store *s = NULL;
	struct run_opts o;
	struct err e;
	int rc;

	memset(&fk, 0, sizeof(fk));
	fk.clock = 1700000000000000000LL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(lock, sizeof(lock), "%s/%.*s.lock", dir,
		 (int)(strlen(name) - 5), name);
	snprintf(store, sizeof(store), "%s/%s", dir,
		 use_store ? use_store : ".cairn/store");
	if (graph_load(path, NULL, 0, &g, &e) < 0) {
		fprintf(stderr, "graph_load: %s\n", e.msg);
		return -2;
	}
	mkdir_p(store, 0);
	if (store_open(store, STORE_CREATE, &s, &e)) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		graph_free(g);
		return -2;
	}
	memset(&o, 0, sizeof(o));
	o.jobs = jobs;
	o.keep_going = keep_going;
	o.dry_run = dry_run;
	o.lock_path = lock;
	o.exec = &ex;
	o.cache = use_cache;
	cur_store = s;
	seen_reset();
	rc = run_graph(g, s, &o, &seen.status, res, &e);
	cur_store = NULL;
	if (rc < 0)
		fprintf(stderr, "run_graph: %s\n", e.msg);
	store_close(s);
	graph_free(g);
	return rc;
}

/* rm -rf each of the space-separated paths, relative to dir. */
static void system_rm(const char *rels)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd '%s' && rm -rf %s", dir, rels);
	if (system(cmd))
		fprintf(stderr, "failed: %s\n", cmd);
}

static const char *started(void)
{
	static struct buf all = BUF_INIT;
	int k;

	buf_truncate(&all, 0);
	for (k = 0; k < fk.nstarted; k++)
		buf_addf(&all, "%s%s", k ? " " : "", fk.started[k]);
	return all.data;
}

static void put(const char *rel, const char *text)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	mkdir_p(path, 1);
	spit(path, text);
}

static const char *get(const char *rel)
{
	static struct buf b = BUF_INIT;
	char path[1024];

	buf_truncate(&b, 0);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	slurp(path, &b);
	return b.data;
}

/*
 * Every run record's key encoding is its key's: the run no longer keeps
 * the encodings it decided with (10^6 of them were 250 MB) but makes each
 * again to record it.  How many records there are.
 */
static size_t encodings_are_keys(void)
{
	char store[1024];
	struct store *s = NULL;
	struct runrec *v = NULL;
	struct buf enc = BUF_INIT;
	struct digest d;
	size_t n = 0, i, k;
	struct err e;

	snprintf(store, sizeof(store), "%s/.cairn/store", dir);
	if (store_open(store, STORE_RDONLY, &s, &e) ||
	    runrec_all(s, NULL, &v, &n, &e)) {
		CHECK(0);
		if (s)
			store_close(s);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *hex = json_str(v[i].payload, "key_encoding");
		unsigned x;

		buf_truncate(&enc, 0);
		for (k = 0; hex && hex[k] && hex[k + 1]; k += 2) {
			CHECK_INT(sscanf(hex + k, "%2x", &x), 1);
			buf_addc(&enc, (char)x);
		}
		CHECK(hex && enc.len > 0);
		sha256(enc.data, enc.len, &d);
		CHECK(digest_eq(&d, &v[i].key));
	}
	runrec_free_all(v, n);
	buf_release(&enc);
	store_close(s);
	return n;
}

static void test_small(void)
{
	struct run_result res;

	put("src/a.txt", "A1\n");
	put("src/b.txt", "B1\n");
	put("g.toml",
	    "[stage.a]\ncmd = 'a'\ndeps = { i = 'src/a.txt' }\n"
	    "outs = { o = 'out/a.txt' }\n"
	    "[stage.b]\ncmd = 'b'\ndeps = { i = 'src/b.txt' }\n"
	    "outs = { o = 'out/b.txt' }\n"
	    "[stage.const]\ncmd = 'c'\ndeps = { i = '${stage.a.outs.o}' }\n"
	    "outs = { o = 'out/c.txt' }\n"
	    "[stage.d]\ncmd = 'd'\n"
	    "deps = { c = '${stage.const.outs.o}', b = '${stage.b.outs.o}' }\n"
	    "outs = { o = 'out/d.txt' }\n");

	/* Everything runs, upstream first, two at a time at most. */
	CHECK_INT(run("g.toml", 2, 0, 0, &res), 0);
	CHECK_STR(started(), "a b const d");
	CHECK_INT(fk.max_running, 2);
	CHECK_INT(res.ran, 4);
	CHECK_STR(get("out/d.txt"), "d:const:constantb:B1\n");
	CHECK_INT(encodings_are_keys(), 4);
	/* What the status heard, and in what order: a and b start; a's end
	 * readies const; d starts when const is done. */
	CHECK_STR(seen.said.data,
		  "running a 0/4\nrunning b 0/4\ndone a 1/4\n"
		  "running const 1/4\ndone b 2/4\ndone const 3/4\n"
		  "running d 3/4\ndone d 4/4\nended\n");

	/* Nothing changed: nothing runs. */
	CHECK_INT(run("g.toml", 2, 0, 0, &res), 0);
	CHECK_STR(started(), "");
	CHECK_INT(res.uptodate, 4);
	CHECK_STR(seen.said.data, "ok a 1/4\nok b 2/4\nok const 3/4\n"
				  "ok d 4/4\nended\n");

	/* a's input changed: a and const rerun; const made the same bytes,
	 * so d is cut off. */
	put("src/a.txt", "A2\n");
	CHECK_INT(run("g.toml", 2, 0, 0, &res), 0);
	CHECK_STR(started(), "a const");
	CHECK_INT(res.ran, 2);
	CHECK_INT(res.uptodate, 2);
	CHECK_INT(encodings_are_keys(), 6);

	/* A deleted output comes back from the store; nothing runs. */
	{
		char p[1024];
		snprintf(p, sizeof(p), "%s/out/d.txt", dir);
		CHECK_INT(unlink(p), 0);
	}
	CHECK_INT(run("g.toml", 2, 0, 0, &res), 0);
	CHECK_STR(started(), "");
	CHECK_INT(res.restored, 1);
	CHECK_STR(get("out/d.txt"), "d:const:constantb:B1\n");
	CHECK_STR(seen.said.data, "ok a 1/4\nok b 2/4\nok const 3/4\n"
				  "restored d 4/4\nended\n");

	/* Flipping a's input back restores a, without running it. */
	put("src/a.txt", "A1\n");
	CHECK_INT(run("g.toml", 2, 0, 0, &res), 0);
	CHECK_STR(started(), "");
	CHECK_INT(res.restored, 1);
	CHECK_STR(get("out/a.txt"), "a:A1\n");

	/* The lock file alone says the workspace is up to date: with an
	 * empty store, nothing runs. */
	{
		char cmd[1200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s/.cairn/store'", dir);
		CHECK_INT(system(cmd), 0);
	}
	CHECK_INT(run("g.toml", 2, 0, 0, &res), 0);
	CHECK_STR(started(), "");
	CHECK_INT(res.uptodate, 4);

	/* The same lock file written by hand (literal strings): read through
	 * the TOML parser, it still says everything is up to date. */
	{
		char cmd[1200];
		snprintf(cmd, sizeof(cmd), "sed -i \"s/\\\"/'/g\" '%s/g.lock' && "
			 "rm -rf '%s/.cairn/store'", dir, dir);
		CHECK_INT(system(cmd), 0);
		CHECK(strchr(get("g.lock"), '\'') != NULL);
	}
	CHECK_INT(run("g.toml", 2, 0, 0, &res), 0);
	CHECK_STR(started(), "");
	CHECK_INT(res.uptodate, 4);

	/* A dry run decides and starts nothing. */
	put("src/b.txt", "B2\n");
	CHECK_INT(run("g.toml", 2, 0, 1, &res), 0);
	CHECK_STR(started(), "");
	CHECK_INT(res.planned, 2);	/* b to run, d pending */
	CHECK_STR(seen.said.data, "ok a 1/4\nrun b 1/4\nok const 2/4\n"
				  "pending d 2/4\nended\n");

}

static void test_failure(void)
{
	struct run_result res;

	put("f/x.txt", "x\n");
	put("f.toml",
	    "[stage.bad]\ncmd = 'bad'\ndeps = { i = 'f/x.txt' }\n"
	    "outs = { o = 'f/bad.txt' }\n"
	    "[stage.after]\ncmd = 'after'\ndeps = { i = '${stage.bad.outs.o}' }\n"
	    "outs = { o = 'f/after.txt' }\n"
	    "[stage.other]\ncmd = 'other'\ndeps = { i = 'f/x.txt' }\n"
	    "outs = { o = 'f/other.txt' }\n"
	    "[stage.zlast]\ncmd = 'zlast'\ndeps = { i = 'f/x.txt' }\n"
	    "outs = { o = 'f/zlast.txt' }\n");

	/* -j1, without and with -k. */
	{
		char path[1024], lock[1024], store[1024];
		struct graph *g = NULL;
		struct store *s = NULL;
		struct run_opts o;
		struct err e;
		int k;

		for (k = 0; k < 2; k++) {
			memset(&fk, 0, sizeof(fk));
			fk.fail = "bad";
			snprintf(path, sizeof(path), "%s/f.toml", dir);
			snprintf(lock, sizeof(lock), "%s/f.lock", dir);
			snprintf(store, sizeof(store), "%s/.cairn/store", dir);
			CHECK_INT(graph_load(path, NULL, 0, &g, &e), 0);
			CHECK_INT(store_open(store, STORE_CREATE, &s, &e), 0);
			memset(&o, 0, sizeof(o));
			o.jobs = 1;
			o.keep_going = k;
			o.lock_path = lock;
			o.exec = &ex;
			seen_reset();
			CHECK_INT(run_graph(g, s, &o, &seen.status, &res, &e), 1);
			store_close(s);
			graph_free(g);
			CHECK_INT(fk.max_running, 1);
			if (!k) {
				/* bad is first in order; nothing after it. */
				CHECK_STR(started(), "bad");
				CHECK_INT(res.failed, 1);
				CHECK_INT(res.ran, 0);
				CHECK_STR(seen.said.data,
					  "running bad 0/4\nfailed bad: failed "
					  "with exit status 1 (log bad.log)\n"
					  "ended\n");
			} else {
				/* -k: independent stages run, after is
				 * blocked. */
				CHECK_STR(started(), "bad other zlast");
				CHECK_INT(res.failed, 1);
				CHECK_INT(res.blocked, 1);
				CHECK_INT(res.ran, 2);
				CHECK_STR(seen.said.data,
					  "running bad 0/4\nfailed bad: failed "
					  "with exit status 1 (log bad.log)\n"
					  "running other 2/4\ndone other 3/4\n"
					  "running zlast 3/4\ndone zlast 4/4\n"
					  "ended\n");
			}
		}
	}
}

/*
 * Warnings and errors reach the status as messages, with no terminal: a
 * cluster job an earlier run kept for the workspace (and an executor that
 * cannot adopt it), and an instance whose input went missing after the
 * graph was loaded.
 */
static void test_said(void)
{
	char path[1024], lock[1024], store[1024], want[2048];
	struct graph *g = NULL;
	struct store *s = NULL;
	struct store_writer *w;
	struct run_result res;
	struct run_opts o;
	struct err e;

	put("w/in.txt", "w\n");
	put("w/gone.txt", "gone\n");
	put("w.toml", "[stage.w]\ncmd = 'w'\ndeps = { i = 'w/in.txt' }\n"
		      "outs = { o = 'w/out.txt' }\n"
		      "[stage.x]\ncmd = 'x'\ndeps = { i = 'w/gone.txt' }\n"
		      "outs = { o = 'w/x.txt' }\n");
	snprintf(path, sizeof(path), "%s/w.toml", dir);
	snprintf(lock, sizeof(lock), "%s/w.lock", dir);
	snprintf(store, sizeof(store), "%s/.cairn/store", dir);
	memset(&fk, 0, sizeof(fk));
	CHECK_INT(graph_load(path, NULL, 0, &g, &e), 0);
	if (!g)
		return;
	CHECK_INT(store_open(store, STORE_CREATE, &s, &e), 0);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(jobtab_keep(w, g->workspace, "w", "job 1", 5, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	snprintf(path, sizeof(path), "%s/w/gone.txt", dir);
	CHECK_INT(unlink(path), 0);
	memset(&o, 0, sizeof(o));
	o.jobs = 1;
	o.keep_going = 1;
	o.lock_path = lock;
	o.exec = &ex;
	seen_reset();
	CHECK_INT(run_graph(g, s, &o, &seen.status, &res, &e), 1);
	/* Both are decided before w starts: x fails (counted as settled). */
	snprintf(want, sizeof(want),
		 "warning: 1 cluster job of an earlier run is kept for this "
		 "workspace; run with --executor slurm to take it over\n"
		 "error: cannot read '%s': No such file or directory\n"
		 "running w 1/2\ndone w 2/2\nended\n",
		 path);
	CHECK_STR(seen.said.data, want);
	/* The job is not the next tests'. */
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(jobtab_forget(w, g->workspace, "w", &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	store_close(s);
	graph_free(g);
}

/*
 * The lock file's gc root is set before the file is written: a run whose
 * root cannot be set (its store is open read-only) fails with that error
 * (cairn run exits 3) and writes no lock file; the same run with a
 * writable store writes it.
 */
static void test_lock_root(void)
{
	char path[1024], lock[1024], store[1024], want[4096];
	struct graph *g = NULL;
	struct store *s = NULL;
	struct run_result res;
	struct run_opts o;
	struct err e;
	int k;

	put("r/in.txt", "r\n");
	put("r.toml", "[stage.r]\ncmd = 'r'\ndeps = { i = 'r/in.txt' }\n"
		      "outs = { o = 'r/out.txt' }\n");
	CHECK_INT(run("r.toml", 1, 0, 0, &res), 0);
	CHECK_INT(res.ran, 1);
	snprintf(path, sizeof(path), "%s/r.toml", dir);
	snprintf(lock, sizeof(lock), "%s/r.lock", dir);
	snprintf(store, sizeof(store), "%s/.cairn/store", dir);
	CHECK_INT(unlink(lock), 0);
	for (k = 0; k < 2; k++) {
		memset(&fk, 0, sizeof(fk));
		CHECK_INT(graph_load(path, NULL, 0, &g, &e), 0);
		if (!g)
			return;
		CHECK_INT(store_open(store, k ? 0 : STORE_RDONLY, &s, &e), 0);
		memset(&o, 0, sizeof(o));
		o.jobs = 1;
		o.lock_path = lock;
		o.exec = &ex;
		seen_reset();
		CHECK_INT(run_graph(g, s, &o, &seen.status, &res, &e), k ? 0 : -1);
		CHECK_INT(res.uptodate, 1);
		CHECK_STR(seen.said.data, "ok r 1/1\nended\n");
		if (!k) {
			snprintf(want, sizeof(want),
				 "cannot set the gc root of lock file '%s': "
				 "store '%s' is open read-only: Read-only file "
				 "system",
				 lock, store);
			CHECK_STR(e.msg, want);
		}
		CHECK(access(lock, F_OK) == (k ? 0 : -1));
		store_close(s);
		graph_free(g);
	}
}


/* Enough independent stages for the threaded pre-pass. */
static void test_many(void)
{
	struct buf g = BUF_INIT;
	struct run_result res;
	char rel[64], text[64];
	int i, n = 600;

	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "many/in/%d.txt", i);
		snprintf(text, sizeof(text), "%d\n", i);
		put(rel, text);
		buf_addf(&g, "[stage.m%d]\ncmd = 'm'\ndeps = { i = 'many/in/%d.txt' }\n"
			     "outs = { o = 'many/out/%d.txt' }\n",
			 i, i, i);
	}
	put("many.toml", g.data);
	buf_release(&g);
	CHECK_INT(run("many.toml", 4, 0, 0, &res), 0);
	CHECK_INT(res.ran, (size_t)n);
	CHECK_INT(fk.nstarted, n);
	CHECK(fk.max_running <= 4);
	CHECK_INT(run("many.toml", 4, 0, 0, &res), 0);
	CHECK_INT(fk.nstarted, 0);
	CHECK_INT(res.uptodate, (size_t)n);
	/* One input changed: exactly its stage. */
	put("many/in/317.txt", "changed\n");
	CHECK_INT(run("many.toml", 4, 0, 0, &res), 0);
	CHECK_STR(started(), "m317");
	CHECK_INT(res.uptodate, (size_t)n - 1);
}

/*
 * A remote cache with no network: another store.  fetch copies the runs
 * of the keys asked about (and all they need) from it into the run's
 * store as raw records, like a pull; probe answers with their outputs.
 * Each batch's size is noted.
 */
struct fake_cache {
	struct store *from;	/* NULL: holds nothing */
	int down;		/* every call fails */
	int calls;
	char batches[256];
};

static int first_run(struct fake_cache *fc, const struct digest *key,
		     struct digest *run)
{
	struct digest *runs = NULL;
	size_t n = 0;
	struct err e;
	int found;

	if (!fc->from || store_action_runs(fc->from, key, &runs, &n, &e))
		return 0;
	found = n > 0;
	if (found)
		*run = runs[0];
	free(runs);
	return found;
}

static int copy_run(struct store *from, struct store *to,
		    const struct digest *run)
{
	struct store_raw_item *items = NULL;
	struct store_writer *w;
	struct buf b = BUF_INIT;
	size_t n = 0, i;
	struct err e;
	int rc;

	if ((rc = store_raw_walk(from, run, 1, &runrec_refs, NULL, NULL,
				 &items, &n, &e)) ||
	    (rc = store_writer_new(to, &w, &e)))
		return rc;
	for (i = 0; i < n && !rc; i++) {
		rc = store_raw_get(from, items[i].kind, &items[i].id, &b, &e);
		if (!rc && items[i].kind == STORE_RAW_RUN)
			rc = store_raw_put_run(w, &items[i].id, b.data, b.len,
					       0, &runrec_refs, &e);
		else if (!rc)
			rc = store_raw_put(w, items[i].kind, &items[i].id,
					   b.data, b.len, &e);
	}
	rc = rc ? (store_writer_abort(w), rc) : store_writer_commit(w, &e);
	buf_release(&b);
	free(items);
	return rc;
}

static int fake_asked(struct fake_cache *fc, size_t n, struct err *err)
{
	size_t len = strlen(fc->batches);

	snprintf(fc->batches + len, sizeof(fc->batches) - len, "%s%zu",
		 fc->calls++ ? " " : "", n);
	if (fc->down)
		return err_set(err, "remote 'fake': down");
	return 0;
}

static int fake_fetch(void *ctx, struct run_cache_ask *a, size_t n,
		      struct err *err)
{
	struct fake_cache *fc = ctx;
	struct digest run;
	size_t k;

	if (fake_asked(fc, n, err) < 0)
		return -1;
	for (k = 0; k < n; k++)
		a[k].found = first_run(fc, a[k].key, &run) &&
			     copy_run(fc->from, cur_store, &run) == 0;
	return 0;
}

static int take_outs(const struct store_run *r, void *ctx)
{
	struct run_cache_ask *a = ctx;
	size_t k;

	if (r->noutputs != a->nouts)
		return 0;
	for (k = 0; k < r->noutputs; k++)
		a->outs[k] = r->outputs[k];
	a->found = 1;
	return 0;
}

static int fake_probe(void *ctx, struct run_cache_ask *a, size_t n,
		      struct err *err)
{
	struct fake_cache *fc = ctx;
	struct digest run;
	struct err e;
	size_t k;

	if (fake_asked(fc, n, err) < 0)
		return -1;
	for (k = 0; k < n; k++)
		if (first_run(fc, a[k].key, &run))
			store_get_run(fc->from, &run, take_outs, &a[k], &e);
	return 0;
}

/*
 * run --remote: the instances found to run are asked about together, a
 * wave at a time, before any starts; what the remote holds is restored
 * and runs not; forced and always_run ones are never asked; a remote that
 * fails is said once and the run goes on; a dry run probes, and the keys
 * downstream of what the remote holds are known.
 */
static void test_cache(void)
{
	struct fake_cache fc;
	struct run_cache cache = { "fake", fake_fetch, fake_probe, &fc };
	struct run_result res;
	char path[1024];
	struct err e;

	put("cs/1.txt", "one\n");
	put("cs/2.txt", "two\n");
	put("cache.toml",
	    "[stage.ca]\ncmd = 'a'\ndeps = { i = 'cs/1.txt' }\n"
	    "outs = { o = 'co/a.txt' }\n"
	    "[stage.cb]\ncmd = 'b'\ndeps = { i = '${stage.ca.outs.o}' }\n"
	    "outs = { o = 'co/b.txt' }\n"
	    "[stage.cd]\ncmd = 'd'\ndeps = { i = 'cs/2.txt' }\n"
	    "outs = { o = 'co/d.txt', e = 'co/e.txt' }\n"
	    "[stage.ck]\ncmd = 'k'\ndeps = { i = 'cs/2.txt' }\n"
	    "always_run = true\nouts = { o = 'co/k.txt' }\n");
	/* The "remote": a store that ran it all. */
	use_store = ".cairn/remote";
	CHECK_INT(run("cache.toml", 1, 0, 0, &res), 0);
	CHECK_INT(res.ran, 4);
	memset(&fc, 0, sizeof(fc));
	snprintf(path, sizeof(path), "%s/.cairn/remote", dir);
	CHECK_INT(store_open(path, STORE_RDONLY, &fc.from, &e), 0);

	/* A fresh store and workspace: restored from it, nothing run but
	 * the always_run one; ca and cd asked about together, then cb. */
	use_store = ".cairn/fresh";
	use_cache = &cache;
	system_rm("co cache.lock .cairn/fresh");
	CHECK_INT(run("cache.toml", 1, 0, 0, &res), 0);
	CHECK_STR(started(), "ck");
	CHECK_STR(fc.batches, "2 1");
	CHECK_INT(res.restored, 3);
	CHECK_INT(res.cached, 3);
	CHECK_STR(get("co/b.txt"), "cb:ca:one\n");
	CHECK_STR(get("co/e.txt"), "cd:two\n");
	/* Now the store has them: the remote is not asked. */
	system_rm("co");
	memset(fc.batches, 0, sizeof(fc.batches));
	fc.calls = 0;
	CHECK_INT(run("cache.toml", 1, 0, 0, &res), 0);
	CHECK_INT(fc.calls, 0);
	CHECK_INT(res.restored, 3);
	CHECK_INT(res.cached, 0);

	/* A dry run probes: downstream of what the remote holds, cb's key
	 * is known (restorable, not pending); nothing is stored. */
	system_rm("co cache.lock .cairn/fresh");
	memset(fc.batches, 0, sizeof(fc.batches));
	fc.calls = 0;
	CHECK_INT(run("cache.toml", 1, 0, 1, &res), 0);
	CHECK_STR(fc.batches, "2 1");
	CHECK_INT(res.would_restore, 3);
	CHECK_INT(res.cached, 3);
	CHECK_INT(res.pending, 0);
	CHECK_INT(res.would_run, 1);
	CHECK_STR(seen.said.data, "run ck 0/4\nrestore ca 0/4\n"
				  "restore cd 0/4\nrestore cb 0/4\nended\n");

	/* A remote that holds nothing: all run, cb asked once ca ran (ck,
	 * never asked, started while the others were). */
	store_close(fc.from);
	memset(&fc, 0, sizeof(fc));
	system_rm("co cache.lock .cairn/fresh");
	CHECK_INT(run("cache.toml", 1, 0, 0, &res), 0);
	CHECK_STR(started(), "ck ca cd cb");
	CHECK_STR(fc.batches, "2 1");
	CHECK_INT(res.cached, 0);

	/* A remote that fails: said once, never asked again, all run. */
	fc.down = 1;
	fc.batches[0] = 0;
	fc.calls = 0;
	system_rm("co cache.lock .cairn/fresh");
	CHECK_INT(run("cache.toml", 1, 0, 0, &res), 0);
	CHECK_INT(fc.calls, 1);
	CHECK_INT(res.ran, 4);
	CHECK(strstr(seen.said.data, "warning: remote 'fake': down; running "
				     "without remote 'fake'\n") != NULL);
	use_cache = NULL;
	use_store = NULL;
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(dir))
		return 1;
	test_small();
	test_failure();
	test_said();
	test_lock_root();
	test_many();
	test_cache();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_run");
}
