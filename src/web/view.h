/*
 * web/view.h -- the dashboard's in-memory finding index (view.c), private
 * to src/web/.
 *
 * One view per scan group: every observation of the group's scans, one
 * compact row each (88 bytes plus the address text) for display and
 * ordering, the same facts again as columns (one array per fact, 51 bytes a
 * row) for filtering, the strings they share interned once (service,
 * "product version", cluster, certificate, owner; for the search the
 * lowercase "service product version" text, each distinct name, and each
 * distinct set of a finding's first WV_NAMES names), and one precomputed
 * permutation per sort order (4 bytes a row each). About 190 bytes a
 * finding in all, plus the distinct strings: 1,000,000 findings take about
 * 200 MB. The record JSON is read once per finding while building (names,
 * first seen and `via` by a cheap scan of the text, not a full parse) and
 * not kept.
 *
 * A query filters column by column into a bitmap (one bit a row), so a
 * filter reads only the bytes of its own column; the search text is matched
 * once per distinct string, never once per row, except the address.
 *
 * A view is immutable once built, so any number of requests read it
 * without a lock; web_views keeps the four most recently used, per group and scope (LRU, a
 * mutex, reference counts). A view of a finished group never goes stale;
 * one with an unfinished scan is checked at most every 2 s (scans and
 * observation counts) and rebuilt when it changed.
 */
#ifndef AJAR_WEB_VIEW_H
#define AJAR_WEB_VIEW_H

#include "web/record_text.h"
#include "web/web.h"
#include "core/arena.h"

#include <stdint.h>

#define WV_NAMES       16 /* names per finding the search looks at */
#define WV_MAX_SIGNALS 64 /* distinct signal ids a view tells apart (a bit each) */
#define WV_LRU         4  /* views kept: per group and scope */

enum {
    WV_V6 = 1,     /* the address is IPv6 (ipv4 unused) */
    WV_PII = 2,    /* a personal-data-schema signal */
    WV_NEW = 4,    /* first seen in this group (the exposure opened since the scan before) */
    WV_VIA = 8,    /* reached through a console */
    WV_SHARED = 16 /* its data store is counted at another finding (finding_instance) */
};

struct wv_row {
    int64_t obs;            /* observations.id */
    int64_t records, bytes; /* -1 unknown */
    int64_t first_seen, last_seen;
    int64_t first_scan; /* the store's (dash.h), 0 unknown */
    uint64_t sigs;      /* bit i: signal id i of the view */
    const char *ip;
    uint32_t ipv4;                                   /* numeric, for ordering */
    uint32_t service, prodver, cluster, cert, owner; /* interned ids; 0 = none */
    uint32_t prod, combo;                            /* search: prodtexts and combos ids */
    uint32_t instance; /* instances id: the data store it reaches (finding_instance), 0 unknown */
    uint32_t provider, asn, country; /* interned cloud.provider, "AS<n>", geo.country; 0 none */
    uint16_t port;
    uint8_t severity, auth, flags;
};

/* Interned strings: id -> string, string -> id. Id 0 is "". */
struct wv_intern {
    const char **s;
    uint32_t n, cap;
    uint32_t *slot; /* open addressing: id+1, 0 empty */
    uint32_t nslot;
};

enum wv_sort {
    WV_SORT_SEVERITY = 0, /* the rows' own order: severity desc, address, port, service */
    WV_SORT_ADDRESS,
    WV_SORT_SERVICE,
    WV_SORT_PRODUCT,
    WV_SORT_RECORDS,    /* most first */
    WV_SORT_BYTES,      /* most first */
    WV_SORT_FIRST_SEEN, /* oldest first */
    WV_SORT_N
};

struct wv {
    int64_t group;
    time_t start;    /* the group's first scan start */
    time_t end;      /* the group's last end, 0 while unfinished */
    char scope[65];  /* scope_key */
    bool finished;   /* every shard ended: the view never changes */
    int64_t sig[5];  /* what the staleness check compares */
    int64_t checked; /* now_ms() of the last check */
    int refs;        /* under web_views' mutex */
    int64_t build_ms;

    struct wv_row *rows; /* ordered as WV_SORT_SEVERITY */
    size_t n;
    uint32_t *perm[WV_SORT_N];             /* perm[WV_SORT_SEVERITY] is NULL: the rows' own order */
    uint32_t *rank_service, *rank_prodver; /* id -> position in string order */

    struct wv_intern services, prodvers, clusters, certs, owners;
    /* search: "service product version" lowercase; names lowercase; sets of names (each name
     * id as 3 non-zero bytes) */
    struct wv_intern prodtexts, names, combos;
    struct wv_intern instances; /* "service/id" of finding_instance() */
    /* attribution (docs/attribution.md): cloud.provider ids, "AS37963", ISO country codes */
    struct wv_intern providers, asns, countries;
    uint32_t *combo_off, *combo_ids; /* the sets flat: ids of set i at [off[i], off[i+1]) */
    /* the filter columns, in row order */
    struct {
        uint8_t *sev, *auth, *flags;
        uint32_t *service, *cluster, *owner, *cert, *prod, *combo;
        uint32_t *provider, *asn, *country;
        uint64_t *sigs;
        char (*ip4)[16]; /* dotted IPv4, "" for IPv6 (rows[i].ip then) */
    } col;
    uint32_t *ip_text; /* rows by address as text: an address prefix is one range */
    char sigid[WV_MAX_SIGNALS][48];
    int nsig;
    struct arena arena; /* the view's strings (1 MiB chunks) */

    /* aggregates for the overview, made while building */
    int64_t by_sev[6];
    int64_t exposed;                 /* auth none or partial */
    int64_t exp_records, exp_bytes;  /* summed over exposed rows, unknown as 0, each data store
                                        once (rows with WV_SHARED skipped) */
    int64_t shared;                  /* rows with WV_SHARED */
    int64_t pii, newcount, via, ncl; /* ncl: clusters with 2+ members */
    int64_t sig_count[WV_MAX_SIGNALS];
    int64_t *svc_sev;                    /* [services.n][6] */
    int64_t *owner_n;                    /* [owners.n] */
    int64_t *owner_sev;                  /* [owners.n][6] */
    int64_t *prov_n;                     /* [providers.n] findings per provider (0: none known) */
    int64_t *prov_sev;                   /* [providers.n][6] */
    int64_t *prov_open;                  /* [providers.n] exposed (auth none or partial) */
    int64_t *asn_n, *asn_sev, *asn_open; /* the same per AS ([asns.n]) */
    int64_t *country_n, *country_sev, *country_open; /* and per country ([countries.n]) */
    uint32_t *cl_size;                               /* [clusters.n] */
    uint32_t *cl_stores; /* [clusters.n] distinct data stores among the members (an unnamed
                            one each) */
    int64_t *cl_records; /* [clusters.n] their records, each store once at its largest */
};

/* What the findings page asks for. */
struct wv_filter {
    uint8_t sev_mask;                     /* bit s: severity s allowed; 0 = any */
    int64_t service;                      /* interned id, -1 any, -2 matches nothing */
    int64_t cluster, owner, cert, signal; /* same (signal: bit index) */
    int64_t provider, asn, country;       /* interned ids; 0 or -1 any, -2 matches nothing */
    int auth;                             /* -1 any, else enum auth_state */
    bool pii, fresh, via;                 /* only personal-data / new / reached through a console */
    const char *q;                        /* lowercase, NULL = none */
    const uint8_t *prod_hit, *combo_hit;  /* [prodtexts.n], [combos.n] (wv_filter_prepare) */
    bool q_ip;                            /* q may match an address */
    bool none;                            /* nothing can match */
};

/* Build a view (view.c; the cache's, and a caller without one), and free it. */
int wv_build(struct web_ctx *ctx, struct db *db, int64_t group, const struct web_scope *scope,
             struct wv **out, struct err *e);
void wv_free(struct wv *v);
/* A severity's index 0..5 from its name. */
int wv_sev_of(const char *s);

/* A view of the group (built now if needed); *out holds a reference until wv_put. With a
 * scope (a viewer's, web/scope.h), the view holds only the group's observations within it, and
 * every aggregate, name and id of the view derives from those alone. */
int wv_get(struct web_ctx *ctx, struct db *db, int64_t group, const struct web_scope *scope,
           struct wv **out, struct err *e);
/* An observation (its address and record JSON) within the scope? (NULL scope: yes.) */
bool wv_in_scope(const struct web_ctx *ctx, const struct web_scope *scope, const char *ip,
                 const char *record);
void wv_put(struct web_ctx *ctx, struct wv *v);
/* The group's view if the cache holds it already (a reference, for wv_put), else NULL: never
 * builds, never evicts, may be up to 2 s behind a running scan. For hints on pages that do not
 * need the view (a finding's page), so that opening an old finding costs no index build. */
struct wv *wv_peek(struct web_ctx *ctx, int64_t group, const struct web_scope *scope);

/* The interned id of s, -2 when the view has no such string. */
int64_t wv_lookup(const struct wv_intern *t, const char *s);
/* Row i's address as text (IPv4 from its column, IPv6 from the row). */
static inline const char *wv_row_ip(const struct wv *v, size_t i)
{
    return v->col.ip4[i][0] ? v->col.ip4[i] : v->rows[i].ip;
}
static inline const char *wv_str(const struct wv_intern *t, uint32_t id)
{
    return id < t->n ? t->s[id] : "";
}
int wv_signal_bit(const struct wv *v, const char *id); /* -2 when unknown */

/* Ready the search of f->q (*hit is the caller's to free). 0 or -1 (memory). */
int wv_filter_prepare(const struct wv *v, struct wv_filter *f, uint8_t **hit);
/*
 * Filter, order and cut: the total number of matching rows; out gets the row
 * indexes of matches [off, off+lim) in the order asked (reverse flips it).
 */
size_t wv_query(const struct wv *v, const struct wv_filter *f, enum wv_sort s, bool reverse,
                size_t off, size_t lim, uint32_t *out, size_t *nout);
/* Order of two rows of possibly different views by (address, port, service). */
int wv_cmp_key(const struct wv *va, const struct wv_row *a, const struct wv *vb,
               const struct wv_row *b);

/* Severity counts of a group for the trend chart (cached per finished group). */
int wv_group_counts(struct web_ctx *ctx, struct db *db, int64_t group, bool finished,
                    const struct web_scope *scope, int64_t out[6], struct err *e);

#endif
