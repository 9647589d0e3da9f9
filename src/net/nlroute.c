/*
 * net/nlroute.c -- rtnetlink queries and their parsers (see nlroute.h).
 */
#include "net/nlroute.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NL_BUF       32768
#define NL_MAX_BYTES (16u << 20) /* a neighbour table dump larger than this is refused */

/* ---- walking messages and attributes ---- */

/* Called for each message of the wanted type and sequence: 1 = the answer is complete,
 * 0 = go on, -1 = malformed (e set). */
typedef int (*msg_fn)(const uint8_t *payload, size_t plen, void *arg, struct err *e);

static int walk(const void *buf, size_t n, uint32_t seq, uint16_t want, msg_fn fn, void *arg,
                struct err *e)
{
    const uint8_t *p = buf;
    size_t off = 0;
    while (n - off >= sizeof(struct nlmsghdr)) {
        struct nlmsghdr h;
        memcpy(&h, p + off, sizeof h);
        if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n - off)
            return err_set(e, "netlink: a message of %u bytes where %zu are left",
                           (unsigned)h.nlmsg_len, n - off);
        const uint8_t *pl = p + off + NLMSG_HDRLEN;
        size_t plen = h.nlmsg_len - NLMSG_HDRLEN;
        size_t step = NLMSG_ALIGN((size_t)h.nlmsg_len);
        off = step < n - off ? off + step : n;
        if (h.nlmsg_seq != seq) continue; /* not the answer to our request */
        if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) {
            /* both carry an error code first (a dump that failed ends with it in its DONE) */
            int32_t code = 0;
            if (plen < sizeof code && h.nlmsg_type == NLMSG_ERROR)
                return err_set(e, "netlink: a truncated error message");
            if (plen >= sizeof code) memcpy(&code, pl, sizeof code);
            if (code == 0) return NL_DONE; /* the end, or an acknowledgement */
            if (code > 0 || code < -4095) return err_set(e, "netlink: error code %d", (int)code);
            errno = -code;
            return err_set(e, "%s", strerror(-code));
        }
        if (h.nlmsg_type != want) continue;
        int r = fn(pl, plen, arg, e);
        if (r < 0) return -1;
        if (r > 0) return NL_DONE;
    }
    if (off != n) return err_set(e, "netlink: %zu stray bytes after the last message", n - off);
    return NL_MORE;
}

struct attr {
    uint16_t type;
    const uint8_t *val;
    size_t len;
};

/* The next attribute at *off of p[0..n): 1, 0 at the end, -1 when malformed. */
static int attr_next(const uint8_t *p, size_t n, size_t *off, struct attr *a, struct err *e)
{
    memset(a, 0, sizeof *a);
    if (n - *off < sizeof(struct rtattr)) return 0; /* the end (or alignment padding) */
    struct rtattr ra;
    memcpy(&ra, p + *off, sizeof ra);
    if (ra.rta_len < sizeof ra || ra.rta_len > n - *off)
        return err_set(e, "netlink: an attribute of %u bytes where %zu are left",
                       (unsigned)ra.rta_len, n - *off);
    a->type = ra.rta_type & NLA_TYPE_MASK;
    a->val = p + *off + RTA_LENGTH(0);
    a->len = ra.rta_len - RTA_LENGTH(0);
    size_t step = RTA_ALIGN((size_t)ra.rta_len);
    *off = step < n - *off ? *off + step : n;
    return 1;
}

static int want_len(const struct attr *a, size_t len, const char *what, struct err *e)
{
    if (a->len == len) return 0;
    return err_set(e, "netlink: %s of %zu bytes (want %zu)", what, a->len, len);
}

/* ---- routes ---- */

static int route_msg(const uint8_t *pl, size_t plen, void *arg, struct err *e)
{
    struct nl_route *r = arg;
    struct rtmsg rm;
    if (plen < sizeof rm) return err_set(e, "netlink: a truncated route message");
    memcpy(&rm, pl, sizeof rm);
    if (rm.rtm_family != AF_INET) return 0;
    memset(r, 0, sizeof *r);
    r->type = rm.rtm_type;
    size_t off = NLMSG_ALIGN(sizeof rm);
    if (off > plen) off = plen;
    struct attr a = {0};
    int k;
    while ((k = attr_next(pl, plen, &off, &a, e)) > 0) {
        uint32_t v;
        switch (a.type) {
        case RTA_OIF:
            if (want_len(&a, 4, "RTA_OIF", e) < 0) return -1;
            memcpy(&v, a.val, 4);
            if (v > INT32_MAX) return err_set(e, "netlink: interface index %u", (unsigned)v);
            r->oif = (int)v;
            break;
        case RTA_GATEWAY:
            if (want_len(&a, 4, "RTA_GATEWAY", e) < 0) return -1;
            memcpy(&r->gw, a.val, 4);
            r->has_gw = true;
            break;
        case RTA_PREFSRC:
            if (want_len(&a, 4, "RTA_PREFSRC", e) < 0) return -1;
            memcpy(&r->prefsrc, a.val, 4);
            r->has_src = true;
            break;
        case RTA_VIA:
            r->via = true;
            break;
        default:
            break;
        }
    }
    if (k < 0) return -1;
    r->found = true;
    return 1;
}

int nl_route_parse(const void *buf, size_t n, uint32_t seq, struct nl_route *out, struct err *e)
{
    return walk(buf, n, seq, RTM_NEWROUTE, route_msg, out, e);
}

/* ---- interfaces ---- */

struct link_ctx {
    struct nl_link *l;
    int ifindex;
};

static int link_msg(const uint8_t *pl, size_t plen, void *arg, struct err *e)
{
    struct link_ctx *c = arg;
    struct nl_link *l = c->l;
    struct ifinfomsg ifi;
    if (plen < sizeof ifi) return err_set(e, "netlink: a truncated link message");
    memcpy(&ifi, pl, sizeof ifi);
    if (ifi.ifi_index != c->ifindex) return 0;
    memset(l, 0, sizeof *l);
    l->ifindex = ifi.ifi_index;
    l->type = ifi.ifi_type;
    l->flags = ifi.ifi_flags;
    size_t off = NLMSG_ALIGN(sizeof ifi);
    if (off > plen) off = plen;
    struct attr a = {0};
    int k;
    while ((k = attr_next(pl, plen, &off, &a, e)) > 0) {
        switch (a.type) {
        case IFLA_ADDRESS:
            l->addr_len = a.len;
            if (a.len == 6) memcpy(l->addr, a.val, 6);
            break;
        case IFLA_MTU:
            if (want_len(&a, 4, "IFLA_MTU", e) < 0) return -1;
            memcpy(&l->mtu, a.val, 4);
            break;
        case IFLA_IFNAME: {
            const uint8_t *z = memchr(a.val, 0, a.len);
            size_t len = z ? (size_t)(z - a.val) : a.len;
            if (!len || len >= sizeof l->name)
                return err_set(e, "netlink: an interface name of %zu bytes", len);
            memcpy(l->name, a.val, len);
            l->name[len] = 0;
            break;
        }
        default:
            break;
        }
    }
    if (k < 0) return -1;
    l->found = true;
    return 1;
}

int nl_link_parse(const void *buf, size_t n, uint32_t seq, int ifindex, struct nl_link *out,
                  struct err *e)
{
    struct link_ctx c = {out, ifindex};
    return walk(buf, n, seq, RTM_NEWLINK, link_msg, &c, e);
}

/* ---- neighbours ---- */

struct neigh_ctx {
    struct nl_neigh *nb;
    int ifindex;
    uint32_t addr;
};

bool nl_neigh_usable(uint16_t state)
{
    return (state &
            (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)) != 0;
}

static int neigh_msg(const uint8_t *pl, size_t plen, void *arg, struct err *e)
{
    struct neigh_ctx *c = arg;
    struct ndmsg nd;
    if (plen < sizeof nd) return err_set(e, "netlink: a truncated neighbour message");
    memcpy(&nd, pl, sizeof nd);
    if (nd.ndm_family != AF_INET || nd.ndm_ifindex != c->ifindex) return 0;
    size_t off = NLMSG_ALIGN(sizeof nd);
    if (off > plen) off = plen;
    struct attr a = {0};
    int k;
    bool match = false, has_ll = false;
    uint8_t ll[6];
    while ((k = attr_next(pl, plen, &off, &a, e)) > 0) {
        if (a.type == NDA_DST) {
            if (want_len(&a, 4, "NDA_DST", e) < 0) return -1;
            match = memcmp(a.val, &c->addr, 4) == 0;
        } else if (a.type == NDA_LLADDR && a.len == 6) {
            memcpy(ll, a.val, 6);
            has_ll = true;
        }
    }
    if (k < 0) return -1;
    if (!match) return 0;
    /* the first entry of the address wins; an unusable one may be followed by nothing better */
    if (c->nb->found && nl_neigh_usable(c->nb->state) && c->nb->has_lladdr) return 0;
    c->nb->found = true;
    c->nb->state = nd.ndm_state;
    c->nb->has_lladdr = has_ll;
    if (has_ll) memcpy(c->nb->lladdr, ll, 6);
    return 0; /* a dump: read to its end */
}

int nl_neigh_parse(const void *buf, size_t n, uint32_t seq, int ifindex, uint32_t addr,
                   struct nl_neigh *out, struct err *e)
{
    struct neigh_ctx c = {out, ifindex, addr};
    return walk(buf, n, seq, RTM_NEWNEIGH, neigh_msg, &c, e);
}

/* ---- requests ---- */

static size_t put_attr(uint8_t *buf, size_t off, uint16_t type, const void *val, size_t len)
{
    struct rtattr ra = {.rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type};
    memcpy(buf + off, &ra, sizeof ra);
    memcpy(buf + off + RTA_LENGTH(0), val, len);
    return off + RTA_SPACE(len);
}

static size_t put_hdr(uint8_t *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq)
{
    struct nlmsghdr h = {.nlmsg_len = (uint32_t)len,
                         .nlmsg_type = type,
                         .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags),
                         .nlmsg_seq = seq};
    memcpy(buf, &h, sizeof h);
    return len;
}

size_t nl_route_req(uint8_t *buf, uint32_t seq, uint32_t dst, int oif)
{
    struct rtmsg rm = {.rtm_family = AF_INET, .rtm_dst_len = 32};
    memset(buf, 0, 64);
    memcpy(buf + NLMSG_HDRLEN, &rm, sizeof rm);
    size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof rm);
    off = put_attr(buf, off, RTA_DST, &dst, 4);
    if (oif > 0) {
        uint32_t o = (uint32_t)oif;
        off = put_attr(buf, off, RTA_OIF, &o, 4);
    }
    return put_hdr(buf, off, RTM_GETROUTE, 0, seq);
}

size_t nl_link_req(uint8_t *buf, uint32_t seq, int ifindex)
{
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
    memset(buf, 0, 64);
    memcpy(buf + NLMSG_HDRLEN, &ifi, sizeof ifi);
    return put_hdr(buf, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof ifi), RTM_GETLINK, 0, seq);
}

size_t nl_neigh_req(uint8_t *buf, uint32_t seq, int ifindex)
{
    /* a dump request names the interface in an attribute: the header's index must be 0 */
    struct ndmsg nd = {.ndm_family = AF_INET};
    memset(buf, 0, 64);
    memcpy(buf + NLMSG_HDRLEN, &nd, sizeof nd);
    uint32_t idx = (uint32_t)ifindex;
    size_t off = put_attr(buf, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof nd), NDA_IFINDEX, &idx, 4);
    return put_hdr(buf, off, RTM_GETNEIGH, NLM_F_DUMP, seq);
}

/* ---- the socket ---- */

typedef int (*parse_fn)(const void *buf, size_t n, void *arg, struct err *e);

static int query(const uint8_t *req, size_t len, parse_fn parse, void *arg, struct err *e)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return err_set(e, "netlink socket: %s", strerror(errno));
    struct timeval tv = {1, 0};
    int one = 1, rc = -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    /* the kernel then checks the request strictly and filters a neighbour dump by the
     * interface asked for (Linux 4.20+) */
    setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
    uint8_t *buf = malloc(NL_BUF);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (!buf) {
        err_set(e, "out of memory");
        goto out;
    }
    if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)len) {
        err_set(e, "netlink: %s", strerror(errno));
        goto out;
    }
    size_t total = 0;
    for (;;) {
        struct sockaddr_nl from = {.nl_family = 0};
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, NL_BUF, MSG_TRUNC, (struct sockaddr *)&from, &fl);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err_set(e, "netlink: %s",
                    errno == EAGAIN ? "no answer from the kernel within 1 s" : strerror(errno));
            goto out;
        }
        if ((size_t)n > NL_BUF) {
            err_set(e, "netlink: a reply of %zd bytes (at most %d read)", n, NL_BUF);
            goto out;
        }
        if (fl < sizeof from || from.nl_pid != 0) continue; /* not the kernel */
        total += (size_t)n;
        if (total > NL_MAX_BYTES) {
            err_set(e, "netlink: the answer is larger than %u MB", NL_MAX_BYTES >> 20);
            goto out;
        }
        int r = parse(buf, (size_t)n, arg, e);
        if (r < 0) goto out;
        if (r == NL_DONE) break;
    }
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}

struct route_q {
    uint32_t seq;
    struct nl_route *r;
};

static int route_cb(const void *buf, size_t n, void *arg, struct err *e)
{
    struct route_q *q = arg;
    return nl_route_parse(buf, n, q->seq, q->r, e);
}

static uint32_t next_seq(void)
{
    static uint32_t seq;
    if (!seq) seq = (uint32_t)getpid() << 8;
    return ++seq;
}

int nl_get_route(uint32_t dst, int oif, struct nl_route *out, struct err *e)
{
    uint8_t req[64];
    struct route_q q = {next_seq(), out};
    memset(out, 0, sizeof *out);
    if (query(req, nl_route_req(req, q.seq, dst, oif), route_cb, &q, e) < 0) return -1;
    if (!out->found) return err_set(e, "netlink: no route in the answer");
    return 0;
}

struct link_q {
    uint32_t seq;
    int ifindex;
    struct nl_link *l;
};

static int link_cb(const void *buf, size_t n, void *arg, struct err *e)
{
    struct link_q *q = arg;
    return nl_link_parse(buf, n, q->seq, q->ifindex, q->l, e);
}

int nl_get_link(int ifindex, struct nl_link *out, struct err *e)
{
    uint8_t req[64];
    struct link_q q = {next_seq(), ifindex, out};
    memset(out, 0, sizeof *out);
    if (query(req, nl_link_req(req, q.seq, ifindex), link_cb, &q, e) < 0) return -1;
    if (!out->found) return err_set(e, "netlink: no interface %d in the answer", ifindex);
    return 0;
}

struct neigh_q {
    uint32_t seq;
    int ifindex;
    uint32_t addr;
    struct nl_neigh *nb;
};

static int neigh_cb(const void *buf, size_t n, void *arg, struct err *e)
{
    struct neigh_q *q = arg;
    return nl_neigh_parse(buf, n, q->seq, q->ifindex, q->addr, q->nb, e);
}

int nl_get_neigh(int ifindex, uint32_t addr, struct nl_neigh *out, struct err *e)
{
    uint8_t req[64];
    struct neigh_q q = {next_seq(), ifindex, addr, out};
    memset(out, 0, sizeof *out);
    return query(req, nl_neigh_req(req, q.seq, ifindex), neigh_cb, &q, e);
}
