/*
 * probe/influxdb.c -- InfluxDB 1.x HTTP API (port 8086).
 *
 * Every answer of InfluxDB 1.x (even the 404 to GET /) carries
 * X-Influxdb-Version, so GET / identifies it; /ping (204) is the
 * fingerprint path for setups where / is rewritten. SHOW DATABASES tells
 * open (200) from auth-enabled (401). When open, SHOW FIELD KEYS per
 * database names the measurements and their field keys -- names only;
 * no SELECT is ever sent, so no point is read.
 *
 * Requests this app can send (after the dispatcher's GET /):
 *   GET /ping                                  (fingerprint, by the dispatcher)
 *   GET /query?q=SHOW%20DATABASES
 *   GET /query?q=SHOW%20FIELD%20KEYS%20ON%20%22<db>%22   (each database but _internal, at most 16)
 *
 * Record: databases = databases but _internal, collections = measurements,
 * names = databases then measurement names, fields = field keys.
 */
#include "probe/http.h"

#include <jansson.h>
#include <string.h>

#define INFLUX_MAX_DBS 16

enum { IN_START = 0, IN_DATABASES, IN_FIELDS };

struct influx_state {
    int step;
    char dbs[INFLUX_MAX_DBS][FINDING_MAX_NAME];
    int ndbs;
    int next; /* next database to ask about */
    int64_t measurements;
};

static int influx_match(const struct http_app *self, const char *path,
                     const struct http_resp *r)
{
    (void)self;
    (void)path;
    if (http_header(r, "X-Influxdb-Version")) return 95;
    return 0;
}

static json_t *influx_series(const struct http_resp *r, const char **err)
{
    *err = NULL;
    if (r->status != 200 || !r->body.data || r->truncated) return NULL;
    json_t *j = json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
    json_t *res = json_array_get(json_object_get(j, "results"), 0);
    json_t *series = json_object_get(res, "series");
    if (json_is_string(json_object_get(res, "error"))) *err = "query error";
    if (json_is_array(series))
        json_incref(series);
    else
        series = NULL;
    json_decref(j);
    return series;
}

static int ask_fields(struct http_app_ctx *a, struct influx_state *s)
{
    static const char hex[] = "0123456789ABCDEF";
    if (s->next >= s->ndbs) return PROBE_DONE;
    const char *db = s->dbs[s->next++];
    char path[1024];
    size_t n = str_copy(path, "/query?q=SHOW%20FIELD%20KEYS%20ON%20%22", sizeof path);
    for (const char *p = db; *p && n + 8 < sizeof path; p++) {
        unsigned char c = (unsigned char)*p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
        if (c == '"' || c == '\\') { /* InfluxQL escapes inside a quoted identifier */
            path[n++] = '%';
            path[n++] = '5';
            path[n++] = 'C';
        }
        if (keep) {
            path[n++] = (char)c;
        } else {
            path[n++] = '%';
            path[n++] = hex[c >> 4];
            path[n++] = hex[c & 15];
        }
    }
    path[n] = 0;
    if (n + 4 >= sizeof path) return PROBE_DONE;
    str_copy(path + n, "%22", sizeof path - n);
    s->step = IN_FIELDS;
    return http_get(a, path) < 0 ? PROBE_DONE : PROBE_SEND;
}

static int influx_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct influx_state *s = a->state;
    struct finding *f = a->pc->f;
    const char *err = NULL;
    json_t *series = NULL;
    int rc = PROBE_DONE;
    size_t i, k;
    json_t *sr, *row;

    switch (s->step) {
    case IN_START: {
        const char *v = http_header(r, "X-Influxdb-Version");
        const char *build = http_header(r, "X-Influxdb-Build");
        FINDING_SET(f, product, "InfluxDB");
        if (v) FINDING_SET(f, version, v);
        if (build) finding_detail_str(f, "build", build);
        s->step = IN_DATABASES;
        rc = http_get(a, "/query?q=SHOW%20DATABASES") < 0 ? PROBE_DONE : PROBE_SEND;
        break;
    }
    case IN_DATABASES:
        if (r->status == 401 || r->status == 403) {
            f->auth = AUTH_REQUIRED;
            break;
        }
        series = influx_series(r, &err);
        if (!series) {
            if (err)
                finding_detail_str(f, "query", err);
            else
                finding_detail_int(f, "query_status", r->status);
            break;
        }
        f->auth = AUTH_NONE;
        f->databases = 0;
        json_array_foreach(series, i, sr)
        {
            json_array_foreach(json_object_get(sr, "values"), k, row)
            {
                const char *db = json_string_value(json_array_get(row, 0));
                if (!db || strcmp(db, "_internal") == 0) continue;
                f->databases++;
                finding_add_name(f, db, strlen(db), -1, -1);
                if (s->ndbs < INFLUX_MAX_DBS) str_copy(s->dbs[s->ndbs++], db, sizeof s->dbs[0]);
            }
        }
        rc = ask_fields(a, s);
        break;
    case IN_FIELDS:
        series = influx_series(r, &err);
        json_array_foreach(series, i, sr)
        {
            const char *m = json_string_value(json_object_get(sr, "name"));
            if (m) {
                s->measurements++;
                finding_add_name(f, m, strlen(m), -1, -1);
            }
            json_array_foreach(json_object_get(sr, "values"), k, row)
            {
                const char *fk = json_string_value(json_array_get(row, 0));
                if (fk) finding_add_field(f, fk, strlen(fk));
            }
        }
        f->collections = s->measurements;
        rc = ask_fields(a, s);
        break;
    }
    json_decref(series);
    return rc;
}

static const char *const influx_paths[] = {"/ping", NULL};

const struct http_app http_app_influxdb = {
    .name = "influxdb",
    .paths = influx_paths,
    .state_size = sizeof(struct influx_state),
    .match = influx_match,
    .on_response = influx_on_response,
};
