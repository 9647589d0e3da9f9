/*
 * tests/unit/test_attr.c -- attribution (attr/attr.c, attr/ranges.c): MaxMind DB files in every
 * layout ajar reads, built here at run time by tests/tools/make-mmdb.pl (loopback networks,
 * test AS numbers); what the record gains and that it gains nothing without the options; the
 * providers' range files (the recorded excerpts under tests/fixtures/recorded/attr/), whole,
 * cut at every offset and hostile; the longest-prefix match; a truncated or foreign MMDB file.
 */
#include "attr/attr.h"
#include "attr/ranges.h"
#include "core/util.h"
#include "unit/t.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX "tests/fixtures/recorded/attr/"

static char tmpdir[64];

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *b = malloc(1 << 20);
    size_t n = b ? fread(b, 1, (1 << 20) - 1, fp) : 0;
    fclose(fp);
    if (b) b[n] = 0;
    *len = n;
    return b;
}

static const char *db(const char *layout)
{
    static char path[8][128];
    static int k;
    char *p = path[k++ & 7];
    snprintf(p, 128, "%s/%s.mmdb", tmpdir, layout);
    return p;
}

/* The record of a finding at ip after attr_enrich: the fast writer's bytes, checked against
 * the jansson tree's. */
static void record(const char *ip, char *out, size_t n, struct finding *keep)
{
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, ip, sizeof f.ip);
    f.port = 6379;
    f.time = 1700000000;
    FINDING_SET(&f, service, "redis");
    attr_enrich(&f);
    struct buf b;
    buf_init(&b, 1 << 16);
    CHECK(finding_json_write(&b, &f, false, NULL) == 0);
    json_t *j = finding_to_json(&f, false);
    char *s = json_dumps(j, JSON_COMPACT);
    CHECK_MSG(s && b.data && strcmp(s, (char *)b.data) == 0, "fast %s\njansson %s", b.data, s);
    /* read back: the same record */
    struct finding g;
    finding_init(&g);
    CHECK(finding_from_json(&g, j) == 0);
    json_t *j2 = finding_to_json(&g, false);
    char *s2 = json_dumps(j2, JSON_COMPACT);
    CHECK_MSG(s2 && s && strcmp(s, s2) == 0, "read back %s", s2);
    str_copy(out, b.data ? (char *)b.data : "", n);
    if (keep)
        *keep = f;
    else
        finding_free(&f);
    free(s);
    free(s2);
    json_decref(j);
    json_decref(j2);
    finding_free(&g);
    buf_free(&b);
}

static void test_no_options(void)
{
    struct attr_opts o = {0};
    struct err e;
    CHECK(attr_open(&o, &e) == 0);
    CHECK(!attr_active());
    char r[4096];
    record("127.0.170.5", r, sizeof r, NULL);
    CHECK(!strstr(r, "\"network\"") && !strstr(r, "\"geo\"") && !strstr(r, "\"cloud\""));
    attr_close();
}

static void test_layouts(void)
{
    struct attr_db_info in;
    struct err e;
    CHECK(attr_db_probe(db("asn"), &in, &e) == 0 && in.has_asn && !in.has_country);
    CHECK_STR(in.type, "GeoLite2-ASN");
    CHECK(attr_db_probe(db("dbip-asn"), &in, &e) == 0 && in.has_asn);
    CHECK(attr_db_probe(db("country"), &in, &e) == 0 && in.has_country && !in.has_asn);
    CHECK(attr_db_probe(db("city"), &in, &e) == 0 && in.has_country);
    CHECK(attr_db_probe(db("ipinfo"), &in, &e) == 0 && in.has_country && in.has_asn);
    CHECK(attr_db_probe(db("ipinfo-lite"), &in, &e) == 0 && in.has_country && in.has_asn);
    CHECK(attr_db_probe(db("lacking"), &in, &e) == 0 && in.has_asn);
    CHECK(attr_db_probe(db("foreign"), &in, &e) < 0);
    CHECK_MSG(strstr(e.msg, "Acme-Weather") && strstr(e.msg, "temperature") &&
                  strstr(e.msg, "wind") &&
                  strncmp(e.msg, db("foreign"), strlen(db("foreign"))) == 0,
              "%s", e.msg);
    CHECK(!strchr(e.msg, '\n'));

    /* the roles: a country file is not an ASN file and the other way round */
    struct attr_opts o = {.asn_db = db("country")};
    CHECK(attr_open(&o, &e) < 0 && strstr(e.msg, "no AS fields"));
    struct attr_opts o2 = {.geo_db = db("asn")};
    CHECK(attr_open(&o2, &e) < 0 && strstr(e.msg, "no country field"));
}

static void test_maxmind(void)
{
    struct attr_opts o = {.asn_db = db("asn"), .geo_db = db("country")};
    struct err e;
    CHECK_MSG(attr_open(&o, &e) == 0, "%s", e.msg);
    CHECK(attr_active());
    char r[4096];
    struct finding f;
    record("127.0.170.5", r, sizeof r, &f);
    CHECK_INT(f.attr.asn, 37963);
    CHECK_STR(f.attr.org, "Hangzhou Alibaba Advertising Co.,Ltd.");
    CHECK_STR(f.attr.prefix, "127.0.170.0/24");
    CHECK_STR(f.attr.country, "CN");
    CHECK_STR(f.attr.cloud, "alibaba-cloud");
    finding_free(&f);
    CHECK_MSG(strstr(r, "\"network\":{\"asn\":37963,\"org\":\"Hangzhou Alibaba Advertising "
                        "Co.,Ltd.\",\"prefix\":\"127.0.170.0/24\"},\"geo\":{\"country\":\"CN\"},"
                        "\"cloud\":{\"provider\":\"alibaba-cloud\",\"region\":null,\"service\":"
                        "null}"),
              "%s", r);
    /* a /25, the country only as registered_country; AWS by its AS */
    record("127.0.171.9", r, sizeof r, &f);
    CHECK_INT(f.attr.asn, 16509);
    CHECK_STR(f.attr.prefix, "127.0.171.0/25");
    CHECK_STR(f.attr.country, "US");
    CHECK_STR(f.attr.cloud, "aws");
    finding_free(&f);
    /* no cloud AS, a country code that is not one: no geo, no cloud */
    record("127.0.172.1", r, sizeof r, &f);
    CHECK_INT(f.attr.asn, 64512);
    CHECK_STR(f.attr.org, "Test \xc3\xa9tablissement");
    CHECK(!strstr(r, "\"geo\"") && !strstr(r, "\"cloud\""));
    finding_free(&f);
    /* in no network of either file: nothing */
    record("127.0.173.1", r, sizeof r, NULL);
    CHECK(!strstr(r, "\"network\"") && !strstr(r, "\"geo\""));
    /* an IPv6 address, a name-less one */
    record("::1", r, sizeof r, NULL);
    CHECK(!strstr(r, "\"network\""));
    attr_close();

    /* City file for the country; DB-IP's IPv4 tree (no ::/96 offset in the prefix) */
    struct attr_opts o3 = {.asn_db = db("dbip-asn"), .geo_db = db("city")};
    CHECK_MSG(attr_open(&o3, &e) == 0, "%s", e.msg);
    record("127.0.171.100", r, sizeof r, &f);
    CHECK_STR(f.attr.prefix, "127.0.171.0/25");
    CHECK_INT(f.attr.asn, 16509);
    finding_free(&f);
    record("127.0.170.1", r, sizeof r, &f);
    CHECK_STR(f.attr.country, "CN");
    finding_free(&f);
    record("2001:db8::1", r, sizeof r, NULL); /* IPv6 in an IPv4 tree */
    CHECK(!strstr(r, "\"network\""));
    attr_close();
}

static void test_ipinfo(void)
{
    struct err e;
    char r[4096];
    struct finding f;
    struct attr_opts o = {.asn_db = db("ipinfo")};
    CHECK_MSG(attr_open(&o, &e) == 0, "%s", e.msg);
    record("127.0.170.77", r, sizeof r, &f);
    CHECK_INT(f.attr.asn, 45090);
    CHECK_STR(f.attr.org, "Shenzhen Tencent Computer Systems Company Limited");
    CHECK_STR(f.attr.country, "SG"); /* the country_asn file's "country" is the code */
    CHECK_STR(f.attr.cloud, "tencent-cloud");
    finding_free(&f);
    attr_close();
    struct attr_opts o2 = {.asn_db = db("ipinfo-lite"), .geo_db = db("ipinfo-lite")};
    CHECK_MSG(attr_open(&o2, &e) == 0, "%s", e.msg);
    record("127.0.170.77", r, sizeof r, &f);
    CHECK_INT(f.attr.asn, 24940);
    CHECK_STR(f.attr.country, "DE"); /* country_code, not "Germany" */
    CHECK_STR(f.attr.cloud, "hetzner");
    finding_free(&f);
    attr_close();
}

static void test_lacking(void)
{
    struct err e;
    char r[4096];
    struct finding f;
    struct attr_opts o = {.asn_db = db("lacking")};
    CHECK_MSG(attr_open(&o, &e) == 0, "%s", e.msg);
    record("127.0.170.1", r, sizeof r, &f);
    CHECK_INT(f.attr.asn, 0);
    CHECK_STR(f.attr.org, "No Number Ltd");
    CHECK_MSG(strstr(r, "\"network\":{\"org\":\"No Number Ltd\",\"prefix\":\"127.0.170.0/24\"}"),
              "%s", r);
    finding_free(&f);
    record("127.0.171.1", r, sizeof r, &f);
    CHECK_INT(f.attr.asn, 64513);
    CHECK(!f.attr.org[0]);
    CHECK(!strstr(r, "\"cloud\""));
    finding_free(&f);
    attr_close();
}

/* A truncated copy at every offset, and files that are not MMDB at all: one line, never a
 * crash; a truncation that still opens answers lookups without one. */
static void test_truncated_mmdb(void)
{
    size_t len = 0;
    char *whole = slurp(db("asn"), &len);
    CHECK(whole && len > 100);
    char cut[128];
    snprintf(cut, sizeof cut, "%s/cut.mmdb", tmpdir);
    int refused = 0, opened = 0;
    for (size_t k = 0; whole && k < len; k++) {
        FILE *fp = fopen(cut, "wb");
        if (!fp) break;
        fwrite(whole, 1, k, fp);
        fclose(fp);
        struct attr_opts o = {.asn_db = cut};
        struct err e;
        if (attr_open(&o, &e) < 0) {
            refused++;
            if (strncmp(e.msg, cut, strlen(cut)) != 0 || strchr(e.msg, '\n')) {
                CHECK_MSG(0, "at %zu: %s", k, e.msg);
                break;
            }
        } else {
            opened++;
            char r[4096];
            record("127.0.170.5", r, sizeof r, NULL);
            attr_close();
        }
    }
    CHECK_MSG(refused >= (int)len - 8, "refused %d of %zu (opened %d)", refused, len, opened);
    free(whole);
    struct err e;
    struct attr_opts o = {.asn_db = FIX "aws-ip-ranges.json"};
    CHECK(attr_open(&o, &e) < 0 && strstr(e.msg, "not a MaxMind DB file"));
    struct attr_opts o2 = {.geo_db = tmpdir};
    CHECK(attr_open(&o2, &e) < 0 && strstr(e.msg, "not a regular file"));
    struct attr_opts o3 = {.geo_db = "/nonexistent/x.mmdb"};
    CHECK(attr_open(&o3, &e) < 0 && strstr(e.msg, "/nonexistent/x.mmdb: "));
}

/* ---- range files ---- */

static int lookup(struct cloud_ranges *r, const char *ip, struct cloud_hit *h)
{
    memset(h, 0, sizeof *h);
    return cloud_ranges_lookup(r, ip, h);
}

static void load(struct cloud_ranges *r, const char *file)
{
    struct err e;
    CHECK_MSG(cloud_ranges_load_file(r, file, &e) == 0, "%s", e.msg);
}

static void test_recorded_ranges(void)
{
    struct cloud_ranges r;
    memset(&r, 0, sizeof r);
    struct cloud_hit h;
    load(&r, FIX "aws-ip-ranges.json");
    CHECK_INT(r.n, 5);
    CHECK(lookup(&r, "3.5.141.7", &h) == 1);
    CHECK_STR(h.provider, "aws");
    CHECK_STR(h.region, "ap-northeast-2");
    CHECK_STR(h.service, "AMAZON");
    CHECK_INT(h.plen, 22);
    CHECK(lookup(&r, "52.93.178.234", &h) == 1 && h.plen == 32);
    CHECK(lookup(&r, "52.93.178.235", &h) == 0);
    CHECK(lookup(&r, "2600:1f70:c000::9", &h) == 1);
    CHECK_STR(h.region, "us-west-1");
    CHECK_INT(h.plen, 56);
    load(&r, FIX "google-cloud.json");
    CHECK(lookup(&r, "34.81.200.1", &h) == 1);
    CHECK_STR(h.provider, "google-cloud");
    CHECK_STR(h.region, "asia-east1");
    CHECK_STR(h.service, "Google Cloud");
    load(&r, FIX "azure-service-tags.json");
    CHECK(lookup(&r, "13.86.97.230", &h) == 1);
    CHECK_STR(h.provider, "azure");
    CHECK_STR(h.region, "");
    CHECK_STR(h.service, "ApplicationInsightsAvailability");
    CHECK(lookup(&r, "2603:1000:4::10d", &h) == 1);
    CHECK_STR(h.service, "ActionGroup");
    load(&r, FIX "oracle-public-ip-ranges.json");
    CHECK(lookup(&r, "134.70.25.1", &h) == 1);
    CHECK_STR(h.provider, "oracle-cloud");
    CHECK_STR(h.region, "us-ashburn-1");
    CHECK_STR(h.service, "OSN");
    CHECK(lookup(&r, "129.146.7.255", &h) == 1);
    CHECK_STR(h.region, "us-phoenix-1");
    load(&r, FIX "cloudflare-ips-v4");
    load(&r, FIX "cloudflare-ips-v6");
    CHECK(lookup(&r, "104.16.1.1", &h) == 1);
    CHECK_STR(h.provider, "cloudflare");
    CHECK(lookup(&r, "131.0.75.255", &h) == 1); /* the last line, no newline after it */
    CHECK(lookup(&r, "2a06:98c7:ffff::1", &h) == 1 && h.plen == 29);
    CHECK(lookup(&r, "127.0.0.1", &h) == 0);
    CHECK(lookup(&r, "not an address", &h) == 0);
    cloud_ranges_free(&r);
}

static int parse_str(struct cloud_ranges *r, const char *s, struct err *e)
{
    return cloud_ranges_parse(r, "F", s, strlen(s), e);
}

static void test_longest_prefix(void)
{
    struct cloud_ranges r;
    memset(&r, 0, sizeof r);
    struct err e;
    struct cloud_hit h;
    CHECK(parse_str(&r,
                    "{\"createDate\":\"x\",\"prefixes\":["
                    "{\"ip_prefix\":\"10.0.0.0/8\",\"region\":\"wide\",\"service\":\"AMAZON\"},"
                    "{\"ip_prefix\":\"10.1.0.0/16\",\"region\":\"narrow\",\"service\":\"EC2\"},"
                    "{\"ip_prefix\":\"10.1.2.3/32\",\"region\":\"one\"}],"
                    "\"ipv6_prefixes\":[{\"ipv6_prefix\":\"2001:db8::/32\",\"region\":\"v6\"}]}",
                    &e) == 0);
    CHECK(lookup(&r, "10.1.2.3", &h) == 1);
    CHECK_STR(h.region, "one");
    CHECK_STR(h.service, "");
    CHECK(lookup(&r, "10.1.2.4", &h) == 1);
    CHECK_STR(h.region, "narrow");
    CHECK(lookup(&r, "10.200.0.1", &h) == 1);
    CHECK_STR(h.region, "wide");
    CHECK(lookup(&r, "11.0.0.1", &h) == 0);
    CHECK(lookup(&r, "2001:db8:ffff::1", &h) == 1);
    CHECK_STR(h.region, "v6");
    CHECK(lookup(&r, "::ffff:10.1.2.3", &h) == 1); /* mapped: the IPv4 entry */
    cloud_ranges_free(&r);
    /* Azure lists a prefix under several tags: the one naming a service and a region wins */
    CHECK(parse_str(&r,
                    "{\"values\":["
                    "{\"properties\":{\"region\":\"\",\"systemService\":\"\","
                    "\"addressPrefixes\":[\"20.0.0.0/16\"]}},"
                    "{\"properties\":{\"region\":\"eastus\",\"systemService\":\"AzureStorage\","
                    "\"addressPrefixes\":[\"20.0.0.0/16\"]}},"
                    "{\"properties\":{\"region\":\"eastus\",\"systemService\":\"\","
                    "\"addressPrefixes\":[\"20.0.0.0/16\"]}}]}",
                    &e) == 0);
    CHECK(lookup(&r, "20.0.9.9", &h) == 1);
    CHECK_STR(h.region, "eastus");
    CHECK_STR(h.service, "AzureStorage");
    cloud_ranges_free(&r);
    /* host bits set are masked; a /0 covers everything of its family */
    CHECK(parse_str(&r, "# comment\n\n  192.0.2.77/24  \r\n0.0.0.0/0\n", &e) == 0);
    CHECK(lookup(&r, "192.0.2.1", &h) == 1 && h.plen == 24);
    CHECK(lookup(&r, "8.8.8.8", &h) == 1 && h.plen == 0);
    CHECK(lookup(&r, "2001:db8::1", &h) == 0);
    cloud_ranges_free(&r);
}

static void test_hostile_ranges(void)
{
    static const char *const bad[][2] = {
        {"", "empty"},
        {"   \n\t", "empty"},
        {"{", "not valid JSON"},
        {"[1,2]", "line 1: not a CIDR"}, /* not an object: read as a list */
        {"{\"foo\":1}", "no range format"},
        {"{\"prefixes\":[{\"ip_prefix\":\"10.0.0.0/33\"}],\"createDate\":\"x\"}", "not a CIDR"},
        {"{\"prefixes\":[{\"ip_prefix\":7}],\"createDate\":\"x\"}", "not a string"},
        {"{\"prefixes\":[{\"region\":\"x\"}],\"createDate\":\"x\"}", "no ip_prefix"},
        {"{\"prefixes\":[{\"ipv4Prefix\":\"1.2.3.4\"}]}", "not a CIDR"},
        {"{\"values\":{}}", "not an array"},
        {"{\"values\":[{\"properties\":{\"addressPrefixes\":[1]}}]}", "not a string"},
        {"{\"regions\":[{\"region\":\"r\",\"cidrs\":[{\"cidr\":\"1.2.3.0/24x\"}]}]}", "not a CIDR"},
        {"{\"regions\":[]}", "no ranges"},
        {"1.2.3.4\n", "line 1: not a CIDR"},
        {"1.2.3.0/24\nfe80::/10\n999.1.1.1/8\n", "line 3"},
        {"1.2.3.0/24\n::/129\n", "line 2"},
        {"1.2.3.0/-1\n", "not a CIDR"},
        {"1.2.3.0/ 24\n", "not a CIDR"},
        {"/24\n", "not a CIDR"},
        {"1.2.3.0/0024\n", "not a CIDR"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        struct cloud_ranges r;
        memset(&r, 0, sizeof r);
        struct err e;
        int rc = parse_str(&r, bad[i][0], &e);
        CHECK_MSG(rc < 0 && strncmp(e.msg, "F: ", 3) == 0 && strstr(e.msg, bad[i][1]) &&
                      !strchr(e.msg, '\n'),
                  "case %zu: rc %d: %s", i, rc, rc < 0 ? e.msg : "");
        CHECK(r.n == 0);
        cloud_ranges_free(&r);
    }
    /* a NUL byte, a file over the cap (never read past the cap) */
    struct cloud_ranges r;
    memset(&r, 0, sizeof r);
    struct err e;
    CHECK(cloud_ranges_parse(&r, "F", "1.2.3.0/24\n\0", 12, &e) < 0 && strstr(e.msg, "NUL"));
    char *big = calloc(1, (size_t)RANGES_FILE_CAP + 1);
    CHECK(big && cloud_ranges_parse(&r, "F", big, (size_t)RANGES_FILE_CAP + 1, &e) < 0 &&
          strstr(e.msg, "larger than"));
    free(big);
    /* more JSON values than the cap: refused before jansson builds its tree */
    size_t nv = (size_t)RANGES_MAX_JSON_VALUES + 2;
    char *many = malloc(2 * nv + 16);
    CHECK(many != NULL);
    if (many) {
        size_t k = (size_t)sprintf(many, "{\"values\":[");
        for (size_t i = 0; i < nv; i++)
            many[k++] = '0', many[k++] = ',';
        memcpy(many + k - 1, "]}", 3);
        CHECK(cloud_ranges_parse(&r, "F", many, strlen(many), &e) < 0 &&
              strstr(e.msg, "JSON values (the cap)"));
        free(many);
    }
    /* a failed file leaves what earlier files loaded */
    CHECK(parse_str(&r, "10.0.0.0/8\n", &e) == 0);
    CHECK(parse_str(&r, "11.0.0.0/8\nbad\n", &e) < 0);
    CHECK_INT(r.n, 1);
    cloud_ranges_free(&r);
    CHECK(cloud_ranges_load_file(&r, "/nonexistent/ranges.json", &e) < 0 &&
          strstr(e.msg, "/nonexistent/ranges.json: "));
}

/* Every recorded file cut at every offset: a clear one-line error or a table, never a crash. */
static void test_truncations(void)
{
    static const char *const files[] = {
        FIX "aws-ip-ranges.json",           FIX "google-cloud.json", FIX "azure-service-tags.json",
        FIX "oracle-public-ip-ranges.json", FIX "cloudflare-ips-v4", FIX "cloudflare-ips-v6",
    };
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        size_t len = 0;
        char *whole = slurp(files[i], &len);
        CHECK(whole != NULL);
        if (!whole) continue;
        int bad = 0;
        for (size_t k = 0; k <= len; k++) {
            char *p = malloc(k ? k : 1); /* exactly k bytes: ASan sees a read past the cut */
            memcpy(p, whole, k);
            struct cloud_ranges r;
            memset(&r, 0, sizeof r);
            struct err e;
            int rc = cloud_ranges_parse(&r, "F", p, k, &e);
            if (rc < 0 && (strncmp(e.msg, "F: ", 3) != 0 || strchr(e.msg, '\n'))) bad++;
            if (rc == 0) {
                struct cloud_hit h;
                cloud_ranges_lookup(&r, "104.16.1.1", &h);
            }
            if (k == len) CHECK_MSG(rc == 0, "%s whole: %s", files[i], e.msg);
            cloud_ranges_free(&r);
            free(p);
        }
        CHECK_MSG(bad == 0, "%s: %d bad messages", files[i], bad);
        free(whole);
    }
}

/* The range file wins over the AS table for the cloud object. */
static void test_ranges_win(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/aws.json", tmpdir);
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (!fp) return;
    fputs(
        "{\"syncToken\":\"1\",\"createDate\":\"2026-01-01-00-00-00\",\"prefixes\":[{\"ip_prefix\":"
        "\"127.0.170.128/25\",\"region\":\"test-region-1\",\"service\":\"EC2\","
        "\"network_border_group\":\"test-region-1\"}],\"ipv6_prefixes\":[]}",
        fp);
    fclose(fp);
    const char *files[] = {path};
    struct attr_opts o = {.asn_db = db("asn"), .ranges = files, .nranges = 1};
    struct err e;
    CHECK_MSG(attr_open(&o, &e) == 0, "%s", e.msg);
    char r[4096];
    struct finding f;
    record("127.0.170.200", r, sizeof r, &f);
    CHECK_STR(f.attr.cloud, "aws");
    CHECK_STR(f.attr.cloud_region, "test-region-1");
    CHECK_STR(f.attr.cloud_service, "EC2");
    CHECK_INT(f.attr.asn, 37963);
    finding_free(&f);
    CHECK_MSG(strstr(r, "\"cloud\":{\"provider\":\"aws\",\"region\":\"test-region-1\","
                        "\"service\":\"EC2\"}"),
              "%s", r);
    record("127.0.170.5", r, sizeof r, &f); /* outside the ranges: the AS table */
    CHECK_STR(f.attr.cloud, "alibaba-cloud");
    finding_free(&f);
    attr_close();
    /* ranges alone (no database): the cloud object only */
    struct attr_opts o2 = {.ranges = files, .nranges = 1};
    CHECK(attr_open(&o2, &e) == 0);
    record("127.0.170.129", r, sizeof r, NULL);
    CHECK(strstr(r, "\"cloud\":{") && !strstr(r, "\"network\""));
    attr_close();
    /* a bad range file refuses the whole set */
    const char *bad[] = {path, FIX "../SOURCES.md"};
    struct attr_opts o3 = {.asn_db = db("asn"), .ranges = bad, .nranges = 2};
    CHECK(attr_open(&o3, &e) < 0 && strstr(e.msg, "SOURCES.md: line "));
    CHECK(!attr_active());
}

static void test_table(void)
{
    CHECK_STR(attr_cloud_asn(37963), "alibaba-cloud");
    CHECK_STR(attr_cloud_asn(45102), "alibaba-cloud");
    CHECK_STR(attr_cloud_asn(132203), "tencent-cloud");
    CHECK_STR(attr_cloud_asn(136907), "huawei-cloud");
    CHECK_STR(attr_cloud_asn(14618), "aws");
    CHECK_STR(attr_cloud_asn(8075), "azure");
    CHECK_STR(attr_cloud_asn(63949), "linode-akamai");
    CHECK(attr_cloud_asn(64512) == NULL);
    CHECK(attr_cloud_asn(0) == NULL);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ajar-attr-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    static const char *const layouts[] = {"asn",    "dbip-asn",    "country", "city",
                                          "ipinfo", "ipinfo-lite", "lacking", "foreign"};
    bool made = true;
    for (size_t i = 0; i < ARRAY_LEN(layouts); i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "perl tests/tools/make-mmdb.pl %s %s", layouts[i],
                 db(layouts[i]));
        if (system(cmd) != 0) made = false;
    }
    CHECK_MSG(made, "tests/tools/make-mmdb.pl failed (libmaxmind-db-writer-perl installed?)");
    test_table();
    test_no_options();
    if (made) {
        test_layouts();
        test_maxmind();
        test_ipinfo();
        test_lacking();
        test_truncated_mmdb();
        test_ranges_win();
    }
    test_recorded_ranges();
    test_longest_prefix();
    test_hostile_ranges();
    test_truncations();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return T_END();
}
