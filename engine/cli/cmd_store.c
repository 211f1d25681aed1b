/*
 * cairn store add|stat|config, and the dispatch of store roots|unroot
 * (cmd_roots.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "json.h"
#include "store.h"
#include "suggest.h"
#include "units.h"
#include "util.h"

/* ---- store add ---- */

enum { OPT_ROOT = 256, OPT_JSON };

static const struct opt_spec add_opts[] = {
	{ "root", OPT_ROOT, 1, "NAME",
	  "keep what is added from gc, under the root NAME" },
	{ "json", OPT_JSON, 0, NULL, "print the ids as JSON" },
	{ 0 },
};

static const struct command sub_add = {
	"store add", "", "store add [--root NAME] [--json] PATH...", "",
	add_opts, NULL
};

static int add(struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct store *s = NULL;
	struct store_writer *w = NULL;
	struct digest *ids = NULL;
	struct buf out = BUF_INIT;
	struct err err;
	const char *root = NULL;
	int k, i, json = 0, rc = EXIT_OK, src;

	opt_init(&it, argc, argv, 1, 0);
	while ((k = cli_opt(cli, &sub_add, &it)) > 0) {
		if (k == OPT_ROOT)
			root = it.arg;
		else if (k == OPT_JSON)
			json = 1;
	}
	if (k < 0) {
		opt_release(&it);
		return cli_opt_exit(k);
	}
	if (!it.noperands) {
		opt_release(&it);
		return cli_usage_error(cli, &sub_add, "nothing to add: give "
							"files or directories");
	}
	if ((rc = cli_store_open(cli, STORE_CREATE, &s)))
		goto out;
	if ((src = store_writer_new(s, &w, &err))) {
		rc = cli_store_fail(cli, src, &err);
		goto out;
	}
	ids = xcalloc((size_t)it.noperands, sizeof(*ids));
	if (json)
		buf_adds(&out, "[");
	for (i = 0; i < it.noperands; i++) {
		const char *path = it.operands[i];
		struct stat st;
		int tree;

		if (stat(path, &st) < 0) {
			store_writer_abort(w);
			w = NULL;
			term_error(&cli->term, "cannot add '%s': %s", path,
				   strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
		tree = S_ISDIR(st.st_mode);
		src = tree ? store_put_tree(w, path, &ids[i], &err)
			   : store_put_file(w, path, NULL, &ids[i], &err);
		if (src) {
			store_writer_abort(w);
			w = NULL;
			rc = cli_store_fail(cli, src, &err);
			if (src == EINVAL || src == STORE_UNSAFE ||
			    src == STORE_CHANGED || src == ENOTDIR)
				rc = EXIT_USAGE;
			goto out;
		}
		{
			char hex[DIGEST_HEX + 1];
			digest_hex(&ids[i], hex);
			if (json) {
				buf_addf(&out, "%s\n  {\"id\": \"%s\", "
					       "\"kind\": \"%s\", \"path\": ",
					 i ? "," : "", hex,
					 tree ? "tree" : "blob");
				json_string(&out, path, strlen(path));
				buf_addc(&out, '}');
			} else {
				buf_addf(&out, "%s  %s%s\n", hex, path,
					 tree ? "/" : "");
			}
		}
	}
	if (root && (src = store_set_root(w, root, ids, (size_t)it.noperands,
					  &err))) {
		store_writer_abort(w);
		w = NULL;
		rc = cli_store_fail(cli, src, &err);
		goto out;
	}
	src = store_writer_commit(w, &err);
	w = NULL;
	if (src) {
		rc = cli_store_fail(cli, src, &err);
		goto out;
	}
	if (json)
		buf_adds(&out, "\n]\n");
	fwrite(out.data, 1, out.len, stdout);
out:
	if (w)
		store_writer_abort(w);
	store_close(s);
	free(ids);
	buf_release(&out);
	opt_release(&it);
	return rc;
}

/* ---- store stat ---- */

static const struct opt_spec json_opts[] = {
	{ "json", OPT_JSON, 0, NULL, "print as JSON" },
	{ 0 },
};

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 1.0;
}

static const struct command sub_stat = {
	"store stat", "", "store stat [--json]", "", json_opts, NULL
};

static int stat_cmd(struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct store *s;
	struct store_stats st;
	struct buf out = BUF_INIT;
	struct err err;
	char a[32], b[32], c[32];
	int json, rc, src;

	if (cli_flag_operands(cli, &sub_stat, argc, argv, 0, &it, &json,
			      &rc) < 0)
		return rc;
	opt_release(&it);
	if ((rc = cli_store_open(cli, 0, &s)))
		return rc;
	if ((src = store_stats(s, &st, &err))) {
		store_close(s);
		return cli_store_fail(cli, src, &err);
	}
	if (json) {
		buf_adds(&out, "{\"path\": ");
		json_string(&out, store_path(s), strlen(store_path(s)));
		buf_addf(&out,
			 ", \"blobs\": %llu, \"inline_blobs\": %llu, "
			 "\"trees\": %llu, \"chunks\": %llu, \"roots\": %llu, "
			 "\"logical_bytes\": %llu, \"unique_bytes\": %llu, "
			 "\"stored_bytes\": %llu, \"file_bytes\": %llu, "
			 "\"dedup_ratio\": %.3f, \"compression_ratio\": %.3f}\n",
			 (unsigned long long)st.blobs,
			 (unsigned long long)st.inline_blobs,
			 (unsigned long long)st.trees,
			 (unsigned long long)st.chunks,
			 (unsigned long long)st.roots,
			 (unsigned long long)st.logical,
			 (unsigned long long)st.unique,
			 (unsigned long long)st.stored,
			 (unsigned long long)st.file_bytes,
			 ratio(st.logical, st.unique),
			 ratio(st.unique, st.stored));
	} else {
		buf_addf(&out, "store: %s\n", store_path(s));
		buf_addf(&out,
			 "objects: %llu blobs (%llu inline), %llu trees, %llu "
			 "chunks, %llu roots\n",
			 (unsigned long long)st.blobs,
			 (unsigned long long)st.inline_blobs,
			 (unsigned long long)st.trees,
			 (unsigned long long)st.chunks,
			 (unsigned long long)st.roots);
		buf_addf(&out, "logical: %s (every blob in full)\n",
			 format_size(st.logical, a));
		buf_addf(&out,
			 "stored: %s (dedup %.2fx, compression %.2fx)\n",
			 format_size(st.stored, b), ratio(st.logical, st.unique),
			 ratio(st.unique, st.stored));
		buf_addf(&out, "file: %s (data.mdb)\n",
			 format_size(st.file_bytes, c));
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	store_close(s);
	return EXIT_OK;
}

/* ---- store config ---- */

/* One setting: "key = value" (all shown), the value alone (one asked
 * for), or a JSON member "key": value (names with '_' for '-'). */
static void config_one(struct buf *out, const char *name, const char *key,
		       int json, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void config_one(struct buf *out, const char *name, const char *key,
		       int json, const char *fmt, ...)
{
	va_list ap;
	const char *c;

	if (json) {
		buf_adds(out, out->len > 1 ? ", \"" : "\"");
		for (c = name; *c; c++)
			buf_addc(out, *c == '-' ? '_' : *c);
		buf_adds(out, "\": ");
	} else if (!key) {
		buf_addf(out, "%s = ", name);
	}
	va_start(ap, fmt);
	buf_vaddf(out, fmt, ap);
	va_end(ap);
	if (!json)
		buf_addc(out, '\n');
}

/* The settings of c (only key's when key is given) into out, as text or
 * one JSON object; how many were shown (0: key is no setting). */
static int config_show(struct buf *out, const struct store_config *c,
		       const char *key, int json)
{
	const char *comp = c->compression == STORE_COMPRESS_ZSTD ? "zstd"
								  : "none";
	int n = 0;

	if (json)
		buf_addc(out, '{');
	if (!key || !strcmp(key, "compression")) {
		config_one(out, "compression", key, json,
			   json ? "\"%s\"" : "%s", comp);
		n++;
	}
	if (!key || !strcmp(key, "zstd-level")) {
		config_one(out, "zstd-level", key, json, "%d", c->zstd_level);
		n++;
	}
	if (!key || !strcmp(key, "chunk-min")) {
		config_one(out, "chunk-min", key, json, "%u", c->chunk_min);
		n++;
	}
	if (!key || !strcmp(key, "chunk-avg")) {
		config_one(out, "chunk-avg", key, json, "%u", c->chunk_avg);
		n++;
	}
	if (!key || !strcmp(key, "chunk-max")) {
		config_one(out, "chunk-max", key, json, "%u", c->chunk_max);
		n++;
	}
	if (!key || !strcmp(key, "keep-runs")) {
		config_one(out, "keep-runs", key, json, "%u", c->keep_runs);
		n++;
	}
	if (json)
		buf_adds(out, "}\n");
	return n;
}

static const char *const config_keys[] = { "compression", "zstd-level",
					   "chunk-min", "chunk-avg",
					   "chunk-max", "keep-runs", NULL };

static const struct command sub_config = {
	"store config", "", "store config [--json] [KEY [VALUE]]", "",
	json_opts, NULL
};

static int config_cmd(struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct store *s = NULL;
	struct store_config c;
	struct buf out = BUF_INIT;
	struct err err;
	const char *key, *val, *hint;
	struct suggest sg;
	uint64_t n;
	size_t i;
	int json, rc, src;

	if (cli_flag_operands(cli, &sub_config, argc, argv, 2, &it, &json,
			      &rc) < 0)
		return rc;
	key = it.noperands > 0 ? it.operands[0] : NULL;
	val = it.noperands > 1 ? it.operands[1] : NULL;
	if (key && !config_show(&out, &(struct store_config){ 0 }, key, 0)) {
		buf_release(&out);
		term_error(&cli->term, "unknown store setting '%s'", key);
		suggest_init(&sg, key);
		for (i = 0; config_keys[i]; i++)
			suggest_add(&sg, config_keys[i]);
		hint = suggest_hint(&sg, "");
		term_hint(&cli->term, "%s",
			  hint ? hint
			       : "settings: compression, zstd-level, chunk-min, "
				 "chunk-avg, chunk-max, keep-runs");
		suggest_release(&sg);
		opt_release(&it);
		return EXIT_USAGE;
	}
	buf_truncate(&out, 0);
	if ((rc = cli_store_open(cli, val ? STORE_CREATE : 0, &s)))
		goto out;
	if ((src = store_config_get(s, &c))) {
		err_set(&err, "cannot read the settings of '%s': %s",
			store_path(s), store_strerror(src));
		rc = cli_store_fail(cli, src, &err);
		goto out;
	}
	if (!val) {
		config_show(&out, &c, key, json);
		fwrite(out.data, 1, out.len, stdout);
		goto out;
	}
	if (!strcmp(key, "compression")) {
		if (!strcmp(val, "zstd"))
			c.compression = STORE_COMPRESS_ZSTD;
		else if (!strcmp(val, "none"))
			c.compression = STORE_COMPRESS_NONE;
		else {
			term_error(&cli->term, "invalid compression '%s'", val);
			term_hint(&cli->term, "use zstd or none");
			rc = EXIT_USAGE;
			goto out;
		}
	} else if (!strcmp(key, "keep-runs")) {
		if (parse_size(val, &n) < 0 || n < 1 || n > 1000000) {
			term_error(&cli->term, "invalid keep-runs '%s': use 1 "
					       "to 1000000", val);
			rc = EXIT_USAGE;
			goto out;
		}
		c.keep_runs = (uint32_t)n;
	} else if (!strcmp(key, "zstd-level")) {
		if (parse_size(val, &n) < 0 || n < 1 || n > 19) {
			term_error(&cli->term, "invalid zstd-level '%s': use 1 "
					       "to 19", val);
			rc = EXIT_USAGE;
			goto out;
		}
		c.zstd_level = (int)n;
	} else {
		if (parse_size(val, &n) < 0 || n > UINT32_MAX) {
			term_error(&cli->term, "invalid size '%s' for '%s'", val,
				   key);
			rc = EXIT_USAGE;
			goto out;
		}
		if (!strcmp(key, "chunk-min"))
			c.chunk_min = (uint32_t)n;
		else if (!strcmp(key, "chunk-avg"))
			c.chunk_avg = (uint32_t)n;
		else
			c.chunk_max = (uint32_t)n;
	}
	if ((src = store_config_set(s, &c, &err)))
		rc = cli_store_fail(cli, src, &err);
	if (src == STORE_BADARG)
		rc = EXIT_USAGE;
	if (!src && json) {
		config_show(&out, &c, key, 1);
		fwrite(out.data, 1, out.len, stdout);
	}
out:
	buf_release(&out);
	store_close(s);
	opt_release(&it);
	return rc;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
} subs[] = {
	{ "add", add },
	{ "stat", stat_cmd },
	{ "config", config_cmd },
	{ "roots", run_store_roots },
	{ "unroot", run_store_unroot },
};

static const struct command *const sub_cmds[] = {
	&sub_add, &sub_stat, &sub_config, &cmd_store_roots, &cmd_store_unroot,
	NULL,
};

static int run(struct cli *cli, const struct command *cmd, int argc,
	       char **argv)
{
	struct suggest sg;
	struct opt_iter it;
	const char *hint;
	size_t i;
	int rc;

	if (argc < 2 || argv[1][0] == '-') {
		if (cli_operands(cli, cmd, argc, argv, 0, &it, &rc) < 0)
			return rc;
		opt_release(&it);
		return cli_usage_error(cli, cmd, "missing subcommand");
	}
	for (i = 0; i < ARRAY_LEN(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].run(cli, argc - 1, argv + 1);
	suggest_init(&sg, argv[1]);
	for (i = 0; i < ARRAY_LEN(subs); i++)
		suggest_add(&sg, subs[i].name);
	hint = suggest_hint(&sg, "store ");
	term_error(&cli->term, "unknown subcommand 'store %s'", argv[1]);
	term_hint(&cli->term, "%s", hint ? hint : "see 'cairn help store'");
	suggest_release(&sg);
	return EXIT_USAGE;
}

const struct command cmd_store = {
	.name = "store",
	.summary = "add files to the store, its statistics and settings",
	.usage = "store <add|stat|config|roots|unroot> [<args>]",
	.description =
		"  store add [--root NAME] [--json] PATH...\n"
		"      Store files and directories (as trees); print each id "
		"and path.\n"
		"      --root NAME keeps them from gc under that name.\n"
		"  store stat [--json]\n"
		"      Objects, logical and stored bytes, dedup and compression "
		"ratios.\n"
		"  store config [--json] [KEY [VALUE]]\n"
		"      Show or change a setting: compression (none, zstd), "
		"zstd-level (1-19),\n"
		"      chunk-min, chunk-avg, chunk-max (sizes such as 256K, 1M, "
		"4M),\n"
		"      keep-runs (gc keeps that many recent runs of each stage "
		"instance; 3).\n"
		"      --json: one object, '-' in the names as '_' (a change: "
		"its new value).\n"
		"  store roots [--json]\n"
		"      The named roots and the objects they keep.\n"
		"  store unroot NAME...\n"
		"      Remove roots (their objects go at the next gc unless "
		"kept otherwise).\n\n"
		"The store is --store DIR, else $CAIRN_STORE, else .cairn/store "
		"(created by\nthe first 'store add').",
	.run = run,
	.subs = sub_cmds,
};
