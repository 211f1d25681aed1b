/*
 * Outputs edited since the last run (run_internal.h).  The lock file says
 * what the last run left in the workspace; an output that holds other
 * bytes, which the store does not have either, was changed by someone
 * (a person, a script) after it: replacing it would lose that work for
 * good.  Before anything runs, every such output of the instances asked
 * for is found: without --force for its instance the run refuses and
 * changes nothing; forced, it is stored and named by a root of its own
 * before the run replaces it.
 *
 * An output the store has (an earlier run's, a restore) loses nothing
 * when replaced and is not an edit; nor is a missing one.  After a killed
 * run, outputs its stages were writing differ from the lock file too, and
 * cannot be told from edits: they are all kept, and replaced.  So are
 * those of instances whose cluster job a dead run left (it writes them).
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "err.h"
#include "graph.h"
#include "run_internal.h"
#include "store.h"
#include "util.h"

struct edit {
	size_t inst, out;
	struct digest now, locked;
	int keep;
};

/* The lock entry's id for output k of in; NULL when it names none. */
static const struct digest *locked_id(const struct lock_known *e,
				      const struct graph_inst *in, size_t k)
{
	size_t j;

	for (j = 0; j < e->nouts; j++)
		if (!strcmp(e->out_path[j], in->outs[k].path))
			return &e->out_id[j];
	return NULL;
}

/* The edits of instance i appended to *v: outputs the workspace holds,
 * other than locked and not in the store. */
static void find(struct runner *r, size_t i, struct edit **v, size_t *n,
		 size_t *cap)
{
	const struct graph_inst *in = &r->g->insts[i];
	struct buf p = BUF_INIT;
	struct store_object obj;
	struct digest now;
	size_t k, jn;
	int missing;

	for (k = 0; k < in->nouts; k++) {
		const struct digest *was = locked_id(r->is[i].locked, in, k);
		struct err ignore;
		struct reader rd = r->rd;

		rd.err = &ignore;
		/* Missing or unreadable: nothing to lose, or the run's own
		 * checks say what is wrong with it. */
		if (!was || run_scan_path(r, &rd, &in->outs[k], &p, &now,
					  &missing) < 0 ||
		    digest_eq(&now, was) ||
		    (run_begin(r) == 0 && store_lookup(r->s, &now, &obj) == 0))
			continue;
		xgrow((void **)v, cap, *n + 1, sizeof(**v));
		(*v)[*n].inst = i;
		(*v)[*n].out = k;
		(*v)[*n].now = now;
		(*v)[*n].locked = *was;
		(*v)[*n].keep = r->o->killed_before || run_forced(r, in) ||
				(r->jobs.n && jobtab_find(&r->jobs, in->name, &jn));
		(*n)++;
	}
	buf_release(&p);
}

static void tell(struct runner *r, const struct edit *e, const char *root)
{
	struct run_edit re;

	if (!r->st || !r->st->edited)
		return;
	re.in = &r->g->insts[e->inst];
	re.path = re.in->outs[e->out].path;
	re.now = &e->now;
	re.locked = &e->locked;
	re.kept = root != NULL;
	re.root = root;
	r->st->edited(r->st->ctx, &re);
}

/* Said for each refused edit, then what to do about them. */
static void refuse(struct runner *r, const struct edit *v, size_t n)
{
	struct buf force = BUF_INIT, back = BUF_INIT;
	char hex[DIGEST_HEX + 1];
	size_t k, j, nref = 0;

	for (k = 0; k < n; k++) {
		const struct graph_inst *in = &r->g->insts[v[k].inst];
		const char *path = in->outs[v[k].out].path;

		if (v[k].keep)
			continue;
		nref++;
		run_error(r, "output '%s' of '%s' was edited since the last run "
			     "made it: running would replace it",
			  path, in->name);
		for (j = 0; j < k && v[j].inst != v[k].inst; j++)
			;
		if (j == k)
			buf_addf(&force, " --force '%s'", in->name);
		digest_hex(&v[k].locked, hex);
		buf_addf(&back, "%scairn export %.12s '%s'", back.len ? "; " : "",
			 hex, path);
		tell(r, &v[k], NULL);
	}
	run_hint(r, "run with%s to replace %s (%s kept in the store "
		    "first), or put back what the last run made: %s",
		 force.data, nref == 1 ? "it" : "them",
		 nref == 1 ? "its bytes are" : "their bytes are", back.data);
	buf_release(&force);
	buf_release(&back);
}

/*
 * Store edit e's bytes and root them as "edited:PATH@ID" (ID: 12 digits),
 * in the run's writer.  0, or -1 with r->err.
 */
static int keep(struct runner *r, const struct edit *e, struct buf *root,
		struct digest *id)
{
	const struct graph_inst *in = &r->g->insts[e->inst];
	const char *path = in->outs[e->out].path;
	struct store_writer *w = run_writer(r);
	char hex[DIGEST_HEX + 1];
	struct buf p = BUF_INIT;
	struct stat st;
	int rc = -1;

	if (!w)
		return -1;
	run_abspath(r->g, path, &p);
	/* A folder was stored as a tree when it was scanned; a file's id
	 * may be its HDF5 content's, not its bytes'. */
	*id = e->now;
	if (stat(p.data, &st) == 0 && !S_ISDIR(st.st_mode) &&
	    store_put_file(w, p.data, NULL, id, r->err))
		goto out;
	digest_hex(id, hex);
	buf_truncate(root, 0);
	if (strlen(path) < 300)
		buf_addf(root, "edited:%s@%.12s", path, hex);
	else
		buf_addf(root, "edited:%s", hex);
	if (store_set_root(w, root->data, id, 1, r->err))
		goto out;
	rc = 0;
out:
	buf_release(&p);
	return rc;
}

/* Keep every edit to be replaced, committed before anything runs. */
static int keep_all(struct runner *r, const struct edit *v, size_t n)
{
	struct buf *roots = xcalloc(n + 1, sizeof(*roots));
	struct digest *ids = xcalloc(n + 1, sizeof(*ids));
	char hex[DIGEST_HEX + 1];
	size_t k;
	int rc = -1;

	for (k = 0; k < n; k++) {
		buf_init(&roots[k]);
		if (keep(r, &v[k], &roots[k], &ids[k]) < 0)
			goto out;
	}
	if (scan_finish(&r->scan, r->err) < 0)
		goto out;
	for (k = 0; k < n; k++) {
		const struct graph_inst *in = &r->g->insts[v[k].inst];
		digest_hex(&ids[k], hex);
		run_warning(r, "output '%s' of '%s' %s: its bytes are kept in "
			       "the store as %.12s (root '%s'), and it is "
			       "replaced",
			    in->outs[v[k].out].path, in->name,
			    r->o->killed_before
				    ? "is not what the last run made (an "
				      "earlier run was killed while its "
				      "stages ran)"
				    : "was edited since the last run made it",
			    hex, roots[k].data);
		tell(r, &v[k], roots[k].data);
		r->res->kept++;
	}
	rc = 0;
out:
	if (rc) {
		struct err why = *r->err;
		err_set(r->err, "cannot keep an edited output in the store: %s",
			why.msg);
	}
	for (k = 0; k < n; k++)
		buf_release(&roots[k]);
	free(roots);
	free(ids);
	return rc;
}

/* A dry run's word on edit e: what a run will do with it. */
static void foretell(struct runner *r, const struct edit *e)
{
	const struct graph_inst *in = &r->g->insts[e->inst];

	run_warning(r, "output '%s' of '%s' was edited since the last run "
		       "made it: 'cairn run' refuses to replace it without "
		       "--force '%s'",
		    in->outs[e->out].path, in->name, in->name);
}

int run_edited(struct runner *r)
{
	struct edit *v = NULL;
	size_t i, n = 0, cap = 0, nref = 0;
	int rc = 0;

	if (!r->lock.n)
		return 0;
	/* Those the pre-pass found as the lock file says hold no edit. */
	for (i = 0; i < r->g->ninsts; i++)
		if (r->is[i].want && r->is[i].locked && !r->is[i].by_lock)
			find(r, i, &v, &n, &cap);
	if (r->o->dry_run) {	/* status, run -n: said, nothing done */
		for (i = 0; i < n; i++)
			if (!v[i].keep) {
				foretell(r, &v[i]);
				tell(r, &v[i], NULL);
			}
		free(v);
		return 0;
	}
	for (i = 0; i < n; i++)
		nref += !v[i].keep;
	r->res->edited = n;
	if (nref) {
		/* Nothing is changed: not even the stat cache's entries, or
		 * the folders scanned into the writer. */
		refuse(r, v, n);
		if (r->scan.w)
			store_writer_abort(r->scan.w);
		r->scan.w = NULL;
		rc = 1;
	} else if (n) {
		rc = keep_all(r, v, n);
	}
	free(v);
	return rc;
}
