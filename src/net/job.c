/*
 * net/job.c -- the probe-job sequence: what the engine does with an open port (engine.c is
 * the event loop that drives it; engine_int.h what the two share).
 *
 * A job runs its plan (probe_plan): each attempt is one probe on one connection (plus the
 * reconnects that probe asks for). The first attempt reuses the discovery connection. TLS is
 * tried first on TLS ports; on any other port, an answer that looks like a TLS record (or an
 * HTTP server complaining of plain HTTP on a TLS port), or a silent close of the HTTP attempt,
 * switches the rest of the plan to TLS. After a failed attempt, the bytes it got are offered
 * to the remaining probes' sniff() and the most confident goes next. A probe's return code
 * (PROBE_MORE, SEND, DONE, RECONNECT, STARTTLS, NOMATCH) decides the next step.
 */
#include "net/engine_int.h"
#include "probe/http.h"
#include "tls/tls.h"

#include <errno.h>
#include <stddef.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define READ_CHUNK     16384
#define MAX_RECONNECTS 8

static void attempt_next(struct engine *en, struct slot *s);

/* ---- a job's start and end ---- */

/* The registry index of probe p (plans hold indices: 2 bytes an entry, not 8). */
static bool probe_index(const struct probe *p, uint16_t *out)
{
    for (size_t i = 0, n = probe_count(); i < n && i <= UINT16_MAX; i++)
        if (probe_at(i) == p) {
            *out = (uint16_t)i;
            return true;
        }
    return false;
}

/* The plan for port (the engine's cache, made on the first open port of each). */
static const struct plan_entry *plan_for(struct engine *en, uint16_t port)
{
    struct plan_entry *pe = &en->plans[port % PLAN_CACHE];
    if (pe->used && pe->port == port) return pe;
    const struct probe *plan[PLAN_MAX];
    size_t n = 0;
    if (en->o->only_probe) {
        const struct probe *p = probe_find(en->o->only_probe);
        if (p) plan[n++] = p;
    } else {
        n = probe_plan(port, plan, PLAN_MAX);
    }
    pe->used = true;
    pe->port = port;
    pe->n = 0;
    for (size_t i = 0; i < n; i++)
        if (probe_index(plan[i], &pe->idx[pe->n])) pe->n++;
    return pe;
}

void job_start(struct engine *en, struct slot *s)
{
    struct job *j = en->job_pool;
    if (j)
        en->job_pool = j->pool_next;
    else
        j = xmalloc(sizeof *j);
    if (!j) {
        /* no memory for a job: report the open port as discovery only */
        struct finding f;
        finding_init(&f);
        target_addr_str(&s->t, f.ip, sizeof f.ip);
        f.port = s->t.port;
        f.time = now_wall();
        str_copy(f.error, "out of memory", sizeof f.error);
        en_emit(en, &f);
        finding_free(&f);
        en_slot_free(en, s);
        return;
    }
    s->job = j;
    /* what is read before it is written: the finding (finding_init) and the fields up to the
     * banners; the banners themselves are read only up to their lengths */
    memset((char *)j + offsetof(struct job, plan), 0,
           offsetof(struct job, banner) - offsetof(struct job, plan));
    finding_init(&j->f);
    target_addr_str(&s->t, j->f.ip, sizeof j->f.ip);
    j->f.port = s->t.port;
    if (s->t.host) str_copy(j->f.host, s->t.host, sizeof j->f.host);
    j->f.time = now_wall();
    j->deadline_ms = now_ms() + en->o->job_timeout_ms;
    const struct plan_entry *pe = plan_for(en, s->t.port);
    memcpy(j->plan, pe->idx, pe->n * sizeof j->plan[0]);
    j->nplan = pe->n;
    j->tls = probe_port_is_tls(s->t.port);
    s->st = S_PROBING; /* the discovery socket is connected */
    s->discovery = true;
    attempt_next(en, s);
}

void job_finish(struct engine *en, struct slot *s)
{
    struct job *j = s->job;
    struct finding *f = &j->f;
    if (!f->service[0]) {
        str_copy(f->service, "unknown", sizeof f->service);
        const uint8_t *b = j->keep_bannerlen ? j->keep_banner : j->banner;
        size_t bl = j->keep_bannerlen ? j->keep_bannerlen : j->bannerlen;
        if (bl) str_sanitize(f->banner, sizeof f->banner, b, bl, true);
        /* no probe finished: say why the last attempt failed (a silent,
         * dripping or resetting server left no trace on the record) */
        if (!f->error[0] && j->why) str_copy(f->error, j->why, sizeof f->error);
    } else {
        en->st->identified++;
    }
    en_emit(en, f);
    if (j->run_active) {
        for (int i = 0; i < PROBE_MAX_EXTRA; i++) {
            struct finding *x = j->run.extra[i];
            if (!x) continue;
            if (!x->service[0]) continue;
            en_emit(en, x);
        }
    }
    en_sock_close(en, s, false);
    en_slot_free(en, s);
}

/* ---- the plan ---- */

/* Move plan entry i to the front of what is left. */
static void plan_promote(struct job *j, size_t i)
{
    if (i == j->next) return;
    uint16_t tmp = j->plan[i];
    memmove(&j->plan[j->next + 1], &j->plan[j->next], (i - j->next) * sizeof j->plan[0]);
    j->plan[j->next] = tmp;
}

/*
 * The next probe: what the port said decides. Bytes heard go to every remaining probe's
 * sniff(); a port that said nothing at all -- not on connecting, not to a foreign request --
 * is not a server-first protocol (it would have greeted), and is most likely one of those
 * that close in silence on a request they do not understand (probe->silent).
 */
static const struct probe *plan_pick(struct job *j)
{
    if (j->next >= j->nplan) return NULL;
    const uint8_t *b = j->bannerlen ? j->banner : j->keep_banner;
    size_t bl = j->bannerlen ? j->bannerlen : j->keep_bannerlen;
    size_t best = j->next;
    if (bl) {
        int best_score = 49;
        for (size_t i = j->next; i < j->nplan; i++) {
            const struct probe *p = probe_at(j->plan[i]);
            if (!p->sniff && !p->sniff_self) continue;
            int sc = probe_sniff(p, b, bl);
            if (sc > best_score) {
                best_score = sc;
                best = i;
            }
        }
    } else if (j->silent && !j->tls_redo) { /* the redo over TLS starts with the same probe */
        int best_score = -1;
        for (size_t i = j->next; i < j->nplan; i++) {
            const struct probe *p = probe_at(j->plan[i]);
            int sc = (p->flags & PROBE_SERVER_FIRST) ? -1 : p->silent;
            if (sc > best_score) {
                best_score = sc;
                best = i;
            }
        }
    }
    plan_promote(j, best);
    return probe_at(j->plan[j->next++]);
}

/* ---- attempts, TLS, a probe's return codes ---- */

void job_tls_begin(struct engine *en, struct slot *s)
{
    SSL_CTX *ctx = tls_client_ctx();
    s->ssl = ctx ? SSL_new(ctx) : NULL;
    if (!s->ssl) {
        s->job->tls = false;
        s->job->tls_decided = true;
        job_probe_begin(en, s);
        return;
    }
    SSL_set_fd(s->ssl, s->fd);
    if (s->job->f.host[0]) SSL_set_tlsext_host_name(s->ssl, s->job->f.host);
    s->st = S_TLS;
    en_timer_arm(en, s, T_STEP);
    en_set_events(en, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
}

void job_tls_failed(struct engine *en, struct slot *s)
{
    struct job *j = s->job;
    if (s->starttls) {
        /* a probe's upgrade failed: the probe decides (e.g. go on in plain) */
        s->starttls = false;
        job_probe_ended(en, s, PROBE_END_TLS);
        return;
    }
    /* the handshake failed: plain from now on */
    j->why = "TLS handshake failed";
    j->tls = false;
    j->tls_decided = true;
    en_sock_close(en, s, false);
    if (j->attempts >= PROBE_MAX_ATTEMPTS) {
        job_finish(en, s);
        return;
    }
    /* retry the same probe in plain -- unless TLS was only a guess after that probe's plain
     * attempt heard nothing: that attempt was made, the next probe goes on in plain */
    if (j->cur && !j->tls_redo) j->next--;
    j->tls_redo = false;
    if (j->run_active) {
        probe_run_free(&j->run);
        j->run_active = false;
    }
    attempt_next(en, s);
}

void job_tls_step(struct engine *en, struct slot *s)
{
    ERR_clear_error();
    int rc = SSL_connect(s->ssl);
    if (rc == 1) {
        s->starttls = false;
        s->job->tls_ok = true;
        s->job->tls_decided = true;
        /* TLS it is: from the next attempt on, what the port said (or its silence) orders the
         * plan again, as in the clear */
        s->job->tls_redo = false;
        if (!s->job->f.tls.present) tls_session_facts(s->ssl, &s->job->f, en->scan_time);
        job_probe_begin(en, s);
        return;
    }
    int e = SSL_get_error(s->ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        en_set_events(en, s, EPOLLIN | EPOLLRDHUP);
    } else if (e == SSL_ERROR_WANT_WRITE) {
        en_set_events(en, s, EPOLLOUT | EPOLLRDHUP);
    } else {
        job_tls_failed(en, s);
    }
}

/* Open a new connection for the job in slot s (same target). */
static void job_reconnect(struct engine *en, struct slot *s)
{
    en_sock_close(en, s, false);
    s->discovery = false;
    en_connect_started(en, s, en_sock_connect(en, s));
}

static void attempt_next(struct engine *en, struct slot *s)
{
    struct job *j = s->job;
    if (j->bannerlen && !j->keep_bannerlen) {
        memcpy(j->keep_banner, j->banner, j->bannerlen);
        j->keep_bannerlen = j->bannerlen;
    }
    if (j->run_active) {
        probe_run_free(&j->run);
        j->run_active = false;
    }
    j->cur = NULL;
    if (j->attempts >= PROBE_MAX_ATTEMPTS || now_ms() >= j->deadline_ms || en->stopping) {
        job_finish(en, s);
        return;
    }
    const struct probe *p = plan_pick(j);
    j->bannerlen = 0;
    if (!p) {
        job_finish(en, s);
        return;
    }
    j->cur = p;
    j->attempts++;
    if (s->fd >= 0 && s->st == S_PROBING && s->discovery) {
        /* first attempt rides on the discovery connection */
        s->discovery = false;
        if (j->tls)
            job_tls_begin(en, s);
        else
            job_probe_begin(en, s);
        return;
    }
    job_reconnect(en, s);
}

static void handle_rc(struct engine *en, struct slot *s, int rc);

/*
 * --trace: every request a probe sends, as one JSON line (address, port,
 * probe, connection number, TLS, and the bytes as printable text with
 * \xNN escapes), so the metadata-only promise can be checked against an
 * allowlist of request shapes (tests/integration/trace.sh).
 */
static void trace_request(struct engine *en, struct slot *s, const uint8_t *p, size_t n)
{
    if (!en->o->trace || !n) return;
    struct job *j = s->job;
    size_t cap = n * 4 + 1 > 65536 ? 65536 : n * 4 + 1;
    char *txt = xmalloc(cap);
    if (!txt) return;
    str_sanitize(txt, cap, p, n, true);
    json_t *o =
        json_pack("{s:s, s:i, s:s, s:i, s:b, s:i, s:s}", "ip", j->f.ip, "port", (int)j->f.port,
                  "probe", j->cur ? j->cur->name : "?", "connection", j->run.ctx.connection, "tls",
                  s->ssl != NULL, "length", (int)n, "bytes", txt);
    free(txt);
    if (!o) return;
    json_dumpf(o, en->o->trace, JSON_COMPACT);
    fputc('\n', en->o->trace);
    json_decref(o);
}

static void buf_swap(struct buf *a, struct buf *b)
{
    struct buf t = *a;
    *a = *b;
    *b = t;
}

/* What the probe queued goes to the slot's output: handed over whole when the output is empty
 * (the common case: no copy), else appended. */
static void take_output(struct engine *en, struct slot *s)
{
    struct job *j = s->job;
    if (j->run.out.len) {
        trace_request(en, s, j->run.out.data, j->run.out.len);
        if (!s->out.len) {
            buf_swap(&s->out, &j->run.out);
            s->out_off = 0;
        } else {
            buf_append(&s->out, j->run.out.data, j->run.out.len);
        }
        buf_reset(&j->run.out);
    }
}

/* The output went out: its memory goes back to the probe run for the next request, so a
 * connection holds one request buffer, not two. */
static void out_settle(struct slot *s)
{
    struct job *j = s->job;
    if (s->out.len || !j || !j->run_active || j->run.out.data) return;
    buf_swap(&s->out, &j->run.out);
    buf_reset(&j->run.out);
}

void job_probe_begin(struct engine *en, struct slot *s)
{
    struct job *j = s->job;
    s->st = S_PROBING;
    if (!j->run_active) {
        if (probe_run_init(&j->run, j->cur, &j->f, &en->o->popts) < 0) {
            str_copy(j->f.error, "out of memory", sizeof j->f.error);
            job_finish(en, s);
            return;
        }
        j->run_active = true;
        j->reconnects = 0;
    }
    j->run.ctx.tls = s->ssl != NULL;
    en_set_events(en, s, EPOLLIN | EPOLLRDHUP);
    en_timer_arm(en, s, T_STEP);
    int rc = j->cur->start(&j->run.ctx);
    handle_rc(en, s, rc);
}

/* Did this attempt hear something that means "speak TLS to me"? */
static bool wants_tls(const struct job *j)
{
    if (j->tls || j->tls_decided) return false;
    if (tls_looks_like_record(j->banner, j->bannerlen)) return true;
    if (mem_find(j->banner, j->bannerlen, "plain HTTP request was sent to HTTPS", true))
        return true;
    if (mem_find(j->banner, j->bannerlen, "speak HTTP to an HTTPS", true)) return true;
    if (mem_find(j->banner, j->bannerlen, "Client sent an HTTP request to an HTTPS server", true))
        return true;
    return false;
}

static void attempt_end(struct engine *en, struct slot *s, bool silent_close)
{
    struct job *j = s->job;
    en_sock_close(en, s, false);
    if (silent_close && j->bannerlen == 0) j->silent++;
    /* Silence that means "TLS here": the HTTP dispatcher's GET / met it, or the first attempt
     * -- the probe of the service that claims the port -- did (a Redis or MongoDB that speaks
     * only TLS hangs up on plain bytes without a word). The plan is redone over TLS, starting
     * with that same probe. */
    bool silent = silent_close && j->bannerlen == 0 && j->cur &&
                  (j->cur == &probe_http || (j->attempts == 1 && (j->cur->flags & PROBE_TLS_OK)));
    if (wants_tls(j) || (silent && !j->tls_decided && !j->tls)) {
        /* redo the plan over TLS */
        j->tls_redo = silent && !wants_tls(j);
        j->tls = true;
        j->next = 0;
        j->bannerlen = 0;
        if (j->run_active) {
            probe_run_free(&j->run);
            j->run_active = false;
        }
    }
    attempt_next(en, s);
}

static void handle_rc(struct engine *en, struct slot *s, int rc)
{
    struct job *j = s->job;
    switch (rc) {
    case PROBE_MORE:
        take_output(en, s);
        if (s->out.len && en_flush_out(en, s) < 0) goto reset;
        out_settle(s);
        return;
    case PROBE_SEND:
        take_output(en, s);
        en_timer_arm(en, s, T_STEP);
        if (en_flush_out(en, s) < 0) goto reset;
        out_settle(s);
        return;
    case PROBE_DONE:
        take_output(en, s);
        if (s->out.len) en_flush_out(en, s); /* a goodbye (QUIT, Terminate): best effort */
        job_finish(en, s);
        return;
    case PROBE_RECONNECT:
        if (++j->reconnects > MAX_RECONNECTS || now_ms() >= j->deadline_ms) {
            int r2 = j->cur->on_end(&j->run.ctx, PROBE_END_CANCEL);
            if (r2 == PROBE_DONE)
                job_finish(en, s);
            else
                attempt_end(en, s, false);
            return;
        }
        /* a goodbye the probe queued (Terminate, QUIT) goes out first, best effort */
        take_output(en, s);
        if (s->out.len) en_flush_out(en, s);
        j->run.ctx.connection++;
        job_reconnect(en, s);
        return;
    case PROBE_STARTTLS:
        take_output(en, s);
        if (s->out.len && en_flush_out(en, s) < 0) goto reset;
        if (s->ssl) { /* already inside TLS: nothing to upgrade */
            handle_rc(en, s, j->cur->on_end(&j->run.ctx, PROBE_END_TLS));
            return;
        }
        s->starttls = true;
        job_tls_begin(en, s);
        return;
    case PROBE_NOMATCH:
    default:
        /* a reset, a deadline or a TLS failure of an earlier attempt says more */
        if (!j->why) j->why = "no probe recognised the answer";
        attempt_end(en, s, false);
        return;
    }
reset:;
    int r = j->cur->on_end(&j->run.ctx, PROBE_END_RESET);
    if (r == PROBE_RECONNECT)
        handle_rc(en, s, r);
    else if (r == PROBE_DONE)
        job_finish(en, s);
    else
        attempt_end(en, s, false);
}

void job_probe_ended(struct engine *en, struct slot *s, enum probe_end why)
{
    struct job *j = s->job;
    static const char *const whys[] = {
        [PROBE_END_EOF] = "connection closed before an answer was recognised",
        [PROBE_END_RESET] = "connection reset",
        [PROBE_END_TIMEOUT] = "no complete answer before the probe deadline",
        [PROBE_END_TLS] = "TLS failure",
        [PROBE_END_CANCEL] = "probing stopped",
    };
    if ((unsigned)why < sizeof whys / sizeof whys[0]) j->why = whys[why];
    if (!j->run_active) {
        /* The attempt's connection failed (refused, reset, timed out) before its probe began:
         * the probe has heard nothing and has no state for it (ctx.state is NULL), so it is
         * not asked; this ends as an answer it did not recognise would. (A port that accepts
         * once and then refuses -- a service going down, a tarpit -- crashed every probe whose
         * on_end reads its state.) */
        attempt_end(en, s, why == PROBE_END_EOF || why == PROBE_END_RESET);
        return;
    }
    int rc = j->cur->on_end(&j->run.ctx, why);
    if (rc == PROBE_RECONNECT) {
        handle_rc(en, s, rc);
    } else if (rc == PROBE_DONE) {
        job_finish(en, s);
    } else {
        attempt_end(en, s, why == PROBE_END_EOF || why == PROBE_END_RESET);
    }
}

void job_readable(struct engine *en, struct slot *s)
{
    struct job *j = s->job;
    uint8_t buf[READ_CHUNK];
    /* plain: a few reads per wake-up (level-triggered epoll brings us back);
     * TLS: drain until OpenSSL wants the socket, since records it already
     * buffered would not wake epoll again */
    for (int rounds = 0; rounds < (s->ssl ? 4096 : 8); rounds++) {
        ssize_t n;
        if (s->ssl) {
            ERR_clear_error();
            int r = SSL_read(s->ssl, buf, sizeof buf);
            if (r <= 0) {
                int e = SSL_get_error(s->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
                job_probe_ended(en, s,
                                e == SSL_ERROR_ZERO_RETURN ? PROBE_END_EOF : PROBE_END_RESET);
                return;
            }
            n = r;
        } else {
            n = recv(s->fd, buf, sizeof buf, 0);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                job_probe_ended(en, s, PROBE_END_RESET);
                return;
            }
            if (n == 0) {
                job_probe_ended(en, s, PROBE_END_EOF);
                return;
            }
        }
        if (j->bannerlen < BANNER_MAX) {
            size_t take =
                (size_t)n < BANNER_MAX - j->bannerlen ? (size_t)n : BANNER_MAX - j->bannerlen;
            memcpy(j->banner + j->bannerlen, buf, take);
            j->bannerlen += take;
        }
        int rc = j->cur->on_data(&j->run.ctx, buf, (size_t)n);
        if (rc != PROBE_MORE) {
            handle_rc(en, s, rc);
            return;
        }
        take_output(en, s);
        if (s->out.len && en_flush_out(en, s) < 0) {
            job_probe_ended(en, s, PROBE_END_RESET);
            return;
        }
        out_settle(s);
        if ((size_t)n < sizeof buf && !s->ssl) return;
    }
}
