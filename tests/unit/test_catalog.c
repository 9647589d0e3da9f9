/*
 * tests/unit/test_catalog.c -- the service catalogue holds together:
 *  - every compiled entry has exactly one implementation (its probe or HTTP app, by name), and
 *    every registered probe and app an entry; every probe or app a source file defines is
 *    registered (a file nobody references would not even be linked, and would be lost)
 *  - every signature file of signatures/ loaded as an entry of its own
 *  - names and aliases unique ('_' and '-' alike), classes, prevalence and texts present
 *  - every service a probe fixture expects in a record (tests/probe/cases/, a redis reached
 *    through redis-commander included) has an entry: a service without one would have no class,
 *    and its severity would silently drop
 *  - what derives from it: TLS-first ports, instance keys, the -p name of every entry
 *  - the probe plan: a port's own services first, every probe once; the order tried on a port
 *    that said nothing never puts PostgreSQL's SSLRequest (8 bytes, saying 8) before the probes
 *    of servers that read an int32 size first (Kafka, ZooKeeper), which it would leave waiting
 */
#include "catalog/catalog.h"
#include "probe/http.h"
#include "probe/probe.h"
#include "probe/signature.h"
#include "target/target.h"
#include "unit/t.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void test_bindings(void)
{
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct svc *s = catalog_at(i);
        int impls = 0;
        if (s->impl == IMPL_PROBE) {
            const struct probe *p = probe_find(s->impl_name);
            CHECK_MSG(p && probe_entry(p) == s, "entry %s: no probe '%s'", s->name, s->impl_name);
            impls += p != NULL;
        } else if (s->impl == IMPL_HTTP_APP || s->impl == IMPL_SIGNATURE) {
            for (size_t k = 0; k < http_app_count(); k++)
                if (http_app_entry(http_app_at(k)) == s) impls++;
            for (size_t k = 0; s->impl == IMPL_SIGNATURE && k < probe_count(); k++)
                if (probe_at(k)->data && probe_entry(probe_at(k)) == s) impls++;
        }
        CHECK_MSG(impls == 1, "entry %s: %d implementations", s->name, impls);
    }
    for (size_t i = 0; i < probe_count(); i++)
        CHECK_MSG(probe_entry(probe_at(i)) != NULL, "probe %s has no catalogue entry",
                  probe_at(i)->name);
    for (size_t i = 0; i < http_app_count(); i++)
        CHECK_MSG(http_app_entry(http_app_at(i)) != NULL, "HTTP app %s has no catalogue entry",
                  http_app_at(i)->name);
}

/* Every `const struct probe probe_X` / `const struct http_app http_app_X` in src/probe. */
static void test_sources_registered(void)
{
    DIR *d = opendir("src/probe");
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *de;
    int seen = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 3 || strcmp(de->d_name + l - 2, ".c")) continue;
        char path[300];
        str_fmt(path, sizeof path, "src/probe/%s", de->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp) continue;
        char line[512];
        while (fgets(line, sizeof line, fp)) {
            char name[64];
            if (sscanf(line, "const struct probe probe_%63[a-z0-9_]", name) == 1) {
                seen++;
                CHECK_MSG(probe_find(name) != NULL, "%s defines probe_%s, not registered", path,
                          name);
            } else if (sscanf(line, "const struct http_app http_app_%63[a-z0-9_]", name) == 1) {
                seen++;
                CHECK_MSG(http_app_find(name) != NULL, "%s defines http_app_%s, not registered",
                          path, name);
            }
        }
        fclose(fp);
    }
    closedir(d);
    CHECK(seen >= 10);
}

static void test_signatures_loaded(void)
{
    DIR *d = opendir("signatures");
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".yaml")) files++;
    closedir(d);
    int entries = 0;
    for (size_t i = 0; i < catalog_count(); i++)
        if (catalog_at(i)->impl == IMPL_SIGNATURE) entries++;
    CHECK_MSG(files == entries && files == (int)signature_count(), "%d files, %d entries", files,
              entries);
    CHECK(files >= 5);
}

static void test_entries(void)
{
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct svc *s = catalog_at(i);
        CHECK_MSG(s->text && strlen(s->text) > 10, "%s: no description", s->name);
        CHECK_MSG(s->prevalence >= 1 && s->prevalence <= 100, "%s: prevalence", s->name);
        CHECK_MSG(s->cls >= SVC_OTHER && s->cls <= SVC_BROKER, "%s: class", s->name);
        CHECK_MSG(catalog_find(s->name) == s, "%s: found as another entry", s->name);
        for (int k = 0; k < CATALOG_MAX_ALIASES && s->aliases[k]; k++)
            CHECK_MSG(catalog_find(s->aliases[k]) == s, "%s: alias %s taken", s->name,
                      s->aliases[k]);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(!svc_name_eq(catalog_at(j)->name, s->name), "%s twice", s->name);
        if (s->ports[0] || s->tls_ports[0]) {
            uint16_t port = 0;
            CHECK_MSG(port_service_lookup(s->name, &port) == 0 &&
                          (svc_has_port(s, port) || svc_has_tls_port(s, port)),
                      "-p %s", s->name);
        }
        for (int k = 0; k < CATALOG_MAX_PORTS && s->tls_ports[k]; k++)
            CHECK_MSG(catalog_port_is_tls(s->tls_ports[k]), "%s: TLS port %u", s->name,
                      s->tls_ports[k]);
    }
    /* the drift the catalogue ended: CouchDB's 6984 and ClickHouse's 9440 speak TLS, 5986 not */
    CHECK(catalog_port_is_tls(6984) && catalog_port_is_tls(9440) && !catalog_port_is_tls(5986));
    CHECK(catalog_port_is_tls(10255)); /* Azure Cosmos DB's MongoDB API */
    CHECK(!strcmp(catalog_instance_key("elasticsearch"), "cluster_uuid"));
    CHECK(!strcmp(catalog_instance_key("redis"), "run_id"));
    CHECK(catalog_instance_key("mysql") == NULL);
    CHECK(catalog_class("redis_commander") == SVC_CONSOLE); /* '_' and '-' alike */
    CHECK(catalog_class("no-such-service") == SVC_OTHER);
}

/* The services the fixtures expect in records. */
static void test_fixture_services(void)
{
    const char *root = "tests/probe/cases";
    DIR *d = opendir(root);
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *de;
    int checked = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char dir[300];
        str_fmt(dir, sizeof dir, "%s/%s", root, de->d_name);
        DIR *c = opendir(dir);
        if (!c) continue;
        struct dirent *ce;
        while ((ce = readdir(c))) {
            if (ce->d_name[0] == '.') continue;
            char path[700];
            str_fmt(path, sizeof path, "%s/%s/expect.json", dir, ce->d_name);
            json_t *j = json_load_file(path, 0, NULL);
            if (!j) continue;
            const char *svc = json_string_value(json_object_get(j, "service"));
            if (svc && strcmp(svc, "unknown") != 0) {
                checked++;
                CHECK_MSG(catalog_service(svc) != NULL, "%s: service %s has no entry", path, svc);
            }
            size_t i;
            json_t *x;
            json_array_foreach(json_object_get(j, "_extra"), i, x)
            {
                const char *es = json_string_value(json_object_get(x, "service"));
                if (es) CHECK_MSG(catalog_service(es) != NULL, "%s: extra %s", path, es);
            }
            json_decref(j);
        }
        closedir(c);
    }
    closedir(d);
    CHECK(checked > 50);
}

static void test_plan(void)
{
    const struct probe *plan[512]; /* registry.c's PROBE_PLAN_MAX */
    size_t n = probe_plan(9092, plan, 512);
    CHECK(n == probe_count());
    CHECK(n > 0 && !strcmp(plan[0]->name, "kafka"));
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            CHECK(plan[i] != plan[k]);
    n = probe_plan(5432, plan, 512);
    CHECK(n > 0 && !strcmp(plan[0]->name, "postgresql"));
    const struct probe *pg = probe_find("postgresql"), *kafka = probe_find("kafka"),
                       *zk = probe_find("zookeeper"), *redis = probe_find("redis");
    CHECK(pg && kafka && zk && redis);
    if (pg && kafka && zk && redis) {
        CHECK(kafka->silent > pg->silent);
        CHECK(zk->silent > pg->silent);
        CHECK(redis->silent > kafka->silent); /* INFO ("*1\r\n": a 700 MB size) hangs no one */
    }
}

int main(void)
{
    t_load_signatures();
    test_bindings();
    test_sources_registered();
    test_signatures_loaded();
    test_entries();
    test_fixture_services();
    test_plan();
    return T_END();
}
