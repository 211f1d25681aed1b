/*
 * config.h: the remote caches a workspace may use, from two TOML files:
 * the workspace's `cairn.config.toml` (beside the graph; committable) and
 * the user's `$XDG_CONFIG_HOME/cairn/config.toml` (default
 * ~/.config/cairn/config.toml).  Either may be missing.  docs/remote.md
 * describes them:
 *
 *   default_remote = "ci"          # the remote a command uses when it
 *                                  # names none
 *   [remote.ci]
 *   url = "http://cache.example/cairn"   # http:// or https://, no
 *                                        # user:password@
 *   read_only = false              # true: never pushed to
 *   trusted_keys = ["64 hex digits", ...]   # whose action records a
 *                                           # pull accepts
 *   sign_key = "keys/ci.pem"       # the private key pushes sign with
 *                                  # (relative: to the file's folder)
 *   auth_env = "CAIRN_CI_AUTH"     # a variable holding user:password;
 *                                  # else ~/.netrc when it has the host
 *
 * A remote named in both files is the workspace's (whole, not merged key
 * by key); the workspace's default_remote wins too.  Credentials are
 * never in these files, and nothing here prints a URL's userinfo.
 * Errors in a file read "FILE:LINE:COL: message" with the line and a
 * caret, like graph errors; an unknown key says what it may have meant.
 */
#ifndef CAIRN_CONFIG_H
#define CAIRN_CONFIG_H

#include <stddef.h>

#include "sign.h"

struct buf;
struct err;

#define REMOTE_CONFIG_FILE "cairn.config.toml"

struct remote_conf {
	char *name;		/* [A-Za-z0-9_-], not starting with '-' */
	char *url;		/* as written, a trailing '/' dropped */
	int read_only;
	unsigned char (*trusted)[SIGN_PUBLIC_LEN];	/* trusted_keys */
	size_t ntrusted;
	char *sign_key;		/* the private key's path (relative ones
				   made relative to the file's folder, "~/"
				   expanded), or NULL */
	char *auth_env;		/* the variable's name, or NULL */
	const char *file;	/* the file that defines it (the config's) */
	int line, col;		/* where its table starts there */
	int user;		/* 1: from the user's file */
};

struct remote_config {
	struct remote_conf *v;	/* sorted by name, each name once */
	size_t n;
	const char *default_name;	/* default_remote, or NULL */
	char *workspace_file;	/* the two paths looked at (whether there
				   or not) */
	char *user_file;	/* NULL when neither XDG_CONFIG_HOME nor HOME
				   is set */
};

/*
 * Read the remotes of workspace (a folder: its REMOTE_CONFIG_FILE) and of
 * the user into *out (initialised here; release it with
 * remote_config_release, also after a failure).  Missing files are no
 * error; a file that cannot be read or is not valid TOML is, and so is a
 * value of the wrong type, an unknown key, a url that is not http(s) or
 * holds credentials, a trusted key that is not 64 hex digits, a bad
 * auth_env name, or a default_remote that names no remote.
 */
int remote_config_load(const char *workspace, struct remote_config *out,
		       struct err *err);
void remote_config_release(struct remote_config *c);

/*
 * The remote called name; name NULL: the default (default_remote, else
 * the only remote when there is one).  NULL with a message in err when
 * there is none of that name (with a did-you-mean), no remote at all, or
 * several and no default.
 */
const struct remote_conf *remote_config_find(const struct remote_config *c,
					     const char *name,
					     struct err *err);

/* 1 when name is a valid remote name, else 0. */
int remote_name_valid(const char *name);

/* The user's config file ($XDG_CONFIG_HOME/cairn/config.toml, else
 * $HOME/.config/cairn/config.toml) appended to out; -1 when neither
 * variable is set. */
int remote_config_user_path(struct buf *out);

/*
 * Editing one file (path; the workspace's or the user's), keeping the
 * rest of it as written:
 * remote_config_add appends a [remote.NAME] table for r (name, url,
 * read_only, trusted, sign_key as given, auth_env; file, line, user are
 * not used), creating the file (and its folder) when missing; refused
 * when the file already has that remote, or is not valid; make_default:
 * and sets default_remote to it (that line replaced, or one added above
 * the first table).
 * remote_config_remove deletes the [remote.NAME] table (from its header
 * to the next header or the end) and a default_remote naming it; an error
 * when the file has no such remote, or defines it otherwise (a dotted key
 * or an inline table: edit the file).  Both write a temporary file and
 * rename it into place.
 */
int remote_config_add(const char *path, const struct remote_conf *r,
		      int make_default, struct err *err);
int remote_config_remove(const char *path, const char *name,
			 struct err *err);

#endif
