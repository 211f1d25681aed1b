/*
 * cairn explain: why an instance would run (which key components changed
 * against its last run and against the nearest recorded run); cairn log:
 * the history of runs, newest first.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "graph.h"
#include "interp.h"
#include "json.h"
#include "key.h"
#include "lockfile.h"
#include "run.h"
#include "status_term.h"
#include "store.h"
#include "units.h"
#include "util.h"
#include "why.h"

struct decided {
	char *name, *stage, *state, *why;
	struct buf enc;
	int known;
};

struct past {
	struct digest id;
	char *instance;
	int64_t start;
	double duration;
	int exit;		/* non-zero: the command failed */
	char *error;		/* why a run failed, or NULL */
	struct buf enc;
};

struct ctx {
	struct decided *d;
	size_t nd, capd;
	struct past *p;
	size_t np, capp;
	const char *graph;
	const char *filter;	/* log: a stage or instance, or NULL */
};

static void on_decide(const struct graph_inst *in, const char *state,
		      const char *why, const char *enc, size_t enclen,
		      void *ctx)
{
	struct ctx *c = ctx;
	struct decided *d;

	xgrow((void **)&c->d, &c->capd, c->nd + 1, sizeof(*c->d));
	d = &c->d[c->nd++];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(in->name);
	d->stage = xstrdup(in->stage->name);
	d->state = xstrdup(state);
	d->why = xstrdup(why ? why : "");
	buf_init(&d->enc);
	if (enc)
		buf_add(&d->enc, enc, enclen);
	d->known = enc != NULL;
}

static int unhex(const char *h, struct buf *out)
{
	size_t n = strlen(h), i;

	if (n % 2)
		return -1;
	for (i = 0; i < n; i += 2) {
		int a = hex_value(h[i]), b = hex_value(h[i + 1]);
		if (a < 0 || b < 0)
			return -1;
		buf_addc(out, (char)(a * 16 + b));
	}
	return 0;
}

static int on_run(const struct digest *id, const struct store_run *r,
		  void *ctx)
{
	struct ctx *c = ctx;
	struct json *j = NULL;
	const char *inst, *graph, *hex;
	struct past *p;
	struct err ignore;
	double num = 0;

	if (json_parse(r->payload, r->len, "run", &j, &ignore) < 0 ||
	    !(inst = json_str(j, "instance")) ||
	    !(graph = json_str(j, "graph")) || strcmp(graph, c->graph))
		goto out;
	if (c->filter) {
		size_t n = strlen(c->filter);
		if (strcmp(inst, c->filter) &&
		    !(!strncmp(inst, c->filter, n) &&
		      (inst[n] == '[' || !inst[n])))
			goto out;
	}
	xgrow((void **)&c->p, &c->capp, c->np + 1, sizeof(*c->p));
	p = &c->p[c->np++];
	memset(p, 0, sizeof(*p));
	p->id = *id;
	p->instance = xstrdup(inst);
	p->start = r->time_ns;
	if (json_num(j, "duration_ns", &num) == 0)
		p->duration = num / 1e9;
	if (json_num(j, "exit", &num) == 0)
		p->exit = (int)num;
	if (json_str(j, "error"))
		p->error = xstrdup(json_str(j, "error"));
	buf_init(&p->enc);
	if ((hex = json_str(j, "key_encoding")))
		unhex(hex, &p->enc);
out:
	json_free(j);
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct past *x = a, *y = b;

	return (x->start < y->start) - (x->start > y->start);
}

static const char *shorten(const char *v, char buf[16])
{
	size_t n = strlen(v), i;

	for (i = 0; i < n && hex_value(v[i]) >= 0; i++)
		;
	if (n == 64 && i == n) {
		snprintf(buf, 16, "%.12s", v);
		return buf;
	}
	return v;
}

/* One difference as JSON (old or new NULL: added or removed). */
static void change_json(struct buf *out, int n, const char *what,
			const char *old, const char *new)
{
	buf_adds(out, n ? ", {\"component\": " : "{\"component\": ");
	json_string(out, what, strlen(what));
	buf_adds(out, ", \"old\": ");
	if (old)
		json_string(out, old, strlen(old));
	else
		buf_adds(out, "null");
	buf_adds(out, ", \"new\": ");
	if (new)
		json_string(out, new, strlen(new));
	else
		buf_adds(out, "null");
	buf_addc(out, '}');
}

/* The differences as a JSON array of {"component", "old", "new"}. */
static void diff_json(struct buf *out, const struct buf *now,
		      const struct buf *then)
{
	struct strv la = { 0 }, va = { 0 }, lb = { 0 }, vb = { 0 };
	size_t i, j;
	int n = 0;

	buf_addc(out, '[');
	if (key_components(now->data, now->len, &la, &va) == 0 &&
	    key_components(then->data, then->len, &lb, &vb) == 0) {
		for (i = 0; i < la.n; i++) {
			for (j = 0; j < lb.n && strcmp(la.v[i], lb.v[j]); j++)
				;
			if (j == lb.n || strcmp(va.v[i], vb.v[j]))
				change_json(out, n++, la.v[i],
					    j < lb.n ? vb.v[j] : NULL, va.v[i]);
		}
		for (j = 0; j < lb.n; j++) {
			for (i = 0; i < la.n && strcmp(la.v[i], lb.v[j]); i++)
				;
			if (i == la.n)
				change_json(out, n++, lb.v[j], vb.v[j], NULL);
		}
	}
	buf_addc(out, ']');
	strv_release(&la);
	strv_release(&va);
	strv_release(&lb);
	strv_release(&vb);
}

/* A past run as JSON: its id, start, outcome and the changes since. */
static void run_json(struct buf *out, const struct why_run *w,
		     const struct buf *now)
{
	char hex[DIGEST_HEX + 1];

	if (!w) {
		buf_adds(out, "null");
		return;
	}
	digest_hex(&w->id, hex);
	buf_addf(out, "{\"run\": \"%s\", \"start_ns\": %lld, \"exit\": %d, "
		      "\"ok\": %s, \"changes\": ",
		 hex, (long long)w->start_ns, w->exit, w->ok ? "true" : "false");
	diff_json(out, now, &w->enc);
	buf_addc(out, '}');
}

/* Differences between the current components and a past run's. */
static int diff(struct buf *out, const struct buf *now, const struct buf *then)
{
	struct strv la = { 0 }, va = { 0 }, lb = { 0 }, vb = { 0 };
	char s1[16], s2[16];
	size_t i, j;
	int n = 0;

	if (key_components(now->data, now->len, &la, &va) < 0 ||
	    key_components(then->data, then->len, &lb, &vb) < 0) {
		buf_adds(out, "    (recorded by another key schema)\n");
		n = 1000;
		goto out;
	}
	for (i = 0; i < la.n; i++) {
		for (j = 0; j < lb.n; j++)
			if (!strcmp(la.v[i], lb.v[j]))
				break;
		if (j == lb.n) {
			buf_addf(out, "    %s: added (%s)\n", la.v[i],
				 shorten(va.v[i], s1));
			n++;
		} else if (strcmp(va.v[i], vb.v[j])) {
			if (!strcmp(la.v[i], "command"))
				buf_addf(out, "    command changed:\n      - %s\n"
					      "      + %s\n",
					 vb.v[j], va.v[i]);
			else
				buf_addf(out, "    %s: %s -> %s\n", la.v[i],
					 shorten(vb.v[j], s1),
					 shorten(va.v[i], s2));
			n++;
		}
	}
	for (j = 0; j < lb.n; j++) {
		for (i = 0; i < la.n; i++)
			if (!strcmp(la.v[i], lb.v[j]))
				break;
		if (i == la.n) {
			buf_addf(out, "    %s: removed\n", lb.v[j]);
			n++;
		}
	}
out:
	strv_release(&la);
	strv_release(&va);
	strv_release(&lb);
	strv_release(&vb);
	return n;
}

static void free_ctx(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nd; i++) {
		free(c->d[i].name);
		free(c->d[i].stage);
		free(c->d[i].state);
		free(c->d[i].why);
		buf_release(&c->d[i].enc);
	}
	free(c->d);
	for (i = 0; i < c->np; i++) {
		free(c->p[i].instance);
		free(c->p[i].error);
		buf_release(&c->p[i].enc);
	}
	free(c->p);
}

enum { OPT_JSON = 256 };

static const struct opt_spec explain_opts[] = {
	CLI_OPT_PARAM,
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static int explain_run(struct cli *cli, const struct command *cmd, int argc,
		       char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct graph *g;
	struct store *s;
	struct run_opts o;
	struct run_result res;
	struct term quiet = cli->term;
	struct status_term st;
	struct ctx c;
	struct why_history h = { NULL, 0 };
	struct buf out = BUF_INIT, why = BUF_INIT;
	struct err err;
	char *tmpdir = NULL, *lock = NULL;
	size_t i, j, shown = 0;
	int rc = EXIT_OK, first = 0, json = 0;

	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	if (cli_flag_operands(cli, cmd, argc, argv, argc, &it, &json, &rc) < 0)
		return rc;
	first = cli_graph_operand(&it);
	if (it.noperands - first != 1) {
		rc = cli_usage_error(cli, cmd, "name one stage or instance");
		goto out;
	}
	if ((rc = cli_session_graph(cli, first ? it.operands[0] : NULL,
				    CLI_GRAPH, &cs)))
		goto out;
	/* Before anything ran, every instance is one that never ran: an
	 * empty store says so, and none is made here. */
	if (access(cs.store_path, F_OK) < 0 && errno == ENOENT)
		rc = cli_scratch_store(cli, &cs, &tmpdir);
	else
		rc = cli_session_store(cli, CLI_STORE_RDONLY, &cs);
	if (rc)
		goto out;
	g = cs.g;
	s = cs.s;
	memset(&o, 0, sizeof(o));
	o.jobs = 1;
	o.dry_run = 1;
	o.status_only = 1;
	o.targets = (const char *const *)it.operands + first;
	o.ntargets = 1;
	o.on_decide = on_decide;
	o.ctx = &c;
	/* The lock file says what the last run left: outputs edited since
	 * are found against it, as status finds them. */
	lock = lock_path_for(cs.file);
	o.lock_path = lock;
	quiet.quiet = 1;
	status_term_init(&st, &quiet, 1, 1);
	if (run_graph(g, s, &o, &st.status, &res, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	why_history_load(s, g->name, &h, &err);
	if (json)
		buf_adds(&out, "[");
	for (i = 0; i < c.nd; i++) {
		struct decided *d = &c.d[i];
		const struct why_run *last = NULL, *near = NULL;
		struct buf scratch = BUF_INIT;
		int best = 1 << 30, to_run;
		char t[32], hex[DIGEST_HEX + 1];

		/* Only what was asked for; upstream was decided too. */
		if (strcmp(d->name, it.operands[first]) &&
		    strcmp(d->stage, it.operands[first]))
			continue;
		to_run = d->known && !strcmp(d->state, "to run");
		if (to_run)
			why_reason(&why, &h, d->name, d->enc.data, d->enc.len,
				   d->why);
		else
			buf_truncate(&why, 0);
		/* Outputs edited by hand: said after what else makes it
		 * run, or instead of "restorable from the store". */
		if (st.nedits && status_term_edited(&st, d->name, NULL, NULL)) {
			if (why.len)
				buf_adds(&why, "; ");
			status_term_edited(&st, d->name, &why, NULL);
		} else if (!to_run) {
			buf_adds(&why, d->why);
		}
		for (j = 0; to_run && j < h.n; j++) {
			int n;
			if (strcmp(h.v[j].instance, d->name))
				continue;
			if (!last)
				last = &h.v[j];
			buf_truncate(&scratch, 0);
			n = diff(&scratch, &d->enc, &h.v[j].enc);
			if (n < best) {
				best = n;
				near = &h.v[j];
			}
		}
		buf_release(&scratch);
		if (json) {
			buf_adds(&out, shown++ ? ",\n  {\"instance\": "
					       : "\n  {\"instance\": ");
			json_string(&out, d->name, strlen(d->name));
			buf_addf(&out, ", \"state\": \"%s\", \"why\": ", d->state);
			json_string(&out, why.data, why.len);
			buf_adds(&out, ", \"edited\": ");
			status_term_edited(&st, d->name, NULL, &out);
			buf_adds(&out, ", \"last_run\": ");
			run_json(&out, last, &d->enc);
			buf_adds(&out, ", \"nearest_run\": ");
			run_json(&out, near != last ? near : NULL, &d->enc);
			buf_adds(&out, "}");
			continue;
		}
		buf_addf(&out, "%s: %s", d->name, d->state);
		if (strcmp(d->state, "up to date") && why.len)
			buf_addf(&out, " (%s)", why.data);
		buf_addc(&out, '\n');
		if (!to_run)
			continue;
		if (!last) {
			buf_adds(&out, "  it has never run\n");
			continue;
		}
		format_time(last->start_ns, t);
		digest_hex(&last->id, hex);
		buf_addf(&out, "  against its last run (%s UTC, run %.12s):\n",
			 t, hex);
		if (!diff(&out, &d->enc, &last->enc))
			buf_adds(&out, last->ok ? "    no difference in the key: "
						  "its outputs are gone from "
						  "the store\n"
						: "    no difference in the key: "
						  "that run failed\n");
		if (near && near != last) {
			format_time(near->start_ns, t);
			digest_hex(&near->id, hex);
			buf_addf(&out, "  against the nearest recorded run (%s "
				       "UTC, run %.12s):\n",
				 t, hex);
			diff(&out, &d->enc, &near->enc);
		}
	}
	if (json)
		buf_adds(&out, shown ? "\n]\n" : "]\n");
	fwrite(out.data, 1, out.len, stdout);
out:
	free(lock);
	status_term_release(&st);
	free_ctx(&c);
	why_history_release(&h);
	buf_release(&out);
	buf_release(&why);
	cli_session_close(cli, &cs);
	if (tmpdir) {
		remove_tree(tmpdir);
		free(tmpdir);
	}
	opt_release(&it);
	return rc;
}

const struct command cmd_explain = {
	.name = "explain",
	.summary = "why a stage would run: what changed in its key",
	.usage = "explain [-p NAME=VALUE]... [--json] [GRAPH] STAGE",
	.description =
		"For each instance of STAGE (or the instance named): up to date, "
		"restorable,\npending on an upstream stage, or to run; and for "
		"one to run, which key\ncomponents changed against its last "
		"run and against the nearest recorded run\n(the one with the "
		"fewest differences): params (old -> new), inputs and code\n"
		"files (digests), the command, environment variables, "
		"outputs, settings.\n--json: the same as JSON.",
	.opts = explain_opts,
	.run = explain_run,
};

static const struct opt_spec log_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static int log_run(struct cli *cli, const struct command *cmd, int argc,
		   char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct graph *g;
	struct store *s;
	struct ctx c;
	struct buf out = BUF_INIT;
	struct err err;
	size_t i;
	int k, rc = EXIT_OK, first = 0, json = 0;

	memset(&c, 0, sizeof(c));
	if (cli_flag_operands(cli, cmd, argc, argv, argc, &it, &json, &rc) < 0)
		return rc;
	first = cli_graph_operand(&it);
	if (it.noperands - first > 1) {
		rc = cli_usage_error(cli, cmd, "too many arguments");
		goto out;
	}
	if ((rc = cli_session_open(cli, first ? it.operands[0] : NULL,
				   CLI_GRAPH | CLI_STORE_RDONLY, &cs)))
		goto out;
	g = cs.g;
	s = cs.s;
	c.graph = g->name;
	c.filter = it.noperands > first ? it.operands[first] : NULL;
	if ((k = store_runs_walk(s, on_run, &c, &err))) {
		rc = cli_store_fail(cli, k, &err);
		goto out;
	}
	/* A filter that names nothing, recorded or in the graph: a typo. */
	if (c.filter && !c.np && graph_check_target(g, c.filter, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (c.np)
		qsort(c.p, c.np, sizeof(*c.p), newest_first);
	if (json)
		buf_adds(&out, "[");
	for (i = 0; i < c.np; i++) {
		char t[32], hex[DIGEST_HEX + 1];

		format_time(c.p[i].start, t);
		digest_hex(&c.p[i].id, hex);
		if (json) {
			buf_adds(&out, i ? ",\n  {\"run\": \"" : "\n  {\"run\": \"");
			buf_addf(&out, "%s\", \"instance\": ", hex);
			json_string(&out, c.p[i].instance,
				    strlen(c.p[i].instance));
			buf_addf(&out, ", \"start_ns\": %lld, \"duration_s\": "
				       "%.3f, \"exit\": %d, \"ok\": %s}",
				 (long long)c.p[i].start, c.p[i].duration,
				 c.p[i].exit,
				 c.p[i].exit || c.p[i].error ? "false" : "true");
		} else {
			buf_addf(&out, "%s  %8.2fs  run %.12s  %s", t,
				 c.p[i].duration, hex, c.p[i].instance);
			if (c.p[i].exit)
				buf_addf(&out, "  failed (exit %d)",
					 c.p[i].exit);
			else if (c.p[i].error)
				buf_addf(&out, "  failed (%s)", c.p[i].error);
			buf_addc(&out, '\n');
		}
	}
	if (json)
		buf_adds(&out, c.np ? "\n]\n" : "]\n");
	fwrite(out.data, 1, out.len, stdout);
out:
	free_ctx(&c);
	buf_release(&out);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_log = {
	.name = "log",
	.summary = "the recorded runs of a graph or a stage, newest first",
	.usage = "log [--json] [GRAPH] [STAGE]",
	.description =
		"List the runs recorded for the graph (or one stage or "
		"instance), newest\nfirst: when it started (UTC), how long it "
		"took, the run id, the instance,\nand for a failed run its "
		"exit status.\n'cairn show RUN' gives a "
		"run's inputs and outputs.",
	.opts = log_opts,
	.run = log_run,
};
