/*
 * probe/zookeeper.c -- Apache ZooKeeper through its four-letter words.
 *
 * Requests this probe can send (one per connection: the server answers one
 * word and closes, so the probe asks for PROBE_RECONNECT between words):
 *   connection 1: "srvr"   version, mode, "Node count: N"
 *   connection 2: "mntr"   zk_version, zk_server_state, zk_znode_count,
 *                          zk_approximate_data_size, ...
 *   connection 3: "envi"   java.version, os.name, os.version
 * Nothing else: no client session is opened (a session is a transaction
 * in ZooKeeper's log), so no znode is listed or read. Words that dump
 * paths or sessions (dump, wchp, cons) are never sent.
 *
 * How it decides:
 *   - text starting "Zookeeper version:" (srvr), "zk_" lines (mntr) or
 *     "Environment:" (envi) is ZooKeeper; so is "<word> is not executed
 *     because it is not in the whitelist." and "This ZooKeeper instance is
 *     not currently serving requests". Anything else on the first
 *     connection is NOMATCH.
 *   - version: the dotted start of srvr's/mntr's version string (Debian's
 *     builds say "3.8.0-${mvngit.commit.id}, built on ..."); the raw string
 *     goes to details.version_raw. records = znode count (srvr Node count,
 *     else mntr zk_znode_count), bytes = zk_approximate_data_size.
 *   - auth: ZooKeeper clients need no credentials unless SASL is enforced
 *     (enforce.auth.enabled, rare), and the four-letter words never ask for
 *     any. When srvr or mntr answers, the probe reports auth "none": the
 *     server's state and counts are readable by anyone, and in the default
 *     configuration so are the znodes. Known limit: a server enforcing SASL
 *     on client sessions also reports "none" here, since seeing that needs
 *     a session. When every word is refused by the whitelist, auth is
 *     "unknown" (refusal is a server setting for the admin words, not client
 *     authentication). details.4lw_whitelisted is false as soon as one word
 *     was refused.
 *
 * Caps: answers are parsed line by line as they stream; a line keeps its
 * first 1 KiB (envi's java.class.path alone can be tens of KiB).
 */
#include "probe/probe.h"

#include <string.h>

#define ZK_LINE_MAX 1024
#define ZK_HEAD_MAX 128

static const char *const zk_words[] = {"srvr", "mntr", "envi"};

struct zk_state {
    char head[ZK_HEAD_MAX]; /* the start of this answer: is it ZooKeeper, is it a refusal */
    size_t headlen;
    char line[ZK_LINE_MAX]; /* the current line; a longer one keeps its start */
    size_t linelen;
    bool is_zk;
    bool answered; /* srvr or mntr gave real facts */
    int refused;   /* words refused by the whitelist */
    bool have_count;
};

static int zk_start(struct probe_ctx *ctx)
{
    struct zk_state *s = ctx->state;
    s->headlen = 0;
    s->linelen = 0;
    if (ctx->connection >= (int)ARRAY_LEN(zk_words)) return PROBE_DONE;
    const char *w = zk_words[ctx->connection];
    if (probe_send(ctx, w, strlen(w)) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static bool starts(const char *t, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k ? memcmp(t, prefix, k) == 0 : memcmp(t, prefix, n) == 0;
}

/* Could this (possibly partial) answer come from ZooKeeper? */
static bool plausible(const char *t, size_t n)
{
    static const char *const heads[] = {"Zookeeper version: ",  "zk_",
                                        "Environment:",         "This ZooKeeper instance",
                                        "srvr is not executed", "mntr is not executed",
                                        "envi is not executed"};
    for (size_t i = 0; i < ARRAY_LEN(heads); i++)
        if (starts(t, n, heads[i])) return true;
    return false;
}

static bool refusal(const struct zk_state *s)
{
    return mem_find(s->head, s->headlen, "is not executed because it is not in the whitelist",
                    false) != NULL;
}

static void zk_line(struct probe_ctx *ctx, struct zk_state *s);

static int zk_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct zk_state *s = ctx->state;
    size_t h = sizeof s->head - s->headlen;
    if (h > n) h = n;
    memcpy(s->head + s->headlen, p, h); /* the answer's first bytes, newlines included */
    s->headlen += h;
    for (size_t i = 0; i < n;) { /* line by line; a longer line keeps its start */
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n, k = end - i;
        if (k > sizeof s->line - s->linelen) k = sizeof s->line - s->linelen;
        memcpy(s->line + s->linelen, p + i, k);
        s->linelen += k;
        if (!nl) break;
        zk_line(ctx, s);
        s->linelen = 0;
        i = end + 1;
    }
    if (ctx->connection == 0 && !plausible(s->head, s->headlen)) return PROBE_NOMATCH;
    return PROBE_MORE;
}

static void identity(struct finding *f)
{
    FINDING_SET(f, service, "zookeeper");
    FINDING_SET(f, product, "ZooKeeper");
}

/* Dotted version prefix "3.8.0" of "3.8.0-5a02...,  built on ..." and the raw string. */
static void set_version(struct finding *f, const char *v, size_t vn)
{
    size_t k = 0;
    while (k < vn && ((v[k] >= '0' && v[k] <= '9') || v[k] == '.'))
        k++;
    if (!k) return;
    finding_set(f->version, sizeof f->version, v, k);
    char raw[128];
    finding_set(raw, sizeof raw, v, vn);
    finding_detail_str(f, "version_raw", raw);
}

static int64_t num(const char *v, size_t n)
{
    uint64_t u;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return parse_u64n(v, n, INT64_MAX, &u) == 0 ? (int64_t)u : -1;
}

static bool key_is(const char *k, size_t kn, const char *want)
{
    return kn == strlen(want) && memcmp(k, want, kn) == 0;
}

static void on_srvr(struct zk_state *s, struct finding *f, const char *k, size_t kn, const char *v,
                    size_t vn)
{
    char tmp[64];
    if (key_is(k, kn, "Zookeeper version")) {
        set_version(f, v, vn);
    } else if (key_is(k, kn, "Mode")) {
        finding_set(tmp, sizeof tmp, v, vn);
        finding_detail_str(f, "mode", tmp);
    } else if (key_is(k, kn, "Node count")) {
        int64_t c = num(v, vn);
        if (c >= 0) {
            f->records = c;
            s->have_count = true;
        }
    } else if (key_is(k, kn, "Connections")) {
        finding_detail_int(f, "connections", num(v, vn));
    }
}

static void on_mntr(struct zk_state *s, struct finding *f, const char *k, size_t kn, const char *v,
                    size_t vn)
{
    char tmp[64];
    if (key_is(k, kn, "zk_version")) {
        if (!f->version[0]) set_version(f, v, vn);
    } else if (key_is(k, kn, "zk_server_state")) {
        finding_set(tmp, sizeof tmp, v, vn);
        finding_detail_str(f, "mode", tmp);
    } else if (key_is(k, kn, "zk_znode_count")) {
        int64_t c = num(v, vn);
        if (c >= 0 && !s->have_count) {
            f->records = c;
            s->have_count = true;
        }
    } else if (key_is(k, kn, "zk_approximate_data_size")) {
        f->bytes = num(v, vn);
    } else if (key_is(k, kn, "zk_ephemerals_count")) {
        finding_detail_int(f, "ephemerals", num(v, vn));
    } else if (key_is(k, kn, "zk_num_alive_connections")) {
        finding_detail_int(f, "connections", num(v, vn));
    }
}

static void on_envi(struct zk_state *s, struct finding *f, const char *k, size_t kn, const char *v,
                    size_t vn)
{
    char tmp[128];
    if (key_is(k, kn, "java.version")) {
        finding_set(tmp, sizeof tmp, v, vn);
        finding_detail_str(f, "java_version", tmp);
    } else if (key_is(k, kn, "os.name")) {
        finding_set(tmp, sizeof tmp, v, vn);
        finding_detail_str(f, "os", tmp);
    } else if (key_is(k, kn, "os.version")) {
        finding_set(tmp, sizeof tmp, v, vn);
        finding_detail_str(f, "os_version", tmp);
    }
}

/* One complete line of the current word's answer: "key<sep>value". */
static void zk_line(struct probe_ctx *ctx, struct zk_state *s)
{
    static const char seps[] = {':', '\t', '='};
    int word = ctx->connection;
    if (word < 0 || word >= (int)ARRAY_LEN(zk_words)) return;
    if (!plausible(s->head, s->headlen) || refusal(s)) return;
    const char *l = s->line;
    size_t ln = s->linelen;
    if (ln && l[ln - 1] == '\r') ln--;
    const char *c = memchr(l, seps[word], ln);
    if (!c) return;
    size_t kn = (size_t)(c - l);
    const char *v = c + 1;
    size_t vn = ln - kn - 1;
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    if (word == 0)
        on_srvr(s, ctx->f, l, kn, v, vn);
    else if (word == 1)
        on_mntr(s, ctx->f, l, kn, v, vn);
    else
        on_envi(s, ctx->f, l, kn, v, vn);
}

static int zk_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct zk_state *s = ctx->state;
    struct finding *f = ctx->f;
    int word = ctx->connection;
    if (s->linelen) { /* a last line without its newline */
        zk_line(ctx, s);
        s->linelen = 0;
    }
    if (s->headlen && plausible(s->head, s->headlen)) {
        if (!s->is_zk) identity(f);
        s->is_zk = true;
        if (refusal(s))
            s->refused++;
        else if (starts(s->head, s->headlen, "This ZooKeeper instance"))
            finding_detail_str(f, "mode", "not serving");
        else if (word <= 1)
            s->answered = true;
    } else if (word == 0) {
        return PROBE_NOMATCH;
    }
    if (s->is_zk) {
        f->auth = s->answered ? AUTH_NONE : AUTH_UNKNOWN;
        /* false as soon as one of the words was refused */
        finding_detail(f, "4lw_whitelisted", json_boolean(s->refused == 0));
    }
    if (word + 1 < (int)ARRAY_LEN(zk_words) && why != PROBE_END_CANCEL) return PROBE_RECONNECT;
    return PROBE_DONE;
}

/* ZooKeeper closes on an HTTP request without a word; nothing to sniff. */

const struct probe probe_zookeeper = {
    .name = "zookeeper",
    .flags = PROBE_TLS_OK, /* the words also work on secureClientPort */
    .state_size = sizeof(struct zk_state),
    .start = zk_start,
    .on_data = zk_on_data,
    .on_end = zk_on_end,
    .silent = 50, /* reads "GET " as a length and closes */
};
