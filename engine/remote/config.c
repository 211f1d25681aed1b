/* Remotes from the config files (stub: the bodies land next). */
#include "buf.h"
#include "config.h"
#include "err.h"
#include "util.h"

int remote_config_load(const char *workspace, struct remote_config *out,
		       struct err *err)
{
	memset(out, 0, sizeof(*out));
	return err_set(err, "cannot read the remotes of '%s': not built yet",
		       workspace);
}

void remote_config_release(struct remote_config *c)
{
	memset(c, 0, sizeof(*c));
}

const struct remote_conf *remote_config_find(const struct remote_config *c,
					     const char *name,
					     struct err *err)
{
	(void)c, (void)name;
	err_set(err, "no remote configured");
	return NULL;
}

int remote_name_valid(const char *name)
{
	(void)name;
	return 0;
}

int remote_config_user_path(struct buf *out)
{
	(void)out;
	return -1;
}

int remote_config_add(const char *path, const struct remote_conf *r,
		      struct err *err)
{
	(void)r;
	return err_set(err, "cannot edit '%s': not built yet", path);
}

int remote_config_remove(const char *path, const char *name,
			 struct err *err)
{
	(void)name;
	return err_set(err, "cannot edit '%s': not built yet", path);
}
