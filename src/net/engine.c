/*
 * net/engine.c -- the connect-scan engine (see engine.h for the contract).
 *
 * Shape. A fixed array of slots (the concurrency) holds every socket. A slot
 * is either a discovery attempt for one pair, or a job: the probing of one
 * open port, which keeps its slot across the connections it makes. The
 * loop is the classic one: fill free slots from the target walk as the
 * token bucket allows, epoll_wait until the nearest deadline, handle
 * events, expire deadlines.
 *
 * Deadlines. Every slot waiting on the network is in exactly one of two
 * FIFO lists, one per timeout class (connect, probe step). Because every
 * entry of a class has the same timeout, appending keeps each list sorted,
 * so arming, disarming and finding the next expiry are all O(1): no heap,
 * no per-tick scan of the slots.
 *
 * Checkpoints. Pairs are taken from the walk in order, but finish out of
 * order. The engine reports as checkpoint the walk position below which
 * every pair has concluded (the oldest pair still in flight), so a resumed
 * scan probes again at most the in-flight window.
 *
 * Probing. A job runs its plan (probe_plan): each attempt is one probe on
 * one connection (plus the reconnects that probe asks for). The first
 * attempt reuses the discovery connection. TLS is tried first on TLS
 * ports; on any other port, an answer that looks like a TLS record (or an
 * HTTP server complaining of plain HTTP on a TLS port), or a silent close
 * of the HTTP attempt, switches the rest of the plan to TLS. After a
 * failed attempt, the bytes it got are offered to the remaining probes'
 * sniff() and the most confident goes next.
 */
#include "net/engine.h"
#include "probe/http.h"
#include "tls/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/ratelimit.h"

#define READ_CHUNK     16384
#define BANNER_MAX     256
#define MAX_RECONNECTS 8
#define PLAN_MAX       64

enum slot_state { S_FREE = 0, S_CONNECTING, S_TLS, S_PROBING };
enum tclass { T_NONE = -1, T_CONNECT = 0, T_STEP = 1 };

struct job {
    struct finding f;
    const struct probe *plan[PLAN_MAX];
    size_t nplan, next; /* next plan entry to try */
    int attempts;       /* connections used for attempts */
    int reconnects;
    bool tls;         /* attempts now use TLS */
    bool tls_decided; /* TLS was tried (success or failure) */
    bool tls_ok;      /* a TLS handshake succeeded on this port */
    const struct probe *cur;
    struct probe_run run;
    bool run_active;
    uint8_t banner[BANNER_MAX];
    size_t bannerlen; /* bytes of the current attempt, first BANNER_MAX */
    uint8_t keep_banner[BANNER_MAX];
    size_t keep_bannerlen; /* the first non-empty banner any attempt got */
    int64_t deadline_ms;   /* whole job */
    const char *why;       /* how the last failed attempt ended, for `error` */
    int silent;            /* attempts that ended closed or reset without a byte heard */
    bool tls_redo;         /* the plan is being tried again over TLS after a silent HTTP */
};

struct slot {
    enum slot_state st;
    int fd;
    uint32_t events; /* epoll events registered */
    struct target t;
    uint64_t pos; /* walk position of this pair */
    int tries;
    int conn_err;   /* error connect() returned at once, if any */
    bool discovery; /* the connect in flight is the discovery connect */
    bool starttls;  /* the TLS handshake in flight is a probe's upgrade */
    struct job *job;
    SSL *ssl;
    struct buf out; /* bytes to write */
    size_t out_off;
    /* deadline list */
    int tclass;
    int64_t deadline_ms;
    struct slot *tprev, *tnext;
    /* in-flight list (ordered by walk position) for checkpoints */
    struct slot *fprev, *fnext;
};

struct tlist {
    struct slot *head, *tail;
};

struct engine {
    const struct engine_opts *o;
    const struct engine_sink *sink;
    struct engine_stats *st;
    struct target_iter *it;
    int ep;
    struct slot *slots;
    int nslots;
    int *free_stack;
    int nfree;
    struct tlist timers[2];
    int timeouts[2];
    struct slot *fhead, *ftail; /* in flight, oldest walk position first */
    struct ratelimit rl;
    bool walk_done;
    bool stopping;
    int64_t last_progress_ms;
    uint64_t last_checkpoint;
    time_t scan_time;
};

static volatile sig_atomic_t stop_requested;

void engine_stop(void)
{
    stop_requested = 1;
}

bool engine_stop_requested(void)
{
    return stop_requested != 0;
}

void engine_opts_default(struct engine_opts *o)
{
    memset(o, 0, sizeof *o);
    o->concurrency = 0;
    o->rate = 1000;
    o->timeout_ms = 1500;
    o->retries = 1;
    o->probe_timeout_ms = 3000;
    o->job_timeout_ms = 20000;
    o->popts.max_requests = 80; /* MongoDB: 3 + 20 listCollections + 50 collStats */
}

/* ---- deadline lists ---- */

static void timer_disarm(struct engine *en, struct slot *s)
{
    if (s->tclass == T_NONE) return;
    struct tlist *l = &en->timers[s->tclass];
    if (s->tprev)
        s->tprev->tnext = s->tnext;
    else
        l->head = s->tnext;
    if (s->tnext)
        s->tnext->tprev = s->tprev;
    else
        l->tail = s->tprev;
    s->tprev = s->tnext = NULL;
    s->tclass = T_NONE;
}

static void timer_arm(struct engine *en, struct slot *s, int cls)
{
    timer_disarm(en, s);
    int64_t d = now_ms() + en->timeouts[cls];
    if (s->job && cls == T_STEP && d > s->job->deadline_ms) d = s->job->deadline_ms;
    s->deadline_ms = d;
    s->tclass = cls;
    struct tlist *l = &en->timers[cls];
    /* same timeout for the class: append keeps it sorted, except when the
     * job deadline cut d short; then walk back (rare, short) */
    struct slot *after = l->tail;
    while (after && after->deadline_ms > d)
        after = after->tprev;
    s->tprev = after;
    s->tnext = after ? after->tnext : l->head;
    if (s->tnext)
        s->tnext->tprev = s;
    else
        l->tail = s;
    if (after)
        after->tnext = s;
    else
        l->head = s;
}

/* ---- in-flight list ---- */

static void flight_add(struct engine *en, struct slot *s)
{
    s->fnext = NULL;
    s->fprev = en->ftail;
    if (en->ftail)
        en->ftail->fnext = s;
    else
        en->fhead = s;
    en->ftail = s;
}

static void flight_del(struct engine *en, struct slot *s)
{
    if (s->fprev)
        s->fprev->fnext = s->fnext;
    else
        en->fhead = s->fnext;
    if (s->fnext)
        s->fnext->fprev = s->fprev;
    else
        en->ftail = s->fprev;
    s->fprev = s->fnext = NULL;
}

static void checkpoint(struct engine *en)
{
    if (!en->sink->on_checkpoint) return;
    uint64_t pos = en->fhead ? en->fhead->pos : target_iter_pos(en->it);
    if (pos != en->last_checkpoint) {
        en->last_checkpoint = pos;
        en->sink->on_checkpoint(en->sink->arg, pos);
    }
}

/* ---- sockets ---- */

static void sock_close(struct engine *en, struct slot *s, bool reset)
{
    timer_disarm(en, s);
    if (s->ssl) {
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->fd >= 0) {
        if (reset) {
            struct linger lg = {1, 0};
            setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(s->fd); /* also leaves the epoll set: the fd is never dup'ed */
        s->fd = -1;
    }
    s->events = 0;
    buf_reset(&s->out);
    s->out_off = 0;
}

static int set_events(struct engine *en, struct slot *s, uint32_t ev)
{
    if (s->events == ev) return 0;
    struct epoll_event e = {.events = ev, .data.ptr = s};
    int rc = epoll_ctl(en->ep, s->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd, &e);
    if (rc == 0) s->events = ev;
    return rc;
}

/*
 * Start a non-blocking connect to s->t. Returns CONN_PENDING (registered
 * with epoll, deadline armed), CONN_NOW (connected within the call, as
 * loopback often does), CONN_FAILED (refused or unreachable within the
 * call; s->conn_err says why; the socket stays open for the caller to
 * close), or -1 on a local error (no socket).
 */
enum { CONN_PENDING = 0, CONN_NOW = 1, CONN_FAILED = 2 };
static int sock_connect(struct engine *en, struct slot *s)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (s->t.family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        memcpy(&a->sin6_addr, s->t.addr, 16);
        a->sin6_port = htons(s->t.port);
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        memcpy(&a->sin_addr, s->t.addr, 4);
        a->sin_port = htons(s->t.port);
        sl = sizeof *a;
    }
    int fd = socket(s->t.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (s->job) {
        int one = 1; /* probes write small requests: do not wait for Nagle */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    s->fd = fd;
    s->conn_err = 0;
    s->st = S_CONNECTING;
    int rc = connect(fd, (struct sockaddr *)&ss, sl);
    if (rc == 0) return CONN_NOW;
    if (errno != EINPROGRESS) {
        s->conn_err = errno;
        return CONN_FAILED;
    }
    /* On a near network (loopback, a LAN) the answer is often already in by
     * now: a zero-wait poll settles the pair without epoll_ctl and a wake-up. */
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    if (poll(&pf, 1, 0) == 1 && pf.revents) {
        int err = 0;
        socklen_t l = sizeof err;
        if (pf.revents & (POLLERR | POLLHUP)) {
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) err = errno;
            if (!err) err = ECONNRESET;
        }
        if (!err) return CONN_NOW;
        s->conn_err = err;
        return CONN_FAILED;
    }
    if (set_events(en, s, EPOLLOUT | EPOLLRDHUP) < 0) {
        close(fd);
        s->fd = -1;
        return -1;
    }
    timer_arm(en, s, T_CONNECT);
    return CONN_PENDING;
}

/* ---- job lifecycle ---- */

static void slot_free(struct engine *en, struct slot *s)
{
    sock_close(en, s, false);
    if (s->job) {
        if (s->job->run_active) probe_run_free(&s->job->run);
        finding_free(&s->job->f);
        free(s->job);
        s->job = NULL;
    }
    flight_del(en, s);
    s->st = S_FREE;
    /* analyzer false positive: free_stack is allocated with the slots, before any slot exists */
    /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
    en->free_stack[en->nfree++] = (int)(s - en->slots);
}

static int emit(struct engine *en, struct finding *f)
{
    en->st->findings++;
    if (en->sink->on_finding(en->sink->arg, f) < 0) {
        if (!en->stopping) en->st->stop_why = STOP_SINK;
        en->stopping = true;
        return -1;
    }
    return 0;
}

static void pair_done(struct engine *en, struct slot *s)
{
    (void)s;
    en->st->done++;
}

static void job_finish(struct engine *en, struct slot *s)
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
    emit(en, f);
    if (j->run_active) {
        for (int i = 0; i < PROBE_MAX_EXTRA; i++) {
            struct finding *x = j->run.extra[i];
            if (!x) continue;
            if (!x->service[0]) continue;
            emit(en, x);
        }
    }
    sock_close(en, s, false);
    slot_free(en, s);
}

/* Move plan entry i to the front of what is left. */
static void plan_promote(struct job *j, size_t i)
{
    if (i == j->next) return;
    const struct probe *tmp = j->plan[i];
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
            if (!j->plan[i]->sniff && !j->plan[i]->sniff_self) continue;
            int sc = probe_sniff(j->plan[i], b, bl);
            if (sc > best_score) {
                best_score = sc;
                best = i;
            }
        }
    } else if (j->silent && !j->tls_redo) { /* the redo over TLS starts with the same probe */
        int best_score = -1;
        for (size_t i = j->next; i < j->nplan; i++) {
            const struct probe *p = j->plan[i];
            int sc = (p->flags & PROBE_SERVER_FIRST) ? -1 : p->silent;
            if (sc > best_score) {
                best_score = sc;
                best = i;
            }
        }
    }
    plan_promote(j, best);
    return j->plan[j->next++];
}

static void attempt_next(struct engine *en, struct slot *s);
static void connect_started(struct engine *en, struct slot *s, int rc);

/* Begin the current probe on the connected (and, if TLS, negotiated) socket. */
static void probe_begin(struct engine *en, struct slot *s);

static void tls_begin(struct engine *en, struct slot *s)
{
    SSL_CTX *ctx = tls_client_ctx();
    s->ssl = ctx ? SSL_new(ctx) : NULL;
    if (!s->ssl) {
        s->job->tls = false;
        s->job->tls_decided = true;
        probe_begin(en, s);
        return;
    }
    SSL_set_fd(s->ssl, s->fd);
    if (s->job->f.host[0]) SSL_set_tlsext_host_name(s->ssl, s->job->f.host);
    s->st = S_TLS;
    timer_arm(en, s, T_STEP);
    set_events(en, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
}

static void probe_ended(struct engine *en, struct slot *s, enum probe_end why);

static void attempt_failed_tls(struct engine *en, struct slot *s)
{
    struct job *j = s->job;
    if (s->starttls) {
        /* a probe's upgrade failed: the probe decides (e.g. go on in plain) */
        s->starttls = false;
        probe_ended(en, s, PROBE_END_TLS);
        return;
    }
    /* the handshake failed: plain from now on */
    j->why = "TLS handshake failed";
    j->tls = false;
    j->tls_decided = true;
    sock_close(en, s, false);
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

static void tls_step(struct engine *en, struct slot *s)
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
        probe_begin(en, s);
        return;
    }
    int e = SSL_get_error(s->ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        set_events(en, s, EPOLLIN | EPOLLRDHUP);
    } else if (e == SSL_ERROR_WANT_WRITE) {
        set_events(en, s, EPOLLOUT | EPOLLRDHUP);
    } else {
        attempt_failed_tls(en, s);
    }
}

/* Open a new connection for the job in slot s (same target). */
static void job_reconnect(struct engine *en, struct slot *s)
{
    sock_close(en, s, false);
    s->discovery = false;
    connect_started(en, s, sock_connect(en, s));
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
            tls_begin(en, s);
        else
            probe_begin(en, s);
        return;
    }
    job_reconnect(en, s);
}

static int flush_out(struct engine *en, struct slot *s)
{
    while (s->out_off < s->out.len) {
        ssize_t w;
        size_t left = s->out.len - s->out_off;
        if (s->ssl) {
            ERR_clear_error();
            int r =
                SSL_write(s->ssl, s->out.data + s->out_off, (int)(left > 1 << 30 ? 1 << 30 : left));
            if (r <= 0) {
                int e = SSL_get_error(s->ssl, r);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    set_events(en, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
                    return 0;
                }
                return -1;
            }
            w = r;
        } else {
            w = send(s->fd, s->out.data + s->out_off, left, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    set_events(en, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
                    return 0;
                }
                return -1;
            }
        }
        s->out_off += (size_t)w;
    }
    buf_reset(&s->out);
    s->out_off = 0;
    set_events(en, s, EPOLLIN | EPOLLRDHUP);
    return 0;
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

static void take_output(struct engine *en, struct slot *s)
{
    struct job *j = s->job;
    if (j->run.out.len) {
        trace_request(en, s, j->run.out.data, j->run.out.len);
        buf_append(&s->out, j->run.out.data, j->run.out.len);
        buf_reset(&j->run.out);
    }
}

static void probe_begin(struct engine *en, struct slot *s)
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
    set_events(en, s, EPOLLIN | EPOLLRDHUP);
    timer_arm(en, s, T_STEP);
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
    sock_close(en, s, false);
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
        if (s->out.len && flush_out(en, s) < 0) goto reset;
        return;
    case PROBE_SEND:
        take_output(en, s);
        timer_arm(en, s, T_STEP);
        if (flush_out(en, s) < 0) goto reset;
        return;
    case PROBE_DONE:
        take_output(en, s);
        if (s->out.len) flush_out(en, s); /* a goodbye (QUIT, Terminate): best effort */
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
        if (s->out.len) flush_out(en, s);
        j->run.ctx.connection++;
        job_reconnect(en, s);
        return;
    case PROBE_STARTTLS:
        take_output(en, s);
        if (s->out.len && flush_out(en, s) < 0) goto reset;
        if (s->ssl) { /* already inside TLS: nothing to upgrade */
            handle_rc(en, s, j->cur->on_end(&j->run.ctx, PROBE_END_TLS));
            return;
        }
        s->starttls = true;
        tls_begin(en, s);
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

static void probe_ended(struct engine *en, struct slot *s, enum probe_end why)
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

static void probe_readable(struct engine *en, struct slot *s)
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
                probe_ended(en, s, e == SSL_ERROR_ZERO_RETURN ? PROBE_END_EOF : PROBE_END_RESET);
                return;
            }
            n = r;
        } else {
            n = recv(s->fd, buf, sizeof buf, 0);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                probe_ended(en, s, PROBE_END_RESET);
                return;
            }
            if (n == 0) {
                probe_ended(en, s, PROBE_END_EOF);
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
        if (s->out.len && flush_out(en, s) < 0) {
            probe_ended(en, s, PROBE_END_RESET);
            return;
        }
        if ((size_t)n < sizeof buf && !s->ssl) return;
    }
}

/* ---- discovery ---- */

static void job_start(struct engine *en, struct slot *s)
{
    struct job *j = xcalloc(1, sizeof *j);
    if (!j) {
        /* no memory for a job: report the open port as discovery only */
        struct finding f;
        finding_init(&f);
        target_addr_str(&s->t, f.ip, sizeof f.ip);
        f.port = s->t.port;
        f.time = now_wall();
        str_copy(f.error, "out of memory", sizeof f.error);
        emit(en, &f);
        finding_free(&f);
        slot_free(en, s);
        return;
    }
    s->job = j;
    finding_init(&j->f);
    target_addr_str(&s->t, j->f.ip, sizeof j->f.ip);
    j->f.port = s->t.port;
    if (s->t.host) str_copy(j->f.host, s->t.host, sizeof j->f.host);
    j->f.time = now_wall();
    j->deadline_ms = now_ms() + en->o->job_timeout_ms;
    if (en->o->only_probe) {
        const struct probe *p = probe_find(en->o->only_probe);
        if (p) j->plan[j->nplan++] = p;
    } else {
        j->nplan = probe_plan(s->t.port, j->plan, PLAN_MAX);
    }
    j->tls = probe_port_is_tls(s->t.port);
    s->st = S_PROBING; /* the discovery socket is connected */
    s->discovery = true;
    attempt_next(en, s);
}

static void discovery_result(struct engine *en, struct slot *s, int err)
{
    if (err == 0) {
        en->st->open++;
        pair_done(en, s);
        if (en->o->discovery_only) {
            struct finding f;
            finding_init(&f);
            target_addr_str(&s->t, f.ip, sizeof f.ip);
            f.port = s->t.port;
            if (s->t.host) str_copy(f.host, s->t.host, sizeof f.host);
            f.time = now_wall();
            emit(en, &f);
            finding_free(&f);
            sock_close(en, s, true);
            slot_free(en, s);
            return;
        }
        timer_disarm(en, s);
        job_start(en, s);
        return;
    }
    if (err == ETIMEDOUT && s->tries <= en->o->retries) {
        /* retry this pair in the same slot, paced like new pairs */
        sock_close(en, s, true);
        s->tries++;
        en->st->started++;
        connect_started(en, s, sock_connect(en, s));
        return;
    }
    if (err != ECONNREFUSED && err != ETIMEDOUT) log_debug("connect: %s", strerror(err));
    if (err == ECONNREFUSED)
        en->st->closed++;
    else if (err == ETIMEDOUT)
        en->st->silent++;
    else
        en->st->unreachable++;
    pair_done(en, s);
    sock_close(en, s, false); /* nothing to reset: the connection never opened */
    slot_free(en, s);
}

static void connected(struct engine *en, struct slot *s, int err)
{
    if (s->discovery && !s->job) {
        discovery_result(en, s, err);
        return;
    }
    /* a probe-stage connection */
    if (err) {
        probe_ended(en, s, PROBE_END_RESET);
        return;
    }
    timer_disarm(en, s);
    if (s->job->tls)
        tls_begin(en, s);
    else
        probe_begin(en, s);
}

static void connect_event(struct engine *en, struct slot *s, uint32_t ev)
{
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) err = errno;
    if (!err) err = s->conn_err;
    if (!err && (ev & (EPOLLERR | EPOLLHUP))) err = ECONNRESET;
    connected(en, s, err);
}

/* Act on what sock_connect returned. */
static void connect_started(struct engine *en, struct slot *s, int rc)
{
    if (rc == CONN_PENDING) return;
    if (rc == CONN_NOW || rc == CONN_FAILED) {
        connected(en, s, rc == CONN_NOW ? 0 : s->conn_err);
        return;
    }
    /* no socket: local exhaustion (EMFILE, ENOBUFS) */
    log_debug("socket: %s", strerror(errno));
    if (s->job) {
        str_copy(s->job->f.error, "local socket error", sizeof s->job->f.error);
        job_finish(en, s);
        return;
    }
    en->st->unreachable++;
    pair_done(en, s);
    slot_free(en, s);
}

static void on_timeout(struct engine *en, struct slot *s)
{
    if (s->st == S_CONNECTING && s->fd >= 0) {
        /* Its answer may be waiting in the epoll ready list behind other
         * events: ask the socket itself before calling it silent. */
        struct pollfd p = {.fd = s->fd, .events = POLLOUT};
        if (poll(&p, 1, 0) == 1 && p.revents) {
            connect_event(en, s, (uint32_t)p.revents); /* POLL* and EPOLL* bits agree on Linux */
            return;
        }
    }
    if (s->st == S_CONNECTING && s->discovery && !s->job) {
        discovery_result(en, s, ETIMEDOUT);
        return;
    }
    if (s->st == S_TLS) {
        attempt_failed_tls(en, s);
        return;
    }
    if (!s->job || !s->job->cur) {
        slot_free(en, s);
        return;
    }
    probe_ended(en, s, PROBE_END_TIMEOUT);
}

static void slot_event(struct engine *en, struct slot *s, uint32_t ev)
{
    switch (s->st) {
    case S_CONNECTING:
        connect_event(en, s, ev);
        break;
    case S_TLS:
        tls_step(en, s);
        break;
    case S_PROBING:
        if (ev & EPOLLOUT && s->out.len) {
            if (flush_out(en, s) < 0) {
                probe_ended(en, s, PROBE_END_RESET);
                return;
            }
        }
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) probe_readable(en, s);
        break;
    case S_FREE:
        break;
    }
}

static void fill(struct engine *en)
{
    if (en->walk_done || en->stopping) return;
    if (!en->nfree) return;
    uint64_t want = (uint64_t)en->nfree;
    uint64_t got = ratelimit_take(&en->rl, want, ratelimit_now_ns());
    for (uint64_t i = 0; i < got; i++) {
        int idx = en->free_stack[--en->nfree];
        struct slot *s = &en->slots[idx];
        s->pos = target_iter_pos(en->it);
        if (target_iter_next(en->it, &s->t) != 1) {
            en->walk_done = true;
            en->free_stack[en->nfree++] = idx;
            /* give back unused tokens */
            en->rl.tokens += (double)(got - i - 1 + 1);
            return;
        }
        s->tries = 1;
        s->discovery = true;
        s->job = NULL;
        s->tclass = T_NONE;
        flight_add(en, s);
        if (en->sink->on_pull) en->sink->on_pull(en->sink->arg, &s->t, s->pos);
        en->st->started++;
        connect_started(en, s, sock_connect(en, s));
    }
}

static int fit_concurrency(int want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    long avail = (long)(rl.rlim_cur > 1u << 20 ? 1u << 20 : rl.rlim_cur) - 64;
    if (avail < 16) avail = 16;
    if (want <= 0) want = avail > 4096 ? 4096 : (int)avail;
    if (want > avail) want = (int)avail;
    return want;
}

static void progress(struct engine *en, bool final)
{
    if (!en->sink->on_progress) return;
    int64_t t = now_ms();
    if (!final && t - en->last_progress_ms < 1000) return;
    en->last_progress_ms = t;
    en->sink->on_progress(en->sink->arg, en->st, final);
}

int engine_run(struct target_iter *it, const struct engine_opts *o, const struct engine_sink *sink,
               struct engine_stats *st, struct err *e)
{
    struct engine en;
    memset(&en, 0, sizeof en);
    memset(st, 0, sizeof *st);
    en.o = o;
    en.sink = sink;
    en.st = st;
    en.it = it;
    en.timeouts[T_CONNECT] = o->timeout_ms > 0 ? o->timeout_ms : 1500;
    en.timeouts[T_STEP] = o->probe_timeout_ms > 0 ? o->probe_timeout_ms : 3000;
    en.scan_time = now_wall();
    st->total = target_iter_steps(it) - target_iter_pos(it);
    st->start_ms = now_ms();
    en.last_progress_ms = st->start_ms;
    en.last_checkpoint = target_iter_pos(it);
    /* stop_requested is not reset: a signal that came before this run (between SYN discovery
     * and its probe stage, say) still stops it */
    int rc = -1;

    en.nslots = fit_concurrency(o->concurrency);
    en.ep = epoll_create1(EPOLL_CLOEXEC);
    if (en.ep < 0) {
        err_set(e, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    en.slots = xcalloc((size_t)en.nslots, sizeof *en.slots);
    en.free_stack = xcalloc((size_t)en.nslots, sizeof *en.free_stack);
    if (!en.slots || !en.free_stack) {
        err_set(e, "out of memory for %d connection slots", en.nslots);
        goto out;
    }
    for (int i = en.nslots - 1; i >= 0; i--) {
        en.slots[i].fd = -1;
        en.slots[i].tclass = T_NONE;
        buf_init(&en.slots[i].out, PROBE_OUT_CAP);
        en.free_stack[en.nfree++] = i;
    }
    ratelimit_init(&en.rl, o->rate, ratelimit_now_ns());
    int64_t hard_stop = o->max_seconds > 0 ? st->start_ms + (int64_t)o->max_seconds * 1000 : 0;

    struct epoll_event evs[1024];
    for (;;) {
        if (!en.stopping) {
            if (stop_requested) st->stop_why = STOP_ASKED;
            if (hard_stop && now_ms() >= hard_stop) st->stop_why = STOP_TIME;
            if (st->stop_why) en.stopping = true;
        }
        fill(&en);
        if (en.stopping) {
            /* Interrupted unless every pair was concluded: the walk has nothing left and
             * nothing is in flight. The checkpoint is taken before anything is cancelled
             * (the oldest pair in flight), and a cancelled probe hands over no finding: its
             * pair is not concluded, and --resume walks it again. */
            bool all = en.nfree == en.nslots &&
                       (en.walk_done || target_iter_pos(en.it) >= target_iter_steps(en.it));
            if (!all) st->interrupted = true;
            checkpoint(&en);
            for (int i = 0; i < en.nslots; i++) {
                struct slot *s = &en.slots[i];
                if (s->st == S_FREE) continue;
                if (s->job && s->job->cur && s->job->run_active)
                    s->job->cur->on_end(&s->job->run.ctx, PROBE_END_CANCEL);
                sock_close(&en, s, true);
                slot_free(&en, s);
            }
            break;
        }
        if (en.walk_done && en.nfree == en.nslots) break;
        /* wait until the next deadline or token */
        int64_t now = now_ms();
        int64_t wait = 100;
        for (int c = 0; c < 2; c++)
            if (en.timers[c].head) {
                int64_t d = en.timers[c].head->deadline_ms - now;
                if (d < wait) wait = d;
            }
        if (!en.walk_done && en.nfree) {
            int64_t tw = (ratelimit_wait_ns(&en.rl, ratelimit_now_ns()) + 999999) / 1000000;
            if (tw < wait) wait = tw;
        }
        if (wait < 0) wait = 0;
        int n = epoll_wait(en.ep, evs, (int)ARRAY_LEN(evs), (int)wait);
        if (n < 0 && errno != EINTR) {
            err_set(e, "epoll_wait: %s", strerror(errno));
            goto out;
        }
        for (int i = 0; i < n; i++)
            slot_event(&en, evs[i].data.ptr, evs[i].events);
        now = now_ms();
        for (int c = 0; c < 2; c++) {
            while (en.timers[c].head && en.timers[c].head->deadline_ms <= now) {
                struct slot *s = en.timers[c].head;
                timer_disarm(&en, s);
                on_timeout(&en, s);
            }
        }
        checkpoint(&en);
        progress(&en, false);
    }
    if (!en.stopping) checkpoint(&en);
    progress(&en, true);
    rc = 0;
out:
    if (en.slots) {
        for (int i = 0; i < en.nslots; i++) {
            if (en.slots[i].st != S_FREE) slot_free(&en, &en.slots[i]);
            buf_free(&en.slots[i].out);
        }
    }
    free(en.slots);
    free(en.free_stack);
    close(en.ep);
    return rc;
}
