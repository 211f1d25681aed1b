/*
 * cairn key generate|public: the Ed25519 keys that sign what is pushed to
 * a remote cache (engine/remote/sign.h).
 */
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "sign.h"
#include "util.h"

enum { OPT_JSON = 256 };

/* PATH, else the user's key.pem beside the user's config.toml; 0 or an
 * exit code. */
static int key_path(struct cli *cli, const struct opt_iter *it,
		    struct buf *path)
{
	if (it->noperands) {
		buf_adds(path, it->operands[0]);
		return 0;
	}
	if (remote_config_user_path(path) < 0) {
		term_error(&cli->term, "no key path: give one (neither "
				       "XDG_CONFIG_HOME nor HOME is set)");
		return EXIT_USAGE;
	}
	buf_truncate(path, path->len - strlen("config.toml"));
	buf_adds(path, "key.pem");
	return 0;
}

static const struct opt_spec json_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static const struct command sub_generate = {
	"key generate", "", "key generate [PATH] [--json]", "", json_opts, NULL
};

static int generate(struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct buf path = BUF_INIT, hex = BUF_INIT, out = BUF_INIT;
	struct err err;
	int json, rc;

	if (cli_flag_operands(cli, &sub_generate, argc, argv, 1, &it, &json,
			      &rc) < 0)
		return rc;
	if ((rc = key_path(cli, &it, &path)))
		goto out;
	if (!it.noperands && (rc = mkdir_p(path.data, 1))) {
		term_error(&cli->term, "cannot create the folder of '%s': %s",
			   path.data, strerror(rc));
		rc = EXIT_INTERNAL;
		goto out;
	}
	if (sign_key_generate(path.data, &hex, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (json) {
		buf_addf(&out, "{\"public_key\": \"%s\", \"private_key\": ",
			 hex.data);
		json_string(&out, path.data, path.len);
		buf_adds(&out, "}\n");
	} else {
		buf_addf(&out, "%s\n", hex.data);
	}
	fwrite(out.data, 1, out.len, stdout);
	if (!json && !cli->term.quiet)
		term_hint(&cli->term,
			  "the private key is '%s' (keep it secret); pushes "
			  "sign with it after 'cairn remote add NAME URL "
			  "--sign-key %s', and others trust them with --trust "
			  "and the public key above",
			  path.data, path.data);
out:
	buf_release(&path);
	buf_release(&hex);
	buf_release(&out);
	opt_release(&it);
	return rc;
}

static const struct command sub_public = {
	"key public", "", "key public [PATH] [--json]", "", json_opts, NULL
};

static int public(struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct buf path = BUF_INIT, out = BUF_INIT;
	struct sign_key *k = NULL;
	unsigned char pub[SIGN_PUBLIC_LEN];
	char hex[SIGN_PUBLIC_HEX + 1];
	struct err err;
	int json, rc;

	if (cli_flag_operands(cli, &sub_public, argc, argv, 1, &it, &json,
			      &rc) < 0)
		return rc;
	if ((rc = key_path(cli, &it, &path)))
		goto out;
	if (sign_key_load(path.data, &k, &err) < 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	sign_key_public(k, pub);
	sign_public_hex(pub, hex);
	if (json) {
		buf_addf(&out, "{\"public_key\": \"%s\", \"private_key\": ",
			 hex);
		json_string(&out, path.data, path.len);
		buf_adds(&out, "}\n");
	} else {
		buf_addf(&out, "%s\n", hex);
	}
	fwrite(out.data, 1, out.len, stdout);
out:
	sign_key_free(k);
	buf_release(&path);
	buf_release(&out);
	opt_release(&it);
	return rc;
}

static const struct cli_sub subs[] = {
	{ "generate", generate },
	{ "public", public },
};

static const struct command *const sub_cmds[] = {
	&sub_generate, &sub_public, NULL,
};

static int run(struct cli *cli, const struct command *cmd, int argc,
	       char **argv)
{
	return cli_subcommand(cli, cmd, subs, ARRAY_LEN(subs), argc, argv);
}

const struct command cmd_key = {
	.name = "key",
	.summary = "make a key to sign what is pushed to a remote cache",
	.usage = "key <generate|public> [<args>]",
	.description =
		"  key generate [PATH] [--json]\n"
		"      Make an Ed25519 key pair: the private key written to PATH "
		"(PEM, owner-only;\n"
		"      default: key.pem beside the user's config.toml, "
		"~/.config/cairn), never\n"
		"      over a file there; print the public key (64 hex "
		"digits).\n"
		"  key public [PATH] [--json]\n"
		"      Print the public key of the private key at PATH "
		"(--json: as generate's).\n\n"
		"Pushes sign their action records with a remote's sign_key; "
		"pulls accept only\nrecords signed by one of its trusted_keys. "
		"See docs/remote.md.",
	.run = run,
	.subs = sub_cmds,
};
