/*
 * cli/scan_cmd.c -- `ajar scan` as users run it: the scan of scan.c with
 * assessment and the store attached through its hooks.
 *
 * Findings are assessed as they arrive (certificate sharing counted from
 * what the store knows so far), stored (which fills first/last seen) and
 * written. The store finalises the scan at the end (sharing counts over the
 * whole scan, clusters), so `ajar report` shows the final view while the
 * JSON lines stream shows each finding as soon as it is known.
 */
#include "assess/assess.h"
#include "cli/cli.h"
#include "cli/scanopts.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

struct scan_state {
    const struct scan_cfg *cfg;
    struct store *store;
    int64_t scan_id;
    time_t start;
    bool failed_on;
    struct err err;
};

static int st_begin(void *arg, const struct scan_cfg *cfg, uint64_t *resume_pos, struct err *e)
{
    struct scan_state *s = arg;
    s->cfg = cfg;
    s->start = now_wall();
    if (cfg->no_db) {
        if (cfg->resume) return err_set(e, "--resume needs a store (drop --no-db)");
        return 0;
    }
    const char *where = cfg->db ? cfg->db : getenv("AJAR_DB");
    if (!where || !where[0]) where = "./ajar.db";
    if (store_open(&s->store, where, e) < 0) return -1;
    struct scan_meta m = {
        .args = cfg->args,
        .scope_key = cfg->scope_key,
        .seed = cfg->seed,
        .shard = cfg->shard,
        .nshards = cfg->nshards,
        .start = s->start,
        .resume = cfg->resume,
        .resume_id = cfg->resume_id,
    };
    if (store_scan_begin(s->store, &m, &s->scan_id, resume_pos, e) < 0) return -1;
    if (*resume_pos)
        log_warn("resuming scan %lld from position %llu", (long long)s->scan_id,
                 (unsigned long long)*resume_pos);
    return 0;
}

static void st_assess(void *arg, struct finding *f)
{
    struct scan_state *s = arg;
    struct assess_ctx c = {.now = s->start};
    if (s->store && f->tls.present && f->tls.sha256[0]) {
        int n = 0;
        struct err e;
        if (store_cert_hosts(s->store, f->tls.sha256, &n, &e) == 0) c.cert_hosts = n + 1;
    }
    assess_finding(f, &c);
    if (s->cfg->has_fail_on && f->severity >= s->cfg->fail_on) s->failed_on = true;
}

static int st_store(void *arg, struct finding *f)
{
    struct scan_state *s = arg;
    if (!s->store) return 0;
    if (store_put(s->store, s->scan_id, f, &s->err) < 0) {
        log_warn("store: %s", s->err.msg);
        return -1;
    }
    return 0;
}

static void st_checkpoint(void *arg, uint64_t pos)
{
    struct scan_state *s = arg;
    if (s->store && store_checkpoint(s->store, s->scan_id, pos, &s->err) < 0)
        log_warn("store: %s", s->err.msg);
}

static int st_end(void *arg, const struct engine_stats *st, struct err *e)
{
    struct scan_state *s = arg;
    (void)st;
    if (!s->store) return 0;
    int rc = store_scan_end(s->store, s->scan_id, e);
    store_close(s->store);
    s->store = NULL;
    return rc;
}

static int st_exit(void *arg)
{
    struct scan_state *s = arg;
    return s->failed_on ? EXIT_FAIL_ON : EXIT_OK;
}

int cmd_scan(int argc, char **argv)
{
    struct scan_state s;
    memset(&s, 0, sizeof s);
    struct scan_hooks h = {
        .arg = &s,
        .assess = st_assess,
        .store = st_store,
        .begin = st_begin,
        .checkpoint = st_checkpoint,
        .end = st_end,
        .exit_status = st_exit,
    };
    int rc = scan_main(argc, argv, &h);
    if (s.store) store_close(s.store);
    return rc;
}
