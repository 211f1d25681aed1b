/*
 * beneath.h: an output path is checked again at the moment of use, so a
 * symlink a stage made since the graph was loaded cannot lead a removal,
 * a restore or a store of an output outside the workspace (beneath.c).
 */
#ifndef CAIRN_BENEATH_H
#define CAIRN_BENEATH_H

struct err;
struct stat;

/*
 * The folders on the way to rel (workspace-relative, normalised) inside
 * ws (absolute, resolved): each one is a real folder or a symlink that
 * resolves inside ws.  Folders not there yet are fine (they are made as
 * real folders).  0, or -1 with "output 'rel' of 'INST' leaves the
 * workspace through a symlink ('lnk' is a link to '/outside')" in err.
 */
int beneath_folders(const char *ws, const char *rel, const char *inst,
		    struct err *err);

/*
 * beneath_folders, then rel itself: it must exist and be a file or a
 * folder, or a symlink to one inside ws (never a FIFO, socket or device,
 * which are refused without being opened).  *st is what it is (the
 * target's for a link).  0, or -1 with the reason in err.
 */
int beneath_output(const char *ws, const char *rel, const char *inst,
		   struct stat *st, struct err *err);

/* "a FIFO", "a socket", ... for a stat mode. */
const char *beneath_type_name(unsigned mode);

#endif
