/*
 * The remote cache of `cairn run --remote` and `cairn status --remote`
 * (run_remote.h): the run asks it about the instances it would run; a run
 * pulls their stage keys (sync_pull: only runs whose action record a
 * trusted key signed, every object checked by its id), a dry run asks for
 * the action records alone and checks them here.  After a run, the lock
 * file's results are pushed when the remote takes writes.
 */
#include "action.h"
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "digest.h"
#include "err.h"
#include "http.h"
#include "lockfile.h"
#include "run.h"
#include "run_remote.h"
#include "runrec.h"
#include "store.h"
#include "sync.h"
#include "units.h"
#include "util.h"

/* The largest action record a probe takes (ACTION_MAX_OUTPUTS outputs). */
#define ACTION_LIMIT ((uint64_t)8 << 20)
/* A run's transport: a request tried 3 times (after 200 and 400 ms),
 * 3 s to connect. */
#define RUN_RETRIES 2
#define RUN_CONNECT_MS 3000L

struct run_remote {
	struct cli *cli;
	struct store *s;
	struct remote_config conf;
	const struct remote_conf *rc;
	struct run_cache cache;
	struct sync *y;		/* a run's: opened at the first need */
	struct http *h;		/* a probe's likewise */
	int down;		/* it failed: not asked again, not pushed to */
	char down_msg[sizeof(((struct err *)0)->msg)];
	size_t asked, found, untrusted;
	struct sync_counts got;	/* the pulls' counts, added up */
};

/* The remote failed: remembered (a status says it after the run). */
static int failed(struct run_remote *rr, const struct err *err)
{
	rr->down = 1;
	snprintf(rr->down_msg, sizeof(rr->down_msg), "%s", err->msg);
	return -1;
}

/* A run goes on without the remote: it waits less for one that is down
 * than a pull does. */
static void run_http_options(const struct run_remote *rr,
			     struct http_options *o)
{
	sync_http_options(rr->rc, o);
	o->retries = RUN_RETRIES;
	o->connect_timeout_ms = RUN_CONNECT_MS;
}

static int fetch(void *ctx, struct run_cache_ask *a, size_t n,
		 struct err *err)
{
	struct run_remote *rr = ctx;
	struct sync_want *w;
	struct sync_counts c;
	size_t k;
	int rc;

	if (!rr->y) {
		struct http_options o;

		run_http_options(rr, &o);
		if (sync_open_with(rr->rc, &o, rr->s, &runrec_refs, &rr->y,
				   err))
			return failed(rr, err);
	}
	w = xcalloc(n + 1, sizeof(*w));
	for (k = 0; k < n; k++) {
		w[k].id = *a[k].key;
		w[k].as = SYNC_AS_KEY;
	}
	rc = sync_pull(rr->y, w, n, &c, err);
	rr->asked += n;
	rr->got.objects += c.objects;
	rr->got.bytes += c.bytes;
	for (k = 0; k < n; k++) {
		a[k].found = w[k].outcome == SYNC_PULLED ||
			     w[k].outcome == SYNC_HERE;
		rr->found += (size_t)a[k].found;
		rr->untrusted += w[k].outcome == SYNC_UNTRUSTED;
	}
	free(w);
	if (rc == SYNC_REFUSED || rc == SYNC_MISSING)
		return 1;	/* those run here; the others were pulled */
	return rc ? failed(rr, err) : 0;
}

/* The action record in d, if it is a trusted one of a's key with a's
 * number of outputs: its outputs into a. */
static void take_record(struct run_remote *rr, struct run_cache_ask *a,
			const struct buf *d)
{
	struct action_rec rec = ACTION_REC_INIT;
	struct err ignore;
	size_t k;

	if (action_decode(d->data, d->len, &rec, &ignore) < 0 ||
	    !digest_eq(&rec.key, a->key) ||
	    !action_trusted(&rec,
			    (const unsigned char (*)[SIGN_PUBLIC_LEN])
				    rr->rc->trusted,
			    rr->rc->ntrusted)) {
		rr->untrusted++;
	} else if (rec.nouts == a->nouts) {
		for (k = 0; k < rec.nouts; k++)
			a->outs[k] = rec.outs[k].id;
		a->found = 1;
		rr->found++;
	}
	action_rec_release(&rec);
}

static int probe(void *ctx, struct run_cache_ask *a, size_t n,
		 struct err *err)
{
	struct run_remote *rr = ctx;
	struct http_batch *b;
	struct buf *d;
	char path[REMOTE_PATH_MAX];
	struct err ignore;
	size_t k;
	int rc = 0;

	if (!rr->h) {
		struct http_options o;

		run_http_options(rr, &o);
		if (http_open(&o, &rr->h, err))
			return failed(rr, err);
	}
	b = http_batch_new(rr->h);
	d = xcalloc(n + 1, sizeof(*d));
	for (k = 0; k < n; k++) {
		buf_init(&d[k]);
		action_path(a[k].key, path);
		http_batch_get(b, path, &d[k], ACTION_LIMIT, NULL);
	}
	http_batch_run(b, NULL, NULL, &ignore);
	rr->asked += n;
	for (k = 0; k < n; k++) {
		const struct http_result *r = http_batch_result(b, k);

		if (r->rc == 0)
			take_record(rr, &a[k], &d[k]);
		else if (r->rc == HTTP_TOOBIG)
			rr->untrusted++;	/* no record of ours */
		else if (r->rc != HTTP_NOTFOUND && !rc) {
			err_set(err, "%s", r->msg);
			rc = failed(rr, err);
		}
		buf_release(&d[k]);
	}
	free(d);
	http_batch_free(b);
	return rc;
}

int run_remote_open(struct cli *cli, const char *workspace, const char *name,
		    struct store *s, struct run_remote **out)
{
	struct run_remote *rr = xcalloc(1, sizeof(*rr));
	struct err err;

	*out = NULL;
	rr->cli = cli;
	rr->s = s;
	if (remote_config_load(workspace, &rr->conf, &err) < 0 ||
	    !(rr->rc = remote_config_find(&rr->conf, name, &err))) {
		term_error(&cli->term, "%s", err.msg);
		if (!rr->conf.n)
			term_hint(&cli->term, "'cairn remote add NAME URL' "
					      "adds one");
		run_remote_close(rr);
		return EXIT_USAGE;
	}
	rr->cache.name = rr->rc->name;
	rr->cache.fetch = fetch;
	rr->cache.probe = probe;
	rr->cache.ctx = rr;
	*out = rr;
	return 0;
}

void run_remote_close(struct run_remote *rr)
{
	if (!rr)
		return;
	sync_close(rr->y);
	http_close(rr->h);
	remote_config_release(&rr->conf);
	free(rr);
}

const struct run_cache *run_remote_cache(struct run_remote *rr)
{
	return &rr->cache;
}

const char *run_remote_name(const struct run_remote *rr)
{
	return rr->rc->name;
}

/* ---- after the run ---- */

void run_remote_warn(struct run_remote *rr, int down_too)
{
	const struct term *t = &rr->cli->term;

	if (rr->down && down_too)
		term_warning(t, "%s; remote '%s' not used", rr->down_msg,
			     rr->rc->name);
	if (rr->untrusted)
		term_warning(t, "remote '%s': %zu action record%s not signed "
				"by a trusted key: ignored",
			     rr->rc->name, rr->untrusted,
			     rr->untrusted == 1 ? "" : "s");
}

void run_remote_push(struct run_remote *rr, const char *lock_path)
{
	const struct term *t = &rr->cli->term;
	struct lock_index li;
	struct digest *ids = NULL;
	struct sync_counts c;
	struct buf line = BUF_INIT;
	struct err err;
	char a[32], b[32];
	size_t n = 0, i;
	int rc;

	if (rr->untrusted)
		term_warning(t, "remote '%s': %zu action record%s not signed "
				"by a trusted key: ignored (their stages ran "
				"here)",
			     rr->rc->name, rr->untrusted,
			     rr->untrusted == 1 ? "" : "s");
	if (rr->down)
		return;	/* said during the run */
	buf_addf(&line, "remote '%s': pulled %zu run%s (%zu object%s, %s)",
		 rr->rc->name, rr->found, rr->found == 1 ? "" : "s",
		 rr->got.objects, rr->got.objects == 1 ? "" : "s",
		 format_size(rr->got.bytes, a));
	if (rr->rc->read_only) {
		buf_adds(&line, "; not pushed to: read-only");
	} else if (!rr->rc->sign_key) {
		buf_adds(&line, "; not pushed to: no sign_key");
	} else if (lock_index_load(lock_path, &li) == 0) {
		ids = xcalloc(li.n + 1, sizeof(*ids));
		for (i = 0; i < li.n; i++)
			n += lock_entry_run(rr->s, &li.e[i], &ids[n], &err) == 1;
		lock_index_free(&li);
		if (!rr->y &&
		    (rc = sync_open(rr->rc, rr->s, &runrec_refs, &rr->y, &err)))
			goto fail;
		if ((rc = sync_push(rr->y, ids, n, 0, &c, &err)))
			goto fail;
		buf_addf(&line, ", sent %zu object%s (%s)", c.objects,
			 c.objects == 1 ? "" : "s", format_size(c.bytes, b));
	}
	if (!t->quiet)
		printf("%s\n", line.data);
	free(ids);
	buf_release(&line);
	return;
fail:
	if (!t->quiet)
		printf("%s\n", line.data);
	term_warning(t, "%s; this run's results were not pushed", err.msg);
	free(ids);
	buf_release(&line);
}
