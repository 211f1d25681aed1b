/*
 * pngenc.h: pictures as PNG (libpng), written to memory with nothing of the
 * moment or the machine in them (no time chunk, fixed compression), so the
 * same pixels give the same bytes; and bytes as a base64 data: URI, the
 * way an HTML page carries a picture inline.
 */
#ifndef CAIRN_PNGENC_H
#define CAIRN_PNGENC_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Append the PNG of an 8-bit RGB image, rows top first (w x h x 3 bytes);
 * 0, or -1 when w or h is 0 or above 2^16 or libpng fails. */
int png_rgb(struct buf *out, const uint8_t *rgb, unsigned w, unsigned h);

/* Append data[0..len) as base64 (RFC 4648, padded). */
void base64(struct buf *out, const void *data, size_t len);

#endif
