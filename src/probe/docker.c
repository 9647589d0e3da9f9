/*
 * probe/docker.c -- the Docker Engine API on plain TCP (port 2375).
 *
 * An exposed Engine API is remote root on the host. Every answer of
 * dockerd, the 404 to GET / included, carries Api-Version,
 * Docker-Experimental, Ostype and "Server: Docker/x.y.z (os)", so GET /
 * identifies it. /version and /info are read-only and give the versions
 * and the counts of containers and images -- no container is inspected,
 * no log or file is read.
 *
 * Requests this app can send (after the dispatcher's GET /):
 *   GET /version   (skipped when the matching answer already was /version)
 *   GET /info
 *
 * Auth: dockerd has none on TCP; 200 = open. A 401/403 (an authorization
 * plugin or a proxy in front) = required.
 */
#include "probe/http.h"

#include <jansson.h>
#include <string.h>

enum { DK_START = 0, DK_VERSION, DK_INFO };

struct docker_state {
    int step;
};

static json_t *body_json(const struct http_resp *r)
{
    if (r->status != 200 || !r->body.data || r->truncated) return NULL;
    return json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
}

static bool version_body(const struct http_resp *r)
{
    return r->status == 200 && r->body.data &&
           mem_find(r->body.data, r->body.len, "\"ApiVersion\"", false) &&
           mem_find(r->body.data, r->body.len, "\"MinAPIVersion\"", false);
}

static int docker_match(const struct http_app *self, const char *path,
                     const struct http_resp *r)
{
    (void)self;
    (void)path;
    const char *srv = http_header(r, "Server");
    bool api = http_header(r, "Api-Version") != NULL;
    if (api && srv && str_iprefix(srv, "Docker/")) return 95;
    if (api && (http_header(r, "Docker-Experimental") || http_header(r, "Ostype"))) return 90;
    if (version_body(r)) return 85;
    return 0;
}

static int64_t jint(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

static void on_version(struct finding *f, const json_t *j)
{
    const char *v = json_string_value(json_object_get(j, "Version"));
    const char *api = json_string_value(json_object_get(j, "ApiVersion"));
    const char *os = json_string_value(json_object_get(j, "Os"));
    const char *arch = json_string_value(json_object_get(j, "Arch"));
    const char *kv = json_string_value(json_object_get(j, "KernelVersion"));
    const char *plat = json_string_value(json_object_get(json_object_get(j, "Platform"), "Name"));
    if (v) FINDING_SET(f, version, v);
    if (api) finding_detail_str(f, "api_version", api);
    if (os) finding_detail_str(f, "os", os);
    if (arch) finding_detail_str(f, "arch", arch);
    if (kv) finding_detail_str(f, "kernel", kv);
    if (plat) finding_detail_str(f, "platform", plat);
}

static void on_info(struct finding *f, const json_t *j)
{
    static const struct {
        const char *json, *detail;
    } counts[] = {{"Containers", "containers"},
                  {"ContainersRunning", "containers_running"},
                  {"ContainersPaused", "containers_paused"},
                  {"ContainersStopped", "containers_stopped"},
                  {"Images", "images"}};
    for (size_t i = 0; i < ARRAY_LEN(counts); i++) {
        int64_t n = jint(json_object_get(j, counts[i].json));
        if (n >= 0) finding_detail_int(f, counts[i].detail, n);
    }
    const char *os = json_string_value(json_object_get(j, "OperatingSystem"));
    const char *sv = json_string_value(json_object_get(j, "ServerVersion"));
    const char *swarm =
        json_string_value(json_object_get(json_object_get(j, "Swarm"), "LocalNodeState"));
    if (os) finding_detail_str(f, "operating_system", os);
    if (sv && !f->version[0]) FINDING_SET(f, version, sv);
    if (swarm) finding_detail_str(f, "swarm", swarm);
}

static int docker_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct docker_state *s = a->state;
    struct finding *f = a->pc->f;
    json_t *j = NULL;
    int rc = PROBE_DONE;
    if (r->status == 401 || r->status == 403) {
        if (!f->product[0]) FINDING_SET(f, product, "Docker Engine");
        f->auth = AUTH_REQUIRED;
        return PROBE_DONE;
    }
    switch (s->step) {
    case DK_START:
        FINDING_SET(f, product, "Docker Engine");
        if (version_body(r)) {
            j = body_json(r);
            on_version(f, j);
            f->auth = AUTH_NONE;
            s->step = DK_INFO;
            rc = http_get(a, "/info") < 0 ? PROBE_DONE : PROBE_SEND;
            break;
        }
        s->step = DK_VERSION;
        rc = http_get(a, "/version") < 0 ? PROBE_DONE : PROBE_SEND;
        break;
    case DK_VERSION:
        j = body_json(r);
        if (json_is_object(j)) {
            on_version(f, j);
            f->auth = AUTH_NONE;
        }
        s->step = DK_INFO;
        rc = http_get(a, "/info") < 0 ? PROBE_DONE : PROBE_SEND;
        break;
    case DK_INFO:
        j = body_json(r);
        if (json_is_object(j)) {
            on_info(f, j);
            f->auth = AUTH_NONE;
        }
        break;
    }
    json_decref(j);
    return rc;
}


const struct http_app http_app_docker = {
    .name = "docker",
    .paths = NULL,
    .state_size = sizeof(struct docker_state),
    .match = docker_match,
    .on_response = docker_on_response,
};
