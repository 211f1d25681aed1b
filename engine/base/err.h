/*
 * err.h: how library code reports a failure.  A function that can fail
 * takes a struct err *, fills it with one complete message and returns -1;
 * only the command-line layer prints it ("cairn: error: " + msg) and exits.
 *
 * Messages follow one style: lowercase, no full stop, subject in single
 * quotes ("cannot open 'x.toml': No such file or directory").  A message
 * located in a source file reads "file:line:col: message", followed by the
 * offending line and a caret under the column.
 */
#ifndef CAIRN_ERR_H
#define CAIRN_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define ERR_MAX 4096

struct err {
	char msg[ERR_MAX];	/* complete message, may span lines */
};

/* Set the message; return -1 so that callers can "return err_set(...)". */
int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int err_vset(struct err *e, const char *fmt, va_list ap);

/* Like err_set, with ": " and strerror(errno) appended. */
int err_errno(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A message at line:col (1-based; col counts characters, not bytes) of
 * file, whose text is src[0..len).  The source line is quoted under the
 * message with a caret below col.  Control characters and invalid UTF-8 in
 * the quoted line are shown as '?'; a very long line is cut around col.
 */
int err_at(struct err *e, const char *file, const char *src, size_t len,
	   int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
int err_vat(struct err *e, const char *file, const char *src, size_t len,
	    int line, int col, const char *fmt, va_list ap);

#endif
