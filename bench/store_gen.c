/*
 * bench/store_gen.c -- ingest synthetic findings through the store's real
 * path (store_scan_begin, store_put, store_checkpoint, store_scan_end) and
 * print findings per second. bench/store.sh builds it against the release
 * library and runs it on SQLite and PostgreSQL.
 *
 *   store_gen --db WHERE [-n COUNT] [--batch N] [--scope KEY]
 *
 * The findings look like a real scan's: distinct (address, port) pairs
 * spread over 10.0.0.0/8, a handful of services and products, a few index
 * names and fields, one or two signals, and a TLS certificate on one in
 * ten (shared by groups of 50 hosts, as clustered deployments share them).
 * A pool of 1024 findings is built once and re-addressed for each put (a
 * new address, version and record count), so the figure is the store's
 * cost, not the generator's. Wall-clock time on a shared machine is noise;
 * the CPU time of each thread (the caller, which makes the record's JSON;
 * the store's writer, "ajar-store", which runs SQL; on SQLite the WAL's
 * checkpoint thread, "ajar-checkpoint"; read from /proc/self/task) is
 * printed too: the rate the pipeline would reach with a core each is
 * n / the busiest thread's CPU time.
 */
#include "gen_common.h"
#include "core/finding.h"
#include "core/util.h"
#include "store/store.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *const services[] = {"redis", "elasticsearch", "mongodb", "memcached", "kibana"};
static const char *const products[] = {"Redis", "Elasticsearch", "MongoDB", "Memcached", "Kibana"};
static const uint16_t ports[] = {6379, 9200, 27017, 11211, 5601};

/* A new address (distinct for every i < 2^24 * 5), version and volume. */
static void readdress(struct finding *f, uint64_t i)
{
    uint32_t k = (uint32_t)((i / 5) * 2654435761u) & 0xffffff;
    str_fmt(f->ip, sizeof f->ip, "10.%u.%u.%u", (k >> 16) & 255, (k >> 8) & 255, k & 255);
    str_fmt(f->version, sizeof f->version, "%u.%u.%u", 5 + (unsigned)(i % 3), (unsigned)(i % 17),
            (unsigned)(i % 7));
    f->records = (int64_t)(i % 100000);
    f->bytes = f->records * 512;
}

static void gen(struct finding *f, uint64_t i, time_t t)
{
    finding_init(f);
    unsigned s = (unsigned)(i % 5);
    f->port = ports[s];
    f->time = t;
    str_copy(f->service, services[s], sizeof f->service);
    str_copy(f->product, products[s], sizeof f->product);
    readdress(f, i);
    f->auth = i % 3 ? AUTH_NONE : AUTH_REQUIRED;
    f->databases = 1;
    finding_add_name(f, "person_info", 11, f->records, f->bytes);
    finding_add_name(f, "orders", 6, 10, 4096);
    finding_add_field(f, "sfzh", 4);
    finding_add_field(f, "sjhm", 4);
    if (i % 10 == 0) {
        f->tls.present = true;
        str_copy(f->tls.version, "TLSv1.3", sizeof f->tls.version);
        str_fmt(f->tls.sha256, sizeof f->tls.sha256, "%064llx", (unsigned long long)(i / 50));
        str_copy(f->tls.subject_cn, "db.example", sizeof f->tls.subject_cn);
        str_copy(f->tls.issuer_cn, "db.example", sizeof f->tls.issuer_cn);
        f->tls.self_signed = true;
        str_copy(f->tls.key_type, "rsa", sizeof f->tls.key_type);
        f->tls.key_bits = 2048;
        f->tls.not_before = t - 86400;
        f->tls.not_after = t + 86400 * 365;
    }
    if (f->auth == AUTH_NONE) finding_add_signal(f, "no-auth", SEV_CRITICAL, "no authentication");
    finding_add_signal(f, "data-volume", SEV_MEDIUM, "%lld records", (long long)f->records);
}

/* CPU seconds of every thread of this process, by name ("ajar-store", "ajar-checkpoint") */
struct threads {
    int n;
    char name[16][16];
    double cpu[16];
};

static void threads_cpu(struct threads *t)
{
    memset(t, 0, sizeof *t);
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    double tick = (double)sysconf(_SC_CLK_TCK);
    while (d && (de = readdir(d)) && t->n < 16) {
        if (de->d_name[0] == '.') continue;
        char p[64], line[1024];
        str_fmt(p, sizeof p, "/proc/self/task/%s/stat", de->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue;
        size_t len = fread(line, 1, sizeof line - 1, f);
        fclose(f);
        line[len] = 0;
        char *open = strchr(line, '('), *close = strrchr(line, ')');
        if (!open || !close) continue;
        str_fmt(t->name[t->n], sizeof t->name[0], "%.*s", (int)(close - open - 1), open + 1);
        /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
         * stime */
        unsigned long ut = 0, st = 0;
        if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
            t->cpu[t->n++] = (double)(ut + st) / tick;
    }
    if (d) closedir(d);
}

static double thread_cpu(const struct threads *t, const char *name)
{
    double v = 0;
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->name[i], name)) v += t->cpu[i];
    return v;
}

static double cpu(const struct rusage *r)
{
    return (double)r->ru_utime.tv_sec + (double)r->ru_utime.tv_usec / 1e6 +
           (double)r->ru_stime.tv_sec + (double)r->ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    const char *where = STORE_DEFAULT_PATH, *scope = "bench";
    uint64_t n = 1000000, batch = 0;
    const struct gen_opt opts[] = {{"--db", .str = &where},
                                   {"--scope", .str = &scope},
                                   {"-n", .num = &n, .max = 1ull << 32},
                                   {"--batch", .num = &batch, .max = 1u << 24},
                                   {0}};
    if (gen_args(argc, argv, opts) < 0) goto usage;
    struct err e = {{0}};
    struct store *s = NULL;
    if (store_open(&s, where, &e) < 0) {
        fprintf(stderr, "store_gen: %s\n", e.msg);
        return 1;
    }
    if (batch) store_set_batch(s, (unsigned)batch);
    time_t t = now_wall();
    struct scan_meta m = {.args = "store_gen", .scope_key = scope, .seed = 1, .nshards = 1};
    int64_t id;
    uint64_t pos;
    enum { POOL = 1024 };
    static struct finding pool[POOL];
    for (int i = 0; i < POOL; i++)
        gen(&pool[i], (uint64_t)i, t);
    struct rusage rt;
    struct threads th0, th1;
    threads_cpu(&th0);
    getrusage(RUSAGE_THREAD, &rt);
    double caller0 = cpu(&rt);
    int64_t t0 = now_ms();
    if (store_scan_begin(s, &m, &id, &pos, &e) < 0) goto fail;
    for (uint64_t i = 0; i < n; i++) {
        struct finding *f = &pool[i % POOL];
        readdress(f, i);
        if (store_put(s, id, f, &e) < 0) goto fail;
        if (i % 1000 == 999 && store_checkpoint(s, id, i + 1, &e) < 0) goto fail;
    }
    if (store_flush(s, &e) < 0) goto fail;
    int64_t t1 = now_ms();
    getrusage(RUSAGE_THREAD, &rt);
    threads_cpu(&th1);
    double caller = cpu(&rt) - caller0;
    double writer = thread_cpu(&th1, "ajar-store") - thread_cpu(&th0, "ajar-store");
    double ckpt = thread_cpu(&th1, "ajar-checkpoint") - thread_cpu(&th0, "ajar-checkpoint");
    if (store_scan_end(s, id, &e) < 0) goto fail;
    int64_t t2 = now_ms();
    double ingest = (double)(t1 - t0) / 1000.0, total = (double)(t2 - t0) / 1000.0;
    double slowest = caller > writer ? caller : writer;
    if (ckpt > slowest) slowest = ckpt;
    printf("%s: %llu findings committed in %.2f s wall = %.0f findings/s (scan end: +%.2f s)\n",
           store_backend(s), (unsigned long long)n, ingest, (double)n / ingest, total - ingest);
    printf("%s: cpu caller %.2f s, writer %.2f s, checkpoints %.2f s: %.0f findings/s at one core"
           " per thread%s\n",
           store_backend(s), caller, writer, ckpt, slowest > 0 ? (double)n / slowest : 0.0,
           strcmp(store_backend(s), "sqlite") ? " (client side only: the server's work is not"
                                                " counted)"
                                              : "");
    for (int i = 0; i < POOL; i++)
        finding_free(&pool[i]);
    store_close(s);
    return 0;
fail:
    fprintf(stderr, "store_gen: %s\n", e.msg);
    store_close(s);
    return 1;
usage:
    fprintf(stderr, "usage: store_gen --db WHERE [-n COUNT] [--batch N] [--scope KEY]\n");
    return 2;
}
