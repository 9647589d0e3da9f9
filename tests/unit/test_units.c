/*
 * tests/unit/test_units.c -- numbers as people read them (core/units.c):
 * digit groups and bytes in one base and one spelling, at the edges.
 */
#include "t.h"
#include "core/units.h"

#include <stdint.h>

int main(void)
{
    char b[48];
    static const struct {
        int64_t v;
        const char *digits, *bytes;
    } t[] = {
        {-1, "-", "-"},
        {0, "0", "0 B"},
        {999, "999", "999 B"},
        {1000, "1,000", "1000 B"},
        {1023, "1,023", "1023 B"},
        {1024, "1,024", "1.0 KiB"},
        {1536, "1,536", "1.5 KiB"},
        {10 * 1024, "10,240", "10 KiB"},
        {1048575, "1,048,575", "1024 KiB"},
        {1048576, "1,048,576", "1.0 MiB"},
        {5368709120LL, "5,368,709,120", "5.0 GiB"},
        {1099511627776LL, "1,099,511,627,776", "1.0 TiB"},
        {INT64_MAX, "9,223,372,036,854,775,807", "8.0 EiB"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fmt_digits(t[i].v, b, sizeof b);
        CHECK_MSG(strcmp(b, t[i].digits) == 0, "digits %lld: %s", (long long)t[i].v, b);
        fmt_bytes(t[i].v, b, sizeof b);
        CHECK_MSG(strcmp(b, t[i].bytes) == 0, "bytes %lld: %s", (long long)t[i].v, b);
    }
    /* a short buffer is cut, never overrun */
    char s[4];
    fmt_digits(1234567, s, sizeof s);
    CHECK_STR(s, "1,2");
    fmt_bytes(5368709120LL, s, sizeof s);
    CHECK_INT((int)strlen(s), 3);
    fmt_digits(5, s, 0); /* nothing written */
    return T_END();
}
