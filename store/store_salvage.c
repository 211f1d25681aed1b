/*
 * Repairing a store whose B-tree is damaged.  Deleting records in place
 * would have LMDB walk and rewrite the damaged pages (it trusts them: it
 * aborts, or writes where a bad page points), so the records on the sound
 * pages are copied, as store_pages.c reads them, into a fresh environment
 * beside the store; that copy gets fsck's usual repair (records that need
 * a lost one go too); then it takes the damaged data file's place, which
 * is kept beside it (docs/store-format.md, "damaged pages").
 *
 * The swap needs the store to itself: no other process may have it open,
 * or it would go on using the old file.  LMDB's own test decides: an
 * exclusive fcntl lock on the first byte of lock.mdb, which every process
 * with the environment open holds shared, and which a process opening it
 * waits on while it is held.  Holding it, this process opens the new
 * data file once, so LMDB (finding it alone) sets lock.mdb up afresh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "store_internal.h"
#include "util.h"

/* The databases a store has (as store.c opens them). */
static const struct {
	const char *name;
	size_t off;
} dbs[] = {
	{ "meta", offsetof(struct store, meta) },
	{ "chunks", offsetof(struct store, chunks) },
	{ "blobs", offsetof(struct store, blobs) },
	{ "trees", offsetof(struct store, trees) },
	{ "roots", offsetof(struct store, roots) },
	{ "actions", offsetof(struct store, actions) },
	{ "runs", offsetof(struct store, runs) },
	{ "statcache", offsetof(struct store, statcache) },
	{ "lineage", offsetof(struct store, lineage) },
	{ "aliases", offsetof(struct store, aliases) },
	{ "jobs", offsetof(struct store, jobs) },
	{ "live", offsetof(struct store, live) },
	{ "remotes", offsetof(struct store, remotes) },
};

#define NDBS (sizeof(dbs) / sizeof(dbs[0]))

struct copy {
	struct store *to;
	MDB_txn *txn;
	size_t pending;
	uint64_t claimed[NDBS], copied[NDBS];
	int known[NDBS];
	void (*fn)(const struct store_finding *f, void *ctx);
	void *ctx;
	struct store_salvage_result *out;
	struct err *err;
};

static int db_index(const char *name)
{
	size_t i;

	for (i = 0; i < NDBS; i++)
		if (!strcmp(dbs[i].name, name))
			return (int)i;
	return -1;
}

static void on_bad(const char *db, uint64_t pgno, const char *why, void *ctx)
{
	struct copy *c = ctx;
	char key[48];
	struct store_finding f = { db, key, why, 0, 0 };

	snprintf(key, sizeof(key), "page %llu", (unsigned long long)pgno);
	if (c->fn)
		c->fn(&f, c->ctx);
}

static void on_tree(const char *db, uint64_t entries, void *ctx)
{
	struct copy *c = ctx;
	int i = db_index(db);

	if (i >= 0) {
		c->claimed[i] = entries;
		c->known[i] = 1;
	}
}

static int on_rec(const char *db, const MDB_val *k, const MDB_val *v,
		  void *ctx)
{
	struct copy *c = ctx;
	int i = db_index(db), rc;
	MDB_dbi dbi;

	if (i < 0)
		return 0;	/* not cairn's: never opened, never copied */
	if (c->txn && c->pending > STORE_BATCH) {
		rc = mdb_txn_commit(c->txn);
		c->txn = NULL;
		if (rc)
			return store_fail(c->err, rc, "cannot write the copy");
	}
	if (!c->txn) {
		c->pending = 0;
		if ((rc = store_reserve(c->to, STORE_BATCH + v->mv_size,
					c->err)) ||
		    (rc = store_txn_begin(c->to, 1, &c->txn, c->err)))
			return rc;
	}
	dbi = *(MDB_dbi *)((char *)c->to + dbs[i].off);
	if ((rc = mdb_put(c->txn, dbi, (MDB_val *)k, (MDB_val *)v, 0))) {
		mdb_txn_abort(c->txn);
		c->txn = NULL;
		return store_fail(c->err, rc, "cannot write the copy");
	}
	c->pending += k->mv_size + v->mv_size + 64;
	c->copied[i]++;
	c->out->copied++;
	return 0;
}

/*
 * Take the store at path for this process alone: LMDB's exclusive lock,
 * *fd the descriptor to close to let go; EBUSY while others have it open.
 * Those that open it meanwhile wait.
 */
static int alone(const char *path, int *fd, struct err *err)
{
	struct buf lock = BUF_INIT;
	struct flock fl;
	int rc = 0;

	buf_addf(&lock, "%s/lock.mdb", path);
	*fd = open(lock.data, O_RDWR | O_CLOEXEC);
	if (*fd < 0) {
		rc = store_fail(err, errno, "cannot open '%s'", lock.data);
		buf_release(&lock);
		return rc;
	}
	buf_release(&lock);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 1;
	if (fcntl(*fd, F_SETLK, &fl) < 0) {
		close(*fd);
		*fd = -1;
		return store_fail(err, EBUSY,
				  "cannot repair store '%s' while other "
				  "processes have it open (cairn run, gc, ...): "
				  "stop them and run 'cairn fsck --repair' again",
				  path);
	}
	return 0;
}

/* Put data file fresh in place of path's, kept as out->kept. */
static int swap_in(const char *path, const char *fresh,
		   struct store_salvage_result *out, struct err *err)
{
	struct buf data = BUF_INIT;
	struct store *s;
	int rc = 0;

	buf_addf(&data, "%s/data.mdb", path);
	snprintf(out->kept, sizeof(out->kept), "%s/data.mdb.damaged-%lld",
		 path, (long long)time(NULL));
	if (rename(data.data, out->kept) < 0) {
		rc = store_fail(err, errno, "cannot move '%s' aside", data.data);
		out->kept[0] = '\0';
		goto out;
	}
	if (rename(fresh, data.data) < 0) {
		rc = store_fail(err, errno, "cannot move the repaired copy to "
					    "'%s'",
				data.data);
		if (rename(out->kept, data.data) == 0)
			out->kept[0] = '\0';
		goto out;
	}
	/* Alone with it (this process holds the lock), LMDB sets the lock
	 * file up for the new data file; closing it lets others in. */
	if ((rc = store_open(path, 0, &s, err)) == 0)
		store_close(s);
out:
	buf_release(&data);
	return rc;
}

int store_salvage(const char *path, const struct store_run_refs *refs,
		  void (*fn)(const struct store_finding *f, void *ctx),
		  void *ctx, struct store_salvage_result *out, struct err *err)
{
	struct page_visitor pv = { on_bad, on_tree, on_rec, NULL };
	struct store *to = NULL;
	int lockfd;
	struct buf tmp = BUF_INIT, fresh = BUF_INIT;
	struct copy c;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.fn = fn;
	c.ctx = ctx;
	c.out = out;
	c.err = err;
	pv.ctx = &c;
	buf_addf(&tmp, "%s/salvage.tmp", path);
	buf_addf(&fresh, "%s/data.mdb", tmp.data);
	/* Alone from the start: nothing may change the file while it is
	 * copied, and nothing is done when it cannot be replaced. */
	if ((rc = alone(path, &lockfd, err))) {
		buf_release(&tmp);
		buf_release(&fresh);
		return rc;
	}
	remove_tree(tmp.data);	/* an earlier attempt's */
	if ((rc = store_open(tmp.data, STORE_CREATE, &to, err)))
		goto out;
	c.to = to;
	/* Never through LMDB: the damage may be where it looks first. */
	rc = pages_walk_file(path, &pv, &out->pages, err);
	if (!rc && c.txn && (rc = mdb_txn_commit(c.txn)))
		rc = store_fail(err, rc, "cannot write the copy");
	else if (rc && c.txn)
		mdb_txn_abort(c.txn);
	c.txn = NULL;
	store_read_refresh(to);
	if (rc)
		goto out;
	/* What the damaged pages held, by each database's own count; a
	 * database whose record was lost is lost whole. */
	for (i = 0; i < NDBS; i++) {
		char key[80];
		struct store_finding f = { dbs[i].name, key, NULL, 0, 0 };

		if (!c.known[i] && out->pages) {
			snprintf(key, sizeof(key), "(all records)");
			f.problem = "its own record was on a damaged page, not "
				    "recovered";
			out->lost_dbs++;
			if (fn)
				fn(&f, ctx);
			continue;
		}
		if (!c.known[i] || c.copied[i] >= c.claimed[i])
			continue;
		snprintf(key, sizeof(key), "%llu of %llu records",
			 (unsigned long long)(c.claimed[i] - c.copied[i]),
			 (unsigned long long)c.claimed[i]);
		f.problem = "on damaged pages, not recovered";
		out->lost += c.claimed[i] - c.copied[i];
		if (fn)
			fn(&f, ctx);
	}
	/* Records that need a lost one go the usual way. */
	if ((rc = store_fsck_refs(to, 1, refs, fn, ctx, &out->fsck, err)))
		goto out;
	store_close(to);
	to = NULL;
	rc = swap_in(path, fresh.data, out, err);
out:
	store_close(to);
	remove_tree(tmp.data);
	close(lockfd);	/* after swap_in's store_close: lets others in */
	buf_release(&tmp);
	buf_release(&fresh);
	return rc;
}
