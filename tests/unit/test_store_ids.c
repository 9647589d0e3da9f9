/*
 * tests/unit/test_store_ids.c -- the SQLite writer's three ways to a
 * service's row (docs/store.md, "Writes"): a service the scope's map knows
 * (its id carried to the writer: one UPDATE by id), a new one (INSERT, the
 * id from last_insert_rowid), and one another store inserted after this
 * scan began (the INSERT conflicts: UPDATE by identity and SELECT). Each
 * must leave one services row, observations pointing at it, and first/last
 * seen and closed_at as the upsert wrote them; a certificate served by many
 * hosts is written once with its newest time and linked to every host.
 */
#include "t.h"

#include "core/finding.h"
#include "core/util.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#define T0 1795000000

static char dir[64], path[128];

static void mk(struct finding *f, const char *ip, uint16_t port, time_t t)
{
    finding_init(f);
    str_copy(f->ip, ip, sizeof f->ip);
    f->port = port;
    f->time = t;
    str_copy(f->service, "redis", sizeof f->service);
    f->auth = AUTH_NONE;
}

static int put(struct store *s, int64_t id, const char *ip, uint16_t port, time_t t,
               const char *sha, time_t *first)
{
    struct finding f;
    struct err e = {{0}};
    mk(&f, ip, port, t);
    if (sha) {
        f.tls.present = true;
        str_copy(f.tls.sha256, sha, sizeof f.tls.sha256);
        str_copy(f.tls.key_type, "rsa", sizeof f.tls.key_type);
        f.tls.key_bits = 2048;
    }
    int rc = store_put(s, id, &f, &e);
    CHECK_MSG(rc == 0, "put: %s", e.msg);
    if (first) *first = f.first_seen;
    finding_free(&f);
    return rc;
}

static int64_t begin(struct store *s, const char *scope, time_t start)
{
    struct scan_meta m = {.args = "t", .scope_key = scope, .seed = 1, .nshards = 1, .start = start};
    int64_t id = 0;
    uint64_t pos;
    struct err e = {{0}};
    CHECK_MSG(store_scan_begin(s, &m, &id, &pos, &e) == 0, "begin: %s", e.msg);
    return id;
}

static void end(struct store *s, int64_t id)
{
    struct err e = {{0}};
    CHECK_MSG(store_scan_end(s, id, &e) == 0, "end: %s", e.msg);
}

/* One integer from the database, read with a connection of our own. */
static int64_t q(const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "query %s: %s\n", sql, h ? sqlite3_errmsg(h) : "?");
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

int main(void)
{
    str_copy(dir, "/tmp/ajar-ids.XXXXXX", sizeof dir);
    if (!mkdtemp(dir)) return 1;
    str_fmt(path, sizeof path, "%s/ids.db", dir);
    log_level = 1;
    struct err e = {{0}};
    struct store *a = NULL, *b = NULL;
    CHECK_MSG(store_open(&a, path, &e) == 0, "%s", e.msg);
    CHECK_MSG(store_open(&b, path, &e) == 0, "%s", e.msg);
    if (!a || !b) return T_END();

    /* scan 1 of scope X: two new services, one with a certificate shared with scan 2's hosts */
    int64_t s1 = begin(a, "X", T0);
    put(a, s1, "10.0.0.1", 6379, T0, NULL, NULL);
    put(a, s1, "10.0.0.2", 6379, T0, "aa", NULL);
    end(a, s1);
    CHECK_INT(q("SELECT COUNT(*) FROM services"), 2);

    /* scan 2 of scope X (ids known from the map): 10.0.0.1 seen again, 10.0.0.2 gone, 10.0.0.3 new
     */
    time_t first = 0;
    int64_t s2 = begin(a, "X", T0 + 100);
    put(a, s2, "10.0.0.1", 6379, T0 + 100, NULL, &first);
    CHECK_INT(first, T0);
    put(a, s2, "10.0.0.3", 6379, T0 + 100, "aa", NULL);
    end(a, s2);
    CHECK_INT(q("SELECT COUNT(*) FROM services"), 3);
    CHECK_INT(q("SELECT last_seen FROM services WHERE address = '10.0.0.1'"), T0 + 100);
    CHECK_INT(q("SELECT first_seen FROM services WHERE address = '10.0.0.1'"), T0);
    CHECK_INT(q("SELECT closed_at FROM services WHERE address = '10.0.0.2'"), T0 + 100);
    CHECK_INT(q("SELECT COUNT(*) FROM observations o JOIN services v ON v.id = o.service"
                " WHERE v.address = '10.0.0.1'"),
              2);

    /* scan 3 of X: the closed 10.0.0.2 open again (a new period), by its known id */
    int64_t s3 = begin(a, "X", T0 + 200);
    put(a, s3, "10.0.0.2", 6379, T0 + 200, "aa", &first);
    CHECK_INT(first, T0 + 200);
    /* scope Y in store b begins now; store a then inserts 10.0.0.9, which b's map does not know */
    int64_t y1 = begin(b, "Y", T0 + 250);
    put(a, s3, "10.0.0.9", 6379, T0 + 200, NULL, NULL);
    CHECK_MSG(store_flush(a, &e) == 0, "%s", e.msg);
    end(a, s3);
    CHECK_INT(q("SELECT closed_at IS NULL FROM services WHERE address = '10.0.0.2'"), 1);
    CHECK_INT(q("SELECT first_seen FROM services WHERE address = '10.0.0.2'"), T0 + 200);
    /* b finds 10.0.0.9 too: its INSERT conflicts, the row is updated by identity */
    put(b, y1, "10.0.0.9", 6379, T0 + 250, "bb", NULL);
    put(b, y1, "10.0.0.10", 6379, T0 + 250, "bb", NULL);
    end(b, y1);
    CHECK_INT(q("SELECT COUNT(*) FROM services WHERE address = '10.0.0.9'"), 1);
    CHECK_INT(q("SELECT last_seen FROM services WHERE address = '10.0.0.9'"), T0 + 250);
    CHECK_INT(q("SELECT first_seen FROM services WHERE address = '10.0.0.9'"), T0 + 200);
    CHECK_INT(q("SELECT COUNT(DISTINCT o.service) FROM observations o JOIN services v"
                " ON v.id = o.service WHERE v.address = '10.0.0.9'"),
              1);
    CHECK_INT(q("SELECT COUNT(*) FROM observations"), 8);
    /* every observation and certificate link points at an existing service */
    CHECK_INT(q("SELECT COUNT(*) FROM observations WHERE service NOT IN (SELECT id FROM services)"),
              0);
    CHECK_INT(
        q("SELECT COUNT(*) FROM service_certs WHERE service NOT IN (SELECT id FROM services)"), 0);
    /* certificate aa: one row, newest time, three hosts */
    CHECK_INT(q("SELECT COUNT(*) FROM certificates WHERE sha256 = 'aa'"), 1);
    CHECK_INT(q("SELECT last_seen FROM certificates WHERE sha256 = 'aa'"), T0 + 200);
    CHECK_INT(q("SELECT first_seen FROM certificates WHERE sha256 = 'aa'"), T0);
    CHECK_INT(q("SELECT COUNT(*) FROM service_certs WHERE sha256 = 'aa'"), 2);
    CHECK_INT(q("SELECT hosts FROM certificates WHERE sha256 = 'aa'"), 2);
    CHECK_INT(q("SELECT c.last_seen FROM service_certs c JOIN services v ON v.id = c.service"
                " WHERE v.address = '10.0.0.2' AND c.sha256 = 'aa'"),
              T0 + 200);
    CHECK_INT(q("SELECT hosts FROM certificates WHERE sha256 = 'bb'"), 2);
    CHECK_INT(q("SELECT COUNT(*) FROM certificates"), 2);
    /* the record's key is the tls object's */
    CHECK_INT(q("SELECT COUNT(*) FROM certificates WHERE key_type = 'rsa-2048' AND"
                " facts LIKE '{\"version\":null,%'"),
              2);

    store_close(a);
    store_close(b);
    char cmd[160];
    str_fmt(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return T_END();
}
