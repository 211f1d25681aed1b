/*
 * chunker.h: content-defined chunking (FastCDC-style gear hash with
 * normalised chunking).  A boundary depends only on the 64 bytes before
 * it, so an edit moves the boundaries near it and no others: a file edited
 * in one place shares all but a few chunks with the old version.
 *
 * The gear table and masks are part of the store format
 * (docs/store-format.md): changing them changes no id, only how well new
 * data deduplicates against old.
 */
#ifndef CAIRN_CHUNKER_H
#define CAIRN_CHUNKER_H

#include <stddef.h>
#include <stdint.h>

struct chunk_params {
	size_t min, avg, max;	/* avg a power of two, min < avg < max */
};

/* 256 KiB / 1 MiB / 4 MiB. */
#define CHUNK_MIN_DEFAULT ((size_t)256 << 10)
#define CHUNK_AVG_DEFAULT ((size_t)1 << 20)
#define CHUNK_MAX_DEFAULT ((size_t)4 << 20)

/* 0 when p is usable, else -1 (avg not a power of two, order wrong). */
int chunk_params_check(const struct chunk_params *p);

/*
 * Length of the chunk that starts at data, n bytes available.  Call with
 * at least p->max bytes unless they are the last of the data: a boundary
 * is only final when the bytes after it could not move it.
 */
size_t chunk_next(const struct chunk_params *p, const unsigned char *data,
		  size_t n);

/* Entry i of the gear table (for the tests that pin it). */
uint64_t chunk_gear(int i);

#endif
