#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "runrec.h"
#include "store.h"
#include "util.h"

static void member(struct buf *out, const char *name, const char *s)
{
	buf_addf(out, ", \"%s\": ", name);
	json_string(out, s, strlen(s));
}

static void hex_member(struct buf *out, const char *name,
		       const struct digest *d)
{
	char hex[DIGEST_HEX + 1];

	digest_hex(d, hex);
	buf_addf(out, ", \"%s\": \"%s\"", name, hex);
}

/* Inputs and outputs: what the ids of the record are, for lineage. */
static void files(struct buf *out, const struct runrec_new *r)
{
	size_t k;

	buf_adds(out, ", \"inputs\": [");
	for (k = 0; k < r->ninputs; k++) {
		const struct runrec_input *d = &r->inputs[k];
		buf_adds(out, k ? ", {\"path\": " : "{\"path\": ");
		json_string(out, d->path, strlen(d->path));
		hex_member(out, "id", &d->id);
		if (d->code)
			buf_adds(out, ", \"code\": true");
		else if (d->from)
			member(out, "from", d->from);
		buf_addc(out, '}');
	}
	buf_adds(out, "], \"outputs\": [");
	for (k = 0; k < r->noutputs; k++) {
		const struct runrec_output *o = &r->outputs[k];
		buf_adds(out, k ? ", {\"name\": " : "{\"name\": ");
		json_string(out, o->name, strlen(o->name));
		member(out, "path", o->path);
		hex_member(out, "id", &o->id);
		/* Only when a restore must keep something of it. */
		if (store_mode_of(o->mode))
			buf_addf(out, ", \"mode\": \"%04o\"", o->mode & 07777);
		buf_addc(out, '}');
	}
	buf_addc(out, ']');
}

void runrec_encode(struct buf *out, const struct runrec_new *r)
{
	static const char hexd[] = "0123456789abcdef";
	size_t k;

	buf_adds(out, "{\"graph\": ");
	json_string(out, r->graph, strlen(r->graph));
	member(out, "instance", r->instance);
	if (r->cmd) {
		member(out, "cmd", r->cmd);
	} else {
		member(out, "kind", r->kind);
		member(out, "kind_version", r->kind_version);
	}
	buf_addf(out, ", \"exit\": %d", r->exit);
	if (r->signal)
		buf_addf(out, ", \"signal\": %d", r->signal);
	if (r->error)
		member(out, "error", r->error);
	buf_addf(out, ", \"params\": %s, \"matrix\": %s", r->params,
		 r->matrix);
	if (r->metrics)
		buf_addf(out, ", \"metrics\": {%s}", r->metrics);
	files(out, r);
	if (r->scheduler && r->scheduler[0]) {
		buf_adds(out, ", \"scheduler\": {\"name\": ");
		json_string(out, r->scheduler, strlen(r->scheduler));
		member(out, "job", r->job);
		member(out, "node", r->node);
		member(out, "state", r->state);
		buf_addc(out, '}');
	}
	buf_addf(out, ", \"start_ns\": %lld, \"duration_ns\": %lld, "
		      "\"peak_rss_kib\": %ld, \"cpu_s\": %.3f",
		 (long long)r->start_ns, (long long)r->duration_ns,
		 r->peak_rss_kib, r->cpu_s);
	hex_member(out, "log", &r->log);
	buf_addf(out, ", \"env\": %s, \"key_encoding\": \"", r->env);
	buf_reserve(out, 2 * r->key_enc_len + 2);
	for (k = 0; k < r->key_enc_len; k++) {
		unsigned char c = (unsigned char)r->key_enc[k];
		buf_addc(out, hexd[c >> 4]);
		buf_addc(out, hexd[c & 15]);
	}
	buf_adds(out, "\"}");
}

int runrec_from(const struct digest *id, const struct store_run *sr,
		struct runrec *r)
{
	struct err ignore;
	const char *s;
	double num;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (json_parse(sr->payload, sr->len, "run", &r->payload, &ignore) < 0)
		return -1;
	if (r->payload->type != JSON_OBJECT) {
		json_free(r->payload);
		r->payload = NULL;
		return -1;
	}
	r->id = *id;
	r->key = sr->key;
	r->start_ns = sr->time_ns;
	r->graph = (s = json_str(r->payload, "graph")) ? s : "";
	r->instance = (s = json_str(r->payload, "instance")) ? s : "";
	r->cmd = (s = json_str(r->payload, "cmd")) ? s : "";
	n = strcspn(r->instance, "[");
	r->stage = xstrndup(r->instance, n);
	if (json_num(r->payload, "duration_ns", &num) == 0)
		r->duration_s = num / 1e9;
	if (json_num(r->payload, "exit", &num) == 0)
		r->exit = (int)num;
	r->error = json_str(r->payload, "error");
	r->ok = !r->exit && !r->error;
	r->ninputs = sr->ninputs;
	r->noutputs = sr->noutputs;
	r->inputs = xcalloc(sr->ninputs + 1, sizeof(struct digest));
	r->outputs = xcalloc(sr->noutputs + 1, sizeof(struct digest));
	if (sr->ninputs)
		memcpy(r->inputs, sr->inputs,
		       sr->ninputs * sizeof(struct digest));
	if (sr->noutputs)
		memcpy(r->outputs, sr->outputs,
		       sr->noutputs * sizeof(struct digest));
	return 0;
}

struct one {
	const struct digest *id;
	struct runrec *r;
	int rc;
};

static int take_one(const struct store_run *sr, void *ctx)
{
	struct one *o = ctx;

	o->rc = runrec_from(o->id, sr, o->r);
	return 0;
}

int runrec_load(struct store *s, const struct digest *id, struct runrec *r,
		struct err *err)
{
	struct one o = { id, r, 0 };
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = store_get_run(s, id, take_one, &o, err)))
		return rc;
	if (o.rc < 0) {
		char hex[DIGEST_HEX + 1];
		digest_hex(id, hex);
		err_set(err, "run %s was not recorded by cairn run", hex);
		return STORE_CORRUPT;
	}
	return 0;
}

void runrec_release(struct runrec *r)
{
	json_free(r->payload);
	free(r->stage);
	free(r->inputs);
	free(r->outputs);
	memset(r, 0, sizeof(*r));
}

struct all {
	const char *graph;
	struct runrec *v;
	size_t n, cap;
};

static int take_all(const struct digest *id, const struct store_run *sr,
		    void *ctx)
{
	struct all *a = ctx;
	struct runrec r;

	if (runrec_from(id, sr, &r) < 0)
		return 0;
	if (a->graph && strcmp(r.graph, a->graph)) {
		runrec_release(&r);
		return 0;
	}
	xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = r;
	return 0;
}

static int newest_first(const void *x, const void *y)
{
	const struct runrec *a = x, *b = y;

	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? 1 : -1;
	return memcmp(a->id.b, b->id.b, DIGEST_LEN);
}

int runrec_all(struct store *s, const char *graph, struct runrec **out,
	       size_t *n, struct err *err)
{
	struct all a = { graph, NULL, 0, 0 };
	int rc = store_runs_walk(s, take_all, &a, err);

	if (rc) {
		runrec_free_all(a.v, a.n);
		*out = NULL;
		*n = 0;
		return rc;
	}
	if (a.n > 1)
		qsort(a.v, a.n, sizeof(*a.v), newest_first);
	*out = a.v;
	*n = a.n;
	return 0;
}

void runrec_free_all(struct runrec *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		runrec_release(&v[i]);
	free(v);
}

const struct json *runrec_get(const struct runrec *r, const char *field)
{
	return json_member(r->payload, field);
}

static size_t run_log(const struct store_run *r, struct digest *ids,
		      size_t max, void *ctx)
{
	struct json *j = NULL;
	struct err ignore;
	const char *hex;
	size_t n = 0;

	(void)ctx;
	if (max && json_parse(r->payload, r->len, "run", &j, &ignore) == 0 &&
	    (hex = json_str(j, "log")) && digest_parse(hex, &ids[0]) == 0)
		n = 1;
	json_free(j);
	return n;
}

const struct store_run_refs runrec_refs = { run_log, NULL, "log" };
