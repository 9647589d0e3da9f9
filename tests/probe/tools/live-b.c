/*
 * tests/probe/tools/live-b.c -- drive one probe against a live server on
 * loopback with plain blocking sockets and print the finding as JSON: a
 * check that the bytes a probe really sends get the answers its fixtures
 * were recorded with (the replay tests cannot tell a wrong request from a
 * right one). Not part of `make`; build it by hand (see the usage line).
 *
 *   cc -std=c11 -D_GNU_SOURCE -Isrc -Itests tests/probe/tools/live-b.c \
 *      src/core/(all).c src/probe/(all).c $(pkg-config --cflags --libs jansson openssl) -o live-b
 *   ./live-b PROBE 127.0.152.1 5432 [no_default_accounts]
 *
 * Loopback only: any other address is refused.
 */
#include "probe/probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int dial(const char *ip, uint16_t port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "live-b: loopback IPv4 only\n");
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("connect");
        close(fd);
        return -1;
    }
    return fd;
}

static int flush_out(int fd, struct probe_run *pr)
{
    if (!pr->out.len) return 0;
    ssize_t w = write(fd, pr->out.data, pr->out.len);
    int rc = w == (ssize_t)pr->out.len ? 0 : -1;
    buf_reset(&pr->out);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: live-b PROBE IP PORT [no_default_accounts]\n");
        return 2;
    }
    const struct probe *p = probe_find(argv[1]);
    if (!p) {
        fprintf(stderr, "live-b: no probe %s\n", argv[1]);
        return 2;
    }
    uint64_t port;
    if (parse_u64(argv[3], 65535, &port) < 0) return 2;
    struct probe_options opts = {.no_default_accounts = argc > 4, .max_requests = 32};
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, argv[2], sizeof f.ip);
    f.port = (uint16_t)port;
    f.time = now_wall();
    struct probe_run pr;
    if (probe_run_init(&pr, p, &f, &opts) < 0) return 1;
    int fd = dial(argv[2], (uint16_t)port);
    if (fd < 0) return 1;
    int rc = p->start(&pr.ctx);
    for (;;) {
        if (flush_out(fd, &pr) < 0) break;
        if (rc == PROBE_DONE || rc == PROBE_NOMATCH) break;
        if (rc == PROBE_RECONNECT) {
            close(fd);
            fd = dial(argv[2], (uint16_t)port);
            if (fd < 0) break;
            pr.ctx.connection++;
            rc = p->start(&pr.ctx);
            continue;
        }
        uint8_t b[4096];
        ssize_t n = read(fd, b, sizeof b);
        if (n <= 0) {
            rc = p->on_end(&pr.ctx, n == 0 ? PROBE_END_EOF : PROBE_END_TIMEOUT);
            if (rc == PROBE_RECONNECT) continue;
            break;
        }
        rc = p->on_data(&pr.ctx, b, (size_t)n);
    }
    if (fd >= 0) close(fd);
    json_t *j = finding_to_json(&f, false);
    char *s = json_dumps(j, JSON_COMPACT);
    printf("rc=%d requests=%d %s\n", rc, pr.ctx.requests, s ? s : "?");
    free(s);
    json_decref(j);
    probe_run_free(&pr);
    finding_free(&f);
    return 0;
}
