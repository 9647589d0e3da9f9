/*
 * probe/prometheus.c -- Prometheus server's HTTP API (port 9090).
 *
 * GET / redirects to the UI (302 to /graph, or /classic/graph in Debian's
 * build); the build info names the version and the active targets say
 * how much is being scraped -- a count and the job names, nothing of the
 * metric values.
 *
 * Requests this app can send (after the dispatcher's GET /):
 *   GET /api/v1/status/buildinfo
 *   GET /api/v1/targets?state=active
 *
 * Auth: Prometheus has none of its own; --web.config.file can demand
 * basic auth, and then every path answers the exporter-toolkit 401
 * (WWW-Authenticate: Basic, body "Unauthorized\n"). That 401 alone is
 * only a weak hint (every exporter built on the same toolkit answers the
 * same): on port 9090 the record says prometheus with auth required, on
 * any other port it falls back to a generic "http" record.
 */
#include "probe/http.h"

#include <jansson.h>
#include <string.h>

#define PROM_MAX_JOBS 64

enum { PR_START = 0, PR_BUILDINFO, PR_TARGETS };

struct prom_state {
    int step;
};

/* The exporter-toolkit basic-auth refusal: exact shape, nothing Prometheus-specific. */
static bool toolkit_401(const struct http_resp *r)
{
    const char *wa = http_header(r, "WWW-Authenticate");
    if (r->status != 401 || !wa || strcmp(wa, "Basic") != 0 || r->body.len != 13) return false;
    /* analyzer false positive: body.len == 13 means body.data holds them */
    /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
    return memcmp(r->body.data, "Unauthorized\n", 13) == 0;
}

static int prom_match(const struct http_app *self, const char *path,
                     const struct http_resp *r)
{
    (void)self;
    (void)path;
    const char *loc = http_header(r, "Location");
    char title[128];
    if (r->status == 302 && loc &&
        (strcmp(loc, "/graph") == 0 || strcmp(loc, "/classic/graph") == 0 ||
         strcmp(loc, "/query") == 0))
        return 70;
    http_title(r, title, sizeof title);
    if (strstr(title, "Prometheus Time Series")) return 90;
    if (r->body.data && mem_find(r->body.data, r->body.len, "\"goVersion\"", false) &&
        mem_find(r->body.data, r->body.len, "\"buildDate\"", false) &&
        mem_find(r->body.data, r->body.len, "\"revision\"", false))
        return 80;
    if (toolkit_401(r)) return 50;
    return 0;
}

static json_t *prom_data(const struct http_resp *r)
{
    if (r->status != 200 || !r->body.data || r->truncated) return NULL;
    json_t *j = json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
    json_t *d = json_object_get(j, "data");
    if (json_is_object(d) && json_is_string(json_object_get(j, "status")))
        json_incref(d);
    else
        d = NULL;
    json_decref(j);
    return d;
}

static int prom_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct prom_state *s = a->state;
    struct finding *f = a->pc->f;
    json_t *d = NULL;
    int rc = PROBE_DONE;
    switch (s->step) {
    case PR_START:
        if (toolkit_401(r)) {
            f->auth = AUTH_REQUIRED;
            if (f->port != 9090) {
                /* a toolkit 401 elsewhere is no evidence of Prometheus */
                FINDING_SET(f, service, "http");
                finding_detail_int(f, "status", r->status);
                finding_detail_str(f, "www_authenticate", "Basic");
                finding_detail_str(f, "note",
                                   "exporter-toolkit basic auth (Prometheus or an exporter)");
            } else {
                FINDING_SET(f, product, "Prometheus");
                finding_detail_str(f, "identified_by",
                                   "port 9090 and the exporter-toolkit basic-auth answer");
            }
            break;
        }
        FINDING_SET(f, product, "Prometheus");
        s->step = PR_BUILDINFO;
        rc = http_get(a, "/api/v1/status/buildinfo") < 0 ? PROBE_DONE : PROBE_SEND;
        break;
    case PR_BUILDINFO:
        if (r->status == 401 || r->status == 403) {
            f->auth = AUTH_REQUIRED;
            break;
        }
        d = prom_data(r);
        if (d) {
            const char *v = json_string_value(json_object_get(d, "version"));
            if (v) FINDING_SET(f, version, v);
            f->auth = AUTH_NONE;
        }
        s->step = PR_TARGETS;
        rc = http_get(a, "/api/v1/targets?state=active") < 0 ? PROBE_DONE : PROBE_SEND;
        break;
    case PR_TARGETS: {
        if (r->status == 401 || r->status == 403) {
            f->auth = AUTH_REQUIRED;
            break;
        }
        d = prom_data(r);
        json_t *targets = json_object_get(d, "activeTargets");
        if (!json_is_array(targets)) break;
        f->auth = AUTH_NONE;
        json_t *jobs = json_array();
        size_t i;
        json_t *t;
        json_array_foreach(targets, i, t)
        {
            const char *job =
                json_string_value(json_object_get(json_object_get(t, "labels"), "job"));
            if (!job) job = json_string_value(json_object_get(t, "scrapePool"));
            if (!job || strlist_has(&f->names, job)) continue;
            finding_add_name(f, job, strlen(job), -1, -1);
            if (json_array_size(jobs) < PROM_MAX_JOBS)
                json_array_append_new(jobs, json_string(f->names.v[f->names.n - 1]));
        }
        finding_detail_int(f, "targets", (int64_t)json_array_size(targets));
        finding_detail(f, "jobs", jobs);
        break;
    }
    }
    json_decref(d);
    return rc;
}


const struct http_app http_app_prometheus = {
    .name = "prometheus",
    .paths = NULL,
    .state_size = sizeof(struct prom_state),
    .match = prom_match,
    .on_response = prom_on_response,
};
