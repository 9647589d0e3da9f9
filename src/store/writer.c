/*
 * store/writer.c -- the store's writer thread (see store.c's header for the design): it drains
 * the bounded queue of items store_put() and store_checkpoint() fill, and applies them in
 * queue order in batched transactions on its own connection -- a commit every `batch`
 * findings or every COMMIT_MS, whichever comes first; a failure rolls the batch back and
 * fails every later call. Holds the statements that write services, observations,
 * certificates and checkpoints.
 */
#include "store/writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COMMIT_MS 200

void writer_item_free(struct item *it)
{
    if (!it) return;
    free(it->cert);
    free(it);
}

/* ---- SQL (PostgreSQL placeholders; db_sqlite.c rewrites them) ---- */

#define SVC_UPSERT_TAIL                                                                            \
    " ON CONFLICT (address, port, transport, service) DO UPDATE SET"                               \
    " first_seen = CASE WHEN services.closed_at IS NOT NULL THEN excluded.first_seen"              \
    "  WHEN excluded.first_seen < services.first_seen THEN excluded.first_seen"                    \
    "  ELSE services.first_seen END,"                                                              \
    " last_seen = CASE WHEN excluded.last_seen > services.last_seen THEN excluded.last_seen"       \
    "  ELSE services.last_seen END,"                                                               \
    " first_scan = CASE WHEN services.closed_at IS NOT NULL OR services.first_scan = 0"            \
    "  THEN excluded.first_scan ELSE services.first_scan END,"                                     \
    " closed_at = NULL"

#define OBS_UPSERT_TAIL                                                                            \
    " ON CONFLICT (scan, service) DO UPDATE SET seen_at = excluded.seen_at,"                       \
    " product = excluded.product, version = excluded.version, auth = excluded.auth,"               \
    " severity = excluded.severity, records = excluded.records, bytes = excluded.bytes,"           \
    " cert = excluded.cert, cluster = excluded.cluster, record = excluded.record,"                 \
    " signals = excluded.signals, first_scan = excluded.first_scan"

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
    " last_seen = CASE WHEN $6 > last_seen THEN $6 ELSE last_seen END,"                            \
    " first_scan = CASE WHEN closed_at IS NOT NULL OR first_scan = 0 THEN $7 ELSE first_scan END," \
    " closed_at = NULL"

#define SVC_IDENTITY " address = $1 AND port = $2 AND transport = $3 AND service = $4"

static const char sql_svc_insert[] =
    "INSERT INTO services (address, port, transport, service, first_seen, last_seen, first_scan)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (address, port, transport, service) DO "
    "NOTHING";

static const char sql_svc_update_id[] = "UPDATE services" SVC_SET " WHERE id = $8 AND" SVC_IDENTITY;

static const char sql_svc_update[] = "UPDATE services" SVC_SET " WHERE" SVC_IDENTITY;

static const char sql_svc_id[] = "SELECT id FROM services WHERE" SVC_IDENTITY;

static const char sql_obs_upsert[] =
    "INSERT INTO observations (scan, service, seen_at, product, version, auth, severity,"
    " records, bytes, cert, cluster, record, signals, first_scan)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)" OBS_UPSERT_TAIL;

/* PostgreSQL: both in one round trip */
static const char sql_put_pg[] =
    "WITH s AS (INSERT INTO services (address, port, transport, service, first_seen, last_seen,"
    " first_scan) VALUES ($1, $2, $3, $4, $5, $6, $19::bigint)" SVC_UPSERT_TAIL " RETURNING id)"
    " INSERT INTO observations (scan, service, seen_at, product, version, auth, severity,"
    " records, bytes, cert, cluster, record, signals, first_scan)"
    " SELECT $7::bigint, s.id, $8::bigint, $9::text, $10::text, $11::text, $12::text,"
    " $13::bigint, $14::bigint, $15::text, $16::text, $17::text, $18::text, $19::bigint FROM "
    "s" OBS_UPSERT_TAIL;

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

int writer_prepare(struct store *s, struct err *e)
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

void writer_finalize(struct store *s)
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
    db_bind_int(st, b + 11, it->first_scan);
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
        db_bind_int(w->svc_upd_id, 7, it->first_scan);
        db_bind_int(w->svc_upd_id, 8, it->svc);
        if (db_send(w->svc_upd_id, e) < 0) return -1;
        if (db_changes(s->w) == 1) {
            *id = it->svc;
            return 0;
        }
    }
    bind_svc(w->svc_ins, it);
    db_bind_int(w->svc_ins, 7, it->first_scan);
    if (db_send(w->svc_ins, e) < 0) return -1;
    if (db_changes(s->w) == 1) {
        *id = db_last_insert_id(s->w);
        return 0;
    }
    bind_svc(w->svc_upd, it);
    db_bind_int(w->svc_upd, 7, it->first_scan);
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

void *writer_main(void *arg)
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
            writer_item_free(it);
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
                writer_item_free(it);
                batch[i] = NULL;
            }
            for (size_t k = i + 1; k < n; k++) {
                writer_item_free(batch[k]);
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

int writer_enqueue(struct store *s, struct item *it, struct err *e)
{
    pthread_mutex_lock(&s->mu);
    while (s->qlen == QUEUE_CAP && !s->failed)
        pthread_cond_wait(&s->nonfull, &s->mu);
    if (s->failed) {
        *e = s->werr;
        pthread_mutex_unlock(&s->mu);
        writer_item_free(it);
        return -1;
    }
    /* consecutive checkpoints of one scan: only the newest matters */
    if (it->kind == IT_CHECKPOINT && s->qlen) {
        struct item *last = s->q[(s->qhead + s->qlen - 1) % QUEUE_CAP];
        if (last->kind == IT_CHECKPOINT && last->scan == it->scan) {
            last->pos = it->pos;
            pthread_mutex_unlock(&s->mu);
            writer_item_free(it);
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
