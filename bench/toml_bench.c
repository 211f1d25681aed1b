/*
 * Parse throughput of the TOML parser on a generated graph-like document
 * (thousands of [stage.X] tables with commands, dependency lists, inline
 * tables, matrices, numbers, dates and comments).
 *
 * usage: bench_toml [--mb N] [--runs N] [--write FILE]
 * Prints "toml: parsed N bytes (M stages) best T ms = X MB/s".  With
 * --write, also saves the document so other parsers can read the same.
 */
#include <time.h>

#include "buf.h"
#include "err.h"
#include "toml.h"
#include "util.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void generate(struct buf *b, size_t bytes, int *stages)
{
	static const char *const pool[] = { "cls", "mean", "max" };
	int i = 0;

	buf_adds(b, "# generated graph-like document for bench_toml\n"
		    "[graph]\nname = \"bench\"\nstore = \".cairn/store\"\n"
		    "executor = \"local\"\n\n[params]\n"
		    "lr = 1e-3\nseed = 42\nepochs = 20\nbatch = 512\n"
		    "poolings = [\"cls\", \"mean\", \"max\"]\n\n");
	while (b->len < bytes) {
		buf_addf(b, "[stage.s%06d]\n", i);
		buf_addf(b, "# stage %d of the sweep\n", i);
		buf_addf(b, "cmd = \"python train.py --lr ${params.lr} --seed "
			    "%d --pooling %s --out models/s%d.h5\"\n",
			 i * 7 % 1000, pool[i % 3], i);
		buf_addf(b, "deps = [\"data/part-%d.h5\", %s\"train.py\", "
			    "'configs\\base.yaml']\n",
			 i % 64, i ? "\"${stage.s000000.outs.model}\", " : "");
		buf_adds(b, "code = [\"src/**/*.py\"]\n"
			    "params = [\"lr\", \"seed\", \"epochs\"]\n");
		buf_addf(b, "outs = { model = \"models/s%d.h5\", curve = "
			    "\"curves/s%d.json\" }\n",
			 i, i);
		buf_adds(b, "resources = { cpus = 4, gpus = 1, mem = \"16G\", "
			    "time = \"02:00:00\" }\n"
			    "matrix = { pooling = [\"cls\", \"mean\", \"max\"], "
			    "met = [true, false], lr = [1e-3, 3.0e-4, 1_000.5] }\n"
			    "env = [\"CUDA_VISIBLE_DEVICES\", \"OMP_NUM_THREADS\"]\n"
			    "always_run = false\n"
			    "created = 2026-11-22T04:45:00Z\n");
		buf_addf(b, "weight = %d.%03d\nlimit = 0x%04X\n", i % 97,
			 i % 1000, i & 0xffff);
		buf_adds(b, "notes = \"\"\"\nThe sweep point, written by the "
			    "generator.\nTabs\tand \\\"quotes\\\" are escaped.\"\"\"\n"
			    "\n");
		i++;
	}
	*stages = i;
}

int main(int argc, char **argv)
{
	struct buf b = BUF_INIT;
	struct toml_doc *doc;
	struct err e;
	const char *out = NULL;
	double best = 1e9, t;
	size_t mb = 10;
	int runs = 10, stages, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mb") && i + 1 < argc)
			mb = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--write") && i + 1 < argc)
			out = argv[++i];
		else {
			fprintf(stderr, "usage: bench_toml [--mb N] [--runs N] "
					"[--write FILE]\n");
			return 2;
		}
	}
	generate(&b, mb * 1000 * 1000, &stages);
	if (out) {
		FILE *f = fopen(out, "wb");
		if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f)) {
			fprintf(stderr, "bench_toml: cannot write '%s'\n", out);
			return 1;
		}
	}
	for (i = 0; i < runs; i++) {
		t = now();
		if (toml_parse(b.data, b.len, "bench.toml", &doc, &e) < 0) {
			fprintf(stderr, "bench_toml: %s\n", e.msg);
			return 1;
		}
		toml_doc_free(doc);
		t = now() - t;
		if (t < best)
			best = t;
	}
	printf("toml: parsed %zu bytes (%d stages) best of %d: %.1f ms = "
	       "%.0f MB/s\n",
	       b.len, stages, runs, best * 1e3, (double)b.len / best / 1e6);
	buf_release(&b);
	return 0;
}
