/*
 * The remotes' config (engine/remote/config.c): the workspace's file and
 * the user's merged (the workspace's remote and default win), the default
 * remote (named, else the only one), paths resolved from each file's
 * folder; every error pinned with its file:line:col, line and caret,
 * unknown keys and names with did-you-mean, a URL with credentials
 * refused without the line (nor the password) quoted; editing: add to a
 * new file in a new folder and to one with comments, remove restoring the
 * bytes before the add, a remove between tables leaving the next one's
 * comment, the default naming it removed, the file's mode kept, and the
 * refusals (a name there, a bad url, a remote written inline, a file that
 * is not valid) leaving the file as it was.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "config.h"
#include "err.h"
#include "sign.h"
#include "util.h"

/* A literal where remote_conf has char * (its own strings, when loaded). */
#define S(lit) ((char *)(uintptr_t)(lit))

static char dir[] = "/tmp/cairn-test-config-XXXXXX";
static char ws[256], xdg[256], wsfile[300], userfile[300];

static void put(const char *path, const char *text)
{
	FILE *f;

	mkdir_p(path, 1);
	if (!(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;

	if (buf_read_file(&b, path) < 0) {
		buf_release(&b);
		return xstrdup("(missing)");
	}
	return buf_detach(&b, NULL);
}

/* Load ws's and the user's; the message, or "" on success. */
static const char *load(struct remote_config *c, struct err *err)
{
	if (remote_config_load(ws, c, err) == 0)
		err->msg[0] = 0;
	return err->msg;
}

/* The load's error for a workspace file holding text, the user's gone. */
static const char *load_err(const char *text, struct err *err)
{
	struct remote_config c;

	put(wsfile, text);
	unlink(userfile);
	load(&c, err);
	remote_config_release(&c);
	return err->msg;
}

static void test_merge(void)
{
	struct remote_config c;
	const struct remote_conf *r;
	struct err err;
	char want[ERR_MAX];

	/* Neither file: nothing, and no remote to find. */
	CHECK_STR(load(&c, &err), "");
	CHECK_INT(c.n, 0);
	CHECK_STR(c.workspace_file, wsfile);
	CHECK_STR(c.user_file, userfile);
	CHECK(remote_config_find(&c, NULL, &err) == NULL);
	CHECK_STR(err.msg, "no remote is configured ('cairn remote add NAME "
			   "URL' adds one)");
	CHECK(remote_config_find(&c, "ci", &err) == NULL);
	CHECK_STR(err.msg, "unknown remote 'ci': no remote is configured "
			   "('cairn remote add NAME URL' adds one)");
	remote_config_release(&c);

	/* The user's alone: its one remote is the default. */
	put(userfile, "[remote.home]\nurl = \"https://cache.home/x/\"\n"
		      "sign_key = \"keys/me.pem\"\n");
	CHECK_STR(load(&c, &err), "");
	CHECK_INT(c.n, 1);
	r = remote_config_find(&c, NULL, &err);
	CHECK(r && !strcmp(r->name, "home"));
	if (r) {
		CHECK_STR(r->url, "https://cache.home/x");
		CHECK_INT(r->user, 1);
		CHECK_STR(r->file, userfile);
		snprintf(want, sizeof(want), "%s/cairn/keys/me.pem", xdg);
		CHECK_STR(r->sign_key, want);
	}
	remote_config_release(&c);

	/* Both: the workspace's ci shadows the user's, home stays; sorted. */
	put(userfile, "default_remote = \"home\"\n"
		      "[remote.home]\nurl = \"https://cache.home/x\"\n"
		      "[remote.ci]\nurl = \"http://user.example/ci\"\n"
		      "read_only = true\n");
	put(wsfile, "# the team's\n[remote.ci]\nurl = \"http://10.0.0.1:8080/c\"\n"
		    "trusted_keys = [\n  \"D75A980182B10AB7D54BFED3C964073A0EE172"
		    "F3DAA62325AF021A68F707511A\",\n  \"3d4017c3e843895a92b70aa"
		    "74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\",\n]\n"
		    "sign_key = \"/abs/k.pem\"\nauth_env = \"CI_AUTH\"\n");
	CHECK_STR(load(&c, &err), "");
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		char hex[SIGN_PUBLIC_HEX + 1];

		r = &c.v[0];
		CHECK_STR(r->name, "ci");
		CHECK_STR(r->url, "http://10.0.0.1:8080/c");
		CHECK_INT(r->read_only, 0);
		CHECK_INT(r->user, 0);
		CHECK_STR(r->file, wsfile);
		CHECK_INT(r->line, 2);
		CHECK_INT(r->col, 9);
		CHECK_INT(r->ntrusted, 2);
		sign_public_hex(r->trusted[0], hex);
		CHECK_STR(hex, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325"
			       "af021a68f707511a");
		CHECK_STR(r->sign_key, "/abs/k.pem");
		CHECK_STR(r->auth_env, "CI_AUTH");
		CHECK_STR(c.v[1].name, "home");
		CHECK_INT(c.v[1].user, 1);
	}
	/* The user's default, as the workspace names none. */
	r = remote_config_find(&c, NULL, &err);
	CHECK(r && !strcmp(r->name, "home"));
	r = remote_config_find(&c, "ci", &err);
	CHECK(r && !strcmp(r->url, "http://10.0.0.1:8080/c"));
	CHECK(remote_config_find(&c, "cj", &err) == NULL);
	CHECK_STR(err.msg, "unknown remote 'cj'; did you mean 'ci'?");
	remote_config_release(&c);

	/* The workspace's default wins. */
	put(wsfile, "default_remote = \"ci\"\n[remote.ci]\nurl = \"http://h/c\"\n");
	CHECK_STR(load(&c, &err), "");
	r = remote_config_find(&c, NULL, &err);
	CHECK(r && !strcmp(r->name, "ci"));
	remote_config_release(&c);

	/* Two and no default: which? */
	put(userfile, "[remote.home]\nurl = \"https://cache.home/x\"\n");
	put(wsfile, "[remote.ci]\nurl = \"http://h/c\"\n"
		    "sign_key = \"keys/ci.pem\"\n");
	CHECK_STR(load(&c, &err), "");
	CHECK(remote_config_find(&c, NULL, &err) == NULL);
	snprintf(want, sizeof(want),
		 "which remote? 'ci', 'home' are configured and none is the "
		 "default: name one, or set default_remote in '%s'", wsfile);
	CHECK_STR(err.msg, want);
	snprintf(want, sizeof(want), "%s/keys/ci.pem", ws);
	CHECK(c.n && !strcmp(c.v[0].sign_key, want));
	remote_config_release(&c);

	/* "~/" is the home folder's. */
	put(wsfile, "[remote.ci]\nurl = \"http://h/c\"\n"
		    "sign_key = \"~/ci.pem\"\n");
	CHECK_STR(load(&c, &err), "");
	snprintf(want, sizeof(want), "%s/ci.pem", getenv("HOME"));
	CHECK(c.n && !strcmp(c.v[0].sign_key, want));
	remote_config_release(&c);
	unlink(userfile);
}

static void test_errors(void)
{
	struct err err;
	char want[ERR_MAX];
	const char *msg;

#define WANT(...) snprintf(want, sizeof(want), __VA_ARGS__)
	WANT("%s:3:1: unknown key 'trustd_keys' in a remote; did you mean "
	     "'trusted_keys'?\n 3 | trustd_keys = []\n   | ^", wsfile);
	CHECK_STR(load_err("[remote.ci]\nurl = \"http://h/c\"\n"
			   "trustd_keys = []\n", &err), want);
	WANT("%s:1:1: unknown key 'defualt_remote' in the config; did you "
	     "mean 'default_remote'?\n 1 | defualt_remote = \"ci\"\n   | ^",
	     wsfile);
	CHECK_STR(load_err("defualt_remote = \"ci\"\n", &err), want);
	WANT("%s:2:7: remote 'ci': the url must start with http:// or "
	     "https://\n 2 | url = \"ftp://h/c\"\n   |       ^", wsfile);
	CHECK_STR(load_err("[remote.ci]\nurl = \"ftp://h/c\"\n", &err), want);
	WANT("%s:2:7: remote 'ci': the url has no host\n 2 | url = "
	     "\"http:///c\"\n   |       ^", wsfile);
	CHECK_STR(load_err("[remote.ci]\nurl = \"http:///c\"\n", &err), want);
	/* Credentials: located, never quoted. */
	msg = load_err("[remote.ci]\nurl = \"http://me:s3cret@h/c\"\n", &err);
	WANT("%s:2:7: remote 'ci': the url holds credentials: put them in "
	     "~/.netrc or in the variable auth_env names, never in a file "
	     "that may be committed", wsfile);
	CHECK_STR(msg, want);
	CHECK(!strstr(msg, "s3cret"));
	msg = load_err("[remote.ci]\nurl = \"http://h/c\"\n"
		       "uri = \"http://me:s3cret@h/c\"\n", &err);
	CHECK(!strstr(msg, "s3cret"));
	CHECK(strstr(msg, ":3:1: unknown key 'uri' in a remote; did you mean "
			  "'url'?") != NULL);
	WANT("%s:2:17: a trusted key must be a public key: 64 hex digits, as "
	     "'cairn key generate' prints\n 2 | trusted_keys = [\"abc\"]\n"
	     "   |                 ^", wsfile);
	CHECK_STR(load_err("[remote.ci]\ntrusted_keys = [\"abc\"]\n", &err),
		  want);
	WANT("%s:2:13: 'read_only' must be true or false\n 2 | read_only = "
	     "\"yes\"\n   |             ^", wsfile);
	CHECK_STR(load_err("[remote.ci]\nread_only = \"yes\"\n", &err), want);
	WANT("%s:1:9: remote 'ci' has no url\n 1 | [remote.ci]\n   |        "
	     " ^", wsfile);
	CHECK_STR(load_err("[remote.ci]\nread_only = true\n", &err), want);
	WANT("%s:1:18: default_remote 'cj' names no remote; did you mean "
	     "'ci'?\n 1 | default_remote = \"cj\"\n   |                  ^",
	     wsfile);
	CHECK_STR(load_err("default_remote = \"cj\"\n[remote.ci]\n"
			   "url = \"http://h/c\"\n", &err), want);
	WANT("%s:1:8: invalid remote name 'a b': use letters, digits, '_' "
	     "and '-'\n 1 | remote.\"a b\".url = \"http://h\"\n   |        ^",
	     wsfile);
	CHECK_STR(load_err("remote.\"a b\".url = \"http://h\"\n", &err), want);
	WANT("%s:1:10: 'remote' must be a table of remotes ([remote.NAME])\n"
	     " 1 | remote = \"ci\"\n   |          ^", wsfile);
	CHECK_STR(load_err("remote = \"ci\"\n", &err), want);
	WANT("%s:2:12: 'auth_env' must be the name of an environment variable "
	     "(letters, digits, '_')\n 2 | auth_env = \"1X\"\n   |            ^",
	     wsfile);
	CHECK_STR(load_err("[remote.ci]\nauth_env = \"1X\"\nurl = \"http://h\"\n",
			   &err), want);
	WANT("%s:2:7: 'url' must be a URL such as \"http://host/path\"\n"
	     " 2 | url = 8080\n   |       ^", wsfile);
	CHECK_STR(load_err("[remote.ci]\nurl = 8080\n", &err), want);
	/* Not TOML: the parser's own message. */
	msg = load_err("[remote.ci\n", &err);
	WANT("%s:1:", wsfile);
	CHECK(!strncmp(msg, want, strlen(want)));
	/* The user's file is checked as well, and named. */
	unlink(wsfile);
	put(userfile, "[remote.home]\nurl = \"http://h\"\nsign-key = \"k\"\n");
	{
		struct remote_config c;

		WANT("%s:3:1: unknown key 'sign-key' in a remote; did you mean "
		     "'sign_key'?\n 3 | sign-key = \"k\"\n   | ^", userfile);
		CHECK_STR(load(&c, &err), want);
		remote_config_release(&c);
	}
	unlink(userfile);
#undef WANT
}

static void test_user_path(void)
{
	struct buf b = BUF_INIT;
	char *home = xstrdup(getenv("HOME")), *x = xstrdup(xdg);

	unsetenv("XDG_CONFIG_HOME");
	CHECK_INT(remote_config_user_path(&b), 0);
	CHECK(!strcmp(b.data + strlen(home), "/.config/cairn/config.toml"));
	buf_truncate(&b, 0);
	setenv("XDG_CONFIG_HOME", "relative", 1);	/* ignored */
	CHECK_INT(remote_config_user_path(&b), 0);
	CHECK(!strncmp(b.data, home, strlen(home)));
	buf_truncate(&b, 0);
	unsetenv("HOME");
	unsetenv("XDG_CONFIG_HOME");
	CHECK_INT(remote_config_user_path(&b), -1);
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", x, 1);
	free(home);
	free(x);
	buf_release(&b);
	CHECK(remote_name_valid("ci-2_x"));
	CHECK(!remote_name_valid("-ci"));
	CHECK(!remote_name_valid("a.b"));
	CHECK(!remote_name_valid(""));
}

/* remote add --default: default_remote set where a top-level key must
 * go; the file still loads with that default. */
static void test_add_default(void)
{
	static const struct {
		const char *before, *after;
	} cases[] = {
		/* No file yet. */
		{ NULL, "default_remote = \"d\"\n\n[remote.d]\nurl = \"http://d\"\n" },
		/* Above the first table and the comment that is its own. */
		{ "# ours\n\n# the team's\n[remote.a]\nurl = \"http://a\"\n",
		  "# ours\n\ndefault_remote = \"d\"\n\n# the team's\n[remote.a]\n"
		  "url = \"http://a\"\n\n[remote.d]\nurl = \"http://d\"\n" },
		{ "[remote.a]\nurl = \"http://a\"\n",
		  "default_remote = \"d\"\n\n[remote.a]\n"
		  "url = \"http://a\"\n\n[remote.d]\nurl = \"http://d\"\n" },
		/* The one there replaced, in its place. */
		{ "default_remote = \"a\" # was\n\n[remote.a]\nurl = \"http://a\"\n",
		  "default_remote = \"d\"\n\n[remote.a]\nurl = \"http://a\"\n\n"
		  "[remote.d]\nurl = \"http://d\"\n" },
		/* No table: at the end, no final newline before it. */
		{ "# only a comment",
		  "# only a comment\ndefault_remote = \"d\"\n\n[remote.d]\n"
		  "url = \"http://d\"\n" },
	};
	struct remote_config c;
	struct remote_conf r;
	struct err err;
	size_t i;
	char *text;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(wsfile);
		if (cases[i].before)
			put(wsfile, cases[i].before);
		memset(&r, 0, sizeof(r));
		r.name = S("d");
		r.url = S("http://d");
		CHECK_INT(remote_config_add(wsfile, &r, 1, &err), 0);
		text = slurp(wsfile);
		CHECK_STR(text, cases[i].after);
		free(text);
		unlink(userfile);
		CHECK_STR(load(&c, &err), "");
		CHECK(c.default_name && !strcmp(c.default_name, "d"));
		remote_config_release(&c);
	}
	unlink(wsfile);
}

static void test_edit(void)
{
	unsigned char keys[1][SIGN_PUBLIC_LEN];
	struct remote_conf r;
	struct err err;
	struct stat st;
	char *text, want[ERR_MAX];
	const char *orig = "# our caches\ndefault_remote = \"team\"\n\n"
			   "[remote.team]\nurl = \"http://team/c\"\n";

	/* A new file in a new folder. */
	memset(&r, 0, sizeof(r));
	r.name = S("home");
	r.url = S("https://cache.home/x//");
	CHECK_INT(remote_config_add(userfile, &r, 0, &err), 0);
	text = slurp(userfile);
	CHECK_STR(text, "[remote.home]\nurl = \"https://cache.home/x\"\n");
	free(text);

	/* Appended after a blank line, every key, strings escaped. */
	put(wsfile, orig);
	chmod(wsfile, 0640);
	sign_parse_public("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af02"
			  "1a68f707511a", keys[0]);
	r.name = S("ci");
	r.url = S("http://10.0.0.1/c");
	r.read_only = 1;
	r.trusted = keys;
	r.ntrusted = 1;
	r.sign_key = S("keys/\"ci\".pem");
	r.auth_env = S("CI_AUTH");
	CHECK_INT(remote_config_add(wsfile, &r, 0, &err), 0);
	text = slurp(wsfile);
	CHECK_STR(text, "# our caches\ndefault_remote = \"team\"\n\n"
			"[remote.team]\nurl = \"http://team/c\"\n\n"
			"[remote.ci]\nurl = \"http://10.0.0.1/c\"\n"
			"read_only = true\ntrusted_keys = [\"d75a980182b10ab7d54"
			"bfed3c964073a0ee172f3daa62325af021a68f707511a\"]\n"
			"sign_key = \"keys/\\\"ci\\\".pem\"\n"
			"auth_env = \"CI_AUTH\"\n");
	free(text);
	CHECK(stat(wsfile, &st) == 0 && (st.st_mode & 07777) == 0640);

	/* Refused, the file untouched: a name it has, a bad url or name. */
	CHECK_INT(remote_config_add(wsfile, &r, 0, &err), -1);
	snprintf(want, sizeof(want), "remote 'ci' already exists in '%s' "
				     "('cairn remote remove ci' first)",
		 wsfile);
	CHECK_STR(err.msg, want);
	r.name = S("x");
	r.url = S("http://u:pw@h");
	CHECK_INT(remote_config_add(wsfile, &r, 0, &err), -1);
	CHECK(!strstr(err.msg, "pw"));
	r.url = S("http://h");
	r.name = S("a.b");
	CHECK_INT(remote_config_add(wsfile, &r, 0, &err), -1);
	CHECK_STR(err.msg, "invalid remote name 'a.b': use letters, digits, "
			   "'_' and '-'");

	/* Removed: the bytes from before the add. */
	CHECK_INT(remote_config_remove(wsfile, "ci", &err), 0);
	text = slurp(wsfile);
	CHECK_STR(text, orig);
	free(text);
	CHECK(stat(wsfile, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK_INT(remote_config_remove(wsfile, "ci", &err), -1);
	snprintf(want, sizeof(want), "no remote 'ci' in '%s'", wsfile);
	CHECK_STR(err.msg, want);
	CHECK_INT(remote_config_remove(wsfile, "taem", &err), -1);
	snprintf(want, sizeof(want), "no remote 'taem' in '%s'; did you mean "
				     "'team'?", wsfile);
	CHECK_STR(err.msg, want);

	/* Between two tables: the next one's comment stays; the default
	 * naming it goes. */
	put(wsfile, "default_remote = \"b\"\n[remote.a]\nurl = \"http://a\"\n\n"
		    "[remote.b]\nurl = \"http://b\"\n# not trusted\n"
		    "read_only = true\n\n# c is the lab's\n[remote.c]\n"
		    "url = \"http://c\"\n");
	CHECK_INT(remote_config_remove(wsfile, "b", &err), 0);
	text = slurp(wsfile);
	CHECK_STR(text, "[remote.a]\nurl = \"http://a\"\n\n# c is the lab's\n"
			"[remote.c]\nurl = \"http://c\"\n");
	free(text);
	/* The default's blank line goes with it when it opened the file. */
	put(wsfile, "default_remote = \"b\"\n\n[remote.a]\nurl = \"http://a\"\n\n"
		    "[remote.b]\nurl = \"http://b\"\n");
	CHECK_INT(remote_config_remove(wsfile, "b", &err), 0);
	text = slurp(wsfile);
	CHECK_STR(text, "[remote.a]\nurl = \"http://a\"\n");
	free(text);
	put(wsfile, "[remote.a]\nurl = \"http://a\"\n\n# c is the lab's\n"
		    "[remote.c]\nurl = \"http://c\"\n");
	/* The comment just above a table goes with it. */
	CHECK_INT(remote_config_remove(wsfile, "c", &err), 0);
	text = slurp(wsfile);
	CHECK_STR(text, "[remote.a]\nurl = \"http://a\"\n");
	free(text);
	CHECK_INT(remote_config_remove(wsfile, "a", &err), 0);
	text = slurp(wsfile);
	CHECK_STR(text, "");
	free(text);

	/* Written otherwise than [remote.NAME]: the file is not touched. */
	put(wsfile, "remote = { ci = { url = \"http://h\" } }\n");
	CHECK_INT(remote_config_remove(wsfile, "ci", &err), -1);
	snprintf(want, sizeof(want), "remote 'ci' is not written as a "
				     "[remote.ci] table in '%s' (line 1): edit "
				     "the file", wsfile);
	CHECK_STR(err.msg, want);
	r.name = S("x");
	CHECK_INT(remote_config_add(wsfile, &r, 0, &err), -1);
	CHECK(strstr(err.msg, wsfile) == err.msg);
	text = slurp(wsfile);
	CHECK_STR(text, "remote = { ci = { url = \"http://h\" } }\n");
	free(text);
	/* A file that is not valid is not edited. */
	put(wsfile, "[remote.ci]\nurl = \"ftp://h\"\n");
	CHECK_INT(remote_config_add(wsfile, &r, 0, &err), -1);
	CHECK(strstr(err.msg, "must start with http://") != NULL);
	unlink(wsfile);
	unlink(userfile);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(ws, sizeof(ws), "%s/ws", dir);
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	snprintf(wsfile, sizeof(wsfile), "%s/cairn.config.toml", ws);
	snprintf(userfile, sizeof(userfile), "%s/cairn/config.toml", xdg);
	mkdir(ws, 0777);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	if (!getenv("HOME"))
		setenv("HOME", dir, 1);
	test_merge();
	test_errors();
	test_user_path();
	test_edit();
	test_add_default();
	remove_tree(dir);
	return check_done("unit.config");
}
