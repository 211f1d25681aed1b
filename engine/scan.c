#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "scan.h"
#include "store.h"
#include "util.h"

void scan_init(struct scan *sc, struct store *s)
{
	memset(sc, 0, sizeof(*sc));
	sc->store = s;
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

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int hash_file(const char *path, struct digest *out, struct err *err)
{
	unsigned char *b = xmalloc(1 << 20);
	struct sha256 *s;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		free(b);
		return err_errno(err, "cannot read '%s'", path);
	}
	s = sha256_new();
	while ((n = read(fd, b, 1 << 20)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(err, "cannot read '%s'", path);
			close(fd);
			sha256_final(s, out);
			free(b);
			return -1;
		}
		sha256_update(s, b, (size_t)n);
	}
	close(fd);
	sha256_final(s, out);
	free(b);
	return 0;
}

int scan_path(struct scan *sc, const char *path, const struct stat *pre,
	      struct digest *out, int *missing, struct err *err)
{
	struct store_stat_entry e, now;
	struct stat st;
	int rc;

	*missing = 0;
	if (pre)
		st = *pre;
	else if (stat(path, &st) < 0) {
		*missing = errno == ENOENT || errno == ENOTDIR;
		return err_errno(err, "cannot read '%s'", path);
	}
	if (S_ISDIR(st.st_mode)) {
		if (!sc->w && (rc = store_writer_new(sc->store, &sc->w, err)))
			return -1;
		sc->hashed++;
		return store_put_tree(sc->w, path, out, err) ? -1 : 0;
	}
	if (!S_ISREG(st.st_mode))
		return err_set(err, "'%s' is not a file or folder", path);
	memset(&now, 0, sizeof(now));
	now.dev = (uint64_t)st.st_dev;
	now.ino = (uint64_t)st.st_ino;
	now.size = (uint64_t)st.st_size;
	now.mtime_ns = ns(&st.st_mtim);
	now.ctime_ns = ns(&st.st_ctim);
	if (store_statcache_get(sc->store, path, &e) == 0 && e.dev == now.dev &&
	    e.ino == now.ino && e.size == now.size &&
	    e.mtime_ns == now.mtime_ns && e.ctime_ns == now.ctime_ns &&
	    e.recorded_ns - e.mtime_ns >= SCAN_RACY_NS &&
	    e.recorded_ns - e.ctime_ns >= SCAN_RACY_NS) {
		*out = e.id;
		sc->cached++;
		return 0;
	}
	now.recorded_ns = now_ns();
	if (hash_file(path, out, err) < 0)
		return -1;
	sc->hashed++;
	now.id = *out;
	if (strlen(path) > 400 || sc->nowrite)
		return 0;	/* too long for a key, or read-only: not cached */
	if (!sc->w && store_writer_new(sc->store, &sc->w, err)) {
		sc->nowrite = 1;	/* opened read-only (explain, log) */
		return 0;
	}
	return store_statcache_put(sc->w, path, &now, err) ? -1 : 0;
}
