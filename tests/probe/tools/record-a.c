/*
 * tests/probe/tools/record-a.c -- drive one probe against a live server on
 * loopback and record what the server sent, as a replay case folder
 * (tests/probe/replay.h): N.resp holds the bytes of turn N (everything that
 * arrived between the probe's request N and its next decision), N.eof marks
 * a close by the server. The probe's own requests are what is sent, so the
 * fixture matches the probe byte for byte. It also prints the finding.
 *
 *   record-a PROBE IP PORT [OUTDIR]
 *
 * Loopback only: IP must be in 127.0.0.0/8 (refused otherwise). Plain TCP
 * only (TLS is the engine's). Each turn waits at most 3 s for bytes.
 * Built by tests/probe/tools/record-a.sh against build-asan/libajar.a; not
 * part of `make` (it is a tool for recording, not a test).
 */
#include "core/finding.h"
#include "probe/probe.h"

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
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) return -1;
    if ((ntohl(a.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "record-a: %s is not loopback; refused\n", ip);
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

static void save(const char *dir, int turn, const char *ext, const void *p, size_t n)
{
    if (!dir) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/%d.%s", dir, turn, ext);
    FILE *fp = fopen(path, "wb");
    if (!fp) return;
    if (n) fwrite(p, 1, n, fp);
    fclose(fp);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: record-a PROBE IP PORT [OUTDIR]\n");
        return 2;
    }
    const struct probe *pr = probe_find(argv[1]);
    if (!pr) {
        fprintf(stderr, "record-a: no probe %s\n", argv[1]);
        return 2;
    }
    const char *dir = argc > 4 ? argv[4] : NULL;
    if (dir) mkdir(dir, 0755);
    uint64_t port;
    if (parse_u64(argv[3], 65535, &port) < 0) return 2;
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, argv[2], sizeof f.ip);
    f.port = (uint16_t)port;
    f.time = 1763700000;
    struct probe_options opts = {.max_requests = 32};
    struct probe_run run;
    if (probe_run_init(&run, pr, &f, &opts) < 0) return 1;
    int fd = dial(argv[2], (uint16_t)port);
    if (fd < 0) {
        fprintf(stderr, "record-a: connect: %s\n", strerror(errno));
        return 1;
    }
    int rc = pr->start(&run.ctx);
    int turn = 0;
    struct buf got;
    buf_init(&got, 64u << 20);
    while (rc == PROBE_SEND || rc == PROBE_MORE || rc == PROBE_RECONNECT) {
        if (rc == PROBE_RECONNECT) {
            /* as the engine does: a goodbye queued before the reconnect goes to the old connection
             */
            if (run.out.len && write(fd, run.out.data, run.out.len) < 0) {
            }
            buf_reset(&run.out);
            close(fd);
            fd = dial(argv[2], (uint16_t)port);
            if (fd < 0) break;
            run.ctx.connection++;
            rc = pr->start(&run.ctx);
            continue;
        }
        if (run.out.len) {
            if (write(fd, run.out.data, run.out.len) != (ssize_t)run.out.len) break;
            buf_reset(&run.out);
        }
        turn++;
        buf_reset(&got);
        rc = PROBE_MORE;
        bool eof = false;
        while (rc == PROBE_MORE) {
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            if (poll(&pf, 1, 3000) <= 0) {
                fprintf(stderr, "record-a: turn %d: timeout\n", turn);
                rc = pr->on_end(&run.ctx, PROBE_END_TIMEOUT);
                break;
            }
            uint8_t tmp[65536];
            ssize_t k = read(fd, tmp, sizeof tmp);
            if (k <= 0) {
                eof = true;
                rc = pr->on_end(&run.ctx, k == 0 ? PROBE_END_EOF : PROBE_END_RESET);
                break;
            }
            buf_append(&got, tmp, (size_t)k);
            rc = pr->on_data(&run.ctx, tmp, (size_t)k);
        }
        save(dir, turn, "resp", got.data, got.len);
        if (eof) save(dir, turn, "eof", "", 0);
    }
    if (run.out.len && fd >= 0) { /* a farewell queued with DONE (e.g. MQTT DISCONNECT) */
        if (write(fd, run.out.data, run.out.len) < 0) perror("write");
    }
    if (fd >= 0) close(fd);
    json_t *j = finding_to_json(&f, false);
    char *s = json_dumps(j, JSON_INDENT(1));
    printf("rc=%d turns=%d\n%s\n", rc, turn, s ? s : "?");
    free(s);
    json_decref(j);
    buf_free(&got);
    probe_run_free(&run);
    finding_free(&f);
    return 0;
}
