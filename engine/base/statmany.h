/*
 * statmany.h: stat many paths at once.  A large graph's no-op run is
 * mostly stat calls on its inputs and outputs; spread over a few threads
 * they take a fraction of the time on a multi-core machine.
 */
#ifndef CAIRN_STATMANY_H
#define CAIRN_STATMANY_H

#include <stddef.h>
#include <stdint.h>

struct stat;

/* What cairn keeps of a stat: a third of struct stat's size, which counts
 * when a graph has 100,000 inputs and outputs. */
struct filestat {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	uint32_t mode;
};

void filestat_from(const struct stat *st, struct filestat *out);

struct stat_req {
	const char *path;	/* relative to dirfd, or absolute */
	int nofollow;		/* lstat rather than stat */
	struct filestat *st;	/* filled on success */
	int err;		/* 0, or the errno of the failure */
};

/* fstatat(dirfd, ...) every request; on threads when there are many. */
void stat_many(int dirfd, struct stat_req *r, size_t n);

#endif
