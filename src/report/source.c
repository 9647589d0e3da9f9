/*
 * report/source.c -- feeding a report from the store: which scan, its
 * findings, and for HTML the history of its scope.
 *
 * This is the only file of the report that knows the store, and it only
 * reads it (store.h's reading half). The scan is the one asked for or the
 * newest complete coverage (a newer interrupted or partial scan is named
 * in a note, not taken silently: its findings are only what it reached);
 * "new since the previous scan" needs the previous complete coverage of
 * the same scope (store_prev_scan). The history chart
 * counts, for each of the last REPORT_HISTORY_MAX finished scans of the
 * same scope (one point per group of shards), the findings that pass the
 * report's filters by severity -- one more pass over each of those scans,
 * which is why only the HTML report asks for it.
 *
 * A path that does not exist is an error: store_open() would create an
 * empty store there, and a report that silently makes a database file
 * because of a typo in --db is worse than one that says so.
 */
#include "report/report_int.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct feed {
    struct report *r;
    struct err *e;
    bool progress;
    int64_t total, seen;
    int failed;
};

static int on_finding(void *arg, const struct finding *f)
{
    struct feed *c = arg;
    c->seen++;
    if (c->progress && c->seen % 20000 == 0)
        fprintf(stderr, "\rajar report: %lld / %lld findings read", (long long)c->seen,
                (long long)c->total);
    if (report_add(c->r, f, c->e) < 0) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

struct scan_list {
    struct scan_info *v;
    size_t n, cap;
    const char *scope;
};

static int on_scan(void *arg, const struct scan_info *si)
{
    struct scan_list *l = arg;
    if (!si->end || strcmp(si->scope_key, l->scope)) return 0;
    struct scan_info *nv = arr_grow(l->v, l->n, &l->cap, sizeof *nv, 16);
    if (!nv) return 1;
    l->v = nv;
    l->v[l->n++] = *si;
    /* shards of a group are several scans: keep a margin, groups are merged below */
    return l->n >= REPORT_HISTORY_MAX * 8;
}

struct counter {
    const struct report *r;
    int64_t by_sev[6];
};

static int count_one(void *arg, const struct finding *f)
{
    struct counter *c = arg;
    if (report_accepts(c->r, f)) c->by_sev[f->severity < 6 ? f->severity : 0]++;
    return 0;
}

static int history(struct store *s, struct report *r, const struct scan_info *cur, struct err *e)
{
    struct scan_list l = {.scope = cur->scope_key};
    int64_t *groups = NULL;
    size_t ng = 0;
    int rc = -1;
    if (store_scans(s, on_scan, &l, e) < 0) goto out;
    groups = xcalloc(l.n + 1, sizeof *groups);
    if (!groups) {
        err_set(e, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < l.n && ng < REPORT_HISTORY_MAX; i++) {
        int64_t g;
        if (store_scan_group(s, l.v[i].id, &g, e) < 0) goto out;
        bool dup = false;
        for (size_t k = 0; k < ng; k++)
            if (groups[k] == g) dup = true;
        if (dup) continue;
        groups[ng++] = g;
        struct scan_info gi;
        if (store_scan_get(s, g, &gi, e) < 0) goto out;
        struct counter c = {.r = r};
        if (store_scan_findings(s, g, count_one, &c, e) < 0) goto out;
        if (report_add_point(r, g, gi.start, c.by_sev, e) < 0) goto out;
    }
    rc = 0;
out:
    free(l.v);
    free(groups);
    return rc;
}

/* A PostgreSQL URL (which may hold a password, so it is not printed). */
static bool is_pg_url(const char *where)
{
    return !strncmp(where, "postgresql://", 13) || !strncmp(where, "postgres://", 11);
}

int report_run(const struct report_opts *o, const char *where, int64_t scan_id, FILE *fp,
               bool progress, struct err *e)
{
    struct store *s = NULL;
    struct report *r = NULL;
    int rc = -1;
    if (!is_pg_url(where) && access(where, F_OK) != 0)
        return err_set(e, "no store at %s (give --db PATH or set AJAR_DB)", where);
    if (store_open(&s, where, e) < 0) return -1;
    bool chosen = scan_id == 0;
    if (!scan_id) {
        if (store_last_scan(s, NULL, &scan_id, e) < 0) goto out;
        if (!scan_id) {
            /* a PostgreSQL URL is not printed: it may hold a password */
            err_set(e, "no complete scan in %s (ajar report --scan ID shows an incomplete one)",
                    is_pg_url(where) ? "the PostgreSQL store" : where);
            goto out;
        }
    }
    struct scan_info si;
    if (store_scan_get(s, scan_id, &si, e) < 0) {
        char m[sizeof e->msg];
        str_copy(m, e->msg, sizeof m);
        err_set(e, "scan %lld: %s", (long long)scan_id, m);
        goto out;
    }
    struct report_scan sc;
    memset(&sc, 0, sizeof sc);
    sc.id = si.id;
    sc.group = si.group;
    sc.start = si.start;
    sc.end = si.end;
    str_copy(sc.scope_key, si.scope_key, sizeof sc.scope_key);
    str_copy(sc.args, si.args, sizeof sc.args);
    sc.incomplete = !si.end || !scan_group_complete(&si);
    scan_coverage_text(&si, sc.coverage, sizeof sc.coverage);
    int64_t newest = 0;
    struct scan_info sx;
    if (chosen && store_newest_scan(s, &newest, e) == 0 && newest > si.id &&
        store_scan_get(s, newest, &sx, e) == 0 && sx.group != si.group) {
        char cov[200];
        scan_coverage_text(&sx, cov, sizeof cov);
        str_fmt(sc.note, sizeof sc.note, "newer, not a complete coverage: %s (--scan %lld)", cov,
                (long long)sx.id);
    }
    if (o->format != REPORT_TEXT && o->format != REPORT_HTML) {
        if (sc.incomplete)
            log_warn("%s: not a complete coverage; the records are what it reached", sc.coverage);
        if (sc.note[0]) log_warn("%s", sc.note);
    }
    /* a URL may carry a password: show only the scheme and host part */
    if (!strncmp(where, "postgres", 8))
        str_copy(sc.where, "postgresql (URL given)", sizeof sc.where);
    else
        str_copy(sc.where, where, sizeof sc.where);
    if (store_prev_scan(s, scan_id, &sc.prev_id, e) < 0) goto out;
    if (sc.prev_id) {
        struct scan_info pi;
        if (store_scan_get(s, sc.prev_id, &pi, e) < 0) goto out;
        sc.prev_start = pi.start;
    }
    if (report_new(&r, o, fp, e) < 0) goto out;
    report_set_scan(r, &sc);
    struct feed c = {
        .r = r, .e = e, .progress = progress && si.findings > 100000, .total = si.findings};
    if (store_scan_findings(s, scan_id, on_finding, &c, e) < 0 && !c.failed) goto out;
    if (c.progress)
        fprintf(stderr, "\rajar report: %lld findings read%20s\n", (long long)c.seen, "");
    if (c.failed) goto out;
    if (report_wants_history(r) && history(s, r, &si, e) < 0) goto out;
    if (report_finish(r, e) < 0) goto out;
    rc = 0;
out:
    report_free(r);
    store_close(s);
    return rc;
}
