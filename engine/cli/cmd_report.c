/*
 * `cairn report`: one self-contained HTML file about the graph and its
 * runs (report.h, docs/report.md): what a run would do to each stage, the
 * last run's timeline, the experiment table, the curves, and per stage
 * its instances' outputs and lineage.  Written to a temporary file beside
 * the target and renamed, so the target is never half written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "graph.h"
#include "lockfile.h"
#include "opt.h"
#include "report.h"
#include "run.h"
#include "runrec.h"
#include "status_term.h"
#include "store.h"
#include "term.h"
#include "util.h"

enum { OPT_OUTPUT = 'o', OPT_NOW = 256, OPT_COMPARE };

static const struct opt_spec report_opts[] = {
	{ "output", 'o', 1, "FILE", "write to FILE (default: report.html in "
				    "the workspace)" },
	{ "now", OPT_NOW, 0, NULL, "say when the report was made (the "
				   "report then differs from one made "
				   "another time)" },
	{ "compare", OPT_COMPARE, 0, NULL,
	  "compare two runs or lock files A and B (the operands: [GRAPH] A "
	  "B)" },
	CLI_OPT_PARAM,
	{ 0 },
};

static void on_decide(const struct graph_inst *in, const char *state,
		      const char *why, const char *enc, size_t enclen,
		      void *ctx)
{
	int *st = ctx;

	(void)why;
	(void)enc;
	(void)enclen;
	st[in->index] = !strcmp(state, "up to date")   ? REPORT_UPTODATE
			: !strcmp(state, "restorable") ? REPORT_RESTORABLE
						       : REPORT_WOULD_RUN;
}

/* What a run would do to each instance (a dry run, as `cairn status`). */
static int decide(struct cli *cli, struct graph *g, struct store *s,
		  int *state)
{
	struct run_opts ro;
	struct run_result res;
	struct term quiet = cli->term;
	struct status_term st;
	struct err err;

	memset(&ro, 0, sizeof(ro));
	ro.jobs = 1;
	ro.dry_run = 1;
	ro.status_only = 1;
	ro.on_decide = on_decide;
	ro.ctx = state;
	quiet.quiet = 1;
	status_term_init(&st, &quiet, 1, 1);
	if (run_graph(g, s, &ro, &st.status, &res, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		return EXIT_INTERNAL;
	}
	return 0;
}

static int write_file(const char *path, const struct buf *text,
		      struct err *err)
{
	struct buf tmp = BUF_INIT;
	FILE *f;
	int rc = -1;

	buf_addf(&tmp, "%s.cairn-tmp-%ld", path, (long)getpid());
	f = fopen(tmp.data, "we");
	if (f) {
		int bad = fwrite(text->data, 1, text->len, f) != text->len;
		bad |= fflush(f) != 0;
		if (fclose(f) || bad)
			f = NULL;
	}
	if (!f) {
		err_errno(err, "cannot write '%s'", path);
		unlink(tmp.data);
	} else if (rename(tmp.data, path) < 0) {
		err_errno(err, "cannot rename '%s' to '%s'", tmp.data, path);
		unlink(tmp.data);
	} else {
		rc = 0;
	}
	buf_release(&tmp);
	return rc;
}

/* Whether the current folder is g's workspace. */
static int in_workspace(const struct graph *g)
{
	char *cwd = getcwd(NULL, 0);
	int same = cwd && !strcmp(cwd, g->workspace);

	free(cwd);
	return same;
}

/* The same file, both there (a report over the graph or its lock). */
static int same_file(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

/* A report never goes over the graph's own files: an output (or a
 * folder holding one), the graph file, its lock file.  0 or EXIT_USAGE. */
static int check_target(struct cli *cli, const struct cli_session *cs,
			const char *path)
{
	struct buf abs = BUF_INIT;
	struct stat st;
	struct err err;
	char *cwd = NULL, *lock = lock_path_for(cs->file);
	int rc = 0;

	if (path[0] != '/' && (cwd = getcwd(NULL, 0)))
		buf_addf(&abs, "%s/", cwd);
	buf_adds(&abs, path);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		term_error(&cli->term, "'%s' is a folder: give the report a "
				       "file name",
			   path);
		rc = EXIT_USAGE;
	} else if (graph_protect_path(cs->g, abs.data, "the report",
				      &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
	} else if (same_file(path, cs->file) || same_file(path, lock)) {
		term_error(&cli->term, "the report may not replace '%s'",
			   same_file(path, lock) ? lock : cs->file);
		rc = EXIT_USAGE;
	}
	free(lock);
	free(cwd);
	buf_release(&abs);
	return rc;
}

/* The run lk names, appended to side (a missing one counted); 0 or an
 * exit code. */
static int side_add(struct cli *cli, struct store *s,
		    const struct lock_known *lk, struct report_side *side)
{
	struct digest id;
	struct err err;
	int rc = lock_entry_run(s, lk, &id, &err);

	if (rc == 0 || rc == STORE_NOTFOUND) {
		side->missing++;
		return 0;
	}
	if (rc < 0)
		return cli_store_fail(cli, rc, &err);
	side->runs = xrealloc(side->runs, (side->n + 1) * sizeof(*side->runs));
	if ((rc = runrec_load(s, &id, &side->runs[side->n], &err)))
		return cli_store_fail(cli, rc, &err);
	side->n++;
	return 0;
}

/*
 * One side of --compare: a file is a lock file (its entries' runs); an
 * instance the graph's lock file names, the run behind its outputs; else
 * a run id or an instance's newest run, as `cairn diff` takes them (v:
 * every run).  0 or the exit code, after saying why.
 */
static int compare_side(struct cli *cli, struct cli_session *cs,
			const struct runrec *v, size_t n,
			const struct lock_index *lock, const char *what,
			struct report_side *side)
{
	const struct lock_known *lk = NULL;
	struct lock_index li;
	struct buf desc = BUF_INIT;
	struct stat st;
	size_t i;
	int rc = 0;

	memset(side, 0, sizeof(*side));
	side->what = what;
	if (stat(what, &st) == 0 && !S_ISDIR(st.st_mode)) {
		if (lock_index_load(what, &li) < 0 || !li.n) {
			if (li.text || li.doc)
				lock_index_free(&li);
			term_error(&cli->term, "'%s' is not a lock file (or "
					       "names no instance)",
				   what);
			return EXIT_USAGE;
		}
		for (i = 0; i < li.n && !rc; i++)
			rc = side_add(cli, cs->s, &li.e[i], side);
		lock_index_free(&li);
		if (!rc && !side->n) {
			term_error(&cli->term, "no run of lock file '%s' is in "
					       "the store",
				   what);
			rc = EXIT_USAGE;
		}
		buf_addf(&desc, "lock file '%s'", what);
	} else if ((lk = lock_index_find(lock, what))) {
		if (!(rc = side_add(cli, cs->s, lk, side)) && !side->n)
			side->missing = 0;
		buf_addf(&desc, "instance '%s'", what);
	}
	if (!rc && !side->n && !side->missing) {
		side->runs = xcalloc(1, sizeof(*side->runs));
		if ((rc = cli_pick_run(cli, cs->s, v, n, what, 0,
				       &side->runs[0])) == 0) {
			char hex[DIGEST_HEX + 1];
			side->n = 1;
			digest_hex(&side->runs[0].id, hex);
			buf_truncate(&desc, 0);
			if (!strcmp(side->runs[0].instance, what))
				buf_addf(&desc, "instance '%s', run %.12s",
					 what, hex);
			else
				buf_addf(&desc, "run %.12s of '%s'", hex,
					 side->runs[0].instance);
		}
	} else if (!rc && side->n == 1 && lk) {
		char hex[DIGEST_HEX + 1];
		digest_hex(&side->runs[0].id, hex);
		buf_addf(&desc, ", run %.12s", hex);
	}
	side->desc = buf_detach(&desc, NULL);
	return rc;
}

/* `cairn report --compare [GRAPH] A B`. */
static int compare_run(struct cli *cli, const struct command *cmd,
		       struct opt_iter *it, const char *output, int now)
{
	struct cli_session cs = CLI_SESSION_INIT;
	struct report_side a, b;
	struct lock_index lock;
	struct runrec *v = NULL;
	struct buf html = BUF_INIT, path = BUF_INIT;
	struct stat st;
	struct err err;
	size_t n = 0, first = (size_t)cli_graph_operand(it), npairs, differ;
	int64_t now_ns = 0;
	char *lock_file = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&lock, 0, sizeof(lock));
	if (it->noperands - first != 2) {
		rc = cli_usage_error(cli, cmd, "--compare takes two runs, "
					       "instances or lock files");
		goto out;
	}
	if ((rc = cli_session_open(cli, first ? it->operands[0] : NULL,
				   CLI_GRAPH_IF_HERE | CLI_STORE_RDONLY, &cs)))
		goto out;
	if ((rc = runrec_all(cs.s, NULL, &v, &n, &err))) {
		rc = cli_store_fail(cli, rc, &err);
		goto out;
	}
	if (cs.file) {
		lock_file = lock_path_for(cs.file);
		if (lock_index_load(lock_file, &lock) < 0)
			memset(&lock, 0, sizeof(lock));
	}
	if ((rc = compare_side(cli, &cs, v, n, &lock, it->operands[first],
			       &a)) ||
	    (rc = compare_side(cli, &cs, v, n, &lock, it->operands[first + 1],
			       &b)))
		goto out;
	if (output)
		buf_adds(&path, output);
	else if (!cs.g || in_workspace(cs.g))
		buf_adds(&path, "compare.html");
	else
		buf_addf(&path, "%s/compare.html", cs.g->workspace);
	if (cs.g && (rc = check_target(cli, &cs, path.data)))
		goto out;
	if (stat(path.data, &st) == 0 && S_ISDIR(st.st_mode)) {
		term_error(&cli->term, "'%s' is a folder: give the report a "
				       "file name",
			   path.data);
		rc = EXIT_USAGE;
		goto out;
	}
	if (same_file(path.data, a.what) || same_file(path.data, b.what)) {
		term_error(&cli->term, "the report may not replace '%s'",
			   same_file(path.data, a.what) ? a.what : b.what);
		rc = EXIT_USAGE;
		goto out;
	}
	if (now) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	differ = report_compare_html(&html, cs.s, &a, &b, now_ns, &npairs);
	if (write_file(path.data, &html, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_FAILED;
		goto out;
	}
	if (!cli->term.quiet)
		printf("wrote '%s': %zu pair%s, %zu differ%s\n", path.data,
		       npairs, npairs == 1 ? "" : "s", differ,
		       differ == 1 ? "s" : "");
out:
	report_side_release(&a);
	report_side_release(&b);
	if (lock.text || lock.doc || lock.e)
		lock_index_free(&lock);
	free(lock_file);
	runrec_free_all(v, n);
	buf_release(&html);
	buf_release(&path);
	cli_session_close(cli, &cs);
	return rc;
}

static int report_run(struct cli *cli, const struct command *cmd, int argc,
		      char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct report rep;
	struct buf html = BUF_INIT, path = BUF_INIT;
	struct err err;
	const char *output = NULL;
	int *state = NULL, now = 0, compare = 0, rc = EXIT_OK, o;
	size_t i;

	memset(&rep, 0, sizeof(rep));
	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0) {
		if (o == 'o')
			output = it.arg;
		else if (o == OPT_NOW)
			now = 1;
		else if (o == OPT_COMPARE)
			compare = 1;
	}
	if (o < 0) {
		rc = cli_opt_exit(o);
		goto out;
	}
	if (output && !*output) {
		rc = cli_usage_error(cli, cmd, "empty file name for '-o'");
		goto out;
	}
	if (compare) {
		rc = compare_run(cli, cmd, &it, output, now);
		goto out;
	}
	if (it.noperands > 1) {
		rc = cli_usage_error(cli, cmd, "too many arguments");
		goto out;
	}
	if ((rc = cli_session_open(cli, it.noperands ? it.operands[0] : NULL,
				   CLI_GRAPH | CLI_STORE_IF_THERE, &cs)))
		goto out;
	if (output)
		buf_adds(&path, output);
	else if (in_workspace(cs.g))
		buf_adds(&path, "report.html");
	else
		buf_addf(&path, "%s/report.html", cs.g->workspace);
	if ((rc = check_target(cli, &cs, path.data)))
		goto out;
	state = xcalloc(cs.g->ninsts + 1, sizeof(int));
	for (i = 0; i < cs.g->ninsts; i++)
		state[i] = -1;
	if (cs.s && (rc = decide(cli, cs.g, cs.s, state)))
		goto out;
	if ((rc = report_gather(&rep, cs.g, cs.s, state, &err))) {
		rc = cli_store_fail(cli, rc, &err);
		goto out;
	}
	if (now) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		rep.now_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	report_html(&html, &rep);
	if (write_file(path.data, &html, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_FAILED;
		goto out;
	}
	if (!cli->term.quiet)
		printf("wrote '%s': %zu stage%s, %zu instance%s, %zu run%s\n",
		       path.data, cs.g->nstages, cs.g->nstages == 1 ? "" : "s",
		       cs.g->ninsts, cs.g->ninsts == 1 ? "" : "s", rep.nruns,
		       rep.nruns == 1 ? "" : "s");
out:
	report_release(&rep);
	free(state);
	buf_release(&html);
	buf_release(&path);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_report = {
	.name = "report",
	.summary = "one self-contained HTML page: the graph, runs, metrics, curves",
	.usage = "report [-o FILE] [--now] [-p NAME=VALUE]... [GRAPH] "
		 "[--compare A B]",
	.description =
		"Write one HTML file (no network needed: styles, pictures and "
		"script inline)\nabout the graph and its recorded runs: the "
		"graph with each stage coloured by\nwhat a run would do, the "
		"last run's timeline, the experiment table (one\nrow per "
		"instance: matrix values, params, metrics; sortable, the best "
		"value\nof each metric marked), training curves, and per stage "
		"its instances'\noutputs (id, size) and lineage. The same "
		"graph, workspace and store give\nthe same bytes; --now adds "
		"when it was made. See docs/report.md.\n\n"
		"With --compare, one page of two sides A and B (default "
		"compare.html), each\na run id (6+ hex digits), an instance (the "
		"run behind its outputs, else its\nnewest run) or a lock file "
		"(the run of each entry: `git show\nHEAD~1:cairn.lock > old.lock`"
		"): their params, matrix values, metrics (the\ndelta, the better "
		"side), inputs and outputs side by side, rows that differ\n"
		"marked, and their pictures overlaid; lock files pair by "
		"instance.",
	.opts = report_opts,
	.run = report_run,
};
