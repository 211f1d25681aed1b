#include <string.h>

#include "err.h"
#include "json.h"
#include "runrec.h"
#include "store.h"
#include "util.h"

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
	memcpy(r->inputs, sr->inputs, sr->ninputs * sizeof(struct digest));
	memcpy(r->outputs, sr->outputs, sr->noutputs * sizeof(struct digest));
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
