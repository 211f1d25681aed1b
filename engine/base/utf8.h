/*
 * utf8.h: strict UTF-8 (RFC 3629): no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
#ifndef CAIRN_UTF8_H
#define CAIRN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 character at s (at most n bytes available), or
 * 0 when the bytes there are not one.
 */
size_t utf8_valid_prefix_char(const char *s, size_t n);

/*
 * Check s[0..n).  Return n when it is all valid, else the offset of the
 * first byte of the first invalid sequence.
 */
size_t utf8_validate(const char *s, size_t n);

/* Write code point cp (a Unicode scalar value) to out; return its length. */
size_t utf8_encode(uint32_t cp, char out[4]);

/* Number of characters in valid UTF-8 s[0..n) (bytes that start one). */
size_t utf8_count(const char *s, size_t n);

#endif
