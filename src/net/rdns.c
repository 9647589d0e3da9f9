/*
 * net/rdns.c -- PTR names of found addresses (see rdns.h).
 *
 * Shape. A hash table of addresses (one entry each, for the whole scan),
 * a FIFO of entries not yet sent, and one thread that owns the c-ares
 * channel: it takes queued entries while fewer than RDNS_MAX_INFLIGHT
 * queries are out, polls the channel's sockets (ares_getsock: no fd_set,
 * whatever the descriptor numbers) and the wake descriptor, and lets
 * c-ares handle its timeouts. The table, the queue and the entries'
 * results are under one mutex; c-ares calls are made without it (a
 * callback may run inside ares_gethostbyaddr and takes the mutex itself).
 *
 * Settling. An entry is settled when its callback ran, or when the caller
 * finds its deadline passed (rdns_names marks it settled then, under the
 * mutex, and a late answer is dropped): a finding seen before and one seen
 * after a late answer get the same names.
 */
#include "net/rdns.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- names ---- */

static bool name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

size_t rdns_name_norm(char *out, size_t outsz, const void *p, size_t n, bool wildcard)
{
    const unsigned char *s = p;
    if (!out || outsz < FINDING_HOSTNAME_MAX + 1) return 0;
    out[0] = 0;
    if (!s) return 0;
    if (n && s[n - 1] == '.') n--; /* the root */
    if (n == 0 || n > FINDING_HOSTNAME_MAX) return 0;
    size_t label = 0, start = 0;
    bool digits = true; /* the current label is all digits */
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0 || label > 63) return 0;
            if (out[i - 1] == '-' || out[start] == '-') return 0;
            if (i < n) {
                out[i] = '.';
                label = 0;
                start = i + 1;
                digits = true;
            }
            continue;
        }
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        if (c == '*' && wildcard && i == 0 && n > 2 && s[1] == '.') {
            out[i] = '*';
            label++;
            digits = false;
            continue;
        }
        if (!name_char(c)) return 0;
        if (c < '0' || c > '9') digits = false;
        out[i] = (char)c;
        label++;
    }
    if (digits) return 0; /* "10.0.0.1", "1234": an address or a number, not a name */
    out[n] = 0;
    return n;
}

static bool has_name(const struct finding *f, const char *s)
{
    for (int i = 0; i < f->nhostnames; i++)
        if (!strcmp(f->hostnames[i], s)) return true;
    return false;
}

static void add_name(struct finding *f, const char *s, size_t n, bool wildcard, bool ptr)
{
    char tmp[FINDING_HOSTNAME_MAX + 1];
    if (f->nhostnames >= FINDING_MAX_HOSTNAMES) return;
    if (!rdns_name_norm(tmp, sizeof tmp, s, n, wildcard) || has_name(f, tmp)) return;
    finding_add_hostname(f, tmp, ptr);
}

void rdns_fill(struct finding *f, const char names[][FINDING_HOSTNAME_MAX + 1], int n)
{
    f->rdns = true;
    f->nhostnames = 0;
    f->hostname_ptr = 0;
    for (int i = 0; i < n && i < RDNS_MAX_PTR; i++)
        add_name(f, names[i], strnlen(names[i], FINDING_HOSTNAME_MAX + 1), false, true);
    if (!f->tls.present) return;
    add_name(f, f->tls.subject_cn, strlen(f->tls.subject_cn), true, false);
    for (int i = 0; i < f->tls.nsan && i < FINDING_MAX_SAN; i++)
        add_name(f, f->tls.san[i], strlen(f->tls.san[i]), true, false);
}

/* ---- --resolver ---- */

int rdns_server_parse(const char *s, struct rdns_server *out, struct err *e)
{
    char host[64];
    const char *port = NULL;
    memset(out, 0, sizeof *out);
    out->port = 53;
    if (!s || !s[0]) return err_set(e, "--resolver: empty address");
    size_t n = strlen(s);
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (size_t)(close - s - 1) >= sizeof host)
            return err_set(e, "--resolver: bad address '%s' (want ADDR, ADDR:PORT or [V6]:PORT)",
                           s);
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = 0;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            return err_set(e, "--resolver: bad address '%s'", s);
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) colon = NULL; /* a bare IPv6 address */
        size_t hl = colon ? (size_t)(colon - s) : n;
        if (hl >= sizeof host) return err_set(e, "--resolver: bad address '%s'", s);
        memcpy(host, s, hl);
        host[hl] = 0;
        if (colon) port = colon + 1;
    }
    if (inet_pton(AF_INET, host, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, host, out->addr) == 1)
        out->family = AF_INET6;
    else
        return err_set(e, "--resolver: '%s' is not an IP address (a resolver is given by address)",
                       host);
    if (port) {
        uint64_t v;
        if (parse_u64(port, 65535, &v) < 0 || v == 0)
            return err_set(e, "--resolver: bad port in '%s'", s);
        out->port = (uint16_t)v;
    }
    return 0;
}

/* ---- the resolver ---- */

enum ent_state { E_QUEUED = 0, E_SENT, E_DONE };

struct ent {
    char ip[46];
    int family;
    uint8_t addr[16];
    enum ent_state st;
    int64_t deadline_ms;
    int nnames;
    char (*names)[FINDING_HOSTNAME_MAX + 1]; /* RDNS_MAX_PTR, allocated on an answer */
    struct ent *hnext, *qnext;
    struct rdns *r;
};

struct rdns {
    pthread_mutex_t mu;
    pthread_t th;
    bool thread_started;
    bool stop;
    int wakefd;
    ares_channel ch;
    int timeout_ms;
    struct ent **tab;
    size_t tabsz, nents;
    struct ent *qhead, *qtail;
    int inflight;
    int64_t last_deadline;
};

static uint64_t hash_ip(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct ent *find(struct rdns *r, const char *ip)
{
    for (struct ent *x = r->tab[hash_ip(ip) & (r->tabsz - 1)]; x; x = x->hnext)
        if (!strcmp(x->ip, ip)) return x;
    return NULL;
}

static void grow(struct rdns *r)
{
    size_t nsz = r->tabsz * 2;
    struct ent **nt = xcalloc(nsz, sizeof *nt);
    if (!nt) return;
    for (size_t i = 0; i < r->tabsz; i++) {
        for (struct ent *x = r->tab[i], *nx; x; x = nx) {
            nx = x->hnext;
            size_t b = hash_ip(x->ip) & (nsz - 1);
            x->hnext = nt[b];
            nt[b] = x;
        }
    }
    free(r->tab);
    r->tab = nt;
    r->tabsz = nsz;
}

static void wake(struct rdns *r)
{
    uint64_t one = 1;
    ssize_t w = write(r->wakefd, &one, sizeof one);
    (void)w;
}

static void on_answer(void *arg, int status, int timeouts, struct hostent *h)
{
    struct ent *x = arg;
    struct rdns *r = x->r;
    (void)timeouts;
    pthread_mutex_lock(&r->mu);
    r->inflight--;
    if (x->st != E_DONE) {
        if (status == ARES_SUCCESS && h && !x->names)
            x->names = xcalloc(RDNS_MAX_PTR, sizeof *x->names);
        if (status == ARES_SUCCESS && h && x->names) {
            /* c-ares 1.18: every PTR of the answer in h_aliases, in order, and the last again
             * in h_name (the only one when there are no aliases) */
            char **al = h->h_aliases;
            for (int k = 0; x->nnames < RDNS_MAX_PTR && k <= 64; k++) {
                const char *s = al && al[k] ? al[k] : NULL;
                if (!s) {
                    s = h->h_name;
                    k = 64; /* the last one looked at */
                }
                if (!s) break;
                char tmp[FINDING_HOSTNAME_MAX + 1];
                size_t sl = strnlen(s, 1024);
                if (!rdns_name_norm(tmp, sizeof tmp, s, sl, false)) continue;
                bool dup = false;
                for (int j = 0; j < x->nnames && !dup; j++)
                    dup = !strcmp(x->names[j], tmp);
                if (!dup) str_copy(x->names[x->nnames++], tmp, sizeof x->names[0]);
            }
        }
        x->st = E_DONE;
    }
    pthread_mutex_unlock(&r->mu);
}

static void *run(void *arg)
{
    struct rdns *r = arg;
    for (;;) {
        /* take what may be sent now */
        struct ent *batch[RDNS_MAX_INFLIGHT];
        int nb = 0;
        pthread_mutex_lock(&r->mu);
        bool stop = r->stop;
        int64_t t = now_ms();
        while (!stop && r->qhead && r->inflight + nb < RDNS_MAX_INFLIGHT) {
            struct ent *x = r->qhead;
            r->qhead = x->qnext;
            if (!r->qhead) r->qtail = NULL;
            x->qnext = NULL;
            if (x->st != E_QUEUED) continue;
            if (t >= x->deadline_ms) { /* waited its whole time in the queue */
                x->st = E_DONE;
                continue;
            }
            x->st = E_SENT;
            batch[nb++] = x;
        }
        r->inflight += nb;
        pthread_mutex_unlock(&r->mu);
        if (stop) break;
        for (int i = 0; i < nb; i++)
            ares_gethostbyaddr(r->ch, batch[i]->addr, batch[i]->family == AF_INET ? 4 : 16,
                               batch[i]->family, on_answer, batch[i]);
        /* wait for the channel's sockets, a wake-up or the channel's next timeout */
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pf[ARES_GETSOCK_MAXNUM + 1];
        int np = 0;
        pf[np].fd = r->wakefd;
        pf[np].events = POLLIN;
        pf[np++].revents = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = 0;
            /* ARES_GETSOCK_WRITABLE's 1 << 31 overflows an int: the bits by hand */
            if (((unsigned)bits >> i) & 1u) ev |= POLLIN;
            if (((unsigned)bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u) ev |= POLLOUT;
            if (!ev) continue;
            pf[np].fd = socks[i];
            pf[np].events = ev;
            pf[np++].revents = 0;
        }
        struct timeval tvmax = {1, 0}, tv;
        struct timeval *tp = ares_timeout(r->ch, &tvmax, &tv);
        int wait = (int)(tp->tv_sec * 1000 + tp->tv_usec / 1000) + 1;
        int k = poll(pf, (nfds_t)np, wait);
        if (k < 0 && errno != EINTR) break;
        if (k > 0 && (pf[0].revents & POLLIN)) {
            uint64_t v;
            ssize_t rd = read(r->wakefd, &v, sizeof v);
            (void)rd;
        }
        bool any = false;
        for (int i = 1; i < np; i++) {
            if (!pf[i].revents) continue;
            any = true;
            ares_socket_t rs =
                pf[i].revents & (POLLIN | POLLERR | POLLHUP) ? pf[i].fd : ARES_SOCKET_BAD;
            ares_socket_t ws = pf[i].revents & POLLOUT ? pf[i].fd : ARES_SOCKET_BAD;
            ares_process_fd(r->ch, rs, ws);
        }
        if (!any) ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
    }
    return NULL;
}

int rdns_open(struct rdns **out, const struct rdns_opts *o, struct err *e)
{
    *out = NULL;
    struct rdns_server srv;
    if (o->resolver && rdns_server_parse(o->resolver, &srv, e) < 0) return -1;
    static bool lib_ok;
    if (!lib_ok) {
        if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
            return err_set(e, "rdns: c-ares does not start");
        lib_ok = true;
    }
    struct rdns *r = xcalloc(1, sizeof *r);
    if (!r) return err_set(e, "out of memory");
    r->wakefd = -1;
    r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : RDNS_TIMEOUT_MS_DEF;
    r->tabsz = 1024;
    r->tab = xcalloc(r->tabsz, sizeof *r->tab);
    pthread_mutex_init(&r->mu, NULL);
    if (!r->tab) {
        rdns_close(r);
        return err_set(e, "out of memory");
    }
    r->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->wakefd < 0) {
        rdns_close(r);
        return err_set(e, "rdns: eventfd: %s", strerror(errno));
    }
    /* each try at most a third of the bound (at least 200 ms), two tries; DNS only (no hosts
     * file), no search list, no HOSTALIASES */
    struct ares_options ao;
    memset(&ao, 0, sizeof ao);
    int per = r->timeout_ms / 3;
    ao.timeout = per < 200 ? 200 : per > 2000 ? 2000 : per;
    ao.tries = 2;
    ao.lookups = (char *)"b";
    ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_FLAGS;
    if (ares_init_options(&r->ch, &ao, mask) != ARES_SUCCESS) {
        r->ch = NULL;
        rdns_close(r);
        return err_set(e, "rdns: cannot set up the resolver (c-ares)");
    }
    if (o->resolver) {
        struct ares_addr_port_node node;
        memset(&node, 0, sizeof node);
        node.family = srv.family;
        if (srv.family == AF_INET)
            memcpy(&node.addr.addr4, srv.addr, 4);
        else
            memcpy(&node.addr.addr6, srv.addr, 16);
        node.udp_port = node.tcp_port = srv.port;
        if (ares_set_servers_ports(r->ch, &node) != ARES_SUCCESS) {
            rdns_close(r);
            return err_set(e, "--resolver: c-ares refuses %s", o->resolver);
        }
    }
    if (pthread_create(&r->th, NULL, run, r) != 0) {
        rdns_close(r);
        return err_set(e, "rdns: cannot start its thread");
    }
    r->thread_started = true;
    *out = r;
    return 0;
}

void rdns_close(struct rdns *r)
{
    if (!r) return;
    if (r->thread_started) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_mutex_unlock(&r->mu);
        wake(r);
        pthread_join(r->th, NULL);
    }
    if (r->ch) ares_destroy(r->ch); /* callbacks run (cancelled) with every entry alive */
    for (size_t i = 0; r->tab && i < r->tabsz; i++) {
        for (struct ent *x = r->tab[i], *nx; x; x = nx) {
            nx = x->hnext;
            free(x->names);
            free(x);
        }
    }
    free(r->tab);
    if (r->wakefd >= 0) close(r->wakefd);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

void rdns_want(struct rdns *r, const char *ip)
{
    struct ent probe;
    memset(&probe, 0, sizeof probe);
    if (inet_pton(AF_INET, ip, probe.addr) == 1)
        probe.family = AF_INET;
    else if (inet_pton(AF_INET6, ip, probe.addr) == 1)
        probe.family = AF_INET6;
    else
        return;
    pthread_mutex_lock(&r->mu);
    if (find(r, ip) || r->nents >= RDNS_MAX_ADDRS) {
        pthread_mutex_unlock(&r->mu);
        return;
    }
    struct ent *x = xcalloc(1, sizeof *x);
    if (!x) {
        pthread_mutex_unlock(&r->mu);
        return;
    }
    str_copy(x->ip, ip, sizeof x->ip);
    x->family = probe.family;
    memcpy(x->addr, probe.addr, sizeof x->addr);
    x->r = r;
    x->st = E_QUEUED;
    x->deadline_ms = now_ms() + r->timeout_ms;
    r->last_deadline = x->deadline_ms;
    if (r->nents * 2 >= r->tabsz) grow(r);
    size_t b = hash_ip(ip) & (r->tabsz - 1);
    x->hnext = r->tab[b];
    r->tab[b] = x;
    r->nents++;
    if (r->qtail)
        r->qtail->qnext = x;
    else
        r->qhead = x;
    r->qtail = x;
    pthread_mutex_unlock(&r->mu);
    wake(r);
}

int rdns_names(struct rdns *r, const char *ip, char names[][FINDING_HOSTNAME_MAX + 1], int *n)
{
    *n = 0;
    pthread_mutex_lock(&r->mu);
    struct ent *x = find(r, ip);
    int done = 1;
    if (x && x->st != E_DONE) {
        if (now_ms() >= x->deadline_ms)
            x->st = E_DONE; /* its time is up; a late answer is dropped */
        else
            done = 0;
    }
    if (x && done) {
        for (int i = 0; i < x->nnames && x->names; i++)
            str_copy(names[i], x->names[i], FINDING_HOSTNAME_MAX + 1);
        *n = x->names ? x->nnames : 0;
    }
    pthread_mutex_unlock(&r->mu);
    return done;
}

int64_t rdns_pending_ms(struct rdns *r)
{
    pthread_mutex_lock(&r->mu);
    int64_t left = r->last_deadline - now_ms();
    pthread_mutex_unlock(&r->mu);
    return left > 0 ? left : 0;
}
