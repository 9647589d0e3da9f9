/*
 * cli/scan_args.c -- parsing `ajar scan`'s options (see scan_args.h).
 *
 * getopt_long over the command line, every value checked here so that a
 * usage error is one line naming the option before anything is sent. The
 * same parser reads a stored scan's arguments back (`--resume` without
 * targets): the stored form is the command line as a JSON array, with the
 * webhook URL (which may carry a token) and the PagerDuty routing key
 * redacted and --db dropped (it may carry a password, and the store is where
 * the arguments are read from). getopt_long takes any unique prefix of a
 * long option ("--pagerduty-k KEY"), so the redaction resolves names the
 * same way (scan_args_option).
 */
#include "cli/scan_args.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/config.h"
#include "cli/mail.h"
#include "cli/webhook.h"
#include "net/pktio.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char scan_usage[] =
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
    "      --send-method M    syn: mmsg (AF_PACKET, sendmmsg), ring (AF_PACKET TX ring) or raw\n"
    "                         (raw IP socket); default: mmsg where AF_PACKET works, else raw\n"
    "      --interface IF     syn: send from IF (default: the route's)\n"
    "      --gateway-mac MAC  syn: the next hop's MAC (default: the kernel's neighbour table)\n"
    "      --source-ip ADDR   syn: the SYNs' source address (default: the route's)\n"
    "      --sender-threads N syn: N sending threads, one per CPU and TX queue (default 1)\n"
    "      --no-default-accounts  never try the empty-password default accounts\n"
    "      --probe NAME       try only this probe on open ports\n"
    "      --signatures DIR   also load the signature files in DIR (docs/signatures.md);\n"
    "                         repeatable; a bad file stops the scan before anything is sent\n"
    "      --lifecycle FILE   release lines and end-of-life dates from FILE instead of the\n"
    "                         built-in data/lifecycle.tsv (same format)\n"
    "      --asn-db FILE      AS number, organisation and network of each address from a\n"
    "                         MaxMind DB file (GeoLite2-ASN, DB-IP ASN lite, IPinfo)\n"
    "      --geo-db FILE      country of each address (GeoLite2 Country/City, DB-IP, IPinfo)\n"
    "      --cloud-ranges F   a provider's published ranges (AWS, Google Cloud, Azure, Oracle\n"
    "                         JSON; Cloudflare's lists): cloud provider, region, service;\n"
    "                         repeatable. Nothing is downloaded (docs/attribution.md)\n"
    "      --max-seconds N    stop after N seconds\n"
    "      --trace FILE       write every request sent (address, port, bytes) as JSON lines\n"
    "      --db PATH|URL      store findings in PATH (SQLite, default ./ajar.db or $AJAR_DB)\n"
    "                         or a postgresql:// URL\n"
    "      --no-db            do not store anything\n"
    "      --resume[=ID]      continue the newest unfinished scan (of these targets, when given;\n"
    "                         without targets: with its stored arguments), or scan ID\n"
    "      --fail-on LEVEL    exit 3 when a finding reaches LEVEL (info..critical)\n"
    "      --webhook URL      POST each new or worsened finding to URL (http[s]://)\n"
    "      --webhook-format F json (default), slack, mattermost, teams or pagerduty\n"
    "                         (PagerDuty Events API v2; --webhook defaults to its endpoint)\n"
    "      --pagerduty-key K  PagerDuty routing key (better: $AJAR_PAGERDUTY_KEY; never stored)\n"
    "      --alert-min LEVEL  findings alerted (webhook and mail; default high);\n"
    "                         --alert-level is the old name\n"
    "      --dashboard-url U  link alerts to the finding's page of `ajar serve` at U\n"
    "      --webhook-wait S   at the end, wait at most S seconds for alerts (default 5)\n"
    "      --mail-to ADDR     mail the scan's new and worsened findings to ADDR through\n"
    "                         sendmail (repeatable; one message per scan, none when quiet)\n"
    "      --mail-from ADDR   the mail's From: (default: the MTA's for this user)\n"
    "      --mail-wait S      give sendmail at most S seconds (default 30)\n"
    "      --rdns             add each found address's PTR names and the certificate's names\n"
    "                         (\"hostnames\", \"ptr\"; docs/attribution.md)\n"
    "      --resolver A[:P]   --rdns asks only this resolver (an IP address; default: the\n"
    "                         system's, /etc/resolv.conf)\n"
    "      --rdns-timeout MS  wait at most MS for an address's names (default 3000)\n"
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
    "  ajar scan 10.1.0.0/24 --fail-on high --webhook http://127.0.0.1:8080/alerts\n"
    "  ajar scan 10.1.0.0/24 --webhook-format slack --webhook https://hooks.slack.com/... \\\n"
    "      --dashboard-url https://ajar.example:8443 --mail-to soc@example.org\n";

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
    O_SIGS,
    O_LIFECYCLE,
    O_ASNDB,
    O_GEODB,
    O_CLOUDRANGES,
    O_RDNS,
    O_RESOLVER,
    O_RDNS_TIMEOUT,
    O_WHFORMAT,
    O_PDKEY,
    O_DASHURL,
    O_MAILTO,
    O_MAILFROM,
    O_MAILWAIT,
    O_SEND_METHOD,
    O_IFACE,
    O_GWMAC,
    O_SRCIP,
    O_SENDTHREADS,
    O_LAST
};

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
    {"alert-min", required_argument, 0, O_ALERT},
    {"alert-level", required_argument, 0, O_ALERT}, /* the old name of --alert-min */
    {"webhook-wait", required_argument, 0, O_WHWAIT},
    {"discovery", required_argument, 0, O_DISCOVERY},
    {"signatures", required_argument, 0, O_SIGS},
    {"lifecycle", required_argument, 0, O_LIFECYCLE},
    {"no-resolve", no_argument, 0, 'n'},
    {"asn-db", required_argument, 0, O_ASNDB},
    {"geo-db", required_argument, 0, O_GEODB},
    {"cloud-ranges", required_argument, 0, O_CLOUDRANGES},
    {"rdns", no_argument, 0, O_RDNS},
    {"resolver", required_argument, 0, O_RESOLVER},
    {"rdns-timeout", required_argument, 0, O_RDNS_TIMEOUT},
    {"webhook-format", required_argument, 0, O_WHFORMAT},
    {"pagerduty-key", required_argument, 0, O_PDKEY},
    {"dashboard-url", required_argument, 0, O_DASHURL},
    {"mail-to", required_argument, 0, O_MAILTO},
    {"mail-from", required_argument, 0, O_MAILFROM},
    {"mail-wait", required_argument, 0, O_MAILWAIT},
    {"send-method", required_argument, 0, O_SEND_METHOD},
    {"interface", required_argument, 0, O_IFACE},
    {"gateway-mac", required_argument, 0, O_GWMAC},
    {"source-ip", required_argument, 0, O_SRCIP},
    {"sender-threads", required_argument, 0, O_SENDTHREADS},
    {0, 0, 0, 0},
};

#define REDACTED "<redacted>"

/* One bit per option in scan_args.given. */
static uint64_t opt_bit(int c)
{
    switch (c) {
    case 'p':
        return 1;
    case 'o':
        return 2;
    case 'q':
        return 4;
    case 'v':
        return 8;
    case 'n':
        return 16;
    default:
        return c >= O_EXCLUDE && c < O_LAST ? UINT64_C(32) << (c - O_EXCLUDE) : 0;
    }
}

static int strv_push(struct strv *a, const char *s)
{
    const char **nv = arr_grow(a->v, a->n, &a->cap, sizeof *nv, 8);
    if (!nv) {
        fprintf(stderr, "ajar scan: out of memory\n"); /* said once, where it happened */
        return -1;
    }
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

static void args_init(struct scan_args *a)
{
    memset(a, 0, sizeof *a);
    engine_opts_default(&a->eo);
    a->nshards = 1;
    a->cfg.alert_level = SEV_HIGH;
    a->cfg.webhook_wait_ms = 5000;
    a->cfg.webhook_format = ALERT_JSON;
    a->cfg.mail_wait_ms = MAIL_WAIT_MS_DEF;
}

/* The alert options of issue 24 (--webhook-format, --pagerduty-key, --dashboard-url, --mail-*):
 * 0, or EXIT_USAGE after saying why (EXIT_RUNTIME when out of memory). */
static int apply_alert_opt(struct scan_args *a, int c, const char *arg)
{
    uint64_t v = 0;
    switch (c) {
    case O_WHFORMAT:
        if (alert_format_parse(arg, &a->cfg.webhook_format) < 0) {
            fprintf(stderr,
                    "ajar scan: bad value for --webhook-format: '%s' (json, slack, mattermost, "
                    "teams, pagerduty)\n",
                    arg);
            return EXIT_USAGE;
        }
        break;
    case O_PDKEY: {
        if (!strcmp(arg, REDACTED)) { /* a stored scan's: not given again */
            a->given &= ~opt_bit(c);
            a->cfg.pagerduty_key_redacted = true;
            break;
        }
        size_t kl = strlen(arg);
        bool ok = kl > 0 && kl <= 128;
        for (size_t i = 0; i < kl && ok; i++)
            ok = arg[i] > ' ' && arg[i] < 0x7f;
        if (!ok) { /* the key itself is never printed */
            fprintf(stderr, "ajar scan: bad value for --pagerduty-key (1 to 128 printable "
                            "characters)\n");
            return EXIT_USAGE;
        }
        a->cfg.pagerduty_key = arg;
        break;
    }
    case O_DASHURL: {
        struct err de;
        if (alert_dashboard_url_check(arg, &de) < 0) {
            fprintf(stderr, "ajar scan: %s\n", de.msg);
            return EXIT_USAGE;
        }
        a->cfg.dashboard_url = arg;
        break;
    }
    case O_MAILTO:
    case O_MAILFROM: {
        struct err me;
        if (mail_addr_check(arg, &me) < 0) {
            fprintf(stderr, "ajar scan: %s: %s\n", c == O_MAILTO ? "--mail-to" : "--mail-from",
                    me.msg);
            return EXIT_USAGE;
        }
        if (c == O_MAILFROM)
            a->cfg.mail_from = arg;
        else if (strv_push(&a->mailto, arg) < 0)
            return EXIT_RUNTIME;
        break;
    }
    case O_MAILWAIT:
        if (parse_int_opt("--mail-wait", arg, 3600, &v) < 0) return EXIT_USAGE;
        if (v == 0) {
            fprintf(stderr, "ajar scan: bad value for --mail-wait: '%s' (want a positive number)\n",
                    arg);
            return EXIT_USAGE;
        }
        a->cfg.mail_wait_ms = (int)v * 1000;
        break;
    default:
        break;
    }
    return 0;
}

/* One option (c, optarg) into a: 0, or EXIT_USAGE after saying why. Long: one case per option,
 * flat, and each case reads alone (the alert options are apply_alert_opt's). */
static int apply_opt(struct scan_args *a, int c, char *optarg_, const char *const *argv)
{
    uint64_t v = 0;
    const char *arg = optarg_;
    a->given |= opt_bit(c);
    switch (c) {
    case 'p':
        a->to.ports = arg;
        break;
    case O_EXCLUDE:
        if (strv_push(&a->excl, arg) < 0) return EXIT_RUNTIME;
        break;
    case O_EXCLUDE_FILE:
        if (strv_push(&a->exfiles, arg) < 0) return EXIT_RUNTIME;
        break;
    case O_IL:
        if (strv_push(&a->infiles, arg) < 0) return EXIT_RUNTIME;
        break;
    case O_SIGS:
        if (strv_push(&a->sigdirs, arg) < 0) return EXIT_RUNTIME;
        break;
    case O_LIFECYCLE:
        a->lifecycle_path = arg;
        break;
    case O_ASNDB:
        a->asn_db = arg;
        break;
    case O_GEODB:
        a->geo_db = arg;
        break;
    case O_CLOUDRANGES:
        if (strv_push(&a->cloud_ranges, arg) < 0) return EXIT_RUNTIME;
        break;
    case O_SEED:
        if (parse_int_opt("--seed", arg, UINT64_MAX, &a->seed) < 0) return EXIT_USAGE;
        a->have_seed = true;
        break;
    case O_SHARD: {
        const char *slash = strchr(arg, '/');
        if (!slash || parse_u64n(arg, (size_t)(slash - arg), 1u << 20, &a->shard) < 0 ||
            parse_u64(slash + 1, 1u << 20, &a->nshards) < 0 || a->nshards == 0 ||
            a->shard >= a->nshards) {
            fprintf(stderr, "ajar scan: bad value for --shard: '%s' (want I/N with 0 <= I < N)\n",
                    arg);
            return EXIT_USAGE;
        }
        break;
    }
    case O_RATE:
        if (parse_int_opt("--rate", arg, 100000000, &v) < 0) return EXIT_USAGE;
        a->eo.rate = (double)v;
        break;
    case O_CONC:
        if (parse_int_opt("--concurrency", arg, 1u << 20, &v) < 0) return EXIT_USAGE;
        if (v == 0) {
            fprintf(stderr, "ajar scan: bad value for --concurrency: '%s'\n", arg);
            return EXIT_USAGE;
        }
        a->eo.concurrency = (int)v;
        break;
    case O_TIMEOUT:
        if (parse_int_opt("--timeout", arg, 600000, &v) < 0) return EXIT_USAGE;
        if (v == 0) goto bad_zero;
        a->eo.timeout_ms = (int)v;
        break;
    case O_RETRIES:
        if (parse_int_opt("--retries", arg, 100, &v) < 0) return EXIT_USAGE;
        a->eo.retries = (int)v;
        break;
    case O_PTIMEOUT:
        if (parse_int_opt("--probe-timeout", arg, 600000, &v) < 0) return EXIT_USAGE;
        if (v == 0) goto bad_zero;
        a->eo.probe_timeout_ms = (int)v;
        break;
    case O_DISC:
        a->eo.discovery_only = true;
        break;
    case O_DISCOVERY:
        if (strcmp(arg, "connect") != 0 && strcmp(arg, "syn") != 0) {
            fprintf(stderr, "ajar scan: bad value for --discovery: '%s' (connect or syn)\n", arg);
            return EXIT_USAGE;
        }
        a->syn = !strcmp(arg, "syn");
        break;
    case O_NODEF:
        a->eo.popts.no_default_accounts = true;
        break;
    case O_PROBE:
        if (!probe_find(arg)) {
            /* an HTTP service (compiled app or signature) is found by the HTTP dispatcher */
            const struct svc *sv = catalog_find(arg);
            if (!sv || (sv->impl != IMPL_HTTP_APP && sv->impl != IMPL_SIGNATURE)) {
                fprintf(stderr, "ajar scan: unknown probe '%s' (ajar services lists them)\n", arg);
                return EXIT_USAGE;
            }
            arg = "http";
        }
        a->eo.only_probe = arg;
        break;
    case O_MAXSEC:
        if (parse_int_opt("--max-seconds", arg, 100000000, &v) < 0) return EXIT_USAGE;
        a->eo.max_seconds = (int)v;
        break;
    case O_DB:
        a->cfg.db = arg;
        break;
    case O_TRACE:
        a->trace_path = arg;
        break;
    case O_RESOLVE:
        if (!strchr(arg, ':')) {
            fprintf(stderr, "ajar scan: bad value for --resolve: '%s' (want NAME:ADDRESS)\n", arg);
            return EXIT_USAGE;
        }
        if (strv_push(&a->pins, arg) < 0) return EXIT_RUNTIME;
        break;
    case 'n':
        a->to.no_resolve = true;
        break;
    case O_NODB:
        a->cfg.no_db = true;
        break;
    case O_RESUME:
        a->cfg.resume = true;
        if (arg) {
            if (parse_int_opt("--resume", arg, INT64_MAX, &v) < 0) return EXIT_USAGE;
            a->cfg.resume_id = (int64_t)v;
        }
        break;
    case O_FAILON:
        if (severity_parse(arg, &a->cfg.fail_on) < 0 || a->cfg.fail_on == SEV_NONE) {
            fprintf(stderr,
                    "ajar scan: bad value for --fail-on: '%s' (info, low, medium, high, "
                    "critical)\n",
                    arg);
            return EXIT_USAGE;
        }
        a->cfg.has_fail_on = true;
        break;
    case O_WEBHOOK: {
        struct err we;
        if (!strcmp(arg, REDACTED)) { /* a stored scan's: not given again */
            a->given &= ~opt_bit(c);
            a->cfg.webhook_redacted = true;
            break;
        }
        if (webhook_url_check(arg, &we) < 0) {
            fprintf(stderr, "ajar scan: %s\n", we.msg);
            return EXIT_USAGE;
        }
        a->cfg.webhook = arg;
        break;
    }
    case O_ALERT:
        if (severity_parse(arg, &a->cfg.alert_level) < 0 || a->cfg.alert_level == SEV_NONE) {
            fprintf(stderr,
                    "ajar scan: bad value for --alert-min: '%s' (info, low, medium, high, "
                    "critical)\n",
                    arg);
            return EXIT_USAGE;
        }
        break;
    case O_WHFORMAT:
    case O_PDKEY:
    case O_DASHURL:
    case O_MAILTO:
    case O_MAILFROM:
    case O_MAILWAIT:
        return apply_alert_opt(a, c, arg);
    case O_WHWAIT:
        if (parse_int_opt("--webhook-wait", arg, 3600, &v) < 0) return EXIT_USAGE;
        a->cfg.webhook_wait_ms = (int)v * 1000;
        break;
    case O_RDNS:
        a->rdns_on = true;
        break;
    case O_RESOLVER: {
        struct rdns_server srv;
        struct err re;
        if (rdns_server_parse(arg, &srv, &re) < 0) {
            fprintf(stderr, "ajar scan: %s\n", re.msg);
            return EXIT_USAGE;
        }
        a->rdns.resolver = arg;
        break;
    }
    case O_RDNS_TIMEOUT:
        if (parse_int_opt("--rdns-timeout", arg, 60000, &v) < 0) return EXIT_USAGE;
        if (v < 100) {
            fprintf(stderr, "ajar scan: bad value for --rdns-timeout: '%s' (100 to 60000 ms)\n",
                    arg);
            return EXIT_USAGE;
        }
        a->rdns.timeout_ms = (int)v;
        break;
    case O_SEND_METHOD:
        if (!strcmp(arg, "mmsg"))
            a->eo.syn.method = SYN_SEND_MMSG;
        else if (!strcmp(arg, "ring"))
            a->eo.syn.method = SYN_SEND_RING;
        else if (!strcmp(arg, "raw"))
            a->eo.syn.method = SYN_SEND_RAW;
        else if (!strcmp(arg, "auto"))
            a->eo.syn.method = SYN_SEND_AUTO;
        else {
            fprintf(stderr, "ajar scan: bad value for --send-method: '%s' (mmsg, ring or raw)\n",
                    arg);
            return EXIT_USAGE;
        }
        break;
    case O_IFACE:
        if (!*arg || strlen(arg) >= 16 || strchr(arg, '/') || strchr(arg, ' ')) {
            fprintf(stderr, "ajar scan: bad value for --interface: '%s'\n", arg);
            return EXIT_USAGE;
        }
        a->eo.syn.iface = arg;
        break;
    case O_GWMAC:
        if (pkt_mac_parse(arg, a->eo.syn.gw_mac) < 0) {
            fprintf(stderr,
                    "ajar scan: bad value for --gateway-mac: '%s' (want a unicast MAC, "
                    "aa:bb:cc:dd:ee:ff)\n",
                    arg);
            return EXIT_USAGE;
        }
        a->eo.syn.have_gw_mac = true;
        break;
    case O_SRCIP: {
        struct in_addr in;
        if (inet_pton(AF_INET, arg, &in) != 1) {
            fprintf(stderr, "ajar scan: bad value for --source-ip: '%s' (want an IPv4 address)\n",
                    arg);
            return EXIT_USAGE;
        }
        a->eo.syn.source = in.s_addr;
        a->eo.syn.have_source = true;
        break;
    }
    case O_SENDTHREADS:
        if (parse_int_opt("--sender-threads", arg, SYN_MAX_SENDER_THREADS, &v) < 0)
            return EXIT_USAGE;
        if (v == 0) goto bad_zero;
        a->eo.syn.threads = (int)v;
        break;
    case 'o':
        a->out_path = arg;
        break;
    case O_PROGRESS:
        a->progress = true;
        break;
    case 'q':
        a->quiet = true;
        break;
    case 'v':
        a->verbose++;
        break;
    default:
        fprintf(stderr, "ajar scan: unknown or incomplete option '%s' (try 'ajar scan --help')\n",
                argv[optind - 1]);
        return EXIT_USAGE;
    }
    return 0;
bad_zero:
    fprintf(stderr, "ajar scan: bad value for option: '%s' (want a positive number)\n", arg);
    return EXIT_USAGE;
}

int scan_args_parse(int argc, char **argv, struct scan_args *a)
{
    args_init(a);
    /* nmap's single-dash -iL: turn it into --iL for getopt_long */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-iL")) argv[i] = "--iL";
    optind = 0; /* a fresh scan of a new vector (glibc) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "p:o:qvhn", lopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(scan_usage, stdout);
            return -1;
        }
        uint64_t given = a->given;
        int r = apply_opt(a, c, optarg, (const char *const *)argv);
        /* an option from a configuration file (cli/config.h) was not given on the command line:
         * a bare --resume keeps the stored scan's value. But for --webhook and --pagerduty-key:
         * the store never keeps them, so the configured one is the only one there is. */
        if (optind > 0 && c != O_WEBHOOK && c != O_PDKEY && cli_config_injected(argv[optind - 1]))
            a->given = given;
        if (r == EXIT_RUNTIME) {
            fprintf(stderr, "ajar scan: out of memory\n");
            return EXIT_USAGE;
        }
        if (r) return r;
    }
    for (int i = optind; i < argc; i++)
        if (strv_push(&a->specs, argv[i]) < 0) return EXIT_RUNTIME;
    /* with --resume the stored scan may bring --discovery syn: checked after the merge */
    if (!a->cfg.resume && scan_args_check_syn(a) != 0) return EXIT_USAGE;
    if (!a->rdns_on && (a->rdns.resolver || a->rdns.timeout_ms)) {
        fprintf(stderr, "ajar scan: %s needs --rdns\n",
                a->rdns.resolver ? "--resolver" : "--rdns-timeout");
        return EXIT_USAGE;
    }
    scan_args_targets(a);
    return 0;
}

int scan_args_check_syn(const struct scan_args *a)
{
    static const int syn_only[] = {O_SEND_METHOD, O_IFACE, O_GWMAC, O_SRCIP, O_SENDTHREADS};
    for (size_t i = 0; i < sizeof syn_only / sizeof syn_only[0]; i++)
        if (!a->syn && (a->given & opt_bit(syn_only[i]))) {
            for (const struct option *lo = lopts; lo->name; lo++)
                if (lo->val == syn_only[i])
                    fprintf(stderr, "ajar scan: --%s needs --discovery syn\n", lo->name);
            return EXIT_USAGE;
        }
    return 0;
}

void scan_args_targets(struct scan_args *a)
{
    a->to.exclude = a->excl.v;
    a->to.n_exclude = a->excl.n;
    a->to.exclude_files = a->exfiles.v;
    a->to.n_exclude_files = a->exfiles.n;
    a->to.input_files = a->infiles.v;
    a->to.n_input_files = a->infiles.n;
    a->to.resolve = a->pins.v;
    a->to.n_resolve = a->pins.n;
    a->cfg.mail_to = a->mailto.v;
    a->cfg.nmail_to = a->mailto.n;
}

int scan_args_check(const struct scan_args *a)
{
    const struct scan_cfg *c = &a->cfg;
    const char *fmt = alert_format_name(c->webhook_format);
    if (c->webhook_format != ALERT_JSON && c->webhook_format != ALERT_PAGERDUTY && !c->webhook &&
        !c->webhook_redacted) {
        fprintf(stderr, "ajar scan: --webhook-format %s needs --webhook URL\n", fmt);
        return EXIT_USAGE;
    }
    if (c->pagerduty_key && c->webhook_format != ALERT_PAGERDUTY) {
        fprintf(stderr, "ajar scan: --pagerduty-key needs --webhook-format pagerduty\n");
        return EXIT_USAGE;
    }
    const char *env = getenv("AJAR_PAGERDUTY_KEY");
    if (c->webhook_format == ALERT_PAGERDUTY && !c->pagerduty_key && !c->pagerduty_key_redacted &&
        !(env && env[0])) {
        fprintf(stderr, "ajar scan: --webhook-format pagerduty needs a routing key "
                        "(AJAR_PAGERDUTY_KEY, or --pagerduty-key)\n");
        return EXIT_USAGE;
    }
    if ((c->mail_from || (a->given & opt_bit(O_MAILWAIT))) && !c->nmail_to) {
        fprintf(stderr, "ajar scan: %s needs --mail-to\n",
                c->mail_from ? "--mail-from" : "--mail-wait");
        return EXIT_USAGE;
    }
    return 0;
}

void scan_args_free(struct scan_args *a)
{
    free(a->excl.v);
    free(a->exfiles.v);
    free(a->infiles.v);
    free(a->specs.v);
    free(a->pins.v);
    free(a->sigdirs.v);
    free(a->cloud_ranges.v);
    free(a->mailto.v);
    for (size_t i = 0; i < a->nowned; i++)
        free(a->owned[i]);
    free(a->owned);
    memset(a, 0, sizeof *a);
}

/*
 * The option an argument names ("--name", "--name=value", or a unique prefix of a name, as
 * getopt_long resolves them; an exact name wins over a longer one it prefixes); NULL when it
 * names none or several.
 */
static const struct option *long_opt(const char *arg)
{
    if (arg[0] != '-' || arg[1] != '-' || !arg[2]) return NULL;
    const char *n = arg + 2;
    size_t len = strcspn(n, "=");
    const struct option *hit = NULL;
    for (const struct option *o = lopts; o->name; o++) {
        if (strncmp(o->name, n, len) != 0) continue;
        if (strlen(o->name) == len) return o;                                       /* exact */
        if (hit && (hit->val != o->val || hit->has_arg != o->has_arg)) return NULL; /* ambiguous */
        if (!hit) hit = o;
    }
    return hit;
}

const char *scan_args_option(const char *arg, bool *has_value)
{
    static char names[ARRAY_LEN(lopts)][32];
    const struct option *o = long_opt(arg);
    *has_value = o && o->has_arg == required_argument;
    if (!o) return NULL;
    char *slot = names[o - lopts];
    if (!slot[0]) str_fmt(slot, sizeof names[0], "--%s", o->name);
    return slot;
}

/* Does arg take the next argument as its value? is_db, is_secret: which option it is. */
static bool takes_value(const char *arg, bool *is_db, bool *is_secret)
{
    *is_db = *is_secret = false;
    if (arg[0] != '-' || !arg[1]) return false;
    if (arg[1] != '-') return strchr("po", arg[1]) && !arg[2]; /* -p V, -o V; -p9200 carries it */
    const struct option *o = long_opt(arg);
    if (!o) return false;
    *is_db = o->val == O_DB;
    *is_secret = o->val == O_WEBHOOK || o->val == O_PDKEY;
    return o->has_arg == required_argument && !strchr(arg, '=');
}

char *scan_args_json(int argc, char **argv)
{
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (int i = 1; i < argc; i++) {
        const char *s = strcmp(argv[i], "--iL") == 0 ? "-iL" : argv[i];
        bool is_db, is_secret;
        bool val = takes_value(s, &is_db, &is_secret);
        if (is_db) { /* --db V, --db=V, --d=V ... */
            if (val) i++;
            continue;
        }
        if (is_secret && strchr(s, '=')) { /* --webhook=URL: the name as typed, no value */
            char tmp[64];
            str_fmt(tmp, sizeof tmp, "%.*s=" REDACTED, (int)(strchr(s, '=') - s), s);
            json_array_append_new(arr, json_string(tmp));
            continue;
        }
        json_array_append_new(arr, json_string(s));
        if (val && i + 1 < argc) {
            i++;
            json_array_append_new(arr, json_string(is_secret ? REDACTED : argv[i]));
        }
    }
    char *out = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return out;
}

int scan_args_from_json(const char *json, struct scan_args *a, struct err *e)
{
    json_error_t je;
    json_t *arr = json_loads(json, 0, &je);
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    int rc = -1;
    char **argv = NULL;
    if (!json_is_array(arr)) {
        err_set(e, "the stored arguments do not parse");
        goto out;
    }
    argv = xcalloc(n + 2, sizeof *argv);
    char **owned = xcalloc(n + 2, sizeof *owned);
    if (!argv || !owned) {
        free(owned);
        err_set(e, "out of memory");
        goto out;
    }
    argv[0] = "scan";
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        owned[k] = xstrdup(s ? s : "");
        if (!owned[k]) break;
        argv[i + 1] = owned[k++];
    }
    if (k < n) {
        for (size_t i = 0; i < k; i++)
            free(owned[i]);
        free(owned);
        err_set(e, "out of memory");
        goto out;
    }
    /* stderr stays the user's: a stored argv parsed before, so a failure here is a bug or an
     * edited store, and the message names the option */
    int r = scan_args_parse((int)n + 1, argv, a);
    a->owned = owned;
    a->nowned = k;
    if (r != 0) {
        err_set(e, "the stored arguments are not valid any more");
        goto out;
    }
    rc = 0;
out:
    free(argv);
    json_decref(arr);
    return rc;
}

/* dst = a copy of src's array (the strings stay borrowed); dst's old array is freed. */
static void strv_assign(struct strv *dst, const struct strv *src)
{
    free(dst->v);
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->n; i++)
        if (strv_push(dst, src->v[i]) < 0) break;
}

void scan_args_merge(struct scan_args *st, const struct scan_args *now)
{
    uint64_t g = now->given;
#define TAKE_LIST(c, field)                                                                        \
    do {                                                                                           \
        if (g & opt_bit(c)) strv_assign(&st->field, &now->field);                                  \
    } while (0)
    TAKE_LIST(O_EXCLUDE, excl);
    TAKE_LIST(O_EXCLUDE_FILE, exfiles);
    TAKE_LIST(O_IL, infiles);
    TAKE_LIST(O_RESOLVE, pins);
    TAKE_LIST(O_SIGS, sigdirs);
    TAKE_LIST(O_CLOUDRANGES, cloud_ranges);
    TAKE_LIST(O_MAILTO, mailto);
#undef TAKE_LIST
#define TAKE(c, field)                                                                             \
    do {                                                                                           \
        if (g & opt_bit(c)) st->field = now->field;                                                \
    } while (0)
    TAKE('p', to.ports);
    TAKE('o', out_path);
    TAKE('q', quiet);
    TAKE('v', verbose);
    TAKE('n', to.no_resolve);
    TAKE(O_SEED, seed);
    TAKE(O_SEED, have_seed);
    TAKE(O_SHARD, shard);
    TAKE(O_SHARD, nshards);
    TAKE(O_RATE, eo.rate);
    TAKE(O_CONC, eo.concurrency);
    TAKE(O_TIMEOUT, eo.timeout_ms);
    TAKE(O_RETRIES, eo.retries);
    TAKE(O_PTIMEOUT, eo.probe_timeout_ms);
    TAKE(O_DISC, eo.discovery_only);
    TAKE(O_NODEF, eo.popts.no_default_accounts);
    TAKE(O_PROBE, eo.only_probe);
    TAKE(O_MAXSEC, eo.max_seconds);
    TAKE(O_PROGRESS, progress);
    TAKE(O_TRACE, trace_path);
    TAKE(O_LIFECYCLE, lifecycle_path);
    TAKE(O_ASNDB, asn_db);
    TAKE(O_GEODB, geo_db);
    TAKE(O_DISCOVERY, syn);
    TAKE(O_FAILON, cfg.fail_on);
    TAKE(O_FAILON, cfg.has_fail_on);
    TAKE(O_WEBHOOK, cfg.webhook);
    TAKE(O_ALERT, cfg.alert_level);
    TAKE(O_WHWAIT, cfg.webhook_wait_ms);
    TAKE(O_WHFORMAT, cfg.webhook_format);
    TAKE(O_PDKEY, cfg.pagerduty_key);
    TAKE(O_DASHURL, cfg.dashboard_url);
    TAKE(O_MAILFROM, cfg.mail_from);
    TAKE(O_MAILWAIT, cfg.mail_wait_ms);
    TAKE(O_RDNS, rdns_on);
    TAKE(O_RESOLVER, rdns.resolver);
    TAKE(O_RDNS_TIMEOUT, rdns.timeout_ms);
    TAKE(O_SEND_METHOD, eo.syn.method);
    TAKE(O_IFACE, eo.syn.iface);
    TAKE(O_GWMAC, eo.syn.have_gw_mac);
    if (g & opt_bit(O_GWMAC)) memcpy(st->eo.syn.gw_mac, now->eo.syn.gw_mac, 6);
    TAKE(O_SRCIP, eo.syn.source);
    TAKE(O_SRCIP, eo.syn.have_source);
    TAKE(O_SENDTHREADS, eo.syn.threads);
#undef TAKE
    if (g & opt_bit(O_WEBHOOK)) st->cfg.webhook_redacted = false;
    if (g & opt_bit(O_PDKEY)) st->cfg.pagerduty_key_redacted = false;
    st->cfg.db = now->cfg.db;
    st->cfg.no_db = now->cfg.no_db;
    st->cfg.resume = true;
    st->cfg.resume_id = now->cfg.resume_id;
    st->given |= g;
    scan_args_targets(st);
}
