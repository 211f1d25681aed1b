/*
 * statmany.h: stat many paths at once.  A large graph's no-op run is
 * mostly stat calls on its inputs and outputs; spread over a few threads
 * they take a fraction of the time on a multi-core machine.
 */
#ifndef CAIRN_STATMANY_H
#define CAIRN_STATMANY_H

#include <stddef.h>

struct stat;

struct stat_req {
	const char *path;	/* relative to dirfd, or absolute */
	int nofollow;		/* lstat rather than stat */
	struct stat *st;	/* filled on success */
	int err;		/* 0, or the errno of the failure */
};

/* fstatat(dirfd, ...) every request; on threads when there are many. */
void stat_many(int dirfd, struct stat_req *r, size_t n);

#endif
