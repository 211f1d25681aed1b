/*
 * `cairn verify`: rebuild stage instances in a scratch folder that holds
 * only their declared inputs (from the store, or the workspace when its
 * file still has the locked digest) and compare every output with the lock
 * file.  Per instance: reproducible; differs (which outputs, old and new
 * ids and sizes, the first differing line of a text output); failed in
 * isolation (the command failed given only what it declares: an undeclared
 * dependency, shown with its log's tail); skipped (nondeterministic).  It
 * never touches the workspace or the recorded runs; it adds one
 * verification record (root "verify:GRAPH").  docs/cli.md describes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "digest.h"
#include "err.h"
#include "exec_local.h"
#include "executor.h"
#include "graph.h"
#include "json.h"
#include "lockfile.h"
#include "opt.h"
#include "rng.h"
#include "scan.h"
#include "stage_env.h"
#include "store.h"
#include "term.h"
#include "toml.h"
#include "units.h"
#include "util.h"

enum { OPT_SAMPLE = 256, OPT_SEED, OPT_JSON };

enum outcome { V_SAME, V_DIFFERS, V_FAILED, V_SKIPPED, V_ERROR };

static const char *const outcome_name[] = { "reproducible", "differs",
					    "failed in isolation", "skipped",
					    "cannot verify" };

struct vctx {
	struct cli *cli;
	const struct graph *g;
	struct store *s;
	struct buf *text, *json;
	size_t counts[5];
	size_t njson;
};

/* Whatever of the file there is (nothing when it cannot be read). */
static void read_all(const char *path, struct buf *b)
{
	(void)buf_read_file(b, path);
}

/* A source file's digest, streamed. */
static int hash_path(const char *path, struct digest *out)
{
	struct stat st;
	struct err ignore;

	return stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
			       scan_hash_file(path, (uint64_t)st.st_size, out,
					      &ignore) < 0
		       ? -1
		       : 0;
}

/* Copy a file, streamed (inputs can be large). */
static int copy_file(const char *from, const char *to)
{
	char chunk[65536];
	FILE *in = fopen(from, "rbe"), *out;
	size_t n;
	int rc = -1;

	if (!in)
		return -1;
	mkdir_p(to, 1);
	if ((out = fopen(to, "wbe"))) {
		rc = 0;
		while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0 && !rc)
			rc = fwrite(chunk, 1, n, out) == n ? 0 : -1;
		if (ferror(in) || fclose(out))
			rc = -1;
	}
	fclose(in);
	return rc;
}

/* The lock's digest for path in table t ("inputs" or "outputs"). */
static int locked(const struct toml_value *entry, const char *table,
		  const char *path, struct digest *out)
{
	const struct toml_value *t = toml_get(entry, table), *v;

	v = t ? toml_get(t, path) : NULL;
	return v && v->type == TOML_STRING &&
			       digest_parse(v->u.string.ptr, out) == 0
		       ? 0
		       : -1;
}

/* Text without trailing whitespace on any line or at the end. */
static void normal_text(const struct buf *in, struct buf *out)
{
	size_t i = 0;

	while (i < in->len) {
		size_t e = i, end;
		while (e < in->len && in->data[e] != '\n')
			e++;
		end = e;
		while (end > i && (in->data[end - 1] == ' ' ||
				   in->data[end - 1] == '\t' ||
				   in->data[end - 1] == '\r'))
			end--;
		buf_add(out, in->data + i, end - i);
		buf_addc(out, '\n');
		i = e + 1;
	}
	while (out->len && out->data[out->len - 1] == '\n')
		buf_truncate(out, out->len - 1);
}

/* JSON with every object's members sorted by name. */
static void sorted_json(struct buf *out, const struct json *j)
{
	size_t i, k, n;
	size_t *ord;

	if (j->type == JSON_ARRAY) {
		buf_addc(out, '[');
		for (i = 0; i < j->u.array.n; i++) {
			if (i)
				buf_addc(out, ',');
			sorted_json(out, j->u.array.v[i]);
		}
		buf_addc(out, ']');
		return;
	}
	if (j->type != JSON_OBJECT) {
		json_write(out, j);
		return;
	}
	n = j->u.object.n;
	ord = xcalloc(n + 1, sizeof(size_t));
	for (i = 0; i < n; i++)
		ord[i] = i;
	for (i = 1; i < n; i++)	/* insertion sort: objects are small */
		for (k = i; k > 0 && strcmp(j->u.object.k[ord[k - 1]],
					    j->u.object.k[ord[k]]) > 0;
		     k--) {
			size_t t = ord[k];
			ord[k] = ord[k - 1];
			ord[k - 1] = t;
		}
	buf_addc(out, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(out, ',');
		json_string(out, j->u.object.k[ord[i]],
			    strlen(j->u.object.k[ord[i]]));
		buf_addc(out, ':');
		sorted_json(out, j->u.object.v[ord[i]]);
	}
	buf_addc(out, '}');
	free(ord);
}

/* The semantic form of a file's bytes (by its name): JSON canonical,
 * other text without trailing whitespace.  HDF5 outputs are compared by
 * their content digest before this; one declared hash = "bytes" compares
 * bitwise here. */
static void semantic(const char *path, const struct buf *in, struct buf *out)
{
	size_t n = strlen(path);
	struct json *j = NULL;
	struct err ignore;

	if (n > 5 && !strcmp(path + n - 5, ".json") &&
	    json_parse(in->data, in->len, path, &j, &ignore) == 0) {
		sorted_json(out, j);
		json_free(j);
		return;
	}
	if ((n > 3 && !strcmp(path + n - 3, ".h5")) ||
	    (n > 5 && !strcmp(path + n - 5, ".hdf5"))) {
		buf_add(out, in->data, in->len);
		return;
	}
	normal_text(in, out);
}

static int is_text(const struct buf *b)
{
	return !memchr(b->data, '\0', b->len);
}

/* Where two texts first differ: "line N: "old" -> "new"". */
static void first_line_diff(const struct buf *a, const struct buf *b,
			    struct buf *out)
{
	size_t i = 0, line = 1, ea, eb, start = 0;

	while (i < a->len && i < b->len && a->data[i] == b->data[i]) {
		if (a->data[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	for (ea = start; ea < a->len && a->data[ea] != '\n'; ea++)
		;
	for (eb = start; eb < b->len && b->data[eb] != '\n'; eb++)
		;
	buf_addf(out, "line %zu: ", line);
	json_string(out, a->data + start, ea - start > 80 ? 80 : ea - start);
	buf_adds(out, " -> ");
	json_string(out, b->data + start, eb - start > 80 ? 80 : eb - start);
}

static void tail(const char *log, struct buf *out)
{
	struct buf b = BUF_INIT;
	size_t i, lines = 0, from = 0;

	read_all(log, &b);
	for (i = b.len; i-- > 0;)
		if (b.data[i] == '\n' && i + 1 < b.len && ++lines == 10) {
			from = i + 1;
			break;
		}
	while (from < b.len) {
		size_t e = from;
		while (e < b.len && b.data[e] != '\n')
			e++;
		buf_adds(out, "  | ");
		buf_add(out, b.data + from, e - from);
		buf_addc(out, '\n');
		from = e + 1;
	}
	buf_release(&b);
}

/* Put input path of in (locked as id) into scratch; 0 or -1 with why. */
static int place_input(struct vctx *v, const char *scratch, const char *path,
		       const struct digest *id, struct buf *why)
{
	struct buf to = BUF_INIT, from = BUF_INIT;
	struct store_object o;
	struct digest now;
	struct err err;
	int rc = 0;

	buf_addf(&to, "%s/%s", scratch, path);
	mkdir_p(to.data, 1);
	if (store_lookup(v->s, id, &o) == 0) {
		if (store_materialize(v->s, id, to.data, 0, &err)) {
			buf_addf(why, "cannot materialise input '%s': %s", path,
				 err.msg);
			rc = -1;
		}
	} else {
		/* Source files are not stored: the workspace's copy, if it is
		 * still what the lock says. */
		if (path[0] == '/')
			buf_adds(&from, path);
		else
			buf_addf(&from, "%s/%s", v->g->workspace, path);
		if (hash_path(from.data, &now) < 0 || !digest_eq(&now, id) ||
		    copy_file(from.data, to.data) < 0) {
			buf_addf(why, "input '%s' is neither in the store nor, "
				      "as locked, in the workspace",
				 path);
			rc = -1;
		}
	}
	buf_release(&to);
	buf_release(&from);
	return rc;
}

static void verify_one(struct vctx *v, const struct graph_inst *in,
		       const struct toml_value *entry)
{
	char scratch[] = "/tmp/cairn-verify-XXXXXX";
	struct buf why = BUF_INIT, p = BUF_INIT, params = BUF_INIT;
	struct buf detail = BUF_INIT, log = BUF_INIT, wd = BUF_INIT;
	struct buf cmdline = BUF_INIT;
	enum outcome oc = V_SAME;
	struct exec_local local;
	struct executor ex;
	struct exec_job job;
	struct exec_end end;
	char **vars = NULL;
	size_t nvars = 0, k;
	struct err err;

	if (in->stage->determinism == DET_NONDETERMINISTIC) {
		oc = V_SKIPPED;
		buf_adds(&why, "nondeterministic");
		goto report;
	}
	if (!mkdtemp(scratch)) {
		oc = V_ERROR;
		buf_addf(&why, "cannot make a scratch folder: %s",
			 strerror(errno));
		goto report;
	}
	for (k = 0; k < in->ndeps + in->ncode && oc == V_SAME; k++) {
		const struct graph_path *d = k < in->ndeps
						     ? &in->deps[k]
						     : &in->code[k - in->ndeps];
		struct digest id;

		if (k >= in->ndeps) {
			/* Code is not in the lock: the workspace's. */
			buf_truncate(&p, 0);
			if (d->path[0] == '/')
				buf_adds(&p, d->path);
			else
				buf_addf(&p, "%s/%s", v->g->workspace, d->path);
			buf_truncate(&log, 0);
			buf_addf(&log, "%s/%s", scratch, d->path);
			if (copy_file(p.data, log.data) < 0) {
				oc = V_ERROR;
				buf_addf(&why, "cannot copy code file '%s'",
					 d->path);
			}
			continue;
		}
		if (locked(entry, "inputs", d->path, &id) < 0) {
			oc = V_ERROR;
			buf_addf(&why, "the lock file names no input '%s'",
				 d->path);
		} else if (place_input(v, scratch, d->path, &id, &why) < 0) {
			oc = V_ERROR;
		}
	}
	if (oc != V_SAME)
		goto done;
	for (k = 0; k < in->nouts; k++) {
		buf_truncate(&p, 0);
		buf_addf(&p, "%s/%s", scratch, in->outs[k].path);
		mkdir_p(p.data, 1);
	}
	buf_addf(&wd, "%s/%s", scratch, in->wdir);
	mkdir_p(wd.data, 0);
	buf_truncate(&log, 0);
	buf_addf(&log, "%s/.cairn/verify.log", scratch);
	mkdir_p(log.data, 1);
	if (stage_params_file(v->g, in, scratch, &params, &err) < 0) {
		oc = V_ERROR;
		buf_adds(&why, err.msg);
		goto done;
	}
	vars = stage_env(in, scratch, params.data, &nvars);
	if (stage_command(in, scratch, &cmdline, &err) < 0) {
		oc = V_ERROR;
		buf_adds(&why, err.msg);
		goto done;
	}
	exec_local_open(&local, &ex);
	job.inst = in;
	job.cmd = cmdline.data;
	job.wdir = wd.data;
	job.log = log.data;
	job.env = vars;
	job.nenv = nvars;
	if (ex.start(ex.ctx, &job, &end.id, &err) < 0) {
		exec_local_close(&local);
		oc = V_ERROR;
		buf_adds(&why, err.msg);
		goto done;
	}
	while (ex.wait(ex.ctx, -1, &end) != 1)
		;
	exec_local_close(&local);
	if (!WIFEXITED(end.status) || WEXITSTATUS(end.status)) {
		oc = V_FAILED;
		if (WIFSIGNALED(end.status))
			buf_addf(&why, "killed by signal %d", WTERMSIG(end.status));
		else
			buf_addf(&why, "exit %d", WEXITSTATUS(end.status));
		buf_adds(&why, "; given only its declared inputs");
		tail(log.data, &detail);
		goto done;
	}
	for (k = 0; k < in->nouts; k++) {
		const char *path = in->outs[k].path;
		struct digest old, now;
		struct stat st;
		struct buf a = BUF_INIT, b = BUF_INIT;
		char ho[DIGEST_HEX + 1], hn[DIGEST_HEX + 1], sa[32], sb[32];

		buf_truncate(&p, 0);
		buf_addf(&p, "%s/%s", scratch, path);
		if (locked(entry, "outputs", path, &old) < 0) {
			oc = V_ERROR;
			buf_addf(&why, "the lock file names no output '%s'", path);
			break;
		}
		if (stat(p.data, &st) < 0) {
			oc = V_DIFFERS;
			buf_addf(&detail, "  output %s: not made\n", path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct store_writer *w;
			/* A folder's id is its tree's; the store computes it. */
			if (store_writer_new(v->s, &w, &err) ||
			    store_put_tree(w, p.data, &now, &err) ||
			    store_writer_commit(w, &err)) {
				oc = V_ERROR;
				buf_addf(&why, "cannot read output '%s': %s", path,
					 err.msg);
				break;
			}
		} else if (scan_content_digest(p.data, (uint64_t)st.st_size,
					       in->outs[k].hash == GRAPH_HASH_HDF5,
					       &now, &err) < 0) {
			oc = V_ERROR;
			buf_addf(&why, "cannot read output '%s': %s", path, err.msg);
			break;
		}
		if (digest_eq(&old, &now))
			continue;
		if (!S_ISDIR(st.st_mode))
			read_all(p.data, &b);
		/* The locked bytes, for sizes, semantics and the line. */
		if (!S_ISDIR(st.st_mode)) {
			buf_truncate(&log, 0);
			buf_addf(&log, "%s/.cairn/old", scratch);
			if (store_materialize(v->s, &old, log.data, 0, &err) == 0)
				read_all(log.data, &a);
			unlink(log.data);
		}
		if (in->stage->determinism == DET_SEMANTIC &&
		    !S_ISDIR(st.st_mode)) {
			struct buf na = BUF_INIT, nb = BUF_INIT;
			int same;
			semantic(path, &a, &na);
			semantic(path, &b, &nb);
			same = na.len == nb.len && !memcmp(na.data, nb.data, na.len);
			buf_release(&na);
			buf_release(&nb);
			if (same) {
				buf_release(&a);
				buf_release(&b);
				continue;
			}
		}
		oc = V_DIFFERS;
		digest_hex(&old, ho);
		digest_hex(&now, hn);
		if (S_ISDIR(st.st_mode)) {
			buf_addf(&detail, "  output %s: %.12s -> %.12s (folder)\n",
				 path, ho, hn);
		} else {
			buf_addf(&detail, "  output %s: %.12s (%s) -> %.12s (%s)\n",
				 path, ho, format_size(a.len, sa), hn,
				 format_size(b.len, sb));
			if (a.len && is_text(&a) && is_text(&b)) {
				buf_adds(&detail, "    ");
				first_line_diff(&a, &b, &detail);
				buf_addc(&detail, '\n');
			}
		}
		buf_release(&a);
		buf_release(&b);
	}
done:
	remove_tree(scratch);
report:
	v->counts[oc]++;
	buf_addf(v->text, "%-20s %s", outcome_name[oc], in->name);
	if (why.len)
		buf_addf(v->text, " (%s)", why.data);
	buf_addc(v->text, '\n');
	buf_add(v->text, detail.data, detail.len);
	buf_adds(v->json, v->njson++ ? ",\n  {\"instance\": " : "\n  {\"instance\": ");
	json_string(v->json, in->name, strlen(in->name));
	buf_addf(v->json, ", \"outcome\": \"%s\", \"why\": ", outcome_name[oc]);
	json_string(v->json, why.data, why.len);
	buf_adds(v->json, ", \"detail\": ");
	json_string(v->json, detail.data, detail.len);
	buf_addc(v->json, '}');
	for (k = 0; k < nvars; k++)
		free(vars[k]);
	free(vars);
	buf_release(&why);
	buf_release(&p);
	buf_release(&params);
	buf_release(&detail);
	buf_release(&log);
	buf_release(&wd);
	buf_release(&cmdline);
}

static int matches_any(const struct graph_inst *in, const char *const *t,
		       size_t n)
{
	size_t k;

	if (!n)
		return 1;
	for (k = 0; k < n; k++)
		if (!strcmp(t[k], in->name) || !strcmp(t[k], in->stage->name) ||
		    !fnmatch(t[k], in->name, 0))
			return 1;
	return 0;
}

static const struct opt_spec verify_opts[] = {
	{ "sample", OPT_SAMPLE, 1, "N", "verify N instances chosen at random" },
	{ "seed", OPT_SEED, 1, "S", "the seed of that choice (default 1)" },
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	CLI_OPT_PARAM,
	{ 0 },
};

static int verify_run(struct cli *cli, const struct command *cmd, int argc,
		      char **argv)
{
	struct opt_iter it;
	struct cli_session cs = CLI_SESSION_INIT;
	struct graph *g;
	struct store *s;
	struct toml_doc *lock = NULL;
	const struct toml_value *stages = NULL;
	struct buf text = BUF_INIT, json = BUF_INIT, out = BUF_INIT;
	struct vctx v;
	struct err err;
	size_t *cand = NULL, ncand = 0, i, first = 0;
	unsigned long long sample = 0, seed = 1;
	char *lockpath = NULL, *end;
	int rc = EXIT_OK, o, as_json = 0, k;

	memset(&v, 0, sizeof(v));
	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0) {
		if (o == OPT_JSON) {
			as_json = 1;
			continue;
		}
		errno = 0;
		if (o == OPT_SAMPLE)
			sample = strtoull(it.arg, &end, 10);
		else
			seed = strtoull(it.arg, &end, 10);
		if (errno || end == it.arg || *end ||
		    (o == OPT_SAMPLE && !sample)) {
			rc = cli_usage_error(cli, cmd, "invalid --%s '%s': give "
						       "a %snumber",
					     o == OPT_SAMPLE ? "sample" : "seed",
					     it.arg,
					     o == OPT_SAMPLE ? "positive " : "");
			goto out;
		}
	}
	if (o < 0) {
		rc = cli_opt_exit(o);
		goto out;
	}
	first = (size_t)cli_graph_operand(&it);
	if ((rc = cli_session_graph(cli, first ? it.operands[0] : NULL,
				    CLI_GRAPH, &cs)))
		goto out;
	g = cs.g;
	lockpath = lock_path_for(cs.file);
	if ((k = lock_read(lockpath, &lock, &stages, &err))) {
		if (k == -2) {
			term_error(&cli->term, "no lock file '%s'", lockpath);
			term_hint(&cli->term, "'cairn run' writes it; verify "
					      "rebuilds what it records");
		} else {
			term_error(&cli->term, "%s", err.msg);
		}
		rc = EXIT_USAGE;
		goto out;
	}
	/* Rebuilds store trees and the verification record, and restore
	 * inputs from the store: gc must leave all of it alone meanwhile. */
	if ((rc = cli_session_store(cli, CLI_STORE, &cs)) ||
	    (rc = cli_session_live(cli, "verify", &cs)))
		goto out;
	s = cs.s;
	/* The instances the lock records (and the targets name), in order. */
	cand = xcalloc(g->ninsts + 1, sizeof(size_t));
	for (i = 0; i < g->ninsts; i++)
		if (stages && toml_get(stages, g->insts[i].name) &&
		    matches_any(&g->insts[i],
				(const char *const *)it.operands + first,
				(size_t)(it.noperands - first)))
			cand[ncand++] = i;
	if (sample && sample < ncand) {
		struct rng x = rng_for(seed, 0);
		/* The first `sample` of a seeded shuffle, back in order. */
		for (i = ncand - 1; i > 0; i--) {
			size_t j = (size_t)(rng_next(&x) % (i + 1)), t = cand[i];
			cand[i] = cand[j];
			cand[j] = t;
		}
		ncand = (size_t)sample;
		for (i = 1; i < ncand; i++) {
			size_t j = i, t = cand[i];
			while (j > 0 && cand[j - 1] > t) {
				cand[j] = cand[j - 1];
				j--;
			}
			cand[j] = t;
		}
	}
	v.cli = cli;
	v.g = g;
	v.s = s;
	v.text = &text;
	v.json = &json;
	for (i = 0; i < ncand; i++)
		verify_one(&v, &g->insts[cand[i]],
			   toml_get(stages, g->insts[cand[i]].name));
	/* The verification record: kept as the graph's "verify:" root. */
	{
		struct store_writer *w;
		struct digest id;
		struct buf rec = BUF_INIT, root = BUF_INIT;
		struct timespec ts;
		int kept = 0;

		clock_gettime(CLOCK_REALTIME, &ts);
		buf_adds(&rec, "{\"verify\": ");
		json_string(&rec, g->name, strlen(g->name));
		buf_addf(&rec, ", \"time_ns\": %lld, \"sample\": %llu, "
			       "\"seed\": %llu, \"results\": [%s\n]}\n",
			 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec,
			 sample, seed, json.data);
		buf_addf(&root, "verify:%s", g->name);
		/* Not kept is said, not hidden: the results above stand. */
		if (store_writer_new(s, &w, &err) == 0) {
			if (store_put_bytes(w, rec.data, rec.len, &id, &err) ||
			    store_set_root(w, root.data, &id, 1, &err))
				store_writer_abort(w);
			else
				kept = store_writer_commit(w, &err) == 0;
		}
		if (!kept)
			term_warning(&cli->term, "cannot keep the verification "
						 "record (root '%s'): %s",
				     root.data, err.msg);
		if (as_json)
			buf_add(&out, rec.data, rec.len);
		buf_release(&rec);
		buf_release(&root);
	}
	if (!as_json) {
		buf_add(&out, text.data, text.len);
		buf_addf(&out, "verify: %zu instance%s: %zu reproducible, %zu "
			       "differ, %zu failed in isolation",
			 ncand, ncand == 1 ? "" : "s", v.counts[V_SAME],
			 v.counts[V_DIFFERS], v.counts[V_FAILED]);
		if (v.counts[V_SKIPPED])
			buf_addf(&out, ", %zu skipped", v.counts[V_SKIPPED]);
		if (v.counts[V_ERROR])
			buf_addf(&out, ", %zu could not be verified",
				 v.counts[V_ERROR]);
		buf_addc(&out, '\n');
	}
	fwrite(out.data, 1, out.len, stdout);
	if (v.counts[V_DIFFERS] || v.counts[V_FAILED] || v.counts[V_ERROR])
		rc = EXIT_FAILED;
out:
	free(cand);
	free(lockpath);
	toml_doc_free(lock);
	buf_release(&text);
	buf_release(&json);
	buf_release(&out);
	cli_session_close(cli, &cs);
	opt_release(&it);
	return rc;
}

const struct command cmd_verify = {
	.name = "verify",
	.summary = "rebuild instances in isolation and compare with the lock file",
	.usage = "verify [--sample N] [--seed S] [--json] [-p NAME=VALUE]... "
		 "[GRAPH] [TARGET...]",
	.description =
		"Re-run stage instances recorded in the lock file (all, the "
		"TARGETs, or N\nchosen at random with --sample, reproducibly "
		"with --seed) in a scratch\nfolder holding only their declared "
		"inputs, and compare every output with\nthe lock: reproducible, "
		"differs (old and new ids and sizes, the first\ndiffering line "
		"of a text output), failed in isolation (the log's tail:\nan "
		"undeclared dependency), skipped (determinism = "
		"\"nondeterministic\").\nStages with determinism = \"semantic\" "
		"compare JSON with keys sorted and text\nwithout trailing "
		"whitespace. The workspace and the recorded runs are not\n"
		"touched; the result is kept as the store root 'verify:GRAPH'. "
		"Exit 1 when\nanything differs or fails.",
	.opts = verify_opts,
	.run = verify_run,
};
