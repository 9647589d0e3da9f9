/*
 * net/syn.c -- stateless SYN discovery (see syn.h and docs/syn.md): the
 * parent process.
 *
 * Two processes. The parent parses nothing from the network: it finds where
 * the frames go (net/pktio.h: the route, the interface, the next hop's MAC
 * over rtnetlink), opens the sender's sockets -- the only step that needs
 * CAP_NET_RAW: per sender thread an AF_PACKET socket to send (sendmmsg or a
 * TX ring) and one to receive (an RX ring behind a BPF filter, mapped here),
 * or raw IP sockets where AF_PACKET cannot be used -- forks, closes them,
 * drops every capability and then only reads fixed-size records from a
 * pipe: "open ip:port", "progress" and "done". The child (syn_send.c)
 * becomes nobody, drops every capability and sends.
 */
#include "net/syn.h"

#include "net/syn_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* ---- the sender's sockets ---- */

/* The first IPv4 pair of the walk: its route is the scan's. */
static bool first_target(const struct target_iter *it, uint32_t *daddr, uint16_t *port)
{
    struct target_iter probe = *it;
    struct target t;
    while (target_iter_next(&probe, &t) == 1)
        if (t.family == AF_INET) {
            memcpy(daddr, t.addr, 4);
            *port = t.port;
            return true;
        }
    return false;
}

/* The source address of the route to daddr (127.0.0.1 for loopback), through --interface
 * when given. */
static int route_source(uint32_t daddr, uint16_t port, const char *iface, uint32_t *saddr,
                        struct err *e)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port ? port : 9)};
    sa.sin_addr.s_addr = daddr;
    socklen_t sl = sizeof sa;
    int rc = -1;
    if (fd >= 0 && iface &&
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)) < 0) {
        err_set(e, "--interface %s: %s", iface, strerror(errno));
    } else if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
               getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
        *saddr = sa.sin_addr.s_addr;
        rc = 0;
    } else {
        err_set(e, "--discovery syn: no route to the targets: %s", strerror(errno));
    }
    if (fd >= 0) close(fd);
    return rc;
}

static void sender_init(struct syn_sender *sd)
{
    memset(sd, 0, sizeof *sd);
    for (int i = 0; i < SYN_MAX_THREADS; i++) {
        sd->raw_snd[i] = -1;
        sd->tx[i].fd = sd->rx[i].fd = -1;
    }
    sd->raw_rcv = sd->out = -1;
}

static void sender_close(struct syn_sender *sd)
{
    for (int i = 0; i < SYN_MAX_THREADS; i++) {
        if (sd->raw_snd[i] >= 0) close(sd->raw_snd[i]);
        sd->raw_snd[i] = -1;
        pkt_tx_close(&sd->tx[i]);
        pkt_rx_close(&sd->rx[i]);
    }
    if (sd->raw_rcv >= 0) close(sd->raw_rcv);
    sd->raw_rcv = -1;
}

/* An AF_PACKET sender and receive ring per thread. -1 with e->msg and errno. */
static int open_packet(struct syn_sender *sd, const struct pkt_path *p, bool ring, struct err *e)
{
    int fanout_id = -1;
    for (int i = 0; i < sd->nthreads; i++) {
        if (pkt_tx_open(&sd->tx[i], p->ifindex, ring, e) < 0) return -1;
        if (pkt_rx_open(&sd->rx[i], p->ifindex, p->saddr, sd->nthreads > 1, &fanout_id, e) < 0)
            return -1;
    }
    syn_eth_header(sd->eth, p->dst_mac, p->src_mac);
    sd->saddr = p->saddr;
    return 0;
}

/* A raw IP socket per thread to send, one raw TCP socket to receive. */
static int open_raw(struct syn_sender *sd, bool any, uint32_t daddr, uint16_t port,
                    const struct syn_send_opts *so, struct err *e)
{
    const char *dev = so->iface;
    socklen_t dl = dev ? (socklen_t)strlen(dev) : 0;
    int one = 1, big = 32 << 20;
    for (int i = 0; i < sd->nthreads; i++) {
        sd->raw_snd[i] = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if (sd->raw_snd[i] < 0)
            return err_set(e,
                           "--discovery syn needs raw sockets (CAP_NET_RAW: run as root or setcap "
                           "cap_net_raw+ep): %s",
                           strerror(errno));
        setsockopt(sd->raw_snd[i], IPPROTO_IP, IP_HDRINCL, &one, sizeof one);
        if (setsockopt(sd->raw_snd[i], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
            setsockopt(sd->raw_snd[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
        if (dev && setsockopt(sd->raw_snd[i], SOL_SOCKET, SO_BINDTODEVICE, dev, dl) < 0)
            return err_set(e, "--interface %s: %s", dev, strerror(errno));
    }
    sd->raw_rcv = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
    if (sd->raw_rcv < 0) return err_set(e, "--discovery syn: raw TCP socket: %s", strerror(errno));
    /* FORCE needs CAP_NET_ADMIN; without it the plain option caps at rmem_max */
    if (setsockopt(sd->raw_rcv, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        setsockopt(sd->raw_rcv, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    /* the socket's drop count rides on the packets queued after a drop */
    setsockopt(sd->raw_rcv, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    if (so->have_source)
        sd->saddr = so->source;
    else if (!any)
        sd->saddr = htonl(INADDR_LOOPBACK);
    else if (route_source(daddr, port, dev, &sd->saddr, e) < 0)
        return -1;
    /*
     * Bound to our address, the receive socket is handed only segments sent
     * to it: the kernel skips the others before copying them (on loopback,
     * that is every SYN we send, each of which it would otherwise queue for
     * us to read and reject). Not fatal: syn_validate checks the address too.
     */
    struct sockaddr_in self = {.sin_family = AF_INET, .sin_addr.s_addr = sd->saddr};
    if (bind(sd->raw_rcv, (struct sockaddr *)&self, sizeof self) < 0)
        log_warn("--discovery syn: binding the receive socket: %s", strerror(errno));
    if (so->have_gw_mac)
        log_warn("syn: --gateway-mac does nothing with the raw socket (the kernel picks the next "
                 "hop)");
    return 0;
}

/* Socket errors that mean "AF_PACKET is not allowed here" rather than "something broke". */
static bool refused(int err)
{
    return err == EPERM || err == EACCES || err == EAFNOSUPPORT || err == EPROTONOSUPPORT;
}

static void mac_text(const uint8_t m[6], char *out, size_t n)
{
    str_fmt(out, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Open what the sender needs: AF_PACKET as asked or the best available, the raw socket as the
 * fallback (with a log line saying why). 0, or -1 with e->msg. */
static int open_sender(const struct target_iter *it, const struct syn_send_opts *so,
                       struct syn_sender *sd, struct err *e)
{
    enum syn_send_method m = so->method;
    uint32_t daddr = 0;
    uint16_t port = 0;
    bool any = first_target(it, &daddr, &port);
    char src[INET_ADDRSTRLEN];
    sd->nthreads = so->threads > 1 ? so->threads : 1;
    if (sd->nthreads > SYN_MAX_THREADS) sd->nthreads = SYN_MAX_THREADS;
    if (m != SYN_SEND_RAW && any) {
        struct pkt_path p;
        if (pkt_path_resolve(daddr, so, &p, e) < 0) return -1;
        if (p.why_not[0]) {
            if (m != SYN_SEND_AUTO)
                return err_set(e, "--send-method %s: %s", syn_method_name(m), p.why_not);
            log_warn("syn: %s: sending through the raw socket", p.why_not);
        } else if (open_packet(sd, &p, m == SYN_SEND_RING, e) == 0) {
            char a[24], b[24];
            sd->method = m == SYN_SEND_RING ? SYN_SEND_RING : SYN_SEND_MMSG;
            mac_text(p.src_mac, a, sizeof a);
            mac_text(p.dst_mac, b, sizeof b);
            inet_ntop(AF_INET, &sd->saddr, src, sizeof src);
            log_info("syn: sending with %s on %s (AF_PACKET, %s -> %s) from %s, %d thread%s",
                     syn_method_name(sd->method), p.ifname, a, b, src, sd->nthreads,
                     sd->nthreads > 1 ? "s" : "");
            return 0;
        } else {
            int err = errno;
            sender_close(sd);
            if (m != SYN_SEND_AUTO || !refused(err)) {
                char was[sizeof e->msg];
                str_copy(was, e->msg, sizeof was);
                return err_set(e, "--send-method %s: %s", m == SYN_SEND_RING ? "ring" : "mmsg",
                               was);
            }
            log_warn("syn: AF_PACKET refused (%s): sending through the raw socket", e->msg);
        }
    }
    sd->method = SYN_SEND_RAW;
    if (open_raw(sd, any, daddr, port, so, e) < 0) return -1;
    inet_ntop(AF_INET, &sd->saddr, src, sizeof src);
    log_info("syn: sending with raw (raw IP socket%s%s) from %s, %d thread%s",
             so->iface ? " on " : "", so->iface ? so->iface : "", src, sd->nthreads,
             sd->nthreads > 1 ? "s" : "");
    return 0;
}

/* ---- the parent ---- */

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

/* What the parent gathers from the sender's records. */
struct collect {
    const struct engine_opts *o;
    const struct engine_sink *sink;
    struct engine_stats *st;
    const struct syn_sender *sd;
    pid_t pid;
    bool stop, done, complete;
    uint64_t *pairs; /* addr << 16 | port, for the probe stage */
    size_t npairs, cap;
};

/* Read one whole record from the pipe: 1, or 0 at its end. A signal stops the sender. */
static int read_rec(int fd, struct collect *c, struct rec *r)
{
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(fd, (char *)r + got, sizeof *r - got);
        if (n < 0 && errno == EINTR) {
            kill(c->pid, SIGTERM); /* our own stop signal: the child reports what it has */
            c->stop = true;
            continue;
        }
        if (n <= 0) return 0;
        got += (size_t)n;
    }
    if (!c->stop && engine_stop_requested()) {
        kill(c->pid, SIGTERM); /* asked between two reads */
        c->stop = true;
    }
    return 1;
}

static void log_done(const struct rec *r, const struct syn_sender *sd)
{
    double secs = (double)r->send_ns / 1e9;
    log_info("syn: %llu SYNs in %.3f s (%.0f/s), %llu open, %llu closed, %llu dropped by the "
             "kernel (%s, %d thread%s)",
             (unsigned long long)r->sent, secs, secs > 0 ? (double)r->sent / secs : 0.0,
             (unsigned long long)r->open, (unsigned long long)r->closed,
             (unsigned long long)r->drops, syn_method_name(sd->method), sd->nthreads,
             sd->nthreads > 1 ? "s" : "");
    if (r->send_errors)
        log_warn("syn: %llu sends failed (a SYN the kernel refused is skipped; a ring flush the "
                 "driver's full queue cut short loses frames)",
                 (unsigned long long)r->send_errors);
    if (r->drops)
        log_warn("syn: the kernel dropped %llu answers before they were read: open ports may be "
                 "missing (lower --rate)",
                 (unsigned long long)r->drops);
}

/* One record: an open pair to the sink or the list, the counts to the statistics. 0, or -1
 * with e set. */
static int on_rec(struct collect *c, struct rec *r, struct err *e)
{
    struct engine_stats *st = c->st;
    if (r->kind == REC_ERROR) {
        r->msg[sizeof r->msg - 1] = 0;
        return err_set(e, "%s", r->msg);
    }
    if (r->kind == REC_OPEN) {
        if (c->o->discovery_only) {
            if (!c->stop) emit_open(c->sink, r->addr, (uint16_t)r->port, &c->stop);
            if (c->stop) kill(c->pid, SIGTERM);
            return 0;
        }
        if (c->npairs == c->cap) {
            size_t nc = c->cap ? 2 * c->cap : 256;
            uint64_t *np = xrealloc(c->pairs, nc * sizeof *np);
            if (!np) return err_set(e, "out of memory");
            c->pairs = np;
            c->cap = nc;
        }
        c->pairs[c->npairs++] = (uint64_t)ntohl(r->addr) << 16 | r->port;
        return 0;
    }
    st->started = r->sent;
    st->done = r->walked < st->total ? r->walked : st->total;
    st->open = r->open;
    st->closed = r->closed;
    st->drops = r->drops;
    if (r->kind == REC_DONE) {
        c->done = true;
        c->complete = r->complete != 0;
        st->silent = st->done > st->open + st->closed ? st->done - st->open - st->closed : 0;
        log_done(r, c->sd);
    }
    if (c->sink->on_progress && r->kind == REC_PROGRESS)
        c->sink->on_progress(c->sink->arg, st, false);
    return 0;
}

int syn_run(struct target_iter *it, const struct engine_opts *o, const struct engine_sink *sink,
            struct engine_stats *st, struct err *e)
{
    struct syn_sender *sd = xcalloc(1, sizeof *sd);
    struct collect c = {.o = o, .sink = sink, .st = st, .sd = sd, .pid = -1};
    int pipefd[2] = {-1, -1};
    int rc = -1;

    memset(st, 0, sizeof *st);
    st->start_ms = now_ms();
    st->total = target_iter_steps(it) - target_iter_pos(it);
    if (!sd) return err_set(e, "out of memory");
    sender_init(sd);
    if (open_sender(it, &o->syn, sd, e) < 0) goto out;
    if (getrandom(sd->key.k, sizeof sd->key.k, 0) != (ssize_t)sizeof sd->key.k) {
        err_set(e, "--discovery syn: no randomness for the cookie key");
        goto out;
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        err_set(e, "pipe: %s", strerror(errno));
        goto out;
    }
    fflush(NULL); /* nothing buffered may be written twice */
    c.pid = fork();
    if (c.pid < 0) {
        err_set(e, "fork: %s", strerror(errno));
        goto out;
    }
    if (c.pid == 0) {
        close(pipefd[0]);
        sd->out = pipefd[1];
        if (drop_to_nobody() < 0) {
            struct rec r = {.kind = REC_ERROR};
            str_fmt(r.msg, sizeof r.msg, "--discovery syn: dropping privileges: %s",
                    strerror(errno));
            syn_put(sd->out, &r);
            _exit(1);
        }
        syn_sender_run(sd, it, o);
        _exit(0);
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    sender_close(sd); /* the child has them; the rings stay mapped there */
    if (drop_caps() < 0)
        log_warn("--discovery syn: could not drop capabilities: %s", strerror(errno));

    struct rec r;
    while (read_rec(pipefd[0], &c, &r))
        if (on_rec(&c, &r, e) < 0) goto out;
    int status = 0;
    waitpid(c.pid, &status, 0);
    c.pid = -1;
    if (!c.done) {
        err_set(e, "--discovery syn: the sending process died (status %d)", status);
        goto out;
    }
    /* the child says whether its walk ran to the end (walked counts pairs, total counts walk
     * steps, the permutation's few skipped elements included) */
    st->interrupted = c.stop || !c.complete;
    if (st->interrupted) st->stop_why = c.stop ? STOP_ASKED : STOP_TIME;
    if (o->discovery_only || c.stop) { /* interrupted: no probe stage either */
        if (sink->on_progress) sink->on_progress(sink->arg, st, true);
        rc = 0;
        goto out;
    }
    rc = probe_stage(c.pairs, c.npairs, o, sink, st, e);
out:
    if (c.pid > 0) {
        kill(c.pid, SIGTERM);
        waitpid(c.pid, NULL, 0);
    }
    if (sd) sender_close(sd);
    free(sd);
    if (pipefd[0] >= 0) close(pipefd[0]);
    if (pipefd[1] >= 0) close(pipefd[1]);
    free(c.pairs);
    return rc;
}
