/*
 * tests/unit/test_assess.c -- every assessment rule as a table row: a
 * finding built by a small setup function, the exact set of signal ids it
 * must get, and the severity. Plus version compare, the end-of-life and
 * no-auth-capability tables, and cluster keys.
 *
 * The Shanghai row is the case the scanner exists for (2022): an open
 * Kibana 5.5.3 in front of Elasticsearch with person_info indices holding
 * hundreds of millions of records, a ransom index, and an expired
 * self-signed certificate shared by several hosts.
 */
#include "assess/assess.h"
#include "core/util.h"
#include "t.h"
#include "tls/cert.h"

#include <stdio.h>
#include <stdlib.h>

#define T2022 ((time_t)1656633600) /* 2022-07-01 */
#define T2024 ((time_t)1704067200) /* 2024-01-01 */
#define T2025 ((time_t)1735689600) /* 2025-01-01 */

static void base(struct finding *f, const char *service, const char *product, const char *version,
                 enum auth_state auth)
{
    str_copy(f->ip, "198.51.100.7", sizeof f->ip);
    f->port = 9200;
    f->time = T2022;
    FINDING_SET(f, service, service);
    FINDING_SET(f, product, product);
    FINDING_SET(f, version, version);
    f->auth = auth;
}

static void name(struct finding *f, const char *n, int64_t records)
{
    finding_add_name(f, n, strlen(n), records, records >= 0 ? records * 500 : -1);
}

static void load_cert(struct finding *f, const char *file, time_t now)
{
    char path[512];
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    str_fmt(path, sizeof path, "%.*s/certs/%s", slash ? (int)(slash - here) : 1, slash ? here : ".",
            file);
    FILE *fp = fopen(path, "rb");
    CHECK_MSG(fp != NULL, "cannot open %s", path);
    if (!fp) return;
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    CHECK_INT(cert_facts_from_pem(&f->tls, buf, n, NULL, now), 0);
}

/* A synthetic certificate: fields set directly. */
static void cert(struct finding *f, time_t nb, time_t na, time_t now)
{
    struct tls_facts *t = &f->tls;
    t->present = true;
    str_copy(t->sha256, "5f1c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",
             sizeof t->sha256);
    str_copy(t->subject_cn, "db.example.test", sizeof t->subject_cn);
    t->not_before = nb;
    t->not_after = na;
    t->expired = na < now;
    t->not_yet_valid = nb > now;
    str_copy(t->key_type, "rsa", sizeof t->key_type);
    t->key_bits = 2048;
    t->name_match = -1;
    t->chain_len = 2;
}

/* ---- rows ---- */

static void shanghai_kibana(struct finding *f, struct assess_ctx *c)
{
    base(f, "kibana", "Kibana", "5.5.3", AUTH_NONE);
    f->port = 5601;
    load_cert(f, "selfsigned.pem", T2022); /* self-signed, expired 2018-06-01 */
    c->cert_hosts = 3;
    finding_detail_str(f, "proxies_to", "Elasticsearch 5.5.3");
    name(f, ".kibana", 12);
    name(f, "person_info_2019", 150000000);
    name(f, "person_info_2020", 150000000);
    name(f, "contact_for_data", 1);
    finding_add_field(f, "xm", 2);
    finding_add_field(f, "sfzh", 4);
    finding_add_field(f, "sjhm", 4);
    finding_add_field(f, "zz", 2);
}

static void shanghai_es_via(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "5.5.3", AUTH_NONE);
    f->port = 5601;
    f->has_via = true;
    str_copy(f->via_service, "kibana", sizeof f->via_service);
    str_copy(f->via_ip, "198.51.100.7", sizeof f->via_ip);
    f->via_port = 5601;
    name(f, "person_info_2019", 150000000);
    name(f, "person_info_2020", 150000000);
    name(f, "contact_for_data", 1);
}

static void redis_open_empty(struct finding *f, struct assess_ctx *c)
{
    base(f, "redis", "Redis", "7.2.4", AUTH_NONE);
}

static void redis_auth_current(struct finding *f, struct assess_ctx *c)
{
    base(f, "redis", "Redis", "7.2.4", AUTH_REQUIRED);
}

static void redis_auth_eol(struct finding *f, struct assess_ctx *c)
{
    base(f, "redis", "Redis", "5.0.7", AUTH_REQUIRED);
}

static void redis_outdated(struct finding *f, struct assess_ctx *c)
{
    base(f, "redis", "Redis", "7.0.11", AUTH_REQUIRED);
    c->now = T2024;
}

static void es_7_10_auth(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "7.10.2", AUTH_REQUIRED);
    c->now = T2024; /* the 7.0-7.16 upper bound (2023-06-07) has passed */
}

static void es_6_4_behind_proxy(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "6.4.0", AUTH_REQUIRED);
}

static void es_7_0_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "7.0.1", AUTH_NONE);
    c->now = T2025;
    name(f, "logs-2021.01.01", 500);
}

static void es_8_current(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "8.15.0", AUTH_REQUIRED);
    c->now = T2025;
}

static void es_big_logs(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "8.19.2", AUTH_NONE);
    c->now = T2025;
    name(f, "logs-2024.12.01", 1500000);
    name(f, "logs-2024.12.02", 1500000);
}

static void es_bytes_only(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "", AUTH_NONE);
    f->bytes = 2 * 1099511627776ll;
}

static void mongo_customers(struct finding *f, struct assess_ctx *c)
{
    base(f, "mongodb", "MongoDB", "3.4.24", AUTH_NONE);
    f->port = 27017;
    name(f, "admin", -1);
    name(f, "local", -1);
    name(f, "shop", 5000);
    finding_add_field(f, "name", 4);
    finding_add_field(f, "email", 5);
    finding_add_field(f, "phone", 5);
}

static void mongo_wiped(struct finding *f, struct assess_ctx *c)
{
    base(f, "mongodb", "MongoDB", "", AUTH_NONE);
    name(f, "admin", -1);
    name(f, "local", -1);
    name(f, "README", 1);
}

static void pg_trust(struct finding *f, struct assess_ctx *c)
{
    base(f, "postgresql", "PostgreSQL", "9.6.24", AUTH_NONE);
    finding_detail_str(f, "auth_method", "trust");
    finding_detail_str(f, "user", "postgres");
}

static void mariadb_root(struct finding *f, struct assess_ctx *c)
{
    base(f, "mysql", "MySQL", "5.5.5-10.3.39-MariaDB", AUTH_NONE);
    c->now = T2024;
}

static void clickhouse_default(struct finding *f, struct assess_ctx *c)
{
    base(f, "clickhouse-native", "ClickHouse", "18.16.1", AUTH_NONE);
}

static void docker_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "docker", "Docker", "20.10.5", AUTH_NONE);
}

static void yarn_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "yarn", "Apache Hadoop YARN", "", AUTH_NONE);
}

/* Vault never lets data out without a token; an uninitialised one is anyone's to take */
static void vault_uninitialised(struct finding *f, struct assess_ctx *c)
{
    base(f, "vault", "HashiCorp Vault", "", AUTH_REQUIRED);
    finding_detail(f, "initialized", json_false());
}

static void vault_sealed(struct finding *f, struct assess_ctx *c)
{
    base(f, "vault", "HashiCorp Vault", "", AUTH_REQUIRED);
    finding_detail(f, "initialized", json_true());
}

/* a NameNode's top-level directories are judged as an Elasticsearch's indices */
static void hdfs_person_paths(struct finding *f, struct assess_ctx *c)
{
    base(f, "hdfs", "Apache Hadoop HDFS", "", AUTH_NONE);
    f->port = 50070;
    name(f, "tmp", -1);
    name(f, "user", -1);
    name(f, "customers", 2);
}

/* the new classes of issue 20: a broker, buckets, a SQL Server, a directory, a console */
static void kafka_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "kafka", "Apache Kafka", "", AUTH_NONE);
    f->port = 9092;
    name(f, "orders", -1);
    name(f, "payments", -1);
}

static void s3_person_keys(struct finding *f, struct assess_ctx *c)
{
    base(f, "s3", "MinIO", "", AUTH_NONE);
    f->port = 9000;
    name(f, "customers", 3);
    finding_add_field(f, "passport_scans/test-1.txt", 25);
}

static void mssql_sa_empty(struct finding *f, struct assess_ctx *c)
{
    base(f, "mssql", "Microsoft SQL Server", "", AUTH_NONE);
    f->port = 1433;
    finding_detail_str(f, "user", "sa");
}

static void ldap_anonymous(struct finding *f, struct assess_ctx *c)
{
    base(f, "ldap", "OpenLDAP", "", AUTH_NONE);
    f->port = 389;
    name(f, "dc=lab,dc=example", -1);
}

static void grafana_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "grafana", "Grafana", "", AUTH_NONE);
    f->port = 3000;
}

static void etcd_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "etcd", "etcd", "3.4.23", AUTH_NONE);
}

static void prometheus_old(struct finding *f, struct assess_ctx *c)
{
    base(f, "prometheus", "Prometheus", "2.20.1", AUTH_NONE);
}

/* an open Jupyter: code execution (infrastructure, high) and its files' names readable */
static void jupyter_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "jupyter", "Jupyter Notebook", "6.4.12", AUTH_NONE);
    name(f, "test-1.csv", -1);
}

static void jupyter_token(struct finding *f, struct assess_ctx *c)
{
    base(f, "jupyter", "Jupyter Notebook", "6.4.12", AUTH_REQUIRED);
}

static void zookeeper_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "zookeeper", "ZooKeeper", "3.8.0", AUTH_NONE);
}

static void phpmyadmin_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "phpmyadmin", "phpMyAdmin", "5.2.1", AUTH_NONE);
}

static void adminer_login(struct finding *f, struct assess_ctx *c)
{
    base(f, "adminer", "Adminer", "4.8.1", AUTH_REQUIRED);
}

static void redis_commander_open(struct finding *f, struct assess_ctx *c)
{
    base(f, "redis_commander", "Redis Commander", "0.9.0", AUTH_NONE);
}

static void cert_expired_data(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "", AUTH_REQUIRED);
    cert(f, T2022 - 300 * 86400, T2022 - 10 * 86400, T2022);
}

static void cert_expired_other(struct finding *f, struct assess_ctx *c)
{
    base(f, "http", "nginx", "", AUTH_UNKNOWN);
    cert(f, T2022 - 300 * 86400, T2022 - 10 * 86400, T2022);
}

static void cert_not_yet(struct finding *f, struct assess_ctx *c)
{
    base(f, "http", "", "", AUTH_UNKNOWN);
    cert(f, T2022 + 86400, T2022 + 400 * 86400, T2022);
}

static void cert_weak_rsa(struct finding *f, struct assess_ctx *c)
{
    base(f, "http", "", "", AUTH_UNKNOWN);
    cert(f, T2022 - 86400, T2022 + 86400, T2022);
    f->tls.key_bits = 1024;
}

static void cert_weak_ec(struct finding *f, struct assess_ctx *c)
{
    base(f, "http", "", "", AUTH_UNKNOWN);
    cert(f, T2022 - 86400, T2022 + 86400, T2022);
    str_copy(f->tls.key_type, "ec", sizeof f->tls.key_type);
    f->tls.key_bits = 192;
}

static void cert_ec_ok(struct finding *f, struct assess_ctx *c)
{
    cert_weak_ec(f, c);
    f->tls.key_bits = 256;
}

static void cert_dsa(struct finding *f, struct assess_ctx *c)
{
    cert_weak_rsa(f, c);
    str_copy(f->tls.key_type, "dsa", sizeof f->tls.key_type);
    f->tls.key_bits = 2048;
}

static void cert_mismatch(struct finding *f, struct assess_ctx *c)
{
    base(f, "http", "", "", AUTH_UNKNOWN);
    str_copy(f->host, "shop.example.org", sizeof f->host);
    cert(f, T2022 - 86400, T2022 + 86400, T2022);
    f->tls.name_match = 0;
}

static void cert_shared_data(struct finding *f, struct assess_ctx *c)
{
    base(f, "mongodb", "MongoDB", "", AUTH_REQUIRED);
    cert(f, T2022 - 86400, T2022 + 86400, T2022);
    c->cert_hosts = 4;
}

static void cert_stale(struct finding *f, struct assess_ctx *c)
{
    base(f, "http", "", "", AUTH_UNKNOWN);
    cert(f, T2022 - 4 * 365 * 86400ll, T2022 + 365 * 86400ll, T2022);
}

static void cert_real_valid(struct finding *f, struct assess_ctx *c)
{
    base(f, "redis", "Redis", "7.2.4", AUTH_REQUIRED);
    load_cert(f, "valid.pem", T2025);
    c->now = T2025;
}

static void personal_threshold(struct finding *f, struct assess_ctx *c)
{
    base(f, "couchdb", "CouchDB", "", AUTH_NONE);
    name(f, "citizens", 5000);
    c->personal_threshold = 1000;
}

static void personal_behind_auth(struct finding *f, struct assess_ctx *c)
{
    base(f, "elasticsearch", "Elasticsearch", "", AUTH_REQUIRED);
    name(f, "patients", -1);
}

static void unknown_nothing(struct finding *f, struct assess_ctx *c)
{
    base(f, "unknown", "", "", AUTH_UNKNOWN);
}

static void http_plain(struct finding *f, struct assess_ctx *c)
{
    base(f, "http", "nginx", "1.22.1", AUTH_UNKNOWN);
}

struct row {
    const char *label;
    void (*setup)(struct finding *, struct assess_ctx *);
    const char *want; /* the exact set of signal ids, space-separated */
    enum severity sev;
};

static const struct row rows[] = {
    {"shanghai kibana", shanghai_kibana,
     "no-auth dashboard-exposes-store no-auth-capability end-of-life cert-expired cert-shared "
     "cert-stale cert-self-signed personal-data-schema large-dataset personal-data-over-threshold "
     "ransom-note",
     SEV_CRITICAL},
    {"shanghai es via kibana", shanghai_es_via,
     "no-auth dashboard-exposes-store no-auth-capability end-of-life personal-data-schema "
     "large-dataset personal-data-over-threshold ransom-note",
     SEV_CRITICAL},
    {"redis open empty", redis_open_empty, "no-auth", SEV_HIGH},
    {"redis auth current", redis_auth_current, "", SEV_INFO},
    {"redis auth eol", redis_auth_eol, "end-of-life", SEV_MEDIUM},
    {"redis outdated", redis_outdated, "outdated", SEV_LOW},
    {"es 7.10 auth", es_7_10_auth, "end-of-life", SEV_MEDIUM},
    {"es 6.4 behind proxy", es_6_4_behind_proxy, "no-auth-capability end-of-life", SEV_MEDIUM},
    {"es 7.0 open", es_7_0_open, "no-auth no-auth-capability end-of-life", SEV_HIGH},
    {"es 8.15 current", es_8_current, "", SEV_INFO},
    {"es big logs", es_big_logs, "no-auth large-dataset", SEV_CRITICAL},
    {"es bytes only", es_bytes_only, "no-auth large-dataset", SEV_HIGH},
    {"mongo customers", mongo_customers, "no-auth end-of-life personal-data-schema large-dataset",
     SEV_CRITICAL},
    {"mongo wiped", mongo_wiped, "no-auth ransom-note", SEV_CRITICAL},
    {"postgres trust", pg_trust, "no-auth default-account-empty-password end-of-life", SEV_HIGH},
    {"mariadb root", mariadb_root, "no-auth default-account-empty-password end-of-life", SEV_HIGH},
    {"clickhouse default", clickhouse_default, "no-auth default-account-empty-password", SEV_HIGH},
    {"docker open", docker_open, "exposed-infrastructure", SEV_HIGH},
    {"etcd open", etcd_open, "exposed-infrastructure", SEV_HIGH},
    {"yarn open", yarn_open, "exposed-infrastructure", SEV_HIGH},
    {"vault uninitialised", vault_uninitialised, "exposed-infrastructure", SEV_CRITICAL},
    {"vault sealed", vault_sealed, "", SEV_INFO},
    {"hdfs person paths", hdfs_person_paths, "no-auth personal-data-schema", SEV_CRITICAL},
    {"kafka open", kafka_open, "no-auth", SEV_HIGH},
    {"s3 person keys", s3_person_keys, "no-auth personal-data-schema", SEV_CRITICAL},
    {"mssql sa empty", mssql_sa_empty, "no-auth default-account-empty-password", SEV_HIGH},
    {"ldap anonymous", ldap_anonymous, "no-auth", SEV_HIGH},
    {"grafana open", grafana_open, "no-auth dashboard-exposes-store", SEV_HIGH},
    {"prometheus old", prometheus_old, "exposed-infrastructure no-auth-capability", SEV_MEDIUM},
    {"zookeeper open", zookeeper_open, "exposed-infrastructure", SEV_MEDIUM},
    {"jupyter open", jupyter_open, "no-auth exposed-infrastructure", SEV_HIGH},
    {"jupyter token", jupyter_token, "", SEV_INFO},
    {"phpmyadmin open", phpmyadmin_open, "no-auth dashboard-exposes-store", SEV_HIGH},
    {"adminer login", adminer_login, "", SEV_INFO},
    {"redis-commander open", redis_commander_open, "no-auth dashboard-exposes-store", SEV_HIGH},
    {"cert expired data", cert_expired_data, "cert-expired", SEV_MEDIUM},
    {"cert expired other", cert_expired_other, "cert-expired", SEV_LOW},
    {"cert not yet valid", cert_not_yet, "cert-not-yet-valid", SEV_LOW},
    {"cert weak rsa", cert_weak_rsa, "cert-weak-key", SEV_LOW},
    {"cert weak ec", cert_weak_ec, "cert-weak-key", SEV_LOW},
    {"cert ec ok", cert_ec_ok, "", SEV_INFO},
    {"cert dsa", cert_dsa, "cert-weak-key", SEV_LOW},
    {"cert mismatch", cert_mismatch, "cert-name-mismatch", SEV_LOW},
    {"cert shared data", cert_shared_data, "cert-shared", SEV_MEDIUM},
    {"cert stale", cert_stale, "cert-stale", SEV_LOW},
    {"cert real valid", cert_real_valid, "", SEV_INFO},
    {"personal threshold", personal_threshold,
     "no-auth personal-data-schema large-dataset personal-data-over-threshold", SEV_CRITICAL},
    {"personal behind auth", personal_behind_auth, "personal-data-schema", SEV_MEDIUM},
    {"unknown nothing", unknown_nothing, "", SEV_NONE},
    {"http plain", http_plain, "", SEV_INFO},
};

static bool has_signal(const struct finding *f, const char *id)
{
    for (int i = 0; i < f->nsignals; i++)
        if (strcmp(f->signals[i].id, id) == 0) return true;
    return false;
}

static const struct signal *get_signal(const struct finding *f, const char *id)
{
    for (int i = 0; i < f->nsignals; i++)
        if (strcmp(f->signals[i].id, id) == 0) return &f->signals[i];
    return NULL;
}

static void run_row(const struct row *r, bool verbose)
{
    struct finding f;
    finding_init(&f);
    struct assess_ctx c = {.now = T2022, .cert_hosts = 1, .personal_threshold = 0};
    r->setup(&f, &c);
    assess_finding(&f, &c);
    /* every wanted id present, nothing else */
    char want[512];
    str_copy(want, r->want, sizeof want);
    int nwant = 0;
    for (char *id = strtok(want, " "); id; id = strtok(NULL, " ")) {
        nwant++;
        CHECK_MSG(has_signal(&f, id), "%s: missing %s", r->label, id);
    }
    CHECK_MSG(f.nsignals == nwant, "%s: %d signals, want %d", r->label, f.nsignals, nwant);
    CHECK_MSG(f.severity == r->sev, "%s: severity %s, want %s", r->label, severity_name(f.severity),
              severity_name(r->sev));
    for (int i = 0; i < f.nsignals; i++) {
        CHECK_MSG(f.signals[i].detail[0] != '\0', "%s: %s has no detail", r->label,
                  f.signals[i].id);
        if (verbose || !strstr(r->want, f.signals[i].id))
            printf("  %-22s %-30s %-8s %s\n", r->label, f.signals[i].id,
                   severity_name(f.signals[i].severity), f.signals[i].detail);
    }
    /* assessing twice gives the same answer */
    int n1 = f.nsignals;
    assess_finding(&f, &c);
    CHECK_INT(f.nsignals, n1);
    finding_free(&f);
}

static void test_rows(void)
{
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        run_row(&rows[i], i < 2);
}

static void test_details(void)
{
    struct finding f;
    finding_init(&f);
    struct assess_ctx c = {.now = T2022, .cert_hosts = 1};
    shanghai_es_via(&f, &c);
    assess_finding(&f, &c);
    const struct signal *s = get_signal(&f, "no-auth");
    CHECK(s && strstr(s->detail, "through kibana at 198.51.100.7:5601"));
    s = get_signal(&f, "personal-data-over-threshold");
    CHECK(s && strstr(s->detail, "300.0 million"));
    s = get_signal(&f, "end-of-life");
    CHECK(s && strstr(s->detail, "2019-03-11"));
    finding_free(&f);

    finding_init(&f);
    shanghai_kibana(&f, &c);
    assess_finding(&f, &c);
    s = get_signal(&f, "cert-shared");
    CHECK(s && strstr(s->detail, "3 hosts"));
    s = get_signal(&f, "cert-expired");
    CHECK(s && strstr(s->detail, "2018-06-01"));
    s = get_signal(&f, "personal-data-schema");
    CHECK(s && strstr(s->detail, "national ID number") && strstr(s->detail, "person name"));
    s = get_signal(&f, "ransom-note");
    CHECK(s && strstr(s->detail, "contact_for_data"));
    CHECK(strlen(f.cluster) == 12);
    finding_free(&f);

    finding_init(&f);
    mongo_wiped(&f, &c);
    assess_finding(&f, &c);
    s = get_signal(&f, "ransom-note");
    CHECK(s && strstr(s->detail, "wiped"));
    finding_free(&f);

    finding_init(&f);
    pg_trust(&f, &c);
    assess_finding(&f, &c);
    s = get_signal(&f, "default-account-empty-password");
    CHECK(s && strstr(s->detail, "postgres") && strstr(s->detail, "trust"));
    finding_free(&f);

    /* NULL context: scan time from the finding, nothing known about other hosts */
    finding_init(&f);
    redis_open_empty(&f, &c);
    assess_finding(&f, NULL);
    CHECK(has_signal(&f, "no-auth"));
    finding_free(&f);
}

/* data/ransom-names.tsv: every row parses; strong names flag a store alone, weak ones (README,
 * WARNING, Backup1: legitimate names too) only beside a wiped store. */
static void test_ransom_table(void)
{
    FILE *fp = fopen("data/ransom-names.tsv", "r");
    CHECK(fp != NULL);
    if (!fp) return;
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = 0;
    size_t nrow = 0;
    for (char *l = text; *l;) {
        char *e = strchr(l, '\n');
        if (*l != '#' && *l != '\n') nrow++;
        if (!e) break;
        l = e + 1;
    }
    size_t bad = 99;
    CHECK_INT(ransom_table_parse(text, &bad), nrow);
    CHECK_INT(bad, 0);
    CHECK(nrow > 60);
    /* a broken table keeps what parses */
    CHECK_INT(ransom_table_parse("exact\tfoo\tstrong\nexact\tBad-Pattern\tstrong\n"
                                 "regex\tfoo\tstrong\nexact\tbar\tmaybe\n#c\n\nword\tbtc\tweak",
                                 &bad),
              2);
    CHECK_INT(bad, 3);
    CHECK_INT(ransom_strength("FOO"), 2);
    CHECK_INT(ransom_strength("some_btc_thing"), 1);
    /* the shipped table again */
    CHECK_INT(ransom_table_parse(text, NULL), nrow);
    static const struct {
        const char *name;
        int want;
    } t[] = {
        {"NODATA4U_SECUREYOURSHIT", 2},
        {"gk01juo8o3-meow", 2},
        {"nightlionsecurity.com", 2},
        {"hacked_by_unistellar", 2},
        {"READ__ME_TO_RECOVER_YOUR_DATA", 2},
        {"readme_to_recover", 2},
        {"PLEASE_READ_ME_VVV", 2},
        {"RECOVER_YOUR_DATA", 2},
        {"wegeturdb_contact", 2},
        {"crackit", 2},
        {"pay_bitcoin_now", 2},
        {"README", 1},
        {"Warning", 1},
        {"Backup1", 1},
        {"Attention", 1},
        {"customers", 0},
        {"person_info", 0},
        {"backup_2019_orders", 0},
        {"readers", 0},
        {"", 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(t); i++)
        CHECK_MSG(ransom_strength(t[i].name) == t[i].want, "%s: %d, want %d", t[i].name,
                  ransom_strength(t[i].name), t[i].want);

    /* a weak name in a store full of data is not a note; beside a wiped store it is */
    struct assess_ctx c = {.now = T2022};
    struct finding f;
    finding_init(&f);
    FINDING_SET(&f, service, "mongodb");
    f.auth = AUTH_NONE;
    finding_add_name(&f, "README", 6, 3, -1);
    finding_add_name(&f, "orders", 6, 50000, -1);
    finding_add_name(&f, "products", 8, 900, -1);
    assess_finding(&f, &c);
    CHECK(!has_signal(&f, "ransom-note"));
    finding_free(&f);
    finding_init(&f);
    FINDING_SET(&f, service, "mongodb");
    f.auth = AUTH_NONE;
    finding_add_name(&f, "README", 6, 1, -1);
    finding_add_name(&f, "admin", 5, 1, -1);
    finding_add_name(&f, "local", 5, 1, -1);
    assess_finding(&f, &c);
    const struct signal *sg = get_signal(&f, "ransom-note");
    CHECK(sg && strstr(sg->detail, "README"));
    finding_free(&f);
    /* HDFS: the gang's directory beside the deleted /tmp */
    finding_init(&f);
    FINDING_SET(&f, service, "hdfs");
    f.auth = AUTH_NONE;
    finding_add_name(&f, "NODATA4U_SECUREYOURSHIT", 23, -1, 0);
    finding_add_name(&f, "user", 4, -1, 9000000);
    assess_finding(&f, &c);
    CHECK(has_signal(&f, "ransom-note"));
    finding_free(&f);
}

/* data/honeypots.tsv and the many-stores count: the info signal, never a change of severity. */
static void test_honeypots(void)
{
    FILE *fp = fopen("data/honeypots.tsv", "r");
    CHECK(fp != NULL);
    if (!fp) return;
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = 0;
    size_t nrow = 0, bad = 99;
    for (char *l = text; *l;) {
        char *e = strchr(l, '\n');
        if (*l != '#' && *l != '\n') nrow++;
        if (!e) break;
        l = e + 1;
    }
    CHECK_INT(honeypot_table_parse(text, &bad), nrow);
    CHECK_INT(bad, 0);
    struct assess_ctx c = {.now = T2022};
    struct finding f;
    /* qeeqbox's MySQL greeting version */
    finding_init(&f);
    FINDING_SET(&f, service, "mysql");
    FINDING_SET(&f, version, "5.7.00");
    assess_finding(&f, &c);
    const struct signal *sg = get_signal(&f, "honeypot-suspect");
    CHECK(sg && sg->severity == SEV_INFO && strstr(sg->detail, "qeeqbox"));
    finding_free(&f);
    /* a real 5.7.44 is not one */
    finding_init(&f);
    FINDING_SET(&f, service, "mysql");
    FINDING_SET(&f, version, "5.7.44");
    assess_finding(&f, &c);
    CHECK(!has_signal(&f, "honeypot-suspect"));
    finding_free(&f);
    /* a group holds only whole: Memcached 1.5.6 alone is a real release */
    finding_init(&f);
    FINDING_SET(&f, service, "memcached");
    FINDING_SET(&f, version, "1.5.6");
    f.auth = AUTH_NONE;
    assess_finding(&f, &c);
    CHECK(!has_signal(&f, "honeypot-suspect"));
    finding_detail_int(&f, "limit_maxbytes", 33554432);
    assess_finding(&f, &c);
    CHECK(has_signal(&f, "honeypot-suspect"));
    /* an info signal: the open Memcached stays as severe as it was */
    CHECK(has_signal(&f, "no-auth") && f.severity >= SEV_MEDIUM);
    finding_free(&f);
    /* a detail string (qeeqbox's fixed cluster_uuid) and the product (Dionaea's MSSQL): read
     * from the finding as the record would have them; an empty product is no match */
    finding_init(&f);
    FINDING_SET(&f, service, "elasticsearch");
    finding_detail_str(&f, "cluster_uuid", "09cf5BKcTCG2U8z2ndwGEw");
    assess_finding(&f, &c);
    CHECK(has_signal(&f, "honeypot-suspect"));
    finding_free(&f);
    finding_init(&f);
    FINDING_SET(&f, service, "elasticsearch");
    finding_detail_str(&f, "cluster_uuid", "09cf5BKcTCG2U8z2ndwGEx");
    assess_finding(&f, &c);
    CHECK(!has_signal(&f, "honeypot-suspect"));
    finding_free(&f);
    finding_init(&f);
    FINDING_SET(&f, service, "mssql");
    FINDING_SET(&f, product, "Dionaea honeypot");
    assess_finding(&f, &c);
    CHECK(has_signal(&f, "honeypot-suspect"));
    finding_free(&f);
    finding_init(&f);
    FINDING_SET(&f, service, "mssql");
    assess_finding(&f, &c);
    CHECK(!has_signal(&f, "honeypot-suspect"));
    finding_free(&f);
    /* elasticpot's fixed index, among the names */
    finding_init(&f);
    FINDING_SET(&f, service, "elasticsearch");
    f.auth = AUTH_NONE;
    finding_add_name(&f, "logs", 4, 10, -1);
    finding_add_name(&f, "db18744ea5570fa9bf868df44fecd4b58332ff24", 40, 6, -1);
    assess_finding(&f, &c);
    sg = get_signal(&f, "honeypot-suspect");
    CHECK(sg && strstr(sg->detail, "elasticpot"));
    finding_free(&f);
    /* every store at once */
    for (int stores = 4; stores <= 6; stores++) {
        finding_init(&f);
        FINDING_SET(&f, service, "redis");
        f.auth = AUTH_NONE;
        struct assess_ctx h = {.now = T2022, .host_stores = stores};
        assess_finding(&f, &h);
        CHECK_MSG(has_signal(&f, "honeypot-suspect") == (stores >= HONEYPOT_MIN_STORES), "%d",
                  stores);
        if (stores >= HONEYPOT_MIN_STORES)
            CHECK(strstr(get_signal(&f, "honeypot-suspect")->detail, "different stores"));
        finding_free(&f);
    }
}

static void test_versions(void)
{
    CHECK(version_cmp("7.10.2", "7.9") > 0);
    CHECK(version_cmp("7.9", "7.10.2") < 0);
    CHECK(version_cmp("1.0", "1.0.0") == 0);
    CHECK(version_cmp("v2.4.1", "2.4.1") == 0);
    CHECK(version_cmp("7.10.2-oss", "7.10.2") == 0);
    CHECK(version_cmp("8.0.0-rc1", "8.0.0") < 0);
    CHECK(version_cmp("3.2.0-rc2", "3.2.0") < 0);
    CHECK(version_cmp("3.2.0-rc2", "3.1.9") > 0);
    CHECK(version_cmp("10.11.6-MariaDB-log", "10.11.6") == 0);
    CHECK(version_cmp("", "1") < 0);
    CHECK(version_cmp(NULL, NULL) == 0);
    CHECK(version_cmp("junk", "0") == 0);
    CHECK(version_cmp("99999999999999999999999.1", "1") > 0);

    const struct eol_info *e = eol_lookup("Elasticsearch", "5.5.3");
    CHECK(e && strcmp(e->line, "5") == 0 && strcmp(e->eol_date, "2019-03-11") == 0);
    e = eol_lookup("elasticsearch", "7.17.14");
    CHECK(e && strcmp(e->line, "7") == 0 && e->verified && strstr(e->source, "endoflife.date"));
    CHECK(e && strcmp(e->latest, "7.17.29") == 0);
    CHECK(eol_lookup("Elasticsearch", "5.5.3") && !eol_lookup("Elasticsearch", "5.5.3")->verified);
    e = eol_lookup("opensearch", "2.11.0"); /* the slug by name */
    CHECK(e && strcmp(e->product, "opensearch") == 0);
    e = eol_lookup("couchdb", "3.3.3"); /* the catalogue's slug for the service */
    CHECK(e && strcmp(e->product, "apache-couchdb") == 0);
    e = eol_lookup("Docker Engine", "24.0.7"); /* a product name with a space */
    CHECK(e && strcmp(e->product, "docker-engine") == 0 && strcmp(e->line, "24.0") == 0);
    CHECK(lifecycle_rows() > 600);
    e = eol_lookup("Kibana", "7.17.9");
    CHECK(e && strcmp(e->eol_date, "2026-01-15") == 0);
    e = eol_lookup("elasticsearch", "0.90.13"); /* older than every line: the oldest */
    CHECK(e && strcmp(e->line, "1") == 0);
    e = eol_lookup("MongoDB", "3.6.4");
    CHECK(e && strcmp(e->eol_date, "2021-04-30") == 0);
    e = eol_lookup("postgres", "9.6.24");
    CHECK(e && strcmp(e->line, "9.6") == 0);
    e = eol_lookup("postgresql", "15.4");
    CHECK(e && strcmp(e->line, "15") == 0);
    e = eol_lookup("mysql", "5.5.5-10.3.39-MariaDB");
    CHECK(e && strcmp(e->product, "mariadb") == 0 && strcmp(e->line, "10.3") == 0);
    e = eol_lookup("mysql", "5.7.44");
    CHECK(e && strcmp(e->line, "5.7") == 0);
    CHECK(eol_lookup("redis", "") == NULL);
    CHECK(eol_lookup("nosuch", "1.0") == NULL);
    CHECK(eol_lookup(NULL, "1.0") == NULL);
    CHECK(eol_lookup("MongoDB", "99.0") == NULL);

    CHECK(no_auth_capability("Elasticsearch", "5.5.3"));
    CHECK(no_auth_capability("elasticsearch", "6.7.2"));
    CHECK(!no_auth_capability("elasticsearch", "6.8.0"));
    CHECK(no_auth_capability("elasticsearch", "7.0.1"));
    CHECK(!no_auth_capability("elasticsearch", "7.1.0"));
    CHECK(!no_auth_capability("elasticsearch", "8.15.0"));
    CHECK(no_auth_capability("Kibana", "5.5.3"));
    CHECK(!no_auth_capability("kibana", "7.17.9"));
    CHECK(!no_auth_capability("MongoDB", "2.6.10"));
    CHECK(!no_auth_capability("redis", "2.8.0"));
    CHECK(no_auth_capability("prometheus", "2.20.1"));
    CHECK(!no_auth_capability("prometheus", "2.42.0"));
    CHECK(!no_auth_capability("elasticsearch", ""));
    CHECK(!no_auth_capability(NULL, "1"));

    /* either name: the OR of the two, the same entry read once */
    const char *names[] = {"Elasticsearch", "elasticsearch", "Kibana", "MongoDB",
                           "prometheus",    "nosuch",        NULL};
    const char *vers[] = {"5.5.3", "6.8.0", "7.0.1", "7.10.2", "2.20.1", "v2.20.1", "", "x1", NULL};
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        for (size_t j = 0; j < ARRAY_LEN(names); j++)
            for (size_t k = 0; k < ARRAY_LEN(vers); k++)
                CHECK_MSG(no_auth_capability_either(names[i], names[j], vers[k]) ==
                              (no_auth_capability(names[i], vers[k]) ||
                               no_auth_capability(names[j], vers[k])),
                          "%s %s %s", names[i] ? names[i] : "NULL", names[j] ? names[j] : "NULL",
                          vers[k] ? vers[k] : "NULL");
    CHECK(no_auth_capability_either("nosuch", "Kibana", "5.5.3"));
    CHECK(!no_auth_capability_either("Kibana", "nosuch", "7.17.9"));

    /* the parts past 18 digits and the pre-release markers in any case */
    CHECK(version_cmp("1234567890123456789", "123456789012345678") == 0);
    CHECK(version_cmp("1234567890123456789.2", "123456789012345679.1") < 0);
    CHECK(version_cmp("8.0.0-RC1", "8.0.0") < 0);
    CHECK(version_cmp("8.0.0.Alpha", "8.0.0") < 0);
    CHECK(version_cmp("8.0.0_BETA2", "8.0.0") < 0);
    CHECK(version_cmp("8.0.0~SNAPSHOT", "8.0.0") < 0);
    CHECK(version_cmp("8.0.0-preview", "8.0.0") < 0);
    CHECK(version_cmp("8.0.0-Dev", "8.0.0") < 0);
    CHECK(version_cmp("8.0.0-M1", "8.0.0") < 0);
    CHECK(version_cmp("8.0.0-Milestone", "8.0.0") < 0);
    CHECK(version_cmp("8.0.0-m2", "8.0.0") == 0);
    CHECK(version_cmp("8.0.0-log", "8.0.0") == 0);
    CHECK(version_cmp("8.0.0-r", "8.0.0") == 0);
    CHECK(version_cmp("8.0.0-@rc", "8.0.0") == 0);
}

/* The lifecycle file as a user hands it (--lifecycle): hostile lines refused with their number,
 * every prefix of a good file parsed or refused without a crash, the table unchanged on error. */
static void test_lifecycle_file(void)
{
    static const char head[] =
        "product\tcycle\trelease_date\teol\tlatest\tlatest_date\tlts\tsource\tretrieved\n";
    static const struct {
        const char *rows, *why;
    } bad[] = {
        {"redis\t7.0\t\t2024-13-01\t\t\t\tsrc\tx\n", "eol"},
        {"Redis\t7.0\t\tfalse\t\t\t\tsrc\tx\n", "product"},
        {"redis\tseven\t\tfalse\t\t\t\tsrc\tx\n", "cycle"},
        {"redis\t7.0\t\tfalse\t\t\t\t\tx\n", "source"},
        {"redis\t7.0\t\tfalse\n", "columns"},
        {"redis\t7.0\t\tfalse\t\t\t\tsrc\tx\textra\n", "columns"},
        {"redis\t7.0\t2024\tfalse\t\t\t\tsrc\tx\n", "release_date"},
        {"redis\t7.0\t\tfalse\t\x01\t\t\tsrc\tx\n", "control"},
    };
    struct lifecycle *t = NULL;
    struct err e;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char text[512];
        str_fmt(text, sizeof text, "# a comment\n%sredis\t8.0\t\tfalse\t\t\t\ts\tx\n%s", head,
                bad[i].rows);
        CHECK_MSG(lifecycle_parse("t.tsv", text, strlen(text), &t, &e) < 0 && !t, "accepted %s",
                  bad[i].why);
        CHECK_MSG(strncmp(e.msg, "t.tsv:4: ", 9) == 0 && strstr(e.msg, bad[i].why), "%s: %s",
                  bad[i].why, e.msg);
    }
    CHECK(lifecycle_parse("t.tsv", "redis\t7.0\n", 9, &t, &e) < 0 && strstr(e.msg, "t.tsv:1:"));
    char good[512];
    int n = str_fmt(good, sizeof good,
                    "%sredis\t7.0\t2022-04-27\t2024-07-29\t7.0.15\t\t\ts\tx\r\n"
                    "mongodb\t3.0\t\ttrue\t\t\t\ts, unverified\tx",
                    head);
    for (int k = 0; k <= n; k++) { /* every prefix */
        t = NULL;
        if (lifecycle_parse("t.tsv", good, (size_t)k, &t, &e) == 0) lifecycle_free(t);
    }
    CHECK(lifecycle_parse("t.tsv", good, (size_t)n, &t, &e) == 0);
    lifecycle_free(t);
    /* a bad file leaves the table in force; a good one replaces it */
    size_t nrows = lifecycle_rows();
    CHECK(lifecycle_load_file("/nonexistent/lifecycle.tsv", &e) < 0 && lifecycle_rows() == nrows);
    CHECK(lifecycle_load_file("tests/unit/lifecycle-assess.tsv", &e) == 0 &&
          lifecycle_rows() < nrows);
    const struct eol_info *x = eol_lookup("mongodb", "3.0.4");
    CHECK(x && x->eol_date && !x->ended);
    lifecycle_reset();
    CHECK(lifecycle_rows() == nrows);
}

static void key_of(void (*fill)(struct finding *, int), int arg, char *out)
{
    struct finding f;
    finding_init(&f);
    fill(&f, arg);
    cluster_key(&f, out, 24);
    finding_free(&f);
}

static void fill_cert(struct finding *f, int which)
{
    base(f, "kibana", "Kibana", which ? "5.5.3" : "6.0.0", AUTH_NONE);
    cert(f, 0, 1, T2022); /* same fingerprint whatever the version */
}

static void fill_indices(struct finding *f, int which)
{
    base(f, "elasticsearch", "Elasticsearch", which == 2 ? "7.10.2" : "5.5.3", AUTH_NONE);
    char n[64];
    str_fmt(n, sizeof n, "person_info_%d", 2018 + which);
    name(f, n, 5);
    str_fmt(n, sizeof n, "logstash-2019.05.0%d", 1 + which);
    name(f, n, 5);
    name(f, which == 3 ? "x8k2jd0s-meow" : "a7f3k1q9-meow", 1);
}

static void fill_certname(struct finding *f, int which)
{
    base(f, "kibana", "Kibana", "6.7.0", AUTH_NONE);
    f->tls.present = true;
    static const char *const names[] = {"es-cn-0pp1f1y5g000abcd.kibana.example",
                                        "es-cn-4591kq7d0003xyzw.kibana.example",
                                        "es-cn-4591kq7d0003xyzw.other.example"};
    CHECK(tls_add_san(&f->tls, names[which]));
}

static void fill_empty(struct finding *f, int which)
{
    base(f, which ? "redis" : "unknown", which ? "Redis" : "", "", AUTH_NONE);
}

static void test_clusters(void)
{
    char a[24], b[24];
    key_of(fill_cert, 0, a);
    key_of(fill_cert, 1, b);
    CHECK_INT(strlen(a), 12);
    CHECK_STR(a, b); /* same certificate, same cluster */
    key_of(fill_indices, 0, a);
    key_of(fill_indices, 1, b);
    CHECK_STR(a, b); /* dates and generated ids normalised */
    key_of(fill_indices, 3, b);
    CHECK_STR(a, b);
    key_of(fill_indices, 2, b);
    CHECK(strcmp(a, b) != 0); /* another version */
    key_of(fill_certname, 0, a);
    key_of(fill_certname, 1, b);
    CHECK_STR(a, b); /* es-cn-*.kibana.example */
    key_of(fill_certname, 2, b);
    CHECK(strcmp(a, b) != 0);
    key_of(fill_empty, 0, a);
    CHECK_STR(a, "");
    key_of(fill_empty, 1, a);
    CHECK_STR(a, ""); /* Redis with no version, names or certificate: nothing to group on */
    struct finding f;
    finding_init(&f);
    char small[4] = "xyz";
    cluster_key(&f, small, sizeof small);
    CHECK_STR(small, "");
    finding_free(&f);
}

int main(void)
{
    test_ransom_table();
    test_honeypots();
    t_load_signatures();
    /* the signal rows run against a fixed lifecycle table, the lookups against the shipped one */
    struct err e;
    CHECK_MSG(lifecycle_load_file("tests/unit/lifecycle-assess.tsv", &e) == 0, "%s", e.msg);
    test_rows();
    test_details();
    lifecycle_reset();
    test_versions();
    test_lifecycle_file();
    test_clusters();
    return T_END();
}
