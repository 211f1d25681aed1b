/*
 * TOML scalars: the four kinds of string (with every escape and the
 * line-ending backslash), integers in four bases, floats, booleans and the
 * four date-time types.  Each parser starts at p->p and leaves it just past
 * the value; the caller checks what follows.
 */
#include <errno.h>
#include <math.h>

#include "err.h"
#include "toml_internal.h"
#include "utf8.h"
#include "util.h"

static int is_ctrl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}


/* Characters that can continue a bare value (number, bool, date-time). */
static int is_tok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '_' || c == '+' || c == '-' ||
	       c == '.' || c == ':';
}

static int ctrl_error(struct parser *p, const char *at, int literal)
{
	if (literal)
		return toml_perr(p, at,
				 "control character U+%04X is not allowed in "
				 "a literal string",
				 (unsigned char)*at);
	return toml_perr(p, at,
			 "control character U+%04X must be escaped in a "
			 "string",
			 (unsigned char)*at);
}

/* An escape sequence at p->p (the backslash): append its character. */
static int escape(struct parser *p, struct buf *out)
{
	const char *at = p->p;
	uint32_t cp = 0;
	int n, i;
	char c, enc[4];

	if (at + 1 >= p->end)
		return toml_perr(p, at, "unterminated string");
	c = at[1];
	p->p += 2;
	switch (c) {
	case 'b': buf_addc(out, '\b'); return 0;
	case 't': buf_addc(out, '\t'); return 0;
	case 'n': buf_addc(out, '\n'); return 0;
	case 'f': buf_addc(out, '\f'); return 0;
	case 'r': buf_addc(out, '\r'); return 0;
	case '"': buf_addc(out, '"'); return 0;
	case '\\': buf_addc(out, '\\'); return 0;
	case 'u': n = 4; break;
	case 'U': n = 8; break;
	default:
		if (c > 0x20 && c < 0x7f)
			return toml_perr(p, at,
					 "invalid escape sequence '\\%c' "
					 "(valid: \\b \\t \\n \\f \\r \\\" "
					 "\\\\ \\uXXXX \\UXXXXXXXX)",
					 c);
		return toml_perr(p, at,
				 "invalid escape sequence: '\\' must be "
				 "followed by one of b t n f r \" \\ u U");
	}
	for (i = 0; i < n; i++) {
		int h = p->p + i < p->end ? hex_value(p->p[i]) : -1;
		if (h < 0)
			return toml_perr(p, at,
					 "invalid unicode escape: '\\%c' must "
					 "be followed by %d hex digits",
					 c, n);
		cp = cp * 16 + (uint32_t)h;
	}
	p->p += n;
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return toml_perr(p, at,
				 "invalid unicode escape: U+%04X is not a "
				 "unicode scalar value",
				 (unsigned)cp);
	buf_add(out, enc, utf8_encode(cp, enc));
	return 0;
}

static int newline_at(const char *s, const char *end)
{
	return *s == '\n' || (*s == '\r' && s + 1 < end && s[1] == '\n');
}

static int basic_line(struct parser *p, struct buf *out)
{
	const char *open = p->p++;

	for (;;) {
		const char *s = p->p;
		while (s < p->end && *s != '"' && *s != '\\' &&
		       !is_ctrl((unsigned char)*s))
			s++;
		buf_add(out, p->p, (size_t)(s - p->p));
		p->p = s;
		if (s >= p->end || newline_at(s, p->end))
			return toml_perr(p, open,
					 "unterminated string (a basic string "
					 "ends on its line; use \"\"\" for a "
					 "multi-line string)");
		if (*s == '"') {
			p->p++;
			return 0;
		}
		if (*s == '\\') {
			if (escape(p, out) < 0)
				return -1;
			continue;
		}
		return ctrl_error(p, s, 0);
	}
}

static int literal_line(struct parser *p, struct buf *out)
{
	const char *open = p->p++, *s = p->p;

	while (s < p->end && *s != '\'' && !is_ctrl((unsigned char)*s))
		s++;
	if (s >= p->end || newline_at(s, p->end))
		return toml_perr(p, open,
				 "unterminated literal string (a literal "
				 "string ends on its line; use ''' for a "
				 "multi-line string)");
	if (*s != '\'')
		return ctrl_error(p, s, 1);
	buf_add(out, p->p, (size_t)(s - p->p));
	p->p = s + 1;
	return 0;
}

/*
 * Multi-line strings, both kinds.  One or two quotes are content; three or
 * more end the string, and up to two quotes right before the closing three
 * belong to the content ("""a""""" is 'a""').
 */
static int multi(struct parser *p, struct buf *out, char q, int literal)
{
	const char *open = p->p;

	p->p += 3;
	if (p->p < p->end && newline_at(p->p, p->end))
		toml_newline(p);
	for (;;) {
		const char *s = p->p;
		int n;

		while (s < p->end && *s != q && (literal || *s != '\\') &&
		       !is_ctrl((unsigned char)*s))
			s++;
		buf_add(out, p->p, (size_t)(s - p->p));
		p->p = s;
		if (s >= p->end)
			return toml_perr(p, open,
					 "unterminated multi-line string");
		if (*s == q) {
			for (n = 0; s + n < p->end && s[n] == q && n < 5; n++)
				;
			if (n < 3) {
				buf_add(out, s, (size_t)n);
				p->p += n;
				continue;
			}
			buf_add(out, s, (size_t)n - 3);
			p->p += n;
			return 0;
		}
		if (*s == '\\' && !literal) {
			const char *t = s + 1;

			while (t < p->end && (*t == ' ' || *t == '\t'))
				t++;
			if (t >= p->end || !newline_at(t, p->end)) {
				if (escape(p, out) < 0)
					return -1;
				continue;
			}
			/* Line-ending backslash: drop whitespace and newlines. */
			p->p = t;
			while (p->p < p->end) {
				if (*p->p == ' ' || *p->p == '\t')
					p->p++;
				else if (newline_at(p->p, p->end))
					toml_newline(p);
				else
					break;
			}
			continue;
		}
		if (newline_at(s, p->end)) {
			buf_addc(out, '\n');
			toml_newline(p);
			continue;
		}
		return ctrl_error(p, s, literal);
	}
}

/* Parse any string at p->p into the scratch buffer. */
static int string_to_scratch(struct parser *p)
{
	const char *s = p->p;
	int three = s + 2 < p->end && s[1] == s[0] && s[2] == s[0];

	buf_truncate(&p->scratch, 0);
	if (*s == '"')
		return three ? multi(p, &p->scratch, '"', 0)
			     : basic_line(p, &p->scratch);
	return three ? multi(p, &p->scratch, '\'', 1)
		     : literal_line(p, &p->scratch);
}

/* Does the word w hold a byte equal to q, a backslash (when basic) or a
 * control character?  (Tab too: the caller looks again.) */
static int special8(uint64_t w, char q, int basic)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;
	uint64_t x = w ^ (ones * (unsigned char)q), y = w ^ (ones * '\\');
	uint64_t d = w ^ (ones * 0x7f);

	return ((((x - ones) & ~x) | (basic ? (y - ones) & ~y : 0) |
		 ((w - ones * 0x20) & ~w) | ((d - ones) & ~d)) & highs) != 0;
}

/* The first byte from s that ends a one-line string's run of characters
 * taken as they are: q, a backslash (basic), a control character other
 * than tab, or end.  Eight bytes at a time. */
static const char *plain_run(const char *s, const char *end, char q,
			     int basic)
{
	for (;;) {
		int k;

		for (;;) {
			uint64_t w;

			if (end - s < 8)
				break;
			memcpy(&w, s, 8);
			if (special8(w, q, basic))
				break;
			s += 8;
		}
		for (k = 0; k < 8; k++, s++)
			if (s >= end || *s == q || (basic && *s == '\\') ||
			    is_ctrl((unsigned char)*s))
				return s;
	}
}

int toml_parse_string(struct parser *p, struct toml_value *v)
{
	const char *open = p->p, *s = open + 1;
	char q = *open;

	/* Most strings are on one line with nothing to unescape: copied
	 * from the source as they are. */
	if (!(s + 1 < p->end && s[0] == q && s[1] == q)) {
		s = plain_run(s, p->end, q, q == '"');
		if (s < p->end && *s == q) {
			v->type = TOML_STRING;
			v->u.string.ptr = arena_strndup(p->arena, open + 1,
							(size_t)(s - open - 1));
			v->u.string.len = (size_t)(s - open - 1);
			p->p = s + 1;
			return 0;
		}
	}
	if (string_to_scratch(p) < 0)
		return -1;
	v->type = TOML_STRING;
	v->u.string.ptr =
		arena_strndup(p->arena, p->scratch.data, p->scratch.len);
	v->u.string.len = p->scratch.len;
	return 0;
}

int toml_parse_quoted_key(struct parser *p, const char **key, size_t *len)
{
	const char *s = p->p;

	if (s + 2 < p->end && s[1] == s[0] && s[2] == s[0])
		return toml_perr(p, s, "a multi-line string cannot be a key");
	if (string_to_scratch(p) < 0)
		return -1;
	*key = arena_strndup(p->arena, p->scratch.data, p->scratch.len);
	*len = p->scratch.len;
	return 0;
}

/* ---- numbers ---- */

/*
 * Digits of base with single underscores between them, from s.  Return the
 * end, or NULL when the first character is not a digit or an underscore is
 * not between two digits.
 */
static int digit_in(char c, int base)
{
	int d = hex_value(c);

	return d >= 0 && d < base;
}

static const char *scan_digits(const char *s, const char *end, int base)
{
	const char *start = s;

	while (s < end) {
		if (digit_in(*s, base) ||
		    (*s == '_' && s > start && s + 1 < end &&
		     digit_in(s[1], base)))
			s++;
		else
			break;
	}
	if (s == start || (s < end && *s == '_'))
		return NULL;
	return s;
}

static int token_err(struct parser *p, const char *s, const char *e,
		     const char *why)
{
	int n = (int)(e - s) > 60 ? 60 : (int)(e - s);

	return toml_perr(p, s, "invalid number '%.*s%s': %s", n, s,
			 (e - s) > 60 ? "..." : "", why);
}

static int prefixed(struct parser *p, struct toml_value *v, const char *s,
		    const char *e)
{
	int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
	const char *q = s + 2, *d;
	uint64_t n = 0;

	d = scan_digits(q, e, base);
	if (!d || d != e)
		return token_err(p, s, e,
				 base == 16 ? "expected hexadecimal digits "
					      "(underscores only between "
					      "digits)"
				 : base == 8 ? "expected octal digits "
					       "(underscores only between "
					       "digits)"
					     : "expected binary digits "
					       "(underscores only between "
					       "digits)");
	for (; q < e; q++) {
		if (*q == '_')
			continue;
		if (n > (uint64_t)INT64_MAX / (uint64_t)base ||
		    n * (uint64_t)base + (uint64_t)hex_value(*q) >
			    (uint64_t)INT64_MAX)
			return toml_perr(p, s,
					 "integer '%.*s' does not fit in 64 "
					 "bits",
					 (int)(e - s), s);
		n = n * (uint64_t)base + (uint64_t)hex_value(*q);
	}
	v->type = TOML_INTEGER;
	v->u.integer = (int64_t)n;
	return 0;
}

static int number(struct parser *p, struct toml_value *v, const char *s,
		  const char *e)
{
	const char *q = s, *ip, *d;
	int neg = 0, is_float = 0;

	if (*q == '+' || *q == '-') {
		neg = *q == '-';
		q++;
	}
	if (e - q == 3 && (!memcmp(q, "inf", 3) || !memcmp(q, "nan", 3))) {
		v->type = TOML_FLOAT;
		if (q[0] == 'i')
			v->u.real = neg ? -HUGE_VAL : HUGE_VAL;
		else
			v->u.real = neg ? -NAN : NAN;
		return 0;
	}
	if (e - q > 1 && q[0] == '0' &&
	    (q[1] == 'x' || q[1] == 'o' || q[1] == 'b')) {
		if (q != s)
			return token_err(p, s, e,
					 "hexadecimal, octal and binary "
					 "integers cannot have a sign");
		return prefixed(p, v, s, e);
	}
	ip = q;
	if (q >= e || !is_digit(*q))
		return token_err(p, s, e, "expected a digit");
	d = scan_digits(q, e, 10);
	if (!d)
		return token_err(p, s, e,
				 "underscores must be between two digits");
	if (ip[0] == '0' && d - ip > 1)
		return token_err(p, s, e, "leading zeros are not allowed");
	q = d;
	if (q < e && *q == '.') {
		is_float = 1;
		if (q + 1 >= e || !is_digit(q[1]))
			return token_err(p, s, e,
					 "expected a digit after the decimal "
					 "point");
		d = scan_digits(q + 1, e, 10);
		if (!d)
			return token_err(p, s, e,
					 "underscores must be between two "
					 "digits");
		q = d;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		is_float = 1;
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (q >= e || !is_digit(*q))
			return token_err(p, s, e,
					 "expected a digit in the exponent");
		d = scan_digits(q, e, 10);
		if (!d)
			return token_err(p, s, e,
					 "underscores must be between two "
					 "digits");
		q = d;
	}
	if (q != e)
		return token_err(p, s, e,
				 is_float ? "unexpected characters after the "
					    "float"
					  : "unexpected characters after the "
					    "integer");
	if (is_float) {
		char *end;
		buf_truncate(&p->scratch, 0);
		for (q = s; q < e; q++)
			if (*q != '_')
				buf_addc(&p->scratch, *q);
		v->type = TOML_FLOAT;
		v->u.real = strtod(p->scratch.data, &end);
		if (*end)
			BUG("strtod stopped early on '%s'", p->scratch.data);
		return 0;
	} else {
		uint64_t n = 0, lim = neg ? (uint64_t)INT64_MAX + 1
					  : (uint64_t)INT64_MAX;
		for (q = ip; q < e; q++) {
			if (*q == '_')
				continue;
			if (n > (lim - (uint64_t)(*q - '0')) / 10)
				return toml_perr(p, s,
						 "integer '%.*s' does not fit "
						 "in 64 bits",
						 (int)(e - s), s);
			n = n * 10 + (uint64_t)(*q - '0');
		}
		v->type = TOML_INTEGER;
		v->u.integer = neg ? (int64_t)(0 - n) : (int64_t)n;
		return 0;
	}
}

/* ---- dates and times ---- */

static int two(const char *s, const char *e, int *out)
{
	if (e - s < 2 || !is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30,
				 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

static int dt_err(struct parser *p, const char *start, const char *why)
{
	const char *e = start;

	while (e < p->end && (is_tok(*e) ||
			      (*e == ' ' && e + 1 < p->end && is_digit(e[1]) &&
			       e - start == 10)))
		e++;
	return toml_perr(p, start, "invalid date-time '%.*s': %s",
			 (int)(e - start > 60 ? 60 : e - start), start, why);
}

static int time_part(struct parser *p, const char *start, const char **sp,
		     struct toml_datetime *dt, char **txt)
{
	const char *s = *sp, *e = p->end;
	int n;

	if (two(s, e, &dt->hour) < 0 || s + 2 >= e || s[2] != ':' ||
	    two(s + 3, e, &dt->minute) < 0)
		return dt_err(p, start, "expected a time as HH:MM:SS");
	if (s + 5 >= e || s[5] != ':' || two(s + 6, e, &dt->second) < 0)
		return dt_err(p, start, "seconds are required (HH:MM:SS)");
	if (dt->hour > 23)
		return dt_err(p, start, "hour must be 00 to 23");
	if (dt->minute > 59)
		return dt_err(p, start, "minute must be 00 to 59");
	if (dt->second > 60)
		return dt_err(p, start, "second must be 00 to 60");
	*txt += snprintf(*txt, 10, "%02d:%02d:%02d", dt->hour, dt->minute,
			 dt->second);
	s += 8;
	if (s < e && *s == '.') {
		s++;
		if (s >= e || !is_digit(*s))
			return dt_err(p, start,
				      "expected a digit after the decimal "
				      "point");
		**txt = '.';
		(*txt)++;
		for (n = 0; s < e && is_digit(*s); s++, n++) {
			if (n >= 9)
				continue;	/* extra precision: truncate */
			dt->nanosecond = dt->nanosecond * 10 + (*s - '0');
			**txt = *s;
			(*txt)++;
		}
		for (; n < 9; n++)
			dt->nanosecond *= 10;
	}
	*sp = s;
	return 0;
}

static int datetime(struct parser *p, struct toml_value *v, const char *s)
{
	struct toml_datetime *dt = arena_zalloc(p->arena, sizeof(*dt));
	const char *start = s, *e = p->end;
	char *txt = dt->text;
	int has_date = 0, has_time = 0, y1, y2, h, m;

	if (e - s >= 5 && s[4] == '-') {
		if (two(s, e, &y1) < 0 || two(s + 2, e, &y2) < 0 ||
		    two(s + 5, e, &dt->month) < 0 || s + 7 >= e ||
		    s[7] != '-' || two(s + 8, e, &dt->day) < 0)
			return dt_err(p, start,
				      "expected a date as YYYY-MM-DD");
		dt->year = y1 * 100 + y2;
		if (dt->month < 1 || dt->month > 12)
			return dt_err(p, start, "month must be 01 to 12");
		if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
			return dt_err(p, start,
				      "day is out of range for the month");
		txt += snprintf(txt, 11, "%04d-%02d-%02d", dt->year,
				dt->month, dt->day);
		has_date = 1;
		s += 10;
		if (s < e && (*s == 'T' || *s == 't')) {
			s++;
			*txt++ = 'T';
			has_time = 1;
		} else if (s + 3 < e && *s == ' ' && is_digit(s[1]) &&
			   is_digit(s[2]) && s[3] == ':') {
			s++;
			*txt++ = 'T';
			has_time = 1;
		}
	} else {
		has_time = 1;
	}
	if (has_time && time_part(p, start, &s, dt, &txt) < 0)
		return -1;
	if (has_date && has_time && s < e &&
	    (*s == 'Z' || *s == 'z' || *s == '+' || *s == '-')) {
		if (*s == 'Z' || *s == 'z') {
			*txt++ = 'Z';
			s++;
		} else {
			if (two(s + 1, e, &h) < 0 || s + 3 >= e ||
			    s[3] != ':' || two(s + 4, e, &m) < 0)
				return dt_err(p, start,
					      "expected an offset as Z or "
					      "+HH:MM");
			if (h > 23 || m > 59)
				return dt_err(p, start,
					      "offset out of range");
			dt->offset_minutes = (h * 60 + m) * (*s == '-' ? -1 : 1);
			txt += snprintf(txt, 7, "%c%02d:%02d", *s, h, m);
			s += 6;
		}
		v->type = TOML_DATETIME;
	} else if (has_date && has_time) {
		v->type = TOML_DATETIME_LOCAL;
	} else if (has_date) {
		v->type = TOML_DATE_LOCAL;
	} else {
		v->type = TOML_TIME_LOCAL;
	}
	*txt = '\0';
	if (s < e && is_tok(*s))
		return dt_err(p, start, "unexpected characters after it");
	v->u.datetime = dt;
	p->p = s;
	return 0;
}

int toml_parse_bare(struct parser *p, struct toml_value *v)
{
	const char *s = p->p, *e = s;
	size_t n;

	if (e + 4 < p->end && is_digit(e[0]) && is_digit(e[1]) &&
	    is_digit(e[2]) && is_digit(e[3]) && e[4] == '-')
		return datetime(p, v, s);
	if (e + 2 < p->end && is_digit(e[0]) && is_digit(e[1]) && e[2] == ':')
		return datetime(p, v, s);
	while (e < p->end && is_tok(*e))
		e++;
	n = (size_t)(e - s);
	if (n == 0)
		BUG("bare value of no characters");
	p->p = e;
	if (n == 4 && !memcmp(s, "true", 4)) {
		v->type = TOML_BOOL;
		v->u.boolean = 1;
		return 0;
	}
	if (n == 5 && !memcmp(s, "false", 5)) {
		v->type = TOML_BOOL;
		v->u.boolean = 0;
		return 0;
	}
	if (is_digit(*s) || *s == '+' || *s == '-' || *s == '.' ||
	    (n == 3 && (!memcmp(s, "inf", 3) || !memcmp(s, "nan", 3))))
		return number(p, v, s, e);
	return toml_perr(p, s, "invalid value '%.*s%s' (strings must be quoted)",
			 (int)(n > 60 ? 60 : n), s, n > 60 ? "..." : "");
}
