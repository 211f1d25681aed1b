/*
 * action.h: the remote cache's action record, the one thing on a remote
 * that is trusted by signature rather than by hash: it answers "what did
 * the stage with this key make?" with a run id and the run's outputs,
 * signed with Ed25519 (sign.h).  It lives under
 * /ac/<SHA-256("cairn action 1\n" || stage key)>; docs/store-format.md,
 * "Remote caches", gives it byte by byte:
 *
 *   "cairn action 1\n"   15 bytes
 *   key                  32 bytes, the stage instance's key
 *   run                  32 bytes, the run id (its record under /cas)
 *   time                 u64, the run's time (ns since the epoch)
 *   noutputs             u32
 *   outputs              noutputs x (kind byte: 1 blob, 2 tree, 3 alias;
 *                        32-byte id; an alias: then the 32-byte blob id)
 *   signer               32 bytes, the signer's public key
 *   signature            64 bytes, Ed25519 over every byte before it
 *
 * Integers little-endian.  Also here: the /ac/ path of a chunked blob's
 * chunk list, and the /cas/ path of an object, so the names of everything
 * on a remote are made in one place.
 */
#ifndef CAIRN_ACTION_H
#define CAIRN_ACTION_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "sign.h"
#include "store.h"

struct buf;
struct err;
struct sign_key;

#define ACTION_MAGIC "cairn action 1\n"	/* 15 bytes, also the /ac/ domain */
#define ACTION_MAX_OUTPUTS 65536	/* decode refuses more */

/* Room for a path on a remote: "cas/" or "ac/", 64 hex digits, NUL. */
#define REMOTE_PATH_MAX (4 + DIGEST_HEX + 1)

struct action_output {
	enum store_raw_kind kind;	/* STORE_RAW_BLOB, STORE_RAW_TREE or
					   STORE_RAW_ALIAS (a content id) */
	struct digest id;		/* the blob, tree or content id, as
					   in the run's outputs */
	struct digest blob;		/* an alias: the blob it names; else
					   zero */
};

struct action_rec {
	struct digest key;		/* the stage instance's key */
	struct digest run;		/* the run id */
	int64_t time_ns;		/* the run's time */
	struct action_output *outs;	/* in the run's order */
	size_t nouts;
	unsigned char signer[SIGN_PUBLIC_LEN];	/* decode: who signed */
	unsigned char sig[SIGN_SIG_LEN];	/* decode: the signature */
	unsigned char *msg;		/* decode: the signed bytes (a copy,
					   owned); NULL otherwise */
	size_t msg_len;
};

#define ACTION_REC_INIT { { { 0 } }, { { 0 } }, 0, NULL, 0, { 0 }, { 0 }, NULL, 0 }

/* Free what action_decode allocated (outs, msg); a is ACTION_REC_INIT
 * again.  Not for a record whose outs the caller owns. */
void action_rec_release(struct action_rec *a);

/*
 * The record a (key, run, time_ns, outs[0..nouts): the caller's, read
 * only) signed by k, appended to out.  Refuses (-1, err) an output kind
 * other than the three above, more than ACTION_MAX_OUTPUTS outputs, or a
 * signature that fails.
 */
int action_encode(const struct action_rec *a, const struct sign_key *k,
		  struct buf *out, struct err *err);

/*
 * Parse data[0..n) into *a (initialised here; release it with
 * action_rec_release, also after a failure).  Parse only: the signature
 * is NOT checked (action_trusted does).  -1 with err ("malformed action
 * record: ...") for a wrong magic, a bad kind byte, too many outputs, a
 * record cut short or with bytes after the signature.
 */
int action_decode(const void *data, size_t n, struct action_rec *a,
		  struct err *err);

/*
 * 1 when decoded record a is signed by one of trusted[0..n) and the
 * signature verifies over its bytes; else 0 (unsigned by any of them, a
 * byte changed, n == 0).  A record that is not trusted is a cache miss,
 * never an error.  The caller also checks that a->key is the key it
 * asked for: a record copied under another key's path is well signed
 * but answers another question.
 */
int action_trusted(const struct action_rec *a,
		   const unsigned char (*trusted)[SIGN_PUBLIC_LEN], size_t n);

/* "ac/" and the hex of SHA-256("cairn action 1\n" || key). */
void action_path(const struct digest *key, char out[REMOTE_PATH_MAX]);
/* "ac/" and the hex of SHA-256("cairn chunks 1\n" || blob id): where a
 * chunked blob's chunk list lives. */
void action_list_path(const struct digest *blob, char out[REMOTE_PATH_MAX]);
/* "cas/" and the hex of id: a chunk, an inline blob, a tree, a run. */
void action_cas_path(const struct digest *id, char out[REMOTE_PATH_MAX]);

#endif
