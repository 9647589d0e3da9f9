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
 */
#include "store/store.h"
#include "store/db.h"
#include "store/store_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_CAP      16384
#define DEFAULT_BATCH  25000
#define COMMIT_MS      200
#define GROUP_JOIN_SEC (24 * 3600) /* a shard joins a group begun within a day */

/* ---- queue items ---- */

enum item_kind { IT_FINDING = 1, IT_CHECKPOINT };

struct cert_item {
    char sha256[65];
    char subject_cn[256], issuer_cn[256];
    int64_t not_before, not_after;
    int self_signed;
    char key_type[32];
};

struct item {
    enum item_kind kind;
    int64_t scan;
    uint64_t pos; /* IT_CHECKPOINT */
    int64_t svc;  /* the service's row if the caller knows it (a hint: checked), else 0 */
    char ip[46];
    uint16_t port;
    char transport[8];
    char service[32];
    char product[64], version[64];
    enum auth_state auth;
    enum severity severity;
    int64_t t, first_seen;
    int64_t records, bytes;
    char cluster[24];
    struct cert_item *cert;
    const char *record, *signals, *facts; /* JSON text, in text[] */
    char text[];                          /* record NUL signals NUL facts NUL */
};

static void item_free(struct item *it)
{
    if (!it) return;
    free(it->cert);
    free(it);
}

/* ---- what the current scope has seen (first/last seen without the writer) ---- */

struct seen_entry {
    uint64_t h; /* 0 = empty */
    int64_t first, last;
    int64_t id; /* the service's row, 0 when not known yet */
    int closed;
};

struct seen_map {
    struct seen_entry *v;
    size_t cap, n;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ull;
    }
    return h;
}

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
                    int closed)
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
    m->v[i] = (struct seen_entry){h, first, last, id, closed};
    return 0;
}

static void seen_clear(struct seen_map *m)
{
    free(m->v);
    memset(m, 0, sizeof *m);
}

/*
 * Every service identity in the store, as sorted hashes (8 bytes each):
 * a service outside the scope's map whose hash is not here is new, and
 * store_put() need not ask the database (a read transaction per finding
 * would cost more than everything else store_put does).
 */
struct known_set {
    uint64_t *v;
    size_t n, cap;
};

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

/* ---- the store ---- */

struct writer_stmts {
    /* SQLite */
    struct db_stmt *svc_ins, *svc_upd_id, *svc_upd, *svc_id, *obs, *svccert_id;
    /* PostgreSQL */
    struct db_stmt *put_pg, *svccert;
    /* both */
    struct db_stmt *cert, *ckpt;
};

/*
 * Certificates the writer has written, with the newest time: a certificate
 * served by many hosts is upserted once per newer time, not once per host
 * (the row's other columns are only set on insert, and last_seen only
 * grows). Direct-mapped, so its memory is fixed; cleared on rollback.
 */
#define CERT_CACHE 1024
struct cert_seen {
    char sha256[65];
    int64_t t;
};

struct store {
    struct db *ctl; /* caller's thread */
    struct db *w;   /* writer thread */
    struct db_stmt *lookup;
    struct seen_map seen;
    struct known_set known;
    struct reach_map *reach; /* the scope's open services by pair (coverage.c) */
    struct buf enc;          /* store_put's record text, reused */

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull, done;
    struct item *q[QUEUE_CAP];
    size_t qhead, qlen;
    uint64_t enq_seq, committed_seq; /* items queued, items committed (or dropped) */
    int flush_req;
    bool stop;
    bool failed;
    struct err werr;
    unsigned batch;
    struct writer_stmts ws;
    struct cert_seen certs[CERT_CACHE]; /* writer thread */
};

/* ---- SQL (PostgreSQL placeholders; db_sqlite.c rewrites them) ---- */

#define SVC_UPSERT_TAIL                                                                            \
    " ON CONFLICT (address, port, transport, service) DO UPDATE SET"                               \
    " first_seen = CASE WHEN services.closed_at IS NOT NULL THEN excluded.first_seen"              \
    "  WHEN excluded.first_seen < services.first_seen THEN excluded.first_seen"                    \
    "  ELSE services.first_seen END,"                                                              \
    " last_seen = CASE WHEN excluded.last_seen > services.last_seen THEN excluded.last_seen"       \
    "  ELSE services.last_seen END,"                                                               \
    " closed_at = NULL"

#define OBS_UPSERT_TAIL                                                                            \
    " ON CONFLICT (scan, service) DO UPDATE SET seen_at = excluded.seen_at,"                       \
    " product = excluded.product, version = excluded.version, auth = excluded.auth,"               \
    " severity = excluded.severity, records = excluded.records, bytes = excluded.bytes,"           \
    " cert = excluded.cert, cluster = excluded.cluster, record = excluded.record,"                 \
    " signals = excluded.signals"

/*
 * SQLite: the service row without RETURNING (which costs SQLite an
 * ephemeral table per execution, more than the insert itself): a row the
 * scope's map knows is updated by id (its identity checked too, so a stale
 * hint only falls through); otherwise an insert that does nothing on a
 * conflict gives the new id (last_insert_rowid), and a conflict is the
 * update by identity and a SELECT. The update is SVC_UPSERT_TAIL's.
 */
#define SVC_SET                                                                                    \
    " SET first_seen = CASE WHEN closed_at IS NOT NULL THEN $5 WHEN $5 < first_seen THEN $5"       \
    "  ELSE first_seen END,"                                                                       \
    " last_seen = CASE WHEN $6 > last_seen THEN $6 ELSE last_seen END, closed_at = NULL"
#define SVC_IDENTITY " address = $1 AND port = $2 AND transport = $3 AND service = $4"

static const char sql_svc_insert[] =
    "INSERT INTO services (address, port, transport, service, first_seen, last_seen)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (address, port, transport, service) DO NOTHING";
static const char sql_svc_update_id[] = "UPDATE services" SVC_SET " WHERE id = $7 AND" SVC_IDENTITY;
static const char sql_svc_update[] = "UPDATE services" SVC_SET " WHERE" SVC_IDENTITY;
static const char sql_svc_id[] = "SELECT id FROM services WHERE" SVC_IDENTITY;

static const char sql_obs_upsert[] =
    "INSERT INTO observations (scan, service, seen_at, product, version, auth, severity,"
    " records, bytes, cert, cluster, record, signals)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)" OBS_UPSERT_TAIL;

/* PostgreSQL: both in one round trip */
static const char sql_put_pg[] =
    "WITH s AS (INSERT INTO services (address, port, transport, service, first_seen, last_seen)"
    " VALUES ($1, $2, $3, $4, $5, $6)" SVC_UPSERT_TAIL " RETURNING id)"
    " INSERT INTO observations (scan, service, seen_at, product, version, auth, severity,"
    " records, bytes, cert, cluster, record, signals)"
    " SELECT $7::bigint, s.id, $8::bigint, $9::text, $10::text, $11::text, $12::text,"
    " $13::bigint, $14::bigint, $15::text, $16::text, $17::text, $18::text FROM s" OBS_UPSERT_TAIL;

static const char sql_cert_upsert[] =
    "INSERT INTO certificates (sha256, subject_cn, issuer_cn, not_before, not_after, self_signed,"
    " key_type, facts, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
    " ON CONFLICT (sha256) DO UPDATE SET"
    " last_seen = CASE WHEN excluded.last_seen > certificates.last_seen THEN excluded.last_seen"
    "  ELSE certificates.last_seen END";

/* by the service's identity, so no statement waits for another's result */
static const char sql_svccert_upsert[] =
    "INSERT INTO service_certs (service, sha256, first_seen, last_seen)"
    " SELECT id, $2, $3, $3 FROM services WHERE address = $1 AND port = $4 AND transport = $5"
    " AND service = $6"
    " ON CONFLICT (service, sha256) DO UPDATE SET"
    " last_seen = CASE WHEN excluded.last_seen > service_certs.last_seen THEN excluded.last_seen"
    "  ELSE service_certs.last_seen END";

/* SQLite: the service's id is known */
static const char sql_svccert_id[] =
    "INSERT INTO service_certs (service, sha256, first_seen, last_seen) VALUES ($1, $2, $3, $3)"
    " ON CONFLICT (service, sha256) DO UPDATE SET"
    " last_seen = CASE WHEN excluded.last_seen > service_certs.last_seen THEN excluded.last_seen"
    "  ELSE service_certs.last_seen END";

static const char sql_checkpoint[] = "UPDATE scans SET checkpoint = $1 WHERE id = $2";

static const char sql_lookup[] =
    "SELECT first_seen, last_seen, CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END, id FROM services"
    " WHERE address = $1 AND port = $2 AND transport = $3 AND service = $4";

/* ---- writer thread ---- */

static void bind_opt_text(struct db_stmt *st, int i, const char *s)
{
    db_bind_text(st, i, s && s[0] ? s : NULL);
}

static void bind_opt_int(struct db_stmt *st, int i, int64_t v)
{
    if (v >= 0)
        db_bind_int(st, i, v);
    else
        db_bind_null(st, i);
}

/* Run a statement that may return one row; *id gets column 0 when it does. */
static int step_done(struct db_stmt *st, int64_t *id, struct err *e)
{
    int r = db_step(st, e);
    if (r == 1 && id) *id = db_col_int(st, 0);
    while (r == 1)
        r = db_step(st, e);
    db_reset(st);
    return r;
}

static int writer_prepare(struct store *s, struct err *e)
{
    struct writer_stmts *w = &s->ws;
    if (db_kind(s->w) == DB_PG) {
        if (db_prepare(s->w, sql_put_pg, &w->put_pg, e) < 0 ||
            db_prepare(s->w, sql_svccert_upsert, &w->svccert, e) < 0)
            return -1;
    } else {
        if (db_prepare(s->w, sql_svc_insert, &w->svc_ins, e) < 0 ||
            db_prepare(s->w, sql_svc_update_id, &w->svc_upd_id, e) < 0 ||
            db_prepare(s->w, sql_svc_update, &w->svc_upd, e) < 0 ||
            db_prepare(s->w, sql_svc_id, &w->svc_id, e) < 0 ||
            db_prepare(s->w, sql_obs_upsert, &w->obs, e) < 0 ||
            db_prepare(s->w, sql_svccert_id, &w->svccert_id, e) < 0)
            return -1;
    }
    if (db_prepare(s->w, sql_cert_upsert, &w->cert, e) < 0 ||
        db_prepare(s->w, sql_checkpoint, &w->ckpt, e) < 0)
        return -1;
    return 0;
}

static void writer_finalize(struct store *s)
{
    struct writer_stmts *w = &s->ws;
    db_finalize(w->svc_ins);
    db_finalize(w->svc_upd_id);
    db_finalize(w->svc_upd);
    db_finalize(w->svc_id);
    db_finalize(w->obs);
    db_finalize(w->svccert_id);
    db_finalize(w->put_pg);
    db_finalize(w->svccert);
    db_finalize(w->cert);
    db_finalize(w->ckpt);
    memset(w, 0, sizeof *w);
}

static void bind_obs(struct db_stmt *st, int b, const struct item *it)
{
    db_bind_int(st, b + 0, it->t);
    bind_opt_text(st, b + 1, it->product);
    bind_opt_text(st, b + 2, it->version);
    db_bind_text(st, b + 3, auth_name(it->auth));
    db_bind_text(st, b + 4, severity_name(it->severity));
    bind_opt_int(st, b + 5, it->records);
    bind_opt_int(st, b + 6, it->bytes);
    db_bind_text(st, b + 7, it->cert ? it->cert->sha256 : NULL);
    bind_opt_text(st, b + 8, it->cluster);
    db_bind_text(st, b + 9, it->record);
    db_bind_text(st, b + 10, it->signals);
}

static void bind_svc(struct db_stmt *st, const struct item *it)
{
    db_bind_text(st, 1, it->ip);
    db_bind_int(st, 2, it->port);
    db_bind_text(st, 3, it->transport);
    db_bind_text(st, 4, it->service);
    db_bind_int(st, 5, it->first_seen);
    db_bind_int(st, 6, it->t);
}

/* SQLite: the service row inserted or updated; *id gets its id. */
static int apply_service_sqlite(struct store *s, const struct item *it, int64_t *id, struct err *e)
{
    struct writer_stmts *w = &s->ws;
    if (it->svc) {
        bind_svc(w->svc_upd_id, it);
        db_bind_int(w->svc_upd_id, 7, it->svc);
        if (db_send(w->svc_upd_id, e) < 0) return -1;
        if (db_changes(s->w) == 1) {
            *id = it->svc;
            return 0;
        }
    }
    bind_svc(w->svc_ins, it);
    if (db_send(w->svc_ins, e) < 0) return -1;
    if (db_changes(s->w) == 1) {
        *id = db_last_insert_id(s->w);
        return 0;
    }
    bind_svc(w->svc_upd, it);
    if (db_send(w->svc_upd, e) < 0) return -1;
    db_bind_text(w->svc_id, 1, it->ip);
    db_bind_int(w->svc_id, 2, it->port);
    db_bind_text(w->svc_id, 3, it->transport);
    db_bind_text(w->svc_id, 4, it->service);
    *id = 0;
    if (step_done(w->svc_id, id, e) < 0) return -1;
    if (!*id) return err_set(e, "the store lost the service %s:%u", it->ip, (unsigned)it->port);
    return 0;
}

static uint64_t sha_slot(const char *sha256)
{
    return fnv(14695981039346656037ull, sha256, strlen(sha256)) % CERT_CACHE;
}

static int apply_finding(struct store *s, const struct item *it, struct err *e)
{
    struct writer_stmts *w = &s->ws;
    bool pg = db_kind(s->w) == DB_PG;
    int64_t svc = 0;
    if (pg) {
        /* one statement, sent without waiting (pipeline) */
        struct db_stmt *st = w->put_pg;
        bind_svc(st, it);
        db_bind_int(st, 7, it->scan);
        bind_obs(st, 8, it);
        if (db_send(st, e) < 0) return -1;
    } else {
        if (apply_service_sqlite(s, it, &svc, e) < 0) return -1;
        db_bind_int(w->obs, 1, it->scan);
        db_bind_int(w->obs, 2, svc);
        bind_obs(w->obs, 3, it);
        if (db_send(w->obs, e) < 0) return -1;
    }
    if (it->cert) {
        const struct cert_item *c = it->cert;
        struct cert_seen *cs = &s->certs[sha_slot(c->sha256)];
        if (strcmp(cs->sha256, c->sha256) != 0 || cs->t < it->t) {
            db_bind_text(w->cert, 1, c->sha256);
            bind_opt_text(w->cert, 2, c->subject_cn);
            bind_opt_text(w->cert, 3, c->issuer_cn);
            db_bind_int(w->cert, 4, c->not_before);
            db_bind_int(w->cert, 5, c->not_after);
            db_bind_int(w->cert, 6, c->self_signed);
            bind_opt_text(w->cert, 7, c->key_type);
            db_bind_text(w->cert, 8, it->facts[0] ? it->facts : "{}");
            db_bind_int(w->cert, 9, it->t);
            if (db_send(w->cert, e) < 0) return -1;
            str_copy(cs->sha256, c->sha256, sizeof cs->sha256);
            cs->t = it->t;
        }
        if (pg) {
            db_bind_text(w->svccert, 1, it->ip);
            db_bind_text(w->svccert, 2, c->sha256);
            db_bind_int(w->svccert, 3, it->t);
            db_bind_int(w->svccert, 4, it->port);
            db_bind_text(w->svccert, 5, it->transport);
            db_bind_text(w->svccert, 6, it->service);
            if (db_send(w->svccert, e) < 0) return -1;
        } else {
            db_bind_int(w->svccert_id, 1, svc);
            db_bind_text(w->svccert_id, 2, c->sha256);
            db_bind_int(w->svccert_id, 3, it->t);
            if (db_send(w->svccert_id, e) < 0) return -1;
        }
    }
    return 0;
}

static int apply_item(struct store *s, const struct item *it, struct err *e)
{
    if (it->kind == IT_FINDING) return apply_finding(s, it, e);
    db_bind_int(s->ws.ckpt, 1, (int64_t)it->pos);
    db_bind_int(s->ws.ckpt, 2, it->scan);
    return db_send(s->ws.ckpt, e);
}

static void writer_fail(struct store *s, const struct err *e)
{
    pthread_mutex_lock(&s->mu);
    if (!s->failed) {
        s->failed = true;
        s->werr = *e;
    }
    pthread_mutex_unlock(&s->mu);
}

/* What the writer remembers of its writes is void after a rollback. */
static void writer_rollback(struct store *s)
{
    db_rollback(s->w);
    memset(s->certs, 0, sizeof s->certs);
}

static void *writer_main(void *arg)
{
    struct store *s = arg;
    struct item **batch = xcalloc(QUEUE_CAP, sizeof *batch);
    bool txn = false;
    int64_t txn_start = 0;
    uint64_t applied = 0, in_txn = 0; /* items applied; findings in the open transaction */
    uint64_t pending = 0;             /* items applied but not yet committed */
    struct err e = {{0}};
    if (!batch) {
        err_set(&e, "out of memory");
        writer_fail(s, &e);
        return NULL; /* store_close frees what is left in the queue */
    }
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->qlen == 0 && !s->stop && !(txn && s->flush_req)) {
            if (!txn) {
                pthread_cond_wait(&s->nonempty, &s->mu);
                continue;
            }
            int64_t left = txn_start + COMMIT_MS - now_ms();
            if (left <= 0) break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += left / 1000;
            ts.tv_nsec += (long)(left % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&s->nonempty, &s->mu, &ts) == ETIMEDOUT) break;
        }
        size_t n = 0;
        while (s->qlen) {
            batch[n++] = s->q[s->qhead];
            s->qhead = (s->qhead + 1) % QUEUE_CAP;
            s->qlen--;
        }
        bool stop = s->stop && s->qlen == 0;
        bool failed = s->failed;
        if (n) pthread_cond_broadcast(&s->nonfull);
        pthread_mutex_unlock(&s->mu);

        for (size_t i = 0; i < n; i++) {
            struct item *it = batch[i];
            if (!failed) {
                if (!txn) {
                    /* PostgreSQL: the writing transactions of every ajar process on the
                     * database (shards of one group, scan ends) take one advisory lock first,
                     * so two of them never wait on each other's rows (four shards at once
                     * deadlocked on a shared service or certificate row) */
                    if (db_begin(s->w, db_kind(s->w) == DB_PG, &e) < 0) goto fail;
                    txn = true;
                    if (db_pipeline(s->w, &e) < 0) goto fail;
                    txn_start = now_ms();
                    in_txn = 0;
                }
                if (apply_item(s, it, &e) < 0) goto fail;
                if (it->kind == IT_FINDING) in_txn++;
            }
            pending++;
            item_free(it);
            batch[i] = NULL;
            if (txn && in_txn >= s->batch) {
                if (db_commit(s->w, &e) < 0) goto fail;
                txn = false;
                applied += pending;
                pending = 0;
                pthread_mutex_lock(&s->mu);
                s->committed_seq = applied;
                pthread_cond_broadcast(&s->done);
                pthread_mutex_unlock(&s->mu);
            }
            continue;
        fail:
            if (txn) writer_rollback(s);
            txn = false;
            writer_fail(s, &e);
            /* a failed commit comes after this item was freed and counted */
            if (batch[i]) {
                pending++;
                item_free(it);
                batch[i] = NULL;
            }
            for (size_t k = i + 1; k < n; k++) {
                item_free(batch[k]);
                batch[k] = NULL;
                pending++;
            }
            break;
        }
        pthread_mutex_lock(&s->mu);
        bool flush = s->flush_req > 0 && s->qlen == 0;
        pthread_mutex_unlock(&s->mu);
        if (txn && (flush || stop || now_ms() - txn_start >= COMMIT_MS)) {
            if (db_commit(s->w, &e) < 0) {
                writer_rollback(s);
                writer_fail(s, &e);
            }
            txn = false;
        }
        if (!txn) {
            applied += pending;
            pending = 0;
        }
        pthread_mutex_lock(&s->mu);
        s->committed_seq = applied;
        pthread_cond_broadcast(&s->done);
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
    }
    free(batch);
    return NULL;
}

static int enqueue(struct store *s, struct item *it, struct err *e)
{
    pthread_mutex_lock(&s->mu);
    while (s->qlen == QUEUE_CAP && !s->failed)
        pthread_cond_wait(&s->nonfull, &s->mu);
    if (s->failed) {
        *e = s->werr;
        pthread_mutex_unlock(&s->mu);
        item_free(it);
        return -1;
    }
    /* consecutive checkpoints of one scan: only the newest matters */
    if (it->kind == IT_CHECKPOINT && s->qlen) {
        struct item *last = s->q[(s->qhead + s->qlen - 1) % QUEUE_CAP];
        if (last->kind == IT_CHECKPOINT && last->scan == it->scan) {
            last->pos = it->pos;
            pthread_mutex_unlock(&s->mu);
            item_free(it);
            return 0;
        }
    }
    s->q[(s->qhead + s->qlen) % QUEUE_CAP] = it;
    s->qlen++;
    s->enq_seq++;
    pthread_cond_signal(&s->nonempty);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int store_flush(struct store *s, struct err *e)
{
    pthread_mutex_lock(&s->mu);
    uint64_t target = s->enq_seq;
    s->flush_req++;
    pthread_cond_signal(&s->nonempty);
    while (s->committed_seq < target && !s->failed)
        pthread_cond_wait(&s->done, &s->mu);
    s->flush_req--;
    int rc = 0;
    if (s->failed) {
        *e = s->werr;
        rc = -1;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void store_set_batch(struct store *s, unsigned n)
{
    pthread_mutex_lock(&s->mu);
    s->batch = n ? n : 1;
    pthread_mutex_unlock(&s->mu);
}

/* ---- open / close ---- */

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
        item_free(s->q[(s->qhead + i) % QUEUE_CAP]);
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
    if (seen_put(&s->seen, h, db_col_int(st, 4), db_col_int(st, 5), db_col_int(st, 7), closed) <
            0 ||
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
                     " CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END, id FROM services WHERE id IN"
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
    return enqueue(s, it, e);
}

/* Since when is this service open? From the scope's map, else from the database. */
static int seen_lookup(struct store *s, uint64_t h, const char *ip, uint16_t port,
                       const char *transport, const char *service, int64_t *first, int64_t *last,
                       int64_t *id, int *closed, bool *found, struct err *e)
{
    struct seen_entry *se = seen_find(&s->seen, h);
    *found = false;
    if (se) {
        *found = true;
        *first = se->first;
        *last = se->last;
        *id = se->id;
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
    int64_t first = t, last = t, svc = 0;
    int closed = 0;
    bool found;
    if (seen_lookup(s, h, f->ip, f->port, transport, service, &first, &last, &svc, &closed, &found,
                    e) < 0)
        return -1;
    if (!found || closed) first = t;
    if (first > t) first = t;
    if (last < t) last = t;
    if (seen_put(&s->seen, h, first, last, svc, 0) < 0) return err_set(e, "out of memory");
    f->first_seen = (time_t)first;
    f->last_seen = (time_t)last;

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
    it->records = f->records;
    it->bytes = f->bytes;
    str_copy(it->cluster, f->cluster, sizeof it->cluster);
    if (cert) {
        struct cert_item *c = xmalloc(sizeof *c);
        if (!c) {
            item_free(it);
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
    return enqueue(s, it, e); /* enqueue owns it now, even on failure */
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
