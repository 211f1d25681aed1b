/*
 * cmd_version.c: cairn version (also 'cairn --version'), as text or JSON.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "device.h"
#include "json.h"
#include "kernels.h"
#include "version.h"

enum { OPT_JSON = 256 };

static const struct opt_spec version_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static void str(struct buf *out, const char *s)
{
	json_string(out, s, strlen(s));
}

/* What version_describe says, as one JSON object. */
static void describe_json(struct buf *out)
{
	const struct kernel_info *k;
	struct version_devices dev;
	struct device_info d;
	size_t nk, i;
	int first = 1;

	version_devices(&dev);
	buf_adds(out, "{\"version\": ");
	str(out, cairn_version());
	buf_adds(out, ", \"commit\": ");
	str(out, cairn_commit());
	buf_adds(out, ", \"build\": ");
	str(out, cairn_build());
	buf_addf(out, ", \"cuda\": {\"built\": %s, \"version\": ",
		 dev.cuda_built ? "true" : "false");
	if (dev.cuda_built) {
		str(out, device_cuda_version());
		buf_adds(out, ", \"architectures\": ");
		str(out, device_cuda_archs());
	} else {
		buf_adds(out, "null, \"architectures\": null");
	}
	buf_adds(out, "},\n \"devices\": [");
	for (i = 0; i < (size_t)(dev.n > 0 ? dev.n : 0); i++) {
		if (device_describe((int)i, &d) < 0)
			continue;
		buf_addf(out, "%s{\"index\": %d, \"name\": ", first ? "" : ", ",
			 d.index);
		str(out, d.name);
		buf_addf(out, ", \"compute_capability\": \"%d.%d\", "
			      "\"memory_bytes\": %zu, \"multiprocessors\": %d}",
			 d.cc_major, d.cc_minor, d.memory, d.multiprocessors);
		first = 0;
	}
	buf_adds(out, "], \"no_device\": ");
	if (dev.n == 0)
		str(out, dev.why);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\n \"kernels\": [");
	k = kernels_list(&nk);
	for (i = 0; i < nk; i++) {
		buf_adds(out, i ? ", {\"name\": " : "{\"name\": ");
		str(out, k[i].name);
		buf_addf(out, ", \"devices\": [\"cpu\"%s]}",
			 k[i].has_cuda && dev.n > 0 ? ", \"cuda\"" : "");
	}
	buf_adds(out, "]}\n");
}

static int run(struct cli *cli, const struct command *cmd, int argc,
	       char **argv)
{
	struct opt_iter it;
	struct buf b = BUF_INIT;
	int rc, json;

	if (cli_flag_operands(cli, cmd, argc, argv, 0, &it, &json, &rc) < 0)
		return rc;
	opt_release(&it);
	if (json)
		describe_json(&b);
	else
		version_describe(&b);
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	return EXIT_OK;
}

const struct command cmd_version = {
	.name = "version",
	.summary = "show the version, build features and devices",
	.usage = "version [--json]",
	.description = "Show cairn's version and source commit, how it was "
		       "built, whether CUDA support\nis built in, the "
		       "devices it can use now, and its compute kernels "
		       "(with the\ndevices each can run on).  Same as "
		       "'cairn --version' (which takes --json\nafter it "
		       "too).",
	.opts = version_opts,
	.run = run,
};
