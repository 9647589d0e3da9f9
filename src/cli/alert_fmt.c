/*
 * cli/alert_fmt.c -- one alert, said the way each receiver reads it.
 *
 * A renderer is a pure function from an alert (and the target's routing
 * key and dashboard URL) to the JSON text to post:
 *   json        the body ajar has always posted: the decision and the record
 *   slack       an incoming-webhook message: "text" (the notification's
 *               fallback) and Block Kit "blocks" in mrkdwn
 *   mattermost  an incoming-webhook message: Markdown "text" and one
 *               Slack-style attachment with short fields
 *   teams       a "message" carrying an Adaptive Card 1.4, what the Teams
 *               Workflows webhooks take (the Office 365 connectors' MessageCard
 *               is retired with them)
 *   pagerduty   an Events API v2 "trigger" with a dedup_key per service, so a
 *               worsened service updates its open alert instead of opening a
 *               second one
 *
 * What a server chose is hostile (product, version, names, signal details,
 * the host name given). The title line is built only from what ajar knows
 * (severity, the event, the address, the service name filtered to
 * [a-z0-9._-]), and the hostile strings go where the receiver shows text:
 * Slack inline code with & < > as entities (no link, no <!channel>);
 * Mattermost inline code with every '@' followed by a zero-width space (no
 * link, image, emphasis or mention); Teams TextRuns, which Adaptive Cards
 * never read as Markdown; PagerDuty plain JSON strings. jansson escapes the
 * JSON; a string that is not valid UTF-8 is sanitized first (json_string
 * would refuse it). Lists are cut to stay within each receiver's limits
 * (Slack: 3000 characters a section; PagerDuty: 1024 for the summary).
 */
#include "cli/alert.h"
#include "core/units.h"
#include "kit/kit.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define LIST_MAX     10   /* names or signals shown in a chat message */
#define BLOCK_BUDGET 2800 /* bytes of one Slack section (3000 characters) and the like */
#define PD_SUMMARY   1024 /* PagerDuty's limit on payload.summary */

/* ---- escapers ---- */

/* s cut to at most max bytes at a UTF-8 boundary: the length to keep. */
static size_t utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

int alert_append_cut(struct buf *b, const char *s, size_t max)
{
    size_t n = utf8_cut(s, max);
    if (buf_append(b, s, n) < 0) return -1;
    return n < strlen(s) ? buf_append(b, "...", 3) : 0;
}

/*
 * A copy of hostile text as text: valid UTF-8, no control byte, no code point that steers the
 * reading order (str_sanitize; each becomes '?'). NULL when out of memory.
 */
static char *sane(const char *s)
{
    size_t n = strlen(s), cap = 3 * n + 1;
    char *c = xmalloc(cap);
    if (c) str_sanitize(c, cap, s, n, false);
    return c;
}

/* Append s with each character in `from` replaced by the string at the same index of `to`. */
static int append_mapped(struct buf *b, const char *s, const char *from, const char *const *to)
{
    for (const char *p = s; *p; p++) {
        const char *hit = strchr(from, *p);
        const char *r = hit ? to[hit - from] : p;
        if (buf_append(b, r, hit ? strlen(r) : 1) < 0) return -1;
    }
    return 0;
}

int alert_slack_text(struct buf *b, const char *s)
{
    char *c = sane(s);
    int rc = c ? kit_slack(b, c, false) : -1;
    free(c);
    return rc;
}

int alert_slack_code(struct buf *b, const char *s)
{
    if (!s[0]) return buf_append(b, "-", 1);
    char *c = sane(s);
    int rc = c ? buf_append(b, "`", 1) : -1;
    if (rc == 0) rc = kit_slack(b, c, true);
    if (rc == 0) rc = buf_append(b, "`", 1);
    free(c);
    return rc;
}

int alert_md_code(struct buf *b, const char *s)
{
    static const char *const to[] = {"'", "@\xE2\x80\x8B"}; /* U+200B after every '@' */
    if (!s[0]) return buf_append(b, "-", 1);
    char *c = sane(s);
    int rc = c ? buf_append(b, "`", 1) : -1;
    if (rc == 0) rc = append_mapped(b, c, "`@", to);
    if (rc == 0) rc = buf_append(b, "`", 1);
    free(c);
    return rc;
}

/* A JSON string of s; s sanitized when it is not valid UTF-8. */
static json_t *jtext(const char *s)
{
    if (!s) s = "";
    json_t *j = json_string(s);
    if (j) return j;
    size_t n = strlen(s);
    char *c = xmalloc(n + 1);
    if (!c) return NULL;
    str_sanitize(c, n + 1, s, n, false);
    j = json_string(c);
    free(c);
    return j;
}

/* A JSON string of hostile text, sanitized (sane()). */
static json_t *jval(const char *s)
{
    char *c = sane(s ? s : "");
    json_t *j = c ? json_string(c) : NULL;
    free(c);
    return j;
}

static const char *bufs(const struct buf *b)
{
    return b->data ? (const char *)b->data : "";
}

/* Put the buffer back to len (a list item that went over the budget). */
static void buf_cut(struct buf *b, size_t len)
{
    if (b->data && len < b->len) {
        b->len = len;
        b->data[len] = 0;
    }
}

/* ---- what every format says ---- */

struct view {
    char where[64];  /* 10.0.0.5:6379, [::1]:6379 */
    char svc[32];    /* the service name, [a-z0-9._-] only */
    char title[160]; /* ajar's words only: "critical: new redis at 10.0.0.5:6379" */
    char what[140];  /* product and version (hostile), "" */
    char sev[48];    /* "critical (was high)" */
    char records[80];
    char url[2048];
    const char *color; /* for the formats with one */
};

static void view_make(const struct alert_target *t, const struct alert *a, struct view *v)
{
    const struct finding *f = a->f;
    char ip[48];
    size_t k = 0;
    for (const char *p = f->ip; *p && k + 1 < sizeof ip; p++)
        ip[k++] = strchr("0123456789abcdefABCDEF.:", *p) ? *p : '?';
    ip[k] = 0;
    str_fmt(v->where, sizeof v->where, strchr(ip, ':') ? "[%s]:%u" : "%s:%u", ip, f->port);
    const char *s = f->service[0] ? f->service : "unknown";
    for (k = 0; s[k] && k + 1 < sizeof v->svc; k++)
        v->svc[k] = (char)((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') ||
                                   strchr("._-", s[k])
                               ? s[k]
                               : '?');
    v->svc[k] = 0;
    str_fmt(v->title, sizeof v->title, "%s: %s %s at %s", severity_name(f->severity),
            a->event == ALERT_WORSENED ? "worsened"
            : a->event == ALERT_NEW    ? "new"
                                       : "found",
            v->svc, v->where);
    str_fmt(v->what, sizeof v->what, "%s%s%s", f->product,
            f->product[0] && f->version[0] ? " " : "", f->version);
    if (a->has_prev)
        str_fmt(v->sev, sizeof v->sev, "%s (was %s)", severity_name(f->severity),
                severity_name(a->prev));
    else
        str_copy(v->sev, severity_name(f->severity), sizeof v->sev);
    char bytes[32] = "";
    if (f->bytes >= 0) fmt_bytes(f->bytes, bytes, sizeof bytes);
    if (f->records >= 0)
        str_fmt(v->records, sizeof v->records, "%lld%s%s", (long long)f->records,
                bytes[0] ? ", " : "", bytes);
    else
        str_fmt(v->records, sizeof v->records, "unknown%s%s", bytes[0] ? ", " : "", bytes);
    alert_finding_url(t, a, v->url, sizeof v->url);
    static const char *const colors[] = {"#808080", "#808080", "#2eb67d",
                                         "#ecb22e", "#e8731c", "#d00000"};
    v->color = (size_t)f->severity < ARRAY_LEN(colors) ? colors[f->severity] : colors[0];
}

typedef int (*code_fn)(struct buf *b, const char *s);

/* "• `no-auth` critical: `detail`" lines, as many as fit in budget bytes. */
static void signal_lines(struct buf *b, const struct finding *f, code_fn code, const char *bullet,
                         size_t budget)
{
    int shown = 0;
    for (int i = 0; i < f->nsignals && i < FINDING_MAX_SIGNALS; i++) {
        size_t before = b->len;
        const struct signal *s = &f->signals[i];
        buf_appendf(b, "\n%s", bullet);
        code(b, s->id);
        buf_appendf(b, " %s: ", severity_name(s->severity));
        code(b, s->detail);
        if (b->len > budget || b->truncated || shown == LIST_MAX) {
            buf_cut(b, before);
            b->truncated = false;
            buf_appendf(b, "\n%sand %d more", bullet, f->nsignals - shown);
            return;
        }
        shown++;
    }
}

/* "`a` `b` ... and 90 more" */
static void name_list(struct buf *b, const struct finding *f, code_fn code, size_t budget)
{
    uint32_t shown = 0;
    for (uint32_t i = 0; i < f->names.n; i++) {
        size_t before = b->len;
        if (i) buf_append(b, " ", 1);
        code(b, f->names.v[i]);
        if (b->len > budget || b->truncated || shown == LIST_MAX) {
            buf_cut(b, before);
            b->truncated = false;
            break;
        }
        shown++;
    }
    uint64_t total = f->names.total > f->names.n ? f->names.total : f->names.n;
    if (total > shown) buf_appendf(b, " and %llu more", (unsigned long long)(total - shown));
}

/* ---- json: the body of every ajar so far ---- */

static json_t *render_json(const struct alert *a, const struct view *v)
{
    json_t *j = json_object();
    json_t *rec = finding_to_json(a->f, false);
    if (!j || !rec) {
        json_decref(j);
        json_decref(rec);
        return NULL;
    }
    json_object_set_new(j, "event", json_string(alert_event_name(a->event)));
    json_object_set_new(j, "severity", json_string(severity_name(a->f->severity)));
    if (a->has_prev)
        json_object_set_new(j, "previous_severity", json_string(severity_name(a->prev)));
    if (a->scan_id) json_object_set_new(j, "scan", json_integer(a->scan_id));
    json_object_set_new(j, "finding", rec);
    if (v->url[0]) json_object_set_new(j, "url", json_string(v->url));
    return j;
}

/* ---- Slack ---- */

static json_t *mrkdwn(const char *text)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("mrkdwn"));
    json_object_set_new(o, "text", jtext(text));
    return o;
}

static json_t *slack_section(const char *text)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("section"));
    json_object_set_new(o, "text", mrkdwn(text));
    return o;
}

static void slack_field(json_t *fields, struct buf *b, const char *name, const char *code1,
                        const char *code2, const char *plain)
{
    buf_reset(b);
    buf_appendf(b, "*%s*\n", name);
    if (code1) alert_slack_code(b, code1);
    if (code2 && code2[0]) {
        buf_append(b, " ", 1);
        alert_slack_code(b, code2);
    }
    if (plain) alert_slack_text(b, plain);
    json_array_append_new(fields, mrkdwn(bufs(b)));
}

static json_t *render_slack(const struct alert *a, const struct view *v)
{
    const struct finding *f = a->f;
    json_t *j = json_object(), *blocks = json_array(), *fields = json_array();
    struct buf b;
    buf_init(&b, 16384);
    json_object_set_new(j, "text", jtext(v->title)); /* ajar's words: nothing to escape */
    json_object_set_new(j, "unfurl_links", json_false());
    json_object_set_new(j, "unfurl_media", json_false());

    buf_appendf(&b, "*%s*", v->title);
    if (f->host[0]) {
        buf_append(&b, " (", 2);
        alert_slack_code(&b, f->host);
        buf_append(&b, ")", 1);
    }
    json_array_append_new(blocks, slack_section(bufs(&b)));

    json_t *sec = json_object();
    json_object_set_new(sec, "type", json_string("section"));
    slack_field(fields, &b, "Address", v->where, NULL, NULL);
    slack_field(fields, &b, "Service", v->svc, v->what, NULL);
    slack_field(fields, &b, "Severity", NULL, NULL, v->sev);
    slack_field(fields, &b, "Records", NULL, NULL, v->records);
    json_object_set_new(sec, "fields", fields);
    json_array_append_new(blocks, sec);

    if (f->nsignals) {
        buf_reset(&b);
        buf_append(&b, "*Signals*", 9);
        signal_lines(&b, f, alert_slack_code, "\xE2\x80\xA2 ", BLOCK_BUDGET);
        json_array_append_new(blocks, slack_section(bufs(&b)));
    }
    if (f->names.n) {
        buf_reset(&b);
        buf_appendf(
            &b, "*Names (%llu)*\n",
            (unsigned long long)(f->names.total > f->names.n ? f->names.total : f->names.n));
        name_list(&b, f, alert_slack_code, BLOCK_BUDGET);
        json_array_append_new(blocks, slack_section(bufs(&b)));
    }
    buf_reset(&b);
    buf_append(&b, "ajar", 4);
    if (a->scan_id) buf_appendf(&b, " \xC2\xB7 scan #%lld", (long long)a->scan_id);
    if (v->url[0]) /* checked and percent-encoded: no space, '|' or '>' in it */
        buf_appendf(&b, " \xC2\xB7 <%s|Open the finding in the dashboard>", v->url);
    json_t *ctx = json_object(), *els = json_array();
    json_object_set_new(ctx, "type", json_string("context"));
    json_array_append_new(els, mrkdwn(bufs(&b)));
    json_object_set_new(ctx, "elements", els);
    json_array_append_new(blocks, ctx);
    json_object_set_new(j, "blocks", blocks);
    buf_free(&b);
    return j;
}

/* ---- Mattermost ---- */

static void mm_field(json_t *fields, struct buf *b, const char *title, const char *code1,
                     const char *code2, const char *plain)
{
    buf_reset(b);
    if (code1) alert_md_code(b, code1);
    if (code2 && code2[0]) {
        buf_append(b, " ", 1);
        alert_md_code(b, code2);
    }
    if (plain) buf_append(b, plain, strlen(plain)); /* ajar's words and numbers */
    json_t *o = json_object();
    json_object_set_new(o, "short", json_true());
    json_object_set_new(o, "title", json_string(title));
    json_object_set_new(o, "value", jtext(bufs(b)));
    json_array_append_new(fields, o);
}

static json_t *render_mattermost(const struct alert *a, const struct view *v)
{
    const struct finding *f = a->f;
    json_t *j = json_object(), *att = json_object(), *atts = json_array(), *fields = json_array();
    struct buf b;
    buf_init(&b, 16384);
    /* the title with the address as code: "[2001:db8::7]" is no link label */
    buf_appendf(&b, "**%.*s** ", (int)(strstr(v->title, " at ") - v->title + 3), v->title);
    alert_md_code(&b, v->where);
    if (f->host[0]) {
        buf_append(&b, " (", 2);
        alert_md_code(&b, f->host);
        buf_append(&b, ")", 1);
    }
    json_object_set_new(j, "text", jtext(bufs(&b)));
    json_object_set_new(att, "fallback", jtext(v->title));
    json_object_set_new(att, "color", json_string(v->color));
    if (v->url[0]) {
        json_object_set_new(att, "title", json_string("Open the finding in the dashboard"));
        json_object_set_new(att, "title_link", json_string(v->url));
    }
    mm_field(fields, &b, "Address", v->where, NULL, NULL);
    mm_field(fields, &b, "Service", v->svc, v->what, NULL);
    mm_field(fields, &b, "Severity", NULL, NULL, v->sev);
    mm_field(fields, &b, "Records", NULL, NULL, v->records);
    json_object_set_new(att, "fields", fields);
    buf_reset(&b);
    if (f->nsignals) {
        buf_append(&b, "**Signals**", 11);
        signal_lines(&b, f, alert_md_code, "- ", BLOCK_BUDGET);
    }
    if (f->names.n) {
        buf_appendf(
            &b, "%s**Names (%llu)**\n", b.len ? "\n\n" : "",
            (unsigned long long)(f->names.total > f->names.n ? f->names.total : f->names.n));
        name_list(&b, f, alert_md_code, 2 * BLOCK_BUDGET);
    }
    if (a->scan_id)
        buf_appendf(&b, "%sajar scan #%lld", b.len ? "\n\n" : "", (long long)a->scan_id);
    if (b.len) json_object_set_new(att, "text", jtext(bufs(&b)));
    json_array_append_new(atts, att);
    json_object_set_new(j, "attachments", atts);
    buf_free(&b);
    return j;
}

/* ---- Microsoft Teams: an Adaptive Card in a message ---- */

static json_t *text_block(const char *text, bool bold)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("TextBlock"));
    json_object_set_new(o, "text", jtext(text));
    json_object_set_new(o, "wrap", json_true());
    if (bold) {
        json_object_set_new(o, "weight", json_string("Bolder"));
        json_object_set_new(o, "size", json_string("Medium"));
    }
    return o;
}

static json_t *text_run(const char *text, bool bold)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("TextRun"));
    json_object_set_new(o, "text", jval(text));
    if (bold) json_object_set_new(o, "weight", json_string("Bolder"));
    return o;
}

/* A line "Label: value" where value is never read as Markdown (a TextRun). */
static json_t *rich_line(const char *label, const char *value)
{
    json_t *o = json_object(), *in = json_array();
    json_object_set_new(o, "type", json_string("RichTextBlock"));
    json_array_append_new(in, text_run(label, true));
    json_array_append_new(in, text_run(value, false));
    json_object_set_new(o, "inlines", in);
    return o;
}

static json_t *teams_card(json_t *body, json_t *actions)
{
    json_t *card = json_object(), *att = json_object(), *atts = json_array(), *msg = json_object();
    json_object_set_new(card, "$schema",
                        json_string("http://adaptivecards.io/schemas/adaptive-card.json"));
    json_object_set_new(card, "type", json_string("AdaptiveCard"));
    json_object_set_new(card, "version", json_string("1.4"));
    json_object_set_new(card, "body", body);
    if (actions) json_object_set_new(card, "actions", actions);
    json_object_set_new(att, "contentType", json_string("application/vnd.microsoft.card.adaptive"));
    json_object_set_new(att, "contentUrl", json_null());
    json_object_set_new(att, "content", card);
    json_array_append_new(atts, att);
    json_object_set_new(msg, "type", json_string("message"));
    json_object_set_new(msg, "attachments", atts);
    return msg;
}

static json_t *render_teams(const struct alert *a, const struct view *v)
{
    const struct finding *f = a->f;
    json_t *body = json_array(), *actions = NULL;
    char line[256];
    json_array_append_new(body, text_block(v->title, true));
    if (f->host[0]) json_array_append_new(body, rich_line("Host name: ", f->host));
    json_array_append_new(body, rich_line("Address: ", v->where));
    str_fmt(line, sizeof line, "%s%s%s", v->svc, v->what[0] ? " " : "", v->what);
    json_array_append_new(body, rich_line("Service: ", line));
    json_array_append_new(body, rich_line("Severity: ", v->sev));
    json_array_append_new(body, rich_line("Records: ", v->records));
    int shown = 0;
    for (int i = 0; i < f->nsignals && i < FINDING_MAX_SIGNALS; i++) {
        if (shown == LIST_MAX) {
            str_fmt(line, sizeof line, "and %d more signals", f->nsignals - shown);
            json_array_append_new(body, text_block(line, false));
            break;
        }
        str_fmt(line, sizeof line, "%s (%s): ", f->signals[i].id,
                severity_name(f->signals[i].severity));
        json_array_append_new(body, rich_line(line, f->signals[i].detail));
        shown++;
    }
    if (f->names.n) {
        struct buf b;
        buf_init(&b, 4096);
        for (uint32_t i = 0; i < f->names.n && i < LIST_MAX; i++)
            buf_appendf(&b, "%s%s", i ? ", " : "", f->names.v[i]);
        uint64_t total = f->names.total > f->names.n ? f->names.total : f->names.n;
        if (total > LIST_MAX)
            buf_appendf(&b, " and %llu more", (unsigned long long)(total - LIST_MAX));
        str_fmt(line, sizeof line, "Names (%llu): ", (unsigned long long)total);
        json_array_append_new(body, rich_line(line, bufs(&b)));
        buf_free(&b);
    }
    if (a->scan_id) {
        str_fmt(line, sizeof line, "ajar scan #%lld", (long long)a->scan_id);
        json_array_append_new(body, text_block(line, false));
    }
    if (v->url[0]) {
        json_t *act = json_object();
        actions = json_array();
        json_object_set_new(act, "type", json_string("Action.OpenUrl"));
        json_object_set_new(act, "title", json_string("Open the finding in the dashboard"));
        json_object_set_new(act, "url", json_string(v->url));
        json_array_append_new(actions, act);
    }
    return teams_card(body, actions);
}

/* ---- PagerDuty Events API v2 ---- */

/* ajar's five severities onto PagerDuty's four. */
static const char *pd_severity(enum severity s)
{
    return s >= SEV_CRITICAL ? "critical"
           : s == SEV_HIGH   ? "error"
           : s == SEV_MEDIUM ? "warning"
                             : "info";
}

static json_t *render_pagerduty(const struct alert_target *t, const struct alert *a,
                                const struct view *v)
{
    const struct finding *f = a->f;
    json_t *j = json_object(), *p = json_object(), *cd = json_object();
    char key[160], ts[32];
    struct buf b;
    buf_init(&b, 8192);
    json_object_set_new(j, "routing_key", json_string(t->routing_key ? t->routing_key : ""));
    json_object_set_new(j, "event_action", json_string("trigger"));
    /* one alert per service: a later trigger for it (worsened) lands on the open alert */
    str_fmt(key, sizeof key, "ajar/%s/%s/%s", f->transport[0] ? f->transport : "tcp", v->where,
            v->svc);
    json_object_set_new(j, "dedup_key", json_string(key));
    buf_appendf(&b, "%s", v->title);
    if (v->what[0]) buf_appendf(&b, " (%s)", v->what);
    for (int i = 0; i < f->nsignals && i < FINDING_MAX_SIGNALS; i++)
        buf_appendf(&b, "%s%s", i ? ", " : ": ", f->signals[i].id);
    struct buf s;
    buf_init(&s, PD_SUMMARY + 8);
    alert_append_cut(&s, bufs(&b), PD_SUMMARY - 3);
    json_object_set_new(p, "summary", jval(bufs(&s)));
    buf_free(&s);
    json_object_set_new(p, "source", jval(f->host[0] ? f->host : v->where));
    json_object_set_new(p, "severity", json_string(pd_severity(f->severity)));
    time_fmt_utc(f->time ? f->time : now_wall(), ts, sizeof ts);
    json_object_set_new(p, "timestamp", json_string(ts));
    json_object_set_new(p, "component", json_string(v->svc));
    json_object_set_new(p, "class", json_string(alert_event_name(a->event)));
    json_object_set_new(cd, "event", json_string(alert_event_name(a->event)));
    json_object_set_new(cd, "severity", json_string(severity_name(f->severity)));
    if (a->has_prev)
        json_object_set_new(cd, "previous_severity", json_string(severity_name(a->prev)));
    if (a->scan_id) json_object_set_new(cd, "scan", json_integer(a->scan_id));
    json_object_set_new(cd, "address", json_string(v->where));
    json_object_set_new(cd, "service", json_string(v->svc));
    if (f->product[0]) json_object_set_new(cd, "product", jval(f->product));
    if (f->version[0]) json_object_set_new(cd, "version", jval(f->version));
    json_object_set_new(cd, "auth", json_string(auth_name(f->auth)));
    if (f->records >= 0) json_object_set_new(cd, "records", json_integer(f->records));
    if (f->bytes >= 0) json_object_set_new(cd, "bytes", json_integer(f->bytes));
    json_t *sig = json_array(), *names = json_array();
    for (int i = 0; i < f->nsignals && i < FINDING_MAX_SIGNALS; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", jval(f->signals[i].id));
        json_object_set_new(o, "severity", json_string(severity_name(f->signals[i].severity)));
        json_object_set_new(o, "detail", jval(f->signals[i].detail));
        json_array_append_new(sig, o);
    }
    json_object_set_new(cd, "signals", sig);
    for (uint32_t i = 0; i < f->names.n && i < 2 * LIST_MAX; i++)
        json_array_append_new(names, jval(f->names.v[i]));
    json_object_set_new(cd, "names", names);
    json_object_set_new(
        cd, "names_total",
        json_integer((json_int_t)(f->names.total > f->names.n ? f->names.total : f->names.n)));
    json_object_set_new(p, "custom_details", cd);
    json_object_set_new(j, "payload", p);
    json_object_set_new(j, "client", json_string("ajar"));
    if (v->url[0]) {
        json_t *links = json_array(), *l = json_object();
        json_object_set_new(l, "href", json_string(v->url));
        json_object_set_new(l, "text", json_string("The finding in the ajar dashboard"));
        json_array_append_new(links, l);
        json_object_set_new(j, "links", links);
        json_object_set_new(j, "client_url", json_string(t->dashboard_url));
    }
    buf_free(&b);
    return j;
}

/* ---- plain text, for a mail ---- */

/* "  Label: value\n", value sanitized and the line cut at line_max bytes. */
static void text_line(struct buf *out, const char *label, const char *value, size_t line_max)
{
    size_t n = strlen(value), cap = 4 * n + 1; /* str_sanitize may write "?" for each byte */
    char *c = xmalloc(cap);
    struct buf l;
    buf_init(&l, line_max + 64);
    buf_appendf(&l, "  %-10s ", label);
    if (c) {
        str_sanitize(c, cap, value, n, false);
        size_t room = line_max > l.len + 3 ? line_max - l.len - 3 : 0;
        alert_append_cut(&l, c, room);
    }
    buf_append(&l, "\n", 1);
    buf_append(out, bufs(&l), l.len);
    buf_free(&l);
    free(c);
}

int alert_render_text(const struct alert_target *t, const struct alert *a, size_t line_max,
                      struct buf *out)
{
    const struct finding *f = a->f;
    struct view *v = xcalloc(1, sizeof *v);
    if (!v) return -1;
    view_make(t, a, v);
    char up[16], line[256];
    size_t k = 0;
    for (const char *p = severity_name(f->severity); *p && k + 1 < sizeof up; p++)
        up[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    up[k] = 0;
    buf_appendf(out, "%s %s\n", up, strchr(v->title, ' ') ? strchr(v->title, ' ') + 1 : v->title);
    if (f->host[0]) text_line(out, "Host name:", f->host, line_max);
    str_fmt(line, sizeof line, "%s%s%s", v->svc, v->what[0] ? " " : "", v->what);
    text_line(out, "Service:", line, line_max);
    text_line(out, "Severity:", v->sev, line_max);
    text_line(out, "Records:", v->records, line_max);
    for (int i = 0; i < f->nsignals && i < FINDING_MAX_SIGNALS; i++) {
        if (i == LIST_MAX) {
            str_fmt(line, sizeof line, "and %d more", f->nsignals - i);
            text_line(out, "Signal:", line, line_max);
            break;
        }
        struct buf s;
        buf_init(&s, 1024);
        buf_appendf(&s, "%s (%s): %s", f->signals[i].id, severity_name(f->signals[i].severity),
                    f->signals[i].detail);
        text_line(out, "Signal:", bufs(&s), line_max);
        buf_free(&s);
    }
    if (f->names.n) {
        struct buf s;
        buf_init(&s, 4 * line_max);
        uint64_t total = f->names.total > f->names.n ? f->names.total : f->names.n;
        buf_appendf(&s, "(%llu) ", (unsigned long long)total);
        uint32_t shown = f->names.n < LIST_MAX ? f->names.n : LIST_MAX;
        for (uint32_t i = 0; i < shown; i++)
            buf_appendf(&s, "%s%s", i ? ", " : "", f->names.v[i]);
        if (total > shown) buf_appendf(&s, " and %llu more", (unsigned long long)(total - shown));
        text_line(out, "Names:", bufs(&s), line_max);
        buf_free(&s);
    }
    if (a->scan_id) {
        str_fmt(line, sizeof line, "#%lld", (long long)a->scan_id);
        text_line(out, "Scan:", line, line_max);
    }
    if (v->url[0]) text_line(out, "Dashboard:", v->url, line_max);
    free(v);
    return out->truncated ? -1 : buf_append(out, "\n", 1);
}

/* ---- the entry points ---- */

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

char *alert_render(const struct alert_target *t, const struct alert *a)
{
    struct view *v = xcalloc(1, sizeof *v);
    if (!v) return NULL;
    view_make(t, a, v);
    json_t *j = NULL;
    switch (t->format) {
    case ALERT_JSON:
        j = render_json(a, v);
        break;
    case ALERT_SLACK:
        j = render_slack(a, v);
        break;
    case ALERT_MATTERMOST:
        j = render_mattermost(a, v);
        break;
    case ALERT_TEAMS:
        j = render_teams(a, v);
        break;
    case ALERT_PAGERDUTY:
        j = render_pagerduty(t, a, v);
        break;
    }
    free(v);
    return dump(j);
}

static json_t *end_json(const struct scan_info *si, const char *text)
{
    json_t *j = json_object(), *c = json_object();
    json_object_set_new(c, "status", json_string(scan_status_name(si->status)));
    json_object_set_new(c, "walk_percent", json_real(scan_walk_percent(si)));
    json_object_set_new(c, "reason", si->reason[0] ? jtext(si->reason) : json_null());
    json_object_set_new(c, "closed", json_integer(si->closed));
    json_object_set_new(c, "group_complete", json_boolean(scan_group_complete(si)));
    json_object_set_new(j, "event", json_string("scan-end"));
    json_object_set_new(j, "scan", json_integer(si->id));
    json_object_set_new(j, "coverage", c);
    json_object_set_new(j, "text", jtext(text));
    return j;
}

char *alert_render_end(const struct alert_target *t, const struct scan_info *si, const char *text,
                       uint64_t alerted)
{
    if (t->format == ALERT_JSON) return dump(end_json(si, text));
    bool partial = si->status != SCAN_COMPLETE || !scan_group_complete(si);
    if (t->format == ALERT_PAGERDUTY || (!partial && !alerted)) return NULL;
    char tail[128] = "";
    if (alerted)
        str_fmt(tail, sizeof tail, "; %llu alert(s) during this scan", (unsigned long long)alerted);
    if (partial)
        str_fmt(tail + strlen(tail), sizeof tail - strlen(tail),
                "; the alerts cover only what the walk reached");
    struct buf b;
    buf_init(&b, 4096);
    json_t *j = json_object();
    switch (t->format) {
    case ALERT_SLACK:
        buf_append(&b, "ajar: ", 6);
        alert_slack_code(&b, text); /* the reason may quote an error message */
        buf_appendf(&b, "%s", tail);
        json_object_set_new(j, "text", jtext(bufs(&b)));
        json_object_set_new(j, "unfurl_links", json_false());
        break;
    case ALERT_MATTERMOST:
        buf_append(&b, "ajar: ", 6);
        alert_md_code(&b, text);
        buf_appendf(&b, "%s", tail);
        json_object_set_new(j, "text", jtext(bufs(&b)));
        break;
    case ALERT_TEAMS: {
        json_t *body = json_array();
        json_array_append_new(body, text_block(partial ? "ajar: a scan ended before its walk was "
                                                         "complete"
                                                       : "ajar: a scan ended",
                                               true));
        buf_appendf(&b, "%s%s", text, tail);
        json_array_append_new(body, rich_line("Coverage: ", bufs(&b)));
        json_decref(j);
        j = teams_card(body, NULL);
        break;
    }
    default:
        break;
    }
    buf_free(&b);
    return dump(j);
}
