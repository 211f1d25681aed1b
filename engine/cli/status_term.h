/*
 * status_term.h: a run's status (run_status.h) on the terminal: a line
 * per instance ("running   train[k=1]"), or `cairn status`'s table
 * ("to run      train[k=1]  (no run with this key)"), or on a terminal
 * one updating line with an ETA, like ninja's; warnings and errors
 * through term_warning and term_error, and the tail of a failed stage's
 * log.  -q: errors only.
 */
#ifndef CAIRN_STATUS_TERM_H
#define CAIRN_STATUS_TERM_H

#include "run_status.h"
#include "term.h"

struct status_term {
	struct run_status status;	/* what run_graph is given */
	struct term t;
	int table;	/* cairn status */
	int live;	/* one updating line */
	int line;	/* that line is on the screen */
};

/*
 * Set s up for a run with t's colour, -q and -v: table for `cairn
 * status`; the updating line only on a terminal (stdout, TERM set and
 * not "dumb"), not with -v or -q, not in a dry run.  Pass &s->status to
 * run_graph; s must outlive the run.
 */
void status_term_init(struct status_term *s, const struct term *t,
		      int dry_run, int table);

#endif
