/*
 * The remotes table: what each remote cache was seen holding, so that a
 * second push asks and sends nothing (docs/store-format.md, "remotes").
 * It is a hint: a server may evict, so a caller that must be sure asks
 * the server; gc drops the entries of objects no longer stored; fsck does
 * not check it.  Key: the first 8 bytes of the SHA-256 of the remote's
 * name, the kind (a STORE_RAW_* value) and the object's id, so one
 * remote's entries are one range of keys.
 */
#include <string.h>

#include "err.h"
#include "store_internal.h"
#include "store_writer.h"

#define REMOTE_HASH 8
#define REMOTE_KEY (REMOTE_HASH + 1 + DIGEST_LEN)
#define REMOTE_VAL 9

/* Forget deletes this many entries per cursor before the writer may
 * commit its transaction. */
#define FORGET_STEP 4096

static void remote_prefix(unsigned char *key, const char *remote)
{
	struct digest h;

	sha256(remote, strlen(remote), &h);
	memcpy(key, h.b, REMOTE_HASH);
}

static void remote_key(unsigned char *key, const char *remote,
		       enum store_raw_kind kind, const struct digest *id)
{
	remote_prefix(key, remote);
	key[REMOTE_HASH] = (unsigned char)kind;
	memcpy(key + REMOTE_HASH + 1, id->b, DIGEST_LEN);
}

int store_remote_mark(struct store_writer *w, const char *remote,
		      const struct store_raw_item *items, size_t n,
		      int64_t now_ns, struct err *err)
{
	unsigned char key[REMOTE_KEY], val[REMOTE_VAL];
	size_t i;
	int rc = 0;

	val[0] = RECORD_VERSION;
	put_u64(val + 1, (uint64_t)now_ns);
	for (i = 0; i < n && !rc; i++) {
		remote_key(key, remote, items[i].kind, &items[i].id);
		rc = writer_put(w, w->s->remotes, key, sizeof(key), val,
				sizeof(val), err);
	}
	return rc;
}

int store_remote_unmark(struct store_writer *w, const char *remote,
			const struct store_raw_item *items, size_t n,
			struct err *err)
{
	unsigned char key[REMOTE_KEY];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		MDB_val k = { sizeof(key), key };

		if ((rc = writer_txn(w, 0, err)))
			return rc;
		remote_key(key, remote, items[i].kind, &items[i].id);
		rc = mdb_del(w->txn, w->s->remotes, &k, NULL);
		if (rc == 0)
			w->pending += sizeof(key);
		else if (rc != MDB_NOTFOUND)
			return writer_poison(w, store_fail(err, rc, "cannot "
								   "write store "
								   "'%s'",
							   w->s->path));
	}
	return 0;
}

int store_remote_known(struct store *s, const char *remote,
		       enum store_raw_kind kind, const struct digest *id,
		       int64_t *seen_ns)
{
	unsigned char key[REMOTE_KEY];
	MDB_val k = { sizeof(key), key }, v;
	MDB_txn *txn;
	int rc;

	if (s->no_remotes)
		return 0;
	remote_key(key, remote, kind, id);
	if ((rc = store_read_begin(s, &txn, NULL)))
		return rc;
	rc = mdb_get(txn, s->remotes, &k, &v);
	if (rc == 0 && v.mv_size == REMOTE_VAL &&
	    ((unsigned char *)v.mv_data)[0] == RECORD_VERSION) {
		if (seen_ns)
			*seen_ns = (int64_t)get_u64((unsigned char *)v.mv_data + 1);
		rc = 1;
	} else if (rc == 0 || rc == MDB_NOTFOUND) {
		rc = 0;		/* a malformed hint is no hint */
	} else {
		rc = STORE_LMDB;
	}
	store_read_end(s);
	return rc;
}

int store_remote_forget(struct store_writer *w, const char *remote,
			uint64_t *n, struct err *err)
{
	unsigned char prefix[REMOTE_HASH];
	uint64_t gone = 0;
	int rc, more = 1;

	remote_prefix(prefix, remote);
	while (more) {
		MDB_cursor *cur;
		MDB_val k = { sizeof(prefix), prefix }, v;
		int step = 0;

		if ((rc = writer_txn(w, 0, err)))
			return rc;
		if ((rc = mdb_cursor_open(w->txn, w->s->remotes, &cur)))
			return writer_poison(w, store_fail(err, rc, "cannot read "
								   "store '%s'",
							   w->s->path));
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		while (rc == 0 && k.mv_size >= sizeof(prefix) &&
		       !memcmp(k.mv_data, prefix, sizeof(prefix)) &&
		       step < FORGET_STEP) {
			w->pending += k.mv_size + v.mv_size;
			if ((rc = mdb_cursor_del(cur, 0)))
				break;
			gone++;
			step++;
			/* After a delete, MDB_NEXT gives the entry that
			 * followed it. */
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(cur);
		more = step == FORGET_STEP;
		if (rc && rc != MDB_NOTFOUND)
			return writer_poison(w, store_fail(err, rc, "cannot "
								   "forget "
								   "remote "
								   "'%s'",
							   remote));
	}
	if (n)
		*n = gone;
	return 0;
}

int remotes_prune(struct store *s, MDB_txn *txn, struct err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if (s->no_remotes)
		return 0;
	if ((rc = mdb_cursor_open(txn, s->remotes, &cur)))
		return store_fail(err, rc, "cannot read the remotes table");
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		const unsigned char *p = k.mv_data;
		MDB_val ok = { DIGEST_LEN, (void *)(p + REMOTE_HASH + 1) }, ov;
		MDB_dbi dbi;
		int drop = 0;

		if (k.mv_size != REMOTE_KEY) {
			drop = 1;
		} else {
			switch (p[REMOTE_HASH]) {
			case STORE_RAW_CHUNK: dbi = s->chunks; break;
			case STORE_RAW_LIST:
			case STORE_RAW_INLINE: dbi = s->blobs; break;
			case STORE_RAW_ALIAS: dbi = s->aliases; break;
			case STORE_RAW_TREE: dbi = s->trees; break;
			case STORE_RAW_RUN:
			case STORE_RAW_ACTION: dbi = s->runs; break;
			default: drop = 1; break;
			}
			if (!drop && (rc = mdb_get(txn, dbi, &ok, &ov))) {
				if (rc != MDB_NOTFOUND)
					break;
				drop = 1;
			}
		}
		if (drop && (rc = mdb_cursor_del(cur, 0)))
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_fail(err, rc, "cannot prune the "
							    "remotes table");
}
