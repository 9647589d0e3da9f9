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
 * Probing: an open port becomes a job, whose sequence (the plan, TLS,
 * attempts, a probe's return codes) is net/job.c; this file is the event
 * loop that drives it. engine_int.h holds what the two share.
 */
#include "net/engine_int.h"

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

void en_timer_arm(struct engine *en, struct slot *s, int cls)
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

void en_sock_close(struct engine *en, struct slot *s, bool reset)
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

int en_set_events(struct engine *en, struct slot *s, uint32_t ev)
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
int en_sock_connect(struct engine *en, struct slot *s)
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
    if (en_set_events(en, s, EPOLLOUT | EPOLLRDHUP) < 0) {
        close(fd);
        s->fd = -1;
        return -1;
    }
    en_timer_arm(en, s, T_CONNECT);
    return CONN_PENDING;
}

int en_flush_out(struct engine *en, struct slot *s)
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
                    en_set_events(en, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
                    return 0;
                }
                return -1;
            }
            w = r;
        } else {
            w = send(s->fd, s->out.data + s->out_off, left, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    en_set_events(en, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
                    return 0;
                }
                return -1;
            }
        }
        s->out_off += (size_t)w;
    }
    buf_reset(&s->out);
    s->out_off = 0;
    en_set_events(en, s, EPOLLIN | EPOLLRDHUP);
    return 0;
}

/* ---- slots and findings ---- */

void en_slot_free(struct engine *en, struct slot *s)
{
    en_sock_close(en, s, false);
    if (s->job) {
        if (s->job->run_active) probe_run_free(&s->job->run);
        finding_free(&s->job->f);
        s->job->pool_next = en->job_pool; /* kept for the next open port */
        en->job_pool = s->job;
        s->job = NULL;
    }
    flight_del(en, s);
    s->st = S_FREE;
    /* analyzer false positive: free_stack is allocated with the slots, before any slot exists */
    /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
    en->free_stack[en->nfree++] = (int)(s - en->slots);
}

int en_emit(struct engine *en, struct finding *f)
{
    en->st->findings++;
    if (en->sink->on_finding(en->sink->arg, f) < 0) {
        if (!en->stopping) en->st->stop_why = STOP_SINK;
        en->stopping = true;
        return -1;
    }
    return 0;
}

/* ---- discovery ---- */

static void pair_done(struct engine *en, struct slot *s)
{
    (void)s;
    en->st->done++;
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
            en_emit(en, &f);
            finding_free(&f);
            en_sock_close(en, s, true);
            en_slot_free(en, s);
            return;
        }
        timer_disarm(en, s);
        job_start(en, s);
        return;
    }
    if (err == ETIMEDOUT && s->tries <= en->o->retries) {
        /* retry this pair in the same slot, paced like new pairs */
        en_sock_close(en, s, true);
        s->tries++;
        en->st->started++;
        en_connect_started(en, s, en_sock_connect(en, s));
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
    en_sock_close(en, s, false); /* nothing to reset: the connection never opened */
    en_slot_free(en, s);
}

static void connected(struct engine *en, struct slot *s, int err)
{
    if (s->discovery && !s->job) {
        discovery_result(en, s, err);
        return;
    }
    /* a probe-stage connection */
    if (err) {
        job_probe_ended(en, s, PROBE_END_RESET);
        return;
    }
    timer_disarm(en, s);
    if (s->job->tls)
        job_tls_begin(en, s);
    else
        job_probe_begin(en, s);
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

/* Act on what en_sock_connect returned. */
void en_connect_started(struct engine *en, struct slot *s, int rc)
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
    en_slot_free(en, s);
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
        job_tls_failed(en, s);
        return;
    }
    if (!s->job || !s->job->cur) {
        en_slot_free(en, s);
        return;
    }
    job_probe_ended(en, s, PROBE_END_TIMEOUT);
}

static void slot_event(struct engine *en, struct slot *s, uint32_t ev)
{
    switch (s->st) {
    case S_CONNECTING:
        connect_event(en, s, ev);
        break;
    case S_TLS:
        job_tls_step(en, s);
        break;
    case S_PROBING:
        if (ev & EPOLLOUT && s->out.len) {
            if (en_flush_out(en, s) < 0) {
                job_probe_ended(en, s, PROBE_END_RESET);
                return;
            }
        }
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) job_readable(en, s);
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
        en_connect_started(en, s, en_sock_connect(en, s));
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
                en_sock_close(&en, s, true);
                en_slot_free(&en, s);
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
            if (en.slots[i].st != S_FREE) en_slot_free(&en, &en.slots[i]);
            buf_free(&en.slots[i].out);
        }
    }
    while (en.job_pool) {
        struct job *j = en.job_pool;
        en.job_pool = j->pool_next;
        free(j);
    }
    free(en.slots);
    free(en.free_stack);
    close(en.ep);
    return rc;
}
