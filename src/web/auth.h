/*
 * web/auth.h -- who may see the dashboard (auth.c): accounts with Argon2id
 * password hashes, sessions, login throttling and the audit log.
 *
 * Accounts and sessions live in the store (tables users and web_sessions,
 * migration 2). A session is known to the store by the SHA-256 of its
 * token only. The throttle is in memory (per serve process) and bounded.
 */
#ifndef AJAR_WEB_AUTH_H
#define AJAR_WEB_AUTH_H

#include "core/util.h"
#include "store/store.h"
#include "web/scope.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* A password: 12 to 128 characters (ASVS 2.1.1, 2.1.2: Unicode characters, a run of spaces
 * counted once), and at most 1024 bytes read. */
#define AUTH_PASSWORD_MIN       12
#define AUTH_PASSWORD_CHARS_MAX 128
#define AUTH_PASSWORD_MAX       1024
#define AUTH_NAME_MAX           64
#define AUTH_TOKEN_HEX          64 /* 256-bit tokens, hex */

/* A user name: 1-64 of [A-Za-z0-9._@-], not starting with '-'. */
bool auth_name_valid(const char *name);
/* Characters as a password's length counts them: code points, a run of spaces as one. */
size_t auth_password_chars(const char *pw);
/* Why a password is refused (NULL when it is acceptable). */
const char *auth_password_problem(const char *pw);
/* auth_password_problem, and not containing the user name (3 characters or more). */
const char *auth_password_problem_user(const char *name, const char *pw);

/* Argon2id (t=2, m=19 MiB, p=1; OWASP's minimum), PHC string form. */
int auth_hash_password(const char *pw, char *out, size_t n, struct err *e);
/* 1 when pw matches the encoded hash, 0 when not (or the hash is malformed). */
int auth_verify_password(const char *encoded, const char *pw);

/* ---- accounts ---- */
/* 0 added; 1 the name exists already; -1 error. A viewer needs a scope of one term or more, the
 * other roles none (scope NULL or empty). */
int auth_user_add(struct db *d, const char *name, const char *password, enum web_role role,
                  const struct web_scope *scope, struct err *e);
/* A new password for an existing user (checked as auth_password_problem_user): 0, 1 no such
 * user, -1 error. Ends every session of the user but keep_sha (NULL: all). */
int auth_password_set(struct db *d, const char *name, const char *password, const char *keep_sha,
                      struct err *e);
/* 0 deleted (with its sessions); 1 no such user; -1 error. */
int auth_user_del(struct db *d, const char *name, struct err *e);
struct auth_user {
    char name[AUTH_NAME_MAX + 1];
    time_t created, last_login; /* last_login 0: never */
    enum web_role role;
    struct web_scope scope;
    int64_t sessions; /* live session rows */
};
int auth_user_list(struct db *d, int (*fn)(void *arg, const struct auth_user *u), void *arg,
                   struct err *e);
int auth_user_count(struct db *d, int64_t *n, struct err *e);
/*
 * Check a login: 1 the password is the user's, 0 it is not or the user does
 * not exist (the same work is done either way, so timing tells nothing),
 * -1 error. On success last_login is set.
 */
int auth_login_check(struct db *d, const char *name, const char *password, struct err *e);
/* auth_login_check without recording a sign-in (a password change checks the current one). */
int auth_password_verify(struct db *d, const char *name, const char *password, struct err *e);

/* ---- sessions ---- */
struct auth_limits {
    int idle;     /* seconds without a request before a session ends (default 1800) */
    int absolute; /* seconds after sign-in a session ends regardless (default 43200) */
};
struct auth_session {
    char user[AUTH_NAME_MAX + 1];
    char csrf[AUTH_TOKEN_HEX + 1];
    char sha[65]; /* the SHA-256 of its token: the session's id in the store */
    char address[64];
    time_t created, last_used;
    enum web_role role;     /* the user's, at this request */
    struct web_scope scope; /* a viewer's */
};
/* 256 random bits as hex (token must hold AUTH_TOKEN_HEX + 1). */
int auth_random_hex(char *token, struct err *e);
/* A new session for user: the token (for the cookie) and the session's CSRF token. */
int auth_session_new(struct db *d, const char *user, const char *address, time_t now,
                     char token[AUTH_TOKEN_HEX + 1], struct auth_session *s, struct err *e);
/*
 * The session of a token: 1 valid (last_used refreshed at most once a
 * minute), 0 unknown, ended, or its user deleted (an ended one is removed),
 * -1 error.
 */
int auth_session_get(struct db *d, const char *token, time_t now, const struct auth_limits *lim,
                     struct auth_session *s, struct err *e);
int auth_session_del(struct db *d, const char *token, struct err *e);
/* The user's sessions, newest use first (fn sees sha, address, created, last_used; role and
 * scope not filled); fn returning non-zero stops. */
int auth_session_list(struct db *d, const char *user,
                      int (*fn)(void *arg, const struct auth_session *s), void *arg, struct err *e);
/* End one session of the user by its id (sha): 0 ended, 1 no such session of this user. */
int auth_session_end(struct db *d, const char *user, const char *sha, struct err *e);
/* End every session of the user but keep_sha (NULL: all): 0, -1. */
int auth_sessions_end_others(struct db *d, const char *user, const char *keep_sha, struct err *e);
/* Remove every session past its idle or absolute limit (a browser that never came back leaves
 * its row behind): run at each sign-in, so the table holds live sessions and a few stale ones. */
int auth_sessions_purge(struct db *d, time_t now, const struct auth_limits *lim, struct err *e);
/* Constant-time equality of two NUL-terminated secrets. */
bool auth_secret_eq(const char *a, const char *b);

/* ---- throttling (in memory) ---- */
struct auth_throttle;
struct auth_throttle *auth_throttle_new(void);
void auth_throttle_free(struct auth_throttle *t);
/*
 * Seconds the caller must still wait before trying this address or this
 * user again (0: go ahead). After 3 failures of a key (the address, or the
 * user name), each failure doubles the wait: 2 s, 4 s, 8 s ... at most 15
 * minutes; a key with no failure for an hour is forgotten.
 */
int auth_throttle_wait(struct auth_throttle *t, const char *address, const char *user, time_t now);
void auth_throttle_fail(struct auth_throttle *t, const char *address, const char *user, time_t now);
void auth_throttle_ok(struct auth_throttle *t, const char *address, const char *user);
/*
 * One sign-in attempt, checked and counted at once (counted before the password is verified, so
 * concurrent tries cannot slip through between a check and a record): the seconds to wait
 * (nothing counted), or 0 (the attempt is counted; auth_throttle_ok_device clears it on
 * success). The keys are the address -- an IPv6 address by its /64 -- and the user name, or
 * `device` instead of the name when the browser showed a device cookie proving it signed in as
 * that user before (OWASP's device cookies): an attacker hammering the name from elsewhere
 * cannot lock its owner out (and her signing in from it does not reset the name's count). A
 * flood of fresh keys cannot evict the ones being throttled.
 */
int auth_throttle_begin(struct auth_throttle *t, const char *address, const char *user,
                        const char *device, time_t now);
void auth_throttle_ok_device(struct auth_throttle *t, const char *address, const char *user,
                             const char *device);

/* ---- audit log: JSON lines appended to a file (mode 0600) ----
 * Bounded: events anyone can cause without signing in (a rejected or failed login, a CSRF
 * refusal) are written at most AUTH_AUDIT_BURST a minute, the rest counted in one
 * "audit_suppressed" line when the next minute begins; past AUTH_AUDIT_MAX_BYTES the file
 * becomes PATH.1 and a new one starts (at most twice the cap on disk). */
#define AUTH_AUDIT_MAX_BYTES (16L << 20)
#define AUTH_AUDIT_BURST     120
struct auth_audit;
int auth_audit_open(struct auth_audit **out, const char *path, struct err *e);
/* Other limits than the defaults (tests); 0 keeps one. */
void auth_audit_limits(struct auth_audit *a, long max_bytes, int burst);
void auth_audit_close(struct auth_audit *a);
/* One event: {"time","event","user","address","detail"}; user/detail may be NULL. */
void auth_audit(struct auth_audit *a, const char *event, const char *user, const char *address,
                const char *detail);

#endif
