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

/* Decode a runs value (version, used time, encoding); STORE_CORRUPT. */
int run_decode(const void *val, size_t len, struct store_run *r)
{
	const unsigned char *p = val, *enc;
	size_t n;
	uint64_t plen;

	if (len < 9 + RUN_FIXED + 8 || p[0] != RECORD_VERSION)
		return STORE_CORRUPT;
	r->used_ns = (int64_t)get_u64(p + 1);
	enc = p + 9;
	n = len - 9;
	if (memcmp(enc, RUN_MAGIC, RUN_MAGIC_LEN))
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
	return 0;
}

/* Read key in dbi from the writer's transaction into out (copied). */
static int w_get(struct store_writer *w, MDB_dbi dbi, const void *key,
		 size_t klen, struct buf *out, struct err *err)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc;

	buf_truncate(out, 0);
	rc = mdb_get(w->txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc)
		return store_fail(err, rc, "cannot read store '%s'", w->s->path);
	buf_add(out, v.mv_data, v.mv_size);
	return 0;
}

/* Append (role, run) to lineage[id] unless it is there already. */
static int add_lineage(struct store_writer *w, const struct digest *id,
		       int role, const struct digest *run, struct buf *tmp,
		       struct err *err)
{
	unsigned char e[1 + DIGEST_LEN];
	uint32_t n = 0, i;
	int rc = w_get(w, w->s->lineage, id->b, DIGEST_LEN, tmp, err);

	if (rc && rc != STORE_NOTFOUND)
		return rc;
	if (rc == STORE_NOTFOUND) {
		unsigned char hdr[5] = { RECORD_VERSION, 0, 0, 0, 0 };
		buf_add(tmp, hdr, 5);
	} else if (tmp->len < 5 ||
		   (tmp->len - 5) % (1 + DIGEST_LEN) ||
		   (unsigned char)tmp->data[0] != RECORD_VERSION) {
		return store_fail(err, STORE_CORRUPT, "a lineage record is "
						      "damaged (run 'cairn fsck')");
	}
	n = get_u32((unsigned char *)tmp->data + 1);
	for (i = 0; i < n; i++) {
		const unsigned char *p =
			(unsigned char *)tmp->data + 5 + i * (1 + DIGEST_LEN);
		if (p[0] == role && !memcmp(p + 1, run->b, DIGEST_LEN))
			return 0;
	}
	e[0] = (unsigned char)role;
	memcpy(e + 1, run->b, DIGEST_LEN);
	buf_add(tmp, e, sizeof(e));
	put_u32((unsigned char *)tmp->data + 1, n + 1);
	return writer_put(w, w->s->lineage, id->b, DIGEST_LEN, tmp->data,
			  tmp->len, err);
}

int store_put_run(struct store_writer *w, const struct store_run *r,
		  struct digest *id, struct err *err)
{
	struct buf enc = BUF_INIT, val = BUF_INIT, tmp = BUF_INIT;
	unsigned char u[8];
	size_t i, need;
	int rc;

	for (i = 0; i < r->noutputs; i++) {
		rc = writer_has(w, w->s->blobs, &r->outputs[i], err);
		if (rc == 0)
			rc = writer_has(w, w->s->trees, &r->outputs[i], err);
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
	/* One transaction for all of it: no half-recorded run. */
	need = 2 * enc.len + 4096 +
	       (r->ninputs + r->noutputs) * 4096;
	if ((rc = writer_txn(w, need, err)))
		goto out;
	rc = writer_has(w, w->s->runs, id, err);
	if (rc) {
		rc = rc < 0 ? rc : 0;
		goto out;
	}
	buf_addc(&val, RECORD_VERSION);
	put_u64(u, (uint64_t)r->time_ns);
	buf_add(&val, u, 8);
	buf_add(&val, enc.data, enc.len);
	if ((rc = writer_put(w, w->s->runs, id->b, DIGEST_LEN, val.data,
			     val.len, err)))
		goto out;
	/* actions[key]: this run first, then the older ones. */
	rc = w_get(w, w->s->actions, r->key.b, DIGEST_LEN, &tmp, err);
	if (rc && rc != STORE_NOTFOUND)
		goto out;
	buf_truncate(&val, 0);
	buf_addc(&val, RECORD_VERSION);
	if (rc == STORE_NOTFOUND || tmp.len < 5 ||
	    (tmp.len - 5) % DIGEST_LEN) {
		put_u32(u, 1);
		buf_add(&val, u, 4);
		buf_add(&val, id->b, DIGEST_LEN);
	} else {
		put_u32(u, get_u32((unsigned char *)tmp.data + 1) + 1);
		buf_add(&val, u, 4);
		buf_add(&val, id->b, DIGEST_LEN);
		buf_add(&val, tmp.data + 5, tmp.len - 5);
	}
	if ((rc = writer_put(w, w->s->actions, r->key.b, DIGEST_LEN, val.data,
			     val.len, err)))
		goto out;
	for (i = 0; i < r->noutputs && !rc; i++)
		rc = add_lineage(w, &r->outputs[i], STORE_PRODUCED, id, &tmp,
				 err);
	for (i = 0; i < r->ninputs && !rc; i++)
		rc = add_lineage(w, &r->inputs[i], STORE_USED, id, &tmp, err);
out:
	buf_release(&enc);
	buf_release(&val);
	buf_release(&tmp);
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
	if ((rc = w_get(w, w->s->runs, id->b, DIGEST_LEN, &v, err)) == 0) {
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

	if ((rc = store_txn_begin(s, 0, &txn, err)))
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
	mdb_txn_abort(txn);
	return rc;
}

int store_action_runs(struct store *s, const struct digest *key,
		      struct digest **ids, size_t *n, struct err *err)
{
	MDB_txn *txn;
	MDB_val k = { DIGEST_LEN, (void *)key->b }, v;
	const unsigned char *p;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = store_txn_begin(s, 0, &txn, err)))
		return rc;
	rc = mdb_get(txn, s->actions, &k, &v);
	p = v.mv_data;
	if (rc == MDB_NOTFOUND) {
		rc = 0;
	} else if (rc) {
		rc = store_fail(err, rc, "cannot read store '%s'", s->path);
	} else if (v.mv_size < 5 || p[0] != RECORD_VERSION ||
		   v.mv_size - 5 != (size_t)get_u32(p + 1) * DIGEST_LEN) {
		rc = store_fail(err, STORE_CORRUPT, "an action record is "
						    "damaged (run 'cairn fsck')");
	} else {
		*n = get_u32(p + 1);
		*ids = xmalloc(*n * sizeof(**ids) + 1);
		memcpy(*ids, p + 5, *n * DIGEST_LEN);
	}
	mdb_txn_abort(txn);
	return rc;
}

int store_lineage(struct store *s, const struct digest *id,
		  int (*fn)(enum store_role role, const struct digest *run,
			    void *ctx),
		  void *ctx, struct err *err)
{
	MDB_txn *txn;
	MDB_val k = { DIGEST_LEN, (void *)id->b }, v;
	const unsigned char *p;
	uint32_t i, n;
	int rc;

	if ((rc = store_txn_begin(s, 0, &txn, err)))
		return rc;
	rc = mdb_get(txn, s->lineage, &k, &v);
	p = v.mv_data;
	if (rc == MDB_NOTFOUND) {
		rc = 0;
	} else if (rc) {
		rc = store_fail(err, rc, "cannot read store '%s'", s->path);
	} else if (v.mv_size < 5 || p[0] != RECORD_VERSION ||
		   v.mv_size - 5 != (size_t)get_u32(p + 1) * (1 + DIGEST_LEN)) {
		rc = store_fail(err, STORE_CORRUPT, "a lineage record is "
						    "damaged (run 'cairn fsck')");
	} else {
		n = get_u32(p + 1);
		for (i = 0; i < n && !rc; i++) {
			struct digest run;
			const unsigned char *e = p + 5 + i * (1 + DIGEST_LEN);
			memcpy(run.b, e + 1, DIGEST_LEN);
			rc = fn((enum store_role)e[0], &run, ctx);
		}
	}
	mdb_txn_abort(txn);
	return rc;
}

int store_statcache_get(struct store *s, const char *path,
			struct store_stat_entry *out)
{
	MDB_txn *txn;
	MDB_val k = { strlen(path), (void *)path }, v;
	const unsigned char *p;
	int rc;

	if ((rc = store_txn_begin(s, 0, &txn, NULL)))
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
	mdb_txn_abort(txn);
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
