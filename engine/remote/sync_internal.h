/*
 * sync_internal.h: what push (sync_push.c) and pull (sync_pull.c) share:
 * the open remote, progress over several batches, and the remotes table.
 * Internal to engine/remote.
 */
#ifndef CAIRN_SYNC_INTERNAL_H
#define CAIRN_SYNC_INTERNAL_H

#include "action.h"
#include "sign.h"
#include "store.h"
#include "sync.h"

struct http_batch;

struct sync {
	struct http *h;
	struct store *s;
	const struct store_run_refs *refs;
	char *name;		/* the remote's, for messages */
	char *url;		/* the remotes table's name for it */
	char *conf_file;	/* where it is configured */
	char *sign_key;		/* the private key's path, or NULL */
	int read_only;
	unsigned char (*trusted)[SIGN_PUBLIC_LEN];
	size_t ntrusted;
	void (*fn)(const struct sync_progress *p, void *ctx);
	void *ctx;
	struct sync_progress p;	/* the phase under way */
};

/* Body bytes a batch may hold in memory (a push's reads, a pull's GETs
 * of chunks and blobs): a few large chunks at once. */
#define SYNC_BATCH_BYTES ((uint64_t)64 << 20)

/* n empty buffers (BUF_INIT), for a batch's bodies; free each with
 * buf_release, then the array. */
struct buf *sync_bufs(size_t n);

/* Begin a phase of progress: total requests and bytes (0: unknown). */
void sync_phase(struct sync *y, const char *phase, size_t total,
		uint64_t total_bytes);
/* Run batch b (http_batch_run) with its progress added to the phase's. */
int sync_run(struct sync *y, struct http_batch *b, struct err *err);
/* The same, on_end(i) called as soon as request i has ended (its result
 * set): a non-zero return stops the batch (HTTP_STOPPED). */
int sync_run_each(struct sync *y, struct http_batch *b,
		  int (*on_end)(size_t i, void *ctx), void *ctx,
		  struct err *err);

/* "interrupted": SYNC_INTERRUPTED.  A batch run stops when a signal
 * comes (interrupt_caught) and says so. */
int sync_interrupted(struct err *err);

/* "cannot read store 'PATH': WHY" for a code of a call that leaves no
 * message (store_raw_has, store_remote_known); returns rc. */
int sync_store_fail(struct err *err, int rc, struct store *s);

/* Record items[0..n) as held by the remote, in a write of their own. */
int sync_mark(struct sync *y, const struct store_raw_item *items, size_t n,
	      struct err *err);

/* Forget that the remote holds items[0..n) (a --verify found them gone),
 * in a write of their own. */
int sync_unmark(struct sync *y, const struct store_raw_item *items,
		size_t n, struct err *err);

/* Where the raw record of kind (a walk's, or STORE_RAW_ACTION: key) lives
 * on the remote; "" for an alias (it travels in the action record). */
void sync_path(enum store_raw_kind kind, const struct digest *id,
	       char out[REMOTE_PATH_MAX]);

#endif
