#include "suggest.h"
#include "util.h"

size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), i, j, d;
	size_t *row0, *row1, *row2, *t;

	row0 = xcalloc(m + 1, sizeof(size_t));	/* row i-2 */
	row1 = xcalloc(m + 1, sizeof(size_t));	/* row i-1 */
	row2 = xcalloc(m + 1, sizeof(size_t));	/* row i */
	for (j = 0; j <= m; j++)
		row1[j] = j;
	for (i = 1; i <= n; i++) {
		row2[0] = i;
		for (j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			d = row1[j - 1] + cost;
			if (row1[j] + 1 < d)
				d = row1[j] + 1;
			if (row2[j - 1] + 1 < d)
				d = row2[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && row0[j - 2] + 1 < d)
				d = row0[j - 2] + 1;
			row2[j] = d;
		}
		t = row0;
		row0 = row1;
		row1 = row2;
		row2 = t;
	}
	d = row1[m];
	free(row0);
	free(row1);
	free(row2);
	return d;
}

const char *suggest(const char *word, const char *const *cands)
{
	size_t best = (size_t)-1, limit = strlen(word) / 3, d;
	const char *pick = NULL;
	int ties = 0;

	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	for (; *cands; cands++) {
		d = edit_distance(word, *cands);
		if (d < best) {
			best = d;
			pick = *cands;
			ties = 0;
		} else if (d == best && strcmp(*cands, pick)) {
			/* The same name twice is no tie. */
			ties++;
		}
	}
	if (!pick || best > limit || ties)
		return NULL;
	return pick;
}
