/*
 * report/text.c -- the report a person reads in a terminal.
 *
 * First the summary, because that is what a reader needs before any
 * detail: how many services, how many exposed (kit_auth_exposed), how bad (by
 * severity), where (by service), how much data (the largest open volumes),
 * whose data (personal-data exposures), and what is new since the previous
 * scan of the same targets. Then the findings, critical first, in aligned
 * columns; with --by owner, one section per owner; with --clusters, the
 * groups of identical deployments instead of the findings.
 *
 * Every string printed here came from a server somewhere. The record's
 * setters already replaced control bytes, but the store is a file anyone
 * could have written, so this renderer replaces them again: a product name
 * must never be able to move the cursor or recolour the terminal.
 */
#include "report/report_int.h"
#include "kit/kit.h"

#include <stdlib.h>
#include <string.h>

static const char *sev_color(int s)
{
    switch (s) {
    case SEV_CRITICAL:
        return "\033[1;31m";
    case SEV_HIGH:
        return "\033[31m";
    case SEV_MEDIUM:
        return "\033[33m";
    case SEV_LOW:
        return "\033[36m";
    default:
        return "\033[2m";
    }
}

/* Display width: code points, not bytes (continuation bytes do not count). */
static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) w++;
    return w;
}

/* Print s with control bytes replaced, at most maxw columns ("~" marks a cut), padded to w. */
static void cell(FILE *fp, const char *s, size_t w, size_t maxw, bool right)
{
    char tmp[512];
    size_t o = 0, cols = 0;
    bool cut = false;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < sizeof tmp; p++) {
        bool start = (*p & 0xc0) != 0x80;
        if (start && cols == maxw) {
            cut = true;
            break;
        }
        if (start) cols++;
        size_t bad = start ? utf8_unsafe(p, strnlen((const char *)p, 3)) : 0;
        if (bad) { /* a C1 control or a bidi override: one '?' for the code point */
            tmp[o++] = '?';
            p += bad - 1;
            continue;
        }
        tmp[o++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
    }
    if (cut && o > 0) {
        /* replace the last code point with the cut mark */
        while (o > 0 && ((unsigned char)tmp[o - 1] & 0xc0) == 0x80)
            o--;
        if (o > 0) o--;
        tmp[o++] = '~';
    }
    tmp[o] = 0;
    size_t have = width_of(tmp);
    if (right)
        for (size_t i = have; i < w; i++)
            fputc(' ', fp);
    fputs(tmp, fp);
    if (!right)
        for (size_t i = have; i < w; i++)
            fputc(' ', fp);
}

struct cols {
    size_t sev, addr, svc, prod, auth, rec, bytes, via;
};

#define MAX_PROD 36
#define MAX_VIA  32
#define MAX_SVC  20

static void row_cells(const struct report_row *w, char addr[64], char prod[160], char rec[32],
                      char bytes[32])
{
    str_fmt(addr, 64, strchr(w->ip, ':') ? "[%s]:%u" : "%s:%u", w->ip, w->port);
    str_fmt(prod, 160, "%s%s%s", w->product[0] ? w->product : "-", w->version[0] ? " " : "",
            w->version);
    fmt_digits(w->records, rec, 32);
    fmt_bytes(w->bytes, bytes, 32);
}

static size_t min_sz(size_t a, size_t b)
{
    return a < b ? a : b;
}

static void measure(const struct report_row *v, size_t n, struct cols *c)
{
    *c = (struct cols){strlen("severity"), strlen("address"), strlen("service"), strlen("product"),
                       strlen("auth"),     strlen("records"), strlen("bytes"),   strlen("via")};
    for (size_t i = 0; i < n; i++) {
        char addr[64], prod[160], rec[32], bytes[32];
        row_cells(&v[i], addr, prod, rec, bytes);
#define WIDEN(f, s, m)                                                                             \
    do {                                                                                           \
        size_t x_ = min_sz(width_of(s), m);                                                        \
        if (x_ > c->f) c->f = x_;                                                                  \
    } while (0)
        WIDEN(sev, severity_name(v[i].severity), 16);
        WIDEN(addr, addr, 64);
        WIDEN(svc, v[i].service, MAX_SVC);
        WIDEN(prod, prod, MAX_PROD);
        WIDEN(auth, auth_name(v[i].auth), 16);
        WIDEN(rec, rec, 32);
        WIDEN(bytes, bytes, 32);
        WIDEN(via, v[i].via[0] ? v[i].via : "-", MAX_VIA);
#undef WIDEN
    }
}

static void print_header(FILE *fp, const struct cols *c)
{
    fputs("  ", fp);
    cell(fp, "severity", c->sev + 2, 99, false);
    cell(fp, "address", c->addr + 2, 99, false);
    cell(fp, "service", c->svc + 2, 99, false);
    cell(fp, "product", c->prod + 2, 99, false);
    cell(fp, "auth", c->auth + 2, 99, false);
    cell(fp, "records", c->rec, 99, true);
    fputs("  ", fp);
    cell(fp, "bytes", c->bytes, 99, true);
    fputs("  ", fp);
    cell(fp, "via", c->via + 2, 99, false);
    fputs("signals\n", fp);
}

static void print_row(const struct report *r, const struct report_row *w, const struct cols *c)
{
    FILE *fp = r->fp;
    char addr[64], prod[160], rec[32], bytes[32];
    row_cells(w, addr, prod, rec, bytes);
    fputs("  ", fp);
    if (r->o.color) fputs(sev_color(w->severity), fp);
    cell(fp, severity_name(w->severity), c->sev, 16, false);
    if (r->o.color) fputs("\033[0m", fp);
    fputs("  ", fp);
    cell(fp, addr, c->addr + 2, 64, false);
    cell(fp, w->service, c->svc + 2, MAX_SVC, false);
    cell(fp, prod, c->prod + 2, MAX_PROD, false);
    cell(fp, auth_name(w->auth), c->auth + 2, 16, false);
    cell(fp, rec, c->rec, 32, true);
    fputs("  ", fp);
    cell(fp, bytes, c->bytes, 32, true);
    fputs("  ", fp);
    cell(fp, w->via[0] ? w->via : "-", c->via + 2, MAX_VIA, false);
    cell(fp, w->signals[0] ? w->signals : "-", 0, 200, false);
    fputc('\n', fp);
}

static void heading(const struct report *r, const char *s)
{
    if (r->o.color)
        fprintf(r->fp, "\n\033[1m%s\033[0m\n", s);
    else
        fprintf(r->fp, "\n%s\n", s);
}

/* Findings of rows [a, b) grouped by severity, critical first (the rows are sorted). */
static void print_findings(const struct report *r, const struct report_row *v, size_t n)
{
    struct cols c;
    measure(v, n, &c);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && v[j].severity == v[i].severity; j++)
            ;
        char h[64], upper[16];
        str_copy(upper, severity_name(v[i].severity), sizeof upper);
        for (char *p = upper; *p; p++)
            if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
        str_fmt(h, sizeof h, "%s (%zu)", upper, j - i);
        if (r->o.color) fputs(sev_color(v[i].severity), r->fp);
        fprintf(r->fp, "\n%s\n", h);
        if (r->o.color) fputs("\033[0m", r->fp);
        print_header(r->fp, &c);
        for (size_t k = i; k < j; k++)
            print_row(r, &v[k], &c);
    }
}

struct svc_count {
    const char *service;
    size_t n, open;
    size_t by_sev[6];
};

static int cmp_svc(const void *a, const void *b)
{
    const struct svc_count *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return strcmp(x->service, y->service);
}

static int cmp_row_records(const void *a, const void *b)
{
    const struct report_row *x = *(const struct report_row *const *)a,
                            *y = *(const struct report_row *const *)b;
    if (x->records != y->records) return x->records < y->records ? 1 : -1;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return strcmp(x->ip, y->ip);
}

/* The rows matching pred, largest volume first (at most max). */
static size_t top_rows(const struct report *r, const struct report_row **out, size_t max,
                       bool (*pred)(const struct report_row *))
{
    size_t n = 0;
    for (size_t i = 0; i < r->nrows; i++)
        if (pred(&r->rows[i])) out[n++] = &r->rows[i];
    if (n) qsort(out, n, sizeof out[0], cmp_row_records);
    return n < max ? n : max;
}

/* Each data store once: a row whose store is counted at another is not a volume of its own. */
static bool is_open_volume(const struct report_row *w)
{
    return report_row_exposed(w) && !w->shared && (w->records > 0 || w->bytes > 0);
}

static bool is_pii(const struct report_row *w)
{
    return w->pii[0] != 0;
}

/* The text report's summary block: one line per fact, in the order docs/report.md gives them.
 * Long: about 130 lines of sequential printing with nothing to factor out but the lines. */
static int summary(struct report *r, struct err *e)
{
    FILE *fp = r->fp;
    size_t open = 0, by_sev[6] = {0}, nnew = 0, npii = 0;
    int64_t open_records = 0, open_bytes = 0;
    struct svc_count *sv = NULL;
    const struct report_row **top = NULL;
    size_t nsv = 0;
    int rc = -1;
    if (r->nrows) {
        sv = xcalloc(r->nrows, sizeof *sv);
        top = xmalloc(r->nrows * sizeof *top);
        if (!sv || !top) {
            err_set(e, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < r->nrows; i++) {
        const struct report_row *w = &r->rows[i];
        bool exposed = report_row_exposed(w);
        open += exposed;
        if (exposed) report_row_count(w, &open_records, &open_bytes);
        by_sev[w->severity < 6 ? w->severity : 0]++;
        if (w->pii[0]) npii++;
        if (r->have_scan &&
            kit_new_in_scan(w->first_scan, w->first_seen, r->scan.group, r->scan.start))
            nnew++;
        size_t k;
        for (k = 0; k < nsv; k++)
            if (!strcmp(sv[k].service, w->service)) break;
        if (k == nsv) sv[nsv++].service = w->service;
        sv[k].n++;
        sv[k].open += exposed;
        sv[k].by_sev[w->severity < 6 ? w->severity : 0]++;
    }
    if (nsv) qsort(sv, nsv, sizeof sv[0], cmp_svc);

    heading(r, "Summary");
    char a[32], b[32];
    fprintf(fp, "  services found       %zu\n", r->nrows);
    fmt_digits(open_records, a, sizeof a);
    fmt_bytes(open_bytes, b, sizeof b);
    fprintf(fp, "  exposed              %zu  (%s records, %s readable without credentials%s)\n",
            open, a, b, r->nshared ? "; each data store once" : "");
    if (r->nshared)
        fprintf(fp,
                "%23s%zu finding%s reach%s a store counted at another finding: another node of"
                " its cluster, or the same store through a console\n",
                "", r->nshared, r->nshared == 1 ? "" : "s", r->nshared == 1 ? "es" : "");
    fprintf(fp, "  by severity          critical %zu  high %zu  medium %zu  low %zu  info %zu",
            by_sev[SEV_CRITICAL], by_sev[SEV_HIGH], by_sev[SEV_MEDIUM], by_sev[SEV_LOW],
            by_sev[SEV_INFO]);
    if (by_sev[SEV_NONE]) fprintf(fp, "  none %zu", by_sev[SEV_NONE]);
    fputc('\n', fp);
    fprintf(fp, "  personal data        %zu finding%s with a personal-data-schema signal\n", npii,
            npii == 1 ? "" : "s");
    if (r->have_scan && r->scan.start) {
        if (r->scan.prev_id) {
            char t[32];
            time_fmt_utc(r->scan.prev_start, t, sizeof t);
            fprintf(fp, "  new since previous   %zu  (previous scan #%lld of this scope, %s)\n",
                    nnew, (long long)r->scan.prev_id, t);
        } else {
            fprintf(fp, "  new since previous   %zu  (first scan of this scope)\n", nnew);
        }
    }

    if (nsv) {
        heading(r, "By service");
        size_t wsvc = strlen("service");
        for (size_t k = 0; k < nsv; k++)
            if (min_sz(width_of(sv[k].service), MAX_SVC) > wsvc)
                wsvc = min_sz(width_of(sv[k].service), MAX_SVC);
        fputs("  ", fp);
        cell(fp, "service", wsvc + 2, 99, false);
        fputs("  found  exposed  critical  high  medium  low  info\n", fp);
        for (size_t k = 0; k < nsv; k++) {
            fputs("  ", fp);
            cell(fp, sv[k].service, wsvc + 2, MAX_SVC, false);
            fprintf(fp, "%7zu  %7zu  %8zu  %4zu  %6zu  %3zu  %4zu\n", sv[k].n, sv[k].open,
                    sv[k].by_sev[SEV_CRITICAL], sv[k].by_sev[SEV_HIGH], sv[k].by_sev[SEV_MEDIUM],
                    sv[k].by_sev[SEV_LOW], sv[k].by_sev[SEV_INFO]);
        }
    }

    size_t nt = top_rows(r, top, 10, is_open_volume);
    if (nt) {
        heading(r, "Largest exposed volumes");
        for (size_t i = 0; i < nt; i++) {
            char addr[64], prod[160], rec[32], by[32];
            row_cells(top[i], addr, prod, rec, by);
            fputs("  ", fp);
            cell(fp, rec, 15, 32, true);
            cell(fp, " records  ", 0, 99, false);
            cell(fp, by, 10, 32, true);
            fputs("  ", fp);
            cell(fp, addr, 24, 64, false);
            cell(fp, top[i]->service, 16, MAX_SVC, false);
            if (top[i]->also)
                fprintf(fp, "(+%u more finding%s) ", top[i]->also, top[i]->also == 1 ? "" : "s");
            cell(fp, top[i]->names[0] ? top[i]->names : "", 0, 80, false);
            fputc('\n', fp);
        }
    }

    nt = top_rows(r, top, 20, is_pii);
    if (nt) {
        heading(r, "Personal-data exposures");
        for (size_t i = 0; i < nt; i++) {
            char addr[64], prod[160], rec[32], by[32];
            row_cells(top[i], addr, prod, rec, by);
            fputs("  ", fp);
            if (r->o.color) fputs(sev_color(top[i]->severity), fp);
            cell(fp, severity_name(top[i]->severity), 10, 16, false);
            if (r->o.color) fputs("\033[0m", fp);
            cell(fp, addr, 24, 64, false);
            cell(fp, top[i]->service, 16, MAX_SVC, false);
            cell(fp, auth_name(top[i]->auth), 10, 16, false);
            cell(fp, rec, 15, 32, true);
            fputs(" records  ", fp);
            cell(fp, top[i]->pii, 0, 160, false);
            fputc('\n', fp);
        }
        if (npii > nt) fprintf(fp, "  ... and %zu more\n", npii - nt);
    }
    rc = 0;
out:
    free(sv);
    free(top);
    return rc;
}

/* One line per owner: findings, exposed, critical, exposed records, personal-data records. */
static void owner_totals(struct report *r)
{
    const char *by = report_by_name(r->o.by);
    char h[64];
    str_fmt(h, sizeof h, r->o.personal_only ? "Total per %s" : "By %s", by);
    heading(r, h);
    size_t wo = strlen(by);
    for (size_t i = 0; i < r->nrows; i++)
        if (min_sz(width_of(r->rows[i].owner), 40) > wo)
            wo = min_sz(width_of(r->rows[i].owner), 40);
    fputs("  ", r->fp);
    cell(r->fp, by, wo + 2, 99, false);
    fputs("findings  exposed  critical          records  personal-data records\n", r->fp);
    for (size_t i = 0, j; i < r->nrows; i = j) {
        struct report_owner_totals t;
        j = report_owner_totals(r, i, &t);
        char a[32], b[32];
        fmt_digits(t.rec, a, sizeof a);
        fmt_digits(t.prec, b, sizeof b);
        fputs("  ", r->fp);
        cell(r->fp, r->rows[i].owner, wo + 2, 40, false);
        fprintf(r->fp, "%8zu  %7zu  %8zu  ", t.n, t.open, t.crit);
        cell(r->fp, a, 15, 32, true);
        fputs("  ", r->fp);
        cell(r->fp, b, 21, 32, true);
        fputc('\n', r->fp);
    }
}

static int clusters(struct report *r, struct err *e)
{
    struct report_cluster *c;
    size_t n;
    if (report_clusters(r, &c, &n) < 0) return err_set(e, "out of memory");
    heading(r, "Clusters of identical deployments");
    if (!n) fputs("  none (no two findings share a configuration fingerprint)\n", r->fp);
    for (size_t i = 0; i < n; i++) {
        char prod[160];
        str_fmt(prod, sizeof prod, "%s%s%s", c[i].product[0] ? c[i].product : "-",
                c[i].version[0] ? " " : "", c[i].version);
        fputs("  ", r->fp);
        cell(r->fp, c[i].id, 14, 24, false);
        fprintf(r->fp, "%5zu members  ", c[i].n);
        cell(r->fp, prod, 0, 60, false);
        if (c[i].stores < c[i].n)
            fprintf(r->fp, "  (%zu data store%s: the same store at several members)", c[i].stores,
                    c[i].stores == 1 ? "" : "s");
        char spread[240];
        report_cluster_spread(&c[i], spread, sizeof spread);
        if (spread[0]) {
            fputs("\n    ", r->fp);
            cell(r->fp, spread, 0, 240, false);
        }
        fputs("\n    ", r->fp);
        for (size_t k = 0; k < c[i].n; k++) {
            char hp[64];
            const struct report_row *w = c[i].members[k];
            str_fmt(hp, sizeof hp, strchr(w->ip, ':') ? "[%s]:%u" : "%s:%u", w->ip, w->port);
            if (k && k % 4 == 0) fputs("\n    ", r->fp);
            cell(r->fp, hp, 26, 64, false);
        }
        fputc('\n', r->fp);
    }
    report_clusters_free(c, n);
    return 0;
}

static int report_text(struct report *r, struct err *e)
{
    FILE *fp = r->fp;
    report_sort_rows(r);
    if (r->o.color) fputs("\033[1m", fp);
    fputs("ajar report", fp);
    if (r->have_scan && r->scan.id) {
        char t0[32] = "", t1[32] = "";
        time_fmt_utc(r->scan.start, t0, sizeof t0);
        if (r->scan.end) time_fmt_utc(r->scan.end, t1, sizeof t1);
        fprintf(fp, " -- scan #%lld, %s .. %s", (long long)r->scan.id, t0,
                r->scan.end ? t1 : "(unfinished)");
    }
    if (r->o.color) fputs("\033[0m", fp);
    fputc('\n', fp);
    if (r->have_scan && r->scan.coverage[0]) {
        fputs("  coverage: ", fp);
        cell(fp, r->scan.coverage, 0, 200, false);
        fputc('\n', fp);
        if (r->scan.incomplete)
            fputs("  INCOMPLETE: only what this scan reached is listed; services it did not reach "
                  "keep their last sighting (ajar history)\n",
                  fp);
        if (r->scan.note[0]) {
            fputs("  note: ", fp);
            cell(fp, r->scan.note, 0, 240, false);
            fputc('\n', fp);
        }
    }
    if (r->have_scan && r->scan.where[0]) {
        fputs("  store: ", fp);
        cell(fp, r->scan.where, 0, 200, false);
        fputc('\n', fp);
    }
    if (r->have_scan && r->scan.args[0]) {
        fputs("  command: ", fp);
        cell(fp, r->scan.args, 0, 200, false);
        fputc('\n', fp);
    }
    if (r->o.min_severity != SEV_NONE || r->o.service || r->o.personal_only) {
        fputs("  filter:", fp);
        if (r->o.min_severity != SEV_NONE)
            fprintf(fp, " severity >= %s", severity_name(r->o.min_severity));
        if (r->o.service) {
            fputs(" service = ", fp);
            cell(fp, r->o.service, 0, 40, false);
        }
        if (r->o.personal_only) {
            char n[32];
            fmt_digits((int64_t)r->o.personal_over, n, sizeof n);
            fprintf(fp, " personal data with >= %s records", n);
        }
        fputc('\n', fp);
    }
    if (summary(r, e) < 0) return -1;
    if (report_grouped(r)) owner_totals(r);
    if (r->o.clusters) return clusters(r, e);
    if (!r->nrows) {
        heading(r, "Findings");
        fputs("  none\n", fp);
        return 0;
    }
    if (!report_grouped(r)) {
        heading(r, "Findings");
        print_findings(r, r->rows, r->nrows);
        return 0;
    }
    for (size_t i = 0, j; i < r->nrows; i = j) {
        for (j = i + 1; j < r->nrows && !strcmp(r->rows[j].owner, r->rows[i].owner); j++)
            ;
        char h[128];
        static const char *const label[] = {"", "Owner", "Provider", "ASN", "Country"};
        str_fmt(h, sizeof h, "%s: %s (%zu finding%s)",
                (size_t)r->o.by < ARRAY_LEN(label) ? label[r->o.by] : "Group", r->rows[i].owner,
                j - i, j - i == 1 ? "" : "s");
        char clean[128];
        str_sanitize(clean, sizeof clean, h, strlen(h), false);
        heading(r, clean);
        print_findings(r, r->rows + i, j - i);
    }
    return 0;
}

/* The text report renders at the end, --clusters included. */
const struct report_format_ops report_ops_text = {"text", true,        false,      NULL,
                                                  NULL,   report_text, report_text};
