#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* mkdir p, making its parents first if they are missing; 0 or errno. */
static int mkdir_up(char *p)
{
	char *slash;
	int rc;

	if (mkdir(p, 0777) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || !(slash = strrchr(p, '/')) || slash == p)
		return errno;
	*slash = '\0';
	rc = mkdir_up(p);
	*slash = '/';
	if (rc)
		return rc;
	return mkdir(p, 0777) == 0 || errno == EEXIST ? 0 : errno;
}

int mkdir_p(const char *path, int parents_only)
{
	char *p = xstrdup(path), *slash;
	int rc = 0;

	/* The deepest folder first: it usually exists (one system call). */
	if (parents_only) {
		slash = strrchr(p, '/');
		if (slash && slash != p)
			*slash = '\0';
		else
			*p = '\0';
	}
	if (*p)
		rc = mkdir_up(p);
	free(p);
	return rc;
}

static _Noreturn void oom(size_t n)
{
	fprintf(stderr, "cairn: fatal: out of memory (allocating %zu bytes)\n", n);
	abort();
}

#define HUGE_PAGE ((size_t)2 << 20)

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xmalloc_huge(size_t n)
{
	void *p = NULL;

	n = (n + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	if (!n)
		n = HUGE_PAGE;
	if (posix_memalign(&p, HUGE_PAGE, n) || !p)
		oom(n);
	madvise(p, n, MADV_HUGEPAGE);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void xgrow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need) {
		if (n > ((size_t)-1) / 2 / elem)
			oom((size_t)-1);
		n *= 2;
	}
	*p = xrealloc(*p, n * elem);
	*cap = n;
}

void bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cairn: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static int remove_one(const char *p, const struct stat *st, int type,
		      struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(p);
}

void remove_tree(const char *path)
{
	/* Depth first, links removed, never followed (FTW_PHYS). */
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
