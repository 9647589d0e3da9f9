/*
 * tests/unit/test_target.c -- target specs (target/target.c): every form,
 * what must be refused and how the refusal reads, the blocklist rule,
 * excludes, -iL files, and the sizes that come out.
 *
 * The only name resolved is "localhost" (from /etc/hosts); the failing name
 * is under .invalid, which never reaches a resolver.
 */
#include "target/target.h"
#include "unit/t.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static struct err last_err;

/* Build from one spec string (may hold several items) with -p ports and up to one exclude. */
static struct target_set *mk2(const char *spec, const char *ports, const char *exclude)
{
    struct target_set *t = NULL;
    const char *specs[] = {spec};
    const char *ex[] = {exclude};
    struct target_opts o = {.ports = ports, .exclude = ex, .n_exclude = exclude ? 1 : 0};
    last_err.msg[0] = 0;
    if (target_set_new(&t, specs, 1, &o, &last_err) < 0) return NULL;
    return t;
}

static struct target_set *mk(const char *spec, const char *ports)
{
    struct target_set *t = mk2(spec, ports, NULL);
    CHECK_MSG(t != NULL, "'%s': %s", spec, last_err.msg);
    return t;
}

/* Size of the set built from spec, or -1 (with a failure recorded) when it did not build. */
static long long size_of(const char *spec, const char *ports)
{
    struct target_set *t = mk(spec, ports);
    if (!t) return -1;
    long long n = (long long)target_set_size(t);
    target_set_free(t);
    return n;
}

/* The spec must be refused, and the message must quote the offending item and contain frag. */
static void bad(const char *spec, const char *item, const char *frag)
{
    struct target_set *t = mk2(spec, "80", NULL);
    CHECK_MSG(t == NULL, "'%s' accepted", spec);
    target_set_free(t);
    char q[300];
    str_fmt(q, sizeof q, "'%s'", item);
    CHECK_MSG(strstr(last_err.msg, q) != NULL, "'%s': message does not name %s: %s", spec, q,
              last_err.msg);
    if (frag)
        CHECK_MSG(strstr(last_err.msg, frag) != NULL, "'%s': message lacks '%s': %s", spec, frag,
                  last_err.msg);
}

static bool has4(const struct target_set *t, const char *ip, uint16_t port)
{
    uint8_t a[16] = {0};
    if (inet_pton(AF_INET, ip, a) != 1) return false;
    return target_set_contains(t, AF_INET, a, port);
}

static bool has6(const struct target_set *t, const char *ip, uint16_t port)
{
    uint8_t a[16] = {0};
    if (inet_pton(AF_INET6, ip, a) != 1) return false;
    return target_set_contains(t, AF_INET6, a, port);
}

/* The single target of a set of size 1, as "addr port host". */
static void only(const char *spec, const char *ports, const char *want)
{
    struct target_set *t = mk(spec, ports);
    if (!t) return;
    CHECK_MSG(target_set_size(t) == 1, "'%s': size %llu", spec,
              (unsigned long long)target_set_size(t));
    struct target tg;
    char a[64], got[300];
    if (target_set_get(t, 0, &tg) == 0) {
        target_addr_str(&tg, a, sizeof a);
        str_fmt(got, sizeof got, "%s %s %u %s", tg.family == AF_INET ? "v4" : "v6", a, tg.port,
                tg.host ? tg.host : "-");
        CHECK_STR(got, want);
    } else {
        CHECK_MSG(0, "'%s': no target 0", spec);
    }
    target_set_free(t);
}

static void test_forms(void)
{
    only("127.0.0.1", "6379", "v4 127.0.0.1 6379 -");
    only("127.0.0.1:6379", "80,443", "v4 127.0.0.1 6379 -");
    only("127.0.0.1:redis", NULL, "v4 127.0.0.1 6379 -");
    only("[::1]:6379", "80", "v6 ::1 6379 -");
    only("::1", "9200", "v6 ::1 9200 -");
    only("[::1]", "9200", "v6 ::1 9200 -");
    only("::ffff:127.0.0.9", "80", "v4 127.0.0.9 80 -"); /* IPv4-mapped becomes IPv4 */
    only("fe80::1", "80", "v6 fe80::1 80 -");
    only("10.0.0.5-5", "80", "v4 10.0.0.5 80 -");
    only("10.1.2.3/32", "80", "v4 10.1.2.3 80 -");

    CHECK_INT(size_of("10.0.0.0/30", "80"), 4);
    CHECK_INT(size_of("10.0.0.0/24", "80,443"), 512);
    CHECK_INT(size_of("10.0.0.5-10.0.0.90", "80"), 86);
    CHECK_INT(size_of("10.0.0.5-90", "80"), 86);
    CHECK_INT(size_of("10.0.0.250-10.0.1.5", "80"), 12);
    CHECK_INT(size_of("10.0.0.0/8", "80"), 1 << 24);
    CHECK_INT(size_of("fd00::/120", "80"), 256);
    CHECK_INT(size_of("fd00::1-fd00::10", "80"), 16);
    CHECK_INT(size_of("fd00::1-10", "80"), 16); /* last-group shorthand, hex */
    CHECK_INT(size_of("fd00::/80", "80"), 1LL << 48);
    CHECK_INT(size_of("[fd00::/126]:6379", "80,443"), 4);
    CHECK_INT(size_of("10.0.0.0/30:6379", "80,443"), 4);
    CHECK_INT(size_of("127.0.0.1,127.0.0.2 127.0.0.3", "80"), 3);
    CHECK_INT(size_of("  127.0.0.1  ", "80"), 1);

    /* a CIDR with host bits set means its network */
    struct target_set *t = mk("10.0.0.5/30", "80");
    if (t) {
        CHECK(target_set_size(t) == 4 && has4(t, "10.0.0.4", 80) && has4(t, "10.0.0.7", 80) &&
              !has4(t, "10.0.0.8", 80) && !has4(t, "10.0.0.3", 80));
        target_set_free(t);
    }
    /* host:port keeps its own port only */
    t = mk("127.0.0.1:6379", "80,443");
    if (t) {
        CHECK(has4(t, "127.0.0.1", 6379) && !has4(t, "127.0.0.1", 80));
        CHECK_INT(target_set_nports(t), 2);
        CHECK(target_set_ports(t)[0] == 80 && target_set_ports(t)[1] == 443);
        target_set_free(t);
    }
    /* default ports when -p is not given */
    t = mk("127.0.0.1", NULL);
    if (t) {
        uint16_t *dp = NULL;
        size_t want = 0;
        struct err pe;
        CHECK(ports_parse(ports_default_spec(), &dp, &want, &pe) == 0 && want > 40);
        free(dp);
        CHECK_INT(target_set_nports(t), want);
        CHECK(has4(t, "127.0.0.1", 6379) && has4(t, "127.0.0.1", 27019) &&
              !has4(t, "127.0.0.1", 22));
        target_set_free(t);
    }
}

static void test_names(void)
{
    struct target_set *t = mk("localhost", "6379,9200");
    if (t) {
        uint64_t n = target_set_size(t);
        CHECK(n >= 2 && n % 2 == 0);
        int ok = 0;
        for (uint64_t i = 0; i < n; i++) {
            struct target tg;
            char a[64];
            if (target_set_get(t, i, &tg) < 0) continue;
            target_addr_str(&tg, a, sizeof a);
            bool loop = (tg.family == AF_INET && tg.addr[0] == 127) ||
                        (tg.family == AF_INET6 && strcmp(a, "::1") == 0);
            ok += loop && tg.host && strcmp(tg.host, "localhost") == 0;
        }
        CHECK_INT(ok, n);
        target_set_free(t);
    }
    t = mk("localhost:redis", "80");
    if (t) {
        struct target tg;
        CHECK(target_set_get(t, 0, &tg) == 0 && tg.port == 6379 && tg.host &&
              strcmp(tg.host, "localhost") == 0);
        CHECK(target_set_get(t, target_set_size(t), &tg) < 0);
        target_set_free(t);
    }
    /* the same name twice is scanned once; the name is kept apart from the bare address */
    t = mk("localhost,localhost", "80");
    if (t) {
        uint64_t n1 = target_set_size(t);
        target_set_free(t);
        t = mk("localhost,127.0.0.1", "80");
        if (t) {
            CHECK(target_set_size(t) == n1 + 1);
            target_set_free(t);
        }
    }
    bad("nosuchhost.invalid", "nosuchhost.invalid", "cannot resolve");
    bad("db.example.invalid:6379", "db.example.invalid:6379", "cannot resolve");

    /* --no-resolve refuses names, addresses still pass */
    const char *specs[] = {"127.0.0.1", "localhost"};
    struct target_opts o = {.no_resolve = true};
    struct err e;
    t = NULL;
    CHECK(target_set_new(&t, specs, 2, &o, &e) < 0 && strstr(e.msg, "'localhost'") &&
          strstr(e.msg, "resolution"));
    target_set_free(t);
    CHECK(target_set_new(&t, specs, 1, &o, &e) == 0);
    target_set_free(t);
}

static void test_bad(void)
{
    bad("10.0.0.256", "10.0.0.256", "IPv4");
    bad("10.0.0.300", "10.0.0.300", NULL);
    bad("10.0.0.0/33", "10.0.0.0/33", "0-32");
    bad("10.0.0.0/", "10.0.0.0/", NULL);
    bad("10.0.0.0/-1", "10.0.0.0/-1", NULL);
    bad("1.2.3.4-1.2.3.1", "1.2.3.4-1.2.3.1", "before");
    bad("10.0.0.9-5", "10.0.0.9-5", "before");
    bad("10.0.0.1-256", "10.0.0.1-256", NULL);
    bad("10.0.0.1-", "10.0.0.1-", NULL);
    bad("10.0.0-5", "10.0.0-5", NULL);
    bad("1.2.3", "1.2.3", NULL);
    bad("1.2.3.4.5", "1.2.3.4.5", NULL);
    bad("01.2.3.4", "01.2.3.4", NULL);
    bad("::g", "::g", "IPv6");
    bad("fd00::/129", "fd00::/129", "0-128");
    bad("fd00::5-fd00::1", "fd00::5-fd00::1", "before");
    bad("fe80::1%eth0", "fe80::1%eth0", "zone");
    bad("", "", "empty");
    bad("   ", "", "empty");
    bad("127.0.0.1,", "", "empty");
    bad(",127.0.0.1", "", "empty");
    bad("localhost:99999", "localhost:99999", "1-65535");
    bad("127.0.0.1:99999", "127.0.0.1:99999", "1-65535");
    bad("127.0.0.1:0", "127.0.0.1:0", "1-65535");
    bad("127.0.0.1:", "127.0.0.1:", "port");
    bad("127.0.0.1:nosuchsvc", "127.0.0.1:nosuchsvc", "nosuchsvc");
    bad("[::1", "[::1", "]");
    bad("[::1]x", "[::1]x", NULL);
    bad("[127.0.0.1]:80", "[127.0.0.1]:80", NULL);
    bad("a..b", "a..b", NULL);
    bad("-", "-", NULL);
    bad("bad!name", "bad!name", NULL);
    bad("0x7f.1", "0x7f.1", NULL);
    /* wider than can be enumerated */
    bad("fd00::/64", "fd00::/64", "too wide");
    bad("fd00::/79", "fd00::/79", "/80");
    bad("::/0", "::/0", "too wide");
    /* the first bad item of a list is named */
    bad("127.0.0.1,10.0.0.999,127.0.0.2", "10.0.0.999", NULL);

    /* too many pairs in total */
    struct target_set *t = mk2("fd00::/80", "-", NULL);
    CHECK(t == NULL && strstr(last_err.msg, "too many"));
    target_set_free(t);

    /* bad ports and no targets */
    t = mk2("127.0.0.1", "80,abc", NULL);
    CHECK(t == NULL && strstr(last_err.msg, "'abc'"));
    struct err e;
    CHECK(target_set_new(&t, NULL, 0, NULL, &e) < 0 && strstr(e.msg, "no targets"));
}

static void test_blocklist(void)
{
    struct target_set *t = mk("0.0.0.0/0", "80");
    if (t) {
        static const char *const out[] = {
            "0.0.0.0",      "0.255.255.255",   "10.0.0.1",    "10.255.255.255", "100.64.0.1",
            "100.127.1.1",  "127.0.0.1",       "127.0.0.5",   "169.254.1.1",    "172.16.0.1",
            "172.31.9.9",   "192.0.0.8",       "192.0.2.1",   "192.168.1.1",    "198.18.0.1",
            "198.19.255.1", "198.51.100.7",    "203.0.113.9", "224.0.0.1",      "239.255.255.250",
            "240.0.0.1",    "255.255.255.255",
        };
        static const char *const in[] = {
            "1.1.1.1",         "8.8.8.8",        "9.255.255.255",   "11.0.0.0",
            "100.63.255.255",  "100.128.0.0",    "126.255.255.255", "128.0.0.0",
            "169.253.255.255", "172.15.255.255", "172.32.0.0",      "192.0.1.1",
            "192.167.255.255", "192.169.0.0",    "198.17.255.255",  "198.20.0.0",
            "223.255.255.255",
        };
        for (size_t i = 0; i < ARRAY_LEN(out); i++)
            CHECK_MSG(!has4(t, out[i], 80), "0.0.0.0/0 includes %s", out[i]);
        for (size_t i = 0; i < ARRAY_LEN(in); i++)
            CHECK_MSG(has4(t, in[i], 80), "0.0.0.0/0 lacks %s", in[i]);
        CHECK(!has4(t, "8.8.8.8", 81));
        CHECK_INT(target_set_size(t), 3702258688LL);
        CHECK(target_set_nsegments(t) < 32);
        target_set_free(t);
    }
    /* named inside a named-only range: kept */
    CHECK_INT(size_of("127.0.0.5", "80"), 1);
    CHECK_INT(size_of("127.0.0.0/8", "80"), 1 << 24);
    CHECK_INT(size_of("10.0.0.0/8", "80"), 1 << 24);
    CHECK_INT(size_of("192.168.1.0/24", "80"), 256);
    CHECK_INT(size_of("169.254.169.254", "80"), 1);
    CHECK_INT(size_of("100.64.0.0/10", "80"), 1 << 22);
    CHECK_INT(size_of("198.18.0.0/15", "80"), 1 << 17);
    /* broader than one: the named-only part is dropped, the rest kept */
    t = mk("10.0.0.0/7", "80");
    if (t) {
        CHECK(target_set_size(t) == (1u << 24) && has4(t, "11.0.0.1", 80) &&
              has4(t, "11.255.255.255", 80) && !has4(t, "10.0.0.1", 80));
        target_set_free(t);
    }
    CHECK_INT(size_of("126.0.0.0/7", "80"), 1 << 24);  /* 126/8 kept, 127/8 dropped */
    CHECK_INT(size_of("172.0.0.0/11", "80"), 1 << 20); /* 172.16/12 dropped */
    CHECK_INT(size_of("127.255.255.255-128.0.0.0", "80"), 1);
    /* never, even when named */
    CHECK_INT(size_of("224.0.0.1", "80"), 0);
    CHECK_INT(size_of("255.255.255.255", "80"), 0);
    CHECK_INT(size_of("0.0.0.0", "80"), 0);
    CHECK_INT(size_of("0.1.2.3:80", "80"), 0);
    CHECK_INT(size_of("192.0.2.0/24", "80"), 0);
    CHECK_INT(size_of("198.51.100.1", "80"), 0);
    CHECK_INT(size_of("203.0.113.0/25", "80"), 0);
    CHECK_INT(size_of("192.0.0.1", "80"), 0);
    CHECK_INT(size_of("240.0.0.0/4", "80"), 0);
    CHECK_INT(size_of("223.255.255.254-224.0.0.5", "80"), 2);
    CHECK_INT(size_of("::ffff:224.0.0.1", "80"), 0);
    /* IPv6 */
    CHECK_INT(size_of("::1", "80"), 1);
    CHECK_INT(size_of("::", "80"), 0);
    CHECK_INT(size_of("::/127", "80"), 0);  /* :: never; ::1 not named on its own */
    CHECK_INT(size_of("::1-::3", "80"), 2); /* ::2, ::3 */
    CHECK_INT(size_of("ff02::1", "80"), 0);
    CHECK_INT(size_of("2001:db8::1", "80"), 0); /* parses, then removed */
    CHECK_INT(size_of("2001:db8::/120", "80"), 0);
    CHECK_INT(size_of("[2001:db8::1]:6379", "80"), 0);
    CHECK_INT(size_of("fc00::/112", "80"), 65536);
    CHECK_INT(size_of("fe80::/112", "80"), 65536);
    CHECK_INT(size_of("2001:dff::/96", "80"), 1LL << 32);
    t = mk("fbff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-fc00::f", "80"); /* straddles fc00::/7 */
    if (t) {
        CHECK(target_set_size(t) == 16 && has6(t, "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80) &&
              !has6(t, "fc00::1", 80));
        target_set_free(t);
    }
    /* a name resolving into a named-only range counts as named */
    t = mk("localhost", "80");
    if (t) {
        CHECK(has4(t, "127.0.0.1", 80));
        target_set_free(t);
    }
}

static void test_excludes(void)
{
    CHECK_INT(size_of("10.0.0.0/24", "80"), 256);
    struct target_set *t = mk2("10.0.0.0/24", "80", "10.0.0.0/25");
    CHECK(t && target_set_size(t) == 128 && !has4(t, "10.0.0.1", 80) && has4(t, "10.0.0.128", 80));
    target_set_free(t);
    t = mk2("10.0.0.0/24", "80,443", "10.0.0.1,10.0.0.3 10.0.0.250-255");
    CHECK(t && target_set_size(t) == 2 * 248 && !has4(t, "10.0.0.3", 443) &&
          has4(t, "10.0.0.2", 443));
    target_set_free(t);
    /* excludes win over a named address, and over host:port */
    t = mk2("127.0.0.1,127.0.0.2:6379", "80", "127.0.0.0/8");
    CHECK(t && target_set_size(t) == 0);
    target_set_free(t);
    t = mk2("fd00::/120", "80", "fd00::10-fd00::1f");
    CHECK(t && target_set_size(t) == 240 && !has6(t, "fd00::10", 80) && has6(t, "fd00::20", 80));
    target_set_free(t);
    t = mk2("127.0.0.1", "80", "::ffff:127.0.0.1"); /* the mapped form excludes the IPv4 one */
    CHECK(t && target_set_size(t) == 0);
    target_set_free(t);
    /* excludes from every list and file together */
    char path[] = "/tmp/ajar-test-exclXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# exclude these\n10.0.0.0/30\n\n10.0.0.100 # one more\n", f);
    fclose(f);
    const char *specs[] = {"10.0.0.0/24"};
    const char *ex[] = {"10.0.0.200", "10.0.0.201,10.0.0.202"};
    const char *exf[] = {path};
    struct target_opts o = {
        .ports = "80", .exclude = ex, .n_exclude = 2, .exclude_files = exf, .n_exclude_files = 1};
    struct err e;
    t = NULL;
    CHECK(target_set_new(&t, specs, 1, &o, &e) == 0 && target_set_size(t) == 256 - 4 - 1 - 3);
    target_set_free(t);
    /* bad excludes */
    t = mk2("10.0.0.0/24", "80", "localhost");
    CHECK(t == NULL && strstr(last_err.msg, "bad exclude 'localhost'") &&
          strstr(last_err.msg, "host name"));
    t = mk2("10.0.0.0/24", "80", "10.0.0.1:80");
    CHECK(t == NULL && strstr(last_err.msg, "bad exclude '10.0.0.1:80'"));
    t = mk2("10.0.0.0/24", "80", "10.0.0.0/40");
    CHECK(t == NULL && strstr(last_err.msg, "bad exclude '10.0.0.0/40'"));
    t = mk2("10.0.0.0/24", "80", "");
    CHECK(t == NULL && strstr(last_err.msg, "bad exclude"));
    exf[0] = "/nonexistent/ajar-excludes";
    t = NULL;
    CHECK(target_set_new(&t, specs, 1, &o, &e) < 0 && strstr(e.msg, "/nonexistent/ajar-excludes"));
    unlink(path);
}

static void test_input_file(void)
{
    char path[] = "/tmp/ajar-test-targetsXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# lab targets\n"
          "\n"
          "127.0.0.1\n"
          "   127.0.0.2   # a comment after a target\n"
          "127.0.0.3, 127.0.0.4 127.0.0.5\r\n"
          "127.0.1.0/30\n"
          "[::1]:6379\n"
          "127.0.0.9:6379\n"
          "\t\n"
          "# the end\n",
          f);
    fclose(f);
    const char *files[] = {path};
    struct target_opts o = {.ports = "80,443", .input_files = files, .n_input_files = 1};
    struct err e;
    struct target_set *t = NULL;
    CHECK(target_set_new(&t, NULL, 0, &o, &e) == 0);
    if (t) {
        CHECK_INT(target_set_size(t), (5 + 4) * 2 + 2);
        CHECK_INT(target_set_naddr(t), 5 + 4 + 2);
        CHECK(has4(t, "127.0.1.3", 443) && has6(t, "::1", 6379) && !has6(t, "::1", 80));
        target_set_free(t);
    }
    /* command-line specs and files add up */
    const char *specs[] = {"127.0.0.10"};
    t = NULL;
    CHECK(target_set_new(&t, specs, 1, &o, &e) == 0 && target_set_size(t) == 22);
    target_set_free(t);

    /* stdin as "-" */
    files[0] = "-";
    if (freopen(path, "r", stdin)) {
        t = NULL;
        CHECK(target_set_new(&t, NULL, 0, &o, &e) == 0 && target_set_size(t) == 20);
        target_set_free(t);
    }

    /* a bad line names the file and the line */
    f = fopen(path, "w");
    fputs("127.0.0.1\n# fine\n10.0.0.256\n", f);
    fclose(f);
    files[0] = path;
    t = NULL;
    CHECK(target_set_new(&t, NULL, 0, &o, &e) < 0 && strstr(e.msg, "'10.0.0.256'") &&
          strstr(e.msg, "line 3") && strstr(e.msg, path));
    /* only comments: no targets */
    f = fopen(path, "w");
    fputs("# nothing here\n\n", f);
    fclose(f);
    CHECK(target_set_new(&t, NULL, 0, &o, &e) < 0 && strstr(e.msg, "no targets"));
    unlink(path);
    CHECK(target_set_new(&t, NULL, 0, &o, &e) < 0 && strstr(e.msg, path));
}

static void test_sizes(void)
{
    /* overlaps merge, duplicates vanish */
    CHECK_INT(size_of("10.0.0.0/16,10.0.0.0/24,10.0.255.255", "80"), 65536);
    CHECK_INT(size_of("10.0.0.0-10.0.0.9,10.0.0.5-10.0.0.20", "80"), 21);
    CHECK_INT(size_of("10.0.0.0-10.0.0.9,10.0.0.10-10.0.0.20", "80"), 21);
    /* host:port already covered by -p is not scanned twice; a new port is */
    CHECK_INT(size_of("127.0.0.0/30,127.0.0.1:80", "80"), 4);
    CHECK_INT(size_of("127.0.0.0/30,127.0.0.1:443", "80"), 5);
    CHECK_INT(size_of("127.0.0.1:6379,127.0.0.1:6379,127.0.0.2:6379", "80"), 2);
    CHECK_INT(size_of("[::1]:80,::1", "80,443"), 2);

    struct target_set *t = mk("10.0.0.0/24,10.0.1.0:6379", "80,443");
    if (t) {
        CHECK_INT(target_set_size(t), 513);
        CHECK_INT(target_set_naddr(t), 257);
        /* every index maps to a distinct pair, and the set contains it */
        int bad = 0;
        for (uint64_t i = 0; i < target_set_size(t); i++) {
            struct target tg;
            if (target_set_get(t, i, &tg) < 0 ||
                !target_set_contains(t, tg.family, tg.addr, tg.port))
                bad++;
        }
        CHECK_INT(bad, 0);
        target_set_free(t);
    }
    /* a /8 is a few segments, never one entry per address */
    t = mk("10.0.0.0/8,11.0.0.0/8", "-");
    if (t) {
        CHECK(target_set_size(t) == (UINT64_C(1) << 24) * 65535 + (UINT64_C(1) << 24) * 65535);
        CHECK(target_set_nsegments(t) <= 2);
        target_set_free(t);
    }
}

static void test_iter_and_str(void)
{
    struct target tg = {.family = AF_INET, .addr = {127, 0, 0, 1}};
    char s[64];
    target_addr_str(&tg, s, sizeof s);
    CHECK_STR(s, "127.0.0.1");
    struct target t6 = {.family = AF_INET6, .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    target_addr_str(&t6, s, sizeof s);
    CHECK_STR(s, "2001:db8::1");
    target_addr_str(&t6, s, 5);
    CHECK_STR(s, "2001");

    /* a small set walks in full, with the host name carried along */
    struct target_set *t = mk("localhost:6379,127.0.0.2-3", "80");
    if (!t) return;
    struct target_iter it;
    struct err e;
    CHECK(target_iter_init(&it, t, 7, 0, 1, &e) == 0);
    int n = 0, named = 0;
    while (target_iter_next(&it, &tg)) {
        n++;
        if (tg.host) named += strcmp(tg.host, "localhost") == 0 && tg.port == 6379;
    }
    CHECK_INT(n, target_set_size(t));
    CHECK(named >= 1);
    CHECK(target_iter_next(&it, &tg) == 0);
    CHECK(target_iter_pos(&it) == target_iter_steps(&it));
    CHECK(target_iter_init(&it, t, 7, 2, 2, &e) < 0 && e.msg[0]);
    CHECK(target_iter_init(&it, t, 7, 0, 0, &e) < 0);
    target_set_free(t);

    /* an empty set (everything blocklisted) walks nothing */
    t = mk("224.0.0.1", "80");
    if (!t) return;
    CHECK(target_iter_init(&it, t, 7, 0, 1, &e) == 0);
    CHECK(target_iter_next(&it, &tg) == 0);
    CHECK(target_iter_seek(&it, 0) == 0);
    CHECK(target_iter_seek(&it, 1) < 0);
    target_set_free(t);
}

/* --resolve NAME:ADDRESS: the name is scanned at the pinned address without DNS, even with
 * no_resolve. */
static void test_resolve_pins(void)
{
    const char *pins[] = {"vhost.example.invalid:127.0.40.5", "six.example.invalid:[::1]"};
    const char *specs[] = {"vhost.example.invalid", "six.example.invalid:8443"};
    struct target_opts o = {.ports = "443", .resolve = pins, .n_resolve = 2, .no_resolve = true};
    struct target_set *t = NULL;
    struct err e = {{0}};
    CHECK_MSG(target_set_new(&t, specs, 2, &o, &e) == 0, "%s", e.msg);
    if (t) {
        CHECK_INT(target_set_size(t), 2);
        CHECK(has4(t, "127.0.40.5", 443));
        CHECK(has6(t, "::1", 8443));
        struct target x;
        bool named = false;
        for (uint64_t i = 0; i < target_set_size(t); i++)
            if (target_set_get(t, i, &x) == 0 && x.family == AF_INET && x.host &&
                strcmp(x.host, "vhost.example.invalid") == 0)
                named = true;
        CHECK_MSG(named, "the pinned name is kept for SNI and Host");
        target_set_free(t);
    }
    /* a pin whose address is not one */
    const char *badpin[] = {"vhost.example.invalid:not-an-address"};
    struct target_opts ob = {.ports = "443", .resolve = badpin, .n_resolve = 1};
    t = NULL;
    CHECK(target_set_new(&t, specs, 1, &ob, &e) < 0);
    CHECK_MSG(strstr(e.msg, "--resolve") != NULL, "%s", e.msg);
    target_set_free(t);
    /* a name with no pin still fails without DNS */
    const char *other[] = {"other.example.invalid"};
    t = NULL;
    CHECK(target_set_new(&t, other, 1, &o, &e) < 0);
    target_set_free(t);
}

int main(void)
{
    t_load_signatures();
    log_level = 0;
    test_resolve_pins();
    test_forms();
    test_names();
    test_bad();
    test_blocklist();
    test_excludes();
    test_input_file();
    test_sizes();
    test_iter_and_str();
    return T_END();
}
