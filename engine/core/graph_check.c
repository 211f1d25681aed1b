/*
 * Checking the expanded graph as a whole: outputs claimed twice or nested
 * in another's, outputs that leave the workspace through a symlink, inputs
 * that neither exist nor are produced, cycles (printed), and finally the
 * topological order of the instances.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "graph_internal.h"
#include "lockfile.h"
#include "statmany.h"
#include "util.h"

/* Is in already normal: no empty, "." or ".." part (nor "." whole)? */
static int normal_already(const char *in)
{
	const char *p = in;

	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (p[0] == '.' && (n == 1 ||
					       (n == 2 && p[1] == '.'))))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

int path_normalise(const char *in, struct buf *out)
{
	const char *p = in;
	size_t depth = 0;

	buf_truncate(out, 0);
	if (*in == '/')
		return -1;
	if (normal_already(in)) {
		buf_adds(out, in);
		return 0;
	}
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.')) {
			;
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *last;
			if (!depth)
				return -1;
			last = strrchr(out->data, '/');
			buf_truncate(out, last ? (size_t)(last - out->data) : 0);
			depth--;
		} else {
			if (out->len)
				buf_addc(out, '/');
			buf_add(out, p, n);
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (!out->len)
		buf_adds(out, ".");
	return 0;
}

void name_prefix(const char *s, uint64_t pre[2])
{
	size_t i;

	pre[0] = pre[1] = 0;
	for (i = 0; i < 16 && s[i]; i++)
		pre[i / 8] |= (uint64_t)(unsigned char)s[i] << (56 - 8 * (i % 8));
}

int name_cmp(const uint64_t pa[2], const char *a, const uint64_t pb[2],
	     const char *b)
{
	if (pa[0] != pb[0])
		return pa[0] < pb[0] ? -1 : 1;
	if (pa[1] != pb[1])
		return pa[1] < pb[1] ? -1 : 1;
	/* The same 16 bytes: the same string if it ended within them. */
	if (!(pa[1] & 0xff))
		return 0;
	return strcmp(a + 16, b + 16);
}

struct claim {
	uint64_t pre[2];	/* name_prefix of path */
	const char *path;
	struct graph_inst *in;
	struct graph_path *out;
};

static int by_claim(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	return name_cmp(x->pre, x->path, y->pre, y->path);
}

/* Is a inside directory b (or equal)? */
static int under(const char *a, const char *b)
{
	size_t n = strlen(b);

	return !strcmp(b, ".") || (!strncmp(a, b, n) && (a[n] == '/' || !a[n]));
}

/* The instance whose output holds path (the output itself or a file in an
 * output directory), or NULL; claims sorted by path, so each ancestor of
 * path is one binary search. */
static struct claim *producer(struct claim *c, size_t n, const char *path)
{
	char *p = xstrdup(path), *slash;
	struct claim *hit = NULL;

	for (;;) {
		size_t lo = 0, hi = n;
		while (lo < hi && !hit) {
			size_t mid = lo + (hi - lo) / 2;
			int cmp = strcmp(p, c[mid].path);
			if (!cmp)
				hit = &c[mid];
			else if (cmp < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (hit || !(slash = strrchr(p, '/')))
			break;
		*slash = '\0';
	}
	free(p);
	/* An output "." (the whole workspace) holds everything. */
	if (!hit && n && !strcmp(c[0].path, "."))
		hit = &c[0];
	return hit;
}

/*
 * An output must not reach outside the workspace through a symlink.  The
 * answer for an output's folder is kept in *last: outputs usually share
 * folders, and resolving a path costs a system call per component.  What
 * lstat says of the output itself is kept for the first scan.
 */
static int check_escape(struct loader *l, struct graph_inst *in,
			struct graph_path *o, struct buf *last)
{
	struct buf p = BUF_INIT;
	char real[PATH_MAX];
	size_t wl = strlen(l->g->workspace);
	char *cut;
	const char *slash = strrchr(o->path, '/');
	size_t dl = slash ? (size_t)(slash - o->path) : 0;
	int rc = 0;

	/* Same folder as the last output found safe, and the file itself is
	 * not a link (or not there): nothing to resolve. */
	if (o->seen && last->len == dl && !memcmp(last->data, o->path, dl))
		return 0;
	buf_addf(&p, "%s/%s", l->g->workspace, o->path);
	/* The deepest part of the path that exists decides. */
	while (p.len > wl && !realpath(p.data, real)) {
		cut = strrchr(p.data, '/');
		buf_truncate(&p, (size_t)(cut - p.data));
	}
	if (p.len > wl && realpath(p.data, real) &&
	    !(!strncmp(real, l->g->workspace, wl) &&
	      (real[wl] == '/' || !real[wl])))
		rc = gerr_at(l, o->line, o->col,
			     "output '%s' of '%s' leaves the workspace through "
			     "a symlink ('%s' is %s)",
			     o->path, in->name, p.data + wl + 1, real);
	if (!rc) {
		buf_truncate(last, 0);
		buf_add(last, o->path, dl);
	}
	buf_release(&p);
	return rc;
}

/*
 * Outputs are removed before their stage runs, so none may be (or hold, or
 * lie inside) what cairn or the user cannot lose: the workspace itself,
 * cairn's own folder, the store, the graph file and its lock file, and
 * the git repository.  rel is workspace-relative and normalised.
 */
static const char *protected_what(const char *out, const char *rel,
				  const char *what, struct buf *why)
{
	buf_truncate(why, 0);
	if (!strcmp(out, rel))
		buf_addf(why, "is %s", what);
	else if (!strcmp(rel, "."))
		;	/* every output is inside the workspace */
	else if (under(rel, out))
		buf_addf(why, "holds %s ('%s')", what, rel);
	else if (under(out, rel))
		buf_addf(why, "is inside %s ('%s')", what, rel);
	return why->len ? why->data : NULL;
}

/*
 * graph_protected_at for rel[0..n) at once, in one walk of the outputs (a
 * million of them are worth walking once): the error is the one that
 * checking rel[0], then rel[1] ... one at a time would give.
 */
static int protected_many(const struct graph *g, const char *const *rel,
			  const char *const *what, size_t n, struct err *err)
{
	const struct graph_path *first[8] = { NULL };
	const struct graph_inst *by[8] = { NULL };
	struct buf why = BUF_INIT;
	size_t i, j, k, left = n;

	if (n > 8)
		BUG("%zu protected paths", n);
	for (i = 0; i < g->ninsts && left; i++)
		for (j = 0; j < g->insts[i].nouts; j++)
			for (k = 0; k < n; k++) {
				const struct graph_path *o = &g->insts[i].outs[j];
				/* Unrelated unless one starts as the other
				 * does, or the output is the workspace. */
				if (first[k] ||
				    (o->path[0] != rel[k][0] &&
				     strcmp(o->path, ".")) ||
				    !protected_what(o->path, rel[k], what[k], &why))
					continue;
				first[k] = o;
				by[k] = &g->insts[i];
				left--;
			}
	for (k = 0; k < n; k++) {
		if (!first[k])
			continue;
		protected_what(first[k]->path, rel[k], what[k], &why);
		toml_error_at(g->doc, first[k]->line, first[k]->col, err,
			      "output '%s' of '%s' %s; an output is removed "
			      "before its stage runs",
			      first[k]->path, by[k]->name, why.data);
		buf_release(&why);
		return -1;
	}
	buf_release(&why);
	return 0;
}

int graph_protected_at(const struct graph *g, const char *rel,
		       const char *what, struct err *err)
{
	return protected_many(g, &rel, &what, 1, err);
}

/* path (absolute, or relative to the workspace) as an output would name
 * it, into norm: -1 when no output could (outside the workspace). */
static int protect_rel(const struct graph *g, const char *path,
		       struct buf *norm)
{
	size_t wl = strlen(g->workspace);

	if (path[0] == '/') {
		/* Only what lies in the workspace can be an output. */
		if (strncmp(path, g->workspace, wl) ||
		    (path[wl] != '/' && path[wl]))
			return -1;
		path += wl;
		while (*path == '/')
			path++;
	}
	return path_normalise(path, norm);
}

int graph_protect_path(const struct graph *g, const char *path,
		       const char *what, struct err *err)
{
	struct buf norm = BUF_INIT;
	int rc = 0;

	if (protect_rel(g, path, &norm) == 0)
		rc = graph_protected_at(g, norm.data, what, err);
	buf_release(&norm);
	return rc;
}

static int check_protected(struct loader *l)
{
	struct graph *g = l->g;
	const char *base = strrchr(g->file, '/');
	const char *paths[6], *whats[6], *rel[6], *what[6];
	struct buf norm[6];
	char *lock;
	size_t i, n = 0;
	int rc;

	base = base ? base + 1 : g->file;
	lock = lock_path_for(base);
	paths[0] = ".";
	whats[0] = "the workspace";
	paths[1] = ".cairn";
	whats[1] = "cairn's own folder";
	paths[2] = ".git";
	whats[2] = "the git repository";
	paths[3] = base;
	whats[3] = "the graph file";
	paths[4] = lock;
	whats[4] = "the graph's lock file";
	paths[5] = g->store;
	whats[5] = "the store";
	for (i = 0; i < 6; i++) {
		buf_init(&norm[i]);
		if (!paths[i] || protect_rel(g, paths[i], &norm[i]) < 0)
			continue;
		rel[n] = norm[i].data;
		what[n++] = whats[i];
	}
	rc = protected_many(g, rel, what, n, l->err);
	for (i = 0; i < 6; i++)
		buf_release(&norm[i]);
	free(lock);
	return rc;
}

/* The paths stat_all looks at, in order: the i-th of in's outputs,
 * inputs and code files, or NULL for an input a stage produces. */
static struct graph_path *stat_path(struct graph_inst *in, size_t j)
{
	struct graph_path *x = graph_path_at(in, j);

	return j >= in->nouts && j < in->nouts + in->ndeps && x->from ? NULL
								       : x;
}

/*
 * Stat every output (not following a link) and every input that no stage
 * produces, all at once; graph_path.seen and .st keep the answers (the
 * requests are walked again in the same order to set them).
 */
static void stat_all(struct loader *l)
{
	struct graph *g = l->g;
	struct stat_req *r;
	struct graph_path *x;
	size_t n = 0, i, j;

	for (i = 0; i < g->ninsts; i++)
		n += g->insts[i].nouts + g->insts[i].ndeps + g->insts[i].ncode;
	r = xcalloc(n + 1, sizeof(*r));
	n = 0;
	for (i = 0; i < g->ninsts; i++) {
		struct graph_inst *in = &g->insts[i];
		for (j = 0; j < in->nouts + in->ndeps + in->ncode; j++) {
			if (!(x = stat_path(in, j)))
				continue;
			r[n].path = x->path;
			r[n].nofollow = j < in->nouts;
			r[n++].st = &x->st;
		}
	}
	stat_many(l->wsfd, r, n);
	n = 0;
	for (i = 0; i < g->ninsts; i++) {
		struct graph_inst *in = &g->insts[i];
		for (j = 0; j < in->nouts + in->ndeps + in->ncode; j++) {
			if (!(x = stat_path(in, j)))
				continue;
			x->seen = r[n].err == ENOENT && r[n].nofollow ? -1
				  : r[n].err || S_ISLNK(x->st.mode) ? 0
								    : 1;
			n++;
		}
	}
	free(r);
}

/*
 * Depth-first search for a cycle from root; on finding one, report it.
 * The path is a stack of our own, each entry an instance and the next of
 * its inputs to follow: a chain of a million instances, met from its
 * end, would overflow the C stack.
 */
static int visit(struct loader *l, struct graph_inst *root,
		 struct graph_inst **stack, size_t *next, size_t *order,
		 size_t *pos)
{
	size_t depth = 0, i, k;

	if (root->mark == 2)
		return 0;
	stack[0] = root;
	next[0] = 0;
	root->mark = 1;
	for (;;) {
		struct graph_inst *in = stack[depth], *to = NULL;

		while (next[depth] < in->ndeps &&
		       !(to = in->deps[next[depth]++].from))
			;
		if (!to) {
			in->mark = 2;
			order[(*pos)++] = in->index;
			if (!depth)
				return 0;
			depth--;
			continue;
		}
		if (to->mark == 2)
			continue;
		stack[depth + 1] = to;
		if (to->mark == 1) {
			struct buf b = BUF_INIT;
			for (k = 0; k <= depth && stack[k] != to; k++)
				;
			for (i = k; i <= depth + 1; i++)
				buf_addf(&b, "%s%s", i > k ? " -> " : "",
					 stack[i]->name);
			gerr(l, stack[k]->stage->table, "dependency cycle: %s",
			     b.data);
			buf_release(&b);
			return -1;
		}
		to->mark = 1;
		next[++depth] = 0;
	}
}

/*
 * Reorder g->insts topologically (order[i] is the instance to put at i)
 * and fix every pointer into it.  In place, cycle by cycle: a copy of a
 * million instances would cost as much memory again.  visit() left every
 * mark at 2; a placed instance's is 0.
 */
static void reorder(struct graph *g, const size_t *order)
{
	struct graph_inst *in = g->insts, tmp;
	size_t *where = xcalloc(g->ninsts + 1, sizeof(size_t)), i, j, k;

	for (i = 0; i < g->ninsts; i++)
		where[order[i]] = i;
	/* The array stays where it is: point at the new places first. */
	for (i = 0; i < g->ninsts; i++)
		for (j = 0; j < in[i].ndeps; j++)
			if (in[i].deps[j].from)
				in[i].deps[j].from =
					&in[where[in[i].deps[j].from->index]];
	for (i = 0; i < g->ninsts; i++) {
		if (!in[i].mark)
			continue;
		tmp = in[i];
		for (j = i; (k = order[j]) != i; j = k) {
			in[j] = in[k];
			in[j].mark = 0;
		}
		in[j] = tmp;
		in[j].mark = 0;
	}
	for (i = 0; i < g->ninsts; i++)
		in[i].index = i;
	free(where);
}

int graph_check(struct loader *l)
{
	struct graph *g = l->g;
	struct claim *c = NULL;
	struct graph_inst **stack = NULL;
	size_t n = 0, i, j, *order = NULL, *next = NULL, pos = 0;
	struct buf p = BUF_INIT;
	int rc = -1;

	/* Paths are looked up from the workspace: fewer components to walk. */
	l->wsfd = open(g->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->wsfd < 0)
		return err_errno(l->err, "cannot open the workspace '%s'",
				 g->workspace);
	for (i = 0; i < g->ninsts; i++)
		n += g->insts[i].nouts;
	c = xcalloc(n + 1, sizeof(*c));
	n = 0;
	for (i = 0; i < g->ninsts; i++)
		for (j = 0; j < g->insts[i].nouts; j++) {
			c[n].path = g->insts[i].outs[j].path;
			name_prefix(c[n].path, c[n].pre);
			c[n].in = &g->insts[i];
			c[n++].out = &g->insts[i].outs[j];
		}
	if (n)
		qsort(c, n, sizeof(*c), by_claim);
	/* Inputs produced by a stage (found by path too) become edges. */
	for (i = 0; i < g->ninsts; i++) {
		struct graph_inst *in = &g->insts[i];
		for (j = 0; j < in->ndeps; j++) {
			struct graph_path *d = &in->deps[j];
			struct claim *pc;

			if (d->from || d->path[0] == '/' ||
			    !(pc = producer(c, n, d->path)))
				continue;
			d->from = pc->in;
			d->from_out = pc->out->name;
		}
	}
	if (check_protected(l) < 0)
		goto out;
	stat_all(l);
	for (i = 0; i < g->ninsts; i++)
		for (j = 0; j < g->insts[i].nouts; j++)
			if (check_escape(l, &g->insts[i], &g->insts[i].outs[j],
					 &p) < 0)
				goto out;
	/* Sorted, an output nested in another follows it directly. */
	for (i = 1; i < n; i++) {
		struct claim *a = &c[i - 1], *b = &c[i];
		if (!strcmp(a->path, b->path) || under(b->path, a->path)) {
			struct claim *first = a, *second = b;
			if (a->out->line > b->out->line) {
				first = b;
				second = a;
			}
			gerr_at(l, second->out->line, second->out->col,
				!strcmp(a->path, b->path)
					? "output '%s' of '%s' is also an "
					  "output of '%s' (line %d)"
					: "output '%s' of '%s' overlaps output "
					  "of '%s' (line %d)",
				second->path, second->in->name, first->in->name,
				first->out->line);
			goto out;
		}
	}
	free(c);
	c = NULL;
	/* Other inputs and code files must exist. */
	for (i = 0; i < g->ninsts; i++) {
		struct graph_inst *in = &g->insts[i];
		for (j = 0; j < in->ndeps + in->ncode; j++) {
			struct graph_path *d = j < in->ndeps
						       ? &in->deps[j]
						       : &in->code[j - in->ndeps];
			if ((j < in->ndeps && d->from) || d->seen > 0)
				continue;
			gerr_at(l, d->line, d->col,
				"%s '%s' of '%s' does not exist and no stage "
				"produces it",
				j < in->ndeps ? "input" : "code file", d->path,
				in->name);
			goto out;
		}
	}
	stack = xcalloc(g->ninsts + 2, sizeof(*stack));
	next = xcalloc(g->ninsts + 2, sizeof(size_t));
	order = xcalloc(g->ninsts + 1, sizeof(size_t));
	for (i = 0; i < g->ninsts; i++)
		if (visit(l, &g->insts[i], stack, next, order, &pos) < 0)
			goto out;
	reorder(g, order);
	rc = 0;
out:
	close(l->wsfd);
	free(c);
	free(stack);
	free(next);
	free(order);
	buf_release(&p);
	return rc;
}
