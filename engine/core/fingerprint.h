/*
 * fingerprint.h: what a run ran on, recorded with each stage's run (the
 * "env" of a run record, docs/store-format.md): cairn's version and build,
 * the host, the CUDA devices, and the workspace's git commit.
 */
#ifndef CAIRN_FINGERPRINT_H
#define CAIRN_FINGERPRINT_H

struct buf;

/*
 * Append the fingerprint, a JSON object, to out.  workspace is the
 * graph's workspace, asked for its git commit (git run through popen; no
 * git or no repository: no "git_commit").  Takes milliseconds: asks the
 * CUDA driver and runs git.
 */
void fingerprint_json(struct buf *out, const char *workspace);

#endif
