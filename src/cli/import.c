/*
 * cli/import.c -- `ajar import` and `ajar probe`: turn discovery results
 * of masscan, zmap or nmap (or plain ip[:port] lines) into a probe run over
 * exactly those open pairs.
 *
 * Two halves. The parsers (import_feed) read untrusted text as a stream:
 * a line (or, for nmap XML, a tag) is collected into one capped buffer and
 * handled when it is complete, so any chunking gives the same pairs; what
 * does not parse is skipped and counted. The command half collects the
 * pairs (capped), sorts and de-duplicates them, writes them one per line to
 * a private file and runs `ajar scan -iL FILE` with the options it was
 * given: every line is then a named target (the blocklist's "named" rule
 * lets loopback and private pairs through, reserved ranges still never),
 * excludes apply, and the store, the output, --fail-on and --webhook are
 * the scan's own. The probe stage needs a connection, so each pair is
 * connected to once more; no second discovery is done.
 *
 * The file's name is derived from its content, so importing the same
 * results twice is the same scope for the store (diff, closed services).
 */
#include "cli/import.h"
#include "cli/cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PAIRS (4u << 20) /* 4 Mi distinct pairs per run */

/* ------------------------------------------------------------------ */
/* small text helpers                                                  */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim blanks on both sides of (s, n). */
static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

/* An address literal (v4 or v6, v6 optionally bracketed) of (s, n) into p. */
static int parse_addr(const char *s, size_t n, struct import_pair *p)
{
    char tmp[64];
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    memset(p->addr, 0, sizeof p->addr);
    if (inet_pton(AF_INET, tmp, p->addr) == 1) {
        p->family = AF_INET;
        return 0;
    }
    if (memchr(tmp, ':', n) && inet_pton(AF_INET6, tmp, p->addr) == 1) {
        p->family = AF_INET6;
        return 0;
    }
    return -1;
}

static int parse_port(const char *s, size_t n, uint16_t *port)
{
    uint64_t v;
    if (parse_u64n(s, n, 65535, &v) < 0 || v == 0) return -1;
    *port = (uint16_t)v;
    return 0;
}

/* "ip", "ip:port", "[v6]:port" or a bare v6 (every colon is the address's). */
static int parse_pair(const char *s, size_t n, struct import_pair *p)
{
    p->port = 0;
    if (parse_addr(s, n, p) == 0) return 0;
    const char *colon = NULL;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb || (size_t)(rb - s) + 1 >= n || rb[1] != ':') return -1;
        colon = rb + 1;
    } else {
        colon = memchr(s, ':', n);
        if (!colon || memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) return -1;
    }
    if (parse_addr(s, (size_t)(colon - s), p) < 0) return -1;
    return parse_port(colon + 1, n - (size_t)(colon - s) - 1, &p->port);
}

/* ------------------------------------------------------------------ */
/* the parsers                                                         */

static void skip_line(struct import_parser *p)
{
    p->skipped++;
    if (!p->first_bad_line) p->first_bad_line = p->lineno;
}

static int emit(struct import_parser *p, const struct import_pair *pr)
{
    p->pairs++;
    if (p->fn && p->fn(p->arg, pr) != 0) {
        p->stopped = true;
        return -1;
    }
    return 0;
}

static int line_list(struct import_parser *p, const char *s, size_t n)
{
    const char *hash = memchr(s, '#', n);
    if (hash) n = (size_t)(hash - s);
    trim(&s, &n);
    if (!n) return 0;
    struct import_pair pr;
    if (parse_pair(s, n, &pr) < 0) {
        skip_line(p);
        return 0;
    }
    return emit(p, &pr);
}

static int line_masscan_list(struct import_parser *p, const char *s, size_t n)
{
    trim(&s, &n);
    if (!n || s[0] == '#') return 0;
    /* open tcp 9200 127.0.0.1 1700000000 */
    const char *tok[5];
    size_t tl[5];
    int nt = 0;
    size_t i = 0;
    while (i < n && nt < 5) {
        while (i < n && is_space(s[i]))
            i++;
        if (i >= n) break;
        tok[nt] = s + i;
        while (i < n && !is_space(s[i]))
            i++;
        tl[nt] = (size_t)(s + i - tok[nt]);
        nt++;
    }
    if (nt >= 1 && tl[0] == 6 && memcmp(tok[0], "banner", 6) == 0)
        return 0; /* banners: not status */
    struct import_pair pr;
    if (nt < 4 || tl[0] != 4 || memcmp(tok[0], "open", 4) != 0 ||
        parse_port(tok[2], tl[2], &pr.port) < 0 || parse_addr(tok[3], tl[3], &pr) < 0) {
        skip_line(p);
        return 0;
    }
    if (tl[1] != 3 || memcmp(tok[1], "tcp", 3) != 0) return 0; /* udp, sctp: not ours */
    return emit(p, &pr);
}

static int line_masscan_json(struct import_parser *p, const char *s, size_t n)
{
    trim(&s, &n);
    while (n && (s[0] == ',' || s[0] == '[')) {
        s++;
        n--;
        trim(&s, &n);
    }
    while (n && (s[n - 1] == ',' || s[n - 1] == ']')) {
        n--;
        trim(&s, &n);
    }
    if (!n) return 0;
    json_error_t je;
    json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    const char *ip = j ? json_string_value(json_object_get(j, "ip")) : NULL;
    struct import_pair pr;
    if (!ip || parse_addr(ip, strlen(ip), &pr) < 0) {
        skip_line(p);
        json_decref(j);
        return 0;
    }
    json_t *ports = json_object_get(j, "ports");
    size_t i;
    json_t *o;
    int rc = 0;
    if (!json_is_array(ports)) skip_line(p);
    json_array_foreach(ports, i, o)
    {
        json_int_t port = json_integer_value(json_object_get(o, "port"));
        const char *proto = json_string_value(json_object_get(o, "proto"));
        const char *status = json_string_value(json_object_get(o, "status"));
        if (port < 1 || port > 65535) continue;
        if (proto && strcmp(proto, "tcp") != 0) continue;
        if (status && strcmp(status, "open") != 0) continue;
        pr.port = (uint16_t)port;
        if ((rc = emit(p, &pr)) < 0) break;
    }
    json_decref(j);
    return rc;
}

/* Split a CSV line (no quoting: zmap's fields never hold commas) into columns. */
static int csv_split(const char *s, size_t n, const char **col, size_t *cl, int max)
{
    int nc = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n && nc < max; i++) {
        if (i == n || s[i] == ',') {
            col[nc] = s + start;
            cl[nc] = i - start;
            trim(&col[nc], &cl[nc]);
            nc++;
            start = i + 1;
        }
    }
    return nc;
}

static bool col_is(const char *c, size_t n, const char *name)
{
    return strlen(name) == n && !memcmp(c, name, n);
}

static int line_zmap(struct import_parser *p, const char *s, size_t n)
{
    trim(&s, &n);
    if (!n || s[0] == '#') return 0;
    const char *col[IMPORT_MAX_COLS];
    size_t cl[IMPORT_MAX_COLS];
    int nc = csv_split(s, n, col, cl, IMPORT_MAX_COLS);
    if (!p->zmap_header_seen) {
        p->zmap_header_seen = true;
        bool header = false;
        for (int i = 0; i < nc; i++)
            if (col_is(col[i], cl[i], "saddr")) header = true;
        if (header) {
            for (int i = 0; i < nc; i++) {
                if (col_is(col[i], cl[i], "saddr")) p->col_saddr = i;
                if (col_is(col[i], cl[i], "sport")) p->col_sport = i;
                if (col_is(col[i], cl[i], "success")) p->col_success = i;
            }
            return 0;
        }
        p->col_saddr = 0; /* zmap -O csv with no header row, or plain saddr lines */
    }
    struct import_pair pr;
    if (p->col_saddr >= nc || parse_addr(col[p->col_saddr], cl[p->col_saddr], &pr) < 0) {
        skip_line(p);
        return 0;
    }
    pr.port = 0;
    if (p->col_success >= 0 && p->col_success < nc) {
        const char *v = col[p->col_success];
        size_t vl = cl[p->col_success];
        if (col_is(v, vl, "0") || col_is(v, vl, "false")) return 0; /* RST, unreachable */
    }
    if (p->col_sport >= 0) {
        if (p->col_sport >= nc || parse_port(col[p->col_sport], cl[p->col_sport], &pr.port) < 0) {
            skip_line(p);
            return 0;
        }
    }
    return emit(p, &pr);
}

/* The value of attribute name in one XML tag's text, or -1. */
static int xml_attr(const char *tag, size_t n, const char *name, const char **v, size_t *vl)
{
    size_t nl = strlen(name);
    for (size_t i = 1; i + nl + 2 < n; i++) {
        if (!is_space(tag[i - 1]) || memcmp(tag + i, name, nl) != 0) continue;
        size_t j = i + nl;
        while (j < n && is_space(tag[j]))
            j++;
        if (j >= n || tag[j] != '=') continue;
        j++;
        while (j < n && is_space(tag[j]))
            j++;
        if (j >= n || (tag[j] != '"' && tag[j] != '\'')) continue;
        char q = tag[j++];
        const char *end = memchr(tag + j, q, n - j);
        if (!end) return -1;
        *v = tag + j;
        *vl = (size_t)(end - (tag + j));
        return 0;
    }
    return -1;
}

static bool tag_is(const char *t, size_t n, const char *name)
{
    size_t nl = strlen(name);
    return n >= nl && !memcmp(t, name, nl) && (n == nl || is_space(t[nl]) || t[nl] == '/');
}

static bool attr_is(const char *t, size_t n, const char *name, const char *want)
{
    const char *v;
    size_t vl;
    return xml_attr(t, n, name, &v, &vl) == 0 && col_is(v, vl, want);
}

static int port_end(struct import_parser *p)
{
    int rc = 0;
    if (p->in_port && p->port_tcp && p->port_open && p->host_has_addr && p->port_num) {
        struct import_pair pr = p->host;
        pr.port = p->port_num;
        rc = emit(p, &pr);
    }
    p->in_port = p->port_tcp = p->port_open = false;
    p->port_num = 0;
    return rc;
}

/* One complete tag, the text between '<' and '>'. */
static int xml_tag(struct import_parser *p, const char *t, size_t n)
{
    const char *v;
    size_t vl;
    if (n && (t[0] == '?' || t[0] == '!')) return 0;
    bool selfclose = n && t[n - 1] == '/';
    if (tag_is(t, n, "host")) {
        p->host_has_addr = false;
        p->in_port = false;
    } else if (tag_is(t, n, "/host")) {
        p->host_has_addr = false;
    } else if (tag_is(t, n, "address")) {
        if (p->host_has_addr) return 0; /* the first IP address of a host */
        if (!attr_is(t, n, "addrtype", "ipv4") && !attr_is(t, n, "addrtype", "ipv6")) return 0;
        if (xml_attr(t, n, "addr", &v, &vl) < 0 || parse_addr(v, vl, &p->host) < 0) {
            skip_line(p);
            return 0;
        }
        p->host_has_addr = true;
    } else if (tag_is(t, n, "port")) {
        p->in_port = true;
        p->port_tcp = attr_is(t, n, "protocol", "tcp");
        p->port_open = false;
        p->port_num = 0;
        if (xml_attr(t, n, "portid", &v, &vl) < 0 || parse_port(v, vl, &p->port_num) < 0) {
            skip_line(p);
            p->in_port = false;
        }
        if (selfclose) return port_end(p);
    } else if (tag_is(t, n, "state")) {
        if (p->in_port) p->port_open = attr_is(t, n, "state", "open");
    } else if (tag_is(t, n, "/port")) {
        return port_end(p);
    }
    return 0;
}

static int xml_bytes(struct import_parser *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') p->lineno++;
        if (!p->xml_in_tag) {
            if (c == '<') {
                p->xml_in_tag = true;
                p->xml_quote = 0;
                p->len = 0;
                p->overlong = false;
            }
            continue;
        }
        bool comment = p->len >= 3 && !memcmp(p->line, "!--", 3);
        if (!comment && p->xml_quote) {
            if ((unsigned char)c == p->xml_quote) p->xml_quote = 0;
        } else if (!comment && (c == '"' || c == '\'') && p->len && p->line[0] != '!') {
            p->xml_quote = (unsigned char)c;
        } else if (c == '>' && (!comment || (p->len >= 5 && p->line[p->len - 1] == '-' &&
                                             p->line[p->len - 2] == '-'))) {
            p->xml_in_tag = false;
            if (p->overlong) {
                skip_line(p);
                continue;
            }
            if (xml_tag(p, p->line, p->len) < 0) return -1;
            continue;
        }
        if (p->len + 1 >= IMPORT_MAX_LINE) {
            p->overlong = true;
            if (comment)
                p->len = 3; /* keep "!--" and look for its end with a short tail */
            else
                continue;
        }
        p->line[p->len++] = c;
    }
    return 0;
}

/* What is this? From its first meaningful line. */
static enum import_format detect(const char *s, size_t n)
{
    trim(&s, &n);
    if (!n) return IMPORT_AUTO;
    if (s[0] == '<') return IMPORT_NMAP_XML;
    if (s[0] == '[' || s[0] == '{') return IMPORT_MASSCAN_JSON;
    if (n >= 8 && !memcmp(s, "#masscan", 8)) return IMPORT_MASSCAN_LIST;
    if (s[0] == '#') return IMPORT_AUTO;
    if ((n >= 5 && !memcmp(s, "open ", 5)) || (n >= 7 && !memcmp(s, "banner ", 7)))
        return IMPORT_MASSCAN_LIST;
    if (n >= 5 && !memcmp(s, "saddr", 5)) return IMPORT_ZMAP;
    return IMPORT_LIST; /* ip or ip:port lines (zmap's default output is bare saddr lines) */
}

static int line_done(struct import_parser *p, const char *s, size_t n)
{
    switch (p->fmt) {
    case IMPORT_LIST:
        return line_list(p, s, n);
    case IMPORT_MASSCAN_LIST:
        return line_masscan_list(p, s, n);
    case IMPORT_MASSCAN_JSON:
        return line_masscan_json(p, s, n);
    case IMPORT_ZMAP:
        return line_zmap(p, s, n);
    default:
        return 0;
    }
}

int import_parser_init(struct import_parser *p, enum import_format fmt, import_pair_fn fn,
                       void *arg)
{
    memset(p, 0, sizeof *p);
    p->fmt = fmt;
    p->fn = fn;
    p->arg = arg;
    p->col_saddr = p->col_sport = p->col_success = -1;
    p->line = xmalloc(IMPORT_MAX_LINE);
    return p->line ? 0 : -1;
}

void import_parser_free(struct import_parser *p)
{
    free(p->line);
    p->line = NULL;
}

int import_feed(struct import_parser *p, const void *data, size_t n, struct err *e)
{
    const char *s = data;
    if (p->stopped) return err_set(e, "stopped");
    if (p->fmt == IMPORT_NMAP_XML) {
        if (xml_bytes(p, s, n) < 0) return err_set(e, "stopped");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n') {
            if (p->len + 1 < IMPORT_MAX_LINE)
                p->line[p->len++] = s[i];
            else
                p->overlong = true;
            continue;
        }
        p->lineno++;
        if (p->overlong) {
            skip_line(p);
        } else if (p->fmt == IMPORT_AUTO) {
            p->fmt = detect(p->line, p->len);
            if (p->fmt == IMPORT_NMAP_XML) {
                /* the rest is a stream of tags: replay this line, then the remainder */
                size_t len = p->len;
                char *first = xmalloc(len + 1);
                if (!first) return err_set(e, "out of memory");
                memcpy(first, p->line, len);
                first[len] = '\n';
                p->len = 0;
                p->lineno--;
                int r = xml_bytes(p, first, len + 1);
                free(first);
                if (r < 0) return err_set(e, "stopped");
                return import_feed(p, s + i + 1, n - i - 1, e);
            }
            if (p->fmt != IMPORT_AUTO && line_done(p, p->line, p->len) < 0)
                return err_set(e, "stopped");
        } else if (line_done(p, p->line, p->len) < 0) {
            return err_set(e, "stopped");
        }
        p->len = 0;
        p->overlong = false;
    }
    return 0;
}

int import_finish(struct import_parser *p, struct err *e)
{
    if (p->fmt == IMPORT_NMAP_XML) return 0;
    if (p->len || p->overlong) {
        /* a last line without its newline */
        if (import_feed(p, "\n", 1, e) < 0) return -1;
    }
    return 0;
}

static const char *const format_names[] = {
    [IMPORT_AUTO] = "auto",
    [IMPORT_LIST] = "list",
    [IMPORT_MASSCAN_JSON] = "masscan-json",
    [IMPORT_MASSCAN_LIST] = "masscan-list",
    [IMPORT_ZMAP] = "zmap",
    [IMPORT_NMAP_XML] = "nmap-xml",
};

int import_format_parse(const char *name, enum import_format *out)
{
    for (size_t i = 0; i < ARRAY_LEN(format_names); i++)
        if (!strcmp(name, format_names[i])) {
            *out = (enum import_format)i;
            return 0;
        }
    return -1;
}

const char *import_format_name(enum import_format f)
{
    return (size_t)f < ARRAY_LEN(format_names) ? format_names[f] : "?";
}

/* ------------------------------------------------------------------ */
/* the command                                                         */

struct pairset {
    struct import_pair *v;
    size_t n, cap;
    bool full;
    bool need_ports; /* some pair has no port */
};

static int collect(void *arg, const struct import_pair *pr)
{
    struct pairset *ps = arg;
    if (ps->n == ps->cap && ps->cap >= MAX_PAIRS) {
        ps->full = true;
        return 1;
    }
    struct import_pair *nv = arr_grow(ps->v, ps->n, &ps->cap, sizeof *nv, 1024);
    if (!nv) return 1;
    ps->v = nv;
    ps->v[ps->n++] = *pr;
    if (!pr->port) ps->need_ports = true;
    return 0;
}

static int pair_cmp(const void *a, const void *b)
{
    const struct import_pair *x = a, *y = b;
    if (x->family != y->family) return x->family < y->family ? -1 : 1;
    int c = memcmp(x->addr, y->addr, sizeof x->addr);
    if (c) return c;
    return x->port < y->port ? -1 : x->port > y->port;
}

static void pair_str(const struct import_pair *pr, char *out, size_t n)
{
    char a[INET6_ADDRSTRLEN];
    inet_ntop(pr->family, pr->addr, a, sizeof a);
    if (!pr->port)
        str_copy(out, a, n);
    else if (pr->family == AF_INET6)
        str_fmt(out, n, "[%s]:%u", a, pr->port);
    else
        str_fmt(out, n, "%s:%u", a, pr->port);
}

/* Which scan options take a value (to find the positional FILE among them). */
static bool takes_value(const char *a)
{
    static const char *const with[] = {
        "-p",
        "-o",
        "--ports",
        "--exclude",
        "--exclude-file",
        "--seed",
        "--shard",
        "--rate",
        "--concurrency",
        "--timeout",
        "--retries",
        "--probe-timeout",
        "--probe",
        "--max-seconds",
        "--db",
        "--fail-on",
        "--resolve",
        "--trace",
        "--webhook",
        "--alert-level",
        "--alert-min",
        "--webhook-wait",
        "--webhook-format",
        "--pagerduty-key",
        "--dashboard-url",
        "--mail-to",
        "--mail-from",
        "--mail-wait",
        "--discovery",
        "--output",
        "--format",
        "--asn-db",
        "--geo-db",
        "--cloud-ranges",
        "--resolver",
        "--rdns-timeout",
        "--signatures",
        "--lifecycle",
    };
    for (size_t i = 0; i < ARRAY_LEN(with); i++)
        if (!strcmp(a, with[i])) return true;
    return false;
}

/* Scan options without a value (so a typo is a usage error even when the input is empty). */
static bool known_flag(const char *a)
{
    static const char *const flags[] = {
        "--no-default-accounts", "--progress", "--quiet", "--verbose",
        "--no-resolve",          "--no-db",    "--rdns",
    };
    for (size_t i = 0; i < ARRAY_LEN(flags); i++)
        if (!strcmp(a, flags[i])) return true;
    if (a[0] == '-' && a[1] != '-') {
        for (const char *c = a + 1; *c; c++)
            if (!strchr("qvn", *c)) return false;
        return true;
    }
    const char *eq = strchr(a, '=');
    if (eq) {
        char name[64];
        size_t l = (size_t)(eq - a);
        if (l >= sizeof name) return false;
        memcpy(name, a, l);
        name[l] = 0;
        return takes_value(name);
    }
    return false;
}

struct reader {
    const char *cmd, *name;
    bool tty;
    off_t size;
    uint64_t done;
    int64_t start, last;
};

static void read_progress(struct reader *r, const struct pairset *ps, bool final)
{
    int64_t now = now_ms();
    if (!r->tty || (!final && now - r->last < 250)) return;
    r->last = now;
    double el = (double)(now - r->start) / 1000.0;
    double rate = el > 0 ? (double)r->done / el / 1e6 : 0;
    double pct = r->size > 0 ? 100.0 * (double)r->done / (double)r->size : 0;
    double eta = rate > 0 && r->size > 0 && (uint64_t)r->size > r->done
                     ? (double)((uint64_t)r->size - r->done) / (rate * 1e6)
                     : 0;
    if (r->size > 0)
        fprintf(stderr, "\rreading %s: %5.1f%%  %6.1f MB/s  ETA %4.0fs  found %zu%s", r->name, pct,
                rate, eta, ps->n, final ? "\n" : "   ");
    else
        fprintf(stderr, "\rreading %s: %6.1f MB  %6.1f MB/s  found %zu%s", r->name,
                (double)r->done / 1e6, rate, ps->n, final ? "\n" : "   ");
}

/* Write the pairs, one per line, to a private file named after their content. */
static int write_pairs(const char *cmd, struct pairset *ps, char *path, size_t pn)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned int mdl = 0;
    char line[80];
    if (!h) return -1;
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    for (size_t i = 0; i < ps->n; i++) {
        pair_str(&ps->v[i], line, sizeof line);
        EVP_DigestUpdate(h, line, strlen(line) + 1);
    }
    EVP_DigestFinal_ex(h, md, &mdl);
    EVP_MD_CTX_free(h);
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0]) dir = "/tmp";
    str_fmt(path, pn, "%s/ajar-%s-%u-%02x%02x%02x%02x%02x%02x%02x%02x", dir, cmd,
            (unsigned)getuid(), md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        /* another run of the same pairs (or a leftover): a random name, its own scope */
        str_fmt(path, pn, "%s/ajar-%s-XXXXXX", dir, cmd);
        fd = mkstemp(path);
    }
    if (fd < 0) {
        fprintf(stderr, "ajar %s: cannot create %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        close(fd);
        unlink(path);
        return -1;
    }
    for (size_t i = 0; i < ps->n; i++) {
        pair_str(&ps->v[i], line, sizeof line);
        fputs(line, fp);
        fputc('\n', fp);
    }
    if (fclose(fp) != 0) {
        fprintf(stderr, "ajar %s: writing %s failed\n", cmd, path);
        unlink(path);
        return -1;
    }
    return 0;
}

/* What import_main takes from its command line. */
struct import_args {
    const char *file; /* the input, NULL when none was given */
    bool have_ports, quiet;
    char **sargv; /* the options handed to scan, from "scan"; room for -iL FILE after them */
    int sargc;
};

/*
 * Sort argv into the input and the options handed to scan, refusing the options scan has
 * that make no sense here; --format sets *fmt. -1 to go on, else the exit status.
 */
static int import_args(const char *cmd, const char *usage, enum import_format *fmt, int argc,
                       char **argv, struct import_args *ia)
{
    ia->sargv[ia->sargc++] = "scan";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        if (!strcmp(a, "-iL") || !strcmp(a, "--iL") || !strcmp(a, "--discovery-only") ||
            !strncmp(a, "--resume", 8)) {
            fprintf(stderr, "ajar %s: %s is not an option of %s (try 'ajar %s --help')\n", cmd, a,
                    cmd, cmd);
            return EXIT_USAGE;
        }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) ia->quiet = true;
        if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!strcmp(cmd, "probe") || !v || import_format_parse(v, fmt) < 0) {
                fprintf(stderr,
                        "ajar %s: bad value for --format: '%s' (masscan-json, masscan-list, "
                        "zmap, nmap-xml, list)\n",
                        cmd, v ? v : "");
                return EXIT_USAGE;
            }
            continue;
        }
        if (!strcmp(a, "-p") || !strcmp(a, "--ports") || !strncmp(a, "--ports=", 8) ||
            (!strncmp(a, "-p", 2) && a[2]))
            ia->have_ports = true;
        if (a[0] == '-' && a[1]) {
            bool pshort = a[1] == 'p' && a[2]; /* -p9200 */
            if (!takes_value(a) && !known_flag(a) && !pshort) {
                fprintf(stderr, "ajar %s: unknown option '%s' (try 'ajar %s --help')\n", cmd, a,
                        cmd);
                return EXIT_USAGE;
            }
            if (takes_value(a) && i + 1 >= argc) {
                fprintf(stderr, "ajar %s: %s needs a value\n", cmd, a);
                return EXIT_USAGE;
            }
            ia->sargv[ia->sargc++] = argv[i];
            if (takes_value(a) && i + 1 < argc) ia->sargv[ia->sargc++] = argv[++i];
            continue;
        }
        if (ia->file) {
            fprintf(stderr, "ajar %s: one input at most ('%s' and '%s')\n", cmd, ia->file, a);
            return EXIT_USAGE;
        }
        ia->file = a;
    }
    return -1;
}

int import_main(const char *cmd, const char *usage, enum import_format fmt, int argc, char **argv)
{
    int rc = EXIT_USAGE;
    char **sargv = NULL;
    int sargc = 0;
    char path[512] = "";
    bool made = false;
    struct pairset ps = {0};
    struct import_parser p;
    bool parser_ok = false;
    FILE *in = NULL;
    struct err e = {{0}};

    sargv = xcalloc((size_t)argc + 4, sizeof *sargv);
    if (!sargv) {
        rc = EXIT_RUNTIME;
        goto out;
    }
    struct import_args ia = {.sargv = sargv};
    int ar = import_args(cmd, usage, &fmt, argc, argv, &ia);
    if (ar >= 0) {
        rc = ar;
        goto out;
    }
    const char *file = ia.file;
    bool have_ports = ia.have_ports, quiet = ia.quiet;
    sargc = ia.sargc;
    if (!file && !strcmp(cmd, "import")) {
        fprintf(stderr, "ajar import: no input (give a FILE of masscan, zmap or nmap results, or "
                        "'-' for stdin)\n");
        goto out;
    }
    if (!file) file = "-";
    if (!strcmp(file, "-")) {
        in = stdin;
        if (isatty(0) && !quiet)
            fprintf(stderr, "ajar %s: reading pairs from standard input (end with Ctrl-D)\n", cmd);
    } else {
        in = fopen(file, "r");
        if (!in) {
            fprintf(stderr, "ajar %s: cannot read %s: %s\n", cmd, file, strerror(errno));
            rc = EXIT_RUNTIME;
            goto out;
        }
    }
    rc = EXIT_RUNTIME;
    if (import_parser_init(&p, fmt, collect, &ps) < 0) goto out;
    parser_ok = true;
    struct reader r = {.cmd = cmd,
                       .name = in == stdin ? "stdin" : file,
                       .tty = !quiet && isatty(2),
                       .start = now_ms()};
    struct stat sb;
    if (in != stdin && fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode)) r.size = sb.st_size;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, in)) > 0) {
        r.done += got;
        if (import_feed(&p, chunk, got, &e) < 0) break;
        read_progress(&r, &ps, false);
    }
    if (ferror(in)) {
        fprintf(stderr, "ajar %s: reading %s failed\n", cmd, r.name);
        goto out;
    }
    if (!p.stopped) import_finish(&p, &e);
    if (r.tty) read_progress(&r, &ps, true);
    if (ps.full) {
        fprintf(stderr, "ajar %s: more than %u pairs; split the input\n", cmd, MAX_PAIRS);
        goto out;
    }
    if (p.stopped) {
        fprintf(stderr, "ajar %s: out of memory\n", cmd);
        goto out;
    }
    if (p.skipped && !quiet)
        fprintf(stderr, "ajar %s: %llu line(s) of %s skipped (first: line %llu)\n", cmd,
                (unsigned long long)p.skipped, r.name, (unsigned long long)p.first_bad_line);
    if (ps.n && ps.need_ports && !have_ports) {
        fprintf(stderr,
                "ajar %s: %s has addresses without a port: give -p PORTS (the port%s scanned)\n",
                cmd, r.name, p.fmt == IMPORT_ZMAP || p.fmt == IMPORT_LIST ? " zmap" : "s");
        rc = EXIT_USAGE;
        goto out;
    }
    if (ps.n) qsort(ps.v, ps.n, sizeof *ps.v, pair_cmp);
    size_t u = 0;
    for (size_t i = 0; i < ps.n; i++)
        if (!u || pair_cmp(&ps.v[u - 1], &ps.v[i]) != 0) ps.v[u++] = ps.v[i];
    ps.n = u;
    if (!quiet)
        fprintf(stderr, "ajar %s: %zu pair(s) to probe from %s (%s)\n", cmd, ps.n, r.name,
                import_format_name(p.fmt));
    if (ps.n == 0) {
        rc = EXIT_OK; /* nothing was open: nothing to probe */
        goto out;
    }
    if (write_pairs(cmd, &ps, path, sizeof path) < 0) goto out;
    made = true;
    sargv[sargc++] = "-iL";
    sargv[sargc++] = path;
    sargv[sargc] = NULL;
    rc = cmd_scan(sargc, sargv);
out:
    if (made) unlink(path);
    if (parser_ok) import_parser_free(&p);
    if (in && in != stdin) fclose(in);
    free(ps.v);
    free(sargv);
    return rc;
}

static const char import_usage[] =
    "usage: ajar import [--format FMT] [SCAN OPTIONS] FILE\n"
    "\n"
    "Probe exactly the open pairs another scanner found: masscan -oJ or -oL, zmap CSV (its\n"
    "default saddr lines, or a header with saddr,sport[,success]) or nmap -oX (open tcp ports).\n"
    "The format is detected from the first line unless --format is given. FILE '-' = stdin.\n"
    "Each pair is connected to once more (the probe stage needs a connection); there is no\n"
    "second discovery. Unparsable lines are skipped and counted.\n"
    "\n"
    "      --format FMT       masscan-json, masscan-list, zmap, nmap-xml (or list: ip[:port])\n"
    "  -p, --ports LIST       ports for addresses given without one (zmap's saddr lines)\n"
    "\n"
    "Every option of 'ajar scan' applies (output, --db/--no-db, --fail-on, --webhook, --rate,\n"
    "--probe-timeout, --exclude...), except -iL, --discovery-only and --resume.\n"
    "Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 --fail-on reached.\n"
    "\n"
    "Examples:\n"
    "  masscan -p9200,6379 10.0.0.0/16 -oJ found.json && ajar import found.json\n"
    "  zmap -p 9200 10.0.0.0/16 -o open.csv && ajar import -p 9200 open.csv\n"
    "  nmap -sT -p- -oX scan.xml 10.0.0.5 && ajar import --format nmap-xml scan.xml -o out.jsonl\n"
    "  ajar import found.json --fail-on high --no-db\n";

int cmd_import(int argc, char **argv)
{
    return import_main("import", import_usage, IMPORT_AUTO, argc, argv);
}
