/*
 * store.h: cairn's content-addressed store, one LMDB environment.
 *
 * Objects are blobs (a file's bytes; id = plain SHA-256, small ones inline,
 * large ones a list of content-defined chunks) and trees (a directory's
 * sorted manifest; id = SHA-256 of its canonical encoding).  Roots name the
 * objects gc keeps.  docs/store-format.md specifies every value.
 *
 * Conventions, as in LMDB: opaque handles; every fallible call returns int:
 * 0, an errno value (> 0), or a STORE_* code below; store_strerror() names
 * any of them.  Calls that take a struct err * also leave a complete
 * message there (with paths and detail) when they fail.  Out-parameters
 * come last.  No call keeps global state; one struct store may be used by
 * one thread at a time.  Nothing outside store/ includes lmdb.h.
 */
#ifndef CAIRN_STORE_H
#define CAIRN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

struct buf;
struct err;
struct store;
struct store_run_refs;
struct store_writer;

enum {
	STORE_NOTFOUND = -30900,	/* no such object, root or store */
	STORE_CORRUPT = -30899,		/* a value or file fails its checks */
	STORE_VERSION = -30898,		/* made by a newer cairn */
	STORE_AMBIGUOUS = -30897,	/* an id prefix names several objects */
	STORE_BADFS = -30896,		/* on a network filesystem */
	STORE_MISMATCH = -30895,	/* bytes do not hash to the expected id */
	STORE_CHANGED = -30894,		/* a file changed while it was read */
	STORE_POISONED = -30893,	/* an earlier write in the batch failed */
	STORE_UNSAFE = -30892,		/* a path or link escapes its tree */
	STORE_BADARG = -30891,		/* invalid argument (bad prefix, ...) */
	STORE_LMDB = -30890,		/* an LMDB error (detail in err) */
};

/* A name for any return code of this API ("object not found", ...). */
const char *store_strerror(int rc);

enum store_open_flags {
	STORE_CREATE = 1 << 0,	/* create the store when missing */
	STORE_RDONLY = 1 << 1,	/* never write (fsck without --repair) */
};

/*
 * Open the store in directory path.  Refuses network filesystems
 * (STORE_BADFS), stores of a newer schema (STORE_VERSION), and a missing
 * store without STORE_CREATE (STORE_NOTFOUND).  Clears reader slots left by
 * crashed processes.  On success *out must be closed with store_close.
 */
int store_open(const char *path, unsigned flags, struct store **out,
	       struct err *err);
void store_close(struct store *s);
/*
 * Another handle on open store s, for reading from another thread: it
 * has a read transaction of its own and cannot write (store_writer_new
 * refuses it).  Close it (store_close) before s.
 */
struct store *store_reader(struct store *s);
/*
 * Let go of the snapshot this process reads through (it is taken again at
 * the next read): call before waiting a long time, so writers elsewhere
 * can reuse the pages it pins.
 */
void store_idle(struct store *s);
/*
 * Take the store's mapped pages out of this process's resident memory
 * (they stay in the page cache; a later read maps them again).  Done
 * after every commit; a long walk of lookups calls it every few thousand
 * so that what it read does not stay counted in its RSS.  Pointers into
 * the map stay valid.
 */
void store_drop_pages(struct store *s);

/*
 * The filesystem type name when f_type (from statfs) is one LMDB must not
 * be used on (NFS, CIFS/SMB, Lustre, ...), else NULL.
 */
const char *store_unsafe_fs(unsigned long f_type);

/* The store's directory, as given to store_open. */
const char *store_path(const struct store *s);

/* ---- settings (kept in the store) ---- */

enum store_compression { STORE_COMPRESS_NONE = 0, STORE_COMPRESS_ZSTD = 1 };

struct store_config {
	int compression;		/* enum store_compression */
	int zstd_level;			/* 1..19 */
	uint32_t chunk_min, chunk_avg, chunk_max;
	uint32_t keep_runs;		/* gc keeps this many runs per stage
					   instance (1..1000000) */
};

int store_config_get(struct store *s, struct store_config *out);
/* Validate and save; STORE_BADARG (message in err) when out of range. */
int store_config_set(struct store *s, const struct store_config *c,
		     struct err *err);

/* ---- objects ---- */

enum store_kind { STORE_BLOB = 1, STORE_TREE = 2, STORE_RUN = 3 };

struct store_object {
	enum store_kind kind;
	struct digest id;
	uint64_t size;		/* blob: bytes; tree: bytes of all its files;
				   run: bytes of its payload */
	uint64_t stored;	/* bytes the object's records take (chunks
				   counted in full, even when shared) */
	uint32_t chunks;	/* blob: 0 when stored inline */
	uint32_t entries;	/* tree: entries */
};

/* What id is; STORE_NOTFOUND when not a blob, tree or run. */
int store_lookup(struct store *s, const struct digest *id,
		 struct store_object *out);

/*
 * Resolve a hex prefix of at least 6 digits to the one blob, tree or run
 * it names.  STORE_AMBIGUOUS with the candidates listed in err, STORE_BADARG
 * for a malformed prefix, STORE_NOTFOUND when nothing matches.
 */
int store_resolve(struct store *s, const char *prefix, struct digest *out,
		  struct err *err);

/* ---- writing ---- */

/*
 * A batch of writes.  Data goes to the store in bounded transactions
 * (chunks before the blob that lists them, blobs before the trees and
 * roots that name them), so a crash at any moment leaves a consistent
 * store, at worst with unreferenced chunks for gc.  After a failure the
 * writer is poisoned: later calls return STORE_POISONED.  End it with
 * store_writer_commit (which frees it whatever it returns) or _abort.
 */
int store_writer_new(struct store *s, struct store_writer **out,
		     struct err *err);
int store_writer_commit(struct store_writer *w, struct err *err);
void store_writer_abort(struct store_writer *w);

/*
 * Ingest the regular file at path (streamed once: hashed, chunked and
 * written).  With expect non-NULL, STORE_MISMATCH unless the bytes hash to
 * it.  STORE_CHANGED when the file changed while it was read.
 */
int store_put_file(struct store_writer *w, const char *path,
		   const struct digest *expect, struct digest *id,
		   struct err *err);
int store_put_bytes(struct store_writer *w, const void *data, size_t n,
		    struct digest *id, struct err *err);
/*
 * Name blob by another id too: id is a content digest of the blob's
 * bytes taken another way (an HDF5 file's logical content,
 * docs/hashing.md).  Lookups, reads and restores of id then reach the
 * blob; gc keeps the alias as long as something names id.  Nothing when
 * id equals blob; STORE_NOTFOUND when the blob is not stored.
 */
int store_put_alias(struct store_writer *w, const struct digest *id,
		    const struct digest *blob, struct err *err);
/*
 * Ingest the directory at path as a tree: every file, symlink and empty
 * directory below it.  STORE_UNSAFE for a symlink that points outside the
 * tree (or is absolute); EINVAL for a device, fifo or socket.
 */
int store_put_tree(struct store_writer *w, const char *path,
		   struct digest *id, struct err *err);
/* Make root name keep ids[0..n) (replacing what it kept before). */
int store_set_root(struct store_writer *w, const char *name,
		   const struct digest *ids, size_t n, struct err *err);
int store_remove_root(struct store_writer *w, const char *name,
		      struct err *err);

/*
 * The jobs table: a cluster executor's jobs in flight, kept so that the
 * next run can find them when the coordinator died.  Key and record are
 * the engine's (at most 480 key bytes); removing an absent key is not an
 * error.  store_jobs_walk calls fn for each key that starts with prefix,
 * in key order, until fn returns non-zero (which it returns).
 */
int store_put_job(struct store_writer *w, const void *key, size_t klen,
		  const void *rec, size_t n, struct err *err);
int store_del_job(struct store_writer *w, const void *key, size_t klen,
		  struct err *err);
int store_jobs_walk(struct store *s, const void *prefix, size_t plen,
		    int (*fn)(const void *key, size_t klen, const void *rec,
			      size_t n, void *ctx),
		    void *ctx, struct err *err);

/*
 * The live table: the commands running on the store that store as they
 * go (cairn run, cairn verify).  While one lives, gc evicts no run
 * recorded since it began and removes no object (docs/store-format.md,
 * "live").  store_live_begin commits an entry for this process in a
 * transaction of its own and sets *mark; store_live_end(mark), called by
 * the same process, removes it (an entry already gone is not an error).
 * A process that dies leaves a stale entry, which gc ignores and removes.
 * store_live_walk calls fn for each entry, oldest first, until fn returns
 * non-zero (which it returns).
 */
struct store_live {
	uint32_t pid;
	int64_t start_ns;	/* when it began (Unix time, ns) */
	const char *what;	/* who: what[0..whatlen), e.g. "run /ws" */
	size_t whatlen;
	int alive;		/* 0: its process is gone (stale) */
};

int store_live_begin(struct store *s, const char *what, int64_t *mark,
		     struct err *err);
int store_live_end(struct store *s, int64_t mark, struct err *err);
int store_live_walk(struct store *s,
		    int (*fn)(const struct store_live *l, void *ctx),
		    void *ctx, struct err *err);

/* ---- reading ---- */

/*
 * Write blob id's bytes to fd.  Each chunk is checked against its digest
 * before it is written, so a damaged blob (STORE_CORRUPT) writes nothing
 * from its first bad chunk on; the whole blob's digest is checked last.
 */
int store_cat(struct store *s, const struct digest *id, int fd,
	      struct err *err);

/* What is kept of a file's or a directory's permissions. */
enum store_mode {
	STORE_MODE_EXEC = 1 << 0,	/* a file its owner may execute */
	STORE_MODE_PRIVATE = 1 << 1,	/* group and others have no access */
};

/* The STORE_MODE_* bits of a stat st_mode (EXEC only for a file). */
unsigned store_mode_of(unsigned st_mode);

/*
 * Create path from blob or tree id: written to a temporary name beside it,
 * verified, then renamed over path, so path never holds a partial file.
 * mode (STORE_MODE_* bits; 1 is EXEC) is the blob's, or the tree's top
 * directory's (its entries carry their own): a file is created 0666, 0777
 * with EXEC, a directory 0777; PRIVATE keeps the owner's bits only (0600,
 * 0700); the umask applies after.
 *
 * STORE_CORRUPT: the stored object is damaged (its bytes, or a chunk or
 * file it needs, do not hash to their id, are missing or malformed): path
 * is untouched and nothing temporary is left; a caller may treat the
 * object as absent.  STORE_NOTFOUND: no such object.  An errno value:
 * path could not be written (ENOSPC: the disk is full).
 */
int store_materialize(struct store *s, const struct digest *id,
		      const char *path, unsigned mode, struct err *err);

struct store_tree_entry {
	char kind;		/* 'f' file, 'x' executable, 'l' link, 'd' dir */
	unsigned mode;		/* STORE_MODE_* bits */
	const char *path;	/* relative, '/'-separated, NUL-terminated */
	uint64_t size;		/* file size, or link target length */
	struct digest id;	/* file blob (zero for links and dirs) */
	const char *target;	/* link target, else NULL */
};

/* Call fn for each entry of tree id, in order; stop when fn returns != 0. */
int store_tree_walk(struct store *s, const struct digest *id,
		    int (*fn)(const struct store_tree_entry *e, void *ctx),
		    void *ctx, struct err *err);

struct store_root {
	const char *name;
	size_t n;
	const struct digest *ids;
};

int store_roots_walk(struct store *s,
		     int (*fn)(const struct store_root *r, void *ctx),
		     void *ctx, struct err *err);

/* ---- run records, the action cache and lineage ---- */

/*
 * A run record.  The store reads only these fields; payload is the
 * engine's own record (opaque here).  A run's id is the SHA-256 of its
 * canonical encoding (docs/store-format.md), so it names exactly this run.
 */
struct store_run {
	struct digest key;		/* the stage instance's key */
	int64_t time_ns;		/* when it ran (Unix time, ns) */
	const struct digest *inputs;	/* content ids it read */
	size_t ninputs;
	const struct digest *outputs;	/* blobs and trees it made */
	size_t noutputs;
	const void *payload;
	size_t len;
	int64_t used_ns;		/* read back: last run or restore */
	int failed;			/* the command failed: not indexed
					   by key (actions), so never a
					   cache hit */
};

/*
 * Record a run: runs[id], actions[key] (newest first), lineage for every
 * input (used) and output (produced).  Every output must already be in
 * the store (STORE_NOTFOUND otherwise): records never name missing bytes.
 */
int store_put_run(struct store_writer *w, const struct store_run *r,
		  struct digest *id, struct err *err);

/* Mark run id as used now (a restore): gc --max-size evicts the least
 * recently used runs first. */
int store_touch_run(struct store_writer *w, const struct digest *id,
		    int64_t now_ns, struct err *err);

/*
 * Read run id into *out; the pointers in it stay valid until fn returns
 * (store_get_run calls fn once).  STORE_NOTFOUND, STORE_CORRUPT.
 */
int store_get_run(struct store *s, const struct digest *id,
		  int (*fn)(const struct store_run *r, void *ctx), void *ctx,
		  struct err *err);

/* Call fn for every run record (in id order); stop when fn returns != 0. */
int store_runs_walk(struct store *s,
		    int (*fn)(const struct digest *id, const struct store_run *r,
			      void *ctx),
		    void *ctx, struct err *err);

/* The runs recorded for an action key, newest first (ids[0..n)), into a
 * caller-freed array. */
int store_action_runs(struct store *s, const struct digest *key,
		      struct digest **ids, size_t *n, struct err *err);

enum store_role { STORE_PRODUCED = 1, STORE_USED = 2 };

/* Call fn for every run that produced or used object id. */
int store_lineage(struct store *s, const struct digest *id,
		  int (*fn)(enum store_role role, const struct digest *run,
			    void *ctx),
		  void *ctx, struct err *err);

/* ---- raw records: the store as a remote cache holds it ---- */

/*
 * An object as it travels to and from a remote cache (docs/store-format.md,
 * "Raw records"): the bytes whose SHA-256 is its id wherever there are
 * such bytes.  The values are in push order: a kind names only kinds
 * before it.
 */
enum store_raw_kind {
	STORE_RAW_CHUNK = 1,	/* a chunk's bytes, decompressed */
	STORE_RAW_LIST = 2,	/* a chunked blob: its record as in the blobs
				   table (its chunks hashed together give
				   the id) */
	STORE_RAW_INLINE = 3,	/* an inline blob's bytes */
	STORE_RAW_ALIAS = 4,	/* a content id: the 32-byte blob id it
				   names */
	STORE_RAW_TREE = 5,	/* a tree's encoding ("cairn tree 1\n"...) */
	STORE_RAW_RUN = 6,	/* a run's encoding ("cairn run 1\n"...) */
	STORE_RAW_ACTION = 7,	/* the remotes table only: a run's action
				   record (the remote layer's; id: the
				   run's) */
	STORE_RAW_BLOB = 8,	/* store_raw_names only: a blob, inline or
				   chunked (the record naming it does not
				   say) */
	STORE_RAW_OBJECT = 9,	/* store_raw_names only: a blob, a tree or
				   a content id */
};

/* "chunk", "list", "inline", "alias", "tree", "run", "action", "blob",
 * "object". */
const char *store_raw_kind_name(enum store_raw_kind kind);

struct store_raw_item {
	enum store_raw_kind kind;
	struct digest id;	/* the object's id (an alias: the content
				   id) */
	struct digest blob;	/* an alias: the blob it names */
	uint64_t size;		/* bytes of its raw record (store_raw_get);
				   store_raw_names: a chunk's length, a
				   tree entry's file size, else 0 */
	int failed;		/* a run: recorded as failed (no actions
				   entry), never a cache hit */
};

/*
 * Everything ids[0..n) need (each a blob, tree, content id or run), as
 * *items[0..*nitems) in a caller-freed array, each object once, in push
 * order: every chunk, then every chunk list, inline blob, alias, tree,
 * then every run, so each comes after all it names (within one kind
 * nothing names another: a kind's items may go in parallel, once the
 * kinds before it are sent).  A run brings its outputs and, through refs
 * (may be NULL), what its payload names (its log); its inputs are not
 * its to carry.  skip (may be NULL) is asked about each object before
 * what it names is visited: 1 leaves it and all it names out (unless
 * something else needs them; e.g. store_remote_known: present on the
 * remote), 0 keeps it, < 0 ends the walk with that code.  It runs inside
 * a read snapshot: keep it quick.
 *
 * STORE_NOTFOUND (message names the id): an id names nothing stored.
 * STORE_CORRUPT: an object misses something it names (a chunk, an
 * output, a log) or its record is malformed (run 'cairn fsck').
 */
int store_raw_walk(struct store *s, const struct digest *ids, size_t n,
		   const struct store_run_refs *refs,
		   int (*skip)(const struct store_raw_item *it, void *ctx),
		   void *ctx, struct store_raw_item **items, size_t *nitems,
		   struct err *err);

/*
 * The raw record of object id of kind (CHUNK, LIST, INLINE, ALIAS, TREE
 * or RUN) into out (replacing its contents).  What hashes to an id is
 * checked before it is handed out: a damaged object never leaves the
 * store (STORE_CORRUPT, naming it); a chunk list's chunks must be there
 * with their listed lengths, adding up to its size.  STORE_NOTFOUND: no
 * such object in that form (a blob stored chunked is no INLINE record).
 */
int store_raw_get(struct store *s, enum store_raw_kind kind,
		  const struct digest *id, struct buf *out, struct err *err);

/*
 * store_raw_get without the copy where it can: a chunk's *data[0..*n)
 * points into the store's map (into scratch when it is stored
 * compressed), checked as store_raw_get checks it, and stays valid until
 * store_idle(s); another kind's record is read into scratch.  While a
 * view is held nothing may grow the store's map (store_reserve): a
 * writer on the same store waits until the views are let go.
 */
int store_raw_view(struct store *s, enum store_raw_kind kind,
		   const struct digest *id, struct buf *scratch,
		   const void **data, size_t *n, struct err *err);

/*
 * What raw record data[0..n) of kind names, which must be stored before
 * it, as *items[0..*nitems) in a caller-freed array, each once: a LIST's
 * chunks (CHUNK, size: the chunk's length), in list order; a TREE's files
 * (BLOB, size: the file's); a RUN's outputs (OBJECT) then what refs (may
 * be NULL) finds in its payload (OBJECT); an ALIAS's blob (BLOB).  A
 * CHUNK or INLINE names nothing.  STORE_CORRUPT (message names the id)
 * when the record is malformed; nothing is checked against a hash here.
 */
int store_raw_names(enum store_raw_kind kind, const struct digest *id,
		    const void *data, size_t n,
		    const struct store_run_refs *refs,
		    struct store_raw_item **items, size_t *nitems,
		    struct err *err);

/*
 * Whether object id is stored as kind: CHUNK (chunks), LIST, INLINE or
 * BLOB (a blob in either form), ALIAS (a content id), TREE, RUN, OBJECT
 * (a blob, tree or content id).  1 yes, 0 no, < 0 an error.
 */
int store_raw_has(struct store *s, enum store_raw_kind kind,
		  const struct digest *id);

/*
 * Store raw record data[0..n), which should be object id of kind (CHUNK,
 * LIST, INLINE, ALIAS, TREE or RUN), through w: checked first, refused
 * with nothing stored (and w still usable) when wrong, the message naming
 * the id:
 *   STORE_MISMATCH  the bytes (a LIST: its chunks' bytes, in order) do
 *                   not hash to id (a flipped byte, a truncated record);
 *   STORE_CORRUPT   malformed (a LIST whose lengths do not add up, a
 *                   chunk's length differs from the list's, a TREE entry
 *                   not in order or whose size differs from its blob's);
 *   STORE_NOTFOUND  something it names is not stored (a LIST's chunk, a
 *                   TREE's blob, a RUN's output, an ALIAS's blob): store
 *                   those first, in push order;
 *   STORE_UNSAFE    a TREE path or link that escapes the tree.
 * An object already stored is not written again (0).  A RUN is recorded
 * as store_put_run records it (runs, actions, lineage) as a run that
 * succeeded, its last use its time; see store_raw_put_run.
 */
int store_raw_put(struct store_writer *w, enum store_raw_kind kind,
		  const struct digest *id, const void *data, size_t n,
		  struct err *err);
/*
 * The same for a CHUNK or an INLINE record whose bytes the caller has
 * hashed already (a pull hashes each chunk on the thread that fetched it,
 * while another stores): hash is SHA-256 of data[0..n) as the caller
 * computed it, compared with id instead of hashing again.
 */
int store_raw_put_hashed(struct store_writer *w, enum store_raw_kind kind,
			 const struct digest *id, const void *data, size_t n,
			 const struct digest *hash, struct err *err);
/*
 * A RUN with what store_raw_put cannot know: failed (recorded without an
 * actions entry: never a cache hit), and refs (may be NULL): what the
 * run's payload names (its log) must be stored too (STORE_NOTFOUND).
 */
int store_raw_put_run(struct store_writer *w, const struct digest *id,
		      const void *data, size_t n, int failed,
		      const struct store_run_refs *refs, struct err *err);

/* ---- the remotes table: what each remote cache is known to hold ---- */

/*
 * A hint, so that a second push sends nothing (docs/store-format.md,
 * "remotes"): entries say that remote was seen holding object id as kind
 * (a STORE_RAW_* of the walk, or STORE_RAW_ACTION).  remote is the
 * caller's name for the remote cache (the engine's: its URL, so that a
 * name pointed elsewhere starts afresh); only an 8-byte hash of it is
 * kept.  Servers evict: a caller that must be sure asks the server
 * (--verify), and may forget what the table says.  gc drops the entries
 * of objects no longer stored; fsck does not check the table.
 *
 * store_remote_mark records items[0..n) as seen now (now_ns, ns since
 * the epoch), batched in w's transactions.  store_remote_known: 1 when
 * known (*seen_ns, when not NULL, the last time seen), 0 when not (and
 * in a store opened read-only that has no table yet), < 0 an error.
 * store_remote_unmark removes the entries of items[0..n) (those there).
 * store_remote_forget removes every entry of remote (*n, when not NULL,
 * how many).
 */
int store_remote_mark(struct store_writer *w, const char *remote,
		      const struct store_raw_item *items, size_t n,
		      int64_t now_ns, struct err *err);
int store_remote_unmark(struct store_writer *w, const char *remote,
			const struct store_raw_item *items, size_t n,
			struct err *err);
int store_remote_known(struct store *s, const char *remote,
		       enum store_raw_kind kind, const struct digest *id,
		       int64_t *seen_ns);
int store_remote_forget(struct store_writer *w, const char *remote,
			uint64_t *n, struct err *err);

/* ---- the stat cache (for the engine's input fingerprints) ---- */

struct store_stat_entry {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	int64_t recorded_ns;	/* when the entry was written */
	struct digest id;	/* content digest at that moment */
};

/* Look path up; STORE_NOTFOUND when absent. */
int store_statcache_get(struct store *s, const char *path,
			struct store_stat_entry *out);
int store_statcache_put(struct store_writer *w, const char *path,
			const struct store_stat_entry *e, struct err *err);

/* ---- maintenance ---- */

struct store_stats {
	uint64_t blobs, trees, chunks, roots;
	uint64_t inline_blobs;
	uint64_t logical;	/* sum of blob sizes */
	uint64_t chunk_raw;	/* sum of chunk sizes before compression */
	uint64_t unique;	/* distinct bytes: chunk_raw + inline bytes */
	uint64_t stored;	/* bytes in chunk and inline records */
	uint64_t file_bytes;	/* size of the data file */
};

int store_stats(struct store *s, struct store_stats *out, struct err *err);

/* One finding of fsck or one object gc removes. */
struct store_finding {
	const char *db;		/* "chunks", "blobs", "trees", "roots", "runs" */
	const char *key;	/* hex id or root name */
	const char *problem;	/* fsck: what is wrong; gc: NULL */
	uint64_t bytes;		/* gc: bytes the record takes */
	int repaired;		/* fsck --repair: removed */
};

struct store_fsck_result {
	uint64_t checked, damaged, repaired, unreferenced_chunks;
	uint64_t pages;		/* damaged B-tree pages (counted in damaged
				   too): the records were not checked, and
				   nothing was repaired (store_salvage) */
};

/*
 * Check everything: re-hash every chunk, inline blob and tree, check every
 * blob's chunk list and every reference.  fn sees each problem.  With
 * repair, remove what is provably broken (and what depends on it).
 */
int store_fsck(struct store *s, int repair,
	       void (*fn)(const struct store_finding *f, void *ctx), void *ctx,
	       struct store_fsck_result *out, struct err *err);
/* The same, also checking what each run's payload names (refs, which may
 * be NULL): a run whose one is missing or damaged is damaged. */
int store_fsck_refs(struct store *s, int repair,
		    const struct store_run_refs *refs,
		    void (*fn)(const struct store_finding *f, void *ctx),
		    void *ctx, struct store_fsck_result *out, struct err *err);

/*
 * The B-tree alone, before the store is opened (opening it reads the
 * main database through LMDB, which trusts its pages: a damaged one can
 * make it abort): every page of every database read from the data file
 * and checked; fn sees each damaged one (db: the database, key: "page
 * N"), *damaged counts them.  0 also when there is no store to check:
 * store_open says why.
 */
int store_check_pages(const char *path,
		      void (*fn)(const struct store_finding *f, void *ctx),
		      void *ctx, uint64_t *damaged, struct err *err);

struct store_salvage_result {
	uint64_t pages;			/* damaged pages */
	uint64_t copied;		/* records copied from sound pages */
	uint64_t lost;			/* records the databases claimed
					   beyond those */
	uint64_t lost_dbs;		/* databases lost whole (their
					   records in the main database
					   were on damaged pages) */
	struct store_fsck_result fsck;	/* the repair of the copy */
	char kept[4096];		/* where the damaged data file is
					   kept ("" when not moved) */
};

/*
 * Repair the store at path whose B-tree is damaged (store_check_pages),
 * which cannot be done in place: copy every record on a sound page into a
 * fresh data file, repair that as store_fsck_refs does, and put it in the
 * damaged one's place, which is kept (out->kept).  fn sees the damaged
 * pages, the records lost on them per database ("N of M records") and
 * what the repair removed.  No handle on path may be open in this
 * process; EBUSY (nothing changed) while another process has it open.
 */
int store_salvage(const char *path, const struct store_run_refs *refs,
		  void (*fn)(const struct store_finding *f, void *ctx),
		  void *ctx, struct store_salvage_result *out,
		  struct err *err);

struct store_gc_result {
	uint64_t blobs, trees, chunks;	/* removed (or that would be) */
	uint64_t runs;			/* run records evicted */
	uint64_t bytes;
	uint64_t kept_bytes;		/* stored bytes left */
	uint64_t live;			/* commands running on the store */
	uint64_t stale;			/* live entries of dead processes
					   (removed unless dry_run) */
	uint64_t held, held_bytes;	/* objects nothing keeps, left for
					   the live commands */
};

/* The most objects a run's payload names (struct store_run_refs). */
#define STORE_RUN_REFS_MAX 8

/*
 * The objects a run record names only in its payload, which the store
 * does not read (the engine's: the stage's log): fn writes up to max of
 * their ids into ids and returns how many.  what is their name in fsck's
 * findings ("log").  gc keeps them as long as it keeps the run; fsck
 * counts a run whose one is missing or damaged as damaged.
 */
struct store_run_refs {
	size_t (*fn)(const struct store_run *r, struct digest *ids, size_t max,
		     void *ctx);
	void *ctx;
	const char *what;
};

/*
 * Which past runs gc keeps besides those a root protects: the `last` most
 * recent of each group, the group of a run being what group() writes into
 * label (the engine says: graph and stage instance).  NULL: every run.
 * refs (may be NULL): what each run names besides its outputs.
 */
struct store_gc_keep {
	size_t last;
	void (*group)(const struct store_run *r, struct buf *label, void *ctx);
	void *ctx;
	const struct store_run_refs *refs;
};

/*
 * Keep what roots reach and the outputs (and refs) of the recorded runs
 * kept (all of them, or with keep, the last few of each group and every
 * run roots protect: one all of whose outputs roots keep); evict the other
 * runs and remove what only they kept.  With max_size (0: none), while the
 * store would still hold more than max_size bytes, also evict run records
 * least recently used first (never a protected run), and then what only
 * they kept.  While a command of the live table runs, no run recorded or
 * used since the oldest began is evicted and no object is removed (they
 * are counted as held); live entries of dead processes are removed.
 * dry_run only reports.
 */
int store_gc_keep(struct store *s, int dry_run, uint64_t max_size,
		  const struct store_gc_keep *keep,
		  void (*fn)(const struct store_finding *f, void *ctx),
		  void *ctx, struct store_gc_result *out, struct err *err);
int store_gc(struct store *s, int dry_run, uint64_t max_size,
	     void (*fn)(const struct store_finding *f, void *ctx), void *ctx,
	     struct store_gc_result *out, struct err *err);

#endif
