/*
 * Records of running stage process groups, and stopping the ones a dead
 * run left (see orphans.h).  WORKSPACE/.cairn/running holds one line per
 * stage started:
 *
 *	1 PGID START BOOT
 *
 * the format's version, the group (its leader's pid), the leader's start
 * time (clock ticks after boot: /proc/PID/stat field 22) and the boot's id
 * (/proc/sys/kernel/random/boot_id).  A pid alone could name a stranger
 * by the next run; the start time and boot make it one process.  Lines
 * are appended and never taken out while the run lasts (a file per stage
 * would cost a file creation per stage start); the lines of stages that
 * have ended fail the start-time check or find no process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "orphans.h"
#include "util.h"

#define RECORD_VERSION 1
#define STOP_WAIT_NS (10 * 1000000000LL)
#define EMPTY_PAST (1LL << 20)

/* What /proc says of one process. */
struct proc {
	long pid, pgrp;
	char state;			/* 'Z': a zombie, ended */
	unsigned long long start;	/* ticks after boot */
};

struct record {
	long pgid;
	unsigned long long start;
	size_t line;		/* in the file, from 1 */
	int stopping;		/* was running: being killed */
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

/* The boot's id into b; "" without /proc. */
static void boot_id(char *b, size_t n)
{
	if (read_small("/proc/sys/kernel/random/boot_id", b, n) <= 0)
		b[0] = '\0';
	b[strcspn(b, "\n")] = '\0';
}

void orphans_path(const char *workspace, struct buf *b)
{
	buf_addf(b, "%s/.cairn/running", workspace);
}

void orphans_init(struct orphans *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->path = xstrdup(path);
	o->fd = -1;
	boot_id(o->boot, sizeof(o->boot));
}

static int open_append(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
}

int orphans_note(struct orphans *o, pid_t pgid, struct err *err)
{
	struct proc p;
	char line[128];
	int n;

	if (!o->boot[0] || proc_read((long)pgid, &p) < 0)
		return 0;	/* no /proc: nothing to check by later */
	if (o->fd < 0) {
		o->fd = open_append(o->path);
		if (o->fd < 0 && errno == ENOENT && mkdir_p(o->path, 1) == 0)
			o->fd = open_append(o->path);
		if (o->fd < 0)
			return err_errno(err, "cannot record the running stage "
					      "in '%s'",
					 o->path);
	}
	n = snprintf(line, sizeof(line), "%d %ld %llu %s\n", RECORD_VERSION,
		     (long)pgid, p.start, o->boot);
	errno = ENOSPC;	/* a short write sets none */
	if (write(o->fd, line, (size_t)n) != n)
		return err_errno(err, "cannot record the running stage in '%s'",
				 o->path);
	o->written += n;
	xgrow((void **)&o->run, &o->cap, o->nrun + 1, sizeof(*o->run));
	o->run[o->nrun++] = (long)pgid;
	return 0;
}

void orphans_ended(struct orphans *o, pid_t pgid)
{
	size_t i;

	for (i = 0; i < o->nrun; i++)
		if (o->run[i] == (long)pgid) {
			o->run[i] = o->run[--o->nrun];
			break;
		}
	if (!o->nrun && o->written > EMPTY_PAST && o->fd >= 0 &&
	    ftruncate(o->fd, 0) == 0)
		o->written = 0;
}

void orphans_release(struct orphans *o)
{
	if (o->fd >= 0) {
		close(o->fd);
		if (!o->nrun)
			unlink(o->path);
	}
	free(o->path);
	free(o->run);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

/* ---- stopping ---- */

/* Every process /proc lists, into *ps; their count. */
static size_t proc_all(struct proc **ps, size_t *cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		xgrow((void **)ps, cap, n + 1, sizeof(**ps));
		if (proc_read(pid, &(*ps)[n]) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int by_pid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int by_pgrp(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->pgrp > y->pgrp) - (x->pgrp < y->pgrp);
}

/* Records by group, then line: the last line of a group is its newest. */
static int by_group(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	if (x->pgid != y->pgid)
		return (x->pgid > y->pgid) - (x->pgid < y->pgid);
	return (x->line > y->line) - (x->line < y->line);
}

/* What runs now: by pid and by group. */
struct procs {
	struct proc *pid, *grp;
	size_t n, cap, gcap;
};

static void procs_scan(struct procs *ps)
{
	ps->n = proc_all(&ps->pid, &ps->cap);
	xgrow((void **)&ps->grp, &ps->gcap, ps->n + 1, sizeof(*ps->grp));
	if (!ps->n)
		return;
	qsort(ps->pid, ps->n, sizeof(*ps->pid), by_pid);
	memcpy(ps->grp, ps->pid, ps->n * sizeof(*ps->grp));
	qsort(ps->grp, ps->n, sizeof(*ps->grp), by_pgrp);
}

/* The leader of r with its recorded start time, running: 1; with
 * another start time (the number reused: r's group has ended): -1; none,
 * or a zombie: 0. */
static int leader(const struct procs *ps, const struct record *r)
{
	struct proc key, *p;

	if (!ps->n)
		return 0;
	key.pid = r->pgid;
	p = bsearch(&key, ps->pid, ps->n, sizeof(*ps->pid), by_pid);
	if (!p)
		return 0;
	if (p->start != r->start)
		return -1;
	return p->state != 'Z';
}

/* Whether r's group still has a process running. */
static int group_runs(const struct procs *ps, const struct record *r)
{
	struct proc key, *p;
	int l = leader(ps, r);
	size_t i;

	if (l)
		return l > 0;
	key.pgrp = r->pgid;
	p = bsearch(&key, ps->grp, ps->n, sizeof(*ps->grp), by_pgrp);
	if (!p)
		return 0;
	while (p > ps->grp && p[-1].pgrp == r->pgid)
		p--;
	for (i = (size_t)(p - ps->grp); i < ps->n && ps->grp[i].pgrp == r->pgid;
	     i++)
		if (ps->grp[i].state != 'Z' && ps->grp[i].start >= r->start)
			return 1;
	return 0;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Parse text's lines into *rs (this boot's only); their count.  The first
 * line that is not a record: *bad (from 1), else 0.  A last line without
 * its newline was being written when cairn died: passed over.
 */
static size_t parse_records(char *text, const char *boot, struct record **rs,
			    size_t *bad)
{
	size_t n = 0, cap = 0, line = 0;
	char *s = text, *nl, *end;

	*bad = 0;
	*rs = NULL;
	for (; (nl = strchr(s, '\n')); s = nl + 1) {
		struct record r;
		long v;

		*nl = '\0';
		line++;
		memset(&r, 0, sizeof(r));
		r.line = line;
		v = strtol(s, &end, 10);
		if (v == RECORD_VERSION && *end == ' ') {
			s = end + 1;
			r.pgid = strtol(s, &end, 10);
			if (end != s && *end == ' ' && r.pgid > 1) {
				s = end + 1;
				r.start = strtoull(s, &end, 10);
				if (end != s && *end == ' ' && end[1] &&
				    !strchr(end + 1, ' ')) {
					if (!strcmp(end + 1, boot)) {
						xgrow((void **)rs, &cap, n + 1,
						      sizeof(**rs));
						(*rs)[n++] = r;
					}
					continue;
				}
			}
		}
		if (!*bad)
			*bad = line;
	}
	return n;
}

int orphans_stop(const char *path, size_t *stopped, struct err *err)
{
	struct buf text = BUF_INIT;
	struct procs ps = { NULL, NULL, 0, 0, 0 };
	struct record *rs = NULL;
	char boot[40];
	size_t n, i, k, bad, left;
	int64_t until;
	int rc = 0;

	*stopped = 0;
	if (buf_read_file(&text, path) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_errno(err, "cannot read '%s'", path);
	}
	boot_id(boot, sizeof(boot));
	n = parse_records(text.data, boot, &rs, &bad);
	/* One record a group: its newest (an older one's group ended
	 * before the number could be reused). */
	if (n)
		qsort(rs, n, sizeof(*rs), by_group);
	for (i = k = 0; i < n; i++)
		if (i + 1 == n || rs[i + 1].pgid != rs[i].pgid)
			rs[k++] = rs[i];
	n = k;
	until = mono_ns() + STOP_WAIT_NS;
	for (;;) {
		procs_scan(&ps);
		for (i = left = 0; i < n; i++) {
			if (!group_runs(&ps, &rs[i]))
				continue;
			if (!rs[i].stopping) {
				rs[i].stopping = 1;
				(*stopped)++;
			}
			left++;
			if (kill(-(pid_t)rs[i].pgid, SIGKILL) < 0 &&
			    errno != ESRCH) {
				rc = err_errno(err, "%s:%zu: cannot stop process "
						    "group %ld of an earlier run",
					       path, rs[i].line, rs[i].pgid);
				goto out;
			}
			/* The leader too, should it have left the group. */
			if (leader(&ps, &rs[i]) > 0)
				kill((pid_t)rs[i].pgid, SIGKILL);
		}
		if (!left)
			break;
		if (mono_ns() > until) {
			for (i = 0; !group_runs(&ps, &rs[i]); i++)
				;
			rc = err_set(err, "%s:%zu: cannot stop process group "
					  "%ld of an earlier run: it did not "
					  "end within 10 s of SIGKILL",
				     path, rs[i].line, rs[i].pgid);
			goto out;
		}
		{
			struct timespec nap = { 0, 20 * 1000000L };
			nanosleep(&nap, NULL);
		}
	}
	if (bad)
		rc = err_set(err, "%s:%zu: not a record of a running stage",
			     path, bad);
	else if (unlink(path) < 0 && errno != ENOENT)
		rc = err_errno(err, "cannot remove '%s'", path);
out:
	free(rs);
	free(ps.pid);
	free(ps.grp);
	buf_release(&text);
	return rc;
}
