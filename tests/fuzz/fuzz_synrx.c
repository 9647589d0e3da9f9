/*
 * tests/fuzz/fuzz_synrx.c -- what SYN discovery reads from the network
 * through its receive ring: the input is one TPACKET_V3 block as the kernel
 * fills it (descriptor, packet headers, packets -- the headers are the
 * kernel's, the packets anyone's), walked by pkt_block_walk (src/net/pktio.h);
 * each packet it hands over goes to syn_validate (src/net/syn.h), as does the
 * whole input as one IPv4 packet. So that the fuzzer reaches the open and
 * closed verdicts, byte 0 bit 0 makes the harness write the right
 * acknowledgement (cookie + 1, recomputed from the packet's own addresses
 * and ports) into a copy of each packet first, as a real answer carries.
 * Promises: every packet handed over lies inside the block; a verdict other
 * than noise names the packet's own source address and port.
 */
#include "net/pktio.h"
#include "net/syn.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static const struct syn_key key = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
#define US htonl(0x0a000005) /* our address, 10.0.0.5 */

struct ctx {
    const uint8_t *lo, *hi;
    bool fix_ack;
};

static void judge(const uint8_t *ip, size_t n, bool fix_ack)
{
    uint8_t c[256];
    if (n > sizeof c) n = sizeof c; /* the ring keeps 128 bytes; more changes nothing */
    memcpy(c, ip, n);
    if (fix_ack && n >= 20) {
        size_t ihl = (size_t)(c[0] & 15) * 4;
        if (ihl >= 20 && n >= ihl + 20) {
            uint8_t *t = c + ihl;
            uint32_t src;
            memcpy(&src, c + 12, 4);
            uint16_t port = (uint16_t)(t[0] << 8 | t[1]), sport = (uint16_t)(t[2] << 8 | t[3]);
            uint32_t ack = syn_cookie(&key, US, src, sport, port) + 1;
            t[8] = (uint8_t)(ack >> 24);
            t[9] = (uint8_t)(ack >> 16);
            t[10] = (uint8_t)(ack >> 8);
            t[11] = (uint8_t)ack;
        }
    }
    uint8_t *p = malloc(n ? n : 1); /* exactly n bytes: one past is an ASan report */
    if (!p) return;
    memcpy(p, c, n);
    uint32_t daddr = 0;
    uint16_t dport = 0;
    enum syn_verdict v = syn_validate(&key, US, p, n, &daddr, &dport);
    if (v != SYN_NOISE) {
        size_t ihl = (size_t)(p[0] & 15) * 4;
        if (memcmp(&daddr, p + 12, 4) != 0 || dport != (uint16_t)(p[ihl] << 8 | p[ihl + 1]))
            __builtin_trap();
    }
    free(p);
}

static void on_pkt(void *arg, const uint8_t *ip, size_t n)
{
    struct ctx *c = arg;
    if (ip < c->lo || ip > c->hi || n > (size_t)(c->hi - ip)) __builtin_trap();
    judge(ip, n, c->fix_ack);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1) return 0;
    bool fix = data[0] & 1;
    uint8_t *blk = malloc(n - 1 ? n - 1 : 1);
    if (!blk) return 0;
    memcpy(blk, data + 1, n - 1);
    struct ctx c = {blk, blk + (n - 1), fix};
    pkt_block_walk(blk, n - 1, on_pkt, &c);
    judge(blk, n - 1, fix);
    free(blk);
    return 0;
}
