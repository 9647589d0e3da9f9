/*
 * bench/store_floor.c -- what SQLite itself costs per finding for the store's
 * schema: a bare loop of the writer's two statements (the service INSERT and
 * the observation upsert) with the store's settings (32 KB pages, WAL,
 * synchronous=NORMAL, 64 MB cache, a commit every 10,000), over real records
 * read from a store that bench/store_gen.c made. No queue, no threads, no
 * JSON: the floor under src/store/store.c's writer thread, and the variants
 * of the schema that docs/store.md weighs against it.
 *
 *   store_floor --from STORE.db --to NEW.db [-n COUNT] VARIANT
 *
 * Variants:
 *   current        the schema and statements of the store
 *   no-signals     the observation's signals column left empty
 *   int-ident      services keyed by a 64-bit hash index instead of the text UNIQUE
 *                  (the writer knows the service is new: no SELECT first)
 *   hash-ids       the service's row id is the hash itself (no identity index)
 *   trigger        both rows written by one statement, an INSTEAD OF trigger on a view
 *   no-service     the observation alone (what the service row costs)
 *   no-obs-index   the observation without its index on service
 *   bare-row       the observation alone, no index, no UNIQUE, a 2-byte record
 *   one-table      no service row: the observation carries the identity, one UNIQUE
 *                  (identity, scan) for history and resume, an index on scan for reports;
 *                  the services are made at the scan's end by one statement (timed apart)
 *   one-table-hash the same with a 64-bit hash of the identity in the UNIQUEs instead
 *
 * Prints the writer's CPU per finding, the final checkpoint's, and the bytes
 * of the database per finding. A benchmark: nothing fails.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct row {
    char *ip, *rec, *sig, *prod, *ver;
    int port;
};

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t ident(const char *ip, int port)
{
    uint64_t h = 14695981039346656037ull;
    for (; *ip; ip++) {
        h ^= (unsigned char)*ip;
        h *= 1099511628211ull;
    }
    h ^= (uint64_t)port;
    h *= 1099511628211ull;
    return h >> 1; /* a positive rowid */
}

static char *dup_col(sqlite3_stmt *q, int i)
{
    const char *s = (const char *)sqlite3_column_text(q, i);
    return strdup(s ? s : "");
}

static int exec(sqlite3 *d, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(d, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    fprintf(stderr, "store_floor: %s\n", msg ? msg : sqlite3_errmsg(d));
    sqlite3_free(msg);
    return -1;
}

static sqlite3_stmt *prep(sqlite3 *d, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d, sql, -1, &st, NULL) != SQLITE_OK)
        fprintf(stderr, "store_floor: %s: %s\n", sqlite3_errmsg(d), sql);
    return st;
}

#define SVC_COLS                                                                                   \
    "address TEXT NOT NULL, port INTEGER NOT NULL, transport TEXT NOT NULL, service TEXT NOT"      \
    " NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, closed_at BIGINT"
#define OBS_COLS                                                                                   \
    "id INTEGER PRIMARY KEY, scan BIGINT NOT NULL, service BIGINT NOT NULL, seen_at BIGINT NOT"    \
    " NULL, product TEXT, version TEXT, auth TEXT NOT NULL, severity TEXT NOT NULL, records"       \
    " BIGINT, bytes BIGINT, cert TEXT, cluster TEXT, record TEXT NOT NULL, signals TEXT NOT NULL"
#define OBS_INSERT                                                                                 \
    "INSERT INTO observations (scan, service, seen_at, product, version, auth, severity, records," \
    " bytes, cert, cluster, record, signals) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"     \
    " ?11, ?12, ?13)"
#define OBS_UPSERT                                                                                 \
    " ON CONFLICT (scan, service) DO UPDATE SET seen_at = excluded.seen_at,"                       \
    " record = excluded.record, signals = excluded.signals"

static void bind_obs(sqlite3_stmt *st, int base, int64_t svc, const struct row *r, bool sig,
                     bool bare)
{
    sqlite3_bind_int64(st, base + 1, 1);
    sqlite3_bind_int64(st, base + 2, svc);
    sqlite3_bind_int64(st, base + 3, 1700000000);
    sqlite3_bind_text(st, base + 4, r->prod, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, base + 5, r->ver, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, base + 6, "none", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, base + 7, "critical", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, base + 8, 100);
    sqlite3_bind_int64(st, base + 9, 51200);
    sqlite3_bind_null(st, base + 10);
    sqlite3_bind_null(st, base + 11);
    sqlite3_bind_text(st, base + 12, bare ? "{}" : r->rec, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, base + 13, sig ? r->sig : "", -1, SQLITE_STATIC);
}

static void bind_svc(sqlite3_stmt *st, int base, const struct row *r)
{
    sqlite3_bind_text(st, base + 1, r->ip, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, base + 2, r->port);
    sqlite3_bind_text(st, base + 3, "tcp", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, base + 4, "redis", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, base + 5, 1700000000);
    sqlite3_bind_int64(st, base + 6, 1700000000);
}

static int step_done(sqlite3 *d, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return 0;
    fprintf(stderr, "store_floor: %s\n", sqlite3_errmsg(d));
    return -1;
}

int main(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *variant = NULL;
    long n = 300000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--from") && i + 1 < argc)
            from = argv[++i];
        else if (!strcmp(argv[i], "--to") && i + 1 < argc)
            to = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = strtol(argv[++i], NULL, 10);
        else
            variant = argv[i];
    }
    /* in the order of variants[] */
    enum {
        V_CURRENT,
        V_NO_SIGNALS,
        V_INT_IDENT,
        V_HASH_IDS,
        V_TRIGGER,
        V_NO_SERVICE,
        V_NO_OBS_INDEX,
        V_BARE_ROW,
        V_ONE_TABLE,
        V_ONE_TABLE_HASH,
        V_COUNT
    };
    static const char *const variants[] = {"current",   "no-signals",    "int-ident",    "hash-ids",
                                           "trigger",   "no-service",    "no-obs-index", "bare-row",
                                           "one-table", "one-table-hash"};
    _Static_assert(sizeof variants / sizeof *variants == V_COUNT, "one name per variant");
    int v = -1;
    for (int i = 0; variant && i < (int)(sizeof variants / sizeof *variants); i++)
        if (!strcmp(variant, variants[i])) v = i;
    if (!from || !to || v < 0 || n < 1) {
        fprintf(stderr, "usage: store_floor --from STORE.db --to NEW.db [-n COUNT] VARIANT\n");
        return 2;
    }
    bool one = v == V_ONE_TABLE || v == V_ONE_TABLE_HASH;
    bool sig = v != V_NO_SIGNALS, svc_row = v != V_NO_SERVICE && v != V_BARE_ROW && !one,
         obs_index = v != V_NO_OBS_INDEX && v != V_BARE_ROW, unique = v != V_BARE_ROW,
         bare = v == V_BARE_ROW;

    /* the records */
    sqlite3 *src = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        !(q = prep(src, "SELECT v.address, v.port, o.record, o.signals, o.product, o.version"
                        " FROM observations o JOIN services v ON v.id = o.service ORDER BY o.id")))
        return 1;
    struct row *r = calloc((size_t)n, sizeof *r);
    long m = 0;
    while (r && m < n && sqlite3_step(q) == SQLITE_ROW) {
        r[m] = (struct row){dup_col(q, 0), dup_col(q, 2), dup_col(q, 3),
                            dup_col(q, 4), dup_col(q, 5), sqlite3_column_int(q, 1)};
        m++;
    }
    sqlite3_finalize(q);
    sqlite3_close(src);
    if (!m) {
        fprintf(stderr, "store_floor: no records in %s\n", from);
        return 1;
    }
    size_t bytes = 0;
    for (long i = 0; i < m; i++)
        bytes += strlen(r[i].rec);

    /* the new database, with the store's settings */
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", to);
    unlink(to);
    unlink(wal);
    sqlite3 *d = NULL;
    if (sqlite3_open(to, &d) != SQLITE_OK ||
        exec(d,
             "PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
             " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=0;") <
            0)
        return 1;
    char sql[2048];
    snprintf(sql, sizeof sql, "CREATE TABLE services (id INTEGER PRIMARY KEY, %s" SVC_COLS "%s);%s",
             v == V_INT_IDENT || v == V_ONE_TABLE_HASH ? "ident BIGINT NOT NULL, " : "",
             v == V_INT_IDENT || v == V_HASH_IDS || v == V_ONE_TABLE_HASH
                 ? ""
                 : ", UNIQUE (address, port, transport, service)",
             v == V_INT_IDENT        ? " CREATE INDEX services_ident ON services(ident);"
             : v == V_ONE_TABLE_HASH ? " CREATE UNIQUE INDEX services_ident ON services(ident);"
                                     : "");
    if (exec(d, sql) < 0) return 1;
    if (one)
        snprintf(sql, sizeof sql,
                 "CREATE TABLE observations (" OBS_COLS ", %s);"
                 " CREATE UNIQUE INDEX observations_ident ON observations(%s, scan);"
                 " CREATE INDEX observations_scan ON observations(scan);",
                 v == V_ONE_TABLE
                     ? "address TEXT NOT NULL, port INTEGER NOT NULL, transport TEXT NOT"
                       " NULL, svc TEXT NOT NULL"
                     : "address TEXT NOT NULL, port INTEGER NOT NULL, transport TEXT NOT"
                       " NULL, svc TEXT NOT NULL, ident BIGINT NOT NULL",
                 v == V_ONE_TABLE ? "address, port, transport, svc" : "ident");
    else
        snprintf(sql, sizeof sql, "CREATE TABLE observations (" OBS_COLS "%s);%s",
                 unique ? ", UNIQUE (scan, service)" : "",
                 obs_index ? " CREATE INDEX observations_service ON observations(service);" : "");
    if (exec(d, sql) < 0) return 1;
    sqlite3_stmt *svc = NULL, *obs = NULL, *both = NULL;
    if (v == V_INT_IDENT)
        svc = prep(d, "INSERT INTO services (address, port, transport, service, first_seen,"
                      " last_seen, ident) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    else if (v == V_HASH_IDS)
        svc = prep(d, "INSERT INTO services (address, port, transport, service, first_seen,"
                      " last_seen, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    else if (svc_row)
        svc = prep(d, "INSERT INTO services (address, port, transport, service, first_seen,"
                      " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                      " ON CONFLICT (address, port, transport, service) DO NOTHING");
    if (v == V_ONE_TABLE)
        obs = prep(d, "INSERT INTO observations (scan, service, seen_at, product, version, auth,"
                      " severity, records, bytes, cert, cluster, record, signals, address, port,"
                      " transport, svc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                      " ?13, ?14, ?15, ?16, ?17) ON CONFLICT (address, port, transport, svc, scan)"
                      " DO UPDATE SET seen_at = excluded.seen_at, record = excluded.record,"
                      " signals = excluded.signals");
    else if (v == V_ONE_TABLE_HASH)
        obs = prep(d, "INSERT INTO observations (scan, service, seen_at, product, version, auth,"
                      " severity, records, bytes, cert, cluster, record, signals, address, port,"
                      " transport, svc, ident) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                      " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
                      " ON CONFLICT (ident, scan) DO UPDATE SET seen_at = excluded.seen_at,"
                      " record = excluded.record, signals = excluded.signals");
    else
        obs = prep(d, unique ? OBS_INSERT OBS_UPSERT : OBS_INSERT);
    if (v == V_TRIGGER) {
        if (exec(d, "CREATE TEMP VIEW ingest (address, port, transport, service, first_seen,"
                    " last_seen, scan, svc, seen_at, product, version, auth, severity, records,"
                    " bytes, cert, cluster, record, signals) AS SELECT NULL, NULL, NULL, NULL,"
                    " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
                    " NULL, NULL, NULL;"
                    " CREATE TEMP TRIGGER ingest_insert INSTEAD OF INSERT ON ingest BEGIN"
                    " INSERT INTO services (address, port, transport, service, first_seen,"
                    " last_seen) VALUES (NEW.address, NEW.port, NEW.transport, NEW.service,"
                    " NEW.first_seen, NEW.last_seen);"
                    " INSERT INTO observations (scan, service, seen_at, product, version, auth,"
                    " severity, records, bytes, cert, cluster, record, signals) VALUES (NEW.scan,"
                    " last_insert_rowid(), NEW.seen_at, NEW.product, NEW.version, NEW.auth,"
                    " NEW.severity, NEW.records, NEW.bytes, NEW.cert, NEW.cluster, NEW.record,"
                    " NEW.signals)" OBS_UPSERT "; END;") < 0)
            return 1;
        both = prep(d, "INSERT INTO ingest VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                       " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)");
    }
    if ((svc_row && !svc) || !obs || (v == V_TRIGGER && !both)) return 1;

    double c0 = cpu_now(), ckpt = 0;
    if (exec(d, "BEGIN IMMEDIATE") < 0) return 1;
    for (long i = 0; i < m; i++) {
        const struct row *x = &r[i];
        int64_t id = i + 1;
        if (v == V_TRIGGER) {
            bind_svc(both, 0, x);
            bind_obs(both, 6, 0, x, sig, bare);
            if (step_done(d, both) < 0) return 1;
        } else {
            if (svc_row) {
                bind_svc(svc, 0, x);
                if (v == V_INT_IDENT || v == V_HASH_IDS)
                    sqlite3_bind_int64(svc, 7, (int64_t)ident(x->ip, x->port));
                if (step_done(d, svc) < 0) return 1;
                id = sqlite3_last_insert_rowid(d);
            }
            bind_obs(obs, 0, id, x, sig, bare);
            if (one) {
                sqlite3_bind_text(obs, 14, x->ip, -1, SQLITE_STATIC);
                sqlite3_bind_int(obs, 15, x->port);
                sqlite3_bind_text(obs, 16, "tcp", -1, SQLITE_STATIC);
                sqlite3_bind_text(obs, 17, "redis", -1, SQLITE_STATIC);
                if (v == V_ONE_TABLE_HASH)
                    sqlite3_bind_int64(obs, 18, (int64_t)ident(x->ip, x->port));
            }
            if (step_done(d, obs) < 0) return 1;
        }
        if (i % 10000 == 9999) {
            if (exec(d, "COMMIT") < 0) return 1;
            /* the store's bound: past 256 MB the WAL is copied and starts again from its
             * beginning (in the store, by its checkpoint thread); timed apart */
            struct stat sb;
            if (stat(wal, &sb) == 0 && sb.st_size > 256l << 20) {
                double k0 = cpu_now();
                sqlite3_wal_checkpoint_v2(d, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
                ckpt += cpu_now() - k0;
            }
            if (exec(d, "BEGIN IMMEDIATE") < 0) return 1;
        }
    }
    if (exec(d, "COMMIT") < 0) return 1;
    double c1 = cpu_now() - ckpt;
    /* with no service row written per finding, the scan's end must make them: one statement,
     * in identity order, as a scan of the same store would need (timed apart) */
    double e0 = cpu_now();
    if (v == V_ONE_TABLE &&
        exec(d, "INSERT INTO services (address, port, transport, service, first_seen, last_seen)"
                " SELECT address, port, transport, svc, seen_at, seen_at FROM observations"
                " WHERE scan = 1 ORDER BY address, port, transport, svc"
                " ON CONFLICT (address, port, transport, service)"
                " DO UPDATE SET last_seen = excluded.last_seen, closed_at = NULL") < 0)
        return 1;
    if (v == V_ONE_TABLE_HASH &&
        exec(d, "INSERT INTO services (ident, address, port, transport, service,"
                " first_seen, last_seen) SELECT ident, address, port, transport, svc,"
                " seen_at, seen_at FROM observations WHERE scan = 1 ORDER BY ident"
                " ON CONFLICT (ident) DO UPDATE SET last_seen = excluded.last_seen,"
                " closed_at = NULL") < 0)
        return 1;
    double end = cpu_now() - e0;
    sqlite3_finalize(svc);
    sqlite3_finalize(obs);
    sqlite3_finalize(both);
    sqlite3_wal_checkpoint_v2(d, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    double c2 = cpu_now(); /* c2 - c1: the final checkpoint and those timed apart */
    sqlite3_close(d);
    FILE *f = fopen(to, "rb");
    long size = 0;
    if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (f) fclose(f);
    printf("%-13s %ld findings (records %zu B on average): writer %.2f us, checkpoint %.2f us,"
           " %.0f B per finding",
           variant, m, bytes / (size_t)m, (c1 - c0) / (double)m * 1e6,
           (c2 - c1 - end) / (double)m * 1e6, (double)size / (double)m);
    if (one) printf(", services at the scan's end %.2f us", end / (double)m * 1e6);
    printf("\n");
    for (long i = 0; i < m; i++) {
        free(r[i].ip);
        free(r[i].rec);
        free(r[i].sig);
        free(r[i].prod);
        free(r[i].ver);
    }
    free(r);
    return 0;
}
