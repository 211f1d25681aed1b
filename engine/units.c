#include <errno.h>
#include <math.h>

#include "units.h"
#include "util.h"

int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	char *end;
	double v;
	const char *u;
	int shift = 0;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	if (*end && (u = strchr(units, *end >= 'a' ? *end - 32 : *end)) &&
	    *u) {
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B") || !strcmp(end, "i"))
			end += strlen(end);
	} else if (*end == 'B' && !end[1]) {
		end++;
	}
	if (*end)
		return -1;
	v = ldexp(v, shift);
	if (v >= 18446744073709551616.0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

const char *format_size(uint64_t n, char buf[32])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double v = (double)n;
	int i = -1;

	if (n < 1024) {
		snprintf(buf, 32, "%llu B", (unsigned long long)n);
		return buf;
	}
	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(buf, 32, "%.1f %s", v, units[i]);
	return buf;
}
