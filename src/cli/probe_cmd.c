/*
 * cli/probe_cmd.c -- `ajar probe`: the probe stage alone, ZGrab2 style.
 *
 * Reads `ip:port` lines (or bare `ip` lines with -p PORTS) from a file or
 * standard input, e.g. `zmap -p 9200 ... | ajar probe -p 9200`, and runs
 * the scan of exactly those pairs: import.c parses and de-duplicates them
 * and hands them to `ajar scan -iL`, so output (JSON lines), --db/--no-db,
 * --fail-on and --webhook are the scan's. Every line is a named target
 * (loopback and private pairs are probed; reserved ranges never).
 *
 * The whole input is read before the first probe (the scan walks a
 * pseudo-random permutation of a known set), and each pair is connected
 * to once: the probe stage needs a connection of its own anyway.
 */
#include "cli/cli.h"
#include "cli/import.h"

static const char probe_usage[] =
    "usage: ajar probe [-p PORTS] [SCAN OPTIONS] [FILE]\n"
    "\n"
    "Run only the probe stage on the pairs listed in FILE (default: standard input), one\n"
    "per line: ip:port, [v6]:port, or a bare ip with -p PORTS. '#' starts a comment;\n"
    "lines that do not parse are skipped and counted. The whole input is read first, then\n"
    "each pair is connected to once (the probe needs its own connection).\n"
    "\n"
    "  -p, --ports LIST       ports for bare addresses (ip:port lines keep their port)\n"
    "\n"
    "Every option of 'ajar scan' applies (-o, --db/--no-db, --fail-on, --webhook, --rate,\n"
    "--probe NAME, --probe-timeout...), except -iL, --discovery-only and --resume.\n"
    "Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 --fail-on reached.\n"
    "\n"
    "Examples:\n"
    "  zmap -p 9200 10.0.0.0/16 | ajar probe -p 9200\n"
    "  printf '10.0.0.5:6379\\n10.0.0.7:9200\\n' | ajar probe --no-db\n"
    "  ajar probe pairs.txt -o found.jsonl --fail-on high\n";

int cmd_probe(int argc, char **argv)
{
    return import_main("probe", probe_usage, IMPORT_LIST, argc, argv);
}
