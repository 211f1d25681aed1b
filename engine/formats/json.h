/*
 * json.h: a strict JSON (RFC 8259) parser into a small tree, for what
 * cairn reads back: metrics files that stages write, and the payloads of
 * run records.  Numbers are doubles; strings are NUL-terminated UTF-8 (a
 * \u0000 escape is refused).  Errors say line:col.
 */
#ifndef CAIRN_JSON_H
#define CAIRN_JSON_H

#include <stddef.h>

struct buf;
struct err;

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	int line, col;
	union {
		int boolean;
		double number;
		char *string;
		struct {
			struct json **v;
			size_t n;
		} array;
		struct {
			char **k;
			struct json **v;
			size_t n;
		} object;
	} u;
};

/*
 * Parse text[0..n) (one value, surrounded by whitespace only).  On error,
 * -1 with err set to "NAME:LINE:COL: what" (name: a file name for the
 * message).
 */
int json_parse(const char *text, size_t n, const char *name,
	       struct json **out, struct err *err);
void json_free(struct json *j);

/* The member key of object o (the last one when repeated), or NULL. */
const struct json *json_member(const struct json *o, const char *key);
/* o's member key when it is a string / number; else NULL / -1. */
const char *json_str(const struct json *o, const char *key);
int json_num(const struct json *o, const char *key, double *out);

/* Write j compactly (numbers as %.17g, integral ones without a point). */
void json_write(struct buf *b, const struct json *j);

/* Append s[0..n) as a JSON string literal, quotes included. */
void json_string(struct buf *out, const char *s, size_t n);

/* Append the shortest text that reads back as exactly x (Python repr;
 * nan, inf and -inf as those words). */
void json_float(struct buf *out, double x);

#endif
