/*
 * digest.h: SHA-256 digests (OpenSSL libcrypto) and their hex spelling.
 * A blob's id is the plain SHA-256 of its bytes, so `sha256sum FILE` and
 * `openssl dgst -sha256 FILE` print the id cairn uses.
 */
#ifndef CAIRN_DIGEST_H
#define CAIRN_DIGEST_H

#include <stddef.h>

#define DIGEST_LEN 32
#define DIGEST_HEX 64

struct digest {
	unsigned char b[DIGEST_LEN];
};

struct sha256;	/* incremental state, opaque */

/* One-shot digest of data[0..n). */
void sha256(const void *data, size_t n, struct digest *out);

/* Incremental: new, update any number of times, final (frees it). */
struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, struct digest *out);

/* 64 lowercase hex digits and a NUL. */
void digest_hex(const struct digest *d, char out[DIGEST_HEX + 1]);
/* Parse exactly 64 hex digits (either case); 0 or -1. */
int digest_parse(const char *hex, struct digest *out);
int digest_eq(const struct digest *a, const struct digest *b);

#endif
