/*
 * probe/memcached.c -- Memcached, text protocol first, binary protocol when
 * the text one is refused.
 *
 * Requests this probe can send:
 *   connection 1 (text):   "stats\r\n"
 *   connection 2 (binary, only when connection 1 got no word back before a
 *   close or the deadline; a SASL-only server (-S) reads only binary
 *   headers and sits waiting for the rest of one):
 *                          a binary VERSION request (opcode 0x0b) followed
 *                          by a binary STAT request (opcode 0x10, no key)
 * Never get/gets/gat, never "stats cachedump" or "lru_crawler metadump"
 * (those list keys), never anything that stores.
 *
 * How it decides:
 *   - text "STAT name value" lines up to "END": version, curr_items
 *     (-> records), bytes (-> bytes), limit_maxbytes and curr_connections
 *     into details; answered stats = auth none. databases/collections do
 *     not exist in memcached and stay unknown.
 *   - "CLIENT_ERROR unauthenticated" (1.5.15+ with -Y, ASCII auth): auth
 *     required. Other "CLIENT_ERROR"/"SERVER_ERROR" lines: memcached, auth
 *     unknown, the text kept in `error`.
 *   - binary: the VERSION answer (SASL servers answer it before login)
 *     gives the version; STAT answered with status 0x20 "Auth error" means
 *     auth required, answered with stat packets means auth none.
 *   - anything else: NOMATCH.
 *
 * Caps: text lines 512 bytes, 300 lines; binary bodies 4 KiB each.
 */
#include "probe/probe.h"

#include <string.h>

#define MC_LINE_MAX  512
#define MC_MAX_LINES 300
#define MC_BODY_MAX  4096

enum { MC_TEXT = 0, MC_BIN };

struct mc_state {
    int mode;
    char line[MC_LINE_MAX];
    size_t linelen;
    bool line_overflow;
    int lines;
    bool saw_stat;
    /* binary */
    uint8_t hdr[24];
    size_t hlen;
    uint32_t body_left;
    uint8_t body[MC_BODY_MAX];
    size_t blen;
    bool got_version;
};

static const char mc_text_req[] = "stats\r\n";

static void mc_bin_req(uint8_t *p, uint8_t opcode, uint32_t opaque)
{
    memset(p, 0, 24);
    p[0] = 0x80; /* request magic */
    p[1] = opcode;
    p[12] = (uint8_t)(opaque >> 24);
    p[13] = (uint8_t)(opaque >> 16);
    p[14] = (uint8_t)(opaque >> 8);
    p[15] = (uint8_t)opaque;
}

static int mc_start(struct probe_ctx *ctx)
{
    struct mc_state *s = ctx->state;
    if (ctx->connection == 0) {
        s->mode = MC_TEXT;
        if (probe_send(ctx, mc_text_req, sizeof mc_text_req - 1) < 0) return PROBE_DONE;
        return PROBE_SEND;
    }
    s->mode = MC_BIN;
    uint8_t req[48];
    mc_bin_req(req, 0x0b, 1);      /* VERSION */
    mc_bin_req(req + 24, 0x10, 2); /* STAT */
    if (probe_send(ctx, req, sizeof req) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static void identity(struct finding *f)
{
    FINDING_SET(f, service, "memcached");
    FINDING_SET(f, product, "Memcached");
}

static int64_t num(const char *v, size_t n)
{
    uint64_t u;
    return parse_u64n(v, n, INT64_MAX, &u) == 0 ? (int64_t)u : -1;
}

/* One text line (no CRLF). Returns PROBE_MORE to continue or a final rc. */
static int mc_text_line(struct probe_ctx *ctx, struct mc_state *s)
{
    struct finding *f = ctx->f;
    const char *l = s->line;
    size_t n = s->linelen;
    if (n == 3 && memcmp(l, "END", 3) == 0) {
        if (!s->saw_stat) return PROBE_NOMATCH;
        f->auth = AUTH_NONE;
        return PROBE_DONE;
    }
    if (n > 5 && memcmp(l, "STAT ", 5) == 0) {
        const char *k = l + 5;
        const char *sp = memchr(k, ' ', n - 5);
        if (!sp) return PROBE_MORE;
        size_t kn = (size_t)(sp - k);
        const char *v = sp + 1;
        size_t vn = n - 5 - kn - 1;
        if (!s->saw_stat) identity(f);
        s->saw_stat = true;
        if (kn == 7 && memcmp(k, "version", 7) == 0)
            finding_set(f->version, sizeof f->version, v, vn);
        else if (kn == 10 && memcmp(k, "curr_items", 10) == 0)
            f->records = num(v, vn);
        else if (kn == 5 && memcmp(k, "bytes", 5) == 0)
            f->bytes = num(v, vn);
        else if (kn == 14 && memcmp(k, "limit_maxbytes", 14) == 0)
            finding_detail_int(f, "limit_maxbytes", num(v, vn));
        else if (kn == 16 && memcmp(k, "curr_connections", 16) == 0)
            finding_detail_int(f, "curr_connections", num(v, vn));
        return PROBE_MORE;
    }
    if (s->saw_stat) return PROBE_MORE; /* an unknown line inside stats: tolerate */
    if (n >= 12 && memcmp(l, "CLIENT_ERROR", 12) == 0) {
        identity(f);
        f->auth = mem_find(l, n, "unauthenticated", true) ? AUTH_REQUIRED : AUTH_UNKNOWN;
        finding_set(f->error, sizeof f->error, l, n);
        return PROBE_DONE;
    }
    if (n >= 12 && memcmp(l, "SERVER_ERROR", 12) == 0) {
        identity(f);
        finding_set(f->error, sizeof f->error, l, n);
        return PROBE_DONE;
    }
    return PROBE_NOMATCH;
}

static int mc_text(struct probe_ctx *ctx, struct mc_state *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\n') {
            if (s->linelen && s->line[s->linelen - 1] == '\r') s->linelen--;
            s->line[s->linelen] = 0;
            if (++s->lines > MC_MAX_LINES) return s->saw_stat ? PROBE_DONE : PROBE_NOMATCH;
            int rc = s->line_overflow && !s->saw_stat ? PROBE_NOMATCH : mc_text_line(ctx, s);
            s->linelen = 0;
            s->line_overflow = false;
            if (rc != PROBE_MORE) return rc;
            continue;
        }
        /* the very first byte must start STAT, END, CLIENT_ERROR or SERVER_ERROR */
        if (s->lines == 0 && s->linelen == 0 && c != 'S' && c != 'E' && c != 'C')
            return PROBE_NOMATCH;
        if (s->linelen + 1 >= sizeof s->line) {
            s->line_overflow = true;
            continue;
        }
        s->line[s->linelen++] = (char)c;
    }
    return PROBE_MORE;
}

/* One complete binary response packet (header in s->hdr, body in s->body, maybe cut). */
static int mc_bin_packet(struct probe_ctx *ctx, struct mc_state *s)
{
    struct finding *f = ctx->f;
    uint8_t op = s->hdr[1];
    uint16_t keylen = (uint16_t)(s->hdr[2] << 8 | s->hdr[3]);
    uint8_t extlen = s->hdr[4];
    uint16_t status = (uint16_t)(s->hdr[6] << 8 | s->hdr[7]);
    size_t off = extlen;
    const uint8_t *key = s->body + (off < s->blen ? off : s->blen);
    size_t kn = off + keylen <= s->blen ? keylen : 0;
    const uint8_t *val = s->body + (off + keylen < s->blen ? off + keylen : s->blen);
    size_t vn = off + keylen < s->blen ? s->blen - off - keylen : 0;
    identity(f);
    if (op == 0x0b) {
        if (status == 0) finding_set(f->version, sizeof f->version, val, vn);
        return PROBE_MORE;
    }
    if (op != 0x10) return PROBE_MORE;
    if (status == 0x20) { /* Auth error */
        f->auth = AUTH_REQUIRED;
        finding_set(f->error, sizeof f->error, val, vn);
        return PROBE_DONE;
    }
    if (status != 0) {
        finding_set(f->error, sizeof f->error, val, vn);
        return PROBE_DONE;
    }
    if (keylen == 0) { /* the empty packet that ends the stats */
        f->auth = AUTH_NONE;
        return PROBE_DONE;
    }
    if (kn == 10 && memcmp(key, "curr_items", 10) == 0)
        f->records = num((const char *)val, vn);
    else if (kn == 5 && memcmp(key, "bytes", 5) == 0)
        f->bytes = num((const char *)val, vn);
    else if (kn == 7 && memcmp(key, "version", 7) == 0)
        finding_set(f->version, sizeof f->version, val, vn);
    else if (kn == 14 && memcmp(key, "limit_maxbytes", 14) == 0)
        finding_detail_int(f, "limit_maxbytes", num((const char *)val, vn));
    else if (kn == 16 && memcmp(key, "curr_connections", 16) == 0)
        finding_detail_int(f, "curr_connections", num((const char *)val, vn));
    return PROBE_MORE;
}

static int mc_bin(struct probe_ctx *ctx, struct mc_state *s, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s->hlen < 24) {
            size_t take = 24 - s->hlen;
            if (take > n - i) take = n - i;
            memcpy(s->hdr + s->hlen, p + i, take);
            s->hlen += take;
            i += take;
            if (s->hdr[0] != 0x81) return PROBE_NOMATCH; /* response magic */
            if (s->hlen < 24) break;
            s->body_left = probe_be32(s->hdr + 8);
            if (s->body_left > (1u << 20)) return PROBE_NOMATCH;
            s->blen = 0;
        }
        size_t take = n - i < s->body_left ? n - i : s->body_left;
        size_t keep = take;
        if (keep > sizeof s->body - s->blen) keep = sizeof s->body - s->blen;
        memcpy(s->body + s->blen, p + i, keep);
        s->blen += keep;
        s->body_left -= (uint32_t)take;
        i += take;
        if (s->body_left == 0) {
            int rc = mc_bin_packet(ctx, s);
            s->hlen = 0;
            if (rc != PROBE_MORE) return rc;
        }
    }
    return PROBE_MORE;
}

static int mc_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct mc_state *s = ctx->state;
    return s->mode == MC_TEXT ? mc_text(ctx, s, p, n) : mc_bin(ctx, s, p, n);
}

static int mc_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct mc_state *s = ctx->state;
    /*
     * Text stats met with silence or a close: a SASL-only server (-S) reads
     * binary headers and waits for 24 bytes that never come. Try binary once.
     */
    if (s->mode == MC_TEXT && s->lines == 0 && s->linelen == 0 &&
        (why == PROBE_END_EOF || why == PROBE_END_TIMEOUT) && ctx->connection == 0)
        return PROBE_RECONNECT;
    if (ctx->f->service[0]) return PROBE_DONE; /* stats cut short: keep what was read */
    return PROBE_NOMATCH;
}

/* Memcached answers an unknown command ("GET / HTTP/1.1") with "ERROR\r\n". */
static int mc_sniff(const uint8_t *p, size_t n)
{
    if (n >= 7 && memcmp(p, "ERROR\r\n", 7) == 0) return 80;
    if (n >= 13 && memcmp(p, "CLIENT_ERROR ", 13) == 0) return 70;
    return 0;
}

const struct probe probe_memcached = {
    .name = "memcached",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct mc_state),
    .start = mc_start,
    .on_data = mc_on_data,
    .on_end = mc_on_end,
    .sniff = mc_sniff,
};
