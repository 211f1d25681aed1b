/*
 * status_term.h: a run's status (run_status.h) on the terminal: a line
 * per step ("running    train[k=1]", "done       train[k=1]  (12.3s)"),
 * or `cairn status`'s table
 * ("to run      train[k=1]  (no run with this key)"), or on a terminal
 * one updating line naming what runs, with an ETA, above which each
 * instance that ends leaves a line ("done       train[k=1]  (12.3s)");
 * warnings and errors through term_warning and term_error (the updating
 * line cleared first, then drawn again), and the tail of a failed stage's
 * log.  -q: errors only.  With run --json, progress is not printed and
 * each outcome goes to the run's JSON summary (run_json.h).
 */
#ifndef CAIRN_STATUS_TERM_H
#define CAIRN_STATUS_TERM_H

#include <stdint.h>

#include "run_status.h"
#include "term.h"

struct run_json;

/* An instance whose command runs, as the updating line names it. */
struct status_running {
	const struct graph_inst *in;
	int64_t since_ns;	/* CLOCK_MONOTONIC when it started */
};

struct status_term {
	struct run_status status;	/* what run_graph is given */
	struct term t;
	int table;	/* cairn status */
	int live;	/* one updating line */
	int line;	/* that line is on the screen */
	struct run_json *json;	/* run --json: outcomes go there */
	/* The updating line: what runs (in the order it started), the
	 * progress and the last instance settled. */
	struct status_running *running;
	size_t nrunning, cap;
	struct run_progress last;
	const char *last_what;
	const struct graph_inst *last_in;
	/* status and explain: the outputs a run would refuse to replace
	 * (edited by hand), in the order found; paths are the graph's. */
	struct status_edit {
		const struct graph_inst *in;
		const char *path;
	} *edits;
	size_t nedits, capedits;
};

/*
 * Set s up for a run with t's colour, -q and -v: table for `cairn
 * status`; the updating line only on a terminal (stdout, TERM set and
 * not "dumb"), not with -v or -q, not in a dry run.  Pass &s->status to
 * run_graph; s must outlive the run; status_term_release frees it.
 */
void status_term_init(struct status_term *s, const struct term *t,
		      int dry_run, int table);
/*
 * status and explain: instance's outputs that a run would refuse to
 * replace (edited by hand).  The words for them (why_edited) appended to
 * why, when there are any and why is not NULL; their paths as a JSON
 * array appended to json ("[]" when none), when json is not NULL.  How
 * many there are.
 */
size_t status_term_edited(const struct status_term *s, const char *instance,
			  struct buf *why, struct buf *json);
/* run --json: no progress on stdout; outcomes and edits go to j. */
void status_term_json(struct status_term *s, struct run_json *j);
void status_term_release(struct status_term *s);

/*
 * The updating line for progress p, with running[0..n) named (in that
 * order) and, when nothing runs, "what in": at most width characters
 * ("[3/10 restored 1] 3 running: a, b, +1"), into out.  Exposed for the
 * unit test.
 */
void status_term_line(struct buf *out, const struct run_progress *p,
		      const struct status_running *running, size_t n,
		      const char *what, const struct graph_inst *in,
		      size_t width);

#endif
