/*
 * key.h: the key of a stage instance, the SHA-256 of a canonical,
 * versioned encoding of everything that decides what it produces
 * (docs/hashing.md gives it byte by byte).  The same inputs always give
 * the same key, on any machine, whatever the order things were declared.
 */
#ifndef CAIRN_KEY_H
#define CAIRN_KEY_H

#include <stddef.h>

#include "digest.h"

struct buf;
struct graph;
struct graph_inst;
struct toml_value;

#define KEY_SCHEMA 2

/* Digests the key needs that only the scan knows. */
struct key_inputs {
	const struct digest *deps;	/* one per inst->deps[i] */
	const struct digest *code;	/* one per inst->code[i] */
	const char *const *env;		/* value per stage env var, NULL unset */
	const char *kind_version;	/* a built-in kind's code version */
};

/*
 * Encode the key of in (with the digests in ki) into enc, and its SHA-256
 * into *key.  enc is kept so that explain can compare components.
 */
void key_compute(const struct graph *g, const struct graph_inst *in,
		 const struct key_inputs *ki, struct buf *enc,
		 struct digest *key);

struct strv;

/*
 * Split a key encoding into labelled components ("param lr" = "0.5",
 * "input data.csv" = its digest, "command" = ...), for explain.  0, or -1
 * when enc is not a key encoding of this schema.
 */
int key_components(const char *enc, size_t len, struct strv *labels,
		   struct strv *values);

/* The canonical encoding of a TOML value (1.0 and 1.00 agree). */
void key_value(struct buf *out, const struct toml_value *v);

#endif
