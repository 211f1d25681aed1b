#include <time.h>

#include "buf.h"
#include "profile.h"

static const char *const names[PROF_N] = {
	"proof", "parse", "expand", "check", "store", "scan", "key",
	"lookup", "schedule", "commands", "restore", "record", "lock",
};

static const char *const units[PROF_N] = {
	"paths", "bytes", "instances", "instances", "opened", "paths", "keys",
	"instances", "events", "ended", "instances", "commits", "entries",
};

int64_t profile_now(const struct profile *p)
{
	struct timespec ts;

	if (!p)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void profile_add(struct profile *p, enum profile_phase ph, int64_t since,
		 uint64_t n)
{
	if (!p)
		return;
	p->ns[ph] += profile_now(p) - since;
	p->n[ph] += n;
}

void profile_merge(struct profile *into, const struct profile *from,
		   int thread)
{
	int k;

	for (k = 0; k < PROF_N; k++) {
		into->ns[k] += from->ns[k];
		into->n[k] += from->n[k];
		if (thread)
			into->threads_ns += from->ns[k];
	}
	into->hashed += from->hashed;
	into->threads_ns += from->threads_ns;
}

const char *profile_name(enum profile_phase ph)
{
	return names[ph];
}

void profile_write(const struct profile *p, int64_t total_ns,
		   struct buf *out)
{
	int64_t main_ns = -p->threads_ns;
	int k;

	buf_addf(out, "%-10s %10s %12s\n", "profile", "ms", "count");
	for (k = 0; k < PROF_N; k++) {
		buf_addf(out, "%-10s %10.1f %12llu %s", names[k],
			 (double)p->ns[k] / 1e6, (unsigned long long)p->n[k],
			 units[k]);
		if (k == PROF_SCAN)
			buf_addf(out, ", %llu read",
				 (unsigned long long)p->hashed);
		buf_addc(out, '\n');
		main_ns += p->ns[k];
	}
	buf_addf(out, "%-10s %10.1f\n", "other",
		 total_ns > main_ns ? (double)(total_ns - main_ns) / 1e6 : 0.0);
	buf_addf(out, "%-10s %10.1f\n", "total", (double)total_ns / 1e6);
}
