/*
 * The store as a remote cache sees it (store/store_raw*.c,
 * store/store_remote.c): raw records out of one store and into a fresh
 * one give equal ids and bytes and a clean fsck; the walk's push order;
 * every refusal of a wrong record, with its message and nothing stored;
 * the remotes table (mark, ask, forget, reopen, gc, fsck, older stores).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "store.h"
#include "store_internal.h"
#include "store_writer.h"

static char dir[] = "/tmp/cairn-test-store-raw-XXXXXX";
static struct err e;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p[i] = (unsigned char)(rng >> 56);
	}
}

static char *path(const char *name)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static int write_file(const char *p, const void *data, size_t n, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		return -1;
	if (write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	fchmod(fd, mode);
	return close(fd);
}

/* The whole file at p equals data[0..n). */
static int same_file(const char *p, const void *data, size_t n)
{
	struct buf b = BUF_INIT;
	int ok = buf_read_file(&b, p) == 0 && b.len == n &&
		 !memcmp(b.data, data, n);

	buf_release(&b);
	return ok;
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

static const struct store_run_refs refs = { log_ref, NULL, "log" };

static int fsck_damaged(struct store *s)
{
	struct store_fsck_result fr;

	CHECK_INT(store_fsck_refs(s, 0, &refs, NULL, NULL, &fr, &e), 0);
	return (int)fr.damaged;
}

/* ---- what store A holds ---- */

#define BIG ((size_t)6 << 20)
#define SMALL 1000
#define DEEP 300000

struct source {
	unsigned char *big, *small, *deep, *log;
	struct digest big_id, small_id, deep_id, tree, alias, alias_blob,
		log_id, run, failed_run;
};

/*
 * Store A: small chunks, zstd on.  A 6 MiB blob with a MiB of zeros in
 * the middle (the same chunk many times, compressed), a small blob, a
 * tree (subfolders, an executable, a link, an empty folder, an owner-only
 * file), an alias, a run making all of them with a log, and a failed run.
 */
static struct store *make_source(struct source *src)
{
	struct store *s = open_store("a", STORE_CREATE);
	struct store_config cfg;
	struct store_writer *w;
	struct store_run r;
	struct digest outs[3], ins[2];
	char payload[128], hex[DIGEST_HEX + 1];

	if (!s)
		return NULL;
	CHECK_INT(store_config_get(s, &cfg), 0);
	cfg.compression = STORE_COMPRESS_ZSTD;
	cfg.chunk_min = 16384;
	cfg.chunk_avg = 65536;
	cfg.chunk_max = 262144;
	CHECK_INT(store_config_set(s, &cfg, &e), 0);
	src->big = malloc(BIG);
	fill(src->big, BIG);
	memset(src->big + (2 << 20), 0, 1 << 20);
	src->small = malloc(SMALL);
	fill(src->small, SMALL);
	src->deep = malloc(DEEP);
	fill(src->deep, DEEP);
	src->log = (unsigned char *)"the stage's log\n";

	mkdir(path("t"), 0755);
	mkdir(path("t/sub"), 0755);
	mkdir(path("t/sub/deep"), 0755);
	mkdir(path("t/empty"), 0755);
	CHECK_INT(write_file(path("t/a.txt"), src->small, SMALL, 0644), 0);
	CHECK_INT(write_file(path("t/run.sh"), "#!/bin/sh\necho hi\n", 18, 0755),
		  0);
	CHECK_INT(write_file(path("t/sub/deep/b.bin"), src->deep, DEEP, 0644),
		  0);
	CHECK_INT(write_file(path("t/secret"), "key", 3, 0600), 0);
	CHECK_INT(symlink("deep/b.bin", path("t/sub/link")), 0);

	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, src->big, BIG, &src->big_id, &e), 0);
	CHECK_INT(store_put_bytes(w, src->small, SMALL, &src->small_id, &e), 0);
	CHECK_INT(store_put_bytes(w, src->log, strlen((char *)src->log),
				  &src->log_id, &e),
		  0);
	CHECK_INT(store_put_tree(w, path("t"), &src->tree, &e), 0);
	sha256(src->deep, DEEP, &src->deep_id);
	sha256("logical content", 15, &src->alias);
	src->alias_blob = src->small_id;
	CHECK_INT(store_put_alias(w, &src->alias, &src->alias_blob, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);

	outs[0] = src->tree;
	outs[1] = src->big_id;
	outs[2] = src->alias;
	sha256("input 1", 7, &ins[0]);
	sha256("input 2", 7, &ins[1]);
	digest_hex(&src->log_id, hex);
	snprintf(payload, sizeof(payload), "{\"log\": \"%s\"}", hex);
	memset(&r, 0, sizeof(r));
	sha256("the key", 7, &r.key);
	r.time_ns = 1700000000000000000ll;
	r.inputs = ins;
	r.ninputs = 2;
	r.outputs = outs;
	r.noutputs = 3;
	r.payload = payload;
	r.len = strlen(payload);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_run(w, &r, &src->run, &e), 0);
	r.outputs = NULL;
	r.noutputs = 0;
	r.time_ns++;
	r.failed = 1;
	CHECK_INT(store_put_run(w, &r, &src->failed_run, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(fsck_damaged(s), 0);
	return s;
}

static void free_source(struct source *src)
{
	free(src->big);
	free(src->small);
	free(src->deep);
}

/* Whether items[0..i) hold named (as the kinds that can stand for it). */
static int before(const struct store_raw_item *items, size_t i,
		  const struct store_raw_item *named)
{
	size_t j;

	for (j = 0; j < i; j++) {
		enum store_raw_kind k = items[j].kind;
		int fits;

		if (!digest_eq(&items[j].id, &named->id))
			continue;
		switch (named->kind) {
		case STORE_RAW_BLOB:
			fits = k == STORE_RAW_LIST || k == STORE_RAW_INLINE;
			break;
		case STORE_RAW_OBJECT:
			fits = k == STORE_RAW_LIST || k == STORE_RAW_INLINE ||
			       k == STORE_RAW_TREE || k == STORE_RAW_ALIAS;
			break;
		default:
			fits = k == named->kind;
		}
		if (fits)
			return 1;
	}
	return 0;
}

/*
 * Every item comes after everything it names, no item twice, kinds in
 * push order.  Returns how many items break a rule.
 */
static int check_order(struct store *s, const struct store_raw_item *items,
		       size_t n)
{
	struct buf raw = BUF_INIT;
	size_t i, j;
	int bad = 0;

	for (i = 0; i < n; i++) {
		struct store_raw_item *named;
		size_t nn;

		if (i && items[i].kind < items[i - 1].kind)
			bad++;
		for (j = 0; j < i; j++)
			if (items[j].kind == items[i].kind &&
			    digest_eq(&items[j].id, &items[i].id))
				bad++;
		if (store_raw_get(s, items[i].kind, &items[i].id, &raw, &e)) {
			bad++;
			continue;
		}
		if (items[i].size != raw.len)
			bad++;
		CHECK_INT(store_raw_names(items[i].kind, &items[i].id, raw.data,
					  raw.len, &refs, &named, &nn, &e),
			  0);
		for (j = 0; j < nn; j++)
			if (!before(items, i, &named[j])) {
				char hex[DIGEST_HEX + 1];

				digest_hex(&named[j].id, hex);
				fprintf(stderr, "item %zu (%s) names %s, not "
						"before it\n",
					i, store_raw_kind_name(items[i].kind), hex);
				bad++;
			}
		free(named);
	}
	buf_release(&raw);
	return bad;
}

/* Every item from s into t, in order; the count of failures. */
static int copy_items(struct store *s, struct store *t,
		      const struct store_raw_item *items, size_t n)
{
	struct store_writer *w;
	struct buf raw = BUF_INIT;
	size_t i;
	int bad = 0;

	CHECK_INT(store_writer_new(t, &w, &e), 0);
	for (i = 0; i < n; i++) {
		int rc = store_raw_get(s, items[i].kind, &items[i].id, &raw, &e);

		if (!rc && items[i].kind == STORE_RAW_RUN)
			rc = store_raw_put_run(w, &items[i].id, raw.data, raw.len,
					       items[i].failed, &refs, &e);
		else if (!rc)
			rc = store_raw_put(w, items[i].kind, &items[i].id,
					   raw.data, raw.len, &e);
		if (rc) {
			fprintf(stderr, "copy of item %zu: %s\n", i, e.msg);
			bad++;
		}
	}
	CHECK_INT(store_writer_commit(w, &e), 0);
	buf_release(&raw);
	return bad;
}

static int count_kind(const struct store_raw_item *items, size_t n,
		      enum store_raw_kind kind)
{
	size_t i;
	int c = 0;

	for (i = 0; i < n; i++)
		c += items[i].kind == kind;
	return c;
}

static int find_item(const struct store_raw_item *items, size_t n,
		     enum store_raw_kind kind, const struct digest *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (items[i].kind == kind && digest_eq(&items[i].id, id))
			return (int)i;
	return -1;
}

struct run_seen {
	size_t nout, nin;
	struct buf payload;
};

static int on_run(const struct store_run *r, void *ctx)
{
	struct run_seen *rs = ctx;

	rs->nout = r->noutputs;
	rs->nin = r->ninputs;
	buf_add(&rs->payload, r->payload, r->len);
	return 0;
}

/* The blob id into a file, compared with data[0..n). */
static int cat_equals(struct store *s, const struct digest *id,
		      const void *data, size_t n)
{
	int fd = open(path("cat.out"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc;

	if (fd < 0)
		return 0;
	rc = store_cat(s, id, fd, &e);
	close(fd);
	return rc == 0 && same_file(path("cat.out"), data, n);
}

/*
 * store_raw_view hands out what store_raw_get does: a compressed chunk in
 * scratch; an uncompressed one where it lies in the map, unchanged while
 * other records are viewed, until store_idle.
 */
static void view_items(struct store *a, const struct store_raw_item *items,
		       size_t n, size_t *packed, size_t *in_map)
{
	struct buf got = BUF_INIT, scratch = BUF_INIT, copy = BUF_INIT;
	const void *first = NULL, *at;
	size_t at_n, i;

	*packed = *in_map = 0;
	for (i = 0; i < n; i++) {
		if (items[i].kind == STORE_RAW_ALIAS)
			continue;
		CHECK_INT(store_raw_get(a, items[i].kind, &items[i].id, &got,
					&e),
			  0);
		CHECK_INT(store_raw_view(a, items[i].kind, &items[i].id,
					 &scratch, &at, &at_n, &e),
			  0);
		CHECK(at_n == got.len && memcmp(at, got.data, at_n) == 0);
		if (items[i].kind != STORE_RAW_CHUNK)
			continue;
		if (at == scratch.data) {
			++*packed;
			continue;
		}
		if (!(*in_map)++) {
			first = at;
			buf_add(&copy, at, at_n);
		}
	}
	if (first)
		CHECK(memcmp(first, copy.data, copy.len) == 0);
	store_idle(a);
	buf_release(&got);
	buf_release(&scratch);
	buf_release(&copy);
}

static void test_view(struct store *a, const struct store_raw_item *items,
		      size_t n)
{
	struct store *v = open_store("v", STORE_CREATE);
	struct store_raw_item *vitems = NULL;
	struct store_writer *w;
	unsigned char *noise = malloc(BIG);
	size_t vn = 0, packed, in_map;
	struct digest id;
	FILE *f = fopen("/dev/urandom", "rb");

	/* The source's chunks compress. */
	view_items(a, items, n, &packed, &in_map);
	CHECK(packed > 1);
	/* Random bytes do not. */
	if (!v || !noise || !f || fread(noise, 1, BIG, f) != BIG) {
		CHECK(0);
		goto out;
	}
	CHECK_INT(store_writer_new(v, &w, &e), 0);
	CHECK_INT(store_put_bytes(w, noise, BIG, &id, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_raw_walk(v, &id, 1, NULL, NULL, NULL, &vitems, &vn,
				 &e),
		  0);
	view_items(v, vitems, vn, &packed, &in_map);
	CHECK_INT(packed, 0);
	CHECK(in_map > 1);
out:
	free(vitems);
	free(noise);
	if (f)
		fclose(f);
	store_close(v);
}

/*
 * A -> raw records -> a fresh B: the run (with its outputs and log) and
 * each kind of object arrive with equal ids and bytes; B's fsck is clean;
 * the walk put everything after what it names, each object once.
 */
static void test_roundtrip(struct store *a, const struct source *src)
{
	struct store *b = open_store("b", STORE_CREATE);
	struct store_raw_item *items = NULL;
	struct store_object o;
	struct run_seen rs;
	struct digest *runs;
	size_t n = 0, nruns;
	char target[64];
	struct stat st;
	ssize_t len;
	int i;

	if (!b)
		return;
	CHECK_INT(store_raw_walk(a, &src->run, 1, &refs, NULL, NULL, &items,
				 &n, &e),
		  0);
	/* One run, one tree, the alias; inline: the small blob (alias and
	 * a.txt share it), the log, run.sh, secret; lists: the big blob and
	 * b.bin. */
	CHECK_INT(count_kind(items, n, STORE_RAW_RUN), 1);
	CHECK_INT(count_kind(items, n, STORE_RAW_TREE), 1);
	CHECK_INT(count_kind(items, n, STORE_RAW_ALIAS), 1);
	CHECK_INT(count_kind(items, n, STORE_RAW_INLINE), 4);
	CHECK_INT(count_kind(items, n, STORE_RAW_LIST), 2);
	CHECK(count_kind(items, n, STORE_RAW_CHUNK) > 20);
	CHECK_INT(items[n - 1].kind, STORE_RAW_RUN);
	CHECK(digest_eq(&items[n - 1].id, &src->run));
	CHECK_INT(items[n - 1].failed, 0);
	i = find_item(items, n, STORE_RAW_ALIAS, &src->alias);
	CHECK(i >= 0 && digest_eq(&items[i].blob, &src->alias_blob));
	CHECK(find_item(items, n, STORE_RAW_INLINE, &src->log_id) >= 0);
	CHECK(find_item(items, n, STORE_RAW_LIST, &src->deep_id) >= 0);
	CHECK_INT(check_order(a, items, n), 0);
	test_view(a, items, n);

	CHECK_INT(copy_items(a, b, items, n), 0);
	/* Equal ids, equal bytes. */
	CHECK_INT(store_lookup(b, &src->run, &o), 0);
	CHECK_INT(o.kind, STORE_RUN);
	CHECK_INT(store_lookup(b, &src->tree, &o), 0);
	CHECK_INT(o.kind, STORE_TREE);
	CHECK(cat_equals(b, &src->big_id, src->big, BIG));
	CHECK(cat_equals(b, &src->small_id, src->small, SMALL));
	CHECK(cat_equals(b, &src->alias, src->small, SMALL));
	CHECK(cat_equals(b, &src->log_id, src->log, strlen((char *)src->log)));
	CHECK_INT(store_materialize(b, &src->tree, path("tb"), 0, &e), 0);
	CHECK(same_file(path("tb/a.txt"), src->small, SMALL));
	CHECK(same_file(path("tb/sub/deep/b.bin"), src->deep, DEEP));
	CHECK(same_file(path("tb/run.sh"), "#!/bin/sh\necho hi\n", 18));
	CHECK(stat(path("tb/run.sh"), &st) == 0 && (st.st_mode & S_IXUSR));
	CHECK(stat(path("tb/secret"), &st) == 0 && !(st.st_mode & 077));
	CHECK(stat(path("tb/empty"), &st) == 0 && S_ISDIR(st.st_mode));
	len = readlink(path("tb/sub/link"), target, sizeof(target) - 1);
	CHECK(len == 10 && !memcmp(target, "deep/b.bin", 10));
	/* The run is indexed as store_put_run indexes it. */
	memset(&rs, 0, sizeof(rs));
	buf_init(&rs.payload);
	CHECK_INT(store_get_run(b, &src->run, on_run, &rs, &e), 0);
	CHECK_INT(rs.nout, 3);
	CHECK_INT(rs.nin, 2);
	CHECK(strstr(rs.payload.data, "\"log\"") != NULL);
	buf_release(&rs.payload);
	{
		struct digest key;

		sha256("the key", 7, &key);
		CHECK_INT(store_action_runs(b, &key, &runs, &nruns, &e), 0);
		CHECK_INT(nruns, 1);
		CHECK(nruns == 1 && digest_eq(&runs[0], &src->run));
		free(runs);
	}
	CHECK_INT(fsck_damaged(b), 0);
	{
		struct store_fsck_result fr;

		CHECK_INT(store_fsck_refs(b, 0, &refs, NULL, NULL, &fr, &e), 0);
		CHECK_INT(fr.unreferenced_chunks, 0);
	}
	/* A second copy stores nothing new and refuses nothing. */
	CHECK_INT(copy_items(a, b, items, n), 0);
	CHECK_INT(fsck_damaged(b), 0);
	free(items);

	/* The failed run: flagged, and B keeps it out of the action cache. */
	CHECK_INT(store_raw_walk(a, &src->failed_run, 1, &refs, NULL, NULL,
				 &items, &n, &e),
		  0);
	CHECK_INT(n, 2);	/* its log, itself */
	CHECK(n == 2 && items[1].failed == 1 && items[0].kind == STORE_RAW_INLINE);
	CHECK_INT(copy_items(a, b, items, n), 0);
	free(items);
	{
		struct digest key;

		sha256("the key", 7, &key);
		CHECK_INT(store_action_runs(b, &key, &runs, &nruns, &e), 0);
		CHECK_INT(nruns, 1);
		free(runs);
	}
	CHECK_INT(store_lookup(b, &src->failed_run, &o), 0);
	CHECK_INT(fsck_damaged(b), 0);
	store_close(b);
}

/* Pieces of A's objects for the refusals. */
struct raw {
	struct buf chunk0, list, inline_, tree, run;
	struct digest chunk0_id;
};

/* A refused record: rc, a message that names id and says why, nothing
 * stored, the writer still usable. */
static void refused(struct store *c, struct store_writer *w, int rc,
		    int want, enum store_raw_kind kind, const struct digest *id,
		    const char *why)
{
	char hex[DIGEST_HEX + 1];

	digest_hex(id, hex);
	CHECK_INT(rc, want);
	CHECK(strstr(e.msg, hex) != NULL);
	CHECK(strstr(e.msg, "refused ") == e.msg);
	if (!strstr(e.msg, why))
		fprintf(stderr, "message '%s' lacks '%s'\n", e.msg, why);
	CHECK(strstr(e.msg, why) != NULL);
	(void)c;
	(void)kind;
	CHECK(!w->poisoned);
}

/* Flip byte at of b (a copy). */
static void flipped(struct buf *out, const struct buf *b, size_t at)
{
	buf_truncate(out, 0);
	buf_add(out, b->data, b->len);
	out->data[at] ^= 0x20;
}

/*
 * Every wrong record is refused with its message before anything is
 * stored: a flipped byte, a truncated record, a missing chunk, a tree
 * naming a missing blob, a link that escapes, entries out of order, a
 * run naming a missing output or log, an alias of a missing blob.
 * Afterwards the store is clean and holds none of them.
 */
static void test_refusals(struct store *a, const struct source *src)
{
	struct store *c = open_store("c", STORE_CREATE);
	struct store_writer *w;
	struct raw r;
	struct buf bad = BUF_INIT;
	struct digest cid, zero_id;
	uint32_t clen;
	struct blob_rec br;
	MDB_val v;
	int rc;

	if (!c)
		return;
	memset(&r, 0, sizeof(r));
	buf_init(&r.chunk0);
	buf_init(&r.list);
	buf_init(&r.inline_);
	buf_init(&r.tree);
	buf_init(&r.run);
	CHECK_INT(store_raw_get(a, STORE_RAW_LIST, &src->big_id, &r.list, &e), 0);
	v.mv_size = r.list.len;
	v.mv_data = r.list.data;
	CHECK_INT(blob_decode(&v, &br), 0);
	blob_chunk(&br, 0, &cid, &clen);
	r.chunk0_id = cid;
	CHECK_INT(store_raw_get(a, STORE_RAW_CHUNK, &cid, &r.chunk0, &e), 0);
	CHECK_INT(r.chunk0.len, clen);
	CHECK_INT(store_raw_get(a, STORE_RAW_INLINE, &src->small_id, &r.inline_,
				&e),
		  0);
	CHECK_INT(store_raw_get(a, STORE_RAW_TREE, &src->tree, &r.tree, &e), 0);
	CHECK_INT(store_raw_get(a, STORE_RAW_RUN, &src->run, &r.run, &e), 0);
	/* Kinds that are not the object's form. */
	CHECK_INT(store_raw_get(a, STORE_RAW_INLINE, &src->big_id, &bad, &e),
		  STORE_NOTFOUND);
	CHECK_INT(store_raw_get(a, STORE_RAW_LIST, &src->small_id, &bad, &e),
		  STORE_NOTFOUND);
	CHECK_INT(store_raw_get(a, STORE_RAW_TREE, &src->run, &bad, &e),
		  STORE_NOTFOUND);

	CHECK_INT(store_writer_new(c, &w, &e), 0);
	/* A chunk: a flipped byte, a truncated download. */
	flipped(&bad, &r.chunk0, 100);
	rc = store_raw_put(w, STORE_RAW_CHUNK, &cid, bad.data, bad.len, &e);
	refused(c, w, rc, STORE_MISMATCH, STORE_RAW_CHUNK, &cid,
		"its bytes do not hash to its id");
	rc = store_raw_put(w, STORE_RAW_CHUNK, &cid, r.chunk0.data,
			   r.chunk0.len - 1, &e);
	refused(c, w, rc, STORE_MISMATCH, STORE_RAW_CHUNK, &cid,
		"its bytes do not hash to its id");
	{
		char want[200], hex[DIGEST_HEX + 1];

		digest_hex(&cid, hex);
		snprintf(want, sizeof(want),
			 "refused chunk %s: its bytes do not hash to its id",
			 hex);
		CHECK_STR(e.msg, want);
	}
	CHECK_INT(store_raw_has(c, STORE_RAW_CHUNK, &cid), 0);
	/* Hashed by the caller: a hash that is not the id is refused the
	 * same way, nothing stored; the right one stores it. */
	{
		struct digest h;

		sha256(bad.data, bad.len, &h);
		rc = store_raw_put_hashed(w, STORE_RAW_CHUNK, &cid,
					  r.chunk0.data, r.chunk0.len, &h, &e);
		refused(c, w, rc, STORE_MISMATCH, STORE_RAW_CHUNK, &cid,
			"its bytes do not hash to its id");
		rc = store_raw_put_hashed(w, STORE_RAW_INLINE, &src->small_id,
					  r.inline_.data, r.inline_.len, &h,
					  &e);
		refused(c, w, rc, STORE_MISMATCH, STORE_RAW_INLINE,
			&src->small_id, "its bytes do not hash to its id");
		CHECK_INT(store_raw_has(c, STORE_RAW_CHUNK, &cid), 0);
		CHECK_INT(store_raw_has(c, STORE_RAW_BLOB, &src->small_id), 0);
	}
	/* An inline blob. */
	flipped(&bad, &r.inline_, 0);
	rc = store_raw_put(w, STORE_RAW_INLINE, &src->small_id, bad.data,
			   bad.len, &e);
	refused(c, w, rc, STORE_MISMATCH, STORE_RAW_INLINE, &src->small_id,
		"its bytes do not hash to its id");
	rc = store_raw_put(w, STORE_RAW_INLINE, &src->small_id, r.inline_.data,
			   r.inline_.len / 2, &e);
	refused(c, w, rc, STORE_MISMATCH, STORE_RAW_INLINE, &src->small_id,
		"its bytes do not hash to its id");
	/* A chunk list: truncated; its chunks missing; a length changed. */
	rc = store_raw_put(w, STORE_RAW_LIST, &src->big_id, r.list.data,
			   r.list.len - 1, &e);
	refused(c, w, rc, STORE_CORRUPT, STORE_RAW_LIST, &src->big_id,
		"its record is malformed");
	rc = store_raw_put(w, STORE_RAW_LIST, &src->big_id, r.list.data,
			   r.list.len, &e);
	refused(c, w, rc, STORE_NOTFOUND, STORE_RAW_LIST, &src->big_id,
		"is not in the store");
	CHECK(strstr(e.msg, "its chunk ") != NULL);
	/* With every chunk but the last here, the last is the one named. */
	{
		struct buf raw = BUF_INIT;
		struct digest last;
		char hex[DIGEST_HEX + 1];
		uint32_t i, l;

		for (i = 0; i + 1 < br.n; i++) {
			blob_chunk(&br, i, &last, &l);
			CHECK_INT(store_raw_get(a, STORE_RAW_CHUNK, &last, &raw, &e),
				  0);
			CHECK_INT(store_raw_put(w, STORE_RAW_CHUNK, &last, raw.data,
						raw.len, &e),
				  0);
		}
		blob_chunk(&br, br.n - 1, &last, &l);
		rc = store_raw_put(w, STORE_RAW_LIST, &src->big_id, r.list.data,
				   r.list.len, &e);
		digest_hex(&last, hex);
		refused(c, w, rc, STORE_NOTFOUND, STORE_RAW_LIST, &src->big_id,
			hex);
		CHECK_INT(store_raw_get(a, STORE_RAW_CHUNK, &last, &raw, &e), 0);
		CHECK_INT(store_raw_put(w, STORE_RAW_CHUNK, &last, raw.data,
					raw.len, &e),
			  0);
		buf_release(&raw);
	}
	/* All chunks here: a list whose lengths do not add up, one whose
	 * chunk length differs, one given under another id. */
	flipped(&bad, &r.list, 2);		/* the size */
	rc = store_raw_put(w, STORE_RAW_LIST, &src->big_id, bad.data, bad.len,
			   &e);
	refused(c, w, rc, STORE_CORRUPT, STORE_RAW_LIST, &src->big_id,
		"its chunks add up to");
	flipped(&bad, &r.list, 14 + 32);	/* chunk 0's length */
	rc = store_raw_put(w, STORE_RAW_LIST, &src->big_id, bad.data, bad.len,
			   &e);
	refused(c, w, rc, STORE_CORRUPT, STORE_RAW_LIST, &src->big_id,
		"bytes long");
	sha256("not the big blob", 16, &zero_id);
	rc = store_raw_put(w, STORE_RAW_LIST, &zero_id, r.list.data, r.list.len,
			   &e);
	refused(c, w, rc, STORE_MISMATCH, STORE_RAW_LIST, &zero_id,
		"its chunks' bytes do not hash to its id");
	CHECK_INT(store_raw_has(c, STORE_RAW_BLOB, &src->big_id), 0);
	CHECK_INT(store_raw_has(c, STORE_RAW_BLOB, &zero_id), 0);

	/* A tree: a flipped byte, truncated, a blob it names missing. */
	flipped(&bad, &r.tree, r.tree.len - 1);
	rc = store_raw_put(w, STORE_RAW_TREE, &src->tree, bad.data, bad.len, &e);
	refused(c, w, rc, STORE_MISMATCH, STORE_RAW_TREE, &src->tree,
		"its bytes do not hash to its id");
	rc = store_raw_put(w, STORE_RAW_TREE, &src->tree, r.tree.data,
			   r.tree.len - 3, &e);
	refused(c, w, rc, STORE_MISMATCH, STORE_RAW_TREE, &src->tree,
		"its bytes do not hash to its id");
	rc = store_raw_put(w, STORE_RAW_TREE, &src->tree, r.tree.data,
			   r.tree.len, &e);
	refused(c, w, rc, STORE_NOTFOUND, STORE_RAW_TREE, &src->tree,
		"of 'a.txt' is not in the store");
	/* A run whose outputs are missing; one whose log is. */
	flipped(&bad, &r.run, 20);
	rc = store_raw_put(w, STORE_RAW_RUN, &src->run, bad.data, bad.len, &e);
	refused(c, w, rc, STORE_MISMATCH, STORE_RAW_RUN, &src->run,
		"its bytes do not hash to its id");
	rc = store_raw_put_run(w, &src->run, r.run.data, r.run.len, 0, &refs,
			       &e);
	{
		char want[300], a_hex[DIGEST_HEX + 1], b_hex[DIGEST_HEX + 1];

		digest_hex(&src->run, a_hex);
		digest_hex(&src->tree, b_hex);
		snprintf(want, sizeof(want),
			 "refused run %s: its output %s is not in the store",
			 a_hex, b_hex);
		CHECK_INT(rc, STORE_NOTFOUND);
		CHECK_STR(e.msg, want);
	}
	/* An alias of a blob not here. */
	rc = store_raw_put(w, STORE_RAW_ALIAS, &src->alias, src->small_id.b,
			   DIGEST_LEN, &e);
	refused(c, w, rc, STORE_NOTFOUND, STORE_RAW_ALIAS, &src->alias,
		"its blob ");
	rc = store_raw_put(w, STORE_RAW_ALIAS, &src->alias, src->small_id.b,
			   DIGEST_LEN - 1, &e);
	refused(c, w, rc, STORE_CORRUPT, STORE_RAW_ALIAS, &src->alias,
		"its record is 31 bytes");
	CHECK_INT(store_writer_commit(w, &e), 0);

	/* Nothing of them stored (the chunks put on purpose aside). */
	CHECK_INT(store_raw_has(c, STORE_RAW_TREE, &src->tree), 0);
	CHECK_INT(store_raw_has(c, STORE_RAW_RUN, &src->run), 0);
	CHECK_INT(store_raw_has(c, STORE_RAW_ALIAS, &src->alias), 0);
	CHECK_INT(store_raw_has(c, STORE_RAW_BLOB, &src->small_id), 0);
	{
		struct store_object o;

		CHECK_INT(store_lookup(c, &src->tree, &o), STORE_NOTFOUND);
		CHECK_INT(store_lookup(c, &src->run, &o), STORE_NOTFOUND);
		CHECK_INT(store_lookup(c, &src->big_id, &o), STORE_NOTFOUND);
	}
	CHECK_INT(fsck_damaged(c), 0);

	/* With the list and the small blobs here, the run still lacks its
	 * log when refs say so; without refs it is recorded. */
	CHECK_INT(store_writer_new(c, &w, &e), 0);
	CHECK_INT(store_raw_put(w, STORE_RAW_LIST, &src->big_id, r.list.data,
				r.list.len, &e),
		  0);
	CHECK_INT(store_raw_put(w, STORE_RAW_INLINE, &src->small_id,
				r.inline_.data, r.inline_.len, &e),
		  0);
	CHECK_INT(store_raw_put(w, STORE_RAW_ALIAS, &src->alias,
				src->small_id.b, DIGEST_LEN, &e),
		  0);
	{
		struct buf raw = BUF_INIT;
		struct store_raw_item *items;
		size_t n, i;

		CHECK_INT(store_raw_walk(a, &src->tree, 1, NULL, NULL, NULL,
					 &items, &n, &e),
			  0);
		for (i = 0; i + 1 < n; i++) {
			CHECK_INT(store_raw_get(a, items[i].kind, &items[i].id,
						&raw, &e),
				  0);
			CHECK_INT(store_raw_put(w, items[i].kind, &items[i].id,
						raw.data, raw.len, &e),
				  0);
		}
		CHECK_INT(items[n - 1].kind, STORE_RAW_TREE);
		CHECK_INT(store_raw_put(w, STORE_RAW_TREE, &src->tree,
					r.tree.data, r.tree.len, &e),
			  0);
		free(items);
		buf_release(&raw);
	}
	rc = store_raw_put_run(w, &src->run, r.run.data, r.run.len, 0, &refs,
			       &e);
	refused(c, w, rc, STORE_NOTFOUND, STORE_RAW_RUN, &src->run,
		"its log ");
	CHECK_INT(store_raw_has(c, STORE_RAW_RUN, &src->run), 0);
	CHECK_INT(store_raw_put(w, STORE_RAW_RUN, &src->run, r.run.data,
				r.run.len, &e),
		  0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_raw_has(c, STORE_RAW_RUN, &src->run), 1);
	{
		struct store_fsck_result fr;

		CHECK_INT(store_fsck(c, 0, NULL, NULL, &fr, &e), 0);
		CHECK_INT(fr.damaged, 0);
	}

	buf_release(&bad);
	buf_release(&r.chunk0);
	buf_release(&r.list);
	buf_release(&r.inline_);
	buf_release(&r.tree);
	buf_release(&r.run);
	store_close(c);
}

/* The encoding of a tree of entries given as (kind, path, target), all
 * without a blob; id its SHA-256. */
static void tree_enc(struct buf *b, const char *const *ents, size_t n,
		     struct digest *id)
{
	unsigned char h[45], u[4];
	size_t i;

	buf_truncate(b, 0);
	buf_add(b, "cairn tree 1\n", 13);
	put_u32(u, (uint32_t)n);
	buf_add(b, u, 4);
	for (i = 0; i < n; i++) {
		const char *kind = ents[3 * i], *p = ents[3 * i + 1],
			   *t = ents[3 * i + 2];

		memset(h, 0, sizeof(h));
		h[0] = (unsigned char)kind[0];
		put_u64(h + 1, t ? strlen(t) : 0);
		put_u32(h + 41, (uint32_t)strlen(p));
		buf_add(b, h, sizeof(h));
		buf_adds(b, p);
		if (t) {
			put_u32(u, (uint32_t)strlen(t));
			buf_add(b, u, 4);
			buf_adds(b, t);
		}
	}
	sha256(b->data, b->len, id);
}

/* Trees no store_put_tree would write, hashing right: refused. */
static void test_tree_refusals(void)
{
	static const char *const escape[] = { "d", "a", NULL,
					      "l", "a/l", "../../x" };
	static const char *const dotdot[] = { "d", "..", NULL };
	static const char *const unsorted[] = { "d", "b", NULL,
						"d", "a", NULL };
	static const char *const orphan[] = { "d", "a", NULL,
					      "l", "b/l", "x" };
	static const char *const good[] = { "d", "a", NULL,
					    "l", "a/l", "../b" };
	struct store *s = open_store("trees", STORE_CREATE);
	struct store_writer *w;
	struct buf b = BUF_INIT;
	struct digest id;
	int rc;

	if (!s)
		return;
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	tree_enc(&b, escape, 2, &id);
	rc = store_raw_put(w, STORE_RAW_TREE, &id, b.data, b.len, &e);
	refused(s, w, rc, STORE_UNSAFE, STORE_RAW_TREE, &id,
		"its link 'a/l' points outside the tree ('../../x')");
	tree_enc(&b, dotdot, 1, &id);
	rc = store_raw_put(w, STORE_RAW_TREE, &id, b.data, b.len, &e);
	refused(s, w, rc, STORE_UNSAFE, STORE_RAW_TREE, &id,
		"its path '..' escapes the tree");
	tree_enc(&b, unsorted, 2, &id);
	rc = store_raw_put(w, STORE_RAW_TREE, &id, b.data, b.len, &e);
	refused(s, w, rc, STORE_CORRUPT, STORE_RAW_TREE, &id,
		"its entries are not in order at 'a'");
	tree_enc(&b, orphan, 2, &id);
	rc = store_raw_put(w, STORE_RAW_TREE, &id, b.data, b.len, &e);
	refused(s, w, rc, STORE_CORRUPT, STORE_RAW_TREE, &id,
		"'b/l' has no entry for its folder");
	/* A record cut short, hashing right (the id of the short bytes). */
	tree_enc(&b, good, 2, &id);
	buf_truncate(&b, b.len - 2);
	sha256(b.data, b.len, &id);
	rc = store_raw_put(w, STORE_RAW_TREE, &id, b.data, b.len, &e);
	refused(s, w, rc, STORE_CORRUPT, STORE_RAW_TREE, &id,
		"an entry is malformed");
	CHECK_INT(store_raw_has(s, STORE_RAW_TREE, &id), 0);
	/* The same tree whole is fine: a link may climb to the top. */
	tree_enc(&b, good, 2, &id);
	CHECK_INT(store_raw_put(w, STORE_RAW_TREE, &id, b.data, b.len, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_raw_has(s, STORE_RAW_TREE, &id), 1);
	CHECK_INT(fsck_damaged(s), 0);
	buf_release(&b);
	store_close(s);
}

static int skip_tree(const struct store_raw_item *it, void *ctx)
{
	const struct digest *tree = ctx;

	return it->kind == STORE_RAW_TREE && digest_eq(&it->id, tree);
}

/*
 * The walk: skip leaves out an object and what only it needs; a damaged
 * object is never handed out; an id naming nothing, or an object missing
 * what it names, is an error naming it.
 */
static void test_walk(struct store *a, const struct source *src)
{
	struct store_raw_item *items;
	struct buf raw = BUF_INIT;
	struct digest nothing, ids[2];
	size_t n;
	char hex[DIGEST_HEX + 1], want[300];

	CHECK_INT(store_raw_walk(a, &src->run, 1, &refs, skip_tree,
				 (void *)&src->tree, &items, &n, &e),
		  0);
	CHECK_INT(count_kind(items, n, STORE_RAW_TREE), 0);
	CHECK(find_item(items, n, STORE_RAW_LIST, &src->deep_id) < 0);
	CHECK(find_item(items, n, STORE_RAW_LIST, &src->big_id) >= 0);
	CHECK_INT(count_kind(items, n, STORE_RAW_RUN), 1);
	free(items);
	/* Several ids, one of them twice and one inside another. */
	ids[0] = src->tree;
	ids[1] = src->small_id;
	CHECK_INT(store_raw_walk(a, ids, 2, NULL, NULL, NULL, &items, &n, &e),
		  0);
	CHECK_INT(count_kind(items, n, STORE_RAW_TREE), 1);
	CHECK_INT(count_kind(items, n, STORE_RAW_INLINE), 3);
	CHECK_INT(check_order(a, items, n), 0);
	free(items);

	sha256("nothing", 7, &nothing);
	CHECK_INT(store_raw_walk(a, &nothing, 1, NULL, NULL, NULL, &items, &n,
				 &e),
		  STORE_NOTFOUND);
	digest_hex(&nothing, hex);
	snprintf(want, sizeof(want), "no object %s in store '%s'", hex,
		 path("a"));
	CHECK_STR(e.msg, want);
	CHECK(items == NULL && n == 0);

	/* A chunk of the big blob damaged: not handed out, and the walk of
	 * a blob missing a chunk says so. */
	{
		MDB_val k, v;
		MDB_txn *txn;
		struct blob_rec b;
		struct digest cid;
		uint32_t len;
		unsigned char *copy;

		CHECK_INT(store_raw_get(a, STORE_RAW_LIST, &src->big_id, &raw,
					&e),
			  0);
		v.mv_size = raw.len;
		v.mv_data = raw.data;
		CHECK_INT(blob_decode(&v, &b), 0);
		blob_chunk(&b, 1, &cid, &len);
		store_idle(a);
		CHECK_INT(mdb_txn_begin(a->env, NULL, 0, &txn), 0);
		k.mv_size = DIGEST_LEN;
		k.mv_data = cid.b;
		CHECK_INT(mdb_get(txn, a->chunks, &k, &v), 0);
		copy = malloc(v.mv_size);
		memcpy(copy, v.mv_data, v.mv_size);
		copy[v.mv_size - 1] ^= 1;
		v.mv_data = copy;
		CHECK_INT(mdb_put(txn, a->chunks, &k, &v, 0), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		store_read_refresh(a);
		CHECK_INT(store_raw_get(a, STORE_RAW_CHUNK, &cid, &raw, &e),
			  STORE_CORRUPT);
		CHECK_INT(raw.len, 0);
		digest_hex(&cid, hex);
		CHECK(strstr(e.msg, hex) != NULL);
		{	/* Nor shown where it lies. */
			const void *at = NULL;
			size_t at_n = 0;

			e.msg[0] = 0;
			CHECK_INT(store_raw_view(a, STORE_RAW_CHUNK, &cid, &raw,
						 &at, &at_n, &e),
				  STORE_CORRUPT);
			CHECK(strstr(e.msg, hex) != NULL);
			CHECK(strstr(e.msg, "do not hash to its id") != NULL);
		}
		/* Put back; then remove it. */
		store_idle(a);
		CHECK_INT(mdb_txn_begin(a->env, NULL, 0, &txn), 0);
		copy[v.mv_size - 1] ^= 1;
		CHECK_INT(mdb_put(txn, a->chunks, &k, &v, 0), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		store_read_refresh(a);
		CHECK_INT(store_raw_get(a, STORE_RAW_CHUNK, &cid, &raw, &e), 0);
		store_idle(a);
		CHECK_INT(mdb_txn_begin(a->env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_del(txn, a->chunks, &k, NULL), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		store_read_refresh(a);
		CHECK_INT(store_raw_walk(a, &src->run, 1, &refs, NULL, NULL,
					 &items, &n, &e),
			  STORE_CORRUPT);
		digest_hex(&src->big_id, hex);
		snprintf(want, sizeof(want),
			 "blob %s is damaged: a chunk it lists is missing (run "
			 "'cairn fsck')",
			 hex);
		CHECK_STR(e.msg, want);
		CHECK_INT(store_raw_get(a, STORE_RAW_LIST, &src->big_id, &raw,
					&e),
			  STORE_CORRUPT);
		/* Back as it was. */
		store_idle(a);
		CHECK_INT(mdb_txn_begin(a->env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_put(txn, a->chunks, &k, &v, 0), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		store_read_refresh(a);
		free(copy);
		CHECK_INT(fsck_damaged(a), 0);
	}
	buf_release(&raw);
}

/* An inline blob larger than the receiving store keeps inline arrives
 * chunked, under its id. */
static void test_inline_rechunked(void)
{
	struct store *s = open_store("small", STORE_CREATE);
	struct store_config cfg;
	struct store_writer *w;
	struct store_object o;
	unsigned char data[40000];
	struct digest id;

	if (!s)
		return;
	CHECK_INT(store_config_get(s, &cfg), 0);
	cfg.chunk_min = 4096;
	cfg.chunk_avg = 8192;
	cfg.chunk_max = 16384;
	CHECK_INT(store_config_set(s, &cfg, &e), 0);
	store_close(s);
	s = open_store("small", 0);
	if (!s)
		return;
	fill(data, sizeof(data));
	sha256(data, sizeof(data), &id);
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_raw_put(w, STORE_RAW_INLINE, &id, data, sizeof(data),
				&e),
		  0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK_INT(store_lookup(s, &id, &o), 0);
	CHECK(o.chunks > 1);
	CHECK(cat_equals(s, &id, data, sizeof(data)));
	CHECK_INT(fsck_damaged(s), 0);
	store_close(s);
}

/* ---- the remotes table ---- */

static void mark(struct store *s, const char *remote,
		 const struct store_raw_item *items, size_t n, int64_t t)
{
	struct store_writer *w;

	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_remote_mark(w, remote, items, n, t, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
}

static uint64_t forget(struct store *s, const char *remote)
{
	struct store_writer *w;
	uint64_t n = 0;

	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_remote_forget(w, remote, &n, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	return n;
}

struct known_ctx {
	struct store *s;
	const char *remote;
	int asked;
};

/* The walk's skip: what the remote is known to hold. */
static int skip_known(const struct store_raw_item *it, void *ctx)
{
	struct known_ctx *k = ctx;

	k->asked++;
	return store_remote_known(k->s, k->remote, it->kind, &it->id, NULL);
}

/*
 * Mark, ask, forget; one remote's entries are not another's, nor one
 * kind's another's; the table survives a reopen, gc drops the entries of
 * objects it removed, fsck calls nothing in it damage; a store made
 * before the table has none read-only and gets it at its first write.
 */
static void test_remotes(const struct source *src)
{
	struct store *s = open_store("r", STORE_CREATE);
	struct store_raw_item *items, *many, gone;
	struct store_writer *w;
	struct store_gc_result gr;
	struct digest loose, kept;
	int64_t seen = 0;
	size_t n, i;

	if (!s)
		return;
	/* A rooted tree (kept by gc) and a loose blob (removed). */
	CHECK_INT(store_writer_new(s, &w, &e), 0);
	CHECK_INT(store_put_tree(w, path("t"), &kept, &e), 0);
	CHECK_INT(store_put_bytes(w, "loose", 5, &loose, &e), 0);
	CHECK_INT(store_set_root(w, "keep", &kept, 1, &e), 0);
	CHECK_INT(store_writer_commit(w, &e), 0);
	CHECK(digest_eq(&kept, &src->tree));
	CHECK_INT(store_raw_walk(s, &kept, 1, NULL, NULL, NULL, &items, &n, &e),
		  0);
	CHECK(n > 3);
	mark(s, "http://cache.example/a", items, n, 1000);
	memset(&gone, 0, sizeof(gone));
	gone.kind = STORE_RAW_INLINE;
	gone.id = loose;
	mark(s, "http://cache.example/a", &gone, 1, 2000);
	mark(s, "http://cache.example/b", items, 1, 3000);
	/* A second push: the walk, skipping what the remote holds, asks
	 * about the top object only and finds nothing to send; for the
	 * other remote, everything but the one item it holds. */
	{
		struct known_ctx k = { s, "http://cache.example/a", 0 };
		struct store_raw_item *again;
		size_t m;

		CHECK_INT(store_raw_walk(s, &kept, 1, NULL, skip_known, &k,
					 &again, &m, &e),
			  0);
		CHECK_INT(m, 0);
		CHECK_INT(k.asked, 1);
		free(again);
		k.remote = "http://cache.example/b";
		CHECK_INT(store_raw_walk(s, &kept, 1, NULL, skip_known, &k,
					 &again, &m, &e),
			  0);
		CHECK_INT(m, n - 1);
		CHECK(find_item(again, m, items[0].kind, &items[0].id) < 0);
		free(again);
	}
	for (i = 0; i < n; i++)
		CHECK_INT(store_remote_known(s, "http://cache.example/a",
					     items[i].kind, &items[i].id, NULL),
			  1);
	CHECK_INT(store_remote_known(s, "http://cache.example/a",
				     STORE_RAW_INLINE, &loose, &seen),
		  1);
	CHECK_INT(seen, 2000);
	/* Another kind, another remote: not known. */
	CHECK_INT(store_remote_known(s, "http://cache.example/a",
				     STORE_RAW_CHUNK, &loose, NULL),
		  0);
	CHECK_INT(store_remote_known(s, "http://cache.example/b",
				     STORE_RAW_INLINE, &loose, NULL),
		  0);
	CHECK_INT(store_remote_known(s, "http://cache.example/b",
				     items[0].kind, &items[0].id, &seen),
		  1);
	CHECK_INT(seen, 3000);
	/* Marked again: seen later. */
	mark(s, "http://cache.example/b", items, 1, 4000);
	CHECK_INT(store_remote_known(s, "http://cache.example/b",
				     items[0].kind, &items[0].id, &seen),
		  1);
	CHECK_INT(seen, 4000);
	/* fsck passes the table by, even a malformed entry in it. */
	{
		MDB_txn *txn;
		MDB_val k = { 3, (void *)"bad" }, v = { 1, (void *)"x" };

		store_idle(s);
		CHECK_INT(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_put(txn, s->remotes, &k, &v, 0), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		store_read_refresh(s);
	}
	CHECK_INT(fsck_damaged(s), 0);
	store_close(s);

	/* A reopen keeps it; gc drops the loose blob and its entry (and
	 * the malformed one), and keeps the rest. */
	s = open_store("r", 0);
	if (!s) {
		free(items);
		return;
	}
	CHECK_INT(store_remote_known(s, "http://cache.example/a",
				     STORE_RAW_INLINE, &loose, NULL),
		  1);
	CHECK_INT(store_gc(s, 1, 0, NULL, NULL, &gr, &e), 0);
	CHECK_INT(store_remote_known(s, "http://cache.example/a",
				     STORE_RAW_INLINE, &loose, NULL),
		  1);
	CHECK_INT(store_gc(s, 0, 0, NULL, NULL, &gr, &e), 0);
	CHECK_INT(gr.blobs, 1);
	CHECK_INT(store_remote_known(s, "http://cache.example/a",
				     STORE_RAW_INLINE, &loose, NULL),
		  0);
	for (i = 0; i < n; i++)
		CHECK_INT(store_remote_known(s, "http://cache.example/a",
					     items[i].kind, &items[i].id, NULL),
			  1);
	{
		MDB_txn *txn;
		MDB_val k = { 3, (void *)"bad" }, v;

		CHECK_INT(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), 0);
		CHECK_INT(mdb_get(txn, s->remotes, &k, &v), MDB_NOTFOUND);
		mdb_txn_abort(txn);
	}
	CHECK_INT(fsck_damaged(s), 0);
	/* Forget one remote: the other keeps its entries. */
	CHECK_INT(forget(s, "http://cache.example/a"), n);
	for (i = 0; i < n; i++)
		CHECK_INT(store_remote_known(s, "http://cache.example/a",
					     items[i].kind, &items[i].id, NULL),
			  0);
	CHECK_INT(store_remote_known(s, "http://cache.example/b",
				     items[0].kind, &items[0].id, NULL),
		  1);
	CHECK_INT(forget(s, "http://cache.example/a"), 0);
	/* Many entries go in steps. */
	many = calloc(5000, sizeof(*many));
	for (i = 0; i < 5000; i++) {
		memset(&many[i], 0, sizeof(many[i]));
		many[i].kind = STORE_RAW_CHUNK;
		sha256(&i, sizeof(i), &many[i].id);
	}
	mark(s, "c", many, 5000, 5);
	CHECK_INT(store_remote_known(s, "c", STORE_RAW_CHUNK, &many[4999].id,
				     NULL),
		  1);
	CHECK_INT(forget(s, "c"), 5000);
	CHECK_INT(store_remote_known(s, "c", STORE_RAW_CHUNK, &many[0].id,
				     NULL),
		  0);
	free(many);
	CHECK_INT(store_remote_known(s, "http://cache.example/b",
				     items[0].kind, &items[0].id, NULL),
		  1);
	store_close(s);
	free(items);

	/* A store made before the table: none read-only, one at the first
	 * write. */
	{
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;

		CHECK_INT(mdb_env_create(&env), 0);
		mdb_env_set_maxdbs(env, 16);
		CHECK_INT(mdb_env_open(env, path("r"), 0, 0664), 0);
		CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
		CHECK_INT(mdb_dbi_open(txn, "remotes", 0, &dbi), 0);
		CHECK_INT(mdb_drop(txn, dbi, 1), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
	}
	s = open_store("r", STORE_RDONLY);
	if (s) {
		CHECK_INT(store_remote_known(s, "http://cache.example/b",
					     STORE_RAW_TREE, &kept, NULL),
			  0);
		CHECK_INT(fsck_damaged(s), 0);
		store_close(s);
	}
	s = open_store("r", 0);
	if (s) {
		memset(&gone, 0, sizeof(gone));
		gone.kind = STORE_RAW_TREE;
		gone.id = kept;
		mark(s, "x", &gone, 1, 7);
		CHECK_INT(store_remote_known(s, "x", STORE_RAW_TREE, &kept,
					     NULL),
			  1);
		store_close(s);
	}
}

int main(void)
{
	struct source src;
	struct store *a;
	char cmd[600];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	memset(&src, 0, sizeof(src));
	a = make_source(&src);
	if (a) {
		test_roundtrip(a, &src);
		test_refusals(a, &src);
		test_walk(a, &src);
		store_close(a);
	}
	test_tree_refusals();
	test_inline_rechunked();
	test_remotes(&src);
	free_source(&src);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return check_done("test_store_raw");
}
