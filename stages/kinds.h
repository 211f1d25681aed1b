/*
 * kinds.h: the registry of built-in stage kinds.  Each kind will be one
 * file in stages/ with its descriptor (name, settings schema, inputs,
 * outputs, run function, code version); the graph loader only asks
 * whether a kind exists and what the known ones are.
 */
#ifndef CAIRN_KINDS_H
#define CAIRN_KINDS_H

#include <stddef.h>

struct stage_kind {
	const char *name;
	const char *summary;
};

/* All built-in kinds; *n is their number (0 until kinds are added). */
const struct stage_kind *kinds_list(size_t *n);
/* The kind named name, or NULL. */
const struct stage_kind *kind_find(const char *name);

#endif
