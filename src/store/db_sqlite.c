/*
 * store/db_sqlite.c -- the db.h layer over SQLite: the default store, one
 * file (./ajar.db unless --db says otherwise).
 *
 * Settings chosen for a scanner that writes in bursts from one writer
 * thread while reports read: WAL (readers never block the writer),
 * synchronous=NORMAL (a power cut may lose the last transactions, never
 * corrupt the file; resume then starts from an earlier checkpoint, which
 * is safe because the checkpoint is committed with the findings it
 * covers), a generous busy timeout so several processes on one file queue
 * up instead of failing, and a larger page cache for million-row ingests.
 *
 * The store's SQL uses $N placeholders; they are rewritten here to ?N,
 * which SQLite numbers the same way.
 */
#include "store/db_impl.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

struct db {
    enum db_kind kind; /* first member: db_pg.c has the same layout start */
    sqlite3 *h;
};

struct db_stmt {
    struct db *d;
    sqlite3_stmt *st;
};

/* The allocator's statistics take a global mutex on every allocation,
 * which the writer thread and the caller's thread would fight over. */
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static void config(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int db_sqlite_open(struct db **out, const char *path, struct err *e)
{
    pthread_once(&config_once, config);
    int rc = -1;
    struct db *d = xcalloc(1, sizeof *d);
    if (!d) return err_set(e, "out of memory");
    d->kind = DB_SQLITE;
    if (sqlite3_open_v2(path, &d->h,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err_set(e, "cannot open %s: %s", path, d->h ? sqlite3_errmsg(d->h) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(d->h, 60000);
    /* journal_mode answers with a row; exec ignores it */
    if (db_sqlite_exec(
            d,
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
            "PRAGMA temp_store=MEMORY;",
            e) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0) {
        /* SQLite says "unable to open database file" or "attempt to write a
         * readonly database" for a store on a read-only mount: name the cause */
        struct statvfs sv;
        if (statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY))
            err_set(e, "cannot write the store %s: read-only file system", path);
        sqlite3_close(d->h);
        free(d);
        d = NULL;
    }
    *out = d;
    return rc;
}

void db_sqlite_close(struct db *d)
{
    sqlite3_close_v2(d->h);
    free(d);
}

/* SQLite's message, naming a full disk: on a full tmpfs SQLite reports
 * "disk I/O error" (a failed write of the WAL index) rather than SQLITE_FULL */
static int sq_err(struct db *d, struct err *e, const char *msg)
{
    int code = sqlite3_errcode(d->h);
    const char *fn = sqlite3_db_filename(d->h, "main");
    struct statvfs sv;
    if ((code == SQLITE_FULL || code == SQLITE_IOERR) && fn && fn[0] && statvfs(fn, &sv) == 0 &&
        (uint64_t)sv.f_bavail * sv.f_frsize < 65536)
        return err_set(e, "sqlite: %s: the disk holding %s is full", msg, fn);
    return err_set(e, "sqlite: %s", msg);
}

int db_sqlite_exec(struct db *d, const char *sql, struct err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sq_err(d, e, msg ? msg : sqlite3_errmsg(d->h));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int db_sqlite_begin(struct db *d, bool exclusive, struct err *e)
{
    /* Every transaction of the store writes; IMMEDIATE takes the write lock
     * up front so two processes never deadlock upgrading a read lock. */
    (void)exclusive;
    return db_sqlite_exec(d, "BEGIN IMMEDIATE", e);
}

int db_sqlite_prepare(struct db *d, const char *sql, struct db_stmt **out, struct err *e)
{
    *out = NULL;
    size_t n = strlen(sql);
    char *q = xmalloc(n + 1);
    if (!q) return err_set(e, "out of memory");
    for (size_t i = 0; i <= n; i++)
        q[i] = (sql[i] == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9') ? '?' : sql[i];
    struct db_stmt *st = xcalloc(1, sizeof *st);
    int rc = -1;
    if (!st) {
        err_set(e, "out of memory");
        goto out;
    }
    st->d = d;
    if (sqlite3_prepare_v3(d->h, q, (int)n, SQLITE_PREPARE_PERSISTENT, &st->st, NULL) !=
        SQLITE_OK) {
        err_set(e, "sqlite: %s", sqlite3_errmsg(d->h));
        goto out;
    }
    *out = st;
    st = NULL;
    rc = 0;
out:
    free(st);
    free(q);
    return rc;
}

void db_sqlite_finalize(struct db_stmt *st)
{
    sqlite3_finalize(st->st);
    free(st);
}

void db_sqlite_bind_int(struct db_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(st->st, i, v);
}

void db_sqlite_bind_text(struct db_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st->st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st->st, i);
}

int db_sqlite_step(struct db_stmt *st, struct err *e)
{
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    sq_err(st->d, e, sqlite3_errmsg(st->d->h));
    sqlite3_reset(st->st);
    return -1;
}

int64_t db_sqlite_col_int(struct db_stmt *st, int i)
{
    return sqlite3_column_int64(st->st, i);
}

const char *db_sqlite_col_text(struct db_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st->st, i);
}

bool db_sqlite_col_null(struct db_stmt *st, int i)
{
    return sqlite3_column_type(st->st, i) == SQLITE_NULL;
}

void db_sqlite_reset(struct db_stmt *st)
{
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
}
