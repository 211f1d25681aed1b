/*
 * The lock file reader the run uses (lock_index_load): the file cairn
 * writes is read by a scanner, anything else by the TOML parser.  Every
 * prefix of a real lock file (a truncated write, a crash) and every
 * single-byte corruption must load without a crash, and what loads must
 * never be invented: each entry found is in the original, with its key and
 * with outputs that are the original's.  And the lock file's gc root, set
 * apart from the file (lock_set_root, lock_write).
 */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "digest.h"
#include "err.h"
#include "graph.h"
#include "lockfile.h"
#include "store.h"

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

struct root_seen {
	char name[PATH_MAX + 8];
	size_t n;
	struct digest first;
};

static int on_root(const struct store_root *r, void *ctx)
{
	struct root_seen *x = ctx;

	snprintf(x->name, sizeof(x->name), "%s", r->name);
	x->n = r->n;
	if (r->n)
		memcpy(x->first.b, r->ids[0].b, DIGEST_LEN);
	return 0;
}

/*
 * The lock file and its gc root are written apart.  lock_set_root with a
 * store that cannot take the root fails, naming the lock file and why,
 * and writes no lock file; with one that can, the root "lock:<real path>"
 * names the outputs the store holds (one it does not hold is left out).
 * lock_write writes the file and sets no root.
 */
static void test_root(void)
{
	char toml[300], lock[300], sdir[300], real[PATH_MAX], want[PATH_MAX + 64];
	struct graph *g = NULL;
	struct store *s = NULL;
	struct store_writer *w;
	struct lock_entry le;
	struct lock_text lt;
	struct root_seen seen;
	struct digest out;
	struct err err;

	snprintf(toml, sizeof(toml), "%s/g.toml", dir);
	snprintf(lock, sizeof(lock), "%s/g.lock", dir);
	snprintf(sdir, sizeof(sdir), "%s/store", dir);
	{
		static const char text[] = "[stage.a]\ncmd = \"true\"\n"
					   "outs = { o = \"a.txt\" }\n";
		write_file(toml, text, sizeof(text) - 1);
	}
	if (graph_load(toml, NULL, 0, &g, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		CHECK(0);
		return;
	}
	CHECK_INT(store_open(sdir, STORE_CREATE, &s, &err), 0);
	CHECK_INT(store_writer_new(s, &w, &err), 0);
	CHECK_INT(store_put_bytes(w, "made\n", 5, &out, &err), 0);
	CHECK_INT(store_writer_commit(w, &err), 0);
	store_close(s);
	memset(&le, 0, sizeof(le));
	le.inst = &g->insts[0];
	le.outs = &out;
	lock_render(lock, g, &le, 1, NULL, &lt);
	CHECK_INT(lt.nouts, 1);
	CHECK(lt.nouts == 1 && digest_eq(&lt.outs[0], &out));
	CHECK(!lock_unchanged(lock, &lt));

	/* A store open read-only: its writer fails. */
	CHECK_INT(store_open(sdir, STORE_RDONLY, &s, &err), 0);
	CHECK_INT(lock_set_root(lock, s, &lt, &err), -1);
	snprintf(want, sizeof(want),
		 "cannot set the gc root of lock file '%s': store '%s' is open "
		 "read-only: Read-only file system",
		 lock, sdir);
	CHECK_STR(err.msg, want);
	CHECK(access(lock, F_OK) < 0);
	store_close(s);

	/* The file alone: no root yet. */
	CHECK_INT(store_open(sdir, 0, &s, &err), 0);
	CHECK_INT(lock_write(lock, &lt, &err), 0);
	CHECK(access(lock, F_OK) == 0);
	CHECK(lock_unchanged(lock, &lt));
	memset(&seen, 0, sizeof(seen));
	CHECK_INT(store_roots_walk(s, on_root, &seen, &err), 0);
	CHECK_STR(seen.name, "");
	/* Then the root. */
	CHECK_INT(lock_set_root(lock, s, &lt, &err), 0);
	CHECK_INT(store_roots_walk(s, on_root, &seen, &err), 0);
	CHECK(realpath(lock, real) != NULL);
	snprintf(want, sizeof(want), "lock:%s", real);
	CHECK_STR(seen.name, want);
	CHECK_INT(seen.n, 1);
	CHECK(digest_eq(&seen.first, &out));
	lock_text_release(&lt);
	/* An output this store never held. */
	memset(out.b, 0x5a, DIGEST_LEN);
	lock_render(lock, g, &le, 1, NULL, &lt);
	CHECK(!lock_unchanged(lock, &lt));
	CHECK_INT(lock_set_root(lock, s, &lt, &err), 0);
	CHECK_INT(store_roots_walk(s, on_root, &seen, &err), 0);
	CHECK_INT(seen.n, 0);
	lock_text_release(&lt);
	store_close(s);
	graph_free(g);
	unlink(lock);
	unlink(toml);
	{
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sdir);
		CHECK_INT(system(cmd), 0);
	}
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * A short write (here a file-size limit; a full disk alike) fails
 * lock_write with its reason, leaves the old lock file as it was and no
 * temporary, and leaks no descriptor.
 */
static void test_short_write(void)
{
	char lock[300], cmd[400];
	struct lock_text lt;
	struct rlimit old, small;
	struct err err;
	int before;

	snprintf(lock, sizeof(lock), "%s/short.lock", dir);
	write_file(lock, "old\n", 4);
	memset(&lt, 0, sizeof(lt));
	buf_init(&lt.text);
	/* Past stdio's buffer, so that fwrite itself comes back short. */
	while (lt.text.len < 65536)
		buf_adds(&lt.text, "a lock file longer than sixteen bytes\n");
	CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 16;
	signal(SIGXFSZ, SIG_IGN);
	before = open_fds();
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
	CHECK_INT(lock_write(lock, &lt, &err), -1);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(strstr(err.msg, "cannot write '") != NULL);
	CHECK(strstr(err.msg, "File too large") != NULL);
	CHECK_INT(open_fds(), before);
	{
		char got[16] = "";
		FILE *f = fopen(lock, "r");
		CHECK(f && fgets(got, sizeof(got), f));
		if (f)
			fclose(f);
		CHECK_STR(got, "old\n");
	}
	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q cairn-tmp", dir);
	CHECK(system(cmd) != 0);
	buf_release(&lt.text);
	unlink(lock);
}

/* Entry i's output k: its path and a digest of its own. */
static void many_out(size_t i, size_t k, char path[64], char hex[65])
{
	size_t j;

	snprintf(path, 64, "out/%zu-%zu.txt", i, k);
	for (j = 0; j < 64; j++)
		hex[j] = "0123456789abcdef"[(i * 7 + k * 13 + j) % 16];
	hex[64] = '\0';
}

/*
 * Many entries with one to three outputs each (more outputs than the
 * scanner's first pool holds), as the scanner reads them and as the TOML
 * parser does: every entry finds its own outputs, in order.  A digest
 * whose last digit is not hex is refused, wherever it is.
 */
static void test_many(const char *path, int toml)
{
	struct buf b = BUF_INIT;
	struct lock_index x;
	char p[64], hex[65];
	size_t i, k, n = 900, bad = 0;

	buf_adds(&b, "version = 2\ngraph = \"g\"\n");
	for (i = 0; i < n; i++) {
		buf_addf(&b, "\n[stage.%ss%04zu%s]\nkey = %s", toml ? "'" : "\"",
			 i, toml ? "'" : "\"", toml ? "'" : "\"");
		for (k = 0; k < 64; k++)
			buf_addc(&b, "0123456789abcdef"[(i + k) % 16]);
		buf_adds(&b, toml ? "'\n" : "\"\n");
		buf_addf(&b, "\n[stage.%ss%04zu%s.outputs]\n", toml ? "'" : "\"", i,
			 toml ? "'" : "\"");
		for (k = 0; k < 1 + i % 3; k++) {
			many_out(i, k, p, hex);
			buf_addf(&b, "%s%s%s = %s%s%s\n", toml ? "'" : "\"", p,
				 toml ? "'" : "\"", toml ? "'" : "\"", hex,
				 toml ? "'" : "\"");
		}
	}
	write_file(path, b.data, b.len);
	CHECK_INT(lock_index_load(path, &x), 0);
	CHECK(toml ? x.doc != NULL : x.doc == NULL);
	CHECK_INT(x.n, n);
	for (i = 0; i < n; i++) {
		const struct lock_known *e;
		struct digest want;
		char name[16];

		snprintf(name, sizeof(name), "s%04zu", i);
		e = lock_index_find(&x, name);
		if (!e || e->nouts != 1 + i % 3) {
			bad++;
			continue;
		}
		for (k = 0; k < e->nouts; k++) {
			many_out(i, k, p, hex);
			digest_parse(hex, &want);
			bad += strcmp(e->out_path[k], p) != 0 ||
			       !digest_eq(&e->out_id[k], &want);
		}
	}
	CHECK_INT(bad, 0);
	lock_index_free(&x);
	/* The last output's digest ends in 'g': not a digest.  The scanner
	 * gives up, the TOML parser drops that output alone. */
	b.data[b.len - 3] = 'g';
	write_file(path, b.data, b.len);
	CHECK_INT(lock_index_load(path, &x), 0);
	CHECK(x.doc != NULL);
	CHECK_INT(x.n, n);
	CHECK(x.n == n && x.e[n - 1].nouts == (n - 1) % 3);
	lock_index_free(&x);
	buf_release(&b);
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
	test_root();
	test_short_write();
	test_many(path, 0);
	test_many(path, 1);
	unlink(path);
	rmdir(dir);
	return check_done("test_lock");
}
