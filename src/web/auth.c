/*
 * web/auth.c -- accounts, sessions, throttling, audit (see auth.h).
 */
#include "web/auth.h"
#include "store/store.h"

#include <argon2.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARGON_T    2
#define ARGON_M    19456 /* KiB */
#define ARGON_P    1
#define ARGON_SALT 16
#define ARGON_HASH 32

bool auth_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > AUTH_NAME_MAX || name[0] == '-') return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") == n;
}

/* The longest run of characters that step by +1 or -1 (1234, dcba) or follow a keyboard row
 * (qwerty, asdf), case ignored. */
static size_t sequence_run(const char *pw)
{
    static const char *rows[] = {"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm",
                                 "abcdefghijklmnopqrstuvwxyz"};
    size_t best = 1, run = 1;
    for (size_t i = 1; pw[i]; i++) {
        int a = tolower((unsigned char)pw[i - 1]), b = tolower((unsigned char)pw[i]);
        bool step = (b == a + 1 || b == a - 1) && isalnum(a) && isalnum(b);
        for (size_t r = 0; !step && r < sizeof rows / sizeof rows[0]; r++) {
            const char *pa = strchr(rows[r], a), *pb = a && b ? strchr(rows[r], b) : NULL;
            step = pa && pb && (pb == pa + 1 || pb == pa - 1);
        }
        run = step ? run + 1 : 1;
        if (run > best) best = run;
    }
    return best;
}

size_t auth_password_chars(const char *pw)
{
    size_t n = 0;
    bool space = false;
    for (const unsigned char *p = (const unsigned char *)pw; p && *p; p++) {
        if ((*p & 0xc0) == 0x80) continue; /* a UTF-8 continuation byte: the same character */
        bool sp = *p == ' ';
        if (!(sp && space)) n++;
        space = sp;
    }
    return n;
}

const char *auth_password_problem(const char *pw)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n > AUTH_PASSWORD_MAX) return "longer than 1024 bytes";
    size_t chars = auth_password_chars(pw);
    if (chars < AUTH_PASSWORD_MIN) return "shorter than 12 characters";
    if (chars > AUTH_PASSWORD_CHARS_MAX) return "longer than 128 characters";
    /* the patterns of the most common long passwords: few distinct characters (aaaaaaaaaaaa,
     * 121212121212), or mostly a sequence (123456789012, qwertyuiop12, abcdefghijkl) */
    bool seen[256] = {false};
    size_t distinct = 0;
    for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
        if (!seen[*p]) seen[*p] = true, distinct++;
    if (distinct < 5) return "made of fewer than 5 different characters";
    if (sequence_run(pw) * 3 >= n * 2)
        return "mostly a run of consecutive characters (1234, qwerty)";
    return NULL;
}

const char *auth_password_problem_user(const char *name, const char *pw)
{
    const char *why = auth_password_problem(pw);
    if (why) return why;
    if (name && strlen(name) >= 3 && strcasestr(pw, name)) return "containing the user name";
    if (strcasestr(pw, "ajar") && strlen(pw) < AUTH_PASSWORD_MIN + 4)
        return "mostly the name of this program";
    return NULL;
}

int auth_hash_password(const char *pw, char *out, size_t n, struct err *e)
{
    unsigned char salt[ARGON_SALT];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        err_set(e, "no randomness for the password's salt");
        return -1;
    }
    int rc = argon2id_hash_encoded(ARGON_T, ARGON_M, ARGON_P, pw, strlen(pw), salt, sizeof salt,
                                   ARGON_HASH, out, n);
    if (rc != ARGON2_OK) {
        err_set(e, "argon2id: %s", argon2_error_message(rc));
        return -1;
    }
    return 0;
}

int auth_verify_password(const char *encoded, const char *pw)
{
    if (!encoded || strncmp(encoded, "$argon2id$", 10) != 0) return 0;
    return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}

/* ---- accounts (rows kept by the store: store/dash.h) ---- */

int auth_user_add(struct db *d, const char *name, const char *password, enum web_role role,
                  const struct web_scope *scope, struct err *e)
{
    char hash[256];
    if (!auth_name_valid(name)) {
        err_set(e, "user names are 1-64 letters, digits, '.', '_', '@' or '-'");
        return -1;
    }
    int nterms = scope ? scope->n : 0;
    if (web_role_parse(web_role_name(role)) < 0) return err_set(e, "no such role");
    if (role == ROLE_VIEWER && nterms == 0)
        return err_set(e, "a viewer sees only a scope: give --owner, --provider or --asn");
    if (role != ROLE_VIEWER && nterms)
        return err_set(e, "only a viewer has a scope (an %s sees every finding)",
                       web_role_name(role));
    const char *why = auth_password_problem(password);
    if (why) {
        err_set(e, "password %s", why);
        return -1;
    }
    if (auth_hash_password(password, hash, sizeof hash, e) < 0) return -1;
    int rc = store_user_insert(d, name, hash, now_wall(), web_role_name(role),
                               nterms ? scope->text : "", e);
    OPENSSL_cleanse(hash, sizeof hash);
    return rc;
}

int auth_user_del(struct db *d, const char *name, struct err *e)
{
    return store_user_delete(d, name, e);
}

struct users_ctx {
    int (*fn)(void *arg, const struct auth_user *u);
    void *arg;
};

static int row_user(void *arg, const struct store_user_row *r)
{
    struct users_ctx *c = arg;
    struct auth_user u;
    memset(&u, 0, sizeof u);
    str_copy(u.name, r->name, sizeof u.name);
    u.created = r->created;
    u.last_login = r->last_login;
    int role = web_role_parse(r->role);
    u.role = role < 0 ? ROLE_VIEWER : (enum web_role)role;
    struct err pe;
    if (web_scope_parse(r->scope, strlen(r->scope), &u.scope, &pe) < 0)
        memset(&u.scope, 0, sizeof u.scope);
    u.sessions = r->sessions;
    return c->fn(c->arg, &u) ? 1 : 0;
}

int auth_user_list(struct db *d, int (*fn)(void *arg, const struct auth_user *u), void *arg,
                   struct err *e)
{
    struct users_ctx c = {fn, arg};
    return store_user_list(d, row_user, &c, e);
}

int auth_password_set(struct db *d, const char *name, const char *password, const char *keep_sha,
                      struct err *e)
{
    const char *why = auth_password_problem_user(name, password);
    if (why) return err_set(e, "password %s", why);
    char hash[256];
    if (auth_hash_password(password, hash, sizeof hash, e) < 0) return -1;
    int rc = store_user_set_hash(d, name, hash, keep_sha, e);
    OPENSSL_cleanse(hash, sizeof hash);
    return rc;
}

int auth_user_count(struct db *d, int64_t *n, struct err *e)
{
    return store_user_count(d, n, e);
}

/* The hash an unknown user is checked against, so the answer takes as long. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[256];
static void make_dummy(void)
{
    char pw[AUTH_TOKEN_HEX + 1];
    struct err e = {0};
    if (auth_random_hex(pw, &e) == 0) auth_hash_password(pw, dummy_hash, sizeof dummy_hash, &e);
}

static int password_check(struct db *d, const char *name, const char *password, bool touch,
                          struct err *e)
{
    char hash[256] = "";
    bool known = false;
    pthread_once(&dummy_once, make_dummy);
    if (auth_name_valid(name) && password && strlen(password) <= AUTH_PASSWORD_MAX) {
        int r = store_user_hash(d, name, hash, sizeof hash, e);
        if (r < 0) return -1;
        known = r == 1;
    }
    if (!password || strlen(password) > AUTH_PASSWORD_MAX) return 0;
    int ok = auth_verify_password(known ? hash : dummy_hash, password) && known;
    OPENSSL_cleanse(hash, sizeof hash);
    if (ok && touch && store_user_signed_in(d, name, now_wall(), e) < 0) return -1;
    return ok;
}

int auth_login_check(struct db *d, const char *name, const char *password, struct err *e)
{
    return password_check(d, name, password, true, e);
}

int auth_password_verify(struct db *d, const char *name, const char *password, struct err *e)
{
    return password_check(d, name, password, false, e);
}

/* ---- sessions ---- */

int auth_random_hex(char *token, struct err *e)
{
    unsigned char r[AUTH_TOKEN_HEX / 2];
    if (RAND_bytes(r, sizeof r) != 1) {
        err_set(e, "no randomness for a token");
        return -1;
    }
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(token + 2 * i, 3, "%02x", r[i]);
    OPENSSL_cleanse(r, sizeof r);
    return 0;
}

static void token_sha(const char *token, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

bool auth_secret_eq(const char *a, const char *b)
{
    if (!a || !b) return false;
    size_t n = strlen(a);
    if (n != strlen(b) || n == 0) return false;
    return CRYPTO_memcmp(a, b, n) == 0;
}

int auth_session_new(struct db *d, const char *user, const char *address, time_t now,
                     char token[AUTH_TOKEN_HEX + 1], struct auth_session *s, struct err *e)
{
    memset(s, 0, sizeof *s);
    if (auth_random_hex(token, e) < 0 || auth_random_hex(s->csrf, e) < 0) return -1;
    token_sha(token, s->sha);
    str_copy(s->user, user, sizeof s->user);
    str_copy(s->address, address ? address : "", sizeof s->address);
    s->created = s->last_used = now;
    return store_session_insert(d, s->sha, user, s->csrf, address, now, e);
}

struct got {
    struct auth_session *s;
    int role;
    bool scope_ok;
};

static int got_session(void *arg, const struct store_session_row *r)
{
    struct got *g = arg;
    struct auth_session *s = g->s;
    str_copy(s->user, r->user, sizeof s->user);
    str_copy(s->csrf, r->csrf, sizeof s->csrf);
    str_copy(s->address, r->address, sizeof s->address);
    str_copy(s->sha, r->sha, sizeof s->sha);
    s->created = r->created;
    s->last_used = r->last_used;
    g->role = web_role_parse(r->role);
    struct err pe;
    g->scope_ok = web_scope_parse(r->scope, strlen(r->scope), &s->scope, &pe) == 0;
    return 0;
}

int auth_session_get(struct db *d, const char *token, time_t now, const struct auth_limits *lim,
                     struct auth_session *s, struct err *e)
{
    char sha[65];
    memset(s, 0, sizeof *s);
    if (!token || strlen(token) != AUTH_TOKEN_HEX ||
        strspn(token, "0123456789abcdef") != AUTH_TOKEN_HEX)
        return 0;
    token_sha(token, sha);
    struct got g = {s, -1, false};
    int r = store_session_get(d, sha, got_session, &g, e);
    if (r <= 0) return r;
    /* a role or scope this ajar cannot read (a newer one's, or altered by hand) opens nothing;
     * a viewer without a scope would see nothing, and an empty scope must never mean "all" */
    if (g.role < 0 || !g.scope_ok || (g.role == ROLE_VIEWER && s->scope.n == 0)) return 0;
    s->role = (enum web_role)g.role;
    if (s->role != ROLE_VIEWER) memset(&s->scope, 0, sizeof s->scope);
    if (now - s->last_used > lim->idle || now - s->created > lim->absolute ||
        s->created > now + 300) {
        if (store_session_delete(d, sha, e) < 0) return -1;
        return 0;
    }
    /* refresh last_used often enough for the idle limit, at most once a minute */
    int every = lim->idle / 4 < 60 ? lim->idle / 4 : 60;
    if (now - s->last_used >= every) {
        if (store_session_touch(d, sha, now, e) < 0) return -1;
        s->last_used = now;
    }
    return 1;
}

int auth_sessions_purge(struct db *d, time_t now, const struct auth_limits *lim, struct err *e)
{
    return store_sessions_purge(d, now - lim->idle, now - lim->absolute, now + 300, e);
}

int auth_session_del(struct db *d, const char *token, struct err *e)
{
    char sha[65];
    if (!token || strlen(token) != AUTH_TOKEN_HEX) return 0;
    token_sha(token, sha);
    return store_session_delete(d, sha, e);
}

struct list_ctx {
    int (*fn)(void *arg, const struct auth_session *s);
    void *arg;
};

static int row_session(void *arg, const struct store_session_row *r)
{
    struct list_ctx *c = arg;
    struct auth_session s;
    memset(&s, 0, sizeof s);
    str_copy(s.sha, r->sha, sizeof s.sha);
    str_copy(s.address, r->address, sizeof s.address);
    s.created = r->created;
    s.last_used = r->last_used;
    return c->fn(c->arg, &s) ? 1 : 0;
}

int auth_session_list(struct db *d, const char *user,
                      int (*fn)(void *arg, const struct auth_session *s), void *arg, struct err *e)
{
    struct list_ctx c = {fn, arg};
    return store_session_list(d, user, 200, row_session, &c, e);
}

int auth_session_end(struct db *d, const char *user, const char *sha, struct err *e)
{
    if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64) return 1;
    return store_session_end(d, user, sha, e);
}

int auth_sessions_end_others(struct db *d, const char *user, const char *keep_sha, struct err *e)
{
    return store_sessions_end_others(d, user, keep_sha, e);
}

/* ---- throttling ---- */

#define THR_SLOTS    8192
#define THR_FREE     3   /* failures before the first delay */
#define THR_MAX_WAIT 900 /* seconds */
#define THR_FORGET   3600

struct thr_slot {
    char key[80]; /* "a:" address or "u:" user; "" free */
    unsigned fails;
    time_t last;
};

struct auth_throttle {
    pthread_mutex_t mu;
    struct thr_slot s[THR_SLOTS];
};

struct auth_throttle *auth_throttle_new(void)
{
    struct auth_throttle *t = xcalloc(1, sizeof *t);
    if (t) pthread_mutex_init(&t->mu, NULL);
    return t;
}

void auth_throttle_free(struct auth_throttle *t)
{
    if (!t) return;
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* The address key: an IPv4 address whole, an IPv6 address by its /64 (one host commonly holds a
 * whole /64: keyed whole, its addresses would be unlimited tries). */
static void thr_addr(char *out, size_t n, const char *address)
{
    unsigned char b[16];
    if (address && strchr(address, ':') && inet_pton(AF_INET6, address, b) == 1) {
        memset(b + 8, 0, 8);
        char t[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, b, t, sizeof t)) {
            snprintf(out, n, "a:%s/64", t);
            return;
        }
    }
    snprintf(out, n, "a:%.70s", address ? address : "");
}

static void thr_key(char *k, size_t n, char kind, const char *v)
{
    if (kind == 'a') {
        thr_addr(k, n, v);
        return;
    }
    snprintf(k, n, "%c:%.70s", kind, v ? v : "");
}

/*
 * The slot of key, or (create) a new one: a free or forgotten slot, else the stalest slot that
 * is not holding anyone back (fewer than THR_FREE failures). A flood of fresh names or
 * addresses cannot push out the keys that are being throttled; when every slot throttles,
 * NULL (the caller treats an untracked key as throttled).
 */
static struct thr_slot *thr_find(struct auth_throttle *t, const char *key, bool create, time_t now)
{
    struct thr_slot *spare = NULL;
    for (size_t i = 0; i < THR_SLOTS; i++) {
        struct thr_slot *s = &t->s[i];
        if (s->key[0] && now - s->last > THR_FORGET) s->key[0] = 0;
        if (s->key[0] && strcmp(s->key, key) == 0) return s;
        if (!s->key[0]) {
            if (!spare || spare->key[0]) spare = s;
        } else if (s->fails < THR_FREE && (!spare || (spare->key[0] && s->last < spare->last))) {
            spare = s;
        }
    }
    if (!create || !spare) return NULL;
    memset(spare, 0, sizeof *spare);
    str_copy(spare->key, key, sizeof spare->key);
    spare->last = now; /* not 0: a zero would read as an hour stale, and be forgotten at once */
    return spare;
}

static int thr_wait_of(const struct thr_slot *s, time_t now)
{
    if (!s || s->fails < THR_FREE) return 0;
    unsigned sh = s->fails - THR_FREE + 1;
    long w = sh >= 10 ? THR_MAX_WAIT : 1L << sh;
    if (w > THR_MAX_WAIT) w = THR_MAX_WAIT;
    long left = (long)(s->last + w - now);
    return left > 0 ? (int)left : 0;
}

/* The keys of one attempt: the address (or its /64), and the user name -- or, from a browser
 * that proved it signed in as that user before (a device cookie), that device instead of the
 * name: someone hammering the name elsewhere cannot lock its owner out. */
static int thr_keys(char k[2][80], const char *address, const char *user, const char *device)
{
    thr_key(k[0], sizeof k[0], 'a', address);
    if (device && *device) {
        thr_key(k[1], sizeof k[1], 'd', device);
        return 2;
    }
    if (user && *user) {
        thr_key(k[1], sizeof k[1], 'u', user);
        return 2;
    }
    return 1;
}

int auth_throttle_wait(struct auth_throttle *t, const char *address, const char *user, time_t now)
{
    char k[2][80];
    int nk = thr_keys(k, address, user, NULL), w = 0;
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < nk; i++) {
        int x = thr_wait_of(thr_find(t, k[i], false, now), now);
        if (x > w) w = x;
    }
    pthread_mutex_unlock(&t->mu);
    return w;
}

void auth_throttle_fail(struct auth_throttle *t, const char *address, const char *user, time_t now)
{
    char k[2][80];
    int nk = thr_keys(k, address, user, NULL);
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < nk; i++) {
        struct thr_slot *s = thr_find(t, k[i], true, now);
        if (!s) continue;
        s->fails++;
        s->last = now;
    }
    pthread_mutex_unlock(&t->mu);
}

int auth_throttle_begin(struct auth_throttle *t, const char *address, const char *user,
                        const char *device, time_t now)
{
    char k[2][80];
    int nk = thr_keys(k, address, user, device), w = 0;
    struct thr_slot *sl[2] = {NULL, NULL};
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < nk; i++) {
        sl[i] = thr_find(t, k[i], true, now);
        int x = sl[i] ? thr_wait_of(sl[i], now) : 2; /* every slot throttling: so is this key */
        if (x > w) w = x;
    }
    if (!w) /* counted before the password is checked: concurrent tries are counted too */
        for (int i = 0; i < nk; i++) {
            if (!sl[i]) continue;
            sl[i]->fails++;
            sl[i]->last = now;
        }
    pthread_mutex_unlock(&t->mu);
    return w;
}

void auth_throttle_ok(struct auth_throttle *t, const char *address, const char *user)
{
    auth_throttle_ok_device(t, address, user, NULL);
}

void auth_throttle_ok_device(struct auth_throttle *t, const char *address, const char *user,
                             const char *device)
{
    char ka[80], ku[80], kd[80];
    thr_key(ka, sizeof ka, 'a', address);
    thr_key(ku, sizeof ku, 'u', user);
    thr_key(kd, sizeof kd, 'd', device);
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < THR_SLOTS; i++)
        /* a sign-in from a known device leaves the name's count alone: the owner signing in
         * must not give whoever hammers the name elsewhere a fresh set of tries */
        if (t->s[i].key[0] &&
            (strcmp(t->s[i].key, ka) == 0 ||
             (device && *device ? strcmp(t->s[i].key, kd) == 0 : strcmp(t->s[i].key, ku) == 0)))
            t->s[i].key[0] = 0;
    pthread_mutex_unlock(&t->mu);
}

/* ---- audit ---- */

struct auth_audit {
    pthread_mutex_t mu;
    int fd;
    char path[4096];
    off_t size;      /* bytes in the current file */
    off_t max_bytes; /* rotate to PATH.1 past this */
    int burst;       /* unauthenticated events written per minute */
    time_t window;   /* the minute those are counted in */
    int in_window;   /* written in it */
    long suppressed; /* not written in it */
};

int auth_audit_open(struct auth_audit **out, const char *path, struct err *e)
{
    if (strlen(path) >= sizeof((struct auth_audit *)0)->path - 3)
        return err_set(e, "audit log %s: path too long", path);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(e, "audit log %s: %s", path, strerror(errno));
        return -1;
    }
    struct auth_audit *a = xcalloc(1, sizeof *a);
    if (!a) {
        close(fd);
        err_set(e, "out of memory");
        return -1;
    }
    pthread_mutex_init(&a->mu, NULL);
    a->fd = fd;
    str_copy(a->path, path, sizeof a->path);
    struct stat sb;
    a->size = fstat(fd, &sb) == 0 ? sb.st_size : 0;
    a->max_bytes = AUTH_AUDIT_MAX_BYTES;
    a->burst = AUTH_AUDIT_BURST;
    *out = a;
    return 0;
}

void auth_audit_limits(struct auth_audit *a, long max_bytes, int burst)
{
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    if (max_bytes > 0) a->max_bytes = (off_t)max_bytes;
    if (burst > 0) a->burst = burst;
    pthread_mutex_unlock(&a->mu);
}

void auth_audit_close(struct auth_audit *a)
{
    if (!a) return;
    close(a->fd);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* Untrusted text (a user name typed at the login form) as JSON-safe UTF-8. */
static json_t *safe_str(const char *s)
{
    char tmp[256];
    size_t n = strlen(s);
    str_sanitize(tmp, sizeof tmp, s, n > 200 ? 200 : n, true);
    return json_string(tmp);
}

/* Events anyone can cause without signing in: counted against the burst. */
static bool unauthenticated(const char *event)
{
    return !strcmp(event, "login_rejected") || !strcmp(event, "login_throttled") ||
           !strcmp(event, "login_failed") || !strcmp(event, "csrf_rejected");
}

static char *audit_line(const char *event, const char *user, const char *address,
                        const char *detail)
{
    char when[32];
    time_fmt_utc(now_wall(), when, sizeof when);
    json_t *j = json_object();
    if (!j) return NULL;
    json_object_set_new(j, "time", json_string(when));
    json_object_set_new(j, "event", json_string(event));
    json_object_set_new(j, "user", user ? safe_str(user) : json_null());
    json_object_set_new(j, "address", safe_str(address ? address : ""));
    if (detail) json_object_set_new(j, "detail", safe_str(detail));
    char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return line;
}

/* Write one line (mu held): past max_bytes the file becomes PATH.1 (the older .1 is dropped)
 * and a new one is started, so the log never holds more than twice max_bytes on disk. */
static void audit_write(struct auth_audit *a, char *line)
{
    size_t n = strlen(line);
    line[n] = '\n'; /* json_dumps leaves room for its NUL: reuse it, write n+1 bytes */
    if (a->size + (off_t)n + 1 > a->max_bytes && a->size > 0) {
        char old[sizeof a->path + 2];
        str_fmt(old, sizeof old, "%s.1", a->path);
        if (rename(a->path, old) == 0) {
            int fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
            if (fd >= 0) {
                close(a->fd);
                a->fd = fd;
                a->size = 0;
            }
        }
    }
    ssize_t w = write(a->fd, line, n + 1);
    if (w > 0) a->size += w;
}

void auth_audit(struct auth_audit *a, const char *event, const char *user, const char *address,
                const char *detail)
{
    if (!a) return;
    time_t minute = now_wall() / 60;
    bool anon = unauthenticated(event);
    pthread_mutex_lock(&a->mu);
    if (minute != a->window) {
        long dropped = a->suppressed;
        a->window = minute;
        a->in_window = 0;
        a->suppressed = 0;
        if (dropped) { /* say what the last minute did not write */
            char d[96];
            str_fmt(d, sizeof d, "%ld unauthenticated events not written (more than %d a minute)",
                    dropped, a->burst);
            char *l = audit_line("audit_suppressed", NULL, "", d);
            if (l) audit_write(a, l);
            free(l);
        }
    }
    if (anon && a->in_window >= a->burst) {
        a->suppressed++;
        pthread_mutex_unlock(&a->mu);
        return;
    }
    if (anon) a->in_window++;
    pthread_mutex_unlock(&a->mu);
    char *line = audit_line(event, user, address, detail);
    if (!line) return;
    pthread_mutex_lock(&a->mu);
    audit_write(a, line);
    pthread_mutex_unlock(&a->mu);
    free(line);
}
