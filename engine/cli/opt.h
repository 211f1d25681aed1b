/*
 * opt.h: command-line options, git style.  Long options are --name,
 * --name=VALUE or --name VALUE; short ones -k, -kVALUE, -k VALUE, and
 * clusters like -qv.  "--" ends the options; "-" is an operand.  Options
 * and operands may be mixed unless the iterator stops at the first operand
 * (the global options before a command).  -h and --help are always known.
 */
#ifndef CAIRN_OPT_H
#define CAIRN_OPT_H

struct buf;
struct err;

struct opt_spec {
	const char *name;	/* long name without "--", or NULL */
	int key;		/* short letter, or >= 256 for long-only */
	int has_arg;		/* 1 when the option takes a value; 2 when
				   it may (long only: --name=VALUE; a bare
				   --name gives arg NULL) */
	const char *argname;	/* value placeholder in help, e.g. "DIR" */
	const char *help;	/* one line for the help text */
};

#define OPT_HELP 'h'

struct opt_iter {
	int argc;
	char **argv;
	int i;			/* next argument to look at */
	const char *cluster;	/* rest of a -abc cluster, or NULL */
	int stop_at_operand;	/* stop at the first operand */
	const char *arg;	/* value of the option just returned */
	char **operands;	/* operands seen so far (into argv) */
	int noperands;
	const struct opt_spec *also;	/* known besides specs, or NULL */
	int from_also;		/* 1 when the option just returned is
				   one of also's */
	char hint[160];		/* "did you mean ..." after an error, or "" */
};

/* Start iterating over argv[first..argc). */
void opt_init(struct opt_iter *it, int argc, char **argv, int first,
	      int stop_at_operand);
void opt_release(struct opt_iter *it);

/*
 * Return the next option's key (its value in it->arg), 0 when the options
 * are done (operands in it->operands; with stop_at_operand, it->i is the
 * first operand), or -1 with a message in err and maybe a hint in it->hint.
 */
int opt_next(struct opt_iter *it, const struct opt_spec *specs,
	     struct err *err);

/* Append the help lines of specs (aligned two-column list) to out. */
void opt_help(struct buf *out, const struct opt_spec *specs);

#endif
