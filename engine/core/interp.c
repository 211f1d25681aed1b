#include "buf.h"
#include "interp.h"
#include "util.h"

void strv_push(struct strv *s, const char *str)
{
	xgrow((void **)&s->v, &s->cap, s->n + 1, sizeof(char *));
	s->v[s->n++] = xstrdup(str);
}

void strv_release(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("_./:=,+-@%^", c);
}

void shell_quote(struct buf *out, const char *s)
{
	const char *p;
	int safe = *s != '\0';

	for (p = s; *p && safe; p++)
		safe = plain((unsigned char)*p);
	if (safe) {
		buf_adds(out, s);
		return;
	}
	buf_addc(out, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			buf_adds(out, "'\\''");
		else
			buf_addc(out, *p);
	}
	buf_addc(out, '\'');
}

int interp(const char *s, int shell, interp_fn fn, void *ctx,
	   struct buf *out, struct strv *many, size_t *at, struct buf *why)
{
	struct strv vals = { NULL, 0, 0 };
	const char *p = s;
	size_t i;

	while (*p) {
		const char *start, *end;
		char *ref;

		if (p[0] != '$') {
			buf_addc(out, *p++);
			continue;
		}
		if (p[1] == '$') {
			buf_addc(out, '$');
			p += 2;
			continue;
		}
		if (p[1] != '{') {
			buf_addc(out, *p++);
			continue;
		}
		start = p;
		end = strchr(p + 2, '}');
		*at = (size_t)(start - s);
		if (!end) {
			buf_adds(why, "unterminated '${' (missing '}')");
			return -1;
		}
		ref = xstrndup(p + 2, (size_t)(end - p - 2));
		vals.n = 0;
		if (!*ref) {
			free(ref);
			buf_adds(why, "empty reference '${}'");
			return -1;
		}
		if (fn(ctx, ref, &vals, why) < 0) {
			free(ref);
			strv_release(&vals);
			return -1;
		}
		if (!shell && vals.n != 1) {
			if (start == s && !end[1] && many) {
				for (i = 0; i < vals.n; i++)
					strv_push(many, vals.v[i]);
				free(ref);
				strv_release(&vals);
				return 0;
			}
			buf_addf(why,
				 "'${%s}' names %zu paths; a reference to "
				 "several must be a whole entry by itself",
				 ref, vals.n);
			free(ref);
			strv_release(&vals);
			return -1;
		}
		for (i = 0; i < vals.n; i++) {
			if (i)
				buf_addc(out, ' ');
			if (shell)
				shell_quote(out, vals.v[i]);
			else
				buf_adds(out, vals.v[i]);
			free(vals.v[i]);
		}
		vals.n = 0;
		free(ref);
		p = end + 1;
	}
	strv_release(&vals);
	return 0;
}
