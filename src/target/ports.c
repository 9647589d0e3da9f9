/*
 * target/ports.c -- the -p syntax: numbers, ranges, service names, and the
 * default list of database and dashboard ports.
 *
 * Service names come from a fixed table compiled in, never from
 * /etc/services: a spec must mean the same ports on every machine (shards on
 * different hosts must agree on the set they split). The table and the
 * default list are documented in docs/targets.md; keep the three in step.
 */
#include "target/target.h"

#include <stdlib.h>
#include <string.h>

/*
 * name -> port. For port_service_name, the first entry of a port is its
 * primary name, so each port's canonical name comes before its aliases.
 */
static const struct service {
    const char *name;
    uint16_t port;
} services[] = {
    /* the default list, canonical names */
    {"http", 80},
    {"https", 443},
    {"mqtt", 1883},
    {"zookeeper", 2181},
    {"docker", 2375},
    {"etcd", 2379},
    {"mysql", 3306},
    {"postgresql", 5432},
    {"kibana", 5601},
    {"amqp", 5672},
    {"couchdb", 5984},
    {"redis", 6379},
    {"redis-tls", 6380},
    {"neo4j", 7474},
    {"http-alt", 8080},
    {"mongo-express", 8081},
    {"influxdb", 8086},
    {"clickhouse", 8123},
    {"https-alt", 8443},
    {"clickhouse-native", 9000},
    {"cassandra", 9042},
    {"prometheus", 9090},
    {"elasticsearch", 9200},
    {"elasticsearch-transport", 9300},
    {"memcached", 11211},
    {"rabbitmq", 15672},
    {"mongodb", 27017},
    {"mongodb-shard", 27018},
    {"mongodb-config", 27019},
    /* more services, not scanned by default */
    {"ftp", 21},
    {"ssh", 22},
    {"telnet", 23},
    {"smtp", 25},
    {"ldap", 389},
    {"smb", 445},
    {"mssql", 1433},
    {"oracle", 1521},
    {"etcd-peer", 2380},
    {"docker-tls", 2376},
    {"grafana", 3000},
    {"rdp", 3389},
    {"nats", 4222},
    {"amqps", 5671},
    {"vnc", 5900},
    {"bolt", 7687},
    {"vault", 8200},
    {"consul", 8500},
    {"arangodb", 8529},
    {"mqtts", 8883},
    {"jupyter", 8888},
    {"couchbase", 8091},
    {"solr", 8983},
    {"kafka", 9092},
    {"hadoop", 9870},
    {"redis-sentinel", 26379},
    {"rethinkdb", 28015},
    /* aliases */
    {"www", 80},
    {"postgres", 5432},
    {"pgsql", 5432},
    {"mariadb", 3306},
    {"opensearch-dashboards", 5601},
    {"rabbitmq-management", 15672},
    {"couch", 5984},
    {"pouchdb", 5984},
    {"redis-commander", 8081},
    {"influx", 8086},
    {"elastic", 9200},
    {"opensearch", 9200},
    {"es", 9200},
    {"memcache", 11211},
    {"mongo", 27017},
    {"zk", 2181},
    {"mosquitto", 1883},
    {"ms-sql", 1433},
};

static const char default_spec[] = "80,443,1883,2181,2375,2379,3306,5432,5601,5672,5984,6379,6380,"
                                   "7474,8080,8081,8086,8123,8443,9000,9042,9090,9200,9300,11211,"
                                   "15672,27017-27019";

const char *ports_default_spec(void)
{
    return default_spec;
}

int port_service_lookup(const char *name, uint16_t *port)
{
    for (size_t i = 0; i < ARRAY_LEN(services); i++) {
        if (str_ieq(services[i].name, name)) {
            *port = services[i].port;
            return 0;
        }
    }
    return -1;
}

const char *port_service_name(uint16_t port)
{
    for (size_t i = 0; i < ARRAY_LEN(services); i++)
        if (services[i].port == port) return services[i].name;
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
        const char *d = default_spec;
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
