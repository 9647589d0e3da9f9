/*
 * cli/scan_cmd.c -- `ajar scan` as users run it: the scan of scan.c with
 * assessment and the store attached through its hooks.
 *
 * Findings are assessed as they arrive (certificate sharing counted from
 * what the store knows so far), stored (which fills first/last seen) and
 * written. At the end, one more pass: a certificate counts as shared only
 * once every host serving it is known, so the findings of this scan whose
 * certificate turned out to be served by two hosts or more are assessed
 * again and stored again (the store keeps one observation per scan and
 * service). `ajar report` shows that final view; the JSON lines stream
 * shows each finding as soon as it is known, and a regular -o file is
 * rewritten with the final view at the end (st_final_records).
 *
 * An interrupted walk (store_scan_stop) is recorded as interrupted at its
 * checkpoint: it closes only what its covered part reached and did not
 * find, and stays resumable. Every pair taken from the walk is reported
 * to the store (st_reach) while the scope has open services, so it knows
 * which of them the covered part reached.
 *
 * Alerts: each stored finding is judged once (alert_judge: new, worsened,
 * or found without a store) and the decision goes to the webhook (posted as
 * it comes) and the mail (one message when the walk ends).
 */
#include "assess/assess.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/mail.h"
#include "cli/scanopts.h"
#include "cli/webhook.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

/* A finding of this scan that served a certificate (for the final pass). */
struct tls_key {
    char ip[46];
    uint16_t port;
    char service[32];
    char sha256[65];
};

/* A certificate served by two hosts or more (store_cert_hosts), found before the findings are
 * read again: store_scan_findings' callback may not query the store. */
struct shared_cert {
    char sha256[65];
    int hosts;
};
#define MAX_TLS_KEYS 200000

/* A store (data or broker service) this scan found at an address: for the honeypot count. */
struct store_key {
    char ip[46];
    char service[32];
};
/* An address that answered as HONEYPOT_MIN_STORES different stores or more. */
struct hp_host {
    char ip[46];
    int stores;
};
#define MAX_STORE_KEYS 1000000

struct scan_state {
    const struct scan_cfg *cfg;
    struct tls_key *tls;
    size_t ntls, captls;
    struct finding *redo;     /* findings to assess again and store, after the scan */
    int *redo_hosts;          /* hosts serving each one's certificate */
    int *redo_stores;         /* stores its address answered as (honeypot count) */
    struct store_key *stores; /* (address, store service) pairs of this scan */
    size_t nstores, capstores;
    struct hp_host *hp; /* addresses with HONEYPOT_MIN_STORES stores or more, sorted */
    size_t nhp;
    size_t nredo, capredo;
    struct shared_cert *shared; /* sorted by sha256 */
    size_t nshared;
    struct store *store;
    int64_t scan_id;
    time_t start;
    bool failed_on;
    struct err err;
    struct webhook *hook;       /* --webhook */
    struct alert_target target; /* its format, key and dashboard (strings: cfg's or getenv's) */
    int hook_wait_ms;
    struct mail *mail;   /* --mail-to */
    uint64_t checkpoint; /* the newest walk position below which every pair is concluded */
};

/* Open the store once (resume_find may come before begin). */
static int st_open(struct scan_state *s, const struct scan_cfg *cfg, struct err *e)
{
    if (s->store) return 0;
    const char *where = cfg->db ? cfg->db : getenv("AJAR_DB");
    if (!where || !where[0]) where = "./ajar.db";
    return store_open(&s->store, where, e);
}

static int st_resume_find(void *arg, const struct scan_cfg *cfg, const char *scope_key,
                          struct scan_resume *out, struct err *e)
{
    struct scan_state *s = arg;
    struct scan_info si;
    memset(out, 0, sizeof *out);
    if (st_open(s, cfg, e) < 0) return -1;
    int r;
    if (cfg->resume_id) {
        if (store_scan_get(s->store, cfg->resume_id, &si, e) < 0) return -1;
        if (si.end) return err_set(e, "scan %lld is complete: nothing to resume", (long long)si.id);
        r = 0;
    } else if (scope_key) {
        r = store_find_resumable(s->store, scope_key, cfg->shard, cfg->nshards, &si, e);
    } else {
        r = store_find_unfinished(s->store, &si, e);
    }
    if (r != 0) return r;
    out->id = si.id;
    str_copy(out->scope_key, si.scope_key, sizeof out->scope_key);
    out->seed = si.seed;
    out->shard = si.shard;
    out->nshards = si.nshards;
    return store_scan_argv(s->store, si.id, &out->argv_json, e);
}

/*
 * The webhook (--webhook, or PagerDuty's endpoint for --webhook-format pagerduty) and the mail.
 * A resumed scan whose secret was not stored and is not given again alerts nowhere (the resume
 * said so).
 */
static int alerts_open(struct scan_state *s, const struct scan_cfg *cfg, struct err *e)
{
    const char *key = cfg->pagerduty_key ? cfg->pagerduty_key : getenv("AJAR_PAGERDUTY_KEY");
    const char *url = cfg->webhook;
    if (!url && cfg->webhook_format == ALERT_PAGERDUTY && !cfg->webhook_redacted)
        url = ALERT_PAGERDUTY_URL;
    if (cfg->webhook_format == ALERT_PAGERDUTY && !(key && key[0]) && cfg->pagerduty_key_redacted)
        url = NULL;
    s->target.format = cfg->webhook_format;
    s->target.routing_key = key;
    s->target.dashboard_url = cfg->dashboard_url;
    if (url && webhook_open(&s->hook, url, &s->target, e) < 0) return -1;
    if (cfg->nmail_to) {
        struct mail_opts mo = {.to = cfg->mail_to,
                               .nto = cfg->nmail_to,
                               .from = cfg->mail_from,
                               .dashboard_url = cfg->dashboard_url,
                               .wait_ms = cfg->mail_wait_ms};
        if (mail_open(&s->mail, &mo, e) < 0) return -1;
    }
    return 0;
}

/* One judgement per finding, for every place alerts go. */
static void st_alert(struct scan_state *s, const struct finding *f)
{
    struct alert a;
    if (!s->hook && !s->mail) return;
    if (alert_judge(s->store, s->scan_id, f, s->cfg->alert_level, &a) == ALERT_NONE) return;
    webhook_post(s->hook, &a);
    mail_add(s->mail, &a);
}

/* The scan's one mail, when it has anything to say. */
static void mail_end(struct scan_state *s, const char *coverage)
{
    struct err e;
    if (s->mail && mail_send(s->mail, coverage, &e) < 0) log_warn("mail: not sent: %s", e.msg);
    mail_free(s->mail);
    s->mail = NULL;
}

static int st_begin(void *arg, struct scan_cfg *cfg, uint64_t *resume_pos, struct err *e)
{
    struct scan_state *s = arg;
    s->cfg = cfg;
    s->start = now_wall();
    s->hook_wait_ms = cfg->webhook_wait_ms;
    if (alerts_open(s, cfg, e) < 0) return -1;
    if (cfg->no_db) {
        if (cfg->resume) return err_set(e, "--resume needs a store (drop --no-db)");
        return 0;
    }
    if (st_open(s, cfg, e) < 0) return -1;
    struct scan_meta m = {
        .args = cfg->args,
        .argv_json = cfg->argv_json,
        .walk_total = cfg->walk_total,
        .scope_key = cfg->scope_key,
        .seed = cfg->seed,
        .shard = cfg->shard,
        .nshards = cfg->nshards,
        .start = s->start,
        .resume = cfg->resume,
        .resume_id = cfg->resume_id,
    };
    if (store_scan_begin(s->store, &m, &s->scan_id, resume_pos, e) < 0) return -1;
    s->checkpoint = *resume_pos;
    cfg->want_reach = store_reach_wanted(s->store);
    if (*resume_pos)
        log_warn("resuming scan %lld from position %llu", (long long)s->scan_id,
                 (unsigned long long)*resume_pos);
    return 0;
}

static void st_reach(void *arg, const struct target *t, uint64_t pos)
{
    struct scan_state *s = arg;
    store_reached(s->store, t->family, t->addr, t->port, pos);
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
    if (!s->store) {
        st_alert(s, f);
        return 0;
    }
    enum svc_class cls = catalog_class(f->service);
    if (!f->has_via && (cls == SVC_DATA || cls == SVC_BROKER) && s->nstores < MAX_STORE_KEYS) {
        if (s->nstores == s->capstores) {
            size_t nc = s->capstores ? s->capstores * 2 : 64;
            struct store_key *nv = xrealloc(s->stores, nc * sizeof *nv);
            if (nv) {
                s->stores = nv;
                s->capstores = nc;
            }
        }
        if (s->nstores < s->capstores) {
            struct store_key *k = &s->stores[s->nstores++];
            str_copy(k->ip, f->ip, sizeof k->ip);
            str_copy(k->service, f->service, sizeof k->service);
        }
    }
    if (f->tls.present && f->tls.sha256[0] && s->ntls < MAX_TLS_KEYS) {
        if (s->ntls == s->captls) {
            size_t nc = s->captls ? s->captls * 2 : 64;
            struct tls_key *nv = xrealloc(s->tls, nc * sizeof *nv);
            if (nv) {
                s->tls = nv;
                s->captls = nc;
            }
        }
        if (s->ntls < s->captls) {
            struct tls_key *k = &s->tls[s->ntls++];
            str_copy(k->ip, f->ip, sizeof k->ip);
            k->port = f->port;
            str_copy(k->service, f->service, sizeof k->service);
            str_copy(k->sha256, f->tls.sha256, sizeof k->sha256);
        }
    }
    if (store_put(s->store, s->scan_id, f, &s->err) < 0) {
        log_warn("store: %s", s->err.msg);
        return -1;
    }
    st_alert(s, f);
    return 0;
}

static void st_checkpoint(void *arg, uint64_t pos)
{
    struct scan_state *s = arg;
    s->checkpoint = pos;
    if (s->store && store_checkpoint(s->store, s->scan_id, pos, &s->err) < 0)
        log_warn("store: %s", s->err.msg);
}

static int key_cmp(const void *a, const void *b)
{
    const struct tls_key *x = a, *y = b;
    int c = strcmp(x->ip, y->ip);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return strcmp(x->service, y->service);
}

/* Did this scan see f with a certificate? (s->tls sorted by key_cmp) */
static bool tracked(const struct scan_state *s, const struct finding *f)
{
    struct tls_key k;
    str_copy(k.ip, f->ip, sizeof k.ip);
    k.port = f->port;
    str_copy(k.service, f->service, sizeof k.service);
    return bsearch(&k, s->tls, s->ntls, sizeof k, key_cmp) != NULL;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The certificates this scan saw that two hosts or more served (in any scan): s->shared. */
static int find_shared(struct scan_state *s, struct err *e)
{
    const char **v = xmalloc(s->ntls * sizeof *v);
    s->shared = xmalloc(s->ntls * sizeof *s->shared);
    if (!v || !s->shared) {
        free(v);
        return err_set(e, "out of memory");
    }
    for (size_t i = 0; i < s->ntls; i++)
        v[i] = s->tls[i].sha256;
    qsort(v, s->ntls, sizeof *v, cmp_str_ptr);
    int rc = 0;
    for (size_t i = 0; i < s->ntls && rc == 0; i++) {
        if (i && !strcmp(v[i], v[i - 1])) continue;
        int n = 0;
        rc = store_cert_hosts(s->store, v[i], &n, e);
        if (rc == 0 && n >= 2) {
            struct shared_cert *c = &s->shared[s->nshared++];
            str_copy(c->sha256, v[i], sizeof c->sha256);
            c->hosts = n;
        }
    }
    free(v);
    return rc;
}

static int shared_cmp(const void *a, const void *b)
{
    return strcmp(((const struct shared_cert *)a)->sha256, ((const struct shared_cert *)b)->sha256);
}

static int store_key_cmp(const void *a, const void *b)
{
    const struct store_key *x = a, *y = b;
    int c = strcmp(x->ip, y->ip);
    return c ? c : strcmp(x->service, y->service);
}

/* The addresses that answered as HONEYPOT_MIN_STORES different stores or more: s->hp. */
static void find_hp(struct scan_state *s)
{
    if (!s->nstores) return;
    qsort(s->stores, s->nstores, sizeof *s->stores, store_key_cmp);
    for (size_t i = 0; i < s->nstores;) {
        size_t j = i;
        int distinct = 0;
        for (; j < s->nstores && !strcmp(s->stores[j].ip, s->stores[i].ip); j++)
            if (j == i || strcmp(s->stores[j].service, s->stores[j - 1].service)) distinct++;
        if (distinct >= HONEYPOT_MIN_STORES) {
            struct hp_host *nv = xrealloc(s->hp, (s->nhp + 1) * sizeof *nv);
            if (nv) {
                s->hp = nv;
                str_copy(s->hp[s->nhp].ip, s->stores[i].ip, sizeof s->hp[0].ip);
                s->hp[s->nhp++].stores = distinct;
            }
        }
        i = j;
    }
}

static int hp_cmp(const void *a, const void *b)
{
    return strcmp(((const struct hp_host *)a)->ip, ((const struct hp_host *)b)->ip);
}

/* store_scan_findings callback: keep this scan's findings to assess again -- those whose
 * certificate is shared, and those of an address that answered as many stores at once. */
static int collect_redo(void *arg, const struct finding *f)
{
    struct scan_state *s = arg;
    int hosts = 0, stores = 0;
    if (f->tls.present && f->tls.sha256[0] && s->nshared && tracked(s, f)) {
        struct shared_cert k = {.hosts = 0};
        str_copy(k.sha256, f->tls.sha256, sizeof k.sha256);
        const struct shared_cert *sc = bsearch(&k, s->shared, s->nshared, sizeof k, shared_cmp);
        if (sc) hosts = sc->hosts;
    }
    if (s->nhp) {
        struct hp_host k = {.stores = 0};
        str_copy(k.ip, f->ip, sizeof k.ip);
        const struct hp_host *h = bsearch(&k, s->hp, s->nhp, sizeof k, hp_cmp);
        if (h) stores = h->stores;
    }
    if (!hosts && !stores) return 0;
    if (!hosts && f->tls.present) hosts = 1;
    if (s->nredo == s->capredo) {
        size_t nc = s->capredo ? s->capredo * 2 : 16;
        struct finding *nv = xrealloc(s->redo, nc * sizeof *nv);
        if (!nv) return 0;
        s->redo = nv;
        int *nh = xrealloc(s->redo_hosts, nc * sizeof *nh);
        if (!nh) return 0;
        s->redo_hosts = nh;
        int *ns = xrealloc(s->redo_stores, nc * sizeof *ns);
        if (!ns) return 0;
        s->redo_stores = ns;
        s->capredo = nc;
    }
    struct finding *d = &s->redo[s->nredo];
    if (finding_copy(d, f) < 0) {
        finding_free(d);
        return 0;
    }
    s->redo_hosts[s->nredo] = hosts;
    s->redo_stores[s->nredo++] = stores;
    return 0;
}

/* What the scan covered, for people, the webhook and the mail (line); the store's view. */
static void say_coverage(struct scan_state *s, char *line, size_t n)
{
    struct scan_info si;
    struct err e;
    line[0] = 0;
    if (store_scan_get(s->store, s->scan_id, &si, &e) < 0) return;
    scan_coverage_text(&si, line, n);
    if (si.status != SCAN_COMPLETE || !scan_group_complete(&si))
        log_warn("%s; %lld found closed; continue it with --resume", line, (long long)si.closed);
    else
        log_info("%s; %lld found closed", line, (long long)si.closed);
    webhook_scan_end(s->hook, &si, line);
}

/* When the scan ends, two facts about other findings are known at last: certificates shared by
 * two hosts or more (after a complete walk), and addresses that answered as many different stores
 * at once (a honeypot suspect, whatever the walk covered). The findings concerned are assessed
 * and stored again. */
static int final_pass(struct scan_state *s, bool complete, struct err *e)
{
    int rc = 0;
    if (complete && s->ntls) {
        qsort(s->tls, s->ntls, sizeof *s->tls, key_cmp);
        rc = find_shared(s, e);
    }
    find_hp(s);
    if (rc == 0 && (s->nshared || s->nhp))
        rc = store_scan_findings(s->store, s->scan_id, collect_redo, s, e);
    for (size_t i = 0; rc == 0 && i < s->nredo; i++) {
        struct finding *f = &s->redo[i];
        struct assess_ctx c = {
            .now = s->start, .cert_hosts = s->redo_hosts[i], .host_stores = s->redo_stores[i]};
        assess_finding(f, &c);
        if (s->cfg->has_fail_on && f->severity >= s->cfg->fail_on) s->failed_on = true;
        rc = store_put(s->store, s->scan_id, f, e);
    }
    if (rc == 0 && s->nredo) rc = store_flush(s->store, e);
    return rc;
}

static int st_end(void *arg, const struct engine_stats *st, const char *reason, struct err *e)
{
    struct scan_state *s = arg;
    int rc = 0;
    char line[256] = "";
    if (!s->store) {
        mail_end(s, NULL);
        return 0;
    }
    if (reason) {
        /* not complete: keep what is committed and the checkpoint for --resume, and close only
         * what the covered part of the walk saw closed */
        rc = store_scan_stop(s->store, s->scan_id, reason, s->checkpoint, e);
        if (rc == 0) rc = final_pass(s, false, e);
    } else {
        rc = store_scan_end(s->store, s->scan_id, e);
        if (rc == 0) rc = final_pass(s, true, e);
    }
    (void)st;
    if (rc == 0) say_coverage(s, line, sizeof line);
    mail_end(s, line[0] ? line : NULL);
    for (size_t i = 0; i < s->nredo; i++)
        finding_free(&s->redo[i]);
    free(s->redo);
    free(s->redo_hosts);
    free(s->redo_stores);
    free(s->tls);
    free(s->shared);
    free(s->stores);
    free(s->hp);
    s->redo = NULL;
    s->redo_hosts = s->redo_stores = NULL;
    s->tls = NULL;
    s->shared = NULL;
    s->stores = NULL;
    s->hp = NULL;
    s->nshared = s->nredo = s->nstores = s->capstores = s->nhp = s->capredo = 0;
    return rc;
}

struct final_ctx {
    FILE *fp;
    int failed;
};

static int write_final(void *arg, const struct finding *f)
{
    struct final_ctx *c = arg;
    json_t *j = finding_to_json(f, false);
    if (!j || json_dumpf(j, c->fp, JSON_COMPACT) < 0 || fputc('\n', c->fp) == EOF) c->failed = 1;
    json_decref(j);
    return c->failed;
}

/* This scan's records as `ajar report --format jsonl` prints them (the same maker, order and
 * first/last seen). */
static int st_final_records(void *arg, FILE *fp, struct err *e)
{
    struct scan_state *s = arg;
    if (!s->store || !s->scan_id) return 1;
    struct final_ctx c = {.fp = fp};
    if (store_scan_own_findings(s->store, s->scan_id, write_final, &c, e) < 0 && !c.failed)
        return -1;
    if (c.failed) return err_set(e, "writing the output failed");
    return 0;
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
        .reach = st_reach,
        .resume_find = st_resume_find,
        .end = st_end,
        .final_records = st_final_records,
        .exit_status = st_exit,
    };
    int rc = scan_main(argc, argv, &h);
    webhook_close(s.hook, s.hook_wait_ms, NULL);
    mail_free(s.mail); /* a scan that failed before its end: nothing is sent */
    if (s.store) store_close(s.store);
    return rc;
}
