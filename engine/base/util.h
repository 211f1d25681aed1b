/*
 * util.h: allocation that cannot fail quietly, and small helpers every
 * module uses.  Running out of memory is the one condition that aborts from
 * library code: there is no sensible way to report it and carry on.
 */
#ifndef CAIRN_UTIL_H
#define CAIRN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocate or die with "cairn: fatal: out of memory".  Never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
/* n bytes aligned to 2 MiB and advised to be backed by huge pages (a
 * fault per 2 MiB instead of per 4 KiB for big buffers); free() it. */
void *xmalloc_huge(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *p (of *cap elements of size elem) so that it holds at least need. */
void xgrow(void **p, size_t *cap, size_t need, size_t elem);

/* The value of hex digit c (either case), or -1. */
int hex_value(char c);

/*
 * Create folder path and its missing parents (mkdir -p); with parents_only,
 * only the folders above the last '/'.  0, or an errno value.
 */
int mkdir_p(const char *path, int parents_only);

/* Remove path (rm -rf; a symlink is removed, never followed).  Nothing
 * when it is not there. */
void remove_tree(const char *path);

/* Report an impossible state with its source location and abort. */
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#include "banned.h"

#endif
