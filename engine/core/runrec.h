/*
 * runrec.h: a run record's payload (docs/store-format.md): written by
 * runrec_encode when the run records a stage, and read back as the queries
 * see it (runs, diff, metrics, lineage): the store's fields and the
 * payload, parsed.
 */
#ifndef CAIRN_RUNREC_H
#define CAIRN_RUNREC_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

struct buf;
struct err;
struct json;
struct store;
struct store_run;
struct store_run_refs;

/* An input of a run as its record names it, for lineage. */
struct runrec_input {
	const char *path;
	struct digest id;
	int code;		/* a code file (else a dependency) */
	const char *from;	/* the instance that made it, or NULL */
};

struct runrec_output {
	const char *name, *path;
	struct digest id;
	unsigned mode;		/* its st_mode when stored: written only
				   where a restore must keep something of
				   it (store_mode_of) */
};

/* What runrec_encode writes: the payload of one stage's run. */
struct runrec_new {
	const char *graph, *instance;
	const char *cmd;	/* or, for a kind stage, NULL and: */
	const char *kind, *kind_version;
	int exit;		/* 128 + signal when killed */
	int signal;		/* 0: not killed */
	const char *error;	/* why it failed, or NULL */
	const char *params, *matrix;	/* JSON objects */
	const char *metrics;	/* JSON members ("loss": 0.5, ...), or
				   NULL: no "metrics" */
	const struct runrec_input *inputs;	/* deps, then code */
	size_t ninputs;
	const struct runrec_output *outputs;	/* in name order */
	size_t noutputs;
	/* The cluster's view of it; scheduler "" or NULL: none. */
	const char *scheduler, *job, *node, *state;
	int64_t start_ns, duration_ns;
	long peak_rss_kib;
	double cpu_s;
	struct digest log;	/* the stored log */
	const char *env;	/* the environment fingerprint, JSON */
	const char *key_enc;	/* the key's encoding, written in hex */
	size_t key_enc_len;
};

/* Append r's payload, a JSON object, to out. */
void runrec_encode(struct buf *out, const struct runrec_new *r);

struct runrec {
	struct digest id, key;
	int64_t start_ns;
	double duration_s;
	const char *graph, *instance, *cmd;	/* in payload; "" if absent */
	char *stage;			/* the instance's stage name */
	int exit, ok;			/* ok: exit 0 and no error */
	const char *error;		/* why it failed, or NULL */
	struct json *payload;		/* the whole record */
	struct digest *inputs, *outputs;
	size_t ninputs, noutputs;
};

/* Fill r from a store record; -1 when its payload is not the engine's. */
int runrec_from(const struct digest *id, const struct store_run *sr,
		struct runrec *r);
/* Read run id; 0, or a store code (STORE_NOTFOUND...) with err set. */
int runrec_load(struct store *s, const struct digest *id, struct runrec *r,
		struct err *err);
void runrec_release(struct runrec *r);

/* Every run of graph (NULL: of any graph), newest first. */
int runrec_all(struct store *s, const char *graph, struct runrec **out,
	       size_t *n, struct err *err);
void runrec_free_all(struct runrec *v, size_t n);

/* A member of the payload ("params", "metrics"...), or NULL. */
const struct json *runrec_get(const struct runrec *r, const char *field);

/* What a run's payload names besides its outputs: its log ("log"), for
 * fsck, gc and the remote cache (store_run_refs). */
extern const struct store_run_refs runrec_refs;

#endif
