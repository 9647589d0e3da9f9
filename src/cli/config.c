/*
 * cli/config.c -- configuration files: the table of keys, the layers, the
 * options they give a command, and `ajar config show` (config.h,
 * docs/config.md).
 *
 * One row of `keys` per key: the option it stands for, the commands that take
 * that option, how its value is checked, whether it may repeat (a list) and
 * whether it may hold a secret. Nothing else knows the keys: cli_main hands
 * the command an argv with the configured options in front, as `--opt=value`
 * (one element each, so no value is ever taken for an option), and the
 * command's own parser does the rest. A value is checked here as well, so that
 * a bad one is reported with its file and line before the command starts.
 *
 * Layers, lowest first: the system file, then the user file or --config's
 * FILE (which takes the user file's place: one explicit file for one job, that
 * does not depend on who runs it). A scalar key's last value wins; an empty
 * value (`webhook =`) hides the lower layers' and leaves the default. A list
 * key's values add up over the layers and the command line: an exclude in the
 * system file cannot be dropped by accident. $AJAR_DB stands above both files
 * and below --db. Files are read whole and refused whole: a syntax error, an
 * unknown key, a bad value, a scalar key twice in one file, a file writable by
 * every user or owned by someone but root or the caller (whoever can write it
 * chooses where the findings go), and a secret (a webhook URL, a store URL
 * with a password) in a file every user can read.
 */
#include "cli/config.h"
#include "cli/cli.h"
#include "cli/scan_args.h"
#include "cli/alert.h"
#include "cli/mail.h"
#include "cli/webhook.h"
#include "core/conf.h"
#include "core/finding.h"
#include "core/util.h"
#include "target/target.h"
#include "web/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *name;
    unsigned bit;
} cmd_bits[] = {{"scan", CFGC_SCAN},     {"probe", CFGC_PROBE}, {"import", CFGC_IMPORT},
                {"report", CFGC_REPORT}, {"diff", CFGC_DIFF},   {"history", CFGC_HISTORY},
                {"serve", CFGC_SERVE},   {"user", CFGC_USER}};

/* Flags (--rdns, --no-default-accounts) have no key: a file could set them and no command line
 * could clear them again. */
static const struct cfg_key keys[] = {
    {"db", "--db", NULL, CFGC_STORE, CFGT_TEXT, 0, 0, CFGK_SECRET, "./ajar.db"},
    {"ports", "--ports", "-p", CFGC_SCAN, CFGT_PORTS, 0, 0, 0, "(database and dashboard ports)"},
    {"exclude", "--exclude", NULL, CFGC_SCANS, CFGT_TEXT, 0, 0, CFGK_LIST, "(none)"},
    {"exclude-file", "--exclude-file", NULL, CFGC_SCANS, CFGT_TEXT, 0, 0, CFGK_LIST, "(none)"},
    {"rate", "--rate", NULL, CFGC_SCANS, CFGT_UINT, 0, 100000000, 0, "1000"},
    {"concurrency", "--concurrency", NULL, CFGC_SCANS, CFGT_UINT, 1, 1u << 20, 0,
     "(fitted to the open-file limit)"},
    {"timeout", "--timeout", NULL, CFGC_SCANS, CFGT_UINT, 1, 600000, 0, "1500"},
    {"retries", "--retries", NULL, CFGC_SCANS, CFGT_UINT, 0, 100, 0, "1"},
    {"probe-timeout", "--probe-timeout", NULL, CFGC_SCANS, CFGT_UINT, 1, 600000, 0, "3000"},
    {"signatures", "--signatures", NULL, CFGC_SCANS, CFGT_TEXT, 0, 0, CFGK_LIST,
     "(the shipped ones)"},
    {"lifecycle", "--lifecycle", NULL, CFGC_SCANS, CFGT_TEXT, 0, 0, 0, "(built in)"},
    {"asn-db", "--asn-db", NULL, CFGC_SCANS, CFGT_TEXT, 0, 0, 0, "(none)"},
    {"geo-db", "--geo-db", NULL, CFGC_SCANS, CFGT_TEXT, 0, 0, 0, "(none)"},
    {"cloud-ranges", "--cloud-ranges", NULL, CFGC_SCANS, CFGT_TEXT, 0, 0, CFGK_LIST, "(none)"},
    {"webhook", "--webhook", NULL, CFGC_SCANS, CFGT_WEBHOOK, 0, 0, CFGK_SECRET, "(none)"},
    {"webhook-format", "--webhook-format", NULL, CFGC_SCANS, CFGT_ALERTFMT, 0, 0, 0, "json"},
    {"pagerduty-key", "--pagerduty-key", NULL, CFGC_SCANS, CFGT_TEXT, 0, 0, CFGK_SECRET,
     "(none; or AJAR_PAGERDUTY_KEY)"},
    {"alert-min", "--alert-min", NULL, CFGC_SCANS, CFGT_SEVERITY, 0, 0, 0, "high"},
    {"alert-level", "--alert-level", NULL, CFGC_SCANS, CFGT_SEVERITY, 0, 0, 0,
     "high (the old name of alert-min)"},
    {"dashboard-url", "--dashboard-url", NULL, CFGC_SCANS, CFGT_DASHURL, 0, 0, 0, "(none)"},
    {"webhook-wait", "--webhook-wait", NULL, CFGC_SCANS, CFGT_UINT, 0, 3600, 0, "5"},
    {"mail-to", "--mail-to", NULL, CFGC_SCANS, CFGT_MAIL, 0, 0, CFGK_LIST, "(none)"},
    {"mail-from", "--mail-from", NULL, CFGC_SCANS, CFGT_MAIL, 0, 0, 0, "(the MTA's)"},
    {"mail-wait", "--mail-wait", NULL, CFGC_SCANS, CFGT_UINT, 1, 3600, 0, "30"},
    {"listen", "--listen", NULL, CFGC_SERVE, CFGT_LISTEN, 0, 0, 0, "127.0.0.1:8443"},
    {"cert", "--cert", NULL, CFGC_SERVE, CFGT_TEXT, 0, 0, 0, "(generated, self-signed)"},
    {"key", "--key", NULL, CFGC_SERVE, CFGT_TEXT, 0, 0, 0, "(generated)"},
    {"owners", "--owners", NULL, CFGC_SERVE, CFGT_TEXT, 0, 0, 0, "(none)"},
    {"state-dir", "--state-dir", NULL, CFGC_SERVE, CFGT_TEXT, 0, 0, 0, "(the store's directory)"},
    {"idle-timeout", "--idle-timeout", NULL, CFGC_SERVE, CFGT_UINT, 1, 365u * 86400u, 0, "1800"},
    {"session-lifetime", "--session-lifetime", NULL, CFGC_SERVE, CFGT_UINT, 1, 365u * 86400u, 0,
     "43200"},
    {"threads", "--threads", NULL, CFGC_SERVE, CFGT_UINT, 1, 64, 0, "4"},
};

const struct cfg_key *cli_config_keys(size_t *n)
{
    *n = ARRAY_LEN(keys);
    return keys;
}

/* Where the files are and what became of them. */
enum { L_SYSTEM, L_USER, L_N };
enum fstate { F_SKIPPED, F_ABSENT, F_READ };

/* A value from a file: the key's row, the value (the file's conf owns it), where. */
struct cfg_item {
    const struct cfg_key *k;
    const char *value;
    const char *file;
    unsigned line;
};

static struct {
    struct conf conf[L_N];
    char path[L_N][1024];
    enum fstate state[L_N];
    bool explicit_file; /* L_USER is --config's FILE */
    struct cfg_item *items;
    size_t n, cap;
    char **inj; /* the "--opt=value" strings put in front */
    size_t ninj;
    char **argv; /* the command's argv */
    int argc;
} S;

static unsigned cmd_bit(const char *cmd)
{
    for (size_t i = 0; i < ARRAY_LEN(cmd_bits); i++)
        if (!strcmp(cmd, cmd_bits[i].name)) return cmd_bits[i].bit;
    return 0;
}

bool cli_config_wanted(const char *cmd)
{
    return cmd_bit(cmd) != 0 || !strcmp(cmd, "config");
}

static const struct cfg_key *find_key(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        if (!strcmp(keys[i].key, name)) return &keys[i];
    return NULL;
}

/* Does this value hold a secret (what config show would not print as it is)? */
static bool holds_secret(const struct cfg_key *k, const char *v)
{
    if (!(k->flags & CFGK_SECRET) || !v[0]) return false;
    char shown[CONF_LINE_MAX + 64];
    scan_shown_arg(k->opt, v, shown, sizeof shown);
    return strcmp(shown, v) != 0;
}

/* The value of a key from a file: 0, or -1 with e = "FILE:LINE: KEY: ...". An empty one unsets a
 * scalar key. Secret values are never quoted. */
static int check_value(const struct cfg_key *k, const struct conf_entry *en, const char *file,
                       struct err *e)
{
    const char *v = en->value;
    struct err ve = {{0}};
    uint64_t u;
    enum severity sev;
    if (!v[0]) {
        if (k->flags & CFGK_LIST)
            return err_set(e, "%s:%u: %s: empty value", file, en->line, k->key);
        return 0;
    }
    switch (k->type) {
    case CFGT_TEXT:
        return 0;
    case CFGT_UINT:
        if (parse_u64(v, k->max, &u) < 0 || u < k->min)
            return err_set(e, "%s:%u: %s: '%s' is not a number from %llu to %llu", file, en->line,
                           k->key, v, (unsigned long long)k->min, (unsigned long long)k->max);
        return 0;
    case CFGT_SEVERITY:
        if (severity_parse(v, &sev) < 0 || sev == SEV_NONE)
            return err_set(e,
                           "%s:%u: %s: '%s' is not a severity (info, low, medium, high, "
                           "critical)",
                           file, en->line, k->key, v);
        return 0;
    case CFGT_WEBHOOK:
        if (webhook_url_check(v, &ve) < 0)
            return err_set(e,
                           "%s:%u: %s: not an http[s]://HOST[:PORT]/PATH URL (the value is not "
                           "shown: it may hold a token)",
                           file, en->line, k->key);
        return 0;
    case CFGT_PORTS: {
        uint16_t *ports = NULL;
        size_t np = 0;
        int r = ports_parse(v, &ports, &np, &ve);
        free(ports);
        if (r < 0) return err_set(e, "%s:%u: %s: %s", file, en->line, k->key, ve.msg);
        return 0;
    }
    case CFGT_ALERTFMT: {
        enum alert_format f;
        if (alert_format_parse(v, &f) < 0)
            return err_set(e, "%s:%u: %s: '%s' is not json, slack, mattermost, teams or pagerduty",
                           file, en->line, k->key, v);
        return 0;
    }
    case CFGT_DASHURL:
        if (alert_dashboard_url_check(v, &ve) < 0)
            return err_set(e, "%s:%u: %s: %s", file, en->line, k->key, ve.msg);
        return 0;
    case CFGT_MAIL:
        if (mail_addr_check(v, &ve) < 0)
            return err_set(e, "%s:%u: %s: %s", file, en->line, k->key, ve.msg);
        return 0;
    case CFGT_LISTEN: {
        struct sockaddr_storage ss;
        char host[128];
        uint16_t port;
        if (web_parse_listen(v, &ss, host, sizeof host, &port, &ve) < 0)
            return err_set(e, "%s:%u: %s: %s", file, en->line, k->key, ve.msg);
        return 0;
    }
    }
    return 0;
}

/* Every directory on the way to path may be searched by this user. */
static bool path_reachable(const char *path)
{
    char dir[4096];
    if (str_copy(dir, path, sizeof dir) >= sizeof dir) return false;
    for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        bool ok = access(dir, X_OK) == 0;
        *p = '/';
        if (!ok) return false;
    }
    return true;
}

/*
 * Read one file into S.conf[layer]. 1 when it is not there and need not be, 0 when read, -1 with
 * e set. The file is refused when anyone but root and the caller owns it or every user may
 * write it: it decides where the findings of a scan go.
 */
static int read_file(int layer, bool must_exist, struct stat *sb, struct err *e)
{
    const char *path = S.path[layer];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (!must_exist && (errno == ENOENT || errno == ENOTDIR)) return 1;
        /* the user's default file under a home this user may not enter (a service account run
         * with another's HOME, `setpriv` to nobody): no file of its own to read there. A file it
         * may reach but not read is still an error (it may hold excludes). */
        if (!must_exist && errno == EACCES && layer == L_USER && !path_reachable(path)) {
            log_debug("configuration: %s is beyond a directory this user may not enter", path);
            return 1;
        }
        return err_set(e, "%s: cannot read it: %s", path, strerror(errno));
    }
    char *buf = NULL;
    int rc = -1;
    if (fstat(fd, sb) < 0) {
        err_set(e, "%s: cannot read it: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb->st_mode)) {
        err_set(e, "%s: not a regular file", path);
        goto out;
    }
    if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
        err_set(e,
                "%s: owned by uid %u, neither you nor root: refused (whoever can write it "
                "chooses where findings go)",
                path, (unsigned)sb->st_uid);
        goto out;
    }
    if (sb->st_mode & S_IWOTH) {
        err_set(e, "%s: writable by every user (mode %04o): refused (chmod o-w %s)", path,
                (unsigned)(sb->st_mode & 07777), path);
        goto out;
    }
    if (sb->st_size > (off_t)CONF_FILE_MAX) {
        err_set(e, "%s: larger than 64 KiB", path);
        goto out;
    }
    buf = xmalloc(CONF_FILE_MAX + 1);
    if (!buf) {
        err_set(e, "%s: out of memory", path);
        goto out;
    }
    size_t got = 0;
    while (got <= CONF_FILE_MAX) {
        ssize_t r = read(fd, buf + got, CONF_FILE_MAX + 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            err_set(e, "%s: cannot read it: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    /* a file that grew past the cap since fstat: conf_parse refuses it with its line */
    rc = conf_parse(&S.conf[layer], path, buf, got, e);
out:
    free(buf);
    close(fd);
    return rc;
}

/* Check the entries of a file just read and add them to S.items. 0, or -1 with e set. */
static int take_entries(int layer, const struct stat *sb, struct err *e)
{
    const struct conf *c = &S.conf[layer];
    const char *file = S.path[layer];
    for (size_t i = 0; i < c->n; i++) {
        const struct conf_entry *en = &c->v[i];
        const struct cfg_key *k = find_key(en->key);
        if (!k)
            return err_set(e, "%s:%u: unknown key '%s' ('ajar config show' lists the keys)", file,
                           en->line, en->key);
        if (check_value(k, en, file, e) < 0) return -1;
        if (!(k->flags & CFGK_LIST)) {
            for (size_t j = 0; j < i; j++)
                if (!strcmp(c->v[j].key, en->key))
                    return err_set(e, "%s:%u: %s is set twice in this file (first on line %u)",
                                   file, en->line, k->key, c->v[j].line);
        }
        if ((sb->st_mode & S_IROTH) && holds_secret(k, en->value))
            return err_set(e,
                           "%s:%u: %s holds a secret and every user can read the file (mode "
                           "%04o): refused (chmod o-r %s)",
                           file, en->line, k->key, (unsigned)(sb->st_mode & 07777), file);
        struct cfg_item *nv = arr_grow(S.items, S.n, &S.cap, sizeof *nv, 16);
        if (!nv) return err_set(e, "out of memory");
        S.items = nv;
        S.items[S.n++] = (struct cfg_item){k, en->value, file, en->line};
    }
    return 0;
}

/* The user file: $XDG_CONFIG_HOME/ajar/ajar.conf, else ~/.config/ajar/ajar.conf; "" if neither
 * variable names an absolute directory (the XDG rule). -1 when the path does not fit. */
static int user_path(char *out, size_t n)
{
    const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
    int r = 0;
    out[0] = 0;
    if (x && x[0] == '/')
        r = str_fmt(out, n, "%s/ajar/ajar.conf", x);
    else if (h && h[0] == '/')
        r = str_fmt(out, n, "%s/.config/ajar/ajar.conf", h);
    return r < 0 || (size_t)r >= n ? -1 : 0;
}

static int load_files(const char *config_file, bool no_config, struct err *e)
{
    const char *sys = getenv("AJAR_SYSTEM_CONFIG");
    /* a path cut short would name another file: refused */
    if (str_copy(S.path[L_SYSTEM], sys && sys[0] ? sys : AJAR_SYSCONF_DIR "/ajar.conf",
                 sizeof S.path[L_SYSTEM]) >= sizeof S.path[L_SYSTEM])
        return err_set(e, "AJAR_SYSTEM_CONFIG: a path longer than %zu bytes",
                       sizeof S.path[L_SYSTEM] - 1);
    S.explicit_file = config_file != NULL;
    if (config_file &&
        str_copy(S.path[L_USER], config_file, sizeof S.path[L_USER]) >= sizeof S.path[L_USER])
        return err_set(e, "--config: a path longer than %zu bytes", sizeof S.path[L_USER] - 1);
    if (!config_file && !no_config && user_path(S.path[L_USER], sizeof S.path[L_USER]) < 0)
        return err_set(e,
                       "the user configuration file's path (XDG_CONFIG_HOME or HOME) is longer "
                       "than %zu bytes",
                       sizeof S.path[L_USER] - 1);
    for (int l = 0; l < L_N; l++) {
        bool must = l == L_USER && config_file;
        S.state[l] = F_SKIPPED;
        if ((no_config && !must) || !S.path[l][0]) continue;
        struct stat sb;
        memset(&sb, 0, sizeof sb);
        int r = read_file(l, must, &sb, e);
        if (r < 0) return -1;
        S.state[l] = r == 1 ? F_ABSENT : F_READ;
        if (r == 0 && take_entries(l, &sb, e) < 0) return -1;
    }
    return 0;
}

/* The value in force from the files for a scalar key: its last item, or NULL. */
static const struct cfg_item *file_value(const struct cfg_key *k)
{
    const struct cfg_item *it = NULL;
    for (size_t i = 0; i < S.n; i++)
        if (S.items[i].k == k) it = &S.items[i];
    return it;
}

/* $AJAR_DB, when it decides the store (set and not empty). */
static const char *env_db(void)
{
    const char *v = getenv("AJAR_DB");
    return v && v[0] ? v : NULL;
}

static int inject(const struct cfg_key *k, const char *value)
{
    char **nv = xrealloc(S.inj, (S.ninj + 1) * sizeof *nv);
    if (!nv) return -1;
    S.inj = nv;
    size_t l = strlen(k->opt) + 1 + strlen(value) + 1;
    char *s = xmalloc(l);
    if (!s) return -1;
    str_fmt(s, l, "%s=%s", k->opt, value);
    S.inj[S.ninj++] = s;
    return 0;
}

/* The "--opt=value" strings for command bit `cb`, in table order. */
static int build_injected(unsigned cb)
{
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        const struct cfg_key *k = &keys[i];
        if (!(k->cmds & cb)) continue;
        if (k->flags & CFGK_LIST) {
            for (size_t j = 0; j < S.n; j++)
                if (S.items[j].k == k && inject(k, S.items[j].value) < 0) return -1;
            continue;
        }
        if (!strcmp(k->key, "db") && env_db()) continue; /* the commands read $AJAR_DB */
        const struct cfg_item *it = file_value(k);
        if (it && it->value[0] && inject(k, it->value) < 0) return -1;
    }
    return 0;
}

bool cli_config_injected(const char *arg)
{
    for (size_t i = 0; i < S.ninj; i++)
        if (S.inj[i] == arg) return true;
    return false;
}

void cli_config_release(void)
{
    for (size_t i = 0; i < S.ninj; i++)
        free(S.inj[i]);
    free(S.inj);
    free(S.items);
    free(S.argv);
    for (int l = 0; l < L_N; l++)
        conf_free(&S.conf[l]);
    memset(&S, 0, sizeof S);
}

int cli_config_prepare(const char *config_file, bool no_config, int argc, char **argv,
                       int *out_argc, char ***out_argv)
{
    struct err e = {{0}};
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest) goto oom;
    /* --config and --no-config among the command's arguments */
    bool dashdash = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i > 0 && !dashdash && !strcmp(a, "--")) dashdash = true;
        if (i > 0 && !dashdash && !strcmp(a, "--no-config")) {
            no_config = true;
            continue;
        }
        if (i > 0 && !dashdash && (!strcmp(a, "--config") || !strncmp(a, "--config=", 9))) {
            const char *f = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;
            if (!f || !f[0]) {
                free(rest);
                fprintf(stderr, "ajar: --config needs a FILE\n");
                return EXIT_USAGE;
            }
            config_file = f;
            continue;
        }
        rest[nrest++] = argv[i];
    }
    if (load_files(config_file, no_config, &e) < 0) {
        free(rest);
        fprintf(stderr, "ajar: %s\n", e.msg);
        return strstr(e.msg, "out of memory") ? EXIT_RUNTIME : EXIT_USAGE;
    }
    if (build_injected(cmd_bit(rest[0])) < 0) goto oom;
    S.argv = xcalloc((size_t)nrest + S.ninj + 1, sizeof *S.argv);
    if (!S.argv) goto oom;
    S.argv[S.argc++] = rest[0];
    for (size_t i = 0; i < S.ninj; i++)
        S.argv[S.argc++] = S.inj[i];
    for (int i = 1; i < nrest; i++)
        S.argv[S.argc++] = rest[i];
    free(rest);
    *out_argc = S.argc;
    *out_argv = S.argv;
    return -1;
oom:
    free(rest);
    fprintf(stderr, "ajar: out of memory\n");
    return EXIT_RUNTIME;
}

/* ---- ajar config show ---- */

static const char config_usage[] =
    "usage: ajar config show [COMMAND [OPTIONS...]]\n"
    "\n"
    "The configuration in force and where each value comes from: a file and line, the\n"
    "environment (AJAR_DB), the command line, or the default. With COMMAND (scan, probe,\n"
    "import, report, diff, history, serve, user) only its keys, with OPTIONS as that command\n"
    "would be given them. Secrets (a webhook URL's path, a store URL's password) are shown\n"
    "redacted.\n"
    "\n"
    "Files, lowest first: " AJAR_SYSCONF_DIR "/ajar.conf, then ~/.config/ajar/ajar.conf\n"
    "($XDG_CONFIG_HOME/ajar/ajar.conf) or, instead of it, --config FILE; --no-config reads\n"
    "neither default file. The command line wins over the environment, the environment\n"
    "over the files. Lines are 'key = value' or '# comment'; see docs/config.md.\n"
    "\n"
    "Examples:\n"
    "  ajar config show\n"
    "  ajar config show scan --rate 200 10.0.0.0/24\n"
    "  ajar --config /etc/ajar/service.conf config show serve\n";

/* The values of k on an inspected command line (args[0] is the command), up to 64. */
static size_t cli_values(const struct cfg_key *k, int nargs, char **args, const char **out)
{
    size_t n = 0, ol = strlen(k->opt);
    for (int i = 1; i < nargs && n < 64; i++) {
        const char *a = args[i];
        if (!strcmp(a, "--")) break;
        if (!strcmp(a, k->opt) || (k->sopt && !strcmp(a, k->sopt))) {
            if (i + 1 < nargs) out[n++] = args[++i];
        } else if (!strncmp(a, k->opt, ol) && a[ol] == '=') {
            out[n++] = a + ol + 1;
        } else if (k->sopt && !strncmp(a, k->sopt, 2) && a[2]) {
            out[n++] = a + 2;
        }
    }
    return n;
}

static void show_line(const struct cfg_key *k, const char *value, const char *source, unsigned line)
{
    char shown[CONF_LINE_MAX + 64], safe[1024] = "", src[1100];
    if (value) {
        if (k->flags & CFGK_SECRET)
            scan_shown_arg(k->opt, value, shown, sizeof shown);
        else
            str_copy(shown, value, sizeof shown);
        str_sanitize(safe, sizeof safe, shown, strlen(shown), true);
    }
    char where[1100];
    str_sanitize(where, sizeof where, source, strlen(source), true);
    if (line)
        str_fmt(src, sizeof src, "%s:%u", where, line);
    else
        str_copy(src, where, sizeof src);
    printf("%-17s %-40s %s\n", k->key, value ? safe : k->dflt, src);
}

static void show_key(const struct cfg_key *k, int nargs, char **args)
{
    const char *cl[64];
    size_t ncl = nargs > 0 ? cli_values(k, nargs, args, cl) : 0;
    if (k->flags & CFGK_LIST) {
        size_t shown = 0;
        for (size_t i = 0; i < S.n; i++)
            if (S.items[i].k == k) {
                show_line(k, S.items[i].value, S.items[i].file, S.items[i].line);
                shown++;
            }
        for (size_t i = 0; i < ncl; i++)
            show_line(k, cl[i], "command line", 0);
        if (!shown && !ncl) show_line(k, NULL, "default", 0);
        return;
    }
    const struct cfg_item *it = file_value(k);
    if (ncl)
        show_line(k, cl[ncl - 1], "command line", 0);
    else if (!strcmp(k->key, "db") && env_db())
        show_line(k, env_db(), "environment (AJAR_DB)", 0);
    else if (it && it->value[0])
        show_line(k, it->value, it->file, it->line);
    else if (it) {
        char unset[1100];
        str_fmt(unset, sizeof unset, "default (unset at %s:%u)", it->file, it->line);
        show_line(k, NULL, unset, 0);
    } else
        show_line(k, NULL, "default", 0);
}

int cmd_config(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(config_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "show") != 0) {
        fprintf(stderr, "ajar config: unknown subcommand '%s' (try 'ajar config --help')\n",
                argv[1]);
        return EXIT_USAGE;
    }
    unsigned cb = ~0u;
    int nargs = argc - 2;
    char **args = argv + 2;
    if (nargs > 0) {
        cb = cmd_bit(args[0]);
        if (!cb) {
            fprintf(stderr,
                    "ajar config: '%s' takes no configuration keys (scan, probe, import, "
                    "report, diff, history, serve, user do)\n",
                    args[0]);
            return EXIT_USAGE;
        }
    }
    static const char *const what[] = {"not read (--no-config)", "not there", "read"};
    for (int l = 0; l < L_N; l++) {
        char p[1100];
        str_sanitize(p, sizeof p, S.path[l], strlen(S.path[l]), true);
        if (!p[0]) continue;
        printf("# %s file %s: %s\n",
               l == L_SYSTEM     ? "system"
               : S.explicit_file ? "--config"
                                 : "user",
               p, what[S.state[l]]);
    }
    printf("%-17s %-40s %s\n", "KEY", "VALUE", "SOURCE");
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        if (keys[i].cmds & cb) show_key(&keys[i], nargs, args);
    return EXIT_OK;
}
