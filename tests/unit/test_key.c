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

static void key_of(const char *text, const char *inst, char hex[65])
{
	char path[512];
	struct graph *g = NULL;
	struct graph_inst *in;
	struct err e;
	struct buf enc = BUF_INIT;
	struct digest deps[8], code[8], k;
	const char *env[4] = { "11.8", NULL, NULL, NULL };
	struct key_inputs ki = { deps, code, env, NULL };
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
		key_compute(g, in, &ki, &enc, &k);
		digest_hex(&k, hex);
	}
	buf_release(&enc);
	graph_free(g);
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
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_key");
}
