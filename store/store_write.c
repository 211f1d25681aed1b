/*
 * Writing: chunks, blobs and roots in bounded transactions.  A file is
 * streamed once through a window: one thread hashes the whole file while
 * this one cuts chunks, hashes each and writes the new ones.
 *
 * Crash safety comes from order alone: a chunk is committed no later than
 * the blob that lists it (same or earlier transaction), a blob no later
 * than a tree or root that names it.  A crash loses at most the open
 * transaction and leaves at worst unreferenced chunks, which gc removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zstd.h>

#include "err.h"
#include "store_internal.h"
#include "store_writer.h"
#include "util.h"

int writer_poison(struct store_writer *w, int rc)
{
	w->poisoned = rc ? rc : STORE_POISONED;
	if (w->txn) {
		mdb_txn_abort(w->txn);
		w->txn = NULL;
	}
	return w->poisoned;
}

/*
 * The map's pages leave this process's resident set (not the page cache)
 * once a transaction is committed (store.h).  A writer touches pages all over the
 * file (run ids and keys are random): without this a run of 10^6 stages
 * ended with the whole store (1.8 GiB) counted in its RSS.  The map is
 * read-only and shared (no MDB_WRITEMAP: LMDB writes with pwrite), so a
 * dropped page holds nothing of its own; the next read, of any
 * transaction or thread, faults it in again from the page cache,
 * unchanged.  LMDB does not say where its map is (mdb_env_info's
 * me_mapaddr is set for MDB_FIXEDMAP only): /proc/self/maps does, the
 * mapping of the data file's device and inode.  Without /proc nothing is
 * dropped.
 */
void store_drop_pages(struct store *s)
{
	unsigned long lo, hi, off, ino, maj, min;
	mdb_filehandle_t fd;
	struct stat st;
	char line[4096];
	FILE *f;

	if (mdb_env_get_fd(s->env, &fd) || fstat(fd, &st) < 0 ||
	    !(f = fopen("/proc/self/maps", "re")))
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx %lx:%lx %lu", &lo, &hi, &off,
			   &maj, &min, &ino) == 6 &&
		    ino == (unsigned long)st.st_ino &&
		    makedev(maj, min) == st.st_dev && hi > lo)
			madvise((void *)lo, hi - lo, MADV_DONTNEED);
	fclose(f);
}

static int commit_txn(struct store_writer *w, struct err *err)
{
	int rc;

	if (!w->txn)
		return 0;
	rc = mdb_txn_commit(w->txn);
	w->txn = NULL;
	w->pending = 0;
	store_read_refresh(w->s);
	store_drop_pages(w->s);
	if (rc)
		return writer_poison(w, store_fail(err, store_io_errno(w->s, rc),
						   "cannot commit to store '%s'",
						   w->s->path));
	return 0;
}

/*
 * Writers of other processes queue on LMDB's write lock: the room
 * store_reserve made before this one got the lock may be gone when it
 * does.  So the room is checked again holding the lock, and made again
 * (the lock let go: the map cannot grow under a transaction) until a
 * transaction starts with it.  Each round at least doubles the map.
 */
#define ROOM_TRIES 32

/* A write transaction with room for need more bytes. */
int writer_txn(struct store_writer *w, size_t need, struct err *err)
{
	int rc, tries;

	if (w->poisoned)
		return store_fail(err, STORE_POISONED, "store write abandoned after an "
					  "earlier error");
	if (w->txn && !w->hold && w->pending + need > STORE_BATCH &&
	    (rc = commit_txn(w, err)))
		return rc;
	if (w->txn)
		return 0;
	for (tries = 0;; tries++) {
		if ((rc = store_reserve(w->s, STORE_BATCH + need, err)) ||
		    (rc = store_txn_begin(w->s, 1, &w->txn, err)))
			return writer_poison(w, rc);
		if (store_has_room(w->s, STORE_BATCH + need))
			break;
		mdb_txn_abort(w->txn);
		w->txn = NULL;
		if (tries == ROOM_TRIES)
			return writer_poison(
				w, store_fail(err, STORE_LMDB,
					      "cannot write to store '%s': its "
					      "map stayed full while other "
					      "processes wrote to it (grown %d "
					      "times)",
					      w->s->path, ROOM_TRIES));
	}
	w->pending = 0;
	return 0;
}

/* A put failed: the batch is poisoned, and the message names LMDB's
 * cause (a full map would mean the room made above was too small). */
static int put_failed(struct store_writer *w, int rc, struct err *err)
{
	return writer_poison(w, store_fail(err, store_io_errno(w->s, rc),
					   "cannot write to store '%s'",
					   w->s->path));
}

int writer_schema(struct store_writer *w, uint32_t schema, struct err *err)
{
	MDB_val k = { 6, (void *)"schema" }, v;
	unsigned char u[4];
	int rc;

	if ((rc = writer_txn(w, sizeof(u), err)))
		return rc;
	rc = mdb_get(w->txn, w->s->meta, &k, &v);
	if (rc == 0 && v.mv_size == 4 && get_u32(v.mv_data) >= schema)
		return 0;
	if (rc && rc != MDB_NOTFOUND)
		return put_failed(w, rc, err);
	put_u32(u, schema);
	return writer_put(w, w->s->meta, "schema", 6, u, sizeof(u), err);
}

int writer_put(struct store_writer *w, MDB_dbi dbi, const void *key,
	       size_t klen, const void *val, size_t vlen, struct err *err)
{
	return writer_put_flags(w, dbi, key, klen, val, vlen, 0, err);
}

int writer_put_flags(struct store_writer *w, MDB_dbi dbi, const void *key,
		     size_t klen, const void *val, size_t vlen,
		     unsigned flags, struct err *err)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc;

	if ((rc = writer_txn(w, klen + vlen, err)))
		return rc;
	rc = mdb_put(w->txn, dbi, &k, &v, flags);
	if (rc == MDB_KEYEXIST && (flags & (MDB_NODUPDATA | MDB_NOOVERWRITE)))
		return 0;
	if (rc)
		return put_failed(w, rc, err);
	w->pending += klen + vlen;
	return 0;
}

/* 1 when key is in dbi, 0 when not, < 0 on error (writer poisoned). */
int writer_has(struct store_writer *w, MDB_dbi dbi, const struct digest *id,
	       struct err *err)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b }, v;
	int rc;

	if ((rc = writer_txn(w, 0, err)))
		return rc;
	rc = mdb_get(w->txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return writer_poison(w, store_fail(err, rc, "cannot read store '%s'",
					    w->s->path));
	return 1;
}

int store_writer_new(struct store *s, struct store_writer **out,
		     struct err *err)
{
	struct store_writer *w;

	*out = NULL;
	if (s->flags & STORE_RDONLY)
		return store_fail(err, EROFS, "store '%s' is open read-only",
				  s->path);
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->cp.min = s->cfg.chunk_min;
	w->cp.avg = s->cfg.chunk_avg;
	w->cp.max = s->cfg.chunk_max;
	buf_init(&w->comp);
	buf_init(&w->list);
	*out = w;
	return 0;
}

static void writer_free(struct store_writer *w)
{
	if (w->txn)
		mdb_txn_abort(w->txn);
	if (w->zc)
		ZSTD_freeCCtx(w->zc);
	buf_release(&w->comp);
	buf_release(&w->list);
	free(w->win);
	free(w);
}

int store_writer_commit(struct store_writer *w, struct err *err)
{
	int rc = w->poisoned;

	if (rc)
		store_fail(err, 0, "store write abandoned after an earlier "
				   "error");
	else
		rc = commit_txn(w, err);
	writer_free(w);
	return rc;
}

void store_writer_abort(struct store_writer *w)
{
	writer_free(w);
}

/* Write a record of klen + hlen + plen bytes in place (no extra copy). */
static int put_reserved(struct store_writer *w, MDB_dbi dbi,
			const struct digest *id, const void *hdr, size_t hlen,
			const void *payload, size_t plen, struct err *err)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b }, v = { hlen + plen, NULL };
	int rc;

	if ((rc = writer_txn(w, DIGEST_LEN + hlen + plen, err)))
		return rc;
	if ((rc = mdb_put(w->txn, dbi, &k, &v, MDB_RESERVE)))
		return put_failed(w, rc, err);
	memcpy(v.mv_data, hdr, hlen);
	memcpy((unsigned char *)v.mv_data + hlen, payload, plen);
	w->pending += DIGEST_LEN + hlen + plen;
	return 0;
}

/* Store chunk data[0..n), whose digest is id, unless present. */
static int put_chunk(struct store_writer *w, const unsigned char *data,
		     size_t n, const struct digest *id, struct err *err)
{
	unsigned char hdr[CHUNK_HDR];
	int rc;

	if ((rc = writer_has(w, w->s->chunks, id, err)))
		return rc < 0 ? rc : 0;
	hdr[0] = RECORD_VERSION;
	hdr[1] = CODEC_RAW;
	put_u32(hdr + 2, (uint32_t)n);
	if (w->s->cfg.compression == STORE_COMPRESS_ZSTD) {
		size_t bound = ZSTD_compressBound(n), got;

		if (!w->zc)
			w->zc = ZSTD_createCCtx();
		buf_truncate(&w->comp, 0);
		buf_reserve(&w->comp, bound);
		got = ZSTD_compressCCtx(w->zc, w->comp.data, bound, data, n,
					w->s->cfg.zstd_level);
		/* Keep the compressed form only when it is smaller. */
		if (!ZSTD_isError(got) && got < n) {
			hdr[1] = CODEC_ZSTD;
			return put_reserved(w, w->s->chunks, id, hdr, CHUNK_HDR,
					    w->comp.data, got, err);
		}
	}
	return put_reserved(w, w->s->chunks, id, hdr, CHUNK_HDR, data, n, err);
}

int writer_put_chunk(struct store_writer *w, const unsigned char *data,
		     size_t n, const struct digest *id, struct err *err)
{
	return put_chunk(w, data, n, id, err);
}

int writer_put_inline(struct store_writer *w, const struct digest *id,
		      const void *data, size_t n, struct err *err)
{
	unsigned char hdr[BLOB_HDR];
	struct buf v = BUF_INIT;
	int rc;

	if ((rc = writer_has(w, w->s->blobs, id, err)))
		return rc < 0 ? rc : 0;
	hdr[0] = RECORD_VERSION;
	hdr[1] = BLOB_INLINE;
	put_u64(hdr + 2, n);
	buf_add(&v, hdr, BLOB_HDR);
	buf_add(&v, data, n);
	rc = writer_put(w, w->s->blobs, id->b, DIGEST_LEN, v.data, v.len, err);
	buf_release(&v);
	return rc;
}

/* The blob record for the chunk list gathered in w->list. */
static int put_chunked(struct store_writer *w, const struct digest *id,
		       uint64_t size, struct err *err)
{
	unsigned char hdr[BLOB_HDR + 4];
	struct buf v = BUF_INIT;
	int rc;

	if ((rc = writer_has(w, w->s->blobs, id, err)))
		return rc < 0 ? rc : 0;
	hdr[0] = RECORD_VERSION;
	hdr[1] = BLOB_CHUNKED;
	put_u64(hdr + 2, size);
	put_u32(hdr + BLOB_HDR, (uint32_t)(w->list.len / BLOB_ENTRY));
	buf_add(&v, hdr, sizeof(hdr));
	buf_add(&v, w->list.data, w->list.len);
	rc = writer_put(w, w->s->blobs, id->b, DIGEST_LEN, v.data, v.len, err);
	buf_release(&v);
	return rc;
}

/*
 * One window of a stream: the chunks cut from it, hashed by two threads
 * (this one, and the helper once it has hashed the window's new bytes for
 * the whole-file digest), then written by this thread.
 */
struct window {
	const unsigned char *base;
	size_t n, cap;			/* chunks */
	size_t *off, *len;
	struct digest *ids;
	atomic_size_t next;		/* next chunk to hash */
	struct sha256 *whole;		/* whole-file digest, or NULL */
	const unsigned char *fresh;	/* bytes it has not seen yet */
	size_t nfresh;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ready;			/* chunk list complete */
};

static void hash_chunks(struct window *wd)
{
	size_t i;

	while ((i = atomic_fetch_add(&wd->next, 1)) < wd->n)
		sha256(wd->base + wd->off[i], wd->len[i], &wd->ids[i]);
}

static void *helper(void *arg)
{
	struct window *wd = arg;

	if (wd->whole)
		sha256_update(wd->whole, wd->fresh, wd->nfresh);
	pthread_mutex_lock(&wd->lock);
	while (!wd->ready)
		pthread_cond_wait(&wd->cond, &wd->lock);
	pthread_mutex_unlock(&wd->lock);
	hash_chunks(wd);
	return NULL;
}

static void window_init(struct window *wd)
{
	memset(wd, 0, sizeof(*wd));
	pthread_mutex_init(&wd->lock, NULL);
	pthread_cond_init(&wd->cond, NULL);
}

static void window_release(struct window *wd)
{
	free(wd->off);
	free(wd->len);
	free(wd->ids);
	pthread_mutex_destroy(&wd->lock);
	pthread_cond_destroy(&wd->cond);
}

/*
 * Cut data[0..n) into chunks (all of it when last, else only those whose
 * end cannot move), hash them on two threads while fresh[0..nfresh) goes
 * into the whole-file digest, store them and list them in w->list.
 * *used is how many bytes became chunks.
 */
static int cut(struct store_writer *w, struct window *wd,
	       const unsigned char *data, size_t n, int last,
	       const unsigned char *fresh, size_t nfresh, size_t *used,
	       struct err *err)
{
	pthread_t t;
	size_t off = 0, i;
	int started, rc = 0;

	wd->base = data;
	wd->n = 0;
	wd->ready = 0;
	atomic_store(&wd->next, 0);
	wd->fresh = fresh;
	wd->nfresh = nfresh;
	started = pthread_create(&t, NULL, helper, wd) == 0;
	while (off < n && (last || n - off >= w->cp.max)) {
		size_t c = chunk_next(&w->cp, data + off, n - off);

		if (wd->n == wd->cap) {
			wd->cap = wd->cap ? wd->cap * 2 : 64;
			wd->off = xrealloc(wd->off, wd->cap * sizeof(size_t));
			wd->len = xrealloc(wd->len, wd->cap * sizeof(size_t));
			wd->ids = xrealloc(wd->ids,
					   wd->cap * sizeof(struct digest));
		}
		wd->off[wd->n] = off;
		wd->len[wd->n++] = c;
		off += c;
	}
	pthread_mutex_lock(&wd->lock);
	wd->ready = 1;
	pthread_cond_signal(&wd->cond);
	pthread_mutex_unlock(&wd->lock);
	if (started) {
		hash_chunks(wd);
		pthread_join(t, NULL);
	} else {
		helper(wd);
	}
	for (i = 0; i < wd->n && !rc; i++) {
		unsigned char e[BLOB_ENTRY];

		rc = put_chunk(w, data + wd->off[i], wd->len[i], &wd->ids[i],
			       err);
		memcpy(e, wd->ids[i].b, DIGEST_LEN);
		put_u32(e + DIGEST_LEN, (uint32_t)wd->len[i]);
		buf_add(&w->list, e, sizeof(e));
	}
	*used = off;
	return rc;
}

int store_put_bytes(struct store_writer *w, const void *data, size_t n,
		    struct digest *id, struct err *err)
{
	size_t used;
	int rc;

	struct window wd;

	sha256(data, n, id);
	if (n <= w->cp.min)
		return writer_put_inline(w, id, data, n, err);
	if ((rc = writer_has(w, w->s->blobs, id, err)))
		return rc < 0 ? rc : 0;
	buf_truncate(&w->list, 0);
	window_init(&wd);
	rc = cut(w, &wd, data, n, 1, NULL, 0, &used, err);
	window_release(&wd);
	if (rc)
		return rc;
	return put_chunked(w, id, n, err);
}

int stat_unchanged(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_ino == b->st_ino &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Stream fd through the window; the whole-file digest in *id. */
static int stream(struct store_writer *w, int fd, const char *path,
		  uint64_t *total, struct digest *id, struct err *err)
{
	struct window wd;
	size_t have = 0, cap = w->cp.max * 4;
	int eof = 0, rc = 0;

	if (cap < ((size_t)16 << 20))
		cap = (size_t)16 << 20;
	if (w->wincap < cap) {
		free(w->win);
		w->win = xmalloc(cap);
		w->wincap = cap;
	}
	window_init(&wd);
	wd.whole = sha256_new();
	buf_truncate(&w->list, 0);
	*total = 0;
	while (!eof || have) {
		size_t old = have, used = 0;

		while (!eof && have < cap) {
			ssize_t r = read(fd, w->win + have, cap - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = store_fail(err, errno, "cannot read '%s'",
						path);
				goto out;
			}
			if (r == 0)
				eof = 1;
			have += (size_t)r;
		}
		*total += have - old;
		rc = cut(w, &wd, w->win, have, eof, w->win + old, have - old,
			 &used, err);
		if (rc)
			goto out;
		memmove(w->win, w->win + used, have - used);
		have -= used;
	}
out:
	sha256_final(wd.whole, id);
	window_release(&wd);
	return rc;
}

int store_put_file(struct store_writer *w, const char *path,
		   const struct digest *expect, struct digest *id,
		   struct err *err)
{
	struct stat before, after;
	uint64_t total = 0;
	int fd, rc;

	if (w->poisoned)
		return writer_txn(w, 0, err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return store_fail(err, errno, "cannot open '%s'", path);
	if (fstat(fd, &before) < 0) {
		rc = store_fail(err, errno, "cannot stat '%s'", path);
		goto out;
	}
	if (!S_ISREG(before.st_mode)) {
		rc = store_fail(err, 0, "'%s' is not a regular file", path);
		rc = EINVAL;
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((uint64_t)before.st_size <= w->cp.min) {
		struct buf b = BUF_INIT;
		char chunk[65536];
		ssize_t r;

		while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				buf_release(&b);
				rc = store_fail(err, errno, "cannot read '%s'",
						path);
				goto out;
			}
			buf_add(&b, chunk, (size_t)r);
		}
		total = b.len;
		if (total > w->cp.min) {
			/* It grew under us; the stat check below says so. */
			rc = store_put_bytes(w, b.data, b.len, id, err);
		} else {
			sha256(b.data, b.len, id);
			rc = 0;
		}
		if (!rc && (fstat(fd, &after) < 0 || !stat_unchanged(&before, &after) ||
			    total != (uint64_t)before.st_size)) {
			buf_release(&b);
			rc = store_fail(err, 0, "'%s' changed while it was being "
						"stored",
					path);
			rc = STORE_CHANGED;
			goto out;
		}
		if (!rc && (!expect || digest_eq(expect, id)) &&
		    total <= w->cp.min)
			rc = writer_put_inline(w, id, b.data, b.len, err);
		buf_release(&b);
		if (rc)
			goto out;
	} else {
		if ((rc = stream(w, fd, path, &total, id, err)))
			goto out;
		if (fstat(fd, &after) < 0 || !stat_unchanged(&before, &after) ||
		    total != (uint64_t)before.st_size) {
			rc = store_fail(err, 0, "'%s' changed while it was being "
						"stored",
					path);
			rc = STORE_CHANGED;
			goto out;
		}
		if (expect && !digest_eq(expect, id))
			goto mismatch;
		if ((rc = put_chunked(w, id, total, err)))
			goto out;
	}
	if (expect && !digest_eq(expect, id))
		goto mismatch;
	rc = 0;
	goto out;
mismatch: {
	char a[DIGEST_HEX + 1], b[DIGEST_HEX + 1];

	digest_hex(id, a);
	digest_hex(expect, b);
	store_fail(err, 0, "'%s' hashes to %s, expected %s", path, a, b);
	rc = STORE_MISMATCH;
}
out:
	close(fd);
	return rc;
}

/* A blob, a tree, or a content id (an alias) naming a blob. */
static int exists_any(struct store_writer *w, const struct digest *id,
		      struct err *err)
{
	int rc = writer_has(w, w->s->blobs, id, err);

	if (rc == 0)
		rc = writer_has(w, w->s->trees, id, err);
	if (rc == 0)
		rc = writer_has(w, w->s->aliases, id, err);
	return rc;
}

/* A walk of lookups lets its pages go this often: each may map 64 KiB
 * (the kernel maps a faulting page's neighbours too). */
#define DROP_EVERY 1024

int store_set_root(struct store_writer *w, const char *name,
		   const struct digest *ids, size_t n, struct err *err)
{
	struct buf v = BUF_INIT;
	unsigned char hdr[5];
	size_t i;
	int rc;

	if (!*name || strlen(name) > 400)
		return store_fail(err, STORE_BADARG, "invalid root name '%s'", name);
	for (i = 0; i < n; i++) {
		if (i % DROP_EVERY == DROP_EVERY - 1)
			store_drop_pages(w->s);
		rc = exists_any(w, &ids[i], err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			char hex[DIGEST_HEX + 1];
			digest_hex(&ids[i], hex);
			return store_fail(err, STORE_NOTFOUND, "cannot root %s: no such "
						  "object",
					  hex);
		}
	}
	hdr[0] = RECORD_VERSION;
	put_u32(hdr + 1, (uint32_t)n);
	buf_add(&v, hdr, sizeof(hdr));
	for (i = 0; i < n; i++)
		buf_add(&v, ids[i].b, DIGEST_LEN);
	rc = writer_put(w, w->s->roots, name, strlen(name), v.data, v.len, err);
	buf_release(&v);
	return rc;
}

int store_remove_root(struct store_writer *w, const char *name,
		      struct err *err)
{
	MDB_val k = { strlen(name), (void *)name };
	int rc;

	if ((rc = writer_txn(w, 0, err)))
		return rc;
	rc = mdb_del(w->txn, w->s->roots, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return store_fail(err, STORE_NOTFOUND, "no root named '%s'", name);
	if (rc)
		return writer_poison(w, store_fail(err, rc, "cannot remove root '%s'",
					    name));
	return 0;
}

int store_put_alias(struct store_writer *w, const struct digest *id,
		    const struct digest *blob, struct err *err)
{
	int rc;

	if (digest_eq(id, blob))
		return 0;
	if ((rc = writer_has(w, w->s->blobs, blob, err)) < 0)
		return rc;
	if (rc == 0) {
		char hex[DIGEST_HEX + 1];
		digest_hex(blob, hex);
		return store_fail(err, STORE_NOTFOUND, "alias of blob %s, which "
						       "is not in the store",
				  hex);
	}
	return writer_put(w, w->s->aliases, id->b, DIGEST_LEN, blob->b,
			  DIGEST_LEN, err);
}
