/*
 * target/ports.c -- the -p syntax: numbers, ranges, service names, and the
 * default list of database and dashboard ports.
 *
 * Service names and the default list come from the service catalogue
 * (catalog/): `-p redis` is every usual port of the redis entry, plain
 * and TLS; `default` is every port of the entries marked default_scan,
 * signature files included. A few more names stand for one port of a
 * service ajar does not probe (ssh, rdp...) or one role of a port
 * (elasticsearch-transport, mongodb-shard); they are in the table below,
 * and test_ports checks that none of them restates a catalogue name.
 * Never /etc/services: a spec must mean the same ports on every machine
 * (shards on different hosts must agree on the set they split) -- with
 * the same signature files.
 */
#include "catalog/catalog.h"
#include "target/target.h"

#include <stdlib.h>
#include <string.h>

/* Names of single ports that are not catalogue services. */
static const struct port_name {
    const char *name;
    uint16_t port;
} port_names[] = {
    {"ftp", 21},
    {"ssh", 22},
    {"https", 443},
    {"http-alt", 8080},
    {"https-alt", 8443},
    {"telnet", 23},
    {"smtp", 25},
    {"smb", 445},
    {"oracle", 1521},
    {"docker-tls", 2376},
    {"etcd-peer", 2380},
    {"rdp", 3389},
    {"vnc", 5900},
    {"redis-tls", 6380},
    {"elasticsearch-transport", 9300},
    {"redis-sentinel", 26379},
    {"mongodb-shard", 27018},
    {"mongodb-config", 27019},
};

size_t port_names_count(void)
{
    return ARRAY_LEN(port_names);
}

const char *port_name_at(size_t i)
{
    return i < ARRAY_LEN(port_names) ? port_names[i].name : NULL;
}

/* The default list as a spec, made from the catalogue (which signature files extend). */
static char default_spec[4096];

const char *ports_default_spec(void)
{
    uint8_t seen[65536 / 8];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct svc *s = catalog_at(i);
        if (!s->default_scan) continue;
        for (int k = 0; k < CATALOG_MAX_PORTS && s->ports[k]; k++)
            seen[s->ports[k] >> 3] |= (uint8_t)(1u << (s->ports[k] & 7));
        for (int k = 0; k < CATALOG_MAX_PORTS && s->tls_ports[k]; k++)
            seen[s->tls_ports[k] >> 3] |= (uint8_t)(1u << (s->tls_ports[k] & 7));
    }
    size_t o = 0;
    default_spec[0] = 0;
    for (unsigned p = 1; p < 65536; p++) {
        if (!(seen[p >> 3] & (1u << (p & 7)))) continue;
        if (o + 8 >= sizeof default_spec) break; /* 500 ports: more than any catalogue */
        o += (size_t)str_fmt(default_spec + o, sizeof default_spec - o, "%s%u", o ? "," : "", p);
    }
    return default_spec;
}

int port_service_lookup(const char *name, uint16_t *port)
{
    const struct svc *s = name && name[0] ? catalog_find(name) : NULL;
    if (s && (s->ports[0] || s->tls_ports[0])) {
        *port = s->ports[0] ? s->ports[0] : s->tls_ports[0];
        return 0;
    }
    for (size_t i = 0; name && i < ARRAY_LEN(port_names); i++) {
        if (str_ieq(port_names[i].name, name)) {
            *port = port_names[i].port;
            return 0;
        }
    }
    return -1;
}

const char *port_service_name(uint16_t port)
{
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct svc *s = catalog_at(i);
        if (svc_has_port(s, port) || svc_has_tls_port(s, port)) return s->name;
    }
    for (size_t i = 0; i < ARRAY_LEN(port_names); i++)
        if (port_names[i].port == port) return port_names[i].name;
    return NULL;
}

/* One number 1-65535 from the slice p[0..n). */
static int port_num(const char *p, size_t n, uint16_t *out)
{
    uint64_t v;
    if (parse_u64n(p, n, 65535, &v) < 0 || v == 0) return -1;
    *out = (uint16_t)v;
    return 0;
}

/* The ports a spec names: a bitmap, and the lowest and highest port set (so
 * the walks over it visit only the words in between). */
struct portmap {
    uint64_t bits[65536 / 64];
    unsigned min, max;
};

/* Bits lo..hi (lo <= hi <= 65535) of a 65536-bit set: whole words at once, so "1-65535"
 * is 8 KB of memset. */
static void set_range(struct portmap *m, unsigned lo, unsigned hi)
{
    uint64_t *bits = m->bits;
    if (lo < m->min) m->min = lo;
    if (hi > m->max) m->max = hi;
    for (; lo <= hi && (lo & 63); lo++)
        bits[lo >> 6] |= 1ull << (lo & 63);
    if (lo + 63 <= hi) {
        memset(bits + (lo >> 6), 0xff, ((hi + 1 - lo) >> 6) * sizeof *bits);
        lo += (hi + 1 - lo) & ~63u;
    }
    for (; lo <= hi; lo++)
        bits[lo >> 6] |= 1ull << (lo & 63);
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return n > 0;
}

/* One comma-separated item (trimmed, NUL-terminated) into the bitmap. */
static int port_item(const char *it, struct portmap *m, int depth, struct err *e)
{
    size_t n = strlen(it);
    uint16_t a, b;
    if (n == 0) return err_set(e, "bad port list: empty item");
    if (str_ieq(it, "default") && depth == 0) {
        const char *d = ports_default_spec();
        char tmp[16];
        while (*d) {
            size_t l = strcspn(d, ",");
            if (l >= sizeof tmp) return err_set(e, "internal error in the default port list");
            memcpy(tmp, d, l);
            tmp[l] = 0;
            if (port_item(tmp, m, depth + 1, e) < 0) return -1;
            d += l + (d[l] == ',');
        }
        return 0;
    }
    const struct svc *sv = catalog_find(it);
    if (sv && (sv->ports[0] || sv->tls_ports[0])) { /* every usual port of the service */
        for (int k = 0; k < CATALOG_MAX_PORTS && sv->ports[k]; k++)
            set_range(m, sv->ports[k], sv->ports[k]);
        for (int k = 0; k < CATALOG_MAX_PORTS && sv->tls_ports[k]; k++)
            set_range(m, sv->tls_ports[k], sv->tls_ports[k]);
        return 0;
    }
    if (port_service_lookup(it, &a) == 0) {
        set_range(m, a, a);
        return 0;
    }
    if (all_digits(it, n)) {
        if (port_num(it, n, &a) < 0) return err_set(e, "bad port '%s': ports are 1-65535", it);
        set_range(m, a, a);
        return 0;
    }
    const char *dash = strchr(it, '-');
    if (dash && !strchr(dash + 1, '-')) {
        size_t ln = (size_t)(dash - it), rn = n - ln - 1;
        if ((ln && !all_digits(it, ln)) || (rn && !all_digits(dash + 1, rn)))
            return err_set(e, "bad port range '%s': ranges are of numbers, as in 9200-9300", it);
        a = 1;
        b = 65535;
        if (ln && port_num(it, ln, &a) < 0)
            return err_set(e, "bad port range '%s': ports are 1-65535", it);
        if (rn && port_num(dash + 1, rn, &b) < 0)
            return err_set(e, "bad port range '%s': ports are 1-65535", it);
        if (b < a) return err_set(e, "bad port range '%s': the end is below the start", it);
        set_range(m, a, b);
        return 0;
    }
    return err_set(e, "bad port '%s': not a number, a range or a known service name", it);
}

int ports_parse(const char *spec, uint16_t **out, size_t *n, struct err *e)
{
    struct portmap m;
    char item[64];
    memset(m.bits, 0, sizeof m.bits);
    m.min = 65535;
    m.max = 0;
    if (!spec) return err_set(e, "bad port list: none given");
    const char *s = spec;
    for (;;) {
        size_t l = strcspn(s, ",");
        const char *a = s, *z = s + l;
        while (a < z && (*a == ' ' || *a == '\t'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        if ((size_t)(z - a) >= sizeof item)
            return err_set(e, "bad port '%.*s...': too long", 20, a);
        memcpy(item, a, (size_t)(z - a));
        item[z - a] = 0;
        if (port_item(item, &m, 0, e) < 0) return -1;
        if (!s[l]) break;
        s += l + 1;
    }
    m.bits[0] &= ~1ull; /* port 0 is never scanned */
    size_t cnt = 0, w0 = m.min >> 6, w1 = m.max >> 6;
    for (size_t i = w0; i <= w1; i++)
        cnt += (size_t)__builtin_popcountll(m.bits[i]);
    uint16_t *p = xmalloc(cnt * sizeof *p);
    if (!p) return err_set(e, "out of memory");
    size_t k = 0;
    for (size_t i = w0; i <= w1; i++)
        for (uint64_t b = m.bits[i]; b; b &= b - 1)
            p[k++] = (uint16_t)(i * 64 + (size_t)__builtin_ctzll(b));
    *out = p;
    *n = cnt;
    return 0;
}
