/*
 * Commands on objects by id: cat, export, show; and the store's
 * maintenance: fsck, gc.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "json.h"
#include "runrec.h"
#include "store.h"
#include "units.h"
#include "util.h"

enum { OPT_JSON = 256, OPT_EXEC, OPT_REPAIR, OPT_DRY_RUN, OPT_MAX_SIZE };

/* Open the store read-only and resolve prefix; 0 or an exit code. */
static int open_id(struct cli *cli, const char *prefix, struct store **s,
		   struct digest *id)
{
	struct err err;
	int rc;

	if ((rc = cli_store_open(cli, 0, s)))
		return rc;
	if ((rc = store_resolve(*s, prefix, id, &err))) {
		store_close(*s);
		*s = NULL;
		return cli_store_fail(cli, rc, &err);
	}
	return 0;
}

/* ---- cat ---- */

static int print_entry(const struct store_tree_entry *e, void *ctx)
{
	struct buf *out = ctx;
	char hex[DIGEST_HEX + 1];

	if (e->kind == 'f' || e->kind == 'x') {
		digest_hex(&e->id, hex);
		buf_addf(out, "%s %s %12llu %s\n",
			 e->kind == 'x' ? "exec" : "file", hex,
			 (unsigned long long)e->size, e->path);
	} else if (e->kind == 'l') {
		buf_addf(out, "link %64s %12llu %s -> %s\n", "",
			 (unsigned long long)e->size, e->path, e->target);
	} else {
		buf_addf(out, "dir  %64s %12s %s/\n", "", "", e->path);
	}
	return 0;
}

static int cat_run(struct cli *cli, const struct command *cmd, int argc,
		   char **argv)
{
	struct opt_iter it;
	struct store *s = NULL;
	struct store_object o;
	struct buf out = BUF_INIT;
	struct digest id;
	struct err err;
	int rc, src;

	if (cli_operands(cli, cmd, argc, argv, 1, &it, &rc) < 0)
		return rc;
	if (it.noperands != 1) {
		opt_release(&it);
		return cli_usage_error(cli, cmd, "give one id");
	}
	rc = open_id(cli, it.operands[0], &s, &id);
	opt_release(&it);
	if (rc)
		return rc;
	src = store_lookup(s, &id, &o);
	if (!src && o.kind == STORE_TREE) {
		src = store_tree_walk(s, &id, print_entry, &out, &err);
		if (!src)
			fwrite(out.data, 1, out.len, stdout);
	} else if (!src) {
		fflush(stdout);
		src = store_cat(s, &id, STDOUT_FILENO, &err);
	} else {
		err_set(&err, "cannot read object: %s", store_strerror(src));
	}
	buf_release(&out);
	store_close(s);
	return src ? cli_store_fail(cli, src, &err) : EXIT_OK;
}

const struct command cmd_cat = {
	.name = "cat",
	.summary = "print a blob's bytes (or a tree's entries)",
	.usage = "cat ID",
	.description = "Write the bytes of blob ID to standard output, each "
		       "chunk checked against its\ndigest before it is written "
		       "(a damaged blob writes nothing from its first\nbad "
		       "chunk on, and exits 3). For a tree, list its entries: "
		       "kind, blob id,\nsize, path. ID may be a unique prefix "
		       "of 6 or more hex digits.",
	.run = cat_run,
};

/* ---- export ---- */

static const struct opt_spec export_opts[] = {
	{ "exec", OPT_EXEC, 0, NULL, "make an exported blob executable" },
	{ 0 },
};

static int export_run(struct cli *cli, const struct command *cmd, int argc,
		      char **argv)
{
	struct opt_iter it;
	struct store *s = NULL;
	struct digest id;
	struct err err;
	int exec, rc, src;

	if (cli_flag_operands(cli, cmd, argc, argv, argc, &it, &exec, &rc) < 0)
		return rc;
	if (it.noperands != 2) {
		opt_release(&it);
		return cli_usage_error(cli, cmd, "give an id and a path");
	}
	if (!(rc = open_id(cli, it.operands[0], &s, &id))) {
		src = store_materialize(s, &id, it.operands[1],
					exec ? STORE_MODE_EXEC : 0, &err);
		rc = src ? cli_store_fail(cli, src, &err) : EXIT_OK;
		/* The path is a user's error; a full disk is not. */
		if (src > 0 && src != ENOSPC && src != EDQUOT && src != EIO)
			rc = EXIT_USAGE;
	}
	store_close(s);
	opt_release(&it);
	return rc;
}

const struct command cmd_export = {
	.name = "export",
	.summary = "write a blob or tree from the store to a path",
	.usage = "export [--exec] ID PATH",
	.description = "Create PATH from blob or tree ID. It is written under "
		       "a temporary name\nbeside PATH, verified against its "
		       "digest, and renamed into place, so PATH\nnever holds a "
		       "partial file; an existing PATH is replaced only once "
		       "the new\ncontent is whole. Trees keep their entries' "
		       "executable and owner-only bits\nand their symlinks.",
	.opts = export_opts,
	.run = export_run,
};

/* ---- show ---- */

struct show_ctx {
	struct buf *out;
	int json, n;
	struct digest *runs;	/* the lineage's runs, for their names */
	enum store_role *roles;
	size_t nruns;
};

/* ns since the epoch as ISO 8601 in UTC, with its offset:
 * "2026-12-04T20:12:14+00:00". */
static void iso_time(struct buf *b, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	buf_adds(b, s);
}

/* "0.012 s", "3.40 s", "2 min 03 s", "1 h 02 min". */
static void duration_text(struct buf *b, double s)
{
	long m;

	if (s < 1)
		buf_addf(b, "%.3f s", s);
	else if (s < 60)
		buf_addf(b, "%.2f s", s);
	else if ((m = (long)(s / 60)) < 60)
		buf_addf(b, "%ld min %02ld s", m, (long)s % 60);
	else
		buf_addf(b, "%ld h %02ld min", m / 60, m % 60);
}

/* A payload's inputs or outputs, one a line: id, then what names it. */
static void files_text(struct buf *out, const char *title,
		       const struct json *arr, int outputs)
{
	size_t i, n = arr && arr->type == JSON_ARRAY ? arr->u.array.n : 0;

	buf_addf(out, "%s:%s", title, n ? "\n" : " none\n");
	for (i = 0; i < n; i++) {
		const struct json *e = arr->u.array.v[i];
		const char *id = json_str(e, "id"), *path = json_str(e, "path");
		const char *name = json_str(e, "name"), *from;
		const struct json *code = json_member(e, "code");

		buf_addf(out, "  %s  ", id ? id : "?");
		if (outputs)
			buf_addf(out, "%s  %s", name ? name : "?",
				 path ? path : "?");
		else
			buf_adds(out, path ? path : "?");
		if (code && code->type == JSON_BOOL && code->u.boolean)
			buf_adds(out, "  (code)");
		else if ((from = json_str(e, "from")))
			buf_addf(out, "  (from %s)", from);
		buf_addc(out, '\n');
	}
}

static void add_ids(struct buf *out, const char *name,
		    const struct digest *ids, size_t n, int json)
{
	char hex[DIGEST_HEX + 1];
	size_t i;

	buf_addf(out, json ? ", \"%s\": [" : "%s:", name);
	for (i = 0; i < n; i++) {
		struct digest d;
		memcpy(d.b, ids[i].b, DIGEST_LEN);
		digest_hex(&d, hex);
		buf_addf(out, json ? "%s\"%s\"" : "%s%s", json ? (i ? ", " : "")
								 : "\n  ",
			 hex);
	}
	buf_adds(out, json ? "]" : (n ? "\n" : " none\n"));
}

/* The engine's record (docs/store-format.md): the fields people ask for
 * in text, all of it as "record" in JSON. */
static void show_payload(struct show_ctx *c, const struct store_run *r)
{
	static const char *const fields[] = { "graph", "instance", "cmd",
					      "kind", "kind_version",
					      "exit", "signal", "error",
					      "params", "matrix", "metrics",
					      "start_ns", "duration_ns",
					      "peak_rss_kib", "cpu_s", "log",
					      "scheduler", "env" };
	struct json *j = NULL;
	struct err ignore;
	size_t i;
	double x;

	if (json_parse(r->payload, r->len, "run", &j, &ignore) < 0 ||
	    j->type != JSON_OBJECT) {
		json_free(j);
		/* Not the engine's: the store's ids at least. */
		if (!c->json) {
			add_ids(c->out, "inputs", r->inputs, r->ninputs, 0);
			add_ids(c->out, "outputs", r->outputs, r->noutputs, 0);
		}
		return;
	}
	if (c->json) {
		buf_adds(c->out, ", \"record\": ");
		json_write(c->out, j);
		json_free(j);
		return;
	}
	files_text(c->out, "inputs", json_member(j, "inputs"), 0);
	files_text(c->out, "outputs", json_member(j, "outputs"), 1);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct json *v = json_member(j, fields[i]);
		if (!v)
			continue;
		if (!strcmp(fields[i], "start_ns") &&
		    json_num(j, "start_ns", &x) == 0) {
			buf_adds(c->out, "start: ");
			iso_time(c->out, (int64_t)x);
			buf_addc(c->out, '\n');
			continue;
		}
		if (!strcmp(fields[i], "duration_ns") &&
		    json_num(j, "duration_ns", &x) == 0) {
			buf_adds(c->out, "duration: ");
			duration_text(c->out, x / 1e9);
			buf_addc(c->out, '\n');
			continue;
		}
		buf_addf(c->out, "%s: ", fields[i]);
		if (v->type == JSON_STRING)
			buf_adds(c->out, v->u.string);
		else
			json_write(c->out, v);
		buf_addc(c->out, '\n');
	}
	json_free(j);
}

static int show_run_record(const struct store_run *r, void *ctx)
{
	struct show_ctx *c = ctx;
	char hex[DIGEST_HEX + 1];

	digest_hex(&r->key, hex);
	if (c->json) {
		buf_addf(c->out, ", \"key\": \"%s\", \"time_ns\": %lld, "
				 "\"used_ns\": %lld, \"payload_bytes\": %zu",
			 hex, (long long)r->time_ns, (long long)r->used_ns,
			 r->len);
		add_ids(c->out, "inputs", r->inputs, r->ninputs, 1);
		add_ids(c->out, "outputs", r->outputs, r->noutputs, 1);
	} else {
		buf_addf(c->out, "key: %s\nrecorded: ", hex);
		iso_time(c->out, r->time_ns);
		buf_adds(c->out, "\nlast used: ");
		iso_time(c->out, r->used_ns);
		buf_addf(c->out, "\nrecord: %zu bytes\n", r->len);
	}
	show_payload(c, r);
	return 0;
}

static int on_lineage(enum store_role role, const struct digest *run,
		      void *ctx)
{
	struct show_ctx *c = ctx;

	c->runs = xrealloc(c->runs, (c->nruns + 1) * sizeof(*c->runs));
	c->roles = xrealloc(c->roles, (c->nruns + 1) * sizeof(*c->roles));
	c->runs[c->nruns] = *run;
	c->roles[c->nruns++] = role;
	return 0;
}

/* A run of an object's lineage, named. */
struct lin {
	enum store_role role;
	struct digest run;
	struct runrec r;
	int have;		/* r loaded */
};

/* Producers first, then by start, then by instance (unnamed last). */
static int by_role_time(const void *x, const void *y)
{
	const struct lin *a = x, *b = y;

	if (a->role != b->role)
		return a->role == STORE_PRODUCED ? -1 : 1;
	if (a->have != b->have)
		return a->have ? -1 : 1;
	if (a->have && a->r.start_ns != b->r.start_ns)
		return a->r.start_ns < b->r.start_ns ? -1 : 1;
	if (a->have && strcmp(a->r.instance, b->r.instance))
		return strcmp(a->r.instance, b->r.instance);
	return memcmp(a->run.b, b->run.b, DIGEST_LEN);
}

/*
 * The runs that produced or used id, each with the instance it ran and
 * when: "produced by run HEX  train[k=1]  2026-12-04T20:12:14+00:00";
 * producers first, then in the order they started.  A run whose record
 * cannot be read is named by its id alone.
 */
static int show_lineage(struct store *s, const struct digest *id,
			struct show_ctx *c, struct err *err)
{
	char hex[DIGEST_HEX + 1];
	struct lin *v;
	size_t i;
	int rc;

	rc = store_lineage(s, id, on_lineage, c, err);
	v = xcalloc(c->nruns + 1, sizeof(*v));
	for (i = 0; !rc && i < c->nruns; i++) {
		struct err ignore;

		v[i].role = c->roles[i];
		v[i].run = c->runs[i];
		v[i].have = runrec_load(s, &c->runs[i], &v[i].r, &ignore) == 0;
	}
	if (!rc)
		qsort(v, c->nruns, sizeof(*v), by_role_time);
	for (i = 0; !rc && i < c->nruns; i++) {
		const char *role = v[i].role == STORE_PRODUCED ? "produced"
							       : "used";

		digest_hex(&v[i].run, hex);
		if (c->json) {
			buf_addf(c->out, "%s{\"role\": \"%s\", \"run\": \"%s\"",
				 i ? ", " : "", role, hex);
			if (v[i].have) {
				buf_adds(c->out, ", \"instance\": ");
				json_string(c->out, v[i].r.instance,
					    strlen(v[i].r.instance));
				buf_addf(c->out, ", \"start_ns\": %lld",
					 (long long)v[i].r.start_ns);
			}
			buf_addc(c->out, '}');
		} else {
			buf_addf(c->out, "%s by run %s", role, hex);
			if (v[i].have) {
				buf_addf(c->out, "  %s  ", v[i].r.instance);
				iso_time(c->out, v[i].r.start_ns);
			}
			buf_addc(c->out, '\n');
		}
	}
	for (i = 0; i < c->nruns; i++)
		if (v[i].have)
			runrec_release(&v[i].r);
	free(v);
	free(c->runs);
	free(c->roles);
	c->runs = NULL;
	c->roles = NULL;
	c->nruns = 0;
	return rc;
}

static const struct opt_spec show_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static int show_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct opt_iter it;
	struct store *s = NULL;
	struct store_object o;
	struct buf out = BUF_INIT;
	struct digest id;
	struct err err;
	char hex[DIGEST_HEX + 1], a[32], b[32];
	int json, rc, src;

	if (cli_flag_operands(cli, cmd, argc, argv, argc, &it, &json, &rc) < 0)
		return rc;
	if (it.noperands != 1) {
		opt_release(&it);
		return cli_usage_error(cli, cmd, "give one id");
	}
	/* A stage key (64 digits) is no object: its runs say what it is. */
	if (strlen(it.operands[0]) == DIGEST_HEX &&
	    digest_parse(it.operands[0], &id) == 0 &&
	    cli_store_open(cli, 0, &s) == 0) {
		struct digest *runs = NULL;
		size_t n = 0, i;

		if (store_lookup(s, &id, &o) == STORE_NOTFOUND &&
		    store_action_runs(s, &id, &runs, &n, &err) == 0 && n) {
			digest_hex(&id, hex);
			buf_addf(&out, json ? "{\"id\": \"%s\", \"kind\": "
					    "\"key\", \"runs\": ["
					    : "key %s\nruns (newest first):\n",
				 hex);
			for (i = 0; i < n; i++) {
				digest_hex(&runs[i], hex);
				buf_addf(&out, json ? "%s\"%s\"" : "  %s%s\n",
					 json && i ? ", " : "", hex);
			}
			if (json)
				buf_adds(&out, "]}\n");
			fwrite(out.data, 1, out.len, stdout);
			buf_release(&out);
			free(runs);
			store_close(s);
			opt_release(&it);
			return EXIT_OK;
		}
		free(runs);
		store_close(s);
		s = NULL;
	}
	rc = open_id(cli, it.operands[0], &s, &id);
	opt_release(&it);
	if (rc)
		return rc;
	if ((src = store_lookup(s, &id, &o))) {
		err_set(&err, "cannot read object: %s", store_strerror(src));
		store_close(s);
		return cli_store_fail(cli, src, &err);
	}
	digest_hex(&id, hex);
	if (o.kind == STORE_RUN) {
		struct show_ctx c = { &out, json, 0, NULL, NULL, 0 };

		buf_addf(&out, json ? "{\"id\": \"%s\", \"kind\": \"run\""
				    : "run %s\n",
			 hex);
		src = store_get_run(s, &id, show_run_record, &c, &err);
		if (json)
			buf_adds(&out, "}\n");
	} else if (json) {
		struct show_ctx c = { &out, 1, 0, NULL, NULL, 0 };

		buf_addf(&out,
			 "{\"id\": \"%s\", \"kind\": \"%s\", \"size\": %llu, "
			 "\"stored\": %llu",
			 hex, o.kind == STORE_BLOB ? "blob" : "tree",
			 (unsigned long long)o.size,
			 (unsigned long long)o.stored);
		if (o.kind == STORE_BLOB)
			buf_addf(&out, ", \"chunks\": %u, \"inline\": %s",
				 o.chunks, o.chunks ? "false" : "true");
		else
			buf_addf(&out, ", \"entries\": %u", o.entries);
		buf_adds(&out, ", \"runs\": [");
		src = show_lineage(s, &id, &c, &err);
		buf_adds(&out, "]}\n");
	} else if (o.kind == STORE_BLOB) {
		buf_addf(&out, "blob %s\nsize: %llu bytes (%s)\n", hex,
			 (unsigned long long)o.size, format_size(o.size, a));
		if (o.chunks)
			buf_addf(&out, "stored: %u chunks, %s\n", o.chunks,
				 format_size(o.stored, b));
		else
			buf_addf(&out, "stored: inline, %s\n",
				 format_size(o.stored, b));
		{
			struct show_ctx c = { &out, 0, 0, NULL, NULL, 0 };
			src = show_lineage(s, &id, &c, &err);
		}
	} else {
		buf_addf(&out, "tree %s\nentries: %u\nsize: %llu bytes (%s) "
			       "in files\n",
			 hex, o.entries, (unsigned long long)o.size,
			 format_size(o.size, a));
		{
			struct show_ctx c = { &out, 0, 0, NULL, NULL, 0 };
			src = show_lineage(s, &id, &c, &err);
		}
		if (!src)
			src = store_tree_walk(s, &id, print_entry, &out, &err);
	}
	store_close(s);
	if (src) {
		buf_release(&out);
		return cli_store_fail(cli, src, &err);
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	return EXIT_OK;
}

const struct command cmd_show = {
	.name = "show",
	.summary = "what an id is: kind, size, storage, the runs behind it",
	.usage = "show [--json] ID",
	.description = "Describe ID. A blob: its size, how it is stored (inline "
		       "or in chunks), and\nthe runs that produced or used it, "
		       "with their instances and start times.\nA tree: the same "
		       "and its entries. A run: its key, times (ISO 8601, UTC),\n"
		       "inputs and outputs with their paths, and its record. ID "
		       "may be a unique\nprefix of 6 or more hex digits; an "
		       "ambiguous prefix lists the candidates.",
	.opts = show_opts,
	.run = show_run,
};

/* ---- fsck ---- */

static const struct opt_spec fsck_opts[] = {
	{ "repair", OPT_REPAIR, 0, NULL,
	  "remove what is provably broken, and say what" },
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

/* What gc removes, kept to be named once it is done (gc_item). */
struct gc_item {
	char *db, *key;
	uint64_t bytes;
};

struct report {
	struct buf *out;
	int json, n;
	const char *verb;
	struct gc_item *items;	/* gc: the findings, to name after */
	size_t nitems, cap;
	int collect;		/* gc: keep them in items, print nothing */
};

static void on_finding(const struct store_finding *f, void *ctx)
{
	struct report *r = ctx;

	if (r->collect && !f->problem) {
		xgrow((void **)&r->items, &r->cap, r->nitems + 1,
		      sizeof(*r->items));
		r->items[r->nitems].db = xstrdup(f->db);
		r->items[r->nitems].key = xstrdup(f->key);
		r->items[r->nitems++].bytes = f->bytes;
		return;
	}

	if (r->json) {
		buf_adds(r->out, r->n++ ? ",\n    " : "\n    ");
		buf_addf(r->out, "{\"db\": \"%s\", \"key\": ", f->db);
		json_string(r->out, f->key, strlen(f->key));
		if (f->problem) {
			buf_adds(r->out, ", \"problem\": ");
			json_string(r->out, f->problem, strlen(f->problem));
			buf_addf(r->out, ", \"repaired\": %s}",
				 f->repaired ? "true" : "false");
		} else {
			buf_addf(r->out, ", \"bytes\": %llu}",
				 (unsigned long long)f->bytes);
		}
		return;
	}
	if (f->problem) {
		buf_addf(r->out, "%s: %s %s: %s\n",
			 f->repaired ? "removed" : "damaged", f->db, f->key,
			 f->problem);
	} else {
		/* "chunks" -> "chunk": one object per line */
		buf_addf(r->out, "%s %.*s %s (%llu bytes)\n", r->verb,
			 (int)strlen(f->db) - 1, f->db, f->key,
			 (unsigned long long)f->bytes);
	}
}

/*
 * fsck on a store whose B-tree is damaged (pages of them, r->out holds
 * their findings so far): nothing else can be checked; --repair copies
 * what is readable into a fresh data file (store_salvage).
 */
static int fsck_pages(struct cli *cli, int repair, struct report *r,
		      uint64_t pages)
{
	const char *path = cli_store_path(cli);
	struct store_salvage_result res;
	struct err err;
	int src;

	if (!repair) {
		if (r->json)
			buf_addf(r->out,
				 "%s], \"pages\": %llu, \"checked\": 0, "
				 "\"damaged\": %llu, \"repaired\": 0, "
				 "\"unreferenced_chunks\": 0}\n",
				 r->n ? "\n  " : "", (unsigned long long)pages,
				 (unsigned long long)pages);
		else
			buf_addf(r->out,
				 "checked the B-tree: %llu damaged page%s; the "
				 "records were not checked\n",
				 (unsigned long long)pages, pages == 1 ? "" : "s");
		fwrite(r->out->data, 1, r->out->len, stdout);
		buf_release(r->out);
		term_error(&cli->term, "store '%s' is damaged", path);
		term_hint(&cli->term, "'cairn fsck --repair' copies what is "
				      "readable into a fresh data file");
		return EXIT_FAILED;
	}
	src = store_salvage(path, &runrec_refs, on_finding, r, &res, &err);
	if (src) {
		fwrite(r->out->data, 1, r->out->len, stdout);
		buf_release(r->out);
		return cli_store_fail(cli, src, &err);
	}
	if (r->json) {
		buf_addf(r->out,
			 "%s], \"pages\": %llu, \"copied\": %llu, \"lost\": "
			 "%llu, \"lost_databases\": %llu, \"repaired\": %llu, "
			 "\"kept\": ",
			 r->n ? "\n  " : "", (unsigned long long)res.pages,
			 (unsigned long long)res.copied,
			 (unsigned long long)res.lost,
			 (unsigned long long)res.lost_dbs,
			 (unsigned long long)res.fsck.repaired);
		json_string(r->out, res.kept, strlen(res.kept));
		buf_adds(r->out, "}\n");
	} else {
		buf_addf(r->out,
			 "copied %llu records from sound pages into a fresh "
			 "data file; %llu damaged page%s, %llu records lost "
			 "on them",
			 (unsigned long long)res.copied,
			 (unsigned long long)res.pages,
			 res.pages == 1 ? "" : "s",
			 (unsigned long long)res.lost);
		if (res.lost_dbs)
			buf_addf(r->out, " and %llu database%s lost whole",
				 (unsigned long long)res.lost_dbs,
				 res.lost_dbs == 1 ? "" : "s");
		buf_addf(r->out,
			 "; removed %llu records that needed lost or damaged "
			 "ones\nthe damaged data file is kept as '%s'\n",
			 (unsigned long long)res.fsck.repaired, res.kept);
	}
	fwrite(r->out->data, 1, r->out->len, stdout);
	buf_release(r->out);
	return EXIT_OK;
}

static int fsck_run(struct cli *cli, const struct command *cmd, int argc,
		    char **argv)
{
	struct opt_iter it;
	struct store *s;
	struct store_fsck_result res;
	struct buf out = BUF_INIT;
	struct report r = { &out, 0, 0, NULL };
	struct err err;
	uint64_t pages;
	int k, repair = 0, rc, src;

	opt_init(&it, argc, argv, 1, 0);
	while ((k = cli_opt(cli, cmd, &it)) > 0) {
		if (k == OPT_REPAIR)
			repair = 1;
		else
			r.json = 1;
	}
	if (k == 0 && it.noperands) {
		cli_usage_error(cli, cmd, "too many arguments");
		k = -1;
	}
	opt_release(&it);
	if (k < 0)
		return cli_opt_exit(k);
	if (r.json)
		buf_adds(&out, "{\"problems\": [");
	/* The B-tree before the store is opened: opening it reads the main
	 * database through LMDB, which a damaged page can make abort. */
	src = store_check_pages(cli_store_path(cli), repair ? NULL : on_finding,
				&r, &pages, &err);
	if (src) {
		buf_release(&out);
		return cli_store_fail(cli, src, &err);
	}
	if (pages)
		return fsck_pages(cli, repair, &r, pages);
	if ((rc = cli_store_open(cli, repair ? 0 : STORE_RDONLY, &s))) {
		buf_release(&out);
		return rc;
	}
	src = store_fsck_refs(s, repair, &runrec_refs, on_finding, &r, &res, &err);
	store_close(s);
	if (src) {
		buf_release(&out);
		return cli_store_fail(cli, src, &err);
	}
	if (r.json)
		buf_addf(&out,
			 "%s], \"checked\": %llu, \"damaged\": %llu, "
			 "\"repaired\": %llu, \"unreferenced_chunks\": %llu}\n",
			 r.n ? "\n  " : "", (unsigned long long)res.checked,
			 (unsigned long long)res.damaged,
			 (unsigned long long)res.repaired,
			 (unsigned long long)res.unreferenced_chunks);
	else
		buf_addf(&out,
			 "checked %llu records: %llu damaged%s%s; %llu "
			 "unreferenced chunks%s\n",
			 (unsigned long long)res.checked,
			 (unsigned long long)res.damaged,
			 repair ? ", removed " : "",
			 repair ? (res.repaired ? "them" : "nothing") : "",
			 (unsigned long long)res.unreferenced_chunks,
			 res.unreferenced_chunks ? " ('cairn gc' removes them)"
						 : "");
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	if (res.damaged && !repair) {
		term_error(&cli->term, "store '%s' is damaged",
			   cli_store_path(cli));
		term_hint(&cli->term, "'cairn fsck --repair' removes the "
				      "damaged records");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

const struct command cmd_fsck = {
	.name = "fsck",
	.summary = "check the store: re-hash everything, check every reference",
	.usage = "fsck [--repair] [--json]",
	.description =
		"Re-hash every chunk, inline blob and tree; check that every "
		"blob's chunks\nexist and add up to it (and re-hash its "
		"bytes); check every tree entry and\nroot. Each problem is "
		"printed as 'damaged: DB KEY: PROBLEM'. Exit 1 when\nanything "
		"is damaged. With --repair, remove what is provably broken (a "
		"damaged\nrecord, or one that needs a damaged or missing one) "
		"and say what was removed.\nUnreferenced chunks (left by an "
		"interrupted ingest) are not damage: gc\nremoves them.",
	.opts = fsck_opts,
	.run = fsck_run,
};

/* ---- gc ---- */

/* A run's group for gc's keep-runs: its graph and instance (runs not
 * made by cairn run form one group). */
static void run_group(const struct store_run *r, struct buf *label,
		      void *ctx)
{
	struct json *j = NULL;
	struct err ignore;
	const char *g, *in;

	(void)ctx;
	if (json_parse(r->payload, r->len, "run", &j, &ignore) == 0 &&
	    (g = json_str(j, "graph")) && (in = json_str(j, "instance"))) {
		buf_adds(label, g);
		buf_addc(label, '\n');
		buf_adds(label, in);
	}
	json_free(j);
}

static const struct opt_spec gc_opts[] = {
	{ "dry-run", OPT_DRY_RUN, 0, NULL,
	  "list what would be removed, remove nothing" },
	{ "max-size", OPT_MAX_SIZE, 1, "SIZE",
	  "say whether the store fits in SIZE (e.g. 10G) afterwards" },
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

/*
 * Who an object gc removes was: a run's instance and start; a blob's or
 * tree's, the run that produced it (the newest such).  0 when the store
 * no longer tells (a real gc has removed it by now).
 */
struct made_by {
	struct store *s;
	struct runrec r;
	int have;
};

static int on_producer(enum store_role role, const struct digest *run,
		       void *ctx)
{
	struct made_by *m = ctx;
	struct runrec r;
	struct err ignore;

	if (role != STORE_PRODUCED ||
	    runrec_load(m->s, run, &r, &ignore) != 0)
		return 0;
	if (m->have && m->r.start_ns >= r.start_ns) {
		runrec_release(&r);
		return 0;
	}
	if (m->have)
		runrec_release(&m->r);
	m->r = r;
	m->have = 1;
	return 0;
}

int cli_made_by(struct store *s, const struct digest *id, int is_run,
		struct runrec *out)
{
	struct made_by m;
	struct err ignore;

	memset(&m, 0, sizeof(m));
	m.s = s;
	if (is_run)
		m.have = runrec_load(s, id, &m.r, &ignore) == 0;
	else
		store_lineage(s, id, on_producer, &m, &ignore);
	if (m.have)
		*out = m.r;
	return m.have;
}

static int who_made(struct store *s, const struct gc_item *it,
		    struct made_by *m)
{
	struct digest id;

	memset(m, 0, sizeof(*m));
	if (digest_parse(it->key, &id) < 0)
		return 0;
	if (!strcmp(it->db, "runs") || !strcmp(it->db, "blobs") ||
	    !strcmp(it->db, "trees"))
		m->have = cli_made_by(s, &id, !strcmp(it->db, "runs"), &m->r);
	return m->have;
}

/* Print the findings gc kept, each with who it was when the store still
 * says, and free them. */
static void gc_items(struct store *s, struct report *r)
{
	struct store_finding f;
	struct made_by m;
	size_t i;

	r->collect = 0;
	for (i = 0; i < r->nitems; i++) {
		const struct gc_item *it = &r->items[i];
		int named = who_made(s, it, &m);

		memset(&f, 0, sizeof(f));
		f.db = it->db;
		f.key = it->key;
		f.bytes = it->bytes;
		on_finding(&f, r);
		if (named) {
			/* on_finding's line or object is open at its end */
			buf_truncate(r->out, r->out->len - 1);
			if (r->json) {
				buf_adds(r->out, ", \"instance\": ");
				json_string(r->out, m.r.instance,
					    strlen(m.r.instance));
				buf_addf(r->out, ", \"start_ns\": %lld}",
					 (long long)m.r.start_ns);
			} else {
				buf_addf(r->out, "  %s%s  ",
					 strcmp(it->db, "runs") ? "from " : "",
					 m.r.instance);
				iso_time(r->out, m.r.start_ns);
				buf_addc(r->out, '\n');
			}
			runrec_release(&m.r);
		}
		free(it->db);
		free(it->key);
	}
	free(r->items);
	r->items = NULL;
	r->nitems = r->cap = 0;
}

/* The live commands gc held back for, one line each. */
static int on_live(const struct store_live *l, void *ctx)
{
	struct buf *b = ctx;
	char t[32];

	if (!l->alive)
		return 0;
	format_time(l->start_ns, t);
	buf_addf(b, "\n  %.*s (pid %lu, since %s)", (int)l->whatlen, l->what,
		 (unsigned long)l->pid, t);
	return 0;
}

static int gc_run(struct cli *cli, const struct command *cmd, int argc,
		  char **argv)
{
	struct opt_iter it;
	struct store *s;
	struct store_gc_result res;
	struct buf out = BUF_INIT;
	struct report r = { &out, 0, 0, NULL, NULL, 0, 0, 1 };
	struct buf live = BUF_INIT;
	struct err err;
	uint64_t max = 0;
	char a[32], b[32], c[32];
	int k, dry = 0, rc, src;

	opt_init(&it, argc, argv, 1, 0);
	while ((k = cli_opt(cli, cmd, &it)) > 0) {
		if (k == OPT_DRY_RUN) {
			dry = 1;
		} else if (k == OPT_JSON) {
			r.json = 1;
		} else if (parse_size(it.arg, &max) < 0) {
			term_error(&cli->term, "invalid size '%s' for "
					       "'--max-size'",
				   it.arg);
			term_hint(&cli->term, "use bytes or a suffix: 500M, "
					      "10G, 1.5T");
			opt_release(&it);
			return EXIT_USAGE;
		}
	}
	if (k == 0 && it.noperands) {
		cli_usage_error(cli, cmd, "too many arguments");
		k = -1;
	}
	opt_release(&it);
	if (k < 0)
		return cli_opt_exit(k);
	if ((rc = cli_store_open(cli, dry ? STORE_RDONLY : 0, &s)))
		return rc;
	r.verb = dry ? "would remove" : "removed";
	if (r.json)
		buf_adds(&out, "{\"removed\": [");
	{
		/* Past runs kept: the last keep-runs of each instance. */
		struct store_config cfg;
		struct store_gc_keep keep = { 3, run_group, NULL, &runrec_refs };

		if (store_config_get(s, &cfg) == 0)
			keep.last = cfg.keep_runs;
		src = store_gc_keep(s, dry, max, &keep,
				    dry || cli->term.verbose || r.json
					    ? on_finding
					    : NULL,
				    &r, &res, &err);
	}
	gc_items(s, &r);
	if (!src && res.live)
		store_live_walk(s, on_live, &live, &err);
	store_close(s);
	if (src) {
		buf_release(&out);
		return cli_store_fail(cli, src, &err);
	}
	if (r.json)
		buf_addf(&out,
			 "%s], \"dry_run\": %s, \"runs\": %llu, \"blobs\": "
			 "%llu, \"trees\": %llu, \"chunks\": %llu, "
			 "\"bytes\": %llu, \"kept_bytes\": %llu, "
			 "\"live\": %llu, \"stale_live\": %llu, \"held\": "
			 "%llu, \"held_bytes\": %llu}\n",
			 r.n ? "\n  " : "", dry ? "true" : "false",
			 (unsigned long long)res.runs,
			 (unsigned long long)res.blobs,
			 (unsigned long long)res.trees,
			 (unsigned long long)res.chunks,
			 (unsigned long long)res.bytes,
			 (unsigned long long)res.kept_bytes,
			 (unsigned long long)res.live,
			 (unsigned long long)res.stale,
			 (unsigned long long)res.held,
			 (unsigned long long)res.held_bytes);
	else
		buf_addf(&out,
			 "%s %llu runs, %llu blobs, %llu trees, %llu chunks "
			 "(%s); %s kept\n",
			 dry ? "would remove" : "removed",
			 (unsigned long long)res.runs,
			 (unsigned long long)res.blobs,
			 (unsigned long long)res.trees,
			 (unsigned long long)res.chunks,
			 format_size(res.bytes, a),
			 format_size(res.kept_bytes, b));
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	if (res.live && res.held) {
		term_warning(&cli->term,
			     "%s %llu object%s no root or kept run needs (%s): "
			     "%llu run%s in progress on this store may still "
			     "need them%s",
			     dry ? "would keep" : "kept",
			     (unsigned long long)res.held,
			     res.held == 1 ? "" : "s",
			     format_size(res.held_bytes, a),
			     (unsigned long long)res.live,
			     res.live == 1 ? "" : "s", live.data);
		term_hint(&cli->term, "'cairn gc' after %s removes them",
			  res.live == 1 ? "it ends" : "they end");
	}
	if (max && res.kept_bytes > max && res.live && !res.held)
		term_warning(&cli->term,
			     "the store still holds %s, above --max-size %s: "
			     "roots and the runs in progress on this store keep "
			     "the rest%s",
			     format_size(res.kept_bytes, a),
			     format_size(max, c), live.data);
	else if (max && res.kept_bytes > max && !res.live)
		term_warning(&cli->term,
			     "the store still holds %s, above --max-size %s: "
			     "everything left is kept by a root",
			     format_size(res.kept_bytes, a),
			     format_size(max, c));
	buf_release(&live);
	return EXIT_OK;
}

const struct command cmd_gc = {
	.name = "gc",
	.summary = "remove what no root or past run keeps",
	.usage = "gc [--dry-run] [--max-size SIZE] [--json]",
	.description =
		"Keep everything reachable from the store's roots (lock files, "
		"pins; a tree\nkeeps its blobs, a blob its chunks), the runs "
		"whose outputs roots keep, and\nthe last keep-runs runs of "
		"every stage instance ('cairn store config\nkeep-runs', 3) "
		"with their outputs (the cache of past runs); evict the "
		"other\nruns and remove the rest, including chunks left by "
		"interrupted ingests.\n--max-size SIZE also evicts kept runs, "
		"least recently used first (never one\nwhose outputs roots "
		"keep), until the store fits in SIZE. --dry-run lists\neach "
		"object that would go and its bytes, a run with its instance "
		"and start,\na blob or tree with the instance that produced it; "
		"-v lists them on a real\nrun.",
	.opts = gc_opts,
	.run = gc_run,
};
