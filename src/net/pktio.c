/*
 * net/pktio.c -- AF_PACKET frames in and out for SYN discovery (see pktio.h).
 */
#include "net/pktio.h"

#include "net/nlroute.h"
#include "net/syn.h"

#include <net/if.h> /* before the linux/ headers, which then leave its names alone */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- where the frames go ---- */

static const char *route_type_name(uint8_t t)
{
    switch (t) {
    case RTN_UNREACHABLE:
        return "unreachable";
    case RTN_BLACKHOLE:
        return "blackhole";
    case RTN_PROHIBIT:
        return "prohibit";
    case RTN_BROADCAST:
        return "broadcast";
    case RTN_MULTICAST:
        return "multicast";
    default:
        return "not unicast";
    }
}

/* net.ipv4.conf.{all,IF}.NAME: either one set counts (the kernel ORs them). */
static bool conf_on(const char *ifname, const char *name)
{
    const char *which[2] = {"all", ifname};
    for (int i = 0; i < 2; i++) {
        char path[128], v[16];
        str_fmt(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/%s", which[i], name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, v, sizeof v - 1);
        close(fd);
        if (n > 0 && v[0] >= '1' && v[0] <= '9') return true;
    }
    return false;
}

/* e->msg = prefix ": " e->msg (err_set may not read the buffer it writes) */
static int err_wrap(struct err *e, const char *prefix)
{
    char was[sizeof e->msg];
    str_copy(was, e->msg, sizeof was);
    return err_set(e, "%s: %s", prefix, was);
}

/* The next hop's MAC: --gateway-mac, lo's own, or the gateway's neighbour entry. 0, or -1. */
static int next_hop_mac(const struct nl_route *r, const struct syn_send_opts *o, struct pkt_path *p,
                        struct err *e)
{
    char ip[INET_ADDRSTRLEN];
    if (o->have_gw_mac) {
        memcpy(p->dst_mac, o->gw_mac, 6);
        return 0;
    }
    if (p->loopback) {
        memcpy(p->dst_mac, p->src_mac, 6);
        return 0;
    }
    if (!r->has_gw) {
        str_fmt(p->why_not, sizeof p->why_not,
                "the targets are on-link on %s (no gateway), each address with its own MAC; "
                "--gateway-mac sends every frame to one next hop",
                p->ifname);
        return 0;
    }
    inet_ntop(AF_INET, &r->gw, ip, sizeof ip);
    struct nl_neigh nb;
    if (nl_get_neigh(p->ifindex, r->gw, &nb, e) < 0)
        return err_wrap(e, "--discovery syn: the neighbour table");
    if (!nb.found || !nb.has_lladdr || !nl_neigh_usable(nb.state)) {
        str_fmt(p->why_not, sizeof p->why_not,
                "no usable neighbour entry for the gateway %s on %s (%s): reach it once "
                "(ping %s) or give --gateway-mac",
                ip, p->ifname, nb.found ? "incomplete or failed" : "none", ip);
        return 0;
    }
    memcpy(p->dst_mac, nb.lladdr, 6);
    return 0;
}

int pkt_path_resolve(uint32_t daddr, const struct syn_send_opts *o, struct pkt_path *p,
                     struct err *e)
{
    char ip[INET_ADDRSTRLEN];
    memset(p, 0, sizeof *p);
    inet_ntop(AF_INET, &daddr, ip, sizeof ip);
    int oif = 0;
    if (o->iface) {
        oif = (int)if_nametoindex(o->iface);
        if (!oif) return err_set(e, "--interface %s: no such interface", o->iface);
    }
    struct nl_route r;
    char what[96];
    if (nl_get_route(daddr, oif, &r, e) < 0) {
        str_fmt(what, sizeof what, "--discovery syn: no route to %s%s%s", ip,
                o->iface ? " on " : "", o->iface ? o->iface : "");
        return err_wrap(e, what);
    }
    if (r.type != RTN_UNICAST && r.type != RTN_LOCAL)
        return err_set(e, "--discovery syn: no route to %s (the route is %s)", ip,
                       route_type_name(r.type));
    if (!r.oif) return err_set(e, "--discovery syn: the route to %s names no interface", ip);
    struct nl_link l;
    if (nl_get_link(r.oif, &l, e) < 0) {
        str_fmt(what, sizeof what, "--discovery syn: interface %d", r.oif);
        return err_wrap(e, what);
    }
    p->ifindex = r.oif;
    str_copy(p->ifname, l.name[0] ? l.name : "?", sizeof p->ifname);
    p->loopback = r.type == RTN_LOCAL || l.type == ARPHRD_LOOPBACK || (l.flags & IFF_LOOPBACK);
    if (o->have_source)
        p->saddr = o->source;
    else if (r.has_src)
        p->saddr = r.prefsrc;
    else
        return err_set(e, "--discovery syn: no source address towards %s on %s (give --source-ip)",
                       ip, p->ifname);
    if (r.via) {
        str_fmt(p->why_not, sizeof p->why_not, "the route to %s has a gateway of another family",
                ip);
        return 0;
    }
    if (!(l.flags & IFF_UP)) {
        str_fmt(p->why_not, sizeof p->why_not, "%s is down", p->ifname);
        return 0;
    }
    if ((l.type != ARPHRD_ETHER && l.type != ARPHRD_LOOPBACK) || l.addr_len != 6) {
        str_fmt(p->why_not, sizeof p->why_not,
                "%s has no Ethernet framing (link type %u, %zu-byte address)", p->ifname,
                (unsigned)l.type, l.addr_len);
        return 0;
    }
    memcpy(p->src_mac, l.addr, 6);
    if (next_hop_mac(&r, o, p, e) < 0) return -1;
    if (p->why_not[0]) return 0;
    /* a frame written to lo arrives as if from a wire: the kernel drops it as a martian unless
     * a local source (accept_local) and, for 127/8, loopback addresses (route_localnet) are
     * allowed there */
    bool lo127 = (ntohl(daddr) >> 24) == 127 || (ntohl(p->saddr) >> 24) == 127;
    if (p->loopback &&
        (!conf_on(p->ifname, "accept_local") || (lo127 && !conf_on(p->ifname, "route_localnet"))))
        str_fmt(p->why_not, sizeof p->why_not,
                "frames written to %s are dropped as martians unless "
                "net.ipv4.conf.%s.accept_local=1%s (sysctl)",
                p->ifname, p->ifname, lo127 ? " and route_localnet=1" : "");
    return 0;
}

int pkt_mac_parse(const char *s, uint8_t out[6])
{
    uint8_t m[6];
    for (int i = 0; i < 6; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = *s++;
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        m[i] = (uint8_t)v;
        char sep = *s++;
        if (i < 5 ? (sep != ':' && sep != '-') : sep != 0) return -1;
    }
    if (m[0] & 1) return -1; /* a group address is no next hop */
    memcpy(out, m, 6);
    return 0;
}

/* ---- sending ---- */

#define TX_FRAME  128  /* TPACKET_V2 header, then the frame */
#define TX_FRAMES 2048 /* 256 KB */
#define TX_BLOCK  16384
#define TX_DATA   (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

int pkt_tx_open(struct pkt_tx *t, int ifindex, bool ring, struct err *e)
{
    memset(t, 0, sizeof *t);
    t->ring = ring;
    t->map = MAP_FAILED;
    /* protocol 0: this socket receives nothing */
    t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (t->fd < 0) return err_set(e, "AF_PACKET socket: %s", strerror(errno));
    int one = 1, big = 4 << 20;
    /* the frames go straight to the driver; refused only by kernels before 3.14 */
    if (setsockopt(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
        log_debug("syn: PACKET_QDISC_BYPASS: %s", strerror(errno));
    if (setsockopt(t->fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
        setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (ring) {
        int v = TPACKET_V2;
        struct tpacket_req req = {.tp_block_size = TX_BLOCK,
                                  .tp_block_nr = TX_FRAMES * TX_FRAME / TX_BLOCK,
                                  .tp_frame_size = TX_FRAME,
                                  .tp_frame_nr = TX_FRAMES};
        if (setsockopt(t->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
            setsockopt(t->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) {
            err_set(e, "PACKET_TX_RING: %s", strerror(errno));
            goto fail;
        }
        t->maplen = (size_t)TX_FRAMES * TX_FRAME;
        t->map = mmap(NULL, t->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
        if (t->map == MAP_FAILED) {
            err_set(e, "mapping the TX ring: %s", strerror(errno));
            goto fail;
        }
        t->nframes = TX_FRAMES;
    }
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
    if (bind(t->fd, (struct sockaddr *)&ll, sizeof ll) < 0) {
        err_set(e, "binding the AF_PACKET socket: %s", strerror(errno));
        goto fail;
    }
    return 0;
fail:;
    int saved = errno;
    pkt_tx_close(t);
    errno = saved;
    return -1;
}

uint8_t *pkt_tx_frame(struct pkt_tx *t)
{
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(void *)(t->map + (size_t)t->cur * TX_FRAME);
    uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    /* a frame the kernel refused as malformed (never ours) is reused rather than waited for */
    if (st != TP_STATUS_AVAILABLE && !(st & TP_STATUS_WRONG_FORMAT)) return NULL;
    t->cur = (t->cur + 1) % t->nframes;
    return (uint8_t *)h + TX_DATA;
}

void pkt_tx_commit(struct pkt_tx *t, uint8_t *data, size_t len)
{
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(void *)(data - TX_DATA);
    h->tp_len = (uint32_t)len;
    __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    t->pending++;
}

int pkt_tx_flush(struct pkt_tx *t)
{
    if (!t->pending) return 0;
    t->pending = 0;
    for (;;) {
        ssize_t n = send(t->fd, NULL, 0, MSG_DONTWAIT);
        if (n >= 0) return 0;
        if (errno != EINTR) return -1;
    }
}

void pkt_tx_close(struct pkt_tx *t)
{
    if (t->map && t->map != MAP_FAILED) munmap(t->map, t->maplen);
    t->map = NULL;
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
}

/* ---- receiving ---- */

#define RX_BLOCK  (256u << 10)
#define RX_BLOCKS 32 /* 8 MB: ~45,000 answers of 128 bytes */
#define RX_SNAP   128

void pkt_filter(struct sock_filter *f, uint32_t saddr, uint16_t port_lo, uint16_t nports,
                uint32_t snap)
{
    enum { KEEP = PKT_FILTER_LEN - 2, DROP = PKT_FILTER_LEN - 1 };
    int i = 0;
#define STMT(code, k) f[i] = (struct sock_filter){(uint16_t)(code), 0, 0, (uint32_t)(k)}, i++
/* jump to `t` when true, to DROP when false (or the reverse) */
#define JTRUE(code, k)                                                                             \
    f[i] = (struct sock_filter){(uint16_t)(BPF_JMP | (code) | BPF_K), 0, (uint8_t)(DROP - i - 1),  \
                                (uint32_t)(k)},                                                    \
    i++
#define JFALSE(code, k)                                                                            \
    f[i] = (struct sock_filter){(uint16_t)(BPF_JMP | (code) | BPF_K), (uint8_t)(DROP - i - 1), 0,  \
                                (uint32_t)(k)},                                                    \
    i++
    STMT(BPF_LD | BPF_H | BPF_ABS, 12); /* EtherType */
    JTRUE(BPF_JEQ, ETH_P_IP);
    STMT(BPF_LD | BPF_B | BPF_ABS, 23); /* IP protocol */
    JTRUE(BPF_JEQ, IPPROTO_TCP);
    STMT(BPF_LD | BPF_W | BPF_ABS, 30); /* IP destination */
    JTRUE(BPF_JEQ, ntohl(saddr));
    STMT(BPF_LD | BPF_H | BPF_ABS, 20); /* fragment offset */
    JFALSE(BPF_JSET, 0x1fff);
    STMT(BPF_LDX | BPF_B | BPF_MSH, 14); /* X = IP header length */
    STMT(BPF_LD | BPF_H | BPF_IND, 16);  /* TCP destination port */
    JTRUE(BPF_JGE, port_lo);
    JFALSE(BPF_JGE, (uint32_t)port_lo + nports);
    STMT(BPF_LD | BPF_B | BPF_IND, 27); /* TCP flags */
    JTRUE(BPF_JSET, 0x10);              /* ACK */
    JTRUE(BPF_JSET, 0x06);              /* and SYN or RST */
    STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE);
    JFALSE(BPF_JEQ, PACKET_OUTGOING);
    STMT(BPF_RET | BPF_K, snap); /* KEEP */
    STMT(BPF_RET | BPF_K, 0);    /* DROP */
#undef STMT
#undef JTRUE
#undef JFALSE
    (void)KEEP;
}

int pkt_rx_open(struct pkt_rx *r, int ifindex, uint32_t saddr, bool fanout, int *fanout_id,
                struct err *e)
{
    memset(r, 0, sizeof *r);
    r->map = MAP_FAILED;
    /* protocol 0 until bound: nothing is queued before the filter is on */
    r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (r->fd < 0) return err_set(e, "AF_PACKET socket: %s", strerror(errno));
    struct sock_filter f[PKT_FILTER_LEN];
    pkt_filter(f, saddr, SYN_SPORT_BASE, SYN_SPORT_RANGE, RX_SNAP);
    struct sock_fprog prog = {.len = PKT_FILTER_LEN, .filter = f};
    int one = 1, v = TPACKET_V3;
    struct tpacket_req3 req = {.tp_block_size = RX_BLOCK,
                               .tp_block_nr = RX_BLOCKS,
                               .tp_frame_size = 2048,
                               .tp_frame_nr = RX_BLOCK / 2048 * RX_BLOCKS,
                               .tp_retire_blk_tov = 2}; /* ms: a block not full is handed over */
    if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
        err_set(e, "attaching the receive filter: %s", strerror(errno));
        goto fail;
    }
    /* Linux 4.20+; the filter drops outgoing packets anyway */
    setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
        setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
        err_set(e, "PACKET_RX_RING: %s", strerror(errno));
        goto fail;
    }
    r->block = RX_BLOCK;
    r->nblocks = RX_BLOCKS;
    r->map = mmap(NULL, r->block * r->nblocks, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    if (r->map == MAP_FAILED) {
        err_set(e, "mapping the RX ring: %s", strerror(errno));
        goto fail;
    }
    struct sockaddr_ll ll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex};
    if (bind(r->fd, (struct sockaddr *)&ll, sizeof ll) < 0) {
        err_set(e, "binding the receive socket: %s", strerror(errno));
        goto fail;
    }
    if (fanout) {
        /* a group id of its own from the kernel (no other process's group is joined) */
        /* (0 is an id like any other: the kernel's counter starts there after a boot) */
        bool create = *fanout_id < 0;
        int arg = create ? (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16
                         : (PACKET_FANOUT_HASH << 16) | (*fanout_id & 0xffff);
        socklen_t sl = sizeof arg;
        if (setsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0 ||
            (create && getsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &arg, &sl) < 0)) {
            err_set(e, "PACKET_FANOUT: %s", strerror(errno));
            goto fail;
        }
        if (create) *fanout_id = arg & 0xffff;
    }
    return 0;
fail:;
    int saved = errno;
    pkt_rx_close(r);
    errno = saved;
    return -1;
}

size_t pkt_block_walk(const uint8_t *blk, size_t size, pkt_fn fn, void *arg)
{
    struct tpacket_block_desc bd;
    struct tpacket3_hdr h;
    if (size < sizeof bd) return 0;
    memcpy(&bd, blk, sizeof bd);
    size_t off = bd.hdr.bh1.offset_to_first_pkt, seen = 0;
    for (uint32_t i = 0; i < bd.hdr.bh1.num_pkts; i++) {
        if (off < sizeof bd || off > size || size - off < sizeof h) break;
        memcpy(&h, blk + off, sizeof h);
        size_t mac = h.tp_mac, net = h.tp_net, snap = h.tp_snaplen;
        if (net < mac || net - mac > snap || mac > size - off || snap > size - off - mac) break;
        fn(arg, blk + off + net, snap - (net - mac));
        seen++;
        if (!h.tp_next_offset || h.tp_next_offset > size - off) break;
        off += h.tp_next_offset;
    }
    return seen;
}

size_t pkt_rx_drain(struct pkt_rx *r, pkt_fn fn, void *arg)
{
    size_t seen = 0;
    for (size_t k = 0; k < r->nblocks; k++) {
        uint8_t *blk = r->map + (size_t)r->cur * r->block;
        struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(void *)blk;
        if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
        seen += pkt_block_walk(blk, r->block, fn, arg);
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        r->cur = (unsigned)((r->cur + 1) % r->nblocks);
    }
    return seen;
}

uint64_t pkt_rx_drops(struct pkt_rx *r)
{
    struct tpacket_stats_v3 st;
    socklen_t sl = sizeof st;
    memset(&st, 0, sizeof st);
    if (r->fd < 0 || getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) < 0) return 0;
    return st.tp_drops;
}

void pkt_rx_close(struct pkt_rx *r)
{
    if (r->map && r->map != MAP_FAILED) munmap(r->map, r->block * r->nblocks);
    r->map = NULL;
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
}
