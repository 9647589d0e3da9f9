/*
 * cli/services_cmd.c -- `ajar services` (the catalogue: what ajar knows of
 * each service, compiled or from a signature file) and `ajar signatures
 * check` (validate signature files: a line "FILE:LINE: what is wrong" per
 * bad file, exit 2).
 *
 * The shipped signatures are loaded by cli_main before any command runs;
 * --signatures DIR adds a user's directory, as for `ajar scan`. The
 * markdown format is the table in docs/services.md, which a test
 * regenerates and compares.
 */
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "probe/signature.h"
#include "target/target.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char services_usage[] =
    "usage: ajar services [--format text|json|markdown|names] [--signatures DIR]...\n"
    "\n"
    "The service catalogue: for each service its class, usual ports (plain and TLS), whether\n"
    "they are scanned by default, and whether a compiled probe or a signature file finds it.\n"
    "\n"
    "  -f, --format FMT       text (default), json, markdown (docs/services.md), names\n"
    "      --signatures DIR   also load the signature files in DIR\n"
    "  -h, --help             this help\n";

static const char signatures_usage[] =
    "usage: ajar signatures check [PATH...]\n"
    "\n"
    "Check signature files (a file, or the *.yaml files of a directory; default: the shipped\n"
    "ones): one line 'FILE:LINE: what is wrong' per bad file, exit 2 when any is bad.\n";

static void ports_text(const uint16_t *p, char *out, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < CATALOG_MAX_PORTS && p[i] && o + 8 < n; i++)
        o += (size_t)str_fmt(out + o, n - o, "%s%u", i ? "," : "", p[i]);
}

static json_t *ports_json(const uint16_t *p)
{
    json_t *a = json_array();
    for (int i = 0; i < CATALOG_MAX_PORTS && p[i]; i++)
        json_array_append_new(a, json_integer(p[i]));
    return a;
}

static json_t *opt_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *entry_json(const struct svc *s)
{
    json_t *o = json_object(), *al = json_array();
    json_object_set_new(o, "name", json_string(s->name));
    for (int k = 0; k < CATALOG_MAX_ALIASES && s->aliases[k]; k++)
        json_array_append_new(al, json_string(s->aliases[k]));
    json_object_set_new(o, "aliases", al);
    json_object_set_new(o, "class", json_string(svc_class_name(s->cls)));
    json_object_set_new(o, "ports", ports_json(s->ports));
    json_object_set_new(o, "tls_ports", ports_json(s->tls_ports));
    json_object_set_new(o, "default_scan", json_boolean(s->default_scan));
    json_object_set_new(o, "implementation", json_string(svc_impl_name(s->impl)));
    json_object_set_new(o, "source", json_string(s->impl_name ? s->impl_name : ""));
    json_object_set_new(o, "instance_key", opt_str(s->instance_key));
    json_object_set_new(o, "default_account", opt_str(s->default_account));
    json_object_set_new(o, "lifecycle", opt_str(s->lifecycle));
    json_object_set_new(o, "no_auth", opt_str(s->no_auth));
    json_object_set_new(o, "prevalence", json_integer(s->prevalence));
    json_object_set_new(o, "exposure",
                        s->cls == SVC_INFRA ? json_string(svc_exposure_name(s->exposure))
                                            : json_null());
    json_object_set_new(o, "description", opt_str(s->text));
    return o;
}

/* The implementation as docs show it: "probe", "signature signatures/x.yaml" -> basename. */
static const char *impl_cell(const struct svc *s, char *buf, size_t n)
{
    if (s->impl != IMPL_SIGNATURE) return svc_impl_name(s->impl);
    const char *b = strrchr(s->impl_name, '/');
    str_fmt(buf, n, "signature `%s`", b ? b + 1 : s->impl_name);
    return buf;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const struct svc *const *)a)->name, (*(const struct svc *const *)b)->name);
}

int cmd_services(int argc, char **argv)
{
    const char *fmt = "text";
    struct err e = {{0}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(services_usage, stdout);
            return EXIT_OK;
        }
        if ((!strcmp(a, "-f") || !strcmp(a, "--format")) && i + 1 < argc) {
            fmt = argv[++i];
        } else if (!strncmp(a, "--format=", 9)) {
            fmt = a + 9;
        } else if (!strcmp(a, "--signatures") && i + 1 < argc) {
            if (signature_load_dir(argv[++i], NULL, &e) < 0) {
                fprintf(stderr, "ajar services: %s\n", e.msg);
                return EXIT_USAGE;
            }
        } else {
            fprintf(stderr,
                    "ajar services: unknown or incomplete option '%s' (try 'ajar services "
                    "--help')\n",
                    a);
            return EXIT_USAGE;
        }
    }
    if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "markdown") &&
        strcmp(fmt, "names")) {
        fprintf(stderr,
                "ajar services: bad value for --format: '%s' (text, json, markdown, "
                "names)\n",
                fmt);
        return EXIT_USAGE;
    }
    if (cli_signatures_error()) {
        fprintf(stderr, "ajar services: %s\n", cli_signatures_error());
        return EXIT_USAGE;
    }
    size_t n = catalog_count();
    const struct svc **v = xcalloc(n ? n : 1, sizeof *v);
    if (!v) return EXIT_RUNTIME;
    for (size_t i = 0; i < n; i++)
        v[i] = catalog_at(i);
    qsort(v, n, sizeof *v, cmp_name);
    int rc = EXIT_OK;
    if (!strcmp(fmt, "json")) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, entry_json(v[i]));
        if (json_dumpf(a, stdout, JSON_INDENT(1)) < 0 || putchar('\n') == EOF) rc = EXIT_RUNTIME;
        json_decref(a);
    } else if (!strcmp(fmt, "names")) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", v[i]->name);
    } else if (!strcmp(fmt, "markdown")) {
        printf("| service | class | ports | TLS ports | default | found by | what it is |\n"
               "|---|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < n; i++) {
            char p[128], t[128], im[96];
            ports_text(v[i]->ports, p, sizeof p);
            ports_text(v[i]->tls_ports, t, sizeof t);
            printf("| %s | %s | %s | %s | %s | %s | %s |\n", v[i]->name, svc_class_name(v[i]->cls),
                   p, t, v[i]->default_scan ? "yes" : "", impl_cell(v[i], im, sizeof im),
                   v[i]->text ? v[i]->text : "");
        }
        printf("\nDefault ports (`-p default`, or no `-p`): %s\n", ports_default_spec());
    } else {
        printf("%-18s %-15s %-24s %-14s %-8s %s\n", "SERVICE", "CLASS", "PORTS", "TLS PORTS",
               "DEFAULT", "FOUND BY");
        for (size_t i = 0; i < n; i++) {
            char p[128], t[128];
            ports_text(v[i]->ports, p, sizeof p);
            ports_text(v[i]->tls_ports, t, sizeof t);
            printf("%-18s %-15s %-24s %-14s %-8s %s\n", v[i]->name, svc_class_name(v[i]->cls),
                   p[0] ? p : "-", t[0] ? t : "-", v[i]->default_scan ? "yes" : "-",
                   v[i]->impl == IMPL_SIGNATURE ? v[i]->impl_name : svc_impl_name(v[i]->impl));
        }
    }
    free(v);
    if (fflush(stdout) != 0) rc = EXIT_RUNTIME;
    return rc;
}

static void say(const char *line)
{
    fprintf(stdout, "%s\n", line);
}

int cmd_signatures(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(signatures_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "ajar signatures: unknown subcommand '%s' (check)\n", argv[1]);
        return EXIT_USAGE;
    }
    int bad = 0, checked = 0;
    if (argc == 2) {
        /* the shipped ones: cli_main loaded them; check them afresh, without the catalogue's
         * copy of each (a file is not its own duplicate) */
        const char *dir = signature_shipped_dir();
        if (!dir) {
            fprintf(stderr, "ajar signatures: no shipped signatures found\n");
            return EXIT_RUNTIME;
        }
        signature_unload_all();
        int r = signature_check_path(dir, &bad, say);
        checked += r > 0 ? r : 0;
    } else {
        for (int i = 2; i < argc; i++) {
            int r = signature_check_path(argv[i], &bad, say);
            checked += r > 0 ? r : 0;
        }
    }
    fprintf(stderr, "ajar signatures: %d file(s) checked, %d bad\n", checked, bad);
    return bad ? EXIT_USAGE : EXIT_OK;
}
