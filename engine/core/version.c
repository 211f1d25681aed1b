#include "buf.h"
#include "device.h"
#include "kernels.h"
#include "util.h"
#include "version.h"
#include "version_git.h"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.0.0"
#endif
#ifndef CAIRN_BUILD
#define CAIRN_BUILD "unknown build"
#endif

const char *cairn_version(void)
{
	return CAIRN_VERSION;
}

const char *cairn_commit(void)
{
	return CAIRN_GIT_COMMIT;
}

const char *cairn_build(void)
{
	return CAIRN_BUILD;
}

void version_devices(struct version_devices *d)
{
	d->why[0] = '\0';
	d->cuda_built = device_cuda_built();
	d->n = device_count(d->why, sizeof(d->why));
}

void version_describe(struct buf *out)
{
	const struct kernel_info *k;
	struct version_devices dev;
	struct device_info d;
	size_t nk, i;
	int n;

	version_devices(&dev);
	n = dev.n;
	buf_addf(out, "cairn %s (commit %s)\n", cairn_version(),
		 cairn_commit());
	buf_addf(out, "build: %s\n", cairn_build());
	if (dev.cuda_built)
		buf_addf(out, "cuda: built in (CUDA %s, architectures %s)\n",
			 device_cuda_version(), device_cuda_archs());
	else
		buf_adds(out, "cuda: not built in\n");
	if (n == 0) {
		buf_addf(out, "devices: cpu only (%s)\n", dev.why);
	} else {
		buf_addf(out, "devices: %d cuda device%s\n", n,
			 n == 1 ? "" : "s");
		for (i = 0; i < (size_t)n; i++) {
			if (device_describe((int)i, &d) < 0)
				continue;
			buf_addf(out,
				 "  cuda:%d %s (sm_%d%d, %.1f GiB, %d SMs)\n",
				 d.index, d.name, d.cc_major, d.cc_minor,
				 (double)d.memory / (1024.0 * 1024 * 1024),
				 d.multiprocessors);
		}
	}
	k = kernels_list(&nk);
	buf_adds(out, "kernels:");
	for (i = 0; i < nk; i++)
		buf_addf(out, " %s(cpu%s)", k[i].name,
			 k[i].has_cuda && n > 0 ? ",cuda" : "");
	buf_addc(out, '\n');
}
