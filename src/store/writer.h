/*
 * store/writer.h -- the store handle and its write queue, shared by store.c (the caller's
 * side: open, close, scans, store_put) and writer.c (the writer thread that applies the queue
 * in batched transactions). Inside store/ only; the public face is store.h.
 */
#ifndef AJAR_STORE_WRITER_H
#define AJAR_STORE_WRITER_H

#include "store/db.h"
#include "store/store.h"
#include "store/store_int.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define QUEUE_CAP 16384

/* ---- queue items ---- */

enum item_kind { IT_FINDING = 1, IT_CHECKPOINT };

struct cert_item {
    char sha256[65];
    char subject_cn[256], issuer_cn[256];
    int64_t not_before, not_after;
    int self_signed;
    char key_type[32];
};

struct item {
    enum item_kind kind;
    int64_t scan;
    uint64_t pos; /* IT_CHECKPOINT */
    int64_t svc;  /* the service's row if the caller knows it (a hint: checked), else 0 */
    char ip[46];
    uint16_t port;
    char transport[8];
    char service[32];
    char product[64], version[64];
    enum auth_state auth;
    enum severity severity;
    int64_t t, first_seen;
    int64_t first_scan; /* the scan that first saw the service's open period (0 unknown) */
    int64_t records, bytes;
    char cluster[24];
    struct cert_item *cert;
    const char *record, *signals, *facts; /* JSON text, in text[] */
    char text[];                          /* record NUL signals NUL facts NUL */
};

/* ---- what the current scope has seen (first/last seen without the writer) ---- */

struct seen_entry {
    uint64_t h; /* 0 = empty */
    int64_t first, last;
    int64_t id;         /* the service's row, 0 when not known yet */
    int64_t first_scan; /* the scan that first saw the open period, 0 unknown */
    int closed;
};

struct seen_map {
    struct seen_entry *v;
    size_t cap, n;
};

/*
 * Every service identity in the store, as sorted hashes (8 bytes each):
 * a service outside the scope's map whose hash is not here is new, and
 * store_put() need not ask the database (a read transaction per finding
 * would cost more than everything else store_put does).
 */
struct known_set {
    uint64_t *v;
    size_t n, cap;
};

/* ---- the store ---- */

struct writer_stmts {
    /* SQLite */
    struct db_stmt *svc_ins, *svc_upd_id, *svc_upd, *svc_id, *obs, *svccert_id;
    /* PostgreSQL */
    struct db_stmt *put_pg, *svccert;
    /* both */
    struct db_stmt *cert, *ckpt;
};

/*
 * Certificates the writer has written, with the newest time: a certificate
 * served by many hosts is upserted once per newer time, not once per host
 * (the row's other columns are only set on insert, and last_seen only
 * grows). Direct-mapped, so its memory is fixed; cleared on rollback.
 */
#define CERT_CACHE 1024

struct cert_seen {
    char sha256[65];
    int64_t t;
};

struct store {
    struct db *ctl; /* caller's thread */
    struct db *w;   /* writer thread */
    struct db_stmt *lookup;
    struct seen_map seen;
    struct known_set known;
    struct reach_map *reach; /* the scope's open services by pair (coverage.c) */
    struct buf enc;          /* store_put's record text, reused */

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull, done;
    struct item *q[QUEUE_CAP];
    size_t qhead, qlen;
    uint64_t enq_seq, committed_seq; /* items queued, items committed (or dropped) */
    int flush_req;
    bool stop;
    bool failed;
    struct err werr;
    unsigned batch;
    struct writer_stmts ws;
    struct cert_seen certs[CERT_CACHE]; /* writer thread */
};

/* FNV-1a over n bytes, from h (the map's service hashes, the certificate cache's slots). */
static inline uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- writer.c ---- */

/* Free a queue item and what it holds (NULL is fine). */
void writer_item_free(struct item *it);
/* Prepare the writer connection's statements (s->w is open); 0 or -1 with e set. */
int writer_prepare(struct store *s, struct err *e);
void writer_finalize(struct store *s);
/* The writer thread (pthread_create's start routine; arg is the store). */
void *writer_main(void *arg);
/* Queue an item (the store takes it); blocks while the queue is full. -1 once the writer
 * has failed (e gets its error; the item is freed). */
int writer_enqueue(struct store *s, struct item *it, struct err *e);

#endif
