/*
 * cairn graph: load and validate a graph file, and list its stage
 * instances in the order they run, with their commands, inputs and
 * outputs.
 */
#include "buf.h"
#include "cli.h"
#include "graph.h"
#include "json.h"
#include "util.h"

enum { OPT_JSON = 256 };

static const struct opt_spec opts[] = {
	CLI_OPT_PARAM,
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static void list_paths(struct buf *b, const char *label,
		       const struct graph_path *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_adds(b, "  ");
		buf_adds(b, label);
		buf_addc(b, ' ');
		if (p[i].name[0]) {
			buf_adds(b, p[i].name);
			buf_adds(b, " = ");
		}
		buf_adds(b, p[i].path);
		if (p[i].from) {
			buf_adds(b, "  (from ");
			buf_adds(b, p[i].from->name);
			buf_addc(b, ')');
		}
		buf_addc(b, '\n');
	}
}

/* Written as it is made: a million instances list in a few hundred MB. */
static void flush(struct buf *b, size_t at_least)
{
	if (b->len < at_least)
		return;
	fwrite(b->data, 1, b->len, stdout);
	buf_truncate(b, 0);
}

static void json_paths(struct buf *b, const char *key,
		       const struct graph_path *p, size_t n)
{
	size_t i;

	buf_addf(b, ", \"%s\": [", key);
	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ", {\"name\": " : "{\"name\": ");
		json_string(b, p[i].name, strlen(p[i].name));
		buf_adds(b, ", \"path\": ");
		json_string(b, p[i].path, strlen(p[i].path));
		if (p[i].from) {
			buf_adds(b, ", \"from\": ");
			json_string(b, p[i].from->name, strlen(p[i].from->name));
		}
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

static int run(struct cli *cli, const struct command *cmd, int argc,
	       char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct graph *g;
	struct buf b = BUF_INIT;
	size_t i, j;
	int json, rc = EXIT_OK;

	if (cli_flag_operands(cli, cmd, argc, argv, 1, &it, &json, &rc) < 0)
		return rc;
	if ((rc = cli_session_open(cli, it.noperands ? it.operands[0] : NULL,
				   CLI_GRAPH, &cs)))
		goto out;
	g = cs.g;
	if (json) {
		buf_adds(&b, "{\"graph\": ");
		json_string(&b, g->name, strlen(g->name));
		buf_adds(&b, ", \"workspace\": ");
		json_string(&b, g->workspace, strlen(g->workspace));
		buf_adds(&b, ", \"instances\": [");
	} else {
		buf_addf(&b, "graph %s: %zu stages, %zu instances (workspace "
			     "%s)\n",
			 g->name, g->nstages, g->ninsts, g->workspace);
	}
	for (i = 0; i < g->ninsts; i++) {
		const struct graph_inst *in = &g->insts[i];

		if (json) {
			buf_adds(&b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
			json_string(&b, in->name, strlen(in->name));
			buf_adds(&b, ", \"stage\": ");
			json_string(&b, in->stage->name, strlen(in->stage->name));
			if (in->cmd) {
				buf_adds(&b, ", \"cmd\": ");
				json_string(&b, in->cmd, strlen(in->cmd));
			}
			json_paths(&b, "deps", in->deps, in->ndeps);
			json_paths(&b, "outs", in->outs, in->nouts);
			buf_adds(&b, ", \"params\": [");
			for (j = 0; j < in->nparams; j++) {
				if (j)
					buf_adds(&b, ", ");
				json_string(&b, in->params[j],
					    strlen(in->params[j]));
			}
			buf_adds(&b, "]}");
			flush(&b, 65536);
			continue;
		}
		buf_adds(&b, in->name);
		buf_adds(&b, in->cmd ? "\n  cmd " : "\n  kind ");
		buf_adds(&b, in->cmd ? in->cmd : in->stage->kind);
		buf_addc(&b, '\n');
		list_paths(&b, "in", in->deps, in->ndeps);
		list_paths(&b, "code", in->code, in->ncode);
		list_paths(&b, "out", in->outs, in->nouts);
		for (j = 0; j < in->nparams; j++) {
			buf_adds(&b, "  param ");
			buf_adds(&b, in->params[j]);
			buf_addc(&b, '\n');
		}
		flush(&b, 65536);
	}
	if (json)
		buf_adds(&b, "\n]}\n");
	flush(&b, 0);
out:
	cli_session_close(cli, &cs);
	buf_release(&b);
	opt_release(&it);
	return rc;
}

const struct command cmd_graph = {
	.name = "graph",
	.summary = "check a graph file and list its stage instances",
	.usage = "graph [-p NAME=VALUE]... [--json] [GRAPH]",
	.description =
		"Load GRAPH (default: cairn.toml, else the only *.toml file "
		"here), check it\nwhole (keys, types, references, matrices, "
		"cycles, outputs claimed twice or\noutside the workspace, "
		"inputs nothing provides) and list its instances in the\n"
		"order they would run, with their commands, inputs, outputs "
		"and params.\nAn error names file:line:col, shows the line and "
		"a caret, and exits 2.",
	.opts = opts,
	.run = run,
};
