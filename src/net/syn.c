/*
 * net/syn.c -- stateless SYN discovery (see syn.h and docs/syn.md).
 *
 * Two processes. The parent parses nothing from the network: it opens the
 * two raw sockets (the only step that needs CAP_NET_RAW), forks, closes
 * them, drops every capability and then only reads fixed-size records
 * from a pipe: "open ip:port", "progress" and "done". The child becomes
 * nobody, drops every capability, and runs one single-threaded loop: take
 * tokens from the bucket, build that many SYNs from the target walk, send
 * them with one sendmmsg, drain whatever the raw TCP socket holds with
 * recvmmsg, and sleep (ppoll, nanosecond timeout) until the next token or
 * the next packet. After the last pass it keeps reading for timeout_ms.
 *
 * The child remembers only the open pairs it has reported (an open-
 * addressing set, so a SYN-ACK answered twice -- retransmissions, retries
 * -- is reported once): memory grows with what is found, never with what
 * is scanned.
 */
#include "net/syn.h"

#include "net/ratelimit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH  64
#define RBATCH 64
#define RBUF   128 /* bytes kept of each received packet: IP + TCP headers */

/* ---- SipHash-2-4 (Aumasson and Bernstein), written from the paper ---- */

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static inline uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = rotl(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = rotl(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = rotl(v2, 32);                                                                         \
    } while (0)

uint64_t syn_siphash(const struct syn_key *key, const void *data, size_t n)
{
    const uint8_t *in = data;
    uint64_t k0 = le64(key->k), k1 = le64(key->k + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    size_t full = n - n % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = le64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    for (size_t i = 0; i < n % 8; i++)
        b |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* The hashed tuple: a tag byte keeps the port hash and the cookie independent. */
static uint64_t tuple_hash(const struct syn_key *key, uint8_t tag, uint32_t saddr, uint32_t daddr,
                           uint16_t sport, uint16_t dport)
{
    uint8_t m[13];
    memcpy(m, &saddr, 4);
    memcpy(m + 4, &daddr, 4);
    m[8] = (uint8_t)(sport >> 8);
    m[9] = (uint8_t)sport;
    m[10] = (uint8_t)(dport >> 8);
    m[11] = (uint8_t)dport;
    m[12] = tag;
    return syn_siphash(key, m, sizeof m);
}

uint16_t syn_sport(const struct syn_key *key, uint32_t saddr, uint32_t daddr, uint16_t dport)
{
    return (uint16_t)(SYN_SPORT_BASE +
                      tuple_hash(key, 'p', saddr, daddr, 0, dport) % SYN_SPORT_RANGE);
}

uint32_t syn_cookie(const struct syn_key *key, uint32_t saddr, uint32_t daddr, uint16_t sport,
                    uint16_t dport)
{
    return (uint32_t)tuple_hash(key, 'c', saddr, daddr, sport, dport);
}

/* ---- packets ---- */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One's-complement sum of 16-bit big-endian words (RFC 1071). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += rd16(p + i);
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t syn_build(const struct syn_key *key, uint8_t *buf, uint32_t saddr, uint32_t daddr,
                 uint16_t dport)
{
    uint16_t sport = syn_sport(key, saddr, daddr, dport);
    uint8_t *ip = buf, *tcp = buf + 20;
    memset(buf, 0, SYN_PACKET_LEN);
    ip[0] = 0x45; /* IPv4, 5 words */
    wr16(ip + 2, SYN_PACKET_LEN);
    wr16(ip + 4, (uint16_t)(tuple_hash(key, 'i', saddr, daddr, 0, dport) & 0xffff));
    ip[8] = 64; /* TTL */
    ip[9] = IPPROTO_TCP;
    memcpy(ip + 12, &saddr, 4);
    memcpy(ip + 16, &daddr, 4);
    wr16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    wr16(tcp, sport);
    wr16(tcp + 2, dport);
    wr32(tcp + 4, syn_cookie(key, saddr, daddr, sport, dport));
    tcp[12] = 6 << 4; /* 6 words: header + MSS option */
    tcp[13] = 0x02;   /* SYN */
    wr16(tcp + 14, 65535);
    tcp[20] = 2; /* MSS, length 4, 1460 */
    tcp[21] = 4;
    wr16(tcp + 22, 1460);
    uint8_t pseudo[12];
    memcpy(pseudo, &saddr, 4);
    memcpy(pseudo + 4, &daddr, 4);
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_TCP;
    wr16(pseudo + 10, SYN_PACKET_LEN - 20);
    wr16(tcp + 16, csum_fold(csum_add(csum_add(0, pseudo, 12), tcp, SYN_PACKET_LEN - 20)));
    return SYN_PACKET_LEN;
}

enum syn_verdict syn_validate(const struct syn_key *key, uint32_t saddr, const uint8_t *pkt,
                              size_t n, uint32_t *daddr, uint16_t *dport)
{
    if (n < 20 || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_TCP) return SYN_NOISE;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (ihl < 20 || n < ihl + 20) return SYN_NOISE;
    if (memcmp(pkt + 16, &saddr, 4) != 0) return SYN_NOISE;
    const uint8_t *tcp = pkt + ihl;
    uint16_t sport = rd16(tcp + 2); /* ours */
    if (sport < SYN_SPORT_BASE || sport >= SYN_SPORT_BASE + SYN_SPORT_RANGE) return SYN_NOISE;
    uint32_t src;
    memcpy(&src, pkt + 12, 4);
    uint16_t port = rd16(tcp);
    uint8_t flags = tcp[13];
    bool ack = flags & 0x10, syn = flags & 0x02, rst = flags & 0x04;
    if (!ack) return SYN_NOISE; /* both answers to a SYN acknowledge it */
    if (rd32(tcp + 8) != syn_cookie(key, saddr, src, sport, port) + 1) return SYN_NOISE;
    *daddr = src;
    *dport = port;
    if (syn && !rst) return SYN_OPEN;
    if (rst) return SYN_CLOSED;
    return SYN_NOISE;
}

/* ---- privileges ---- */

static int drop_caps(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
    return (int)syscall(SYS_capset, &h, d);
}

/* The child: root becomes nobody (setuid clears the capabilities); anyone else drops them. */
static int drop_to_nobody(void)
{
    if (geteuid() == 0) {
        const struct passwd *pw = getpwnam("nobody");
        uid_t uid = pw ? pw->pw_uid : 65534;
        gid_t gid = pw ? pw->pw_gid : 65534;
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
            return -1;
    }
    return drop_caps();
}

/* ---- the child ---- */

enum { REC_OPEN = 1, REC_PROGRESS, REC_DONE, REC_ERROR };

/* One pipe record; smaller than PIPE_BUF, so each write is atomic. */
struct rec {
    uint32_t kind;
    uint32_t addr; /* network order */
    uint32_t port;
    uint32_t complete; /* REC_DONE: the walk (and its retry passes) ran to its end */
    uint64_t sent, walked, closed, open;
    int64_t send_ns; /* first SYN to last SYN */
    char msg[120];
};

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

static volatile sig_atomic_t child_stop;

static void on_child_signal(int sig)
{
    (void)sig;
    child_stop = 1;
}

static int put(int fd, const struct rec *r)
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

struct child {
    int snd, rcv, out;
    uint32_t saddr;
    struct syn_key key;
    struct seen seen;
    struct rec tally; /* counters sent with every progress record */
};

static void drain(struct child *c)
{
    static uint8_t bufs[RBATCH][RBUF];
    struct mmsghdr mm[RBATCH];
    struct iovec iov[RBATCH];
    for (;;) {
        for (int i = 0; i < RBATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = RBUF;
            memset(&mm[i].msg_hdr, 0, sizeof mm[i].msg_hdr);
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(c->rcv, mm, RBATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        for (int i = 0; i < n; i++) {
            uint32_t daddr;
            uint16_t dport;
            enum syn_verdict v =
                syn_validate(&c->key, c->saddr, bufs[i], mm[i].msg_len, &daddr, &dport);
            if (v == SYN_CLOSED) c->tally.closed++;
            if (v != SYN_OPEN) continue;
            if (seen_add(&c->seen, (uint64_t)ntohl(daddr) << 16 | dport) != 1) continue;
            c->tally.open++;
            struct rec r = {.kind = REC_OPEN, .addr = daddr, .port = dport};
            if (put(c->out, &r) < 0) child_stop = 1;
        }
        if (n < RBATCH) return;
    }
}

static void child_progress(struct child *c, uint32_t kind)
{
    struct rec r = c->tally;
    r.kind = kind;
    put(c->out, &r);
}

static int child_run(struct child *c, const struct target_iter *start, const struct engine_opts *o)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    static uint8_t pkts[BATCH][SYN_PACKET_LEN];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in dst[BATCH];
    struct target_iter it = *start;
    int pass = 0;
    bool walk_done = false;
    struct ratelimit rl;
    int64_t t0 = ratelimit_now_ns(), first_ns = 0, last_ns = 0, next_progress = t0 + 1000000000;
    int64_t hard_stop = o->max_seconds > 0 ? t0 + (int64_t)o->max_seconds * 1000000000 : 0;
    int64_t end_ns = 0;
    ratelimit_init(&rl, o->rate, t0);
    /*
     * Wake for a handful of tokens at a time (at most 0.5 ms of them): one
     * sendmmsg, one recvmmsg and one ppoll then carry several packets. The
     * bucket's own burst is 1 ms of tokens (at least 1): every wake-up later
     * than that -- the scheduler on a busy machine is often a few ms late --
     * loses the tokens above the cap for good, 5-15% of the rate when
     * measured here. A burst of 10 ms of tokens (and of at least 4 wake-ups)
     * keeps the long-run rate exact; a window shorter than 10 ms may see
     * that many SYNs early after a late wake-up.
     */
    double per_wake = o->rate > 0 ? o->rate / 2000.0 : 1;
    if (per_wake > BATCH / 4) per_wake = BATCH / 4;
    if (per_wake < 1) per_wake = 1;
    if (o->rate > 0 && rl.burst < o->rate / 100) rl.burst = o->rate / 100;
    if (o->rate > 0 && rl.burst < 4 * per_wake + 4) rl.burst = 4 * per_wake + 4;
    int64_t extra_ns = o->rate > 0 ? (int64_t)((per_wake - 1) * 1e9 / o->rate) : 0;

    while (!child_stop) {
        int64_t now = ratelimit_now_ns();
        if (hard_stop && now >= hard_stop) break;
        if (!walk_done) {
            uint64_t want = ratelimit_take(&rl, BATCH, now);
            int n = 0;
            while ((uint64_t)n < want) {
                struct target t;
                if (target_iter_next(&it, &t) != 1) {
                    if (pass < o->retries) {
                        pass++;
                        it = *start;
                        continue;
                    }
                    walk_done = true;
                    break;
                }
                c->tally.walked++;
                if (t.family != AF_INET) continue; /* IPv6 is the connect engine's */
                uint32_t daddr;
                memcpy(&daddr, t.addr, 4);
                syn_build(&c->key, pkts[n], c->saddr, daddr, t.port);
                memset(&dst[n], 0, sizeof dst[n]);
                dst[n].sin_family = AF_INET;
                dst[n].sin_addr.s_addr = daddr;
                iov[n].iov_base = pkts[n];
                iov[n].iov_len = SYN_PACKET_LEN;
                memset(&mm[n].msg_hdr, 0, sizeof mm[n].msg_hdr);
                mm[n].msg_hdr.msg_name = &dst[n];
                mm[n].msg_hdr.msg_namelen = sizeof dst[n];
                mm[n].msg_hdr.msg_iov = &iov[n];
                mm[n].msg_hdr.msg_iovlen = 1;
                n++;
            }
            int off = 0;
            while (off < n && !child_stop) {
                int s = sendmmsg(c->snd, mm + off, (unsigned)(n - off), 0);
                if (s > 0) {
                    off += s;
                    continue;
                }
                if (errno == EINTR) continue;
                if (errno == ENOBUFS || errno == EAGAIN) {
                    drain(c); /* the queue is full: make room by reading */
                    struct timespec ts = {0, 50000};
                    nanosleep(&ts, NULL);
                    continue;
                }
                /* an unreachable or refused address: skip that one packet */
                off++;
            }
            if (n) {
                last_ns = ratelimit_now_ns();
                if (!first_ns) first_ns = now;
                c->tally.sent += (uint64_t)n;
            }
            if (walk_done) end_ns = ratelimit_now_ns() + (int64_t)o->timeout_ms * 1000000;
        }
        drain(c);
        now = ratelimit_now_ns();
        if (now >= next_progress) {
            c->tally.send_ns = last_ns - first_ns;
            child_progress(c, REC_PROGRESS);
            next_progress = now + 1000000000;
        }
        if (walk_done && now >= end_ns) break;
        int64_t wait = walk_done ? end_ns - now : ratelimit_wait_ns(&rl, now);
        if (!walk_done && wait > 0) wait += extra_ns;
        if (wait > 0) {
            /* while sending, replies wait in the (large) receive buffer until the next
             * batch: waking for each of them would cost more than it saves */
            struct pollfd p = {.fd = c->rcv, .events = walk_done ? POLLIN : 0};
            struct timespec ts = {wait / 1000000000, wait % 1000000000};
            ppoll(&p, 1, &ts, NULL);
        }
    }
    drain(c);
    c->tally.send_ns = last_ns - first_ns;
    c->tally.complete = walk_done && !child_stop;
    child_progress(c, REC_DONE);
    free(c->seen.v);
    return 0;
}

/* ---- the parent ---- */

/* The source address of the route to the first target (127.0.0.1 for loopback). */
static int route_source(struct target_iter *it, uint32_t *saddr, struct err *e)
{
    struct target_iter probe = *it;
    struct target t;
    bool found = false;
    while (target_iter_next(&probe, &t) == 1)
        if (t.family == AF_INET) {
            found = true;
            break;
        }
    if (!found) {
        *saddr = htonl(INADDR_LOOPBACK);
        return 0;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(t.port ? t.port : 9)};
    memcpy(&sa.sin_addr, t.addr, 4);
    socklen_t sl = sizeof sa;
    int rc = -1;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
        *saddr = sa.sin_addr.s_addr;
        rc = 0;
    } else {
        err_set(e, "--discovery syn: no route to the targets: %s", strerror(errno));
    }
    if (fd >= 0) close(fd);
    return rc;
}

static void emit_open(const struct engine_sink *sink, uint32_t addr, uint16_t port, bool *stop)
{
    struct finding f;
    finding_init(&f);
    inet_ntop(AF_INET, &addr, f.ip, sizeof f.ip);
    f.port = port;
    f.time = now_wall();
    if (sink->on_finding && sink->on_finding(sink->arg, &f) < 0) *stop = true;
    finding_free(&f);
}

/* Probe stage: the connect engine over exactly the open pairs, as "a.b.c.d:port" targets. */
static int probe_stage(const uint64_t *pairs, size_t n, const struct engine_opts *o,
                       const struct engine_sink *sink, struct engine_stats *st, struct err *e)
{
    char **specs = xcalloc(n ? n : 1, sizeof *specs);
    struct target_set *ts = NULL;
    int rc = -1;
    if (!specs) {
        err_set(e, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char s[32];
        uint32_t a = htonl((uint32_t)(pairs[i] >> 16));
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a, ip, sizeof ip);
        str_fmt(s, sizeof s, "%s:%u", ip, (unsigned)(pairs[i] & 0xffff));
        specs[i] = xstrdup(s);
        if (!specs[i]) {
            err_set(e, "out of memory");
            goto out;
        }
    }
    if (target_set_new(&ts, (const char *const *)specs, n, NULL, e) < 0) goto out;
    struct target_iter it;
    if (target_iter_init(&it, ts, 1, 0, 1, e) < 0) goto out;
    struct engine_opts po = *o;
    struct engine_stats pst;
    /* positions here are of this walk over the open pairs, not of the scan's: no checkpoints,
     * no coverage (an interrupted probe stage leaves the scan's checkpoint at 0) */
    struct engine_sink ps = *sink;
    ps.on_checkpoint = NULL;
    ps.on_pull = NULL;
    if (engine_run(&it, &po, &ps, &pst, e) < 0) goto out;
    st->identified = pst.identified;
    st->findings = pst.findings;
    st->interrupted = st->interrupted || pst.interrupted;
    if (!st->stop_why) st->stop_why = pst.stop_why;
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(specs[i]);
    free(specs);
    target_set_free(ts);
    return rc;
}

/*
 * The sending process's raw sockets (send with our own IP header, receive TCP), their buffers,
 * the source address the route to the targets gives, and the key of the SYN cookies. 0, or -1
 * with e set (the sockets opened so far are c's, for the caller to close).
 */
static int child_open(struct child *c, struct target_iter *it, struct err *e)
{
    c->snd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (c->snd < 0) {
        err_set(e,
                "--discovery syn needs raw sockets (CAP_NET_RAW: run as root or setcap "
                "cap_net_raw+ep): %s",
                strerror(errno));
        return -1;
    }
    c->rcv = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
    if (c->rcv < 0) {
        err_set(e, "--discovery syn: raw TCP socket: %s", strerror(errno));
        return -1;
    }
    int one = 1, big = 32 << 20;
    setsockopt(c->snd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one);
    /* FORCE needs CAP_NET_ADMIN; without it the plain option caps at rmem_max */
    if (setsockopt(c->rcv, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        setsockopt(c->rcv, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (setsockopt(c->snd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
        setsockopt(c->snd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (route_source(it, &c->saddr, e) < 0) return -1;
    /*
     * Bound to our address, the receive socket is handed only segments sent
     * to it: the kernel skips the others before copying them (on loopback,
     * that is every SYN we send, each of which it would otherwise queue for
     * us to read and reject). Not fatal: syn_validate checks the address too.
     */
    struct sockaddr_in self = {.sin_family = AF_INET, .sin_addr.s_addr = c->saddr};
    if (bind(c->rcv, (struct sockaddr *)&self, sizeof self) < 0)
        log_warn("--discovery syn: binding the receive socket: %s", strerror(errno));
    if (getrandom(c->key.k, sizeof c->key.k, 0) != (ssize_t)sizeof c->key.k) {
        err_set(e, "--discovery syn: no randomness for the cookie key");
        return -1;
    }
    return 0;
}

/*
 * Fork the sending process: it drops to nobody, walks (child_run) and reports over pipefd[1]
 * (its end of the pipe; the read end is closed in it). Its pid, or -1 with e set.
 */
static pid_t child_fork(struct child *c, struct target_iter *it, const struct engine_opts *o,
                        int pipefd[2], struct err *e)
{
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        err_set(e, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(pipefd[0]);
        c->out = pipefd[1];
        if (drop_to_nobody() < 0) {
            struct rec r = {.kind = REC_ERROR};
            str_fmt(r.msg, sizeof r.msg, "--discovery syn: dropping privileges: %s",
                    strerror(errno));
            put(c->out, &r);
            _exit(1);
        }
        child_run(c, it, o);
        _exit(0);
    }
    return pid;
}

int syn_run(struct target_iter *it, const struct engine_opts *o, const struct engine_sink *sink,
            struct engine_stats *st, struct err *e)
{
    struct child c;
    memset(&c, 0, sizeof c);
    c.snd = c.rcv = c.out = -1;
    int pipefd[2] = {-1, -1};
    uint64_t *pairs = NULL;
    size_t npairs = 0, cap = 0;
    int rc = -1;
    pid_t pid = -1;
    bool stop = false, done = false, complete = false;

    memset(st, 0, sizeof *st);
    st->start_ms = now_ms();
    st->total = target_iter_steps(it) - target_iter_pos(it);

    if (child_open(&c, it, e) < 0) goto out;
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        err_set(e, "pipe: %s", strerror(errno));
        goto out;
    }
    if ((pid = child_fork(&c, it, o, pipefd, e)) < 0) goto out;
    close(pipefd[1]);
    pipefd[1] = -1;
    close(c.snd);
    close(c.rcv);
    c.snd = c.rcv = -1;
    if (drop_caps() < 0)
        log_warn("--discovery syn: could not drop capabilities: %s", strerror(errno));

    for (;;) {
        struct rec r;
        size_t got = 0;
        while (got < sizeof r) {
            ssize_t n = read(pipefd[0], (char *)&r + got, sizeof r - got);
            if (n < 0 && errno == EINTR) {
                kill(pid, SIGTERM); /* our own stop signal: the child reports what it has */
                stop = true;
                continue;
            }
            if (n <= 0) break;
            got += (size_t)n;
        }
        if (got < sizeof r) break;
        if (!stop && engine_stop_requested()) {
            kill(pid, SIGTERM); /* asked between two reads */
            stop = true;
        }
        if (r.kind == REC_ERROR) {
            err_set(e, "%s", r.msg);
            goto out;
        }
        if (r.kind == REC_OPEN) {
            if (o->discovery_only) {
                if (!stop) emit_open(sink, r.addr, (uint16_t)r.port, &stop);
                if (stop) kill(pid, SIGTERM);
            } else {
                if (npairs == cap) {
                    size_t nc = cap ? 2 * cap : 256;
                    uint64_t *np = xrealloc(pairs, nc * sizeof *np);
                    if (!np) {
                        err_set(e, "out of memory");
                        goto out;
                    }
                    pairs = np;
                    cap = nc;
                }
                pairs[npairs++] = (uint64_t)ntohl(r.addr) << 16 | r.port;
            }
            continue;
        }
        st->started = r.sent;
        st->done = r.walked < st->total ? r.walked : st->total;
        st->open = r.open;
        st->closed = r.closed;
        if (r.kind == REC_DONE) {
            done = true;
            complete = r.complete != 0;
            st->silent = st->done > st->open + st->closed ? st->done - st->open - st->closed : 0;
            double secs = (double)r.send_ns / 1e9;
            log_info("syn: %llu SYNs in %.3f s (%.0f/s), %llu open, %llu closed",
                     (unsigned long long)r.sent, secs, secs > 0 ? (double)r.sent / secs : 0.0,
                     (unsigned long long)r.open, (unsigned long long)r.closed);
        }
        if (sink->on_progress && r.kind == REC_PROGRESS) sink->on_progress(sink->arg, st, false);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    if (!done) {
        err_set(e, "--discovery syn: the sending process died (status %d)", status);
        goto out;
    }
    /* the child says whether its walk ran to the end (walked counts pairs, total counts walk
     * steps, the permutation's few skipped elements included) */
    st->interrupted = stop || !complete;
    if (st->interrupted) st->stop_why = stop ? STOP_ASKED : STOP_TIME;
    if (o->discovery_only || stop) { /* interrupted: no probe stage either */
        if (sink->on_progress) sink->on_progress(sink->arg, st, true);
        rc = 0;
        goto out;
    }
    rc = probe_stage(pairs, npairs, o, sink, st, e);
out:
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    if (c.snd >= 0) close(c.snd);
    if (c.rcv >= 0) close(c.rcv);
    if (pipefd[0] >= 0) close(pipefd[0]);
    if (pipefd[1] >= 0) close(pipefd[1]);
    free(pairs);
    return rc;
}
