/*
 * web/web_int.h -- what the page files share (private to src/web/):
 * escaping with a length cap, number and time formatting, argument
 * parsing, the scan a page is about, error pages, and the SVG charts
 * (svg.c).
 */
#ifndef AJAR_WEB_INT_H
#define AJAR_WEB_INT_H

#include "core/finding.h"
#include "core/units.h"
#include "web/view.h"
#include "store/store.h"
#include "web/web.h"

#include <stdint.h>

#define WP_PAGE_SIZE 50

#define wp_esc(b, s) kit_html_n((b), (s), 4096)
/* 1234567 -> "1.2M". */
void wp_short(int64_t v, char *out, size_t n);
/* "2026-11-21 10:00 UTC" ("-" for 0). */
void wp_time(time_t t, char *out, size_t n);
/* "3d 4h". */
void wp_duration(int64_t s, char *out, size_t n);

/* The severity's name ("critical"); "none" for 0. */
const char *wp_sev(int s);
/* A severity badge: <span class="sev s5">critical</span>. */
void wp_sev_badge(struct buf *b, int s);

/*
 * A positive decimal id argument: 1 absent (or empty), 0 ok, -1 malformed
 * (the page answers 400).
 */
int wp_arg_id(struct web_req *r, const char *name, int64_t *out);

/* One "<li><b>what</b> from → to</li>" of a list of changes; *any set. */
void wp_change(struct buf *b, bool *any, const char *what, const char *from, const char *to);

/* The 400/404 pages: a framed sentence. Return 0 (the page succeeded in saying so). */
int wp_error_page(struct web_req *r, struct web_resp *o, int status, const char *title,
                  const char *sentence);

/* What a page knows about the scan it shows. */
struct wp_scan {
    int64_t id, group;
    time_t start, end;
    char scope[65];
    int64_t findings;
    int nshards;
    char args[512];
    bool complete;      /* a complete coverage: the walk and the whole group done */
    bool running;       /* no end recorded (running, or killed) */
    char coverage[256]; /* scan_coverage_text */
};
/*
 * The scan named by the `scan` argument, else the newest complete coverage,
 * else the newest scan: 0, 1 when the store has no scan at all, -2 when the
 * argument is malformed or names no scan (the page answers 400/404), -1 on
 * error.
 */
int wp_pick_scan(struct web_req *r, struct wp_scan *s, struct err *e);
int wp_scan_get(struct db *db, int64_t id, struct wp_scan *s, struct err *e);

/* A <select name="scan"> of recent scans, cur selected. */
int wp_scan_select(struct web_req *r, struct buf *b, int64_t cur, struct err *e);
/* The page heading line: "Scan 12 · started ... · N findings". */
void wp_scan_line(struct buf *b, const struct wp_scan *s);

/* ---- charts (svg.c), inline SVG with classes from the style sheet ---- */

/* One horizontal bar split by severity (counts by_sev[6]); qs: "scan=N" for the links. */
void svg_sev_bar(struct buf *b, const int64_t by_sev[6], const char *qs);
/* Stacked bars, one per label, each split by severity; hrefs may be NULL. */
void svg_stacked(struct buf *b, const char *const *labels, const char *const *hrefs,
                 const int64_t (*by_sev)[6], size_t n);
/* Simple bars of values with labels (hrefs may be NULL). */
void svg_bars(struct buf *b, const char *const *labels, const char *const *hrefs,
              const int64_t *vals, size_t n, const char *cls);
/* Lines per severity (critical..info) and total over time: t[i], by_sev[i][6]. */
void svg_trend(struct buf *b, const time_t *t, const int64_t *ids, const int64_t (*by_sev)[6],
               size_t n);
/* A history strip: dots at times t[i] between t0 and t1, severity sev[i]; closed_at (0 open). */
void svg_timeline(struct buf *b, const time_t *t, const uint8_t *sev, size_t n, time_t closed);
/* The legend of severities. */
void svg_legend(struct buf *b);

#endif
