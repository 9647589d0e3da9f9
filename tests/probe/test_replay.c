/*
 * tests/probe/test_replay.c -- replay every fixture case under
 * tests/probe/cases into its probe: whole, byte by byte, and split at every
 * offset (see replay.h). Usage: test_replay [PROBE]  (one probe's cases).
 */
#include "probe/replay.h"
#include "probe/signature.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    int checks = 0, cases = 0;
    struct err e;
    if (signature_load_dir("signatures", NULL, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    int fails = replay_all("tests/probe/cases", argc > 1 ? argv[1] : NULL, &checks, &cases);
    fprintf(stderr, "%d cases\n", cases);
    printf("%d passed, %d failed\n", checks - fails, fails);
    return fails ? 1 : 0;
}
