/*
 * store/coverage.c -- what a scan covered, and the one rule for closing:
 * a service is closed only when a coverage of its (address, port) that
 * is known to be complete did not find it (docs/store.md, "What a scan
 * covered").
 *
 * Three coverages count. A complete walk of a whole group (every shard
 * of the scope walked to its end: store_scan_end). The covered part of an
 * interrupted walk: the pairs before its checkpoint, every one of which
 * was concluded and whose findings were committed before the checkpoint
 * was. And nothing else: a killed process, a partial group, a walk that
 * reported no positions (SYN discovery runs its walk in another process)
 * close nothing.
 *
 * For the covered part the store must know where in the walk each of the
 * scope's open services lies. The walk is a permutation (a cyclic group
 * modulo a prime): going from a pair back to its position is a discrete
 * logarithm, so instead the scan reports each pair as it takes it from
 * the walk (store_reached), and a hash of the scope's open services by
 * address and port, built when the scan begins, keeps the first position
 * at which each was reached. A position is only known for what this
 * process walked: a resumed walk whose earlier process was killed closes
 * the earlier part when the whole walk completes, not before.
 *
 * Every closing writes a closures row (service, scan, time), so history
 * can say which scan closed what, and a scan how many it closed.
 */
#include "store/db.h"
#include "store/store.h"
#include "store/store_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- the scope's open services by pair ---- */

#define NOT_REACHED UINT64_MAX

struct reach_entry {
    int64_t svc; /* 0 = empty slot */
    uint64_t pos;
    uint8_t addr[16];
    uint16_t port;
    uint8_t family;
};

struct reach_map {
    struct reach_entry *v;
    size_t cap, n; /* cap a power of two, at most half full */
};

static uint64_t reach_hash(int family, const uint8_t *addr, uint16_t port)
{
    uint64_t h = 14695981039346656037ull ^ (uint64_t)family;
    size_t n = family == AF_INET6 ? 16 : 4;
    for (size_t i = 0; i < n; i++) {
        h ^= addr[i];
        h *= 1099511628211ull;
    }
    h ^= port;
    h *= 1099511628211ull;
    return h ^ (h >> 29);
}

static bool reach_same(const struct reach_entry *r, int family, const uint8_t *addr, uint16_t port)
{
    return r->family == family && r->port == port &&
           !memcmp(r->addr, addr, family == AF_INET6 ? 16 : 4);
}

static void reach_insert(struct reach_map *m, const struct reach_entry *x)
{
    size_t i = reach_hash(x->family, x->addr, x->port) & (m->cap - 1);
    while (m->v[i].svc)
        i = (i + 1) & (m->cap - 1);
    m->v[i] = *x;
    m->n++;
}

int reach_add(struct reach_map **mp, const char *ip, uint16_t port, int64_t svc)
{
    struct reach_entry x = {.svc = svc, .pos = NOT_REACHED, .port = port};
    if (svc <= 0) return 0;
    if (inet_pton(AF_INET, ip, x.addr) == 1)
        x.family = AF_INET;
    else if (inet_pton(AF_INET6, ip, x.addr) == 1)
        x.family = AF_INET6;
    else
        return 0; /* a name or garbage: never a pair of the walk */
    struct reach_map *m = *mp;
    if (!m) {
        m = xcalloc(1, sizeof *m);
        if (!m) return -1;
        *mp = m;
    }
    if ((m->n + 1) * 2 > m->cap) {
        struct reach_map g = {.cap = m->cap ? m->cap * 2 : 256};
        if (g.cap < m->cap) return -1;
        g.v = xcalloc(g.cap, sizeof *g.v);
        if (!g.v) return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->v[i].svc) reach_insert(&g, &m->v[i]);
        free(m->v);
        *m = g;
    }
    reach_insert(m, &x);
    return 0;
}

void reach_free(struct reach_map *m)
{
    if (!m) return;
    free(m->v);
    free(m);
}

bool store_reach_wanted(struct store *s)
{
    const struct reach_map *m = *store_reach(s);
    return m && m->n;
}

void store_reached(struct store *s, int family, const uint8_t addr[16], uint16_t port, uint64_t pos)
{
    struct reach_map *m = *store_reach(s);
    if (!m || !m->n || (family != AF_INET && family != AF_INET6)) return;
    for (size_t i = reach_hash(family, addr, port) & (m->cap - 1); m->v[i].svc;
         i = (i + 1) & (m->cap - 1)) {
        struct reach_entry *r = &m->v[i];
        if (reach_same(r, family, addr, port) && r->pos == NOT_REACHED) r->pos = pos;
    }
}

/* ---- closing ---- */

/* The scope's services seen before group, by no scan since it began. */
#define UNSEEN_SINCE_GROUP                                                                         \
    " services.closed_at IS NULL AND NOT EXISTS (SELECT 1 FROM observations o2"                    \
    " WHERE o2.service = services.id AND o2.scan >= $3)"

int store_close_unseen(struct store *s, int64_t scan, int64_t group, const char *scope,
                       const int64_t *ids, size_t nids, int64_t t, struct err *e)
{
    struct db *d = store_ctl(s);
    struct db_stmt *st = NULL;
    int rc = -1;
    if (!ids) {
        if (query(s,
                  "INSERT INTO closures (service, scan, closed_at) SELECT id, $1, $2 FROM services"
                  " WHERE" UNSEEN_SINCE_GROUP " AND id IN (SELECT o.service FROM observations o"
                  " JOIN scans sc ON sc.id = o.scan WHERE sc.scope_key = $4 AND sc.id < $3)"
                  " ON CONFLICT DO NOTHING",
                  "iiit", NULL, NULL, e, scan, t, group, scope) < 0)
            goto out;
    } else if (nids) {
        if (db_prepare(d,
                       "INSERT INTO closures (service, scan, closed_at) SELECT id, $1, $2 FROM"
                       " services WHERE" UNSEEN_SINCE_GROUP " AND id = $4 ON CONFLICT DO NOTHING",
                       &st, e) < 0)
            goto out;
        for (size_t i = 0; i < nids; i++) {
            db_bind_int(st, 1, scan);
            db_bind_int(st, 2, t);
            db_bind_int(st, 3, group);
            db_bind_int(st, 4, ids[i]);
            int r;
            while ((r = db_step(st, e)) == 1)
                ;
            db_reset(st);
            if (r < 0) goto out;
        }
    }
    /* only what this closing just recorded: a service this scan closed earlier (the covered
     * part of an interrupted run) and another scan saw open since stays open */
    if (query(s,
              "UPDATE services SET closed_at = $2 WHERE" UNSEEN_SINCE_GROUP
              " AND id IN (SELECT service FROM closures WHERE scan = $1 AND closed_at = $2)",
              "iii", NULL, NULL, e, scan, t, group) < 0)
        goto out;
    rc = 0;
out:
    db_finalize(st);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int store_scan_stop(struct store *s, int64_t scan_id, const char *reason, uint64_t pos,
                    struct err *e)
{
    struct reach_map *m = *store_reach(s);
    int64_t *ids = NULL;
    size_t nids = 0;
    int64_t now = (int64_t)now_wall();
    struct scan_info si;
    int rc = -1;
    if (store_flush(s, e) < 0) return -1;
    if (m && m->n) {
        ids = xcalloc(m->n, sizeof *ids);
        if (!ids) return err_set(e, "out of memory");
        for (size_t i = 0; i < m->cap; i++)
            if (m->v[i].svc && m->v[i].pos < pos) ids[nids++] = m->v[i].svc;
        qsort(ids, nids, sizeof *ids, cmp_i64);
    }
    if (db_begin(store_ctl(s), true, e) < 0) goto out;
    if (query(s,
              "UPDATE scans SET status = 'interrupted', stop_reason = $1, stopped_at = $2,"
              " checkpoint = $3, findings = (SELECT COUNT(*) FROM observations WHERE scan = $4)"
              " WHERE id = $4 AND end_time IS NULL",
              "tiii", NULL, NULL, e, reason && reason[0] ? reason : "stopped", now, (int64_t)pos,
              scan_id) < 0 ||
        query(s, "SELECT " SCAN_COLS " FROM scans WHERE id = $1", "i", row_scan_info, &si, e,
              scan_id) < 0)
        goto fail;
    if (!si.id) {
        err_set(e, "no scan %lld", (long long)scan_id);
        goto fail;
    }
    int64_t gstart = 0;
    if (query(s, "SELECT MIN(start_time) FROM scans WHERE scan_group = $1", "i", db_row_int,
              &gstart, e, si.group) < 0 ||
        store_close_unseen(s, scan_id, si.group, si.scope_key, ids, nids, gstart, e) < 0)
        goto fail;
    if (db_commit(store_ctl(s), e) < 0) goto fail;
    rc = 0;
    goto out;
fail:
    db_rollback(store_ctl(s));
out:
    free(ids);
    return rc;
}

/* ---- reading ---- */

int store_scan_argv(struct store *s, int64_t id, char **out, struct err *e)
{
    struct db_stmt *st = NULL;
    *out = NULL;
    if (db_prepare(store_ctl(s), "SELECT argv FROM scans WHERE id = $1", &st, e) < 0) return -1;
    db_bind_int(st, 1, id);
    int r = db_step(st, e);
    if (r == 1 && db_col_text(st, 0)) {
        *out = xstrdup(db_col_text(st, 0));
        if (!*out) r = err_set(e, "out of memory");
    }
    db_finalize(st);
    return r < 0 ? -1 : 0;
}

int store_closed_by(struct store *s, int64_t service, int64_t *scan, struct err *e)
{
    *scan = 0;
    return query(s,
                 "SELECT scan FROM closures WHERE service = $1 ORDER BY closed_at DESC, scan DESC"
                 " LIMIT 1",
                 "i", db_row_int, scan, e, service);
}

bool scan_group_complete(const struct scan_info *si)
{
    return si->shards_complete >= (si->nshards ? si->nshards : 1);
}

const char *scan_status_name(enum scan_status st)
{
    switch (st) {
    case SCAN_COMPLETE:
        return "complete";
    case SCAN_INTERRUPTED:
        return "interrupted";
    case SCAN_RUNNING:
        break;
    }
    return "running";
}

double scan_walk_percent(const struct scan_info *si)
{
    if (si->status == SCAN_COMPLETE) return 100.0;
    if (!si->walk_total) return 0.0;
    uint64_t c = si->checkpoint > si->walk_total ? si->walk_total : si->checkpoint;
    return 100.0 * (double)c / (double)si->walk_total;
}

/* "at 5.7% of its walk", or the bare position when the walk's length is unknown. */
static void walk_where(const struct scan_info *si, char *out, size_t n)
{
    if (si->walk_total)
        str_fmt(out, n, "at %.1f%% of its walk", scan_walk_percent(si));
    else
        str_fmt(out, n, "at walk position %llu", (unsigned long long)si->checkpoint);
}

void scan_coverage_text(const struct scan_info *si, char *out, size_t n)
{
    char who[64], where[64], group[96] = "";
    if (si->nshards > 1)
        str_fmt(who, sizeof who, "scan #%lld (shard %u/%u)", (long long)si->id, si->shard,
                si->nshards);
    else
        str_fmt(who, sizeof who, "scan #%lld", (long long)si->id);
    if (si->nshards > 1 && !scan_group_complete(si))
        str_fmt(group, sizeof group, "; group #%lld incomplete: %u of %u shards complete",
                (long long)si->group, si->shards_complete, si->nshards);
    walk_where(si, where, sizeof where);
    switch (si->status) {
    case SCAN_COMPLETE:
        str_fmt(out, n, "%s: complete%s", who, group);
        break;
    case SCAN_INTERRUPTED:
        str_fmt(out, n, "%s: interrupted %s (%s)%s", who, where, si->reason[0] ? si->reason : "?",
                group);
        break;
    case SCAN_RUNNING:
        str_fmt(out, n, "%s: unfinished %s (running, or killed)%s", who, where, group);
        break;
    }
}
