/*
 * Opening the store: the LMDB environment, its named databases, the schema
 * check, map growth, and the safety checks LMDB cannot make itself
 * (network filesystems, a truncated data file, readers left by crashes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "err.h"
#include "store_writer.h"
#include "util.h"

/* A new map is this large (the file grows only as it is used). */
#define MAP_INITIAL ((size_t)1 << 30)

const char *store_strerror(int rc)
{
	switch (rc) {
	case 0: return "success";
	case STORE_NOTFOUND: return "not found";
	case STORE_CORRUPT: return "store is damaged";
	case STORE_VERSION: return "store was made by a newer cairn";
	case STORE_AMBIGUOUS: return "ambiguous id prefix";
	case STORE_BADFS: return "store is on a network filesystem";
	case STORE_MISMATCH: return "content does not match its id";
	case STORE_CHANGED: return "file changed while being read";
	case STORE_POISONED: return "an earlier write in this batch failed";
	case STORE_UNSAFE: return "path escapes its tree";
	case STORE_BADARG: return "invalid argument";
	case STORE_LMDB: return "database error";
	}
	return rc > 0 ? strerror(rc) : "unknown error";
}

int store_fail(struct err *err, int rc, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int code = rc;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE) {
		buf_addf(&b, ": %s", mdb_strerror(rc));
		code = STORE_LMDB;
	} else if (rc == ENOSPC) {
		buf_adds(&b, ": no space left on device");
	} else if (rc == EDQUOT) {
		buf_adds(&b, ": disk quota exceeded");
	} else if (rc > 0) {
		buf_addf(&b, ": %s", strerror(rc));
	}
	if (err)
		err_set(err, "%s", b.data);
	buf_release(&b);
	return code;
}

void put_u32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

const char *store_unsafe_fs(unsigned long f_type)
{
	switch (f_type) {
	case 0x6969: return "nfs";
	case 0xff534d42: return "cifs";
	case 0xfe534d42: return "smb2";
	case 0x517b: return "smb";
	case 0x0bd00bd0: return "lustre";
	case 0x47504653: return "gpfs";
	case 0x013111a8: return "ibrix";
	case 0x73757245: return "coda";
	case 0x61636673: return "acfs";
	case 0x19830326: return "fhgfs";	/* BeeGFS */
	}
	return NULL;
}

const char *store_path(const struct store *s)
{
	return s->path;
}

int store_txn_begin(struct store *s, int write, MDB_txn **out,
		    struct err *err)
{
	int rc, tries;

	for (tries = 0; tries < 8; tries++) {
		rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, out);
		if (rc != MDB_MAP_RESIZED)
			break;
		/* Another process grew the map: adopt its size. */
		store_idle(s);
		rc = mdb_env_set_mapsize(s->env, 0);
		if (rc)
			break;
	}
	if (rc)
		return store_fail(err, rc, "cannot begin a transaction in "
					   "'%s'",
				  s->path);
	return 0;
}

int store_read_begin(struct store *s, MDB_txn **out, struct err *err)
{
	int rc = 0;

	if (!s->rlive && s->rtxn) {
		rc = mdb_txn_renew(s->rtxn);
		if (rc == MDB_MAP_RESIZED) {
			/* Another process grew the map: start afresh. */
			mdb_txn_abort(s->rtxn);
			s->rtxn = NULL;
		} else if (rc) {
			return store_fail(err, rc, "cannot begin a transaction "
						   "in '%s'",
					  s->path);
		}
	}
	if (!s->rtxn && (rc = store_txn_begin(s, 0, &s->rtxn, err)))
		return rc;
	s->rlive = 1;
	s->rdepth++;
	*out = s->rtxn;
	return 0;
}

static void read_reset(struct store *s)
{
	if (s->rlive)
		mdb_txn_reset(s->rtxn);
	s->rlive = s->rstale = 0;
}

void store_read_end(struct store *s)
{
	if (--s->rdepth == 0 && s->rstale)
		read_reset(s);
}

void store_read_refresh(struct store *s)
{
	if (s->rdepth)
		s->rstale = 1;
	else
		read_reset(s);
}

void store_idle(struct store *s)
{
	if (s && !s->rdepth)
		read_reset(s);
}

int store_io_errno(struct store *s, int rc)
{
	struct statvfs fs;

	if (rc == EIO && statvfs(s->path, &fs) == 0 &&
	    (uint64_t)fs.f_bavail * fs.f_frsize < ((uint64_t)1 << 20))
		return ENOSPC;
	return rc;
}

/* Room for a transaction of need bytes: its pages' overhead and
 * copy-on-write. */
static size_t map_need(size_t need)
{
	return need * 2 + ((size_t)64 << 20);
}

int store_has_room(struct store *s, size_t need)
{
	MDB_envinfo info;

	if (mdb_env_info(s->env, &info))
		return 0;
	return (info.me_last_pgno + 1) * s->psize + map_need(need) <=
	       info.me_mapsize;
}

int store_reserve(struct store *s, size_t need, struct err *err)
{
	MDB_envinfo info;
	size_t used, size;
	int rc;

	if ((rc = mdb_env_info(s->env, &info)))
		return store_fail(err, rc, "cannot read the map size");
	store_idle(s);	/* no snapshot of the old map may stay live */
	used = (info.me_last_pgno + 1) * s->psize;
	need = map_need(need);
	if (used + need <= info.me_mapsize)
		return 0;
	size = info.me_mapsize * 2;
	if (size < used + need)
		size = used + need;
	size = (size + ((size_t)1 << 20) - 1) & ~(((size_t)1 << 20) - 1);
	if ((rc = mdb_env_set_mapsize(s->env, size)))
		return store_fail(err, rc, "cannot grow the map of '%s' to "
					   "%zu bytes",
				  s->path, size);
	return 0;
}

static int check_fs(const char *path, struct err *err)
{
	struct statfs fs;
	const char *bad;

	if (statfs(path, &fs) < 0)
		return store_fail(err, errno, "cannot inspect '%s'", path);
	bad = store_unsafe_fs((unsigned long)fs.f_type);
	if (bad)
		return store_fail(err, STORE_BADFS,
			       "store '%s' is on a %s filesystem, where LMDB "
			       "can corrupt data (its locks do not work there); "
			       "place the store on a local disk (CAIRN_STORE "
			       "or --store)",
			       path, bad);
	return 0;
}

/*
 * Whether the main database holds nothing: LMDB wrote the data file's
 * meta pages, but the process creating the store died before it
 * committed the store's databases (docs/store-format.md).
 */
static int unfinished(MDB_txn *txn, int *fresh)
{
	MDB_dbi main;
	MDB_stat ms;
	int rc;

	if ((rc = mdb_dbi_open(txn, NULL, 0, &main)) ||
	    (rc = mdb_stat(txn, main, &ms)))
		return rc;
	*fresh = ms.ms_entries == 0;
	return 0;
}

static int open_dbs(struct store *s, struct err *err)
{
	/* actions and lineage hold many small sorted values per key. */
	static const struct {
		const char *name;
		size_t off;
		unsigned flags;
	} dbs[] = {
		{ "meta", offsetof(struct store, meta), 0 },
		{ "chunks", offsetof(struct store, chunks), 0 },
		{ "blobs", offsetof(struct store, blobs), 0 },
		{ "trees", offsetof(struct store, trees), 0 },
		{ "roots", offsetof(struct store, roots), 0 },
		{ "actions", offsetof(struct store, actions), MDB_DUPSORT },
		{ "runs", offsetof(struct store, runs), 0 },
		{ "statcache", offsetof(struct store, statcache), 0 },
		{ "lineage", offsetof(struct store, lineage), MDB_DUPSORT },
		{ "aliases", offsetof(struct store, aliases), 0 },
		{ "jobs", offsetof(struct store, jobs), 0 },
		{ "live", offsetof(struct store, live), 0 },
		{ "remotes", offsetof(struct store, remotes), 0 },
	};
	int rdonly = s->flags & STORE_RDONLY;
	unsigned char v[4];
	MDB_txn *txn;
	MDB_val key = { 6, (void *)"schema" }, val;
	size_t i;
	int rc, fresh;

	if ((rc = store_txn_begin(s, !rdonly, &txn, err)))
		return rc;
	if ((rc = unfinished(txn, &fresh))) {
		mdb_txn_abort(txn);
		return store_fail(err, rc, "cannot read store '%s'", s->path);
	}
	if (fresh && !(s->flags & STORE_CREATE)) {
		mdb_txn_abort(txn);
		return store_fail(err, STORE_NOTFOUND,
				  "store '%s' is unfinished: its creation was "
				  "interrupted",
				  s->path);
	}
	for (i = 0; i < ARRAY_LEN(dbs); i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)s + dbs[i].off);
		/* A half-made store is finished here (STORE_CREATE); an
		 * environment with other databases and no 'meta' is
		 * someone else's. */
		unsigned create = rdonly || (!fresh && dbi == &s->meta)
					  ? 0
					  : MDB_CREATE;
		rc = mdb_dbi_open(txn, dbs[i].name, dbs[i].flags | create, dbi);
		if (rc == MDB_NOTFOUND && rdonly &&
		    dbi == &s->aliases) {
			s->no_aliases = 1;	/* made before aliases */
			continue;
		}
		if (rc == MDB_NOTFOUND && rdonly && dbi == &s->jobs) {
			s->no_jobs = 1;		/* made before jobs */
			continue;
		}
		if (rc == MDB_NOTFOUND && rdonly && dbi == &s->live) {
			s->no_live = 1;		/* made before live */
			continue;
		}
		if (rc == MDB_NOTFOUND && rdonly && dbi == &s->remotes) {
			s->no_remotes = 1;	/* made before remotes */
			continue;
		}
		if (rc) {
			mdb_txn_abort(txn);
			if (rc == MDB_NOTFOUND)
				return store_fail(err, STORE_CORRUPT,
						  "'%s' is not a cairn store "
						  "(no '%s' database)",
						  s->path, dbs[i].name);
			return store_fail(err, rc, "cannot open database '%s' "
						   "in '%s'",
					  dbs[i].name, s->path);
		}
	}
	rc = mdb_get(txn, s->meta, &key, &val);
	if (rc == MDB_NOTFOUND && !rdonly) {
		/* Schema 1 until a record needs more (writer_schema):
		 * older cairns keep reading a store that has none. */
		put_u32(v, 1);
		val.mv_size = 4;
		val.mv_data = v;
		rc = mdb_put(txn, s->meta, &key, &val, 0);
	} else if (rc == 0 && val.mv_size != 4) {
		rc = STORE_CORRUPT;
		err_set(err, "store '%s' has a damaged schema record", s->path);
	} else if (rc == 0 && get_u32(val.mv_data) > STORE_SCHEMA) {
		rc = STORE_VERSION;
		err_set(err,
			"store '%s' has schema %u, made by a newer cairn (this "
			"one reads schema %d); upgrade cairn to use it",
			s->path, get_u32(val.mv_data), STORE_SCHEMA);
	} else if (rc == 0 && get_u32(val.mv_data) < 1) {
		rc = STORE_VERSION;
		err_set(err, "store '%s' has unknown schema %u", s->path,
			get_u32(val.mv_data));
	} else if (rc) {
		rc = store_fail(err, rc, "cannot read the schema of '%s'",
				s->path);
	}
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_commit(txn)))
		return store_fail(err, store_io_errno(s, rc),
				  "cannot initialise '%s'", s->path);
	return 0;
}

/* A data file shorter than its own meta page says would fault on access. */
static int check_truncated(struct store *s, struct err *err)
{
	struct buf p = BUF_INIT;
	MDB_envinfo info;
	struct stat st;
	int rc = 0;

	buf_addf(&p, "%s/data.mdb", s->path);
	if (stat(p.data, &st) == 0 && mdb_env_info(s->env, &info) == 0 &&
	    (uint64_t)(info.me_last_pgno + 1) * s->psize >
		    (uint64_t)st.st_size) {
		rc = store_fail(err, STORE_CORRUPT,
			     "store data file '%s' is truncated (%lld bytes, "
			     "its pages reach %llu)",
			     p.data, (long long)st.st_size,
			     (unsigned long long)(info.me_last_pgno + 1) *
				     s->psize);
	}
	buf_release(&p);
	return rc;
}

/*
 * Without STORE_CREATE, a directory holding no data file (or an empty
 * one, left by a creation killed early) is no store: say so rather than
 * make one.  (One whose main database is empty is caught in open_dbs.)
 */
static int check_made(const char *path, struct err *err)
{
	struct buf p = BUF_INIT;
	struct stat st;
	int data, lock, rc = 0;

	buf_addf(&p, "%s/data.mdb", path);
	data = stat(p.data, &st) == 0;
	if (data && st.st_size > 0) {
		buf_release(&p);
		return 0;
	}
	buf_truncate(&p, 0);
	buf_addf(&p, "%s/lock.mdb", path);
	lock = stat(p.data, &st) == 0;
	if (data || lock)
		rc = store_fail(err, STORE_NOTFOUND,
				"store '%s' is unfinished: its creation was "
				"interrupted",
				path);
	else
		rc = store_fail(err, STORE_NOTFOUND, "no store at '%s'", path);
	buf_release(&p);
	return rc;
}

static size_t initial_map(void)
{
	const char *e = getenv("CAIRN_STORE_MAPSIZE");
	unsigned long long v;

	if (e && *e && (v = strtoull(e, NULL, 10)) >= ((size_t)1 << 16))
		return (size_t)v;
	return MAP_INITIAL;
}

int store_open(const char *path, unsigned flags, struct store **out,
	       struct err *err)
{
	struct store *s;
	struct stat st;
	MDB_stat ms;
	int rc, dead;

	*out = NULL;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return store_fail(err, errno, "cannot open store '%s'",
					  path);
		if (!(flags & STORE_CREATE))
			return store_fail(err, STORE_NOTFOUND,
					  "no store at '%s'", path);
		if ((rc = mkdir_p(path, 0)))
			return store_fail(err, rc, "cannot create store '%s'",
					  path);
	} else if (!S_ISDIR(st.st_mode)) {
		return store_fail(err, ENOTDIR, "cannot open store '%s'", path);
	} else if (!(flags & STORE_CREATE) && (rc = check_made(path, err))) {
		return rc;
	}
	if ((rc = check_fs(path, err)))
		return rc;
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->flags = flags;
	if (stat(path, &st) == 0) {
		s->dir_dev = (uint64_t)st.st_dev;
		s->dir_ino = (uint64_t)st.st_ino;
	}
	if ((rc = mdb_env_create(&s->env))) {
		free(s->path);
		free(s);
		return store_fail(err, rc, "cannot open store '%s'", path);
	}
	mdb_env_set_maxdbs(s->env, 16);
	mdb_env_set_maxreaders(s->env, 256);
	mdb_env_set_mapsize(s->env, initial_map());
	/* MDB_NOTLS: read transactions are not tied to threads. */
	rc = mdb_env_open(s->env, path,
			  MDB_NOTLS | (flags & STORE_RDONLY ? MDB_RDONLY : 0),
			  0664);
	if (rc) {
		rc = store_fail(err, rc, "cannot open store '%s'", path);
		if (rc == STORE_LMDB)
			rc = STORE_CORRUPT;
		store_close(s);
		return rc;
	}
	{
		/* LMDB opens its data file without close-on-exec (its lock
		 * file with): no process cairn starts may write the store. */
		mdb_filehandle_t fd;
		if (mdb_env_get_fd(s->env, &fd) == 0)
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	}
	mdb_env_stat(s->env, &ms);
	s->psize = ms.ms_psize;
	if ((rc = check_truncated(s, err))) {
		store_close(s);
		return rc;
	}
	mdb_reader_check(s->env, &dead);
	if ((rc = open_dbs(s, err))) {
		store_close(s);
		return rc;
	}
	if ((rc = store_config_get(s, &s->cfg))) {
		store_fail(err, rc, "cannot read the settings of store '%s'",
			   path);
		store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

struct store *store_reader(struct store *s)
{
	struct store *v = xmalloc(sizeof(*v));

	*v = *s;
	v->flags |= STORE_RDONLY;
	v->parent = s;
	v->rtxn = NULL;
	v->rlive = v->rdepth = v->rstale = 0;
	return v;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->rtxn)
		mdb_txn_abort(s->rtxn);
	if (!s->parent) {
		if (s->env)
			mdb_env_close(s->env);
		free(s->path);
	}
	free(s);
}
