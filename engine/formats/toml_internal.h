/*
 * toml_internal.h: the parser's state, shared by toml_parse.c (structure:
 * keys, tables, arrays), toml_scalar.c (strings, numbers, date-times) and
 * toml_table.c (the value tree).  Not for use outside the toml_*.c files.
 */
#ifndef CAIRN_TOML_INTERNAL_H
#define CAIRN_TOML_INTERNAL_H

#include "arena.h"
#include "buf.h"
#include "toml.h"

struct toml_doc {
	struct arena arena;	/* values and strings */
	/* Tables' entries and arrays' items, apart so that the newest can
	 * grow in place: [0] [header] tables' (and dotted keys' and arrays
	 * of tables'), [1] inline tables' and [ ... ] arrays' (whose own
	 * entries come between a header table's). */
	struct arena lists[2];
	struct toml_value *root;
	char *filename;
	char *src;		/* a copy of the text, for error carets */
	size_t len;
};

struct parser {
	const char *src, *p, *end;
	const char *file;
	int line;			/* line of p */
	const char *line_start;		/* first byte of that line */
	const char *col_at;		/* column cache: col of col_at ... */
	int col;			/* ... on the current line */
	struct toml_doc *doc;
	struct arena *arena;
	struct err *err;
	struct buf scratch;		/* string being unescaped */
};

/* Raise an error at position at; return -1. */
int toml_perr(struct parser *p, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Line and column of position at. */
void toml_locate(struct parser *p, const char *at, int *line, int *col);
/* Consume a newline (LF or CRLF) at p->p and advance the line count. */
void toml_newline(struct parser *p);
/* Describe the character at s for a message: "'x'", "end of line", ... */
const char *toml_describe(struct parser *p, const char *s, char buf[32]);

/* toml_scalar.c: parse a string, number, boolean or date-time into v. */
int toml_parse_string(struct parser *p, struct toml_value *v);
int toml_parse_bare(struct parser *p, struct toml_value *v);
/* A quoted key: unescape into *key / *len (arena). */
int toml_parse_quoted_key(struct parser *p, const char **key, size_t *len);

/* toml_table.c: the value tree. */
struct toml_value *toml_new(struct parser *p, enum toml_type type,
			    const char *at, unsigned depth);
struct toml_kv *toml_find(struct toml_value *t, const char *key,
			  size_t keylen);
/* Add key (kept as is: it must live as long as the document) to t. */
struct toml_kv *toml_insert(struct parser *p, struct toml_value *t,
			    const char *key, size_t keylen,
			    struct toml_value *v);
void toml_push(struct parser *p, struct toml_value *a, struct toml_value *v);
/* A table or array is complete: give back the slots it does not use
 * (when they are the newest of their arena). */
void toml_close(struct parser *p, struct toml_value *v);

#endif
