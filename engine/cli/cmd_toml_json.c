/*
 * cairn toml-json: the TOML parser on its own, speaking the decoder
 * protocol of TOML conformance suites (toml-test): tagged JSON on stdout
 * and exit 0 for a valid document; the error on stderr, nothing on stdout
 * and exit 1 for an invalid one.
 */
#include "buf.h"
#include "cli.h"
#include "err.h"
#include "json.h"
#include "toml.h"
#include "toml_json.h"
#include "util.h"

static int run(struct cli *cli, const struct command *cmd, int argc,
	       char **argv)
{
	struct opt_iter it;
	struct toml_doc *doc;
	struct buf out = BUF_INIT;
	struct err err;
	const char *path;
	int rc;

	if (cli_operands(cli, cmd, argc, argv, 1, &it, &rc) < 0)
		return rc;
	path = it.noperands ? it.operands[0] : "-";
	opt_release(&it);

	rc = toml_parse_file(path, &doc, &err);
	if (rc == -2) {
		term_error(&cli->term, "%s", err.msg);
		return EXIT_USAGE;
	}
	if (rc < 0) {
		term_error(&cli->term, "%s", err.msg);
		return EXIT_FAILED;
	}
	toml_json(&out, toml_root(doc));
	buf_addc(&out, '\n');
	toml_doc_free(doc);
	if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0) {
		buf_release(&out);
		term_error(&cli->term, "cannot write to standard output");
		return EXIT_INTERNAL;
	}
	buf_release(&out);
	return EXIT_OK;
}

const struct command cmd_toml_json = {
	.name = "toml-json",
	.summary = "print a TOML file as tagged JSON (parser conformance)",
	.usage = "toml-json [FILE]",
	.description =
		"Parse FILE (standard input when FILE is '-' or absent) as TOML "
		"1.0.0 and print it\nas JSON in the tagged form that TOML "
		"conformance suites use: every scalar as\n"
		"{\"type\": T, \"value\": \"...\"} with T one of string, "
		"integer, float, bool,\ndatetime, datetime-local, date-local, "
		"time-local; tables as objects in\ndocument order; arrays as "
		"arrays.\n\n"
		"Exit status: 0 valid TOML; 1 invalid TOML (the error on "
		"standard error,\nnothing on standard output); 2 the file "
		"cannot be read or a usage error.",
	.run = run,
};
