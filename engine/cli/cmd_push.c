/*
 * `cairn push` and `cairn pull`: the store's objects to and from a remote
 * cache (engine/remote/sync.h), for the instances of the lock file (all,
 * or the TARGETs and what they depend on) or for ids; on a terminal a
 * progress line with bytes and an ETA; what was done, as a line or as
 * JSON.  docs/cli.md and docs/remote.md describe them.
 */
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "digest.h"
#include "err.h"
#include "graph.h"
#include "http.h"
#include "interrupt.h"
#include "json.h"
#include "lockfile.h"
#include "runrec.h"
#include "store.h"
#include "sync.h"
#include "term.h"
#include "units.h"
#include "util.h"

enum { OPT_VERIFY = 256, OPT_JSON };

static const struct opt_spec push_opts[] = {
	{ "verify", OPT_VERIFY, 0, NULL,
	  "ask the remote about every object: believe neither what it was "
	  "seen holding nor that what it holds holds all it names" },
	{ "json", OPT_JSON, 0, NULL, "print what was done as JSON" },
	CLI_OPT_PARAM,
	{ 0 },
};

static const struct opt_spec pull_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print what was done as JSON" },
	CLI_OPT_PARAM,
	{ 0 },
};

/* One thing pushed or pulled: an instance of the lock file, or an id. */
struct item {
	const char *name;	/* the instance, or NULL for an id */
	struct digest id;	/* push: a run or an object; pull: a key or
				   an object */
	int run;		/* push: id is the instance's run */
	int here;		/* pull: the store has its locked run */
	size_t want;		/* pull: its index among the wants */
};

struct job {
	struct cli *cli;
	const struct command *cmd;
	int pull, json, verify;
	struct cli_session cs;
	struct remote_config conf;
	const struct remote_conf *remote;
	struct lock_index lock;
	char *lock_path;
	char **ops;		/* the operands after REMOTE and GRAPH */
	size_t nops;
	char **ops_mem;		/* what ops points into */
	struct item *items;
	size_t n, cap;
	size_t unlocked;	/* targeted instances with no lock entry */
	int named;		/* an operand named the remote */
	/* The progress line. */
	int tty, line;
	const char *phase;
	double phase_t0, drawn;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int ends_toml(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && !strcmp(s + n - 5, ".toml");
}

static int is_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n >= 6 && !s[n];
}

static struct item *add(struct job *j)
{
	xgrow((void **)&j->items, &j->cap, j->n + 1, sizeof(*j->items));
	memset(&j->items[j->n], 0, sizeof(j->items[j->n]));
	return &j->items[j->n++];
}

/* ---- the progress line ---- */

static void on_progress(const struct sync_progress *p, void *ctx)
{
	struct job *j = ctx;
	double t = now_s(), dt;
	char a[32], b[32], r[32];
	struct buf line = BUF_INIT;

	if (p->phase != j->phase) {
		j->phase = p->phase;
		j->phase_t0 = t;
	} else if (t - j->drawn < 0.1 && p->done < p->total) {
		return;
	}
	j->drawn = t;
	dt = t - j->phase_t0;
	buf_addf(&line, "\r\033[K%s %zu/%zu", p->phase, p->done, p->total);
	if (p->total_bytes > p->bytes)
		buf_addf(&line, ", %s of %s", format_size(p->bytes, a),
			 format_size(p->total_bytes, b));
	else if (p->bytes)
		buf_addf(&line, ", %s", format_size(p->bytes, a));
	if (dt > 0.5 && p->bytes) {
		double rate = (double)p->bytes / dt;

		buf_addf(&line, ", %s/s", format_size((uint64_t)rate, r));
		if (p->total_bytes > p->bytes) {
			int eta = (int)((double)(p->total_bytes - p->bytes) /
					rate);

			buf_addf(&line, ", ETA %dm%02ds", eta / 60, eta % 60);
		}
	}
	fputs(line.data, stderr);
	fflush(stderr);
	buf_release(&line);
	j->line = 1;
}

static void progress_end(struct job *j)
{
	if (j->line) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		j->line = 0;
	}
}

/* ---- what to push or pull ---- */

/* Lock entry lk as an item: push its run (else its outputs alone); pull
 * its key unless the store has its run. */
static int add_locked(struct job *j, const struct lock_known *lk)
{
	struct store *s = j->cs.s;
	struct digest run;
	struct err err;
	size_t k;
	int rc;

	if ((rc = lock_entry_run(s, lk, &run, &err)) < 0)
		return cli_store_fail(j->cli, rc, &err);
	if (j->pull) {
		struct item *it = add(j);

		it->name = lk->name;
		it->id = lk->key;
		it->here = rc;
		return 0;
	}
	if (rc) {
		struct item *it = add(j);

		it->name = lk->name;
		it->id = run;
		it->run = 1;
		return 0;
	}
	for (k = 0; k < lk->nouts; k++) {
		char hex[DIGEST_HEX + 1];

		if ((rc = store_raw_has(s, STORE_RAW_OBJECT, &lk->out_id[k])) <
		    0) {
			err_set(&err, "cannot read store '%s': %s",
				store_path(s), store_strerror(rc));
			return cli_store_fail(j->cli, rc, &err);
		}
		if (!rc) {
			digest_hex(&lk->out_id[k], hex);
			term_error(&j->cli->term, "the store has no output "
						  "'%s' of '%s' (the lock file "
						  "says %.12s)",
				   lk->out_path[k], lk->name, hex);
			term_hint(&j->cli->term, "'cairn run' makes or "
						 "restores it");
			return EXIT_INTERNAL;
		}
	}
	term_warning(&j->cli->term, "no run of '%s' with its locked outputs "
				    "in the store: they are pushed without "
				    "an action record",
		     lk->name);
	for (k = 0; k < lk->nouts; k++) {
		struct item *it = add(j);

		it->name = lk->name;
		it->id = lk->out_id[k];
	}
	return 0;
}

static int load_lock(struct job *j)
{
	if (!j->cs.g) {
		term_error(&j->cli->term, "nothing to %s: no graph here, and "
					  "no ids given",
			   j->cmd->name);
		term_hint(&j->cli->term, "usage: cairn %s", j->cmd->usage);
		return EXIT_USAGE;
	}
	j->lock_path = lock_path_for(j->cs.file);
	if (lock_index_load(j->lock_path, &j->lock)) {
		memset(&j->lock, 0, sizeof(j->lock));
		term_error(&j->cli->term, "no lock file '%s'", j->lock_path);
		term_hint(&j->cli->term, "'cairn run' writes it; or give ids");
		return EXIT_USAGE;
	}
	return 0;
}

/* The instances the patterns name and what they depend on, in the lock
 * file. */
static int add_targets(struct job *j, const char *const *pats, size_t n)
{
	const struct graph *g = j->cs.g;
	unsigned char *want;
	size_t i, k;
	int rc = 0;

	if (!n)
		return 0;
	if ((rc = load_lock(j)))
		return rc;
	want = xcalloc(g->ninsts + 1, 1);
	for (i = 0; i < g->ninsts; i++)
		for (k = 0; k < n; k++)
			want[i] |= graph_inst_matches(&g->insts[i], pats[k]);
	/* Reverse topological order: a consumer marks its producers. */
	for (i = g->ninsts; i-- > 0;)
		if (want[i])
			for (k = 0; k < g->insts[i].ndeps; k++)
				if (g->insts[i].deps[k].from)
					want[g->insts[i].deps[k].from->index] =
						1;
	for (i = 0; i < g->ninsts && !rc; i++) {
		const struct lock_known *lk;

		if (!want[i])
			continue;
		if ((lk = lock_index_find(&j->lock, g->insts[i].name)))
			rc = add_locked(j, lk);
		else
			j->unlocked++;
	}
	free(want);
	return rc;
}

/* The operands: targets, and ids (push: any unique prefix of one in the
 * store; pull: 64 hex digits); none: every instance of the lock file. */
static int resolve(struct job *j)
{
	const char **pats = xcalloc(j->nops + 1, sizeof(*pats));
	size_t npats = 0, i;
	struct err err;
	int rc = 0;

	if (!j->nops) {
		if ((rc = load_lock(j)))
			goto out;
		for (i = 0; i < j->lock.n && !rc; i++)
			rc = add_locked(j, &j->lock.e[i]);
		goto out;
	}
	for (i = 0; i < j->nops && !rc; i++) {
		const char *op = j->ops[i];
		struct digest id;

		if (j->cs.g && graph_check_target(j->cs.g, op, &err) == 0) {
			pats[npats++] = op;
		} else if (is_hex(op) && !j->pull) {
			if (!(rc = cli_parse_id(j->cli, j->cs.s, op, &id)))
				add(j)->id = id;
		} else if (is_hex(op) && strlen(op) == DIGEST_HEX &&
			   digest_parse(op, &id) == 0) {
			add(j)->id = id;
		} else if (is_hex(op)) {
			rc = cli_usage_error(j->cli, j->cmd,
					     "invalid id '%s': an id to pull "
					     "is 64 hex digits",
					     op);
		} else if (j->cs.g) {
			term_error(&j->cli->term, "%s", err.msg);
			rc = EXIT_USAGE;
		} else {
			rc = cli_usage_error(j->cli, j->cmd,
					     "'%s' is not an id, and there is "
					     "no graph here to find it in",
					     op);
		}
		if (rc == EXIT_USAGE && i == 0 && !j->named && !is_hex(op))
			term_hint(&j->cli->term, "nor is it a remote of the "
						 "config ('cairn remote list' "
						 "shows them)");
	}
	if (!rc)
		rc = add_targets(j, pats, npats);
out:
	free(pats);
	return rc;
}

/* ---- opening ---- */

/* Options; [REMOTE] [GRAPH]; the graph, the remote, the store. */
static int open_job(struct job *j, int argc, char **argv)
{
	struct opt_iter it;
	const char *graph = NULL, *name = NULL;
	struct err err;
	size_t first = 0, i;
	int k, rc;

	opt_init(&it, argc, argv, 1, 0);
	while ((k = cli_opt(j->cli, j->cmd, &it)) > 0) {
		if (k == OPT_JSON)
			j->json = 1;
		else if (k == OPT_VERIFY)
			j->verify = 1;
	}
	if (k < 0) {
		opt_release(&it);
		return cli_opt_exit(k);
	}
	if (it.noperands > 0 && ends_toml(it.operands[0])) {
		graph = it.operands[0];
		first = 1;
	} else if (it.noperands > 1 && ends_toml(it.operands[1])) {
		name = it.operands[0];
		j->named = 1;
		graph = it.operands[1];
		first = 2;
	}
	j->nops = (size_t)it.noperands - first;
	j->ops = j->ops_mem = xcalloc(j->nops + 1, sizeof(*j->ops));
	for (i = 0; i < j->nops; i++)
		j->ops[i] = it.operands[first + i];
	opt_release(&it);
	if ((rc = cli_session_graph(j->cli, graph, CLI_GRAPH_IF_HERE, &j->cs)))
		return rc;
	/* The workspace's config is the current folder's, as for 'cairn
	 * remote'. */
	if (remote_config_load(".", &j->conf, &err)) {
		term_error(&j->cli->term, "%s", err.msg);
		return EXIT_USAGE;
	}
	/* A first operand that names a remote is the remote. */
	for (i = 0; !name && j->nops && i < j->conf.n; i++)
		if (!strcmp(j->conf.v[i].name, j->ops[0])) {
			name = j->ops[0];
			j->ops++;
			j->nops--;
			j->named = 1;
		}
	if (!(j->remote = remote_config_find(&j->conf, name, &err))) {
		term_error(&j->cli->term, "%s", err.msg);
		if (!j->conf.n)
			term_hint(&j->cli->term, "'cairn remote add NAME URL' "
						 "adds one");
		return EXIT_USAGE;
	}
	return cli_session_store(j->cli, j->pull ? CLI_STORE_CREATE : CLI_STORE,
				 &j->cs);
}

static void close_job(struct job *j)
{
	cli_session_close(j->cli, &j->cs);
	remote_config_release(&j->conf);
	lock_index_free(&j->lock);
	free(j->lock_path);
	free(j->items);
	free(j->ops_mem);
}

/* Interrupted (Ctrl-C): what was done is kept; 130, as a run's. */
static int interrupted(struct job *j, const struct sync_counts *c)
{
	char sz[32];

	progress_end(j);
	term_error(&j->cli->term, "interrupted: %s %zu object%s (%s) %s "
				  "remote '%s'; 'cairn %s' again %s the rest",
		   j->pull ? "stored" : "sent", c->objects,
		   c->objects == 1 ? "" : "s", format_size(c->bytes, sz),
		   j->pull ? "from" : "to", j->remote->name,
		   j->pull ? "pull" : "push", j->pull ? "fetches" : "sends");
	return 130;
}

/* A failure of sync_*: the message, a hint, the exit code. */
static int sync_fail(struct job *j, int rc, const struct err *err)
{
	struct term *t = &j->cli->term;

	progress_end(j);
	if (rc >= STORE_NOTFOUND && rc <= STORE_LMDB)
		return cli_store_fail(j->cli, rc, err);
	term_error(t, "%s", err->msg);
	switch (rc) {
	case SYNC_NOKEY:
		term_hint(t, "'cairn key generate PATH' makes a key; set it as "
			     "sign_key of [remote.%s]",
			  j->remote->name);
		return EXIT_USAGE;
	case SYNC_READONLY:
	case HTTP_BADARG:
		return EXIT_USAGE;
	case HTTP_NETWORK:
		term_hint(t, "is remote '%s' (%s) up?", j->remote->name,
			  j->remote->url);
		return EXIT_INTERNAL;
	case HTTP_DENIED:
		term_hint(t, "remote '%s' (%s) refused: check its credentials "
			     "(auth_env, ~/.netrc), or whether it takes writes",
			  j->remote->name, j->remote->url);
		return EXIT_INTERNAL;
	default:
		return EXIT_INTERNAL;
	}
}

static int open_sync(struct job *j, struct sync **y)
{
	struct err err;
	int rc;

	if ((rc = sync_open(j->remote, j->cs.s, &runrec_refs, y, &err)))
		return sync_fail(j, rc, &err);
	j->tty = isatty(STDERR_FILENO) && !j->cli->term.quiet &&
		 getenv("TERM") && strcmp(getenv("TERM"), "dumb");
	if (j->tty)
		sync_on_progress(*y, on_progress, j);
	return 0;
}

/* ---- push ---- */

static void push_report(struct job *j, const struct sync_counts *c,
			double secs)
{
	char sz[32];
	struct buf out = BUF_INIT;

	if (j->json) {
		buf_adds(&out, "{\"remote\": ");
		json_string(&out, j->remote->name, strlen(j->remote->name));
		buf_addf(&out, ", \"sent\": %zu, \"bytes\": %llu, "
			       "\"actions\": %zu, \"found\": %zu, "
			       "\"known\": %zu, \"requests\": {\"head\": %zu, "
			       "\"get\": %zu, \"put\": %zu}, \"seconds\": ",
			 c->objects, (unsigned long long)c->bytes, c->actions,
			 c->present, c->known, c->heads, c->gets, c->puts);
		json_float(&out, secs);
		buf_adds(&out, "}\n");
	} else if (!j->cli->term.quiet) {
		if (c->objects)
			buf_addf(&out, "sent %zu object%s (%s) to remote '%s', "
				       "%zu of them action records",
				 c->objects, c->objects == 1 ? "" : "s",
				 format_size(c->bytes, sz), j->remote->name,
				 c->actions);
		else
			buf_addf(&out, "remote '%s' holds it all: nothing "
				       "sent",
				 j->remote->name);
		if (c->present || c->known)
			buf_addf(&out, "; %zu found there, %zu known there",
				 c->present, c->known);
		buf_adds(&out, "\n");
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
}

/* A push's or a pull's job (pull: 1 for a pull): its options, remote
 * and items; the instances never run said and left out.  0 or an exit
 * code; close_job it either way. */
static int start_job(struct job *j, struct cli *cli,
		     const struct command *cmd, int pull, int argc, char **argv)
{
	int rc;

	memset(j, 0, sizeof(*j));
	j->cli = cli;
	j->cmd = cmd;
	j->pull = pull;
	j->cs = (struct cli_session)CLI_SESSION_INIT;
	rc = open_job(j, argc, argv);
	if (!rc)
		rc = resolve(j);
	if (!rc && j->unlocked)
		term_warning(&cli->term, "%zu instance%s never run (not in the "
					 "lock file): left out",
			     j->unlocked, j->unlocked == 1 ? "" : "s");
	return rc;
}

static int push_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct job j;
	struct sync *y = NULL;
	struct sync_counts c;
	struct digest *ids = NULL;
	struct err err;
	double t0 = now_s();
	size_t i;
	int rc;

	rc = start_job(&j, cli, cmd, 0, argc, argv);
	if (!rc && !(rc = open_sync(&j, &y))) {
		ids = xcalloc(j.n + 1, sizeof(*ids));
		for (i = 0; i < j.n; i++)
			ids[i] = j.items[i].id;
		interrupt_catch();
		rc = sync_push(y, ids, j.n, j.verify, &c, &err);
		interrupt_release();
		progress_end(&j);
		if (rc == SYNC_INTERRUPTED)
			rc = interrupted(&j, &c);
		else if (rc)
			rc = sync_fail(&j, rc, &err);
		else
			push_report(&j, &c, now_s() - t0);
	}
	sync_close(y);
	free(ids);
	close_job(&j);
	return rc;
}

/* ---- pull ---- */

static const char *outcome_name(enum sync_outcome o)
{
	switch (o) {
	case SYNC_PULLED: return "pulled";
	case SYNC_HERE: return "here";
	case SYNC_ABSENT: return "absent";
	case SYNC_UNTRUSTED: return "untrusted";
	case SYNC_FAILED: return "failed";
	}
	return "failed";
}

static enum sync_outcome outcome(const struct job *j,
				 const struct sync_want *w, size_t i)
{
	return j->items[i].here ? SYNC_HERE : w[j->items[i].want].outcome;
}

static void pull_report(struct job *j, const struct sync_want *w,
			const struct sync_counts *c, double secs)
{
	size_t count[SYNC_FAILED + 1] = { 0 }, i;
	char sz[32], hex[DIGEST_HEX + 1];
	struct buf out = BUF_INIT;

	for (i = 0; i < j->n; i++) {
		enum sync_outcome o = outcome(j, w, i);

		count[o <= SYNC_FAILED ? o : SYNC_FAILED]++;
		if (o == SYNC_UNTRUSTED && !j->json)
			term_warning(&j->cli->term, "remote '%s': the action "
						    "record for '%s' is not "
						    "signed by a trusted key: "
						    "ignored",
				     j->remote->name,
				     j->items[i].name ? j->items[i].name
						      : "the key given");
	}
	if (j->json) {
		buf_adds(&out, "{\"remote\": ");
		json_string(&out, j->remote->name, strlen(j->remote->name));
		buf_addf(&out, ", \"pulled\": %zu, \"here\": %zu, "
			       "\"absent\": %zu, \"untrusted\": %zu, "
			       "\"failed\": %zu, \"objects\": %zu, "
			       "\"bytes\": %llu, \"refused\": %zu, "
			       "\"missing\": %zu, \"requests\": {\"head\": %zu, "
			       "\"get\": %zu, \"put\": %zu}, \"seconds\": ",
			 count[SYNC_PULLED], count[SYNC_HERE],
			 count[SYNC_ABSENT], count[SYNC_UNTRUSTED],
			 count[SYNC_FAILED], c->objects,
			 (unsigned long long)c->bytes, c->refused, c->missing,
			 c->heads, c->gets, c->puts);
		json_float(&out, secs);
		buf_adds(&out, ", \"items\": [");
		for (i = 0; i < j->n; i++) {
			const struct item *it = &j->items[i];
			enum sync_outcome o = outcome(j, w, i);

			buf_adds(&out, i ? ",\n    {" : "\n    {");
			if (it->name) {
				buf_adds(&out, "\"name\": ");
				json_string(&out, it->name, strlen(it->name));
				buf_adds(&out, ", \"key\": ");
			} else {
				buf_adds(&out, "\"id\": ");
			}
			digest_hex(&it->id, hex);
			buf_addf(&out, "\"%s\", \"outcome\": \"%s\"", hex,
				 outcome_name(o));
			if (it->name && (o == SYNC_PULLED ||
					 (o == SYNC_HERE && !it->here))) {
				digest_hex(&w[it->want].run, hex);
				buf_addf(&out, ", \"run\": \"%s\"", hex);
			}
			buf_adds(&out, "}");
		}
		buf_adds(&out, j->n ? "\n]}\n" : "]}\n");
	} else if (!j->cli->term.quiet) {
		buf_addf(&out, "pulled %zu of %zu from remote '%s' (%zu "
			       "object%s, %s)",
			 count[SYNC_PULLED], j->n, j->remote->name, c->objects,
			 c->objects == 1 ? "" : "s", format_size(c->bytes, sz));
		if (count[SYNC_HERE])
			buf_addf(&out, "; %zu here already", count[SYNC_HERE]);
		if (count[SYNC_ABSENT])
			buf_addf(&out, "; %zu not on the remote",
				 count[SYNC_ABSENT]);
		if (count[SYNC_UNTRUSTED])
			buf_addf(&out, "; %zu untrusted",
				 count[SYNC_UNTRUSTED]);
		if (count[SYNC_FAILED])
			buf_addf(&out, "; %zu failed", count[SYNC_FAILED]);
		buf_adds(&out, "\n");
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
}

static int pull_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct job j;
	struct sync *y = NULL;
	struct sync_counts c;
	struct sync_want *w = NULL;
	struct err err;
	double t0 = now_s();
	size_t i, n = 0;
	int rc;

	rc = start_job(&j, cli, cmd, 1, argc, argv);
	/* What it stores is no root's until a run's lock file names it. */
	if (!rc && j.cs.g)
		rc = cli_session_live(cli, "pull", &j.cs);
	else if (!rc) {
		if (store_live_begin(j.cs.s, "pull", &j.cs.live_mark, &err)) {
			term_error(&cli->term, "%s", err.msg);
			rc = EXIT_INTERNAL;
		} else {
			j.cs.live = 1;
		}
	}
	if (!rc && !(rc = open_sync(&j, &y))) {
		w = xcalloc(j.n + 1, sizeof(*w));
		for (i = 0; i < j.n; i++) {
			if (j.items[i].here)
				continue;
			j.items[i].want = n;
			w[n].id = j.items[i].id;
			w[n++].as = j.items[i].name ? SYNC_AS_KEY
						    : SYNC_AS_EITHER;
		}
		interrupt_catch();
		rc = sync_pull(y, w, n, &c, &err);
		interrupt_release();
		progress_end(&j);
		if (rc == SYNC_REFUSED || rc == SYNC_MISSING)
			pull_report(&j, w, &c, now_s() - t0);
		if (rc == SYNC_INTERRUPTED)
			rc = interrupted(&j, &c);
		else if (rc)
			rc = sync_fail(&j, rc, &err);
		else
			pull_report(&j, w, &c, now_s() - t0);
	}
	sync_close(y);
	free(w);
	close_job(&j);
	return rc;
}

const struct command cmd_push = {
	.name = "push",
	.summary = "send the store's results to a remote cache",
	.usage = "push [--verify] [--json] [-p NAME=VALUE]... [REMOTE] [GRAPH] "
		 "[TARGET|ID...]",
	.description =
		"Send to REMOTE (default: the configured default remote) the "
		"runs of the lock\nfile's instances (all, or the TARGETs and "
		"what they depend on) with their\noutputs and logs, or the "
		"objects ID names, and a signed action record for\neach run "
		"(signed with the remote's sign_key), so that a pull or "
		"'cairn run'\nelsewhere finds them by stage key. What the "
		"remote was seen holding is not\nsent or asked about again; "
		"--verify asks about everything. A push killed at\nany "
		"instant leaves no record on the remote naming what it lacks. "
		"Exit 2 for\na read-only remote or no key to sign with, 3 "
		"when the remote fails.",
	.opts = push_opts,
	.run = push_run,
};

const struct command cmd_pull = {
	.name = "pull",
	.summary = "fetch results from a remote cache into the store",
	.usage = "pull [--json] [-p NAME=VALUE]... [REMOTE] [GRAPH] "
		 "[TARGET|ID...]",
	.description =
		"Fetch from REMOTE (default: the configured default remote) "
		"the runs of the\nlock file's instances (all, or the TARGETs "
		"and what they depend on), found\nby their stage keys' action "
		"records, with everything they need; or the\nobjects ID (64 "
		"hex digits: a stage key, a run, a blob or a tree) names.\nAn "
		"action record not signed by one of the remote's trusted_keys "
		"is a miss,\nnever used. Every object is checked against its "
		"id before it is stored: a\nwrong or truncated download is "
		"refused (exit 3, naming the remote and the\nobject). Pull "
		"fills the store; 'cairn run' then restores the outputs into "
		"the\nworkspace.",
	.opts = pull_opts,
	.run = pull_run,
};
