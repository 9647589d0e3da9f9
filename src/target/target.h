/*
 * target/target.h -- what to scan: target specs, ports, excludes, the
 * reserved-range blocklist, and the pseudo-random, shardable walk over every
 * (address, port) pair.
 *
 * A target set is built once from what the user typed (addresses, CIDRs,
 * ranges, host:port pairs, host names, -iL files, excludes). It is stored as
 * a short sorted list of address segments, never as one entry per address: a
 * /8 or the whole IPv4 space costs a handful of segments, so memory does not
 * grow with the number of targets. Every pair has an index in [0, N); a
 * target_iter walks those indexes in the order of a multiplicative cyclic
 * group modulo a prime p > N (as ZMap does), shard i of n taking the cycle
 * positions k = i (mod n). The walk depends only on the seed and the set,
 * never on the machine, so shards run on different machines cover every pair
 * exactly once between them, and a checkpoint (the number of steps taken)
 * resumes a shard exactly where it stopped.
 *
 * The rules (blocklist, named-only private ranges, excludes) and the syntax
 * are documented in docs/targets.md.
 */
#ifndef AJAR_TARGET_H
#define AJAR_TARGET_H

#include "core/util.h"
#include "target/perm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct target_set; /* opaque; owns everything */

struct target_opts {
    const char *ports;          /* -p spec, NULL = default list */
    const char *const *exclude; /* --exclude items (each may be "a,b,c"), n_exclude of them */
    size_t n_exclude;
    const char *const *exclude_files; /* --exclude-file paths */
    size_t n_exclude_files;
    const char *const *input_files; /* -iL paths ("-" = stdin) */
    size_t n_input_files;
    bool no_resolve; /* refuse host names instead of resolving them */
    /* --resolve NAME:ADDRESS pins (curl's idea): NAME is scanned at ADDRESS, SNI and Host keep
     * NAME, no DNS */
    const char *const *resolve;
    size_t n_resolve;
};

/*
 * Parse target specs + options into *out (the caller frees it with
 * target_set_free). Each spec may hold several items separated by commas.
 * o may be NULL (default ports, no excludes). On a bad target, port or
 * exclude: -1, *out untouched, and e->msg names it ("bad target
 * '10.0.0.300': ..."). A set whose every target was removed by the blocklist
 * or the excludes is not an error: its size is 0. No spec at all is.
 */
int target_set_new(struct target_set **out, const char *const *specs, size_t nspecs,
                   const struct target_opts *o, struct err *e);
void target_set_free(struct target_set *t);
/* Number of (address, port) pairs after the blocklist and the excludes. */
uint64_t target_set_size(const struct target_set *t);
/* Number of addresses (an address given twice, under two names or with two
 * different host:port ports, counts twice). */
uint64_t target_set_naddr(const struct target_set *t);
/* The -p list (sorted, unique), owned by the set. host:port targets use their own port instead. */
size_t target_set_nports(const struct target_set *t);
const uint16_t *target_set_ports(const struct target_set *t);
/* Number of address segments the set is stored as (diagnostics, tests). */
size_t target_set_nsegments(const struct target_set *t);

struct target {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes, the rest zero */
    uint16_t port;
    const char *host; /* the name the user gave (resolved), or NULL; owned by the set */
};

/* "127.0.0.1" / "::1" into out (n >= 46 always suffices; truncated otherwise). */
void target_addr_str(const struct target *t, char *out, size_t n);

/*
 * The pair with index idx in [0, target_set_size) (the permutation maps
 * cycle elements to these indexes). O(log segments). Returns 0, or -1 when
 * idx is out of range.
 */
int target_set_get(const struct target_set *t, uint64_t idx, struct target *out);

/*
 * Is (family, addr, port) one of the set's pairs, under any host name? A
 * linear pass over the segments (a few hundred at most for typical input):
 * for scope checks and tests, not for a per-packet path.
 */
bool target_set_contains(const struct target_set *t, int family, const uint8_t addr[16],
                         uint16_t port);

/*
 * Walk shard `shard` of `nshards` (0-based) in the pseudo-random order fixed
 * by seed. The iterator holds no heap memory and borrows t, which must
 * outlive it. Fails (-1, e->msg) when shard >= nshards or nshards == 0.
 */
struct target_iter {
    const struct target_set *set;
    struct perm perm;
};
int target_iter_init(struct target_iter *it, const struct target_set *t, uint64_t seed,
                     uint32_t shard, uint32_t nshards, struct err *e);
/* Skip to a checkpoint: the walk resumes after `pos` steps (pos from target_iter_pos).
 * O(log p). Returns -1 (iterator unchanged) when pos is past the end of the shard. */
int target_iter_seek(struct target_iter *it, uint64_t pos);
/* 1 = *out filled, 0 = shard done. */
int target_iter_next(struct target_iter *it, struct target *out);
/* Steps taken so far: the checkpoint to give target_iter_seek. */
uint64_t target_iter_pos(const struct target_iter *it);
/* Steps in the whole shard (pos reaches it when the shard is done): progress = pos / steps. */
uint64_t target_iter_steps(const struct target_iter *it);

/* ---- Ports ---- */

/*
 * Parse a -p spec: comma-separated numbers (1-65535), ranges ("9200-9300",
 * open "-1024" / "60000-", "-" alone = every port), service names ("redis")
 * and "default" (the default list). *out is sorted and unique, malloc'ed, and
 * the caller frees it; *n >= 1. -1 and e->msg on a bad item.
 */
int ports_parse(const char *spec, uint16_t **out, size_t *n, struct err *e);
/* The documented default list (docs/targets.md), as a -p spec. */
const char *ports_default_spec(void);
/* Service name (case-insensitive) -> port: "redis" -> 6379. 0 found, -1 unknown. */
int port_service_lookup(const char *name, uint16_t *port);
/* Port -> the service name ajar knows it by, or NULL ("6379" -> "redis"). */
const char *port_service_name(uint16_t port);
/* The names of single ports that are not catalogue services (tests). */
size_t port_names_count(void);
const char *port_name_at(size_t i);

#endif
