/*
 * probe/rabbitmq.c -- RabbitMQ's management plugin (port 15672).
 *
 * GET / is the single-page UI ("RabbitMQ Management"). The HTTP API
 * behind it always wants a login: ajar sends none (guest/guest would be a
 * guessed password, which ajar never tries), so a 401 from /api/overview
 * means "auth required" and the version stays unknown -- the login page
 * does not show it. /api/auth is open and says whether OAuth 2 (UAA)
 * login is configured. If /api/overview answers 200 anyway (a proxy that
 * injects credentials, or a patched build), the overview gives the
 * version and the totals of queues and messages.
 *
 * Requests this app can send (after the dispatcher's GET /):
 *   GET /api/overview
 *   GET /api/auth        (only after a 401)
 */
#include "probe/http.h"

#include <jansson.h>
#include <string.h>

enum { RB_START = 0, RB_OVERVIEW, RB_AUTH };

struct rabbit_state {
    int step;
};

static int rabbit_match(const struct http_app *self, const char *path,
                     const struct http_resp *r)
{
    (void)self;
    (void)path;
    char title[128];
    http_title(r, title, sizeof title);
    if (strstr(title, "RabbitMQ Management")) return 95;
    const char *wa = http_header(r, "WWW-Authenticate");
    if (r->status == 401 && wa && strstr(wa, "RabbitMQ Management")) return 90;
    return 0;
}

static json_t *body_json(const struct http_resp *r)
{
    if (r->status != 200 || !r->body.data || r->truncated) return NULL;
    return json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
}

static int64_t jint(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

static void on_overview(struct finding *f, const json_t *j)
{
    const char *v = json_string_value(json_object_get(j, "rabbitmq_version"));
    const char *mv = json_string_value(json_object_get(j, "management_version"));
    const char *cn = json_string_value(json_object_get(j, "cluster_name"));
    const char *ev = json_string_value(json_object_get(j, "erlang_version"));
    if (!v) v = json_string_value(json_object_get(j, "product_version"));
    if (v) FINDING_SET(f, version, v);
    if (mv) finding_detail_str(f, "management_version", mv);
    if (cn) finding_detail_str(f, "cluster_name", cn);
    if (ev) finding_detail_str(f, "erlang_version", ev);
    const json_t *ot = json_object_get(j, "object_totals");
    int64_t queues = jint(json_object_get(ot, "queues"));
    int64_t msgs = jint(json_object_get(json_object_get(j, "queue_totals"), "messages"));
    if (queues >= 0) f->collections = queues;
    if (msgs >= 0) f->records = msgs;
    int64_t conns = jint(json_object_get(ot, "connections"));
    if (conns >= 0) finding_detail_int(f, "connections", conns);
}

static int rabbit_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct rabbit_state *s = a->state;
    struct finding *f = a->pc->f;
    json_t *j = NULL;
    int rc = PROBE_DONE;
    switch (s->step) {
    case RB_START:
        FINDING_SET(f, product, "RabbitMQ");
        finding_detail_str(f, "interface", "management");
        s->step = RB_OVERVIEW;
        rc = http_get(a, "/api/overview") < 0 ? PROBE_DONE : PROBE_SEND;
        break;
    case RB_OVERVIEW:
        if (r->status == 401 || r->status == 403) {
            f->auth = AUTH_REQUIRED;
            s->step = RB_AUTH;
            rc = http_get(a, "/api/auth") < 0 ? PROBE_DONE : PROBE_SEND;
            break;
        }
        j = body_json(r);
        if (json_is_object(j)) {
            f->auth = AUTH_NONE;
            on_overview(f, j);
        } else {
            finding_detail_int(f, "overview_status", r->status);
        }
        break;
    case RB_AUTH:
        j = body_json(r);
        if (json_is_object(j)) {
            /* 3.8-3.10: enable_uaa; 3.11+: oauth_enabled */
            json_t *o = json_object_get(j, "oauth_enabled");
            if (!o) o = json_object_get(j, "enable_uaa");
            if (json_is_boolean(o))
                finding_detail(f, "oauth_enabled", json_boolean(json_is_true(o)));
        }
        break;
    }
    json_decref(j);
    return rc;
}


const struct http_app http_app_rabbitmq = {
    .name = "rabbitmq",
    .paths = NULL,
    .state_size = sizeof(struct rabbit_state),
    .match = rabbit_match,
    .on_response = rabbit_on_response,
};
