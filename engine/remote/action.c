/*
 * The action record (action.h has its bytes).  Decoding keeps a copy of
 * the signed bytes as they came, so the signature is checked over exactly
 * what the server sent, never over a re-encoding of what was parsed.
 */
#include <stdint.h>

#include "action.h"
#include "buf.h"
#include "err.h"
#include "util.h"

#define MAGIC_LEN (sizeof(ACTION_MAGIC) - 1)
#define CHUNKS_DOMAIN "cairn chunks 1\n"

/* The kind bytes on the wire, independent of enum store_raw_kind. */
enum { WIRE_BLOB = 1, WIRE_TREE = 2, WIRE_ALIAS = 3 };

void action_rec_release(struct action_rec *a)
{
	free(a->outs);
	free(a->msg);
	*a = (struct action_rec)ACTION_REC_INIT;
}

int action_encode(const struct action_rec *a, const struct sign_key *k,
		  struct buf *out, struct err *err)
{
	struct buf b = BUF_INIT;
	unsigned char pub[SIGN_PUBLIC_LEN], sig[SIGN_SIG_LEN];
	size_t i;

	if (a->nouts > ACTION_MAX_OUTPUTS)
		return err_set(err, "cannot encode an action record of %zu "
				    "outputs (at most %d)", a->nouts,
			       ACTION_MAX_OUTPUTS);
	buf_add(&b, ACTION_MAGIC, MAGIC_LEN);
	buf_add(&b, a->key.b, DIGEST_LEN);
	buf_add(&b, a->run.b, DIGEST_LEN);
	buf_add_le(&b, (uint64_t)a->time_ns, 8);
	buf_add_le(&b, (uint64_t)a->nouts, 4);
	for (i = 0; i < a->nouts; i++) {
		const struct action_output *o = &a->outs[i];
		unsigned char kind;

		switch (o->kind) {
		case STORE_RAW_BLOB: kind = WIRE_BLOB; break;
		case STORE_RAW_TREE: kind = WIRE_TREE; break;
		case STORE_RAW_ALIAS: kind = WIRE_ALIAS; break;
		default:
			buf_release(&b);
			return err_set(err, "cannot encode an action record: "
					    "output %zu is a %s, not a blob, "
					    "tree or alias", i,
				       store_raw_kind_name(o->kind));
		}
		buf_addc(&b, (char)kind);
		buf_add(&b, o->id.b, DIGEST_LEN);
		if (kind == WIRE_ALIAS)
			buf_add(&b, o->blob.b, DIGEST_LEN);
	}
	sign_key_public(k, pub);
	buf_add(&b, pub, SIGN_PUBLIC_LEN);
	if (sign_data(k, b.data, b.len, sig, err) < 0) {
		buf_release(&b);
		return -1;
	}
	buf_add(&b, sig, SIGN_SIG_LEN);
	buf_add(out, b.data, b.len);
	buf_release(&b);
	return 0;
}

int action_decode(const void *data, size_t n, struct action_rec *a,
		  struct err *err)
{
	const unsigned char *p = data, *end = p + n;
	const size_t head = MAGIC_LEN + 2 * DIGEST_LEN + 8 + 4;
	const size_t tail = SIGN_PUBLIC_LEN + SIGN_SIG_LEN;
	uint64_t nouts;
	size_t i;

	*a = (struct action_rec)ACTION_REC_INIT;
	if (n < MAGIC_LEN || memcmp(p, ACTION_MAGIC, MAGIC_LEN))
		return err_set(err, "malformed action record: it does not "
				    "start with 'cairn action 1'");
	if (n < head + tail)
		return err_set(err, "malformed action record: %zu bytes, too "
				    "short", n);
	p += MAGIC_LEN;
	memcpy(a->key.b, p, DIGEST_LEN);
	memcpy(a->run.b, p + DIGEST_LEN, DIGEST_LEN);
	p += 2 * DIGEST_LEN;
	a->time_ns = (int64_t)le_get(p, 8);
	nouts = le_get(p + 8, 4);
	p += 12;
	/* At least one kind byte and id each: refuse a count the bytes
	 * cannot hold before allocating for it. */
	if (nouts > ACTION_MAX_OUTPUTS ||
	    nouts * (1 + DIGEST_LEN) > (size_t)(end - p) - tail)
		return err_set(err, "malformed action record: %llu outputs "
				    "in %zu bytes", (unsigned long long)nouts,
			       n);
	a->outs = xcalloc(nouts ? (size_t)nouts : 1, sizeof(*a->outs));
	a->nouts = (size_t)nouts;
	for (i = 0; i < a->nouts; i++) {
		struct action_output *o = &a->outs[i];
		int kind = *p;
		size_t need = 1 + DIGEST_LEN + (kind == WIRE_ALIAS ? DIGEST_LEN
								    : 0);

		if (kind < WIRE_BLOB || kind > WIRE_ALIAS)
			return err_set(err, "malformed action record: output "
					    "%zu has kind %d", i, kind);
		if ((size_t)(end - p) < need + tail)
			return err_set(err, "malformed action record: cut "
					    "short in output %zu", i);
		o->kind = kind == WIRE_BLOB   ? STORE_RAW_BLOB
			  : kind == WIRE_TREE ? STORE_RAW_TREE
					      : STORE_RAW_ALIAS;
		memcpy(o->id.b, p + 1, DIGEST_LEN);
		if (kind == WIRE_ALIAS)
			memcpy(o->blob.b, p + 1 + DIGEST_LEN, DIGEST_LEN);
		p += need;
	}
	if ((size_t)(end - p) != tail)
		return err_set(err, "malformed action record: %zu bytes after "
				    "the signature",
			       (size_t)(end - p) - tail);
	memcpy(a->signer, p, SIGN_PUBLIC_LEN);
	memcpy(a->sig, p + SIGN_PUBLIC_LEN, SIGN_SIG_LEN);
	a->msg_len = (size_t)(p + SIGN_PUBLIC_LEN - (const unsigned char *)data);
	a->msg = xmalloc(a->msg_len);
	memcpy(a->msg, data, a->msg_len);
	return 0;
}

int action_trusted(const struct action_rec *a,
		   const unsigned char (*trusted)[SIGN_PUBLIC_LEN], size_t n)
{
	size_t i;

	if (!a->msg)
		return 0;
	for (i = 0; i < n; i++)
		if (!memcmp(trusted[i], a->signer, SIGN_PUBLIC_LEN))
			return sign_verify(a->signer, a->msg, a->msg_len,
					   a->sig);
	return 0;
}

static void domain_path(const char *domain, const struct digest *id,
			char out[REMOTE_PATH_MAX])
{
	struct sha256 *h = sha256_new();
	struct digest d;

	sha256_update(h, domain, strlen(domain));
	sha256_update(h, id->b, DIGEST_LEN);
	sha256_final(h, &d);
	memcpy(out, "ac/", 3);
	digest_hex(&d, out + 3);
}

void action_path(const struct digest *key, char out[REMOTE_PATH_MAX])
{
	domain_path(ACTION_MAGIC, key, out);
}

void action_list_path(const struct digest *blob, char out[REMOTE_PATH_MAX])
{
	domain_path(CHUNKS_DOMAIN, blob, out);
}

void action_cas_path(const struct digest *id, char out[REMOTE_PATH_MAX])
{
	memcpy(out, "cas/", 4);
	digest_hex(id, out + 4);
}
