/*
 * The store's named roots, what keeps objects from gc: cairn pin and
 * unpin (the roots 'pin:NAME'), cairn store roots and store unroot.
 */
#include "buf.h"
#include "cli.h"
#include "digest.h"
#include "err.h"
#include "json.h"
#include "runrec.h"
#include "store.h"
#include "term.h"
#include "units.h"
#include "util.h"

enum { OPT_JSON = 256 };

static const struct opt_spec opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

/* {"name": NAME, "ids": [...]}: a root as JSON. */
static void root_json(struct buf *out, const char *name,
		      const struct digest *ids, size_t n)
{
	char hex[DIGEST_HEX + 1];
	size_t i;

	buf_adds(out, "{\"name\": ");
	json_string(out, name, strlen(name));
	buf_adds(out, ", \"ids\": [");
	for (i = 0; i < n; i++) {
		digest_hex(&ids[i], hex);
		buf_addf(out, "%s\"%s\"", i ? ", " : "", hex);
	}
	buf_adds(out, "]}\n");
}

/* Remove the roots PREFIX+NAME, all or none, and with json say which;
 * 0 or an exit code. */
static int remove_roots(struct cli *cli, struct store *s, const char *prefix,
			char **names, int n, int json)
{
	struct store_writer *w;
	struct buf name = BUF_INIT;
	struct err err;
	int src, i;

	if ((src = store_writer_new(s, &w, &err)))
		return cli_store_fail(cli, src, &err);
	for (i = 0; i < n && !src; i++) {
		buf_truncate(&name, 0);
		buf_addf(&name, "%s%s", prefix, names[i]);
		src = store_remove_root(w, name.data, &err);
	}
	if (src)
		store_writer_abort(w);
	else
		src = store_writer_commit(w, &err);
	if (!src && json) {
		buf_truncate(&name, 0);
		buf_adds(&name, "{\"removed\": [");
		for (i = 0; i < n; i++) {
			struct buf one = BUF_INIT;
			buf_addf(&one, "%s%s", prefix, names[i]);
			if (i)
				buf_adds(&name, ", ");
			json_string(&name, one.data, one.len);
			buf_release(&one);
		}
		buf_adds(&name, "]}\n");
		fwrite(name.data, 1, name.len, stdout);
	}
	buf_release(&name);
	return src ? cli_store_fail(cli, src, &err) : EXIT_OK;
}

/* `unpin NAME...` (prefix "pin:", the graph's store) and `store unroot
 * NAME...` (prefix "", the store alone). */
static int unroot(struct cli *cli, const struct command *cmd, int argc,
		  char **argv, const char *prefix)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	int rc, json;

	if (cli_flag_operands(cli, cmd, argc, argv, argc, &it, &json, &rc) < 0)
		return rc;
	if (!it.noperands)
		rc = cli_usage_error(cli, cmd, "give the %s to remove",
				     *prefix ? "pins" : "roots");
	else if (*prefix)
		rc = cli_session_open(cli, NULL,
				      CLI_GRAPH_FOR_STORE | CLI_STORE, &cs);
	else
		rc = cli_store_open(cli, 0, &cs.s);
	if (!rc)
		rc = remove_roots(cli, cs.s, prefix, it.operands,
				  it.noperands, json);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

/* ---- pin, unpin ---- */

static int pin_run(struct cli *cli, const struct command *cmd, int argc,
		   char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct store_writer *w;
	struct store_object o;
	struct buf name = BUF_INIT;
	struct runrec r;
	struct err err;
	struct digest id;
	int rc, src, json;

	memset(&r, 0, sizeof(r));
	if (cli_flag_operands(cli, cmd, argc, argv, 2, &it, &json, &rc) < 0)
		return rc;
	if (it.noperands != 2) {
		rc = cli_usage_error(cli, cmd, "give a name and an id");
		goto out;
	}
	/* The graph only names the store, when nothing else does. */
	if ((rc = cli_session_open(cli, NULL, CLI_GRAPH_FOR_STORE | CLI_STORE,
				   &cs)) ||
	    (rc = cli_parse_id(cli, cs.s, it.operands[1], &id)))
		goto out;
	buf_addf(&name, "pin:%s", it.operands[0]);
	if ((src = store_writer_new(cs.s, &w, &err))) {
		rc = cli_store_fail(cli, src, &err);
		goto out;
	}
	/* A run is pinned by its outputs: a root keeps them, and gc keeps
	 * a run whose outputs a root keeps. */
	if (runrec_load(cs.s, &id, &r, &err) == 0) {
		src = STORE_BADARG;
		if (r.noutputs)
			src = store_set_root(w, name.data, r.outputs,
					     r.noutputs, &err);
		else
			err_set(&err, "run %s made nothing to pin",
				it.operands[1]);
	} else if (store_lookup(cs.s, &id, &o) == 0) {
		src = store_set_root(w, name.data, &id, 1, &err);
	} else {
		src = STORE_NOTFOUND;
		err_set(&err, "'%s' is not in the store", it.operands[1]);
	}
	if (src) {
		store_writer_abort(w);
		rc = cli_store_fail(cli, src, &err);
		goto out;
	}
	if ((src = store_writer_commit(w, &err)))
		rc = cli_store_fail(cli, src, &err);
	else if (json) {
		struct buf b = BUF_INIT;
		if (r.noutputs)
			root_json(&b, name.data, r.outputs, r.noutputs);
		else
			root_json(&b, name.data, &id, 1);
		fwrite(b.data, 1, b.len, stdout);
		buf_release(&b);
	}
out:
	runrec_release(&r);
	buf_release(&name);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_pin = {
	.name = "pin",
	.summary = "keep an artifact or a run's outputs from gc, by name",
	.usage = "pin [--json] NAME ID",
	.description =
		"Make the store root 'pin:NAME' keep ID: a blob or tree, or a "
		"run's outputs\n(which also keeps the run's record). Pinning a "
		"NAME again replaces what it\nkept. 'cairn store roots' lists "
		"the pins; 'cairn unpin NAME' removes one. --json prints\n"
		"the root made: {\"name\": \"pin:NAME\", \"ids\": [...]}.",
	.opts = opts,
	.run = pin_run,
};

static int unpin_run(struct cli *cli, const struct command *cmd, int argc,
		     char **argv)
{
	return unroot(cli, cmd, argc, argv, "pin:");
}

const struct command cmd_unpin = {
	.name = "unpin",
	.summary = "remove pins",
	.usage = "unpin [--json] NAME...",
	.description = "Remove the store roots 'pin:NAME'; gc may then remove "
		       "what only they kept.\n--json prints the roots removed: "
		       "{\"removed\": [\"pin:NAME\", ...]}.",
	.opts = opts,
	.run = unpin_run,
};

/* ---- store roots, store unroot ---- */

struct roots_ctx {
	struct buf *out;
	int json, n;
	struct store *s;
};

/* Who made what r keeps: each distinct producing instance and its run's
 * start (json: objects); nothing for what no recorded run made (a lock
 * file's set, a file stored by hand). */
static void made_by(struct roots_ctx *c, const struct store_root *r)
{
	struct digest *runs = xcalloc(r->n + 1, sizeof(*runs));
	size_t i, j, k = 0;

	if (c->json)
		buf_adds(c->out, ", \"made_by\": [");
	for (i = 0; i < r->n; i++) {
		struct store_object o;
		struct runrec rr;
		char t[32];

		if (store_lookup(c->s, &r->ids[i], &o) ||
		    !cli_made_by(c->s, &r->ids[i], o.kind == STORE_RUN, &rr))
			continue;
		for (j = 0; j < k && !digest_eq(&runs[j], &rr.id); j++)
			;
		if (j == k) {	/* a run not named yet */
			runs[k] = rr.id;
			if (c->json) {
				buf_adds(c->out, k ? ", {\"instance\": "
						   : "{\"instance\": ");
				json_string(c->out, rr.instance,
					    strlen(rr.instance));
				buf_addf(c->out, ", \"start_ns\": %lld}",
					 (long long)rr.start_ns);
			} else {
				buf_addf(c->out, "%s%s %s",
					 k ? ", " : "  (made by ", rr.instance,
					 format_time(rr.start_ns, t));
			}
			k++;
		}
		runrec_release(&rr);
	}
	if (c->json)
		buf_addc(c->out, ']');
	else if (k)
		buf_addc(c->out, ')');
	free(runs);
}

static int print_root(const struct store_root *r, void *ctx)
{
	struct roots_ctx *c = ctx;
	size_t i;

	if (c->json) {
		buf_adds(c->out, c->n++ ? ",\n  {\"name\": " : "\n  {\"name\": ");
		json_string(c->out, r->name, strlen(r->name));
		buf_adds(c->out, ", \"ids\": [");
	} else {
		buf_addf(c->out, "%s", r->name);
	}
	for (i = 0; i < r->n; i++) {
		char hex[DIGEST_HEX + 1];
		struct digest d;
		memcpy(d.b, r->ids[i].b, DIGEST_LEN);
		digest_hex(&d, hex);
		buf_addf(c->out, c->json ? "%s\"%s\"" : "%s%s",
			 c->json ? (i ? ", " : "") : " ", hex);
	}
	buf_adds(c->out, c->json ? "]" : "");
	made_by(c, r);
	buf_adds(c->out, c->json ? "}" : "\n");
	return 0;
}

const struct command cmd_store_roots = {
	"store roots", "", "store roots [--json]", "", opts, NULL
};

int run_store_roots(struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct store *s;
	struct buf out = BUF_INIT;
	struct roots_ctx c = { &out, 0, 0, NULL };
	struct err err;
	int rc, src;

	if (cli_flag_operands(cli, &cmd_store_roots, argc, argv, 0, &it,
			      &c.json, &rc) < 0)
		return rc;
	opt_release(&it);
	if ((rc = cli_store_open(cli, 0, &s)))
		return rc;
	c.s = s;
	if (c.json)
		buf_adds(&out, "[");
	src = store_roots_walk(s, print_root, &c, &err);
	store_close(s);
	if (src) {
		buf_release(&out);
		return cli_store_fail(cli, src, &err);
	}
	if (c.json)
		buf_adds(&out, c.n ? "\n]\n" : "]\n");
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	return EXIT_OK;
}

const struct command cmd_store_unroot = {
	"store unroot", "", "store unroot [--json] NAME...", "", opts, NULL
};

int run_store_unroot(struct cli *cli, int argc, char **argv)
{
	return unroot(cli, &cmd_store_unroot, argc, argv, "");
}
