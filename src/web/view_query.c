/*
 * web/view_query.c -- querying a view (see view.h): filter column by
 * column into a bitmap, the search matched once per distinct string, then
 * order by a precomputed permutation and cut a page.
 */
#include "web/view.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- querying ---- */

int wv_filter_prepare(const struct wv *v, struct wv_filter *f, uint8_t **hit)
{
    *hit = NULL;
    if (!f->q || !*f->q) {
        f->q = NULL;
        return 0;
    }
    size_t np = v->prodtexts.n, nn = v->names.n, nc = v->combos.n;
    uint8_t *h = xcalloc(np + nn + nc + 1, 1);
    if (!h) return -1;
    uint8_t *ph = h, *nh = h + np, *ch = h + np + nn;
    for (uint32_t i = 0; i < np; i++)
        ph[i] = strstr(v->prodtexts.s[i], f->q) != NULL;
    bool any = false;
    for (uint32_t i = 1; i < nn; i++)
        any |= (nh[i] = strstr(v->names.s[i], f->q) != NULL);
    if (any) {
        /* a set of names matches when one of its names does (the sets, flat, in order) */
        const uint32_t *off = v->combo_off, *ids = v->combo_ids;
        for (uint32_t i = 1; i < nc; i++) {
            uint8_t m = 0;
            for (uint32_t j = off[i]; j < off[i + 1]; j++)
                m |= nh[ids[j]];
            ch[i] = m;
        }
    }
    f->q_ip = true;
    for (const char *p = f->q; *p; p++)
        if (!strchr("0123456789abcdef.:", *p)) f->q_ip = false;
    f->prod_hit = ph;
    f->combo_hit = ch;
    *hit = h;
    return 0;
}

static bool filter_empty(const struct wv_filter *f)
{
    return !f->sev_mask && f->service == -1 && f->signal == -1 && f->cluster == -1 &&
           f->owner == -1 && f->cert == -1 && f->provider <= 0 && f->asn <= 0 && f->country <= 0 &&
           f->auth < 0 && !f->pii && !f->fresh && !f->via && !f->q;
}

/*
 * One filter over one column into the bitmap: the first pass writes the
 * words, later passes narrow them and skip words already empty.
 */
#define PASS(cond)                                                                                 \
    do {                                                                                           \
        for (size_t wd = 0; wd < nw; wd++) {                                                       \
            if (!first && !bm[wd]) continue;                                                       \
            size_t lo = wd * 64, hi = lo + 64 < n ? lo + 64 : n;                                   \
            uint64_t m = 0;                                                                        \
            for (size_t i = lo; i < hi; i++)                                                       \
                m |= (uint64_t)(cond) << (i - lo);                                                 \
            bm[wd] = first ? m : bm[wd] & m;                                                       \
        }                                                                                          \
        first = false;                                                                             \
    } while (0)

/* The address starts with q (an address is searched by its beginning: "10.1.", "fd00:"). */
/* Mark in hit (a zeroed bitmap) the rows whose address starts with q: one range of ip_text. */
static void ip_prefix_hits(const struct wv *v, const char *q, uint64_t *hit)
{
    size_t ql = strlen(q), lo = 0, hi = v->n;
    while (lo < hi) { /* the first address >= q */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(wv_row_ip(v, v->ip_text[mid]), q) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < v->n; k++) {
        uint32_t i = v->ip_text[k];
        if (strncmp(wv_row_ip(v, i), q, ql) != 0) break;
        hit[i / 64] |= 1ull << (i % 64);
    }
}

static void fill(const struct wv *v, const struct wv_filter *f, uint64_t *bm, size_t nw)
{
    size_t n = v->n;
    bool first = true;
    const uint8_t *sev = v->col.sev, *auth = v->col.auth, *flags = v->col.flags;
    if (f->sev_mask) {
        uint8_t mask = f->sev_mask;
        PASS(mask >> sev[i] & 1);
    }
    if (f->service != -1) {
        uint32_t x = (uint32_t)f->service;
        PASS(v->col.service[i] == x);
    }
    if (f->signal != -1) {
        uint64_t bit = 1ull << f->signal;
        PASS((v->col.sigs[i] & bit) != 0);
    }
    if (f->cluster != -1) {
        uint32_t x = (uint32_t)f->cluster;
        PASS(v->col.cluster[i] == x);
    }
    if (f->owner != -1) {
        uint32_t x = (uint32_t)f->owner;
        PASS(v->col.owner[i] == x);
    }
    if (f->cert != -1) {
        uint32_t x = (uint32_t)f->cert;
        PASS(v->col.cert[i] == x);
    }
    if (f->provider > 0) {
        uint32_t x = (uint32_t)f->provider;
        PASS(v->col.provider[i] == x);
    }
    if (f->asn > 0) {
        uint32_t x = (uint32_t)f->asn;
        PASS(v->col.asn[i] == x);
    }
    if (f->country > 0) {
        uint32_t x = (uint32_t)f->country;
        PASS(v->col.country[i] == x);
    }
    if (f->auth >= 0) {
        uint8_t x = (uint8_t)f->auth;
        PASS(auth[i] == x);
    }
    uint8_t fl = (uint8_t)((f->pii ? WV_PII : 0) | (f->fresh ? WV_NEW : 0) | (f->via ? WV_VIA : 0));
    if (fl) PASS((flags[i] & fl) == fl);
    if (f->q) {
        const uint8_t *ph = f->prod_hit, *ch = f->combo_hit;
        const uint32_t *prod = v->col.prod, *combo = v->col.combo;
        uint64_t *iph = f->q_ip ? xcalloc(nw ? nw : 1, sizeof *iph) : NULL;
        if (iph) {
            ip_prefix_hits(v, f->q, iph);
            PASS((ph[prod[i]] | ch[combo[i]]) | (uint8_t)(iph[i / 64] >> (i % 64) & 1));
            free(iph);
        } else {
            PASS(ph[prod[i]] | ch[combo[i]]); /* no branch: half the rows may match */
        }
    }
}

static size_t popcount_all(const uint64_t *bm, size_t nw)
{
    size_t c = 0;
    for (size_t i = 0; i < nw; i++)
        c += (size_t)__builtin_popcountll(bm[i]);
    return c;
}

size_t wv_query(const struct wv *v, const struct wv_filter *f, enum wv_sort s, bool reverse,
                size_t off, size_t lim, uint32_t *out, size_t *nout)
{
    *nout = 0;
    if (f->none || !v->n) return 0;
    const uint32_t *perm = (s > WV_SORT_SEVERITY && s < WV_SORT_N) ? v->perm[s] : NULL;
    size_t n = v->n;
    if (filter_empty(f)) {
        for (size_t k = off; k < n && *nout < lim; k++) {
            size_t j = reverse ? n - 1 - k : k;
            out[(*nout)++] = perm ? perm[j] : (uint32_t)j;
        }
        return n;
    }
    size_t nw = (n + 63) / 64;
    uint64_t *bm = xmalloc(nw * sizeof *bm);
    if (!bm) return 0;
    fill(v, f, bm, nw);
    size_t total = popcount_all(bm, nw);
    if (off < total) {
        if (!perm) {
            /* the rows' own order: skip whole words by their counts */
            size_t seen = 0;
            for (size_t k = 0; k < nw && *nout < lim; k++) {
                size_t wd = reverse ? nw - 1 - k : k;
                uint64_t m = bm[wd];
                size_t c = (size_t)__builtin_popcountll(m);
                if (seen + c <= off) {
                    seen += c;
                    continue;
                }
                for (int b = 0; b < 64 && *nout < lim; b++) {
                    int bit = reverse ? 63 - b : b;
                    if (!(m >> bit & 1)) continue;
                    if (seen++ >= off) out[(*nout)++] = (uint32_t)(wd * 64 + (size_t)bit);
                }
            }
        } else {
            size_t seen = 0;
            for (size_t k = 0; k < n && *nout < lim; k++) {
                uint32_t i = perm[reverse ? n - 1 - k : k];
                if (!(bm[i / 64] >> (i % 64) & 1)) continue;
                if (seen++ >= off) out[(*nout)++] = i;
            }
        }
    }
    free(bm);
    return total;
}
