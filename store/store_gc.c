/*
 * gc: keep what roots reach (a tree keeps its blobs, a blob its chunks)
 * and the outputs of every recorded run (the cache of past runs), with
 * what their payloads name (a run's log), remove the rest; with a size
 * limit, evict the least recently used runs that no root protects first.
 * And the store's statistics.  Marking and sweeping run in one write
 * transaction, so an ingest running at the same time (which may reuse an
 * unreferenced chunk) waits instead of losing that chunk.
 *
 * While a command of the live table runs (store_live.c), what it stored
 * may not be recorded yet, a chunk of a file it is ingesting may wait for
 * its blob, and an object it found present (and so did not store again)
 * may be about to be named by its record or its lock file's root.
 * Objects carry no time, so none of these can be told from an object
 * nothing wants: gc removes no object then, and evicts no run recorded
 * or used since the oldest live command began.
 */
#include <sys/stat.h>

#include "buf.h"
#include "err.h"
#include "idset.h"
#include "store_internal.h"
#include "store_writer.h"
#include "util.h"

struct gc {
	struct store *s;
	MDB_txn *txn;
	struct idset trees, blobs, chunks, aliases;
	int dry_run;
	int hold;		/* a live command: remove nothing */
	void (*fn)(const struct store_finding *f, void *ctx);
	void *ctx;
	struct store_gc_result *out;
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
	if (mdb_get(g->txn, g->s->blobs, &k, &v) == MDB_NOTFOUND) {
		struct digest blob;
		if (alias_get(g->s, g->txn, id, &blob) == 0) {
			idset_add(&g->aliases, id);
			mark_blob(g, &blob);
			return;
		}
	}
	mark_blob(g, id);
}

/* Remove the records of dbi not in live; count what goes (or, holding,
 * what stays for the live commands). */
static int sweep(struct gc *g, MDB_dbi dbi, const char *db,
		 const struct idset *live, uint64_t *count, struct err *err)
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
				g->out->kept_bytes += k.mv_size + v.mv_size;
				continue;
			}
			digest_hex(&id, hex);
			f.key = hex;
		} else {
			f.key = "(malformed key)";
		}
		f.bytes = k.mv_size + v.mv_size;
		if (g->hold) {
			g->out->held++;
			g->out->held_bytes += f.bytes;
			g->out->kept_bytes += f.bytes;
			continue;
		}
		(*count)++;
		g->out->bytes += f.bytes;
		if (g->fn)
			g->fn(&f, g->ctx);
		if (!g->dry_run && (rc = mdb_cursor_del(cur, 0)))
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

struct runinfo {
	struct digest id, key;
	struct digest group;	/* keep: the digest of its group's label */
	int64_t time_ns, used_ns;
	int protected_;		/* roots keep all its outputs */
	int live;		/* recorded or used since a live command
				   began */
	int evicted;
	int kept_out;		/* beyond the last few of its group */
	struct digest *ios;	/* inputs, outputs, then refs */
	size_t nin, nout, nref;
};

/* Never evicted: by keep-runs or for --max-size. */
static int always_kept(const struct runinfo *r)
{
	return r->protected_ || r->live;
}

static int by_use(const void *a, const void *b)
{
	const struct runinfo *x = a, *y = b;

	if (always_kept(x) != always_kept(y))
		return always_kept(x) - always_kept(y);
	return x->used_ns < y->used_ns ? -1 : x->used_ns > y->used_ns;
}

static int load_runs(struct gc *g, struct runinfo **out, size_t *n,
		     const struct store_gc_keep *keep, struct err *err)
{
	const struct store_run_refs *refs = keep ? keep->refs : NULL;
	struct buf label = BUF_INIT;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t cap = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mdb_cursor_open(g->txn, g->s->runs, &cur)))
		return store_fail(err, rc, "cannot read runs");
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		struct store_run r;
		struct runinfo *ri;

		if (k.mv_size != DIGEST_LEN || run_decode(v.mv_data, v.mv_size, &r)) {
			mdb_cursor_close(cur);
			return store_fail(err, STORE_CORRUPT,
					  "a run record is damaged; run "
					  "'cairn fsck' first");
		}
		xgrow((void **)out, &cap, *n + 1, sizeof(**out));
		ri = &(*out)[(*n)++];
		memset(ri, 0, sizeof(*ri));
		memcpy(ri->id.b, k.mv_data, DIGEST_LEN);
		ri->key = r.key;
		ri->time_ns = r.time_ns;
		ri->used_ns = r.used_ns;
		ri->nin = r.ninputs;
		ri->nout = r.noutputs;
		ri->ios = xmalloc((r.ninputs + r.noutputs + STORE_RUN_REFS_MAX) *
				  DIGEST_LEN);
		memcpy(ri->ios, r.inputs, (r.ninputs + r.noutputs) * DIGEST_LEN);
		if (refs)
			ri->nref = refs->fn(&r, ri->ios + r.ninputs + r.noutputs,
					    STORE_RUN_REFS_MAX, refs->ctx);
		/* Protected when roots keep all it made (a lock file's runs,
		 * a pinned run); sharing some bytes with a root is not
		 * enough. */
		ri->protected_ = r.noutputs > 0;
		for (i = 0; i < r.noutputs; i++)
			if (!idset_has(&g->trees, &r.outputs[i]) &&
			    !idset_has(&g->blobs, &r.outputs[i]))
				ri->protected_ = 0;
		if (keep) {
			buf_truncate(&label, 0);
			keep->group(&r, &label, keep->ctx);
			sha256(label.data, label.len, &ri->group);
		}
	}
	mdb_cursor_close(cur);
	buf_release(&label);
	return rc == MDB_NOTFOUND ? 0 : store_fail(err, rc, "cannot read runs");
}

static int by_group(const void *a, const void *b)
{
	const struct runinfo *x = a, *y = b;
	int c = memcmp(x->group.b, y->group.b, DIGEST_LEN);

	if (c)
		return c;
	return x->time_ns > y->time_ns ? -1 : x->time_ns < y->time_ns;
}

/* Beyond the last few of its group and unprotected: evicted. */
static void keep_last(struct runinfo *runs, size_t n, size_t last)
{
	size_t i, in_group = 0;

	if (n > 1)
		qsort(runs, n, sizeof(*runs), by_group);
	for (i = 0; i < n; i++) {
		if (i && digest_eq(&runs[i].group, &runs[i - 1].group))
			in_group++;
		else
			in_group = 0;
		if (in_group >= last && !always_kept(&runs[i]))
			runs[i].evicted = runs[i].kept_out = 1;
	}
}

static void reset(struct gc *g)
{
	idset_release(&g->trees);
	idset_release(&g->blobs);
	idset_release(&g->chunks);
	idset_release(&g->aliases);
}

/* Mark roots and the outputs and refs of every run not evicted. */
static int mark_all(struct gc *g, const struct runinfo *runs, size_t n,
		    struct err *err)
{
	size_t i, j;
	int rc;

	reset(g);
	if ((rc = walk_roots(g, err)))
		return rc;
	for (i = 0; i < n; i++)
		for (j = 0; !runs[i].evicted && j < runs[i].nout + runs[i].nref;
		     j++)
			mark(g, &runs[i].ios[runs[i].nin + j]);
	return 0;
}

/* Bytes the marked objects take. */
static int live_bytes(struct gc *g, uint64_t *out, struct err *err)
{
	const struct {
		MDB_dbi dbi;
		struct idset *set;
	} dbs[] = {
		{ g->s->trees, &g->trees },
		{ g->s->blobs, &g->blobs },
		{ g->s->chunks, &g->chunks },
	};
	size_t d;
	int rc = 0;

	*out = 0;
	for (d = 0; d < 3 && !rc; d++) {
		MDB_cursor *cur;
		MDB_val k, v;

		if ((rc = mdb_cursor_open(g->txn, dbs[d].dbi, &cur)))
			break;
		while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
			struct digest id;
			if (k.mv_size != DIGEST_LEN)
				continue;
			memcpy(id.b, k.mv_data, DIGEST_LEN);
			if (idset_has(dbs[d].set, &id))
				*out += k.mv_size + v.mv_size;
		}
		mdb_cursor_close(cur);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	return rc ? store_fail(err, rc, "cannot measure the store") : 0;
}

/* Delete the index entries of run ri: its actions pair, its lineage. */
static int evict(struct gc *g, const struct runinfo *ri)
{
	MDB_val k = { DIGEST_LEN, (void *)ri->id.b }, v;
	unsigned char av[8 + DIGEST_LEN], lv[1 + DIGEST_LEN];
	uint64_t t = ~(uint64_t)ri->time_ns;
	size_t i;
	int rc;

	if ((rc = mdb_del(g->txn, g->s->runs, &k, NULL)))
		return rc;
	for (i = 0; i < 8; i++)
		av[i] = (unsigned char)(t >> (56 - 8 * i));
	memcpy(av + 8, ri->id.b, DIGEST_LEN);
	k.mv_data = (void *)ri->key.b;
	v.mv_size = sizeof(av);
	v.mv_data = av;
	rc = mdb_del(g->txn, g->s->actions, &k, &v);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	memcpy(lv + 1, ri->id.b, DIGEST_LEN);
	for (i = 0; i < ri->nin + ri->nout; i++) {
		lv[0] = i < ri->nin ? STORE_USED : STORE_PRODUCED;
		k.mv_data = ri->ios[i].b;
		v.mv_size = sizeof(lv);
		v.mv_data = lv;
		rc = mdb_del(g->txn, g->s->lineage, &k, &v);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
	}
	return 0;
}

int store_gc(struct store *s, int dry_run, uint64_t max_size,
	     void (*fn)(const struct store_finding *f, void *ctx), void *ctx,
	     struct store_gc_result *out, struct err *err)
{
	return store_gc_keep(s, dry_run, max_size, NULL, fn, ctx, out, err);
}

struct live_ctx {
	uint64_t n, stale;
	int64_t oldest;
};

static int on_live(const struct store_live *l, void *ctx)
{
	struct live_ctx *c = ctx;

	if (!l->alive) {
		c->stale++;
	} else {
		if (!c->n++ || l->start_ns < c->oldest)
			c->oldest = l->start_ns;
	}
	return 0;
}

int store_gc_keep(struct store *s, int dry_run, uint64_t max_size,
		  const struct store_gc_keep *keep,
		  void (*fn)(const struct store_finding *f, void *ctx),
		  void *ctx, struct store_gc_result *out, struct err *err)
{
	struct runinfo *runs = NULL;
	struct live_ctx lv = { 0, 0, 0 };
	size_t nruns = 0, ncand = 0, lo, hi, i;
	struct gc g;
	uint64_t bytes;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	g.s = s;
	g.dry_run = dry_run;
	g.fn = fn;
	g.ctx = ctx;
	g.out = out;
	if ((!dry_run && (rc = store_reserve(s, 0, err))) ||
	    (rc = store_txn_begin(s, !dry_run, &g.txn, err)))
		return rc;
	/* Read in this transaction: a command that begins later waits for
	 * gc to commit before it can mark itself, let alone store. */
	if ((rc = live_scan(s, g.txn, !dry_run, on_live, &lv, err)))
		goto out;
	out->live = lv.n;
	out->stale = lv.stale;
	g.hold = lv.n > 0;
	if ((rc = walk_roots(&g, err)) ||
	    (rc = load_runs(&g, &runs, &nruns, keep, err)))
		goto out;
	for (i = 0; lv.n && i < nruns; i++)
		runs[i].live = runs[i].time_ns >= lv.oldest ||
			       runs[i].used_ns >= lv.oldest;
	if (keep)
		keep_last(runs, nruns, keep->last);
	/* Unprotected runs first, least recently used first; those evicted
	 * already are not candidates (they sort with the rest and stay
	 * evicted). */
	if (nruns)
		qsort(runs, nruns, sizeof(*runs), by_use);
	while (ncand < nruns && !always_kept(&runs[ncand]))
		ncand++;
	if (max_size) {
		/* The fewest evictions that bring the store under max_size. */
		lo = 0;
		hi = ncand;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			for (i = 0; i < ncand; i++)
				runs[i].evicted = i < mid || runs[i].kept_out;
			if ((rc = mark_all(&g, runs, nruns, err)) ||
			    (rc = live_bytes(&g, &bytes, err)))
				goto out;
			if (bytes <= max_size)
				hi = mid;
			else
				lo = mid + 1;
		}
		for (i = 0; i < ncand; i++)
			runs[i].evicted = i < lo || runs[i].kept_out;
	}
	for (i = 0; i < nruns; i++) {
		char hex[DIGEST_HEX + 1];
		struct store_finding f = { "runs", hex, NULL, 0, 0 };

		if (!runs[i].evicted)
			continue;
		digest_hex(&runs[i].id, hex);
		out->runs++;
		if (fn)
			fn(&f, ctx);
		if (!dry_run && (rc = evict(&g, &runs[i]))) {
			rc = store_fail(err, rc, "cannot evict a run");
			goto out;
		}
	}
	if ((rc = mark_all(&g, runs, nruns, err)))
		goto out;
	if (!(rc = sweep(&g, s->trees, "trees", &g.trees, &out->trees, err)) &&
	    !(rc = sweep(&g, s->blobs, "blobs", &g.blobs, &out->blobs, err)) &&
	    !(rc = sweep(&g, s->aliases, "aliases", &g.aliases, &out->blobs,
			 err)))
		rc = sweep(&g, s->chunks, "chunks", &g.chunks, &out->chunks, err);
	/* The remotes table is a hint about objects: those gone, it goes. */
	if (!rc && !dry_run && !g.hold)
		rc = remotes_prune(s, g.txn, err);
out:
	if (rc || dry_run)
		mdb_txn_abort(g.txn);
	else if ((rc = mdb_txn_commit(g.txn)))
		rc = store_fail(err, rc, "cannot commit gc");
	store_read_refresh(s);
	for (i = 0; i < nruns; i++)
		free(runs[i].ios);
	free(runs);
	reset(&g);
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
	if ((rc = store_read_begin(s, &txn, err)))
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
	store_read_end(s);
	if (rc != MDB_NOTFOUND)
		return store_fail(err, rc, "cannot read store '%s'", s->path);
	buf_addf(&p, "%s/data.mdb", s->path);
	if (stat(p.data, &st) == 0)
		out->file_bytes = (uint64_t)st.st_size;
	buf_release(&p);
	return 0;
}
