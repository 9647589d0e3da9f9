/*
 * probe/couchdb.c -- Apache CouchDB and what answers like it (PouchDB
 * Server, Cloudant, Couchbase Sync Gateway), as an HTTP app.
 *
 * Requests this app can send (all GET, after the dispatcher's GET /):
 *   GET /_session      who we are: roles ["_admin"] for nobody = admin party
 *   GET /_all_dbs      database names
 *   GET /_dbs_info     every database's doc_count and sizes (GET form, 3.2+)
 *   GET /<db>          database info (doc_count, sizes / disk_size), for at
 *                      most COUCH_MAX_DB_INFO databases, when /_dbs_info is
 *                      absent (1.x, 2.x, PouchDB Server answer 400/404/405)
 * Database info is metadata; no document, no _changes, no _config (whose
 * answer would hold the hashed admin passwords).
 *
 * How it decides:
 *  - match: {"couchdb":"Welcome", ...}, {"express-pouchdb":"Welcome!", ...}
 *    or a Server header "CouchDB/<version>" (the 401 of require_valid_user).
 *  - product from the welcome document's vendor; version from "version",
 *    else the Server header.
 *  - auth: 401/403 on / or on /_all_dbs -> required. /_all_dbs open ->
 *    none when we are "_admin" without credentials (admin party,
 *    details.admin_party) or when some database info was readable; partial
 *    when every database refused us (names listed, contents closed).
 */
#include "probe/es_common.h"
#include "core/jsonscan.h"

#include <stdlib.h>
#include <string.h>

#define COUCH_MAX_DB_INFO 20
#define COUCH_MAX_NAMES   100000 /* database names kept from /_all_dbs */

enum { CD_ROOT = 0, CD_SESSION, CD_ALL_DBS, CD_DBS_INFO, CD_DB };

struct cd_state {
    int step;
    json_t *names; /* array of database names, in the server's order */
    json_t *infos; /* name -> info object */
    size_t next_db;
    int db_ok, db_denied;
    bool dbs_info_ok;
    int session; /* -1 not known, 0 not admin, 1 admin party */
};

static int cd_match(const struct http_app *self, const char *path, uint16_t port,
                    const struct http_resp *r)
{
    (void)self;
    (void)port;
    const char *sv = http_header(r, "Server");
    int score = 0;
    if (sv && str_iprefix(sv, "CouchDB/")) score = 90;
    if (r->status == 200 && r->body.data) {
        /* every 200 is asked: two keys read from the shared tokens, no tree
         * (core/jsonscan.h) */
        const struct jscan *s = http_resp_jscan(r);
        char c[16];
        int v = s ? jscan_get(s, 0, "couchdb") : -1;
        if (s && ((jscan_kind(s, v) == JSCAN_STRING && jscan_str(s, v, c, sizeof c) < sizeof c &&
                   str_ieq(c, "Welcome")) ||
                  jscan_get(s, 0, "express-pouchdb") >= 0))
            score = 100;
    }
    return score;
}

static void cd_root(struct finding *f, const struct http_resp *r)
{
    char product[64] = "CouchDB", ver[64] = "", vendor[128] = "", uuid[64] = "";
    json_error_t e;
    json_t *j = r->body.data ? json_loadb((const char *)r->body.data, r->body.len, 0, &e) : NULL;
    if (json_is_object(j)) {
        es_json_str(j, "version", ver, sizeof ver);
        es_json_str(j, "uuid", uuid, sizeof uuid);
        es_json_str(json_object_get(j, "vendor"), "name", vendor, sizeof vendor);
        if (json_object_get(j, "express-pouchdb") ||
            mem_find(vendor, strlen(vendor), "PouchDB", true))
            str_copy(product, "PouchDB Server", sizeof product);
        else if (mem_find(vendor, strlen(vendor), "Cloudant", true))
            str_copy(product, "Cloudant", sizeof product);
        else if (mem_find(vendor, strlen(vendor), "Couchbase", true))
            str_copy(product, "Couchbase Sync Gateway", sizeof product);
    }
    json_decref(j);
    const char *sv = http_header(r, "Server");
    if (!ver[0] && sv && str_iprefix(sv, "CouchDB/")) {
        /* "CouchDB/3.3.3 (Erlang OTP/24)" */
        size_t i = strlen("CouchDB/"), k = 0;
        while (sv[i + k] && sv[i + k] != ' ' && k + 1 < sizeof ver)
            k++;
        memcpy(ver, sv + i, k);
        ver[k] = 0;
    }
    FINDING_SET(f, product, product);
    if (ver[0]) FINDING_SET(f, version, ver);
    if (vendor[0]) finding_detail_str(f, "vendor", vendor);
    if (uuid[0]) finding_detail_str(f, "uuid", uuid);
}

static int names_one(void *arg, const char *key, size_t keylen, json_t *v)
{
    json_t *names = arg;
    if (json_is_string(v)) json_array_append(names, v);
    return json_array_size(names) >= COUCH_MAX_NAMES;
}

static int infos_one(void *arg, const char *key, size_t keylen, json_t *v)
{
    json_t *infos = arg;
    const json_t *k = json_object_get(v, "key");
    const json_t *info = json_object_get(v, "info");
    if (json_is_string(k) && json_is_object(info))
        json_object_setn(infos, json_string_value(k), json_string_length(k), (json_t *)info);
    return 0;
}

/* Percent-encode a database name for the path (its '/' must become %2F). */
static void db_path(const char *name, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    out[o++] = '/';
    for (const unsigned char *s = (const unsigned char *)name; *s && o + 4 < n; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-') {
            out[o++] = (char)*s;
        } else {
            out[o++] = '%';
            out[o++] = hex[*s >> 4];
            out[o++] = hex[*s & 15];
        }
    }
    out[o] = 0;
}

static int64_t info_bytes(const json_t *info)
{
    const json_t *sizes = json_object_get(info, "sizes");
    int64_t b = es_json_count(json_object_get(sizes, "file"));
    if (b < 0) b = es_json_count(json_object_get(info, "disk_size"));
    if (b < 0) b = es_json_count(json_object_get(sizes, "active"));
    return b;
}

/* Write the names with their counts and decide the auth state. */
static int cd_finish(struct http_app_ctx *a)
{
    struct cd_state *s = a->state;
    struct finding *f = a->pc->f;
    int64_t records = 0, bytes = 0, system = 0;
    bool any_r = false, any_b = false;
    size_t n = json_array_size(s->names), known = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *nm = json_array_get(s->names, i);
        const char *name = json_string_value(nm);
        const json_t *info = json_object_getn(s->infos, name, json_string_length(nm));
        int64_t r = info ? es_json_count(json_object_get(info, "doc_count")) : -1;
        int64_t b = info ? info_bytes(info) : -1;
        if (info) known++;
        if (name[0] == '_') system++;
        finding_add_name(f, name, json_string_length(nm), r, b);
        if (r >= 0 && records <= INT64_MAX - r) {
            records += r;
            any_r = true;
        }
        if (b >= 0 && bytes <= INT64_MAX - b) {
            bytes += b;
            any_b = true;
        }
    }
    f->databases = (int64_t)n;
    if (any_r || !n) f->records = records;
    if (any_b || !n) f->bytes = bytes;
    if (system) finding_detail_int(f, "system_databases", system);
    if (known < n) finding_detail(f, "sizes_partial", json_true());
    if (s->session == 1)
        f->auth = AUTH_NONE;
    else if (s->dbs_info_ok || s->db_ok || !n)
        f->auth = AUTH_NONE;
    else if (s->db_denied)
        f->auth = AUTH_PARTIAL;
    else
        f->auth = AUTH_NONE; /* the listing itself is open */
    return PROBE_DONE;
}

static int cd_next_db(struct http_app_ctx *a)
{
    struct cd_state *s = a->state;
    while (s->next_db < json_array_size(s->names) && s->next_db < COUCH_MAX_DB_INFO) {
        const char *name = json_string_value(json_array_get(s->names, s->next_db++));
        char path[800];
        db_path(name, path, sizeof path);
        s->step = CD_DB;
        if (http_get(a, path) < 0) break;
        return PROBE_SEND;
    }
    return cd_finish(a);
}

static int cd_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct cd_state *s = a->state;
    struct finding *f = a->pc->f;
    const char *body = (const char *)r->body.data;
    switch (s->step) {
    case CD_ROOT:
        cd_root(f, r);
        s->session = -1;
        if (r->status == 401 || r->status == 403) {
            f->auth = AUTH_REQUIRED;
            return PROBE_DONE;
        }
        s->step = CD_SESSION;
        if (http_get(a, "/_session") < 0) return PROBE_DONE;
        return PROBE_SEND;
    case CD_SESSION:
        if (r->status == 200 && body) {
            json_error_t e;
            json_t *j = json_loadb(body, r->body.len, 0, &e);
            const json_t *ctx = json_object_get(j, "userCtx");
            if (json_is_object(ctx)) {
                s->session = 0;
                size_t i;
                const json_t *role;
                json_array_foreach(json_object_get(ctx, "roles"), i, role)
                {
                    if (json_is_string(role) && strcmp(json_string_value(role), "_admin") == 0 &&
                        !json_is_string(json_object_get(ctx, "name")))
                        s->session = 1;
                }
                finding_detail(f, "admin_party", json_boolean(s->session == 1));
            }
            json_decref(j);
        }
        s->step = CD_ALL_DBS;
        if (http_get(a, "/_all_dbs") < 0) return PROBE_DONE;
        return PROBE_SEND;
    case CD_ALL_DBS:
        if (r->status == 401 || r->status == 403) {
            f->auth = AUTH_REQUIRED;
            return PROBE_DONE;
        }
        s->names = json_array();
        s->infos = json_object();
        if (!s->names || !s->infos) return PROBE_DONE;
        if (r->status != 200 || es_json_each(body, r->body.len, names_one, s->names, NULL) < 0) {
            if (s->session == 1) f->auth = AUTH_NONE;
            return PROBE_DONE;
        }
        if (!json_array_size(s->names)) return cd_finish(a);
        s->step = CD_DBS_INFO;
        if (http_get(a, "/_dbs_info") < 0) return cd_finish(a);
        return PROBE_SEND;
    case CD_DBS_INFO:
        if (r->status == 200 && es_json_each(body, r->body.len, infos_one, s->infos, NULL) > 0) {
            s->dbs_info_ok = true;
            return cd_finish(a);
        }
        return cd_next_db(a);
    default: /* CD_DB */
        if (r->status == 200 && body) {
            json_error_t e;
            json_t *j = json_loadb(body, r->body.len, 0, &e);
            const json_t *nm = json_array_get(s->names, s->next_db - 1);
            if (json_is_object(j)) {
                json_object_setn(s->infos, json_string_value(nm), json_string_length(nm), j);
                s->db_ok++;
            }
            json_decref(j);
        } else if (r->status == 401 || r->status == 403) {
            s->db_denied++;
        }
        return cd_next_db(a);
    }
}

static void cd_free(void *state)
{
    struct cd_state *s = state;
    json_decref(s->names);
    json_decref(s->infos);
}

const struct http_app http_app_couchdb = {
    .name = "couchdb",
    .paths = NULL,
    .state_size = sizeof(struct cd_state),
    .match = cd_match,
    .on_response = cd_on_response,
    .free_state = cd_free,
};
