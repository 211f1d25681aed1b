/*
 * manpage.h: the help of 'cairn help' as man pages (roff, man(7)
 * macros): cairn(1) from the command table and the global options, and
 * cairn-NAME(1) for each command from its usage, description and options.
 * 'cairn help --man [COMMAND]' prints them; the build writes them all.
 */
#ifndef CAIRN_MANPAGE_H
#define CAIRN_MANPAGE_H

struct buf;
struct command;
struct opt_spec;

/*
 * Append cairn(1) to out: about (the paragraph under the usage), the
 * commands (NULL-terminated), the global options and the exit status.
 */
void manpage_main(struct buf *out, const char *about,
		  const struct command *const *commands,
		  const struct opt_spec *global, const char *exit_status);

/* Append cairn-NAME(1), the page of cmd, to out. */
void manpage_command(struct buf *out, const struct command *cmd);

#endif
