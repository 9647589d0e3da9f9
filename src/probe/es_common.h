/*
 * probe/es_common.h -- reading Elasticsearch (and OpenSearch) answers,
 * shared by the Elasticsearch app and the Kibana app (which reaches the
 * same cluster through its console proxy, where the bodies are identical).
 *
 * Everything here is a pure function of one HTTP response and writes only
 * through the finding setters, so untrusted names and versions are
 * sanitized and capped there. Bodies may be truncated (the HTTP parser keeps
 * the first HTTP_BODY_CAP bytes) or garbage: the list readers walk a JSON
 * array or object element by element and keep every element that parsed
 * before the damage, instead of losing the whole answer.
 *
 * The CouchDB app uses the tolerant walker (es_json_each) too.
 */
#ifndef AJAR_PROBE_ES_COMMON_H
#define AJAR_PROBE_ES_COMMON_H

#include "probe/http.h"

#include <jansson.h>

/* What GET / of an Elasticsearch/OpenSearch node says. */
struct es_root {
    bool opensearch;  /* version.distribution "opensearch" or the OpenSearch tagline */
    bool tagline;     /* the "You Know, for Search" / OpenSearch tagline was present */
    bool compat;      /* OpenSearch posing as Elasticsearch (no version.distribution) */
    char version[64]; /* version.number */
    char cluster_name[128];
    char cluster_uuid[64];
    char node_name[128];
    char build_flavor[32]; /* "default", "oss", "serverless" (6.3+) */
    char lucene[32];
};

/*
 * Parse a GET / body. Returns 0 when it is an Elasticsearch/OpenSearch root
 * document (a JSON object with the tagline, or with version.number and
 * cluster_name), -1 otherwise. Pure.
 */
int es_root_parse(const struct http_resp *r, struct es_root *out);

/*
 * 0..100: how much a 401/403 looks like the security layer of
 * Elasticsearch/OpenSearch (realm="security", a security_exception body,
 * Shield's AuthenticationException, OpenSearch/Open Distro Security realm).
 * 0 for other statuses. Sets *opensearch when the realm names OpenSearch.
 */
int es_auth_score(const struct http_resp *r, bool *opensearch);

/*
 * Facts from headers: X-elastic-product (7.14+) and the 7.13-7.17
 * `Warning: 299 Elasticsearch-<version>-<hash> "...security features are
 * not enabled..."`. version (may be NULL) gets the version the Warning
 * names, "" if none.
 */
struct es_headers {
    bool elastic_product;   /* X-elastic-product: Elasticsearch */
    bool security_disabled; /* the 299 warning that security is off */
    char version[64];
};
void es_headers_parse(const struct http_resp *r, struct es_headers *out);

/* Write product, version and details (cluster_name, ...) of a root answer. */
void es_root_apply(struct finding *f, const struct es_root *root, const struct es_headers *h);

/*
 * Read a _cat/indices answer (JSON array of objects with "index",
 * "docs.count", "store.size"; or the 1.x text table) into f: one
 * finding_add_name per index with its documents and bytes, collections =
 * indices, records = sum of docs.count, bytes = sum of store.size (sizes
 * with units such as "88.1kb" are converted), details system_indices
 * (names starting with '.') and indices_truncated when the body was cut.
 * Returns the number of indices read, or -1 when the body is neither form.
 */
int es_cat_indices_apply(struct finding *f, const struct http_resp *r);

/*
 * Read a GET /_mapping answer into f's fields: leaf property names, dotted
 * below object/nested fields ("contact.email", not "contact"; multi-fields
 * such as name.keyword are index variants, not fields, and are left out),
 * recursing through the 5.x/6.x type
 * level and nested properties; distinct names only; at most
 * ES_MAPPING_MAX_NODES properties visited and ES_MAPPING_MAX_DEPTH levels.
 * Returns the number of indices whose mapping was read, -1 if none parsed.
 */
#define ES_MAPPING_MAX_NODES 50000
#define ES_MAPPING_MAX_DEPTH 12
int es_mapping_apply(struct finding *f, const struct http_resp *r);

/*
 * "650b", "88.1kb", "105274918", "1.2tb" -> bytes (1024-based units).
 * Returns 0 or -1 when s is not a size.
 */
int es_parse_size(const char *s, int64_t *out);

/*
 * Walk the top-level JSON array or object in (p, n): fn is called for each
 * element (key NULL) or member (key, keylen) with a borrowed value. The walk
 * stops at the first element that does not parse (a cut-off body) and keeps
 * what came before; fn returns non-zero to stop early. *complete (may be
 * NULL) is set when the closing bracket was reached. Returns the number of
 * elements given to fn, or -1 when the body does not start with [ or {.
 */
typedef int (*es_json_fn)(void *arg, const char *key, size_t keylen, json_t *value);
int es_json_each(const char *p, size_t n, es_json_fn fn, void *arg, bool *complete);

/* Copy a JSON string member (or a number, printed) into out; "" if absent. */
void es_json_str(const json_t *o, const char *key, char *out, size_t n);
/* A JSON integer, or a string of digits, or a size string with a unit -> int64; -1 if absent. */
int64_t es_json_count(const json_t *v);

#endif
