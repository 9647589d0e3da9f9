/*
 * bench/pktloop.c -- the machine's packet ceiling for SYN scanning, as a
 * floor for bench/syn.sh: bench/synloop.c with its sender swapped for
 * Ethernet frames written on an AF_PACKET socket (PACKET_QDISC_BYPASS), as
 * masscan and zmap send and as ajar's --send-method mmsg|ring do. Same
 * targets, same order, same cookies (seq = address xor port, source port
 * 62000) and the same 500 ms wait for late replies as synloop.
 *
 *   pktloop [-t mmsg|ring] [-r raw|ring] CIDR PORTS OUT
 *
 * -t mmsg (default): sendmmsg, 64 frames a call. -t ring: a PACKET_TX_RING
 * (TPACKET_V2, 64 frames written, then one send() to flush them).
 * -r raw (default): the answers are read from a raw TCP socket bound to the
 * source address (recvmmsg, 64 a call), as synloop does. -r ring: a
 * PACKET_RX_RING (TPACKET_V3) with a classic BPF filter (IPv4, TCP, to our
 * address and port, ACK set), read after every batch.
 * lo only (its own MAC is the destination: the namespace's lo needs a
 * non-zero MAC, route_localnet and accept_local; bench/syn.sh sets them);
 * loopback CIDRs only. No hashing, no permutation, no privilege drop, no
 * pacing: whatever ajar spends beyond this is its own.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SPORT   62000
#define BATCH   64
#define WAIT_MS 500
#define FLEN    54 /* Ethernet + IPv4 + TCP, no options */

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint32_t sum(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    return s;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t replies, open_ports;
static FILE *out;
static uint32_t src;

/* p: an IPv4 packet of n bytes sent to us */
static void judge(const uint8_t *p, size_t n)
{
    if (n < 40 || memcmp(p + 16, &src, 4) != 0) return;
    size_t ihl = (size_t)(p[0] & 15) * 4;
    if (ihl < 20 || n < ihl + 20) return;
    const uint8_t *t = p + ihl;
    if ((t[2] << 8 | t[3]) != SPORT || !(t[13] & 0x10)) return;
    uint32_t daddr;
    memcpy(&daddr, p + 12, 4);
    uint16_t dport = (uint16_t)(t[0] << 8 | t[1]);
    uint32_t ack = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
    if (ack != (ntohl(daddr) ^ dport) + 1) return;
    replies++;
    if ((t[13] & 0x12) == 0x12) {
        open_ports++;
        char ip[16];
        inet_ntop(AF_INET, &daddr, ip, sizeof ip);
        fprintf(out, "%s:%u\n", ip, dport);
    }
}

static void drain_raw(int fd)
{
    static uint8_t b[BATCH][128];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = b[i];
            iov[i].iov_len = sizeof b[i];
            memset(&mm[i].msg_hdr, 0, sizeof mm[i].msg_hdr);
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0) return;
        for (int i = 0; i < got; i++)
            judge(b[i], mm[i].msg_len);
        if (got < BATCH) return;
    }
}

/* ---- the receive ring ---- */
#define RX_BLOCK (1u << 20)
#define RX_NBLK  32
static uint8_t *rx_map;
static unsigned rx_cur;

static void drain_ring(void)
{
    for (;;) {
        struct tpacket_block_desc *bd = (void *)(rx_map + (size_t)rx_cur * RX_BLOCK);
        if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
            return;
        uint32_t off = bd->hdr.bh1.offset_to_first_pkt;
        for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts && off && off < RX_BLOCK; i++) {
            const struct tpacket3_hdr *h = (const void *)((uint8_t *)bd + off);
            size_t net = h->tp_net, snap = h->tp_snaplen, mac = h->tp_mac;
            if (net >= mac && off + mac + snap <= RX_BLOCK && net - mac <= snap)
                judge((const uint8_t *)h + net, snap - (net - mac));
            if (!h->tp_next_offset) break;
            off += h->tp_next_offset;
        }
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        rx_cur = (rx_cur + 1) % RX_NBLK;
    }
}

static int rx_ring_open(int ifindex)
{
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) return -1;
    /* IPv4, TCP, not a fragment, to src, to port SPORT, ACK set; 128 bytes kept */
    struct sock_filter f[] = {
        {BPF_LD | BPF_H | BPF_ABS, 0, 0, 12},
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 10, ETH_P_IP},
        {BPF_LD | BPF_B | BPF_ABS, 0, 0, 23},
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 8, IPPROTO_TCP},
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, 30},
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 6, ntohl(src)},
        {BPF_LDX | BPF_B | BPF_MSH, 0, 0, 14},
        {BPF_LD | BPF_H | BPF_IND, 0, 0, 16},
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 3, SPORT},
        {BPF_LD | BPF_B | BPF_IND, 0, 0, 27},
        {BPF_JMP | BPF_JSET | BPF_K, 0, 1, 0x10},
        {BPF_RET | BPF_K, 0, 0, 128},
        {BPF_RET | BPF_K, 0, 0, 0},
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    int v = TPACKET_V3, one = 1;
    struct tpacket_req3 req = {.tp_block_size = RX_BLOCK,
                               .tp_block_nr = RX_NBLK,
                               .tp_frame_size = 2048,
                               .tp_frame_nr = RX_BLOCK / 2048 * RX_NBLK,
                               .tp_retire_blk_tov = 2};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
        return -1;
    rx_map = mmap(NULL, (size_t)RX_BLOCK * RX_NBLK, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (rx_map == MAP_FAILED) return -1;
    struct sockaddr_ll ll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex};
    if (bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) return -1;
    return fd;
}

/* ---- the transmit ring ---- */
#define TX_FRAME 128
#define TX_NFR   4096
static uint8_t *tx_map;
static unsigned tx_cur;
#define TX_DATA (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

static int tx_ring_open(int fd)
{
    int v = TPACKET_V2;
    struct tpacket_req req = {.tp_block_size = 4096,
                              .tp_block_nr = TX_NFR * TX_FRAME / 4096,
                              .tp_frame_size = TX_FRAME,
                              .tp_frame_nr = TX_NFR};
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0)
        return -1;
    tx_map = mmap(NULL, (size_t)TX_FRAME * TX_NFR, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return tx_map == MAP_FAILED ? -1 : 0;
}

/* the next free frame of the ring (flushing and waiting while it is full) */
static struct tpacket2_hdr *tx_slot(int fd)
{
    struct tpacket2_hdr *h = (void *)(tx_map + (size_t)tx_cur * TX_FRAME);
    while (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
        if (send(fd, NULL, 0, 0) < 0 && errno != EAGAIN && errno != ENOBUFS) return NULL;
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
            poll(&pf, 1, 1);
    }
    tx_cur = (tx_cur + 1) % TX_NFR;
    return h;
}

static void build(uint8_t *fr, const uint8_t mac[6], uint32_t first, uint64_t a, unsigned port)
{
    uint32_t d = htonl(first + (uint32_t)a);
    memcpy(fr, mac, 6);
    memcpy(fr + 6, mac, 6);
    fr[12] = 0x08;
    fr[13] = 0x00;
    uint8_t *p = fr + 14, *t = p + 20;
    memset(p, 0, 40);
    p[0] = 0x45;
    p[3] = 40;
    p[8] = 64;
    p[9] = IPPROTO_TCP;
    memcpy(p + 12, &src, 4);
    memcpy(p + 16, &d, 4);
    uint16_t ic = fold(sum(p, 20, 0));
    p[10] = (uint8_t)(ic >> 8);
    p[11] = (uint8_t)ic;
    uint32_t seq = (first + (uint32_t)a) ^ port;
    t[0] = SPORT >> 8;
    t[1] = SPORT & 0xff;
    t[2] = (uint8_t)(port >> 8);
    t[3] = (uint8_t)port;
    t[4] = (uint8_t)(seq >> 24);
    t[5] = (uint8_t)(seq >> 16);
    t[6] = (uint8_t)(seq >> 8);
    t[7] = (uint8_t)seq;
    t[12] = 5 << 4;
    t[13] = 0x02;
    t[14] = 0xff;
    t[15] = 0xff;
    uint8_t ph[12] = {0};
    memcpy(ph, &src, 4);
    memcpy(ph + 4, &d, 4);
    ph[9] = IPPROTO_TCP;
    ph[11] = 20;
    uint16_t c = fold(sum(t, 20, sum(ph, 12, 0)));
    t[16] = (uint8_t)(c >> 8);
    t[17] = (uint8_t)c;
}

int main(int argc, char **argv)
{
    int ring_tx = 0, ring_rx = 0, opt;
    while ((opt = getopt(argc, argv, "t:r:")) != -1) {
        if (opt == 't')
            ring_tx = !strcmp(optarg, "ring");
        else if (opt == 'r')
            ring_rx = !strcmp(optarg, "ring");
        else
            return 2;
    }
    if (argc - optind != 3) {
        fprintf(stderr, "usage: pktloop [-t mmsg|ring] [-r raw|ring] CIDR PORTS OUT\n");
        return 2;
    }
    argv += optind;
    char net[32];
    size_t nl = strlen(argv[0]);
    if (nl >= sizeof net) nl = sizeof net - 1;
    memcpy(net, argv[0], nl);
    net[nl] = 0;
    char *slash = strchr(net, '/');
    int len = slash ? (int)strtol(slash + 1, NULL, 10) : 32;
    if (slash) *slash = 0;
    struct in_addr base;
    if (inet_pton(AF_INET, net, &base) != 1 || (ntohl(base.s_addr) >> 24) != 127 || len < 8 ||
        len > 32) {
        fprintf(stderr, "pktloop: loopback CIDRs only\n");
        return 2;
    }
    uint32_t first = ntohl(base.s_addr) & (len ? ~0u << (32 - len) : 0);
    uint64_t naddr = 1ull << (32 - len);
    static uint16_t ports[65536];
    size_t np = 0;
    for (char *p = argv[1]; *p && np < 65536;) {
        unsigned long lo = strtoul(p, &p, 10), hi = lo;
        if (*p == '-') hi = strtoul(p + 1, &p, 10);
        for (unsigned long q = lo; q <= hi && q < 65536 && np < 65536; q++)
            ports[np++] = (uint16_t)q;
        if (*p == ',')
            p++;
        else if (*p)
            break;
    }
    src = htonl(0x7f000001);
    out = fopen(argv[2], "w");
    int ifindex = (int)if_nametoindex("lo");
    int snd = socket(AF_PACKET, SOCK_RAW, 0);
    if (!out || !ifindex || snd < 0) {
        perror("pktloop");
        return 1;
    }
    uint8_t mac[6];
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(snd, SIOCGIFHWADDR, &ifr) < 0) {
        perror("pktloop: SIOCGIFHWADDR");
        return 1;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    int one = 1, big = 32 << 20;
    setsockopt(snd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    setsockopt(snd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    if (ring_tx && tx_ring_open(snd) < 0) {
        perror("pktloop: PACKET_TX_RING");
        return 1;
    }
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
    if (bind(snd, (struct sockaddr *)&ll, sizeof ll) < 0) {
        perror("pktloop: bind");
        return 1;
    }
    int rcv;
    if (ring_rx) {
        rcv = rx_ring_open(ifindex);
    } else {
        rcv = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
        if (rcv >= 0) {
            setsockopt(rcv, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
            struct sockaddr_in self = {.sin_family = AF_INET, .sin_addr.s_addr = src};
            bind(rcv, (struct sockaddr *)&self, sizeof self);
        }
    }
    if (rcv < 0) {
        perror("pktloop: receive socket");
        return 1;
    }
    static uint8_t fr[BATCH][FLEN];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    uint64_t sent = 0;
    double t0 = now();
    int n = 0;
    for (size_t pi = 0; pi < np; pi++) {
        for (uint64_t a = 0; a < naddr; a++) {
            if (ring_tx) {
                struct tpacket2_hdr *h = tx_slot(snd);
                if (!h) {
                    perror("pktloop: send");
                    return 1;
                }
                build((uint8_t *)h + TX_DATA, mac, first, a, ports[pi]);
                h->tp_len = FLEN;
                __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
            } else {
                build(fr[n], mac, first, a, ports[pi]);
                iov[n].iov_base = fr[n];
                iov[n].iov_len = FLEN;
                memset(&mm[n].msg_hdr, 0, sizeof mm[n].msg_hdr);
                mm[n].msg_hdr.msg_iov = &iov[n];
                mm[n].msg_hdr.msg_iovlen = 1;
            }
            if (++n == BATCH || (pi == np - 1 && a == naddr - 1)) {
                int off = 0;
                if (ring_tx) {
                    while (send(snd, NULL, 0, 0) < 0 && (errno == EAGAIN || errno == ENOBUFS))
                        ;
                } else {
                    while (off < n) {
                        int s = sendmmsg(snd, mm + off, (unsigned)(n - off), 0);
                        if (s > 0)
                            off += s;
                        else if (errno == ENOBUFS || errno == EAGAIN)
                            ring_rx ? drain_ring() : drain_raw(rcv);
                        else
                            off++;
                    }
                }
                sent += (uint64_t)n;
                n = 0;
                ring_rx ? drain_ring() : drain_raw(rcv);
            }
        }
    }
    double t1 = now();
    for (double t; (t = now()) < t1 + WAIT_MS / 1000.0;) {
        struct pollfd pf = {.fd = rcv, .events = POLLIN};
        poll(&pf, 1, (int)((t1 + WAIT_MS / 1000.0 - t) * 1000) + 1);
        ring_rx ? drain_ring() : drain_raw(rcv);
    }
    struct tpacket_stats_v3 st = {0};
    socklen_t sl = sizeof st;
    if (ring_rx) getsockopt(rcv, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
    fclose(out);
    printf("sent %llu in %.3f s (%.0f/s), replies %llu, open %llu, ring drops %u\n",
           (unsigned long long)sent, t1 - t0, (double)sent / (t1 - t0), (unsigned long long)replies,
           (unsigned long long)open_ports, st.tp_drops);
    return 0;
}
