/*
 * tmpclean.h: what a killed cairn left half-written.  Restores and the lock
 * file are written beside their destination as NAME.cairn-tmp-PID-... and
 * renamed into place; a cairn killed in between leaves the temporary file
 * (a restored model: hundreds of megabytes).  The next run removes those of
 * each folder it is about to write in, once per folder (tmpclean.c).
 */
#ifndef CAIRN_TMPCLEAN_H
#define CAIRN_TMPCLEAN_H

#include "idset.h"

struct tmpclean {
	struct idset seen;	/* folders already cleaned (their digests) */
	size_t removed;		/* temporary files removed */
};

void tmpclean_init(struct tmpclean *tc);
void tmpclean_release(struct tmpclean *tc);

/*
 * Remove the temporary files in path's folder whose process is gone (never
 * those of a cairn still running).  The first call for a folder reads it;
 * later calls for the same folder cost a digest.
 */
void tmpclean_beside(struct tmpclean *tc, const char *path);

#endif
