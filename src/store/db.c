/*
 * store/db.c -- picks the backend of a connection (a postgresql:// URL or
 * a file path) and forwards every db.h call to it. The backends' structs
 * start with the kind (connections) or the connection (statements), which
 * is all this file reads. db_query, the prepare-bind-step loop, is written
 * here once on top of those calls.
 */
#include "store/db_impl.h"

#include <stdarg.h>

#include <string.h>

#define KIND(d)          (((const struct db_head *)(const void *)(d))->kind)
#define SKIND(s)         KIND(((const struct db_stmt_head *)(const void *)(s))->d)
#define CALL(k, fn, ...) ((k) == DB_PG ? db_pg_##fn(__VA_ARGS__) : db_sqlite_##fn(__VA_ARGS__))

bool db_is_pg_url(const char *where)
{
    return str_iprefix(where, "postgresql://") || str_iprefix(where, "postgres://");
}

int db_open(struct db **out, const char *where, struct err *e)
{
    *out = NULL;
    if (!where || !where[0]) return err_set(e, "no database given");
    return db_is_pg_url(where) ? db_pg_open(out, where, e) : db_sqlite_open(out, where, e);
}

void db_close(struct db *d)
{
    if (!d) return;
    if (KIND(d) == DB_PG)
        db_pg_close(d);
    else
        db_sqlite_close(d);
}

enum db_kind db_kind(const struct db *d)
{
    return KIND(d);
}

int db_exec(struct db *d, const char *sql, struct err *e)
{
    return CALL(KIND(d), exec, d, sql, e);
}

int db_begin(struct db *d, bool exclusive, struct err *e)
{
    return CALL(KIND(d), begin, d, exclusive, e);
}

int db_commit(struct db *d, struct err *e)
{
    return db_exec(d, "COMMIT", e);
}

void db_rollback(struct db *d)
{
    struct err ignored;
    db_exec(d, "ROLLBACK", &ignored);
}

int db_prepare(struct db *d, const char *sql, struct db_stmt **out, struct err *e)
{
    return CALL(KIND(d), prepare, d, sql, out, e);
}

void db_finalize(struct db_stmt *st)
{
    if (!st) return;
    if (SKIND(st) == DB_PG)
        db_pg_finalize(st);
    else
        db_sqlite_finalize(st);
}

void db_bind_int(struct db_stmt *st, int i, int64_t v)
{
    if (SKIND(st) == DB_PG)
        db_pg_bind_int(st, i, v);
    else
        db_sqlite_bind_int(st, i, v);
}

void db_bind_text(struct db_stmt *st, int i, const char *s)
{
    if (SKIND(st) == DB_PG)
        db_pg_bind_text(st, i, s);
    else
        db_sqlite_bind_text(st, i, s);
}

void db_bind_null(struct db_stmt *st, int i)
{
    db_bind_text(st, i, NULL);
}

int db_step(struct db_stmt *st, struct err *e)
{
    return CALL(SKIND(st), step, st, e);
}

int64_t db_col_int(struct db_stmt *st, int i)
{
    return CALL(SKIND(st), col_int, st, i);
}

const char *db_col_text(struct db_stmt *st, int i)
{
    return CALL(SKIND(st), col_text, st, i);
}

bool db_col_null(struct db_stmt *st, int i)
{
    return CALL(SKIND(st), col_null, st, i);
}

void db_stream(struct db_stmt *st)
{
    if (SKIND(st) == DB_PG) db_pg_stream(st);
}

void db_reset(struct db_stmt *st)
{
    if (SKIND(st) == DB_PG)
        db_pg_reset(st);
    else
        db_sqlite_reset(st);
}

static int vquery(struct db *d, bool stream, const char *sql, const char *types,
                  int (*fn)(void *arg, struct db_stmt *st), void *arg, struct err *e, va_list ap)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d, sql, &st, e) < 0) return -1;
    if (stream) db_stream(st);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 'i')
            db_bind_int(st, i + 1, va_arg(ap, int64_t));
        else
            db_bind_text(st, i + 1, va_arg(ap, const char *));
    }
    int r;
    while ((r = db_step(st, e)) == 1) {
        int rc = fn ? fn(arg, st) : 0;
        if (rc != 0) {
            r = rc < 0 ? -1 : 0;
            break;
        }
    }
    db_finalize(st);
    return r < 0 ? -1 : 0;
}

int db_query(struct db *d, const char *sql, const char *types,
             int (*fn)(void *arg, struct db_stmt *st), void *arg, struct err *e, ...)
{
    va_list ap;
    va_start(ap, e);
    int rc = vquery(d, false, sql, types, fn, arg, e, ap);
    va_end(ap);
    return rc;
}

int db_query_stream(struct db *d, const char *sql, const char *types,
                    int (*fn)(void *arg, struct db_stmt *st), void *arg, struct err *e, ...)
{
    va_list ap;
    va_start(ap, e);
    int rc = vquery(d, true, sql, types, fn, arg, e, ap);
    va_end(ap);
    return rc;
}

int db_row_int(void *arg, struct db_stmt *st)
{
    *(int64_t *)arg = db_col_int(st, 0);
    return 1;
}

int db_pipeline(struct db *d, struct err *e)
{
    return KIND(d) == DB_PG ? db_pg_pipeline(d, e) : 0;
}

int64_t db_changes(struct db *d)
{
    return KIND(d) == DB_PG ? -1 : db_sqlite_changes(d);
}

int64_t db_last_insert_id(struct db *d)
{
    return KIND(d) == DB_PG ? -1 : db_sqlite_last_insert_id(d);
}

int db_wal_background(struct db *d, struct err *e)
{
    return KIND(d) == DB_PG ? 0 : db_sqlite_wal_background(d, e);
}

int db_send(struct db_stmt *st, struct err *e)
{
    if (SKIND(st) == DB_PG) return db_pg_send(st, e);
    int r;
    while ((r = db_sqlite_step(st, e)) == 1)
        ;
    db_sqlite_reset(st);
    return r;
}
