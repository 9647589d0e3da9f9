/*
 * net/pktio.h -- Ethernet frames in and out for SYN discovery
 * (--send-method mmsg|ring; docs/syn.md).
 *
 * Where the frames go (pkt_path_resolve): the route towards the first
 * target, its interface's index, MAC and address, and the next hop's MAC
 * from the kernel's neighbour table (net/nlroute.h); --interface,
 * --gateway-mac and --source-ip override. On loopback the destination MAC
 * is the interface's own.
 *
 * Sending (struct pkt_tx): an AF_PACKET socket bound to the interface with
 * PACKET_QDISC_BYPASS (the frame goes to the driver: no route lookup, no IP
 * output path, no queueing discipline), written with sendmmsg or through a
 * PACKET_TX_RING (TPACKET_V2, frames written in place, one send() flushes).
 *
 * Receiving (struct pkt_rx): a PACKET_RX_RING (TPACKET_V3: blocks of
 * packets the kernel fills and hands over) on an AF_PACKET socket with a
 * classic BPF filter that keeps only IPv4 TCP segments to our address and
 * source-port range carrying ACK and SYN or RST (the answers to our SYNs),
 * 128 bytes of each; outgoing packets are ignored. Several of them form a
 * PACKET_FANOUT group (one per sender thread). PACKET_STATISTICS gives the
 * kernel's drops.
 *
 * Every socket and ring is set up by the privileged parent before the
 * sending process drops its privileges; nothing here needs a privilege
 * afterwards.
 */
#ifndef AJAR_NET_PKTIO_H
#define AJAR_NET_PKTIO_H

#include "core/util.h"
#include "net/engine.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pkt_path {
    int ifindex;
    char ifname[16];
    uint8_t src_mac[6], dst_mac[6];
    uint32_t saddr;    /* network order */
    bool loopback;     /* the frames stay on this host (lo) */
    char why_not[200]; /* set when frames cannot carry this scan (then use the raw socket) */
};

/*
 * The path towards daddr (network order) under o's overrides. -1 with e->msg when there is
 * no way at all (no route, --interface names nothing); 0 otherwise, with p->why_not set
 * when AF_PACKET frames cannot be sent there (an interface without Ethernet framing, an
 * on-link destination without --gateway-mac, no neighbour entry for the gateway, loopback
 * without route_localnet/accept_local) -- the raw socket may still reach it.
 */
int pkt_path_resolve(uint32_t daddr, const struct syn_send_opts *o, struct pkt_path *p,
                     struct err *e);

/* "aa:bb:cc:dd:ee:ff" (or with '-') into out: 0, or -1 for anything else or a group
 * (multicast or broadcast) address. */
int pkt_mac_parse(const char *s, uint8_t out[6]);

struct pkt_tx {
    int fd;
    bool ring;
    uint8_t *map;
    size_t maplen;
    unsigned cur, nframes, pending;
};

/* A sending socket on ifindex (sendmmsg, or a TX ring). -1 with e->msg; errno is kept for
 * the caller to tell a refusal (EPERM, EACCES, EAFNOSUPPORT) from another failure. */
int pkt_tx_open(struct pkt_tx *t, int ifindex, bool ring, struct err *e);
/* Ring: the data area of the next free frame (SYN_FRAME_LEN bytes), NULL while the ring is
 * full (pkt_tx_flush, then wait for POLLOUT). */
uint8_t *pkt_tx_frame(struct pkt_tx *t);
/* Ring: hand the frame pkt_tx_frame gave to the kernel (sent at the next flush). */
void pkt_tx_commit(struct pkt_tx *t, uint8_t *data, size_t len);
/* Ring: send every committed frame. 0, or -1 with errno (ENOBUFS: the driver's queue was
 * full and frames were dropped). */
int pkt_tx_flush(struct pkt_tx *t);
void pkt_tx_close(struct pkt_tx *t);

#define PKT_FILTER_LEN 19
/* The receive filter (PKT_FILTER_LEN instructions): IPv4 TCP to saddr (network order), a
 * destination port in [port_lo, port_lo + nports), ACK with SYN or RST, not a fragment,
 * not outgoing; keeps `snap` bytes. */
void pkt_filter(struct sock_filter *f, uint32_t saddr, uint16_t port_lo, uint16_t nports,
                uint32_t snap);

struct pkt_rx {
    int fd;
    uint8_t *map;
    size_t block, nblocks;
    unsigned cur;
};

/* A receive ring on ifindex with pkt_filter. With fanout, it joins the PACKET_FANOUT_HASH
 * group *fanout_id, or with *fanout_id < 0 creates one with an id no other socket uses and
 * returns the id in *fanout_id. */
int pkt_rx_open(struct pkt_rx *r, int ifindex, uint32_t saddr, bool fanout, int *fanout_id,
                struct err *e);
typedef void (*pkt_fn)(void *arg, const uint8_t *ip, size_t n);
/* Every packet of every block the kernel has handed over, IPv4 header first, to fn;
 * the blocks go back to the kernel. Returns the packets seen. */
size_t pkt_rx_drain(struct pkt_rx *r, pkt_fn fn, void *arg);
/* The kernel's count of packets this socket dropped (ring full) since the last call. */
uint64_t pkt_rx_drops(struct pkt_rx *r);
void pkt_rx_close(struct pkt_rx *r);

/*
 * One TPACKET_V3 block of `size` bytes as the kernel fills it (its descriptor, then the
 * packets): each packet's network header and length to fn, every offset checked against
 * the block. Returns the packets handed to fn. (The ring's memory comes from the kernel,
 * the bytes in it from the network; the walk trusts neither.)
 */
size_t pkt_block_walk(const uint8_t *blk, size_t size, pkt_fn fn, void *arg);

#endif
