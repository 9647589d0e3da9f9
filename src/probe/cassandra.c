/*
 * probe/cassandra.c -- Apache Cassandra and ScyllaDB (CQL native protocol
 * v4, port 9042).
 *
 * Requests this probe can send, in order, and only these:
 *   1. OPTIONS (opcode 0x05, stream 0, empty body).
 *   2. STARTUP (opcode 0x01, stream 1) with {CQL_VERSION: 3.0.0}, after
 *      SUPPORTED. STARTUP carries no credentials: it asks the server
 *      whether it wants any.
 * The probe then closes the connection; it runs no query.
 *
 * How it decides: a v4 response frame (version byte 0x84) to OPTIONS with
 * opcode SUPPORTED (0x06) is CQL; its string multimap gives CQL_VERSION,
 * PROTOCOL_VERSIONS and COMPRESSION (details), and SCYLLA_* keys mean
 * ScyllaDB. The server version is not part of the handshake (none). After
 * STARTUP, READY (0x02) means auth none; AUTHENTICATE (0x03) means auth
 * required (details authenticator, e.g.
 * org.apache.cassandra.auth.PasswordAuthenticator). An ERROR (0x00), for
 * example "Invalid or unsupported protocol version" from a server older
 * than v4, still names a CQL server (details error_code, error).
 *
 * Frame: version, flags, stream (int16), opcode, length (int32), body; all
 * big-endian. One frame of at most CQL_FRAME_MAX bytes is kept.
 */
#include "probe/probe.h"

#include <stdio.h>
#include <string.h>

#define CQL_FRAME_MAX 16384
#define CQL_HDR       9

enum {
    OP_ERROR = 0x00,
    OP_STARTUP = 0x01,
    OP_READY = 0x02,
    OP_AUTHENTICATE = 0x03,
    OP_OPTIONS = 0x05,
    OP_SUPPORTED = 0x06
};

struct cql_state {
    int step; /* 0: OPTIONS sent, 1: STARTUP sent */
    bool identified;
    size_t len;
    uint8_t frame[CQL_HDR + CQL_FRAME_MAX];
};

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static int cql_start(struct probe_ctx *ctx)
{
    static const uint8_t options[CQL_HDR] = {0x04, 0, 0, 0, OP_OPTIONS, 0, 0, 0, 0};
    struct cql_state *st = ctx->state;
    st->step = 0;
    st->len = 0;
    if (probe_send(ctx, options, sizeof options) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int send_startup(struct probe_ctx *ctx)
{
    /* header (v4 request, stream 1, STARTUP, body 22 bytes), then the
       [string map] {"CQL_VERSION": "3.0.0"} */
    static const uint8_t startup[] = "\x04\x00\x00\x01\x01\x00\x00\x00\x16"
                                     "\x00\x01"
                                     "\x00\x0b"
                                     "CQL_VERSION"
                                     "\x00\x05"
                                     "3.0.0";
    struct cql_state *st = ctx->state;
    st->step = 1;
    st->len = 0;
    if (probe_send(ctx, startup, sizeof startup - 1) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

struct rd {
    const uint8_t *p;
    size_t n, i;
};

static bool rd_short(struct rd *r, uint32_t *v)
{
    if (r->n - r->i < 2) return false;
    *v = be16(r->p + r->i);
    r->i += 2;
    return true;
}

static bool rd_string(struct rd *r, const uint8_t **s, size_t *sl)
{
    uint32_t l;
    if (!rd_short(r, &l) || r->n - r->i < l) return false;
    *s = r->p + r->i;
    *sl = l;
    r->i += l;
    return true;
}

static bool key_is(const uint8_t *k, size_t kl, const char *name)
{
    return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

/* SUPPORTED: [string multimap] = n, then n x (key, [string list]). */
static int on_supported(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct rd r = {b, n, 0};
    uint32_t nk;
    if (!rd_short(&r, &nk) || nk > 64) return PROBE_NOMATCH;
    bool scylla = false;
    json_t *lists[3] = {json_array(), json_array(), json_array()};
    static const char *const keys[3] = {"CQL_VERSION", "PROTOCOL_VERSIONS", "COMPRESSION"};
    static const char *const dkeys[3] = {"cql_versions", "protocol_versions", "compression"};
    int rc = PROBE_NOMATCH;
    for (uint32_t k = 0; k < nk; k++) {
        const uint8_t *key;
        size_t kl;
        uint32_t nv;
        if (!rd_string(&r, &key, &kl) || !rd_short(&r, &nv) || nv > 64) goto out;
        if (kl > 7 && memcmp(key, "SCYLLA_", 7) == 0) scylla = true;
        int which = -1;
        for (int j = 0; j < 3; j++)
            if (key_is(key, kl, keys[j])) which = j;
        for (uint32_t v = 0; v < nv; v++) {
            const uint8_t *s;
            size_t sl;
            if (!rd_string(&r, &s, &sl)) goto out;
            if (which >= 0 && lists[which] && json_array_size(lists[which]) < 16) {
                char tmp[64];
                str_sanitize(tmp, sizeof tmp, s, sl, true);
                json_array_append_new(lists[which], json_string(tmp));
            }
        }
    }
    if (!json_array_size(lists[0])) goto out; /* every CQL server names its CQL version */
    struct cql_state *st = ctx->state;
    st->identified = true;
    FINDING_SET(ctx->f, service, "cassandra");
    FINDING_SET(ctx->f, product, scylla ? "ScyllaDB" : "Cassandra");
    for (int j = 0; j < 3; j++) {
        finding_detail(ctx->f, dkeys[j], lists[j]);
        lists[j] = NULL;
    }
    rc = send_startup(ctx);
out:
    for (int j = 0; j < 3; j++)
        json_decref(lists[j]);
    return rc;
}

static int on_error(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct cql_state *st = ctx->state;
    struct rd r = {b, n, 4};
    const uint8_t *m;
    size_t ml;
    if (n < 4 || !rd_string(&r, &m, &ml)) return st->identified ? PROBE_DONE : PROBE_NOMATCH;
    uint32_t code = probe_be32(b);
    /* error codes are 0x0000..0x2500 in the specification */
    if (code > 0x2500) return st->identified ? PROBE_DONE : PROBE_NOMATCH;
    if (!st->identified) {
        st->identified = true;
        FINDING_SET(ctx->f, service, "cassandra");
        FINDING_SET(ctx->f, product, "Cassandra");
    }
    finding_detail_int(ctx->f, "error_code", code);
    finding_detail_strn(ctx->f, "error", m, ml);
    return PROBE_DONE;
}

static int on_frame(struct probe_ctx *ctx, uint8_t op, const uint8_t *b, size_t n)
{
    struct cql_state *st = ctx->state;
    if (op == OP_ERROR) return on_error(ctx, b, n);
    if (st->step == 0) return op == OP_SUPPORTED ? on_supported(ctx, b, n) : PROBE_NOMATCH;
    if (op == OP_READY) {
        ctx->f->auth = AUTH_NONE;
        return PROBE_DONE;
    }
    if (op == OP_AUTHENTICATE) {
        struct rd r = {b, n, 0};
        const uint8_t *s;
        size_t sl;
        ctx->f->auth = AUTH_REQUIRED;
        if (rd_string(&r, &s, &sl)) finding_detail_strn(ctx->f, "authenticator", s, sl);
        return PROBE_DONE;
    }
    return PROBE_DONE;
}

static int cql_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct cql_state *st = ctx->state;
    for (size_t i = 0; i < n; i++) {
        if (st->len >= sizeof st->frame) break;
        st->frame[st->len++] = p[i];
        const uint8_t *f = st->frame;
        if (st->len == 1) {
            /* a response frame: direction bit set, protocol v1..v5 */
            if (!(f[0] & 0x80) || (f[0] & 0x7f) < 1 || (f[0] & 0x7f) > 5)
                return st->identified ? PROBE_DONE : PROBE_NOMATCH;
        }
        if (st->len < CQL_HDR) continue;
        uint32_t bl = probe_be32(f + 5);
        if (bl > CQL_FRAME_MAX) return st->identified ? PROBE_DONE : PROBE_NOMATCH;
        if (st->len == CQL_HDR + bl) return on_frame(ctx, f[4], f + CQL_HDR, bl);
    }
    return PROBE_MORE;
}

static int cql_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct cql_state *st = ctx->state;
    return st->identified ? PROBE_DONE : PROBE_NOMATCH;
}

/*
 * Foreign bytes: a CQL server reads the first byte of anything as a
 * protocol version and answers with an ERROR frame (direction bit set,
 * opcode 0x00, a protocol-error code 0x000A).
 */
static int cql_sniff(const uint8_t *p, size_t n)
{
    if (n < CQL_HDR + 4) return 0;
    if (!(p[0] & 0x80) || (p[0] & 0x7f) < 1 || (p[0] & 0x7f) > 5) return 0;
    if (p[4] != OP_ERROR || probe_be32(p + 5) > 4096) return 0;
    if (probe_be32(p + CQL_HDR) == 0x000a) return 90;
    return 50;
}

const struct probe probe_cassandra = {
    .name = "cassandra",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct cql_state),
    .start = cql_start,
    .on_data = cql_on_data,
    .on_end = cql_on_end,
    .sniff = cql_sniff,
};
