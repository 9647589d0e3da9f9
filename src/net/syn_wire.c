/*
 * net/syn_wire.c -- what SYN discovery puts on the wire and how it judges
 * what comes back (see syn.h): the SipHash cookie, the SYN (bare, or in an
 * Ethernet frame for the AF_PACKET senders) and the validation of replies.
 * No sockets here: the unit tests and the fuzzers call every function.
 */
#include "net/syn.h"

#include <netinet/in.h>
#include <string.h>

/* ---- SipHash-2-4 (Aumasson and Bernstein), written from the paper ---- */

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static inline uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = rotl(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = rotl(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = rotl(v2, 32);                                                                         \
    } while (0)

uint64_t syn_siphash(const struct syn_key *key, const void *data, size_t n)
{
    const uint8_t *in = data;
    uint64_t k0 = le64(key->k), k1 = le64(key->k + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    size_t full = n - n % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = le64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    for (size_t i = 0; i < n % 8; i++)
        b |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* The hashed tuple, with a tag byte (the cookie's is 'c'). */
static uint64_t tuple_hash(const struct syn_key *key, uint8_t tag, uint32_t saddr, uint32_t daddr,
                           uint16_t sport, uint16_t dport)
{
    uint8_t m[13];
    memcpy(m, &saddr, 4);
    memcpy(m + 4, &daddr, 4);
    m[8] = (uint8_t)(sport >> 8);
    m[9] = (uint8_t)sport;
    m[10] = (uint8_t)(dport >> 8);
    m[11] = (uint8_t)dport;
    m[12] = tag;
    return syn_siphash(key, m, sizeof m);
}

/*
 * The source port only spreads the SYNs over our range (the cookie, which covers it, is what
 * a reply must prove), so a keyed 64-bit mix (splitmix64's finaliser) is enough: a third of
 * the cost of a SipHash per SYN.
 */
uint16_t syn_sport(const struct syn_key *key, uint32_t saddr, uint32_t daddr, uint16_t dport)
{
    uint64_t x = ((uint64_t)daddr << 32 | (uint64_t)dport << 16) ^ le64(key->k + 8) ^
                 ((uint64_t)saddr * 0x9e3779b97f4a7c15ULL);
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return (uint16_t)(SYN_SPORT_BASE + x % SYN_SPORT_RANGE);
}

uint32_t syn_cookie(const struct syn_key *key, uint32_t saddr, uint32_t daddr, uint16_t sport,
                    uint16_t dport)
{
    return (uint32_t)tuple_hash(key, 'c', saddr, daddr, sport, dport);
}

/* ---- packets ---- */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One's-complement sum of 16-bit big-endian words (RFC 1071). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += rd16(p + i);
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t syn_build(const struct syn_key *key, uint8_t *buf, uint32_t saddr, uint32_t daddr,
                 uint16_t dport)
{
    uint16_t sport = syn_sport(key, saddr, daddr, dport);
    /* one SipHash per SYN: the cookie is its low 32 bits, the IP id the next 16 */
    uint64_t h = tuple_hash(key, 'c', saddr, daddr, sport, dport);
    uint8_t *ip = buf, *tcp = buf + 20;
    memset(buf, 0, SYN_PACKET_LEN);
    ip[0] = 0x45; /* IPv4, 5 words */
    wr16(ip + 2, SYN_PACKET_LEN);
    wr16(ip + 4, (uint16_t)(h >> 32));
    ip[8] = 64; /* TTL */
    ip[9] = IPPROTO_TCP;
    memcpy(ip + 12, &saddr, 4);
    memcpy(ip + 16, &daddr, 4);
    wr16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    wr16(tcp, sport);
    wr16(tcp + 2, dport);
    wr32(tcp + 4, (uint32_t)h); /* syn_cookie() */
    tcp[12] = 6 << 4;           /* 6 words: header + MSS option */
    tcp[13] = 0x02;             /* SYN */
    wr16(tcp + 14, 65535);
    tcp[20] = 2; /* MSS, length 4, 1460 */
    tcp[21] = 4;
    wr16(tcp + 22, 1460);
    uint8_t pseudo[12];
    memcpy(pseudo, &saddr, 4);
    memcpy(pseudo + 4, &daddr, 4);
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_TCP;
    wr16(pseudo + 10, SYN_PACKET_LEN - 20);
    wr16(tcp + 16, csum_fold(csum_add(csum_add(0, pseudo, 12), tcp, SYN_PACKET_LEN - 20)));
    return SYN_PACKET_LEN;
}

enum syn_verdict syn_validate(const struct syn_key *key, uint32_t saddr, const uint8_t *pkt,
                              size_t n, uint32_t *daddr, uint16_t *dport)
{
    if (n < 20 || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_TCP) return SYN_NOISE;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (ihl < 20 || n < ihl + 20) return SYN_NOISE;
    if (memcmp(pkt + 16, &saddr, 4) != 0) return SYN_NOISE;
    const uint8_t *tcp = pkt + ihl;
    uint16_t sport = rd16(tcp + 2); /* ours */
    if (sport < SYN_SPORT_BASE || sport >= SYN_SPORT_BASE + SYN_SPORT_RANGE) return SYN_NOISE;
    uint32_t src;
    memcpy(&src, pkt + 12, 4);
    uint16_t port = rd16(tcp);
    uint8_t flags = tcp[13];
    bool ack = flags & 0x10, syn = flags & 0x02, rst = flags & 0x04;
    if (!ack) return SYN_NOISE; /* both answers to a SYN acknowledge it */
    if (rd32(tcp + 8) != syn_cookie(key, saddr, src, sport, port) + 1) return SYN_NOISE;
    *daddr = src;
    *dport = port;
    if (syn && !rst) return SYN_OPEN;
    if (rst) return SYN_CLOSED;
    return SYN_NOISE;
}

size_t syn_build_frame(const struct syn_key *key, uint8_t *buf, const uint8_t eth[SYN_ETH_LEN],
                       uint32_t saddr, uint32_t daddr, uint16_t dport)
{
    memcpy(buf, eth, SYN_ETH_LEN);
    syn_build(key, buf + SYN_ETH_LEN, saddr, daddr, dport);
    memset(buf + SYN_ETH_LEN + SYN_PACKET_LEN, 0, SYN_FRAME_LEN - SYN_ETH_LEN - SYN_PACKET_LEN);
    return SYN_FRAME_LEN;
}

void syn_eth_header(uint8_t eth[SYN_ETH_LEN], const uint8_t dst[6], const uint8_t src[6])
{
    memcpy(eth, dst, 6);
    memcpy(eth + 6, src, 6);
    eth[12] = 0x08; /* IPv4 */
    eth[13] = 0x00;
}
