/*
 * toml.h: a strict, complete TOML 1.0.0 parser.
 *
 * A document parses into a tree of struct toml_value owned by one
 * struct toml_doc; every value remembers the line and column where it
 * starts, and the document keeps its source text, so that later, semantic
 * errors (in a graph file, say) can point at the offending value with
 * toml_error_at().  See docs/toml.md for what is accepted and the limits.
 */
#ifndef CAIRN_TOML_H
#define CAIRN_TOML_H

#include <stddef.h>
#include <stdint.h>

struct err;

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,		/* offset date-time */
	TOML_DATETIME_LOCAL,	/* local date-time */
	TOML_DATE_LOCAL,
	TOML_TIME_LOCAL,
};

/* How a table or array came to be; it decides what may extend it later. */
enum toml_flags {
	TOML_IMPLICIT = 1 << 0,	/* table created as a parent by a [header] */
	TOML_HEADER = 1 << 1,	/* table defined by [header] or [[header]] */
	TOML_DOTTED = 1 << 2,	/* table created by a dotted key */
	TOML_INLINE = 1 << 3,	/* inline table or inside one: sealed */
	TOML_AOT = 1 << 4,	/* array of tables ([[header]]) */
	TOML_STATIC = 1 << 5,	/* array written as [ ... ]: sealed */
};

/* Nesting deeper than this (tables and arrays) is an error. */
#define TOML_MAX_DEPTH 256

struct toml_datetime {
	int year, month, day;		/* 0 for a local time */
	int hour, minute, second;	/* 0 for a local date */
	int nanosecond;			/* fraction, truncated to 9 digits */
	int offset_minutes;		/* offset date-time only; Z is 0 */
	/* Normalised RFC 3339 text: 'T' and 'Z' upper case, a space
	 * separator written as 'T', the fraction as written (at most 9). */
	char text[40];
};

struct toml_kv {
	const char *key;	/* unescaped, NUL-terminated (may hold NULs) */
	struct toml_value *value;
	uint32_t keylen;
	uint32_t hash;		/* of the key, for the table's index */
	int line, col;		/* where the key (its last part) is written */
};

/* 32 bytes: a document of a million stages holds tens of millions. */
struct toml_value {
	unsigned char type;	/* enum toml_type */
	unsigned char flags;	/* enum toml_flags, tables and arrays only */
	unsigned short depth;	/* 0 for the root table */
	int line, col;		/* where the value starts (1-based) */
	union {
		struct {
			/* In document order.  From 16 slots on (cap is then
			 * a power of two) a hash index of 2 * cap slots
			 * follows kv[cap]: see toml_table.c. */
			struct toml_kv *kv;
			uint32_t len, cap;
		} table;
		struct {
			struct toml_value **items;
			uint32_t len, cap;
		} array;
		struct {
			const char *ptr;	/* NUL-terminated (may hold NULs) */
			size_t len;
		} string;
		int64_t integer;
		double real;
		int boolean;
		struct toml_datetime *datetime;
	} u;
};

struct toml_doc;

/*
 * Parse src[0..len) as TOML.  filename is used in messages.  On success
 * store a new document in *out (free it with toml_doc_free) and return 0.
 * On failure return -1 with "file:line:col: message", the line and a caret
 * in err; *out is NULL.
 */
int toml_parse(const char *src, size_t len, const char *filename,
	       struct toml_doc **out, struct err *err);

/*
 * Read and parse the file at path ("-" reads standard input).  Return 0,
 * -1 for a parse error, -2 when the file cannot be read (err says why).
 */
int toml_parse_file(const char *path, struct toml_doc **out,
		    struct err *err);

void toml_doc_free(struct toml_doc *doc);

/* The root table; valid until toml_doc_free. */
const struct toml_value *toml_root(const struct toml_doc *doc);
const char *toml_filename(const struct toml_doc *doc);

/* Look key up in table t; NULL when absent or when t is not a table. */
const struct toml_value *toml_get(const struct toml_value *t,
				  const char *key);
const struct toml_kv *toml_get_kv(const struct toml_value *t,
				  const char *key, size_t keylen);

/* "string", "integer", "float", "boolean", "offset date-time", ... */
const char *toml_type_name(enum toml_type type);

/*
 * Report an error located at line:col of the document (e.g. a value's
 * position) in the same format as a parse error.  Returns -1.
 */
int toml_error_at(const struct toml_doc *doc, int line, int col,
		  struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
