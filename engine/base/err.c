#include <errno.h>

#include "buf.h"
#include "err.h"
#include "utf8.h"
#include "util.h"

/* Source lines longer than this are shown as a window around the caret. */
enum { SHOW_MAX = 120 };

static void put(struct err *e, struct buf *b)
{
	size_t n = b->len < ERR_MAX - 1 ? b->len : ERR_MAX - 1;

	memcpy(e->msg, b->data, n);
	e->msg[n] = '\0';
	buf_release(b);
}

int err_vset(struct err *e, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	return -1;
}

int err_errno(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(saved));
	return -1;
}

/* Find the start and end of 1-based line number line in src. */
static int find_line(const char *src, size_t len, int line, size_t *start,
		     size_t *end)
{
	size_t i = 0;
	int l = 1;

	while (l < line) {
		const char *nl = memchr(src + i, '\n', len - i);

		if (!nl)
			return -1;
		i = (size_t)(nl - src) + 1;
		l++;
	}
	*start = i;
	while (i < len && src[i] != '\n')
		i++;
	if (i > *start && src[i - 1] == '\r')
		i--;
	*end = i;
	return 0;
}

/*
 * Append the characters of src[from..to) to text, one display cell each,
 * and the matching blank cells to pad (tabs copied so the caret lines up).
 * Return the number of characters consumed.
 */
static void show(struct buf *text, struct buf *pad, const char *s, size_t n,
		 int chars_before_caret)
{
	size_t i = 0;
	int chars = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k = utf8_valid_prefix_char(s + i, n - i);

		if (c == '\t') {
			buf_addc(text, '\t');
			k = 1;
		} else if (k == 0 || c < 0x20 || c == 0x7f) {
			buf_addc(text, '?');
			k = 1;
		} else {
			buf_add(text, s + i, k);
		}
		if (chars < chars_before_caret)
			buf_addc(pad, c == '\t' ? '\t' : ' ');
		chars++;
		i += k;
	}
}

int err_vat(struct err *e, const char *file, const char *src, size_t len,
	    int line, int col, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT, text = BUF_INIT, pad = BUF_INIT;
	size_t start, end, from, i;
	int c, skip, width;
	char num[16];

	buf_addf(&b, "%s:%d:%d: ", file, line, col);
	buf_vaddf(&b, fmt, ap);
	if (!src || find_line(src, len, line, &start, &end) < 0) {
		put(e, &b);
		return -1;
	}
	/* Show at most SHOW_MAX characters, starting early enough to hold col. */
	skip = col > SHOW_MAX / 2 ? col - SHOW_MAX / 2 : 0;
	from = start;
	for (c = 0; c < skip && from < end; c++) {
		size_t k = utf8_valid_prefix_char(src + from, end - from);
		from += k ? k : 1;
	}
	i = from;
	for (c = 0; c < SHOW_MAX && i < end; c++) {
		size_t k = utf8_valid_prefix_char(src + i, end - i);
		i += k ? k : 1;
	}
	if (skip)
		buf_adds(&text, "...");
	if (skip)
		buf_adds(&pad, "   ");
	show(&text, &pad, src + from, i - from, col - 1 - skip);
	if (i < end)
		buf_adds(&text, "...");
	width = snprintf(num, sizeof(num), "%d", line);
	buf_addf(&b, "\n %s | %s\n %*s | %s^", num, text.data, width, "",
		 pad.data);
	buf_release(&text);
	buf_release(&pad);
	put(e, &b);
	return -1;
}

int err_at(struct err *e, const char *file, const char *src, size_t len,
	   int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vat(e, file, src, len, line, col, fmt, ap);
	va_end(ap);
	return -1;
}
