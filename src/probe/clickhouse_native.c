/*
 * probe/clickhouse_native.c -- ClickHouse's native TCP protocol (port 9000).
 *
 * Requests this probe can send (one per run, and only these):
 *   1. Client Hello (packet 0): client name "ajar", version 1.0, protocol
 *      revision CH_REVISION, database "default", user "default", password
 *      "" -- the empty default-account check. Or, with
 *      --no-default-accounts, instead:
 *   1'. Ping (packet 4) before any Hello, which a ClickHouse answers with an
 *      Exception ("Unexpected packet from client"): it names the server
 *      without any login.
 * The probe then closes the connection; it runs no query.
 *
 * How it decides: a server Hello (packet 0: name, major, minor, revision,
 * then per revision the time zone, display name and patch) means the
 * default user got in with an empty password: auth none, product from the
 * name, version major.minor.patch. An Exception (packet 2: code, name,
 * message, stack trace, nested flag) with code 516 AUTHENTICATION_FAILED,
 * 192 UNKNOWN_USER, 193 WRONG_PASSWORD or 194 REQUIRED_PASSWORD means auth
 * required; any other code leaves auth unknown (details error_code).
 *
 * The record's service is "clickhouse" (the same product as the HTTP
 * interface on 8123) with details.interface = "native".
 *
 * Parsing: the answer is gathered in a capped buffer and re-parsed from the
 * start after each chunk (it is a few hundred bytes); an Exception is
 * decided as soon as its code, name and message are in, without waiting
 * for the stack trace that follows.
 */
#include "probe/probe.h"

#include <stdio.h>
#include <string.h>

#define CH_REVISION 54401 /* asks for time zone, display name and patch; no newer extras */
#define CH_BUF_CAP  4096
#define CH_STR_MAX  1024 /* strings longer than this in a Hello/Exception: not ClickHouse */

/* the fields a server Hello carries depend on the revision (ours is the cap) */
#define CH_REV_TIMEZONE     54058
#define CH_REV_DISPLAY_NAME 54372
#define CH_REV_PATCH        54401

struct ch_state {
    size_t len;
    uint8_t buf[CH_BUF_CAP];
};

enum { CH_NEED = -1, CH_BAD = -2 };

struct rd {
    const uint8_t *p;
    size_t n, i;
};

static int rd_varuint(struct rd *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int k = 0; k < 10; k++) {
        if (r->i >= r->n) return CH_NEED;
        uint8_t b = r->p[r->i++];
        v |= (uint64_t)(b & 0x7f) << (7 * k);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return CH_BAD;
}

static int rd_str(struct rd *r, const uint8_t **s, size_t *sl)
{
    uint64_t l;
    int rc = rd_varuint(r, &l);
    if (rc) return rc;
    if (l > CH_STR_MAX) return CH_BAD;
    if (r->n - r->i < l) return CH_NEED;
    *s = r->p + r->i;
    *sl = (size_t)l;
    r->i += (size_t)l;
    return 0;
}

static void put_varuint(uint8_t *b, size_t *k, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        b[(*k)++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
}

static void put_str(uint8_t *b, size_t *k, const char *s)
{
    size_t l = strlen(s);
    put_varuint(b, k, l);
    memcpy(b + *k, s, l);
    *k += l;
}

static int ch_start(struct probe_ctx *ctx)
{
    uint8_t m[128];
    size_t k = 0;
    if (ctx->opts && ctx->opts->no_default_accounts) {
        put_varuint(m, &k, 4); /* Ping */
        finding_detail(ctx->f, "default_account_check", json_false());
    } else {
        put_varuint(m, &k, 0); /* Hello */
        put_str(m, &k, "ajar");
        put_varuint(m, &k, 1);
        put_varuint(m, &k, 0);
        put_varuint(m, &k, CH_REVISION);
        put_str(m, &k, "default");
        put_str(m, &k, "default");
        put_str(m, &k, "");
    }
    if (probe_send(ctx, m, k) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static bool printable(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e) return false;
    return true;
}

static int parse_hello(struct probe_ctx *ctx, struct rd *r)
{
    const uint8_t *name, *tz = NULL, *disp = NULL;
    size_t nl, tzl = 0, dl = 0;
    uint64_t major, minor, rev, patch = 0;
    int rc;
    bool has_patch = false;
    if ((rc = rd_str(r, &name, &nl))) return rc;
    if (nl == 0 || nl > 64 || !printable(name, nl)) return CH_BAD;
    if ((rc = rd_varuint(r, &major)) || (rc = rd_varuint(r, &minor)) || (rc = rd_varuint(r, &rev)))
        return rc;
    if (major > 1000 || minor > 1000) return CH_BAD;
    if (rev >= CH_REV_TIMEZONE && (rc = rd_str(r, &tz, &tzl))) return rc;
    if (rev >= CH_REV_DISPLAY_NAME && (rc = rd_str(r, &disp, &dl))) return rc;
    if (rev >= CH_REV_PATCH) {
        if ((rc = rd_varuint(r, &patch))) return rc;
        has_patch = true;
    }
    FINDING_SET(ctx->f, service, "clickhouse");
    finding_detail_str(ctx->f, "interface", "native");
    finding_set(ctx->f->product, sizeof ctx->f->product, name, nl);
    char v[64];
    if (has_patch)
        str_fmt(v, sizeof v, "%llu.%llu.%llu", (unsigned long long)major, (unsigned long long)minor,
                (unsigned long long)patch);
    else
        str_fmt(v, sizeof v, "%llu.%llu", (unsigned long long)major, (unsigned long long)minor);
    FINDING_SET(ctx->f, version, v);
    finding_detail_int(ctx->f, "revision", (int64_t)rev);
    if (tz) finding_detail_strn(ctx->f, "timezone", tz, tzl);
    if (disp) finding_detail_strn(ctx->f, "display_name", disp, dl);
    ctx->f->auth = AUTH_NONE;
    finding_detail_str(ctx->f, "login", "default with an empty password");
    return 0;
}

static int parse_exception(struct probe_ctx *ctx, struct rd *r)
{
    if (r->n - r->i < 4) return CH_NEED;
    const uint8_t *c = r->p + r->i;
    uint32_t code =
        (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
    r->i += 4;
    const uint8_t *name, *msg;
    size_t nl, ml;
    int rc;
    if ((rc = rd_str(r, &name, &nl))) return rc;
    /* every server exception is a DB:: class ("DB::Exception", "DB::NetException") */
    if (nl < 4 || memcmp(name, "DB::", 4) != 0 || !printable(name, nl)) return CH_BAD;
    if ((rc = rd_str(r, &msg, &ml))) return rc;
    FINDING_SET(ctx->f, service, "clickhouse");
    finding_detail_str(ctx->f, "interface", "native");
    FINDING_SET(ctx->f, product, "ClickHouse");
    finding_detail_int(ctx->f, "error_code", code);
    finding_detail_strn(ctx->f, "error", msg, ml);
    switch (code) {
    case 192: /* UNKNOWN_USER */
    case 193: /* WRONG_PASSWORD */
    case 194: /* REQUIRED_PASSWORD */
    case 516: /* AUTHENTICATION_FAILED */
        ctx->f->auth = AUTH_REQUIRED;
        break;
    default:
        break;
    }
    return 0;
}

static int ch_parse(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct rd r = {p, n, 0};
    uint64_t type;
    int rc = rd_varuint(&r, &type);
    if (rc) return rc;
    if (type == 0) return parse_hello(ctx, &r);
    if (type == 2) return parse_exception(ctx, &r);
    return CH_BAD;
}

static int ch_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct ch_state *st = ctx->state;
    size_t take = n < CH_BUF_CAP - st->len ? n : CH_BUF_CAP - st->len;
    memcpy(st->buf + st->len, p, take);
    st->len += take;
    int rc = ch_parse(ctx, st->buf, st->len);
    if (rc == 0) return PROBE_DONE;
    if (rc == CH_BAD || st->len == CH_BUF_CAP) return PROBE_NOMATCH;
    return PROBE_MORE;
}

static int ch_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    return PROBE_NOMATCH;
}

/*
 * Foreign bytes: to an HTTP request the native port answers (in plain
 * text) "Port 9000 is for clickhouse-client program"; to other garbage an
 * Exception packet whose class name is "DB::...Exception".
 */
static int ch_sniff(const uint8_t *p, size_t n)
{
    if (mem_find(p, n < 256 ? n : 256, "is for clickhouse-client program", true)) return 95;
    if (n >= 10 && p[0] == 2 && p[5] < 64 && p[5] >= 4 && memcmp(p + 6, "DB::", 4) == 0) return 90;
    return 0;
}

const struct probe probe_clickhouse_native = {
    .name = "clickhouse_native",
    .flags = PROBE_DEFAULT_ACCT | PROBE_TLS_OK,
    .state_size = sizeof(struct ch_state),
    .start = ch_start,
    .on_data = ch_on_data,
    .on_end = ch_on_end,
    .sniff = ch_sniff,
};
