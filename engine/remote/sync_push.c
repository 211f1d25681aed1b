/*
 * Push (sync.h): what some ids need, sent to a remote in the store's
 * crash-safe order, each run's signed action record last.
 *
 * What to send is found in rounds, each a walk of the store
 * (store_raw_walk) that leaves out what is known to be on the remote: the
 * remotes table's entries and what this push found or sent.  The remote
 * is asked top-down (action records; then runs; trees; chunk lists and
 * inline blobs; chunks), one kind a round, every request of a round in
 * parallel: an object found there holds all it names (every cairn push
 * sends in this order), so the next round's walk no longer reaches what
 * it names.  With verify, neither the table nor that rule is believed:
 * one round asks about every object.  Then the rest is sent, a kind only
 * once those it names are there, and recorded in the table.
 */
#include <pthread.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "idset.h"
#include "sync_internal.h"
#include "util.h"

/* The largest action record a GET takes (ACTION_MAX_OUTPUTS of them). */
#define ACTION_LIMIT ((uint64_t)8 << 20)

#define KIND(k) (1u << (k))

/* A run that gets an action record. */
struct prun {
	struct action_rec a;	/* key, run, time, outs (ours) */
	int send;		/* the remote lacks it: send it */
};

struct push {
	struct sync *y;
	const struct digest *ids;
	size_t nids;
	int verify;
	struct idset cas, list;	/* on the remote: found there or sent */
	int counting;		/* count what the table leaves out */
	struct prun *runs;
	size_t nruns, capruns;
	struct store_raw_item *found;	/* found there: to record */
	size_t nfound, capfound;
	struct store_raw_item *gone;	/* verify: not there, whatever the
					   table says: to forget */
	size_t ngone, capgone;
	struct sign_key *key;	/* NULL: none (why in keyerr) */
	struct err keyerr;
	struct sync_counts *c;
	struct err *err;
};

static void found(struct push *p, const struct store_raw_item *it)
{
	xgrow((void **)&p->found, &p->capfound, p->nfound + 1,
	      sizeof(*p->found));
	p->found[p->nfound++] = *it;
}

/* verify: not on the remote, whatever the table says. */
static void gone(struct push *p, enum store_raw_kind kind,
		 const struct digest *id)
{
	xgrow((void **)&p->gone, &p->capgone, p->ngone + 1, sizeof(*p->gone));
	memset(&p->gone[p->ngone], 0, sizeof(*p->gone));
	p->gone[p->ngone].kind = kind;
	p->gone[p->ngone++].id = *id;
}

static struct idset *where(struct push *p, enum store_raw_kind kind)
{
	return kind == STORE_RAW_LIST ? &p->list : &p->cas;
}

/* The walks' skip: what is known to be on the remote. */
static int skip(const struct store_raw_item *it, void *ctx)
{
	struct push *p = ctx;
	int k;

	if (it->kind == STORE_RAW_ALIAS)
		return 0;	/* nothing of its own there: its blob is */
	if (idset_has(where(p, it->kind), &it->id))
		return 1;
	if (p->verify)
		return 0;
	k = store_remote_known(p->y->s, p->y->url, it->kind, &it->id, NULL);
	if (k < 0)
		return sync_store_fail(p->err, k, p->y->s);
	if (k && p->counting)
		p->c->known++;
	return k;
}

static int walk(struct push *p, struct store_raw_item **items, size_t *n)
{
	return store_raw_walk(p->y->s, p->ids, p->nids, p->y->refs, skip, p,
			      items, n, p->err);
}

/* The first walk's skip: note the runs among the ids, visit nothing. */
static int take_run(const struct store_raw_item *it, void *ctx)
{
	struct push *p = ctx;

	if (it->kind == STORE_RAW_RUN && !it->failed) {
		xgrow((void **)&p->runs, &p->capruns, p->nruns + 1,
		      sizeof(*p->runs));
		memset(&p->runs[p->nruns], 0, sizeof(p->runs[p->nruns]));
		p->runs[p->nruns++].a.run = it->id;
	}
	return 1;
}

static int read_run(const struct store_run *r, void *ctx)
{
	struct action_rec *a = ctx;
	size_t i;

	a->key = r->key;
	a->time_ns = r->time_ns;
	a->outs = xcalloc(r->noutputs + 1, sizeof(*a->outs));
	a->nouts = r->noutputs;
	for (i = 0; i < r->noutputs; i++)
		memcpy(a->outs[i].id.b, r->outputs[i].b, DIGEST_LEN);
	return 0;
}

/* Run a->run's key, time and outputs, each output's kind. */
static int load_run(struct push *p, struct action_rec *a)
{
	struct store *s = p->y->s;
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	if ((rc = store_get_run(s, &a->run, read_run, a, p->err)))
		return rc;
	for (i = 0; i < a->nouts; i++) {
		struct action_output *o = &a->outs[i];

		if ((rc = store_raw_has(s, STORE_RAW_BLOB, &o->id)) == 1) {
			o->kind = STORE_RAW_BLOB;
		} else if (rc == 0 && (rc = store_raw_has(s, STORE_RAW_TREE,
							 &o->id)) == 1) {
			o->kind = STORE_RAW_TREE;
		} else if (rc == 0) {
			/* The walk found every output: a content id. */
			if ((rc = store_raw_get(s, STORE_RAW_ALIAS, &o->id, &b,
						p->err)))
				break;
			o->kind = STORE_RAW_ALIAS;
			memcpy(o->blob.b, b.data, DIGEST_LEN);
		} else {
			rc = sync_store_fail(p->err, rc, s);
			break;
		}
		rc = 0;
	}
	buf_release(&b);
	return rc;
}

/* Whether the remote's record says what ours would: this run, signed by
 * a key the remote's readers trust (or ours). */
static int same_record(struct push *p, const struct action_rec *want,
		       const struct buf *got)
{
	struct action_rec a = ACTION_REC_INIT;
	unsigned char (*keys)[SIGN_PUBLIC_LEN];
	struct err ignore;
	size_t n = p->y->ntrusted;
	int ok;

	keys = xcalloc(n + 1, sizeof(*keys));
	if (n)
		memcpy(keys, p->y->trusted, n * sizeof(*keys));
	if (p->key)
		sign_key_public(p->key, keys[n++]);
	ok = action_decode(got->data, got->len, &a, &ignore) == 0 &&
	     digest_eq(&a.key, &want->key) && digest_eq(&a.run, &want->run) &&
	     action_trusted(&a, (const unsigned char (*)[SIGN_PUBLIC_LEN])keys,
			    n);
	action_rec_release(&a);
	free(keys);
	return ok;
}

/* Round 0: the runs' action records. */
static int ask_actions(struct push *p)
{
	struct sync *y = p->y;
	struct http_batch *b = http_batch_new(y->h);
	struct buf *got = sync_bufs(p->nruns);
	char path[REMOTE_PATH_MAX];
	size_t i, k;
	int rc = 0;

	for (i = 0; i < p->nruns; i++) {
		struct prun *r = &p->runs[i];
		struct store_raw_item it;

		memset(&it, 0, sizeof(it));
		it.kind = STORE_RAW_ACTION;
		it.id = r->a.run;
		if (!p->verify && (rc = store_remote_known(y->s, y->url,
							   it.kind, &it.id,
							   NULL)) != 0) {
			if (rc < 0) {
				sync_store_fail(p->err, rc, y->s);
				goto out;
			}
			rc = 0;
			p->c->known++;
			idset_add(&p->cas, &r->a.run);
			continue;
		}
		r->send = 1;
		action_path(&r->a.key, path);
		http_batch_get(b, path, &got[i], ACTION_LIMIT, r);
		p->c->gets++;
	}
	if (!http_batch_count(b))
		goto out;
	y->p.total += http_batch_count(b);
	if ((rc = sync_run(y, b, p->err)))
		goto out;
	for (k = 0; k < http_batch_count(b); k++) {
		const struct http_result *res = http_batch_result(b, k);
		struct prun *r = res->ctx;
		struct store_raw_item it;

		if (res->rc || !same_record(p, &r->a, &got[r - p->runs])) {
			if (p->verify)	/* the table may say otherwise */
				gone(p, STORE_RAW_ACTION, &r->a.run);
			continue;
		}
		r->send = 0;
		p->c->present++;
		memset(&it, 0, sizeof(it));
		it.kind = STORE_RAW_ACTION;
		it.id = r->a.run;
		found(p, &it);
		if (p->verify)
			continue;	/* what it names is asked about */
		idset_add(&p->cas, &r->a.run);
		it.kind = STORE_RAW_RUN;
		found(p, &it);
	}
out:
	for (i = 0; i < p->nruns; i++)
		buf_release(&got[i]);
	free(got);
	http_batch_free(b);
	return rc;
}

/* One round: ask the remote about the objects of kinds the walk still
 * reaches. */
static int ask(struct push *p, unsigned kinds)
{
	struct sync *y = p->y;
	struct store_raw_item *items = NULL;
	struct http_batch *b = NULL;
	char path[REMOTE_PATH_MAX];
	size_t n = 0, i;
	int rc;

	if ((rc = walk(p, &items, &n)))
		goto out;
	b = http_batch_new(y->h);
	for (i = 0; i < n; i++) {
		if (!(kinds & KIND(items[i].kind)) ||
		    items[i].kind == STORE_RAW_ALIAS)
			continue;
		sync_path(items[i].kind, &items[i].id, path);
		http_batch_head(b, path, &items[i]);
		p->c->heads++;
	}
	if (!http_batch_count(b))
		goto out;
	y->p.total += http_batch_count(b);
	if ((rc = sync_run(y, b, p->err)))
		goto out;
	for (i = 0; i < http_batch_count(b); i++) {
		const struct http_result *res = http_batch_result(b, i);
		const struct store_raw_item *it = res->ctx;

		if (res->rc == HTTP_NOTFOUND && p->verify)
			gone(p, it->kind, &it->id);
		if (res->rc)
			continue;
		idset_add(where(p, it->kind), &it->id);
		found(p, it);
		p->c->present++;
	}
out:
	http_batch_free(b);
	free(items);
	return rc;
}

/*
 * A batch's raw records, read from the store: on a thread of its own
 * while the batch before it is sent, so that checking the next chunks
 * overlaps with the transfers.  A chunk is sent from the store's map
 * where it lies (store_raw_view), not copied: the reader's snapshot stays
 * live until the last batch is sent.
 */
struct batch {
	struct store *r;		/* the reader handle */
	const struct store_raw_item *items;
	size_t n, from, to;		/* items[from..to) read */
	struct buf *data;		/* scratch for each (kept for the next
					   batch: their memory is reused) */
	const void **at;		/* each record's bytes */
	size_t *len;
	size_t ndata;
	uint64_t bytes;
	int rc;
	struct err err;
};

static void read_batch(struct batch *x)
{
	size_t j, k, cap;

	x->bytes = 0;
	x->rc = 0;
	for (j = x->from; j < x->n && (j == x->from ||
				       x->bytes < SYNC_BATCH_BYTES);
	     j++) {
		k = j - x->from;
		if (k == x->ndata) {
			cap = x->ndata;
			xgrow((void **)&x->data, &cap, k + 1,
			      sizeof(*x->data));
			x->at = xrealloc(x->at, cap * sizeof(*x->at));
			x->len = xrealloc(x->len, cap * sizeof(*x->len));
			for (; x->ndata < cap; x->ndata++)
				buf_init(&x->data[x->ndata]);
		}
		if ((x->rc = store_raw_view(x->r, x->items[j].kind,
					    &x->items[j].id, &x->data[k],
					    &x->at[k], &x->len[k], &x->err)))
			break;
		x->bytes += x->len[k];
	}
	x->to = j;
}

static void *read_thread(void *arg)
{
	read_batch(arg);
	return NULL;
}

/* Send items[0..n), in batches that hold a bounded number of bytes, and
 * record what was sent as held once it is all there (and the views of
 * the store are let go: a mark may grow the map). */
static int send(struct push *p, const struct store_raw_item *items, size_t n)
{
	struct sync *y = p->y;
	struct batch x[2];
	char path[REMOTE_PATH_MAX];
	size_t k, sent = 0;
	int cur = 0, rc = 0;

	if (!n)
		return 0;
	memset(x, 0, sizeof(x));
	x[0].r = x[1].r = store_reader(y->s);
	x[0].items = x[1].items = items;
	x[0].n = x[1].n = n;
	read_batch(&x[0]);
	for (;;) {
		struct batch *b = &x[cur], *next = &x[!cur];
		struct http_batch *hb;
		pthread_t t;
		int threaded = 0;

		if (b->rc) {
			memcpy(p->err, &b->err, sizeof(b->err));
			rc = b->rc;
			break;
		}
		if (b->to < n) {
			next->from = b->to;
			threaded = !pthread_create(&t, NULL, read_thread, next);
		}
		hb = http_batch_new(y->h);
		for (k = b->from; k < b->to; k++) {
			sync_path(items[k].kind, &items[k].id, path);
			http_batch_put(hb, path, b->at[k - b->from],
				       b->len[k - b->from], NULL);
			p->c->puts++;
		}
		rc = sync_run(y, hb, p->err);
		http_batch_free(hb);
		if (threaded)
			pthread_join(t, NULL);
		if (!rc) {
			p->c->objects += b->to - b->from;
			p->c->bytes += b->bytes;
			sent = b->to;
			for (k = b->from; k < b->to; k++)
				idset_add(where(p, items[k].kind),
					  &items[k].id);
		}
		if (rc || b->to == n)
			break;
		if (!threaded)
			read_batch(next);
		cur = !cur;
	}
	for (cur = 0; cur < 2; cur++) {
		for (k = 0; k < x[cur].ndata; k++)
			buf_release(&x[cur].data[k]);
		free(x[cur].data);
		free(x[cur].at);
		free(x[cur].len);
	}
	store_close(x[0].r);
	if (sent) {
		struct err e;
		int mrc = sync_mark(y, items, sent, rc ? &e : p->err);

		rc = rc ? rc : mrc;
	}
	return rc;
}

/* Everything the walk still reaches, kind by kind in push order. */
static int send_all(struct push *p)
{
	static const unsigned groups[] = {
		KIND(STORE_RAW_CHUNK) | KIND(STORE_RAW_INLINE),
		KIND(STORE_RAW_LIST),
		KIND(STORE_RAW_TREE),
		KIND(STORE_RAW_RUN),
	};
	struct store_raw_item *items = NULL, *g;
	uint64_t bytes = 0;
	size_t n = 0, ng, i, k, actions = 0;
	int rc;

	p->counting = 1;
	rc = walk(p, &items, &n);
	p->counting = 0;
	if (rc)
		return rc;
	for (i = 0; i < p->nruns; i++)
		actions += p->runs[i].send;
	for (i = k = 0; i < n; i++)
		if (items[i].kind != STORE_RAW_ALIAS) {
			bytes += items[i].size;
			k++;
		}
	sync_phase(p->y, "sending", k + actions, bytes);
	g = xcalloc(n + 1, sizeof(*g));
	for (k = 0; k < sizeof(groups) / sizeof(groups[0]) && !rc; k++) {
		for (i = ng = 0; i < n; i++)
			if (groups[k] & KIND(items[i].kind))
				g[ng++] = items[i];
		rc = send(p, g, ng);
	}
	free(g);
	free(items);
	return rc;
}

/* Last: the action records the remote lacks, signed. */
static int send_actions(struct push *p)
{
	struct sync *y = p->y;
	struct http_batch *b = http_batch_new(y->h);
	struct buf *rec = sync_bufs(p->nruns);
	struct store_raw_item *done = xcalloc(p->nruns + 1, sizeof(*done));
	char path[REMOTE_PATH_MAX];
	size_t i, n = 0;
	uint64_t bytes = 0;
	int rc = 0;

	for (i = 0; i < p->nruns && !rc; i++) {
		struct prun *r = &p->runs[i];

		if (!r->send)
			continue;
		if ((rc = action_encode(&r->a, p->key, &rec[i], p->err)))
			break;
		action_path(&r->a.key, path);
		http_batch_put(b, path, rec[i].data, rec[i].len, NULL);
		bytes += rec[i].len;
		p->c->puts++;
		done[n].kind = STORE_RAW_ACTION;
		done[n++].id = r->a.run;
	}
	if (!rc && n && !(rc = sync_run(y, b, p->err))) {
		p->c->actions += n;
		p->c->objects += n;
		p->c->bytes += bytes;
		rc = sync_mark(y, done, n, p->err);
	}
	for (i = 0; i < p->nruns; i++)
		buf_release(&rec[i]);
	free(rec);
	free(done);
	http_batch_free(b);
	return rc;
}

static int need_key(struct push *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->nruns; i++)
		n += p->runs[i].send;
	if (!n || p->key)
		return 0;
	if (p->y->sign_key)
		err_set(p->err, "remote '%s': cannot sign action records: %s",
			p->y->name, p->keyerr.msg);
	else
		err_set(p->err, "remote '%s' has no sign_key to sign the "
				"action records of %zu run%s with ('%s')",
			p->y->name, n, n == 1 ? "" : "s", p->y->conf_file);
	return SYNC_NOKEY;
}

int sync_push(struct sync *y, const struct digest *ids, size_t n, int verify,
	      struct sync_counts *c, struct err *err)
{
	static const unsigned rounds[] = {
		KIND(STORE_RAW_RUN),
		KIND(STORE_RAW_TREE),
		KIND(STORE_RAW_LIST) | KIND(STORE_RAW_INLINE),
		KIND(STORE_RAW_CHUNK),
	};
	struct store_raw_item *items = NULL;
	struct push p;
	size_t i, nitems;
	int rc;

	memset(c, 0, sizeof(*c));
	err->msg[0] = 0;
	if (y->read_only)
		return err_set(err, "remote '%s' is read-only (read_only = "
				    "true in '%s'): nothing pushed",
			       y->name, y->conf_file),
		       SYNC_READONLY;
	memset(&p, 0, sizeof(p));
	p.y = y;
	p.ids = ids;
	p.nids = n;
	p.verify = verify;
	p.c = c;
	p.err = err;
	idset_init(&p.cas);
	idset_init(&p.list);
	if (y->sign_key && sign_key_load(y->sign_key, &p.key, &p.keyerr))
		p.key = NULL;
	/* The runs among the ids, and what their records will say. */
	rc = store_raw_walk(y->s, ids, n, y->refs, take_run, &p, &items,
			    &nitems, err);
	free(items);
	for (i = 0; i < p.nruns && !rc; i++)
		rc = load_run(&p, &p.runs[i].a);
	sync_phase(y, "checking", 0, 0);
	if (!rc)
		rc = ask_actions(&p);
	if (!rc)
		rc = need_key(&p);
	for (i = 0; !rc && i < (verify ? 1 : sizeof(rounds) / sizeof(*rounds));
	     i++)
		rc = ask(&p, verify ? ~0u : rounds[i]);
	/* What the table says and the remote lacks (evicted, deleted) is
	 * forgotten now: an interrupted push must not leave it believed. */
	if (!rc)
		rc = sync_unmark(y, p.gone, p.ngone, err);
	if (!rc)
		rc = sync_mark(y, p.found, p.nfound, err);
	if (!rc)
		rc = send_all(&p);
	if (!rc)
		rc = send_actions(&p);
	for (i = 0; i < p.nruns; i++)
		free(p.runs[i].a.outs);
	free(p.runs);
	free(p.found);
	free(p.gone);
	sign_key_free(p.key);
	idset_release(&p.cas);
	idset_release(&p.list);
	return rc;
}
