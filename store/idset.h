/*
 * idset.h: a set of digests (open addressing), for gc's marks and fsck's
 * reference counts, and what a push or pull has seen (engine/remote).
 */
#ifndef CAIRN_IDSET_H
#define CAIRN_IDSET_H

#include <stddef.h>

#include "digest.h"

struct idset {
	struct digest *slots;
	unsigned char *used;
	size_t cap, len;
};

void idset_init(struct idset *s);
void idset_release(struct idset *s);
/* Add id; return 1 when it was new, 0 when already present. */
int idset_add(struct idset *s, const struct digest *id);
int idset_has(const struct idset *s, const struct digest *id);

#endif
