/*
 * tests/fuzz/fuzz_probe.c -- the libFuzzer harness of one probe or HTTP app.
 *
 * Compiled once per name by tests/fuzz/run.sh with -DFUZZ_PROBE=\"redis\"
 * (a probe of src/probe/registry.c) or -DFUZZ_PROBE=\"elasticsearch\" (an
 * HTTP app or a signature file's service, reached through the "http"
 * dispatcher as in a scan: GET /, every app's match(), then the winning
 * app's own requests). The input format
 * and the engine-faithful loop are in drive.h / drive.c; the seed corpus
 * is tests/fuzz/corpus/probe_<name>/, built from the probe's fixtures.
 */
#include "fuzz/drive.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_PROBE
#error "compile with -DFUZZ_PROBE=\"name\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static const struct probe *p;
    static uint16_t port;
    if (!p) {
        p = fuzz_probe_by_name(FUZZ_PROBE, &port);
        if (!p) {
            fprintf(stderr, "fuzz_probe: no probe or HTTP app named '%s' in this build\n",
                    FUZZ_PROBE);
            abort();
        }
    }
    fuzz_drive_probe(p, port, data, n);
    return 0;
}
