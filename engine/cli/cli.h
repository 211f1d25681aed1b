/*
 * cli.h: the command line.  cairn [global options] <command> [args], git
 * style.  Each command is one struct command, its handler in cmd_*.c; this
 * is the only layer that prints errors and chooses exit codes.
 */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdint.h>

#include "opt.h"
#include "term.h"

/* Exit codes; docs/cli.md documents them. */
enum {
	EXIT_OK = 0,		/* success */
	EXIT_FAILED = 1,	/* a stage or a check failed */
	EXIT_USAGE = 2,		/* usage or graph-file error */
	EXIT_INTERNAL = 3,	/* store or internal error */
};

struct cli {
	struct term term;
	const char *argv0;
	const char *store;	/* --store DIR, or NULL */
};

struct command {
	const char *name;
	const char *summary;		/* one line for 'cairn --help' */
	const char *usage;		/* after "usage: cairn " */
	const char *description;	/* paragraphs for 'cairn help NAME' */
	const struct opt_spec *opts;	/* ends with a zero entry */
	int (*run)(struct cli *cli, const struct command *cmd, int argc,
		   char **argv);	/* argv[0] is the command name */
};

/* The whole program: parse global options, dispatch, return exit code. */
int cli_main(int argc, char **argv);

/*
 * Next option of cmd (see opt_next).  Return its key, 0 when done, and on
 * a bad option print the error and hint and return -1 (exit EXIT_USAGE);
 * on -h/--help print the command's help and return -2 (exit EXIT_OK).
 */
int cli_opt(struct cli *cli, const struct command *cmd, struct opt_iter *it);
/* Map cli_opt's negative results to an exit code. */
int cli_opt_exit(int k);

/*
 * For a command with no options of its own: parse argv[1..] (only -h and
 * --help), allowing at most max operands, left in it->operands.  Return 0
 * to go on (opt_release(it) when done), or -1 with the exit code in *rc
 * after printing the help or a usage error (it is released then).
 */
int cli_operands(struct cli *cli, const struct command *cmd, int argc,
		 char **argv, int max, struct opt_iter *it, int *rc);

/* Print "cairn: error: <msg>" and the command's usage hint; EXIT_USAGE. */
int cli_usage_error(struct cli *cli, const struct command *cmd,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct err;
struct store;

/* The store's directory: --store, else $CAIRN_STORE, else .cairn/store. */
const char *cli_store_path(const struct cli *cli);
/*
 * Open the store (flags: enum store_open_flags).  Return 0, or print the
 * error and return the exit code.
 */
int cli_store_open(struct cli *cli, unsigned flags, struct store **out);
/* Print a store error and return its exit code (2 for a bad or unknown
 * id, 3 for everything else). */
int cli_store_fail(struct cli *cli, int rc, const struct err *err);
/*
 * Mark this process live on s ("COMMAND WORKSPACE") so gc spares what it
 * stores until store_live_end(s, *mark); 0, or print why and return 3.
 */
int cli_live_begin(struct cli *cli, struct store *s, const char *command,
		   const char *workspace, int64_t *mark);

struct graph_override;
/* The graph file: given, else cairn.toml, else the only *.toml here;
 * 0, or an exit code after printing why. */
int cli_find_graph(struct cli *cli, const char *given, char **out);
struct graph;
/* 1 when s names a graph file (ends in .toml): a first operand to take
 * as the graph rather than a target. */
int cli_is_graph_file(const char *s);
/* A graph's store: --store, $CAIRN_STORE, the graph's `store` (relative
 * to the workspace), else WORKSPACE/.cairn/store.  Caller frees. */
char *cli_graph_store(const struct cli *cli, const struct graph *g);
/*
 * For the queries: the graph given, else the one here (cairn.toml or the
 * only *.toml), loaded into *g, and its store opened (flags as for
 * store_open); with no graph here, *g is NULL and the store is
 * cli_store_path's.  0 or an exit code after printing why.
 */
int cli_query_open(struct cli *cli, const char *given, unsigned flags,
		   struct graph **g, struct store **s);
/* Parse "-p name=value" (name allocated); 0 or an exit code. */
int cli_override(struct cli *cli, const char *arg, struct graph_override *ov);

/* Commands, in the order 'cairn --help' lists them. */
extern const struct command cmd_run;
extern const struct command cmd_status;
extern const struct command cmd_explain;
extern const struct command cmd_log;
extern const struct command cmd_runs;
extern const struct command cmd_diff;
extern const struct command cmd_metrics;
extern const struct command cmd_lineage;
extern const struct command cmd_used_by;
extern const struct command cmd_dag;
extern const struct command cmd_kinds;
extern const struct command cmd_kind_run;
extern const struct command cmd_verify;
extern const struct command cmd_pin;
extern const struct command cmd_unpin;
extern const struct command cmd_graph;
extern const struct command cmd_store;
extern const struct command cmd_cat;
extern const struct command cmd_export;
extern const struct command cmd_show;
extern const struct command cmd_fsck;
extern const struct command cmd_gc;
extern const struct command cmd_toml_json;
extern const struct command cmd_version;
extern const struct command cmd_help;

#endif
