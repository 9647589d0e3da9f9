/*
 * probe/elasticsearch.c -- Elasticsearch and OpenSearch, as an HTTP app.
 *
 * Requests this app can send (all GET, on the dispatcher's keep-alive
 * connection, after the dispatcher's own GET /):
 *   GET /                                   only when the match came from another path
 *   GET /_cat/indices?format=json&bytes=b   index names, docs.count, store.size
 *   GET /_mapping                           field names
 * Never _search, never a document: names, counts and sizes only.
 *
 * How it decides:
 *  - match: a JSON root document with the "You Know, for Search" or the
 *    OpenSearch tagline (or version.number + cluster_name), the
 *    X-elastic-product header (7.14+), the 7.13-7.17 "security features are
 *    not enabled" Warning, or a 401/403 from the security layer
 *    (realm="security", security_exception, Shield's
 *    AuthenticationException, the OpenSearch Security realm).
 *  - GET / 200: product (OpenSearch when version.distribution says so or
 *    the tagline names it, even when it poses as 7.10.2), version,
 *    cluster_name, build_flavor into details; auth none (a secured cluster
 *    does not answer / anonymously). Then the index list and the mapping
 *    (parsing shared with the Kibana console proxy in es_common.c).
 *  - GET / 401/403: auth required, nothing more is asked.
 *  - 401/403 on _cat or _mapping after an open /: auth partial (anonymous
 *    access limited to some APIs).
 */
#include "probe/es_common.h"

#include <string.h>

enum { ES_ROOT = 0, ES_CAT, ES_MAPPING };

struct es_state {
    int step;
    bool asked_root; /* we sent our own GET / (first answer came from another path) */
};

static int es_match(const struct http_app *self, const char *path, uint16_t port,
                    const struct http_resp *r)
{
    (void)self;
    (void)port;
    struct es_root root;
    struct es_headers h;
    int score = 0;
    es_headers_parse(r, &h);
    if (r->status >= 200 && r->status < 300 && es_root_parse(r, &root) == 0)
        score = root.tagline ? 100 : 90;
    if ((h.elastic_product || h.version[0]) && score < 95) score = 95;
    int a = es_auth_score(r, NULL);
    if (a > score) score = a;
    /* a root document cut short still carries its tagline */
    if (!score && r->status == 200 && r->body.data &&
        mem_find((const char *)r->body.data, r->body.len, "\"You Know, for Search\"", false))
        score = 70;
    return score;
}

static bool denied(const struct http_resp *r)
{
    return r->status == 401 || r->status == 403;
}

static int es_root_step(struct http_app_ctx *a, const struct http_resp *r,
                        const struct es_headers *h)
{
    struct es_state *s = a->state;
    struct finding *f = a->pc->f;
    if (denied(r)) {
        bool os = false;
        es_auth_score(r, &os);
        FINDING_SET(f, product, os ? "OpenSearch" : "Elasticsearch");
        if (h->version[0]) FINDING_SET(f, version, h->version);
        f->auth = AUTH_REQUIRED;
        return PROBE_DONE;
    }
    struct es_root root;
    if (r->status >= 200 && r->status < 300 && es_root_parse(r, &root) == 0) {
        es_root_apply(f, &root, h);
    } else if (strcmp(a->path, "/") != 0 && !s->asked_root) {
        /* matched on a header of another path's answer: read the root document */
        s->asked_root = true;
        if (http_get(a, "/") < 0) return PROBE_DONE;
        return PROBE_SEND;
    } else {
        FINDING_SET(f, product, "Elasticsearch");
        if (h->version[0]) FINDING_SET(f, version, h->version);
        if (h->security_disabled) finding_detail(f, "security_disabled_warning", json_true());
        if (r->status < 200 || r->status >= 300) return PROBE_DONE;
    }
    f->auth = AUTH_NONE;
    s->step = ES_CAT;
    if (http_get(a, "/_cat/indices?format=json&bytes=b") < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int es_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct es_state *s = a->state;
    struct finding *f = a->pc->f;
    struct es_headers h;
    es_headers_parse(r, &h);
    switch (s->step) {
    case ES_ROOT:
        return es_root_step(a, r, &h);
    case ES_CAT:
        if (h.security_disabled) finding_detail(f, "security_disabled_warning", json_true());
        if (!f->version[0] && h.version[0]) FINDING_SET(f, version, h.version);
        if (denied(r)) {
            f->auth = AUTH_PARTIAL;
            return PROBE_DONE;
        }
        if (r->status == 200 && es_cat_indices_apply(f, r) < 0)
            finding_detail(f, "indices_unreadable", json_true());
        s->step = ES_MAPPING;
        if (http_get(a, "/_mapping") < 0) return PROBE_DONE;
        return PROBE_SEND;
    default:
        if (denied(r))
            f->auth = AUTH_PARTIAL;
        else if (r->status == 200)
            es_mapping_apply(f, r);
        return PROBE_DONE;
    }
}

const struct http_app http_app_elasticsearch = {
    .name = "elasticsearch",
    .paths = NULL,
    .state_size = sizeof(struct es_state),
    .match = es_match,
    .on_response = es_on_response,
};
