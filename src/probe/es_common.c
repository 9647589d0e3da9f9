/*
 * probe/es_common.c -- see es_common.h.
 *
 * Why element by element: a large cluster's _cat/indices or _mapping answer
 * can exceed the body cap, and a cut-off JSON text does not parse at all
 * with json_loadb. es_json_each decodes one element at a time
 * (JSON_DISABLE_EOF_CHECK tells where each one ended) so a truncated list
 * still yields every complete entry before the cut, and each decoded value
 * is small and freed at once. The root document and _cat/indices, read on
 * every open store, are read without a tree (core/jsonscan.h: jsmn's tokens,
 * checked as jansson checks a text): the same texts are read with the same
 * values, _cat/indices' leading whole elements as es_json_each gives them
 * (JSCAN_PREFIX), at a fraction of the work; a list with more tokens than
 * jsonscan keeps goes through es_json_each, as _mapping does (a cold answer
 * whose walk recurses through properties).
 *
 * The 1.x _cat text table has no header (we never send ?v) and its columns
 * changed between generations:
 *   1.x   health index pri rep docs.count docs.deleted store.size pri.store.size
 *   2.x   health status index pri rep ...
 *   5.x+  health status index uuid pri rep ...
 * and a closed index leaves the health and numbers empty. The reader keys
 * on the health/status words to find the index column and takes the
 * numbers from the end of the line.
 */
#include "probe/es_common.h"
#include "core/jsonscan.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers ---- */

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    return a + b;
}

void es_json_str(const json_t *o, const char *key, char *out, size_t n)
{
    out[0] = 0;
    const json_t *v = json_object_get(o, key);
    if (json_is_string(v)) {
        str_sanitize(out, n, json_string_value(v), json_string_length(v), false);
    } else if (json_is_integer(v)) {
        str_fmt(out, n, "%lld", (long long)json_integer_value(v));
    }
}

int es_parse_size(const char *s, int64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {{"", 1},
                 {"b", 1},
                 {"kb", 1ull << 10},
                 {"mb", 1ull << 20},
                 {"gb", 1ull << 30},
                 {"tb", 1ull << 40},
                 {"pb", 1ull << 50}};
    while (*s == ' ')
        s++;
    size_t i = 0;
    while (isdigit((unsigned char)s[i]))
        i++;
    uint64_t whole;
    if (parse_u64n(s, i, (uint64_t)INT64_MAX, &whole) < 0) return -1;
    size_t fs = 0, fn = 0;
    if (s[i] == '.') {
        fs = ++i;
        while (isdigit((unsigned char)s[i]))
            i++;
        fn = i - fs;
        if (fn == 0) return -1;
    }
    const char *u = s + i;
    size_t ul = strlen(u);
    while (ul && u[ul - 1] == ' ')
        ul--;
    for (size_t k = 0; k < ARRAY_LEN(units); k++) {
        if (strlen(units[k].unit) != ul || strncasecmp(u, units[k].unit, ul) != 0) continue;
        uint64_t m = units[k].mult;
        if (whole > (uint64_t)INT64_MAX / m) {
            *out = INT64_MAX;
            return 0;
        }
        uint64_t v = whole * m;
        if (fn) {
            long double frac = 0, scale = 1;
            for (size_t j = 0; j < fn && j < 9; j++) {
                frac = frac * 10 + (s[fs + j] - '0');
                scale *= 10;
            }
            long double add = frac / scale * (long double)m;
            if ((long double)v + add >= (long double)INT64_MAX) {
                *out = INT64_MAX;
                return 0;
            }
            v += (uint64_t)add;
        }
        *out = (int64_t)v;
        return 0;
    }
    return -1;
}

int64_t es_json_count(const json_t *v)
{
    int64_t out;
    if (json_is_integer(v)) return json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= 0 && d < 9.2e18) return (int64_t)d;
        return -1;
    }
    if (json_is_string(v) && es_parse_size(json_string_value(v), &out) == 0) return out;
    return -1;
}

/* String token v unescaped whole: into tmp when it fits, else into memory the caller frees (the
 * return differs from tmp); NULL when v is no string or memory is short. */
static char *tok_text(const struct jscan *s, int v, char *tmp, size_t tn, size_t *len)
{
    if (jscan_kind(s, v) != JSCAN_STRING) return NULL;
    *len = jscan_str(s, v, tmp, tn);
    if (*len < tn) return tmp;
    char *p = xmalloc(*len + 1);
    if (p) jscan_str(s, v, p, *len + 1);
    return p;
}

/* es_json_str on a token tree: member key of object o, a string (sanitized) or an integer. */
static void tok_str(const struct jscan *s, int o, const char *key, char *out, size_t n)
{
    out[0] = 0;
    int v = jscan_get(s, o, key);
    int64_t x;
    if (jscan_int(s, v, &x) == 0) {
        str_fmt(out, n, "%lld", (long long)x);
        return;
    }
    char tmp[256];
    size_t len;
    char *t = tok_text(s, v, tmp, sizeof tmp, &len);
    if (!t) return;
    str_sanitize(out, n, t, len, false);
    if (t != tmp) free(t);
}

/* es_json_count on a token: an integer >= 0, a real in int64's range, a size string; else -1. */
static int64_t tok_count(const struct jscan *s, int v)
{
    int64_t x;
    double d;
    switch (jscan_kind(s, v)) {
    case JSCAN_INT:
        jscan_int(s, v, &x);
        return x >= 0 ? x : -1;
    case JSCAN_REAL:
        jscan_real(s, v, &d);
        return d >= 0 && d < 9.2e18 ? (int64_t)d : -1;
    case JSCAN_STRING: {
        char tmp[64];
        size_t len;
        char *t = tok_text(s, v, tmp, sizeof tmp, &len);
        /* as a C string, as json_string_value is read: up to a NUL */
        x = t && es_parse_size(t, &x) == 0 ? x : -1;
        if (t && t != tmp) free(t);
        return x;
    }
    default:
        return -1;
    }
}

static size_t skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i;
}

/* End (one past the closing quote) of the JSON string starting at p[i] == '"', or 0. */
static size_t string_end(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return 0;
}

int es_json_each(const char *p, size_t n, es_json_fn fn, void *arg, bool *complete)
{
    if (complete) *complete = false;
    if (!p) return -1;
    size_t i = skip_ws(p, n, 0);
    if (i >= n || (p[i] != '[' && p[i] != '{')) return -1;
    bool obj = p[i] == '{';
    char close = obj ? '}' : ']';
    int count = 0;
    i = skip_ws(p, n, i + 1);
    if (i < n && p[i] == close) {
        if (complete) *complete = true;
        return 0;
    }
    while (i < n) {
        json_t *key = NULL, *val = NULL;
        json_error_t e;
        if (obj) {
            if (p[i] != '"') break;
            size_t ke = string_end(p, n, i);
            if (!ke) break;
            key = json_loadb(p + i, ke - i, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
            if (!json_is_string(key)) {
                json_decref(key);
                break;
            }
            i = skip_ws(p, n, ke);
            if (i >= n || p[i] != ':') {
                json_decref(key);
                break;
            }
            i = skip_ws(p, n, i + 1);
            if (i >= n) {
                json_decref(key);
                break;
            }
        }
        size_t end = 0;
        if (p[i] == '{' || p[i] == '[') {
            val = json_loadb(p + i, n - i, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &e);
            if (val && e.position > 0) end = i + (size_t)e.position;
        } else {
            if (p[i] == '"') {
                end = string_end(p, n, i);
            } else {
                end = i;
                while (end < n && !strchr(",]} \t\r\n", p[end]))
                    end++;
                if (end == n) end = 0; /* a number cut by the end of the body */
            }
            if (end > i) val = json_loadb(p + i, end - i, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        }
        if (!val || end <= i) {
            json_decref(key);
            json_decref(val);
            break;
        }
        int stop =
            fn(arg, key ? json_string_value(key) : NULL, key ? json_string_length(key) : 0, val);
        count++;
        json_decref(key);
        json_decref(val);
        if (stop) break;
        i = skip_ws(p, n, end);
        if (i < n && p[i] == close) {
            if (complete) *complete = true;
            break;
        }
        if (i >= n || p[i] != ',') break;
        i = skip_ws(p, n, i + 1);
    }
    return count;
}

/* ---- GET / ---- */

int es_root_parse(const struct http_resp *r, struct es_root *out)
{
    memset(out, 0, sizeof *out);
    if (!r->body.data || !r->body.len) return -1;
    /* a few keys of a small object: read from its tokens, no tree (core/jsonscan.h reads
     * exactly the texts jansson reads, with the same values), made once for the match and
     * the reading */
    const struct jscan *s = http_resp_jscan(r);
    int rc = -1;
    if (!s || jscan_kind(s, 0) != JSCAN_OBJECT) return -1;
    char tmp[256];
    size_t tn;
    char *t = tok_text(s, jscan_get(s, 0, "tagline"), tmp, sizeof tmp, &tn);
    if (t) {
        if (mem_find(t, tn, "You Know, for Search", true)) out->tagline = true;
        if (mem_find(t, tn, "OpenSearch", false)) out->tagline = out->opensearch = true;
        if (t != tmp) free(t);
    }
    int ver = jscan_get(s, 0, "version");
    if (jscan_kind(s, ver) == JSCAN_OBJECT) {
        tok_str(s, ver, "number", out->version, sizeof out->version);
        tok_str(s, ver, "build_flavor", out->build_flavor, sizeof out->build_flavor);
        tok_str(s, ver, "lucene_version", out->lucene, sizeof out->lucene);
        char dist[32];
        tok_str(s, ver, "distribution", dist, sizeof dist);
        if (str_ieq(dist, "opensearch")) out->opensearch = true;
    }
    /* compatibility.override_main_response_version: "7.10.2", no distribution key */
    out->compat = out->opensearch && jscan_get(s, ver, "distribution") < 0;
    tok_str(s, 0, "cluster_name", out->cluster_name, sizeof out->cluster_name);
    tok_str(s, 0, "cluster_uuid", out->cluster_uuid, sizeof out->cluster_uuid);
    tok_str(s, 0, "name", out->node_name, sizeof out->node_name);
    if (out->tagline || (out->version[0] && out->cluster_name[0])) rc = 0;
    return rc;
}

int es_auth_score(const struct http_resp *r, bool *opensearch)
{
    int score = 0;
    if (opensearch) *opensearch = false;
    if (r->status != 401 && r->status != 403) return 0;
    for (int i = 0; i < r->nhdr; i++) {
        if (!str_ieq(http_hname(r, i), "WWW-Authenticate")) continue;
        const char *v = http_hvalue(r, i);
        if (mem_find(v, strlen(v), "realm=\"security\"", true) && score < 90) score = 90;
        if (mem_find(v, strlen(v), "OpenSearch Security", true) ||
            mem_find(v, strlen(v), "Open Distro Security", true)) {
            if (score < 85) score = 85;
            if (opensearch) *opensearch = true;
        }
    }
    const char *b = (const char *)r->body.data;
    size_t bn = r->body.len;
    if (b && mem_find(b, bn, "security_exception", false) && score < 90) score = 90;
    if (b && mem_find(b, bn, "AuthenticationException", false) &&
        mem_find(b, bn, "\"status\"", false) && score < 80)
        score = 80;
    return score;
}

void es_headers_parse(const struct http_resp *r, struct es_headers *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < r->nhdr; i++) {
        const char *v = http_hvalue(r, i);
        if (str_ieq(http_hname(r, i), "X-elastic-product")) {
            if (str_ieq(v, "Elasticsearch")) out->elastic_product = true;
            continue;
        }
        if (!str_ieq(http_hname(r, i), "Warning")) continue;
        if (mem_find(v, strlen(v), "security features are not enabled", true))
            out->security_disabled = true;
        const char *es = strstr(v, "Elasticsearch-");
        if (!es || out->version[0]) continue;
        es += strlen("Elasticsearch-");
        char tok[64];
        size_t k = 0;
        while (es[k] && es[k] != ' ' && es[k] != '"' && k + 1 < sizeof tok) {
            tok[k] = es[k];
            k++;
        }
        tok[k] = 0;
        /* drop the trailing -<build hash> */
        char *dash = strrchr(tok, '-');
        if (dash) {
            size_t hl = strlen(dash + 1);
            bool hex = hl >= 7;
            for (size_t j = 1; dash[j]; j++)
                if (!isxdigit((unsigned char)dash[j])) hex = false;
            if (hex) *dash = 0;
        }
        if (isdigit((unsigned char)tok[0])) str_copy(out->version, tok, sizeof out->version);
    }
}

void es_root_apply(struct finding *f, const struct es_root *root, const struct es_headers *h)
{
    FINDING_SET(f, product, root->opensearch ? "OpenSearch" : "Elasticsearch");
    if (root->version[0])
        FINDING_SET(f, version, root->version);
    else if (h && h->version[0])
        FINDING_SET(f, version, h->version);
    if (root->cluster_name[0]) finding_detail_str(f, "cluster_name", root->cluster_name);
    if (root->cluster_uuid[0]) finding_detail_str(f, "cluster_uuid", root->cluster_uuid);
    if (root->node_name[0]) finding_detail_str(f, "node_name", root->node_name);
    if (root->build_flavor[0]) finding_detail_str(f, "build_flavor", root->build_flavor);
    if (root->lucene[0]) finding_detail_str(f, "lucene_version", root->lucene);
    if (root->compat) finding_detail(f, "version_compat", json_true());
    if (h && h->security_disabled) finding_detail(f, "security_disabled_warning", json_true());
}

/* ---- _cat/indices ---- */

struct cat_acc {
    struct finding *f;
    int64_t n, records, bytes, system;
    bool any_records, any_bytes;
};

static void cat_add(struct cat_acc *a, const char *name, size_t len, int64_t docs, int64_t size)
{
    if (!len) return;
    finding_add_name(a->f, name, len, docs, size);
    a->n++;
    if (name[0] == '.') a->system++;
    if (docs >= 0) {
        a->records = sat_add(a->records, docs);
        a->any_records = true;
    }
    if (size >= 0) {
        a->bytes = sat_add(a->bytes, size);
        a->any_bytes = true;
    }
}

/* es_json_each's reading of one element (cat_json's, for a list past jscan's token cap). */
static int cat_json_one(void *arg, const char *key, size_t keylen, json_t *v)
{
    struct cat_acc *a = arg;
    const json_t *idx = json_object_get(v, "index");
    if (!json_is_string(idx)) return 0;
    cat_add(a, json_string_value(idx), json_string_length(idx),
            es_json_count(json_object_get(v, "docs.count")),
            es_json_count(json_object_get(v, "store.size")));
    return 0;
}

/* The JSON form: the leading elements that are whole, as es_json_each would give them. */
static int cat_json(struct cat_acc *a, const char *p, size_t n, bool *complete)
{
    struct jscan s;
    if (jscan_parse(&s, p, n, JSCAN_PREFIX | JSCAN_ALLOW_NUL) < 0) {
        jscan_free(&s);
        return -1;
    }
    if (s.capped) {
        /* more than JSCAN_MAX_TOKENS tokens (a list of tens of thousands of indices within
         * the body cap): element by element with jansson, the same reading in less memory */
        jscan_free(&s);
        return es_json_each(p, n, cat_json_one, a, complete) < 0 ? -1 : 0;
    }
    struct jscan_it it;
    for (int v = jscan_iter(&s, 0, &it, NULL); v >= 0; v = jscan_iter_next(&s, &it, NULL)) {
        char tmp[256];
        size_t len;
        char *name = tok_text(&s, jscan_get(&s, v, "index"), tmp, sizeof tmp, &len);
        if (!name) continue;
        cat_add(a, name, len, tok_count(&s, jscan_get(&s, v, "docs.count")),
                tok_count(&s, jscan_get(&s, v, "store.size")));
        if (name != tmp) free(name);
    }
    *complete = s.complete;
    jscan_free(&s);
    return 0;
}

static bool is_word(const char *t, size_t n, const char *w)
{
    return strlen(w) == n && strncmp(t, w, n) == 0;
}

static bool is_health(const char *t, size_t n)
{
    return is_word(t, n, "green") || is_word(t, n, "yellow") || is_word(t, n, "red");
}

static bool is_status(const char *t, size_t n)
{
    return is_word(t, n, "open") || is_word(t, n, "close");
}

static int64_t tok_num(const char *t, size_t n)
{
    char tmp[32];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, t, n);
    tmp[n] = 0;
    int64_t v;
    return es_parse_size(tmp, &v) == 0 ? v : -1;
}

/* One line of the text table; returns 1 if it was an index row. */
static int cat_text_line(struct cat_acc *a, const char *l, size_t ln)
{
    const char *tok[16];
    size_t tl[16];
    int nt = 0;
    for (size_t i = 0; i < ln && nt < 16;) {
        while (i < ln && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r'))
            i++;
        if (i >= ln) break;
        size_t s = i;
        while (i < ln && l[i] != ' ' && l[i] != '\t' && l[i] != '\r')
            i++;
        tok[nt] = l + s;
        tl[nt++] = i - s;
    }
    if (nt < 2) return 0;
    int idx;
    if (is_health(tok[0], tl[0]))
        idx = is_status(tok[1], tl[1]) ? 2 : 1;
    else if (is_status(tok[0], tl[0]))
        idx = 1; /* closed index: no health */
    else
        return 0;
    if (idx >= nt) return 0;
    int64_t docs = -1, size = -1;
    /* pri rep docs.count docs.deleted store.size pri.store.size: the last six */
    if (nt - idx - 1 >= 6) {
        int b = nt - 6;
        bool num = true;
        for (int k = b; k < nt; k++)
            if (tok_num(tok[k], tl[k]) < 0) num = false;
        if (num) {
            docs = tok_num(tok[b + 2], tl[b + 2]);
            size = tok_num(tok[b + 4], tl[b + 4]);
        }
    }
    cat_add(a, tok[idx], tl[idx], docs, size);
    return 1;
}

int es_cat_indices_apply(struct finding *f, const struct http_resp *r)
{
    struct cat_acc a = {.f = f};
    const char *p = (const char *)r->body.data;
    size_t n = r->body.len;
    bool complete = false;
    if (!p) return -1;
    size_t i = skip_ws(p, n, 0);
    if (i < n && p[i] == '{') return -1; /* an error object */
    if (i < n && p[i] == '[') {
        if (cat_json(&a, p, n, &complete) < 0) return -1;
    } else {
        int lines = 0, rows = 0;
        complete = true;
        while (i < n) {
            const char *nl = memchr(p + i, '\n', n - i);
            size_t e = nl ? (size_t)(nl - p) : n;
            if (!nl && r->truncated) {
                complete = false; /* the last line may be cut */
                break;
            }
            if (e > i) {
                lines++;
                rows += cat_text_line(&a, p + i, e - i);
            }
            i = e + 1;
        }
        if (lines && !rows) return -1;
    }
    f->collections = a.n;
    f->records = a.any_records || !a.n ? a.records : -1;
    f->bytes = a.any_bytes || !a.n ? a.bytes : -1;
    if (a.system) finding_detail_int(f, "system_indices", a.system);
    if (r->truncated || !complete) finding_detail(f, "indices_truncated", json_true());
    return (int)a.n;
}

/* ---- _mapping ---- */

#define FSET_SLOTS 16384 /* distinct field names remembered for de-duplication */

struct map_acc {
    struct finding *f;
    uint64_t *set; /* open addressing of name hashes, made for the first field (128 KiB: most
                      mappings have none); NULL: not yet, or no memory (no_set) */
    bool no_set;   /* no memory for it: rely on the finding's own dedup */
    size_t set_n;
    long nodes;
    int indices;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

/* True when the name was not seen before (and remembers it). */
static bool fset_add(struct map_acc *m, const char *s, size_t n)
{
    if (!m->set && !m->no_set && !(m->set = xcalloc(FSET_SLOTS, sizeof *m->set))) m->no_set = true;
    if (!m->set || m->set_n >= FSET_SLOTS * 3 / 4) return true;
    uint64_t h = fnv1a(s, n);
    size_t i = (size_t)(h % FSET_SLOTS);
    while (m->set[i]) {
        if (m->set[i] == h) return false;
        i = (i + 1) % FSET_SLOTS;
    }
    m->set[i] = h;
    m->set_n++;
    return true;
}

static void walk_props(struct map_acc *m, const json_t *props, const char *prefix, size_t plen,
                       int depth)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)props, k, v)
    {
        if (m->nodes >= ES_MAPPING_MAX_NODES) return;
        m->nodes++;
        char path[2 * FINDING_MAX_NAME];
        size_t len;
        if (plen) {
            len = (size_t)str_fmt(path, sizeof path, "%.*s.%s", (int)plen, prefix, k);
            if (len >= sizeof path) len = sizeof path - 1;
        } else {
            len = str_copy(path, k, sizeof path);
            if (len >= sizeof path) len = sizeof path - 1;
        }
        /* an object or nested field is named by its leaves ("contact.email") */
        const json_t *sub = json_object_get(v, "properties");
        if (json_is_object(sub)) {
            if (depth + 1 < ES_MAPPING_MAX_DEPTH) walk_props(m, sub, path, len, depth + 1);
            continue;
        }
        if (fset_add(m, path, len)) finding_add_field(m->f, path, len);
    }
}

static int map_one(void *arg, const char *key, size_t keylen, json_t *v)
{
    struct map_acc *m = arg;
    if (!json_is_object(v)) return 0;
    m->indices++;
    const json_t *maps = json_object_get(v, "mappings");
    if (!maps) maps = v; /* 0.90: {index: {type: {properties}}} */
    if (!json_is_object(maps)) return 0;
    const json_t *props = json_object_get(maps, "properties");
    if (json_is_object(props)) {
        walk_props(m, props, "", 0, 0); /* 7.x+: typeless */
    } else {
        /* 1.x-6.x: a level of mapping types */
        const char *t;
        json_t *tv;
        json_object_foreach((json_t *)maps, t, tv)
        {
            if (strcmp(t, "_default_") == 0) continue;
            const json_t *tp = json_object_get(tv, "properties");
            if (json_is_object(tp)) walk_props(m, tp, "", 0, 0);
        }
    }
    return m->nodes >= ES_MAPPING_MAX_NODES;
}

int es_mapping_apply(struct finding *f, const struct http_resp *r)
{
    struct map_acc m = {.f = f};
    bool complete = false;
    int n = es_json_each((const char *)r->body.data, r->body.len, map_one, &m, &complete);
    free(m.set);
    if (n < 0) return -1;
    if (r->truncated || !complete || m.nodes >= ES_MAPPING_MAX_NODES)
        finding_detail(f, "mapping_truncated", json_true());
    return m.indices;
}
