/*
 * Ed25519 signatures (engine/remote/sign.c): RFC 8032's test vectors 1
 * and 2 (verify, and sign with the vector's private key read from a PEM
 * file: the same public key and signature); a round trip with a new key;
 * a flipped bit of the message, the signature or the key refused; key
 * files: generated owner-only PEM, never overwritten (nor through a
 * dangling link), loaded back; keys of another kind, garbage, missing
 * files refused with the path named; public keys in hex.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "sign.h"
#include "util.h"

static char dir[] = "/tmp/cairn-test-sign-XXXXXX";

static void unhex(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(hex_value(hex[2 * i]) << 4 |
					 hex_value(hex[2 * i + 1]));
}

static char *path_of(const char *name)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* RFC 8032, 7.1, TEST 1 (the empty message) and TEST 2 (one byte). */
static const struct {
	const char *secret, *public, *msg, *sig, *pem;
} vec[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	  /* PKCS #8 of the secret: 302e020100300506032b657004220420 || it */
	  "-----BEGIN PRIVATE KEY-----\n"
	  "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
	  "-----END PRIVATE KEY-----\n" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
	  "-----BEGIN PRIVATE KEY-----\n"
	  "MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7\n"
	  "-----END PRIVATE KEY-----\n" },
};

static void test_vectors(void)
{
	size_t v;

	for (v = 0; v < ARRAY_LEN(vec); v++) {
		unsigned char pub[SIGN_PUBLIC_LEN], sig[SIGN_SIG_LEN],
			mine[SIGN_SIG_LEN], msg[1], bad[SIGN_SIG_LEN];
		size_t n = strlen(vec[v].msg) / 2;
		struct sign_key *k = NULL;
		struct err err;
		char *pem = path_of(v ? "v2.pem" : "v1.pem");
		char hex[SIGN_PUBLIC_HEX + 1];

		CHECK_INT(sign_parse_public(vec[v].public, pub), 0);
		unhex(vec[v].sig, sig, SIGN_SIG_LEN);
		unhex(vec[v].msg, msg, n);
		CHECK_INT(sign_verify(pub, msg, n, sig), 1);
		/* One bit anywhere in the signature, the key or the message
		 * and it is no longer good. */
		memcpy(bad, sig, SIGN_SIG_LEN);
		bad[0] ^= 1;
		CHECK_INT(sign_verify(pub, msg, n, bad), 0);
		memcpy(bad, sig, SIGN_SIG_LEN);
		bad[63] ^= 0x80;
		CHECK_INT(sign_verify(pub, msg, n, bad), 0);
		pub[31] ^= 1;
		CHECK_INT(sign_verify(pub, msg, n, sig), 0);
		pub[31] ^= 1;
		CHECK_INT(sign_verify(pub, "x", 1, sig), 0);

		/* The vector's private key, as a PEM file, signs the same. */
		write_text(pem, vec[v].pem);
		CHECK_INT(sign_key_load(pem, &k, &err), 0);
		if (k) {
			sign_key_public(k, pub);
			sign_public_hex(pub, hex);
			CHECK_STR(hex, vec[v].public);
			CHECK_INT(sign_data(k, msg, n, mine, &err), 0);
			CHECK(!memcmp(mine, sig, SIGN_SIG_LEN));
		}
		sign_key_free(k);
		free(pem);
	}
}

static void test_generate(void)
{
	char *path = path_of("k.pem"), *dangling = path_of("dangling.pem");
	char *nodir = path_of("no/such/k.pem");
	unsigned char pub[SIGN_PUBLIC_LEN], pub2[SIGN_PUBLIC_LEN];
	unsigned char sig[SIGN_SIG_LEN];
	struct buf hex = BUF_INIT, again = BUF_INIT, text = BUF_INIT;
	struct sign_key *k = NULL;
	struct stat st;
	struct err err;
	char want[ERR_MAX];

	CHECK_INT(sign_key_generate(path, &hex, &err), 0);
	CHECK_INT(hex.len, SIGN_PUBLIC_HEX);
	CHECK_INT(sign_parse_public(hex.data, pub), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(buf_read_file(&text, path) == 0 &&
	      !strncmp(text.data, "-----BEGIN PRIVATE KEY-----\n", 28));

	/* Never overwritten: the file is as it was. */
	snprintf(want, sizeof(want),
		 "'%s' already exists: a key is never overwritten", path);
	CHECK_INT(sign_key_generate(path, &again, &err), -1);
	CHECK_STR(err.msg, want);
	CHECK_INT(again.len, 0);
	buf_truncate(&again, 0);
	CHECK(buf_read_file(&again, path) == 0 && again.len == text.len &&
	      !memcmp(again.data, text.data, text.len));
	buf_truncate(&again, 0);
	/* Nor through a link that points nowhere yet. */
	CHECK_INT(symlink("nowhere.pem", dangling), 0);
	CHECK_INT(sign_key_generate(dangling, &again, &err), -1);
	CHECK(strstr(err.msg, "already exists") != NULL);
	{
		char *nowhere = path_of("nowhere.pem");

		CHECK(lstat(nowhere, &st) < 0 && errno == ENOENT);
		free(nowhere);
	}
	CHECK_INT(sign_key_generate(nodir, &again, &err), -1);
	snprintf(want, sizeof(want),
		 "cannot write key '%s': No such file or directory", nodir);
	CHECK_STR(err.msg, want);
	CHECK_INT(again.len, 0);

	/* Loaded back: the same public key; it signs and its signature
	 * verifies, and only over the bytes signed. */
	CHECK_INT(sign_key_load(path, &k, &err), 0);
	if (k) {
		sign_key_public(k, pub2);
		CHECK(!memcmp(pub, pub2, SIGN_PUBLIC_LEN));
		CHECK_INT(sign_data(k, "cairn", 5, sig, &err), 0);
		CHECK_INT(sign_verify(pub, "cairn", 5, sig), 1);
		CHECK_INT(sign_verify(pub, "cairN", 5, sig), 0);
		CHECK_INT(sign_verify(pub, "cairn", 4, sig), 0);
	}
	sign_key_free(k);
	/* A second key is another key. */
	{
		char *k2 = path_of("k2.pem");

		CHECK_INT(sign_key_generate(k2, &again, &err), 0);
		CHECK(strcmp(again.data, hex.data) != 0);
		free(k2);
	}
	buf_release(&hex);
	buf_release(&again);
	buf_release(&text);
	free(path);
	free(dangling);
	free(nodir);
}

static void test_load_errors(void)
{
	char *missing = path_of("missing.pem"), *junk = path_of("junk.pem");
	char *ec = path_of("ec.pem");
	struct sign_key *k = (struct sign_key *)1;
	struct err err;
	char want[ERR_MAX];

	CHECK_INT(sign_key_load(missing, &k, &err), -1);
	CHECK(k == NULL);
	snprintf(want, sizeof(want),
		 "cannot read key '%s': No such file or directory", missing);
	CHECK_STR(err.msg, want);
	write_text(junk, "not a key\n");
	CHECK_INT(sign_key_load(junk, &k, &err), -1);
	snprintf(want, sizeof(want),
		 "cannot read key '%s': not a PEM private key (or one with a "
		 "passphrase)", junk);
	CHECK_STR(err.msg, want);
	/* An X25519 key (same size, another algorithm) is refused. */
	write_text(ec, "-----BEGIN PRIVATE KEY-----\n"
		       "MC4CAQAwBQYDK2VuBCIEILiyIuEijy8nqAqj7CcVKZ3rru3/Woho8k"
		       "6iUSE4mmRU\n-----END PRIVATE KEY-----\n");
	CHECK_INT(sign_key_load(ec, &k, &err), -1);
	snprintf(want, sizeof(want),
		 "key '%s' is X25519, not Ed25519 ('cairn key generate' "
		 "makes one)", ec);
	CHECK_STR(err.msg, want);
	free(missing);
	free(junk);
	free(ec);
}

static void test_hex(void)
{
	unsigned char pub[SIGN_PUBLIC_LEN];
	char hex[SIGN_PUBLIC_HEX + 1];
	const char *up = "D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A"
			 "68F707511A";

	CHECK_INT(sign_parse_public(up, pub), 0);
	sign_public_hex(pub, hex);
	CHECK_STR(hex, vec[0].public);
	CHECK_INT(sign_parse_public("d75a98", pub), -1);
	CHECK_INT(sign_parse_public("", pub), -1);
	/* 63 digits, 65 digits, a non-digit. */
	CHECK_INT(sign_parse_public(vec[0].public + 1, pub), -1);
	snprintf(hex, sizeof(hex), "%s", vec[0].public);
	{
		char longer[SIGN_PUBLIC_HEX + 2];

		snprintf(longer, sizeof(longer), "%s0", vec[0].public);
		CHECK_INT(sign_parse_public(longer, pub), -1);
	}
	hex[10] = 'g';
	CHECK_INT(sign_parse_public(hex, pub), -1);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_vectors();
	test_generate();
	test_load_errors();
	test_hex();
	remove_tree(dir);
	return check_done("unit.sign");
}
