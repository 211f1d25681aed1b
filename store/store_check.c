/*
 * fsck: first the B-tree's pages (store_pages.c: LMDB must never walk a
 * damaged one); then re-hash every chunk, inline blob and tree; check
 * every chunked blob's list against its chunks and re-hash its bytes;
 * check every tree entry and root reference.  --repair deletes only what
 * is provably broken: a damaged record, or one that needs a record that
 * is damaged or gone.  Then run records (whole, outputs and log present)
 * and the indexes over them.  A damaged page is repaired only by
 * store_salvage.
 */
#include <sys/stat.h>

#include "err.h"
#include "idset.h"
#include "store_internal.h"
#include "store_writer.h"
#include "utf8.h"
#include "util.h"

struct check {
	struct store *s;
	MDB_txn *txn;
	void (*fn)(const struct store_finding *f, void *ctx);
	void *ctx;
	struct store_fsck_result *res;
	struct idset bad_chunks, bad_blobs, bad_trees, bad_runs, referenced;
	struct idset bad_aliases;
	struct buf scratch;
	struct buf why;		/* a problem composed for one record */
	const struct store_run_refs *refs;
	int repair;
};

/*
 * A key as text: a name (a root's) as it is when it is UTF-8 without
 * control characters, anything else in hex after "0x", so a damaged key
 * never sends raw bytes to a terminal.
 */
static void key_text(struct buf *out, const MDB_val *k, int name)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = k->mv_data;
	size_t i;
	int plain = name && k->mv_size > 0 &&
		    utf8_validate(k->mv_data, k->mv_size) == k->mv_size;

	for (i = 0; plain && i < k->mv_size; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			plain = 0;
	if (plain) {
		buf_add(out, p, k->mv_size);
		return;
	}
	buf_adds(out, "0x");
	for (i = 0; i < k->mv_size; i++) {
		buf_addc(out, digits[p[i] >> 4]);
		buf_addc(out, digits[p[i] & 15]);
	}
}

static void report(struct check *c, const char *db, const MDB_val *k,
		   const char *problem)
{
	struct store_finding f = { db, NULL, problem, 0, c->repair };
	char hex[DIGEST_HEX + 1];
	struct buf name = BUF_INIT;

	if (k->mv_size == DIGEST_LEN && strcmp(db, "roots")) {
		struct digest id;
		memcpy(id.b, k->mv_data, DIGEST_LEN);
		digest_hex(&id, hex);
		f.key = hex;
	} else {
		key_text(&name, k, !strcmp(db, "roots"));
		f.key = name.data;
	}
	c->res->damaged++;
	if (c->fn)
		c->fn(&f, c->ctx);
	buf_release(&name);
}

static void bad_page(const char *db, uint64_t pgno, const char *why,
		     void *ctx)
{
	struct check *c = ctx;
	char key[48];
	struct store_finding f = { db, key, why, 0, 0 };

	snprintf(key, sizeof(key), "page %llu", (unsigned long long)pgno);
	c->res->damaged++;
	if (c->fn)
		c->fn(&f, c->ctx);
}

static void key_id(const MDB_val *k, struct digest *id)
{
	memset(id->b, 0, DIGEST_LEN);
	memcpy(id->b, k->mv_data, k->mv_size < DIGEST_LEN ? k->mv_size
							  : DIGEST_LEN);
}

typedef const char *(*check_fn)(struct check *c, const MDB_val *k,
				const MDB_val *v, struct digest *id);

static const char *check_chunk(struct check *c, const MDB_val *k,
			       const MDB_val *v, struct digest *id)
{
	const unsigned char *data;
	struct digest got;
	size_t n;

	(void)id;
	if (chunk_bytes(v, &c->scratch, &data, &n))
		return "record is malformed";
	sha256(data, n, &got);
	if (memcmp(got.b, k->mv_data, DIGEST_LEN))
		return "bytes do not hash to the id";
	return NULL;
}

static const char *check_blob(struct check *c, const MDB_val *k,
			      const MDB_val *v, struct digest *id)
{
	struct blob_rec b;
	struct sha256 *sha;
	struct digest got;
	uint64_t total = 0;
	uint32_t i;
	const char *why = NULL;

	(void)k;
	if (blob_decode(v, &b))
		return "record is malformed";
	if (b.kind == BLOB_INLINE) {
		sha256(b.data, b.size, &got);
		return digest_eq(&got, id) ? NULL
					   : "bytes do not hash to the id";
	}
	sha = sha256_new();
	for (i = 0; i < b.n && !why; i++) {
		MDB_val ck, cv;
		struct digest cid;
		const unsigned char *data;
		uint32_t len;
		size_t n;

		blob_chunk(&b, i, &cid, &len);
		idset_add(&c->referenced, &cid);
		ck.mv_size = DIGEST_LEN;
		ck.mv_data = cid.b;
		if (mdb_get(c->txn, c->s->chunks, &ck, &cv))
			why = "a chunk it lists is missing";
		else if (idset_has(&c->bad_chunks, &cid))
			why = "a chunk it lists is damaged";
		else if (chunk_bytes(&cv, &c->scratch, &data, &n) || n != len)
			why = "a chunk's length differs from its list";
		else
			sha256_update(sha, data, n);
		total += len;
	}
	sha256_final(sha, &got);
	if (!why && total != b.size)
		why = "its chunks do not add up to its size";
	if (!why && !digest_eq(&got, id))
		why = "bytes do not hash to the id";
	return why;
}

static const char *check_tree(struct check *c, const MDB_val *k,
			      const MDB_val *v, struct digest *id)
{
	struct tree_iter it;
	struct store_tree_entry e;
	struct digest got;
	const char *why = NULL;
	int rc;

	(void)k;
	if (v->mv_size < 1 || ((unsigned char *)v->mv_data)[0] != RECORD_VERSION)
		return "record is malformed";
	sha256((unsigned char *)v->mv_data + 1, v->mv_size - 1, &got);
	if (!digest_eq(&got, id))
		return "bytes do not hash to the id";
	if (tree_iter_init(&it, (unsigned char *)v->mv_data + 1,
			   v->mv_size - 1))
		return "record is malformed";
	while (!why && (rc = tree_iter_next(&it, &e)) == 1) {
		MDB_val bk = { DIGEST_LEN, e.id.b }, bv;
		struct blob_rec b;

		if (e.kind != 'f' && e.kind != 'x')
			continue;
		if (mdb_get(c->txn, c->s->blobs, &bk, &bv))
			why = "a blob it names is missing";
		else if (idset_has(&c->bad_blobs, &e.id))
			why = "a blob it names is damaged";
		else if (blob_decode(&bv, &b) == 0 && b.size != e.size)
			why = "an entry's size differs from its blob";
	}
	if (!why && rc < 0)
		why = "an entry is malformed or unsafe";
	tree_iter_release(&it);
	return why;
}

/* An alias names a blob that is stored and whole. */
static const char *check_alias(struct check *c, const MDB_val *k,
			       const MDB_val *v, struct digest *id)
{
	MDB_val bk, bv;
	struct digest b;

	(void)k, (void)id;
	if (v->mv_size != DIGEST_LEN)
		return "record is malformed";
	memcpy(b.b, v->mv_data, DIGEST_LEN);
	bk.mv_size = DIGEST_LEN;
	bk.mv_data = b.b;
	if (mdb_get(c->txn, c->s->blobs, &bk, &bv))
		return "the blob it names is missing";
	if (idset_has(&c->bad_blobs, &b))
		return "the blob it names is damaged";
	return NULL;
}

/* An id as stored: an alias's blob, or itself. */
static void through_alias(struct check *c, struct digest *id)
{
	struct digest b;

	if (!idset_has(&c->bad_aliases, id) &&
	    alias_get(c->s, c->txn, id, &b) == 0)
		*id = b;
}

/* Check every record of dbi with fn; the bad ones go into bad. */
static int pass(struct check *c, MDB_dbi dbi, const char *db, check_fn fn,
		struct idset *bad, struct err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, dbi, &cur)))
		return store_fail(err, rc, "cannot read '%s'", db);
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		struct digest id;
		const char *why;

		c->res->checked++;
		key_id(&k, &id);
		why = k.mv_size != DIGEST_LEN ? "key is not a 32-byte id"
					      : fn(c, &k, &v, &id);
		if (!why)
			continue;
		idset_add(bad, &id);
		report(c, db, &k, why);
		if (c->repair && (rc = mdb_cursor_del(cur, 0)))
			break;
		c->res->repaired += c->repair;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return store_fail(err, rc, "cannot check '%s'", db);
	return 0;
}

static int check_roots(struct check *c, struct err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct buf keep = BUF_INIT;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, c->s->roots, &cur)))
		return store_fail(err, rc, "cannot read 'roots'");
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		const unsigned char *p = v.mv_data;
		uint32_t n, i, kept = 0;
		const char *why = NULL;

		c->res->checked++;
		if (v.mv_size < 5 || p[0] != RECORD_VERSION ||
		    v.mv_size - 5 != (size_t)get_u32(p + 1) * DIGEST_LEN) {
			report(c, "roots", &k, "record is malformed");
			if (c->repair && (rc = mdb_cursor_del(cur, 0)))
				break;
			c->res->repaired += c->repair;
			continue;
		}
		n = get_u32(p + 1);
		buf_truncate(&keep, 0);
		buf_add(&keep, p, 5);
		for (i = 0; i < n; i++) {
			MDB_val ik = { DIGEST_LEN, (void *)(p + 5 + 32 * i) }, iv;
			struct digest id, named;

			memcpy(id.b, ik.mv_data, DIGEST_LEN);
			named = id;
			through_alias(c, &id);
			ik.mv_data = id.b;
			if ((mdb_get(c->txn, c->s->blobs, &ik, &iv) == 0 &&
			     !idset_has(&c->bad_blobs, &id)) ||
			    (mdb_get(c->txn, c->s->trees, &ik, &iv) == 0 &&
			     !idset_has(&c->bad_trees, &id))) {
				buf_add(&keep, named.b, DIGEST_LEN);
				kept++;
			} else {
				why = "it names an object that is missing or "
				      "damaged";
			}
		}
		if (!why)
			continue;
		report(c, "roots", &k, why);
		if (c->repair) {
			/* Keep the root with the objects that are whole. */
			MDB_val nv;
			put_u32((unsigned char *)keep.data + 1, kept);
			nv.mv_size = keep.len;
			nv.mv_data = keep.data;
			rc = kept ? mdb_cursor_put(cur, &k, &nv, MDB_CURRENT)
				  : mdb_cursor_del(cur, 0);
			if (rc)
				break;
			c->res->repaired++;
		}
	}
	mdb_cursor_close(cur);
	buf_release(&keep);
	if (rc != MDB_NOTFOUND)
		return store_fail(err, rc, "cannot check 'roots'");
	return 0;
}

/* Whether object id (through an alias) is stored: 1 whole, 0 missing,
 * -1 damaged. */
static int object_state(struct check *c, const struct digest *id)
{
	MDB_val k, v;
	struct digest o = *id;

	through_alias(c, &o);
	k.mv_size = DIGEST_LEN;
	k.mv_data = o.b;
	if (mdb_get(c->txn, c->s->blobs, &k, &v) == 0)
		return idset_has(&c->bad_blobs, &o) ? -1 : 1;
	if (mdb_get(c->txn, c->s->trees, &k, &v) == 0)
		return idset_has(&c->bad_trees, &o) ? -1 : 1;
	return 0;
}

/* Runs: whole records whose outputs, and what their payloads name (a
 * log), exist and are whole. */
static const char *check_run(struct check *c, const MDB_val *k,
			     const MDB_val *v, struct digest *id)
{
	struct store_run r;
	struct digest got, refs[STORE_RUN_REFS_MAX];
	size_t i, n;
	int st;

	(void)k;
	if (run_decode(v->mv_data, v->mv_size, &r))
		return "record is malformed";
	sha256((unsigned char *)v->mv_data + 9, v->mv_size - 9, &got);
	if (!digest_eq(&got, id))
		return "bytes do not hash to the id";
	for (i = 0; i < r.noutputs; i++) {
		struct digest o;

		memcpy(o.b, r.outputs[i].b, DIGEST_LEN);
		if ((st = object_state(c, &o)) < 0)
			return "an output is damaged";
		if (st == 0)
			return "an output is missing";
	}
	n = c->refs ? c->refs->fn(&r, refs, STORE_RUN_REFS_MAX, c->refs->ctx)
		    : 0;
	for (i = 0; i < n; i++) {
		char hex[DIGEST_HEX + 1];

		if ((st = object_state(c, &refs[i])) > 0)
			continue;
		digest_hex(&refs[i], hex);
		buf_truncate(&c->why, 0);
		buf_addf(&c->why, "its %s %s is %s", c->refs->what, hex,
			 st ? "damaged" : "missing");
		return c->why.data;
	}
	return NULL;
}

/*
 * Index entries (actions: ~time and run id; lineage: role and run id) must
 * be well formed and name runs that exist; repair deletes the others.
 */
static int check_index(struct check *c, MDB_dbi dbi, const char *db,
		       size_t esize, size_t off, struct err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, dbi, &cur)))
		return store_fail(err, rc, "cannot read '%s'", db);
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		const char *why = NULL;
		MDB_val rk, rv;

		c->res->checked++;
		if (k.mv_size != DIGEST_LEN || v.mv_size != esize) {
			why = "record is malformed";
		} else {
			rk.mv_size = DIGEST_LEN;
			rk.mv_data = (unsigned char *)v.mv_data + off;
			if (mdb_get(c->txn, c->s->runs, &rk, &rv))
				why = "it names a run that is missing";
			else if (off == 1 &&
				 ((unsigned char *)v.mv_data)[0] != STORE_PRODUCED &&
				 ((unsigned char *)v.mv_data)[0] != STORE_USED)
				why = "record is malformed";
		}
		if (!why)
			continue;
		report(c, db, &k, why);
		if (c->repair && (rc = mdb_cursor_del(cur, 0)))
			break;
		c->res->repaired += c->repair;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_fail(err, rc, "cannot check '%s'",
						   db);
}

static int count_unreferenced(struct check *c, struct err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, c->s->chunks, &cur)))
		return store_fail(err, rc, "cannot read 'chunks'");
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		struct digest id;
		key_id(&k, &id);
		c->res->unreferenced_chunks += !idset_has(&c->referenced, &id);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_fail(err, rc, "cannot read "
							    "'chunks'");
}

int store_fsck(struct store *s, int repair,
	       void (*fn)(const struct store_finding *f, void *ctx), void *ctx,
	       struct store_fsck_result *out, struct err *err)
{
	return store_fsck_refs(s, repair, NULL, fn, ctx, out, err);
}

int store_fsck_refs(struct store *s, int repair,
		    const struct store_run_refs *refs,
		    void (*fn)(const struct store_finding *f, void *ctx),
		    void *ctx, struct store_fsck_result *out, struct err *err)
{
	struct check c;
	struct page_visitor pv = { bad_page, NULL, NULL, &c };
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.fn = fn;
	c.ctx = ctx;
	c.res = out;
	c.repair = repair;
	c.refs = refs;
	idset_init(&c.bad_chunks);
	idset_init(&c.bad_blobs);
	idset_init(&c.bad_trees);
	idset_init(&c.bad_runs);
	idset_init(&c.bad_aliases);
	idset_init(&c.referenced);
	buf_init(&c.scratch);
	buf_init(&c.why);
	if (repair && (s->flags & STORE_RDONLY))
		return store_fail(err, STORE_BADARG, "cannot repair a store "
						     "opened read-only");
	if ((repair && (rc = store_reserve(s, 0, err))) ||
	    (rc = store_txn_begin(s, repair, &c.txn, err)))
		return rc;
	/* The B-tree first: LMDB must never walk a damaged page (and no
	 * record is trusted or repaired in place then).  Chunks next: blobs
	 * are judged by their chunks, trees by blobs. */
	if (!(rc = pages_walk(s, c.txn, &pv, &out->pages, err)) &&
	    !out->pages &&
	    !(rc = pass(&c, s->chunks, "chunks", check_chunk, &c.bad_chunks,
			err)) &&
	    !(rc = pass(&c, s->blobs, "blobs", check_blob, &c.bad_blobs, err)) &&
	    (s->no_aliases ||
	     !(rc = pass(&c, s->aliases, "aliases", check_alias,
			 &c.bad_aliases, err))) &&
	    !(rc = pass(&c, s->trees, "trees", check_tree, &c.bad_trees, err)) &&
	    !(rc = check_roots(&c, err)) &&
	    !(rc = pass(&c, s->runs, "runs", check_run, &c.bad_runs, err)) &&
	    !(rc = check_index(&c, s->actions, "actions", 8 + DIGEST_LEN, 8,
			       err)) &&
	    !(rc = check_index(&c, s->lineage, "lineage", 1 + DIGEST_LEN, 1,
			       err)))
		rc = count_unreferenced(&c, err);
	if (rc || !repair || out->pages)
		mdb_txn_abort(c.txn);
	else if ((rc = mdb_txn_commit(c.txn)))
		rc = store_fail(err, rc, "cannot commit the repair");
	store_read_refresh(s);
	idset_release(&c.bad_chunks);
	idset_release(&c.bad_blobs);
	idset_release(&c.bad_trees);
	idset_release(&c.bad_runs);
	idset_release(&c.bad_aliases);
	idset_release(&c.referenced);
	buf_release(&c.scratch);
	buf_release(&c.why);
	return rc;
}
