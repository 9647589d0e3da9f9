/*
 * cli/alert.h -- what an alert is and how each receiver wants it said.
 *
 * One decision, several deliveries. The scan decides once per finding
 * whether it deserves an alert (alert_judge: new, worsened, or -- without a
 * store -- found), and the same decision feeds the webhook (cli/webhook.c:
 * queue, retries, --webhook-wait) and the mail (cli/mail.c: one message at
 * the end). What the webhook posts is a rendering of that decision in the
 * receiver's format (alert_fmt.c): today's JSON, a Slack or Mattermost
 * incoming-webhook message, a Microsoft Teams Adaptive Card, or a PagerDuty
 * Events API v2 event. A renderer is a pure function of the alert and the
 * target's settings, so it is unit-tested without a network.
 *
 * Everything a finding carries that a server chose (product, version, index
 * names, banners, signal details) is hostile: each renderer writes it so the
 * receiver shows it as text and never as markup (docs/periodic-scans.md,
 * "What the receiver is sent").
 */
#ifndef AJAR_CLI_ALERT_H
#define AJAR_CLI_ALERT_H

#include "core/finding.h"
#include "core/util.h"

struct store;
struct scan_info;

enum alert_format { ALERT_JSON, ALERT_SLACK, ALERT_MATTERMOST, ALERT_TEAMS, ALERT_PAGERDUTY };
/* "json", "slack", "mattermost", "teams", "pagerduty"; -1 on anything else. */
int alert_format_parse(const char *s, enum alert_format *out);
const char *alert_format_name(enum alert_format f);

/* The PagerDuty Events API v2 endpoint, used when --webhook-format pagerduty has no --webhook. */
#define ALERT_PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"

enum alert_event {
    ALERT_NONE,     /* nothing to say: below the level, or unchanged since the last scan */
    ALERT_FOUND,    /* no store (--no-db): every finding at or above the level */
    ALERT_NEW,      /* no other scan observed the service, or it is open again since */
    ALERT_WORSENED, /* its severity is above the one of its previous observation */
};
const char *alert_event_name(enum alert_event ev); /* "found", "new", "worsened" */

/* One alert: borrowed pointers, valid while the finding is. */
struct alert {
    enum alert_event event;
    bool has_prev;      /* worsened: prev is the previous observation's severity */
    enum severity prev; /* */
    int64_t scan_id;    /* 0 without a store */
    const struct finding *f;
};

/*
 * Does f deserve an alert? ALERT_NONE when its severity is below level (or none), or when the
 * store's history of the service says nothing changed; with store NULL every finding at or
 * above level is ALERT_FOUND. Fills *out (event, previous severity, scan id, f). A history that
 * cannot be read is logged and gives ALERT_NONE.
 */
enum alert_event alert_judge(struct store *store, int64_t scan_id, const struct finding *f,
                             enum severity level, struct alert *out);

/* How the webhook's receiver wants it said. The strings are borrowed. */
struct alert_target {
    enum alert_format format;
    const char *routing_key;   /* PagerDuty's integration key (pagerduty only) */
    const char *dashboard_url; /* --dashboard-url: "https://host[:port][/prefix]", or NULL */
};

/*
 * The body to post for one alert: malloc'ed JSON text (the caller frees it), NULL when out of
 * memory. json: {"event","severity","previous_severity","scan","finding",["url"]}, the body
 * ajar has always posted; the others as their receivers document them (alert_fmt.c).
 */
char *alert_render(const struct alert_target *t, const struct alert *a);
/*
 * The alert as plain text for a mail body (cli/mail.c), appended to out: a title line and
 * indented "Label: value" lines, each at most line_max bytes (cut at a UTF-8 boundary), every
 * string from the finding passed through str_sanitize (no control byte, valid UTF-8). 0, or -1
 * when out's cap is reached.
 */
int alert_render_text(const struct alert_target *t, const struct alert *a, size_t line_max,
                      struct buf *out);
/*
 * The body announcing the end of a scan's walk, or NULL when this format says nothing about it:
 * json always ({"event":"scan-end",...}); slack, mattermost and teams when the walk was not a
 * complete coverage or when `alerted` alerts were queued during the scan (a chat channel hears
 * of every scan that alerted and of every partial one, not of each quiet complete one);
 * pagerduty never (a scan's end is not an incident). NULL also when out of memory.
 */
char *alert_render_end(const struct alert_target *t, const struct scan_info *si, const char *text,
                       uint64_t alerted);

/*
 * The dashboard's page of the finding (/finding?scan=ID&ip=IP&port=PORT&service=S, see
 * web/pages_detail.c) into out; "" when there is no --dashboard-url or no scan. Returns the
 * length written.
 */
size_t alert_finding_url(const struct alert_target *t, const struct alert *a, char *out, size_t n);
/* Is url a --dashboard-url we can put in a link: http[s]://, no user info, no space, control,
 * quote, '<', '>', '|', '`' or backslash, at most 512 bytes? -1 with e set if not. */
int alert_dashboard_url_check(const char *url, struct err *e);

/* ---- the escapers (alert_fmt.c), public for the unit tests ---- */

/* s as Slack mrkdwn inline code: `s` with & < > as entities and ` as ' ("-" for ""). */
int alert_slack_code(struct buf *b, const char *s);
/* s as Slack mrkdwn text: & < > as entities, nothing else touched. */
int alert_slack_text(struct buf *b, const char *s);
/* s as Markdown inline code for Mattermost: `s` with ` as ' and every '@' followed by a
 * zero-width space, so no mention can fire ("-" for ""). */
int alert_md_code(struct buf *b, const char *s);
/* Append at most max bytes of s, cut at a UTF-8 boundary, "..." when cut. */
int alert_append_cut(struct buf *b, const char *s, size_t max);

#endif
