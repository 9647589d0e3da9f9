/*
 * report/report.h -- `ajar report`: what one scan found, for a person or a
 * program, read from the store only.
 *
 * The module is a sink of findings with a renderer per format. The caller
 * (report_run() in source.c, or a test that builds findings in memory)
 * creates a report with its options and an output stream, optionally tells
 * it which scan it is about, feeds it findings one at a time with
 * report_add(), optionally feeds the per-scan history points the HTML chart
 * draws, and calls report_finish(). Filters (--min-severity, --service, the
 * personal-data view) are applied inside report_add(), so every format and
 * every caller agree on what is in the report.
 *
 * Machine formats without a summary (json, jsonl, csv, sarif, ocsf) stream: a
 * finding is written when it is added and nothing is kept, so a report of
 * millions of findings needs no memory in proportion. Text and HTML (and
 * --clusters, in any format) need the whole picture before the first line
 * (the summary comes first, findings are grouped by severity), so they keep
 * one compact row per finding (a few hundred bytes, strings in an arena).
 *
 * The output formats are documented in docs/report.md (CSV column order,
 * the SARIF location choice, the "owner" field added under --by owner).
 */
#ifndef AJAR_REPORT_H
#define AJAR_REPORT_H

#include "core/finding.h"
#include "kit/kit.h"
#include "core/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum report_format {
    REPORT_TEXT,
    REPORT_JSON,
    REPORT_JSONL,
    REPORT_CSV,
    REPORT_HTML,
    REPORT_SARIF,
    REPORT_OCSF /* OCSF Vulnerability Finding events, one a line (ocsf.c) */
};

/* "text", "json", ... ; -1 on an unknown name. */
int report_format_parse(const char *s, enum report_format *out);
const char *report_format_name(enum report_format f);

/* ---- grouping (--by): by the owners file, or by the record's attribution ---- */

enum report_by {
    REPORT_BY_NONE,
    REPORT_BY_OWNER,    /* the owners file (report_opts.owners) */
    REPORT_BY_PROVIDER, /* cloud.provider */
    REPORT_BY_ASN,      /* network.asn (and org) */
    REPORT_BY_COUNTRY   /* geo.country */
};
/* The group of a finding without the field (--by provider|asn|country). */
#define REPORT_UNKNOWN_GROUP "unknown"
/* "owner", "provider", "asn", "country"; -1 on anything else. */
int report_by_parse(const char *s, enum report_by *out);
const char *report_by_name(enum report_by b);

/* ---- the report ---- */

#define REPORT_PERSONAL_DEFAULT 1000000u

struct report_opts {
    enum report_format format;
    enum severity min_severity;      /* SEV_NONE: everything */
    const char *service;             /* only this service (case-insensitive), NULL for all */
    bool clusters;                   /* list clusters instead of findings */
    const struct kit_owners *owners; /* non-NULL: group by owner (borrowed) */
    enum report_by by;               /* REPORT_BY_NONE with owners set means REPORT_BY_OWNER */
    bool personal_only; /* the regulator's view: personal-data-schema and records >= over */
    uint64_t personal_over;
    bool color; /* ANSI colour in text (the caller decides: a terminal and no NO_COLOR) */
};

/* The scan a report is about (all optional: a zeroed struct means "unknown"). */
struct report_scan {
    int64_t id;
    int64_t group; /* its scan group: the group's first scan's id */
    time_t start, end;
    char scope_key[65];
    char args[512];
    int64_t prev_id;    /* previous finished scan of the same scope, 0 if none */
    time_t prev_start;  /* its start */
    char where[256];    /* the store, for the heading */
    bool incomplete;    /* not a complete coverage: interrupted, unfinished, or a shard missing */
    char coverage[256]; /* "scan #2: interrupted at 5.7% of its walk (SIGTERM)" */
    char note[256];     /* a newer scan not shown (it is not a complete coverage), or "" */
};

struct report;

/* A new report writing to fp (borrowed; the caller closes it). */
int report_new(struct report **out, const struct report_opts *o, FILE *fp, struct err *e);
void report_set_scan(struct report *r, const struct report_scan *sc);
/* Does this finding pass the report's filters? */
bool report_accepts(const struct report *r, const struct finding *f);
/*
 * Add one finding (copied as far as needed; f stays the caller's). Findings
 * the filters reject are ignored. Returns 0, or -1 (allocation or write
 * failure, in e).
 */
int report_add(struct report *r, const struct finding *f, struct err *e);
/* Does this report draw the history of the scope (so the caller should feed points)? */
bool report_wants_history(const struct report *r);
/* One point of the history: the findings of scan scan_id (started at t) that pass the filters,
 * counted by severity (index enum severity). Points may come in any order. */
int report_add_point(struct report *r, int64_t scan_id, time_t t, const int64_t by_sev[6],
                     struct err *e);
/* Write everything not yet written. Returns 0 or -1 (e.g. a write error on fp). */
int report_finish(struct report *r, struct err *e);
void report_free(struct report *r);

/*
 * The whole command: open the store at `where` (a path or postgresql://
 * URL; a missing file is an error, the report never creates a store), take
 * scan scan_id (0: the newest complete coverage), feed its findings and, for
 * HTML, the history of its scope (at most REPORT_HISTORY_MAX scans), and
 * write the report to fp. progress: print a progress line on stderr when
 * more than 100,000 findings are read.
 */
#define REPORT_HISTORY_MAX KIT_TREND_MAX
int report_run(const struct report_opts *o, const char *where, int64_t scan_id, FILE *fp,
               bool progress, struct err *e);

#endif
