/*
 * tests/unit/test_web_pages.c -- the dashboard's pages, called as the server
 * calls them, over a temporary SQLite store made through the store API:
 * two scans of one scope (a changed version, a closed service, a new one,
 * a cluster sharing a certificate, a store reached through Kibana, a
 * hostile record full of markup), a third scope of 120 findings for the
 * pagination, and an unfinished scan that grows while the view is cached.
 *
 * Checks: every page answers, filters filter, sort sorts, pages page, the
 * detail shows history, certificate, signals, via and cluster, the diff
 * shows new/closed/changed, everything from the store is escaped, unknown
 * ids are 404 and malformed arguments 400.
 */
#include "t.h"
#include "store/db.h"

#include "assess/assess.h"
#include "core/finding.h"
#include "core/util.h"
#include "store/store.h"
#include "web/web.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

static char tmpdir[64], where[128];
static struct web_ctx ctx;
static struct db *dbh;

/* ---- requests ---- */

struct args {
    const char *k[16], *v[16];
    int n;
};

static const char *get_arg(const struct web_req *r, const char *name)
{
    const struct args *a = r->impl;
    for (int i = 0; a && i < a->n; i++)
        if (!strcmp(a->k[i], name)) return a->v[i];
    return NULL;
}

static struct web_resp resp;

/* Call page fn with "k=v" pairs (NULL-terminated); returns the status (200 for 0). */
static const struct web_scope *call_scope; /* a viewer's scope for call(), NULL: none */

static int call(web_page_fn fn, ...)
{
    struct args a = {.n = 0};
    va_list ap;
    va_start(ap, fn);
    for (const char *kv; (kv = va_arg(ap, const char *)) && a.n < 16;) {
        static char keep[16][256];
        str_copy(keep[a.n], kv, sizeof keep[0]);
        char *eq = strchr(keep[a.n], '=');
        if (!eq) continue;
        *eq = 0;
        a.k[a.n] = keep[a.n];
        a.v[a.n] = eq + 1;
        a.n++;
    }
    va_end(ap);
    struct web_req r = {.method = "GET",
                        .path = "/",
                        .user = "alice",
                        .csrf = "tok\"en<",
                        .db = dbh,
                        .scope = call_scope,
                        .ctx = &ctx,
                        .get_arg = get_arg,
                        .impl = &a};
    buf_free(&resp.body);
    memset(&resp, 0, sizeof resp);
    buf_init(&resp.body, WEB_BODY_CAP);
    struct err e = {{0}};
    int rc = fn(&r, &resp, &e);
    CHECK_MSG(rc == 0, "page failed: %s", e.msg);
    CHECK_MSG(!resp.body.truncated, "page truncated");
    return rc < 0 ? 500 : resp.status ? resp.status : 200;
}

static const char *body(void)
{
    return resp.body.data ? (const char *)resp.body.data : "";
}

static bool has(const char *s)
{
    return strstr(body(), s) != NULL;
}

static size_t count(const char *s)
{
    size_t n = 0;
    for (const char *p = body(); (p = strstr(p, s)); p++)
        n++;
    return n;
}

/* Position of s in the body (-1 absent), to check orders. */
static long pos(const char *s)
{
    const char *p = strstr(body(), s);
    return p ? p - body() : -1;
}

/* ---- the store ---- */

#define T0 1700000000

static void base(struct finding *f, const char *ip, uint16_t port, const char *service,
                 const char *product, const char *version, time_t t)
{
    finding_init(f);
    str_copy(f->ip, ip, sizeof f->ip);
    f->port = port;
    f->time = t;
    str_copy(f->transport, "tcp", sizeof f->transport);
    str_copy(f->service, service, sizeof f->service);
    str_copy(f->product, product, sizeof f->product);
    str_copy(f->version, version, sizeof f->version);
}

static void cert(struct finding *f, const char *sha_char, const char *cn, time_t t)
{
    f->tls.present = true;
    str_copy(f->tls.version, "TLSv1.3", sizeof f->tls.version);
    str_copy(f->tls.cipher, "TLS_AES_256_GCM_SHA384", sizeof f->tls.cipher);
    for (int i = 0; i < 64; i++)
        f->tls.sha256[i] = sha_char[0];
    f->tls.sha256[64] = 0;
    str_copy(f->tls.subject_cn, cn, sizeof f->tls.subject_cn);
    str_fmt(f->tls.subject, sizeof f->tls.subject, "CN=%s", cn);
    str_copy(f->tls.issuer_cn, "Lab CA", sizeof f->tls.issuer_cn);
    str_copy(f->tls.issuer, "CN=Lab CA", sizeof f->tls.issuer);
    tls_add_san(&f->tls, "es.example");
    f->tls.not_before = t - 86400 * 800;
    f->tls.not_after = t - 86400 * 30;
    f->tls.expired = true;
    str_copy(f->tls.key_type, "rsa", sizeof f->tls.key_type);
    f->tls.key_bits = 2048;
    str_copy(f->tls.sig_alg, "sha256WithRSAEncryption", sizeof f->tls.sig_alg);
    f->tls.name_match = -1;
    f->tls.chain_len = 1;
}

static void put(struct store *s, int64_t scan, struct finding *f, int cert_hosts)
{
    struct assess_ctx ac = {.now = f->time, .cert_hosts = cert_hosts};
    struct err e = {{0}};
    assess_finding(f, &ac);
    CHECK_MSG(store_put(s, scan, f, &e) == 0, "put: %s", e.msg);
    finding_free(f);
}

/* f was reached through the Kibana at its own address, port 5601. */
static void via_kibana(struct finding *f)
{
    f->has_via = true;
    str_copy(f->via_service, "kibana", sizeof f->via_service);
    str_copy(f->via_ip, f->ip, sizeof f->via_ip);
    f->via_port = 5601;
}

/* Begin a scan of scope `scope` at t (its args are the scope's name too). */
static int64_t begin_scan(struct store *s, const char *scope, time_t t)
{
    struct err e = {{0}};
    struct scan_meta m = {.args = scope, .scope_key = scope, .seed = 1, .nshards = 1, .start = t};
    int64_t id = 0;
    uint64_t p;
    CHECK_MSG(store_scan_begin(s, &m, &id, &p, &e) == 0, "%s", e.msg);
    return id;
}

static const char *hostile_product = "\"><img src=x onerror=alert(1)>";

/* One scan of scope "lab" at time t; second: the later scan (changes, a close, a new one). */
static int64_t lab_scan(struct store *s, time_t t, bool second)
{
    struct err e = {{0}};
    struct scan_meta m = {
        .args = "ajar scan <lab>", .scope_key = "lab", .seed = 1, .nshards = 1, .start = t};
    int64_t id;
    uint64_t p;
    CHECK_MSG(store_scan_begin(s, &m, &id, &p, &e) == 0, "%s", e.msg);
    struct finding f;
    /* A and B: Elasticsearch sharing one certificate: a cluster */
    base(&f, "10.0.0.1", 9200, "elasticsearch", "Elasticsearch", second ? "5.6.0" : "5.5.1", t);
    f.auth = AUTH_NONE;
    f.records = second ? 2500000 : 2000000;
    f.bytes = 1LL << 33;
    finding_add_name(&f, "person_info_2019", 16, f.records, f.bytes);
    finding_add_name(&f, "case_records", 12, 10, 4096);
    finding_add_field(&f, "sfzh", 4);
    cert(&f, "a", "es.example", t);
    finding_detail_str(&f, "cluster_uuid", "Sh37425fecc36e1d905b306"); /* two nodes of one */
    put(s, id, &f, 2);
    base(&f, "10.0.0.2", 9200, "elasticsearch", "Elasticsearch", second ? "5.6.0" : "5.5.1", t);
    f.auth = AUTH_NONE;
    f.records = 1500;
    finding_add_name(&f, "person_info_2020", 16, 1500, -1);
    cert(&f, "a", "es.example", t);
    finding_detail_str(&f, "cluster_uuid", "Sh37425fecc36e1d905b306");
    put(s, id, &f, 2);
    /* C: a Redis behind a password */
    base(&f, "10.0.0.3", 6379, "redis", "Redis", "7.2.4", t);
    f.auth = AUTH_REQUIRED;
    put(s, id, &f, 0);
    /* D: an open Kibana and E: the Elasticsearch behind it */
    base(&f, "10.0.0.4", 5601, "kibana", "Kibana", "5.5.1", t);
    f.auth = AUTH_NONE;
    finding_detail_str(&f, "proxies_to", "http://127.0.0.1:9200");
    put(s, id, &f, 0);
    base(&f, "10.0.0.4", 5601, "elasticsearch", "Elasticsearch", "5.5.1", t);
    f.auth = AUTH_NONE;
    f.records = 42;
    via_kibana(&f);
    finding_add_name(&f, "orders", 6, 42, 1000);
    put(s, id, &f, 0);
    /* H: hostile strings everywhere */
    base(&f, "10.0.0.5", 8080, "couchdb", hostile_product, "1.0'<", t);
    f.auth = AUTH_NONE;
    str_copy(f.banner, "<script>alert('banner')</script>", sizeof f.banner);
    finding_add_name(&f, "<script>alert(1)</script>", 25, 5, 5);
    finding_add_name(&f, "javascript:alert(2)", 19, 5, 5);
    finding_detail_str(&f, "x\"><b>", "<i>detail</i>");
    cert(&f, "b", "<script>cn</script>", t);
    put(s, id, &f, 1);
    if (!second) {
        /* X: closed by the second scan */
        base(&f, "10.0.0.9", 27017, "mongodb", "MongoDB", "3.6.8", t);
        f.auth = AUTH_NONE;
        f.records = 77;
        finding_add_name(&f, "users", 5, 77, 1000);
        put(s, id, &f, 0);
    } else {
        /* F: new */
        base(&f, "10.0.0.10", 11211, "memcached", "Memcached", "1.6.21", t);
        f.auth = AUTH_NONE;
        /* six names, with a quote and a backslash: the table shows four and "+2" */
        finding_add_name(&f, "q\"uote", 6, -1, -1);
        finding_add_name(&f, "back\\slash", 10, -1, -1);
        finding_add_name(&f, "n3", 2, -1, -1);
        finding_add_name(&f, "n4", 2, -1, -1);
        finding_add_name(&f, "n5", 2, -1, -1);
        finding_add_name(&f, "n6", 2, -1, -1);
        put(s, id, &f, 0);
    }
    CHECK_MSG(store_scan_end(s, id, &e) == 0, "%s", e.msg);
    return id;
}

static int64_t obs_of(const char *ip, int port, const char *service, int64_t scan)
{
    struct db_stmt *st = NULL;
    struct err e = {{0}};
    int64_t id = 0;
    if (db_prepare(dbh,
                   "SELECT o.id FROM observations o JOIN services v ON v.id = o.service"
                   " WHERE v.address = $1 AND v.port = $2 AND v.service = $3 AND o.scan = $4",
                   &st, &e) < 0)
        return 0;
    db_bind_text(st, 1, ip);
    db_bind_int(st, 2, port);
    db_bind_text(st, 3, service);
    db_bind_int(st, 4, scan);
    if (db_step(st, &e) == 1) id = db_col_int(st, 0);
    db_finalize(st);
    return id;
}

static char *cluster_of(int64_t obs)
{
    static char c[32];
    struct db_stmt *st = NULL;
    struct err e = {{0}};
    c[0] = 0;
    if (db_prepare(dbh, "SELECT cluster FROM observations WHERE id = $1", &st, &e) < 0) return c;
    db_bind_int(st, 1, obs);
    if (db_step(st, &e) == 1 && db_col_text(st, 0)) str_copy(c, db_col_text(st, 0), sizeof c);
    db_finalize(st);
    return c;
}

/* ---- the checks ---- */

/* Things every page must be: framed, escaped, without script or inline style. */
static void common(const char *what)
{
    CHECK_MSG(has("<!doctype html>") && has("</html>"), "%s: framed", what);
    CHECK_MSG(!has("<script"), "%s: no script element", what);
    CHECK_MSG(!has(" style="), "%s: no inline style", what);
    CHECK_MSG(!has("onerror=alert(1)>") || has("&quot;&gt;&lt;img"), "%s: markup escaped", what);
    CHECK_MSG(!has("<img src=x"), "%s: no injected element", what);
    CHECK_MSG(!has("href=\"javascript"), "%s: no javascript: link", what);
    CHECK_MSG(count("<table") == count("</table>"), "%s: tables closed", what);
    CHECK_MSG(count("<svg") == count("</svg>"), "%s: svgs closed", what);
    CHECK_MSG(has("name=\"csrf\" value=\"tok&quot;en&lt;\""), "%s: logout form with csrf", what);
}

static void test_pages(int64_t s1, int64_t s2, int64_t big)
{
    char a[64], b2[64];
    /* overview: the newest finished scan is the big one (another scope); ask for the lab's */
    str_fmt(a, sizeof a, "scan=%lld", (long long)s2);
    CHECK_INT(call(page_overview, a, NULL), 200);
    common("overview");
    CHECK(has("Overview"));
    CHECK(has("<svg"));
    CHECK(has("new since the last scan"));
    CHECK(has("personal-data exposures"));
    CHECK(has("Across scans of these targets"));
    CHECK(has("<polyline")); /* the trend of two scans */
    CHECK(has("By owner"));
    CHECK(has("Team &lt;A&gt;"));
    CHECK(has("/diff?old="));
    /* A and B are two nodes of one cluster: its data counts once */
    CHECK(has("(each data store once: 1 finding reaches one counted at another)"));
    /* the default scan: the newest finished one */
    CHECK_INT(call(page_overview, NULL), 200);
    str_fmt(a, sizeof a, "Scan <a href=\"/scans\">%lld</a>", (long long)big);
    CHECK(has(a));

    /* findings: everything of scan 2 */
    str_fmt(a, sizeof a, "scan=%lld", (long long)s2);
    CHECK_INT(call(page_findings, a, NULL), 200);
    common("findings");
    CHECK(has("10.0.0.1:9200"));
    CHECK(has("10.0.0.10:11211"));
    CHECK(!has("10.0.0.9:27017"));
    CHECK(has("<b class=\"count\">7</b>"));
    CHECK(has("person_info_2019"));
    CHECK(has("&lt;script&gt;alert(1)&lt;/script&gt;"));
    CHECK(has("via</span>"));                            /* the store behind Kibana is tagged */
    CHECK(has("q&quot;uote, back\\slash, n3, n4 (+2)")); /* names read without a parse */
    /* critical first: the default order */
    CHECK(pos("10.0.0.1:9200") < pos("10.0.0.3:6379"));

    CHECK_INT(call(page_findings, a, "severity=critical", NULL), 200);
    CHECK(has("10.0.0.1:9200"));
    CHECK(!has("10.0.0.3:6379"));
    CHECK(!has("10.0.0.10:11211"));
    CHECK_INT(call(page_findings, a, "min=high", NULL), 200);
    CHECK(has("10.0.0.1:9200"));
    CHECK(!has("10.0.0.3:6379"));
    CHECK_INT(call(page_findings, a, "severity=info,low", NULL), 200);
    CHECK(has("10.0.0.3:6379"));
    CHECK(!has("10.0.0.1:9200"));
    CHECK_INT(call(page_findings, a, "service=redis", NULL), 200);
    CHECK(has("<b class=\"count\">1</b>"));
    CHECK(has("10.0.0.3:6379"));
    CHECK_INT(call(page_findings, a, "service=nosuch", NULL), 200);
    CHECK(has("<b class=\"count\">0</b>"));
    CHECK(has("No finding matches."));
    CHECK_INT(call(page_findings, a, "signal=personal-data-schema", NULL), 200);
    CHECK(has("10.0.0.1:9200"));
    CHECK(!has("10.0.0.3:6379"));
    CHECK_INT(call(page_findings, a, "signal=dashboard-exposes-store", NULL), 200);
    CHECK(has("10.0.0.4:5601"));
    CHECK(!has("10.0.0.1:9200"));
    CHECK_INT(call(page_findings, a, "q=PERSON_info", NULL), 200);
    CHECK(has("<b class=\"count\">2</b>"));
    CHECK(has("10.0.0.2:9200"));
    CHECK_INT(call(page_findings, a, "q=10.0.0.3", NULL), 200);
    CHECK(has("<b class=\"count\">1</b>"));
    CHECK_INT(call(page_findings, a, "q=memcached", NULL), 200);
    CHECK(has("10.0.0.10:11211"));
    CHECK(has("<b class=\"count\">1</b>"));
    CHECK_INT(call(page_findings, a, "owner=Ops", NULL), 200);
    CHECK(has("10.0.0.10:11211"));
    CHECK(has("<b class=\"count\">1</b>"));
    CHECK_INT(call(page_findings, a, "new=1", NULL), 200);
    CHECK(has("10.0.0.10:11211"));
    CHECK(has("<b class=\"count\">1</b>"));
    CHECK_INT(call(page_findings, a, "auth=required", NULL), 200);
    CHECK(has("<b class=\"count\">1</b>"));
    CHECK_INT(call(page_findings, a, "via=1", NULL), 200);
    CHECK(has("<b class=\"count\">1</b>"));
    int64_t oa = obs_of("10.0.0.1", 9200, "elasticsearch", s2);
    const char *cl = cluster_of(oa);
    CHECK(cl[0] != 0);
    str_fmt(b2, sizeof b2, "cluster=%s", cl);
    CHECK_INT(call(page_findings, a, b2, NULL), 200);
    CHECK(has("<b class=\"count\">2</b>"));
    CHECK(has("10.0.0.1:9200") && has("10.0.0.2:9200"));
    CHECK_INT(call(page_findings, a,
                   "cert="
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                   NULL),
              200);
    CHECK(has("<b class=\"count\">2</b>"));
    /* sorting */
    CHECK_INT(call(page_findings, a, "sort=address", NULL), 200);
    CHECK(pos("10.0.0.2:9200") < pos("10.0.0.3:6379"));
    CHECK(pos("10.0.0.5:8080") < pos("10.0.0.10:11211")); /* numeric, not text */
    CHECK_INT(call(page_findings, a, "sort=-address", NULL), 200);
    CHECK(pos("10.0.0.10:11211") < pos("10.0.0.2:9200"));
    CHECK_INT(call(page_findings, a, "sort=records", NULL), 200);
    CHECK(pos("10.0.0.1:9200") < pos("10.0.0.2:9200"));
    CHECK(pos("10.0.0.2:9200") < pos("10.0.0.4:5601"));
    CHECK_INT(call(page_findings, a, "sort=service", NULL), 200);
    CHECK(pos("10.0.0.5:8080") < pos("10.0.0.3:6379")); /* couchdb before redis */
    /* several filters at once */
    CHECK_INT(call(page_findings, a, "service=elasticsearch", "q=person", "min=critical", NULL),
              200);
    CHECK(has("<b class=\"count\">2</b>"));

    /* pagination over the 120 of the big scope */
    str_fmt(a, sizeof a, "scan=%lld", (long long)big);
    CHECK_INT(call(page_findings, a, "sort=address", NULL), 200);
    CHECK(has("<b class=\"count\">120</b>"));
    CHECK(has("showing 1–50"));
    CHECK(has("10.9.0.1:6379"));
    CHECK(!has("10.9.0.51:6379"));
    CHECK(has("page=2"));
    CHECK_INT(call(page_findings, a, "sort=address", "page=2", NULL), 200);
    CHECK(has("showing 51–100"));
    CHECK(has("10.9.0.51:6379"));
    CHECK(!has("10.9.0.50:6379\""));
    CHECK_INT(call(page_findings, a, "sort=address", "page=3", NULL), 200);
    CHECK(has("showing 101–120"));
    CHECK(has("10.9.0.120:6379"));
    CHECK_INT(call(page_findings, a, "sort=address", "page=99", NULL), 200);
    CHECK(has("showing 101–120")); /* past the end: the last page */
    CHECK_INT(call(page_findings, a, "sort=-address", "page=3", NULL), 200);
    CHECK(has("10.9.0.1:6379"));

    /* the detail of A: history, certificate, signals, cluster */
    str_fmt(a, sizeof a, "id=%lld", (long long)oa);
    CHECK_INT(call(page_finding, a, NULL), 200);
    common("finding");
    CHECK(has("10.0.0.1:9200"));
    CHECK(has("first seen"));
    CHECK(has("5.5.1 → 5.6.0"));
    CHECK(has("2,000,000 → 2,500,000"));
    CHECK(has("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    CHECK(has("es.example"));
    CHECK(has("expired"));
    CHECK(has("no-auth"));
    CHECK(has("personal-data-schema"));
    CHECK(has("cert-shared") || has("cert-expired"));
    CHECK(has("/cluster?id="));
    CHECK(has(cl));
    CHECK(has("Served by"));
    CHECK(has("national ID")); /* sfzh classified */
    /* E: reached through Kibana, linked to the console's page */
    int64_t oe = obs_of("10.0.0.4", 5601, "elasticsearch", s2);
    int64_t od = obs_of("10.0.0.4", 5601, "kibana", s2);
    str_fmt(a, sizeof a, "id=%lld", (long long)oe);
    CHECK_INT(call(page_finding, a, NULL), 200);
    CHECK(has("through a console"));
    str_fmt(b2, sizeof b2, "<a href=\"/finding?id=%lld\">kibana", (long long)od);
    CHECK(has(b2));
    /* the same page by scan, address, port and service: the link an alert carries */
    str_fmt(a, sizeof a, "scan=%lld", (long long)s2);
    CHECK_INT(call(page_finding, a, "ip=10.0.0.4", "port=5601", "service=elasticsearch", NULL),
              200);
    CHECK(has("through a console"));
    CHECK(has(b2));
    CHECK_INT(call(page_finding, a, "ip=10.0.0.4", "port=5601", "service=kibana", NULL), 200);
    CHECK(has("reached through this console"));
    CHECK_INT(call(page_finding, a, "ip=10.0.0.4", "port=5602", "service=kibana", NULL), 404);
    CHECK_INT(call(page_finding, a, "ip=10.0.0.4", "port=99999", NULL), 400);
    CHECK_INT(call(page_finding, a, "ip=10.0.0.4", NULL), 400);
    CHECK_INT(call(page_finding, "scan=x", "ip=10.0.0.4", "port=5601", NULL), 400);
    /* D: the console shows the store reached through it */
    str_fmt(a, sizeof a, "id=%lld", (long long)od);
    CHECK_INT(call(page_finding, a, NULL), 200);
    CHECK(has("reached through this console"));
    CHECK(has("proxies_to"));
    /* X: closed */
    int64_t ox = obs_of("10.0.0.9", 27017, "mongodb", s1);
    str_fmt(a, sizeof a, "id=%lld", (long long)ox);
    CHECK_INT(call(page_finding, a, NULL), 200);
    CHECK(has("closed"));
    CHECK(has("not seen by the scan"));
    /* H: the hostile record */
    int64_t oh = obs_of("10.0.0.5", 8080, "couchdb", s2);
    str_fmt(a, sizeof a, "id=%lld", (long long)oh);
    CHECK_INT(call(page_finding, a, NULL), 200);
    common("hostile finding");
    CHECK(has("&lt;script&gt;alert(&#39;banner&#39;)&lt;/script&gt;"));
    CHECK(has("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    CHECK(has("javascript:alert(2)"));
    CHECK(!has("<script>"));
    CHECK(has("CN=&lt;script&gt;cn&lt;/script&gt;"));
    CHECK(has("x&quot;&gt;&lt;b&gt;"));
    CHECK(has("&lt;i&gt;detail&lt;/i&gt;"));
    CHECK(!has("<i>detail"));
    CHECK(has("1.0&#39;&lt;"));

    /* clusters */
    str_fmt(a, sizeof a, "scan=%lld", (long long)s2);
    CHECK_INT(call(page_clusters, a, NULL), 200);
    common("clusters");
    CHECK(has(cl));
    CHECK(
        has("<b>2</b> <span class=\"dim\">(1 data store)</span>")); /* A and B: one cluster_uuid */
    str_fmt(b2, sizeof b2, "id=%s", cl);
    CHECK_INT(call(page_cluster, b2, a, NULL), 200);
    common("cluster");
    CHECK(has("10.0.0.1:9200") && has("10.0.0.2:9200"));
    CHECK(!has("10.0.0.3:6379"));
    CHECK(has("members in this scan"));
    CHECK(has("<b>1</b><span>data stores they reach</span>"));

    /* scans */
    CHECK_INT(call(page_scans, NULL), 200);
    common("scans");
    str_fmt(a, sizeof a, "/diff?new=%lld", (long long)s2);
    CHECK(has(a));
    CHECK(has("ajar scan &lt;lab&gt;"));

    /* diff: the default is the newest finished scan and its predecessor (the big scope has
     * none); ask for the lab's two */
    str_fmt(a, sizeof a, "new=%lld", (long long)s2);
    CHECK_INT(call(page_diff, a, NULL), 200);
    common("diff");
    CHECK(has("New exposures (1)"));
    CHECK(has("Closed (not seen by the new scan) (1)"));
    CHECK(has("10.0.0.10:11211"));
    CHECK(has("10.0.0.9:27017"));
    CHECK(has("5.5.1 → Elasticsearch 5.6.0") || has("Elasticsearch 5.5.1 → Elasticsearch 5.6.0"));
    CHECK(has("Changed (2)"));
    str_fmt(a, sizeof a, "old=%lld", (long long)s1);
    str_fmt(b2, sizeof b2, "new=%lld", (long long)s2);
    CHECK_INT(call(page_diff, a, b2, NULL), 200);
    CHECK(has("New exposures (1)"));
    CHECK_INT(call(page_diff, NULL), 404); /* the big scope has one scan */

    /* errors */
    CHECK_INT(call(page_finding, "id=999999", NULL), 404);
    CHECK_INT(call(page_finding, "id=abc", NULL), 400);
    CHECK_INT(call(page_finding, "id=-1", NULL), 400);
    CHECK_INT(call(page_finding, NULL), 400);
    CHECK_INT(call(page_cluster, "id=ffffffffffff", NULL), 404);
    CHECK_INT(call(page_cluster, "id=<x>", NULL), 400);
    CHECK(!has("<x>"));
    CHECK_INT(call(page_findings, "severity=bogus", NULL), 400);
    CHECK_INT(call(page_findings, "min=x", NULL), 400);
    CHECK_INT(call(page_findings, "page=0", NULL), 400);
    CHECK_INT(call(page_findings, "page=-3", NULL), 400);
    CHECK_INT(call(page_findings, "sort=nope", NULL), 400);
    CHECK_INT(call(page_findings, "auth=maybe", NULL), 400);
    CHECK_INT(call(page_findings, "scan=999", NULL), 404);
    CHECK_INT(call(page_findings, "scan=x1", NULL), 400);
    CHECK_INT(call(page_overview, "scan=999", NULL), 404);
    CHECK_INT(call(page_diff, "old=x", NULL), 400);
    CHECK_INT(call(page_diff, "old=1", "new=999", NULL), 404);
    CHECK_INT(call(page_scans, "page=zz", NULL), 400);
    CHECK_INT(call(page_not_found, NULL), 404);
    common("404");
    char longq[400];
    memset(longq, 'x', sizeof longq - 1);
    longq[0] = 'q', longq[1] = '=';
    longq[sizeof longq - 1] = 0;
    CHECK_INT(call(page_findings, longq, NULL), 400);
}

/* A scan that is still running: the cached view follows it. */
/* The attribution of a record (issue 21): provider, AS, country. */
static void attr(struct finding *f, const char *cloud, uint32_t asn, const char *org,
                 const char *cc)
{
    str_copy(f->attr.cloud, cloud, sizeof f->attr.cloud);
    f->attr.asn = asn;
    str_copy(f->attr.org, org, sizeof f->attr.org);
    str_copy(f->attr.country, cc, sizeof f->attr.country);
}

/* A scope of attributed findings: 3 on Alibaba Cloud (AS37963, CN), 1 on AWS (AS16509, US), 1
 * without any, 1 whose provider is markup (not a provider id: counted as unknown). */
static int64_t attr_scan(struct store *s, time_t t)
{
    struct err e = {{0}};
    int64_t id = begin_scan(s, "attr", t);
    struct finding f;
    for (int i = 1; i <= 3; i++) {
        char ip[32];
        str_fmt(ip, sizeof ip, "10.7.0.%d", i);
        base(&f, ip, 6379, "redis", "Redis", "7.0.15", t);
        f.auth = i == 3 ? AUTH_REQUIRED : AUTH_NONE;
        attr(&f, "alibaba-cloud", 37963, "Hangzhou Alibaba Advertising Co.,Ltd.", "CN");
        cert(&f, "q", "redis.example", t); /* one deployment three times: a cluster */
        put(s, id, &f, 3);
    }
    base(&f, "10.7.0.4", 6379, "redis", "Redis", "7.0.15", t);
    f.auth = AUTH_NONE;
    attr(&f, "aws", 16509, "<b>Amazon</b>", "US");
    cert(&f, "r", "cache.example", t); /* and one on two networks, one of them unknown */
    put(s, id, &f, 2);
    base(&f, "10.7.0.5", 6379, "redis", "Redis", "7.0.15", t);
    f.auth = AUTH_NONE;
    cert(&f, "r", "cache.example", t);
    put(s, id, &f, 2);
    base(&f, "10.7.0.6", 6379, "redis", "Redis", "7.0.15", t);
    f.auth = AUTH_NONE;
    attr(&f, "<script>x</script>", 0, "", "");
    put(s, id, &f, 0);
    CHECK_MSG(store_scan_end(s, id, &e) == 0, "%s", e.msg);
    return id;
}

/* A certificate's host count on a finding's page is the viewer's: the hosts in its scope. */
static void test_scoped_cert_hosts(int64_t scan)
{
    char q[48];
    int64_t o4 = obs_of("10.7.0.4", 6379, "redis", scan),
            o1 = obs_of("10.7.0.1", 6379, "redis", scan);
    str_fmt(q, sizeof q, "id=%lld", (long long)o4);
    CHECK_INT(call(page_finding, q, NULL), 200);
    CHECK(has(">2 hosts</a>")); /* cert r: 10.7.0.4 (aws) and 10.7.0.5 (no provider) */
    struct web_scope sc;
    struct err e = {{0}};
    memset(&sc, 0, sizeof sc);
    CHECK_MSG(web_scope_add(&sc, "provider", "aws", &e) == 0, "%s", e.msg);
    call_scope = &sc;
    CHECK_INT(call(page_finding, q, NULL), 200);
    CHECK(has(">1 host</a>") && !has(">2 hosts</a>"));
    memset(&sc, 0, sizeof sc);
    CHECK_MSG(web_scope_add(&sc, "provider", "alibaba-cloud", &e) == 0, "%s", e.msg);
    str_fmt(q, sizeof q, "id=%lld", (long long)o1);
    CHECK_INT(call(page_finding, q, NULL), 200);
    CHECK(has(">3 hosts</a>")); /* cert q: 10.7.0.1-3, all alibaba-cloud */
    call_scope = NULL;
}

static void test_attr_pages(int64_t scan)
{
    char a[48];
    str_fmt(a, sizeof a, "scan=%lld", (long long)scan);
    test_scoped_cert_hosts(scan);
    /* the overview groups by provider: by findings, then the ones without */
    CHECK_INT(call(page_overview, a, NULL), 200);
    common("overview, attribution");
    CHECK(has("<h2>By cloud provider</h2>"));
    CHECK(has("&amp;provider=alibaba-cloud\">Alibaba Cloud</a></td><td class=\"n\">3</td>"
              "<td class=\"n\">2</td>"));
    CHECK(has("&amp;provider=aws\">AWS</a></td><td class=\"n\">1</td>"));
    CHECK(has("<tr><td>unknown</td><td class=\"n\">2</td>"));
    CHECK(pos("Alibaba Cloud</a>") < pos("AWS</a>") && pos("AWS</a>") < pos("<td>unknown</td>"));
    CHECK(!has("<script>x"));
    /* ... and by AS and by country, each linked to its findings */
    CHECK(has("<h2>By network (AS)</h2>"));
    CHECK(has("&amp;asn=AS37963\">AS37963</a></td><td class=\"n\">3</td>"));
    CHECK(has("&amp;asn=AS16509\">AS16509</a></td><td class=\"n\">1</td>"));
    CHECK(has("<h2>By country</h2>"));
    CHECK(has("&amp;country=CN\">CN</a></td><td class=\"n\">3</td><td class=\"n\">2</td>"));
    CHECK(has("&amp;country=US\">US</a></td><td class=\"n\">1</td>"));
    CHECK(pos("By cloud provider") < pos("By network (AS)") &&
          pos("By network (AS)") < pos("By country"));
    /* the lab's scans have no attribution: no such panel */
    CHECK_INT(call(page_overview, NULL), 200);
    CHECK(!has("By cloud provider"));
    CHECK(!has("By network (AS)") && !has("By country"));

    /* the clusters page says how each deployment is spread */
    CHECK_INT(call(page_clusters, a, NULL), 200);
    common("clusters, attribution");
    CHECK(has("<b>3</b><br><span class=\"dim\">all Alibaba Cloud, AS37963</span>"));
    CHECK(has("<b>2</b><br><span class=\"dim\">several networks (1 of 2 known)</span>"));
    CHECK(!has("<b>Amazon"));

    /* the findings page filters by provider, AS and country */
    CHECK_INT(call(page_findings, a, NULL), 200);
    CHECK(has("<b class=\"count\">6</b>"));
    CHECK(has("<select id=\"provider\" name=\"provider\">"));
    CHECK(has("<option value=\"alibaba-cloud\">Alibaba Cloud</option>"));
    CHECK(has("<option value=\"CN\">CN</option>"));
    CHECK(!has("<script>x"));
    CHECK_INT(call(page_findings, a, "provider=alibaba-cloud", NULL), 200);
    CHECK(has("<b class=\"count\">3</b>"));
    CHECK(has("10.7.0.1:6379") && !has("10.7.0.4:6379") && !has("10.7.0.5:6379"));
    CHECK(has("<option value=\"alibaba-cloud\" selected>"));
    CHECK_INT(call(page_findings, a, "provider=aws", "auth=none", NULL), 200);
    CHECK(has("<b class=\"count\">1</b>") && has("10.7.0.4:6379"));
    CHECK_INT(call(page_findings, a, "provider=alibaba-cloud", "auth=none", NULL), 200);
    CHECK(has("<b class=\"count\">2</b>"));
    CHECK_INT(call(page_findings, a, "asn=16509", NULL), 200);
    CHECK(has("<b class=\"count\">1</b>") && has("10.7.0.4:6379"));
    CHECK(has("value=\"AS16509\""));
    CHECK_INT(call(page_findings, a, "asn=as37963", NULL), 200);
    CHECK(has("<b class=\"count\">3</b>"));
    /* the links of the page carry the filter, normalised */
    CHECK(has("&amp;asn=AS37963"));
    CHECK_INT(call(page_findings, a, "country=cn", NULL), 200);
    CHECK(has("<b class=\"count\">3</b>") && has("<option value=\"CN\" selected>"));
    CHECK_INT(call(page_findings, a, "country=US", "asn=37963", NULL), 200);
    CHECK(has("<b class=\"count\">0</b>"));
    /* values the view has not seen match nothing */
    CHECK_INT(call(page_findings, a, "provider=azure", NULL), 200);
    CHECK(has("<b class=\"count\">0</b>"));
    CHECK_INT(call(page_findings, a, "country=DE", NULL), 200);
    CHECK(has("<b class=\"count\">0</b>"));
    CHECK_INT(call(page_findings, a, "asn=64512", NULL), 200);
    CHECK(has("<b class=\"count\">0</b>"));
    /* malformed: 400, and the value is not echoed raw */
    CHECK_INT(call(page_findings, a, "provider=<script>x</script>", NULL), 400);
    CHECK(!has("<script>x"));
    CHECK_INT(call(page_findings, a, "provider=AWS", NULL), 400);
    CHECK_INT(call(page_findings, a, "asn=0", NULL), 400);
    CHECK_INT(call(page_findings, a, "asn=4294967296", NULL), 400);
    CHECK_INT(call(page_findings, a, "asn=AS12x", NULL), 400);
    CHECK_INT(call(page_findings, a, "country=CHN", NULL), 400);
    CHECK_INT(call(page_findings, a, "country=c1", NULL), 400);
    /* a filter on a scan without attribution: nothing matches */
    CHECK_INT(call(page_findings, "provider=aws", NULL), 200);
    CHECK(has("<b class=\"count\">0</b>"));
}

static void test_unfinished(struct store *s)
{
    struct err e = {{0}};
    int64_t id = begin_scan(s, "live", T0 + 900000);
    struct finding f;
    base(&f, "10.7.0.1", 6379, "redis", "Redis", "7.0.0", T0 + 900000);
    f.auth = AUTH_NONE;
    put(s, id, &f, 0);
    CHECK(store_flush(s, &e) == 0);
    char a[64];
    str_fmt(a, sizeof a, "scan=%lld", (long long)id);
    CHECK_INT(call(page_findings, a, NULL), 200);
    CHECK(has("<b class=\"count\">1</b>"));
    CHECK(has("running"));
    base(&f, "10.7.0.2", 6379, "redis", "Redis", "7.0.0", T0 + 900001);
    f.auth = AUTH_NONE;
    put(s, id, &f, 0);
    CHECK(store_flush(s, &e) == 0);
    usleep(2100 * 1000); /* the view is checked at most every 2 s */
    CHECK_INT(call(page_findings, a, NULL), 200);
    CHECK(has("<b class=\"count\">2</b>"));
    CHECK(has("10.7.0.2:6379"));
    CHECK_INT(call(page_scans, NULL), 200);
    CHECK(has("running"));
}

/* The "Looks like" chips are the record's marks (what the assessment concluded), never a second
 * classification: shown as stored, absent for a record an older ajar wrote without them. */
static void test_marks(struct store *s)
{
    struct err e = {{0}};
    int64_t id = begin_scan(s, "marks", T0 + 950000);
    struct finding f;
    /* M1: as assessed: a phone collection, a ransom note whose words look personal, a field */
    base(&f, "10.8.0.1", 27017, "mongodb", "MongoDB", "4.0.0", T0 + 950000);
    f.auth = AUTH_NONE;
    finding_add_name(&f, "user_phone", 10, 5000, -1);
    finding_add_name(&f, "customer_phone-meow", 19, 0, -1);
    finding_add_name(&f, "orders", 6, 90000, -1);
    finding_add_field(&f, "email", 5);
    finding_add_field(&f, "created_at", 10);
    put(s, id, &f, 0);
    /* M2: marks that are not the classifier's (only the stored ones can show), and M3: a
     * record without marks, as an older ajar stored it */
    for (int i = 2; i <= 3; i++) {
        char ip[32];
        str_fmt(ip, sizeof ip, "10.8.0.%d", i);
        base(&f, ip, 27017, "mongodb", "MongoDB", "4.0.0", T0 + 950000);
        f.auth = AUTH_NONE;
        finding_add_name(&f, "logs", 4, 10, -1);
        finding_add_name(&f, "user_email", 10, 10, -1);
        finding_add_field(&f, "passport_no", 11);
        finding_add_field(&f, "created_at", 10);
        struct assess_ctx ac = {.now = f.time};
        assess_finding(&f, &ac);
        CHECK(f.nmarks == 2); /* user_email, passport_no */
        f.nmarks = 0;
        if (i == 2) {
            CHECK(finding_add_mark(&f, MARK_NAMES, 0, PII_HEALTH, true));
            CHECK(finding_add_mark(&f, MARK_FIELDS, 1, PII_BIRTH, false));
        }
        CHECK_MSG(store_put(s, id, &f, &e) == 0, "put: %s", e.msg);
        finding_free(&f);
    }
    CHECK_MSG(store_scan_end(s, id, &e) == 0, "%s", e.msg);
    CHECK(store_flush(s, &e) == 0);
    char a[48];
    str_fmt(a, sizeof a, "id=%lld", (long long)obs_of("10.8.0.1", 27017, "mongodb", id));
    CHECK_INT(call(page_finding, a, NULL), 200);
    common("finding with marks");
    CHECK(has("user_phone</td><td class=\"n\">5,000</td><td class=\"n\">-</td><td>"
              "<span class=\"chip pii\">phone number</span></td>"));
    CHECK(has("customer_phone-meow</td><td class=\"n\">0</td><td class=\"n\">-</td><td>"
              "<span class=\"chip bad\">ransom note</span></td>"));
    CHECK_INT(count("chip pii\">"), 1); /* the note's words are not classified */
    CHECK_INT(count("ransom note</span>"), 1);
    CHECK(has("<span class=\"chip plain pii\">email</span>"));
    CHECK(has("<span class=\"chip plain\">created_at</span>"));
    str_fmt(a, sizeof a, "id=%lld", (long long)obs_of("10.8.0.2", 27017, "mongodb", id));
    CHECK_INT(call(page_finding, a, NULL), 200);
    CHECK(has("logs</td><td class=\"n\">10</td><td class=\"n\">-</td><td>"
              "<span class=\"chip pii\">health</span><span class=\"chip bad\">ransom note</span>"
              "</td>"));
    CHECK(has("user_email</td><td class=\"n\">10</td><td class=\"n\">-</td><td></td>"));
    CHECK(has("<span class=\"chip plain\">passport_no</span>"));
    CHECK(has("<span class=\"chip plain pii\">created_at</span>"));
    str_fmt(a, sizeof a, "id=%lld", (long long)obs_of("10.8.0.3", 27017, "mongodb", id));
    CHECK_INT(call(page_finding, a, NULL), 200);
    CHECK(has("user_email</td>") && has("logs</td>") && has("Looks like"));
    CHECK(!has("chip pii") && !has("chip plain pii") && !has("ransom note"));
    CHECK(has("<span class=\"chip plain\">passport_no</span>"));
}

static void test_escape(void)
{
    struct buf b;
    buf_init(&b, 1024);
    kit_html(&b, "<a href='x'>\"&</a>\x01");
    CHECK_STR((const char *)b.data, "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&lt;/a&gt;?");
    buf_reset(&b);
    kit_url(&b, "a b&c=d/é");
    CHECK_STR((const char *)b.data, "a%20b%26c%3Dd%2F%C3%A9");
    buf_free(&b);
    const struct web_asset *css = web_asset_find("/static/ajar.css");
    CHECK(css && css->len > 1000 && strstr(css->content_type, "text/css"));
    CHECK(web_asset_find("/static/favicon.svg") != NULL);
    CHECK(web_asset_find("/static/../etc/passwd") == NULL);
    CHECK(web_asset_find(NULL) == NULL);
}

int main(void)
{
    str_copy(tmpdir, "/tmp/ajar-web-XXXXXX", sizeof tmpdir);
    if (!mkdtemp(tmpdir)) return 1;
    str_fmt(where, sizeof where, "%s/web.db", tmpdir);
    log_level = 0;
    test_escape();

    struct store *s = NULL;
    struct err e = {{0}};
    CHECK_MSG(store_open(&s, where, &e) == 0, "%s", e.msg);
    if (!s) return T_END();
    int64_t s1 = lab_scan(s, T0, false);
    int64_t s2 = lab_scan(s, T0 + 86400, true);
    /* a scope where one Elasticsearch is open through a console and locked directly: its data
     * counts at the open finding, not at the locked one that reports more */
    int64_t dup = begin_scan(s, "dup", T0 + 150000);
    struct finding fd;
    base(&fd, "127.0.1.1", 9200, "elasticsearch", "Elasticsearch", "7.10.2", T0 + 150000);
    fd.auth = AUTH_REQUIRED;
    fd.records = 900;
    finding_detail_str(&fd, "cluster_uuid", "dupUuid");
    put(s, dup, &fd, 0);
    base(&fd, "127.0.1.2", 5601, "elasticsearch", "Elasticsearch", "7.10.2", T0 + 150000);
    fd.auth = AUTH_NONE;
    fd.records = 300;
    via_kibana(&fd);
    finding_detail_str(&fd, "cluster_uuid", "dupUuid");
    put(s, dup, &fd, 0);
    CHECK_MSG(store_scan_end(s, dup, &e) == 0, "%s", e.msg);
    int64_t attributed = attr_scan(s, T0 + 160000);
    /* a third scope: 120 findings for the pages */
    int64_t big = begin_scan(s, "big", T0 + 200000);
    for (int i = 1; i <= 120; i++) {
        struct finding f;
        char ip[32];
        str_fmt(ip, sizeof ip, "10.9.0.%d", i);
        base(&f, ip, 6379, "redis", "Redis", "6.0.1", T0 + 200000);
        f.auth = AUTH_REQUIRED;
        put(s, big, &f, 0);
    }
    CHECK_MSG(store_scan_end(s, big, &e) == 0, "%s", e.msg);

    CHECK_MSG(db_open(&dbh, where, &e) == 0, "%s", e.msg);
    struct kit_owners *own = NULL;
    static const char owners[] = "10.0.0.0/29 Team <A>\n10.0.0.8/29 Ops\n";
    CHECK_MSG(kit_owners_parse(&own, owners, sizeof owners - 1, &e) == 0, "%s", e.msg);
    ctx.where = where;
    ctx.owners = own;
    ctx.cert_not_after = now_wall() + 5 * 86400; /* the warning banner */
    CHECK(web_views_new(&ctx.views, where, &e) == 0);
    if (dbh) {
        test_pages(s1, s2, big);
        test_attr_pages(attributed);
        char q[48];
        str_fmt(q, sizeof q, "scan=%lld", (long long)dup);
        CHECK_INT(call(page_overview, q, NULL), 200);
        CHECK(has("<small>300 records"));
        CHECK(has("(each data store once: 1 finding reaches one counted at another)"));
        /* the detail pages link the two findings of the store, and say which one counts */
        int64_t locked = obs_of("127.0.1.1", 9200, "elasticsearch", dup),
                open_ = obs_of("127.0.1.2", 5601, "elasticsearch", dup);
        str_fmt(q, sizeof q, "id=%lld", (long long)open_);
        CHECK_INT(call(page_finding, q, NULL), 200);
        common("finding, one store twice");
        CHECK(has("<h2>The same data store</h2>"));
        CHECK(has("cluster_uuid dupUuid</span>, and 1 other finding of this scan reaches it"));
        CHECK(has("count once in the totals: here."));
        char link[96];
        str_fmt(link, sizeof link,
                "<a href=\"/finding?id=%lld\" class=\"mono\">127.0.1.1:9200</a></li>",
                (long long)locked);
        CHECK(has(link)); /* the locked one, not counted */
        str_fmt(q, sizeof q, "id=%lld", (long long)locked);
        CHECK_INT(call(page_finding, q, NULL), 200);
        CHECK(has("at the finding marked below"));
        CHECK(has("via a console</span> <b>counted in the totals</b>"));
        /* a finding whose store has no other finding: no such section */
        str_fmt(q, sizeof q, "id=%lld", (long long)obs_of("10.0.0.3", 6379, "redis", s2));
        CHECK_INT(call(page_finding, q, NULL), 200);
        CHECK(!has("The same data store"));
        CHECK_INT(call(page_overview, NULL), 200);
        CHECK(has("certificate expires in"));
        ctx.cert_not_after = now_wall() - 86400;
        CHECK_INT(call(page_scans, NULL), 200);
        CHECK(has("banner bad"));
        ctx.cert_not_after = 0;
        CHECK_INT(call(page_scans, NULL), 200);
        CHECK(!has("class=\"banner"));
        test_unfinished(s);
        test_marks(s);
        /* without a cache (views NULL) the pages still work */
        web_views_free(ctx.views);
        ctx.views = NULL;
        CHECK_INT(call(page_findings, "service=redis", NULL), 200);
        /* a finding's page never builds an index for its hint: without one, no such section */
        char q2[48];
        str_fmt(q2, sizeof q2, "id=%lld",
                (long long)obs_of("127.0.1.2", 5601, "elasticsearch", dup));
        CHECK_INT(call(page_finding, q2, NULL), 200);
        CHECK(has("127.0.1.2") && !has("The same data store"));
    }
    buf_free(&resp.body);
    db_close(dbh);
    kit_owners_free(own);
    store_close(s);
    char cmd[160];
    str_fmt(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return T_END();
}
