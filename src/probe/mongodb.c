/*
 * probe/mongodb.c -- MongoDB (and the look-alikes that say who they are:
 * FerretDB, Percona Server for MongoDB, Azure Cosmos DB) over the native
 * wire protocol, with the BSON of probe/bson.c.
 *
 * Requests this probe can send, in this order, all commands that return
 * metadata only (none reads a document):
 *   1. OP_MSG (2013)  {hello: 1, helloOk: true, $db: "admin"}
 *   2. OP_MSG         {isMaster: 1, $db: "admin"}       only if hello was refused
 *                                                       (servers 3.6 to 4.4.1)
 *   1'. on a second connection, only if the first got no answer at all
 *      (servers before 3.6 drop OP_MSG): OP_QUERY (2004) on "admin.$cmd",
 *      numberToReturn -1, {isMaster: 1}; when maxWireVersion < 6 every
 *      later command also goes as OP_QUERY on "<db>.$cmd".
 *   3. {buildInfo: 1, $db: "admin"}
 *   4. {listDatabases: 1, nameOnly: false, $db: "admin"}
 *   5. per database (at most MONGO_MAX_DBS = 20, skipping admin, local and
 *      config), servers 3.0+: {listCollections: 1, cursor: {batchSize: 100},
 *      $db: DB} plus nameOnly: true and authorizedCollections: true on 4.0+.
 *      The first batch only (at most 100 collections a database); views are
 *      listed but not measured; system.* collections are left out.
 *   6. per collection (at most MONGO_MAX_STATS = 50 a server): {collStats:
 *      COLL, $db: DB}; once a server says collStats does not exist (code 59
 *      or "no such command"), {aggregate: COLL, pipeline: [{$collStats:
 *      {storageStats: {}}}], cursor: {}, $db: DB} instead.
 * The engine's per-port request cap (probe_options.max_requests, default 32)
 * may end the run earlier; what was learnt by then is kept.
 *
 * How it decides:
 *   - a well-formed reply (OP_MSG or OP_REPLY, responseTo = our request id,
 *     a valid BSON body) is MongoDB; anything else before that is NOMATCH,
 *     except an HTTP answer that says "It looks like you are trying to access
 *     MongoDB over HTTP on the native driver port" (MongoDB, auth unknown).
 *   - hello/isMaster always answer (drivers need them before login): role
 *     (standalone, primary, secondary, mongos via msg "isdbgrid"), setName,
 *     maxWireVersion go to details. They say nothing about auth.
 *   - buildInfo: version, gitVersion, modules ("enterprise" -> details
 *     enterprise), storageEngines. Look-alikes: a "ferretdbVersion" key ->
 *     FerretDB (version = FerretDB's own); "psmdbVersion" -> Percona Server
 *     for MongoDB; javascriptEngine "Chakra" or _t "BuildInfoResponse" (or a
 *     hello setName "globaldb") -> Azure Cosmos DB. Amazon DocumentDB names
 *     itself nowhere in these replies, so it is reported as MongoDB.
 *   - listDatabases is the deciding command: answered -> auth none; code 13,
 *     codeName "Unauthorized", "requires authentication" or "not authorized"
 *     -> auth required (and the run ends: nothing else would answer).
 *   - data: databases = listDatabases entries, bytes = totalSize (on disk),
 *     names = each database (bytes = sizeOnDisk, records = the sum of its
 *     measured collections) then each listed collection as "db.coll"
 *     (records = count, bytes = size), collections = collections listed,
 *     records = the sum of counts measured.
 *
 * Limits: a reply is buffered whole up to MONGO_RX_CAP (4 MiB; BSON's own
 * limit is 16 MiB); a larger one ends the run with what is known. Declared
 * lengths are checked against the bytes present before use (bson.c).
 */
#include "probe/bson.h"
#include "probe/probe.h"

#include <string.h>

#define MONGO_RX_CAP     (4u << 20)
#define MONGO_MAX_DBS    20
#define MONGO_MAX_STATS  50
#define MONGO_BATCH      100
#define MONGO_NAME_MAX   128
#define OP_REPLY         1
#define OP_QUERY         2004
#define OP_MSG           2013
#define MONGO_HTTP_PROBE 1024

enum mongo_phase {
    PH_HELLO = 0,
    PH_ISMASTER,
    PH_BUILDINFO,
    PH_LISTDB,
    PH_LISTCOLL,
    PH_STATS,
    PH_END,
};

struct mongo_db {
    char name[MONGO_NAME_MAX];
    int name_idx; /* index in f->names, -1 if not stored */
    int64_t records;
};

struct mongo_coll {
    int db; /* index in dbs[] */
    char name[MONGO_NAME_MAX];
    int name_idx; /* index in f->names, -1 if not stored */
};

struct mongo_state {
    int phase;
    bool legacy;  /* OP_QUERY/OP_REPLY (servers before 3.6) */
    bool use_agg; /* collStats gone: $collStats aggregation */
    bool identified;
    bool http;     /* the peer answered in HTTP */
    int32_t reqid; /* id of the request in flight */
    int64_t max_wire;
    struct buf rx;
    struct mongo_db dbs[MONGO_MAX_DBS];
    int ndbs, cur_db;
    struct mongo_coll colls[MONGO_MAX_STATS];
    int ncolls, cur_coll;
    int64_t records;
    bool any_records;
};

/* ---- requests ---- */

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Wrap the command document in OP_MSG, or in OP_QUERY on "<db>.$cmd" when
 * legacy, and queue it. The command is built by fill(), which must not put
 * $db (added here for OP_MSG). Returns PROBE_SEND or PROBE_DONE.
 */
static int send_cmd(struct probe_ctx *ctx, const char *db,
                    void (*fill)(struct bson_enc *e, const void *arg), const void *arg)
{
    struct mongo_state *s = ctx->state;
    struct buf m;
    buf_init(&m, 64u << 10);
    uint8_t hdr[16] = {0};
    buf_append(&m, hdr, sizeof hdr);
    if (s->legacy) {
        uint8_t z[4] = {0};
        buf_append(&m, z, 4); /* flags */
        char ns[MONGO_NAME_MAX + 8];
        str_fmt(ns, sizeof ns, "%s.$cmd", db);
        buf_append(&m, ns, strlen(ns) + 1);
        buf_append(&m, z, 4); /* numberToSkip */
        uint8_t minus1[4] = {0xff, 0xff, 0xff, 0xff};
        buf_append(&m, minus1, 4); /* numberToReturn -1: one reply, no cursor */
    } else {
        uint8_t flags_kind[5] = {0, 0, 0, 0, 0}; /* flagBits 0, section kind 0 */
        buf_append(&m, flags_kind, sizeof flags_kind);
    }
    struct bson_enc e;
    bson_enc_init(&e, &m);
    fill(&e, arg);
    if (!s->legacy) bson_put_str(&e, "$db", db);
    bson_end(&e);
    int rc = PROBE_DONE;
    if (bson_enc_finish(&e) == 0 && m.len <= INT32_MAX) {
        s->reqid++;
        wr32(m.data, (uint32_t)m.len);
        wr32(m.data + 4, (uint32_t)s->reqid);
        wr32(m.data + 8, 0);
        wr32(m.data + 12, s->legacy ? OP_QUERY : OP_MSG);
        if (probe_send(ctx, m.data, m.len) == 0) rc = PROBE_SEND;
    }
    buf_free(&m);
    buf_reset(&s->rx);
    return rc;
}

static void fill_hello(struct bson_enc *e, const void *arg)
{
    bson_put_int32(e, "hello", 1);
    bson_put_bool(e, "helloOk", true);
}

static void fill_ismaster(struct bson_enc *e, const void *arg)
{
    bson_put_int32(e, "isMaster", 1);
}

static void fill_buildinfo(struct bson_enc *e, const void *arg)
{
    bson_put_int32(e, "buildInfo", 1);
}

static void fill_listdb(struct bson_enc *e, const void *arg)
{
    bson_put_int32(e, "listDatabases", 1);
    bson_put_bool(e, "nameOnly", false);
}

static void fill_listcoll(struct bson_enc *e, const void *arg)
{
    const struct mongo_state *s = arg;
    bson_put_int32(e, "listCollections", 1);
    bson_begin_doc(e, "cursor");
    bson_put_int32(e, "batchSize", MONGO_BATCH);
    bson_end(e);
    if (s->max_wire >= 7) { /* 4.0+: earlier servers may reject unknown fields */
        bson_put_bool(e, "nameOnly", true);
        bson_put_bool(e, "authorizedCollections", true);
    }
}

static void fill_collstats(struct bson_enc *e, const void *arg)
{
    const struct mongo_coll *c = arg;
    bson_put_str(e, "collStats", c->name);
}

static void fill_aggstats(struct bson_enc *e, const void *arg)
{
    const struct mongo_coll *c = arg;
    bson_put_str(e, "aggregate", c->name);
    bson_begin_array(e, "pipeline");
    bson_begin_doc(e, "0");
    bson_begin_doc(e, "$collStats");
    bson_begin_doc(e, "storageStats");
    bson_end(e);
    bson_end(e);
    bson_end(e);
    bson_end(e);
    bson_begin_doc(e, "cursor");
    bson_end(e);
}

/* ---- the sequence ---- */

static int next_listcoll(struct probe_ctx *ctx);

static int send_stats(struct probe_ctx *ctx)
{
    struct mongo_state *s = ctx->state;
    s->phase = PH_STATS;
    if (s->cur_coll >= s->ncolls) return PROBE_DONE;
    const struct mongo_coll *c = &s->colls[s->cur_coll];
    return send_cmd(ctx, s->dbs[c->db].name, s->use_agg ? fill_aggstats : fill_collstats, c);
}

static bool system_db(const char *n)
{
    return !strcmp(n, "admin") || !strcmp(n, "local") || !strcmp(n, "config");
}

/* Ask listCollections of the next user database at or after cur_db, else go on to stats. */
static int next_listcoll(struct probe_ctx *ctx)
{
    struct mongo_state *s = ctx->state;
    s->phase = PH_LISTCOLL;
    if (s->max_wire >= 3) { /* listCollections exists from 3.0 */
        while (s->cur_db < s->ndbs && system_db(s->dbs[s->cur_db].name))
            s->cur_db++;
        if (s->cur_db < s->ndbs) return send_cmd(ctx, s->dbs[s->cur_db].name, fill_listcoll, s);
    }
    return send_stats(ctx);
}

static int mongo_start(struct probe_ctx *ctx)
{
    struct mongo_state *s = ctx->state;
    if (!s->rx.cap) buf_init(&s->rx, MONGO_RX_CAP);
    buf_reset(&s->rx);
    if (ctx->connection == 0) {
        s->phase = PH_HELLO;
        return send_cmd(ctx, "admin", fill_hello, NULL);
    }
    /* second connection: the server ignored OP_MSG; speak the legacy protocol */
    s->legacy = true;
    s->phase = PH_ISMASTER;
    return send_cmd(ctx, "admin", fill_ismaster, NULL);
}

static void mongo_free(void *state)
{
    struct mongo_state *s = state;
    buf_free(&s->rx);
}

/* ---- reading replies ---- */

static bool get_str(const uint8_t *d, size_t n, const char *key, char *out, size_t outn)
{
    struct bson_elem el;
    const char *v;
    size_t vn;
    if (bson_find(d, n, key, &el) != 1 || bson_elem_str(&el, &v, &vn) < 0) return false;
    finding_set(out, outn, v, vn);
    return true;
}

static bool get_int(const uint8_t *d, size_t n, const char *key, int64_t *out)
{
    struct bson_elem el;
    return bson_find(d, n, key, &el) == 1 && bson_elem_int(&el, out) == 0;
}

static bool get_true(const uint8_t *d, size_t n, const char *key)
{
    struct bson_elem el;
    return bson_find(d, n, key, &el) == 1 && bson_elem_true(&el);
}

static bool reply_ok(const uint8_t *d, size_t n)
{
    return get_true(d, n, "ok");
}

static bool is_unauthorized(const uint8_t *d, size_t n)
{
    int64_t code = 0;
    char t[256] = "";
    if (get_int(d, n, "code", &code) && (code == 13 || code == 18)) return true;
    if (get_str(d, n, "codeName", t, sizeof t) && !strcmp(t, "Unauthorized")) return true;
    if (!get_str(d, n, "errmsg", t, sizeof t)) get_str(d, n, "$err", t, sizeof t);
    return mem_find(t, strlen(t), "requires authentication", true) ||
           mem_find(t, strlen(t), "not authorized", true) ||
           mem_find(t, strlen(t), "unauthorized", true);
}

static bool is_no_such_command(const uint8_t *d, size_t n)
{
    int64_t code = 0;
    char t[256] = "";
    if (get_int(d, n, "code", &code) && code == 59) return true;
    if (!get_str(d, n, "errmsg", t, sizeof t)) get_str(d, n, "$err", t, sizeof t);
    return mem_find(t, strlen(t), "no such cmd", true) ||
           mem_find(t, strlen(t), "no such command", true);
}

static void set_error_from(struct finding *f, const char *what, const uint8_t *d, size_t n)
{
    char t[128] = "";
    if (!get_str(d, n, "errmsg", t, sizeof t)) get_str(d, n, "$err", t, sizeof t);
    str_fmt(f->error, sizeof f->error, "%s: %s", what, t[0] ? t : "refused");
}

static void on_hello(struct probe_ctx *ctx, const uint8_t *d, size_t n)
{
    struct mongo_state *s = ctx->state;
    struct finding *f = ctx->f;
    char t[128];
    int64_t v;
    if (get_int(d, n, "maxWireVersion", &v)) {
        s->max_wire = v;
        finding_detail_int(f, "max_wire_version", v);
    }
    bool rs = get_str(d, n, "setName", t, sizeof t);
    if (rs) {
        finding_detail_str(f, "replica_set", t);
        if (!strcmp(t, "globaldb")) FINDING_SET(f, product, "Azure Cosmos DB");
    }
    const char *role = "standalone";
    char msg[32] = "";
    if (get_str(d, n, "msg", msg, sizeof msg) && !strcmp(msg, "isdbgrid"))
        role = "mongos";
    else if (get_true(d, n, "arbiterOnly"))
        role = "arbiter";
    else if (get_true(d, n, "secondary"))
        role = "secondary";
    else if (rs)
        role = "primary";
    finding_detail_str(f, "role", role);
}

static void on_buildinfo(struct probe_ctx *ctx, const uint8_t *d, size_t n)
{
    struct finding *f = ctx->f;
    char t[128];
    struct bson_elem el;
    struct bson_iter it;
    if (get_str(d, n, "version", t, sizeof t)) FINDING_SET(f, version, t);
    bool enterprise = false;
    if (get_str(d, n, "gitVersion", t, sizeof t)) {
        finding_detail_str(f, "git_version", t);
        if (strstr(t, "modules: enterprise")) enterprise = true; /* 2.6 style */
    }
    if (bson_find(d, n, "modules", &el) == 1 && bson_elem_iter(&el, &it) == 0) {
        struct bson_elem m;
        const char *v;
        size_t vn;
        while (bson_iter_next(&it, &m) == 1)
            if (bson_elem_str(&m, &v, &vn) == 0 && vn == 10 && !memcmp(v, "enterprise", 10))
                enterprise = true;
    }
    if (enterprise) finding_detail(f, "enterprise", json_true());
    if (bson_find(d, n, "storageEngines", &el) == 1 && bson_elem_iter(&el, &it) == 0) {
        json_t *a = json_array();
        struct bson_elem m;
        const char *v;
        size_t vn;
        int k = 0;
        while (a && bson_iter_next(&it, &m) == 1 && k++ < 16) {
            if (bson_elem_str(&m, &v, &vn) < 0) continue;
            char tmp[64];
            finding_set(tmp, sizeof tmp, v, vn);
            json_array_append_new(a, json_string(tmp));
        }
        finding_detail(f, "storage_engines", a);
    }
    if (get_str(d, n, "ferretdbVersion", t, sizeof t)) {
        FINDING_SET(f, product, "FerretDB");
        if (f->version[0]) finding_detail_str(f, "compat_version", f->version);
        FINDING_SET(f, version, t);
    } else if (get_str(d, n, "psmdbVersion", t, sizeof t)) {
        FINDING_SET(f, product, "Percona Server for MongoDB");
        finding_detail_str(f, "psmdb_version", t);
    } else {
        char js[32] = "", ty[64] = "";
        get_str(d, n, "javascriptEngine", js, sizeof js);
        get_str(d, n, "_t", ty, sizeof ty);
        if (!strcmp(js, "Chakra") || !strcmp(ty, "BuildInfoResponse"))
            FINDING_SET(f, product, "Azure Cosmos DB");
    }
}

static void on_listdb(struct probe_ctx *ctx, const uint8_t *d, size_t n)
{
    struct mongo_state *s = ctx->state;
    struct finding *f = ctx->f;
    struct bson_elem el, e2;
    struct bson_iter it;
    int64_t v;
    f->auth = AUTH_NONE;
    f->databases = 0;
    if (get_int(d, n, "totalSize", &v) && v >= 0) f->bytes = v;
    if (bson_find(d, n, "databases", &el) != 1 || bson_elem_iter(&el, &it) < 0) return;
    while (bson_iter_next(&it, &e2) == 1) {
        const uint8_t *dd = e2.val;
        size_t dn = e2.vlen;
        char name[MONGO_NAME_MAX];
        if (e2.type != BSON_DOC || !get_str(dd, dn, "name", name, sizeof name)) continue;
        int64_t size = -1;
        if (!get_int(dd, dn, "sizeOnDisk", &size) || size < 0) size = -1;
        f->databases++;
        uint32_t before = f->names.n;
        finding_add_name(f, name, strlen(name), -1, size);
        if (s->ndbs < MONGO_MAX_DBS) {
            struct mongo_db *db = &s->dbs[s->ndbs++];
            str_copy(db->name, name, sizeof db->name);
            db->name_idx = f->names.n > before ? (int)before : -1;
            db->records = -1;
        }
    }
}

static void on_listcoll(struct probe_ctx *ctx, const uint8_t *d, size_t n)
{
    struct mongo_state *s = ctx->state;
    struct finding *f = ctx->f;
    struct bson_elem el, e2;
    struct bson_iter it;
    int db = s->cur_db;
    if (bson_find(d, n, "cursor", &el) != 1 || el.type != BSON_DOC) return;
    int64_t id = 0;
    if (get_int(el.val, el.vlen, "id", &id) && id != 0)
        finding_detail(f, "collections_truncated", json_true());
    if (bson_find(el.val, el.vlen, "firstBatch", &e2) != 1 || bson_elem_iter(&e2, &it) < 0) return;
    struct bson_elem c;
    int k = 0;
    while (bson_iter_next(&it, &c) == 1 && k < MONGO_BATCH) {
        char name[MONGO_NAME_MAX], type[32] = "collection";
        if (c.type != BSON_DOC || !get_str(c.val, c.vlen, "name", name, sizeof name)) continue;
        get_str(c.val, c.vlen, "type", type, sizeof type);
        k++;
        if (!strncmp(name, "system.", 7)) continue; /* the server's own bookkeeping */
        if (f->collections < 0) f->collections = 0;
        f->collections++;
        char full[2 * MONGO_NAME_MAX + 2];
        str_fmt(full, sizeof full, "%s.%s", s->dbs[db].name, name);
        uint32_t before = f->names.n;
        finding_add_name(f, full, strlen(full), -1, -1);
        bool is_coll = !strcmp(type, "collection");
        if (is_coll && s->ncolls < MONGO_MAX_STATS) {
            struct mongo_coll *mc = &s->colls[s->ncolls++];
            mc->db = db;
            str_copy(mc->name, name, sizeof mc->name);
            mc->name_idx = f->names.n > before ? (int)before : -1;
        }
    }
}

/* count/size/storageSize from a collStats reply or a $collStats storageStats. */
static void on_stats_doc(struct probe_ctx *ctx, const uint8_t *d, size_t n)
{
    struct mongo_state *s = ctx->state;
    struct finding *f = ctx->f;
    const struct mongo_coll *c = &s->colls[s->cur_coll];
    int64_t count = -1, size = -1;
    if (!get_int(d, n, "count", &count) || count < 0) count = -1;
    if (!get_int(d, n, "size", &size) || size < 0) size = -1;
    if (c->name_idx >= 0) {
        f->name_records[c->name_idx] = count;
        f->name_bytes[c->name_idx] = size;
    }
    if (count >= 0) {
        finding_count_add(&s->records, count);
        s->any_records = true;
        f->records = s->records;
        struct mongo_db *db = &s->dbs[c->db];
        db->records = (db->records < 0 ? 0 : db->records) + count;
        if (db->name_idx >= 0) f->name_records[db->name_idx] = db->records;
    }
}

static void on_aggstats(struct probe_ctx *ctx, const uint8_t *d, size_t n)
{
    struct bson_elem el, b, first, st;
    struct bson_iter it;
    if (bson_find(d, n, "cursor", &el) != 1 || el.type != BSON_DOC) return;
    if (bson_find(el.val, el.vlen, "firstBatch", &b) != 1 || bson_elem_iter(&b, &it) < 0) return;
    if (bson_iter_next(&it, &first) != 1 || first.type != BSON_DOC) return;
    if (bson_find(first.val, first.vlen, "storageStats", &st) != 1 || st.type != BSON_DOC) return;
    on_stats_doc(ctx, st.val, st.vlen);
}

static void identify(struct probe_ctx *ctx)
{
    struct mongo_state *s = ctx->state;
    if (s->identified) return;
    s->identified = true;
    FINDING_SET(ctx->f, service, "mongodb");
    if (!ctx->f->product[0]) FINDING_SET(ctx->f, product, "MongoDB");
    if (s->legacy) finding_detail(ctx->f, "legacy_protocol", json_true());
}

/* One command reply body (d, n) for the phase in flight. */
static int on_reply(struct probe_ctx *ctx, const uint8_t *d, size_t n)
{
    struct mongo_state *s = ctx->state;
    struct finding *f = ctx->f;
    identify(ctx);
    bool ok = reply_ok(d, n);
    switch (s->phase) {
    case PH_HELLO:
        if (!ok) { /* before 4.4.2 there is no hello: ask isMaster */
            s->phase = PH_ISMASTER;
            return send_cmd(ctx, "admin", fill_ismaster, NULL);
        }
        /* fall through */
    case PH_ISMASTER:
        if (ok) on_hello(ctx, d, n);
        if (s->legacy && s->max_wire >= 6) s->legacy = false; /* 3.6+: OP_MSG from now on */
        s->phase = PH_BUILDINFO;
        return send_cmd(ctx, "admin", fill_buildinfo, NULL);
    case PH_BUILDINFO:
        if (ok) on_buildinfo(ctx, d, n);
        s->phase = PH_LISTDB;
        return send_cmd(ctx, "admin", fill_listdb, NULL);
    case PH_LISTDB:
        if (ok) {
            on_listdb(ctx, d, n);
            s->cur_db = 0;
            return next_listcoll(ctx);
        }
        if (is_unauthorized(d, n)) f->auth = AUTH_REQUIRED;
        set_error_from(f, "listDatabases", d, n);
        s->phase = PH_END;
        return PROBE_DONE;
    case PH_LISTCOLL:
        if (ok)
            on_listcoll(ctx, d, n);
        else if (is_unauthorized(d, n))
            f->auth = AUTH_PARTIAL; /* databases listed, not collections */
        s->cur_db++;
        return next_listcoll(ctx);
    case PH_STATS:
        if (ok) {
            if (s->use_agg)
                on_aggstats(ctx, d, n);
            else
                on_stats_doc(ctx, d, n);
        } else if (!s->use_agg && is_no_such_command(d, n) && s->max_wire >= 5) {
            s->use_agg = true; /* collStats removed: retry this one through $collStats */
            return send_stats(ctx);
        }
        s->cur_coll++;
        return send_stats(ctx);
    default:
        return PROBE_DONE;
    }
}

/* A whole message in s->rx. */
static int on_message(struct probe_ctx *ctx, struct mongo_state *s)
{
    const uint8_t *m = s->rx.data;
    size_t n = s->rx.len;
    uint32_t resp_to = rd32(m + 8);
    uint32_t op = rd32(m + 12);
    if (resp_to != (uint32_t)s->reqid) return s->identified ? PROBE_DONE : PROBE_NOMATCH;
    const uint8_t *doc = NULL;
    size_t dn = 0;
    if (op == OP_MSG && n >= 21) {
        uint32_t flags = rd32(m + 16);
        size_t end = n - ((flags & 1u) ? 4 : 0); /* checksumPresent */
        size_t pos = 20;
        while (pos < end && !doc) {
            uint8_t kind = m[pos++];
            if (pos + 4 > end) break;
            uint32_t len = rd32(m + pos);
            if (len < 5 || len > end - pos) break;
            if (kind == 0) {
                doc = m + pos;
                dn = len;
            }
            pos += len; /* kind 1: size covers identifier and documents */
        }
    } else if (op == OP_REPLY && n >= 36 + 5) {
        doc = m + 36;
        dn = n - 36;
    }
    if (!doc || bson_validate(doc, dn, BSON_MAX_DEPTH) < 0) {
        if (!s->identified) return PROBE_NOMATCH;
        FINDING_SET(ctx->f, error, "malformed reply");
        return PROBE_DONE;
    }
    return on_reply(ctx, doc, rd32(doc));
}

static const char mongo_http_text[] = "It looks like you are trying to access MongoDB over HTTP";

static int http_answer(struct probe_ctx *ctx, struct mongo_state *s, bool at_end)
{
    if (mem_find(s->rx.data, s->rx.len, mongo_http_text, false)) {
        identify(ctx);
        FINDING_SET(ctx->f, error, "answered in HTTP on the native driver port");
        return PROBE_DONE;
    }
    if (at_end || s->rx.len >= MONGO_HTTP_PROBE) return PROBE_NOMATCH;
    return PROBE_MORE;
}

static int mongo_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct mongo_state *s = ctx->state;
    size_t i = 0;
    while (i < n) {
        if (s->http) {
            size_t take = n - i;
            size_t room = s->rx.len < MONGO_HTTP_PROBE ? MONGO_HTTP_PROBE - s->rx.len : 0;
            if (take > room) take = room;
            buf_append(&s->rx, p + i, take);
            return http_answer(ctx, s, false);
        }
        /* the 16-byte header first, then exactly the declared length */
        size_t target = 16;
        if (s->rx.len >= 16) target = rd32(s->rx.data); /* checked below before it grew */
        size_t take = target - s->rx.len;
        if (take > n - i) take = n - i;
        bool had4 = s->rx.len >= 4;
        buf_append(&s->rx, p + i, take);
        i += take;
        if (!had4 && s->rx.len >= 4 && !s->identified && memcmp(s->rx.data, "HTTP", 4) == 0) {
            s->http = true; /* keep what is here, read the rest as text */
            continue;
        }
        if (s->rx.len < 16) continue;
        if (s->rx.len == 16) {
            uint32_t len = rd32(s->rx.data);
            uint32_t op = rd32(s->rx.data + 12);
            if (len < 16 + 5 || (op != OP_MSG && op != OP_REPLY)) {
                if (!s->identified) return PROBE_NOMATCH;
                FINDING_SET(ctx->f, error, "unexpected message");
                return PROBE_DONE;
            }
            if (len > MONGO_RX_CAP) {
                if (!s->identified) return PROBE_NOMATCH;
                FINDING_SET(ctx->f, error, "reply larger than the 4 MiB kept");
                return PROBE_DONE;
            }
        }
        if (s->rx.len < rd32(s->rx.data)) continue;
        int rc = on_message(ctx, s);
        if (rc != PROBE_MORE) return rc; /* bytes after a reply we did not ask for are dropped */
    }
    return PROBE_MORE;
}

static int mongo_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct mongo_state *s = ctx->state;
    if (s->http) return http_answer(ctx, s, true);
    /* no answer at all to OP_MSG on the first connection: maybe a server before 3.6 */
    if (ctx->connection == 0 && !s->identified && s->rx.len == 0 &&
        (why == PROBE_END_EOF || why == PROBE_END_TIMEOUT || why == PROBE_END_RESET))
        return PROBE_RECONNECT;
    if (s->identified) {
        if (s->phase != PH_END && !ctx->f->error[0] && why != PROBE_END_CANCEL)
            FINDING_SET(ctx->f, error, "connection ended before the last reply");
        return PROBE_DONE;
    }
    return PROBE_NOMATCH;
}

/* Foreign bytes: MongoDB's answer to an HTTP request on its driver port. */
static int mongo_sniff(const uint8_t *p, size_t n)
{
    return mem_find(p, n, mongo_http_text, false) ? 100 : 0;
}

const struct probe probe_mongodb = {
    .name = "mongodb",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct mongo_state),
    .start = mongo_start,
    .on_data = mongo_on_data,
    .on_end = mongo_on_end,
    .free_state = mongo_free,
    .sniff = mongo_sniff,
};
