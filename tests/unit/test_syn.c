/*
 * tests/unit/test_syn.c -- the SYN cookie: SipHash-2-4 matches the paper's
 * test vectors, the SYN we build is a well-formed segment (checksums), and
 * validation accepts exactly the SYN-ACK / RST that acknowledge our cookie
 * (right addresses, right ports, ack = cookie + 1) and rejects the rest.
 */
#include "net/syn.h"
#include "unit/t.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One's-complement sum over the buffer: 0xffff when a checksum inside it is right. */
static uint16_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += rd16(p + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* The answer the target would send to our SYN: swap the ends, ack = seq + 1. */
static void reply(const uint8_t *syn, uint8_t *out, uint8_t flags, uint32_t ack_delta)
{
    memcpy(out, syn, 40);
    memcpy(out + 12, syn + 16, 4);
    memcpy(out + 16, syn + 12, 4);
    memcpy(out + 20, syn + 22, 2);
    memcpy(out + 22, syn + 20, 2);
    wr32(out + 24, 12345);
    wr32(out + 28, rd32(syn + 24) + ack_delta);
    out[32] = 5 << 4;
    out[33] = flags;
}

int main(void)
{
    struct syn_key k;
    for (int i = 0; i < 16; i++)
        k.k[i] = (uint8_t)i;
    uint8_t msg[15];
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    CHECK(syn_siphash(&k, msg, 0) == 0x726fdb47dd0e0e31ULL);
    CHECK(syn_siphash(&k, msg, 15) == 0xa129ca6149be45e5ULL);

    uint32_t us = htonl(0x7f000001), them = htonl(0x7f006405);
    uint8_t syn[SYN_PACKET_LEN];
    CHECK_INT(syn_build(&k, syn, us, them, 6379), SYN_PACKET_LEN);
    CHECK_INT(syn[0], 0x45);
    CHECK_INT(syn[9], IPPROTO_TCP);
    CHECK_INT(rd16(syn + 22), 6379);
    uint16_t sport = rd16(syn + 20);
    CHECK(sport >= SYN_SPORT_BASE && sport < SYN_SPORT_BASE + SYN_SPORT_RANGE);
    CHECK_INT(sport, syn_sport(&k, us, them, 6379));
    CHECK(rd32(syn + 24) == syn_cookie(&k, us, them, sport, 6379));
    CHECK_INT(syn[33], 0x02);
    CHECK_INT(sum16(syn, 20, 0), 0xffff); /* IP header checksum */
    uint8_t pseudo[12] = {0};
    memcpy(pseudo, &us, 4);
    memcpy(pseudo + 4, &them, 4);
    pseudo[9] = IPPROTO_TCP;
    pseudo[11] = SYN_PACKET_LEN - 20;
    CHECK_INT(sum16(syn + 20, SYN_PACKET_LEN - 20, sum16(pseudo, 12, 0)), 0xffff);

    uint8_t r[40];
    uint32_t a = 0;
    uint16_t p = 0;
    reply(syn, r, 0x12, 1); /* SYN-ACK, right ack */
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_OPEN);
    CHECK(a == them);
    CHECK_INT(p, 6379);
    reply(syn, r, 0x14, 1); /* RST-ACK, right ack */
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_CLOSED);
    reply(syn, r, 0x12, 0); /* ack = cookie, not cookie + 1 */
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_NOISE);
    reply(syn, r, 0x12, 2);
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_NOISE);
    reply(syn, r, 0x02, 1); /* no ACK flag */
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_NOISE);
    reply(syn, r, 0x04, 1); /* bare RST (the kernel's answer to a SYN-ACK) */
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_NOISE);
    CHECK_INT(syn_validate(&k, us, syn, sizeof syn, &a, &p), SYN_NOISE); /* our own SYN */

    /* the same reply from another address, to another port or of ours, or under another key */
    reply(syn, r, 0x12, 1);
    r[15] ^= 1; /* source address */
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_NOISE);
    reply(syn, r, 0x12, 1);
    r[21] ^= 1; /* the target's port */
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_NOISE);
    reply(syn, r, 0x12, 1);
    r[23] ^= 1; /* our port */
    CHECK_INT(syn_validate(&k, us, r, sizeof r, &a, &p), SYN_NOISE);
    reply(syn, r, 0x12, 1);
    CHECK_INT(syn_validate(&k, htonl(0x7f000002), r, sizeof r, &a, &p), SYN_NOISE);
    struct syn_key k2 = k;
    k2.k[0] ^= 0x80;
    CHECK_INT(syn_validate(&k2, us, r, sizeof r, &a, &p), SYN_NOISE);
    CHECK_INT(syn_validate(&k, us, r, 30, &a, &p), SYN_NOISE); /* truncated */

    /* source ports spread over the whole range: 65,536 destinations use nearly all 4,096 ports
     * (16 each on average), and another key picks others */
    static uint16_t hits[SYN_SPORT_RANGE];
    int out_of_range = 0, used = 0, same = 0;
    struct syn_key k3 = k;
    k3.k[9] ^= 1;
    for (uint32_t i = 0; i < 65536; i++) {
        uint32_t d = htonl(0x0a000000 + i);
        uint16_t sp = syn_sport(&k, us, d, 443);
        if (sp < SYN_SPORT_BASE || sp >= SYN_SPORT_BASE + SYN_SPORT_RANGE)
            out_of_range++;
        else
            hits[sp - SYN_SPORT_BASE]++;
        same += sp == syn_sport(&k3, us, d, 443);
    }
    for (int i = 0; i < SYN_SPORT_RANGE; i++)
        used += hits[i] > 0;
    CHECK_INT(out_of_range, 0);
    CHECK_MSG(used > 4080, "%d of 4096 ports used", used);
    CHECK_MSG(same < 100, "%d of 65536 ports the same under another key", same);
    /* the IP id is the cookie hash's next 16 bits: it changes with the target */
    uint8_t syn2[SYN_PACKET_LEN];
    syn_build(&k, syn2, us, htonl(0x7f006406), 6379);
    CHECK(rd16(syn + 4) != rd16(syn2 + 4) || rd32(syn + 24) != rd32(syn2 + 24));

    /* cookies spread: 1000 ports, no two SYNs share a sequence number */
    uint32_t seen[1000];
    int dup = 0;
    for (int i = 0; i < 1000; i++) {
        seen[i] = syn_cookie(&k, us, them, 61000, (uint16_t)(i + 1));
        for (int j = 0; j < i; j++)
            dup += seen[j] == seen[i];
    }
    CHECK_INT(dup, 0);
    return T_END();
}
