#include "cli/cli.h"
#include <stdio.h>
int cmd_scan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ajar scan: not yet\n");
    return EXIT_RUNTIME;
}
