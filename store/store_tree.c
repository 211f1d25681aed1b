/*
 * Directories as trees: walk, ingest every file, and write the canonical
 * manifest (docs/store-format.md, "trees").  Entries are sorted by path
 * bytes, so the same directory always gives the same id wherever it lives.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "store_writer.h"
#include "util.h"

struct entry {
	char kind;
	char *path;
	uint64_t size;
	struct digest id;
	char *target;
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
		} else if (S_ISDIR(st.st_mode)) {
			add(wk, 'd', sub.data, 0, NULL, NULL);
			rc = walk_dir(wk, sub.data);
		} else if (S_ISREG(st.st_mode)) {
			struct digest id;
			rc = store_put_file(wk->w, full.data, NULL, &id,
					    wk->err);
			if (!rc)
				add(wk, st.st_mode & S_IXUSR ? 'x' : 'f',
				    sub.data, (uint64_t)st.st_size, &id, NULL);
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
	int rc;

	if (stat(path, &st) < 0)
		return store_fail(err, errno, "cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return store_fail(err, 0, "'%s' is not a directory", path),
		       ENOTDIR;
	rc = walk_dir(&wk, "");
	if (!rc) {
		qsort(wk.e, wk.n, sizeof(*wk.e), by_path);
		buf_addc(&enc, RECORD_VERSION);
		encode(&enc, wk.e, wk.n);
		sha256(enc.data + 1, enc.len - 1, id);
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
	}
	free(wk.e);
	buf_release(&enc);
	return rc;
}
