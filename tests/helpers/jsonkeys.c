/*
 * jsonkeys: check that standard input is one JSON value (cairn's strict
 * parser) and print its shape: every member's path, once, in the order
 * first met ("devices", "devices[].name", "cuda.built").  Exit 1 with the
 * parse error when it is not JSON.  For e2e tests of --json output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "util.h"

struct seen {
	char **v;
	size_t n, cap;
};

static void shape(const struct json *j, struct buf *path, struct seen *s)
{
	size_t i, k, mark = path->len;

	if (j->type == JSON_ARRAY) {
		buf_adds(path, "[]");
		for (i = 0; i < j->u.array.n; i++)
			shape(j->u.array.v[i], path, s);
		buf_truncate(path, mark);
		return;
	}
	if (j->type != JSON_OBJECT)
		return;
	for (i = 0; i < j->u.object.n; i++) {
		if (mark)
			buf_addc(path, '.');
		buf_adds(path, j->u.object.k[i]);
		for (k = 0; k < s->n && strcmp(s->v[k], path->data); k++)
			;
		if (k == s->n) {
			xgrow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
			s->v[s->n++] = xstrdup(path->data);
			printf("%s\n", path->data);
		}
		shape(j->u.object.v[i], path, s);
		buf_truncate(path, mark);
	}
}

int main(void)
{
	struct buf in = BUF_INIT, path = BUF_INIT;
	struct seen s = { NULL, 0, 0 };
	struct json *j;
	struct err err;
	char chunk[65536];
	size_t got, i;

	while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_add(&in, chunk, got);
	if (json_parse(in.data ? in.data : "", in.len, "<stdin>", &j, &err)) {
		fprintf(stderr, "jsonkeys: %s\n", err.msg);
		buf_release(&in);
		return 1;
	}
	shape(j, &path, &s);
	for (i = 0; i < s.n; i++)
		free(s.v[i]);
	free(s.v);
	json_free(j);
	buf_release(&in);
	buf_release(&path);
	return 0;
}
