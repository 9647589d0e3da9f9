/*
 * probe/registry.c -- the compiled probes and HTTP apps, bound to their
 * catalogue entries, and the plan of which probes to try on an open port.
 *
 * Every implementation is referenced here by its symbol (a misspelled
 * name does not link) and bound to the catalogue entry whose impl_name
 * is its name (catalog/services.c); test_catalog checks that every
 * compiled entry has exactly one implementation and every implementation
 * an entry. Signature files are HTTP apps too, made at run time by
 * probe/signature.c; they come after the compiled apps.
 *
 * The plan (docs/probes.md): probes whose services usually listen on this
 * port come first (the HTTP dispatcher counts when any HTTP service's
 * entry claims the port); then the rest by the catalogue's prevalence,
 * the HTTP dispatcher first among them since its "GET /" also makes most
 * binary protocols say something recognisable. The engine re-orders what
 * is left after each attempt by the probes' sniff() scores of the bytes
 * it got back ("what the port said"), and stops after PROBE_MAX_ATTEMPTS
 * connections in all.
 */
#include "catalog/catalog.h"
#include "probe/http.h"
#include "probe/signature.h"

#include <string.h>

#define PROBE_PLAN_MAX 512 /* probes a plan chooses among (compiled + TCP signatures) */

extern const struct probe probe_redis, probe_memcached, probe_mongodb, probe_postgresql,
    probe_mysql, probe_zookeeper, probe_mqtt, probe_amqp, probe_clickhouse_native, probe_cassandra,
    probe_kafka, probe_mssql, probe_neo4j_bolt, probe_rethinkdb, probe_ldap, probe_rsync;

extern const struct http_app http_app_elasticsearch, http_app_kibana, http_app_couchdb,
    http_app_etcd, http_app_clickhouse, http_app_redis_commander, http_app_phpmyadmin;

static const struct probe *const all_probes[] = {
    &probe_http,      &probe_redis,     &probe_mysql, &probe_postgresql, &probe_mongodb,
    &probe_memcached, &probe_zookeeper, &probe_mqtt,  &probe_amqp,       &probe_clickhouse_native,
    &probe_cassandra, &probe_kafka,     &probe_mssql, &probe_neo4j_bolt, &probe_rethinkdb,
    &probe_ldap,      &probe_rsync,
};

static const struct http_app *const compiled_apps[] = {
    &http_app_elasticsearch, &http_app_kibana,          &http_app_couchdb,    &http_app_etcd,
    &http_app_clickhouse,    &http_app_redis_commander, &http_app_phpmyadmin,
};

/* The compiled probes, then the probes of TCP signatures (made when their files load). */
size_t probe_count(void)
{
    return ARRAY_LEN(all_probes) + signature_probe_count();
}

const struct probe *probe_at(size_t i)
{
    if (i < ARRAY_LEN(all_probes)) return all_probes[i];
    return signature_probe(i - ARRAY_LEN(all_probes));
}

size_t http_app_count(void)
{
    return ARRAY_LEN(compiled_apps) + signature_app_count();
}

const struct http_app *http_app_at(size_t i)
{
    if (i < ARRAY_LEN(compiled_apps)) return compiled_apps[i];
    return signature_app(i - ARRAY_LEN(compiled_apps));
}

const struct probe *probe_find(const char *name)
{
    for (size_t i = 0; i < probe_count(); i++)
        if (svc_name_eq(probe_at(i)->name, name)) return probe_at(i);
    return NULL;
}

/* The catalogue entry of an implementation (by kind and name), or NULL. */
static const struct svc *entry_of(enum svc_impl kind, const char *name)
{
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct svc *s = catalog_at(i);
        if (s->impl == kind && svc_name_eq(s->impl_name, name)) return s;
    }
    return NULL;
}

const struct svc *probe_entry(const struct probe *p)
{
    if (p->data) return catalog_service(p->name); /* a TCP signature's */
    return entry_of(IMPL_PROBE, p->name);
}

const struct svc *http_app_entry(const struct http_app *a)
{
    if (a->entry) return a->entry;
    return entry_of(IMPL_HTTP_APP, a->name);
}

static bool claims(const struct svc *s, uint16_t port)
{
    return s && (svc_has_port(s, port) || svc_has_tls_port(s, port));
}

bool http_app_claims(const struct http_app *a, uint16_t port)
{
    return claims(http_app_entry(a), port);
}

static bool http_claims(uint16_t port)
{
    if (claims(probe_entry(&probe_http), port)) return true;
    for (size_t i = 0; i < http_app_count(); i++)
        if (http_app_claims(http_app_at(i), port)) return true;
    return false;
}

size_t probe_plan(uint16_t port, const struct probe **out, size_t max)
{
    size_t n = 0, np = probe_count();
    if (np > PROBE_PLAN_MAX) np = PROBE_PLAN_MAX;
    bool used[PROBE_PLAN_MAX] = {false};
    int prev[PROBE_PLAN_MAX];
    /* 1. the probes of the services that usually listen here (each entry looked up once:
     * the lookup is a walk of the catalogue, and this runs for every job) */
    for (size_t i = 0; i < np; i++) {
        const struct probe *p = probe_at(i);
        const struct svc *e = probe_entry(p);
        prev[i] = e ? e->prevalence : 0;
        bool usual = p == &probe_http ? http_claims(port) : claims(e, port);
        if (usual && n < max) {
            out[n++] = p;
            used[i] = true;
        }
    }
    /* 2. the rest, most prevalent first (HTTP is the most: its GET / makes others talk) */
    while (n < max) {
        size_t best = np;
        for (size_t i = 0; i < np; i++)
            if (!used[i] && (best == np || prev[i] > prev[best])) best = i;
        if (best == np) break;
        used[best] = true;
        out[n++] = probe_at(best);
    }
    return n;
}

bool probe_port_is_tls(uint16_t port)
{
    return catalog_port_is_tls(port);
}
