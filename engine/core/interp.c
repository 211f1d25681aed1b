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

void refv_push(struct refv *r, const char *str)
{
	xgrow((void **)&r->v, &r->cap, r->n + 1, sizeof(char *));
	r->v[r->n++] = str;
}

void refv_release(struct refv *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

/* Characters the shell takes as themselves, anywhere in a word. */
static int plain(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '_': case '.': case '/': case ':': case '=': case ',':
	case '+': case '-': case '@': case '%': case '^':
		return 1;
	default:
		return 0;
	}
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
	   struct buf *out, struct refv *many, struct refv *vals, size_t *at,
	   struct buf *why)
{
	const char *p = s;
	char small[128], *ref = NULL;
	size_t i;
	int rc = -1;

	while (*p) {
		const char *start, *end, *lit = strchr(p, '$');
		size_t n;

		if (!lit) {
			buf_adds(out, p);
			break;
		}
		buf_add(out, p, (size_t)(lit - p));
		p = lit;
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
			goto out;
		}
		/* The reference's text, on the stack when it is short. */
		n = (size_t)(end - p - 2);
		if (ref != small)
			free(ref);
		ref = n < sizeof(small) ? small : xmalloc(n + 1);
		memcpy(ref, p + 2, n);
		ref[n] = '\0';
		vals->n = 0;
		if (!n) {
			buf_adds(why, "empty reference '${}'");
			goto out;
		}
		if (fn(ctx, ref, vals, why) < 0)
			goto out;
		if (!shell && vals->n != 1) {
			if (start == s && !end[1] && many) {
				for (i = 0; i < vals->n; i++)
					refv_push(many, vals->v[i]);
				rc = 0;
				goto out;
			}
			buf_addf(why,
				 "'${%s}' names %zu paths; a reference to "
				 "several must be a whole entry by itself",
				 ref, vals->n);
			goto out;
		}
		for (i = 0; i < vals->n; i++) {
			if (i)
				buf_addc(out, ' ');
			if (shell)
				shell_quote(out, vals->v[i]);
			else
				buf_adds(out, vals->v[i]);
		}
		p = end + 1;
	}
	rc = 0;
out:
	if (ref != small)
		free(ref);
	vals->n = 0;
	return rc;
}
