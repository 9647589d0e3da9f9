/*
 * probe/amqp.c -- AMQP 0-9-1 brokers (RabbitMQ and kin, port 5672).
 *
 * Requests this probe can send, and only this one:
 *   1. the protocol header "AMQP\0\0\x09\x01".
 * The broker answers with a Connection.Start method frame (channel 0):
 * version 0-9, server properties (product, version, platform,
 * cluster_name, ...), the SASL mechanisms it offers and its locales. The
 * probe then closes the connection: it never logs in (no credentials, not
 * even guest/guest, which would be guessing).
 *
 * How it decides: a Connection.Start frame is AMQP; the product and
 * version come from the server properties. Auth is required (details
 * mechanisms) unless the broker offers the ANONYMOUS mechanism, which lets
 * anyone in without credentials (auth none, details anonymous). A broker
 * that does not speak 0-9-1 answers with its own protocol header and
 * closes ("AMQP\0\1\0\0" for AMQP 1.0, "AMQP\3\1\0\0" for 1.0 over SASL):
 * that is still AMQP (details protocol), auth unknown.
 *
 * Parsing: one frame of at most AMQP_FRAME_MAX bytes is kept; the field
 * table is walked with bounds checks on every read; nested tables and
 * arrays are skipped by their declared sizes.
 */
#include "probe/probe.h"

#include <stdio.h>
#include <string.h>

#define AMQP_FRAME_MAX 65536
#define AMQP_FRAME_END 0xce

struct amqp_state {
    size_t len;
    uint32_t want; /* whole frame size (header + payload + end), 0 until known */
    uint8_t frame[AMQP_FRAME_MAX + 8];
};

static int amqp_start(struct probe_ctx *ctx)
{
    static const uint8_t hdr[8] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
    if (probe_send(ctx, hdr, sizeof hdr) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* Size of one field value of type t at b[i..n), or -1 when malformed. */
static long field_size(uint8_t t, const uint8_t *b, size_t i, size_t n)
{
    switch (t) {
    case 't':
    case 'b':
    case 'B':
        return 1;
    case 'U':
    case 'u':
    case 's':
        return 2;
    case 'I':
    case 'i':
    case 'f':
        return 4;
    case 'L':
    case 'l':
    case 'd':
    case 'T':
        return 8;
    case 'D':
        return 5;
    case 'V':
        return 0;
    case 'S':
    case 'A':
    case 'F':
    case 'x':
        if (n - i < 4) return -1;
        if (probe_be32(b + i) > n - i - 4) return -1;
        return 4 + (long)probe_be32(b + i);
    default:
        return -1;
    }
}

static bool key_is(const uint8_t *k, size_t kl, const char *name)
{
    return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

/* Walk the server-properties table b[0..n). */
static void server_properties(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t kl = b[i++];
        if (kl > n - i || n - i - kl < 1) return;
        const uint8_t *k = b + i;
        i += kl;
        uint8_t t = b[i++];
        long sz = field_size(t, b, i, n);
        if (sz < 0 || (size_t)sz > n - i) return;
        if (t == 'S') {
            const uint8_t *v = b + i + 4;
            size_t vl = (size_t)sz - 4;
            if (key_is(k, kl, "product"))
                finding_set(ctx->f->product, sizeof ctx->f->product, v, vl);
            else if (key_is(k, kl, "version"))
                finding_set(ctx->f->version, sizeof ctx->f->version, v, vl);
            else if (key_is(k, kl, "platform"))
                finding_detail_strn(ctx->f, "platform", v, vl);
            else if (key_is(k, kl, "cluster_name"))
                finding_detail_strn(ctx->f, "cluster_name", v, vl);
        }
        i += (size_t)sz;
    }
}

/* Does the space-separated list contain this word? */
static bool has_word(const uint8_t *p, size_t n, const char *w)
{
    size_t wl = strlen(w), i = 0;
    while (i < n) {
        size_t s = i;
        while (i < n && p[i] != ' ')
            i++;
        if (i - s == wl && memcmp(p + s, w, wl) == 0) return true;
        i++;
    }
    return false;
}

/* The whole Connection.Start frame. */
static int on_start_frame(struct probe_ctx *ctx, const uint8_t *fr, size_t n)
{
    const uint8_t *b = fr + 7;
    size_t bl = n - 8; /* payload, without header and frame-end */
    if (fr[n - 1] != AMQP_FRAME_END || bl < 4 + 2 + 4) return PROBE_NOMATCH;
    if (b[0] != 0 || b[1] != 10 || b[2] != 0 || b[3] != 10) return PROBE_NOMATCH;
    FINDING_SET(ctx->f, service, "amqp");
    finding_detail_str(ctx->f, "protocol", "0-9-1");
    size_t i = 6; /* class, method, version-major, version-minor */
    uint32_t tl = probe_be32(b + i);
    i += 4;
    if (tl > bl - i) {
        FINDING_SET(ctx->f, error, "malformed Connection.Start");
        return PROBE_DONE;
    }
    server_properties(ctx, b + i, tl);
    i += tl;
    if (bl - i >= 4 && probe_be32(b + i) <= bl - i - 4) {
        uint32_t ml = probe_be32(b + i);
        const uint8_t *m = b + i + 4;
        finding_detail_strn(ctx->f, "mechanisms", m, ml);
        if (has_word(m, ml, "ANONYMOUS")) {
            ctx->f->auth = AUTH_NONE;
            finding_detail(ctx->f, "anonymous", json_true());
        } else {
            ctx->f->auth = AUTH_REQUIRED;
        }
        i += 4 + ml;
        if (bl - i >= 4 && probe_be32(b + i) <= bl - i - 4)
            finding_detail_strn(ctx->f, "locales", b + i + 4, probe_be32(b + i));
    }
    if (!ctx->f->product[0]) FINDING_SET(ctx->f, product, "AMQP broker");
    return PROBE_DONE;
}

/* The broker refused 0-9-1 and named the protocol it speaks. */
static int on_protocol_header(struct probe_ctx *ctx, const uint8_t *h)
{
    char v[32];
    if (h[4] == 0 && h[5] == 0)
        str_fmt(v, sizeof v, "0-%u-%u", h[6], h[7]);
    else if (h[4] == 1 && h[5] == 1)
        str_fmt(v, sizeof v, "0-%u-%u", h[6], h[7]); /* 0-8 style */
    else
        str_fmt(v, sizeof v, "%u.%u.%u (id %u)", h[5], h[6], h[7], h[4]);
    FINDING_SET(ctx->f, service, "amqp");
    finding_detail_str(ctx->f, "protocol", v);
    finding_detail(ctx->f, "protocol_mismatch", json_true());
    return PROBE_DONE;
}

static int amqp_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct amqp_state *st = ctx->state;
    for (size_t i = 0; i < n; i++) {
        if (st->len >= sizeof st->frame) return PROBE_NOMATCH;
        st->frame[st->len++] = p[i];
        const uint8_t *f = st->frame;
        if (st->len == 1 && f[0] != 1 && f[0] != 'A') return PROBE_NOMATCH;
        if (f[0] == 'A') {
            if (st->len <= 4 && f[st->len - 1] != "AMQP"[st->len - 1]) return PROBE_NOMATCH;
            if (st->len == 8) return on_protocol_header(ctx, f);
            continue;
        }
        if (st->len == 3 && (f[1] || f[2])) return PROBE_NOMATCH; /* channel 0 */
        if (st->len == 7) {
            uint32_t sz = probe_be32(f + 3);
            if (sz > AMQP_FRAME_MAX) return PROBE_NOMATCH;
            st->want = sz + 8;
        }
        if (st->want && st->len == st->want) return on_start_frame(ctx, f, st->len);
    }
    return PROBE_MORE;
}

static int amqp_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    return PROBE_NOMATCH;
}

/*
 * Foreign bytes: an AMQP broker answers anything that is not its protocol
 * header with its own header and closes: "AMQP" and four version bytes.
 */
static int amqp_sniff(const uint8_t *p, size_t n)
{
    if (n >= 8 && memcmp(p, "AMQP", 4) == 0 && p[4] <= 3) return 95;
    return 0;
}

const struct probe probe_amqp = {
    .name = "amqp",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct amqp_state),
    .start = amqp_start,
    .on_data = amqp_on_data,
    .on_end = amqp_on_end,
    .sniff = amqp_sniff,
};
