/*
 * tests/probe/tools/record-sig.c -- record a replay case of an HTTP service described by a
 * signature file, from a live server on loopback: the HTTP dispatcher runs with the shipped
 * signatures loaded (so GET /, the fingerprint paths and the signature's requests go out byte
 * for byte as in a scan), and every answer is saved as N.resp in CASE_DIR (N.eof when the
 * server closed there), tests/probe/replay.h's format. The finding is printed as JSON (the
 * case's expect.json is written by hand from it) with the request lines sent.
 *
 *   cc -std=c11 -D_GNU_SOURCE -Isrc -Itests tests/probe/tools/record-sig.c build/libajar.a \
 *      $(pkg-config --cflags --libs jansson openssl sqlite3 libpq libmicrohttpd libargon2 \
 *      yaml-0.1 libpcre2-8) -lm -lpthread -o /tmp/record-sig
 *   AJAR_SIGNATURES_DIR=signatures /tmp/record-sig 127.0.44.1 8888 tests/probe/cases/jupyter/CASE
 *
 * Loopback only (127.0.0.0/8); plain TCP only. Not part of `make`: a tool for recording.
 */
#include "probe/probe.h"
#include "probe/http.h"
#include "probe/signature.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int dial(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1 || (ntohl(a.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "record-sig: %s is not a loopback IPv4 address; refused\n", ip);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void save(const char *dir, int n, const char *ext, const void *p, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%d.%s", dir, n, ext);
    FILE *fp = fopen(path, "wb");
    if (!fp || (len && fwrite(p, 1, len, fp) != len)) {
        fprintf(stderr, "record-sig: cannot write %s\n", path);
        exit(1);
    }
    fclose(fp);
}

/* the request line of a queued request, for the listing */
static void print_line(const struct buf *out)
{
    const char *p = (const char *)out->data;
    const char *e = p ? memchr(p, '\r', out->len) : NULL;
    if (e) fprintf(stderr, "  > %.*s\n", (int)(e - p), p);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: record-sig IP PORT CASE_DIR\n");
        return 2;
    }
    struct err e = {0};
    if (signature_load_shipped(&e) < 0) {
        fprintf(stderr, "record-sig: %s\n", e.msg);
        return 1;
    }
    uint64_t port;
    if (parse_u64(argv[2], 65535, &port) < 0) return 2;
    const char *dir = argv[3];
    mkdir(dir, 0755);
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, argv[1], sizeof f.ip);
    f.port = (uint16_t)port;
    f.time = now_wall();
    struct probe_options opts = {.max_requests = 32};
    struct probe_run run;
    if (probe_run_init(&run, &probe_http, &f, &opts) < 0) return 1;
    int fd = dial(argv[1], (uint16_t)port);
    if (fd < 0) {
        fprintf(stderr, "record-sig: connect: %s\n", strerror(errno));
        return 1;
    }
    int rc = probe_http.start(&run.ctx);
    int n = 0;
    struct buf got;
    buf_init(&got, 64u << 20);
    while (rc == PROBE_SEND || rc == PROBE_MORE || rc == PROBE_RECONNECT) {
        if (rc == PROBE_RECONNECT) {
            buf_reset(&run.out);
            close(fd);
            fd = dial(argv[1], (uint16_t)port);
            if (fd < 0) break;
            run.ctx.connection++;
            rc = probe_http.start(&run.ctx);
            continue;
        }
        if (run.out.len) {
            print_line(&run.out);
            if (write(fd, run.out.data, run.out.len) != (ssize_t)run.out.len) break;
            buf_reset(&run.out);
        }
        n++;
        buf_reset(&got);
        rc = PROBE_MORE;
        bool eof = false;
        while (rc == PROBE_MORE) {
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            if (poll(&pf, 1, 5000) <= 0) {
                fprintf(stderr, "record-sig: answer %d: timeout\n", n);
                rc = probe_http.on_end(&run.ctx, PROBE_END_TIMEOUT);
                break;
            }
            uint8_t tmp[65536];
            ssize_t k = read(fd, tmp, sizeof tmp);
            if (k <= 0) {
                eof = true;
                rc = probe_http.on_end(&run.ctx, k == 0 ? PROBE_END_EOF : PROBE_END_RESET);
                break;
            }
            buf_append(&got, tmp, (size_t)k);
            rc = probe_http.on_data(&run.ctx, tmp, (size_t)k);
        }
        save(dir, n, "resp", got.data ? got.data : (uint8_t *)"", got.len);
        if (eof) save(dir, n, "eof", "", 0);
    }
    if (fd >= 0) close(fd);
    json_t *j = finding_to_json(&f, false);
    char *s = json_dumps(j, JSON_COMPACT);
    printf("rc=%d answers=%d\n%s\n", rc, n, s ? s : "?");
    free(s);
    json_decref(j);
    buf_free(&got);
    probe_run_free(&run);
    finding_free(&f);
    signature_unload_all();
    return 0;
}
