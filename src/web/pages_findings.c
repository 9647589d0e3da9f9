/*
 * web/pages_findings.c -- the findings list (filters, search, sort, pages),
 * the clusters list and one cluster's members.
 *
 * All three read the scan group's in-memory view (view.c): filtering,
 * counting and ordering are walks over its arrays, and only the rows shown
 * (at most WP_PAGE_SIZE) have their record read from the store, for the
 * names column. Filters are plain GET arguments, so every state of the page
 * is a link:
 *
 *   scan      a scan id (its whole group); default the newest finished scan
 *   severity  one severity or a comma list (critical,high)
 *   min       at least this severity
 *   service, signal, cluster, owner, cert (SHA-256)   exact values
 *   provider  a cloud provider id of the records (alibaba-cloud, aws: [a-z0-9-], 1..31)
 *   asn       an AS number, 37963 or AS37963;  country  ISO 3166-1 alpha-2 (cn or CN)
 *   auth      none | partial | required | unknown
 *   new=1     first seen in this scan;  pii=1  personal-data schema;  via=1  through a console
 *   q         case-insensitive substring of the address, service, product, version or names
 *   sort      severity | address | service | product | records | bytes | first_seen,
 *             "-" in front reverses
 *   page      1-based, WP_PAGE_SIZE rows a page
 */
#include "web/web_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const sort_names[WV_SORT_N] = {"severity", "address", "service",   "product",
                                                  "records",  "bytes",   "first_seen"};

struct fargs {
    const char *severity, *min, *service, *signal, *cluster, *owner, *cert, *auth, *sort;
    const char *provider, *asn_arg, *country_arg; /* as given (for links) */
    char asn[16], country[3];                     /* normalised: "AS37963", "CN" */
    char q[204], ql[204];                         /* as typed; ASCII-lowercased for the search */
    bool fresh, pii, via;
    int64_t scan, page;
    enum wv_sort s;
    bool reverse;
};

static const char *arg_nonempty(struct web_req *r, const char *k)
{
    const char *v = web_arg(r, k);
    return v && *v ? v : NULL;
}

static bool arg_flag(struct web_req *r, const char *k)
{
    const char *v = web_arg(r, k);
    return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"));
}

static int auth_parse(const char *s)
{
    for (int a = AUTH_UNKNOWN; a <= AUTH_PARTIAL; a++)
        if (!strcmp(s, auth_name((enum auth_state)a))) return a;
    return -1;
}

/* Parse the arguments: NULL, or the sentence for a 400. */
static const char *parse_args(struct web_req *r, struct fargs *a)
{
    memset(a, 0, sizeof *a);
    if (wp_arg_id(r, "scan", &a->scan) < 0) return "scan must be a scan id.";
    int pg = wp_arg_id(r, "page", &a->page);
    if (pg < 0 || a->page > 10000000) return "page must be a positive number.";
    if (pg == 1) a->page = 1;
    a->severity = arg_nonempty(r, "severity");
    a->min = arg_nonempty(r, "min");
    a->service = arg_nonempty(r, "service");
    a->signal = arg_nonempty(r, "signal");
    a->cluster = arg_nonempty(r, "cluster");
    a->owner = arg_nonempty(r, "owner");
    a->cert = arg_nonempty(r, "cert");
    a->auth = arg_nonempty(r, "auth");
    a->sort = arg_nonempty(r, "sort");
    a->provider = arg_nonempty(r, "provider");
    a->asn_arg = arg_nonempty(r, "asn");
    a->country_arg = arg_nonempty(r, "country");
    a->fresh = arg_flag(r, "new");
    a->pii = arg_flag(r, "pii");
    a->via = arg_flag(r, "via");
    const char *q = web_arg(r, "q");
    if (q) {
        while (*q == ' ')
            q++;
        size_t n = strlen(q);
        while (n && q[n - 1] == ' ')
            n--;
        if (n > 200) return "the search text is at most 200 bytes.";
        memcpy(a->q, q, n);
        a->q[n] = 0;
        for (size_t i = 0; i <= n; i++)
            a->ql[i] = (char)(a->q[i] >= 'A' && a->q[i] <= 'Z' ? a->q[i] + 32 : a->q[i]);
    }
    if (a->auth && auth_parse(a->auth) < 0)
        return "auth is one of none, partial, required, unknown.";
    enum severity sv;
    if (a->min && severity_parse(a->min, &sv) < 0)
        return "min is a severity: info, low, medium, high or critical.";
    if (a->severity) {
        char tmp[128];
        if (strlen(a->severity) >= sizeof tmp) return "severity is too long.";
        str_copy(tmp, a->severity, sizeof tmp);
        for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (strcmp(t, "none") && severity_parse(t, &sv) < 0)
                return "severity is a severity (info, low, medium, high, critical) or a comma "
                       "list of them.";
    }
    a->s = WV_SORT_SEVERITY;
    if (a->sort) {
        const char *k = a->sort;
        if (*k == '-') {
            a->reverse = true;
            k++;
        }
        int found = -1;
        for (int i = 0; i < WV_SORT_N; i++)
            if (!strcmp(k, sort_names[i])) found = i;
        if (found < 0)
            return "sort is one of severity, address, service, product, records, bytes, "
                   "first_seen (with - in front to reverse).";
        a->s = (enum wv_sort)found;
    }
    if (a->service && strlen(a->service) > 64) return "service is too long.";
    if (a->provider) {
        size_t n = strlen(a->provider);
        if (n > 31 || strspn(a->provider, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
            return "provider is a provider id: lowercase letters, digits and '-' (aws, "
                   "alibaba-cloud).";
    }
    if (a->asn_arg) {
        const char *d = a->asn_arg;
        if ((d[0] == 'A' || d[0] == 'a') && (d[1] == 'S' || d[1] == 's')) d += 2;
        size_t n = strlen(d);
        uint64_t x = 0;
        for (size_t i = 0; i < n && n <= 10; i++)
            x = d[i] >= '0' && d[i] <= '9' ? x * 10 + (uint64_t)(d[i] - '0') : UINT64_MAX;
        if (!n || n > 10 || x == 0 || x > UINT32_MAX)
            return "asn is an AS number (37963 or AS37963).";
        str_fmt(a->asn, sizeof a->asn, "AS%llu", (unsigned long long)x);
    }
    if (a->country_arg) {
        const char *c = a->country_arg;
        bool ok = strlen(c) == 2;
        for (int i = 0; ok && i < 2; i++) {
            char u = (char)(c[i] >= 'a' && c[i] <= 'z' ? c[i] - 32 : c[i]);
            ok = u >= 'A' && u <= 'Z';
            a->country[i] = u;
        }
        if (!ok) return "country is an ISO 3166-1 alpha-2 code (CN, US).";
        a->country[2] = 0;
    }
    return NULL;
}

/* Turn the arguments into the view's filter. */
static void make_filter(const struct wv *v, const struct fargs *a, struct wv_filter *f)
{
    memset(f, 0, sizeof *f);
    f->service = f->cluster = f->owner = f->cert = f->signal = -1;
    f->auth = a->auth ? auth_parse(a->auth) : -1;
    enum severity sv;
    if (a->severity) {
        char tmp[128];
        str_copy(tmp, a->severity, sizeof tmp);
        for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
            f->sev_mask |=
                (uint8_t)(1u << (strcmp(t, "none") && severity_parse(t, &sv) == 0 ? (int)sv : 0));
    }
    if (a->min && severity_parse(a->min, &sv) == 0) {
        uint8_t m = 0;
        for (int s = (int)sv; s < 6; s++)
            m |= (uint8_t)(1u << s);
        f->sev_mask = f->sev_mask ? (uint8_t)(f->sev_mask & m) : m;
        if (!f->sev_mask) f->none = true;
    }
    if (a->service) f->service = wv_lookup(&v->services, a->service);
    if (a->cluster) f->cluster = wv_lookup(&v->clusters, a->cluster);
    if (a->owner) f->owner = wv_lookup(&v->owners, a->owner);
    if (a->cert) f->cert = wv_lookup(&v->certs, a->cert);
    if (a->signal) f->signal = wv_signal_bit(v, a->signal);
    if (a->provider) f->provider = wv_lookup(&v->providers, a->provider);
    if (a->asn[0]) f->asn = wv_lookup(&v->asns, a->asn);
    if (a->country[0]) f->country = wv_lookup(&v->countries, a->country);
    if (f->service == -2 || f->cluster == -2 || f->owner == -2 || f->cert == -2 ||
        f->signal == -2 || f->provider == -2 || f->asn == -2 || f->country == -2)
        f->none = true;
    f->pii = a->pii;
    f->fresh = a->fresh;
    f->via = a->via;
    f->q = a->ql[0] ? a->ql : NULL;
}

/* A link to the findings page with these arguments (sort/page overridden when given), as an
 * attribute value (already escaped). */
static void flink(struct buf *b, const struct fargs *a, int64_t scan, const char *sort,
                  int64_t page)
{
    buf_appendf(b, "/findings?scan=%lld", (long long)scan);
    const struct {
        const char *k, *v;
    } kv[] = {{"severity", a->severity},
              {"min", a->min},
              {"service", a->service},
              {"signal", a->signal},
              {"cluster", a->cluster},
              {"owner", a->owner},
              {"provider", a->provider},
              {"asn", a->asn[0] ? a->asn : NULL},
              {"country", a->country[0] ? a->country : NULL},
              {"cert", a->cert},
              {"auth", a->auth},
              {"q", a->q[0] ? a->q : NULL},
              {"new", a->fresh ? "1" : NULL},
              {"pii", a->pii ? "1" : NULL},
              {"via", a->via ? "1" : NULL},
              {"sort", sort ? sort : a->sort}};
    for (size_t i = 0; i < ARRAY_LEN(kv); i++) {
        if (!kv[i].v || !*kv[i].v) continue;
        buf_appendf(b, KIT_AMP "%s=", kv[i].k);
        kit_url(b, kv[i].v);
    }
    if (page > 1) buf_appendf(b, KIT_AMP "page=%lld", (long long)page);
}

/* Names of a record: "a, b, c (+N)" into out. */
/* What a row of the table shows from its record: the names, at off in a shared text (NUL after
 * each), and whether it was reached through a console. */
struct row_facts {
    size_t off;
    bool via, have;
};

/* rows_facts' walk over the records. */
struct facts_ctx {
    const struct wv *v;
    const uint32_t *idx;
    size_t n;
    struct row_facts *rf;
    struct buf *text, one;
};

static int facts_row(void *arg, const struct store_obs_row *x)
{
    struct facts_ctx *c = arg;
    for (size_t j = 0; j < c->n; j++) {
        if (c->v->rows[c->idx[j]].obs != x->obs || c->rf[j].have) continue;
        bool via = false;
        wv_record_display(x->record, strlen(x->record), 4, &c->one, &via);
        c->rf[j] = (struct row_facts){c->text->len, via, true};
        if (c->one.len) buf_append(c->text, c->one.data, c->one.len);
        buf_append(c->text, "", 1);
        break;
    }
    return 0;
}

/*
 * The records of the n rows shown, read by one query per 50 rows (store_records) rather than
 * one per row: on PostgreSQL each query is a round trip, and a page of 50 rows cost 50 of them
 * (a seventh of the rate SQLite gave, bench/serve.sh --pg).
 */
static int rows_facts(struct db *db, const struct wv *v, const uint32_t *idx, size_t n,
                      struct row_facts *rf, struct buf *text, struct err *e)
{
    int64_t *ids = xmalloc((n ? n : 1) * sizeof *ids);
    if (!ids) return err_set(e, "out of memory");
    for (size_t j = 0; j < n; j++)
        ids[j] = v->rows[idx[j]].obs;
    struct facts_ctx c = {v, idx, n, rf, text, {0}};
    buf_init(&c.one, 64u << 10);
    int rc = store_records(db, ids, n, facts_row, &c, e);
    buf_free(&c.one);
    free(ids);
    return rc;
}

static const char *auth_cls(int a)
{
    return a == AUTH_NONE       ? "open"
           : a == AUTH_PARTIAL  ? "partial"
           : a == AUTH_REQUIRED ? "locked"
                                : "unk";
}

/*
 * The findings table. a: the page's arguments (for the sort links in the
 * headings), NULL for a plain table.
 */
static int rows_table(struct web_req *r, struct buf *b, const struct wv *v, const uint32_t *idx,
                      size_t n, const struct fargs *a, int64_t scan, struct err *e)
{
    bool owners = r->ctx && r->ctx->owners;
    struct buf names;
    struct row_facts *rf = n ? xcalloc(n, sizeof *rf) : NULL;
    if (n && !rf) return err_set(e, "out of memory");
    buf_init(&names, 4u << 20);
    if (rows_facts(r->db, v, idx, n, rf, &names, e) < 0) {
        free(rf);
        buf_free(&names);
        return -1;
    }
    static const struct {
        const char *label;
        int sort; /* -1: not sortable */
        const char *cls;
    } cols[] = {{"Severity", WV_SORT_SEVERITY, ""},
                {"Address", WV_SORT_ADDRESS, ""},
                {"Service", WV_SORT_SERVICE, ""},
                {"Product", WV_SORT_PRODUCT, ""},
                {"Auth", -1, ""},
                {"Records", WV_SORT_RECORDS, "n"},
                {"Size", WV_SORT_BYTES, "n"},
                {"Signals", -1, ""},
                {"Owner", -1, ""},
                {"First seen", WV_SORT_FIRST_SEEN, ""}};
    buf_appendf(b, "<table class=\"grid findings\"><thead><tr>");
    for (size_t c = 0; c < ARRAY_LEN(cols); c++) {
        if (c == 8 && !owners) continue;
        buf_appendf(b, "<th%s%s%s>", *cols[c].cls ? " class=\"" : "", cols[c].cls,
                    *cols[c].cls ? "\"" : "");
        if (a && cols[c].sort >= 0) {
            bool cur = (int)a->s == cols[c].sort;
            char key[24];
            str_fmt(key, sizeof key, "%s%s", cur && !a->reverse ? "-" : "",
                    sort_names[cols[c].sort]);
            buf_appendf(b, "<a href=\"");
            flink(b, a, scan, key, 1);
            buf_appendf(b, "\"%s>%s%s</a>", cur ? " class=\"sorted\"" : "", cols[c].label,
                        cur ? (a->reverse ? " ▲" : " ▼") : "");
        } else {
            buf_appendf(b, "%s", cols[c].label);
        }
        buf_appendf(b, "</th>");
    }
    buf_appendf(b, "</tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        const struct wv_row *w = &v->rows[idx[i]];
        bool via = rf[i].via;
        const char *nm = rf[i].have && !names.truncated ? (const char *)names.data + rf[i].off : "";
        char rec[32], by[32], fs[32];
        fmt_digits(w->records, rec, sizeof rec);
        fmt_bytes(w->bytes, by, sizeof by);
        kit_time(w->first_seen, fs, sizeof fs);
        fs[10] = 0;
        buf_appendf(b, "<tr class=\"r%d\"><td>", w->severity);
        wp_sev_badge(b, w->severity);
        buf_appendf(b, "</td><td class=\"mono\"><a href=\"/finding?id=%lld\">", (long long)w->obs);
        kit_html_n(b, w->ip, 46);
        buf_appendf(b, ":%u</a>%s</td><td>", w->port,
                    via ? " <span class=\"tag via\" title=\"reached through a console\">via</span>"
                        : "");
        kit_html_n(b, wv_str(&v->services, w->service), 32);
        buf_appendf(b, "</td><td><div>");
        kit_html_n(b, wv_str(&v->prodvers, w->prodver), 60);
        buf_appendf(b, "</div>");
        if (nm[0]) {
            buf_appendf(b, "<div class=\"names\">");
            kit_html_n(b, nm, 120);
            buf_appendf(b, "</div>");
        }
        buf_appendf(b,
                    "</td><td><span class=\"auth %s\">%s</span></td><td class=\"n\">%s</td>"
                    "<td class=\"n\">%s</td><td class=\"sigs\">",
                    auth_cls(w->auth), auth_name((enum auth_state)w->auth), rec, by);
        int shown = 0;
        for (int s = 0; s < v->nsig; s++) {
            if (!(w->sigs >> s & 1)) continue;
            if (shown++ == 3) {
                int more = 0;
                for (int m = s; m < v->nsig; m++)
                    more += (int)(w->sigs >> m & 1);
                buf_appendf(b, "<span class=\"chip more\">+%d</span>", more);
                break;
            }
            buf_appendf(b, "<span class=\"chip\">");
            kit_html_n(b, v->sigid[s], 40);
            buf_appendf(b, "</span>");
        }
        buf_appendf(b, "</td>");
        if (owners) {
            buf_appendf(b, "<td>");
            kit_html_n(b, wv_str(&v->owners, w->owner), 40);
            buf_appendf(b, "</td>");
        }
        buf_appendf(b, "<td class=\"nowrap\">%s%s</td></tr>", fs,
                    w->flags & WV_NEW ? " <span class=\"tag new\">new</span>" : "");
    }
    if (!n)
        buf_appendf(b, "<tr><td colspan=\"%d\" class=\"none\">No finding matches.</td></tr>",
                    owners ? 10 : 9);
    buf_appendf(b, "</tbody></table>");
    buf_free(&names);
    free(rf);
    return 0;
}

static void opt(struct buf *b, const char *value, const char *label, const char *cur)
{
    buf_appendf(b, "<option value=\"");
    kit_html(b, value);
    buf_appendf(b, "\"%s>", cur && !strcmp(cur, value) ? " selected" : "");
    kit_html_n(b, label, 60);
    buf_appendf(b, "</option>");
}

static int cmp_str_ptr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The options of an interned set's names (id 0, the empty one, left out), sorted; cur selected.
 * *have (when given): whether cur is among them. */
static int sorted_opts(struct buf *b, const struct wv_intern *set, const char *cur, bool *have,
                       struct err *e)
{
    const char **names = xmalloc((set->n ? set->n : 1) * sizeof *names);
    if (!names) return err_set(e, "out of memory");
    size_t k = 0;
    for (uint32_t i = 1; i < set->n; i++) {
        names[k++] = set->s[i];
        if (have && cur) *have |= !strcmp(cur, set->s[i]);
    }
    qsort(names, k, sizeof *names, cmp_str_ptr);
    for (size_t i = 0; i < k; i++)
        opt(b, names[i], names[i], cur);
    free(names);
    return 0;
}

/* The findings page's filter form: its fields in the page's order, each selected as in *a. */
static int filter_form(struct web_req *r, struct buf *b, const struct wv *v, const struct fargs *a,
                       int64_t scan, struct err *e)
{
    buf_appendf(b, "<form method=\"get\" action=\"/findings\" class=\"filters\">"
                   "<div class=\"f\"><label for=\"scan\">Scan</label>");
    if (wp_scan_select(r, b, scan, e) < 0) return -1;
    buf_appendf(b,
                "</div><div class=\"f grow\"><label for=\"q\">Search</label><input type=\"search\" "
                "id=\"q\" name=\"q\" placeholder=\"address, product, index or table name\" "
                "value=\"");
    kit_html(b, a->q);
    buf_appendf(b, "\"></div><div class=\"f\"><label for=\"severity\">Severity</label>"
                   "<select id=\"severity\" name=\"severity\">");
    opt(b, "", "any", a->severity);
    for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
        opt(b, wp_sev(s), wp_sev(s), a->severity);
    if (a->severity) {
        bool std = false;
        for (int s = SEV_INFO; s <= SEV_CRITICAL; s++)
            std |= !strcmp(a->severity, wp_sev(s));
        if (!std) opt(b, a->severity, a->severity, a->severity);
    }
    buf_appendf(b, "</select></div><div class=\"f\"><label for=\"min\">At least</label>"
                   "<select id=\"min\" name=\"min\">");
    opt(b, "", "-", a->min);
    for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
        opt(b, wp_sev(s), wp_sev(s), a->min);
    buf_appendf(b, "</select></div><div class=\"f\"><label for=\"service\">Service</label>"
                   "<select id=\"service\" name=\"service\">");
    opt(b, "", "any", a->service);
    if (sorted_opts(b, &v->services, a->service, NULL, e) < 0) return -1;
    buf_appendf(b, "</select></div><div class=\"f\"><label for=\"signal\">Signal</label>"
                   "<select id=\"signal\" name=\"signal\">");
    opt(b, "", "any", a->signal);
    {
        const char *names[WV_MAX_SIGNALS] = {0};
        for (int i = 0; i < v->nsig; i++)
            names[i] = v->sigid[i];
        qsort(names, (size_t)v->nsig, sizeof *names, cmp_str_ptr);
        for (int i = 0; i < v->nsig; i++)
            opt(b, names[i], names[i], a->signal);
    }
    buf_appendf(b, "</select></div>");
    if (r->ctx && r->ctx->owners) {
        buf_appendf(b, "<div class=\"f\"><label for=\"owner\">Owner</label>"
                       "<select id=\"owner\" name=\"owner\">");
        opt(b, "", "any", a->owner);
        if (sorted_opts(b, &v->owners, a->owner, NULL, e) < 0) return -1;
        buf_appendf(b, "</select></div>");
    }
    if (v->providers.n > 1 || a->provider) {
        buf_appendf(b, "<div class=\"f\"><label for=\"provider\">Provider</label>"
                       "<select id=\"provider\" name=\"provider\">");
        opt(b, "", "any", a->provider);
        bool have = false;
        for (uint32_t i = 1; i < v->providers.n; i++) {
            opt(b, v->providers.s[i], kit_provider_name(v->providers.s[i]), a->provider);
            have |= a->provider && !strcmp(a->provider, v->providers.s[i]);
        }
        if (a->provider && !have) opt(b, a->provider, a->provider, a->provider);
        buf_appendf(b, "</select></div>");
    }
    if (v->asns.n > 1 || a->asn[0]) {
        buf_appendf(b, "<div class=\"f\"><label for=\"asn\">AS</label><input id=\"asn\" "
                       "name=\"asn\" size=\"9\" placeholder=\"AS37963\" value=\"");
        kit_html(b, a->asn);
        buf_appendf(b, "\"></div>");
    }
    if (v->countries.n > 1 || a->country[0]) {
        buf_appendf(b, "<div class=\"f\"><label for=\"country\">Country</label>"
                       "<select id=\"country\" name=\"country\">");
        opt(b, "", "any", a->country[0] ? a->country : NULL);
        bool have = false;
        if (sorted_opts(b, &v->countries, a->country[0] ? a->country : NULL, &have, e) < 0)
            return -1;
        if (a->country[0] && !have) opt(b, a->country, a->country, a->country);
        buf_appendf(b, "</select></div>");
    }
    buf_appendf(b, "<div class=\"f\"><label for=\"cluster\">Cluster</label><input id=\"cluster\" "
                   "name=\"cluster\" size=\"13\" value=\"");
    kit_html(b, a->cluster ? a->cluster : "");
    buf_appendf(b, "\"></div><div class=\"f\"><label for=\"sort\">Sort</label>"
                   "<select id=\"sort\" name=\"sort\">");
    static const char *const labels[WV_SORT_N] = {"severity",
                                                  "address",
                                                  "service",
                                                  "product",
                                                  "records (most first)",
                                                  "size (largest first)",
                                                  "first seen (oldest first)"};
    for (int i = 0; i < WV_SORT_N; i++)
        opt(b, sort_names[i], labels[i], a->sort ? a->sort : "severity");
    if (a->reverse) opt(b, a->sort, a->sort, a->sort);
    buf_appendf(b, "</select></div><div class=\"f checks\">");
    buf_appendf(b,
                "<label><input type=\"checkbox\" name=\"auth\" value=\"none\"%s> no auth</label>",
                a->auth && !strcmp(a->auth, "none") ? " checked" : "");
    buf_appendf(b,
                "<label><input type=\"checkbox\" name=\"pii\" value=\"1\"%s> personal data</label>",
                a->pii ? " checked" : "");
    buf_appendf(b, "<label><input type=\"checkbox\" name=\"new\" value=\"1\"%s> new</label>",
                a->fresh ? " checked" : "");
    buf_appendf(b, "</div>");
    if (a->cert) {
        buf_appendf(b, "<input type=\"hidden\" name=\"cert\" value=\"");
        kit_html(b, a->cert);
        buf_appendf(b, "\">");
    }
    if (a->via) buf_appendf(b, "<input type=\"hidden\" name=\"via\" value=\"1\">");
    buf_appendf(b,
                "<div class=\"f btns\"><button type=\"submit\">Apply</button>"
                "<a class=\"reset\" href=\"/findings?scan=%lld\">Reset</a></div></form>",
                (long long)scan);
    return 0;
}

static void pager(struct buf *b, const struct fargs *a, int64_t scan, int64_t page, int64_t pages)
{
    if (pages <= 1) return;
    buf_appendf(b, "<nav class=\"pager\" aria-label=\"pages\">");
#define PL(p, label)                                                                               \
    do {                                                                                           \
        buf_appendf(b, "<a href=\"");                                                              \
        flink(b, a, scan, NULL, (p));                                                              \
        buf_appendf(b, "\"%s>%s</a>", (p) == page ? " class=\"on\" aria-current=\"page\"" : "",    \
                    label);                                                                        \
    } while (0)
    if (page > 1) PL(page - 1, "‹ prev");
    int64_t lo = page - 3 < 1 ? 1 : page - 3, hi = page + 3 > pages ? pages : page + 3;
    char num[32];
    if (lo > 1) {
        PL((int64_t)1, "1");
        if (lo > 2) buf_appendf(b, "<span>…</span>");
    }
    for (int64_t p = lo; p <= hi; p++) {
        fmt_digits(p, num, sizeof num);
        PL(p, num);
    }
    if (hi < pages) {
        if (hi < pages - 1) buf_appendf(b, "<span>…</span>");
        fmt_digits(pages, num, sizeof num);
        PL(pages, num);
    }
    if (page < pages) PL(page + 1, "next ›");
#undef PL
    buf_appendf(b, "</nav>");
}

int page_findings(struct web_req *r, struct web_resp *o, struct err *e)
{
    struct fargs a;
    const char *bad = parse_args(r, &a);
    if (bad) return wp_error_page(r, o, 400, "Bad request", bad);
    struct wp_scan s;
    int q = wp_pick_scan(r, &s, e);
    if (q == -1) return -1;
    if (q == -2)
        return wp_error_page(r, o, 404, "No such scan", "The scan asked for is not in the store.");
    if (q == 1) {
        web_layout_begin(r, o, "Findings", "findings");
        buf_appendf(&o->body, "<div class=\"panel empty\"><h1>No scans yet</h1></div>");
        web_layout_end(r, o);
        return 0;
    }
    struct wv *v = NULL;
    if (wv_get(r->ctx, r->db, s.group, r->scope, &v, e) < 0) return -1;
    struct buf *b = &o->body;
    int rc = -1;
    uint8_t *hit = NULL;
    struct wv_filter f;
    make_filter(v, &a, &f);
    if (wv_filter_prepare(v, &f, &hit) < 0) {
        err_set(e, "out of memory");
        goto out;
    }
    uint32_t idx[WP_PAGE_SIZE];
    size_t nidx = 0;
    int64_t page = a.page;
    size_t total = wv_query(v, &f, a.s, a.reverse, (size_t)(page - 1) * WP_PAGE_SIZE, WP_PAGE_SIZE,
                            idx, &nidx);
    int64_t pages = (int64_t)((total + WP_PAGE_SIZE - 1) / WP_PAGE_SIZE);
    if (page > pages && pages > 0) {
        /* past the end: show the last page */
        page = pages;
        wv_query(v, &f, a.s, a.reverse, (size_t)(page - 1) * WP_PAGE_SIZE, WP_PAGE_SIZE, idx,
                 &nidx);
    }
    web_layout_begin(r, o, "Findings", "findings");
    buf_appendf(b, "<div class=\"head\"><div><h1>Findings</h1>");
    wp_scan_line(b, &s);
    buf_appendf(b, "</div></div>");
    if (filter_form(r, b, v, &a, s.id, e) < 0) goto out;
    char t1[32], t2[32];
    fmt_digits((int64_t)total, t1, sizeof t1);
    fmt_digits((int64_t)v->n, t2, sizeof t2);
    buf_appendf(b, "<div class=\"resultline\"><span><b class=\"count\">%s</b> of %s findings", t1,
                t2);
    if (total)
        buf_appendf(b, " · showing %lld–%lld", (long long)(page - 1) * WP_PAGE_SIZE + 1,
                    (long long)(page - 1) * WP_PAGE_SIZE + (long long)nidx);
    if (a.cert) {
        buf_appendf(b, " · certificate <code>");
        kit_html_n(b, a.cert, 16);
        buf_appendf(b, "</code>");
    }
    if (a.via) buf_appendf(b, " · reached through a console");
    buf_appendf(b, "</span></div><section class=\"panel flush\">");
    if (rows_table(r, b, v, idx, nidx, &a, s.id, e) < 0) goto out;
    buf_appendf(b, "</section>");
    pager(b, &a, s.id, page, pages);
    web_layout_end(r, o);
    rc = 0;
out:
    free(hit);
    wv_put(r->ctx, v);
    return rc;
}

/* ---- clusters ---- */

struct clagg {
    uint32_t id, n, first;
    uint32_t prov, asn, attributed; /* the first member's provider and AS; members with either */
    bool mixed;                     /* members on more than one (provider, AS) */
    uint8_t maxsev;
};

static int cmp_clagg(const void *x, const void *y)
{
    const struct clagg *a = x, *b = y;
    if (a->n != b->n) return a->n > b->n ? -1 : 1;
    if (a->maxsev != b->maxsev) return a->maxsev > b->maxsev ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static bool cluster_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64) return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

/* first_seen, last_seen of a cluster from the clusters table (0 when unknown). */
static int cluster_times(struct db *db, const char *id, time_t *fs, time_t *ls, int64_t *size,
                         struct err *e)
{
    return store_cluster_get(db, id, fs, ls, size, e);
}

/* A viewer's cluster times: its members' within the scope (the clusters table's would tell when
 * other tenants' members were seen). */
static void scoped_cluster_times(const struct wv *v, uint32_t cid, time_t *fs, time_t *ls)
{
    *fs = *ls = 0;
    for (size_t i = 0; i < v->n; i++) {
        const struct wv_row *w = &v->rows[i];
        if (w->cluster != cid) continue;
        if (!*fs || w->first_seen < *fs) *fs = (time_t)w->first_seen;
        if (w->last_seen > *ls) *ls = (time_t)w->last_seen;
    }
}

/* GET /clusters: the clusters of two or more members, aggregated from the view in one pass
 * (members, highest severity, spread over networks) and listed a page at a time. Long: about
 * 130 lines, as the aggregate and its table share one array of per-cluster sums. */
int page_clusters(struct web_req *r, struct web_resp *o, struct err *e)
{
    int64_t page = 1;
    if (wp_arg_id(r, "page", &page) < 0 || page > 1000000)
        return wp_error_page(r, o, 400, "Bad request", "page must be a positive number.");
    if (!page) page = 1;
    struct wp_scan s;
    int q = wp_pick_scan(r, &s, e);
    if (q == -1) return -1;
    if (q == -2)
        return wp_error_page(r, o, 404, "No such scan", "The scan asked for is not in the store.");
    if (q == 1) return wp_error_page(r, o, 200, "No scans yet", "The store has no scan.");
    struct wv *v = NULL;
    if (wv_get(r->ctx, r->db, s.group, r->scope, &v, e) < 0) return -1;
    struct buf *b = &o->body;
    int rc = -1;
    struct clagg *ag = xcalloc(v->clusters.n ? v->clusters.n : 1, sizeof *ag);
    if (!ag) {
        err_set(e, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < v->n; i++) {
        const struct wv_row *w = &v->rows[i];
        if (!w->cluster) continue;
        struct clagg *c = &ag[w->cluster];
        if (!c->n) {
            c->first = (uint32_t)i;
            c->id = w->cluster;
            c->prov = w->provider;
            c->asn = w->asn;
        } else if (w->provider != c->prov || w->asn != c->asn) {
            c->mixed = true;
        }
        c->attributed += w->provider || w->asn;
        c->n++;
        if (w->severity > c->maxsev) c->maxsev = w->severity;
    }
    size_t k = 0;
    for (uint32_t i = 1; i < v->clusters.n; i++)
        if (ag[i].n >= 2) ag[k++] = ag[i];
    qsort(ag, k, sizeof *ag, cmp_clagg);
    int64_t pages = (int64_t)((k + WP_PAGE_SIZE - 1) / WP_PAGE_SIZE);
    if (page > pages && pages) page = pages;
    web_layout_begin(r, o, "Clusters", "clusters");
    buf_appendf(b, "<div class=\"head\"><div><h1>Clusters</h1>");
    wp_scan_line(b, &s);
    buf_appendf(b, "<p class=\"sub\">Identical deployments: the same certificate, or the same "
                   "product, version, index-name and certificate-name pattern. One operator's "
                   "mistake, repeated.</p></div><form method=\"get\" action=\"/clusters\" "
                   "class=\"pick\"><label for=\"scan\">Scan</label>");
    if (wp_scan_select(r, b, s.id, e) < 0) goto out;
    char n1[32];
    fmt_digits((int64_t)k, n1, sizeof n1);
    buf_appendf(b,
                "<button type=\"submit\">Show</button></form></div><div class=\"resultline\">"
                "<span><b class=\"count\">%s</b> clusters with two or more members</span></div>",
                n1);
    buf_appendf(b,
                "<section class=\"panel flush\"><table class=\"grid\"><thead><tr><th>Cluster</th>"
                "<th class=\"n\">Members</th><th>Highest</th><th>Service</th><th>Product</th>"
                "<th class=\"n\">Records</th><th>Example</th><th>First seen</th></tr></thead>"
                "<tbody>");
    for (int64_t i = (page - 1) * WP_PAGE_SIZE; i < (int64_t)k && i < page * WP_PAGE_SIZE; i++) {
        const struct clagg *c = &ag[i];
        const struct wv_row *w = &v->rows[c->first];
        const char *id = wv_str(&v->clusters, c->id);
        time_t fs, ls;
        int64_t size;
        if (r->scope)
            scoped_cluster_times(v, c->id, &fs, &ls);
        else if (cluster_times(r->db, id, &fs, &ls, &size, e) < 0)
            goto out;
        char rec[32], t[32], num[32];
        fmt_short(v->cl_records[c->id], rec, sizeof rec);
        kit_time(fs, t, sizeof t);
        fmt_digits(c->n, num, sizeof num);
        buf_appendf(b, "<tr><td class=\"mono\"><a href=\"/cluster?id=");
        kit_url(b, id);
        buf_appendf(b, KIT_AMP "scan=%lld\">", (long long)s.id);
        kit_html_n(b, id, 64);
        buf_appendf(b, "</a></td><td class=\"n\"><b>%s</b>", num);
        if (v->cl_stores[c->id] < c->n)
            buf_appendf(b, " <span class=\"dim\">(%u data store%s)</span>", v->cl_stores[c->id],
                        v->cl_stores[c->id] == 1 ? "" : "s");
        /* how the deployment is spread (docs/attribution.md): one network, or several */
        if (c->attributed && !c->mixed) {
            buf_appendf(b, "<br><span class=\"dim\">all ");
            if (c->prov) kit_html_n(b, kit_provider_name(wv_str(&v->providers, c->prov)), 40);
            if (c->prov && c->asn) buf_appendf(b, ", ");
            if (c->asn) kit_html_n(b, wv_str(&v->asns, c->asn), 16);
            buf_appendf(b, "</span>");
        } else if (c->attributed) {
            buf_appendf(b, "<br><span class=\"dim\">several networks (%u of %u known)</span>",
                        c->attributed, c->n);
        }
        buf_appendf(b, "</td><td>");
        wp_sev_badge(b, c->maxsev);
        buf_appendf(b, "</td><td>");
        kit_html_n(b, wv_str(&v->services, w->service), 32);
        buf_appendf(b, "</td><td>");
        kit_html_n(b, wv_str(&v->prodvers, w->prodver), 60);
        buf_appendf(b,
                    "</td><td class=\"n\">%s</td><td class=\"mono\"><a href=\"/finding?id=%lld\">",
                    rec, (long long)w->obs);
        kit_html_n(b, w->ip, 46);
        buf_appendf(b, ":%u</a></td><td class=\"nowrap\">%s</td></tr>", w->port, t);
    }
    if (!k)
        buf_appendf(b, "<tr><td colspan=\"8\" class=\"none\">No two deployments in this scan "
                       "look identical.</td></tr>");
    buf_appendf(b, "</tbody></table></section>");
    if (pages > 1) {
        buf_appendf(b, "<nav class=\"pager\">");
        if (page > 1)
            buf_appendf(b, "<a href=\"/clusters?scan=%lld" KIT_AMP "page=%lld\">‹ prev</a>",
                        (long long)s.id, (long long)page - 1);
        buf_appendf(b, "<span>page %lld of %lld</span>", (long long)page, (long long)pages);
        if (page < pages)
            buf_appendf(b, "<a href=\"/clusters?scan=%lld" KIT_AMP "page=%lld\">next ›</a>",
                        (long long)s.id, (long long)page + 1);
        buf_appendf(b, "</nav>");
    }
    web_layout_end(r, o);
    rc = 0;
out:
    free(ag);
    wv_put(r->ctx, v);
    return rc;
}

int page_cluster(struct web_req *r, struct web_resp *o, struct err *e)
{
    const char *id = web_arg(r, "id");
    if (!id || !*id)
        return wp_error_page(r, o, 400, "Bad request", "Which cluster? (/cluster?id=...)");
    if (!cluster_id_ok(id))
        return wp_error_page(r, o, 400, "Bad request", "A cluster id is letters and digits.");
    struct wp_scan s;
    int q = wp_pick_scan(r, &s, e);
    if (q == -1) return -1;
    if (q == -2)
        return wp_error_page(r, o, 404, "No such scan", "The scan asked for is not in the store.");
    if (q == 1) return wp_error_page(r, o, 404, "No such cluster", "The store has no scan.");
    time_t fs, ls;
    int64_t size;
    int known = cluster_times(r->db, id, &fs, &ls, &size, e);
    if (known < 0) return -1;
    struct wv *v = NULL;
    if (wv_get(r->ctx, r->db, s.group, r->scope, &v, e) < 0) return -1;
    int rc = -1;
    struct buf *b = &o->body;
    int64_t cid = wv_lookup(&v->clusters, id);
    if (r->scope) { /* a viewer knows only the clusters of its scope, and their members' times */
        known = cid > 0;
        if (known) scoped_cluster_times(v, (uint32_t)cid, &fs, &ls);
    }
    if (cid < 0 && known != 1) {
        wv_put(r->ctx, v);
        return wp_error_page(r, o, 404, "No such cluster",
                             "No deployment in the store belongs to "
                             "a cluster with this id.");
    }
    struct fargs a;
    memset(&a, 0, sizeof a);
    a.cluster = id;
    struct wv_filter f;
    make_filter(v, &a, &f);
    uint32_t idx[200];
    size_t nidx = 0;
    size_t total = cid < 0 ? 0 : wv_query(v, &f, WV_SORT_SEVERITY, false, 0, 200, idx, &nidx);
    int64_t by_sev[6] = {0};
    if (cid > 0)
        for (size_t i = 0; i < v->n; i++)
            if (v->rows[i].cluster == (uint32_t)cid) by_sev[v->rows[i].severity]++;
    web_layout_begin(r, o, "Cluster", "clusters");
    buf_appendf(b, "<div class=\"head\"><div><h1>Cluster <span class=\"mono\">");
    kit_html_n(b, id, 64);
    char n1[32], t1[32], t2[32];
    fmt_digits((int64_t)total, n1, sizeof n1);
    kit_time(fs, t1, sizeof t1);
    kit_time(ls, t2, sizeof t2);
    buf_appendf(b, "</span></h1>");
    wp_scan_line(b, &s);
    buf_appendf(b,
                "</div></div><div class=\"cards\"><div class=\"card\"><b>%s</b><span>members in "
                "this scan</span></div>",
                n1);
    if (cid > 0 && v->cl_stores[cid] < total) /* one store reached at several members */
        buf_appendf(b, "<div class=\"card\"><b>%u</b><span>data stores they reach</span></div>",
                    v->cl_stores[cid]);
    if (total) {
        const struct wv_row *w = &v->rows[idx[0]];
        buf_appendf(b, "<div class=\"card wide\"><b>");
        kit_html_n(b, wv_str(&v->prodvers, w->prodver), 60);
        buf_appendf(b, "</b><span>");
        kit_html_n(b, wv_str(&v->services, w->service), 32);
        buf_appendf(b, "</span></div>");
        if (w->cert) {
            buf_appendf(b, "<a class=\"card wide\" href=\"/findings?scan=%lld" KIT_AMP "cert=",
                        (long long)s.id);
            kit_url(b, wv_str(&v->certs, w->cert));
            buf_appendf(b, "\"><b class=\"mono\">");
            kit_html_n(b, wv_str(&v->certs, w->cert), 16);
            buf_appendf(b, "</b><span>the certificate they share</span></a>");
        }
    }
    buf_appendf(b,
                "<div class=\"card\"><b>%s</b><span>first seen</span></div>"
                "<div class=\"card\"><b>%s</b><span>last seen</span></div></div>",
                t1, t2);
    if (total) {
        buf_appendf(b, "<section class=\"panel\"><h2>Members by severity</h2>");
        char qs[80];
        struct buf u;
        buf_init(&u, 256);
        buf_appendf(&u, "scan=%lld" KIT_AMP "cluster=", (long long)s.id);
        kit_url(&u, id);
        str_copy(qs, (const char *)u.data, sizeof qs);
        buf_free(&u);
        kit_chart_sev_bar(b, KIT_CHART_CLASSES, by_sev, qs);
        buf_appendf(b, "</section>");
    }
    buf_appendf(b, "<section class=\"panel flush\"><h2 class=\"pad\">Members");
    if (total > nidx) {
        buf_appendf(
            b, " <a class=\"more\" href=\"/findings?scan=%lld" KIT_AMP "cluster=", (long long)s.id);
        kit_url(b, id);
        buf_appendf(b, "\">all %s in findings →</a>", n1);
    }
    buf_appendf(b, "</h2>");
    if (rows_table(r, b, v, idx, nidx, NULL, s.id, e) < 0) goto out;
    buf_appendf(b, "</section>");
    web_layout_end(r, o);
    rc = 0;
out:
    wv_put(r->ctx, v);
    return rc;
}
