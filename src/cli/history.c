/*
 * cli/history.c -- `ajar history ADDRESS[:PORT]`: the life of an exposure.
 * Every observation of the services at an address (or one port of it),
 * oldest first, what changed from one to the next (product, version,
 * authentication, certificate, data volume, severity), when it was first
 * and last seen, how long it has been open, and when it was found closed.
 * Text for a person, --json for a program (each observation carries the
 * record as it was written then).
 *
 * What each claim rests on is said: a closed service names the scan that
 * found it closed and what that scan covered; an open service whose scope
 * was scanned since its last sighting by scans that were not complete
 * (interrupted, killed, a shard missing) lists them, since they neither
 * confirm nor refute it.
 */
#include "cli/cli.h"
#include "core/finding.h"
#include "core/util.h"
#include "store/store.h"

#include <getopt.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char history_usage[] =
    "usage: ajar history [--db PATH|URL] [--json] ADDRESS[:PORT]\n"
    "\n"
    "Every observation of the services at ADDRESS (or ADDRESS:PORT, [v6]:PORT) over time:\n"
    "first seen, changes, last seen, closed.\n"
    "\n"
    "      --db PATH|URL   the store (default $AJAR_DB, else ./ajar.db; postgresql://...\n"
    "                      for PostgreSQL)\n"
    "      --json          one JSON object instead of text\n"
    "  -h, --help          this help\n"
    "\n"
    "Examples:\n"
    "  ajar history 10.1.2.3:9200\n"
    "  ajar history 10.1.2.3 --json --db postgresql://ajar@db/ajar\n";

struct obs {
    int64_t scan;
    char key[120]; /* port/transport/service */
    json_t *rec;
};

struct obs_list {
    struct obs *v;
    size_t n, cap;
};

static int on_obs(void *arg, int64_t scan_id, const struct finding *f)
{
    struct obs_list *l = arg;
    struct obs *nv = arr_grow(l->v, l->n, &l->cap, sizeof *nv, 64);
    if (!nv) return -1;
    l->v = nv;
    struct obs *o = &l->v[l->n];
    o->scan = scan_id;
    str_fmt(o->key, sizeof o->key, "%u/%s/%s", f->port, f->transport,
            f->service[0] ? f->service : "unknown");
    o->rec = finding_to_json(f, false);
    if (!o->rec) return -1;
    l->n++;
    return 0;
}

struct svc_list {
    struct store_service *v;
    size_t n, cap;
};

/* The scans of one scope after a given one that are not complete coverages, oldest first. */
struct since {
    const char *scope;
    int64_t after;
    json_t *list;
};

static int on_scan_since(void *arg, const struct scan_info *si)
{
    struct since *c = arg;
    if (si->id <= c->after) return 1; /* newest first: nothing older matters */
    if (strcmp(si->scope_key, c->scope) || (si->end && scan_group_complete(si))) return 0;
    char cov[256];
    scan_coverage_text(si, cov, sizeof cov);
    json_t *x = json_object();
    json_object_set_new(x, "scan", json_integer(si->id));
    json_object_set_new(x, "coverage", json_string(cov));
    json_array_insert_new(c->list, 0, x);
    return 0;
}

/* "closed_by" for a closed service, "incomplete_since" for an open one (see the essay). */
static int claim_basis(struct store *s, const struct store_service *sv, int64_t last_scan,
                       json_t *o, struct err *e)
{
    struct scan_info si;
    char cov[256];
    if (sv->closed_at) {
        int64_t by = 0;
        if (store_closed_by(s, sv->id, &by, e) < 0) return -1;
        if (!by || store_scan_get(s, by, &si, e) < 0) {
            json_object_set_new(o, "closed_by", json_null());
            return 0;
        }
        scan_coverage_text(&si, cov, sizeof cov);
        json_t *x = json_object();
        json_object_set_new(x, "scan", json_integer(by));
        json_object_set_new(x, "coverage", json_string(cov));
        json_object_set_new(o, "closed_by", x);
        return 0;
    }
    json_t *list = json_array();
    json_object_set_new(o, "incomplete_since", list);
    if (!last_scan || store_scan_get(s, last_scan, &si, e) < 0) return 0;
    struct since c = {.scope = si.scope_key, .after = last_scan, .list = list};
    return store_scans(s, on_scan_since, &c, e);
}

static int on_service(void *arg, const struct store_service *sv)
{
    struct svc_list *l = arg;
    struct store_service *nv = arr_grow(l->v, l->n, &l->cap, sizeof *nv, 16);
    if (!nv) return -1;
    l->v = nv;
    l->v[l->n++] = *sv;
    return 0;
}

/* ADDRESS, ADDRESS:PORT, [V6] or [V6]:PORT; a bare v6 address has no port. */
static int parse_target(const char *arg, char *ip, size_t n, uint16_t *port)
{
    uint64_t p = 0;
    *port = 0;
    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');
        if (!close || (size_t)(close - arg - 1) >= n || close == arg + 1) return -1;
        memcpy(ip, arg + 1, (size_t)(close - arg - 1));
        ip[close - arg - 1] = 0;
        if (!close[1]) return 0;
        if (close[1] != ':' || parse_u64(close + 2, 65535, &p) < 0 || !p) return -1;
        *port = (uint16_t)p;
        return 0;
    }
    const char *colon = strchr(arg, ':');
    if (colon && !strchr(colon + 1, ':')) {
        if ((size_t)(colon - arg) >= n || colon == arg) return -1;
        memcpy(ip, arg, (size_t)(colon - arg));
        ip[colon - arg] = 0;
        if (parse_u64(colon + 1, 65535, &p) < 0 || !p) return -1;
        *port = (uint16_t)p;
        return 0;
    }
    if (!arg[0] || strlen(arg) >= n) return -1;
    str_copy(ip, arg, n);
    return 0;
}

/* parse_target, and the address must be one (a typo is a usage error, not "never seen"). */
static int parse_target_addr(const char *arg, char *ip, size_t n, uint16_t *port)
{
    unsigned char a[16];
    if (parse_target(arg, ip, n, port) < 0) return -1;
    return inet_pton(AF_INET, ip, a) == 1 || inet_pton(AF_INET6, ip, a) == 1 ? 0 : -1;
}

static json_t *jtime(time_t t)
{
    char b[32];
    if (!t) return json_null();
    time_fmt_utc(t, b, sizeof b);
    return json_string(b);
}

static void fmt_duration(int64_t s, char *out, size_t n)
{
    if (s < 0) s = 0;
    if (s >= 86400)
        str_fmt(out, n, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        str_fmt(out, n, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        str_fmt(out, n, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
}

static void put_fact(json_t *f, const char *k, const json_t *v)
{
    json_object_set_new(f, k, v ? json_deep_copy(v) : json_null());
}

/* The facts compared from one observation to the next, as "name": value. */
static json_t *facts(const json_t *rec)
{
    json_t *f = json_object();
    const json_t *data = json_object_get(rec, "data");
    const json_t *tls = json_object_get(rec, "tls");
    put_fact(f, "product", json_object_get(rec, "product"));
    put_fact(f, "version", json_object_get(rec, "version"));
    put_fact(f, "auth", json_object_get(rec, "auth"));
    put_fact(f, "certificate", json_is_object(tls) ? json_object_get(tls, "sha256") : NULL);
    put_fact(f, "records", json_is_object(data) ? json_object_get(data, "records") : NULL);
    put_fact(f, "bytes", json_is_object(data) ? json_object_get(data, "bytes") : NULL);
    put_fact(f, "severity", json_object_get(rec, "severity"));
    return f;
}

static json_t *changes(const json_t *prev, const json_t *cur)
{
    json_t *ch = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)cur, k, v)
    {
        json_t *p = json_object_get(prev, k);
        if (!(p && json_equal(p, v))) {
            json_t *c = json_object();
            json_object_set_new(c, "field", json_string(k));
            json_object_set_new(c, "from", p ? json_deep_copy(p) : json_null());
            json_object_set_new(c, "to", json_deep_copy(v));
            json_array_append_new(ch, c);
        }
    }
    return ch;
}

/*
 * One service's history: identity, times, how long it has been exposed, and its observations
 * (each with what changed since the one before); *last_scan the newest scan that saw it.
 */
static json_t *service_json(const struct store_service *sv, const struct obs_list *ol, time_t now,
                            int64_t *last_scan)
{
    char key[120];
    str_fmt(key, sizeof key, "%u/%s/%s", sv->port, sv->transport, sv->service);
    json_t *o = json_object();
    json_object_set_new(o, "port", json_integer(sv->port));
    json_object_set_new(o, "transport", json_string(sv->transport));
    json_object_set_new(o, "service", json_string(sv->service));
    json_object_set_new(o, "first_seen", jtime(sv->first_seen));
    json_object_set_new(o, "last_seen", jtime(sv->last_seen));
    json_object_set_new(o, "closed_at", jtime(sv->closed_at));
    json_object_set_new(o, "open", json_boolean(!sv->closed_at));
    /* how long it has been (or was) exposed: to now while open, to the closing scan else */
    time_t until = sv->closed_at ? sv->closed_at : now;
    json_object_set_new(
        o, "open_seconds",
        json_integer((json_int_t)(until > sv->first_seen ? until - sv->first_seen : 0)));
    json_t *jo = json_array();
    json_object_set_new(o, "observations", jo);
    json_t *prev = NULL;
    for (size_t k = 0; k < ol->n; k++) {
        if (strcmp(ol->v[k].key, key)) continue;
        json_t *x = json_object();
        json_t *cur = facts(ol->v[k].rec);
        json_object_set_new(x, "scan", json_integer(ol->v[k].scan));
        json_object_set(x, "time", json_object_get(ol->v[k].rec, "time"));
        json_object_set_new(x, "changes", prev ? changes(prev, cur) : json_array());
        json_object_set(x, "record", ol->v[k].rec);
        json_array_append_new(jo, x);
        if (prev) json_decref(prev);
        prev = cur;
    }
    if (prev) json_decref(prev);
    *last_scan = 0;
    for (size_t k = 0; k < ol->n; k++)
        if (!strcmp(ol->v[k].key, key) && ol->v[k].scan > *last_scan) *last_scan = ol->v[k].scan;
    return o;
}

/* One service's history as text (o: its object from service_json and claim_basis). */
static void print_service(const char *ip, const struct store_service *sv, const json_t *o)
{
    char fs[32], ls[32], cl[32], dur[32];
    time_fmt_utc(sv->first_seen, fs, sizeof fs);
    time_fmt_utc(sv->last_seen, ls, sizeof ls);
    fmt_duration(json_integer_value(json_object_get(o, "open_seconds")), dur, sizeof dur);
    printf("%s:%u %s %s\n", ip, sv->port, sv->transport, sv->service);
    printf("  first seen %s, last seen %s\n", fs, ls);
    if (sv->closed_at) {
        time_fmt_utc(sv->closed_at, cl, sizeof cl);
        const json_t *by = json_object_get(o, "closed_by");
        printf("  CLOSED at %s after %s open", cl, dur);
        if (json_is_object(by))
            printf(" (found closed by %s)", json_string_value(json_object_get(by, "coverage")));
        printf("\n");
    } else {
        printf("  OPEN for %s\n", dur);
        size_t m;
        json_t *x;
        json_array_foreach(json_object_get(o, "incomplete_since"), m, x)
            printf("  since its last sighting, not a complete coverage: %s\n",
                   json_string_value(json_object_get(x, "coverage")));
    }
    size_t k;
    json_t *x;
    json_array_foreach(json_object_get(o, "observations"), k, x)
    {
        const json_t *r = json_object_get(x, "record");
        printf("  scan %lld  %s  ", (long long)json_integer_value(json_object_get(x, "scan")),
               json_string_value(json_object_get(x, "time"))
                   ? json_string_value(json_object_get(x, "time"))
                   : "-");
        cli_print_json_value(json_object_get(r, "product"));
        printf(" ");
        cli_print_json_value(json_object_get(r, "version"));
        printf("  auth ");
        cli_print_json_value(json_object_get(r, "auth"));
        printf("  severity ");
        cli_print_json_value(json_object_get(r, "severity"));
        printf("\n");
        size_t m;
        json_t *ch;
        json_array_foreach(json_object_get(x, "changes"), m, ch) cli_print_change("changed ", ch);
    }
}

int cmd_history(int argc, char **argv)
{
    const char *db = cli_default_db();
    bool as_json = false;
    int rc = EXIT_USAGE;
    struct store *s = NULL;
    struct obs_list ol = {0};
    struct svc_list sl = {0};
    struct err e = {{0}};
    json_t *out = NULL;
    int opt = cli_store_reader_opts(argc, argv, "history", history_usage, &db, &as_json);
    if (opt >= 0) return opt;
    char ip[64];
    uint16_t port = 0;
    if (argc - optind != 1) {
        fprintf(stderr, "ajar history: give one ADDRESS or ADDRESS:PORT\n");
        return EXIT_USAGE;
    }
    if (parse_target_addr(argv[optind], ip, sizeof ip, &port) < 0) {
        fprintf(stderr,
                "ajar history: bad address '%s' (want ADDRESS, ADDRESS:PORT or [V6]:PORT)\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    rc = EXIT_RUNTIME;
    if (store_open(&s, db, &e) < 0) goto fail;
    if (store_services(s, ip, port, on_service, &sl, &e) < 0 ||
        store_history(s, ip, port, on_obs, &ol, &e) < 0)
        goto fail;
    out = json_object();
    json_object_set_new(out, "ip", json_string(ip));
    json_object_set_new(out, "port", port ? json_integer(port) : json_null());
    json_t *jsv = json_array();
    json_object_set_new(out, "services", jsv);
    time_t now = now_wall();
    for (size_t i = 0; i < sl.n; i++) {
        const struct store_service *sv = &sl.v[i];
        int64_t last_scan;
        json_t *o = service_json(sv, &ol, now, &last_scan);
        json_array_append_new(jsv, o);
        if (claim_basis(s, sv, last_scan, o, &e) < 0) goto fail;
    }
    if (as_json) {
        if (json_dumpf(out, stdout, JSON_COMPACT) < 0 || putchar('\n') == EOF) goto fail;
    } else if (sl.n == 0) {
        if (port)
            printf("%s:%u: never seen in %s\n", ip, port, db);
        else
            printf("%s: never seen in %s\n", ip, db);
    } else {
        size_t i;
        json_t *o;
        json_array_foreach(jsv, i, o)
        {
            print_service(ip, &sl.v[i], o);
        }
    }
    if (fflush(stdout) != 0) goto fail;
    rc = EXIT_OK;
    goto out;
fail:
    fprintf(stderr, "ajar history: %s\n", e.msg[0] ? e.msg : "writing the output failed");
out:
    if (out) json_decref(out);
    for (size_t i = 0; i < ol.n; i++)
        json_decref(ol.v[i].rec);
    free(ol.v);
    free(sl.v);
    store_close(s);
    return rc;
}
