/*
 * Reading: what an id is, id prefixes, a blob's bytes to a descriptor, and
 * materialising blobs and trees at a path through a temporary name, so the
 * final path never holds a partial file.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "store_internal.h"
#include "store_writer.h"
#include "util.h"

static int get(MDB_txn *txn, MDB_dbi dbi, const struct digest *id,
	       MDB_val *v)
{
	MDB_val k = { DIGEST_LEN, (void *)id->b };

	return mdb_get(txn, dbi, &k, v);
}

int alias_get(struct store *s, MDB_txn *txn, const struct digest *id,
	      struct digest *blob)
{
	MDB_val v;
	int rc;

	if (s->no_aliases)
		return MDB_NOTFOUND;
	if ((rc = get(txn, s->aliases, id, &v)))
		return rc;
	if (v.mv_size != DIGEST_LEN)
		return MDB_NOTFOUND;	/* fsck's business */
	memcpy(blob->b, v.mv_data, DIGEST_LEN);
	return 0;
}

static int corrupt(struct err *err, const char *what,
		   const struct digest *id, const char *why)
{
	char hex[DIGEST_HEX + 1];

	digest_hex(id, hex);
	store_fail(err, 0, "%s %s is damaged: %s (run 'cairn fsck')", what,
		   hex, why);
	return STORE_CORRUPT;
}

static int tree_size(MDB_val *v, uint64_t *size, uint32_t *entries)
{
	struct tree_iter it;
	struct store_tree_entry e;
	int rc;

	*size = 0;
	*entries = 0;
	if (v->mv_size < 1 || ((unsigned char *)v->mv_data)[0] != RECORD_VERSION)
		return STORE_CORRUPT;
	rc = tree_iter_init(&it, (unsigned char *)v->mv_data + 1,
			    v->mv_size - 1);
	while (rc == 0 && (rc = tree_iter_next(&it, &e)) == 1) {
		(*entries)++;
		if (e.kind == 'f' || e.kind == 'x')
			*size += e.size;
		rc = 0;
	}
	tree_iter_release(&it);
	return rc;
}

int store_lookup(struct store *s, const struct digest *id,
		 struct store_object *out)
{
	MDB_txn *txn;
	MDB_val v, cv;
	struct blob_rec b;
	uint32_t i, len;
	struct digest blob;
	int rc;

	memset(out, 0, sizeof(*out));
	out->id = *id;
	if ((rc = store_read_begin(s, &txn, NULL)))
		return rc;
	/* An alias (a content id) describes the blob it names. */
	if (alias_get(s, txn, id, &blob) == 0)
		id = &blob;
	if ((rc = get(txn, s->blobs, id, &v)) == 0) {
		out->kind = STORE_BLOB;
		if ((rc = blob_decode(&v, &b)) == 0) {
			out->size = b.size;
			out->chunks = b.n;
			out->stored = v.mv_size;
			for (i = 0; i < b.n; i++) {
				struct digest cid;
				blob_chunk(&b, i, &cid, &len);
				if (get(txn, s->chunks, &cid, &cv) == 0)
					out->stored += cv.mv_size;
			}
		}
	} else if (rc == MDB_NOTFOUND &&
		   (rc = get(txn, s->trees, id, &v)) == 0) {
		out->kind = STORE_TREE;
		out->stored = v.mv_size;
		rc = tree_size(&v, &out->size, &out->entries);
	} else if (rc == MDB_NOTFOUND &&
		   (rc = get(txn, s->runs, id, &v)) == 0) {
		struct store_run r;

		out->kind = STORE_RUN;
		out->stored = v.mv_size;
		if (run_decode(v.mv_data, v.mv_size, &r))
			rc = STORE_CORRUPT;
		else
			out->size = r.len;
	}
	store_read_end(s);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	return rc > 0 || rc == STORE_CORRUPT ? rc : (rc ? STORE_LMDB : 0);
}


int store_resolve(struct store *s, const char *prefix, struct digest *out,
		  struct err *err)
{
	static const char *const names[] = { "blob", "tree", "run", "alias" };
	MDB_dbi dbs[4] = { s->blobs, s->trees, s->runs, s->aliases };
	unsigned char lo[DIGEST_LEN] = { 0 };
	size_t n = strlen(prefix), i, found = 0;
	struct buf list = BUF_INIT;
	MDB_txn *txn;
	int d, rc = 0;

	if (n < 6 || n > DIGEST_HEX)
		return store_fail(err, STORE_BADARG, "'%s' is not an id: give 6 to 64 hex "
					  "digits",
				  prefix);
	for (i = 0; i < n; i++) {
		int h = hex_value(prefix[i]);
		if (h < 0)
			return store_fail(err, STORE_BADARG, "'%s' is not an id: '%c' is "
						  "not a hex digit",
					  prefix, prefix[i]);
		lo[i / 2] |= (unsigned char)(i % 2 ? h : h << 4);
	}
	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	for (d = 0; d < 4 - s->no_aliases && !rc; d++) {
		MDB_cursor *c;
		MDB_val k = { DIGEST_LEN, lo }, v;

		if ((rc = mdb_cursor_open(txn, dbs[d], &c)))
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		while (rc == 0 && k.mv_size == DIGEST_LEN) {
			const unsigned char *key = k.mv_data;
			char hex[DIGEST_HEX + 1];
			struct digest id;

			memcpy(id.b, key, DIGEST_LEN);
			digest_hex(&id, hex);
			if (strncasecmp(hex, prefix, n))
				break;
			if (found++ == 0)
				*out = id;
			if (found <= 10)
				buf_addf(&list, "\n  %s %s", names[d], hex);
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		if (rc == MDB_NOTFOUND)
			rc = 0;
		mdb_cursor_close(c);
	}
	store_read_end(s);
	if (rc)
		rc = store_fail(err, rc, "cannot read store '%s'", s->path);
	else if (!found)
		rc = store_fail(err, STORE_NOTFOUND, "no object with id '%s' in store '%s'",
				prefix, s->path);
	else if (found > 1)
		rc = store_fail(err, STORE_AMBIGUOUS,
				"id prefix '%s' is ambiguous; it names %zu "
				"objects:%s%s",
				prefix, found, list.data,
				found > 10 ? "\n  ..." : "");
	buf_release(&list);
	return rc;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

struct hasher {
	pthread_t thread;
	struct sha256 *sha;
	const unsigned char *p;
	size_t n;
	int running;
};

static void *hash_run(void *arg)
{
	struct hasher *h = arg;

	sha256_update(h->sha, h->p, h->n);
	return NULL;
}

/*
 * Before a byte goes out: every chunk the list names is there with its
 * listed length, and the lengths add up to the blob's size.
 */
static int chunks_listed(struct store *s, MDB_txn *txn,
			 const struct digest *id, const struct blob_rec *b,
			 struct err *err)
{
	uint64_t total = 0;
	uint32_t i, len;

	for (i = 0; i < b->n; i++) {
		struct digest cid;
		MDB_val cv;

		blob_chunk(b, i, &cid, &len);
		if (get(txn, s->chunks, &cid, &cv))
			return corrupt(err, "blob", id, "a chunk is missing");
		if (cv.mv_size < CHUNK_HDR ||
		    get_u32((unsigned char *)cv.mv_data + 2) != len)
			return corrupt(err, "blob", id, "a chunk is malformed");
		total += len;
	}
	if (total != b->size)
		return corrupt(err, "blob", id,
			       "its chunks do not add up to its size");
	return 0;
}

/*
 * Write blob id to fd, hashing the whole on a second thread.  With check,
 * each chunk is hashed and compared with its id before it is written
 * (fd is seen by others: nothing damaged may reach it); a temporary file,
 * discarded unless the whole digest matches, needs no such check.
 */
static int cat_txn(struct store *s, MDB_txn *txn, const struct digest *id,
		   int fd, const char *dest, int check, struct err *err)
{
	struct hasher h = { 0 };
	struct buf scratch = BUF_INIT;
	struct blob_rec b;
	struct digest got;
	MDB_val v;
	uint64_t total = 0;
	uint32_t i;
	struct digest blob;
	int rc;

	if ((rc = get(txn, s->blobs, id, &v)) == MDB_NOTFOUND &&
	    alias_get(s, txn, id, &blob) == 0)
		return cat_txn(s, txn, &blob, fd, dest, check, err);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc)
		return store_fail(err, rc, "cannot read store '%s'", s->path);
	if (blob_decode(&v, &b))
		return corrupt(err, "blob", id, "its record is malformed");
	if (b.kind == BLOB_INLINE) {
		sha256(b.data, b.size, &got);
		if (!digest_eq(&got, id))
			return corrupt(err, "blob", id,
				       "its bytes do not hash to its id");
		rc = write_all(fd, b.data, b.size);
		return rc ? store_fail(err, rc, "cannot write '%s'", dest) : 0;
	}
	if ((rc = chunks_listed(s, txn, id, &b, err)))
		return rc;
	h.sha = sha256_new();
	for (i = 0; !rc && i < b.n; i++) {
		const unsigned char *data;
		struct digest cid, cgot;
		uint32_t len;
		MDB_val cv;
		size_t n;

		blob_chunk(&b, i, &cid, &len);
		get(txn, s->chunks, &cid, &cv);
		/* scratch is reused: the hasher was joined last time. */
		if (chunk_bytes(&cv, &scratch, &data, &n) || n != len) {
			rc = corrupt(err, "blob", id, "a chunk is malformed");
			break;
		}
		h.p = data;
		h.n = n;
		h.running = pthread_create(&h.thread, NULL, hash_run, &h) == 0;
		if (!h.running)
			hash_run(&h);
		if (check) {
			sha256(data, n, &cgot);
			if (!digest_eq(&cgot, &cid))
				rc = corrupt(err, "blob", id,
					     "a chunk's bytes do not hash to "
					     "its id");
		}
		if (!rc && (rc = write_all(fd, data, n)))
			rc = store_fail(err, rc, "cannot write '%s'", dest);
		if (h.running)
			pthread_join(h.thread, NULL);
		total += n;
	}
	sha256_final(h.sha, &got);
	buf_release(&scratch);
	if (rc)
		return rc;
	if (total != b.size || !digest_eq(&got, id))
		return corrupt(err, "blob", id,
			       "its bytes do not hash to its id");
	return 0;
}

int store_cat(struct store *s, const struct digest *id, int fd,
	      struct err *err)
{
	MDB_txn *txn;
	int rc;

	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	rc = cat_txn(s, txn, id, fd, "standard output", 1, err);
	store_read_end(s);
	if (rc == STORE_NOTFOUND) {
		char hex[DIGEST_HEX + 1];
		digest_hex(id, hex);
		store_fail(err, 0, "no blob %s in store '%s'", hex, s->path);
	}
	return rc;
}

unsigned store_mode_of(unsigned st_mode)
{
	unsigned m = 0;

	if (S_ISREG(st_mode) && (st_mode & S_IXUSR))
		m |= STORE_MODE_EXEC;
	if (!(st_mode & (S_IRWXG | S_IRWXO)))
		m |= STORE_MODE_PRIVATE;
	return m;
}

/* The permissions a file (or directory) of mode bits is created with. */
static mode_t perms(unsigned mode, int dir)
{
	mode_t p = dir || (mode & STORE_MODE_EXEC) ? 0777 : 0666;

	return mode & STORE_MODE_PRIVATE ? p & 0700 : p;
}

/* A fresh name beside path: "path.cairn-tmp-PID-N". */
static void temp_name(struct buf *b, const char *path, unsigned n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	buf_truncate(b, 0);
	buf_addf(b, "%s.cairn-tmp-%ld-%lx%u", path, (long)getpid(),
		 (unsigned long)ts.tv_nsec, n);
}

/*
 * Write blob id at path.  Through a temporary name renamed into place,
 * unless direct (path is inside a temporary tree being built).
 */
static int blob_to(struct store *s, MDB_txn *txn, const struct digest *id,
		   const char *path, unsigned mode, int direct, struct err *err)
{
	struct buf tmp = BUF_INIT;
	unsigned tries;
	int fd = -1, rc;

	for (tries = 0; tries < 100 && fd < 0; tries++) {
		if (direct) {
			buf_truncate(&tmp, 0);
			buf_adds(&tmp, path);
		} else {
			temp_name(&tmp, path, tries);
		}
		fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  perms(mode, 0));
		if (fd < 0 && (errno != EEXIST || direct))
			break;
	}
	if (fd < 0) {
		rc = store_fail(err, errno, "cannot create '%s'", tmp.data);
		buf_release(&tmp);
		return rc;
	}
	rc = cat_txn(s, txn, id, fd, path, 0, err);
	if (close(fd) < 0 && !rc)
		rc = store_fail(err, errno, "cannot write '%s'", path);
	if (!rc && !direct && rename(tmp.data, path) < 0)
		rc = store_fail(err, errno, "cannot rename '%s' to '%s'",
				tmp.data, path);
	if (rc)
		unlink(tmp.data);
	buf_release(&tmp);
	return rc;
}

static int tree_to(struct store *s, MDB_txn *txn, const struct digest *id,
		   MDB_val *v, const char *path, unsigned mode, struct err *err)
{
	struct buf tmp = BUF_INIT, old = BUF_INIT, p = BUF_INIT;
	struct tree_iter it;
	struct store_tree_entry e;
	struct stat st;
	unsigned tries;
	int rc;

	if (v->mv_size < 1 || ((unsigned char *)v->mv_data)[0] != RECORD_VERSION ||
	    tree_iter_init(&it, (unsigned char *)v->mv_data + 1,
			   v->mv_size - 1))
		return corrupt(err, "tree", id, "its record is malformed");
	for (tries = 0; tries < 100; tries++) {
		temp_name(&tmp, path, tries);
		if (mkdir(tmp.data, perms(mode, 1)) == 0 || errno != EEXIST)
			break;
	}
	if (tries == 100 || access(tmp.data, F_OK) < 0) {
		rc = store_fail(err, errno, "cannot create '%s'", tmp.data);
		goto out;
	}
	while ((rc = tree_iter_next(&it, &e)) == 1) {
		buf_truncate(&p, 0);
		buf_addf(&p, "%s/%s", tmp.data, e.path);
		rc = 0;
		if (e.kind == 'd') {
			if (mkdir(p.data, perms(e.mode, 1)) < 0)
				rc = store_fail(err, errno, "cannot create '%s'",
						p.data);
		} else if (e.kind == 'l') {
			if (symlink(e.target, p.data) < 0)
				rc = store_fail(err, errno, "cannot create '%s'",
						p.data);
		} else {
			rc = blob_to(s, txn, &e.id, p.data, e.mode, 1, err);
			if (rc == STORE_NOTFOUND)
				rc = corrupt(err, "tree", id,
					     "it names a missing blob");
		}
		if (rc)
			break;
	}
	if (rc == STORE_CORRUPT && !strstr(err->msg, "damaged"))
		corrupt(err, "tree", id, "an entry is malformed or unsafe");
	if (rc)
		goto fail;
	/* Swap into place: the old content goes only once the new is whole. */
	if (lstat(path, &st) == 0) {
		temp_name(&old, path, 999);
		if (rename(path, old.data) < 0) {
			rc = store_fail(err, errno, "cannot replace '%s'", path);
			goto fail;
		}
	}
	if (rename(tmp.data, path) < 0) {
		rc = store_fail(err, errno, "cannot rename '%s' to '%s'",
				tmp.data, path);
		if (old.len)
			rename(old.data, path);
		goto fail;
	}
	if (old.len)
		remove_tree(old.data);
	goto out;
fail:
	remove_tree(tmp.data);
out:
	tree_iter_release(&it);
	buf_release(&tmp);
	buf_release(&old);
	buf_release(&p);
	return rc;
}

int store_materialize(struct store *s, const struct digest *id,
		      const char *path, unsigned mode, struct err *err)
{
	struct digest blob;
	MDB_txn *txn;
	MDB_val v;
	int rc;

	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	if (alias_get(s, txn, id, &blob) == 0)
		id = &blob;
	if (get(txn, s->blobs, id, &v) == 0)
		rc = blob_to(s, txn, id, path, mode, 0, err);
	else if (get(txn, s->trees, id, &v) == 0)
		rc = tree_to(s, txn, id, &v, path, mode, err);
	else {
		char hex[DIGEST_HEX + 1];
		digest_hex(id, hex);
		rc = store_fail(err, STORE_NOTFOUND, "no object %s in store '%s'", hex,
				s->path);
	}
	store_read_end(s);
	return rc;
}

int store_tree_walk(struct store *s, const struct digest *id,
		    int (*fn)(const struct store_tree_entry *e, void *ctx),
		    void *ctx, struct err *err)
{
	struct tree_iter it;
	struct store_tree_entry e;
	MDB_txn *txn;
	MDB_val v;
	int rc;

	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	if (get(txn, s->trees, id, &v)) {
		store_read_end(s);
		return STORE_NOTFOUND;
	}
	if (v.mv_size < 1 || ((unsigned char *)v.mv_data)[0] != RECORD_VERSION ||
	    tree_iter_init(&it, (unsigned char *)v.mv_data + 1, v.mv_size - 1)) {
		store_read_end(s);
		return corrupt(err, "tree", id, "its record is malformed");
	}
	while ((rc = tree_iter_next(&it, &e)) == 1)
		if ((rc = fn(&e, ctx)))
			break;
	if (rc == STORE_CORRUPT)
		corrupt(err, "tree", id, "an entry is malformed or unsafe");
	tree_iter_release(&it);
	store_read_end(s);
	return rc;
}

int store_roots_walk(struct store *s,
		     int (*fn)(const struct store_root *r, void *ctx),
		     void *ctx, struct err *err)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	struct buf name = BUF_INIT;
	int rc;

	if ((rc = store_read_begin(s, &txn, err)))
		return rc;
	if ((rc = mdb_cursor_open(txn, s->roots, &c))) {
		store_read_end(s);
		return store_fail(err, rc, "cannot read roots");
	}
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		const unsigned char *p = v.mv_data;
		struct store_root r;

		buf_truncate(&name, 0);
		buf_add(&name, k.mv_data, k.mv_size);
		if (v.mv_size < 5 || p[0] != RECORD_VERSION ||
		    (v.mv_size - 5) != (size_t)get_u32(p + 1) * DIGEST_LEN) {
			rc = store_fail(err, STORE_CORRUPT, "root '%s' is damaged (run "
						"'cairn fsck')",
					name.data);
			break;
		}
		r.name = name.data;
		r.n = get_u32(p + 1);
		r.ids = (const struct digest *)(p + 5);
		if ((rc = fn(&r, ctx)))
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
	store_read_end(s);
	buf_release(&name);
	return rc;
}
