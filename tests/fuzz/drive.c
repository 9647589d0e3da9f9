/*
 * tests/fuzz/drive.c -- see drive.h.
 *
 * The loop follows the engine (src/net/job.c) rather than the replay harness where
 * the two differ, because the fuzzer is after what a hostile server can
 * make the scanner do: the engine hands every byte that arrives to
 * on_data() whatever the probe returned last (PROBE_SEND included: a server
 * may answer early, twice, or pipeline junk), while the replay harness
 * feeds one recorded response per request. The finding is then assessed
 * and serialized as the scan command does, so hostile names, versions and
 * certificates also go through assess_finding() and finding_to_json().
 */
#include "fuzz/drive.h"
#include "catalog/catalog.h"
#include "probe/signature.h"

#include "assess/assess.h"
#include "probe/http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_RECONNECTS 8   /* net/job.c MAX_RECONNECTS */
#define FUZZ_BANNER_MAX     256 /* net/engine_int.h BANNER_MAX */

void fuzz_chunker_init(struct fuzz_chunker *c, unsigned mode, uint8_t seed)
{
    c->mode = mode;
    c->state = 0x9e3779b9u ^ ((uint32_t)seed * 0x01000193u);
    if (!c->state) c->state = 1;
}

size_t fuzz_chunk(struct fuzz_chunker *c, size_t left)
{
    if (left == 0) return 0;
    if (c->mode == 0) return left;
    if (c->mode == 1) return 1;
    /* xorshift32 */
    uint32_t x = c->state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->state = x;
    size_t max = (size_t)1 << (2 * c->mode);
    size_t k = 1 + x % max;
    return k < left ? k : left;
}

const struct probe *fuzz_probe_by_name(const char *name, uint16_t *port)
{
    /* the shipped signatures (the fuzzers run from the top of the tree) */
    static bool loaded;
    if (!loaded) {
        struct err e;
        loaded = true;
        if (signature_load_dir("signatures", NULL, &e) < 0) fprintf(stderr, "%s\n", e.msg);
    }
    const struct svc *s = NULL;
    const struct probe *p = probe_find(name);
    if (p) {
        s = probe_entry(p);
    } else {
        const struct http_app *a = http_app_find(name);
        if (a) {
            s = http_app_entry(a);
            p = &probe_http;
        }
    }
    *port = s ? (s->ports[0] ? s->ports[0] : s->tls_ports[0]) : 0;
    return p;
}

static uint16_t pick_port(uint16_t usual, unsigned given)
{
    if (given) return (uint16_t)given;
    return usual ? usual : 1;
}

/* The next segment of the input: its bytes and the event that ends it (-1: the input ends). */
struct seg_reader {
    const uint8_t *p;
    size_t n, off;
};

static bool next_segment(struct seg_reader *r, const uint8_t **seg, size_t *len, int *event)
{
    if (r->off >= r->n) return false;
    const uint8_t *start = r->p + r->off;
    size_t left = r->n - r->off;
    const uint8_t *m = memmem(start, left, FUZZ_MARK, FUZZ_MARK_LEN);
    *seg = start;
    if (!m) {
        *len = left;
        *event = -1;
        r->off = r->n;
        return true;
    }
    *len = (size_t)(m - start);
    size_t after = *len + FUZZ_MARK_LEN;
    if (after < left) {
        *event = start[after] % 5;
        after++;
    } else {
        *event = -1;
    }
    r->off += after;
    return true;
}

struct drive {
    const struct probe *p;
    struct probe_run run;
    int reconnects;
    bool active; /* the probe has not finished (DONE/NOMATCH) */
    uint8_t banner[FUZZ_BANNER_MAX];
    size_t bannerlen;
};

static void finish(struct drive *d)
{
    d->active = false;
}

/* What the engine does with a callback's answer (d->active goes false when the run is over). */
static void handle(struct drive *d, int rc)
{
    for (;;) {
        buf_reset(&d->run.out); /* the engine sends it; nobody answers it here */
        switch (rc) {
        case PROBE_MORE:
        case PROBE_SEND:
            return;
        case PROBE_RECONNECT:
            if (++d->reconnects > FUZZ_MAX_RECONNECTS) {
                (void)d->p->on_end(&d->run.ctx, PROBE_END_CANCEL);
                finish(d);
                return;
            }
            d->run.ctx.connection++;
            rc = d->p->start(&d->run.ctx);
            continue;
        case PROBE_STARTTLS:
            /* the engine negotiates TLS on the same socket (the handshake
             * succeeds here; a failure is the TLS event of the input), then
             * start() again inside; already inside TLS: on_end(TLS) */
            if (d->run.ctx.tls) {
                rc = d->p->on_end(&d->run.ctx, PROBE_END_TLS);
                continue;
            }
            d->run.ctx.tls = true;
            rc = d->p->start(&d->run.ctx);
            continue;
        case PROBE_DONE:
        case PROBE_NOMATCH:
        default:
            finish(d);
            return;
        }
    }
}

static void conn_end(struct drive *d, enum probe_end why)
{
    if (!d->active) return;
    int rc = d->p->on_end(&d->run.ctx, why);
    if (rc == PROBE_RECONNECT)
        handle(d, rc);
    else
        finish(d); /* DONE, NOMATCH, or a contract breach the engine treats as the end */
}

/* AJAR_FUZZ_PRINT=1 prints the records (checking a seed: `build-fuzz/fuzz_probe_redis FILE`). */
static void record(struct finding *f)
{
    static int print = -1;
    if (print < 0) print = getenv("AJAR_FUZZ_PRINT") != NULL;
    assess_finding(f, NULL);
    json_t *j = finding_to_json(f, false);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (print && s) fprintf(stderr, "record: %s\n", s);
    free(s);
    json_decref(j);
}

void fuzz_drive_probe(const struct probe *p, uint16_t port, const uint8_t *data, size_t n)
{
    if (n < FUZZ_HEADER_LEN) return;
    unsigned opt = data[0];
    struct fuzz_chunker ch;
    fuzz_chunker_init(&ch, opt >> 5, data[1]);
    /* a fixed SCRAM nonce (RFC 7677's, which the RethinkDB seeds extend) lets the fuzzer past
       the nonce check into the rest of the login */
    struct probe_options po = {.no_default_accounts = (opt & 2) != 0,
                               .max_requests = 32,
                               .scram_nonce = "rOprNGfwEbeRWgbNEkqO"};

    struct finding f;
    finding_init(&f);
    str_copy(f.ip, "192.0.2.7", sizeof f.ip);
    f.port = pick_port(port, (unsigned)data[2] << 8 | data[3]);
    f.time = 1763700000;
    if (opt & 4) str_copy(f.host, "db.example.com", sizeof f.host);

    static struct drive d; /* large enough to keep off the stack; one run at a time */
    memset(&d, 0, sizeof d);
    d.p = p;
    if (probe_run_init(&d.run, p, &f, &po) < 0) goto out;
    d.run.ctx.tls = (opt & 1) != 0;
    d.active = true;
    handle(&d, p->start(&d.run.ctx));

    struct seg_reader rd = {.p = data + FUZZ_HEADER_LEN, .n = n - FUZZ_HEADER_LEN, .off = 0};
    const uint8_t *seg;
    size_t len;
    int event;
    while (d.active && next_segment(&rd, &seg, &len, &event)) {
        size_t off = 0;
        while (d.active && off < len) {
            size_t k = fuzz_chunk(&ch, len - off);
            if (d.bannerlen < sizeof d.banner) {
                size_t take = k < sizeof d.banner - d.bannerlen ? k : sizeof d.banner - d.bannerlen;
                memcpy(d.banner + d.bannerlen, seg + off, take);
                d.bannerlen += take;
            }
            handle(&d, p->on_data(&d.run.ctx, seg + off, k));
            off += k;
        }
        static const enum probe_end why[5] = {PROBE_END_EOF, PROBE_END_EOF, PROBE_END_RESET,
                                              PROBE_END_TIMEOUT, PROBE_END_TLS};
        if (event > 0) conn_end(&d, why[event]);
    }
    /* the server has nothing more to say: every further connection just closes */
    while (d.active)
        conn_end(&d, PROBE_END_EOF);

    /* the engine offers the banner to the other probes (plan re-ordering) */
    for (size_t i = 0; i < probe_count(); i++)
        (void)probe_sniff(probe_at(i), d.banner, d.bannerlen);

    record(&f);
    for (int i = 0; i < PROBE_MAX_EXTRA; i++)
        if (d.run.extra[i] && d.run.extra[i]->service[0]) record(d.run.extra[i]);
out:
    probe_run_free(&d.run);
    finding_free(&f);
}
