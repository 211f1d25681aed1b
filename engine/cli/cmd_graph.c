/*
 * cairn graph: load and validate a graph file, and list its stage
 * instances in the order they run, with their commands, inputs and
 * outputs.  Also how every graph command finds its graph file.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "graph.h"
#include "json.h"
#include "store.h"
#include "term.h"
#include "util.h"

/* cairn.toml, else the only *.toml here: into *out; else the count. */
static int graph_here(char **out)
{
	struct stat st;
	DIR *d;
	struct dirent *ent;
	char *found = NULL;
	int n = 0;

	*out = NULL;
	if (stat("cairn.toml", &st) == 0) {
		*out = xstrdup("cairn.toml");
		return 1;
	}
	if ((d = opendir("."))) {
		while ((ent = readdir(d))) {
			size_t len = strlen(ent->d_name);
			if (len > 5 && !strcmp(ent->d_name + len - 5, ".toml")) {
				n++;
				free(found);
				found = xstrdup(ent->d_name);
			}
		}
		closedir(d);
	}
	if (n == 1)
		*out = found;
	else
		free(found);
	return n;
}

int cli_find_graph(struct cli *cli, const char *given, char **out)
{
	int n;

	*out = NULL;
	if (given) {
		*out = xstrdup(given);
		return 0;
	}
	if ((n = graph_here(out)) == 1)
		return 0;
	term_error(&cli->term, n ? "%d graph files here; name one"
				 : "no graph file: cairn.toml or a *.toml here",
		   n);
	return EXIT_USAGE;
}

int cli_is_graph_file(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && !strcmp(s + n - 5, ".toml");
}

char *cli_graph_store(const struct cli *cli, const struct graph *g)
{
	struct buf b = BUF_INIT;

	if (cli->store || getenv("CAIRN_STORE"))
		return xstrdup(cli_store_path(cli));
	if (g->store && g->store[0] == '/')
		return xstrdup(g->store);
	buf_addf(&b, "%s/%s", g->workspace, g->store ? g->store : ".cairn/store");
	return buf_detach(&b, NULL);
}

int cli_query_open(struct cli *cli, const char *given, unsigned flags,
		   struct graph **g, struct store **s)
{
	struct err err;
	char *file = NULL, *path;
	int rc;

	*g = NULL;
	*s = NULL;
	/* A graph named, or one here: its store and its runs.  Else the
	 * store alone. */
	if (given)
		file = xstrdup(given);
	else if (graph_here(&file) != 1)
		file = NULL;
	if (file && graph_load(file, NULL, 0, g, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		free(file);
		return EXIT_USAGE;
	}
	free(file);
	path = *g ? cli_graph_store(cli, *g) : xstrdup(cli_store_path(cli));
	rc = store_open(path, flags, s, &err);
	if (rc) {
		term_error(&cli->term, "%s", err.msg);
		if (rc == STORE_NOTFOUND)
			term_hint(&cli->term, "nothing has run yet: 'cairn run' "
					      "creates the store");
		graph_free(*g);
		*g = NULL;
		free(path);
		return rc == STORE_NOTFOUND ? EXIT_USAGE : EXIT_INTERNAL;
	}
	free(path);
	return 0;
}

int cli_override(struct cli *cli, const char *arg, struct graph_override *ov)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg) {
		term_error(&cli->term, "invalid '-p %s': write -p name=value",
			   arg);
		return EXIT_USAGE;
	}
	ov->name = xstrndup(arg, (size_t)(eq - arg));
	ov->value = eq + 1;
	return 0;
}

enum { OPT_JSON = 256 };

static const struct opt_spec opts[] = {
	{ "param", 'p', 1, "NAME=VALUE", "override a param (a TOML value)" },
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static void list_paths(struct buf *b, const char *label,
		       const struct graph_path *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_addf(b, "  %s %s%s%s", label, p[i].name,
			 p[i].name[0] ? " = " : "", p[i].path);
		if (p[i].from)
			buf_addf(b, "  (from %s)", p[i].from->name);
		buf_addc(b, '\n');
	}
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
	struct graph_override *ov = xcalloc((size_t)argc + 1, sizeof(*ov));
	struct graph *g = NULL;
	struct buf b = BUF_INIT;
	struct err err;
	char *file = NULL;
	size_t nov = 0, i, j;
	int k, json = 0, rc = EXIT_OK;

	opt_init(&it, argc, argv, 1, 0);
	while ((k = cli_opt(cli, cmd, &it)) > 0) {
		if (k == 'p') {
			if ((rc = cli_override(cli, it.arg, &ov[nov])))
				goto out;
			nov++;
		} else {
			json = 1;
		}
	}
	if (k < 0) {
		rc = cli_opt_exit(k);
		goto out;
	}
	if (it.noperands > 1) {
		rc = cli_usage_error(cli, cmd, "too many arguments");
		goto out;
	}
	if ((rc = cli_find_graph(cli, it.noperands ? it.operands[0] : NULL,
				 &file)))
		goto out;
	if (graph_load(file, ov, nov, &g, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
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
			continue;
		}
		buf_addf(&b, "%s\n", in->name);
		if (in->cmd)
			buf_addf(&b, "  cmd %s\n", in->cmd);
		else
			buf_addf(&b, "  kind %s\n", in->stage->kind);
		list_paths(&b, "in", in->deps, in->ndeps);
		list_paths(&b, "code", in->code, in->ncode);
		list_paths(&b, "out", in->outs, in->nouts);
		for (j = 0; j < in->nparams; j++)
			buf_addf(&b, "  param %s\n", in->params[j]);
	}
	if (json)
		buf_adds(&b, "\n]}\n");
	fwrite(b.data, 1, b.len, stdout);
out:
	for (i = 0; i < nov; i++)
		free((char *)ov[i].name);
	free(ov);
	free(file);
	graph_free(g);
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
