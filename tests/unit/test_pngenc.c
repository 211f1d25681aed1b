/*
 * unit.pngenc: the PNG writer (engine/formats/pngenc.c) read back by
 * libpng, pixel for pixel, the same bytes twice; base64 against RFC 4648's
 * vectors.
 */
#include <png.h>
#include <stdint.h>

#include "buf.h"
#include "check.h"
#include "pngenc.h"

struct reader {
	const unsigned char *p;
	size_t len, at;
};

static void get(png_structp png, png_bytep out, size_t n)
{
	struct reader *r = png_get_io_ptr(png);

	if (r->at + n > r->len)
		png_error(png, "short");
	memcpy(out, r->p + r->at, n);
	r->at += n;
}

/* The pixels of PNG b (RGB, 8 bits) into rgb; 0, or -1. */
static int decode(const struct buf *b, unsigned w, unsigned h, uint8_t *rgb)
{
	struct reader r = { (const unsigned char *)b->data, b->len, 0 };
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL,
						 NULL, NULL);
	png_infop info = png_create_info_struct(png);
	png_bytep *rows;
	unsigned y;
	int ok = -1;

	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		return -1;
	}
	png_set_read_fn(png, &r, get);
	png_read_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
	if (png_get_image_width(png, info) == w &&
	    png_get_image_height(png, info) == h &&
	    png_get_color_type(png, info) == PNG_COLOR_TYPE_RGB &&
	    png_get_bit_depth(png, info) == 8) {
		rows = png_get_rows(png, info);
		for (y = 0; y < h; y++)
			memcpy(rgb + (size_t)y * w * 3, rows[y], (size_t)w * 3);
		ok = 0;
	}
	png_destroy_read_struct(&png, &info, NULL);
	return ok;
}

static void b64(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	base64(&b, in, strlen(in));
	buf_addc(&b, '\0');
	CHECK_STR(b.data, want);
	buf_release(&b);
}

int main(void)
{
	enum { W = 37, H = 11 };
	uint8_t img[W * H * 3], back[W * H * 3];
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + i / 13);
	CHECK_INT(png_rgb(&a, img, W, H), 0);
	CHECK_INT(png_rgb(&b, img, W, H), 0);
	CHECK(a.len > 8 && a.len == b.len && !memcmp(a.data, b.data, a.len));
	CHECK(!memcmp(a.data, "\x89PNG\r\n\x1a\n", 8));
	/* No time chunk: nothing of the moment in the bytes. */
	for (i = 0; i + 4 <= a.len; i++)
		CHECK(memcmp(a.data + i, "tIME", 4));
	memset(back, 0, sizeof(back));
	CHECK_INT(decode(&a, W, H, back), 0);
	CHECK(!memcmp(img, back, sizeof(img)));
	/* Sizes it refuses, leaving out as it was. */
	CHECK_INT(png_rgb(&a, img, 0, H), -1);
	CHECK_INT(png_rgb(&a, img, W, 0), -1);
	CHECK_INT(png_rgb(&a, img, 65537, 1), -1);
	CHECK_INT(a.len, b.len);

	b64("", "");
	b64("f", "Zg==");
	b64("fo", "Zm8=");
	b64("foo", "Zm9v");
	b64("foob", "Zm9vYg==");
	b64("fooba", "Zm9vYmE=");
	b64("foobar", "Zm9vYmFy");
	b64("\xff\xfe\xfd", "//79");
	buf_release(&a);
	buf_release(&b);
	return check_done("test_pngenc");
}
