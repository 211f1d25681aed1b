/*
 * The graph loader: matrices, interpolation and shell quoting, params and
 * overrides, edges by reference and by path, order, paths.  The catalogue
 * of broken graphs and their exact messages is tests/graphs/errors (run by
 * e2e/graph_errors.sh).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "graph.h"
#include "graph_internal.h"
#include "interp.h"
#include "toml.h"

static char dir[] = "/tmp/cairn-test-graph-XXXXXX";
static struct err e;

static struct graph *load(const char *text, const struct graph_override *ov,
			  size_t nov)
{
	char path[512];
	struct graph *g = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/g.toml", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	if (graph_load(path, ov, nov, &g, &e) < 0)
		fprintf(stderr, "graph_load: %s\n", e.msg);
	return g;
}

static void test_matrix(void)
{
	struct graph *g = load(
		"[stage.t]\n"
		"cmd = \"run ${matrix.a} ${matrix.b}\"\n"
		"outs = { o = \"o-${matrix.a}-${matrix.b}\" }\n"
		"matrix = { a = [1, 2], b = [\"x\", \"y\"], "
		"exclude = [{ a = 2, b = \"x\" }], "
		"include = [{ a = 3, b = \"z\" }] }\n",
		NULL, 0);

	CHECK(g != NULL);
	if (!g)
		return;
	CHECK_INT(g->ninsts, 4);
	CHECK_STR(g->insts[0].name, "t[a=1,b=x]");
	CHECK_STR(g->insts[1].name, "t[a=1,b=y]");
	CHECK_STR(g->insts[2].name, "t[a=2,b=y]");
	CHECK_STR(g->insts[3].name, "t[a=3,b=z]");
	CHECK_STR(g->insts[3].cmd, "run 3 z");
	CHECK_STR(g->insts[2].outs[0].path, "o-2-y");
	CHECK(graph_find(g, "t[a=1,b=y]") == &g->insts[1]);
	CHECK(graph_find(g, "t") == NULL);
	graph_free(g);
}

static void test_quoting(void)
{
	struct graph_override ov[2] = { { "lr", "0.5" }, { "tag", "hello" } };
	struct graph *g = load(
		"[params]\n"
		"evil = \"it's; rm -rf /\"\n"
		"lr = 0.1\n"
		"tag = 7\n"
		"list = [1, \"two words\"]\n"
		"[stage.s]\n"
		"cmd = \"echo ${params.evil} $$HOME ${params.list} "
		"--lr=${params.lr} ${params.tag}\"\n"
		"params = [\"lr\"]\n",
		ov, 2);

	CHECK(g != NULL);
	if (!g)
		return;
	CHECK_STR(g->insts[0].cmd, "echo 'it'\\''s; rm -rf /' $HOME 1 "
				   "'two words' --lr=0.5 hello");
	CHECK_INT(g->insts[0].nparams, 4);
	CHECK_STR(g->insts[0].params[0], "evil");
	CHECK_STR(g->insts[0].params[3], "tag");
	CHECK_INT(g->params[1].value->type, TOML_FLOAT);
	CHECK_INT(g->params[2].value->type, TOML_STRING);
	CHECK(g->params[2].overridden);
	graph_free(g);
}

static void test_edges(void)
{
	struct graph *g;
	FILE *f;
	char p[512];

	snprintf(p, sizeof(p), "%s/raw.txt", dir);
	f = fopen(p, "w");
	fputs("x", f);
	fclose(f);
	g = load("[stage.report]\n"
		 "cmd = \"cat ${deps.all} > ${outs.r}\"\n"
		 "deps = { all = \"${stage.train.outs.m}\", extra = \"build/x\" }\n"
		 "outs = { r = \"report.txt\" }\n"
		 "[stage.train]\n"
		 "cmd = \"train ${stage.prep.outs.o} ${matrix.k}\"\n"
		 "outs = { m = \"m-${matrix.k}\" }\n"
		 "matrix = { k = [\"a\", \"b\"] }\n"
		 "[stage.pick]\n"
		 "cmd = \"cp ${stage.train.outs.m} ${outs.o}\"\n"
		 "outs = { o = \"pick-${matrix.k}\" }\n"
		 "matrix = { k = [\"b\"] }\n"
		 "[stage.prep]\n"
		 "cmd = \"cp raw.txt prep/./o/../o\"\n"
		 "deps = [\"./raw.txt\"]\n"
		 "outs = { o = \"prep/./x/../o\", b = \"build\" }\n"
		 "wdir = \"sub/../prep\"\n",
		 NULL, 0);
	CHECK(g != NULL);
	if (!g)
		return;
	/* Topological order: prep, then the trains, then report and pick. */
	CHECK_STR(g->insts[0].name, "prep");
	CHECK_STR(g->insts[0].outs[0].path, "prep/o");
	CHECK_STR(g->insts[0].deps[0].path, "raw.txt");
	CHECK_STR(g->insts[0].wdir, "prep");
	{
		struct graph_inst *r = graph_find(g, "report");
		struct graph_inst *pk = graph_find(g, "pick[k=b]");
		struct graph_inst *ta = graph_find(g, "train[k=a]");
		size_t i;

		CHECK(r && pk && ta);
		if (!r || !pk || !ta)
			goto out;
		CHECK(r->index > ta->index && ta->index > 0);
		CHECK_INT(r->ndeps, 3);
		CHECK_STR(r->cmd, "cat m-a m-b > report.txt");
		CHECK(r->deps[0].from == ta);
		/* A path inside another stage's output directory is an edge. */
		for (i = 0; i < r->ndeps; i++)
			if (!strcmp(r->deps[i].path, "build/x"))
				CHECK(r->deps[i].from == &g->insts[0]);
		/* Shared matrix keys pick the matching instance only. */
		CHECK_STR(pk->cmd, "cp m-b pick-b");
		CHECK_INT(pk->ndeps, 1);
		CHECK(pk->deps[0].from == graph_find(g, "train[k=b]"));
		CHECK(ta->deps[0].from == &g->insts[0]);
	}
out:
	graph_free(g);
}

static void test_globs(void)
{
	static const char *const files[] = { "src/a.py", "src/sub/b.py",
					     "src/sub/deep/c.py", "src/x.txt",
					     "src/.hid/h.py", "top.py" };
	struct graph *g;
	char p[512];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;
		snprintf(p, sizeof(p), "mkdir -p \"$(dirname '%s/%s')\"", dir,
			 files[i]);
		if (system(p))
			return;
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		f = fopen(p, "w");
		fputs("x", f);
		fclose(f);
	}
	g = load("[stage.s]\ncmd = \"true\"\n"
		 "code = [\"src/**/*.py\", \"*.py\", \"src/*.txt\"]\n",
		 NULL, 0);
	CHECK(g != NULL);
	if (!g)
		return;
	CHECK_INT(g->insts[0].ncode, 5);
	CHECK_STR(g->insts[0].code[0].path, "src/a.py");
	CHECK_STR(g->insts[0].code[1].path, "src/sub/b.py");
	CHECK_STR(g->insts[0].code[2].path, "src/sub/deep/c.py");
	CHECK_STR(g->insts[0].code[3].path, "top.py");
	CHECK_STR(g->insts[0].code[4].path, "src/x.txt");
	graph_free(g);
}

static void test_paths(void)
{
	struct buf b = BUF_INIT;

	CHECK_INT(path_normalise("a/./b/../c", &b), 0);
	CHECK_STR(b.data, "a/c");
	CHECK_INT(path_normalise("a//b/", &b), 0);
	CHECK_STR(b.data, "a/b");
	CHECK_INT(path_normalise(".", &b), 0);
	CHECK_STR(b.data, ".");
	/* Most paths are normal already and are taken as they are. */
	CHECK_INT(path_normalise("out/0/1.txt", &b), 0);
	CHECK_STR(b.data, "out/0/1.txt");
	CHECK_INT(path_normalise(".hid/..a/a..", &b), 0);
	CHECK_STR(b.data, ".hid/..a/a..");
	CHECK_INT(path_normalise("a/b/", &b), 0);
	CHECK_STR(b.data, "a/b");
	CHECK_INT(path_normalise("a/..", &b), 0);
	CHECK_STR(b.data, ".");
	CHECK_INT(path_normalise("./a", &b), 0);
	CHECK_STR(b.data, "a");
	CHECK_INT(path_normalise("..", &b), -1);
	CHECK_INT(path_normalise("a/../..", &b), -1);
	CHECK_INT(path_normalise("/etc", &b), -1);
	buf_truncate(&b, 0);
	shell_quote(&b, "plain/path-1.h5");
	buf_addc(&b, ' ');
	shell_quote(&b, "");
	buf_addc(&b, ' ');
	shell_quote(&b, "$(reboot)");
	CHECK_STR(b.data, "plain/path-1.h5 '' '$(reboot)'");
	buf_release(&b);
}

/* Names sorted on their 16-byte prefixes sort as strcmp does. */
static void test_name_cmp(void)
{
	static const char *const s[] = {
		"", "a", "a[k=1]", "a-b", "abcdefghijklmnop", "abcdefghijklmno",
		"abcdefghijklmnopq", "abcdefghijklmnopr", "out/0/10.txt",
		"out/0/2.txt", "\xc3\xa9t\xc3\xa9", "z",
	};
	uint64_t pa[2], pb[2];
	size_t i, j;
	int ok = 0, n = 0;

	for (i = 0; i < sizeof(s) / sizeof(*s); i++)
		for (j = 0; j < sizeof(s) / sizeof(*s); j++) {
			int want = strcmp(s[i], s[j]), got;
			name_prefix(s[i], pa);
			name_prefix(s[j], pb);
			got = name_cmp(pa, s[i], pb, s[j]);
			ok += (want < 0) == (got < 0) && (want > 0) == (got > 0);
			n++;
		}
	CHECK_INT(ok, n);
}

/* Checked in one walk of the outputs, the protected paths still give the
 * error that checking them one after the other gave: cairn's own folder
 * before the graph file, whichever output comes first. */
static void test_protected(void)
{
	struct graph *g = load("[stage.a]\ncmd = \"true\"\n"
			       "outs = { o = \"g.toml\" }\n"
			       "[stage.b]\ncmd = \"true\"\n"
			       "outs = { o = \".cairn/x\" }\n",
			       NULL, 0);

	CHECK(g == NULL);
	CHECK(strstr(e.msg, ":6:14: output '.cairn/x' of 'b' is inside "
			    "cairn's own folder ('.cairn')") != NULL);
	graph_free(g);
	g = load("[stage.a]\ncmd = \"true\"\nouts = { o = \"g.toml\" }\n"
		 "[stage.b]\ncmd = \"true\"\nouts = { o = \"out\" }\n",
		 NULL, 0);
	CHECK(g == NULL);
	CHECK(strstr(e.msg, ":3:14: output 'g.toml' of 'a' is the graph "
			    "file") != NULL);
	graph_free(g);
	g = load("[stage.a]\ncmd = \"true\"\nouts = { o = \"out\" }\n"
		 "[stage.b]\ncmd = \"true\"\nouts = { o = \"./\" }\n",
		 NULL, 0);
	CHECK(g == NULL);
	CHECK(strstr(e.msg, ":6:14: output '.' of 'b' is the workspace") !=
	      NULL);
	graph_free(g);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(dir))
		return 1;
	test_matrix();
	test_quoting();
	test_edges();
	test_paths();
	test_globs();
	test_name_cmp();
	test_protected();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_graph");
}
