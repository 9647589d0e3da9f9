/*
 * tests/unit/test_perm.c -- the cyclic-group permutation (target/perm.h) and
 * the walk over target sets: a bijection onto [0, N), shards disjoint and
 * complete, checkpoints that resume exactly, seeds that matter, and the whole
 * IPv4 space in constant memory.
 */
#include "target/target.h"
#include "unit/t.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

static const uint32_t shard_counts[] = {1, 2, 3, 4, 7};

/* ---- number theory ---- */

static void test_number_theory(void)
{
    CHECK(!perm_is_prime(0));
    CHECK(!perm_is_prime(1));
    CHECK(perm_is_prime(2));
    CHECK(perm_is_prime(3));
    CHECK(!perm_is_prime(4));
    CHECK(!perm_is_prime(561));         /* Carmichael */
    CHECK(!perm_is_prime(3215031751u)); /* strong pseudoprime to bases 2, 3, 5, 7 */
    CHECK(perm_is_prime(65537));
    CHECK(perm_is_prime(1000003));
    CHECK(perm_is_prime(2147483647u));
    CHECK(perm_is_prime(UINT64_C(4611686018427387847))); /* 2^62 - 57 */
    CHECK(!perm_is_prime(UINT64_C(4611686018427387849)));
    CHECK(perm_is_prime(UINT64_C(18446744073709551557))); /* 2^64 - 59 */
    CHECK(!perm_is_prime(UINT64_C(2147483647) * 2147483629u));

    CHECK_INT(perm_next_prime(0), 2);
    CHECK_INT(perm_next_prime(1), 2);
    CHECK_INT(perm_next_prime(2), 3);
    CHECK_INT(perm_next_prime(7), 11);
    CHECK_INT(perm_next_prime(65536), 65537);
    CHECK_INT(perm_next_prime(65537), 65539);
    CHECK(perm_next_prime(UINT64_C(4611686018427387846)) == UINT64_C(4611686018427387847));
    CHECK(perm_next_prime(UINT64_C(4611686018427387847)) == UINT64_C(4611686018427388039));

    uint64_t f[15];
    int nf = perm_factor(UINT64_C(1) << 40, f);
    CHECK(nf == 1 && f[0] == 2);
    nf = perm_factor(2 * 3 * 5 * 7 * 11 * 13, f);
    CHECK(nf == 6 && f[0] == 2 && f[5] == 13);
    /* two primes near 2^31: trial division alone would be slow, rho is not */
    nf = perm_factor(UINT64_C(2147483647) * 2147483629u * 2, f);
    CHECK(nf == 3 && f[0] == 2 && f[1] == 2147483629u && f[2] == 2147483647u);
    nf = perm_factor(UINT64_C(4611686018427387846), f); /* p-1 for p = 2^62 - 57 */
    uint64_t prod = 1;
    for (int i = 0; i < nf; i++) {
        CHECK(perm_is_prime(f[i]));
        prod *= f[i];
    }
    CHECK(nf >= 1 && UINT64_C(4611686018427387846) % prod == 0);
    nf = perm_factor(1, f);
    CHECK_INT(nf, 0);

    /* 3 generates (Z/7)*, 2 does not (2^3 = 1) */
    uint64_t q7[] = {2, 3};
    CHECK(perm_is_generator(3, 7, q7, 2));
    CHECK(!perm_is_generator(2, 7, q7, 2));
    CHECK(!perm_is_generator(6, 7, q7, 2));
    CHECK_INT(perm_powmod(3, 6, 7), 1);
    CHECK(perm_mulmod(UINT64_C(0xffffffffffffffff), UINT64_C(0xffffffffffffffff),
                      UINT64_C(18446744073709551557)) == 3364);
}

/* ---- the permutation alone ---- */

static uint8_t *bitmap_new(uint64_t n)
{
    return calloc((size_t)(n / 8 + 1), 1);
}

static bool bit_test_set(uint8_t *b, uint64_t i)
{
    bool was = (b[i >> 3] >> (i & 7)) & 1;
    b[i >> 3] |= (uint8_t)(1u << (i & 7));
    return was;
}

/* Every shard config: union of the shards is [0, n), each index once. */
static void check_perm_cover(uint64_t n, uint64_t seed)
{
    for (size_t c = 0; c < ARRAY_LEN(shard_counts); c++) {
        uint32_t ns = shard_counts[c];
        uint8_t *bm = bitmap_new(n);
        uint64_t seen = 0, dup = 0, out = 0;
        for (uint32_t s = 0; s < ns; s++) {
            struct perm pm;
            struct err e;
            if (perm_init(&pm, n, seed, s, ns, &e) < 0) {
                CHECK_MSG(0, "perm_init n=%" PRIu64 ": %s", n, e.msg);
                continue;
            }
            uint64_t idx;
            while (perm_next(&pm, &idx)) {
                if (idx >= n) {
                    out++;
                    continue;
                }
                if (bit_test_set(bm, idx)) dup++;
                seen++;
            }
            CHECK(pm.pos == pm.limit);
        }
        CHECK_MSG(dup == 0 && out == 0 && seen == n,
                  "n=%" PRIu64 " shards=%u: %" PRIu64 " seen, %" PRIu64 " dup, %" PRIu64 " out", n,
                  ns, seen, dup, out);
        free(bm);
    }
}

static void test_perm_sizes(void)
{
    static const uint64_t sizes[] = {1,  2,  3,  4,   5,     6,     7,      8,
                                     11, 12, 13, 100, 65536, 65537, 1000003};
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++)
        check_perm_cover(sizes[i], 42 + i);
    for (uint64_t n = 1; n < 60; n++)
        check_perm_cover(n, n * 7919);

    struct perm pm;
    struct err e;
    uint64_t idx;
    CHECK(perm_init(&pm, 0, 1, 0, 1, &e) == 0);
    CHECK(perm_next(&pm, &idx) == 0);
    CHECK(perm_init(&pm, 10, 1, 0, 0, &e) < 0);
    CHECK(perm_init(&pm, 10, 1, 3, 3, &e) < 0);
    CHECK(perm_init(&pm, PERM_MAX_N, 1, 0, 1, &e) < 0 && strstr(e.msg, "2^62"));
    CHECK(perm_init(&pm, UINT64_MAX, 1, 0, 1, &e) < 0);

    /* more shards than elements: the extra shards are empty, the rest still cover */
    uint8_t seen[3] = {0};
    int total = 0;
    for (uint32_t s = 0; s < 10; s++) {
        CHECK(perm_init(&pm, 3, 9, s, 10, &e) == 0);
        while (perm_next(&pm, &idx)) {
            CHECK(idx < 3 && !seen[idx]);
            if (idx < 3) seen[idx] = 1;
            total++;
        }
    }
    CHECK_INT(total, 3);

    /* near the limit: quick to set up, indexes in range and distinct */
    int64_t t0 = now_ms();
    uint64_t big = PERM_MAX_N - 1;
    CHECK(perm_init(&pm, big, 12345, 5, 7, &e) == 0);
    uint64_t prev[64];
    int bad = 0;
    for (int i = 0; i < 64; i++) {
        CHECK(perm_next(&pm, &prev[i]) == 1);
        if (prev[i] >= big) bad++;
        for (int j = 0; j < i; j++)
            if (prev[j] == prev[i]) bad++;
    }
    CHECK_INT(bad, 0);
    struct perm p2;
    CHECK(perm_init(&p2, big, 12345, 5, 7, &e) == 0);
    CHECK(perm_seek(&p2, pm.pos - 1) == 0);
    CHECK(perm_next(&p2, &idx) == 1 && idx == prev[63]);
    CHECK(perm_seek(&p2, p2.limit) == 0 && perm_next(&p2, &idx) == 0);
    CHECK(perm_seek(&p2, p2.limit + 1) < 0);
    CHECK_MSG(now_ms() - t0 < 2000, "%lld ms", (long long)(now_ms() - t0));
}

/* Checkpoints: walking k steps and seeking to k land on the same element. */
static void test_perm_seek(void)
{
    const uint64_t n = 1000;
    struct err e;
    int skips = 0;
    for (uint32_t ns = 1; ns <= 4; ns++) {
        for (uint32_t s = 0; s < ns; s++) {
            struct perm pm;
            CHECK(perm_init(&pm, n, 77, s, ns, &e) == 0);
            uint64_t pos[1100], val[1100];
            size_t k = 0;
            for (;;) {
                uint64_t p0 = pm.pos, idx;
                if (!perm_next(&pm, &idx)) break;
                pos[k] = p0;
                val[k++] = idx;
            }
            int bad = 0;
            CHECK(k == 0 || val[0] < n);
            for (size_t i = 0; i < k; i++) {
                struct perm q;
                uint64_t idx = UINT64_MAX;
                perm_init(&q, n, 77, s, ns, &e);
                if (perm_seek(&q, pos[i]) < 0 || perm_next(&q, &idx) != 1 || idx != val[i]) bad++;
                /* a seek into the skipped elements before val[i] lands on val[i] */
                perm_init(&q, n, 77, s, ns, &e);
                if (i + 1 < k && pos[i + 1] > pos[i] + 1) {
                    skips++;
                    if (perm_seek(&q, pos[i + 1] - 1) < 0 || perm_next(&q, &idx) != 1 ||
                        idx != val[i])
                        bad++;
                }
            }
            CHECK_MSG(bad == 0, "shard %u/%u: %d seeks wrong", s, ns, bad);
        }
    }
    CHECK(skips > 0); /* p = 1009: some elements are skipped, so that case was tested */
}

static void test_perm_seeds(void)
{
    struct perm a, b;
    struct err e;
    uint64_t x[200], y[200];
    CHECK(perm_init(&a, 65536, 1, 0, 1, &e) == 0);
    CHECK(perm_init(&b, 65536, 2, 0, 1, &e) == 0);
    int same = 0;
    for (int i = 0; i < 200; i++) {
        perm_next(&a, &x[i]);
        perm_next(&b, &y[i]);
        same += x[i] == y[i];
    }
    CHECK_MSG(same < 10, "%d of 200 equal", same);
    /* the same seed gives the same order */
    CHECK(perm_init(&b, 65536, 1, 0, 1, &e) == 0);
    int diff = 0;
    for (int i = 0; i < 200; i++) {
        perm_next(&b, &y[i]);
        diff += x[i] != y[i];
    }
    CHECK_INT(diff, 0);
    /* Different seeds usually pick different generators, not only a different start. */
    int gens = 0;
    uint64_t g0 = 0;
    for (uint64_t s = 0; s < 20; s++) {
        perm_init(&a, 1000003, s, 0, 1, &e);
        if (s == 0) g0 = a.g;
        gens += a.g != g0;
    }
    CHECK(gens >= 15);

    /*
     * Pinned values: the order must be the same on every machine and in every
     * version, or checkpoints and shards on other hosts stop matching. If this
     * changes on purpose, say so in the release notes.
     */
    CHECK(perm_init(&a, 1000, 2024, 0, 1, &e) == 0);
    uint64_t got[8];
    for (int i = 0; i < 8; i++)
        perm_next(&a, &got[i]);
    static const uint64_t want[8] = {131, 401, 306, 246, 155, 841, 637, 933};
    int bad = 0;
    for (int i = 0; i < 8; i++)
        bad += got[i] != want[i];
    CHECK_MSG(bad == 0,
              "order changed: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
              " %" PRIu64 " %" PRIu64,
              got[0], got[1], got[2], got[3], got[4], got[5], got[6], got[7]);
}

/* ---- through target sets: the mapping index -> (address, port) ---- */

static struct target_set *mkset(const char *spec, const char *ports)
{
    struct target_set *t = NULL;
    struct err e;
    struct target_opts o = {.ports = ports};
    const char *specs[] = {spec};
    if (target_set_new(&t, specs, 1, &o, &e) < 0) {
        CHECK_MSG(0, "target_set_new(%s): %s", spec, e.msg);
        return NULL;
    }
    return t;
}

static uint32_t v4(const struct target *t)
{
    return (uint32_t)t->addr[0] << 24 | (uint32_t)t->addr[1] << 16 | (uint32_t)t->addr[2] << 8 |
           t->addr[3];
}

/* A set of the IPv4 addresses [base, base + naddr) times the given ports. */
static void check_set_cover(const char *spec, const char *ports, uint32_t base, uint64_t naddr)
{
    struct target_set *t = mkset(spec, ports);
    if (!t) return;
    size_t np = target_set_nports(t);
    const uint16_t *pl = target_set_ports(t);
    uint64_t n = naddr * np;
    CHECK_MSG(target_set_size(t) == n, "%s: size %" PRIu64 " != %" PRIu64, spec, target_set_size(t),
              n);
    for (size_t c = 0; c < ARRAY_LEN(shard_counts); c++) {
        uint32_t ns = shard_counts[c];
        uint8_t *bm = bitmap_new(n);
        uint64_t seen = 0, dup = 0, out = 0;
        for (uint32_t s = 0; s < ns; s++) {
            struct target_iter it;
            struct err e;
            struct target tg;
            if (target_iter_init(&it, t, 99 + ns, s, ns, &e) < 0) {
                CHECK_MSG(0, "%s", e.msg);
                continue;
            }
            while (target_iter_next(&it, &tg)) {
                uint64_t a = v4(&tg) - base;
                size_t pi = 0;
                while (pi < np && pl[pi] != tg.port)
                    pi++;
                if (tg.family != AF_INET || a >= naddr || pi == np) {
                    out++;
                    continue;
                }
                if (bit_test_set(bm, a * np + pi)) dup++;
                seen++;
            }
        }
        CHECK_MSG(dup == 0 && out == 0 && seen == n,
                  "%s x %zu ports, %u shards: %" PRIu64 " seen, %" PRIu64 " dup, %" PRIu64 " out",
                  spec, np, ns, seen, dup, out);
        free(bm);
    }
    target_set_free(t);
}

static void test_set_cover(void)
{
    const uint32_t b10 = 10u << 24;
    check_set_cover("10.0.0.0", "80", b10, 1);
    check_set_cover("10.0.0.0-1", "80", b10, 2);
    check_set_cover("10.0.0.0-2", "80", b10, 3);
    check_set_cover("10.0.0.0-6", "80", b10, 7);
    check_set_cover("10.0.0.0-6", "80,443,6379", b10, 7);
    check_set_cover("10.0.0.0/16", "80", b10, 65536);
    check_set_cover("10.0.0.0-10.1.0.0", "80", b10, 65537);
    check_set_cover("10.0.0.0-10.15.66.66", "80", b10, 1000003);
    check_set_cover("10.0.0.0/12", "80,443,6379", b10, 1u << 20); /* 2^20 x 3 */
}

/* seek(pos) on a target iterator resumes exactly */
static void test_set_seek(void)
{
    struct target_set *t = mkset("10.0.0.0/16", "80,443");
    if (!t) return;
    struct err e;
    for (uint32_t ns = 1; ns <= 3; ns++) {
        struct target_iter a, b;
        struct target x, y;
        CHECK(target_iter_init(&a, t, 5, ns - 1, ns, &e) == 0);
        for (int i = 0; i < 12345; i++)
            target_iter_next(&a, &x);
        uint64_t pos = target_iter_pos(&a);
        CHECK(pos >= 12345 && pos <= target_iter_steps(&a));
        CHECK(target_iter_init(&b, t, 5, ns - 1, ns, &e) == 0);
        CHECK(target_iter_seek(&b, pos) == 0);
        CHECK(target_iter_pos(&b) == pos);
        int diff = 0, n = 0;
        for (;;) {
            int ra = target_iter_next(&a, &x), rb = target_iter_next(&b, &y);
            if (ra != rb) {
                diff++;
                break;
            }
            if (!ra) break;
            n++;
            if (memcmp(x.addr, y.addr, 16) || x.port != y.port) diff++;
        }
        CHECK_INT(diff, 0);
        CHECK(n > 0);
        CHECK(target_iter_seek(&b, target_iter_steps(&b) + 1) < 0);
    }
    /* different seeds, different orders */
    struct target_iter a, b;
    struct target x, y;
    target_iter_init(&a, t, 1, 0, 1, &e);
    target_iter_init(&b, t, 2, 0, 1, &e);
    int same = 0;
    for (int i = 0; i < 1000; i++) {
        target_iter_next(&a, &x);
        target_iter_next(&b, &y);
        same += memcmp(x.addr, y.addr, 4) == 0 && x.port == y.port;
    }
    CHECK_MSG(same < 20, "%d of 1000 equal", same);
    target_set_free(t);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Every range ajar must skip inside 0.0.0.0/0 (never and named-only). */
static bool v4_blocked(uint32_t a)
{
    static const struct {
        uint32_t net;
        int len;
    } bl[] = {
        {0x00000000, 8},  {0xe0000000, 4},  {0xf0000000, 4},  {0xc0000000, 24}, {0xc0000200, 24},
        {0xc6336400, 24}, {0xcb007100, 24}, {0x0a000000, 8},  {0xac100000, 12}, {0xc0a80000, 16},
        {0x7f000000, 8},  {0xa9fe0000, 16}, {0x64400000, 10}, {0xc6120000, 15},
    };
    for (size_t i = 0; i < ARRAY_LEN(bl); i++) {
        uint32_t mask = ~(uint32_t)0 << (32 - bl[i].len);
        if ((a & mask) == bl[i].net) return true;
    }
    return false;
}

static void test_whole_ipv4(void)
{
    int64_t t0 = now_ms();
    struct target_set *t = mkset("0.0.0.0/0", "80");
    if (!t) return;
    struct target_iter it;
    struct err e;
    CHECK(target_iter_init(&it, t, 2026, 0, 1, &e) == 0);
    int64_t dt = now_ms() - t0;
    CHECK_MSG(dt < 500, "set up in %lld ms", (long long)dt);
    CHECK_INT(target_set_size(t), 3702258688u);
    CHECK_MSG(target_set_nsegments(t) < 32, "%zu segments", target_set_nsegments(t));

    enum { M = 1000000 };
    uint32_t *a = malloc(M * sizeof *a);
    struct target tg;
    int blocked = 0, other = 0;
    for (int i = 0; i < M; i++) {
        if (target_iter_next(&it, &tg) != 1 || tg.family != AF_INET || tg.port != 80 || tg.host) {
            other++;
            a[i] = 0;
            continue;
        }
        a[i] = v4(&tg);
        blocked += v4_blocked(a[i]);
    }
    CHECK_INT(blocked, 0);
    CHECK_INT(other, 0);
    qsort(a, M, sizeof *a, u32_cmp);
    int dups = 0;
    for (int i = 1; i < M; i++)
        dups += a[i] == a[i - 1];
    CHECK_INT(dups, 0);
    /* spread out: a million draws from 3.7e9 touch every /8 that is not blocked */
    int octets = 0;
    for (int i = 0; i < M; i++)
        if (i == 0 || a[i] >> 24 != a[i - 1] >> 24) octets++;
    CHECK_MSG(octets > 200, "%d first octets", octets);
    free(a);
    target_set_free(t);

    /* every port too: 2.4e14 pairs, same constant memory */
    t0 = now_ms();
    t = mkset("0.0.0.0/0", "-");
    if (!t) return;
    CHECK(target_set_size(t) == UINT64_C(3702258688) * 65535);
    CHECK(target_iter_init(&it, t, 1, 3, 4, &e) == 0);
    CHECK(target_iter_next(&it, &tg) == 1 && !v4_blocked(v4(&tg)));
    CHECK_MSG(now_ms() - t0 < 500, "%lld ms", (long long)(now_ms() - t0));
    target_set_free(t);
}

int main(void)
{
    log_level = 0;
    test_number_theory();
    test_perm_sizes();
    test_perm_seek();
    test_perm_seeds();
    test_set_cover();
    test_set_seek();
    test_whole_ipv4();
    return T_END();
}
