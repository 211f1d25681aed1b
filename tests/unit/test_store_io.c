/*
 * The store's promises about the disk (docs/store-format.md): the LMDB
 * environment is opened with every sync on (a commit that returned is on
 * the disk), and every read checks the bytes against their id, so a
 * damaged value is never handed out, whether it is a small blob stored
 * inline or a chunk of a large one.  Fast: damage is made by flipping one
 * byte of a marker in the data file.
 */
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "store.h"
#include "store_internal.h"
#include "util.h"

static char dir[] = "/tmp/cairn-test-store-io-XXXXXX";

/* Flip the first byte of marker in file path; 0 when found. */
static int flip(const char *path, const char *marker)
{
	struct stat st;
	size_t n = strlen(marker), i;
	unsigned char *b;
	int fd = open(path, O_RDWR), rc = -1;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	b = xmalloc((size_t)st.st_size + 1);
	if (read(fd, b, (size_t)st.st_size) == st.st_size)
		for (i = 0; i + n <= (size_t)st.st_size; i++)
			if (!memcmp(b + i, marker, n)) {
				unsigned char x = b[i] ^ 0x20;
				rc = pwrite(fd, &x, 1, (off_t)i) == 1 ? 0 : -1;
				break;
			}
	free(b);
	close(fd);
	return rc;
}

static void test_sync_flags(const char *sp)
{
	struct store *s;
	struct err err;
	unsigned f = 0;

	CHECK(store_open(sp, STORE_CREATE, &s, &err) == 0);
	CHECK(mdb_env_get_flags(s->env, &f) == 0);
	/* Any of these trades durability for speed: a commit could be lost
	 * (or the store torn) on power loss. */
	CHECK((f & MDB_NOSYNC) == 0);
	CHECK((f & MDB_NOMETASYNC) == 0);
	CHECK((f & MDB_MAPASYNC) == 0);
	CHECK((f & MDB_WRITEMAP) == 0 || (f & MDB_MAPASYNC) == 0);
	store_close(s);
}

/* Store data (holding marker) as a blob, damage the marker's byte in the
 * data file, and read it back every way there is. */
static void damaged(const char *sp, const char *what, const void *data,
		    size_t n, const char *marker)
{
	struct store *s;
	struct store_writer *w;
	struct digest id;
	struct err err;
	struct buf file = BUF_INIT, dst = BUF_INIT;
	int fd, rc;
	struct stat st;

	CHECK(store_open(sp, STORE_CREATE, &s, &err) == 0);
	CHECK(store_writer_new(s, &w, &err) == 0);
	CHECK(store_put_bytes(w, data, n, &id, &err) == 0);
	CHECK(store_writer_commit(w, &err) == 0);
	store_close(s);
	buf_addf(&file, "%s/data.mdb", sp);
	CHECK(flip(file.data, marker) == 0);

	CHECK(store_open(sp, 0, &s, &err) == 0);
	/* cat: nothing of the damage reaches the output. */
	buf_addf(&dst, "%s/cat.out", dir);
	fd = open(dst.data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = store_cat(s, &id, fd, &err);
	close(fd);
	if (rc != STORE_CORRUPT)
		fprintf(stderr, "%s: cat gave %d\n", what, rc);
	CHECK_INT(rc, STORE_CORRUPT);
	CHECK(stat(dst.data, &st) == 0);
	if (st.st_size >= (off_t)n)
		fprintf(stderr, "%s: cat wrote all %lld bytes\n", what,
			(long long)st.st_size);
	CHECK(st.st_size < (off_t)n);
	/* materialise: the destination is not made at all. */
	buf_truncate(&dst, 0);
	buf_addf(&dst, "%s/restored", dir);
	rc = store_materialize(s, &id, dst.data, 0, &err);
	CHECK_INT(rc, STORE_CORRUPT);
	CHECK(access(dst.data, F_OK) != 0);
	store_close(s);
	buf_release(&file);
	buf_release(&dst);
}

int main(void)
{
	char sp[512], cmd[600];
	unsigned char *big;
	size_t n = 3 << 20, i;
	uint64_t x = 88172645463325252ULL;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sp, sizeof(sp), "%s/sync", dir);
	test_sync_flags(sp);

	/* A small blob, stored inline. */
	snprintf(sp, sizeof(sp), "%s/inline", dir);
	damaged(sp, "inline blob", "small blob CAIRN-IO-MARK-INLINE\n", 32,
		"CAIRN-IO-MARK-INLINE");
	/* A large one, chunked: the damaged chunk is in the middle. */
	big = xmalloc(n);
	for (i = 0; i < n; i++) {	/* xorshift: incompressible */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		big[i] = (unsigned char)x;
	}
	memcpy(big + n / 2, "CAIRN-IO-MARK-CHUNK", 19);
	snprintf(sp, sizeof(sp), "%s/chunked", dir);
	damaged(sp, "chunked blob", big, n, "CAIRN-IO-MARK-CHUNK");
	free(big);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return check_done("test_store_io");
}
