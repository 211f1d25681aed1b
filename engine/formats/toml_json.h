/*
 * toml_json.h: a TOML document as JSON in the tagged form TOML conformance
 * suites use (toml-test): each scalar {"type": T, "value": "text"}, tables
 * as objects in document order, arrays as arrays.  Deterministic output,
 * two-space indentation, one scalar per line.
 */
#ifndef CAIRN_TOML_JSON_H
#define CAIRN_TOML_JSON_H

struct buf;
struct toml_value;

/* Append v as tagged JSON (no trailing newline) to out. */
void toml_json(struct buf *out, const struct toml_value *v);

/*
 * Append v as plain JSON: numbers, strings, booleans, arrays and objects
 * as themselves; dates and times as their text; inf and nan as strings.
 */
void toml_json_plain(struct buf *out, const struct toml_value *v);

#endif
