/*
 * probe/kibana.c -- Kibana and OpenSearch Dashboards, as an HTTP app, and
 * the Elasticsearch behind them, reached through the dashboard's own proxy.
 *
 * Requests this app can send (after the dispatcher's GET /):
 *   GET  /api/status                                      version, login check
 * and only when no login is demanded, to read the cluster behind it
 * (metadata only, every proxied request is method=GET, never _search):
 *   6.0+ and OpenSearch Dashboards (console proxy over POST, empty body,
 *   headers kbn-xsrf: true, osd-xsrf: true, Content-Length: 0):
 *     POST /api/console/proxy?path=%2F&method=GET
 *     POST /api/console/proxy?path=_cat%2Findices%3Fformat%3Djson%26bytes%3Db&method=GET
 *     POST /api/console/proxy?path=_mapping&method=GET
 *   5.x (the console proxy forwards the request's own method, so GET):
 *     GET  /api/console/proxy?uri=%2F
 *     GET  /api/console/proxy?uri=_cat%2Findices%3Fformat%3Djson%26bytes%3Db
 *     GET  /api/console/proxy?uri=_mapping
 *   4.x (the /elasticsearch reverse proxy):
 *     GET  /elasticsearch/
 *     GET  /elasticsearch/_cat/indices?format=json&bytes=b
 *     GET  /elasticsearch/_mapping
 * The proxy form is chosen by the version; when the first proxied GET /
 * does not come back as an Elasticsearch answer, the next form is tried
 * (at most three GET / attempts in all).
 *
 * How it decides:
 *  - match: kbn-name / kbn-version / kbn-xpack-sig / kbn-license-sig
 *    headers (osd-name / osd-version: OpenSearch Dashboards), the 4.x-6.x
 *    redirect to /app/kibana, the app page's injected metadata, an
 *    /api/status document, or the 4.0/4.1 Express 401 (realm="undefined").
 *  - version: kbn-version (4.2-6.3), else /api/status (4.x/5.x: a
 *    top-level string; 6.0+: version.number).
 *  - auth required: a 302 to /login, or a 401 on / or /api/status.
 *    Otherwise auth none, and the cluster behind is read through the
 *    proxy; what it finds is an extra finding (probe_emit) with service
 *    "elasticsearch", the dashboard's address and via = this Kibana. The
 *    Kibana record then carries details.proxies_to = "elasticsearch".
 */
#include "probe/es_common.h"

#include <stdlib.h>
#include <string.h>

enum { KB_FIRST = 0, KB_STATUS, KB_PROXY_ROOT, KB_PROXY_CAT, KB_PROXY_MAP };
enum { KS_POST = 0, KS_GET_URI, KS_LEGACY };

struct kb_state {
    int step;
    bool login; /* a login redirect or a 401 was seen */
    bool osd;   /* OpenSearch Dashboards */
    int styles[3];
    int nstyles, style_i;
    struct finding *es; /* the cluster behind, once emitted (engine-owned) */
};

static bool has_hdr(const struct http_resp *r, const char *name)
{
    return http_header(r, name) != NULL;
}

static int kb_match(const struct http_app *self, const char *path, uint16_t port,
                    const struct http_resp *r)
{
    (void)self;
    (void)port;
    if (has_hdr(r, "kbn-name") || has_hdr(r, "kbn-version") || has_hdr(r, "kbn-xpack-sig") ||
        has_hdr(r, "kbn-license-sig") || has_hdr(r, "osd-name") || has_hdr(r, "osd-version"))
        return 95;
    const char *b = (const char *)r->body.data;
    size_t bn = r->body.len;
    if (b && (mem_find(b, bn, "kbn-injected-metadata", false) ||
              mem_find(b, bn, "osd-injected-metadata", false)))
        return 85;
    const char *loc = http_header(r, "Location");
    if (r->status >= 300 && r->status < 400 && loc &&
        mem_find(loc, strlen(loc), "/app/kibana", false))
        return 80;
    if (strcmp(path, "/api/status") == 0 && r->status == 200 && b) {
        json_error_t e;
        json_t *j = json_loadb(b, bn, 0, &e);
        int sc = 0;
        const json_t *st = json_object_get(j, "status");
        if (json_is_object(st) && json_object_get(st, "overall") && json_object_get(j, "version") &&
            json_object_get(j, "name"))
            sc = 85;
        json_decref(j);
        if (sc) return sc;
    }
    /* Kibana 4.0/4.1 (Express) send no kbn-* header; their 401 names no realm */
    const char *wa = http_header(r, "WWW-Authenticate");
    if (r->status == 401 && wa && mem_find(wa, strlen(wa), "realm=\"undefined\"", false)) return 50;
    return 0;
}

static int major_of(const char *v)
{
    uint64_t m;
    size_t i = 0;
    while (v[i] >= '0' && v[i] <= '9')
        i++;
    if (parse_u64n(v, i, 1000, &m) < 0) return -1;
    return (int)m;
}

/* Facts every Kibana answer may carry. */
static void kb_headers(struct finding *f, struct kb_state *s, const struct http_resp *r)
{
    const char *v = http_header(r, "kbn-version");
    if (!v) v = http_header(r, "osd-version");
    if (v && !f->version[0]) FINDING_SET(f, version, v);
    if (http_header(r, "osd-name") || http_header(r, "osd-version")) s->osd = true;
    const char *name = http_header(r, "kbn-name");
    if (!name) name = http_header(r, "osd-name");
    if (name && !(f->details && json_object_get(f->details, "name")))
        finding_detail_str(f, "name", name);
    const char *loc = http_header(r, "Location");
    if (r->status >= 300 && r->status < 400 && loc && mem_find(loc, strlen(loc), "/login", false))
        s->login = true;
    if (r->status == 401) s->login = true;
    const char *b = (const char *)r->body.data;
    if (b && mem_find(b, r->body.len, "osd-injected-metadata", false)) s->osd = true;
}

static void kb_status(struct finding *f, struct kb_state *s, const struct http_resp *r)
{
    if (r->status != 200 || !r->body.data) return;
    json_error_t e;
    json_t *j = json_loadb((const char *)r->body.data, r->body.len, 0, &e);
    if (!json_is_object(j)) goto out;
    char ver[64] = "";
    const json_t *vj = json_object_get(j, "version");
    if (json_is_string(vj))
        es_json_str(j, "version", ver, sizeof ver); /* 4.x/5.x */
    else if (json_is_object(vj))
        es_json_str(vj, "number", ver, sizeof ver);
    if (ver[0] && !f->version[0]) FINDING_SET(f, version, ver);
    const json_t *sts = json_object_get(json_object_get(j, "status"), "statuses");
    size_t i;
    const json_t *it;
    json_array_foreach(sts, i, it)
    {
        char id[128];
        es_json_str(it, "id", id, sizeof id);
        if (str_iprefix(id, "core:opensearch") || str_iprefix(id, "plugin:opensearch"))
            s->osd = true;
    }
    char state[32] = "";
    const json_t *ov = json_object_get(json_object_get(j, "status"), "overall");
    es_json_str(ov, "state", state, sizeof state);
    if (!state[0]) es_json_str(ov, "level", state, sizeof state);
    if (state[0]) finding_detail_str(f, "status", state);
out:
    json_decref(j);
}

/* Percent-encode s (everything but unreserved characters) into out. */
static void pct(const char *s, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = 0;
}

/* Ask the cluster behind for es_path ("/", "/_cat/...", "/_mapping") in the current form. */
static int kb_proxy(struct http_app_ctx *a, const char *es_path)
{
    struct kb_state *s = a->state;
    char enc[256], path[512];
    /* the console takes "/" for the root and paths without the leading slash otherwise */
    pct(strcmp(es_path, "/") == 0 ? "/" : es_path + 1, enc, sizeof enc);
    switch (s->styles[s->style_i]) {
    case KS_POST:
        str_fmt(path, sizeof path, "/api/console/proxy?path=%s&method=GET", enc);
        return http_request(a, "POST", path, "kbn-xsrf: true\r\nosd-xsrf: true\r\n", "", 0);
    case KS_GET_URI:
        str_fmt(path, sizeof path, "/api/console/proxy?uri=%s", enc);
        return http_request(a, "GET", path, "kbn-xsrf: true\r\n", NULL, 0);
    default:
        str_fmt(path, sizeof path, "/elasticsearch%s", es_path);
        return http_get(a, path);
    }
}

static int kb_start_proxy(struct http_app_ctx *a)
{
    struct kb_state *s = a->state;
    struct finding *f = a->pc->f;
    int major = s->osd ? 7 : major_of(f->version);
    if (major == 4) {
        s->styles[0] = KS_LEGACY;
        s->styles[1] = KS_GET_URI;
        s->nstyles = 2;
    } else if (major == 5) {
        s->styles[0] = KS_GET_URI;
        s->styles[1] = KS_POST;
        s->nstyles = 2;
    } else {
        s->styles[0] = KS_POST;
        s->styles[1] = KS_GET_URI;
        s->styles[2] = KS_LEGACY;
        s->nstyles = major >= 6 ? 2 : 3;
    }
    s->style_i = 0;
    s->step = KB_PROXY_ROOT;
    if (kb_proxy(a, "/") < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* After the first answer and /api/status: login, or open and read the cluster. */
static int kb_decide(struct http_app_ctx *a)
{
    struct kb_state *s = a->state;
    struct finding *f = a->pc->f;
    FINDING_SET(f, product, s->osd ? "OpenSearch Dashboards" : "Kibana");
    if (s->login) {
        f->auth = AUTH_REQUIRED;
        return PROBE_DONE;
    }
    f->auth = AUTH_NONE;
    return kb_start_proxy(a);
}

static struct finding *kb_emit(struct http_app_ctx *a)
{
    struct kb_state *s = a->state;
    struct finding *kf = a->pc->f;
    if (s->es) return s->es;
    struct finding *e = probe_emit(a->pc);
    if (!e) return NULL;
    FINDING_SET(e, service, "elasticsearch");
    e->has_via = true;
    str_copy(e->via_service, "kibana", sizeof e->via_service);
    str_copy(e->via_ip, kf->ip, sizeof e->via_ip);
    e->via_port = kf->port;
    finding_detail_str(kf, "proxies_to", "elasticsearch");
    s->es = e;
    return e;
}

static int kb_proxy_root(struct http_app_ctx *a, const struct http_resp *r)
{
    struct kb_state *s = a->state;
    struct es_root root;
    struct es_headers h;
    es_headers_parse(r, &h);
    if (r->status == 200 && es_root_parse(r, &root) == 0) {
        struct finding *e = kb_emit(a);
        if (!e) return PROBE_DONE;
        es_root_apply(e, &root, &h);
        e->auth = AUTH_NONE;
        s->step = KB_PROXY_CAT;
        if (kb_proxy(a, "/_cat/indices?format=json&bytes=b") < 0) return PROBE_DONE;
        return PROBE_SEND;
    }
    bool os = false;
    if (es_auth_score(r, &os) > 0) {
        /* the dashboard is open but the cluster wants credentials of its own */
        struct finding *e = kb_emit(a);
        if (e) {
            FINDING_SET(e, product, os ? "OpenSearch" : "Elasticsearch");
            e->auth = AUTH_REQUIRED;
        }
        return PROBE_DONE;
    }
    if (++s->style_i >= s->nstyles) return PROBE_DONE;
    if (kb_proxy(a, "/") < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int kb_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct kb_state *s = a->state;
    struct finding *f = a->pc->f;
    switch (s->step) {
    case KB_FIRST:
        kb_headers(f, s, r);
        if (strcmp(a->path, "/api/status") == 0) {
            kb_status(f, s, r);
            return kb_decide(a);
        }
        s->step = KB_STATUS;
        FINDING_SET(f, product, s->osd ? "OpenSearch Dashboards" : "Kibana");
        if (http_get(a, "/api/status") < 0) return kb_decide(a);
        return PROBE_SEND;
    case KB_STATUS:
        kb_headers(f, s, r);
        kb_status(f, s, r);
        return kb_decide(a);
    case KB_PROXY_ROOT:
        return kb_proxy_root(a, r);
    case KB_PROXY_CAT: {
        struct es_headers h;
        es_headers_parse(r, &h);
        if (h.security_disabled) finding_detail(s->es, "security_disabled_warning", json_true());
        if (r->status == 401 || r->status == 403) {
            s->es->auth = AUTH_PARTIAL;
            return PROBE_DONE;
        }
        if (r->status == 200 && es_cat_indices_apply(s->es, r) < 0)
            finding_detail(s->es, "indices_unreadable", json_true());
        s->step = KB_PROXY_MAP;
        if (kb_proxy(a, "/_mapping") < 0) return PROBE_DONE;
        return PROBE_SEND;
    }
    default:
        if (r->status == 401 || r->status == 403)
            s->es->auth = AUTH_PARTIAL;
        else if (r->status == 200)
            es_mapping_apply(s->es, r);
        return PROBE_DONE;
    }
}

static const char *const kb_paths[] = {"/api/status", NULL};

const struct http_app http_app_kibana = {
    .name = "kibana",
    .paths = kb_paths,
    .state_size = sizeof(struct kb_state),
    .match = kb_match,
    .on_response = kb_on_response,
};
