/*
 * probe/etcd.c -- etcd v3 through its HTTP/JSON gateway (port 2379).
 *
 * etcd answers GET / with a bare Go 404, so the dispatcher finds it through
 * the fingerprint path /version ({"etcdserver":"3.4.23","etcdcluster":...}).
 * Then it learns whether the key-value API demands authentication and how
 * many keys there are, without reading a single key or value: a range
 * request over the whole keyspace with count_only set returns a number.
 *
 * Requests this app can send (after the dispatcher's GET /):
 *   GET  /version
 *   POST /v3/auth/status  {}            (only on etcd >= 3.5, where it exists)
 *   POST /v3/kv/range     {"key":"AA==","range_end":"AA==","count_only":true}
 *   POST /v3beta/kv/range  (same body; etcd 3.3, when /v3 answers 404)
 *   POST /v3alpha/kv/range (same body; etcd 3.2, when /v3beta answers 404)
 * key "\0" with range_end "\0" means every key; count_only returns no keys
 * and no values.
 *
 * Auth: the range answer decides. 200 with "count" = open; "user name is
 * empty", "permission denied", "invalid auth token" or 401 = required. On
 * 3.5+ /v3/auth/status says {"enabled":true} first (false is omitted from
 * protobuf JSON, so a missing field means off).
 */
#include "probe/http.h"

#include <jansson.h>
#include <string.h>

#define ETCD_RANGE_BODY "{\"key\":\"AA==\",\"range_end\":\"AA==\",\"count_only\":true}"

enum { ETCD_VERSION = 0, ETCD_AUTH_STATUS, ETCD_RANGE };

struct etcd_state {
    int step;
    int range_prefix; /* 0 /v3, 1 /v3beta, 2 /v3alpha */
};

static const char *const range_paths[] = {"/v3/kv/range", "/v3beta/kv/range", "/v3alpha/kv/range"};

static json_t *body_json(const struct http_resp *r)
{
    if (!r->body.data || !r->body.len || r->truncated) return NULL;
    return json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
}

static int etcd_match(const struct http_app *self, const char *path, uint16_t port,
                      const struct http_resp *r)
{
    (void)self;
    (void)port;
    (void)path;
    if (r->status != 200 || !r->body.data) return 0;
    /* path-agnostic: {"etcdserver":"x.y.z","etcdcluster":"x.y.z"} wherever it came from */
    if (!mem_find(r->body.data, r->body.len, "\"etcdserver\"", false)) return 0;
    json_t *j = body_json(r);
    int score = 0;
    if (json_is_string(json_object_get(j, "etcdserver"))) score = 95;
    json_decref(j);
    return score;
}

/* "3.5.9" -> true when major.minor >= 3.5 */
static bool at_least_35(const char *v)
{
    uint64_t major = 0, minor = 0;
    const char *dot = strchr(v, '.');
    if (!dot || parse_u64n(v, (size_t)(dot - v), 1000, &major) < 0) return false;
    const char *p = dot + 1;
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    if (parse_u64n(p, n, 1000, &minor) < 0) return false;
    return major > 3 || (major == 3 && minor >= 5);
}

static bool says_auth_needed(const struct http_resp *r)
{
    if (r->status == 401 || r->status == 403) return true;
    const char *b = (const char *)r->body.data;
    size_t n = r->body.len;
    return b && (mem_find(b, n, "user name is empty", true) ||
                 mem_find(b, n, "permission denied", true) ||
                 mem_find(b, n, "invalid auth token", true));
}

static int send_range(struct http_app_ctx *a, struct etcd_state *s)
{
    s->step = ETCD_RANGE;
    if (http_request(a, "POST", range_paths[s->range_prefix], "Content-Type: application/json\r\n",
                     ETCD_RANGE_BODY, strlen(ETCD_RANGE_BODY)) < 0)
        return PROBE_DONE;
    return PROBE_SEND;
}

static void on_version(struct finding *f, const struct http_resp *r)
{
    json_t *j = body_json(r);
    const char *sv = json_string_value(json_object_get(j, "etcdserver"));
    const char *cv = json_string_value(json_object_get(j, "etcdcluster"));
    FINDING_SET(f, product, "etcd");
    if (sv) FINDING_SET(f, version, sv);
    if (cv) finding_detail_str(f, "cluster_version", cv);
    json_decref(j);
}

static int on_range(struct http_app_ctx *a, struct etcd_state *s, const struct http_resp *r)
{
    struct finding *f = a->pc->f;
    if (r->status == 404 && s->range_prefix + 1 < (int)ARRAY_LEN(range_paths)) {
        s->range_prefix++;
        return send_range(a, s);
    }
    if (r->status == 200) {
        json_t *j = body_json(r);
        json_t *count = json_object_get(j, "count");
        uint64_t n = 0;
        /* int64 fields are strings in protobuf JSON; 0 is omitted altogether */
        if (json_is_string(count) && parse_u64(json_string_value(count), INT64_MAX, &n) == 0)
            f->records = (int64_t)n;
        else if (json_is_integer(count) && json_integer_value(count) >= 0)
            f->records = json_integer_value(count);
        else if (!count && json_is_object(json_object_get(j, "header")))
            f->records = 0;
        json_t *h = json_object_get(j, "header");
        const char *rev = json_string_value(json_object_get(h, "revision"));
        const char *cid = json_string_value(json_object_get(h, "cluster_id"));
        if (rev) finding_detail_str(f, "revision", rev);
        if (cid) finding_detail_str(f, "cluster_id", cid);
        if (f->records >= 0) f->auth = AUTH_NONE;
        json_decref(j);
    } else if (says_auth_needed(r)) {
        f->auth = AUTH_REQUIRED;
    } else {
        finding_detail_int(f, "range_status", r->status);
    }
    return PROBE_DONE;
}

static int etcd_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct etcd_state *s = a->state;
    struct finding *f = a->pc->f;
    switch (s->step) {
    case ETCD_VERSION:
        on_version(f, r);
        if (at_least_35(f->version)) {
            s->step = ETCD_AUTH_STATUS;
            if (http_request(a, "POST", "/v3/auth/status", "Content-Type: application/json\r\n",
                             "{}", 2) < 0)
                return PROBE_DONE;
            return PROBE_SEND;
        }
        return send_range(a, s);
    case ETCD_AUTH_STATUS:
        if (r->status == 200) {
            json_t *j = body_json(r);
            json_t *en = json_object_get(j, "enabled");
            bool enabled = json_is_true(en);
            json_decref(j);
            finding_detail(f, "auth_enabled", json_boolean(enabled));
            if (enabled) {
                f->auth = AUTH_REQUIRED;
                return PROBE_DONE;
            }
        }
        return send_range(a, s);
    default:
        return on_range(a, s, r);
    }
}

static const char *const etcd_paths[] = {"/version", NULL};

const struct http_app http_app_etcd = {
    .name = "etcd",
    .paths = etcd_paths,
    .state_size = sizeof(struct etcd_state),
    .match = etcd_match,
    .on_response = etcd_on_response,
};
