/*
 * Records of running stage process groups, and stopping the ones a dead
 * run left (see orphans.h).  A record is one line:
 *
 *	1 PGID START BOOT
 *
 * the format's version, the group (its leader's pid), the leader's start
 * time (clock ticks after boot: /proc/PID/stat field 22) and the boot's id
 * (/proc/sys/kernel/random/boot_id).  A pid alone could name a stranger
 * by the next run; the start time and boot make it one process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "orphans.h"
#include "util.h"

#define RECORD_VERSION 1
#define STOP_WAIT_NS (10 * 1000000000LL)

struct record {
	long pgid;
	unsigned long long start;
	char boot[40];
};

/* What /proc says of one process. */
struct proc {
	long pid, pgrp;
	char state;			/* 'Z': a zombie, ended */
	unsigned long long start;	/* ticks after boot */
};

/* Read up to n - 1 bytes of path, NUL-terminated; their count or -1. */
static ssize_t read_small(const char *path, char *b, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -1;
	while ((got = read(fd, b, n - 1)) < 0 && errno == EINTR)
		;
	close(fd);
	if (got >= 0)
		b[got] = '\0';
	return got;
}

/* Parse /proc/PID/stat text: the comm may hold spaces and ')', so fields
 * are counted from the last ')'.  0, or -1 when it does not parse. */
static int parse_stat(const char *s, struct proc *p)
{
	const char *c = strrchr(s, ')');
	char *end;
	int field;

	p->pid = strtol(s, &end, 10);
	if (!c || end == s || c[1] != ' ' || !c[2])
		return -1;
	p->state = c[2];
	c += 3;
	for (field = 4; field <= 22; field++) {
		while (*c == ' ')
			c++;
		if (field == 5)
			p->pgrp = strtol(c, NULL, 10);
		if (field == 22) {
			p->start = strtoull(c, &end, 10);
			return end == c ? -1 : 0;
		}
		c = strchr(c, ' ');
		if (!c)
			return -1;
	}
	return -1;
}

static int proc_read(long pid, struct proc *p)
{
	char path[64], b[1024];

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (read_small(path, b, sizeof(b)) <= 0)
		return -1;
	return parse_stat(b, p);
}

/* The boot's id into b (37 bytes or more); 0, or -1. */
static int boot_id(char *b, size_t n)
{
	if (read_small("/proc/sys/kernel/random/boot_id", b, n) <= 0)
		return -1;
	b[strcspn(b, "\n")] = '\0';
	return 0;
}

void orphans_dir(const char *workspace, struct buf *b)
{
	buf_addf(b, "%s/.cairn/running", workspace);
}

static int open_tmp(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
}

int orphans_note(const char *dir, pid_t pgid, struct err *err)
{
	struct buf tmp = BUF_INIT, path = BUF_INIT, line = BUF_INIT;
	struct proc p;
	char boot[64];
	int fd, ok = 0, e, rc = 0;

	if (proc_read((long)pgid, &p) < 0 || boot_id(boot, sizeof(boot)) < 0)
		return 0;	/* no /proc: nothing to check by later */
	buf_addf(&path, "%s/%ld", dir, (long)pgid);
	buf_addf(&tmp, "%s.tmp", path.data);
	buf_addf(&line, "%d %ld %llu %s\n", RECORD_VERSION, (long)pgid,
		 p.start, boot);
	if ((fd = open_tmp(tmp.data)) < 0 && errno == ENOENT) {
		if ((e = mkdir_p(dir, 0)) != 0)
			errno = e;
		else
			fd = open_tmp(tmp.data);
	}
	e = errno;
	if (fd >= 0) {
		errno = ENOSPC;	/* a short write sets none */
		ok = write(fd, line.data, line.len) == (ssize_t)line.len;
		e = errno;
		if (close(fd) < 0 && ok) {
			ok = 0;
			e = errno;
		}
		if (ok && rename(tmp.data, path.data) < 0) {
			ok = 0;
			e = errno;
		}
		if (!ok)
			unlink(tmp.data);
	}
	if (!ok) {
		errno = e;
		rc = err_errno(err, "cannot record the running stage in '%s'",
			       path.data);
	}
	buf_release(&tmp);
	buf_release(&path);
	buf_release(&line);
	return rc;
}

void orphans_forget(const char *dir, pid_t pgid)
{
	struct buf path = BUF_INIT;

	buf_addf(&path, "%s/%ld", dir, (long)pgid);
	unlink(path.data);
	buf_release(&path);
}

/* Parse a record's text; 0, or -1 when it is not one. */
static int parse_record(const char *s, struct record *r)
{
	char *end;
	size_t n;

	if (strtol(s, &end, 10) != RECORD_VERSION || *end != ' ')
		return -1;
	s = end + 1;
	r->pgid = strtol(s, &end, 10);
	if (end == s || *end != ' ' || r->pgid < 2)
		return -1;
	s = end + 1;
	r->start = strtoull(s, &end, 10);
	if (end == s || *end != ' ')
		return -1;
	s = end + 1;
	n = strcspn(s, "\n");
	if (n == 0 || n >= sizeof(r->boot) || strcmp(s + n, "\n"))
		return -1;
	memcpy(r->boot, s, n);
	r->boot[n] = '\0';
	return 0;
}

/* Whether r's leader still runs: the same process (start time), no zombie. */
static int leader_runs(const struct record *r)
{
	struct proc p;

	return proc_read(r->pgid, &p) == 0 && p.start == r->start &&
	       p.state != 'Z';
}

/*
 * Whether r's group still has a process running: 1, else 0.  The group's
 * number now another process's pid means the group has ended (a live
 * group keeps its number); otherwise any process in it that started no
 * earlier than the leader counts, and the leader itself (it may have left
 * the group).
 */
static int group_runs(const struct record *r)
{
	struct proc p;
	DIR *d;
	struct dirent *de;
	int runs = 0;

	if (proc_read(r->pgid, &p) == 0) {
		if (p.start != r->start)
			return 0;
		if (p.state != 'Z')
			return 1;
	}
	if (!(d = opendir("/proc")))
		return 0;
	while (!runs && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || proc_read(pid, &p) < 0)
			continue;
		runs = p.pgrp == r->pgid && p.state != 'Z' &&
		       p.start >= r->start;
	}
	closedir(d);
	return runs;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* SIGKILL r's group (recorded in path) until none of it runs; 1 when it
 * was running, 0 when not, -1 with err set when it would not end. */
static int stop_group(const struct record *r, const char *path,
		      struct err *err)
{
	int64_t until = mono_ns() + STOP_WAIT_NS;
	struct timespec nap = { 0, 20 * 1000000L };
	int was = 0;

	while (group_runs(r)) {
		was = 1;
		if (kill(-(pid_t)r->pgid, SIGKILL) < 0 && errno != ESRCH)
			return err_errno(err, "cannot stop process group %ld "
					      "of an earlier run ('%s')",
					 r->pgid, path);
		if (leader_runs(r))
			kill((pid_t)r->pgid, SIGKILL);
		if (mono_ns() > until)
			return err_set(err, "cannot stop process group %ld of "
					    "an earlier run ('%s'): it did not "
					    "end within 10 s of SIGKILL",
				       r->pgid, path);
		nanosleep(&nap, NULL);
	}
	return was;
}

/* One entry of dir: stop its group if it runs and drop the record.  1
 * when a group was stopped, 0 when not, -1 with err set. */
static int stop_one(const char *dir, const char *name, const char *boot,
		    struct err *err)
{
	struct buf path = BUF_INIT;
	struct record r;
	char text[256], *end;
	size_t n = strlen(name);
	int tmp = n > 4 && !strcmp(name + n - 4, ".tmp"), rc = 0;
	long num = strtol(name, &end, 10);

	buf_addf(&path, "%s/%s", dir, name);
	if (read_small(path.data, text, sizeof(text)) < 0) {
		rc = errno == ENOENT ? 0
				     : err_errno(err, "cannot read '%s'",
						 path.data);
		goto out;
	}
	if (parse_record(text, &r) < 0 || r.pgid != num ||
	    (tmp ? strcmp(end, ".tmp") : *end != '\0')) {
		/* A temporary record is torn only when its writer died
		 * while writing it: its leader died with it. */
		if (tmp)
			unlink(path.data);
		else
			rc = err_set(err, "cannot read '%s': not a record of a "
					  "running stage",
				     path.data);
		goto out;
	}
	if (!strcmp(r.boot, boot) && (rc = stop_group(&r, path.data, err)) < 0)
		goto out;
	unlink(path.data);
out:
	buf_release(&path);
	return rc;
}

int orphans_stop(const char *dir, size_t *stopped, struct err *err)
{
	char boot[64] = "";
	struct err e1;
	DIR *d;
	struct dirent *de;
	int rc = 0, k;

	*stopped = 0;
	if (!(d = opendir(dir))) {
		if (errno == ENOENT)
			return 0;
		return err_errno(err, "cannot read '%s'", dir);
	}
	boot_id(boot, sizeof(boot));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		k = stop_one(dir, de->d_name, boot, &e1);
		if (k > 0)
			(*stopped)++;
		if (k < 0 && rc == 0) {
			*err = e1;
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}
