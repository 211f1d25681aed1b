/*
 * Pull (sync.h): stage keys' action records, then what their runs need,
 * fetched top-down and stored bottom-up.
 *
 * An action record counts only when a trusted key signed it for the key
 * asked about.  Its run comes next: the run names its outputs (the record
 * says which is a blob, a tree or a content id) and its log; a tree names
 * its files' blobs; a blob is at /cas/<id> when it travelled whole (an
 * inline blob, or a chunk of the same bytes), else its chunk list is at
 * /ac/ and names its chunks.  Each round of requests fetches all that is
 * known to be wanted and not in the store, in parallel, within a bounded
 * number of bytes.  Leaves (chunks, whole blobs) are stored as they come;
 * records that name others (chunk lists, aliases, trees, runs) are kept
 * until everything has come, then stored in that order.  The store's
 * writer checks each against the id it must have: a download that fails
 * is refused and counted, and what needs it is not stored either.
 */
#include "buf.h"
#include "err.h"
#include "http.h"
#include "idset.h"
#include "interrupt.h"
#include "queue.h"
#include "sync_internal.h"
#include "util.h"

/* The largest bodies a GET takes: an action record (ACTION_MAX_OUTPUTS
 * outputs), a chunk or a blob fetched whole, and a record that names
 * others (a run's payload, a big tree or chunk list). */
#define ACTION_LIMIT ((uint64_t)8 << 20)
#define WHOLE_LIMIT ((uint64_t)64 << 20)
#define RECORD_LIMIT ((uint64_t)1 << 30)
/* What a fetch of unknown size counts for in a round's bytes. */
#define UNKNOWN_SIZE ((uint64_t)1 << 20)

/* Something to fetch. */
struct need {
	enum store_raw_kind kind;	/* RUN, TREE, BLOB, OBJECT (a blob or
					   a tree), LIST, CHUNK */
	struct digest id;
	uint64_t size;			/* its bytes when known, else 0 */
	struct sync_want *want;		/* the want it is, or NULL */
	long act;			/* a RUN: its action record's index in
					   acts, or -1 */
	enum store_raw_kind by_kind;	/* what named it, for messages */
	struct digest by;
};

/* A record that names others, stored once they are. */
struct rec {
	enum store_raw_kind kind;	/* LIST, ALIAS, TREE, RUN */
	struct digest id;
	struct buf data;
	int failed;			/* a RUN no action record vouches for:
					   stored as failed, never a cache hit */
};

struct pull {
	struct sync *y;
	struct sync_counts *c;
	struct err *err;
	struct idset queued;		/* objects asked for (or here) */
	struct idset chunks;		/* chunks likewise */
	struct need *q;			/* still to fetch */
	size_t nq, capq;
	struct rec *recs;
	size_t nrecs, caprecs;
	struct action_rec *acts;	/* the records taken */
	size_t nacts, capacts;
	struct store_raw_item *got;	/* stored from the remote: for the
					   remotes table */
	size_t ngot, capgot;
	struct store_writer *w;		/* this round's, or NULL */
	struct queue *leaves;		/* where chunks go to be stored (NULL:
					   stored by the fetching thread) */
	size_t failures;		/* refused and missing */
	int first_rc;
};

/* A download refused, or an object missing: counted, the first said. */
static void failure(struct pull *p, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void failure(struct pull *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (rc == SYNC_MISSING)
		p->c->missing++;
	else
		p->c->refused++;
	if (p->failures++)
		return;
	p->first_rc = rc;
	va_start(ap, fmt);
	err_vset(p->err, fmt, ap);
	va_end(ap);
}

static const char *noun(enum store_raw_kind kind)
{
	switch (kind) {
	case STORE_RAW_LIST: return "chunk list";
	case STORE_RAW_ACTION: return "action record for key";
	default: return store_raw_kind_name(kind);
	}
}

static void push_need(struct pull *p, const struct need *nd)
{
	xgrow((void **)&p->q, &p->capq, p->nq + 1, sizeof(*p->q));
	p->q[p->nq++] = *nd;
	p->y->p.total_bytes += nd->size;
}

/*
 * Want object id of kind (named by by_kind by), unless it is asked for
 * already or in the store.  0, or a store code.
 */
static int want(struct pull *p, enum store_raw_kind kind,
		const struct digest *id, uint64_t size,
		enum store_raw_kind by_kind, const struct digest *by)
{
	struct need nd;
	int rc;

	if (!idset_add(kind == STORE_RAW_CHUNK ? &p->chunks : &p->queued, id))
		return 0;
	rc = store_raw_has(p->y->s, kind == STORE_RAW_OBJECT ? STORE_RAW_OBJECT
				    : kind == STORE_RAW_CHUNK ? STORE_RAW_CHUNK
				    : kind == STORE_RAW_RUN   ? STORE_RAW_RUN
				    : kind == STORE_RAW_TREE  ? STORE_RAW_TREE
							      : STORE_RAW_BLOB,
			   id);
	if (rc < 0)
		return sync_store_fail(p->err, rc, p->y->s);
	if (rc) {
		p->c->present++;
		return 0;
	}
	memset(&nd, 0, sizeof(nd));
	nd.kind = kind;
	nd.id = *id;
	nd.size = size;
	nd.act = -1;
	nd.by_kind = by_kind;
	nd.by = *by;
	push_need(p, &nd);
	return 0;
}

static struct rec *keep(struct pull *p, enum store_raw_kind kind,
			const struct digest *id, struct buf *data)
{
	struct rec *r;

	xgrow((void **)&p->recs, &p->caprecs, p->nrecs + 1, sizeof(*p->recs));
	r = &p->recs[p->nrecs++];
	r->kind = kind;
	r->id = *id;
	r->data = *data;
	r->failed = 0;
	*data = (struct buf)BUF_INIT;
	return r;
}

static void stored(struct pull *p, enum store_raw_kind kind,
		   const struct digest *id, size_t n)
{
	struct store_raw_item *it;

	p->c->objects++;
	p->c->bytes += n;
	if (kind == STORE_RAW_ALIAS)
		return;		/* not an object of the remote's */
	xgrow((void **)&p->got, &p->capgot, p->ngot + 1, sizeof(*p->got));
	it = &p->got[p->ngot++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->id = *id;
	it->size = n;
}

/* Store raw record data[0..n) through w (hash: its SHA-256, computed
 * already, or NULL): refused ones are counted, other failures returned. */
static int put_hashed(struct pull *p, struct store_writer *w,
		      enum store_raw_kind kind, const struct digest *id,
		      const void *data, size_t n, int failed,
		      const struct digest *hash)
{
	char path[REMOTE_PATH_MAX];
	struct err e;
	int rc;

	rc = kind == STORE_RAW_RUN
		     ? store_raw_put_run(w, id, data, n, failed, p->y->refs,
					 &e)
		     : store_raw_put_hashed(w, kind, id, data, n, hash, &e);
	if (!rc) {
		stored(p, kind, id, n);
		return 0;
	}
	if (rc == STORE_NOTFOUND && p->failures)
		return 0;	/* what it names was refused or missing */
	if (rc == STORE_MISMATCH || rc == STORE_CORRUPT ||
	    rc == STORE_UNSAFE || rc == STORE_NOTFOUND) {
		sync_path(kind == STORE_RAW_INLINE ? STORE_RAW_CHUNK : kind, id,
			  path);
		failure(p, SYNC_REFUSED, "remote '%s': '%s': %s", p->y->name,
			kind == STORE_RAW_ALIAS ? "ac" : path, e.msg);
		return 0;
	}
	memcpy(p->err->msg, e.msg, sizeof(e.msg));
	return rc;
}

/* The same, hashed by the store. */
static int put(struct pull *p, struct store_writer *w,
	       enum store_raw_kind kind, const struct digest *id,
	       const void *data, size_t n, int failed)
{
	return put_hashed(p, w, kind, id, data, n, failed, NULL);
}

/* Whether data[0..n) hashes to id; else refused. */
static int checked(struct pull *p, const struct need *nd, const struct buf *d)
{
	char path[REMOTE_PATH_MAX], hex[DIGEST_HEX + 1];
	struct digest got;

	sha256(d->data, d->len, &got);
	if (digest_eq(&got, &nd->id))
		return 1;
	sync_path(STORE_RAW_CHUNK, &nd->id, path);
	digest_hex(&nd->id, hex);
	failure(p, SYNC_REFUSED, "remote '%s': '%s': refused %s %s: its bytes "
				 "do not hash to its id",
		p->y->name, path,
		nd->kind == STORE_RAW_OBJECT ? "object" : noun(nd->kind), hex);
	return 0;
}

static int starts(const struct buf *d, const char *magic)
{
	size_t n = strlen(magic);

	return d->len >= n && !memcmp(d->data, magic, n);
}

/* The first request of b that failed for a reason other than the
 * object's absence or its size (said by err), or 0. */
static int transport(const struct http_batch *b, struct err *err)
{
	size_t i;

	if (interrupt_caught())
		return sync_interrupted(err);
	for (i = 0; i < http_batch_count(b); i++) {
		const struct http_result *r = http_batch_result(b, i);

		if (r->rc && r->rc != HTTP_NOTFOUND && r->rc != HTTP_TOOBIG) {
			err_set(err, "%s", r->msg);
			return r->rc;
		}
	}
	return 0;
}

/* Whether data[0..n) is an action record for key that a trusted key
 * signed: then decoded into *a (released by the caller either way). */
static int trusted(struct pull *p, const struct digest *key, const void *data,
		   size_t n, struct action_rec *a)
{
	struct err ignore;

	return action_decode(data, n, a, &ignore) == 0 &&
	       digest_eq(&a->key, key) &&
	       action_trusted(a, (const unsigned char (*)[SIGN_PUBLIC_LEN])
					 p->y->trusted,
			      p->y->ntrusted);
}

static long take_record(struct pull *p, struct action_rec *a)
{
	xgrow((void **)&p->acts, &p->capacts, p->nacts + 1, sizeof(*p->acts));
	p->acts[p->nacts] = *a;
	*a = (struct action_rec)ACTION_REC_INIT;
	return (long)p->nacts++;
}

/*
 * A run asked for by its id: the action record of its key, when a trusted
 * key signed one that names this run, vouches for it (it succeeded) and
 * says what its outputs are.  *at: its index in acts, or -1.  0, or the
 * remote's failure.
 */
static int vouched(struct pull *p, const struct need *nd, const struct buf *d,
		   long *at)
{
	struct http_batch *b = http_batch_new(p->y->h);
	struct action_rec a = ACTION_REC_INIT;
	struct buf got = BUF_INIT;
	char path[REMOTE_PATH_MAX];
	struct digest key;
	struct err ignore;
	int rc;

	*at = -1;
	memcpy(key.b, d->data + strlen("cairn run 1\n"), DIGEST_LEN);
	action_path(&key, path);
	http_batch_get(b, path, &got, ACTION_LIMIT, NULL);
	p->c->gets++;
	p->y->p.total++;
	sync_run(p->y, b, &ignore);
	if (!(rc = transport(b, p->err)) && !http_batch_result(b, 0)->rc &&
	    trusted(p, &key, got.data, got.len, &a) &&
	    digest_eq(&a.run, &nd->id)) {
		p->c->actions++;
		*at = take_record(p, &a);
	}
	action_rec_release(&a);
	buf_release(&got);
	http_batch_free(b);
	return rc;
}

/* A run came: want its outputs (of the kinds its action record gives)
 * and what its payload names. */
static int got_run(struct pull *p, const struct need *nd, struct buf *d)
{
	const struct action_rec *a = NULL;
	struct store_raw_item *items = NULL;
	size_t n = 0, i, k;
	long at = nd->act;
	struct err e;
	int rc = 0;

	if (at < 0 && (rc = vouched(p, nd, d, &at)))
		return rc;
	if (at >= 0)
		a = &p->acts[at];
	if (store_raw_names(STORE_RAW_RUN, &nd->id, d->data, d->len,
			    p->y->refs, &items, &n, &e)) {
		failure(p, SYNC_REFUSED, "remote '%s': refused %s", p->y->name,
			e.msg);
		return 0;
	}
	for (i = 0; i < n && !rc; i++) {
		const struct action_output *o = NULL;

		for (k = 0; a && k < a->nouts; k++)
			if (digest_eq(&a->outs[k].id, &items[i].id))
				o = &a->outs[k];
		if (!o) {	/* its log, or an output the record omits */
			rc = want(p, STORE_RAW_OBJECT, &items[i].id, 0,
				  STORE_RAW_RUN, &nd->id);
		} else if (o->kind == STORE_RAW_ALIAS) {
			struct buf b = BUF_INIT;

			if ((rc = store_raw_has(p->y->s, STORE_RAW_ALIAS,
						&o->id)) < 0)
				return sync_store_fail(p->err, rc, p->y->s);
			if (rc || !idset_add(&p->queued, &o->id)) {
				rc = 0;
				continue;
			}
			buf_add(&b, o->blob.b, DIGEST_LEN);
			keep(p, STORE_RAW_ALIAS, &o->id, &b);
			rc = want(p, STORE_RAW_BLOB, &o->blob, 0,
				  STORE_RAW_ALIAS, &o->id);
		} else {
			rc = want(p, o->kind, &o->id, 0, STORE_RAW_RUN,
				  &nd->id);
		}
	}
	free(items);
	/* Whether a run no record vouches for succeeded, nothing says: it
	 * is kept, but never taken for a cache hit. */
	if (!rc)
		keep(p, STORE_RAW_RUN, &nd->id, d)->failed = !a;
	return rc;
}

/* A tree or a chunk list came: want what it names. */
static int got_record(struct pull *p, enum store_raw_kind kind,
		      const struct need *nd, struct buf *d)
{
	struct store_raw_item *items = NULL;
	size_t n = 0, i;
	struct err e;
	int rc = 0;

	if (store_raw_names(kind, &nd->id, d->data, d->len, NULL, &items, &n,
			    &e)) {
		failure(p, SYNC_REFUSED, "remote '%s': refused %s", p->y->name,
			e.msg);
		return 0;
	}
	for (i = 0; i < n && !rc; i++)
		rc = want(p, items[i].kind, &items[i].id, items[i].size, kind,
			  &nd->id);
	free(items);
	if (!rc)
		keep(p, kind, &nd->id, d);
	return rc;
}

/* A leaf came: store it now (hash: its bytes', computed already, or
 * NULL). */
static int got_leaf(struct pull *p, enum store_raw_kind kind,
		    const struct need *nd, const struct buf *d,
		    const struct digest *hash)
{
	int rc;

	if (!p->w && (rc = store_writer_new(p->y->s, &p->w, p->err)))
		return rc;
	return put_hashed(p, p->w, kind, &nd->id, d->data, d->len, 0, hash);
}

static int got(struct pull *p, const struct need *nd, struct buf *d)
{
	struct store_raw_item *items = NULL;
	size_t n = 0;
	struct err e;

	switch (nd->kind) {
	case STORE_RAW_CHUNK: return got_leaf(p, STORE_RAW_CHUNK, nd, d, NULL);
	case STORE_RAW_BLOB: return got_leaf(p, STORE_RAW_INLINE, nd, d, NULL);
	case STORE_RAW_LIST: return got_record(p, STORE_RAW_LIST, nd, d);
	case STORE_RAW_TREE:
		return checked(p, nd, d) ? got_record(p, STORE_RAW_TREE, nd, d)
					 : 0;
	case STORE_RAW_RUN: return checked(p, nd, d) ? got_run(p, nd, d) : 0;
	default: break;
	}
	/* An object of unknown kind: what its bytes say it is. */
	if (!checked(p, nd, d))
		return 0;
	if (nd->want && starts(d, "cairn run 1\n") &&
	    store_raw_names(STORE_RAW_RUN, &nd->id, d->data, d->len, NULL,
			    &items, &n, &e) == 0) {
		free(items);
		return got_run(p, nd, d);
	}
	if (starts(d, "cairn tree 1\n") &&
	    store_raw_names(STORE_RAW_TREE, &nd->id, d->data, d->len, NULL,
			    &items, &n, &e) == 0) {
		free(items);
		return got_record(p, STORE_RAW_TREE, nd, d);
	}
	return got_leaf(p, STORE_RAW_INLINE, nd, d, NULL);
}

/* Not on the remote. */
static void absent(struct pull *p, const struct need *nd)
{
	char path[REMOTE_PATH_MAX], hex[DIGEST_HEX + 1], by[DIGEST_HEX + 1];
	struct need list;

	if (nd->kind == STORE_RAW_BLOB || nd->kind == STORE_RAW_OBJECT) {
		/* Not whole: in chunks, then (whose sizes count instead). */
		list = *nd;
		list.kind = STORE_RAW_LIST;
		list.size = 0;
		p->y->p.total_bytes -= nd->size;
		push_need(p, &list);
		return;
	}
	if (nd->want) {
		nd->want->outcome = SYNC_ABSENT;
		return;
	}
	sync_path(nd->kind, &nd->id, path);
	digest_hex(&nd->id, hex);
	digest_hex(&nd->by, by);
	failure(p, SYNC_MISSING, "remote '%s' has no %s %s ('%s'), which its "
				 "%s %s names",
		p->y->name,
		nd->kind == STORE_RAW_LIST ? "blob" : noun(nd->kind), hex, path,
		noun(nd->by_kind), by);
}

/* A round's requests. */
struct fetch {
	struct pull *p;
	struct http_batch *b;
	struct need *take;
	struct buf *data;
	unsigned char *taken;	/* its answer is taken already */
	int rc;			/* a failure while taking one */
};

/* What the leaves' thread does: store a leaf, or end the round's writer. */
struct job {
	enum { JOB_LEAF, JOB_COMMIT } what;
	struct need nd;		/* a CHUNK or a BLOB */
	struct buf data;
	struct digest hash;	/* data's, hashed as it came */
};

/*
 * On the leaves' thread, which alone uses the pull's writer while a round
 * is fetched (an LMDB write transaction ends on the thread that began it),
 * and alone touches the pull's counts and failures until queue_wait: the
 * fetching thread only fetches meanwhile.
 */
static int do_job(void *ctx, void *item, int failed)
{
	struct pull *p = ctx;
	struct job *j = item;
	int rc = 0;

	switch (j->what) {
	case JOB_LEAF:
		if (!failed)
			rc = got_leaf(p, j->nd.kind == STORE_RAW_CHUNK
						 ? STORE_RAW_CHUNK
						 : STORE_RAW_INLINE,
				      &j->nd, &j->data, &j->hash);
		buf_release(&j->data);
		break;
	case JOB_COMMIT:
		if (!p->w)
			break;
		if (failed)
			store_writer_abort(p->w);
		else
			rc = store_writer_commit(p->w, p->err);
		p->w = NULL;
		break;
	}
	return rc;
}

/* End the leaves' writer: committed (dropped when they failed: the
 * queue hands the end to do_job as failed), waited for when wait; 0 or
 * the leaves' first failure. */
static int end_leaves(struct pull *p, int wait)
{
	struct job j;
	int rc;

	if (!p->leaves)
		return 0;
	memset(&j, 0, sizeof(j));
	j.what = JOB_COMMIT;
	rc = queue_put(p->leaves, &j, 0);
	return wait ? queue_wait(p->leaves) : rc;
}

/*
 * A chunk or a whole blob is hashed the moment it comes and stored on the
 * leaves' thread: both overlap with the transfers still under way (and
 * with each other), and its buffer is let go of once stored.
 */
static int on_end(size_t i, void *ctx)
{
	struct fetch *f = ctx;
	const struct need *nd = &f->take[i];
	struct job j;

	if (http_batch_result(f->b, i)->rc ||
	    (nd->kind != STORE_RAW_CHUNK && nd->kind != STORE_RAW_BLOB))
		return 0;
	f->taken[i] = 1;
	if (!f->p->leaves) {
		f->rc = got(f->p, nd, &f->data[i]);
		buf_release(&f->data[i]);
		return f->rc;
	}
	j.what = JOB_LEAF;
	j.nd = *nd;
	j.data = f->data[i];
	sha256(j.data.data, j.data.len, &j.hash);
	buf_init(&f->data[i]);
	f->rc = queue_put(f->p->leaves, &j, j.data.len);
	return f->rc;
}

/* One round: fetch the needs at the end of the queue, a bounded number of
 * bytes of them, and take what came. */
static int round_(struct pull *p)
{
	struct sync *y = p->y;
	struct http_batch *b = http_batch_new(y->h);
	struct need *take;
	struct buf *data;
	struct fetch f;
	char path[REMOTE_PATH_MAX];
	uint64_t bytes = 0;
	struct err ignore;	/* each result says its own */
	struct err cut;		/* a transport failure's */
	size_t n = 0, i;
	int rc, lrc, cut_rc = 0;

	while (p->nq && (n == 0 || bytes < SYNC_BATCH_BYTES)) {
		struct need *nd = &p->q[p->nq - 1];

		/* Too big to have travelled whole: in chunks. */
		if (nd->kind == STORE_RAW_BLOB && nd->size > WHOLE_LIMIT)
			nd->kind = STORE_RAW_LIST;
		bytes += nd->size && nd->kind != STORE_RAW_LIST ? nd->size
								: UNKNOWN_SIZE;
		n++;
		p->nq--;
	}
	take = xcalloc(n, sizeof(*take));
	memcpy(take, p->q + p->nq, n * sizeof(*take));
	data = sync_bufs(n);
	for (i = 0; i < n; i++) {
		const struct need *nd = &take[i];

		sync_path(nd->kind == STORE_RAW_LIST ? STORE_RAW_LIST
						     : STORE_RAW_CHUNK,
			  &nd->id, path);
		/* Room for what is expected, grown once, not as it comes. */
		if (nd->kind == STORE_RAW_CHUNK || nd->kind == STORE_RAW_BLOB)
			buf_reserve(&data[i], nd->size);
		http_batch_get(b, path, &data[i],
			       nd->kind == STORE_RAW_CHUNK ||
					       nd->kind == STORE_RAW_BLOB
				       ? WHOLE_LIMIT
				       : RECORD_LIMIT,
			       NULL);
		p->c->gets++;
	}
	y->p.total += n;
	f.p = p;
	f.b = b;
	f.take = take;
	f.data = data;
	f.taken = xcalloc(n, 1);
	f.rc = 0;
	sync_run_each(y, b, on_end, &f, &ignore);
	if (!(rc = f.rc))
		rc = cut_rc = transport(b, &cut);
	for (i = 0; i < n && f.taken[i]; i++)
		;
	if (!rc && i == n && p->leaves) {
		/* Only leaves: the next round is fetched while these are
		 * stored. */
		rc = end_leaves(p, 0);
		goto out;
	}
	/* What is left is taken here, once the leaves are stored (kept
	 * also when the transfers failed or were interrupted: each is
	 * whole and checked). */
	if ((lrc = end_leaves(p, 1)))
		rc = lrc;	/* the message is the leaves' */
	else if (cut_rc)
		*p->err = cut;
	for (i = 0; i < n && !rc; i++) {
		const struct http_result *r = http_batch_result(b, i);

		if (f.taken[i])
			continue;
		if (r->rc == HTTP_NOTFOUND)
			absent(p, &take[i]);
		else if (r->rc)	/* too big */
			failure(p, SYNC_REFUSED, "%s", r->msg);
		else
			rc = got(p, &take[i], &data[i]);
	}
	if (p->w) {
		if (rc)
			store_writer_abort(p->w);
		else
			rc = store_writer_commit(p->w, p->err);
		p->w = NULL;
	}
out:
	for (i = 0; i < n; i++)
		buf_release(&data[i]);
	free(data);
	free(take);
	free(f.taken);
	http_batch_free(b);
	return rc;
}

/* Take the records of the wants that are keys.  is_key[i]: want i is
 * looked up by its action record (0 for an id, or a key the remote has no
 * record for that may be an id). */
static int ask_actions(struct pull *p, struct sync_want *w, size_t n,
		       int *is_key)
{
	struct sync *y = p->y;
	struct http_batch *b = http_batch_new(y->h);
	struct buf *data = sync_bufs(n);
	char path[REMOTE_PATH_MAX];
	struct err ignore;	/* each result says its own */
	size_t i, k;
	int rc;

	for (i = 0; i < n; i++) {
		if (w[i].as != SYNC_AS_KEY && w[i].as != SYNC_AS_EITHER)
			continue;
		action_path(&w[i].id, path);
		http_batch_get(b, path, &data[i], ACTION_LIMIT, &w[i]);
		p->c->gets++;
	}
	y->p.total += http_batch_count(b);
	sync_run(y, b, &ignore);
	rc = transport(b, p->err);
	for (k = 0; k < http_batch_count(b) && !rc; k++) {
		const struct http_result *r = http_batch_result(b, k);
		struct sync_want *x = r->ctx;
		struct action_rec a = ACTION_REC_INIT;
		struct need nd;
		long at;

		i = (size_t)(x - w);
		if (r->rc == HTTP_NOTFOUND) {
			if (x->as == SYNC_AS_KEY)
				x->outcome = SYNC_ABSENT;
			continue;
		}
		is_key[i] = 1;
		if (r->rc || !trusted(p, &x->id, data[i].data, data[i].len,
				      &a)) {
			x->outcome = SYNC_UNTRUSTED;
			action_rec_release(&a);
			continue;
		}
		x->run = a.run;
		p->c->actions++;
		at = take_record(p, &a);
		if (!idset_add(&p->queued, &x->run))
			continue;	/* asked for by another key */
		if ((rc = store_raw_has(y->s, STORE_RAW_RUN, &x->run)) != 0) {
			if (rc < 0) {
				rc = sync_store_fail(p->err, rc, y->s);
			} else {
				x->outcome = SYNC_HERE;
				p->c->present++;
				rc = 0;
			}
			continue;
		}
		memset(&nd, 0, sizeof(nd));
		nd.kind = STORE_RAW_RUN;
		nd.id = x->run;
		nd.act = at;
		nd.by_kind = STORE_RAW_ACTION;
		nd.by = x->id;
		push_need(p, &nd);
	}
	for (i = 0; i < n; i++)
		buf_release(&data[i]);
	free(data);
	http_batch_free(b);
	return rc;
}

/* The wants that are objects: the store's already, or to fetch. */
static int want_objects(struct pull *p, struct sync_want *w, size_t n,
			const int *is_key)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct need nd;

		if (is_key[i] || w[i].outcome)
			continue;
		if ((rc = store_raw_has(p->y->s, STORE_RAW_RUN, &w[i].id)) == 0)
			rc = store_raw_has(p->y->s, STORE_RAW_OBJECT, &w[i].id);
		if (rc < 0)
			return sync_store_fail(p->err, rc, p->y->s);
		if (rc) {
			w[i].outcome = SYNC_HERE;
			p->c->present++;
			continue;
		}
		if (!idset_add(&p->queued, &w[i].id))
			continue;
		memset(&nd, 0, sizeof(nd));
		nd.kind = STORE_RAW_OBJECT;
		nd.id = w[i].id;
		nd.want = &w[i];
		nd.act = -1;
		push_need(p, &nd);
	}
	return 0;
}

/* Store the kept records, each kind once those it names are in. */
static int store_records(struct pull *p)
{
	static const enum store_raw_kind order[] = {
		STORE_RAW_LIST, STORE_RAW_ALIAS, STORE_RAW_TREE, STORE_RAW_RUN,
	};
	struct store_writer *w;
	size_t i, k;
	int rc;

	if (!p->nrecs)
		return 0;
	if ((rc = store_writer_new(p->y->s, &w, p->err)))
		return rc;
	for (k = 0; k < sizeof(order) / sizeof(*order) && !rc; k++)
		for (i = 0; i < p->nrecs && !rc; i++)
			if (p->recs[i].kind == order[k])
				rc = put(p, w, order[k], &p->recs[i].id,
					 p->recs[i].data.data,
					 p->recs[i].data.len, p->recs[i].failed);
	if (rc) {
		store_writer_abort(w);
		return rc;
	}
	return store_writer_commit(w, p->err);
}

/* Each want's outcome, from what the store now holds; the action records
 * of the runs it holds are on the remote too. */
static int outcomes(struct pull *p, struct sync_want *w, size_t n,
		    const int *is_key)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (is_key[i] && (w[i].outcome == SYNC_HERE || !w[i].outcome)) {
			struct store_raw_item it;

			if ((rc = store_raw_has(p->y->s, STORE_RAW_RUN,
						&w[i].run)) < 0)
				return sync_store_fail(p->err, rc, p->y->s);
			if (!w[i].outcome)
				w[i].outcome = rc ? SYNC_PULLED : SYNC_FAILED;
			if (!rc)
				continue;
			memset(&it, 0, sizeof(it));
			it.kind = STORE_RAW_ACTION;
			it.id = w[i].run;
			xgrow((void **)&p->got, &p->capgot, p->ngot + 1,
			      sizeof(*p->got));
			p->got[p->ngot++] = it;
			continue;
		}
		if (w[i].outcome)
			continue;
		if ((rc = store_raw_has(p->y->s, STORE_RAW_RUN, &w[i].id)) == 0)
			rc = store_raw_has(p->y->s, STORE_RAW_OBJECT, &w[i].id);
		if (rc < 0)
			return sync_store_fail(p->err, rc, p->y->s);
		w[i].outcome = rc ? SYNC_PULLED : SYNC_FAILED;
	}
	return 0;
}

int sync_pull(struct sync *y, struct sync_want *w, size_t n,
	      struct sync_counts *c, struct err *err)
{
	struct pull p;
	int *is_key = xcalloc(n + 1, sizeof(*is_key));
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++)
		w[i].outcome = 0;
	memset(&p, 0, sizeof(p));
	p.y = y;
	p.c = c;
	p.err = err;
	idset_init(&p.queued);
	idset_init(&p.chunks);
	sync_phase(y, "checking", 0, 0);
	rc = ask_actions(&p, w, n, is_key);
	if (!rc)
		rc = want_objects(&p, w, n, is_key);
	if (!rc)
		sync_phase(y, "fetching", 0, y->p.total_bytes);
	/* Two rounds of leaves in memory: one fetched, one stored. */
	p.leaves = queue_new(do_job, &p, sizeof(struct job),
			     2 * SYNC_BATCH_BYTES);
	while (!rc && p.nq)
		rc = round_(&p);
	if (p.leaves) {
		int lrc = end_leaves(&p, 1);

		rc = rc ? rc : lrc;
		queue_free(p.leaves);
		p.leaves = NULL;
	}
	if (!rc)
		rc = store_records(&p);
	if (!rc)
		rc = outcomes(&p, w, n, is_key);
	if (!rc)
		rc = sync_mark(y, p.got, p.ngot, err);
	if (!rc && p.failures) {
		if (p.failures > 1) {
			size_t len = strlen(err->msg);

			snprintf(err->msg + len, sizeof(err->msg) - len,
				 " (and %zu more)", p.failures - 1);
		}
		rc = p.first_rc;
	}
	if (p.w)
		store_writer_abort(p.w);
	for (i = 0; i < p.nrecs; i++)
		buf_release(&p.recs[i].data);
	for (i = 0; i < p.nacts; i++)
		action_rec_release(&p.acts[i]);
	free(p.recs);
	free(p.acts);
	free(p.q);
	free(p.got);
	free(is_key);
	idset_release(&p.queued);
	idset_release(&p.chunks);
	return rc;
}
