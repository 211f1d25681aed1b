/* Ed25519 through OpenSSL's EVP (stub: the bodies land next). */
#include "buf.h"
#include "err.h"
#include "sign.h"
#include "util.h"

int sign_key_generate(const char *private_path, struct buf *public_hex,
		      struct err *err)
{
	(void)public_hex;
	return err_set(err, "cannot write key '%s': not built yet",
		       private_path);
}

int sign_key_load(const char *path, struct sign_key **out, struct err *err)
{
	*out = NULL;
	return err_set(err, "cannot read key '%s': not built yet", path);
}

void sign_key_free(struct sign_key *k)
{
	(void)k;
}

void sign_key_public(const struct sign_key *k,
		     unsigned char pub[SIGN_PUBLIC_LEN])
{
	(void)k;
	memset(pub, 0, SIGN_PUBLIC_LEN);
}

int sign_data(const struct sign_key *k, const void *msg, size_t n,
	      unsigned char sig[SIGN_SIG_LEN], struct err *err)
{
	(void)k, (void)msg, (void)n;
	memset(sig, 0, SIGN_SIG_LEN);
	return err_set(err, "cannot sign: not built yet");
}

int sign_verify(const unsigned char pub[SIGN_PUBLIC_LEN], const void *msg,
		size_t n, const unsigned char sig[SIGN_SIG_LEN])
{
	(void)pub, (void)msg, (void)n, (void)sig;
	return 0;
}

int sign_parse_public(const char *hex, unsigned char pub[SIGN_PUBLIC_LEN])
{
	(void)hex, (void)pub;
	return -1;
}

void sign_public_hex(const unsigned char pub[SIGN_PUBLIC_LEN],
		     char out[SIGN_PUBLIC_HEX + 1])
{
	(void)pub;
	out[0] = 0;
}
