/*
 * core/units.c -- numbers as people read them (see units.h).
 */
#include "core/units.h"
#include "core/util.h"

#include <string.h>

void fmt_digits(int64_t v, char *out, size_t n)
{
    if (!n) return;
    if (v < 0) {
        str_copy(out, "-", n);
        return;
    }
    char raw[32], tmp[48];
    str_fmt(raw, sizeof raw, "%lld", (long long)v);
    size_t len = strlen(raw), o = 0;
    for (size_t i = 0; i < len && o + 2 < sizeof tmp; i++) {
        if (i && (len - i) % 3 == 0) tmp[o++] = ',';
        tmp[o++] = raw[i];
    }
    tmp[o] = 0;
    str_copy(out, tmp, n);
}

void fmt_bytes(int64_t v, char *out, size_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (!n) return;
    if (v < 0) {
        str_copy(out, "-", n);
        return;
    }
    double d = (double)v;
    size_t u = 0;
    while (d >= 1024.0 && u + 1 < ARRAY_LEN(units)) {
        d /= 1024.0;
        u++;
    }
    if (u == 0)
        str_fmt(out, n, "%lld B", (long long)v);
    else
        str_fmt(out, n, d < 10 ? "%.1f %s" : "%.0f %s", d, units[u]);
}
