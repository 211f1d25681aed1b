/*
 * The man pages, written from the same strings as 'cairn help': the
 * command table's summaries, usages and descriptions, the option tables'
 * names, placeholders and help lines.  Plain man(7) macros (TH, SH, TP,
 * PP, B), which groff, mandoc and every man(1) read.
 */
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "manpage.h"
#include "opt.h"
#include "version.h"

/*
 * Text as roff: a backslash is \e, a minus \- (a hyphen would not paste
 * as an option), a control character at the start of a line is made
 * text with \&, and an empty line starts a paragraph.
 */
static void roff_text(struct buf *out, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (bol && *s == '\n') {
			buf_adds(out, ".PP\n");
			continue;
		}
		if (bol && (*s == '.' || *s == '\''))
			buf_adds(out, "\\&");
		bol = *s == '\n';
		if (*s == '\\')
			buf_adds(out, "\\e");
		else if (*s == '-')
			buf_adds(out, "\\-");
		else
			buf_addc(out, *s);
	}
	if (!bol)
		buf_addc(out, '\n');
}

/* "RUN" for the title line, "run" elsewhere. */
static void roff_name(struct buf *out, const char *name, int upper)
{
	for (; *name; name++)
		if (*name == '-' || *name == ' ')
			buf_adds(out, "\\-");
		else
			buf_addc(out, upper && *name >= 'a' && *name <= 'z'
					      ? (char)(*name - 32)
					      : *name);
}

/* The title line of cairn(1) (cmd NULL) or cairn-CMD(1). */
static void title(struct buf *out, const char *cmd)
{
	buf_adds(out, ".TH CAIRN");
	if (cmd) {
		buf_adds(out, "\\-");
		roff_name(out, cmd, 1);
	}
	buf_addf(out, " 1 \"\" \"cairn %s\" \"cairn manual\"\n",
		 cairn_version());
}

/* One option as a tagged paragraph: -k, --name=ARG, then its help. */
static void option(struct buf *out, const struct opt_spec *o)
{
	const char *arg = o->argname ? o->argname : "VALUE";

	buf_adds(out, ".TP\n");
	if (o->key < 256)
		buf_addf(out, "\\fB\\-%c\\fR%s", o->key, o->name ? ", " : "");
	if (o->name) {
		buf_adds(out, "\\fB\\-\\-");
		roff_name(out, o->name, 0);
		buf_adds(out, "\\fR");
	}
	if (o->has_arg == 2)
		buf_adds(out, "[=\\fI");
	else if (o->has_arg)
		buf_adds(out, o->name ? "=\\fI" : " \\fI");
	if (o->has_arg) {
		roff_name(out, arg, 0);
		buf_adds(out, o->has_arg == 2 ? "\\fR]" : "\\fR");
	}
	buf_addc(out, '\n');
	roff_text(out, o->help);
}

static void options(struct buf *out, const char *heading,
		    const struct opt_spec *specs)
{
	static const struct opt_spec help = { "help", OPT_HELP, 0, NULL,
					      "show this help" };
	const struct opt_spec *s;

	buf_addf(out, ".SH %s\n", heading);
	for (s = specs; s && s->key; s++)
		option(out, s);
	option(out, &help);
}

void manpage_main(struct buf *out, const char *about,
		  const struct command *const *commands,
		  const struct opt_spec *global, const char *exit_status)
{
	size_t i;

	title(out, NULL);
	buf_adds(out, ".SH NAME\ncairn \\- run experiments described as a "
		      "graph of stages\n.SH SYNOPSIS\n.B cairn\n"
		      "[global options] <command> [<args>]\n"
		      ".SH DESCRIPTION\n");
	roff_text(out, about);
	buf_adds(out, ".PP\nEach command has a page of its own: "
		      "\\fBcairn\\-run\\fR(1) for \\fBcairn run\\fR, "
		      "and so on.\n.SH COMMANDS\n");
	for (i = 0; commands[i]; i++) {
		buf_adds(out, ".TP\n\\fB");
		roff_name(out, commands[i]->name, 0);
		buf_adds(out, "\\fR\n");
		roff_text(out, commands[i]->summary);
	}
	options(out, "GLOBAL OPTIONS", global);
	buf_adds(out, ".SH EXIT STATUS\n");
	roff_text(out, exit_status);
	buf_adds(out, ".SH SEE ALSO\n");
	for (i = 0; commands[i]; i++) {
		buf_adds(out, ".BR cairn\\-");
		roff_name(out, commands[i]->name, 0);
		buf_addf(out, " (1)%s\n", commands[i + 1] ? "," : "");
	}
}

void manpage_command(struct buf *out, const struct command *cmd)
{
	const char *rest = cmd->usage;
	size_t n = strlen(cmd->name);

	/* The usage starts with the name: the synopsis sets it in bold. */
	if (!strncmp(rest, cmd->name, n) && (!rest[n] || rest[n] == ' '))
		rest += n + (rest[n] == ' ');
	title(out, cmd->name);
	buf_adds(out, ".SH NAME\ncairn\\-");
	roff_name(out, cmd->name, 0);
	buf_adds(out, " \\- ");
	roff_text(out, cmd->summary);
	buf_adds(out, ".SH SYNOPSIS\n.B cairn ");
	roff_name(out, cmd->name, 0);
	buf_addc(out, '\n');
	if (*rest)
		roff_text(out, rest);
	buf_adds(out, ".SH DESCRIPTION\n");
	roff_text(out, cmd->description);
	options(out, "OPTIONS", cmd->opts);
	buf_adds(out, ".SH SEE ALSO\n.BR cairn (1)\n");
}
