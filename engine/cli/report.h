/*
 * report.h: `cairn report`, one self-contained HTML file about a graph
 * and its runs (docs/report.md).  report_data.c gathers what it shows
 * from the graph, the store and the lock file (struct report); the
 * writers turn that into text with no clock and no machine in it, so
 * identical data gives identical bytes: report_html.c the page,
 * report_dag.c the graph's picture, report_chart.c the timeline; the
 * pictures of the outputs are stages/plot.h's (the `report` kind draws
 * them too).
 */
#ifndef CAIRN_REPORT_H
#define CAIRN_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct digest;
struct err;
struct graph;
struct graph_inst;
struct graph_stage;
struct plot_src;
struct runrec;
struct store;

/* What a run would do to an instance, as the report colours it. */
enum report_state {
	REPORT_UPTODATE,	/* its outputs are the recorded ones */
	REPORT_RESTORABLE,	/* a recorded run's outputs are stored */
	REPORT_WOULD_RUN,	/* it would run (or waits for one that will) */
	REPORT_FAILED,		/* as WOULD_RUN, and its last run failed */
	REPORT_NEVER,		/* as WOULD_RUN, and it never ran */
	REPORT_NSTATES
};

/* "up to date", "restorable", "would run", "failed", "never run". */
const char *report_state_name(int state);
/* Its colour in the pictures (CSS), and the CSS class ("s0".."s4"). */
const char *report_state_color(int state);

struct report_inst {
	const struct graph_inst *in;
	int state;			/* enum report_state */
	const struct runrec *run;	/* the run behind its outputs: the
					   lock file's key's, else its
					   newest; NULL: none */
	const struct runrec *last;	/* its newest run (may have failed) */
	uint64_t *out_size;		/* per output of run: bytes, or
					   UINT64_MAX when the store lacks it */
};

/* One bar of the timeline: an instance's part in the last run. */
struct report_bar {
	size_t inst;		/* into report.insts */
	int64_t start_ns, end_ns;
	int restored;		/* restored (a mark at end_ns), else ran */
	int ok;
	int lane;		/* slot: bars of a lane never overlap */
};

/* The lock file's state beside the workspace. */
enum report_lock {
	REPORT_LOCK_ABSENT,	/* no lock file */
	REPORT_LOCK_CURRENT,	/* every instance up to date, as it says */
	REPORT_LOCK_STALE,	/* some instance would change it */
};

struct report {
	const struct graph *g;
	struct store *s;		/* the store its runs are in, or NULL */
	char *lock_path;		/* the lock file's path, as found */
	int lock;			/* enum report_lock */
	size_t lock_entries;		/* entries it holds */
	struct report_inst *insts;	/* one per graph instance, in order */
	size_t ninsts;
	struct runrec *runs;		/* every run of the graph (owned) */
	size_t nruns;
	int64_t newest_ns;		/* the end of the newest run; 0: none */
	struct report_bar *bars;	/* the last run, by start */
	size_t nbars;
	int nlanes;
	int64_t now_ns;			/* when it was made (--now), or 0 */
};

/*
 * Gather r for g: the instances' states (state[i], what a dry run
 * decided for g->insts[i]: an enum report_state of the first three, or
 * -1 when no store exists), their runs from store s (NULL: none), the
 * sizes of their outputs, the last run's timeline, the
 * lock file.  0, or a store code with err set.  report_release(r) after.
 */
int report_gather(struct report *r, const struct graph *g, struct store *s,
		  const int *state, struct err *err);
void report_release(struct report *r);

/* The whole page into out. */
void report_html(struct buf *out, const struct report *r);

/* The graph: one node per stage (a matrix's instances collapsed, with
 * their count), coloured by state, linked to the stage's section. */
void report_dag_svg(struct buf *out, const struct report *r);

/* The last run as a Gantt chart: a row per slot, ran and restored
 * coloured apart; nothing when r has no bars. */
void report_gantt_svg(struct buf *out, const struct report *r);

/* "pooling=cls,met=true", or the instance's name when it has no matrix. */
void report_inst_label(struct buf *out, const struct graph_inst *in);

/* A stage's artifacts, for its pictures (plot.h): the outputs of the run
 * behind each instance's outputs, read from the store, those of at most
 * REPORT_ART_MAX bytes. */
#define REPORT_ART_MAX (256ull << 20)
struct report_art {
	struct plot_src *src;
	size_t n, cap;
	struct buf *bytes, *labels;	/* what src points into */
	size_t bcap, lcap;
};
void report_artifacts(const struct report *r, const struct graph_stage *st,
		      struct report_art *a);
void report_artifacts_free(struct report_art *a);
/* A stored blob's bytes appended to out; 0, or -1 (not stored, or it
 * cannot be read). */
int report_read_blob(struct store *s, const struct digest *id,
		     struct buf *out);

/* One side of `cairn report --compare` (report_compare.c): what the
 * command line named, and the runs it stands for. */
struct report_side {
	const char *what;		/* as given */
	char *desc;			/* "run 1a2b3c4d5e6f", "instance
					   'train[k=1]'", "lock file 'x.lock'" */
	struct runrec *runs;		/* a run (an id, an instance) or one
					   per entry (a lock file) */
	size_t n;
	size_t missing;			/* lock entries with no stored run */
};
void report_side_release(struct report_side *side);

/*
 * The comparison page of a against b into out: the instances paired (the
 * one run of each side, else by instance name), for each pair its params,
 * matrix values and metrics side by side (the delta, which side is
 * better by plot_smaller_better), inputs and outputs by id, rows that
 * differ marked, and the pictures of both sides' outputs overlaid (read
 * from store s: A and B two members).  now_ns: when it was made, or 0.
 * Returns how many pairs differ, *npairs how many there are.
 */
size_t report_compare_html(struct buf *out, struct store *s,
			   const struct report_side *a,
			   const struct report_side *b, int64_t now_ns,
			   size_t *npairs);

#endif
