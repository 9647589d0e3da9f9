/*
 * web/view.c -- the in-memory finding index per scan group (see view.h for
 * what a view holds and what it costs).
 *
 * Building: one query over the group's observations joined with their
 * services (the record text read once, names, first seen and `via` pulled
 * out of it by a small scanner instead of a JSON parse, signal ids out of the
 * observation's signals column), strings interned, rows sorted by severity
 * and address, then one permutation per other sort order. 1,000,000
 * findings take a few seconds; every request after that is a walk over
 * arrays in memory plus the 50 records it shows.
 *
 * Querying (filter, order, cut) is in view_query.c; the cache of views
 * (web_views, wv_get/wv_put) and the trend's counts in view_cache.c.
 *
 * Sharing: web_views keeps WV_LRU views by group behind a mutex; a request
 * takes a reference (wv_get) and gives it back (wv_put); an evicted view is
 * freed by its last reader. One build per group at a time: a second request
 * for the same group waits for the first's build.
 */
#include "catalog/catalog.h"
#include "web/view.h"
#include "store/store.h"
#include "assess/signals.h"

#include "core/finding.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- intern ---- */

static uint32_t hash_str(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static int intern_init(struct wv_intern *t, struct arena *a)
{
    memset(t, 0, sizeof *t);
    t->cap = 64;
    t->s = xmalloc(t->cap * sizeof *t->s);
    t->nslot = 128;
    t->slot = xcalloc(t->nslot, sizeof *t->slot);
    if (!t->s || !t->slot) return -1;
    t->s[0] = arena_dup(a, "", 0);
    t->n = 1;
    return t->s[0] ? 0 : -1;
}

static void intern_free(struct wv_intern *t)
{
    free(t->s);
    free(t->slot);
}

/* The id of (s, n), added if new; UINT32_MAX when out of memory. */
static uint32_t intern(struct wv_intern *t, struct arena *a, const char *s, size_t n)
{
    if (n == 0) return 0;
    uint32_t h = hash_str(s, n), mask = t->nslot - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t id = t->slot[i];
        if (!id) break;
        const char *x = t->s[id - 1];
        if (strncmp(x, s, n) == 0 && x[n] == 0) return id - 1;
    }
    if (t->n == t->cap) {
        uint32_t nc = t->cap * 2;
        const char **ns = xrealloc(t->s, nc * sizeof *ns);
        if (!ns) return UINT32_MAX;
        t->s = ns;
        t->cap = nc;
    }
    if ((t->n + 1) * 2 > t->nslot) {
        uint32_t nn = t->nslot * 2;
        uint32_t *sl = xcalloc(nn, sizeof *sl);
        if (!sl) return UINT32_MAX;
        for (uint32_t id = 1; id < t->n; id++) {
            const char *x = t->s[id];
            uint32_t k = hash_str(x, strlen(x)) & (nn - 1);
            while (sl[k])
                k = (k + 1) & (nn - 1);
            sl[k] = id + 1;
        }
        free(t->slot);
        t->slot = sl;
        t->nslot = nn;
        mask = nn - 1;
    }
    const char *copy = arena_dup(a, s, n);
    if (!copy) return UINT32_MAX;
    uint32_t id = t->n++;
    t->s[id] = copy;
    uint32_t k = h & mask;
    while (t->slot[k])
        k = (k + 1) & mask;
    t->slot[k] = id + 1;
    return id;
}

int64_t wv_lookup(const struct wv_intern *t, const char *s)
{
    if (!s || !*s) return 0;
    size_t n = strlen(s);
    uint32_t mask = t->nslot - 1;
    for (uint32_t i = hash_str(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t id = t->slot[i];
        if (!id) return -2;
        if (strcmp(t->s[id - 1], s) == 0) return id - 1;
    }
}

int wv_signal_bit(const struct wv *v, const char *id)
{
    for (int i = 0; i < v->nsig; i++)
        if (!strcmp(v->sigid[i], id)) return i;
    return -2;
}

/* ---- reading the record text cheaply ---- */

/* s lowercased (ASCII) into out (cap bytes). */
static size_t lower_copy(char *out, size_t cap, const char *s)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && k + 1 < cap; p++)
        out[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    out[k] = 0;
    return k;
}

/* record_names' callback: each name interned, its id written as 3 non-zero bytes. */
struct names_key {
    struct wv *v;
    char *key;
    size_t k;
    bool oom;
};

static int name_key(void *arg, const char *name, size_t n)
{
    struct names_key *c = arg;
    char low[FINDING_MAX_NAME * 4 + 8];
    (void)n;
    size_t ll = lower_copy(low, sizeof low, name);
    uint32_t id = intern(&c->v->names, &c->v->arena, low, ll);
    if (id == UINT32_MAX) {
        c->oom = true;
        return 1;
    }
    if (id >= 255u * 255u * 255u) return 1;
    c->key[c->k++] = (char)(1 + id % 255);
    c->key[c->k++] = (char)(1 + id / 255 % 255);
    c->key[c->k++] = (char)(1 + id / (255 * 255));
    return 0;
}

/*
 * The set of the record's first WV_NAMES names (data.names, through the record's reader) as
 * interned name ids, each written as 3 non-zero bytes into key. Returns the key's length, or
 * SIZE_MAX when out of memory.
 */
static size_t names_of(struct wv *v, const char *rec, size_t len, char *key)
{
    struct names_key c = {v, key, 0, false};
    record_names(rec, len, WV_NAMES, name_key, &c, NULL);
    key[c.k] = 0;
    return c.oom ? SIZE_MAX : c.k;
}

/* The data store a record reaches (catalog_instance() on the record's text): its service's
 * identifying detail. 0 when it has none, UINT32_MAX out of memory. */
static uint32_t instance_of(struct wv *v, const char *svc, const char *rec, size_t len)
{
    const char *key = catalog_instance_key(svc);
    char val[128], k[200];
    if (!key || !record_detail(rec, len, key, val, sizeof val) || !finding_instance_id_ok(val))
        return 0;
    int kl = str_fmt(k, sizeof k, "%s/%s", svc, val);
    return kl > 0 ? intern(&v->instances, &v->arena, k, (size_t)kl) : 0;
}

/* The record's attribution as the view keys it: provider id, "AS<n>", country. */
static void attr_of(const char *rec, size_t len, char prov[32], char asn[16], char cc[3])
{
    uint32_t n = 0;
    record_attr(rec, len, prov, &n, cc);
    asn[0] = 0;
    if (n) str_fmt(asn, 16, "AS%u", n);
}

/* Per data store, one row counts its records and bytes: the kit's rule (kit_mark_shared, the
 * report's too); the others get WV_SHARED. */
static int mark_shared(struct wv *v)
{
    if (v->n < 2) return 0;
    struct kit_store_row *k = xcalloc(v->n, sizeof *k);
    bool *shared = xcalloc(v->n, sizeof *shared);
    size_t marked = 0;
    int rc = -1;
    if (k && shared) {
        for (size_t i = 0; i < v->n; i++) {
            const struct wv_row *w = &v->rows[i];
            k[i] = (struct kit_store_row){.instance =
                                              w->instance ? wv_str(&v->instances, w->instance) : "",
                                          .exposed = kit_auth_exposed(w->auth),
                                          .via = (w->flags & WV_VIA) != 0,
                                          .records = w->records,
                                          .bytes = w->bytes,
                                          .order = w->obs};
        }
        rc = kit_mark_shared(k, v->n, shared, NULL, &marked);
        if (rc == 0)
            for (size_t i = 0; i < v->n; i++)
                if (shared[i]) v->rows[i].flags |= WV_SHARED;
        v->shared = (int64_t)marked;
    }
    free(k);
    free(shared);
    return rc;
}

static int cmp_cluster_instance(const void *a, const void *b, void *arg)
{
    const struct wv *v = arg;
    const struct wv_row *x = &v->rows[*(const uint32_t *)a], *y = &v->rows[*(const uint32_t *)b];
    if (x->cluster != y->cluster) return x->cluster < y->cluster ? -1 : 1;
    return x->instance < y->instance ? -1 : x->instance > y->instance;
}

/* The named stores of every cluster: each (cluster, store) once, at its largest records. */
static int cluster_stores(struct wv *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)
        n += v->rows[i].cluster && v->rows[i].instance;
    if (!n) return 0;
    uint32_t *ix = xmalloc(n * sizeof *ix);
    if (!ix) return -1;
    n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->rows[i].cluster && v->rows[i].instance) ix[n++] = (uint32_t)i;
    qsort_r(ix, n, sizeof *ix, cmp_cluster_instance, v);
    for (size_t i = 0, j; i < n; i = j) {
        const struct wv_row *w = &v->rows[ix[i]];
        int64_t rec = w->records;
        for (j = i + 1; j < n && v->rows[ix[j]].cluster == w->cluster &&
                        v->rows[ix[j]].instance == w->instance;
             j++)
            if (v->rows[ix[j]].records > rec) rec = v->rows[ix[j]].records;
        v->cl_stores[w->cluster]++;
        finding_count_add(&v->cl_records[w->cluster], rec);
    }
    free(ix);
    return 0;
}

/* ---- building ---- */

int wv_sev_of(const char *s)
{
    enum severity v;
    if (!s || severity_parse(s, &v) < 0) return SEV_NONE;
    return (int)v;
}

static int auth_of(const char *s)
{
    for (int a = AUTH_UNKNOWN; a <= AUTH_PARTIAL; a++)
        if (s && !strcmp(s, auth_name((enum auth_state)a))) return a;
    return AUTH_UNKNOWN;
}

void wv_free(struct wv *v)
{
    if (!v) return;
    free(v->rows);
    for (int i = 0; i < WV_SORT_N; i++)
        free(v->perm[i]);
    free(v->rank_service);
    free(v->rank_prodver);
    intern_free(&v->services);
    intern_free(&v->prodvers);
    intern_free(&v->clusters);
    intern_free(&v->certs);
    intern_free(&v->owners);
    intern_free(&v->prodtexts);
    intern_free(&v->names);
    intern_free(&v->combos);
    intern_free(&v->instances);
    intern_free(&v->providers);
    intern_free(&v->asns);
    intern_free(&v->countries);
    free(v->col.provider);
    free(v->col.asn);
    free(v->col.country);
    free(v->prov_n);
    free(v->prov_sev);
    free(v->prov_open);
    free(v->asn_n);
    free(v->asn_sev);
    free(v->asn_open);
    free(v->country_n);
    free(v->country_sev);
    free(v->country_open);
    free(v->col.sev);
    free(v->col.auth);
    free(v->col.flags);
    free(v->col.service);
    free(v->col.cluster);
    free(v->col.owner);
    free(v->col.cert);
    free(v->col.prod);
    free(v->col.combo);
    free(v->col.sigs);
    free(v->col.ip4);
    free(v->ip_text);
    free(v->combo_off);
    free(v->combo_ids);
    free(v->svc_sev);
    free(v->owner_n);
    free(v->owner_sev);
    free(v->cl_size);
    free(v->cl_stores);
    free(v->cl_records);
    arena_free(&v->arena);
    free(v);
}

static int v6cmp(const char *a, const char *b)
{
    unsigned char x[16] = {0}, y[16] = {0};
    if (inet_pton(AF_INET6, a, x) != 1 || inet_pton(AF_INET6, b, y) != 1) return strcmp(a, b);
    return memcmp(x, y, 16);
}

/* Rows by address (IPv4 first, numerically), then port; 0 when both are the same. */
static int cmp_addr_port(const struct wv_row *a, const struct wv_row *b)
{
    int av6 = a->flags & WV_V6, bv6 = b->flags & WV_V6;
    if (av6 != bv6) return av6 ? 1 : -1;
    if (!av6) {
        if (a->ipv4 != b->ipv4) return a->ipv4 < b->ipv4 ? -1 : 1;
    } else {
        int c = v6cmp(a->ip, b->ip);
        if (c) return c;
    }
    return a->port != b->port ? (a->port < b->port ? -1 : 1) : 0;
}

static int cmp_addr_same(const struct wv *v, const struct wv_row *a, const struct wv_row *b)
{
    int c = cmp_addr_port(a, b);
    if (c) return c;
    uint32_t ra = v->rank_service[a->service], rb = v->rank_service[b->service];
    return ra < rb ? -1 : ra > rb ? 1 : 0;
}

int wv_cmp_key(const struct wv *va, const struct wv_row *a, const struct wv *vb,
               const struct wv_row *b)
{
    int c = cmp_addr_port(a, b);
    if (c) return c;
    return strcmp(wv_str(&va->services, a->service), wv_str(&vb->services, b->service));
}

static int cmp_row_default(const void *x, const void *y, void *arg)
{
    const struct wv_row *a = x, *b = y;
    if (a->severity != b->severity) return a->severity > b->severity ? -1 : 1;
    return cmp_addr_same(arg, a, b);
}

struct sort_ctx {
    const struct wv *v;
    enum wv_sort s;
};

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_perm(const void *x, const void *y, void *arg)
{
    const struct sort_ctx *c = arg;
    const struct wv *v = c->v;
    uint32_t i = *(const uint32_t *)x, k = *(const uint32_t *)y;
    const struct wv_row *a = &v->rows[i], *b = &v->rows[k];
    int d = 0;
    switch (c->s) {
    case WV_SORT_SERVICE:
        d = cmp_i64(v->rank_service[a->service], v->rank_service[b->service]);
        break;
    case WV_SORT_PRODUCT:
        d = cmp_i64(v->rank_prodver[a->prodver], v->rank_prodver[b->prodver]);
        break;
    case WV_SORT_RECORDS:
        d = -cmp_i64(a->records, b->records);
        break;
    case WV_SORT_BYTES:
        d = -cmp_i64(a->bytes, b->bytes);
        break;
    case WV_SORT_FIRST_SEEN:
        d = cmp_i64(a->first_seen, b->first_seen);
        break;
    default:
        break;
    }
    if (d) return d;
    if (c->s != WV_SORT_ADDRESS && a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    d = cmp_addr_same(v, a, b);
    return d ? d : cmp_i64(i, k);
}

static const struct wv_intern *rank_src;

static int cmp_ids(const void *x, const void *y)
{
    return strcmp(rank_src->s[*(const uint32_t *)x], rank_src->s[*(const uint32_t *)y]);
}

static pthread_mutex_t rank_mu = PTHREAD_MUTEX_INITIALIZER;

static uint32_t *make_rank(const struct wv_intern *t)
{
    uint32_t *ids = xmalloc((t->n ? t->n : 1) * sizeof *ids);
    uint32_t *rank = xmalloc((t->n ? t->n : 1) * sizeof *rank);
    if (!ids || !rank) {
        free(ids);
        free(rank);
        return NULL;
    }
    for (uint32_t i = 0; i < t->n; i++)
        ids[i] = i;
    pthread_mutex_lock(&rank_mu);
    rank_src = t;
    qsort(ids, t->n, sizeof *ids, cmp_ids);
    pthread_mutex_unlock(&rank_mu);
    for (uint32_t i = 0; i < t->n; i++)
        rank[ids[i]] = i;
    free(ids);
    return rank;
}

static int cmp_ip_text(const void *x, const void *y, void *arg)
{
    const struct wv *v = arg;
    return strcmp(wv_row_ip(v, *(const uint32_t *)x), wv_row_ip(v, *(const uint32_t *)y));
}

bool wv_in_scope(const struct web_ctx *ctx, const struct web_scope *scope, const char *ip,
                 const char *record)
{
    if (!scope) return true;
    const char *owner = ctx && ctx->owners && ip ? kit_owner_of(ctx->owners, ip) : "";
    char prov[32] = "", cc[3] = "";
    uint32_t asn = 0;
    if (record) record_attr(record, strlen(record), prov, &asn, cc);
    return web_scope_match(scope, owner ? owner : "", prov, asn);
}

/* record_signal_ids' callback: the signal's bit in the view, set on the row. */
struct sig_ctx {
    struct wv *v;
    struct wv_row *w;
};

static int signal_bit_of(void *arg, const char *id)
{
    struct sig_ctx *c = arg;
    struct wv *v = c->v;
    int b = wv_signal_bit(v, id);
    if (b < 0 && v->nsig < WV_MAX_SIGNALS) {
        b = v->nsig++;
        str_copy(v->sigid[b], id, sizeof v->sigid[b]);
    }
    if (b >= 0) c->w->sigs |= 1ull << b;
    if (signal_is(id, SIG_PERSONAL_DATA_SCHEMA)) c->w->flags |= WV_PII;
    return 0;
}

/* What build() hands each row of the group to. */
struct build_ctx {
    struct web_ctx *ctx;
    const struct web_scope *scope;
    struct wv *v;
    size_t cap;
    int oom;
};

static int build_row(void *arg, const struct store_obs_row *r)
{
    struct build_ctx *c = arg;
    struct wv *v = c->v;
    char text[400], key[WV_NAMES * 3 + 1];
    if (c->scope && !wv_in_scope(c->ctx, c->scope, r->address, r->record)) return 0;
    struct wv_row *nr = arr_grow(v->rows, v->n, &c->cap, sizeof *nr, 1024);
    if (!nr) return c->oom = 1;
    v->rows = nr;
    struct wv_row *w = &v->rows[v->n];
    memset(w, 0, sizeof *w);
    w->obs = r->obs;
    const char *ip = r->address;
    w->ip = arena_dup(&v->arena, ip, strlen(ip));
    if (!w->ip) return c->oom = 1;
    struct in_addr a4;
    if (inet_pton(AF_INET, ip, &a4) == 1)
        w->ipv4 = ntohl(a4.s_addr);
    else
        w->flags |= WV_V6;
    w->port = r->port;
    const char *svc = r->service;
    const char *prod = r->product;
    const char *ver = r->version;
    char pv[160];
    str_fmt(pv, sizeof pv, "%s%s%s", prod, *prod && *ver ? " " : "", ver);
    w->service = intern(&v->services, &v->arena, svc, strlen(svc));
    w->prodver = intern(&v->prodvers, &v->arena, pv, strlen(pv));
    w->auth = (uint8_t)auth_of(r->auth);
    w->severity = (uint8_t)wv_sev_of(r->severity);
    w->records = r->records;
    w->bytes = r->bytes;
    const char *cert = r->cert;
    const char *cl = r->cluster;
    w->cert = intern(&v->certs, &v->arena, cert, strlen(cert));
    w->cluster = intern(&v->clusters, &v->arena, cl, strlen(cl));
    const char *owner = c->ctx && c->ctx->owners ? kit_owner_of(c->ctx->owners, ip) : "";
    w->owner = intern(&v->owners, &v->arena, owner, strlen(owner));
    /* signals: the ids in the signals column (the record's "signals" array) */
    struct sig_ctx sc = {v, w};
    record_signal_ids(r->signals, strlen(r->signals), signal_bit_of, &sc);
    const char *rec = r->record;
    size_t rl = strlen(rec);
    char raw[400];
    str_fmt(raw, sizeof raw, "%s %s", svc, pv);
    size_t tl = lower_copy(text, sizeof text, raw);
    uint32_t ptid = intern(&v->prodtexts, &v->arena, text, tl);
    size_t kl = names_of(v, rec, rl, key);
    if (kl == SIZE_MAX || ptid == UINT32_MAX) return c->oom = 1;
    uint32_t combo = intern(&v->combos, &v->arena, key, kl);
    if (combo == UINT32_MAX) return c->oom = 1;
    w->prod = ptid;
    w->combo = combo;
    if (record_has_via(rec, rl)) w->flags |= WV_VIA;
    w->instance = instance_of(v, svc, rec, rl);
    if (w->instance == UINT32_MAX) return c->oom = 1;
    {
        char prov[32] = "", asn[16] = "", cc[3] = "";
        attr_of(rec, rl, prov, asn, cc);
        w->provider = intern(&v->providers, &v->arena, prov, strlen(prov));
        w->asn = intern(&v->asns, &v->arena, asn, strlen(asn));
        w->country = intern(&v->countries, &v->arena, cc, strlen(cc));
        if (w->provider == UINT32_MAX || w->asn == UINT32_MAX || w->country == UINT32_MAX)
            return c->oom = 1;
    }
    time_t fs = record_first_seen(rec, rl);
    w->first_seen = fs ? fs : r->service_first_seen;
    w->last_seen = r->seen_at;
    w->first_scan = r->first_scan;
    if (w->service == UINT32_MAX || w->prodver == UINT32_MAX || w->cert == UINT32_MAX ||
        w->cluster == UINT32_MAX || w->owner == UINT32_MAX)
        return c->oom = 1;
    v->n++;
    return 0;
}

/* The view's filter columns (an entry per row) and its aggregates (per service, owner, cluster,
 * provider, network, country), allocated: 0, or -1 when memory ran out (wv_free frees them). */
static int alloc_columns(struct wv *v)
{
    size_t nn = v->n ? v->n : 1;
    v->col.sev = xmalloc(nn);
    v->col.auth = xmalloc(nn);
    v->col.flags = xmalloc(nn);
    v->col.service = xmalloc(nn * 4);
    v->col.cluster = xmalloc(nn * 4);
    v->col.owner = xmalloc(nn * 4);
    v->col.cert = xmalloc(nn * 4);
    v->col.prod = xmalloc(nn * 4);
    v->col.combo = xmalloc(nn * 4);
    v->col.sigs = xmalloc(nn * 8);
    v->col.ip4 = xmalloc(nn * 16);
    v->col.provider = xmalloc(nn * 4);
    v->col.asn = xmalloc(nn * 4);
    v->col.country = xmalloc(nn * 4);
    if (!v->col.provider || !v->col.asn || !v->col.country) return -1;
    if (!v->col.sev || !v->col.auth || !v->col.flags || !v->col.service || !v->col.cluster ||
        !v->col.owner || !v->col.cert || !v->col.prod || !v->col.combo || !v->col.sigs ||
        !v->col.ip4)
        return -1;

    v->svc_sev = xcalloc(v->services.n * 6, sizeof *v->svc_sev);
    v->owner_n = xcalloc(v->owners.n, sizeof *v->owner_n);
    v->owner_sev = xcalloc(v->owners.n * 6, sizeof *v->owner_sev);
    v->cl_size = xcalloc(v->clusters.n, sizeof *v->cl_size);
    v->cl_stores = xcalloc(v->clusters.n, sizeof *v->cl_stores);
    v->cl_records = xcalloc(v->clusters.n, sizeof *v->cl_records);
    v->prov_n = xcalloc(v->providers.n, sizeof *v->prov_n);
    v->prov_sev = xcalloc(v->providers.n * 6, sizeof *v->prov_sev);
    v->prov_open = xcalloc(v->providers.n, sizeof *v->prov_open);
    if (!v->prov_n || !v->prov_sev || !v->prov_open) return -1;
    v->asn_n = xcalloc(v->asns.n, sizeof *v->asn_n);
    v->asn_sev = xcalloc(v->asns.n * 6, sizeof *v->asn_sev);
    v->asn_open = xcalloc(v->asns.n, sizeof *v->asn_open);
    v->country_n = xcalloc(v->countries.n, sizeof *v->country_n);
    v->country_sev = xcalloc(v->countries.n * 6, sizeof *v->country_sev);
    v->country_open = xcalloc(v->countries.n, sizeof *v->country_open);
    if (!v->asn_n || !v->asn_sev || !v->asn_open || !v->country_n || !v->country_sev ||
        !v->country_open)
        return -1;
    if (!v->svc_sev || !v->owner_n || !v->owner_sev || !v->cl_size || !v->cl_stores ||
        !v->cl_records)
        return -1;
    return 0;
}

/* Each row into the filter columns and the aggregates; the rows first seen in this scan group
 * (kit_new_in_scan) marked new. */
static void fill_columns(struct wv *v, int64_t group)
{
    for (size_t i = 0; i < v->n; i++) {
        struct wv_row *w = &v->rows[i];
        if (kit_new_in_scan(w->first_scan, w->first_seen, group, v->start)) {
            w->flags |= WV_NEW;
            v->newcount++;
        }
        v->col.sev[i] = w->severity;
        v->col.auth[i] = w->auth;
        v->col.flags[i] = w->flags;
        v->col.service[i] = w->service;
        v->col.cluster[i] = w->cluster;
        v->col.owner[i] = w->owner;
        v->col.provider[i] = w->provider;
        v->col.asn[i] = w->asn;
        v->col.country[i] = w->country;
        v->prov_n[w->provider]++;
        v->prov_sev[w->provider * 6 + w->severity]++;
        v->prov_open[w->provider] += kit_auth_exposed(w->auth);
        v->asn_n[w->asn]++;
        v->asn_sev[w->asn * 6 + w->severity]++;
        v->asn_open[w->asn] += kit_auth_exposed(w->auth);
        v->country_n[w->country]++;
        v->country_sev[w->country * 6 + w->severity]++;
        v->country_open[w->country] += kit_auth_exposed(w->auth);
        v->col.cert[i] = w->cert;
        v->col.prod[i] = w->prod;
        v->col.combo[i] = w->combo;
        v->col.sigs[i] = w->sigs;
        str_copy(v->col.ip4[i], w->flags & WV_V6 ? "" : w->ip, 16);
        v->by_sev[w->severity]++;
        v->svc_sev[w->service * 6 + w->severity]++;
        v->owner_n[w->owner]++;
        v->owner_sev[w->owner * 6 + w->severity]++;
        if (w->cluster) v->cl_size[w->cluster]++;
        if (w->cluster && !w->instance) { /* a store without a name: each member its own */
            v->cl_stores[w->cluster]++;
            finding_count_add(&v->cl_records[w->cluster], w->records);
        }
        if (kit_auth_exposed(w->auth)) {
            v->exposed++;
            if (!(w->flags & WV_SHARED)) {
                finding_count_add(&v->exp_records, w->records);
                finding_count_add(&v->exp_bytes, w->bytes);
            }
        }
        if (w->flags & WV_PII) v->pii++;
        if (w->flags & WV_VIA) v->via++;
        for (int b = 0; b < v->nsig; b++)
            if (w->sigs >> b & 1) v->sig_count[b]++;
    }
}

/* Build the view of a group; with a scope, of its observations within the scope only: a row out
 * of it is skipped before anything of it (a name, a count, a cluster) enters the view. */
int wv_build(struct web_ctx *ctx, struct db *db, int64_t group, const struct web_scope *scope,
             struct wv **out, struct err *e)
{
    int64_t t0 = now_ms();
    struct wv *v = xcalloc(1, sizeof *v);
    if (!v) return err_set(e, "out of memory");
    v->arena.chunk = 1u << 20; /* a view's strings run to megabytes */
    v->group = group;
    if (intern_init(&v->services, &v->arena) < 0 || intern_init(&v->prodvers, &v->arena) < 0 ||
        intern_init(&v->clusters, &v->arena) < 0 || intern_init(&v->certs, &v->arena) < 0 ||
        intern_init(&v->owners, &v->arena) < 0 || intern_init(&v->prodtexts, &v->arena) < 0 ||
        intern_init(&v->names, &v->arena) < 0 || intern_init(&v->combos, &v->arena) < 0 ||
        intern_init(&v->instances, &v->arena) < 0 || intern_init(&v->providers, &v->arena) < 0 ||
        intern_init(&v->asns, &v->arena) < 0 || intern_init(&v->countries, &v->arena) < 0)
        goto oom;
    if (store_group_sig(db, group, v->sig, &v->finished, &v->start, &v->end, v->scope, e) < 0)
        goto fail;
    v->checked = now_ms();
    struct build_ctx *bc = xcalloc(1, sizeof *bc);
    if (!bc) goto oom;
    *bc = (struct build_ctx){.ctx = ctx, .scope = scope, .v = v};
    int rr = store_group_rows(db, group, build_row, bc, e);
    int boom = bc->oom;
    free(bc);
    if (boom) goto oom;
    if (rr < 0) goto fail;

    /* order, ranks, permutations */
    v->rank_service = make_rank(&v->services);
    v->rank_prodver = make_rank(&v->prodvers);
    if (!v->rank_service || !v->rank_prodver) goto oom;
    if (v->n) qsort_r(v->rows, v->n, sizeof *v->rows, cmp_row_default, v);
    for (int s = 1; s < WV_SORT_N; s++) {
        v->perm[s] = xmalloc((v->n ? v->n : 1) * sizeof(uint32_t));
        if (!v->perm[s]) goto oom;
        for (size_t i = 0; i < v->n; i++)
            v->perm[s][i] = (uint32_t)i;
        struct sort_ctx sc = {v, (enum wv_sort)s};
        if (v->n) qsort_r(v->perm[s], v->n, sizeof(uint32_t), cmp_perm, &sc);
    }

    /* the name sets, flat: combo i's name ids are combo_ids[combo_off[i] .. combo_off[i+1]) */
    {
        size_t total = 0;
        for (uint32_t i = 0; i < v->combos.n; i++)
            total += strlen(v->combos.s[i]) / 3;
        v->combo_off = xmalloc(((size_t)v->combos.n + 1) * sizeof *v->combo_off);
        v->combo_ids = xmalloc((total ? total : 1) * sizeof *v->combo_ids);
        if (!v->combo_off || !v->combo_ids) goto oom;
        uint32_t k = 0;
        for (uint32_t i = 0; i < v->combos.n; i++) {
            v->combo_off[i] = k;
            for (const unsigned char *p = (const unsigned char *)v->combos.s[i]; p[0]; p += 3)
                v->combo_ids[k++] = (uint32_t)(p[0] - 1) + (uint32_t)(p[1] - 1) * 255 +
                                    (uint32_t)(p[2] - 1) * 255 * 255;
        }
        v->combo_off[v->combos.n] = k;
    }

    if (mark_shared(v) < 0) goto oom;

    /* the filter columns and the aggregates */
    if (alloc_columns(v) < 0) goto oom;
    fill_columns(v, group);
    if (cluster_stores(v) < 0) goto oom;
    /* addresses as text, sorted: a prefix search is a binary search */
    v->ip_text = xmalloc((v->n ? v->n : 1) * sizeof(uint32_t));
    if (!v->ip_text) goto oom;
    for (size_t i = 0; i < v->n; i++)
        v->ip_text[i] = (uint32_t)i;
    if (v->n) qsort_r(v->ip_text, v->n, sizeof(uint32_t), cmp_ip_text, v);
    for (uint32_t c = 1; c < v->clusters.n; c++)
        if (v->cl_size[c] >= 2) v->ncl++;
    v->build_ms = now_ms() - t0;
    if (v->n >= 100000)
        log_info("ajar serve: indexed %zu findings of scan group %lld in %lld ms", v->n,
                 (long long)group, (long long)v->build_ms);
    *out = v;
    return 0;
oom:
    err_set(e, "out of memory indexing scan group %lld", (long long)group);
fail:
    wv_free(v);
    return -1;
}
