#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "utf8.h"
#include "util.h"

#define JSON_DEPTH 256

struct jp {
	const char *s, *end, *name, *line_start;
	int line;
	struct err *err;
	const char *col_at;	/* where col was last counted (its line's) */
	int col;
};

static int fail(struct jp *p, const char *at, const char *what)
{
	int col = 1;
	const char *c;

	for (c = p->line_start; c < at && c < p->end; c++)
		col += ((unsigned char)*c & 0xc0) != 0x80;
	err_set(p->err, "%s:%d:%d: %s", p->name, p->line, col, what);
	return -1;
}

static void ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' ||
				 *p->s == '\n' || *p->s == '\r')) {
		if (*p->s == '\n') {
			p->line++;
			p->line_start = p->s + 1;
		}
		p->s++;
	}
}

static struct json *node(struct jp *p, enum json_type t)
{
	struct json *j = xcalloc(1, sizeof(*j));
	const char *c;

	j->type = t;
	j->line = p->line;
	/* Counted on from the last node's column, not from the line's
	 * start: a record on one long line has as many nodes as bytes (the
	 * parser never goes back). */
	if (!p->col_at || p->col_at < p->line_start) {
		p->col_at = p->line_start;
		p->col = 1;
	}
	for (c = p->col_at; c < p->s; c++)
		p->col += ((unsigned char)*c & 0xc0) != 0x80;
	p->col_at = p->s;
	j->col = p->col;
	return j;
}

static int hex4(struct jp *p, uint32_t *out)
{
	int i;

	*out = 0;
	if (p->end - p->s < 4)
		return fail(p, p->s, "a \\u escape needs four hex digits");
	for (i = 0; i < 4; i++) {
		int v = hex_value(p->s[i]);
		if (v < 0)
			return fail(p, p->s + i, "a \\u escape needs four hex "
						 "digits");
		*out = *out * 16 + (uint32_t)v;
	}
	p->s += 4;
	return 0;
}

static int string(struct jp *p, struct buf *b)
{
	const char *start = p->s;

	p->s++;	/* the quote */
	while (p->s < p->end && *p->s != '"') {
		unsigned char c = (unsigned char)*p->s;
		uint32_t cp, lo;
		char u[4];

		if (c < 0x20)
			return fail(p, p->s, "control character in a string");
		if (c != '\\') {
			size_t ok = utf8_valid_prefix_char(p->s,
							   (size_t)(p->end - p->s));
			if (!ok)
				return fail(p, p->s, "invalid UTF-8");
			buf_add(b, p->s, ok);
			p->s += ok;
			continue;
		}
		if (++p->s >= p->end)
			break;
		switch (*p->s++) {
		case '"': buf_addc(b, '"'); break;
		case '\\': buf_addc(b, '\\'); break;
		case '/': buf_addc(b, '/'); break;
		case 'b': buf_addc(b, '\b'); break;
		case 'f': buf_addc(b, '\f'); break;
		case 'n': buf_addc(b, '\n'); break;
		case 'r': buf_addc(b, '\r'); break;
		case 't': buf_addc(b, '\t'); break;
		case 'u':
			if (hex4(p, &cp) < 0)
				return -1;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (p->end - p->s < 2 || p->s[0] != '\\' ||
				    p->s[1] != 'u')
					return fail(p, p->s, "unpaired surrogate");
				p->s += 2;
				if (hex4(p, &lo) < 0)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(p, p->s - 6,
						    "unpaired surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return fail(p, p->s - 6, "unpaired surrogate");
			}
			if (cp == 0)
				return fail(p, p->s - 6, "\\u0000 is not "
							 "supported");
			buf_add(b, u, utf8_encode(cp, u));
			break;
		default:
			return fail(p, p->s - 1, "invalid escape");
		}
	}
	if (p->s >= p->end)
		return fail(p, start, "unterminated string");
	p->s++;
	return 0;
}

static int number(struct jp *p, double *out)
{
	const char *s = p->s;
	char tmp[512];
	size_t n;

	if (s < p->end && *s == '-')
		s++;
	if (s < p->end && *s == '0')
		s++;
	else if (s < p->end && *s >= '1' && *s <= '9')
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	else
		return fail(p, p->s, "invalid number");
	if (s < p->end && *s == '.') {
		s++;
		if (s >= p->end || *s < '0' || *s > '9')
			return fail(p, s, "a digit must follow the point");
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < p->end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < p->end && (*s == '+' || *s == '-'))
			s++;
		if (s >= p->end || *s < '0' || *s > '9')
			return fail(p, s, "a digit must follow the exponent");
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	n = (size_t)(s - p->s);
	if (n >= sizeof(tmp))
		return fail(p, p->s, "number too long");
	memcpy(tmp, p->s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	p->s = s;
	return 0;
}

static int literal(struct jp *p, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n))
		return -1;
	p->s += n;
	return 0;
}

static int value(struct jp *p, struct json **out, int depth)
{
	struct json *j;
	struct buf b = BUF_INIT;

	*out = NULL;
	ws(p);
	if (p->s >= p->end)
		return fail(p, p->s, "a value is missing");
	if (depth > JSON_DEPTH)
		return fail(p, p->s, "nested too deeply");
	switch (*p->s) {
	case '{':
		j = *out = node(p, JSON_OBJECT);
		p->s++;
		ws(p);
		if (p->s < p->end && *p->s == '}') {
			p->s++;
			return 0;
		}
		for (;;) {
			size_t k = j->u.object.n;
			ws(p);
			if (p->s >= p->end || *p->s != '"')
				return fail(p, p->s, "a member name (a string) "
						     "is expected");
			buf_truncate(&b, 0);
			if (string(p, &b) < 0)
				goto bad;
			ws(p);
			if (p->s >= p->end || *p->s != ':') {
				fail(p, p->s, "':' is expected");
				goto bad;
			}
			p->s++;
			j->u.object.k = xrealloc(j->u.object.k,
						 (k + 1) * sizeof(char *));
			j->u.object.v = xrealloc(j->u.object.v,
						 (k + 1) * sizeof(struct json *));
			j->u.object.k[k] = buf_detach(&b, NULL);
			j->u.object.v[k] = NULL;
			j->u.object.n++;
			if (value(p, &j->u.object.v[k], depth + 1) < 0)
				goto bad;
			ws(p);
			if (p->s < p->end && *p->s == ',') {
				p->s++;
				continue;
			}
			if (p->s < p->end && *p->s == '}') {
				p->s++;
				return 0;
			}
			fail(p, p->s, "',' or '}' is expected");
			goto bad;
		}
	case '[':
		j = *out = node(p, JSON_ARRAY);
		p->s++;
		ws(p);
		if (p->s < p->end && *p->s == ']') {
			p->s++;
			return 0;
		}
		for (;;) {
			size_t k = j->u.array.n;
			j->u.array.v = xrealloc(j->u.array.v,
						(k + 1) * sizeof(struct json *));
			j->u.array.v[k] = NULL;
			j->u.array.n++;
			if (value(p, &j->u.array.v[k], depth + 1) < 0)
				return -1;
			ws(p);
			if (p->s < p->end && *p->s == ',') {
				p->s++;
				continue;
			}
			if (p->s < p->end && *p->s == ']') {
				p->s++;
				return 0;
			}
			return fail(p, p->s, "',' or ']' is expected");
		}
	case '"':
		j = *out = node(p, JSON_STRING);
		if (string(p, &b) < 0)
			goto bad;
		j->u.string = buf_detach(&b, NULL);
		return 0;
	case 't':
	case 'f':
		j = *out = node(p, JSON_BOOL);
		j->u.boolean = *p->s == 't';
		if (literal(p, j->u.boolean ? "true" : "false") < 0)
			return fail(p, p->s, "invalid value");
		return 0;
	case 'n':
		*out = node(p, JSON_NULL);
		if (literal(p, "null") < 0)
			return fail(p, p->s, "invalid value");
		return 0;
	default:
		j = *out = node(p, JSON_NUMBER);
		return number(p, &j->u.number);
	}
bad:
	buf_release(&b);
	return -1;
}

int json_parse(const char *text, size_t n, const char *name,
	       struct json **out, struct err *err)
{
	struct jp p = { text, text + n, name, text, 1, err, NULL, 1 };

	if (n >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		p.s = p.line_start = text + 3;
	if (value(&p, out, 0) < 0)
		goto bad;
	ws(&p);
	if (p.s < p.end) {
		fail(&p, p.s, "text after the value");
		goto bad;
	}
	return 0;
bad:
	json_free(*out);
	*out = NULL;
	return -1;
}

void json_free(struct json *j)
{
	size_t i;

	if (!j)
		return;
	if (j->type == JSON_STRING)
		free(j->u.string);
	if (j->type == JSON_ARRAY) {
		for (i = 0; i < j->u.array.n; i++)
			json_free(j->u.array.v[i]);
		free(j->u.array.v);
	}
	if (j->type == JSON_OBJECT) {
		for (i = 0; i < j->u.object.n; i++) {
			free(j->u.object.k[i]);
			json_free(j->u.object.v[i]);
		}
		free(j->u.object.k);
		free(j->u.object.v);
	}
	free(j);
}

const struct json *json_member(const struct json *o, const char *key)
{
	size_t i;

	if (!o || o->type != JSON_OBJECT)
		return NULL;
	for (i = o->u.object.n; i-- > 0;)
		if (!strcmp(o->u.object.k[i], key))
			return o->u.object.v[i];
	return NULL;
}

const char *json_str(const struct json *o, const char *key)
{
	const struct json *m = json_member(o, key);

	return m && m->type == JSON_STRING ? m->u.string : NULL;
}

int json_num(const struct json *o, const char *key, double *out)
{
	const struct json *m = json_member(o, key);

	if (!m || m->type != JSON_NUMBER)
		return -1;
	*out = m->u.number;
	return 0;
}

void json_string(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	buf_reserve(out, n + 2);
	buf_addc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		buf_adds(out, esc);
	}
	buf_add(out, s + run, n - run);
	buf_addc(out, '"');
}

void json_float(struct buf *out, double x)
{
	char tmp[40], digits[24];
	int prec, exp, nd = 0, i;
	const char *q;

	if (isnan(x)) {
		buf_adds(out, "nan");
		return;
	}
	if (isinf(x)) {
		buf_adds(out, x < 0 ? "-inf" : "inf");
		return;
	}
	/* Shortest %e precision that reads back exactly. */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	q = tmp;
	if (*q == '-') {
		buf_addc(out, '-');
		q++;
	}
	for (; *q && *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	exp = (int)strtol(q + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp >= -4 && exp < 16) {
		if (exp >= 0) {
			for (i = 0; i <= exp; i++)
				buf_addc(out, i < nd ? digits[i] : '0');
			buf_addc(out, '.');
			if (exp + 1 >= nd)
				buf_addc(out, '0');
			else
				buf_add(out, digits + exp + 1,
					(size_t)(nd - exp - 1));
		} else {
			buf_adds(out, "0.");
			for (i = 0; i < -exp - 1; i++)
				buf_addc(out, '0');
			buf_add(out, digits, (size_t)nd);
		}
		return;
	}
	buf_addc(out, digits[0]);
	if (nd > 1) {
		buf_addc(out, '.');
		buf_add(out, digits + 1, (size_t)(nd - 1));
	}
	buf_addf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

void json_write(struct buf *b, const struct json *j)
{
	size_t i;

	switch (j->type) {
	case JSON_NULL: buf_adds(b, "null"); break;
	case JSON_BOOL: buf_adds(b, j->u.boolean ? "true" : "false"); break;
	case JSON_NUMBER:
		if (isfinite(j->u.number) && j->u.number == floor(j->u.number) &&
		    fabs(j->u.number) < 1e15)
			buf_addf(b, "%.0f", j->u.number);
		else
			json_float(b, j->u.number);
		break;
	case JSON_STRING:
		json_string(b, j->u.string, strlen(j->u.string));
		break;
	case JSON_ARRAY:
		buf_addc(b, '[');
		for (i = 0; i < j->u.array.n; i++) {
			if (i)
				buf_addc(b, ',');
			json_write(b, j->u.array.v[i]);
		}
		buf_addc(b, ']');
		break;
	case JSON_OBJECT:
		buf_addc(b, '{');
		for (i = 0; i < j->u.object.n; i++) {
			if (i)
				buf_addc(b, ',');
			json_string(b, j->u.object.k[i],
				    strlen(j->u.object.k[i]));
			buf_addc(b, ':');
			json_write(b, j->u.object.v[i]);
		}
		buf_addc(b, '}');
		break;
	}
}
