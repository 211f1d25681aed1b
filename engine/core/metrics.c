#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "metrics.h"
#include "toml.h"
#include "util.h"

static void member(struct buf *out, size_t *count, const struct buf *name,
		   double v)
{
	if ((*count)++)
		buf_adds(out, ", ");
	json_string(out, name->data, name->len);
	buf_adds(out, ": ");
	json_float(out, v);
}

static void from_json(const struct json *j, struct buf *name,
		      struct buf *out, size_t *count)
{
	size_t i, mark = name->len;

	switch (j->type) {
	case JSON_NUMBER:
		member(out, count, name, j->u.number);
		break;
	case JSON_BOOL:
		member(out, count, name, j->u.boolean);
		break;
	case JSON_OBJECT:
		for (i = 0; i < j->u.object.n; i++) {
			if (mark)
				buf_addc(name, '.');
			buf_adds(name, j->u.object.k[i]);
			from_json(j->u.object.v[i], name, out, count);
			buf_truncate(name, mark);
		}
		break;
	default:
		break;
	}
}

static void from_toml(const struct toml_value *v, struct buf *name,
		      struct buf *out, size_t *count)
{
	size_t i, mark = name->len;

	switch (v->type) {
	case TOML_INTEGER:
		member(out, count, name, (double)v->u.integer);
		break;
	case TOML_FLOAT:
		member(out, count, name, v->u.real);
		break;
	case TOML_BOOL:
		member(out, count, name, v->u.boolean);
		break;
	case TOML_TABLE:
		for (i = 0; i < v->u.table.len; i++) {
			if (mark)
				buf_addc(name, '.');
			buf_add(name, v->u.table.kv[i].key,
				v->u.table.kv[i].keylen);
			from_toml(v->u.table.kv[i].value, name, out, count);
			buf_truncate(name, mark);
		}
		break;
	default:
		break;
	}
}

int metrics_read(const char *path, const char *name, struct buf *out,
		 size_t *count, struct err *err)
{
	struct buf text = BUF_INIT, key = BUF_INIT;
	size_t n = strlen(path);
	int rc = -1;

	if (n > 5 && !strcmp(path + n - 5, ".toml")) {
		struct toml_doc *doc = NULL;
		int k = toml_parse_file(path, &doc, err);

		if (k == -2)
			err_set(err, "cannot read metrics file '%s'", name);
		if (k == 0) {
			from_toml(toml_root(doc), &key, out, count);
			rc = 0;
		}
		toml_doc_free(doc);
	} else {
		struct json *j = NULL;

		if (buf_read_file(&text, path) < 0) {
			err_errno(err, "cannot read metrics file '%s'", name);
			goto out;
		}
		if (json_parse(text.data, text.len, name, &j, err) == 0) {
			from_json(j, &key, out, count);
			rc = 0;
		}
		json_free(j);
	}
out:
	buf_release(&text);
	buf_release(&key);
	return rc;
}
