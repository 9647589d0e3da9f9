/*
 * cli/rdns_hold.h -- `ajar scan --rdns`: findings wait here until their
 * address's PTR names are settled (net/rdns.h), then go on to assessment,
 * the store and the output with their hostnames, so the stream, the store
 * and the final -o file carry the same names.
 *
 * Nothing here blocks the engine: a finding whose names are not known yet
 * is copied and kept; the held ones are let go from the engine's callbacks
 * (each finding, the checkpoint, the progress tick about once a second) as
 * their names settle, and all of them at the end (rdns_hold_drain, bounded
 * by the resolver's timeout). The store's checkpoint is held back to the
 * one current when the oldest waiting finding came, so a resumed scan never
 * skips a finding that was waiting when the scan was killed.
 */
#ifndef AJAR_CLI_RDNS_HOLD_H
#define AJAR_CLI_RDNS_HOLD_H

#include "core/finding.h"
#include "net/rdns.h"

#define RDNS_HOLD_MAX 4096 /* findings waiting at once; past it the oldest goes as it is */

struct rdns_hold;
/* emit(arg, f): the finding goes on (assess, store, write); 0, or -1 to stop the scan. */
typedef int (*rdns_emit_fn)(void *arg, struct finding *f);
/* checkpoint(arg, pos): the checkpoint the store may record. */
typedef void (*rdns_checkpoint_fn)(void *arg, uint64_t pos);

int rdns_hold_open(struct rdns_hold **out, const struct rdns_opts *o, rdns_emit_fn emit,
                   rdns_checkpoint_fn checkpoint, void *arg, struct err *e);
void rdns_hold_close(struct rdns_hold *h);
/* A finding from the engine (borrowed): emitted now when its names are known, else held. -1 once
 * an emit failed. */
int rdns_hold_add(struct rdns_hold *h, struct finding *f);
/* Let go of the findings whose names are settled (at most every 50 ms unless forced). */
int rdns_hold_pump(struct rdns_hold *h, bool force);
/* The engine's checkpoint: passed on, held back while older findings wait. */
void rdns_hold_checkpoint(struct rdns_hold *h, uint64_t pos);
/* The end: wait until every held finding's names are settled (at most the resolver's timeout
 * after the last address was asked), emit them all, pass on the last checkpoint. */
int rdns_hold_drain(struct rdns_hold *h);

#endif
