/*
 * tests/unit/test_conf.c -- the configuration file reader (src/core/conf.c)
 * and the table of keys (src/cli/config.c).
 *
 * The reader: every input is parsed whole, byte by byte and split at every
 * offset, and the three must give the same entries or the same error; then
 * the syntax (blanks, comments, CR LF, a byte order mark, '=' and '#' inside
 * a value, an empty value, a last line without a newline), every refusal
 * (no '=', a bad key, NUL and control bytes, a CR inside a line) with its
 * "NAME:LINE: " and without the line's text, and the caps at their edges
 * (line length, file size, key length, number of settings).
 * The table: every numeric key of `ajar scan` accepts its maximum and refuses
 * one more (so the file's check and the option's agree), and the defaults it
 * shows are the engine's.
 */
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/scan_args.h"
#include "core/conf.h"
#include "t.h"

#include <stdlib.h>

/* The result of a parse as one string: "key=value@line;" per entry, or "ERR:" and the message. */
static void render(const struct conf *c, int rc, const struct err *e, char *out, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    if (rc < 0) {
        str_fmt(out, n, "ERR:%s", e->msg);
        return;
    }
    for (size_t i = 0; i < c->n && o < n; i++)
        o += (size_t)str_fmt(out + o, n - o, "%s=%s@%u;", c->v[i].key, c->v[i].value, c->v[i].line);
}

/* Parse data in chunks of `step` bytes (0: whole), split once at `split` when step is 0. */
static void parse_chunked(const char *data, size_t len, size_t step, size_t split, char *out,
                          size_t n)
{
    struct conf c;
    struct err e = {{0}};
    conf_init(&c, "F");
    int rc = 0;
    if (step) {
        for (size_t i = 0; i < len && rc == 0; i += step)
            rc = conf_feed(&c, data + i, len - i < step ? len - i : step, &e);
    } else {
        rc = conf_feed(&c, data, split, &e);
        if (rc == 0) rc = conf_feed(&c, data + split, len - split, &e);
    }
    if (rc == 0) rc = conf_finish(&c, &e);
    render(&c, rc, &e, out, n);
    conf_free(&c);
}

/* The whole parse's result; fails the test when byte-by-byte or any split differs. */
static char *parse_all_ways(const char *data, size_t len)
{
    static char whole[16384];
    char other[16384];
    struct conf c;
    struct err e = {{0}};
    int rc = conf_parse(&c, "F", data, len, &e);
    render(&c, rc, &e, whole, sizeof whole);
    conf_free(&c);
    parse_chunked(data, len, 1, 0, other, sizeof other);
    CHECK_MSG(!strcmp(whole, other), "byte by byte: '%s' vs whole '%s'", other, whole);
    size_t bad = 0;
    for (size_t s = 0; s <= len; s++) {
        parse_chunked(data, len, 0, s, other, sizeof other);
        if (strcmp(whole, other) != 0 && !bad++)
            fprintf(stderr, "split at %zu: '%s' vs whole '%s'\n", s, other, whole);
    }
    CHECK_INT(bad, 0);
    return whole;
}

#define PARSE(lit) parse_all_ways(lit, sizeof(lit) - 1)

static void test_syntax(void)
{
    CHECK_STR(PARSE(""), "");
    CHECK_STR(PARSE("\n\n  \t\n"), "");
    CHECK_STR(PARSE("# a comment\n   # another = not a key\nrate = 500\n"), "rate=500@3;");
    CHECK_STR(PARSE("rate=500"), "rate=500@1;"); /* no newline at the end, no blanks */
    CHECK_STR(PARSE("  rate\t=\t 500 \t\n"), "rate=500@1;");
    CHECK_STR(PARSE("rate = 500\r\nports = redis,9200\r\n"), "rate=500@1;ports=redis,9200@2;");
    CHECK_STR(PARSE("\xEF\xBB\xBFrate = 1\n"), "rate=1@1;");
    /* '=' and '#' belong to the value: URLs, conninfo, passwords */
    CHECK_STR(PARSE("db = postgresql://u:p#w@h/db?sslmode=require\n"),
              "db=postgresql://u:p#w@h/db?sslmode=require@1;");
    CHECK_STR(PARSE("webhook = http://h/x # not a comment\n"),
              "webhook=http://h/x # not a comment@1;");
    CHECK_STR(PARSE("webhook =\n"), "webhook=@1;");
    CHECK_STR(PARSE("webhook=   \n"), "webhook=@1;");
    CHECK_STR(PARSE("a.b_c-9 = x\n"), "a.b_c-9=x@1;");
    CHECK_STR(PARSE("exclude = 10.0.0.0/8\nexclude = 192.168.0.0/16\n"),
              "exclude=10.0.0.0/8@1;exclude=192.168.0.0/16@2;");
    CHECK_STR(PARSE("geo-db = /srv/\xc3\xa9t\xc3\xa9.mmdb\n"),
              "geo-db=/srv/\xc3\xa9t\xc3\xa9.mmdb@1;");
    /* a BOM is skipped on the first line only */
    CHECK(!strncmp(PARSE("rate = 1\n\xEF\xBB\xBFports = 1\n"), "ERR:F:2: ", 9));
}

static void test_refusals(void)
{
    CHECK_STR(PARSE("rate 500\n"), "ERR:F:1: expected KEY = VALUE (a key is lowercase letters, "
                                   "digits, '-', '.' and '_', then '=')");
    CHECK(!strncmp(PARSE("# ok\nRate = 1\n"), "ERR:F:2: expected KEY = VALUE", 29));
    CHECK(!strncmp(PARSE("9rate = 1\n"), "ERR:F:1: expected", 17));
    CHECK(!strncmp(PARSE("= 1\n"), "ERR:F:1: expected", 17));
    CHECK(!strncmp(PARSE("[scan]\n"), "ERR:F:1: expected", 17));
    CHECK(!strncmp(PARSE("ra te = 1\n"), "ERR:F:1: expected", 17));
    CHECK(!strncmp(PARSE("rate:1\n"), "ERR:F:1: expected", 17));
    CHECK_STR(PARSE("rate = 1\nports = a\x01b\n"), "ERR:F:2: a control character");
    CHECK_STR(PARSE("rate = 1\x7f\n"), "ERR:F:1: a control character");
    CHECK_STR(PARSE("rate = 1\x1b[31m\n"), "ERR:F:1: a control character");
    CHECK_STR(PARSE("rate = 1\rports = 2\n"), "ERR:F:1: a carriage return inside the line");
    CHECK_STR(parse_all_ways("rate = 1\n\nx\0y = 2\n", 16), "ERR:F:3: a NUL byte");
    /* the line is never quoted: it may be a token typed without its key */
    char *r = PARSE("rate = 1\nhunter2-secret-token\n");
    CHECK(!strncmp(r, "ERR:F:2: ", 9));
    CHECK(!strstr(r, "hunter2"));
    r = PARSE("webhook https://h/T0K3N\n");
    CHECK(!strstr(r, "T0K3N"));
    /* refused once, refused again */
    struct conf c;
    struct err e;
    conf_init(&c, "F");
    CHECK_INT(conf_feed(&c, "bad line\n", 9, &e), -1);
    CHECK_INT(conf_feed(&c, "rate = 1\n", 9, &e), -1);
    CHECK(strstr(e.msg, "earlier error") != NULL);
    CHECK_INT(conf_finish(&c, &e), -1);
    CHECK_INT(c.n, 0);
    conf_free(&c);
}

static void test_caps(void)
{
    static char big[CONF_FILE_MAX + 64];
    /* a line of exactly CONF_LINE_MAX bytes is read; one byte more is refused */
    size_t o = (size_t)str_fmt(big, sizeof big, "db = ");
    memset(big + o, 'a', CONF_LINE_MAX - o);
    big[CONF_LINE_MAX] = '\n';
    struct conf c;
    struct err e;
    CHECK_INT(conf_parse(&c, "F", big, CONF_LINE_MAX + 1, &e), 0);
    CHECK_INT(c.n == 1 ? strlen(c.v[0].value) : 0, CONF_LINE_MAX - o);
    conf_free(&c);
    big[CONF_LINE_MAX] = 'a';
    big[CONF_LINE_MAX + 1] = '\n';
    CHECK_INT(conf_parse(&c, "F", big, CONF_LINE_MAX + 2, &e), -1);
    CHECK_STR(e.msg, "F:1: a line longer than 4096 bytes");
    /* keys: 64 characters at most */
    char key[128];
    memset(key, 'k', 64);
    str_copy(key + 64, " = 1\n", sizeof key - 64);
    CHECK_INT(conf_parse(&c, "F", key, strlen(key), &e), 0);
    conf_free(&c);
    memset(key, 'k', 65);
    str_copy(key + 65, " = 1\n", sizeof key - 65);
    CHECK_INT(conf_parse(&c, "F", key, strlen(key), &e), -1);
    CHECK_STR(e.msg, "F:1: a key longer than 64 characters");
    /* the file: 64 KiB of comments is read, one byte more refused (on the line it reaches) */
    memset(big, '#', CONF_FILE_MAX);
    for (size_t i = 99; i < CONF_FILE_MAX; i += 100)
        big[i] = '\n';
    CHECK_INT(conf_parse(&c, "F", big, CONF_FILE_MAX, &e), 0);
    CHECK_INT(c.n, 0);
    big[CONF_FILE_MAX] = '#';
    CHECK_INT(conf_parse(&c, "F", big, CONF_FILE_MAX + 1, &e), -1);
    CHECK_STR(e.msg, "F:656: the file is larger than 64 KiB");
    /* 512 settings at most */
    o = 0;
    for (unsigned i = 0; i < CONF_ENTRIES_MAX + 1; i++)
        o += (size_t)str_fmt(big + o, sizeof big - o, "exclude = 10.0.%u.%u\n", i / 256, i % 256);
    CHECK_INT(conf_parse(&c, "F", big, o, &e), -1);
    CHECK_STR(e.msg, "F:513: more than 512 settings");
    CHECK_INT(conf_parse(&c, "F", big, o - strlen("exclude = 10.0.2.0\n"), &e), 0);
    CHECK_INT(c.n, CONF_ENTRIES_MAX);
    conf_free(&c);
    /* the name in messages is the caller's, truncated to fit */
    char name[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    CHECK_INT(conf_parse(&c, name, "x\n", 2, &e), -1);
    CHECK(strstr(e.msg, ":1: expected") != NULL);
}

/* `ajar scan` with one option: scan_args_parse's exit (0 parsed, 2 refused). */
static int scan_with(const char *opt)
{
    char a0[] = "scan", a2[] = "127.0.0.1", a1[128];
    str_copy(a1, opt, sizeof a1);
    char *argv[] = {a0, a1, a2, NULL};
    struct scan_args a;
    int r = scan_args_parse(3, argv, &a);
    scan_args_free(&a);
    return r;
}

static void test_keys(void)
{
    size_t n;
    const struct cfg_key *k = cli_config_keys(&n);
    CHECK(n >= 20);
    char opt[128];
    for (size_t i = 0; i < n; i++) {
        /* a key is its option's name, so the man page and the file speak alike */
        CHECK_MSG(!strncmp(k[i].opt, "--", 2) && !strcmp(k[i].opt + 2, k[i].key), "%s", k[i].key);
        CHECK_MSG(k[i].cmds != 0 && k[i].dflt && k[i].dflt[0], "%s", k[i].key);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(strcmp(k[i].key, k[j].key) != 0, "%s twice", k[i].key);
        if (!(k[i].cmds & CFGC_SCAN)) continue;
        /* every scan key is an option of scan */
        str_fmt(opt, sizeof opt, "%s=%s", k[i].opt,
                k[i].type == CFGT_UINT       ? "1"
                : k[i].type == CFGT_SEVERITY ? "high"
                : k[i].type == CFGT_WEBHOOK  ? "http://127.0.0.1:1/x"
                : k[i].type == CFGT_PORTS    ? "6379"
                : k[i].type == CFGT_ALERTFMT ? "slack"
                : k[i].type == CFGT_DASHURL  ? "https://ajar.example:8443"
                : k[i].type == CFGT_MAIL     ? "soc@example.org"
                                             : "x");
        CHECK_MSG(scan_with(opt) == 0, "%s", opt);
        if (k[i].type != CFGT_UINT) continue;
        /* the file's range is the option's */
        str_fmt(opt, sizeof opt, "%s=%llu", k[i].opt, (unsigned long long)k[i].max);
        CHECK_MSG(scan_with(opt) == 0, "%s", opt);
        str_fmt(opt, sizeof opt, "%s=%llu", k[i].opt, (unsigned long long)k[i].max + 1);
        CHECK_MSG(scan_with(opt) == EXIT_USAGE, "%s", opt);
        if (k[i].min > 0) {
            str_fmt(opt, sizeof opt, "%s=%llu", k[i].opt, (unsigned long long)k[i].min - 1);
            CHECK_MSG(scan_with(opt) == EXIT_USAGE, "%s", opt);
        }
    }
    /* the defaults config show prints are the engine's */
    struct engine_opts eo;
    engine_opts_default(&eo);
    char want[32];
    for (size_t i = 0; i < n; i++) {
        int v = !strcmp(k[i].key, "rate")            ? (int)eo.rate
                : !strcmp(k[i].key, "timeout")       ? eo.timeout_ms
                : !strcmp(k[i].key, "retries")       ? eo.retries
                : !strcmp(k[i].key, "probe-timeout") ? eo.probe_timeout_ms
                                                     : -1;
        if (v < 0) continue;
        str_fmt(want, sizeof want, "%d", v);
        CHECK_STR(k[i].dflt, want);
    }
}

int main(void)
{
    t_load_signatures();
    test_syntax();
    test_refusals();
    test_caps();
    test_keys();
    return T_END();
}
