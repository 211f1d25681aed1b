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
struct stat;
struct store;
struct store_writer;

#define SCAN_RACY_NS 1000000000LL

struct scan {
	struct store *store;
	struct store_writer *w;	/* for stat cache updates, opened lazily */
	uint64_t hashed, cached;	/* files read, files trusted */
	int nowrite;			/* a read-only store: cache nothing */
};

void scan_init(struct scan *sc, struct store *s);
/* Commit the stat cache updates; 0 or -1. */
int scan_finish(struct scan *sc, struct err *err);

/*
 * The digest of path (absolute): a regular file's blob id, or for a
 * folder the id of the tree it would be stored as (storing it).  ENOENT
 * and other errno values come back as -1 with err set and *missing set
 * when the path does not exist.  pre, when not NULL, is what stat says of
 * path, taken by the caller a moment ago.
 */
int scan_path(struct scan *sc, const char *path, const struct stat *pre,
	      struct digest *out, int *missing, struct err *err);

#endif
