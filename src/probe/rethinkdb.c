/*
 * probe/rethinkdb.c -- RethinkDB's client driver port (28015).
 *
 * Requests this probe can send, in order, and only these:
 *   1. The V1_0 magic number 0x34c2bdc3, little-endian (c3 bd c2 34).
 *   Only without --no-default-accounts, the empty default-account check:
 *   2. (2.3 and later, after the server's version message) the SCRAM-SHA-256
 *      client-first message for user `admin`: {"protocol_version":0,
 *      "authentication_method":"SCRAM-SHA-256","authentication":
 *      "n,,n=admin,r=NONCE"}, NUL-terminated;
 *   3. its client-final message {"authentication":"c=biws,r=...,p=PROOF"},
 *      the proof computed for the EMPTY password (probe/scram.c).
 *   2'. (servers older than 2.3, which reject the V1_0 magic with an
 *      "ERROR: ..." line and close) on a second connection, the V0_4
 *      handshake with an EMPTY auth key: 20 2d 0c 40, 00 00 00 00 (key
 *      length 0), c7 70 69 7e (JSON protocol). A server without an auth
 *      key -- the default -- answers SUCCESS.
 * Nothing else: no query (not even r.db_list()), the connection is closed
 * after the answer.
 *
 * How it decides: the V1_0 magic makes a 2.3+ server answer
 * {"max_protocol_version":0,"min_protocol_version":0,"server_version":
 * "2.3.0","success":true} (product RethinkDB and its version); an older one
 * answers "ERROR: Received an unsupported protocol version. This port is for
 * RethinkDB queries. ..." (RethinkDB, version unknown, details
 * protocol "V0_4"). Auth: the SCRAM exchange ending in {"authentication":
 * "v=SIG","success":true} whose signature we verify (the server knows the
 * empty password): auth none, signal default-account-empty-password;
 * {"success":false,"error":"Wrong password","error_code":12} (codes 10 to
 * 20 are authentication errors): auth required; a success whose
 * signature does not verify: auth unknown. V0_4: "SUCCESS" is auth none,
 * "ERROR: Incorrect authorization key." auth required. With
 * --no-default-accounts: the version only, auth unknown.
 *
 * Parsing: every server message is a NUL-terminated string (JSON from 2.3
 * on); at most RDB_MSG_CAP bytes of one are kept, an EOF also ends one.
 */
#include "probe/probe.h"
#include "probe/scram.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define RDB_MSG_CAP 4096

enum rdb_step { ST_MAGIC = 0, ST_FIRST, ST_FINAL, ST_V04, ST_END };

struct rdb_state {
    enum rdb_step step;
    bool identified;
    bool old; /* rejected V1_0: older than 2.3, the V0_4 try comes on a new connection */
    size_t len;
    bool over;
    struct scram scram;
    char msg[RDB_MSG_CAP + 1];
};

static const char ERR_OLD[] = "This port is for RethinkDB queries";

static int rdb_start(struct probe_ctx *ctx)
{
    static const uint8_t v1_0[4] = {0xc3, 0xbd, 0xc2, 0x34};
    static const uint8_t v0_4[12] = {0x20, 0x2d, 0x0c, 0x40, 0x00, 0x00,
                                     0x00, 0x00, 0xc7, 0x70, 0x69, 0x7e};
    struct rdb_state *st = ctx->state;
    st->len = 0;
    st->over = false;
    if (st->old) {
        st->step = ST_V04;
        if (probe_send(ctx, v0_4, sizeof v0_4) < 0) return PROBE_DONE;
        return PROBE_SEND;
    }
    st->step = ST_MAGIC;
    if (probe_send(ctx, v1_0, sizeof v1_0) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static bool want_login(const struct probe_ctx *ctx)
{
    return !(ctx->opts && ctx->opts->no_default_accounts);
}

/* Queue obj as a NUL-terminated compact JSON message (obj is released). */
static int send_json(struct probe_ctx *ctx, json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!s) return -1;
    int rc = probe_send(ctx, s, strlen(s) + 1);
    free(s);
    return rc;
}

static void identify(struct probe_ctx *ctx)
{
    struct rdb_state *st = ctx->state;
    st->identified = true;
    FINDING_SET(ctx->f, service, "rethinkdb");
    FINDING_SET(ctx->f, product, "RethinkDB");
}

static int done(struct probe_ctx *ctx)
{
    struct rdb_state *st = ctx->state;
    st->step = ST_END;
    return PROBE_DONE;
}

/* {"success":false,"error":...,"error_code":N}: codes 10..20 are authentication errors. */
static int on_failure(struct probe_ctx *ctx, json_t *m)
{
    const char *err = json_string_value(json_object_get(m, "error"));
    json_t *code = json_object_get(m, "error_code");
    if (err) finding_detail_strn(ctx->f, "error", err, strlen(err));
    if (json_is_number(code)) {
        double c = json_number_value(code);
        if (c >= -1 && c <= 1000) finding_detail_int(ctx->f, "error_code", (int64_t)c);
        if (c >= 10 && c <= 20) ctx->f->auth = AUTH_REQUIRED;
    }
    return done(ctx);
}

static int send_client_first(struct probe_ctx *ctx)
{
    struct rdb_state *st = ctx->state;
    char first[SCRAM_MSG_MAX];
    const char *nonce = ctx->opts ? ctx->opts->scram_nonce : NULL;
    if (scram_client_first(&st->scram, "admin", nonce, first, sizeof first) < 0) {
        FINDING_SET(ctx->f, error, "no SCRAM nonce");
        return done(ctx);
    }
    json_t *o = json_pack("{s:i, s:s, s:s}", "protocol_version", 0, "authentication_method",
                          "SCRAM-SHA-256", "authentication", first);
    st->step = ST_FIRST;
    if (send_json(ctx, o) < 0) return done(ctx);
    return PROBE_SEND;
}

static int on_version(struct probe_ctx *ctx, json_t *m)
{
    json_t *ok = json_object_get(m, "success");
    const char *ver = json_string_value(json_object_get(m, "server_version"));
    json_t *maxp = json_object_get(m, "max_protocol_version");
    if (json_is_false(ok) && json_is_number(json_object_get(m, "error_code"))) {
        identify(ctx);
        return on_failure(ctx, m);
    }
    if (!json_is_true(ok) || (!ver && !json_is_number(maxp))) return PROBE_NOMATCH;
    identify(ctx);
    if (ver) finding_set(ctx->f->version, sizeof ctx->f->version, ver, strlen(ver));
    finding_detail_str(ctx->f, "protocol", "V1_0");
    if (json_is_number(maxp))
        finding_detail_int(ctx->f, "max_protocol_version", (int64_t)json_number_value(maxp));
    if (!want_login(ctx)) return done(ctx);
    return send_client_first(ctx);
}

static int on_server_first(struct probe_ctx *ctx, json_t *m)
{
    struct rdb_state *st = ctx->state;
    if (!json_is_true(json_object_get(m, "success"))) return on_failure(ctx, m);
    const char *a = json_string_value(json_object_get(m, "authentication"));
    char final[SCRAM_MSG_MAX + 128];
    const char *why = "no server-first message";
    if (!a || scram_client_final(&st->scram, "", a, strlen(a), final, sizeof final, &why) < 0) {
        finding_set(ctx->f->error, sizeof ctx->f->error, why, strlen(why));
        return done(ctx);
    }
    st->step = ST_FINAL;
    if (send_json(ctx, json_pack("{s:s}", "authentication", final)) < 0) return done(ctx);
    return PROBE_SEND;
}

static int on_server_final(struct probe_ctx *ctx, json_t *m)
{
    struct rdb_state *st = ctx->state;
    if (!json_is_true(json_object_get(m, "success"))) return on_failure(ctx, m);
    const char *a = json_string_value(json_object_get(m, "authentication"));
    if (a && scram_server_ok(&st->scram, a, strlen(a))) {
        ctx->f->auth = AUTH_NONE;
        finding_detail_str(ctx->f, "user", "admin");
        finding_detail_str(ctx->f, "auth_method", "SCRAM-SHA-256, empty password");
    } else {
        FINDING_SET(ctx->f, error,
                    "login accepted but the server's SCRAM signature does not verify");
    }
    return done(ctx);
}

/* V0_4 answer: "SUCCESS" or "ERROR: <why>\n". */
static int on_v04(struct probe_ctx *ctx, const char *s, size_t n)
{
    if (n >= 7 && memcmp(s, "SUCCESS", 7) == 0) {
        ctx->f->auth = AUTH_NONE;
        finding_detail_str(ctx->f, "auth_method", "V0_4 handshake, empty auth key");
        return done(ctx);
    }
    if (n >= 7 && memcmp(s, "ERROR: ", 7) == 0) {
        size_t e = n;
        while (e > 7 && (s[e - 1] == '\n' || s[e - 1] == '\r'))
            e--;
        finding_detail_strn(ctx->f, "error", s + 7, e - 7);
        if (mem_find(s, n, "authorization key", true)) ctx->f->auth = AUTH_REQUIRED;
        return done(ctx);
    }
    FINDING_SET(ctx->f, error, "unexpected answer to the V0_4 handshake");
    return done(ctx);
}

static int on_message(struct probe_ctx *ctx, const char *s, size_t n)
{
    struct rdb_state *st = ctx->state;
    if (st->step == ST_V04) return on_v04(ctx, s, n);
    if (st->step == ST_MAGIC && n >= 7 && memcmp(s, "ERROR: ", 7) == 0) {
        if (!mem_find(s, n, ERR_OLD, false)) return PROBE_NOMATCH;
        /* a server older than 2.3 (or a 2.3+ one that refuses V1_0: none known) */
        identify(ctx);
        st->old = true;
        finding_detail_str(ctx->f, "protocol", "V0_4");
        if (!want_login(ctx)) return done(ctx);
        return PROBE_RECONNECT;
    }
    if (n == 0 || s[0] != '{') return st->identified ? done(ctx) : PROBE_NOMATCH;
    json_error_t je;
    json_t *m = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    int rc;
    if (!json_is_object(m)) {
        if (!st->identified) {
            json_decref(m);
            return PROBE_NOMATCH;
        }
        FINDING_SET(ctx->f, error, "malformed JSON message");
        rc = done(ctx);
    } else if (st->step == ST_MAGIC) {
        rc = on_version(ctx, m);
    } else if (st->step == ST_FIRST) {
        rc = on_server_first(ctx, m);
    } else {
        rc = on_server_final(ctx, m);
    }
    json_decref(m);
    return rc;
}

static int rdb_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct rdb_state *st = ctx->state;
    if (st->step == ST_END) return PROBE_DONE;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) {
            if (st->len < RDB_MSG_CAP)
                st->msg[st->len++] = (char)p[i];
            else
                st->over = true;
            /* before it is known: a RethinkDB message starts with '{', "ERROR: " or "SUCCESS" */
            if (!st->identified && st->len == 1 && p[i] != '{' && p[i] != 'E' && p[i] != 'S')
                return PROBE_NOMATCH;
            continue;
        }
        size_t len = st->len;
        st->len = 0;
        st->msg[len] = 0;
        if (st->over) {
            st->over = false;
            if (!st->identified) return PROBE_NOMATCH;
            FINDING_SET(ctx->f, error, "message over the size cap");
            return done(ctx);
        }
        int rc = on_message(ctx, st->msg, len);
        if (rc != PROBE_MORE) return rc;
    }
    return PROBE_MORE;
}

static int rdb_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct rdb_state *st = ctx->state;
    /* an EOF also ends a message (the error lines come with a NUL, but be lenient) */
    if (why == PROBE_END_EOF && st->len > 0 && !st->over && st->step != ST_END) {
        size_t len = st->len;
        st->len = 0;
        st->msg[len] = 0;
        int rc = on_message(ctx, st->msg, len);
        if (rc == PROBE_RECONNECT || rc == PROBE_DONE || rc == PROBE_NOMATCH) return rc;
    }
    if (!st->identified) return PROBE_NOMATCH;
    if (st->step != ST_END && !ctx->f->error[0])
        FINDING_SET(ctx->f, error, "closed during the handshake");
    return PROBE_DONE;
}

/*
 * Foreign bytes: a RethinkDB server reads any request's first four bytes as a protocol
 * version and answers "ERROR: Received an unsupported protocol version. This port is for
 * RethinkDB queries. ...".
 */
static int rdb_sniff(const uint8_t *p, size_t n)
{
    if (mem_find(p, n, ERR_OLD, false)) return 95;
    if (n > 8 && p[0] == '{' && mem_find(p, n, "\"max_protocol_version\"", false)) return 80;
    return 0;
}

const struct probe probe_rethinkdb = {
    .name = "rethinkdb",
    .flags = PROBE_DEFAULT_ACCT | PROBE_TLS_OK,
    .state_size = sizeof(struct rdb_state),
    .start = rdb_start,
    .on_data = rdb_on_data,
    .on_end = rdb_on_end,
    .sniff = rdb_sniff,
};
