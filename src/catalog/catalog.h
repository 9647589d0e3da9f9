/*
 * catalog/catalog.h -- what ajar knows about each service, in one place.
 *
 * One entry per service: its name (the record's `service`) and aliases,
 * its class, its usual plain and TLS ports, whether it is in the default
 * port list, the detail that names one deployment (instance key), the
 * empty-password default account it may be tried with, its lifecycle
 * product, the versions that had no free authentication, how
 * common it is (the probe order on ports no entry claims) and the sentence
 * reports use. Everything else derives from it: -p names and the default
 * ports (target/ports.c), TLS-first ports and the probe plan
 * (probe/registry.c), the assessment's classes (assess.c), instance keys,
 * `ajar services`, the docs' service table, the shell completion.
 *
 * Compiled services have their entry in catalog/services.c and their
 * implementation (a probe or an HTTP app) bound to it by name in
 * probe/registry.c; a signature file (signatures/, --signatures DIR)
 * brings its own entry, added here when it is loaded
 * (probe/signature.c). test_catalog checks that every entry has exactly
 * one implementation and every implementation an entry.
 *
 * Names compare with '_' and '-' alike and without case.
 */
#ifndef AJAR_CATALOG_H
#define AJAR_CATALOG_H

#include "core/util.h"

#include <stdbool.h>
#include <stdint.h>

enum svc_class { SVC_OTHER = 0, SVC_DATA, SVC_CONSOLE, SVC_INFRA, SVC_BROKER };
enum svc_impl { IMPL_PROBE = 1, IMPL_HTTP_APP, IMPL_SIGNATURE };
/* What an open instance of an infrastructure service hands anyone (the exposed-infrastructure
 * signal's severity and words): a map of the network, the secrets it keeps, or running code. */
enum svc_exposure { EXP_MAP = 0, EXP_SECRETS, EXP_CODE };

#define CATALOG_MAX_PORTS   16
#define CATALOG_MAX_ALIASES 8

struct svc {
    const char *name;                         /* "redis": the record's service */
    const char *aliases[CATALOG_MAX_ALIASES]; /* more -p names, NULL-ended */
    enum svc_class cls;
    uint16_t ports[CATALOG_MAX_PORTS];     /* usual plain ports, 0-ended */
    uint16_t tls_ports[CATALOG_MAX_PORTS]; /* usual TLS ports (TLS tried first there), 0-ended */
    bool default_scan;                     /* its ports are in the default port list */
    const char *instance_key;    /* details key naming one deployment (cluster_uuid), or NULL */
    const char *default_account; /* the user tried with an empty password, or NULL */
    const char *lifecycle;       /* lifecycle product (data/lifecycle.tsv), or NULL */
    /* versions without free built-in authentication: comma-separated ranges "-6.8.0" (below
     * 6.8.0) or "7.0.0-7.1.0" (from 7.0.0, below 7.1.0); NULL when it always had it */
    const char *no_auth;
    const char *no_auth_source; /* where that comes from */
    int prevalence;             /* 1..100: how common; probe order on unclaimed ports */
    enum svc_exposure exposure; /* infrastructure: what an open one gives (map by default) */
    const char *text;           /* one sentence for reports */
    enum svc_impl impl;
    const char *impl_name; /* the probe's or HTTP app's name, or the signature file's path */
};

/* Entries in order: compiled ones first, then signatures as loaded. */
size_t catalog_count(void);
const struct svc *catalog_at(size_t i);
/* By name or alias ('_' and '-' alike, any case); NULL when unknown. */
const struct svc *catalog_find(const char *name);
/* By name only (a record's service). */
const struct svc *catalog_service(const char *service);

/*
 * Add an entry (a signature's). The catalogue copies the strings it points to. -1 with e set
 * when its name or an alias is taken, or out of memory.
 */
int catalog_add(const struct svc *s, struct err *e);
/* Drop every added entry (tests, fuzzing). */
void catalog_reset_added(void);

const char *svc_class_name(enum svc_class c);
/* "data", "console", "infrastructure", "broker", "other"; -1 when unknown. */
int svc_class_parse(const char *s, enum svc_class *out);
const char *svc_exposure_name(enum svc_exposure e);
int svc_exposure_parse(const char *s, enum svc_exposure *out);
const char *svc_impl_name(enum svc_impl i);

/* Has the entry this plain (or, tls, this TLS) port among its usual ones? */
bool svc_has_port(const struct svc *s, uint16_t port);
bool svc_has_tls_port(const struct svc *s, uint16_t port);
/* Is port one of any entry's usual TLS ports? */
bool catalog_port_is_tls(uint16_t port);
/* The detail naming one deployment of service, or NULL. */
const char *catalog_instance_key(const char *service);
/*
 * Which data store a finding reaches, where the server names it: the same store found at
 * several addresses (every node of an Elasticsearch cluster) or both directly and through a
 * console (an Elasticsearch behind a Kibana, a Redis behind a redis-commander) holds its data
 * once, and the report and the dashboard count its records and bytes once. "service/value" of
 * the entry's instance-key detail into out; false (out "") when absent or not an id
 * (finding_instance_id_ok).
 */
struct finding;
bool catalog_instance(const struct finding *f, char *out, size_t n);
/* Class of a record's service (SVC_OTHER when not in the catalogue). */
enum svc_class catalog_class(const char *service);

/* Compare names with '_' and '-' alike, any case. */
bool svc_name_eq(const char *a, const char *b);

#endif
