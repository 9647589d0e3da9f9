/*
 * net/nlroute.h -- the kernel's answers over rtnetlink, for SYN discovery's
 * frame sender (net/pktio.h): the route towards an address (RTM_GETROUTE:
 * type, output interface, gateway, preferred source), an interface
 * (RTM_GETLINK: name, type, flags, hardware address) and a neighbour entry
 * (RTM_GETNEIGH: the gateway's MAC and its state).
 *
 * Raw netlink, about as small as a library binding would be. The parsers
 * are separate from the socket code so that the unit tests and a fuzzer
 * feed them any bytes: each takes the bytes of one recv() and never trusts
 * a length it did not check (headers copied out with memcpy, so any
 * alignment will do; every message and attribute length bounded by what
 * is left; attributes of a size other than the one expected refused).
 */
#ifndef AJAR_NET_NLROUTE_H
#define AJAR_NET_NLROUTE_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a parser returns besides -1 (e->msg says why): the answer is complete, or a dump
 * goes on in the next datagram. */
enum { NL_MORE = 0, NL_DONE = 1 };

struct nl_route {
    bool found;       /* an RTM_NEWROUTE answered the request */
    uint8_t type;     /* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE... */
    int oif;          /* output interface index, 0 = none given */
    bool has_gw;      /* a next hop other than the destination */
    uint32_t gw;      /* network order */
    bool has_src;     /* the preferred source address */
    uint32_t prefsrc; /* network order */
    bool via;         /* RTA_VIA (a gateway of another family): not supported */
};

struct nl_link {
    bool found;
    int ifindex;
    uint16_t type;   /* ARPHRD_ETHER, ARPHRD_LOOPBACK... */
    uint32_t flags;  /* IFF_UP, IFF_LOOPBACK... */
    size_t addr_len; /* length of IFLA_ADDRESS as given (0: none) */
    uint8_t addr[6]; /* when addr_len == 6 */
    uint32_t mtu;
    char name[16]; /* IFNAMSIZ; empty when not given */
};

struct nl_neigh {
    bool found;     /* an entry for the address on the interface */
    uint16_t state; /* NUD_REACHABLE, NUD_STALE, NUD_FAILED... */
    bool has_lladdr;
    uint8_t lladdr[6];
};

/* One datagram of the answer to request `seq` into *out (which accumulates over a dump; zero
 * it before the first call). */
int nl_route_parse(const void *buf, size_t n, uint32_t seq, struct nl_route *out, struct err *e);
int nl_link_parse(const void *buf, size_t n, uint32_t seq, int ifindex, struct nl_link *out,
                  struct err *e);
/* A neighbour dump: the entry of IPv4 address `addr` (network order) on `ifindex`. */
int nl_neigh_parse(const void *buf, size_t n, uint32_t seq, int ifindex, uint32_t addr,
                   struct nl_neigh *out, struct err *e);
/* Is this neighbour state one whose MAC may be used (reachable, stale, delay, probe,
 * permanent, noarp)? */
bool nl_neigh_usable(uint16_t state);

/* The requests (into buf, at least 64 bytes); they return the length. */
size_t nl_route_req(uint8_t *buf, uint32_t seq, uint32_t dst, int oif);
size_t nl_link_req(uint8_t *buf, uint32_t seq, int ifindex);
size_t nl_neigh_req(uint8_t *buf, uint32_t seq, int ifindex);

/* Ask the kernel: a fresh NETLINK_ROUTE socket, one request, the answer read with a 1 s
 * deadline per datagram and at most 16 MB in all. 0, or -1 with e->msg. */
int nl_get_route(uint32_t dst, int oif, struct nl_route *out, struct err *e);
int nl_get_link(int ifindex, struct nl_link *out, struct err *e);
int nl_get_neigh(int ifindex, uint32_t addr, struct nl_neigh *out, struct err *e);

#endif
