/*
 * cli/scanopts.h -- hooks that connect `ajar scan` (argument parsing,
 * engine, output) to assessment and the store, so scan.c knows neither.
 * Every hook is optional.
 */
#ifndef AJAR_CLI_SCANOPTS_H
#define AJAR_CLI_SCANOPTS_H

#include "cli/alert.h"
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
    enum severity fail_on;            /* --fail-on LEVEL */
    const char *webhook;              /* --webhook URL, or NULL */
    bool webhook_redacted;            /* a stored scan had one; its URL was not stored */
    enum severity alert_level;        /* --alert-min LEVEL (alias --alert-level; default high) */
    int webhook_wait_ms;              /* --webhook-wait SECONDS at the end (default 5) */
    enum alert_format webhook_format; /* --webhook-format (default json) */
    const char *pagerduty_key;        /* --pagerduty-key KEY, or NULL ($AJAR_PAGERDUTY_KEY) */
    bool pagerduty_key_redacted;      /* a stored scan had one; it was not stored */
    const char *dashboard_url;        /* --dashboard-url URL, or NULL */
    const char *const *mail_to;       /* --mail-to ADDR (repeatable) */
    size_t nmail_to;
    const char *mail_from; /* --mail-from ADDR, or NULL */
    int mail_wait_ms;      /* --mail-wait SECONDS (default 30) */
    char scope_key[65];    /* SHA-256 hex of the normalised targets, ports and excludes */
    char args[512];        /* the command line */
    const char *argv_json; /* the arguments as a JSON array, secrets redacted */
    uint64_t walk_total;   /* pairs in this shard's walk */
    bool want_reach;       /* begin(): report every pair taken from the walk (reach hook) */
};

/* The unfinished scan a --resume continues (resume_find). */
struct scan_resume {
    int64_t id;
    char scope_key[65];
    uint64_t seed;
    uint32_t shard, nshards;
    char *argv_json; /* malloc'ed; NULL when the store predates stored arguments */
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
    /* a pair taken from the walk at pos (only when begin() set cfg->want_reach) */
    void (*reach)(void *arg, const struct target *t, uint64_t pos);
    /*
     * --resume: the unfinished scan to continue: cfg->resume_id when set, else the newest of
     * scope_key and cfg's shard, else (scope_key NULL: no targets given) the newest of any
     * scope. 0 found (*out filled; free out->argv_json), 1 none, -1 error.
     */
    int (*resume_find)(void *arg, const struct scan_cfg *cfg, const char *scope_key,
                       struct scan_resume *out, struct err *e);
    /* the walk ended: stop_reason NULL when it is complete, else why it stopped */
    int (*end)(void *arg, const struct engine_stats *st, const char *stop_reason, struct err *e);
    /* the scan's final records, one JSON line each, into fp: 0, 1 when there is no store, -1 */
    int (*final_records)(void *arg, FILE *fp, struct err *e);
    /* exit status once everything is written (e.g. 3 when --fail-on was reached) */
    int (*exit_status)(void *arg);
    bool no_stdout; /* write nothing to stdout unless -o is given */
};

int scan_main(int argc, char **argv, const struct scan_hooks *hooks);

#endif
