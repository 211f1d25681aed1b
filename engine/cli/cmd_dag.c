/*
 * `cairn dag`: the graph's stages and their edges, as text, Graphviz DOT
 * or Mermaid; matrix instances collapsed into their stage (with a count)
 * unless --expand; each node with what a run would do to it (the states
 * `cairn status` gives), coloured in DOT; or all of that as JSON.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "graph.h"
#include "json.h"
#include "opt.h"
#include "run.h"
#include "status_term.h"
#include "store.h"
#include "term.h"
#include "util.h"

enum { OPT_DOT = 256, OPT_MERMAID, OPT_EXPAND, OPT_JSON };

/* Per instance: 0 up to date, 1 restorable, 2 to run, 3 pending; -1 not
 * known (nothing has run). */
struct dag {
	const struct graph *g;
	int *state;
};

static void on_decide(const struct graph_inst *in, const char *state,
		      const char *why, const char *enc, size_t enclen,
		      void *ctx)
{
	struct dag *d = ctx;

	(void)why;
	(void)enc;
	(void)enclen;
	d->state[in->index] = !strcmp(state, "up to date")   ? 0
			      : !strcmp(state, "restorable") ? 1
			      : !strcmp(state, "to run")     ? 2
							     : 3;
}

static const char *const state_name[] = { "up to date", "restorable",
					  "to run", "pending" };
static const char *const state_color[] = { "palegreen", "lightblue",
					   "orange", "lightgoldenrod" };

struct node {
	const char *name;	/* stage or instance */
	size_t count;		/* instances in it */
	size_t n[4];		/* of them in each state */
	int known;
};

/* The node's state: the most work any of its instances needs. */
static int node_state(const struct node *n)
{
	int k;

	for (k = 3; k > 0; k--)
		if (n->n[k])
			return k;
	return 0;
}

/*
 * A node as JSON: its name, instances, state (null before the first run)
 * and the count in each state.
 */
static void json_node(struct buf *out, const struct node *n, size_t j)
{
	int k, first = 1;

	buf_adds(out, j ? ",\n  {\"name\": " : "\n  {\"name\": ");
	json_string(out, n->name, strlen(n->name));
	buf_addf(out, ", \"instances\": %zu, \"state\": ", n->count);
	if (!n->known) {
		buf_adds(out, "null, \"states\": {}}");
		return;
	}
	buf_addf(out, "\"%s\", \"states\": {", state_name[node_state(n)]);
	for (k = 0; k < 4; k++)
		if (n->n[k]) {
			buf_addf(out, "%s\"%s\": %zu", first ? "" : ", ",
				 state_name[k], n->n[k]);
			first = 0;
		}
	buf_adds(out, "}}");
}

struct edge {
	size_t a, b;
};

static int by_edge(const void *x, const void *y)
{
	const struct edge *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

static const struct opt_spec dag_opts[] = {
	{ "dot", OPT_DOT, 0, NULL, "print Graphviz DOT (states coloured)" },
	{ "mermaid", OPT_MERMAID, 0, NULL, "print a Mermaid flowchart" },
	{ "expand", OPT_EXPAND, 0, NULL, "one node per instance, not per stage" },
	{ "json", OPT_JSON, 0, NULL, "print nodes and edges as JSON" },
	{ 0 },
};

static int dag_run(struct cli *cli, const struct command *cmd, int argc,
		   char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct graph *g;
	struct store *s;
	struct buf out = BUF_INIT;
	struct edge *edges = NULL;
	size_t nedges = 0, capedges = 0;
	struct node *nodes = NULL;
	size_t *node_of = NULL, nnodes = 0, i, j, k;
	struct dag d = { NULL, NULL };
	struct err err;
	int rc = EXIT_OK, o, mode = 0, expand = 0;

	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0) {
		if (o == OPT_EXPAND)
			expand = 1;
		else
			mode = o == OPT_DOT ? 1 : o == OPT_MERMAID ? 2 : 3;
	}
	if (o < 0) {
		rc = cli_opt_exit(o);
		goto out;
	}
	if (it.noperands > 1) {
		rc = cli_usage_error(cli, cmd, "too many arguments");
		goto out;
	}
	/* What a run would do; nothing known before the first run. */
	if ((rc = cli_session_open(cli, it.noperands ? it.operands[0] : NULL,
				   CLI_GRAPH | CLI_STORE_IF_THERE, &cs)))
		goto out;
	g = cs.g;
	s = cs.s;
	d.g = g;
	d.state = xcalloc(g->ninsts + 1, sizeof(int));
	for (i = 0; i < g->ninsts; i++)
		d.state[i] = -1;
	if (s) {
		struct run_opts ro;
		struct run_result res;
		struct term quiet = cli->term;
		struct status_term st;

		memset(&ro, 0, sizeof(ro));
		ro.jobs = 1;
		ro.dry_run = 1;
		ro.status_only = 1;
		ro.on_decide = on_decide;
		ro.ctx = &d;
		quiet.quiet = 1;
		status_term_init(&st, &quiet, 1, 1);
		if (run_graph(g, s, &ro, &st.status, &res, &err) < 0) {
			term_error(&cli->term, "%s", err.msg);
			rc = EXIT_INTERNAL;
			goto out;
		}
	}
	/* Nodes: stages in first-instance order, or instances. */
	nodes = xcalloc(g->ninsts + 1, sizeof(*nodes));
	node_of = xcalloc(g->ninsts + 1, sizeof(size_t));
	for (i = 0; i < g->ninsts; i++) {
		const char *name = expand ? g->insts[i].name
					  : g->insts[i].stage->name;
		for (j = 0; j < nnodes && strcmp(nodes[j].name, name); j++)
			;
		if (j == nnodes) {
			nodes[nnodes].name = name;
			nnodes++;
		}
		node_of[i] = j;
		nodes[j].count++;
		if (d.state[i] >= 0) {
			nodes[j].n[d.state[i]]++;
			nodes[j].known = 1;
		}
	}
	/* Edges between nodes, once each, in order. */
	for (i = 0; i < g->ninsts; i++)
		for (k = 0; k < g->insts[i].ndeps; k++) {
			const struct graph_inst *up = g->insts[i].deps[k].from;
			if (!up || node_of[up->index] == node_of[i])
				continue;
			xgrow((void **)&edges, &capedges, nedges + 1,
			      sizeof(*edges));
			edges[nedges].a = node_of[up->index];
			edges[nedges++].b = node_of[i];
		}
	if (nedges > 1)
		qsort(edges, nedges, sizeof(*edges), by_edge);
	if (mode == 1)
		buf_addf(&out, "digraph \"%s\" {\n  rankdir=LR;\n  node "
			       "[shape=box, style=filled];\n",
			 g->name);
	if (mode == 2)
		buf_adds(&out, "flowchart LR\n");
	if (mode == 3) {
		buf_adds(&out, "{\"graph\": ");
		json_string(&out, g->name, strlen(g->name));
		buf_adds(&out, ", \"nodes\": [");
	}
	for (j = 0; j < nnodes; j++) {
		const struct node *n = &nodes[j];
		struct buf label = BUF_INIT;
		int sidx = node_state(n);

		if (mode == 3) {
			json_node(&out, n, j);
			continue;
		}
		buf_adds(&label, n->name);
		if (n->count > 1)
			buf_addf(&label, " x%zu", n->count);
		if (mode == 1) {
			if (n->known)
				buf_addf(&label, "\n%s", state_name[sidx]);
			buf_addf(&out, "  n%zu [label=", j);
			json_string(&out, label.data, label.len);
			if (n->known)
				buf_addf(&out, ", fillcolor=%s",
					 state_color[sidx]);
			else
				buf_adds(&out, ", fillcolor=white");
			buf_adds(&out, "];\n");
		} else if (mode == 2) {
			size_t c;
			if (n->known)
				buf_addf(&label, "<br/>%s", state_name[sidx]);
			buf_addf(&out, "  n%zu[\"", j);
			for (c = 0; c < label.len; c++)
				if (label.data[c] == '"')
					buf_adds(&out, "#quot;");
				else
					buf_addc(&out, label.data[c]);
			buf_adds(&out, "\"]\n");
		} else {
			buf_addf(&out, "%s", label.data);
			if (n->known) {
				buf_adds(&out, ":");
				for (k = 0; k < 4; k++)
					if (n->n[k])
						buf_addf(&out, " %zu %s", n->n[k],
							 state_name[k]);
			}
			buf_addc(&out, '\n');
		}
		buf_release(&label);
	}
	if (mode == 3)
		buf_adds(&out, nnodes ? "\n], \"edges\": [" : "], \"edges\": [");
	for (k = 0, i = 0; k < nedges; k++) {
		size_t a = edges[k].a, b = edges[k].b;
		if (k && a == edges[k - 1].a && b == edges[k - 1].b)
			continue;
		if (mode == 3) {
			buf_adds(&out, i++ ? ",\n  {\"from\": " : "\n  {\"from\": ");
			json_string(&out, nodes[a].name, strlen(nodes[a].name));
			buf_adds(&out, ", \"to\": ");
			json_string(&out, nodes[b].name, strlen(nodes[b].name));
			buf_addc(&out, '}');
		} else if (mode == 1)
			buf_addf(&out, "  n%zu -> n%zu;\n", a, b);
		else if (mode == 2)
			buf_addf(&out, "  n%zu --> n%zu\n", a, b);
		else
			buf_addf(&out, "%s -> %s\n", nodes[a].name, nodes[b].name);
	}
	if (mode == 1)
		buf_adds(&out, "}\n");
	if (mode == 3)
		buf_adds(&out, i ? "\n]}\n" : "]}\n");
	fwrite(out.data, 1, out.len, stdout);
out:
	free(nodes);
	free(node_of);
	free(d.state);
	buf_release(&out);
	free(edges);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_dag = {
	.name = "dag",
	.summary = "the graph's stages and edges (text, DOT or Mermaid)",
	.usage = "dag [--dot|--mermaid|--json] [--expand] [GRAPH]",
	.description =
		"Print the graph: one node per stage (matrix instances collapsed, "
		"with a\ncount) or per instance (--expand), edges from producer "
		"to consumer, and\nwhat a run would do to each node (up to date, "
		"restorable, to run,\npending; a stage shows the most any of its "
		"instances needs). --dot colours\nthe states for Graphviz; "
		"--mermaid prints a flowchart; --json the nodes (name,\n"
		"instances, state, count per state) and the edges (from, to).",
	.opts = dag_opts,
	.run = dag_run,
};
