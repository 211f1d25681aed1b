/*
 * The lock file reader the run uses (lock_index_load): the file cairn
 * writes is read by a scanner, anything else by the TOML parser.  Every
 * prefix of a real lock file (a truncated write, a crash) and every
 * single-byte corruption must load without a crash, and what loads must
 * never be invented: each entry found is in the original, with its key and
 * with outputs that are the original's.
 */
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "digest.h"
#include "lockfile.h"

static char dir[] = "/tmp/cairn-test-lock-XXXXXX";

static const char lock_text[] =
	"# cairn lock file, written by 'cairn run': what each stage instance "
	"was\n# made from (inputs) and made (outputs), by content digest. Do "
	"not edit.\nversion = 1\ngraph = \"g\"\n"
	"\n[stage.\"a\"]\nkey = "
	"\"1111111111111111111111111111111111111111111111111111111111111111\"\n"
	"\n[stage.\"a\".inputs]\n\"src/a.txt\" = "
	"\"2222222222222222222222222222222222222222222222222222222222222222\"\n"
	"\n[stage.\"a\".outputs]\n\"out/a.txt\" = "
	"\"3333333333333333333333333333333333333333333333333333333333333333\"\n"
	"\n[stage.\"train[k=b]\"]\nkey = "
	"\"4444444444444444444444444444444444444444444444444444444444444444\"\n"
	"\n[stage.\"train[k=b]\".inputs]\n"
	"\n[stage.\"train[k=b]\".outputs]\n\"m/b.txt\" = "
	"\"5555555555555555555555555555555555555555555555555555555555555555\"\n"
	"\"m/b.log\" = "
	"\"6666666666666666666666666666666666666666666666666666666666666666\"\n";

static void write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return;
	fwrite(text, 1, n, f);
	fclose(f);
}

/* Is everything x holds also in the whole file's index? */
static int consistent(const struct lock_index *whole,
		      const struct lock_index *x)
{
	size_t i, k, j;

	for (i = 0; i < x->n; i++) {
		const struct lock_known *a = &x->e[i];
		const struct lock_known *b = lock_index_find(whole, a->name);
		if (!b || !digest_eq(&a->key, &b->key))
			return 0;
		for (k = 0; k < a->nouts; k++) {
			for (j = 0; j < b->nouts; j++)
				if (!strcmp(a->out_path[k], b->out_path[j]) &&
				    digest_eq(&a->out_id[k], &b->out_id[j]))
					break;
			if (j == b->nouts)
				return 0;
		}
	}
	return 1;
}

int main(void)
{
	char path[256];
	struct lock_index whole, x;
	const struct lock_known *e;
	size_t n = sizeof(lock_text) - 1, cut, at;
	int bad = 0;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/g.lock", dir);
	write_file(path, lock_text, n);
	CHECK_INT(lock_index_load(path, &whole), 0);
	CHECK_INT(whole.n, 2);
	CHECK(whole.doc == NULL);	/* read by the scanner */
	e = lock_index_find(&whole, "train[k=b]");
	CHECK(e != NULL);
	CHECK(e && e->nouts == 2 && !strcmp(e->out_path[1], "m/b.log"));
	CHECK(lock_index_find(&whole, "nosuch") == NULL);

	/* Every prefix. */
	for (cut = 0; cut <= n; cut++) {
		write_file(path, lock_text, cut);
		if (lock_index_load(path, &x) == 0) {
			if (!consistent(&whole, &x)) {
				bad++;
				fprintf(stderr, "prefix %zu: invented data\n",
					cut);
			}
			lock_index_free(&x);
		}
	}
	CHECK_INT(bad, 0);
	/* Every byte changed to another, or a quote. */
	for (at = 0; at < n; at++) {
		struct buf b = BUF_INIT;
		int k;
		for (k = 0; k < 2; k++) {
			buf_truncate(&b, 0);
			buf_add(&b, lock_text, n);
			b.data[at] = k ? '"' : (char)(b.data[at] ^ 0x01);
			write_file(path, b.data, b.len);
			if (lock_index_load(path, &x) == 0) {
				/* A changed digest is a different, valid
				 * digest: only names and shape are checked. */
				size_t i;
				for (i = 0; i < x.n; i++)
					bad += x.e[i].nouts > 2;
				lock_index_free(&x);
			}
		}
		buf_release(&b);
	}
	CHECK_INT(bad, 0);
	/* Hand-written TOML (literal strings, other order) reads the same. */
	{
		const char *hand =
			"version = 1\n[stage.'a'.outputs]\n'out/a.txt' = "
			"'3333333333333333333333333333333333333333333333333333333333333333'\n"
			"[stage.'a']\nkey = "
			"'1111111111111111111111111111111111111111111111111111111111111111'\n";
		write_file(path, hand, strlen(hand));
		CHECK_INT(lock_index_load(path, &x), 0);
		CHECK(x.doc != NULL);	/* through the TOML parser */
		CHECK_INT(x.n, 1);
		CHECK(consistent(&whole, &x));
		lock_index_free(&x);
	}
	write_file(path, "not = [toml", 11);
	CHECK_INT(lock_index_load(path, &x), -1);
	unlink(path);
	CHECK_INT(lock_index_load(path, &x), -1);
	lock_index_free(&whole);
	rmdir(dir);
	return check_done("test_lock");
}
