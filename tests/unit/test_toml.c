/*
 * The TOML parser through its C API: values and their types, source
 * positions, lookups, exact error text, byte-level input (invalid UTF-8,
 * NUL bytes), limits, and reading files.
 */
#include <math.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "json.h"
#include "toml.h"

static struct err e;

static struct toml_doc *parse_n(const char *s, size_t n)
{
	struct toml_doc *d;

	if (toml_parse(s, n, "t.toml", &d, &e) < 0) {
		fprintf(stderr, "unexpected error: %s\n", e.msg);
		return NULL;
	}
	return d;
}

static struct toml_doc *parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* The error message for s, or "(parsed)". */
static const char *fail_n(const char *s, size_t n)
{
	struct toml_doc *d = NULL;

	if (toml_parse(s, n, "t.toml", &d, &e) == 0) {
		toml_doc_free(d);
		return "(parsed)";
	}
	CHECK(d == NULL);
	return e.msg;
}

static const char *fail(const char *s)
{
	return fail_n(s, strlen(s));
}

/* The first line of the message for s. */
static const char *fail1(const char *s)
{
	static char line[ERR_MAX];
	const char *m = fail(s);
	size_t n = strcspn(m, "\n");

	memcpy(line, m, n);
	line[n] = '\0';
	return line;
}

static const struct toml_value *path(const struct toml_doc *d, const char *a,
				     const char *b)
{
	const struct toml_value *v = toml_get(toml_root(d), a);

	return b ? toml_get(v, b) : v;
}

static void test_scalars(void)
{
	struct toml_doc *d = parse(
		"i = -9223372036854775808\n"
		"j = 0x7fffffffffffffff\n"
		"f = 0.1\n"
		"g = -inf\n"
		"h = -nan\n"
		"b = false\n"
		"s = \"a\\u0000b\"\n"
		"dt = 1979-05-27T00:32:00.123456789123-07:30\n"
		"ld = 2000-02-29\n"
		"lt = 23:59:60\n");
	const struct toml_value *v;

	if (!d)
		return;
	v = path(d, "i", NULL);
	CHECK_INT(v->type, TOML_INTEGER);
	CHECK(v->u.integer == INT64_MIN);
	CHECK(path(d, "j", NULL)->u.integer == INT64_MAX);
	v = path(d, "f", NULL);
	CHECK_INT(v->type, TOML_FLOAT);
	CHECK(v->u.real == 0.1);
	CHECK(isinf(path(d, "g", NULL)->u.real) && path(d, "g", NULL)->u.real < 0);
	CHECK(isnan(path(d, "h", NULL)->u.real));
	CHECK_INT(path(d, "b", NULL)->type, TOML_BOOL);
	CHECK_INT(path(d, "b", NULL)->u.boolean, 0);
	v = path(d, "s", NULL);
	CHECK_INT(v->u.string.len, 3);
	CHECK(!memcmp(v->u.string.ptr, "a\0b", 4));
	v = path(d, "dt", NULL);
	CHECK_INT(v->type, TOML_DATETIME);
	CHECK_INT(v->u.datetime->year, 1979);
	CHECK_INT(v->u.datetime->month, 5);
	CHECK_INT(v->u.datetime->day, 27);
	CHECK_INT(v->u.datetime->minute, 32);
	CHECK_INT(v->u.datetime->nanosecond, 123456789);
	CHECK_INT(v->u.datetime->offset_minutes, -450);
	CHECK_STR(v->u.datetime->text, "1979-05-27T00:32:00.123456789-07:30");
	v = path(d, "ld", NULL);
	CHECK_INT(v->type, TOML_DATE_LOCAL);
	CHECK_STR(v->u.datetime->text, "2000-02-29");
	v = path(d, "lt", NULL);
	CHECK_INT(v->type, TOML_TIME_LOCAL);
	CHECK_INT(v->u.datetime->second, 60);
	CHECK_STR(toml_type_name(TOML_DATETIME_LOCAL), "local date-time");
	toml_doc_free(d);
}

static void test_positions(void)
{
	struct toml_doc *d = parse("# c\n"
				   "[stage.train]\n"
				   "cmd = \"\"\"\n"
				   "x\n"
				   "\"\"\"\n"
				   "  deps = [ 1,\n"
				   "    \"b\" ]\n"
				   "\"é\" = { x = 2 }\n");
	const struct toml_value *st, *v;
	const struct toml_kv *kv;

	if (!d)
		return;
	st = path(d, "stage", "train");
	CHECK_INT(st->line, 2);
	CHECK_INT(st->col, 8);
	v = toml_get(st, "cmd");
	CHECK_INT(v->line, 3);
	CHECK_INT(v->col, 7);
	kv = toml_get_kv(st, "deps", 4);
	CHECK(kv != NULL);
	if (kv) {
		CHECK_INT(kv->line, 6);
		CHECK_INT(kv->col, 3);
		CHECK_INT(kv->value->line, 6);
		CHECK_INT(kv->value->col, 10);
		CHECK_INT(kv->value->u.array.items[1]->line, 7);
		CHECK_INT(kv->value->u.array.items[1]->col, 5);
	}
	/* Columns count characters, not bytes. */
	v = toml_get(st, "é");
	CHECK(v != NULL);
	if (v) {
		CHECK_INT(v->col, 7);
		CHECK_INT(toml_get(v, "x")->col, 13);
	}
	CHECK(toml_get(v, "nope") == NULL);
	CHECK(toml_get(toml_get(st, "cmd"), "x") == NULL);
	toml_error_at(d, 6, 10, &e, "'%s' is not a list of files", "deps");
	CHECK_STR(e.msg, "t.toml:6:10: 'deps' is not a list of files\n"
			 " 6 |   deps = [ 1,\n"
			 "   |          ^");
	toml_doc_free(d);
}

static void test_errors(void)
{
	CHECK_STR(fail("a = 1\nb = \n"),
		  "t.toml:2:5: expected a value, found end of line\n"
		  " 2 | b = \n"
		  "   |     ^");
	CHECK_STR(fail("x = [1,\n  2\n  3]\n"),
		  "t.toml:3:3: expected ',' or ']' after an array element, "
		  "found '3'\n"
		  " 3 |   3]\n"
		  "   |   ^");
	CHECK_STR(fail("s = \"\"\"\nabc\n"),
		  "t.toml:1:5: unterminated multi-line string\n"
		  " 1 | s = \"\"\"\n"
		  "   |     ^");
	CHECK_STR(fail("a = 1\r\nb = 1\r\nb = 2\r\n"),
		  "t.toml:3:1: duplicate key 'b' (first defined at line 2)\n"
		  " 3 | b = 2\n"
		  "   | ^");
	CHECK_STR(fail1("\"a b\".c = 1\n\"a b\".c = 2\n"),
		  "t.toml:2:7: duplicate key '\"a b\".c' (first defined at "
		  "line 1)");
	CHECK_STR(fail1("[a]\n[a]\n"),
		  "t.toml:2:2: table 'a' is already defined (line 1)");
	CHECK_STR(fail1("[[a]]\n[a]\n"),
		  "t.toml:2:2: 'a' is already an array of tables (defined "
		  "at line 1); use [[a]] to add an element");
	CHECK_STR(fail1("[a]\n[[a]]\n"),
		  "t.toml:2:3: 'a' is already a table (defined at line 1) "
		  "and cannot become an array of tables");
	CHECK_STR(fail1("[a.b]\n[a]\nb.c = 1\n"),
		  "t.toml:3:1: cannot add to table 'b' with a dotted key: it "
		  "is defined by a [table] header (line 1)");
	CHECK_STR(fail1("a = [1]\n[a.b]\n"),
		  "t.toml:2:2: cannot add to 'a' (defined at line 1): it is a "
		  "static array, not an array of tables");
	CHECK_STR(fail1("a = 1\n[a.b]\n"),
		  "t.toml:2:2: 'a' is already an integer (defined at line "
		  "1), not a table");
	CHECK_STR(fail1("a = \"\\uD800\"\n"),
		  "t.toml:1:6: invalid unicode escape: U+D800 is not a "
		  "unicode scalar value");
	CHECK_STR(fail1("a = \"\\u12\"\n"),
		  "t.toml:1:6: invalid unicode escape: '\\u' must be "
		  "followed by 4 hex digits");
	CHECK_STR(fail1("a = 1__0\n"),
		  "t.toml:1:5: invalid number '1__0': underscores must be "
		  "between two digits");
	CHECK_STR(fail1("a = -0x1\n"),
		  "t.toml:1:5: invalid number '-0x1': hexadecimal, octal and "
		  "binary integers cannot have a sign");
	CHECK_STR(fail1("a = 1.\n"),
		  "t.toml:1:5: invalid number '1.': expected a digit after "
		  "the decimal point");
	CHECK_STR(fail1("a = 1e\n"),
		  "t.toml:1:5: invalid number '1e': expected a digit in the "
		  "exponent");
	CHECK_STR(fail1("a = 1979-05-27T07:32:00+25:00\n"),
		  "t.toml:1:5: invalid date-time '1979-05-27T07:32:00+25:00': "
		  "offset out of range");
	CHECK_STR(fail1("a = 1979-05-27 07:32\n"),
		  "t.toml:1:5: invalid date-time '1979-05-27 07:32': seconds "
		  "are required (HH:MM:SS)");
	CHECK_STR(fail1("a = {b = 1,}\n"),
		  "t.toml:1:12: trailing comma not allowed in an inline table");
	CHECK_STR(fail1("a = 'x\n"),
		  "t.toml:1:5: unterminated literal string (a literal string "
		  "ends on its line; use ''' for a multi-line string)");
	CHECK_STR(fail1("# \x7f\n"),
		  "t.toml:1:3: control character U+007F is not allowed in a "
		  "comment");
	CHECK_STR(fail1("a = 'x\ty\x1by'\n"),
		  "t.toml:1:9: control character U+001B is not allowed in a "
		  "literal string");
	CHECK_STR(fail1("\"\"\"k\"\"\" = 1\n"),
		  "t.toml:1:1: a multi-line string cannot be a key");
	CHECK_STR(fail1("[a\n"),
		  "t.toml:1:3: expected ']' to close the table header, found "
		  "end of line");
	CHECK_STR(fail1("[[a]\n"),
		  "t.toml:1:5: expected ']]' to close the array-of-tables "
		  "header, found end of line");
	CHECK_STR(fail1("a = {\n"),
		  "t.toml:1:6: unterminated inline table: expected a key, "
		  "found end of line (an inline table must be on one line)");
	CHECK_STR(fail1("a = \"\\q\"\n"),
		  "t.toml:1:6: invalid escape sequence '\\q' (valid: \\b \\t "
		  "\\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)");
}

static void test_bytes(void)
{
	static const struct {
		const char *text;
		size_t len;
		const char *msg;
	} cases[] = {
		{ "a = \"\xc0\x80\"\n", 9, "t.toml:1:6: invalid UTF-8 (byte 0xC0)" },
		{ "a = \"\xed\xa0\x80\"\n", 10, "t.toml:1:6: invalid UTF-8 (byte 0xED)" },
		{ "a = \"\xf5\x80\x80\x80\"\n", 11, "t.toml:1:6: invalid UTF-8 (byte 0xF5)" },
		{ "a = \"\xe2\x82\"\n", 9, "t.toml:1:6: invalid UTF-8 (byte 0xE2)" },
		{ "\n\n# \xff\n", 6, "t.toml:3:3: invalid UTF-8 (byte 0xFF)" },
		{ "a = \"\xf4\x90\x80\x80\"\n", 11, "t.toml:1:6: invalid UTF-8 (byte 0xF4)" },
		{ "a = 1\n\0", 7, "t.toml:2:1: expected a key or a [table] header, found control character U+0000" },
		{ "a = \"\0\"\n", 8, "t.toml:1:6: control character U+0000 must be escaped in a string" },
		{ "a = 1 \0\n", 8, "t.toml:1:7: expected end of line after the value, found control character U+0000" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *m = fail_n(cases[i].text, cases[i].len);
		size_t n = strcspn(m, "\n");
		char first[512];

		snprintf(first, sizeof(first), "%.*s", (int)n, m);
		CHECK_STR(first, cases[i].msg);
	}
	/* Valid multi-byte characters everywhere they are allowed. */
	{
		struct toml_doc *d = parse("\"\xf0\x9f\x98\x80\" = '\xe2\x82\xac' # \xc3\xa9\n");
		CHECK(d != NULL);
		toml_doc_free(d);
	}
	/* A byte order mark is skipped. */
	{
		struct toml_doc *d = parse("\xef\xbb\xbf" "a = 1\n");
		CHECK(d && toml_get(toml_root(d), "a"));
		toml_doc_free(d);
	}
}

static void test_big_table(void)
{
	struct buf b = BUF_INIT;
	struct toml_doc *d;
	char key[32];
	int i, found = 0;

	for (i = 0; i < 20000; i++)
		buf_addf(&b, "k%d = %d\n", i, i);
	d = parse_n(b.data, b.len);
	CHECK(d != NULL);
	for (i = 0; d && i < 20000; i += 7) {
		const struct toml_value *v;
		snprintf(key, sizeof(key), "k%d", i);
		v = toml_get(toml_root(d), key);
		found += v && v->u.integer == i;
	}
	CHECK_INT(found, (20000 + 6) / 7);
	CHECK(!d || toml_get(toml_root(d), "k20000") == NULL);
	CHECK_INT(d ? toml_root(d)->u.table.len : 0, 20000);
	toml_doc_free(d);
	buf_addf(&b, "k12345 = 0\n");
	CHECK_STR(fail1(b.data),
		  "t.toml:20001:1: duplicate key 'k12345' (first defined at "
		  "line 12346)");
	buf_release(&b);
}

/* Entries and items grown in place, trimmed, copied and reallocated as
 * tables and arrays of every kind interleave (toml_table.c). */
static void test_growth(void)
{
	struct buf b = BUF_INIT;
	struct toml_doc *d;
	const struct toml_value *t, *v;
	char key[32];
	int i, ok = 0;

	buf_adds(&b, "[h]\nfirst = 1\n");
	for (i = 0; i < 40; i++)
		buf_addf(&b, "t%d = { a = %d, b = [%d, %d], \"c d\".e = %d }\n",
			 i, i, i, -i, i);
	buf_adds(&b, "in = {");
	for (i = 0; i < 40; i++)
		buf_addf(&b, "%s k%d = %d", i ? "," : "", i, i);
	buf_adds(&b, " }\nlist = [");
	for (i = 0; i < 5000; i++)
		buf_addf(&b, "%s\"v%d\"", i ? ", " : "", i);
	buf_adds(&b, "]\nsmall = [1, [2], 3]\n[h.sub]\nx = 1\n");
	d = parse_n(b.data, b.len);
	buf_release(&b);
	CHECK(d != NULL);
	if (!d)
		return;
	t = toml_get(toml_root(d), "h");
	CHECK_INT(t ? t->u.table.len : 0, 45);
	for (i = 0; t && i < 40; i++) {
		snprintf(key, sizeof(key), "t%d", i);
		v = toml_get(t, key);
		ok += v && v->u.table.len == 3 && v->u.table.cap == 3 &&
		      toml_get(v, "a")->u.integer == i &&
		      toml_get(v, "b")->u.array.items[1]->u.integer == -i &&
		      toml_get(toml_get(v, "c d"), "e")->u.integer == i;
	}
	CHECK_INT(ok, 40);
	v = toml_get(t, "in");
	CHECK(v && v->u.table.len == 40 && v->u.table.cap >= 40);
	for (i = ok = 0; v && i < 40; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ok += toml_get(v, key) && toml_get(v, key)->u.integer == i;
	}
	CHECK_INT(ok, 40);
	v = toml_get(t, "list");
	/* Past 16 KiB an array has a block of its own, left as it grew. */
	CHECK(v && v->u.array.len == 5000 && v->u.array.cap >= 5000);
	CHECK_STR(v ? v->u.array.items[4999]->u.string.ptr : "", "v4999");
	CHECK(toml_get(toml_get(t, "sub"), "x") != NULL);
	v = toml_get(t, "small");
	CHECK(v && v->u.array.len == 3 && v->u.array.cap == 3);
	toml_doc_free(d);
}

/* One-line strings are scanned eight bytes at a time: their end, an
 * escape, a control character and a tab at every offset of a word. */
static void test_string_runs(void)
{
	static const char *const ends[] = { "\"", "\\n\"", "'" };
	struct buf b = BUF_INIT, want = BUF_INIT;
	int len, k, ok = 0, n = 0;

	for (len = 0; len < 24; len++)
		for (k = 0; k < 3; k++) {
			struct toml_doc *d;
			const struct toml_value *v;
			int i;

			buf_truncate(&b, 0);
			buf_truncate(&want, 0);
			buf_adds(&b, k == 2 ? "a = '" : "a = \"");
			for (i = 0; i < len; i++) {
				char c = i % 5 == 3 ? '\t' : (char)('a' + i);
				buf_addc(&b, c);
				buf_addc(&want, c);
			}
			buf_adds(&b, ends[k]);
			buf_adds(&b, " # \" ' \\\n");
			if (k == 1)
				buf_addc(&want, '\n');
			d = parse_n(b.data, b.len);
			v = d ? toml_get(toml_root(d), "a") : NULL;
			ok += v && v->u.string.len == want.len &&
			      !memcmp(v->u.string.ptr, want.data, want.len);
			n++;
			toml_doc_free(d);
			/* A control character where the string would end. */
			b.data[5 + len] = '\x01';
			CHECK(strstr(fail1(b.data), "control character U+0001") !=
			      NULL);
		}
	CHECK_INT(ok, n);
	buf_release(&b);
	buf_release(&want);
}

static void nest(struct buf *b, int n, const char *open, const char *mid,
		 const char *close)
{
	int i;

	buf_truncate(b, 0);
	buf_adds(b, "a = ");
	for (i = 0; i < n; i++)
		buf_adds(b, open);
	buf_adds(b, mid);
	for (i = 0; i < n; i++)
		buf_adds(b, close);
	buf_addc(b, '\n');
}

static void test_limits(void)
{
	struct buf b = BUF_INIT;
	struct toml_doc *d;
	int i;

	/* The root is depth 0, "a" depth 1: 256 nested arrays fit. */
	nest(&b, TOML_MAX_DEPTH, "[", "", "]");
	d = parse(b.data);
	CHECK(d != NULL);
	toml_doc_free(d);
	nest(&b, TOML_MAX_DEPTH + 1, "[", "", "]");
	CHECK_STR(fail1(b.data),
		  "t.toml:1:261: tables and arrays are nested too deeply "
		  "(more than 256 levels)");
	nest(&b, TOML_MAX_DEPTH + 5, "{b=", "1", "}");
	CHECK(strstr(fail(b.data), "nested too deeply") != NULL);
	buf_truncate(&b, 0);
	for (i = 0; i < 300; i++)
		buf_adds(&b, i ? ".k" : "k");
	buf_adds(&b, " = 1\n");
	CHECK(strstr(fail(b.data), "nested too deeply") != NULL);
	buf_release(&b);
}

static void test_float_text(void)
{
	static const struct {
		double x;
		const char *text;
	} cases[] = {
		{ 0.0, "0.0" },	     { -0.0, "-0.0" },	  { 1.0, "1.0" },
		{ 100.0, "100.0" },  { 0.1, "0.1" },	  { 1e16, "1e+16" },
		{ 1e15, "1000000000000000.0" },		  { 1.5e-7, "1.5e-07" },
		{ 0.0001, "0.0001" }, { 0.00001, "1e-05" }, { 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 123.456, "123.456" }, { -2.5e100, "-2.5e+100" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		json_float(&b, cases[i].x);
		CHECK_STR(b.data, cases[i].text);
		buf_release(&b);
	}
}

static void test_files(void)
{
	struct toml_doc *d = NULL;
	FILE *f;
	char path[] = "/tmp/cairn-test-toml-XXXXXX";
	int fd = mkstemp(path);

	CHECK_INT(toml_parse_file("/nonexistent/x.toml", &d, &e), -2);
	CHECK_STR(e.msg, "cannot open '/nonexistent/x.toml': No such file or "
			 "directory");
	CHECK(d == NULL);
	CHECK_INT(toml_parse_file("/", &d, &e), -2);
	CHECK_STR(e.msg, "cannot read '/': Is a directory");
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("x = 1\ny = [\n", f);
	fclose(f);
	CHECK_INT(toml_parse_file(path, &d, &e), -1);
	CHECK(strstr(e.msg, ":2:5: unterminated array") != NULL);
	remove(path);
}

int main(void)
{
	test_scalars();
	test_positions();
	test_errors();
	test_bytes();
	test_big_table();
	test_growth();
	test_string_runs();
	test_limits();
	test_float_text();
	test_files();
	return check_done("test_toml");
}
