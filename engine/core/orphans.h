/*
 * orphans.h: the process groups of a run's stages, recorded while they
 * run (one line each, appended to WORKSPACE/.cairn/running), so that the
 * next run in the workspace can stop what a cairn killed with SIGKILL
 * left behind before it touches any output.  The format is in
 * docs/design.md ("Stage processes").  Linux: liveness and start times
 * come from /proc.
 */
#ifndef CAIRN_ORPHANS_H
#define CAIRN_ORPHANS_H

#include <stddef.h>
#include <sys/types.h>

struct buf;
struct err;

/* The record file of workspace, appended to b. */
void orphans_path(const char *workspace, struct buf *b);

/* A run's record file, open for appending; the groups it knows run. */
struct orphans {
	char *path;
	int fd;			/* -1 until the first record */
	char boot[40];		/* "" without /proc: nothing recorded */
	long *run;		/* pgids recorded and not yet ended */
	size_t nrun, cap;
	long long written;	/* bytes appended since the file was empty */
};

/* Set o up for the record file at path; nothing is opened yet. */
void orphans_init(struct orphans *o, const char *path);

/*
 * Record that process group pgid runs; its leader is process pgid, which
 * must not have been waited for yet.  One line appended with one write
 * (a killed cairn leaves whole lines, or a torn last one that is
 * ignored).  0; -1 with err set when it cannot be written.
 */
int orphans_note(struct orphans *o, pid_t pgid, struct err *err);

/* pgid's leader has ended (nothing when pgid was not recorded).  With
 * nothing left running, a file grown past 1 MiB is emptied. */
void orphans_ended(struct orphans *o, pid_t pgid);

/* Close the file; it is removed when nothing recorded still runs, and
 * kept, for the next run, when something does.  o is released. */
void orphans_release(struct orphans *o);

/*
 * Stop the process groups recorded at path that still live: SIGKILL to
 * the group, then wait (at most 10 s) until none of its processes runs;
 * then remove the file.  A group is the recorded one only on the same
 * boot and while its leader has the recorded start time, or, the leader
 * gone, while processes that started no earlier are in the group (a live
 * group keeps its number from being reused); any other record is passed
 * over.  Records of a live run look the same: call this only while
 * holding the workspace lock.  *stopped: the groups killed.  0, or -1
 * with err set for the first line that is not a record (the file is left
 * as it is; the other lines are still dealt with) or a group that would
 * not end.
 */
int orphans_stop(const char *path, size_t *stopped, struct err *err);

#endif
