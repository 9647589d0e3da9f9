/*
 * store/read.c -- the store's reading half: scans, a scan's findings (the
 * whole group, or one shard), the history of an address, the services
 * and certificates as they are now. Every read runs on the control
 * connection; the large ones (a scan's findings) are read row by row
 * (db_query_stream), so their callbacks may not query the store.
 *
 * "Finished" means a complete coverage here: a group whose shards all
 * walked to their end (docs/store.md, "What a scan covered"). An
 * interrupted or killed scan is never the baseline of a report or a diff
 * by default.
 */
#include "store/db.h"
#include "store/store.h"
#include "store/store_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int row_scan_info(void *arg, struct db_stmt *st)
{
    struct scan_info *si = arg;
    memset(si, 0, sizeof *si);
    si->id = db_col_int(st, 0);
    si->start = (time_t)db_col_int(st, 1);
    si->end = (time_t)db_col_int(st, 2);
    str_copy(si->scope_key, db_col_text(st, 3) ? db_col_text(st, 3) : "", sizeof si->scope_key);
    si->shard = (uint32_t)db_col_int(st, 4);
    si->nshards = (uint32_t)db_col_int(st, 5);
    si->seed = (uint64_t)db_col_int(st, 6);
    str_copy(si->args, db_col_text(st, 7) ? db_col_text(st, 7) : "", sizeof si->args);
    si->findings = db_col_int(st, 8);
    const char *status = db_col_text(st, 9);
    si->status = !status                          ? SCAN_RUNNING
                 : !strcmp(status, "complete")    ? SCAN_COMPLETE
                 : !strcmp(status, "interrupted") ? SCAN_INTERRUPTED
                                                  : SCAN_RUNNING;
    str_copy(si->reason, db_col_text(st, 10) ? db_col_text(st, 10) : "", sizeof si->reason);
    si->stopped = (time_t)db_col_int(st, 11);
    si->checkpoint = (uint64_t)db_col_int(st, 12);
    si->walk_total = (uint64_t)db_col_int(st, 13);
    si->group = db_col_int(st, 14);
    si->closed = db_col_int(st, 15);
    si->shards_complete = (uint32_t)db_col_int(st, 16);
    return 1;
}

/* The newest complete group's newest member, as one row's column 0 ("%s" takes a scope test). */
#define LAST_COMPLETE(where)                                                                       \
    "SELECT MAX(id) FROM scans WHERE end_time IS NOT NULL" where " GROUP BY scan_group"            \
    " HAVING COUNT(DISTINCT shard) >= MAX(nshards) ORDER BY scan_group DESC LIMIT 1"

int store_last_scan_db(struct db *d, const char *scope_key, int64_t *id, struct err *e)
{
    *id = 0;
    if (scope_key && scope_key[0])
        return db_query(d, LAST_COMPLETE(" AND scope_key = $1"), "t", db_row_int, id, e, scope_key);
    return db_query(d, LAST_COMPLETE(""), "", db_row_int, id, e);
}

int store_last_scan(struct store *s, const char *scope_key, int64_t *id, struct err *e)
{
    return store_last_scan_db(store_ctl(s), scope_key, id, e);
}

int store_newest_scan_db(struct db *d, int64_t *id, struct err *e)
{
    *id = 0;
    return db_query(d, "SELECT MAX(id) FROM scans", "", db_row_int, id, e);
}

int store_newest_scan(struct store *s, int64_t *id, struct err *e)
{
    return store_newest_scan_db(store_ctl(s), id, e);
}

int store_cert_hosts(struct store *s, const char *sha256, int *n, struct err *e)
{
    int64_t v = 0;
    *n = 0;
    if (query(s,
              "SELECT COUNT(*) FROM (SELECT DISTINCT v.address, v.port FROM service_certs c"
              " JOIN services v ON v.id = c.service WHERE c.sha256 = $1) x",
              "t", db_row_int, &v, e, sha256) < 0)
        return -1;
    *n = (int)v;
    return 0;
}

/* ---- reading ---- */

int store_scan_get_db(struct db *d, int64_t id, struct scan_info *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (db_query(d, "SELECT " SCAN_COLS " FROM scans WHERE id = $1", "i", row_scan_info, out, e,
                 id) < 0)
        return -1;
    if (!out->id) return err_set(e, "no scan %lld in the store", (long long)id);
    return 0;
}

int store_scan_get(struct store *s, int64_t id, struct scan_info *out, struct err *e)
{
    return store_scan_get_db(store_ctl(s), id, out, e);
}

int store_scan_group(struct store *s, int64_t id, int64_t *group, struct err *e)
{
    *group = 0;
    if (query(s, "SELECT scan_group FROM scans WHERE id = $1", "i", db_row_int, group, e, id) < 0)
        return -1;
    if (!*group) return err_set(e, "no scan %lld in the store", (long long)id);
    return 0;
}

int store_prev_scan_db(struct db *d, int64_t scan_id, int64_t *prev, struct err *e)
{
    *prev = 0;
    return db_query(d,
                    "SELECT MAX(p.id) FROM scans p JOIN scans c ON c.id = $1 WHERE p.scope_key ="
                    " c.scope_key AND p.scan_group < c.scan_group AND p.end_time IS NOT NULL"
                    " GROUP BY p.scan_group HAVING COUNT(DISTINCT p.shard) >= MAX(p.nshards)"
                    " ORDER BY p.scan_group DESC LIMIT 1",
                    "i", db_row_int, prev, e, scan_id);
}

int store_prev_scan(struct store *s, int64_t scan_id, int64_t *prev, struct err *e)
{
    return store_prev_scan_db(store_ctl(s), scan_id, prev, e);
}

struct scans_ctx {
    int (*fn)(void *arg, const struct scan_info *si);
    void *arg;
};

static int row_scans(void *arg, struct db_stmt *st)
{
    struct scans_ctx *c = arg;
    struct scan_info si;
    row_scan_info(&si, st);
    return c->fn(c->arg, &si) ? 2 : 0; /* positive: stop without error */
}

int store_scans(struct store *s, int (*fn)(void *arg, const struct scan_info *si), void *arg,
                struct err *e)
{
    struct scans_ctx c = {fn, arg};
    return query(s, "SELECT " SCAN_COLS " FROM scans ORDER BY id DESC", "", row_scans, &c, e);
}

int store_scans_page_db(struct db *d, int64_t limit, int64_t offset,
                        int (*fn)(void *arg, const struct scan_info *si), void *arg, struct err *e)
{
    struct scans_ctx c = {fn, arg};
    return db_query(d, "SELECT " SCAN_COLS " FROM scans ORDER BY id DESC LIMIT $1 OFFSET $2", "ii",
                    row_scans, &c, e, limit, offset);
}

struct findings_ctx {
    int (*fn)(void *arg, const struct finding *f);
    int (*hfn)(void *arg, int64_t scan_id, const struct finding *f);
    void *arg;
    struct err *e;
};

/* Columns: record, first_seen, last_seen, scan, first_scan. */
static int row_finding(void *arg, struct db_stmt *st)
{
    struct findings_ctx *c = arg;
    const char *rec = db_col_text(st, 0);
    json_error_t je;
    json_t *j = rec ? json_loads(rec, 0, &je) : NULL;
    struct finding f;
    int rc = 0;
    if (!j || finding_from_json(&f, j) < 0) {
        if (!j) finding_init(&f);
        finding_free(&f);
        if (j) json_decref(j);
        err_set(c->e, "a stored record does not parse");
        return -1;
    }
    json_decref(j);
    if (c->fn) {
        f.first_seen = (time_t)db_col_int(st, 1);
        f.last_seen = (time_t)db_col_int(st, 2);
        f.first_scan = db_col_int(st, 4);
        rc = c->fn(c->arg, &f);
    } else {
        rc = c->hfn(c->arg, db_col_int(st, 3), &f);
    }
    finding_free(&f);
    return rc ? 2 : 0;
}

int store_scan_findings(struct store *s, int64_t scan_id,
                        int (*fn)(void *arg, const struct finding *f), void *arg, struct err *e)
{
    int64_t group = 0;
    if (store_scan_group(s, scan_id, &group, e) < 0) return -1;
    struct findings_ctx c = {.fn = fn, .arg = arg, .e = e};
    return query_stream(s,
                        "SELECT o.record, v.first_seen, v.last_seen, o.scan, o.first_scan"
                        " FROM observations o"
                        " JOIN scans sc ON sc.id = o.scan JOIN services v ON v.id = o.service"
                        " WHERE sc.scan_group = $1 ORDER BY v.address, v.port, v.transport,"
                        " v.service",
                        "i", row_finding, &c, e, group);
}

int store_scan_own_findings(struct store *s, int64_t scan_id,
                            int (*fn)(void *arg, const struct finding *f), void *arg, struct err *e)
{
    struct findings_ctx c = {.fn = fn, .arg = arg, .e = e};
    return query_stream(s,
                        "SELECT o.record, v.first_seen, v.last_seen, o.scan, o.first_scan"
                        " FROM observations o"
                        " JOIN services v ON v.id = o.service WHERE o.scan = $1"
                        " ORDER BY v.address, v.port, v.transport, v.service",
                        "i", row_finding, &c, e, scan_id);
}

int store_history(struct store *s, const char *ip, uint16_t port,
                  int (*fn)(void *arg, int64_t scan_id, const struct finding *f), void *arg,
                  struct err *e)
{
    struct findings_ctx c = {.hfn = fn, .arg = arg, .e = e};
    /* the record keeps first/last seen as they were when it was written */
    return query(s,
                 "SELECT o.record, 0, 0, o.scan FROM observations o"
                 " JOIN services v ON v.id = o.service JOIN scans sc ON sc.id = o.scan"
                 " WHERE v.address = $1 AND ($2 = 0 OR v.port = $2)"
                 " ORDER BY o.seen_at, sc.start_time, o.scan, v.port, v.service",
                 "ti", row_finding, &c, e, ip, (int64_t)port);
}

struct services_ctx {
    int (*fn)(void *arg, const struct store_service *sv);
    void *arg;
};

static int row_service(void *arg, struct db_stmt *st)
{
    struct services_ctx *c = arg;
    struct store_service sv;
    memset(&sv, 0, sizeof sv);
    sv.id = db_col_int(st, 0);
    str_copy(sv.ip, db_col_text(st, 1) ? db_col_text(st, 1) : "", sizeof sv.ip);
    sv.port = (uint16_t)db_col_int(st, 2);
    str_copy(sv.transport, db_col_text(st, 3) ? db_col_text(st, 3) : "", sizeof sv.transport);
    str_copy(sv.service, db_col_text(st, 4) ? db_col_text(st, 4) : "", sizeof sv.service);
    sv.first_seen = (time_t)db_col_int(st, 5);
    sv.last_seen = (time_t)db_col_int(st, 6);
    sv.closed_at = (time_t)db_col_int(st, 7);
    return c->fn(c->arg, &sv) ? 2 : 0;
}

int store_services(struct store *s, const char *ip, uint16_t port,
                   int (*fn)(void *arg, const struct store_service *sv), void *arg, struct err *e)
{
    struct services_ctx c = {fn, arg};
    return query(s,
                 "SELECT id, address, port, transport, service, first_seen, last_seen,"
                 " COALESCE(closed_at, 0) FROM services WHERE address = $1 AND ($2 = 0 OR"
                 " port = $2) ORDER BY port, transport, service",
                 "ti", row_service, &c, e, ip, (int64_t)port);
}
