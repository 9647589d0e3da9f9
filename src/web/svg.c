/*
 * web/svg.c -- the dashboard's charts, drawn on the server as inline SVG.
 *
 * No script and no style attribute (the Content-Security-Policy forbids
 * both): shapes carry classes (f0..f5 fill by severity, l0..l5 stroke) that
 * the embedded style sheet colours, tooltips are <title> elements, and a
 * bar that leads somewhere is wrapped in an SVG <a>. Every label went
 * through the store from the network, so it is escaped like any text.
 */
#include "web/web_int.h"

#include <string.h>

void svg_legend(struct buf *b)
{
    buf_appendf(b, "<div class=\"legend\">");
    for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
        buf_appendf(b, "<span><i class=\"sw b%d\"></i>%s</span>", s, wp_sev(s));
    buf_appendf(b, "</div>");
}

void svg_sev_bar(struct buf *b, const int64_t by_sev[6], const char *qs)
{
    int64_t total = 0;
    for (int s = 0; s < 6; s++)
        total += by_sev[s];
    buf_appendf(b, "<svg class=\"chart\" viewBox=\"0 0 1000 34\" role=\"img\" "
                   "aria-label=\"findings by severity\">");
    if (!total) {
        buf_appendf(b, "<rect x=\"0\" y=\"4\" width=\"1000\" height=\"26\" class=\"f0\"/>");
    } else {
        double x = 0;
        for (int s = SEV_CRITICAL; s >= SEV_NONE; s--) {
            if (!by_sev[s]) continue;
            double w = 1000.0 * (double)by_sev[s] / (double)total;
            char n[32];
            fmt_digits(by_sev[s], n, sizeof n);
            buf_appendf(b,
                        "<a href=\"/findings?%s" KIT_AMP
                        "severity=%s\"><rect x=\"%.1f\" y=\"4\" width=\"%.1f\" "
                        "height=\"26\" class=\"f%d\"><title>%s: %s</title></rect>",
                        qs, wp_sev(s), x, w, s, wp_sev(s), n);
            if (w > 70)
                buf_appendf(b, "<text x=\"%.1f\" y=\"22\" class=\"in\">%s %s</text>", x + 6, n,
                            wp_sev(s));
            buf_appendf(b, "</a>");
            x += w;
        }
    }
    buf_appendf(b, "</svg>");
}

/* The bar charts sit in half-width panels: a 560-wide view box keeps their text readable. */
#define SVG_W     560
#define SVG_LABEL 190
#define SVG_BAR   (SVG_W - SVG_LABEL - 70)

static void row_label(struct buf *b, double y, const char *label)
{
    buf_appendf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", SVG_LABEL - 8, y);
    kit_html_n(b, label, 22);
    buf_appendf(b, "</text>");
}

void svg_stacked(struct buf *b, const char *const *labels, const char *const *hrefs,
                 const int64_t (*by_sev)[6], size_t n)
{
    int64_t max = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t t = 0;
        for (int s = 0; s < 6; s++)
            t += by_sev[i][s];
        if (t > max) max = t;
    }
    buf_appendf(b,
                "<svg class=\"chart\" viewBox=\"0 0 %d %zu\" role=\"img\" "
                "aria-label=\"findings by service and severity\">",
                SVG_W, n * 24 + 6);
    for (size_t i = 0; i < n; i++) {
        double y = 3 + (double)i * 24, x = SVG_LABEL;
        int64_t t = 0;
        if (hrefs && hrefs[i]) {
            buf_appendf(b, "<a href=\"");
            kit_html(b, hrefs[i]);
            buf_appendf(b, "\">");
        }
        row_label(b, y + 14, labels[i]);
        for (int s = SEV_CRITICAL; s >= SEV_NONE; s--) {
            if (!by_sev[i][s]) continue;
            double w = SVG_BAR * (double)by_sev[i][s] / (double)max;
            char num[32];
            fmt_digits(by_sev[i][s], num, sizeof num);
            buf_appendf(b,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" class=\"f%d\">"
                        "<title>",
                        x, y, w < 0.5 ? 0.5 : w, s);
            kit_html_n(b, labels[i], 64);
            buf_appendf(b, ": %s %s</title></rect>", num, wp_sev(s));
            x += w;
            t += by_sev[i][s];
        }
        char num[32];
        fmt_digits(t, num, sizeof num);
        buf_appendf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"val\">%s</text>", x + 6, y + 14, num);
        if (hrefs && hrefs[i]) buf_appendf(b, "</a>");
    }
    buf_appendf(b, "</svg>");
}

void svg_bars(struct buf *b, const char *const *labels, const char *const *hrefs,
              const int64_t *vals, size_t n, const char *cls)
{
    int64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (vals[i] > max) max = vals[i];
    buf_appendf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %zu\" role=\"img\">", SVG_W, n * 24 + 6);
    for (size_t i = 0; i < n; i++) {
        double y = 3 + (double)i * 24;
        double w = SVG_BAR * (double)vals[i] / (double)max;
        char num[32];
        fmt_digits(vals[i], num, sizeof num);
        if (hrefs && hrefs[i]) {
            buf_appendf(b, "<a href=\"");
            kit_html(b, hrefs[i]);
            buf_appendf(b, "\">");
        }
        row_label(b, y + 14, labels[i]);
        buf_appendf(b,
                    "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"18\" class=\"%s\"><title>",
                    SVG_LABEL, y, w < 0.5 ? 0.5 : w, cls);
        kit_html_n(b, labels[i], 64);
        buf_appendf(b, ": %s</title></rect><text x=\"%.1f\" y=\"%.1f\" class=\"val\">%s</text>",
                    num, SVG_LABEL + 6 + w, y + 14, num);
        if (hrefs && hrefs[i]) buf_appendf(b, "</a>");
    }
    buf_appendf(b, "</svg>");
}

static void nice_max(int64_t *max)
{
    int64_t m = *max < 4 ? 4 : *max, step = 1;
    while (step * 10 < m)
        step *= 10;
    int64_t r = (m + step - 1) / step * step;
    if (r / step > 5 && r % (step * 2)) r += step; /* divisible into 4 even steps most often */
    *max = r;
}

void svg_trend(struct buf *b, const time_t *t, const int64_t *ids, const int64_t (*by_sev)[6],
               size_t n)
{
    const double x0 = 60, x1 = 980, y0 = 14, y1 = 170;
    int64_t max = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t tot = 0;
        for (int s = 0; s < 6; s++)
            tot += by_sev[i][s];
        if (tot > max) max = tot;
    }
    nice_max(&max);
    buf_appendf(b, "<svg class=\"chart\" viewBox=\"0 0 1000 196\" role=\"img\" "
                   "aria-label=\"findings per scan over time\">");
    for (int g = 0; g <= 4; g++) {
        double y = y1 - (y1 - y0) * g / 4.0;
        char num[32];
        wp_short(max * g / 4, num, sizeof num);
        buf_appendf(b,
                    "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                    "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" class=\"ax\">%s</text>",
                    x0, x1, y, y, x0 - 8, y + 4, num);
    }
    if (n == 0) {
        buf_appendf(b, "</svg>");
        return;
    }
#define XP(i) (n == 1 ? (x0 + x1) / 2 : x0 + (x1 - x0) * (double)(i) / (double)(n - 1))
#define YP(v) (y1 - (y1 - y0) * (double)(v) / (double)max)
    /* total, then each severity that ever occurs */
    for (int s = 6; s >= SEV_INFO; s--) {
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = s == 6 ? true : by_sev[i][s] > 0;
        if (!any) continue;
        if (s == 6)
            buf_appendf(b, "<polyline class=\"ltot\" points=\"");
        else
            buf_appendf(b, "<polyline class=\"l%d\" points=\"", s);
        for (size_t i = 0; i < n; i++) {
            int64_t v = 0;
            if (s == 6)
                for (int k = 0; k < 6; k++)
                    v += by_sev[i][k];
            else
                v = by_sev[i][s];
            buf_appendf(b, "%s%.1f,%.1f", i ? " " : "", XP(i), YP(v));
        }
        buf_appendf(b, "\"/>");
    }
    size_t every = n > 10 ? (n + 9) / 10 : 1;
    for (size_t i = 0; i < n; i++) {
        int64_t tot = 0;
        for (int k = 0; k < 6; k++)
            tot += by_sev[i][k];
        char d[32], num[32];
        wp_time(t[i], d, sizeof d);
        fmt_digits(tot, num, sizeof num);
        buf_appendf(b,
                    "<a href=\"/?scan=%lld\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                    "class=\"dot\"><title>scan %lld, %s: %s findings",
                    (long long)ids[i], XP(i), YP(tot), (long long)ids[i], d, num);
        for (int s = SEV_CRITICAL; s >= SEV_INFO; s--)
            if (by_sev[i][s]) buf_appendf(b, ", %lld %s", (long long)by_sev[i][s], wp_sev(s));
        buf_appendf(b, "</title></circle></a>");
        if (i % every == 0 || i == n - 1) {
            d[10] = 0; /* the date */
            buf_appendf(b,
                        "<text x=\"%.1f\" y=\"222\" text-anchor=\"middle\" class=\"ax\">%s</text>",
                        XP(i), d);
        }
    }
#undef XP
#undef YP
    buf_appendf(b, "</svg>");
}

void svg_timeline(struct buf *b, const time_t *t, const uint8_t *sev, size_t n, time_t closed)
{
    if (!n) return;
    time_t a = t[0], z = t[n - 1];
    if (closed > z) z = closed;
    if (z <= a) z = a + 1;
    const double x0 = 20, x1 = 980;
#define XT(v) (x0 + (x1 - x0) * (double)((v)-a) / (double)(z - a))
    buf_appendf(b,
                "<svg class=\"chart tl\" viewBox=\"0 0 1000 56\" role=\"img\" "
                "aria-label=\"observations over time\"><line x1=\"%.0f\" x2=\"%.1f\" y1=\"22\" "
                "y2=\"22\" class=\"%s\"/>",
                x0, XT(closed ? closed : z), closed ? "span closed" : "span");
    for (size_t i = 0; i < n; i++) {
        char d[32];
        wp_time(t[i], d, sizeof d);
        buf_appendf(b,
                    "<circle cx=\"%.1f\" cy=\"22\" r=\"6\" class=\"f%d\"><title>%s: %s</title>"
                    "</circle>",
                    XT(t[i]), sev[i] < 6 ? sev[i] : 0, d, wp_sev(sev[i] < 6 ? sev[i] : 0));
    }
    if (closed) {
        char d[32];
        wp_time(closed, d, sizeof d);
        double x = XT(closed);
        buf_appendf(b,
                    "<path d=\"M%.1f 15 l14 14 M%.1f 29 l14 -14\" class=\"xmark\"><title>closed %s"
                    "</title></path>",
                    x - 7, x - 7, d);
    }
    char da[32], dz[32];
    wp_time(a, da, sizeof da);
    wp_time(closed ? closed : t[n - 1], dz, sizeof dz);
    buf_appendf(b,
                "<text x=\"%.0f\" y=\"50\" class=\"ax\">%s</text><text x=\"%.0f\" y=\"50\" "
                "text-anchor=\"end\" class=\"ax\">%s</text></svg>",
                x0, da, x1, dz);
#undef XT
}
