/*
 * tests/unit/test_ports.c -- the -p syntax (target/ports.c): numbers,
 * ranges, service names, the default list, and what must be refused.
 */
#include "catalog/catalog.h"
#include "target/target.h"
#include "unit/t.h"

#include <stdlib.h>

/* Parse spec; return the count (or -1 on error) and keep the list in *out. */
/* The default list counted here from the catalogue, independently of ports.c: every usual
 * port, plain and TLS, of the entries marked default_scan. */
static size_t default_ports_counted(void)
{
    static bool seen[65536];
    size_t n = 0;
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct svc *s = catalog_at(i);
        if (!s->default_scan) continue;
        for (int k = 0; k < CATALOG_MAX_PORTS && s->ports[k]; k++)
            if (!seen[s->ports[k]]) seen[s->ports[k]] = true, n++;
        for (int k = 0; k < CATALOG_MAX_PORTS && s->tls_ports[k]; k++)
            if (!seen[s->tls_ports[k]]) seen[s->tls_ports[k]] = true, n++;
    }
    return n;
}

static long parse(const char *spec, uint16_t **out)
{
    struct err e;
    size_t n = 0;
    *out = NULL;
    if (ports_parse(spec, out, &n, &e) < 0) return -1;
    return (long)n;
}

static bool sorted_unique(const uint16_t *p, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (p[i] <= p[i - 1]) return false;
    return true;
}

static bool has(const uint16_t *p, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == v) return true;
    return false;
}

static void test_lists(void)
{
    uint16_t *p;
    long n = parse("6379", &p);
    CHECK(n == 1 && p[0] == 6379);
    free(p);
    n = parse("443,80,80,443,22", &p);
    CHECK(n == 3 && p[0] == 22 && p[1] == 80 && p[2] == 443);
    free(p);
    n = parse("9200-9300", &p);
    CHECK(n == 101 && p[0] == 9200 && p[100] == 9300 && sorted_unique(p, 101));
    free(p);
    n = parse("9300-9300,9200-9205,9203-9210", &p);
    CHECK(n == 12 && p[0] == 9200 && p[10] == 9210 && p[11] == 9300);
    free(p);
    n = parse(" 80 , 443 ", &p);
    CHECK(n == 2 && p[0] == 80 && p[1] == 443);
    free(p);
    n = parse("1", &p);
    CHECK(n == 1 && p[0] == 1);
    free(p);
    n = parse("65535", &p);
    CHECK(n == 1 && p[0] == 65535);
    free(p);
    /* every port: -p- (the CLI passes "-"), 1-65535, open ranges */
    n = parse("-", &p);
    CHECK(n == 65535 && p[0] == 1 && p[65534] == 65535 && sorted_unique(p, 65535));
    free(p);
    n = parse("1-65535", &p);
    CHECK(n == 65535);
    free(p);
    n = parse("-1024", &p);
    CHECK(n == 1024 && p[0] == 1 && p[1023] == 1024);
    free(p);
    n = parse("65000-", &p);
    CHECK(n == 536 && p[0] == 65000 && p[535] == 65535);
    free(p);
}

static void test_names(void)
{
    static const struct {
        const char *name;
        uint16_t port;
    } want[] = {
        {"redis", 6379},         {"elasticsearch", 9200},
        {"kibana", 5601},        {"mongodb", 27017},
        {"postgresql", 5432},    {"postgres", 5432},
        {"mysql", 3306},         {"memcached", 11211},
        {"etcd", 2379},          {"clickhouse", 8123},
        {"influxdb", 8086},      {"prometheus", 9090},
        {"rabbitmq", 15672},     {"zookeeper", 2181},
        {"mqtt", 1883},          {"couchdb", 5984},
        {"docker", 2375},        {"http", 80},
        {"https", 443},          {"cassandra", 9042},
        {"amqp", 5672},          {"neo4j", 7474},
        {"mariadb", 3306},       {"mongo", 27017},
        {"opensearch", 9200},    {"REDIS", 6379},
        {"Elasticsearch", 9200}, {"elasticsearch-transport", 9300},
    };
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        uint16_t port = 0;
        CHECK_MSG(port_service_lookup(want[i].name, &port) == 0 && port == want[i].port, "%s -> %u",
                  want[i].name, port);
    }
    uint16_t port = 0;
    CHECK(port_service_lookup("nosuchservice", &port) < 0);
    CHECK(port_service_lookup("", &port) < 0);
    CHECK_STR(port_service_name(6379), "redis");
    CHECK_STR(port_service_name(5432), "postgresql");
    CHECK_STR(port_service_name(9200), "elasticsearch");
    CHECK(port_service_name(4) == NULL);

    uint16_t *p;
    /* a service name is every usual port of its catalogue entry, plain and TLS */
    long n = parse("redis,elasticsearch,kibana,9300", &p);
    CHECK(n == 6 && p[0] == 5601 && p[1] == 6379 && p[2] == 6380 && p[3] == 9200 && p[4] == 9201 &&
          p[5] == 9300);
    free(p);
    n = parse("postgres,postgresql,5432", &p);
    CHECK(n == 2 && p[0] == 5432 && p[1] == 5433);
    free(p);
    n = parse("mongodb", &p); /* with Azure Cosmos DB's MongoDB API on 10255 (TLS) */
    CHECK(n == 4 && p[0] == 10255 && p[1] == 27017 && p[3] == 27019);
    free(p);
    n = parse("docker-tls,http-alt", &p); /* names with a dash are names, not ranges */
    CHECK(n == 2 && p[0] == 2376 && p[1] == 8080);
    free(p);
}

/* The names of single ports never restate a catalogue name: the catalogue owns those. */
static void test_names_not_restated(void)
{
    for (size_t i = 0; i < port_names_count(); i++)
        CHECK_MSG(catalog_find(port_name_at(i)) == NULL, "port name '%s' is a catalogue service",
                  port_name_at(i));
}

static void test_bad(void)
{
    static const char *const bad[] = {
        "0",      "65536", "99999",    "abc",   "5-1",    "",    ",",
        "80,",    ",80",   "80,,443",  "1-2-3", "-0",     "0-5", "5-0",
        "80;443", "-80-",  "80-65536", "+80",   "redis-", "8 0", "0x50",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        uint16_t *p = NULL;
        size_t n = 0;
        struct err e;
        e.msg[0] = 0;
        int rc = ports_parse(bad[i], &p, &n, &e);
        CHECK_MSG(rc < 0 && p == NULL && e.msg[0], "'%s' accepted", bad[i]);
        free(p);
    }
    struct err e;
    uint16_t *p = NULL;
    size_t n;
    CHECK(ports_parse("80,abc", &p, &n, &e) < 0 && strstr(e.msg, "'abc'"));
    CHECK(ports_parse("5-1", &p, &n, &e) < 0 && strstr(e.msg, "'5-1'"));
    CHECK(ports_parse("65536", &p, &n, &e) < 0 && strstr(e.msg, "1-65535"));
    CHECK(ports_parse(NULL, &p, &n, &e) < 0);
}

static void test_default(void)
{
    static const uint16_t required[] = {6379,  9200, 9300, 5601, 27017, 27018, 27019, 5984, 2379,
                                        8123,  9000, 8086, 9090, 15672, 2181,  1883,  5432, 3306,
                                        11211, 2375, 8080, 8081, 443,   80,    1433};
    uint16_t *p;
    long n = parse(ports_default_spec(), &p);
    CHECK(n >= (long)ARRAY_LEN(required));
    for (size_t i = 0; n > 0 && i < ARRAY_LEN(required); i++)
        CHECK_MSG(has(p, (size_t)n, required[i]), "default list lacks %u", required[i]);
    CHECK(n > 0 && sorted_unique(p, (size_t)n));
    CHECK_INT(n, (long)default_ports_counted()); /* the catalogue's default_scan entries */
    long nd = n;
    free(p);
    n = parse("default,8889", &p);
    CHECK(n == nd + 1 && has(p, (size_t)n, 8889) && has(p, (size_t)n, 6379));
    free(p);
    n = parse("DEFAULT", &p);
    CHECK(n == nd);
    free(p);
}

/* Random lists of numbers and ranges (every alignment of a range's ends to the bitmap's
 * bytes) against a plain model: the same ports, sorted, each once. */
static void test_ranges_model(void)
{
    static uint8_t want[65536];
    uint32_t x = 88172645u;
    int bad = 0;
    for (int round = 0; round < 400; round++) {
        memset(want, 0, sizeof want);
        char spec[512];
        size_t len = 0;
        int items = 1 + round % 5;
        for (int i = 0; i < items; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            unsigned a = 1 + x % 65535, w = (x >> 16) % (round % 3 == 0 ? 20 : 3000);
            unsigned b = a + w > 65535 ? 65535 : a + w;
            if (round == 0) a = 1, b = 65535;
            int m = (a == b && i % 2)
                        ? str_fmt(spec + len, sizeof spec - len, "%s%u", i ? "," : "", a)
                        : str_fmt(spec + len, sizeof spec - len, "%s%u-%u", i ? "," : "", a, b);
            len += (size_t)m;
            for (unsigned v = a; v <= b; v++)
                want[v] = 1;
        }
        uint16_t *p;
        long n = parse(spec, &p);
        size_t k = 0;
        bool ok = n >= 0;
        for (unsigned v = 1; ok && v < 65536; v++)
            if (want[v]) ok = k < (size_t)n && p[k++] == v;
        ok = ok && k == (size_t)n;
        if (!ok && bad++ < 5) printf("ports: '%s' parsed wrong (%ld ports)\n", spec, n);
        free(p);
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    t_load_signatures();
    log_level = 0;
    test_lists();
    test_ranges_model();
    test_names();
    test_bad();
    test_default();
    test_names_not_restated();
    return T_END();
}
