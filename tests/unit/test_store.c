/*
 * The store through its C API: SHA-256 known answers, chunk boundaries
 * that survive insertions, round trips of empty, tiny, huge and sparse
 * files and of trees with odd names, links that escape, expected-digest
 * checks, map growth, compression, id prefixes, schema and truncation
 * checks, fsck and gc.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "chunker.h"
#include "err.h"
#include "jobtab.h"
#include "store.h"
#include "store_internal.h"
#include "store_writer.h"

static char dir[] = "/tmp/cairn-test-store-XXXXXX";
static struct err e;

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(next() >> 56);
}

static char *path(const char *name)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static int write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	if (!f)
		return -1;
	fwrite(data, 1, n, f);
	return fclose(f);
}

static int same_file(const char *a, const void *data, size_t n)
{
	FILE *f = fopen(a, "rb");
	unsigned char *got = malloc(n + 1);
	size_t r;
	int ok;

	if (!f) {
		free(got);
		return 0;
	}
	r = fread(got, 1, n + 1, f);
	fclose(f);
	ok = r == n && !memcmp(got, data, n);
	free(got);
	return ok;
}

static void test_sha(void)
{
	static const struct {
		const char *in, *hex;
	} kat[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	struct digest d, p;
	struct sha256 *s;
	char hex[DIGEST_HEX + 1];
	size_t i;

	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		sha256(kat[i].in, strlen(kat[i].in), &d);
		digest_hex(&d, hex);
		CHECK_STR(hex, kat[i].hex);
		CHECK_INT(digest_parse(kat[i].hex, &p), 0);
		CHECK(digest_eq(&p, &d));
	}
	/* One million 'a', fed in uneven pieces. */
	s = sha256_new();
	for (i = 0; i < 1000000;) {
		char a[997];
		size_t n;

		memset(a, 'a', sizeof(a));
		n = 1000000 - i < 997 ? 1000000 - i : 997;
		sha256_update(s, a, n);
		i += n;
	}
	sha256_final(s, &d);
	digest_hex(&d, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	CHECK_INT(digest_parse("xyz", &d), -1);
	CHECK_INT(digest_parse("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &d), -1);
}

/* Boundaries of data[0..n) with params p into cuts (count returned). */
static size_t boundaries(const struct chunk_params *p,
			 const unsigned char *data, size_t n, size_t *cuts,
			 size_t max)
{
	size_t off = 0, k = 0;

	while (off < n && k < max) {
		size_t c = chunk_next(p, data + off, n - off);
		off += c;
		cuts[k++] = off;
	}
	return k;
}

static void test_chunker(void)
{
	const struct chunk_params p = { CHUNK_MIN_DEFAULT, CHUNK_AVG_DEFAULT,
					CHUNK_MAX_DEFAULT };
	const size_t n = (size_t)64 << 20, ins = 4096;
	unsigned char *a = malloc(n), *b = malloc(n + ins);
	size_t *ca = malloc(1000 * sizeof(size_t)),
	       *cb = malloc(1000 * sizeof(size_t));
	size_t na, nb, i, j, small = 0, big = 0, shared = 0;
	struct chunk_params bad = { 100, 1000, 4000 };

	/* The gear table is part of the format: pin some entries. */
	CHECK(chunk_gear(0) == 0xbcca21bbaff673aeull);
	CHECK(chunk_gear(1) == 0x43fb0576d151e3dbull);
	CHECK(chunk_gear(255) == 0x013fbc57e0e7d550ull);
	CHECK_INT(chunk_params_check(&p), 0);
	CHECK_INT(chunk_params_check(&bad), -1);
	fill(a, n);
	na = boundaries(&p, a, n, ca, 1000);
	CHECK_INT(ca[na - 1], n);
	for (i = 0; i < na; i++) {
		size_t len = ca[i] - (i ? ca[i - 1] : 0);
		small += len < p.min && i + 1 < na;
		big += len > p.max;
	}
	CHECK_INT(small, 0);
	CHECK_INT(big, 0);
	/* Average within a factor of two of the target. */
	CHECK(n / na > p.avg / 2 && n / na < p.avg * 2);
	/* Insert 4 KiB in the middle: at least 90% of chunks survive. */
	memcpy(b, a, n / 2);
	fill(b + n / 2, ins);
	memcpy(b + n / 2 + ins, a + n / 2, n - n / 2);
	nb = boundaries(&p, b, n + ins, cb, 1000);
	for (i = 0, j = 0; i < na && j < nb;) {
		size_t sa = i ? ca[i - 1] : 0, sb = j ? cb[j - 1] : 0;
		size_t la = ca[i] - sa, lb = cb[j] - sb;
		int same = la == lb && !memcmp(a + sa, b + sb, la);
		shared += same;
		if (ca[i] + (sa >= n / 2 ? ins : 0) <= cb[j] - 0)
			i++;
		else
			j++;
	}
	printf("chunks: %zu before, %zu after, %zu shared\n", na, nb, shared);
	CHECK(shared * 10 >= na * 9);
	/* Deterministic. */
	CHECK_INT(boundaries(&p, a, n, cb, 1000), na);
	CHECK(!memcmp(ca, cb, na * sizeof(size_t)));
	free(a), free(b), free(ca), free(cb);
}

static struct store *open_store(const char *name, unsigned flags)
{
	struct store *s = NULL;
	int rc = store_open(path(name), flags, &s, &e);

	if (rc)
		fprintf(stderr, "store_open: %s\n", e.msg);
	CHECK_INT(rc, 0);
	return s;
}

static void roundtrip_bytes(struct store *s, const void *data, size_t n)
{
	struct store_writer *w;
	struct digest id, want;
	struct store_object o;

	sha256(data, n, &want);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, data, n, &id, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK(digest_eq(&id, &want));
	CHECK_INT(store_lookup(s, &id, &o), 0);
	CHECK_INT(o.kind, STORE_BLOB);
	CHECK_INT(o.size, n);
	CHECK_INT(store_materialize(s, &id, path("out"), 0, &e), 0);
	CHECK(same_file(path("out"), data, n));
}

static void test_roundtrip(void)
{
	struct store *s = open_store("s1", STORE_CREATE);
	size_t n = (size_t)64 << 20;
	unsigned char *big = malloc(n);
	struct store_writer *w;
	struct digest id, id2;
	struct stat st;
	int fd;

	if (!s)
		return;
	fill(big, n);
	roundtrip_bytes(s, "", 0);
	roundtrip_bytes(s, "x", 1);
	roundtrip_bytes(s, big, CHUNK_MIN_DEFAULT);
	roundtrip_bytes(s, big, CHUNK_MIN_DEFAULT + 1);
	roundtrip_bytes(s, big, n);
	/* A file ingested from disk gets the same id as the same bytes. */
	CHECK_INT(write_file(path("big"), big, n), 0);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_file(w, path("big"), NULL, &id, &e), 0);
	sha256(big, n, &id2);
	CHECK(digest_eq(&id, &id2));
	/* An expected digest that does not match is refused. */
	id2.b[0] ^= 1;
	CHECK_INT(store_put_file(w, path("big"), &id2, &id, &e),
		  STORE_MISMATCH);
	CHECK(strstr(e.msg, "expected") != NULL);
	store_writer_abort(w);
	/* A sparse file: holes read as zeros and come back as zeros. */
	fd = open(path("sparse"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_INT(pwrite(fd, "head", 4, 0), 4);
	CHECK_INT(pwrite(fd, "tail", 4, (off_t)20 << 20), 4);
	close(fd);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_file(w, path("sparse"), NULL, &id, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_materialize(s, &id, path("sparse2"), 1, &e), 0);
	CHECK_INT(stat(path("sparse2"), &st), 0);
	CHECK_INT(st.st_size, ((off_t)20 << 20) + 4);
	CHECK(st.st_mode & S_IXUSR);
	{
		unsigned char *z = calloc(1, ((size_t)20 << 20) + 4);
		memcpy(z, "head", 4);
		memcpy(z + ((size_t)20 << 20), "tail", 4);
		CHECK(same_file(path("sparse2"), z, ((size_t)20 << 20) + 4));
		free(z);
	}
	/* Nothing temporary is left beside the outputs. */
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd),
			 "ls -a '%s' | grep -q cairn-tmp", dir);
		CHECK(system(cmd) != 0);
	}
	store_close(s);
	free(big);
}

static int count_entries(const struct store_tree_entry *en, void *ctx)
{
	(void)en;
	(*(int *)ctx)++;
	return 0;
}

static void test_trees(void)
{
	static const char *const names[] = {
		"plain", "with space", "new\nline", "ünïcödé", "-dash",
		"#hash", "a/b/c/deep", "a/b/x", "z",
	};
	struct store *s = open_store("s2", STORE_CREATE);
	struct store_writer *w;
	struct digest id, id2;
	struct store_object o;
	char cmd[1200];
	size_t i;
	int n = 0;

	if (!s)
		return;
	mkdir(path("t"), 0777);
	mkdir(path("t/a"), 0777);
	mkdir(path("t/a/b"), 0777);
	mkdir(path("t/a/b/c"), 0777);
	mkdir(path("t/empty"), 0777);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/t/%s", dir, names[i]);
		CHECK_INT(write_file(p, names[i], strlen(names[i])), 0);
	}
	chmod(path("t/z"), 0755);
	CHECK_INT(symlink("../plain", path("t/a/up")), 0);
	CHECK_INT(symlink("b/x", path("t/a/down")), 0);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_tree(w, path("t"), &id, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_lookup(s, &id, &o), 0);
	CHECK_INT(o.kind, STORE_TREE);
	CHECK_INT(o.entries, 9 + 4 + 2);
	CHECK_INT(store_tree_walk(s, &id, count_entries, &n, &e), 0);
	CHECK_INT(n, 15);
	CHECK_INT(store_materialize(s, &id, path("t2"), 0, &e), 0);
	snprintf(cmd, sizeof(cmd), "diff -r --no-dereference '%s/t' '%s/t2'",
		 dir, dir);
	CHECK_INT(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "test -x '%s/t2/z' && test ! -x '%s/t2/plain' "
				   "&& test -d '%s/t2/empty' && test -L '%s/t2/a/up'",
		 dir, dir, dir, dir);
	CHECK_INT(system(cmd), 0);
	/* Materialising again over the old copy replaces it whole. */
	CHECK_INT(write_file(path("t2/extra"), "x", 1), 0);
	CHECK_INT(store_materialize(s, &id, path("t2"), 0, &e), 0);
	CHECK(access(path("t2/extra"), F_OK) < 0);
	/* The id does not depend on where the tree is. */
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_tree(w, path("t2"), &id2, &e), 0);
	CHECK(digest_eq(&id, &id2));
	/* Links that leave the tree are refused. */
	CHECK_INT(symlink("../../outside", path("t/a/bad")), 0);
	CHECK_INT(store_put_tree(w, path("t"), &id2, &e), STORE_UNSAFE);
	CHECK(strstr(e.msg, "points outside the tree ('../../outside')") != NULL);
	unlink(path("t/a/bad"));
	CHECK_INT(symlink("/etc/passwd", path("t/abs")), 0);
	CHECK_INT(store_put_tree(w, path("t"), &id2, &e), STORE_UNSAFE);
	unlink(path("t/abs"));
	store_writer_abort(w);

	CHECK_INT(tree_path_safe("a/b"), 0);
	CHECK_INT(tree_path_safe("../a"), -1);
	CHECK_INT(tree_path_safe("a/./b"), -1);
	CHECK_INT(tree_path_safe("/a"), -1);
	CHECK_INT(tree_path_safe("a//b"), -1);
	CHECK_INT(tree_path_safe("a/"), -1);
	CHECK_INT(tree_link_safe("a/l", "../x"), 0);
	CHECK_INT(tree_link_safe("a/l", "../../x"), -1);
	CHECK_INT(tree_link_safe("l", "a/../../x"), -1);
	CHECK_INT(tree_link_safe("l", "./a/./b"), 0);
	store_close(s);
}

static void test_growth_and_compression(void)
{
	struct store *s;
	struct store_writer *w;
	struct store_config c;
	struct store_stats st;
	unsigned char *data = malloc((size_t)24 << 20);
	struct digest id;
	size_t i;

	/* A 1 MiB map must grow by itself to hold 24 MiB. */
	setenv("CAIRN_STORE_MAPSIZE", "1048576", 1);
	s = open_store("s3", STORE_CREATE);
	unsetenv("CAIRN_STORE_MAPSIZE");
	if (!s)
		return;
	CHECK_INT(store_config_get(s, &c), 0);
	CHECK_INT(c.compression, STORE_COMPRESS_NONE);
	c.compression = STORE_COMPRESS_ZSTD;
	CHECK_INT(store_config_set(s, &c, &e), 0);
	for (i = 0; i < ((size_t)24 << 20); i++)
		data[i] = (unsigned char)("compressible text "[i % 18]);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, data, (size_t)24 << 20, &id, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_stats(s, &st, &e), 0);
	CHECK(st.stored * 10 < st.unique);
	CHECK_INT(store_materialize(s, &id, path("comp"), 0, &e), 0);
	CHECK(same_file(path("comp"), data, (size_t)24 << 20));
	c.chunk_avg = 1000;	/* not a power of two */
	CHECK_INT(store_config_set(s, &c, &e), STORE_BADARG);
	store_close(s);
	free(data);
}

static void test_prefixes(void)
{
	struct store *s = open_store("s4", STORE_CREATE);
	struct store_writer *w;
	struct digest *ids = malloc(20000 * sizeof(*ids)), d;
	char (*hex)[DIGEST_HEX + 1] = malloc(20000 * sizeof(*hex));
	char prefix[8];
	int i, j, found = 0;

	if (!s)
		return;
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	for (i = 0; i < 20000; i++) {
		char text[32];
		snprintf(text, sizeof(text), "blob %d", i);
		CHECK_INT(store_put_bytes(w, text, strlen(text), &ids[i], &e), 0);
		digest_hex(&ids[i], hex[i]);
	}
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_resolve(s, hex[7], &d, &e), 0);
	CHECK(digest_eq(&d, &ids[7]));
	memcpy(prefix, hex[7], 7);
	prefix[7] = '\0';
	CHECK_INT(store_resolve(s, prefix, &d, &e), 0);
	CHECK_INT(store_resolve(s, "abc", &d, &e), STORE_BADARG);
	CHECK_INT(store_resolve(s, "abcdeg", &d, &e), STORE_BADARG);
	/* Find two ids sharing six hex digits (20000 ids: almost sure). */
	for (i = 0; i < 20000 && !found; i++)
		for (j = i + 1; j < 20000 && !found; j++)
			if (!memcmp(hex[i], hex[j], 6)) {
				memcpy(prefix, hex[i], 6);
				prefix[6] = '\0';
				found = 1;
			}
	if (found) {
		CHECK_INT(store_resolve(s, prefix, &d, &e), STORE_AMBIGUOUS);
		CHECK(strstr(e.msg, "is ambiguous") != NULL);
		CHECK(strstr(e.msg, "\n  blob ") != NULL);
	}
	store_close(s);
	free(ids);
	free(hex);
}

/* The jobs table through jobtab: per workspace (a workspace whose path
 * extends another's is another), found by instance, forgotten. */
static void test_jobs(void)
{
	struct store *s = open_store("s9", STORE_CREATE);
	struct store_writer *w;
	struct jobtab t;
	const char *rec;
	size_t n;

	if (!s)
		return;
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(jobtab_keep(w, "/w", "m[x=2]", "{\"job\": \"7_1\"}", 15, &e), 0);
	CHECK_INT(jobtab_keep(w, "/w", "a", "{\"job\": \"6\"}", 13, &e), 0);
	CHECK_INT(jobtab_keep(w, "/w2", "a", "other", 5, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(jobtab_load(&t, s, "/w", &e), 0);
	CHECK_INT((int)t.n, 2);
	rec = jobtab_find(&t, "m[x=2]", &n);
	CHECK(rec && n == 15 && !memcmp(rec, "{\"job\": \"7_1\"}", 15));
	rec = jobtab_find(&t, "a", &n);
	CHECK(rec && n == 13);
	CHECK(jobtab_find(&t, "b", &n) == NULL);
	jobtab_free(&t);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(jobtab_forget(w, "/w", "a", &e), 0);
	CHECK_INT(jobtab_forget(w, "/w", "never", &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(jobtab_load(&t, s, "/w", &e), 0);
	CHECK_INT((int)t.n, 1);
	CHECK(jobtab_find(&t, "a", &n) == NULL);
	jobtab_free(&t);
	CHECK_INT(jobtab_load(&t, s, "/w2", &e), 0);
	CHECK(t.n == 1 && (rec = jobtab_find(&t, "a", &n)) && n == 5);
	jobtab_free(&t);
	store_close(s);
}

static void test_open_checks(void)
{
	struct store *s = NULL;
	char cmd[600];

	CHECK_STR(store_unsafe_fs(0x6969), "nfs");
	CHECK_STR(store_unsafe_fs(0xff534d42), "cifs");
	CHECK_STR(store_unsafe_fs(0x0bd00bd0), "lustre");
	CHECK(store_unsafe_fs(0xef53) == NULL);	/* ext4 */
	CHECK_INT(store_open(path("none"), 0, &s, &e), STORE_NOTFOUND);
	CHECK(strstr(e.msg, "no store at") != NULL);
	CHECK_INT(write_file(path("afile"), "x", 1), 0);
	CHECK_INT(store_open(path("afile"), STORE_CREATE, &s, &e), ENOTDIR);
	/* A newer schema is refused, not misread. */
	{
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = { 6, (void *)"schema" }, v;
		unsigned char newer[4] = { STORE_SCHEMA + 1, 0, 0, 0 };

		s = open_store("s5", STORE_CREATE);
		store_close(s);
		CHECK_INT(mdb_env_create(&env), 0);
		mdb_env_set_maxdbs(env, 16);
		CHECK_INT(mdb_env_open(env, path("s5"), 0, 0664), 0);
		CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
		v.mv_size = 4;
		v.mv_data = newer;
		CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
		CHECK_INT(store_open(path("s5"), 0, &s, &e), STORE_VERSION);
		CHECK(strstr(e.msg, "has schema 3, made by a newer cairn") != NULL);
	}
	/* A truncated data file is reported, never read past its end. */
	s = open_store("s6", STORE_CREATE);
	if (s) {
		struct store_writer *w;
		struct digest id;
		unsigned char *d = malloc((size_t)8 << 20);
		fill(d, (size_t)8 << 20);
		CHECK_INT(store_writer_new(s, &w, &e), 0);
		CHECK_INT(store_put_bytes(w, d, (size_t)8 << 20, &id, &e), 0);
		CHECK_INT(store_writer_commit(w, &e), 0);
		store_close(s);
		free(d);
	}
	snprintf(cmd, sizeof(cmd), "truncate -s 1M '%s/s6/data.mdb'", dir);
	CHECK_INT(system(cmd), 0);
	CHECK_INT(store_open(path("s6"), 0, &s, &e), STORE_CORRUPT);
	CHECK(strstr(e.msg, "is truncated") != NULL);
}

static void test_fsck_gc(void)
{
	struct store *s = open_store("s7", STORE_CREATE);
	struct store_writer *w;
	struct store_fsck_result fr;
	struct store_gc_result gr;
	unsigned char *d = malloc((size_t)3 << 20);
	struct digest keep, drop;

	if (!s)
		return;
	fill(d, (size_t)3 << 20);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, d, (size_t)3 << 20, &keep, &e), 0);
	CHECK_INT(store_put_bytes(w, d + 1, ((size_t)3 << 20) - 1, &drop, &e), 0);
	CHECK_INT(store_set_root(w, "r", &keep, 1, &e), 0);
	CHECK_INT(store_set_root(w, "bad", &drop, 0, &e), 0);
	drop.b[5] ^= 0xff;
	CHECK_INT(store_set_root(w, "missing", &drop, 1, &e), STORE_NOTFOUND);
	store_writer_abort(w);
	/* The abort dropped the batch: nothing is stored. */
	CHECK_INT(store_lookup(s, &keep, &(struct store_object){ 0 }),
		  STORE_NOTFOUND);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, d, (size_t)3 << 20, &keep, &e), 0);
	CHECK_INT(store_put_bytes(w, d + 1, ((size_t)3 << 20) - 1, &drop, &e), 0);
	CHECK_INT(store_set_root(w, "r", &keep, 1, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_fsck(s, 0, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	CHECK_INT(fr.unreferenced_chunks, 0);
	CHECK_INT(store_gc(s, 1, 0, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.blobs, 1);
	CHECK(gr.chunks >= 1);
	CHECK_INT(store_lookup(s, &drop, &(struct store_object){ 0 }), 0);
	CHECK_INT(store_gc(s, 0, 0, NULL, NULL, &gr, &e), 0);
	CHECK_INT(store_lookup(s, &drop, &(struct store_object){ 0 }),
		  STORE_NOTFOUND);
	CHECK_INT(store_materialize(s, &keep, path("kept"), 0, &e), 0);
	CHECK(same_file(path("kept"), d, (size_t)3 << 20));
	CHECK_INT(store_fsck(s, 0, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	store_close(s);
	free(d);
}

struct seen {
	int produced, used;
	int64_t used_ns;
	size_t outputs;
};

static int on_lineage(enum store_role role, const struct digest *run,
		      void *ctx)
{
	struct seen *s = ctx;

	(void)run;
	s->produced += role == STORE_PRODUCED;
	s->used += role == STORE_USED;
	return 0;
}

static int on_run(const struct store_run *r, void *ctx)
{
	struct seen *s = ctx;

	s->used_ns = r->used_ns;
	s->outputs = r->noutputs;
	return 0;
}

/* Blobs of n random bytes each, their ids in ids[0..k). */
static void blobs(struct store *s, struct digest *ids, int k, size_t n)
{
	struct store_writer *w;
	unsigned char *d = malloc(n);
	int i;

	CHECK_INT(store_writer_new(s, &w, &e), 0);
	for (i = 0; i < k; i++) {
		fill(d, n);
		CHECK_INT(store_put_bytes(w, d, n, &ids[i], &e), 0);
	}
	CHECK_INT(store_writer_commit(w, &e), 0);
	free(d);
}

static void test_runs(void)
{
	struct store *s = open_store("s8", STORE_CREATE);
	struct store_writer *w;
	struct digest in[2], out[4], runid[4], key, *list = NULL;
	struct store_run r;
	struct store_gc_result gr;
	struct store_fsck_result fr;
	struct store_object o;
	struct store_stat_entry st, got;
	struct seen seen = { 0 };
	size_t n = 0;
	int i;

	if (!s)
		return;
	blobs(s, in, 2, 1000);
	blobs(s, out, 4, (size_t)2 << 20);	/* 2 MiB each, chunked */
	sha256("stage key", 9, &key);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	for (i = 0; i < 4; i++) {
		memset(&r, 0, sizeof(r));
		r.key = key;
		r.time_ns = 1000 + i;
		r.inputs = in;
		r.ninputs = 2;
		r.outputs = &out[i];
		r.noutputs = 1;
		r.payload = "{\"exit\": 0}";
		r.len = 11;
		CHECK_INT(store_put_run(w, &r, &runid[i], &e), 0);
	}
	/* Recording the same run again changes nothing. */
	CHECK_INT(store_put_run(w, &r, &runid[3], &e), 0);
	/* A run whose output is not stored is refused. */
	r.outputs = &key;
	CHECK_INT(store_put_run(w, &r, &runid[3], &e), STORE_NOTFOUND);
	CHECK(strstr(e.msg, "is not in the store") != NULL);
	r.outputs = &out[3];
	CHECK_INT(store_writer_commit(w, &e), 0);

	CHECK_INT(store_action_runs(s, &key, &list, &n, &e), 0);
	CHECK_INT(n, 4);
	CHECK(n == 4 && digest_eq(&list[0], &runid[3]) &&
	      digest_eq(&list[3], &runid[0]));
	free(list);
	/* A failed run is recorded (lineage, by id) but never found by its
	 * key. */
	{
		struct digest failed;
		struct store_object fo;

		CHECK_INT(store_writer_new(s, &w, &e), 0);
		memset(&r, 0, sizeof(r));
		r.key = key;
		r.time_ns = 9000;
		r.inputs = in;
		r.ninputs = 1;
		r.payload = "{\"exit\": 2}";
		r.len = 11;
		r.failed = 1;
		CHECK_INT(store_put_run(w, &r, &failed, &e), 0);
		CHECK_INT(store_writer_commit(w, &e), 0);
		CHECK_INT(store_action_runs(s, &key, &list, &n, &e), 0);
		CHECK_INT(n, 4);
		free(list);
		CHECK_INT(store_lookup(s, &failed, &fo), 0);
		CHECK_INT(fo.kind, STORE_RUN);
		r.outputs = &out[3];
	}
	CHECK_INT(store_lineage(s, &in[0], on_lineage, &seen, &e), 0);
	CHECK_INT(seen.used, 5);
	CHECK_INT(seen.produced, 0);
	memset(&seen, 0, sizeof(seen));
	CHECK_INT(store_lineage(s, &out[2], on_lineage, &seen, &e), 0);
	CHECK_INT(seen.produced, 1);
	CHECK_INT(store_lookup(s, &runid[1], &o), 0);
	CHECK_INT(o.kind, STORE_RUN);
	CHECK_INT(o.size, 11);

	/* Run 0 was used last: the LRU order is 1, 2, 3, 0. */
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_touch_run(w, &runid[0], 5000, &e), 0);
	/* Root run 1's output: it can never be evicted. */
	CHECK_INT(store_set_root(w, "lock", &out[1], 1, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_get_run(s, &runid[0], on_run, &seen, &e), 0);
	CHECK_INT(seen.used_ns, 5000);
	CHECK_INT(seen.outputs, 1);

	/* Without a limit, every run's outputs are kept; inputs go. */
	CHECK_INT(store_gc(s, 0, 0, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.runs, 0);
	CHECK_INT(gr.blobs, 2);
	for (i = 0; i < 4; i++)
		CHECK_INT(store_lookup(s, &out[i], &o), 0);
	/* Under ~5 MiB: two of the four 2 MiB outputs must go: runs 2 and 3
	 * (run 1 is rooted, run 0 recently used). */
	CHECK_INT(store_gc(s, 1, (uint64_t)5 << 20, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.runs, 2);
	CHECK_INT(store_lookup(s, &out[2], &o), 0);	/* dry run */
	CHECK_INT(store_gc(s, 0, (uint64_t)5 << 20, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.runs, 2);
	CHECK(gr.kept_bytes <= ((uint64_t)5 << 20));
	CHECK_INT(store_lookup(s, &out[2], &o), STORE_NOTFOUND);
	CHECK_INT(store_lookup(s, &out[3], &o), STORE_NOTFOUND);
	CHECK_INT(store_lookup(s, &out[0], &o), 0);
	CHECK_INT(store_lookup(s, &out[1], &o), 0);
	CHECK_INT(store_action_runs(s, &key, &list, &n, &e), 0);
	CHECK_INT(n, 2);
	free(list);
	/* Below what the rooted run needs: everything else goes (run 0 and
	 * the failed run). */
	CHECK_INT(store_gc(s, 0, 1, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.runs, 2);
	CHECK_INT(store_lookup(s, &out[1], &o), 0);
	CHECK_INT(store_fsck(s, 0, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);

	/* The stat cache. */
	memset(&st, 0, sizeof(st));
	st.dev = 1;
	st.ino = 2;
	st.size = 3;
	st.mtime_ns = -4;
	st.ctime_ns = 5;
	st.recorded_ns = 6;
	st.id = key;
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_statcache_put(w, "data/x.h5", &st, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_statcache_get(s, "data/x.h5", &got), 0);
	CHECK(!memcmp(&got, &st, sizeof(st)));
	CHECK_INT(store_statcache_get(s, "data/y.h5", &got), STORE_NOTFOUND);
	store_close(s);

	/* Delete run 1's record behind the store's back: fsck finds the
	 * dangling action and lineage entries, and --repair drops them. */
	{
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = { DIGEST_LEN, runid[1].b };

		CHECK_INT(mdb_env_create(&env), 0);
		mdb_env_set_maxdbs(env, 16);
		CHECK_INT(mdb_env_open(env, path("s8"), 0, 0664), 0);
		CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_dbi_open(txn, "runs", 0, &dbi), 0);
		CHECK_INT(mdb_del(txn, dbi, &k, NULL), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
	}
	s = open_store("s8", 0);
	if (!s)
		return;
	CHECK_INT(store_fsck(s, 0, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 1 + 3);	/* one action, three lineage pairs */
	CHECK_INT(store_fsck(s, 1, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.repaired, 4);
	CHECK_INT(store_fsck(s, 0, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	store_close(s);
}

/* ---- issue 13: damaged reads, half-made stores, modes, messages ---- */

/* Flip a byte of the value under id in dbi (offset at, or the last). */
static void damage(struct store *s, MDB_dbi dbi, const struct digest *id,
		   size_t at)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b }, v;
	unsigned char *copy;
	MDB_txn *txn;

	store_idle(s);
	CHECK_INT(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_get(txn, dbi, &k, &v), 0);
	copy = malloc(v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[at < v.mv_size ? at : v.mv_size - 1] ^= 0x55;
	v.mv_data = copy;
	CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	free(copy);
	store_read_refresh(s);
}

/* Chunk i of blob id (its id and length); 0, or -1 when it has none. */
static int chunk_of(struct store *s, const struct digest *id, uint32_t i,
		    struct digest *cid, uint32_t *len)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b }, v;
	struct blob_rec b;
	MDB_txn *txn;
	int rc = -1;

	store_idle(s);
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))
		return -1;
	if (mdb_get(txn, s->blobs, &k, &v) == 0 && blob_decode(&v, &b) == 0 &&
	    i < b.n) {
		blob_chunk(&b, i, cid, len);
		rc = 0;
	}
	mdb_txn_abort(txn);
	return rc;
}

static off_t size_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_size : -1;
}

static int no_temporaries(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "find '%s' -name '*cairn-tmp*' | grep -q .",
		 dir);
	return system(cmd) != 0;
}

/*
 * cat checks each chunk before writing it: a damaged blob writes nothing
 * from its first bad chunk on (a missing chunk or a bad inline blob:
 * nothing at all).  materialize fails with STORE_CORRUPT and leaves the
 * path as it was.
 */
static void test_damaged_reads(void)
{
	struct store *s = open_store("d1", STORE_CREATE);
	size_t n = (size_t)3 << 20;
	unsigned char *data = malloc(n);
	struct store_writer *w;
	struct digest id, id2, tid, iid, c0, c1, c2;
	uint32_t l0, l1, l2;
	int fd;

	if (!s)
		return;
	fill(data, n);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, data, n, &id, &e), 0);
	CHECK_INT(store_put_bytes(w, data + 1, n - 1, &id2, &e), 0);
	CHECK_INT(store_put_bytes(w, "tiny", 4, &iid, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(chunk_of(s, &id, 0, &c0, &l0), 0);
	CHECK_INT(chunk_of(s, &id, 1, &c1, &l1), 0);
	CHECK_INT(chunk_of(s, &id2, 2, &c2, &l2), 0);
	damage(s, s->chunks, &c1, CHUNK_HDR + 10);

	fd = open(path("cat1"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK_INT(store_cat(s, &id, fd, &e), STORE_CORRUPT);
	close(fd);
	CHECK(strstr(e.msg, "is damaged: a chunk's bytes do not hash to its "
			    "id") != NULL);
	CHECK_INT(size_of(path("cat1")), l0);
	CHECK(same_file(path("cat1"), data, l0));

	/* A missing chunk is found before the first byte goes out. */
	store_idle(s);
	{
		MDB_val k = { DIGEST_LEN, c2.b };
		MDB_txn *txn;
		CHECK_INT(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_del(txn, s->chunks, &k, NULL), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		store_read_refresh(s);
	}
	fd = open(path("cat2"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK_INT(store_cat(s, &id2, fd, &e), STORE_CORRUPT);
	close(fd);
	CHECK(strstr(e.msg, "a chunk is missing") != NULL);
	CHECK_INT(size_of(path("cat2")), 0);

	damage(s, s->blobs, &iid, BLOB_HDR + 1);
	fd = open(path("cat3"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK_INT(store_cat(s, &iid, fd, &e), STORE_CORRUPT);
	close(fd);
	CHECK_INT(size_of(path("cat3")), 0);

	/* Restores: STORE_CORRUPT, the path as it was, nothing left. */
	CHECK_INT(write_file(path("keep"), "old", 3), 0);
	CHECK_INT(store_materialize(s, &id, path("keep"), 0, &e), STORE_CORRUPT);
	CHECK(same_file(path("keep"), "old", 3));
	CHECK_INT(store_materialize(s, &iid, path("keep"), 0, &e),
		  STORE_CORRUPT);
	CHECK(same_file(path("keep"), "old", 3));
	mkdir(path("dt"), 0777);
	CHECK_INT(write_file(path("dt/big"), data, n), 0);
	CHECK_INT(write_file(path("dt/small"), "s", 1), 0);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_tree(w, path("dt"), &tid, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	mkdir(path("keepdir"), 0777);
	CHECK_INT(write_file(path("keepdir/old"), "old", 3), 0);
	CHECK_INT(store_materialize(s, &tid, path("keepdir"), 0, &e),
		  STORE_CORRUPT);
	CHECK(same_file(path("keepdir/old"), "old", 3));
	CHECK(access(path("keepdir/big"), F_OK) < 0);
	CHECK(no_temporaries());
	store_close(s);
	free(data);
}

/* A new store, a half-made one, an empty directory, someone else's. */
static void test_half_made(void)
{
	struct store *s = NULL;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	/* Without STORE_CREATE an empty directory is no store, and stays
	 * empty. */
	mkdir(path("h1"), 0777);
	CHECK_INT(store_open(path("h1"), 0, &s, &e), STORE_NOTFOUND);
	CHECK(strstr(e.msg, "no store at") != NULL);
	CHECK(access(path("h1/data.mdb"), F_OK) < 0);
	s = open_store("h1", STORE_CREATE);
	store_close(s);

	/* LMDB's files with nothing committed: a creation killed before
	 * its first commit.  Named, unless the opener may create a store:
	 * then finished. */
	mkdir(path("h2"), 0777);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_open(env, path("h2"), 0, 0664), 0);
	mdb_env_close(env);
	CHECK(size_of(path("h2/data.mdb")) > 0);
	CHECK_INT(store_open(path("h2"), STORE_RDONLY, &s, &e), STORE_NOTFOUND);
	CHECK(strstr(e.msg, "is unfinished: its creation was interrupted") !=
	      NULL);
	CHECK_INT(store_open(path("h2"), 0, &s, &e), STORE_NOTFOUND);
	s = open_store("h2", STORE_CREATE);
	store_close(s);
	s = open_store("h2", STORE_RDONLY);
	store_close(s);

	/* An empty data file: killed before LMDB wrote a page. */
	mkdir(path("h3"), 0777);
	CHECK_INT(write_file(path("h3/data.mdb"), "", 0), 0);
	CHECK_INT(store_open(path("h3"), STORE_RDONLY, &s, &e), STORE_NOTFOUND);
	CHECK(strstr(e.msg, "is unfinished") != NULL);
	s = open_store("h3", STORE_CREATE);
	store_close(s);
	s = open_store("h3", STORE_RDONLY);
	store_close(s);

	/* Someone else's environment is refused and left alone. */
	mkdir(path("h4"), 0777);
	CHECK_INT(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 4);
	CHECK_INT(mdb_env_open(env, path("h4"), 0, 0664), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "other", MDB_CREATE, &dbi), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	CHECK_INT(store_open(path("h4"), STORE_CREATE, &s, &e), STORE_CORRUPT);
	CHECK(strstr(e.msg, "is not a cairn store (no 'meta' database)") !=
	      NULL);
	CHECK_INT(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 4);
	CHECK_INT(mdb_env_open(env, path("h4"), MDB_RDONLY, 0664), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "meta", 0, &dbi), MDB_NOTFOUND);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

static unsigned mode_at(const char *rel)
{
	struct stat st;

	return lstat(path(rel), &st) == 0 ? (unsigned)(st.st_mode & 07777)
					    : 01;
}

static unsigned schema_of(struct store *s)
{
	MDB_val k = { 6, (void *)"schema" }, v;
	MDB_txn *txn;
	unsigned n = 0;

	store_idle(s);
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))
		return 0;
	if (mdb_get(txn, s->meta, &k, &v) == 0 && v.mv_size == 4)
		n = get_u32(v.mv_data);
	mdb_txn_abort(txn);
	return n;
}

struct modes {
	unsigned priv, exec;
};

static int on_mode(const struct store_tree_entry *en, void *ctx)
{
	struct modes *m = ctx;

	m->priv += !!(en->mode & STORE_MODE_PRIVATE);
	m->exec += !!(en->mode & STORE_MODE_EXEC);
	return 0;
}

/*
 * Trees keep each entry's executable and owner-only bits; a restore
 * gives owner-only files 0600/0700 whatever the umask; a tree with none
 * keeps the id it always had, and the store stays schema 1 until it
 * holds one.
 */
static void test_modes(void)
{
	struct store *s = open_store("m0", STORE_CREATE);
	struct store_writer *w;
	struct digest id, plain, want, bid;
	struct modes m = { 0, 0 };
	struct buf enc = BUF_INIT;
	unsigned char u[8];
	mode_t old = umask(022);

	if (!s)
		return;
	mkdir(path("m"), 0755);
	mkdir(path("m/pdir"), 0700);
	mkdir(path("m/sub"), 0755);
	CHECK_INT(write_file(path("m/pub"), "p", 1), 0);
	CHECK_INT(write_file(path("m/priv"), "q", 1), 0);
	CHECK_INT(write_file(path("m/tool"), "t", 1), 0);
	CHECK_INT(write_file(path("m/ptool"), "u", 1), 0);
	CHECK_INT(write_file(path("m/pdir/f"), "f", 1), 0);
	CHECK_INT(write_file(path("m/sub/x"), "x", 1), 0);
	chmod(path("m/pub"), 0644);
	chmod(path("m/priv"), 0600);
	chmod(path("m/tool"), 0755);
	chmod(path("m/ptool"), 0700);
	chmod(path("m/pdir/f"), 0600);
	chmod(path("m/sub/x"), 0640);	/* group may read: not owner-only */
	mkdir(path("one"), 0755);
	CHECK_INT(write_file(path("one/a"), "x", 1), 0);
	chmod(path("one/a"), 0644);

	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_tree(w, path("one"), &plain, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(schema_of(s), 1);
	/* The schema 1 encoding, by hand: the same id as ever. */
	buf_add(&enc, "cairn tree 1\n", 13);
	put_u32(u, 1);
	buf_add(&enc, u, 4);
	buf_addc(&enc, 'f');
	put_u64(u, 1);
	buf_add(&enc, u, 8);
	sha256("x", 1, &want);
	buf_add(&enc, want.b, DIGEST_LEN);
	put_u32(u, 1);
	buf_add(&enc, u, 4);
	buf_addc(&enc, 'a');
	sha256(enc.data, enc.len, &want);
	CHECK(digest_eq(&plain, &want));
	buf_release(&enc);

	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_tree(w, path("m"), &id, &e), 0);
	CHECK_INT(store_put_bytes(w, "secret", 6, &bid, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(schema_of(s), 2);
	CHECK_INT(store_tree_walk(s, &id, on_mode, &m, &e), 0);
	CHECK_INT(m.priv, 4);	/* priv, ptool, pdir, pdir/f */
	CHECK_INT(m.exec, 2);	/* tool, ptool */

	CHECK_INT(store_materialize(s, &id, path("m2"), 0, &e), 0);
	CHECK_INT(mode_at("m2/pub"), 0644);
	CHECK_INT(mode_at("m2/priv"), 0600);
	CHECK_INT(mode_at("m2/tool"), 0755);
	CHECK_INT(mode_at("m2/ptool"), 0700);
	CHECK_INT(mode_at("m2/pdir"), 0700);
	CHECK_INT(mode_at("m2/pdir/f"), 0600);
	CHECK_INT(mode_at("m2/sub"), 0755);
	CHECK_INT(mode_at("m2/sub/x"), 0644);
	CHECK_INT(mode_at("m2"), 0755);
	/* A umask of 0 widens what it may, never an owner-only file. */
	umask(0);
	CHECK_INT(store_materialize(s, &id, path("m3"), STORE_MODE_PRIVATE,
				    &e), 0);
	CHECK_INT(mode_at("m3"), 0700);
	CHECK_INT(mode_at("m3/pub"), 0666);
	CHECK_INT(mode_at("m3/priv"), 0600);
	CHECK_INT(mode_at("m3/tool"), 0777);
	CHECK_INT(mode_at("m3/ptool"), 0700);
	CHECK_INT(mode_at("m3/pdir/f"), 0600);
	CHECK_INT(store_materialize(s, &bid, path("b1"), STORE_MODE_PRIVATE,
				    &e), 0);
	CHECK_INT(mode_at("b1"), 0600);
	CHECK_INT(store_materialize(s, &bid, path("b2"),
				    STORE_MODE_PRIVATE | STORE_MODE_EXEC, &e),
		  0);
	CHECK_INT(mode_at("b2"), 0700);
	CHECK_INT(store_materialize(s, &bid, path("b3"), 0, &e), 0);
	CHECK_INT(mode_at("b3"), 0666);
	umask(old);
	CHECK_INT(store_mode_of(S_IFREG | 0600), STORE_MODE_PRIVATE);
	CHECK_INT(store_mode_of(S_IFREG | 0750), STORE_MODE_EXEC);
	CHECK_INT(store_mode_of(S_IFDIR | 0700), STORE_MODE_PRIVATE);
	CHECK_INT(store_mode_of(S_IFREG | 0644), 0);
	store_close(s);
}

/* A root may name a content id (an alias), as a lock file's root does
 * for an HDF5 output; gc keeps the blob behind it. */
static void test_alias_root(void)
{
	struct store *s = open_store("a1", STORE_CREATE);
	struct store_writer *w;
	struct store_gc_result gr;
	struct store_object o;
	struct digest blob, alias;

	if (!s)
		return;
	sha256("content", 7, &alias);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, "bytes", 5, &blob, &e), 0);
	CHECK_INT(store_put_alias(w, &alias, &blob, &e), 0);
	CHECK_INT(store_set_root(w, "lock:x", &alias, 1, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_gc(s, 0, 0, NULL, NULL, &gr, &e), 0);
	CHECK_INT(store_lookup(s, &blob, &o), 0);
	CHECK_INT(store_lookup(s, &alias, &o), 0);
	store_close(s);
}

/* LMDB's errors are named; a full disk in lower case. */
static void test_messages(void)
{
	CHECK_INT(store_fail(&e, MDB_MAP_FULL, "cannot write to store '%s'",
			     "x"),
		  STORE_LMDB);
	CHECK_STR(e.msg, "cannot write to store 'x': MDB_MAP_FULL: "
			 "Environment mapsize limit reached");
	CHECK_INT(store_fail(&e, ENOSPC, "cannot commit to store '%s'", "x"),
		  ENOSPC);
	CHECK_STR(e.msg, "cannot commit to store 'x': no space left on device");
}

/* ---- issue 13: gc and runs in progress, run logs, fsck's keys ---- */

struct live_seen {
	int alive, stale;
	char what[64];
};

static int on_live_entry(const struct store_live *l, void *ctx)
{
	struct live_seen *ls = ctx;

	if (l->alive) {
		ls->alive++;
		snprintf(ls->what, sizeof(ls->what), "%.*s", (int)l->whatlen,
			 l->what);
	} else {
		ls->stale++;
	}
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Record a run of key k at time t making out (payload p). */
static void put_run_at(struct store *s, const char *k, int64_t t,
		       const struct digest *out, const char *p,
		       struct digest *id)
{
	struct store_writer *w;
	struct store_run r;

	memset(&r, 0, sizeof(r));
	sha256(k, strlen(k), &r.key);
	r.time_ns = t;
	r.outputs = out;
	r.noutputs = out ? 1 : 0;
	r.payload = p;
	r.len = strlen(p);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_run(w, &r, id, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
}

/*
 * While a run is in progress (its mark in the live table), gc --max-size
 * evicts no run recorded since it began and removes no object; a dead
 * process's mark (exited, or its pid taken by a later process) is stale
 * and removed; after the mark ends, gc does what it always did.
 */
static void test_live(void)
{
	struct store *s = open_store("s9", STORE_CREATE);
	struct store_gc_result gr;
	struct store_object o;
	struct live_seen ls;
	struct digest loose, old_out, new_out, old_run, new_run;
	int64_t mark, mark2;
	pid_t pid;
	int status = -1;

	if (!s)
		return;
	blobs(s, &loose, 1, 100);
	blobs(s, &old_out, 1, 3000);
	blobs(s, &new_out, 1, 3000);
	put_run_at(s, "old", 1000, &old_out, "{}", &old_run);
	store_close(s);
	/* A run that died without ending its mark. */
	pid = fork();
	if (pid == 0) {
		struct store *cs;
		struct err ce;
		int64_t m;
		_exit(store_open(path("s9"), 0, &cs, &ce) ||
		      store_live_begin(cs, "run /dead", &m, &ce));
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s = open_store("s9", 0);
	if (!s)
		return;
	CHECK_INT(store_live_begin(s, "run /here", &mark, &e), 0);
	/* Two begins in one process have two marks. */
	CHECK_INT(store_live_begin(s, "verify /here", &mark2, &e), 0);
	CHECK(mark2 != mark);
	CHECK_INT(store_live_end(s, mark2, &e), 0);
	CHECK_INT(store_live_end(s, mark2, &e), 0);	/* gone: fine */
	/* A mark of this pid from an earlier process (another start time):
	 * stale too.  Copied from ours with the start time changed. */
	{
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k, v, nk;
		unsigned char key[12], val[512];

		CHECK_INT(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_cursor_open(txn, s->live, &cur), 0);
		CHECK_INT(mdb_cursor_get(cur, &k, &v, MDB_LAST), 0);
		CHECK(k.mv_size == 12 && v.mv_size <= sizeof(val));
		memcpy(key, k.mv_data, 12);
		memcpy(val, v.mv_data, v.mv_size);
		key[7] ^= 1;
		val[5] ^= 0xff;
		nk.mv_size = 12;
		nk.mv_data = key;
		k.mv_data = val;
		k.mv_size = v.mv_size;
		mdb_cursor_close(cur);
		CHECK_INT(mdb_put(txn, s->live, &nk, &k, 0), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		store_read_refresh(s);
	}
	memset(&ls, 0, sizeof(ls));
	CHECK_INT(store_live_walk(s, on_live_entry, &ls, &e), 0);
	CHECK_INT(ls.alive, 1);
	CHECK_INT(ls.stale, 2);
	CHECK_STR(ls.what, "run /here");
	put_run_at(s, "new", now_ns(), &new_out, "{}", &new_run);
	/* A dry run removes nothing, the stale marks included. */
	CHECK_INT(store_gc(s, 1, 1, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.live, 1);
	CHECK_INT(gr.stale, 2);
	CHECK_INT(store_gc(s, 0, 1, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.live, 1);
	CHECK_INT(gr.stale, 2);
	/* The old run may go (a record only); the new one stays, and no
	 * object is removed: the loose blob and the old output are held. */
	CHECK_INT(gr.runs, 1);
	CHECK_INT(gr.blobs + gr.trees + gr.chunks, 0);
	CHECK_INT(gr.held, 2);
	CHECK_INT(store_lookup(s, &new_run, &o), 0);
	CHECK_INT(store_lookup(s, &old_run, &o), STORE_NOTFOUND);
	CHECK_INT(store_lookup(s, &loose, &o), 0);
	CHECK_INT(store_lookup(s, &old_out, &o), 0);
	CHECK_INT(store_lookup(s, &new_out, &o), 0);
	memset(&ls, 0, sizeof(ls));
	CHECK_INT(store_live_walk(s, on_live_entry, &ls, &e), 0);
	CHECK_INT(ls.alive, 1);
	CHECK_INT(ls.stale, 0);
	/* Ended: everything unprotected goes. */
	CHECK_INT(store_live_end(s, mark, &e), 0);
	CHECK_INT(store_gc(s, 0, 1, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.live, 0);
	CHECK_INT(gr.runs, 1);
	CHECK_INT(gr.held, 0);
	CHECK_INT(store_lookup(s, &new_run, &o), STORE_NOTFOUND);
	CHECK_INT(store_lookup(s, &loose, &o), STORE_NOTFOUND);
	CHECK_INT(store_lookup(s, &new_out, &o), STORE_NOTFOUND);
	store_close(s);
	/* Read-only, the table of an older store is simply empty. */
	s = open_store("s9", STORE_RDONLY);
	if (s) {
		CHECK_INT(store_live_begin(s, "x", &mark, &e), STORE_BADARG);
		store_close(s);
	}
}

/* The engine's payload names the log: {"log": "HEX"}. */
static size_t log_ref(const struct store_run *r, struct digest *ids,
		      size_t max, void *ctx)
{
	const char *p = memchr(r->payload, ':', r->len);
	char hex[DIGEST_HEX + 1];

	(void)ctx;
	if (!max || !p || r->len < (size_t)(p - (const char *)r->payload) + 3 +
						 DIGEST_HEX)
		return 0;
	memcpy(hex, p + 3, DIGEST_HEX);
	hex[DIGEST_HEX] = '\0';
	return digest_parse(hex, &ids[0]) == 0;
}

static void one_group(const struct store_run *r, struct buf *label,
		      void *ctx)
{
	(void)r, (void)ctx;
	buf_adds(label, "g");
}

struct found {
	int n;
	char db[16], key[80], problem[160];
};

static void on_found(const struct store_finding *f, void *ctx)
{
	struct found *x = ctx;

	x->n++;
	snprintf(x->db, sizeof(x->db), "%s", f->db);
	snprintf(x->key, sizeof(x->key), "%s", f->key);
	snprintf(x->problem, sizeof(x->problem), "%s",
		 f->problem ? f->problem : "");
}

/* gc keeps the log of every run it keeps (and drops an evicted run's);
 * fsck reports a run whose log is missing, and --repair removes it. */
static void test_run_logs(void)
{
	struct store *s = open_store("s10", STORE_CREATE);
	const struct store_run_refs refs = { log_ref, NULL, "log" };
	struct store_gc_keep keep = { 1, one_group, NULL, &refs };
	struct store_gc_result gr;
	struct store_fsck_result fr;
	struct store_object o;
	struct found f;
	struct digest logs[3], out, runs[3];
	char hex[DIGEST_HEX + 1], payload[128], want[200];
	int i;

	if (!s)
		return;
	blobs(s, logs, 3, 50);
	blobs(s, &out, 1, 50);
	/* Run 0 is old, run 1 and the failed run 2 are the last of their
	 * groups ... all one group, keep 1: only run 2 (newest) and run 1
	 * (rooted) stay. */
	for (i = 0; i < 3; i++) {
		digest_hex(&logs[i], hex);
		snprintf(payload, sizeof(payload), "{\"log\": \"%s\"}", hex);
		put_run_at(s, i == 2 ? "k2" : "k", 1000 + i, i < 2 ? &out : NULL,
			   payload, &runs[i]);
	}
	{
		struct store_writer *w;
		CHECK_INT(store_writer_new(s, &w, &e), 0);
		CHECK_INT(store_set_root(w, "lock", &out, 1, &e), 0);
		CHECK_INT(store_writer_commit(w, &e), 0);
	}
	CHECK_INT(store_fsck_refs(s, 0, &refs, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	CHECK_INT(store_gc_keep(s, 0, 0, &keep, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.runs, 0);		/* runs 0 and 1 are protected */
	CHECK_INT(gr.blobs, 0);
	for (i = 0; i < 3; i++)
		CHECK_INT(store_lookup(s, &logs[i], &o), 0);
	/* Unrooted, run 0 and run 1 are beyond keep-runs: their logs go
	 * with them, the kept run's stays. */
	{
		struct store_writer *w;
		CHECK_INT(store_writer_new(s, &w, &e), 0);
		CHECK_INT(store_remove_root(w, "lock", &e), 0);
		CHECK_INT(store_writer_commit(w, &e), 0);
	}
	CHECK_INT(store_gc_keep(s, 0, 0, &keep, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.runs, 2);
	CHECK_INT(store_lookup(s, &logs[0], &o), STORE_NOTFOUND);
	CHECK_INT(store_lookup(s, &logs[1], &o), STORE_NOTFOUND);
	CHECK_INT(store_lookup(s, &logs[2], &o), 0);
	CHECK_INT(store_fsck_refs(s, 0, &refs, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	store_close(s);

	/* The kept run's log removed behind the store's back. */
	{
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = { DIGEST_LEN, logs[2].b };

		CHECK_INT(mdb_env_create(&env), 0);
		mdb_env_set_maxdbs(env, 16);
		CHECK_INT(mdb_env_open(env, path("s10"), 0, 0664), 0);
		CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_dbi_open(txn, "blobs", 0, &dbi), 0);
		CHECK_INT(mdb_del(txn, dbi, &k, NULL), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
	}
	s = open_store("s10", 0);
	if (!s)
		return;
	/* Without refs the store cannot know; with them fsck says so. */
	CHECK_INT(store_fsck(s, 0, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	memset(&f, 0, sizeof(f));
	CHECK_INT(store_fsck_refs(s, 0, &refs, on_found, &f, &fr, &e), 0);
	CHECK_INT(fr.damaged, 1);
	CHECK_STR(f.db, "runs");
	digest_hex(&runs[2], hex);
	CHECK_STR(f.key, hex);
	digest_hex(&logs[2], hex);
	snprintf(want, sizeof(want), "its log %s is missing", hex);
	CHECK_STR(f.problem, want);
	/* Repair removes the run (it names bytes that are gone) and its
	 * index entries; then the store is clean. */
	CHECK_INT(store_fsck_refs(s, 1, &refs, NULL, NULL, &fr, &e), 0);
	CHECK(fr.repaired >= 1);
	CHECK_INT(store_lookup(s, &runs[2], &o), STORE_NOTFOUND);
	CHECK_INT(store_fsck_refs(s, 0, &refs, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	store_close(s);
}

/* fsck prints a damaged key as hex, never as raw bytes; a root's name
 * as it is when it is plain text. */
static void test_fsck_keys(void)
{
	struct store *s = open_store("s11", STORE_CREATE);
	struct store_fsck_result fr;
	struct found f;
	MDB_txn *txn;
	MDB_val k, v = { 1, (void *)"x" };

	if (!s)
		return;
	CHECK_INT(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	k.mv_size = 5;
	k.mv_data = (void *)"\x01" "b\x1b[\xff";
	CHECK_INT(mdb_put(txn, s->roots, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	store_read_refresh(s);
	memset(&f, 0, sizeof(f));
	CHECK_INT(store_fsck(s, 0, on_found, &f, &fr, &e), 0);
	CHECK_INT(f.n, 1);
	CHECK_STR(f.key, "0x01621b5bff");
	CHECK_INT(store_fsck(s, 1, NULL, NULL, &fr, &e), 0);
	CHECK_INT(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	k.mv_size = 9;
	k.mv_data = (void *)"lock:/h\xc3\xa9";	/* "lock:/hé" */
	CHECK_INT(mdb_put(txn, s->roots, &k, &v, 0), 0);
	k.mv_size = 3;
	k.mv_data = (void *)"abc";
	CHECK_INT(mdb_put(txn, s->blobs, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	store_read_refresh(s);
	memset(&f, 0, sizeof(f));
	CHECK_INT(store_fsck(s, 0, on_found, &f, &fr, &e), 0);
	CHECK_INT(f.n, 2);
	CHECK_STR(f.key, "lock:/h\xc3\xa9");	/* roots come after blobs */
	CHECK_INT(store_fsck(s, 1, NULL, NULL, &fr, &e), 0);
	CHECK_INT(store_fsck(s, 0, on_found, &f, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	store_close(s);
}

/* ---- issue 20: the promises no test stated ---- */

/*
 * The chunk format rebuilt from docs/store-format.md alone: the gear table
 * from its splitmix64 recipe, the two masks from log2(chunk_avg) +- 2.  Cut
 * points must agree exactly, so a reimplementation that follows the doc
 * deduplicates against this store.
 */
static size_t doc_chunk(const struct chunk_params *p, const uint64_t *gear,
			const unsigned char *d, size_t n)
{
	int bits = 0;
	uint64_t h = 0, hard, easy;
	size_t i, end = n < p->max ? n : p->max;

	while (((size_t)1 << bits) < p->avg)
		bits++;
	hard = ~(uint64_t)0 << (64 - (bits + 2));
	easy = ~(uint64_t)0 << (64 - (bits - 2));
	if (n <= p->min)
		return n;
	for (i = p->min; i < end; i++) {
		h = (h << 1) + gear[d[i]];
		if (!(h & (i < p->avg ? hard : easy)))
			return i + 1;
	}
	return end;
}

static void test_chunk_format(void)
{
	static const struct chunk_params ps[] = {
		{ CHUNK_MIN_DEFAULT, CHUNK_AVG_DEFAULT, CHUNK_MAX_DEFAULT },
		{ 256, 4096, 16384 },
		{ 64, 256, 1024 },
	};
	const size_t n = (size_t)24 << 20;
	unsigned char *d = malloc(n);
	uint64_t gear[256], x = 0x6361697266eull;
	size_t k, off, cuts;
	int i;

	for (i = 0; i < 256; i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		gear[i] = z ^ (z >> 31);
		if (chunk_gear(i) != gear[i])
			break;
	}
	CHECK_INT(i, 256);
	fill(d, n);
	for (k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		size_t len = k ? n / 8 : n, bad = 0;

		for (off = 0, cuts = 0; off < len; cuts++) {
			size_t a = chunk_next(&ps[k], d + off, len - off);
			size_t b = doc_chunk(&ps[k], gear, d + off, len - off);
			bad += a != b;
			off += a;
		}
		CHECK_INT(bad, 0);
		CHECK(cuts > len / ps[k].max);
	}
	free(d);
}

static void on_finding_why(const struct store_finding *f, void *ctx)
{
	snprintf(ctx, 200, "%s %s", f->db, f->problem);
}

/*
 * fsck hashes a chunked blob's chunks together: sound chunks listed
 * under an id they do not hash to are damage (a record copied under the
 * wrong key), and repair removes that record and nothing else.
 */
static void test_fsck_wrong_id(void)
{
	struct store *s = open_store("s20f", STORE_CREATE);
	const size_t n = (size_t)3 << 20;
	unsigned char *d = malloc(n);
	struct store_fsck_result fr;
	struct store_writer *w;
	struct digest id, other;
	struct store_object o;
	MDB_val k, v;
	MDB_txn *txn;
	char why[200] = "";

	if (!s)
		return;
	fill(d, n);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, d, n, &id, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_lookup(s, &id, &o), 0);
	other = id;
	other.b[0] ^= 1;
	store_idle(s);
	CHECK_INT(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
	k.mv_size = DIGEST_LEN;
	k.mv_data = id.b;
	CHECK_INT(mdb_get(txn, s->blobs, &k, &v), 0);
	k.mv_data = other.b;
	CHECK_INT(mdb_put(txn, s->blobs, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	store_read_refresh(s);
	CHECK(chunk_of(s, &other, 1, &(struct digest){ 0 },
		       &(uint32_t){ 0 }) == 0);	/* chunked, not inline */
	CHECK_INT(store_fsck(s, 0, on_finding_why, why, &fr, &e), 0);
	CHECK_INT(fr.damaged, 1);
	CHECK_STR(why, "blobs bytes do not hash to the id");
	CHECK_INT(store_fsck(s, 1, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.repaired, 1);
	CHECK_INT(store_lookup(s, &other, &o), STORE_NOTFOUND);
	CHECK_INT(store_materialize(s, &id, path("s20f-out"), 0, &e), 0);
	CHECK(same_file(path("s20f-out"), d, n));
	CHECK_INT(store_fsck(s, 0, NULL, NULL, &fr, &e), 0);
	CHECK_INT(fr.damaged, 0);
	store_close(s);
	free(d);
}

/*
 * The writer's hold (what store_put_run uses so that a run record, its
 * action pair and its lineage commit together): inside it no put
 * commits, however far past STORE_BATCH the transaction grows.
 */
static void test_writer_hold(void)
{
	struct store *s = open_store("s20h", STORE_CREATE);
	const size_t vlen = (size_t)1 << 20, count = STORE_BATCH / vlen + 2;
	unsigned char *val = calloc(1, vlen);
	struct store_writer *w;
	char key[32];
	MDB_val k, v;
	MDB_txn *txn;
	size_t i;

	if (!s)
		return;
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(writer_txn(w, count * vlen + (4 << 20), &e), 0);
	w->hold++;
	for (i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "hold-%zu", i);
		CHECK_INT(writer_put(w, s->meta, key, strlen(key), val, vlen,
				     &e), 0);
	}
	CHECK(w->pending >= count * vlen);
	w->hold--;
	store_writer_abort(w);
	/* Nothing of the held section was committed. */
	CHECK_INT(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), 0);
	k.mv_size = 6;
	k.mv_data = (void *)"hold-0";
	CHECK_INT(mdb_get(txn, s->meta, &k, &v), MDB_NOTFOUND);
	mdb_txn_abort(txn);
	store_close(s);
	free(val);
}

static int on_tree_order(const struct store_tree_entry *en, void *ctx)
{
	char *last = ctx;

	if (last[0] && strcmp(last, en->path) >= 0)
		last[255] = 1;	/* out of byte order */
	snprintf(last, 255, "%s", en->path);
	return 0;
}

/*
 * A tree's entries are in byte order of their paths, however the folder
 * lists them: two folders made in opposite orders have one id, and a walk
 * sees the paths sorted.
 */
static void test_tree_order(void)
{
	struct store *s = open_store("s20t", STORE_CREATE);
	struct store_writer *w;
	struct digest a, b;
	char name[64], last[256];
	int i;

	if (!s)
		return;
	mkdir(path("t20a"), 0777);
	mkdir(path("t20b"), 0777);
	for (i = 0; i < 24; i++) {
		snprintf(name, sizeof(name), "t20a/f%02d-%x", i, i * 7919);
		CHECK_INT(write_file(path(name), name + 5, strlen(name + 5)), 0);
		snprintf(name, sizeof(name), "t20b/f%02d-%x", 23 - i,
			 (23 - i) * 7919);
		CHECK_INT(write_file(path(name), name + 5, strlen(name + 5)), 0);
	}
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_tree(w, path("t20a"), &a, &e), 0);
	CHECK_INT(store_put_tree(w, path("t20b"), &b, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK(digest_eq(&a, &b));
	memset(last, 0, sizeof(last));
	CHECK_INT(store_tree_walk(s, &a, on_tree_order, last, &e), 0);
	CHECK_INT(last[255], 0);
	snprintf(name, sizeof(name), "f23-%x", 23 * 7919);
	CHECK_STR(last, name);
	store_close(s);
}

/* A run is recorded only when every output is stored, the last too. */
static void test_run_outputs(void)
{
	struct store *s = open_store("s20r", STORE_CREATE);
	struct store_writer *w;
	struct store_run r;
	struct digest out[3], key, run;
	int i;

	if (!s)
		return;
	memset(&r, 0, sizeof(r));
	memset(&key, 0x42, sizeof(key));
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	for (i = 0; i < 2; i++) {
		char c = (char)('a' + i);
		CHECK_INT(store_put_bytes(w, &c, 1, &out[i], &e), 0);
	}
	out[2] = out[1];
	out[2].b[31] ^= 1;
	r.key = key;
	r.outputs = out;
	r.noutputs = 3;
	r.payload = "{\"exit\": 0}";
	r.len = 11;
	CHECK_INT(store_put_run(w, &r, &run, &e), STORE_NOTFOUND);
	CHECK(strstr(e.msg, "is not in the store") != NULL);
	store_writer_abort(w);
	store_close(s);
}

/* KiB of file f's mappings resident in this process (smaps), -1 when
 * /proc cannot say. */
static long mapped_kib(const char *f)
{
	char line[1024];
	FILE *m = fopen("/proc/self/smaps", "r");
	size_t n = strlen(f);
	long kib = 0, v;
	int in = 0;

	if (!m)
		return -1;
	while (fgets(line, sizeof(line), m)) {
		size_t len = strcspn(line, "\n");
		if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' '))
			in = len >= n && !memcmp(line + len - n, f, n);
		else if (in && sscanf(line, "Rss: %ld", &v) == 1)
			kib += v;
	}
	fclose(m);
	return kib;
}

/*
 * The store's pages a process reads or writes through do not stay in its
 * resident memory: a commit lets them go, and so does store_drop_pages;
 * what was read through them reads the same after.  (A run of 10^6
 * stages ended with its whole 1.8 GiB store counted in its RSS.)
 */
static void test_drop_pages(void)
{
	struct store *s = open_store("s20d", STORE_CREATE);
	enum { N = 3000 };
	struct digest *ids = calloc(N, sizeof(*ids)), one;
	struct store_writer *w;
	struct store_object o;
	unsigned char val[700];
	char *data = path("s20d/data.mdb");
	int i, found = 0;

	if (!s || mapped_kib(data) < 0) {
		CHECK(s != NULL);
		free(ids);
		if (s)
			store_close(s);
		return;
	}
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	for (i = 0; i < N; i++) {
		fill(val, sizeof(val));
		CHECK_INT(store_put_bytes(w, val, sizeof(val), &ids[i], &e), 0);
	}
	CHECK_INT(store_writer_commit(w, &e), 0);
	for (i = 0; i < N; i++)
		found += store_lookup(s, &ids[i], &o) == 0;
	CHECK_INT(found, N);
	/* 2 MB read through the map: resident now. */
	CHECK(mapped_kib(data) > 512);
	store_drop_pages(s);
	CHECK(mapped_kib(data) < 64);
	for (i = found = 0; i < N; i++)
		found += store_lookup(s, &ids[i], &o) == 0 && o.size == 700;
	CHECK_INT(found, N);
	CHECK(mapped_kib(data) > 512);
	/* A commit lets them go too. */
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, "x", 1, &one, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK(mapped_kib(data) < 64);
	CHECK_INT(store_lookup(s, &one, &o), 0);
	store_close(s);
	free(ids);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_sha();
	test_chunker();
	test_roundtrip();
	test_trees();
	test_growth_and_compression();
	test_prefixes();
	test_jobs();
	test_open_checks();
	test_fsck_gc();
	test_runs();
	test_damaged_reads();
	test_half_made();
	test_modes();
	test_messages();
	test_alias_root();
	test_live();
	test_run_logs();
	test_fsck_keys();
	test_chunk_format();
	test_fsck_wrong_id();
	test_writer_hold();
	test_tree_order();
	test_run_outputs();
	test_drop_pages();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return check_done("test_store");
}
