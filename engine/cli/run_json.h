/*
 * run_json.h: `cairn run --json`: the run's summary as one JSON document
 * on stdout, made from the outcomes and edits its status is told
 * (run_status.h): the counts, the outputs found edited, and each instance
 * asked for with its outcome, key, run, time, outputs and log.  The
 * format is in docs/cli.md.
 */
#ifndef CAIRN_RUN_JSON_H
#define CAIRN_RUN_JSON_H

#include <stddef.h>

#include "buf.h"

struct graph;
struct run_edit;
struct run_outcome;
struct run_result;

struct run_json {
	struct buf insts;	/* the instances' objects, comma-separated */
	struct buf edits;	/* the edits' objects */
	size_t ninsts, nedits;
};

void run_json_init(struct run_json *j);
void run_json_release(struct run_json *j);
/* Add an instance's outcome; an edited output. */
void run_json_outcome(struct run_json *j, const struct run_outcome *o);
void run_json_edited(struct run_json *j, const struct run_edit *e);
/*
 * The document for a run of g that ended with exit status code and
 * counts res (dry_run: -n's counts), appended to out.
 */
void run_json_write(const struct run_json *j, const struct graph *g,
		    const struct run_result *res, int dry_run, int code,
		    struct buf *out);

#endif
