/*
 * store/db_impl.h -- the two backends behind db.h, as db.c dispatches to
 * them. Private to src/store. Every backend's struct db and struct db_stmt
 * start with the members below, which is all db.c looks at.
 */
#ifndef AJAR_STORE_DB_IMPL_H
#define AJAR_STORE_DB_IMPL_H

#include "store/db.h"

struct db_head {
    enum db_kind kind;
};
struct db_stmt_head {
    struct db *d;
};

#define DB_BACKEND_DECLARE(p)                                                                      \
    int p##_open(struct db **out, const char *where, struct err *e);                               \
    void p##_close(struct db *d);                                                                  \
    int p##_exec(struct db *d, const char *sql, struct err *e);                                    \
    int p##_begin(struct db *d, bool exclusive, struct err *e);                                    \
    int p##_prepare(struct db *d, const char *sql, struct db_stmt **out, struct err *e);           \
    void p##_finalize(struct db_stmt *st);                                                         \
    void p##_bind_int(struct db_stmt *st, int i, int64_t v);                                       \
    void p##_bind_text(struct db_stmt *st, int i, const char *s);                                  \
    int p##_step(struct db_stmt *st, struct err *e);                                               \
    int64_t p##_col_int(struct db_stmt *st, int i);                                                \
    const char *p##_col_text(struct db_stmt *st, int i);                                           \
    bool p##_col_null(struct db_stmt *st, int i);                                                  \
    void p##_reset(struct db_stmt *st);

DB_BACKEND_DECLARE(db_sqlite)
DB_BACKEND_DECLARE(db_pg)
int db_pg_pipeline(struct db *d, struct err *e);
/* `where` as it is connected to: with sslmode=verify-full added when it names no sslmode (nor
 * PGSSLMODE does) and a host that is not this machine (1); unchanged (0); -1 unparsable. */
int db_pg_conninfo_secure(const char *where, char *out, size_t n);
int db_pg_send(struct db_stmt *st, struct err *e);
void db_pg_stream(struct db_stmt *st);
int64_t db_sqlite_changes(struct db *d);
int64_t db_sqlite_last_insert_id(struct db *d);
int db_sqlite_wal_background(struct db *d, struct err *e);

#endif
