#include <math.h>
#include <inttypes.h>

#include "buf.h"
#include "toml.h"
#include "toml_json.h"
#include "util.h"

void json_string(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	buf_reserve(out, n + 2);
	buf_addc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		buf_adds(out, esc);
	}
	buf_add(out, s + run, n - run);
	buf_addc(out, '"');
}

void toml_json_float(struct buf *out, double x)
{
	char tmp[40], digits[24];
	int prec, exp, nd = 0, i;
	const char *q;

	if (isnan(x)) {
		buf_adds(out, "nan");
		return;
	}
	if (isinf(x)) {
		buf_adds(out, x < 0 ? "-inf" : "inf");
		return;
	}
	/* Shortest %e precision that reads back exactly. */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	q = tmp;
	if (*q == '-') {
		buf_addc(out, '-');
		q++;
	}
	for (; *q && *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	exp = (int)strtol(q + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp >= -4 && exp < 16) {
		if (exp >= 0) {
			for (i = 0; i <= exp; i++)
				buf_addc(out, i < nd ? digits[i] : '0');
			buf_addc(out, '.');
			if (exp + 1 >= nd)
				buf_addc(out, '0');
			else
				buf_add(out, digits + exp + 1,
					(size_t)(nd - exp - 1));
		} else {
			buf_adds(out, "0.");
			for (i = 0; i < -exp - 1; i++)
				buf_addc(out, '0');
			buf_add(out, digits, (size_t)nd);
		}
		return;
	}
	buf_addc(out, digits[0]);
	if (nd > 1) {
		buf_addc(out, '.');
		buf_add(out, digits + 1, (size_t)(nd - 1));
	}
	buf_addf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

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
		toml_json_float(&tmp, v->u.real);
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
			toml_json_float(out, v->u.real);
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
