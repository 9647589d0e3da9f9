/*
 * store/store.h -- what ajar remembers: scans, services, observations,
 * certificates, clusters. SQLite (a file path, default ./ajar.db, WAL) or
 * PostgreSQL (a postgresql:// URL, libpq), same schema, same behaviour.
 *
 * The scan writes through store_put() as findings come; writes are queued
 * and committed in batched transactions by a writer thread, off the network
 * path. store_put() fills first_seen/last_seen into the finding it is given
 * (from the service's history) before returning. store_scan_end() flushes,
 * marks the services of the same scope that this scan did not see as
 * closed at this scan's time (per the coverage rules of store/coverage.c),
 * and finalises the scan's observations (certificate sharing counts,
 * clusters). Re-assessing findings whose signals only the end knows
 * (cert-shared, honeypot) is the caller's: cli/scan_cmd.c reads them back
 * after the end, assesses them again and stores them once more.
 *
 * Scope: two scans have the same scope when their scope keys are equal (a
 * hash of the normalised targets, ports and excludes); sharded scans of one
 * scope with one seed form one group (their union is the scope's view).
 *
 * Every SQL statement uses bound parameters. Errors come back in struct err.
 */
#ifndef AJAR_STORE_H
#define AJAR_STORE_H

#include "core/finding.h"
#include "core/util.h"

#include <stdint.h>
#include <time.h>

struct store;

struct scan_meta {
    const char *args;      /* the command line, for the record */
    const char *argv_json; /* the arguments as a JSON array (secrets redacted), for --resume */
    uint64_t walk_total;   /* pairs in this shard's walk (the checkpoint's end) */
    const char *scope_key; /* hash of targets + ports + excludes */
    uint64_t seed;
    uint32_t shard, nshards;
    time_t start;
    bool resume;       /* continue the last unfinished scan of this scope and shard */
    int64_t resume_id; /* ... or this one (0 = the last) */
};

/* Open or create (running migrations). `where` is a path or a postgresql:// URL. */
int store_open(struct store **out, const char *where, struct err *e);
void store_close(struct store *s);

/*
 * Start (or resume) a scan. *scan_id gets its id; *resume_pos the walk
 * checkpoint to continue from (0 for a new scan). A resumed scan keeps its
 * id, so nothing already committed is written twice.
 */
int store_scan_begin(struct store *s, const struct scan_meta *m, int64_t *scan_id,
                     uint64_t *resume_pos, struct err *e);
/* Queue a finding of this scan; fills f->first_seen and f->last_seen. */
int store_put(struct store *s, int64_t scan_id, struct finding *f, struct err *e);
/* Record that every pair before walk position pos is concluded (after the findings it covers are
 * committed). */
int store_checkpoint(struct store *s, int64_t scan_id, uint64_t pos, struct err *e);
/* The walk is complete: flush, mark the scan complete, and when its whole group is, close the
 * scope's services that no scan since the group began has seen; finalise. */
int store_scan_end(struct store *s, int64_t scan_id, struct err *e);
/*
 * The scan stopped before its walk was done (a signal, --max-seconds, a runtime failure):
 * flush, mark it interrupted with `reason` at checkpoint pos (every pair before pos is
 * concluded), and close the scope's open services whose pair the walk reached before pos
 * (store_reached) and that no scan since the group began has seen. Nothing else is closed.
 * The scan stays resumable.
 */
int store_scan_stop(struct store *s, int64_t scan_id, const char *reason, uint64_t pos,
                    struct err *e);
/*
 * Coverage of an interrupted walk. store_scan_begin loads the scope's open services; while
 * store_reach_wanted() is true, the scan reports every pair it takes from its walk, with the
 * walk position, before connecting to it (family AF_INET or AF_INET6, addr in network order as
 * struct target has it). Constant time; the caller's thread only.
 */
bool store_reach_wanted(struct store *s);
void store_reached(struct store *s, int family, const uint8_t addr[16], uint16_t port,
                   uint64_t pos);
/* Hosts (distinct ip:port) that served the certificate with this SHA-256, in all scans. */
int store_cert_hosts(struct store *s, const char *sha256, int *n, struct err *e);

/* ---- reading (report, diff, history, dashboard) ---- */

/* What a scan covered: running (or killed: nothing recorded its end), complete, interrupted. */
enum scan_status { SCAN_RUNNING, SCAN_COMPLETE, SCAN_INTERRUPTED };
struct scan_info {
    int64_t id;
    time_t start, end; /* end 0 until the walk is complete */
    char scope_key[65];
    uint32_t shard, nshards;
    uint64_t seed;
    char args[512];
    int64_t findings;
    enum scan_status status;
    char reason[96];          /* why it stopped (SIGTERM, --max-seconds, error: ...), "" */
    time_t stopped;           /* when it stopped, 0 */
    uint64_t checkpoint;      /* walk position below which every pair is concluded */
    uint64_t walk_total;      /* pairs in the shard's walk; 0 when unknown (older stores) */
    int64_t group;            /* the group's first scan (== id unsharded) */
    int64_t closed;           /* services this scan found closed */
    uint32_t shards_complete; /* of the group */
};
/* The group of si is a complete coverage of its scope (every shard's walk complete). */
bool scan_group_complete(const struct scan_info *si);
const char *scan_status_name(enum scan_status st);
/* One line for people: "scan #2: interrupted at 5.7% of its walk (SIGTERM)". */
void scan_coverage_text(const struct scan_info *si, char *out, size_t n);
/* The walk done, in percent (0 when unknown). */
double scan_walk_percent(const struct scan_info *si);

/*
 * The newest complete coverage (0 if none): a member of the newest group whose shards all
 * completed; with scope_key, of that scope.
 */
int store_last_scan(struct store *s, const char *scope_key, int64_t *id, struct err *e);
/* The newest scan of any status (0 if none). */
int store_newest_scan(struct store *s, int64_t *id, struct err *e);
int store_scan_get(struct store *s, int64_t id, struct scan_info *out, struct err *e);
/* Scans newest first; fn returns non-zero to stop. */
int store_scans(struct store *s, int (*fn)(void *arg, const struct scan_info *si), void *arg,
                struct err *e);
/* The findings observed in a scan (the whole group for a sharded scan), with first/last seen.
 * Read row by row: fn must not call the store (finish reading first, then ask). */
int store_scan_findings(struct store *s, int64_t scan_id,
                        int (*fn)(void *arg, const struct finding *f), void *arg, struct err *e);
/* The same for this scan alone (one shard of a group), in the same order. */
int store_scan_own_findings(struct store *s, int64_t scan_id,
                            int (*fn)(void *arg, const struct finding *f), void *arg,
                            struct err *e);
/* Every observation of ip (and port, 0 = any) over time, oldest first. */
int store_history(struct store *s, const char *ip, uint16_t port,
                  int (*fn)(void *arg, int64_t scan_id, const struct finding *f), void *arg,
                  struct err *e);

/* ---- more ---- */

#define STORE_DEFAULT_PATH "ajar.db"

/* "sqlite" or "postgresql". */
const char *store_backend(const struct store *s);
/* Commit at least every n findings (default 25000); every 200 ms holds as well. */
void store_set_batch(struct store *s, unsigned n);
/* Wait until everything queued so far is committed (or the writer failed). */
int store_flush(struct store *s, struct err *e);
/*
 * The unfinished scan that a resume of (scope_key, shard, nshards) would
 * continue: 0 and *out filled, or 1 when there is none. `ajar scan --resume`
 * without --seed takes the seed from here (the walk must be the same).
 */
int store_find_resumable(struct store *s, const char *scope_key, uint32_t shard, uint32_t nshards,
                         struct scan_info *out, struct err *e);
/* The newest unfinished scan of any scope (0 and *out), or 1 when there is none. */
int store_find_unfinished(struct store *s, struct scan_info *out, struct err *e);
/* The stored arguments of a scan (JSON array text, malloc'ed into *out; NULL when the scan
 * predates them). */
int store_scan_argv(struct store *s, int64_t id, char **out, struct err *e);
/* The scan that closed service (the newest closures row; *scan 0 when none records it). */
int store_closed_by(struct store *s, int64_t service, int64_t *scan, struct err *e);
/* The group (first scan id) a scan belongs to; == id for an unsharded scan. */
int store_scan_group(struct store *s, int64_t id, int64_t *group, struct err *e);
/* The newest complete coverage of the same scope in an earlier group (*prev 0 if none). */
int store_prev_scan(struct store *s, int64_t scan_id, int64_t *prev, struct err *e);
/* The same reads on a connection of the caller's (the dashboard reads with its own). */
struct db;
int store_prev_scan_db(struct db *d, int64_t scan_id, int64_t *prev, struct err *e);
int store_last_scan_db(struct db *d, const char *scope_key, int64_t *id, struct err *e);
int store_newest_scan_db(struct db *d, int64_t *id, struct err *e);
int store_scan_get_db(struct db *d, int64_t id, struct scan_info *out, struct err *e);
/* Scans newest first, limit of them after skipping offset; fn returns non-zero to stop. */
int store_scans_page_db(struct db *d, int64_t limit, int64_t offset,
                        int (*fn)(void *arg, const struct scan_info *si), void *arg, struct err *e);

/* An exposure as the store knows it now. */
struct store_service {
    int64_t id;
    char ip[46];
    uint16_t port;
    char transport[8];
    char service[32];
    time_t first_seen, last_seen;
    time_t closed_at; /* 0 while open */
};
/* The services at ip (and port, 0 = any), by port. */
int store_services(struct store *s, const char *ip, uint16_t port,
                   int (*fn)(void *arg, const struct store_service *sv), void *arg, struct err *e);

#include "store/dash.h" /* the dashboard's reads, accounts and sessions */

#endif
