/*
 * kinds.h: the built-in stage kinds.  Each kind is one file in stages/
 * with its descriptor: name, documentation, settings schema (types,
 * defaults, ranges, choices), named inputs and outputs, run function, and
 * a code version (a digest of the sources it runs, found from its own
 * file at build time by cmake/kind_sources.c, docs/hashing.md; part of
 * every key of a stage that uses it).  The graph loader checks a stage's
 * `with`, `deps` and `outs` against the descriptor; `cairn kinds` and
 * `cairn help KIND` print it.
 */
#ifndef CAIRN_KINDS_H
#define CAIRN_KINDS_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;
struct json;
struct toml_value;

enum kind_type {
	KIND_INT,
	KIND_FLOAT,
	KIND_STRING,
	KIND_BOOL,
	KIND_RANGE,	/* [lo, hi]: integers, lo <= hi, each in [min, max] */
	KIND_TABLE,	/* an inline table of the settings in fields */
};

struct kind_setting {
	const char *name;
	enum kind_type type;
	const char *def;		/* the default, as TOML; NULL: required */
	double min, max;		/* numbers: the inclusive range */
	const char *const *choices;	/* strings: the values allowed */
	const char *doc;
	const struct kind_setting *fields;	/* KIND_TABLE: its settings,
						   ended by a NULL name; its
						   def is "{}" (all defaults) */
	/* strings: a further check of the value, 0 or -1 with why */
	int (*valid)(const char *value, struct buf *why);
};

struct kind_port {
	const char *name;
	const char *doc;
	int optional;	/* an output a stage may leave out of `outs`: then it
			   is not written (its path in kind_run is NULL) */
	int many;	/* an input given any number of paths (a reference to
			   a matrix stage's output names one per instance):
			   kind_run.many has them all */
};

/* What a kind's run function is given: its settings (defaults filled in)
 * and its inputs' and outputs' paths, by name. */
struct kind_run {
	const struct stage_kind *kind;
	const struct json *settings;	/* an object: name -> value */
	const char *const *inputs;	/* as kind->inputs */
	const char *const *outputs;	/* as kind->outputs; NULL for an
					   optional one not asked for */
	int threads;
	/* For a `many` input kind->inputs[i], many[i] is every path it is
	 * given, in the graph's order, ended by NULL (inputs[i] is the
	 * first); NULL for the others. */
	const char *const *const *many;
};

struct stage_kind {
	const char *name;
	const char *summary;
	const char *doc;
	const struct kind_setting *settings;	/* ended by a NULL name */
	const struct kind_port *inputs, *outputs;	/* ended by NULL */
	int (*run)(const struct kind_run *r, struct err *err);
	const char *version;			/* hex digest, from the build */
	const char *sources;	/* the files hashed into version, sorted,
				   each ended by '\n' (from the build) */
	/* A check across settings (NULL: none), given them all (defaults
	 * filled in; r's ports NULL): 0, or -1 with why. */
	int (*check)(const struct kind_run *r, struct buf *why);
};

/* All built-in kinds; *n is their number. */
const struct stage_kind *const *kinds_list(size_t *n);
/* The kind named name, or NULL. */
const struct stage_kind *kind_find(const char *name);

/*
 * Check a stage's `with` table against k's schema: unknown settings (with
 * "did you mean"), types, ranges, choices, required ones, and the kind's
 * check across settings (when none is written with ${...}: those are
 * checked as the instance runs).  0, or -1 with why and *at set to the
 * value or table to blame (for file:line:col).
 */
int kind_check_with(const struct stage_kind *k, const struct toml_value *with,
		    const struct toml_value *stage, struct buf *why,
		    const struct toml_value **at, int *line, int *col);

/*
 * The first call of every run function: r's settings (as kind-run read
 * them from a file, which may have been edited) against the schema, as
 * kind_check_with does, and the kind's check.  0, or -1 with err.
 */
int kind_check_run(const struct kind_run *r, struct err *err);

/* The settings as JSON, every one present (defaults filled in). */
void kind_settings_json(const struct stage_kind *k,
			const struct toml_value *with, struct buf *out);
/* One setting's value v (NULL: its default) as JSON, tables filled in. */
void kind_value_json(const struct kind_setting *s, const struct toml_value *v,
		     struct buf *out);

/* Reading the settings in a run function (the schema guarantees them);
 * "a.b" names field b of table setting a. */
int64_t kind_int(const struct kind_run *r, const char *name);
double kind_float(const struct kind_run *r, const char *name);
const char *kind_string(const struct kind_run *r, const char *name);
int kind_bool(const struct kind_run *r, const char *name);
void kind_range(const struct kind_run *r, const char *name, int64_t *lo,
		int64_t *hi);

/* Write b to path (a kind's JSON report); 0, or -1 with err, when it
 * cannot be written or b is not JSON (a NaN or infinity printed by %f:
 * nothing invalid reaches a stage's metrics). */
int kind_write_text(const char *path, const struct buf *b, struct err *err);

/* `cairn help KIND`: the descriptor as text. */
void kind_describe(const struct stage_kind *k, struct buf *out);

#endif
