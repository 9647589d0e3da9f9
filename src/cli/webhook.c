/*
 * cli/webhook.c -- alerts to a webhook, off the scan's path.
 *
 * The scan thread takes alert_judge()'s decision (cli/alert.c), renders
 * the body in the target's format (cli/alert_fmt.c) and appends it to a
 * ring of WEBHOOK_QUEUE entries under a mutex. It never waits: a full ring
 * drops the alert and counts it.
 *
 * The sender thread takes one body at a time and POSTs it: a non-blocking
 * socket, every step polled in slices of 100 ms against the attempt's
 * deadline and the abort flag, so closing never waits for a hung receiver
 * longer than one slice. A 2xx status line is success; a refused
 * connection, a timeout, a 408, 429 or 5xx is retried after 1 s and 2 s,
 * then counted as failed; another status (a 400: the body was refused, as
 * PagerDuty's documentation says, not worth sending again) fails at once.
 * Only the status line of the answer is read (capped at 1 KiB).
 *
 * Body (json): {"event":"new"|"worsened"|"found","previous_severity":..,
 *        "scan":ID,"finding":{the record of docs/record.md}}; when the walk
 *        ends {"event":"scan-end","scan":ID,"coverage":{"status",
 *        "walk_percent","reason","closed","group_complete"},"text":...}.
 *        The other formats: docs/periodic-scans.md.
 */
#include "cli/webhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct webhook {
    struct alert_target target; /* how the bodies are rendered (strings borrowed) */
    bool tls;                   /* https:// */
    SSL_CTX *ctx;               /* verifies against the system store (SSL_CERT_FILE/DIR honoured) */
    bool host_is_ip;            /* the certificate must then name the IP address */
    char host[256];             /* for the Host header, SNI and the certificate check */
    char path[1024];
    struct sockaddr_storage sa;
    socklen_t salen;

    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* something queued, or closing/abort */
    pthread_cond_t idle_cv;
    char *ring[WEBHOOK_QUEUE];
    size_t head, count;
    bool busy;    /* the sender holds a body */
    bool closing; /* no more bodies will come */
    bool abort;   /* stop now, drop the rest */
    struct webhook_stats st;
};

/* Split "http[s]://HOST[:PORT][/PATH]"; tls, host (brackets removed), port, path. */
static int url_split(const char *url, bool *tls, char *host, size_t hn, char *port, size_t pn,
                     char *path, size_t pathn, struct err *e)
{
    *tls = str_iprefix(url, "https://");
    if (!*tls && !str_iprefix(url, "http://"))
        return err_set(e, "bad webhook URL '%s' (want http[s]://HOST[:PORT]/PATH)", url);
    const char *h = url + (*tls ? 8 : 7), *end = h + strcspn(h, "/?#");
    const char *hp_end = end;
    const char *colon = NULL;
    if (h < end && *h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb) return err_set(e, "bad webhook URL '%s' (unclosed '[')", url);
        if (rb + 1 < end) {
            if (rb[1] != ':') return err_set(e, "bad webhook URL '%s'", url);
            colon = rb + 1;
        }
        hp_end = rb;
        h++;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        if (colon) hp_end = colon;
    }
    size_t hl = (size_t)(hp_end - h);
    if (hl == 0 || hl >= hn || memchr(h, '@', hl))
        return err_set(e, "bad webhook URL '%s' (no host, or user info)", url);
    memcpy(host, h, hl);
    host[hl] = 0;
    uint64_t pv = *tls ? 443 : 80;
    if (colon && parse_u64n(colon + 1, (size_t)(end - colon - 1), 65535, &pv) < 0)
        return err_set(e, "bad port in webhook URL '%s'", url);
    if (pv == 0) return err_set(e, "bad port in webhook URL '%s'", url);
    str_fmt(port, pn, "%u", (unsigned)pv);
    const char *p = *end == '/' ? end : "/";
    if (strlen(p) >= pathn) return err_set(e, "webhook URL too long");
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return err_set(e, "bad character in webhook URL '%s'", url);
    str_copy(path, p, pathn);
    return 0;
}

int webhook_url_check(const char *url, struct err *e)
{
    char host[256], port[8], path[1024];
    bool tls;
    return url_split(url, &tls, host, sizeof host, port, sizeof port, path, sizeof path, e);
}

/* ---- one POST ---- */

/* Wait for ev on fd until deadline (monotonic ms) or abort; 1 ready, 0 timeout/abort, -1 error. */
static int wait_fd(struct webhook *w, int fd, short ev, int64_t deadline)
{
    for (;;) {
        pthread_mutex_lock(&w->mu);
        bool ab = w->abort;
        pthread_mutex_unlock(&w->mu);
        int64_t left = deadline - now_ms();
        if (ab || left <= 0) return 0;
        struct pollfd pfd = {.fd = fd, .events = ev};
        int r = poll(&pfd, 1, left > 100 ? 100 : (int)left);
        if (r > 0) return (pfd.revents & (POLLERR | POLLNVAL)) && !(pfd.revents & ev) ? -1 : 1;
        if (r < 0 && errno != EINTR) return -1;
    }
}

/*
 * One TLS step (handshake, write or read) on a non-blocking socket: retried
 * as OpenSSL asks until it completes or the deadline passes. Returns what
 * the step returned (> 0), 0 for a clean close, -1 on failure (reason in e).
 */
static int tls_step(struct webhook *w, SSL *ssl, int fd, int64_t deadline, int op, void *p,
                    size_t n, struct err *e)
{
    for (;;) {
        int r = op == 0   ? SSL_connect(ssl)
                : op == 1 ? SSL_write(ssl, p, (int)n)
                          : SSL_read(ssl, p, (int)n);
        if (r > 0) return r;
        int er = SSL_get_error(ssl, r);
        short ev;
        if (er == SSL_ERROR_WANT_READ)
            ev = POLLIN;
        else if (er == SSL_ERROR_WANT_WRITE)
            ev = POLLOUT;
        else if (er == SSL_ERROR_ZERO_RETURN)
            return 0;
        else {
            long v = SSL_get_verify_result(ssl);
            if (op == 0 && v != X509_V_OK)
                err_set(e, "TLS: certificate not trusted: %s", X509_verify_cert_error_string(v));
            else
                err_set(e, "TLS: %s",
                        ERR_reason_error_string(ERR_peek_last_error())
                            ? ERR_reason_error_string(ERR_peek_last_error())
                            : "connection failed");
            ERR_clear_error();
            return -1;
        }
        if (wait_fd(w, fd, ev, deadline) <= 0) {
            err_set(e, "TLS: timed out");
            return -1;
        }
    }
}

/* 0 when the receiver answered 2xx; -2 when its answer says the body will never be taken (a
 * 4xx but 408 and 429); -1 otherwise, worth another try (reason in e). */
static int post_once(struct webhook *w, const char *body, struct err *e)
{
    int rc = -1;
    int64_t deadline = now_ms() + WEBHOOK_ATTEMPT_MS;
    SSL *ssl = NULL;
    struct buf req;
    buf_init(&req, (size_t)64 * 1024 + strlen(body));
    int fd = socket(w->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err_set(e, "socket: %s", strerror(errno));
        goto out;
    }
    if (connect(fd, (struct sockaddr *)&w->sa, w->salen) < 0 && errno != EINPROGRESS) {
        err_set(e, "connect: %s", strerror(errno));
        goto out;
    }
    if (wait_fd(w, fd, POLLOUT, deadline) <= 0) {
        err_set(e, "connect: timed out");
        goto out;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
        err_set(e, "connect: %s", strerror(soerr ? soerr : errno));
        goto out;
    }
    if (w->tls) {
        ssl = SSL_new(w->ctx);
        if (!ssl || SSL_set_fd(ssl, fd) != 1) {
            err_set(e, "TLS: out of memory");
            goto out;
        }
        X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
        if (w->host_is_ip) {
            X509_VERIFY_PARAM_set1_ip_asc(vp, w->host);
        } else {
            SSL_set_tlsext_host_name(ssl, w->host);
            X509_VERIFY_PARAM_set1_host(vp, w->host, 0);
        }
        if (tls_step(w, ssl, fd, deadline, 0, NULL, 0, e) < 0) goto out;
    }
    bool v6 = w->sa.ss_family == AF_INET6 && strchr(w->host, ':');
    if (buf_appendf(&req,
                    "POST %s HTTP/1.1\r\nHost: %s%s%s\r\nUser-Agent: ajar\r\n"
                    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                    "Connection: close\r\n\r\n",
                    w->path, v6 ? "[" : "", w->host, v6 ? "]" : "", strlen(body)) < 0 ||
        buf_append(&req, body, strlen(body)) < 0) {
        err_set(e, "request too large");
        goto out;
    }
    size_t off = 0;
    while (ssl && off < req.len) {
        int n = tls_step(w, ssl, fd, deadline, 1, req.data + off, req.len - off, e);
        if (n <= 0) {
            if (n == 0) err_set(e, "TLS: closed while sending");
            goto out;
        }
        off += (size_t)n;
    }
    while (off < req.len) {
        if (wait_fd(w, fd, POLLOUT, deadline) <= 0) {
            err_set(e, "send: timed out");
            goto out;
        }
        ssize_t n = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            err_set(e, "send: %s", strerror(errno));
            goto out;
        }
        if (n > 0) off += (size_t)n;
    }
    char resp[1024] = "";
    size_t got = 0;
    while (ssl && got < sizeof resp - 1 && !memchr(resp, '\n', got)) {
        int n = tls_step(w, ssl, fd, deadline, 2, resp + got, sizeof resp - 1 - got, e);
        if (n < 0) goto out;
        if (n == 0) break;
        got += (size_t)n;
    }
    while (!ssl && got < sizeof resp - 1 && !memchr(resp, '\n', got)) {
        if (wait_fd(w, fd, POLLIN, deadline) <= 0) {
            err_set(e, "no answer in time");
            goto out;
        }
        ssize_t n = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (n == 0) break;
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            err_set(e, "recv: %s", strerror(errno));
            goto out;
        }
        if (n > 0) got += (size_t)n;
    }
    resp[got] = 0;
    uint64_t status = 0;
    if (got < 12 || !str_iprefix(resp, "HTTP/1.") || parse_u64n(resp + 9, 3, 999, &status) < 0) {
        err_set(e, "not an HTTP answer");
        goto out;
    }
    if (status < 200 || status > 299) {
        err_set(e, "status %u", (unsigned)status);
        if (status >= 400 && status <= 499 && status != 408 && status != 429) rc = -2;
        goto out;
    }
    rc = 0;
out:
    SSL_free(ssl);
    if (fd >= 0) close(fd);
    buf_free(&req);
    return rc;
}

/* Sleep ms unless aborted; true when aborted. */
static bool backoff(struct webhook *w, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->mu);
    while (!w->abort && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
        ;
    bool ab = w->abort;
    pthread_mutex_unlock(&w->mu);
    return ab;
}

static void *sender(void *arg)
{
    struct webhook *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->count && !w->closing && !w->abort)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->abort || !w->count) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        char *body = w->ring[w->head];
        w->ring[w->head] = NULL;
        w->head = (w->head + 1) % WEBHOOK_QUEUE;
        w->count--;
        w->busy = true;
        pthread_mutex_unlock(&w->mu);

        bool sent = false, aborted = false;
        struct err e = {{0}};
        for (int t = 0; t < WEBHOOK_TRIES && !sent && !aborted; t++) {
            if (t && (aborted = backoff(w, 1000 << (t - 1)))) break;
            int r = post_once(w, body, &e);
            if (r == 0) {
                sent = true;
            } else {
                log_info("webhook: attempt %d: %s", t + 1, e.msg);
                if (r == -2) break; /* refused for good: sending it again changes nothing */
            }
        }
        free(body);
        pthread_mutex_lock(&w->mu);
        if (sent)
            w->st.sent++;
        else if (w->abort)
            w->st.dropped++;
        else
            w->st.failed++;
        if (!sent && !w->abort) log_warn("webhook: alert not delivered: %s", e.msg);
        w->busy = false;
        pthread_cond_broadcast(&w->idle_cv);
        pthread_mutex_unlock(&w->mu);
    }
    pthread_mutex_lock(&w->mu);
    w->busy = false;
    pthread_cond_broadcast(&w->idle_cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int webhook_open(struct webhook **out, const char *url, const struct alert_target *t, struct err *e)
{
    char port[8];
    if (t->format == ALERT_PAGERDUTY && (!t->routing_key || !t->routing_key[0]))
        return err_set(e, "--webhook-format pagerduty needs a routing key (--pagerduty-key or "
                          "AJAR_PAGERDUTY_KEY)");
    struct webhook *w = xcalloc(1, sizeof *w);
    if (!w) return err_set(e, "out of memory");
    w->target = *t;
    if (url_split(url, &w->tls, w->host, sizeof w->host, port, sizeof port, w->path, sizeof w->path,
                  e) < 0) {
        free(w);
        return -1;
    }
    if (!w->tls)
        log_warn("warning: the webhook %s://%s is cleartext http: what it is sent "
                 "(addresses, services, findings) travels unencrypted; use https://",
                 "http", w->host);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(w->host, port, &hints, &res);
    if (g != 0 || !res) {
        err_set(e, "webhook host '%s': %s", w->host, gai_strerror(g));
        free(w);
        return -1;
    }
    memcpy(&w->sa, res->ai_addr, res->ai_addrlen);
    w->salen = res->ai_addrlen;
    freeaddrinfo(res);
    unsigned char ipbuf[16];
    w->host_is_ip =
        inet_pton(AF_INET, w->host, ipbuf) == 1 || inet_pton(AF_INET6, w->host, ipbuf) == 1;
    if (w->tls) {
        w->ctx = SSL_CTX_new(TLS_client_method());
        if (!w->ctx || SSL_CTX_set_default_verify_paths(w->ctx) != 1 ||
            SSL_CTX_set_min_proto_version(w->ctx, TLS1_2_VERSION) != 1) {
            SSL_CTX_free(w->ctx);
            free(w);
            return err_set(e, "webhook: cannot set up TLS");
        }
        SSL_CTX_set_verify(w->ctx, SSL_VERIFY_PEER, NULL);
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, &ca);
    pthread_cond_init(&w->idle_cv, &ca);
    pthread_condattr_destroy(&ca);
    /* the sender inherits a mask with every signal blocked: SIGINT/SIGTERM stay the scan's,
     * and a receiver that closes mid-write (SSL_write has no MSG_NOSIGNAL) cannot SIGPIPE us */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int pc = pthread_create(&w->thread, NULL, sender, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pc != 0) {
        SSL_CTX_free(w->ctx);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        pthread_cond_destroy(&w->idle_cv);
        free(w);
        return err_set(e, "cannot start the webhook sender");
    }
    w->started = true;
    *out = w;
    return 0;
}

static void enqueue(struct webhook *w, char *body)
{
    pthread_mutex_lock(&w->mu);
    if (!body || w->count == WEBHOOK_QUEUE || w->closing) {
        w->st.dropped++;
        if (body && w->count == WEBHOOK_QUEUE) w->st.full++;
        pthread_mutex_unlock(&w->mu);
        free(body);
        return;
    }
    w->ring[(w->head + w->count) % WEBHOOK_QUEUE] = body;
    w->count++;
    w->st.queued++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void webhook_post(struct webhook *w, const struct alert *a)
{
    if (!w || a->event == ALERT_NONE) return;
    enqueue(w, alert_render(&w->target, a));
}

void webhook_scan_end(struct webhook *w, const struct scan_info *si, const char *text)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    uint64_t alerted = w->st.queued + w->st.dropped;
    pthread_mutex_unlock(&w->mu);
    char *body = alert_render_end(&w->target, si, text, alerted);
    if (body) enqueue(w, body);
}

void webhook_close(struct webhook *w, int wait_ms, struct webhook_stats *st)
{
    if (!w) return;
    int64_t deadline = now_ms() + (wait_ms > 0 ? wait_ms : 0);
    pthread_mutex_lock(&w->mu);
    w->closing = true;
    pthread_cond_broadcast(&w->cv);
    while ((w->count || w->busy) && now_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->idle_cv, &w->mu, &ts);
    }
    w->abort = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->started) pthread_join(w->thread, NULL);
    /* what never left the ring */
    for (size_t i = 0; i < w->count; i++) {
        free(w->ring[(w->head + i) % WEBHOOK_QUEUE]);
        w->st.dropped++;
    }
    if (w->st.failed || w->st.dropped)
        log_warn("webhook: %llu alert(s) sent, %llu failed, %llu dropped (%llu when the queue "
                 "was full)",
                 (unsigned long long)w->st.sent, (unsigned long long)w->st.failed,
                 (unsigned long long)w->st.dropped, (unsigned long long)w->st.full);
    else if (w->st.sent)
        log_info("webhook: %llu alert(s) sent", (unsigned long long)w->st.sent);
    if (st) *st = w->st;
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_cond_destroy(&w->idle_cv);
    SSL_CTX_free(w->ctx);
    free(w);
}
