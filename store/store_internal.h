/*
 * store_internal.h: what the store_*.c files share.  Not for use outside
 * store/ (it includes lmdb.h).
 */
#ifndef CAIRN_STORE_INTERNAL_H
#define CAIRN_STORE_INTERNAL_H

#include <lmdb.h>
#include <stdint.h>

#include "buf.h"
#include "chunker.h"
#include "store.h"

/* The newest schema this cairn reads (a store is made at 1; 2 once it
 * holds a tree with owner-only entries). */
#define STORE_SCHEMA 2
#define RECORD_VERSION 1

/* Commit a write transaction once it holds this many bytes (bounds the
 * memory of its dirty pages and the work lost to a crash). */
#define STORE_BATCH ((size_t)32 << 20)

struct store {
	char *path;
	MDB_env *env;
	unsigned flags;
	size_t psize;
	MDB_dbi meta, chunks, blobs, trees, roots;
	MDB_dbi actions, runs, statcache, lineage;	/* later issues */
	MDB_dbi aliases;	/* content id -> blob id (HDF5 digests) */
	MDB_dbi jobs;		/* cluster jobs in flight (exec_slurm) */
	MDB_dbi live;		/* commands running on the store (gc spares
				   what they may need) */
	MDB_dbi remotes;	/* what each remote is known to hold (a
				   hint, store_remote.c) */
	int no_aliases;		/* an older store opened read-only */
	int no_jobs;		/* likewise, made before the jobs table */
	int no_live;		/* likewise, made before the live table */
	int no_remotes;		/* likewise, made before the remotes
				   table */
	struct store_config cfg;
	uint64_t dir_dev, dir_ino;	/* the store's directory, so a tree
					   walk never ingests the store */
	/* One read transaction serves every read until this process
	 * commits a write (store_read_refresh) or goes idle: beginning one
	 * per lookup would take the reader table's lock each time. */
	MDB_txn *rtxn;
	int rlive, rdepth, rstale;
	struct store *parent;	/* a store_reader's store, else NULL */
};

/* The blob an alias id names: 0, or MDB_NOTFOUND. */
int alias_get(struct store *s, MDB_txn *txn, const struct digest *id,
	      struct digest *blob);

/* Delete the remotes table's entries of objects txn no longer holds
 * (gc, after its sweep). */
int remotes_prune(struct store *s, MDB_txn *txn, struct err *err);

/*
 * Call fn (when not NULL) for each entry of the live table in txn, its
 * alive flag set; with prune (txn writes), delete the stale ones.  Stops
 * when fn returns non-zero, which it returns.
 */
int live_scan(struct store *s, MDB_txn *txn, int prune,
	      int (*fn)(const struct store_live *l, void *ctx), void *ctx,
	      struct err *err);

/*
 * The B-trees' pages (store_pages.c), read from the data file itself,
 * never through LMDB, which trusts them.  pages_walk checks every tree of
 * the snapshot txn reads (a write transaction's: the last commit): bad
 * sees each damaged page (the tree, the page, what is wrong), whose
 * subtree is skipped; tree sees each named database and the entries its
 * record claims; rec (when not NULL) sees every record on a sound leaf,
 * one call per value of a sorted-duplicates database, its bytes valid
 * until it returns (a non-zero return stops the walk and is returned).
 * *damaged: how many pages are damaged.
 */
struct page_visitor {
	void (*bad)(const char *db, uint64_t pgno, const char *why, void *ctx);
	void (*tree)(const char *db, uint64_t entries, void *ctx);
	int (*rec)(const char *db, const MDB_val *k, const MDB_val *v,
		   void *ctx);
	void *ctx;
};

int pages_walk(struct store *s, MDB_txn *txn, const struct page_visitor *pv,
	       uint64_t *damaged, struct err *err);
/*
 * The same for the store at path, its environment not open (nor opened:
 * LMDB reads a meta page's page size and roots on trust too): from the
 * meta page LMDB would take, or the other one when that one is damaged
 * (a damaged meta page is reported as page 0 or 1 of "file header").
 * 0 with nothing done when there is no data file.
 */
int pages_walk_file(const char *path, const struct page_visitor *pv,
		    uint64_t *damaged, struct err *err);

/* Fill err from an LMDB or errno code rc; return the API code. */
int store_fail(struct err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Begin a transaction, following a map grown by another process. */
int store_txn_begin(struct store *s, int write, MDB_txn **out,
		    struct err *err);

/*
 * The shared read transaction: store_read_begin hands it out (nesting is
 * allowed), store_read_end gives it back.  store_read_refresh is called
 * after every commit of this process so the next read sees it.
 */
int store_read_begin(struct store *s, MDB_txn **out, struct err *err);
void store_read_end(struct store *s);
void store_read_refresh(struct store *s);

/*
 * Make room for about need more bytes in the map before a write
 * transaction (no transaction of this process may be open): a full map
 * is grown, never reported to the user.
 */
int store_reserve(struct store *s, size_t need, struct err *err);

/* Little-endian fixed-width integers in records. */
void put_u32(unsigned char *p, uint32_t v);
void put_u64(unsigned char *p, uint64_t v);
uint32_t get_u32(const unsigned char *p);
uint64_t get_u64(const unsigned char *p);

/* ---- records (store_record.c) ---- */

enum { CODEC_RAW = 0, CODEC_ZSTD = 1 };
enum { BLOB_INLINE = 0, BLOB_CHUNKED = 1 };

struct blob_rec {
	uint64_t size;
	int kind;			/* BLOB_INLINE or BLOB_CHUNKED */
	const unsigned char *data;	/* inline bytes */
	uint32_t n;			/* chunks */
	const unsigned char *list;	/* n x (32-byte id, u32 length) */
};

#define BLOB_HDR 10
#define BLOB_ENTRY 36
#define CHUNK_HDR 6

/* Parse a blob record; STORE_CORRUPT when inconsistent. */
int blob_decode(const MDB_val *v, struct blob_rec *out);
/* The i-th chunk of a chunked blob. */
void blob_chunk(const struct blob_rec *b, uint32_t i, struct digest *id,
		uint32_t *len);

/*
 * The bytes of a chunk record, decompressed into scratch when needed;
 * *data stays valid until the transaction ends or scratch changes.
 */
int chunk_bytes(const MDB_val *v, struct buf *scratch,
		const unsigned char **data, size_t *len);

/* Trees: the canonical encoding is what is hashed and stored. */
#define TREE_MAGIC "cairn tree 1\n"
#define TREE_MAGIC_LEN 13

struct tree_iter {
	const unsigned char *p, *end;
	uint32_t left;
	struct buf path, target;
};

/* Start walking an encoding (value minus version byte); STORE_CORRUPT. */
int tree_iter_init(struct tree_iter *it, const unsigned char *enc,
		   size_t len);
/* Next entry: 1, 0 at the end, STORE_CORRUPT for a bad or unsafe entry. */
int tree_iter_next(struct tree_iter *it, struct store_tree_entry *e);
void tree_iter_release(struct tree_iter *it);

/* 0 when rel is a safe relative path inside a tree, else -1. */
int tree_path_safe(const char *rel);
/* 0 when a link at rel with target stays inside the tree, else -1. */
int tree_link_safe(const char *rel, const char *target);

#endif
