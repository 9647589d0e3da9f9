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

void fmt_short(int64_t v, char *out, size_t n)
{
    if (v >= 10000000000LL)
        str_fmt(out, n, "%.0fG", (double)v / 1e9);
    else if (v >= 1000000000)
        str_fmt(out, n, "%.1fG", (double)v / 1e9);
    else if (v >= 10000000)
        str_fmt(out, n, "%.0fM", (double)v / 1e6);
    else if (v >= 1000000)
        str_fmt(out, n, "%.1fM", (double)v / 1e6);
    else if (v >= 10000)
        str_fmt(out, n, "%.0fk", (double)v / 1e3);
    else if (v >= 1000)
        str_fmt(out, n, "%.1fk", (double)v / 1e3);
    else
        str_fmt(out, n, "%lld", (long long)v);
}
