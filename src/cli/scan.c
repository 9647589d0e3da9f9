/*
 * cli/scan.c -- `ajar scan`: parse what the user asked for, build the
 * target set, run the engine, assess each finding and write it out.
 *
 * Usage errors (bad target, port, flag) print one line naming the culprit
 * and exit 2 before anything is sent. Output is JSON lines (docs/record.md);
 * the progress line goes to stderr when it is a terminal or --progress.
 */
#include "cli/cli.h"
#include "cli/scanopts.h"
#include "cli/webhook.h"
#include "net/engine.h"
#include "net/syn.h"
#include "target/target.h"

#include <errno.h>
#include <openssl/evp.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static const char scan_usage[] =
    "usage: ajar scan [OPTIONS] TARGET...\n"
    "\n"
    "Find exposed databases and dashboards on TARGETs and say what they expose.\n"
    "\n"
    "Targets: addresses (10.0.0.5, ::1), CIDRs (10.0.0.0/24), ranges (10.0.0.5-10.0.0.90),\n"
    "host:port pairs, host names (kept for SNI and Host). Private, loopback and link-local\n"
    "ranges are scanned only when named; reserved ranges never (docs/targets.md).\n"
    "\n"
    "  -iL FILE               read targets from FILE ('-' = stdin), one per line\n"
    "  -p, --ports LIST       ports: 6379,9200-9300,redis,kibana (default: database and\n"
    "                         dashboard ports, see docs/targets.md); '-' = all\n"
    "      --exclude LIST     never scan these (addresses, CIDRs, ranges)\n"
    "      --exclude-file F   never scan the targets listed in F\n"
    "      --resolve N:ADDR   scan host name N at ADDR (no DNS; SNI and Host say N), repeatable\n"
    "  -n, --no-resolve       refuse host names instead of looking them up\n"
    "      --seed N           order of the pseudo-random walk (shards need the same seed)\n"
    "      --shard I/N        scan slice I of N (0-based); N machines with one seed cover all\n"
    "      --rate N           new connections per second (default 1000; 0 = unlimited)\n"
    "      --concurrency N    sockets at once (default: fitted to the open-file limit, max 4096)\n"
    "      --timeout MS       connect timeout (default 1500)\n"
    "      --retries N        connect retries after a timeout (default 1)\n"
    "      --probe-timeout MS deadline of each probe step (default 3000)\n"
    "      --discovery-only   only find open ports (no probes)\n"
    "      --discovery MODE   connect (default) or syn: raw SYNs, needs CAP_NET_RAW (docs/syn.md)\n"
    "      --no-default-accounts  never try the empty-password default accounts\n"
    "      --probe NAME       try only this probe on open ports\n"
    "      --max-seconds N    stop after N seconds\n"
    "      --trace FILE       write every request sent (address, port, bytes) as JSON lines\n"
    "      --db PATH|URL      store findings in PATH (SQLite, default ./ajar.db or $AJAR_DB)\n"
    "                         or a postgresql:// URL\n"
    "      --no-db            do not store anything\n"
    "      --resume[=ID]      continue the last unfinished scan of the same targets (or scan ID)\n"
    "      --fail-on LEVEL    exit 3 when a finding reaches LEVEL (info..critical)\n"
    "      --webhook URL      POST each new or worsened finding as JSON to URL (http[s]://)\n"
    "      --alert-level LEVEL  findings posted to the webhook (default high)\n"
    "      --webhook-wait S   at the end, wait at most S seconds for alerts (default 5)\n"
    "  -o, --output FILE      write JSON lines to FILE (default: stdout)\n"
    "      --progress         progress line on stderr even when it is not a terminal\n"
    "  -q, --quiet            no progress, warnings only\n"
    "  -v, --verbose          more messages\n"
    "  -h, --help             this help\n"
    "\n"
    "Examples:\n"
    "  ajar scan 127.0.0.1                        default ports of one host\n"
    "  ajar scan -p redis,9200 10.1.0.0/16 --rate 5000 -o found.jsonl\n"
    "  ajar scan --discovery-only --shard 0/4 --seed 7 -iL nets.txt\n"
    "  ajar scan 10.1.0.0/24 --fail-on high --webhook http://127.0.0.1:8080/alerts\n";

struct out_ctx {
    FILE *fp;
    bool discovery_only;
    bool progress;
    bool tty;
    struct scan_hooks hooks;
    int write_error;
    struct buf line; /* one record, reused */
};

static int on_finding(void *arg, struct finding *f)
{
    struct out_ctx *o = arg;
    if (!o->discovery_only && o->hooks.assess) o->hooks.assess(o->hooks.arg, f);
    if (o->hooks.store && o->hooks.store(o->hooks.arg, f) < 0) return -1;
    if (!o->fp) return 0;
    /* the record without a jansson tree (the store's encoder: the same bytes) */
    buf_reset(&o->line);
    if (finding_json_write(&o->line, f, o->discovery_only, NULL) == 0) {
        if (fwrite(o->line.data, 1, o->line.len, o->fp) != o->line.len) o->write_error = 1;
    } else {
        json_t *j = finding_to_json(f, o->discovery_only);
        if (!j) return -1;
        if (json_dumpf(j, o->fp, JSON_COMPACT) < 0) o->write_error = 1;
        json_decref(j);
    }
    if (fputc('\n', o->fp) == EOF) o->write_error = 1;
    if (o->fp != stdout || o->discovery_only) fflush(o->fp);
    return o->write_error ? -1 : 0;
}

static void on_progress(void *arg, const struct engine_stats *st, bool final)
{
    struct out_ctx *o = arg;
    if (!o->progress) return;
    double el = (double)(now_ms() - st->start_ms) / 1000.0;
    double rate = el > 0 ? (double)st->started / el : 0;
    double pct = st->total ? 100.0 * (double)st->done / (double)st->total : 100.0;
    double eta = rate > 0 && st->total > st->done ? (double)(st->total - st->done) / rate : 0;
    fprintf(stderr, "%s%6.0f/s  %llu/%llu  %5.1f%%  ETA %5.0fs  open %llu  identified %llu%s",
            o->tty ? "\r" : "", rate, (unsigned long long)st->done, (unsigned long long)st->total,
            pct, eta, (unsigned long long)st->open, (unsigned long long)st->identified,
            o->tty && !final ? "   " : "\n");
    if (final && o->tty) fputc('\n', stderr);
    if (final)
        log_info("done: %llu open, %llu closed, %llu no answer, %llu unreachable, %llu identified",
                 (unsigned long long)st->open, (unsigned long long)st->closed,
                 (unsigned long long)st->silent, (unsigned long long)st->unreachable,
                 (unsigned long long)st->identified);
}

static void on_checkpoint(void *arg, uint64_t pos)
{
    struct out_ctx *o = arg;
    if (o->hooks.checkpoint) o->hooks.checkpoint(o->hooks.arg, pos);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Add sorted copies of items to the hash, each followed by a separator. */
static void hash_sorted(EVP_MD_CTX *h, const char *const *items, size_t n, const char *tag)
{
    EVP_DigestUpdate(h, tag, strlen(tag) + 1);
    const char **v = n ? xcalloc(n, sizeof *v) : NULL;
    if (n && !v) return;
    for (size_t i = 0; i < n; i++)
        v[i] = items[i];
    if (n) qsort(v, n, sizeof *v, cmp_cstr);
    for (size_t i = 0; i < n; i++)
        EVP_DigestUpdate(h, v[i], strlen(v[i]) + 1);
    free(v);
}

/*
 * Two scans have the same scope when they were given the same targets,
 * ports and excludes (in any order): their key is a hash of those, sorted.
 */
static void scope_key(struct scan_cfg *cfg, const char *const *specs, size_t nspecs,
                      const struct target_opts *to)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned int mdl = 0;
    if (!h) return;
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    hash_sorted(h, specs, nspecs, "targets");
    hash_sorted(h, to->input_files, to->n_input_files, "input-files");
    size_t np = target_set_nports(cfg->ts);
    EVP_DigestUpdate(h, "ports", 6);
    EVP_DigestUpdate(h, target_set_ports(cfg->ts), np * sizeof(uint16_t));
    hash_sorted(h, to->exclude, to->n_exclude, "exclude");
    hash_sorted(h, to->exclude_files, to->n_exclude_files, "exclude-files");
    EVP_DigestFinal_ex(h, md, &mdl);
    EVP_MD_CTX_free(h);
    for (unsigned i = 0; i < mdl && i < 32; i++)
        str_fmt(cfg->scope_key + 2 * i, 3, "%02x", md[i]);
}

static void command_line(struct scan_cfg *cfg, int argc, char **argv)
{
    size_t o = str_copy(cfg->args, "ajar scan", sizeof cfg->args);
    for (int i = 1; i < argc && o < sizeof cfg->args - 2; i++) {
        cfg->args[o++] = ' ';
        /* -iL was rewritten to --iL for getopt: show what the user typed */
        const char *a = strcmp(argv[i], "--iL") == 0 ? "-iL" : argv[i];
        o += str_copy(cfg->args + o, a, sizeof cfg->args - o);
        if (o >= sizeof cfg->args) o = sizeof cfg->args - 1;
    }
}

static void on_signal(int sig)
{
    (void)sig;
    engine_stop();
}

/* Growable array of borrowed argv strings. */
struct strv {
    const char **v;
    size_t n, cap;
};

static int strv_push(struct strv *a, const char *s)
{
    const char **nv = arr_grow(a->v, a->n, &a->cap, sizeof *nv, 8);
    if (!nv) return -1;
    a->v = nv;
    a->v[a->n++] = s;
    return 0;
}

static int parse_int_opt(const char *name, const char *v, uint64_t max, uint64_t *out)
{
    if (parse_u64(v, max, out) < 0) {
        fprintf(stderr, "ajar scan: bad value for %s: '%s'\n", name, v);
        return -1;
    }
    return 0;
}

enum {
    O_EXCLUDE = 1000,
    O_EXCLUDE_FILE,
    O_SEED,
    O_SHARD,
    O_RATE,
    O_CONC,
    O_TIMEOUT,
    O_RETRIES,
    O_PTIMEOUT,
    O_DISC,
    O_NODEF,
    O_PROBE,
    O_MAXSEC,
    O_PROGRESS,
    O_IL,
    O_DB,
    O_NODB,
    O_RESUME,
    O_FAILON,
    O_RESOLVE,
    O_TRACE,
    O_DISCOVERY,
    O_WEBHOOK,
    O_ALERT,
    O_WHWAIT,
};

int scan_main(int argc, char **argv, const struct scan_hooks *hooks)
{
    static const struct option lopts[] = {
        {"ports", required_argument, 0, 'p'},
        {"exclude", required_argument, 0, O_EXCLUDE},
        {"exclude-file", required_argument, 0, O_EXCLUDE_FILE},
        {"seed", required_argument, 0, O_SEED},
        {"shard", required_argument, 0, O_SHARD},
        {"rate", required_argument, 0, O_RATE},
        {"concurrency", required_argument, 0, O_CONC},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"retries", required_argument, 0, O_RETRIES},
        {"probe-timeout", required_argument, 0, O_PTIMEOUT},
        {"discovery-only", no_argument, 0, O_DISC},
        {"no-default-accounts", no_argument, 0, O_NODEF},
        {"probe", required_argument, 0, O_PROBE},
        {"max-seconds", required_argument, 0, O_MAXSEC},
        {"output", required_argument, 0, 'o'},
        {"progress", no_argument, 0, O_PROGRESS},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {"iL", required_argument, 0, O_IL},
        {"db", required_argument, 0, O_DB},
        {"no-db", no_argument, 0, O_NODB},
        {"resume", optional_argument, 0, O_RESUME},
        {"fail-on", required_argument, 0, O_FAILON},
        {"resolve", required_argument, 0, O_RESOLVE},
        {"trace", required_argument, 0, O_TRACE},
        {"webhook", required_argument, 0, O_WEBHOOK},
        {"alert-level", required_argument, 0, O_ALERT},
        {"webhook-wait", required_argument, 0, O_WHWAIT},
        {"discovery", required_argument, 0, O_DISCOVERY},
        {"no-resolve", no_argument, 0, 'n'},
        {0, 0, 0, 0},
    };
    struct engine_opts eo;
    engine_opts_default(&eo);
    struct target_opts to;
    memset(&to, 0, sizeof to);
    struct strv excl = {0}, exfiles = {0}, infiles = {0}, specs = {0}, pins = {0};
    const char *out_path = NULL, *trace_path = NULL;
    FILE *trace = NULL;
    uint64_t seed = 0, shard = 0, nshards = 1;
    bool have_seed = false, progress = false, quiet = false, syn = false;
    int verbose = 0;
    int rc = EXIT_USAGE;
    struct target_set *ts = NULL;
    FILE *fp = NULL;
    struct scan_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.alert_level = SEV_HIGH;
    cfg.webhook_wait_ms = 5000;

    /* nmap's single-dash -iL: turn it into --iL for getopt_long */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-iL")) argv[i] = "--iL";

    optind = 1;
    opterr = 0;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "p:o:qvhn", lopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            to.ports = optarg;
            break;
        case O_EXCLUDE:
            strv_push(&excl, optarg);
            break;
        case O_EXCLUDE_FILE:
            strv_push(&exfiles, optarg);
            break;
        case O_IL:
            strv_push(&infiles, optarg);
            break;
        case O_SEED:
            if (parse_int_opt("--seed", optarg, UINT64_MAX, &seed) < 0) goto out;
            have_seed = true;
            break;
        case O_SHARD: {
            /* analyzer false positive: optarg is set for options with an argument */
            /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
            const char *slash = strchr(optarg, '/');
            if (!slash || parse_u64n(optarg, (size_t)(slash - optarg), 1u << 20, &shard) < 0 ||
                parse_u64(slash + 1, 1u << 20, &nshards) < 0 || nshards == 0 || shard >= nshards) {
                fprintf(stderr,
                        "ajar scan: bad value for --shard: '%s' (want I/N with 0 <= I < N)\n",
                        optarg);
                goto out;
            }
            break;
        }
        case O_RATE:
            if (parse_int_opt("--rate", optarg, 100000000, &v) < 0) goto out;
            eo.rate = (double)v;
            break;
        case O_CONC:
            if (parse_int_opt("--concurrency", optarg, 1u << 20, &v) < 0 || v == 0) {
                if (v == 0)
                    fprintf(stderr, "ajar scan: bad value for --concurrency: '%s'\n", optarg);
                goto out;
            }
            eo.concurrency = (int)v;
            break;
        case O_TIMEOUT:
            if (parse_int_opt("--timeout", optarg, 600000, &v) < 0 || v == 0) goto bad_zero;
            eo.timeout_ms = (int)v;
            break;
        case O_RETRIES:
            if (parse_int_opt("--retries", optarg, 100, &v) < 0) goto out;
            eo.retries = (int)v;
            break;
        case O_PTIMEOUT:
            if (parse_int_opt("--probe-timeout", optarg, 600000, &v) < 0 || v == 0) goto bad_zero;
            eo.probe_timeout_ms = (int)v;
            break;
        case O_DISC:
            eo.discovery_only = true;
            break;
        case O_DISCOVERY:
            /* analyzer false positive: optarg is set for options with an argument */
            /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
            if (strcmp(optarg, "connect") != 0 && strcmp(optarg, "syn") != 0) {
                fprintf(stderr, "ajar scan: bad value for --discovery: '%s' (connect or syn)\n",
                        optarg);
                goto out;
            }
            syn = !strcmp(optarg, "syn");
            break;
        case O_NODEF:
            eo.popts.no_default_accounts = true;
            break;
        case O_PROBE:
            if (!probe_find(optarg)) {
                fprintf(stderr, "ajar scan: unknown probe '%s'\n", optarg);
                goto out;
            }
            eo.only_probe = optarg;
            break;
        case O_MAXSEC:
            if (parse_int_opt("--max-seconds", optarg, 100000000, &v) < 0) goto out;
            eo.max_seconds = (int)v;
            break;
        case O_DB:
            cfg.db = optarg;
            break;
        case O_TRACE:
            trace_path = optarg;
            break;
        case O_RESOLVE:
            /* analyzer false positive: optarg is set for options with an argument */
            /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
            if (!strchr(optarg, ':')) {
                fprintf(stderr, "ajar scan: bad value for --resolve: '%s' (want NAME:ADDRESS)\n",
                        optarg);
                goto out;
            }
            strv_push(&pins, optarg);
            break;
        case 'n':
            to.no_resolve = true;
            break;
        case O_NODB:
            cfg.no_db = true;
            break;
        case O_RESUME:
            cfg.resume = true;
            if (optarg) {
                if (parse_int_opt("--resume", optarg, INT64_MAX, &v) < 0) goto out;
                cfg.resume_id = (int64_t)v;
            }
            break;
        case O_FAILON:
            if (severity_parse(optarg, &cfg.fail_on) < 0 || cfg.fail_on == SEV_NONE) {
                fprintf(stderr,
                        "ajar scan: bad value for --fail-on: '%s' (info, low, medium, high, "
                        "critical)\n",
                        optarg);
                goto out;
            }
            cfg.has_fail_on = true;
            break;
        case O_WEBHOOK: {
            struct err we;
            if (webhook_url_check(optarg, &we) < 0) {
                fprintf(stderr, "ajar scan: %s\n", we.msg);
                goto out;
            }
            cfg.webhook = optarg;
            break;
        }
        case O_ALERT:
            if (severity_parse(optarg, &cfg.alert_level) < 0 || cfg.alert_level == SEV_NONE) {
                fprintf(stderr, "ajar scan: bad value for --alert-level: '%s'\n", optarg);
                goto out;
            }
            break;
        case O_WHWAIT:
            if (parse_int_opt("--webhook-wait", optarg, 3600, &v) < 0) goto out;
            cfg.webhook_wait_ms = (int)v * 1000;
            break;
        case 'o':
            out_path = optarg;
            break;
        case O_PROGRESS:
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            fputs(scan_usage, stdout);
            rc = EXIT_OK;
            goto out;
        default:
            fprintf(stderr,
                    "ajar scan: unknown or incomplete option '%s' (try 'ajar scan --help')\n",
                    argv[optind - 1]);
            goto out;
        }
        continue;
    bad_zero:
        fprintf(stderr, "ajar scan: bad value for option: '%s' (want a positive number)\n", optarg);
        goto out;
    }
    for (int i = optind; i < argc; i++)
        strv_push(&specs, argv[i]);
    if (specs.n == 0 && infiles.n == 0) {
        fprintf(stderr, "ajar scan: no targets (give addresses, ranges, names or -iL FILE)\n");
        goto out;
    }
    if (nshards > 1 && !have_seed) {
        fprintf(stderr, "ajar scan: --shard needs --seed (every shard must walk the same order)\n");
        goto out;
    }
    log_level = quiet ? 0 : 1 + verbose;
    to.exclude = excl.v;
    to.n_exclude = excl.n;
    to.exclude_files = exfiles.v;
    to.n_exclude_files = exfiles.n;
    to.input_files = infiles.v;
    to.n_input_files = infiles.n;
    to.resolve = pins.v;
    to.n_resolve = pins.n;
    struct err e = {{0}};
    if (target_set_new(&ts, specs.v, specs.n, &to, &e) < 0) {
        fprintf(stderr, "ajar scan: %s\n", e.msg);
        /* a bad target is a usage error; memory running out is not */
        if (strstr(e.msg, "out of memory")) rc = EXIT_RUNTIME;
        goto out;
    }
    if (!have_seed) {
        if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
            seed = (uint64_t)now_ms() ^ (uint64_t)getpid();
    }
    /* the hooks first: resuming without --seed takes the seed of the scan it continues */
    uint64_t resume_pos = 0;
    if (hooks && hooks->begin) {
        cfg.ts = ts;
        cfg.seed = seed;
        cfg.seed_given = have_seed;
        cfg.shard = (uint32_t)shard;
        cfg.nshards = (uint32_t)nshards;
        cfg.discovery_only = eo.discovery_only;
        scope_key(&cfg, specs.v, specs.n, &to);
        command_line(&cfg, argc, argv);
        if (hooks->begin(hooks->arg, &cfg, &resume_pos, &e) < 0) {
            fprintf(stderr, "ajar scan: %s\n", e.msg);
            rc = EXIT_RUNTIME;
            goto out;
        }
        seed = cfg.seed;
    }
    struct target_iter it;
    if (target_iter_init(&it, ts, seed, (uint32_t)shard, (uint32_t)nshards, &e) < 0) {
        fprintf(stderr, "ajar scan: %s\n", e.msg);
        if (strstr(e.msg, "out of memory")) rc = EXIT_RUNTIME;
        goto out;
    }
    if (resume_pos && target_iter_seek(&it, resume_pos) < 0) {
        fprintf(stderr, "ajar scan: checkpoint %llu is past the end of the shard\n",
                (unsigned long long)resume_pos);
        rc = EXIT_RUNTIME;
        goto out;
    }
    rc = EXIT_RUNTIME;
    if (trace_path) {
        trace = fopen(trace_path, "w");
        if (!trace) {
            fprintf(stderr, "ajar scan: cannot write %s: %s\n", trace_path, strerror(errno));
            goto out;
        }
        eo.trace = trace;
    }
    if (out_path && strcmp(out_path, "-") != 0) {
        fp = fopen(out_path, "w");
        if (!fp) {
            fprintf(stderr, "ajar scan: cannot write %s: %s\n", out_path, strerror(errno));
            goto out;
        }
    }
    log_info("%llu pairs (%llu addresses x ports), seed %llu, shard %llu/%llu",
             (unsigned long long)target_set_size(ts), (unsigned long long)target_set_naddr(ts),
             (unsigned long long)seed, (unsigned long long)shard, (unsigned long long)nshards);
    struct out_ctx oc = {
        .fp = fp ? fp : stdout,
        .discovery_only = eo.discovery_only,
        .progress = !quiet && (progress || isatty(2)),
        .tty = isatty(2),
    };
    buf_init(&oc.line, 16u << 20);
    if (hooks) oc.hooks = *hooks;
    if (hooks && hooks->no_stdout && !out_path) oc.fp = NULL;
    struct engine_sink sink = {.arg = &oc,
                               .on_finding = on_finding,
                               .on_progress = on_progress,
                               .on_checkpoint = on_checkpoint};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct engine_stats st;
    memset(&st, 0, sizeof st); /* filled by the run; zero if it fails early */
    int run = (syn ? syn_run : engine_run)(&it, &eo, &sink, &st, &e);
    buf_free(&oc.line);
    if (run < 0) {
        fprintf(stderr, "ajar scan: %s\n", e.msg);
        goto out;
    }
    if (oc.write_error) {
        fprintf(stderr, "ajar scan: writing the output failed: %s\n", strerror(errno));
        goto out;
    }
    if (hooks && hooks->end && hooks->end(hooks->arg, &st, &e) < 0) {
        fprintf(stderr, "ajar scan: %s\n", e.msg);
        goto out;
    }
    rc = hooks && hooks->exit_status ? hooks->exit_status(hooks->arg) : EXIT_OK;
out:
    if (fp)
        fclose(fp);
    else
        fflush(stdout);
    target_set_free(ts);
    free(excl.v);
    free(exfiles.v);
    free(infiles.v);
    free(specs.v);
    free(pins.v);
    return rc;
}
