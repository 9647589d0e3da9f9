/*
 * tests/fuzz/fuzz_netlink.c -- the rtnetlink reply parsers of SYN discovery's
 * frame sender (src/net/nlroute.h) on any bytes. Byte 0 picks the parser
 * (route, link, neighbour dump); the rest is one or more datagrams
 * separated by "\xff" "A" "J", fed in turn as the socket code does (request
 * sequence 1, interface 4, neighbour 10.0.0.1), each copied to a heap block
 * of exactly its size. The parsers' promises are checked: a result in
 * {-1, NL_MORE, NL_DONE}, one line of error text, an interface index that
 * is not negative, a name that ends inside its buffer, the interface asked
 * for, a neighbour MAC made of the input's own bytes.
 */
#include "net/nlroute.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1) return 0;
    int which = data[0] % 3;
    const uint8_t *p = data + 1, *end = data + n;
    struct nl_route r;
    struct nl_link l;
    struct nl_neigh nb;
    memset(&r, 0, sizeof r);
    memset(&l, 0, sizeof l);
    memset(&nb, 0, sizeof nb);
    uint32_t gw = htonl(0x0a000001);
    int rc = NL_MORE;
    for (int d = 0; d < 8 && rc == NL_MORE && p <= end; d++) {
        const uint8_t *m = memmem(p, (size_t)(end - p),
                                  "\xff"
                                  "AJ",
                                  3);
        size_t len = m ? (size_t)(m - p) : (size_t)(end - p);
        uint8_t *c = malloc(len ? len : 1);
        if (!c) return 0;
        memcpy(c, p, len);
        struct err e;
        e.msg[0] = 0;
        if (which == 0)
            rc = nl_route_parse(c, len, 1, &r, &e);
        else if (which == 1)
            rc = nl_link_parse(c, len, 1, 4, &l, &e);
        else
            rc = nl_neigh_parse(c, len, 1, 4, gw, &nb, &e);
        free(c);
        if (rc < -1 || rc > NL_DONE) __builtin_trap();
        if (rc == -1 && (!e.msg[0] || strchr(e.msg, '\n'))) __builtin_trap();
        if (!m) break;
        p = m + 3;
    }
    if (r.found && r.oif < 0) __builtin_trap();
    if (l.found && (l.ifindex != 4 || !memchr(l.name, 0, sizeof l.name))) __builtin_trap();
    if (nb.found && nb.has_lladdr && !memmem(data, n, nb.lladdr, 6)) __builtin_trap();
    return 0;
}
