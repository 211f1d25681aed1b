/*
 * buf.h: a growable byte buffer, always NUL-terminated (git's strbuf).
 */
#ifndef CAIRN_BUF_H
#define CAIRN_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;	/* NUL-terminated; "" (static) until the first append */
	size_t len;	/* bytes in use, not counting the NUL */
	size_t cap;	/* bytes allocated; 0 while data is the static "" */
};

#define BUF_INIT { buf_empty, 0, 0 }
extern char buf_empty[];

void buf_init(struct buf *b);
/* Free the contents; the buffer is left initialised and empty. */
void buf_release(struct buf *b);
/* Ensure room for n more bytes (plus the NUL). */
void buf_reserve(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
/* v's low n bytes (n <= 8), least significant first: a little-endian
 * field of a binary format. */
void buf_add_le(struct buf *b, uint64_t v, size_t n);
/* The little-endian field of n bytes (n <= 8) at p. */
uint64_t le_get(const unsigned char *p, size_t n);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Drop everything past len bytes. */
void buf_truncate(struct buf *b, size_t len);
/* Take ownership of the bytes (caller frees); the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *len);
/* Append the whole file at path; 0, or -1 with errno set. */
int buf_read_file(struct buf *b, const char *path);

#endif
