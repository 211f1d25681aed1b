/*
 * stage_env.h: what a stage's command is given besides its command line:
 * the params file (JSON of its params and matrix values) and the
 * environment (CAIRN_STAGE, CAIRN_PARAMS_FILE, CAIRN_WORKSPACE,
 * CAIRN_IN_NAME and CAIRN_OUT_NAME for its named inputs and outputs).
 * Used by the run and by verify, which runs a stage in a scratch copy.
 */
#ifndef CAIRN_STAGE_ENV_H
#define CAIRN_STAGE_ENV_H

#include <stddef.h>

struct buf;
struct err;
struct graph;
struct graph_inst;

/* The instance's params and matrix values as two JSON objects. */
void stage_values(const struct graph *g, const struct graph_inst *in,
		  struct buf *params, struct buf *matrix);

/*
 * Write the params file under workspace (.cairn/params/HASH.json, named
 * by its content, so equal values share one) and set *path to it.  0, or
 * -1 with err.
 */
int stage_params_file(const struct graph *g, const struct graph_inst *in,
		      const char *workspace, struct buf *path, struct err *err);

/* "NAME=VALUE" strings (caller frees each and the array) for a command
 * run in workspace with params file params; *n of them. */
char **stage_env(const struct graph_inst *in, const char *workspace,
		 const char *params, size_t *n);

/*
 * The command line that runs instance in: its `cmd`, or for a built-in
 * kind this cairn binary's `kind-run KIND SETTINGS.json` (the settings,
 * defaults filled in, written under workspace/.cairn/params/ named by
 * their content).  0, or -1 with err.
 */
int stage_command(const struct graph_inst *in, const char *workspace,
		  struct buf *cmd, struct err *err);

/* Append name with '/' and ' ' made '_' (log file names). */
void stage_file_name(struct buf *b, const char *name);

#endif
