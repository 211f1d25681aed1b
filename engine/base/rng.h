/*
 * rng.h: the random numbers of the synthetic-data kinds: splitmix64 (a
 * small, well-mixed 64-bit generator), uniform doubles in (0, 1) and
 * standard normals (Box-Muller).  A generator is one 64-bit state, so a
 * kind gives every event or case its own, seeded by (seed, index), and its
 * output does not depend on how the work is split across threads.
 */
#ifndef CAIRN_RNG_H
#define CAIRN_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

/* A generator for item index of a run seeded with seed. */
static inline struct rng rng_for(uint64_t seed, uint64_t index)
{
	struct rng r = { seed * 0x100000001b3ULL ^ index };
	return r;
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1): never 0, so log() of it is finite. */
static inline double rng_uniform(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static inline double rng_normal(struct rng *r)
{
	return sqrt(-2.0 * log(rng_uniform(r))) * cos(2 * M_PI * rng_uniform(r));
}

#endif
