/*
 * tests/unit/test_rdns.c -- --rdns's names: rdns_name_norm (host name
 * syntax, lowercase, the root's dot, wildcards only from certificates, caps,
 * addresses refused), rdns_fill (PTR names first, then the certificate's CN
 * and SAN DNS names, deduplicated, capped at FINDING_MAX_HOSTNAMES, IP SANs
 * left out), the record ("hostnames" and "ptr" only with --rdns; both
 * writers byte for byte equal; read back), --resolver's syntax, and a
 * resolver that does not answer settling within the bound (loopback only),
 * and the hold: findings wait for their names, the checkpoint passed on
 * stays where it was when the oldest waiting finding came.
 */
#include "cli/rdns_hold.h"
#include "core/finding.h"
#include "core/util.h"
#include "net/rdns.h"
#include "t.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *norm(const char *s, bool wildcard)
{
    static char out[FINDING_HOSTNAME_MAX + 1];
    size_t n = rdns_name_norm(out, sizeof out, s, strlen(s), wildcard);
    return n ? out : NULL;
}

static void test_norm(void)
{
    CHECK_STR(norm("db1.example.com", false), "db1.example.com");
    CHECK_STR(norm("DB1.Example.COM.", false), "db1.example.com");
    CHECK_STR(norm("localhost", false), "localhost");
    CHECK_STR(norm("a-b_c.x9", false), "a-b_c.x9");
    CHECK_STR(norm("1e100.net", false), "1e100.net");
    CHECK(!norm("", false));
    CHECK(!norm(".", false));
    CHECK(!norm("a..b", false));
    CHECK(!norm(".a.b", false));
    CHECK(!norm("a.b..", false));
    CHECK(!norm("-a.b", false));
    CHECK(!norm("a-.b", false));
    CHECK(!norm("a.b-", false));
    CHECK(!norm("a b.c", false));
    CHECK(!norm("bad!label.example", false));
    CHECK(!norm("a\\033b.example", false));
    CHECK(!norm("10.0.0.1", false));
    CHECK(!norm("10.0.0.1.", false));
    CHECK(!norm("1234", false));
    CHECK(!norm("::1", false));
    CHECK(!norm("fe80::1", false));
    CHECK(!norm("caf\xc3\xa9.example", false));
    /* wildcards: a leftmost "*" label, only when asked for */
    CHECK(!norm("*.example.com", false));
    CHECK_STR(norm("*.Example.com", true), "*.example.com");
    CHECK(!norm("*", true));
    CHECK(!norm("*.", true));
    CHECK(!norm("a.*.example.com", true));
    CHECK(!norm("*a.example.com", true));
    CHECK(!norm("**.example.com", true));
    /* a NUL inside */
    char out[FINDING_HOSTNAME_MAX + 1];
    CHECK_INT(rdns_name_norm(out, sizeof out, "a\0b.example", 11, false), 0);
    CHECK_INT(rdns_name_norm(out, sizeof out, NULL, 0, false), 0);
    CHECK_INT(rdns_name_norm(out, 10, "a.b", 3, false), 0); /* the caller's buffer too small */
    /* lengths: labels up to 63, names up to 253 (254 with the root's dot) */
    char lab[80];
    memset(lab, 'a', 63);
    memcpy(lab + 63, ".com", 5);
    CHECK(norm(lab, false) != NULL);
    memset(lab, 'a', 64);
    memcpy(lab + 64, ".com", 5);
    CHECK(!norm(lab, false));
    char big[300];
    size_t o = 0;
    for (int i = 0; i < 4; i++) { /* 4 x 63 + 3 dots = 255 */
        memset(big + o, 'b', 63);
        o += 63;
        big[o++] = '.';
    }
    big[--o] = 0;
    CHECK(!norm(big, false));
    big[253] = 0; /* 253: the last label is 62 long */
    CHECK(norm(big, false) != NULL && strlen(norm(big, false)) == 253);
    char big2[260];
    memcpy(big2, big, 253);
    big2[253] = '.';
    big2[254] = 0;
    CHECK(norm(big2, false) != NULL); /* 253 plus the root's dot */
}

/* Random strings from an alphabet with every troublesome byte: whatever is accepted is a host
 * name of at most 253 bytes in lowercase, and accepting it again gives the same. */
static void test_norm_random(void)
{
    static const char alpha[] = "aZ09-_.*.!\\ \x01\x7f\xc3\xa9:";
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int accepted = 0, bad = 0;
    for (int i = 0; i < 200000; i++) {
        char in[300], out[FINDING_HOSTNAME_MAX + 1], again[FINDING_HOSTNAME_MAX + 1];
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = (size_t)(x % (i % 10 == 0 ? 299 : 24)) + 1;
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            in[k] = alpha[x % (sizeof alpha - 1)];
        }
        bool wc = x & 1;
        size_t m = rdns_name_norm(out, sizeof out, in, n, wc);
        if (!m) continue;
        accepted++;
        bool ok = m <= FINDING_HOSTNAME_MAX && strlen(out) == m &&
                  strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789-_.*") == m &&
                  (!strchr(out, '*') || (wc && out[0] == '*' && !strchr(out + 1, '*'))) &&
                  rdns_name_norm(again, sizeof again, out, m, wc) == m && !strcmp(again, out);
        if (!ok) bad++;
    }
    CHECK(accepted > 100);
    CHECK_INT(bad, 0);
}

static void test_fill(void)
{
    struct finding f;
    finding_init(&f);
    char ptr[RDNS_MAX_PTR][FINDING_HOSTNAME_MAX + 1] = {"db1.example.com", "db1-alt.example.com"};
    f.tls.present = true;
    str_copy(f.tls.subject_cn, "DB1.example.com", sizeof f.tls.subject_cn);
    const char *san[] = {"*.example.com", "db1.example.com", "127.0.0.1",    "::1",
                         "bad name",      "www.example.com", "*.Example.com"};
    for (size_t i = 0; i < ARRAY_LEN(san); i++)
        CHECK(tls_add_san(&f.tls, san[i]));
    rdns_fill(&f, ptr, 2);
    CHECK(f.rdns);
    CHECK_INT(f.nhostnames, 4);
    CHECK_STR(f.hostnames[0], "db1.example.com");
    CHECK_STR(f.hostnames[1], "db1-alt.example.com");
    CHECK_STR(f.hostnames[2], "*.example.com");
    CHECK_STR(f.hostnames[3], "www.example.com");
    CHECK_INT(f.hostname_ptr, 3);
    /* filled again (a finding assessed twice): the same, not doubled */
    rdns_fill(&f, ptr, 2);
    CHECK_INT(f.nhostnames, 4);

    /* no TLS, no PTR: looked up, nothing */
    struct finding g;
    finding_init(&g);
    rdns_fill(&g, ptr, 0);
    CHECK(g.rdns);
    CHECK_INT(g.nhostnames, 0);

    /* the cap: 4 PTR names at most, 16 names in all */
    struct finding h;
    finding_init(&h);
    char many[RDNS_MAX_PTR][FINDING_HOSTNAME_MAX + 1];
    for (int i = 0; i < RDNS_MAX_PTR; i++)
        str_fmt(many[i], sizeof many[i], "p%d.example", i);
    h.tls.present = true;
    for (int i = 0; i < FINDING_MAX_SAN; i++) {
        char s[32];
        str_fmt(s, sizeof s, "s%d.example", i);
        CHECK(tls_add_san(&h.tls, s));
    }
    rdns_fill(&h, many, RDNS_MAX_PTR);
    CHECK_INT(h.nhostnames, FINDING_MAX_HOSTNAMES);
    CHECK_STR(h.hostnames[0], "p0.example");
    CHECK_STR(h.hostnames[RDNS_MAX_PTR], "s0.example");
    CHECK_INT(h.hostname_ptr, (1u << RDNS_MAX_PTR) - 1);
    finding_free(&f);
    finding_free(&g);
    finding_free(&h);
}

static char *dump(const struct finding *f, bool disc)
{
    json_t *j = finding_to_json(f, disc);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static bool writers_agree(const struct finding *f, bool disc)
{
    char *a = dump(f, disc);
    struct buf b;
    buf_init(&b, 1 << 20);
    bool same = finding_json_write(&b, f, disc, NULL) == 0 && a && !strcmp(a, (char *)b.data);
    if (!same) fprintf(stderr, "tree: %s\ntext: %s\n", a, b.data ? (char *)b.data : "");
    buf_free(&b);
    free(a);
    return same;
}

static void test_record(void)
{
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, "127.0.174.1", sizeof f.ip);
    f.port = 9200;
    f.time = 1700000000;
    str_copy(f.service, "elasticsearch", sizeof f.service);
    /* without --rdns: neither member */
    char *s = dump(&f, false);
    CHECK(s && !strstr(s, "hostnames") && !strstr(s, "\"ptr\""));
    free(s);
    CHECK(writers_agree(&f, false));
    /* looked up, nothing found: "ptr":[] and no "hostnames" */
    char none[1][FINDING_HOSTNAME_MAX + 1] = {""};
    rdns_fill(&f, none, 0);
    s = dump(&f, false);
    CHECK(s && !strstr(s, "hostnames") && strstr(s, "\"ptr\":[],\"service\""));
    free(s);
    CHECK(writers_agree(&f, false));
    CHECK(writers_agree(&f, true));
    /* PTR and certificate names */
    char ptr[RDNS_MAX_PTR][FINDING_HOSTNAME_MAX + 1] = {"es1.example.test"};
    f.tls.present = true;
    str_copy(f.tls.subject_cn, "es.example.test", sizeof f.tls.subject_cn);
    CHECK(tls_add_san(&f.tls, "*.example.test"));
    rdns_fill(&f, ptr, 1);
    s = dump(&f, false);
    CHECK(s && strstr(s, "\"time\":\"2023-11-14T22:13:20Z\",\"hostnames\":[\"es1.example.test\","
                         "\"es.example.test\",\"*.example.test\"],\"ptr\":[\"es1.example.test\"],"
                         "\"service\""));
    free(s);
    CHECK(writers_agree(&f, false));
    CHECK(writers_agree(&f, true));
    s = dump(&f, true);
    CHECK(s && strstr(s, "\"ptr\":[\"es1.example.test\"]}"));
    free(s);
    /* read back: the same record */
    json_t *j = finding_to_json(&f, false);
    struct finding g;
    CHECK_INT(finding_from_json(&g, j), 0);
    CHECK(g.rdns);
    CHECK_INT(g.nhostnames, 3);
    CHECK_INT(g.hostname_ptr, 1);
    char *a = dump(&f, false), *b = dump(&g, false);
    CHECK(a && b && !strcmp(a, b));
    free(a);
    free(b);
    json_decref(j);
    /* a stored record without the members reads back without them */
    finding_free(&g);
    json_t *plain = json_pack("{s:s,s:i}", "ip", "127.0.174.1", "port", 80);
    CHECK_INT(finding_from_json(&g, plain), 0);
    CHECK(!g.rdns && g.nhostnames == 0);
    json_decref(plain);
    /* a hostile stored record: more names than the cap */
    json_t *hn = json_array();
    for (int i = 0; i < 40; i++) {
        char n[32];
        str_fmt(n, sizeof n, "h%d.example", i);
        json_array_append_new(hn, json_string(n));
    }
    json_t *big = json_pack("{s:s,s:i,s:o,s:[s]}", "ip", "127.0.174.1", "port", 80, "hostnames", hn,
                            "ptr", "h0.example");
    finding_free(&g);
    CHECK_INT(finding_from_json(&g, big), 0);
    CHECK_INT(g.nhostnames, FINDING_MAX_HOSTNAMES);
    CHECK_INT(g.hostname_ptr, 1);
    json_decref(big);
    finding_free(&g);
    finding_free(&f);
}

static void test_server(void)
{
    struct rdns_server s;
    struct err e;
    CHECK_INT(rdns_server_parse("127.0.174.53", &s, &e), 0);
    CHECK(s.family == 2 && s.port == 53);
    CHECK_INT(rdns_server_parse("127.0.174.53:5353", &s, &e), 0);
    CHECK_INT(s.port, 5353);
    CHECK_INT(rdns_server_parse("::1", &s, &e), 0);
    CHECK(s.family == 10 && s.port == 53);
    CHECK_INT(rdns_server_parse("[::1]:5300", &s, &e), 0);
    CHECK(s.family == 10 && s.port == 5300);
    CHECK_INT(rdns_server_parse("[::1]", &s, &e), 0);
    CHECK_INT(rdns_server_parse("dns.example.com", &s, &e), -1);
    CHECK(strstr(e.msg, "not an IP address") != NULL);
    CHECK_INT(rdns_server_parse("dns.example.com:53", &s, &e), -1);
    CHECK_INT(rdns_server_parse("127.0.0.1:0", &s, &e), -1);
    CHECK_INT(rdns_server_parse("127.0.0.1:65536", &s, &e), -1);
    CHECK_INT(rdns_server_parse("127.0.0.1:", &s, &e), -1);
    CHECK_INT(rdns_server_parse("127.0.0.1:53x", &s, &e), -1);
    CHECK_INT(rdns_server_parse("[::1]x", &s, &e), -1);
    CHECK_INT(rdns_server_parse("[::1", &s, &e), -1);
    CHECK_INT(rdns_server_parse("", &s, &e), -1);
    CHECK_INT(rdns_server_parse("127.1", &s, &e), -1);
}

/* A resolver address where nothing listens (loopback): every address settles, with no names,
 * within the bound; asking twice is once. */
static void test_unanswered(void)
{
    struct rdns *r = NULL;
    struct err e;
    struct rdns_opts o = {.resolver = "127.0.174.59:5399", .timeout_ms = 600};
    CHECK_INT(rdns_open(&r, &o, &e), 0);
    if (!r) return;
    int64_t t0 = now_ms();
    rdns_want(r, "127.0.174.1");
    rdns_want(r, "127.0.174.1");
    rdns_want(r, "::1");
    rdns_want(r, "not an address");
    char names[RDNS_MAX_PTR][FINDING_HOSTNAME_MAX + 1];
    int n = -1, done = 0;
    while (now_ms() - t0 < 3000) {
        done = rdns_names(r, "127.0.174.1", names, &n) + rdns_names(r, "::1", names, &n);
        if (done == 2) break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int64_t took = now_ms() - t0;
    CHECK_INT(done, 2);
    CHECK_MSG(took <= 600 + 100, "settled after %lld ms", (long long)took);
    CHECK_INT(n, 0);
    CHECK_INT(rdns_names(r, "127.0.174.2", names, &n), 1); /* never asked: settled, nothing */
    CHECK_INT(n, 0);
    CHECK_INT(rdns_names(r, "not an address", names, &n), 1);
    CHECK(rdns_pending_ms(r) <= 600);
    rdns_close(r);
    /* closed with queries out: nothing leaks, nothing waits */
    CHECK_INT(rdns_open(&r, &o, &e), 0);
    if (!r) return;
    for (int i = 1; i < 200; i++) {
        char ip[32];
        str_fmt(ip, sizeof ip, "127.0.174.%d", i);
        rdns_want(r, ip);
    }
    t0 = now_ms();
    rdns_close(r);
    CHECK(now_ms() - t0 < 1000);
    o.resolver = "dns.example.com";
    CHECK_INT(rdns_open(&r, &o, &e), -1);
    CHECK(r == NULL);
}

struct sink {
    int emitted;
    bool rdns_set;
    uint64_t cp;
    int ncp;
};

static int sink_emit(void *arg, struct finding *f)
{
    struct sink *k = arg;
    k->emitted++;
    k->rdns_set = f->rdns;
    return 0;
}

static void sink_cp(void *arg, uint64_t pos)
{
    struct sink *k = arg;
    k->cp = pos;
    k->ncp++;
}

/* A resolver that reads nothing: a UDP socket of our own on loopback. */
static void test_hold(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.174.60", &sa.sin_addr);
    socklen_t sl = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        CHECK(!"a UDP socket on 127.0.174.60");
        if (fd >= 0) close(fd);
        return;
    }
    char res[64];
    str_fmt(res, sizeof res, "127.0.174.60:%u", (unsigned)ntohs(sa.sin_port));
    struct rdns_opts o = {.resolver = res, .timeout_ms = 400};
    struct sink k = {0, false, 0, 0};
    struct rdns_hold *h = NULL;
    struct err e;
    CHECK_INT(rdns_hold_open(&h, &o, sink_emit, sink_cp, &k, &e), 0);
    if (!h) {
        close(fd);
        return;
    }
    rdns_hold_checkpoint(h, 5);
    CHECK_INT(k.cp, 5);
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, "127.0.174.7", sizeof f.ip);
    f.port = 1;
    CHECK_INT(rdns_hold_add(h, &f), 0);
    f.port = 2;
    CHECK_INT(rdns_hold_add(h, &f), 0);
    CHECK_INT(k.emitted, 0); /* both wait for 127.0.174.7's names */
    rdns_hold_checkpoint(h, 10);
    CHECK_INT(k.cp, 5); /* held back: the waiting findings came at 5 */
    int64_t t0 = now_ms();
    CHECK_INT(rdns_hold_drain(h), 0);
    int64_t took = now_ms() - t0;
    CHECK_INT(k.emitted, 2);
    CHECK(k.rdns_set);
    CHECK_INT(k.cp, 10);
    CHECK_MSG(took <= 400 + 150, "drained after %lld ms", (long long)took);
    /* the address is settled now: a later finding goes at once */
    f.port = 3;
    CHECK_INT(rdns_hold_add(h, &f), 0);
    CHECK_INT(k.emitted, 3);
    rdns_hold_close(h);
    finding_free(&f);
    close(fd);
}

int main(void)
{
    test_norm();
    test_norm_random();
    test_fill();
    test_record();
    test_server();
    test_unanswered();
    test_hold();
    return T_END();
}
