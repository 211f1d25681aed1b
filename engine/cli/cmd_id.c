/*
 * `cairn id PATH...`: the id the store gives a file or a folder, computed
 * here without the store: a file's is the SHA-256 of its bytes, an HDF5
 * file's (.h5, .hdf5) its content digest as an output's (h5digest.h), a
 * folder's its tree's, ingested into a scratch store made for it and
 * removed after (the one code that encodes trees computes it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "json.h"
#include "scan.h"
#include "store.h"
#include "util.h"

enum { OPT_JSON = 256, OPT_BYTES };

static const struct opt_spec id_opts[] = {
	{ "bytes", OPT_BYTES, 0, NULL, "an HDF5 file's id by its bytes, not its content" },
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

/* A path ending in .h5 or .hdf5: an output's default (docs/hashing.md). */
static int hdf5_name(const char *path)
{
	size_t n = strlen(path);

	return (n > 3 && !strcmp(path + n - 3, ".h5")) ||
	       (n > 5 && !strcmp(path + n - 5, ".hdf5"));
}

/* A folder's tree id, through a scratch store; 0 or -1 with err set. */
static int tree_id(const char *path, struct digest *out, struct err *err)
{
	const char *tmp = getenv("TMPDIR");
	struct buf dir = BUF_INIT;
	struct store *s = NULL;
	struct store_writer *w = NULL;
	int rc = -1;

	buf_addf(&dir, "%s/cairn-id.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir.data)) {
		err_errno(err, "cannot make a scratch folder in '%s'",
			  tmp && *tmp ? tmp : "/tmp");
		buf_release(&dir);
		return -1;
	}
	buf_adds(&dir, "/store");
	if (store_open(dir.data, STORE_CREATE, &s, err) ||
	    store_writer_new(s, &w, err))
		goto out;
	if (store_put_tree(w, path, out, err) == 0)
		rc = 0;
out:
	if (w)
		store_writer_abort(w);
	if (s)
		store_close(s);
	buf_truncate(&dir, dir.len - strlen("/store"));
	remove_tree(dir.data);
	buf_release(&dir);
	return rc;
}

int cli_path_id(const char *path, int by_bytes, struct digest *out,
		const char **kind, struct err *err)
{
	int hdf5 = !by_bytes && hdf5_name(path);
	struct stat st;

	if (stat(path, &st) < 0)
		return err_errno(err, "cannot read '%s'", path);
	if (S_ISDIR(st.st_mode)) {
		*kind = "tree";
		return tree_id(path, out, err);
	}
	if (!S_ISREG(st.st_mode))
		return err_set(err, "'%s' is not a file or folder", path);
	*kind = hdf5 ? "hdf5" : "blob";
	return scan_content_digest(path, (uint64_t)st.st_size, hdf5, out, err) <
			       0
		       ? -1
		       : 0;
}

static int id_run(struct cli *cli, const struct command *cmd, int argc,
		  char **argv)
{
	struct opt_iter it;
	struct buf out = BUF_INIT;
	struct err err;
	int rc = EXIT_OK, o, json = 0, bytes = 0, i;

	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0) {
		if (o == OPT_JSON)
			json = 1;
		else if (o == OPT_BYTES)
			bytes = 1;
	}
	if (o < 0) {
		rc = cli_opt_exit(o);
		goto out;
	}
	if (!it.noperands) {
		rc = cli_usage_error(cli, cmd, "give a file or a folder");
		goto out;
	}
	if (json)
		buf_adds(&out, "[");
	for (i = 0; i < it.noperands; i++) {
		const char *p = it.operands[i], *kind;
		char hex[DIGEST_HEX + 1];
		struct digest d;
		struct stat st;

		if (stat(p, &st) < 0) {
			term_error(&cli->term, "cannot read '%s': %s", p,
				   strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			term_error(&cli->term, "'%s' is not a file or folder", p);
			rc = EXIT_USAGE;
			goto out;
		}
		if (cli_path_id(p, bytes, &d, &kind, &err) < 0) {
			term_error(&cli->term, "%s", err.msg);
			rc = EXIT_FAILED;
			goto out;
		}
		digest_hex(&d, hex);
		if (json) {
			buf_adds(&out, i ? ",\n  {\"path\": " : "\n  {\"path\": ");
			json_string(&out, p, strlen(p));
			buf_addf(&out, ", \"id\": \"%s\", \"kind\": \"%s\"}", hex,
				 kind);
		} else {
			buf_addf(&out, "%s  %s\n", hex, p);
		}
	}
	if (json)
		buf_adds(&out, "\n]\n");
	fwrite(out.data, 1, out.len, stdout);
out:
	buf_release(&out);
	opt_release(&it);
	return rc;
}

const struct command cmd_id = {
	.name = "id",
	.summary = "the id the store gives a file or folder (HDF5 by content)",
	.usage = "id [--bytes] [--json] PATH...",
	.description =
		"Print each PATH's id, as 'ID  PATH' lines (sha256sum's form): "
		"the id a run\nwould record for it as an output, and 'cairn "
		"show', 'cat', 'lineage' take.\nA file's id is the SHA-256 of "
		"its bytes; an HDF5 file's (.h5, .hdf5) the\ndigest of its "
		"content (datasets, types, shapes, data, attributes; "
		"--bytes:\nof its bytes), as for an HDF5 output; a folder's "
		"the id of its tree (computed\nin a scratch store, removed "
		"after). Reads no store and changes nothing.",
	.opts = id_opts,
	.run = id_run,
};
