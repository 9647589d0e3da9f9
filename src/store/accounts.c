/*
 * store/accounts.c -- the dashboard's accounts and sessions as rows
 * (tables users and web_sessions; see dash.h). What is kept and checked
 * (Argon2id hashes, token hashes, roles, limits) is decided by web/auth.c.
 */
#include "store/dash.h"
#include "store/db.h"

#include <string.h>

static const char *txt(struct db_stmt *st, int i)
{
    const char *s = db_col_text(st, i);
    return s ? s : "";
}

static int user_exists(struct db *d, const char *name, int64_t *found, struct err *e)
{
    *found = 0;
    return db_query(d, "SELECT 1 FROM users WHERE name = $1", "t", db_row_int, found, e, name);
}

int store_user_insert(struct db *d, const char *name, const char *hash, time_t created,
                      const char *role, const char *scope, struct err *e)
{
    int64_t found = 0;
    if (db_begin(d, true, e) < 0) return -1;
    if (user_exists(d, name, &found, e) < 0) goto fail;
    if (found) {
        db_rollback(d);
        return 1;
    }
    if (db_query(d,
                 "INSERT INTO users (name, hash, created, role, scope) VALUES ($1, $2, $3, $4, $5)",
                 "ttitt", NULL, NULL, e, name, hash, (int64_t)created, role, scope) < 0 ||
        db_commit(d, e) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(d);
    return -1;
}

int store_user_delete(struct db *d, const char *name, struct err *e)
{
    int64_t found = 0;
    if (db_begin(d, true, e) < 0) return -1;
    if (user_exists(d, name, &found, e) < 0) goto fail;
    if (!found) {
        db_rollback(d);
        return 1;
    }
    if (db_query(d, "DELETE FROM web_sessions WHERE username = $1", "t", NULL, NULL, e, name) < 0 ||
        db_query(d, "DELETE FROM users WHERE name = $1", "t", NULL, NULL, e, name) < 0 ||
        db_commit(d, e) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(d);
    return -1;
}

struct user_ctx {
    int (*fn)(void *arg, const struct store_user_row *u);
    void *arg;
};

static int row_user(void *arg, struct db_stmt *st)
{
    struct user_ctx *c = arg;
    struct store_user_row u = {
        .name = txt(st, 0),
        .created = (time_t)db_col_int(st, 1),
        .last_login = (time_t)db_col_int(st, 2),
        .role = txt(st, 3),
        .scope = txt(st, 4),
        .sessions = db_col_int(st, 5),
    };
    return c->fn(c->arg, &u) ? 1 : 0;
}

int store_user_list(struct db *d, int (*fn)(void *arg, const struct store_user_row *u), void *arg,
                    struct err *e)
{
    struct user_ctx c = {fn, arg};
    return db_query(d,
                    "SELECT u.name, u.created, u.last_login, u.role, u.scope,"
                    " (SELECT COUNT(*) FROM web_sessions s WHERE s.username = u.name)"
                    " FROM users u ORDER BY u.name",
                    "", row_user, &c, e);
}

int store_user_count(struct db *d, int64_t *n, struct err *e)
{
    *n = 0;
    return db_query(d, "SELECT COUNT(*) FROM users", "", db_row_int, n, e);
}

int store_user_hash(struct db *d, const char *name, char *out, size_t n, struct err *e)
{
    struct db_stmt *st = NULL;
    out[0] = 0;
    if (db_prepare(d, "SELECT hash FROM users WHERE name = $1", &st, e) < 0) return -1;
    db_bind_text(st, 1, name);
    int r = db_step(st, e);
    bool have = r == 1 && db_col_text(st, 0);
    if (have) str_copy(out, db_col_text(st, 0), n);
    db_finalize(st);
    return r < 0 ? -1 : have ? 1 : 0;
}

int store_user_signed_in(struct db *d, const char *name, time_t t, struct err *e)
{
    return db_query(d, "UPDATE users SET last_login = $2 WHERE name = $1", "ti", NULL, NULL, e,
                    name, (int64_t)t);
}

int store_user_set_hash(struct db *d, const char *name, const char *hash, const char *keep_sha,
                        struct err *e)
{
    int64_t found = 0;
    if (db_begin(d, true, e) < 0) return -1;
    if (user_exists(d, name, &found, e) < 0) goto fail;
    if (!found) {
        db_rollback(d);
        return 1;
    }
    if (db_query(d, "UPDATE users SET hash = $2 WHERE name = $1", "tt", NULL, NULL, e, name, hash) <
            0 ||
        db_query(d, "DELETE FROM web_sessions WHERE username = $1 AND token_sha256 <> $2", "tt",
                 NULL, NULL, e, name, keep_sha ? keep_sha : "") < 0 ||
        db_commit(d, e) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(d);
    return -1;
}

int store_session_insert(struct db *d, const char *sha, const char *user, const char *csrf,
                         const char *address, time_t now, struct err *e)
{
    return db_query(d,
                    "INSERT INTO web_sessions (token_sha256, username, csrf, address, created,"
                    " last_used) VALUES ($1, $2, $3, $4, $5, $5)",
                    "tttti", NULL, NULL, e, sha, user, csrf, address ? address : "", (int64_t)now);
}

int store_session_get(struct db *d, const char *sha,
                      int (*fn)(void *arg, const struct store_session_row *s), void *arg,
                      struct err *e)
{
    struct db_stmt *st = NULL;
    if (db_prepare(d,
                   "SELECT s.username, s.csrf, s.created, s.last_used, u.role, u.scope,"
                   " s.address FROM web_sessions s"
                   " JOIN users u ON u.name = s.username WHERE s.token_sha256 = $1",
                   &st, e) < 0)
        return -1;
    db_bind_text(st, 1, sha);
    int r = db_step(st, e);
    if (r == 1) {
        struct store_session_row s = {
            .sha = sha,
            .user = txt(st, 0),
            .csrf = txt(st, 1),
            .created = (time_t)db_col_int(st, 2),
            .last_used = (time_t)db_col_int(st, 3),
            .role = txt(st, 4),
            .scope = txt(st, 5),
            .address = txt(st, 6),
        };
        fn(arg, &s);
    }
    db_finalize(st);
    return r;
}

int store_session_touch(struct db *d, const char *sha, time_t now, struct err *e)
{
    return db_query(d, "UPDATE web_sessions SET last_used = $2 WHERE token_sha256 = $1", "ti", NULL,
                    NULL, e, sha, (int64_t)now);
}

int store_session_delete(struct db *d, const char *sha, struct err *e)
{
    return db_query(d, "DELETE FROM web_sessions WHERE token_sha256 = $1", "t", NULL, NULL, e, sha);
}

int store_sessions_purge(struct db *d, time_t idle_before, time_t created_before,
                         time_t created_after, struct err *e)
{
    return db_query(
        d, "DELETE FROM web_sessions WHERE last_used < $1 OR created < $2 OR created > $3", "iii",
        NULL, NULL, e, (int64_t)idle_before, (int64_t)created_before, (int64_t)created_after);
}

struct sess_ctx {
    int (*fn)(void *arg, const struct store_session_row *s);
    void *arg;
};

static int row_session(void *arg, struct db_stmt *st)
{
    struct sess_ctx *c = arg;
    struct store_session_row s = {
        .sha = txt(st, 0),
        .user = "",
        .csrf = "",
        .role = "",
        .scope = "",
        .address = txt(st, 1),
        .created = (time_t)db_col_int(st, 2),
        .last_used = (time_t)db_col_int(st, 3),
    };
    return c->fn(c->arg, &s) ? 1 : 0;
}

int store_session_list(struct db *d, const char *user, int limit,
                       int (*fn)(void *arg, const struct store_session_row *s), void *arg,
                       struct err *e)
{
    struct sess_ctx c = {fn, arg};
    return db_query(d,
                    "SELECT token_sha256, address, created, last_used FROM web_sessions"
                    " WHERE username = $1 ORDER BY last_used DESC, created DESC LIMIT $2",
                    "ti", row_session, &c, e, user, (int64_t)limit);
}

int store_session_end(struct db *d, const char *user, const char *sha, struct err *e)
{
    int64_t found = 0;
    if (db_query(d, "SELECT 1 FROM web_sessions WHERE token_sha256 = $1 AND username = $2", "tt",
                 db_row_int, &found, e, sha, user) < 0)
        return -1;
    if (!found) return 1;
    if (db_query(d, "DELETE FROM web_sessions WHERE token_sha256 = $1 AND username = $2", "tt",
                 NULL, NULL, e, sha, user) < 0)
        return -1;
    return 0;
}

int store_sessions_end_others(struct db *d, const char *user, const char *keep_sha, struct err *e)
{
    return db_query(d, "DELETE FROM web_sessions WHERE username = $1 AND token_sha256 <> $2", "tt",
                    NULL, NULL, e, user, keep_sha ? keep_sha : "");
}
