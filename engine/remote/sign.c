/*
 * Ed25519 through OpenSSL's EVP: one-shot EVP_DigestSign/EVP_DigestVerify
 * with no digest (Ed25519 hashes the message itself, RFC 8032 "pure"
 * mode).  libcrypto's error queue is emptied after every failure, so an
 * error here never shows up in another caller's later ERR_get_error.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "sign.h"
#include "util.h"

struct sign_key {
	EVP_PKEY *pkey;
	unsigned char pub[SIGN_PUBLIC_LEN];
};

static int public_of(EVP_PKEY *pkey, unsigned char pub[SIGN_PUBLIC_LEN])
{
	size_t len = SIGN_PUBLIC_LEN;

	return EVP_PKEY_get_raw_public_key(pkey, pub, &len) == 1 &&
			       len == SIGN_PUBLIC_LEN
		       ? 0
		       : -1;
}

/* Never ask for a passphrase (OpenSSL's default asks on the terminal): a
 * key protected by one cannot be used unattended, so it is an error. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

int sign_key_generate(const char *private_path, struct buf *public_hex,
		      struct err *err)
{
	struct buf tmp = BUF_INIT;
	EVP_PKEY *pkey = NULL;
	unsigned char pub[SIGN_PUBLIC_LEN];
	char hex[SIGN_PUBLIC_HEX + 1];
	struct stat st;
	FILE *fp = NULL;
	int fd = -1, rc = -1, ok, saved;

	if (lstat(private_path, &st) == 0)
		return err_set(err, "'%s' already exists: a key is never "
				    "overwritten", private_path);
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey || public_of(pkey, pub) < 0) {
		err_set(err, "cannot make an Ed25519 key: libcrypto failed");
		goto out;
	}
	buf_addf(&tmp, "%s.tmpXXXXXX", private_path);
	if ((fd = mkstemp(tmp.data)) < 0) {
		err_errno(err, "cannot write key '%s'", private_path);
		buf_truncate(&tmp, 0);
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || !(fp = fdopen(fd, "w"))) {
		err_errno(err, "cannot write key '%s'", private_path);
		close(fd);
		goto out;
	}
	errno = 0;
	ok = PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
	     fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	saved = ok ? 0 : errno ? errno : EIO;
	if (fclose(fp) != 0 || !ok) {
		if (saved)
			errno = saved;
		err_errno(err, "cannot write key '%s'", private_path);
		goto out;
	}
	/* link, not rename: it fails on a name that appeared meanwhile. */
	if (link(tmp.data, private_path) < 0) {
		if (errno == EEXIST)
			err_set(err, "'%s' already exists: a key is never "
				     "overwritten", private_path);
		else
			err_errno(err, "cannot write key '%s'", private_path);
		goto out;
	}
	sign_public_hex(pub, hex);
	buf_adds(public_hex, hex);
	rc = 0;
out:
	if (tmp.len)
		unlink(tmp.data);
	buf_release(&tmp);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

int sign_key_load(const char *path, struct sign_key **out, struct err *err)
{
	EVP_PKEY *pkey;
	FILE *fp;

	*out = NULL;
	if (!(fp = fopen(path, "re")))
		return err_errno(err, "cannot read key '%s'", path);
	pkey = PEM_read_PrivateKey(fp, NULL, no_passphrase, NULL);
	fclose(fp);
	ERR_clear_error();
	if (!pkey)
		return err_set(err, "cannot read key '%s': not a PEM private "
				    "key (or one with a passphrase)", path);
	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		err_set(err, "key '%s' is %s, not Ed25519 ('cairn key "
			     "generate' makes one)", path,
			EVP_PKEY_get0_type_name(pkey)
				? EVP_PKEY_get0_type_name(pkey)
				: "another kind");
		EVP_PKEY_free(pkey);
		return -1;
	}
	*out = xmalloc(sizeof(**out));
	(*out)->pkey = pkey;
	if (public_of(pkey, (*out)->pub) < 0) {
		sign_key_free(*out);
		*out = NULL;
		ERR_clear_error();
		return err_set(err, "cannot read key '%s': no public key in it",
			       path);
	}
	return 0;
}

void sign_key_free(struct sign_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

void sign_key_public(const struct sign_key *k,
		     unsigned char pub[SIGN_PUBLIC_LEN])
{
	memcpy(pub, k->pub, SIGN_PUBLIC_LEN);
}

int sign_data(const struct sign_key *k, const void *msg, size_t n,
	      unsigned char sig[SIGN_SIG_LEN], struct err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = SIGN_SIG_LEN;
	int ok;

	ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, &len, msg, n) == 1 &&
	     len == SIGN_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	if (ok)
		return 0;
	ERR_clear_error();
	return err_set(err, "cannot sign: libcrypto failed");
}

int sign_verify(const unsigned char pub[SIGN_PUBLIC_LEN], const void *msg,
		size_t n, const unsigned char sig[SIGN_SIG_LEN])
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx;
	int ok;

	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
					   SIGN_PUBLIC_LEN);
	ctx = EVP_MD_CTX_new();
	ok = pkey && ctx &&
	     EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, SIGN_SIG_LEN, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return ok;
}

int sign_parse_public(const char *hex, unsigned char pub[SIGN_PUBLIC_LEN])
{
	size_t i;

	for (i = 0; i < SIGN_PUBLIC_LEN; i++) {
		int hi = hex[2 * i] ? hex_value(hex[2 * i]) : -1;
		int lo = hi >= 0 ? hex_value(hex[2 * i + 1]) : -1;

		if (lo < 0)
			return -1;
		pub[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[2 * SIGN_PUBLIC_LEN] ? -1 : 0;
}

void sign_public_hex(const unsigned char pub[SIGN_PUBLIC_LEN],
		     char out[SIGN_PUBLIC_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SIGN_PUBLIC_LEN; i++) {
		out[2 * i] = digits[pub[i] >> 4];
		out[2 * i + 1] = digits[pub[i] & 15];
	}
	out[SIGN_PUBLIC_HEX] = 0;
}
