/*
 * pngcheck: is a screenshot a picture, or blank?  For the report's browser
 * test (tests/e2e/report_browser.sh).
 *
 *   pngcheck FILE MIN_COLOURS MIN_INK_PERCENT
 *
 * Prints "WIDTHxHEIGHT, N colours, P% not white" and exits 0 when the
 * image has at least MIN_COLOURS distinct colours and at least
 * MIN_INK_PERCENT of its pixels are not white; 1 when it has fewer (a
 * blank or one-colour page), 2 when it cannot be read as a PNG.
 */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	png_image im;
	unsigned char *px, *seen;
	size_t i, n, colours = 0, ink = 0;
	double pct;

	if (argc != 4) {
		fprintf(stderr, "usage: pngcheck FILE MIN_COLOURS "
				"MIN_INK_PERCENT\n");
		return 2;
	}
	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&im, argv[1])) {
		fprintf(stderr, "pngcheck: '%s': %s\n", argv[1], im.message);
		return 2;
	}
	im.format = PNG_FORMAT_RGB;
	px = malloc(PNG_IMAGE_SIZE(im));
	seen = calloc(1 << 21, 1);	/* a bit per 24-bit colour */
	if (!px || !seen ||
	    !png_image_finish_read(&im, NULL, px, 0, NULL)) {
		fprintf(stderr, "pngcheck: '%s': %s\n", argv[1],
			px && seen ? im.message : "out of memory");
		png_image_free(&im);
		return 2;
	}
	n = (size_t)im.width * im.height;
	for (i = 0; i < n; i++) {
		uint32_t c = (uint32_t)px[3 * i] << 16 |
			     (uint32_t)px[3 * i + 1] << 8 | px[3 * i + 2];
		if (!(seen[c >> 3] & (1 << (c & 7)))) {
			seen[c >> 3] |= (unsigned char)(1 << (c & 7));
			colours++;
		}
		ink += c != 0xffffff;
	}
	pct = n ? 100.0 * (double)ink / (double)n : 0;
	printf("%ux%u, %zu colours, %.1f%% not white\n", im.width, im.height,
	       colours, pct);
	free(px);
	free(seen);
	return colours >= strtoul(argv[2], NULL, 10) &&
			       pct >= strtod(argv[3], NULL)
		       ? 0
		       : 1;
}
