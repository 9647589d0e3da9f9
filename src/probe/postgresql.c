/*
 * probe/postgresql.c -- PostgreSQL (frontend/backend protocol 3.0, port 5432).
 *
 * Requests this probe can send, in order, and only these:
 *   1. SSLRequest (length 8, code 80877103), on the first connection.
 *   2. StartupMessage, protocol 3.0, user=postgres database=postgres
 *      application_name=ajar: the empty default-account check. Never sent
 *      with --no-default-accounts. Sent on the same connection after 'N';
 *      after 'S' the engine upgrades the connection to TLS (PROBE_STARTTLS:
 *      the certificate facts are read then) and it is sent inside TLS; if
 *      the handshake fails, on a new plain connection. No password message
 *      is ever sent.
 *   Only when the server answered AuthenticationOk (trust), simple Queries
 *   over the system catalogs, one after each ReadyForQuery:
 *   3. SELECT datname, <size when CONNECT is allowed> FROM pg_database
 *      WHERE NOT datistemplate                       (names, sizes, count)
 *   4. SELECT count(*), sum(reltuples) FROM pg_class of ordinary tables
 *      outside pg_catalog/information_schema        (tables, estimated rows)
 *   5. SELECT nspname, relname, reltuples ... LIMIT 100      (table names)
 *   6. SELECT DISTINCT attname FROM pg_attribute ... LIMIT 200 (columns)
 *   7. Terminate ('X').
 *   Then, because pg_class is per database, for each other database the
 *   first query allowed us to CONNECT to (at most PG_MAX_DBS), a new
 *   connection with the same StartupMessage but database=<that name>, and
 *   queries 4-7 there (tables, estimated rows, names as db.schema.table,
 *   columns). Same empty default-account login, nothing else.
 * Never a user table, never a row of data: the row count is the planner's
 * estimate (pg_class.reltuples) or, for a table never analysed, the live
 * tuple count of the statistics system (pg_stat_user_tables.n_live_tup).
 *
 * How it decides: 'S' or 'N' (one byte) to the SSLRequest is PostgreSQL
 * (ssl_offered in details). Then the Authentication request type: 0 (Ok)
 * means trust, auth none; 3 cleartext, 5 md5, 10 SASL (mechanisms listed),
 * 7 GSS, 9 SSPI, 2 Kerberos mean auth required (details auth_method). An
 * ErrorResponse with SQLSTATE 28000/28P01 means auth required (pg_hba_reject
 * when the message names pg_hba.conf). The version is only known after a
 * login (ParameterStatus server_version): without one there is none.
 *
 * Parsing: messages are type byte + int32 length; the reader keeps at most
 * PG_MSG_CAP bytes of one message (the rest is counted and dropped) and
 * refuses, before the server is identified, lengths no PostgreSQL sends.
 */
#include "probe/probe.h"

#include <stdio.h>
#include <string.h>

#define PG_MSG_CAP       16384
#define PG_MAX_LEN       (1u << 24) /* a longer declared message is not PostgreSQL */
#define PG_MAX_LEN_EARLY 65536      /* before identification */
#define PG_SSL_CODE      80877103u
#define PG_PROTO_3_0     196608u
#define PG_MAX_DBS       20 /* other databases visited for their catalogs */
#define PG_DB_NAME       64

static const char *const pg_queries[] = {
    "SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT') THEN "
    "pg_database_size(datname) END FROM pg_database WHERE NOT datistemplate ORDER BY 1",
    "SELECT count(*), coalesce(sum(greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)), "
    "0)::bigint FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
    "WHERE c.relkind = 'r' AND c.relnamespace NOT IN (SELECT oid FROM pg_namespace "
    "WHERE nspname IN ('pg_catalog', 'information_schema'))",
    "SELECT n.nspname, c.relname, greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)::bigint "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN "
    "pg_stat_user_tables s ON s.relid = c.oid WHERE c.relkind = 'r' AND "
    "n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2 LIMIT 100",
    "SELECT DISTINCT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND a.attnum > 0 "
    "AND NOT a.attisdropped AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "ORDER BY 1 LIMIT 200",
};

enum pg_phase { PG_SSL = 0, PG_AUTH, PG_QUERY, PG_END };

struct pg_state {
    enum pg_phase phase;
    bool identified;
    bool auth_ok;
    int query; /* index into pg_queries of the query in flight */
    /* the other databases to read the catalog of, and the one connected to */
    char dbs[PG_MAX_DBS][PG_DB_NAME];
    int ndbs;
    int db;     /* 0: "postgres"; i > 0: dbs[i - 1] */
    bool to_db; /* the next connection is for database db (not the reconnect after 'S') */
    /* message reader */
    uint8_t hdr[5];
    size_t hlen;
    uint32_t need; /* body bytes still to come */
    uint32_t blen; /* body bytes kept (<= PG_MSG_CAP) */
    uint8_t body[PG_MSG_CAP];
};

static void identify(struct probe_ctx *ctx)
{
    struct pg_state *st = ctx->state;
    if (st->identified) return;
    st->identified = true;
    FINDING_SET(ctx->f, service, "postgresql");
    FINDING_SET(ctx->f, product, "PostgreSQL");
}

static int send_startup(struct probe_ctx *ctx)
{
    struct pg_state *st = ctx->state;
    const char *kv[] = {"user", "postgres", "database", "postgres", "application_name", "ajar"};
    if (st->db > 0) kv[3] = st->dbs[st->db - 1];
    uint8_t m[192];
    size_t n = 8;
    probe_put_be32(m + 4, PG_PROTO_3_0);
    for (size_t i = 0; i < ARRAY_LEN(kv); i++) {
        size_t l = strlen(kv[i]) + 1;
        memcpy(m + n, kv[i], l);
        n += l;
    }
    m[n++] = 0;
    probe_put_be32(m, (uint32_t)n);
    st->phase = PG_AUTH;
    if (probe_send(ctx, m, n) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* Queue query number i, or Terminate after the last one. */
static int send_query(struct probe_ctx *ctx, int i)
{
    struct pg_state *st = ctx->state;
    st->query = i;
    if (i >= (int)ARRAY_LEN(pg_queries)) {
        static const uint8_t term[5] = {'X', 0, 0, 0, 4};
        st->phase = PG_END;
        probe_send(ctx, term, sizeof term); /* best effort: closing is the same */
        if (st->db < st->ndbs) {
            /* the next database's catalog is on another connection */
            st->db++;
            st->to_db = true;
            return PROBE_RECONNECT;
        }
        return PROBE_DONE;
    }
    const char *q = pg_queries[i];
    size_t ql = strlen(q) + 1;
    uint8_t m[1024];
    if (ql + 5 > sizeof m) return PROBE_DONE;
    m[0] = 'Q';
    probe_put_be32(m + 1, (uint32_t)(ql + 4));
    memcpy(m + 5, q, ql);
    st->phase = PG_QUERY;
    if (probe_send(ctx, m, ql + 5) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int pg_start(struct probe_ctx *ctx)
{
    struct pg_state *st = ctx->state;
    st->hlen = 0;
    st->need = st->blen = 0;
    if (ctx->connection == 0 && !ctx->tls) {
        uint8_t m[8];
        probe_put_be32(m, 8);
        probe_put_be32(m + 4, PG_SSL_CODE);
        st->phase = PG_SSL;
        if (probe_send(ctx, m, sizeof m) < 0) return PROBE_DONE;
        return PROBE_SEND;
    }
    /* inside TLS after 'S', the plain reconnect when the upgrade failed, or
     * the connection to the next database */
    st->auth_ok = false;
    return send_startup(ctx);
}

/* Find field `code` of an ErrorResponse/NoticeResponse body; returns its length or -1. */
static int err_field(const uint8_t *b, size_t n, char code, const uint8_t **out)
{
    size_t i = 0;
    while (i < n && b[i]) {
        char t = (char)b[i++];
        size_t s = i;
        while (i < n && b[i])
            i++;
        if (i >= n) return -1;
        if (t == code) {
            *out = b + s;
            return (int)(i - s);
        }
        i++;
    }
    return -1;
}

static int on_error_response(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct pg_state *st = ctx->state;
    const uint8_t *code = NULL, *msg = NULL;
    int cl = err_field(b, n, 'C', &code);
    int ml = err_field(b, n, 'M', &msg);
    if (cl != 5) {
        /* every PostgreSQL error carries a five-character SQLSTATE */
        return st->identified ? PROBE_DONE : PROBE_NOMATCH;
    }
    identify(ctx);
    finding_detail_strn(ctx->f, "error_code", code, 5);
    if (ml > 0) finding_detail_strn(ctx->f, "error", msg, (size_t)ml);
    if (!memcmp(code, "28000", 5) || !memcmp(code, "28P01", 5)) {
        ctx->f->auth = AUTH_REQUIRED;
        if (ml > 0 && mem_find(msg, (size_t)ml, "pg_hba.conf", true))
            finding_detail(ctx->f, "pg_hba_reject", json_true());
    }
    return PROBE_DONE;
}

/* Visiting another database was refused (its own pg_hba rule): the verdict
 * stands; go on with the next one or finish. */
static int next_db_or_done(struct probe_ctx *ctx)
{
    struct pg_state *st = ctx->state;
    finding_detail_int(ctx->f, "databases_refused",
                       (json_integer_value(json_object_get(ctx->f->details, "databases_refused"))) +
                           1);
    if (st->db < st->ndbs) {
        st->db++;
        st->to_db = true;
        return PROBE_RECONNECT;
    }
    return PROBE_DONE;
}

static int on_auth_request(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct pg_state *st = ctx->state;
    if (n < 4) return st->identified ? PROBE_DONE : PROBE_NOMATCH;
    uint32_t code = probe_be32(b);
    if (st->db > 0 && code != 0) return next_db_or_done(ctx);
    const char *method = NULL;
    switch (code) {
    case 0:
        identify(ctx);
        st->auth_ok = true;
        ctx->f->auth = AUTH_NONE;
        finding_detail_str(ctx->f, "auth_method", "trust");
        return PROBE_MORE; /* ParameterStatus ... ReadyForQuery follow */
    case 2:
        method = "kerberos_v5";
        break;
    case 3:
        method = "password";
        break;
    case 5:
        method = "md5";
        break;
    case 6:
        method = "scm_credentials";
        break;
    case 7:
        method = "gss";
        break;
    case 9:
        method = "sspi";
        break;
    case 10:
        method = "sasl";
        break;
    default:
        return st->identified ? PROBE_DONE : PROBE_NOMATCH;
    }
    identify(ctx);
    ctx->f->auth = AUTH_REQUIRED;
    finding_detail_str(ctx->f, "auth_method", method);
    if (code == 10) {
        /* a list of NUL-terminated mechanism names, ended by an empty one */
        json_t *mechs = json_array();
        size_t i = 4;
        while (mechs && i < n && b[i]) {
            size_t s = i;
            while (i < n && b[i])
                i++;
            char tmp[64];
            str_sanitize(tmp, sizeof tmp, b + s, i - s, true);
            if (json_array_size(mechs) < 8) json_array_append_new(mechs, json_string(tmp));
            i++;
        }
        finding_detail(ctx->f, "mechanisms", mechs);
    }
    return PROBE_DONE;
}

static void on_parameter(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    const uint8_t *name = b, *end = memchr(b, 0, n);
    if (!end) return;
    const uint8_t *val = end + 1;
    const uint8_t *vend = memchr(val, 0, n - (size_t)(val - b));
    if (!vend) return;
    size_t vl = (size_t)(vend - val);
    if (!strcmp((const char *)name, "server_version")) {
        /* "15.20 (Debian 15.20-0+deb12u1)": the version is the first word */
        size_t w = 0;
        while (w < vl && val[w] != ' ')
            w++;
        finding_set(ctx->f->version, sizeof ctx->f->version, val, w);
        finding_detail_strn(ctx->f, "server_version", val, vl);
    } else if (!strcmp((const char *)name, "is_superuser")) {
        finding_detail(ctx->f, "superuser", json_boolean(vl == 2 && !memcmp(val, "on", 2)));
    } else if (!strcmp((const char *)name, "server_encoding")) {
        finding_detail_strn(ctx->f, "server_encoding", val, vl);
    }
}

/* Split a DataRow into up to `max` columns; a NULL column has length -1. */
static int data_row(const uint8_t *b, size_t n, const uint8_t **col, int64_t *len, int max)
{
    if (n < 2) return -1;
    int nc = b[0] << 8 | b[1];
    size_t i = 2;
    int k;
    for (k = 0; k < nc && k < max; k++) {
        if (i + 4 > n) return -1;
        uint32_t l = probe_be32(b + i);
        i += 4;
        if (l == 0xffffffffu) {
            col[k] = NULL;
            len[k] = -1;
            continue;
        }
        if (l > n - i) return -1;
        col[k] = b + i;
        len[k] = l;
        i += l;
    }
    return k;
}

static void on_row(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct pg_state *st = ctx->state;
    struct finding *f = ctx->f;
    const uint8_t *c[3] = {0};
    int64_t l[3] = {-1, -1, -1};
    int nc = data_row(b, n, c, l, 3);
    if (nc < 1 || !c[0]) return;
    switch (st->query) {
    case 0: { /* datname, size (NULL when we may not CONNECT) */
        int64_t sz = nc > 1 ? probe_text_int(c[1], l[1]) : -1;
        finding_count_add(&f->databases, 1);
        finding_count_add(&f->bytes, sz);
        finding_add_name(f, (const char *)c[0], (size_t)l[0], -1, sz);
        bool is_default = l[0] == 8 && memcmp(c[0], "postgres", 8) == 0;
        if (sz >= 0 && !is_default && l[0] > 0 && l[0] < PG_DB_NAME && st->ndbs < PG_MAX_DBS &&
            !memchr(c[0], 0, (size_t)l[0])) {
            memcpy(st->dbs[st->ndbs], c[0], (size_t)l[0]);
            st->dbs[st->ndbs][l[0]] = 0;
            st->ndbs++;
        }
        break;
    }
    case 1: /* table count, estimated rows: summed over the databases visited */
        if (nc < 2) return;
        finding_count_add(&f->collections, probe_text_int(c[0], l[0]));
        finding_count_add(&f->records, probe_text_int(c[1], l[1]));
        break;
    case 2: { /* schema, table, estimated rows; db.schema.table outside "postgres" */
        if (nc < 3 || !c[1]) return;
        char name[FINDING_MAX_NAME];
        size_t o = 0;
        if (st->db > 0) {
            o = str_copy(name, st->dbs[st->db - 1], 48);
            if (o > 47) o = 47;
            name[o++] = '.';
        }
        size_t sl = (size_t)l[0] < 36 ? (size_t)l[0] : 36;
        size_t tl = (size_t)l[1] < 36 ? (size_t)l[1] : 36;
        memcpy(name + o, c[0], sl);
        o += sl;
        name[o++] = '.';
        memcpy(name + o, c[1], tl);
        o += tl;
        finding_add_name(f, name, o, probe_text_int(c[2], l[2]), -1);
        break;
    }
    case 3: /* column name */
        finding_add_field(f, (const char *)c[0], (size_t)l[0]);
        break;
    }
}

/* One whole message (body possibly cut at PG_MSG_CAP). */
static int on_message(struct probe_ctx *ctx, uint8_t type, const uint8_t *b, size_t n)
{
    struct pg_state *st = ctx->state;
    switch (type) {
    case 'R':
        if (st->phase != PG_AUTH) return PROBE_MORE;
        return on_auth_request(ctx, b, n);
    case 'E':
        if (st->phase == PG_QUERY) {
            /* a catalog query was refused: note it and go on at ReadyForQuery */
            const uint8_t *code = NULL;
            if (err_field(b, n, 'C', &code) == 5)
                finding_detail_strn(ctx->f, "query_error", code, 5);
            return PROBE_MORE;
        }
        if (st->db > 0) return next_db_or_done(ctx);
        return on_error_response(ctx, b, n);
    case 'S':
        if (st->identified) on_parameter(ctx, b, n);
        return PROBE_MORE;
    case 'K':
    case 'N':
    case 'v':
    case 'T':
    case 'C':
    case 'I':
        return st->identified ? PROBE_MORE : PROBE_NOMATCH;
    case 'D':
        if (st->phase == PG_QUERY) on_row(ctx, b, n);
        return PROBE_MORE;
    case 'Z':
        if (!st->auth_ok) return st->identified ? PROBE_DONE : PROBE_NOMATCH;
        if (st->phase == PG_AUTH) return send_query(ctx, st->db > 0 ? 1 : 0);
        if (st->phase == PG_QUERY) return send_query(ctx, st->query + 1);
        return PROBE_DONE;
    default:
        return st->identified ? PROBE_MORE : PROBE_NOMATCH;
    }
}

static int pg_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct pg_state *st = ctx->state;
    size_t i = 0;
    if (st->phase == PG_SSL) {
        uint8_t c = p[0];
        /* a server sends the one byte and waits for us: more is not
         * PostgreSQL (an SSH banner "SSH-2.0-..." starts with 'S'), and
         * bytes after 'S' would be fed to the TLS handshake (the injection
         * of CVE-2021-23214) */
        if ((c == 'S' || c == 'N') && n > 1) return PROBE_NOMATCH;
        if (c == 'S' || c == 'N') {
            identify(ctx);
            finding_detail(ctx->f, "ssl_offered", json_boolean(c == 'S'));
            if (ctx->opts && ctx->opts->no_default_accounts) {
                finding_detail(ctx->f, "default_account_check", json_false());
                return PROBE_DONE;
            }
            if (c == 'S') return PROBE_STARTTLS;
            return send_startup(ctx);
        }
        if (c != 'E') return PROBE_NOMATCH;
        /* an old server (or one inside TLS) answers with an ErrorResponse */
        st->phase = PG_AUTH;
    }
    while (i < n) {
        if (st->hlen < 5) {
            st->hdr[st->hlen++] = p[i++];
            if (st->hlen < 5) continue;
            uint32_t len = probe_be32(st->hdr + 1);
            uint32_t max = st->identified ? PG_MAX_LEN : PG_MAX_LEN_EARLY;
            if (len < 4 || len > max) {
                if (!st->identified) return PROBE_NOMATCH;
                FINDING_SET(ctx->f, error, "malformed message length");
                return PROBE_DONE;
            }
            st->need = len - 4;
            st->blen = 0;
        }
        i += probe_take(st->body, &st->blen, PG_MSG_CAP, &st->need, p + i, n - i);
        if (st->need) continue;
        st->hlen = 0;
        int rc = on_message(ctx, st->hdr[0], st->body, st->blen);
        if (rc != PROBE_MORE) return rc;
    }
    return PROBE_MORE;
}

static int pg_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct pg_state *st = ctx->state;
    if (!st->identified) return PROBE_NOMATCH;
    if (why == PROBE_END_TLS && st->phase == PG_SSL && ctx->connection == 0) {
        /* the TLS upgrade failed: the startup goes out in plain on a new connection */
        finding_detail(ctx->f, "ssl_handshake_failed", json_true());
        return PROBE_RECONNECT;
    }
    if (st->phase == PG_AUTH && ctx->f->auth == AUTH_UNKNOWN)
        FINDING_SET(ctx->f, error, "connection ended during startup");
    return PROBE_DONE;
}

/*
 * Foreign bytes: an ErrorResponse ('E', sane length, then an 'S' severity
 * field) is what a PostgreSQL sends when a request is not a startup packet
 * it can read (to garbage it mostly closes without a word).
 */
static int pg_sniff(const uint8_t *p, size_t n)
{
    if (n < 7 || p[0] != 'E') return 0;
    uint32_t len = probe_be32(p + 1);
    if (len < 8 || len > 4096) return 0;
    if (p[5] != 'S') return 0;
    if (mem_find(p + 6, n - 6 < 16 ? n - 6 : 16, "FATAL", false) ||
        mem_find(p + 6, n - 6 < 16 ? n - 6 : 16, "ERROR", false))
        return 90;
    return 40;
}

const struct probe probe_postgresql = {
    .name = "postgresql",
    .flags = PROBE_DEFAULT_ACCT,
    .state_size = sizeof(struct pg_state),
    .start = pg_start,
    .on_data = pg_on_data,
    .on_end = pg_on_end,
    .sniff = pg_sniff,
    /* reads "GET " as a startup length and hangs up. Below ZooKeeper and Kafka: our first
     * request (SSLRequest, 8 bytes whose length field says 8) leaves a server that reads an
     * int32 size before the frame waiting for 8 more bytes -- a whole probe timeout lost --
     * while their requests declare their true length, so a PostgreSQL answers them at once
     * (an ErrorResponse) and the plan moves on. */
    .silent = 46,
};
