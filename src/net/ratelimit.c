/*
 * net/ratelimit.c -- token bucket (see ratelimit.h).
 */
#include "net/ratelimit.h"

#include <time.h>

void ratelimit_init(struct ratelimit *r, double rate, int64_t now_ns)
{
    r->rate = rate;
    r->burst = rate > 0 ? rate / 1000.0 : 0;
    if (r->burst < 1) r->burst = 1;
    r->tokens = 1; /* start with one so the first connection leaves at once */
    r->last_ns = now_ns;
}

static void refill(struct ratelimit *r, int64_t now_ns)
{
    if (now_ns > r->last_ns) {
        r->tokens += (double)(now_ns - r->last_ns) * r->rate / 1e9;
        if (r->tokens > r->burst) r->tokens = r->burst;
        r->last_ns = now_ns;
    }
}

uint64_t ratelimit_take(struct ratelimit *r, uint64_t want, int64_t now_ns)
{
    if (r->rate <= 0) return want;
    refill(r, now_ns);
    uint64_t have = r->tokens >= 1 ? (uint64_t)r->tokens : 0;
    uint64_t n = want < have ? want : have;
    r->tokens -= (double)n;
    return n;
}

int64_t ratelimit_wait_ns(const struct ratelimit *r, int64_t now_ns)
{
    if (r->rate <= 0) return 0;
    double t = r->tokens;
    if (now_ns > r->last_ns) t += (double)(now_ns - r->last_ns) * r->rate / 1e9;
    if (t >= 1) return 0;
    return (int64_t)((1 - t) * 1e9 / r->rate) + 1;
}

int64_t ratelimit_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
