/*
 * net/syn_int.h -- what the two processes of SYN discovery share (syn.c is
 * the parent, syn_send.c the sending process): the pipe's records and the
 * sockets the parent opened for the sender.
 */
#ifndef AJAR_NET_SYN_INT_H
#define AJAR_NET_SYN_INT_H

#include "net/pktio.h"
#include "net/syn.h"

enum { REC_OPEN = 1, REC_PROGRESS, REC_DONE, REC_ERROR };

/* One pipe record (192 bytes); smaller than PIPE_BUF, so each write is atomic. */
struct rec {
    uint32_t kind;
    uint32_t addr; /* network order */
    uint32_t port;
    uint32_t complete; /* REC_DONE: the walk (and its retry passes) ran to its end */
    uint64_t sent, walked, closed, open;
    uint64_t drops;       /* answers the kernel dropped before the sender read them */
    uint64_t send_errors; /* SYNs the kernel refused (skipped), ring flushes that lost frames */
    int64_t send_ns;      /* first SYN to last SYN */
    char msg[120];
};

#define SYN_MAX_THREADS SYN_MAX_SENDER_THREADS

/* What the parent opened for the sending process (one of each per thread; raw_rcv shared). */
struct syn_sender {
    enum syn_send_method method; /* MMSG, RING or RAW: what is open */
    int nthreads;
    int raw_snd[SYN_MAX_THREADS];
    int raw_rcv;
    struct pkt_tx tx[SYN_MAX_THREADS];
    struct pkt_rx rx[SYN_MAX_THREADS];
    uint8_t eth[SYN_ETH_LEN]; /* the frames' Ethernet header */
    uint32_t saddr;           /* network order */
    struct syn_key key;
    int out; /* the pipe to the parent */
};

/* Write one record to the pipe: 0, or -1. */
int syn_put(int fd, const struct rec *r);
/* The sending process's work, after its privileges are dropped: 0 (REC_DONE written). */
int syn_sender_run(struct syn_sender *sd, const struct target_iter *start,
                   const struct engine_opts *o);
const char *syn_method_name(enum syn_send_method m);

#endif
