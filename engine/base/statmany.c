#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statmany.h"

#define STAT_THREADS 4
#define STAT_MIN_PER_THREAD 512

struct part {
	int dirfd;
	struct stat_req *r;
	size_t n;
};

void filestat_from(const struct stat *st, struct filestat *out)
{
	out->dev = (uint64_t)st->st_dev;
	out->ino = (uint64_t)st->st_ino;
	out->size = (uint64_t)st->st_size;
	out->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL +
			st->st_mtim.tv_nsec;
	out->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000LL +
			st->st_ctim.tv_nsec;
	out->mode = (uint32_t)st->st_mode;
}

static void *stat_part(void *arg)
{
	struct part *p = arg;
	struct stat st;
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct stat_req *q = &p->r[i];
		q->err = fstatat(p->dirfd, q->path, &st,
				 q->nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0
				 ? errno
				 : 0;
		if (!q->err)
			filestat_from(&st, q->st);
	}
	return NULL;
}

void stat_many(int dirfd, struct stat_req *r, size_t n)
{
	struct part parts[STAT_THREADS];
	pthread_t t[STAT_THREADS];
	int started[STAT_THREADS] = { 0 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t k, nt = n / STAT_MIN_PER_THREAD, at = 0;

	if (cpus > 0 && nt > (size_t)cpus)
		nt = (size_t)cpus;
	if (nt > STAT_THREADS)
		nt = STAT_THREADS;
	if (nt < 1)
		nt = 1;
	for (k = 0; k < nt; k++) {
		size_t end = n * (k + 1) / nt;
		parts[k].dirfd = dirfd;
		parts[k].r = r + at;
		parts[k].n = end - at;
		at = end;
	}
	/* This thread takes the first part; a thread that cannot start
	 * leaves its part to this one too. */
	for (k = 1; k < nt; k++)
		started[k] = pthread_create(&t[k], NULL, stat_part,
					    &parts[k]) == 0;
	stat_part(&parts[0]);
	for (k = 1; k < nt; k++) {
		if (started[k])
			pthread_join(t[k], NULL);
		else
			stat_part(&parts[k]);
	}
}
