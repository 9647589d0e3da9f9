/*
 * net/ratelimit.h -- a token bucket for new connections per second.
 *
 * Tokens accrue continuously at `rate` per second up to `burst`; taking one
 * spends it. Time is passed in (nanoseconds, monotonic) so the unit tests
 * drive it with a fake clock and the engine with the real one. The burst
 * is small (1 ms of tokens, at least 1) so that the rate holds over any
 * window longer than a few milliseconds.
 */
#ifndef AJAR_NET_RATELIMIT_H
#define AJAR_NET_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
    double rate; /* tokens per second; <= 0 means unlimited */
    double burst;
    double tokens;
    int64_t last_ns;
};

void ratelimit_init(struct ratelimit *r, double rate, int64_t now_ns);
/* Take up to `want` tokens; returns how many were granted. */
uint64_t ratelimit_take(struct ratelimit *r, uint64_t want, int64_t now_ns);
/* Nanoseconds until the next token (0 if one is available now). */
int64_t ratelimit_wait_ns(const struct ratelimit *r, int64_t now_ns);
int64_t ratelimit_now_ns(void);

#endif
