/*
 * svg.h: the few pieces every picture cairn draws needs: text escaped for
 * XML and HTML, coordinates written short and the same on every machine,
 * and the ticks of an axis.  The pictures themselves are their callers'.
 */
#ifndef CAIRN_SVG_H
#define CAIRN_SVG_H

#include <stddef.h>

struct buf;

/* Append s with &, <, >, " and ' escaped (text and attribute values). */
void svg_escape(struct buf *out, const char *s);

/* Append x rounded to one decimal, without a trailing ".0" ("12", "3.5",
 * "-0.5"); -0 is written "0". */
void svg_num(struct buf *out, double x);

/*
 * "Nice" ticks for an axis over [lo, hi]: at most max values (1, 2 or 5
 * times a power of ten apart) inside it, into t[0..max).  Returns how
 * many; lo == hi gives one tick.  *step is their spacing, for the
 * caller's label precision.
 */
size_t svg_ticks(double lo, double hi, size_t max, double *t, double *step);

/* Append "x,y", each as svg_num writes it. */
void svg_xy(struct buf *out, double x, double y);

/* Append a <text> at (x, y), anchored "start", "middle" or "end". */
void svg_text(struct buf *out, double x, double y, const char *anchor,
	      const char *text);

/* Append tick value x as a label: as few decimals as step needs. */
void svg_tick_label(struct buf *out, double x, double step);

#endif
