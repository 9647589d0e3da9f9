/*
 * tests/unit/test_report.c -- the report's renderers on findings built in
 * memory: CSV header and RFC 4180 quoting, JSON and JSONL read back equal,
 * SARIF's required keys, HTML self-contained and escaped (a hostile index
 * name), text grouped by severity, the owners' longest-prefix match (v4,
 * v6, mapped), the filters, the personal-data view and clusters.
 */
#include "catalog/catalog.h"
#include "report/report_int.h" /* the helpers too */
#include "t.h"

#include <stdlib.h>

#define T0 1795000000 /* 2026-11-18 */

static void mk(struct finding *f, const char *ip, uint16_t port, const char *service,
               enum auth_state auth, int64_t records, enum severity sev)
{
    finding_init(f);
    str_copy(f->ip, ip, sizeof f->ip);
    f->port = port;
    str_copy(f->transport, "tcp", sizeof f->transport);
    f->time = T0;
    f->first_seen = T0 - 86400;
    f->last_seen = T0;
    str_copy(f->service, service, sizeof f->service);
    f->auth = auth;
    f->records = records;
    f->bytes = records >= 0 ? records * 100 : -1;
    f->severity = sev;
}

/* Four findings: a hostile Elasticsearch with personal data, a Redis, a locked MongoDB, a
 * TLS Kibana in a cluster with the first. */
static void build(struct finding v[4])
{
    mk(&v[0], "203.0.113.7", 9200, "elasticsearch", AUTH_NONE, 656059427, SEV_CRITICAL);
    FINDING_SET(&v[0], product, "Elasticsearch");
    FINDING_SET(&v[0], version, "5.5.1");
    const char *hostile = "<script>alert(1)</script>, \"quoted\" name";
    finding_add_name(&v[0], hostile, strlen(hostile), 412000000, -1);
    finding_add_name(&v[0], "person_info_2019", 16, 244059427, -1);
    finding_add_field(&v[0], "sfzh", 4);
    finding_add_signal(&v[0], "no-auth", SEV_CRITICAL, "Elasticsearch answers without credentials");
    finding_add_signal(&v[0], "personal-data-schema", SEV_CRITICAL,
                       "national-id: sfzh; person: person_info_2019");
    str_copy(v[0].cluster, "3f9a1c0d2b7e", sizeof v[0].cluster);
    finding_detail_str(&v[0], "cluster_name", "es-cn-shanghai-1");

    mk(&v[1], "198.51.100.20", 6379, "redis", AUTH_NONE, 12, SEV_HIGH);
    FINDING_SET(&v[1], product, "Redis");
    FINDING_SET(&v[1], version, "7.0.15");
    finding_add_signal(&v[1], "no-auth", SEV_HIGH, "Redis answers without credentials");

    mk(&v[2], "2001:db8::5", 27017, "mongodb", AUTH_REQUIRED, -1, SEV_INFO);
    FINDING_SET(&v[2], product, "MongoDB");

    mk(&v[3], "203.0.113.8", 5601, "kibana", AUTH_NONE, -1, SEV_MEDIUM);
    FINDING_SET(&v[3], product, "Kibana");
    FINDING_SET(&v[3], version, "5.5.1");
    v[3].tls.present = true;
    str_copy(v[3].tls.version, "TLSv1.2", sizeof v[3].tls.version);
    str_copy(v[3].tls.sha256, "98316a92aa", sizeof v[3].tls.sha256);
    str_copy(v[3].tls.subject_cn, "kibana.example", sizeof v[3].tls.subject_cn);
    v[3].tls.not_after = T0 - 86400 * 400;
    v[3].tls.expired = true;
    finding_add_signal(&v[3], "cert-expired", SEV_MEDIUM, "expired 400 days ago");
    finding_add_signal(&v[3], "future-signal", SEV_LOW, "a signal the rule table lacks");
    str_copy(v[3].cluster, "3f9a1c0d2b7e", sizeof v[3].cluster);
}

/* Render v through a report with options o into a malloc'ed string. */
static char *render(const struct report_opts *o, struct finding *v, int n)
{
    char *s = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&s, &len);
    struct report *r = NULL;
    struct err e = {{0}};
    if (!fp) return NULL;
    int rc = report_new(&r, o, fp, &e);
    if (rc == 0) {
        struct report_scan sc = {
            .id = 7, .start = T0, .end = T0 + 60, .prev_id = 6, .prev_start = T0 - 86400};
        report_set_scan(r, &sc);
        for (int i = 0; i < n && rc == 0; i++)
            rc = report_add(r, &v[i], &e);
        int64_t p1[6] = {0, 1, 0, 1, 1, 1}, p0[6] = {0, 1, 0, 0, 1, 0};
        if (rc == 0 && report_wants_history(r)) {
            report_add_point(r, 7, T0, p1, &e);
            report_add_point(r, 6, T0 - 86400, p0, &e);
        }
        if (rc == 0) rc = report_finish(r, &e);
    }
    report_free(r);
    fclose(fp);
    if (rc < 0) {
        fprintf(stderr, "render: %s\n", e.msg);
        free(s);
        return NULL;
    }
    return s;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_csv(struct finding *v)
{
    struct report_opts o = {.format = REPORT_CSV};
    char *s = render(&o, v, 4);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(!strncmp(s,
                   "ip,port,transport,time,host,service,product,version,auth,severity,signals,"
                   "cluster,first_seen,last_seen,databases,collections,records,bytes,"
                   "names_total,names,",
                   strlen("ip,port,transport,time,host,service,product,version,auth,severity,"
                          "signals,cluster,first_seen,last_seen,databases,collections,records,"
                          "bytes,names_total,names,")));
    CHECK(strstr(s, "\r\n") != NULL);
    /* the name with a comma and quotes: one quoted cell, quotes doubled, ';'-joined */
    CHECK(strstr(s, ",\"<script>alert(1)</script>, \"\"quoted\"\" name;person_info_2019\",") !=
          NULL);
    CHECK(strstr(s, "no-auth;personal-data-schema") != NULL);
    CHECK(strstr(s, "203.0.113.7,9200,tcp,2026-11-18T") == s + strcspn(s, "\n") + 1);
    CHECK_INT(count_lines(s), 5);
    free(s);
}

/* CSV injection: a cell a spreadsheet would run as a formula is written as text ('=...) */
static void test_csv_formula(struct finding *v)
{
    struct finding w[4];
    for (int i = 0; i < 4; i++)
        CHECK_INT(finding_copy(&w[i], &v[i]), 0);
    FINDING_SET(&w[0], product, "=HYPERLINK(\"http://evil.example/\",\"x\")");
    FINDING_SET(&w[1], product, "@SUM(1+1)");
    FINDING_SET(&w[2], product, "-2+3");
    FINDING_SET(&w[3], product, "+1");
    struct report_opts o = {.format = REPORT_CSV};
    char *s = render(&o, w, 4);
    for (int i = 0; i < 4; i++)
        finding_free(&w[i]);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(strstr(s, ",\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\",") != NULL);
    CHECK(strstr(s, ",\"'@SUM(1+1)\",") != NULL);
    CHECK(strstr(s, ",\"'-2+3\",") != NULL);
    CHECK(strstr(s, ",+1,") != NULL); /* a number stays a number */
    CHECK(strstr(s, ",=") == NULL && strstr(s, ",@") == NULL);
    free(s);
}

static void test_json(struct finding *v)
{
    struct report_opts o = {.format = REPORT_JSON};
    char *s = render(&o, v, 4);
    CHECK(s != NULL);
    if (!s) return;
    json_error_t je;
    json_t *a = json_loads(s, 0, &je);
    CHECK(json_is_array(a));
    CHECK_INT(json_array_size(a), 4);
    for (size_t i = 0; i < json_array_size(a) && i < 4; i++) {
        struct finding back;
        CHECK_INT(finding_from_json(&back, json_array_get(a, i)), 0);
        json_t *x = finding_to_json(&back, false), *y = finding_to_json(&v[i], false);
        CHECK(json_equal(x, y));
        json_decref(x);
        json_decref(y);
        CHECK_STR(back.ip, v[i].ip);
        CHECK_INT(back.records, v[i].records);
        CHECK_INT(back.nsignals, v[i].nsignals);
        finding_free(&back);
    }
    json_decref(a);
    free(s);

    o.format = REPORT_JSONL;
    s = render(&o, v, 4);
    CHECK(s != NULL);
    if (!s) return;
    CHECK_INT(count_lines(s), 4);
    char *line = strtok(s, "\n");
    json_t *j = line ? json_loads(line, 0, &je) : NULL;
    CHECK(json_is_object(j));
    CHECK_STR(json_string_value(json_object_get(j, "service")), "elasticsearch");
    json_decref(j);
    free(s);

    /* an empty report is still valid JSON */
    o.format = REPORT_JSON;
    s = render(&o, v, 0);
    a = s ? json_loads(s, 0, &je) : NULL;
    CHECK(json_is_array(a) && json_array_size(a) == 0);
    json_decref(a);
    free(s);
}

static void test_sarif(struct finding *v)
{
    struct report_opts o = {.format = REPORT_SARIF};
    char *s = render(&o, v, 4);
    CHECK(s != NULL);
    if (!s) return;
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    CHECK_MSG(json_is_object(j), "%s", je.text);
    CHECK_STR(json_string_value(json_object_get(j, "version")), "2.1.0");
    CHECK(json_is_string(json_object_get(j, "$schema")));
    json_t *runs = json_object_get(j, "runs");
    CHECK_INT(json_array_size(runs), 1);
    json_t *run = json_array_get(runs, 0);
    json_t *drv = json_object_get(json_object_get(run, "tool"), "driver");
    CHECK_STR(json_string_value(json_object_get(drv, "name")), "ajar");
    json_t *rules = json_object_get(drv, "rules");
    json_t *results = json_object_get(run, "results");
    /* one result per (finding, signal): 2 + 1 + 0 + 2 */
    CHECK_INT(json_array_size(results), 5);
    size_t i;
    json_t *res;
    int levels[3] = {0};
    json_array_foreach(results, i, res)
    {
        const char *id = json_string_value(json_object_get(res, "ruleId"));
        json_int_t idx = json_integer_value(json_object_get(res, "ruleIndex"));
        json_t *rule = json_array_get(rules, (size_t)idx);
        CHECK(id && rule && !strcmp(id, json_string_value(json_object_get(rule, "id"))));
        CHECK(json_is_string(json_object_get(json_object_get(rule, "shortDescription"), "text")));
        CHECK(json_is_string(json_object_get(json_object_get(res, "message"), "text")));
        const char *lvl = json_string_value(json_object_get(res, "level"));
        levels[0] += lvl && !strcmp(lvl, "error");
        levels[1] += lvl && !strcmp(lvl, "warning");
        levels[2] += lvl && !strcmp(lvl, "note");
        json_t *loc = json_array_get(json_object_get(res, "locations"), 0);
        const char *uri = json_string_value(json_object_get(
            json_object_get(json_object_get(loc, "physicalLocation"), "artifactLocation"), "uri"));
        CHECK(uri && !strncmp(uri, "tcp://", 6));
    }
    CHECK_INT(levels[0], 3);
    CHECK_INT(levels[1], 1);
    CHECK_INT(levels[2], 1);
    CHECK_STR(
        json_string_value(json_object_get(
            json_object_get(
                json_object_get(
                    json_array_get(json_object_get(json_array_get(results, 0), "locations"), 0),
                    "physicalLocation"),
                "artifactLocation"),
            "uri")),
        "tcp://203.0.113.7:9200");
    /* the unknown signal got a rule of its own */
    bool found = false;
    json_array_foreach(rules, i, res) if (!strcmp(json_string_value(json_object_get(res, "id")),
                                                  "future-signal")) found = true;
    CHECK(found);
    json_decref(j);
    free(s);
}

/* No http:// or https:// outside escaped data; the hostile name escaped; SVG present. */
/* OCSF: one Vulnerability Finding per finding with a signal; the full OCSF check against the
 * published schema is tests/integration/ocsf.sh. */
static void test_ocsf(struct finding *v)
{
    struct report_opts o = {.format = REPORT_OCSF};
    char *s = render(&o, v, 4);
    CHECK(s != NULL);
    if (!s) return;
    size_t want = 0;
    for (int i = 0; i < 4; i++)
        want += v[i].nsignals > 0;
    CHECK_INT(count_lines(s), want);
    json_error_t je;
    json_t *e = json_loadb(s, strcspn(s, "\n"), 0, &je);
    CHECK(e != NULL);
    CHECK_INT(json_integer_value(json_object_get(e, "class_uid")), 2002);
    CHECK_INT(json_integer_value(json_object_get(e, "category_uid")), 2);
    /* first seen a day before the scan: an update of a finding already reported */
    CHECK_INT(json_integer_value(json_object_get(e, "activity_id")), 2);
    CHECK_INT(json_integer_value(json_object_get(e, "type_uid")), 200202);
    CHECK_INT(json_integer_value(json_object_get(e, "severity_id")), 5);
    CHECK_INT(json_integer_value(json_object_get(e, "time")), (json_int_t)T0 * 1000);
    const json_t *fi = json_object_get(e, "finding_info");
    CHECK_STR(json_string_value(json_object_get(fi, "uid")),
              "ajar/tcp/203.0.113.7:9200/elasticsearch");
    const json_t *vu = json_object_get(e, "vulnerabilities");
    CHECK_INT(json_array_size(vu), v[0].nsignals);
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(json_array_get(vu, 0), "advisory"), "uid")),
              "ajar:no-auth");
    const json_t *meta = json_object_get(e, "metadata");
    CHECK_STR(json_string_value(json_object_get(meta, "version")), "1.8.0");
    CHECK_STR(json_string_value(json_object_get(meta, "correlation_uid")), "scan-7");
    const json_t *rec = json_object_get(json_object_get(e, "unmapped"), "ajar");
    CHECK_STR(json_string_value(
                  json_array_get(json_object_get(json_object_get(rec, "data"), "names"), 0)),
              "<script>alert(1)</script>, \"quoted\" name");
    json_decref(e);
    free(s);
    /* clusters are not findings */
    struct report *r = NULL;
    struct err er;
    o.clusters = true;
    CHECK(report_new(&r, &o, stdout, &er) < 0);
    enum report_format f;
    CHECK(report_format_parse("ocsf", &f) == 0 && f == REPORT_OCSF);
}

static void test_html(struct finding *v)
{
    struct report_opts o = {.format = REPORT_HTML};
    char *s = render(&o, v, 4);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(!strncmp(s, "<!DOCTYPE html>", 15));
    CHECK(strstr(s, "</html>") != NULL);
    CHECK(strstr(s, "<svg") != NULL);
    CHECK(strstr(s, "<polyline") != NULL); /* history lines */
    CHECK(strstr(s, "#b3001b") != NULL);   /* the expired certificate is red */
    CHECK(strstr(s, "kibana.example") != NULL);
    CHECK(strstr(s, "<script>alert") == NULL);
    CHECK(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
    CHECK(strstr(s, "http://") == NULL);
    CHECK(strstr(s, "https://") == NULL);
    CHECK(strstr(s, "src=") == NULL);
    CHECK(strstr(s, "@import") == NULL);
    CHECK(strstr(s, "url(") == NULL);
    /* exactly one script element: the inline sorter */
    size_t scripts = 0;
    for (const char *p = s; (p = strstr(p, "<script")); p++)
        scripts++;
    CHECK_INT(scripts, 1);
    CHECK(strstr(s, "class=\"sortable\"") != NULL);
    CHECK(strstr(s, "3f9a1c0d2b7e") != NULL); /* the cluster of two */
    free(s);

    /* a hostile name carrying a URL stays escaped data, never markup */
    struct finding h;
    mk(&h, "192.0.2.1", 80, "kibana", AUTH_NONE, 1, SEV_HIGH);
    FINDING_SET(&h, product, "<img src=\"http://evil.example/x.png\">");
    s = render(&o, &h, 1);
    CHECK(s && strstr(s, "<img") == NULL);
    CHECK(s && strstr(s, "&lt;img src=&quot;http://evil.example/x.png&quot;&gt;") != NULL);
    free(s);
    finding_free(&h);
}

/* issue 22: a hostile server's C1 control (CSI, U+009B) or bidi override (U+202E) never reaches
 * a terminal through the text report */
static void test_text_c1(struct finding *v)
{
    struct finding w[4];
    for (int i = 0; i < 4; i++)
        CHECK_INT(finding_copy(&w[i], &v[i]), 0);
    FINDING_SET(&w[0], product,
                "Evil\xc2\x9b"
                "31mRed\xe2\x80\xae"
                "txt.exe");
    struct report_opts o = {.format = REPORT_TEXT};
    char *s = render(&o, w, 4);
    for (int i = 0; i < 4; i++)
        finding_free(&w[i]);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(strstr(s, "\xc2\x9b") == NULL);
    CHECK(strstr(s, "\xe2\x80\xae") == NULL);
    CHECK(strstr(s, "Evil?31mRed?txt.exe") != NULL);
    free(s);
}

static void test_text(struct finding *v)
{
    struct report_opts o = {.format = REPORT_TEXT};
    char *s = render(&o, v, 4);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(strstr(s, "\033[") == NULL); /* no colour unless asked */
    const char *crit = strstr(s, "\nCRITICAL (1)\n"), *high = strstr(s, "\nHIGH (1)\n"),
               *med = strstr(s, "\nMEDIUM (1)\n"), *info = strstr(s, "\nINFO (1)\n");
    CHECK(crit && high && med && info);
    CHECK(crit < high && high < med && med < info);
    CHECK(strstr(s, "services found       4") != NULL);
    CHECK(strstr(s, "exposed              3  (") != NULL);
    /* partial (some data open) counts as exposed, as on the dashboard; required does not */
    enum auth_state was = v[1].auth;
    v[1].auth = AUTH_PARTIAL;
    char *p = render(&o, v, 4);
    CHECK(p && strstr(p, "exposed              3  (") != NULL);
    free(p);
    v[1].auth = AUTH_REQUIRED;
    p = render(&o, v, 4);
    CHECK(p && strstr(p, "exposed              2  (") != NULL);
    free(p);
    v[1].auth = was;
    CHECK(strstr(s, "656,059,427") != NULL);
    CHECK(strstr(s, "[2001:db8::5]:27017") != NULL);
    CHECK(strstr(s, "Personal-data exposures") != NULL);
    CHECK(strstr(s, "new since previous   0") != NULL);
    free(s);

    o.color = true;
    s = render(&o, v, 4);
    CHECK(s && strstr(s, "\033[1;31mcritical") != NULL);
    free(s);

    /* a control byte smuggled into the store never reaches the terminal */
    struct finding h;
    mk(&h, "192.0.2.1", 80, "http", AUTH_UNKNOWN, -1, SEV_INFO);
    str_copy(h.product, "evil\033]0;pwned\007", sizeof h.product);
    o.color = false;
    s = render(&o, &h, 1);
    CHECK(s && strchr(s, '\033') == NULL && strchr(s, '\007') == NULL);
    free(s);
    finding_free(&h);
}

static void test_filters(struct finding *v)
{
    struct report_opts o = {.format = REPORT_JSONL, .min_severity = SEV_HIGH};
    char *s = render(&o, v, 4);
    CHECK(s && count_lines(s) == 2);
    free(s);
    o = (struct report_opts){.format = REPORT_JSONL, .service = "REDIS"};
    s = render(&o, v, 4);
    CHECK(s && count_lines(s) == 1 && strstr(s, "\"redis\""));
    free(s);
    o = (struct report_opts){.format = REPORT_JSONL, .personal_only = true};
    s = render(&o, v, 4); /* default threshold 1,000,000 */
    CHECK(s && count_lines(s) == 1 && strstr(s, "203.0.113.7"));
    free(s);
    o.personal_over = 1000000000;
    s = render(&o, v, 4);
    CHECK(s && count_lines(s) == 0);
    free(s);
}

static void test_owners(struct finding *v)
{
    const char *list = "# provider\n"
                       "203.0.113.0/24\tExample Cloud\n"
                       "203.0.113.0/29   Client A (small)\r\n"
                       "\n"
                       "2001:db8::/32 IPv6 Client\n"
                       "198.51.100.20 Single Host\n";
    struct kit_owners *ow = NULL;
    struct err e = {{0}};
    CHECK_INT(kit_owners_parse(&ow, list, strlen(list), &e), 0);
    CHECK_STR(kit_owner_of(ow, "203.0.113.7"), "Client A (small)");
    CHECK_STR(kit_owner_of(ow, "203.0.113.8"), "Example Cloud");
    CHECK_STR(kit_owner_of(ow, "::ffff:203.0.113.9"), "Example Cloud");
    CHECK_STR(kit_owner_of(ow, "2001:db8::5"), "IPv6 Client");
    CHECK_STR(kit_owner_of(ow, "198.51.100.20"), "Single Host");
    CHECK_STR(kit_owner_of(ow, "198.51.100.21"), KIT_NO_OWNER);
    CHECK_STR(kit_owner_of(ow, "2001:db9::1"), KIT_NO_OWNER);
    CHECK_INT(kit_owners_count(ow), 4);

    struct report_opts o = {.format = REPORT_TEXT, .owners = ow};
    char *s = render(&o, v, 4);
    CHECK(s && strstr(s, "Owner: Client A (small) (1 finding)"));
    CHECK(s && strstr(s, "Owner: Example Cloud (1 finding)"));
    CHECK(s && strstr(s, "By owner"));
    free(s);
    o = (struct report_opts){.format = REPORT_TEXT, .owners = ow, .personal_only = true};
    s = render(&o, v, 4);
    CHECK(s && strstr(s, "Total per owner"));
    CHECK(s && strstr(s, "656,059,427"));
    free(s);
    o = (struct report_opts){.format = REPORT_JSONL, .owners = ow};
    s = render(&o, v, 4);
    CHECK(s && strstr(s, "\"owner\":\"IPv6 Client\""));
    free(s);
    o.format = REPORT_CSV;
    s = render(&o, v, 4);
    CHECK(s && strstr(s, ",owner\r\n"));
    free(s);
    kit_owners_free(ow);

    const char *bad[] = {"10.0.0.0/33 x\n", "not-an-ip owner\n", "10.0.0.0/8\n"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        ow = NULL;
        CHECK(kit_owners_parse(&ow, bad[i], strlen(bad[i]), &e) < 0);
        CHECK(strstr(e.msg, "line 1") != NULL);
    }
}

static void test_clusters(struct finding *v)
{
    struct report_opts o = {.format = REPORT_JSON, .clusters = true};
    char *s = render(&o, v, 4);
    json_error_t je;
    json_t *a = s ? json_loads(s, 0, &je) : NULL;
    CHECK_INT(json_array_size(a), 1);
    json_t *c = json_array_get(a, 0);
    CHECK_STR(json_string_value(json_object_get(c, "cluster")), "3f9a1c0d2b7e");
    CHECK_INT(json_integer_value(json_object_get(c, "size")), 2);
    CHECK_INT(json_array_size(json_object_get(c, "members")), 2);
    json_decref(a);
    free(s);
    o.format = REPORT_TEXT;
    s = render(&o, v, 4);
    CHECK(s && strstr(s, "3f9a1c0d2b7e") && strstr(s, "2 members"));
    free(s);
}

static void set_attr(struct finding *f, uint32_t asn, const char *org, const char *cc,
                     const char *cloud, const char *region)
{
    f->attr.asn = asn;
    str_copy(f->attr.org, org, sizeof f->attr.org);
    str_copy(f->attr.country, cc, sizeof f->attr.country);
    str_copy(f->attr.cloud, cloud, sizeof f->attr.cloud);
    str_copy(f->attr.cloud_region, region, sizeof f->attr.cloud_region);
}

/* --by provider|asn|country, the attribution columns and properties, the clusters' spread
 * (issue 21): findings with and without attribution, a hostile organisation. */
static void test_attr_views(const struct finding *v)
{
    struct finding w[4];
    for (int i = 0; i < 4; i++)
        CHECK_INT(finding_copy(&w[i], &v[i]), 0);
    set_attr(&w[0], 37963, "Hangzhou Alibaba Advertising Co.,Ltd.", "CN", "alibaba-cloud", "");
    set_attr(&w[3], 37963, "Hangzhou Alibaba Advertising Co.,Ltd.", "CN", "alibaba-cloud", "");
    set_attr(&w[1], 16509, "=HYPERLINK(\"x\")<b>", "US", "aws", "us-east-1");
    w[1].rdns = true;
    CHECK(finding_add_hostname(&w[1], "redis.example.test", false));
    CHECK(finding_add_hostname(&w[1], "cache.example.test", false));
    /* w[2] has none */

    enum report_by by;
    CHECK_INT(report_by_parse("asn", &by), 0);
    CHECK_INT(by, REPORT_BY_ASN);
    CHECK(report_by_parse("org", &by) < 0);
    CHECK_STR(kit_provider_name("tencent-cloud"), "Tencent Cloud");
    CHECK_STR(kit_provider_name("new-cloud"), "new-cloud");

    /* --by provider, text: a section per provider, totals, "unknown" last */
    struct report_opts o = {.format = REPORT_TEXT, .by = REPORT_BY_PROVIDER};
    char *s = render(&o, w, 4);
    CHECK(s && strstr(s, "By provider"));
    CHECK(s && strstr(s, "Provider: Alibaba Cloud (2 findings)"));
    CHECK(s && strstr(s, "Provider: AWS (1 finding)"));
    CHECK(s && strstr(s, "Provider: unknown (1 finding)"));
    if (s) {
        const char *a = strstr(s, "Provider: Alibaba"), *u = strstr(s, "Provider: unknown"),
                   *aws = strstr(s, "Provider: AWS");
        CHECK(a && u && aws && a < u && aws < u);
        /* the totals line: 2 findings, 2 exposed, 1 critical, 656,059,427 records */
        const char *t = strstr(s, "  Alibaba Cloud");
        const char *eol = t ? strchr(t, '\n') : NULL;
        const char *nums = t ? strstr(t, "       2        2         1  ") : NULL;
        const char *rec = t ? strstr(t, "656,059,427") : NULL;
        CHECK(eol && nums && nums < eol && rec && rec < eol);
    }
    free(s);
    /* --by asn and --by country */
    o.by = REPORT_BY_ASN;
    s = render(&o, w, 4);
    CHECK(s && strstr(s, "By asn"));
    CHECK(s && strstr(s, "ASN: AS37963 Hangzhou Alibaba Advertising Co.,Ltd. (2 findings)"));
    CHECK(s && strstr(s, "ASN: unknown (1 finding)"));
    free(s);
    o.by = REPORT_BY_COUNTRY;
    s = render(&o, w, 4);
    CHECK(s && strstr(s, "Country: CN (2 findings)") && strstr(s, "Country: US (1 finding)"));
    CHECK(s && strstr(s, "Country: unknown (1 finding)"));
    free(s);
    /* without attribution at all: every finding is "unknown" */
    s = render(&o, (struct finding *)v, 4);
    CHECK(s && strstr(s, "Country: unknown (4 findings)"));
    free(s);
    /* --by owner is unchanged by attribution: the owners file decides */
    struct kit_owners *ow = NULL;
    struct err e = {{0}};
    const char *list = "203.0.113.0/24 Client A\n";
    CHECK_INT(kit_owners_parse(&ow, list, strlen(list), &e), 0);
    o = (struct report_opts){.format = REPORT_TEXT, .by = REPORT_BY_OWNER, .owners = ow};
    s = render(&o, w, 4);
    CHECK(s && strstr(s, "Owner: Client A (2 findings)") && strstr(s, "Owner: (no owner)"));
    free(s);
    o.format = REPORT_CSV;
    s = render(&o, w, 4);
    CHECK(s && strstr(s, ",asn,org,country,provider,region,hostnames,owner\r\n"));
    free(s);
    kit_owners_free(ow);
    o = (struct report_opts){.format = REPORT_TEXT, .by = REPORT_BY_OWNER};
    struct report *r = NULL;
    CHECK(report_new(&r, &o, stdout, &e) < 0); /* --by owner without the owners */

    /* HTML: the grouping table, the network column, the hostile organisation escaped */
    o = (struct report_opts){.format = REPORT_HTML, .by = REPORT_BY_PROVIDER};
    s = render(&o, w, 4);
    CHECK(s && strstr(s, "<h2>By provider</h2>"));
    CHECK(s && strstr(s, "<th>network</th>"));
    CHECK(s && strstr(s, "<td>Alibaba Cloud \xc2\xb7 AS37963 \xc2\xb7 CN<br><small>Hangzhou"));
    CHECK(
        s &&
        strstr(s, "AWS \xc2\xb7 AS16509 \xc2\xb7 US<br><small>=HYPERLINK(&quot;x&quot;)&lt;b&gt;"));
    CHECK(s && !strstr(s, "<b>\""));
    free(s);
    /* no attribution: no network column */
    o.by = REPORT_BY_NONE;
    s = render(&o, (struct finding *)v, 4);
    CHECK(s && !strstr(s, "<th>network</th>"));
    free(s);

    /* CSV: the new columns at the end, empty when absent, the formula cell neutralised */
    o = (struct report_opts){.format = REPORT_CSV};
    s = render(&o, w, 4);
    CHECK(s && strstr(s, ",signals_json,asn,org,country,provider,region,hostnames\r\n"));
    CHECK(s &&
          strstr(s, ",37963,\"Hangzhou Alibaba Advertising Co.,Ltd.\",CN,alibaba-cloud,,\r\n"));
    CHECK(s && strstr(s, ",16509,\"'=HYPERLINK(\"\"x\"\")<b>\",US,aws,us-east-1,"
                         "redis.example.test;cache.example.test\r\n"));
    if (s) { /* the MongoDB without attribution: six empty cells at the end */
        const char *m = strstr(s, "2001:db8::5,");
        const char *eol = m ? strstr(m, "\r\n") : NULL;
        CHECK(eol && eol - m > 6 && !strncmp(eol - 6, ",,,,,,", 6));
    }
    free(s);

    /* SARIF: network, geo, cloud, hostnames among a result's properties when known */
    o = (struct report_opts){.format = REPORT_SARIF};
    s = render(&o, w, 4);
    json_error_t je;
    json_t *j = s ? json_loads(s, 0, &je) : NULL;
    json_t *results = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "results");
    size_t i;
    json_t *res;
    int seen = 0;
    json_array_foreach(results, i, res)
    {
        json_t *p = json_object_get(res, "properties");
        const char *uri = json_string_value(json_object_get(
            json_object_get(json_object_get(json_array_get(json_object_get(res, "locations"), 0),
                                            "physicalLocation"),
                            "artifactLocation"),
            "uri"));
        if (uri && !strcmp(uri, "tcp://198.51.100.20:6379")) {
            seen++;
            CHECK_INT(json_integer_value(json_object_get(json_object_get(p, "network"), "asn")),
                      16509);
            CHECK_STR(json_string_value(json_object_get(json_object_get(p, "geo"), "country")),
                      "US");
            CHECK_STR(json_string_value(json_object_get(json_object_get(p, "cloud"), "region")),
                      "us-east-1");
            CHECK_STR(json_string_value(json_array_get(json_object_get(p, "hostnames"), 1)),
                      "cache.example.test");
        }
        if (uri && !strncmp(uri, "tcp://[2001:db8::5]", 19)) seen += 100;
        if (uri && !strcmp(uri, "tcp://203.0.113.7:9200"))
            CHECK(json_object_get(p, "network") && !json_object_get(p, "hostnames"));
    }
    CHECK_INT(seen, 1);
    json_decref(j);
    free(s);

    /* the clusters' spread: all on one provider and AS, then one member unknown */
    o = (struct report_opts){.format = REPORT_TEXT, .clusters = true};
    s = render(&o, w, 4);
    CHECK(s && strstr(s, "2 members, all Alibaba Cloud, AS37963"));
    free(s);
    o.format = REPORT_HTML;
    s = render(&o, w, 4);
    CHECK(s && strstr(s, "<th>spread</th>") && strstr(s, "2 members, all Alibaba Cloud, AS37963"));
    free(s);
    memset(&w[3].attr, 0, sizeof w[3].attr);
    o.format = REPORT_TEXT;
    s = render(&o, w, 4);
    CHECK(s && strstr(s, "2 members: 1 Alibaba Cloud (AS37963), 1 unknown"));
    free(s);
    s = render(&o, (struct finding *)v, 4); /* nothing known: no spread line */
    CHECK(s && !strstr(s, "all ") && !strstr(s, "unknown"));
    free(s);
    for (int k = 0; k < 4; k++)
        finding_free(&w[k]);
}

static void test_helpers(void)
{
    char b[32];
    fmt_bytes(1536, b, sizeof b);
    CHECK_STR(b, "1.5 KiB");
    fmt_bytes(-1, b, sizeof b);
    CHECK_STR(b, "-");
    fmt_bytes(2961351358158, b, sizeof b);
    CHECK_STR(b, "2.7 TiB");
    fmt_digits(656059427, b, sizeof b);
    CHECK_STR(b, "656,059,427");
    fmt_digits(999, b, sizeof b);
    CHECK_STR(b, "999");
    enum report_format f;
    CHECK_INT(report_format_parse("SARIF", &f), 0);
    CHECK_INT(f, REPORT_SARIF);
    CHECK(report_format_parse("xml", &f) < 0);
}

/* A report (writing to fp) holding the rows of v[0..n), not finished; NULL on failure. */
static struct report *rows_of(const struct report_opts *o, FILE *fp, struct finding *v, int n)
{
    struct report *r = NULL;
    struct err e = {{0}};
    CHECK(fp && report_new(&r, o, fp, &e) == 0);
    for (int i = 0; r && i < n; i++)
        CHECK(report_add(r, &v[i], &e) == 0);
    return r;
}

/* The same data store at several rows: every node of one cluster, and the same store through
 * a console, counted once in the totals (report_mark_shared). */
static void test_shared_stores(void)
{
    struct finding s[8];
    mk(&s[0], "127.0.113.1", 9200, "elasticsearch", AUTH_NONE, 1000, SEV_HIGH);
    mk(&s[1], "127.0.113.2", 9200, "elasticsearch", AUTH_NONE, 1000, SEV_HIGH);
    mk(&s[2], "127.0.113.9", 5601, "elasticsearch", AUTH_NONE, 1000, SEV_HIGH); /* via Kibana */
    s[2].has_via = true;
    str_copy(s[2].via_service, "kibana", sizeof s[2].via_service);
    str_copy(s[2].via_ip, "127.0.113.9", sizeof s[2].via_ip);
    s[2].via_port = 5601;
    mk(&s[3], "127.0.113.3", 9200, "elasticsearch", AUTH_NONE, 50, SEV_HIGH);
    mk(&s[4], "127.0.100.1", 6379, "redis", AUTH_NONE, 12, SEV_HIGH);
    mk(&s[5], "127.0.100.2", 8081, "redis", AUTH_NONE, 12, SEV_HIGH); /* via redis-commander */
    s[5].has_via = true;
    str_copy(s[5].via_service, "redis-commander", sizeof s[5].via_service);
    str_copy(s[5].via_ip, "127.0.100.2", sizeof s[5].via_ip);
    s[5].via_port = 8081;
    mk(&s[6], "127.0.113.4", 9200, "elasticsearch", AUTH_NONE, 7, SEV_HIGH); /* no uuid */
    mk(&s[7], "127.0.2.1", 27017, "mongodb", AUTH_NONE, 5, SEV_HIGH); /* no key for mongodb */
    for (int i = 0; i < 3; i++)
        finding_detail_str(&s[i], "cluster_uuid", "U1");
    finding_detail_str(&s[3], "cluster_uuid", "U2");
    finding_detail_str(&s[4], "run_id", "R");
    finding_detail_str(&s[5], "run_id", "R");
    finding_detail_str(&s[7], "run_id", "R"); /* a detail of another service's key: not an id */
    for (int i = 0; i < 7; i++) /* one configuration: U1 three times, U2, and one unnamed */
        if (i < 4 || i == 6) str_copy(s[i].cluster, "c1", sizeof s[i].cluster);

    char inst[64];
    CHECK(catalog_instance(&s[0], inst, sizeof inst) && !strcmp(inst, "elasticsearch/U1"));
    CHECK(catalog_instance(&s[5], inst, sizeof inst) && !strcmp(inst, "redis/R"));
    CHECK(!catalog_instance(&s[6], inst, sizeof inst) && inst[0] == 0);
    CHECK(!catalog_instance(&s[7], inst, sizeof inst));
    CHECK(catalog_instance_key("kibana") == NULL);
    CHECK(finding_instance_id_ok("Sh37425fecc36e1d905b306"));
    CHECK(finding_instance_id_ok("7cd686652cd085b1a0466ec3ccbfc9db799de011"));
    CHECK(!finding_instance_id_ok("") && !finding_instance_id_ok(NULL));
    CHECK(!finding_instance_id_ok("a b") && !finding_instance_id_ok("a/b"));
    char long_id[80];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    CHECK(!finding_instance_id_ok(long_id));
    long_id[64] = 0;
    CHECK(finding_instance_id_ok(long_id));

    struct report_opts o = {.format = REPORT_TEXT};
    char *t = render(&o, s, 8);
    CHECK(t && strstr(t, "exposed              8  (1,074 records") != NULL);
    CHECK(t && strstr(t, "each data store once") != NULL);
    CHECK(t && strstr(t, "3 findings reach a store counted at another finding") != NULL);
    /* the largest volumes list each store once, at its counted row */
    const char *lv = t ? strstr(t, "Largest exposed volumes") : NULL;
    char sect[2048] = "";
    if (lv) str_copy(sect, lv, sizeof sect);
    if (strstr(sect, "\n\n")) *strstr(sect, "\n\n") = 0; /* this section only */
    CHECK(strstr(sect, "127.0.113.1:9200") && strstr(sect, "(+2 more findings)") &&
          !strstr(sect, "127.0.113.2:9200") && !strstr(sect, "127.0.100.2:8081") &&
          strstr(sect, "127.0.100.1:6379"));
    free(t);
    o.clusters = true;
    t = render(&o, s, 8);
    CHECK(t && strstr(t, "5 members") && strstr(t, "(3 data stores: the same store at several"));
    free(t);
    o.format = REPORT_JSON;
    t = render(&o, s, 8);
    CHECK(t && strstr(t, "\"size\":5,\"stores\":3"));
    free(t);
    o.format = REPORT_TEXT;
    o.clusters = false;
    /* without the duplicates, no note */
    t = render(&o, s + 3, 1);
    CHECK(t && strstr(t, "(50 records") != NULL && strstr(t, "each data store once") == NULL);
    free(t);
    o.format = REPORT_HTML;
    t = render(&o, s, 8);
    CHECK(t && strstr(t, "<b>3</b><span>reach a data store counted at another finding") != NULL);
    free(t);

    /* which row is counted: the most records, then reached directly, then the first */
    FILE *fp = fopen("/dev/null", "w");
    o.format = REPORT_TEXT;
    s[1].records = 1200; /* node 2 saw more documents */
    struct report *r = rows_of(&o, fp, s, 8);
    if (r) {
        CHECK_INT(report_mark_shared(r), 3);
        CHECK(!r->rows[1].shared && r->rows[0].shared && r->rows[2].shared);
        CHECK(!r->rows[3].shared && !r->rows[4].shared && r->rows[5].shared);
        CHECK(!r->rows[6].shared && !r->rows[7].shared);
        int64_t rec = 0, bytes = 0;
        for (size_t i = 0; i < r->nrows; i++)
            report_row_count(&r->rows[i], &rec, &bytes);
        CHECK_INT(rec, 1200 + 50 + 12 + 7 + 5);
        CHECK_INT(bytes, (1000 + 50 + 12 + 7 + 5) * 100); /* row 1 kept its 100,000 bytes */
    }
    /* a subset (one owner's rows): each store once among them, even when the row counted
     * overall is elsewhere */
    if (r) {
        const struct report_row *sub[4] = {&r->rows[2]}; /* the Kibana path alone */
        int64_t rec = 0, bytes = 0;
        report_rows_sum(sub, 1, &rec, &bytes);
        CHECK_INT(rec, 1000);
        const struct report_row *sub2[4] = {&r->rows[0], &r->rows[3], &r->rows[1], &r->rows[6]};
        rec = 0;
        report_rows_sum(sub2, 4, &rec, NULL);
        CHECK_INT(rec, 1200 + 50 + 7); /* U1 at its largest, U2, the unnamed one */
    }
    report_free(r);
    /* an exposed row is counted before one behind a password, even with fewer records */
    s[1].auth = AUTH_REQUIRED;
    r = rows_of(&o, fp, s, 3);
    if (r) {
        CHECK_INT(report_mark_shared(r), 2);
        CHECK(!r->rows[0].shared && r->rows[1].shared && r->rows[2].shared);
        CHECK_INT(r->rows[0].also, 2);
    }
    report_free(r);
    if (fp) fclose(fp);
    for (int i = 0; i < 8; i++)
        finding_free(&s[i]);
}

int main(void)
{
    struct finding v[4];
    build(v);
    test_helpers();
    test_csv(v);
    test_csv_formula(v);
    test_text_c1(v);
    test_json(v);
    test_sarif(v);
    test_ocsf(v);
    test_html(v);
    test_text(v);
    test_filters(v);
    test_owners(v);
    test_clusters(v);
    test_attr_views(v);
    test_shared_stores();
    for (int i = 0; i < 4; i++)
        finding_free(&v[i]);
    return T_END();
}
