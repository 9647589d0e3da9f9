/*
 * tests/unit/test_ratelimit.c -- the token bucket against a fake clock:
 * the long-run rate is exact, bursts stay small, unlimited means unlimited.
 */
#include "net/ratelimit.h"
#include "unit/t.h"

static uint64_t run(double rate, int64_t step_ns, int64_t total_ns, uint64_t want_per_step)
{
    struct ratelimit r;
    ratelimit_init(&r, rate, 0);
    uint64_t got = 0;
    for (int64_t t = 0; t <= total_ns; t += step_ns)
        got += ratelimit_take(&r, want_per_step, t);
    return got;
}

int main(void)
{
    /* over 10 s, granted tokens = rate * 10 (+1 initial), whatever the polling step */
    double rates[] = {1, 10, 1000, 12345, 100000, 1000000};
    int64_t steps[] = {100000, 1000000, 7000000};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
            uint64_t got = run(rates[i], steps[k], 10000000000LL, 1u << 30);
            double want = rates[i] * 10;
            double errp = (double)got / want - 1;
            if (errp < 0) errp = -errp;
            CHECK_MSG(errp < 0.01 || (double)got - want <= 2,
                      "rate %.0f step %lld: got %llu want %.0f", rates[i], (long long)steps[k],
                      (unsigned long long)got, want);
        }
    }
    /* burst: after a long idle, at most 1 ms worth (>= 1) is available at once */
    struct ratelimit r;
    ratelimit_init(&r, 100000, 0);
    uint64_t b = ratelimit_take(&r, 1u << 30, 5000000000LL);
    CHECK(b <= 100 && b >= 1);
    ratelimit_init(&r, 10, 0);
    CHECK_INT(ratelimit_take(&r, 1000, 5000000000LL), 1);
    /* wait time: with no token, the wait is about 1/rate */
    ratelimit_init(&r, 1000, 0);
    ratelimit_take(&r, 1, 0);
    int64_t w = ratelimit_wait_ns(&r, 0);
    CHECK(w > 900000 && w <= 1000001);
    CHECK_INT(ratelimit_wait_ns(&r, 2000000), 0);
    /* unlimited */
    ratelimit_init(&r, 0, 0);
    CHECK_INT(ratelimit_take(&r, 5000000, 0), 5000000);
    CHECK_INT(ratelimit_wait_ns(&r, 0), 0);
    return T_END();
}
