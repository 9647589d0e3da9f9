/*
 * probe/neo4j_bolt.c -- Neo4j's Bolt protocol (port 7687, plain or TLS on
 * the same port), and the other graph servers that speak it.
 *
 * Requests this probe can send, in order, and only these:
 *   1. The handshake: the magic 60 60 B0 17 and four proposed versions,
 *      most wanted first: 5.8 down to 5.0 (range encoding 00 08 08 05),
 *      4.4 down to 4.1 (00 03 04 04), 3 (00 00 00 03), 1 (00 00 00 01).
 *   2. After the server picked a version, the login WITHOUT credentials:
 *      Bolt 1/2: INIT "ajar/0.1.0" {scheme: "none"};
 *      Bolt 3, 4.x, 5.0: HELLO {user_agent, scheme: "none"};
 *      Bolt 5.1 and later: HELLO {user_agent[, bolt_agent from 5.3]} and,
 *      in the same write, LOGON {scheme: "none"} (credentials left HELLO
 *      in 5.1). "none" is the scheme a server without authentication
 *      accepts; it is not a password and no password is ever sent.
 *   3. GOODBYE (5.x, 4.x, 3) after the answer, best effort.
 * No RUN, no Cypher: the probe reads no database, not even its names
 * (those come from the HTTP side, signatures/neo4j.yaml).
 *
 * How it decides: the server answers the handshake with one 4-byte version,
 * one of those proposed, or 00 00 00 00 (no common version) and closes;
 * either names a Bolt server. The SUCCESS to INIT/HELLO carries `server`
 * ("Neo4j/4.4.26": product and version; FalkorDB and Memgraph say "Neo4j/"
 * too) and, from Bolt 3, `connection_id`. SUCCESS to the scheme-none login
 * (INIT/HELLO before 5.1, LOGON after): authentication is disabled (auth
 * none). FAILURE Neo.ClientError.Security.* ("Unsupported authentication
 * token, scheme 'none' is only allowed when auth is disabled."): auth
 * required. Any other FAILURE: auth unknown, with the code and message.
 *
 * Parsing: messages come in chunks (2-byte length, bytes) ended by an empty
 * chunk; at most BOLT_MSG_CAP bytes of one message are kept. PackStream is
 * decoded only as far as a map of strings, ints, booleans, lists and maps,
 * nesting at most BOLT_DEPTH deep; any malformed value stops the decode.
 */
#include "probe/probe.h"
#include "core/version.h"

#include <stdio.h>
#include <string.h>

#define BOLT_MSG_CAP 16384
#define BOLT_DEPTH   8

enum {
    MSG_INIT = 0x01, /* HELLO from Bolt 3 */
    MSG_GOODBYE = 0x02,
    MSG_LOGON = 0x6A,
    MSG_SUCCESS = 0x70,
    MSG_IGNORED = 0x7E,
    MSG_FAILURE = 0x7F,
};

enum bolt_step { ST_HANDSHAKE = 0, ST_NONE_AGREED, ST_HELLO, ST_LOGON, ST_END };

struct bolt_state {
    enum bolt_step step;
    uint8_t major, minor;
    uint8_t ver[4];
    size_t verlen;
    /* chunk reader */
    uint8_t hdr[2];
    size_t hlen;
    uint32_t need; /* bytes left in the current chunk */
    uint32_t kept;
    bool truncated;
    uint8_t msg[BOLT_MSG_CAP];
};

/* ---- requests ---------------------------------------------------------- */

static int bolt_start(struct probe_ctx *ctx)
{
    static const uint8_t hs[20] = {0x60, 0x60, 0xB0, 0x17, 0x00, 0x08, 0x08, 0x05, 0x00, 0x03,
                                   0x04, 0x04, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01};
    struct bolt_state *st = ctx->state;
    memset(st, 0, offsetof(struct bolt_state, msg));
    st->step = ST_HANDSHAKE;
    if (probe_send(ctx, hs, sizeof hs) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* A PackStream writer over a fixed buffer (our own short messages only). */
struct pw {
    uint8_t b[256];
    size_t n;
    bool bad;
};

static void pw_byte(struct pw *w, uint8_t c)
{
    if (w->n < sizeof w->b)
        w->b[w->n++] = c;
    else
        w->bad = true;
}

static void pw_str(struct pw *w, const char *s)
{
    size_t l = strlen(s);
    if (l < 16) {
        pw_byte(w, (uint8_t)(0x80 | l));
    } else if (l < 256) {
        pw_byte(w, 0xD0);
        pw_byte(w, (uint8_t)l);
    } else {
        w->bad = true;
        return;
    }
    for (size_t i = 0; i < l; i++)
        pw_byte(w, (uint8_t)s[i]);
}

/* One message (a struct of nfields with signature sig, fields already in body) as one chunk. */
static int send_msg(struct probe_ctx *ctx, const struct pw *body)
{
    uint8_t out[sizeof body->b + 4];
    if (body->bad || body->n > sizeof body->b) return -1;
    out[0] = (uint8_t)(body->n >> 8);
    out[1] = (uint8_t)body->n;
    memcpy(out + 2, body->b, body->n);
    out[2 + body->n] = 0;
    out[3 + body->n] = 0;
    return probe_send(ctx, out, body->n + 4);
}

static int send_login(struct probe_ctx *ctx)
{
    struct bolt_state *st = ctx->state;
    static const char agent[] = AJAR_AGENT; /* as the HTTP probe's User-Agent */
    struct pw w = {.n = 0};
    if (st->major <= 2) {
        /* INIT client_name {scheme: "none"} */
        pw_byte(&w, 0xB2);
        pw_byte(&w, MSG_INIT);
        pw_str(&w, agent);
        pw_byte(&w, 0xA1);
        pw_str(&w, "scheme");
        pw_str(&w, "none");
    } else if (st->major < 5 || (st->major == 5 && st->minor == 0)) {
        /* HELLO {user_agent, scheme: "none"} */
        pw_byte(&w, 0xB1);
        pw_byte(&w, MSG_INIT);
        pw_byte(&w, 0xA2);
        pw_str(&w, "user_agent");
        pw_str(&w, agent);
        pw_str(&w, "scheme");
        pw_str(&w, "none");
    } else {
        /* HELLO {user_agent[, bolt_agent: {product}]}, then LOGON {scheme: "none"} */
        bool bolt_agent = st->minor >= 3;
        pw_byte(&w, 0xB1);
        pw_byte(&w, MSG_INIT);
        pw_byte(&w, bolt_agent ? 0xA2 : 0xA1);
        pw_str(&w, "user_agent");
        pw_str(&w, agent);
        if (bolt_agent) {
            pw_str(&w, "bolt_agent");
            pw_byte(&w, 0xA1);
            pw_str(&w, "product");
            pw_str(&w, agent);
        }
        if (send_msg(ctx, &w) < 0) return PROBE_DONE;
        w.n = 0;
        pw_byte(&w, 0xB1);
        pw_byte(&w, MSG_LOGON);
        pw_byte(&w, 0xA1);
        pw_str(&w, "scheme");
        pw_str(&w, "none");
    }
    st->step = ST_HELLO;
    if (send_msg(ctx, &w) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int finish(struct probe_ctx *ctx)
{
    struct bolt_state *st = ctx->state;
    static const uint8_t goodbye[] = {0x00, 0x02, 0xB0, MSG_GOODBYE, 0x00, 0x00};
    st->step = ST_END;
    if (st->major >= 3) probe_send(ctx, goodbye, sizeof goodbye); /* best effort */
    return PROBE_DONE;
}

/* ---- PackStream reading ------------------------------------------------- */

struct rd {
    const uint8_t *p;
    size_t n, i;
};

static bool rd_uint(struct rd *r, size_t w, uint64_t *v)
{
    if (r->n - r->i < w) return false;
    uint64_t x = 0;
    for (size_t k = 0; k < w; k++)
        x = x << 8 | r->p[r->i + k];
    r->i += w;
    *v = x;
    return true;
}

/* The size that follows a marker of the 8/16/32-bit family (0 for the tiny form). */
static bool rd_size(struct rd *r, uint8_t m, uint8_t base8, uint64_t *len)
{
    return rd_uint(r, (size_t)1 << (m - base8), len);
}

/* A string value: its bytes. false when the value is not a string or is cut. */
static bool rd_string(struct rd *r, const uint8_t **s, size_t *sl)
{
    if (r->i >= r->n) return false;
    uint8_t m = r->p[r->i++];
    uint64_t len;
    if ((m & 0xF0) == 0x80)
        len = m & 0x0F;
    else if (m >= 0xD0 && m <= 0xD2) {
        if (!rd_size(r, m, 0xD0, &len)) return false;
    } else
        return false;
    if (len > r->n - r->i) return false;
    *s = r->p + r->i;
    *sl = (size_t)len;
    r->i += (size_t)len;
    return true;
}

/* Skip one value of any type, nesting at most depth more levels. */
static bool rd_skip(struct rd *r, int depth)
{
    if (r->i >= r->n || depth <= 0) return false;
    uint8_t m = r->p[r->i];
    uint64_t count = 0, len = 0;
    int per = 1; /* values per element: 2 for a map */
    if (m < 0x80 || m >= 0xF0 || m == 0xC0 || m == 0xC2 || m == 0xC3) { /* tiny int, null, bool */
        r->i++;
        return true;
    }
    if ((m & 0xF0) == 0x80 || (m >= 0xD0 && m <= 0xD2)) {
        const uint8_t *s;
        size_t sl;
        return rd_string(r, &s, &sl);
    }
    r->i++;
    switch (m) {
    case 0xC1: /* float 64 */
        return rd_uint(r, 8, &len);
    case 0xC8:
    case 0xC9:
    case 0xCA:
    case 0xCB: /* int 8..64 */
        return rd_uint(r, (size_t)1 << (m - 0xC8), &len);
    case 0xCC:
    case 0xCD:
    case 0xCE: /* bytes */
        if (!rd_size(r, m, 0xCC, &len) || len > r->n - r->i) return false;
        r->i += (size_t)len;
        return true;
    case 0xD4:
    case 0xD5:
    case 0xD6: /* list */
        if (!rd_size(r, m, 0xD4, &count)) return false;
        break;
    case 0xD8:
    case 0xD9:
    case 0xDA: /* map */
        if (!rd_size(r, m, 0xD8, &count)) return false;
        per = 2;
        break;
    case 0xDC:
    case 0xDD: /* struct 8/16 (Bolt 1/2): size, then the tag */
        if (!rd_size(r, m, 0xDC, &count) || !rd_uint(r, 1, &len)) return false;
        break;
    default:
        if ((m & 0xF0) == 0x90) { /* tiny list */
            count = m & 0x0F;
        } else if ((m & 0xF0) == 0xA0) { /* tiny map */
            count = m & 0x0F;
            per = 2;
        } else if ((m & 0xF0) == 0xB0) { /* tiny struct: the tag follows */
            count = m & 0x0F;
            if (!rd_uint(r, 1, &len)) return false;
        } else {
            return false; /* reserved markers */
        }
    }
    /* every value takes at least one byte: a count beyond what is left is a lie */
    if (count > (r->n - r->i) / (uint64_t)per + 1) return false;
    for (uint64_t k = 0; k < count * (uint64_t)per; k++)
        if (!rd_skip(r, depth - 1)) return false;
    return true;
}

/* A map's size (tiny or 8/16/32-bit form). */
static bool rd_map(struct rd *r, uint64_t *count)
{
    if (r->i >= r->n) return false;
    uint8_t m = r->p[r->i++];
    if ((m & 0xF0) == 0xA0) {
        *count = m & 0x0F;
        return true;
    }
    if (m >= 0xD8 && m <= 0xDA) return rd_size(r, m, 0xD8, count);
    return false;
}

static bool key_is(const uint8_t *k, size_t kl, const char *name)
{
    return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

/* "Neo4j/4.4.26", "Neo4j/v5.11.0 compatible ...": product before the slash, version after. */
static void set_server(struct probe_ctx *ctx, const uint8_t *s, size_t sl)
{
    finding_detail_strn(ctx->f, "server", s, sl);
    const uint8_t *slash = memchr(s, '/', sl);
    if (!slash || slash == s) return;
    finding_set(ctx->f->product, sizeof ctx->f->product, s, (size_t)(slash - s));
    const uint8_t *v = slash + 1, *end = s + sl;
    if (v < end && (*v == 'v' || *v == 'V')) v++;
    const uint8_t *e = v;
    while (e < end && *e != ' ' && *e != ',' && *e != ';')
        e++;
    if (e > v) finding_set(ctx->f->version, sizeof ctx->f->version, v, (size_t)(e - v));
}

/*
 * The one map field of SUCCESS or FAILURE: the strings we want go into the finding. Returns
 * false when the message is not such a struct.
 */
static bool read_meta(struct probe_ctx *ctx, const uint8_t *b, size_t n, uint8_t *sig, char *code,
                      size_t codesz)
{
    struct rd r = {b, n, 0};
    uint64_t nk;
    if (n < 2 || (b[0] & 0xF0) != 0xB0) return false;
    *sig = b[1];
    r.i = 2;
    if ((b[0] & 0x0F) == 0) return *sig == MSG_IGNORED;
    if ((b[0] & 0x0F) != 1 || !rd_map(&r, &nk)) return false;
    if (nk > n) return false;
    for (uint64_t k = 0; k < nk; k++) {
        const uint8_t *key, *s;
        size_t kl, sl;
        if (!rd_string(&r, &key, &kl)) return false;
        size_t at = r.i;
        if (r.i < r.n && ((r.p[r.i] & 0xF0) == 0x80 || (r.p[r.i] >= 0xD0 && r.p[r.i] <= 0xD2))) {
            if (!rd_string(&r, &s, &sl)) return false;
            if (*sig == MSG_SUCCESS && key_is(key, kl, "server"))
                set_server(ctx, s, sl);
            else if (*sig == MSG_SUCCESS && key_is(key, kl, "connection_id"))
                finding_detail_strn(ctx->f, "connection_id", s, sl);
            else if (*sig == MSG_FAILURE && key_is(key, kl, "code")) {
                finding_detail_strn(ctx->f, "error_code", s, sl);
                finding_set(code, codesz, s, sl);
            } else if (*sig == MSG_FAILURE && key_is(key, kl, "message"))
                finding_detail_strn(ctx->f, "error", s, sl);
            continue;
        }
        r.i = at;
        if (!rd_skip(&r, BOLT_DEPTH)) return false;
    }
    return true;
}

/* ---- the conversation ---------------------------------------------------- */

static void identify(struct probe_ctx *ctx)
{
    FINDING_SET(ctx->f, service, "neo4j-bolt");
}

static int on_version(struct probe_ctx *ctx)
{
    struct bolt_state *st = ctx->state;
    uint32_t v = probe_be32(st->ver);
    if (v == 0) {
        /* no common version: the server says so and closes (checked in on_end) */
        st->step = ST_NONE_AGREED;
        return PROBE_MORE;
    }
    uint8_t major = st->ver[3], minor = st->ver[2];
    bool ok = (st->ver[0] == 0 && st->ver[1] == 0) &&
              ((major == 5 && minor <= 8) || (major == 4 && minor >= 1 && minor <= 4) ||
               (major == 3 && minor == 0) || (major == 1 && minor == 0));
    if (!ok) return PROBE_NOMATCH;
    st->major = major;
    st->minor = minor;
    identify(ctx);
    char vs[16];
    snprintf(vs, sizeof vs, "%u.%u", (unsigned)major, (unsigned)minor);
    finding_detail_str(ctx->f, "bolt_version", vs);
    finding_detail_str(ctx->f, "login_scheme", "none");
    return send_login(ctx);
}

static bool security_code(const char *code)
{
    return strncmp(code, "Neo.ClientError.Security.", 25) == 0;
}

static int on_message(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct bolt_state *st = ctx->state;
    uint8_t sig = 0;
    char code[96] = "";
    if (!read_meta(ctx, b, n, &sig, code, sizeof code)) {
        FINDING_SET(ctx->f, error, "malformed Bolt message");
        return finish(ctx);
    }
    bool two_step = st->major == 5 && st->minor >= 1; /* HELLO, then LOGON */
    if (sig == MSG_SUCCESS) {
        if (two_step && st->step == ST_HELLO) {
            st->step = ST_LOGON;
            return PROBE_MORE;
        }
        ctx->f->auth = AUTH_NONE;
        return finish(ctx);
    }
    if (sig == MSG_FAILURE) {
        ctx->f->auth = security_code(code) ? AUTH_REQUIRED : AUTH_UNKNOWN;
        return finish(ctx);
    }
    /* IGNORED (LOGON after a failed HELLO) or a message a login never gets */
    return finish(ctx);
}

/* Chunked messages: [len16][bytes]... [00 00]. */
static int read_chunks(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct bolt_state *st = ctx->state;
    size_t i = 0;
    while (i < n) {
        if (st->need == 0) {
            st->hdr[st->hlen++] = p[i++];
            if (st->hlen < 2) continue;
            st->hlen = 0;
            st->need = (uint32_t)st->hdr[0] << 8 | st->hdr[1];
            if (st->need == 0) {             /* end of message */
                if (st->kept == 0) continue; /* a NOOP chunk (keep-alive) */
                size_t len = st->kept;
                st->kept = 0;
                if (st->truncated) {
                    st->truncated = false;
                    FINDING_SET(ctx->f, error, "Bolt message over the size cap");
                    return finish(ctx);
                }
                int rc = on_message(ctx, st->msg, len);
                if (rc != PROBE_MORE) return rc;
            }
            continue;
        }
        uint32_t before = st->kept;
        size_t took = probe_take(st->msg, &st->kept, BOLT_MSG_CAP, &st->need, p + i, n - i);
        if (took > st->kept - before) st->truncated = true;
        i += took;
    }
    return PROBE_MORE;
}

static int bolt_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct bolt_state *st = ctx->state;
    size_t i = 0;
    if (st->step == ST_HANDSHAKE) {
        while (i < n && st->verlen < 4)
            st->ver[st->verlen++] = p[i++];
        if (st->verlen < 4) return PROBE_MORE;
        if (i < n) return PROBE_NOMATCH; /* a server answers the handshake and waits */
        return on_version(ctx);
    }
    if (st->step == ST_NONE_AGREED) return PROBE_NOMATCH; /* it should have closed */
    if (st->step == ST_END) return PROBE_DONE;
    return read_chunks(ctx, p, n);
}

static int bolt_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct bolt_state *st = ctx->state;
    if (st->step == ST_NONE_AGREED && why == PROBE_END_EOF) {
        identify(ctx);
        finding_detail_str(ctx->f, "bolt_version", "none");
        FINDING_SET(ctx->f, error, "the server agreed on none of the Bolt versions proposed");
        return PROBE_DONE;
    }
    if (st->step >= ST_HELLO) {
        if (!ctx->f->error[0]) FINDING_SET(ctx->f, error, "closed before answering the login");
        return PROBE_DONE;
    }
    return PROBE_NOMATCH;
}

/*
 * Foreign bytes: a Bolt server reads a foreign request as a bad preamble and closes without a
 * word, so the answers seen are its own: a handshake version, or a chunked SUCCESS/FAILURE.
 */
static int bolt_sniff(const uint8_t *p, size_t n)
{
    if (n >= 6 && p[2] == 0xB1 && (p[3] == MSG_SUCCESS || p[3] == MSG_FAILURE) &&
        (p[4] & 0xF0) == 0xA0)
        return 60;
    if (n == 4 && p[0] == 0 && p[1] == 0 && p[3] >= 1 && p[3] <= 5) return 40;
    return 0;
}

const struct probe probe_neo4j_bolt = {
    .name = "neo4j_bolt",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct bolt_state),
    .start = bolt_start,
    .on_data = bolt_on_data,
    .on_end = bolt_on_end,
    .sniff = bolt_sniff,
    .silent = 45,
};
