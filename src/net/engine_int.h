/*
 * net/engine_int.h -- what the engine's two halves share, inside net/ only: the slot, the job and
 * the engine's state, and the calls each half makes into the other. engine.c is the event loop
 * (slots, sockets, deadlines, discovery, checkpoints); job.c the probe-job sequence on an open
 * port (the plan, TLS, attempts, a probe's return codes). The public contract is engine.h.
 */
#ifndef AJAR_NET_ENGINE_INT_H
#define AJAR_NET_ENGINE_INT_H

#include "net/engine.h"
#include "net/ratelimit.h"

#include <openssl/ssl.h>

#define BANNER_MAX 256 /* bytes of an attempt kept for sniff() and the record */
#define PLAN_MAX   64  /* probes in a job's plan */

enum slot_state { S_FREE = 0, S_CONNECTING, S_TLS, S_PROBING };

enum tclass { T_NONE = -1, T_CONNECT = 0, T_STEP = 1 };

struct job {
    struct finding f;
    uint16_t plan[PLAN_MAX]; /* registry indices (probe_at) */
    uint8_t nplan, next;     /* next plan entry to try */
    int attempts;            /* connections used for attempts */
    int reconnects;
    bool tls;         /* attempts now use TLS */
    bool tls_decided; /* TLS was tried (success or failure) */
    bool tls_ok;      /* a TLS handshake succeeded on this port */
    const struct probe *cur;
    struct probe_run run;
    bool run_active;
    size_t bannerlen;      /* bytes of the current attempt, first BANNER_MAX */
    size_t keep_bannerlen; /* the first non-empty banner any attempt got */
    int64_t deadline_ms;   /* whole job */
    const char *why;       /* how the last failed attempt ended, for `error` */
    int silent;            /* attempts that ended closed or reset without a byte heard */
    bool tls_redo;         /* the plan is being tried again over TLS after a silent HTTP */
    struct job *pool_next; /* in the engine's pool of free jobs */
    /* last, and never zeroed: read only up to their lengths (job_start zeroes what lies
     * between the finding and here) */
    uint8_t banner[BANNER_MAX];
    uint8_t keep_banner[BANNER_MAX];
};

struct slot {
    enum slot_state st;
    int fd;
    uint32_t events; /* epoll events registered */
    struct target t;
    uint64_t pos; /* walk position of this pair */
    int tries;
    int conn_err;   /* error connect() returned at once, if any */
    bool discovery; /* the connect in flight is the discovery connect */
    bool starttls;  /* the TLS handshake in flight is a probe's upgrade */
    struct job *job;
    SSL *ssl;
    struct buf out; /* bytes to write */
    size_t out_off;
    /* deadline list */
    int tclass;
    int64_t deadline_ms;
    struct slot *tprev, *tnext;
    /* in-flight list (ordered by walk position) for checkpoints */
    struct slot *fprev, *fnext;
};

/* The plan for a port, made once per port and copied into each job (probe_plan walks the
 * catalogue: too much to do again for every open port). Direct-mapped by port. */
#define PLAN_CACHE 64
struct plan_entry {
    bool used;
    uint16_t port;
    uint8_t n;
    uint16_t idx[PLAN_MAX];
};

struct tlist {
    struct slot *head, *tail;
};

struct engine {
    const struct engine_opts *o;
    const struct engine_sink *sink;
    struct engine_stats *st;
    struct target_iter *it;
    int ep;
    struct slot *slots;
    int nslots;
    int *free_stack;
    int nfree;
    struct tlist timers[2];
    int timeouts[2];
    struct slot *fhead, *ftail; /* in flight, oldest walk position first */
    struct ratelimit rl;
    bool walk_done;
    bool stopping;
    int64_t last_progress_ms;
    uint64_t last_checkpoint;
    time_t scan_time;
    struct plan_entry plans[PLAN_CACHE];
    struct job *job_pool; /* jobs of finished slots, reused (at most one per slot) */
};

/* ---- engine.c: the loop's services to a job ---- */

/* Arm slot s's deadline in class cls (a job's step deadline is cut at the job's own). */
void en_timer_arm(struct engine *en, struct slot *s, int cls);
/* Register the epoll events ev for s (no call when unchanged); 0 or -1. */
int en_set_events(struct engine *en, struct slot *s, uint32_t ev);
/* Close s's socket (and TLS session); reset sends an RST. The slot stays taken. */
void en_sock_close(struct engine *en, struct slot *s, bool reset);
/* Start a non-blocking connect to s->t: CONN_PENDING, CONN_NOW, CONN_FAILED or -1. */
enum { CONN_PENDING = 0, CONN_NOW = 1, CONN_FAILED = 2 };
int en_sock_connect(struct engine *en, struct slot *s);
/* Act on what en_sock_connect returned. */
void en_connect_started(struct engine *en, struct slot *s, int rc);
/* Write what s->out holds, as far as the socket takes it now; -1 on a write error. */
int en_flush_out(struct engine *en, struct slot *s);
/* Give s back: its socket closed, its job freed, off the in-flight list. */
void en_slot_free(struct engine *en, struct slot *s);
/* Hand a finding to the sink; -1 when the sink failed (the engine then stops). */
int en_emit(struct engine *en, struct finding *f);

/* ---- job.c: the probe-job sequence ---- */

/* An open port found by discovery (its socket connected, in s): make its job, run its plan. */
void job_start(struct engine *en, struct slot *s);
/* Report the job's finding (and a probe's extra ones) and free the slot. */
void job_finish(struct engine *en, struct slot *s);
/* Begin a TLS handshake on s's connected socket (an attempt over TLS, or a probe's upgrade). */
void job_tls_begin(struct engine *en, struct slot *s);
/* The socket of a handshake in flight is ready. */
void job_tls_step(struct engine *en, struct slot *s);
/* The handshake failed or timed out. */
void job_tls_failed(struct engine *en, struct slot *s);
/* Begin the current probe on the connected (and, if TLS, negotiated) socket. */
void job_probe_begin(struct engine *en, struct slot *s);
/* The attempt's connection ended (closed, reset, timed out) before the probe was done. */
void job_probe_ended(struct engine *en, struct slot *s, enum probe_end why);
/* Bytes to read on a probing connection. */
void job_readable(struct engine *en, struct slot *s);

#endif
