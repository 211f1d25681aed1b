/*
 * plot_slice.h: slices of a 3D map as PNG heat maps, for the report's
 * dose pictures (plot_dose.c): the axial, coronal and sagittal planes
 * through one voxel, each an <img> with its PNG inline as a data: URI,
 * coloured on a fixed diverging scale, and the scale's bar (SVG).
 */
#ifndef CAIRN_PLOT_SLICE_H
#define CAIRN_PLOT_SLICE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* A map of nz x ny x nx floats, x fastest (eval.dose's layout). */
struct plot_map {
	const float *v;
	size_t nx, ny, nz;
};

/*
 * A colour scale over [lo, hi]: lo blue, mid white, hi red, clamped at
 * both ends; a value not finite, or below lo when grey_below is set, is
 * grey (not evaluated).
 */
struct plot_scale {
	double lo, mid, hi;
	int grey_below;
};

/* The RGB of v on s into rgb[0..3). */
void plot_scale_rgb(const struct plot_scale *s, double v, uint8_t *rgb);

/* Append three <img class="slice"> (data-plane axial: z = z, coronal:
 * y = y, sagittal: x = x) of m on s; the coronal and sagittal planes with
 * z upward.  The longer side of each is drawn 200 pixels. */
void plot_slices(struct buf *out, const struct plot_map *m,
		 const struct plot_scale *s, size_t x, size_t y, size_t z);

/* Append the scale's bar (SVG), labelled at ticks[0..n) and marked
 * (a black line) at mark when mark lies inside it; unit after the
 * labels' row. */
void plot_scale_bar(struct buf *out, const struct plot_scale *s,
		    const double *ticks, size_t n, double mark,
		    const char *unit);

#endif
