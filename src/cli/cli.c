/*
 * cli/cli.c -- `ajar COMMAND [ARGS]`: the table of subcommands and --help.
 */
#include "cli/cli.h"
#include "cli/config.h"
#include "probe/signature.h"
#include "store/store.h"

#include <stdlib.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"scan", cmd_scan, "discover and identify exposed data stores and dashboards"},
    {"report", cmd_report, "what a scan found: text, json, jsonl, csv, html, sarif"},
    {"diff", cmd_diff, "exposures new, closed and changed between two scans"},
    {"history", cmd_history, "every observation of one service over time"},
    {"probe", cmd_probe, "probe the ip:port pairs read from stdin or a file (zmap | ajar probe)"},
    {"import", cmd_import, "probe the open ports of masscan, zmap or nmap results"},
    {"serve", cmd_serve, "the dashboard, over HTTPS, for the accounts of 'ajar user'"},
    {"user", cmd_user, "add, delete and list the dashboard's accounts"},
    {"services", cmd_services, "the service catalogue: classes, ports, probe or signature"},
    {"signatures", cmd_signatures, "check signature files (signatures check [PATH...])"},
    {"config", cmd_config, "the configuration in force and where each value comes from"},
};

/* Why the shipped signatures did not load, or NULL (commands that scan refuse to go on). */
static struct err sig_err;
static bool sig_failed;

const char *cli_signatures_error(void)
{
    return sig_failed ? sig_err.msg : NULL;
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: ajar [--config FILE | --no-config] COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\nexamples:\n"
                "  ajar scan 10.1.0.0/16 -p redis,9200 --fail-on high\n"
                "  zmap -p 9200 10.0.0.0/16 | ajar probe -p 9200\n"
                "  ajar import masscan.json\n"
                "  ajar report --format html -o report.html\n"
                "  ajar diff\n"
                "  ajar history 10.1.2.3:9200\n"
                "  ajar user add alice && ajar serve\n");
    fprintf(fp,
            "\n'ajar COMMAND --help' for a command's options and examples; 'man ajar';\n"
            "'ajar --version'. Exit status: 0 ok, 1 runtime failure, 2 usage error,\n"
            "3 --fail-on reached. Defaults come from /etc/ajar/ajar.conf and\n"
            "~/.config/ajar/ajar.conf (or --config FILE); 'ajar config show' (docs/config.md).\n");
}

const char *cli_default_db(void)
{
    const char *v = getenv("AJAR_DB");
    return v && v[0] ? v : STORE_DEFAULT_PATH;
}

/* A global option before the command: --config FILE, --config=FILE, --no-config. */
static int global_opt(int argc, char **argv, int *i, const char **config_file, bool *no_config)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--no-config")) {
        *no_config = true;
        return 1;
    }
    if (strcmp(a, "--config") != 0 && strncmp(a, "--config=", 9) != 0) return 0;
    const char *f = a[8] == '=' ? a + 9 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!f || !f[0]) return -1;
    *config_file = f;
    return 1;
}

int cli_main(int argc, char **argv)
{
    const char *config_file = NULL;
    bool no_config = false;
    int i = 1, r;
    while (i < argc && (r = global_opt(argc, argv, &i, &config_file, &no_config)) != 0) {
        if (r < 0) {
            fprintf(stderr, "ajar: --config needs a FILE\n");
            return EXIT_USAGE;
        }
        i++;
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[i];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("ajar %s\n", AJAR_VERSION);
        return EXIT_OK;
    }
    /* the shipped signatures are part of the catalogue every command reads (classes, instance
     * keys, ports); only the commands that scan refuse to run without them */
    sig_failed = signature_load_shipped(&sig_err) < 0;
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(cmd, commands[k].name) != 0) continue;
        if (!cli_config_wanted(cmd)) return commands[k].fn(argc - i, argv + i);
        /* the configured options go in front of the typed ones (cli/config.h) */
        int cargc;
        char **cargv;
        int rc = cli_config_prepare(config_file, no_config, argc - i, argv + i, &cargc, &cargv);
        if (rc < 0) rc = commands[k].fn(cargc, cargv);
        cli_config_release();
        return rc;
    }
    fprintf(stderr, "ajar: unknown command '%s' (try 'ajar --help')\n", cmd);
    return EXIT_USAGE;
}

int cli_store_reader_opts(int argc, char **argv, const char *cmd, const char *usage,
                          const char **db, bool *as_json)
{
    static const struct option lopts[] = {{"db", required_argument, 0, 'd'},
                                          {"json", no_argument, 0, 'j'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *db = optarg;
            break;
        case 'j':
            *as_json = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "ajar %s: unknown or incomplete option '%s' (try 'ajar %s --help')\n",
                    cmd, argv[optind - 1], cmd);
            return EXIT_USAGE;
        }
    }
    return -1;
}

void cli_print_json_value(const json_t *v)
{
    if (!v || json_is_null(v))
        printf("-");
    else if (json_is_integer(v))
        printf("%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        printf("%s", json_string_value(v));
    else
        printf("?");
}

void cli_print_change(const char *label, const json_t *ch)
{
    printf("      %s%-12s ", label, json_string_value(json_object_get(ch, "field")));
    cli_print_json_value(json_object_get(ch, "from"));
    printf(" -> ");
    cli_print_json_value(json_object_get(ch, "to"));
    printf("\n");
}
