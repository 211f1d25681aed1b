/*
 * The reasons in words (why.h): a key's components against its last
 * run's, from the run records of the store.
 */
#include <stdlib.h>

#include "err.h"
#include "interp.h"
#include "json.h"
#include "key.h"
#include "runrec.h"
#include "store.h"
#include "util.h"
#include "why.h"

static void unhex(const char *h, struct buf *out)
{
	size_t n = strlen(h), i;

	if (n % 2)
		return;
	for (i = 0; i < n; i += 2) {
		int a = hex_value(h[i]), b = hex_value(h[i + 1]);
		if (a < 0 || b < 0) {
			buf_truncate(out, 0);
			return;
		}
		buf_addc(out, (char)(a * 16 + b));
	}
}

int why_history_load(struct store *s, const char *graph,
		     struct why_history *h, struct err *err)
{
	struct runrec *r = NULL;
	size_t n = 0, i;
	int rc;

	h->v = NULL;
	h->n = 0;
	if (!s)
		return 0;
	if ((rc = runrec_all(s, graph, &r, &n, err)))
		return rc;
	h->v = xcalloc(n + 1, sizeof(*h->v));
	for (i = 0; i < n; i++) {
		struct why_run *w = &h->v[h->n++];
		const char *hex = json_str(r[i].payload, "key_encoding");

		w->id = r[i].id;
		w->instance = xstrdup(r[i].instance);
		w->start_ns = r[i].start_ns;
		w->exit = r[i].exit;
		w->error = r[i].error ? xstrdup(r[i].error) : NULL;
		w->ok = r[i].ok;
		buf_init(&w->enc);
		if (hex)
			unhex(hex, &w->enc);
	}
	runrec_free_all(r, n);
	return 0;
}

const struct why_run *why_last(const struct why_history *h,
			       const char *instance)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!strcmp(h->v[i].instance, instance))
			return &h->v[i];
	return NULL;
}

void why_history_release(struct why_history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].instance);
		free(h->v[i].error);
		buf_release(&h->v[i].enc);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* "param 'lr'", "code 'src/fit.py'", "command": a component's name. */
static void subject(struct buf *out, const char *label)
{
	static const char *const named[] = { "param ", "code ", "input ",
					     "env ", "output ", NULL };
	size_t k, n;

	for (k = 0; named[k]; k++) {
		n = strlen(named[k]);
		if (!strncmp(label, named[k], n)) {
			buf_addf(out, "%.*s'%s'", (int)n, label, label + n);
			return;
		}
	}
	buf_adds(out, label);
}

/* One difference (then or now NULL: added or removed). */
static void one(struct buf *out, const char *label, const char *then,
		const char *now)
{
	if (out->len)
		buf_adds(out, ", ");
	subject(out, label);
	if (!then)
		buf_adds(out, " added");
	else if (!now)
		buf_adds(out, " removed");
	else if (!strncmp(label, "param ", 6))
		buf_addf(out, " %s -> %s", then, now);
	else
		buf_adds(out, " changed");
}

static size_t find(const struct strv *l, const char *label)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], label))
			break;
	return i;
}

/* The order reasons are said in: params, code, inputs, env, the rest. */
static int rank(const char *label)
{
	static const char *const first[] = { "param ", "code ", "input ",
					     "env ", NULL };
	int k;

	for (k = 0; first[k]; k++)
		if (!strncmp(label, first[k], strlen(first[k])))
			return k;
	return k;
}

/* s with every from replaced by to. */
static void replace_all(struct buf *out, const char *s, const char *from,
			const char *to)
{
	size_t n = strlen(from);
	const char *hit;

	buf_truncate(out, 0);
	while (n && (hit = strstr(s, from))) {
		buf_add(out, s, (size_t)(hit - s));
		buf_adds(out, to);
		s = hit + n;
	}
	buf_adds(out, s);
}

/* A value as interpolation writes it: a string without its quotes. */
static const char *bare(const char *v, struct buf *b)
{
	size_t n = strlen(v);

	buf_truncate(b, 0);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
		buf_add(b, v + 1, n - 2);
	else
		buf_adds(b, v);
	return b->data;
}

/*
 * Whether command a becomes command b when each changed param's value in
 * a (va, or vb when back) is replaced by its value in b.
 */
static int substituted(const struct strv *la, const struct strv *va,
		       const struct strv *lb, const struct strv *vb,
		       const char *a, const char *b, int back)
{
	struct buf cmd = BUF_INIT, next = BUF_INIT, o = BUF_INIT, n = BUF_INIT;
	size_t i, j;
	int same;

	buf_adds(&cmd, a);
	for (i = 0; i < la->n; i++) {
		if (strncmp(la->v[i], "param ", 6) ||
		    (j = find(lb, la->v[i])) == lb->n ||
		    !strcmp(va->v[i], vb->v[j]))
			continue;
		bare(back ? vb->v[j] : va->v[i], &n);
		replace_all(&next, cmd.data, n.data,
			    bare(back ? va->v[i] : vb->v[j], &o));
		buf_truncate(&cmd, 0);
		buf_add(&cmd, next.data, next.len);
	}
	same = !strcmp(cmd.data, b);
	buf_release(&cmd);
	buf_release(&next);
	buf_release(&o);
	buf_release(&n);
	return same;
}

/*
 * Whether command now is command then with the changed params' values put
 * in: then the params say it, and "command changed" would only repeat
 * them.  The text is compared, not the template, so it is tried both
 * ways: new values back to old in now, and old to new in then (a matrix
 * value that reads like the param's new value spoils the first way, one
 * that reads like its old value the second; k = 1 or 2 with p 1 -> 2).
 */
static int command_follows(const struct strv *la, const struct strv *va,
			   const struct strv *lb, const struct strv *vb,
			   const char *now, const char *then)
{
	return substituted(la, va, lb, vb, now, then, 0) ||
	       substituted(la, va, lb, vb, then, now, 1);
}

int why_changes(struct buf *out, const char *now, size_t nlen,
		const char *then, size_t tlen, size_t max)
{
	struct strv la = { 0 }, va = { 0 }, lb = { 0 }, vb = { 0 };
	struct buf words = BUF_INIT;
	size_t i, j, said = 0;
	int n = -1, r;

	if (key_components(now, nlen, &la, &va) < 0 ||
	    key_components(then, tlen, &lb, &vb) < 0)
		goto out;
	n = 0;
	for (r = 0; r <= 4; r++) {
		for (i = 0; i < la.n; i++) {
			if (rank(la.v[i]) != r)
				continue;
			j = find(&lb, la.v[i]);
			if (j < lb.n && !strcmp(va.v[i], vb.v[j]))
				continue;
			if (j < lb.n && !strcmp(la.v[i], "command") &&
			    command_follows(&la, &va, &lb, &vb, va.v[i],
					    vb.v[j]))
				continue;
			n++;
			if (said++ < max)
				one(&words, la.v[i],
				    j < lb.n ? vb.v[j] : NULL, va.v[i]);
		}
		for (j = 0; j < lb.n; j++) {
			if (rank(lb.v[j]) != r || find(&la, lb.v[j]) < la.n)
				continue;
			n++;
			if (said++ < max)
				one(&words, lb.v[j], vb.v[j], NULL);
		}
	}
	if (said > max)
		buf_addf(&words, ", and %zu more", said - max);
	buf_add(out, words.data, words.len);
out:
	buf_release(&words);
	strv_release(&la);
	strv_release(&va);
	strv_release(&lb);
	strv_release(&vb);
	return n;
}

void why_reason(struct buf *out, const struct why_history *h,
		const char *instance, const char *enc, size_t len,
		const char *decided)
{
	const struct why_run *last = why_last(h, instance);

	buf_truncate(out, 0);
	if (!decided || strcmp(decided, "no run with this key") || !enc) {
		buf_adds(out, decided ? decided : "");
		return;
	}
	if (!last) {
		buf_adds(out, "never run");
		return;
	}
	/* The same key: a run that failed (failures are never found by
	 * key); else what changed since. */
	if (last->enc.len == len && !memcmp(last->enc.data, enc, len)) {
		if (last->ok)
			buf_adds(out, decided);
		else if (last->exit)
			buf_addf(out, "last run failed with exit %d", last->exit);
		else
			buf_addf(out, "last run failed: %s",
				 last->error ? last->error : "unknown error");
		return;
	}
	if (why_changes(out, enc, len, last->enc.data, last->enc.len, 3) <= 0) {
		buf_truncate(out, 0);
		buf_adds(out, decided);
	}
}

void why_edited(struct buf *out, const char *instance,
		const char *const *paths, size_t n)
{
	const char *them = n == 1 ? "it" : "them";
	size_t i;

	buf_adds(out, n == 1 ? "output " : "outputs ");
	for (i = 0; i < n; i++)
		buf_addf(out, "%s'%s'", i ? ", " : "", paths[i]);
	buf_addf(out, " edited by hand: 'cairn run' refuses to replace %s; "
		      "--force '%s' keeps %s in the store and replaces %s",
		 them, instance, them, them);
}
