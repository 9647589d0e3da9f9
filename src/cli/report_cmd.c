/*
 * cli/report_cmd.c -- `ajar report`: parse the options, decide the defaults
 * that depend on the environment (the store from $AJAR_DB, colour only on
 * a terminal without NO_COLOR, progress only when stderr is a terminal),
 * and hand over to report_run() in src/report/.
 *
 * Options are parsed by hand rather than with getopt so that every
 * mistake is reported in one line that names the flag and the value, and
 * `--flag VALUE` and `--flag=VALUE` both work. Exit statuses: 0 ok, 2 a
 * usage error, 1 a runtime failure (no store, no such scan, a write
 * error).
 */
#include "cli/cli.h"
#include "core/util.h"
#include "report/report.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char report_usage[] =
    "usage: ajar report [--db PATH|URL] [--scan ID] [--format FMT] [--min-severity LEVEL]\n"
    "                   [--service S] [--clusters] [--by owner --owners FILE]\n"
    "                   [--by provider|asn|country]\n"
    "                   [--personal-data-over N] [-o FILE]\n"
    "\n"
    "What a scan found, read from the store (default: the newest finished scan).\n"
    "\n"
    "      --db PATH|URL          the store (default $AJAR_DB, else ./ajar.db)\n"
    "      --scan ID              this scan instead of the newest finished one\n"
    "  -f, --format FMT           text (default), json, jsonl, csv, html, sarif, ocsf (OCSF\n"
    "                             Vulnerability Finding events, one a line)\n"
    "      --min-severity LEVEL   only findings at least this severe (info..critical)\n"
    "      --service S            only this service (redis, elasticsearch, ...)\n"
    "      --clusters             list clusters of identical deployments instead of findings\n"
    "      --by owner             group by owner (needs --owners)\n"
    "      --by provider|asn|country  group by the records' cloud provider, AS or country\n"
    "                             (--asn-db, --geo-db, --cloud-ranges at scan time; a record\n"
    "                             without it is under 'unknown')\n"
    "      --owners FILE          lines 'CIDR  owner name'; the longest prefix wins\n"
    "      --personal-data-over N only personal-data exposures with at least N records\n"
    "                             (N may be written 1,000,000; the regulator's threshold is\n"
    "                             1000000)\n"
    "  -o, --output FILE          write to FILE instead of standard output\n"
    "  -h, --help                 this help\n"
    "\n"
    "Formats are described in docs/report.md. Colour: only on a terminal, never with NO_COLOR.\n"
    "\n"
    "Examples:\n"
    "  ajar report                                the last scan, as text\n"
    "  ajar report --format html -o report.html\n"
    "  ajar report --clusters --format csv --db scans.db\n";

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fputs("ajar report: ", stderr);
    fprintf(stderr, fmt, a, b ? b : "");
    fputs(" (try 'ajar report --help')\n", stderr);
    return EXIT_USAGE;
}

/* A count: digits, with ',' or '_' allowed between them (1,000,000). */
static int parse_count(const char *s, uint64_t *out)
{
    char d[32];
    size_t o = 0;
    for (const char *p = s; *p; p++) {
        if ((*p == ',' || *p == '_') && p != s && p[1]) continue;
        if (o + 1 >= sizeof d) return -1;
        d[o++] = *p;
    }
    d[o] = 0;
    return parse_u64(d, INT64_MAX, out);
}

int cmd_report(int argc, char **argv)
{
    struct report_opts o = {.format = REPORT_TEXT, .min_severity = SEV_NONE};
    const char *db = NULL, *out_path = NULL, *owners_path = NULL;
    uint64_t scan_id = 0;
    struct kit_owners *owners = NULL;
    FILE *fp = NULL;
    int rc = EXIT_RUNTIME;
    struct err e = {{0}};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        char name[40];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        if (eq) {
            str_fmt(name, sizeof name, "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            str_copy(name, a, sizeof name);
        }
        if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
            fputs(report_usage, stdout);
            return EXIT_OK;
        }
        if (!strcmp(name, "--clusters")) {
            if (val) return usage_error("%s takes no value%s", "--clusters", NULL);
            o.clusters = true;
            continue;
        }
        static const char *const with_value[] = {
            "--db", "--scan",   "--format", "-f",       "--min-severity",      "--service",
            "--by", "--owners", "-o",       "--output", "--personal-data-over"};
        bool known = false;
        for (size_t k = 0; k < ARRAY_LEN(with_value); k++)
            if (!strcmp(name, with_value[k])) known = true;
        if (!known) return usage_error("unknown option '%s'%s", a, NULL);
        if (!val) {
            if (i + 1 >= argc) return usage_error("%s needs a value%s", name, NULL);
            val = argv[++i];
        }
        if (!strcmp(name, "--db")) {
            db = val;
        } else if (!strcmp(name, "--scan")) {
            if (parse_u64(val, INT64_MAX, &scan_id) < 0 || scan_id == 0)
                return usage_error("--scan: '%s' is not a scan id%s", val, NULL);
        } else if (!strcmp(name, "--format") || !strcmp(name, "-f")) {
            if (report_format_parse(val, &o.format) < 0)
                return usage_error("--format: unknown format '%s'%s (text, json, jsonl, csv, "
                                   "html, sarif, ocsf)",
                                   val, NULL);
        } else if (!strcmp(name, "--min-severity")) {
            if (severity_parse(val, &o.min_severity) < 0)
                return usage_error("--min-severity: unknown level '%s'%s (info, low, medium, "
                                   "high, critical)",
                                   val, NULL);
        } else if (!strcmp(name, "--service")) {
            if (!val[0]) return usage_error("--service: empty service name%s%s", "", NULL);
            o.service = val;
        } else if (!strcmp(name, "--by")) {
            if (report_by_parse(val, &o.by) < 0)
                return usage_error("--by: '%s'%s is not a grouping (owner, provider, asn, "
                                   "country)",
                                   val, NULL);
        } else if (!strcmp(name, "--owners")) {
            owners_path = val;
        } else if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
            out_path = val;
        } else if (!strcmp(name, "--personal-data-over")) {
            if (parse_count(val, &o.personal_over) < 0)
                return usage_error("--personal-data-over: '%s' is not a count%s", val, NULL);
            o.personal_only = true;
        }
    }
    if (o.by == REPORT_BY_OWNER && !owners_path)
        return usage_error("--by owner needs --owners FILE%s%s", "", NULL);
    if (owners_path && o.by != REPORT_BY_OWNER)
        return usage_error("--owners needs --by owner%s%s", "", NULL);
    if (o.clusters && (o.format == REPORT_SARIF || o.format == REPORT_OCSF))
        return usage_error("--clusters does not apply to --format %s%s",
                           report_format_name(o.format), NULL);

    if (!db) db = getenv("AJAR_DB");
    if (!db || !db[0]) db = STORE_DEFAULT_PATH;
    if (owners_path) {
        if (kit_owners_load(&owners, owners_path, &e) < 0) {
            fprintf(stderr, "ajar report: %s\n", e.msg);
            return EXIT_USAGE;
        }
        o.owners = owners;
    }
    if (out_path) {
        fp = fopen_private(out_path);
        if (!fp) {
            fprintf(stderr, "ajar report: cannot write %s\n", out_path);
            goto out;
        }
    } else {
        fp = stdout;
        const char *nc = getenv("NO_COLOR");
        o.color = o.format == REPORT_TEXT && isatty(STDOUT_FILENO) && !nc;
    }
    if (report_run(&o, db, (int64_t)scan_id, fp, isatty(STDERR_FILENO), &e) < 0) {
        fprintf(stderr, "ajar report: %s\n", e.msg);
        goto out;
    }
    rc = EXIT_OK;
out:
    if (fp && fp != stdout && fclose(fp) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "ajar report: write error on %s\n", out_path);
        rc = EXIT_RUNTIME;
    }
    kit_owners_free(owners);
    return rc;
}
