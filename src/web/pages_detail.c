/*
 * web/pages_detail.c -- one service in depth (/finding?id=OBSERVATION, or
 * /finding?scan=ID&ip=ADDRESS&port=PORT[&service=NAME], the form alerts link
 * to: they are sent before the store numbers the observation); the
 * difference between two scans (/diff?old=&new=) is pages_diff.c.
 *
 * The detail page reads one observation and its record, the service's
 * every observation (its history: first seen, each change, closed), the
 * certificate row, the console it was reached through (`via`) and the other
 * services at the same address, each with one indexed query.
 */
#include "catalog/catalog.h"
#include "web/auth.h"
#include "web/web_int.h"

#include "assess/assess.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int64_t jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static void dt(struct buf *b, const char *k)
{
    buf_appendf(b, "<dt>%s</dt><dd>", k);
}

static void dd_text(struct buf *b, const char *k, const char *v)
{
    dt(b, k);
    if (v && *v)
        kit_html_n(b, v, 600);
    else
        buf_appendf(b, "<span class=\"none\">-</span>");
    buf_appendf(b, "</dd>");
}

static const char *auth_cls(const char *a)
{
    return !strcmp(a, "none")       ? "open"
           : !strcmp(a, "partial")  ? "partial"
           : !strcmp(a, "required") ? "locked"
                                    : "unk";
}

/* A JSON value as short text (strings raw, the rest compact JSON), escaped. */
static void json_text(struct buf *b, const json_t *v, size_t max)
{
    if (json_is_string(v)) {
        kit_html_n(b, json_string_value(v), max);
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    kit_html_n(b, s ? s : "?", max);
    free(s);
}

struct hist {
    int64_t obs, scan;
    time_t t;
    char product[64], version[64], auth[16], cert[65];
    int sev;
    int64_t records, bytes;
};

struct hist_ctx {
    struct hist **out;
    size_t *n, cap;
    bool oom;
};

static int hist_row(void *arg, const struct store_obs_row *r)
{
    struct hist_ctx *c = arg;
    struct hist *nh = arr_grow(*c->out, *c->n, &c->cap, sizeof *nh, 16);
    if (!nh) {
        c->oom = true;
        return 1;
    }
    *c->out = nh;
    struct hist *h = &(*c->out)[(*c->n)++];
    memset(h, 0, sizeof *h);
    h->obs = r->obs;
    h->scan = r->scan;
    h->t = (time_t)r->seen_at;
    str_copy(h->product, r->product, sizeof h->product);
    str_copy(h->version, r->version, sizeof h->version);
    str_copy(h->auth, r->auth, sizeof h->auth);
    enum severity sv = SEV_NONE;
    if (*r->severity) severity_parse(r->severity, &sv);
    h->sev = (int)sv;
    h->records = r->records;
    h->bytes = r->bytes;
    str_copy(h->cert, r->cert, sizeof h->cert);
    return 0;
}

static int load_history(struct db *db, int64_t service, struct hist **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct hist_ctx c = {out, n, 0, false};
    if (store_service_history(db, service, 1000, hist_row, &c, e) < 0) return -1;
    if (c.oom) return err_set(e, "out of memory");
    return 0;
}

void wp_change(struct buf *b, bool *any, const char *what, const char *from, const char *to)
{
    buf_appendf(b, "<li><b>%s</b> ", what);
    kit_html_n(b, *from ? from : "-", 80);
    buf_appendf(b, " → ");
    kit_html_n(b, *to ? to : "-", 80);
    buf_appendf(b, "</li>");
    *any = true;
}

static void history_changes(struct buf *b, const struct hist *p, const struct hist *h)
{
    bool any = false;
    char x[32], y[32];
    buf_appendf(b, "<ul class=\"changes\">");
    if (strcmp(p->product, h->product)) wp_change(b, &any, "product", p->product, h->product);
    if (strcmp(p->version, h->version)) wp_change(b, &any, "version", p->version, h->version);
    if (strcmp(p->auth, h->auth)) wp_change(b, &any, "auth", p->auth, h->auth);
    if (strcmp(p->cert, h->cert)) {
        str_fmt(x, sizeof x, "%.12s", p->cert);
        str_fmt(y, sizeof y, "%.12s", h->cert);
        wp_change(b, &any, "certificate", x, y);
    }
    if (p->records != h->records) {
        fmt_digits(p->records, x, sizeof x);
        fmt_digits(h->records, y, sizeof y);
        wp_change(b, &any, "records", x, y);
    }
    if (p->bytes != h->bytes) {
        fmt_bytes(p->bytes, x, sizeof x);
        fmt_bytes(h->bytes, y, sizeof y);
        if (!strcmp(x, y)) { /* too close for the unit: the exact bytes */
            fmt_digits(p->bytes, x, sizeof x);
            fmt_digits(h->bytes, y, sizeof y);
        }
        wp_change(b, &any, "bytes", x, y);
    }
    if (p->sev != h->sev) wp_change(b, &any, "severity", wp_sev(p->sev), wp_sev(h->sev));
    if (!any) buf_appendf(b, "<li class=\"none\">unchanged</li>");
    buf_appendf(b, "</ul>");
}

static void section_history(struct buf *b, const struct hist *h, size_t n, int64_t cur,
                            time_t first_seen, time_t closed)
{
    buf_appendf(b, "<section class=\"panel\" id=\"history\"><h2>History</h2>");
    if (n) {
        time_t *t = xmalloc(n * sizeof *t);
        uint8_t *sv = xmalloc(n);
        if (t && sv) {
            for (size_t i = 0; i < n; i++) {
                t[i] = h[i].t;
                sv[i] = (uint8_t)h[i].sev;
            }
            kit_chart_timeline(b, KIT_CHART_CLASSES, t, sv, n, closed);
        }
        free(t);
        free(sv);
    }
    buf_appendf(b, "<ol class=\"timeline\">");
    for (size_t i = 0; i < n; i++) {
        char tm[32], rec[32];
        kit_time(h[i].t, tm, sizeof tm);
        fmt_digits(h[i].records, rec, sizeof rec);
        bool opened = i == 0 || (first_seen && h[i].t == first_seen && h[i - 1].t < first_seen);
        buf_appendf(b,
                    "<li class=\"%s%s\"><div class=\"when\">%.10s<br>%s · <a "
                    "href=\"/finding?id=%lld\">scan %lld</a></div><div class=\"what\">",
                    opened ? "open" : "obs", h[i].obs == cur ? " cur" : "", tm,
                    strlen(tm) > 11 ? tm + 11 : "", (long long)h[i].obs, (long long)h[i].scan);
        wp_sev_badge(b, h[i].sev);
        buf_appendf(b, " <b>%s</b> ", opened ? (i ? "seen open again" : "first seen") : "seen");
        kit_html_n(b, h[i].product, 64);
        buf_appendf(b, " ");
        kit_html_n(b, h[i].version, 64);
        buf_appendf(b, " · auth <span class=\"auth %s\">", auth_cls(h[i].auth));
        kit_html_n(b, h[i].auth, 16);
        buf_appendf(b, "</span> · %s records%s", rec, h[i].obs == cur ? " · <i>this page</i>" : "");
        if (i) history_changes(b, &h[i - 1], &h[i]);
        buf_appendf(b, "</div></li>");
    }
    if (closed) {
        char tm[32], d[32];
        kit_time(closed, tm, sizeof tm);
        wp_duration(first_seen && closed > first_seen ? (int64_t)(closed - first_seen) : 0, d,
                    sizeof d);
        buf_appendf(b,
                    "<li class=\"closed\"><div class=\"when\">%.10s<br>%s</div><div class=\"what\">"
                    "<b>closed</b>: not seen by the scan of the same targets after %s open</div>"
                    "</li>",
                    tm, strlen(tm) > 11 ? tm + 11 : "", d);
    }
    buf_appendf(b, "</ol></section>");
}

/* A viewer's count of the hosts serving a certificate, and when: within its view. One pass in
 * the view's address order (ip_text), where a host's rows are neighbours: no pairwise compare. */
static void scoped_cert_hosts(const struct wv *v, const char *sha, int64_t *hosts, time_t *fs,
                              time_t *ls)
{
    *hosts = 0;
    *fs = *ls = 0;
    int64_t id = wv_lookup(&v->certs, sha);
    if (id <= 0 || !v->ip_text) return;
    const char *last = NULL;
    for (size_t k = 0; k < v->n; k++) {
        size_t i = v->ip_text[k];
        const struct wv_row *w = &v->rows[i];
        if (w->cert != (uint32_t)id) continue;
        if (!*fs || w->first_seen < *fs) *fs = (time_t)w->first_seen;
        if (w->last_seen > *ls) *ls = (time_t)w->last_seen;
        const char *ip = wv_row_ip(v, i);
        if (!last || strcmp(last, ip) != 0) ++*hosts;
        last = ip;
    }
}

static int section_cert(struct web_req *r, struct buf *b, const json_t *tls, const char *sha,
                        int64_t scan, const struct wv *sv, struct err *e)
{
    if (!json_is_object(tls)) return 0;
    buf_appendf(
        b, "<section class=\"panel\" id=\"certificate\"><h2>Certificate</h2><dl class=\"kv\">");
    int64_t hosts = 0;
    time_t cfs = 0, cls = 0;
    if (sv && sha && *sha) {
        scoped_cert_hosts(sv, sha, &hosts, &cfs, &cls);
    } else if (sha && *sha && store_cert_get(r->db, sha, &hosts, &cfs, &cls, e) < 0) {
        return -1;
    }
    dd_text(b, "Subject", jstr(tls, "subject")[0] ? jstr(tls, "subject") : jstr(tls, "subject_cn"));
    dd_text(b, "Issuer", jstr(tls, "issuer")[0] ? jstr(tls, "issuer") : jstr(tls, "issuer_cn"));
    dt(b, "Names (SAN)");
    const json_t *san = json_object_get(tls, "san");
    size_t i;
    const json_t *x;
    if (!json_array_size(san)) buf_appendf(b, "<span class=\"none\">-</span>");
    json_array_foreach(san, i, x)
    {
        buf_appendf(b, "<span class=\"chip plain\">");
        kit_html_n(b, json_string_value(x), 120);
        buf_appendf(b, "</span>");
    }
    buf_appendf(b, "</dd>");
    dt(b, "Valid");
    kit_html_n(b, jstr(tls, "not_before"), 32);
    buf_appendf(b, " → ");
    kit_html_n(b, jstr(tls, "not_after"), 32);
    if (json_is_true(json_object_get(tls, "expired")))
        buf_appendf(b, " <span class=\"tag bad\">expired</span>");
    if (json_is_true(json_object_get(tls, "not_yet_valid")))
        buf_appendf(b, " <span class=\"tag bad\">not yet valid</span>");
    buf_appendf(b, "</dd>");
    dt(b, "Key");
    kit_html_n(b, jstr(tls, "key"), 32);
    if (*jstr(tls, "sig_alg")) {
        buf_appendf(b, " · ");
        kit_html_n(b, jstr(tls, "sig_alg"), 64);
    }
    if (json_is_true(json_object_get(tls, "self_signed")))
        buf_appendf(b, " <span class=\"tag warn\">self-signed</span>");
    buf_appendf(b, "</dd>");
    dt(b, "Session");
    kit_html_n(b, jstr(tls, "version"), 16);
    if (*jstr(tls, "cipher")) {
        buf_appendf(b, " · ");
        kit_html_n(b, jstr(tls, "cipher"), 64);
    }
    buf_appendf(b, " · chain of %lld · %s</dd>", (long long)jint(tls, "chain_len"),
                json_is_true(json_object_get(tls, "verified")) ? "verified against the system store"
                                                               : "not verified");
    dt(b, "SHA-256");
    buf_appendf(b, "<code class=\"wrap\">");
    kit_html_n(b, jstr(tls, "sha256"), 64);
    buf_appendf(b, "</code></dd>");
    if (hosts) {
        char t1[32], t2[32];
        kit_time(cfs, t1, sizeof t1);
        kit_time(cls, t2, sizeof t2);
        dt(b, "Served by");
        buf_appendf(b, "<a href=\"/findings?scan=%lld" KIT_AMP "cert=", (long long)scan);
        kit_url(b, sha);
        buf_appendf(b, "\">%lld host%s</a>%s · seen %s → %s</dd>", (long long)hosts,
                    hosts == 1 ? "" : "s",
                    hosts > 1 ? " <span class=\"tag warn\">one private key on several "
                                "machines</span>"
                              : "",
                    t1, t2);
    }
    buf_appendf(b, "</dl></section>");
    return 0;
}

/* The assessment's mark on the listed name (in "names" or "fields") in the record's "marks"
 * (docs/record.md): its personal categories' bits (ids this ajar does not know are left out) and
 * whether it is a ransom note. A record without marks (an older ajar's) marks nothing. Only the
 * first FINDING_MAX_MARKS are read: ajar writes no more, and a row costs a pass over them. */
static unsigned mark_of(const json_t *marks, const char *in, const char *name, bool *ransom)
{
    size_t i;
    const json_t *m;
    *ransom = false;
    json_array_foreach(marks, i, m)
    {
        if (i >= FINDING_MAX_MARKS) break;
        if (strcmp(jstr(m, "in"), in) || strcmp(jstr(m, "name"), name)) continue;
        unsigned cat = 0;
        size_t k;
        const json_t *p;
        json_array_foreach(json_object_get(m, "personal"), k, p)
        {
            cat |= pii_category_parse(json_string_value(p));
        }
        *ransom = json_is_true(json_object_get(m, "ransom"));
        return cat;
    }
    return 0;
}

static void section_data(struct buf *b, const json_t *d, const json_t *marks)
{
    if (!json_is_object(d)) return;
    char a[32], c[32], n[32], y[32], ex[32];
    fmt_digits(jint(d, "databases"), a, sizeof a);
    fmt_digits(jint(d, "collections"), c, sizeof c);
    int64_t recs = jint(d, "records");
    fmt_digits(recs, ex, sizeof ex);
    if (recs >= 10000)
        fmt_short(recs, n, sizeof n);
    else
        str_copy(n, ex, sizeof n);
    fmt_bytes(jint(d, "bytes"), y, sizeof y);
    buf_appendf(b,
                "<section class=\"panel\" id=\"data\"><h2>Data (metadata only)</h2>"
                "<div class=\"cards small\"><div class=\"card\"><b>%s</b><span>databases</span>"
                "</div><div class=\"card\"><b>%s</b><span>collections / indices / tables</span>"
                "</div><div class=\"card\"><b>%s</b><span>records</span><small>%s</small></div>"
                "<div class=\"card\"><b>%s</b><span>size</span></div></div>",
                a, c, n, recs >= 10000 ? ex : "", y);
    const json_t *items = json_object_get(d, "items");
    const json_t *names = json_object_get(d, "names");
    size_t i;
    const json_t *x;
    if (json_array_size(names)) {
        buf_appendf(b,
                    "<table class=\"grid compact\"><thead><tr><th>Name</th><th class=\"n\">"
                    "Records</th><th class=\"n\">Size</th><th>Looks like</th></tr></thead><tbody>");
        json_array_foreach(names, i, x)
        {
            const char *nm = json_string_value(x);
            if (!nm) continue;
            int64_t rec = -1, by = -1;
            size_t k;
            const json_t *it;
            json_array_foreach(items, k, it)
            {
                if (!strcmp(jstr(it, "name"), nm)) {
                    rec = jint(it, "records");
                    by = jint(it, "bytes");
                    break;
                }
            }
            fmt_digits(rec, n, sizeof n);
            fmt_bytes(by, y, sizeof y);
            buf_appendf(b, "<tr><td class=\"mono\">");
            kit_html_n(b, nm, 200);
            buf_appendf(b, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>", n, y);
            bool ransom;
            unsigned cat = mark_of(marks, finding_mark_list_name(MARK_NAMES), nm, &ransom);
            for (unsigned bit = 1; bit && bit < (1u << PII_NCATEGORIES); bit <<= 1)
                if (cat & bit)
                    buf_appendf(b, "<span class=\"chip pii\">%s</span>", pii_category_label(bit));
            if (ransom) buf_appendf(b, "<span class=\"chip bad\">ransom note</span>");
            buf_appendf(b, "</td></tr>");
        }
        buf_appendf(b, "</tbody></table>");
        int64_t tot = jint(d, "names_total");
        if (tot > (int64_t)json_array_size(names))
            buf_appendf(b, "<p class=\"note\">The first %zu of %lld names.</p>",
                        json_array_size(names), (long long)tot);
    }
    const json_t *fields = json_object_get(d, "fields");
    if (json_array_size(fields)) {
        buf_appendf(b, "<h3>Fields</h3><p class=\"fields\">");
        json_array_foreach(fields, i, x)
        {
            const char *nm = json_string_value(x);
            if (!nm) continue;
            bool ransom;
            buf_appendf(b, "<span class=\"chip plain%s\">",
                        mark_of(marks, finding_mark_list_name(MARK_FIELDS), nm, &ransom) ? " pii"
                                                                                         : "");
            kit_html_n(b, nm, 128);
            buf_appendf(b, "</span>");
        }
        int64_t tot = jint(d, "fields_total");
        if (tot > (int64_t)json_array_size(fields))
            buf_appendf(b, " <span class=\"note\">(+%lld)</span>",
                        (long long)(tot - (int64_t)json_array_size(fields)));
        buf_appendf(b, "</p>");
    }
    buf_appendf(b, "</section>");
}

/* Other services at the same address in the same group; the `via` console. */
/* The neighbours' list items (section_related). */
struct related {
    struct web_req *r;
    struct buf *rows;
    const char *ip;
    uint16_t port;
    int n;
    int64_t via_obs; /* store_service_obs: the console's observation */
};

static int related_row(void *arg, const struct store_obs_row *x)
{
    struct related *c = arg;
    struct buf *rows = c->rows;
    if (c->r->scope && !wv_in_scope(c->r->ctx, c->r->scope, c->ip, x->record)) return 0;
    c->n++;
    enum severity sv = SEV_NONE;
    if (*x->severity) severity_parse(x->severity, &sv);
    bool through = x->port == c->port && record_has_via(x->record, strlen(x->record));
    buf_appendf(rows, "<li>");
    wp_sev_badge(rows, (int)sv);
    buf_appendf(rows, " <a href=\"/finding?id=%lld\" class=\"mono\">", (long long)x->obs);
    kit_html_n(rows, c->ip, 46);
    buf_appendf(rows, ":%u</a> ", x->port);
    kit_html_n(rows, x->service, 32);
    buf_appendf(rows, " <span class=\"dim\">");
    kit_html_n(rows, x->product, 64);
    buf_appendf(rows, " ");
    kit_html_n(rows, x->version, 64);
    buf_appendf(rows, "</span>");
    if (through)
        buf_appendf(rows, " <span class=\"tag via\">reached through this %s</span>", "console");
    buf_appendf(rows, "</li>");
    return 0;
}

static int via_row(void *arg, const struct store_obs_row *x)
{
    struct related *c = arg;
    /* the console's own finding, linked when the reader may open it (a viewer: in scope) */
    if (wv_in_scope(c->r->ctx, c->r->scope, c->ip, x->record)) c->via_obs = x->obs;
    return 1;
}

static int section_related(struct web_req *r, struct buf *b, const json_t *rec, const char *ip,
                           uint16_t port, const char *service, int64_t group, int64_t obs,
                           struct err *e)
{
    const json_t *via = json_object_get(rec, "via");
    struct buf rows;
    buf_init(&rows, 1 << 20);
    struct related c = {r, &rows, jstr(via, "ip"), port, 0, 0};
    if (json_is_object(via) && store_service_obs(r->db, jstr(via, "ip"), jint(via, "port"),
                                                 jstr(via, "service"), group, via_row, &c, e) < 0) {
        buf_free(&rows);
        return -1;
    }
    int64_t via_obs = c.via_obs;
    c.ip = ip;
    if (store_address_rows(r->db, ip, group, obs, 50, related_row, &c, e) < 0) {
        buf_free(&rows);
        return -1;
    }
    int n = c.n;
    if (json_is_object(via) || n) {
        buf_appendf(b, "<section class=\"panel\" id=\"related\"><h2>Dashboard and neighbours</h2>");
        if (json_is_object(via)) {
            buf_appendf(b, "<p class=\"via\">Reached <b>through a console</b>: ");
            if (via_obs) buf_appendf(b, "<a href=\"/finding?id=%lld\">", (long long)via_obs);
            kit_html_n(b, jstr(via, "service"), 32);
            buf_appendf(b, " at <span class=\"mono\">");
            kit_html_n(b, jstr(via, "ip"), 46);
            buf_appendf(b, ":%lld</span>", (long long)jint(via, "port"));
            if (via_obs) buf_appendf(b, "</a>");
            buf_appendf(b, " hands this ");
            kit_html_n(b, service, 32);
            buf_appendf(b, " to anyone who opens it: the dashboard is an open door to the data "
                           "store.</p>");
        }
        if (n) {
            buf_appendf(b, "<h3>Also at this address</h3><ul class=\"plain\">");
            buf_append(b, rows.data, rows.len);
            buf_appendf(b, "</ul>");
        }
        buf_appendf(b, "</section>");
    }
    buf_free(&rows);
    return 0;
}

/* Other findings of the group that reach the same data store (catalog_instance): the other
 * nodes of its cluster, or the store directly and through a console. From the group's view
 * when the cache holds it (wv_peek: a finding's page never waits for an index build), which
 * also knows which of them the totals count (WV_SHARED); at most 20 listed. */
static void section_same_store(struct web_req *r, struct buf *b, const json_t *rec,
                               const char *service, int64_t group, int64_t obs)
{
    const char *key = catalog_instance_key(service);
    const char *val =
        key ? json_string_value(json_object_get(json_object_get(rec, "details"), key)) : NULL;
    if (!finding_instance_id_ok(val)) return;
    char inst[160];
    str_fmt(inst, sizeof inst, "%s/%s", service, val);
    struct wv *v = wv_peek(r->ctx, group, r->scope); /* only when the scan's index is in memory */
    if (!v) return;
    int64_t want = wv_lookup(&v->instances, inst);
    size_t n = 0;
    bool counted_here = true;
    struct buf rows;
    buf_init(&rows, 1 << 16);
    for (size_t i = 0; want > 0 && i < v->n; i++) {
        const struct wv_row *w = &v->rows[i];
        if (w->instance != (uint32_t)want) continue;
        if (w->obs == obs) {
            counted_here = !(w->flags & WV_SHARED);
            continue;
        }
        if (++n > 20) continue;
        buf_appendf(&rows, "<li>");
        wp_sev_badge(&rows, w->severity);
        buf_appendf(&rows, " <a href=\"/finding?id=%lld\" class=\"mono\">", (long long)w->obs);
        kit_html_n(&rows, w->ip, 46);
        buf_appendf(&rows, ":%u</a>", w->port);
        if (w->flags & WV_VIA) buf_appendf(&rows, " <span class=\"tag via\">via a console</span>");
        if (!(w->flags & WV_SHARED)) buf_appendf(&rows, " <b>counted in the totals</b>");
        buf_appendf(&rows, "</li>");
    }
    wv_put(r->ctx, v);
    if (n) {
        buf_appendf(b, "<section class=\"panel\" id=\"store\"><h2>The same data store</h2>"
                       "<p>The server names its store <span class=\"mono\">");
        kit_html_n(b, key, 32);
        buf_appendf(b, " ");
        kit_html_n(b, val, 64);
        buf_appendf(b,
                    "</span>, and %zu other finding%s of this scan reach%s it. Its records and"
                    " bytes count once in the totals: %s.</p><ul class=\"plain\">",
                    n, n == 1 ? "" : "s", n == 1 ? "es" : "",
                    counted_here ? "here" : "at the finding marked below");
        buf_append(b, rows.data, rows.len);
        if (n > 20) buf_appendf(b, "<li>and %zu more</li>", n - 20);
        buf_appendf(b, "</ul></section>");
    }
    buf_free(&rows);
}

/* One observation as page_finding reads it (store_obs_get). */
struct obs_got {
    struct web_req *r;
    int64_t scan, service, group;
    char ip[64], transport[16], svc[40], cert[72], cluster[40];
    uint16_t port;
    time_t first, last, closed;
    json_t *rec;
    bool in_scope, in_scope_checked, oom;
};

static int obs_got_row(void *arg, const struct store_obs_row *x)
{
    struct obs_got *g = arg;
    g->scan = x->scan;
    g->service = x->service_id;
    g->group = x->group;
    str_copy(g->ip, x->address, sizeof g->ip);
    str_copy(g->transport, x->transport, sizeof g->transport);
    str_copy(g->svc, x->service, sizeof g->svc);
    str_copy(g->cert, x->cert, sizeof g->cert);
    str_copy(g->cluster, x->cluster, sizeof g->cluster);
    g->port = x->port;
    g->first = (time_t)x->service_first_seen;
    g->last = (time_t)x->service_last_seen;
    g->closed = (time_t)x->closed_at;
    g->in_scope = wv_in_scope(g->r->ctx, g->r->scope, x->address, x->record);
    g->in_scope_checked = true;
    json_error_t je;
    g->rec = *x->record ? json_loads(x->record, 0, &je) : NULL;
    return 1;
}

/* The finding page's heading: severity, address, service, product, auth, first and last seen. */
static void finding_heading(struct buf *b, const json_t *rec, const struct obs_got *g,
                            enum severity sev)
{
    int64_t scan = g->scan;
    const char *ip = g->ip, *svc = g->svc;
    uint16_t port = g->port;
    time_t first = g->first, last = g->last, closed = g->closed;
    buf_appendf(b,
                "<div class=\"head detail s%d\"><div><p class=\"crumbs\"><a href=\"/findings?"
                "scan=%lld\">Findings</a> › scan %lld</p><h1>",
                (int)sev, (long long)scan, (long long)scan);
    wp_sev_badge(b, (int)sev);
    buf_appendf(b, " <span class=\"mono\">");
    kit_html_n(b, ip, 46);
    buf_appendf(b, ":%u</span> ", port);
    kit_html_n(b, svc, 32);
    buf_appendf(b, "</h1><p class=\"sub\">");
    kit_html_n(b, jstr(rec, "product"), 64);
    buf_appendf(b, " ");
    kit_html_n(b, jstr(rec, "version"), 64);
    buf_appendf(b, " · auth <span class=\"auth %s\">", auth_cls(jstr(rec, "auth")));
    kit_html_n(b, jstr(rec, "auth"), 16);
    char t1[32], t2[32], d[32];
    kit_time(first, t1, sizeof t1);
    kit_time(last, t2, sizeof t2);
    buf_appendf(b, "</span> · first seen %s · last seen %s", t1, t2);
    if (closed) {
        char tc[32];
        kit_time(closed, tc, sizeof tc);
        buf_appendf(b, " · <span class=\"tag bad\">closed %s</span>", tc);
    } else {
        wp_duration((int64_t)(now_wall() - first), d, sizeof d);
        buf_appendf(b, " · <span class=\"tag open\">open for %s</span>", d);
    }
    buf_appendf(b, "</p></div></div>");
}

/* The finding page's signals, highest severity first. */
static void finding_signals(struct buf *b, const json_t *rec, int64_t scan)
{
    const json_t *sigs = json_object_get(rec, "signals");
    buf_appendf(b, "<section class=\"panel\" id=\"signals\"><h2>Signals</h2>");
    if (!json_array_size(sigs))
        buf_appendf(b, "<p class=\"none\">No signal: nothing wrong seen.</p>");
    else
        buf_appendf(b, "<table class=\"grid signals\"><tbody>");
    size_t nsig = json_array_size(sigs);
    const json_t *x;
    /* highest severity first, the record's order within one severity */
    for (int want = SEV_CRITICAL; want >= SEV_NONE; want--)
        for (size_t si = 0; si < nsig; si++) {
            x = json_array_get(sigs, si);
            enum severity ss = SEV_NONE;
            severity_parse(jstr(x, "severity"), &ss);
            if ((int)ss != want) continue;
            buf_appendf(b, "<tr><td>");
            wp_sev_badge(b, (int)ss);
            buf_appendf(
                b, "</td><td class=\"mono nowrap\"><a href=\"/findings?scan=%lld" KIT_AMP "signal=",
                (long long)scan);
            kit_url(b, jstr(x, "id"));
            buf_appendf(b, "\">");
            kit_html_n(b, jstr(x, "id"), 48);
            buf_appendf(b, "</a></td><td>");
            kit_html_n(b, jstr(x, "detail"), 300);
            buf_appendf(b, "</td></tr>");
        }
    if (json_array_size(sigs)) buf_appendf(b, "</tbody></table>");
    buf_appendf(b, "</section>");
}

/* GET /finding: one observation in depth (heading, signals, the service's facts, neighbours, the
 * same data store, data, certificate, history, the record). Long: about 140 lines; the scope check
 * and the reads come first and every section borrows them, so what is left here is their order. */
int page_finding(struct web_req *r, struct web_resp *o, struct err *e)
{
    int64_t id;
    int a = wp_arg_id(r, "id", &id);
    if (a == 1 && web_arg(r, "scan")) { /* the link an alert carries (store_obs_find) */
        int64_t scan;
        uint64_t port;
        const char *ip = web_arg(r, "ip"), *ps = web_arg(r, "port"), *svc = web_arg(r, "service");
        if (wp_arg_id(r, "scan", &scan) != 0 || !ip || !ip[0] || strlen(ip) > 64 || !ps ||
            parse_u64(ps, 65535, &port) < 0 || (svc && strlen(svc) > 64))
            return wp_error_page(r, o, 400, "Bad request",
                                 "Which finding? (/finding?scan=ID&ip=ADDRESS&port=PORT)");
        /* then as /finding?id= (the viewer's scope is checked on the observation); none found
         * leaves id 0, which no observation has: the same 404 */
        if (store_obs_find(r->db, scan, ip, (uint16_t)port, svc && svc[0] ? svc : NULL, &id, e) < 0)
            return -1;
        a = 0;
    }
    if (a == 1) return wp_error_page(r, o, 400, "Bad request", "Which finding? (/finding?id=...)");
    if (a < 0) return wp_error_page(r, o, 400, "Bad request", "id must be a finding's number.");
    struct obs_got g;
    memset(&g, 0, sizeof g);
    g.r = r;
    int q = store_obs_get(r->db, id, obs_got_row, &g, e);
    if (q < 0 || g.oom) {
        json_decref(g.rec);
        return q < 0 ? -1 : err_set(e, "out of memory");
    }
    if (q == 0 || (r->scope && !g.in_scope_checked)) {
        json_decref(g.rec);
        return wp_error_page(r, o, 404, "No such finding",
                             "No observation with this number is in the store.");
    }
    if (r->scope && !g.in_scope) {
        /* another tenant's: the same answer as no finding at all */
        json_decref(g.rec);
        auth_audit(r->audit, "out_of_scope", r->user, r->address, "a finding");
        return wp_error_page(r, o, 404, "No such finding",
                             "No observation with this number is in the store.");
    }
    json_t *rec = g.rec;
    if (!rec) {
        err_set(e, "the record of observation %lld does not parse", (long long)id);
        return -1;
    }
    int64_t scan = g.scan, service = g.service, group = g.group;
    char *ip = g.ip, *transport = g.transport, *svc = g.svc, *cert = g.cert, *cluster = g.cluster;
    uint16_t port = g.port;
    time_t first = g.first, closed = g.closed;
    struct hist *h = NULL;
    size_t nh = 0;
    int rc = -1;
    struct buf *b = &o->body;
    struct wv *sv = NULL; /* a viewer's view of the group: its counts are the scope's */
    if (r->scope && wv_get(r->ctx, r->db, group, r->scope, &sv, e) < 0) goto out;
    if (load_history(r->db, service, &h, &nh, e) < 0) goto out;
    enum severity sev = SEV_NONE;
    severity_parse(jstr(rec, "severity"), &sev);
    char title[128];
    str_fmt(title, sizeof title, "%s:%u %s", ip, port, svc);
    web_layout_begin(r, o, title, "findings");

    finding_heading(b, rec, &g, sev);

    finding_signals(b, rec, scan);

    buf_appendf(b, "<div class=\"cols\"><div>");
    /* facts */
    buf_appendf(b, "<section class=\"panel\" id=\"facts\"><h2>Service</h2><dl class=\"kv\">");
    dt(b, "Address");
    buf_appendf(b, "<span class=\"mono\">");
    kit_html_n(b, ip, 46);
    buf_appendf(b, ":%u/", port);
    kit_html_n(b, transport, 8);
    buf_appendf(b, "</span></dd>");
    if (*jstr(rec, "host")) dd_text(b, "Host name", jstr(rec, "host"));
    dd_text(b, "Service", svc);
    dd_text(b, "Product", jstr(rec, "product"));
    dd_text(b, "Version", jstr(rec, "version"));
    dt(b, "Authentication");
    buf_appendf(b, "<span class=\"auth %s\">", auth_cls(jstr(rec, "auth")));
    kit_html_n(b, jstr(rec, "auth"), 16);
    buf_appendf(b, "</span></dd>");
    if (r->ctx && r->ctx->owners) dd_text(b, "Owner", kit_owner_of(r->ctx->owners, ip));
    dd_text(b, "Observed", jstr(rec, "time"));
    dt(b, "Scan");
    buf_appendf(b, "<a href=\"/?scan=%lld\">%lld</a>", (long long)scan, (long long)scan);
    if (group != scan) buf_appendf(b, " (group %lld)", (long long)group);
    buf_appendf(b, "</dd>");
    if (*cluster) {
        dt(b, "Cluster");
        buf_appendf(b, "<a class=\"mono\" href=\"/cluster?id=");
        kit_url(b, cluster);
        buf_appendf(b, KIT_AMP "scan=%lld\">", (long long)scan);
        kit_html_n(b, cluster, 32);
        buf_appendf(b, "</a>");
        int64_t size = 0;
        if (sv) {
            int64_t cid = wv_lookup(&sv->clusters, cluster);
            size = cid > 0 ? sv->cl_size[cid] : 0;
        } else {
            time_t cf, cl;
            if (store_cluster_get(r->db, cluster, &cf, &cl, &size, e) < 0) goto out;
        }
        if (size > 1) buf_appendf(b, " · one of %lld identical deployments", (long long)size);
        buf_appendf(b, "</dd>");
    }
    if (*jstr(rec, "banner")) dd_text(b, "Banner", jstr(rec, "banner"));
    if (*jstr(rec, "error")) dd_text(b, "Probe error", jstr(rec, "error"));
    const json_t *det = json_object_get(rec, "details");
    const char *k;
    const json_t *dv;
    json_object_foreach((json_t *)det, k, dv)
    {
        buf_appendf(b, "<dt class=\"mono\">");
        kit_html_n(b, k, 48);
        buf_appendf(b, "</dt><dd>");
        json_text(b, dv, 300);
        buf_appendf(b, "</dd>");
    }
    buf_appendf(b, "</dl></section>");
    if (section_related(r, b, rec, ip, port, svc, group, id, e) < 0) goto out;
    section_same_store(r, b, rec, svc, group, id);
    buf_appendf(b, "</div><div>");
    section_data(b, json_object_get(rec, "data"), json_object_get(rec, "marks"));
    if (section_cert(r, b, json_object_get(rec, "tls"), cert, scan, sv, e) < 0) goto out;
    buf_appendf(b, "</div></div>");
    section_history(b, h, nh, id, first, closed);

    /* the record itself */
    char *pretty = json_dumps(rec, JSON_INDENT(2));
    buf_appendf(b, "<details class=\"panel\"><summary>The record (JSON)</summary><pre>");
    kit_html(b, pretty ? pretty : "");
    buf_appendf(b, "</pre></details>");
    free(pretty);
    web_layout_end(r, o);
    rc = 0;
out:
    wv_put(r->ctx, sv);
    free(h);
    json_decref(rec);
    return rc;
}
