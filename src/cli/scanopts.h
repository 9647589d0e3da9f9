/*
 * cli/scanopts.h -- hooks that connect `ajar scan` (argument parsing,
 * engine, output) to assessment and the store, so scan.c knows neither.
 * Every hook is optional.
 */
#ifndef AJAR_CLI_SCANOPTS_H
#define AJAR_CLI_SCANOPTS_H

#include "core/finding.h"
#include "core/util.h"
#include "net/engine.h"
#include "target/target.h"

/* What the scan was asked to do, for the hooks. */
struct scan_cfg {
    const struct target_set *ts;
    uint64_t seed;   /* begin() may replace it (resuming a scan without --seed) */
    bool seed_given; /* --seed was on the command line */
    uint32_t shard, nshards;
    bool discovery_only;
    const char *db;    /* --db, or NULL for the default */
    bool no_db;        /* --no-db */
    bool resume;       /* --resume */
    int64_t resume_id; /* --resume=ID (0 = the last unfinished scan of this scope) */
    bool has_fail_on;
    enum severity fail_on;     /* --fail-on LEVEL */
    const char *webhook;       /* --webhook URL, or NULL */
    enum severity alert_level; /* --alert-level LEVEL (default high) */
    int webhook_wait_ms;       /* --webhook-wait SECONDS at the end (default 5) */
    char scope_key[65];        /* SHA-256 hex of the normalised targets, ports and excludes */
    char args[512];            /* the command line */
};

struct scan_hooks {
    void *arg;
    /* fill signals and severity before the finding is stored and written */
    void (*assess)(void *arg, struct finding *f);
    /* keep the finding (first/last seen are filled in); -1 stops the scan */
    int (*store)(void *arg, struct finding *f);
    /* the scan starts: may return a checkpoint to resume from */
    int (*begin)(void *arg, struct scan_cfg *cfg, uint64_t *resume_pos, struct err *e);
    void (*checkpoint)(void *arg, uint64_t pos);
    int (*end)(void *arg, const struct engine_stats *st, struct err *e);
    /* exit status once everything is written (e.g. 3 when --fail-on was reached) */
    int (*exit_status)(void *arg);
    bool no_stdout; /* write nothing to stdout unless -o is given */
};

int scan_main(int argc, char **argv, const struct scan_hooks *hooks);

#endif
