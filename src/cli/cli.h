/*
 * cli/cli.h -- subcommands. Each returns the process exit status:
 * 0 ok, 1 runtime failure, 2 usage error, 3 --fail-on reached (docs/exit-status.md).
 */
#ifndef AJAR_CLI_H
#define AJAR_CLI_H

#define AJAR_VERSION "0.1.0"

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

#endif
