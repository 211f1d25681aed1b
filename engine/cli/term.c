#include <stdarg.h>
#include <unistd.h>

#include "term.h"
#include "util.h"

static int wants_color(int fd, enum color_mode mode)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode == COLOR_ALWAYS)
		return 1;
	if (mode == COLOR_NEVER)
		return 0;
	if (no && *no)
		return 0;
	if (!term || !strcmp(term, "dumb"))
		return 0;
	return isatty(fd);
}

void term_init(struct term *t, enum color_mode mode)
{
	t->color_out = wants_color(STDOUT_FILENO, mode);
	t->color_err = wants_color(STDERR_FILENO, mode);
	t->quiet = 0;
	t->verbose = 0;
}

int color_mode_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return COLOR_AUTO;
	if (!strcmp(s, "always"))
		return COLOR_ALWAYS;
	if (!strcmp(s, "never"))
		return COLOR_NEVER;
	return -1;
}

const char *term_bold(int on) { return on ? "\033[1m" : ""; }
const char *term_red(int on) { return on ? "\033[1;31m" : ""; }
const char *term_yellow(int on) { return on ? "\033[1;33m" : ""; }
const char *term_green(int on) { return on ? "\033[32m" : ""; }
const char *term_reset(int on) { return on ? "\033[0m" : ""; }

static void say(const struct term *t, const char *prefix, const char *label,
		const char *paint, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s%s%s%s ", prefix, paint, label,
		term_reset(t->color_err));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void term_error(const struct term *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(t, "cairn: ", "error:", term_red(t->color_err), fmt, ap);
	va_end(ap);
}

void term_warning(const struct term *t, const char *fmt, ...)
{
	va_list ap;

	if (t->quiet)
		return;
	va_start(ap, fmt);
	say(t, "cairn: ", "warning:", term_yellow(t->color_err), fmt, ap);
	va_end(ap);
}

void term_hint(const struct term *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(t, "", "hint:", term_bold(t->color_err), fmt, ap);
	va_end(ap);
}
