/*
 * run_remote.h: the remote cache of `cairn run --remote` and `cairn
 * status --remote`: run.h's struct run_cache over the remote layer (a
 * run pulls through sync.h; a dry run or status asks for the action
 * records over http.h and checks their signatures, storing nothing),
 * and after a run the push of its lock file's results.  docs/remote.md,
 * "Running against a remote", describes it.  Like the rest of the
 * command line, it prints; a remote that fails never changes a run's
 * exit status.
 */
#ifndef CAIRN_RUN_REMOTE_H
#define CAIRN_RUN_REMOTE_H

#include <stddef.h>

struct cli;
struct run_cache;
struct run_remote;
struct store;

/*
 * The remote called name (NULL: the default) in workspace's config, for
 * a run on store s.  0, or the exit code after saying why (no such
 * remote, a config error: EXIT_USAGE).  Opens no connection yet.
 */
int run_remote_open(struct cli *cli, const char *workspace, const char *name,
		    struct store *s, struct run_remote **out);
void run_remote_close(struct run_remote *rr);

/* The hook for run_opts.cache (valid until run_remote_close). */
const struct run_cache *run_remote_cache(struct run_remote *rr);
/* The remote's name. */
const char *run_remote_name(const struct run_remote *rr);

/*
 * After a run (not a dry run): push the runs of the lock file's entries
 * (the results the run left) when the remote takes writes (not
 * read_only, a sign_key, not found failing during the run); then, unless
 * quiet, the line saying what was pulled and sent.  A failure is a
 * warning naming the remote.
 */
void run_remote_push(struct run_remote *rr, const char *lock_path);

/*
 * After a dry run or status: action records not signed by a trusted key,
 * and with down_too, the remote failing (a status, whose run says
 * nothing, and so did not).
 */
void run_remote_warn(struct run_remote *rr, int down_too);

#endif
