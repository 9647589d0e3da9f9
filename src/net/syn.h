/*
 * net/syn.h -- stateless SYN discovery (--discovery syn).
 *
 * The connect engine spends a socket, a file descriptor and a kernel
 * connection on every pair it tries. SYN discovery spends nothing per
 * pair: it writes TCP SYN segments itself, in batches paced by the same
 * token bucket -- as Ethernet frames on an AF_PACKET socket (sendmmsg or a
 * TX ring, PACKET_QDISC_BYPASS; net/pktio.h) or, where AF_PACKET cannot
 * carry the scan, as IP packets on a raw socket -- and reads the answers
 * from a receive ring behind a BPF filter (or a raw TCP socket). Which
 * replies answer our SYNs is decided without remembering what was sent:
 * the initial sequence number of each SYN is a keyed hash (SipHash-2-4,
 * key drawn per scan) of the four-tuple, so a SYN-ACK whose
 * acknowledgement is that hash plus one is an open port and an RST with
 * the same acknowledgement a closed one; anything else is noise. Memory
 * grows only with the open ports found.
 *
 * Privileges: the sockets (and their rings) are opened first, then the
 * process forks. The child, which parses packets from the network, becomes
 * nobody with no capabilities and no way to gain any (no_new_privs); the
 * parent keeps its user id (the store and the output are its files) but
 * drops every capability, reads the open pairs from the child through a
 * pipe and hands them to the sink (--discovery-only) or to the connect
 * engine's probe stage. docs/syn.md has the design and the figures.
 */
#ifndef AJAR_NET_SYN_H
#define AJAR_NET_SYN_H

#include "net/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Source ports are SYN_SPORT_BASE + hash % SYN_SPORT_RANGE (above Linux's ephemeral range). */
#define SYN_SPORT_BASE  61000
#define SYN_SPORT_RANGE 4096
/* Bytes of the SYN we build: IPv4 header, TCP header, one MSS option. */
#define SYN_PACKET_LEN 44
/* An Ethernet header, and a frame: header + SYN, zero-padded to Ethernet's 60-byte minimum. */
#define SYN_ETH_LEN   14
#define SYN_FRAME_LEN 60

struct syn_key {
    uint8_t k[16];
};

/* SipHash-2-4 of n bytes under a 128-bit key. */
uint64_t syn_siphash(const struct syn_key *key, const void *data, size_t n);

/* The source port the scan uses towards (daddr, dport); addresses in network order. */
uint16_t syn_sport(const struct syn_key *key, uint32_t saddr, uint32_t daddr, uint16_t dport);
/* The initial sequence number of the SYN (saddr, sport) -> (daddr, dport). */
uint32_t syn_cookie(const struct syn_key *key, uint32_t saddr, uint32_t daddr, uint16_t sport,
                    uint16_t dport);

/* Write the SYN to (daddr, dport) into buf (SYN_PACKET_LEN bytes); returns its length. */
size_t syn_build(const struct syn_key *key, uint8_t *buf, uint32_t saddr, uint32_t daddr,
                 uint16_t dport);

/* The 14-byte Ethernet header dst, src, type IPv4. */
void syn_eth_header(uint8_t eth[SYN_ETH_LEN], const uint8_t dst[6], const uint8_t src[6]);
/* The same SYN in an Ethernet frame (eth: syn_eth_header's) into buf (SYN_FRAME_LEN bytes);
 * returns SYN_FRAME_LEN. */
size_t syn_build_frame(const struct syn_key *key, uint8_t *buf, const uint8_t eth[SYN_ETH_LEN],
                       uint32_t saddr, uint32_t daddr, uint16_t dport);

enum syn_verdict { SYN_NOISE = 0, SYN_OPEN, SYN_CLOSED };
/*
 * Judge one received IPv4 packet (as a raw TCP socket delivers it, IP
 * header first) sent to saddr: SYN_OPEN for a SYN-ACK acknowledging our
 * cookie, SYN_CLOSED for an RST acknowledging it, SYN_NOISE otherwise.
 * *daddr / *dport get the target's address (network order) and port.
 */
enum syn_verdict syn_validate(const struct syn_key *key, uint32_t saddr, const uint8_t *pkt,
                              size_t n, uint32_t *daddr, uint16_t *dport);

/*
 * Run SYN discovery over `it`, then (unless o->discovery_only) the connect
 * engine's probe stage over the open pairs. Same contract as engine_run;
 * fails with one line in e->msg when the sockets are refused (no
 * CAP_NET_RAW), or when o->syn names a method that cannot carry the scan.
 * o->retries is the number of extra passes over the walk; o->timeout_ms
 * the time replies are awaited after the last SYN; o->syn the sender.
 */
int syn_run(struct target_iter *it, const struct engine_opts *o, const struct engine_sink *sink,
            struct engine_stats *st, struct err *e);

#endif
