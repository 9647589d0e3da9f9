/*
 * probe/registry.c -- the table of probes and of HTTP applications, and the
 * plan of which probes to try on an open port.
 *
 * Entries are weak references so that the tree builds while a probe's file
 * is absent (an absent probe is skipped); a present file makes it strong.
 *
 * The plan (docs/probes.md): probes whose usual ports include this port
 * come first (the HTTP dispatcher counts as usual when any HTTP app claims
 * the port); then the HTTP dispatcher, whose "GET /" also makes most
 * binary protocols say something recognisable; then the rest in table
 * order. The engine re-orders what is left after each failed attempt by
 * the probes' sniff() scores of the bytes it got back, and stops after
 * PROBE_MAX_ATTEMPTS connections in all.
 */
#include "probe/http.h"

#include <string.h>

#define WEAK __attribute__((weak))
extern const struct probe probe_redis WEAK, probe_memcached WEAK, probe_mongodb WEAK,
    probe_postgresql WEAK, probe_mysql WEAK, probe_zookeeper WEAK, probe_mqtt WEAK, probe_amqp WEAK,
    probe_clickhouse_native WEAK, probe_cassandra WEAK;

extern const struct http_app http_app_elasticsearch WEAK, http_app_kibana WEAK,
    http_app_couchdb WEAK, http_app_etcd WEAK, http_app_clickhouse WEAK, http_app_influxdb WEAK,
    http_app_prometheus WEAK, http_app_rabbitmq WEAK, http_app_docker WEAK,
    http_app_redis_commander WEAK, http_app_phpmyadmin WEAK, http_app_adminer WEAK;

static const struct probe *const all_probes[] = {
    &probe_http,      &probe_redis,     &probe_mysql, &probe_postgresql, &probe_mongodb,
    &probe_memcached, &probe_zookeeper, &probe_mqtt,  &probe_amqp,       &probe_clickhouse_native,
    &probe_cassandra,
};

static const struct http_app *const all_apps[] = {
    &http_app_elasticsearch, &http_app_kibana,          &http_app_couchdb,    &http_app_etcd,
    &http_app_clickhouse,    &http_app_influxdb,        &http_app_prometheus, &http_app_rabbitmq,
    &http_app_docker,        &http_app_redis_commander, &http_app_phpmyadmin, &http_app_adminer,
};

/* Compacted views without the absent entries, built on first use. */
static const struct probe *probes_present[ARRAY_LEN(all_probes) + 1];
static const struct http_app *apps_present[ARRAY_LEN(all_apps) + 1];
static size_t nprobes, napps;
static bool built;

static void build(void)
{
    if (built) return;
    built = true;
    for (size_t i = 0; i < ARRAY_LEN(all_probes); i++)
        if (all_probes[i]) probes_present[nprobes++] = all_probes[i];
    for (size_t i = 0; i < ARRAY_LEN(all_apps); i++)
        if (all_apps[i]) apps_present[napps++] = all_apps[i];
}

size_t probe_count(void)
{
    build();
    return nprobes;
}

const struct probe *probe_at(size_t i)
{
    build();
    return i < nprobes ? probes_present[i] : NULL;
}

size_t http_app_count(void)
{
    build();
    return napps;
}

const struct http_app *http_app_at(size_t i)
{
    build();
    return i < napps ? apps_present[i] : NULL;
}

const struct probe *probe_find(const char *name)
{
    build();
    for (size_t i = 0; i < nprobes; i++)
        if (strcmp(probes_present[i]->name, name) == 0) return probes_present[i];
    return NULL;
}

static bool has_port(const uint16_t *ports, uint16_t port)
{
    for (const uint16_t *p = ports; p && *p; p++)
        if (*p == port) return true;
    return false;
}

static bool http_claims(uint16_t port)
{
    build();
    if (has_port(probe_http.ports, port)) return true;
    for (size_t i = 0; i < napps; i++)
        if (has_port(apps_present[i]->ports, port)) return true;
    return false;
}

size_t probe_plan(uint16_t port, const struct probe **out, size_t max)
{
    build();
    size_t n = 0;
    bool used[ARRAY_LEN(all_probes) + 1] = {false};
    /* 1. usual probes of this port */
    for (size_t i = 0; i < nprobes && n < max; i++) {
        const struct probe *p = probes_present[i];
        bool usual = p == &probe_http ? http_claims(port) : has_port(p->ports, port);
        if (usual) {
            out[n++] = p;
            used[i] = true;
        }
    }
    /* 2. the rest, HTTP first (it is entry 0) */
    for (size_t i = 0; i < nprobes && n < max; i++)
        if (!used[i]) out[n++] = probes_present[i];
    return n;
}

static const uint16_t tls_ports[] = {443,  636,  993,  995,   5986, 6443, 8443,
                                     9443, 2376, 6380, 27018, 5671, 8883, 0};

bool probe_port_is_tls(uint16_t port)
{
    return has_port(tls_ports, port);
}
