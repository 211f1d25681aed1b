/*
 * The queries over run records: `cairn runs` (filtered history), `cairn
 * diff` (two runs side by side) and `cairn metrics` (a table of the
 * metrics across instances).  docs/cli.md describes them.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "graph.h"
#include "json.h"
#include "lockfile.h"
#include "opt.h"
#include "runrec.h"
#include "store.h"
#include "suggest.h"
#include "term.h"
#include "units.h"
#include "util.h"

enum {
	OPT_JSON = 256,
	OPT_CSV,
	OPT_STAGE,
	OPT_WHERE,
	OPT_SINCE,
	OPT_STATUS,
	OPT_SORT,
	OPT_HISTORY,
	OPT_PARAMS,
	OPT_NO_PARAMS,
	OPT_METRICS,
};

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int cli_of_stage(const struct runrec *r, const char *pat)
{
	return !strcmp(r->stage, pat) || !strcmp(r->instance, pat) ||
	       !fnmatch(pat, r->instance, 0);
}

int cli_known_stage(struct cli *cli, const struct graph *g,
		    const struct runrec *v, size_t n, const char *pat)
{
	struct suggest sg;
	struct err err;
	size_t i;

	for (i = 0; i < n; i++)
		if (cli_of_stage(&v[i], pat))
			return 0;
	if (g) {
		if (graph_check_target(g, pat, &err) == 0)
			return 0;
		term_error(&cli->term, "%s", err.msg);
		return EXIT_USAGE;
	}
	suggest_init(&sg, pat);
	for (i = 0; i < n; i++) {
		suggest_add(&sg, v[i].stage);
		suggest_add(&sg, v[i].instance);
	}
	term_error(&cli->term, "no recorded run of a stage or instance matches "
			       "'%s'%s",
		   pat, suggest_clause(&sg));
	suggest_release(&sg);
	return EXIT_USAGE;
}

/* ---- --where NAME OP VALUE ---- */

struct cond {
	char *section;	/* params, matrix or metrics */
	char *name;
	char op[3];	/* =, !=, <, <=, >, >= */
	char *value;
};

static int parse_cond(const char *s, struct cond *c)
{
	static const char *const ops[] = { "!=", "<=", ">=", "=", "<", ">" };
	const char *dot = strchr(s, '.'), *at = NULL;
	size_t i, k;

	memset(c, 0, sizeof(*c));
	for (i = 0; s[i] && !at; i++)
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (!strncmp(s + i, ops[k], strlen(ops[k]))) {
				at = s + i;
				snprintf(c->op, sizeof(c->op), "%s", ops[k]);
				break;
			}
	if (!dot || !at || dot > at)
		return -1;
	c->section = xstrndup(s, (size_t)(dot - s));
	c->name = xstrndup(dot + 1, (size_t)(at - dot - 1));
	c->value = xstrdup(at + strlen(c->op));
	if (strcmp(c->section, "params") && strcmp(c->section, "matrix") &&
	    strcmp(c->section, "metrics"))
		return -1;
	return *c->name ? 0 : -1;
}

static void free_cond(struct cond *c)
{
	free(c->section);
	free(c->name);
	free(c->value);
}

/* A value as text: strings bare, the rest as JSON. */
static void text_of(const struct json *v, struct buf *b)
{
	if (v->type == JSON_STRING)
		buf_adds(b, v->u.string);
	else
		json_write(b, v);
}

/*
 * A condition on a value no run has (params.nope) is a typo: 0, or
 * EXIT_USAGE with did-you-mean over the names the runs have.
 */
static int known_field(struct cli *cli, const struct graph *g,
		       const struct runrec *v, size_t n, const struct cond *c)
{
	struct suggest sg;
	size_t i, j;
	int pass;

	for (i = 0; g && i < g->nparams && !strcmp(c->section, "params"); i++)
		if (!strcmp(g->params[i].name, c->name))
			return 0;
	/* Found, or (the second pass) the names to suggest from. */
	suggest_init(&sg, c->name);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			const struct json *sec = runrec_get(&v[i], c->section);
			for (j = 0; sec && sec->type == JSON_OBJECT &&
				    j < sec->u.object.n;
			     j++)
				if (pass)
					suggest_add(&sg, sec->u.object.k[j]);
				else if (!strcmp(sec->u.object.k[j], c->name))
					return 0;
		}
	term_error(&cli->term, "no recorded run has %s.%s%s", c->section,
		   c->name, suggest_clause(&sg));
	suggest_release(&sg);
	return EXIT_USAGE;
}

static int holds(const struct runrec *r, const struct cond *c)
{
	const struct json *sec = runrec_get(r, c->section), *v;
	struct buf t = BUF_INIT;
	char *end;
	double want = strtod(c->value, &end), cmp = 0;
	int numeric = end != c->value && !*end, ok;

	/* metrics use dotted names as keys themselves */
	v = json_member(sec, c->name);
	if (!v)
		return 0;
	if (numeric && v->type == JSON_NUMBER) {
		cmp = v->u.number < want ? -1 : v->u.number > want ? 1 : 0;
	} else {
		text_of(v, &t);
		cmp = strcmp(t.data, c->value);
		buf_release(&t);
	}
	if (!strcmp(c->op, "="))
		ok = cmp == 0;
	else if (!strcmp(c->op, "!="))
		ok = cmp != 0;
	else if (!strcmp(c->op, "<"))
		ok = cmp < 0;
	else if (!strcmp(c->op, "<="))
		ok = cmp <= 0;
	else if (!strcmp(c->op, ">"))
		ok = cmp > 0;
	else
		ok = cmp >= 0;
	return ok;
}

/* "k=a lr=0.1": matrix values, then params. */
static void values_line(const struct runrec *r, struct buf *b)
{
	const char *secs[] = { "matrix", "params" };
	size_t s, i;

	for (s = 0; s < 2; s++) {
		const struct json *o = runrec_get(r, secs[s]);
		for (i = 0; o && o->type == JSON_OBJECT && i < o->u.object.n;
		     i++) {
			buf_addf(b, "%s%s=", b->len ? " " : "",
				 o->u.object.k[i]);
			text_of(o->u.object.v[i], b);
		}
	}
}

static void run_json(struct buf *b, const struct runrec *r)
{
	static const char *const more[] = { "params", "matrix", "metrics" };
	char hex[DIGEST_HEX + 1];
	size_t k;

	digest_hex(&r->id, hex);
	buf_addf(b, "{\"run\": \"%s\", \"graph\": ", hex);
	json_string(b, r->graph, strlen(r->graph));
	buf_adds(b, ", \"instance\": ");
	json_string(b, r->instance, strlen(r->instance));
	buf_adds(b, ", \"stage\": ");
	json_string(b, r->stage, strlen(r->stage));
	buf_addf(b, ", \"start_ns\": %lld, \"duration_s\": %.3f, \"exit\": %d, "
		    "\"ok\": %s",
		 (long long)r->start_ns, r->duration_s, r->exit,
		 r->ok ? "true" : "false");
	if (r->error) {
		buf_adds(b, ", \"error\": ");
		json_string(b, r->error, strlen(r->error));
	}
	for (k = 0; k < sizeof(more) / sizeof(more[0]); k++) {
		const struct json *v = runrec_get(r, more[k]);
		buf_addf(b, ", \"%s\": ", more[k]);
		if (v)
			json_write(b, v);
		else
			buf_adds(b, "{}");
	}
	buf_addc(b, '}');
}

static const struct opt_spec runs_opts[] = {
	{ "stage", OPT_STAGE, 1, "S", "only stage S (a name, an instance or a glob)" },
	{ "where", OPT_WHERE, 1, "COND", "params.x=V, matrix.k!=a, metrics.acc>0.9 (repeatable)" },
	{ "since", OPT_SINCE, 1, "WHEN", "2026-11-22, 2026-11-22T07:30, or an age: 30m, 2h, 3d" },
	{ "status", OPT_STATUS, 1, "ok|failed", "only runs that succeeded, or failed" },
	{ "metrics", OPT_METRICS, 0, NULL, "each run's metrics too" },
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static void human_value(struct buf *b, const struct json *v);

/* "acc=0.91 loss.val=0.2": the metrics, as the table prints numbers. */
static void metrics_line(const struct runrec *r, struct buf *b)
{
	const struct json *o = runrec_get(r, "metrics");
	size_t i;

	for (i = 0; o && o->type == JSON_OBJECT && i < o->u.object.n; i++) {
		buf_addf(b, "%s%s=", i ? " " : "", o->u.object.k[i]);
		human_value(b, o->u.object.v[i]);
	}
}

static int runs_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct opt_iter it;
	struct cond *conds = xcalloc((size_t)argc + 1, sizeof(*conds));
	struct cli_session cs = CLI_SESSION_INIT;
	struct graph *g;
	struct store *s;
	struct runrec *v = NULL;
	struct buf out = BUF_INIT;
	struct err err;
	const char *stage = NULL, *status = NULL;
	int64_t since = 0;
	size_t nconds = 0, n = 0, i, k, shown = 0;
	int rc = EXIT_OK, json = 0, metrics = 0, o;

	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0) {
		switch (o) {
		case OPT_STAGE: stage = it.arg; break;
		case OPT_METRICS: metrics = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_WHERE:
			if (parse_cond(it.arg, &conds[nconds]) < 0) {
				free_cond(&conds[nconds]);
				rc = cli_usage_error(cli, cmd, "invalid --where "
							       "'%s': write "
							       "params.NAME=VALUE "
							       "(or matrix., "
							       "metrics.; = != < "
							       "<= > >=)",
						     it.arg);
				goto out;
			}
			nconds++;
			break;
		case OPT_SINCE:
			if (parse_when(it.arg, wall_ns(), &since) < 0) {
				rc = cli_usage_error(cli, cmd, "invalid --since "
							       "'%s': write a "
							       "date (2026-11-22, "
							       "2026-11-22T07:30) "
							       "or an age (30m, "
							       "2h, 3d)",
						     it.arg);
				goto out;
			}
			break;
		case OPT_STATUS:
			if (strcmp(it.arg, "ok") && strcmp(it.arg, "failed")) {
				rc = cli_usage_error(cli, cmd, "invalid --status "
							       "'%s': give ok or "
							       "failed",
						     it.arg);
				goto out;
			}
			status = it.arg;
			break;
		}
	}
	if (o < 0) {
		rc = cli_opt_exit(o);
		goto out;
	}
	if (it.noperands > 1) {
		rc = cli_usage_error(cli, cmd, "too many arguments");
		goto out;
	}
	if ((rc = cli_session_open(cli, it.noperands ? it.operands[0] : NULL,
				   CLI_GRAPH_IF_HERE | CLI_STORE_RDONLY, &cs)))
		goto out;
	g = cs.g;
	s = cs.s;
	if ((rc = runrec_all(s, g ? g->name : NULL, &v, &n, &err))) {
		rc = cli_store_fail(cli, rc, &err);
		goto out;
	}
	if (stage && (rc = cli_known_stage(cli, g, v, n, stage)))
		goto out;
	for (k = 0; k < nconds; k++)
		if ((rc = known_field(cli, g, v, n, &conds[k])))
			goto out;
	if (json)
		buf_adds(&out, "[");
	for (i = 0; i < n; i++) {
		const struct runrec *r = &v[i];
		int keep = (!stage || cli_of_stage(r, stage)) &&
			   r->start_ns >= since &&
			   (!status || (!strcmp(status, "ok")) == r->ok);
		char t[32], hex[DIGEST_HEX + 1];

		for (k = 0; keep && k < nconds; k++)
			keep = holds(r, &conds[k]);
		if (!keep)
			continue;
		if (json) {
			buf_adds(&out, shown++ ? ",\n  " : "\n  ");
			run_json(&out, r);
			continue;
		}
		shown++;
		digest_hex(&r->id, hex);
		buf_addf(&out, "%s %8.2fs  %.12s  %-6s  %s",
			 format_time(r->start_ns, t), r->duration_s, hex,
			 r->ok ? "ok" : "failed", r->instance);
		{
			struct buf vals = BUF_INIT;
			values_line(r, &vals);
			if (vals.len)
				buf_addf(&out, "  %s", vals.data);
			buf_truncate(&vals, 0);
			if (metrics)
				metrics_line(r, &vals);
			if (vals.len)
				buf_addf(&out, "  %s", vals.data);
			buf_release(&vals);
		}
		buf_addc(&out, '\n');
	}
	if (json)
		buf_adds(&out, shown ? "\n]\n" : "]\n");
	fwrite(out.data, 1, out.len, stdout);
out:
	for (i = 0; i < nconds; i++)
		free_cond(&conds[i]);
	free(conds);
	runrec_free_all(v, n);
	buf_release(&out);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_runs = {
	.name = "runs",
	.summary = "recorded runs, filtered by stage, values, time and outcome",
	.usage = "runs [--stage S] [--where COND]... [--since WHEN] "
		 "[--status ok|failed] [--metrics] [--json] [GRAPH]",
	.description =
		"List the runs recorded for the graph (the one here, or GRAPH; "
		"with no graph,\nevery run in the store), newest first: start "
		"(UTC), duration, run id,\nok or failed, instance, and its "
		"matrix and param values. --where keeps runs\nwhose "
		"params.NAME, matrix.NAME or metrics.NAME compares so with "
		"VALUE\n(numbers as numbers); all conditions must hold. --metrics "
		"adds each run's\nmetrics to its line.",
	.opts = runs_opts,
	.run = runs_run,
};

/* ---- diff ---- */

int cli_pick_run(struct cli *cli, struct store *s, const struct runrec *v,
		 size_t n, const char *what, int skip, struct runrec *out)
{
	struct digest id;
	struct err err;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].instance, what) && skip-- <= 0)
			return runrec_load(s, &v[i].id, out, &err) == 0
				       ? 0
				       : cli_store_fail(cli, STORE_CORRUPT, &err);
	if (strlen(what) >= 6 && strspn(what, "0123456789abcdefABCDEF") ==
					 strlen(what)) {
		rc = store_resolve(s, what, &id, &err);
		if (!rc && (rc = runrec_load(s, &id, out, &err)) == 0)
			return 0;
		if (rc != STORE_NOTFOUND)
			return cli_store_fail(cli, rc, &err);
	}
	term_error(&cli->term, "'%s' is neither a run id nor an instance with "
			       "recorded runs",
		   what);
	return EXIT_USAGE;
}

struct row {
	char *name, *a, *b;
};

static void add_row(struct row **rows, size_t *n, size_t *cap,
		    const char *name, const char *a, const char *b)
{
	xgrow((void **)rows, cap, *n + 1, sizeof(**rows));
	(*rows)[*n].name = xstrdup(name);
	(*rows)[*n].a = xstrdup(a ? a : "-");
	(*rows)[*n].b = xstrdup(b ? b : "-");
	(*n)++;
}

/* Rows for the members of object field of both runs (union, A's order
 * first). */
static void object_rows(struct row **rows, size_t *n, size_t *cap,
			const char *prefix, const struct json *a,
			const struct json *b)
{
	const struct json *sides[2] = { a, b };
	struct buf name = BUF_INIT, x = BUF_INIT, y = BUF_INIT;
	size_t s, i;

	for (s = 0; s < 2; s++) {
		const struct json *o = sides[s];
		for (i = 0; o && o->type == JSON_OBJECT && i < o->u.object.n;
		     i++) {
			const char *k = o->u.object.k[i];
			const struct json *va, *vb;

			if (s == 1 && json_member(a, k))
				continue;	/* done from A */
			va = json_member(a, k);
			vb = json_member(b, k);
			buf_truncate(&name, 0);
			buf_truncate(&x, 0);
			buf_truncate(&y, 0);
			buf_addf(&name, "%s%s", prefix, k);
			if (va)
				text_of(va, &x);
			if (vb)
				text_of(vb, &y);
			add_row(rows, n, cap, name.data, va ? x.data : NULL,
				vb ? y.data : NULL);
		}
	}
	buf_release(&name);
	buf_release(&x);
	buf_release(&y);
}

/* inputs/outputs arrays as {path (or name): id} objects, ids shortened. */
static struct json *by_path(const struct json *arr, const char *label)
{
	struct json *o = xcalloc(1, sizeof(*o));
	size_t i;

	o->type = JSON_OBJECT;
	for (i = 0; arr && arr->type == JSON_ARRAY && i < arr->u.array.n; i++) {
		const struct json *e = arr->u.array.v[i];
		const char *path = json_str(e, label), *id = json_str(e, "id");
		struct json *v;
		size_t k = o->u.object.n;

		if (!path || !id)
			continue;
		v = xcalloc(1, sizeof(*v));
		v->type = JSON_STRING;
		v->u.string = xstrndup(id, 12);
		o->u.object.k = xrealloc(o->u.object.k, (k + 1) * sizeof(char *));
		o->u.object.v = xrealloc(o->u.object.v,
					 (k + 1) * sizeof(struct json *));
		o->u.object.k[k] = xstrdup(path);
		o->u.object.v[k] = v;
		o->u.object.n++;
	}
	return o;
}

static const struct opt_spec diff_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static int diff_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct store *s;
	struct runrec *v = NULL, a, b;
	struct row *rows = NULL;
	struct buf out = BUF_INIT, t1 = BUF_INIT, t2 = BUF_INIT;
	struct err err;
	size_t n = 0, nrows = 0, cap = 0, i, first = 0, wname = 8, wa = 1;
	int rc = EXIT_OK, json, same;
	char ha[DIGEST_HEX + 1], hb[DIGEST_HEX + 1];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (cli_flag_operands(cli, cmd, argc, argv, argc, &it, &json, &rc) < 0)
		return rc;
	first = cli_graph_operand(&it);
	if (it.noperands - first != 2 && it.noperands - first != 1) {
		rc = cli_usage_error(cli, cmd, "give two runs (ids or "
					       "instances), or one instance");
		goto out;
	}
	if ((rc = cli_session_open(cli, first ? it.operands[0] : NULL,
				   CLI_GRAPH_IF_HERE | CLI_STORE_RDONLY, &cs)))
		goto out;
	s = cs.s;
	if ((rc = runrec_all(s, NULL, &v, &n, &err))) {
		rc = cli_store_fail(cli, rc, &err);
		goto out;
	}
	/* One instance: its last two runs. */
	if (it.noperands - first == 1) {
		if ((rc = cli_pick_run(cli, s, v, n, it.operands[first], 1,
				       &a)) ||
		    (rc = cli_pick_run(cli, s, v, n, it.operands[first], 0,
				       &b)))
			goto out;
	} else if ((rc = cli_pick_run(cli, s, v, n, it.operands[first], 0,
				      &a)) ||
		   (rc = cli_pick_run(cli, s, v, n, it.operands[first + 1], 0,
				      &b))) {
		goto out;
	}
	digest_hex(&a.id, ha);
	digest_hex(&b.id, hb);
	add_row(&rows, &nrows, &cap, "instance", a.instance, b.instance);
	add_row(&rows, &nrows, &cap, "status", a.ok ? "ok" : "failed",
		b.ok ? "ok" : "failed");
	add_row(&rows, &nrows, &cap, "cmd", a.cmd, b.cmd);
	object_rows(&rows, &nrows, &cap, "params.", runrec_get(&a, "params"),
		    runrec_get(&b, "params"));
	object_rows(&rows, &nrows, &cap, "matrix.", runrec_get(&a, "matrix"),
		    runrec_get(&b, "matrix"));
	{
		struct json *ia = by_path(runrec_get(&a, "inputs"), "path");
		struct json *ib = by_path(runrec_get(&b, "inputs"), "path");
		struct json *oa = by_path(runrec_get(&a, "outputs"), "name");
		struct json *ob = by_path(runrec_get(&b, "outputs"), "name");
		object_rows(&rows, &nrows, &cap, "input ", ia, ib);
		object_rows(&rows, &nrows, &cap, "output ", oa, ob);
		json_free(ia);
		json_free(ib);
		json_free(oa);
		json_free(ob);
	}
	object_rows(&rows, &nrows, &cap, "env.", runrec_get(&a, "env"),
		    runrec_get(&b, "env"));
	buf_addf(&t1, "%.2fs", a.duration_s);
	buf_addf(&t2, "%.2fs", b.duration_s);
	add_row(&rows, &nrows, &cap, "duration", t1.data, t2.data);
	object_rows(&rows, &nrows, &cap, "metrics.", runrec_get(&a, "metrics"),
		    runrec_get(&b, "metrics"));
	if (json) {
		buf_addf(&out, "{\"a\": \"%s\", \"b\": \"%s\", \"rows\": [", ha,
			 hb);
		for (i = 0; i < nrows; i++) {
			buf_adds(&out, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
			json_string(&out, rows[i].name, strlen(rows[i].name));
			buf_adds(&out, ", \"a\": ");
			json_string(&out, rows[i].a, strlen(rows[i].a));
			buf_adds(&out, ", \"b\": ");
			json_string(&out, rows[i].b, strlen(rows[i].b));
			buf_addf(&out, ", \"differs\": %s}",
				 strcmp(rows[i].a, rows[i].b) ? "true"
							      : "false");
		}
		buf_adds(&out, "\n]}\n");
	} else {
		for (i = 0; i < nrows; i++) {
			if (strlen(rows[i].name) > wname)
				wname = strlen(rows[i].name);
			if (strlen(rows[i].a) > wa)
				wa = strlen(rows[i].a);
		}
		if (wa > 40)
			wa = 40;
		buf_addf(&out, "  %-*s  %-*.12s  %.12s\n", (int)wname, "run",
			 (int)wa, ha, hb);
		for (i = 0; i < nrows; i++) {
			same = !strcmp(rows[i].a, rows[i].b);
			buf_addf(&out, "%c %-*s  %-*s  %s\n", same ? ' ' : '*',
				 (int)wname, rows[i].name, (int)wa, rows[i].a,
				 rows[i].b);
		}
	}
	fwrite(out.data, 1, out.len, stdout);
out:
	for (i = 0; i < nrows; i++) {
		free(rows[i].name);
		free(rows[i].a);
		free(rows[i].b);
	}
	free(rows);
	runrec_release(&a);
	runrec_release(&b);
	runrec_free_all(v, n);
	buf_release(&out);
	buf_release(&t1);
	buf_release(&t2);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_diff = {
	.name = "diff",
	.summary = "two runs side by side, differences marked",
	.usage = "diff [--json] [GRAPH] A [B]",
	.description =
		"Compare two runs: A and B are run ids (6+ hex digits) or "
		"instances (their\nlatest runs); one instance alone compares "
		"its last two runs. Shows the\ninstance, status, command, "
		"params, matrix values, input and output ids,\nenvironment, "
		"duration and metrics; rows that differ start with '*'.",
	.opts = diff_opts,
	.run = diff_run,
};

/* ---- metrics ---- */

static const struct opt_spec metrics_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ "csv", OPT_CSV, 0, NULL, "print as CSV" },
	{ "sort", OPT_SORT, 1, "NAME", "order rows by column NAME (-NAME: largest first)" },
	{ "history", OPT_HISTORY, 0, NULL, "every run, not only each instance's latest" },
	{ "params", OPT_PARAMS, 0, NULL, "matrix values and params as columns (default: for matrix stages, in the table)" },
	{ "no-params", OPT_NO_PARAMS, 0, NULL, "no such columns" },
	{ 0 },
};

/* A column: a metric, a matrix value or a param of the runs. */
struct mcol {
	const char *name;
	const char *sec;	/* "metrics", "matrix" or "params" */
};

struct mrow {
	const struct runrec *r;
	size_t order;	/* the instance's place in the graph */
	int desc;	/* largest first */
	const struct json *key;	/* the sort column's value, or NULL */
};

static const struct json *cell_of(const struct runrec *r,
				  const struct mcol *c)
{
	return json_member(runrec_get(r, c->sec), c->name);
}

/* Numbers before text; numbers by value, text by bytes. */
static int cmp_value(const struct json *a, const struct json *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int na = a->type == JSON_NUMBER, nb = b->type == JSON_NUMBER, c;

	if (na && nb)
		return a->u.number < b->u.number ? -1
		       : a->u.number > b->u.number;
	if (na != nb)
		return na ? -1 : 1;
	text_of(a, &x);
	text_of(b, &y);
	c = strcmp(x.data, y.data);
	buf_release(&x);
	buf_release(&y);
	return c;
}

static int by_column(const void *x, const void *y)
{
	const struct mrow *a = x, *b = y;
	int c;

	if (!a->key != !b->key)
		return a->key ? -1 : 1;	/* rows without it last */
	if (a->key && (c = cmp_value(a->key, b->key)))
		return a->desc ? -c : c;
	return a->order < b->order ? -1 : a->order > b->order;
}

/*
 * A value for a person: an integer as one (3, not 3.0); another number
 * with six significant digits and no trailing zeros (0.912346, 12.5,
 * 1234568), in exponent form only when tiny or huge; text as it is.
 */
static void human_value(struct buf *b, const struct json *v)
{
	double x, ax;
	size_t at;
	int dec;

	if (!v) {
		buf_adds(b, "-");
		return;
	}
	if (v->type != JSON_NUMBER) {
		text_of(v, b);
		return;
	}
	x = v->u.number;
	ax = fabs(x);
	if (x == floor(x) && ax < 1e15) {
		buf_addf(b, "%.0f", x == 0 ? 0.0 : x);
		return;
	}
	if (ax < 1e-4 || ax >= 1e15) {
		buf_addf(b, "%.6g", x);
		return;
	}
	dec = 5 - (int)floor(log10(ax));
	at = b->len;
	buf_addf(b, "%.*f", dec < 0 ? 0 : dec, x);
	if (strchr(b->data + at, '.')) {
		while (b->data[b->len - 1] == '0')
			buf_truncate(b, b->len - 1);
		if (b->data[b->len - 1] == '.')
			buf_truncate(b, b->len - 1);
	}
}

static void csv_cell(struct buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

/* Add the members of r's section sec not yet among cols. */
static void add_cols(struct mcol **cols, size_t *n, const struct runrec *r,
		     const char *sec)
{
	const struct json *o = runrec_get(r, sec);
	size_t k, j;

	for (k = 0; o && o->type == JSON_OBJECT && k < o->u.object.n; k++) {
		for (j = 0; j < *n; j++)
			if (!strcmp((*cols)[j].sec, sec) &&
			    !strcmp((*cols)[j].name, o->u.object.k[k]))
				break;
		if (j < *n)
			continue;
		*cols = xrealloc(*cols, (*n + 1) * sizeof(**cols));
		(*cols)[*n].name = o->u.object.k[k];
		(*cols)[(*n)++].sec = sec;
	}
}

/* The column --sort names: a metric first, then a matrix value, then a
 * param; NULL after saying what the columns are. */
static const struct mcol *sort_col(struct cli *cli, const struct mcol *cols,
				   size_t n, const char *name)
{
	static const char *const secs[] = { "metrics", "matrix", "params" };
	struct suggest sg;
	struct buf all = BUF_INIT;
	size_t i, k;

	for (k = 0; k < 3; k++)
		for (i = 0; i < n; i++)
			if (!strcmp(cols[i].sec, secs[k]) &&
			    !strcmp(cols[i].name, name))
				return &cols[i];
	suggest_init(&sg, name);
	for (i = 0; i < n; i++) {
		suggest_add(&sg, cols[i].name);
		buf_addf(&all, "%s%s", i ? ", " : "", cols[i].name);
	}
	term_error(&cli->term, "no column '%s' in these runs%s", name,
		   suggest_clause(&sg));
	if (n)
		term_hint(&cli->term, "--sort takes one of: %s", all.data);
	suggest_release(&sg);
	buf_release(&all);
	return NULL;
}

static void metrics_table(struct buf *out, const struct mrow *rows,
			  size_t nrows, const struct mcol *cols, size_t ncols,
			  int history, int csv)
{
	size_t *w = xcalloc(ncols + 2, sizeof(size_t));
	struct buf cell = BUF_INIT;
	size_t i, j;
	char t[32];

	w[0] = strlen("instance");
	for (i = 0; i < nrows; i++)
		if (strlen(rows[i].r->instance) > w[0])
			w[0] = strlen(rows[i].r->instance);
	for (j = 0; j < ncols; j++) {
		w[j + 1] = strlen(cols[j].name);
		for (i = 0; !csv && i < nrows; i++) {
			buf_truncate(&cell, 0);
			human_value(&cell, cell_of(rows[i].r, &cols[j]));
			if (cell.len > w[j + 1])
				w[j + 1] = cell.len;
		}
	}
	if (csv) {
		buf_adds(out, "instance");
		if (history)
			buf_adds(out, ",start");
		for (j = 0; j < ncols; j++) {
			buf_addc(out, ',');
			csv_cell(out, cols[j].name);
		}
	} else {
		buf_addf(out, "%-*s", (int)w[0], "instance");
		if (history)
			buf_addf(out, "  %-19s", "start");
		for (j = 0; j < ncols; j++)
			buf_addf(out, "  %*s", (int)w[j + 1], cols[j].name);
	}
	buf_addc(out, '\n');
	for (i = 0; i < nrows; i++) {
		const struct runrec *r = rows[i].r;

		if (csv)
			csv_cell(out, r->instance);
		else
			buf_addf(out, "%-*s", (int)w[0], r->instance);
		if (history)
			buf_addf(out, csv ? ",%s" : "  %s",
				 format_time(r->start_ns, t));
		for (j = 0; j < ncols; j++) {
			const struct json *v = cell_of(r, &cols[j]);

			buf_truncate(&cell, 0);
			if (!csv) {
				human_value(&cell, v);
				buf_addf(out, "  %*s", (int)w[j + 1], cell.data);
				continue;
			}
			/* CSV: numbers exactly (they read back the same) */
			if (v && v->type == JSON_NUMBER)
				json_float(&cell, v->u.number);
			else if (v)
				text_of(v, &cell);
			buf_addc(out, ',');
			csv_cell(out, cell.data);
		}
		buf_addc(out, '\n');
	}
	buf_release(&cell);
	free(w);
}

static void metrics_json(struct buf *out, const struct mrow *rows,
			 size_t nrows)
{
	static const char *const more[] = { "metrics", "matrix", "params" };
	size_t i, k;

	buf_adds(out, "[");
	for (i = 0; i < nrows; i++) {
		char hex[DIGEST_HEX + 1];

		digest_hex(&rows[i].r->id, hex);
		buf_adds(out, i ? ",\n  {\"instance\": " : "\n  {\"instance\": ");
		json_string(out, rows[i].r->instance,
			    strlen(rows[i].r->instance));
		buf_addf(out, ", \"run\": \"%s\", \"start_ns\": %lld", hex,
			 (long long)rows[i].r->start_ns);
		for (k = 0; k < 3; k++) {
			const struct json *v = runrec_get(rows[i].r, more[k]);

			buf_addf(out, ", \"%s\": ", more[k]);
			if (v)
				json_write(out, v);
			else
				buf_adds(out, "{}");
		}
		buf_addc(out, '}');
	}
	buf_adds(out, nrows ? "\n]\n" : "]\n");
}

static int metrics_run(struct cli *cli, const struct command *cmd, int argc,
		       char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct graph *g;
	struct store *s;
	struct runrec *v = NULL;
	struct mrow *rows = NULL;
	struct mcol *cols = NULL, *vals = NULL, *shown = NULL;
	const struct mcol *sc = NULL;
	struct buf out = BUF_INIT;
	struct err err;
	const char *stage = NULL, *sort = NULL;
	struct lock_index lock;
	int desc = 0, params = -1, matrix = 0;
	size_t n = 0, nrows = 0, ncols = 0, nvals = 0, i, j, first = 0;
	int rc = EXIT_OK, json = 0, csv = 0, history = 0, o;

	memset(&lock, 0, sizeof(lock));
	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0) {
		switch (o) {
		case OPT_JSON: json = 1; break;
		case OPT_CSV: csv = 1; break;
		case OPT_HISTORY: history = 1; break;
		case OPT_PARAMS: params = 1; break;
		case OPT_NO_PARAMS: params = 0; break;
		case OPT_SORT:
			desc = it.arg[0] == '-';
			sort = it.arg + desc;
			break;
		}
	}
	if (o < 0) {
		rc = cli_opt_exit(o);
		goto out;
	}
	first = cli_graph_operand(&it);
	if (it.noperands - first > 1) {
		rc = cli_usage_error(cli, cmd, "too many arguments");
		goto out;
	}
	stage = (size_t)it.noperands > first ? it.operands[first] : NULL;
	if ((rc = cli_session_open(cli, first ? it.operands[0] : NULL,
				   CLI_GRAPH_IF_HERE | CLI_STORE_RDONLY, &cs)))
		goto out;
	g = cs.g;
	s = cs.s;
	if ((rc = runrec_all(s, g ? g->name : NULL, &v, &n, &err))) {
		rc = cli_store_fail(cli, rc, &err);
		goto out;
	}
	if (stage && (rc = cli_known_stage(cli, g, v, n, stage)))
		goto out;
	rows = xcalloc(n + 1, sizeof(*rows));
	/* The run behind each instance's current outputs: the one with the
	 * key the lock file records (pass 0), else its newest (pass 1). */
	if (g) {
		char *lp = lock_path_for(g->file);
		lock_index_load(lp, &lock);
		free(lp);
	}
	for (i = 0; i < 2 * n; i++) {
		const struct runrec *r = &v[i % n];
		const struct json *m = runrec_get(r, "metrics"), *mx;
		const struct graph_inst *in = g ? graph_find(g, r->instance) : NULL;
		const struct lock_known *lk;

		if (!r->ok || !m || (stage && !cli_of_stage(r, stage)))
			continue;
		if (g && !in)
			continue;	/* an instance no longer in the graph */
		if (history && i >= n)
			break;
		if (!history && i < n &&
		    (!(lk = lock_index_find(&lock, r->instance)) ||
		     !digest_eq(&lk->key, &r->key)))
			continue;
		/* Newest first: an instance seen already has its row. */
		for (j = 0; !history && j < nrows; j++)
			if (!strcmp(rows[j].r->instance, r->instance))
				break;
		if (!history && j < nrows)
			continue;
		rows[nrows].r = r;
		rows[nrows++].order = in ? in->index : i % n;
		add_cols(&cols, &ncols, r, "metrics");
		mx = runrec_get(r, "matrix");
		if (mx && mx->type == JSON_OBJECT && mx->u.object.n)
			matrix = 1;
	}
	/* The values: the matrix's first (they tell instances apart). */
	for (i = 0; i < nrows; i++)
		add_cols(&vals, &nvals, rows[i].r, "matrix");
	for (i = 0; i < nrows; i++)
		add_cols(&vals, &nvals, rows[i].r, "params");
	if (params < 0)
		params = matrix && !csv;
	/* The columns shown: the values (when asked), then the metrics. */
	shown = xcalloc(nvals + ncols + 1, sizeof(*shown));
	for (i = 0; params && i < nvals; i++)
		shown[i] = vals[i];
	memcpy(shown + (params ? nvals : 0), cols, ncols * sizeof(*cols));
	if (sort && nrows) {
		struct mcol *all = xcalloc(nvals + ncols + 1, sizeof(*all));

		memcpy(all, cols, ncols * sizeof(*cols));
		memcpy(all + ncols, vals, nvals * sizeof(*vals));
		sc = sort_col(cli, all, ncols + nvals, sort);
		if (sc) {
			struct mcol c = *sc;
			for (i = 0; i < nrows; i++) {
				rows[i].key = cell_of(rows[i].r, &c);
				rows[i].desc = desc;
			}
		}
		free(all);
		if (!sc) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (sort || !history)
		qsort(rows, nrows, sizeof(*rows), by_column);
	if (json)
		metrics_json(&out, rows, nrows);
	else
		metrics_table(&out, rows, nrows, shown,
			      ncols + (params ? nvals : 0), history, csv);
	fwrite(out.data, 1, out.len, stdout);
out:
	lock_index_free(&lock);
	free(rows);
	free(cols);
	free(vals);
	free(shown);
	runrec_free_all(v, n);
	buf_release(&out);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_metrics = {
	.name = "metrics",
	.summary = "a table of the metrics of the latest runs, one row per instance",
	.usage = "metrics [--json|--csv] [--sort [-]NAME] [--history] "
		 "[--params|--no-params] [GRAPH] [STAGE]",
	.description =
		"The metrics recorded by the run behind each instance's current "
		"outputs (the\nlock file's key; else its latest successful run) "
		"(of STAGE, a name,\ninstance or glob, or of every stage): one "
		"row per instance in the\ngraph's order, one column per metric "
		"('-' where an instance has none),\nafter the matrix values and "
		"params when --params is given (the default\nin the table when "
		"a row has matrix values). Numbers are right-aligned,\nintegers "
		"as integers, others with 6 significant digits (CSV and JSON: "
		"exact).\n--sort orders the rows by a column (a metric, a matrix "
		"value or a param;\nsmallest first, -NAME largest first), "
		"--history lists every successful\nrun, newest first.",
	.opts = metrics_opts,
	.run = metrics_run,
};
