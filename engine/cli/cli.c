#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "kinds.h"
#include "err.h"
#include "manpage.h"
#include "suggest.h"
#include "util.h"

static const struct command *const commands[] = {
	&cmd_run,
	&cmd_status,
	&cmd_explain,
	&cmd_verify,
	&cmd_log,
	&cmd_logs,
	&cmd_runs,
	&cmd_diff,
	&cmd_metrics,
	&cmd_report,
	&cmd_lineage,
	&cmd_used_by,
	&cmd_dag,
	&cmd_kinds,
	&cmd_kind_run,
	&cmd_pin,
	&cmd_unpin,
	&cmd_graph,
	&cmd_store,
	&cmd_cat,
	&cmd_export,
	&cmd_show,
	&cmd_id,
	&cmd_fsck,
	&cmd_gc,
	&cmd_push,
	&cmd_pull,
	&cmd_remote,
	&cmd_key,
	&cmd_toml_json,
	&cmd_completion,
	&cmd_version,
	&cmd_help,
	NULL,
};

enum { OPT_COLOR = 256, OPT_VERSION, OPT_STORE, OPT_MAN };

static const struct opt_spec global_opts[] = {
	{ NULL, 'C', 1, "DIR", "run as if cairn was started in DIR" },
	{ "color", OPT_COLOR, 1, "WHEN",
	  "colour the output: auto (default), always, never" },
	{ "store", OPT_STORE, 1, "DIR",
	  "the store to use (default: $CAIRN_STORE, else .cairn/store)" },
	{ "quiet", 'q', 0, NULL, "print only errors" },
	{ "verbose", 'v', 0, NULL, "print more detail" },
	{ "version", OPT_VERSION, 0, NULL,
	  "show the version, build features and devices" },
	{ 0 },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/* The help's paragraphs that the man page cairn(1) has too. */
static const char about[] =
	"cairn runs experiments described as a graph of stages, skips what "
	"is up to date,\nand remembers who made every artifact.\n";
static const char exit_status[] =
	"Exit status: 0 success, 1 a stage or a check failed, 2 usage or "
	"graph-file\nerror, 3 store or internal error.\n";

const struct command *const *cli_commands(void)
{
	return commands;
}

const struct opt_spec *cli_global_opts(void)
{
	return global_opts;
}

static void main_help(struct buf *out)
{
	size_t i;

	buf_addf(out, "usage: cairn [global options] <command> [<args>]\n\n"
		      "%s\nCommands:\n", about);
	for (i = 0; commands[i]; i++)
		buf_addf(out, "  %-12s %s\n", commands[i]->name,
			 commands[i]->summary);
	buf_adds(out, "\nGlobal options:\n");
	opt_help(out, global_opts);
	buf_adds(out, "They may also follow the command (cairn run -q), but "
		      "for --version;\nan option of the command's own by "
		      "the same name is the command's.\n");
	buf_addf(out, "\nRun 'cairn help <command>' for the options of a "
		      "command.\n%s", exit_status);
}

static void command_help(struct buf *out, const struct command *cmd)
{
	static const struct opt_spec none[] = { { 0 } };

	buf_addf(out, "usage: cairn %s\n\n%s\n\nOptions:\n", cmd->usage,
		 cmd->description);
	opt_help(out, cmd->opts ? cmd->opts : none);
}

static void print(struct buf *b)
{
	fwrite(b->data, 1, b->len, stdout);
	buf_release(b);
}

int cli_usage_error(struct cli *cli, const struct command *cmd,
		    const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	term_error(&cli->term, "%s", b.data);
	buf_release(&b);
	if (cmd)
		term_hint(&cli->term, "usage: cairn %s (see 'cairn help %s')",
			  cmd->usage, cmd->name);
	else
		term_hint(&cli->term, "see 'cairn --help'");
	return EXIT_USAGE;
}

static int bad_color(struct cli *cli, const char *arg)
{
	term_error(&cli->term, "invalid value '%s' for '--color'", arg);
	term_hint(&cli->term, "use auto, always or never");
	return EXIT_USAGE;
}

static int change_dir(struct cli *cli, const char *dir)
{
	if (chdir(dir) == 0)
		return 0;
	term_error(&cli->term, "cannot change to directory '%s': %s", dir,
		   strerror(errno));
	return EXIT_USAGE;
}

/*
 * A global option given after the command (cairn run -q), applied at
 * once: as before the command, -C after -C changes from the first.  0, or
 * the exit code after saying why.
 */
static int after_global(struct cli *cli, int key, const char *arg)
{
	int quiet = cli->term.quiet, verbose = cli->term.verbose, mode;

	switch (key) {
	case 'C':
		return change_dir(cli, arg);
	case OPT_COLOR:
		if ((mode = color_mode_parse(arg)) < 0)
			return bad_color(cli, arg);
		term_init(&cli->term, (enum color_mode)mode);
		cli->term.quiet = quiet;
		cli->term.verbose = verbose;
		break;
	case OPT_STORE:
		cli->store = arg;
		break;
	case 'q':
		cli->term.quiet = 1;
		break;
	case 'v':
		cli->term.verbose = 1;
		break;
	case OPT_VERSION:
		term_error(&cli->term,
			   "option '--version' goes before the command");
		term_hint(&cli->term, "'cairn --version' shows the version");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * For a command with options of its own: its global options after the
 * command applied before it starts (it may copy cli first thing), and
 * passed over by cli_opt then.  What is wrong is left for the command to
 * say, at its own parse.
 */
static int globals_after(struct cli *cli, const struct command *cmd,
			 int argc, char **argv)
{
	struct opt_iter it;
	struct err err;
	int k, rc = 0;

	opt_init(&it, argc, argv, 1, 0);
	it.also = global_opts;
	while (!rc && (k = opt_next(&it, cmd->opts, &err)) > 0 &&
	       k != OPT_HELP)
		if (it.from_also)
			rc = after_global(cli, k, it.arg);
	opt_release(&it);
	cli->globals_done = 1;
	return rc;
}

int cli_opt(struct cli *cli, const struct command *cmd, struct opt_iter *it)
{
	static const struct opt_spec none[] = { { 0 } };
	struct err err;
	struct buf b = BUF_INIT;
	int k;

	it->also = global_opts;
	while ((k = opt_next(it, cmd->opts ? cmd->opts : none, &err)) > 0) {
		if (it->from_also) {
			if (!cli->globals_done &&
			    after_global(cli, k, it->arg))
				return -1;
		} else if (k == 'p') {
			if (cli_param(cli, it->arg))
				return -1;
		} else {
			break;
		}
	}
	if (k == OPT_HELP) {
		command_help(&b, cmd);
		print(&b);
		return -2;
	}
	if (k < 0) {
		term_error(&cli->term, "%s", err.msg);
		if (it->hint[0])
			term_hint(&cli->term, "%s", it->hint);
		else
			term_hint(&cli->term, "see 'cairn help %s'", cmd->name);
		return -1;
	}
	return k;
}

int cli_opt_exit(int k)
{
	return k == -2 ? EXIT_OK : EXIT_USAGE;
}

int cli_operands(struct cli *cli, const struct command *cmd, int argc,
		 char **argv, int max, struct opt_iter *it, int *rc)
{
	int flag;

	return cli_flag_operands(cli, cmd, argc, argv, max, it, &flag, rc);
}

int cli_flag_operands(struct cli *cli, const struct command *cmd, int argc,
		      char **argv, int max, struct opt_iter *it, int *flag,
		      int *rc)
{
	int k;

	*flag = 0;
	opt_init(it, argc, argv, 1, 0);
	while ((k = cli_opt(cli, cmd, it)) > 0)
		*flag = 1;
	if (k == 0 && it->noperands > max) {
		cli_usage_error(cli, cmd, "too many arguments");
		k = -1;
	}
	if (k < 0) {
		opt_release(it);
		*rc = cli_opt_exit(k);
		return -1;
	}
	return 0;
}

int cli_subcommand(struct cli *cli, const struct command *cmd,
		   const struct cli_sub *subs, size_t n, int argc, char **argv)
{
	struct suggest sg;
	struct opt_iter it;
	struct buf prefix = BUF_INIT;
	const char *hint;
	size_t i;
	int k, first;

	/* Global options may come before the subcommand too. */
	opt_init(&it, argc, argv, 1, 1);
	k = cli_opt(cli, cmd, &it);
	first = it.i;
	opt_release(&it);
	if (k < 0)
		return cli_opt_exit(k);
	if (k > 0 || first >= argc)
		return cli_usage_error(cli, cmd, "missing subcommand");
	argc -= first - 1;
	argv += first - 1;
	for (i = 0; i < n; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].run(cli, argc - 1, argv + 1);
	suggest_init(&sg, argv[1]);
	for (i = 0; i < n; i++)
		suggest_add(&sg, subs[i].name);
	buf_addf(&prefix, "%s ", cmd->name);
	hint = suggest_hint(&sg, prefix.data);
	term_error(&cli->term, "unknown subcommand '%s %s'", cmd->name,
		   argv[1]);
	if (hint)
		term_hint(&cli->term, "%s", hint);
	else
		term_hint(&cli->term, "see 'cairn help %s'", cmd->name);
	suggest_release(&sg);
	buf_release(&prefix);
	return EXIT_USAGE;
}

static int unknown_command(struct cli *cli, const char *name)
{
	struct suggest sg;
	const char *hint;
	size_t i;

	suggest_init(&sg, name);
	for (i = 0; commands[i]; i++)
		suggest_add(&sg, commands[i]->name);
	hint = suggest_hint(&sg, "");
	term_error(&cli->term, "unknown command '%s'", name);
	term_hint(&cli->term, "%s",
		  hint ? hint : "see 'cairn --help' for the commands");
	suggest_release(&sg);
	return EXIT_USAGE;
}

static const struct opt_spec help_opts[] = {
	{ "man", OPT_MAN, 0, NULL, "print it as a man page (roff)" },
	{ 0 },
};

static int help_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct opt_iter it;
	struct buf b = BUF_INIT;
	const struct command *c;
	int rc = EXIT_OK, man;

	if (cli_flag_operands(cli, cmd, argc, argv, 1, &it, &man, &rc) < 0)
		return rc;
	if (it.noperands == 0) {
		if (man)
			manpage_main(&b, about, commands, global_opts,
				     exit_status);
		else
			main_help(&b);
		print(&b);
	} else if ((c = find_command(it.operands[0]))) {
		if (man)
			manpage_command(&b, c);
		else
			command_help(&b, c);
		/* A command and a kind of one name (report): both. */
		if (!man && kind_find(it.operands[0])) {
			buf_addf(&b, "\n'%s' is also a built-in stage kind:\n\n",
				 it.operands[0]);
			kind_describe(kind_find(it.operands[0]), &b);
		}
		print(&b);
	} else if (man && kind_find(it.operands[0])) {
		rc = cli_usage_error(cli, cmd, "'%s' is a stage kind: "
				     "the man pages are of the commands",
				     it.operands[0]);
	} else if (kind_find(it.operands[0])) {
		kind_describe(kind_find(it.operands[0]), &b);
		print(&b);
	} else {
		rc = unknown_command(cli, it.operands[0]);
	}
	opt_release(&it);
	return rc;
}

const struct command cmd_help = {
	.name = "help",
	.summary = "show help for cairn or for one command",
	.usage = "help [--man] [<command>|<kind>]",
	.description = "Without a command, list the commands and the global "
		       "options; with one, show its\nusage, what it does and "
		       "its options; with a built-in stage kind (see 'cairn "
		       "kinds'),\nits settings, inputs, outputs and code "
		       "version. --man prints the same help as a man page "
		       "(roff):\ncairn(1), or cairn-COMMAND(1).",
	.opts = help_opts,
	.run = help_run,
};

int cli_main(int argc, char **argv)
{
	struct cli cli;
	struct opt_iter it;
	struct err err;
	struct buf b = BUF_INIT;
	const struct command *cmd;
	const char *dir = NULL;
	int k, rc, mode = COLOR_AUTO, quiet = 0, verbose = 0, version = 0;

	term_init(&cli.term, COLOR_AUTO);
	cli.store = NULL;
	cli.globals_done = 0;
	cli.ov = NULL;
	cli.nov = cli.capov = 0;
	cli.argv0 = argc > 0 ? argv[0] : "cairn";
	opt_init(&it, argc, argv, 1, 1);
	/* What follows --version is the version command's (--json). */
	while (!version && (k = opt_next(&it, global_opts, &err)) > 0) {
		switch (k) {
		case 'C':
			dir = it.arg;
			break;
		case OPT_COLOR:
			mode = color_mode_parse(it.arg);
			if (mode < 0) {
				opt_release(&it);
				return bad_color(&cli, it.arg);
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_VERSION:
			version = it.i;
			break;
		case OPT_STORE:
			cli.store = it.arg;
			break;
		case OPT_HELP:
			opt_release(&it);
			main_help(&b);
			print(&b);
			return EXIT_OK;
		}
	}
	if (k < 0) {
		term_error(&cli.term, "%s", err.msg);
		term_hint(&cli.term, "%s",
			  it.hint[0] ? it.hint
				     : "see 'cairn --help' for the options");
		opt_release(&it);
		return EXIT_USAGE;
	}
	term_init(&cli.term, (enum color_mode)mode);
	cli.term.quiet = quiet;
	cli.term.verbose = verbose;
	k = it.i;
	opt_release(&it);
	if (dir && change_dir(&cli, dir))
		return EXIT_USAGE;
	if (version)
		return cmd_version.run(&cli, &cmd_version, argc - version + 1,
				       argv + version - 1);
	if (k >= argc) {
		main_help(&b);
		fwrite(b.data, 1, b.len, stderr);
		buf_release(&b);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[k]);
	if (!cmd)
		return unknown_command(&cli, argv[k]);
	if (cmd->opts && (rc = globals_after(&cli, cmd, argc - k, argv + k)))
		return rc;
	k = cmd->run(&cli, cmd, argc - k, argv + k);
	cli_params_release(&cli);
	return k;
}
