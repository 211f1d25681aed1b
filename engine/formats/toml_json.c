#include <math.h>
#include <inttypes.h>

#include "buf.h"
#include "json.h"
#include "toml.h"
#include "toml_json.h"
#include "util.h"

static void indent(struct buf *out, int level)
{
	int i;

	for (i = 0; i < level; i++)
		buf_add(out, "  ", 2);
}

static void scalar(struct buf *out, const char *type, const char *text,
		   size_t n)
{
	buf_adds(out, "{\"type\": \"");
	buf_adds(out, type);
	buf_adds(out, "\", \"value\": ");
	json_string(out, text, n);
	buf_addc(out, '}');
}

static void value(struct buf *out, const struct toml_value *v, int level)
{
	struct buf tmp = BUF_INIT;
	size_t i;
	char num[32];

	switch (v->type) {
	case TOML_TABLE:
		if (!v->u.table.len) {
			buf_adds(out, "{}");
			return;
		}
		buf_adds(out, "{\n");
		for (i = 0; i < v->u.table.len; i++) {
			const struct toml_kv *kv = &v->u.table.kv[i];
			indent(out, level + 1);
			json_string(out, kv->key, kv->keylen);
			buf_adds(out, ": ");
			value(out, kv->value, level + 1);
			buf_adds(out, i + 1 < v->u.table.len ? ",\n" : "\n");
		}
		indent(out, level);
		buf_addc(out, '}');
		return;
	case TOML_ARRAY:
		if (!v->u.array.len) {
			buf_adds(out, "[]");
			return;
		}
		buf_adds(out, "[\n");
		for (i = 0; i < v->u.array.len; i++) {
			indent(out, level + 1);
			value(out, v->u.array.items[i], level + 1);
			buf_adds(out, i + 1 < v->u.array.len ? ",\n" : "\n");
		}
		indent(out, level);
		buf_addc(out, ']');
		return;
	case TOML_STRING:
		scalar(out, "string", v->u.string.ptr, v->u.string.len);
		return;
	case TOML_INTEGER:
		snprintf(num, sizeof(num), "%" PRId64, v->u.integer);
		scalar(out, "integer", num, strlen(num));
		return;
	case TOML_FLOAT:
		json_float(&tmp, v->u.real);
		scalar(out, "float", tmp.data, tmp.len);
		buf_release(&tmp);
		return;
	case TOML_BOOL:
		scalar(out, "bool", v->u.boolean ? "true" : "false",
		       v->u.boolean ? 4 : 5);
		return;
	case TOML_DATETIME:
		scalar(out, "datetime", v->u.datetime->text,
		       strlen(v->u.datetime->text));
		return;
	case TOML_DATETIME_LOCAL:
		scalar(out, "datetime-local", v->u.datetime->text,
		       strlen(v->u.datetime->text));
		return;
	case TOML_DATE_LOCAL:
		scalar(out, "date-local", v->u.datetime->text,
		       strlen(v->u.datetime->text));
		return;
	case TOML_TIME_LOCAL:
		scalar(out, "time-local", v->u.datetime->text,
		       strlen(v->u.datetime->text));
		return;
	}
	BUG("bad toml type %d", (int)v->type);
}

void toml_json(struct buf *out, const struct toml_value *v)
{
	value(out, v, 0);
}

void toml_json_plain(struct buf *out, const struct toml_value *v)
{
	char num[32];
	size_t i;

	switch (v->type) {
	case TOML_TABLE:
		buf_addc(out, '{');
		for (i = 0; i < v->u.table.len; i++) {
			const struct toml_kv *kv = &v->u.table.kv[i];
			if (i)
				buf_adds(out, ", ");
			json_string(out, kv->key, kv->keylen);
			buf_adds(out, ": ");
			toml_json_plain(out, kv->value);
		}
		buf_addc(out, '}');
		return;
	case TOML_ARRAY:
		buf_addc(out, '[');
		for (i = 0; i < v->u.array.len; i++) {
			if (i)
				buf_adds(out, ", ");
			toml_json_plain(out, v->u.array.items[i]);
		}
		buf_addc(out, ']');
		return;
	case TOML_STRING:
		json_string(out, v->u.string.ptr, v->u.string.len);
		return;
	case TOML_INTEGER:
		snprintf(num, sizeof(num), "%" PRId64, v->u.integer);
		buf_adds(out, num);
		return;
	case TOML_FLOAT:
		if (isfinite(v->u.real))
			json_float(out, v->u.real);
		else	/* JSON has no inf or nan: the TOML spelling */
			buf_adds(out, isnan(v->u.real) ? "\"nan\""
				 : v->u.real > 0      ? "\"inf\""
						      : "\"-inf\"");
		return;
	case TOML_BOOL:
		buf_adds(out, v->u.boolean ? "true" : "false");
		return;
	default:	/* dates and times: their RFC 3339 text */
		json_string(out, v->u.datetime->text,
			    strlen(v->u.datetime->text));
		return;
	}
}
