/*
 * A declared image (plot.h; a stage's `plots`, docs/graph-format.md): a
 * PNG or an SVG output shown as it is, an <img> whose source is a data:
 * URI.  An SVG goes in an <img>, never inline, as a browser runs no
 * script of an image.  A PNG's size comes from its header, which must be
 * one; an SVG must be text that starts as one.  Over IMAGE_MAX bytes, or
 * neither, a note says so instead.
 *
 * as: "image" then a space and the declaration's JSON, {"out": NAME,
 * "title": TEXT} (engine/core/graph_plots.c writes it).
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "plot.h"
#include "pngenc.h"
#include "util.h"

#define IMAGE_MAX (8u << 20)	/* bytes of an image inlined at most */
#define SIDE_MAX 100000u	/* a PNG's width or height at most */

static int mine(const struct plot_item *it)
{
	const char *as = it->src->as;

	return as && !strncmp(as, "image", 5) && (!as[5] || as[5] == ' ');
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* A PNG's signature and IHDR: its size into w, h; 0, or -1. */
static int png_size(const unsigned char *d, size_t len, uint32_t *w,
		    uint32_t *h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G',
					      '\r', '\n', 0x1a, '\n' };

	if (len < 33 || memcmp(d, sig, 8) || be32(d + 8) != 13 ||
	    memcmp(d + 12, "IHDR", 4))
		return -1;
	*w = be32(d + 16);
	*h = be32(d + 20);
	return *w && *h && *w <= SIDE_MAX && *h <= SIDE_MAX ? 0 : -1;
}

/* Text that begins an SVG: "<svg" or "<?xml", after white space (and a
 * UTF-8 byte order mark), with no NUL in it. */
static int is_svg(const unsigned char *d, size_t len)
{
	size_t i = len >= 3 && !memcmp(d, "\xef\xbb\xbf", 3) ? 3 : 0;

	if (memchr(d, 0, len))
		return 0;
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' ||
			   d[i] == '\n'))
		i++;
	return (len - i >= 4 && !memcmp(d + i, "<svg", 4)) ||
	       (len - i >= 5 && !memcmp(d + i, "<?xml", 5));
}

static void draw(struct buf *out, const struct plot_item *const *items,
		 size_t n)
{
	struct buf cap = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct plot_src *s = items[i]->src;
		const unsigned char *d = s->data;
		const char *title = NULL, *why = NULL;
		struct json *decl = NULL;
		struct err ignore;
		uint32_t w = 0, h = 0;
		int png = 0;

		if (s->as[5] == ' ' &&
		    json_parse(s->as + 6, strlen(s->as + 6), "plots", &decl,
			       &ignore) == 0)
			title = json_str(decl, "title");
		buf_truncate(&cap, 0);
		if (s->label && *s->label)
			buf_addf(&cap, "%s: ", s->label);
		if (title)
			buf_addf(&cap, "%s (%s)", title, s->name);
		else
			buf_adds(&cap, s->name);
		if (s->len > IMAGE_MAX)
			why = "over 8 MiB: too big to put in the page";
		else if (png_size(d, s->len, &w, &h) == 0)
			png = 1;
		else if (!is_svg(d, s->len))
			why = "neither a PNG nor an SVG";
		plot_figure_open(out, "image");
		if (why) {
			buf_adds(out, "<p class=\"note\">");
			plot_esc(out, why);
			buf_adds(out, "</p>");
		} else {
			buf_addf(out, "<img alt=\"");
			plot_esc(out, cap.data);
			if (png)
				buf_addf(out, "\" width=\"%u\" height=\"%u",
					 (unsigned)w, (unsigned)h);
			buf_addf(out, "\" style=\"max-width:100%%;height:auto\" "
				      "src=\"data:image/%s;base64,",
				 png ? "png" : "svg+xml");
			base64(out, d, s->len);
			buf_adds(out, "\">");
		}
		plot_figure_close(out, cap.data);
		json_free(decl);
	}
	buf_release(&cap);
}

const struct plot_drawer plot_image_drawer = { "image", mine, draw };
