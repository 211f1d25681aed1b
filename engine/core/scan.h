/*
 * scan.h: content digests of the workspace's files, through the store's
 * stat cache.  A file whose device, inode, size, mtime and ctime match its
 * entry is not read again, unless the entry is racy: recorded less than
 * SCAN_RACY_NS after the file's mtime, when a later write in the same
 * timestamp tick could have left stat unchanged.  Then it is re-hashed.
 */
#ifndef CAIRN_SCAN_H
#define CAIRN_SCAN_H

#include <stdint.h>

#include "digest.h"

struct err;
struct filestat;
struct store;
struct store_writer;

#define SCAN_RACY_NS 1000000000LL

#define SCAN_DEFER (-2)

struct scan_put;

struct scan {
	struct store *store;
	struct store_writer *w;	/* for stat cache updates, opened lazily */
	uint64_t hashed, cached;	/* files read, files trusted */
	int nowrite;			/* a read-only store: cache nothing */
	/* A scan on another thread (scan_init_deferred) writes nothing:
	 * folders come back as SCAN_DEFER, stat cache updates are kept
	 * for scan_merge. */
	int deferred;
	struct scan_put *puts;
	size_t nputs;
};

void scan_init(struct scan *sc, struct store *s);
/* A scan for a worker thread, reading through s (a store_reader). */
void scan_init_deferred(struct scan *sc, struct store *s);
/* Write the stat cache updates kept by deferred scan from through into,
 * add up the counts, and release from; 0 or -1. */
int scan_merge(struct scan *into, struct scan *from, struct err *err);
/* Commit the stat cache updates; 0 or -1. */
int scan_finish(struct scan *sc, struct err *err);

/*
 * The digest of path (absolute): a regular file's blob id, or for a
 * folder the id of the tree it would be stored as (storing it; a deferred
 * scan returns SCAN_DEFER instead).  ENOENT
 * and other errno values come back as -1 with err set and *missing set
 * when the path does not exist.  pre, when not NULL, is what stat says of
 * path, taken by the caller a moment ago.
 */
int scan_path(struct scan *sc, const char *path, const struct filestat *pre,
	      struct digest *out, int *missing, struct err *err);
/* The same with hdf5 set: a file's id is its HDF5 content digest
 * (h5digest.h), or its bytes' when it is not HDF5 the digest covers. */
int scan_path_as(struct scan *sc, const char *path,
		 const struct filestat *pre, int hdf5, struct digest *out,
		 int *missing, struct err *err);
/* A file's id, uncached: with hdf5 as scan_path_as takes it. */
int scan_content_digest(const char *path, uint64_t size, int hdf5,
			struct digest *out, struct err *err);

/* The SHA-256 of the file at path (size: what stat said, to size the
 * read buffer), streamed; 0 or -1 with err. */
int scan_hash_file(const char *path, uint64_t size, struct digest *out,
		   struct err *err);

#endif
