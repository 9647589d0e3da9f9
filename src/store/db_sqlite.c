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

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

struct ckpt;

struct db {
    enum db_kind kind; /* first member: db_pg.c has the same layout start */
    sqlite3 *h;
    struct ckpt *ck; /* db_wal_background() */
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
    if (create_private(path) < 0) {
        err_set(e, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    if (sqlite3_open_v2(path, &d->h,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err_set(e, "cannot open %s: %s", path, d->h ? sqlite3_errmsg(d->h) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(d->h, 60000);
    /* journal_mode answers with a row; exec ignores it */
    if (db_sqlite_exec(d,
                       "PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA "
                       "synchronous=NORMAL; PRAGMA cache_size=-65536;"
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

static void ckpt_stop(struct db *d);

void db_sqlite_close(struct db *d)
{
    ckpt_stop(d);
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

int64_t db_sqlite_changes(struct db *d)
{
    return sqlite3_changes64(d->h);
}

int64_t db_sqlite_last_insert_id(struct db *d)
{
    return sqlite3_last_insert_rowid(d->h);
}

/*
 * Checkpoints off the writer's thread. SQLite copies the WAL back into the
 * database file (and fsyncs it) inside the commit that takes the WAL past
 * wal_autocheckpoint pages, on the committing thread. For the store's
 * writer, which commits every 200 ms for as long as a scan runs, that copy
 * and its fsync are a large share of its time. Here a thread with a
 * connection of its own runs PASSIVE checkpoints (they never block the
 * writer) as the WAL grows past CKPT_START bytes; when it reaches
 * CKPT_RESTART bytes the writer waits for a pass under way and copies what
 * is left itself, so the WAL is wholly checkpointed and restarts from its
 * beginning at the next transaction: the WAL stays bounded. The bound is
 * wide on purpose: at 64 MB an ingest of 1,000,000 findings reached it 39
 * times and the writer did two thirds of the copying itself (2 s of its
 * 10); at 256 MB the checkpoint thread does nearly all of it (about 300 MB
 * of WAL at the most, deleted when the store closes). bench/store.sh,
 * docs/store.md.
 */
#define CKPT_START   (16u << 20)
#define CKPT_RESTART (256u << 20)

struct ckpt {
    sqlite3 *h;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake, idle;
    int start, restart; /* in frames */
    bool want, busy, stop;
};

static void *ckpt_main(void *arg)
{
    struct ckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->want && !c->stop)
            pthread_cond_wait(&c->wake, &c->mu);
        if (c->stop) break;
        c->want = false;
        c->busy = true;
        pthread_mutex_unlock(&c->mu);
        /* errors (another checkpoint under way, a full disk) leave the WAL as it is */
        sqlite3_wal_checkpoint_v2(c->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
        c->busy = false;
        pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* After every commit of the writer's connection, with the WAL's size in frames. */
static int ckpt_hook(void *arg, sqlite3 *h, const char *name, int frames)
{
    struct ckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    if (frames >= c->restart) {
        c->want = false;
        while (c->busy)
            pthread_cond_wait(&c->idle, &c->mu);
        pthread_mutex_unlock(&c->mu);
        sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (frames >= c->start) {
        c->want = true;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->mu);
    return SQLITE_OK;
}

int db_sqlite_wal_background(struct db *d, struct err *e)
{
    if (d->ck) return 0;
    const char *path = sqlite3_db_filename(d->h, "main");
    struct ckpt *c = xcalloc(1, sizeof *c);
    if (!c) return err_set(e, "out of memory");
    int page = 4096;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->h, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0)
        page = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    c->start = (int)(CKPT_START / (unsigned)page);
    c->restart = (int)(CKPT_RESTART / (unsigned)page);
    if (!path || !path[0] ||
        sqlite3_open_v2(path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK) {
        err_set(e, "cannot open %s for checkpoints: %s", path ? path : "the store",
                c->h ? sqlite3_errmsg(c->h) : "out of memory");
        sqlite3_close(c->h);
        free(c);
        return -1;
    }
    /* a connection checkpoints only once it has read the database in WAL mode */
    sqlite3_busy_timeout(c->h, 60000);
    if (sqlite3_exec(c->h, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL, NULL) != SQLITE_OK) {
        err_set(e, "sqlite: %s", sqlite3_errmsg(c->h));
        sqlite3_close(c->h);
        free(c);
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    pthread_cond_init(&c->idle, NULL);
    if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->wake);
        pthread_cond_destroy(&c->idle);
        sqlite3_close(c->h);
        free(c);
        return err_set(e, "cannot start the store's checkpoint thread");
    }
    pthread_setname_np(c->thread, "ajar-checkpoint");
    d->ck = c;
    sqlite3_wal_hook(d->h, ckpt_hook, c); /* replaces wal_autocheckpoint on this connection */
    return 0;
}

static void ckpt_stop(struct db *d)
{
    struct ckpt *c = d->ck;
    if (!c) return;
    sqlite3_wal_hook(d->h, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    sqlite3_close_v2(c->h);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->wake);
    pthread_cond_destroy(&c->idle);
    free(c);
    d->ck = NULL;
}
