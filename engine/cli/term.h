/*
 * term.h: how the command line talks to a person: "cairn: error: ...",
 * "hint: ...", and colour only where it is wanted (a terminal, NO_COLOR
 * unset, TERM not "dumb", or --color=always).
 */
#ifndef CAIRN_TERM_H
#define CAIRN_TERM_H

#include <stdio.h>

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct term {
	int color_out;	/* colour on stdout */
	int color_err;	/* colour on stderr */
	int quiet;	/* -q: only errors */
	int verbose;	/* -v */
};

/* Decide colour for both streams from the mode and the environment. */
void term_init(struct term *t, enum color_mode mode);

/* Parse "auto", "always", "never"; -1 when s is none of them. */
int color_mode_parse(const char *s);

/* "cairn: error: <msg>" on stderr; msg may span lines. */
void term_error(const struct term *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "cairn: warning: <msg>" on stderr (not with -q). */
void term_warning(const struct term *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "hint: <msg>" on stderr. */
void term_hint(const struct term *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Escape sequences, or "" when colour is off for that stream. */
const char *term_bold(int on);
const char *term_red(int on);
const char *term_yellow(int on);
const char *term_green(int on);
const char *term_reset(int on);

#endif
