/*
 * bench/probe_floor.c -- the floor under ajar's probe stage (bench/probe_stage.sh): the least a
 * client can do to read what ajar's Elasticsearch probe reads. One TCP connection per address
 * (non-blocking connect, one edge-triggered epoll loop), the same three keep-alive requests one
 * after the other on it --
 *   GET /    GET /_cat/indices?format=json&bytes=b    GET /_mapping
 * -- each response read to its end (Content-Length, chunked, or a body that ends with the
 * connection on the last request), then close. No parsing beyond the framing, no copy of a
 * body, no allocation per connection: a fixed array of slots of ~100 bytes (the head of the
 * header line being read, the framing state) and one read buffer shared by all.
 *
 *   probe_floor [-c CONCURRENCY] [-t SECONDS] ADDRFILE PORT
 *
 * ADDRFILE: IPv4 addresses, one per line ('#' comments and blank lines skipped). CONCURRENCY:
 * connections at once (default min(4096, addresses)). SECONDS: the whole run's deadline
 * (default 60); connections still open then are counted as failed. An address is done when
 * its three responses came whole with a 2xx status; anything else (refused, reset, a bad
 * status line, a cut response) fails it. Prints one line:
 *   addresses N done D failed F requests R wall S
 * and on standard error, for each kind of failure (connect, reset, closed, http, deadline), how
 * many and the first error.
 * A benchmark tool: it sends only to the addresses it is given (the script gives it loopback
 * addresses in its own network namespace).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *const paths[] = {"/", "/_cat/indices?format=json&bytes=b", "/_mapping"};
enum { NREQ = 3, LINE_KEEP = 48 };

/* where the response parser stands */
enum rstate {
    R_STATUS,     /* the status line */
    R_HEADER,     /* header lines, up to the empty one */
    R_BODY,       /* Content-Length bytes left */
    R_TO_EOF,     /* no length: the body ends with the connection */
    R_CHUNK_SIZE, /* a chunk-size line (hex, then an extension up to LF) */
    R_CHUNK_DATA, /* chunk bytes left */
    R_CHUNK_END,  /* the CRLF after a chunk's data */
    R_TRAILER,    /* trailer lines after the last chunk, up to the empty one */
};

struct slot {
    int fd; /* -1: free */
    uint32_t addr;
    uint8_t connected; /* the connect completed */
    uint8_t req;       /* requests answered so far */
    uint16_t reqlen;   /* length of the current request (0: not formatted yet) */
    /* the rest is the current response's and starts at zero for each */
    uint8_t st;       /* enum rstate */
    uint8_t chunked;  /* Transfer-Encoding names chunked */
    uint8_t haslen;   /* a Content-Length came */
    uint8_t linelen;  /* bytes of the current line kept in line[] */
    uint8_t hexseen;  /* R_CHUNK_SIZE: a hex digit came; then: the size is over */
    uint16_t status;  /* the status code */
    uint32_t sent;    /* bytes of the current request written */
    uint32_t linetot; /* bytes of the current line in all */
    uint64_t left;    /* R_BODY, R_CHUNK_DATA: bytes left; R_CHUNK_SIZE: the size so far */
    char line[LINE_KEEP];
};

static struct slot *slots;
static int nslots, ep, port;
static uint32_t *addrs;
static size_t naddr, next_addr, done, failed, requests;
/* why addresses failed: counts, and the first errno of each kind */
enum { F_CONNECT, F_RESET, F_CLOSED, F_HTTP, F_DEADLINE, F_KINDS };
static const char *const fail_name[F_KINDS] = {"connect", "reset", "closed", "http", "deadline"};
static size_t fails[F_KINDS];
static int fail_errno[F_KINDS];

static void fail_count(int kind, int err)
{
    if (!fails[kind]++) fail_errno[kind] = err;
    failed++;
}
static size_t open_conns;
static uint8_t rbuf[1 << 16];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void finish(struct slot *s, int fail_kind, int err)
{
    close(s->fd); /* leaves the epoll set with it */
    s->fd = -1;
    open_conns--;
    if (fail_kind < 0)
        done++;
    else
        fail_count(fail_kind, err);
}

/* start the next address on a free slot; false: none left to start */
static bool start(struct slot *s)
{
    while (next_addr < naddr) {
        uint32_t a = addrs[next_addr++];
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            fail_count(F_CONNECT, errno);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = a;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
            fail_count(F_CONNECT, errno);
            close(fd);
            continue;
        }
        memset(s, 0, sizeof *s);
        s->fd = fd;
        s->addr = a;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.ptr = s};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            fail_count(F_CONNECT, errno);
            close(fd);
            s->fd = -1;
            continue;
        }
        open_conns++;
        return true;
    }
    return false;
}

/* write what is left of the current request; -1: the connection failed */
static int send_req(struct slot *s)
{
    if (s->reqlen && s->sent >= s->reqlen) return 0; /* all written: nothing to do */
    char req[256], host[INET_ADDRSTRLEN];
    struct in_addr ia = {.s_addr = s->addr};
    inet_ntop(AF_INET, &ia, host, sizeof host);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: probe_floor\r\n"
                     "Accept: */*\r\nConnection: keep-alive\r\n\r\n",
                     paths[s->req], host, port);
    s->reqlen = (uint16_t)n;
    while (s->sent < (uint32_t)n) {
        ssize_t w = send(s->fd, req + s->sent, (size_t)n - s->sent, MSG_NOSIGNAL);
        if (w < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        s->sent += (uint32_t)w;
    }
    return 0;
}

static bool prefix_ci(const char *line, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && strncasecmp(line, p, n) == 0;
}

/* a whole status or header line (its first LINE_KEEP bytes in s->line); -1: malformed */
static int on_line(struct slot *s)
{
    const char *l = s->line;
    size_t n = s->linelen;
    if (s->st == R_STATUS) {
        if (n < 12 || strncmp(l, "HTTP/1.", 7) != 0 || l[8] != ' ') return -1;
        s->status = (uint16_t)((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
        if (s->status < 100 || s->status > 599) return -1;
        s->st = R_HEADER;
        return 0;
    }
    if (s->st == R_TRAILER) return 0;
    if (prefix_ci(l, n, "content-length:")) {
        uint64_t v = 0;
        size_t i = 15;
        while (i < n && (l[i] == ' ' || l[i] == '\t'))
            i++;
        if (i == n || l[i] < '0' || l[i] > '9') return -1;
        for (; i < n && l[i] >= '0' && l[i] <= '9'; i++) {
            if (v > (UINT64_MAX - 9) / 10) return -1;
            v = v * 10 + (uint64_t)(l[i] - '0');
        }
        s->left = v;
        s->haslen = 1;
    } else if (prefix_ci(l, n, "transfer-encoding:")) {
        for (size_t i = 18; i + 7 <= n; i++)
            if (strncasecmp(l + i, "chunked", 7) == 0) s->chunked = 1;
    }
    return 0;
}

/* the empty line that ends the header or the trailer: where the body goes from here */
static void end_of_head(struct slot *s)
{
    if (s->st == R_TRAILER) {
        s->st = R_STATUS; /* the response is complete: the caller sees st reset */
        return;
    }
    if (s->status == 204 || s->status == 304 || s->status < 200)
        s->left = 0, s->st = R_BODY; /* no body (a 1xx then fails the address) */
    else if (s->chunked)
        s->st = R_CHUNK_SIZE, s->left = 0, s->hexseen = 0;
    else if (s->haslen)
        s->st = R_BODY;
    else
        s->st = R_TO_EOF;
}

/* a response is complete: the next request, or close. -1: the connection failed */
static int on_response(struct slot *s)
{
    bool ok = s->status >= 200 && s->status < 300;
    requests++;
    if (!ok) return -1;
    if (++s->req == NREQ) {
        finish(s, -1, 0);
        return 1;
    }
    memset(&s->st, 0, sizeof *s - offsetof(struct slot, st));
    s->reqlen = 0;
    return send_req(s);
}

/* feed bytes to the parser; 1: the slot was closed (done), -1: failed, 0: more to read */
static int feed(struct slot *s, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        switch (s->st) {
        case R_STATUS:
        case R_HEADER:
        case R_TRAILER: {
            const uint8_t *lf = memchr(p + i, '\n', n - i);
            size_t end = lf ? (size_t)(lf - p) : n;
            for (size_t j = i; j < end && s->linelen < LINE_KEEP; j++)
                if (p[j] != '\r') s->line[s->linelen++] = (char)p[j];
            s->linetot += (uint32_t)(end - i);
            if (s->linetot > 65536) return -1; /* a header line without end */
            i = end;
            if (!lf) break;
            i++;
            bool empty = s->linelen == 0;
            if (empty && s->st == R_STATUS) return -1;
            if (empty) {
                bool trailer = s->st == R_TRAILER;
                end_of_head(s);
                if ((trailer || (s->st == R_BODY && s->left == 0))) {
                    int r = on_response(s);
                    if (r) return r;
                }
            } else if (on_line(s) < 0) {
                return -1;
            }
            s->linelen = 0;
            s->linetot = 0;
            break;
        }
        case R_BODY: {
            size_t take = n - i < s->left ? n - i : (size_t)s->left;
            s->left -= take;
            i += take;
            if (s->left == 0) {
                int r = on_response(s);
                if (r) return r;
            }
            break;
        }
        case R_TO_EOF:
            i = n;
            break;
        case R_CHUNK_SIZE: {
            uint8_t c = p[i++];
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (c == '\n') {
                if (!(s->hexseen & 1)) return -1;
                s->hexseen = 0;
                if (s->left == 0)
                    s->st = R_TRAILER;
                else
                    s->st = R_CHUNK_DATA;
            } else if (v >= 0 && !(s->hexseen & 2)) {
                if (s->left > (UINT64_MAX >> 4)) return -1;
                s->left = s->left * 16 + (uint64_t)v;
                s->hexseen |= 1;
            } else {
                s->hexseen |= 2; /* ';' extension or CR: the size is over */
            }
            break;
        }
        case R_CHUNK_DATA: {
            size_t take = n - i < s->left ? n - i : (size_t)s->left;
            s->left -= take;
            i += take;
            if (s->left == 0) s->st = R_CHUNK_END, s->hexseen = 0;
            break;
        }
        case R_CHUNK_END: {
            uint8_t c = p[i++];
            if (c == '\n') {
                s->st = R_CHUNK_SIZE, s->left = 0, s->hexseen = 0;
            } else if (c != '\r') {
                return -1;
            }
            break;
        }
        }
    }
    return 0;
}

static void on_event(struct slot *s, uint32_t ev)
{
    int kind = F_RESET, err = 0;
    if (s->fd < 0) return; /* closed earlier in this batch */
    if (!s->connected) {
        socklen_t len = sizeof err;
        kind = F_CONNECT;
        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err) goto fail;
        if (!(ev & EPOLLOUT)) return; /* not connected yet */
        s->connected = 1;
        kind = F_RESET;
    }
    if ((ev & EPOLLOUT) && send_req(s) < 0) {
        err = errno;
        goto fail;
    }
    if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    for (;;) {
        ssize_t r = recv(s->fd, rbuf, sizeof rbuf, 0);
        if (r > 0) {
            int f = feed(s, rbuf, (size_t)r);
            if (f > 0) return;
            if (f < 0) {
                kind = F_HTTP;
                goto fail;
            }
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!(ev & (EPOLLHUP | EPOLLERR))) return;
            socklen_t len = sizeof err;
            getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            goto fail;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            err = errno;
            goto fail;
        }
        /* end of stream: a body that runs to it completes the last response */
        if (s->st == R_TO_EOF && s->req == NREQ - 1) {
            s->st = R_STATUS;
            if (on_response(s) > 0) return;
        }
        kind = F_CLOSED;
        goto fail;
    }
fail:
    finish(s, kind, err);
}

static int load_addrs(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        return -1;
    }
    char line[256];
    size_t cap = 0;
    while (fgets(line, sizeof line, fp)) {
        char *p = line + strspn(line, " \t");
        p[strcspn(p, " \t\r\n#")] = 0;
        if (!*p) continue;
        struct in_addr ia;
        if (inet_pton(AF_INET, p, &ia) != 1) {
            fprintf(stderr, "probe_floor: not an IPv4 address: %s\n", p);
            fclose(fp);
            return -1;
        }
        if (naddr == cap) {
            cap = cap ? cap * 2 : 1024;
            uint32_t *n = realloc(addrs, cap * sizeof *addrs);
            if (!n) {
                fclose(fp);
                return -1;
            }
            addrs = n;
        }
        addrs[naddr++] = ia.s_addr;
    }
    fclose(fp);
    return 0;
}

int main(int argc, char **argv)
{
    int conc = 0;
    double tmax = 60;
    int o;
    while ((o = getopt(argc, argv, "c:t:")) != -1) {
        if (o == 'c')
            conc = atoi(optarg);
        else if (o == 't')
            tmax = atof(optarg);
        else
            goto usage;
    }
    if (argc - optind != 2) goto usage;
    port = atoi(argv[optind + 1]);
    if (port < 1 || port > 65535 || conc < 0 || tmax <= 0) goto usage;
    if (load_addrs(argv[optind]) < 0) return 1;
    if (conc == 0) conc = naddr < 4096 ? (int)naddr : 4096;
    if ((size_t)conc > naddr) conc = (int)naddr;
    if (conc < 1) conc = 1;
    nslots = conc;
    slots = calloc((size_t)nslots, sizeof *slots);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!slots || ep < 0) {
        perror("probe_floor");
        return 1;
    }
    double t0 = now();
    for (int i = 0; i < nslots; i++) {
        slots[i].fd = -1;
        start(&slots[i]);
    }
    enum { MAXEV = 1024 };
    static struct epoll_event evs[MAXEV];
    while (open_conns > 0) {
        double left = t0 + tmax - now();
        if (left <= 0) break;
        int n = epoll_wait(ep, evs, MAXEV, (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++)
            on_event(evs[i].data.ptr, evs[i].events);
        for (int i = 0; i < n; i++) {
            struct slot *s = evs[i].data.ptr;
            if (s->fd < 0) start(s);
        }
    }
    for (int i = 0; i < nslots; i++)
        if (slots[i].fd >= 0) finish(&slots[i], F_DEADLINE, 0);
    for (; next_addr < naddr; next_addr++) /* never started: the deadline came first */
        fail_count(F_DEADLINE, 0);
    double wall = now() - t0;
    printf("addresses %zu done %zu failed %zu requests %zu wall %.3f\n", naddr, done, failed,
           requests, wall);
    for (int k = 0; k < F_KINDS; k++)
        if (fails[k])
            fprintf(stderr, "probe_floor: %zu failed (%s)%s%s\n", fails[k], fail_name[k],
                    fail_errno[k] ? ": first " : "", fail_errno[k] ? strerror(fail_errno[k]) : "");
    free(slots);
    free(addrs);
    return failed ? 3 : 0;
usage:
    fprintf(stderr, "usage: probe_floor [-c CONCURRENCY] [-t SECONDS] ADDRFILE PORT\n");
    return 2;
}
