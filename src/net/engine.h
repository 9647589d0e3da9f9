/*
 * net/engine.h -- the connect-scan engine: discovery and the probe stage.
 *
 * One epoll loop owns every socket. It pulls (address, port) pairs from a
 * target iterator as the rate limit (--rate new connections per second)
 * and the concurrency cap (--concurrency sockets) allow, starts a
 * non-blocking connect for each, and classifies the outcome: open, closed
 * (refused) or no answer (timeout, retried --retries times). Memory is
 * bounded by the concurrency, never by the number of targets.
 *
 * Without discovery_only, an open port becomes a job: the probes of its
 * plan (probe_plan) are tried in turn over the connection that found it and
 * new ones (at most PROBE_MAX_ATTEMPTS), TLS first on TLS ports and after
 * any sign of TLS, until one identifies the service; every step has a
 * deadline (probe_timeout_ms) and the whole job one more (job_timeout_ms).
 * Connections of the probe stage are limited by the concurrency and the
 * per-port attempt cap, not by --rate, which paces discovery.
 *
 * Results go to the sink as they come: one finding per open port (plus
 * the extra findings a probe emits). The sink borrows the finding for the
 * duration of the call.
 */
#ifndef AJAR_NET_ENGINE_H
#define AJAR_NET_ENGINE_H

#include "core/finding.h"
#include "core/util.h"
#include "probe/probe.h"
#include "target/target.h"

#include <stdio.h>

/* --discovery syn's sender (net/syn.c, docs/syn.md) */
enum syn_send_method { SYN_SEND_AUTO = 0, SYN_SEND_MMSG, SYN_SEND_RING, SYN_SEND_RAW };
#define SYN_MAX_SENDER_THREADS 64
struct syn_send_opts {
    enum syn_send_method method; /* --send-method; AUTO: mmsg where AF_PACKET works, else raw */
    const char *iface;           /* --interface, NULL: the route's */
    bool have_gw_mac;            /* --gateway-mac */
    uint8_t gw_mac[6];
    bool have_source; /* --source-ip */
    uint32_t source;  /* network order */
    int threads;      /* --sender-threads (0 or 1: one; at most SYN_MAX_SENDER_THREADS) */
};

struct engine_opts {
    int concurrency;      /* sockets at once; 0 = fitted to RLIMIT_NOFILE */
    double rate;          /* new discovery connections per second; <= 0 unlimited */
    int timeout_ms;       /* connect timeout per attempt */
    int retries;          /* extra connect attempts after a timeout */
    bool discovery_only;  /* stop after finding open ports */
    int probe_timeout_ms; /* deadline of each probe step (a request and its answer) */
    int job_timeout_ms;   /* deadline of all probing on one port */
    struct probe_options popts;
    const char *only_probe; /* --probe NAME: try only this probe (tests, ajar probe) */
    int max_seconds;        /* stop the scan after this long (0 = no limit) */
    FILE *trace;            /* --trace: one JSON line per request sent (NULL = off) */
    struct syn_send_opts syn;
};

struct engine_stats {
    uint64_t total;   /* pairs in this shard */
    uint64_t started; /* discovery connects started (including retries) */
    uint64_t done;    /* pairs concluded */
    uint64_t open, closed, silent, unreachable;
    uint64_t identified; /* jobs that named a service */
    uint64_t drops;      /* --discovery syn: replies the kernel dropped before ajar read them */
    uint64_t findings;   /* findings handed to the sink */
    bool interrupted;    /* stopped early (signal, --max-seconds, sink): the walk is not done */
    enum engine_stop { STOP_NONE, STOP_ASKED, STOP_TIME, STOP_SINK } stop_why;
    int64_t start_ms;
};

struct engine_sink {
    void *arg;
    /* A finding is ready (borrowed for the call). Return 0, or -1 to stop the scan. */
    int (*on_finding)(void *arg, struct finding *f);
    /* Called about once a second and at the end (may be NULL). */
    void (*on_progress)(void *arg, const struct engine_stats *st, bool final);
    /*
     * The walk position below which every pair is concluded (for checkpoints; may be NULL):
     * every finding of those pairs was handed to on_finding before. A stopped scan ends with
     * the position of the oldest pair it did not conclude; its probes cancelled in flight hand
     * over no finding (their pairs lie at or after that position).
     */
    void (*on_checkpoint)(void *arg, uint64_t pos);
    /* Each pair as it is taken from the walk, with its position, before it is connected to
     * (may be NULL). */
    void (*on_pull)(void *arg, const struct target *t, uint64_t pos);
};

void engine_opts_default(struct engine_opts *o);
/* Scan the pairs of `it` until it is exhausted. Returns 0, or -1 with e->msg on a fatal error. */
int engine_run(struct target_iter *it, const struct engine_opts *o, const struct engine_sink *sink,
               struct engine_stats *st, struct err *e);
/* Ask a running engine_run (or syn_run) to stop soon (signal-safe): STOP_ASKED. */
void engine_stop(void);
/* Has engine_stop been called (since the last engine_run began)? */
bool engine_stop_requested(void);

#endif
