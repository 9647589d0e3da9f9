/*
 * target/perm.c -- the cyclic-group permutation described in perm.h, and the
 * 64-bit number theory it needs: modular multiplication through unsigned
 * __int128, Miller-Rabin with the twelve prime bases that are exact below
 * 2^64, and factoring p-1 to test generators.
 *
 * Factoring is trial division by every number up to 2^16 and then, for the
 * cofactor (whose prime factors are all above 2^16, so at most three of
 * them below 2^62), a primality test and Brent's variant of Pollard's rho.
 * Trial division alone would need up to 2^31 divisions for an unlucky p-1
 * near 2^62; this way perm_init is microseconds for every n.
 *
 * Nothing here depends on the machine: the seed goes through splitmix64 (a
 * fixed integer mixer) to choose the generator and the start.
 */
#include "target/perm.h"

#include <inttypes.h>

uint64_t perm_mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    return (uint64_t)((unsigned __int128)a * b % m);
}

uint64_t perm_powmod(uint64_t b, uint64_t e, uint64_t m)
{
    if (m == 1) return 0;
    uint64_t r = 1;
    b %= m;
    while (e) {
        if (e & 1) r = perm_mulmod(r, b, m);
        b = perm_mulmod(b, b, m);
        e >>= 1;
    }
    return r;
}

bool perm_is_prime(uint64_t n)
{
    static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    if (n < 2) return false;
    for (size_t i = 0; i < ARRAY_LEN(bases); i++) {
        if (n == bases[i]) return true;
        if (n % bases[i] == 0) return false;
    }
    uint64_t d = n - 1;
    int s = 0;
    while ((d & 1) == 0) {
        d >>= 1;
        s++;
    }
    for (size_t i = 0; i < ARRAY_LEN(bases); i++) {
        uint64_t x = perm_powmod(bases[i], d, n);
        if (x == 1 || x == n - 1) continue;
        bool composite = true;
        for (int r = 1; r < s; r++) {
            x = perm_mulmod(x, x, n);
            if (x == n - 1) {
                composite = false;
                break;
            }
        }
        if (composite) return false;
    }
    return true;
}

uint64_t perm_next_prime(uint64_t n)
{
    if (n < 2) return 2;
    uint64_t c = n + 1;
    if (c > 2 && (c & 1) == 0) c++;
    while (!perm_is_prime(c))
        c += 2;
    return c;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* A non-trivial factor of the odd composite n (Brent's cycle finding, batched gcds). */
static uint64_t rho_factor(uint64_t n)
{
    for (uint64_t c = 1;; c++) {
        uint64_t y = 2, x = 2, ys = 2, q = 1, d = 1;
        const uint64_t m = 64;
        for (uint64_t r = 1; d == 1; r <<= 1) {
            x = y;
            for (uint64_t i = 0; i < r; i++)
                y = (perm_mulmod(y, y, n) + c) % n;
            for (uint64_t k = 0; k < r && d == 1; k += m) {
                ys = y;
                for (uint64_t i = 0; i < m && i < r - k; i++) {
                    y = (perm_mulmod(y, y, n) + c) % n;
                    q = perm_mulmod(q, absdiff(x, y), n);
                }
                d = gcd64(q, n);
            }
        }
        if (d == n) {
            /* The batch overshot: redo its steps one gcd at a time. */
            do {
                ys = (perm_mulmod(ys, ys, n) + c) % n;
                d = gcd64(absdiff(x, ys), n);
            } while (d == 1);
        }
        if (d != n) return d;
    }
}

static void add_factor(uint64_t *f, int *nf, uint64_t q)
{
    for (int i = 0; i < *nf; i++)
        if (f[i] == q) return;
    if (*nf < 15) f[(*nf)++] = q;
}

static void factor_rec(uint64_t n, uint64_t *f, int *nf)
{
    if (n == 1) return;
    if (perm_is_prime(n)) {
        add_factor(f, nf, n);
        return;
    }
    uint64_t d = rho_factor(n);
    factor_rec(d, f, nf);
    factor_rec(n / d, f, nf);
}

int perm_factor(uint64_t n, uint64_t f[15])
{
    int nf = 0;
    if (n == 0) return 0;
    for (uint64_t q = 2; q < (1u << 16) && q * q <= n; q += (q == 2 ? 1 : 2)) {
        if (n % q) continue;
        add_factor(f, &nf, q);
        while (n % q == 0)
            n /= q;
    }
    factor_rec(n, f, &nf);
    for (int i = 1; i < nf; i++) /* insertion sort, at most 15 */
        for (int j = i; j > 0 && f[j - 1] > f[j]; j--) {
            uint64_t t = f[j];
            f[j] = f[j - 1];
            f[j - 1] = t;
        }
    return nf;
}

bool perm_is_generator(uint64_t g, uint64_t p, const uint64_t *q, int nq)
{
    if (g == 0 || g >= p) return false;
    for (int i = 0; i < nq; i++)
        if (perm_powmod(g, (p - 1) / q[i], p) == 1) return false;
    return true;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int perm_init(struct perm *pm, uint64_t n, uint64_t seed, uint32_t shard, uint32_t nshards,
              struct err *e)
{
    if (nshards == 0) return err_set(e, "the number of shards must be at least 1");
    if (shard >= nshards)
        return err_set(e, "shard %u does not exist: shards are numbered 0 to %u", shard,
                       nshards - 1);
    if (n >= PERM_MAX_N)
        return err_set(e, "too many targets: %" PRIu64 " (address, port) pairs, the limit is 2^62",
                       n);
    struct perm z = {.n = n, .shard = shard, .nshards = nshards};
    *pm = z;
    if (n == 0) return 0;

    uint64_t p = perm_next_prime(n);
    uint64_t q[15];
    int nq = perm_factor(p - 1, q);
    uint64_t st = seed ^ UINT64_C(0x616a617220706572); /* "ajar per" */
    uint64_t g = 1;
    if (p > 2) {
        /* A generator drawn from the seed: about one candidate in
         * (p-1)/phi(p-1) qualifies (a few tries), and the sequence of
         * candidates is fixed by the seed, so the choice is too. */
        do {
            g = 2 + splitmix64(&st) % (p - 2);
        } while (!perm_is_generator(g, p, q, nq));
    }
    uint64_t order = p - 1;
    pm->p = p;
    pm->g = g;
    pm->x0 = 1 + splitmix64(&st) % order;
    pm->first = perm_mulmod(pm->x0, perm_powmod(g, shard, p), p);
    pm->step = perm_powmod(g, nshards, p);
    pm->x = pm->first;
    pm->limit = shard < order ? (order - 1 - shard) / nshards + 1 : 0;
    return 0;
}

int perm_next(struct perm *pm, uint64_t *idx)
{
    while (pm->pos < pm->limit) {
        uint64_t v = pm->x;
        pm->x = perm_mulmod(pm->x, pm->step, pm->p);
        pm->pos++;
        if (v <= pm->n) {
            *idx = v - 1;
            return 1;
        }
    }
    return 0;
}

int perm_seek(struct perm *pm, uint64_t pos)
{
    if (pos > pm->limit) return -1;
    pm->pos = pos;
    if (pm->p) pm->x = perm_mulmod(pm->first, perm_powmod(pm->step, pos, pm->p), pm->p);
    return 0;
}
