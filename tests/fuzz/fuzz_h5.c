/*
 * fuzz_h5: the built-in kinds against mutated HDF5 inputs, in process.
 * Small valid inputs are made by the kinds themselves (synth.events,
 * synth.scan, synth.volumes, binning, train.classifier); then, from a
 * fixed seed, each mutant is a copy of one input with one change
 * (h5mutate.h: attributes NaN, 0, -1, huge, retyped, arrays, deleted;
 * datasets of huge or zero extents, another rank or type, bad values,
 * unwritten, compressed, deleted; files truncated or bit-flipped), and the
 * kinds that read that input run on it, round robin.  Each run must
 * succeed, every JSON output valid, or fail with a message; either way the
 * input is left as it was.  A crash, a sanitizer report, an abort (out of
 * memory: a forged size believed) or a silent failure fails the test.
 * Deterministic: the same seed gives the same mutants.
 *
 *   fuzz_h5 [SEED [MUTANTS [keep]]]
 *
 * keep: leave the work folder (its path is printed), with the last mutant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "h5mutate.h"
#include "rng.h"

static char dir[] = "/tmp/cairn-fuzz-h5-XXXXXX";

#include "../unit/kindtest.h"

/* The inputs, made once. */
enum { EVENTS, TOKENS, MODEL_B, MODEL_D, POSITIONS, VOLUMES, NINPUTS };

static const char *const input_names[NINPUTS] = {
	"events.h5", "tokens.h5", "model_b.h5", "model_d.h5", "positions.h5",
	"volumes.h5",
};

/* A kind run on a mutant of input `mutated` (an index into in). */
struct target {
	const char *kind, *with;
	int in[3];		/* inputs; -1 ends */
	int mutated;		/* which of them is mutated */
	const char *out[3];	/* its outputs' file names, in order */
};

#define SMALL "epochs = 1\nembed = 4\nhidden = 4\nbatch = 32\n"
#define GAMMA "criteria = \"3%/3mm\"\nradius = 1.5\n" \
	      "device = \"cpu\"\n"

#define H5_JSON { "out.h5", "out.json", NULL }
#define JSON { "out.json", NULL }
#define JSON_H5 { "out.json", "out.h5", NULL }

static const struct target targets[] = {
	{ "binning", "bins = 3\ndevice = \"cpu\"\n", { EVENTS, -1 }, 0,
	  H5_JSON },
	{ "train.classifier", SMALL, { TOKENS, -1 }, 0, H5_JSON },
	{ "train.classifier", SMALL "input = \"direct\"\n", { EVENTS, -1 }, 0,
	  H5_JSON },
	{ "eval.classifier", "", { MODEL_B, TOKENS, -1 }, 0, JSON },
	{ "eval.classifier", "", { MODEL_B, TOKENS, -1 }, 1, JSON },
	{ "eval.classifier", "split = \"val\"\n", { MODEL_D, EVENTS, -1 }, 0,
	  JSON },
	{ "compare.tokens", "top = 3\n", { TOKENS, TOKENS, -1 }, 0, JSON },
	{ "groups", "k = 3\ndevice = \"cpu\"\n", { POSITIONS, -1 }, 0,
	  H5_JSON },
	{ "zbins", "z_range = [1, 5]\nn_bins = 3\n", { VOLUMES, -1 }, 0,
	  H5_JSON },
	{ "eval.dose", GAMMA, { VOLUMES, VOLUMES, -1 }, 0, JSON_H5 },
	{ "eval.dose", GAMMA, { VOLUMES, VOLUMES, -1 }, 1, JSON_H5 },
};

#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static void make_inputs(void)
{
	const char *ev[] = { at(input_names[EVENTS]), NULL };
	const char *tk[] = { at(input_names[TOKENS]), at("tokens.json"), NULL };
	const char *mb[] = { at(input_names[MODEL_B]), at("curve_b.json"), NULL };
	const char *md[] = { at(input_names[MODEL_D]), at("curve_d.json"), NULL };
	const char *pos[] = { at(input_names[POSITIONS]), NULL };
	const char *vol[] = { at(input_names[VOLUMES]), NULL };

	CHECK_INT(run_kind("synth.events", "n = 60\nmax_objects = 4\nseed = 1\n",
			   NULL, ev, 1),
		  0);
	CHECK_INT(run_kind("binning", "bins = 3\ndevice = \"cpu\"\n", ev, tk, 1),
		  0);
	CHECK_INT(run_kind("train.classifier", SMALL, tk, mb, 1), 0);
	CHECK_INT(run_kind("train.classifier",
			   SMALL "input = \"direct\"\nvector = 5\n"
				 "pooling = \"mean\"\n",
			   ev, md, 1),
		  0);
	CHECK_INT(run_kind("synth.scan", "n = 40\njitter = 0.3\n", NULL, pos, 1),
		  0);
	CHECK_INT(run_kind("synth.volumes",
			   "n = 2\nnx = 16\nny = 16\nnz = 8\npred_shift_mm = "
			   "3.0\npred_noise_gy = 1.0\n",
			   NULL, vol, 1),
		  0);
}

/* Every output ending in .json parses (no NaN or infinity got out). */
static int outputs_valid(const char *const *out)
{
	int i, ok = 1;

	for (i = 0; out[i]; i++) {
		size_t len = strlen(out[i]);
		struct buf b = BUF_INIT;
		struct json *j;
		struct err e;
		if (len < 5 || strcmp(out[i] + len - 5, ".json"))
			continue;
		if (buf_read_file(&b, out[i]) < 0 ||
		    json_parse(b.data, b.len, out[i], &j, &e) < 0) {
			fprintf(stderr, "output '%s' is not JSON\n", out[i]);
			ok = 0;
		} else {
			json_free(j);
		}
		buf_release(&b);
	}
	return ok;
}

/*
 * Run t on the mutant (named in in[]); 0 it ran (outputs valid), 1 it
 * refused with a message, 2 a check failed.  The mutant is left as it was
 * and HDF5 holds nothing open after.
 */
static int one(const struct target *t, const char *const *in,
	       const char *const *out, const char *mutant, int threads)
{
	struct buf before = BUF_INIT, after = BUF_INIT;
	int failures = check_failures, rc, k;

	buf_read_file(&before, mutant);
	for (k = 0; out[k]; k++)
		unlink(out[k]);
	rc = run_kind(t->kind, t->with, in, out, threads);
	if (rc == 0) {
		CHECK(outputs_valid(out));
	} else {
		CHECK_INT(rc, -1);
		CHECK(msg[0] != 0);
		printf("  refused: %s\n", msg);
	}
	/* Every file, dataset and attribute closed again. */
	CHECK_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
	buf_read_file(&after, mutant);
	CHECK(before.len == after.len &&
	      !memcmp(before.data, after.data, before.len));
	buf_release(&before);
	buf_release(&after);
	fflush(stdout);
	return check_failures > failures ? 2 : rc ? 1 : 0;
}

/*
 * The same in a child process, for a mutant whose bytes were changed:
 * HDF5 1.10 itself leaks memory reading some corrupt files, which the
 * leak checker would blame at exit; the child leaves without that check
 * (a crash or a sanitizer report still kills it: 3).
 */
static int one_apart(const struct target *t, const char *const *in,
		     const char *const *out, const char *mutant, int threads)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return 2;
	if (pid == 0)
		_exit(one(t, in, out, mutant, threads));
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) > 2) {
		fprintf(stderr, "the run on the mutant died (status %d)\n", st);
		return 3;
	}
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
	long mutants = argc > 2 ? strtol(argv[2], NULL, 10) : 400, m;
	long count[4] = { 0 }, skipped = 0;
	struct rng r = rng_for(seed, 0);
	struct h5inv *inv[NINPUTS];
	char cmd[300], what[200];
	int i;

	if (!mkdtemp(dir))
		return 1;
	make_inputs();
	for (i = 0; i < NINPUTS; i++)
		CHECK((inv[i] = h5inv_take(at(input_names[i]))) != NULL);
	for (m = 0; m < mutants && !check_failures; m++) {
		const struct target *t = &targets[m % (long)NTARGETS];
		const char *in[4] = { NULL }, *out[3] = { NULL };
		const char *mutant = at("mutant.h5");
		int k, made = -1, tries, res;

		for (k = 0; t->in[k] >= 0; k++)
			in[k] = k == t->mutated ? mutant : at(input_names[t->in[k]]);
		for (k = 0; t->out[k]; k++)
			out[k] = at(t->out[k]);
		for (tries = 0; made < 0 && tries < 50; tries++)
			made = h5_mutate(inv[t->in[t->mutated]],
					 at(input_names[t->in[t->mutated]]),
					 mutant, &r, what, sizeof(what));
		if (made < 0) {
			skipped++;
			continue;
		}
		printf("mutant %ld: %s, input %d of %s: %s\n", m, t->kind,
		       t->mutated, input_names[t->in[t->mutated]], what);
		fflush(stdout);
		res = made ? one_apart(t, in, out, mutant, 1 + (int)(m % 2))
			   : one(t, in, out, mutant, 1 + (int)(m % 2));
		count[res]++;
		CHECK(res < 2);
	}
	printf("%ld mutants: %ld ran, %ld refused, %ld not made\n", m,
	       count[0], count[1], skipped);
	/* Not vacuous: most mutants are made, and both outcomes happen. */
	CHECK(skipped < m / 10 + 1);
	CHECK(count[0] > 0 && count[1] > m / 4);
	for (i = 0; i < NINPUTS; i++)
		h5inv_free(inv[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (argc > 3 && !strcmp(argv[3], "keep"))
		printf("kept '%s'\n", dir);
	else if (system(cmd))
		return 1;
	return check_done("fuzz_h5");
}
