/*
 * cli/serve_cmd.c -- `ajar serve` (the dashboard) and `ajar user` (its
 * accounts).
 *
 * serve refuses to start while the store has no user (there is no default
 * account), with a certificate that has expired (unless
 * --allow-expired-cert), and warns when binding anything but loopback.
 * Without --cert/--key it generates a self-signed certificate on first
 * start and keeps it beside the store (the state directory: the SQLite
 * file's directory, or the current directory for PostgreSQL; --state-dir
 * to choose), with the audit log ajar-audit.log.
 */
#include "cli/cli.h"
#include "cli/scan_args.h"
#include "core/util.h"
#include "store/store.h"
#include "web/auth.h"
#include "web/serve_cert.h"
#include "web/server.h"
#include "web/web.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const char serve_usage[] =
    "usage: ajar serve [--db PATH|URL] [--listen ADDR:PORT] [--cert FILE --key FILE]\n"
    "                  [--allow-expired-cert] [--owners FILE] [--state-dir DIR]\n"
    "                  [--idle-timeout SECONDS] [--session-lifetime SECONDS] [--threads N]\n"
    "\n"
    "The dashboard, over HTTPS only, for the accounts made with 'ajar user add'.\n"
    "\n"
    "      --db PATH|URL          the store (default $AJAR_DB, else ./ajar.db; postgresql://...\n"
    "                             for PostgreSQL)\n"
    "      --listen ADDR:PORT     where to listen (default 127.0.0.1:8443; [::1]:8443 for IPv6);\n"
    "                             anything but loopback is reachable from the network: a warning\n"
    "      --cert FILE --key FILE the certificate and key (PEM); without them a self-signed pair\n"
    "                             is generated on first start and kept in the state directory\n"
    "      --allow-expired-cert   start even with an expired certificate\n"
    "      --owners FILE          CIDR -> owner lines, for the owner filter\n"
    "      --state-dir DIR        where the generated certificate and the audit log live\n"
    "                             (default: the SQLite file's directory; . for PostgreSQL)\n"
    "      --idle-timeout S       sign out after S seconds without a request (default 1800)\n"
    "      --session-lifetime S   sign out S seconds after signing in regardless (default 43200)\n"
    "      --threads N            worker threads (default 4)\n"
    "  -q, --quiet                no start-up lines\n"
    "  -v, --verbose              more: when the first index is ready, the server's own log\n"
    "  -h, --help                 this help\n"
    "\n"
    "Examples:\n"
    "  ajar user add alice && ajar serve\n"
    "  ajar serve --db postgresql://ajar@db/ajar --cert /etc/ajar/tls.crt --key "
    "/etc/ajar/tls.key\n";

static const char user_usage[] =
    "usage: ajar user add NAME [--role admin|analyst|viewer] [--owner NAME]... [--provider ID]...\n"
    "                     [--asn N]... [--password-stdin] [--db PATH|URL]\n"
    "       ajar user passwd NAME [--password-stdin] [--db PATH|URL]\n"
    "       ajar user del NAME [--db PATH|URL]\n"
    "       ajar user list [--db PATH|URL]\n"
    "\n"
    "The dashboard's accounts (there is no default one). Passwords are at least 12\n"
    "characters, read from the terminal (twice) or, with --password-stdin, from one line\n"
    "of standard input; they are kept as Argon2id hashes. `passwd` sets a new one and\n"
    "ends the user's sessions.\n"
    "\n"
    "Roles: an admin sees everything, the accounts included (the first account is one by\n"
    "default); an analyst every finding (the default after the first); a viewer only the\n"
    "findings within its scope: the owners of the --owners file given to `ajar serve`,\n"
    "cloud providers (the record's cloud.provider) and networks (AS numbers); a finding\n"
    "matching any of them.\n"
    "\n"
    "      --role ROLE         admin, analyst or viewer\n"
    "      --owner NAME        a viewer sees this owner's findings (repeatable)\n"
    "      --provider ID       ... this cloud provider's (alibaba, aws, ...; repeatable)\n"
    "      --asn N             ... this network's (37963 or AS37963; repeatable)\n"
    "      --db PATH|URL       the store (default $AJAR_DB, else ./ajar.db)\n"
    "      --password-stdin    read the password from standard input\n"
    "  -h, --help              this help\n";

/* Open the store's database and bring its schema up to date. */
static int open_db(struct db **d, const char *where, bool must_exist, struct err *e)
{
    *d = NULL;
    if (!where || !*where) {
        err_set(e, "--db: empty");
        return -1;
    }
    if (must_exist && !store_is_remote(where) && access(where, F_OK) != 0) {
        err_set(e, "%s: no such store (scan first, or give --db)", where);
        return -1;
    }
    return store_connect(d, where, true, e);
}

/* ---- ajar user ---- */

static int read_line(FILE *fp, char *out, size_t n)
{
    if (!fgets(out, (int)n, fp)) return -1;
    size_t l = strlen(out);
    if (l == n - 1 && out[l - 1] != '\n') return -2; /* too long */
    while (l && (out[l - 1] == '\n' || out[l - 1] == '\r'))
        out[--l] = 0;
    return 0;
}

static int prompt_password(const char *what, char *out, size_t n)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return -1;
    struct termios old, quiet;
    int fd = fileno(tty);
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fprintf(tty, "%s", what);
    fflush(tty);
    int rc = read_line(tty, out, n);
    fprintf(tty, "\n");
    if (restore) tcsetattr(fd, TCSAFLUSH, &old);
    fclose(tty);
    return rc;
}

static int print_user(void *arg, const struct auth_user *u)
{
    (void)arg;
    char c[32], l[32] = "never", sc[512];
    time_fmt_utc(u->created, c, sizeof c);
    if (u->last_login) time_fmt_utc(u->last_login, l, sizeof l);
    web_scope_describe(&u->scope, sc, sizeof sc);
    printf("%-24s %-8s created %s  last sign-in %s  sessions %lld%s%s\n", u->name,
           web_role_name(u->role), c, l, (long long)u->sessions, sc[0] ? "  scope: " : "", sc);
    return 0;
}

/* The new password: from stdin, or asked twice on the terminal. 0, or an exit status. */
static int get_password(const char *name, bool pw_stdin, char *pw, size_t n)
{
    char again[AUTH_PASSWORD_MAX + 2];
    int r;
    if (pw_stdin)
        r = read_line(stdin, pw, n);
    else if ((r = prompt_password("Password: ", pw, n)) == 0) {
        r = prompt_password("Again: ", again, sizeof again);
        if (r == 0 && strcmp(pw, again) != 0) {
            memset(again, 0, sizeof again);
            fprintf(stderr, "ajar user: the passwords differ\n");
            return EXIT_USAGE;
        }
    } else if (r == -1) {
        fprintf(stderr, "ajar user: no terminal to ask for the password: use "
                        "--password-stdin\n");
        return EXIT_USAGE;
    }
    memset(again, 0, sizeof again);
    const char *why = r == -2 ? "longer than 128 characters"
                      : r < 0 ? "missing"
                              : auth_password_problem_user(name, pw);
    if (why) {
        fprintf(stderr, "ajar user: password %s\n", why);
        memset(pw, 0, n);
        return EXIT_USAGE;
    }
    return 0;
}

/* `ajar user`'s command line. */
struct user_opts {
    const char *where; /* --db */
    bool pw_stdin;     /* --password-stdin */
    int role;          /* -1 until --role, or until the add decides */
    struct web_scope scope;
    enum { USER_ADD, USER_PASSWD, USER_DEL, USER_LIST } verb;
    const char *name; /* NULL for list */
};

/* The options into *u: 0 to go on, -1 after the usage for --help (exit 0), or EXIT_USAGE after
 * saying why. The verb and its arguments are user_check's. */
static int user_parse(int argc, char **argv, struct user_opts *u)
{
    struct err e = {0};
    static const struct option lo[] = {
        {"db", required_argument, NULL, 'd'},       {"password-stdin", no_argument, NULL, 'p'},
        {"role", required_argument, NULL, 'r'},     {"owner", required_argument, NULL, 'o'},
        {"provider", required_argument, NULL, 'P'}, {"asn", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            u->where = optarg;
            break;
        case 'p':
            u->pw_stdin = true;
            break;
        case 'r':
            if ((u->role = web_role_parse(optarg)) < 0) {
                fprintf(stderr, "ajar user: --role %s: admin, analyst or viewer\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
        case 'P':
        case 'a':
            if (web_scope_add(&u->scope,
                              c == 'o'   ? "owner"
                              : c == 'P' ? "provider"
                                         : "asn",
                              optarg, &e) < 0) {
                fprintf(stderr, "ajar user: %s\n", e.msg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(user_usage, stdout);
            return -1;
        default:
            fputs(user_usage, stderr);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* The verb and its NAME (argv from optind), and the options against them; an add's role when
 * the scope decides it (a scope without --role: a viewer). 0, or EXIT_USAGE after saying why. */
static int user_check(int argc, char **argv, struct user_opts *u)
{
    int nargs = argc - optind;
    const char *verb = nargs > 0 ? argv[optind] : NULL;
    u->name = nargs > 1 ? argv[optind + 1] : NULL;
    bool add = verb && strcmp(verb, "add") == 0, del = verb && strcmp(verb, "del") == 0,
         list = verb && strcmp(verb, "list") == 0, passwd = verb && strcmp(verb, "passwd") == 0;
    if (!(add || del || list || passwd) || ((add || del || passwd) && nargs != 2) ||
        (list && nargs != 1)) {
        fputs(user_usage, stderr);
        return EXIT_USAGE;
    }
    u->verb = add ? USER_ADD : passwd ? USER_PASSWD : del ? USER_DEL : USER_LIST;
    if (!add && (u->role >= 0 || u->scope.n)) {
        fprintf(stderr, "ajar user: --role, --owner, --provider and --asn go with 'add'\n");
        return EXIT_USAGE;
    }
    if ((add || del || passwd) && !auth_name_valid(u->name)) {
        fprintf(stderr,
                "ajar user: '%s': user names are 1-64 letters, digits, '.', '_', '@' or "
                "'-'\n",
                u->name);
        return EXIT_USAGE;
    }
    if (add && u->scope.n && u->role < 0) u->role = ROLE_VIEWER;
    if (add && u->role == ROLE_VIEWER && !u->scope.n) {
        fprintf(stderr, "ajar user: a viewer sees only its scope: give --owner, --provider or "
                        "--asn\n");
        return EXIT_USAGE;
    }
    if (add && u->role >= 0 && u->role != ROLE_VIEWER && u->scope.n) {
        fprintf(stderr, "ajar user: only a viewer has a scope (an %s sees every finding)\n",
                web_role_name((enum web_role)u->role));
        return EXIT_USAGE;
    }
    return 0;
}

/*
 * `add` and `passwd`: the password first (nothing is opened for a refused one), then the store
 * (passwd's must exist). An add without --role makes the first account an admin, the others
 * analysts. 0, EXIT_USAGE, or EXIT_RUNTIME (the store's failure in *e, or said).
 */
static int user_set_password(struct user_opts *u, struct db **d, struct err *e)
{
    bool add = u->verb == USER_ADD;
    char pw[AUTH_PASSWORD_MAX + 2];
    int r = get_password(u->name, u->pw_stdin, pw, sizeof pw);
    if (r) return r;
    if (open_db(d, u->where, !add, e) < 0) {
        memset(pw, 0, sizeof pw);
        return EXIT_RUNTIME;
    }
    if (add && u->role < 0) {
        int64_t n = 0;
        if (auth_user_count(*d, &n, e) < 0) {
            memset(pw, 0, sizeof pw);
            return EXIT_RUNTIME;
        }
        u->role = n ? ROLE_ANALYST : ROLE_ADMIN;
    }
    r = add ? auth_user_add(*d, u->name, pw, (enum web_role)u->role, &u->scope, e)
            : auth_password_set(*d, u->name, pw, NULL, e);
    memset(pw, 0, sizeof pw);
    if (r < 0) return EXIT_RUNTIME;
    if (r == 1 && add) {
        fprintf(stderr, "ajar user: %s exists already (ajar user del %s first)\n", u->name,
                u->name);
        return EXIT_USAGE;
    }
    if (r == 1) {
        fprintf(stderr, "ajar user: no user %s\n", u->name);
        return EXIT_RUNTIME;
    }
    if (add) {
        char sc[512];
        web_scope_describe(&u->scope, sc, sizeof sc);
        fprintf(stderr, "ajar user: added %s (%s%s%s)\n", u->name,
                web_role_name((enum web_role)u->role), sc[0] ? ": " : "", sc);
    } else
        fprintf(stderr, "ajar user: new password for %s; its sessions ended\n", u->name);
    return EXIT_OK;
}

/* `del`: the account and its sessions. 0, or EXIT_RUNTIME (the store's failure in *e, or said). */
static int user_del(const struct user_opts *u, struct db **d, struct err *e)
{
    if (open_db(d, u->where, true, e) < 0) return EXIT_RUNTIME;
    int r = auth_user_del(*d, u->name, e);
    if (r < 0) return EXIT_RUNTIME;
    if (r == 1) {
        fprintf(stderr, "ajar user: no user %s\n", u->name);
        return EXIT_RUNTIME;
    }
    fprintf(stderr, "ajar user: deleted %s and its sessions\n", u->name);
    return EXIT_OK;
}

/* `list`: one line per account on stdout. 0, or EXIT_RUNTIME (the failure in *e). */
static int user_list(const struct user_opts *u, struct db **d, struct err *e)
{
    if (open_db(d, u->where, true, e) < 0) return EXIT_RUNTIME;
    if (auth_user_list(*d, print_user, NULL, e) < 0) return EXIT_RUNTIME;
    return EXIT_OK;
}

int cmd_user(int argc, char **argv)
{
    struct user_opts u = {.where = cli_default_db(), .role = -1};
    int rc = user_parse(argc, argv, &u);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if ((rc = user_check(argc, argv, &u)) != 0) return rc;
    struct db *d = NULL;
    struct err e = {0};
    if (u.verb == USER_ADD || u.verb == USER_PASSWD)
        rc = user_set_password(&u, &d, &e);
    else if (u.verb == USER_DEL)
        rc = user_del(&u, &d, &e);
    else
        rc = user_list(&u, &d, &e);
    if (rc == EXIT_RUNTIME && e.msg[0]) fprintf(stderr, "ajar user: %s\n", e.msg);
    store_disconnect(d);
    return rc;
}

/* ---- ajar serve ---- */

/* The first index, built while the server already answers. */
static void *warm_main(void *arg)
{
    struct web_ctx *ctx = arg;
    struct err e = {0};
    if (web_views_warm(ctx, &e) < 0) log_msg(1, "ajar serve: building the first index: %s", e.msg);
    return NULL;
}

static int parse_secs(const char *opt, const char *s, int *out)
{
    uint64_t v;
    if (parse_u64(s, 365u * 86400u, &v) < 0 || v == 0) {
        fprintf(stderr, "ajar serve: %s %s: want seconds (1 to a year)\n", opt, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* `ajar serve`'s command line. */
struct serve_opts {
    const char *where, *listen, *cert, *key, *owners_path, *state_dir;
    bool allow_expired, quiet;
    struct auth_limits lim;
    unsigned threads;
};

/* The options into *o: 0 to go on, -1 after the usage for --help (exit 0), or EXIT_USAGE after
 * saying why. */
static int serve_parse(int argc, char **argv, struct serve_opts *o)
{
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"listen", required_argument, NULL, 'l'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"key", required_argument, NULL, 'k'},
                                       {"allow-expired-cert", no_argument, NULL, 'x'},
                                       {"owners", required_argument, NULL, 'o'},
                                       {"state-dir", required_argument, NULL, 's'},
                                       {"idle-timeout", required_argument, NULL, 'i'},
                                       {"session-lifetime", required_argument, NULL, 'a'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qvh", lo, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'd':
            o->where = optarg;
            break;
        case 'l':
            o->listen = optarg;
            break;
        case 'c':
            o->cert = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'x':
            o->allow_expired = true;
            break;
        case 'o':
            o->owners_path = optarg;
            break;
        case 's':
            o->state_dir = optarg;
            break;
        case 'i':
            if (parse_secs("--idle-timeout", optarg, &o->lim.idle) < 0) return EXIT_USAGE;
            break;
        case 'a':
            if (parse_secs("--session-lifetime", optarg, &o->lim.absolute) < 0) return EXIT_USAGE;
            break;
        case 't':
            if (parse_u64(optarg, 64, &v) < 0 || v == 0) {
                fprintf(stderr, "ajar serve: --threads %s: want 1 to 64\n", optarg);
                return EXIT_USAGE;
            }
            o->threads = (unsigned)v;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'v':
            log_level++;
            break;
        case 'h':
            fputs(serve_usage, stdout);
            return -1;
        default:
            fputs(serve_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ajar serve: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if ((o->cert == NULL) != (o->key == NULL)) {
        fprintf(stderr, "ajar serve: --cert and --key go together\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* One `ajar serve`: what its stages share and cmd_serve frees. */
struct serve_run {
    struct serve_opts o;
    struct sockaddr_storage ss; /* --listen, parsed */
    char host[128];             /* its address, as text */
    char dirbuf[4096];          /* the state directory, when it is the store's */
    struct db *d;               /* the store, for its accounts */
    struct kit_owners *owners;  /* --owners */
    struct web_cert wc;         /* the certificate and key */
    char exp[32];               /* the certificate's end, as text */
    char audit_path[4200];
    struct auth_audit *audit;
    struct web_server *srv;
    struct web_ctx ctx; /* what the pages share */
    pthread_t warm;     /* the first index's build (warming: started) */
    bool warming;
    struct err e; /* the failure a stage leaves for cmd_serve to say */
};

/* The store, which must have an account (there is no default one: the refusal says how to add
 * one, with a --db URL's password not printed). 0, EXIT_USAGE, or EXIT_RUNTIME (in s->e). */
static int serve_accounts(struct serve_run *s)
{
    const char *where = s->o.where;
    int64_t nusers = 0;
    if (open_db(&s->d, where, true, &s->e) < 0 || auth_user_count(s->d, &nusers, &s->e) < 0)
        return EXIT_RUNTIME;
    if (nusers == 0) {
        bool other_db = where && strcmp(where, cli_default_db()) != 0;
        char shown[1024]; /* a store URL's password is not printed */
        scan_shown_arg("--db", where, shown, sizeof shown);
        fprintf(stderr,
                "ajar serve: the store has no user, and there is no default one: add one with\n"
                "  ajar user add NAME%s%s\n"
                "then start ajar serve again.\n",
                other_db ? " --db " : "", other_db ? shown : "");
        return EXIT_USAGE;
    }
    return 0;
}

/*
 * Everything the server needs before it starts: the accounts' store, --owners, the certificate
 * (loaded, or generated in the state directory; an expired one refused unless
 * --allow-expired-cert), its and the address's warnings, the audit log, the views' cache.
 * 0, EXIT_USAGE, or EXIT_RUNTIME (in s->e).
 */
static int serve_prepare(struct serve_run *s)
{
    const struct serve_opts *o = &s->o;
    int rc = serve_accounts(s);
    if (rc) return rc;
    if (o->owners_path && kit_owners_load(&s->owners, o->owners_path, &s->e) < 0)
        return EXIT_RUNTIME;
    struct web_cert_opts co = {.cert_path = o->cert,
                               .key_path = o->key,
                               .state_dir = o->state_dir,
                               .host = s->host,
                               .allow_expired = o->allow_expired};
    if (web_cert_load(&s->wc, &co, &s->e) < 0) return EXIT_RUNTIME;
    time_fmt_utc(s->wc.not_after, s->exp, sizeof s->exp);
    int left = web_cert_days_left(&s->wc, now_wall());
    if (s->wc.generated && !o->quiet)
        fprintf(stderr, "ajar serve: generated a self-signed certificate: %s (key %s)\n",
                s->wc.cert_path, s->wc.key_path);
    if (left < 0)
        fprintf(stderr,
                "ajar serve: WARNING: the certificate EXPIRED on %s (started anyway: "
                "--allow-expired-cert)\n",
                s->exp);
    else if (left <= WEB_CERT_WARN_DAYS)
        fprintf(stderr, "ajar serve: WARNING: the certificate expires in %d days (%s)\n", left,
                s->exp);
    if (!web_is_loopback(&s->ss))
        fprintf(stderr,
                "ajar serve: WARNING: listening on %s, not loopback: the dashboard is reachable "
                "from the network. Put it behind a firewall or VPN.\n",
                s->host);
    str_fmt(s->audit_path, sizeof s->audit_path, "%s/ajar-audit.log", o->state_dir);
    if (auth_audit_open(&s->audit, s->audit_path, &s->e) < 0) return EXIT_RUNTIME;
    s->ctx.owners = s->owners;
    s->ctx.cert_not_after = s->wc.not_after;
    str_copy(s->ctx.cert_sha256, s->wc.sha256, sizeof s->ctx.cert_sha256);
    if (web_views_new(&s->ctx.views, o->where, &s->e) < 0) return EXIT_RUNTIME;
    return 0;
}

/*
 * Start the server and the first index's build, say where it listens, and wait for SIGINT or
 * SIGTERM (blocked here, so the workers inherit the mask and only this thread takes them).
 * EXIT_OK once stopped, or EXIT_RUNTIME (in s->e) when the server did not start.
 */
static int serve_run(struct serve_run *s)
{
    const struct serve_opts *o = &s->o;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct web_server_opts so = {.listen = o->listen,
                                 .cert_pem = s->wc.cert_pem,
                                 .key_pem = s->wc.key_pem,
                                 .ctx = &s->ctx,
                                 .audit = s->audit,
                                 .limits = o->lim,
                                 .threads = o->threads};
    /* room for the server's 1,024 connections (a soft limit of 1,024 descriptors is common) */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2048 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < 2048 ? rl.rlim_max : 2048;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (web_server_start(&s->srv, &so, &s->e) < 0) return EXIT_RUNTIME;
    s->warming = pthread_create(&s->warm, NULL, warm_main, &s->ctx) == 0;
    auth_audit(s->audit, "serve_start", NULL, s->host, o->listen);
    if (!o->quiet) {
        fprintf(stderr, "ajar serve: certificate SHA-256 %s, valid until %s\n", s->wc.sha256,
                s->exp);
        fprintf(stderr, "ajar serve: audit log %s\n", s->audit_path);
    }
    if (s->ss.ss_family == AF_INET6)
        fprintf(stderr, "ajar serve: listening on https://[%s]:%u/\n", s->host,
                web_server_port(s->srv));
    else
        fprintf(stderr, "ajar serve: listening on https://%s:%u/\n", s->host,
                web_server_port(s->srv));
    fflush(stderr);
    int sig = 0;
    sigwait(&set, &sig);
    if (!o->quiet) fprintf(stderr, "ajar serve: stopping (%s)\n", strsignal(sig));
    auth_audit(s->audit, "serve_stop", NULL, s->host, NULL);
    return EXIT_OK;
}

/*
 * `ajar serve`: the options and --listen checked (usage errors, nothing opened), the state
 * directory settled (--state-dir, else the SQLite file's directory, else "." for PostgreSQL),
 * then serve_prepare and serve_run; what they held is freed in every case.
 */
int cmd_serve(int argc, char **argv)
{
    struct serve_run s;
    memset(&s, 0, sizeof s);
    s.o = (struct serve_opts){
        .where = cli_default_db(), .listen = "127.0.0.1:8443", .lim = {1800, 43200}, .threads = 4};
    int rc = serve_parse(argc, argv, &s.o);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    uint16_t port;
    if (web_parse_listen(s.o.listen, &s.ss, s.host, sizeof s.host, &port, &s.e) < 0) {
        fprintf(stderr, "ajar serve: %s\n", s.e.msg);
        return EXIT_USAGE;
    }
    if (!s.o.state_dir) {
        if (store_is_remote(s.o.where))
            s.o.state_dir = ".";
        else {
            str_copy(s.dirbuf, s.o.where, sizeof s.dirbuf);
            s.o.state_dir = dirname(s.dirbuf);
        }
    }
    s.ctx = (struct web_ctx){.where = s.o.where, .started = now_wall()};
    if ((rc = serve_prepare(&s)) == 0) rc = serve_run(&s);
    if (rc == EXIT_RUNTIME && s.e.msg[0]) fprintf(stderr, "ajar serve: %s\n", s.e.msg);
    web_server_stop(s.srv);
    if (s.warming) pthread_join(s.warm, NULL);
    if (s.ctx.views) web_views_free(s.ctx.views);
    auth_audit_close(s.audit);
    web_cert_free(&s.wc);
    kit_owners_free(s.owners);
    store_disconnect(s.d);
    return rc;
}
