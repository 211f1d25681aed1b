/*
 * Run records, the action cache (key -> runs, newest first), lineage
 * (object -> runs that produced or used it) and the stat cache.  The
 * store reads only the fields it indexes; the engine's record rides along
 * as an opaque payload.  docs/store-format.md gives every byte.
 */
#include <errno.h>

#include "err.h"
#include "store_writer.h"
#include "util.h"

#define RUN_MAGIC "cairn run 1\n"
#define RUN_MAGIC_LEN 12
#define RUN_FIXED (RUN_MAGIC_LEN + DIGEST_LEN + 8 + 4 + 4)
#define STAT_LEN (1 + 6 * 8 + DIGEST_LEN)

static void encode_run(struct buf *b, const struct store_run *r)
{
	unsigned char u[8];
	size_t i;

	buf_add(b, RUN_MAGIC, RUN_MAGIC_LEN);
	buf_add(b, r->key.b, DIGEST_LEN);
	put_u64(u, (uint64_t)r->time_ns);
	buf_add(b, u, 8);
	put_u32(u, (uint32_t)r->ninputs);
	buf_add(b, u, 4);
	put_u32(u, (uint32_t)r->noutputs);
	buf_add(b, u, 4);
	for (i = 0; i < r->ninputs; i++)
		buf_add(b, r->inputs[i].b, DIGEST_LEN);
	for (i = 0; i < r->noutputs; i++)
		buf_add(b, r->outputs[i].b, DIGEST_LEN);
	put_u64(u, r->len);
	buf_add(b, u, 8);
	buf_add(b, r->payload, r->len);
}

int run_decode_enc(const void *enc_, size_t n, struct store_run *r)
{
	const unsigned char *enc = enc_;
	uint64_t plen;

	if (n < RUN_FIXED + 8 || memcmp(enc, RUN_MAGIC, RUN_MAGIC_LEN))
		return STORE_CORRUPT;
	memcpy(r->key.b, enc + RUN_MAGIC_LEN, DIGEST_LEN);
	r->time_ns = (int64_t)get_u64(enc + RUN_MAGIC_LEN + DIGEST_LEN);
	r->ninputs = get_u32(enc + RUN_MAGIC_LEN + DIGEST_LEN + 8);
	r->noutputs = get_u32(enc + RUN_MAGIC_LEN + DIGEST_LEN + 12);
	if ((n - RUN_FIXED - 8) / DIGEST_LEN < r->ninputs + r->noutputs)
		return STORE_CORRUPT;
	r->inputs = (const struct digest *)(enc + RUN_FIXED);
	r->outputs = r->inputs + r->ninputs;
	plen = get_u64(enc + RUN_FIXED + DIGEST_LEN * (r->ninputs + r->noutputs));
	if (plen != n - RUN_FIXED - 8 - DIGEST_LEN * (r->ninputs + r->noutputs))
		return STORE_CORRUPT;
	r->len = (size_t)plen;
	r->payload = enc + RUN_FIXED + DIGEST_LEN * (r->ninputs + r->noutputs) + 8;
	r->used_ns = r->time_ns;
	r->failed = 0;
	return 0;
}

/* Decode a runs value (version, used time, encoding); STORE_CORRUPT. */
int run_decode(const void *val, size_t len, struct store_run *r)
{
	const unsigned char *p = val;

	if (len < 9 + RUN_FIXED + 8 || p[0] != RECORD_VERSION ||
	    run_decode_enc(p + 9, len - 9, r))
		return STORE_CORRUPT;
	r->used_ns = (int64_t)get_u64(p + 1);
	return 0;
}

/* actions value: ~time (big-endian, so newest sorts first), run id. */
#define ACTION_LEN (8 + DIGEST_LEN)
#define LINEAGE_LEN (1 + DIGEST_LEN)

static void action_val(unsigned char v[ACTION_LEN], int64_t time_ns,
		       const struct digest *run)
{
	uint64_t t = ~(uint64_t)time_ns;
	int i;

	for (i = 0; i < 8; i++)
		v[i] = (unsigned char)(t >> (56 - 8 * i));
	memcpy(v + 8, run->b, DIGEST_LEN);
}

int store_put_run(struct store_writer *w, const struct store_run *r,
		  struct digest *id, struct err *err)
{
	struct buf enc = BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < r->noutputs; i++) {
		rc = writer_has(w, w->s->blobs, &r->outputs[i], err);
		if (rc == 0)
			rc = writer_has(w, w->s->trees, &r->outputs[i], err);
		if (rc == 0)
			rc = writer_has(w, w->s->aliases, &r->outputs[i], err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			char hex[DIGEST_HEX + 1];
			digest_hex(&r->outputs[i], hex);
			return store_fail(err, STORE_NOTFOUND,
					  "cannot record a run whose output %s "
					  "is not in the store",
					  hex);
		}
	}
	encode_run(&enc, r);
	sha256(enc.data, enc.len, id);
	rc = run_store(w, r, id, enc.data, enc.len, err);
	buf_release(&enc);
	return rc;
}

int run_store(struct store_writer *w, const struct store_run *r,
	      const struct digest *id, const void *enc, size_t n,
	      struct err *err)
{
	struct buf val = BUF_INIT;
	unsigned char u[8];
	size_t i, need;
	int rc;

	/* One transaction for all of it: no half-recorded run. */
	need = 2 * n + (r->ninputs + r->noutputs + 2) * 256;
	if ((rc = writer_txn(w, need, err)))
		goto out;
	w->hold++;
	rc = writer_has(w, w->s->runs, id, err);
	if (rc) {
		rc = rc < 0 ? rc : 0;
		w->hold--;
		goto out;
	}
	buf_addc(&val, RECORD_VERSION);
	put_u64(u, (uint64_t)r->time_ns);
	buf_add(&val, u, 8);
	buf_add(&val, enc, n);
	if ((rc = writer_put(w, w->s->runs, id->b, DIGEST_LEN, val.data,
			     val.len, err)))
		goto out;
	{
		unsigned char av[ACTION_LEN], lv[LINEAGE_LEN];

		action_val(av, r->time_ns, id);
		rc = r->failed ? 0
			       : writer_put_flags(w, w->s->actions, r->key.b,
						  DIGEST_LEN, av, sizeof(av),
						  MDB_NODUPDATA, err);
		memcpy(lv + 1, id->b, DIGEST_LEN);
		lv[0] = STORE_PRODUCED;
		for (i = 0; i < r->noutputs && !rc; i++)
			rc = writer_put_flags(w, w->s->lineage,
					      r->outputs[i].b, DIGEST_LEN, lv,
					      sizeof(lv), MDB_NODUPDATA, err);
		lv[0] = STORE_USED;
		for (i = 0; i < r->ninputs && !rc; i++)
			rc = writer_put_flags(w, w->s->lineage,
					      r->inputs[i].b, DIGEST_LEN, lv,
					      sizeof(lv), MDB_NODUPDATA, err);
	}
	w->hold--;
out:
	buf_release(&val);
	return rc;
}

int store_touch_run(struct store_writer *w, const struct digest *id,
		    int64_t now_ns, struct err *err)
{
	struct buf v = BUF_INIT;
	struct store_run r;
	int rc;

	if ((rc = writer_txn(w, 4096, err)))
		return rc;
	{
		MDB_val k = { DIGEST_LEN, (void *)id->b }, cur;

		rc = mdb_get(w->txn, w->s->runs, &k, &cur);
		if (rc == MDB_NOTFOUND)
			rc = STORE_NOTFOUND;
		else if (rc)
			rc = store_fail(err, rc, "cannot read store '%s'",
					w->s->path);
		else
			buf_add(&v, cur.mv_data, cur.mv_size);
	}
	if (rc == 0) {
		if (run_decode(v.data, v.len, &r))
			rc = store_fail(err, STORE_CORRUPT, "a run record is "
							    "damaged");
		else {
			put_u64((unsigned char *)v.data + 1, (uint64_t)now_ns);
			rc = writer_put(w, w->s->runs, id->b, DIGEST_LEN,
					v.data, v.len, err);
		}
	} else if (rc == STORE_NOTFOUND) {
		store_fail(err, rc, "no such run");
	}
	buf_release(&v);
	return rc;
}

int store_get_run(struct store *s, const struct digest *id,
		  int (*fn)(const struct store_run *r, void *ctx), void *ctx,
		  struct err *err)
{
	MDB_txn *txn;
	MDB_val k = { DIGEST_LEN, (void *)id->b }, v;
	struct store_run r;
	int rc;

	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	rc = mdb_get(txn, s->runs, &k, &v);
	if (rc == MDB_NOTFOUND)
		rc = STORE_NOTFOUND;
	else if (rc)
		rc = store_fail(err, rc, "cannot read store '%s'", s->path);
	else if (run_decode(v.mv_data, v.mv_size, &r))
		rc = store_fail(err, STORE_CORRUPT, "a run record is damaged "
						    "(run 'cairn fsck')");
	else
		rc = fn(&r, ctx);
	store_read_end(s);
	return rc;
}

int store_runs_walk(struct store *s,
		    int (*fn)(const struct digest *id, const struct store_run *r,
			      void *ctx),
		    void *ctx, struct err *err)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	if ((rc = mdb_cursor_open(txn, s->runs, &cur))) {
		store_read_end(s);
		return store_fail(err, rc, "cannot read store '%s'", s->path);
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		struct store_run r;
		struct digest id;

		if (k.mv_size != DIGEST_LEN || run_decode(v.mv_data, v.mv_size, &r))
			continue;	/* fsck reports it */
		memcpy(id.b, k.mv_data, DIGEST_LEN);
		if ((rc = fn(&id, &r, ctx)))
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(cur);
	store_read_end(s);
	return rc;
}

/* Call fn(value) for each duplicate of key in dbi of size len. */
static int each_dup(struct store *s, MDB_dbi dbi, const struct digest *key,
		    size_t len, int (*fn)(const unsigned char *v, void *ctx),
		    void *ctx, struct err *err)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = { DIGEST_LEN, (void *)key->b }, v;
	int rc;

	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	if ((rc = mdb_cursor_open(txn, dbi, &cur))) {
		store_read_end(s);
		return store_fail(err, rc, "cannot read store '%s'", s->path);
	}
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	while (rc == 0) {
		if (v.mv_size != len) {
			rc = store_fail(err, STORE_CORRUPT,
					"an index record is damaged (run "
					"'cairn fsck')");
			break;
		}
		if ((rc = fn(v.mv_data, ctx)))
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	else if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
		rc = store_fail(err, rc, "cannot read store '%s'", s->path);
	mdb_cursor_close(cur);
	store_read_end(s);
	return rc;
}

struct idlist {
	struct digest *ids;
	size_t n, cap;
};

static int add_action(const unsigned char *v, void *ctx)
{
	struct idlist *l = ctx;

	xgrow((void **)&l->ids, &l->cap, l->n + 1, sizeof(*l->ids));
	memcpy(l->ids[l->n++].b, v + 8, DIGEST_LEN);
	return 0;
}

int store_action_runs(struct store *s, const struct digest *key,
		      struct digest **ids, size_t *n, struct err *err)
{
	struct idlist l = { NULL, 0, 0 };
	int rc = each_dup(s, s->actions, key, ACTION_LEN, add_action, &l, err);

	if (rc) {
		free(l.ids);
		l.ids = NULL;
		l.n = 0;
	}
	*ids = l.ids;
	*n = l.n;
	return rc;
}

struct lineage_ctx {
	int (*fn)(enum store_role role, const struct digest *run, void *ctx);
	void *ctx;
};

static int call_lineage(const unsigned char *v, void *ctx)
{
	struct lineage_ctx *c = ctx;
	struct digest run;

	memcpy(run.b, v + 1, DIGEST_LEN);
	return c->fn((enum store_role)v[0], &run, c->ctx);
}

int store_lineage(struct store *s, const struct digest *id,
		  int (*fn)(enum store_role role, const struct digest *run,
			    void *ctx),
		  void *ctx, struct err *err)
{
	struct lineage_ctx c = { fn, ctx };

	return each_dup(s, s->lineage, id, LINEAGE_LEN, call_lineage, &c, err);
}

int store_statcache_get(struct store *s, const char *path,
			struct store_stat_entry *out)
{
	MDB_txn *txn;
	MDB_val k = { strlen(path), (void *)path }, v;
	const unsigned char *p;
	int rc;

	if ((rc = store_read_begin(s, &txn, NULL)))
		return rc;
	rc = mdb_get(txn, s->statcache, &k, &v);
	p = v.mv_data;
	if (rc == MDB_NOTFOUND) {
		rc = STORE_NOTFOUND;
	} else if (rc) {
		rc = STORE_LMDB;
	} else if (v.mv_size != STAT_LEN || p[0] != RECORD_VERSION) {
		rc = STORE_CORRUPT;
	} else {
		out->dev = get_u64(p + 1);
		out->ino = get_u64(p + 9);
		out->size = get_u64(p + 17);
		out->mtime_ns = (int64_t)get_u64(p + 25);
		out->ctime_ns = (int64_t)get_u64(p + 33);
		out->recorded_ns = (int64_t)get_u64(p + 41);
		memcpy(out->id.b, p + 49, DIGEST_LEN);
	}
	store_read_end(s);
	return rc;
}

int store_statcache_put(struct store_writer *w, const char *path,
			const struct store_stat_entry *e, struct err *err)
{
	unsigned char v[STAT_LEN];

	if (!*path || strlen(path) > 400)
		return store_fail(err, STORE_BADARG, "path '%s' cannot be a "
						     "stat cache key",
				  path);
	v[0] = RECORD_VERSION;
	put_u64(v + 1, e->dev);
	put_u64(v + 9, e->ino);
	put_u64(v + 17, e->size);
	put_u64(v + 25, (uint64_t)e->mtime_ns);
	put_u64(v + 33, (uint64_t)e->ctime_ns);
	put_u64(v + 41, (uint64_t)e->recorded_ns);
	memcpy(v + 49, e->id.b, DIGEST_LEN);
	return writer_put(w, w->s->statcache, path, strlen(path), v, sizeof(v),
			  err);
}
