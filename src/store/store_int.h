/*
 * store/store_int.h -- what the store's files share with each other and
 * nobody else: the migrations (schema.c), the control connection, the
 * scan row's columns and the map of the scope's open services by address
 * (coverage.c), which store.c fills when a scan begins.
 */
#ifndef AJAR_STORE_INT_H
#define AJAR_STORE_INT_H

#include "core/util.h"
#include "store/db.h"
#include "store/store.h"

/* The schema version this build writes. */
int store_schema_version(void);
/* Bring the database to store_schema_version(), in one transaction. */
int store_migrate(struct db *d, struct err *e);

/* The control connection: the caller's thread, every read and the scans' bookkeeping. */
struct db *store_ctl(struct store *s);

/* db_query and db_query_stream on the control connection. */
#define query(s, ...)        db_query(store_ctl(s), __VA_ARGS__)
#define query_stream(s, ...) db_query_stream(store_ctl(s), __VA_ARGS__)

/*
 * A scan row as struct scan_info reads it (row_scan_info). The last
 * column counts the group's complete shards; the table must not be
 * aliased in a query that uses these columns.
 */
#define SCAN_COLS                                                                                  \
    "id, start_time, COALESCE(end_time, 0), scope_key, shard, nshards, seed, arguments, findings," \
    " status, COALESCE(stop_reason, ''), COALESCE(stopped_at, 0), checkpoint, walk_total,"         \
    " scan_group, (SELECT COUNT(*) FROM closures c WHERE c.scan = scans.id),"                      \
    " (SELECT COUNT(DISTINCT x.shard) FROM scans x WHERE x.scan_group = scans.scan_group"          \
    " AND x.end_time IS NOT NULL)"
/* db_query row callback: the first row into *(struct scan_info *)arg. */
int row_scan_info(void *arg, struct db_stmt *st);

/*
 * The open services of the scope a scan walks, by address and port (one
 * entry per service; several services may share a pair), and the walk
 * position at which the scan first reached each pair (coverage.c).
 */
struct reach_map;
struct reach_map **store_reach(struct store *s);
/* Add an open service of the scope (ip as text). -1 out of memory; a bad ip is skipped. */
int reach_add(struct reach_map **m, const char *ip, uint16_t port, int64_t svc);
void reach_free(struct reach_map *m);

/*
 * Close services the way a complete coverage does: every service in ids
 * (or, when ids is NULL, every service the scope saw before group that
 * no scan since the group began has seen) that is open and has not been
 * seen since group began gets closed_at = t and a closures row naming
 * scan. Runs inside the caller's transaction on the control connection.
 */
int store_close_unseen(struct store *s, int64_t scan, int64_t group, const char *scope,
                       const int64_t *ids, size_t nids, int64_t t, struct err *e);

#endif
