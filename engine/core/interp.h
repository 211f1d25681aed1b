/*
 * interp.h: ${...} interpolation.  "${params.lr}" is replaced by what the
 * resolver says the reference means; "$$" is a literal "$".  In a shell
 * command every substituted value is shell-quoted (so a parameter can
 * never inject a command) and several values are joined by spaces.
 */
#ifndef CAIRN_INTERP_H
#define CAIRN_INTERP_H

#include <stddef.h>

struct buf;

struct strv {
	char **v;
	size_t n, cap;
};

void strv_push(struct strv *s, const char *str);
void strv_release(struct strv *s);

/* Strings borrowed from their owner, who keeps them alive: what a
 * reference resolves to.  A million instances interpolate several
 * references each; copying every value would cost more than the rest. */
struct refv {
	const char **v;
	size_t n, cap;
};

void refv_push(struct refv *r, const char *str);
void refv_release(struct refv *r);

/*
 * Resolve ref (the text inside ${}) into one or more values appended to
 * vals, each of which must stay valid until interp returns.  Return 0, or
 * -1 with a message in why ("unknown param 'x'").
 */
typedef int (*interp_fn)(void *ctx, const char *ref, struct refv *vals,
			 struct buf *why);

/*
 * Expand s into out.  shell: quote each value for /bin/sh.  Without shell,
 * a reference giving several values is an error unless it is the whole
 * string (then every value is pushed to many, as the resolver gave it,
 * and out is left empty).  vals is scratch for the resolver's answers,
 * kept by the caller between calls (a million instances expand several
 * strings each).  On error return -1 with the message in why and the
 * offset of the offending "${" in *at.
 */
int interp(const char *s, int shell, interp_fn fn, void *ctx,
	   struct buf *out, struct refv *many, struct refv *vals, size_t *at,
	   struct buf *why);

/* Append s to out quoted for /bin/sh (unquoted when it is safe as is). */
void shell_quote(struct buf *out, const char *s);

#endif
