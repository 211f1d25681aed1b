/*
 * Slices of a 3D map as PNG heat maps (plot_slice.h).  The colours are
 * interpolated in 8-bit RGB from three fixed ones (ColorBrewer's RdBu
 * ends and near white), so the same map gives the same pixels anywhere.
 */
#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "plot.h"
#include "plot_slice.h"
#include "pngenc.h"
#include "svg.h"
#include "util.h"

#define SHOWN 200	/* pixels: the longer side of a slice drawn */

static const uint8_t blue[3] = { 33, 102, 172 }, white[3] = { 247, 247, 247 },
		     red[3] = { 178, 24, 43 }, grey[3] = { 160, 160, 160 };

static void mix(const uint8_t *a, const uint8_t *b, double t, uint8_t *rgb)
{
	int i;

	for (i = 0; i < 3; i++)
		rgb[i] = (uint8_t)lround(a[i] + (b[i] - a[i]) * t);
}

void plot_scale_rgb(const struct plot_scale *s, double v, uint8_t *rgb)
{
	int i;

	if (!isfinite(v) || (s->grey_below && v < s->lo)) {
		for (i = 0; i < 3; i++)
			rgb[i] = grey[i];
		return;
	}
	if (v <= s->mid)
		mix(blue, white,
		    s->mid > s->lo ? fmax(0, (v - s->lo) / (s->mid - s->lo)) : 1,
		    rgb);
	else
		mix(white, red,
		    s->hi > s->mid ? fmin(1, (v - s->mid) / (s->hi - s->mid)) : 1,
		    rgb);
}

/* One plane: w x h pixels, pixel (c, r) from m's voxel at(c, r). */
static void slice(struct buf *out, const struct plot_map *m,
		  const struct plot_scale *s, const char *plane,
		  const char *axis, size_t at, int plane_k)
{
	size_t w = plane_k == 2 ? m->ny : m->nx;
	size_t h = plane_k == 0 ? m->ny : m->nz;
	uint8_t *rgb = xmalloc(w * h * 3 + 1);
	struct buf png = BUF_INIT;
	size_t r, c, big = w > h ? w : h, i;

	for (r = 0; r < h; r++)
		for (c = 0; c < w; c++) {
			/* Rows top first: y down the axial plane, z up the
			 * others. */
			size_t x = plane_k == 2 ? at : c;
			size_t y = plane_k == 0 ? r : plane_k == 1 ? at : c;
			size_t z = plane_k == 0 ? at : h - 1 - r;

			i = (z * m->ny + y) * m->nx + x;
			plot_scale_rgb(s, m->v[i], rgb + (r * w + c) * 3);
		}
	if (png_rgb(&png, rgb, (unsigned)w, (unsigned)h) == 0) {
		buf_adds(out, "<span class=\"plane\" style=\"display:inline-block;"
			      "text-align:center;margin-right:6px\">");
		buf_addf(out, "<img class=\"slice\" data-plane=\"%s\" "
			      "alt=\"%s %s=%zu\" width=\"%zu\" height=\"%zu\" "
			      "style=\"image-rendering:pixelated\" "
			      "src=\"data:image/png;base64,",
			 plane, plane, axis, at, (w * SHOWN + big / 2) / big,
			 (h * SHOWN + big / 2) / big);
		base64(out, png.data, png.len);
		buf_addf(out, "\"><br>%s %s=%zu</span>\n", plane, axis, at);
	}
	buf_release(&png);
	free(rgb);
}

void plot_slices(struct buf *out, const struct plot_map *m,
		 const struct plot_scale *s, size_t x, size_t y, size_t z)
{
	slice(out, m, s, "axial", "z", z, 0);
	slice(out, m, s, "coronal", "y", y, 1);
	slice(out, m, s, "sagittal", "x", x, 2);
}

#define BAR_W 200
#define BAR_X 30	/* room for the first label */
#define BAR_STEPS 50

void plot_scale_bar(struct buf *out, const struct plot_scale *s,
		    const double *ticks, size_t n, double mark,
		    const char *unit)
{
	struct buf lab = BUF_INIT;
	double span = s->hi - s->lo;
	uint8_t rgb[3];
	size_t i;

	buf_addf(out, "<svg class=\"scale\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "width=\"%d\" height=\"48\" font-family=\"sans-serif\" "
		      "font-size=\"11\">\n",
		 2 * BAR_X + BAR_W);
	for (i = 0; i < BAR_STEPS; i++) {
		plot_scale_rgb(s, s->lo + span * ((double)i + 0.5) / BAR_STEPS,
			       rgb);
		buf_adds(out, "<rect x=\"");
		svg_num(out, BAR_X + (double)i * BAR_W / BAR_STEPS);
		buf_adds(out, "\" y=\"4\" width=\"");
		svg_num(out, (double)BAR_W / BAR_STEPS + 0.5);
		buf_addf(out, "\" height=\"14\" fill=\"#%02x%02x%02x\"/>\n",
			 rgb[0], rgb[1], rgb[2]);
	}
	if (span > 0 && mark >= s->lo && mark <= s->hi) {
		buf_adds(out, "<path class=\"mark\" d=\"M");
		svg_xy(out, BAR_X + (mark - s->lo) / span * BAR_W, 1);
		buf_adds(out, "V21\" stroke=\"#000\" stroke-width=\"2\"/>\n");
	}
	for (i = 0; i < n && span > 0; i++) {
		buf_truncate(&lab, 0);
		buf_addf(&lab, "%.3g", ticks[i]);
		svg_text(out, BAR_X + (ticks[i] - s->lo) / span * BAR_W, 32,
			 "middle", lab.data);
	}
	svg_text(out, BAR_X + BAR_W / 2.0, 43, "middle", unit);
	buf_adds(out, "</svg>\n");
	buf_release(&lab);
}
