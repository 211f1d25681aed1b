#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "buf.h"
#include "device.h"
#include "fingerprint.h"
#include "interp.h"
#include "json.h"
#include "version.h"

/* The workspace's git commit and whether it has changes. */
static void git_state(struct buf *b, const char *workspace)
{
	struct buf cmd = BUF_INIT;
	char line[256];
	FILE *p;

	buf_adds(&cmd, "git -C ");
	shell_quote(&cmd, workspace);
	buf_adds(&cmd, " rev-parse HEAD 2>/dev/null");
	p = popen(cmd.data, "re");
	if (p && fgets(line, sizeof(line), p) && strlen(line) > 40) {
		line[strcspn(line, "\n")] = '\0';
		buf_addf(b, ", \"git_commit\": \"%s\"", line);
		pclose(p);
		buf_truncate(&cmd, 0);
		buf_adds(&cmd, "git -C ");
		shell_quote(&cmd, workspace);
		buf_adds(&cmd, " status --porcelain --untracked-files=no "
			       "2>/dev/null");
		p = popen(cmd.data, "re");
		buf_addf(b, ", \"git_dirty\": %s",
			 p && fgets(line, sizeof(line), p) ? "true" : "false");
	}
	if (p)
		pclose(p);
	buf_release(&cmd);
}

void fingerprint_json(struct buf *b, const char *workspace)
{
	struct version_devices dev;
	struct utsname u;

	version_devices(&dev);
	buf_adds(b, "{\"cairn\": ");
	json_string(b, cairn_version(), strlen(cairn_version()));
	buf_adds(b, ", \"build\": ");
	json_string(b, cairn_build(), strlen(cairn_build()));
	if (uname(&u) == 0) {
		buf_adds(b, ", \"host\": ");
		json_string(b, u.nodename, strlen(u.nodename));
		buf_adds(b, ", \"os\": ");
		buf_addf(b, "\"%s %s %s\"", u.sysname, u.release, u.machine);
	}
	buf_addf(b, ", \"cuda_built\": %s, \"cuda_devices\": %d",
		 dev.cuda_built ? "true" : "false", dev.n);
	if (dev.n > 0) {
		struct device_info d;
		if (device_describe(0, &d) == 0) {
			buf_adds(b, ", \"gpu\": ");
			json_string(b, d.name, strlen(d.name));
		}
	}
	git_state(b, workspace);
	buf_addc(b, '}');
}
