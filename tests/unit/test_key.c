/*
 * Stage keys: a fixed stage's key is pinned (any change to the encoding
 * fails here and must bump KEY_SCHEMA and docs/hashing.md), and the key
 * ignores declaration order and float spelling but sees every component.
 */
#include "buf.h"
#include "check.h"
#include "err.h"
#include "graph.h"
#include "key.h"

static char dir[] = "/tmp/cairn-test-key-XXXXXX";

/* What the scan would give: flip one digest, set an env value, a kind
 * version. */
struct knobs {
	int dep_flip, code_flip;	/* change deps[0] / code[0]'s digest */
	const char *env0;		/* the first env variable's value */
	const char *kind_version;
};

#define PLAIN { 0, 0, "11.8", "v1" }
static const struct knobs plain = PLAIN;

static void key_with(const char *text, const char *inst,
		     const struct knobs *kn, char hex[65]);

static void key_of(const char *text, const char *inst, char hex[65])
{
	key_with(text, inst, &plain, hex);
}

static void key_with(const char *text, const char *inst,
		     const struct knobs *kn, char hex[65])
{
	char path[512];
	struct graph *g = NULL;
	struct graph_inst *in;
	struct err e;
	struct buf enc = BUF_INIT;
	struct digest deps[8], code[8], k;
	const char *env[4] = { kn->env0, NULL, NULL, NULL };
	struct key_inputs ki = { deps, code, env, kn->kind_version };
	size_t i;
	FILE *f;

	snprintf(hex, 65, "(load failed)");
	snprintf(path, sizeof(path), "%s/g.toml", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	if (graph_load(path, NULL, 0, &g, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return;
	}
	in = graph_find(g, inst);
	CHECK(in != NULL);
	if (in) {
		/* Digests stand for the files' contents: fixed per path. */
		for (i = 0; i < in->ndeps; i++)
			sha256(in->deps[i].path, strlen(in->deps[i].path),
			       &deps[i]);
		for (i = 0; i < in->ncode; i++)
			sha256(in->code[i].path, strlen(in->code[i].path),
			       &code[i]);
		if (kn->dep_flip && in->ndeps)
			deps[0].b[0] ^= 1;
		if (kn->code_flip && in->ncode)
			code[0].b[0] ^= 1;
		key_compute(g, in, &ki, &enc, &k);
		digest_hex(&k, hex);
	}
	buf_release(&enc);
	graph_free(g);
}

/*
 * The promise of docs/hashing.md, component by component: a key differs
 * when exactly one thing that decides the outputs changes, and only then.
 * Each row changes one component of the base graph (text replaced, or a
 * digest or value the scan would give).
 */
static const char base_cmd[] =
	"[params]\nlr = 1.0\nseed = 1\nunused = 3\n"
	"[stage.t]\ncmd = \"python train.py --lr ${params.lr} "
	"--k ${matrix.k}\"\n"
	"deps = { data = \"data.csv\" }\ncode = [\"train.py\"]\n"
	"env = [\"CUDA_VERSION\"]\nparams = [\"seed\"]\n"
	"wdir = \"\"\n"
	"matrix = { k = [\"a\", \"b\"] }\n"
	"outs = { model = \"m${matrix.k}.h5\", curve = \"c${matrix.k}.json\" }\n";

static const char base_kind[] =
	"[stage.s]\nkind = \"synth.events\"\n"
	"with = { n = 100, seed = 1 }\n"
	"outs = { events = \"ev.h5\" }\n";

struct row {
	const char *what, *from, *to;	/* text of the base replaced */
	struct knobs kn;
	int same;			/* the key must NOT change */
};

static void replace(const char *text, const char *from, const char *to,
		    struct buf *out)
{
	const char *at = from ? strstr(text, from) : NULL;

	buf_truncate(out, 0);
	if (!at) {
		buf_adds(out, text);
		return;
	}
	buf_add(out, text, (size_t)(at - text));
	buf_adds(out, to);
	buf_adds(out, at + strlen(from));
}

static void table(const char *base, const char *inst, const struct row *rows,
		  size_t n)
{
	char a[65], b[65];
	struct buf t = BUF_INIT;
	size_t i;

	key_of(base, inst, a);
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		int differ;

		if (r->from && !strstr(base, r->from)) {
			fprintf(stderr, "row '%s': '%s' not in the base\n",
				r->what, r->from);
			CHECK(0);
			continue;
		}
		replace(base, r->from, r->to, &t);
		key_with(t.data, inst, &r->kn, b);
		differ = strcmp(a, b) != 0 && strcmp(b, "(load failed)");
		if (differ == r->same) {
			fprintf(stderr, "key component '%s': the key %s\n",
				r->what, r->same ? "changed" : "did not change");
			CHECK(0);
		}
	}
	buf_release(&t);
}

static void test_components(void)
{
	static const struct row cmd_rows[] = {
		{ "command", "python train.py", "python3 train.py", PLAIN, 0 },
		{ "param value in the command", "lr = 1.0", "lr = 2.0", PLAIN, 0 },
		{ "param declared in params", "seed = 1", "seed = 2", PLAIN, 0 },
		{ "param not used", "unused = 3", "unused = 4", PLAIN, 1 },
		{ "float spelling", "lr = 1.0", "lr = 1.00", PLAIN, 1 },
		{ "another matrix member", "[\"a\", \"b\"]",
		  "[\"a\", \"z\"]", PLAIN, 1 },
		{ "matrix value in the command", "--k ${matrix.k}",
		  "--k ${matrix.k}${matrix.k}", PLAIN, 0 },
		{ "input digest", NULL, NULL, { 1, 0, "11.8", "v1" }, 0 },
		{ "input name", "data = ", "table = ", PLAIN, 0 },
		{ "input path", "\"data.csv\"", "\"./sub/../data.csv\"", PLAIN,
		  1 },
		{ "code digest", NULL, NULL, { 0, 1, "11.8", "v1" }, 0 },
		{ "env value", NULL, NULL, { 0, 0, "12.0", "v1" }, 0 },
		{ "env unset", NULL, NULL, { 0, 0, NULL, "v1" }, 0 },
		{ "env name", "CUDA_VERSION", "CUDA_HOME", PLAIN, 0 },
		{ "wdir", "wdir = \"\"", "wdir = \"sub\"", PLAIN, 0 },
		{ "output name", "curve = ", "curves = ", PLAIN, 0 },
		{ "output path", "c${matrix.k}.json", "d${matrix.k}.json", PLAIN,
		  0 },
		{ "output hashed as HDF5", "m${matrix.k}.h5", "m${matrix.k}.bin",
		  PLAIN, 0 },
		{ "kind version (no kind)", NULL, NULL, { 0, 0, "11.8", "v2" },
		  1 },
	};
	static const struct row kind_rows[] = {
		{ "kind version", NULL, NULL, { 0, 0, "11.8", "v2" }, 0 },
		{ "kind settings", "n = 100", "n = 101", PLAIN, 0 },
		{ "kind settings order", "n = 100, seed = 1",
		  "seed = 1, n = 100", PLAIN, 1 },
		{ "kind settings default spelled", "seed = 1 }",
		  "seed = 1, max_objects = 18 }", PLAIN, 1 },
	};
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/sub", dir);
	if (system(cmd))
		CHECK(0);
	table(base_cmd, "t[k=a]", cmd_rows, sizeof(cmd_rows) / sizeof(cmd_rows[0]));
	table(base_kind, "s", kind_rows, sizeof(kind_rows) / sizeof(kind_rows[0]));
	/* An unset variable keys apart from one set to "" ('-' vs 'v'). */
	{
		static const struct knobs unset = { 0, 0, NULL, "v1" },
					  empty = { 0, 0, "", "v1" };
		char a[65], b[65];

		key_with(base_cmd, "t[k=a]", &unset, a);
		key_with(base_cmd, "t[k=a]", &empty, b);
		CHECK(strcmp(a, b) != 0);
	}
	/* A kind stage's key pinned too (docs/hashing.md: 'K' the kind's
	 * name, 'V' its version, 'S' its settings with defaults filled in):
	 * a change of the encoding must change KEY_SCHEMA. */
	{
		char a[65];

		key_of(base_kind, "s", a);
		CHECK_STR(a, "9434ff2ef25b30dc138dfe5110d1dab02aac0bc1f76275e51b6c3c52fb1cf687");
	}
}

int main(void)
{
	char a[65], b[65], cmd[600];
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(cmd, sizeof(cmd), "%s/train.py", dir);
	f = fopen(cmd, "w");
	fputs("print(1)\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/data.csv", dir);
	f = fopen(cmd, "w");
	fputs("1,2\n", f);
	fclose(f);

	key_of("[params]\nlr = 1.0\nseed = 1\n"
	       "[stage.t]\ncmd = \"python train.py --lr ${params.lr}\"\n"
	       "deps = { data = \"data.csv\" }\ncode = [\"train.py\"]\n"
	       "env = [\"CUDA_VERSION\"]\nparams = [\"seed\"]\n"
	       "outs = { model = \"m.h5\", curve = \"c.json\" }\n",
	       "t", a);
	/* Pinned: changing the encoding must change KEY_SCHEMA. */
	CHECK_STR(a, "61379707fdfd8dafccea4397a5739b54c5a5119e05045c28f8fe46eac106bc74");
	/* Same stage, written in another order, 1.00 for 1.0. */
	key_of("[params]\nseed = 1\nlr = 1.00\n"
	       "[stage.t]\nouts = { curve = \"c.json\", model = \"m.h5\" }\n"
	       "params = [\"seed\"]\nenv = [\"CUDA_VERSION\"]\n"
	       "code = [\"train.py\"]\ndeps = { data = \"data.csv\" }\n"
	       "cmd = \"python train.py --lr ${params.lr}\"\n",
	       "t", b);
	CHECK_STR(b, a);
	/* Every component counts. */
	key_of("[params]\nlr = 1.0\nseed = 2\n"
	       "[stage.t]\ncmd = \"python train.py --lr ${params.lr}\"\n"
	       "deps = { data = \"data.csv\" }\ncode = [\"train.py\"]\n"
	       "env = [\"CUDA_VERSION\"]\nparams = [\"seed\"]\n"
	       "outs = { model = \"m.h5\", curve = \"c.json\" }\n",
	       "t", b);
	CHECK(strcmp(a, b) != 0);
	key_of("[params]\nlr = 1.0\nseed = 1\n"
	       "[stage.t]\ncmd = \"python train.py --lr ${params.lr}\"\n"
	       "deps = { data = \"data.csv\" }\ncode = [\"train.py\"]\n"
	       "env = [\"CUDA_VERSION\"]\nparams = [\"seed\"]\n"
	       "outs = { model = \"m2.h5\", curve = \"c.json\" }\n",
	       "t", b);
	CHECK(strcmp(a, b) != 0);
	key_of("[params]\nlr = 1.0\nseed = 1\n"
	       "[stage.t]\ncmd = \"python train.py --lr ${params.lr}\"\n"
	       "deps = { data = \"data.csv\" }\ncode = [\"train.py\"]\n"
	       "env = [\"CUDA_HOME\"]\nparams = [\"seed\"]\n"
	       "outs = { model = \"m.h5\", curve = \"c.json\" }\n",
	       "t", b);
	CHECK(strcmp(a, b) != 0);
	test_components();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_key");
}
