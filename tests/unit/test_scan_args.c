/*
 * tests/unit/test_scan_args.c -- `ajar scan`'s arguments as the store keeps them for
 * `--resume` (cli/scan_args.c): the stored form redacts the webhook URL and drops --db, reads
 * back to the same options, merges the options given with --resume on top, and names the first
 * option on which a resume contradicts the scan. A stored argv is a file a user hands us (the
 * store): garbage, a non-array, non-strings and unknown options are refused, never crash.
 */
#include "cli/cli.h"
#include "cli/scan_args.h"
#include "unit/t.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static int parse(struct scan_args *a, char **argv)
{
    int n = 0;
    while (argv[n])
        n++;
    return scan_args_parse(n, argv, a);
}

static void test_json_roundtrip(void)
{
    char *argv[] = {"scan",
                    "-p",
                    "6379,redis",
                    "--rate",
                    "500",
                    "-iL",
                    "nets.txt",
                    "--exclude",
                    "10.0.0.5",
                    "--db",
                    "postgresql://u:SECRET@h/db",
                    "--webhook",
                    "https://h/hook/TOKEN123",
                    "--shard",
                    "1/4",
                    "--seed",
                    "9",
                    "--no-default-accounts",
                    "-o",
                    "out.jsonl",
                    "10.0.0.0/24",
                    NULL};
    int n = 0;
    while (argv[n])
        n++;
    char *j = scan_args_json(n, argv);
    CHECK(j != NULL);
    if (!j) return;
    CHECK_MSG(!strstr(j, "SECRET") && !strstr(j, "TOKEN123"), "%s", j);
    CHECK(!strstr(j, "--db"));
    CHECK(strstr(j, "\"-iL\"") != NULL);
    CHECK(strstr(j, "\"--webhook\",\"<redacted>\"") != NULL);
    struct scan_args a;
    struct err e = {{0}};
    CHECK(scan_args_from_json(j, &a, &e) == 0);
    CHECK(a.to.ports && !strcmp(a.to.ports, "6379,redis"));
    CHECK(a.eo.rate == 500);
    CHECK(a.infiles.n == 1 && !strcmp(a.infiles.v[0], "nets.txt"));
    CHECK(a.excl.n == 1 && a.specs.n == 1 && !strcmp(a.specs.v[0], "10.0.0.0/24"));
    CHECK(a.shard == 1 && a.nshards == 4 && a.have_seed && a.seed == 9);
    CHECK(a.eo.popts.no_default_accounts);
    CHECK(a.out_path && !strcmp(a.out_path, "out.jsonl"));
    CHECK(a.cfg.db == NULL);
    CHECK(a.cfg.webhook == NULL && a.cfg.webhook_redacted);
    free(j);

    /* --opt=value forms */
    char *argv2[] = {"scan", "--webhook=https://h/T0K", "--db=/tmp/x.db", "--ports=80", "1.2.3.4",
                     NULL};
    j = scan_args_json(5, argv2);
    CHECK(j && !strstr(j, "T0K") && !strstr(j, "x.db") && strstr(j, "--ports=80"));
    struct scan_args b;
    CHECK(j && scan_args_from_json(j, &b, &e) == 0);
    CHECK(b.to.ports && !strcmp(b.to.ports, "80") && b.cfg.webhook_redacted);
    scan_args_free(&b);
    free(j);

    /* resuming: options given now replace the stored ones, lists too */
    struct scan_args now;
    char *argv3[] = {"scan", "--resume",  "--rate",   "0", "--max-seconds",
                     "0",    "--exclude", "10.0.0.9", NULL};
    CHECK(parse(&now, argv3) == 0);
    scan_args_merge(&a, &now);
    CHECK(a.eo.rate == 0 && a.eo.max_seconds == 0);
    CHECK(a.excl.n == 1 && !strcmp(a.excl.v[0], "10.0.0.9"));
    CHECK(a.cfg.resume);
    CHECK(a.to.ports && !strcmp(a.to.ports, "6379,redis")); /* not given now: kept */
    scan_args_free(&now);
    scan_args_free(&a);
}

static void test_differ(void)
{
    struct scan_args x, y;
    char d[400];
    char *a1[] = {"scan", "-p", "6379", "10.0.0.0/24", "10.1.0.0/24", NULL};
    char *a2[] = {"scan", "-p", "6379", "10.1.0.0/24", "10.0.0.0/24", NULL};
    CHECK(parse(&x, a1) == 0 && parse(&y, a2) == 0);
    CHECK(scan_args_differ(&x, &y, true, d, sizeof d) == 0); /* order does not matter */
    scan_args_free(&y);
    char *a3[] = {"scan", "-p", "6380", "10.0.0.0/24", "10.1.0.0/24", NULL};
    CHECK(parse(&y, a3) == 0);
    CHECK(scan_args_differ(&x, &y, true, d, sizeof d) == 1);
    CHECK_MSG(strstr(d, "--ports: '6379' (the scan: '6380')") != NULL, "%s", d);
    CHECK(scan_args_differ(&x, &y, false, d, sizeof d) == 0); /* scope left to the scope key */
    scan_args_free(&y);
    char *a4[] = {"scan", "-p", "6379", "--discovery-only", "10.0.0.0/24", "10.1.0.0/24", NULL};
    CHECK(parse(&y, a4) == 0);
    CHECK(scan_args_differ(&x, &y, false, d, sizeof d) == 1);
    CHECK_MSG(strstr(d, "--discovery-only not given (the scan: given)") != NULL, "%s", d);
    scan_args_free(&y);
    char *a5[] = {"scan", "-p", "6379", "10.0.0.0/25", "10.1.0.0/24", NULL};
    CHECK(parse(&y, a5) == 0);
    CHECK(scan_args_differ(&x, &y, true, d, sizeof d) == 1);
    CHECK_MSG(strstr(d, "targets: ") == d, "%s", d);
    scan_args_free(&y);
    scan_args_free(&x);
}

static void test_hostile_store(void)
{
    static const char *bad[] = {
        "",
        "[",
        "{}",
        "null",
        "[1,2]",
        "[\"--no-such-option\"]",
        "[\"--rate\",\"x\"]",
        "[\"--shard\",\"9/2\"]",
        "[\"-p\"]",
        "[\"--probe\",\"nonexistent\"]",
        "\"scan\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct scan_args a;
        struct err e = {{0}};
        memset(&a, 0, sizeof a);
        int r = scan_args_from_json(bad[i], &a, &e);
        CHECK_MSG(r < 0 || !strcmp(bad[i], "[1,2]"), "accepted %s", bad[i]);
        CHECK(r == 0 || e.msg[0]);
        scan_args_free(&a);
    }
    /* every prefix of a real stored argv: no crash, no leak */
    const char *good = "[\"-p\",\"6379\",\"--rate\",\"10\",\"-iL\",\"f\",\"127.0.0.1\"]";
    for (size_t n = 0; n <= strlen(good); n++) {
        char buf[128];
        memcpy(buf, good, n);
        buf[n] = 0;
        struct scan_args a;
        struct err e = {{0}};
        memset(&a, 0, sizeof a);
        int r = scan_args_from_json(buf, &a, &e);
        CHECK(r == 0 ? n == strlen(good) : 1);
        scan_args_free(&a);
    }
}

/* issue 22: the command line the scans list shows carries no secret */
static void test_shown(void)
{
    static const struct {
        const char *opt, *val, *want;
    } t[] = {
        {"--webhook", "https://hooks.example/h/SECRET123", "https://hooks.example/<redacted>"},
        {"--webhook", "https://hooks.example:8443/services/T0/B0/XYZ?x=1",
         "https://hooks.example:8443/<redacted>"},
        {"--webhook", "https://user:SECRET@hooks.example/x", "https://hooks.example/<redacted>"},
        {"--webhook", "not-a-url-SECRET", "<redacted>"},
        {"--db", "postgresql://ajar:SECRET@127.0.0.1:5432/ajar",
         "postgresql://ajar:<redacted>@127.0.0.1:5432/ajar"},
        {"--db", "postgresql://127.0.0.1/ajar?password=SECRET",
         "postgresql://127.0.0.1/ajar?<redacted>"},
        {"--db", "host=127.0.0.1 dbname=ajar password=SECRET",
         "host=127.0.0.1 dbname=ajar <redacted>"},
        {"--db", "scans.db", "scans.db"},
        {"--db", "postgresql://127.0.0.1/ajar", "postgresql://127.0.0.1/ajar"},
        {"", "https://hooks.example/h/visible", "https://hooks.example/h/visible"},
        {"-p", "6379", "6379"},
        {"--pagerduty-key", "SECRETR0UT1NGKEY", "<redacted>"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[256];
        scan_shown_arg(t[i].opt, t[i].val, out, sizeof out);
        CHECK_STR(out, t[i].want);
        CHECK(!strstr(out, "SECRET"));
    }
}

/* issue 24: the alert options; the routing key is a secret whatever prefix names it */
static void test_alert_opts(void)
{
    char *argv[] = {"scan",
                    "--webhook-format",
                    "pagerduty",
                    "--pagerduty-k",
                    "SECRETK1",
                    "--alert-level",
                    "critical",
                    "--dashboard-url",
                    "https://ajar.example:8443",
                    "--mail-to",
                    "soc@example.org",
                    "--mail-to=ops@example.org",
                    "--mail-from",
                    "ajar@example.org",
                    "--mail-wait",
                    "9",
                    "10.0.0.1",
                    NULL};
    int n = 0;
    while (argv[n])
        n++;
    struct scan_args a;
    CHECK(parse(&a, argv) == 0);
    CHECK(a.cfg.webhook_format == ALERT_PAGERDUTY);
    CHECK_STR(a.cfg.pagerduty_key, "SECRETK1");
    CHECK(a.cfg.alert_level == SEV_CRITICAL);
    CHECK_STR(a.cfg.dashboard_url, "https://ajar.example:8443");
    CHECK(a.cfg.nmail_to == 2 && !strcmp(a.cfg.mail_to[1], "ops@example.org"));
    CHECK_STR(a.cfg.mail_from, "ajar@example.org");
    CHECK_INT(a.cfg.mail_wait_ms, 9000);
    CHECK_INT(scan_args_check(&a), 0);
    scan_args_free(&a);
    char *j = scan_args_json(n, argv);
    CHECK_MSG(j && !strstr(j, "SECRET"), "%s", j ? j : "(null)");
    CHECK(j && strstr(j, "\"--pagerduty-k\",\"<redacted>\""));
    struct err e = {{0}};
    struct scan_args st;
    CHECK(j && scan_args_from_json(j, &st, &e) == 0);
    CHECK(st.cfg.pagerduty_key == NULL && st.cfg.pagerduty_key_redacted);
    CHECK(st.cfg.webhook_format == ALERT_PAGERDUTY && st.cfg.nmail_to == 2);
    CHECK_INT(scan_args_check(&st), 0); /* a redacted key is a key the user gives again */
    /* resuming with the key given again: it replaces the redacted one */
    struct scan_args now;
    char *argv2[] = {"scan", "--resume", "--pagerduty-key=SECRETK2", NULL};
    CHECK(parse(&now, argv2) == 0);
    scan_args_merge(&st, &now);
    CHECK(st.cfg.pagerduty_key && !strcmp(st.cfg.pagerduty_key, "SECRETK2"));
    CHECK(!st.cfg.pagerduty_key_redacted && st.cfg.nmail_to == 2);
    scan_args_free(&now);
    scan_args_free(&st);
    free(j);

    /* the = form and the shortest unique prefix are redacted too; so is a webhook URL */
    char *argv3[] = {"scan",
                     "--pagerduty-key=SECRETK3",
                     "--pagerd",
                     "SECRETK4",
                     "--webhook=https://h/SECRETW",
                     "--webhook-f=slack",
                     "1.2.3.4",
                     NULL};
    j = scan_args_json(7, argv3);
    CHECK_MSG(j && !strstr(j, "SECRET"), "%s", j ? j : "(null)");
    CHECK(j && strstr(j, "\"--pagerduty-key=<redacted>\",\"--pagerd\",\"<redacted>\""));
    CHECK(j && strstr(j, "\"--webhook-f=slack\""));
    free(j);

    /* scan_args_option: getopt's reading of a name */
    bool v;
    CHECK_STR(scan_args_option("--pagerd", &v), "--pagerduty-key");
    CHECK(v);
    CHECK_STR(scan_args_option("--webhook=x", &v), "--webhook");
    CHECK(scan_args_option("--webh", &v) == NULL);             /* webhook, -wait, -format */
    CHECK_STR(scan_args_option("--alert", &v), "--alert-min"); /* two names of one option */
    CHECK_STR(scan_args_option("--rdns", &v), "--rdns");
    CHECK(!v);
    CHECK(scan_args_option("-p", &v) == NULL && scan_args_option("10.0.0.1", &v) == NULL);
    CHECK(scan_args_option("--nosuch", &v) == NULL);

    /* --alert-min and its old name */
    char *argv4[] = {"scan", "--alert-min", "low", "1.2.3.4", NULL};
    CHECK(parse(&a, argv4) == 0 && a.cfg.alert_level == SEV_LOW);
    scan_args_free(&a);

    /* values refused at once, combinations once merged */
    static const char *const bad[][4] = {
        {"--webhook-format", "msteams"},
        {"--alert-min", "none"},
        {"--pagerduty-key", ""},
        {"--pagerduty-key", "has space"},
        {"--dashboard-url", "https://u:p@h/"},
        {"--dashboard-url", "ftp://h"},
        {"--mail-to", "soc@example.org\nBcc: x@y.z"},
        {"--mail-to", "-oX@y.z"},
        {"--mail-from", "a b@c.d"},
        {"--mail-wait", "0"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char *av[] = {"scan", (char *)bad[i][0], (char *)bad[i][1], "1.2.3.4", NULL};
        CHECK_MSG(parse(&a, av) == EXIT_USAGE, "%s '%s' accepted", bad[i][0], bad[i][1]);
        scan_args_free(&a);
    }
    unsetenv("AJAR_PAGERDUTY_KEY");
    static const char *const badmix[][5] = {
        {"--webhook-format", "slack"},                        /* no --webhook */
        {"--pagerduty-key", "K", "--webhook-format", "json"}, /* a key for no PagerDuty */
        {"--webhook-format", "pagerduty"},                    /* no key */
        {"--mail-from", "a@b.c"},                             /* no --mail-to */
        {"--mail-wait", "5"},
    };
    for (size_t i = 0; i < ARRAY_LEN(badmix); i++) {
        char *av[8] = {"scan"};
        int k = 1;
        for (int x = 0; x < 4 && badmix[i][x]; x++)
            av[k++] = (char *)badmix[i][x];
        av[k++] = "1.2.3.4";
        av[k] = NULL;
        CHECK(parse(&a, av) == 0);
        CHECK_MSG(scan_args_check(&a) == EXIT_USAGE, "%s %s accepted", badmix[i][0], badmix[i][1]);
        scan_args_free(&a);
    }
    setenv("AJAR_PAGERDUTY_KEY", "FROMENV", 1); /* the key from the environment */
    char *av5[] = {"scan", "--webhook-format", "pagerduty", "1.2.3.4", NULL};
    CHECK(parse(&a, av5) == 0 && scan_args_check(&a) == 0);
    scan_args_free(&a);
    unsetenv("AJAR_PAGERDUTY_KEY");
}

/* issue 25: --discovery syn's sender options, and what a stored scan keeps of them */
static void test_syn_sender(void)
{
    char *ok[] = {"scan",
                  "--discovery",
                  "syn",
                  "--send-method",
                  "ring",
                  "--interface",
                  "eth1",
                  "--gateway-mac",
                  "02:00:00:00:BE:ef",
                  "--source-ip",
                  "192.0.2.7",
                  "--sender-threads",
                  "4",
                  "10.0.0.0/24",
                  NULL};
    struct scan_args a;
    CHECK_INT(parse(&a, ok), 0);
    CHECK(a.syn && a.eo.syn.method == SYN_SEND_RING);
    CHECK_STR(a.eo.syn.iface, "eth1");
    CHECK(a.eo.syn.have_gw_mac && memcmp(a.eo.syn.gw_mac, "\x02\x00\x00\x00\xbe\xef", 6) == 0);
    CHECK(a.eo.syn.have_source && a.eo.syn.source == htonl(0xc0000207));
    CHECK_INT(a.eo.syn.threads, 4);
    int n = 0;
    while (ok[n])
        n++;
    char *j = scan_args_json(n, ok);
    struct scan_args b;
    struct err e = {{0}};
    CHECK(j && scan_args_from_json(j, &b, &e) == 0);
    CHECK(b.eo.syn.method == SYN_SEND_RING && b.eo.syn.threads == 4 && b.eo.syn.have_gw_mac);
    /* --resume --sender-threads 2 --send-method mmsg: those replace the stored ones, the rest stays
     */
    char *now_argv[] = {"scan", "--resume", "--sender-threads", "2", "--send-method", "mmsg", NULL};
    struct scan_args now;
    CHECK_INT(parse(&now, now_argv), 0);
    scan_args_merge(&b, &now);
    CHECK_INT(scan_args_check_syn(&b), 0); /* the stored scan's --discovery syn */
    CHECK(b.eo.syn.method == SYN_SEND_MMSG && b.eo.syn.threads == 2);
    CHECK(b.eo.syn.have_source && b.eo.syn.source == htonl(0xc0000207));
    CHECK_STR(b.eo.syn.iface, "eth1");
    scan_args_free(&now);
    scan_args_free(&b);
    free(j);
    scan_args_free(&a);

    static const char *const bad[][2] = {
        {"--send-method", "pcap"},
        {"--send-method", ""},
        {"--interface", ""},
        {"--interface", "a/b"},
        {"--interface", "sixteen-chars-xy"},
        {"--gateway-mac", "ff:ff:ff:ff:ff:ff"},
        {"--gateway-mac", "02:00:00"},
        {"--source-ip", "::1"},
        {"--source-ip", "10.0.0"},
        {"--sender-threads", "0"},
        {"--sender-threads", "65"},
        {"--sender-threads", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = {"scan",     "--discovery", "syn", (char *)bad[i][0], (char *)bad[i][1],
                        "10.0.0.1", NULL};
        struct scan_args x;
        CHECK_MSG(parse(&x, argv) == EXIT_USAGE, "%s '%s'", bad[i][0], bad[i][1]);
        scan_args_free(&x);
    }
    /* without --discovery syn they are refused */
    char *nosyn[] = {"scan", "--sender-threads", "2", "10.0.0.1", NULL};
    struct scan_args x;
    CHECK_INT(parse(&x, nosyn), EXIT_USAGE);
    scan_args_free(&x);
    char *resumed[] = {"scan", "--resume", "--sender-threads", "2", NULL}; /* checked later */
    CHECK_INT(parse(&x, resumed), 0);
    CHECK_INT(scan_args_check_syn(&x), EXIT_USAGE); /* as after merging a connect scan */
    scan_args_free(&x);
    char *conn[] = {"scan",     "--discovery", "connect", "--gateway-mac", "02:00:00:00:be:ef",
                    "10.0.0.1", NULL};
    CHECK_INT(parse(&x, conn), EXIT_USAGE);
    scan_args_free(&x);
}

int main(void)
{
    test_alert_opts();
    test_syn_sender();
    test_json_roundtrip();
    test_differ();
    test_hostile_store();
    test_shown();
    return T_END();
}
