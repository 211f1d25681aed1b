/*
 * h5mutate.h: one change to an HDF5 file as a broken or hostile one would
 * have it, for fuzz_h5.  An inventory of a file's datasets and attributes
 * is taken once; each mutant is a copy with one object changed, chosen
 * with the generator: an attribute set to NaN, 0, -1 or a huge value,
 * made another type, an array or a string, or deleted; a dataset given a
 * huge extent (a header only: the file stays small), a zero or another
 * extent, another rank or type, bad values (NaN, inf, -1, 255, 2^31-1),
 * its data never written, rechunked and compressed (a valid control), or
 * deleted; the file truncated, or a bit flipped anywhere or in a
 * dataset's raw data.
 */
#ifndef CAIRN_H5MUTATE_H
#define CAIRN_H5MUTATE_H

#include <stddef.h>

struct rng;
struct h5inv;

/* The datasets and attributes of the file at path; NULL when it cannot
 * be read. */
struct h5inv *h5inv_take(const char *path);
void h5inv_free(struct h5inv *inv);

/*
 * Write to out a copy of in (inventoried as inv) with one change drawn
 * from r, described into what[0..n) ("attribute 'cases' of '/' = -1").
 * 0: made with the library (a well-formed HDF5 file); 1: made by changing
 * bytes (the file may be corrupt); -1: that change could not be made
 * (draw again).
 */
int h5_mutate(const struct h5inv *inv, const char *in, const char *out,
	      struct rng *r, char *what, size_t n);

#endif
