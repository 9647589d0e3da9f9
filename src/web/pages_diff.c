/*
 * web/pages_diff.c -- the difference between two scans (/diff?old=&new=):
 * the in-memory views of the two scan groups, walked in address order side
 * by side, the way `ajar diff` compares two scans: an exposure is the same
 * when address, port and service are equal (transport is always tcp today).
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- diff ---- */

#define DIFF_MAX_ROWS 500

static void diff_row(struct buf *b, const struct wv *v, const struct wv_row *w, const char *mark)
{
    char rec[32];
    if (!w) return;
    fmt_digits(w->records, rec, sizeof rec);
    buf_appendf(b, "<tr><td class=\"mark\">%s</td><td>", mark);
    wp_sev_badge(b, w->severity);
    buf_appendf(b, "</td><td class=\"mono\"><a href=\"/finding?id=%lld\">", (long long)w->obs);
    kit_html_n(b, w->ip, 46);
    buf_appendf(b, ":%u</a></td><td>", w->port);
    kit_html_n(b, wv_str(&v->services, w->service), 32);
    buf_appendf(b, "</td><td>");
    kit_html_n(b, wv_str(&v->prodvers, w->prodver), 60);
    buf_appendf(b, "</td><td>%s</td><td class=\"n\">%s</td>", auth_name((enum auth_state)w->auth),
                rec);
}

static void diff_changes(struct buf *b, const struct wv *va, const struct wv_row *a,
                         const struct wv *vb, const struct wv_row *w)
{
    bool any = false;
    char x[32], y[32];
    buf_appendf(b, "<td><ul class=\"changes\">");
    if (strcmp(wv_str(&va->prodvers, a->prodver), wv_str(&vb->prodvers, w->prodver)))
        wp_change(b, &any, "version", wv_str(&va->prodvers, a->prodver),
                  wv_str(&vb->prodvers, w->prodver));
    if (a->auth != w->auth)
        wp_change(b, &any, "auth", auth_name((enum auth_state)a->auth),
                  auth_name((enum auth_state)w->auth));
    if (strcmp(wv_str(&va->certs, a->cert), wv_str(&vb->certs, w->cert))) {
        str_fmt(x, sizeof x, "%.12s", wv_str(&va->certs, a->cert));
        str_fmt(y, sizeof y, "%.12s", wv_str(&vb->certs, w->cert));
        wp_change(b, &any, "certificate", x, y);
    }
    if (a->records != w->records) {
        fmt_digits(a->records, x, sizeof x);
        fmt_digits(w->records, y, sizeof y);
        wp_change(b, &any, "records", x, y);
    }
    if (a->bytes != w->bytes) {
        fmt_bytes(a->bytes, x, sizeof x);
        fmt_bytes(w->bytes, y, sizeof y);
        if (!strcmp(x, y)) {
            fmt_digits(a->bytes, x, sizeof x);
            fmt_digits(w->bytes, y, sizeof y);
        }
        wp_change(b, &any, "bytes", x, y);
    }
    if (a->severity != w->severity)
        wp_change(b, &any, "severity", wp_sev(a->severity), wp_sev(w->severity));
    buf_appendf(b, "</ul></td></tr>");
}

static bool row_changed(const struct wv *va, const struct wv_row *a, const struct wv *vb,
                        const struct wv_row *w)
{
    return strcmp(wv_str(&va->prodvers, a->prodver), wv_str(&vb->prodvers, w->prodver)) ||
           a->auth != w->auth || a->records != w->records || a->bytes != w->bytes ||
           a->severity != w->severity ||
           strcmp(wv_str(&va->certs, a->cert), wv_str(&vb->certs, w->cert));
}

/* GET /diff: one merge walk over the two scans' views sorted by (address, port, service),
 * writing new, closed and changed rows as it meets them. Long: about 150 lines, because
 * the walk keeps two cursors, three counters and three row lists in step, and cut into pieces
 * it would pass all of them around. */
int page_diff(struct web_req *r, struct web_resp *o, struct err *e)
{
    int64_t old_id = 0, new_id = 0;
    int ao = wp_arg_id(r, "old", &old_id), an = wp_arg_id(r, "new", &new_id);
    if (ao < 0 || an < 0)
        return wp_error_page(r, o, 400, "Bad request", "old and new must be scan ids.");
    struct wp_scan so, sn;
    if (an == 1) {
        if (ao == 0) return wp_error_page(r, o, 400, "Bad request", "Give new as well as old.");
        struct web_req r2 = *r;
        r2.get_arg = NULL; /* the newest finished scan */
        int q = wp_pick_scan(&r2, &sn, e);
        if (q == -1) return -1;
        if (q == 1) return wp_error_page(r, o, 404, "Nothing to compare", "The store has no scan.");
        new_id = sn.id;
    } else {
        int q = wp_scan_get(r->db, new_id, &sn, e);
        if (q < 0) return -1;
        if (q == 1)
            return wp_error_page(r, o, 404, "No such scan", "The new scan is not in the store.");
    }
    if (ao == 1) {
        if (store_prev_scan_db(r->db, new_id, &old_id, e) < 0) return -1;
        if (!old_id)
            return wp_error_page(r, o, 404, "Nothing to compare",
                                 "This scan has no earlier complete scan of the same targets.");
    }
    int q = wp_scan_get(r->db, old_id, &so, e);
    if (q < 0) return -1;
    if (q == 1)
        return wp_error_page(r, o, 404, "No such scan", "The old scan is not in the store.");
    /* like with like: two complete coverages of one scope, or the part not reached would show
     * as closed */
    const struct wp_scan *part = !so.complete ? &so : !sn.complete ? &sn : NULL;
    if (part) {
        char m[400];
        str_fmt(m, sizeof m,
                "%s: not a complete coverage, so what it did not reach would show as closed. "
                "Compare two complete scans of the same targets.",
                part->coverage);
        return wp_error_page(r, o, 409, "Not comparable", m);
    }
    if (strcmp(so.scope, sn.scope) != 0)
        return wp_error_page(r, o, 409, "Not comparable",
                             "The two scans covered different targets.");
    struct wv *va = NULL, *vb = NULL;
    if (wv_get(r->ctx, r->db, so.group, r->scope, &va, e) < 0) return -1;
    if (wv_get(r->ctx, r->db, sn.group, r->scope, &vb, e) < 0) {
        wv_put(r->ctx, va);
        return -1;
    }
    struct buf *b = &o->body;
    struct buf nb, cb, ch;
    buf_init(&nb, WEB_BODY_CAP / 4);
    buf_init(&cb, WEB_BODY_CAP / 4);
    buf_init(&ch, WEB_BODY_CAP / 4);
    size_t nnew = 0, nclosed = 0, nchanged = 0, same = 0, i = 0, k = 0;
    const uint32_t *pa = va->perm[WV_SORT_ADDRESS], *pb = vb->perm[WV_SORT_ADDRESS];
    while (i < va->n || k < vb->n) {
        const struct wv_row *a = i < va->n ? &va->rows[pa[i]] : NULL;
        const struct wv_row *w = k < vb->n ? &vb->rows[pb[k]] : NULL;
        int d = !a ? 1 : !w ? -1 : wv_cmp_key(va, a, vb, w);
        if (d < 0) {
            if (nclosed++ < DIFF_MAX_ROWS) {
                diff_row(&cb, va, a, "−");
                buf_appendf(&cb, "<td></td></tr>");
            }
            i++;
        } else if (d > 0) {
            if (nnew++ < DIFF_MAX_ROWS) {
                diff_row(&nb, vb, w, "+");
                buf_appendf(&nb, "<td></td></tr>");
            }
            k++;
        } else {
            if (row_changed(va, a, vb, w)) {
                if (nchanged++ < DIFF_MAX_ROWS) {
                    diff_row(&ch, vb, w, "~");
                    diff_changes(&ch, va, a, vb, w);
                }
            } else {
                same++;
            }
            i++;
            k++;
        }
    }
    char t1[32], t2[32], n1[32], n2[32], n3[32], n4[32];
    kit_time(so.start, t1, sizeof t1);
    kit_time(sn.start, t2, sizeof t2);
    web_layout_begin(r, o, "Diff", "scans");
    buf_appendf(b,
                "<div class=\"head\"><div><h1>What changed</h1><p class=\"sub\">From scan "
                "<a href=\"/?scan=%lld\">%lld</a> (%s) to scan <a href=\"/?scan=%lld\">%lld</a>"
                " (%s)</p>",
                (long long)so.id, (long long)so.id, t1, (long long)sn.id, (long long)sn.id, t2);
    if (strcmp(so.scope, sn.scope))
        buf_appendf(b, "<p class=\"banner warn\">The two scans covered different targets: what "
                       "one did not scan shows as new or closed.</p>");
    if (so.group == sn.group)
        buf_appendf(b, "<p class=\"banner warn\">Both scans belong to the same group: nothing "
                       "to compare.</p>");
    buf_appendf(b,
                "</div><form method=\"get\" action=\"/diff\" class=\"pick\"><label for=\"old\">"
                "Old</label><input id=\"old\" name=\"old\" size=\"6\" inputmode=\"numeric\" "
                "value=\"%lld\"><label for=\"new\">New</label><input id=\"new\" name=\"new\" "
                "size=\"6\" inputmode=\"numeric\" value=\"%lld\"><button type=\"submit\">"
                "Compare</button></form></div>",
                (long long)so.id, (long long)sn.id);
    fmt_digits((int64_t)nnew, n1, sizeof n1);
    fmt_digits((int64_t)nclosed, n2, sizeof n2);
    fmt_digits((int64_t)nchanged, n3, sizeof n3);
    fmt_digits((int64_t)same, n4, sizeof n4);
    buf_appendf(b,
                "<div class=\"cards\"><a class=\"card c4\" href=\"#new\"><b>%s</b><span>new</span>"
                "</a><a class=\"card ok\" href=\"#closed\"><b>%s</b><span>closed</span></a>"
                "<a class=\"card c3\" href=\"#changed\"><b>%s</b><span>changed</span></a>"
                "<div class=\"card\"><b>%s</b><span>unchanged</span></div></div>",
                n1, n2, n3, n4);
    static const char head[] = "<table class=\"grid diff\"><thead><tr><th></th><th>Severity</th>"
                               "<th>Address</th><th>Service</th><th>Product</th><th>Auth</th>"
                               "<th class=\"n\">Records</th><th>Changes</th></tr></thead><tbody>";
    const struct {
        const char *id, *title;
        struct buf *rows;
        size_t n;
    } parts[] = {{"new", "New exposures", &nb, nnew},
                 {"closed", "Closed (not seen by the new scan)", &cb, nclosed},
                 {"changed", "Changed", &ch, nchanged}};
    for (size_t p = 0; p < ARRAY_LEN(parts); p++) {
        buf_appendf(b, "<section class=\"panel flush\" id=\"%s\"><h2 class=\"pad\">%s (%zu)</h2>",
                    parts[p].id, parts[p].title, parts[p].n);
        if (!parts[p].n) {
            buf_appendf(b, "<p class=\"none pad\">None.</p></section>");
            continue;
        }
        buf_append(b, head, sizeof head - 1);
        buf_append(b, parts[p].rows->data, parts[p].rows->len);
        buf_appendf(b, "</tbody></table>");
        if (parts[p].n > DIFF_MAX_ROWS)
            buf_appendf(b, "<p class=\"note pad\">The first %d of %zu, in address order.</p>",
                        DIFF_MAX_ROWS, parts[p].n);
        buf_appendf(b, "</section>");
    }
    web_layout_end(r, o);
    buf_free(&nb);
    buf_free(&cb);
    buf_free(&ch);
    wv_put(r->ctx, va);
    wv_put(r->ctx, vb);
    return 0;
}
