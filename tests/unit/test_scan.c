/*
 * The stat cache (scan.c): a file whose stat matches its entry is trusted
 * only when the entry is not racy, that is, recorded at least SCAN_RACY_NS
 * after both the file's mtime and its ctime; otherwise it is read again.
 * Each field of the stat is compared.  Entries are written by hand, with a
 * digest the file does not have, so a trusted entry and a re-hash give
 * different answers.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "err.h"
#include "scan.h"
#include "store.h"
#include "util.h"

static char dir[] = "/tmp/cairn-test-scan-XXXXXX";

/* Put entry e for path into the cache of s. */
static void put(struct store *s, const char *path,
		const struct store_stat_entry *e)
{
	struct store_writer *w;
	struct err err;

	CHECK(store_writer_new(s, &w, &err) == 0);
	CHECK(store_statcache_put(w, path, e, &err) == 0);
	CHECK(store_writer_commit(w, &err) == 0);
}

/* The entry stat says path has, recorded at rec (ns), with a false id. */
static void entry_of(const char *path, struct store_stat_entry *e)
{
	struct stat st;

	CHECK(stat(path, &st) == 0);
	memset(e, 0, sizeof(*e));
	e->dev = (uint64_t)st.st_dev;
	e->ino = (uint64_t)st.st_ino;
	e->size = (uint64_t)st.st_size;
	e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL +
		      st.st_mtim.tv_nsec;
	e->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000LL +
		      st.st_ctim.tv_nsec;
	e->recorded_ns = (e->mtime_ns > e->ctime_ns ? e->mtime_ns
						     : e->ctime_ns) +
			 2 * SCAN_RACY_NS;
	memset(e->id.b, 0xab, DIGEST_LEN);	/* not the file's digest */
}

/* Set path's mtime to now + off seconds (its ctime becomes now). */
static void mtime_from_now(const char *path, long off)
{
	struct timespec t[2];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec += off;
	t[1] = t[0];
	CHECK(utimensat(AT_FDCWD, path, t, 0) == 0);
}

/* Scan path; 1 when the cached (false) id came back, 0 when it was
 * read again (the true digest). */
static int trusted(struct store *s, const char *path)
{
	struct scan sc;
	struct digest got, truth;
	struct err err;
	int missing;

	scan_init(&sc, s);
	CHECK(scan_path(&sc, path, NULL, &got, &missing, &err) == 0);
	CHECK(scan_finish(&sc, &err) == 0);
	CHECK(scan_hash_file(path, 0, &truth, &err) == 0);
	if (digest_eq(&got, &truth))
		return 0;
	CHECK(got.b[0] == 0xab);
	return 1;
}

int main(void)
{
	char path[512], sp[512];
	struct store *s;
	struct store_stat_entry e;
	struct err err;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sp, sizeof(sp), "%s/store", dir);
	snprintf(path, sizeof(path), "%s/in.txt", dir);
	f = fopen(path, "w");
	fputs("hello\n", f);
	fclose(f);
	if (store_open(sp, STORE_CREATE, &s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	/* Recorded well after both stamps: trusted, the file is not read. */
	entry_of(path, &e);
	put(s, path, &e);
	CHECK(trusted(s, path) == 1);
	/* Exactly SCAN_RACY_NS after the later stamp: trusted; one
	 * nanosecond less: racy (a write in the same tick could have left
	 * stat as it is), read again. */
	e.recorded_ns = (e.mtime_ns > e.ctime_ns ? e.mtime_ns : e.ctime_ns) +
			SCAN_RACY_NS;
	put(s, path, &e);
	CHECK(trusted(s, path) == 1);
	e.recorded_ns--;
	put(s, path, &e);
	CHECK(trusted(s, path) == 0);
	/* The ctime guard alone: an mtime a day old, the ctime now, the entry
	 * recorded half a window after the ctime. */
	mtime_from_now(path, -86400);
	entry_of(path, &e);
	e.recorded_ns = e.ctime_ns + SCAN_RACY_NS / 2;
	put(s, path, &e);
	CHECK(trusted(s, path) == 0);
	/* The mtime guard alone: an mtime in the future (a clock set back, a
	 * file from another machine), the entry recorded well after the
	 * ctime. */
	mtime_from_now(path, 3600);
	entry_of(path, &e);
	e.recorded_ns = e.ctime_ns + 2 * SCAN_RACY_NS;
	put(s, path, &e);
	CHECK(trusted(s, path) == 0);
	mtime_from_now(path, -86400);
	/* Each stat field is compared: a different size, mtime, ctime, inode
	 * or device means the file is read again. */
	{
		static const char *const what[] = { "size", "mtime", "ctime",
						     "inode", "device" };
		size_t k;

		for (k = 0; k < 5; k++) {
			entry_of(path, &e);
			switch (k) {
			case 0: e.size++; break;
			case 1: e.mtime_ns--; break;
			case 2: e.ctime_ns--; break;
			case 3: e.ino++; break;
			case 4: e.dev++; break;
			}
			put(s, path, &e);
			if (trusted(s, path) != 0) {
				fprintf(stderr, "an entry with another %s was "
						"trusted\n",
					what[k]);
				CHECK(0);
			}
		}
	}
	/* After a re-hash the entry holds the truth. */
	CHECK(store_statcache_get(s, path, &e) == 0);
	{
		struct digest truth;
		CHECK(scan_hash_file(path, 0, &truth, &err) == 0);
		CHECK(digest_eq(&e.id, &truth));
	}
	store_close(s);
	snprintf(sp, sizeof(sp), "rm -rf '%s'", dir);
	if (system(sp))
		return 1;
	return check_done("test_scan");
}
