/*
 * store/store.c -- what ajar remembers, written once for both databases
 * (see store.h for the contract and docs/store.md for the model).
 *
 * Two connections per store. The control connection belongs to the
 * caller's thread: it opens and ends scans, answers "since when is this
 * service open" for store_put(), and serves every read. The writer
 * connection belongs to a writer thread that drains a bounded queue of
 * compact items (a finding reduced to its identity, facts and the record's
 * JSON text, or a checkpoint) and applies them in batched transactions:
 * a commit every `batch` findings or every 200 ms, whichever comes first.
 * Items are applied in queue order, so a checkpoint is written in the same
 * transaction as the findings queued before it, or a later one: it never
 * covers an uncommitted finding. A full queue blocks store_put() (the scan
 * slows down; nothing is dropped).
 *
 * store_put() fills first_seen/last_seen without waiting for the writer:
 * a hash of the services this scope has seen (loaded when the scan
 * begins, updated by every put) answers at once; a service the scope has
 * not seen is looked up by its identity on the control connection (it
 * may have been seen by another scope). The JSON of the record is made
 * here, once, on the caller's core, by finding_json_write() into a reused
 * buffer (no jansson tree); the writer only binds text. The map also keeps
 * each known service's row id, which the item carries to the writer: on
 * SQLite a known service is one UPDATE by id, a new one one INSERT (no
 * RETURNING, no SELECT), and the WAL is checkpointed by a thread of its own
 * (db_wal_background).
 *
 * An exposure's first_seen is the start of its current open period: a
 * service found closed and later open again starts a new period (its
 * history keeps the old one).
 *
 * This file is the caller's side (open, close, scans, store_put and the
 * map); writer.c is the writer thread; writer.h what the two share.
 */
#include "store/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BATCH  25000
#define GROUP_JOIN_SEC (24 * 3600) /* a shard joins a group begun within a day */

/* ---- what the current scope has seen (first/last seen without the writer) ---- */

static uint64_t service_hash(const char *ip, uint16_t port, const char *transport,
                             const char *service)
{
    uint64_t h = 14695981039346656037ull;
    h = fnv(h, ip, strlen(ip) + 1);
    h = fnv(h, &port, sizeof port);
    h = fnv(h, transport, strlen(transport) + 1);
    h = fnv(h, service, strlen(service) + 1);
    return h ? h : 1;
}

static struct seen_entry *seen_find(struct seen_map *m, uint64_t h)
{
    if (!m->cap) return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->v[i].h == h) return &m->v[i];
        if (!m->v[i].h) return NULL;
    }
}

static int seen_put(struct seen_map *m, uint64_t h, int64_t first, int64_t last, int64_t id,
                    int64_t first_scan, int closed)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 1024;
        struct seen_entry *nv = xcalloc(nc, sizeof *nv);
        if (!nv) return -1;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->v[i].h) continue;
            size_t j = m->v[i].h & (nc - 1);
            while (nv[j].h)
                j = (j + 1) & (nc - 1);
            nv[j] = m->v[i];
        }
        free(m->v);
        m->v = nv;
        m->cap = nc;
    }
    size_t i = h & (m->cap - 1);
    while (m->v[i].h && m->v[i].h != h)
        i = (i + 1) & (m->cap - 1);
    if (!m->v[i].h) m->n++;
    m->v[i] = (struct seen_entry){h, first, last, id, first_scan, closed};
    return 0;
}

static void seen_clear(struct seen_map *m)
{
    free(m->v);
    memset(m, 0, sizeof *m);
}

static int known_add(struct known_set *k, uint64_t h)
{
    uint64_t *nv = arr_grow(k->v, k->n, &k->cap, sizeof *nv, 4096);
    if (!nv) return -1;
    k->v = nv;
    k->v[k->n++] = h;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool known_has(const struct known_set *k, uint64_t h)
{
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->v[mid] == h) return true;
        if (k->v[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static void known_clear(struct known_set *k)
{
    free(k->v);
    memset(k, 0, sizeof *k);
}

/* ---- open / close ---- */

static const char sql_lookup[] =
    "SELECT first_seen, last_seen, CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END, id, first_scan"
    " FROM services"
    " WHERE address = $1 AND port = $2 AND transport = $3 AND service = $4";

const char *store_backend(const struct store *s)
{
    return db_kind(s->ctl) == DB_PG ? "postgresql" : "sqlite";
}

int store_open(struct store **out, const char *where, struct err *e)
{
    *out = NULL;
    if (!where || !where[0]) where = STORE_DEFAULT_PATH;
    struct store *s = xcalloc(1, sizeof *s);
    if (!s) return err_set(e, "out of memory");
    s->batch = DEFAULT_BATCH;
    buf_init(&s->enc, 64u << 20);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->nonempty, NULL);
    pthread_cond_init(&s->nonfull, NULL);
    pthread_cond_init(&s->done, NULL);
    if (db_open(&s->ctl, where, e) < 0) goto fail;
    if (store_migrate(s->ctl, e) < 0) goto fail;
    if (db_prepare(s->ctl, sql_lookup, &s->lookup, e) < 0) goto fail;
    if (db_open(&s->w, where, e) < 0) goto fail;
    if (db_wal_background(s->w, e) < 0) goto fail;
    if (writer_prepare(s, e) < 0) goto fail;
    if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
        err_set(e, "cannot start the store's writer thread");
        goto fail;
    }
    s->thread_started = true;
    pthread_setname_np(s->thread, "ajar-store"); /* top -H, bench/store_gen.c */
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_close(struct store *s)
{
    if (!s) return;
    if (s->thread_started) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->nonempty);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    for (size_t i = 0; i < s->qlen; i++)
        writer_item_free(s->q[(s->qhead + i) % QUEUE_CAP]);
    writer_finalize(s);
    db_finalize(s->lookup);
    db_close(s->w);
    db_close(s->ctl);
    seen_clear(&s->seen);
    known_clear(&s->known);
    reach_free(s->reach);
    buf_free(&s->enc);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->nonempty);
    pthread_cond_destroy(&s->nonfull);
    pthread_cond_destroy(&s->done);
    free(s);
}

/* ---- small helpers on the control connection ---- */

struct db *store_ctl(struct store *s)
{
    return s->ctl;
}

struct reach_map **store_reach(struct store *s)
{
    return &s->reach;
}

/* Load the services this scope has seen into the first/last-seen map. */
struct seen_ctx {
    struct store *s;
    struct err *e;
};

static int row_seen(void *arg, struct db_stmt *st)
{
    struct seen_ctx *c = arg;
    struct store *s = c->s;
    const char *ip = db_col_text(st, 0), *tr = db_col_text(st, 2), *sv = db_col_text(st, 3);
    uint64_t h =
        service_hash(ip ? ip : "", (uint16_t)db_col_int(st, 1), tr ? tr : "", sv ? sv : "");
    int closed = (int)db_col_int(st, 6);
    if (seen_put(&s->seen, h, db_col_int(st, 4), db_col_int(st, 5), db_col_int(st, 7),
                 db_col_int(st, 8), closed) < 0 ||
        (!closed &&
         reach_add(&s->reach, ip ? ip : "", (uint16_t)db_col_int(st, 1), db_col_int(st, 7)) < 0))
        return err_set(c->e, "out of memory");
    return 0;
}

static int row_known(void *arg, struct db_stmt *st)
{
    struct seen_ctx *c = arg;
    const char *ip = db_col_text(st, 0), *tr = db_col_text(st, 2), *sv = db_col_text(st, 3);
    uint64_t h =
        service_hash(ip ? ip : "", (uint16_t)db_col_int(st, 1), tr ? tr : "", sv ? sv : "");
    if (known_add(&c->s->known, h) < 0) return err_set(c->e, "out of memory");
    return 0;
}

static int load_seen(struct store *s, const char *scope_key, struct err *e)
{
    struct seen_ctx c = {s, e};
    seen_clear(&s->seen);
    known_clear(&s->known);
    reach_free(s->reach);
    s->reach = NULL;
    if (query_stream(s,
                     "SELECT address, port, transport, service, first_seen, last_seen,"
                     " CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END, id, first_scan FROM services"
                     " WHERE id IN"
                     " (SELECT o.service FROM observations o JOIN scans sc ON sc.id = o.scan"
                     " WHERE sc.scope_key = $1)",
                     "t", row_seen, &c, e, scope_key) < 0)
        return -1;
    if (query_stream(s, "SELECT address, port, transport, service FROM services", "", row_known, &c,
                     e) < 0)
        return -1;
    if (s->known.n) qsort(s->known.v, s->known.n, sizeof *s->known.v, cmp_u64);
    return 0;
}

/* ---- scans ---- */

int store_find_resumable(struct store *s, const char *scope_key, uint32_t shard, uint32_t nshards,
                         struct scan_info *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (query(s,
              "SELECT " SCAN_COLS " FROM scans WHERE scope_key = $1 AND shard = $2 AND"
              " nshards = $3 AND end_time IS NULL ORDER BY id DESC LIMIT 1",
              "tii", row_scan_info, out, e, scope_key, (int64_t)shard, (int64_t)nshards) < 0)
        return -1;
    return out->id ? 0 : 1;
}

int store_find_unfinished(struct store *s, struct scan_info *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (query(s, "SELECT " SCAN_COLS " FROM scans WHERE end_time IS NULL ORDER BY id DESC LIMIT 1",
              "", row_scan_info, out, e) < 0)
        return -1;
    return out->id ? 0 : 1;
}

int store_scan_begin(struct store *s, const struct scan_meta *m, int64_t *scan_id,
                     uint64_t *resume_pos, struct err *e)
{
    *scan_id = 0;
    *resume_pos = 0;
    const char *scope = m->scope_key ? m->scope_key : "";
    uint32_t nshards = m->nshards ? m->nshards : 1;
    int64_t start = m->start ? (int64_t)m->start : (int64_t)now_wall();
    int64_t seed = (int64_t)m->seed;
    struct scan_info si = {0};
    int64_t id = 0, group = 0, ckpt = 0;
    if (m->shard >= nshards) return err_set(e, "shard %u of %u does not exist", m->shard, nshards);
    if (db_begin(s->ctl, true, e) < 0) return -1;
    if (m->resume || m->resume_id) {
        int r;
        if (m->resume_id) {
            r = query(s, "SELECT " SCAN_COLS " FROM scans WHERE id = $1", "i", row_scan_info, &si,
                      e, m->resume_id);
            if (r == 0 && !si.id) {
                err_set(e, "no scan %lld to resume", (long long)m->resume_id);
                goto fail;
            }
            if (r == 0 && si.end) {
                err_set(e, "scan %lld is finished: nothing to resume", (long long)si.id);
                goto fail;
            }
            if (r == 0 &&
                (strcmp(si.scope_key, scope) || si.shard != m->shard || si.nshards != nshards)) {
                err_set(e, "scan %lld scanned other targets or another shard: cannot resume it",
                        (long long)si.id);
                goto fail;
            }
        } else {
            r = store_find_resumable(s, scope, m->shard, nshards, &si, e) < 0 ? -1 : 0;
        }
        if (r < 0) goto fail;
        if (si.id) {
            if (si.seed != m->seed) {
                err_set(e,
                        "the unfinished scan %lld walked with seed %llu: resume with --seed %llu",
                        (long long)si.id, (unsigned long long)si.seed, (unsigned long long)si.seed);
                goto fail;
            }
            if (query(s, "SELECT checkpoint FROM scans WHERE id = $1", "i", db_row_int, &ckpt, e,
                      si.id) < 0 ||
                query(s,
                      "UPDATE scans SET status = 'running', stop_reason = NULL, stopped_at = NULL"
                      " WHERE id = $1",
                      "i", NULL, NULL, e, si.id) < 0)
                goto fail;
            id = si.id;
        } else {
            log_warn("no unfinished scan of these targets to resume: starting a new one");
        }
    }
    if (!id) {
        if (nshards > 1 &&
            query(s,
                  "SELECT scan_group FROM scans WHERE scope_key = $1 AND seed = $2 AND nshards = $3"
                  " GROUP BY scan_group HAVING SUM(CASE WHEN shard = $4 THEN 1 ELSE 0 END) = 0"
                  " AND COUNT(*) < $3 AND MIN(start_time) >= $5 ORDER BY scan_group DESC LIMIT 1",
                  "tiiii", db_row_int, &group, e, scope, seed, (int64_t)nshards, (int64_t)m->shard,
                  start - GROUP_JOIN_SEC) < 0)
            goto fail;
        if (query(s,
                  "INSERT INTO scans (start_time, arguments, scope_key, seed, shard, nshards,"
                  " checkpoint, scan_group, status, walk_total, argv)"
                  " VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 'running', $8, $9) RETURNING id",
                  "ittiiiiit", db_row_int, &id, e, start, m->args ? m->args : "", scope, seed,
                  (int64_t)m->shard, (int64_t)nshards, group, (int64_t)m->walk_total,
                  m->argv_json) < 0)
            goto fail;
        if (!group &&
            query(s, "UPDATE scans SET scan_group = id WHERE id = $1", "i", NULL, NULL, e, id) < 0)
            goto fail;
    }
    if (db_commit(s->ctl, e) < 0) goto fail;
    if (load_seen(s, scope, e) < 0) return -1;
    *scan_id = id;
    *resume_pos = (uint64_t)ckpt;
    return 0;
fail:
    db_rollback(s->ctl);
    return -1;
}

int store_checkpoint(struct store *s, int64_t scan_id, uint64_t pos, struct err *e)
{
    struct item *it = xcalloc(1, sizeof *it);
    if (!it) return err_set(e, "out of memory");
    it->kind = IT_CHECKPOINT;
    it->scan = scan_id;
    it->pos = pos;
    return writer_enqueue(s, it, e);
}

/* Since when is this service open? From the scope's map, else from the database. */
static int seen_lookup(struct store *s, uint64_t h, const char *ip, uint16_t port,
                       const char *transport, const char *service, int64_t *first, int64_t *last,
                       int64_t *id, int64_t *first_scan, int *closed, bool *found, struct err *e)
{
    struct seen_entry *se = seen_find(&s->seen, h);
    *found = false;
    if (se) {
        *found = true;
        *first = se->first;
        *last = se->last;
        *id = se->id;
        *first_scan = se->first_scan;
        *closed = se->closed;
        return 0;
    }
    if (!known_has(&s->known, h)) return 0;
    db_bind_text(s->lookup, 1, ip);
    db_bind_int(s->lookup, 2, port);
    db_bind_text(s->lookup, 3, transport);
    db_bind_text(s->lookup, 4, service);
    int r = db_step(s->lookup, e);
    if (r == 1) {
        *found = true;
        *first = db_col_int(s->lookup, 0);
        *last = db_col_int(s->lookup, 1);
        *closed = (int)db_col_int(s->lookup, 2);
        *id = db_col_int(s->lookup, 3);
        *first_scan = db_col_int(s->lookup, 4);
    }
    db_reset(s->lookup);
    return r < 0 ? -1 : 0;
}

int store_put(struct store *s, int64_t scan_id, struct finding *f, struct err *e)
{
    pthread_mutex_lock(&s->mu);
    if (s->failed) {
        *e = s->werr;
        pthread_mutex_unlock(&s->mu);
        return -1;
    }
    pthread_mutex_unlock(&s->mu);
    const char *service = f->service[0] ? f->service : "unknown";
    const char *transport = f->transport[0] ? f->transport : "tcp";
    int64_t t = f->time ? (int64_t)f->time : (int64_t)now_wall();
    uint64_t h = service_hash(f->ip, f->port, transport, service);
    int64_t first = t, last = t, svc = 0, fscan = 0;
    int closed = 0;
    bool found;
    if (seen_lookup(s, h, f->ip, f->port, transport, service, &first, &last, &svc, &fscan, &closed,
                    &found, e) < 0)
        return -1;
    if (!found || closed) { /* this sighting opens a period */
        first = t;
        fscan = scan_id;
    }
    if (first > t) first = t;
    if (last < t) last = t;
    if (seen_put(&s->seen, h, first, last, svc, fscan, 0) < 0) return err_set(e, "out of memory");
    f->first_seen = (time_t)first;
    f->last_seen = (time_t)last;
    f->first_scan = fscan;

    /* the record's JSON, written straight into a reused buffer (no jansson tree) */
    struct finding_json_spans sp;
    buf_reset(&s->enc);
    if (finding_json_write(&s->enc, f, false, &sp) < 0) return err_set(e, "out of memory");
    bool cert = f->tls.present && f->tls.sha256[0];
    size_t rl = s->enc.len, fl = cert ? sp.tls_len : 0;
    struct item *it = xmalloc(sizeof *it + rl + sp.signals_len + fl + 3);
    if (!it) return err_set(e, "out of memory");
    memset(it, 0, sizeof *it);
    char *p = it->text;
    memcpy(p, s->enc.data, rl + 1);
    it->record = p;
    p += rl + 1;
    memcpy(p, s->enc.data + sp.signals, sp.signals_len);
    p[sp.signals_len] = 0;
    it->signals = p;
    p += sp.signals_len + 1;
    memcpy(p, s->enc.data + sp.tls, fl);
    p[fl] = 0;
    it->facts = p;

    it->kind = IT_FINDING;
    it->scan = scan_id;
    it->svc = svc;
    str_copy(it->ip, f->ip, sizeof it->ip);
    it->port = f->port;
    str_copy(it->transport, transport, sizeof it->transport);
    str_copy(it->service, service, sizeof it->service);
    str_copy(it->product, f->product, sizeof it->product);
    str_copy(it->version, f->version, sizeof it->version);
    it->auth = f->auth;
    it->severity = f->severity;
    it->t = t;
    it->first_seen = first;
    it->first_scan = fscan;
    it->records = f->records;
    it->bytes = f->bytes;
    str_copy(it->cluster, f->cluster, sizeof it->cluster);
    if (cert) {
        struct cert_item *c = xmalloc(sizeof *c);
        if (!c) {
            writer_item_free(it);
            return err_set(e, "out of memory");
        }
        it->cert = c;
        str_copy(c->sha256, f->tls.sha256, sizeof c->sha256);
        str_copy(c->subject_cn, f->tls.subject_cn, sizeof c->subject_cn);
        str_copy(c->issuer_cn, f->tls.issuer_cn, sizeof c->issuer_cn);
        c->not_before = (int64_t)f->tls.not_before;
        c->not_after = (int64_t)f->tls.not_after;
        c->self_signed = f->tls.self_signed;
        finding_tls_key(&f->tls, c->key_type, sizeof c->key_type);
    }
    return writer_enqueue(s, it, e); /* writer_enqueue owns it now, even on failure */
}

static int row_count_ended(void *arg, struct db_stmt *st)
{
    int64_t *v = arg;
    v[0] = db_col_int(st, 0);
    v[1] = db_col_int(st, 1);
    v[2] = db_col_int(st, 2);
    return 1;
}

int store_scan_end(struct store *s, int64_t scan_id, struct err *e)
{
    if (store_flush(s, e) < 0) return -1;
    int64_t now = (int64_t)now_wall();
    int64_t g[3] = {0, 0, 0}; /* group, finished shards, nshards */
    if (db_begin(s->ctl, true, e) < 0) return -1;
    if (query(s,
              "UPDATE scans SET end_time = $1, status = 'complete', stop_reason = NULL,"
              " stopped_at = NULL, findings ="
              " (SELECT COUNT(*) FROM observations WHERE scan = $2) WHERE id = $2",
              "ii", NULL, NULL, e, now, scan_id) < 0)
        goto fail;
    if (query(s,
              "SELECT sc.scan_group, (SELECT COUNT(DISTINCT x.shard) FROM scans x"
              " WHERE x.scan_group = sc.scan_group AND x.end_time IS NOT NULL), sc.nshards"
              " FROM scans sc WHERE sc.id = $1",
              "i", row_count_ended, g, e, scan_id) < 0)
        goto fail;
    if (!g[0]) {
        err_set(e, "no scan %lld", (long long)scan_id);
        goto fail;
    }
    /* certificate sharing counts for the certificates this scan saw */
    if (query(
            s,
            "UPDATE certificates SET hosts = (SELECT COUNT(*) FROM (SELECT DISTINCT v.address,"
            " v.port FROM service_certs c JOIN services v ON v.id = c.service"
            " WHERE c.sha256 = certificates.sha256) x)"
            " WHERE sha256 IN (SELECT cert FROM observations WHERE scan = $1 AND cert IS NOT NULL)",
            "i", NULL, NULL, e, scan_id) < 0)
        goto fail;
    if (g[1] >= g[2]) {
        /* The whole group is done: its union is the scope's view now. A
         * service the scope saw before that no scan since the group began
         * has seen is closed, at the time the group started. */
        int64_t gstart = 0;
        char scope[65] = "";
        struct scan_info si;
        if (query(s, "SELECT MIN(start_time) FROM scans WHERE scan_group = $1", "i", db_row_int,
                  &gstart, e, g[0]) < 0 ||
            query(s, "SELECT " SCAN_COLS " FROM scans WHERE id = $1", "i", row_scan_info, &si, e,
                  scan_id) < 0)
            goto fail;
        str_copy(scope, si.scope_key, sizeof scope);
        if (store_close_unseen(s, scan_id, g[0], scope, NULL, 0, gstart, e) < 0) goto fail;
        if (query(s,
                  "INSERT INTO clusters (id, first_seen, last_seen, size, last_group)"
                  " SELECT o.cluster, MIN(o.seen_at), MAX(o.seen_at), COUNT(DISTINCT o.service), $1"
                  " FROM observations o JOIN scans sc ON sc.id = o.scan WHERE sc.scan_group = $1"
                  " AND o.cluster IS NOT NULL GROUP BY o.cluster"
                  " ON CONFLICT (id) DO UPDATE SET"
                  " first_seen = CASE WHEN excluded.first_seen < clusters.first_seen"
                  "  THEN excluded.first_seen ELSE clusters.first_seen END,"
                  " last_seen = CASE WHEN excluded.last_seen > clusters.last_seen"
                  "  THEN excluded.last_seen ELSE clusters.last_seen END,"
                  " size = excluded.size, last_group = excluded.last_group",
                  "i", NULL, NULL, e, g[0]) < 0)
            goto fail;
    }
    if (db_commit(s->ctl, e) < 0) goto fail;
    return 0;
fail:
    db_rollback(s->ctl);
    return -1;
}
