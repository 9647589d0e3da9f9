/*
 * report/report.c -- the report's core: options, filters, the compact rows
 * the summary formats keep, clusters, and the dispatch to a renderer.
 *
 * report_add() is the single door every finding goes through. It applies
 * the filters, then either hands the finding to the streaming writer of a
 * machine format (machine.c: json, jsonl, csv, sarif) or condenses it into
 * a struct report_row (text.c and html.c render those at report_finish(),
 * when the summary can be computed). Keeping only the row, not the
 * finding, is what lets a text or HTML report cover a million findings: a
 * struct finding is tens of kilobytes (fixed arrays for names and SANs), a
 * row is about 150 bytes plus its strings.
 */
#include "catalog/catalog.h"
#include "report/report_int.h"
#include "assess/signals.h"
#include "core/units.h"

#include <stdlib.h>
#include <string.h>

static const struct report_format_ops *ops_of(enum report_format f)
{
    return (size_t)f < report_nformats ? report_formats[f] : NULL;
}

int report_format_parse(const char *s, enum report_format *out)
{
    for (size_t i = 0; i < report_nformats; i++) {
        if (s && report_formats[i] && str_ieq(s, report_formats[i]->name)) {
            *out = (enum report_format)i;
            return 0;
        }
    }
    return -1;
}

const char *report_format_name(enum report_format f)
{
    return ops_of(f) ? ops_of(f)->name : "?";
}

static const char *const by_names[] = {"", "owner", "provider", "asn", "country"};

int report_by_parse(const char *s, enum report_by *out)
{
    for (size_t i = 1; i < ARRAY_LEN(by_names); i++) {
        if (s && !strcmp(s, by_names[i])) {
            *out = (enum report_by)i;
            return 0;
        }
    }
    return -1;
}

const char *report_by_name(enum report_by b)
{
    return (size_t)b < ARRAY_LEN(by_names) ? by_names[b] : "?";
}

/* ---- arena ---- */

/* ---- helpers ---- */

bool report_has_pii(const struct finding *f)
{
    for (int i = 0; i < f->nsignals; i++)
        if (signal_is(f->signals[i].id, SIG_PERSONAL_DATA_SCHEMA)) return true;
    return false;
}

void report_row_where(const struct report_row *w, char *out, size_t n)
{
    char asn[16] = "";
    if (w->asn) str_fmt(asn, sizeof asn, "AS%u", (unsigned)w->asn);
    const char *part[3] = {w->provider, asn, w->country};
    size_t o = 0;
    if (n) out[0] = 0;
    for (int i = 0; i < 3; i++) {
        if (!part[i] || !part[i][0] || o + 1 >= n) continue;
        str_fmt(out + o, n - o, "%s%s", o ? " \xc2\xb7 " : "", part[i]);
        o = strlen(out);
    }
}

/* A member's place in a cluster's spread: "Alibaba Cloud (AS37963)", "Alibaba Cloud",
 * "AS37963", or "" (unknown). */
static void spread_key(const struct report_row *w, char *out, size_t n)
{
    if (w->provider[0] && w->asn)
        str_fmt(out, n, "%s (AS%u)", w->provider, (unsigned)w->asn);
    else if (w->provider[0])
        str_copy(out, w->provider, n);
    else if (w->asn)
        str_fmt(out, n, "AS%u", (unsigned)w->asn);
    else
        str_copy(out, "", n);
}

static int cmp_spread(const void *a, const void *b)
{
    char x[160], y[160];
    spread_key(*(const struct report_row *const *)a, x, sizeof x);
    spread_key(*(const struct report_row *const *)b, y, sizeof y);
    if (!x[0] != !y[0]) return x[0] ? -1 : 1; /* unknown last */
    return strcmp(x, y);
}

struct spread_part {
    char key[160];
    size_t n;
};

static int cmp_part(const void *a, const void *b)
{
    const struct spread_part *x = a, *y = b;
    if (!x->key[0] != !y->key[0]) return x->key[0] ? -1 : 1;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

void report_cluster_spread(const struct report_cluster *c, char *out, size_t n)
{
    if (n) out[0] = 0;
    if (!c->n || !n) return;
    const struct report_row **m = xmalloc(c->n * sizeof *m);
    struct spread_part *p = xcalloc(c->n, sizeof *p);
    if (!m || !p) goto out;
    memcpy(m, c->members, c->n * sizeof *m);
    qsort(m, c->n, sizeof *m, cmp_spread);
    size_t np = 0;
    for (size_t i = 0; i < c->n; i++) {
        char k[160];
        spread_key(m[i], k, sizeof k);
        if (np && !strcmp(p[np - 1].key, k)) {
            p[np - 1].n++;
            continue;
        }
        str_copy(p[np].key, k, sizeof p[np].key);
        p[np++].n = 1;
    }
    qsort(p, np, sizeof *p, cmp_part);
    if (np == 1 && !p[0].key[0]) goto out; /* nothing known about any member */
    if (np == 1) {
        if (m[0]->provider[0] && m[0]->asn)
            str_fmt(out, n, "%zu members, all %s, AS%u", c->n, m[0]->provider, (unsigned)m[0]->asn);
        else
            str_fmt(out, n, "%zu members, all %s", c->n, p[0].key);
        goto out;
    }
    struct buf b;
    buf_init(&b, n - 1);
    buf_appendf(&b, "%zu members:", c->n);
    for (size_t i = 0; i < np; i++)
        buf_appendf(&b, "%s %zu %s", i ? "," : "", p[i].n, p[i].key[0] ? p[i].key : "unknown");
    if (b.data) str_copy(out, (const char *)b.data, n);
    buf_free(&b);
out:
    free(m);
    free(p);
}

bool report_row_exposed(const struct report_row *w)
{
    return kit_auth_exposed(w->auth);
}

void report_row_count(const struct report_row *w, int64_t *records, int64_t *bytes)
{
    if (w->shared) return;
    if (records) finding_count_add(records, w->records);
    if (bytes) finding_count_add(bytes, w->bytes);
}

size_t report_mark_shared(struct report *r)
{
    /* the rule is the kit's (kit_mark_shared), the dashboard's too */
    if (r->nrows < 2) return 0;
    struct kit_store_row *k = xcalloc(r->nrows, sizeof *k);
    bool *shared = xcalloc(r->nrows, sizeof *shared);
    uint32_t *also = xcalloc(r->nrows, sizeof *also);
    size_t marked = 0;
    if (k && shared && also) {
        for (size_t i = 0; i < r->nrows; i++) {
            const struct report_row *w = &r->rows[i];
            k[i] = (struct kit_store_row){.instance = w->instance,
                                          .exposed = report_row_exposed(w),
                                          .via = w->via[0] != 0,
                                          .records = w->records,
                                          .bytes = w->bytes,
                                          .order = (int64_t)i};
        }
        if (kit_mark_shared(k, r->nrows, shared, also, &marked) == 0)
            for (size_t i = 0; i < r->nrows; i++) {
                r->rows[i].shared = shared[i];
                r->rows[i].also += also[i];
            }
        else
            marked = 0; /* out of memory: every row counts, as before */
    }
    free(k);
    free(shared);
    free(also);
    return marked;
}

static int cmp_row_instance(const void *a, const void *b)
{
    return strcmp((*(const struct report_row *const *)a)->instance,
                  (*(const struct report_row *const *)b)->instance);
}

size_t report_rows_sum(const struct report_row **rows, size_t n, int64_t *records, int64_t *bytes)
{
    size_t stores = 0;
    if (n) qsort(rows, n, sizeof *rows, cmp_row_instance);
    for (size_t i = 0, j; i < n; i = j, stores++) {
        int64_t rec = rows[i]->records, by = rows[i]->bytes;
        j = i + 1;
        if (rows[i]->instance[0]) /* one store: its largest figures */
            for (; j < n && !strcmp(rows[j]->instance, rows[i]->instance); j++) {
                if (rows[j]->records > rec) rec = rows[j]->records;
                if (rows[j]->bytes > by) by = rows[j]->bytes;
            }
        if (records) finding_count_add(records, rec);
        if (bytes) finding_count_add(bytes, by);
    }
    return stores;
}

size_t report_owner_totals(const struct report *r, size_t i, struct report_owner_totals *t)
{
    size_t j, n = 0, np = 0;
    memset(t, 0, sizeof *t);
    for (j = i; j < r->nrows && !strcmp(r->rows[j].owner, r->rows[i].owner); j++) {
        const struct report_row *w = &r->rows[j];
        t->n++;
        t->open += report_row_exposed(w);
        t->crit += w->severity == SEV_CRITICAL;
    }
    /* records, each store once among this owner's rows: a store shared with another owner
     * (a console here, the store there) counts for both */
    const struct report_row **all = xmalloc((j - i) * sizeof *all),
                            **pii = xmalloc((j - i) * sizeof *pii);
    if (!all || !pii) { /* out of memory: every row counts */
        for (size_t k = i; k < j; k++) {
            finding_count_add(&t->rec, r->rows[k].records);
            if (r->rows[k].pii[0]) finding_count_add(&t->prec, r->rows[k].records);
        }
    } else {
        for (size_t k = i; k < j; k++) {
            all[n++] = &r->rows[k];
            if (r->rows[k].pii[0]) pii[np++] = &r->rows[k];
        }
        report_rows_sum(all, n, &t->rec, NULL);
        report_rows_sum(pii, np, &t->prec, NULL);
    }
    free(all);
    free(pii);
    return j;
}

/* ---- the report ---- */

int report_new(struct report **out, const struct report_opts *o, FILE *fp, struct err *e)
{
    *out = NULL;
    const struct report_format_ops *ops = ops_of(o->format);
    if (!ops) return err_set(e, "no such report format");
    if (o->clusters && !ops->clusters)
        return err_set(e, o->format == REPORT_OCSF ? "clusters are not OCSF findings"
                                                   : "clusters are not a SARIF report");
    if (o->by == REPORT_BY_OWNER && !o->owners) return err_set(e, "--by owner needs the owners");
    struct report *r = xcalloc(1, sizeof *r);
    if (!r) return err_set(e, "out of memory");
    r->o = *o;
    if (r->o.by == REPORT_BY_NONE && r->o.owners) r->o.by = REPORT_BY_OWNER;
    if (r->o.personal_only && !r->o.personal_over) r->o.personal_over = REPORT_PERSONAL_DEFAULT;
    r->fp = fp;
    r->ops = ops;
    r->keep_rows = ops->keeps_rows || o->clusters;
    if (!r->keep_rows && ops->begin && ops->begin(r, e) < 0) {
        report_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void report_set_scan(struct report *r, const struct report_scan *sc)
{
    r->scan = *sc;
    r->have_scan = true;
}

bool report_accepts(const struct report *r, const struct finding *f)
{
    if (r->o.min_severity != SEV_NONE && f->severity < r->o.min_severity) return false;
    if (r->o.service && !str_ieq(r->o.service, f->service[0] ? f->service : "unknown"))
        return false;
    if (r->o.personal_only &&
        (!report_has_pii(f) || f->records < 0 || (uint64_t)f->records < r->o.personal_over))
        return false;
    return true;
}

bool report_wants_history(const struct report *r)
{
    return r->ops->wants_history;
}

static int sig_by_severity(const void *a, const void *b)
{
    const struct signal *x = *(const struct signal *const *)a,
                        *y = *(const struct signal *const *)b;
    return (int)y->severity - (int)x->severity;
}

/* The rows' "top signals": ids, highest severity first, without repeats. */
static void signal_ids(const struct finding *f, char *out, size_t n)
{
    const struct signal *v[FINDING_MAX_SIGNALS];
    int k = 0;
    for (int i = 0; i < f->nsignals && i < FINDING_MAX_SIGNALS; i++)
        v[k++] = &f->signals[i];
    /* cppcheck false positive: qsort sorts the k pointers set just above */
    /* cppcheck-suppress uninitvar */
    qsort(v, (size_t)k, sizeof v[0], sig_by_severity);
    struct buf b;
    buf_init(&b, n > 0 ? n - 1 : 0);
    out[0] = 0;
    for (int i = 0; i < k; i++) {
        bool dup = false;
        for (int j = 0; j < i; j++)
            if (!strcmp(v[j]->id, v[i]->id)) dup = true;
        if (dup) continue;
        buf_appendf(&b, "%s%s", b.len ? ", " : "", v[i]->id);
    }
    if (b.data) str_copy(out, (const char *)b.data, n);
    buf_free(&b);
}

static int add_cert(struct report *r, const struct finding *f)
{
    for (size_t i = r->ncerts; i-- > 0;) {
        /* certificates shared by a cluster arrive together: look back a little only */
        if (r->ncerts - i > 64) break;
        if (!strcmp(r->certs[i].sha256, f->tls.sha256)) {
            r->certs[i].hosts++;
            return 0;
        }
    }
    if (r->ncerts == r->capcerts) {
        size_t nc = r->capcerts ? r->capcerts * 2 : 64;
        struct report_cert *nv = xrealloc(r->certs, nc * sizeof *nv);
        if (!nv) return -1;
        r->certs = nv;
        r->capcerts = nc;
    }
    char host[64];
    str_fmt(host, sizeof host, strchr(f->ip, ':') ? "[%s]:%u" : "%s:%u", f->ip, f->port);
    struct report_cert *c = &r->certs[r->ncerts];
    c->sha256 = arena_str(&r->arena, f->tls.sha256);
    c->cn = arena_str(&r->arena, f->tls.subject_cn[0] ? f->tls.subject_cn
                                 : f->tls.nsan        ? f->tls.san[0]
                                                      : "");
    c->host = arena_str(&r->arena, host);
    if (!c->sha256 || !c->cn || !c->host) return -1;
    c->not_after = f->tls.not_after;
    c->expired = f->tls.expired || (f->tls.not_after && f->time && f->tls.not_after < f->time);
    c->hosts = 1;
    r->ncerts++;
    return 0;
}

static int add_row(struct report *r, const struct finding *f)
{
    if (r->nrows == r->caprows) {
        size_t nc = r->caprows ? r->caprows * 2 : 256;
        struct report_row *nv = xrealloc(r->rows, nc * sizeof *nv);
        if (!nv) return -1;
        r->rows = nv;
        r->caprows = nc;
    }
    struct report_row *w = &r->rows[r->nrows];
    memset(w, 0, sizeof *w);
    char via[128] = "", sigs[160], names[160] = "";
    if (f->has_via)
        str_fmt(via, sizeof via, strchr(f->via_ip, ':') ? "%s [%s]:%u" : "%s %s:%u", f->via_service,
                f->via_ip, f->via_port);
    signal_ids(f, sigs, sizeof sigs);
    const char *pii = "";
    for (int i = 0; i < f->nsignals; i++)
        if (signal_is(f->signals[i].id, SIG_PERSONAL_DATA_SCHEMA)) pii = f->signals[i].detail;
    size_t o = 0;
    for (uint32_t i = 0; i < f->names.n && i < 4 && o + 4 < sizeof names; i++) {
        str_fmt(names + o, sizeof names - o, "%s%s", i ? ", " : "", f->names.v[i]);
        o = strlen(names);
    }
    w->ip = arena_str(&r->arena, f->ip);
    w->service = arena_str(&r->arena, f->service[0] ? f->service : "unknown");
    w->product = arena_str(&r->arena, f->product);
    w->version = arena_str(&r->arena, f->version);
    w->via = arena_str(&r->arena, via);
    w->signals = arena_str(&r->arena, sigs);
    w->pii = arena_str(&r->arena, pii);
    w->cluster = arena_str(&r->arena, f->cluster);
    w->names = arena_str(&r->arena, names);
    char inst[160];
    catalog_instance(f, inst, sizeof inst);
    w->instance = arena_str(&r->arena, inst);
    if (!w->ip || !w->service || !w->product || !w->version || !w->via || !w->signals || !w->pii ||
        !w->cluster || !w->names || !w->instance)
        return -1;
    w->asn = f->attr.asn;
    w->provider = arena_str(&r->arena, f->attr.cloud[0] ? kit_provider_name(f->attr.cloud) : "");
    w->org = arena_str(&r->arena, f->attr.org);
    w->country = arena_str(&r->arena, f->attr.country);
    if (!w->provider || !w->org || !w->country) return -1;
    w->owner = NULL;
    switch (r->o.by) {
    case REPORT_BY_OWNER:
        w->owner = kit_owner_of(r->o.owners, f->ip);
        break;
    case REPORT_BY_PROVIDER:
        w->owner = w->provider[0] ? w->provider : REPORT_UNKNOWN_GROUP;
        break;
    case REPORT_BY_ASN:
        if (f->attr.asn) {
            char g[160];
            str_fmt(g, sizeof g, "AS%u%s%s", (unsigned)f->attr.asn, f->attr.org[0] ? " " : "",
                    f->attr.org);
            if (!(w->owner = arena_str(&r->arena, g))) return -1;
        } else {
            w->owner = REPORT_UNKNOWN_GROUP;
        }
        break;
    case REPORT_BY_COUNTRY:
        w->owner = w->country[0] ? w->country : REPORT_UNKNOWN_GROUP;
        break;
    case REPORT_BY_NONE:
        break;
    }
    w->port = f->port;
    w->auth = (uint8_t)f->auth;
    w->severity = (uint8_t)f->severity;
    w->time = f->time;
    w->first_seen = f->first_seen;
    w->first_scan = f->first_scan;
    /* records/bytes: the probe's totals, else the per-name sums (as assess counts them) */
    w->records = f->records;
    w->bytes = f->bytes;
    if (w->records < 0 || w->bytes < 0) {
        int64_t rs = -1, bs = -1;
        for (uint32_t i = 0; i < f->names.n; i++) {
            finding_count_add(&rs, f->name_records[i]);
            finding_count_add(&bs, f->name_bytes[i]);
        }
        if (w->records < 0) w->records = rs;
        if (w->bytes < 0) w->bytes = bs;
    }
    r->nrows++;
    if (f->tls.present && f->tls.sha256[0] && add_cert(r, f) < 0) return -1;
    return 0;
}

int report_add(struct report *r, const struct finding *f, struct err *e)
{
    if (!report_accepts(r, f)) return 0;
    if (r->keep_rows) {
        if (add_row(r, f) < 0) return err_set(e, "out of memory keeping the report's rows");
        return 0;
    }
    return r->ops->add ? r->ops->add(r, f, e) : 0;
}

int report_add_point(struct report *r, int64_t scan_id, time_t t, const int64_t by_sev[6],
                     struct err *e)
{
    if (r->npoints == r->cappoints) {
        size_t nc = r->cappoints ? r->cappoints * 2 : 16;
        struct report_point *nv = xrealloc(r->points, nc * sizeof *nv);
        if (!nv) return err_set(e, "out of memory");
        r->points = nv;
        r->cappoints = nc;
    }
    struct report_point *p = &r->points[r->npoints++];
    p->scan_id = scan_id;
    p->t = t;
    memcpy(p->by_sev, by_sev, sizeof p->by_sev);
    return 0;
}

static const char *owner_key(const struct report_row *w)
{
    return w->owner ? w->owner : "";
}

static int cmp_rows(const void *a, const void *b)
{
    const struct report_row *x = a, *y = b;
    const char *ox = owner_key(x), *oy = owner_key(y);
    if (strcmp(ox, oy)) {
        /* "(no owner)" and "unknown" last: the rest, not a client */
        bool nx = !strcmp(ox, KIT_NO_OWNER) || !strcmp(ox, REPORT_UNKNOWN_GROUP),
             ny = !strcmp(oy, KIT_NO_OWNER) || !strcmp(oy, REPORT_UNKNOWN_GROUP);
        if (nx != ny) return nx ? 1 : -1;
        return strcmp(ox, oy);
    }
    if (x->severity != y->severity) return (int)y->severity - (int)x->severity;
    if (x->records != y->records) return x->records < y->records ? 1 : -1;
    int c = strcmp(x->ip, y->ip);
    if (c) return c;
    return (int)x->port - (int)y->port;
}

void report_sort_rows(struct report *r)
{
    if (r->nrows) qsort(r->rows, r->nrows, sizeof r->rows[0], cmp_rows);
}

static int cmp_row_ptr_cluster(const void *a, const void *b)
{
    const struct report_row *x = *(const struct report_row *const *)a,
                            *y = *(const struct report_row *const *)b;
    int c = strcmp(x->cluster, y->cluster);
    if (c) return c;
    c = strcmp(x->ip, y->ip);
    return c ? c : (int)x->port - (int)y->port;
}

static int cmp_cluster_size(const void *a, const void *b)
{
    const struct report_cluster *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return strcmp(x->id, y->id);
}

/* Distinct data stores among rows: each named store once, each unnamed row once. */
static size_t count_stores(const struct report_row **m, size_t n)
{
    const struct report_row **tmp = xmalloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return n;
    memcpy(tmp, m, n * sizeof *tmp); /* report_rows_sum reorders; the members keep their order */
    size_t stores = report_rows_sum(tmp, n, NULL, NULL);
    free(tmp);
    return stores;
}

int report_clusters(const struct report *r, struct report_cluster **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const struct report_row **v = NULL;
    struct report_cluster *c = NULL;
    size_t nv = 0, nc = 0;
    if (r->nrows) {
        v = xmalloc(r->nrows * sizeof *v);
        if (!v) return -1;
    }
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].cluster[0]) v[nv++] = &r->rows[i];
    if (nv) qsort(v, nv, sizeof v[0], cmp_row_ptr_cluster);
    /* count groups of two or more */
    size_t groups = 0;
    for (size_t i = 0, j; i < nv; i = j) {
        for (j = i + 1; j < nv && !strcmp(v[j]->cluster, v[i]->cluster); j++)
            ;
        if (j - i >= 2) groups++;
    }
    if (groups) {
        c = xcalloc(groups, sizeof *c);
        if (!c) goto fail;
    }
    for (size_t i = 0, j; i < nv; i = j) {
        for (j = i + 1; j < nv && !strcmp(v[j]->cluster, v[i]->cluster); j++)
            ;
        if (j - i < 2) continue;
        struct report_cluster *k = &c[nc++];
        /* analyzer false positive: a run of 2+ was counted in groups, so c was allocated */
        /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
        k->id = v[i]->cluster;
        k->product = v[i]->product;
        k->version = v[i]->version;
        k->n = j - i;
        k->members = xmalloc(k->n * sizeof *k->members);
        if (!k->members) goto fail;
        memcpy(k->members, v + i, k->n * sizeof *k->members);
        k->stores = count_stores(k->members, k->n);
    }
    free(v);
    if (nc) qsort(c, nc, sizeof c[0], cmp_cluster_size);
    *out = c;
    *n = nc;
    return 0;
fail:
    free(v);
    report_clusters_free(c, nc);
    return -1;
}

void report_clusters_free(struct report_cluster *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        free(c[i].members);
    free(c);
}

int report_finish(struct report *r, struct err *e)
{
    int rc;
    if (r->keep_rows) r->nshared = report_mark_shared(r);
    if (r->o.clusters)
        rc = r->ops->clusters(r, e); /* report_new refused a format without */
    else
        rc = r->ops->finish ? r->ops->finish(r, e) : 0;
    if (rc < 0) return -1;
    if (fflush(r->fp) != 0 || ferror(r->fp)) return err_set(e, "write error on the output");
    return 0;
}

void report_free(struct report *r)
{
    if (!r) return;
    arena_free(&r->arena);
    free(r->rows);
    free(r->certs);
    free(r->points);
    if (r->sarif_results) fclose(r->sarif_results);
    for (size_t i = 0; i < r->nrule_extra; i++)
        free(r->rule_extra[i]);
    free(r->rule_extra);
    free(r);
}
