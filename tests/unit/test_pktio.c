/*
 * tests/unit/test_pktio.c -- the pieces of the AF_PACKET sender and receiver
 * that need no privilege (src/net/pktio.h):
 *  - --gateway-mac's parser;
 *  - the SYN in an Ethernet frame (syn_build_frame) carries the SYN of
 *    syn_build after the header, padded with zeros to 60 bytes;
 *  - the receive filter, run by the kernel's own BPF on a Unix datagram
 *    socket (socket filters apply there too): the answers to our SYNs pass,
 *    cut to the snap length; our own SYNs, bare ACKs, other addresses,
 *    ports at either edge of the range, UDP, fragments and other EtherTypes
 *    do not; an IP header with options is read at its real length;
 *  - the TPACKET_V3 block walker on blocks built here, then on blocks whose
 *    every offset lies, every truncation and every byte set to 0x00/0xff:
 *    it hands over only packets that lie inside the block.
 */
#include "net/pktio.h"
#include "net/syn.h"
#include "unit/t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_mac(void)
{
    uint8_t m[6];
    CHECK_INT(pkt_mac_parse("02:00:00:00:be:ef", m), 0);
    CHECK(memcmp(m, "\x02\x00\x00\x00\xbe\xef", 6) == 0);
    CHECK_INT(pkt_mac_parse("52-54-00-AB-cd-0F", m), 0);
    CHECK(memcmp(m, "\x52\x54\x00\xab\xcd\x0f", 6) == 0);
    static const char *const bad[] = {"",
                                      "02:00:00:00:be",
                                      "02:00:00:00:be:ef:",
                                      "02:00:00:00:be:ef:00",
                                      "02:00:00:00:be:e",
                                      "02:00:00:00:be:eg",
                                      "0200:00:00:be:ef",
                                      "02:00:00:00:be:ef ",
                                      " 02:00:00:00:be:ef",
                                      "2:0:0:0:be:ef",
                                      "ff:ff:ff:ff:ff:ff", /* broadcast */
                                      "01:00:5e:00:00:01", /* multicast */
                                      "02.00.00.00.be.ef"};
    uint8_t keep[6] = {1, 2, 3, 4, 5, 6};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(m, keep, 6);
        CHECK_MSG(pkt_mac_parse(bad[i], m) == -1, "'%s'", bad[i]);
        CHECK(memcmp(m, keep, 6) == 0); /* untouched on failure */
    }
}

static void test_frame(void)
{
    struct syn_key k;
    for (int i = 0; i < 16; i++)
        k.k[i] = (uint8_t)(i * 7);
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0xbe, 0xef}, src[6] = {0x52, 0x54, 0, 1, 2, 3};
    uint8_t eth[SYN_ETH_LEN], fr[SYN_FRAME_LEN + 8], syn[SYN_PACKET_LEN];
    syn_eth_header(eth, dst, src);
    CHECK(memcmp(eth, dst, 6) == 0 && memcmp(eth + 6, src, 6) == 0);
    CHECK(eth[12] == 0x08 && eth[13] == 0x00);
    memset(fr, 0xaa, sizeof fr);
    uint32_t us = htonl(0x0a000005), them = htonl(0x0a090807);
    CHECK_INT(syn_build_frame(&k, fr, eth, us, them, 5432), SYN_FRAME_LEN);
    syn_build(&k, syn, us, them, 5432);
    CHECK(memcmp(fr, eth, SYN_ETH_LEN) == 0);
    CHECK(memcmp(fr + SYN_ETH_LEN, syn, SYN_PACKET_LEN) == 0);
    int nonzero = 0;
    for (size_t i = SYN_ETH_LEN + SYN_PACKET_LEN; i < SYN_FRAME_LEN; i++)
        nonzero += fr[i] != 0;
    CHECK_INT(nonzero, 0);
    CHECK_INT(fr[SYN_FRAME_LEN], 0xaa); /* nothing written past the frame */
}

/* A frame: Ethernet, IPv4 (ihl words), TCP; `mark` in the TCP window tells frames apart. */
static size_t frame(uint8_t *f, uint16_t ethertype, uint8_t proto, uint32_t daddr, uint16_t dport,
                    uint8_t flags, int ihl, uint16_t frag, uint16_t mark)
{
    memset(f, 0, 120);
    f[12] = (uint8_t)(ethertype >> 8);
    f[13] = (uint8_t)ethertype;
    uint8_t *ip = f + 14, *tcp = ip + ihl * 4;
    ip[0] = (uint8_t)(0x40 | ihl);
    ip[6] = (uint8_t)(frag >> 8);
    ip[7] = (uint8_t)frag;
    ip[8] = 64;
    ip[9] = proto;
    uint32_t s = htonl(0x0a090807);
    memcpy(ip + 12, &s, 4);
    memcpy(ip + 16, &daddr, 4);
    tcp[0] = 0x18;
    tcp[1] = 0xeb;
    tcp[2] = (uint8_t)(dport >> 8);
    tcp[3] = (uint8_t)dport;
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp[14] = (uint8_t)(mark >> 8);
    tcp[15] = (uint8_t)mark;
    size_t n = 14 + (size_t)ihl * 4 + 20;
    ip[2] = (uint8_t)((n - 14) >> 8);
    ip[3] = (uint8_t)(n - 14);
    return 120; /* padded: longer than the snap length */
}

static void test_filter(void)
{
    uint32_t us = htonl(0x0a000005);
    struct sock_filter f[PKT_FILTER_LEN];
    pkt_filter(f, us, SYN_SPORT_BASE, SYN_SPORT_RANGE, 100);
    CHECK_INT(f[PKT_FILTER_LEN - 1].code, BPF_RET | BPF_K);
    CHECK_INT(f[PKT_FILTER_LEN - 1].k, 0);
    CHECK_INT(f[PKT_FILTER_LEN - 2].k, 100);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
        CHECK_MSG(0, "socketpair: %s", strerror(errno));
        return;
    }
    struct sock_fprog prog = {.len = PKT_FILTER_LEN, .filter = f};
    CHECK_INT(setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog), 0);
    const uint16_t lo = SYN_SPORT_BASE, hi = SYN_SPORT_BASE + SYN_SPORT_RANGE - 1;
    const uint32_t other = htonl(0x0a000006);
    struct {
        uint16_t ethertype;
        uint8_t proto;
        uint32_t daddr;
        uint16_t dport;
        uint8_t flags;
        int ihl;
        uint16_t frag;
        bool pass;
    } cases[] = {
        {0x0800, 6, us, lo, 0x12, 5, 0, true},           /* SYN-ACK, first port of ours */
        {0x0800, 6, us, hi, 0x14, 5, 0, true},           /* RST-ACK, last port of ours */
        {0x0800, 6, us, lo + 9, 0x16, 5, 0x4000, true},  /* SYN+RST+ACK, DF set */
        {0x0800, 6, us, lo + 9, 0x12, 7, 0, true},       /* IP options: the port read after them */
        {0x0800, 6, us, lo - 1, 0x12, 5, 0, false},      /* below our range */
        {0x0800, 6, us, hi + 1, 0x12, 5, 0, false},      /* past it */
        {0x0800, 6, us, lo + 9, 0x02, 5, 0, false},      /* a SYN (ours, seen on lo) */
        {0x0800, 6, us, lo + 9, 0x10, 5, 0, false},      /* a bare ACK */
        {0x0800, 6, us, lo + 9, 0x04, 5, 0, false},      /* a bare RST */
        {0x0800, 6, other, lo + 9, 0x12, 5, 0, false},   /* to another address */
        {0x0800, 17, us, lo + 9, 0x12, 5, 0, false},     /* UDP */
        {0x0800, 6, us, lo + 9, 0x12, 5, 0x2000, true},  /* first fragment: whole header */
        {0x0800, 6, us, lo + 9, 0x12, 5, 0x0001, false}, /* a later fragment */
        {0x86dd, 6, us, lo + 9, 0x12, 5, 0, false},      /* IPv6 EtherType */
        {0x8100, 6, us, lo + 9, 0x12, 5, 0, false},      /* a VLAN tag left in the frame */
    };
    size_t nc = sizeof cases / sizeof cases[0];
    uint8_t fr[120];
    for (size_t i = 0; i < nc; i++) {
        size_t n = frame(fr, cases[i].ethertype, cases[i].proto, cases[i].daddr, cases[i].dport,
                         cases[i].flags, cases[i].ihl, cases[i].frag, (uint16_t)(i + 1));
        /* a dropped datagram is still "sent" */
        CHECK_INT(send(sv[0], fr, n, 0), (ssize_t)n);
    }
    bool got[32] = {false};
    uint8_t in[256];
    ssize_t r;
    int cut = 0;
    while ((r = recv(sv[1], in, sizeof in, MSG_DONTWAIT)) > 0) {
        if (r != 100) cut++; /* the snap length */
        int ihl = in[14] & 15;
        size_t mark = (size_t)(in[14 + ihl * 4 + 14] << 8 | in[14 + ihl * 4 + 15]);
        if (mark >= 1 && mark <= nc) got[mark - 1] = true;
    }
    CHECK_INT(cut, 0);
    for (size_t i = 0; i < nc; i++)
        CHECK_MSG(got[i] == cases[i].pass, "case %zu: %s", i, cases[i].pass ? "dropped" : "passed");
    close(sv[0]);
    close(sv[1]);
}

struct walk_log {
    size_t n;
    size_t off[16]; /* each packet's offset in the block, its length, first and last byte */
    size_t len[16];
    uint8_t first[16], last[16];
    const uint8_t *lo, *hi; /* the block */
    int outside;
};

static void on_pkt(void *arg, const uint8_t *ip, size_t n)
{
    struct walk_log *w = arg;
    if (ip < w->lo || ip > w->hi || n > (size_t)(w->hi - ip)) w->outside++;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < n; i++) /* read it all: ASan sees a byte past the block */
        sink ^= ip[i];
    (void)sink;
    if (w->n < 16 && !w->outside) {
        w->off[w->n] = (size_t)(ip - w->lo);
        w->len[w->n] = n;
        w->first[w->n] = n ? ip[0] : 0;
        w->last[w->n] = n ? ip[n - 1] : 0;
    }
    w->n++;
}

/* A block of `size` bytes holding n packets of plen network bytes each after a 14-byte MAC
 * header; returns the offset of packet 0. */
static size_t block(uint8_t *b, size_t size, int n, size_t plen)
{
    memset(b, 0, size);
    struct tpacket_block_desc bd;
    memset(&bd, 0, sizeof bd);
    bd.hdr.bh1.num_pkts = (uint32_t)n;
    bd.hdr.bh1.offset_to_first_pkt = 64;
    bd.hdr.bh1.block_status = TP_STATUS_USER;
    memcpy(b, &bd, sizeof bd);
    size_t off = 64;
    for (int i = 0; i < n; i++) {
        struct tpacket3_hdr h;
        memset(&h, 0, sizeof h);
        h.tp_mac = 80;
        h.tp_net = 94;
        h.tp_snaplen = (uint32_t)(14 + plen);
        h.tp_len = h.tp_snaplen;
        size_t step = (80 + 14 + plen + 15) & ~(size_t)15;
        h.tp_next_offset = i + 1 < n ? (uint32_t)step : 0;
        memcpy(b + off, &h, sizeof h);
        memset(b + off + 94, 0x40 + i, plen);
        off += step;
    }
    return 64;
}

static size_t walk(const uint8_t *b, size_t size, struct walk_log *w)
{
    uint8_t *c = malloc(size ? size : 1);
    memcpy(c, b, size);
    memset(w, 0, sizeof *w);
    w->lo = c;
    w->hi = c + size;
    size_t n = pkt_block_walk(c, size, on_pkt, w);
    free(c);
    return n;
}

static void test_block(void)
{
    static uint8_t b[4096];
    struct walk_log w;
    size_t first = block(b, sizeof b, 3, 40);
    CHECK_INT(walk(b, sizeof b, &w), 3);
    CHECK_INT(w.n, 3);
    CHECK_INT(w.outside, 0);
    CHECK_INT(w.len[0], 40);
    CHECK_INT(w.off[0], first + 94);
    CHECK_INT(w.first[2], 0x42);
    CHECK_INT(w.last[2], 0x42);

    /* the block ends where the last packet does: every shorter block hands over fewer */
    size_t end = first + 2 * ((80 + 14 + 40 + 15) & ~(size_t)15) + 94 + 40;
    CHECK_INT(walk(b, end, &w), 3);
    int bad = 0;
    for (size_t k = 0; k < end; k++) {
        size_t got = walk(b, k, &w);
        if (got >= 3 || w.outside) bad++;
    }
    CHECK_INT(bad, 0);

    /* offsets that lie */
    struct tpacket3_hdr h;
    memcpy(&h, b + first, sizeof h);
    struct tpacket3_hdr lies[] = {h, h, h, h, h};
    lies[0].tp_snaplen = 100000;                              /* past the block */
    lies[1].tp_net = 10;                                      /* before the MAC header */
    lies[2].tp_mac = 65000;                                   /* past the block */
    lies[3].tp_next_offset = 50000;                           /* the next one past the block */
    lies[4].tp_net = (uint16_t)(h.tp_mac + h.tp_snaplen + 1); /* past the snap */
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        memcpy(b + first, &lies[i], sizeof lies[i]);
        walk(b, sizeof b, &w);
        CHECK_MSG(w.outside == 0 && w.n <= 1, "lie %zu: %zu packets, %d outside", i, w.n,
                  w.outside);
    }
    block(b, sizeof b, 3, 40);
    struct tpacket_block_desc bd;
    memcpy(&bd, b, sizeof bd);
    bd.hdr.bh1.offset_to_first_pkt = 4090; /* no room for a header */
    memcpy(b, &bd, sizeof bd);
    CHECK_INT(walk(b, sizeof b, &w), 0);
    bd.hdr.bh1.offset_to_first_pkt = 8; /* inside the descriptor */
    memcpy(b, &bd, sizeof bd);
    CHECK_INT(walk(b, sizeof b, &w), 0);
    bd.hdr.bh1.offset_to_first_pkt = 64;
    bd.hdr.bh1.num_pkts = 0xffffffffu; /* more than there are: the chain's end stops it */
    memcpy(b, &bd, sizeof bd);
    CHECK_INT(walk(b, sizeof b, &w), 3);

    /* every byte of the descriptor and the headers set to 0x00 and 0xff */
    block(b, 512, 3, 40);
    static uint8_t c[512];
    int outside = 0;
    for (size_t i = 0; i < 512; i++)
        for (int v = 0; v < 2; v++) {
            memcpy(c, b, 512);
            c[i] = v ? 0xff : 0x00;
            walk(c, 512, &w);
            outside += w.outside;
        }
    CHECK_INT(outside, 0);
}

int main(void)
{
    test_mac();
    test_frame();
    test_filter();
    test_block();
    return T_END();
}
