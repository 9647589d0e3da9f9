/*
 * cli/webhook.h -- `--webhook URL`: one JSON POST per new or worsened
 * finding at or above `--alert-level`, sent by a thread of its own so the
 * scan never waits for the receiver.
 *
 * The scan thread only builds the body and puts it on a bounded queue
 * (full: dropped and counted). The sender posts each one with a deadline
 * per attempt and retries twice with backoff (1 s, then 2 s) after a
 * connection failure, a timeout or a non-2xx answer. At the end of the scan
 * the sender gets at most `--webhook-wait` seconds to deliver what is
 * queued; whatever is left is dropped and counted, and a warning says how
 * many alerts were not delivered.
 *
 * http:// or https:// (HTTP/1.1, Connection: close), written here over a
 * socket with OpenSSL for TLS (the certificate is verified: system store,
 * or SSL_CERT_FILE; host name or IP address checked).
 */
#ifndef AJAR_CLI_WEBHOOK_H
#define AJAR_CLI_WEBHOOK_H

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
/* Resolve the host once and start the sender. */
int webhook_open(struct webhook **out, const char *url, struct err *e);
/*
 * Called for every finding once the store has filled first/last seen
 * (store NULL with --no-db: every finding at or above level is posted as
 * "found"). Posts when it is new (first seen by this scan) or worse than the
 * previous observation of the same service. Never blocks on the network.
 */
void webhook_consider(struct webhook *w, struct store *store, int64_t scan_id, time_t scan_start,
                      const struct finding *f, enum severity level);
/*
 * The scan's walk ended: one {"event":"scan-end","scan":ID,"coverage":{...},"text":"..."} post
 * (whatever --alert-level), so a receiver knows whether the scan it heard of was complete.
 */
struct scan_info;
void webhook_scan_end(struct webhook *w, const struct scan_info *si, const char *text);
/* Give the sender up to wait_ms to empty the queue, stop it, free w. st may be NULL. */
void webhook_close(struct webhook *w, int wait_ms, struct webhook_stats *st);

#endif
