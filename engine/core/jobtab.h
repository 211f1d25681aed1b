/*
 * jobtab.h: the cluster jobs a run keeps in the store (the store's jobs
 * table), so that the next run finds them when this one dies: one record
 * per stage instance in flight, keyed by the workspace and the instance
 * (WORKSPACE, a NUL byte, INSTANCE).  The record is the executor's own
 * (exec_sub.rec).  docs/slurm.md, docs/store-format.md.
 */
#ifndef CAIRN_JOBTAB_H
#define CAIRN_JOBTAB_H

#include <stddef.h>

struct err;
struct store;
struct store_writer;

/* The records of one workspace, sorted by instance name. */
struct jobtab {
	char **inst;
	char **rec;
	size_t *len;
	size_t n;
};

/* Read the workspace's records; 0, or -1 with err. */
int jobtab_load(struct jobtab *t, struct store *s, const char *workspace,
		struct err *err);
/* Instance inst's record (*n its length), or NULL. */
const char *jobtab_find(const struct jobtab *t, const char *inst, size_t *n);
void jobtab_free(struct jobtab *t);

/* Keep or forget instance inst's record, in w's transaction. */
int jobtab_keep(struct store_writer *w, const char *workspace,
		const char *inst, const char *rec, size_t n, struct err *err);
int jobtab_forget(struct store_writer *w, const char *workspace,
		  const char *inst, struct err *err);

#endif
