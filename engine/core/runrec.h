/*
 * runrec.h: a run record as the queries see it (runs, diff, metrics,
 * lineage): the store's fields and the engine's payload, parsed
 * (docs/store-format.md).
 */
#ifndef CAIRN_RUNREC_H
#define CAIRN_RUNREC_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

struct err;
struct json;
struct store;
struct store_run;

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

#endif
