/*
 * Queries by hash: `cairn lineage ID` (how an artifact was made: the run
 * that made it, that run's inputs, the runs that made those, down to
 * source files) and `cairn used-by ID` (every run that read it, and what
 * they made).  Built on the store's lineage index and the run records'
 * named inputs and outputs.  docs/cli.md describes them.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "digest.h"
#include "err.h"
#include "graph.h"
#include "idset.h"
#include "json.h"
#include "opt.h"
#include "runrec.h"
#include "store.h"
#include "term.h"
#include "units.h"
#include "util.h"

enum { OPT_JSON = 256, OPT_DOT };

struct roles {
	struct digest *made, *used;	/* runs */
	size_t nmade, nused;
};

static int on_role(enum store_role role, const struct digest *run, void *ctx)
{
	struct roles *r = ctx;

	if (role == STORE_PRODUCED) {
		r->made = xrealloc(r->made, (r->nmade + 1) * sizeof(*r->made));
		r->made[r->nmade++] = *run;
	} else {
		r->used = xrealloc(r->used, (r->nused + 1) * sizeof(*r->used));
		r->used[r->nused++] = *run;
	}
	return 0;
}

/*
 * The run that made id, into *out: the newest that produced it, of
 * instance inst when given (the consumer's record says which instance
 * made its input) and started before before_ns when non-zero (it existed
 * when the consumer ran).  Equal bytes can be made by many runs; *others
 * counts the rest.  0, or -1 when none.
 */
static int maker(struct store *s, const struct digest *id, const char *inst,
		 int64_t before_ns, struct runrec *out, size_t *others)
{
	struct roles r = { NULL, NULL, 0, 0 };
	struct err err;
	size_t i;
	int found = -1;

	*others = 0;
	if (store_lineage(s, id, on_role, &r, &err) == 0)
		for (i = 0; i < r.nmade; i++) {
			struct runrec x;
			if (runrec_load(s, &r.made[i], &x, &err))
				continue;
			if ((inst && strcmp(x.instance, inst)) ||
			    (before_ns && x.start_ns >= before_ns)) {
				runrec_release(&x);
				continue;
			}
			if (found == 0 && x.start_ns <= out->start_ns) {
				(*others)++;
				runrec_release(&x);
				continue;
			}
			if (found == 0) {
				runrec_release(out);
				(*others)++;
			}
			*out = x;
			found = 0;
		}
	free(r.made);
	free(r.used);
	return found;
}

/* The path a run's record gives id (an input or an output), or NULL. */
static const char *path_in(const struct runrec *r, const struct digest *id)
{
	static const char *const lists[] = { "outputs", "inputs" };
	char hex[DIGEST_HEX + 1];
	size_t l, i;

	digest_hex(id, hex);
	for (l = 0; l < 2; l++) {
		const struct json *a = runrec_get(r, lists[l]);
		for (i = 0; a && a->type == JSON_ARRAY && i < a->u.array.n; i++) {
			const char *x = json_str(a->u.array.v[i], "id");
			if (x && !strcmp(x, hex))
				return json_str(a->u.array.v[i], "path");
		}
	}
	return NULL;
}

struct walk {
	struct store *s;
	struct buf *out;
	int mode;		/* 0 text, 1 dot, 2 json */
	struct idset seen;	/* runs already shown */
	size_t nitems;		/* json: items written */
};

static void short_id(const struct digest *id, char out[13])
{
	char hex[DIGEST_HEX + 1];

	digest_hex(id, hex);
	memcpy(out, hex, 12);
	out[12] = '\0';
}

/*
 * Show artifact id (called path where the caller knows it) and, through
 * the run that made it, everything upstream.  prefix: the tree drawing.
 */
static void walk(struct walk *w, const struct digest *id, const char *path,
		 const char *from, int64_t before_ns, const char *prefix,
		 int last, int depth)
{
	struct runrec r;
	size_t others, i;
	char sid[13], rid[13], t[32], hex[DIGEST_HEX + 1], rhex[DIGEST_HEX + 1];
	struct buf next = BUF_INIT;
	const struct json *ins;
	/* An input another stage did not make is a source, whoever else
	 * made the same bytes. */
	int made = (depth == 0 || from) &&
		   maker(w->s, id, from, before_ns, &r, &others) == 0;

	short_id(id, sid);
	digest_hex(id, hex);
	if (made)
		digest_hex(&r.id, rhex);
	if (made && !path)
		path = path_in(&r, id);
	if (w->mode == 0) {
		buf_addf(w->out, "%s%s%s %s", prefix,
			 depth ? (last ? "`-- " : "|-- ") : "",
			 path ? path : "(artifact)", sid);
		if (!made) {
			buf_adds(w->out, "  source\n");
			return;
		}
		short_id(&r.id, rid);
		buf_addf(w->out, "  made by %s (run %s, %s", r.instance, rid,
			 format_time(r.start_ns, t));
		if (others)
			buf_addf(w->out, "; %zu earlier run%s made it too",
				 others, others == 1 ? "" : "s");
		buf_addc(w->out, ')');
		if (idset_has(&w->seen, &r.id)) {
			buf_adds(w->out, ": shown above\n");
			runrec_release(&r);
			return;
		}
		buf_addc(w->out, '\n');
	} else if (w->mode == 1) {
		struct buf label = BUF_INIT;
		buf_addf(&label, "%s\n%s", path ? path : "artifact", sid);
		buf_addf(w->out, "  \"%s\" [shape=note, label=", hex);
		json_string(w->out, label.data, label.len);
		buf_adds(w->out, "];\n");
		buf_release(&label);
		if (!made)
			return;
		buf_addf(w->out, "  \"%s\" -> \"%s\";\n", rhex, hex);
		if (idset_has(&w->seen, &r.id)) {
			runrec_release(&r);
			return;
		}
		short_id(&r.id, rid);
		buf_addf(w->out, "  \"%s\" [shape=box, label=", rhex);
		json_string(w->out, r.instance, strlen(r.instance));
		buf_addf(w->out, "];\n");
	} else {
		buf_addf(w->out, "%s\n    {\"id\": \"%s\", \"path\": ",
			 w->nitems++ ? "," : "", hex);
		if (path)
			json_string(w->out, path, strlen(path));
		else
			buf_adds(w->out, "null");
		if (!made) {
			buf_adds(w->out, ", \"made_by\": null}");
			return;
		}
		buf_addf(w->out, ", \"made_by\": \"%s\"}", rhex);
		if (idset_has(&w->seen, &r.id)) {
			runrec_release(&r);
			return;
		}
		buf_addf(w->out, ",\n    {\"run\": \"%s\", \"instance\": ", rhex);
		json_string(w->out, r.instance, strlen(r.instance));
		buf_addf(w->out, ", \"start_ns\": %lld, \"inputs\": [",
			 (long long)r.start_ns);
	}
	idset_add(&w->seen, &r.id);
	ins = runrec_get(&r, "inputs");
	if (w->mode == 2) {
		for (i = 0; ins && ins->type == JSON_ARRAY && i < ins->u.array.n;
		     i++) {
			const char *x = json_str(ins->u.array.v[i], "id");
			buf_addf(w->out, "%s\"%s\"", i ? ", " : "", x ? x : "");
		}
		buf_adds(w->out, "]}");
	}
	buf_addf(&next, "%s%s", prefix, depth ? (last ? "    " : "|   ") : "");
	for (i = 0; ins && ins->type == JSON_ARRAY && i < ins->u.array.n; i++) {
		const struct json *e = ins->u.array.v[i];
		const char *x = json_str(e, "id");
		struct digest in;

		if (!x || digest_parse(x, &in) < 0)
			continue;
		if (w->mode == 1)
			buf_addf(w->out, "  \"%s\" -> \"%s\";\n", x, rhex);
		walk(w, &in, json_str(e, "path"), json_str(e, "from"),
		     r.start_ns, next.data, i + 1 == ins->u.array.n,
		     depth + 1);
	}
	buf_release(&next);
	runrec_release(&r);
}

static const struct opt_spec lineage_opts[] = {
	{ "dot", OPT_DOT, 0, NULL, "print a Graphviz graph" },
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static int lineage_run(struct cli *cli, const struct command *cmd, int argc,
		       char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct buf out = BUF_INIT;
	struct walk w;
	struct digest id;
	int rc, o, mode = 0;

	memset(&w, 0, sizeof(w));
	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0)
		mode = o == OPT_DOT ? 1 : 2;
	if (o < 0) {
		rc = cli_opt_exit(o);
		goto out;
	}
	if (it.noperands != 1) {
		rc = cli_usage_error(cli, cmd, "give one id");
		goto out;
	}
	if ((rc = cli_session_open(cli, NULL,
				   CLI_GRAPH_IF_HERE | CLI_STORE_RDONLY, &cs)) ||
	    (rc = cli_parse_id(cli, cs.s, it.operands[0], &id)))
		goto out;
	w.s = cs.s;
	w.out = &out;
	w.mode = mode;
	idset_init(&w.seen);
	{
		/* A run id: start from its outputs' maker, itself. */
		struct runrec r;
		struct err err;
		if (runrec_load(cs.s, &id, &r, &err) == 0) {
			if (r.noutputs)
				id = r.outputs[0];
			runrec_release(&r);
		}
	}
	if (mode == 1)
		buf_adds(&out, "digraph lineage {\n  rankdir=LR;\n");
	if (mode == 2)
		buf_adds(&out, "{\"lineage\": [");
	walk(&w, &id, NULL, NULL, 0, "", 1, 0);
	if (mode == 1)
		buf_adds(&out, "}\n");
	if (mode == 2)
		buf_adds(&out, "\n]}\n");
	fwrite(out.data, 1, out.len, stdout);
	idset_release(&w.seen);
out:
	buf_release(&out);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_lineage = {
	.name = "lineage",
	.summary = "how an artifact was made, down to the source files",
	.usage = "lineage [--dot|--json] ID",
	.description =
		"Starting from ID (a blob, tree or run id, or a prefix of 6+ "
		"hex digits),\nshow the run that made it, that run's inputs, "
		"the runs that made those,\nand so on down to source files "
		"(artifacts no recorded run made). A run\nreached twice is "
		"shown once. --dot prints a Graphviz graph (artifacts as\nnotes, "
		"runs as boxes); --json a list of artifacts and runs.",
	.opts = lineage_opts,
	.run = lineage_run,
};

/* ---- used-by ---- */

static const struct opt_spec used_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static int used_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct roles roles = { NULL, NULL, 0, 0 };
	struct buf out = BUF_INIT;
	struct err err;
	struct digest id;
	size_t i, k, shown = 0;
	int rc, json;

	if (cli_flag_operands(cli, cmd, argc, argv, argc, &it, &json, &rc) < 0)
		return rc;
	if (it.noperands != 1) {
		rc = cli_usage_error(cli, cmd, "give one id");
		goto out;
	}
	if ((rc = cli_session_open(cli, NULL,
				   CLI_GRAPH_IF_HERE | CLI_STORE_RDONLY, &cs)) ||
	    (rc = cli_parse_id(cli, cs.s, it.operands[0], &id)))
		goto out;
	if ((rc = store_lineage(cs.s, &id, on_role, &roles, &err))) {
		rc = cli_store_fail(cli, rc, &err);
		goto out;
	}
	if (json)
		buf_adds(&out, "[");
	for (i = 0; i < roles.nused; i++) {
		struct runrec r;
		char hex[DIGEST_HEX + 1], t[32];
		const struct json *outs;

		if (runrec_load(cs.s, &roles.used[i], &r, &err))
			continue;
		digest_hex(&r.id, hex);
		outs = runrec_get(&r, "outputs");
		if (json) {
			buf_addf(&out, "%s\n  {\"run\": \"%s\", \"instance\": ",
				 shown ? "," : "", hex);
			json_string(&out, r.instance, strlen(r.instance));
			buf_addf(&out, ", \"start_ns\": %lld, \"ok\": %s, "
				       "\"as\": ",
				 (long long)r.start_ns, r.ok ? "true" : "false");
			{
				const char *p = path_in(&r, &id);
				if (p)
					json_string(&out, p, strlen(p));
				else
					buf_adds(&out, "null");
			}
			buf_adds(&out, ", \"outputs\": ");
			if (outs)
				json_write(&out, outs);
			else
				buf_adds(&out, "[]");
			buf_addc(&out, '}');
		} else {
			const char *p = path_in(&r, &id);
			buf_addf(&out, "run %.12s  %s  %s  %s%s%s\n", hex,
				 format_time(r.start_ns, t), r.ok ? "ok" : "failed",
				 r.instance, p ? "  read it as " : "",
				 p ? p : "");
			for (k = 0; outs && outs->type == JSON_ARRAY &&
				    k < outs->u.array.n;
			     k++) {
				const struct json *e = outs->u.array.v[k];
				const char *op = json_str(e, "path");
				const char *oid = json_str(e, "id");
				buf_addf(&out, "  made %s %.12s\n", op ? op : "?",
					 oid ? oid : "?");
			}
		}
		shown++;
		runrec_release(&r);
	}
	if (json)
		buf_adds(&out, shown ? "\n]\n" : "]\n");
	else if (!shown)
		buf_adds(&out, "no recorded run read it\n");
	fwrite(out.data, 1, out.len, stdout);
out:
	free(roles.made);
	free(roles.used);
	buf_release(&out);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_used_by = {
	.name = "used-by",
	.summary = "every run that read an artifact, and what it made",
	.usage = "used-by [--json] ID",
	.description =
		"List the recorded runs that read ID (a content id, or a prefix "
		"of 6+ hex\ndigits of a stored one): the run, when, its outcome, "
		"the instance and the\npath it read ID as, and the outputs it "
		"made.",
	.opts = used_opts,
	.run = used_run,
};
