/*
 * tests/probe/tools/record-dir.c -- record a replay case from a live server
 * by running the probe itself against it (ldap, rsync; any plain-TCP probe).
 *
 * The probe's own requests go out, byte for byte, on plain blocking sockets;
 * what the server sends between two of them is one response file: N.resp,
 * plus N.eof when the server closed there (tests/probe/replay.h's format).
 * A reconnect the probe asks for starts a new response. The finding is
 * printed as JSON, so the case's expect.json can be written (by hand) from
 * it. Not part of `make`; build by hand:
 *
 *   cc -std=c11 -D_GNU_SOURCE -Isrc -Itests tests/probe/tools/record-dir.c build/libajar.a \
 *      $(pkg-config --cflags --libs jansson openssl sqlite3 libpq libmicrohttpd libargon2 \
 *      yaml-0.1 libpcre2-8) -lm -lpthread -o /tmp/record-dir
 *   /tmp/record-dir PROBE 127.0.41.1 389 CASE_DIR
 *
 * Loopback only: any other address is refused. Existing N.resp/N.eof files
 * in CASE_DIR are removed first.
 */
#include "probe/probe.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static int dial(const char *ip, uint16_t port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "record-dir: loopback IPv4 only\n");
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

static const char *dir;
static int nresp;      /* responses written */
static struct buf cur; /* the response being received */
static bool cur_open;  /* bytes of a response are being gathered (even zero of them) */

static void write_file(const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || (n && fwrite(p, 1, n, fp) != n)) {
        fprintf(stderr, "record-dir: cannot write %s\n", path);
        exit(1);
    }
    fclose(fp);
}

/* Close the current response (if bytes came or eof): N.resp and maybe N.eof. */
static void end_resp(bool eof)
{
    if (!cur_open) return;
    if (!cur.len && !eof) return;
    char name[32];
    nresp++;
    snprintf(name, sizeof name, "%d.resp", nresp);
    write_file(name, cur.data ? cur.data : (uint8_t *)"", cur.len);
    if (eof) {
        snprintf(name, sizeof name, "%d.eof", nresp);
        write_file(name, "", 0);
    }
    buf_reset(&cur);
    cur_open = false;
}

static int flush_out(int fd, struct probe_run *pr)
{
    if (!pr->out.len) return 0;
    ssize_t w = write(fd, pr->out.data, pr->out.len);
    int rc = w == (ssize_t)pr->out.len ? 0 : -1;
    buf_reset(&pr->out);
    return rc;
}

static void clean_dir(void)
{
    mkdir(dir, 0755);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if ((l > 5 && !strcmp(e->d_name + l - 5, ".resp")) ||
            (l > 4 && !strcmp(e->d_name + l - 4, ".eof"))) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: record-dir PROBE IP PORT CASE_DIR\n");
        return 2;
    }
    const struct probe *p = probe_find(argv[1]);
    if (!p) {
        fprintf(stderr, "record-dir: no probe %s\n", argv[1]);
        return 2;
    }
    uint64_t port;
    if (parse_u64(argv[3], 65535, &port) < 0) return 2;
    dir = argv[4];
    clean_dir();
    buf_init(&cur, 16u << 20);
    struct probe_options opts = {.max_requests = 32};
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
    cur_open = true;
    for (;;) {
        if (pr.out.len) {
            end_resp(false);
            cur_open = true;
        }
        if (flush_out(fd, &pr) < 0) break;
        if (rc == PROBE_DONE || rc == PROBE_NOMATCH) break;
        if (rc == PROBE_RECONNECT) {
            end_resp(false);
            close(fd);
            fd = dial(argv[2], (uint16_t)port);
            if (fd < 0) break;
            pr.ctx.connection++;
            cur_open = true;
            rc = p->start(&pr.ctx);
            continue;
        }
        uint8_t b[4096];
        ssize_t n = read(fd, b, sizeof b);
        if (n <= 0) {
            if (n < 0) fprintf(stderr, "record-dir: read: %s\n", strerror(errno));
            end_resp(n == 0);
            rc = p->on_end(&pr.ctx, n == 0 ? PROBE_END_EOF : PROBE_END_TIMEOUT);
            if (rc == PROBE_RECONNECT) continue;
            break;
        }
        buf_append(&cur, b, (size_t)n);
        rc = p->on_data(&pr.ctx, b, (size_t)n);
        if (rc != PROBE_MORE) end_resp(false);
    }
    end_resp(false);
    if (fd >= 0) close(fd);
    json_t *j = finding_to_json(&f, false);
    char *s = json_dumps(j, JSON_COMPACT);
    printf("rc=%d requests=%d responses=%d %s\n", rc, pr.ctx.requests, nresp, s ? s : "?");
    free(s);
    json_decref(j);
    probe_run_free(&pr);
    finding_free(&f);
    buf_free(&cur);
    return 0;
}
