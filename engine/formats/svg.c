/*
 * svg.c: escaping, short coordinates and axis ticks for inline SVG.
 */
#include <math.h>

#include "buf.h"
#include "svg.h"
#include "util.h"

void svg_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_adds(out, "&amp;"); break;
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default: buf_addc(out, *s);
		}
	}
}

void svg_num(struct buf *out, double x)
{
	long long tenths;

	if (!isfinite(x))
		x = 0;
	tenths = llround(x * 10);
	if (tenths < 0) {
		buf_addc(out, '-');
		tenths = -tenths;
	}
	buf_addf(out, "%lld", tenths / 10);
	if (tenths % 10)
		buf_addf(out, ".%lld", tenths % 10);
}

size_t svg_ticks(double lo, double hi, size_t max, double *t, double *step)
{
	static const double mult[] = { 1, 2, 5 };
	double span = hi - lo, p, s = 0, first;
	size_t n = 0, k;

	*step = 1;
	if (!max || !isfinite(lo) || !isfinite(hi) || hi < lo)
		return 0;
	if (span <= 0) {
		t[0] = lo;
		return 1;
	}
	/* The smallest 1/2/5 x 10^k step that gives at most max ticks. */
	p = pow(10, floor(log10(span / (double)max)));
	for (k = 0; !s; k = (k + 1) % 3) {
		if (floor(hi / (mult[k] * p)) - ceil(lo / (mult[k] * p)) + 1 <=
		    (double)max)
			s = mult[k] * p;
		if (k == 2)
			p *= 10;
	}
	first = ceil(lo / s);
	for (; n < max && (first + (double)n) * s <= hi + s * 1e-9; n++)
		t[n] = (first + (double)n) * s;
	*step = s;
	return n;
}

void svg_tick_label(struct buf *out, double x, double step)
{
	int dec = 0;

	while (dec < 9 && step * pow(10, dec) < 0.999)
		dec++;
	if (fabs(x) < step * 1e-9)
		x = 0;
	buf_addf(out, "%.*f", dec, x);
}

void svg_xy(struct buf *out, double x, double y)
{
	svg_num(out, x);
	buf_addc(out, ',');
	svg_num(out, y);
}

void svg_text(struct buf *out, double x, double y, const char *anchor,
	      const char *text)
{
	buf_adds(out, "<text x=\"");
	svg_num(out, x);
	buf_adds(out, "\" y=\"");
	svg_num(out, y);
	buf_addf(out, "\" text-anchor=\"%s\">", anchor);
	svg_escape(out, text);
	buf_adds(out, "</text>\n");
}
