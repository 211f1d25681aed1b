/*
 * check.h: the unit tests' few macros.  A failed CHECK prints where and
 * what, counts, and the test goes on; main returns check_done(), which is
 * non-zero when anything failed.  SKIP exits with ctest's skip code (77).
 */
#ifndef CAIRN_CHECK_H
#define CAIRN_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                         \
	do {                                                                \
		check_count++;                                              \
		if (!(cond)) {                                              \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",        \
				__FILE__, __LINE__, #cond);                 \
		}                                                           \
	} while (0)

#define CHECK_INT(a, b)                                                     \
	do {                                                                \
		long long check_a = (long long)(a), check_b = (long long)(b); \
		check_count++;                                              \
		if (check_a != check_b) {                                   \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", \
				__FILE__, __LINE__, #a, check_a, check_b);  \
		}                                                           \
	} while (0)

#define CHECK_STR(a, b)                                                     \
	do {                                                                \
		const char *check_a = (a), *check_b = (b);                  \
		check_count++;                                              \
		if (!check_a || strcmp(check_a, check_b)) {                 \
			check_failures++;                                   \
			fprintf(stderr,                                     \
				"%s:%d: %s is\n---\n%s\n---\nexpected\n---\n" \
				"%s\n---\n",                                \
				__FILE__, __LINE__, #a,                     \
				check_a ? check_a : "(null)", check_b);     \
		}                                                           \
	} while (0)

#define SKIP(why)                                                           \
	do {                                                                \
		printf("skipped: %s\n", why);                               \
		exit(77);                                                   \
	} while (0)

static inline int check_done(const char *name)
{
	if (check_failures) {
		fprintf(stderr, "%s: %d of %d checks failed\n", name,
			check_failures, check_count);
		return 1;
	}
	if (check_count == 0) {
		fprintf(stderr, "%s: no checks ran\n", name);
		return 1;
	}
	printf("%s: %d checks passed\n", name, check_count);
	return 0;
}

#endif
