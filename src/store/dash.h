/*
 * store/dash.h -- the store's reads for the dashboard (dash.c), and its
 * accounts and sessions (accounts.c). Included by store.h: the dashboard
 * reads the store only through these, never with SQL of its own, so the
 * schema has one owner (issue 23).
 *
 * Every function takes the caller's connection (a dashboard worker's, from
 * its pool). Rows are handed to a callback; the strings of a row are valid
 * during the call only. A callback returning non-zero stops the walk.
 * Numbers the store does not know (records, bytes) are -1; absent text is
 * "".
 */
#ifndef AJAR_STORE_DASH_H
#define AJAR_STORE_DASH_H

#include "core/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct db;

/* ---- connections ---- */

/* A connection of the caller's own to the store at `where` (a path or a postgresql:// URL);
 * with migrate, its schema brought up to date first. */
int store_connect(struct db **out, const char *where, bool migrate, struct err *e);
void store_disconnect(struct db *d);
/* True when where names a PostgreSQL server (not a file). */
bool store_is_remote(const char *where);

/* ---- scan groups ---- */

/*
 * What tells whether a group's view is stale (sig[0..4]: scans, their findings, unfinished
 * ones, observations of unfinished scans, shards seen), whether every shard ended
 * (*finished), its first start, last end and scope key (start, end, scope may be NULL; scope
 * holds 65 bytes). -1 with e set when the group has no scan.
 */
int store_group_sig(struct db *d, int64_t group, int64_t sig[5], bool *finished, time_t *start,
                    time_t *end, char *scope, struct err *e);

/* One observation with its service, as the dashboard indexes it. */
struct store_obs_row {
    int64_t obs, scan, service_id;
    const char *address;
    uint16_t port;
    const char *transport, *service, *product, *version, *auth, *severity;
    int64_t records, bytes;
    const char *cert, *cluster, *signals, *record;
    int64_t service_first_seen, service_last_seen, closed_at, seen_at;
    int64_t first_scan; /* the observation's: the scan that first saw the open period, 0 unknown
                           (store_group_rows only) */
    int64_t group;
};
typedef int (*store_obs_fn)(void *arg, const struct store_obs_row *r);

/* Every observation of the group's scans (streamed: a million rows are not all in memory). */
int store_group_rows(struct db *d, int64_t group, store_obs_fn fn, void *arg, struct err *e);
/* Observations of the group by severity: fn(arg, severity text, count). */
int store_group_severities(struct db *d, int64_t group,
                           int (*fn)(void *arg, const char *severity, int64_t n), void *arg,
                           struct err *e);
/* The groups of a scope up to `upto`, newest first, at most limit: fn(arg, group, its newest
 * scan id, its first start, unfinished scans). */
int store_trend_groups(struct db *d, const char *scope_key, int64_t upto, int limit,
                       int (*fn)(void *arg, int64_t group, int64_t max_id, time_t start,
                                 int64_t unfinished),
                       void *arg, struct err *e);
/* 1 when a scan with this id exists, 0 when not, -1 on error. */
int store_scan_exists(struct db *d, int64_t id, struct err *e);

/* ---- one observation and its neighbours ---- */

/* The observation id with its service and group (every field of store_obs_row but signals):
 * 1 and fn called, 0 no such observation, -1 error. */
int store_obs_get(struct db *d, int64_t id, store_obs_fn fn, void *arg, struct err *e);
/* The observation of scan `scan` at ip:port (of `service`, or the first when NULL): the link an
 * alert carries, made before the store numbers the observation (cli/alert.c). 1 with *id, 0
 * none, -1 error. */
int store_obs_find(struct db *d, int64_t scan, const char *ip, uint16_t port, const char *service,
                   int64_t *id, struct err *e);
/* The service's observations over time, oldest first, at most limit (fields: obs, scan,
 * seen_at, product, version, auth, severity, records, bytes, cert). */
int store_service_history(struct db *d, int64_t service_id, int limit, store_obs_fn fn, void *arg,
                          struct err *e);
/* Other observations at the address in the group, by port and service, at most limit (fields:
 * obs, port, service, severity, product, version, record). */
int store_address_rows(struct db *d, const char *address, int64_t group, int64_t except, int limit,
                       store_obs_fn fn, void *arg, struct err *e);
/* The newest observation of (address, port, service), this group's first (a console a record
 * was reached through; fields: obs, record): 1 and fn called, 0 none, -1 error. */
int store_service_obs(struct db *d, const char *address, int64_t port, const char *service,
                      int64_t group, store_obs_fn fn, void *arg, struct err *e);
/* The records of the given observations, in no particular order (fields: obs, record). */
int store_records(struct db *d, const int64_t *ids, size_t n, store_obs_fn fn, void *arg,
                  struct err *e);

/* A certificate across the store: 1 found (hosts, first and last seen), 0 unknown, -1. */
int store_cert_get(struct db *d, const char *sha256, int64_t *hosts, time_t *first, time_t *last,
                   struct err *e);
/* A cluster across the store: 1 found, 0 unknown, -1. */
int store_cluster_get(struct db *d, const char *id, time_t *first, time_t *last, int64_t *size,
                      struct err *e);

/* ---- accounts and sessions (accounts.c) ----
 * Policy (hashing, tokens, roles, throttling) is the dashboard's (web/auth.c); these only keep
 * its rows. A session row is known by the SHA-256 of its token. */

struct store_user_row {
    const char *name, *role, *scope;
    time_t created, last_login;
    int64_t sessions; /* live session rows */
};
struct store_session_row {
    const char *sha, *user, *csrf, *address, *role, *scope; /* role, scope: its user's */
    time_t created, last_used;
};

/* 0 added, 1 the name exists already, -1 error (one transaction). */
int store_user_insert(struct db *d, const char *name, const char *hash, time_t created,
                      const char *role, const char *scope, struct err *e);
/* 0 deleted with its sessions, 1 no such user, -1 error. */
int store_user_delete(struct db *d, const char *name, struct err *e);
int store_user_list(struct db *d, int (*fn)(void *arg, const struct store_user_row *u), void *arg,
                    struct err *e);
int store_user_count(struct db *d, int64_t *n, struct err *e);
/* The user's password hash: 1 (copied into out), 0 no such user, -1 error. */
int store_user_hash(struct db *d, const char *name, char *out, size_t n, struct err *e);
int store_user_signed_in(struct db *d, const char *name, time_t t, struct err *e);
/* A new hash, and every session of the user but keep_sha ended (one transaction): 0, 1 no such
 * user, -1 error. */
int store_user_set_hash(struct db *d, const char *name, const char *hash, const char *keep_sha,
                        struct err *e);

int store_session_insert(struct db *d, const char *sha, const char *user, const char *csrf,
                         const char *address, time_t now, struct err *e);
/* The session with its user's role and scope: 1 and fn called, 0 unknown (or its user gone). */
int store_session_get(struct db *d, const char *sha,
                      int (*fn)(void *arg, const struct store_session_row *s), void *arg,
                      struct err *e);
int store_session_touch(struct db *d, const char *sha, time_t now, struct err *e);
int store_session_delete(struct db *d, const char *sha, struct err *e);
/* Delete the sessions unused since idle_before, created before created_before or after
 * created_after. */
int store_sessions_purge(struct db *d, time_t idle_before, time_t created_before,
                         time_t created_after, struct err *e);
/* The user's sessions, newest use first, at most limit (user, csrf, role, scope not filled). */
int store_session_list(struct db *d, const char *user, int limit,
                       int (*fn)(void *arg, const struct store_session_row *s), void *arg,
                       struct err *e);
/* End the user's session sha: 0 ended, 1 no such session of this user, -1 error. */
int store_session_end(struct db *d, const char *user, const char *sha, struct err *e);
/* End every session of the user but keep_sha (NULL: all). */
int store_sessions_end_others(struct db *d, const char *user, const char *keep_sha, struct err *e);

#endif
