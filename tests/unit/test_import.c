/*
 * tests/unit/test_import.c -- the discovery-result parsers of cli/import.c.
 *
 * Fixtures under tests/import/ were written by the real tools on loopback
 * (nmap 7.93 -sT -oX; masscan -oJ and -oL, zmap 2.1.1 default and CSV with
 * fields, both in a private network namespace) against listeners on
 * 127.0.180.x. Each is parsed whole, one byte at a time and split at every
 * offset, with the format given and autodetected; the pairs must equal
 * FIXTURE.want (sorted). Then hand-made hostile inputs: overlong lines and
 * tags, bad addresses and ports, lines without a newline, comments with
 * '>' in XML, closed and filtered ports, udp; and 300 random mutations of
 * each fixture, which must parse the same fed whole or in random chunks.
 */
#include "cli/import.h"
#include "unit/t.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

struct got {
    char *text; /* "a\nb\n", sorted at the end */
    size_t len, cap;
    int stop_after; /* stop the parse after this many pairs (0 never) */
    int n;
};

static int on_pair(void *arg, const struct import_pair *p)
{
    struct got *g = arg;
    char a[INET6_ADDRSTRLEN], line[80];
    inet_ntop(p->family, p->addr, a, sizeof a);
    if (!p->port)
        snprintf(line, sizeof line, "%s\n", a);
    else if (p->family == AF_INET6)
        snprintf(line, sizeof line, "[%s]:%u\n", a, p->port);
    else
        snprintf(line, sizeof line, "%s:%u\n", a, p->port);
    size_t l = strlen(line);
    if (g->len + l + 1 > g->cap) {
        g->cap = (g->len + l + 1) * 2;
        g->text = realloc(g->text, g->cap);
    }
    memcpy(g->text + g->len, line, l + 1);
    g->len += l;
    g->n++;
    return g->stop_after && g->n >= g->stop_after;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of s in place (returns s). */
static char *sort_lines(char *s)
{
    if (!s) return NULL;
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    char **v = calloc(n + 1, sizeof *v);
    char *copy = strdup(s), *save = NULL;
    size_t k = 0;
    for (char *t = strtok_r(copy, "\n", &save); t && k < n; t = strtok_r(NULL, "\n", &save))
        v[k++] = t;
    qsort(v, k, sizeof *v, cmp_str);
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        size_t l = strlen(v[i]);
        memcpy(s + o, v[i], l);
        s[o + l] = '\n';
        o += l + 1;
    }
    s[o] = 0;
    free(v);
    free(copy);
    return s;
}

/* Parse data in chunks of `step` bytes (0 = whole); the sorted pairs (caller frees). */
static char *parse(enum import_format fmt, const char *data, size_t n, size_t step,
                   struct import_parser *out_stats)
{
    struct got g = {0};
    struct import_parser p;
    struct err e;
    if (import_parser_init(&p, fmt, on_pair, &g) < 0) return NULL;
    if (!step) step = n ? n : 1;
    for (size_t off = 0; off < n; off += step)
        import_feed(&p, data + off, off + step > n ? n - off : step, &e);
    import_finish(&p, &e);
    if (out_stats) *out_stats = p;
    import_parser_free(&p);
    if (out_stats) out_stats->line = NULL;
    if (!g.text) g.text = strdup("");
    return sort_lines(g.text);
}

/* Parse data split once at `split`. */
static char *parse_split(enum import_format fmt, const char *data, size_t n, size_t split)
{
    struct got g = {0};
    struct import_parser p;
    struct err e;
    import_parser_init(&p, fmt, on_pair, &g);
    import_feed(&p, data, split, &e);
    import_feed(&p, data + split, n - split, &e);
    import_finish(&p, &e);
    import_parser_free(&p);
    if (!g.text) g.text = strdup("");
    return sort_lines(g.text);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *buf = malloc(1 << 20);
    *n = fread(buf, 1, (1 << 20) - 1, fp);
    buf[*n] = 0;
    fclose(fp);
    return buf;
}

/* fmt: the parser to use; detected: what autodetection must say */
static void fixture(const char *name, enum import_format fmt, enum import_format detected)
{
    char path[256], wpath[256];
    snprintf(path, sizeof path, "tests/import/%s", name);
    snprintf(wpath, sizeof wpath, "tests/import/%s.want", name);
    size_t n = 0, wn = 0;
    char *data = slurp(path, &n), *want = slurp(wpath, &wn);
    CHECK_MSG(data && want, "fixture %s", path);
    if (!data || !want) goto out;
    sort_lines(want);
    struct import_parser st;
    char *whole = parse(fmt, data, n, 0, &st);
    CHECK_MSG(whole && !strcmp(whole, want), "%s whole:\n%s\nwant:\n%s", name, whole, want);
    CHECK_MSG(st.fmt == fmt || fmt == IMPORT_AUTO, "%s format %d", name, st.fmt);
    char *auto_ = parse(IMPORT_AUTO, data, n, 0, &st);
    CHECK_MSG(auto_ && !strcmp(auto_, want), "%s autodetected:\n%s", name, auto_);
    CHECK_MSG(st.fmt == detected, "%s detected as %s, want %s", name, import_format_name(st.fmt),
              import_format_name(detected));
    char *bytes = parse(fmt, data, n, 1, NULL);
    CHECK_MSG(bytes && !strcmp(bytes, want), "%s byte by byte:\n%s", name, bytes);
    char *abytes = parse(IMPORT_AUTO, data, n, 1, NULL);
    CHECK_MSG(abytes && !strcmp(abytes, want), "%s auto bytes", name);
    int bad_splits = 0;
    for (size_t s = 0; s <= n; s++) {
        char *g = parse_split(fmt, data, n, s);
        if (!g || strcmp(g, want)) bad_splits++;
        free(g);
    }
    CHECK_MSG(bad_splits == 0, "%s: %d split offsets differ", name, bad_splits);
    free(whole);
    free(auto_);
    free(bytes);
    free(abytes);
out:
    free(data);
    free(want);
}

static void expect(enum import_format fmt, const char *in, const char *want, uint64_t skipped)
{
    struct import_parser st;
    char *w = strdup(want);
    sort_lines(w);
    char *got = parse(fmt, in, strlen(in), 0, &st);
    CHECK_MSG(got && !strcmp(got, w), "input:\n%s\ngot:\n%s\nwant:\n%s", in, got, w);
    CHECK_MSG(st.skipped == skipped, "input:\n%s\nskipped %llu, want %llu", in,
              (unsigned long long)st.skipped, (unsigned long long)skipped);
    char *b = parse(fmt, in, strlen(in), 1, NULL);
    CHECK_MSG(b && !strcmp(b, w), "byte by byte:\n%s\ngot:\n%s", in, b);
    free(got);
    free(b);
    free(w);
}

/* Deterministic xorshift, so a failure reproduces. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/*
 * Mutated fixtures (bytes flipped, structural characters inserted, cut
 * short): whatever the parser makes of them, random chunking must give the
 * same pairs as one whole feed, and ASan must stay quiet.
 */
static void mutate(const char *name, enum import_format fmt)
{
    char path[256];
    snprintf(path, sizeof path, "tests/import/%s", name);
    size_t n = 0;
    char *data = slurp(path, &n);
    if (!data) return;
    static const char specials[] = "<>\"'\n\r,:[]{}#/- 0";
    int differ = 0;
    char *m = malloc(n + 64);
    for (int round = 0; round < 300; round++) {
        memcpy(m, data, n);
        size_t mn = n;
        int edits = 1 + (int)(rnd() % 6);
        for (int k = 0; k < edits && mn; k++) {
            size_t at = rnd() % mn;
            switch (rnd() % 3) {
            case 0:
                m[at] = (char)(rnd() & 0xff);
                break;
            case 1:
                if (mn < n + 60) {
                    memmove(m + at + 1, m + at, mn - at);
                    m[at] = specials[rnd() % (sizeof specials - 1)];
                    mn++;
                }
                break;
            default:
                mn = at;
            }
        }
        char *whole = parse(fmt, m, mn, 0, NULL);
        struct got g = {0};
        struct import_parser p;
        struct err e;
        import_parser_init(&p, fmt, on_pair, &g);
        for (size_t off = 0; off < mn;) {
            size_t step = 1 + rnd() % 17;
            if (off + step > mn) step = mn - off;
            import_feed(&p, m + off, step, &e);
            off += step;
        }
        import_finish(&p, &e);
        import_parser_free(&p);
        if (!g.text) g.text = strdup("");
        sort_lines(g.text);
        if (!whole || strcmp(whole, g.text)) differ++;
        free(whole);
        free(g.text);
    }
    CHECK_MSG(differ == 0, "%s: %d mutations parse differently when chunked", name, differ);
    free(m);
    free(data);
}

int main(void)
{
    fixture("nmap.xml", IMPORT_NMAP_XML, IMPORT_NMAP_XML);
    fixture("masscan.json", IMPORT_MASSCAN_JSON, IMPORT_MASSCAN_JSON);
    fixture("masscan.list", IMPORT_MASSCAN_LIST, IMPORT_MASSCAN_LIST);
    /* zmap's default output is bare saddr lines: read as a list, the same thing */
    fixture("zmap-saddr.csv", IMPORT_ZMAP, IMPORT_LIST);
    fixture("zmap-fields.csv", IMPORT_ZMAP, IMPORT_ZMAP);
    fixture("pairs.txt", IMPORT_LIST, IMPORT_LIST);

    mutate("nmap.xml", IMPORT_NMAP_XML);
    mutate("nmap.xml", IMPORT_AUTO);
    mutate("masscan.json", IMPORT_MASSCAN_JSON);
    mutate("masscan.list", IMPORT_AUTO);
    mutate("zmap-fields.csv", IMPORT_ZMAP);
    mutate("pairs.txt", IMPORT_LIST);

    /* list (ajar probe) */
    expect(IMPORT_LIST, "127.0.0.1:80\n[::1]:443\n10.0.0.1\n",
           "127.0.0.1:80\n[::1]:443\n10.0.0.1\n", 0);
    expect(IMPORT_LIST, "127.0.0.1:80", "127.0.0.1:80\n", 0); /* no final newline */
    expect(IMPORT_LIST, "127.0.0.1:80\r\n", "127.0.0.1:80\n", 0);
    expect(IMPORT_LIST, "1.2.3.4:0\n1.2.3.4:65536\n1.2.3.4:-1\n01.2.3.4\n1.2.3\n[::1\n[::1]x\n", "",
           7);
    expect(IMPORT_LIST, "10.0.0.0/8\nexample.com:80\n1.2.3.4:80:1\n", "", 3);
    expect(IMPORT_LIST, "\n\n# only comments\n   \n", "", 0);
    /* an overlong line is skipped whole, the next one kept */
    {
        size_t big = IMPORT_MAX_LINE + 100;
        char *s = malloc(big + 32);
        memset(s, '1', big);
        memcpy(s + big, "\n127.0.0.2:7\n", 14);
        expect(IMPORT_LIST, s, "127.0.0.2:7\n", 1);
        free(s);
    }

    /* masscan */
    expect(IMPORT_MASSCAN_LIST,
           "#masscan\nopen tcp 80 10.0.0.1 1700000000\nopen udp 53 10.0.0.2 1700000000\n"
           "banner tcp 80 10.0.0.1 1700000000 http HTTP/1.0 200 OK\nopen tcp 99999 10.0.0.3 1\n"
           "open tcp 80 999.0.0.1 1\nopen tcp 8080 fd00::1 1\n# end\n",
           "10.0.0.1:80\n[fd00::1]:8080\n", 2);
    expect(IMPORT_MASSCAN_JSON,
           "[\n{\"ip\": \"10.0.0.1\", \"ports\": [ {\"port\": 80, \"proto\": \"tcp\", \"status\": "
           "\"open\"}, {\"port\": 53, \"proto\": \"udp\", \"status\": \"open\"}, {\"port\": 81, "
           "\"proto\": \"tcp\", \"status\": \"closed\"} ] }\n,\n"
           "{\"ip\": \"10.0.0.2\", \"ports\": [ {\"port\": 443, \"proto\": \"tcp\", \"service\": "
           "{\"name\": \"ssl\", \"banner\": \"x\"}} ] },\n{\"ip\": \"nope\", \"ports\": []}\n"
           "{\"ip\": \"10.0.0.3\", \"ports\": [ {\"port\": 70000} ] }\n{broken\n]\n",
           "10.0.0.1:80\n10.0.0.2:443\n", 2);

    /* zmap */
    expect(IMPORT_ZMAP, "saddr,sport,success\n10.0.0.1,80,1\n10.0.0.2,80,0\n10.0.0.3,x,1\n",
           "10.0.0.1:80\n", 1);
    expect(IMPORT_ZMAP, "sport,saddr\n443,10.0.0.9\n", "10.0.0.9:443\n", 0);
    expect(IMPORT_ZMAP, "10.0.0.1\n10.0.0.2\nbad\n", "10.0.0.1\n10.0.0.2\n", 1);

    /* nmap XML: closed/filtered and udp ignored; mac addresses; comments with '>' */
    expect(IMPORT_NMAP_XML,
           "<?xml version=\"1.0\"?>\n<!-- nmap -oX - 'a>b' -->\n<nmaprun args=\"nmap &gt; x\">"
           "<host><address addr=\"02:00:00:00:00:01\" addrtype=\"mac\"/>"
           "<address addr=\"10.0.0.1\" addrtype=\"ipv4\"/><ports>"
           "<port protocol=\"tcp\" portid=\"80\"><state state=\"open\"/></port>"
           "<port protocol=\"udp\" portid=\"53\"><state state=\"open\"/></port>"
           "<port protocol=\"tcp\" portid=\"81\"><state state=\"closed\"/></port>"
           "<port protocol=\"tcp\" portid=\"82\"><state state=\"filtered\"/></port>"
           "</ports></host>\n<host><address addr='fd00::2' addrtype='ipv6'/>"
           "<ports><port protocol='tcp' portid='22'><state state='open'/></port></ports></host>"
           "<host><ports><port protocol=\"tcp\" portid=\"1\"><state state=\"open\"/></port>"
           "</ports></host></nmaprun>\n",
           "10.0.0.1:80\n[fd00::2]:22\n", 0);
    expect(IMPORT_NMAP_XML,
           "<host><address addr=\"10.0.0.1\" addrtype=\"ipv4\"/><port protocol=\"tcp\" "
           "portid=\"0\"><state state=\"open\"/></port><port protocol=\"tcp\" portid=\"5\">"
           "<state state=\"open\"/></port></host>",
           "10.0.0.1:5\n", 1);
    {
        /* an overlong tag is skipped, parsing resumes after it */
        size_t big = IMPORT_MAX_LINE + 10;
        const char *tail = "\"/><host><address addr=\"10.0.0.7\" addrtype=\"ipv4\"/><port "
                           "protocol=\"tcp\" portid=\"9\"><state state=\"open\"/></port></host>";
        char *s = malloc(big + strlen(tail) + 32);
        memcpy(s, "<x a=\"", 6);
        memset(s + 6, 'a', big);
        memcpy(s + 6 + big, tail, strlen(tail) + 1);
        expect(IMPORT_NMAP_XML, s, "10.0.0.7:9\n", 1);
        free(s);
    }

    /* the callback can stop the parse */
    {
        struct got g = {.stop_after = 1};
        struct import_parser p;
        struct err e;
        import_parser_init(&p, IMPORT_LIST, on_pair, &g);
        const char *in = "1.1.1.1:1\n2.2.2.2:2\n3.3.3.3:3\n";
        CHECK(import_feed(&p, in, strlen(in), &e) < 0);
        CHECK_INT(g.n, 1);
        import_parser_free(&p);
        free(g.text);
    }

    /* format names */
    enum import_format f;
    CHECK(import_format_parse("masscan-json", &f) == 0 && f == IMPORT_MASSCAN_JSON);
    CHECK(import_format_parse("nmap-xml", &f) == 0 && f == IMPORT_NMAP_XML);
    CHECK(import_format_parse("zmap", &f) == 0 && f == IMPORT_ZMAP);
    CHECK(import_format_parse("masscan-list", &f) == 0 && f == IMPORT_MASSCAN_LIST);
    CHECK(import_format_parse("csv", &f) < 0);
    CHECK_STR(import_format_name(IMPORT_ZMAP), "zmap");
    return T_END();
}
