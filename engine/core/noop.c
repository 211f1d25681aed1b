/*
 * The no-op proof (noop.h): written by a run that changed nothing, read
 * and checked by the next before it loads the graph.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "graph.h"
#include "noop.h"
#include "scan.h"
#include "toml.h"
#include "util.h"

#define MAGIC "CNOOP001"
#define HEAD_LEN 40		/* magic, length, nenv, npaths, nnames */
#define PATH_HEAD 52		/* dev ino size mtime ctime mode flags len */
#define UNSET 0xffffffffu

enum { F_NOFOLLOW = 1 };	/* lstat: the path itself, not a link's target */

void noop_path(const char *file, struct buf *out)
{
	const char *slash = strrchr(file, '/');

	buf_truncate(out, 0);
	if (slash)
		buf_add(out, file, (size_t)(slash - file + 1));
	buf_addf(out, ".cairn/noop-%s", slash ? slash + 1 : file);
}

static int same_stat(const struct filestat *a, const struct filestat *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	       a->mode == b->mode;
}

/* ---- little-endian fields ---- */

static void put64(struct buf *b, uint64_t v)
{
	buf_add_le(b, v, 8);
}

static void put32(struct buf *b, uint32_t v)
{
	buf_add_le(b, v, 4);
}

static uint64_t get64(const unsigned char *p)
{
	return le_get(p, 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)le_get(p, 4);
}

/* A string: its length, its bytes, a NUL. */
static void put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	put32(b, (uint32_t)n);
	buf_add(b, s, n + 1);
}

/* ---- reading ---- */

struct cursor {
	const unsigned char *p, *end;
	int bad;
};

static const unsigned char *take(struct cursor *c, size_t n)
{
	const unsigned char *at = c->p;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	return at;
}

static uint32_t take32(struct cursor *c)
{
	const unsigned char *p = take(c, 4);

	return p ? get32(p) : 0;
}

/* Whether an unset value's mark comes next (taken if so). */
static int take_unset(struct cursor *c)
{
	if (c->bad || (size_t)(c->end - c->p) < 4 || get32(c->p) != UNSET)
		return 0;
	c->p += 4;
	return 1;
}

/* A string as put_str wrote it; NULL (c->bad) when it does not fit or
 * lacks its NUL. */
static const char *take_str(struct cursor *c)
{
	uint32_t n = take32(c);
	const unsigned char *s;

	if (c->bad || n == UNSET || !(s = take(c, (size_t)n + 1)) || s[n] ||
	    memchr(s, 0, n)) {
		c->bad = 1;
		return NULL;
	}
	return (const char *)s;
}

static int read_all(const char *path, unsigned char **data, size_t *len)
{
	struct stat st;
	unsigned char *b;
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < HEAD_LEN + DIGEST_LEN) {
		close(fd);
		return -1;
	}
	b = xmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size &&
	       ((n = read(fd, b + got, (size_t)st.st_size - got)) > 0 ||
		(n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(fd);
	if (got != (size_t)st.st_size) {
		free(b);
		return -1;
	}
	*data = b;
	*len = got;
	return 0;
}

int noop_load(const char *path, struct noop_proof *p)
{
	struct cursor c;
	struct digest sum;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (read_all(path, &p->data, &p->len) < 0)
		return -1;
	c.p = p->data;
	c.end = p->data + p->len - DIGEST_LEN;
	c.bad = 0;
	sha256(p->data, p->len - DIGEST_LEN, &sum);
	if (memcmp(p->data, MAGIC, 8) || get64(p->data + 8) != p->len ||
	    memcmp(sum.b, c.end, DIGEST_LEN))
		goto bad;
	p->nenv = get64(p->data + 16);
	p->npaths = get64(p->data + 24);
	p->nnames = get64(p->data + 32);
	take(&c, HEAD_LEN);
	p->context = take_str(&c);
	p->workspace = take_str(&c);
	/* Each count must fit what is left at its least size. */
	if (c.bad || p->nenv > p->len / 9 || p->npaths > p->len / PATH_HEAD ||
	    p->nnames > p->len / 5)
		goto bad;
	p->env = c.p;
	for (i = 0; i < p->nenv && !c.bad; i++) {
		take_str(&c);
		if (!take_unset(&c))
			take_str(&c);
	}
	p->paths = c.p;
	for (i = 0; i < p->npaths && !c.bad; i++) {
		const unsigned char *h = take(&c, PATH_HEAD - 4);
		if (h)
			take_str(&c);
	}
	p->names = c.p;
	for (i = 0; i < p->nnames && !c.bad; i++)
		take_str(&c);
	if (c.bad || c.p != c.end || p->workspace[0] != '/')
		goto bad;
	return 0;
bad:
	noop_release(p);
	return -1;
}

void noop_release(struct noop_proof *p)
{
	free(p->data);
	memset(p, 0, sizeof(*p));
}

/* Paths are stat-ed this many at a time (on threads), and the check stops
 * at the first batch with a difference: a few MB whatever the graph. */
#define BATCH 16384

/* The next n path records at c into r, was (r[i].st = &now[i]). */
static void decode(struct cursor *c, size_t n, struct stat_req *r,
		   struct filestat *now, struct filestat *was)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const unsigned char *h = take(c, PATH_HEAD - 4);

		was[i].dev = get64(h);
		was[i].ino = get64(h + 8);
		was[i].size = get64(h + 16);
		was[i].mtime_ns = (int64_t)get64(h + 24);
		was[i].ctime_ns = (int64_t)get64(h + 32);
		was[i].mode = get32(h + 40);
		r[i].path = take_str(c);
		r[i].nofollow = get32(h + 44) & F_NOFOLLOW;
		r[i].st = &now[i];
	}
}

/* Stat r[0..n) and compare with was: all the same? */
static int same_now(int fd, struct stat_req *r, size_t n,
		    const struct filestat *was)
{
	size_t i;

	stat_many(fd, r, n);
	for (i = 0; i < n; i++)
		if (r[i].err || !same_stat(r[i].st, &was[i]))
			return 0;
	return 1;
}

int noop_holds(const struct noop_proof *p, const char *context,
	       size_t *checked)
{
	struct cursor c = { p->env, p->names, 0 };
	struct stat_req *r;
	struct filestat *now, *was;
	size_t i, n;
	int fd, ok = 1;

	*checked = 0;
	if (strcmp(p->context, context))
		return 0;
	for (i = 0; i < p->nenv; i++) {
		const char *name = take_str(&c), *v = getenv(name);

		if (take_unset(&c) ? v != NULL : !v || strcmp(v, take_str(&c)))
			return 0;
	}
	if ((fd = open(p->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	r = xcalloc(BATCH, sizeof(*r));
	now = xcalloc(BATCH, sizeof(*now));
	was = xcalloc(BATCH, sizeof(*was));
	/* Absolute paths sort first: the graph file and the lock file,
	 * which change most, are stat-ed one by one before the rest. */
	for (i = 0; i < p->npaths && ok; i += n) {
		struct cursor peek = c;

		decode(&peek, 1, r, now, was);
		n = r[0].path[0] == '/' ? 1 : p->npaths - i;
		if (n > BATCH)
			n = BATCH;
		decode(&c, n, r, now, was);
		ok = same_now(fd, r, n, was);
		*checked += n;
	}
	close(fd);
	free(r);
	free(now);
	free(was);
	return ok;
}

void noop_names(const struct noop_proof *p,
		void (*fn)(const char *name, size_t i, size_t n, void *ctx),
		void *ctx)
{
	struct cursor c = { p->names, p->data + p->len - DIGEST_LEN, 0 };
	size_t i;

	for (i = 0; i < p->nnames; i++)
		fn(take_str(&c), i, p->nnames, ctx);
}

/* ---- writing ---- */

struct entry {
	const char *path;		/* relative, or absolute */
	struct filestat st;		/* what the run saw; .mode 0: none */
	uint32_t flags;
};

struct entries {
	struct entry *v;
	size_t n, cap;
	char **own;			/* the folders' paths, made here */
	size_t nown, capown;
};

static void add(struct entries *e, const char *path, uint32_t flags,
		const struct filestat *st)
{
	xgrow((void **)&e->v, &e->cap, e->n + 1, sizeof(*e->v));
	e->v[e->n].path = path;
	e->v[e->n].flags = flags;
	if (st)
		e->v[e->n].st = *st;
	else
		memset(&e->v[e->n].st, 0, sizeof(e->v[e->n].st));
	e->n++;
}

static int by_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (int)x->flags - (int)y->flags;
}

/* Does a code entry of st's table hold a pattern ('*', '?', '[')? */
static int has_pattern(const struct graph_stage *st)
{
	const struct toml_value *v = toml_get(st->table, "code");
	size_t i;

	if (v && v->type == TOML_STRING)
		return strpbrk(v->u.string.ptr, "*?[") != NULL;
	for (i = 0; v && v->type == TOML_ARRAY && i < v->u.array.len; i++)
		if (v->u.array.items[i]->type == TOML_STRING &&
		    strpbrk(v->u.array.items[i]->u.string.ptr, "*?["))
			return 1;
	return 0;
}

/* Why g cannot have a proof by its stages alone, or NULL. */
static const char *unprovable(const struct graph *g)
{
	size_t i;

	if (!strcmp(g->executor, "slurm"))
		return "stages go to slurm";
	for (i = 0; i < g->nstages; i++) {
		const struct graph_stage *st = &g->stages[i];

		if (st->always_run)
			return "a stage always runs";
		if (st->executor && !strcmp(st->executor, "slurm"))
			return "stages go to slurm";
		if (has_pattern(st))
			return "a code pattern reads folders";
	}
	return NULL;
}

/* The folder holding path, made (the prefix of n bytes). */
static void add_dir(struct entries *e, const char *path, size_t n)
{
	xgrow((void **)&e->own, &e->capown, e->nown + 1, sizeof(*e->own));
	e->own[e->nown] = xstrndup(path, n);
	add(e, e->own[e->nown++], F_NOFOLLOW, NULL);
}

/* Is input x exactly the output of the stage it comes from (whose digest
 * the decision takes, as run_decide does)? */
static int produced(const struct graph_path *x)
{
	size_t o;

	for (o = 0; o < x->from->nouts; o++)
		if (!strcmp(x->from->outs[o].name, x->from_out))
			return !strcmp(x->from->outs[o].path, x->path);
	return 0;
}

/* Every path the decision read, with what it saw; the folders holding
 * the outputs, which the escape check walked (each as it is now). */
static const char *gather(const struct graph *g, const struct noop_record *r,
			  struct entries *e)
{
	size_t i, j, k;

	add(e, r->graph_abs, 0, r->graph_st);
	add(e, r->lock_abs, 0, r->lock_st);
	for (i = 0; i < g->ninsts; i++) {
		const struct graph_inst *in = &g->insts[i];
		for (j = 0; j < in->nouts + in->ndeps + in->ncode; j++) {
			const struct graph_path *x = graph_path_at(in, j);
			if (j >= in->nouts && j < in->nouts + in->ndeps &&
			    x->from) {
				/* Scanned itself unless it is the output. */
				if (!produced(x))
					return "an input lies inside another "
					       "stage's output";
				continue;
			}
			if (x->seen != 1)
				return "a path was not stat-ed when the graph "
				       "was loaded";
			if (!S_ISREG(x->st.mode))
				return "an input or output is not a file";
			add(e, x->path, j < in->nouts ? F_NOFOLLOW : 0,
			    &x->st);
			if (j >= in->nouts)
				continue;
			for (k = 0; x->path[k]; k++)
				if (x->path[k] == '/')
					add_dir(e, x->path, k);
		}
	}
	return NULL;
}

/* Sorted, each path once. */
static void settle(struct entries *e)
{
	size_t i, n = 0;

	qsort(e->v, e->n, sizeof(*e->v), by_entry);
	for (i = 0; i < e->n; i++)
		if (!n || by_entry(&e->v[n - 1], &e->v[i]))
			e->v[n++] = e->v[i];
	e->n = n;
}

/* Stat every entry again, BATCH at a time: each must be as the run saw
 * it (a folder: as it is now, a real one) and older than the racy
 * window.  NULL, or why not. */
static const char *restat(const char *workspace, struct entries *e,
			  int64_t since_ns)
{
	struct stat_req *r = xcalloc(BATCH, sizeof(*r));
	struct filestat *now = xcalloc(BATCH, sizeof(*now));
	const char *why = NULL;
	size_t i, k, n;
	int fd = open(workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		why = "the workspace cannot be opened";
	for (k = 0; k < e->n && !why; k += n) {
		n = e->n - k < BATCH ? e->n - k : BATCH;
		for (i = 0; i < n; i++) {
			r[i].path = e->v[k + i].path;
			r[i].nofollow = e->v[k + i].flags & F_NOFOLLOW;
			r[i].st = &now[i];
		}
		stat_many(fd, r, n);
		for (i = 0; i < n && !why; i++) {
			struct entry *x = &e->v[k + i];

			if (r[i].err)
				why = "a path is gone";
			else if (x->st.mode && !same_stat(&now[i], &x->st))
				why = "a path changed while the run looked";
			else if (!x->st.mode && !S_ISREG(now[i].mode) &&
				 !S_ISDIR(now[i].mode))
				why = "a path is neither a file nor a folder";
			else if (now[i].mtime_ns > since_ns - SCAN_RACY_NS ||
				 now[i].ctime_ns > since_ns - SCAN_RACY_NS)
				why = "a path changed less than a second before "
				      "the run";
			x->st = now[i];
		}
	}
	if (fd >= 0)
		close(fd);
	free(r);
	free(now);
	return why;
}

/* The environment variables the keys read, each once. */
static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void put_env(struct buf *b, const struct graph *g, uint64_t *n)
{
	const char **names = NULL;
	size_t i, j, k = 0, cap = 0;

	for (i = 0; i < g->nstages; i++)
		for (j = 0; j < g->stages[i].nenv; j++) {
			xgrow((void **)&names, &cap, k + 1, sizeof(*names));
			names[k++] = g->stages[i].env[j];
		}
	if (k)
		qsort(names, k, sizeof(*names), by_str);
	for (*n = i = 0; i < k; i++) {
		const char *v = getenv(names[i]);

		if (i && !strcmp(names[i - 1], names[i]))
			continue;
		put_str(b, names[i]);
		if (v)
			put_str(b, v);
		else
			put32(b, UNSET);
		(*n)++;
	}
	free(names);
}

/* The proof streamed to a file, its checksum taken as it goes. */
struct out {
	int fd, err;
	struct buf b;
	struct sha256 *sum;
};

static void flush(struct out *o, int summed)
{
	size_t done = 0;
	ssize_t n;

	if (summed)
		sha256_update(o->sum, o->b.data, o->b.len);
	while (!o->err && done < o->b.len) {
		n = write(o->fd, o->b.data + done, o->b.len - done);
		if (n < 0 && errno != EINTR)
			o->err = errno;
		done += n > 0 ? (size_t)n : 0;
	}
	buf_truncate(&o->b, 0);
}

static uint64_t str_len(const char *s)
{
	return 4 + strlen(s) + 1;
}

static void put_head(struct buf *b, const struct noop_record *r,
		     const char *workspace, const struct buf *env,
		     uint64_t nenv, const struct entries *e)
{
	uint64_t len = 40 + str_len(r->context) + str_len(workspace) +
		       env->len + DIGEST_LEN;
	size_t i;

	for (i = 0; i < e->n; i++)
		len += PATH_HEAD - 4 + str_len(e->v[i].path);
	for (i = 0; i < r->nnames; i++)
		len += str_len(r->names[i]);
	buf_add(b, MAGIC, 8);
	put64(b, len);
	put64(b, nenv);
	put64(b, e->n);
	put64(b, r->nnames);
	put_str(b, r->context);
	put_str(b, workspace);
	buf_add(b, env->data, env->len);
}

/* Write the proof to a new file beside path, renamed over it: 0, or -1
 * with errno. */
static int write_proof(const char *path, const struct noop_record *r,
		       const char *workspace, const struct buf *env,
		       uint64_t nenv, const struct entries *e)
{
	struct buf tmp = BUF_INIT;
	struct out o = { -1, 0, BUF_INIT, NULL };
	struct digest d;
	size_t i;

	buf_addf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	o.fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (o.fd < 0) {
		buf_release(&tmp);
		return -1;
	}
	o.sum = sha256_new();
	put_head(&o.b, r, workspace, env, nenv, e);
	for (i = 0; i < e->n; i++) {
		const struct entry *x = &e->v[i];

		put64(&o.b, x->st.dev);
		put64(&o.b, x->st.ino);
		put64(&o.b, x->st.size);
		put64(&o.b, (uint64_t)x->st.mtime_ns);
		put64(&o.b, (uint64_t)x->st.ctime_ns);
		put32(&o.b, x->st.mode);
		put32(&o.b, x->flags);
		put_str(&o.b, x->path);
		if (o.b.len >= 1 << 20)
			flush(&o, 1);
	}
	for (i = 0; i < r->nnames; i++) {
		put_str(&o.b, r->names[i]);
		if (o.b.len >= 1 << 20)
			flush(&o, 1);
	}
	flush(&o, 1);
	sha256_final(o.sum, &d);
	buf_add(&o.b, d.b, DIGEST_LEN);
	flush(&o, 0);
	if (close(o.fd) < 0 && !o.err)
		o.err = errno;
	if (!o.err && rename(tmp.data, path) < 0)
		o.err = errno;
	if (o.err)
		unlink(tmp.data);
	buf_release(&o.b);
	buf_release(&tmp);
	errno = o.err;
	return o.err ? -1 : 0;
}

int noop_record(const char *path, const struct graph *g,
		const struct noop_record *r, const char **why)
{
	struct entries e;
	struct buf env = BUF_INIT;
	uint64_t nenv = 0;
	size_t i;
	int rc = 1;

	memset(&e, 0, sizeof(e));
	if ((*why = unprovable(g)) || (*why = gather(g, r, &e)))
		goto out;
	settle(&e);
	if ((*why = restat(g->workspace, &e, r->since_ns)))
		goto out;
	put_env(&env, g, &nenv);
	rc = write_proof(path, r, g->workspace, &env, nenv, &e);
out:
	free(e.v);
	for (i = 0; i < e.nown; i++)
		free(e.own[i]);
	free(e.own);
	buf_release(&env);
	return rc;
}

void noop_forget(const char *path, const char *workspace)
{
	struct buf p = BUF_INIT;
	struct dirent *ent;
	DIR *d;

	unlink(path);
	buf_addf(&p, "%s/.cairn", workspace);
	if (!(d = opendir(p.data))) {
		buf_release(&p);
		return;
	}
	while ((ent = readdir(d)))
		if (!strncmp(ent->d_name, "noop-", 5)) {
			buf_truncate(&p, 0);
			buf_addf(&p, "%s/.cairn/%s", workspace, ent->d_name);
			unlink(p.data);
		}
	closedir(d);
	buf_release(&p);
}
