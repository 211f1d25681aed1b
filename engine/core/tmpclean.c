/*
 * Removing the temporary files a killed cairn left: see tmpclean.h.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "tmpclean.h"
#include "util.h"

#define TMP_MARK ".cairn-tmp-"

void tmpclean_init(struct tmpclean *tc)
{
	idset_init(&tc->seen);
	tc->removed = 0;
}

void tmpclean_release(struct tmpclean *tc)
{
	idset_release(&tc->seen);
}

/* Is the process that named a temporary file NAME.cairn-tmp-PID... gone? */
static int owner_gone(const char *mark)
{
	char *end;
	long pid = strtol(mark + strlen(TMP_MARK), &end, 10);

	if (end == mark + strlen(TMP_MARK) || pid <= 0 ||
	    (*end && *end != '-'))
		return 0;	/* not named by cairn: left alone */
	if (pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

void tmpclean_beside(struct tmpclean *tc, const char *path)
{
	const char *slash = strrchr(path, '/');
	struct buf dir = BUF_INIT, p = BUF_INIT;
	struct digest d;
	struct dirent *e;
	DIR *dp;

	if (slash)
		buf_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
	else
		buf_adds(&dir, ".");
	sha256(dir.data, dir.len, &d);
	if (!idset_add(&tc->seen, &d) || !(dp = opendir(dir.data))) {
		buf_release(&dir);
		return;
	}
	while ((e = readdir(dp))) {
		const char *mark = strstr(e->d_name, TMP_MARK);
		if (!mark || mark == e->d_name || !owner_gone(mark))
			continue;
		buf_truncate(&p, 0);
		buf_addf(&p, "%s/%s", dir.data, e->d_name);
		remove_tree(p.data);
		tc->removed++;
	}
	closedir(dp);
	buf_release(&dir);
	buf_release(&p);
}
