/*
 * tests/fuzz/fuzz_ranges.c -- the providers' range files (src/attr/ranges.h): AWS, Google
 * Cloud, Azure and Oracle JSON and plain CIDR lists, as a user's --cloud-ranges FILE is
 * read. Every byte is hostile: the parser must refuse garbage with one line naming the file
 * and build a table that answers lookups. The input is parsed whole, then (when it loads)
 * looked up at a few addresses, among them the first CIDR-looking token of the input itself.
 */
#include "attr/ranges.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct cloud_ranges r;
    memset(&r, 0, sizeof r);
    struct err e;
    int rc = cloud_ranges_parse(&r, "F", (const char *)data, n, &e);
    if (rc < 0) {
        if (strncmp(e.msg, "F: ", 3) != 0 || strchr(e.msg, '\n')) __builtin_trap();
        if (r.n) __builtin_trap();
    } else {
        if (!r.n) __builtin_trap();
        static const char *const ips[] = {"0.0.0.0",    "10.1.2.3",      "255.255.255.255",
                                          "::",         "::1",           "2001:db8::1",
                                          "ffff::ffff", "::ffff:1.2.3.4"};
        struct cloud_hit h;
        for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
            if (cloud_ranges_lookup(&r, ips[i], &h) == 1) {
                if (!h.provider || !h.region || !h.service || h.plen > 128) __builtin_trap();
            }
        }
        /* an address from the input: the first token of digits, dots and colons */
        char tok[64];
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < sizeof tok; i++) {
            char c = (char)data[i];
            if ((c >= '0' && c <= '9') || c == '.' || c == ':' || (c >= 'a' && c <= 'f'))
                tok[k++] = c;
            else if (k >= 2)
                break;
            else
                k = 0;
        }
        tok[k] = 0;
        (void)cloud_ranges_lookup(&r, tok, &h);
    }
    cloud_ranges_free(&r);
    return 0;
}
