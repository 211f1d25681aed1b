/*
 * The jobs table: what a cluster executor needs to find its jobs again
 * after the coordinator died (docs/store-format.md, "jobs").  Keys and
 * values are opaque to the store: the engine keys by workspace and
 * instance and keeps a small JSON record.  Nothing here is reachable
 * from a root, so gc and fsck pass it by.
 */
#include <string.h>

#include "err.h"
#include "store_internal.h"
#include "store_writer.h"

int store_put_job(struct store_writer *w, const void *key, size_t klen,
		  const void *rec, size_t n, struct err *err)
{
	if (!klen || klen > 480)
		return store_fail(err, STORE_BADARG, "invalid job key (%zu bytes)",
				  klen);
	return writer_put(w, w->s->jobs, key, klen, rec, n, err);
}

int store_del_job(struct store_writer *w, const void *key, size_t klen,
		  struct err *err)
{
	MDB_val k = { klen, (void *)key };
	int rc;

	if ((rc = writer_txn(w, 0, err)))
		return rc;
	rc = mdb_del(w->txn, w->s->jobs, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return writer_poison(w, store_fail(err, rc, "cannot remove a job "
							   "record"));
	return 0;
}

int store_jobs_walk(struct store *s, const void *prefix, size_t plen,
		    int (*fn)(const void *key, size_t klen, const void *rec,
			      size_t n, void *ctx),
		    void *ctx, struct err *err)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = { plen, (void *)prefix }, v;
	MDB_cursor_op op = MDB_SET_RANGE;
	int rc;

	if (s->no_jobs)
		return 0;
	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	if ((rc = mdb_cursor_open(txn, s->jobs, &c))) {
		store_read_end(s);
		return store_fail(err, rc, "cannot read the jobs table");
	}
	if (!plen)
		op = MDB_FIRST;
	while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen))
			break;
		if ((rc = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, ctx)))
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
	store_read_end(s);
	return rc;
}
