/*
 * cli/cli.c -- `ajar COMMAND [ARGS]`: the table of subcommands and --help.
 */
#include "cli/cli.h"
#include "probe/signature.h"

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
    fprintf(fp, "usage: ajar COMMAND [OPTIONS]\n\ncommands:\n");
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
    fprintf(fp, "\n'ajar COMMAND --help' for a command's options and examples; 'man ajar';\n"
                "'ajar --version'. Exit status: 0 ok, 1 runtime failure, 2 usage error,\n"
                "3 --fail-on reached.\n");
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("ajar %s\n", AJAR_VERSION);
        return EXIT_OK;
    }
    /* the shipped signatures are part of the catalogue every command reads (classes, instance
     * keys, ports); only the commands that scan refuse to run without them */
    sig_failed = signature_load_shipped(&sig_err) < 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ajar: unknown command '%s' (try 'ajar --help')\n", argv[1]);
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
