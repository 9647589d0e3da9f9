/*
 * probe/redis_commander.c -- redis-commander, a web console for Redis
 * (port 8081).
 *
 * GET / is the console page ("Redis Commander" in the title) whether or
 * not --http-auth is set: the login is a form inside the page, the API
 * behind it answers 401 "Unauthorized - Missing Token" without a token.
 * When the API is open, /apiv2/server/info returns, per configured
 * connection, its label, host, port and the Redis INFO (as the console
 * shows it: "Redis version", "Db0": "keys=3,..."). That endpoint only runs
 * INFO: no key is listed and no value read.
 *
 * Requests this app can send (after the dispatcher's GET /):
 *   GET /apiv2/server/info
 *   GET /apiv1/server/info   (older versions, when apiv2 answers 404)
 *
 * Record: service "redis-commander", auth none/required, details
 * {"proxies_to":"redis","connections":N}. For each Redis behind it an
 * extra finding (probe_emit): service "redis", version, key counts per
 * database, reached via this console. Like the Elasticsearch behind a
 * Kibana, it is recorded where it is exposed: at the console's address
 * and port, with `via` naming the console; where the console says the
 * Redis itself lives goes into details.backend ("host:port"), never into
 * the record's address (that host may be outside the scan's scope).
 */
#include "probe/http.h"

#include <jansson.h>
#include <string.h>

enum { RC_START = 0, RC_INFO_V2, RC_INFO_V1 };

struct rc_state {
    int step;
};

static int rc_match(const struct http_app *self, const char *path, uint16_t port,
                    const struct http_resp *r)
{
    (void)self;
    (void)port;
    (void)path;
    char title[128];
    http_title(r, title, sizeof title);
    if (strstr(title, "Redis Commander")) return 95;
    if (r->body.data && mem_find(r->body.data, r->body.len, "scripts/redisCommander.js", false))
        return 90;
    return 0;
}

static const char *info_value(const json_t *info, const char *key)
{
    size_t i;
    json_t *kv;
    json_array_foreach(info, i, kv)
    {
        const char *k = json_string_value(json_object_get(kv, "key"));
        if (k && str_ieq(k, key)) return json_string_value(json_object_get(kv, "value"));
    }
    return NULL;
}

static void emit_redis(struct http_app_ctx *a, const json_t *conn)
{
    struct finding *f = a->pc->f;
    const json_t *info = json_object_get(conn, "info");
    if (!json_is_array(info)) return;
    struct finding *e = probe_emit(a->pc);
    if (!e) return;
    const char *host = json_string_value(json_object_get(conn, "host"));
    json_int_t port = json_integer_value(json_object_get(conn, "port"));
    if (host) {
        char where[300];
        if (port > 0 && port < 65536)
            str_fmt(where, sizeof where, "%s:%lld", host, (long long)port);
        else
            str_copy(where, host, sizeof where);
        finding_detail_str(e, "backend", where);
    }
    FINDING_SET(e, service, "redis");
    FINDING_SET(e, product, "Redis");
    const char *v = info_value(info, "Redis version");
    if (v) FINDING_SET(e, version, v);
    e->auth = AUTH_NONE; /* the console hands it out to anyone */
    const char *mode = info_value(info, "Redis mode");
    const char *role = info_value(info, "Role");
    const char *label = json_string_value(json_object_get(conn, "label"));
    if (mode) finding_detail_str(e, "mode", mode);
    if (role) finding_detail_str(e, "role", role);
    if (label) finding_detail_str(e, "console_label", label);
    /* INFO's run_id, as the console shows it ("Run id", or "Run" in 0.9) */
    const char *run = info_value(info, "Run id");
    if (!run) run = info_value(info, "Run");
    if (run && strlen(run) == 40 && str_is_lower_hex(run, 40)) finding_detail_str(e, "run_id", run);
    uint64_t mem;
    const char *um = info_value(info, "Used memory");
    if (um && parse_u64(um, INT64_MAX, &mem) == 0) e->bytes = (int64_t)mem;
    /* keyspace: "Db0" -> "keys=3,expires=0,avg_ttl=0" */
    size_t i;
    json_t *kv;
    int64_t dbs = 0, keys = 0;
    json_array_foreach(info, i, kv)
    {
        const char *k = json_string_value(json_object_get(kv, "key"));
        const char *val = json_string_value(json_object_get(kv, "value"));
        uint64_t n = 0;
        if (!k || !val || !str_iprefix(k, "Db") || strncmp(val, "keys=", 5) != 0) continue;
        size_t len = 0;
        while (val[5 + len] >= '0' && val[5 + len] <= '9')
            len++;
        if (parse_u64n(val + 5, len, INT64_MAX, &n) < 0) continue;
        char name[32];
        str_fmt(name, sizeof name, "db%s", k + 2);
        finding_add_name(e, name, strlen(name), (int64_t)n, -1);
        dbs++;
        keys += (int64_t)n;
    }
    e->databases = dbs;
    e->records = keys;
    e->has_via = true;
    str_copy(e->via_service, "redis-commander", sizeof e->via_service);
    str_copy(e->via_ip, f->ip, sizeof e->via_ip);
    e->via_port = f->port;
}

static int rc_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct rc_state *s = a->state;
    struct finding *f = a->pc->f;
    json_t *j = NULL;
    int rc = PROBE_DONE;
    switch (s->step) {
    case RC_START:
        FINDING_SET(f, service, "redis-commander");
        FINDING_SET(f, product, "redis-commander");
        finding_detail_str(f, "proxies_to", "redis");
        s->step = RC_INFO_V2;
        rc = http_get(a, "/apiv2/server/info") < 0 ? PROBE_DONE : PROBE_SEND;
        break;
    case RC_INFO_V2:
    case RC_INFO_V1:
        if (r->status == 401 || r->status == 403) {
            f->auth = AUTH_REQUIRED;
            break;
        }
        if (r->status == 404 && s->step == RC_INFO_V2) {
            s->step = RC_INFO_V1;
            rc = http_get(a, "/apiv1/server/info") < 0 ? PROBE_DONE : PROBE_SEND;
            break;
        }
        if (r->status != 200 || !r->body.data || r->truncated) {
            finding_detail_int(f, "api_status", r->status);
            break;
        }
        j = json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
        json_t *list = json_object_get(j, "data");
        if (!json_is_array(list)) break;
        f->auth = AUTH_NONE;
        finding_detail_int(f, "connections", (int64_t)json_array_size(list));
        size_t i;
        json_t *conn;
        json_array_foreach(list, i, conn) emit_redis(a, conn);
        break;
    }
    json_decref(j);
    return rc;
}

const struct http_app http_app_redis_commander = {
    .name = "redis_commander",
    .paths = NULL,
    .state_size = sizeof(struct rc_state),
    .match = rc_match,
    .on_response = rc_on_response,
};
