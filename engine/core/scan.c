#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "h5digest.h"
#include "scan.h"
#include "statmany.h"
#include "store.h"
#include "util.h"

struct scan_put {
	char *path;
	struct store_stat_entry e;
};

void scan_init(struct scan *sc, struct store *s)
{
	memset(sc, 0, sizeof(*sc));
	sc->store = s;
}

void scan_init_deferred(struct scan *sc, struct store *s)
{
	scan_init(sc, s);
	sc->deferred = 1;
}

/* Record entry e for path, now or (deferred) later. */
static int put(struct scan *sc, const char *path,
	       const struct store_stat_entry *e, struct err *err)
{
	if (strlen(path) > 400 || sc->nowrite)
		return 0;	/* too long for a key, or read-only */
	if (sc->deferred) {
		sc->puts = xrealloc(sc->puts, (sc->nputs + 1) * sizeof(*sc->puts));
		sc->puts[sc->nputs].path = xstrdup(path);
		sc->puts[sc->nputs++].e = *e;
		return 0;
	}
	if (!sc->w && store_writer_new(sc->store, &sc->w, err)) {
		sc->nowrite = 1;	/* opened read-only (explain, log) */
		return 0;
	}
	return store_statcache_put(sc->w, path, e, err) ? -1 : 0;
}

int scan_merge(struct scan *into, struct scan *from, struct err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < from->nputs; i++) {
		if (!rc)
			rc = put(into, from->puts[i].path, &from->puts[i].e, err);
		free(from->puts[i].path);
	}
	free(from->puts);
	from->puts = NULL;
	from->nputs = 0;
	into->hashed += from->hashed;
	into->cached += from->cached;
	return rc;
}

int scan_finish(struct scan *sc, struct err *err)
{
	int rc = 0;

	if (sc->w)
		rc = store_writer_commit(sc->w, err);
	sc->w = NULL;
	return rc ? -1 : 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int scan_hash_file(const char *path, uint64_t size, struct digest *out,
		   struct err *err)
{
	/* Small files (most inputs) are read in one go into a buffer on the
	 * stack; a megabyte from the heap costs an mmap and a munmap. */
	unsigned char small[16384], *b = small;
	size_t cap = sizeof(small);
	struct sha256 *s;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_errno(err, "cannot read '%s'", path);
	if (size >= sizeof(small)) {
		cap = 1 << 20;
		b = xmalloc(cap);
	}
	s = sha256_new();
	while ((n = read(fd, b, cap)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(err, "cannot read '%s'", path);
			close(fd);
			sha256_final(s, out);
			if (b != small)
				free(b);
			return -1;
		}
		sha256_update(s, b, (size_t)n);
	}
	close(fd);
	sha256_final(s, out);
	if (b != small)
		free(b);
	return 0;
}

int scan_path(struct scan *sc, const char *path, const struct filestat *pre,
	      struct digest *out, int *missing, struct err *err)
{
	return scan_path_as(sc, path, pre, 0, out, missing, err);
}

int scan_content_digest(const char *path, uint64_t size, int hdf5,
			struct digest *out, struct err *err)
{
	struct err ignore;

	if (hdf5 && h5_digest(path, out, &ignore) == 0)
		return 0;
	return scan_hash_file(path, size, out, err);
}

int scan_path_as(struct scan *sc, const char *path,
		 const struct filestat *pre, int hdf5, struct digest *out,
		 int *missing, struct err *err)
{
	struct store_stat_entry e, now;
	struct filestat st;
	struct buf key = BUF_INIT;
	int rc;

	*missing = 0;
	if (pre) {
		st = *pre;
	} else {
		struct stat raw;
		if (stat(path, &raw) < 0) {
			*missing = errno == ENOENT || errno == ENOTDIR;
			return err_errno(err, "cannot read '%s'", path);
		}
		filestat_from(&raw, &st);
	}
	if (S_ISDIR(st.mode)) {
		if (sc->deferred)
			return SCAN_DEFER;
		if (!sc->w && (rc = store_writer_new(sc->store, &sc->w, err)))
			return -1;
		sc->hashed++;
		return store_put_tree(sc->w, path, out, err) ? -1 : 0;
	}
	if (!S_ISREG(st.mode))
		return err_set(err, "'%s' is not a file or folder", path);
	memset(&now, 0, sizeof(now));
	now.dev = st.dev;
	now.ino = st.ino;
	now.size = st.size;
	now.mtime_ns = st.mtime_ns;
	now.ctime_ns = st.ctime_ns;
	/* Content digests are cached under their own key. */
	if (hdf5) {
		buf_adds(&key, "hdf5:");
		buf_adds(&key, path);
		path = key.data;
	}
	if (store_statcache_get(sc->store, path, &e) == 0 && e.dev == now.dev &&
	    e.ino == now.ino && e.size == now.size &&
	    e.mtime_ns == now.mtime_ns && e.ctime_ns == now.ctime_ns &&
	    e.recorded_ns - e.mtime_ns >= SCAN_RACY_NS &&
	    e.recorded_ns - e.ctime_ns >= SCAN_RACY_NS) {
		*out = e.id;
		sc->cached++;
		buf_release(&key);
		return 0;
	}
	now.recorded_ns = now_ns();
	if (scan_content_digest(hdf5 ? path + 5 : path, st.size, hdf5, out,
				err) < 0) {
		buf_release(&key);
		return -1;
	}
	sc->hashed++;
	now.id = *out;
	rc = put(sc, path, &now, err);
	buf_release(&key);
	return rc;
}
