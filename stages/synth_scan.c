/*
 * synth.scan: 2D scan positions, a jittered raster or a spiral, for the
 * ptychography-style pipelines: N points, seeded, written as an HDF5
 * dataset "positions" (float64, N x 2: x, y) with the settings as
 * attributes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "h5.h"
#include "kind_versions.h"
#include "kinds.h"
#include "rng.h"
#include "util.h"

static const char *const patterns[] = { "raster", "spiral", NULL };

static const struct kind_setting settings[] = {
	{ "n", KIND_INT, "1000", 1, 100000000, NULL, "how many positions" },
	{ "pattern", KIND_STRING, "\"raster\"", 0, 0, patterns,
	  "raster: row by row on a square grid; spiral: Fermat's spiral "
	  "(even density)" },
	{ "step", KIND_FLOAT, "1.0", 1e-9, 1e9,
	  NULL, "grid spacing (raster) or spiral scale, in the output's unit" },
	{ "jitter", KIND_FLOAT, "0.0", 0, 1, NULL,
	  "random offset of each point, as a fraction of step" },
	{ "seed", KIND_INT, "0", 0, 9007199254740991.0, NULL,
	  "the seed of the jitter" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct kind_port outputs[] = {
	{ "positions", "HDF5: dataset 'positions', float64 [n, 2]" },
	{ NULL, NULL },
};

static int scan(const struct kind_run *r, struct err *err)
{
	int64_t n = kind_int(r, "n"), i;
	double step = kind_float(r, "step"), jitter = kind_float(r, "jitter");
	int spiral = !strcmp(kind_string(r, "pattern"), "spiral");
	struct rng g = rng_for((uint64_t)kind_int(r, "seed"), 0);
	int64_t side = (int64_t)ceil(sqrt((double)n));
	double *xy = xmalloc((size_t)n * 2 * sizeof(double));
	uint64_t dims[2] = { (uint64_t)n, 2 };
	struct h5_file *f = NULL;
	int rc;

	for (i = 0; i < n; i++) {
		double x, y;
		if (spiral) {
			double rad = step * sqrt((double)i);
			double a = (double)i * 2.399963229728653;	/* golden */
			x = rad * cos(a);
			y = rad * sin(a);
		} else {
			x = (double)(i % side) * step;
			y = (double)(i / side) * step;
		}
		if (jitter > 0) {
			x += (rng_uniform(&g) - 0.5) * jitter * step;
			y += (rng_uniform(&g) - 0.5) * jitter * step;
		}
		xy[2 * i] = x;
		xy[2 * i + 1] = y;
	}
	rc = h5_create(r->outputs[0], &f, err);
	if (!rc)
		rc = h5_write(f, "positions", H5_FLOAT64, 2, dims, xy, err);
	if (!rc)
		rc = h5_attr_string(f, "/", "kind", "synth.scan", err) ||
		     h5_attr_string(f, "/", "pattern", spiral ? "spiral" : "raster",
				    err) ||
		     h5_attr_int(f, "/", "n", n, err) ||
		     h5_attr_double(f, "/", "step", step, err) ||
		     h5_attr_double(f, "/", "jitter", jitter, err) ||
		     h5_attr_int(f, "/", "seed", (int64_t)kind_int(r, "seed"), err);
	rc = h5_finish(NULL, f, rc, err);
	free(xy);
	return rc ? -1 : 0;
}

static int run(const struct kind_run *r, struct err *err)
{
	if (kind_check_run(r, err))
		return -1;
	return scan(r, err);
}

const struct stage_kind kind_synth_scan = {
	.name = "synth.scan",
	.summary = "2D scan positions: a jittered raster or a spiral",
	.doc = "N scan positions for overlap-based reconstruction: a square "
	       "raster (row by\nrow) or Fermat's spiral, each point offset by "
	       "a seeded random jitter.\nThe same settings give the same "
	       "bytes.",
	.settings = settings,
	.inputs = NULL,
	.outputs = outputs,
	.run = run,
	.version = KIND_VERSION_synth_scan,
	.sources = KIND_SOURCES_synth_scan,
};
