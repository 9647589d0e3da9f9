/*
 * tests/fuzz/fuzz_sigload.c -- the signature file loader (src/probe/sigload.c) on any bytes:
 * libyaml's events, the tree caps, the schema checks, PCRE2 compiling every regex. A file
 * either compiles or is refused with "fuzz.yaml:LINE: ..."; nothing may crash, leak or hang.
 * Seeds: the shipped signature files, and broken variants of them (tests/fuzz/seed.sh).
 */
#include "probe/sig_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct sig *s = NULL;
    struct err e;
    e.msg[0] = 0;
    if (sig_compile("fuzz.yaml", (const char *)data, n, &s, &e) == 0) {
        if (!s || !s->entry.name || !s->nreq || !s->nident) __builtin_trap();
        sig_free(s);
    } else if (strncmp(e.msg, "fuzz.yaml", 9) != 0) {
        __builtin_trap(); /* every refusal names the file (and the line) */
    }
    return 0;
}
