/*
 * cli.h: the command line.  cairn [global options] <command> [args], git
 * style.  Each command is one struct command, its handler in cmd_*.c; this
 * is the only layer that prints errors and chooses exit codes.
 */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stddef.h>
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
	int globals_done;	/* the global options after the command
				   were applied before it started */
	struct graph_override *ov;	/* the command's -p overrides */
	size_t nov, capov;
};

struct command {
	const char *name;
	const char *summary;		/* one line for 'cairn --help' */
	const char *usage;		/* after "usage: cairn " */
	const char *description;	/* paragraphs for 'cairn help NAME' */
	const struct opt_spec *opts;	/* ends with a zero entry */
	int (*run)(struct cli *cli, const struct command *cmd, int argc,
		   char **argv);	/* argv[0] is the command name */
	/* Its subcommands ("store add": usage and options, run NULL),
	 * NULL-terminated, for completion; NULL when it has none. */
	const struct command *const *subs;
};

/* The whole program: parse global options, dispatch, return exit code. */
int cli_main(int argc, char **argv);

/* The commands in 'cairn --help' order, NULL-terminated, and the global
 * options (ending with a zero entry): for completion and man pages. */
const struct command *const *cli_commands(void);
const struct opt_spec *cli_global_opts(void);

/*
 * Next option of cmd (see opt_next).  Return its key, 0 when done, and on
 * a bad option print the error and hint and return -1 (exit EXIT_USAGE);
 * on -h/--help print the command's help and return -2 (exit EXIT_OK).
 * -p (CLI_OPT_PARAM) is parsed here, never returned.
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
/* cli_operands for a command whose one option is a flag (such as
 * --json): *flag is 1 when it is given. */
int cli_flag_operands(struct cli *cli, const struct command *cmd, int argc,
		      char **argv, int max, struct opt_iter *it, int *flag,
		      int *rc);

/*
 * A command made of subcommands (cairn store add, cairn remote list...):
 * run the one argv[1] names among subs[0..n) with argv + 1; a missing or
 * unknown one is a usage error (with a did-you-mean).
 */
struct cli_sub {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
};
int cli_subcommand(struct cli *cli, const struct command *cmd,
		   const struct cli_sub *subs, size_t n, int argc, char **argv);

/* Print "cairn: error: <msg>" and the command's usage hint; EXIT_USAGE. */
int cli_usage_error(struct cli *cli, const struct command *cmd,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct digest;
struct err;
struct graph;
struct graph_override;
struct store;

/*
 * The -p option of the commands that load a graph.  cli_opt parses it
 * (into cli->ov; the key 'p' is kept for it) and cli_session_graph
 * applies it.
 */
#define CLI_OPT_PARAM \
	{ "param", 'p', 1, "NAME=VALUE", "override a param (a TOML value)" }

/*
 * session.c: what a command opens first and closes last.  The graph file
 * (given, else cairn.toml, else the only *.toml here), the graph loaded
 * with the -p overrides, the store (--store, $CAIRN_STORE, the graph's
 * `store`, else .cairn/store) opened; cli_session_close releases it all,
 * however far the opening went.  Each step returns 0, or the exit code
 * after printing why.
 */
struct cli_session {
	char *file;		/* the graph file, or NULL */
	struct graph *g;	/* the graph loaded, or NULL */
	char *store_path;	/* the store's directory (once the graph step ran) */
	struct store *s;	/* the store opened, or NULL */
	int64_t live_mark;	/* cli_session_live's mark on s */
	int live;		/* 1 while that mark is set */
};

#define CLI_SESSION_INIT { NULL, NULL, NULL, NULL, 0, 0 }

enum cli_session_flags {
	/* The graph: */
	CLI_GRAPH = 1 << 0,		/* required */
	CLI_GRAPH_IF_HERE = 1 << 1,	/* when one is given or here */
	CLI_GRAPH_FOR_STORE = 1 << 2,	/* as CLI_GRAPH_IF_HERE, only when
					 * the store is the graph's (no
					 * --store, no $CAIRN_STORE) */
	/* The store; a missing one is an error (exit 2) that says 'cairn
	 * run' creates it, unless: */
	CLI_STORE = 1 << 3,		/* open it to write */
	CLI_STORE_RDONLY = 1 << 4,	/* open it read-only */
	CLI_STORE_CREATE = 1 << 5,	/* open it, created when missing */
	CLI_STORE_IF_THERE = 1 << 6,	/* read-only when it opens; *s NULL
					 * and nothing said otherwise */
};

/* The graph step of flags (given: a graph file named on the command
 * line, or NULL); cs->store_path is set after it. */
int cli_session_graph(struct cli *cli, const char *given, unsigned flags,
		      struct cli_session *cs);
/* Its first half: which graph file (cs->file; kept when already set),
 * not yet loaded. */
int cli_session_file(struct cli *cli, const char *given, unsigned flags,
		     struct cli_session *cs);
/* The store step of flags, after the graph step. */
int cli_session_store(struct cli *cli, unsigned flags,
		      struct cli_session *cs);
/*
 * Folder path (a workspace's .cairn) made when missing, with a .gitignore
 * of "*" in it, so that `git add -A` never takes the store, logs or locks
 * kept there; one already there is left as it is.  0, or the exit code
 * after saying why.
 */
int cli_cairn_dir(struct cli *cli, const char *path);
/* Both steps. */
int cli_session_open(struct cli *cli, const char *given, unsigned flags,
		     struct cli_session *cs);
/*
 * Mark this process live on the store ("COMMAND WORKSPACE") so gc spares
 * what it stores until cli_session_close; needs the graph and the store.
 */
int cli_session_live(struct cli *cli, const char *command,
		     struct cli_session *cs);
/* End the live mark (a failure is a warning), close the store, free the
 * rest (the graph only under CAIRN_FREE_AT_EXIT: the process exits
 * next); cs is CLI_SESSION_INIT again. */
void cli_session_close(struct cli *cli, struct cli_session *cs);

/*
 * cmd_run.c: for status and explain where nothing has run (cs's store
 * path does not exist): an empty store opened as cs->s in a new temporary
 * folder, *dir (remove_tree it, then free it, after closing the session),
 * so that nothing is made in the workspace.  0, or the exit code after
 * saying why.
 */
int cli_scratch_store(struct cli *cli, struct cli_session *cs, char **dir);

/* 1 when the first operand names a graph file (ends in .toml): the graph,
 * and the targets after it; else 0. */
int cli_graph_operand(const struct opt_iter *it);
/* Parse "-p name=value" into cli->ov (cli_opt does); 0 or an exit code. */
int cli_param(struct cli *cli, const char *arg);
/* Free cli->ov. */
void cli_params_release(struct cli *cli);

/* For the commands on the store alone: its directory (--store, else
 * $CAIRN_STORE, else .cairn/store), and the store opened (flags: enum
 * store_open_flags; a missing one is an error that says 'cairn store
 * add' creates it). */
const char *cli_store_path(const struct cli *cli);
int cli_store_open(struct cli *cli, unsigned flags, struct store **out);
/* Print a store error and return its exit code (2 for a bad or unknown
 * id, 3 for everything else). */
int cli_store_fail(struct cli *cli, int rc, const struct err *err);
/* An id from the command line: 64 hex digits as they are (a source file
 * the store never held still has lineage), else a prefix of one in s;
 * 0 or an exit code. */
int cli_parse_id(struct cli *cli, struct store *s, const char *arg,
		 struct digest *id);
/* cmd_objects.c: the run that made id (is_run: the run id is), the newest
 * when several did: 1 with *out filled (runrec_release it), 0 when the
 * store knows none. */
struct runrec;
int cli_made_by(struct store *s, const struct digest *id, int is_run,
		struct runrec *out);
/* cmd_id.c: the id the store gives path (a file's bytes, an HDF5 file's
 * content unless by_bytes, a folder's tree), *kind "blob", "hdf5" or
 * "tree"; 0 or -1 with err set.  Reads no store. */
int cli_path_id(const char *path, int by_bytes, struct digest *out,
		const char **kind, struct err *err);

/* cmd_runs.c: does run r belong to stage, instance or glob pat; and is a
 * pattern that names nothing the graph has and no run in v[0..n) had a
 * typo (0, or EXIT_USAGE after saying so, with a did-you-mean)? */
struct runrec;
int cli_of_stage(const struct runrec *r, const char *pat);
int cli_known_stage(struct cli *cli, const struct graph *g,
		    const struct runrec *v, size_t n, const char *pat);
/* cmd_runs.c: the run what names among v[0..n) (runrec_all's, newest
 * first): a run id (a prefix of 6 or more hex digits) or an instance
 * (its newest run, skip runs back); 0 with *out filled (runrec_release
 * it), or the exit code after saying why ("'X' is neither a run id nor
 * an instance with recorded runs": EXIT_USAGE). */
int cli_pick_run(struct cli *cli, struct store *s, const struct runrec *v,
		 size_t n, const char *what, int skip, struct runrec *out);

/* `cairn store roots` and `cairn store unroot` (cmd_roots.c), and their
 * usage and options. */
int run_store_roots(struct cli *cli, int argc, char **argv);
int run_store_unroot(struct cli *cli, int argc, char **argv);
extern const struct command cmd_store_roots;
extern const struct command cmd_store_unroot;

/* Commands, in the order 'cairn --help' lists them. */
extern const struct command cmd_run;
extern const struct command cmd_status;
extern const struct command cmd_explain;
extern const struct command cmd_log;
extern const struct command cmd_logs;
extern const struct command cmd_runs;
extern const struct command cmd_diff;
extern const struct command cmd_metrics;
extern const struct command cmd_report;
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
extern const struct command cmd_id;
extern const struct command cmd_fsck;
extern const struct command cmd_gc;
extern const struct command cmd_push;
extern const struct command cmd_pull;
extern const struct command cmd_remote;
extern const struct command cmd_key;
extern const struct command cmd_toml_json;
extern const struct command cmd_completion;
extern const struct command cmd_version;
extern const struct command cmd_help;

#endif
