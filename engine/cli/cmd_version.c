/*
 * cmd_version.c: cairn version (also 'cairn --version').
 */
#include <stdio.h>

#include "buf.h"
#include "cli.h"
#include "version.h"

static int run(struct cli *cli, const struct command *cmd, int argc,
	       char **argv)
{
	struct opt_iter it;
	struct buf b = BUF_INIT;
	int rc;

	if (cli_operands(cli, cmd, argc, argv, 0, &it, &rc) < 0)
		return rc;
	opt_release(&it);
	version_describe(&b);
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	return EXIT_OK;
}

const struct command cmd_version = {
	.name = "version",
	.summary = "show the version, build features and devices",
	.usage = "version",
	.description = "Show cairn's version and source commit, how it was "
		       "built, whether CUDA support\nis built in, the "
		       "devices it can use now, and its compute kernels "
		       "(with the\ndevices each can run on).  Same as "
		       "'cairn --version'.",
	.run = run,
};
