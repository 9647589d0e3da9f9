/*
 * cli/alert.c -- the decision behind every alert, and the link to the
 * dashboard's page of the finding.
 *
 * A finding deserves an alert when it is at or above the level and new
 * (no other scan observed the service, or its first_seen -- the start of
 * its current open period -- is after the last observation: it was closed
 * and opened again) or worsened (its severity is above the one of the
 * previous observation of the same service); both from store_history.
 * Without a store nothing is known about the past and every finding at or
 * above the level is "found". The webhook and the mail take the same
 * decision, made once here.
 *
 * The link: the dashboard knows an observation by its number, which the
 * store gives out only when its writer commits; the alert is made before
 * that. So the link names the scan and the service instead, and the
 * dashboard's /finding page finds the observation (web/pages_detail.c).
 */
#include "cli/alert.h"
#include "kit/kit.h"
#include "store/store.h"

#include <string.h>

static const char *const format_names[] = {"json", "slack", "mattermost", "teams", "pagerduty"};

int alert_format_parse(const char *s, enum alert_format *out)
{
    for (size_t i = 0; s && i < ARRAY_LEN(format_names); i++) {
        if (!strcmp(s, format_names[i])) {
            *out = (enum alert_format)i;
            return 0;
        }
    }
    return -1;
}

const char *alert_format_name(enum alert_format f)
{
    return (size_t)f < ARRAY_LEN(format_names) ? format_names[f] : "?";
}

const char *alert_event_name(enum alert_event ev)
{
    switch (ev) {
    case ALERT_FOUND:
        return "found";
    case ALERT_NEW:
        return "new";
    case ALERT_WORSENED:
        return "worsened";
    case ALERT_NONE:
        break;
    }
    return "none";
}

struct prev_ctx {
    int64_t scan_id;
    const struct finding *f;
    bool found;
    enum severity sev;
    time_t time;
};

/* The last observation of the same service by another scan (history is oldest first). */
static int prev_obs(void *arg, int64_t scan_id, const struct finding *h)
{
    struct prev_ctx *c = arg;
    if (scan_id == c->scan_id || h->port != c->f->port || strcmp(h->service, c->f->service) != 0)
        return 0;
    c->found = true;
    c->sev = h->severity;
    c->time = h->time;
    return 0;
}

enum alert_event alert_judge(struct store *store, int64_t scan_id, const struct finding *f,
                             enum severity level, struct alert *out)
{
    memset(out, 0, sizeof *out);
    out->f = f;
    out->scan_id = store ? scan_id : 0;
    if (f->severity < level || f->severity == SEV_NONE) return out->event = ALERT_NONE;
    if (!store) return out->event = ALERT_FOUND;
    struct prev_ctx c = {.scan_id = scan_id, .f = f};
    struct err e;
    if (store_history(store, f->ip, f->port, prev_obs, &c, &e) < 0) {
        log_warn("alert: history of %s:%u: %s", f->ip, f->port, e.msg);
        return out->event = ALERT_NONE;
    }
    /* never seen by another scan, or open again since its last observation (a new period) */
    if (!c.found || (f->first_seen && f->first_seen > c.time)) return out->event = ALERT_NEW;
    if (f->severity > c.sev) {
        out->has_prev = true;
        out->prev = c.sev;
        return out->event = ALERT_WORSENED;
    }
    return out->event = ALERT_NONE; /* unchanged (or better): already alerted */
}

int alert_dashboard_url_check(const char *url, struct err *e)
{
    bool tls = str_iprefix(url, "https://");
    if (!tls && !str_iprefix(url, "http://"))
        return err_set(e, "bad --dashboard-url '%.80s' (want http[s]://HOST[:PORT][/PATH])", url);
    if (strlen(url) > 512) return err_set(e, "--dashboard-url is longer than 512 bytes");
    const char *h = url + (tls ? 8 : 7);
    size_t hl = strcspn(h, "/?#");
    if (hl == 0 || memchr(h, '@', hl))
        return err_set(e, "bad --dashboard-url '%.80s' (no host, or user info)", url);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("\"'<>|`\\{}^", *p))
            return err_set(e, "bad character in --dashboard-url '%.80s'", url);
    if (strchr(h, '?') || strchr(h, '#'))
        return err_set(e, "--dashboard-url takes no query or fragment: '%.80s'", url);
    return 0;
}

size_t alert_finding_url(const struct alert_target *t, const struct alert *a, char *out, size_t n)
{
    if (n) out[0] = 0;
    if (!t->dashboard_url || !t->dashboard_url[0] || !a->scan_id || !n) return 0;
    struct buf b;
    buf_init(&b, 2048);
    size_t bl = strlen(t->dashboard_url);
    while (bl && t->dashboard_url[bl - 1] == '/')
        bl--;
    buf_append(&b, t->dashboard_url, bl);
    buf_appendf(&b, "/finding?scan=%lld&ip=", (long long)a->scan_id);
    kit_url(&b, a->f->ip);
    buf_appendf(&b, "&port=%u&service=", a->f->port);
    kit_url(&b, a->f->service[0] ? a->f->service : "unknown");
    size_t len = 0;
    if (!b.truncated && b.data && b.len < n) {
        memcpy(out, b.data, b.len + 1);
        len = b.len;
    }
    buf_free(&b);
    return len;
}
