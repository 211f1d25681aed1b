/*
 * gc: keep what roots reach (a tree keeps its blobs, a blob its chunks),
 * remove the rest; and the store's statistics.  Marking and sweeping run
 * in one write transaction, so an ingest running at the same time (which
 * may reuse an unreferenced chunk) waits instead of losing that chunk.
 */
#include <sys/stat.h>

#include "err.h"
#include "idset.h"
#include "store_internal.h"
#include "util.h"

struct gc {
	struct store *s;
	MDB_txn *txn;
	struct idset trees, blobs, chunks;
};

static int mark_blob(struct gc *g, const struct digest *id)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b }, v;
	struct blob_rec b;
	uint32_t i, len;

	if (!idset_add(&g->blobs, id))
		return 0;
	if (mdb_get(g->txn, g->s->blobs, &k, &v) || blob_decode(&v, &b))
		return 0;	/* fsck's business */
	for (i = 0; i < b.n; i++) {
		struct digest cid;
		blob_chunk(&b, i, &cid, &len);
		idset_add(&g->chunks, &cid);
	}
	return 0;
}

static void mark(struct gc *g, const struct digest *id)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b }, v;
	struct tree_iter it;
	struct store_tree_entry e;

	if (mdb_get(g->txn, g->s->trees, &k, &v) == 0) {
		if (!idset_add(&g->trees, id) || v.mv_size < 1 ||
		    tree_iter_init(&it, (unsigned char *)v.mv_data + 1,
				   v.mv_size - 1))
			return;
		while (tree_iter_next(&it, &e) == 1)
			if (e.kind == 'f' || e.kind == 'x')
				mark_blob(g, &e.id);
		tree_iter_release(&it);
		return;
	}
	mark_blob(g, id);
}

static int sweep(struct gc *g, MDB_dbi dbi, const char *db,
		 const struct idset *live, int dry_run,
		 void (*fn)(const struct store_finding *f, void *ctx),
		 void *ctx, uint64_t *count, uint64_t *bytes, uint64_t *kept,
		 struct err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(g->txn, dbi, &cur)))
		return store_fail(err, rc, "cannot read '%s'", db);
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		struct store_finding f = { db, NULL, NULL, 0, 0 };
		char hex[DIGEST_HEX + 1];
		struct digest id;

		if (k.mv_size == DIGEST_LEN) {
			memcpy(id.b, k.mv_data, DIGEST_LEN);
			if (idset_has(live, &id)) {
				*kept += k.mv_size + v.mv_size;
				continue;
			}
			digest_hex(&id, hex);
			f.key = hex;
		} else {
			f.key = "(malformed key)";
		}
		f.bytes = k.mv_size + v.mv_size;
		(*count)++;
		*bytes += f.bytes;
		if (fn)
			fn(&f, ctx);
		if (!dry_run && (rc = mdb_cursor_del(cur, 0)))
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_fail(err, rc, "cannot sweep "
							    "'%s'",
						   db);
}

static int mark_root(const struct store_root *r, void *ctx)
{
	struct gc *g = ctx;
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct digest id;
		memcpy(id.b, r->ids[i].b, DIGEST_LEN);
		mark(g, &id);
	}
	return 0;
}

static int walk_roots(struct gc *g, struct err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(g->txn, g->s->roots, &cur)))
		return store_fail(err, rc, "cannot read roots");
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		const unsigned char *p = v.mv_data;
		struct store_root r;

		if (v.mv_size < 5 || p[0] != RECORD_VERSION ||
		    v.mv_size - 5 != (size_t)get_u32(p + 1) * DIGEST_LEN) {
			mdb_cursor_close(cur);
			/* Never sweep with a root we cannot read. */
			return store_fail(err, STORE_CORRUPT,
					  "a root record is damaged; run "
					  "'cairn fsck' first");
		}
		r.name = NULL;
		r.n = get_u32(p + 1);
		r.ids = (const struct digest *)(p + 5);
		mark_root(&r, g);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_fail(err, rc, "cannot read "
							    "roots");
}

int store_gc(struct store *s, int dry_run, uint64_t max_size,
	     void (*fn)(const struct store_finding *f, void *ctx), void *ctx,
	     struct store_gc_result *out, struct err *err)
{
	struct gc g;
	int rc;

	(void)max_size;
	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	g.s = s;
	idset_init(&g.trees);
	idset_init(&g.blobs);
	idset_init(&g.chunks);
	if ((!dry_run && (rc = store_reserve(s, 0, err))) ||
	    (rc = store_txn_begin(s, !dry_run, &g.txn, err)))
		return rc;
	if (!(rc = walk_roots(&g, err)) &&
	    !(rc = sweep(&g, s->trees, "trees", &g.trees, dry_run, fn, ctx,
			 &out->trees, &out->bytes, &out->kept_bytes, err)) &&
	    !(rc = sweep(&g, s->blobs, "blobs", &g.blobs, dry_run, fn, ctx,
			 &out->blobs, &out->bytes, &out->kept_bytes, err)))
		rc = sweep(&g, s->chunks, "chunks", &g.chunks, dry_run, fn, ctx,
			   &out->chunks, &out->bytes, &out->kept_bytes, err);
	if (rc || dry_run)
		mdb_txn_abort(g.txn);
	else if ((rc = mdb_txn_commit(g.txn)))
		rc = store_fail(err, rc, "cannot commit gc");
	idset_release(&g.trees);
	idset_release(&g.blobs);
	idset_release(&g.chunks);
	return rc;
}

static int count(MDB_txn *txn, MDB_dbi dbi, uint64_t *n)
{
	MDB_stat st;
	int rc = mdb_stat(txn, dbi, &st);

	*n = rc ? 0 : st.ms_entries;
	return rc;
}

int store_stats(struct store *s, struct store_stats *out, struct err *err)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct buf p = BUF_INIT;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_txn_begin(s, 0, &txn, err)))
		return rc;
	count(txn, s->blobs, &out->blobs);
	count(txn, s->trees, &out->trees);
	count(txn, s->chunks, &out->chunks);
	count(txn, s->roots, &out->roots);
	if ((rc = mdb_cursor_open(txn, s->blobs, &cur)) == 0) {
		while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
			struct blob_rec b;
			if (blob_decode(&v, &b))
				continue;
			out->logical += b.size;
			if (b.kind == BLOB_INLINE) {
				out->inline_blobs++;
				out->stored += b.size;
				out->unique += b.size;
			}
		}
		mdb_cursor_close(cur);
	}
	if (rc == MDB_NOTFOUND &&
	    (rc = mdb_cursor_open(txn, s->chunks, &cur)) == 0) {
		while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
			const unsigned char *c = v.mv_data;
			if (v.mv_size < CHUNK_HDR)
				continue;
			out->chunk_raw += get_u32(c + 2);
			out->unique += get_u32(c + 2);
			out->stored += v.mv_size - CHUNK_HDR;
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	if (rc != MDB_NOTFOUND)
		return store_fail(err, rc, "cannot read store '%s'", s->path);
	buf_addf(&p, "%s/data.mdb", s->path);
	if (stat(p.data, &st) == 0)
		out->file_bytes = (uint64_t)st.st_size;
	buf_release(&p);
	return 0;
}
