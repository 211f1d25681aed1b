/*
 * The live table: one entry per cairn command that stores while it runs
 * (cairn run, cairn verify), so that gc never removes what such a command
 * has stored, or may still record or root, before it ends
 * (docs/store-format.md, "live").
 *
 * Key: when the command began (u64 ns, big-endian, so the oldest comes
 * first) and its pid (u32, big-endian).  Value: version byte, u32 pid, u64
 * the process's start time (clock ticks after boot, field 22 of
 * /proc/PID/stat), u64 the inode of its pid namespace, u64 the start in
 * ns, 36 bytes the kernel's boot id, u32 n and n bytes saying who it is.
 *
 * A pid alone would be taken over by whatever process is next given it;
 * the start time and boot id tell the same process from a later one.  An
 * entry whose process is gone is stale: gc ignores it and removes it.
 */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "store_internal.h"
#include "util.h"

#define LIVE_KEY 12
#define LIVE_BOOT 36
#define LIVE_HDR (1 + 4 + 8 + 8 + 8 + LIVE_BOOT + 4)

/* What the live table says of a process; zeros where /proc cannot say. */
struct proc_id {
	uint64_t start;		/* clock ticks after boot */
	uint64_t pidns;		/* inode of its pid namespace */
	char boot[LIVE_BOOT];	/* the kernel's boot id */
};

/* An entry as read. */
struct live_rec {
	struct store_live l;
	struct proc_id id;
};

/* Field 22 of /proc/PID/stat (after the command, which may hold spaces
 * and parentheses: count from the last ')'), and the state, field 3. */
static int proc_stat(long pid, uint64_t *start, char *state)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (!(p = strrchr(buf, ')')) || p[1] != ' ')
		return -1;
	*state = p[2];
	p += 2;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	*start = strtoull(p, NULL, 10);
	return 0;
}

static void proc_self(struct proc_id *me)
{
	struct stat st;
	FILE *f;
	char state;

	memset(me, 0, sizeof(*me));
	if (proc_stat((long)getpid(), &me->start, &state) < 0)
		me->start = 0;
	if (stat("/proc/self/ns/pid", &st) == 0)
		me->pidns = (uint64_t)st.st_ino;
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "re"))) {
		if (fread(me->boot, 1, LIVE_BOOT, f) != LIVE_BOOT)
			memset(me->boot, 0, LIVE_BOOT);
		fclose(f);
	}
}

static int boot_known(const char *b)
{
	int i;

	for (i = 0; i < LIVE_BOOT; i++)
		if (b[i])
			return 1;
	return 0;
}

/*
 * Whether the process an entry names still runs: 1, or 0 when it is gone
 * (another boot, no such pid, a zombie, or a later process under its
 * pid).  A process in another pid namespace cannot be looked up: taken
 * to live.
 */
static int entry_alive(const struct live_rec *r, const struct proc_id *me)
{
	uint64_t start;
	char state;

	if (boot_known(r->id.boot) && boot_known(me->boot) &&
	    memcmp(r->id.boot, me->boot, LIVE_BOOT))
		return 0;
	if (r->id.pidns && me->pidns && r->id.pidns != me->pidns)
		return 1;
	if (proc_stat((long)r->l.pid, &start, &state) == 0)
		return state != 'Z' && state != 'X' &&
		       (!r->id.start || start == r->id.start);
	/* No /proc: the pid is all there is to go by. */
	return !(kill((pid_t)r->l.pid, 0) < 0 && errno == ESRCH);
}

static int live_decode(const MDB_val *k, const MDB_val *v,
		       struct live_rec *out)
{
	const unsigned char *p = v->mv_data;
	uint32_t n;

	if (k->mv_size != LIVE_KEY || v->mv_size < LIVE_HDR ||
	    p[0] != RECORD_VERSION)
		return STORE_CORRUPT;
	n = get_u32(p + LIVE_HDR - 4);
	if (v->mv_size != LIVE_HDR + (size_t)n)
		return STORE_CORRUPT;
	memset(out, 0, sizeof(*out));
	out->l.pid = get_u32(p + 1);
	out->id.start = get_u64(p + 5);
	out->id.pidns = get_u64(p + 13);
	out->l.start_ns = (int64_t)get_u64(p + 21);
	memcpy(out->id.boot, p + 29, LIVE_BOOT);
	out->l.what = (const char *)(p + LIVE_HDR);
	out->l.whatlen = n;
	return 0;
}

static void live_key(unsigned char *key, int64_t start_ns, uint32_t pid)
{
	int i;

	for (i = 0; i < 8; i++)
		key[i] = (unsigned char)((uint64_t)start_ns >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		key[8 + i] = (unsigned char)(pid >> (24 - 8 * i));
}

int store_live_begin(struct store *s, const char *what, int64_t *mark,
		     struct err *err)
{
	struct proc_id me;
	struct timespec ts;
	struct buf v = BUF_INIT;
	unsigned char key[LIVE_KEY], hdr[LIVE_HDR];
	size_t n = strlen(what);
	uint32_t pid = (uint32_t)getpid();
	int64_t start;
	MDB_txn *txn;
	int rc, tries;

	if (s->flags & STORE_RDONLY)
		return store_fail(err, STORE_BADARG, "cannot mark a run in "
						     "progress in a store "
						     "opened read-only");
	if (n > 4000)
		n = 4000;
	proc_self(&me);
	clock_gettime(CLOCK_REALTIME, &ts);
	start = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	hdr[0] = RECORD_VERSION;
	put_u32(hdr + 1, pid);
	put_u64(hdr + 5, me.start);
	put_u64(hdr + 13, me.pidns);
	memcpy(hdr + 29, me.boot, LIVE_BOOT);
	put_u32(hdr + LIVE_HDR - 4, (uint32_t)n);
	if ((rc = store_reserve(s, 0, err)) ||
	    (rc = store_txn_begin(s, 1, &txn, err)))
		return rc;
	/* One process may begin twice in one clock tick (tests do): the
	 * next free nanosecond keeps the keys apart. */
	for (tries = 0; tries < 1000; tries++, start++) {
		MDB_val k = { LIVE_KEY, key }, val;

		live_key(key, start, pid);
		put_u64(hdr + 21, (uint64_t)start);
		buf_truncate(&v, 0);
		buf_add(&v, hdr, LIVE_HDR);
		buf_add(&v, what, n);
		val.mv_size = v.len;
		val.mv_data = v.data;
		rc = mdb_put(txn, s->live, &k, &val, MDB_NOOVERWRITE);
		if (rc != MDB_KEYEXIST)
			break;
	}
	buf_release(&v);
	if (rc) {
		mdb_txn_abort(txn);
		return store_fail(err, rc, "cannot mark a run in progress in "
					   "'%s'",
				  s->path);
	}
	if ((rc = mdb_txn_commit(txn)))
		return store_fail(err, rc, "cannot mark a run in progress in "
					   "'%s'",
				  s->path);
	store_read_refresh(s);
	*mark = start;
	return 0;
}

int store_live_end(struct store *s, int64_t mark, struct err *err)
{
	unsigned char key[LIVE_KEY];
	MDB_val k = { LIVE_KEY, key };
	MDB_txn *txn;
	int rc;

	live_key(key, mark, (uint32_t)getpid());
	if ((rc = store_reserve(s, 0, err)) ||
	    (rc = store_txn_begin(s, 1, &txn, err)))
		return rc;
	rc = mdb_del(txn, s->live, &k, NULL);
	if (rc && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return store_fail(err, rc, "cannot end the mark of a run in "
					   "progress in '%s'",
				  s->path);
	}
	if ((rc = mdb_txn_commit(txn)))
		return store_fail(err, rc, "cannot end the mark of a run in "
					   "progress in '%s'",
				  s->path);
	store_read_refresh(s);
	return 0;
}

int live_scan(struct store *s, MDB_txn *txn, int prune,
	      int (*fn)(const struct store_live *l, void *ctx), void *ctx,
	      struct err *err)
{
	struct proc_id me;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, stop = 0;

	if (s->no_live)
		return 0;
	proc_self(&me);
	if ((rc = mdb_cursor_open(txn, s->live, &cur)))
		return store_fail(err, rc, "cannot read the live table");
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		struct live_rec r;

		/* A damaged entry is stale: it must not hold gc back for
		 * ever. */
		if (live_decode(&k, &v, &r))
			memset(&r, 0, sizeof(r));
		else
			r.l.alive = entry_alive(&r, &me);
		if (fn && (stop = fn(&r.l, ctx)))
			break;
		if (!r.l.alive && prune && (rc = mdb_cursor_del(cur, 0)))
			break;
	}
	mdb_cursor_close(cur);
	if (stop)
		return stop;
	if (rc == MDB_NOTFOUND)
		return 0;
	return store_fail(err, rc, "cannot read the live table");
}

int store_live_walk(struct store *s,
		    int (*fn)(const struct store_live *l, void *ctx),
		    void *ctx, struct err *err)
{
	MDB_txn *txn;
	int rc;

	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	rc = live_scan(s, txn, 0, fn, ctx, err);
	store_read_end(s);
	return rc;
}
