/*
 * net/rdns.h -- reverse DNS (PTR) names of the addresses a scan found, for
 * `ajar scan --rdns` (docs/attribution.md, "Names: --rdns").
 *
 * A resolver stage off the engine's loop: rdns_want() queues an address
 * (once per address) and returns at once; a thread of its own drives a
 * c-ares channel (at most RDNS_MAX_INFLIGHT queries at once, each query
 * bounded by a per-try timeout and two tries) against the system's resolver
 * or the one --resolver names, never anything else. rdns_names() says
 * whether an address's names are known: an address is settled when its
 * answer came or when its deadline (asked + timeout) passed, whichever is
 * first, so nothing waits on a silent resolver longer than the timeout.
 *
 * Every answer is hostile: at most RDNS_MAX_PTR names per address are
 * kept, each checked as a host name (rdns_name_norm) and capped at 253
 * bytes; the rest are dropped.
 */
#ifndef AJAR_NET_RDNS_H
#define AJAR_NET_RDNS_H

#include "core/finding.h"
#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RDNS_MAX_PTR        4       /* PTR names kept per address */
#define RDNS_MAX_INFLIGHT   64      /* queries at once */
#define RDNS_MAX_ADDRS      1000000 /* addresses looked up per scan; past it, none */
#define RDNS_TIMEOUT_MS_DEF 3000

struct rdns_opts {
    const char *resolver; /* "ADDR", "ADDR:PORT", "[V6]:PORT"; NULL: the system's */
    int timeout_ms;       /* per address, from rdns_want (default RDNS_TIMEOUT_MS_DEF) */
};

/* A resolver address: an explicit IPv4 or IPv6 address and an optional port (default 53). */
struct rdns_server {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint16_t port;
};
/* Parse --resolver's value: 0, or -1 with e set (a name, a bad port, junk). */
int rdns_server_parse(const char *s, struct rdns_server *out, struct err *e);

struct rdns;
int rdns_open(struct rdns **out, const struct rdns_opts *o, struct err *e);
/* Stop the thread (queries still out are abandoned) and free everything. NULL is fine. */
void rdns_close(struct rdns *r);
/* Ask for ip's PTR names (a numeric address); again for the same address: nothing. */
void rdns_want(struct rdns *r, const char *ip);
/*
 * Are ip's names settled? 1: yes, names[0..*n) filled (possibly none: no answer in time, no
 * name, or an address never asked for); 0: not yet (asked, answer pending, deadline ahead).
 */
int rdns_names(struct rdns *r, const char *ip, char names[][FINDING_HOSTNAME_MAX + 1], int *n);
/* Milliseconds until every address asked so far is settled at the latest (0: all are). */
int64_t rdns_pending_ms(struct rdns *r);

/*
 * A host name as the record keeps it, from untrusted bytes (p, n): one trailing dot dropped,
 * lowercase, 1..253 bytes, labels of 1..63 letters, digits, '-' or '_' not starting or ending
 * with '-', the last label not all digits (an address is not a name); with wildcard, a leftmost
 * "*" label is kept as written. Returns the length written to out (size > 253), 0 when rejected.
 */
size_t rdns_name_norm(char *out, size_t outsz, const void *p, size_t n, bool wildcard);
/*
 * Fill f's hostnames: the PTR names (settled, from rdns_names) first, then the certificate's
 * subject CN and SAN DNS names (wildcards kept), each normalised, deduplicated, at most
 * FINDING_MAX_HOSTNAMES; sets f->rdns.
 */
void rdns_fill(struct finding *f, const char names[][FINDING_HOSTNAME_MAX + 1], int n);

#endif
