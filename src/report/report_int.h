/*
 * report/report_int.h -- what the renderers of the report share: the
 * compact row kept per finding for the formats that need the whole picture
 * (text, HTML, clusters), the string arena those rows point into, the
 * certificate list, the history points, and small formatting helpers.
 * Private to src/report/.
 */
#ifndef AJAR_REPORT_INT_H
#define AJAR_REPORT_INT_H

#include "report/report.h"
#include "core/units.h"
#include "core/arena.h"

/* Strings of the rows, bump-allocated in chunks and freed at once. */

/* One finding as the text and HTML reports show it. */
struct report_row {
    const char *ip, *service, *product, *version;
    const char *via;        /* "kibana 127.0.0.1:5601", "" */
    const char *signals;    /* the ids, highest severity first, ", "-joined */
    const char *pii;        /* personal-data-schema detail, "" when none */
    const char *cluster;    /* "" when none */
    const char *owner;      /* the group under --by: kit_owner_of() with --by owner, the
                               provider, "AS37963 org" or the country otherwise
                               (REPORT_UNKNOWN_GROUP without the field); NULL without --by */
    const char *provider;   /* cloud.provider as people write it, "" absent */
    const char *org;        /* network.org, "" absent */
    const char *country;    /* geo.country, "" absent */
    uint32_t asn;           /* network.asn, 0 absent */
    const char *names;      /* the first few names, ", "-joined */
    const char *instance;   /* finding_instance(): the data store it reaches, "" unknown */
    int64_t records, bytes; /* -1 unknown */
    time_t time, first_seen;
    int64_t first_scan; /* the store's (finding.h), 0 unknown */
    uint16_t port;
    uint8_t auth, severity;
    bool shared;   /* its data store is counted at another row (report_mark_shared) */
    uint32_t also; /* the row counted for a store: how many other rows reach it */
};

struct report_cert {
    const char *sha256, *cn, *host; /* host: the first ip:port seen serving it */
    time_t not_after;
    bool expired;
    int hosts;
};

struct report_point {
    int64_t scan_id;
    time_t t;
    int64_t by_sev[6];
};

struct report_format_ops;

struct report {
    const struct report_format_ops *ops; /* the format's callbacks (formats.c) */
    struct report_opts o;
    FILE *fp;
    struct report_scan scan;
    bool have_scan;
    bool keep_rows; /* text, html, clusters */
    struct arena arena;
    struct report_row *rows;
    size_t nrows, caprows;
    size_t nshared; /* rows whose data store is counted at another (report_mark_shared) */
    struct report_cert *certs;
    size_t ncerts, capcerts;
    struct report_point *points;
    size_t npoints, cappoints;
    /* streaming state */
    uint64_t written;
    FILE *sarif_results; /* results are written here first, rules once all ids are known */
    char **rule_extra;   /* signal ids not in the built-in table, in order of appearance */
    size_t nrule_extra;
};

struct report_cluster;

/* Renderers (text.c, html.c, machine.c). */
/*
 * Rows that reach the same data store (the same finding_instance: every node of one cluster,
 * or a store seen directly and through a console) hold its data once: all but one get
 * `shared`, and the totals of records and bytes skip them. The one counted is exposed (when
 * one is), then has the most records, then the most bytes, then is reached directly rather
 * than through a console, then comes first. Returns how many rows were marked.
 */
size_t report_mark_shared(struct report *r);
/* Sum records and bytes (either may be NULL) over rows (reordered), each data store once: its
 * largest figures among these rows; rows whose store has no name count each. Returns how many
 * stores that is. For a subset of the rows (one owner's, one cluster's) where the row counted
 * overall may lie outside it. */
size_t report_rows_sum(const struct report_row **rows, size_t n, int64_t *records, int64_t *bytes);
/* Add a row's records and bytes to a total, unless its store is counted at another row. */
void report_row_count(const struct report_row *w, int64_t *records, int64_t *bytes);
/*
 * A report format: a table of callbacks (formats.c), as zmap's output modules are. A format
 * that keeps rows (text, html: the summary comes first) is handed nothing as findings come and
 * renders everything in finish; a streaming one (json, jsonl, csv, sarif, ocsf) writes each
 * finding in add, with begin and finish around. clusters renders --clusters (NULL: the format
 * has no such report). Any callback may be NULL (nothing to do).
 */
struct report_format_ops {
    const char *name;
    bool keeps_rows;
    bool wants_history; /* the scans before this one (report_add_point): the HTML chart */
    int (*begin)(struct report *r, struct err *e);
    int (*add)(struct report *r, const struct finding *f, struct err *e);
    int (*finish)(struct report *r, struct err *e);
    int (*clusters)(struct report *r, struct err *e);
};
/* The formats by enum report_format (formats.c). */
extern const struct report_format_ops *const report_formats[];
extern const size_t report_nformats;
/* Each renderer's own (text.c, html.c, machine.c). */
extern const struct report_format_ops report_ops_text, report_ops_html, report_ops_json,
    report_ops_jsonl, report_ops_csv, report_ops_sarif, report_ops_ocsf;
/* One OCSF Vulnerability Finding line for f (nothing for a finding without a signal); ocsf.c. */
int report_ocsf_add(struct report *r, const struct finding *f, const char *owner, struct err *e);

/* Shared helpers (report.c). */
/* Is the report grouped (--by anything)? */
static inline bool report_grouped(const struct report *r)
{
    return r->o.by != REPORT_BY_NONE;
}
/* Where a row is: "Alibaba Cloud · AS37963 · CN" (the parts known, " · "-joined), "" when
 * nothing is. */
void report_row_where(const struct report_row *w, char *out, size_t n);
/* How a cluster's members are spread over providers and ASNs: "3 members, all Alibaba Cloud,
 * AS37963" or "3 members: 2 Alibaba Cloud (AS37963), 1 unknown"; "" when no member has any
 * attribution. */
void report_cluster_spread(const struct report_cluster *c, char *out, size_t n);
bool report_row_exposed(const struct report_row *w);
/* Rows sorted: owner (with --by owner), severity (highest first), records, ip, port. */
void report_sort_rows(struct report *r);
/* Is f in the "personal data" sense (has a personal-data-schema signal)? */
bool report_has_pii(const struct finding *f);
/* One owner's totals (--by owner): findings, exposed, critical, records, personal-data records. */
struct report_owner_totals {
    size_t n, open, crit;
    int64_t rec, prec;
};
/* The totals of rows[i] and the rows after it of the same owner (rows sorted); the next owner's
 * first row. */
size_t report_owner_totals(const struct report *r, size_t i, struct report_owner_totals *t);

/* Clusters of identical deployments among the rows: index ranges into a sorted copy. */
struct report_cluster {
    const char *id, *product, *version;
    const struct report_row **members;
    size_t n;
    size_t stores; /* distinct data stores among the members (finding_instance; a member
                      whose store has no name counts as one), <= n */
};
/* Clusters with 2 or more members, largest first. *out is freed with report_clusters_free. */
int report_clusters(const struct report *r, struct report_cluster **out, size_t *n);
void report_clusters_free(struct report_cluster *c, size_t n);

#endif
