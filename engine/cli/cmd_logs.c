/*
 * `cairn logs`: a stage's log as the store keeps it.  The workspace's
 * .cairn/logs holds the log of the last command this workspace ran; after
 * a restore (or a run elsewhere, pulled) that is not the log of the run
 * behind the outputs, or there is none.  Every run record names its log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "graph.h"
#include "json.h"
#include "lockfile.h"
#include "runrec.h"
#include "store.h"
#include "units.h"
#include "utf8.h"
#include "util.h"

enum { OPT_RUN = 256, OPT_JSON };

static const struct opt_spec logs_opts[] = {
	{ "run", OPT_RUN, 1, "ID", "the log of run ID (a prefix of 6+ hex digits)" },
	{ "json", OPT_JSON, 0, NULL, "print the runs and their logs as JSON" },
	{ 0 },
};

struct pick {
	const struct runrec *r;
	size_t place;	/* the instance's place in the graph, or -1 */
};

static int by_place(const void *x, const void *y)
{
	const struct pick *a = x, *b = y;

	if (a->place != b->place)
		return a->place < b->place ? -1 : 1;
	return strcmp(a->r->instance, b->r->instance);
}

/* The id of run r's log; 0 or an exit code after saying why not. */
static int log_of(struct cli *cli, const struct runrec *r, struct digest *log)
{
	const char *hex = json_str(r->payload, "log");
	char rid[DIGEST_HEX + 1];

	if (hex && digest_parse(hex, log) == 0)
		return 0;
	digest_hex(&r->id, rid);
	term_error(&cli->term, "run %.12s of '%s' recorded no log", rid,
		   r->instance);
	return EXIT_FAILED;
}

/* Write log (of run r) to fd; 0 or an exit code. */
static int cat_log(struct cli *cli, struct store *s, const struct runrec *r,
		   const struct digest *log, int fd)
{
	char rid[DIGEST_HEX + 1], hex[DIGEST_HEX + 1];
	struct err err;
	int rc;

	if (!(rc = store_cat(s, log, fd, &err)))
		return 0;
	if (rc != STORE_NOTFOUND)
		return cli_store_fail(cli, rc, &err);
	digest_hex(&r->id, rid);
	digest_hex(log, hex);
	term_error(&cli->term, "the log of run %.12s of '%s' (%.12s) is not "
			       "in the store",
		   rid, r->instance, hex);
	return EXIT_INTERNAL;
}

/* Print run r's log: a header first when head.  0 or an exit code. */
static int print_log(struct cli *cli, struct store *s, const struct runrec *r,
		     int head)
{
	char rid[DIGEST_HEX + 1], t[32];
	struct digest log;

	digest_hex(&r->id, rid);
	if (head) {
		printf("==> %s: run %.12s, %s UTC, ", r->instance, rid,
		       format_time(r->start_ns, t));
		if (r->ok)
			printf("ok <==\n");
		else if (r->exit)
			printf("failed (exit %d) <==\n", r->exit);
		else
			printf("failed <==\n");
	}
	fflush(stdout);
	if (log_of(cli, r, &log))
		return EXIT_FAILED;
	return cat_log(cli, s, r, &log, STDOUT_FILENO);
}

/* text[0..n) as a JSON string, each byte that starts no valid UTF-8
 * character as U+FFFD (a log is whatever a command wrote). */
static void json_text(struct buf *out, const char *text, size_t n)
{
	struct buf fixed = BUF_INIT;
	size_t i = 0, k;

	if (utf8_validate(text, n) == n) {
		json_string(out, text, n);
		return;
	}
	while (i < n) {
		if ((k = utf8_valid_prefix_char(text + i, n - i))) {
			buf_add(&fixed, text + i, k);
			i += k;
		} else {
			buf_adds(&fixed, "\xef\xbf\xbd");
			i++;
		}
	}
	json_string(out, fixed.data, fixed.len);
	buf_release(&fixed);
}

/* Run r and its log as one JSON object into out; 0 or an exit code. */
static int json_log(struct cli *cli, struct store *s, const struct runrec *r,
		    struct buf *out)
{
	char rid[DIGEST_HEX + 1], hex[DIGEST_HEX + 1];
	struct buf text = BUF_INIT;
	struct digest log;
	char chunk[65536];
	size_t got;
	FILE *f;
	int rc;

	if ((rc = log_of(cli, r, &log)))
		return rc;
	if (!(f = tmpfile())) {
		term_error(&cli->term, "cannot make a temporary file: %s",
			   strerror(errno));
		return EXIT_INTERNAL;
	}
	if (!(rc = cat_log(cli, s, r, &log, fileno(f)))) {
		rewind(f);
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_add(&text, chunk, got);
		if (ferror(f)) {
			term_error(&cli->term, "cannot read a temporary file");
			rc = EXIT_INTERNAL;
		}
	}
	fclose(f);
	if (!rc) {
		digest_hex(&r->id, rid);
		digest_hex(&log, hex);
		buf_adds(out, "  {\"instance\": ");
		json_string(out, r->instance, strlen(r->instance));
		buf_addf(out, ", \"run\": \"%s\", \"start_ns\": %lld, "
			      "\"ok\": %s, \"exit\": %d, \"log\": \"%s\", "
			      "\"text\": ",
			 rid, (long long)r->start_ns, r->ok ? "true" : "false",
			 r->exit, hex);
		json_text(out, text.data, text.len);
		buf_addc(out, '}');
	}
	buf_release(&text);
	return rc;
}

/*
 * Whose log an instance shows: the run behind its outputs (its lock
 * entry's), unless a later one failed (the last attempt is the one to
 * read then); with no entry, its newest.  newest is its newest run in
 * v[0..n); 0 with *out set, or an exit code.
 */
static int behind(struct cli *cli, struct store *s,
		  const struct lock_index *lock, const struct runrec *v,
		  size_t n, const struct runrec *newest,
		  const struct runrec **out)
{
	const struct lock_known *lk = lock_index_find(lock, newest->instance);
	struct digest run;
	struct err err;
	size_t i;
	int rc;

	*out = newest;
	if (!newest->ok || !lk)
		return 0;
	rc = lock_entry_run(s, lk, &run, &err);
	if (rc != 0 && rc != 1 && rc != STORE_NOTFOUND)
		return cli_store_fail(cli, rc, &err);
	for (i = 0; rc == 1 && i < n; i++)
		if (digest_eq(&v[i].id, &run))
			*out = &v[i];
	return 0;
}

/* The run --run names (a prefix); it must be of target, when given. */
static int one_run(struct cli *cli, struct store *s, const char *id,
		   const char *target, struct runrec *r)
{
	struct digest d;
	struct err err;
	int rc;

	if ((rc = store_resolve(s, id, &d, &err)))
		return cli_store_fail(cli, rc, &err);
	if ((rc = runrec_load(s, &d, r, &err))) {
		if (rc != STORE_NOTFOUND)
			return cli_store_fail(cli, rc, &err);
		term_error(&cli->term, "'%s' is no run", id);
		return EXIT_USAGE;
	}
	if (target && !cli_of_stage(r, target)) {
		term_error(&cli->term, "run %s is of '%s', not of '%s'", id,
			   r->instance, target);
		return EXIT_USAGE;
	}
	return 0;
}

static int logs_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct runrec *v = NULL, one;
	struct pick *pick = NULL;
	struct lock_index lock;
	const struct graph_inst *in;
	struct err err;
	struct buf out = BUF_INIT;
	const char *run = NULL, *target;
	size_t n = 0, np = 0, i, j;
	int rc = EXIT_OK, o, first, json = 0;

	memset(&one, 0, sizeof(one));
	memset(&lock, 0, sizeof(lock));
	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0)
		if (o == OPT_RUN)
			run = it.arg;
		else if (o == OPT_JSON)
			json = 1;
	if (o < 0) {
		rc = cli_opt_exit(o);
		goto out;
	}
	first = cli_graph_operand(&it);
	if (it.noperands - first > 1) {
		rc = cli_usage_error(cli, cmd, "too many arguments");
		goto out;
	}
	target = it.noperands > first ? it.operands[first] : NULL;
	if (!target && !run) {
		rc = cli_usage_error(cli, cmd, "give a stage or an instance "
					       "(or --run ID)");
		goto out;
	}
	if ((rc = cli_session_open(cli, first ? it.operands[0] : NULL,
				   CLI_GRAPH_IF_HERE | CLI_STORE_RDONLY, &cs)))
		goto out;
	buf_adds(&out, "{\"logs\": [\n");
	if (run) {
		if ((rc = one_run(cli, cs.s, run, target, &one)))
			goto out;
		if (!json)
			rc = print_log(cli, cs.s, &one, 0);
		else if (!(rc = json_log(cli, cs.s, &one, &out)))
			buf_adds(&out, "\n]}\n");
		goto out;
	}
	if ((rc = runrec_all(cs.s, cs.g ? cs.g->name : NULL, &v, &n, &err))) {
		rc = cli_store_fail(cli, rc, &err);
		goto out;
	}
	if ((rc = cli_known_stage(cli, cs.g, v, n, target)))
		goto out;
	if (cs.g) {
		char *lp = lock_path_for(cs.g->file);
		lock_index_load(lp, &lock);
		free(lp);
	}
	/* Newest first: each instance's first run is its latest. */
	pick = xcalloc(n + 1, sizeof(*pick));
	for (i = 0; i < n; i++) {
		if (!cli_of_stage(&v[i], target))
			continue;
		for (j = 0; j < np && strcmp(pick[j].r->instance, v[i].instance);
		     j++)
			;
		if (j < np)
			continue;
		in = cs.g ? graph_find(cs.g, v[i].instance) : NULL;
		if ((rc = behind(cli, cs.s, &lock, v, n, &v[i], &pick[np].r)))
			goto out;
		pick[np++].place = in ? in->index : (size_t)-1;
	}
	if (!np) {
		term_error(&cli->term, "'%s' has no recorded run", target);
		term_hint(&cli->term, "'cairn run %s' runs it", target);
		rc = EXIT_FAILED;
		goto out;
	}
	qsort(pick, np, sizeof(*pick), by_place);
	for (i = 0; i < np && !rc; i++) {
		if (json)
			buf_adds(&out, i ? ",\n" : "");
		else if (i)
			putchar('\n');
		rc = json ? json_log(cli, cs.s, pick[i].r, &out)
			  : print_log(cli, cs.s, pick[i].r, np > 1);
	}
	buf_adds(&out, "\n]}\n");
out:
	/* JSON whole or not at all: nothing after an error. */
	if (json && !rc)
		fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	lock_index_free(&lock);
	free(pick);
	runrec_release(&one);
	runrec_free_all(v, n);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_logs = {
	.name = "logs",
	.summary = "a stage's log from the store (its latest run's, or a run's)",
	.usage = "logs [--run ID] [--json] [GRAPH] [STAGE|INSTANCE|GLOB]",
	.description =
		"Print the log (standard output and error) of the latest run "
		"of an instance,\nfailed or not, as the store keeps it: the "
		"workspace's copy in .cairn/logs\nis the last command this "
		"workspace ran, stale after a restore. A stage with\nseveral "
		"instances (or a glob) prints each one's, in the graph's "
		"order, each\nunder a line '==> INSTANCE: run ID, START UTC, "
		"ok <=='. --run ID prints\nthat run's log (of STAGE, when one "
		"is given too). --json prints one object,\n{\"logs\": [...]}, "
		"each run's instance, run, start_ns, ok, exit, log (its\nid) "
		"and text (bytes that are not UTF-8 as U+FFFD).",
	.opts = logs_opts,
	.run = logs_run,
};
