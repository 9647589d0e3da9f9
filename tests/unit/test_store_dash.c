/*
 * tests/unit/test_store_dash.c -- the store's reads for the dashboard and
 * its accounts and sessions (store/dash.c, store/accounts.c), against a
 * real SQLite store written through the store's own path: every field a
 * row hands over, NULLs as -1 and "", streaming stopped early, records by
 * id across the 50-per-query chunks, the groups of a scope, one
 * observation, a service's history, neighbours, certificates, clusters,
 * and the account and session rows.
 */
#include "t.h"
#include "assess/assess.h"
#include "core/finding.h"
#include "store/db.h"
#include "store/store.h"
#include "store/store_int.h"

#include <stdlib.h>
#include <unistd.h>

#define T0 1700000000

static char tmpdir[64] = "/tmp/ajar-dash-XXXXXX";

static void put(struct store *s, int64_t scan, const char *ip, uint16_t port, const char *svc,
                const char *product, int64_t records, time_t t, const char *sha)
{
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, ip, sizeof f.ip);
    f.port = port;
    f.time = t;
    str_copy(f.transport, "tcp", sizeof f.transport);
    str_copy(f.service, svc, sizeof f.service);
    str_copy(f.product, product, sizeof f.product);
    str_copy(f.version, "1.0", sizeof f.version);
    f.auth = AUTH_NONE;
    f.records = records; /* -1: unknown, stored as NULL */
    if (sha) {
        f.tls.present = true;
        for (int i = 0; i < 64; i++)
            f.tls.sha256[i] = sha[0];
        f.tls.sha256[64] = 0;
    }
    struct assess_ctx ac = {.now = t};
    assess_finding(&f, &ac);
    struct err e = {{0}};
    CHECK_MSG(store_put(s, scan, &f, &e) == 0, "put: %s", e.msg);
    finding_free(&f);
}

struct seen {
    int n;
    int64_t obs[256];
    char ip[256][46];
    int64_t records[256];
    char product[256][32];
    char record0[64];
    int stop_after;
};

static int collect(void *arg, const struct store_obs_row *r)
{
    struct seen *s = arg;
    if (s->n < 256) {
        s->obs[s->n] = r->obs;
        str_copy(s->ip[s->n], r->address, sizeof s->ip[0]);
        s->records[s->n] = r->records;
        str_copy(s->product[s->n], r->product, sizeof s->product[0]);
        if (!s->n) str_copy(s->record0, r->record, sizeof s->record0);
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static int sev_sum(void *arg, const char *severity, int64_t n)
{
    (void)severity;
    *(int64_t *)arg += n;
    return 0;
}

static int groups(void *arg, int64_t group, int64_t max_id, time_t start, int64_t unfinished)
{
    int64_t *g = arg;
    (void)max_id;
    (void)start;
    if (g[0] < 4) g[1 + g[0]] = group * 10 + (unfinished ? 1 : 0);
    g[0]++;
    return 0;
}

static int64_t svc_id, obs1;
static int got(void *arg, const struct store_obs_row *r)
{
    int *n = arg;
    (*n)++;
    svc_id = r->service_id;
    CHECK_STR(r->address, "10.0.0.1");
    CHECK_INT(r->port, 9200);
    CHECK_STR(r->service, "elasticsearch");
    CHECK_STR(r->transport, "tcp");
    CHECK(r->group > 0);
    CHECK(strstr(r->record, "\"ip\":\"10.0.0.1\"") != NULL);
    CHECK_INT((int)strlen(r->cert), 64);
    CHECK_INT(r->closed_at, 0);
    return 0;
}

static void test_reads(void)
{
    char where[128];
    snprintf(where, sizeof where, "%s/s.db", tmpdir);
    struct store *s = NULL;
    struct err e = {{0}};
    CHECK_MSG(store_open(&s, where, &e) == 0, "%s", e.msg);
    int64_t ids[2];
    for (int k = 0; k < 2; k++) {
        struct scan_meta m = {
            .args = "t", .scope_key = "scope", .seed = 1, .nshards = 1, .start = T0 + k * 100};
        uint64_t p;
        CHECK(store_scan_begin(s, &m, &ids[k], &p, &e) == 0);
        put(s, ids[k], "10.0.0.1", 9200, "elasticsearch", "Elasticsearch", 10, T0 + k * 100, "a");
        put(s, ids[k], "10.0.0.1", 6379, "redis", "Redis", -1, T0 + k * 100, NULL);
        for (int i = 0; i < 120; i++) {
            char ip[32];
            str_fmt(ip, sizeof ip, "10.1.%d.%d", i / 250, i % 250);
            put(s, ids[k], ip, 11211, "memcached", "", i, T0 + k * 100, NULL);
        }
        CHECK(store_scan_end(s, ids[k], &e) == 0);
    }
    store_close(s);

    struct db *d = NULL;
    CHECK(db_open(&d, where, &e) == 0);
    int64_t sig[5];
    bool fin = false;
    time_t st = 0, en = 0;
    char scope[65];
    CHECK_INT(store_group_sig(d, ids[1], sig, &fin, &st, &en, scope, &e), 0);
    CHECK(fin);
    CHECK_INT(sig[0], 1);
    CHECK_INT(st, T0 + 100);
    CHECK_STR(scope, "scope");
    CHECK_INT(store_group_sig(d, 9999, sig, &fin, NULL, NULL, NULL, &e), -1);

    struct seen sn;
    memset(&sn, 0, sizeof sn);
    CHECK_INT(store_group_rows(d, ids[0], collect, &sn, &e), 0);
    CHECK_INT(sn.n, 122);
    bool null_records = false, null_product = false;
    for (int i = 0; i < 122; i++) {
        if (!strcmp(sn.ip[i], "10.0.0.1") && sn.records[i] == -1) null_records = true;
        if (!strcmp(sn.ip[i], "10.1.0.0")) null_product = sn.product[i][0] == 0;
    }
    CHECK_MSG(null_records, "unknown records read as -1");
    CHECK_MSG(null_product, "no product reads as \"\"");
    /* stopped early: the next read on the connection works */
    memset(&sn, 0, sizeof sn);
    sn.stop_after = 3;
    CHECK_INT(store_group_rows(d, ids[0], collect, &sn, &e), 0);
    CHECK_INT(sn.n, 3);
    int64_t total = 0;
    CHECK_INT(store_group_severities(d, ids[0], sev_sum, &total, &e), 0);
    CHECK_INT(total, 122);
    int64_t g[5] = {0};
    CHECK_INT(store_trend_groups(d, "scope", ids[1], 30, groups, g, &e), 0);
    CHECK_INT(g[0], 2);
    CHECK_INT(g[1], ids[1] * 10); /* newest first, finished */
    CHECK_INT(g[2], ids[0] * 10);
    memset(g, 0, sizeof g);
    CHECK_INT(store_trend_groups(d, "scope", ids[0], 30, groups, g, &e), 0);
    CHECK_INT(g[0], 1); /* up to the group asked for */
    CHECK_INT(store_scan_exists(d, ids[0], &e), 1);
    CHECK_INT(store_scan_exists(d, 9999, &e), 0);

    /* one observation */
    memset(&sn, 0, sizeof sn);
    CHECK_INT(store_group_rows(d, ids[1], collect, &sn, &e), 0);
    for (int i = 0; i < sn.n && i < 256; i++)
        if (!strcmp(sn.ip[i], "10.0.0.1") && sn.records[i] == 10) obs1 = sn.obs[i];
    CHECK(obs1 > 0);
    int n = 0;
    CHECK_INT(store_obs_get(d, obs1, got, &n, &e), 1);
    CHECK_INT(n, 1);
    CHECK_INT(store_obs_get(d, 999999, got, &n, &e), 0);
    CHECK_INT(n, 1);
    memset(&sn, 0, sizeof sn);
    CHECK_INT(store_service_history(d, svc_id, 1000, collect, &sn, &e), 0);
    CHECK_INT(sn.n, 2);
    CHECK(sn.obs[0] < sn.obs[1]); /* oldest first */
    memset(&sn, 0, sizeof sn);
    CHECK_INT(store_address_rows(d, "10.0.0.1", ids[1], obs1, 50, collect, &sn, &e), 0);
    CHECK_INT(sn.n, 1); /* the redis beside it, not itself */
    memset(&sn, 0, sizeof sn);
    CHECK_INT(store_service_obs(d, "10.0.0.1", 6379, "redis", ids[0], collect, &sn, &e), 1);
    CHECK_INT(sn.n, 1);
    CHECK(strstr(sn.record0, "{") == sn.record0);
    CHECK_INT(store_service_obs(d, "10.0.0.1", 6380, "redis", ids[0], collect, &sn, &e), 0);

    /* records by id: 130 ids (three statements), an unknown one skipped */
    int64_t want[130];
    memset(&sn, 0, sizeof sn);
    CHECK_INT(store_group_rows(d, ids[0], collect, &sn, &e), 0);
    for (int i = 0; i < 122; i++)
        want[i] = sn.obs[i];
    for (int i = 122; i < 130; i++)
        want[i] = 1000000 + i;
    memset(&sn, 0, sizeof sn);
    CHECK_INT(store_records(d, want, 130, collect, &sn, &e), 0);
    CHECK_INT(sn.n, 122);
    CHECK_INT(store_records(d, want, 0, collect, &sn, &e), 0);

    int64_t hosts = 0, size = 0;
    time_t f1, l1;
    char sha[65];
    memset(sha, 'a', 64);
    sha[64] = 0;
    CHECK_INT(store_cert_get(d, sha, &hosts, &f1, &l1, &e), 1);
    CHECK_INT(hosts, 1);
    CHECK_INT(f1, T0);
    CHECK_INT(store_cert_get(d, "nope", &hosts, &f1, &l1, &e), 0);
    CHECK_INT(hosts, 0);
    CHECK_INT(store_cluster_get(d, "nope", &f1, &l1, &size, &e), 0);
    db_close(d);
}

static int count_users(void *arg, const struct store_user_row *u)
{
    int *n = arg;
    if (!strcmp(u->name, "vera")) {
        CHECK_STR(u->role, "viewer");
        CHECK_STR(u->scope, "owner=A\n");
        CHECK_INT(u->sessions, 1);
    }
    (*n)++;
    return 0;
}

static int sess(void *arg, const struct store_session_row *s)
{
    char *user = arg;
    str_copy(user, s->user, 65);
    CHECK_STR(s->role, "viewer");
    CHECK_STR(s->scope, "owner=A\n");
    CHECK_STR(s->address, "127.0.0.1");
    return 0;
}

static int count_sess(void *arg, const struct store_session_row *s)
{
    (void)s;
    ++*(int *)arg;
    return 0;
}

static void test_accounts(void)
{
    char where[128];
    snprintf(where, sizeof where, "%s/a.db", tmpdir);
    struct db *d = NULL;
    struct err e = {{0}};
    CHECK(db_open(&d, where, &e) == 0);
    CHECK(store_migrate(d, &e) == 0);
    CHECK_INT(store_user_insert(d, "vera", "$argon2id$x", T0, "viewer", "owner=A\n", &e), 0);
    CHECK_INT(store_user_insert(d, "vera", "$argon2id$y", T0, "admin", "", &e), 1);
    CHECK_INT(store_user_insert(d, "adam", "$argon2id$z", T0, "admin", "", &e), 0);
    int64_t n = 0;
    CHECK_INT(store_user_count(d, &n, &e), 0);
    CHECK_INT(n, 2);
    char h[64];
    CHECK_INT(store_user_hash(d, "vera", h, sizeof h, &e), 1);
    CHECK_STR(h, "$argon2id$x");
    CHECK_INT(store_user_hash(d, "nobody", h, sizeof h, &e), 0);
    CHECK_INT(store_session_insert(d, "s1", "vera", "c1", "127.0.0.1", T0, &e), 0);
    CHECK_INT(store_session_insert(d, "s2", "adam", "c2", "127.0.0.2", T0, &e), 0);
    int cnt = 0;
    CHECK_INT(store_user_list(d, count_users, &cnt, &e), 0);
    CHECK_INT(cnt, 2);
    char user[65] = "";
    CHECK_INT(store_session_get(d, "s1", sess, user, &e), 1);
    CHECK_STR(user, "vera");
    CHECK_INT(store_session_get(d, "nope", sess, user, &e), 0);
    CHECK_INT(store_session_end(d, "adam", "s1", &e), 1); /* not adam's */
    CHECK_INT(store_session_get(d, "s1", sess, user, &e), 1);
    CHECK_INT(store_session_insert(d, "s3", "vera", "c3", "127.0.0.1", T0 + 5, &e), 0);
    cnt = 0;
    CHECK_INT(store_session_list(d, "vera", 200, count_sess, &cnt, &e), 0);
    CHECK_INT(cnt, 2);
    CHECK_INT(store_sessions_end_others(d, "vera", "s3", &e), 0);
    CHECK_INT(store_session_get(d, "s1", sess, user, &e), 0);
    CHECK_INT(store_user_set_hash(d, "vera", "$argon2id$new", NULL, &e), 0);
    CHECK_INT(store_session_get(d, "s3", sess, user, &e), 0); /* every session ended */
    CHECK_INT(store_user_set_hash(d, "nobody", "$argon2id$new", NULL, &e), 1);
    CHECK_INT(store_sessions_purge(d, T0 + 1, 0, T0 + 1000, &e), 0);
    cnt = 0;
    CHECK_INT(store_session_list(d, "adam", 200, count_sess, &cnt, &e), 0);
    CHECK_INT(cnt, 0); /* unused since before T0 + 1 */
    CHECK_INT(store_user_delete(d, "vera", &e), 0);
    CHECK_INT(store_user_delete(d, "vera", &e), 1);
    db_close(d);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) return 1;
    test_reads();
    test_accounts();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    return T_END();
}
