/*
 * assess/versions.c -- comparing versions the way vendors number them
 * ("6.8.23", "10.11.6-MariaDB-log", "3.2.0-rc2", "v2.42.0"), and whether a
 * release line covers a version. The lifecycle data these feed is
 * lifecycle.c's.
 */
#include "assess/assess.h"
#include "core/util.h"

#include <string.h>

/* ---- version compare ---- */

#define VER_PARTS 6

struct ver {
    uint64_t c[VER_PARTS];
    int n;
    bool pre; /* -rc, -alpha, -beta, -snapshot: before its release */
};

/* Is s a pre-release marker (rc, alpha, beta, snapshot, pre, dev, m1, milestone, in any case)?
 * Branches on the first letter so that a version's usual tail ("-oss", "-log", "") costs one test.
 */
static bool pre_marker(const char *s)
{
    switch (*s | 0x20) {
    case 'r':
        return str_iprefix(s, "rc");
    case 'a':
        return str_iprefix(s, "alpha");
    case 'b':
        return str_iprefix(s, "beta");
    case 's':
        return str_iprefix(s, "snapshot");
    case 'p':
        return str_iprefix(s, "pre");
    case 'd':
        return str_iprefix(s, "dev");
    case 'm':
        return str_iprefix(s, "m1") || str_iprefix(s, "milestone");
    default:
        return false;
    }
}

static void ver_parse(const char *s, struct ver *v)
{
    memset(v, 0, sizeof *v);
    if (!s) return;
    while (*s == ' ')
        s++;
    if (*s == 'v' || *s == 'V') s++;
    while (*s >= '0' && *s <= '9') {
        /* absurdly long numbers compare by their first 18 digits (below 10^18: no overflow) */
        uint64_t x = 0;
        int digits = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            if (digits < 18) {
                x = x * 10 + (uint64_t)(*s - '0');
                digits++;
            }
        if (v->n < VER_PARTS) v->c[v->n++] = x;
        if (*s != '.') break;
        s++;
    }
    /* what follows the numbers: a pre-release marker, or noise (-oss, -log, +deb) */
    while (*s == '-' || *s == '.' || *s == '_' || *s == '~')
        s++;
    if (pre_marker(s)) v->pre = true;
}

int version_cmp(const char *a, const char *b)
{
    bool ea = !a || !a[0], eb = !b || !b[0];
    if (ea || eb) return ea && eb ? 0 : ea ? -1 : 1;
    struct ver va, vb;
    ver_parse(a, &va);
    ver_parse(b, &vb);
    for (int i = 0; i < VER_PARTS; i++) {
        if (va.c[i] != vb.c[i]) return va.c[i] < vb.c[i] ? -1 : 1;
    }
    if (va.pre != vb.pre) return va.pre ? -1 : 1;
    return 0;
}

/* Does line "5.6" cover version "5.6.16"? The number of parts matched, 0 if not. */
int version_line_covers(const char *line, const char *version)
{
    struct ver l, v;
    ver_parse(line, &l);
    ver_parse(version, &v);
    if (l.n == 0 || l.n > v.n) return 0;
    for (int i = 0; i < l.n; i++)
        if (l.c[i] != v.c[i]) return 0;
    return l.n;
}
