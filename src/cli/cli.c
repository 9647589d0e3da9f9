/*
 * cli/cli.c -- `ajar COMMAND [ARGS]`: the table of subcommands and --help.
 */
#include "cli/cli.h"

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
};

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
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ajar: unknown command '%s' (try 'ajar --help')\n", argv[1]);
    return EXIT_USAGE;
}
