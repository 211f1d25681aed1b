/*
 * h5digest.h: the digest of an HDF5 file's logical content: its groups
 * and datasets by name, their types, shapes and data, and every
 * attribute, in a canonical order and encoding (docs/hashing.md), so the
 * same data written twice (other object timestamps, layouts, chunking,
 * compression, free space) has one digest.
 */
#ifndef CAIRN_H5DIGEST_H
#define CAIRN_H5DIGEST_H

#include "digest.h"

struct err;

/*
 * 0 with the digest in out; -1 with why in err when path is not an HDF5
 * file or holds what the digest does not cover (compound, variable-length,
 * reference or other non-numeric types; links to other files): the caller
 * then takes the bytes' digest.
 */
int h5_digest(const char *path, struct digest *out, struct err *err);

#endif
