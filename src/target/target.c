/*
 * target/target.c -- from what the user typed to a compact, ordered set of
 * address segments, and the walk over it.
 *
 * Building a set goes in four passes, each on ranges, never on addresses:
 *
 *   1. parse every item (command line, -iL files) into an address range of
 *      one family, with an optional port of its own (host:port) and the host
 *      name it came from (names are resolved here, once);
 *   2. apply the rules to each item's range S: subtract the never-scanned
 *      blocklist; for each named-only range R (private, loopback, ...), keep
 *      S if S lies inside R, else subtract R; subtract the user's excludes;
 *   3. sort the pieces by (family, own port, host, address) and merge
 *      overlaps within each group, so an address typed twice is scanned
 *      once; a host:port pair whose port is already in the -p list and whose
 *      address is already in the plain set of the same host is dropped too;
 *   4. lay the pieces out as segments with cumulative pair counts.
 *
 * Addresses are unsigned __int128 (IPv4 in the low 32 bits, the family kept
 * beside), so one range arithmetic serves both families. Pair index ->
 * (segment, address, port) is a binary search over the cumulative counts:
 * memory is proportional to the number of specs and excludes, never to the
 * number of targets (0.0.0.0/0 is about fifteen segments).
 *
 * The order of segments comes from a sort on values only (no pointers, no
 * time, no getaddrinfo order: resolved addresses are sorted), so the same
 * input gives the same indexes, and with the same seed the same walk, on
 * every machine.
 *
 * Pass 1's parser of one item is spec.c; target_int.h what the two share.
 */
#include "target/target_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The widest IPv6 spec accepted: 2^48 addresses (a /80). See docs/targets.md. */
#define V6_MAX_SPEC_BITS 48

struct rvec {
    struct range *v;
    size_t n, cap;
};

/* A range on its way to becoming a segment. */
struct piece {
    u128 lo, hi;
    const char *host; /* in set->hosts, or NULL */
    uint16_t port;    /* 0 = the -p list */
    uint8_t v6;
};

struct pvec {
    struct piece *v;
    size_t n, cap;
};

struct seg {
    u128 lo;          /* first address */
    uint64_t naddr;   /* addresses in the segment */
    uint64_t start;   /* index of its first pair */
    const char *host; /* in set->hosts, or NULL */
    uint16_t port;    /* 0 = the -p list */
    uint8_t v6;
};

struct target_set {
    struct seg *segs;
    size_t nsegs, segs_cap;
    uint16_t *ports;
    size_t nports;
    char **hosts;
    size_t nhosts, hosts_cap;
    uint64_t size, naddr;
};

/*
 * The blocklist. never: not scanned even when named. named: scanned only by
 * a spec that lies inside the range (see the rule above and in the docs).
 * ::ffff:0:0/96 is here because IPv4-mapped specs are turned into IPv4 ones
 * first (so the IPv4 rules apply to them); what is left of it inside a wider
 * IPv6 spec would reach IPv4 hosts behind the IPv4 rules' back.
 */
static const struct block {
    const char *cidr;
    bool named_ok;
    const char *why;
} blocks[] = {
    {"0.0.0.0/8", false, "\"this network\""},
    {"192.0.0.0/24", false, "IETF protocol assignments"},
    {"192.0.2.0/24", false, "documentation (TEST-NET-1)"},
    {"198.51.100.0/24", false, "documentation (TEST-NET-2)"},
    {"203.0.113.0/24", false, "documentation (TEST-NET-3)"},
    {"224.0.0.0/4", false, "multicast"},
    {"240.0.0.0/4", false, "reserved and broadcast"},
    {"10.0.0.0/8", true, "private"},
    {"100.64.0.0/10", true, "carrier-grade NAT"},
    {"127.0.0.0/8", true, "loopback"},
    {"169.254.0.0/16", true, "link-local"},
    {"172.16.0.0/12", true, "private"},
    {"192.168.0.0/16", true, "private"},
    {"198.18.0.0/15", true, "benchmarking"},
    {"::/128", false, "the unspecified address"},
    {"::ffff:0:0/96", false, "IPv4-mapped (use the IPv4 form)"},
    {"2001:db8::/32", false, "documentation"},
    {"ff00::/8", false, "multicast"},
    {"::1/128", true, "loopback"},
    {"fc00::/7", true, "unique local"},
    {"fe80::/10", true, "link-local"},
};

/* ---------------------------------------------------------------- vectors */

static int grow(void **p, size_t *cap, size_t need, size_t elsz)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elsz) return -1;
        nc *= 2;
    }
    void *q = xrealloc(*p, nc * elsz);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static int rvec_push(struct rvec *r, u128 lo, u128 hi)
{
    if (grow((void **)&r->v, &r->cap, r->n + 1, sizeof *r->v) < 0) return -1;
    r->v[r->n].lo = lo;
    r->v[r->n].hi = hi;
    r->n++;
    return 0;
}

static int pvec_push(struct pvec *pv, const struct piece *p)
{
    if (grow((void **)&pv->v, &pv->cap, pv->n + 1, sizeof *pv->v) < 0) return -1;
    pv->v[pv->n++] = *p;
    return 0;
}

static int range_cmp(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    return 0;
}

/* Sort and merge overlapping or adjacent ranges in place. */
static void rvec_normalize(struct rvec *r)
{
    if (r->n < 2) return;
    qsort(r->v, r->n, sizeof *r->v, range_cmp);
    size_t o = 0;
    for (size_t i = 1; i < r->n; i++) {
        struct range *c = &r->v[o];
        if (c->hi == ~(u128)0 || r->v[i].lo <= c->hi + 1) {
            if (r->v[i].hi > c->hi) c->hi = r->v[i].hi;
        } else {
            r->v[++o] = r->v[i];
        }
    }
    r->n = o + 1;
}

/*
 * Append [lo, hi] minus the sorted, merged ranges ex[0..nex) to out, in
 * ascending order. Finds the first relevant exclude by binary search, so a
 * long exclude list costs log(nex) plus the excludes actually inside.
 */
static int subtract(u128 lo, u128 hi, const struct range *ex, size_t nex, struct rvec *out)
{
    size_t a = 0, b = nex;
    while (a < b) { /* first exclude with hi >= lo */
        size_t m = a + (b - a) / 2;
        if (ex[m].hi < lo)
            a = m + 1;
        else
            b = m;
    }
    u128 cur = lo;
    for (size_t i = a; i < nex && ex[i].lo <= hi; i++) {
        if (ex[i].lo > cur && rvec_push(out, cur, ex[i].lo - 1) < 0) return -1;
        if (ex[i].hi >= hi) return 0;
        if (ex[i].hi + 1 > cur) cur = ex[i].hi + 1;
    }
    return rvec_push(out, cur, hi);
}

/* ---------------------------------------------------------------- building */

struct build {
    struct target_set *set;
    const struct target_opts *o;
    struct rvec ex[2];    /* excludes, [0] IPv4, [1] IPv6 */
    struct rvec never[2]; /* blocklist, never scanned */
    struct rvec named[2]; /* blocklist, named-only */
    struct pvec pieces;
    size_t nitems;
    struct err *e;
};

/* A copy of name owned by the set. Not deduplicated (pieces compare hosts by
 * content), so a long -iL of names costs no quadratic search. */
static const char *store_host(struct target_set *t, const char *name)
{
    if (grow((void **)&t->hosts, &t->hosts_cap, t->nhosts + 1, sizeof *t->hosts) < 0) return NULL;
    char *d = xstrdup(name);
    if (!d) return NULL;
    t->hosts[t->nhosts++] = d;
    return d;
}

/* Blocklist entry i as a range of its own family (::ffff:0:0/96 stays IPv6). */
static int block_range(size_t i, struct range *r, bool *v6)
{
    struct item it;
    char why[64];
    if (target_parse_item(blocks[i].cidr, &it, why, sizeof why) < 0) return -1;
    *v6 = strchr(blocks[i].cidr, ':') != NULL;
    *r = it.r;
    if (*v6 && !it.v6) { /* undo target_map_v4 */
        r->lo += (u128)0xffff << 32;
        r->hi += (u128)0xffff << 32;
    }
    return 0;
}

/* Why a spec starting at a was dropped whole, for the warning. */
static const char *never_why(bool v6, u128 a)
{
    for (size_t i = 0; i < ARRAY_LEN(blocks); i++) {
        struct range r;
        bool bv6;
        if (blocks[i].named_ok || block_range(i, &r, &bv6) < 0 || bv6 != v6) continue;
        if (a >= r.lo && a <= r.hi) return blocks[i].why;
    }
    return "reserved, and private ranges are scanned only when named on their own";
}

/* Step 2 of the file comment for one parsed range S. */
static int apply_rules(struct build *b, const char *text, struct range s, bool v6, uint16_t port,
                       const char *host)
{
    struct rvec rm = {0}, p1 = {0}, p2 = {0};
    int rc = -1;
    int f = v6 ? 1 : 0;
    for (size_t i = 0; i < b->never[f].n; i++)
        if (rvec_push(&rm, b->never[f].v[i].lo, b->never[f].v[i].hi) < 0) goto oom;
    for (size_t i = 0; i < b->named[f].n; i++) {
        struct range r = b->named[f].v[i];
        if (s.lo >= r.lo && s.hi <= r.hi) continue; /* named inside: keep */
        if (rvec_push(&rm, r.lo, r.hi) < 0) goto oom;
    }
    rvec_normalize(&rm);
    if (subtract(s.lo, s.hi, rm.v, rm.n, &p1) < 0) goto oom;
    if (p1.n == 0) {
        log_warn("'%s' is never scanned: %s", text, never_why(v6, s.lo));
    } else if (p1.n != 1 || p1.v[0].lo != s.lo || p1.v[0].hi != s.hi) {
        log_info("'%s': skipping the reserved, private and loopback ranges inside it (name them "
                 "to scan them)",
                 text);
    }
    for (size_t i = 0; i < p1.n; i++)
        if (subtract(p1.v[i].lo, p1.v[i].hi, b->ex[f].v, b->ex[f].n, &p2) < 0) goto oom;
    for (size_t i = 0; i < p2.n; i++) {
        struct piece pc = {
            .lo = p2.v[i].lo, .hi = p2.v[i].hi, .host = host, .port = port, .v6 = v6};
        if (pvec_push(&b->pieces, &pc) < 0) goto oom;
    }
    rc = 0;
    goto out;
oom:
    err_set(b->e, "out of memory");
out:
    free(rm.v);
    free(p1.v);
    free(p2.v);
    return rc;
}

static bool ends_with_invalid(const char *name)
{
    size_t n = strlen(name);
    if (n && name[n - 1] == '.') n--;
    return (n == 7 && strncasecmp(name, "invalid", 7) == 0) ||
           (n > 7 && strncasecmp(name + n - 8, ".invalid", 8) == 0);
}

struct addr1 {
    struct range r;
    bool v6;
};

static int addr_cmp(const void *a, const void *b)
{
    const struct addr1 *x = a, *y = b;
    if (x->v6 != y->v6) return x->v6 ? 1 : -1;
    return range_cmp(&x->r, &y->r);
}

/*
 * A --resolve pin for this name: 1 and *a filled, 0 when none, -1 (b->e)
 * when the pin's address is not an address.
 */
static int pinned(struct build *b, const char *name, struct addr1 *a)
{
    for (size_t i = 0; i < b->o->n_resolve; i++) {
        const char *pin = b->o->resolve[i];
        const char *colon = strchr(pin, ':');
        if (!colon || (size_t)(colon - pin) != strlen(name) || strncasecmp(pin, name, strlen(name)))
            continue;
        char addr[64];
        str_copy(addr, colon + 1, sizeof addr);
        size_t l = strlen(addr);
        if (l > 2 && addr[0] == '[' && addr[l - 1] == ']') {
            memmove(addr, addr + 1, l - 2);
            addr[l - 2] = 0;
        }
        unsigned char raw[16];
        memset(a, 0, sizeof *a);
        if (inet_pton(AF_INET, addr, raw) == 1) {
            a->r.lo = (u128)raw[0] << 24 | (u128)raw[1] << 16 | (u128)raw[2] << 8 | raw[3];
        } else if (inet_pton(AF_INET6, addr, raw) == 1) {
            u128 v = 0;
            for (int k = 0; k < 16; k++)
                v = v << 8 | raw[k];
            a->r.lo = v;
            a->v6 = true;
        } else {
            return err_set(
                b->e, "bad --resolve '%s': want NAME:ADDRESS with an IPv4 or IPv6 address", pin);
        }
        a->r.hi = a->r.lo;
        target_map_v4(&a->r, &a->v6);
        return 1;
    }
    return 0;
}

/* Resolve it->addr and apply the rules to every address, sorted (getaddrinfo's order varies). */
static int resolve_name(struct build *b, const char *text, const char *where, struct item *it)
{
    struct addrinfo hints, *res = NULL;
    struct addr1 *addrs = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    struct addr1 pin;
    int pr = pinned(b, it->addr, &pin);
    if (pr < 0) return -1;
    if (pr == 1) {
        const char *host = store_host(b->set, it->addr);
        if (!host) return err_set(b->e, "out of memory");
        return apply_rules(b, text, pin.r, pin.v6, it->port, host);
    }
    if (b->o->no_resolve)
        return err_set(b->e, "bad target '%s'%s: '%s' is a host name and name resolution is off",
                       text, where, it->addr);
    if (ends_with_invalid(it->addr))
        return err_set(b->e,
                       "bad target '%s'%s: cannot resolve the host name '%s' (.invalid names "
                       "never resolve, RFC 6761)",
                       text, where, it->addr);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(it->addr, NULL, &hints, &res);
    if (g != 0)
        return err_set(b->e, "bad target '%s'%s: cannot resolve the host name '%s' (%s)", text,
                       where, it->addr, g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        struct addr1 a;
        memset(&a, 0, sizeof a);
        if (ai->ai_family == AF_INET) {
            const struct sockaddr_in *sin = (const void *)ai->ai_addr;
            a.r.lo = ntohl(sin->sin_addr.s_addr);
            a.v6 = false;
        } else if (ai->ai_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const void *)ai->ai_addr;
            u128 v = 0;
            for (int i = 0; i < 16; i++)
                v = v << 8 | s6->sin6_addr.s6_addr[i];
            a.r.lo = v;
            a.v6 = true;
        } else {
            continue;
        }
        a.r.hi = a.r.lo;
        target_map_v4(&a.r, &a.v6);
        if (grow((void **)&addrs, &cap, n + 1, sizeof *addrs) < 0) {
            err_set(b->e, "out of memory");
            goto out;
        }
        addrs[n++] = a;
    }
    if (n == 0) {
        err_set(b->e, "bad target '%s'%s: the host name '%s' has no IPv4 or IPv6 address", text,
                where, it->addr);
        goto out;
    }
    qsort(addrs, n, sizeof *addrs, addr_cmp);
    const char *host = store_host(b->set, it->addr);
    if (!host) {
        err_set(b->e, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (i && addr_cmp(&addrs[i], &addrs[i - 1]) == 0) continue;
        if (apply_rules(b, text, addrs[i].r, addrs[i].v6, it->port, host) < 0) goto out;
    }
    rc = 0;
out:
    free(addrs);
    if (res) freeaddrinfo(res);
    return rc;
}

static int add_target(struct build *b, const char *text, const char *where)
{
    struct item *it = xmalloc(sizeof *it);
    char why[160];
    int rc = -1;
    if (!it) return err_set(b->e, "out of memory");
    b->nitems++;
    if (target_parse_item(text, it, why, sizeof why) < 0) {
        err_set(b->e, "bad target '%s'%s: %s", text, where, why);
        goto out;
    }
    if (it->is_name) {
        rc = resolve_name(b, text, where, it);
        goto out;
    }
    if (it->v6 && it->r.hi - it->r.lo >= ((u128)1 << V6_MAX_SPEC_BITS)) {
        err_set(b->e,
                "bad target '%s'%s: too wide to enumerate; an IPv6 spec may cover at most 2^%d "
                "addresses (a /%d)",
                text, where, V6_MAX_SPEC_BITS, 128 - V6_MAX_SPEC_BITS);
        goto out;
    }
    rc = apply_rules(b, text, it->r, it->v6, it->port, NULL);
out:
    free(it);
    return rc;
}

static int add_exclude(struct build *b, const char *text, const char *where)
{
    struct item *it = xmalloc(sizeof *it);
    char why[160];
    int rc = -1;
    if (!it) return err_set(b->e, "out of memory");
    if (target_parse_item(text, it, why, sizeof why) < 0) {
        err_set(b->e, "bad exclude '%s'%s: %s", text, where, why);
    } else if (it->is_name) {
        err_set(b->e,
                "bad exclude '%s'%s: excludes are addresses, CIDRs and ranges, not host names",
                text, where);
    } else if (it->port) {
        err_set(b->e, "bad exclude '%s'%s: excludes are addresses, without a port", text, where);
    } else if (rvec_push(&b->ex[it->v6 ? 1 : 0], it->r.lo, it->r.hi) < 0) {
        err_set(b->e, "out of memory");
    } else {
        rc = 0;
    }
    free(it);
    return rc;
}

typedef int (*item_fn)(struct build *b, const char *text, const char *where);

/* Split text at whitespace and commas; call fn on each item. */
static int each_item(struct build *b, const char *text, const char *where, bool allow_empty,
                     item_fn fn, const char *kind)
{
    char buf[ITEM_MAX];
    const char *s = text;
    bool any = false;
    for (;;) {
        s += strspn(s, " \t\r\n");
        size_t l = strcspn(s, " \t\r\n,");
        if (l >= sizeof buf) return err_set(b->e, "bad %s '%.40s...'%s: too long", kind, s, where);
        if (l == 0 && (*s == ',' || (!*s && !any && !allow_empty)))
            return err_set(b->e, "bad %s ''%s: empty", kind, where);
        if (l) {
            memcpy(buf, s, l);
            buf[l] = 0;
            if (fn(b, buf, where) < 0) return -1;
            any = true;
        }
        s += l;
        s += strspn(s, " \t\r\n");
        if (!*s) return 0;
        if (*s == ',') {
            s++;
            s += strspn(s, " \t\r\n");
            if (!*s || *s == ',')
                return err_set(b->e, "bad %s ''%s: empty item in a list", kind, where);
        }
    }
}

/* One spec per line (or several, separated by blanks or commas); '#' starts a comment. */
static int read_file(struct build *b, const char *path, item_fn fn, const char *kind)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    if (!f) return err_set(b->e, "cannot read %s file '%s': %s", kind, path, strerror(errno));
    while (getline(&line, &cap, f) >= 0) {
        char where[300];
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        if (strspn(line, " \t\r\n") == strlen(line)) continue;
        str_fmt(where, sizeof where, " (%s line %u)", strcmp(path, "-") == 0 ? "stdin" : path,
                lineno);
        if (each_item(b, line, where, true, fn, kind) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) rc = err_set(b->e, "error reading '%s': %s", path, strerror(errno));
    free(line);
    if (f != stdin) fclose(f);
    return rc;
}

static int load_blocklist(struct build *b)
{
    for (size_t i = 0; i < ARRAY_LEN(blocks); i++) {
        struct range rg;
        bool v6;
        if (block_range(i, &rg, &v6) < 0)
            return err_set(b->e, "internal error: blocklist entry '%s'", blocks[i].cidr);
        struct rvec *r = blocks[i].named_ok ? &b->named[v6] : &b->never[v6];
        if (rvec_push(r, rg.lo, rg.hi) < 0) return err_set(b->e, "out of memory");
    }
    return 0;
}

static int host_cmp(const char *a, const char *b)
{
    if (!a || !b) return a ? 1 : b ? -1 : 0;
    return strcmp(a, b);
}

static int group_cmp(const struct piece *x, const struct piece *y)
{
    if (x->v6 != y->v6) return x->v6 ? 1 : -1;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return host_cmp(x->host, y->host);
}

static int piece_cmp(const void *a, const void *b)
{
    const struct piece *x = a, *y = b;
    int c = group_cmp(x, y);
    if (c) return c;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    return 0;
}

static bool port_listed(const struct target_set *t, uint16_t port)
{
    size_t a = 0, z = t->nports;
    while (a < z) {
        size_t m = a + (z - a) / 2;
        if (t->ports[m] == port) return true;
        if (t->ports[m] < port)
            a = m + 1;
        else
            z = m;
    }
    return false;
}

/* Steps 3 and 4: sort, merge, drop host:port duplicates of the plain set, lay out segments. */
static int finish(struct build *b)
{
    struct target_set *t = b->set;
    struct pvec *pv = &b->pieces;
    struct rvec grp = {0}, cut = {0};
    int rc = -1;
    if (pv->n) qsort(pv->v, pv->n, sizeof *pv->v, piece_cmp);
    size_t o = 0;
    for (size_t i = 0; i < pv->n; i++) { /* merge within groups */
        struct piece *c = o ? &pv->v[o - 1] : NULL;
        struct piece *x = &pv->v[i];
        if (c && group_cmp(c, x) == 0 && (c->hi == ~(u128)0 || x->lo <= c->hi + 1)) {
            if (x->hi > c->hi) c->hi = x->hi;
        } else {
            pv->v[o++] = *x;
        }
    }
    pv->n = o;

    u128 total = 0, naddr = 0;
    size_t gstart = 0; /* start of the current group */
    for (size_t i = 0; i < pv->n; i++) {
        struct piece *x = &pv->v[i];
        if (i == 0 || group_cmp(&pv->v[i - 1], x) != 0) gstart = i;
        cut.n = 0;
        if (x->port && port_listed(t, x->port)) {
            /* The plain group (same family and host, port 0) sorts before this one. */
            struct piece key = {.v6 = x->v6, .port = 0, .host = x->host};
            size_t a = 0, z = gstart;
            while (a < z) {
                size_t m = a + (z - a) / 2;
                if (group_cmp(&pv->v[m], &key) < 0)
                    a = m + 1;
                else
                    z = m;
            }
            grp.n = 0;
            for (size_t k = a; k < gstart && group_cmp(&pv->v[k], &key) == 0; k++)
                if (rvec_push(&grp, pv->v[k].lo, pv->v[k].hi) < 0) goto oom;
            if (subtract(x->lo, x->hi, grp.v, grp.n, &cut) < 0) goto oom;
        } else if (rvec_push(&cut, x->lo, x->hi) < 0) {
            goto oom;
        }
        for (size_t k = 0; k < cut.n; k++) {
            u128 cnt = cut.v[k].hi - cut.v[k].lo + 1; /* never 0: a /0 is refused */
            u128 pairs = cnt * (x->port ? 1 : t->nports);
            if (cnt >= PERM_MAX_N || pairs >= PERM_MAX_N || total + pairs >= PERM_MAX_N) {
                err_set(b->e, "too many targets: more than 2^62 (address, port) pairs");
                goto out;
            }
            if (grow((void **)&t->segs, &t->segs_cap, t->nsegs + 1, sizeof *t->segs) < 0) goto oom;
            struct seg *sg = &t->segs[t->nsegs++];
            sg->lo = cut.v[k].lo;
            sg->naddr = (uint64_t)cnt;
            sg->start = (uint64_t)total;
            sg->host = x->host;
            sg->port = x->port;
            sg->v6 = x->v6;
            total += pairs;
            naddr += cnt;
        }
    }
    t->size = (uint64_t)total;
    t->naddr = (uint64_t)naddr;
    rc = 0;
    goto out;
oom:
    err_set(b->e, "out of memory");
out:
    free(grp.v);
    free(cut.v);
    return rc;
}

int target_set_new(struct target_set **out, const char *const *specs, size_t nspecs,
                   const struct target_opts *o, struct err *e)
{
    static const struct target_opts none;
    struct build b;
    int rc = -1;
    memset(&b, 0, sizeof b);
    b.o = o ? o : &none;
    b.e = e;
    b.set = xcalloc(1, sizeof *b.set);
    if (!b.set) return err_set(e, "out of memory");
    o = b.o;

    if (ports_parse(o->ports ? o->ports : ports_default_spec(), &b.set->ports, &b.set->nports, e) <
        0)
        goto out;
    if (load_blocklist(&b) < 0) goto out;
    for (size_t i = 0; i < o->n_exclude; i++)
        if (each_item(&b, o->exclude[i], "", false, add_exclude, "exclude") < 0) goto out;
    for (size_t i = 0; i < o->n_exclude_files; i++)
        if (read_file(&b, o->exclude_files[i], add_exclude, "exclude") < 0) goto out;
    for (int f = 0; f < 2; f++) {
        rvec_normalize(&b.ex[f]);
        rvec_normalize(&b.never[f]);
        /* named-only ranges are tested one by one against each spec: keep them unmerged */
    }
    for (size_t i = 0; i < nspecs; i++)
        if (each_item(&b, specs[i], "", false, add_target, "target") < 0) goto out;
    for (size_t i = 0; i < o->n_input_files; i++)
        if (read_file(&b, o->input_files[i], add_target, "target") < 0) goto out;
    if (b.nitems == 0) {
        err_set(e, "no targets given");
        goto out;
    }
    if (finish(&b) < 0) goto out;
    *out = b.set;
    b.set = NULL;
    rc = 0;
out:
    for (int f = 0; f < 2; f++) {
        free(b.ex[f].v);
        free(b.never[f].v);
        free(b.named[f].v);
    }
    free(b.pieces.v);
    target_set_free(b.set);
    return rc;
}

void target_set_free(struct target_set *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nhosts; i++)
        free(t->hosts[i]);
    free(t->hosts);
    free(t->segs);
    free(t->ports);
    free(t);
}

uint64_t target_set_size(const struct target_set *t)
{
    return t->size;
}

uint64_t target_set_naddr(const struct target_set *t)
{
    return t->naddr;
}

size_t target_set_nports(const struct target_set *t)
{
    return t->nports;
}

const uint16_t *target_set_ports(const struct target_set *t)
{
    return t->ports;
}

size_t target_set_nsegments(const struct target_set *t)
{
    return t->nsegs;
}

int target_set_get(const struct target_set *t, uint64_t idx, struct target *out)
{
    if (idx >= t->size) return -1;
    size_t a = 0, z = t->nsegs;
    while (z - a > 1) { /* last segment with start <= idx */
        size_t m = a + (z - a) / 2;
        if (t->segs[m].start <= idx)
            a = m;
        else
            z = m;
    }
    const struct seg *s = &t->segs[a];
    uint64_t off = idx - s->start;
    uint64_t np = s->port ? 1 : t->nports;
    u128 addr = s->lo + off / np;
    memset(out, 0, sizeof *out);
    out->port = s->port ? s->port : t->ports[off % np];
    out->host = s->host;
    if (s->v6) {
        out->family = AF_INET6;
        for (int i = 15; i >= 0; i--) {
            out->addr[i] = (uint8_t)addr;
            addr >>= 8;
        }
    } else {
        out->family = AF_INET;
        uint32_t v = (uint32_t)addr;
        out->addr[0] = (uint8_t)(v >> 24);
        out->addr[1] = (uint8_t)(v >> 16);
        out->addr[2] = (uint8_t)(v >> 8);
        out->addr[3] = (uint8_t)v;
    }
    return 0;
}

bool target_set_contains(const struct target_set *t, int family, const uint8_t addr[16],
                         uint16_t port)
{
    bool v6 = family == AF_INET6;
    u128 a = 0;
    for (int i = 0; i < (v6 ? 16 : 4); i++)
        a = a << 8 | addr[i];
    bool listed = port_listed(t, port);
    for (size_t i = 0; i < t->nsegs; i++) {
        const struct seg *s = &t->segs[i];
        if (s->v6 != v6 || a < s->lo || a - s->lo >= s->naddr) continue;
        if (s->port ? s->port == port : listed) return true;
    }
    return false;
}

void target_addr_str(const struct target *t, char *out, size_t n)
{
    char tmp[INET6_ADDRSTRLEN];
    if (!inet_ntop(t->family == AF_INET6 ? AF_INET6 : AF_INET, t->addr, tmp, sizeof tmp))
        str_copy(tmp, "?", sizeof tmp);
    if (n) str_copy(out, tmp, n);
}

int target_iter_init(struct target_iter *it, const struct target_set *t, uint64_t seed,
                     uint32_t shard, uint32_t nshards, struct err *e)
{
    memset(it, 0, sizeof *it);
    it->set = t;
    return perm_init(&it->perm, t->size, seed, shard, nshards, e);
}

int target_iter_seek(struct target_iter *it, uint64_t pos)
{
    return perm_seek(&it->perm, pos);
}

int target_iter_next(struct target_iter *it, struct target *out)
{
    uint64_t idx;
    if (!perm_next(&it->perm, &idx)) return 0;
    return target_set_get(it->set, idx, out) == 0 ? 1 : 0;
}

uint64_t target_iter_pos(const struct target_iter *it)
{
    return it->perm.pos;
}

uint64_t target_iter_steps(const struct target_iter *it)
{
    return it->perm.limit;
}
