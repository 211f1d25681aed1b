/*
 * binning's token utilisation (plot.h): from its tokens (HDF5, root
 * attributes kind = "binning" and vocabulary; per split 'tokens' int32
 * [n, T], 0 the padding), how many of the vocabulary's tokens the splits
 * use, and each used token's count by rank, most frequent first, on a
 * log scale (a few tokens usually hold most objects): one line per
 * artifact, every member of a sweep overlaid.
 *
 * The work is bounded whatever the file: at most TOKENS_MAX tokens are
 * read, padding too (the first of train, then val, then test), in
 * batches of at most BATCH (a chunked file is inflated no further); a
 * vocabulary up to DENSE_MAX is counted in an array, a larger one by
 * sorting the tokens read (radix sort, linear).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "plot.h"
#include "util.h"

#define TOKENS_MAX (1u << 25)	/* 128 MiB of int32 */
#define BATCH (1u << 20)	/* tokens a read holds at most */
#define DENSE_MAX (1u << 24)	/* counted in an array up to this */
#define POINTS 600		/* ranks drawn at most */

static const char *const splits[] = { "train", "val", "test" };

struct usage {
	int64_t vocab;
	uint64_t read;		/* tokens read, padding too */
	uint64_t total;		/* tokens counted (padding aside) */
	int capped;		/* TOKENS_MAX read */
	uint32_t *freq;		/* the used tokens' counts, descending */
	size_t used;
};

static int is_tokens(struct h5_file *f, int64_t *vocab)
{
	char kind[16];
	uint64_t want[2] = { H5_ANY, H5_ANY }, d[2];
	struct err ignore;

	return h5_attr_get_string(f, "/", "kind", kind, sizeof(kind),
				  &ignore) == 0 &&
	       !strcmp(kind, "binning") &&
	       h5_attr_int_in(f, "/", "vocabulary", 2, INT32_MAX, vocab,
			      &ignore) == 0 &&
	       h5_shape(f, "train/tokens", H5_INT32, 2, want, d, &ignore) == 0;
}

static int mine(const struct plot_item *it)
{
	int64_t vocab;

	return it->h5 && !it->src->as && is_tokens(it->h5, &vocab);
}

/* a[0..n) ascending, by bytes from the lowest (tmp: n more). */
static void radix_u32(uint32_t *a, uint32_t *tmp, size_t n)
{
	size_t count[256], i, pass, sum;
	uint32_t *from = a, *to = tmp, *t;

	for (pass = 0; pass < 4; pass++) {
		unsigned shift = (unsigned)(8 * pass);
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(from[i] >> shift) & 255]++;
		if (n && count[(from[0] >> shift) & 255] == n)
			continue;	/* one value of this byte: in order */
		for (i = 0, sum = 0; i < 256; i++) {
			size_t c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 255]++] = from[i];
		t = from;
		from = to;
		to = t;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
}

/* Every token of the file into counts (dense) or into *all; 0, or -1
 * (a token outside the vocabulary, a split of another shape). */
static int read_tokens(struct h5_file *f, struct usage *u, uint32_t *counts,
		       uint32_t **all, size_t *nall)
{
	int32_t *batch = NULL;
	size_t s, cap = 0;
	struct err ignore;

	for (s = 0; s < 3 && !u->capped; s++) {
		char name[32];
		uint64_t want[2] = { H5_ANY, H5_ANY }, d[2], row, rows, i;

		snprintf(name, sizeof(name), "%s/tokens", splits[s]);
		if (h5_shape(f, name, H5_INT32, 2, want, d, &ignore) < 0) {
			if (s)	/* train alone is a file too */
				continue;
			goto bad;
		}
		if (!d[0] || !d[1])
			continue;
		if (d[1] > BATCH)
			goto bad;
		rows = BATCH / d[1];
		batch = xrealloc(batch, rows * d[1] * sizeof(int32_t));
		for (row = 0; row < d[0] && !u->capped; row += rows) {
			uint64_t take = d[0] - row < rows ? d[0] - row : rows;
			if (h5_read_rows(f, name, H5_INT32, 2, d, row, take,
					 batch, &ignore) < 0)
				goto bad;
			if (!counts)
				xgrow((void **)all, &cap,
				      *nall + (size_t)(take * d[1]),
				      sizeof(uint32_t));
			for (i = 0; i < take * d[1]; i++) {
				int32_t t = batch[i];
				if (t < 0 || t >= u->vocab)
					goto bad;
				if (++u->read == TOKENS_MAX)
					u->capped = 1;
				if (t && counts)
					counts[t]++;
				else if (t)
					(*all)[(*nall)++] = (uint32_t)t;
				u->total += t != 0;
				if (u->capped)
					break;
			}
		}
	}
	free(batch);
	return 0;
bad:
	free(batch);
	return -1;
}

/* What f's tokens use; 0, or -1 when they are not binning's. */
static int usage_of(struct h5_file *f, struct usage *u)
{
	uint32_t *counts = NULL, *all = NULL, *tmp;
	size_t nall = 0, i, k;

	memset(u, 0, sizeof(*u));
	if (!is_tokens(f, &u->vocab))
		return -1;
	if (u->vocab <= DENSE_MAX)
		counts = xcalloc((size_t)u->vocab, sizeof(uint32_t));
	if (read_tokens(f, u, counts, &all, &nall) < 0) {
		free(counts);
		free(all);
		return -1;
	}
	if (counts) {
		u->freq = xcalloc((size_t)u->vocab, sizeof(uint32_t));
		for (k = 0; k < (size_t)u->vocab; k++)
			if (counts[k])
				u->freq[u->used++] = counts[k];
		free(counts);
	} else {
		tmp = xmalloc((nall + 1) * sizeof(uint32_t));
		radix_u32(all, tmp, nall);
		u->freq = tmp;
		for (i = 0; i < nall; i = k) {
			for (k = i + 1; k < nall && all[k] == all[i]; k++)
				;
			u->freq[u->used++] = (uint32_t)(k - i);
		}
		free(all);
	}
	tmp = xmalloc((u->used + 1) * sizeof(uint32_t));
	radix_u32(u->freq, tmp, u->used);
	free(tmp);
	for (i = 0; i < u->used / 2; i++) {	/* descending */
		uint32_t t = u->freq[i];
		u->freq[i] = u->freq[u->used - 1 - i];
		u->freq[u->used - 1 - i] = t;
	}
	return 0;
}

static void draw(struct buf *out, const struct plot_item *const *items,
		 size_t n)
{
	struct plot_axes ax = { "tokens by rank", "rank (most frequent first)",
				"log10 count", 0, 0, 0, 0, 0 };
	struct plot_line *lines = xcalloc(n + 1, sizeof(*lines));
	double **x = xcalloc(n + 1, sizeof(double *));
	double **y = xcalloc(n + 1, sizeof(double *));
	struct buf cap = BUF_INIT;
	size_t i, k, nl = 0;

	for (i = 0; i < n; i++) {
		const char *label = items[i]->src->label;
		struct usage u;
		size_t np;

		if (i)
			buf_adds(&cap, "; ");
		if (label && *label)
			buf_addf(&cap, "%s: ", label);
		if (usage_of(items[i]->h5, &u) < 0) {
			buf_adds(&cap, "not drawn: a token outside the "
				       "vocabulary, or a split not [n, T]");
			continue;
		}
		buf_addf(&cap, "%zu of %lld tokens used (%.1f%%), counted over "
			       "%llu tokens%s",
			 u.used, (long long)u.vocab - 1,
			 100.0 * (double)u.used / (double)(u.vocab - 1),
			 (unsigned long long)u.total,
			 u.capped ? " (the file's first 2^25 read, of more)" : "");
		np = u.used < POINTS ? u.used : POINTS;
		x[nl] = xcalloc(np + 1, sizeof(double));
		y[nl] = xcalloc(np + 1, sizeof(double));
		for (k = 0; k < np; k++) {
			/* Evenly spaced ranks, the first and the last. */
			size_t r = np > 1 ? (size_t)((double)k *
						      (double)(u.used - 1) /
						      (double)(np - 1))
					  : 0;
			x[nl][k] = (double)(r + 1);
			y[nl][k] = log10((double)u.freq[r]);
		}
		lines[nl].label = label && *label ? label : items[i]->src->name;
		lines[nl].color = plot_palette(items[i]->src->member);
		lines[nl].x = x[nl];
		lines[nl].y = y[nl];
		lines[nl++].n = np;
		free(u.freq);
	}
	plot_figure_open(out, "tokens");
	if (nl)
		plot_lines_svg(out, &ax, lines, nl);
	plot_figure_close(out, cap.data);
	for (i = 0; i < nl; i++) {
		free(x[i]);
		free(y[i]);
	}
	free(x);
	free(y);
	free(lines);
	buf_release(&cap);
}

const struct plot_drawer plot_tokens_drawer = { "tokens", mine, draw };
