/*
 * probe/probe.h -- the probe contract.
 *
 * A probe knows one protocol. The engine owns the socket, TLS, deadlines and
 * the event loop; it hands the probe a live connection through a probe_ctx,
 * passes it every byte that arrives, and sends whatever the probe queues.
 * A probe never calls connect/read/write/epoll, never touches the store or
 * the output, and never allocates without a cap. It fills ctx->f, the
 * finding for this (address, port), and may emit extra findings (a store
 * reached through a dashboard's proxy) with probe_emit().
 *
 * Metadata only: every request a probe can send is listed in the top
 * comment of its file, and none reads a record, document, row or key value.
 *
 * Adding a service: its catalogue entry (src/catalog/services.c), one file
 * src/probe/NAME.c defining `const struct probe probe_NAME`, one line in
 * src/probe/registry.c, fixtures under tests/probe/cases/NAME/, tests
 * (an HTTP service is usually a signature file instead: docs/signatures.md).
 *
 * Life of a probe on one (address, port):
 *   engine connects (plain or TLS) -> start(ctx) -> [bytes arrive ->
 *   on_data(ctx, p, n)]* -> connection ends -> on_end(ctx, why)
 * The per-connection state (state_size bytes, zeroed) lives across
 * reconnects of the same probe run and is freed by the engine after the
 * last callback; free_state (optional) releases what the probe allocated
 * inside it (e.g. an http_resp).
 */
#ifndef AJAR_PROBE_H
#define AJAR_PROBE_H

#include "core/finding.h"
#include "core/util.h"

#include <stddef.h>
#include <stdint.h>

/* What a callback returns to the engine. */
enum probe_rc {
    PROBE_MORE = 0,  /* need more bytes; keep waiting (the step deadline keeps running) */
    PROBE_SEND,      /* queued a request with probe_send(); a fresh step deadline starts */
    PROBE_DONE,      /* finished: ctx->f holds the finding (service set) */
    PROBE_NOMATCH,   /* this is not my protocol: the engine tries the next probe */
    PROBE_RECONNECT, /* need a new connection (server closes after each answer);
                        the engine reconnects and calls start() again, state kept */
    PROBE_STARTTLS,  /* the server agreed to upgrade this connection (PostgreSQL 'S',
                        MySQL CLIENT_SSL): the engine sends what is queued, negotiates
                        TLS on the same socket, fills the certificate facts and calls
                        start() again with ctx->tls set; if the handshake fails, on_end()
                        gets PROBE_END_TLS */
};

/* Why a connection ended (argument of on_end). */
enum probe_end {
    PROBE_END_EOF = 0, /* the peer closed cleanly */
    PROBE_END_RESET,   /* connection reset or other socket error */
    PROBE_END_TIMEOUT, /* a step deadline passed */
    PROBE_END_TLS,     /* TLS handshake or record failure */
    PROBE_END_CANCEL,  /* the engine stopped the probe (scan ends, caps) */
};

/* Probe flags. */
#define PROBE_SERVER_FIRST 0x01u /* the server speaks first: start() queues nothing */
#define PROBE_TLS_OK       0x02u /* the protocol is also spoken inside TLS */
#define PROBE_HTTP         0x04u /* an HTTP application: see http_app in probe/http.h */
#define PROBE_DEFAULT_ACCT                                                                         \
    0x08u /* may send an empty default-account login (off with --no-default-accounts) */

struct probe_options {
    bool no_default_accounts; /* never send the empty default-account login */
    int max_requests;         /* requests a probe may send on one port (cap) */
    /* tests and fuzzing only: the client nonce of a SCRAM login (probe/scram.h) instead of a
       random one, so recorded server messages that extend a known nonce can be replayed; NULL
       in scans */
    const char *scram_nonce;
};

struct probe_ctx {
    struct finding *f;                /* the record being filled (engine-owned) */
    void *state;                      /* state_size zeroed bytes (engine-owned) */
    const struct probe_options *opts; /* scan options a probe may honour */
    bool tls;                         /* the connection is inside TLS */
    int connection;                   /* 0 for the first connection of this run, then 1, 2... */
    const struct probe *self;         /* the probe being run (a signature's probe finds its file) */
    /* engine-private below */
    struct buf *out;        /* bytes queued by probe_send */
    struct finding **extra; /* findings emitted with probe_emit */
    int nextra;
    int requests; /* requests sent so far in this run */
};

/*
 * Queue bytes to send (copied). Returns 0, or -1 when the request cap for
 * this run is reached or memory is short (the probe should then finish with
 * what it has: return PROBE_DONE).
 */
int probe_send(struct probe_ctx *ctx, const void *p, size_t n);
int probe_sendf(struct probe_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Emit an extra finding (for example the Elasticsearch behind a Kibana's
 * console proxy). The returned finding is initialised with ip/port/time
 * copied from ctx->f; the probe fills it and sets has_via / via_*. Owned by
 * the engine. Returns NULL when the cap (8 per run) is reached.
 */
struct finding *probe_emit(struct probe_ctx *ctx);

struct probe {
    const char *name;  /* "redis"; also the record's service unless the probe sets another */
    unsigned flags;    /* PROBE_* */
    size_t state_size; /* bytes of per-run state the engine allocates */

    /*
     * start: a connection is up (TLS already negotiated when ctx->tls).
     * Queue the first request with probe_send and return PROBE_SEND, or
     * return PROBE_MORE to wait for the server to speak. Called again after
     * PROBE_RECONNECT (ctx->connection > 0) with the state intact.
     */
    int (*start)(struct probe_ctx *ctx);

    /*
     * on_data: n > 0 bytes arrived. A push parser: it must accept any
     * split of the stream (one byte at a time included), keep only capped
     * buffers, and return one of enum probe_rc. Returning PROBE_NOMATCH
     * leaves ctx->f's service unset; the engine keeps the bytes as a banner.
     */
    int (*on_data)(struct probe_ctx *ctx, const uint8_t *p, size_t n);

    /*
     * on_end: the connection ended before the probe returned DONE. Return
     * PROBE_DONE (the finding is what it is, e.g. an answer delimited by
     * EOF), PROBE_RECONNECT, or PROBE_NOMATCH. May set ctx->f->error.
     */
    int (*on_end)(struct probe_ctx *ctx, enum probe_end why);

    /* Optional: release what the probe allocated inside its state. */
    void (*free_state)(void *state);

    /*
     * Optional: another probe's attempt on this port got these bytes back
     * (the server's first words, or its answer to a foreign request such as
     * "GET / HTTP/1.1"). Return 0..100: how likely this probe's protocol
     * produced them (Redis answers a GET with "-ERR", Memcached with
     * "ERROR", MongoDB with "It looks like you are trying to access MongoDB
     * over HTTP"). The engine tries the best-scoring probe next. Pure.
     */
    int (*sniff)(const uint8_t *p, size_t n);

    /*
     * 0..100: how likely this protocol's server, sent a foreign request (the HTTP
     * dispatcher's GET /), closes without a word -- PostgreSQL reads "GET " as a startup
     * length and hangs up, an MQTT broker drops a bad CONNECT. On a port that said nothing
     * the engine tries the highest first (server-first protocols last: they would have
     * greeted). 0 for the others.
     */
    int silent;

    /* Optional, for probes made at run time (TCP signatures): sniff with the probe itself,
     * and what it was made from. The engine calls probe_sniff(), which picks either. */
    int (*sniff_self)(const struct probe *self, const uint8_t *p, size_t n);
    const void *data;
};

/* The probe's sniff() or sniff_self() on bytes another attempt got back: 0..100. */
static inline int probe_sniff(const struct probe *p, const uint8_t *b, size_t n)
{
    if (p->sniff_self) return p->sniff_self(p, b, n);
    return p->sniff ? p->sniff(b, n) : 0;
}

/* The registry (probe/registry.c). */
size_t probe_count(void);
const struct probe *probe_at(size_t i);
const struct probe *probe_find(const char *name);
/* The catalogue entry of a probe (its usual ports, prevalence...), or NULL. */
struct svc;
const struct svc *probe_entry(const struct probe *p);

/*
 * The plan for one open port: the probes to try, usual ones first, at most
 * PROBE_MAX_ATTEMPTS connections per port in all (docs/probes.md).
 */
#define PROBE_MAX_ATTEMPTS 10
size_t probe_plan(uint16_t port, const struct probe **out, size_t max);

/* A catalogue entry's usual TLS port: try TLS first there. */
bool probe_port_is_tls(uint16_t port);

/* Wire integers, for the binary protocols. */
static inline uint32_t probe_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void probe_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline uint32_t probe_le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

/* A decimal count sent as text (SQL result columns): -1 when absent or not a number. */
static inline int64_t probe_text_int(const uint8_t *p, int64_t n)
{
    uint64_t v;
    if (!p || n <= 0 || parse_u64n((const char *)p, (size_t)n, INT64_MAX, &v) < 0) return -1;
    return (int64_t)v;
}

/*
 * The body step of a length-prefixed message reader: of the n bytes at p,
 * take up to *need (the body bytes still due), keep what fits in body
 * (cap bytes, *kept so far) and count the rest as dropped. Returns the
 * bytes consumed; the message is complete when *need reaches 0.
 */
static inline size_t probe_take(uint8_t *body, uint32_t *kept, uint32_t cap, uint32_t *need,
                                const uint8_t *p, size_t n)
{
    size_t take = n < *need ? n : *need;
    size_t keep = take < cap - *kept ? take : cap - *kept;
    for (size_t i = 0; i < keep; i++)
        body[*kept + i] = p[i];
    *kept += (uint32_t)keep;
    *need -= (uint32_t)take;
    return take;
}

/*
 * A probe run: one probe on one (address, port), across its connections.
 * Used by the engine and by the fixture replay tests alike, so both drive
 * probes exactly the same way. The run owns the state, the output queue
 * and the emitted findings; the finding `f` stays the caller's.
 */
#define PROBE_MAX_EXTRA 8
#define PROBE_OUT_CAP   (256u << 10)
struct probe_run {
    const struct probe *p;
    struct probe_ctx ctx;
    struct buf out;
    struct finding *extra[PROBE_MAX_EXTRA];
};
int probe_run_init(struct probe_run *r, const struct probe *p, struct finding *f,
                   const struct probe_options *opts);
/* Frees the state and the queue; extra findings are freed unless taken (set to NULL). */
void probe_run_free(struct probe_run *r);

#endif
