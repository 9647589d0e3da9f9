/*
 * net/syn_send.c -- the sending process of SYN discovery (syn.c is the
 * parent; docs/syn.md has the design and the figures).
 *
 * It runs as nobody with no capabilities, on the sockets the parent opened:
 * one sender per thread (--sender-threads), each with its own sending
 * socket and, for the AF_PACKET methods, its own receive ring (a
 * PACKET_FANOUT group spreads the answers over them); the raw method's
 * threads share one raw TCP receive socket. Every thread runs the same
 * loop: take tokens from the one bucket and as many pairs from the one walk
 * (both under one mutex, once per batch of up to 64), build the SYNs, send
 * them (sendmmsg, or the TX ring and one send()), read whatever answers
 * are waiting, and sleep (ppoll, nanosecond timeout) until the next token.
 * After the last pass every thread keeps reading until timeout_ms after the
 * last SYN.
 *
 * Memory grows only with the open pairs found (an open-addressing set, so
 * a SYN-ACK answered twice is reported once), never with what is scanned.
 */
#include "net/ratelimit.h"
#include "net/syn_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH       64
#define RBATCH      64
#define RBUF        128        /* bytes kept of each received packet: IP + TCP headers */
#define POLL_CAP_NS 50000000LL /* a thread the stop signal did not wake notices it in 50 ms */

const char *syn_method_name(enum syn_send_method m)
{
    switch (m) {
    case SYN_SEND_MMSG:
        return "mmsg";
    case SYN_SEND_RING:
        return "ring";
    case SYN_SEND_RAW:
        return "raw";
    default:
        return "auto";
    }
}

int syn_put(int fd, const struct rec *r)
{
    const char *p = (const char *)r;
    size_t left = sizeof *r;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

struct seen {
    uint64_t *v; /* addr << 16 | port, + 1 (0 = empty) */
    size_t cap, n;
};

/* 1 = newly added, 0 = already there, -1 = no memory. */
static int seen_add(struct seen *s, uint64_t key)
{
    key += 1;
    if (2 * (s->n + 1) > s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 1024;
        uint64_t *nv = xcalloc(nc, sizeof *nv);
        if (!nv) return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->v[i]) continue;
            size_t j = (size_t)(s->v[i] * 0x9e3779b97f4a7c15ULL) & (nc - 1);
            while (nv[j])
                j = (j + 1) & (nc - 1);
            nv[j] = s->v[i];
        }
        free(s->v);
        s->v = nv;
        s->cap = nc;
    }
    size_t j = (size_t)(key * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
    while (s->v[j]) {
        if (s->v[j] == key) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->v[j] = key;
    s->n++;
    return 1;
}

static atomic_int child_stop; /* lock-free: set from the signal handler */

static void on_child_signal(int sig)
{
    (void)sig;
    atomic_store(&child_stop, 1);
}

static bool stopped(void)
{
    return atomic_load_explicit(&child_stop, memory_order_relaxed) != 0;
}

/* What the threads share. The walk, the bucket, the pass, the seen set and the pipe are
 * under mu; the counters are atomic. */
struct shared {
    pthread_mutex_t mu;
    const struct engine_opts *o;
    struct syn_sender *sd;
    const struct target_iter *start;
    struct target_iter it;
    int pass;
    bool walk_done;
    int64_t end_ns, hard_stop, extra_ns;
    struct ratelimit rl;
    struct seen seen;
    _Atomic int64_t first_ns, last_ns;
    _Atomic uint64_t sent, walked, closed, open, drops, send_errors;
};

struct worker {
    struct shared *s;
    int idx;
    pthread_t th;
    uint32_t daddr[BATCH];
    uint16_t dport[BATCH];
    uint8_t buf[BATCH][SYN_FRAME_LEN];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in dst[BATCH];
    /* the raw method's receive side */
    uint8_t rbuf[RBATCH][RBUF];
    uint8_t rctl[RBATCH][CMSG_SPACE(sizeof(uint32_t))];
    struct mmsghdr rmm[RBATCH];
    struct iovec riov[RBATCH];
};

/* *a = max(*a, v) */
static void atomic_max(_Atomic uint64_t *a, uint64_t v)
{
    uint64_t cur = atomic_load(a);
    while (cur < v && !atomic_compare_exchange_weak(a, &cur, v))
        ;
}

/* ---- receiving ---- */

static void judge(void *arg, const uint8_t *ip, size_t n)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    uint32_t daddr;
    uint16_t dport;
    enum syn_verdict v = syn_validate(&s->sd->key, s->sd->saddr, ip, n, &daddr, &dport);
    if (v == SYN_CLOSED) atomic_fetch_add_explicit(&s->closed, 1, memory_order_relaxed);
    if (v != SYN_OPEN) return;
    pthread_mutex_lock(&s->mu);
    if (seen_add(&s->seen, (uint64_t)ntohl(daddr) << 16 | dport) == 1) {
        atomic_fetch_add(&s->open, 1);
        struct rec r = {.kind = REC_OPEN, .addr = daddr, .port = dport};
        if (syn_put(s->sd->out, &r) < 0) atomic_store(&child_stop, 1);
    }
    pthread_mutex_unlock(&s->mu);
}

static void drain_raw(struct worker *w)
{
    int fd = w->s->sd->raw_rcv;
    for (;;) {
        for (int i = 0; i < RBATCH; i++) {
            w->riov[i].iov_base = w->rbuf[i];
            w->riov[i].iov_len = RBUF;
            memset(&w->rmm[i].msg_hdr, 0, sizeof w->rmm[i].msg_hdr);
            w->rmm[i].msg_hdr.msg_iov = &w->riov[i];
            w->rmm[i].msg_hdr.msg_iovlen = 1;
            w->rmm[i].msg_hdr.msg_control = w->rctl[i];
            w->rmm[i].msg_hdr.msg_controllen = sizeof w->rctl[i];
        }
        int n = recvmmsg(fd, w->rmm, RBATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        for (int i = 0; i < n; i++) {
            struct msghdr *mh = &w->rmm[i].msg_hdr;
            /* SO_RXQ_OVFL: the socket's drop count so far, on packets queued after a drop */
            for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                uint32_t d;
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL ||
                    c->cmsg_len < CMSG_LEN(sizeof d))
                    continue;
                memcpy(&d, CMSG_DATA(c), sizeof d);
                atomic_max(&w->s->drops, d);
            }
            judge(w, w->rbuf[i], w->rmm[i].msg_len);
        }
        if (n < RBATCH) return;
    }
}

static void drain(struct worker *w)
{
    if (w->s->sd->method == SYN_SEND_RAW)
        drain_raw(w);
    else
        pkt_rx_drain(&w->s->sd->rx[w->idx], judge, w);
}

/* ---- sending ---- */

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

/* sendmmsg of w->mm[0..n): a full queue is waited out (reading meanwhile); a packet refused
 * otherwise is skipped. Returns the packets sent. */
static int send_mm(struct worker *w, int fd, int n)
{
    int off = 0, ok = 0;
    while (off < n && !stopped()) {
        int r = sendmmsg(fd, w->mm + off, (unsigned)(n - off), 0);
        if (r > 0) {
            off += r;
            ok += r;
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == ENOBUFS || errno == EAGAIN) {
            drain(w); /* the queue is full: make room by reading */
            nap(50000);
            continue;
        }
        /* an unreachable or refused address: skip that one packet */
        atomic_fetch_add(&w->s->send_errors, 1);
        off++;
    }
    return ok;
}

static int send_ring(struct worker *w, int n)
{
    struct syn_sender *sd = w->s->sd;
    struct pkt_tx *tx = &sd->tx[w->idx];
    int i = 0;
    while (i < n && !stopped()) {
        uint8_t *f = pkt_tx_frame(tx);
        if (!f) { /* the ring is full: send what is in it, read, wait for a free frame */
            if (pkt_tx_flush(tx) < 0 && errno != EAGAIN && errno != ENOBUFS)
                atomic_fetch_add(&w->s->send_errors, 1);
            drain(w);
            struct pollfd p = {.fd = tx->fd, .events = POLLOUT};
            poll(&p, 1, 1);
            continue;
        }
        syn_build_frame(&sd->key, f, sd->eth, sd->saddr, w->daddr[i], w->dport[i]);
        pkt_tx_commit(tx, f, SYN_FRAME_LEN);
        i++;
    }
    /* ENOBUFS: the driver's queue was full and the kernel dropped some of these frames */
    if (pkt_tx_flush(tx) < 0) atomic_fetch_add(&w->s->send_errors, 1);
    return i;
}

static int send_batch(struct worker *w, int n)
{
    struct syn_sender *sd = w->s->sd;
    if (sd->method == SYN_SEND_RING) return send_ring(w, n);
    bool raw = sd->method == SYN_SEND_RAW;
    for (int i = 0; i < n; i++) {
        size_t len;
        memset(&w->mm[i].msg_hdr, 0, sizeof w->mm[i].msg_hdr);
        if (raw) {
            len = syn_build(&sd->key, w->buf[i], sd->saddr, w->daddr[i], w->dport[i]);
            memset(&w->dst[i], 0, sizeof w->dst[i]);
            w->dst[i].sin_family = AF_INET;
            w->dst[i].sin_addr.s_addr = w->daddr[i];
            w->mm[i].msg_hdr.msg_name = &w->dst[i];
            w->mm[i].msg_hdr.msg_namelen = sizeof w->dst[i];
        } else {
            len =
                syn_build_frame(&sd->key, w->buf[i], sd->eth, sd->saddr, w->daddr[i], w->dport[i]);
        }
        w->iov[i].iov_base = w->buf[i];
        w->iov[i].iov_len = len;
        w->mm[i].msg_hdr.msg_iov = &w->iov[i];
        w->mm[i].msg_hdr.msg_iovlen = 1;
    }
    return send_mm(w, raw ? sd->raw_snd[w->idx] : sd->tx[w->idx].fd, n);
}

/* Up to `want` IPv4 pairs from the walk into w (under s->mu); passes start over for
 * --retries; the end of the last one ends the walk. */
static int walk_take(struct shared *s, struct worker *w, uint64_t want, int64_t now)
{
    int n = 0;
    while ((uint64_t)n < want) {
        struct target t;
        if (target_iter_next(&s->it, &t) != 1) {
            if (s->pass < s->o->retries) {
                s->pass++;
                s->it = *s->start;
                continue;
            }
            s->walk_done = true;
            s->end_ns = now + (int64_t)s->o->timeout_ms * 1000000;
            break;
        }
        atomic_fetch_add_explicit(&s->walked, 1, memory_order_relaxed);
        if (t.family != AF_INET) continue; /* IPv6 is the connect engine's */
        memcpy(&w->daddr[n], t.addr, 4);
        w->dport[n] = t.port;
        n++;
    }
    return n;
}

/* ---- the loop ---- */

static void progress(struct shared *s, uint32_t kind, bool complete)
{
    int64_t first = atomic_load(&s->first_ns), last = atomic_load(&s->last_ns);
    struct rec r = {.kind = kind,
                    .complete = complete,
                    .sent = atomic_load(&s->sent),
                    .walked = atomic_load(&s->walked),
                    .closed = atomic_load(&s->closed),
                    .open = atomic_load(&s->open),
                    .drops = atomic_load(&s->drops),
                    .send_errors = atomic_load(&s->send_errors),
                    .send_ns = first && last > first ? last - first : 0};
    pthread_mutex_lock(&s->mu);
    syn_put(s->sd->out, &r);
    pthread_mutex_unlock(&s->mu);
}

/* The rings' drops since the last call (PACKET_STATISTICS resets as it is read; the raw
 * socket's count comes with the packets, SO_RXQ_OVFL). Called by thread 0 alone. */
static void collect_drops(struct shared *s)
{
    struct syn_sender *sd = s->sd;
    if (sd->method == SYN_SEND_RAW) return;
    for (int i = 0; i < sd->nthreads; i++)
        atomic_fetch_add(&s->drops, pkt_rx_drops(&sd->rx[i]));
}

/* Thread i on the i-th CPU it may use: with PACKET_QDISC_BYPASS the kernel picks the TX
 * queue from the sending CPU, so N threads on N CPUs write to N queues. */
static void pin(int idx)
{
    cpu_set_t all, one;
    if (sched_getaffinity(0, sizeof all, &all) < 0) return;
    int n = CPU_COUNT(&all), k = idx % (n ? n : 1);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all) && k-- == 0) {
            CPU_SET(c, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
}

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    struct syn_sender *sd = s->sd;
    int fd = sd->method == SYN_SEND_RAW ? sd->raw_rcv : sd->rx[w->idx].fd;
    int64_t next_progress = ratelimit_now_ns() + 1000000000;
    if (sd->nthreads > 1) pin(w->idx);
    while (!stopped()) {
        int64_t now = ratelimit_now_ns();
        if (s->hard_stop && now >= s->hard_stop) break;
        pthread_mutex_lock(&s->mu);
        int n = 0;
        if (!s->walk_done) {
            n = walk_take(s, w, ratelimit_take(&s->rl, BATCH, now), now);
            if (n && !atomic_load(&s->first_ns)) atomic_store(&s->first_ns, now);
        }
        pthread_mutex_unlock(&s->mu);
        if (n) {
            int ok = send_batch(w, n);
            int64_t t = ratelimit_now_ns(), l = atomic_load(&s->last_ns);
            while (l < t && !atomic_compare_exchange_weak(&s->last_ns, &l, t))
                ; /* the latest SYN of any thread */
            atomic_fetch_add(&s->sent, (uint64_t)ok);
        }
        drain(w);
        now = ratelimit_now_ns();
        pthread_mutex_lock(&s->mu);
        bool done = s->walk_done;
        if (done && n) /* the last SYNs just left: answers are awaited from now on */
            s->end_ns = now + (int64_t)s->o->timeout_ms * 1000000 > s->end_ns
                            ? now + (int64_t)s->o->timeout_ms * 1000000
                            : s->end_ns;
        int64_t wait = done ? s->end_ns - now : ratelimit_wait_ns(&s->rl, now);
        pthread_mutex_unlock(&s->mu);
        if (w->idx == 0 && now >= next_progress) {
            collect_drops(s);
            progress(s, REC_PROGRESS, false);
            next_progress = now + 1000000000;
        }
        if (done && wait <= 0) break;
        if (!done && wait > 0) wait += s->extra_ns;
        if (wait > POLL_CAP_NS) wait = POLL_CAP_NS;
        if (wait > 0) {
            /* while sending, answers wait in the ring or the (large) receive buffer until the
             * next batch: waking for each of them would cost more than it saves */
            struct pollfd p = {.fd = fd, .events = done ? POLLIN : 0};
            struct timespec ts = {wait / 1000000000, wait % 1000000000};
            ppoll(&p, 1, &ts, NULL);
        }
    }
    return NULL;
}

int syn_sender_run(struct syn_sender *sd, const struct target_iter *start,
                   const struct engine_opts *o)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct shared *s = xcalloc(1, sizeof *s);
    struct worker *ws = xcalloc((size_t)sd->nthreads, sizeof *ws);
    if (!s || !ws) {
        struct rec r = {.kind = REC_ERROR};
        str_copy(r.msg, "--discovery syn: out of memory", sizeof r.msg);
        syn_put(sd->out, &r);
        free(s);
        free(ws);
        return -1;
    }
    pthread_mutex_init(&s->mu, NULL);
    s->o = o;
    s->sd = sd;
    s->start = start;
    s->it = *start;
    int64_t t0 = ratelimit_now_ns();
    s->hard_stop = o->max_seconds > 0 ? t0 + (int64_t)o->max_seconds * 1000000000 : 0;
    ratelimit_init(&s->rl, o->rate, t0);
    /*
     * Wake for a handful of tokens at a time (at most 0.5 ms of them): one
     * send, one read and one ppoll then carry several packets. The bucket's
     * own burst is 1 ms of tokens (at least 1): every wake-up later than
     * that -- the scheduler on a busy machine is often a few ms late --
     * loses the tokens above the cap for good, 5-15% of the rate when
     * measured here. A burst of 10 ms of tokens (and of at least 4 wake-ups)
     * keeps the long-run rate exact; a window shorter than 10 ms may see
     * that many SYNs early after a late wake-up.
     */
    double per_wake = o->rate > 0 ? o->rate / 2000.0 : 1;
    if (per_wake > BATCH / 4) per_wake = BATCH / 4;
    if (per_wake < 1) per_wake = 1;
    if (o->rate > 0 && s->rl.burst < o->rate / 100) s->rl.burst = o->rate / 100;
    if (o->rate > 0 && s->rl.burst < 4 * per_wake + 4) s->rl.burst = 4 * per_wake + 4;
    s->extra_ns = o->rate > 0 ? (int64_t)((per_wake - 1) * 1e9 / o->rate) : 0;

    for (int i = 0; i < sd->nthreads; i++) {
        ws[i].s = s;
        ws[i].idx = i;
    }
    int started = 1;
    for (int i = 1; i < sd->nthreads; i++, started++)
        if (pthread_create(&ws[i].th, NULL, worker_run, &ws[i]) != 0) break;
    if (started < sd->nthreads) { /* the threads that started do the work */
        atomic_store(&child_stop, 1);
        for (int i = 1; i < started; i++)
            pthread_join(ws[i].th, NULL);
        struct rec r = {.kind = REC_ERROR};
        str_copy(r.msg, "--discovery syn: could not start the sender threads", sizeof r.msg);
        syn_put(sd->out, &r);
        return -1;
    }
    worker_run(&ws[0]);
    for (int i = 1; i < sd->nthreads; i++)
        pthread_join(ws[i].th, NULL);
    for (int i = 0; i < sd->nthreads; i++)
        drain(&ws[i]);
    collect_drops(s);
    progress(s, REC_DONE, s->walk_done && !stopped());
    free(s->seen.v);
    pthread_mutex_destroy(&s->mu);
    free(ws);
    free(s);
    return 0;
}
