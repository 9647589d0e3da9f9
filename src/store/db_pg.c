/*
 * store/db_pg.c -- the db.h layer over libpq: the store for several
 * scanners writing into one database at once.
 *
 * A prepared statement is a server-side prepared statement (PQprepare)
 * executed with PQexecPrepared and text parameters; the whole result is
 * fetched on the first db_step() and handed out row by row. Integers
 * travel as decimal text, which is what PostgreSQL's text format is.
 *
 * Server-side statements are kept per connection, by their SQL text (up to
 * STMT_CACHE of them, the least recently used one closed with DEALLOCATE
 * when a new one needs its place and nobody holds it): preparing the same
 * SQL again costs no round trip, and a long-lived connection (the
 * dashboard's pool) no longer piles up a statement on the server for each
 * query it ever ran -- db_finalize() used to free only the client's side,
 * so the server kept every one until the connection closed. A statement
 * that finds the cache full of held ones is closed at db_finalize().
 *
 * Notices ("relation already exists, skipping") are silenced: the store
 * reports its own errors through struct err.
 */
#include "store/db_impl.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE 64

struct pg_cached {
    char *sql; /* NULL: free slot */
    uint64_t hash, used;
    char name[24];
    int nparams;
    int refs; /* db_stmts using it now */
};

struct db {
    enum db_kind kind;
    PGconn *c;
    unsigned next_stmt;
    bool pipeline; /* in libpq pipeline mode */
    int pending;   /* statements sent since the last sync */
    uint64_t tick;
    struct pg_cached cache[STMT_CACHE];
};

#define PIPELINE_SYNC_EVERY 256

struct db_stmt {
    struct db *d;
    struct pg_cached *cached; /* NULL: not cached, DEALLOCATE at finalize */
    char name[24];
    int nparams;
    const char *vals[DB_MAX_PARAMS];
    char ibuf[DB_MAX_PARAMS][24];
    PGresult *res;
    int row, nrows;
    bool stream;    /* db_stream: one row at a time (libpq single-row mode) */
    bool in_flight; /* streaming: sent, rows left to read */
};

static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* libpq messages end with a newline; the store's sentences do not. */
static int pg_err(struct err *e, const char *what, const char *msg)
{
    char m[200];
    str_copy(m, msg ? msg : "unknown error", sizeof m);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        m[--n] = 0;
    return err_set(e, "postgresql: %s: %s", what, m);
}

static bool pg_local_host(const char *h)
{
    if (!*h || h[0] == '/' || h[0] == '@') return true; /* a Unix socket directory */
    if (!strcmp(h, "localhost") || !strcmp(h, "::1") || !strncmp(h, "127.", 4)) return true;
    return false;
}

int db_pg_conninfo_secure(const char *where, char *out, size_t n)
{
    if (strlen(where) + 24 > n) return -1;
    char *msg = NULL;
    PQconninfoOption *o = PQconninfoParse(where, &msg);
    PQfreemem(msg);
    if (!o) return -1;
    bool has_mode = false, remote = false, any_host = false;
    for (PQconninfoOption *p = o; p->keyword; p++) {
        if (!p->val || !*p->val) continue;
        if (!strcmp(p->keyword, "sslmode")) has_mode = true;
        if (!strcmp(p->keyword, "host") || !strcmp(p->keyword, "hostaddr")) {
            any_host = true;
            char hosts[1024];
            str_copy(hosts, p->val, sizeof hosts);
            for (char *sv = NULL, *h = strtok_r(hosts, ",", &sv); h; h = strtok_r(NULL, ",", &sv))
                if (!pg_local_host(h)) remote = true;
        }
    }
    PQconninfoFree(o);
    const char *env = getenv("PGSSLMODE");
    if (has_mode || (env && *env) || !any_host || !remote) {
        str_copy(out, where, n);
        return 0;
    }
    bool uri = strstr(where, "://") != NULL;
    str_fmt(out, n, "%s%s", where,
            !uri                 ? " sslmode=verify-full"
            : strchr(where, '?') ? "&sslmode=verify-full"
                                 : "?sslmode=verify-full");
    return 1;
}

int db_pg_open(struct db **out, const char *where, struct err *e)
{
    *out = NULL;
    struct db *d = xcalloc(1, sizeof *d);
    if (!d) return err_set(e, "out of memory");
    d->kind = DB_PG;
    /* a store on another machine is reached over verified TLS unless sslmode says otherwise
     * (libpq's default, prefer, takes any certificate or none) */
    char conninfo[4096];
    if (db_pg_conninfo_secure(where, conninfo, sizeof conninfo) < 0)
        str_copy(conninfo, where, sizeof conninfo);
    d->c = PQconnectdb(conninfo);
    if (!d->c || PQstatus(d->c) != CONNECTION_OK) {
        pg_err(e, "cannot connect", d->c ? PQerrorMessage(d->c) : "out of memory");
        PQfinish(d->c);
        free(d);
        return -1;
    }
    PQsetNoticeProcessor(d->c, quiet_notice, NULL);
    *out = d;
    return 0;
}

void db_pg_close(struct db *d)
{
    PQfinish(d->c);
    for (int i = 0; i < STMT_CACHE; i++)
        free(d->cache[i].sql);
    free(d);
}

/* Close a server-side statement (errors ignored: at worst it stays until the connection ends). */
static void deallocate(struct db *d, const char *name)
{
    if (d->pipeline) return;
    char q[48];
    str_fmt(q, sizeof q, "DEALLOCATE %s", name);
    PQclear(PQexec(d->c, q));
}

/* Sync: read every pending result; the first error wins. */
static int pipeline_sync(struct db *d, struct err *e)
{
    int rc = 0, nulls = 0;
    if (PQpipelineSync(d->c) != 1) return pg_err(e, "pipeline", PQerrorMessage(d->c));
    for (;;) {
        PGresult *r = PQgetResult(d->c);
        if (!r) {
            /* one NULL ends each statement's results; two in a row: nothing more will come */
            if (++nulls > 1 || PQstatus(d->c) != CONNECTION_OK) {
                if (!rc) rc = pg_err(e, "pipeline", PQerrorMessage(d->c));
                break;
            }
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !rc)
            rc = pg_err(e, "query",
                        st == PGRES_PIPELINE_ABORTED ? "aborted by an earlier error"
                                                     : PQresultErrorMessage(r));
        PQclear(r);
    }
    d->pending = 0;
    return rc;
}

static int pipeline_end(struct db *d, struct err *e)
{
    int rc = pipeline_sync(d, e);
    if (PQexitPipelineMode(d->c) != 1 && !rc) rc = pg_err(e, "pipeline", PQerrorMessage(d->c));
    d->pipeline = false;
    return rc;
}

int db_pg_pipeline(struct db *d, struct err *e)
{
    if (d->pipeline) return 0;
    if (PQenterPipelineMode(d->c) != 1) return pg_err(e, "pipeline", PQerrorMessage(d->c));
    d->pipeline = true;
    d->pending = 0;
    return 0;
}

int db_pg_send(struct db_stmt *st, struct err *e)
{
    struct db *d = st->d;
    if (!d->pipeline) {
        int r;
        while ((r = db_pg_step(st, e)) == 1)
            ;
        db_pg_reset(st);
        return r;
    }
    int rc = 0;
    if (PQsendQueryPrepared(d->c, st->name, st->nparams, st->vals, NULL, NULL, 0) != 1)
        rc = pg_err(e, "send", PQerrorMessage(d->c));
    else if (++d->pending >= PIPELINE_SYNC_EVERY)
        rc = pipeline_sync(d, e);
    db_pg_reset(st);
    return rc;
}

int db_pg_exec(struct db *d, const char *sql, struct err *e)
{
    /* the end of a pipeline: its errors fail this statement, unless it is the rollback */
    if (d->pipeline && pipeline_end(d, e) < 0 && strcmp(sql, "ROLLBACK") != 0) return -1;
    PGresult *r = PQexec(d->c, sql);
    ExecStatusType s = PQresultStatus(r);
    int rc = 0;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) rc = pg_err(e, "exec", PQerrorMessage(d->c));
    PQclear(r);
    return rc;
}

int db_pg_begin(struct db *d, bool exclusive, struct err *e)
{
    if (db_pg_exec(d, "BEGIN", e) < 0) return -1;
    /* one lock shared by every ajar process on this database ('ajar') */
    if (exclusive && db_pg_exec(d, "SELECT pg_advisory_xact_lock(1634359666)", e) < 0) {
        db_pg_exec(d, "ROLLBACK", e);
        return -1;
    }
    return 0;
}

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

int db_pg_prepare(struct db *d, const char *sql, struct db_stmt **out, struct err *e)
{
    *out = NULL;
    struct db_stmt *st = xcalloc(1, sizeof *st);
    if (!st) return err_set(e, "out of memory");
    st->d = d;
    uint64_t h = sql_hash(sql);
    struct pg_cached *slot = NULL;
    for (int i = 0; i < STMT_CACHE; i++) {
        struct pg_cached *c = &d->cache[i];
        if (c->sql && c->hash == h && !strcmp(c->sql, sql)) {
            c->refs++;
            c->used = ++d->tick;
            st->cached = c;
            str_copy(st->name, c->name, sizeof st->name);
            st->nparams = c->nparams;
            *out = st;
            return 0;
        }
        /* a free slot, else the least recently used one nobody holds */
        if (!c->refs && (!slot || (slot->sql && (!c->sql || c->used < slot->used)))) slot = c;
    }
    str_fmt(st->name, sizeof st->name, "ajar_%u", d->next_stmt++);
    /* the highest $N is the parameter count the server will expect */
    for (const char *p = sql; *p; p++) {
        if (*p != '$') continue;
        uint64_t v = 0;
        size_t k = 0;
        while (p[1 + k] >= '0' && p[1 + k] <= '9')
            k++;
        if (k && parse_u64n(p + 1, k, DB_MAX_PARAMS, &v) == 0 && (int)v > st->nparams)
            st->nparams = (int)v;
    }
    PGresult *r = PQprepare(d->c, st->name, sql, st->nparams, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        pg_err(e, "prepare", PQerrorMessage(d->c));
        PQclear(r);
        free(st);
        return -1;
    }
    PQclear(r);
    char *copy = slot ? xstrdup(sql) : NULL;
    if (copy) {
        if (slot->sql) {
            deallocate(d, slot->name);
            free(slot->sql);
        }
        *slot = (struct pg_cached){copy, h, ++d->tick, {0}, st->nparams, 1};
        str_copy(slot->name, st->name, sizeof slot->name);
        st->cached = slot;
    }
    *out = st;
    return 0;
}

static void stream_end(struct db_stmt *st);

void db_pg_finalize(struct db_stmt *st)
{
    stream_end(st);
    if (st->cached)
        st->cached->refs--;
    else
        deallocate(st->d, st->name);
    free(st);
}

void db_pg_bind_int(struct db_stmt *st, int i, int64_t v)
{
    if (i < 1 || i > DB_MAX_PARAMS) return;
    str_fmt(st->ibuf[i - 1], sizeof st->ibuf[0], "%lld", (long long)v);
    st->vals[i - 1] = st->ibuf[i - 1];
}

void db_pg_bind_text(struct db_stmt *st, int i, const char *s)
{
    if (i < 1 || i > DB_MAX_PARAMS) return;
    st->vals[i - 1] = s;
}

void db_pg_stream(struct db_stmt *st)
{
    st->stream = true;
}

/* Read and drop what a streaming statement has left, so the connection is free again. */
static void stream_end(struct db_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    st->row = st->nrows = 0;
    if (!st->in_flight) return;
    PGresult *r;
    while ((r = PQgetResult(st->d->c)))
        PQclear(r);
    st->in_flight = false;
}

static int stream_step(struct db_stmt *st, struct err *e)
{
    PGconn *c = st->d->c;
    if (!st->in_flight) {
        if (st->res) return 0; /* finished: the done marker below */
        if (PQsendQueryPrepared(c, st->name, st->nparams, st->vals, NULL, NULL, 0) != 1)
            return pg_err(e, "query", PQerrorMessage(c));
        st->in_flight = true;
        if (PQsetSingleRowMode(c) != 1) {
            stream_end(st);
            return err_set(e, "postgresql: cannot read a result row by row");
        }
    }
    PQclear(st->res);
    st->res = PQgetResult(c);
    ExecStatusType s = PQresultStatus(st->res);
    if (s == PGRES_SINGLE_TUPLE) {
        st->row = 0;
        st->nrows = 1;
        return 1;
    }
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
        stream_end(st);
        st->res = PQmakeEmptyPGresult(c, PGRES_TUPLES_OK); /* finished until db_reset */
        return st->res ? 0 : err_set(e, "out of memory");
    }
    pg_err(e, "query", PQerrorMessage(c));
    stream_end(st);
    return -1;
}

int db_pg_step(struct db_stmt *st, struct err *e)
{
    if (st->d->pipeline && pipeline_end(st->d, e) < 0) return -1;
    if (st->stream) return stream_step(st, e);
    if (!st->res) {
        st->res = PQexecPrepared(st->d->c, st->name, st->nparams, st->vals, NULL, NULL, 0);
        ExecStatusType s = PQresultStatus(st->res);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            pg_err(e, "query", PQerrorMessage(st->d->c));
            PQclear(st->res);
            st->res = NULL;
            return -1;
        }
        st->nrows = PQntuples(st->res);
        st->row = -1;
    }
    if (st->row + 1 >= st->nrows) {
        st->row = st->nrows;
        return 0;
    }
    st->row++;
    return 1;
}

int64_t db_pg_col_int(struct db_stmt *st, int i)
{
    if (!st->res || st->row < 0 || st->row >= st->nrows || PQgetisnull(st->res, st->row, i))
        return 0;
    const char *v = PQgetvalue(st->res, st->row, i);
    errno = 0;
    long long x = strtoll(v, NULL, 10);
    return errno ? 0 : (int64_t)x;
}

const char *db_pg_col_text(struct db_stmt *st, int i)
{
    if (!st->res || st->row < 0 || st->row >= st->nrows || PQgetisnull(st->res, st->row, i))
        return NULL;
    return PQgetvalue(st->res, st->row, i);
}

bool db_pg_col_null(struct db_stmt *st, int i)
{
    return !st->res || st->row < 0 || st->row >= st->nrows || PQgetisnull(st->res, st->row, i);
}

void db_pg_reset(struct db_stmt *st)
{
    stream_end(st);
    memset(st->vals, 0, sizeof st->vals);
}
