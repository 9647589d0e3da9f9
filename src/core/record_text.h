/*
 * core/record_text.h -- the record's reader for stored text
 * (record_text.c): a few facts read from a record's JSON without parsing
 * it (the dashboard indexes a million records), written against the shape
 * finding_json_write() gives them. The only place such searches are made.
 */
#ifndef AJAR_CORE_RECORD_TEXT_H
#define AJAR_CORE_RECORD_TEXT_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Decode the JSON string whose opening quote is at p (the text ends at end)
 * into out (cap bytes, NUL-terminated; the rest cut; escapes decoded, \u
 * as UTF-8). Returns the position after the closing quote, or NULL when
 * the text ends first. *len (if given) gets the decoded length.
 */
const char *record_json_str(const char *p, const char *end, char *out, size_t cap, size_t *len);
/* Reached through a console (a "via" object)? */
bool record_has_via(const char *rec, size_t len);
/* The first max names of data.names, each handed to fn (decoded; fn returning non-zero stops);
 * the count handed; *after (if given): where the list's reading stopped. */
int record_names(const char *rec, size_t len, int max,
                 int (*fn)(void *arg, const char *name, size_t n), void *arg, const char **after);
/* data.names_total read from `from` on, -1 when absent. */
int64_t record_names_total(const char *from, const char *end);
/* The record's own first_seen (as written then), 0 when absent. */
time_t record_first_seen(const char *rec, size_t len);
/* details.KEY as a string (decoded into out), false when absent. */
bool record_detail(const char *rec, size_t len, const char *key, char *out, size_t cap);
/* The attribution: cloud.provider's id, network.asn (0 none), geo.country; "" when absent. */
void record_attr(const char *rec, size_t len, char prov[32], uint32_t *asn, char cc[3]);
/* The ids of a signals array (the record's "signals", or the store's column of them), each
 * handed to fn (non-zero stops). */
void record_signal_ids(const char *sj, size_t len, int (*fn)(void *arg, const char *id), void *arg);

#endif
