#include <png.h>
#include <setjmp.h>
#include <stdlib.h>

#include "buf.h"
#include "pngenc.h"
#include "util.h"

static void put(png_structp p, png_bytep data, size_t len)
{
	buf_add(png_get_io_ptr(p), data, len);
}

static void flush(png_structp p)
{
	(void)p;
}

int png_rgb(struct buf *out, const uint8_t *rgb, unsigned w, unsigned h)
{
	png_structp p;
	png_infop info;
	png_bytep *rows;
	size_t before = out->len;
	unsigned y;

	if (!w || !h || w > 65536 || h > 65536)
		return -1;
	p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!p)
		return -1;
	info = png_create_info_struct(p);
	rows = xcalloc(h, sizeof(*rows));
	if (!info || setjmp(png_jmpbuf(p))) {
		png_destroy_write_struct(&p, &info);
		free(rows);
		buf_truncate(out, before);
		return -1;
	}
	for (y = 0; y < h; y++)
		rows[y] = (png_bytep)(rgb + (size_t)y * w * 3);
	png_set_write_fn(p, out, put, flush);
	png_set_compression_level(p, 6);
	png_set_IHDR(p, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_rows(p, info, rows);
	png_write_png(p, info, PNG_TRANSFORM_IDENTITY, NULL);
	png_destroy_write_struct(&p, &info);
	free(rows);
	return 0;
}

void base64(struct buf *out, const void *data, size_t len)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789+/";
	const unsigned char *s = data;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 |
			     s[i + 2];
		char q[4] = { abc[v >> 18], abc[v >> 12 & 63], abc[v >> 6 & 63],
			      abc[v & 63] };
		buf_add(out, q, 4);
	}
	if (i < len) {
		unsigned v = (unsigned)s[i] << 16 |
			     (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0);
		char q[4] = { abc[v >> 18], abc[v >> 12 & 63],
			      i + 1 < len ? abc[v >> 6 & 63] : '=', '=' };
		buf_add(out, q, 4);
	}
}
