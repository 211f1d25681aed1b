/*
 * sign.h: Ed25519 signatures (RFC 8032) through OpenSSL's EVP, for the
 * remote cache's action records (action.h): a private key lives in a PEM
 * file (PKCS #8, owner-only), a public key is 32 raw bytes, spelt as 64
 * lowercase hex digits in config files and output.
 *
 * Calls that take a struct err * return 0, or -1 with a complete message
 * there.  Nothing here keeps state; a struct sign_key may be used by one
 * thread at a time.
 */
#ifndef CAIRN_SIGN_H
#define CAIRN_SIGN_H

#include <stddef.h>

#define SIGN_PUBLIC_LEN 32
#define SIGN_PUBLIC_HEX 64
#define SIGN_SIG_LEN 64

struct buf;
struct err;
struct sign_key;	/* a private key, opaque */

/*
 * Make a new key pair: the private key written to private_path as PEM,
 * mode 0600 (the folder must exist), whole or not at all (a temporary
 * file linked into place: a crash leaves no half key); the public key's
 * 64 hex digits appended to public_hex.  Never overwrites: a path that
 * exists (even a dangling link) is an error that names it.
 */
int sign_key_generate(const char *private_path, struct buf *public_hex,
		      struct err *err);

/*
 * Read the private key at path (a PEM Ed25519 private key, as
 * sign_key_generate writes it or `openssl genpkey -algorithm ed25519`).
 * A missing file, another kind of key, or anything unreadable is an error
 * naming path.  On success *out must be freed with sign_key_free.
 */
int sign_key_load(const char *path, struct sign_key **out, struct err *err);
void sign_key_free(struct sign_key *k);

/* The public half of k. */
void sign_key_public(const struct sign_key *k,
		     unsigned char pub[SIGN_PUBLIC_LEN]);

/* The signature of msg[0..n) by k (deterministic: the same bytes give the
 * same signature). */
int sign_data(const struct sign_key *k, const void *msg, size_t n,
	      unsigned char sig[SIGN_SIG_LEN], struct err *err);

/*
 * 1 when sig is pub's signature of msg[0..n), else 0 (a wrong key, a
 * changed byte, a malformed key or signature: never an error, a
 * signature that fails is simply not good).
 */
int sign_verify(const unsigned char pub[SIGN_PUBLIC_LEN], const void *msg,
		size_t n, const unsigned char sig[SIGN_SIG_LEN]);

/* Parse exactly 64 hex digits (either case) into pub; 0, or -1. */
int sign_parse_public(const char *hex, unsigned char pub[SIGN_PUBLIC_LEN]);
/* 64 lowercase hex digits and a NUL. */
void sign_public_hex(const unsigned char pub[SIGN_PUBLIC_LEN],
		     char out[SIGN_PUBLIC_HEX + 1]);

#endif
