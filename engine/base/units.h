/*
 * units.h: sizes and times as people write and read them.
 */
#ifndef CAIRN_UNITS_H
#define CAIRN_UNITS_H

#include <stdint.h>

/*
 * Parse "1048576", "512K", "64M", "1.5G", "2T", with an optional "B" or
 * "iB" after the letter (binary multiples either way).  0 or -1.
 */
int parse_size(const char *s, uint64_t *out);

/* "0 B", "512 B", "1.0 KiB", "1.5 GiB" into buf. */
const char *format_size(uint64_t n, char buf[32]);

/* ns since the epoch as "2026-11-22 07:52:48" (UTC) into buf. */
const char *format_time(int64_t ns, char buf[32]);

/*
 * A point in time, ns since the epoch: "2026-11-22", "2026-11-22T07:30",
 * "2026-11-22 07:30:15" (UTC), or an age before now_ns: "90s", "30m",
 * "2h", "3d", "1w".  0 or -1.
 */
int parse_when(const char *s, int64_t now_ns, int64_t *out);

#endif
