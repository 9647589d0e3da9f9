/*
 * store/dash.c -- the store's reads for the dashboard (see dash.h): the
 * rows of a scan group for its index, one observation, its history and
 * neighbours, certificates and clusters. The only SQL the dashboard runs.
 */
#include "store/dash.h"
#include "store/db.h"
#include "store/store_int.h"

#include <string.h>

static const char *txt(struct db_stmt *st, int i)
{
    const char *s = db_col_text(st, i);
    return s ? s : "";
}

static int64_t num(struct db_stmt *st, int i)
{
    return db_col_null(st, i) ? -1 : db_col_int(st, i);
}

int store_connect(struct db **out, const char *where, bool migrate, struct err *e)
{
    *out = NULL;
    if (db_open(out, where, e) < 0) return -1;
    if (migrate && store_migrate(*out, e) < 0) {
        db_close(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

void store_disconnect(struct db *d)
{
    db_close(d);
}

bool store_is_remote(const char *where)
{
    return db_is_pg_url(where);
}

int store_group_sig(struct db *d, int64_t group, int64_t sig[5], bool *finished, time_t *start,
                    time_t *end, char *scope, struct err *e)
{
    struct db_stmt *st = NULL;
    int rc = -1;
    memset(sig, 0, 5 * sizeof *sig);
    if (db_prepare(d,
                   "SELECT COUNT(*), COALESCE(SUM(findings), 0),"
                   " COALESCE(SUM(CASE WHEN end_time IS NULL THEN 1 ELSE 0 END), 0),"
                   " COALESCE(MAX(nshards), 0), COUNT(DISTINCT shard), MIN(start_time),"
                   " MAX(COALESCE(end_time, 0)), MIN(scope_key) FROM scans WHERE scan_group = $1",
                   &st, e) < 0)
        return -1;
    db_bind_int(st, 1, group);
    if (db_step(st, e) != 1) goto out;
    sig[0] = db_col_int(st, 0);
    sig[1] = db_col_int(st, 1);
    sig[2] = db_col_int(st, 2);
    int64_t nshards = db_col_int(st, 3), shards = db_col_int(st, 4);
    if (start) *start = (time_t)db_col_int(st, 5);
    if (end) *end = (time_t)db_col_int(st, 6);
    if (scope) str_copy(scope, txt(st, 7), 65);
    if (!sig[0]) {
        err_set(e, "no scan group %lld", (long long)group);
        goto out;
    }
    *finished = sig[2] == 0 && shards >= nshards;
    db_finalize(st);
    st = NULL;
    if (sig[2]) {
        if (db_prepare(d,
                       "SELECT COUNT(*) FROM observations o JOIN scans sc ON sc.id = o.scan"
                       " WHERE sc.scan_group = $1 AND sc.end_time IS NULL",
                       &st, e) < 0)
            goto out;
        db_bind_int(st, 1, group);
        if (db_step(st, e) != 1) goto out;
        sig[3] = db_col_int(st, 0);
    }
    sig[4] = shards;
    rc = 0;
out:
    db_finalize(st);
    return rc;
}

/* Run st to its end, handing each row to fn through conv; fn's non-zero stops. */
static int walk(struct db_stmt *st, void (*conv)(struct db_stmt *st, struct store_obs_row *r),
                store_obs_fn fn, void *arg, struct err *e)
{
    int r;
    while ((r = db_step(st, e)) == 1) {
        struct store_obs_row row;
        memset(&row, 0, sizeof row);
        row.address = row.transport = row.service = row.product = row.version = row.auth =
            row.severity = row.cert = row.cluster = row.signals = row.record = "";
        row.records = row.bytes = -1;
        conv(st, &row);
        if (fn(arg, &row)) break;
    }
    db_finalize(st);
    return r < 0 ? -1 : 0;
}

static void conv_group(struct db_stmt *st, struct store_obs_row *r)
{
    r->obs = db_col_int(st, 0);
    r->address = txt(st, 1);
    r->port = (uint16_t)db_col_int(st, 2);
    r->service = db_col_text(st, 3) ? db_col_text(st, 3) : "unknown";
    r->product = txt(st, 4);
    r->version = txt(st, 5);
    r->auth = txt(st, 6);
    r->severity = txt(st, 7);
    r->records = num(st, 8);
    r->bytes = num(st, 9);
    r->cert = txt(st, 10);
    r->cluster = txt(st, 11);
    r->signals = txt(st, 12);
    r->record = txt(st, 13);
    r->service_first_seen = db_col_int(st, 14);
    r->seen_at = db_col_int(st, 15);
    r->first_scan = db_col_int(st, 16);
}

int store_group_rows(struct db *d, int64_t group, store_obs_fn fn, void *arg, struct err *e)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d,
                   "SELECT o.id, v.address, v.port, v.service, o.product, o.version, o.auth,"
                   " o.severity, o.records, o.bytes, o.cert, o.cluster, o.signals, o.record,"
                   " v.first_seen, o.seen_at, o.first_scan FROM observations o"
                   " JOIN scans sc ON sc.id = o.scan JOIN services v ON v.id = o.service"
                   " WHERE sc.scan_group = $1",
                   &st, e) < 0)
        return -1;
    db_stream(st); /* a million rows: not all in libpq's memory at once */
    db_bind_int(st, 1, group);
    return walk(st, conv_group, fn, arg, e);
}

struct sev_ctx {
    int (*fn)(void *arg, const char *severity, int64_t n);
    void *arg;
};

static int row_sev(void *arg, struct db_stmt *st)
{
    struct sev_ctx *c = arg;
    return c->fn(c->arg, txt(st, 0), db_col_int(st, 1)) ? 1 : 0;
}

int store_group_severities(struct db *d, int64_t group,
                           int (*fn)(void *arg, const char *severity, int64_t n), void *arg,
                           struct err *e)
{
    struct sev_ctx c = {fn, arg};
    return db_query(d,
                    "SELECT o.severity, COUNT(*) FROM observations o JOIN scans sc ON sc.id ="
                    " o.scan WHERE sc.scan_group = $1 GROUP BY o.severity",
                    "i", row_sev, &c, e, group);
}

int store_trend_groups(struct db *d, const char *scope_key, int64_t upto, int limit,
                       int (*fn)(void *arg, int64_t group, int64_t max_id, time_t start,
                                 int64_t unfinished),
                       void *arg, struct err *e)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d,
                   "SELECT scan_group, MAX(id), MIN(start_time),"
                   " SUM(CASE WHEN end_time IS NULL THEN 1 ELSE 0 END) FROM scans"
                   " WHERE scope_key = $1 AND scan_group <= $2 GROUP BY scan_group"
                   " ORDER BY scan_group DESC LIMIT $3",
                   &st, e) < 0)
        return -1;
    db_bind_text(st, 1, scope_key);
    db_bind_int(st, 2, upto);
    db_bind_int(st, 3, limit);
    int q;
    while ((q = db_step(st, e)) == 1)
        if (fn(arg, db_col_int(st, 0), db_col_int(st, 1), (time_t)db_col_int(st, 2),
               db_col_int(st, 3)))
            break;
    db_finalize(st);
    return q < 0 ? -1 : 0;
}

int store_scan_exists(struct db *d, int64_t id, struct err *e)
{
    int64_t have = 0;
    if (db_query(d, "SELECT id FROM scans WHERE id = $1", "i", db_row_int, &have, e, id) < 0)
        return -1;
    return have ? 1 : 0;
}

static void conv_detail(struct db_stmt *st, struct store_obs_row *r)
{
    r->obs = db_col_int(st, 0);
    r->scan = db_col_int(st, 1);
    r->record = txt(st, 2);
    r->cert = txt(st, 3);
    r->cluster = txt(st, 4);
    r->service_id = db_col_int(st, 5);
    r->address = txt(st, 6);
    r->port = (uint16_t)db_col_int(st, 7);
    r->transport = txt(st, 8);
    r->service = txt(st, 9);
    r->service_first_seen = db_col_int(st, 10);
    r->service_last_seen = db_col_int(st, 11);
    r->closed_at = db_col_int(st, 12);
    r->group = db_col_int(st, 13);
    r->severity = txt(st, 14);
}

struct once {
    store_obs_fn fn;
    void *arg;
    bool seen;
};

static int once_fn(void *arg, const struct store_obs_row *r)
{
    struct once *o = arg;
    o->seen = true;
    o->fn(o->arg, r);
    return 1;
}

int store_obs_get(struct db *d, int64_t id, store_obs_fn fn, void *arg, struct err *e)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d,
                   "SELECT o.id, o.scan, o.record, o.cert, o.cluster, v.id, v.address, v.port,"
                   " v.transport, v.service, v.first_seen, v.last_seen, COALESCE(v.closed_at, 0),"
                   " sc.scan_group, o.severity FROM observations o"
                   " JOIN services v ON v.id = o.service JOIN scans sc ON sc.id = o.scan"
                   " WHERE o.id = $1",
                   &st, e) < 0)
        return -1;
    db_bind_int(st, 1, id);
    struct once o = {fn, arg, false};
    if (walk(st, conv_detail, once_fn, &o, e) < 0) return -1;
    return o.seen ? 1 : 0;
}

int store_obs_find(struct db *d, int64_t scan, const char *ip, uint16_t port, const char *service,
                   int64_t *id, struct err *e)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d,
                   service ? "SELECT o.id FROM observations o JOIN services v ON v.id = o.service"
                             " WHERE o.scan = $1 AND v.address = $2 AND v.port = $3"
                             " AND v.service = $4 ORDER BY o.id LIMIT 1"
                           : "SELECT o.id FROM observations o JOIN services v ON v.id = o.service"
                             " WHERE o.scan = $1 AND v.address = $2 AND v.port = $3"
                             " ORDER BY o.id LIMIT 1",
                   &st, e) < 0)
        return -1;
    db_bind_int(st, 1, scan);
    db_bind_text(st, 2, ip);
    db_bind_int(st, 3, port);
    if (service) db_bind_text(st, 4, service);
    int q = db_step(st, e);
    if (q == 1) *id = db_col_int(st, 0);
    db_finalize(st);
    return q < 0 ? -1 : q == 1;
}

static void conv_hist(struct db_stmt *st, struct store_obs_row *r)
{
    r->obs = db_col_int(st, 0);
    r->scan = db_col_int(st, 1);
    r->seen_at = db_col_int(st, 2);
    r->product = txt(st, 3);
    r->version = txt(st, 4);
    r->auth = txt(st, 5);
    r->severity = txt(st, 6);
    r->records = num(st, 7);
    r->bytes = num(st, 8);
    r->cert = txt(st, 9);
}

int store_service_history(struct db *d, int64_t service_id, int limit, store_obs_fn fn, void *arg,
                          struct err *e)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d,
                   "SELECT o.id, o.scan, o.seen_at, o.product, o.version, o.auth, o.severity,"
                   " o.records, o.bytes, o.cert FROM observations o WHERE o.service = $1"
                   " ORDER BY o.seen_at, o.scan LIMIT $2",
                   &st, e) < 0)
        return -1;
    db_bind_int(st, 1, service_id);
    db_bind_int(st, 2, limit);
    return walk(st, conv_hist, fn, arg, e);
}

static void conv_neighbour(struct db_stmt *st, struct store_obs_row *r)
{
    r->obs = db_col_int(st, 0);
    r->port = (uint16_t)db_col_int(st, 1);
    r->service = txt(st, 2);
    r->severity = txt(st, 3);
    r->product = txt(st, 4);
    r->version = txt(st, 5);
    r->record = txt(st, 6);
}

int store_address_rows(struct db *d, const char *address, int64_t group, int64_t except, int limit,
                       store_obs_fn fn, void *arg, struct err *e)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d,
                   "SELECT o.id, v.port, v.service, o.severity, o.product, o.version, o.record"
                   " FROM observations o JOIN services v ON v.id = o.service"
                   " JOIN scans sc ON sc.id = o.scan WHERE v.address = $1 AND sc.scan_group = $2"
                   " AND o.id <> $3 ORDER BY v.port, v.service LIMIT $4",
                   &st, e) < 0)
        return -1;
    db_bind_text(st, 1, address);
    db_bind_int(st, 2, group);
    db_bind_int(st, 3, except);
    db_bind_int(st, 4, limit);
    return walk(st, conv_neighbour, fn, arg, e);
}

static void conv_id_record(struct db_stmt *st, struct store_obs_row *r)
{
    r->obs = db_col_int(st, 0);
    r->record = txt(st, 1);
}

int store_service_obs(struct db *d, const char *address, int64_t port, const char *service,
                      int64_t group, store_obs_fn fn, void *arg, struct err *e)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d,
                   "SELECT o.id, o.record FROM observations o JOIN services v ON"
                   " v.id = o.service JOIN scans sc ON sc.id = o.scan WHERE v.address = $1"
                   " AND v.port = $2 AND v.service = $3 ORDER BY CASE WHEN sc.scan_group ="
                   " $4 THEN 0 ELSE 1 END, o.id DESC LIMIT 1",
                   &st, e) < 0)
        return -1;
    db_bind_text(st, 1, address);
    db_bind_int(st, 2, port);
    db_bind_text(st, 3, service);
    db_bind_int(st, 4, group);
    struct once o = {fn, arg, false};
    if (walk(st, conv_id_record, once_fn, &o, e) < 0) return -1;
    return o.seen ? 1 : 0;
}

int store_records(struct db *d, const int64_t *ids, size_t n, store_obs_fn fn, void *arg,
                  struct err *e)
{
    enum { CHUNK = 50 }; /* bound parameters per statement, well under DB_MAX_PARAMS */
    struct buf sql;
    buf_init(&sql, 4096);
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += CHUNK) {
        size_t k = n - at < CHUNK ? n - at : CHUNK;
        buf_reset(&sql);
        buf_appendf(&sql, "SELECT id, record FROM observations WHERE id IN (");
        for (size_t j = 0; j < k; j++)
            buf_appendf(&sql, "%s$%zu", j ? ", " : "", j + 1);
        buf_appendf(&sql, ")");
        buf_append(&sql, "", 1);
        struct db_stmt *st = NULL;
        if (sql.truncated || db_prepare(d, (const char *)sql.data, &st, e) < 0) {
            if (sql.truncated) err_set(e, "out of memory");
            rc = -1;
            break;
        }
        for (size_t j = 0; j < k; j++)
            db_bind_int(st, (int)j + 1, ids[at + j]);
        rc = walk(st, conv_id_record, fn, arg, e);
    }
    buf_free(&sql);
    return rc;
}

int store_cert_get(struct db *d, const char *sha256, int64_t *hosts, time_t *first, time_t *last,
                   struct err *e)
{
    struct db_stmt *st = NULL;
    *hosts = 0;
    *first = *last = 0;
    if (db_prepare(d, "SELECT hosts, first_seen, last_seen FROM certificates WHERE sha256 = $1",
                   &st, e) < 0)
        return -1;
    db_bind_text(st, 1, sha256);
    int q = db_step(st, e);
    if (q == 1) {
        *hosts = db_col_int(st, 0);
        *first = (time_t)db_col_int(st, 1);
        *last = (time_t)db_col_int(st, 2);
    }
    db_finalize(st);
    return q;
}

int store_cluster_get(struct db *d, const char *id, time_t *first, time_t *last, int64_t *size,
                      struct err *e)
{
    struct db_stmt *st = NULL;
    *first = *last = 0;
    *size = 0;
    if (db_prepare(d, "SELECT first_seen, last_seen, size FROM clusters WHERE id = $1", &st, e) < 0)
        return -1;
    db_bind_text(st, 1, id);
    int q = db_step(st, e);
    if (q == 1) {
        *first = (time_t)db_col_int(st, 0);
        *last = (time_t)db_col_int(st, 1);
        *size = db_col_int(st, 2);
    }
    db_finalize(st);
    return q;
}
