/*
 * Raw records out: what a push sends (docs/store-format.md, "Raw
 * records").  The walk gathers everything some ids need, each object
 * once, in the store's crash-safe order (chunks, chunk lists, inline
 * blobs, aliases, trees, runs: each kind names only kinds before it), so
 * a remote filled in that order never holds a record naming what it does
 * not hold.  Reads check what hashes to an id before it goes out, as
 * store_cat does: a damaged object never leaves the store.
 */
#include "err.h"
#include "idset.h"
#include "store_internal.h"
#include "store_writer.h"
#include "util.h"

#define NKINDS (STORE_RAW_RUN + 1)

const char *store_raw_kind_name(enum store_raw_kind kind)
{
	switch (kind) {
	case STORE_RAW_CHUNK: return "chunk";
	case STORE_RAW_LIST: return "list";
	case STORE_RAW_INLINE: return "inline";
	case STORE_RAW_ALIAS: return "alias";
	case STORE_RAW_TREE: return "tree";
	case STORE_RAW_RUN: return "run";
	case STORE_RAW_ACTION: return "action";
	case STORE_RAW_BLOB: return "blob";
	case STORE_RAW_OBJECT: return "object";
	}
	return "unknown";
}

static int get(MDB_txn *txn, MDB_dbi dbi, const struct digest *id,
	       MDB_val *v)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b };

	return mdb_get(txn, dbi, &k, v);
}

static int damaged(struct err *err, const char *what,
		   const struct digest *id, const char *why)
{
	char hex[DIGEST_HEX + 1];

	digest_hex(id, hex);
	store_fail(err, 0, "%s %s is damaged: %s (run 'cairn fsck')", what,
		   hex, why);
	return STORE_CORRUPT;
}

/* "run X: its output Y is missing" */
static int names_missing(struct err *err, const char *what,
			 const struct digest *id, const char *role,
			 const struct digest *named)
{
	char a[DIGEST_HEX + 1], b[DIGEST_HEX + 1];

	digest_hex(id, a);
	digest_hex(named, b);
	store_fail(err, 0, "%s %s is damaged: its %s %s is missing (run "
			   "'cairn fsck')",
		   what, a, role, b);
	return STORE_CORRUPT;
}

/* ---- the walk ---- */

struct plan {
	struct store *s;
	MDB_txn *txn;
	const struct store_run_refs *refs;
	int (*skip)(const struct store_raw_item *it, void *ctx);
	void *ctx;
	struct idset seen[NKINDS];
	struct store_raw_item *items[NKINDS];
	size_t n[NKINDS], cap[NKINDS];
	struct err *err;
};

/*
 * Whether it is new and wanted: 1 visit it (and what it names), 0 not
 * (seen already, or skipped), < 0 an error.
 */
static int visit(struct plan *p, const struct store_raw_item *it)
{
	int rc;

	if (!idset_add(&p->seen[it->kind], &it->id))
		return 0;
	if (p->skip && (rc = p->skip(it, p->ctx)) != 0)
		return rc < 0 ? rc : 0;
	return 1;
}

static void keep(struct plan *p, const struct store_raw_item *it)
{
	int k = it->kind;

	xgrow((void **)&p->items[k], &p->cap[k], p->n[k] + 1,
	      sizeof(*p->items[k]));
	p->items[k][p->n[k]++] = *it;
}

static int plan_blob(struct plan *p, const struct digest *id)
{
	struct store_raw_item it;
	struct blob_rec b;
	uint64_t total = 0;
	uint32_t i, len;
	MDB_val v;
	int rc;

	memset(&it, 0, sizeof(it));
	it.id = *id;
	if ((rc = get(p->txn, p->s->blobs, id, &v)))
		return rc == MDB_NOTFOUND ? STORE_NOTFOUND
					  : store_fail(p->err, rc, "cannot read "
								   "store '%s'",
						       p->s->path);
	if (blob_decode(&v, &b))
		return damaged(p->err, "blob", id, "its record is malformed");
	if (b.kind == BLOB_INLINE) {
		it.kind = STORE_RAW_INLINE;
		it.size = b.size;
		if ((rc = visit(p, &it)) > 0)
			keep(p, &it);
		return rc < 0 ? rc : 0;
	}
	it.kind = STORE_RAW_LIST;
	it.size = v.mv_size;
	if ((rc = visit(p, &it)) <= 0)
		return rc;
	for (i = 0; i < b.n; i++) {
		struct store_raw_item c;
		MDB_val cv;

		memset(&c, 0, sizeof(c));
		c.kind = STORE_RAW_CHUNK;
		blob_chunk(&b, i, &c.id, &len);
		c.size = len;
		total += len;
		if (get(p->txn, p->s->chunks, &c.id, &cv))
			return damaged(p->err, "blob", id,
				       "a chunk it lists is missing");
		if (cv.mv_size < CHUNK_HDR ||
		    get_u32((unsigned char *)cv.mv_data + 2) != len)
			return damaged(p->err, "blob", id,
				       "a chunk's length differs from its "
				       "list");
		if ((rc = visit(p, &c)) < 0)
			return rc;
		if (rc)
			keep(p, &c);
	}
	if (total != b.size)
		return damaged(p->err, "blob", id,
			       "its chunks do not add up to its size");
	keep(p, &it);
	return 0;
}

static int plan_tree(struct plan *p, const struct digest *id, MDB_val *v)
{
	struct store_raw_item it;
	struct store_tree_entry e;
	struct tree_iter it_;
	int rc;

	memset(&it, 0, sizeof(it));
	it.kind = STORE_RAW_TREE;
	it.id = *id;
	it.size = v->mv_size ? v->mv_size - 1 : 0;
	if ((rc = visit(p, &it)) <= 0)
		return rc;
	if (v->mv_size < 1 || ((unsigned char *)v->mv_data)[0] != RECORD_VERSION ||
	    tree_iter_init(&it_, (unsigned char *)v->mv_data + 1,
			   v->mv_size - 1))
		return damaged(p->err, "tree", id, "its record is malformed");
	while ((rc = tree_iter_next(&it_, &e)) == 1) {
		if (e.kind != 'f' && e.kind != 'x')
			continue;
		rc = plan_blob(p, &e.id);
		if (rc == STORE_NOTFOUND)
			rc = names_missing(p->err, "tree", id, "blob", &e.id);
		if (rc)
			goto out;
	}
	if (rc < 0)
		rc = damaged(p->err, "tree", id,
			     "an entry is malformed or unsafe");
out:
	tree_iter_release(&it_);
	if (rc)
		return rc;
	keep(p, &it);
	return 0;
}

static int plan_object(struct plan *p, const struct digest *id);

static int plan_run(struct plan *p, const struct digest *id, MDB_val *v)
{
	struct store_raw_item it;
	struct digest refs[STORE_RUN_REFS_MAX];
	struct store_run r;
	size_t i, nrefs;
	int rc;

	memset(&it, 0, sizeof(it));
	it.kind = STORE_RAW_RUN;
	it.id = *id;
	if (run_decode(v->mv_data, v->mv_size, &r))
		return damaged(p->err, "run", id, "its record is malformed");
	it.size = v->mv_size - 9;
	{
		/* Failed runs have no actions entry (store_put_run). */
		unsigned char av[8 + DIGEST_LEN];
		uint64_t t = ~(uint64_t)r.time_ns;
		MDB_cursor *cur;
		MDB_val k = { DIGEST_LEN, r.key.b }, d = { sizeof(av), av };

		for (i = 0; i < 8; i++)
			av[i] = (unsigned char)(t >> (56 - 8 * i));
		memcpy(av + 8, id->b, DIGEST_LEN);
		if ((rc = mdb_cursor_open(p->txn, p->s->actions, &cur)))
			return store_fail(p->err, rc, "cannot read store '%s'",
					  p->s->path);
		rc = mdb_cursor_get(cur, &k, &d, MDB_GET_BOTH);
		mdb_cursor_close(cur);
		if (rc && rc != MDB_NOTFOUND)
			return store_fail(p->err, rc, "cannot read store '%s'",
					  p->s->path);
		it.failed = rc == MDB_NOTFOUND;
	}
	if ((rc = visit(p, &it)) <= 0)
		return rc;
	/* r points into the snapshot, which stays as it is meanwhile. */
	for (i = 0; i < r.noutputs; i++) {
		struct digest o;

		memcpy(o.b, r.outputs[i].b, DIGEST_LEN);
		rc = plan_object(p, &o);
		if (rc == STORE_NOTFOUND)
			return names_missing(p->err, "run", id, "output", &o);
		if (rc)
			return rc;
	}
	nrefs = p->refs ? p->refs->fn(&r, refs, STORE_RUN_REFS_MAX,
				      p->refs->ctx)
			: 0;
	for (i = 0; i < nrefs; i++) {
		rc = plan_object(p, &refs[i]);
		if (rc == STORE_NOTFOUND)
			return names_missing(p->err, "run", id, p->refs->what,
					     &refs[i]);
		if (rc)
			return rc;
	}
	keep(p, &it);
	return 0;
}

/* A blob, a tree or a content id; STORE_NOTFOUND without a message. */
static int plan_object(struct plan *p, const struct digest *id)
{
	struct store_raw_item it;
	MDB_val v;
	int rc;

	if (get(p->txn, p->s->blobs, id, &v) == 0)
		return plan_blob(p, id);
	if (get(p->txn, p->s->trees, id, &v) == 0)
		return plan_tree(p, id, &v);
	memset(&it, 0, sizeof(it));
	if (alias_get(p->s, p->txn, id, &it.blob))
		return STORE_NOTFOUND;
	it.kind = STORE_RAW_ALIAS;
	it.id = *id;
	it.size = DIGEST_LEN;
	if ((rc = visit(p, &it)) <= 0)
		return rc;
	rc = plan_blob(p, &it.blob);
	if (rc == STORE_NOTFOUND)
		return names_missing(p->err, "alias", id, "blob", &it.blob);
	if (rc)
		return rc;
	keep(p, &it);
	return 0;
}

int store_raw_walk(struct store *s, const struct digest *ids, size_t n,
		   const struct store_run_refs *refs,
		   int (*skip)(const struct store_raw_item *it, void *ctx),
		   void *ctx, struct store_raw_item **items, size_t *nitems,
		   struct err *err)
{
	struct plan p;
	size_t i, total = 0;
	int k, rc;

	*items = NULL;
	*nitems = 0;
	memset(&p, 0, sizeof(p));
	p.s = s;
	p.refs = refs;
	p.skip = skip;
	p.ctx = ctx;
	p.err = err;
	for (k = 0; k < NKINDS; k++)
		idset_init(&p.seen[k]);
	if ((rc = store_read_begin(s, &p.txn, err)))
		goto out;
	for (i = 0; i < n && !rc; i++) {
		MDB_val v;

		if (get(p.txn, s->runs, &ids[i], &v) == 0)
			rc = plan_run(&p, &ids[i], &v);
		else
			rc = plan_object(&p, &ids[i]);
		if (rc == STORE_NOTFOUND) {
			char hex[DIGEST_HEX + 1];

			digest_hex(&ids[i], hex);
			store_fail(err, 0, "no object %s in store '%s'", hex,
				   s->path);
		}
	}
	store_read_end(s);
	if (rc)
		goto out;
	for (k = 0; k < NKINDS; k++)
		total += p.n[k];
	*items = xcalloc(total ? total : 1, sizeof(**items));
	for (k = 0; k < NKINDS; k++) {
		if (p.n[k])
			memcpy(*items + *nitems, p.items[k],
			       p.n[k] * sizeof(**items));
		*nitems += p.n[k];
	}
out:
	for (k = 0; k < NKINDS; k++) {
		idset_release(&p.seen[k]);
		free(p.items[k]);
	}
	return rc;
}

/* ---- one record ---- */

static int not_stored(struct store *s, struct err *err,
		      enum store_raw_kind kind, const struct digest *id)
{
	char hex[DIGEST_HEX + 1];

	digest_hex(id, hex);
	return store_fail(err, STORE_NOTFOUND, "no %s %s in store '%s'",
			  kind == STORE_RAW_LIST	? "chunked blob"
			  : kind == STORE_RAW_INLINE ? "inline blob"
						     : store_raw_kind_name(kind),
			  hex, s->path);
}

/* A chunk record's bytes (in the map, or in scratch when compressed),
 * checked against id. */
static int chunk_checked(const MDB_val *v, const struct digest *id,
			 struct buf *scratch, const unsigned char **data,
			 size_t *n, struct err *err)
{
	struct digest got;

	if (chunk_bytes(v, scratch, data, n))
		return damaged(err, "chunk", id, "its record is malformed");
	sha256(*data, *n, &got);
	if (!digest_eq(&got, id))
		return damaged(err, "chunk", id,
			       "its bytes do not hash to its id");
	return 0;
}

static int raw_txn(struct store *s, MDB_txn *txn, enum store_raw_kind kind,
		   const struct digest *id, struct buf *out, struct err *err)
{
	const unsigned char *data;
	struct blob_rec b;
	struct digest got;
	struct buf scratch = BUF_INIT;
	MDB_dbi dbi;
	MDB_val v;
	size_t n;
	int rc;

	switch (kind) {
	case STORE_RAW_CHUNK: dbi = s->chunks; break;
	case STORE_RAW_LIST:
	case STORE_RAW_INLINE: dbi = s->blobs; break;
	case STORE_RAW_ALIAS:
		if (s->no_aliases)
			return not_stored(s, err, kind, id);
		dbi = s->aliases;
		break;
	case STORE_RAW_TREE: dbi = s->trees; break;
	case STORE_RAW_RUN: dbi = s->runs; break;
	default:
		return store_fail(err, STORE_BADARG, "no raw record of kind "
						     "'%s'",
				  store_raw_kind_name(kind));
	}
	if ((rc = get(txn, dbi, id, &v)) == MDB_NOTFOUND)
		return not_stored(s, err, kind, id);
	if (rc)
		return store_fail(err, rc, "cannot read store '%s'", s->path);
	switch (kind) {
	case STORE_RAW_CHUNK:
		rc = chunk_checked(&v, id, &scratch, &data, &n, err);
		if (!rc)
			buf_add(out, data, n);
		break;
	case STORE_RAW_LIST:
	case STORE_RAW_INLINE:
		if (blob_decode(&v, &b))
			return damaged(err, "blob", id, "its record is malformed");
		if ((b.kind == BLOB_INLINE) != (kind == STORE_RAW_INLINE))
			return not_stored(s, err, kind, id);
		if (kind == STORE_RAW_INLINE) {
			sha256(b.data, b.size, &got);
			if (!digest_eq(&got, id))
				return damaged(err, "blob", id,
					       "its bytes do not hash to its id");
			buf_add(out, b.data, b.size);
			return 0;
		}
		{
			uint64_t total = 0;
			uint32_t i, len;

			for (i = 0; i < b.n; i++) {
				struct digest cid;
				MDB_val cv;

				blob_chunk(&b, i, &cid, &len);
				if (get(txn, s->chunks, &cid, &cv))
					return damaged(err, "blob", id,
						       "a chunk it lists is "
						       "missing");
				if (cv.mv_size < CHUNK_HDR ||
				    get_u32((unsigned char *)cv.mv_data + 2) !=
					    len)
					return damaged(err, "blob", id,
						       "a chunk's length "
						       "differs from its list");
				total += len;
			}
			if (b.n == 0 || total != b.size)
				return damaged(err, "blob", id,
					       "its chunks do not add up to its "
					       "size");
		}
		buf_add(out, v.mv_data, v.mv_size);
		return 0;
	case STORE_RAW_ALIAS:
		if (v.mv_size != DIGEST_LEN)
			return damaged(err, "alias", id, "its record is "
							 "malformed");
		buf_add(out, v.mv_data, DIGEST_LEN);
		return 0;
	case STORE_RAW_TREE:
		if (v.mv_size < 1 || ((unsigned char *)v.mv_data)[0] != RECORD_VERSION)
			return damaged(err, "tree", id, "its record is malformed");
		sha256((unsigned char *)v.mv_data + 1, v.mv_size - 1, &got);
		if (!digest_eq(&got, id))
			return damaged(err, "tree", id,
				       "its bytes do not hash to its id");
		buf_add(out, (unsigned char *)v.mv_data + 1, v.mv_size - 1);
		return 0;
	case STORE_RAW_RUN: {
		struct store_run r;

		if (run_decode(v.mv_data, v.mv_size, &r))
			return damaged(err, "run", id, "its record is malformed");
		sha256((unsigned char *)v.mv_data + 9, v.mv_size - 9, &got);
		if (!digest_eq(&got, id))
			return damaged(err, "run", id,
				       "its bytes do not hash to its id");
		buf_add(out, (unsigned char *)v.mv_data + 9, v.mv_size - 9);
		return 0;
	}
	default:
		break;
	}
	buf_release(&scratch);
	return rc;
}

int store_raw_get(struct store *s, enum store_raw_kind kind,
		  const struct digest *id, struct buf *out, struct err *err)
{
	MDB_txn *txn;
	int rc;

	buf_truncate(out, 0);
	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	rc = raw_txn(s, txn, kind, id, out, err);
	store_read_end(s);
	if (rc)
		buf_truncate(out, 0);
	return rc;
}

int store_raw_has(struct store *s, enum store_raw_kind kind,
		  const struct digest *id)
{
	MDB_dbi dbs[3];
	MDB_txn *txn;
	MDB_val v;
	int i, n = 0, rc;

	switch (kind) {
	case STORE_RAW_CHUNK: dbs[n++] = s->chunks; break;
	case STORE_RAW_LIST:
	case STORE_RAW_INLINE:
	case STORE_RAW_BLOB: dbs[n++] = s->blobs; break;
	case STORE_RAW_TREE: dbs[n++] = s->trees; break;
	case STORE_RAW_RUN: dbs[n++] = s->runs; break;
	case STORE_RAW_OBJECT:
		dbs[n++] = s->blobs;
		dbs[n++] = s->trees;
		/* fall through */
	case STORE_RAW_ALIAS:
		if (!s->no_aliases)
			dbs[n++] = s->aliases;
		break;
	default:
		return STORE_BADARG;
	}
	if ((rc = store_read_begin(s, &txn, NULL)))
		return rc;
	for (i = 0, rc = MDB_NOTFOUND; i < n && rc == MDB_NOTFOUND; i++)
		rc = get(txn, dbs[i], id, &v);
	store_read_end(s);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? STORE_LMDB : 1;
}

/* ---- what a record names ---- */

struct names {
	struct idset seen;
	struct store_raw_item *items;
	size_t n, cap;
};

static void name(struct names *nm, enum store_raw_kind kind,
		 const struct digest *id, uint64_t size)
{
	struct store_raw_item *it;

	if (!idset_add(&nm->seen, id))
		return;
	xgrow((void **)&nm->items, &nm->cap, nm->n + 1, sizeof(*nm->items));
	it = &nm->items[nm->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->id = *id;
	it->size = size;
}

int store_raw_names(enum store_raw_kind kind, const struct digest *id,
		    const void *data, size_t n,
		    const struct store_run_refs *refs,
		    struct store_raw_item **items, size_t *nitems,
		    struct err *err)
{
	struct names nm;
	const char *what = store_raw_kind_name(kind);
	int rc = 0;

	*items = NULL;
	*nitems = 0;
	memset(&nm, 0, sizeof(nm));
	idset_init(&nm.seen);
	switch (kind) {
	case STORE_RAW_CHUNK:
	case STORE_RAW_INLINE:
		break;
	case STORE_RAW_LIST: {
		MDB_val v = { n, (void *)data };
		struct blob_rec b;
		uint32_t i, len;

		what = "chunk list";
		if (blob_decode(&v, &b) || b.kind != BLOB_CHUNKED) {
			rc = STORE_CORRUPT;
			break;
		}
		for (i = 0; i < b.n; i++) {
			struct digest cid;

			blob_chunk(&b, i, &cid, &len);
			name(&nm, STORE_RAW_CHUNK, &cid, len);
		}
		break;
	}
	case STORE_RAW_ALIAS:
		if (n != DIGEST_LEN) {
			rc = STORE_CORRUPT;
			break;
		}
		{
			struct digest b;

			memcpy(b.b, data, DIGEST_LEN);
			name(&nm, STORE_RAW_BLOB, &b, 0);
		}
		break;
	case STORE_RAW_TREE: {
		struct tree_iter it;
		struct store_tree_entry e;

		if ((rc = tree_iter_init(&it, data, n)) == 0) {
			while ((rc = tree_iter_next(&it, &e)) == 1)
				if (e.kind == 'f' || e.kind == 'x')
					name(&nm, STORE_RAW_BLOB, &e.id,
					     e.size);
		}
		tree_iter_release(&it);
		break;
	}
	case STORE_RAW_RUN: {
		struct digest ids[STORE_RUN_REFS_MAX];
		struct store_run r;
		size_t i, k;

		if ((rc = run_decode_enc(data, n, &r)))
			break;
		for (i = 0; i < r.noutputs; i++) {
			struct digest o;

			memcpy(o.b, r.outputs[i].b, DIGEST_LEN);
			name(&nm, STORE_RAW_OBJECT, &o, 0);
		}
		k = refs ? refs->fn(&r, ids, STORE_RUN_REFS_MAX, refs->ctx) : 0;
		for (i = 0; i < k; i++)
			name(&nm, STORE_RAW_OBJECT, &ids[i], 0);
		break;
	}
	default:
		rc = store_fail(err, STORE_BADARG, "no raw record of kind '%s'",
				what);
		goto out;
	}
	if (rc) {
		char hex[DIGEST_HEX + 1];

		digest_hex(id, hex);
		rc = store_fail(err, STORE_CORRUPT, "%s %s is malformed", what,
				hex);
		goto out;
	}
	*items = nm.items;
	*nitems = nm.n;
	nm.items = NULL;
out:
	free(nm.items);
	idset_release(&nm.seen);
	return rc;
}

int store_raw_view(struct store *s, enum store_raw_kind kind,
		   const struct digest *id, struct buf *scratch,
		   const void **data, size_t *n, struct err *err)
{
	const unsigned char *p;
	MDB_txn *txn;
	MDB_val v;
	int rc;

	if (kind != STORE_RAW_CHUNK) {
		rc = store_raw_get(s, kind, id, scratch, err);
		*data = scratch->data;
		*n = scratch->len;
		return rc;
	}
	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	if ((rc = get(txn, s->chunks, id, &v)) == MDB_NOTFOUND)
		rc = not_stored(s, err, kind, id);
	else if (rc)
		rc = store_fail(err, rc, "cannot read store '%s'", s->path);
	else if (!(rc = chunk_checked(&v, id, scratch, &p, n, err)))
		*data = p;
	/* The snapshot stays live (store_read_begin): so does *data. */
	store_read_end(s);
	return rc;
}
