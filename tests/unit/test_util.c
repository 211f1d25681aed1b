/*
 * The small modules: buf, utf8, arena, err (carets), suggest, opt.
 */
#include <errno.h>

#include "arena.h"
#include "buf.h"
#include "check.h"
#include "err.h"
#include "opt.h"
#include "suggest.h"
#include "utf8.h"

static void test_buf(void)
{
	struct buf b = BUF_INIT;
	char *p;
	size_t n;
	int i;

	CHECK_STR(b.data, "");
	buf_adds(&b, "ab");
	buf_addc(&b, 'c');
	buf_addf(&b, "%d-%s", 42, "x");
	CHECK_STR(b.data, "abc42-x");
	CHECK_INT(b.len, 7);
	for (i = 0; i < 1000; i++)
		buf_addf(&b, "%04d", i);
	CHECK_INT(b.len, 4007);
	CHECK(!memcmp(b.data + 4003, "0999", 4));
	buf_truncate(&b, 3);
	CHECK_STR(b.data, "abc");
	p = buf_detach(&b, &n);
	CHECK_INT(n, 3);
	CHECK_STR(p, "abc");
	CHECK_STR(b.data, "");
	free(p);
	buf_release(&b);
}

static void test_utf8(void)
{
	char out[4];

	CHECK_INT(utf8_valid_prefix_char("\xc3\xa9", 2), 2);
	CHECK_INT(utf8_valid_prefix_char("\xc3", 1), 0);
	CHECK_INT(utf8_valid_prefix_char("\xc1\x81", 2), 0);	 /* overlong */
	CHECK_INT(utf8_valid_prefix_char("\xe0\x80\x80", 3), 0); /* overlong */
	CHECK_INT(utf8_valid_prefix_char("\xed\xbf\xbf", 3), 0); /* surrogate */
	CHECK_INT(utf8_valid_prefix_char("\xf4\x8f\xbf\xbf", 4), 4);
	CHECK_INT(utf8_valid_prefix_char("\xf4\x90\x80\x80", 4), 0);
	CHECK_INT(utf8_validate("abcdefghijklmnop\xc3\xa9xyz", 21), 21);
	CHECK_INT(utf8_validate("abcdefghijklmnop\xc3xyz", 20), 16);
	CHECK_INT(utf8_encode(0x41, out), 1);
	CHECK_INT(utf8_encode(0xe9, out), 2);
	CHECK(!memcmp(out, "\xc3\xa9", 2));
	CHECK_INT(utf8_encode(0x20ac, out), 3);
	CHECK_INT(utf8_encode(0x1f600, out), 4);
	CHECK(!memcmp(out, "\xf0\x9f\x98\x80", 4));
	CHECK_INT(utf8_count("a\xc3\xa9\xe2\x82\xac", 6), 3);
}

static void test_arena(void)
{
	struct arena a = ARENA_INIT;
	char *p, *q, *big;
	int i;

	p = arena_strndup(&a, "hello", 5);
	CHECK_STR(p, "hello");
	/* Strings are packed from the block's end, structures aligned
	 * from its start. */
	q = arena_strndup(&a, "abc", 3);
	CHECK(q + 4 == p);
	q = arena_alloc(&a, 3);
	CHECK(((size_t)q & 15) == 0);
	for (i = 0; i < 10000; i++) {
		q = arena_alloc(&a, 24);
		memset(q, 1, 24);
	}
	big = arena_zalloc(&a, 1 << 20);
	CHECK(big[12345] == 0);
	q = arena_grow(&a, p, 6, 64);
	CHECK_STR(q, "hello");
	CHECK_STR(p, "hello");
	/* The newest allocation grows and shrinks where it lies. */
	p = arena_alloc(&a, 32);
	memcpy(p, "grow", 5);
	CHECK_INT(arena_extend(&a, p, 32, 64), 0);
	CHECK(arena_grow(&a, p, 64, 96) == p);
	CHECK_INT(arena_trim(&a, p, 96, 16), 0);
	q = arena_alloc(&a, 16);
	CHECK(q == p + 16);
	CHECK_INT(arena_extend(&a, p, 16, 32), -1);
	CHECK_INT(arena_trim(&a, p, 16, 0), -1);
	q = arena_grow(&a, p, 16, 48);
	CHECK(q != p);
	CHECK_STR(q, "grow");
	/* A large one has a block of its own, reallocated as it grows. */
	big = arena_alloc(&a, ARENA_OWN_BLOCK + 1);
	memset(big, 7, ARENA_OWN_BLOCK + 1);
	big = arena_grow(&a, big, ARENA_OWN_BLOCK + 1, 4 << 20);
	CHECK(big[0] == 7 && big[ARENA_OWN_BLOCK] == 7);
	big = arena_grow(&a, big, 4 << 20, 8 << 20);
	CHECK(big[ARENA_OWN_BLOCK] == 7);
	CHECK_INT(arena_extend(&a, big, 8 << 20, 9 << 20), -1);
	q = arena_strndup(&a, big, ARENA_OWN_BLOCK * 2);
	CHECK(q[ARENA_OWN_BLOCK * 2] == 0 && q[1] == 7);
	arena_release(&a);
	CHECK(a.head == NULL);
	CHECK(a.own == NULL);
}

static void test_err(void)
{
	struct err e;
	const char *src = "a = 1\n\tb = x\r\nc = 3";

	err_at(&e, "f.toml", src, strlen(src), 2, 6, "bad '%s'", "x");
	CHECK_STR(e.msg, "f.toml:2:6: bad 'x'\n 2 | \tb = x\n   | \t    ^");
	err_at(&e, "f.toml", src, strlen(src), 3, 6, "at end");
	CHECK_STR(e.msg, "f.toml:3:6: at end\n 3 | c = 3\n   |      ^");
	err_at(&e, "f.toml", src, strlen(src), 9, 1, "no such line");
	CHECK_STR(e.msg, "f.toml:9:1: no such line");
	err_at(&e, "f.toml", NULL, 0, 1, 1, "no source");
	CHECK_STR(e.msg, "f.toml:1:1: no source");
	err_at(&e, "f", "x\x01y", 3, 1, 3, "c");
	CHECK_STR(e.msg, "f:1:3: c\n 1 | x?y\n   |   ^");
	errno = ENOENT;
	err_errno(&e, "cannot open '%s'", "x");
	CHECK_STR(e.msg, "cannot open 'x': No such file or directory");
	CHECK_INT(err_set(&e, "plain"), -1);
}

static void test_suggest(void)
{
	static const char *const cmds[] = { "status", "run", "toml-json",
					    "verify", "version", NULL };

	CHECK_INT(edit_distance("", "abc"), 3);
	CHECK_INT(edit_distance("stauts", "status"), 1);
	CHECK_INT(edit_distance("kitten", "sitting"), 3);
	CHECK_STR(suggest("stauts", cmds), "status");
	CHECK_STR(suggest("rn", cmds), "run");
	CHECK_STR(suggest("tom-json", cmds), "toml-json");
	CHECK_STR(suggest("verison", cmds), "version");
	CHECK(suggest("xyzzy", cmds) == NULL);
	CHECK(suggest("versio", cmds) != NULL);
}

/* The two spellings, and candidates offered one at a time. */
static void test_suggest_texts(void)
{
	struct suggest s;

	suggest_init(&s, "lrr");
	suggest_add(&s, "lr");
	suggest_add(&s, "epochs");
	CHECK_STR(suggest_pick(&s), "lr");
	CHECK_STR(suggest_clause(&s), "; did you mean 'lr'?");
	CHECK_STR(suggest_hint(&s, "--"), "did you mean '--lr'?");
	CHECK_STR(suggest_clause(&s), "; did you mean 'lr'?");
	suggest_release(&s);

	/* Nothing close, nothing offered, or a tie: no suggestion. */
	suggest_init(&s, "xyzzy");
	suggest_add(&s, "lr");
	CHECK(suggest_pick(&s) == NULL);
	CHECK_STR(suggest_clause(&s), "");
	CHECK(suggest_hint(&s, "") == NULL);
	suggest_release(&s);
	suggest_init(&s, "ab");
	CHECK_STR(suggest_clause(&s), "");
	suggest_add(&s, "ac");
	suggest_add(&s, "ad");
	CHECK(suggest_pick(&s) == NULL);
	suggest_release(&s);
	/* The same name twice is no tie. */
	suggest_init(&s, "trian");
	suggest_add(&s, "train");
	suggest_add(&s, "train");
	CHECK_STR(suggest_hint(&s, "store "), "did you mean 'store train'?");
	suggest_release(&s);
}

enum { O_COLOR = 256 };

static void test_opt(void)
{
	static const struct opt_spec specs[] = {
		{ "color", O_COLOR, 1, "WHEN", "colour" },
		{ "quiet", 'q', 0, NULL, "quiet" },
		{ NULL, 'C', 1, "DIR", "dir" },
		{ 0 },
	};
	char a0[] = "x", a1[] = "-qC", a2[] = "dir", a3[] = "op1",
	     a4[] = "--color=never", a5[] = "--", a6[] = "--quiet", a7[] = "-";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, NULL };
	char b1[] = "--colour", b2[] = "--quiet=1", b3[] = "-z", b4[] = "-C";
	char *bad[] = { a0, b1, b2, b3, b4, NULL };
	struct opt_iter it;
	struct err e;
	struct buf h = BUF_INIT;

	opt_init(&it, 8, argv, 1, 0);
	CHECK_INT(opt_next(&it, specs, &e), 'q');
	CHECK_INT(opt_next(&it, specs, &e), 'C');
	CHECK_STR(it.arg, "dir");
	CHECK_INT(opt_next(&it, specs, &e), O_COLOR);
	CHECK_STR(it.arg, "never");
	CHECK_INT(opt_next(&it, specs, &e), 0);
	CHECK_INT(it.noperands, 3);
	CHECK_STR(it.operands[0], "op1");
	CHECK_STR(it.operands[1], "--quiet");
	CHECK_STR(it.operands[2], "-");
	opt_release(&it);

	opt_init(&it, 5, bad, 1, 0);
	CHECK_INT(opt_next(&it, specs, &e), -1);
	CHECK_STR(e.msg, "unknown option '--colour'");
	CHECK_STR(it.hint, "did you mean '--color'?");
	CHECK_INT(opt_next(&it, specs, &e), -1);
	CHECK_STR(e.msg, "option '--quiet' takes no value");
	CHECK_INT(opt_next(&it, specs, &e), -1);
	CHECK_STR(e.msg, "unknown option '-z'");
	CHECK_INT(opt_next(&it, specs, &e), -1);
	CHECK_STR(e.msg, "option '-C' needs a value");
	opt_release(&it);

	/* Global options stop at the command. */
	opt_init(&it, 8, argv, 3, 1);
	CHECK_INT(opt_next(&it, specs, &e), 0);
	CHECK_INT(it.i, 3);
	opt_release(&it);

	opt_help(&h, specs);
	CHECK_STR(h.data, "      --color=WHEN       colour\n"
			  "  -q, --quiet            quiet\n"
			  "  -C DIR                 dir\n"
			  "  -h, --help             show this help\n");
	buf_release(&h);
}

/* An option that may take a value: only as --name=VALUE; a bare --name
 * leaves the next argument an operand. */
static void test_opt_optional(void)
{
	static const struct opt_spec specs[] = {
		{ "remote", O_COLOR, 2, "NAME", "remote" },
		{ 0 },
	};
	char a0[] = "x", a1[] = "--remote", a2[] = "op", a3[] = "--remote=ci",
	     a4[] = "--remote=";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	struct opt_iter it;
	struct err e;
	struct buf h = BUF_INIT;

	opt_init(&it, 5, argv, 1, 0);
	CHECK_INT(opt_next(&it, specs, &e), O_COLOR);
	CHECK(it.arg == NULL);
	CHECK_INT(opt_next(&it, specs, &e), O_COLOR);
	CHECK_STR(it.arg, "ci");
	CHECK_INT(opt_next(&it, specs, &e), O_COLOR);
	CHECK_STR(it.arg, "");
	CHECK_INT(opt_next(&it, specs, &e), 0);
	CHECK_INT(it.noperands, 1);
	CHECK_STR(it.operands[0], "op");
	opt_release(&it);
	opt_help(&h, specs);
	CHECK_STR(h.data, "      --remote[=NAME]    remote\n"
			  "  -h, --help             show this help\n");
	buf_release(&h);
}

int main(void)
{
	test_buf();
	test_utf8();
	test_arena();
	test_err();
	test_suggest();
	test_suggest_texts();
	test_opt();
	test_opt_optional();
	return check_done("test_util");
}
