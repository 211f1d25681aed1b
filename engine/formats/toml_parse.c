/*
 * TOML documents: lines, comments, keys, [tables], [[arrays of tables]],
 * arrays and inline tables, and every rule about what may define or extend
 * what.  Scalars are in toml_scalar.c, the value tree in toml_table.c.
 *
 * How tables may be extended (TOML 1.0.0, section "Table"), by flag:
 *   TOML_IMPLICIT  created as the parent in a header path; a later header
 *                  may define it once (it then becomes TOML_HEADER)
 *   TOML_HEADER    defined by a header; never defined again, never
 *                  extended by dotted keys; sub-tables by header are fine
 *   TOML_DOTTED    created by a dotted key; more dotted keys may add to
 *                  it (they can only reach it from the same section), a
 *                  header may not define it, but may define sub-tables
 *   TOML_INLINE    sealed: nothing may be added, by any means
 * Arrays: TOML_AOT ones grow with [[header]]; TOML_STATIC ones are sealed.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "err.h"
#include "toml_internal.h"
#include "utf8.h"
#include "util.h"

struct keypart {
	const char *key;	/* unescaped: a bare key in the source (not
				   NUL-terminated), a quoted one in the
				   arena */
	size_t len;
	int quoted;
	const char *at;		/* where it is written */
	int line, col;		/* the same, located */
};

struct keypath {
	struct keypart *parts;
	size_t len, cap;
};

static int nested_too_deep(struct parser *p, const char *at)
{
	return toml_perr(p, at,
			 "tables and arrays are nested too deeply (more than "
			 "%d levels)",
			 TOML_MAX_DEPTH);
}

/* Characters in s[0..n) (valid UTF-8): its bytes less its continuation
 * bytes (10xxxxxx), counted eight at a time.  Every key and value is
 * located as it is read. */
static int chars(const char *s, size_t n)
{
	const uint64_t highs = 0x8080808080808080ull;
	size_t c = n, i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, x;

		memcpy(&w, s + i, 8);
		x = w & ~(w << 1) & highs;
		c -= (size_t)(((x >> 7) * 0x0101010101010101ull) >> 56);
	}
	for (; i < n; i++)
		c -= ((unsigned char)s[i] & 0xc0) == 0x80;
	return (int)c;
}

void toml_locate(struct parser *p, const char *at, int *line, int *col)
{
	const char *s, *ls;
	int l;

	if (at >= p->line_start) {
		*line = p->line;
		if (!p->col_at || p->col_at < p->line_start || p->col_at > at) {
			p->col_at = p->line_start;
			p->col = 1;
		}
		p->col += chars(p->col_at, (size_t)(at - p->col_at));
		p->col_at = at;
		*col = p->col;
		return;
	}
	/* Somewhere earlier (the start of a multi-line string): rescan. */
	for (l = 1, ls = s = p->src; s < at; s++)
		if (*s == '\n') {
			l++;
			ls = s + 1;
		}
	*line = l;
	*col = 1 + chars(ls, (size_t)(at - ls));
}

int toml_perr(struct parser *p, const char *at, const char *fmt, ...)
{
	va_list ap;
	int line, col;

	toml_locate(p, at, &line, &col);
	va_start(ap, fmt);
	err_vat(p->err, p->file, p->src, (size_t)(p->end - p->src), line, col,
		fmt, ap);
	va_end(ap);
	return -1;
}

void toml_newline(struct parser *p)
{
	p->p += *p->p == '\r' ? 2 : 1;
	p->line++;
	p->line_start = p->p;
	p->col_at = NULL;
}

const char *toml_describe(struct parser *p, const char *s, char buf[32])
{
	unsigned char c;
	size_t k;

	if (s >= p->end)
		return "end of file";
	c = (unsigned char)*s;
	if (c == '\n' || (c == '\r' && s + 1 < p->end && s[1] == '\n'))
		return "end of line";
	if (c == '\r')
		return "a carriage return not followed by a line feed";
	if (c >= 0x20 && c < 0x7f) {
		snprintf(buf, 32, "'%c'", c);
		return buf;
	}
	if (c < 0x80) {
		snprintf(buf, 32, "control character U+%04X", c);
		return buf;
	}
	k = utf8_valid_prefix_char(s, (size_t)(p->end - s));
	snprintf(buf, 32, "'%.*s'", (int)k, s);
	return buf;
}

static void skip_ws(struct parser *p)
{
	while (p->p < p->end && (*p->p == ' ' || *p->p == '\t'))
		p->p++;
}

static int at_newline(struct parser *p)
{
	return p->p < p->end &&
	       (*p->p == '\n' ||
		(*p->p == '\r' && p->p + 1 < p->end && p->p[1] == '\n'));
}

/* A comment from '#' to the end of the line (not consumed). */
static int comment(struct parser *p)
{
	const char *s = p->p + 1;

	for (; s < p->end; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || (c == '\r' && s + 1 < p->end && s[1] == '\n'))
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return toml_perr(p, s,
					 "control character U+%04X is not "
					 "allowed in a comment",
					 c);
	}
	p->p = s;
	return 0;
}

/* Whitespace, newlines and comments, as allowed inside an array. */
static int skip_ws_nl(struct parser *p)
{
	for (;;) {
		skip_ws(p);
		if (p->p >= p->end)
			return 0;
		if (*p->p == '#') {
			if (comment(p) < 0)
				return -1;
		} else if (at_newline(p)) {
			toml_newline(p);
		} else {
			return 0;
		}
	}
}

static int is_bare(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Render parts[0..n) as written in TOML, for messages. */
static const char *keystr(struct buf *b, const struct keypart *parts,
			  size_t n)
{
	size_t i, j;

	buf_truncate(b, 0);
	for (i = 0; i < n; i++) {
		int bare = parts[i].len > 0;
		for (j = 0; j < parts[i].len; j++)
			bare &= is_bare(parts[i].key[j]);
		if (i)
			buf_addc(b, '.');
		if (bare) {
			buf_add(b, parts[i].key, parts[i].len);
			continue;
		}
		buf_addc(b, '"');
		for (j = 0; j < parts[i].len; j++) {
			unsigned char c = (unsigned char)parts[i].key[j];
			if (c == '"' || c == '\\')
				buf_addf(b, "\\%c", c);
			else if (c < 0x20 || c == 0x7f)
				buf_addf(b, "\\u%04X", c);
			else
				buf_addc(b, (char)c);
		}
		buf_addc(b, '"');
	}
	return b->data;
}

/* A (dotted) key at p->p into path. */
static int key(struct parser *p, struct keypath *path)
{
	char what[32];

	path->len = 0;
	for (;;) {
		struct keypart *k;
		const char *s = p->p;

		xgrow((void **)&path->parts, &path->cap, path->len + 1,
		      sizeof(*path->parts));
		k = &path->parts[path->len++];
		k->at = s;
		toml_locate(p, s, &k->line, &k->col);
		k->quoted = s < p->end && (*s == '"' || *s == '\'');
		if (k->quoted) {
			if (toml_parse_quoted_key(p, &k->key, &k->len) < 0)
				return -1;
		} else {
			while (s < p->end && is_bare(*s))
				s++;
			if (s == p->p)
				return toml_perr(p, s,
						 "expected a key, found %s%s",
						 toml_describe(p, s, what),
						 s < p->end &&
						 (unsigned char)*s >= 0x80
						 ? " (keys other than A-Z a-z "
						   "0-9 _ - must be quoted)"
						 : "");
			/* Copied only when it names something new. */
			k->key = p->p;
			k->len = (size_t)(s - p->p);
			p->p = s;
		}
		skip_ws(p);
		if (p->p >= p->end || *p->p != '.')
			return 0;
		p->p++;
		skip_ws(p);
	}
}

static const char *an(enum toml_type t)
{
	switch (t) {
	case TOML_ARRAY: return "an array";
	case TOML_INTEGER: return "an integer";
	case TOML_DATETIME: return "an offset date-time";
	case TOML_DATETIME_LOCAL: return "a local date-time";
	case TOML_DATE_LOCAL: return "a local date";
	case TOML_TIME_LOCAL: return "a local time";
	case TOML_STRING: return "a string";
	case TOML_FLOAT: return "a float";
	case TOML_BOOL: return "a boolean";
	case TOML_TABLE: return "a table";
	}
	BUG("bad toml type %d", (int)t);
}

static struct toml_value *value(struct parser *p, unsigned depth);

/* Key part k as the document keeps it. */
static const char *kept(struct parser *p, const struct keypart *k)
{
	return k->quoted ? k->key : arena_strndup(p->arena, k->key, k->len);
}

static struct toml_value *new_table(struct parser *p, struct toml_value *parent,
				    const struct keypart *k, unsigned flags)
{
	struct toml_value *t;
	struct toml_kv *kv;

	if (parent->depth + 1 > TOML_MAX_DEPTH) {
		nested_too_deep(p, k->at);
		return NULL;
	}
	t = toml_new(p, TOML_TABLE, k->at, parent->depth + 1);
	t->flags = flags;
	kv = toml_insert(p, parent, kept(p, k), k->len, t);
	kv->line = t->line;
	kv->col = t->col;
	return t;
}

/* key = value, into table t. */
static int keyval(struct parser *p, struct toml_value *t,
		  struct keypath *path)
{
	struct buf b = BUF_INIT;
	struct keypart last;
	struct toml_value *v;
	struct toml_kv *kv;
	size_t i, n;
	char what[32];
	int rc = -1;

	if (key(p, path) < 0)
		return -1;
	n = path->len;
	if (p->p >= p->end || *p->p != '=')
		return toml_perr(p, p->p, "expected '=' after the key, found %s",
				 toml_describe(p, p->p, what));
	p->p++;
	skip_ws(p);
	for (i = 0; i + 1 < n; i++) {
		const struct keypart *k = &path->parts[i];

		kv = toml_find(t, k->key, k->len);
		if (!kv) {
			t = new_table(p, t, k, TOML_DOTTED);
			if (!t)
				goto out;
			continue;
		}
		v = kv->value;
		if (v->type != TOML_TABLE) {
			struct buf whole = BUF_INIT;

			toml_perr(p, k->at,
				  "cannot use dotted key '%s': '%s' is %s "
				  "(defined at line %d), not a table",
				  keystr(&whole, path->parts, n),
				  keystr(&b, path->parts, i + 1), an(v->type),
				  kv->line);
			buf_release(&whole);
			goto out;
		}
		if (v->flags & TOML_INLINE) {
			toml_perr(p, k->at,
				  "cannot add to inline table '%s' (defined "
				  "at line %d): an inline table is complete "
				  "as written",
				  keystr(&b, path->parts, i + 1), kv->line);
			goto out;
		}
		if (!(v->flags & TOML_DOTTED)) {
			toml_perr(p, k->at,
				  "cannot add to table '%s' with a dotted key: "
				  "it is defined by a [table] header (line %d)",
				  keystr(&b, path->parts, i + 1), kv->line);
			goto out;
		}
		t = v;
	}
	last = path->parts[n - 1];
	kv = toml_find(t, last.key, last.len);
	if (kv) {
		toml_perr(p, last.at, "duplicate key '%s' (first defined at "
				      "line %d)",
			  keystr(&b, path->parts, n), kv->line);
		goto out;
	}
	v = value(p, t->depth + 1);
	if (!v)
		goto out;
	kv = toml_insert(p, t, kept(p, &last), last.len, v);
	kv->line = last.line;
	kv->col = last.col;
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

static void seal(struct toml_value *t)
{
	size_t i;

	t->flags |= TOML_INLINE;
	for (i = 0; i < t->u.table.len; i++) {
		struct toml_value *v = t->u.table.kv[i].value;
		if (v->type == TOML_TABLE && !(v->flags & TOML_INLINE))
			seal(v);
	}
}

static int inline_table(struct parser *p, struct toml_value *v)
{
	const char *open = p->p;
	struct keypath path = { 0 };
	char what[32];
	int rc = -1;

	if (v->depth > TOML_MAX_DEPTH)
		return nested_too_deep(p, open);
	v->type = TOML_TABLE;
	v->flags = TOML_INLINE;		/* sealed below; one slot to start */
	p->p++;
	skip_ws(p);
	if (p->p < p->end && *p->p == '}') {
		p->p++;
		seal(v);
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (p->p < p->end && *p->p == '}') {
			toml_perr(p, p->p,
				  "trailing comma not allowed in an inline "
				  "table");
			goto out;
		}
		if (p->p >= p->end || at_newline(p)) {
			toml_perr(p, p->p,
				  "unterminated inline table: expected a key, "
				  "found %s (an inline table must be on one "
				  "line)",
				  toml_describe(p, p->p, what));
			goto out;
		}
		if (keyval(p, v, &path) < 0)
			goto out;
		skip_ws(p);
		if (p->p < p->end && *p->p == ',') {
			p->p++;
			continue;
		}
		if (p->p < p->end && *p->p == '}') {
			p->p++;
			break;
		}
		if (p->p >= p->end || at_newline(p))
			toml_perr(p, p->p,
				  "unterminated inline table: expected ',' or "
				  "'}', found %s (an inline table must be on "
				  "one line)",
				  toml_describe(p, p->p, what));
		else
			toml_perr(p, p->p,
				  "expected ',' or '}' in inline table, found "
				  "%s",
				  toml_describe(p, p->p, what));
		goto out;
	}
	toml_close(p, v);
	seal(v);
	rc = 0;
out:
	free(path.parts);
	return rc;
}

static int array(struct parser *p, struct toml_value *v)
{
	const char *open = p->p;
	char what[32];

	if (v->depth > TOML_MAX_DEPTH)
		return nested_too_deep(p, open);
	v->type = TOML_ARRAY;
	v->flags = TOML_STATIC;
	p->p++;
	for (;;) {
		struct toml_value *item;

		if (skip_ws_nl(p) < 0)
			return -1;
		if (p->p >= p->end)
			return toml_perr(p, open, "unterminated array "
						  "(missing ']')");
		if (*p->p == ']') {
			p->p++;
			toml_close(p, v);
			return 0;
		}
		item = value(p, v->depth + 1);
		if (!item)
			return -1;
		toml_push(p, v, item);
		if (skip_ws_nl(p) < 0)
			return -1;
		if (p->p >= p->end)
			return toml_perr(p, open, "unterminated array "
						  "(missing ']')");
		if (*p->p == ',') {
			p->p++;
			continue;
		}
		if (*p->p == ']') {
			p->p++;
			toml_close(p, v);
			return 0;
		}
		return toml_perr(p, p->p,
				 "expected ',' or ']' after an array element, "
				 "found %s",
				 toml_describe(p, p->p, what));
	}
}

static struct toml_value *value(struct parser *p, unsigned depth)
{
	const char *s = p->p;
	struct toml_value *v;
	char what[32];
	int rc;

	if (s >= p->end || at_newline(p) || *s == '#' || *s == ',' ||
	    *s == ']' || *s == '}' || *s == '=' ||
	    ((unsigned char)*s < 0x20 && *s != '\t')) {
		toml_perr(p, s, "expected a value, found %s",
			  toml_describe(p, s, what));
		return NULL;
	}
	v = toml_new(p, TOML_STRING, s, depth);
	if (*s == '"' || *s == '\'')
		rc = toml_parse_string(p, v);
	else if (*s == '[')
		rc = array(p, v);
	else if (*s == '{')
		rc = inline_table(p, v);
	else if (is_bare(*s) || *s == '+' || *s == '.' || *s == ':')
		rc = toml_parse_bare(p, v);
	else
		rc = toml_perr(p, s, "expected a value, found %s",
			       toml_describe(p, s, what));
	return rc < 0 ? NULL : v;
}

/* [a.b.c] or [[a.b.c]]: return the table that keys now go into. */
static struct toml_value *header(struct parser *p, struct keypath *path)
{
	const char *open = p->p;
	int aot = open + 1 < p->end && open[1] == '[';
	struct toml_value *t = p->doc->root, *v;
	struct buf b = BUF_INIT;
	struct toml_kv *kv;
	const struct keypart *k;
	char what[32];
	size_t i, n;

	p->p += aot ? 2 : 1;
	skip_ws(p);
	if (key(p, path) < 0)
		goto fail;
	if (p->p >= p->end || *p->p != ']' ||
	    (aot && (p->p + 1 >= p->end || p->p[1] != ']'))) {
		const char *at = aot && p->p < p->end && *p->p == ']'
					 ? p->p + 1 : p->p;

		toml_perr(p, at, "expected '%s' to close the %s, found %s",
			  aot ? "]]" : "]",
			  aot ? "array-of-tables header" : "table header",
			  toml_describe(p, at, what));
		goto fail;
	}
	p->p += aot ? 2 : 1;
	n = path->len;
	for (i = 0; i + 1 < n; i++) {
		k = &path->parts[i];
		kv = toml_find(t, k->key, k->len);
		if (!kv) {
			t = new_table(p, t, k, TOML_IMPLICIT);
			if (!t)
				goto fail;
			continue;
		}
		v = kv->value;
		if (v->type == TOML_ARRAY && (v->flags & TOML_AOT)) {
			t = v->u.array.items[v->u.array.len - 1];
		} else if (v->type == TOML_ARRAY) {
			toml_perr(p, k->at,
				  "cannot add to '%s' (defined at line %d): "
				  "it is a static array, not an array of "
				  "tables",
				  keystr(&b, path->parts, i + 1), kv->line);
			goto fail;
		} else if (v->type != TOML_TABLE) {
			toml_perr(p, k->at,
				  "'%s' is already %s (defined at line %d), "
				  "not a table",
				  keystr(&b, path->parts, i + 1), an(v->type),
				  kv->line);
			goto fail;
		} else if (v->flags & TOML_INLINE) {
			toml_perr(p, k->at,
				  "cannot add to inline table '%s' (defined "
				  "at line %d): an inline table is complete "
				  "as written",
				  keystr(&b, path->parts, i + 1), kv->line);
			goto fail;
		} else {
			t = v;
		}
	}
	k = &path->parts[n - 1];
	kv = toml_find(t, k->key, k->len);
	if (!kv && !aot) {
		t = new_table(p, t, k, TOML_HEADER);
	} else if (!kv) {
		struct toml_value *arr;

		if (t->depth + 2 > TOML_MAX_DEPTH) {
			nested_too_deep(p, k->at);
			goto fail;
		}
		arr = toml_new(p, TOML_ARRAY, k->at, t->depth + 1);
		arr->flags = TOML_AOT;
		kv = toml_insert(p, t, kept(p, k), k->len, arr);
		kv->line = arr->line;
		kv->col = arr->col;
		t = toml_new(p, TOML_TABLE, k->at, arr->depth + 1);
		t->flags = TOML_HEADER;
		toml_push(p, arr, t);
	} else if (aot) {
		v = kv->value;
		if (v->type == TOML_ARRAY && (v->flags & TOML_AOT)) {
			t = toml_new(p, TOML_TABLE, k->at, v->depth + 1);
			t->flags = TOML_HEADER;
			toml_push(p, v, t);
		} else if (v->type == TOML_ARRAY) {
			toml_perr(p, k->at,
				  "cannot add to '%s' with [[%s]]: it is a "
				  "static array (defined at line %d)",
				  keystr(&b, path->parts, n),
				  keystr(&b, path->parts, n), kv->line);
			goto fail;
		} else {
			toml_perr(p, k->at,
				  "'%s' is already %s (defined at line %d) "
				  "and cannot become an array of tables",
				  keystr(&b, path->parts, n), an(v->type),
				  kv->line);
			goto fail;
		}
	} else {
		v = kv->value;
		if (v->type == TOML_TABLE && v->flags == TOML_IMPLICIT) {
			v->flags = TOML_HEADER;
			t = v;
		} else if (v->type == TOML_TABLE && (v->flags & TOML_DOTTED)) {
			toml_perr(p, k->at,
				  "table '%s' is already defined by dotted "
				  "keys (line %d)",
				  keystr(&b, path->parts, n), kv->line);
			goto fail;
		} else if (v->type == TOML_TABLE && (v->flags & TOML_INLINE)) {
			toml_perr(p, k->at,
				  "table '%s' is already defined as an inline "
				  "table (line %d)",
				  keystr(&b, path->parts, n), kv->line);
			goto fail;
		} else if (v->type == TOML_TABLE) {
			toml_perr(p, k->at,
				  "table '%s' is already defined (line %d)",
				  keystr(&b, path->parts, n), kv->line);
			goto fail;
		} else if (v->type == TOML_ARRAY && (v->flags & TOML_AOT)) {
			toml_perr(p, k->at,
				  "'%s' is already an array of tables (defined "
				  "at line %d); use [[%s]] to add an element",
				  keystr(&b, path->parts, n), kv->line,
				  keystr(&b, path->parts, n));
			goto fail;
		} else {
			toml_perr(p, k->at,
				  "'%s' is already %s (defined at line %d), "
				  "not a table",
				  keystr(&b, path->parts, n), an(v->type),
				  kv->line);
			goto fail;
		}
	}
	if (!t)
		goto fail;
	buf_release(&b);
	return t;
fail:
	buf_release(&b);
	return NULL;
}

static int document(struct parser *p)
{
	struct toml_value *cur = p->doc->root;
	struct keypath path = { 0 };
	const char *after;
	char what[32];
	int rc = -1;

	while (p->p < p->end) {
		skip_ws(p);
		if (p->p >= p->end)
			break;
		after = NULL;
		if (*p->p == '[') {
			cur = header(p, &path);
			if (!cur)
				goto out;
			after = "the table header";
		} else if (*p->p == '#' || at_newline(p)) {
			;
		} else if (is_bare(*p->p) || *p->p == '"' || *p->p == '\'') {
			if (keyval(p, cur, &path) < 0)
				goto out;
			after = "the value";
		} else {
			toml_perr(p, p->p,
				  "expected a key or a [table] header, found %s%s",
				  toml_describe(p, p->p, what),
				  (unsigned char)*p->p >= 0x80
					  ? " (keys other than A-Z a-z 0-9 _ - "
					    "must be quoted)"
					  : "");
			goto out;
		}
		skip_ws(p);
		if (p->p < p->end && *p->p == '#' && comment(p) < 0)
			goto out;
		if (p->p >= p->end)
			break;
		if (!at_newline(p)) {
			toml_perr(p, p->p, "expected end of line after %s, found %s",
				  after ? after : "the comment",
				  toml_describe(p, p->p, what));
			goto out;
		}
		toml_newline(p);
	}
	rc = 0;
out:
	free(path.parts);
	return rc;
}

/* Parse src[0..len) (malloc'd, NUL at src[len]), which doc then owns. */
static int parse_owned(char *src, size_t len, const char *filename,
		       struct toml_doc **out, struct err *err)
{
	struct toml_doc *doc = xcalloc(1, sizeof(*doc));
	struct parser p;
	size_t bad;
	int rc;

	*out = NULL;
	doc->filename = xstrdup(filename);
	doc->src = src;
	doc->len = len;

	memset(&p, 0, sizeof(p));
	p.src = p.p = p.line_start = doc->src;
	p.end = doc->src + len;
	p.file = doc->filename;
	p.line = 1;
	p.doc = doc;
	p.arena = &doc->arena;
	p.err = err;
	buf_init(&p.scratch);

	bad = len > UINT32_MAX ? 0 : utf8_validate(doc->src, len);
	if (len > UINT32_MAX) {
		/* Tables and arrays count their entries in 32 bits. */
		err_set(err, "%s: a TOML file of more than 4 GiB is not "
			     "supported",
			doc->filename);
		rc = -1;
	} else if (bad != len) {
		p.line_start = p.end;	/* force toml_locate to rescan */
		rc = toml_perr(&p, doc->src + bad,
			       "invalid UTF-8 (byte 0x%02X)",
			       (unsigned char)doc->src[bad]);
	} else {
		/* A byte order mark is not TOML, but editors write one. */
		if (len >= 3 && !memcmp(p.p, "\xef\xbb\xbf", 3))
			p.p += 3;
		doc->root = toml_new(&p, TOML_TABLE, p.p, 0);
		doc->root->flags = TOML_HEADER;
		rc = document(&p);
	}
	buf_release(&p.scratch);
	if (rc < 0) {
		toml_doc_free(doc);
		return -1;
	}
	*out = doc;
	return 0;
}

int toml_parse(const char *src, size_t len, const char *filename,
	       struct toml_doc **out, struct err *err)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, src, len);
	copy[len] = '\0';
	return parse_owned(copy, len, filename, out, err);
}

int toml_parse_file(const char *path, struct toml_doc **out, struct err *err)
{
	int is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "rbe");
	struct buf b = BUF_INIT;
	struct stat st;
	size_t n;

	*out = NULL;
	if (!f)
		return err_errno(err, "cannot open '%s'", path), -2;
	/* One buffer of the file's size, read into and parsed in place. */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		buf_reserve(&b, (size_t)st.st_size + 1);
	do {
		if (b.cap - b.len < 2)
			buf_reserve(&b, 65536);
		n = fread(b.data + b.len, 1, b.cap - b.len - 1, f);
		b.len += n;
		b.data[b.len] = '\0';
	} while (n > 0);
	if (ferror(f)) {
		err_errno(err, "cannot read '%s'", is_stdin ? "<stdin>" : path);
		if (!is_stdin)
			fclose(f);
		buf_release(&b);
		return -2;
	}
	if (!is_stdin)
		fclose(f);
	n = b.len;
	return parse_owned(buf_detach(&b, NULL), n, is_stdin ? "<stdin>" : path,
			   out, err);
}
