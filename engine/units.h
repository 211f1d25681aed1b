/*
 * units.h: sizes as people write and read them.
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

#endif
