/*
 * `cairn kinds` (the built-in stage kinds) and `cairn kind-run` (what a
 * kind stage's process runs: the kind's run function, given its settings
 * file and its inputs and outputs from the stage environment).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "json.h"
#include "kinds.h"
#include "opt.h"
#include "term.h"
#include "util.h"

enum { OPT_JSON = 256 };

static const struct opt_spec kinds_opts[] = {
	{ "verbose", 'v', 0, NULL,
	  "also each kind's code version and its source files" },
	{ "json", OPT_JSON, 0, NULL,
	  "print every kind with its version and files as JSON" },
	{ 0 },
};

/* Ports as JSON: [{"name": N, "optional": B}, ...]. */
static void ports_json(struct buf *b, const struct kind_port *p)
{
	const struct kind_port *q;

	buf_adds(b, "[");
	for (q = p; q && q->name; q++) {
		buf_adds(b, q == p ? "{\"name\": " : ", {\"name\": ");
		json_string(b, q->name, strlen(q->name));
		buf_addf(b, ", \"optional\": %s}", q->optional ? "true" : "false");
	}
	buf_adds(b, "]");
}

/* The kinds as JSON: name, summary, code version, source files, inputs
 * and outputs. */
static void kinds_json(struct buf *b, const struct stage_kind *const *k,
		       size_t n)
{
	const char *p, *nl;
	size_t i;

	buf_adds(b, "[");
	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		json_string(b, k[i]->name, strlen(k[i]->name));
		buf_adds(b, ", \"summary\": ");
		json_string(b, k[i]->summary, strlen(k[i]->summary));
		buf_adds(b, ", \"version\": ");
		json_string(b, k[i]->version, strlen(k[i]->version));
		buf_adds(b, ", \"sources\": [");
		for (p = k[i]->sources; p && (nl = strchr(p, '\n'));
		     p = nl + 1) {
			if (p != k[i]->sources)
				buf_adds(b, ", ");
			json_string(b, p, (size_t)(nl - p));
		}
		buf_adds(b, "], \"inputs\": ");
		ports_json(b, k[i]->inputs);
		buf_adds(b, ", \"outputs\": ");
		ports_json(b, k[i]->outputs);
		buf_adds(b, "}");
	}
	buf_adds(b, n ? "\n]\n" : "]\n");
}

static int kinds_run(struct cli *cli, const struct command *cmd, int argc,
		     char **argv)
{
	struct opt_iter it;
	struct buf b = BUF_INIT;
	const struct stage_kind *const *k;
	const char *p, *nl;
	size_t n, i;
	int o, json = 0, verbose = cli->term.verbose;

	opt_init(&it, argc, argv, 1, 0);
	while ((o = cli_opt(cli, cmd, &it)) > 0)
		if (o == OPT_JSON)
			json = 1;
		else
			verbose = 1;
	if (o < 0 || it.noperands > 0) {
		opt_release(&it);
		return o < 0 ? cli_opt_exit(o)
			     : cli_usage_error(cli, cmd, "too many arguments");
	}
	k = kinds_list(&n);
	for (i = 0; i < n && !json; i++) {
		buf_addf(&b, "%-14s %s\n", k[i]->name, k[i]->summary);
		if (!verbose)
			continue;
		buf_addf(&b, "  version  %s\n", k[i]->version);
		for (p = k[i]->sources; p && (nl = strchr(p, '\n'));
		     p = nl + 1)
			buf_addf(&b, "  source   %.*s\n", (int)(nl - p), p);
	}
	if (json)
		kinds_json(&b, k, n);
	else
		buf_adds(&b, "\n'cairn help KIND' shows a kind's settings, "
			     "inputs and outputs.\n");
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	opt_release(&it);
	return EXIT_OK;
}

const struct command cmd_kinds = {
	.name = "kinds",
	.summary = "the built-in stage kinds",
	.usage = "kinds [-v] [--json]",
	.description = "List the built-in stage kinds (a stage's `kind`, its "
		       "settings in `with`).\n'cairn help KIND' documents one. "
		       "With -v, also each kind's code version\nand the files "
		       "it is made from (docs/hashing.md): a change to any of "
		       "them\nreruns the stages of that kind. --json prints "
		       "all of it, for every kind.",
	.opts = kinds_opts,
	.run = kinds_run,
};

/* CAIRN_IN_NAME / CAIRN_OUT_NAME of the stage environment (NULL: unset
 * or empty). */
static const char *port_path(const char *prefix, const char *name,
			     struct buf *b)
{
	const char *c, *v;

	buf_truncate(b, 0);
	buf_adds(b, prefix);
	for (c = name; *c; c++)
		buf_addc(b, (*c >= 'a' && *c <= 'z') ? (char)(*c - 32)
			    : ((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))
				    ? *c
				    : '_');
	v = getenv(b->data);
	return v && *v ? v : NULL;
}

/* A `many` input's paths, from CAIRN_IN_NAME_COUNT and CAIRN_IN_NAME_1
 * and on (stage_env.c); NULL, with the variable at fault in b, when the
 * count is not a number from 1 or a path is unset or empty. */
static const char **port_paths(const char *name, struct buf *b)
{
	const char **v, *s;
	unsigned long long count;
	size_t len, i;
	char *end;

	port_path("CAIRN_IN_", name, b);
	len = b->len;
	buf_adds(b, "_COUNT");
	s = getenv(b->data);
	if (!s || *s < '0' || *s > '9')
		return NULL;
	errno = 0;
	count = strtoull(s, &end, 10);
	if (*end || errno || !count || count > SIZE_MAX / sizeof(*v) - 1)
		return NULL;
	v = xcalloc((size_t)count + 1, sizeof(*v));
	for (i = 0; i < count; i++) {
		buf_truncate(b, len);
		buf_addf(b, "_%zu", i + 1);
		if (!(v[i] = getenv(b->data)) || !*v[i]) {
			free(v);
			return NULL;
		}
	}
	return v;
}

static int kind_run_run(struct cli *cli, const struct command *cmd, int argc,
			char **argv)
{
	struct opt_iter it;
	const struct stage_kind *k;
	const struct kind_port *p;
	struct buf text = BUF_INIT, name = BUF_INIT;
	const char **ins = NULL, **outs = NULL, ***many = NULL;
	struct json *settings = NULL;
	struct kind_run r;
	struct err err;
	size_t n, nins = 0;
	int rc;

	if (cli_operands(cli, cmd, argc, argv, 2, &it, &rc) < 0)
		return rc;
	if (it.noperands != 2) {
		rc = cli_usage_error(cli, cmd, "give a kind and its settings file");
		goto out;
	}
	if (!(k = kind_find(it.operands[0]))) {
		term_error(&cli->term, "unknown kind '%s'", it.operands[0]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (buf_read_file(&text, it.operands[1]) < 0) {
		term_error(&cli->term, "cannot read settings '%s'", it.operands[1]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (json_parse(text.data, text.len, it.operands[1], &settings, &err)) {
		term_error(&cli->term, "%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	n = 0;
	for (p = k->inputs; p && p->name; p++)
		n++;
	ins = xcalloc(n + 1, sizeof(char *));
	many = xcalloc(n + 1, sizeof(*many));
	nins = n;
	for (n = 0, p = k->inputs; p && p->name; p++, n++)
		if (p->many && (many[n] = port_paths(p->name, &name)))
			ins[n] = many[n][0];
		else if (p->many ||
			 !(ins[n] = port_path("CAIRN_IN_", p->name, &name))) {
			term_error(&cli->term, "kind '%s': input '%s' is not "
					       "given (%s)",
				   k->name, p->name, name.data);
			rc = EXIT_USAGE;
			goto out;
		}
	n = 0;
	for (p = k->outputs; p && p->name; p++)
		n++;
	outs = xcalloc(n + 1, sizeof(char *));
	for (n = 0, p = k->outputs; p && p->name; p++, n++)
		if (!(outs[n] = port_path("CAIRN_OUT_", p->name, &name)) &&
		    !p->optional) {
			term_error(&cli->term, "kind '%s': output '%s' is not "
					       "given (%s)",
				   k->name, p->name, name.data);
			rc = EXIT_USAGE;
			goto out;
		}
	r.kind = k;
	r.settings = settings;
	r.inputs = ins;
	r.outputs = outs;
	r.many = (const char *const *const *)many;
	r.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (r.threads < 1)
		r.threads = 1;
	if (k->run(&r, &err) < 0) {
		term_error(&cli->term, "%s: %s", k->name, err.msg);
		rc = EXIT_FAILED;
		goto out;
	}
	rc = EXIT_OK;
out:
	for (n = 0; many && n < nins; n++)
		free(many[n]);
	free(many);
	free(ins);
	free(outs);
	json_free(settings);
	buf_release(&text);
	buf_release(&name);
	opt_release(&it);
	return rc;
}

const struct command cmd_kind_run = {
	.name = "kind-run",
	.summary = "run a built-in kind (what a kind stage's process does)",
	.usage = "kind-run KIND SETTINGS.json",
	.description =
		"Run built-in kind KIND with the settings in SETTINGS.json, its "
		"inputs and\noutputs from CAIRN_IN_NAME and CAIRN_OUT_NAME (an "
		"input of many paths from\nCAIRN_IN_NAME_COUNT and CAIRN_IN_NAME_1 "
		"to _COUNT; an optional output whose\nvariable is unset or empty is "
		"not written). 'cairn run' starts this\nfor every stage with a "
		"`kind`, as a process of its own: a crash in a kernel\nfails "
		"that stage, not the run.",
	.run = kind_run_run,
};
