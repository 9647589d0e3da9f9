/*
 * cli/webhook.h -- `--webhook URL`: one POST per new or worsened finding at
 * or above `--alert-min`, in the receiver's format (`--webhook-format`:
 * json, slack, mattermost, teams, pagerduty; cli/alert.h), sent by a thread
 * of its own so the scan never waits for the receiver.
 *
 * The scan thread only renders the body and puts it on a bounded queue
 * (full: dropped and counted). The sender posts each one with a deadline
 * per attempt and retries twice with backoff (1 s, then 2 s) after a
 * connection failure, a timeout, a 408, a 429 or a 5xx; any other answer
 * outside 2xx (a 400: the receiver refuses the body) is final at once. At
 * the end of the scan the sender gets at most `--webhook-wait` seconds to
 * deliver what is queued; whatever is left is dropped and counted, and a
 * warning says how many alerts were not delivered.
 *
 * http:// or https:// (HTTP/1.1, Connection: close), written here over a
 * socket with OpenSSL for TLS (the certificate is verified: system store,
 * or SSL_CERT_FILE; host name or IP address checked). The URL's path and the
 * PagerDuty routing key are secrets: never logged, never stored.
 */
#ifndef AJAR_CLI_WEBHOOK_H
#define AJAR_CLI_WEBHOOK_H

#include "cli/alert.h"
#include "core/finding.h"
#include "core/util.h"

struct webhook;
struct store;

#define WEBHOOK_QUEUE      1024 /* alerts waiting at most */
#define WEBHOOK_TRIES      3
#define WEBHOOK_ATTEMPT_MS 3000 /* connect + send + status line, per attempt */

struct webhook_stats {
    uint64_t queued, sent, failed, dropped;
    uint64_t full; /* of dropped: the queue was full when they came */
};

/* Is url one we can post to ("http[s]://HOST[:PORT][/PATH]")? -1 with e set if not. */
int webhook_url_check(const char *url, struct err *e);
/*
 * Resolve the host once and start the sender. t says how to render (its strings are borrowed
 * and must outlive w); a pagerduty target needs its routing key.
 */
int webhook_open(struct webhook **out, const char *url, const struct alert_target *t,
                 struct err *e);
/* Queue the rendering of an alert that alert_judge() did not call ALERT_NONE. Never blocks on
 * the network. */
void webhook_post(struct webhook *w, const struct alert *a);
/*
 * The scan's walk ended: the format's word on it (alert_render_end: for json one
 * {"event":"scan-end","scan":ID,"coverage":{...},"text":"..."}, whatever --alert-min), so a
 * receiver knows whether the scan it heard of was complete.
 */
struct scan_info;
void webhook_scan_end(struct webhook *w, const struct scan_info *si, const char *text);
/* Give the sender up to wait_ms to empty the queue, stop it, free w. st may be NULL. */
void webhook_close(struct webhook *w, int wait_ms, struct webhook_stats *st);

#endif
