/*
 * probe/mysql.c -- MySQL and MariaDB (client/server protocol 10, port 3306).
 *
 * The server speaks first: a greeting (protocol 10) with its version
 * string, capabilities and default authentication plugin, or an ERR packet
 * when it refuses this client outright (1130 "Host ... is not allowed to
 * connect", 1040 "Too many connections").
 *
 * Requests this probe can send, in order, and only these:
 *   0. When the greeting offers CLIENT_SSL: the SSL Request packet (the
 *      first 32 bytes of a HandshakeResponse41, with CLIENT_SSL, no user),
 *      then the engine upgrades the connection (PROBE_STARTTLS) and reads
 *      the certificate; what follows goes inside TLS. If the handshake
 *      fails, a new plain connection and no second try.
 *   1. HandshakeResponse41 for user `root` with an EMPTY password (auth
 *      response length 0, plugin mysql_native_password): the empty
 *      default-account check. Never sent with --no-default-accounts.
 *   2. An empty auth response to an AuthSwitchRequest (0xfe), at most twice
 *      (an empty password is empty under every plugin).
 *   Only after OK (root logs in with no password), text-protocol COM_QUERY
 *   over information_schema, one after each complete result set:
 *   3. per schema (outside mysql, information_schema, performance_schema,
 *      sys): table count, SUM(table_rows), SUM(data_length+index_length),
 *      with empty schemas too (schemata LEFT JOIN tables)
 *   4. table_schema, table_name, table_rows of base tables ... LIMIT 100
 *   5. DISTINCT column_name from information_schema.columns ... LIMIT 200
 *   6. COM_QUIT.
 * Never a user table: table_rows is the engine's statistic.
 *
 * How it decides: the greeting names the product (MariaDB announces
 * itself as "5.5.5-10.11.6-MariaDB..." for old clients' sake: the prefix is
 * dropped), the version, CLIENT_SSL (details tls_offered) and the plugin.
 * OK after the empty-password login: auth none. ERR 1045/1698 (access
 * denied): auth required; ERR 1130: auth required with host_not_allowed.
 *
 * Parsing: packets are a 3-byte length, a sequence id and a payload; the
 * reader keeps at most MY_PKT_CAP bytes of one payload (the rest is
 * dropped) and, before the server is identified, refuses sizes and
 * sequence numbers a greeting never has.
 */
#include "probe/probe.h"

#include <stdio.h>
#include <string.h>

#define MY_PKT_CAP      16384
#define MY_GREETING_MAX 1024
#define MY_MAX_SWITCHES 2

/* capability flags */
#define CLIENT_LONG_PASSWORD     0x00000001u
#define CLIENT_LONG_FLAG         0x00000004u
#define CLIENT_PROTOCOL_41       0x00000200u
#define CLIENT_SSL               0x00000800u
#define CLIENT_TRANSACTIONS      0x00002000u
#define CLIENT_SECURE_CONNECTION 0x00008000u
#define CLIENT_PLUGIN_AUTH       0x00080000u
#define MY_CLIENT_CAPS                                                                             \
    (CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS |          \
     CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)

#define MY_SYS "('mysql', 'information_schema', 'performance_schema', 'sys')"
static const char *const my_queries[] = {
    "SELECT s.schema_name, COUNT(t.table_name), SUM(t.table_rows), "
    "SUM(t.data_length + t.index_length) FROM information_schema.schemata s "
    "LEFT JOIN information_schema.tables t ON t.table_schema = s.schema_name "
    "AND t.table_type = 'BASE TABLE' WHERE s.schema_name NOT IN " MY_SYS
    " GROUP BY s.schema_name ORDER BY 1",
    "SELECT table_schema, table_name, table_rows FROM information_schema.tables "
    "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN " MY_SYS " ORDER BY 1, 2 LIMIT 100",
    "SELECT DISTINCT column_name FROM information_schema.columns WHERE table_schema NOT IN " MY_SYS
    " ORDER BY 1 LIMIT 200",
};

enum my_phase { MY_GREETING = 0, MY_TLS, MY_AUTH, MY_QUERY, MY_END };
enum my_rs { RS_HEAD = 0, RS_COLS, RS_ROWS };

struct my_state {
    enum my_phase phase;
    uint8_t login_seq; /* sequence id of the login packet (after an SSL Request: one more) */
    bool tls_failed;   /* the upgrade failed once: plain from now on */
    bool identified;
    bool mariadb;
    uint32_t caps; /* negotiated */
    int switches;
    int query;
    enum my_rs rs;
    uint64_t cols_left;
    /* packet reader */
    uint8_t hdr[4];
    size_t hlen;
    uint32_t need;
    uint32_t plen;
    uint8_t pay[MY_PKT_CAP];
};

static int send_packet(struct probe_ctx *ctx, uint8_t seq, const void *p, size_t n)
{
    uint8_t pkt[1100];
    if (n > sizeof pkt - 4) return -1;
    pkt[0] = (uint8_t)n;
    pkt[1] = (uint8_t)(n >> 8);
    pkt[2] = (uint8_t)(n >> 16);
    pkt[3] = seq;
    memcpy(pkt + 4, p, n);
    return probe_send(ctx, pkt, n + 4);
}

static void identify(struct probe_ctx *ctx, bool mariadb)
{
    struct my_state *st = ctx->state;
    st->identified = true;
    st->mariadb = mariadb;
    FINDING_SET(ctx->f, service, "mysql");
    FINDING_SET(ctx->f, product, mariadb ? "MariaDB" : "MySQL");
}

/* Queue query i (a new command: sequence 0), or COM_QUIT after the last. */
static int send_query(struct probe_ctx *ctx, int i)
{
    struct my_state *st = ctx->state;
    st->query = i;
    st->rs = RS_HEAD;
    if (i >= (int)ARRAY_LEN(my_queries)) {
        static const uint8_t quit = 0x01;
        st->phase = MY_END;
        send_packet(ctx, 0, &quit, 1); /* best effort */
        return PROBE_DONE;
    }
    uint8_t q[1024];
    size_t ql = strlen(my_queries[i]);
    if (ql + 1 > sizeof q) return PROBE_DONE;
    q[0] = 0x03; /* COM_QUERY */
    memcpy(q + 1, my_queries[i], ql);
    st->phase = MY_QUERY;
    if (send_packet(ctx, 0, q, ql + 1) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* ERR packet: 0xff, code, ['#' sqlstate], message. */
static int on_err(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    if (n < 3) return PROBE_DONE;
    uint32_t code = probe_le16(b + 1);
    size_t m = 3;
    if (n >= 9 && b[3] == '#') m = 9;
    finding_detail_int(ctx->f, "error_code", code);
    finding_detail_strn(ctx->f, "error", b + m, n - m);
    switch (code) {
    case 1130:
        finding_detail(ctx->f, "host_not_allowed", json_true());
        /* fall through */
    case 1045: /* access denied */
    case 1698: /* access denied (socket/no-password plugin) */
    case 1044: /* access denied to database */
        ctx->f->auth = AUTH_REQUIRED;
        break;
    default:
        break;
    }
    return PROBE_DONE;
}

static int send_login(struct probe_ctx *ctx);

static int on_greeting(struct probe_ctx *ctx, const uint8_t *b, size_t n, uint8_t seq)
{
    struct my_state *st = ctx->state;
    if (seq != 0 || n < 1 || n > MY_GREETING_MAX) return PROBE_NOMATCH;
    if (b[0] == 0xff) {
        /* refused before the handshake: no sqlstate, just code and message */
        if (n < 4) return PROBE_NOMATCH;
        uint32_t code = probe_le16(b + 1);
        if (code < 1000 || code > 9999) return PROBE_NOMATCH;
        identify(ctx, mem_find(b + 3, n - 3, "MariaDB", false) != NULL);
        return on_err(ctx, b, n);
    }
    if (b[0] != 0x0a) return PROBE_NOMATCH;
    const uint8_t *ver = b + 1, *vend = memchr(ver, 0, n - 1);
    if (!vend || vend == ver || vend - ver > 100) return PROBE_NOMATCH;
    size_t vl = (size_t)(vend - ver);
    if (ver[0] < '0' || ver[0] > '9') return PROBE_NOMATCH;
    size_t i = (size_t)(vend - b) + 1;
    if (i + 4 + 8 + 1 + 2 > n) return PROBE_NOMATCH;
    i += 4 + 8 + 1; /* connection id, scramble part 1, filler */
    uint32_t caps = probe_le16(b + i);
    i += 2;
    const uint8_t *plugin = NULL;
    size_t plugin_len = 0;
    if (i + 16 <= n) {
        i += 1 + 2; /* charset, status */
        caps |= probe_le16(b + i) << 16;
        i += 2;
        uint8_t sl = b[i];
        i += 1 + 10;
        if (caps & CLIENT_SECURE_CONNECTION) i += sl > 21 ? (size_t)sl - 8 : 13;
        if ((caps & CLIENT_PLUGIN_AUTH) && i < n) {
            plugin = b + i;
            const uint8_t *pe = memchr(plugin, 0, n - i);
            plugin_len = pe ? (size_t)(pe - plugin) : n - i;
        }
    }

    bool maria = mem_find(ver, vl, "MariaDB", true) != NULL;
    identify(ctx, maria);
    const uint8_t *v = ver;
    size_t l = vl;
    if (maria && l > 6 && !memcmp(v, "5.5.5-", 6)) {
        v += 6;
        l -= 6;
    }
    size_t w = 0;
    while (w < l && v[w] != '-')
        w++;
    finding_set(ctx->f->version, sizeof ctx->f->version, v, w);
    finding_detail_strn(ctx->f, "server_version", ver, vl);
    finding_detail(ctx->f, "tls_offered", json_boolean(caps & CLIENT_SSL));
    finding_detail_int(ctx->f, "capabilities", caps);
    if (plugin_len) finding_detail_strn(ctx->f, "auth_plugin", plugin, plugin_len);

    st->caps = caps & MY_CLIENT_CAPS;
    if ((caps & CLIENT_SSL) && (caps & CLIENT_PROTOCOL_41) && !ctx->tls && !st->tls_failed) {
        /* SSL Request: capabilities with CLIENT_SSL, max packet, charset, 23 zero bytes */
        uint8_t r[32];
        memset(r, 0, sizeof r);
        uint32_t c = st->caps | CLIENT_SSL;
        r[0] = (uint8_t)c;
        r[1] = (uint8_t)(c >> 8);
        r[2] = (uint8_t)(c >> 16);
        r[3] = (uint8_t)(c >> 24);
        r[7] = 1;  /* max packet 16 MiB */
        r[8] = 45; /* utf8mb4_general_ci */
        st->phase = MY_TLS;
        st->login_seq = (uint8_t)(seq + 2);
        if (send_packet(ctx, (uint8_t)(seq + 1), r, sizeof r) < 0) return PROBE_DONE;
        return PROBE_STARTTLS;
    }
    st->login_seq = (uint8_t)(seq + 1);
    return send_login(ctx);
}

/* HandshakeResponse41 for root with an empty password, or nothing with --no-default-accounts. */
static int send_login(struct probe_ctx *ctx)
{
    struct my_state *st = ctx->state;
    if (ctx->opts && ctx->opts->no_default_accounts) {
        finding_detail(ctx->f, "default_account_check", json_false());
        return PROBE_DONE;
    }
    if (!(st->caps & CLIENT_PROTOCOL_41)) return PROBE_DONE; /* pre-4.1: not worth a login */

    /* HandshakeResponse41: root, empty password */
    uint8_t r[128];
    size_t k = 0;
    memset(r, 0, sizeof r);
    uint32_t c = st->caps | (ctx->tls ? CLIENT_SSL : 0);
    r[k++] = (uint8_t)c;
    r[k++] = (uint8_t)(c >> 8);
    r[k++] = (uint8_t)(c >> 16);
    r[k++] = (uint8_t)(c >> 24);
    k += 3;
    r[k++] = 1;  /* max packet 16 MiB (little-endian 0x01000000) */
    r[k++] = 45; /* utf8mb4_general_ci */
    k += 23;     /* reserved, zero */
    memcpy(r + k, "root", 5);
    k += 5;
    /* zero-length auth response: a 1-byte length 0 with SECURE_CONNECTION,
       else an empty NUL-terminated string -- the same byte either way */
    r[k++] = 0;
    if (st->caps & CLIENT_PLUGIN_AUTH) {
        memcpy(r + k, "mysql_native_password", 22);
        k += 22;
    }
    st->phase = MY_AUTH;
    if (send_packet(ctx, st->login_seq, r, k) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int on_auth(struct probe_ctx *ctx, const uint8_t *b, size_t n, uint8_t seq)
{
    struct my_state *st = ctx->state;
    if (n < 1) return PROBE_DONE;
    switch (b[0]) {
    case 0x00:
        ctx->f->auth = AUTH_NONE;
        finding_detail_str(ctx->f, "login", "root with an empty password");
        return send_query(ctx, 0);
    case 0xff:
        return on_err(ctx, b, n);
    case 0xfe: {
        /* AuthSwitchRequest: plugin name, data. Empty is empty everywhere. */
        const uint8_t *pe = n > 1 ? memchr(b + 1, 0, n - 1) : NULL;
        if (pe) finding_detail_strn(ctx->f, "auth_switch", b + 1, (size_t)(pe - (b + 1)));
        if (++st->switches > MY_MAX_SWITCHES) return PROBE_DONE;
        if (send_packet(ctx, (uint8_t)(seq + 1), "", 0) < 0) return PROBE_DONE;
        return PROBE_SEND;
    }
    case 0x01:
        /* AuthMoreData: caching_sha2 fast-auth success (3) goes on to OK */
        if (n >= 2 && b[1] == 0x03) return PROBE_MORE;
        if (n >= 2 && b[1] == 0x04) {
            /* full authentication wanted: the account has a password */
            ctx->f->auth = AUTH_REQUIRED;
            finding_detail_str(ctx->f, "auth_more", "full authentication");
        }
        return PROBE_DONE;
    default:
        return PROBE_DONE;
    }
}

/* Length-encoded integer at *i; returns -1 on a short buffer, -2 for NULL (0xfb). */
static int lenenc(const uint8_t *b, size_t n, size_t *i, uint64_t *out)
{
    if (*i >= n) return -1;
    uint8_t c = b[(*i)++];
    size_t k = 0;
    if (c < 0xfb) {
        *out = c;
        return 0;
    }
    if (c == 0xfb) return -2;
    if (c == 0xfc)
        k = 2;
    else if (c == 0xfd)
        k = 3;
    else if (c == 0xfe)
        k = 8;
    else
        return -1;
    if (n - *i < k) return -1;
    uint64_t v = 0;
    for (size_t j = 0; j < k; j++)
        v |= (uint64_t)b[*i + j] << (8 * j);
    *i += k;
    *out = v;
    return 0;
}

static void on_row(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct my_state *st = ctx->state;
    struct finding *f = ctx->f;
    const uint8_t *c[4] = {0};
    int64_t l[4] = {-1, -1, -1, -1};
    size_t i = 0;
    int nc = 0;
    while (nc < 4 && i < n) {
        uint64_t len;
        int r = lenenc(b, n, &i, &len);
        if (r == -1) break;
        if (r == 0) {
            if (len > n - i) break;
            c[nc] = b + i;
            l[nc] = (int64_t)len;
            i += len;
        }
        nc++;
    }
    if (nc < 1 || !c[0]) return;
    switch (st->query) {
    case 0: { /* schema, tables, rows, bytes */
        if (nc < 4) return;
        int64_t rows = probe_text_int(c[2], l[2]), bytes = probe_text_int(c[3], l[3]);
        finding_count_add(&f->databases, 1);
        finding_count_add(&f->collections, probe_text_int(c[1], l[1]));
        finding_count_add(&f->records, rows);
        finding_count_add(&f->bytes, bytes);
        finding_add_name(f, (const char *)c[0], (size_t)l[0], rows, bytes);
        break;
    }
    case 1: { /* schema, table, rows */
        if (nc < 3 || !c[1]) return;
        char name[FINDING_MAX_NAME];
        size_t sl = (size_t)l[0] < 60 ? (size_t)l[0] : 60;
        size_t tl = (size_t)l[1] < 64 ? (size_t)l[1] : 64;
        memcpy(name, c[0], sl);
        name[sl] = '.';
        memcpy(name + sl + 1, c[1], tl);
        finding_add_name(f, name, sl + 1 + tl, probe_text_int(c[2], l[2]), -1);
        break;
    }
    case 2:
        finding_add_field(f, (const char *)c[0], (size_t)l[0]);
        break;
    }
}

/* A text result set: column count, definitions, EOF, rows, EOF (or OK/ERR). */
static int on_result(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct my_state *st = ctx->state;
    bool eof = n >= 1 && n < 9 && b[0] == 0xfe;
    bool err = n >= 1 && b[0] == 0xff;
    switch (st->rs) {
    case RS_HEAD: {
        if (err || (n >= 1 && b[0] == 0x00)) {
            if (err && n >= 3) finding_detail_int(ctx->f, "query_error", probe_le16(b + 1));
            return send_query(ctx, st->query + 1);
        }
        size_t i = 0;
        uint64_t nc;
        if (lenenc(b, n, &i, &nc) != 0 || nc == 0) return PROBE_DONE;
        st->cols_left = nc;
        st->rs = RS_COLS;
        return PROBE_MORE;
    }
    case RS_COLS:
        if (st->cols_left) {
            st->cols_left--;
            return PROBE_MORE;
        }
        if (!eof) return PROBE_DONE; /* out of step: stop with what we have */
        st->rs = RS_ROWS;
        return PROBE_MORE;
    case RS_ROWS:
        if (eof || err) {
            if (err && n >= 3) finding_detail_int(ctx->f, "query_error", probe_le16(b + 1));
            return send_query(ctx, st->query + 1);
        }
        on_row(ctx, b, n);
        return PROBE_MORE;
    }
    return PROBE_DONE;
}

static int on_packet(struct probe_ctx *ctx, uint8_t seq, const uint8_t *b, size_t n)
{
    struct my_state *st = ctx->state;
    switch (st->phase) {
    case MY_GREETING:
        return on_greeting(ctx, b, n, seq);
    case MY_AUTH:
        return on_auth(ctx, b, n, seq);
    case MY_QUERY:
        return on_result(ctx, b, n);
    case MY_TLS: /* nothing is due before the handshake: a server talking now is broken */
    case MY_END:
        return PROBE_DONE;
    }
    return PROBE_DONE;
}

static int my_start(struct probe_ctx *ctx)
{
    struct my_state *st = ctx->state;
    st->hlen = 0;
    if (ctx->tls && st->phase == MY_TLS) return send_login(ctx); /* upgraded: log in inside TLS */
    st->phase = MY_GREETING;
    return PROBE_MORE;
}

static int my_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct my_state *st = ctx->state;
    size_t i = 0;
    while (i < n) {
        if (st->hlen < 4) {
            st->hdr[st->hlen++] = p[i++];
            if (st->hlen < 4) continue;
            uint32_t len = st->hdr[0] | (uint32_t)st->hdr[1] << 8 | (uint32_t)st->hdr[2] << 16;
            if (!st->identified && (len > MY_GREETING_MAX || st->hdr[3] != 0)) return PROBE_NOMATCH;
            st->need = len;
            st->plen = 0;
        }
        i += probe_take(st->pay, &st->plen, MY_PKT_CAP, &st->need, p + i, n - i);
        if (st->need) continue;
        st->hlen = 0;
        int rc = on_packet(ctx, st->hdr[3], st->pay, st->plen);
        if (rc != PROBE_MORE) return rc;
    }
    return PROBE_MORE;
}

static int my_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct my_state *ts = ctx->state;
    if (why == PROBE_END_TLS && ts->phase == MY_TLS) {
        /* the upgrade failed: log in plain on a new connection (new greeting) */
        ts->tls_failed = true;
        finding_detail(ctx->f, "tls_handshake_failed", json_true());
        return PROBE_RECONNECT;
    }
    struct my_state *st = ctx->state;
    if (!st->identified) return PROBE_NOMATCH;
    if (st->phase == MY_AUTH && ctx->f->auth == AUTH_UNKNOWN)
        FINDING_SET(ctx->f, error, "connection ended during login");
    return PROBE_DONE;
}

/*
 * Foreign bytes: a MySQL greets every client unprompted, so whatever
 * another probe sent, the first packet is a protocol-10 greeting (sequence
 * 0, a version string starting with a digit) or a pre-handshake ERR.
 */
static int my_sniff(const uint8_t *p, size_t n)
{
    if (n < 6) return 0;
    uint32_t len = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    if (p[3] != 0 || len < 2 || len > MY_GREETING_MAX) return 0;
    if (p[4] == 0x0a && p[5] >= '0' && p[5] <= '9') return 95;
    if (p[4] == 0xff && n >= 7) {
        uint32_t code = probe_le16(p + 5);
        if (code >= 1040 && code <= 1300) return 80;
    }
    return 0;
}

const struct probe probe_mysql = {
    .name = "mysql",
    .flags = PROBE_SERVER_FIRST | PROBE_DEFAULT_ACCT,
    .state_size = sizeof(struct my_state),
    .start = my_start,
    .on_data = my_on_data,
    .on_end = my_on_end,
    .sniff = my_sniff,
};
