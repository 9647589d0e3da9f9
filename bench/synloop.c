/*
 * bench/synloop.c -- the machine's limit for raw SYN scanning, as a floor
 * for bench/syn.sh: the smallest loop that sends SYNs from a raw IP socket
 * (sendmmsg, 64 a call, no pacing, sequential order) and counts the
 * answers on a raw TCP socket (recvmmsg, 64 a call, bound to the source
 * address as ajar's is, so the kernel does not hand it our own SYNs on
 * loopback). No hashing, no permutation, no privilege drop, no output
 * formatting: whatever ajar spends beyond this is its own. After the last
 * SYN it waits for late replies as long as ajar is told to (WAIT_MS, 500 ms
 * as bench/syn.sh runs ajar with --timeout 500), sleeping in poll between
 * them as ajar does, not spinning.
 *
 *   synloop CIDR PORTS OUT    (PORTS: "6379,9200" or "1-1000"; loopback CIDRs only;
 *                              writes the open "ip:port" pairs to OUT)
 *
 * The sequence number is the target's address xor its port, and replies
 * count when they acknowledge it (SYN-ACK = open, RST = closed).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SPORT   62000
#define BATCH   64
#define WAIT_MS 500

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint32_t sum(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    return s;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t replies, open_ports;
static FILE *out;

static void drain(int fd, uint32_t src)
{
    static uint8_t b[BATCH][128];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = b[i];
            iov[i].iov_len = sizeof b[i];
            memset(&mm[i].msg_hdr, 0, sizeof mm[i].msg_hdr);
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0) return;
        for (int i = 0; i < got; i++) {
            const uint8_t *p = b[i];
            if (mm[i].msg_len < 40 || memcmp(p + 16, &src, 4) != 0) continue;
            const uint8_t *t = p + (p[0] & 15) * 4;
            if ((t[2] << 8 | t[3]) != SPORT || !(t[13] & 0x10)) continue;
            uint32_t daddr;
            memcpy(&daddr, p + 12, 4);
            uint16_t dport = (uint16_t)(t[0] << 8 | t[1]);
            uint32_t ack =
                (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
            if (ack != (ntohl(daddr) ^ dport) + 1) continue;
            replies++;
            if ((t[13] & 0x12) == 0x12) {
                open_ports++;
                char ip[16];
                inet_ntop(AF_INET, &daddr, ip, sizeof ip);
                fprintf(out, "%s:%u\n", ip, dport);
            }
        }
        if (got < BATCH) return;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: synloop CIDR PORTS OUT\n");
        return 2;
    }
    char net[32];
    size_t nl = strlen(argv[1]);
    if (nl >= sizeof net) nl = sizeof net - 1;
    memcpy(net, argv[1], nl);
    net[nl] = 0;
    char *slash = strchr(net, '/');
    int len = slash ? (int)strtol(slash + 1, NULL, 10) : 32;
    if (slash) *slash = 0;
    struct in_addr base;
    if (inet_pton(AF_INET, net, &base) != 1 || (ntohl(base.s_addr) >> 24) != 127) {
        fprintf(stderr, "synloop: loopback CIDRs only\n");
        return 2;
    }
    uint32_t first = ntohl(base.s_addr) & (len ? ~0u << (32 - len) : 0);
    uint64_t naddr = 1ull << (32 - len);
    static uint16_t ports[65536];
    size_t np = 0;
    for (char *p = argv[2]; *p && np < 65536;) {
        unsigned long lo = strtoul(p, &p, 10), hi = lo;
        if (*p == '-') hi = strtoul(p + 1, &p, 10);
        for (unsigned long q = lo; q <= hi && q < 65536 && np < 65536; q++)
            ports[np++] = (uint16_t)q;
        if (*p == ',')
            p++;
        else if (*p)
            break;
    }
    out = fopen(argv[3], "w");
    int snd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW), rcv = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
    if (!out || snd < 0 || rcv < 0) {
        perror("synloop");
        return 1;
    }
    int big = 32 << 20;
    setsockopt(rcv, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    uint32_t src = htonl(0x7f000001);
    struct sockaddr_in self = {.sin_family = AF_INET, .sin_addr.s_addr = src};
    bind(rcv, (struct sockaddr *)&self, sizeof self);
    static uint8_t pk[BATCH][40];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in dst[BATCH];
    uint64_t sent = 0;
    double t0 = now();
    int n = 0;
    for (size_t pi = 0; pi < np; pi++) {
        unsigned port = ports[pi];
        for (uint64_t a = 0; a < naddr; a++) {
            uint32_t d = htonl(first + (uint32_t)a);
            uint8_t *p = pk[n], *t = p + 20;
            memset(p, 0, 40);
            p[0] = 0x45;
            p[2] = 0;
            p[3] = 40;
            p[8] = 64;
            p[9] = IPPROTO_TCP;
            memcpy(p + 12, &src, 4);
            memcpy(p + 16, &d, 4);
            uint32_t seq = (first + (uint32_t)a) ^ port;
            t[0] = SPORT >> 8;
            t[1] = SPORT & 0xff;
            t[2] = (uint8_t)(port >> 8);
            t[3] = (uint8_t)port;
            t[4] = (uint8_t)(seq >> 24);
            t[5] = (uint8_t)(seq >> 16);
            t[6] = (uint8_t)(seq >> 8);
            t[7] = (uint8_t)seq;
            t[12] = 5 << 4;
            t[13] = 0x02;
            t[14] = 0xff;
            t[15] = 0xff;
            uint8_t ph[12] = {0};
            memcpy(ph, &src, 4);
            memcpy(ph + 4, &d, 4);
            ph[9] = IPPROTO_TCP;
            ph[11] = 20;
            uint16_t c = fold(sum(t, 20, sum(ph, 12, 0)));
            t[16] = (uint8_t)(c >> 8);
            t[17] = (uint8_t)c;
            memset(&dst[n], 0, sizeof dst[n]);
            dst[n].sin_family = AF_INET;
            dst[n].sin_addr.s_addr = d;
            iov[n].iov_base = p;
            iov[n].iov_len = 40;
            memset(&mm[n].msg_hdr, 0, sizeof mm[n].msg_hdr);
            mm[n].msg_hdr.msg_name = &dst[n];
            mm[n].msg_hdr.msg_namelen = sizeof dst[n];
            mm[n].msg_hdr.msg_iov = &iov[n];
            mm[n].msg_hdr.msg_iovlen = 1;
            if (++n == BATCH || (pi == np - 1 && a == naddr - 1)) {
                int off = 0;
                while (off < n) {
                    int s = sendmmsg(snd, mm + off, (unsigned)(n - off), 0);
                    if (s > 0)
                        off += s;
                    else if (errno == ENOBUFS || errno == EAGAIN)
                        drain(rcv, src);
                    else
                        off++;
                }
                sent += (uint64_t)n;
                n = 0;
                drain(rcv, src);
            }
        }
    }
    double t1 = now();
    for (double t; (t = now()) < t1 + WAIT_MS / 1000.0;) {
        struct pollfd pf = {.fd = rcv, .events = POLLIN};
        poll(&pf, 1, (int)((t1 + WAIT_MS / 1000.0 - t) * 1000) + 1);
        drain(rcv, src);
    }
    fclose(out);
    printf("sent %llu in %.3f s (%.0f/s), replies %llu, open %llu\n", (unsigned long long)sent,
           t1 - t0, (double)sent / (t1 - t0), (unsigned long long)replies,
           (unsigned long long)open_ports);
    return 0;
}
