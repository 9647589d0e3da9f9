/*
 * cli/rdns_hold.c -- findings waiting for their PTR names (see rdns_hold.h).
 *
 * The held findings are a list in arrival order, each with the engine's
 * checkpoint as it was when it came: the checkpoint passed on is the
 * oldest's (checkpoints only grow), or the engine's own once none waits.
 */
#include "cli/rdns_hold.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct held {
    struct finding f;
    uint64_t cp; /* the engine's checkpoint when it came */
    struct held *next;
};

struct rdns_hold {
    struct rdns *r;
    rdns_emit_fn emit;
    rdns_checkpoint_fn checkpoint;
    void *arg;
    struct held *head, *tail;
    size_t n;
    uint64_t cp;      /* the engine's latest */
    uint64_t cp_sent; /* the last passed on */
    bool cp_any;
    int64_t last_pump_ms;
    int failed;
};

int rdns_hold_open(struct rdns_hold **out, const struct rdns_opts *o, rdns_emit_fn emit,
                   rdns_checkpoint_fn checkpoint, void *arg, struct err *e)
{
    *out = NULL;
    struct rdns_hold *h = xcalloc(1, sizeof *h);
    if (!h) return err_set(e, "out of memory");
    if (rdns_open(&h->r, o, e) < 0) {
        free(h);
        return -1;
    }
    h->emit = emit;
    h->checkpoint = checkpoint;
    h->arg = arg;
    *out = h;
    return 0;
}

void rdns_hold_close(struct rdns_hold *h)
{
    if (!h) return;
    for (struct held *x = h->head, *nx; x; x = nx) {
        nx = x->next;
        finding_free(&x->f);
        free(x);
    }
    rdns_close(h->r);
    free(h);
}

static void pass_checkpoint(struct rdns_hold *h)
{
    if (!h->checkpoint || !h->cp_any) return;
    uint64_t pos = h->head && h->head->cp < h->cp ? h->head->cp : h->cp;
    if (pos == h->cp_sent) return;
    h->cp_sent = pos;
    h->checkpoint(h->arg, pos);
}

/* A finding that cannot wait: on with the certificate's names only. */
static void go(struct rdns_hold *h, struct finding *f)
{
    char names[1][FINDING_HOSTNAME_MAX + 1] = {""};
    rdns_fill(f, names, 0);
    if (h->emit(h->arg, f) < 0) h->failed = 1;
}

/* Emit held findings: the settled ones, or all with everything. */
static void release(struct rdns_hold *h, bool everything)
{
    struct held **pp = &h->head, *prev = NULL;
    while (*pp) {
        struct held *x = *pp;
        char names[RDNS_MAX_PTR][FINDING_HOSTNAME_MAX + 1];
        int n = 0;
        bool settled = rdns_names(h->r, x->f.ip, names, &n) == 1;
        if (!settled && !everything) {
            prev = x;
            pp = &x->next;
            continue;
        }
        *pp = x->next;
        if (h->tail == x) h->tail = prev;
        h->n--;
        rdns_fill(&x->f, names, n);
        if (h->emit(h->arg, &x->f) < 0) h->failed = 1;
        finding_free(&x->f);
        free(x);
    }
    pass_checkpoint(h);
}

int rdns_hold_pump(struct rdns_hold *h, bool force)
{
    int64_t t = now_ms();
    if (h->head && (force || t - h->last_pump_ms >= 50)) {
        h->last_pump_ms = t;
        release(h, false);
    }
    return h->failed ? -1 : 0;
}

int rdns_hold_add(struct rdns_hold *h, struct finding *f)
{
    rdns_want(h->r, f->ip);
    rdns_hold_pump(h, false);
    char names[RDNS_MAX_PTR][FINDING_HOSTNAME_MAX + 1];
    int n = 0;
    if (rdns_names(h->r, f->ip, names, &n) == 1) {
        rdns_fill(f, names, n);
        if (h->emit(h->arg, f) < 0) h->failed = 1;
        return h->failed ? -1 : 0;
    }
    if (h->n >= RDNS_HOLD_MAX && h->head) { /* too many waiting: the oldest goes as it is */
        struct held *x = h->head;
        h->head = x->next;
        if (!h->head) h->tail = NULL;
        h->n--;
        go(h, &x->f);
        finding_free(&x->f);
        free(x);
    }
    struct held *x = xmalloc(sizeof *x);
    if (!x || finding_copy(&x->f, f) < 0) {
        if (x) {
            finding_free(&x->f);
            free(x);
        }
        go(h, f); /* no memory to wait in: it goes without its PTR names */
        return h->failed ? -1 : 0;
    }
    x->cp = h->cp;
    x->next = NULL;
    if (h->tail)
        h->tail->next = x;
    else
        h->head = x;
    h->tail = x;
    h->n++;
    return h->failed ? -1 : 0;
}

void rdns_hold_checkpoint(struct rdns_hold *h, uint64_t pos)
{
    h->cp = pos;
    h->cp_any = true;
    rdns_hold_pump(h, false);
    pass_checkpoint(h);
}

int rdns_hold_drain(struct rdns_hold *h)
{
    /* every held address was asked before now: settled by its deadline at the latest */
    int64_t end = now_ms() + rdns_pending_ms(h->r) + 50;
    while (h->head && now_ms() < end) {
        release(h, false);
        if (!h->head) break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    release(h, true);
    return h->failed ? -1 : 0;
}
