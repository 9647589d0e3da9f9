/*
 * web/view_cache.c -- the views kept (see view.h): web_views holds WV_LRU
 * views by (group, scope) behind a mutex; a request takes a reference
 * (wv_get) and gives it back (wv_put); an evicted view is freed by its last
 * reader; one build per (group, scope) at a time. And the trend's severity
 * counts per group, cached for finished groups.
 */
#include "web/view.h"
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the cache ---- */

struct wv_slot {
    int64_t group;
    char *scope; /* the scope's text (web/scope.h), NULL: every finding */
    struct wv *v;
    bool building;
    int64_t used;
};

#define WV_COUNTS_MAX 64

struct web_views {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wv_slot slot[WV_LRU];
    int64_t tick;
    struct {
        int64_t group;
        char *scope; /* as in wv_slot */
        int64_t by_sev[6];
    } counts[WV_COUNTS_MAX];
    int ncounts, next_count;
};

int web_views_new(struct web_views **out, const char *where, struct err *e)
{
    (void)where;
    struct web_views *w = xcalloc(1, sizeof *w);
    if (!w) return err_set(e, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    *out = w;
    return 0;
}

void web_views_free(struct web_views *w)
{
    if (!w) return;
    for (int i = 0; i < WV_LRU; i++) {
        if (w->slot[i].v && --w->slot[i].v->refs == 0) wv_free(w->slot[i].v);
        free(w->slot[i].scope);
    }
    for (int i = 0; i < w->ncounts; i++)
        free(w->counts[i].scope);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

static void unref(struct wv *v)
{
    if (v && --v->refs == 0) wv_free(v);
}

/* The same scope: both every finding, or the same text. */
static bool scope_same(const char *slot, const struct web_scope *scope)
{
    if (!scope) return slot == NULL;
    return slot && strcmp(slot, scope->text) == 0;
}

int wv_get(struct web_ctx *ctx, struct db *db, int64_t group, const struct web_scope *scope,
           struct wv **out, struct err *e)
{
    struct web_views *w = ctx ? ctx->views : NULL;
    *out = NULL;
    if (!w) {
        if (wv_build(ctx, db, group, scope, out, e) < 0) return -1;
        (*out)->refs = 1;
        return 0;
    }
    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct wv_slot *s = NULL;
        for (int i = 0; i < WV_LRU; i++)
            if ((w->slot[i].v || w->slot[i].building) && w->slot[i].group == group &&
                scope_same(w->slot[i].scope, scope))
                s = &w->slot[i];
        if (s && s->building) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        if (s) {
            struct wv *v = s->v;
            s->used = ++w->tick;
            int64_t now = now_ms();
            bool check = !v->finished && now - v->checked >= 2000;
            if (!check) {
                v->refs++;
                pthread_mutex_unlock(&w->mu);
                *out = v;
                return 0;
            }
            v->checked = now;
            v->refs++;
            pthread_mutex_unlock(&w->mu);
            int64_t sig[5];
            bool fin;
            if (store_group_sig(db, group, sig, &fin, NULL, NULL, NULL, e) < 0) {
                pthread_mutex_lock(&w->mu);
                unref(v);
                pthread_mutex_unlock(&w->mu);
                return -1;
            }
            if (!memcmp(sig, v->sig, sizeof sig)) {
                *out = v;
                return 0;
            }
            /* stale: drop it from the cache and build afresh */
            pthread_mutex_lock(&w->mu);
            unref(v);
            for (int i = 0; i < WV_LRU; i++)
                if (w->slot[i].v == v) {
                    w->slot[i].v = NULL;
                    w->slot[i].group = 0;
                    free(w->slot[i].scope);
                    w->slot[i].scope = NULL;
                    unref(v);
                }
            continue;
        }
        /* not cached: take the least recently used slot that is not building */
        struct wv_slot *victim = NULL;
        for (int i = 0; i < WV_LRU; i++) {
            struct wv_slot *c = &w->slot[i];
            if (c->building) continue;
            if (!victim || (!c->v && victim->v) || (c->v && victim->v && c->used < victim->used))
                victim = c;
        }
        if (!victim) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        char *sc = scope ? strdup(scope->text) : NULL;
        if (scope && !sc) {
            pthread_mutex_unlock(&w->mu);
            return err_set(e, "out of memory");
        }
        if (victim->v) unref(victim->v);
        free(victim->scope);
        victim->v = NULL;
        victim->group = group;
        victim->scope = sc;
        victim->building = true;
        victim->used = ++w->tick;
        pthread_mutex_unlock(&w->mu);
        struct wv *v = NULL;
        int rc = wv_build(ctx, db, group, scope, &v, e);
        pthread_mutex_lock(&w->mu);
        victim->building = false;
        if (rc == 0) {
            v->refs = 2; /* the cache's and the caller's */
            victim->v = v;
        } else {
            victim->group = 0;
            free(victim->scope);
            victim->scope = NULL;
        }
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        *out = v;
        return rc;
    }
}

struct wv *wv_peek(struct web_ctx *ctx, int64_t group, const struct web_scope *scope)
{
    struct web_views *w = ctx ? ctx->views : NULL;
    struct wv *v = NULL;
    if (!w) return NULL;
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < WV_LRU && !v; i++)
        if (w->slot[i].v && !w->slot[i].building && w->slot[i].group == group &&
            scope_same(w->slot[i].scope, scope))
            v = w->slot[i].v;
    if (v) v->refs++;
    pthread_mutex_unlock(&w->mu);
    return v;
}

void wv_put(struct web_ctx *ctx, struct wv *v)
{
    if (!v) return;
    struct web_views *w = ctx ? ctx->views : NULL;
    if (!w) {
        wv_free(v);
        return;
    }
    pthread_mutex_lock(&w->mu);
    unref(v);
    pthread_mutex_unlock(&w->mu);
}

/* A row of (severity, count): added to the int64_t[6] by severity at arg. */
static int row_sev_count(void *arg, const char *severity, int64_t n)
{
    ((int64_t *)arg)[wv_sev_of(severity)] += n;
    return 0;
}

/* A row of the group within the scope: counted by severity. */
struct scoped_count {
    const struct web_ctx *ctx;
    const struct web_scope *scope;
    int64_t *out;
};

static int row_scoped_count(void *arg, const struct store_obs_row *r)
{
    struct scoped_count *c = arg;
    if (wv_in_scope(c->ctx, c->scope, r->address, r->record)) c->out[wv_sev_of(r->severity)]++;
    return 0;
}

int wv_group_counts(struct web_ctx *ctx, struct db *db, int64_t group, bool finished,
                    const struct web_scope *scope, int64_t out[6], struct err *e)
{
    struct web_views *w = ctx ? ctx->views : NULL;
    memset(out, 0, 6 * sizeof *out);
    if (w && finished) {
        pthread_mutex_lock(&w->mu);
        for (int i = 0; i < w->ncounts; i++)
            if (w->counts[i].group == group && scope_same(w->counts[i].scope, scope)) {
                memcpy(out, w->counts[i].by_sev, 6 * sizeof *out);
                pthread_mutex_unlock(&w->mu);
                return 0;
            }
        /* a cached view of the group knows them already */
        for (int i = 0; i < WV_LRU; i++)
            if (w->slot[i].v && w->slot[i].group == group && scope_same(w->slot[i].scope, scope)) {
                memcpy(out, w->slot[i].v->by_sev, 6 * sizeof *out);
                pthread_mutex_unlock(&w->mu);
                goto cache;
            }
        pthread_mutex_unlock(&w->mu);
    }
    if (scope) {
        /* the scope is a rule over the address and the record: applied to each row as it is
         * read, as the view's build does */
        struct scoped_count c = {ctx, scope, out};
        if (store_group_rows(db, group, row_scoped_count, &c, e) < 0) return -1;
    } else if (store_group_severities(db, group, row_sev_count, out, e) < 0)
        return -1;
cache:
    if (w && finished) {
        char *sc = scope ? strdup(scope->text) : NULL;
        if (scope && !sc) return 0; /* not cached: counted again next time */
        pthread_mutex_lock(&w->mu);
        int i = w->ncounts < WV_COUNTS_MAX ? w->ncounts++ : w->next_count++ % WV_COUNTS_MAX;
        free(w->counts[i].scope);
        w->counts[i].group = group;
        w->counts[i].scope = sc;
        memcpy(w->counts[i].by_sev, out, 6 * sizeof *out);
        pthread_mutex_unlock(&w->mu);
    }
    return 0;
}
