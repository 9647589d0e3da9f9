/*
 * web/web_int.h -- what the page files share (private to src/web/):
 * escaping with a length cap, number and time formatting, argument
 * parsing, the scan a page is about, error pages. The charts are the
 * kit's (kit/chart.h, the dashboard's style: KIT_CHART_CLASSES).
 */
#ifndef AJAR_WEB_INT_H
#define AJAR_WEB_INT_H

#include "core/finding.h"
#include "core/units.h"
#include "web/view.h"
#include "store/store.h"
#include "web/web.h"
#include "kit/chart.h"

#include <stdint.h>

#define WP_PAGE_SIZE 50

#define wp_esc(b, s) kit_html_n((b), (s), 4096)
/* Short counts are fmt_short (core/units.h), times kit_time (kit/chart.h). */
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

#endif
