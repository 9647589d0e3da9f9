/*
 * cli/cli.h -- subcommands. Each returns the process exit status:
 * 0 ok, 1 runtime failure, 2 usage error, 3 --fail-on reached (docs/exit-status.md).
 */
#ifndef AJAR_CLI_H
#define AJAR_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "core/version.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_FAIL_ON = 3 };

int cli_main(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_services(int argc, char **argv);
int cmd_signatures(int argc, char **argv);
/* The store when --db is not given: $AJAR_DB when set and not empty, else ./ajar.db. */
const char *cli_default_db(void);
/* Why the shipped signatures did not load (cli_main loads them), or NULL. */
const char *cli_signatures_error(void);

/*
 * The options of the commands that only read the store (diff, history):
 * --db PATH|URL, --json, -h/--help. Returns -1 to go on with the operands
 * at argv[optind..], else the exit status: EXIT_OK after printing usage for
 * --help, EXIT_USAGE after saying "ajar CMD: unknown or incomplete option".
 */
int cli_store_reader_opts(int argc, char **argv, const char *cmd, const char *usage,
                          const char **db, bool *as_json);
/* A JSON value for a person: none or null "-", an integer, a string, else "?". */
void cli_print_json_value(const json_t *v);
/* One change {"field", "from", "to"} as an indented line "<label><field> <from> -> <to>". */
void cli_print_change(const char *label, const json_t *ch);

#endif
