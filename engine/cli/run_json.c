#include <string.h>

#include "digest.h"
#include "graph.h"
#include "json.h"
#include "run.h"
#include "run_json.h"
#include "run_status.h"

void run_json_init(struct run_json *j)
{
	buf_init(&j->insts);
	buf_init(&j->edits);
	j->ninsts = j->nedits = 0;
}

void run_json_release(struct run_json *j)
{
	buf_release(&j->insts);
	buf_release(&j->edits);
}

static void str(struct buf *b, const char *s)
{
	if (s)
		json_string(b, s, strlen(s));
	else
		buf_adds(b, "null");
}

static void id(struct buf *b, const struct digest *d)
{
	char hex[DIGEST_HEX + 1];

	if (!d) {
		buf_adds(b, "null");
		return;
	}
	digest_hex(d, hex);
	buf_addf(b, "\"%s\"", hex);
}

void run_json_outcome(struct run_json *j, const struct run_outcome *o)
{
	const struct graph_inst *in = o->in;
	struct buf *b = &j->insts;
	size_t k;

	buf_adds(b, j->ninsts++ ? ",\n    {\"instance\": " : "\n    {\"instance\": ");
	str(b, in->name);
	buf_adds(b, ", \"stage\": ");
	str(b, in->stage->name);
	buf_adds(b, ", \"outcome\": ");
	str(b, run_end_word(o->end));
	buf_adds(b, ", \"why\": ");
	str(b, o->why);
	buf_addf(b, ", \"seconds\": %.3f, \"key\": ", o->secs);
	id(b, o->key);
	buf_adds(b, ", \"run\": ");
	id(b, o->run);
	buf_adds(b, ", \"outputs\": {");
	for (k = 0; o->outs && k < in->nouts; k++) {
		buf_adds(b, k ? ", " : "");
		str(b, in->outs[k].name);
		buf_adds(b, ": {\"path\": ");
		str(b, in->outs[k].path);
		buf_adds(b, ", \"id\": ");
		id(b, &o->outs[k]);
		buf_adds(b, "}");
	}
	buf_adds(b, "}, \"log\": ");
	str(b, o->log);
	buf_adds(b, "}");
}

void run_json_edited(struct run_json *j, const struct run_edit *e)
{
	struct buf *b = &j->edits;

	buf_adds(b, j->nedits++ ? ",\n    {\"instance\": " : "\n    {\"instance\": ");
	str(b, e->in->name);
	buf_adds(b, ", \"path\": ");
	str(b, e->path);
	buf_adds(b, ", \"id\": ");
	id(b, e->now);
	buf_adds(b, ", \"locked\": ");
	id(b, e->locked);
	buf_addf(b, ", \"kept\": %s, \"root\": ", e->kept ? "true" : "false");
	str(b, e->root);
	buf_adds(b, "}");
}

void run_json_write(const struct run_json *j, const struct graph *g,
		    const struct run_result *res, int dry_run, int code,
		    struct buf *out)
{
	buf_adds(out, "{\n  \"graph\": ");
	str(out, g->name);
	buf_addf(out, ",\n  \"exit\": %d,\n  \"dry_run\": %s,\n  \"counts\": ",
		 code, dry_run ? "true" : "false");
	if (dry_run)
		buf_addf(out, "{\"would_run\": %zu, \"pending\": %zu, "
			      "\"would_restore\": %zu, \"up_to_date\": %zu, "
			      "\"from_remote\": %zu}",
			 res->would_run, res->pending, res->would_restore,
			 res->uptodate, res->cached);
	else
		buf_addf(out, "{\"ran\": %zu, \"restored\": %zu, "
			      "\"up_to_date\": %zu, \"failed\": %zu, "
			      "\"blocked\": %zu, \"from_remote\": %zu}",
			 res->ran, res->restored, res->uptodate, res->failed,
			 res->blocked, res->cached);
	buf_adds(out, ",\n  \"edited\": [");
	buf_add(out, j->edits.data, j->edits.len);
	buf_adds(out, j->nedits ? "\n  ],\n  \"instances\": [" : "],\n  \"instances\": [");
	buf_add(out, j->insts.data, j->insts.len);
	buf_adds(out, j->ninsts ? "\n  ]\n}\n" : "]\n}\n");
}
