/* The action record (stub: the bodies land next). */
#include "action.h"
#include "buf.h"
#include "err.h"
#include "util.h"

void action_rec_release(struct action_rec *a)
{
	free(a->outs);
	free(a->msg);
	*a = (struct action_rec)ACTION_REC_INIT;
}

int action_encode(const struct action_rec *a, const struct sign_key *k,
		  struct buf *out, struct err *err)
{
	(void)a, (void)k, (void)out;
	return err_set(err, "cannot encode an action record: not built yet");
}

int action_decode(const void *data, size_t n, struct action_rec *a,
		  struct err *err)
{
	(void)data, (void)n;
	*a = (struct action_rec)ACTION_REC_INIT;
	return err_set(err, "malformed action record: not built yet");
}

int action_trusted(const struct action_rec *a,
		   const unsigned char (*trusted)[SIGN_PUBLIC_LEN], size_t n)
{
	(void)a, (void)trusted, (void)n;
	return 0;
}

void action_path(const struct digest *key, char out[REMOTE_PATH_MAX])
{
	(void)key;
	out[0] = 0;
}

void action_list_path(const struct digest *blob, char out[REMOTE_PATH_MAX])
{
	(void)blob;
	out[0] = 0;
}

void action_cas_path(const struct digest *id, char out[REMOTE_PATH_MAX])
{
	(void)id;
	out[0] = 0;
}
