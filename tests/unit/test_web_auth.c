/*
 * tests/unit/test_web_auth.c -- the dashboard's security pieces in
 * isolation: names and passwords, Argon2id, sessions and their timeouts in
 * a real SQLite store, the throttle's growing delays (with its own clock),
 * the audit log, the certificate (generate, load, refuse expired or
 * mismatched, key mode) and the listen address parser.
 */
#include "store/db.h"
#include "store/store_int.h"
#include "t.h"
#include "web/auth.h"
#include "web/serve_cert.h"
#include "web/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/ajar-webauth.XXXXXX";

static void test_names(void)
{
    CHECK(auth_name_valid("alice"));
    CHECK(auth_name_valid("a.b_c@d-e"));
    CHECK(!auth_name_valid(""));
    CHECK(!auth_name_valid("-rf"));
    CHECK(!auth_name_valid("a b"));
    CHECK(!auth_name_valid("a'b"));
    CHECK(!auth_name_valid("<script>"));
    char long_name[80];
    memset(long_name, 'a', 65);
    long_name[65] = 0;
    CHECK(!auth_name_valid(long_name));
    long_name[64] = 0;
    CHECK(auth_name_valid(long_name));
    CHECK(auth_password_problem("short") != NULL);
    CHECK(auth_password_problem("elevenchars") != NULL);
    CHECK(auth_password_problem("twelve chars") == NULL);
    /* issue 22: the patterns of common long passwords */
    CHECK(auth_password_problem("aaaaaaaaaaaa") != NULL);
    CHECK(auth_password_problem("121212121212") != NULL);
    CHECK(auth_password_problem("123456789012") != NULL);
    CHECK(auth_password_problem("qwertyuiop12") != NULL);
    CHECK(auth_password_problem("abcdefghijkl") != NULL);
    CHECK(auth_password_problem("0987654321ab") != NULL);
    CHECK(auth_password_problem("correct horse battery staple") == NULL);
    CHECK(auth_password_problem("Tr0ub4dor&3xyz") == NULL);
    CHECK(auth_password_problem_user("alice", "alice-is-great-2026") != NULL);
    CHECK(auth_password_problem_user("alice", "ALICE the admin 9") != NULL);
    CHECK(auth_password_problem_user("alice", "correct horse battery staple") == NULL);
    CHECK(auth_password_problem_user("al", "al is fine here 42") == NULL);
    char *huge = malloc(2000);
    memset(huge, 'x', 1999);
    huge[1999] = 0;
    CHECK(auth_password_problem(huge) != NULL);
    /* ASVS 2.1.2: 64 characters allowed, over 128 refused (characters, not bytes) */
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 129; i++)
        huge[i] = alpha[(i * 7) % 36];
    huge[64] = 0;
    CHECK(auth_password_problem(huge) == NULL);
    huge[64] = alpha[(64 * 7) % 36];
    huge[128] = 0;
    CHECK(auth_password_problem(huge) == NULL);
    huge[128] = 'q';
    huge[129] = 0;
    CHECK_STR(auth_password_problem(huge), "longer than 128 characters");
    free(huge);
    /* ASVS 2.1.1: characters, not bytes; a run of spaces counts once */
    CHECK_INT(auth_password_chars("\xc3\xa9t\xc3\xa9"), 3);
    CHECK_INT(auth_password_chars("a    b"), 3);
    CHECK_INT(auth_password_chars(""), 0);
    CHECK_STR(auth_password_problem("\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xb6\xc3\xae\xc3\xa7"
                                    "\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xb6\xc3\xae"),
              "shorter than 12 characters"); /* 11 characters in 22 bytes */
    CHECK(auth_password_problem("\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xb6\xc3\xae\xc3\xa7"
                                "\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xb6\xc3\xae\xc3\xa7") == NULL);
    CHECK_STR(auth_password_problem("horse        cart"),
              "shorter than 12 characters"); /* 17 bytes, 10 characters */
    CHECK(auth_password_problem("horse  battery staple") == NULL);
    /* a 4-byte character (an emoji) is one character */
    CHECK_INT(auth_password_chars("\xf0\x9f\x94\x91key"), 4);
}

static void test_hash(void)
{
    char h1[256], h2[256];
    struct err e = {0};
    CHECK_INT(auth_hash_password("correct horse battery", h1, sizeof h1, &e), 0);
    CHECK_INT(auth_hash_password("correct horse battery", h2, sizeof h2, &e), 0);
    CHECK(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    CHECK(strcmp(h1, h2) != 0); /* salted */
    CHECK_INT(auth_verify_password(h1, "correct horse battery"), 1);
    CHECK_INT(auth_verify_password(h1, "correct horse batterY"), 0);
    CHECK_INT(auth_verify_password("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x"), 0);
    CHECK_INT(auth_verify_password("garbage", "x"), 0);
    CHECK_INT(auth_verify_password(NULL, "x"), 0);
    CHECK(auth_secret_eq("abc", "abc"));
    CHECK(!auth_secret_eq("abc", "abd"));
    CHECK(!auth_secret_eq("abc", "abcd"));
    CHECK(!auth_secret_eq("", ""));
    CHECK(!auth_secret_eq(NULL, "a"));
}

static int count_users(void *arg, const struct auth_user *u)
{
    (void)u;
    (*(int *)arg)++;
    return 0;
}

static void test_accounts_sessions(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/s.db", tmpdir);
    struct err e = {0};
    struct db *d = NULL;
    CHECK_INT(db_open(&d, path, &e), 0);
    CHECK_INT(store_migrate(d, &e), 0);
    int64_t n = -1;
    CHECK_INT(auth_user_count(d, &n, &e), 0);
    CHECK_INT(n, 0);
    CHECK_INT(auth_user_add(d, "alice", "short", ROLE_ADMIN, NULL, &e), -1);
    CHECK_INT(auth_user_add(d, "bad name", "long enough password", ROLE_ADMIN, NULL, &e), -1);
    CHECK_INT(auth_user_add(d, "alice", "long enough password", ROLE_ADMIN, NULL, &e), 0);
    CHECK_INT(auth_user_add(d, "alice", "another long password", ROLE_ADMIN, NULL, &e), 1);
    CHECK_INT(auth_user_add(d, "bob", "bobs long password", ROLE_ADMIN, NULL, &e), 0);
    int cnt = 0;
    CHECK_INT(auth_user_list(d, count_users, &cnt, &e), 0);
    CHECK_INT(cnt, 2);
    /* the hash, not the password, is stored */
    struct db_stmt *st = NULL;
    CHECK_INT(db_prepare(d, "SELECT hash FROM users WHERE name = 'alice'", &st, &e), 0);
    CHECK_INT(db_step(st, &e), 1);
    CHECK(strstr(db_col_text(st, 0), "long enough") == NULL);
    CHECK(strncmp(db_col_text(st, 0), "$argon2id$", 10) == 0);
    db_finalize(st);

    CHECK_INT(auth_login_check(d, "alice", "long enough password", &e), 1);
    CHECK_INT(auth_login_check(d, "alice", "long enough passworD", &e), 0);
    CHECK_INT(auth_login_check(d, "nobody", "long enough password", &e), 0);
    CHECK_INT(auth_login_check(d, "x' OR '1'='1", "long enough password", &e), 0);
    CHECK_INT(auth_login_check(d, "alice", "", &e), 0);

    struct auth_limits lim = {.idle = 100, .absolute = 1000};
    char tok[AUTH_TOKEN_HEX + 1], tok2[AUTH_TOKEN_HEX + 1];
    struct auth_session s, g;
    time_t t0 = 1700000000;
    CHECK_INT(auth_session_new(d, "alice", "127.0.0.1", t0, tok, &s, &e), 0);
    CHECK_INT((int)strlen(tok), 64);
    CHECK_INT((int)strlen(s.csrf), 64);
    CHECK(strcmp(tok, s.csrf) != 0);
    /* the store keeps the token's hash only */
    CHECK_INT(db_prepare(d, "SELECT COUNT(*) FROM web_sessions WHERE token_sha256 = $1", &st, &e),
              0);
    db_bind_text(st, 1, tok);
    CHECK_INT(db_step(st, &e), 1);
    CHECK_INT(db_col_int(st, 0), 0);
    db_finalize(st);
    CHECK_INT(auth_session_get(d, tok, t0 + 10, &lim, &g, &e), 1);
    CHECK_STR(g.user, "alice");
    CHECK_STR(g.csrf, s.csrf);
    /* used within idle keeps it alive past the first idle period */
    CHECK_INT(auth_session_get(d, tok, t0 + 90, &lim, &g, &e), 1);
    CHECK_INT(auth_session_get(d, tok, t0 + 180, &lim, &g, &e), 1);
    /* idle too long: gone, and stays gone */
    CHECK_INT(auth_session_get(d, tok, t0 + 400, &lim, &g, &e), 0);
    CHECK_INT(auth_session_get(d, tok, t0 + 401, &lim, &g, &e), 0);
    /* absolute lifetime, however active */
    CHECK_INT(auth_session_new(d, "alice", "127.0.0.1", t0, tok, &s, &e), 0);
    time_t t;
    int alive = 1;
    for (t = t0 + 50; t <= t0 + 1100 && alive == 1; t += 50)
        alive = auth_session_get(d, tok, t, &lim, &g, &e);
    CHECK_INT(alive, 0);
    CHECK(t > t0 + 1000 && t <= t0 + 1100);
    /* malformed tokens never reach the store */
    CHECK_INT(auth_session_get(d, "", t0, &lim, &g, &e), 0);
    CHECK_INT(auth_session_get(d, "x' OR 1=1 --", t0, &lim, &g, &e), 0);
    CHECK_INT(auth_session_get(d, NULL, t0, &lim, &g, &e), 0);
    /* logout */
    CHECK_INT(auth_session_new(d, "bob", "127.0.0.1", t0, tok2, &s, &e), 0);
    CHECK_INT(auth_session_get(d, tok2, t0 + 1, &lim, &g, &e), 1);
    CHECK_INT(auth_session_del(d, tok2, &e), 0);
    CHECK_INT(auth_session_get(d, tok2, t0 + 2, &lim, &g, &e), 0);
    /* deleting a user ends its sessions */
    CHECK_INT(auth_session_new(d, "bob", "127.0.0.1", t0, tok2, &s, &e), 0);
    CHECK_INT(auth_user_del(d, "bob", &e), 0);
    CHECK_INT(auth_user_del(d, "bob", &e), 1);
    CHECK_INT(auth_session_get(d, tok2, t0 + 1, &lim, &g, &e), 0);
    CHECK_INT(auth_login_check(d, "bob", "bobs long password", &e), 0);
    /* purge: sessions past idle or absolute go, a live one stays, even if never presented again */
    CHECK_INT(db_query(d, "DELETE FROM web_sessions", "", NULL, NULL, &e), 0);
    char t3[AUTH_TOKEN_HEX + 1];
    CHECK_INT(auth_session_new(d, "alice", "127.0.0.1", t0, tok, &s, &e), 0);         /* idle */
    CHECK_INT(auth_session_new(d, "alice", "127.0.0.1", t0 + 5000, tok2, &s, &e), 0); /* live */
    CHECK_INT(auth_session_new(d, "alice", "127.0.0.1", t0 + 90000, t3, &s, &e), 0);  /* future */
    CHECK_INT(auth_sessions_purge(d, t0 + 5050, &lim, &e), 0);
    int64_t left = -1;
    CHECK_INT(db_query(d, "SELECT COUNT(*) FROM web_sessions", "", db_row_int, &left, &e), 0);
    CHECK_INT(left, 1);
    CHECK_INT(auth_session_get(d, tok2, t0 + 5060, &lim, &g, &e), 1);
    CHECK_INT(auth_session_get(d, tok, t0 + 5060, &lim, &g, &e), 0);
    db_close(d);
}

/* issue 22: the throttle's keys and its bookkeeping */
static void test_throttle_keys(void)
{
    struct auth_throttle *t = auth_throttle_new();
    time_t now = 5000;
    /* an IPv6 address is keyed by its /64: another address of the same /64 waits too */
    for (int i = 0; i < 3; i++)
        auth_throttle_fail(t, "2001:db8:0:7::1", "u1", now);
    CHECK(auth_throttle_wait(t, "2001:db8:0:7::ffff", "other", now) > 0);
    CHECK_INT(auth_throttle_wait(t, "2001:db8:0:8::1", "other", now), 0);
    /* checked and counted at once: the 4th of four attempts begun before any result waits */
    int w = 0;
    for (int i = 0; i < 4; i++)
        w = auth_throttle_begin(t, "10.9.0.1", "dave", NULL, now);
    CHECK(w > 0);
    /* a device that signed in as erin before is not locked out by someone hammering her name
     * from elsewhere; without the device cookie she waits like the attacker */
    for (int i = 0; i < 40; i++)
        auth_throttle_begin(t, "198.51.100.1", "erin", NULL, now + i);
    CHECK(auth_throttle_begin(t, "10.9.0.2", "erin", NULL, now + 40) > 0);
    CHECK_INT(
        auth_throttle_begin(t, "10.9.0.3", "erin", "00112233445566778899aabbccddeeff", now + 40),
        0);
    auth_throttle_ok_device(t, "10.9.0.3", "erin", "00112233445566778899aabbccddeeff");
    /* a flood of fresh names cannot push out a key being throttled */
    for (int i = 0; i < 5; i++)
        auth_throttle_fail(t, "10.9.0.9", "frank", now + 50);
    for (int i = 0; i < 20000; i++) {
        char name[32];
        snprintf(name, sizeof name, "flood%d", i);
        auth_throttle_fail(t, "192.0.2.77", name, now + 50);
    }
    CHECK(auth_throttle_wait(t, "10.9.0.10", "frank", now + 50) > 0);
    auth_throttle_free(t);
}

static void test_throttle(void)
{
    struct auth_throttle *t = auth_throttle_new();
    time_t now = 1000;
    CHECK_INT(auth_throttle_wait(t, "10.0.0.1", "alice", now), 0);
    for (int i = 0; i < 3; i++)
        auth_throttle_fail(t, "10.0.0.1", "alice", now);
    CHECK_INT(auth_throttle_wait(t, "10.0.0.1", "alice", now), 2);
    /* the user is throttled from another address too, the address for another user */
    CHECK_INT(auth_throttle_wait(t, "10.0.0.2", "alice", now), 2);
    CHECK_INT(auth_throttle_wait(t, "10.0.0.1", "bob", now), 2);
    CHECK_INT(auth_throttle_wait(t, "10.0.0.2", "bob", now), 0);
    CHECK_INT(auth_throttle_wait(t, "10.0.0.1", "alice", now + 1), 1);
    CHECK_INT(auth_throttle_wait(t, "10.0.0.1", "alice", now + 2), 0);
    /* growing: each failure doubles */
    int want[] = {4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        now += 1000;
        auth_throttle_fail(t, "10.0.0.1", "alice", now);
        CHECK_INT(auth_throttle_wait(t, "10.0.0.1", "alice", now), want[i]);
    }
    /* forgotten after an hour of quiet */
    CHECK_INT(auth_throttle_wait(t, "10.0.0.1", "alice", now + 3601), 0);
    auth_throttle_fail(t, "10.0.0.1", "alice", now + 3602);
    CHECK_INT(auth_throttle_wait(t, "10.0.0.1", "alice", now + 3602), 0);
    /* success clears */
    for (int i = 0; i < 5; i++)
        auth_throttle_fail(t, "10.0.0.3", "carol", now);
    CHECK(auth_throttle_wait(t, "10.0.0.3", "carol", now) > 0);
    auth_throttle_ok(t, "10.0.0.3", "carol");
    CHECK_INT(auth_throttle_wait(t, "10.0.0.3", "carol", now), 0);
    /* bounded: a flood of addresses does not grow it, and recent keys survive */
    for (int i = 0; i < 9000; i++) {
        char a[32];
        snprintf(a, sizeof a, "10.1.%d.%d", i / 256, i % 256);
        auth_throttle_fail(t, a, NULL, now + 5000 + i / 1000);
    }
    for (int i = 0; i < 4; i++)
        auth_throttle_fail(t, "10.0.0.9", "dave", now + 5030);
    CHECK(auth_throttle_wait(t, "10.0.0.9", NULL, now + 5030) > 0);
    auth_throttle_free(t);
}

static void test_audit(void)
{
    char path[256], line[1024];
    snprintf(path, sizeof path, "%s/audit.log", tmpdir);
    struct auth_audit *a = NULL;
    struct err e = {0};
    CHECK_INT(auth_audit_open(&a, path, &e), 0);
    auth_audit(a, "login_failed", "eve\"\n\x01<x>", "127.0.0.1", NULL);
    auth_audit(a, "login", "alice", "127.0.0.1", "ok");
    auth_audit_close(a);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    FILE *fp = fopen(path, "r");
    int lines = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        lines++;
        CHECK(line[0] == '{' && strstr(line, "\"event\":"));
        if (lines == 1) CHECK(strstr(line, "\"user\":\"eve\\\"") != NULL);
    }
    if (fp) fclose(fp);
    CHECK_INT(lines, 2);
}

static int count_lines_of(const char *path, const char *needle)
{
    char line[1024];
    int n = 0;
    FILE *fp = fopen(path, "r");
    while (fp && fgets(line, sizeof line, fp))
        n += !needle || strstr(line, needle) != NULL;
    if (fp) fclose(fp);
    return n;
}

/* issue 22: a flood of failed logins cannot fill the disk: the burst is written, the rest
 * counted; the file is rotated past its cap; signed-in events are always written */
static void test_audit_flood(void)
{
    char path[256], old[300];
    snprintf(path, sizeof path, "%s/flood.log", tmpdir);
    snprintf(old, sizeof old, "%s.1", path);
    struct auth_audit *a = NULL;
    struct err e = {0};
    CHECK_INT(auth_audit_open(&a, path, &e), 0);
    auth_audit_limits(a, 0, 50);
    for (int i = 0; i < 100000; i++)
        auth_audit(a, "login_failed", "admin", "203.0.113.9", NULL);
    auth_audit(a, "login", "alice", "127.0.0.1", NULL);
    auth_audit_close(a);
    int failed = count_lines_of(path, "login_failed");
    /* the minute may turn during the loop: at most two bursts and the note between them */
    CHECK(failed >= 50 && failed <= 100);
    CHECK_INT(count_lines_of(path, "\"login\""), 1);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK(st.st_size < 64 * 1024);
    /* rotation: a 4 KB cap and 200 signed-in events leave at most 2 x 4 KB on disk */
    CHECK_INT(auth_audit_open(&a, path, &e), 0);
    auth_audit_limits(a, 4096, 0);
    for (int i = 0; i < 200; i++)
        auth_audit(a, "login", "alice", "127.0.0.1", NULL);
    auth_audit_close(a);
    struct stat s1;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(stat(old, &s1), 0);
    CHECK(st.st_size <= 4096 && s1.st_size <= 4096);
    CHECK_INT(s1.st_mode & 0777, 0600);
    CHECK_INT(st.st_mode & 0777, 0600);
}

static void test_cert(void)
{
    struct web_cert c;
    struct err e = {0};
    struct web_cert_opts o = {.state_dir = tmpdir, .host = "127.0.0.2"};
    CHECK_INT(web_cert_load(&c, &o, &e), 0);
    CHECK(c.generated);
    CHECK_INT((int)strlen(c.sha256), 64);
    int left = web_cert_days_left(&c, now_wall());
    CHECK(left >= 363 && left <= 365);
    struct stat st;
    CHECK_INT(stat(c.key_path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    char sha[65];
    memcpy(sha, c.sha256, sizeof sha);
    web_cert_free(&c);
    /* kept: the second start loads the same one */
    CHECK_INT(web_cert_load(&c, &o, &e), 0);
    CHECK(!c.generated);
    CHECK_STR(c.sha256, sha);
    time_t not_after = c.not_after;
    web_cert_free(&c);
    /* a year and a day later: expired, refused, unless allowed */
    o.now = not_after + 86400;
    CHECK_INT(web_cert_load(&c, &o, &e), -1);
    CHECK(strstr(e.msg, "expired") != NULL);
    CHECK(strstr(e.msg, "--allow-expired-cert") != NULL);
    o.allow_expired = true;
    CHECK_INT(web_cert_load(&c, &o, &e), 0);
    CHECK(web_cert_days_left(&c, o.now) < 0);
    web_cert_free(&c);
    o.allow_expired = false;
    o.now = 0;
    /* a key readable by others is refused */
    char key[300];
    snprintf(key, sizeof key, "%s/ajar-serve.key", tmpdir);
    chmod(key, 0644);
    CHECK_INT(web_cert_load(&c, &o, &e), -1);
    CHECK(strstr(e.msg, "chmod 600") != NULL);
    chmod(key, 0600);
    /* a certificate with someone else's key */
    char *cp, *kp;
    CHECK_INT(web_cert_generate("localhost", 10, &cp, &kp, &e), 0);
    char other[300];
    snprintf(other, sizeof other, "%s/other.key", tmpdir);
    FILE *fp = fopen(other, "w");
    if (fp) {
        fputs(kp, fp);
        fclose(fp);
    }
    struct web_cert_opts o2 = {.state_dir = tmpdir};
    char crt[300];
    snprintf(crt, sizeof crt, "%s/ajar-serve.crt", tmpdir);
    o2.cert_path = crt;
    o2.key_path = other;
    CHECK_INT(web_cert_load(&c, &o2, &e), -1);
    CHECK(strstr(e.msg, "is not the key of") != NULL);
    /* garbage */
    o2.key_path = crt;
    CHECK_INT(web_cert_load(&c, &o2, &e), -1);
    o2.cert_path = NULL;
    CHECK_INT(web_cert_load(&c, &o2, &e), -1);
    free(cp);
    free(kp);
}

static void test_listen(void)
{
    struct sockaddr_storage ss;
    char host[128];
    uint16_t port;
    struct err e = {0};
    CHECK_INT(web_parse_listen("127.0.0.1:8443", &ss, host, sizeof host, &port, &e), 0);
    CHECK_INT(port, 8443);
    CHECK_STR(host, "127.0.0.1");
    CHECK(web_is_loopback(&ss));
    CHECK_INT(web_parse_listen("[::1]:0", &ss, host, sizeof host, &port, &e), 0);
    CHECK(web_is_loopback(&ss));
    CHECK_INT(web_parse_listen("0.0.0.0:8443", &ss, host, sizeof host, &port, &e), 0);
    CHECK(!web_is_loopback(&ss));
    CHECK_INT(web_parse_listen("[::]:8443", &ss, host, sizeof host, &port, &e), 0);
    CHECK(!web_is_loopback(&ss));
    CHECK_INT(web_parse_listen("10.0.0.1:1", &ss, host, sizeof host, &port, &e), 0);
    CHECK(!web_is_loopback(&ss));
    const char *bad[] = {
        "",         "8443",      "localhost:8443", "127.0.0.1",    "127.0.0.1:65536",
        "::1:8443", "[::1]8443", "[::1",           "127.0.0.1:-1", "127.0.0.1:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(web_parse_listen(bad[i], &ss, host, sizeof host, &port, &e) == -1, "%s", bad[i]);
}

static int count_sessions(void *arg, const struct auth_session *s)
{
    (void)s;
    ++*(int *)arg;
    return 0;
}

static int first_sha(void *arg, const struct auth_session *s)
{
    str_copy(arg, s->sha, 65);
    return 1;
}

struct roles_seen {
    int n;
    enum web_role role[4];
    char scope[4][SCOPE_TEXT_MAX];
};

static int user_roles(void *arg, const struct auth_user *u)
{
    struct roles_seen *r = arg;
    if (r->n < 4) {
        r->role[r->n] = u->role;
        str_copy(r->scope[r->n], u->scope.text, sizeof r->scope[r->n]);
        r->n++;
    }
    return 0;
}

/* roles and scopes kept and handed to the session; one's own sessions listed and ended; a new
 * password ends the other sessions; a role or scope altered by hand opens nothing */
static void test_roles_sessions(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/roles.db", tmpdir);
    struct err e = {0};
    struct db *d = NULL;
    CHECK_INT(db_open(&d, path, &e), 0);
    CHECK_INT(store_migrate(d, &e), 0);
    struct web_scope sc;
    memset(&sc, 0, sizeof sc);
    CHECK_INT(web_scope_add(&sc, "owner", "Shanghai PSB", &e), 0);
    /* a viewer needs a scope, the others none */
    CHECK_INT(auth_user_add(d, "vera", "vera's long password", ROLE_VIEWER, NULL, &e), -1);
    CHECK(strstr(e.msg, "scope") != NULL);
    CHECK_INT(auth_user_add(d, "ann", "ann's long password", ROLE_ANALYST, &sc, &e), -1);
    CHECK_INT(auth_user_add(d, "vera", "vera's long password", ROLE_VIEWER, &sc, &e), 0);
    CHECK_INT(auth_user_add(d, "ann", "ann's long password", ROLE_ANALYST, NULL, &e), 0);
    CHECK_INT(auth_user_add(d, "adam", "adam's long password", ROLE_ADMIN, NULL, &e), 0);
    struct roles_seen rs = {0};
    CHECK_INT(auth_user_list(d, user_roles, &rs, &e), 0);
    CHECK_INT(rs.n, 3); /* adam, ann, vera */
    CHECK_INT(rs.role[0], ROLE_ADMIN);
    CHECK_INT(rs.role[1], ROLE_ANALYST);
    CHECK_INT(rs.role[2], ROLE_VIEWER);
    CHECK_STR(rs.scope[2], "owner=Shanghai PSB\n");
    CHECK_STR(rs.scope[1], "");

    struct auth_limits lim = {.idle = 1000, .absolute = 10000};
    time_t t0 = 1700000000;
    char t1[AUTH_TOKEN_HEX + 1], t2[AUTH_TOKEN_HEX + 1], t3[AUTH_TOKEN_HEX + 1];
    struct auth_session s, g;
    CHECK_INT(auth_session_new(d, "vera", "127.0.0.1", t0, t1, &s, &e), 0);
    CHECK_INT(auth_session_new(d, "vera", "127.0.0.2", t0 + 1, t2, &s, &e), 0);
    CHECK_INT(auth_session_new(d, "ann", "127.0.0.3", t0 + 2, t3, &s, &e), 0);
    CHECK_INT(auth_session_get(d, t1, t0 + 5, &lim, &g, &e), 1);
    CHECK_INT(g.role, ROLE_VIEWER);
    CHECK_INT(g.scope.n, 1);
    CHECK_STR(g.scope.t[0].value, "Shanghai PSB");
    CHECK_INT((int)strlen(g.sha), 64);
    char vera1[65];
    str_copy(vera1, g.sha, sizeof vera1);
    CHECK_INT(auth_session_get(d, t3, t0 + 5, &lim, &g, &e), 1);
    CHECK_INT(g.role, ROLE_ANALYST);
    CHECK_INT(g.scope.n, 0);
    char ann[65];
    str_copy(ann, g.sha, sizeof ann);

    int n = 0;
    CHECK_INT(auth_session_list(d, "vera", count_sessions, &n, &e), 0);
    CHECK_INT(n, 2);
    /* another account's session cannot be ended by its id */
    CHECK_INT(auth_session_end(d, "vera", ann, &e), 1);
    CHECK_INT(auth_session_get(d, t3, t0 + 6, &lim, &g, &e), 1);
    CHECK_INT(auth_session_end(d, "vera", "not-an-id", &e), 1);
    CHECK_INT(auth_session_end(d, "vera", NULL, &e), 1);
    /* ending the others keeps this one */
    CHECK_INT(auth_sessions_end_others(d, "vera", vera1, &e), 0);
    n = 0;
    CHECK_INT(auth_session_list(d, "vera", count_sessions, &n, &e), 0);
    CHECK_INT(n, 1);
    CHECK_INT(auth_session_get(d, t2, t0 + 7, &lim, &g, &e), 0);
    CHECK_INT(auth_session_get(d, t1, t0 + 7, &lim, &g, &e), 1);
    char sha[65] = "";
    CHECK_INT(auth_session_list(d, "vera", first_sha, sha, &e), 0);
    CHECK_STR(sha, vera1);
    CHECK_INT(auth_session_end(d, "vera", vera1, &e), 0);
    CHECK_INT(auth_session_get(d, t1, t0 + 8, &lim, &g, &e), 0);

    /* a new password: checked, the old one stops working, the other sessions end */
    CHECK_INT(auth_session_new(d, "ann", "127.0.0.4", t0 + 9, t1, &s, &e), 0);
    CHECK_INT(auth_password_set(d, "ann", "short", ann, &e), -1);
    CHECK_INT(auth_password_set(d, "ann", "ann-is-my-password", ann, &e), -1); /* holds the name */
    CHECK_INT(auth_password_set(d, "nobody", "a long enough password", NULL, &e), 1);
    CHECK_INT(auth_password_set(d, "ann", "a brand new long secret", ann, &e), 0);
    CHECK_INT(auth_password_verify(d, "ann", "ann's long password", &e), 0);
    CHECK_INT(auth_password_verify(d, "ann", "a brand new long secret", &e), 1);
    CHECK_INT(auth_session_get(d, t3, t0 + 10, &lim, &g, &e), 1); /* the one kept */
    CHECK_INT(auth_session_get(d, t1, t0 + 10, &lim, &g, &e), 0); /* ended */

    /* a role or a scope this ajar cannot read opens nothing; a viewer with an empty scope
     * neither (it must never mean "every finding") */
    CHECK_INT(auth_session_new(d, "vera", "127.0.0.1", t0 + 11, t1, &s, &e), 0);
    CHECK_INT(db_exec(d, "UPDATE users SET scope = 'tenant=x' WHERE name = 'vera'", &e), 0);
    CHECK_INT(auth_session_get(d, t1, t0 + 12, &lim, &g, &e), 0);
    CHECK_INT(auth_session_new(d, "vera", "127.0.0.1", t0 + 11, t1, &s, &e), 0);
    CHECK_INT(db_exec(d, "UPDATE users SET scope = '' WHERE name = 'vera'", &e), 0);
    CHECK_INT(auth_session_get(d, t1, t0 + 12, &lim, &g, &e), 0);
    CHECK_INT(auth_session_new(d, "adam", "127.0.0.1", t0 + 11, t1, &s, &e), 0);
    CHECK_INT(db_exec(d, "UPDATE users SET role = 'root' WHERE name = 'adam'", &e), 0);
    CHECK_INT(auth_session_get(d, t1, t0 + 12, &lim, &g, &e), 0);
    db_close(d);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) return 1;
    test_names();
    test_hash();
    test_accounts_sessions();
    test_roles_sessions();
    test_throttle();
    test_throttle_keys();
    test_audit();
    test_audit_flood();
    test_cert();
    test_listen();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    return T_END();
}
