/*
 * probe/mssql.c -- Microsoft SQL Server (TDS 7.x, port 1433).
 *
 * TDS is client-first: nothing comes from the server until the client's
 * PRELOGIN. Every message is cut into packets with an 8-byte header
 * (type, status, big-endian length, SPID, packet id, window); the last
 * packet of a message has the EOM bit in its status. Server answers are
 * packets of type 4 carrying a token stream (ERROR, INFO, LOGINACK,
 * ENVCHANGE, COLMETADATA, ROW, DONE...).
 *
 * Requests this probe can send, in order, and only these:
 *   1. PRELOGIN (type 0x12): VERSION 0.0.0.0, ENCRYPTION = ENCRYPT_OFF,
 *      INSTOPT "" (the default instance), THREADID 0, MARS off.
 *   2. When the answer's ENCRYPTION is OFF, ON or REQ (and the engine did
 *      not already wrap the connection in TLS): a TLS handshake (at most
 *      TLS 1.2) whose records travel as the payload of PRELOGIN packets,
 *      as TDS 7.x wants; the certificate facts are read from it.
 *   3. LOGIN7 (type 0x10), SQL authentication, user `sa` with an EMPTY
 *      password (length 0): the empty default-account check. Never sent
 *      with --no-default-accounts. Inside the TLS session when the server
 *      said ON/REQ (then everything after it too) or OFF (then only the
 *      login is encrypted: TDS drops TLS after it); in the clear when it
 *      said NOT_SUP.
 *   Only after a LOGINACK (sa logs in without a password), SQL batches
 *   (type 0x01) over the catalog views, one after each complete answer:
 *   4. the databases: SELECT TOP 1000 database_id, name and the size of
 *      its data files (SUM(sys.master_files.size) 8-KB pages) FROM
 *      sys.databases WHERE database_id > 4 (master, tempdb, model, msdb
 *      are the server's own);
 *   5. for each of the first MS_MAX_DBS of them, one batch of three
 *      statements over three-part names [db].sys.tables / sys.schemas /
 *      sys.partitions (index_id 0 or 1: each table counted once) /
 *      sys.columns: the table count and sum of rows, the TOP 100 tables
 *      with their rows, the DISTINCT TOP 200 column names. The database
 *      name is the server's, quoted as QUOTENAME does ([...] with "]"
 *      doubled), re-sent as the UTF-16 bytes it came in.
 * Never a user table: sys.partitions.rows is the storage engine's count.
 *
 * How it decides: a well-formed PRELOGIN answer (type 4, an option table
 * whose offsets and lengths fit, a 6-byte VERSION) is SQL Server; its
 * VERSION is the product version (major.minor.build) and its ENCRYPTION
 * the server's TLS setting (details.encryption). LOGINACK after the empty
 * sa login: auth none (signal default-account-empty-password). ERROR
 * 18456 "Login failed for user 'sa'." (or 18470 disabled, 18486 locked
 * out, 18488 must change password, 18452 Windows logins only): auth
 * required. A login redirected elsewhere (Azure's routing ENVCHANGE) or
 * cut off (a TLS failure) leaves auth unknown, with the reason.
 *
 * Parsing: packets are read one header at a time; the PRELOGIN answer
 * keeps at most MS_PRE_CAP bytes (a longer one is not SQL Server's). The
 * token stream goes through a window of MS_WIN bytes: a length-prefixed
 * token too long for it is skipped unread, a row or a column list that
 * does not fit (or a type this probe does not walk, such as the MAX and
 * LOB types its queries never return) ends the reading with what it has.
 * Every length is checked before it is used. The TLS session runs in
 * memory BIOs that hold at most what one read delivered.
 *
 * Files: this one sends, reads packets and the PRELOGIN answer, and runs
 * TLS inside TDS; mssql_tokens.c reads the token stream; mssql_int.h holds
 * what they share.
 */
#include "probe/mssql_int.h"
#include "tls/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

static const char q_databases[] =
    "SELECT TOP 1000 d.database_id, d.name, (SELECT SUM(CAST(f.size AS bigint)) FROM "
    "sys.master_files f WHERE f.database_id = d.database_id AND f.type = 0) FROM sys.databases d "
    "WHERE d.database_id > 4 ORDER BY d.database_id";

/* '@' stands for the quoted database name */
static const char q_database[] =
    "SELECT COUNT(DISTINCT t.object_id), SUM(p.rows) FROM @.sys.tables t JOIN @.sys.partitions p "
    "ON p.object_id = t.object_id AND p.index_id IN (0, 1) WHERE t.is_ms_shipped = 0; "
    "SELECT TOP 100 s.name, t.name, SUM(p.rows) FROM @.sys.tables t JOIN @.sys.schemas s ON "
    "s.schema_id = t.schema_id JOIN @.sys.partitions p ON p.object_id = t.object_id AND "
    "p.index_id IN (0, 1) WHERE t.is_ms_shipped = 0 GROUP BY s.name, t.name ORDER BY 3 DESC, 1, 2; "
    "SELECT DISTINCT TOP 200 c.name FROM @.sys.columns c JOIN @.sys.tables t ON "
    "t.object_id = c.object_id WHERE t.is_ms_shipped = 0 ORDER BY 1";

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static void identify(struct probe_ctx *ctx)
{
    struct ms_state *st = ctx->state;
    if (st->identified) return;
    st->identified = true;
    FINDING_SET(ctx->f, service, "mssql");
    FINDING_SET(ctx->f, product, "Microsoft SQL Server");
}

static void finish(struct probe_ctx *ctx)
{
    struct ms_state *st = ctx->state;
    st->phase = MS_END;
}

/* ---- sending ---- */

/* Queue bytes the TLS session wrote into its output BIO: as PRELOGIN packets during the
 * handshake (TDS 7.x wraps it so), as they are afterwards. */
static int flush_tls(struct probe_ctx *ctx, bool wrap)
{
    struct ms_state *st = ctx->state;
    BIO *w = SSL_get_wbio(st->ssl);
    uint8_t buf[2 * MS_OUT_CAP + 512]; /* unwrapped: a whole message's records at once */
    size_t room = wrap ? MS_PKT_SIZE - 8 : sizeof buf;
    for (;;) {
        size_t pending = BIO_ctrl_pending(w);
        if (!pending) return 0;
        int k = BIO_read(w, buf + (wrap ? 8 : 0), (int)(pending < room ? pending : room));
        if (k <= 0) return -1;
        size_t n = (size_t)k;
        if (wrap) {
            bool last = BIO_ctrl_pending(w) == 0;
            buf[0] = TDS_PRELOGIN;
            buf[1] = last ? TDS_EOM : 0;
            buf[2] = (uint8_t)((n + 8) >> 8);
            buf[3] = (uint8_t)(n + 8);
            buf[4] = buf[5] = 0;
            buf[6] = st->pkt_id++;
            buf[7] = 0;
            n += 8;
        }
        if (probe_send(ctx, buf, n) < 0) return -1;
        st->queued = true;
    }
}

/* One message of type `type`, cut into packets and queued at once (one request in a trace);
 * through TLS when the session says so. */
static int send_msg(struct probe_ctx *ctx, uint8_t type, const uint8_t *p, size_t n)
{
    struct ms_state *st = ctx->state;
    size_t max = (size_t)(st->pkt_size ? st->pkt_size : MS_PKT_SIZE) - 8;
    uint8_t out[MS_OUT_CAP + 8 * (MS_OUT_CAP / 504 + 1)];
    size_t off = 0, o = 0;
    do {
        size_t k = n - off < max ? n - off : max;
        if (o + k + 8 > sizeof out) return -1;
        uint8_t *pkt = out + o;
        pkt[0] = type;
        pkt[1] = off + k == n ? TDS_EOM : 0;
        pkt[2] = (uint8_t)((k + 8) >> 8);
        pkt[3] = (uint8_t)(k + 8);
        pkt[4] = pkt[5] = 0;
        pkt[6] = st->pkt_id++;
        pkt[7] = 0;
        memcpy(pkt + 8, p + off, k);
        o += k + 8;
        off += k;
    } while (off < n);
    if (st->tls_write) {
        if (SSL_write(st->ssl, out, (int)o) <= 0) return -1;
        return flush_tls(ctx, false);
    }
    if (probe_send(ctx, out, o) < 0) return -1;
    st->queued = true;
    return 0;
}

static int send_prelogin(struct probe_ctx *ctx)
{
    /* option table (5 options + terminator = 26 bytes), then the data */
    static const uint8_t pl[] = {
        PL_VERSION, 0x00, 0x1a,    0x00, 0x06, PL_ENCRYPTION, 0x00, 0x20, 0x00, 0x01,
        PL_INSTOPT, 0x00, 0x21,    0x00, 0x01, PL_THREADID,   0x00, 0x22, 0x00, 0x04,
        PL_MARS,    0x00, 0x26,    0x00, 0x01, PL_END,        0x00, 0x00, 0x00, 0x00,
        0x00,       0x00, ENC_OFF, 0x00, 0x00, 0x00,          0x00, 0x00, 0x00,
    };
    struct ms_state *st = ctx->state;
    st->pkt_id = 1;
    return send_msg(ctx, TDS_PRELOGIN, pl, sizeof pl);
}

/* Append an ASCII string as UTF-16LE. */
static size_t put_u16s(uint8_t *b, size_t k, size_t cap, const char *s)
{
    for (; *s && k + 2 <= cap; s++) {
        b[k++] = (uint8_t)*s;
        b[k++] = 0;
    }
    return k;
}

/* LOGIN7 (MS-TDS 2.2.6.4), TDS 7.4, SQL authentication as sa, empty password. */
static int send_login(struct probe_ctx *ctx)
{
    static const char *const strs[] = {
        "ajar", /* HostName */
        "sa",   /* UserName */
        "",     /* Password: empty */
        "ajar", /* AppName */
        "",     /* ServerName */
        NULL,   /* Extension: none */
        "ajar", /* CltIntName */
        "",     /* Language: the login's default */
        "",     /* Database: the login's default */
    };
    struct ms_state *st = ctx->state;
    uint8_t b[256];
    memset(b, 0, sizeof b);
    size_t k = 94; /* the fixed part */
    put32(b + 4, 0x74000004u);
    put32(b + 8, MS_PKT_SIZE);
    put32(b + 12, 0x07000000u); /* client program version */
    b[24] = 0xe0;               /* OptionFlags1: USE_DB_ON, INIT_DB_FATAL, SET_LANG_ON */
    b[25] = 0x03;               /* OptionFlags2: INIT_LANG_FATAL, ODBC; SQL (not integrated) auth */
    put32(b + 32, 0x0409);      /* ClientLCID */
    for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
        size_t at = 36 + 4 * i;
        size_t start = k;
        if (strs[i]) k = put_u16s(b, k, sizeof b, strs[i]);
        put16(b + at, strs[i] ? (uint32_t)start : 0);
        put16(b + at + 2, (uint32_t)((k - start) / 2));
    }
    /* ClientID (6 zero bytes at 72), SSPI, AtchDBFile, ChangePassword: empty, at the end */
    for (size_t at = 78; at < 90; at += 4)
        put16(b + at, (uint32_t)k);
    put32(b, (uint32_t)k);
    st->phase = MS_LOGIN;
    st->wlen = st->skip = 0;
    st->broken = false;
    if (send_msg(ctx, TDS_LOGIN7, b, k) < 0) return PROBE_DONE;
    if (st->tls_write && !st->enc_all) {
        /* ENCRYPT_OFF: only the login travels inside TLS */
        st->tls_write = st->tls_read = false;
    }
    return PROBE_SEND;
}

/* A SQL batch: ALL_HEADERS (TDS 7.2+: one transaction descriptor header) and the text as
 * UTF-16LE; '@' in tmpl is replaced by dbs[db]'s name, bracket-quoted. */
static int send_batch(struct probe_ctx *ctx, const char *tmpl, int db)
{
    struct ms_state *st = ctx->state;
    uint8_t b[MS_OUT_CAP];
    size_t k = 0;
    if (st->modern) {
        static const uint8_t hdrs[22] = {22, 0, 0, 0, 18, 0, 0, 0, 2, 0, 0,
                                         0,  0, 0, 0, 0,  0, 0, 1, 0, 0, 0};
        memcpy(b, hdrs, sizeof hdrs);
        k = sizeof hdrs;
    }
    for (const char *s = tmpl; *s; s++) {
        if (*s != '@' || db < 0) {
            if (k + 2 > sizeof b) return PROBE_DONE;
            b[k++] = (uint8_t)*s;
            b[k++] = 0;
            continue;
        }
        const struct ms_db *d = &st->dbs[db];
        if (k + 2 * (size_t)d->len + 4 > sizeof b) return PROBE_DONE;
        b[k++] = '[';
        b[k++] = 0;
        for (size_t i = 0; i + 1 < d->len; i += 2) {
            b[k++] = d->name[i];
            b[k++] = d->name[i + 1];
            if (d->name[i] == ']' && d->name[i + 1] == 0) { /* QUOTENAME: "]" doubled */
                b[k++] = ']';
                b[k++] = 0;
            }
        }
        b[k++] = ']';
        b[k++] = 0;
    }
    st->phase = MS_QUERY;
    st->wlen = st->skip = 0;
    st->broken = false;
    st->rs = RS_NONE;
    st->db_tables = st->db_rows = -1;
    if (send_msg(ctx, TDS_SQL_BATCH, b, k) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* ---- TLS inside TDS ---- */

static int tls_step(struct probe_ctx *ctx)
{
    struct ms_state *st = ctx->state;
    ERR_clear_error();
    int r = SSL_do_handshake(st->ssl);
    if (flush_tls(ctx, true) < 0) return PROBE_DONE;
    if (r == 1) {
        if (!ctx->f->tls.present) tls_session_facts(st->ssl, ctx->f, ctx->f->time);
        finding_detail(ctx->f, "tls_in_tds", json_true());
        st->tls_write = true;
        st->tls_read = st->enc_all;
        st->hlen = 0;
        if (ctx->opts && ctx->opts->no_default_accounts) {
            finding_detail(ctx->f, "default_account_check", json_false());
            finish(ctx);
            return PROBE_DONE;
        }
        return send_login(ctx);
    }
    int e = SSL_get_error(st->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return PROBE_SEND;
    FINDING_SET(ctx->f, error, "the TLS handshake inside TDS failed");
    finish(ctx);
    return PROBE_DONE;
}

static int tls_begin(struct probe_ctx *ctx)
{
    struct ms_state *st = ctx->state;
    SSL_CTX *c = tls_client_ctx();
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    st->ssl = c ? SSL_new(c) : NULL;
    if (!st->ssl || !rb || !wb) {
        BIO_free(rb);
        BIO_free(wb);
        FINDING_SET(ctx->f, error, "out of memory for TLS");
        finish(ctx);
        return PROBE_DONE;
    }
    BIO_set_mem_eof_return(rb, -1);
    SSL_set_bio(st->ssl, rb, wb);
    SSL_set_connect_state(st->ssl);
    /* TDS 7.x wraps only the handshake; TLS 1.3's tickets would come after it */
    SSL_set_max_proto_version(st->ssl, TLS1_2_VERSION);
    if (ctx->f->host[0]) SSL_set_tlsext_host_name(st->ssl, ctx->f->host);
    st->phase = MS_HANDSHAKE;
    st->hlen = 0;
    return tls_step(ctx);
}

/* ---- PRELOGIN answer ---- */

static const char *enc_name(int e)
{
    switch (e) {
    case ENC_OFF:
        return "off";
    case ENC_ON:
        return "on";
    case ENC_NOT_SUP:
        return "not-supported";
    case ENC_REQ:
        return "required";
    }
    return "unknown";
}

static const char *release_of(int major, int minor)
{
    switch (major) {
    case 8:
        return "SQL Server 2000";
    case 9:
        return "SQL Server 2005";
    case 10:
        return minor >= 50 ? "SQL Server 2008 R2" : "SQL Server 2008";
    case 11:
        return "SQL Server 2012";
    case 12:
        return "SQL Server 2014";
    case 13:
        return "SQL Server 2016";
    case 14:
        return "SQL Server 2017";
    case 15:
        return "SQL Server 2019";
    case 16:
        return "SQL Server 2022";
    case 17:
        return "SQL Server 2025";
    }
    return NULL;
}

/* The option table of a PRELOGIN answer: 5-byte entries (token, BE offset, BE length) up to
 * 0xff, offsets from the payload start, every option inside it. */
static int on_prelogin(struct probe_ctx *ctx, uint8_t pktid)
{
    struct ms_state *st = ctx->state;
    const uint8_t *b = st->pre;
    size_t n = st->prelen, i = 0;
    const uint8_t *ver = NULL, *enc = NULL, *fed = NULL;
    size_t table_end = 0;
    while (i < n && b[i] != PL_END) {
        if (i + 5 > n || i > 5 * 16) return PROBE_NOMATCH;
        uint32_t off = (uint32_t)b[i + 1] << 8 | b[i + 2], len = (uint32_t)b[i + 3] << 8 | b[i + 4];
        if (off > n || len > n - off) return PROBE_NOMATCH;
        if (b[i] == PL_VERSION && len >= 6) ver = b + off;
        if (b[i] == PL_ENCRYPTION && len >= 1) enc = b + off;
        if (b[i] == PL_FEDAUTH && len >= 1) fed = b + off;
        i += 5;
    }
    if (i >= n) return PROBE_NOMATCH; /* no terminator */
    table_end = i + 1;
    if (!ver || ver < b + table_end) return PROBE_NOMATCH;
    if (enc && enc < b + table_end) return PROBE_NOMATCH;
    identify(ctx);
    int major = ver[0], minor = ver[1];
    uint32_t build = (uint32_t)ver[2] << 8 | ver[3];
    st->major = major;
    st->modern = major >= 9; /* 2005+ answer a TDS 7.4 login in 7.2+ layouts */
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%u", major, minor, build);
    if (major == 8 && minor == 0 && build == 528 && pktid == 0) {
        /* nmap-service-probes' literal answer of the Dionaea honeypot */
        FINDING_SET(ctx->f, product, "Dionaea honeypot");
        finding_detail_str(ctx->f, "honeypot", "dionaea");
        finding_detail_str(ctx->f, "claimed_version", v);
        finish(ctx);
        return PROBE_DONE;
    }
    FINDING_SET(ctx->f, version, v);
    const char *rel = release_of(major, minor);
    if (rel) finding_detail_str(ctx->f, "release", rel);
    st->enc = enc ? enc[0] : -1;
    finding_detail_str(ctx->f, "encryption", enc_name(st->enc));
    if (fed && fed[0] == 1) finding_detail(ctx->f, "fedauth_required", json_true());

    bool tls = st->enc == ENC_OFF || st->enc == ENC_ON || st->enc == ENC_REQ;
    if (tls && !ctx->tls) {
        st->enc_all = st->enc != ENC_OFF;
        return tls_begin(ctx);
    }
    if (ctx->opts && ctx->opts->no_default_accounts) {
        finding_detail(ctx->f, "default_account_check", json_false());
        finish(ctx);
        return PROBE_DONE;
    }
    if (!tls && st->enc != ENC_NOT_SUP && !ctx->tls) {
        /* no ENCRYPTION option, or a value TDS does not define: no login we could frame */
        finish(ctx);
        return PROBE_DONE;
    }
    return send_login(ctx);
}

/* ---- after a reply ---- */

/* The next catalog batch, or the end. */
static int next_step(struct probe_ctx *ctx)
{
    struct ms_state *st = ctx->state;
    if (st->step >= 1 && st->step <= st->ndbs) {
        const struct ms_db *d = &st->dbs[st->step - 1];
        finding_count_add(&ctx->f->collections, st->db_tables);
        finding_count_add(&ctx->f->records, st->db_rows);
        if (d->item >= 0 && st->db_rows >= 0) ctx->f->name_records[d->item] = st->db_rows;
        finding_detail_int(ctx->f, "databases_read", st->step);
    }
    if (st->step >= st->ndbs) {
        finish(ctx);
        return PROBE_DONE;
    }
    st->step++;
    return send_batch(ctx, q_database, st->step - 1);
}

/* A whole reply (the EOM packet's last byte) arrived. */
static int on_reply(struct probe_ctx *ctx)
{
    struct ms_state *st = ctx->state;
    bool broken = st->broken || st->wlen || st->skip;
    st->wlen = st->skip = 0;
    if (st->phase == MS_LOGIN) {
        if (st->loginack && st->routed) {
            /* Azure's gateway: the login goes on elsewhere; nothing is known here */
            finish(ctx);
            return PROBE_DONE;
        }
        if (st->loginack && ctx->f->auth != AUTH_REQUIRED) {
            ctx->f->auth = AUTH_NONE;
            finding_detail_str(ctx->f, "login", "sa with an empty password");
            st->step = 0;
            return send_batch(ctx, q_databases, -1);
        }
        finish(ctx);
        return PROBE_DONE;
    }
    if (st->phase == MS_QUERY) {
        if (broken && st->step == 0 && !st->ndbs) {
            finish(ctx);
            return PROBE_DONE;
        }
        return next_step(ctx);
    }
    finish(ctx);
    return PROBE_DONE;
}

/* ---- packets ---- */

/* Plain bytes of TDS packets (decrypted already when the session is encrypted). */
static int packets_feed(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct ms_state *st = ctx->state;
    size_t i = 0;
    while (i < n) {
        if (st->phase == MS_END) return PROBE_DONE;
        if (st->hlen < 8) {
            st->hdr[st->hlen++] = p[i++];
            if (st->hlen < 8) continue;
            uint32_t len = (uint32_t)st->hdr[2] << 8 | st->hdr[3];
            uint8_t type = st->hdr[0];
            if (len < 8) return st->identified ? PROBE_DONE : PROBE_NOMATCH;
            st->need = len - 8;
            if (st->phase == MS_PRELOGIN) {
                if (type != TDS_REPLY || !(st->hdr[1] & TDS_EOM) || st->need < 6 + 6 ||
                    st->need > MS_PRE_CAP)
                    return PROBE_NOMATCH;
                st->prelen = 0;
            } else if (st->phase == MS_HANDSHAKE) {
                if (type != TDS_PRELOGIN && type != TDS_REPLY) {
                    FINDING_SET(ctx->f, error, "not a TLS handshake packet during the handshake");
                    finish(ctx);
                    return PROBE_DONE;
                }
            } else if (type != TDS_REPLY) {
                finish(ctx);
                return PROBE_DONE;
            }
        }
        size_t k = n - i < st->need ? n - i : st->need;
        const uint8_t *q = p + i;
        st->need -= (uint32_t)k;
        i += k;
        bool eom = st->need == 0 && (st->hdr[1] & TDS_EOM);
        if (st->need == 0) st->hlen = 0;
        switch (st->phase) {
        case MS_PRELOGIN:
            memcpy(st->pre + st->prelen, q, k);
            st->prelen += (uint32_t)k;
            if (eom) return on_prelogin(ctx, st->hdr[6]);
            break;
        case MS_HANDSHAKE:
            if (k && BIO_write(SSL_get_rbio(st->ssl), q, (int)k) != (int)k) {
                finish(ctx);
                return PROBE_DONE;
            }
            if (st->need == 0) {
                int rc = tls_step(ctx);
                if (rc != PROBE_SEND) return rc;
                if (st->phase != MS_HANDSHAKE) return rc; /* the login is queued */
            }
            break;
        default:
            mssql_tokens_feed(ctx, q, k);
            if (eom) return on_reply(ctx);
            break;
        }
    }
    return PROBE_MORE;
}

static int ms_start(struct probe_ctx *ctx)
{
    struct ms_state *st = ctx->state;
    st->phase = MS_PRELOGIN;
    st->enc = -1;
    st->major = -1;
    st->hlen = 0;
    st->pkt_size = MS_PKT_SIZE;
    if (send_prelogin(ctx) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int ms_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct ms_state *st = ctx->state;
    if (st->phase == MS_END) return PROBE_DONE;
    st->queued = false;
    if (!st->tls_read) {
        int rc = packets_feed(ctx, p, n);
        /* the handshake may have queued its next flight while reading the whole chunk */
        return rc == PROBE_MORE && st->queued ? PROBE_SEND : rc;
    }
    if (BIO_write(SSL_get_rbio(st->ssl), p, (int)n) != (int)n) return PROBE_DONE;
    for (;;) {
        uint8_t buf[4096];
        ERR_clear_error();
        int r = SSL_read(st->ssl, buf, sizeof buf);
        if (r <= 0) {
            int e = SSL_get_error(st->ssl, r);
            if (e == SSL_ERROR_WANT_READ) break;
            FINDING_SET(ctx->f, error, "TLS failure inside TDS");
            finish(ctx);
            return PROBE_DONE;
        }
        int rc = packets_feed(ctx, buf, (size_t)r);
        if (rc != PROBE_MORE) return rc;
    }
    return PROBE_MORE;
}

static int ms_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct ms_state *st = ctx->state;
    if (!st->identified) return PROBE_NOMATCH;
    if (st->phase == MS_HANDSHAKE && !ctx->f->error[0])
        FINDING_SET(ctx->f, error, "connection ended during the TLS handshake inside TDS");
    else if (st->phase == MS_LOGIN && ctx->f->auth == AUTH_UNKNOWN && !ctx->f->error[0])
        FINDING_SET(ctx->f, error, "connection ended during login");
    return PROBE_DONE;
}

static void ms_free(void *state)
{
    struct ms_state *st = state;
    if (st->ssl) SSL_free(st->ssl);
    st->ssl = NULL;
}

/*
 * Foreign bytes: SQL Server never speaks first, and it hangs up on a packet it cannot
 * read, so only a PRELOGIN answer (a reply packet whose option table starts with a 6-byte
 * VERSION) is its voice -- what a honeypot that greets unasked sends.
 */
static int ms_sniff(const uint8_t *p, size_t n)
{
    if (n < 14 || p[0] != TDS_REPLY || !(p[1] & TDS_EOM)) return 0;
    uint32_t len = (uint32_t)p[2] << 8 | p[3];
    if (len < 8 + 12 || len > 8 + MS_PRE_CAP) return 0;
    if (p[8] != PL_VERSION || p[11] != 0 || p[12] != 6) return 0;
    return 90;
}

const struct probe probe_mssql = {
    .name = "mssql",
    .flags = PROBE_DEFAULT_ACCT,
    .state_size = sizeof(struct ms_state),
    .start = ms_start,
    .on_data = ms_on_data,
    .on_end = ms_on_end,
    .free_state = ms_free,
    .sniff = ms_sniff,
    .silent = 45,
};
