/*
 * report/html.c -- one self-contained HTML file: a summary, charts drawn
 * here as inline SVG, and sortable tables.
 *
 * Self-contained is a rule, not a preference: the file is opened on an
 * analyst's machine, often offline, and it must not tell anyone that it
 * was opened -- no scripts, styles, fonts or images from elsewhere, no
 * links that load by themselves. So the charts are plain SVG elements
 * drawn by the kit in its inline style (kit/chart.h, KIT_CHART_INLINE:
 * bars are rects, lines are polylines, tooltips are <title>, colours are
 * attributes), the style sheet is inline, fonts are the system's, and the
 * only script is a few lines that sort a table when its heading is
 * clicked. Without the script the tables are still there, already sorted
 * by severity.
 *
 * Every string that comes from the store went through a hostile server
 * first (an index can be named "<script>..."), so every one is written
 * through esc(), which escapes the five HTML metacharacters and replaces
 * control bytes, in element text and attribute values alike.
 *
 * Charts: exposures by service and severity (stacked bars), exposed
 * volume by service (records and bytes), open services over time across
 * the scans of the same scope (a line per severity, fed by the caller with
 * report_add_point), certificate expiry (one row per certificate, expired
 * ones red, a line at the scan time), clusters of identical deployments
 * (members per cluster, then a table of members). Tables: by owner (with
 * --by owner), personal-data exposures, certificates, findings (at most
 * HTML_MAX_ROWS, the rest is in the machine formats).
 */
#include "report/report_int.h"
#include "kit/kit.h"
#include "kit/chart.h"

#include <stdlib.h>
#include <string.h>

#define HTML_MAX_ROWS   5000
#define HTML_MAX_BARS   15
#define HTML_MAX_CERTS  40
#define HTML_MAX_MEMBER 50

/* Write s HTML-escaped (the kit's escaper), at most max bytes of it. */
static void esc_n(FILE *fp, const char *s, size_t max)
{
    kit_html_fp(fp, s, max);
}

static void esc(FILE *fp, const char *s)
{
    esc_n(fp, s, 4096);
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "margin:0;background:#f4f5f7;color:#1d2330;font-size:14px}"
    "header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}"
    "header p{margin:4px 0 0;color:#c9cfdb;font-size:13px;word-break:break-all}"
    "header p.incomplete{color:#1d2330;background:#ffd166;padding:4px 8px;border-radius:4px}"
    "main{padding:8px 28px 40px;max-width:1400px}"
    "section{background:#fff;border-radius:6px;padding:14px 18px;margin:16px 0;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "h2{font-size:16px;margin:0 0 10px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;background:none;box-shadow:none;padding:0}"
    ".card{background:#fff;border-radius:6px;padding:12px 16px;min-width:140px;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    ".card b{display:block;font-size:24px}.card span{color:#5a6375;font-size:12px}"
    "svg{width:100%;max-width:1000px;height:auto;display:block}"
    "svg text{font-size:12px;fill:#1d2330}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e6ec;vertical-align:top}"
    "th{background:#eef0f4;cursor:pointer;user-select:none;white-space:nowrap}"
    "th[aria-sort=ascending]::after{content:' \\25B2'}"
    "th[aria-sort=descending]::after{content:' \\25BC'}"
    "td.n{text-align:right;white-space:nowrap}td.w{word-break:break-all}"
    ".sev{font-weight:600;white-space:nowrap}.s5{color:#b3001b}.s4{color:#e4572e}"
    ".s3{color:#b07800}.s2{color:#3c91e6}.s1,.s0{color:#5a6375}"
    ".note{color:#5a6375;font-size:12px}.legend span{display:inline-block;margin-right:14px}"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px}";

/* Sorts a table by the clicked column: numbers from data-v, else the cell's text. */
static const char script[] =
    "(function(){function k(c){var v=c.getAttribute('data-v');"
    "return v===null?c.textContent.toLowerCase():parseFloat(v);}"
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "var hs=t.tHead.rows[0].cells;Array.prototype.forEach.call(hs,function(h,i){"
    "h.title='click to sort';h.addEventListener('click',function(){"
    "var b=t.tBodies[0],rs=Array.prototype.slice.call(b.rows),"
    "d=h.getAttribute('aria-sort')==='ascending'?-1:1;"
    "Array.prototype.forEach.call(hs,function(x){x.removeAttribute('aria-sort');});"
    "h.setAttribute('aria-sort',d>0?'ascending':'descending');"
    "rs.sort(function(x,y){var a=k(x.cells[i]),c=k(y.cells[i]);return(a<c?-1:a>c?1:0)*d;});"
    "rs.forEach(function(r){b.appendChild(r);});});});});})();";

/* Write what the kit drew into b to the report, and free it. A chart is a few kilobytes: one
 * cut at the cap would show as a broken chart, not as a crash. */
static void put(FILE *fp, struct buf *b)
{
    if (b->len) fwrite(b->data, 1, b->len, fp);
    buf_free(b);
}

#define CHART_CAP (4u << 20)

static void legend(FILE *fp)
{
    struct buf b;
    buf_init(&b, CHART_CAP);
    kit_chart_legend(&b, KIT_CHART_INLINE, false);
    put(fp, &b);
}

/* ---- per-service aggregation ---- */

struct svc_agg {
    const char *service;
    size_t n, by_sev[6];
    int64_t records, bytes; /* exposed only */
};

static int cmp_svc_n(const void *a, const void *b)
{
    const struct svc_agg *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return strcmp(x->service, y->service);
}

static int cmp_svc_vol(const void *a, const void *b)
{
    const struct svc_agg *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    if (x->records != y->records) return x->records < y->records ? 1 : -1;
    return strcmp(x->service, y->service);
}

static size_t aggregate(const struct report *r, struct svc_agg *sv)
{
    size_t nsv = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const struct report_row *w = &r->rows[i];
        size_t k;
        for (k = 0; k < nsv; k++)
            if (!strcmp(sv[k].service, w->service)) break;
        if (k == nsv) sv[nsv++].service = w->service;
        sv[k].n++;
        sv[k].by_sev[w->severity < 6 ? w->severity : 0]++;
        if (report_row_exposed(w)) report_row_count(w, &sv[k].records, &sv[k].bytes);
    }
    return nsv;
}

static void chart_by_service(FILE *fp, struct svc_agg *sv, size_t nsv)
{
    fputs("<section><h2>Exposures by service and severity</h2>\n", fp);
    if (!nsv) {
        fputs("<p>No findings.</p></section>\n", fp);
        return;
    }
    legend(fp);
    qsort(sv, nsv, sizeof sv[0], cmp_svc_n);
    size_t n = nsv < HTML_MAX_BARS ? nsv : HTML_MAX_BARS;
    const char *labels[HTML_MAX_BARS];
    int64_t by_sev[HTML_MAX_BARS][6];
    for (size_t i = 0; i < n; i++) {
        labels[i] = sv[i].service;
        for (int s = 0; s < 6; s++)
            by_sev[i][s] = (int64_t)sv[i].by_sev[s];
    }
    struct buf b;
    buf_init(&b, CHART_CAP);
    kit_chart_bars(&b, KIT_CHART_INLINE,
                   &(struct kit_bars){.n = n,
                                      .labels = labels,
                                      .by_sev = (const int64_t(*)[6])by_sev,
                                      .aria = "findings per service"});
    put(fp, &b);
    if (nsv > n) fprintf(fp, "<p class=\"note\">%zu more services not drawn.</p>", nsv - n);
    fputs("</section>\n", fp);
}

static void chart_volume(FILE *fp, struct svc_agg *sv, size_t nsv)
{
    fputs("<section><h2>Exposed volume by service</h2>\n", fp);
    if (nsv) qsort(sv, nsv, sizeof sv[0], cmp_svc_vol); /* qsort(NULL, 0) is undefined */
    struct kit_volume_row rows[HTML_MAX_BARS];
    size_t n = 0;
    for (size_t i = 0; i < nsv && n < HTML_MAX_BARS; i++) {
        if (sv[i].records <= 0 && sv[i].bytes <= 0) break;
        rows[n++] = (struct kit_volume_row){sv[i].service, sv[i].records, sv[i].bytes};
    }
    if (!n) {
        fputs("<p>No data readable without credentials.</p></section>\n", fp);
        return;
    }
    static const int inks[] = {KIT_INK_RECORDS, KIT_INK_BYTES};
    static const char *const names[] = {"records", "bytes"};
    struct buf b;
    buf_init(&b, CHART_CAP);
    kit_chart_legend_items(
        &b, KIT_CHART_INLINE, inks, names, 2,
        "(services with auth none or partial; each bar scaled to its own maximum)");
    kit_chart_volume(&b, KIT_CHART_INLINE, rows, n);
    put(fp, &b);
    fputs("</section>\n", fp);
}

static int cmp_point(const void *a, const void *b)
{
    const struct report_point *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->scan_id < y->scan_id ? -1 : x->scan_id > y->scan_id;
}

static int chart_history(struct report *r, struct err *e)
{
    FILE *fp = r->fp;
    fputs("<section><h2>Open services over time</h2>\n", fp);
    size_t n = r->npoints;
    if (!n) {
        fputs("<p>No history: the report was not given the scope's earlier scans.</p>"
              "</section>\n",
              fp);
        return 0;
    }
    qsort(r->points, n, sizeof r->points[0], cmp_point);
    fprintf(fp,
            "<p class=\"note\">Findings per severity in each of the last %zu scan%s of this "
            "scope (the report's filters applied).</p>\n",
            n, n == 1 ? "" : "s");
    legend(fp);
    time_t *t = xcalloc(n, sizeof *t);
    int64_t *ids = xcalloc(n, sizeof *ids);
    int64_t(*by_sev)[6] = xcalloc(n, sizeof *by_sev);
    if (!t || !ids || !by_sev) {
        free(t), free(ids), free(by_sev);
        return err_set(e, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        t[i] = r->points[i].t;
        ids[i] = r->points[i].scan_id;
        memcpy(by_sev[i], r->points[i].by_sev, sizeof by_sev[i]);
    }
    struct buf b;
    buf_init(&b, CHART_CAP);
    kit_chart_trend(&b, KIT_CHART_INLINE, t, ids, (const int64_t(*)[6])by_sev, n);
    put(fp, &b);
    free(t), free(ids), free(by_sev);
    fputs("</section>\n", fp);
    return 0;
}

static int cmp_cert(const void *a, const void *b)
{
    const struct report_cert *x = a, *y = b;
    if (x->not_after != y->not_after) return x->not_after < y->not_after ? -1 : 1;
    return strcmp(x->sha256, y->sha256);
}

static time_t scan_time(const struct report *r)
{
    if (r->have_scan && r->scan.start) return r->scan.start;
    time_t t = 0;
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].time > t) t = r->rows[i].time;
    return t ? t : now_wall();
}

/* Certificates: merge repeats (add_cert only looks back a little), sort by expiry. */
static void certs_merge(struct report *r)
{
    if (!r->ncerts) return;
    qsort(r->certs, r->ncerts, sizeof r->certs[0], cmp_cert);
    size_t o = 0;
    for (size_t i = 0; i < r->ncerts; i++) {
        if (o && !strcmp(r->certs[o - 1].sha256, r->certs[i].sha256)) {
            r->certs[o - 1].hosts += r->certs[i].hosts;
            continue;
        }
        r->certs[o++] = r->certs[i];
    }
    r->ncerts = o;
}

static void chart_certs(struct report *r)
{
    FILE *fp = r->fp;
    fputs("<section><h2>Certificate expiry</h2>\n", fp);
    if (!r->ncerts) {
        fputs("<p>No TLS certificates among these findings.</p></section>\n", fp);
        return;
    }
    time_t now = scan_time(r);
    size_t n = r->ncerts < HTML_MAX_CERTS ? r->ncerts : HTML_MAX_CERTS;
    struct kit_cert_row rows[HTML_MAX_CERTS];
    for (size_t i = 0; i < n; i++) {
        const struct report_cert *c = &r->certs[i];
        rows[i] = (struct kit_cert_row){c->cn, c->sha256, c->not_after, c->expired, c->hosts};
    }
    static const int inks[] = {KIT_INK_EXPIRED, KIT_INK_VALID, KIT_INK_TOTAL};
    static const char *const names[] = {"expired at scan time", "valid", "scan time"};
    struct buf b;
    buf_init(&b, CHART_CAP);
    kit_chart_legend_items(&b, KIT_CHART_INLINE, inks, names, 3, NULL);
    kit_chart_certs(&b, KIT_CHART_INLINE, rows, n, now);
    put(fp, &b);
    if (r->ncerts > n)
        fprintf(fp,
                "<p class=\"note\">The %zu certificates that expire first are drawn; all %zu "
                "are in the table below.</p>",
                n, r->ncerts);
    fputs("</section>\n", fp);
}

static void host_port(const struct report_row *w, char *out, size_t n)
{
    str_fmt(out, n, strchr(w->ip, ':') ? "[%s]:%u" : "%s:%u", w->ip, w->port);
}

static int chart_clusters(struct report *r, struct err *e)
{
    FILE *fp = r->fp;
    struct report_cluster *c;
    size_t n;
    if (report_clusters(r, &c, &n) < 0) return err_set(e, "out of memory");
    fputs("<section><h2>Clusters of identical deployments</h2>\n", fp);
    if (!n) {
        fputs("<p>No two findings share a configuration fingerprint.</p></section>\n", fp);
        report_clusters_free(c, n);
        return 0;
    }
    size_t nb = n < HTML_MAX_BARS ? n : HTML_MAX_BARS;
    struct kit_cluster_row rows[HTML_MAX_BARS];
    for (size_t i = 0; i < nb; i++)
        rows[i] = (struct kit_cluster_row){c[i].id, c[i].product, c[i].version, (int64_t)c[i].n,
                                           (int64_t)c[i].stores};
    struct buf b;
    buf_init(&b, CHART_CAP);
    kit_chart_clusters(&b, KIT_CHART_INLINE, rows, nb);
    put(fp, &b);
    fputs("\n<table class=\"sortable\"><thead><tr><th>cluster</th><th>members</th>"
          "<th>product</th><th>version</th><th>spread</th><th>hosts</th></tr></thead><tbody>\n",
          fp);
    for (size_t i = 0; i < n; i++) {
        char spread[240];
        report_cluster_spread(&c[i], spread, sizeof spread);
        fputs("<tr><td>", fp);
        esc(fp, c[i].id);
        fprintf(fp, "</td><td class=\"n\" data-v=\"%zu\">%zu</td><td>", c[i].n, c[i].n);
        esc(fp, c[i].product);
        fputs("</td><td>", fp);
        esc(fp, c[i].version);
        fputs("</td><td>", fp);
        esc(fp, spread);
        fputs("</td><td class=\"w\">", fp);
        for (size_t k = 0; k < c[i].n && k < HTML_MAX_MEMBER; k++) {
            char hp[64];
            host_port(c[i].members[k], hp, sizeof hp);
            if (k) fputs(", ", fp);
            esc(fp, hp);
        }
        if (c[i].n > HTML_MAX_MEMBER)
            fprintf(fp, " \xe2\x80\xa6 and %zu more", c[i].n - HTML_MAX_MEMBER);
        fputs("</td></tr>\n", fp);
    }
    fputs("</tbody></table></section>\n", fp);
    report_clusters_free(c, n);
    return 0;
}

static void td_num(FILE *fp, int64_t v, bool bytes)
{
    char s[32];
    if (bytes)
        fmt_bytes(v, s, sizeof s);
    else
        fmt_digits(v, s, sizeof s);
    fprintf(fp, "<td class=\"n\" data-v=\"%lld\">%s</td>", (long long)v, s);
}

static void td_sev(FILE *fp, int s)
{
    fprintf(fp, "<td class=\"sev s%d\" data-v=\"%d\">%s</td>", s, s,
            severity_name((enum severity)s));
}

static void owners_table(struct report *r)
{
    FILE *fp = r->fp;
    const char *by = report_by_name(r->o.by);
    fprintf(fp, "<section><h2>By %s</h2><table class=\"sortable\"><thead><tr><th>%s</th>", by, by);
    fputs("<th>findings</th><th>exposed</th><th>critical</th><th>records</th>"
          "<th>personal-data records</th></tr></thead><tbody>\n",
          fp);
    for (size_t i = 0, j; i < r->nrows; i = j) {
        struct report_owner_totals t;
        j = report_owner_totals(r, i, &t);
        fputs("<tr><td>", fp);
        esc(fp, r->rows[i].owner);
        fprintf(fp,
                "</td><td class=\"n\" data-v=\"%zu\">%zu</td><td class=\"n\" data-v=\"%zu\">%zu"
                "</td><td class=\"n\" data-v=\"%zu\">%zu</td>",
                t.n, t.n, t.open, t.open, t.crit, t.crit);
        td_num(fp, t.rec, false);
        td_num(fp, t.prec, false);
        fputs("</tr>\n", fp);
    }
    fputs("</tbody></table></section>\n", fp);
}

static void addr_cell(FILE *fp, const struct report_row *w)
{
    char hp[64];
    host_port(w, hp, sizeof hp);
    fputs("<td>", fp);
    esc(fp, hp);
    fputs("</td>", fp);
}

static void pii_table(struct report *r)
{
    FILE *fp = r->fp;
    size_t n = 0;
    for (size_t i = 0; i < r->nrows; i++)
        n += r->rows[i].pii[0] != 0;
    fprintf(fp, "<section><h2>Personal-data exposures (%zu)</h2>\n", n);
    if (!n) {
        fputs("<p>No finding has a personal-data-schema signal.</p></section>\n", fp);
        return;
    }
    fputs("<table class=\"sortable\"><thead><tr><th>severity</th><th>address</th><th>service</th>"
          "<th>auth</th><th>records</th><th>what looks personal</th></tr></thead><tbody>\n",
          fp);
    size_t shown = 0;
    for (size_t i = 0; i < r->nrows && shown < HTML_MAX_ROWS; i++) {
        const struct report_row *w = &r->rows[i];
        if (!w->pii[0]) continue;
        shown++;
        fputs("<tr>", fp);
        td_sev(fp, w->severity);
        addr_cell(fp, w);
        fputs("<td>", fp);
        esc(fp, w->service);
        fprintf(fp, "</td><td>%s</td>", auth_name(w->auth));
        td_num(fp, w->records, false);
        fputs("<td class=\"w\">", fp);
        esc(fp, w->pii);
        fputs("</td></tr>\n", fp);
    }
    fputs("</tbody></table></section>\n", fp);
}

static void certs_table(struct report *r)
{
    if (!r->ncerts) return;
    FILE *fp = r->fp;
    fputs("<section><h2>Certificates</h2><table class=\"sortable\"><thead><tr><th>subject</th>"
          "<th>SHA-256</th><th>not after</th><th>status</th><th>hosts</th><th>seen at</th>"
          "</tr></thead><tbody>\n",
          fp);
    for (size_t i = 0; i < r->ncerts && i < HTML_MAX_ROWS; i++) {
        const struct report_cert *c = &r->certs[i];
        char t[32] = "";
        if (c->not_after) time_fmt_utc(c->not_after, t, sizeof t);
        fputs("<tr><td class=\"w\">", fp);
        esc(fp, c->cn);
        fputs("</td><td><code>", fp);
        esc_n(fp, c->sha256, 16);
        fprintf(fp, "</code></td><td data-v=\"%lld\">%s</td><td class=\"%s\">%s</td>",
                (long long)c->not_after, t, c->expired ? "sev s5" : "",
                c->expired ? "expired" : "valid");
        fprintf(fp, "<td class=\"n\" data-v=\"%d\">%d</td><td>", c->hosts, c->hosts);
        esc(fp, c->host);
        fputs("</td></tr>\n", fp);
    }
    fputs("</tbody></table></section>\n", fp);
}

static void findings_table(struct report *r)
{
    FILE *fp = r->fp;
    fprintf(fp, "<section><h2>Findings (%zu)</h2>\n", r->nrows);
    if (!r->nrows) {
        fputs("<p>None.</p></section>\n", fp);
        return;
    }
    if (r->nrows > HTML_MAX_ROWS)
        fprintf(fp,
                "<p class=\"note\">The first %d by severity are listed; every finding is in "
                "<code>ajar report --format csv</code> or <code>json</code>.</p>\n",
                HTML_MAX_ROWS);
    fputs("<table class=\"sortable\"><thead><tr>", fp);
    bool where = false;
    for (size_t i = 0; i < r->nrows && i < HTML_MAX_ROWS && !where; i++)
        where = r->rows[i].provider[0] || r->rows[i].asn || r->rows[i].country[0];
    if (report_grouped(r)) fprintf(fp, "<th>%s</th>", report_by_name(r->o.by));
    fputs("<th>severity</th><th>address</th><th>service</th><th>product</th><th>version</th>"
          "<th>auth</th><th>records</th><th>bytes</th><th>via</th><th>signals</th>"
          "<th>names</th><th>first seen</th>",
          fp);
    if (where) fputs("<th>network</th>", fp);
    fputs("</tr></thead><tbody>\n", fp);
    for (size_t i = 0; i < r->nrows && i < HTML_MAX_ROWS; i++) {
        const struct report_row *w = &r->rows[i];
        fputs("<tr>", fp);
        if (report_grouped(r)) {
            fputs("<td>", fp);
            esc(fp, w->owner);
            fputs("</td>", fp);
        }
        td_sev(fp, w->severity);
        addr_cell(fp, w);
        fputs("<td>", fp);
        esc(fp, w->service);
        fputs("</td><td>", fp);
        esc(fp, w->product);
        fputs("</td><td>", fp);
        esc(fp, w->version);
        fprintf(fp, "</td><td>%s</td>", auth_name(w->auth));
        td_num(fp, w->records, false);
        td_num(fp, w->bytes, true);
        fputs("<td>", fp);
        esc(fp, w->via);
        fputs("</td><td>", fp);
        esc(fp, w->signals);
        fputs("</td><td class=\"w\">", fp);
        esc(fp, w->names);
        char t[32] = "";
        if (w->first_seen) time_fmt_utc(w->first_seen, t, sizeof t);
        fprintf(fp, "</td><td data-v=\"%lld\">%s</td>", (long long)w->first_seen, t);
        if (where) {
            char wh[300];
            report_row_where(w, wh, sizeof wh);
            fputs("<td>", fp);
            esc(fp, wh);
            if (w->asn && w->org[0]) {
                fputs("<br><small>", fp);
                esc_n(fp, w->org, 60);
                fputs("</small>", fp);
            }
            fputs("</td>", fp);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</tbody></table></section>\n", fp);
}

static void cards(struct report *r)
{
    FILE *fp = r->fp;
    size_t open = 0, by_sev[6] = {0}, npii = 0, nnew = 0;
    int64_t bytes = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        const struct report_row *w = &r->rows[i];
        open += report_row_exposed(w);
        by_sev[w->severity < 6 ? w->severity : 0]++;
        npii += w->pii[0] != 0;
        if (report_row_exposed(w)) report_row_count(w, NULL, &bytes);
        if (r->have_scan &&
            kit_new_in_scan(w->first_scan, w->first_seen, r->scan.group, r->scan.start))
            nnew++;
    }
    char b[32];
    fmt_bytes(bytes, b, sizeof b);
    fprintf(fp,
            "<section class=\"cards\">"
            "<div class=\"card\"><b>%zu</b><span>services found</span></div>"
            "<div class=\"card\"><b>%zu</b><span>exposed (auth none or partial)</span></div>"
            "<div class=\"card\"><b class=\"s5\">%zu</b><span>critical</span></div>"
            "<div class=\"card\"><b class=\"s4\">%zu</b><span>high</span></div>"
            "<div class=\"card\"><b class=\"s3\">%zu</b><span>medium</span></div>"
            "<div class=\"card\"><b>%zu</b><span>low / info</span></div>"
            "<div class=\"card\"><b>%zu</b><span>personal-data exposures</span></div>"
            "<div class=\"card\"><b>%s</b><span>readable without credentials</span></div>",
            r->nrows, open, by_sev[SEV_CRITICAL], by_sev[SEV_HIGH], by_sev[SEV_MEDIUM],
            by_sev[SEV_LOW] + by_sev[SEV_INFO], npii, b);
    if (r->nshared)
        fprintf(fp,
                "<div class=\"card\"><b>%zu</b><span>reach a data store counted at another "
                "finding</span></div>",
                r->nshared);
    if (r->have_scan && r->scan.start)
        fprintf(fp, "<div class=\"card\"><b>%zu</b><span>new since %s</span></div>", nnew,
                r->scan.prev_id ? "the previous scan" : "(first scan of this scope)");
    fputs("</section>\n", fp);
}

static int report_html(struct report *r, struct err *e)
{
    FILE *fp = r->fp;
    report_sort_rows(r);
    certs_merge(r);
    struct svc_agg *sv = NULL;
    if (r->nrows && !(sv = xcalloc(r->nrows, sizeof *sv))) return err_set(e, "out of memory");
    size_t nsv = aggregate(r, sv);

    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
          "<meta name=\"referrer\" content=\"no-referrer\">\n<title>ajar report",
          fp);
    if (r->have_scan && r->scan.id) fprintf(fp, " \xe2\x80\x94 scan #%lld", (long long)r->scan.id);
    fprintf(fp, "</title>\n<style>%s</style></head><body>\n<header><h1>ajar report", style);
    if (r->have_scan && r->scan.id) fprintf(fp, " \xe2\x80\x94 scan #%lld", (long long)r->scan.id);
    fputs("</h1>", fp);
    if (r->have_scan) {
        char t0[32] = "", t1[32] = "";
        if (r->scan.start) time_fmt_utc(r->scan.start, t0, sizeof t0);
        if (r->scan.end) time_fmt_utc(r->scan.end, t1, sizeof t1);
        fprintf(fp, "<p>%s \xe2\x80\x93 %s", t0, r->scan.end ? t1 : "(unfinished)");
        if (r->scan.where[0]) {
            fputs(" \xc2\xb7 store ", fp);
            esc(fp, r->scan.where);
        }
        fputs("</p>", fp);
        if (r->scan.coverage[0]) {
            fputs(r->scan.incomplete ? "<p class=\"incomplete\"><strong>Incomplete:</strong> "
                                     : "<p>",
                  fp);
            esc(fp, r->scan.coverage);
            if (r->scan.incomplete)
                fputs(". Only what this scan reached is listed; services it did not reach keep "
                      "their last sighting.",
                      fp);
            fputs("</p>", fp);
        }
        if (r->scan.note[0]) {
            fputs("<p>Note: ", fp);
            esc(fp, r->scan.note);
            fputs("</p>", fp);
        }
        if (r->scan.args[0]) {
            fputs("<p>", fp);
            esc(fp, r->scan.args);
            fputs("</p>", fp);
        }
    }
    if (r->o.min_severity != SEV_NONE || r->o.service || r->o.personal_only) {
        fputs("<p>filter:", fp);
        if (r->o.min_severity != SEV_NONE)
            fprintf(fp, " severity &ge; %s", severity_name(r->o.min_severity));
        if (r->o.service) {
            fputs(" \xc2\xb7 service ", fp);
            esc(fp, r->o.service);
        }
        if (r->o.personal_only)
            fprintf(fp, " \xc2\xb7 personal data with at least %llu records",
                    (unsigned long long)r->o.personal_over);
        fputs("</p>", fp);
    }
    fputs("</header>\n<main>\n", fp);
    cards(r);
    chart_by_service(fp, sv, nsv);
    chart_volume(fp, sv, nsv);
    int rc = chart_history(r, e);
    if (rc == 0) {
        chart_certs(r);
        rc = chart_clusters(r, e);
    }
    if (rc == 0) {
        if (report_grouped(r)) owners_table(r);
        pii_table(r);
        certs_table(r);
        findings_table(r);
        fprintf(fp, "</main>\n<script>%s</script>\n</body></html>\n", script);
    }
    free(sv);
    return rc;
}

/* The html report renders at the end, --clusters included. */
const struct report_format_ops report_ops_html = {"html", true,        true,       NULL,
                                                  NULL,   report_html, report_html};
