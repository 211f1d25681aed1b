/*
 * What push and pull share: the remote opened for them, progress over a
 * phase of several batches, and the store's remotes table.
 */
#include <time.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "http.h"
#include "interrupt.h"
#include "sync_internal.h"
#include "util.h"

const char *sync_strerror(int rc)
{
	switch (rc) {
	case SYNC_READONLY: return "the remote is read-only";
	case SYNC_NOKEY: return "no key to sign action records with";
	case SYNC_REFUSED: return "downloads refused by their checks";
	case SYNC_MISSING: return "objects missing on the remote";
	case SYNC_INTERRUPTED: return "interrupted";
	}
	if (rc >= HTTP_NOTFOUND && rc <= HTTP_BADARG)
		return http_strerror(rc);
	return store_strerror(rc);
}

void sync_http_options(const struct remote_conf *c, struct http_options *o)
{
	http_options_init(o);
	o->name = c->name;
	o->url = c->url;
	o->cred_env = c->auth_env;
	o->netrc = 1;
}

int sync_open(const struct remote_conf *c, struct store *s,
	      const struct store_run_refs *refs, struct sync **out,
	      struct err *err)
{
	struct http_options o;

	sync_http_options(c, &o);
	return sync_open_with(c, &o, s, refs, out, err);
}

int sync_open_with(const struct remote_conf *c,
		   const struct http_options *o, struct store *s,
		   const struct store_run_refs *refs, struct sync **out,
		   struct err *err)
{
	struct sync *y;
	int rc;

	*out = NULL;
	y = xcalloc(1, sizeof(*y));
	if ((rc = http_open(o, &y->h, err))) {
		free(y);
		return rc;
	}
	y->s = s;
	y->refs = refs;
	y->name = xstrdup(c->name);
	y->url = xstrdup(c->url);
	y->conf_file = xstrdup(c->file ? c->file : "the config");
	y->sign_key = c->sign_key ? xstrdup(c->sign_key) : NULL;
	y->read_only = c->read_only;
	y->ntrusted = c->ntrusted;
	if (c->ntrusted) {
		y->trusted = xcalloc(c->ntrusted, sizeof(*y->trusted));
		memcpy(y->trusted, c->trusted,
		       c->ntrusted * sizeof(*y->trusted));
	}
	*out = y;
	return 0;
}

void sync_close(struct sync *y)
{
	if (!y)
		return;
	http_close(y->h);
	free(y->name);
	free(y->url);
	free(y->conf_file);
	free(y->sign_key);
	free(y->trusted);
	free(y);
}

void sync_on_progress(struct sync *y,
		      void (*fn)(const struct sync_progress *p, void *ctx),
		      void *ctx)
{
	y->fn = fn;
	y->ctx = ctx;
}

struct buf *sync_bufs(size_t n)
{
	struct buf *b = xcalloc(n + 1, sizeof(*b));
	size_t i;

	for (i = 0; i < n; i++)
		buf_init(&b[i]);
	return b;
}

void sync_phase(struct sync *y, const char *phase, size_t total,
		uint64_t total_bytes)
{
	memset(&y->p, 0, sizeof(y->p));
	y->p.phase = phase;
	y->p.total = total;
	y->p.total_bytes = total_bytes;
}

struct tick {
	struct sync *y;
	size_t done;		/* the phase's before this batch */
	uint64_t bytes;
	int (*on_end)(size_t i, void *ctx);
	void *ctx;
};

static int on_tick(const struct http_progress *hp, void *ctx)
{
	struct tick *t = ctx;
	struct sync *y = t->y;

	if (interrupt_caught())
		return 1;
	if (hp->last != SIZE_MAX && t->on_end && t->on_end(hp->last, t->ctx))
		return 1;
	if (!y->fn)
		return 0;
	y->p.done = t->done + hp->done;
	y->p.bytes = t->bytes + hp->sent + hp->received;
	if (y->p.done > y->p.total)
		y->p.total = y->p.done;
	y->fn(&y->p, y->ctx);
	return 0;
}

int sync_run_each(struct sync *y, struct http_batch *b,
		  int (*on_end)(size_t i, void *ctx), void *ctx,
		  struct err *err)
{
	struct tick t = { y, y->p.done, y->p.bytes, on_end, ctx };
	size_t i, n = http_batch_count(b);
	int rc;

	rc = http_batch_run(b, on_tick, &t, err);
	/* Every request has ended; the bytes are those of the answers
	 * kept (a retry's lost bytes are not counted twice). */
	y->p.done = t.done + n;
	y->p.bytes = t.bytes;
	for (i = 0; i < n; i++)
		y->p.bytes += http_batch_result(b, i)->bytes;
	if (y->p.done > y->p.total)
		y->p.total = y->p.done;
	if (y->fn)
		y->fn(&y->p, y->ctx);
	return interrupt_caught() ? sync_interrupted(err) : rc;
}

int sync_interrupted(struct err *err)
{
	err_set(err, "interrupted");
	return SYNC_INTERRUPTED;
}

int sync_run(struct sync *y, struct http_batch *b, struct err *err)
{
	return sync_run_each(y, b, NULL, NULL, err);
}

int sync_store_fail(struct err *err, int rc, struct store *s)
{
	err_set(err, "cannot read store '%s': %s", store_path(s),
		store_strerror(rc));
	return rc;
}

int sync_mark(struct sync *y, const struct store_raw_item *items, size_t n,
	      struct err *err)
{
	struct store_writer *w;
	struct timespec ts;
	int rc;

	if (!n)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((rc = store_writer_new(y->s, &w, err)))
		return rc;
	rc = store_remote_mark(w, y->url, items, n,
			       (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
			       err);
	if (rc) {
		store_writer_abort(w);
		return rc;
	}
	return store_writer_commit(w, err);
}

int sync_unmark(struct sync *y, const struct store_raw_item *items,
		size_t n, struct err *err)
{
	struct store_writer *w;
	int rc;

	if (!n)
		return 0;
	if ((rc = store_writer_new(y->s, &w, err)))
		return rc;
	if ((rc = store_remote_unmark(w, y->url, items, n, err))) {
		store_writer_abort(w);
		return rc;
	}
	return store_writer_commit(w, err);
}

void sync_path(enum store_raw_kind kind, const struct digest *id,
	       char out[REMOTE_PATH_MAX])
{
	switch (kind) {
	case STORE_RAW_LIST: action_list_path(id, out); break;
	case STORE_RAW_ACTION: action_path(id, out); break;
	case STORE_RAW_ALIAS: out[0] = 0; break;
	default: action_cas_path(id, out); break;
	}
}
