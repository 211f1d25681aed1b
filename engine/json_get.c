#include "buf.h"
#include "json_get.h"
#include "utf8.h"
#include "util.h"

/* The position just after "key": (and spaces), or NULL. */
static const char *find(const char *json, size_t n, const char *key)
{
	struct buf pat = BUF_INIT;
	const char *p = json, *end = json + n, *hit = NULL;

	buf_addf(&pat, "\"%s\":", key);
	while (p + pat.len <= end) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q || q + pat.len > end)
			break;
		if (!memcmp(q, pat.data, pat.len)) {
			hit = q + pat.len;
			break;
		}
		p = q + 1;
	}
	buf_release(&pat);
	while (hit && hit < end && *hit == ' ')
		hit++;
	return hit;
}

int json_get_string(const char *json, size_t n, const char *key,
		    struct buf *out)
{
	const char *p = find(json, n, key), *end = json + n;

	buf_truncate(out, 0);
	if (!p || p >= end || *p != '"')
		return -1;
	for (p++; p < end && *p != '"'; p++) {
		if (*p != '\\') {
			buf_addc(out, *p);
			continue;
		}
		if (++p >= end)
			return -1;
		switch (*p) {
		case 'n': buf_addc(out, '\n'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'u': {
			unsigned cp = 0;
			int i;
			char enc[4];
			for (i = 1; i <= 4 && p + i < end; i++)
				cp = cp * 16 + (unsigned)hex_value(p[i]);
			buf_add(out, enc, utf8_encode(cp, enc));
			p += 4;
			break;
		}
		default: buf_addc(out, *p);
		}
	}
	return p < end ? 0 : -1;
}

int json_get_number(const char *json, size_t n, const char *key, double *out)
{
	const char *p = find(json, n, key);
	char *e;

	if (!p)
		return -1;
	*out = strtod(p, &e);
	return e == p ? -1 : 0;
}
