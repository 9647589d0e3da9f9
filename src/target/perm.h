/*
 * target/perm.h -- a pseudo-random permutation of [0, n), shardable and
 * seekable, in constant memory: the multiplicative cyclic group modulo a
 * prime p > n (the idea ZMap uses).
 *
 * The group {1, ..., p-1} under multiplication mod p is cyclic: a generator
 * g visits every element once in p-1 steps. Starting at x0 and multiplying by
 * g gives the cycle x_k = x0 * g^k; element x stands for index x - 1, and the
 * few elements above n (p is the smallest prime above n, so fewer than a
 * prime gap) are skipped. g and x0 come from the seed only, so the same seed
 * and n give the same order everywhere.
 *
 * Shard i of m takes the cycle positions k = i, i+m, i+2m, ...: it starts at
 * x0 * g^i and steps by g^m. The shards are disjoint and together complete by
 * construction. The checkpoint is the number of steps taken (skipped
 * elements included), and seeking to it is one modular exponentiation.
 *
 * n is limited to PERM_MAX_N (2^62) so that p fits comfortably in 63 bits and
 * every product fits in unsigned __int128.
 */
#ifndef AJAR_TARGET_PERM_H
#define AJAR_TARGET_PERM_H

#include "core/util.h"

#include <stdbool.h>
#include <stdint.h>

#define PERM_MAX_N (UINT64_C(1) << 62)

/* No heap: copy it, drop it. */
struct perm {
    uint64_t n;     /* indexes [0, n) */
    uint64_t p;     /* smallest prime > n; 0 when n == 0 */
    uint64_t g;     /* generator of (Z/p)*, from the seed */
    uint64_t x0;    /* cycle start, from the seed */
    uint64_t first; /* x0 * g^shard: this shard's first element */
    uint64_t step;  /* g^nshards */
    uint64_t x;     /* the element the next step looks at */
    uint64_t pos;   /* steps taken */
    uint64_t limit; /* steps in this shard */
    uint32_t shard, nshards;
};

/* Set up shard `shard` of `nshards` over [0, n). -1 and e->msg when n >= PERM_MAX_N,
 * nshards == 0 or shard >= nshards. n == 0 gives an empty walk. */
int perm_init(struct perm *pm, uint64_t n, uint64_t seed, uint32_t shard, uint32_t nshards,
              struct err *e);
/* Next index of the shard into *idx: 1, or 0 when the shard is done. */
int perm_next(struct perm *pm, uint64_t *idx);
/* Resume after `pos` steps. -1 (unchanged) when pos > the shard's step count. */
int perm_seek(struct perm *pm, uint64_t pos);

/* The number theory underneath, exposed for tests. */
uint64_t perm_mulmod(uint64_t a, uint64_t b, uint64_t m);
uint64_t perm_powmod(uint64_t b, uint64_t e, uint64_t m);
/* Deterministic Miller-Rabin, exact for every 64-bit n. */
bool perm_is_prime(uint64_t n);
/* Smallest prime > n (n < 2^63). */
uint64_t perm_next_prime(uint64_t n);
/* Distinct prime factors of n >= 1, ascending, into f (at most 15 exist below 2^64). */
int perm_factor(uint64_t n, uint64_t f[15]);
/* Is g a generator of (Z/p)*, given the distinct prime factors q of p-1? */
bool perm_is_generator(uint64_t g, uint64_t p, const uint64_t *q, int nq);

#endif
