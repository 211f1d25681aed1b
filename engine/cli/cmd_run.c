/*
 * cairn run and cairn status: load the graph, open the store, and hand
 * both to run_graph (run.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "exec_mux.h"
#include "exec_slurm.h"
#include "exec_local.h"
#include "executor.h"
#include "graph.h"
#include "json.h"
#include "lockfile.h"
#include "orphans.h"
#include "profile.h"
#include "run.h"
#include "run_json.h"
#include "run_noop.h"
#include "run_remote.h"
#include "status_term.h"
#include "store.h"
#include "toml.h"
#include "util.h"
#include "why.h"

enum { OPT_FORCE = 256, OPT_WAIT, OPT_JSON, OPT_LOCKED, OPT_EXECUTOR,
       OPT_ADOPT, OPT_NO_ADOPT, OPT_REMOTE, OPT_NO_REMOTE, OPT_PROFILE };

/* What status says of an instance.  A million of them fit in about 100
 * MB: the name and the state are borrowed (the graph and run_report's
 * words outlive the table), a reason is kept only when it is not the
 * state's own, and the key's encoding only for --locked (what would run
 * is explained as it is decided). */
struct verdict {
	const char *name, *state;
	char *why;			/* NULL: the state says it (or "") */
	int known;			/* the key is known (not pending) */
	int why_is_state;		/* why was the state's word */
	struct digest key;
	struct buf enc;			/* the key's encoding (--locked) */
};

struct verdicts {
	struct verdict *v;
	size_t n, cap;
	int all_enc;			/* keep every encoding (--locked) */
	/* What would run is explained against the instance's last
	 * recorded run: the store's runs, read when the first needs them. */
	struct store *s;
	const char *graph;
	struct why_history h;
	int loaded;
	struct buf b;
};

static const char *why_of(const struct verdict *v)
{
	return v->why ? v->why : v->why_is_state ? v->state : "";
}

/* The key in hex, or "" when it is not known. */
static void key_hex(const struct verdict *v, char out[DIGEST_HEX + 1])
{
	if (v->known)
		digest_hex(&v->key, out);
	else
		out[0] = '\0';
}

static void on_decide(const struct graph_inst *in, const char *state,
		      const char *why, const char *enc, size_t enclen,
		      void *ctx)
{
	struct verdicts *vs = ctx;
	struct verdict *v;

	xgrow((void **)&vs->v, &vs->cap, vs->n + 1, sizeof(*vs->v));
	v = &vs->v[vs->n++];
	memset(v, 0, sizeof(*v));
	v->name = in->name;
	v->state = state;
	v->why_is_state = why && !strcmp(why, state);
	if (why && *why && !v->why_is_state)
		v->why = xstrdup(why);
	buf_init(&v->enc);
	if (!enc)
		return;
	v->known = 1;
	sha256(enc, enclen, &v->key);
	if (vs->all_enc)
		buf_add(&v->enc, enc, enclen);
	if (strcmp(state, "to run"))
		return;
	/* Why, in words (why.h). */
	if (!vs->loaded++) {
		struct err ignore;
		why_history_load(vs->s, vs->graph, &vs->h, &ignore);
	}
	why_reason(&vs->b, &vs->h, v->name, enc, enclen, why_of(v));
	free(v->why);
	v->why = buf_detach(&vs->b, NULL);
}

/* Outputs edited by hand, which a run refuses to replace: said in the
 * reason (after what else makes the instance run). */
static void edited_reasons(struct verdicts *vs, const struct status_term *st)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; st->nedits && i < vs->n; i++) {
		struct verdict *v = &vs->v[i];

		buf_truncate(&b, 0);
		if (!strcmp(v->state, "to run") && why_of(v)[0])
			buf_addf(&b, "%s; ", why_of(v));
		if (!status_term_edited(st, v->name, &b, NULL))
			continue;
		free(v->why);
		v->why = buf_detach(&b, NULL);
	}
	buf_release(&b);
}

/*
 * status (and explain) before anything ran: no store to ask, and none is
 * made; an empty one in a temporary folder stands in (the scan keeps its
 * stat cache and folder trees there), removed with it after.  0, or the
 * exit code.
 */
int cli_scratch_store(struct cli *cli, struct cli_session *cs, char **dir)
{
	const char *tmp = getenv("TMPDIR");
	struct buf b = BUF_INIT;
	struct err err;
	int rc;

	buf_addf(&b, "%s/cairn-status.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(b.data)) {
		term_error(&cli->term, "cannot create '%s': %s", b.data,
			   strerror(errno));
		buf_release(&b);
		return EXIT_INTERNAL;
	}
	*dir = buf_detach(&b, NULL);
	buf_addf(&b, "%s/store", *dir);
	rc = store_open(b.data, STORE_CREATE, &cs->s, &err);
	buf_release(&b);
	if (rc) {
		term_error(&cli->term, "%s", err.msg);
		return EXIT_INTERNAL;
	}
	return 0;
}

/* With --remote: outputs here, or to be had without running. */
static int obtainable(const char *state)
{
	return !strcmp(state, "up to date") || !strcmp(state, "restorable") ||
	       !strcmp(state, "remote");
}

/*
 * --locked: every instance must be up to date with the key the lock file
 * records for it (with --remote: up to date, restorable or on the
 * remote), and the lock must name no instance the graph lacks.  Print
 * each disagreement; return how many.
 */
static int check_locked(struct cli *cli, const char *lock,
			const struct graph *g, const struct verdicts *vs,
			int remote)
{
	struct toml_doc *doc;
	const struct toml_value *st;
	struct err err;
	size_t i;
	int bad = 0;

	if (toml_parse_file(lock, &doc, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		term_hint(&cli->term, "'cairn run' writes the lock file");
		return 1;
	}
	st = toml_get(toml_root(doc), "stage");
	for (i = 0; i < vs->n; i++) {
		const struct toml_value *e = toml_get(st, vs->v[i].name);
		const struct toml_value *k = toml_get(e, "key");
		char key[DIGEST_HEX + 1];

		key_hex(&vs->v[i], key);
		if (!e || !k || k->type != TOML_STRING) {
			printf("lock: '%s' is not in the lock file\n",
			       vs->v[i].name);
			bad++;
		} else if (!key[0]) {
			printf("lock: '%s' waits for an upstream stage that "
			       "would run\n",
			       vs->v[i].name);
			bad++;
		} else if (strcmp(k->u.string.ptr, key)) {
			struct buf why = BUF_INIT;
			const struct toml_value *ver =
				toml_get(toml_root(doc), "version");

			lock_entry_changes(e, ver && ver->type == TOML_INTEGER
						      ? (int)ver->u.integer
						      : 1,
					   g, graph_find(g, vs->v[i].name),
					   vs->v[i].enc.data, vs->v[i].enc.len,
					   &why);
			printf("lock: '%s' has a different key than the lock "
			       "file records%s%s\n",
			       vs->v[i].name, why.len ? ": " : "", why.data);
			buf_release(&why);
			bad++;
		} else if (remote && !obtainable(vs->v[i].state)) {
			printf("lock: '%s' is neither here nor on the remote: it "
			       "would run\n",
			       vs->v[i].name);
			bad++;
		} else if (!remote && strcmp(vs->v[i].state, "up to date")) {
			printf("lock: '%s' outputs in the workspace differ from "
			       "the lock file\n",
			       vs->v[i].name);
			bad++;
		}
	}
	for (i = 0; st && st->type == TOML_TABLE && i < st->u.table.len; i++)
		if (!graph_find(g, st->u.table.kv[i].key)) {
			printf("lock: '%s' is in the lock file but not in the "
			       "graph\n",
			       st->u.table.kv[i].key);
			bad++;
		}
	toml_doc_free(doc);
	return bad;
}

/*
 * Who holds the workspace lock on fd, for the message: the pid the kernel
 * lists as holding an flock on the file (/proc/locks), with what that
 * holder wrote in the file when it is the one who wrote it (a run writes
 * it when it begins to do work: one with nothing to do writes nothing).
 */
static void lock_holder(int fd, char *out, size_t n)
{
	char text[128] = "", line[256];
	struct stat st;
	ssize_t got = pread(fd, text, sizeof(text) - 1, 0);
	long pid = 0, wrote = 0;
	FILE *f;

	text[got > 0 ? got : 0] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (fstat(fd, &st) == 0 && (f = fopen("/proc/locks", "re"))) {
		while (!pid && fgets(line, sizeof(line), f)) {
			unsigned long long ino;
			long p;
			unsigned maj, min;

			/* "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF";
			 * a waiter's line has "->" after the number. */
			if (!strstr(line, "FLOCK") || strstr(line, "->") ||
			    sscanf(strstr(line, "FLOCK"),
				   "FLOCK %*s %*s %ld %x:%x:%llu", &p, &maj,
				   &min, &ino) != 4 ||
			    ino != (unsigned long long)st.st_ino)
				continue;
			pid = p;
		}
		fclose(f);
	}
	if (sscanf(text, "pid %ld,", &wrote) == 1 && (!pid || wrote == pid))
		snprintf(out, n, "%s", text);
	else if (pid)
		snprintf(out, n, "pid %ld", pid);
	else
		snprintf(out, n, "unknown");
}

/* Say in the workspace lock who holds it (only informative: a failure
 * changes nothing). */
static void lock_say_holder(int fd, const struct graph *g)
{
	char me[128];
	int n = snprintf(me, sizeof(me), "pid %ld, graph %s\n",
			 (long)getpid(), g->name);

	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, me, (size_t)n, 0);
}

/*
 * The workspace lock: an flock on WORKSPACE/.cairn/lock, which the kernel
 * drops when the process dies, so a stale lock never needs cleaning.  The
 * file says who holds it once the run begins to work (run_begin).  Return
 * the descriptor, or -1 with the exit code in *rc after saying why.
 */
static int lock_workspace(struct cli *cli, struct graph *g, int wait,
			  int *rc)
{
	struct buf p = BUF_INIT;
	char holder[160];
	int fd;

	buf_addf(&p, "%s/.cairn", g->workspace);
	if ((*rc = cli_cairn_dir(cli, p.data))) {
		buf_release(&p);
		return -1;
	}
	buf_adds(&p, "/lock");
	fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		term_error(&cli->term, "cannot open '%s': %s", p.data,
			   strerror(errno));
		buf_release(&p);
		*rc = EXIT_INTERNAL;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		lock_holder(fd, holder, sizeof(holder));
		if (!wait) {
			term_error(&cli->term, "another cairn run (%s) is using "
					       "workspace '%s'",
				   holder, g->workspace);
			term_hint(&cli->term, "wait for it, or use --wait");
			close(fd);
			buf_release(&p);
			*rc = EXIT_INTERNAL;
			return -1;
		}
		if (!cli->term.quiet)
			fprintf(stderr, "cairn: waiting for %s to finish\n",
				strcmp(holder, "unknown") ? holder
							  : "another run");
		if (flock(fd, LOCK_EX) < 0) {
			close(fd);
			buf_release(&p);
			*rc = EXIT_INTERNAL;
			return -1;
		}
		graph_forget_stats(g);	/* the other run changed files */
	}
	buf_release(&p);
	return fd;
}

/* What run_begin calls (run.h): the run is about to work. */
struct begin {
	struct cli_session *cs;
	int lockfd;
	const struct run_noop *noop;	/* its proofs go stale */
};

/*
 * The store's live mark, so that gc spares what the run stores and
 * depends on until it ends (cli_session_close ends it), and the workspace
 * lock's word of who holds it.
 */
static int begin_work(void *ctx, struct err *err)
{
	struct begin *b = ctx;
	struct buf what = BUF_INIT;
	int rc;

	lock_say_holder(b->lockfd, b->cs->g);
	run_noop_forget(b->noop, b->cs->g->workspace);
	buf_addf(&what, "run %s", b->cs->g->workspace);
	rc = store_live_begin(b->cs->s, what.data, &b->cs->live_mark, err);
	buf_release(&what);
	if (rc)
		return -1;
	b->cs->live = 1;
	return 0;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Stage processes a killed run left in the workspace, stopped before
 * anything touches an output (orphans.h); the workspace lock is held, so
 * no live run owns them.  0, or the exit code after saying why.
 */
static int stop_orphans(struct cli *cli, const struct graph *g, int *left)
{
	struct buf path = BUF_INIT;
	struct err err;
	size_t n;
	int rc = EXIT_OK;

	orphans_path(g->workspace, &path);
	/* Left by a run killed while stages ran: what they wrote differs
	 * from the lock file without being an edit (run.h). */
	*left = access(path.data, F_OK) == 0;
	if (orphans_stop(path.data, &n, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		term_hint(&cli->term, "remove it if no stage of an earlier run "
				      "still runs");
		rc = EXIT_INTERNAL;
	}
	if (n)
		term_warning(&cli->term, "stopped %zu stage process group%s an "
					 "earlier run left running",
			     n, n == 1 ? "" : "s");
	buf_release(&path);
	return rc;
}

static const struct opt_spec run_opts[] = {
	{ "jobs", 'j', 1, "N", "run up to N stages at once (default: cores)" },
	{ "keep-going", 'k', 0, NULL, "after a failure, finish independent stages" },
	{ "dry-run", 'n', 0, NULL, "say what would run or be restored; run nothing" },
	CLI_OPT_PARAM,
	{ "force", OPT_FORCE, 1, "STAGE", "run STAGE (or instance, or glob) even if up to date" },
	{ "wait", OPT_WAIT, 0, NULL, "wait for another run in this workspace to end" },
	{ "executor", OPT_EXECUTOR, 1, "NAME", "run stages with local (default) or slurm" },
	{ "adopt", OPT_ADOPT, 0, NULL, "wait for the jobs a dead run left in the queue (default)" },
	{ "no-adopt", OPT_NO_ADOPT, 0, NULL, "cancel those jobs and run them anew" },
	{ "remote", OPT_REMOTE, 2, "NAME", "restore what remote cache NAME (or the default) holds; push after" },
	{ "no-remote", OPT_NO_REMOTE, 0, NULL, "use no remote cache (wins over --remote)" },
	{ "json", OPT_JSON, 0, NULL, "print the run's summary as JSON (no progress)" },
	{ "profile", OPT_PROFILE, 0, NULL, "print each phase's time and count on stderr" },
	{ 0 },
};

/* Whether any stage goes to Slurm, by its own word or the default. */
/* The store in use (given by --store or CAIRN_STORE, relative to here)
 * must not be an output either: graph_load checked only the graph's. */
static int protect_store(const struct graph *g, const char *store,
			 struct err *err)
{
	char real[PATH_MAX], cwd[PATH_MAX];
	struct buf b = BUF_INIT;
	int rc;

	if (realpath(store, real))
		buf_adds(&b, real);
	else if (store[0] != '/' && getcwd(cwd, sizeof(cwd)))
		buf_addf(&b, "%s/%s", cwd, store);
	else
		buf_adds(&b, store);
	rc = graph_protect_path(g, b.data, "the store", err);
	buf_release(&b);
	return rc;
}

static int check_names(const struct graph *g, const char *const *names,
		       size_t n, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (graph_check_target(g, names[i], err) < 0)
			return -1;
	return 0;
}

/*
 * A bare --remote takes the first target as the remote's name when it
 * names a configured remote and no stage or instance: `--remote ci`.
 */
static const char *remote_operand(const struct graph *g, const char *op)
{
	struct remote_config conf;
	struct err err;
	const char *name = NULL;
	size_t i;

	if (graph_check_target(g, op, &err) == 0)
		return NULL;
	if (remote_config_load(g->workspace, &conf, &err) < 0) {
		remote_config_release(&conf);
		return NULL;
	}
	for (i = 0; i < conf.n && !name; i++)
		if (!strcmp(conf.v[i].name, op))
			name = op;
	remote_config_release(&conf);
	return name;
}

/* status --remote: the one line of counts, and each verdict's place. */
static const char *where(const char *state)
{
	return !strcmp(state, "remote") ? "remote"
	       : obtainable(state)	? "local"
					: "missing";
}

static void remote_summary(const struct verdicts *vs, const char *remote,
			   struct buf *b)
{
	size_t i, local = 0, only = 0, missing = 0;

	for (i = 0; i < vs->n; i++) {
		const char *w = where(vs->v[i].state);
		local += !strcmp(w, "local");
		only += !strcmp(w, "remote");
		missing += !strcmp(w, "missing");
	}
	buf_addf(b, "remote '%s': %zu local, %zu remote-only, %zu missing\n",
		 remote, local, only, missing);
}

/* run --json --remote: the push's line goes to stderr, so that stdout
 * holds the JSON document alone. */
static void push_aside(struct run_remote *rr, const char *lock)
{
	int saved;

	fflush(stdout);
	if ((saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		run_remote_push(rr, lock);
		return;
	}
	run_remote_push(rr, lock);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

/* The last line of a run that is not --json. */
static void say_done(const struct cli *cli, const struct run_result *res,
		     const char *from)
{
	if (!cli->term.quiet)
		printf("done: %zu ran, %zu restored%s, %zu up to date, %zu "
		       "failed%s\n",
		       res->ran, res->restored, from ? from : "",
		       res->uptodate, res->failed,
		       res->blocked ? " (and stages after them)" : "");
}

static int uses_slurm(const struct graph *g, const char *dflt)
{
	size_t i;

	for (i = 0; i < g->nstages; i++)
		if (!strcmp(g->stages[i].executor ? g->stages[i].executor : dflt,
			    "slurm"))
			return 1;
	return 0;
}

static int go(struct cli *cli, const struct command *cmd, int argc,
	      char **argv, int status)
{
	struct opt_iter it;
	const char **force = xcalloc((size_t)argc + 1, sizeof(char *));
	struct run_opts o;
	struct run_result res;
	struct cli_session cs = CLI_SESSION_INIT;
	struct graph *g;
	struct store *s;
	struct err err;
	char *lock = NULL;
	size_t i;
	int k, rc = EXIT_OK, first = 0, wait = 0, lockfd = -1, json = 0;
	int locked = 0;
	const char *executor = NULL;
	struct exec_slurm slurm;
	struct exec_local local;
	struct exec_mux mux;
	struct executor exec, sexec, lexec;
	int slurm_open = 0, local_open = 0;
	struct verdicts vs;
	struct term term = cli->term;
	struct status_term st;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs_given = 0;
	int use_remote = 0, no_remote = 0;
	const char *remote_name = NULL;
	struct run_remote *rr = NULL;
	struct buf from;
	struct run_json rj;
	char *scratch = NULL;
	struct profile prof, *profp = NULL;
	struct begin begin;
	struct run_noop noop;
	int noop_on = 0, plain = 0;
	int64_t t0 = mono_ns(), t;

	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	memset(&vs, 0, sizeof(vs));
	buf_init(&vs.b);
	run_json_init(&rj);
	opt_init(&it, argc, argv, 1, 0);
	while ((k = cli_opt(cli, cmd, &it)) > 0) {
		switch (k) {
		case 'j': {
			char *end;
			jobs_given = 1;
			jobs = strtol(it.arg, &end, 10);
			if (*end || jobs < 1 || jobs > 4096) {
				rc = cli_usage_error(cli, cmd, "invalid -j '%s': "
							       "give 1 to 4096",
						     it.arg);
				goto out;
			}
			break;
		}
		case 'k': o.keep_going = 1; break;
		case 'n': o.dry_run = 1; break;
		case OPT_FORCE: force[o.nforce++] = it.arg; break;
		case OPT_WAIT: wait = 1; break;
		case OPT_ADOPT: o.no_adopt = 0; break;
		case OPT_NO_ADOPT: o.no_adopt = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_LOCKED: locked = 1; break;
		case OPT_REMOTE:
			use_remote = 1;
			remote_name = it.arg && *it.arg ? it.arg : NULL;
			break;
		case OPT_NO_REMOTE: no_remote = 1; break;
		case OPT_PROFILE:
			memset(&prof, 0, sizeof(prof));
			profp = &prof;
			break;
		case OPT_EXECUTOR:
			if (!graph_executor_known(it.arg)) {
				rc = cli_usage_error(cli, cmd, "unknown executor "
							       "'%s': local or "
							       "slurm",
						     it.arg);
				goto out;
			}
			executor = it.arg;
			break;
		}
	}
	if (k < 0) {
		rc = cli_opt_exit(k);
		goto out;
	}
	first = cli_graph_operand(&it);
	if ((rc = cli_session_file(cli, first ? it.operands[0] : NULL,
				   CLI_GRAPH, &cs)))
		goto out;
	/* A run that works makes the last no-op's proof stale; a plain one
	 * (the graph and nothing else) checks it before the graph is
	 * loaded, and writes it when it found nothing to do (run_noop.h). */
	if (!status && !o.dry_run) {
		run_noop_init(&noop, cli, cs.file);
		noop_on = 1;
		plain = !json && !o.nforce && !(use_remote && !no_remote) &&
			!executor && it.noperands == first;
	}
	if (plain) {
		status_term_init(&st, &term, 0, 0);
		if (run_noop_try(&noop, &st.status, &res, profp, &lockfd)) {
			say_done(cli, &res, NULL);
			goto out;
		}
	}
	if ((rc = cli_session_graph(cli, NULL, CLI_GRAPH, &cs)))
		goto out;
	g = cs.g;
	if (profp) {	/* the load's three parts, as graph_load timed them
			   (the session's own work around it is "other") */
		profp->ns[PROF_PARSE] += g->parse_ns;
		profp->n[PROF_PARSE] += g->file_bytes;
		profp->ns[PROF_EXPAND] += g->expand_ns;
		profp->n[PROF_EXPAND] += g->ninsts;
		profp->ns[PROF_CHECK] += g->check_ns;
		profp->n[PROF_CHECK] += g->ninsts;
	}
	use_remote &= !no_remote;
	if (use_remote && !remote_name && it.noperands > first &&
	    (remote_name = remote_operand(g, it.operands[first])))
		first++;
	/* A target or --force naming nothing is a typo, not an empty run. */
	if (check_names(g, (const char *const *)it.operands + first,
			(size_t)(it.noperands - first), &err) < 0 ||
	    check_names(g, force, o.nforce, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!status && !o.dry_run &&
	    (lockfd = lock_workspace(cli, g, wait, &rc)) < 0)
		goto out;
	if (lockfd >= 0 && (rc = stop_orphans(cli, g, &o.killed_before)))
		goto out;
	if (protect_store(g, cs.store_path, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	/* status --remote on a fresh clone: an empty store, as pull makes;
	 * status alone there: one that leaves nothing behind. */
	t = profile_now(profp);
	if (status && !use_remote && access(cs.store_path, F_OK) < 0 &&
	    errno == ENOENT)
		rc = cli_scratch_store(cli, &cs, &scratch);
	else
		rc = cli_session_store(cli, status && !use_remote
						    ? CLI_STORE
						    : CLI_STORE_CREATE,
				       &cs);
	if (rc)
		goto out;
	profile_add(profp, PROF_STORE, t, 1);
	s = cs.s;
	if (use_remote && (rc = run_remote_open(cli, g->workspace, remote_name,
						s, &rr)))
		goto out;
	/* Until the lock file's root is set, only the live mark keeps what
	 * the run stores from a gc running meanwhile: set when the run
	 * begins to work, so that a run with nothing to do writes nothing. */
	begin.cs = &cs;
	begin.lockfd = lockfd;
	begin.noop = &noop;
	if (!status && !o.dry_run) {
		o.begin = begin_work;
		o.begin_ctx = &begin;
	}
	o.prof = profp;
	lock = lock_path_for(cs.file);
	o.jobs = (int)jobs;
	o.status_only = status;
	if (status)
		o.dry_run = 1;
	o.force = force;
	o.targets = (const char *const *)it.operands + first;
	o.ntargets = (size_t)(it.noperands - first);
	o.lock_path = lock;
	o.cache = rr ? run_remote_cache(rr) : NULL;
	if (status) {
		o.on_decide = on_decide;
		vs.all_enc = locked;
		vs.s = s;
		vs.graph = g->name;
		o.ctx = &vs;
		term.quiet = 1;
	}
	if (!executor)
		executor = g->executor;
	if (!o.dry_run) {
		exec_local_open(&local, &lexec);
		exec_local_record(&local, g->workspace);
		local_open = 1;
		o.exec = &lexec;
	}
	if (uses_slurm(g, executor) && !o.dry_run) {
		if (exec_slurm_open(&slurm, g, &sexec, &err) < 0) {
			term_error(&cli->term, "%s", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
		/* Stages that say executor = "local" run here. */
		exec_mux_open(&mux, &lexec, &sexec, executor, &exec);
		slurm_open = 1;
		o.exec = &exec;
		o.remote = 1;
		if (g->slurm.max_jobs && o.jobs > g->slurm.max_jobs)
			o.jobs = g->slurm.max_jobs;
		else if (!g->slurm.max_jobs && !jobs_given)
			o.jobs = 1000;	/* the queue decides, not our cores */
	}
	status_term_init(&st, &term, o.dry_run, status);
	if (json && !status)
		status_term_json(&st, &rj);
	k = run_graph(g, s, &o,
		      plain ? run_noop_watch(&noop, &st.status, lock)
			    : &st.status,
		      &res, &err);
	if (k < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_INTERNAL;
		goto out;
	}
	if (plain)
		run_noop_after(&noop, g, lock, &res, k);
	if (rr) {
		buf_init(&from);
		buf_addf(&from, " (%zu from remote '%s')", res.cached,
			 run_remote_name(rr));
	}
	if (json && !status) {
		/* The summary is the document. */
	} else if (res.edited > res.kept) {
		/* Refused: nothing happened to count. */
	} else if (!cli->term.quiet && !status && o.dry_run)
		printf("would run %zu (and %zu waiting on them), restore %zu%s; "
		       "%zu up to date\n",
		       res.would_run, res.pending, res.would_restore,
		       rr ? from.data : "", res.uptodate);
	else if (!status)
		say_done(cli, &res, rr ? from.data : NULL);
	if (rr) {
		buf_release(&from);
		/* A remote that fails never changes the exit status. */
		if (o.dry_run)
			run_remote_warn(rr, status);
		else if (k != 130 && json && !status)
			push_aside(rr, lock);
		else if (k != 130)
			run_remote_push(rr, lock);
	}
	rc = k == 130 ? 130 : k ? EXIT_FAILED : EXIT_OK;
	if (json && !status) {
		struct buf b = BUF_INIT;
		run_json_write(&rj, g, &res, o.dry_run, rc, &b);
		fwrite(b.data, 1, b.len, stdout);
		buf_release(&b);
	}
	if (status) {
		struct buf b = BUF_INIT;

		edited_reasons(&vs, &st);

		if (json)
			buf_adds(&b, "[");
		for (i = 0; i < vs.n; i++) {
			struct verdict *v = &vs.v[i];
			char key[DIGEST_HEX + 1];

			key_hex(v, key);
			if (json) {
				buf_adds(&b, i ? ",\n  {\"instance\": "
					       : "\n  {\"instance\": ");
				json_string(&b, v->name, strlen(v->name));
				buf_addf(&b, ", \"state\": \"%s\", \"why\": ",
					 v->state);
				json_string(&b, why_of(v), strlen(why_of(v)));
				buf_addf(&b, ", \"key\": %s%s%s",
					 key[0] ? "\"" : "", key[0] ? key : "null",
					 key[0] ? "\"" : "");
				buf_adds(&b, ", \"edited\": ");
				status_term_edited(&st, v->name, NULL, &b);
				if (rr)
					buf_addf(&b, ", \"where\": \"%s\"",
						 where(v->state));
				buf_adds(&b, "}");
				continue;
			}
			buf_addf(&b, "%-11s %s", v->state, v->name);
			if (strcmp(v->state, "up to date") && why_of(v)[0])
				buf_addf(&b, "  (%s)", why_of(v));
			buf_addc(&b, '\n');
		}
		if (json)
			buf_adds(&b, vs.n ? "\n]\n" : "]\n");
		else if (rr)
			remote_summary(&vs, run_remote_name(rr), &b);
		if (!cli->term.quiet)
			fwrite(b.data, 1, b.len, stdout);
		buf_release(&b);
		/* With a remote: only what would have to run counts. */
		if (rr ? res.planned > res.would_restore : res.planned > 0)
			rc = EXIT_FAILED;
		if (locked && check_locked(cli, lock, g, &vs, rr != NULL))
			rc = EXIT_FAILED;
	}
out:
	if (profp && rc != EXIT_USAGE) {
		struct buf b = BUF_INIT;
		struct rusage ru;

		profile_write(profp, mono_ns() - t0, &b);
		/* The process's peak resident memory: the graph, the lock
		 * file, the store's pages it read, the binary. */
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			buf_addf(&b, "%-10s %10.1f MiB\n", "peak",
				 (double)ru.ru_maxrss / 1024);
		fflush(stdout);
		fwrite(b.data, 1, b.len, stderr);
		buf_release(&b);
	}
	status_term_release(&st);
	if (noop_on)
		run_noop_release(&noop);
	run_json_release(&rj);
	run_remote_close(rr);
	if (slurm_open)
		exec_slurm_close(&slurm);
	if (local_open)
		exec_local_close(&local);
	for (i = 0; i < vs.n; i++) {
		free(vs.v[i].why);
		buf_release(&vs.v[i].enc);
	}
	free(vs.v);
	why_history_release(&vs.h);
	buf_release(&vs.b);
	free(force);
	free(lock);
	cli_session_close(cli, &cs);
	if (scratch) {
		remove_tree(scratch);
		free(scratch);
	}
	opt_release(&it);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

static int run_run(struct cli *cli, const struct command *cmd, int argc,
		   char **argv)
{
	return go(cli, cmd, argc, argv, 0);
}

static const struct opt_spec status_opts[] = {
	CLI_OPT_PARAM,
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ "locked", OPT_LOCKED, 0, NULL,
	  "exit 1 unless the workspace matches the lock file exactly" },
	{ "remote", OPT_REMOTE, 2, "NAME",
	  "also ask remote cache NAME (or the default) what it holds" },
	{ "no-remote", OPT_NO_REMOTE, 0, NULL, "use no remote cache (wins over --remote)" },
	{ "profile", OPT_PROFILE, 0, NULL, "print each phase's time and count on stderr" },
	{ 0 },
};

static int run_status(struct cli *cli, const struct command *cmd, int argc,
		      char **argv)
{
	return go(cli, cmd, argc, argv, 1);
}

const struct command cmd_status = {
	.name = "status",
	.summary = "what 'cairn run' would do, instance by instance",
	.usage = "status [-p NAME=VALUE]... [--json] [--locked] "
		 "[--remote[=NAME]] [GRAPH] [TARGET...]",
	.description =
		"For every stage instance (or the TARGETs and what they need): "
		"up to date,\nrestorable from the store, to run (and why), or "
		"waiting for an upstream stage\nthat would run. Nothing is run "
		"or written. Exit 1 when anything would run.\nWith --remote, "
		"also whether a remote cache holds a trusted run of what\n"
		"would run: each instance local, remote-only or missing, and "
		"the counts; exit 1\nwhen anything is missing.",
	.opts = status_opts,
	.run = run_status,
};

const struct command cmd_run = {
	.name = "run",
	.summary = "run what is out of date; restore what the store has",
	.usage = "run [-j N] [-k] [-n] [-p NAME=VALUE]... [--force STAGE]... "
		 "[--wait] [--remote[=NAME]] [--json] [GRAPH] [TARGET...]",
	.description =
		"Load GRAPH (default: cairn.toml, else the only *.toml here). "
		"For each stage\ninstance in order (only TARGETs and what "
		"they need, when given: stages,\ninstances or globs): "
		"fingerprint its inputs, compute its key, and leave it\n"
		"(up to date), restore its outputs from the store (a past run "
		"had this key),\nor run it: /bin/sh -c CMD in its wdir, with "
		"CAIRN_STAGE, CAIRN_PARAMS_FILE,\nCAIRN_IN_NAME and "
		"CAIRN_OUT_NAME set, output to .cairn/logs/. Outputs are\n"
		"stored and the run recorded; then GRAPH.lock is rewritten. "
		"Exit 1 when a\nstage failed, or when an output edited since "
		"the last run would be replaced\n(nothing runs; --force its "
		"stage to replace it, its bytes kept in the store).\n"
		"With --remote, what a remote cache holds (signed by a trusted "
		"key) is pulled\nand restored instead of run, and the results "
		"are pushed after when it takes\nwrites; a remote that fails is "
		"a warning, never a failure. --json: the run's\nsummary as "
		"JSON instead of progress.",
	.opts = run_opts,
	.run = run_run,
};
