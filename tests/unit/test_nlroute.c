/*
 * tests/unit/test_nlroute.c -- the rtnetlink reply parsers (src/net/nlroute.h)
 * on replies built here byte by byte as the kernel lays them out: a route
 * (unicast through a gateway, local, an error), an interface, a neighbour
 * dump spread over datagrams. Then what a hostile or broken reply may do:
 * every truncation, a split at every message boundary, every byte set to
 * 0x00 and 0xff, lengths that lie, attributes of the wrong size, answers
 * to another request. Nothing may crash (ASan), and no truncated or
 * corrupted reply may yield an answer it does not hold.
 */
#include "net/nlroute.h"
#include "unit/t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

struct mb {
    uint8_t b[4096];
    size_t n, start;
};

static void pad(struct mb *m)
{
    while (m->n % 4)
        m->b[m->n++] = 0;
}

static void put(struct mb *m, const void *p, size_t len)
{
    memcpy(m->b + m->n, p, len);
    m->n += len;
}

static void msg_begin(struct mb *m, uint16_t type, uint16_t flags, uint32_t seq)
{
    pad(m);
    m->start = m->n;
    struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq};
    put(m, &h, sizeof h);
}

static void msg_end(struct mb *m)
{
    pad(m);
    uint32_t len = (uint32_t)(m->n - m->start);
    memcpy(m->b + m->start, &len, 4);
}

static void attr(struct mb *m, uint16_t type, const void *v, size_t len)
{
    struct rtattr ra = {.rta_len = (unsigned short)(4 + len), .rta_type = type};
    put(m, &ra, sizeof ra);
    put(m, v, len);
    pad(m);
}

static uint32_t ip4(const char *s)
{
    struct in_addr a;
    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

static void route_msg(struct mb *m, uint32_t seq, uint8_t family, uint8_t type, uint32_t oif,
                      const char *gw, const char *src)
{
    msg_begin(m, RTM_NEWROUTE, 0, seq);
    struct rtmsg rm = {.rtm_family = family, .rtm_dst_len = 32, .rtm_type = type};
    put(m, &rm, sizeof rm);
    uint32_t dst = ip4("10.9.8.7"), table = RT_TABLE_MAIN;
    attr(m, RTA_TABLE, &table, 4);
    attr(m, RTA_DST, &dst, 4);
    attr(m, RTA_OIF, &oif, 4);
    if (gw) {
        uint32_t g = ip4(gw);
        attr(m, RTA_GATEWAY, &g, 4);
    }
    if (src) {
        uint32_t s = ip4(src);
        attr(m, RTA_PREFSRC, &s, 4);
    }
    msg_end(m);
}

static void error_msg(struct mb *m, uint32_t seq, int code)
{
    msg_begin(m, NLMSG_ERROR, 0, seq);
    struct nlmsgerr ne = {.error = code};
    put(m, &ne, sizeof ne);
    msg_end(m);
}

static void done_msg(struct mb *m, uint32_t seq)
{
    msg_begin(m, NLMSG_DONE, NLM_F_MULTI, seq);
    int32_t zero = 0;
    put(m, &zero, 4);
    msg_end(m);
}

static void link_msg(struct mb *m, uint32_t seq, int ifindex, uint16_t type, const char *name,
                     const uint8_t *addr, size_t alen)
{
    msg_begin(m, RTM_NEWLINK, 0, seq);
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
                            .ifi_type = type,
                            .ifi_index = ifindex,
                            .ifi_flags = IFF_UP | IFF_BROADCAST};
    put(m, &ifi, sizeof ifi);
    attr(m, IFLA_IFNAME, name, strlen(name) + 1);
    uint32_t mtu = 1500;
    attr(m, IFLA_MTU, &mtu, 4);
    if (addr) attr(m, IFLA_ADDRESS, addr, alen);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    attr(m, IFLA_BROADCAST, bcast, 6);
    msg_end(m);
}

static void neigh_msg(struct mb *m, uint32_t seq, int ifindex, const char *dst, uint16_t state,
                      const uint8_t *ll)
{
    msg_begin(m, RTM_NEWNEIGH, NLM_F_MULTI, seq);
    struct ndmsg nd = {.ndm_family = AF_INET, .ndm_ifindex = ifindex, .ndm_state = state};
    put(m, &nd, sizeof nd);
    uint32_t d = ip4(dst);
    attr(m, NDA_DST, &d, 4);
    if (ll) attr(m, NDA_LLADDR, ll, 6);
    msg_end(m);
}

static const uint8_t MAC_GW[6] = {0x02, 0x00, 0x00, 0x00, 0xbe, 0xef};
static const uint8_t MAC_OTHER[6] = {0x02, 0x00, 0x00, 0x00, 0x11, 0x22};
static const uint8_t MAC_IF[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* Parse a copy of buf[0..n) in a heap block of exactly n bytes, so one byte past is an ASan
 * report. */
static int route_n(const uint8_t *buf, size_t n, uint32_t seq, struct nl_route *r, struct err *e)
{
    uint8_t *c = malloc(n ? n : 1);
    memcpy(c, buf, n);
    memset(r, 0, sizeof *r);
    int rc = nl_route_parse(c, n, seq, r, e);
    free(c);
    return rc;
}

static void test_route(void)
{
    struct mb m = {0};
    struct nl_route r;
    struct err e;
    route_msg(&m, 7, AF_INET, RTN_UNICAST, 3, "10.0.0.1", "10.0.0.5");
    CHECK_INT(route_n(m.b, m.n, 7, &r, &e), NL_DONE);
    CHECK(r.found);
    CHECK_INT(r.type, RTN_UNICAST);
    CHECK_INT(r.oif, 3);
    CHECK(r.has_gw && r.gw == ip4("10.0.0.1"));
    CHECK(r.has_src && r.prefsrc == ip4("10.0.0.5"));
    CHECK(!r.via);

    /* every truncation: an error or "more to come", never an answer */
    int bad = 0;
    for (size_t k = 0; k < m.n; k++) {
        int rc = route_n(m.b, k, 7, &r, &e);
        if (rc == NL_DONE || r.found) bad++;
        if (k > 0 && rc != -1) bad++;
    }
    CHECK_INT(bad, 0);

    /* loopback: local, no gateway */
    memset(&m, 0, sizeof m);
    route_msg(&m, 8, AF_INET, RTN_LOCAL, 1, NULL, "127.0.0.1");
    CHECK_INT(route_n(m.b, m.n, 8, &r, &e), NL_DONE);
    CHECK(r.found && r.type == RTN_LOCAL && r.oif == 1 && !r.has_gw);
    CHECK(r.prefsrc == ip4("127.0.0.1"));

    /* another request's answer and another family are passed over */
    memset(&m, 0, sizeof m);
    route_msg(&m, 99, AF_INET, RTN_UNICAST, 5, "10.0.0.9", "10.0.0.5");
    route_msg(&m, 9, AF_INET6, RTN_UNICAST, 6, NULL, NULL);
    CHECK_INT(route_n(m.b, m.n, 9, &r, &e), NL_MORE);
    CHECK(!r.found);
    route_msg(&m, 9, AF_INET, RTN_UNREACHABLE, 0, NULL, NULL);
    CHECK_INT(route_n(m.b, m.n, 9, &r, &e), NL_DONE);
    CHECK(r.found && r.type == RTN_UNREACHABLE && r.oif == 0);

    /* the kernel's refusal */
    memset(&m, 0, sizeof m);
    error_msg(&m, 10, -ENETUNREACH);
    CHECK_INT(route_n(m.b, m.n, 10, &r, &e), -1);
    CHECK_MSG(strstr(e.msg, "unreachable") != NULL, "%s", e.msg);
    memset(&m, 0, sizeof m);
    error_msg(&m, 10, 5); /* a positive code is no errno */
    CHECK_INT(route_n(m.b, m.n, 10, &r, &e), -1);
    memset(&m, 0, sizeof m);
    error_msg(&m, 10, 0); /* an acknowledgement: done, nothing found */
    CHECK_INT(route_n(m.b, m.n, 10, &r, &e), NL_DONE);
    CHECK(!r.found);

    /* an attribute of the wrong size */
    memset(&m, 0, sizeof m);
    msg_begin(&m, RTM_NEWROUTE, 0, 11);
    struct rtmsg rm = {.rtm_family = AF_INET, .rtm_type = RTN_UNICAST};
    put(&m, &rm, sizeof rm);
    uint16_t two = 2;
    attr(&m, RTA_OIF, &two, 2);
    msg_end(&m);
    CHECK_INT(route_n(m.b, m.n, 11, &r, &e), -1);
    CHECK_MSG(strstr(e.msg, "RTA_OIF") != NULL, "%s", e.msg);

    /* lengths that lie: a message shorter than its header, an attribute past the message */
    memset(&m, 0, sizeof m);
    route_msg(&m, 12, AF_INET, RTN_UNICAST, 3, "10.0.0.1", "10.0.0.5");
    uint8_t c[4096];
    memcpy(c, m.b, m.n);
    uint32_t len = 8;
    memcpy(c, &len, 4);
    CHECK_INT(route_n(c, m.n, 12, &r, &e), -1);
    memcpy(c, m.b, m.n);
    uint16_t alen = 400;
    memcpy(c + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg)), &alen, 2);
    CHECK_INT(route_n(c, m.n, 12, &r, &e), -1);
    CHECK(!r.found);
    /* an interface index that does not fit an int */
    memset(&m, 0, sizeof m);
    route_msg(&m, 13, AF_INET, RTN_UNICAST, 0x80000000u, NULL, NULL);
    CHECK_INT(route_n(m.b, m.n, 13, &r, &e), -1);

    /* every byte set to 0x00 and to 0xff: no crash; an answer keeps a sane interface index */
    memset(&m, 0, sizeof m);
    route_msg(&m, 14, AF_INET, RTN_UNICAST, 3, "10.0.0.1", "10.0.0.5");
    int insane = 0;
    for (size_t i = 0; i < m.n; i++)
        for (int v = 0; v < 2; v++) {
            memcpy(c, m.b, m.n);
            c[i] = v ? 0xff : 0x00;
            int rc = route_n(c, m.n, 14, &r, &e);
            if (rc == NL_DONE && r.found && r.oif < 0) insane++;
            if (rc < -1 || rc > NL_DONE) insane++;
        }
    CHECK_INT(insane, 0);
}

static int link_n(const uint8_t *buf, size_t n, uint32_t seq, int ifindex, struct nl_link *l,
                  struct err *e)
{
    uint8_t *c = malloc(n ? n : 1);
    memcpy(c, buf, n);
    memset(l, 0, sizeof *l);
    int rc = nl_link_parse(c, n, seq, ifindex, l, e);
    free(c);
    return rc;
}

static void test_link(void)
{
    struct mb m = {0};
    struct nl_link l;
    struct err e;
    link_msg(&m, 3, 4, ARPHRD_ETHER, "veth0", MAC_IF, 6);
    CHECK_INT(link_n(m.b, m.n, 3, 4, &l, &e), NL_DONE);
    CHECK(l.found && l.ifindex == 4 && l.type == ARPHRD_ETHER && (l.flags & IFF_UP));
    CHECK_STR(l.name, "veth0");
    CHECK_INT(l.addr_len, 6);
    CHECK(memcmp(l.addr, MAC_IF, 6) == 0);
    CHECK_INT(l.mtu, 1500);
    CHECK_INT(link_n(m.b, m.n, 3, 5, &l, &e), NL_MORE); /* another interface */
    CHECK(!l.found);
    int bad = 0;
    for (size_t k = 1; k < m.n; k++)
        if (link_n(m.b, k, 3, 4, &l, &e) != -1 || l.found) bad++;
    CHECK_INT(bad, 0);

    /* an address of another length is noted, not copied; no address at all */
    memset(&m, 0, sizeof m);
    uint8_t ib[20];
    memset(ib, 0xab, sizeof ib);
    link_msg(&m, 3, 4, ARPHRD_INFINIBAND, "ib0", ib, sizeof ib);
    CHECK_INT(link_n(m.b, m.n, 3, 4, &l, &e), NL_DONE);
    CHECK_INT(l.addr_len, 20);
    memset(&m, 0, sizeof m);
    link_msg(&m, 3, 4, ARPHRD_NONE, "tun0", NULL, 0);
    CHECK_INT(link_n(m.b, m.n, 3, 4, &l, &e), NL_DONE);
    CHECK_INT(l.addr_len, 0);

    /* names: 15 characters fit, 16 do not; no NUL in the attribute is fine when short */
    memset(&m, 0, sizeof m);
    link_msg(&m, 3, 4, ARPHRD_ETHER, "abcdefghijklmno", MAC_IF, 6);
    CHECK_INT(link_n(m.b, m.n, 3, 4, &l, &e), NL_DONE);
    CHECK_STR(l.name, "abcdefghijklmno");
    memset(&m, 0, sizeof m);
    link_msg(&m, 3, 4, ARPHRD_ETHER, "abcdefghijklmnop", MAC_IF, 6);
    CHECK_INT(link_n(m.b, m.n, 3, 4, &l, &e), -1);
    memset(&m, 0, sizeof m);
    msg_begin(&m, RTM_NEWLINK, 0, 3);
    struct ifinfomsg ifi = {.ifi_index = 4, .ifi_type = ARPHRD_ETHER};
    put(&m, &ifi, sizeof ifi);
    attr(&m, IFLA_IFNAME, "eth9", 4); /* no terminating NUL */
    msg_end(&m);
    CHECK_INT(link_n(m.b, m.n, 3, 4, &l, &e), NL_DONE);
    CHECK_STR(l.name, "eth9");
    memset(&m, 0, sizeof m);
    msg_begin(&m, RTM_NEWLINK, 0, 3);
    put(&m, &ifi, sizeof ifi);
    attr(&m, IFLA_IFNAME, "", 1); /* empty */
    msg_end(&m);
    CHECK_INT(link_n(m.b, m.n, 3, 4, &l, &e), -1);

    memset(&m, 0, sizeof m);
    link_msg(&m, 3, 4, ARPHRD_ETHER, "veth0", MAC_IF, 6);
    uint8_t c[4096];
    int insane = 0;
    for (size_t i = 0; i < m.n; i++)
        for (int v = 0; v < 2; v++) {
            memcpy(c, m.b, m.n);
            c[i] = v ? 0xff : 0x00;
            int rc = link_n(c, m.n, 3, 4, &l, &e);
            if (rc == NL_DONE && l.found && (strlen(l.name) >= sizeof l.name || l.ifindex != 4))
                insane++;
        }
    CHECK_INT(insane, 0);
}

/* Feed datagrams d[0..nd) in turn, as the socket code does; the last return. */
static int neigh_feed(const uint8_t *const *d, const size_t *len, int nd, uint32_t seq,
                      struct nl_neigh *nb, struct err *e)
{
    memset(nb, 0, sizeof *nb);
    int rc = NL_MORE;
    for (int i = 0; i < nd && rc == NL_MORE; i++) {
        uint8_t *c = malloc(len[i] ? len[i] : 1);
        memcpy(c, d[i], len[i]);
        rc = nl_neigh_parse(c, len[i], seq, 4, ip4("10.0.0.1"), nb, e);
        free(c);
    }
    return rc;
}

static void test_neigh(void)
{
    struct mb m = {0};
    struct nl_neigh nb;
    struct err e;
    size_t bound[8];
    int nbound = 0;
    neigh_msg(&m, 5, 3, "10.0.0.1", NUD_REACHABLE, MAC_OTHER); /* another interface */
    bound[nbound++] = m.n;
    neigh_msg(&m, 5, 4, "10.0.0.2", NUD_REACHABLE, MAC_OTHER); /* another address */
    bound[nbound++] = m.n;
    neigh_msg(&m, 5, 4, "10.0.0.1", NUD_STALE, MAC_GW); /* ours */
    bound[nbound++] = m.n;
    neigh_msg(&m, 5, 4, "10.0.0.3", NUD_FAILED, NULL);
    bound[nbound++] = m.n;
    done_msg(&m, 5);
    const uint8_t *d[2] = {m.b, NULL};
    size_t len[2] = {m.n, 0};
    CHECK_INT(neigh_feed(d, len, 1, 5, &nb, &e), NL_DONE);
    CHECK(nb.found && nb.has_lladdr && nb.state == NUD_STALE);
    CHECK(memcmp(nb.lladdr, MAC_GW, 6) == 0);
    CHECK(nl_neigh_usable(nb.state));

    /* split at every message boundary: the same answer */
    int differ = 0;
    for (int i = 0; i < nbound; i++) {
        d[0] = m.b;
        len[0] = bound[i];
        d[1] = m.b + bound[i];
        len[1] = m.n - bound[i];
        if (neigh_feed(d, len, 2, 5, &nb, &e) != NL_DONE || !nb.found ||
            memcmp(nb.lladdr, MAC_GW, 6) != 0)
            differ++;
    }
    CHECK_INT(differ, 0);
    /* split anywhere else: the first datagram ends inside a message, which is an error */
    int accepted = 0;
    for (size_t k = 1; k < m.n; k++) {
        bool boundary = false;
        for (int i = 0; i < nbound; i++)
            boundary |= bound[i] == k;
        if (boundary) continue;
        d[0] = m.b;
        len[0] = k;
        d[1] = m.b + k;
        len[1] = m.n - k;
        if (neigh_feed(d, len, 2, 5, &nb, &e) != -1) accepted++;
    }
    CHECK_INT(accepted, 0);
    /* a dump the kernel gave up on ends with an error code in its DONE message */
    memset(&m, 0, sizeof m);
    neigh_msg(&m, 5, 4, "10.0.0.1", NUD_STALE, MAC_GW);
    msg_begin(&m, NLMSG_DONE, NLM_F_MULTI, 5);
    int32_t einval = -EINVAL;
    put(&m, &einval, 4);
    msg_end(&m);
    d[0] = m.b;
    len[0] = m.n;
    CHECK_INT(neigh_feed(d, len, 1, 5, &nb, &e), -1);
    CHECK_MSG(strstr(e.msg, "Invalid argument") != NULL, "%s", e.msg);
    memset(&m, 0, sizeof m);
    msg_begin(&m, NLMSG_DONE, NLM_F_MULTI, 5); /* a DONE with no payload: the end */
    msg_end(&m);
    len[0] = m.n;
    CHECK_INT(neigh_feed(d, len, 1, 5, &nb, &e), NL_DONE);
    memset(&m, 0, sizeof m);
    neigh_msg(&m, 5, 3, "10.0.0.1", NUD_REACHABLE, MAC_OTHER);
    neigh_msg(&m, 5, 4, "10.0.0.2", NUD_REACHABLE, MAC_OTHER);
    neigh_msg(&m, 5, 4, "10.0.0.1", NUD_STALE, MAC_GW);
    neigh_msg(&m, 5, 4, "10.0.0.3", NUD_FAILED, NULL);
    /* without the DONE message the dump is not over */
    d[0] = m.b;
    len[0] = bound[nbound - 1];
    CHECK_INT(neigh_feed(d, len, 1, 5, &nb, &e), NL_MORE);

    /* an entry that cannot be used; then a usable one of the same address wins */
    memset(&m, 0, sizeof m);
    neigh_msg(&m, 6, 4, "10.0.0.1", NUD_FAILED, NULL);
    done_msg(&m, 6);
    d[0] = m.b;
    len[0] = m.n;
    CHECK_INT(neigh_feed(d, len, 1, 6, &nb, &e), NL_DONE);
    CHECK(nb.found && !nb.has_lladdr && !nl_neigh_usable(nb.state));
    memset(&m, 0, sizeof m);
    neigh_msg(&m, 6, 4, "10.0.0.1", NUD_INCOMPLETE, NULL);
    neigh_msg(&m, 6, 4, "10.0.0.1", NUD_PERMANENT, MAC_GW);
    neigh_msg(&m, 6, 4, "10.0.0.1", NUD_REACHABLE, MAC_OTHER); /* the first usable one stays */
    done_msg(&m, 6);
    len[0] = m.n;
    CHECK_INT(neigh_feed(d, len, 1, 6, &nb, &e), NL_DONE);
    CHECK(nb.state == NUD_PERMANENT && memcmp(nb.lladdr, MAC_GW, 6) == 0);
    CHECK(!nl_neigh_usable(NUD_INCOMPLETE) && !nl_neigh_usable(NUD_FAILED) &&
          !nl_neigh_usable(NUD_NONE));
    CHECK(nl_neigh_usable(NUD_REACHABLE) && nl_neigh_usable(NUD_DELAY) &&
          nl_neigh_usable(NUD_PROBE) && nl_neigh_usable(NUD_NOARP));

    /* NDA_DST of the wrong size; corruption everywhere */
    memset(&m, 0, sizeof m);
    msg_begin(&m, RTM_NEWNEIGH, NLM_F_MULTI, 7);
    struct ndmsg nd = {.ndm_family = AF_INET, .ndm_ifindex = 4, .ndm_state = NUD_REACHABLE};
    put(&m, &nd, sizeof nd);
    attr(&m, NDA_DST, "\x0a\x00\x00", 3);
    msg_end(&m);
    len[0] = m.n;
    CHECK_INT(neigh_feed(d, len, 1, 7, &nb, &e), -1);

    memset(&m, 0, sizeof m);
    neigh_msg(&m, 8, 4, "10.0.0.1", NUD_REACHABLE, MAC_GW);
    done_msg(&m, 8);
    uint8_t c[4096];
    int insane = 0;
    for (size_t i = 0; i < m.n; i++)
        for (int v = 0; v < 2; v++) {
            memcpy(c, m.b, m.n);
            c[i] = v ? 0xff : 0x00;
            d[0] = c;
            len[0] = m.n;
            int rc = neigh_feed(d, len, 1, 8, &nb, &e);
            if (rc < -1 || rc > NL_DONE) insane++;
            /* a found entry's MAC is one of the input's bytes, never stale memory */
            if (nb.found && nb.has_lladdr && memcmp(nb.lladdr, MAC_GW, 6) != 0 &&
                !memmem(c, m.n, nb.lladdr, 6))
                insane++;
        }
    CHECK_INT(insane, 0);
}

static void test_requests(void)
{
    uint8_t b[64];
    size_t n = nl_route_req(b, 42, ip4("10.1.2.3"), 7);
    struct nlmsghdr h;
    memcpy(&h, b, sizeof h);
    CHECK_INT(h.nlmsg_len, n);
    CHECK_INT(h.nlmsg_type, RTM_GETROUTE);
    CHECK_INT(h.nlmsg_seq, 42);
    CHECK(h.nlmsg_flags & NLM_F_REQUEST);
    CHECK(!(h.nlmsg_flags & NLM_F_DUMP));
    /* header, rtmsg, RTA_DST (8), RTA_OIF (8) */
    CHECK_INT(n, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg)) + 16);
    uint32_t v;
    memcpy(&v, b + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg)) + 4, 4);
    CHECK(v == ip4("10.1.2.3"));
    memcpy(&v, b + n - 4, 4);
    CHECK_INT(v, 7);
    CHECK_INT(nl_route_req(b, 1, ip4("10.1.2.3"), 0), n - 8); /* no RTA_OIF */
    n = nl_neigh_req(b, 43, 4);
    memcpy(&h, b, sizeof h);
    CHECK_INT(h.nlmsg_type, RTM_GETNEIGH);
    CHECK((h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
    struct ndmsg nd;
    memcpy(&nd, b + NLMSG_HDRLEN, sizeof nd);
    CHECK_INT(nd.ndm_ifindex, 0); /* a strict kernel refuses a dump request naming one here */
    CHECK_INT(nd.ndm_family, AF_INET);
    CHECK_INT(n, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof nd) + 8);
    struct rtattr ra;
    memcpy(&ra, b + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof nd), sizeof ra);
    CHECK_INT(ra.rta_type, NDA_IFINDEX);
    memcpy(&v, b + n - 4, 4);
    CHECK_INT(v, 4);
    n = nl_link_req(b, 44, 9);
    memcpy(&h, b, sizeof h);
    CHECK_INT(h.nlmsg_type, RTM_GETLINK);
    CHECK_INT(h.nlmsg_len, n);
}

/* The kernel itself, where this runs: lo answers as a loopback interface with a route to
 * 127.0.0.1 through it. */
static void test_kernel(void)
{
    struct nl_route r;
    struct nl_link l;
    struct err e;
    if (nl_get_route(ip4("127.0.0.1"), 0, &r, &e) < 0) {
        CHECK_MSG(0, "route to 127.0.0.1: %s", e.msg);
        return;
    }
    CHECK(r.found && r.type == RTN_LOCAL && r.oif > 0);
    CHECK(r.has_src && r.prefsrc == ip4("127.0.0.1"));
    CHECK_INT(nl_get_link(r.oif, &l, &e), 0);
    CHECK_STR(l.name, "lo");
    CHECK_INT(l.type, ARPHRD_LOOPBACK);
    CHECK_INT(nl_get_link(999999, &l, &e), -1); /* no such interface: the kernel's error */
    struct nl_neigh nb;
    CHECK_INT(nl_get_neigh(r.oif, ip4("127.0.0.1"), &nb, &e), 0);
}

int main(void)
{
    test_route();
    test_link();
    test_neigh();
    test_requests();
    test_kernel();
    return T_END();
}
