#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

const char *format_time(int64_t ns, char buf[32])
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int parse_when(const char *s, int64_t now_ns, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	char *end;
	double v;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 &&
	    (s[n] == '\0' || s[n] == 'T' || s[n] == ' ')) {
		int m = 0;
		if (s[n] && sscanf(s + n + 1, "%2d:%2d%n", &h, &mi, &m) < 2)
			return -1;
		if (s[n] && s[n + 1 + m] == ':' &&
		    sscanf(s + n + 1 + m + 1, "%2d", &sec) != 1)
			return -1;
		if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
		    sec > 60)
			return -1;
		*out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
		*out *= 1000000000LL;
		return 0;
	}
	v = strtod(s, &end);
	if (end == s || v < 0 || !end[0] || end[1])
		return -1;
	switch (*end) {
	case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	case 'w': v *= 7 * 86400; break;
	default: return -1;
	}
	*out = now_ns - (int64_t)(v * 1e9);
	return 0;
}
