/*
 * metrics.h: the numbers of a metrics file a stage writes (JSON, or TOML
 * when the name ends in .toml), for the run record.  Nested tables give
 * dotted names ({"loss": {"val": 0.3}} is loss.val); integers and floats
 * count, booleans as 0 and 1; strings and arrays are left out.
 */
#ifndef CAIRN_METRICS_H
#define CAIRN_METRICS_H

#include <stddef.h>

struct buf;
struct err;

/*
 * Append the numbers of the file at path (shown as name in messages) to
 * out as JSON members ("name": value, comma-separated, a comma before the
 * first when out already holds members: *count says how many).  0, or -1
 * with err ("NAME:LINE:COL: ..." for a parse error).
 */
int metrics_read(const char *path, const char *name, struct buf *out,
		 size_t *count, struct err *err);

#endif
