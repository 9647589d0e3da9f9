/*
 * cli/config.h -- the configuration files (docs/config.md): defaults for
 * the command line, read from /etc/ajar/ajar.conf, then
 * $XDG_CONFIG_HOME/ajar/ajar.conf (~/.config/ajar/ajar.conf) or, instead of
 * that user file, the file of --config FILE.
 *
 * A key is the name of a long option and its value that option's value: the
 * table in config.c maps each key to its option and to the commands that take
 * it, so a new option gets a key by one row there. The configured options are
 * put in front of the command's own arguments (`--rate=500 ... <what was
 * typed>`), so the command parses them exactly as if they had been typed and
 * the ones typed, coming later, win; the keys that may be given several times
 * (exclude, exclude-file, cloud-ranges, signatures) add up instead.
 * Precedence: command line > environment (AJAR_DB) > the user file or --config
 * FILE > the system file > the built-in default.
 */
#ifndef AJAR_CLI_CONFIG_H
#define AJAR_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The commands that take keys. */
enum {
    CFGC_SCAN = 1u << 0,
    CFGC_PROBE = 1u << 1,
    CFGC_IMPORT = 1u << 2,
    CFGC_REPORT = 1u << 3,
    CFGC_DIFF = 1u << 4,
    CFGC_HISTORY = 1u << 5,
    CFGC_SERVE = 1u << 6,
    CFGC_USER = 1u << 7,
};
#define CFGC_SCANS (CFGC_SCAN | CFGC_PROBE | CFGC_IMPORT)
#define CFGC_STORE (CFGC_SCANS | CFGC_REPORT | CFGC_DIFF | CFGC_HISTORY | CFGC_SERVE | CFGC_USER)

enum cfg_type {
    CFGT_TEXT,     /* a path or a name: not empty */
    CFGT_UINT,     /* min..max */
    CFGT_SEVERITY, /* info..critical */
    CFGT_WEBHOOK,  /* webhook_url_check */
    CFGT_PORTS,    /* ports_parse: what -p takes */
    CFGT_LISTEN,   /* web_parse_listen: ADDR:PORT */
    CFGT_ALERTFMT, /* alert_format_parse: json, slack, mattermost, teams, pagerduty */
    CFGT_DASHURL,  /* alert_dashboard_url_check */
    CFGT_MAIL,     /* mail_addr_check: local@domain */
};
#define CFGK_LIST   1u /* may be given several times: the values add up */
#define CFGK_SECRET 2u /* may hold a secret: shown as scan_shown_arg shows the option */

struct cfg_key {
    const char *key;  /* in the file */
    const char *opt;  /* the option it gives */
    const char *sopt; /* the option's short form, or NULL (config show reads the command line) */
    unsigned cmds;    /* C_* */
    enum cfg_type type;
    uint64_t min, max; /* CFGT_UINT */
    unsigned flags;    /* CK_* */
    const char *dflt;  /* what applies without it, for config show */
};

/* The table of keys (n rows), for tests and documentation. */
const struct cfg_key *cli_config_keys(size_t *n);

/* The system file is AJAR_SYSCONF_DIR/ajar.conf (make SYSCONFDIR=...), unless $AJAR_SYSTEM_CONFIG
 * names another file. */
#ifndef AJAR_SYSCONF_DIR
#define AJAR_SYSCONF_DIR "/etc/ajar"
#endif

/*
 * For command argv[0] (argv[0..argc) as cli_main got it, after the global options): read the
 * files as asked (config_file: --config's FILE or NULL; no_config: --no-config), check
 * them whole, and build the command's argv with the configured options first. --config and
 * --no-config among the command's arguments (before a "--") are taken out here too. Returns -1
 * to go on with *out_argc and *out_argv (owned here until cli_config_release), else an exit status
 * (EXIT_USAGE, EXIT_RUNTIME) after one line on stderr: "ajar: FILE:LINE: what is wrong".
 */
int cli_config_prepare(const char *config_file, bool no_config, int argc, char **argv,
                       int *out_argc, char ***out_argv);
/* Free what cli_config_prepare made (cli_main, after the command). */
void cli_config_release(void);
/*
 * Is arg (by its address) one of the options cli_config_prepare put in front of the command's
 * arguments? `ajar scan` does not count those as given on the command line: a --resume without
 * targets takes the stored scan's values over them (the store has what the files said then),
 * except the webhook's URL and the PagerDuty routing key, which the store never keeps.
 */
bool cli_config_injected(const char *arg);
/* Does `cmd` take any configuration key? (cli_main reads the files only for those.) */
bool cli_config_wanted(const char *cmd);

/* `ajar config show [COMMAND [OPTIONS...]]`: what is in force and where each value is from. */
int cmd_config(int argc, char **argv);

#endif
