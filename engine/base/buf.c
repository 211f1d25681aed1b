#include <errno.h>
#include <stdio.h>

#include "buf.h"
#include "util.h"

char buf_empty[1];

void buf_init(struct buf *b)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->data);
	buf_init(b);
}

void buf_reserve(struct buf *b, size_t n)
{
	size_t need = b->len + n + 1, cap = b->cap;
	char *old = b->data;

	if (need <= cap)
		return;
	if (!cap) {
		b->data = NULL;
		cap = need < 64 ? 64 : need;
		b->data = xmalloc(cap);
		memcpy(b->data, old, b->len + 1);
		b->cap = cap;
		return;
	}
	xgrow((void **)&b->data, &b->cap, need, 1);
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (!n)
		return;
	buf_reserve(b, n);
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_addc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_add_le(struct buf *b, uint64_t v, size_t n)
{
	unsigned char x[8];
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	buf_add(b, x, n);
}

uint64_t le_get(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("vsnprintf failed for format '%s'", fmt);
	if (b->cap && (size_t)n < b->cap - b->len) {
		b->len += (size_t)n;
		return;
	}
	buf_reserve(b, (size_t)n);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (!b->cap)
		buf_reserve(b, 0);
	p = b->data;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

int buf_read_file(struct buf *b, const char *path)
{
	FILE *f = fopen(path, "rbe");
	size_t n;
	int e;

	if (!f)
		return -1;
	do {
		buf_reserve(b, 65536);
		n = fread(b->data + b->len, 1, b->cap - b->len - 1, f);
		b->len += n;
		b->data[b->len] = '\0';
	} while (n > 0);
	e = ferror(f) ? EIO : 0;
	fclose(f);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}
