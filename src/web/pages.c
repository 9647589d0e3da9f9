/*
 * web/pages.c -- the dashboard's frame and shared helpers (escaping,
 * formatting, arguments, the scan a page is about), the overview and the
 * scans list. The findings, clusters and cluster pages are in
 * pages_findings.c; the service detail and the diff in pages_detail.c; the
 * charts are the kit's (kit/chart.h); the index they read in view.c.
 *
 * Every string that reaches a page came from the network first (an index
 * can be named "<script>"), so every one goes through html_esc/wp_esc in
 * text and attributes alike, and through url_esc inside links. Pages only
 * read: SQL with bound parameters, through r->db.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- escaping ---- */

/* ---- formatting ---- */

void wp_duration(int64_t s, char *out, size_t n)
{
    if (s < 0) s = 0;
    if (s >= 86400 * 365)
        str_fmt(out, n, "%lldy %lldd", (long long)(s / (86400 * 365)),
                (long long)(s % (86400 * 365) / 86400));
    else if (s >= 86400)
        str_fmt(out, n, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        str_fmt(out, n, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        str_fmt(out, n, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
}

const char *wp_sev(int s)
{
    return s > 0 && s < 6 ? severity_name((enum severity)s) : "none";
}

void wp_sev_badge(struct buf *b, int s)
{
    if (s < 0 || s > 5) s = 0;
    buf_appendf(b, "<span class=\"sev b%d\">%s</span>", s, wp_sev(s));
}

/* ---- arguments ---- */

int wp_arg_id(struct web_req *r, const char *name, int64_t *out)
{
    const char *s = web_arg(r, name);
    uint64_t v;
    *out = 0;
    if (!s || !*s) return 1;
    if (parse_u64(s, INT64_MAX, &v) < 0 || v == 0) return -1;
    *out = (int64_t)v;
    return 0;
}

int wp_error_page(struct web_req *r, struct web_resp *o, int status, const char *title,
                  const char *sentence)
{
    o->status = status;
    web_layout_begin(r, o, title, NULL);
    buf_appendf(&o->body, "<div class=\"panel empty\"><h1>");
    kit_html(&o->body, title);
    buf_appendf(&o->body, "</h1><p>");
    kit_html(&o->body, sentence);
    buf_appendf(&o->body, "</p><p><a href=\"/\">Overview</a> · <a href=\"/findings\">Findings</a>"
                          " · <a href=\"/scans\">Scans</a></p></div>");
    web_layout_end(r, o);
    return 0;
}

/* ---- scans ---- */

/* A scan as the pages show it, from the store's reading of it. */
static void scan_from_info(const struct scan_info *si, struct wp_scan *s)
{
    memset(s, 0, sizeof *s);
    s->id = si->id;
    s->group = si->group;
    s->start = si->start;
    s->end = si->end;
    str_copy(s->scope, si->scope_key, sizeof s->scope);
    s->findings = si->findings;
    s->nshards = (int)si->nshards;
    str_copy(s->args, si->args, sizeof s->args);
    s->complete = si->end && scan_group_complete(si);
    s->running = si->status == SCAN_RUNNING;
    scan_coverage_text(si, s->coverage, sizeof s->coverage);
}

int wp_scan_get(struct db *db, int64_t id, struct wp_scan *s, struct err *e)
{
    struct scan_info si;
    struct err ne;
    /* "no such scan" is an answer (1), not an error */
    int have = store_scan_exists(db, id, e);
    if (have < 0) return -1;
    if (!have) return 1;
    if (store_scan_get_db(db, id, &si, &ne) < 0) {
        *e = ne;
        return -1;
    }
    scan_from_info(&si, s);
    return 0;
}

int wp_pick_scan(struct web_req *r, struct wp_scan *s, struct err *e)
{
    int64_t id;
    int a = wp_arg_id(r, "scan", &id);
    if (a < 0) return -2;
    if (a == 0) {
        int q = wp_scan_get(r->db, id, s, e);
        return q < 0 ? -1 : q == 1 ? -2 : 0;
    }
    if (store_last_scan_db(r->db, NULL, &id, e) < 0) return -1;
    if (!id && store_newest_scan_db(r->db, &id, e) < 0) return -1;
    if (!id) return 1;
    return wp_scan_get(r->db, id, s, e);
}

struct select_ctx {
    struct buf *b;
    int64_t cur;
    bool seen;
};

static int select_option(void *arg, const struct scan_info *si)
{
    struct select_ctx *c = arg;
    struct wp_scan s;
    scan_from_info(si, &s);
    char t[32];
    kit_time(s.start, t, sizeof t);
    c->seen |= s.id == c->cur;
    buf_appendf(c->b, "<option value=\"%lld\"%s>scan %lld · %s%s</option>", (long long)s.id,
                s.id == c->cur ? " selected" : "", (long long)s.id, t,
                s.complete  ? ""
                : s.running ? " (running or killed)"
                            : " (incomplete)");
    return 0;
}

int wp_scan_select(struct web_req *r, struct buf *b, int64_t cur, struct err *e)
{
    struct select_ctx c = {.b = b, .cur = cur};
    buf_appendf(b, "<select name=\"scan\" id=\"scan\">");
    if (store_scans_page_db(r->db, 100, 0, select_option, &c, e) < 0) return -1;
    if (!c.seen && cur)
        buf_appendf(b, "<option value=\"%lld\" selected>scan %lld</option>", (long long)cur,
                    (long long)cur);
    buf_appendf(b, "</select>");
    return 0;
}

void wp_scan_line(struct buf *b, const struct wp_scan *s)
{
    char t[32], d[32];
    kit_time(s->start, t, sizeof t);
    buf_appendf(b, "<p class=\"sub\">Scan <a href=\"/scans\">%lld</a>", (long long)s->id);
    if (s->group != s->id || s->nshards > 1)
        buf_appendf(b, " (group %lld, %d shards)", (long long)s->group, s->nshards);
    buf_appendf(b, " · started %s", t);
    if (s->end) {
        wp_duration((int64_t)(s->end - s->start), d, sizeof d);
        buf_appendf(b, " · took %s", d);
    }
    buf_appendf(b, " · scope <code>%.12s</code></p>", s->scope);
    if (!s->complete) {
        /* what this page shows is only what the scan reached */
        buf_appendf(b, "<p class=\"incomplete\" role=\"status\"><strong>Incomplete:</strong> ");
        kit_html(b, s->coverage);
        buf_appendf(b, ". Only what it reached is shown; services it did not reach keep their "
                       "last sighting.</p>");
    }
}

/* ---- frame ---- */

static const struct {
    const char *key, *href, *label;
} nav_items[] = {
    {"overview", "/", "Overview"},
    {"findings", "/findings", "Findings"},
    {"clusters", "/clusters", "Clusters"},
    {"scans", "/scans", "Scans"},
};

void web_layout_begin(struct web_req *r, struct web_resp *o, const char *title, const char *nav)
{
    struct buf *b = &o->body;
    buf_appendf(b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>");
    kit_html(b, title);
    buf_appendf(b, " · ajar</title><link rel=\"icon\" href=\"/static/favicon.svg\" "
                   "type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"/static/ajar.css\">"
                   "</head><body><header class=\"top\"><a class=\"brand\" href=\"/\">"
                   "<img src=\"/static/favicon.svg\" alt=\"\" width=\"20\" height=\"20\">ajar</a>");
    if (r->user) {
        buf_appendf(b, "<nav>");
        for (size_t i = 0; i < ARRAY_LEN(nav_items); i++)
            buf_appendf(
                b, "<a href=\"%s\"%s>%s</a>", nav_items[i].href,
                nav && !strcmp(nav, nav_items[i].key) ? " class=\"on\" aria-current=\"page\"" : "",
                nav_items[i].label);
        if (r->role == ROLE_ADMIN)
            buf_appendf(b, "<a href=\"/users\"%s>Users</a>",
                        nav && !strcmp(nav, "users") ? " class=\"on\" aria-current=\"page\"" : "");
        buf_appendf(b, "</nav><div class=\"who\"><a class=\"user\" href=\"/account\"%s>",
                    nav && !strcmp(nav, "account") ? " aria-current=\"page\"" : "");
        kit_html(b, r->user);
        buf_appendf(b, "</a>");
        if (r->scope) buf_appendf(b, " <span class=\"tag\">%s</span>", web_role_name(r->role));
        if (r->csrf) {
            buf_appendf(b, "<form method=\"post\" action=\"/logout\" class=\"logout\">"
                           "<input type=\"hidden\" name=\"csrf\" value=\"");
            kit_html(b, r->csrf);
            buf_appendf(b, "\"><button type=\"submit\">Sign out</button></form>");
        }
        buf_appendf(b, "</div>");
    }
    buf_appendf(b, "</header>");
    const struct web_ctx *c = r->ctx;
    if (c && c->cert_not_after) {
        time_t now = now_wall();
        char t[32];
        kit_time(c->cert_not_after, t, sizeof t);
        if (c->cert_not_after < now)
            buf_appendf(b,
                        "<div class=\"banner bad\" role=\"alert\">This dashboard's certificate "
                        "expired on %s. Renew it: a new <code>--cert/--key</code>, or delete the "
                        "generated pair and restart <code>ajar serve</code>.</div>",
                        t);
        else if (c->cert_not_after - now < 30 * 86400)
            buf_appendf(b,
                        "<div class=\"banner warn\" role=\"status\">This dashboard's certificate "
                        "expires in %lld days (%s).</div>",
                        (long long)((c->cert_not_after - now) / 86400), t);
    }
    buf_appendf(b, "<main>");
}

void web_layout_end(struct web_req *r, struct web_resp *o)
{
    buf_appendf(&o->body, "</main><footer>ajar · a read-only view of the store · metadata only, "
                          "never a record");
    if (r->ctx && r->ctx->cert_not_after) {
        char t[32];
        kit_time(r->ctx->cert_not_after, t, sizeof t);
        buf_appendf(&o->body, " · this dashboard's certificate is valid until %s", t);
    }
    buf_appendf(&o->body, "</footer></body></html>\n");
}

int page_not_found(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    return wp_error_page(r, o, 404, "Not found", "There is no such page.");
}

/* ---- overview ---- */

static int no_scans(struct web_req *r, struct web_resp *o, const char *title, const char *nav)
{
    web_layout_begin(r, o, title, nav);
    buf_appendf(&o->body,
                "<div class=\"panel empty\"><h1>No scans yet</h1><p>The store has no scan. Run "
                "<code>ajar scan --db …</code> against the same store and reload.</p></div>");
    web_layout_end(r, o);
    return 0;
}

/* Resolve the scan or answer for the page: 1 done (answered), 0 go on, -1 error. */
static int scan_or_answer(struct web_req *r, struct web_resp *o, struct wp_scan *s,
                          const char *title, const char *nav, struct err *e)
{
    int q = wp_pick_scan(r, s, e);
    if (q < 0 && q != -2) return -1;
    if (q == -2) {
        wp_error_page(r, o, 404, "No such scan", "The scan asked for is not in the store.");
        return 1;
    }
    if (q == 1) {
        no_scans(r, o, title, nav);
        return 1;
    }
    return 0;
}

static void card(struct buf *b, const char *cls, const char *href, const char *value,
                 const char *label, const char *sub)
{
    if (href) {
        buf_appendf(b, "<a class=\"card %s\" href=\"", cls);
        kit_html(b, href);
        buf_appendf(b, "\">");
    } else {
        buf_appendf(b, "<div class=\"card %s\">", cls);
    }
    buf_appendf(b, "<b>%s</b><span>%s</span>", value, label);
    if (sub) buf_appendf(b, "<small>%s</small>", sub);
    buf_appendf(b, href ? "</a>" : "</div>");
}

struct rank {
    uint32_t id;
    int64_t n;
};

static int cmp_rank(const void *a, const void *b)
{
    const struct rank *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* A short table of rows (index into v->rows) for the overview's lists. */
static void mini_table(struct buf *b, const struct wv *v, const uint32_t *idx, size_t n)
{
    buf_appendf(b,
                "<table class=\"grid compact\"><thead><tr><th>Severity</th><th>Address</th>"
                "<th>Service</th><th>Product</th><th class=\"n\">Records</th></tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        const struct wv_row *w = &v->rows[idx[i]];
        char rec[32];
        fmt_digits(w->records, rec, sizeof rec);
        buf_appendf(b, "<tr><td>");
        wp_sev_badge(b, w->severity);
        buf_appendf(b, "</td><td class=\"mono\"><a href=\"/finding?id=%lld\">", (long long)w->obs);
        kit_html_n(b, w->ip, 46);
        buf_appendf(b, ":%u</a></td><td>", w->port);
        kit_html_n(b, wv_str(&v->services, w->service), 32);
        buf_appendf(b, "</td><td>");
        kit_html_n(b, wv_str(&v->prodvers, w->prodver), 48);
        buf_appendf(b, "</td><td class=\"n\">%s</td></tr>", rec);
    }
    if (!n) buf_appendf(b, "<tr><td colspan=\"5\" class=\"none\">None.</td></tr>");
    buf_appendf(b, "</tbody></table>");
}

/* The scans of the same scope (newest KIT_TREND_MAX groups), oldest first. */
struct trend {
    int64_t group[KIT_TREND_MAX], id[KIT_TREND_MAX];
    time_t t[KIT_TREND_MAX];
    bool finished[KIT_TREND_MAX];
    int64_t by_sev[KIT_TREND_MAX][6];
    size_t n;
};

/* One attribution panel of the overview: findings, exposed and each severity per group (interned
 * ids of `names`; id 0, no value, last as "unknown"), each linked to the findings it counts. */
static int group_panel(struct buf *b, const struct wv *v, const char *qs, const char *title,
                       const char *col, const char *param, const struct wv_intern *names,
                       const int64_t *gn, const int64_t *gsev, const int64_t *gopen, struct err *e)
{
    char n1[32];
    if (names->n <= 1) return 0;
    size_t np = names->n, k = 0;
    struct rank *rk = xmalloc(np * sizeof *rk);
    if (!rk) return err_set(e, "out of memory");
    for (uint32_t i = 1; i < np; i++)
        if (gn[i]) rk[k++] = (struct rank){i, gn[i]};
    qsort(rk, k, sizeof *rk, cmp_rank);
    buf_appendf(b,
                "<section class=\"panel\"><h2>%s</h2><table class=\"grid\">"
                "<thead><tr><th>%s</th><th class=\"n\">Findings</th><th class=\"n\">Exposed</th>",
                title, col);
    for (int sv = SEV_CRITICAL; sv >= SEV_INFO; sv--)
        buf_appendf(b, "<th class=\"n\">%s</th>", wp_sev(sv));
    buf_appendf(b, "</tr></thead><tbody>");
    for (size_t i = 0; i <= k && i < 101; i++) {
        /* the groups by findings, then the findings without a value (id 0) */
        uint32_t id = i < k ? rk[i].id : 0;
        if (i == k && !gn[0]) break;
        const char *name = wv_str(names, id);
        fmt_digits(gn[id], n1, sizeof n1);
        if (id) {
            buf_appendf(b, "<tr><td><a href=\"/findings?%s" KIT_AMP "%s=", qs, param);
            kit_url(b, name);
            buf_appendf(b, "\">");
            kit_html_n(b, !strcmp(param, "provider") ? kit_provider_name(name) : name, 80);
            buf_appendf(b, "</a></td>");
        } else {
            buf_appendf(b, "<tr><td>unknown</td>");
        }
        buf_appendf(b, "<td class=\"n\">%s</td>", n1);
        fmt_digits(gopen[id], n1, sizeof n1);
        buf_appendf(b, "<td class=\"n%s\">%s</td>", gopen[id] ? "" : " zero", n1);
        for (int sv = SEV_CRITICAL; sv >= SEV_INFO; sv--) {
            fmt_digits(gsev[id * 6 + sv], n1, sizeof n1);
            buf_appendf(b, "<td class=\"n%s\">%s</td>", gsev[id * 6 + sv] ? "" : " zero", n1);
        }
        buf_appendf(b, "</tr>");
    }
    buf_appendf(b, "</tbody></table></section>");
    free(rk);
    return 0;
}

static int trend_row(void *arg, int64_t group, int64_t max_id, time_t start, int64_t unfinished)
{
    struct trend *tr = arg;
    if (tr->n >= KIT_TREND_MAX) return 1;
    tr->group[tr->n] = group;
    tr->id[tr->n] = max_id;
    tr->t[tr->n] = start;
    tr->finished[tr->n] = unfinished == 0;
    tr->n++;
    return 0;
}

static int load_trend(struct web_req *r, const struct wv *v, struct trend *tr, struct err *e)
{
    memset(tr, 0, sizeof *tr);
    if (store_trend_groups(r->db, v->scope, v->group, KIT_TREND_MAX, trend_row, tr, e) < 0)
        return -1;
    /* oldest first */
    for (size_t i = 0; i < tr->n / 2; i++) {
        size_t k = tr->n - 1 - i;
        int64_t g = tr->group[i], id = tr->id[i];
        time_t t = tr->t[i];
        bool f = tr->finished[i];
        tr->group[i] = tr->group[k], tr->id[i] = tr->id[k], tr->t[i] = tr->t[k];
        tr->finished[i] = tr->finished[k];
        tr->group[k] = g, tr->id[k] = id, tr->t[k] = t, tr->finished[k] = f;
    }
    for (size_t i = 0; i < tr->n; i++) {
        if (tr->group[i] == v->group) {
            memcpy(tr->by_sev[i], v->by_sev, sizeof v->by_sev);
            continue;
        }
        if (wv_group_counts(r->ctx, r->db, tr->group[i], tr->finished[i], r->scope, tr->by_sev[i],
                            e) < 0)
            return -1;
    }
    return 0;
}

/* The overview's cards: findings, per severity, exposed, personal data, new, clusters, diff. */
static void overview_cards(struct buf *b, const struct wv *v, const struct wp_scan *s,
                           const char *qs, int64_t prev)
{
    char n1[32], n2[32], n3[32], href[96], sub[160];
    buf_appendf(b, "<div class=\"cards\">");
    fmt_digits((int64_t)v->n, n1, sizeof n1);
    str_fmt(href, sizeof href, "/findings?%s", qs);
    card(b, "", href, n1, "findings", NULL);
    for (int sv = SEV_CRITICAL; sv >= SEV_MEDIUM; sv--) {
        fmt_digits(v->by_sev[sv], n1, sizeof n1);
        str_fmt(href, sizeof href, "/findings?%s&severity=%s", qs, wp_sev(sv));
        char cls[8];
        str_fmt(cls, sizeof cls, "c%d", sv);
        card(b, cls, href, n1, wp_sev(sv), NULL);
    }
    fmt_digits(v->exposed, n1, sizeof n1);
    fmt_short(v->exp_records, n2, sizeof n2);
    fmt_bytes(v->exp_bytes, n3, sizeof n3);
    str_fmt(sub, sizeof sub, "%s records · %s", n2, n3);
    if (v->shared) /* every node of one cluster, or a store also reached through a console */
        str_fmt(sub + strlen(sub), sizeof sub - strlen(sub), " (each data store once: %lld %s)",
                (long long)v->shared,
                v->shared == 1 ? "finding reaches one counted at another"
                               : "findings reach one counted at another");
    str_fmt(href, sizeof href, "/findings?%s&auth=none&sort=records", qs);
    card(b, "", href, n1, "readable without credentials", sub);
    fmt_digits(v->pii, n1, sizeof n1);
    str_fmt(href, sizeof href, "/findings?%s&pii=1", qs);
    card(b, v->pii ? "c5" : "", href, n1, "personal-data exposures", NULL);
    fmt_digits(v->newcount, n1, sizeof n1);
    str_fmt(href, sizeof href, "/findings?%s&new=1", qs);
    card(b, "", href, n1, prev ? "new since the last scan" : "new (first scan of these targets)",
         NULL);
    fmt_digits(v->ncl, n1, sizeof n1);
    str_fmt(href, sizeof href, "/clusters?%s", qs);
    card(b, "", href, n1, "clusters of identical deployments", NULL);
    if (prev) {
        str_fmt(href, sizeof href, "/diff?old=%lld&new=%lld", (long long)prev, (long long)s->id);
        card(b, "", href, "Δ", "what changed since the last scan", NULL);
    }
    buf_appendf(b, "</div>");
}

/* The overview's bars of the 12 services with the most findings. */
static int overview_services(struct buf *b, const struct wv *v, const char *qs, struct err *e)
{
    size_t ns = v->services.n, k = 0;
    struct rank *rk = xmalloc((ns ? ns : 1) * sizeof *rk);
    const char **labels = xmalloc(13 * sizeof *labels);
    char **hrefs = xcalloc(13, sizeof *hrefs);
    int64_t(*sev)[6] = xcalloc(13, sizeof *sev);
    if (!rk || !labels || !hrefs || !sev) {
        free(rk), free(labels), free(hrefs), free(sev);
        err_set(e, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < ns; i++) {
        int64_t t = 0;
        for (int x = 0; x < 6; x++)
            t += v->svc_sev[i * 6 + x];
        if (t) rk[k++] = (struct rank){i, t};
    }
    qsort(rk, k, sizeof *rk, cmp_rank);
    if (k > 12) k = 12;
    for (size_t i = 0; i < k; i++) {
        labels[i] = wv_str(&v->services, rk[i].id);
        struct buf u;
        buf_init(&u, 512);
        buf_appendf(&u, "/findings?%s&service=", qs);
        kit_url(&u, labels[i]);
        hrefs[i] = (char *)u.data;
        memcpy(sev[i], &v->svc_sev[rk[i].id * 6], sizeof sev[i]);
    }
    buf_appendf(b, "<section class=\"panel\"><h2>By service</h2>");
    if (k)
        kit_chart_bars(b, KIT_CHART_CLASSES,
                       &(struct kit_bars){.n = k,
                                          .labels = labels,
                                          .hrefs = (const char *const *)hrefs,
                                          .by_sev = (const int64_t(*)[6])sev,
                                          .aria = "findings by service and severity"});
    else
        buf_appendf(b, "<p class=\"none\">No findings in this scan.</p>");
    buf_appendf(b, "</section>");
    for (size_t i = 0; i < k; i++)
        free(hrefs[i]);
    free(rk), free(labels), free(hrefs), free(sev);
    return 0;
}

/* The overview's bars of the 12 most frequent signals. */
static void overview_signals(struct buf *b, const struct wv *v, const char *qs)
{
    struct rank rk[WV_MAX_SIGNALS] = {{0}};
    size_t k = 0;
    for (int i = 0; i < v->nsig; i++)
        if (v->sig_count[i]) rk[k++] = (struct rank){(uint32_t)i, v->sig_count[i]};
    qsort(rk, k, sizeof *rk, cmp_rank);
    if (k > 12) k = 12;
    const char *labels[12];
    char *hrefs[12];
    int64_t vals[12];
    for (size_t i = 0; i < k; i++) {
        labels[i] = v->sigid[rk[i].id];
        vals[i] = rk[i].n;
        struct buf u;
        buf_init(&u, 512);
        buf_appendf(&u, "/findings?%s&signal=", qs);
        kit_url(&u, labels[i]);
        hrefs[i] = (char *)u.data;
    }
    buf_appendf(b, "<section class=\"panel\"><h2>Signals</h2>");
    if (k)
        kit_chart_bars(b, KIT_CHART_CLASSES,
                       &(struct kit_bars){.n = k,
                                          .labels = labels,
                                          .hrefs = (const char *const *)hrefs,
                                          .vals = vals,
                                          .ink = KIT_INK_SIGNAL});
    else
        buf_appendf(b, "<p class=\"none\">No signals.</p>");
    buf_appendf(b, "</section>");
    for (size_t i = 0; i < k; i++)
        free(hrefs[i]);
}

/* The overview's trend across the scans of these targets. */
static void overview_trend(struct buf *b, const struct trend *tr)
{
    buf_appendf(b, "<section class=\"panel\"><h2>Across scans of these targets</h2>");
    if (tr->n >= 2) {
        kit_chart_trend(b, KIT_CHART_CLASSES, tr->t, tr->id, (const int64_t(*)[6])tr->by_sev,
                        tr->n);
        kit_chart_legend(b, KIT_CHART_CLASSES, true);
    } else {
        buf_appendf(b, "<p class=\"none\">One scan of these targets so far: the trend starts "
                       "with the next.</p>");
    }
    buf_appendf(b, "</section>");
}

/* The overview's two short lists: personal-data exposures and what is new. */
static void overview_lists(struct buf *b, const struct wv *v, const char *qs)
{
    uint32_t idx[10];
    size_t nidx;
    struct wv_filter f = {.service = -1,
                          .cluster = -1,
                          .owner = -1,
                          .cert = -1,
                          .signal = -1,
                          .auth = -1,
                          .pii = true};
    buf_appendf(b,
                "<div class=\"cols\"><section class=\"panel\"><h2>Personal-data exposures"
                " <a class=\"more\" href=\"/findings?%s" KIT_AMP "pii=1\">all %lld →</a></h2>",
                qs, (long long)v->pii);
    wv_query(v, &f, WV_SORT_SEVERITY, false, 0, 10, idx, &nidx);
    mini_table(b, v, idx, nidx);
    f.pii = false;
    f.fresh = true;
    buf_appendf(b,
                "</section><section class=\"panel\"><h2>New since the last scan"
                " <a class=\"more\" href=\"/findings?%s" KIT_AMP "new=1\">all %lld →</a></h2>",
                qs, (long long)v->newcount);
    wv_query(v, &f, WV_SORT_SEVERITY, false, 0, 10, idx, &nidx);
    mini_table(b, v, idx, nidx);
    buf_appendf(b, "</section></div>");
}

/* The overview's table by owner (serve --owners). */
static int overview_owners(struct web_req *r, struct buf *b, const struct wv *v, const char *qs,
                           struct err *e)
{
    char n1[32];
    if (r->ctx && r->ctx->owners && v->owners.n > 1) {
        size_t no = v->owners.n, k = 0;
        struct rank *rk = xmalloc(no * sizeof *rk);
        if (!rk) {
            err_set(e, "out of memory");
            return -1;
        }
        for (uint32_t i = 1; i < no; i++)
            if (v->owner_n[i]) rk[k++] = (struct rank){i, v->owner_n[i]};
        qsort(rk, k, sizeof *rk, cmp_rank);
        buf_appendf(b, "<section class=\"panel\"><h2>By owner</h2><table class=\"grid\"><thead><tr>"
                       "<th>Owner</th><th class=\"n\">Findings</th>");
        for (int sv = SEV_CRITICAL; sv >= SEV_INFO; sv--)
            buf_appendf(b, "<th class=\"n\">%s</th>", wp_sev(sv));
        buf_appendf(b, "</tr></thead><tbody>");
        for (size_t i = 0; i < k && i < 100; i++) {
            const char *name = wv_str(&v->owners, rk[i].id);
            buf_appendf(b, "<tr><td><a href=\"/findings?%s" KIT_AMP "owner=", qs);
            kit_url(b, name);
            buf_appendf(b, "\">");
            kit_html_n(b, name, 80);
            fmt_digits(rk[i].n, n1, sizeof n1);
            buf_appendf(b, "</a></td><td class=\"n\">%s</td>", n1);
            for (int sv = SEV_CRITICAL; sv >= SEV_INFO; sv--) {
                fmt_digits(v->owner_sev[rk[i].id * 6 + sv], n1, sizeof n1);
                buf_appendf(b, "<td class=\"n%s\">%s</td>",
                            v->owner_sev[rk[i].id * 6 + sv] ? "" : " zero", n1);
            }
            buf_appendf(b, "</tr>");
        }
        buf_appendf(b, "</tbody></table></section>");
        free(rk);
    }
    return 0;
}

int page_overview(struct web_req *r, struct web_resp *o, struct err *e)
{
    struct wp_scan s;
    int q = scan_or_answer(r, o, &s, "Overview", "overview", e);
    if (q) return q < 0 ? -1 : 0;
    struct wv *v = NULL;
    if (wv_get(r->ctx, r->db, s.group, r->scope, &v, e) < 0) return -1;
    struct buf *b = &o->body;
    int rc = -1;
    struct trend tr;
    int64_t prev = 0;
    if (load_trend(r, v, &tr, e) < 0 || store_prev_scan_db(r->db, s.id, &prev, e) < 0) goto out;
    char qs[48];
    str_fmt(qs, sizeof qs, "scan=%lld", (long long)s.id);

    web_layout_begin(r, o, "Overview", "overview");
    buf_appendf(b, "<div class=\"head\"><div><h1>Overview</h1>");
    wp_scan_line(b, &s);
    buf_appendf(b, "</div><form method=\"get\" action=\"/\" class=\"pick\">"
                   "<label for=\"scan\">Scan</label>");
    if (wp_scan_select(r, b, s.id, e) < 0) goto out;
    buf_appendf(b, "<button type=\"submit\">Show</button></form></div>");

    overview_cards(b, v, &s, qs, prev);

    /* severity */
    buf_appendf(b, "<section class=\"panel\"><h2>By severity</h2>");
    kit_chart_sev_bar(b, KIT_CHART_CLASSES, v->by_sev, qs);
    kit_chart_legend(b, KIT_CHART_CLASSES, false);
    buf_appendf(b, "</section><div class=\"cols\">");

    if (overview_services(b, v, qs, e) < 0) goto out;
    overview_signals(b, v, qs);
    buf_appendf(b, "</div>");

    overview_trend(b, &tr);

    overview_lists(b, v, qs);

    if (overview_owners(r, b, v, qs, e) < 0) goto out;
    /* attribution (the records' cloud.provider, network.asn, geo.country): each panel only when
     * some record has it */
    if (group_panel(b, v, qs, "By cloud provider", "Provider", "provider", &v->providers, v->prov_n,
                    v->prov_sev, v->prov_open, e) < 0 ||
        group_panel(b, v, qs, "By network (AS)", "AS", "asn", &v->asns, v->asn_n, v->asn_sev,
                    v->asn_open, e) < 0 ||
        group_panel(b, v, qs, "By country", "Country", "country", &v->countries, v->country_n,
                    v->country_sev, v->country_open, e) < 0)
        goto out;
    web_layout_end(r, o);
    rc = 0;
out:
    wv_put(r->ctx, v);
    return rc;
}

/* ---- scans ---- */

struct scans_page {
    struct buf *b;
    int n;
    bool scoped; /* a viewer: no scan's arguments (its targets are every tenant's), no count of
                    all its findings */
};

static int scans_row(void *arg, const struct scan_info *si)
{
    struct scans_page *c = arg;
    struct buf *b = c->b;
    if (++c->n > 100) return 1;
    struct wp_scan s;
    scan_from_info(si, &s);
    char t[32], d[32], f[32];
    kit_time(s.start, t, sizeof t);
    fmt_digits(s.findings, f, sizeof f);
    buf_appendf(b, "<tr><td><a href=\"/?scan=%lld\">%lld</a></td><td>%lld</td><td>%s</td>",
                (long long)s.id, (long long)s.id, (long long)s.group, t);
    if (si->status == SCAN_COMPLETE) {
        wp_duration((int64_t)(s.end - s.start), d, sizeof d);
        buf_appendf(b, "<td>complete in %s", d);
        if (!s.complete) buf_appendf(b, " <span class=\"running\">group incomplete</span>");
        buf_appendf(b, "</td>");
    } else {
        /* "interrupted at 5.7% of its walk (SIGTERM)": the coverage text after its "scan #N: " */
        const char *c2 = strstr(s.coverage, ": ");
        buf_appendf(b, "<td><span class=\"running\">");
        kit_html(b, c2 ? c2 + 2 : s.coverage);
        buf_appendf(b, "</span></td>");
    }
    if (c->scoped)
        buf_appendf(b, "<td class=\"n\"><a href=\"/findings?scan=%lld\">yours</a></td>",
                    (long long)s.id);
    else
        buf_appendf(b, "<td class=\"n\"><a href=\"/findings?scan=%lld\">%s</a></td>",
                    (long long)s.id, f);
    buf_appendf(b, "<td class=\"mono\">%.12s", s.scope);
    if (s.nshards > 1) buf_appendf(b, " <span class=\"tag\">%d shards</span>", s.nshards);
    buf_appendf(b, "</td><td class=\"mono args\">");
    kit_html_n(b, c->scoped ? "-" : s.args, 90);
    buf_appendf(b,
                "</td><td class=\"acts\"><a href=\"/?scan=%lld\">overview</a> "
                "<a href=\"/findings?scan=%lld\">findings</a> "
                "<a href=\"/diff?new=%lld\">diff with previous</a></td></tr>",
                (long long)s.id, (long long)s.id, (long long)s.id);
    return 0;
}

int page_scans(struct web_req *r, struct web_resp *o, struct err *e)
{
    struct buf *b = &o->body;
    int64_t page = 1;
    if (wp_arg_id(r, "page", &page) < 0 || page > 100000)
        return wp_error_page(r, o, 400, "Bad request", "page must be a positive number.");
    if (!page) page = 1;
    web_layout_begin(r, o, "Scans", "scans");
    buf_appendf(b, "<div class=\"head\"><div><h1>Scans</h1><p class=\"sub\">Every run of "
                   "<code>ajar scan</code> into this store, newest first. Shards of one run form "
                   "a group; pages show a whole group. Only a complete scan of a whole group "
                   "finds services closed.</p></div>"
                   "<form method=\"get\" action=\"/diff\" class=\"pick\"><label for=\"old\">Compare"
                   "</label><input id=\"old\" name=\"old\" inputmode=\"numeric\" size=\"6\" "
                   "placeholder=\"old\"><label for=\"new\">with</label><input id=\"new\" "
                   "name=\"new\" inputmode=\"numeric\" size=\"6\" placeholder=\"new\">"
                   "<button type=\"submit\">Diff</button></form></div>");
    buf_appendf(b, "<section class=\"panel flush\"><table class=\"grid\"><thead><tr><th>Scan</th>"
                   "<th>Group</th><th>Started</th><th>Status</th><th class=\"n\">Findings</th>"
                   "<th>Scope</th><th>Command</th><th></th></tr></thead><tbody>");
    struct scans_page c = {.b = b, .scoped = r->scope != NULL};
    if (store_scans_page_db(r->db, 101, (page - 1) * 100, scans_row, &c, e) < 0) return -1;
    if (!c.n && page == 1)
        buf_appendf(b, "<tr><td colspan=\"8\" class=\"none\">No scans yet.</td></tr>");
    buf_appendf(b, "</tbody></table></section><nav class=\"pager\">");
    if (page > 1) buf_appendf(b, "<a href=\"/scans?page=%lld\">← newer</a>", (long long)page - 1);
    if (c.n > 100) buf_appendf(b, "<a href=\"/scans?page=%lld\">older →</a>", (long long)page + 1);
    buf_appendf(b, "</nav>");
    web_layout_end(r, o);
    return 0;
}

int web_views_warm(struct web_ctx *ctx, struct err *e)
{
    struct db *db = NULL;
    if (store_connect(&db, ctx->where, false, e) < 0) return -1;
    struct web_req r = {.method = "GET", .path = "/", .db = db, .ctx = ctx};
    struct wp_scan s;
    int rc = wp_pick_scan(&r, &s, e);
    if (rc == 0) {
        struct wv *v = NULL;
        rc = wv_get(ctx, db, s.group, NULL, &v, e);
        if (rc == 0 && v) wv_put(ctx, v);
    } else if (rc == 1)
        rc = 0; /* no scan yet: nothing to build */
    store_disconnect(db);
    return rc < 0 ? -1 : 0;
}
