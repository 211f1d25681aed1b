#include "buf.h"
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

void suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->pick = NULL;
	s->best = (size_t)-1;
	s->ties = 0;
	s->text = NULL;
}

void suggest_add(struct suggest *s, const char *cand)
{
	size_t d = edit_distance(s->word, cand);

	if (d < s->best) {
		s->best = d;
		s->pick = cand;
		s->ties = 0;
	} else if (d == s->best && strcmp(cand, s->pick)) {
		s->ties++;
	}
}

const char *suggest_pick(const struct suggest *s)
{
	size_t limit = strlen(s->word) / 3;

	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	if (!s->pick || s->best > limit || s->ties)
		return NULL;
	return s->pick;
}

static const char *text(struct suggest *s, const char *fmt, const char *a,
			const char *b)
{
	struct buf t = BUF_INIT;

	buf_addf(&t, fmt, a, b);
	free(s->text);
	s->text = buf_detach(&t, NULL);
	return s->text;
}

const char *suggest_clause(struct suggest *s)
{
	const char *pick = suggest_pick(s);

	return pick ? text(s, "; did you mean '%s%s'?", "", pick) : "";
}

const char *suggest_hint(struct suggest *s, const char *prefix)
{
	const char *pick = suggest_pick(s);

	return pick ? text(s, "did you mean '%s%s'?", prefix, pick) : NULL;
}

void suggest_release(struct suggest *s)
{
	free(s->text);
	s->text = NULL;
}

const char *suggest(const char *word, const char *const *cands)
{
	struct suggest s;

	suggest_init(&s, word);
	for (; *cands; cands++)
		suggest_add(&s, *cands);
	return suggest_pick(&s);
}
