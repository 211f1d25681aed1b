/*
 * store_writer.h: the writer's state and its transaction helpers, shared
 * by store_write.c and store_tree.c.  Internal to store/.
 */
#ifndef CAIRN_STORE_WRITER_H
#define CAIRN_STORE_WRITER_H

#include "store_internal.h"

struct ZSTD_CCtx_s;

struct store_writer {
	struct store *s;
	MDB_txn *txn;			/* open write transaction, or NULL */
	size_t pending;			/* bytes written in it */
	int poisoned;			/* first error; nothing goes after */
	int hold;			/* > 0: records that must commit
					   together; no commit in between */
	struct chunk_params cp;
	struct ZSTD_CCtx_s *zc;		/* compression context, lazily */
	struct buf comp;		/* record being built */
	struct buf list;		/* chunk list of the blob being built */
	unsigned char *win;		/* read window */
	size_t wincap;
};

/* Abort the transaction; every later call fails with rc. */
int writer_poison(struct store_writer *w, int rc);
/* A write transaction with room for need more bytes (commits a full one). */
int writer_txn(struct store_writer *w, size_t need, struct err *err);
int writer_put(struct store_writer *w, MDB_dbi dbi, const void *key,
	       size_t klen, const void *val, size_t vlen, struct err *err);
/* With mdb_put flags (MDB_NODUPDATA: an existing pair is not an error). */
int writer_put_flags(struct store_writer *w, MDB_dbi dbi, const void *key,
		     size_t klen, const void *val, size_t vlen,
		     unsigned flags, struct err *err);
/* 1 present, 0 absent, < 0 error. */
int writer_has(struct store_writer *w, MDB_dbi dbi, const struct digest *id,
	       struct err *err);
/* Store chunk data[0..n), whose digest is id, unless present
 * (compressed when the store says so and that makes it smaller). */
int writer_put_chunk(struct store_writer *w, const unsigned char *data,
		     size_t n, const struct digest *id, struct err *err);
/* Store data[0..n) as an inline blob whose id is id, unless present. */
int writer_put_inline(struct store_writer *w, const struct digest *id,
		      const void *data, size_t n, struct err *err);

/*
 * Mark the store as schema at least schema (docs/store-format.md, "meta"),
 * before writing the first record that needs it: a cairn that cannot
 * read such records then refuses the store instead of calling them
 * damaged.
 */
int writer_schema(struct store_writer *w, uint32_t schema, struct err *err);

/*
 * Room in the map for a write transaction of need bytes (1) or not (0).
 * With this process's write transaction open, nothing can use it up.
 */
int store_has_room(struct store *s, size_t need);
/*
 * The errno to report for rc, an error of a write to the store's files:
 * LMDB calls a short write (the disk filled up) EIO; it is ENOSPC when
 * the store's filesystem has no room left.
 */
int store_io_errno(struct store *s, int rc);

struct store_run;
/* Decode a runs value; STORE_CORRUPT when inconsistent. */
int run_decode(const void *val, size_t len, struct store_run *r);
/* Decode a run's encoding (the value less its version byte and used
 * time: the bytes whose SHA-256 is the run id); STORE_CORRUPT. */
int run_decode_enc(const void *enc, size_t n, struct store_run *r);
/*
 * Record run r whose encoding is enc[0..n) and id its SHA-256 (the
 * caller has checked its outputs): runs, actions (unless r->failed) and
 * lineage, in one transaction.  Nothing when the run is stored already.
 */
int run_store(struct store_writer *w, const struct store_run *r,
	      const struct digest *id, const void *enc, size_t n,
	      struct err *err);

struct stat;
/* 1 when two fstat results show the same, unchanged file. */
int stat_unchanged(const struct stat *a, const struct stat *b);

#endif
