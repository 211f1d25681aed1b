/*
 * graph.h: a graph file, loaded, interpolated, expanded and validated.
 *
 * graph_load() reads the TOML, checks every key and type, expands each
 * stage's matrix into instances, interpolates ${...} in every string,
 * resolves references between stages into edges, and checks the whole
 * (cycles, outputs claimed twice, inputs that nothing provides, paths that
 * leave the workspace) before anything runs.  Every error points at the
 * file, line and column of the value at fault.  docs/graph-format.md is
 * the reference.
 */
#ifndef CAIRN_GRAPH_H
#define CAIRN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "statmany.h"

struct arena;
struct err;
struct toml_doc;
struct toml_value;

/* A -p name=value override (value parsed as a TOML value). */
struct graph_override {
	const char *name;
	const char *value;
};

struct graph_param {
	char *name;
	const struct toml_value *value;	/* in the document or the override */
	int overridden;
};

/* One matrix binding of an instance: name = value (as text). */
struct graph_bind {
	const char *name;
	const char *text;		/* the value as it appears in names */
	const struct toml_value *value;
};

struct graph_path {
	const char *name;		/* the input/output name ("" for list) */
	char *path;			/* workspace-relative, normalised */
	struct graph_inst *from;	/* producing instance, or NULL */
	const char *from_out;		/* which of its outputs */
	int line, col;			/* where it is written */
	/* What the checks saw of a source input or an output when the graph
	 * was loaded (seen: 1 exists, -1 missing, 0 not looked at), so the
	 * first scan need not stat it again. */
	struct filestat st;
	int seen;
	int hash;			/* outputs: enum graph_hash */
};

/* How an output's id is taken (docs/hashing.md): its bytes, or for HDF5
 * its logical content. */
enum graph_hash { GRAPH_HASH_BYTES = 0, GRAPH_HASH_HDF5 = 1 };

struct graph_stage;

/* How a stage's outputs are compared by verify (docs/graph-format.md). */
enum graph_determinism {
	DET_BITWISE,		/* byte for byte (the default) */
	DET_SEMANTIC,		/* after a normaliser: JSON, text, HDF5 */
	DET_NONDETERMINISTIC,	/* not verified */
};

/* One instance of a stage: the stage with its matrix values bound. */
struct graph_inst {
	struct graph_stage *stage;
	char *name;			/* "train" or "train[lr=0.1,met=true]" */
	struct graph_bind *binds;
	size_t nbinds;
	char *cmd;			/* interpolated, shell-quoted; or NULL */
	struct graph_path *deps, *outs, *code;
	size_t ndeps, nouts, ncode;
	const char **params;		/* names of the params it uses, sorted */
	size_t nparams;
	char *wdir;			/* workspace-relative; "" for the root */
	char **metrics;			/* metrics files, workspace-relative */
	char *settings;			/* a kind's settings, JSON, resolved */
	size_t nmetrics;
	size_t index;			/* position in graph->insts */
	int mark;			/* scratch for graph walks */
};

struct stage_kind;

/* A declared plot (the stage's 'plots'): output out is shown as `as`:
 * its form ("series", "image"), a space, and a JSON object of "out" and
 * the settings given ("x", "y", "title"), for the report's drawers. */
struct graph_plot {
	char *out;
	char *as;
};

struct graph_stage {
	char *name;
	const struct toml_value *table;
	const char *kind;		/* built-in kind, or NULL for cmd */
	const struct stage_kind *kdesc;	/* its descriptor */
	const struct toml_value *with;	/* settings of a kind, or NULL */
	char **env;			/* environment variables in the key */
	size_t nenv;
	char **metrics;
	size_t nmetrics;
	int cpus, gpus;			/* resources (0: not declared) */
	uint64_t mem;			/* bytes */
	uint64_t time_s;		/* seconds */
	int always_run;
	int determinism;		/* enum graph_determinism */
	const char *executor;		/* "local", "slurm", or NULL: the
					   graph's (points into the TOML) */
	struct graph_plot *plots;	/* its 'plots' */
	size_t nplots;
	size_t ninsts;			/* how many instances it has */
	size_t load_first;		/* loading only: its first instance
					   before the topological reorder */
	unsigned keys;			/* loading: which keys its table has
					   (bits of graph_internal.h's enum
					   stage_key) */
};

/* The most instances a graph may expand to (docs/graph-format.md). */
#define GRAPH_MAX_INSTANCES 10000000ULL

struct graph {
	char *file;			/* the graph file as given */
	char *name;
	char *workspace;		/* absolute */
	char *store;			/* as configured, or NULL */
	char *executor;			/* "local" or "slurm" */
	struct graph_slurm {		/* [executor.slurm] */
		char *partition, *account, *qos;
		char *sbatch_args;	/* more sbatch arguments, split on
					   spaces */
		int max_jobs;		/* jobs in flight at most (0: -j) */
		double poll_s;		/* first status poll interval */
	} slurm;
	struct toml_doc *doc;
	struct toml_doc *overrides;	/* -p values, parsed */
	struct graph_param *params;
	size_t nparams;
	struct graph_stage *stages;
	size_t nstages;
	struct graph_inst *insts;	/* in topological order */
	size_t ninsts;
	struct graph_inst **by_name;	/* insts sorted by name */
	/* The [stage] table: stages[i] is its i-th entry, found by name
	 * through the table's index (graph_stage_find). */
	const struct toml_value *stage_table;
	/* The instances' strings and arrays (names, commands, paths,
	 * bindings): one arena, freed with the graph. */
	struct arena *mem;
	/* Where graph_load's time went (ns, for --profile): the file
	 * parsed (its bytes), the stages read and their matrices expanded,
	 * the graph checked (edges, claims, order, paths stat-ed). */
	int64_t parse_ns, expand_ns, check_ns;
	uint64_t file_bytes;
};

/* How st's output named out is plotted (graph_plot.as), or NULL. */
const char *graph_plot_as(const struct graph_stage *st, const char *out);

/* The stage named name, or NULL. */
struct graph_stage *graph_stage_find(const struct graph *g, const char *name);

/*
 * Load and validate the graph in file.  ov[0..nov) override params.
 * Return 0 with *out set (free with graph_free), or -1 with the message in
 * err.  Nothing is run or written.
 */
int graph_load(const char *file, const struct graph_override *ov,
	       size_t nov, struct graph **out, struct err *err);
void graph_free(struct graph *g);

/* The instance named name, or NULL. */
struct graph_inst *graph_find(const struct graph *g, const char *name);

/* in's outputs, inputs and code files as one list, in that order: the
 * j-th (j < nouts + ndeps + ncode). */
struct graph_path *graph_path_at(const struct graph_inst *in, size_t j);

/* Does pat name in: its name, its stage's name, or a glob over either
 * ("train[k=a]" is taken literally first, brackets and all)? */
int graph_inst_matches(const struct graph_inst *in, const char *pat);
/* 0 when some instance matches pat; else -1 with "no stage or instance
 * matches 'pat'; did you mean 'x'?" in err. */
int graph_check_target(const struct graph *g, const char *pat,
		       struct err *err);

/* Forget what graph_load saw of the files (they may have changed since). */
void graph_forget_stats(struct graph *g);

/*
 * Refuse (-1, "file:line:col: ..." with a caret in err) when an output of g
 * is, holds or lies inside path (absolute, or relative to the workspace):
 * what names it for the message ("the store").  graph_load already checks
 * the workspace, .cairn, .git, the graph file, its lock file and the
 * configured store; a command whose store was given elsewhere (--store,
 * CAIRN_STORE) checks that too.
 */
int graph_protect_path(const struct graph *g, const char *path,
		       const char *what, struct err *err);
/* The same for rel, workspace-relative and normalised. */
int graph_protected_at(const struct graph *g, const char *rel,
		       const char *what, struct err *err);

/* Whether name is an executor cairn has ("local", "slurm"). */
int graph_executor_known(const char *name);

#endif
