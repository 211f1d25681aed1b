/*
 * The action record (engine/remote/action.c): its bytes pinned (signed
 * with RFC 8032's first test key, so the signature is pinned too; the
 * expected record was made apart, with Python and `openssl pkeyutl`),
 * decoded back field by field; trust: the signer's key trusted, an empty
 * list, another key, a record signed by another key, one whose signer
 * field was swapped for a trusted key, a zero signature, and every single
 * byte changed, each not trusted; every truncation and an extra byte
 * refused by the decoder; malformed counts and kinds named; the /ac/ and
 * /cas/ paths.
 */
#include <unistd.h>

#include "action.h"
#include "buf.h"
#include "check.h"
#include "err.h"
#include "sign.h"
#include "util.h"

static char dir[] = "/tmp/cairn-test-action-XXXXXX";

static const char *const v1_pem =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
	"-----END PRIVATE KEY-----\n";
static const char *const v1_public =
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/* The record of record() below, signed with v1. */
static const char *const want_hex =
	"636169726e20616374696f6e20310a1111111111111111111111111111111111"
	"1111111111111111111111111111112222222222222222222222222222222222"
	"2222222222222222222222222222220807060504030201030000000133333333"
	"3333333333333333333333333333333333333333333333333333333302444444"
	"4444444444444444444444444444444444444444444444444444444444035555"
	"5555555555555555555555555555555555555555555555555555555555556666"
	"666666666666666666666666666666666666666666666666666666666666d75a"
	"980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511af553"
	"71a46a22c0a33ffc3a2dcfca52d685590f4719bdae38ec8efe7718f84777cc42"
	"4cdc133af3768ec55504720fb703243a7b4a09b398a0db8486bf4149990f";

static struct action_output outs[3];

static struct action_rec record(void)
{
	struct action_rec a = ACTION_REC_INIT;

	memset(a.key.b, 0x11, DIGEST_LEN);
	memset(a.run.b, 0x22, DIGEST_LEN);
	a.time_ns = 0x0102030405060708;
	memset(outs, 0, sizeof(outs));
	outs[0].kind = STORE_RAW_BLOB;
	memset(outs[0].id.b, 0x33, DIGEST_LEN);
	outs[1].kind = STORE_RAW_TREE;
	memset(outs[1].id.b, 0x44, DIGEST_LEN);
	outs[2].kind = STORE_RAW_ALIAS;
	memset(outs[2].id.b, 0x55, DIGEST_LEN);
	memset(outs[2].blob.b, 0x66, DIGEST_LEN);
	a.outs = outs;
	a.nouts = 3;
	return a;
}

static void hex_of(const struct buf *b, struct buf *out)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		buf_addf(out, "%02x", (unsigned char)b->data[i]);
}

static struct sign_key *load(const char *name, const char *pem)
{
	struct buf path = BUF_INIT;
	struct sign_key *k = NULL;
	struct err err;
	FILE *f;

	buf_addf(&path, "%s/%s", dir, name);
	if (pem) {
		f = fopen(path.data, "w");
		if (!f || fputs(pem, f) < 0 || fclose(f)) {
			perror(path.data);
			exit(1);
		}
	} else {
		struct buf hex = BUF_INIT;

		if (sign_key_generate(path.data, &hex, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			exit(1);
		}
		buf_release(&hex);
	}
	if (sign_key_load(path.data, &k, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	buf_release(&path);
	return k;
}

/* 1 when data[0..n) decodes and is trusted by keys[0..nkeys). */
static int trusted(const void *data, size_t n,
		   const unsigned char (*keys)[SIGN_PUBLIC_LEN], size_t nkeys)
{
	struct action_rec a;
	struct err err;
	int t = 0;

	if (action_decode(data, n, &a, &err) == 0)
		t = action_trusted(&a, keys, nkeys);
	action_rec_release(&a);
	return t;
}

static void test_bytes(struct sign_key *v1, struct sign_key *other)
{
	struct action_rec a = record(), d;
	struct buf rec = BUF_INIT, hex = BUF_INIT, rec2 = BUF_INIT;
	unsigned char keys[2][SIGN_PUBLIC_LEN];
	struct err err;
	size_t i, bad = 0;

	buf_adds(&rec, "x");	/* appended to, not replaced */
	CHECK_INT(action_encode(&a, v1, &rec, &err), 0);
	CHECK_INT(rec.len, 1 + 318);
	CHECK(rec.data[0] == 'x');
	memmove(rec.data, rec.data + 1, rec.len - 1);
	buf_truncate(&rec, rec.len - 1);
	hex_of(&rec, &hex);
	CHECK_STR(hex.data, want_hex);

	/* Decoded back. */
	CHECK_INT(action_decode(rec.data, rec.len, &d, &err), 0);
	CHECK(digest_eq(&d.key, &a.key) && digest_eq(&d.run, &a.run));
	CHECK_INT(d.time_ns, 0x0102030405060708);
	CHECK_INT(d.nouts, 3);
	for (i = 0; i < d.nouts && i < 3; i++) {
		CHECK_INT(d.outs[i].kind, outs[i].kind);
		CHECK(digest_eq(&d.outs[i].id, &outs[i].id));
		CHECK(digest_eq(&d.outs[i].blob, &outs[i].blob));
	}
	CHECK_INT(d.msg_len, 318 - 64);
	CHECK(d.msg && !memcmp(d.msg, rec.data, d.msg_len));
	CHECK_INT(sign_parse_public(v1_public, keys[0]), 0);
	CHECK(!memcmp(d.signer, keys[0], SIGN_PUBLIC_LEN));

	/* Trust: only the signer's key, among others or alone. */
	sign_key_public(other, keys[1]);
	CHECK_INT(action_trusted(&d, (const unsigned char(*)[32])keys, 2), 1);
	CHECK_INT(action_trusted(&d, (const unsigned char(*)[32])keys, 1), 1);
	CHECK_INT(action_trusted(&d, (const unsigned char(*)[32])keys + 1, 1),
		  0);
	CHECK_INT(action_trusted(&d, (const unsigned char(*)[32])keys, 0), 0);
	action_rec_release(&d);
	CHECK(d.outs == NULL && d.msg == NULL);

	/* Signed by another key: not trusted by v1's; the same record with
	 * v1 written in as its signer: not trusted by anyone. */
	CHECK_INT(action_encode(&a, other, &rec2, &err), 0);
	CHECK_INT(rec2.len, rec.len);
	CHECK_INT(trusted(rec2.data, rec2.len,
			  (const unsigned char(*)[32])keys, 1),
		  0);
	CHECK_INT(trusted(rec2.data, rec2.len,
			  (const unsigned char(*)[32])keys + 1, 1),
		  1);
	memcpy(rec2.data + rec2.len - 96, keys[0], SIGN_PUBLIC_LEN);
	CHECK_INT(trusted(rec2.data, rec2.len,
			  (const unsigned char(*)[32])keys, 2),
		  0);
	/* "Unsigned": a zero signature. */
	memcpy(rec2.data, rec.data, rec.len);
	memset(rec2.data + rec2.len - 64, 0, 64);
	CHECK_INT(trusted(rec2.data, rec2.len,
			  (const unsigned char(*)[32])keys, 2),
		  0);

	/* Every byte changed in turn: never trusted (decoded or not). */
	for (i = 0; i < rec.len; i++) {
		memcpy(rec2.data, rec.data, rec.len);
		rec2.data[i] ^= 0x01;
		bad += trusted(rec2.data, rec2.len,
			       (const unsigned char(*)[32])keys, 2);
		rec2.data[i] ^= 0x81;
		bad += trusted(rec2.data, rec2.len,
			       (const unsigned char(*)[32])keys, 2);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(trusted(rec.data, rec.len,
			  (const unsigned char(*)[32])keys, 2),
		  1);

	/* Every truncation, and one byte more: malformed, never a crash. */
	for (i = 0, bad = 0; i < rec.len; i++) {
		bad += action_decode(rec.data, i, &d, &err) == 0;
		action_rec_release(&d);
	}
	CHECK_INT(bad, 0);
	buf_addc(&rec, 0);
	CHECK_INT(action_decode(rec.data, rec.len, &d, &err), -1);
	CHECK_STR(err.msg, "malformed action record: 1 bytes after the "
			   "signature");
	action_rec_release(&d);
	buf_release(&rec);
	buf_release(&rec2);
	buf_release(&hex);
}

static void test_malformed(struct sign_key *k)
{
	struct action_rec a = record(), d;
	struct buf rec = BUF_INIT;
	struct err err;
	const size_t count = 15 + 32 + 32 + 8;	/* where noutputs is */

	CHECK_INT(action_decode("cairn actions\n", 14, &d, &err), -1);
	CHECK_STR(err.msg, "malformed action record: it does not start with "
			   "'cairn action 1'");
	action_rec_release(&d);
	CHECK_INT(action_encode(&a, k, &rec, &err), 0);
	CHECK_INT(action_decode(rec.data, 100, &d, &err), -1);
	CHECK_STR(err.msg, "malformed action record: 100 bytes, too short");
	action_rec_release(&d);
	/* A count the bytes cannot hold is refused before any allocation. */
	rec.data[count + 3] = 0x7f;
	CHECK_INT(action_decode(rec.data, rec.len, &d, &err), -1);
	CHECK_STR(err.msg, "malformed action record: 2130706435 outputs in "
			   "318 bytes");
	action_rec_release(&d);
	rec.data[count + 3] = 0;
	rec.data[count] = 4;	/* four outputs: the third eats the key */
	CHECK_INT(action_decode(rec.data, rec.len, &d, &err), -1);
	action_rec_release(&d);
	rec.data[count] = 3;
	rec.data[count + 4] = 9;	/* the first output's kind */
	CHECK_INT(action_decode(rec.data, rec.len, &d, &err), -1);
	CHECK_STR(err.msg, "malformed action record: output 0 has kind 9");
	action_rec_release(&d);

	/* No outputs is a record too; a chunk is no output. */
	a.nouts = 0;
	buf_truncate(&rec, 0);
	CHECK_INT(action_encode(&a, k, &rec, &err), 0);
	CHECK_INT(rec.len, count + 4 + 96);
	CHECK_INT(action_decode(rec.data, rec.len, &d, &err), 0);
	CHECK_INT(d.nouts, 0);
	action_rec_release(&d);
	a.nouts = 3;
	outs[1].kind = STORE_RAW_CHUNK;
	buf_truncate(&rec, 0);
	CHECK_INT(action_encode(&a, k, &rec, &err), -1);
	CHECK_STR(err.msg, "cannot encode an action record: output 1 is a "
			   "chunk, not a blob, tree or alias");
	CHECK_INT(rec.len, 0);
	buf_release(&rec);
}

static void test_paths(void)
{
	struct digest key;
	char path[REMOTE_PATH_MAX];

	memset(key.b, 0x11, DIGEST_LEN);
	action_path(&key, path);
	CHECK_STR(path, "ac/b88a5179ef218abea728986c4d9577040327445e76d26b3ac4"
			"16bbb3ed81562c");
	action_list_path(&key, path);
	CHECK_STR(path, "ac/10867a1fa6421c31a7784d56801169239bf27d00e8cdd7d9d4"
			"ae4afc3726024e");
	action_cas_path(&key, path);
	CHECK_STR(path, "cas/1111111111111111111111111111111111111111111111111"
			"111111111111111");
	CHECK_INT(strlen(path) + 1, REMOTE_PATH_MAX);
}

int main(void)
{
	struct sign_key *v1, *other;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	v1 = load("v1.pem", v1_pem);
	other = load("other.pem", NULL);
	test_bytes(v1, other);
	test_malformed(v1);
	test_paths();
	sign_key_free(v1);
	sign_key_free(other);
	remove_tree(dir);
	return check_done("unit.action");
}
