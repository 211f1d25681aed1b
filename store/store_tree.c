/*
 * Directories as trees: walk, ingest every file, and write the canonical
 * manifest (docs/store-format.md, "trees").  Entries are sorted by path
 * bytes, so the same directory always gives the same id wherever it lives.
 * Of a mode, only what a restore keeps enters: executable or not, and
 * owner-only (kinds 'F', 'X', 'D') or not; never the umask's doing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "store_writer.h"
#include "util.h"

struct entry {
	char kind;		/* as encoded: 'F', 'X', 'D' owner-only */
	char *path;
	uint64_t size;
	struct digest id;
	char *target;
	char *full;		/* a file still to ingest: its path */
	unsigned char *data;	/* a small file's bytes, read by a worker */
	size_t len;
	int rc;			/* the worker's result: 0, errno, STORE_* */
};

struct walk {
	struct store_writer *w;
	const char *root;
	struct entry *e;
	size_t n, cap;
	struct err *err;
};

static int add(struct walk *wk, char kind, const char *rel, uint64_t size,
	       const struct digest *id, const char *target)
{
	struct entry *e;

	xgrow((void **)&wk->e, &wk->cap, wk->n + 1, sizeof(*wk->e));
	e = &wk->e[wk->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->path = xstrdup(rel);
	e->size = size;
	if (id)
		e->id = *id;
	e->target = target ? xstrdup(target) : NULL;
	return 0;
}

/* The encoded kind: upper case when group and others have no access. */
static char kind_of(char kind, mode_t mode)
{
	return store_mode_of(mode) & STORE_MODE_PRIVATE
		       ? (char)(kind - 'a' + 'A')
		       : kind;
}

static int walk_dir(struct walk *wk, const char *rel)
{
	struct buf full = BUF_INIT, sub = BUF_INIT;
	DIR *d;
	struct dirent *ent;
	int rc = 0;

	buf_adds(&full, wk->root);
	if (*rel)
		buf_addf(&full, "/%s", rel);
	if (!(d = opendir(full.data))) {
		rc = store_fail(wk->err, errno, "cannot read directory '%s'",
				full.data);
		buf_release(&full);
		return rc;
	}
	while (!rc && (errno = 0, ent = readdir(d))) {
		struct stat st;
		size_t base = full.len;

		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		buf_truncate(&sub, 0);
		if (*rel)
			buf_addf(&sub, "%s/", rel);
		buf_adds(&sub, ent->d_name);
		buf_addf(&full, "/%s", ent->d_name);
		if (lstat(full.data, &st) < 0) {
			rc = store_fail(wk->err, errno, "cannot stat '%s'",
					full.data);
		} else if (S_ISDIR(st.st_mode) &&
			   (uint64_t)st.st_dev == wk->w->s->dir_dev &&
			   (uint64_t)st.st_ino == wk->w->s->dir_ino) {
			;	/* the store itself: never part of a tree */
		} else if (S_ISDIR(st.st_mode)) {
			add(wk, kind_of('d', st.st_mode), sub.data, 0, NULL,
			    NULL);
			rc = walk_dir(wk, sub.data);
		} else if (S_ISREG(st.st_mode)) {
			/* Ingested after the walk, small files in parallel. */
			add(wk,
			    kind_of(st.st_mode & S_IXUSR ? 'x' : 'f',
				    st.st_mode),
			    sub.data, (uint64_t)st.st_size, NULL, NULL);
			wk->e[wk->n - 1].full = xstrdup(full.data);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(full.data, target,
					     sizeof(target) - 1);
			if (n < 0) {
				rc = store_fail(wk->err, errno,
						"cannot read link '%s'",
						full.data);
			} else {
				target[n] = '\0';
				if (tree_link_safe(sub.data, target) < 0) {
					store_fail(wk->err, 0,
						   "symlink '%s' points outside "
						   "the tree ('%s')",
						   full.data, target);
					rc = STORE_UNSAFE;
				} else {
					add(wk, 'l', sub.data, (uint64_t)n,
					    NULL, target);
				}
			}
		} else {
			store_fail(wk->err, 0,
				   "'%s' is not a file, directory or symlink",
				   full.data);
			rc = EINVAL;
		}
		buf_truncate(&full, base);
	}
	if (!rc && errno)
		rc = store_fail(wk->err, errno, "cannot read directory '%s'",
				full.data);
	closedir(d);
	buf_release(&full);
	buf_release(&sub);
	return rc;
}

/* ---- ingesting the files: small ones read and hashed on all cores ---- */

struct batch {
	struct entry **items;
	size_t n;
	atomic_size_t next;
};

static void read_small(struct entry *e)
{
	struct stat before, after;
	struct buf b = BUF_INIT;
	char chunk[65536];
	ssize_t r;
	int fd = open(e->full, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		e->rc = errno;
		return;
	}
	if (fstat(fd, &before) < 0) {
		e->rc = errno;
		close(fd);
		return;
	}
	buf_reserve(&b, (size_t)before.st_size);
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e->rc = errno;
			break;
		}
		buf_add(&b, chunk, (size_t)r);
	}
	if (!e->rc && (fstat(fd, &after) < 0 || !stat_unchanged(&before, &after) ||
		       b.len != (size_t)before.st_size || b.len != e->size))
		e->rc = STORE_CHANGED;
	close(fd);
	if (e->rc) {
		buf_release(&b);
		return;
	}
	sha256(b.data, b.len, &e->id);
	e->len = b.len;
	e->data = (unsigned char *)buf_detach(&b, NULL);
}

static void *small_worker(void *arg)
{
	struct batch *bt = arg;
	size_t i;

	while ((i = atomic_fetch_add(&bt->next, 1)) < bt->n)
		read_small(bt->items[i]);
	return NULL;
}

/* Read and hash bt's files on up to 4 threads, then store them here. */
static int ingest_batch(struct walk *wk, struct batch *bt)
{
	pthread_t t[3];
	int started = 0, i, rc = 0;
	size_t k;

	atomic_store(&bt->next, 0);
	for (i = 0; i < 3 && bt->n > 16; i++)
		if (pthread_create(&t[started], NULL, small_worker, bt) == 0)
			started++;
	small_worker(bt);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (k = 0; k < bt->n; k++) {
		struct entry *e = bt->items[k];

		if (!rc && e->rc == STORE_CHANGED)
			rc = store_fail(wk->err, STORE_CHANGED,
					"'%s' changed while it was being stored",
					e->full);
		else if (!rc && e->rc)
			rc = store_fail(wk->err, e->rc, "cannot read '%s'",
					e->full);
		else if (!rc)
			rc = writer_put_inline(wk->w, &e->id, e->data, e->len,
					       wk->err);
		free(e->data);
		e->data = NULL;
	}
	bt->n = 0;
	return rc;
}

static int ingest_files(struct walk *wk)
{
	enum { BATCH_FILES = 4096, BATCH_BYTES = 64 << 20 };
	struct batch bt;
	size_t i, bytes = 0;
	int rc = 0;

	bt.items = xcalloc(BATCH_FILES, sizeof(struct entry *));
	bt.n = 0;
	atomic_init(&bt.next, 0);

	for (i = 0; i < wk->n && !rc; i++) {
		struct entry *e = &wk->e[i];

		if (!e->full)
			continue;
		if (e->size > wk->w->cp.min) {
			/* A large file streams on two threads by itself. */
			rc = store_put_file(wk->w, e->full, NULL, &e->id,
					    wk->err);
			continue;
		}
		bt.items[bt.n++] = e;
		bytes += e->size;
		if (bt.n == BATCH_FILES || bytes >= BATCH_BYTES) {
			rc = ingest_batch(wk, &bt);
			bytes = 0;
		}
	}
	if (!rc && bt.n)
		rc = ingest_batch(wk, &bt);
	for (i = 0; i < bt.n; i++)
		free(bt.items[i]->data);
	free(bt.items);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path,
		      ((const struct entry *)b)->path);
}

static void encode(struct buf *b, const struct entry *e, size_t n)
{
	unsigned char hdr[45], u[8];
	size_t i;

	buf_add(b, TREE_MAGIC, TREE_MAGIC_LEN);
	put_u32(u, (uint32_t)n);
	buf_add(b, u, 4);
	for (i = 0; i < n; i++) {
		size_t plen = strlen(e[i].path);

		hdr[0] = (unsigned char)e[i].kind;
		put_u64(hdr + 1, e[i].size);
		memcpy(hdr + 9, e[i].id.b, DIGEST_LEN);
		put_u32(hdr + 41, (uint32_t)plen);
		buf_add(b, hdr, sizeof(hdr));
		buf_add(b, e[i].path, plen);
		if (e[i].kind == 'l') {
			put_u32(u, (uint32_t)strlen(e[i].target));
			buf_add(b, u, 4);
			buf_adds(b, e[i].target);
		}
	}
}

int store_put_tree(struct store_writer *w, const char *path,
		   struct digest *id, struct err *err)
{
	struct walk wk = { w, path, NULL, 0, 0, err };
	struct buf enc = BUF_INIT;
	struct stat st;
	size_t i;
	int rc, private = 0;

	if (stat(path, &st) < 0)
		return store_fail(err, errno, "cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return store_fail(err, 0, "'%s' is not a directory", path),
		       ENOTDIR;
	rc = walk_dir(&wk, "");
	if (!rc)
		rc = ingest_files(&wk);
	if (!rc) {
		if (wk.n)
			qsort(wk.e, wk.n, sizeof(*wk.e), by_path);
		buf_addc(&enc, RECORD_VERSION);
		encode(&enc, wk.e, wk.n);
		sha256(enc.data + 1, enc.len - 1, id);
		for (i = 0; i < wk.n; i++)
			private |= wk.e[i].kind >= 'A' && wk.e[i].kind <= 'Z';
		rc = private ? writer_schema(w, 2, err) : 0;
		if (!rc)
			rc = writer_has(w, w->s->trees, id, err);
		if (rc == 0)
			rc = writer_put(w, w->s->trees, id->b, DIGEST_LEN,
					enc.data, enc.len, err);
		else if (rc == 1)
			rc = 0;
	}
	for (i = 0; i < wk.n; i++) {
		free(wk.e[i].path);
		free(wk.e[i].target);
		free(wk.e[i].full);
	}
	free(wk.e);
	buf_release(&enc);
	return rc;
}
