/*
 * cli/scan_args.h -- the options of `ajar scan`, parsed into one struct,
 * so that a scan can be described, stored and compared: `--resume`
 * without targets continues a stored scan with its stored arguments
 * (scan_args_from_json, then the options given now on top:
 * scan_args_merge), and a resume whose targets or options contradict the
 * scan's is refused with the difference named (scan_args_differ).
 */
#ifndef AJAR_CLI_SCAN_ARGS_H
#define AJAR_CLI_SCAN_ARGS_H

#include "cli/scanopts.h"
#include "net/engine.h"
#include "net/rdns.h"
#include "target/target.h"

/* A growable array of borrowed strings. */
struct strv {
    const char **v;
    size_t n, cap;
};

struct scan_args {
    struct engine_opts eo;
    struct target_opts to; /* ports and no_resolve; the lists are set by scan_args_targets */
    struct strv excl, exfiles, infiles, specs, pins, sigdirs, mailto;
    const char *out_path, *trace_path, *lifecycle_path;
    uint64_t seed, shard, nshards;
    bool have_seed, progress, quiet, syn;
    int verbose;
    /* attribution (attr/attr.h): --asn-db, --geo-db, --cloud-ranges (repeatable) */
    const char *asn_db, *geo_db;
    struct strv cloud_ranges;
    struct scan_cfg cfg; /* db, no_db, resume, resume_id, fail_on, webhook, alert level, wait */
    uint64_t given;      /* which options were on the command line (opt_bit) */
    char **owned;        /* strings of a stored argv, freed with the args */
    size_t nowned;

    /* --rdns, --resolver, --rdns-timeout */
    bool rdns_on;
    struct rdns_opts rdns;
};

extern const char scan_usage[];

/*
 * Parse argv (argv[0] the command). Returns 0 to go on, -1 after printing the usage for --help
 * (exit 0), or EXIT_USAGE after one line naming the culprit on stderr. The strings stay argv's
 * (argv's "-iL" entries are rewritten to "--iL").
 */
int scan_args_parse(int argc, char **argv, struct scan_args *a);
void scan_args_free(struct scan_args *a);
/* Point a->to's lists (and cfg's mail addresses) at the parsed ones (after parsing or
 * merging). */
/* The options of --discovery syn's sender without --discovery syn: EXIT_USAGE after one line
 * naming the first; 0. (scan_args_parse checks, except with --resume: after the merge.) */
int scan_args_check_syn(const struct scan_args *a);
/* Point a->to's lists at the parsed ones (after parsing or merging). */
void scan_args_targets(struct scan_args *a);
/*
 * The options that only make sense together, checked once the stored arguments of a resumed
 * scan are merged: --webhook-format other than json and pagerduty needs --webhook;
 * --pagerduty-key needs --webhook-format pagerduty, which needs a key (or $AJAR_PAGERDUTY_KEY,
 * or a stored scan's redacted one); --mail-from and --mail-wait need --mail-to. 0, or
 * EXIT_USAGE after one line on stderr.
 */
int scan_args_check(const struct scan_args *a);
/*
 * The long option an argument names, as getopt_long reads it: "--webhook" for "--webhook",
 * "--webh=..." (a unique prefix) or "--webhook=URL"; NULL for anything else (a value, a short
 * option, an unknown or ambiguous name). Points into a static table. *has_value: the option
 * takes a value (in the next argument unless "=" gave it).
 */
const char *scan_args_option(const char *arg, bool *has_value);
/* argv[1..] as a JSON array with secrets redacted (--webhook's URL, --pagerduty-key) and --db
 * dropped, whatever prefix of the option names them; NULL when out of memory. The caller frees
 * it. */
char *scan_args_json(int argc, char **argv);
/* Parse a stored argv (scan_args_json's). -1 with e set when it does not parse. */
int scan_args_from_json(const char *json, struct scan_args *a, struct err *e);
/* The options given now (now->given) replace the stored ones in *stored (lists copied; strings
 * stay borrowed from now's argv). */
void scan_args_merge(struct scan_args *stored, const struct scan_args *now);
/*
 * The first option that decides what a scan covers or finds on which now and then differ, as
 * "--ports: '6380' (the scan: '6379')" in out; 0 when none differs. With scope, the options the
 * scope key hashes (targets, -iL, ports, excludes) as written; then --resolve, -n, --shard,
 * --discovery[-only], --probe and --no-default-accounts.
 */
int scan_args_differ(const struct scan_args *now, const struct scan_args *then, bool scope,
                     char *out, size_t n);

/*
 * An argument as the scans list shows it (store, report, dashboard; cli/scan.c): the value of
 * --webhook keeps its scheme and host only (its path or query is often the token), the value of
 * --pagerduty-key is "<redacted>", a store URL or conninfo loses its password. `opt` is the
 * option the value belongs to, by its full name (scan_args_option; "" for none).
 */
void scan_shown_arg(const char *opt, const char *val, char *out, size_t n);

#endif
