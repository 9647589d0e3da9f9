/*
 * bench/serve_gen.c -- a store of synthetic findings for bench/serve.sh and
 * the browser test, written through the store's real path (scan_begin,
 * put, checkpoint, scan_end) and judged by the real assessment
 * (assess_finding), so signals, severities and clusters are what ajar
 * would say.
 *
 *   serve_gen --db WHERE [-n COUNT] [--scans K] [--scope KEY] [--now EPOCH] [--attr]
 *
 * Variety, deterministic per index: 16 services with their ports,
 * products and a spread of versions (some end-of-life); auth none 40 %,
 * required 50 %, partial 5 %, unknown 5 %; one to four names from a pool of
 * real-looking index and table names (personal ones, logs, ransom notes
 * rarely); record counts spread over eight orders of magnitude; TLS on
 * 15 % with certificates shared by groups of 20 hosts (clusters), a third
 * of them expired; 1 % of Elasticsearch reached through a Kibana. Addresses
 * distinct, spread over 10.0.0.0/8. With --scans K > 1, K scans of
 * the same scope (each later one drops 2 % and adds new ones, bumps some
 * versions), so the trend, "new" and the diff have something to show.
 *
 * The last scan starts at the wall clock, the others a week apart before
 * it; --now EPOCH puts the last one there instead, so the findings' times,
 * the certificates' validity and the assessment's "now" are the same on
 * every run (tests/integration/golden.sh; the store's own clock, for a
 * scan's end and first/last seen, is pinned there by running under
 * faketime). --attr gives three findings in four an attribution (an AS
 * with its organisation and prefix, a country, for the cloud ASes a
 * provider), as --asn-db/--geo-db would, so the groupings by provider, AS
 * and country have more than "unknown" to show; without it no record has
 * one, as before.
 */
#include "gen_common.h"
#include "assess/assess.h"
#include "core/finding.h"
#include "core/util.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *service, *product;
    uint16_t port;
    const char *versions[4];
} kinds[] = {
    {"elasticsearch", "Elasticsearch", 9200, {"5.5.1", "6.8.23", "7.17.9", "8.11.1"}},
    {"redis", "Redis", 6379, {"3.2.12", "5.0.7", "6.2.6", "7.2.4"}},
    {"mongodb", "MongoDB", 27017, {"3.6.8", "4.4.18", "5.0.14", "7.0.2"}},
    {"kibana", "Kibana", 5601, {"5.5.1", "6.8.23", "7.17.9", "8.11.1"}},
    {"postgresql", "PostgreSQL", 5432, {"9.6.24", "12.17", "14.10", "16.1"}},
    {"mysql", "MySQL", 3306, {"5.5.62", "5.7.44", "8.0.35", "8.2.0"}},
    {"memcached", "Memcached", 11211, {"1.4.15", "1.5.22", "1.6.9", "1.6.21"}},
    {"clickhouse", "ClickHouse", 8123, {"20.3.8", "22.8.5", "23.8.2", "23.11.1"}},
    {"couchdb", "CouchDB", 5984, {"1.6.1", "2.3.1", "3.2.2", "3.3.3"}},
    {"etcd", "etcd", 2379, {"3.3.27", "3.4.26", "3.5.9", "3.5.10"}},
    {"docker", "Docker", 2375, {"19.03.15", "20.10.24", "24.0.7", "25.0.0"}},
    {"prometheus", "Prometheus", 9090, {"2.7.1", "2.22.0", "2.45.0", "2.48.0"}},
    {"rabbitmq", "RabbitMQ", 15672, {"3.6.16", "3.8.35", "3.11.20", "3.12.10"}},
    {"mqtt", "Mosquitto", 1883, {"1.4.15", "1.6.12", "2.0.15", "2.0.18"}},
    {"zookeeper", "ZooKeeper", 2181, {"3.4.14", "3.5.9", "3.7.2", "3.8.3"}},
    {"influxdb", "InfluxDB", 8086, {"1.2.4", "1.8.10", "2.6.1", "2.7.4"}},
};

static const char *const names[] = {
    "person_info_2019", "person_info_2020",
    "orders",           "logs-2024.01.01",
    "logs-2024.01.02",  "users",
    "customers",        "patients",
    "sessions",         "metrics",
    "case_records",     "sfzh_data",
    "products",         "inventory",
    "events",           "audit",
    "billing",          "employees",
    "phone_book",       "vehicle_tracks",
    "app_cache",        "search_index",
    "monitoring",       "kibana_sample_data_logs",
    "citizens",         "payments",
    "shipping_address", "telemetry",
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* --attr: where an address "is", as attr/attr.c would fill it from the databases */
static const struct {
    uint32_t asn;
    const char *org, *country, *cloud;
} nets[] = {
    {37963, "Hangzhou Alibaba Advertising Co.,Ltd.", "CN", "alibaba-cloud"},
    {45090, "Shenzhen Tencent Computer Systems Company Limited", "CN", "tencent-cloud"},
    {16509, "AMAZON-02", "US", "aws"},
    {4134, "Chinanet", "CN", ""},
    {3320, "Deutsche Telekom AG", "DE", ""},
    {14061, "DIGITALOCEAN-ASN", "SG", ""},
};

static void gen_attr(struct finding *f, uint64_t h)
{
    if ((h >> 52) % 4 == 0) return; /* one in four: the databases did not know the address */
    unsigned k = (unsigned)((h >> 54) % ARRAY_LEN(nets));
    f->attr.asn = nets[k].asn;
    str_copy(f->attr.org, nets[k].org, sizeof f->attr.org);
    str_copy(f->attr.country, nets[k].country, sizeof f->attr.country);
    str_copy(f->attr.cloud, nets[k].cloud, sizeof f->attr.cloud);
    unsigned a, b;
    if (sscanf(f->ip, "10.%u.%u.", &a, &b) == 2)
        str_fmt(f->attr.prefix, sizeof f->attr.prefix, "10.%u.%u.0/24", a, b);
}

static void gen(struct finding *f, uint64_t i, unsigned scan, time_t t, bool attr)
{
    uint64_t h = mix(i * 2654435761u + 17);
    finding_init(f);
    unsigned k = (unsigned)(h % ARRAY_LEN(kinds));
    /* an odd multiplier is a bijection mod 2^24: distinct addresses for i < 2^24 */
    uint32_t a = (uint32_t)(i * 2654435761u) & 0xffffff;
    str_fmt(f->ip, sizeof f->ip, "10.%u.%u.%u", (a >> 16) & 255, (a >> 8) & 255, a & 255);
    f->port = kinds[k].port;
    f->time = t;
    str_copy(f->transport, "tcp", sizeof f->transport);
    str_copy(f->service, kinds[k].service, sizeof f->service);
    str_copy(f->product, kinds[k].product, sizeof f->product);
    /* later scans upgrade one in twenty */
    unsigned vi = (unsigned)(h >> 8) % 4;
    if ((h >> 16) % 40 < scan && vi < 3) vi++;
    str_copy(f->version, kinds[k].versions[vi], sizeof f->version);
    unsigned au = (unsigned)(h >> 20) % 100;
    f->auth = au < 40 ? AUTH_NONE : au < 90 ? AUTH_REQUIRED : au < 95 ? AUTH_PARTIAL : AUTH_UNKNOWN;
    if (f->auth == AUTH_NONE || f->auth == AUTH_PARTIAL) {
        unsigned nn = 1 + (unsigned)(h >> 28) % 4;
        int64_t total = 0;
        for (unsigned j = 0; j < nn; j++) {
            uint64_t g = mix(h + j);
            const char *nm = names[g % ARRAY_LEN(names)];
            if (g % 5000 == 0) nm = "READ_ME_TO_RECOVER_YOUR_DATA";
            int64_t rec = (int64_t)(mix(g) % 1000) * (int64_t)(1ull << ((g >> 12) % 24)) / 8;
            if ((g >> 30) % 10 == 0) rec += (int64_t)scan * 1000; /* some grow scan by scan */
            finding_add_name(f, nm, strlen(nm), rec, rec * 300);
            total += rec;
        }
        f->records = total;
        f->bytes = total * 300;
        f->collections = nn;
        if ((h >> 40) % 3 == 0) {
            finding_add_field(f, "name", 4);
            finding_add_field(f, (h >> 44) % 2 ? "phone" : "id_number", (h >> 44) % 2 ? 5 : 9);
        }
    }
    if ((h >> 36) % 100 < 15) {
        f->tls.present = true;
        uint64_t group = i / 20;
        str_copy(f->tls.version, "TLSv1.3", sizeof f->tls.version);
        str_fmt(f->tls.sha256, sizeof f->tls.sha256, "%016llx%016llx%016llx%016llx",
                (unsigned long long)mix(group), (unsigned long long)mix(group + 1),
                (unsigned long long)mix(group + 2), (unsigned long long)mix(group + 3));
        str_fmt(f->tls.subject_cn, sizeof f->tls.subject_cn, "db-%llu.example.internal",
                (unsigned long long)group);
        str_copy(f->tls.issuer_cn, f->tls.subject_cn, sizeof f->tls.issuer_cn);
        f->tls.self_signed = group % 2 == 0;
        str_copy(f->tls.key_type, "rsa", sizeof f->tls.key_type);
        f->tls.key_bits = group % 7 ? 2048 : 1024;
        f->tls.not_before = t - 86400 * 400;
        f->tls.not_after = group % 3 ? t + 86400 * 300 : t - 86400 * 20;
        f->tls.expired = f->tls.not_after < t;
        f->tls.name_match = -1;
        f->tls.chain_len = 1;
    }
    if (k == 0 && (h >> 50) % 100 == 0) {
        f->has_via = true;
        str_copy(f->via_service, "kibana", sizeof f->via_service);
        str_copy(f->via_ip, f->ip, sizeof f->via_ip);
        f->via_port = 5601;
        f->port = 5601;
    }
    if (attr) gen_attr(f, h);
    struct assess_ctx ac = {.now = t, .cert_hosts = f->tls.present ? 20 : 0};
    assess_finding(f, &ac);
}

int main(int argc, char **argv)
{
    const char *where = STORE_DEFAULT_PATH, *scope = "serve-bench";
    uint64_t n = 1000000, scans = 1, now = 0;
    bool attr = false;
    /* --attr takes no value: gen_args knows only options with one */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--attr")) {
            attr = true;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof *argv);
            argc--;
            break;
        }
    const struct gen_opt opts[] = {{"--db", .str = &where},
                                   {"--scope", .str = &scope},
                                   {"-n", .num = &n, .max = 1ull << 28},
                                   {"--scans", .num = &scans, .max = 100},
                                   /* up to 9999-12-31 */
                                   {"--now", .num = &now, .max = 253402300799ull},
                                   {0}};
    if (gen_args(argc, argv, opts) < 0 || !scans) goto usage;
    if (!now) now = (uint64_t)now_wall();
    struct err e = {{0}};
    struct store *s = NULL;
    if (store_open(&s, where, &e) < 0) goto fail;
    time_t t0 = (time_t)now - (time_t)(scans - 1) * 7 * 86400;
    for (unsigned sc = 0; sc < scans; sc++) {
        time_t t = t0 + (time_t)sc * 7 * 86400;
        struct scan_meta m = {
            .args = "serve_gen", .scope_key = scope, .seed = 1, .nshards = 1, .start = t};
        int64_t id;
        uint64_t pos;
        int64_t ms = now_ms();
        if (store_scan_begin(s, &m, &id, &pos, &e) < 0) goto fail;
        /* each later scan: 2 % of the earlier ones gone, 3 % new ones */
        uint64_t lo = (uint64_t)sc * n / 50, hi = n + (uint64_t)sc * n * 3 / 100;
        uint64_t put = 0;
        for (uint64_t i = lo; i < hi; i++) {
            struct finding f;
            gen(&f, i, sc, t, attr);
            int rc = store_put(s, id, &f, &e);
            finding_free(&f);
            if (rc < 0) goto fail;
            put++;
            if (i % 10000 == 9999 && store_checkpoint(s, id, i + 1, &e) < 0) goto fail;
        }
        if (store_scan_end(s, id, &e) < 0) goto fail;
        printf("serve_gen: scan %lld: %llu findings in %.1f s\n", (long long)id,
               (unsigned long long)put, (double)(now_ms() - ms) / 1000.0);
        fflush(stdout);
    }
    store_close(s);
    return 0;
fail:
    fprintf(stderr, "serve_gen: %s\n", e.msg);
    store_close(s);
    return 1;
usage:
    fprintf(stderr, "usage: serve_gen --db WHERE [-n COUNT] [--scans K] [--scope KEY] [--now EPOCH]"
                    " [--attr]\n");
    return 1;
}
