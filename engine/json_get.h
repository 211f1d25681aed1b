/*
 * json_get.h: read a field of the flat JSON objects cairn writes in run
 * records (not a general JSON parser: it finds "key": and reads the string
 * or number after it).
 */
#ifndef CAIRN_JSON_GET_H
#define CAIRN_JSON_GET_H

#include <stddef.h>

struct buf;

/* The string value of key in json[0..n) into out; 0, or -1 when absent. */
int json_get_string(const char *json, size_t n, const char *key,
		    struct buf *out);
/* The number value of key; 0, or -1 when absent. */
int json_get_number(const char *json, size_t n, const char *key, double *out);

#endif
