/*
 * main.c -- entry point: dispatch to a subcommand (cli/). Only main exits.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
