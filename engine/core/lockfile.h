/*
 * lockfile.h: <graph>.lock, what a run established: per stage instance its
 * key, the params it used, and the digests of its code files, inputs and
 * outputs, by name, so that a diff says what changed.  TOML, sorted, stable
 * across runs and machines, written to a temporary file and renamed.
 * docs/lock-file.md describes it.
 */
#ifndef CAIRN_LOCKFILE_H
#define CAIRN_LOCKFILE_H

#include <stddef.h>

#include "buf.h"
#include "digest.h"

struct err;
struct graph;
struct graph_inst;
struct store;

struct lock_entry {
	const struct graph_inst *inst;
	struct digest key;
	const struct digest *deps;	/* one per inst->deps[i] */
	const struct digest *code;	/* one per inst->code[i] */
	const struct digest *outs;	/* one per inst->outs[i] */
};

/* The lock file path for graph file file ("x.toml" -> "x.lock"). */
char *lock_path_for(const char *file);

/* A lock file as lock_render makes it. */
struct lock_text {
	struct buf text;
	struct digest *outs;	/* every output it names */
	size_t nouts;
};

/*
 * The lock file for entries e[0..n), in lt: entries of the file now at
 * path for other instances still in g are kept, but for those whose
 * drop[index] is set (drop may be NULL).  lock_text_release(lt) when
 * done.
 */
void lock_render(const char *path, const struct graph *g,
		 const struct lock_entry *e, size_t n, const char *drop,
		 struct lock_text *lt);
/* Whether the file at path holds exactly lt already: then it is left
 * alone, and so is its root. */
int lock_unchanged(const char *path, const struct lock_text *lt);
/*
 * The outputs lt names (those the store holds) become the store root
 * "lock:<absolute path>", so gc keeps them.  Set before lock_write: when
 * it cannot be set, the run fails and the old file and root stay as they
 * were.  -1 with err ("cannot set the gc root of lock file 'path': ...").
 */
int lock_set_root(const char *path, struct store *s,
		  const struct lock_text *lt, struct err *err);
/* Write lt to path: to a temporary file, renamed.  -1 with err. */
int lock_write(const char *path, const struct lock_text *lt,
	       struct err *err);
void lock_text_release(struct lock_text *lt);

/*
 * Read lock file path: *stages is its [stage] table (instance name ->
 * {key, inputs, outputs}), valid until toml_doc_free(*doc).  0, -1 with
 * err (a parse error at file:line:col), or -2 when it cannot be read.
 */
struct toml_doc;
struct toml_value;
int lock_read(const char *path, struct toml_doc **doc,
	      const struct toml_value **stages, struct err *err);

/*
 * What differs between instance in of g, whose key has encoding enc, and
 * its entry in a lock file of version (entry: its [stage] table, as
 * lock_read gives it), in words separated by ", ", appended to out:
 * "param 'lr' 0.01 -> 0.1", "code 'src/fit.py' changed", "input
 * 'data/x.csv' changed", "... added", "... removed".  A version 1 lock
 * recorded no params or code: only inputs are compared.  How many differ.
 */
int lock_entry_changes(const struct toml_value *entry, int version,
		       const struct graph *g, const struct graph_inst *in,
		       const char *enc, size_t len, struct buf *out);

/* What the run needs of a lock file entry. */
struct lock_known {
	const char *name;		/* the instance */
	struct digest key;
	const char **out_path;		/* its outputs, by path */
	struct digest *out_id;
	size_t nouts;
};

/*
 * The run of lk's key that made its locked outputs (every one, no other):
 * 1 and *run set, 0 when the store has none, or a store code with err set.
 */
int lock_entry_run(struct store *s, const struct lock_known *lk,
		   struct digest *run, struct err *err);

struct lock_index {
	struct lock_known *e;		/* sorted by name */
	size_t n;
	char *text;			/* the file, strings cut in place */
	struct toml_doc *doc;		/* or the parsed TOML they point into */
	const char **paths;		/* every entry's out_path, one array */
	struct digest *ids;		/* and its out_id */
	size_t npool;
};

/*
 * Load lock file path for lookups: the file cairn writes is read by a
 * scanner of exactly that form (a 100,000-entry lock in a few
 * milliseconds); anything else (edited by hand) goes through the TOML
 * parser.  0, or -1 (no file or not a lock file: run without it).
 */
int lock_index_load(const char *path, struct lock_index *out);
const struct lock_known *lock_index_find(const struct lock_index *x,
					 const char *name);
void lock_index_free(struct lock_index *x);

#endif
