/*
 * kit/chart.h -- the charts of the report and of the dashboard, drawn as
 * inline SVG by one implementation (chart.c) in two styles.
 *
 *   KIT_CHART_INLINE   the HTML report: a standalone file, so every shape
 *                      carries its colour (fill=, stroke=, a swatch's
 *                      style=), on a 1000-wide view box, a newline after
 *                      each row (the file stays readable), counts as they are
 *   KIT_CHART_CLASSES  the dashboard: its Content-Security-Policy forbids
 *                      style attributes, so shapes carry classes (f0..f5
 *                      fill, l0..l5 stroke, b0..b5 swatch: "f" + the ink's
 *                      stem) that its style sheet colours, bars in its
 *                      560-wide half panels, counts in digit groups
 *
 * What lives here once: each chart's geometry per style, the scales (the
 * largest row, kit_chart_nice_max for an axis), the axis ticks and date
 * labels, the colours and classes of the inks, the escaping of every label
 * and title (kit_html_n, cut per style), the numbers (core/units.h). Every
 * label and title came from the network through the store: it is escaped
 * like any text, attribute or element. Charts draw at most
 * KIT_CHART_MAX_ROWS rows (callers draw a dozen or so).
 */
#ifndef AJAR_KIT_CHART_H
#define AJAR_KIT_CHART_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum kit_chart_style { KIT_CHART_INLINE, KIT_CHART_CLASSES };

/* The inks: a severity (0 none .. 5 critical) is its own ink; then these. */
enum kit_ink {
    KIT_INK_TOTAL = 6, /* all severities together */
    KIT_INK_RECORDS,
    KIT_INK_BYTES,
    KIT_INK_CLUSTER,
    KIT_INK_SIGNAL,
    KIT_INK_VALID,   /* a certificate valid at the scan */
    KIT_INK_EXPIRED, /* ... expired at the scan */
    KIT_INK_N
};

#define KIT_CHART_MAX_ROWS 200

/* The maximum of an axis from the largest value: at least 4, rounded up to a step of the
 * value's power of ten, one more step when that makes it divide into 4 even ticks. */
int64_t kit_chart_nice_max(int64_t max);

/* "2026-11-21 10:00 UTC" ("-" for 0): the charts' times, and the dashboard's. */
void kit_time(time_t t, char *out, size_t n);

/* A legend of swatches: inks[i] named names[i], then note (NULL: none) as it is (a literal of
 * the caller, not escaped). */
void kit_chart_legend_items(struct buf *b, enum kit_chart_style st, const int *inks,
                            const char *const *names, size_t n, const char *note);
/* The legend of the severities, critical to info; total: "all" (KIT_INK_TOTAL) first. */
void kit_chart_legend(struct buf *b, enum kit_chart_style st, bool total);

/* Bars, one row per label, each split by severity (by_sev) or one bar of vals[i] in ink. */
struct kit_bars {
    size_t n;
    const char *const *labels;
    const char *const *hrefs;   /* may be NULL, and any of them: a row's link */
    const int64_t (*by_sev)[6]; /* stacked bars, or NULL */
    const int64_t *vals;        /* when by_sev is NULL */
    int ink;                    /* the ink of vals' bars */
    const char *aria;           /* aria-label (a literal), NULL for none */
};
void kit_chart_bars(struct buf *b, enum kit_chart_style st, const struct kit_bars *c);

/* One full-width bar split by severity, linked to the findings of each when qs (a query
 * already escaped for an attribute, "scan=3") is not NULL. */
void kit_chart_sev_bar(struct buf *b, enum kit_chart_style st, const int64_t by_sev[6],
                       const char *qs);

/* Exposed volume: two bars a row (records, bytes), each scaled to its own maximum. */
struct kit_volume_row {
    const char *label;
    int64_t records, bytes;
};
void kit_chart_volume(struct buf *b, enum kit_chart_style st, const struct kit_volume_row *rows,
                      size_t n);

/* Clusters: one bar of members a row, scaled to the first (the largest). */
struct kit_cluster_row {
    const char *id, *product, *version;
    int64_t members, stores; /* stores < members: " (N data stores)" */
};
void kit_chart_clusters(struct buf *b, enum kit_chart_style st, const struct kit_cluster_row *rows,
                        size_t n);

/* ---- over time ---- */

/* Findings per scan: t[i], ids[i], by_sev[i][6], in time order. INLINE: a line per severity
 * on the exact maximum, a dot per point and severity; CLASSES: the total and a line per
 * severity on a nice maximum, a linked dot per scan. */
void kit_chart_trend(struct buf *b, enum kit_chart_style st, const time_t *t, const int64_t *ids,
                     const int64_t (*by_sev)[6], size_t n);

/* A service's history strip: dots at t[i] (ascending) of severity sev[i], closed (0: open). */
void kit_chart_timeline(struct buf *b, enum kit_chart_style st, const time_t *t, const uint8_t *sev,
                        size_t n, time_t closed);

/* Certificate expiry: a row per certificate (not_after 0: unknown), a line at now. */
struct kit_cert_row {
    const char *cn, *sha256;
    time_t not_after;
    bool expired;
    int hosts;
};
void kit_chart_certs(struct buf *b, enum kit_chart_style st, const struct kit_cert_row *rows,
                     size_t n, time_t now);

#endif
