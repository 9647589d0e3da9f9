/*
 * kit/chart.c -- the charts of the report and the dashboard (see chart.h):
 * the inks, the SVG pieces both styles share, legends, bars, then the
 * charts over time.
 */
#include "kit/chart.h"
#include "kit/kit.h"
#include "core/finding.h"
#include "core/units.h"

#include <string.h>

#define KC_NUM 32 /* a number or coordinate as text */

/* The inks: the report's colours, the dashboard's class stems (its style sheet has the
 * colours of the stems it draws: f0..f5, fsig, l0..l5, ltot, b0..b5, btot). */
static const struct {
    const char *colour, *stem;
} inks[KIT_INK_N] = {
    {"#b8b8b8", "0"},
    {"#8d99ae", "1"},
    {"#3c91e6", "2"},
    {"#f0a202", "3"},
    {"#e4572e", "4"},
    {"#b3001b", "5"},
    [KIT_INK_TOTAL] = {"#1d2330", "tot"},
    [KIT_INK_RECORDS] = {"#5b6cc4", "rec"},
    [KIT_INK_BYTES] = {"#9b59b6", "bytes"},
    [KIT_INK_CLUSTER] = {"#2f7f8f", "cl"},
    [KIT_INK_SIGNAL] = {"#5b7fd6", "sig"},
    [KIT_INK_VALID] = {"#2a9d55", "valid"},
    [KIT_INK_EXPIRED] = {"#b3001b", "exp"},
};

/* a + b for counts, held at INT64_MAX (no count of a store comes near; a hostile one may) */
static int64_t sat_add(int64_t a, int64_t b)
{
    return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int ink_ix(int ink)
{
    return ink >= 0 && ink < KIT_INK_N ? ink : 0;
}

static void kc_fill(struct buf *b, enum kit_chart_style st, int ink)
{
    if (st == KIT_CHART_CLASSES)
        buf_appendf(b, " class=\"f%s\"", inks[ink_ix(ink)].stem);
    else
        buf_appendf(b, " fill=\"%s\"", inks[ink_ix(ink)].colour);
}

static void kc_stroke(struct buf *b, enum kit_chart_style st, int ink)
{
    if (st == KIT_CHART_CLASSES)
        buf_appendf(b, " class=\"l%s\"", inks[ink_ix(ink)].stem);
    else
        buf_appendf(b, " stroke=\"%s\"", inks[ink_ix(ink)].colour);
}

static void kc_look(struct buf *b, enum kit_chart_style st, const char *attrs, const char *cls)
{
    if (st == KIT_CHART_CLASSES)
        buf_appendf(b, " class=\"%s\"", cls);
    else
        buf_appendf(b, "%s", attrs);
}

static const char *kc_y(enum kit_chart_style st, double v, char *out)
{
    /* the report writes a row's y as short as it goes, the dashboard with one decimal */
    str_fmt(out, KC_NUM, st == KIT_CHART_CLASSES ? "%.1f" : "%g", v);
    return out;
}

static const char *kc_count(enum kit_chart_style st, int64_t v, char *out)
{
    if (st == KIT_CHART_CLASSES)
        fmt_digits(v, out, KC_NUM);
    else
        str_fmt(out, KC_NUM, "%lld", (long long)v);
    return out;
}

static const char *kc_sev(int s)
{
    return severity_name((enum severity)(s >= 0 && s < 6 ? s : 0));
}

static void kc_open(struct buf *b, enum kit_chart_style st, const char *cls, double w, double h,
                    const char *aria)
{
    if (st == KIT_CHART_CLASSES)
        buf_appendf(b, "<svg class=\"chart%s%s\"", cls ? " " : "", cls ? cls : "");
    else
        buf_appendf(b, "<svg");
    buf_appendf(b, " viewBox=\"0 0 %.0f %.0f\" role=\"img\"", w, h);
    if (aria) {
        buf_appendf(b, " aria-label=\"");
        kit_html(b, aria);
        buf_appendf(b, "\"");
    }
    buf_appendf(b, st == KIT_CHART_CLASSES ? ">" : ">\n");
}

static void kc_row_end(struct buf *b, enum kit_chart_style st)
{
    if (st != KIT_CHART_CLASSES) buf_appendf(b, "\n");
}

static void kc_label(struct buf *b, enum kit_chart_style st, double x, double y, const char *s,
                     size_t cap)
{
    char ys[KC_NUM];
    buf_appendf(b, "<text x=\"%g\" y=\"%s\" text-anchor=\"end\">", x, kc_y(st, y, ys));
    kit_html_n(b, s, cap);
    buf_appendf(b, "</text>");
}

static void kc_date(time_t t, char *out, size_t n)
{
    char d[32];
    time_fmt_utc(t, d, sizeof d);
    char *T = strchr(d, 'T');
    if (T) *T = 0; /* the date */
    str_copy(out, d, n);
}

int64_t kit_chart_nice_max(int64_t max)
{
    int64_t m = max < 4 ? 4 : max, step = 1;
    if (m > INT64_MAX / 4) return m; /* no room to round: the value itself */
    while (step <= INT64_MAX / 10 && step * 10 < m)
        step *= 10;
    int64_t r = (m + step - 1) / step * step;
    if (r / step > 5 && r % (step * 2)) r += step; /* divisible into 4 even steps most often */
    return r;
}

void kit_time(time_t t, char *out, size_t n)
{
    char b[32];
    if (!t) {
        str_copy(out, "-", n);
        return;
    }
    time_fmt_utc(t, b, sizeof b); /* 2026-11-21T10:00:00Z; a year past 9999 is left whole */
    if (strlen(b) == 20 && b[10] == 'T') {
        b[10] = ' ';
        b[16] = 0;
        str_fmt(out, n, "%s UTC", b);
    } else {
        str_copy(out, b, n);
    }
}

/* ---- legends ---- */

static void swatch(struct buf *b, enum kit_chart_style st, int ink, const char *name)
{
    if (st == KIT_CHART_CLASSES)
        buf_appendf(b, "<span><i class=\"sw b%s\"></i>", inks[ink_ix(ink)].stem);
    else
        buf_appendf(b, "<span><i style=\"background:%s\"></i>", inks[ink_ix(ink)].colour);
    kit_html(b, name);
    buf_appendf(b, "</span>");
}

static void legend_open(struct buf *b, enum kit_chart_style st)
{
    buf_appendf(b, st == KIT_CHART_CLASSES ? "<div class=\"legend\">" : "<p class=\"legend\">");
}

static void legend_close(struct buf *b, enum kit_chart_style st, const char *note)
{
    if (note) buf_appendf(b, " %s", note);
    buf_appendf(b, st == KIT_CHART_CLASSES ? "</div>" : "</p>\n");
}

void kit_chart_legend_items(struct buf *b, enum kit_chart_style st, const int *ink,
                            const char *const *names, size_t n, const char *note)
{
    legend_open(b, st);
    for (size_t i = 0; i < n; i++)
        swatch(b, st, ink[i], names[i]);
    legend_close(b, st, note);
}

void kit_chart_legend(struct buf *b, enum kit_chart_style st, bool total)
{
    legend_open(b, st);
    if (total) swatch(b, st, KIT_INK_TOTAL, "all");
    for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
        swatch(b, st, s, kc_sev(s));
    legend_close(b, st, NULL);
}

/* ---- bars ---- */

/* A row of bars: label column, bar start and length, row pitch, first row's top, bar height,
 * text baseline below the top, the view box's margin below the rows, the label's and the
 * tooltip's cut, the narrowest bar drawn (a count of 1 among thousands stays visible). */
struct bar_geom {
    double w, x0, wbar, pitch, top, h, base, pad;
    size_t cap, title_cap;
    double minw;
};
static const struct bar_geom bar_geom[2] = {
    [KIT_CHART_INLINE] = {1000, 170, 720, 26, 5, 20, 15, 10, 24, 4096, 0},
    /* the dashboard's bars sit in half-width panels: a 560-wide view box keeps text readable */
    [KIT_CHART_CLASSES] = {560, 190, 300, 24, 3, 18, 14, 6, 22, 64, 0.5},
};

static int64_t bars_row(const struct kit_bars *c, size_t i)
{
    if (!c->by_sev) return c->vals[i];
    int64_t t = 0;
    for (int s = 0; s < 6; s++)
        t = sat_add(t, c->by_sev[i][s] > 0 ? c->by_sev[i][s] : 0);
    return t;
}

/* One bar of a row, its tooltip "label: count[ severity]"; its length. Stacked segments start at
 * a computed x (one decimal), a lone bar at the label column (an integer). */
static double bar_rect(struct buf *b, enum kit_chart_style st, const struct bar_geom *g, double x,
                       double y, int64_t v, int64_t max, int ink, const char *label, bool stacked)
{
    char ys[KC_NUM], num[KC_NUM];
    double w = v > 0 ? g->wbar * (double)v / (double)max : 0;
    if (stacked)
        buf_appendf(b, "<rect x=\"%.1f\"", x);
    else
        buf_appendf(b, "<rect x=\"%g\"", x);
    buf_appendf(b, " y=\"%s\" width=\"%.1f\" height=\"%g\"", kc_y(st, y, ys),
                w < g->minw ? g->minw : w, g->h);
    kc_fill(b, st, ink);
    buf_appendf(b, "><title>");
    kit_html_n(b, label, g->title_cap);
    buf_appendf(b, ": %s", kc_count(st, v, num));
    if (stacked) buf_appendf(b, " %s", kc_sev(ink));
    buf_appendf(b, "</title></rect>");
    return w;
}

void kit_chart_bars(struct buf *b, enum kit_chart_style st, const struct kit_bars *c)
{
    const struct bar_geom *g = &bar_geom[st == KIT_CHART_CLASSES];
    size_t n = c->n < KIT_CHART_MAX_ROWS ? c->n : KIT_CHART_MAX_ROWS;
    if (!c->by_sev && !c->vals) n = 0;
    int64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (bars_row(c, i) > max) max = bars_row(c, i);
    kc_open(b, st, NULL, g->w, (double)n * g->pitch + g->pad, c->aria);
    for (size_t i = 0; i < n; i++) {
        double y = g->top + (double)i * g->pitch, x = g->x0;
        const char *label = c->labels ? c->labels[i] : "";
        const char *href = c->hrefs ? c->hrefs[i] : NULL;
        char num[KC_NUM], ys[KC_NUM];
        if (href) {
            buf_appendf(b, "<a href=\"");
            kit_html(b, href);
            buf_appendf(b, "\">");
        }
        kc_label(b, st, g->x0 - 8, y + g->base, label, g->cap);
        if (!c->by_sev) x += bar_rect(b, st, g, x, y, c->vals[i], max, c->ink, label, false);
        for (int s = SEV_CRITICAL; c->by_sev && s >= SEV_NONE; s--)
            if (c->by_sev[i][s] > 0)
                x += bar_rect(b, st, g, x, y, c->by_sev[i][s], max, s, label, true);
        buf_appendf(b, "<text x=\"%.1f\" y=\"%s\"", x + 6, kc_y(st, y + g->base, ys));
        kc_look(b, st, "", "val");
        buf_appendf(b, ">%s</text>", kc_count(st, bars_row(c, i), num));
        if (href) buf_appendf(b, "</a>");
        kc_row_end(b, st);
    }
    buf_appendf(b, "</svg>");
}

void kit_chart_sev_bar(struct buf *b, enum kit_chart_style st, const int64_t by_sev[6],
                       const char *qs)
{
    int64_t total = 0;
    for (int s = 0; s < 6; s++)
        total = sat_add(total, by_sev[s] > 0 ? by_sev[s] : 0);
    kc_open(b, st, NULL, 1000, 34, "findings by severity");
    if (!total) {
        buf_appendf(b, "<rect x=\"0\" y=\"4\" width=\"1000\" height=\"26\"");
        kc_fill(b, st, SEV_NONE);
        buf_appendf(b, "/>");
    }
    double x = 0;
    for (int s = SEV_CRITICAL; s >= SEV_NONE && total; s--) {
        if (by_sev[s] <= 0) continue;
        double w = 1000.0 * (double)by_sev[s] / (double)total;
        char n[KC_NUM];
        kc_count(st, by_sev[s], n);
        if (qs) buf_appendf(b, "<a href=\"/findings?%s" KIT_AMP "severity=%s\">", qs, kc_sev(s));
        buf_appendf(b, "<rect x=\"%.1f\" y=\"4\" width=\"%.1f\" height=\"26\"", x, w);
        kc_fill(b, st, s);
        buf_appendf(b, "><title>%s: %s</title></rect>", kc_sev(s), n);
        if (w > 70) {
            buf_appendf(b, "<text x=\"%.1f\" y=\"22\"", x + 6);
            kc_look(b, st, " fill=\"#fff\"", "in");
            buf_appendf(b, ">%s %s</text>", n, kc_sev(s));
        }
        if (qs) buf_appendf(b, "</a>");
        x += w;
    }
    buf_appendf(b, "</svg>");
}

void kit_chart_volume(struct buf *b, enum kit_chart_style st, const struct kit_volume_row *rows,
                      size_t n)
{
    const double x0 = 170, wbar = 640;
    int64_t maxr = 0, maxb = 0;
    if (n > KIT_CHART_MAX_ROWS) n = KIT_CHART_MAX_ROWS;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].records > maxr) maxr = rows[i].records;
        if (rows[i].bytes > maxb) maxb = rows[i].bytes;
    }
    kc_open(b, st, NULL, 1000, (double)n * 34 + 10, "exposed volume");
    for (size_t i = 0; i < n; i++) {
        double y = 5 + (double)i * 34;
        char rec[KC_NUM], by[KC_NUM], y1[KC_NUM], y2[KC_NUM], y3[KC_NUM];
        fmt_digits(rows[i].records, rec, sizeof rec);
        fmt_bytes(rows[i].bytes, by, sizeof by);
        double wr = maxr && rows[i].records > 0 ? wbar * (double)rows[i].records / (double)maxr : 0;
        double wb = maxb && rows[i].bytes > 0 ? wbar * (double)rows[i].bytes / (double)maxb : 0;
        kc_label(b, st, x0 - 8, y + 18, rows[i].label, 24);
        buf_appendf(b, "<rect x=\"%g\" y=\"%s\" width=\"%.1f\" height=\"13\"", x0, kc_y(st, y, y1),
                    wr);
        kc_fill(b, st, KIT_INK_RECORDS);
        buf_appendf(b, "/><text x=\"%.1f\" y=\"%s\">%s records</text>", x0 + wr + 6,
                    kc_y(st, y + 11, y2), rec);
        buf_appendf(b, "<rect x=\"%g\" y=\"%s\" width=\"%.1f\" height=\"13\"", x0,
                    kc_y(st, y + 15, y1), wb);
        kc_fill(b, st, KIT_INK_BYTES);
        buf_appendf(b, "/><text x=\"%.1f\" y=\"%s\">%s</text>", x0 + wb + 6, kc_y(st, y + 26, y3),
                    by);
        kc_row_end(b, st);
    }
    buf_appendf(b, "</svg>");
}

void kit_chart_clusters(struct buf *b, enum kit_chart_style st, const struct kit_cluster_row *rows,
                        size_t n)
{
    const double x0 = 330, wbar = 560;
    int64_t max = 1;
    if (n > KIT_CHART_MAX_ROWS) n = KIT_CHART_MAX_ROWS;
    for (size_t i = 0; i < n; i++)
        if (rows[i].members > max) max = rows[i].members;
    kc_open(b, st, NULL, 1000, (double)n * 24 + 10, "clusters");
    for (size_t i = 0; i < n; i++) {
        const struct kit_cluster_row *c = &rows[i];
        double y = 5 + (double)i * 24;
        double w = c->members > 0 ? wbar * (double)c->members / (double)max : 0;
        char ys[KC_NUM], yt[KC_NUM], num[KC_NUM];
        buf_appendf(b, "<text x=\"%g\" y=\"%s\" text-anchor=\"end\">", x0 - 8,
                    kc_y(st, y + 14, yt));
        kit_html_n(b, c->id, 16);
        buf_appendf(b, " \xc2\xb7 ");
        kit_html_n(b, c->product && c->product[0] ? c->product : "-", 20);
        buf_appendf(b, " ");
        kit_html_n(b, c->version, 12);
        buf_appendf(b, "</text><rect x=\"%g\" y=\"%s\" width=\"%.1f\" height=\"18\"", x0,
                    kc_y(st, y, ys), w);
        kc_fill(b, st, KIT_INK_CLUSTER);
        buf_appendf(b, "/><text x=\"%.1f\" y=\"%s\">%s members", x0 + w + 6, yt,
                    kc_count(st, c->members, num));
        if (c->stores < c->members)
            buf_appendf(b, " (%s data stores)", kc_count(st, c->stores, num));
        buf_appendf(b, "</text>");
        kc_row_end(b, st);
    }
    buf_appendf(b, "</svg>");
}

/* ---- over time ---- */

/* The plot's box, the points' inset from its sides, the view box's height, the ticks' gap to
 * the left of the axis. */
struct trend_geom {
    double x0, x1, y0, y1, inset, h, tick_dx;
    const char *aria;
};
static const struct trend_geom trend_geom[2] = {
    [KIT_CHART_INLINE] = {60, 970, 20, 260, 20, 300, 6, "open services over time"},
    [KIT_CHART_CLASSES] = {60, 980, 14, 170, 0, 196, 8, "findings per scan over time"},
};

static double trend_x(const struct trend_geom *g, size_t i, size_t n)
{
    if (n == 1) return (g->x0 + g->x1) / 2;
    return g->x0 + g->inset + (g->x1 - g->x0 - 2 * g->inset) * (double)i / (double)(n - 1);
}

static double trend_y(const struct trend_geom *g, int64_t v, int64_t max)
{
    return g->y1 - (g->y1 - g->y0) * (double)v / (double)max;
}

static int64_t trend_total(const int64_t by_sev[6])
{
    int64_t t = 0;
    for (int s = 0; s < 6; s++)
        t = sat_add(t, by_sev[s] > 0 ? by_sev[s] : 0);
    return t;
}

/* The value axis: five ticks from 0 to max. The report's (no class) has the axes and the exact
 * quarters; the dashboard's, a nice max, the ticks short (1.2k). */
static void trend_grid(struct buf *b, enum kit_chart_style st, const struct trend_geom *g,
                       int64_t max)
{
    if (st != KIT_CHART_CLASSES)
        buf_appendf(b,
                    "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#888\"/>"
                    "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#888\"/>\n",
                    g->x0, g->y1, g->x1, g->y1, g->x0, g->y0, g->x0, g->y1);
    for (int k = 0; k <= 4; k++) {
        double y = g->y1 - (g->y1 - g->y0) * k / 4.0;
        char tick[KC_NUM];
        if (st == KIT_CHART_CLASSES) {
            fmt_short(max / 4 * k + max % 4 * k / 4, tick, sizeof tick); /* max * k / 4 */
            buf_appendf(b,
                        "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                        "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" class=\"ax\">%s</text>",
                        g->x0, g->x1, y, y, g->x0 - g->tick_dx, y + 4, tick);
        } else {
            str_fmt(tick, sizeof tick, "%.0f", (double)max * k / 4.0);
            buf_appendf(b,
                        "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#e3e6ec\"/>"
                        "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                        g->x0, y, g->x1, y, g->x0 - g->tick_dx, y + 4, tick);
        }
    }
}

/* The time axis of the report: each date and scan when they fit (8), else the first, the
 * middle and the last. */
static void trend_dates_inline(struct buf *b, const struct trend_geom *g, const time_t *t,
                               const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (n > 8 && i != 0 && i != n - 1 && i != n / 2) continue;
        char d[KC_NUM];
        kc_date(t[i], d, sizeof d); /* a scope is rescanned daily at most in practice */
        buf_appendf(b, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%s #%lld</text>\n",
                    trend_x(g, i, n), g->y1 + 18, d, (long long)ids[i]);
    }
}

/* The dashboard's points: a dot per scan (its total) linking to its overview, every
 * ceil(n/10)th date (and the last) below. */
static void trend_dots_classes(struct buf *b, const struct trend_geom *g, const time_t *t,
                               const int64_t *ids, const int64_t (*by_sev)[6], size_t n,
                               int64_t max)
{
    size_t every = n > 10 ? (n + 9) / 10 : 1;
    for (size_t i = 0; i < n; i++) {
        int64_t tot = trend_total(by_sev[i]);
        char d[KC_NUM], num[KC_NUM];
        kit_time(t[i], d, sizeof d);
        fmt_digits(tot, num, sizeof num);
        buf_appendf(b,
                    "<a href=\"/?scan=%lld\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                    "class=\"dot\"><title>scan %lld, %s: %s findings",
                    (long long)ids[i], trend_x(g, i, n), trend_y(g, tot, max), (long long)ids[i], d,
                    num);
        for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
            if (by_sev[i][s] > 0) buf_appendf(b, ", %lld %s", (long long)by_sev[i][s], kc_sev(s));
        buf_appendf(b, "</title></circle></a>");
        if (i % every == 0 || i == n - 1) {
            char *sp = strchr(d, ' ');
            if (sp) *sp = 0; /* the date */
            /* below the axis, inside the view box (it was y=222 in a 196-high box: clipped) */
            buf_appendf(b,
                        "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\" class=\"ax\">%s</text>",
                        trend_x(g, i, n), g->y1 + 20, d);
        }
    }
}

/* One line: severity s, or the total (KIT_INK_TOTAL); the report's carries a dot per point. */
static void trend_line(struct buf *b, enum kit_chart_style st, const struct trend_geom *g,
                       const int64_t *ids, const int64_t (*by_sev)[6], size_t n, int64_t max, int s)
{
    buf_appendf(b, "<polyline");
    if (st != KIT_CHART_CLASSES) buf_appendf(b, " fill=\"none\"");
    kc_stroke(b, st, s);
    buf_appendf(b, "%s points=\"", st != KIT_CHART_CLASSES ? " stroke-width=\"2.5\"" : "");
    for (size_t i = 0; i < n; i++) {
        int64_t v = s == KIT_INK_TOTAL ? trend_total(by_sev[i]) : by_sev[i][s];
        buf_appendf(b, "%s%.1f,%.1f", i ? " " : "", trend_x(g, i, n), trend_y(g, v, max));
    }
    buf_appendf(b, st == KIT_CHART_CLASSES ? "\"/>" : "\"/>\n");
    for (size_t i = 0; i < n && st != KIT_CHART_CLASSES; i++) {
        buf_appendf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\"", trend_x(g, i, n),
                    trend_y(g, by_sev[i][s], max));
        kc_fill(b, st, s);
        buf_appendf(b, "><title>scan #%lld: %lld %s</title></circle>\n", (long long)ids[i],
                    (long long)by_sev[i][s], kc_sev(s));
    }
}

void kit_chart_trend(struct buf *b, enum kit_chart_style st, const time_t *t, const int64_t *ids,
                     const int64_t (*by_sev)[6], size_t n)
{
    bool cls = st == KIT_CHART_CLASSES;
    const struct trend_geom *g = &trend_geom[cls];
    /* the dashboard scales the total, the report the largest severity */
    int64_t max = cls ? 0 : 1;
    for (size_t i = 0; i < n; i++)
        for (int s = 0; s < 6; s++) {
            int64_t v = cls ? trend_total(by_sev[i]) : by_sev[i][s];
            if (v > max) max = v;
        }
    if (cls) max = kit_chart_nice_max(max);
    kc_open(b, st, NULL, 1000, g->h, g->aria);
    trend_grid(b, st, g, max);
    if (!cls) trend_dates_inline(b, g, t, ids, n);
    for (int s = cls ? KIT_INK_TOTAL : SEV_CRITICAL; s >= SEV_INFO && n; s--) {
        bool any = s == KIT_INK_TOTAL;
        for (size_t i = 0; i < n && !any; i++)
            any = by_sev[i][s] > 0;
        if (any) trend_line(b, st, g, ids, by_sev, n, max, s);
    }
    if (cls) trend_dots_classes(b, g, t, ids, by_sev, n, max);
    buf_appendf(b, "</svg>");
}

void kit_chart_timeline(struct buf *b, enum kit_chart_style st, const time_t *t, const uint8_t *sev,
                        size_t n, time_t closed)
{
    if (!n) return;
    double a = (double)t[0], z = (double)t[n - 1];
    if ((double)closed > z) z = (double)closed;
    double span = z > a ? z - a : 1;
    const double x0 = 20, x1 = 980;
#define XT(v) (x0 + (x1 - x0) * ((double)(v)-a) / span)
    kc_open(b, st, "tl", 1000, 56, "observations over time");
    buf_appendf(b, "<line x1=\"%.0f\" x2=\"%.1f\" y1=\"22\" y2=\"22\"", x0,
                closed ? XT(closed) : XT(a + span));
    if (closed)
        kc_look(b, st, " stroke=\"#9aa3b5\" stroke-width=\"3\"", "span closed");
    else
        kc_look(b, st, " stroke=\"#e4572e\" stroke-width=\"3\"", "span");
    buf_appendf(b, "/>");
    for (size_t i = 0; i < n; i++) {
        char d[KC_NUM];
        int s = sev[i] < 6 ? sev[i] : 0;
        kit_time(t[i], d, sizeof d);
        buf_appendf(b, "<circle cx=\"%.1f\" cy=\"22\" r=\"6\"", XT(t[i]));
        kc_fill(b, st, s);
        buf_appendf(b, "><title>%s: %s</title></circle>", d, kc_sev(s));
    }
    if (closed) {
        char d[KC_NUM];
        kit_time(closed, d, sizeof d);
        double x = XT(closed);
        buf_appendf(b, "<path d=\"M%.1f 15 l14 14 M%.1f 29 l14 -14\"", x - 7, x - 7);
        kc_look(b, st, " stroke=\"#2e9e5b\" stroke-width=\"3\"", "xmark");
        buf_appendf(b, "><title>closed %s</title></path>", d);
    }
#undef XT
    char da[KC_NUM], dz[KC_NUM];
    kit_time(t[0], da, sizeof da);
    kit_time(closed ? closed : t[n - 1], dz, sizeof dz);
    buf_appendf(b, "<text x=\"%.0f\" y=\"50\"", x0);
    kc_look(b, st, "", "ax");
    buf_appendf(b, ">%s</text><text x=\"%.0f\" y=\"50\" text-anchor=\"end\"", da, x1);
    kc_look(b, st, "", "ax");
    buf_appendf(b, ">%s</text></svg>", dz);
}

void kit_chart_certs(struct buf *b, enum kit_chart_style st, const struct kit_cert_row *rows,
                     size_t n, time_t now)
{
    if (n > KIT_CHART_MAX_ROWS) n = KIT_CHART_MAX_ROWS;
    double lo = (double)now, hi = (double)now;
    for (size_t i = 0; i < n; i++) {
        double na = (double)rows[i].not_after;
        if (rows[i].not_after && na < lo) lo = na;
        if (na > hi) hi = na;
    }
    double span = hi - lo;
    if (span < 86400 * 30) span = 86400 * 30;
    double pad = span * 0.05;
    const double x0 = 260, x1 = 900;
#define TX(t) (x0 + (x1 - x0) * ((double)(t) - (lo - pad)) / (span + 2 * pad))
    double h = (double)n * 20 + 50;
    kc_open(b, st, NULL, 1000, h, "certificate expiry");
    for (size_t i = 0; i < n; i++) {
        const struct kit_cert_row *c = &rows[i];
        double y = 10 + (double)i * 20;
        int ink = c->expired ? KIT_INK_EXPIRED : KIT_INK_VALID;
        char t[KC_NUM] = "unknown", y1[KC_NUM], y2[KC_NUM], sha[13];
        if (c->not_after) kc_date(c->not_after, t, sizeof t);
        kc_label(b, st, x0 - 8, y + 11, c->cn && c->cn[0] ? c->cn : c->sha256, 34);
        if (c->not_after) {
            double xa = TX(c->not_after), xn = TX(now);
            kc_y(st, y + 7, y1);
            buf_appendf(b, "<line x1=\"%.1f\" y1=\"%s\" x2=\"%.1f\" y2=\"%s\"", xn, y1, xa, y1);
            kc_stroke(b, st, ink);
            buf_appendf(
                b, " stroke-width=\"3\" opacity=\".35\"/><circle cx=\"%.1f\" cy=\"%s\" r=\"5\"", xa,
                y1);
            kc_fill(b, st, ink);
            buf_appendf(b, "><title>");
            kit_html_n(b, c->cn, 4096);
            str_copy(sha, c->sha256 ? c->sha256 : "", sizeof sha); /* its first 12 digits */
            buf_appendf(b, " ");
            kit_html(b, sha);
            buf_appendf(b, ": not after %s, %d host%s</title></circle><text x=\"%.1f\" y=\"%s\"", t,
                        c->hosts, c->hosts == 1 ? "" : "s", xa + 8, kc_y(st, y + 11, y2));
            kc_fill(b, st, ink);
            buf_appendf(b, ">%s</text>", t);
        }
        kc_row_end(b, st);
    }
    char ts[KC_NUM];
    kc_date(now, ts, sizeof ts);
    buf_appendf(b, "<line x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"%.0f\"", TX(now), TX(now), h - 24);
    kc_look(b, st, " stroke=\"#1d2330\" stroke-dasharray=\"4 3\"", "now");
    buf_appendf(b, "/><text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">scan %s</text>", TX(now),
                h - 8, ts);
    kc_row_end(b, st);
#undef TX
    buf_appendf(b, "</svg>");
}
