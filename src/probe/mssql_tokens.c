/*
 * probe/mssql_tokens.c -- the SQL Server probe's reader of TDS token streams (the server's
 * answers after PRELOGIN): ERROR and INFO (the login's verdict, a query's error), LOGINACK
 * (the TDS version and program), ENVCHANGE (database, packet size, routing), COLMETADATA and
 * ROW/NBCROW (the catalog queries' result sets: databases, table counts and rows, column
 * names), DONE. Tokens go through a window of MS_WIN bytes (see mssql.c's header for what
 * does not fit); every length is checked before it is used.
 */
#include "probe/mssql_int.h"

#include <stdio.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* UTF-16LE (n bytes) to UTF-8 in out (cap bytes, NUL-terminated); returns the length. Unpaired
 * surrogates become U+FFFD; what does not fit is cut at a character boundary. */
static size_t u16_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap) return 0;
    for (size_t i = 0; i + 1 < n;) {
        uint32_t c = probe_le16(p + i);
        i += 2;
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
            uint32_t d = probe_le16(p + i);
            if (d >= 0xdc00 && d < 0xe000) {
                c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
                i += 2;
            } else {
                c = 0xfffd;
            }
        } else if (c >= 0xd800 && c < 0xe000) {
            c = 0xfffd;
        }
        uint8_t u[4];
        size_t k;
        if (c < 0x80) {
            u[0] = (uint8_t)c;
            k = 1;
        } else if (c < 0x800) {
            u[0] = (uint8_t)(0xc0 | c >> 6);
            u[1] = (uint8_t)(0x80 | (c & 0x3f));
            k = 2;
        } else if (c < 0x10000) {
            u[0] = (uint8_t)(0xe0 | c >> 12);
            u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            u[2] = (uint8_t)(0x80 | (c & 0x3f));
            k = 3;
        } else {
            u[0] = (uint8_t)(0xf0 | c >> 18);
            u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
            u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            u[3] = (uint8_t)(0x80 | (c & 0x3f));
            k = 4;
        }
        if (o + k >= cap) break;
        memcpy(out + o, u, k);
        o += k;
    }
    out[o] = 0;
    return o;
}

static void detail_u16(struct finding *f, const char *key, const uint8_t *p, size_t n)
{
    char s[512];
    size_t l = u16_to_utf8(p, n, s, sizeof s);
    finding_detail_strn(f, key, s, l);
}

/* ---- tokens ---- */

/* B_VARCHAR at b[*i] (1-byte character count, UTF-16LE); -1 when it does not fit in n. */
static int bvarchar(const uint8_t *b, size_t n, size_t *i, const uint8_t **s, size_t *len)
{
    if (*i >= n) return -1;
    size_t l = (size_t)b[*i] * 2;
    if (l > n - *i - 1) return -1;
    *s = b + *i + 1;
    *len = l;
    *i += 1 + l;
    return 0;
}

static bool login_denied(uint32_t num)
{
    return num == 18456 || num == 18470 || num == 18486 || num == 18488 || num == 18452;
}

/* ERROR or INFO body (len bytes). */
static void on_message(struct probe_ctx *ctx, bool error, const uint8_t *b, size_t n)
{
    struct ms_state *st = ctx->state;
    if (n < 8) return;
    uint32_t num = le32(b);
    uint8_t cls = b[5];
    size_t ml = (size_t)probe_le16(b + 6) * 2, i = 8;
    if (ml > n - i) return;
    const uint8_t *msg = b + i;
    i += ml;
    const uint8_t *srv = NULL;
    size_t sl = 0;
    if (bvarchar(b, n, &i, &srv, &sl) == 0 && sl &&
        !json_object_get(ctx->f->details, "server_name"))
        detail_u16(ctx->f, "server_name", srv, sl);
    if (!error) return;
    if (st->phase == MS_LOGIN) {
        if (json_object_get(ctx->f->details, "error_code")) return;
        finding_detail_int(ctx->f, "error_code", num);
        finding_detail_int(ctx->f, "error_class", cls);
        detail_u16(ctx->f, "error", msg, ml);
        if (login_denied(num)) ctx->f->auth = AUTH_REQUIRED;
        if (num == 18452) finding_detail(ctx->f, "windows_logins_only", json_true());
        if (num == 18488) finding_detail(ctx->f, "password_must_change", json_true());
    } else if (st->phase == MS_QUERY && !st->err_noted) {
        st->err_noted = true;
        finding_detail_int(ctx->f, "query_error", num);
        detail_u16(ctx->f, "query_error_message", msg, ml);
    }
}

static void tds_version_name(const uint8_t *v, char *out, size_t n)
{
    uint32_t x = probe_be32(v);
    switch (x) {
    case 0x07000000u:
        snprintf(out, n, "7.0");
        return;
    case 0x07010000u:
    case 0x71000001u:
        snprintf(out, n, "7.1");
        return;
    case 0x72090002u:
        snprintf(out, n, "7.2");
        return;
    case 0x730a0003u:
        snprintf(out, n, "7.3A");
        return;
    case 0x730b0003u:
        snprintf(out, n, "7.3B");
        return;
    case 0x74000004u:
        snprintf(out, n, "7.4");
        return;
    }
    snprintf(out, n, "0x%08x", x);
}

static void on_loginack(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct ms_state *st = ctx->state;
    if (n < 5 || st->phase != MS_LOGIN) return;
    char tv[16];
    tds_version_name(b + 1, tv, sizeof tv);
    finding_detail_str(ctx->f, "tds_version", tv);
    st->modern = b[1] >= 0x72;
    size_t i = 5, pl = 0;
    const uint8_t *prog = NULL;
    if (bvarchar(b, n, &i, &prog, &pl) == 0) {
        /* "Microsoft SQL Server" padded with NUL characters */
        while (pl >= 2 && prog[pl - 2] == 0 && prog[pl - 1] == 0)
            pl -= 2;
        if (pl) detail_u16(ctx->f, "program", prog, pl);
        if (n - i >= 4) {
            char v[32];
            snprintf(v, sizeof v, "%u.%u.%u", b[i], b[i + 1], (unsigned)b[i + 2] << 8 | b[i + 3]);
            if (!ctx->f->version[0]) FINDING_SET(ctx->f, version, v);
            if (strcmp(ctx->f->version, v) != 0) finding_detail_str(ctx->f, "loginack_version", v);
        }
    }
    st->loginack = true;
}

static void on_envchange(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct ms_state *st = ctx->state;
    if (n < 1) return;
    size_t i = 1;
    const uint8_t *s;
    size_t l;
    switch (b[0]) {
    case 1: /* database */
        if (bvarchar(b, n, &i, &s, &l) == 0 && l && st->phase == MS_LOGIN)
            detail_u16(ctx->f, "database", s, l);
        break;
    case 4: /* packet size, as text */
        if (bvarchar(b, n, &i, &s, &l) == 0) {
            char t[16];
            size_t tl = u16_to_utf8(s, l, t, sizeof t);
            int64_t ps = probe_text_int((const uint8_t *)t, (int64_t)tl);
            if (ps >= 512) st->pkt_size = ps < MS_PKT_SIZE ? (uint16_t)ps : MS_PKT_SIZE;
        }
        break;
    case 20: /* routing (Azure SQL's gateway): USHORT length, protocol, port, server */
        if (n >= 8 && b[3] == 0) {
            uint32_t port = probe_le16(b + 4);
            size_t sl = (size_t)probe_le16(b + 6) * 2;
            if (sl <= n - 8) {
                char host[300];
                size_t hl = u16_to_utf8(b + 8, sl, host, 256);
                snprintf(host + hl, sizeof host - hl, ":%u", port);
                finding_detail_str(ctx->f, "routed_to", host);
                st->routed = true;
            }
        }
        break;
    default:
        break;
    }
}

/* Read a TYPE_INFO at b[*i]; -1 unsupported, 0 incomplete, 1 read. */
static int type_info(const uint8_t *b, size_t n, size_t *i, struct ms_col *c)
{
    if (*i >= n) return 0;
    uint8_t t = b[(*i)++];
    c->type = t;
    c->kind = K_FIXED;
    switch (t) {
    case 0x1f: /* NULL */
        c->size = 0;
        return 1;
    case 0x30: /* INT1 */
    case 0x32: /* BIT */
        c->size = 1;
        return 1;
    case 0x34: /* INT2 */
        c->size = 2;
        return 1;
    case 0x38: /* INT4 */
    case 0x3a: /* DATETIM4 */
    case 0x3b: /* FLT4 */
    case 0x7a: /* MONEY4 */
        c->size = 4;
        return 1;
    case 0x3c: /* MONEY */
    case 0x3d: /* DATETIME */
    case 0x3e: /* FLT8 */
    case 0x7f: /* INT8 */
        c->size = 8;
        return 1;
    case 0x24: /* GUID */
    case 0x26: /* INTN */
    case 0x68: /* BITN */
    case 0x6d: /* FLTN */
    case 0x6e: /* MONEYN */
    case 0x6f: /* DATETIMN */
        c->kind = K_BYTELEN;
        if (*i + 1 > n) return 0;
        *i += 1;
        return 1;
    case 0x6a: /* DECIMALN: length, precision, scale */
    case 0x6c: /* NUMERICN */
        c->kind = K_BYTELEN;
        if (*i + 3 > n) return 0;
        *i += 3;
        return 1;
    case 0x28: /* DATEN */
        c->kind = K_BYTELEN;
        return 1;
    case 0x29: /* TIMEN: scale */
    case 0x2a: /* DATETIME2N */
    case 0x2b: /* DATETIMEOFFSETN */
        c->kind = K_BYTELEN;
        if (*i + 1 > n) return 0;
        *i += 1;
        return 1;
    case 0xa5: /* BIGVARBINARY */
    case 0xad: /* BIGBINARY */
    case 0xa7: /* BIGVARCHAR: + collation */
    case 0xaf: /* BIGCHAR */
    case 0xe7: /* NVARCHAR */
    case 0xef: /* NCHAR */ {
        size_t need = (t == 0xa5 || t == 0xad) ? 2 : 7;
        c->kind = K_USHORTLEN;
        if (*i + need > n) return 0;
        if (probe_le16(b + *i) == 0xffff) return -1; /* (MAX): PLP, never in our answers */
        *i += need;
        return 1;
    }
    default:
        return -1; /* LOB, XML, UDT, sql_variant... */
    }
}

static int on_colmetadata(struct probe_ctx *ctx, const uint8_t *b, size_t n, size_t *used)
{
    struct ms_state *st = ctx->state;
    if (n < 3) return 0;
    uint32_t count = probe_le16(b + 1);
    size_t i = 3;
    if (count == 0xffff) { /* no metadata */
        *used = i;
        return 1;
    }
    if (count > MS_MAX_COLS) return -1;
    struct ms_col cols[MS_MAX_COLS] = {{0}};
    for (uint32_t c = 0; c < count; c++) {
        i += st->modern ? 4 : 2; /* UserType */
        i += 2;                  /* Flags */
        if (i > n) return 0;
        int r = type_info(b, n, &i, &cols[c]);
        if (r <= 0) return r;
        if (i >= n) return 0;
        size_t nl = (size_t)b[i] * 2; /* ColName */
        if (nl > n - i - 1) return 0;
        i += 1 + nl;
    }
    memcpy(st->cols, cols, sizeof cols[0] * count);
    st->ncols = (int)count;
    bool int0 = count >= 1 && (cols[0].type == 0x26 || cols[0].type == 0x38 ||
                               cols[0].type == 0x7f || cols[0].type == 0x34);
    bool str0 = count >= 1 && (cols[0].type == 0xe7 || cols[0].type == 0xef);
    bool str1 = count >= 2 && (cols[1].type == 0xe7 || cols[1].type == 0xef);
    if (st->step == 0)
        st->rs = count == 3 && int0 && str1 ? RS_DBS : RS_OTHER;
    else if (count == 2 && int0)
        st->rs = RS_AGG;
    else if (count == 3 && str0 && str1)
        st->rs = RS_TABLES;
    else if (count == 1 && str0)
        st->rs = RS_COLS;
    else
        st->rs = RS_OTHER;
    *used = i;
    return 1;
}

/* One value of a row: where it starts and its length (-1: NULL). */
struct ms_val {
    const uint8_t *p;
    int64_t len;
};

/* An integer value: -1 when NULL or not an integer. */
static int64_t val_int(const struct ms_col *c, const struct ms_val *v)
{
    if (v->len <= 0 || !(c->type == 0x26 || c->type == 0x30 || c->type == 0x34 || c->type == 0x38 ||
                         c->type == 0x7f))
        return -1;
    uint64_t x = 0;
    for (int64_t k = v->len - 1; k >= 0; k--)
        x = x << 8 | v->p[k];
    if (c->type == 0x30 || v->len == 1) return (int64_t)x;
    if (v->len == 2) return (int16_t)x < 0 ? -1 : (int64_t)x;
    if (v->len == 4) return (int32_t)x < 0 ? -1 : (int64_t)x;
    if (v->len == 8) return (int64_t)x < 0 ? -1 : (int64_t)x;
    return -1;
}

/* A string value as UTF-8 in out; its length, or -1 when NULL or not a string. */
static int val_str(const struct ms_col *c, const struct ms_val *v, char *out, size_t cap)
{
    if (v->len < 0) return -1;
    if (c->type == 0xe7 || c->type == 0xef) return (int)u16_to_utf8(v->p, (size_t)v->len, out, cap);
    return -1;
}

static void on_row_values(struct probe_ctx *ctx, const struct ms_val *v)
{
    struct ms_state *st = ctx->state;
    struct finding *f = ctx->f;
    const struct ms_col *c = st->cols;
    char a[FINDING_MAX_NAME * 2], b2[FINDING_MAX_NAME * 2];
    if (st->phase != MS_QUERY) return; /* rows nobody asked for (in a login answer) */
    switch (st->rs) {
    case RS_DBS: {
        int al = val_str(&c[1], &v[1], a, sizeof a);
        if (al < 0) return;
        int64_t pages = val_int(&c[2], &v[2]);
        int64_t bytes = pages >= 0 && pages <= INT64_MAX / 8192 ? pages * 8192 : -1;
        finding_count_add(&f->databases, 1);
        finding_count_add(&f->bytes, bytes);
        uint32_t before = f->names.n;
        finding_add_name(f, a, (size_t)al, -1, bytes);
        if (st->ndbs < MS_MAX_DBS && v[1].len > 0 && v[1].len <= MS_SYSNAME) {
            struct ms_db *d = &st->dbs[st->ndbs];
            bool nul = false;
            for (int64_t k = 0; k + 1 < v[1].len; k += 2)
                if (!v[1].p[k] && !v[1].p[k + 1]) nul = true;
            if (!nul) {
                memcpy(d->name, v[1].p, (size_t)v[1].len);
                d->len = (uint16_t)v[1].len;
                d->item = f->names.n > before ? (int)before : -1;
                st->ndbs++;
            }
        }
        break;
    }
    case RS_AGG:
        st->db_tables = val_int(&c[0], &v[0]);
        st->db_rows = val_int(&c[1], &v[1]);
        if (st->db_tables >= 0 && st->db_rows < 0) st->db_rows = 0;
        break;
    case RS_TABLES: {
        int sl = val_str(&c[0], &v[0], a, sizeof a);
        int tl = val_str(&c[1], &v[1], b2, sizeof b2);
        if (sl < 0 || tl < 0 || st->step < 1) return;
        const struct ms_db *d = &st->dbs[st->step - 1];
        char db[FINDING_MAX_NAME], name[FINDING_MAX_NAME * 3 + 4];
        u16_to_utf8(d->name, d->len, db, sizeof db);
        int nl = snprintf(name, sizeof name, "%.80s.%.60s.%.100s", db, a, b2);
        if (nl < 0) return;
        if ((size_t)nl >= sizeof name) nl = (int)sizeof name - 1;
        finding_add_name(f, name, (size_t)nl, val_int(&c[2], &v[2]), -1);
        break;
    }
    case RS_COLS: {
        int l = val_str(&c[0], &v[0], a, sizeof a);
        if (l > 0) finding_add_field(f, a, (size_t)l);
        break;
    }
    default:
        break;
    }
}

/* ROW or NBCROW: walk every value (its framing is the column's), then use them. */
static int on_row(struct probe_ctx *ctx, const uint8_t *b, size_t n, size_t *used, bool nbc)
{
    struct ms_state *st = ctx->state;
    if (st->rs == RS_NONE) return -1; /* a row without its columns */
    size_t i = 1;
    const uint8_t *bitmap = NULL;
    if (nbc) {
        size_t bl = ((size_t)st->ncols + 7) / 8;
        if (i + bl > n) return 0;
        bitmap = b + i;
        i += bl;
    }
    /* zeroed for the analyzer, which cannot see that on_row_values reads only the st->ncols
     * values set below (st->rs, which says which it reads, was chosen with st->ncols) */
    struct ms_val v[MS_MAX_COLS] = {{0}};
    for (int c = 0; c < st->ncols; c++) {
        const struct ms_col *col = &st->cols[c];
        v[c].p = NULL;
        v[c].len = -1;
        if (bitmap && (bitmap[c / 8] >> (c % 8) & 1)) continue;
        size_t len;
        switch (col->kind) {
        case K_FIXED:
            len = col->size;
            break;
        case K_BYTELEN:
            if (i + 1 > n) return 0;
            len = b[i++];
            if (!len) continue; /* NULL */
            break;
        default: /* K_USHORTLEN */
            if (i + 2 > n) return 0;
            len = probe_le16(b + i);
            i += 2;
            if (len == 0xffff) continue; /* NULL */
            break;
        }
        if (len > n - i) return 0;
        v[c].p = b + i;
        v[c].len = (int64_t)len;
        i += len;
    }
    *used = i;
    on_row_values(ctx, v);
    return 1;
}

/* One token at b[0..n): 1 handled (*used bytes), 0 incomplete, -1 a token we cannot walk. */
static int one_token(struct probe_ctx *ctx, const uint8_t *b, size_t n, size_t *used)
{
    struct ms_state *st = ctx->state;
    uint8_t t = b[0];
    switch (t) {
    case TOK_DONE:
    case TOK_DONEPROC:
    case TOK_DONEINPROC: {
        size_t len = st->modern ? 13 : 9;
        if (n < len) return 0;
        if (t == TOK_DONE) st->rs = RS_NONE; /* the statement's result set is over */
        *used = len;
        return 1;
    }
    case TOK_RETURNSTATUS:
    case TOK_OFFSET:
        if (n < 5) return 0;
        *used = 5;
        return 1;
    case TOK_ERROR:
    case TOK_INFO:
    case TOK_LOGINACK:
    case TOK_ENVCHANGE:
    case TOK_ORDER:
    case TOK_COLINFO:
    case TOK_TABNAME:
    case TOK_SSPI: {
        if (n < 3) return 0;
        size_t len = probe_le16(b + 1);
        if (3 + len > MS_WIN) { /* never fits: drop it unread */
            st->skip = (uint32_t)(3 + len - n);
            *used = n;
            return 1;
        }
        if (n < 3 + len) return 0;
        if (t == TOK_ERROR || t == TOK_INFO)
            on_message(ctx, t == TOK_ERROR, b + 3, len);
        else if (t == TOK_LOGINACK)
            on_loginack(ctx, b + 3, len);
        else if (t == TOK_ENVCHANGE)
            on_envchange(ctx, b + 3, len);
        *used = 3 + len;
        return 1;
    }
    case TOK_SESSIONSTATE:
    case TOK_FEDAUTHINFO: {
        if (n < 5) return 0;
        uint64_t len = le32(b + 1);
        if (5 + len > MS_WIN) {
            st->skip = (uint32_t)(5 + len - n);
            *used = n;
            return 1;
        }
        if (n < 5 + len) return 0;
        *used = (size_t)(5 + len);
        return 1;
    }
    case TOK_FEATUREEXT: { /* (id, ULONG length, data)* 0xff, no overall length */
        size_t i = 1;
        for (;;) {
            if (i >= n) return 0;
            if (b[i] == 0xff) {
                *used = i + 1;
                return 1;
            }
            if (i + 5 > n) return 0;
            uint32_t len = le32(b + i + 1);
            if (len > MS_WIN) return -1;
            if (len > n - i - 5) return 0;
            i += 5 + len;
        }
    }
    case TOK_COLMETADATA:
        return on_colmetadata(ctx, b, n, used);
    case TOK_ROW:
    case TOK_NBCROW:
        return on_row(ctx, b, n, used, t == TOK_NBCROW);
    default:
        return -1;
    }
}

/* Payload bytes of a reply: into the window, whole tokens out of it. */
void mssql_tokens_feed(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct ms_state *st = ctx->state;
    while (n && !st->broken) {
        if (st->skip) {
            size_t k = n < st->skip ? n : st->skip;
            st->skip -= (uint32_t)k;
            p += k;
            n -= k;
            continue;
        }
        size_t k = n < MS_WIN - st->wlen ? n : MS_WIN - st->wlen;
        memcpy(st->win + st->wlen, p, k);
        st->wlen += (uint32_t)k;
        p += k;
        n -= k;
        size_t off = 0;
        while (off < st->wlen && !st->skip) {
            size_t used = 0;
            int r = one_token(ctx, st->win + off, st->wlen - off, &used);
            if (r < 0) {
                st->broken = true;
                break;
            }
            if (r == 0) break;
            off += used;
        }
        if (st->broken) break;
        if (off == 0 && st->wlen == MS_WIN) { /* one token larger than the window */
            st->broken = true;
            break;
        }
        memmove(st->win, st->win + off, st->wlen - off);
        st->wlen -= (uint32_t)off;
    }
}
