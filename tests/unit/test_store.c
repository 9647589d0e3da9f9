/*
 * tests/unit/test_store.c -- the store driven exactly as `ajar scan` drives
 * it (open, scan_begin, put, checkpoint, scan_end, then the readers), on
 * SQLite in a temporary directory and, when AJAR_TEST_PG holds a
 * postgresql:// URL (tests/integration/store.sh sets it after starting a
 * server), the whole suite again on PostgreSQL. Each case starts from an
 * empty database: a new file, or on PostgreSQL a dropped and recreated
 * public schema.
 */
#include "t.h"

#include "core/finding.h"
#include "core/util.h"
#include "store/db.h"
#include "store/db_impl.h"
#include "store/store.h"
#include "kit/kit.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

static char tmpdir[64];
static const char *pg_url;
static char where[512];
static int case_no;

/* An empty database for the next case. */
static const char *fresh(void)
{
    case_no++;
    if (!pg_url) {
        str_fmt(where, sizeof where, "%s/case%d.db", tmpdir, case_no);
        return where;
    }
    PGconn *c = PQconnectdb(pg_url);
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, "SET client_min_messages = warning;"
                                "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        CHECK_MSG(PQresultStatus(r) == PGRES_COMMAND_OK, "reset: %s", PQerrorMessage(c));
        PQclear(r);
    } else {
        CHECK_MSG(0, "connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    str_copy(where, pg_url, sizeof where);
    return where;
}

static void mk(struct finding *f, const char *ip, uint16_t port, const char *service, time_t t)
{
    finding_init(f);
    str_copy(f->ip, ip, sizeof f->ip);
    f->port = port;
    f->time = t;
    str_copy(f->service, service, sizeof f->service);
    str_copy(f->product, "Redis", sizeof f->product);
    str_copy(f->version, "7.0.15", sizeof f->version);
    f->auth = AUTH_NONE;
    f->records = 1204;
    f->bytes = 1048576;
    finding_add_name(f, "person_info", 11, 1204, 1048576);
    finding_add_signal(f, "no-auth", SEV_CRITICAL, "no password");
}

static struct scan_meta meta(const char *scope, time_t start)
{
    struct scan_meta m = {
        .args = "ajar scan test", .scope_key = scope, .seed = 7, .nshards = 1, .start = start};
    return m;
}

static int put(struct store *s, int64_t id, const char *ip, uint16_t port, const char *service,
               time_t t, struct finding *out)
{
    struct finding f;
    struct err e = {{0}};
    mk(&f, ip, port, service, t);
    int rc = store_put(s, id, &f, &e);
    CHECK_MSG(rc == 0, "put: %s", e.msg);
    if (out)
        *out = f;
    else
        finding_free(&f);
    return rc;
}

struct collect {
    int n;
    char keys[64][80];
    time_t first[64], last[64];
    int64_t first_scan[64];
};

static int collect_fn(void *arg, const struct finding *f)
{
    struct collect *c = arg;
    if (c->n < 64) {
        str_fmt(c->keys[c->n], sizeof c->keys[0], "%s:%u/%s", f->ip, f->port, f->service);
        c->first[c->n] = f->first_seen;
        c->last[c->n] = f->last_seen;
        c->first_scan[c->n] = f->first_scan;
    }
    c->n++;
    return 0;
}

static int find_key(const struct collect *c, const char *k)
{
    for (int i = 0; i < c->n && i < 64; i++)
        if (!strcmp(c->keys[i], k)) return i;
    return -1;
}

struct svc_collect {
    int n;
    struct store_service v[16];
};

static int svc_fn(void *arg, const struct store_service *sv)
{
    struct svc_collect *c = arg;
    if (c->n < 16) c->v[c->n] = *sv;
    c->n++;
    return 0;
}

static int hist_n;
static int hist_fn(void *arg, int64_t scan_id, const struct finding *f)
{
    (void)arg;
    (void)scan_id;
    (void)f;
    hist_n++;
    return 0;
}

static int64_t scans_seen[16];
static int count_scans(void *arg, const struct scan_info *si)
{
    int *n = arg;
    if (*n < 16) scans_seen[*n] = si->id;
    (*n)++;
    return 0;
}

static void test_open(void)
{
    struct store *s = NULL;
    struct err e = {{0}};
    const char *w = fresh();
    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    if (!s) return;
    CHECK_STR(store_backend(s), pg_url ? "postgresql" : "sqlite");
    int64_t id = -1;
    CHECK(store_last_scan(s, NULL, &id, &e) == 0);
    CHECK_INT(id, 0);
    store_close(s);
    /* reopening migrates nothing twice */
    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    store_close(s);
    if (!pg_url) {
        CHECK(store_open(&s, "/nonexistent-dir/x/ajar.db", &e) < 0);
        CHECK(strstr(e.msg, "/nonexistent-dir/x/ajar.db") != NULL);
    } else {
        CHECK(store_open(&s, "postgresql://nobody@127.0.160.1:1/none?connect_timeout=2", &e) < 0);
        CHECK(e.msg[0] != 0);
    }
}

/* Two scans of one scope: first/last seen, closure, reopening, diff helpers. */
static void test_two_scans(void)
{
    struct store *s = NULL;
    struct err e = {{0}};
    CHECK_MSG(store_open(&s, fresh(), &e) == 0, "%s", e.msg);
    if (!s) return;
    int64_t id1, id2, id3;
    uint64_t pos;
    struct scan_meta m = meta("scopeA", 1000);
    CHECK_MSG(store_scan_begin(s, &m, &id1, &pos, &e) == 0, "%s", e.msg);
    CHECK_INT(pos, 0);
    struct finding f;
    put(s, id1, "127.0.0.5", 6379, "redis", 1000, &f);
    CHECK_INT(f.first_seen, 1000);
    CHECK_INT(f.last_seen, 1000);
    finding_free(&f);
    put(s, id1, "127.0.0.6", 27017, "mongodb", 1001, NULL);
    /* the same service twice in one scan is one observation */
    put(s, id1, "127.0.0.6", 27017, "mongodb", 1002, NULL);
    CHECK(store_checkpoint(s, id1, 10, &e) == 0);
    CHECK_MSG(store_scan_end(s, id1, &e) == 0, "%s", e.msg);
    struct scan_info si;
    CHECK(store_scan_get(s, id1, &si, &e) == 0);
    CHECK_INT(si.findings, 2);
    CHECK(si.end != 0);
    CHECK_INT(si.start, 1000);
    CHECK_STR(si.scope_key, "scopeA");
    CHECK_INT(si.seed, 7);

    m = meta("scopeA", 2000);
    CHECK_MSG(store_scan_begin(s, &m, &id2, &pos, &e) == 0, "%s", e.msg);
    CHECK(id2 != id1);
    put(s, id2, "127.0.0.5", 6379, "redis", 2000, &f);
    CHECK_INT(f.first_seen, 1000); /* from scan 1 */
    CHECK_INT(f.last_seen, 2000);
    json_t *j = finding_to_json(&f, false);
    CHECK_STR(json_string_value(json_object_get(j, "first_seen")), "1970-01-01T00:16:40Z");
    json_decref(j);
    finding_free(&f);
    CHECK_MSG(store_scan_end(s, id2, &e) == 0, "%s", e.msg);

    struct svc_collect sc = {0};
    CHECK(store_services(s, "127.0.0.6", 0, svc_fn, &sc, &e) == 0);
    CHECK_INT(sc.n, 1);
    CHECK_INT(sc.v[0].closed_at, 2000); /* absent from scan 2: closed at scan 2's time */
    CHECK_INT(sc.v[0].first_seen, 1001);
    CHECK_INT(sc.v[0].last_seen, 1002);
    sc.n = 0;
    CHECK(store_services(s, "127.0.0.5", 6379, svc_fn, &sc, &e) == 0);
    CHECK_INT(sc.n, 1);
    CHECK_INT(sc.v[0].closed_at, 0);
    CHECK_INT(sc.v[0].first_seen, 1000);
    CHECK_INT(sc.v[0].last_seen, 2000);

    struct collect c = {0};
    CHECK(store_scan_findings(s, id2, collect_fn, &c, &e) == 0);
    CHECK_INT(c.n, 1);
    int k = find_key(&c, "127.0.0.5:6379/redis");
    CHECK(k >= 0);
    if (k >= 0) CHECK_INT(c.first[k], 1000);
    memset(&c, 0, sizeof c);
    CHECK(store_scan_findings(s, id1, collect_fn, &c, &e) == 0);
    CHECK_INT(c.n, 2);

    int64_t last, prev;
    CHECK(store_last_scan(s, "scopeA", &last, &e) == 0);
    CHECK_INT(last, id2);
    CHECK(store_last_scan(s, "other", &last, &e) == 0);
    CHECK_INT(last, 0);
    CHECK(store_prev_scan(s, id2, &prev, &e) == 0);
    CHECK_INT(prev, id1);
    CHECK(store_prev_scan(s, id1, &prev, &e) == 0);
    CHECK_INT(prev, 0);
    hist_n = 0;
    CHECK(store_history(s, "127.0.0.5", 0, hist_fn, NULL, &e) == 0);
    CHECK_INT(hist_n, 2);
    hist_n = 0;
    CHECK(store_history(s, "127.0.0.5", 9999, hist_fn, NULL, &e) == 0);
    CHECK_INT(hist_n, 0);

    /* scan 3: the closed one is back, a new open period begins */
    m = meta("scopeA", 3000);
    CHECK(store_scan_begin(s, &m, &id3, &pos, &e) == 0);
    put(s, id3, "127.0.0.6", 27017, "mongodb", 3000, &f);
    CHECK_INT(f.first_seen, 3000);
    finding_free(&f);
    put(s, id3, "127.0.0.5", 6379, "redis", 3000, NULL);
    CHECK(store_scan_end(s, id3, &e) == 0);
    sc.n = 0;
    CHECK(store_services(s, "127.0.0.6", 0, svc_fn, &sc, &e) == 0);
    CHECK_INT(sc.v[0].closed_at, 0);
    CHECK_INT(sc.v[0].first_seen, 3000);

    /* a scan of another scope closes nothing of scope A */
    int64_t id4;
    m = meta("scopeB", 4000);
    CHECK(store_scan_begin(s, &m, &id4, &pos, &e) == 0);
    put(s, id4, "127.0.0.9", 80, "kibana", 4000, NULL);
    /* seen before by scope A only: first_seen comes from the database */
    put(s, id4, "127.0.0.5", 6379, "redis", 4000, &f);
    CHECK_INT(f.first_seen, 1000);
    CHECK_INT(f.last_seen, 4000);
    finding_free(&f);
    CHECK(store_scan_end(s, id4, &e) == 0);
    sc.n = 0;
    CHECK(store_services(s, "127.0.0.5", 0, svc_fn, &sc, &e) == 0);
    CHECK_INT(sc.v[0].closed_at, 0);

    int n = 0;
    CHECK(store_scans(s, count_scans, &n, &e) == 0);
    CHECK_INT(n, 4);
    store_close(s);
}

/* Resume: same id, the checkpoint back, nothing written twice. */
static void test_resume(void)
{
    struct store *s = NULL;
    struct err e = {{0}};
    const char *w = fresh();
    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    if (!s) return;
    int64_t id, id2;
    uint64_t pos;
    struct scan_meta m = meta("scopeR", 5000);
    CHECK(store_scan_begin(s, &m, &id, &pos, &e) == 0);
    put(s, id, "127.0.1.1", 9200, "elasticsearch", 5000, NULL);
    put(s, id, "127.0.1.2", 9200, "elasticsearch", 5000, NULL);
    CHECK(store_checkpoint(s, id, 40, &e) == 0);
    CHECK(store_checkpoint(s, id, 42, &e) == 0);
    put(s, id, "127.0.1.3", 9200, "elasticsearch", 5000, NULL);
    CHECK(store_flush(s, &e) == 0);
    store_close(s); /* the scan never ended: a crash as far as the store knows */

    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    if (!s) return;
    struct scan_info si;
    CHECK_INT(store_find_resumable(s, "scopeR", 0, 1, &si, &e), 0);
    CHECK_INT(si.id, id);
    CHECK_INT(si.seed, 7);
    CHECK_INT(store_find_resumable(s, "scopeR", 0, 2, &si, &e), 1);
    /* another seed would walk another order */
    m = meta("scopeR", 6000);
    m.resume = true;
    m.seed = 8;
    CHECK(store_scan_begin(s, &m, &id2, &pos, &e) < 0);
    CHECK(strstr(e.msg, "--seed 7") != NULL);
    m.seed = 7;
    CHECK_MSG(store_scan_begin(s, &m, &id2, &pos, &e) == 0, "%s", e.msg);
    CHECK_INT(id2, id);
    CHECK_INT(pos, 42);
    struct finding f;
    put(s, id, "127.0.1.3", 9200, "elasticsearch", 6000, &f);
    CHECK_INT(f.first_seen, 5000);
    finding_free(&f);
    put(s, id, "127.0.1.4", 9200, "elasticsearch", 6000, NULL);
    CHECK(store_checkpoint(s, id, 99, &e) == 0);
    CHECK(store_scan_end(s, id, &e) == 0);
    CHECK(store_scan_get(s, id, &si, &e) == 0);
    CHECK_INT(si.findings, 4);
    struct collect c = {0};
    CHECK(store_scan_findings(s, id, collect_fn, &c, &e) == 0);
    CHECK_INT(c.n, 4);
    /* finished: nothing to resume, a resume starts a new scan */
    CHECK_INT(store_find_resumable(s, "scopeR", 0, 1, &si, &e), 1);
    m.resume_id = id;
    CHECK(store_scan_begin(s, &m, &id2, &pos, &e) < 0);
    m.resume_id = 0;
    int saved = log_level;
    log_level = 0;
    CHECK(store_scan_begin(s, &m, &id2, &pos, &e) == 0);
    log_level = saved;
    CHECK(id2 != id);
    CHECK_INT(pos, 0);
    store_close(s);
}

/* Certificates by SHA-256 and who served them; odd bytes stay data. */
static void test_certs(void)
{
    struct store *s = NULL;
    struct err e = {{0}};
    CHECK_MSG(store_open(&s, fresh(), &e) == 0, "%s", e.msg);
    if (!s) return;
    int64_t id;
    uint64_t pos;
    struct scan_meta m = meta("scopeC", 7000);
    CHECK(store_scan_begin(s, &m, &id, &pos, &e) == 0);
    const char *sha = "ab12000000000000000000000000000000000000000000000000000000000000";
    for (int i = 0; i < 3; i++) {
        struct finding f;
        char ip[32];
        str_fmt(ip, sizeof ip, "127.0.2.%d", i + 1);
        mk(&f, ip, 9200, "elasticsearch", 7000);
        f.tls.present = true;
        str_copy(f.tls.sha256, i < 2 ? sha : "cd", sizeof f.tls.sha256);
        str_copy(f.tls.subject_cn, "es'); DROP TABLE scans; --", sizeof f.tls.subject_cn);
        str_copy(f.tls.key_type, "rsa", sizeof f.tls.key_type);
        f.tls.key_bits = 2048;
        str_copy(f.cluster, "c0ffee000001", sizeof f.cluster);
        CHECK(store_put(s, id, &f, &e) == 0);
        finding_free(&f);
    }
    struct finding f;
    mk(&f, "127.0.2.9", 6379, "re'dis\"; --", 7000);
    CHECK(store_put(s, id, &f, &e) == 0);
    finding_free(&f);
    CHECK_MSG(store_scan_end(s, id, &e) == 0, "%s", e.msg);
    int n = -1;
    CHECK(store_cert_hosts(s, sha, &n, &e) == 0);
    CHECK_INT(n, 2);
    CHECK(store_cert_hosts(s, "cd", &n, &e) == 0);
    CHECK_INT(n, 1);
    CHECK(store_cert_hosts(s, "none", &n, &e) == 0);
    CHECK_INT(n, 0);
    struct collect c = {0};
    CHECK(store_scan_findings(s, id, collect_fn, &c, &e) == 0);
    CHECK_INT(c.n, 4);
    CHECK(find_key(&c, "127.0.2.9:6379/re'dis\"; --") >= 0);
    struct scan_info si;
    CHECK(store_scan_get(s, id, &si, &e) == 0); /* the scans table is still there */
    store_close(s);
}

/* Commits happen without a flush (the 200 ms bound) and are visible to others. */
static void test_timed_commit(void)
{
    struct store *s = NULL, *r = NULL;
    struct err e = {{0}};
    const char *w = fresh();
    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    CHECK_MSG(store_open(&r, w, &e) == 0, "%s", e.msg);
    if (!s || !r) {
        store_close(s);
        store_close(r);
        return;
    }
    int64_t id;
    uint64_t pos;
    struct scan_meta m = meta("scopeT", 8000);
    CHECK(store_scan_begin(s, &m, &id, &pos, &e) == 0);
    put(s, id, "127.0.3.1", 11211, "memcached", 8000, NULL);
    CHECK(store_checkpoint(s, id, 5, &e) == 0);
    usleep(600 * 1000);
    hist_n = 0;
    CHECK(store_history(r, "127.0.3.1", 11211, hist_fn, NULL, &e) == 0);
    CHECK_INT(hist_n, 1);
    struct scan_info si;
    CHECK_INT(store_find_resumable(r, "scopeT", 0, 1, &si, &e), 0);
    CHECK_INT(si.id, id);
    store_close(r);
    CHECK(store_scan_end(s, id, &e) == 0);
    store_close(s);
}

/* N processes' worth of writers: shards of one group, each its own store. */
struct shard_arg {
    const char *where;
    uint32_t shard, nshards;
    int per;
    int rc;
    int64_t id;
    char msg[256];
};

static void *shard_main(void *p)
{
    struct shard_arg *a = p;
    struct store *s = NULL;
    struct err e = {{0}};
    a->rc = -1;
    if (store_open(&s, a->where, &e) < 0) goto out;
    struct scan_meta m = meta("scopeS", 9000);
    m.shard = a->shard;
    m.nshards = a->nshards;
    uint64_t pos;
    if (store_scan_begin(s, &m, &a->id, &pos, &e) < 0) goto out;
    store_set_batch(s, 97);
    for (int i = 0; i < a->per; i++) {
        struct finding f;
        char ip[32];
        int k = i * (int)a->nshards + (int)a->shard;
        str_fmt(ip, sizeof ip, "127.0.%d.%d", 10 + k / 250, 1 + k % 250);
        mk(&f, ip, 6379, "redis", 9000);
        int rc = store_put(s, a->id, &f, &e);
        finding_free(&f);
        if (rc < 0) goto out;
        if (i % 50 == 0 && store_checkpoint(s, a->id, (uint64_t)i, &e) < 0) goto out;
    }
    if (store_scan_end(s, a->id, &e) < 0) goto out;
    a->rc = 0;
out:
    str_copy(a->msg, e.msg, sizeof a->msg);
    store_close(s);
    return NULL;
}

static void test_shards(void)
{
    enum { N = 4, PER = 1500 };
    const char *w = fresh();
    struct store *s = NULL;
    struct err e = {{0}};
    /* create the schema first, as the first of several scanners would */
    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    store_close(s);
    pthread_t th[N];
    struct shard_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (struct shard_arg){.where = w, .shard = (uint32_t)i, .nshards = N, .per = PER};
        pthread_create(&th[i], NULL, shard_main, &a[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK_MSG(a[i].rc == 0, "shard %d: %s", i, a[i].msg);
    }
    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    if (!s) return;
    int64_t g0 = 0, g;
    for (int i = 0; i < N; i++) {
        CHECK(store_scan_group(s, a[i].id, &g, &e) == 0);
        if (i == 0) g0 = g;
        CHECK_INT(g, g0);
    }
    struct collect c = {0};
    CHECK(store_scan_findings(s, a[2].id, collect_fn, &c, &e) == 0);
    CHECK_INT(c.n, N * PER);

    /* a second group run of the same shards is a new group; a shard missing
     * from it keeps the group open, so nothing is closed before it ends */
    int64_t ids[2];
    for (int i = 0; i < 2; i++) {
        struct scan_meta m = meta("scopeS", 9500);
        m.shard = (uint32_t)i;
        m.nshards = N;
        uint64_t pos;
        CHECK(store_scan_begin(s, &m, &ids[i], &pos, &e) == 0);
        put(s, ids[i], "127.0.10.1", 6379, "redis", 9500, NULL);
        CHECK(store_scan_end(s, ids[i], &e) == 0);
    }
    CHECK(store_scan_group(s, ids[1], &g, &e) == 0);
    CHECK_INT(g, ids[0]);
    CHECK(g != g0);
    struct svc_collect sc = {0};
    CHECK(store_services(s, "127.0.10.2", 0, svc_fn, &sc, &e) == 0);
    CHECK_INT(sc.n, 1);
    CHECK_INT(sc.v[0].closed_at, 0);
    for (int i = 2; i < N; i++) {
        struct scan_meta m = meta("scopeS", 9600);
        m.shard = (uint32_t)i;
        m.nshards = N;
        uint64_t pos;
        int64_t id;
        CHECK(store_scan_begin(s, &m, &id, &pos, &e) == 0);
        CHECK(store_scan_end(s, id, &e) == 0);
    }
    sc.n = 0;
    CHECK(store_services(s, "127.0.10.2", 0, svc_fn, &sc, &e) == 0);
    CHECK_INT(sc.v[0].closed_at, 9500);
    sc.n = 0;
    CHECK(store_services(s, "127.0.10.1", 0, svc_fn, &sc, &e) == 0);
    CHECK_INT(sc.v[0].closed_at, 0);
    store_close(s);
}

/* A statement that fails inside the writer's batch fails the flush and every later call. */
static void test_writer_error(void)
{
    if (!pg_url) return; /* SQLite stores any bytes; PostgreSQL refuses invalid UTF-8 */
    struct store *s = NULL;
    struct err e = {{0}};
    CHECK_MSG(store_open(&s, fresh(), &e) == 0, "%s", e.msg);
    if (!s) return;
    int64_t id;
    uint64_t pos;
    struct scan_meta m = meta("scopeE", 9900);
    CHECK(store_scan_begin(s, &m, &id, &pos, &e) == 0);
    put(s, id, "127.0.4.1", 6379, "redis", 9900, NULL);
    struct finding f;
    mk(&f, "127.0.4.2", 6379, "redis", 9900);
    memcpy(f.product, "\xff\xfe", 3);     /* bypassing the sanitizing setters on purpose */
    CHECK(store_put(s, id, &f, &e) == 0); /* queued: the error comes at the commit */
    finding_free(&f);
    e.msg[0] = 0;
    CHECK(store_flush(s, &e) < 0);
    CHECK_MSG(strstr(e.msg, "postgresql") != NULL, "%s", e.msg);
    mk(&f, "127.0.4.3", 6379, "redis", 9900);
    CHECK(store_put(s, id, &f, &e) < 0);
    finding_free(&f);
    CHECK(store_scan_end(s, id, &e) < 0);
    store_close(s);
}

static int row_count(void *arg, struct db_stmt *st)
{
    *(int64_t *)arg = db_col_int(st, 0);
    return 1;
}

/*
 * PostgreSQL: server-side statements are reused by SQL text and bounded per
 * connection. Before, db_finalize freed only the client's side, and a
 * connection kept one server statement per query it ever ran.
 */
static void test_pg_statements(void)
{
    if (!pg_url) return;
    struct db *d = NULL;
    struct err e = {{0}};
    CHECK_MSG(db_open(&d, pg_url, &e) == 0, "%s", e.msg);
    if (!d) return;
    int64_t n0 = -1, n1 = -1, n2 = -1, v = 0;
    const char *count = "SELECT COUNT(*) FROM pg_prepared_statements";
    CHECK(db_query(d, count, "", row_count, &n0, &e) == 0);
    /* the same SQL 100 times: one server statement */
    for (int i = 0; i < 100; i++)
        CHECK(db_query(d, "SELECT $1::bigint + 1", "i", row_count, &v, &e, (int64_t)i) == 0);
    CHECK_INT(v, 100);
    CHECK(db_query(d, count, "", row_count, &n1, &e) == 0);
    CHECK_MSG(n1 <= n0 + 1, "same SQL: %lld server statements before, %lld after", (long long)n0,
              (long long)n1);
    /* 300 different ones: at most the cache's worth stay */
    char sql[64];
    for (int i = 0; i < 300; i++) {
        str_fmt(sql, sizeof sql, "SELECT %d + $1::bigint", i);
        CHECK(db_query(d, sql, "i", row_count, &v, &e, (int64_t)1) == 0);
    }
    CHECK_INT(v, 300);
    CHECK(db_query(d, count, "", row_count, &n2, &e) == 0);
    CHECK_MSG(n2 <= 64 + 1, "300 different queries left %lld server statements", (long long)n2);
    /* two held at once, same SQL: both run */
    struct db_stmt *a = NULL, *b = NULL;
    CHECK(db_prepare(d, "SELECT $1::bigint * 2", &a, &e) == 0);
    CHECK(db_prepare(d, "SELECT $1::bigint * 2", &b, &e) == 0);
    if (a && b) {
        db_bind_int(a, 1, 21);
        db_bind_int(b, 1, 5);
        CHECK(db_step(a, &e) == 1 && db_col_int(a, 0) == 42);
        CHECK(db_step(b, &e) == 1 && db_col_int(b, 0) == 10);
    }
    db_finalize(a);
    db_finalize(b);
    /* streamed: every row, one at a time */
    struct db_stmt *q = NULL;
    CHECK(db_prepare(d, "SELECT x FROM generate_series(1, $1::bigint) x", &q, &e) == 0);
    if (q) {
        db_stream(q);
        db_bind_int(q, 1, 10000);
        int64_t rows = 0, sum = 0;
        int r;
        while ((r = db_step(q, &e)) == 1) {
            rows++;
            sum += db_col_int(q, 0);
        }
        CHECK_INT(r, 0);
        CHECK_INT(rows, 10000);
        CHECK_INT(sum, 50005000);
        CHECK_INT(db_step(q, &e), 0); /* stays finished */
        /* again after a reset; left after 10 rows: the connection is free for the next query */
        db_reset(q);
        db_bind_int(q, 1, 100000);
        for (rows = 0; rows < 10 && db_step(q, &e) == 1; rows++)
            ;
        CHECK_INT(rows, 10);
        db_finalize(q);
        CHECK(db_query(d, "SELECT $1::bigint + 1", "i", row_count, &v, &e, (int64_t)41) == 0);
        CHECK_INT(v, 42);
    }
    /* an error in the middle of a stream: reported, and the connection still works */
    q = NULL;
    CHECK(db_prepare(d, "SELECT 1 / (x - 5000) FROM generate_series(1, 10000) x", &q, &e) == 0);
    if (q) {
        db_stream(q);
        int r, rows = 0;
        while ((r = db_step(q, &e)) == 1)
            rows++;
        CHECK_INT(r, -1);
        CHECK(rows < 5000);
        db_finalize(q);
        CHECK(db_query(d, "SELECT $1::bigint + 1", "i", row_count, &v, &e, (int64_t)1) == 0);
        CHECK_INT(v, 2);
    }
    db_close(d);
}

/* An address of 127.0.0.0/8 in network order, for store_reached. */
static void addr4(uint8_t a[16], const char *ip)
{
    memset(a, 0, 16);
    CHECK(inet_pton(AF_INET, ip, a) == 1);
}

static int closed_count(struct store *s, const char *ip)
{
    struct svc_collect sc = {0};
    struct err e = {{0}};
    CHECK(store_services(s, ip, 0, svc_fn, &sc, &e) == 0);
    int n = 0;
    for (int i = 0; i < sc.n; i++)
        n += sc.v[i].closed_at != 0;
    return n;
}

/*
 * The covered part of an interrupted walk: four services open before; the walk reached two of
 * them before its checkpoint (one seen again, one not), one after it, one never. Only the one
 * reached before the checkpoint and not seen is closed; the scan is interrupted, its reason
 * and checkpoint kept, its closures counted. Resumed and completed, the rest unseen close once.
 */
static void test_covered_part(void)
{
    struct store *s = NULL;
    struct err e = {{0}};
    int64_t id, id2;
    uint64_t pos;
    uint8_t a[16];
    CHECK(store_open(&s, fresh(), &e) == 0);
    struct scan_meta m = meta("scopeC", 1000);
    m.walk_total = 100;
    CHECK(store_scan_begin(s, &m, &id, &pos, &e) == 0);
    CHECK(!store_reach_wanted(s)); /* nothing known yet */
    put(s, id, "127.0.7.1", 6379, "redis", 1000, NULL);
    put(s, id, "127.0.7.2", 6379, "redis", 1000, NULL);
    put(s, id, "127.0.7.3", 6379, "redis", 1000, NULL);
    put(s, id, "127.0.7.4", 6379, "redis", 1000, NULL);
    CHECK(store_scan_end(s, id, &e) == 0);

    m = meta("scopeC", 2000);
    m.walk_total = 100;
    CHECK(store_scan_begin(s, &m, &id2, &pos, &e) == 0);
    CHECK(store_reach_wanted(s));
    addr4(a, "127.0.7.1");
    store_reached(s, AF_INET, a, 6379, 5); /* before the checkpoint, seen again */
    put(s, id2, "127.0.7.1", 6379, "redis", 2000, NULL);
    addr4(a, "127.0.7.2");
    store_reached(s, AF_INET, a, 6379, 7);  /* before the checkpoint, not seen: closed */
    store_reached(s, AF_INET, a, 6379, 60); /* a second report keeps the first position */
    store_reached(s, AF_INET, a, 6380, 8);  /* another port: no service there */
    addr4(a, "127.0.7.3");
    store_reached(s, AF_INET, a, 6379, 50); /* at the checkpoint: not concluded */
    CHECK(store_checkpoint(s, id2, 50, &e) == 0);
    CHECK(store_scan_stop(s, id2, "SIGTERM", 50, &e) == 0);
    CHECK(closed_count(s, "127.0.7.1") == 0);
    CHECK(closed_count(s, "127.0.7.2") == 1);
    CHECK(closed_count(s, "127.0.7.3") == 0);
    CHECK(closed_count(s, "127.0.7.4") == 0);
    struct scan_info si;
    CHECK(store_scan_get(s, id2, &si, &e) == 0);
    CHECK(si.status == SCAN_INTERRUPTED);
    CHECK(!strcmp(si.reason, "SIGTERM"));
    CHECK(si.checkpoint == 50 && si.walk_total == 100 && si.end == 0);
    CHECK(si.closed == 1);
    char t[256];
    scan_coverage_text(&si, t, sizeof t);
    CHECK_MSG(strstr(t, "interrupted at 50.0% of its walk (SIGTERM)") != NULL, "%s", t);
    int64_t last = 0, by = 0;
    CHECK(store_last_scan(s, "scopeC", &last, &e) == 0);
    CHECK(last == id); /* the interrupted one is not a complete coverage */
    struct store_service sv[1];
    struct svc_collect sc = {0};
    CHECK(store_services(s, "127.0.7.2", 0, svc_fn, &sc, &e) == 0);
    CHECK(sc.n == 1);
    if (sc.n == 1) {
        sv[0] = sc.v[0];
        CHECK(store_closed_by(s, sv[0].id, &by, &e) == 0);
        CHECK(by == id2);
    }
    store_close(s);

    /* resumed from 50 and completed: 127.0.7.3 and .4 were not seen, each closes once; .2
     * stays closed by the first run */
    CHECK(store_open(&s, where, &e) == 0);
    m.resume = true;
    int64_t id3;
    CHECK(store_scan_begin(s, &m, &id3, &pos, &e) == 0);
    CHECK(id3 == id2 && pos == 50);
    CHECK(store_scan_get(s, id2, &si, &e) == 0);
    CHECK(si.status == SCAN_RUNNING && !si.reason[0]);
    CHECK(store_scan_end(s, id2, &e) == 0);
    CHECK(closed_count(s, "127.0.7.1") == 0);
    CHECK(closed_count(s, "127.0.7.2") == 1);
    CHECK(closed_count(s, "127.0.7.3") == 1);
    CHECK(closed_count(s, "127.0.7.4") == 1);
    CHECK(store_scan_get(s, id2, &si, &e) == 0);
    CHECK(si.status == SCAN_COMPLETE && si.closed == 3 && scan_group_complete(&si));
    CHECK(store_last_scan(s, "scopeC", &last, &e) == 0);
    CHECK(last == id2);
    store_close(s);

    /* a service the covered part closed and another scan saw open since stays open when the
     * interrupted scan is later completed */
    CHECK(store_open(&s, fresh(), &e) == 0);
    m = meta("scopeD", 3000);
    m.walk_total = 10;
    CHECK(store_scan_begin(s, &m, &id, &pos, &e) == 0);
    put(s, id, "127.0.8.1", 6379, "redis", 3000, NULL);
    CHECK(store_scan_end(s, id, &e) == 0);
    CHECK(store_scan_begin(s, &m, &id2, &pos, &e) == 0);
    addr4(a, "127.0.8.1");
    store_reached(s, AF_INET, a, 6379, 1);
    CHECK(store_scan_stop(s, id2, "--max-seconds", 5, &e) == 0);
    CHECK(closed_count(s, "127.0.8.1") == 1);
    struct scan_meta o = meta("scopeE", 3100); /* another scope sees it open */
    CHECK(store_scan_begin(s, &o, &id3, &pos, &e) == 0);
    put(s, id3, "127.0.8.1", 6379, "redis", 3100, NULL);
    CHECK(store_scan_end(s, id3, &e) == 0);
    CHECK(closed_count(s, "127.0.8.1") == 0);
    m.resume = true;
    m.resume_id = id2;
    int64_t id4;
    CHECK(store_scan_begin(s, &m, &id4, &pos, &e) == 0);
    CHECK(id4 == id2);
    CHECK(store_scan_end(s, id2, &e) == 0);
    CHECK_MSG(closed_count(s, "127.0.8.1") == 0, "closed again by the completed scan");
    store_close(s);
}

/* Is key new in scan id (kit_new_in_scan, as the report and the dashboard ask)? -1: not found */
static int new_in(struct store *s, int64_t id, const char *key)
{
    struct err e = {{0}};
    struct collect c = {0};
    struct scan_info si;
    CHECK(store_scan_get(s, id, &si, &e) == 0);
    CHECK(store_scan_findings(s, id, collect_fn, &c, &e) == 0);
    int k = find_key(&c, key);
    if (k < 0) return -1;
    return kit_new_in_scan(c.first_scan[k], c.first[k], si.group, si.start);
}

/*
 * "New in this scan" is the scan that first saw the open period (first_scan), not a time: two
 * scans of one scope in the same second, a service that closes and opens again, and a store
 * migrated from before first_scan.
 */
static void test_first_scan(void)
{
    struct store *s = NULL;
    struct err e = {{0}};
    const char *w = fresh();
    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    if (!s) return;
    int64_t id1, id2, id3, id4;
    uint64_t pos;
    struct scan_meta m = meta("scopeN", 5000);
    CHECK(store_scan_begin(s, &m, &id1, &pos, &e) == 0);
    struct finding f;
    put(s, id1, "127.0.0.5", 6379, "redis", 5000, &f);
    CHECK_INT(f.first_scan, id1);
    finding_free(&f);
    CHECK(store_checkpoint(s, id1, 10, &e) == 0);
    CHECK(store_scan_end(s, id1, &e) == 0);
    /* scan 2 in the same second: the redis is not new, the mongodb is */
    m = meta("scopeN", 5000);
    CHECK(store_scan_begin(s, &m, &id2, &pos, &e) == 0);
    put(s, id2, "127.0.0.5", 6379, "redis", 5000, &f);
    CHECK_INT(f.first_scan, id1);
    CHECK_INT(f.first_seen, 5000); /* the time alone cannot tell: first seen at scan 2's start */
    finding_free(&f);
    put(s, id2, "127.0.0.6", 27017, "mongodb", 5000, NULL);
    CHECK(store_checkpoint(s, id2, 10, &e) == 0);
    CHECK(store_scan_end(s, id2, &e) == 0);
    CHECK_INT(new_in(s, id2, "127.0.0.5:6379/redis"), 0);
    CHECK_INT(new_in(s, id2, "127.0.0.6:27017/mongodb"), 1);
    CHECK_INT(new_in(s, id1, "127.0.0.5:6379/redis"), 1);
    /* scan 3 finds the redis closed, scan 4 sees it again: a new period, new in scan 4 */
    m = meta("scopeN", 6000);
    CHECK(store_scan_begin(s, &m, &id3, &pos, &e) == 0);
    put(s, id3, "127.0.0.6", 27017, "mongodb", 6000, NULL);
    CHECK(store_checkpoint(s, id3, 10, &e) == 0);
    CHECK(store_scan_end(s, id3, &e) == 0);
    m = meta("scopeN", 7000);
    CHECK(store_scan_begin(s, &m, &id4, &pos, &e) == 0);
    put(s, id4, "127.0.0.5", 6379, "redis", 7000, &f);
    CHECK_INT(f.first_scan, id4);
    finding_free(&f);
    put(s, id4, "127.0.0.6", 27017, "mongodb", 7000, NULL);
    CHECK(store_checkpoint(s, id4, 10, &e) == 0);
    CHECK(store_scan_end(s, id4, &e) == 0);
    CHECK_INT(new_in(s, id4, "127.0.0.5:6379/redis"), 1);
    CHECK_INT(new_in(s, id4, "127.0.0.6:27017/mongodb"), 0);
    CHECK_INT(new_in(s, id3, "127.0.0.6:27017/mongodb"), 0);
    /* a past scan keeps what it was: scan 1's redis stays new in scan 1, not in scan 2 */
    CHECK_INT(new_in(s, id1, "127.0.0.5:6379/redis"), 1);
    CHECK_INT(new_in(s, id2, "127.0.0.5:6379/redis"), 0);
    store_close(s);

    /* a store from before first_scan (migration 5 undone): the services get the scan that first
     * saw them since their first_seen; the observations keep 0 and fall back to the time */
    struct db *d = NULL;
    CHECK_MSG(db_open(&d, w, &e) == 0, "%s", e.msg);
    if (!d) return;
    CHECK_MSG(db_exec(d,
                      "ALTER TABLE services DROP COLUMN first_scan;"
                      "ALTER TABLE observations DROP COLUMN first_scan;"
                      "DELETE FROM schema_version WHERE version = 5",
                      &e) == 0,
              "%s", e.msg);
    db_close(d);
    CHECK_MSG(store_open(&s, w, &e) == 0, "%s", e.msg);
    if (!s) return;
    d = NULL;
    CHECK(db_open(&d, w, &e) == 0);
    int64_t fs = -1, fo = -1;
    if (d) {
        CHECK(db_query(d, "SELECT first_scan FROM services WHERE address = $1 AND port = 6379", "t",
                       row_count, &fs, &e, "127.0.0.5") == 0);
        CHECK(db_query(d, "SELECT MAX(first_scan) FROM observations", "", row_count, &fo, &e) == 0);
        db_close(d);
    }
    CHECK_INT(fs, id4); /* the open period began at scan 4 (first_seen 7000) */
    CHECK_INT(fo, 0);
    /* the fallback: the time rule, as before */
    CHECK_INT(new_in(s, id4, "127.0.0.5:6379/redis"), 1);
    CHECK_INT(new_in(s, id4, "127.0.0.6:27017/mongodb"), 0);
    /* and the next scan writes it again */
    int64_t id5;
    m = meta("scopeN", 8000);
    CHECK(store_scan_begin(s, &m, &id5, &pos, &e) == 0);
    put(s, id5, "127.0.0.5", 6379, "redis", 8000, &f);
    CHECK_INT(f.first_scan, id4);
    finding_free(&f);
    put(s, id5, "127.0.0.7", 11211, "memcached", 8000, NULL);
    CHECK(store_checkpoint(s, id5, 10, &e) == 0);
    CHECK(store_scan_end(s, id5, &e) == 0);
    CHECK_INT(new_in(s, id5, "127.0.0.5:6379/redis"), 0);
    CHECK_INT(new_in(s, id5, "127.0.0.7:11211/memcached"), 1);
    store_close(s);
}

static void suite(void)
{
    case_no = 0;
    test_open();
    test_two_scans();
    test_resume();
    test_certs();
    test_timed_commit();
    test_shards();
    test_covered_part();
    test_first_scan();
    test_writer_error();
    test_pg_statements();
}

/* issue 22: a store on another machine is reached over verified TLS unless the user says */
static void test_pg_sslmode(void)
{
    static const struct {
        const char *in, *want;
        int rc;
    } t[] = {
        {"postgresql://ajar@db.example.com/ajar",
         "postgresql://ajar@db.example.com/ajar?sslmode=verify-full", 1},
        {"postgresql://db.example.com/ajar?connect_timeout=5",
         "postgresql://db.example.com/ajar?connect_timeout=5&sslmode=verify-full", 1},
        {"host=db.example.com dbname=ajar", "host=db.example.com dbname=ajar sslmode=verify-full",
         1},
        {"host=127.0.0.1,db.example.com dbname=ajar",
         "host=127.0.0.1,db.example.com dbname=ajar sslmode=verify-full", 1},
        {"postgresql://db.example.com/ajar?sslmode=disable",
         "postgresql://db.example.com/ajar?sslmode=disable", 0},
        {"postgresql://127.0.0.1:5432/ajar", "postgresql://127.0.0.1:5432/ajar", 0},
        {"postgresql://localhost/ajar", "postgresql://localhost/ajar", 0},
        {"postgresql://[::1]/ajar", "postgresql://[::1]/ajar", 0},
        {"host=/var/run/postgresql dbname=ajar", "host=/var/run/postgresql dbname=ajar", 0},
        {"dbname=ajar", "dbname=ajar", 0},
    };
    const char *env = getenv("PGSSLMODE");
    char saved[64] = "";
    if (env) str_copy(saved, env, sizeof saved);
    unsetenv("PGSSLMODE");
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[512];
        CHECK_INT(db_pg_conninfo_secure(t[i].in, out, sizeof out), t[i].rc);
        CHECK_STR(out, t[i].want);
    }
    char out[512];
    CHECK_INT(db_pg_conninfo_secure("host=db.example.com no_such_option=1", out, sizeof out), -1);
    setenv("PGSSLMODE", "require", 1); /* the environment's word counts as the user's */
    CHECK_INT(db_pg_conninfo_secure("host=db.example.com dbname=ajar", out, sizeof out), 0);
    if (saved[0])
        setenv("PGSSLMODE", saved, 1);
    else
        unsetenv("PGSSLMODE");
}

int main(void)
{
    test_pg_sslmode();
    str_copy(tmpdir, "/tmp/ajar-store.XXXXXX", sizeof tmpdir);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    log_level = 1;
    suite();
    int sqlite_fail = t_fail;
    printf("sqlite: %d checks, %d failed\n", t_pass + t_fail, t_fail);
    const char *pg = getenv("AJAR_TEST_PG");
    if (pg && pg[0]) {
        pg_url = pg;
        int before = t_pass + t_fail;
        suite();
        printf("postgresql: %d checks, %d failed\n", t_pass + t_fail - before,
               t_fail - sqlite_fail);
    } else {
        printf("postgresql: skipped (set AJAR_TEST_PG=postgresql://... to run the suite on it)\n");
    }
    char cmd[128];
    str_fmt(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return T_END();
}
