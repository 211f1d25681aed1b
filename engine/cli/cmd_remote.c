/*
 * cairn remote add|list|remove: the remote caches of the workspace's
 * cairn.config.toml and of the user's config.toml (engine/remote/config.h).
 * The workspace is the current folder (-C DIR).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "sign.h"
#include "store.h"
#include "util.h"

enum { OPT_READ_ONLY = 256, OPT_TRUST, OPT_SIGN_KEY, OPT_AUTH_ENV, OPT_USER,
       OPT_JSON, OPT_DEFAULT };

/* The config of this workspace and the user; 0 or an exit code. */
static int load(struct cli *cli, struct remote_config *c)
{
	struct err err;

	if (remote_config_load(".", c, &err) == 0)
		return 0;
	term_error(&cli->term, "%s", err.msg);
	remote_config_release(c);
	return EXIT_USAGE;
}

/* The file to edit: the user's, or the workspace's. */
static int target(struct cli *cli, int user, struct buf *path)
{
	if (!user) {
		buf_adds(path, REMOTE_CONFIG_FILE);
		return 0;
	}
	if (remote_config_user_path(path) == 0)
		return 0;
	term_error(&cli->term, "no user config: neither XDG_CONFIG_HOME nor "
			       "HOME is set");
	return EXIT_USAGE;
}

/* ---- remote add ---- */

static const struct opt_spec add_opts[] = {
	{ "read-only", OPT_READ_ONLY, 0, NULL,
	  "never push to it (pull only)" },
	{ "trust", OPT_TRUST, 1, "HEX",
	  "accept the action records this public key signs (repeatable)" },
	{ "sign-key", OPT_SIGN_KEY, 1, "PATH",
	  "sign what is pushed with this private key (and trust it)" },
	{ "auth-env", OPT_AUTH_ENV, 1, "VAR",
	  "take user:password from this variable (else ~/.netrc)" },
	{ "user", OPT_USER, 0, NULL,
	  "write the user's config, not the workspace's" },
	{ "default", OPT_DEFAULT, 0, NULL,
	  "make it the default remote (default_remote) of that config" },
	{ 0 },
};

/* Add pub to r's trusted keys unless there. */
static void trust(struct remote_conf *r, size_t *cap,
		  const unsigned char pub[SIGN_PUBLIC_LEN])
{
	size_t i;

	for (i = 0; i < r->ntrusted; i++)
		if (!memcmp(r->trusted[i], pub, SIGN_PUBLIC_LEN))
			return;
	xgrow((void **)&r->trusted, cap, r->ntrusted + 1, sizeof(*r->trusted));
	memcpy(r->trusted[r->ntrusted++], pub, SIGN_PUBLIC_LEN);
}

static const struct command remote_add = {
	"remote add", "",
	"remote add NAME URL [--read-only] [--trust HEX]... "
	"[--sign-key PATH] [--auth-env VAR] [--user] [--default]",
	"", add_opts, NULL
};

static int add(struct cli *cli, int argc, char **argv)
{
	struct remote_conf r;
	struct opt_iter it;
	struct buf path = BUF_INIT;
	struct sign_key *k = NULL;
	unsigned char pub[SIGN_PUBLIC_LEN];
	struct err err;
	size_t cap = 0;
	int key, user = 0, make_default = 0, rc = EXIT_OK;

	memset(&r, 0, sizeof(r));
	opt_init(&it, argc, argv, 1, 0);
	while ((key = cli_opt(cli, &remote_add, &it)) > 0) {
		switch (key) {
		case OPT_READ_ONLY:
			r.read_only = 1;
			break;
		case OPT_TRUST:
			if (sign_parse_public(it.arg, pub) < 0) {
				rc = cli_usage_error(
					cli, &remote_add,
					"invalid key '%s': a public key is 64 "
					"hex digits, as 'cairn key generate' "
					"prints",
					it.arg);
				goto out;
			}
			trust(&r, &cap, pub);
			break;
		case OPT_SIGN_KEY:
			free(r.sign_key);
			r.sign_key = xstrdup(it.arg);
			break;
		case OPT_AUTH_ENV:
			r.auth_env = (char *)it.arg;
			break;
		case OPT_USER:
			user = 1;
			break;
		case OPT_DEFAULT:
			make_default = 1;
			break;
		}
	}
	if (key < 0) {
		rc = cli_opt_exit(key);
		goto out;
	}
	if (it.noperands != 2) {
		rc = cli_usage_error(cli, &remote_add, "%s",
				     it.noperands < 2
					     ? "give the remote's name and URL"
					     : "too many arguments");
		goto out;
	}
	r.name = it.operands[0];
	r.url = it.operands[1];
	if (r.sign_key) {
		/* The key must be one, and what it signs is trusted here. */
		if (sign_key_load(r.sign_key, &k, &err) < 0) {
			term_error(&cli->term, "%s", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
		sign_key_public(k, pub);
		trust(&r, &cap, pub);
		/* The user's file is read from its own folder: a relative
		 * path would name another file there. */
		if (user && r.sign_key[0] != '/') {
			char real[PATH_MAX];

			if (!realpath(r.sign_key, real)) {
				term_error(&cli->term, "cannot resolve '%s': %s",
					   r.sign_key, strerror(errno));
				rc = EXIT_USAGE;
				goto out;
			}
			free(r.sign_key);
			r.sign_key = xstrdup(real);
		}
	}
	if ((rc = target(cli, user, &path)))
		goto out;
	if (remote_config_add(path.data, &r, make_default, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!cli->term.quiet)
		printf("added remote '%s' to '%s'%s\n", r.name, path.data,
		       make_default ? ", the default" : "");
out:
	sign_key_free(k);
	free(r.trusted);
	free(r.sign_key);
	buf_release(&path);
	opt_release(&it);
	return rc;
}

/* ---- remote list ---- */

static const struct opt_spec list_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static void list_json(struct buf *out, const struct remote_config *c)
{
	size_t i, j;

	buf_adds(out, "[");
	for (i = 0; i < c->n; i++) {
		const struct remote_conf *r = &c->v[i];

		buf_addf(out, "%s\n  {\"name\": ", i ? "," : "");
		json_string(out, r->name, strlen(r->name));
		buf_adds(out, ", \"url\": ");
		json_string(out, r->url, strlen(r->url));
		buf_addf(out, ", \"default\": %s, \"read_only\": %s, "
			      "\"trusted_keys\": [",
			 c->default_name && !strcmp(c->default_name, r->name)
				 ? "true"
				 : "false",
			 r->read_only ? "true" : "false");
		for (j = 0; j < r->ntrusted; j++) {
			char hex[SIGN_PUBLIC_HEX + 1];

			sign_public_hex(r->trusted[j], hex);
			buf_addf(out, "%s\"%s\"", j ? ", " : "", hex);
		}
		buf_adds(out, "], \"sign_key\": ");
		if (r->sign_key)
			json_string(out, r->sign_key, strlen(r->sign_key));
		else
			buf_adds(out, "null");
		buf_adds(out, ", \"auth_env\": ");
		if (r->auth_env)
			json_string(out, r->auth_env, strlen(r->auth_env));
		else
			buf_adds(out, "null");
		buf_adds(out, ", \"file\": ");
		json_string(out, r->file, strlen(r->file));
		buf_addf(out, ", \"line\": %d}", r->line);
	}
	buf_adds(out, c->n ? "\n]\n" : "]\n");
}

static void list_text(struct buf *out, const struct remote_config *c)
{
	size_t i, width = 0;

	for (i = 0; i < c->n; i++)
		if (strlen(c->v[i].name) > width)
			width = strlen(c->v[i].name);
	for (i = 0; i < c->n; i++) {
		const struct remote_conf *r = &c->v[i];
		const char *sep = "  (";

		buf_addf(out, "%-*s  %s", (int)width, r->name, r->url);
		if (c->default_name && !strcmp(c->default_name, r->name)) {
			buf_addf(out, "%sdefault", sep);
			sep = ", ";
		}
		if (r->read_only) {
			buf_addf(out, "%sread-only", sep);
			sep = ", ";
		}
		if (r->ntrusted) {
			buf_addf(out, "%strusts %zu key%s", sep, r->ntrusted,
				 r->ntrusted == 1 ? "" : "s");
			sep = ", ";
		}
		if (r->sign_key) {
			buf_addf(out, "%ssigns with %s", sep, r->sign_key);
			sep = ", ";
		}
		if (r->auth_env) {
			buf_addf(out, "%scredentials from $%s", sep,
				 r->auth_env);
			sep = ", ";
		}
		if (r->user) {
			buf_addf(out, "%suser config", sep);
			sep = ", ";
		}
		if (strcmp(sep, "  ("))
			buf_addc(out, ')');
		buf_addc(out, '\n');
	}
}

static const struct command remote_list = {
	"remote list", "", "remote list [--json]", "", list_opts, NULL
};

static int list(struct cli *cli, int argc, char **argv)
{
	struct remote_config c;
	struct opt_iter it;
	struct buf out = BUF_INIT;
	int json, rc;

	if (cli_flag_operands(cli, &remote_list, argc, argv, 0, &it, &json,
			      &rc) < 0)
		return rc;
	opt_release(&it);
	if ((rc = load(cli, &c)))
		return rc;
	if (json)
		list_json(&out, &c);
	else
		list_text(&out, &c);
	fwrite(out.data, 1, out.len, stdout);
	if (!json && !c.n && !cli->term.quiet)
		term_hint(&cli->term, "no remote is configured: 'cairn remote "
				      "add NAME URL' adds one");
	buf_release(&out);
	remote_config_release(&c);
	return EXIT_OK;
}

/* ---- remote remove ---- */

static const struct opt_spec remove_opts[] = {
	{ "user", OPT_USER, 0, NULL,
	  "remove it from the user's config, not the workspace's" },
	{ 0 },
};

/* Forget what the store knows url holds, unless a remote still left
 * points there; a failure is a warning (the table is a hint). */
static void forget(struct cli *cli, struct cli_session *cs, const char *url)
{
	struct remote_config c;
	struct store_writer *w;
	struct err err;
	uint64_t n = 0;
	size_t i;
	int src;

	if (remote_config_load(".", &c, &err) == 0)
		for (i = 0; i < c.n; i++)
			if (!strcmp(c.v[i].url, url)) {
				remote_config_release(&c);
				return;
			}
	remote_config_release(&c);
	src = store_open(cs->store_path, 0, &cs->s, &err);
	if (src == STORE_NOTFOUND)
		return;
	if (!src && !(src = store_writer_new(cs->s, &w, &err))) {
		if ((src = store_remote_forget(w, url, &n, &err)))
			store_writer_abort(w);
		else
			src = store_writer_commit(w, &err);
	}
	if (src)
		term_warning(&cli->term, "%s", err.msg);
	else if (n && !cli->term.quiet)
		printf("forgot the %llu object%s it was known to hold\n",
		       (unsigned long long)n, n == 1 ? "" : "s");
}

static const struct command remote_remove = {
	"remote remove", "", "remote remove NAME [--user]", "", remove_opts,
	NULL
};

static int remove_cmd(struct cli *cli, int argc, char **argv)
{
	struct cli_session cs = CLI_SESSION_INIT;
	struct remote_config c;
	const struct remote_conf *r;
	struct opt_iter it;
	struct buf path = BUF_INIT;
	struct err err;
	char *url = NULL;
	int key, user = 0, rc;

	opt_init(&it, argc, argv, 1, 0);
	while ((key = cli_opt(cli, &remote_remove, &it)) > 0)
		user = 1;
	if (key < 0) {
		opt_release(&it);
		return cli_opt_exit(key);
	}
	if (it.noperands != 1) {
		opt_release(&it);
		return cli_usage_error(cli, &remote_remove,
				       it.noperands ? "too many arguments"
						    : "give the remote to "
						      "remove");
	}
	if ((rc = load(cli, &c)))
		goto out_it;
	if (!(r = remote_config_find(&c, it.operands[0], &err))) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	url = xstrdup(r->url);
	if (user)
		rc = target(cli, 1, &path);
	else
		buf_adds(&path, r->file);
	/* The store, before the file changes: a graph that does not load
	 * stops here. */
	if (!rc)
		rc = cli_session_graph(cli, NULL, CLI_GRAPH_FOR_STORE, &cs);
	if (rc)
		goto out;
	if (remote_config_remove(path.data, it.operands[0], &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!cli->term.quiet)
		printf("removed remote '%s' from '%s'\n", it.operands[0],
		       path.data);
	forget(cli, &cs, url);
out:
	cli_session_close(cli, &cs);
	remote_config_release(&c);
	free(url);
	buf_release(&path);
out_it:
	opt_release(&it);
	return rc;
}

/* ---- dispatch ---- */

static const struct cli_sub subs[] = {
	{ "add", add },
	{ "list", list },
	{ "remove", remove_cmd },
};

static const struct command *const sub_cmds[] = {
	&remote_add, &remote_list, &remote_remove, NULL,
};

static int run(struct cli *cli, const struct command *cmd, int argc,
	       char **argv)
{
	return cli_subcommand(cli, cmd, subs, ARRAY_LEN(subs), argc, argv);
}

const struct command cmd_remote = {
	.name = "remote",
	.summary = "the remote caches: add, list, remove",
	.usage = "remote <add|list|remove> [<args>]",
	.description =
		"  remote add NAME URL [--read-only] [--trust HEX]... "
		"[--sign-key PATH]\n"
		"             [--auth-env VAR] [--user]\n"
		"      Add a remote cache (an HTTP server speaking Bazel's cache "
		"protocol,\n"
		"      nginx with WebDAV for one) to cairn.config.toml, or with "
		"--user to\n"
		"      the user's config.toml.  --trust: a public key whose "
		"action records\n"
		"      pulls accept; --sign-key: the private key pushes sign "
		"with (its\n"
		"      public key is trusted too); --auth-env: the variable "
		"holding\n"
		"      user:password (else ~/.netrc has them, or none are "
		"sent).\n"
		"  remote list [--json]\n"
		"      The remotes of this workspace and of the user (the "
		"workspace's win).\n"
		"  remote remove NAME [--user]\n"
		"      Remove a remote from the file that defines it; the store "
		"forgets what\n"
		"      it was known to hold.\n\n"
		"See docs/remote.md.",
	.run = run,
	.subs = sub_cmds,
};
