/*
 * zbins: local z-binning and the slice cache.  From CT volumes (as
 * synth.volumes writes them), take the axial slices whose z index lies in
 * z_range = [lo, hi] and give each a bin: local mode by the JS-DDPM
 * code's rule, min(int((z - lo) / (hi - lo) * n_bins), n_bins - 1), or
 * evenly, floor((z - lo) * n_bins / (hi - lo + 1)); global mode, floor(z * n_bins / nz) over the whole
 * volume (the old way, kept for comparison: a narrow range then uses few
 * bins).  A range reaching past a volume's last slice is an error naming
 * the slice and the case.  Writes the cache (slices, z, bin, case) and a
 * JSON report of the bins used and the slices per bin (over all n bins,
 * empty ones too, and each bin's count, for the report's bars).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "h5.h"
#include "kind_versions.h"
#include "kinds.h"
#include "util.h"

static const char *const modes[] = { "local", "global", NULL };
static const char *const rules[] = { "zpos", "even", NULL };

#define MAX_CASES 1000000	/* the 'cases' attribute's range: 1 to this */
#define MAX_CACHE (1ull << 34)	/* bytes of slices */

static const struct kind_setting settings[] = {
	{ "z_range", KIND_RANGE, NULL, 0, 100000, NULL,
	  "the slices to take, [lo, hi] inclusive" },
	{ "n_bins", KIND_INT, "50", 1, 100000, NULL, "how many bins" },
	{ "mode", KIND_STRING, "\"local\"", 0, 0, modes,
	  "local: bins span z_range; global: bins span the whole volume" },
	{ "rule", KIND_STRING, "\"zpos\"", 0, 0, rules,
	  "local mode's rule: zpos, min(int((z - lo) / (hi - lo) * n), n - 1) "
	  "(JS-DDPM's zpos.py); even, floor((z - lo) * n / (hi - lo + 1))" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port inputs[] = {
	{ "volumes", "HDF5 with caseN/ct int16 [z, y, x] (synth.volumes)" },
	{ NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "cache", "HDF5: slices int16 [m, y, x], z, bin, case int32 [m]" },
	{ "report", "JSON: bins, bins_used, slices per bin over all bins (min, "
		    "mean, max), and the slices in each bin" },
	{ NULL, NULL },
};

/*
 * Slice z's bin of nb over [lo, hi] in local mode.  zpos: the JS-DDPM
 * code's rule, in double as Python computes it (z = hi lands on nb, kept
 * in the last bin; lo == hi: bin 0).  even: integer, every bin gets
 * floor or ceil of (hi - lo + 1) / nb slices.
 */
static int64_t local_bin(int64_t z, int64_t lo, int64_t hi, int64_t nb,
			 int zpos)
{
	int64_t b;

	if (!zpos)
		return (z - lo) * nb / (hi - lo + 1);
	if (hi == lo)
		return 0;
	b = (int64_t)((double)(z - lo) / (double)(hi - lo) * (double)nb);
	return b < nb - 1 ? b : nb - 1;
}

static int run(const struct kind_run *r, struct err *err)
{
	int64_t lo, hi, nb = kind_int(r, "n_bins"), ncases = 0, c, z;
	int global = !strcmp(kind_string(r, "mode"), "global");
	int zpos = !strcmp(kind_string(r, "rule"), "zpos");
	struct h5_file *in = NULL, *out = NULL;
	int16_t *slices = NULL;
	int32_t *zs = NULL, *bins = NULL, *cs = NULL;
	int64_t *count = NULL;
	uint64_t ny = 0, nx = 0, m = 0, cap = 0, *nzs = NULL;
	struct buf rep = BUF_INIT;
	int rc = -1;

	if (kind_check_run(r, err))
		return -1;
	count = xcalloc((size_t)nb, sizeof(int64_t));
	kind_range(r, "z_range", &lo, &hi);
	if (h5_open(r->inputs[0], &in, err) ||
	    h5_attr_int_in(in, "/", "cases", 1, MAX_CASES, &ncases, err))
		goto out;
	/* Every case's extent first: the range is checked and the cache
	 * allocated once; then only the slices taken are read, straight
	 * into it. */
	for (c = 0; c < ncases; c++) {
		char name[64];
		uint64_t want[3] = { H5_ANY, H5_ANY, H5_ANY }, d[3];

		snprintf(name, sizeof(name), "case%lld/ct", (long long)c);
		if (c) {
			want[1] = ny;
			want[2] = nx;
		}
		if (h5_shape(in, name, H5_INT16, 3, want, d, err))
			goto out;
		ny = d[1];
		nx = d[2];
		if ((uint64_t)hi >= d[0]) {
			err_set(err, "z_range [%lld, %lld] reaches slice %lld, but "
				     "case %lld has slices 0 to %llu",
				(long long)lo, (long long)hi, (long long)hi,
				(long long)c, (unsigned long long)d[0] - 1);
			goto out;
		}
		nzs = xrealloc(nzs, (size_t)(c + 1) * sizeof(uint64_t));
		nzs[c] = d[0];
	}
	/* Each case's slices are in the file, but cases may share them (one
	 * dataset under many names): the cache has a bound of its own. */
	cap = (uint64_t)ncases * (uint64_t)(hi - lo + 1);
	if (ny != 0 && nx != 0 &&
	    cap > MAX_CACHE / sizeof(int16_t) / (ny * nx)) {
		err_set(err, "z_range [%lld, %lld] of %lld cases of %llu x %llu "
			     "makes a slice cache over 2^34 bytes (16 GiB): a "
			     "narrower range or fewer cases",
			(long long)lo, (long long)hi, (long long)ncases,
			(unsigned long long)ny, (unsigned long long)nx);
		goto out;
	}
	slices = xmalloc_huge(cap * ny * nx * sizeof(int16_t) + 1);
	zs = xcalloc(cap + 1, sizeof(int32_t));
	bins = xcalloc(cap + 1, sizeof(int32_t));
	cs = xcalloc(cap + 1, sizeof(int32_t));
	for (c = 0; c < ncases; c++) {
		char name[64];
		uint64_t want[3] = { nzs[c], ny, nx };

		snprintf(name, sizeof(name), "case%lld/ct", (long long)c);
		if (h5_read_rows(in, name, H5_INT16, 3, want, (uint64_t)lo,
				 (uint64_t)(hi - lo + 1), slices + m * ny * nx,
				 err))
			goto out;
		for (z = lo; z <= hi; z++) {
			int64_t b = global ? z * nb / (int64_t)nzs[c]
					   : local_bin(z, lo, hi, nb, zpos);
			zs[m] = (int32_t)z;
			bins[m] = (int32_t)b;
			cs[m] = (int32_t)c;
			count[b]++;
			m++;
		}
	}
	if (h5_create(r->outputs[0], &out, err))
		goto out;
	{
		uint64_t d3[3] = { m, ny, nx }, d1[1] = { m };
		if (h5_write(out, "slices", H5_INT16, 3, d3, slices, err) ||
		    h5_write(out, "z", H5_INT32, 1, d1, zs, err) ||
		    h5_write(out, "bin", H5_INT32, 1, d1, bins, err) ||
		    h5_write(out, "case", H5_INT32, 1, d1, cs, err) ||
		    h5_attr_string(out, "/", "kind", "zbins", err) ||
		    h5_attr_string(out, "/", "mode", global ? "global" : "local",
				   err) ||
		    h5_attr_string(out, "/", "rule", kind_string(r, "rule"),
				   err) ||
		    h5_attr_int(out, "/", "n_bins", nb, err) ||
		    h5_attr_int(out, "/", "z_lo", lo, err) ||
		    h5_attr_int(out, "/", "z_hi", hi, err))
			goto out;
	}
	{
		/* Over all n bins, empty ones too: a bin no slice falls in
		 * is what the report is for. */
		int64_t used = 0, mn = count[0], mx = 0, b;
		for (b = 0; b < nb; b++) {
			used += count[b] != 0;
			if (count[b] < mn)
				mn = count[b];
			if (count[b] > mx)
				mx = count[b];
		}
		buf_addf(&rep, "{\"mode\": \"%s\", \"bins\": %lld, \"bins_used\": "
			       "%lld, \"slices\": %llu, \"slices_per_bin\": "
			       "{\"min\": %lld, \"mean\": %.4f, \"max\": %lld}, "
			       "\"counts\": [",
			 global ? "global" : "local", (long long)nb,
			 (long long)used, (unsigned long long)m, (long long)mn,
			 (double)m / (double)nb, (long long)mx);
		for (b = 0; b < nb; b++)
			buf_addf(&rep, "%s%lld", b ? ", " : "",
				 (long long)count[b]);
		buf_adds(&rep, "]}\n");
		if (kind_write_text(r->outputs[1], &rep, err))
			goto out;
	}
	rc = 0;
out:
	rc = h5_finish(in, out, rc, err);
	free(slices);
	free(zs);
	free(bins);
	free(cs);
	free(nzs);
	free(count);
	buf_release(&rep);
	return rc;
}

const struct stage_kind kind_zbins = {
	.name = "zbins",
	.summary = "local z-binning of CT slices, and the slice cache",
	.doc = "Take the axial slices of every case whose z index lies in "
	       "z_range and bin\nthem: local mode spreads n_bins over z_range "
	       "(rule zpos, JS-DDPM's, by default;\nrule even, floor((z - lo) * "
	       "n / (hi - lo + 1))), so every bin is used\n(z_range [24, 93] with "
	       "50 bins uses 50 of 50); global mode bins over the\nwhole volume, "
	       "as before. A range "
	       "past a volume's last slice is an error\nnaming the slice. The "
	       "cache holds the slices with their z, bin and case;\nthe report "
	       "(JSON, fit for 'metrics') the bins used, slices per bin over "
	       "all\nn_bins bins (min, mean, max) and each bin's count.",
	.settings = settings,
	.inputs = inputs,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_zbins,
	.sources = KIND_SOURCES_zbins,
};
