/*
 * Outputs stay beneath the workspace at the moment they are touched.
 * graph_check resolved every output when the graph was loaded, but a stage
 * that ran since may have made a symlink where an output's folder was
 * ("lnk -> /outside"): clearing "lnk/x.txt" would then delete a file
 * outside, and a restore would write through the link.  So each time
 * cairn is about to remove, write or store an output, the folders on its
 * path are walked again one at a time, without following links (O_NOFOLLOW),
 * and a link is taken only when it resolves inside the workspace.  See
 * beneath.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "buf.h"
#include "err.h"
#include "util.h"

/* Is real (absolute, resolved) ws itself or inside it? */
static int inside(const char *ws, const char *real)
{
	size_t n = strlen(ws);

	return !strncmp(real, ws, n) && (real[n] == '/' || !real[n]);
}

int beneath_folders(const char *ws, const char *rel, const char *inst,
		    struct err *err)
{
	struct buf p = BUF_INIT;
	const char *c = rel, *slash;
	char real[PATH_MAX];
	int fd, rc = 0;

	fd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "cannot open the workspace '%s'", ws);
	while ((slash = strchr(c, '/'))) {
		int next;

		buf_add(&p, c, (size_t)(slash - c));
		next = openat(fd, p.data + (p.len - (size_t)(slash - c)),
			      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			struct stat st;
			struct buf full = BUF_INIT;

			buf_addf(&full, "%s/%s", ws, p.data);
			if (fstatat(fd, p.data + (p.len - (size_t)(slash - c)),
				    &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode)) {
				/* A link: followed only when it stays in. */
				if (!realpath(full.data, real) ||
				    !inside(ws, real)) {
					char target[PATH_MAX];
					ssize_t n = readlink(full.data, target,
							     sizeof(target) - 1);
					target[n > 0 ? n : 0] = '\0';
					rc = err_set(err,
						     "output '%s' of '%s' "
						     "leaves the workspace "
						     "through a symlink ('%s' "
						     "is a link to '%s')",
						     rel, inst, p.data,
						     target);
					buf_release(&full);
					break;
				}
				next = open(real, O_PATH | O_DIRECTORY |
							  O_CLOEXEC);
			}
			buf_release(&full);
		}
		if (next < 0)
			break;	/* missing (made as a folder later) or a
				   file in the way (that fails later) */
		close(fd);
		fd = next;
		buf_addc(&p, '/');
		c = slash + 1;
	}
	close(fd);
	buf_release(&p);
	return rc;
}

int beneath_output(const char *ws, const char *rel, const char *inst,
		   struct stat *st, struct err *err)
{
	struct buf full = BUF_INIT;
	char real[PATH_MAX];
	int rc = 0;

	if (beneath_folders(ws, rel, inst, err) < 0)
		return -1;
	buf_addf(&full, "%s/%s", ws, rel);
	if (lstat(full.data, st) < 0) {
		rc = err_errno(err, "cannot read output '%s' of '%s'", rel,
			       inst);
		goto out;
	}
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(full.data, target, sizeof(target) - 1);

		target[n > 0 ? n : 0] = '\0';
		if (!realpath(full.data, real) || !inside(ws, real)) {
			rc = err_set(err, "output '%s' of '%s' is a symlink "
					  "to '%s', outside the workspace",
				     rel, inst, target);
			goto out;
		}
		if (stat(real, st) < 0) {
			rc = err_errno(err, "cannot read output '%s' of '%s'",
				       rel, inst);
			goto out;
		}
	}
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		rc = err_set(err, "output '%s' of '%s' is %s; an output must "
				  "be a file or a folder",
			     rel, inst, beneath_type_name(st->st_mode));
out:
	buf_release(&full);
	return rc;
}

const char *beneath_type_name(unsigned mode)
{
	return S_ISFIFO(mode)  ? "a FIFO"
	       : S_ISSOCK(mode) ? "a socket"
	       : S_ISCHR(mode)	? "a character device"
	       : S_ISBLK(mode)	? "a block device"
	       : S_ISLNK(mode)	? "a symlink"
	       : S_ISDIR(mode)	? "a folder"
				: "a file";
}
