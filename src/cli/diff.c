/*
 * cli/diff.c -- `ajar diff [OLD NEW]`: what changed between two scans of
 * the same targets. Exposures that are new, that closed, and that changed
 * (version, authentication, certificate, data volume), as text for a
 * person or --json for a program.
 *
 * Without arguments: the newest complete coverage and the one before it of
 * the same scope (for sharded scans, the whole groups). With one: that scan
 * and the one before it. A service is the same exposure when its address,
 * port, transport and service name are equal.
 *
 * Only like is compared with like: two complete coverages of the same
 * scope. An interrupted scan, a killed one or a group with a shard missing
 * saw only part of the scope, and the rest of the scope would show up as
 * "closed"; such a pair is refused (exit 1) with the scans that can be
 * compared.
 */
#include "cli/cli.h"
#include "core/finding.h"
#include "core/util.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char diff_usage[] =
    "usage: ajar diff [--db PATH|URL] [--json] [OLD NEW | NEW]\n"
    "\n"
    "Exposures new, closed and changed (version, auth, certificate, data volume) between\n"
    "two complete scans of the same targets; by default the last two. An interrupted or\n"
    "partial scan (a shard missing) is refused (exit 1), with the scans that can be compared.\n"
    "\n"
    "      --db PATH|URL   the store (default $AJAR_DB, else ./ajar.db; postgresql://...\n"
    "                      for PostgreSQL)\n"
    "      --json          one JSON object instead of text\n"
    "  -h, --help          this help\n"
    "\n"
    "Examples:\n"
    "  ajar diff                 the last two scans of the same targets\n"
    "  ajar diff 12 15 --json    scan 12 against scan 15\n";

/* What the diff compares of one exposure. */
struct expo {
    char key[160]; /* ip:port/transport/service, the identity */
    char ip[46];
    uint16_t port;
    char service[32];
    char product[64];
    char version[64];
    enum auth_state auth;
    enum severity severity;
    char cert[65];
    int64_t records, bytes;
    time_t first_seen, last_seen;
};

struct expo_list {
    struct expo *v;
    size_t n, cap;
};

static int collect(void *arg, const struct finding *f)
{
    struct expo_list *l = arg;
    struct expo *nv = arr_grow(l->v, l->n, &l->cap, sizeof *nv, 256);
    if (!nv) return -1;
    l->v = nv;
    struct expo *x = &l->v[l->n++];
    memset(x, 0, sizeof *x);
    str_fmt(x->key, sizeof x->key, "%s:%u/%s/%s", f->ip, f->port, f->transport,
            f->service[0] ? f->service : "unknown");
    str_copy(x->ip, f->ip, sizeof x->ip);
    x->port = f->port;
    str_copy(x->service, f->service[0] ? f->service : "unknown", sizeof x->service);
    str_copy(x->product, f->product, sizeof x->product);
    str_copy(x->version, f->version, sizeof x->version);
    x->auth = f->auth;
    x->severity = f->severity;
    if (f->tls.present) str_copy(x->cert, f->tls.sha256, sizeof x->cert);
    x->records = f->records;
    x->bytes = f->bytes;
    x->first_seen = f->first_seen;
    x->last_seen = f->last_seen;
    return 0;
}

static int cmp_expo(const void *a, const void *b)
{
    return strcmp(((const struct expo *)a)->key, ((const struct expo *)b)->key);
}

static json_t *expo_json(const struct expo *x)
{
    char fs[32] = "", ls[32] = "";
    time_fmt_utc(x->first_seen, fs, sizeof fs);
    time_fmt_utc(x->last_seen, ls, sizeof ls);
    json_t *o = json_object();
    json_object_set_new(o, "ip", json_string(x->ip));
    json_object_set_new(o, "port", json_integer(x->port));
    json_object_set_new(o, "service", json_string(x->service));
    json_object_set_new(o, "product", x->product[0] ? json_string(x->product) : json_null());
    json_object_set_new(o, "version", x->version[0] ? json_string(x->version) : json_null());
    json_object_set_new(o, "auth", json_string(auth_name(x->auth)));
    json_object_set_new(o, "severity", json_string(severity_name(x->severity)));
    json_object_set_new(o, "first_seen", x->first_seen ? json_string(fs) : json_null());
    json_object_set_new(o, "last_seen", x->last_seen ? json_string(ls) : json_null());
    return o;
}

static json_t *jval_str(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *jval_int(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static void add_change(json_t *changes, const char *what, json_t *from, json_t *to)
{
    json_t *c = json_object();
    json_object_set_new(c, "field", json_string(what));
    json_object_set_new(c, "from", from);
    json_object_set_new(c, "to", to);
    json_array_append_new(changes, c);
}

/* The changes between two observations of one exposure (an empty array if none). */
static json_t *changes_of(const struct expo *a, const struct expo *b)
{
    json_t *ch = json_array();
    if (strcmp(a->version, b->version))
        add_change(ch, "version", jval_str(a->version), jval_str(b->version));
    if (strcmp(a->product, b->product))
        add_change(ch, "product", jval_str(a->product), jval_str(b->product));
    if (a->auth != b->auth)
        add_change(ch, "auth", json_string(auth_name(a->auth)), json_string(auth_name(b->auth)));
    if (strcmp(a->cert, b->cert))
        add_change(ch, "certificate", jval_str(a->cert), jval_str(b->cert));
    if (a->records != b->records)
        add_change(ch, "records", jval_int(a->records), jval_int(b->records));
    if (a->bytes != b->bytes) add_change(ch, "bytes", jval_int(a->bytes), jval_int(b->bytes));
    if (a->severity != b->severity)
        add_change(ch, "severity", json_string(severity_name(a->severity)),
                   json_string(severity_name(b->severity)));
    return ch;
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "-";
}

/* One exposure: where, what, how open, and since when. */
static void print_expo_json(char mark, const json_t *v)
{
    printf("  %c %s:%lld  %s  %s %s  auth %s  severity %s  first seen %s  last seen %s\n", mark,
           jstr(v, "ip"), (long long)json_integer_value(json_object_get(v, "port")),
           jstr(v, "service"), jstr(v, "product"), jstr(v, "version"), jstr(v, "auth"),
           jstr(v, "severity"), jstr(v, "first_seen"), jstr(v, "last_seen"));
}

static void scan_line(const char *label, const struct scan_info *si)
{
    char st[32] = "", cov[256];
    time_fmt_utc(si->start, st, sizeof st);
    scan_coverage_text(si, cov, sizeof cov);
    printf("%s scan %lld  %s  %lld findings  (%s)\n", label, (long long)si->id, st,
           (long long)si->findings, cov);
}

/* The complete coverages (their groups' newest scans) of a scope, newest first, as "#7, #4". */
struct coverages {
    const char *scope;
    int64_t groups[6], ids[6];
    size_t n;
};

static int on_scan(void *arg, const struct scan_info *si)
{
    struct coverages *c = arg;
    if (strcmp(si->scope_key, c->scope) || !si->end || !scan_group_complete(si)) return 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->groups[i] == si->group) return 0;
    c->groups[c->n] = si->group;
    c->ids[c->n++] = si->id;
    return c->n >= ARRAY_LEN(c->ids);
}

/* "ajar diff: <why>; complete coverages of its targets: #7, #4" and exit 1. */
static int refuse(struct store *s, const struct scan_info *si, const char *why)
{
    struct coverages c = {.scope = si->scope_key};
    struct err e;
    char list[160] = "none";
    size_t o = 0;
    if (store_scans(s, on_scan, &c, &e) == 0)
        for (size_t i = 0; i < c.n && o + 1 < sizeof list; i++)
            o += (size_t)str_fmt(list + o, sizeof list - o, "%s#%lld", i ? ", " : "",
                                 (long long)c.ids[i]);
    fprintf(stderr, "ajar diff: %s; complete coverages of its targets: %s\n", why, list);
    return EXIT_RUNTIME;
}

/* A complete coverage? Else refuse naming what the scan covered. */
static int check_complete(struct store *s, const struct scan_info *si)
{
    if (si->end && scan_group_complete(si)) return 0;
    char cov[256], why[400];
    scan_coverage_text(si, cov, sizeof cov);
    str_fmt(why, sizeof why,
            "%s: not a complete coverage, so what it did not reach would show as "
            "closed",
            cov);
    return refuse(s, si, why);
}

/*
 * Walk the two scans' exposures (each sorted by key) together: one only in the old scan is
 * closed, one only in the new is new, one in both with other facts is changed. The number of
 * those unchanged.
 */
static size_t diff_merge(const struct expo_list *a, const struct expo_list *b, json_t *jnew,
                         json_t *jclosed, json_t *jchanged)
{
    size_t i = 0, k = 0, unchanged = 0;
    while (i < a->n || k < b->n) {
        int d = i >= a->n ? 1 : k >= b->n ? -1 : strcmp(a->v[i].key, b->v[k].key);
        if (d < 0) {
            json_array_append_new(jclosed, expo_json(&a->v[i++]));
        } else if (d > 0) {
            json_array_append_new(jnew, expo_json(&b->v[k++]));
        } else {
            json_t *ch = changes_of(&a->v[i], &b->v[k]);
            if (json_array_size(ch)) {
                json_t *x = expo_json(&b->v[k]);
                json_object_set_new(x, "changes", ch);
                json_array_append_new(jchanged, x);
            } else {
                json_decref(ch);
                unchanged++;
            }
            i++;
            k++;
        }
    }
    return unchanged;
}

/* The comparison as text. */
static void print_diff(const struct scan_info *so, const struct scan_info *sn, json_t *jnew,
                       json_t *jclosed, json_t *jchanged, size_t unchanged)
{
    scan_line("old:", so);
    scan_line("new:", sn);
    printf("\n%zu new, %zu closed, %zu changed, %zu unchanged\n", json_array_size(jnew),
           json_array_size(jclosed), json_array_size(jchanged), unchanged);
    size_t n;
    json_t *v;
    if (json_array_size(jnew)) printf("\nnew:\n");
    json_array_foreach(jnew, n, v) print_expo_json('+', v);
    if (json_array_size(jclosed))
        printf("\nclosed (not seen by the new scan, which covered every target):\n");
    json_array_foreach(jclosed, n, v) print_expo_json('-', v);
    if (json_array_size(jchanged)) printf("\nchanged:\n");
    json_array_foreach(jchanged, n, v)
    {
        print_expo_json('~', v);
        size_t m;
        json_t *ch;
        json_array_foreach(json_object_get(v, "changes"), m, ch) cli_print_change("", ch);
    }
}

int cmd_diff(int argc, char **argv)
{
    const char *db = cli_default_db();
    bool as_json = false;
    int rc = EXIT_USAGE;
    struct store *s = NULL;
    struct expo_list a = {0}, b = {0};
    struct err e = {{0}};
    json_t *out = NULL;
    int opt = cli_store_reader_opts(argc, argv, "diff", diff_usage, &db, &as_json);
    if (opt >= 0) return opt;
    int nargs = argc - optind;
    uint64_t ids[2] = {0, 0};
    if (nargs > 2) {
        fprintf(stderr, "ajar diff: give at most two scan ids (OLD NEW)\n");
        return EXIT_USAGE;
    }
    for (int i = 0; i < nargs; i++) {
        if (parse_u64(argv[optind + i], INT64_MAX, &ids[i]) < 0 || ids[i] == 0) {
            fprintf(stderr, "ajar diff: bad scan id '%s'\n", argv[optind + i]);
            return EXIT_USAGE;
        }
    }
    rc = EXIT_RUNTIME;
    if (store_open(&s, db, &e) < 0) goto fail;
    int64_t old_id = 0, new_id = 0;
    if (nargs == 2) {
        old_id = (int64_t)ids[0];
        new_id = (int64_t)ids[1];
    } else {
        if (nargs == 1)
            new_id = (int64_t)ids[0];
        else if (store_last_scan(s, NULL, &new_id, &e) < 0)
            goto fail;
        if (!new_id) {
            err_set(&e, "no complete scan in %s", db);
            goto fail;
        }
        if (store_prev_scan(s, new_id, &old_id, &e) < 0) goto fail;
        if (!old_id) {
            err_set(&e,
                    "scan %lld has no earlier finished scan of the same targets to compare with",
                    (long long)new_id);
            goto fail;
        }
    }
    struct scan_info so, sn;
    if (store_scan_get(s, old_id, &so, &e) < 0 || store_scan_get(s, new_id, &sn, &e) < 0) goto fail;
    if ((rc = check_complete(s, &so)) != 0 || (rc = check_complete(s, &sn)) != 0) goto out;
    if (strcmp(so.scope_key, sn.scope_key) != 0) {
        char why[160];
        str_fmt(why, sizeof why, "scans %lld and %lld covered different targets", (long long)old_id,
                (long long)new_id);
        rc = refuse(s, &sn, why);
        goto out;
    }
    rc = EXIT_RUNTIME;
    if (nargs == 0) { /* say so when the newest scan is not among the compared */
        int64_t newest = 0;
        struct scan_info sx;
        if (store_newest_scan(s, &newest, &e) == 0 && newest > new_id &&
            store_scan_get(s, newest, &sx, &e) == 0 && sx.group != sn.group) {
            char cov[256];
            scan_coverage_text(&sx, cov, sizeof cov);
            fprintf(stderr, "ajar diff: note: %s; comparing the newest complete coverages\n", cov);
        }
    }
    if (store_scan_findings(s, old_id, collect, &a, &e) < 0 ||
        store_scan_findings(s, new_id, collect, &b, &e) < 0)
        goto fail;
    qsort(a.v, a.n, sizeof *a.v, cmp_expo);
    qsort(b.v, b.n, sizeof *b.v, cmp_expo);

    json_t *jnew = json_array(), *jclosed = json_array(), *jchanged = json_array();
    out = json_object();
    json_object_set_new(out, "old", json_integer(old_id));
    json_object_set_new(out, "new", json_integer(new_id));
    json_object_set_new(out, "same_scope", json_boolean(!strcmp(so.scope_key, sn.scope_key)));
    char cov[256];
    scan_coverage_text(&so, cov, sizeof cov);
    json_object_set_new(out, "old_coverage", json_string(cov));
    scan_coverage_text(&sn, cov, sizeof cov);
    json_object_set_new(out, "new_coverage", json_string(cov));
    json_object_set_new(out, "new_exposures", jnew);
    json_object_set_new(out, "closed", jclosed);
    json_object_set_new(out, "changed", jchanged);
    size_t unchanged = diff_merge(&a, &b, jnew, jclosed, jchanged);
    json_object_set_new(out, "unchanged", json_integer((json_int_t)unchanged));
    if (as_json) {
        if (json_dumpf(out, stdout, JSON_COMPACT) < 0 || putchar('\n') == EOF) goto fail;
    } else {
        print_diff(&so, &sn, jnew, jclosed, jchanged, unchanged);
    }
    if (fflush(stdout) != 0) goto fail;
    rc = EXIT_OK;
    goto out;
fail:
    fprintf(stderr, "ajar diff: %s\n", e.msg[0] ? e.msg : "writing the output failed");
out:
    if (out) json_decref(out);
    free(a.v);
    free(b.v);
    store_close(s);
    return rc;
}
