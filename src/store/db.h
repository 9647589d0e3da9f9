/*
 * store/db.h -- the little SQL layer under the store: one connection, its
 * prepared statements, bound parameters, rows. Two backends implement it,
 * db_sqlite.c (a file, WAL) and db_pg.c (libpq); the store writes every
 * query once against this interface, so the two databases keep the same
 * schema and the same behaviour by construction.
 *
 * SQL is written with PostgreSQL's $1, $2 placeholders; the SQLite backend
 * reads them as ?1, ?2. Values only ever travel as bound parameters: the
 * SQL text is always a constant of this program.
 *
 * A connection belongs to one thread at a time. Statements are owned by
 * their connection and finalised by db_close() if the caller did not.
 */
#ifndef AJAR_STORE_DB_H
#define AJAR_STORE_DB_H

#include "core/util.h"

#include <stdbool.h>
#include <stdint.h>

enum db_kind { DB_SQLITE = 1, DB_PG };

struct db;
struct db_stmt;

#define DB_MAX_PARAMS 64

/* Open `where`: a postgresql:// (or postgres://) URL, else a file path. */
int db_open(struct db **out, const char *where, struct err *e);
void db_close(struct db *d);
enum db_kind db_kind(const struct db *d);
/* True when where names a PostgreSQL server. */
bool db_is_pg_url(const char *where);

/* Run constant SQL without parameters (may hold several statements). */
int db_exec(struct db *d, const char *sql, struct err *e);
/*
 * Transactions. db_begin(d, true) takes the write lock at once (SQLite
 * BEGIN IMMEDIATE; PostgreSQL an advisory transaction lock shared by every
 * ajar process) so read-then-write sequences such as joining a scan group
 * cannot interleave between processes.
 */
int db_begin(struct db *d, bool exclusive, struct err *e);
int db_commit(struct db *d, struct err *e);
void db_rollback(struct db *d);

int db_prepare(struct db *d, const char *sql, struct db_stmt **out, struct err *e);
void db_finalize(struct db_stmt *st);
/*
 * Parameters are numbered from 1. Text is borrowed, not copied: it must stay
 * valid until the next db_step() returns (the hot path binds a record's JSON
 * and must not copy it twice). A NULL text binds NULL.
 */
void db_bind_int(struct db_stmt *st, int i, int64_t v);
void db_bind_text(struct db_stmt *st, int i, const char *s);
void db_bind_null(struct db_stmt *st, int i);
/* 1: a row is ready; 0: done; -1: error (in e). */
int db_step(struct db_stmt *st, struct err *e);
/* Columns of the current row, numbered from 0. NULL text reads as NULL, NULL int as 0. */
int64_t db_col_int(struct db_stmt *st, int i);
const char *db_col_text(struct db_stmt *st, int i);
bool db_col_null(struct db_stmt *st, int i);
/* Ready the statement for new bindings (clears them). */
void db_reset(struct db_stmt *st);
/*
 * Read this statement's rows one at a time rather than all at once (before
 * its first db_step). SQLite always does; on PostgreSQL libpq otherwise
 * holds the whole result in memory (1,000,000 findings made the dashboard's
 * index build 1.8 GB). While such a statement has rows left, nothing else
 * may run on its connection; db_reset and db_finalize read what is left.
 */
void db_stream(struct db_stmt *st);

/*
 * Prepare sql, bind the arguments after e by a type string ('i' int64_t,
 * 't' text, NULL binding NULL), run it to its end and finalise it; fn (may
 * be NULL) sees each row and returns 0 for more, > 0 to stop, < 0 for an
 * error it put in e. 0 ok, -1 error (in e).
 */
int db_query(struct db *d, const char *sql, const char *types,
             int (*fn)(void *arg, struct db_stmt *st), void *arg, struct err *e, ...);
/* The same with db_stream: fn must not run anything on d (the rows are still coming). */
int db_query_stream(struct db *d, const char *sql, const char *types,
                    int (*fn)(void *arg, struct db_stmt *st), void *arg, struct err *e, ...);
/* A row callback for db_query: column 0 of the first row into *(int64_t *)arg. */
int db_row_int(void *arg, struct db_stmt *st);

/*
 * Batched writes. db_send() runs a statement whose rows nobody reads and
 * readies it for new bindings. On PostgreSQL between db_pipeline(d, true)
 * and the next db_exec/db_commit/db_rollback (which end the pipeline), it
 * only sends (libpq pipeline mode): no round trip per statement; results
 * are read every 256 statements and at the end, and an error in any of them
 * fails that end (the transaction must then be rolled back). On SQLite
 * db_pipeline does nothing and db_send runs the statement at once.
 */
int db_pipeline(struct db *d, struct err *e);
int db_send(struct db_stmt *st, struct err *e);

/*
 * SQLite only (PostgreSQL answers -1): the rows the last INSERT, UPDATE or
 * DELETE that ran to its end on d changed, and the rowid of the last row
 * inserted on d. With these an insert needs no RETURNING, which costs
 * SQLite an ephemeral table per execution.
 */
int64_t db_changes(struct db *d);
int64_t db_last_insert_id(struct db *d);

/*
 * SQLite: checkpoint this connection's WAL from a thread of its own (with
 * its own connection) instead of inside its commits, for a connection that
 * writes continuously; the WAL stays bounded. PostgreSQL: nothing to do.
 */
int db_wal_background(struct db *d, struct err *e);

#endif
