/*
 * Raw records in: what a pull stores (docs/store-format.md, "Raw
 * records").  A record comes from elsewhere, so it is checked whole
 * before anything of it is written: its hash (a chunk list's: its chunks'
 * bytes, in order), its form, and that everything it names is already
 * here, as the store's own writers guarantee for what they write.  A
 * refused record leaves the writer as it was, so a pull can count the
 * refusal and go on.
 */
#include "err.h"
#include "store_internal.h"
#include "store_writer.h"
#include "util.h"

/* The largest chunk a store makes (chunk_max is at most 64 MiB). */
#define RAW_CHUNK_MAX ((size_t)64 << 20)

static const char *noun(enum store_raw_kind kind)
{
	switch (kind) {
	case STORE_RAW_LIST: return "chunked blob";
	case STORE_RAW_INLINE: return "blob";
	default: return store_raw_kind_name(kind);
	}
}

/* "refused KIND ID: WHY" with rc. */
static int refuse(struct err *err, int rc, enum store_raw_kind kind,
		  const struct digest *id, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int refuse(struct err *err, int rc, enum store_raw_kind kind,
		  const struct digest *id, const char *fmt, ...)
{
	char hex[DIGEST_HEX + 1];
	struct buf why = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&why, fmt, ap);
	va_end(ap);
	digest_hex(id, hex);
	store_fail(err, 0, "refused %s %s: %s", noun(kind), hex, why.data);
	buf_release(&why);
	return rc;
}

static int refuse_missing(struct err *err, enum store_raw_kind kind,
			  const struct digest *id, const char *what,
			  const struct digest *named)
{
	char hex[DIGEST_HEX + 1];

	digest_hex(named, hex);
	return refuse(err, STORE_NOTFOUND, kind, id,
		      "its %s %s is not in the store", what, hex);
}

/* Read id from dbi in w's transaction: 0, STORE_NOTFOUND, or an error
 * (w poisoned). */
static int wget(struct store_writer *w, MDB_dbi dbi, const struct digest *id,
		MDB_val *v, struct err *err)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b };
	int rc;

	if ((rc = writer_txn(w, 0, err)))
		return rc;
	rc = mdb_get(w->txn, dbi, &k, v);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc)
		return writer_poison(w, store_fail(err, rc, "cannot read store "
							    "'%s'",
						   w->s->path));
	return 0;
}

/* A blob, a tree or a content id: 1, 0, < 0. */
static int has_object(struct store_writer *w, const struct digest *id,
		      struct err *err)
{
	int rc = writer_has(w, w->s->blobs, id, err);

	if (rc == 0)
		rc = writer_has(w, w->s->trees, id, err);
	if (rc == 0)
		rc = writer_has(w, w->s->aliases, id, err);
	return rc;
}

/* Whether data[0..n) hashes to id (hash: its hash, computed already). */
static int hashes_to(const void *data, size_t n, const struct digest *id,
		     const struct digest *hash)
{
	struct digest got;

	if (hash)
		return digest_eq(hash, id);
	sha256(data, n, &got);
	return digest_eq(&got, id);
}

static int put_chunk_raw(struct store_writer *w, const struct digest *id,
			 const void *data, size_t n, const struct digest *hash,
			 struct err *err)
{
	if (n > RAW_CHUNK_MAX)
		return refuse(err, STORE_CORRUPT, STORE_RAW_CHUNK, id,
			      "%zu bytes, more than a chunk can hold", n);
	if (!hashes_to(data, n, id, hash))
		return refuse(err, STORE_MISMATCH, STORE_RAW_CHUNK, id,
			      "its bytes do not hash to its id");
	return writer_put_chunk(w, data, n, id, err);
}

static int put_inline_raw(struct store_writer *w, const struct digest *id,
			  const void *data, size_t n, const struct digest *hash,
			  struct err *err)
{
	struct digest got;

	if (!hashes_to(data, n, id, hash))
		return refuse(err, STORE_MISMATCH, STORE_RAW_INLINE, id,
			      "its bytes do not hash to its id");
	/* Larger than this store keeps inline: chunked here, same id. */
	if (n > w->cp.min)
		return store_put_bytes(w, data, n, &got, err);
	return writer_put_inline(w, id, data, n, err);
}

static int put_list_raw(struct store_writer *w, const struct digest *id,
			const void *data, size_t n, struct err *err)
{
	MDB_val rec = { n, (void *)data };
	struct buf scratch = BUF_INIT;
	struct blob_rec b;
	struct sha256 *sha;
	struct digest got;
	uint64_t total = 0;
	uint32_t i, len;
	int rc = 0;

	if (blob_decode(&rec, &b) || b.kind != BLOB_CHUNKED || b.n == 0)
		return refuse(err, STORE_CORRUPT, STORE_RAW_LIST, id,
			      "its record is malformed");
	/* Every chunk here with the listed length, adding up, before a
	 * byte is hashed. */
	for (i = 0; i < b.n; i++) {
		struct digest cid;
		MDB_val cv;

		blob_chunk(&b, i, &cid, &len);
		if ((rc = wget(w, w->s->chunks, &cid, &cv, err)) == STORE_NOTFOUND)
			return refuse_missing(err, STORE_RAW_LIST, id, "chunk",
					      &cid);
		if (rc)
			return rc;
		if (cv.mv_size < CHUNK_HDR ||
		    get_u32((unsigned char *)cv.mv_data + 2) != len) {
			char hex[DIGEST_HEX + 1];

			digest_hex(&cid, hex);
			return refuse(err, STORE_CORRUPT, STORE_RAW_LIST, id,
				      "its chunk %s is not %u bytes long", hex,
				      len);
		}
		total += len;
	}
	if (total != b.size)
		return refuse(err, STORE_CORRUPT, STORE_RAW_LIST, id,
			      "its chunks add up to %llu bytes, not %llu",
			      (unsigned long long)total,
			      (unsigned long long)b.size);
	sha = sha256_new();
	for (i = 0; i < b.n && !rc; i++) {
		const unsigned char *bytes;
		struct digest cid;
		MDB_val cv;
		size_t got_n;

		blob_chunk(&b, i, &cid, &len);
		if ((rc = wget(w, w->s->chunks, &cid, &cv, err)))
			break;
		if (chunk_bytes(&cv, &scratch, &bytes, &got_n) || got_n != len) {
			char hex[DIGEST_HEX + 1];

			digest_hex(&cid, hex);
			rc = refuse(err, STORE_CORRUPT, STORE_RAW_LIST, id,
				    "its chunk %s is damaged here (run 'cairn "
				    "fsck')",
				    hex);
			break;
		}
		sha256_update(sha, bytes, got_n);
	}
	sha256_final(sha, &got);
	buf_release(&scratch);
	if (rc)
		return rc;
	if (!digest_eq(&got, id))
		return refuse(err, STORE_MISMATCH, STORE_RAW_LIST, id,
			      "its chunks' bytes do not hash to its id");
	return writer_put(w, w->s->blobs, id->b, DIGEST_LEN, data, n, err);
}

static int put_alias_raw(struct store_writer *w, const struct digest *id,
			 const void *data, size_t n, struct err *err)
{
	struct digest blob;
	int rc;

	if (n != DIGEST_LEN)
		return refuse(err, STORE_CORRUPT, STORE_RAW_ALIAS, id,
			      "its record is %zu bytes, not %d", n, DIGEST_LEN);
	memcpy(blob.b, data, DIGEST_LEN);
	if (digest_eq(id, &blob))
		return 0;
	if ((rc = writer_has(w, w->s->blobs, &blob, err)) < 0)
		return rc;
	if (rc == 0)
		return refuse_missing(err, STORE_RAW_ALIAS, id, "blob", &blob);
	return writer_put(w, w->s->aliases, id->b, DIGEST_LEN, blob.b,
			  DIGEST_LEN, err);
}

/*
 * Why tree_iter_next refused the entry at it->p, when it is a path or a
 * link that escapes the tree (STORE_UNSAFE, as store_put_tree refuses
 * one); else 0 (it is malformed).
 */
static int unsafe_entry(const struct tree_iter *it, struct buf *why)
{
	const unsigned char *p = it->p;
	struct buf path = BUF_INIT, target = BUF_INIT;
	uint32_t n;
	int rc = 0;

	if ((size_t)(it->end - p) < 45)
		return 0;
	n = get_u32(p + 41);
	if ((size_t)(it->end - p - 45) < n || memchr(p + 45, '\0', n))
		return 0;
	buf_add(&path, p + 45, n);
	if (tree_path_safe(path.data) < 0) {
		buf_addf(why, "its path '%s' escapes the tree", path.data);
		rc = STORE_UNSAFE;
	} else if (p[0] == 'l' && (size_t)(it->end - p - 45 - n) >= 4) {
		const unsigned char *t = p + 45 + n + 4;
		uint32_t tn = get_u32(p + 45 + n);

		if ((size_t)(it->end - t) >= tn && !memchr(t, '\0', tn)) {
			buf_add(&target, t, tn);
			if (tree_link_safe(path.data, target.data) < 0) {
				buf_addf(why, "its link '%s' points outside "
					      "the tree ('%s')",
					 path.data, target.data);
				rc = STORE_UNSAFE;
			}
		}
	}
	buf_release(&path);
	buf_release(&target);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether path's folder is the tree's top or one of dirs[0..n) (sorted). */
static int folder_listed(const char *path, char **dirs, size_t n)
{
	const char *slash = strrchr(path, '/');
	char *folder;
	int found;

	if (!slash)
		return 1;
	folder = xstrndup(path, (size_t)(slash - path));
	found = n && bsearch(&folder, dirs, n, sizeof(*dirs), by_name);
	free(folder);
	return found;
}

static int put_tree_raw(struct store_writer *w, const struct digest *id,
			const void *data, size_t n, struct err *err)
{
	static const unsigned char zero[DIGEST_LEN];
	struct tree_iter it;
	struct store_tree_entry e;
	struct buf prev = BUF_INIT, why = BUF_INIT, val = BUF_INIT;
	char **dirs = NULL;
	size_t ndirs = 0, cap = 0, i;
	int rc = 0, next = 0, private = 0, first = 1;

	if (!hashes_to(data, n, id, NULL))
		return refuse(err, STORE_MISMATCH, STORE_RAW_TREE, id,
			      "its bytes do not hash to its id");
	if (tree_iter_init(&it, data, n))
		return refuse(err, STORE_CORRUPT, STORE_RAW_TREE, id,
			      "its record is malformed");
	while (!rc && (next = tree_iter_next(&it, &e)) == 1) {
		MDB_val bv;
		struct blob_rec b;

		/* Sorted, once each, every folder listed before what is in
		 * it: the form store_put_tree writes. */
		if (!first && strcmp(prev.data, e.path) >= 0) {
			rc = refuse(err, STORE_CORRUPT, STORE_RAW_TREE, id,
				    "its entries are not in order at '%s'",
				    e.path);
			continue;
		}
		first = 0;
		buf_truncate(&prev, 0);
		buf_adds(&prev, e.path);
		if (!folder_listed(e.path, dirs, ndirs)) {
			rc = refuse(err, STORE_CORRUPT, STORE_RAW_TREE, id,
				    "'%s' has no entry for its folder", e.path);
			continue;
		}
		private |= (e.mode & STORE_MODE_PRIVATE) != 0;
		if (e.kind == 'd' || e.kind == 'l') {
			if (memcmp(e.id.b, zero, DIGEST_LEN) ||
			    (e.kind == 'd' && e.size))
				rc = refuse(err, STORE_CORRUPT, STORE_RAW_TREE,
					    id, "its entry '%s' is malformed",
					    e.path);
			else if (e.kind == 'd') {
				xgrow((void **)&dirs, &cap, ndirs + 1,
				      sizeof(*dirs));
				dirs[ndirs++] = xstrdup(e.path);
			}
			continue;
		}
		rc = wget(w, w->s->blobs, &e.id, &bv, err);
		if (rc == STORE_NOTFOUND) {
			char hex[DIGEST_HEX + 1];

			digest_hex(&e.id, hex);
			rc = refuse(err, STORE_NOTFOUND, STORE_RAW_TREE, id,
				    "the blob %s of '%s' is not in the store",
				    hex, e.path);
		} else if (rc == 0 && blob_decode(&bv, &b) == 0 &&
			   b.size != e.size) {
			rc = refuse(err, STORE_CORRUPT, STORE_RAW_TREE, id,
				    "'%s' is %llu bytes, its blob %llu",
				    e.path, (unsigned long long)e.size,
				    (unsigned long long)b.size);
		}
	}
	if (!rc && next < 0) {
		/* The iterator refuses a bad entry without saying why. */
		if (!(rc = unsafe_entry(&it, &why))) {
			rc = STORE_CORRUPT;
			buf_adds(&why, "an entry is malformed");
		}
		refuse(err, rc, STORE_RAW_TREE, id, "%s", why.data);
	}
	tree_iter_release(&it);
	if (!rc && private)
		rc = writer_schema(w, 2, err);
	if (!rc) {
		buf_addc(&val, RECORD_VERSION);
		buf_add(&val, data, n);
		rc = writer_put(w, w->s->trees, id->b, DIGEST_LEN, val.data,
				val.len, err);
	}
	for (i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	buf_release(&prev);
	buf_release(&why);
	buf_release(&val);
	return rc;
}

int store_raw_put_run(struct store_writer *w, const struct digest *id,
		      const void *data, size_t n, int failed,
		      const struct store_run_refs *refs, struct err *err)
{
	struct digest ids[STORE_RUN_REFS_MAX];
	struct store_run r;
	size_t i, k;
	int rc;

	if ((rc = writer_has(w, w->s->runs, id, err)))
		return rc < 0 ? rc : 0;
	if (!hashes_to(data, n, id, NULL))
		return refuse(err, STORE_MISMATCH, STORE_RAW_RUN, id,
			      "its bytes do not hash to its id");
	if (run_decode_enc(data, n, &r))
		return refuse(err, STORE_CORRUPT, STORE_RAW_RUN, id,
			      "its record is malformed");
	for (i = 0; i < r.noutputs; i++) {
		struct digest o;

		memcpy(o.b, r.outputs[i].b, DIGEST_LEN);
		if ((rc = has_object(w, &o, err)) < 0)
			return rc;
		if (rc == 0)
			return refuse_missing(err, STORE_RAW_RUN, id, "output",
					      &o);
	}
	k = refs ? refs->fn(&r, ids, STORE_RUN_REFS_MAX, refs->ctx) : 0;
	for (i = 0; i < k; i++) {
		if ((rc = has_object(w, &ids[i], err)) < 0)
			return rc;
		if (rc == 0)
			return refuse_missing(err, STORE_RAW_RUN, id, refs->what,
					      &ids[i]);
	}
	r.failed = failed;
	return run_store(w, &r, id, data, n, err);
}

int store_raw_put_hashed(struct store_writer *w, enum store_raw_kind kind,
			 const struct digest *id, const void *data, size_t n,
			 const struct digest *hash, struct err *err)
{
	MDB_dbi dbi;
	int rc;

	switch (kind) {
	case STORE_RAW_CHUNK: dbi = w->s->chunks; break;
	case STORE_RAW_LIST:
	case STORE_RAW_INLINE: dbi = w->s->blobs; break;
	case STORE_RAW_ALIAS: dbi = w->s->aliases; break;
	case STORE_RAW_TREE: dbi = w->s->trees; break;
	case STORE_RAW_RUN:
		return store_raw_put_run(w, id, data, n, 0, NULL, err);
	default:
		return store_fail(err, STORE_BADARG, "no raw record of kind "
						     "'%s'",
				  store_raw_kind_name(kind));
	}
	/* Stored already: nothing to write, nothing to check. */
	if ((rc = writer_has(w, dbi, id, err)))
		return rc < 0 ? rc : 0;
	switch (kind) {
	case STORE_RAW_CHUNK: return put_chunk_raw(w, id, data, n, hash, err);
	case STORE_RAW_LIST: return put_list_raw(w, id, data, n, err);
	case STORE_RAW_INLINE:
		return put_inline_raw(w, id, data, n, hash, err);
	case STORE_RAW_ALIAS: return put_alias_raw(w, id, data, n, err);
	default: return put_tree_raw(w, id, data, n, err);
	}
}

int store_raw_put(struct store_writer *w, enum store_raw_kind kind,
		  const struct digest *id, const void *data, size_t n,
		  struct err *err)
{
	return store_raw_put_hashed(w, kind, id, data, n, NULL, err);
}
