/*
 * orphans.h: the process groups of a run's stages, recorded while they
 * run (WORKSPACE/.cairn/running/PGID, one small file each), so that the
 * next run in the workspace can stop what a cairn killed with SIGKILL
 * left behind before it touches any output.  The record's format is in
 * docs/design.md (Executors).  Linux: liveness and start times come from
 * /proc.
 */
#ifndef CAIRN_ORPHANS_H
#define CAIRN_ORPHANS_H

#include <stddef.h>
#include <sys/types.h>

struct buf;
struct err;

/* The folder of workspace's records, appended to b. */
void orphans_dir(const char *workspace, struct buf *b);

/*
 * Record that process group pgid runs; its leader is process pgid, which
 * must not have been waited for yet.  dir/PGID is written through a
 * temporary file and renamed, so a record is whole or absent; dir is made
 * when missing.  0; -1 with err set when it cannot be written.  Without
 * /proc nothing is recorded and 0 is returned.
 */
int orphans_note(const char *dir, pid_t pgid, struct err *err);

/* Remove pgid's record (its leader has ended); nothing when absent. */
void orphans_forget(const char *dir, pid_t pgid);

/*
 * Stop the process groups recorded in dir that still live: SIGKILL to the
 * group, then wait (at most 10 s) until none of its processes runs, and
 * remove the record.  A group is the recorded one only on the same boot
 * and while its leader has the recorded start time, or, the leader gone,
 * while processes started after it are in the group (a live group keeps
 * its number from being reused); any other record is removed and nothing
 * is killed.  Records of a live run look the same: call this only while
 * holding the workspace lock.  *stopped: the groups killed.  0, or -1
 * with err set for the first record that cannot be read (it is left in
 * place; the others are still dealt with) or a group that would not end.
 */
int orphans_stop(const char *dir, size_t *stopped, struct err *err);

#endif
