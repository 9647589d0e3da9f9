/*
 * kit/kit.h -- the presentation kit: what the report (src/report/) and the
 * dashboard (src/web/) both need to show findings, written once.
 *
 *   escape.c   escaping for HTML text and attributes (and SVG, which is
 *              HTML here), URL query values; the only place the entities
 *              are spelt
 *   owners.c   the --owners file: address ranges to owner names (a trie)
 *   names.c    display names of cloud providers
 *   shared.c   which finding counts a data store several findings reach
 *   chart.c    the SVG charts of both, in two styles (declared in kit/chart.h)
 *
 * Numbers and units are core's (core/units.h: the record's signal details
 * use them too); CSV cells are the report's (its one CSV writer).
 */
#ifndef AJAR_KIT_KIT_H
#define AJAR_KIT_KIT_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The scans a trend shows (the report's history chart, the dashboard's trend). */
#define KIT_TREND_MAX 30

/* The entity of '&' where a URL's query separator sits in an HTML attribute (href="?a=1&amp;b=2"),
 * for the format strings that build links; every other escape goes through kit_html. */
#define KIT_AMP "&amp;"

/* s escaped for HTML text or a quoted attribute (& < > " '), control bytes as '?', at most max
 * bytes of it (cut at a code point, then an ellipsis). */
void kit_html_n(struct buf *b, const char *s, size_t max);
static inline void kit_html(struct buf *b, const char *s)
{
    kit_html_n(b, s, SIZE_MAX);
}
/* The same, written to a stream. */
void kit_html_fp(FILE *fp, const char *s, size_t max);
/* s as a URL query value: unreserved bytes as they are, the rest %XX. */
void kit_url(struct buf *b, const char *s);
/* s in a Slack mrkdwn text (the alerts' chat messages): & < > as the entities, the only ones Slack
 * reads, so no link, mention or <!channel> forms; with code (inside `inline code`) '`' becomes
 * '\'' too. s is already sanitized (no control byte). 0, or -1 out of memory. */
int kit_slack(struct buf *b, const char *s, bool code);

/* ---- owners (owners.c): CIDR -> owner name, longest prefix wins ---- */

struct kit_owners;

#define KIT_NO_OWNER "(no owner)"

/*
 * Parse an owners list: one `CIDR<TAB or spaces>owner name` per line, IPv4
 * or IPv6, a bare address meaning /32 or /128; blank lines and lines
 * starting with '#' are skipped. A malformed line is an error naming its
 * line number. *out is owned by the caller (kit_owners_free).
 */
int kit_owners_parse(struct kit_owners **out, const char *text, size_t n, struct err *e);
int kit_owners_load(struct kit_owners **out, const char *path, struct err *e);
/* The owner of ip (longest matching prefix), or KIT_NO_OWNER. The string lives as long as o. */
const char *kit_owner_of(const struct kit_owners *o, const char *ip);
size_t kit_owners_count(const struct kit_owners *o);
void kit_owners_free(struct kit_owners *o);

/* ---- names (names.c) ---- */
/* A provider id of the record ("alibaba-cloud") as people write it ("Alibaba Cloud"); an id
 * not in the table is returned as it is. */
const char *kit_provider_name(const char *id);

/* ---- exposed (shared.c) ----
 * The one meaning of "exposed" in every report and page: data readable without credentials, all
 * of it (auth none, including through an empty default account) or some of it (partial). */
bool kit_auth_exposed(int auth);

/* ---- new in a scan (shared.c) ----
 * Is a service new in the scan group `group` (its first scan's id), which started at `start`?
 * New: the scan that first saw the service's current open period (the store's first_scan) is
 * of this group or later. A store written before first_scan existed has 0 there where no scan
 * saw the period begin: then first seen at or after the start (whole seconds). */
bool kit_new_in_scan(int64_t first_scan, int64_t first_seen, int64_t group, int64_t start);

/* ---- the same data store (shared.c) ----
 * Findings that reach one data store (the same catalog instance: a cluster's nodes, a store
 * directly and through a console) count its records and bytes once, at one of them: the
 * exposed one, then the one with the most records, then the most bytes, then one reached
 * directly, then the first (order). The others are "shared". */
struct kit_store_row {
    const char *instance; /* "service/id" (catalog_instance), "" when unknown */
    bool exposed, via;
    int64_t records, bytes, order;
};
/* shared[i] set for every row but the counted one of its store, also[counted] (may be NULL)
 * raised by one for each; *marked: how many were set. 0, or -1 out of memory (nothing set). */
int kit_mark_shared(const struct kit_store_row *rows, size_t n, bool *shared, uint32_t *also,
                    size_t *marked);

#endif
