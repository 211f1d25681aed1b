/*
 * The JSON parser (metrics files, run payloads) and the metrics reader:
 * values, escapes and surrogates, errors with line:col, depth, and the
 * flattening of nested metrics into dotted names.
 */
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "json.h"
#include "metrics.h"

static void ok(const char *text, const char *want)
{
	struct json *j = NULL;
	struct buf b = BUF_INIT;
	struct err e;

	CHECK_INT(json_parse(text, strlen(text), "t.json", &j, &e), 0);
	if (j) {
		json_write(&b, j);
		CHECK_STR(b.data, want);
	}
	json_free(j);
	buf_release(&b);
}

static void bad(const char *text, const char *want)
{
	struct json *j = NULL;
	struct err e;

	CHECK_INT(json_parse(text, strlen(text), "t.json", &j, &e), -1);
	CHECK(j == NULL);
	CHECK_STR(e.msg, want);
}

static void test_parse(void)
{
	struct json *j = NULL;
	struct err e;
	double d;

	ok(" {\"a\": [1, 2.5, -3e2, true, false, null], \"b\": \"x\"} ",
	   "{\"a\":[1,2.5,-300,true,false,null],\"b\":\"x\"}");
	ok("\"\\u00e9\\ud83d\\ude00\\n\\\"\"", "\"\xc3\xa9\xf0\x9f\x98\x80\\n\\\"\"");
	ok("[]", "[]");
	ok("{}", "{}");
	ok("0.1", "0.1");
	bad("", "t.json:1:1: a value is missing");
	bad("{\"a\" 1}", "t.json:1:6: ':' is expected");
	bad("{\"a\": 1,\n \"b\": }", "t.json:2:7: invalid number");
	bad("[1 2]", "t.json:1:4: ',' or ']' is expected");
	bad("01", "t.json:1:2: text after the value");
	bad("1.", "t.json:1:3: a digit must follow the point");
	bad("\"\\ud800\"", "t.json:1:8: unpaired surrogate");
	bad("\"a\tb\"", "t.json:1:3: control character in a string");
	bad("\"abc", "t.json:1:1: unterminated string");
	bad("[1] x", "t.json:1:5: text after the value");
	bad("tru", "t.json:1:1: invalid value");
	{
		struct buf deep = BUF_INIT;
		int i;
		for (i = 0; i < 300; i++)
			buf_addc(&deep, '[');
		CHECK_INT(json_parse(deep.data, deep.len, "d", &j, &e), -1);
		CHECK(strstr(e.msg, "nested too deeply") != NULL);
		buf_release(&deep);
	}
	{
		const char *t = "{\"n\": 4, \"s\": \"v\", \"n\": 5}";
		CHECK_INT(json_parse(t, strlen(t), "x", &j, &e), 0);
	}
	CHECK_INT(json_num(j, "n", &d), 0);
	CHECK(d == 5);
	CHECK_STR(json_str(j, "s"), "v");
	CHECK(json_str(j, "n") == NULL);
	CHECK_INT(json_num(j, "missing", &d), -1);
	json_free(j);
}

static void test_metrics(void)
{
	char dir[] = "/tmp/cairn-test-json-XXXXXX", p[256];
	struct buf out = BUF_INIT;
	struct err e;
	size_t n = 0;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	snprintf(p, sizeof(p), "%s/m.json", dir);
	f = fopen(p, "w");
	fputs("{\"acc\": 0.93, \"loss\": {\"train\": 0.2, \"val\": 0.25}, "
	      "\"name\": \"x\", \"curve\": [1, 2], \"best\": true}\n", f);
	fclose(f);
	CHECK_INT(metrics_read(p, "m.json", &out, &n, &e), 0);
	CHECK_STR(out.data, "\"acc\": 0.93, \"loss.train\": 0.2, "
			    "\"loss.val\": 0.25, \"best\": 1.0");
	CHECK_INT(n, 4);
	snprintf(p, sizeof(p), "%s/m.toml", dir);
	f = fopen(p, "w");
	fputs("auc = 0.8\n[counts]\ntp = 10\n", f);
	fclose(f);
	CHECK_INT(metrics_read(p, "m.toml", &out, &n, &e), 0);
	CHECK_STR(out.data, "\"acc\": 0.93, \"loss.train\": 0.2, "
			    "\"loss.val\": 0.25, \"best\": 1.0, \"auc\": 0.8, "
			    "\"counts.tp\": 10.0");
	snprintf(p, sizeof(p), "%s/bad.json", dir);
	f = fopen(p, "w");
	fputs("{\"acc\": }\n", f);
	fclose(f);
	CHECK_INT(metrics_read(p, "bad.json", &out, &n, &e), -1);
	CHECK_STR(e.msg, "bad.json:1:9: invalid number");
	snprintf(p, sizeof(p), "%s/none.json", dir);
	CHECK_INT(metrics_read(p, "none.json", &out, &n, &e), -1);
	CHECK_STR(e.msg, "cannot read metrics file 'none.json': No such file "
			 "or directory");
	buf_release(&out);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	if (system(p))
		return;
}

/* Each value's line and column (in characters), counted on from the last
 * value's on the same line: right after a newline, after multibyte text,
 * and on a long line of many values (where counting from the line's start
 * every time took minutes on a run record naming 10,000 inputs). */
static void test_positions(void)
{
	const char *text = "{\"a\": 1, \"\xc3\xa9\xc3\xa9\": [2, 3],\n"
			   "  \"b\": \"x\"}";
	struct buf big = BUF_INIT;
	struct json *j = NULL;
	struct err err;
	size_t i, n = 20000;

	CHECK_INT(json_parse(text, strlen(text), "t", &j, &err), 0);
	if (j) {
		CHECK_INT(j->line, 1);
		CHECK_INT(j->col, 1);
		CHECK_INT(json_member(j, "a")->col, 7);
		CHECK_INT(json_member(j, "\xc3\xa9\xc3\xa9")->col, 16);
		CHECK_INT(json_member(j, "\xc3\xa9\xc3\xa9")->u.array.v[1]->col,
			  20);
		CHECK_INT(json_member(j, "b")->line, 2);
		CHECK_INT(json_member(j, "b")->col, 8);
	}
	json_free(j);
	j = NULL;
	buf_addc(&big, '[');
	for (i = 0; i < n; i++)
		buf_addf(&big, "%s%zu", i ? "," : "", i % 10);
	buf_addc(&big, ']');
	CHECK_INT(json_parse(big.data, big.len, "big", &j, &err), 0);
	if (j && j->u.array.n == n)
		CHECK_INT(j->u.array.v[n - 1]->col, (int)(2 * n));
	json_free(j);
	buf_release(&big);
}

int main(void)
{
	test_parse();
	test_positions();
	test_metrics();
	return check_done("test_json");
}
