/*
 * cli/scan_differ.c -- does a resumed scan's command line contradict the
 * stored scan's (scan_args_differ, see scan_args.h)? Targets, ports, probes
 * and seed must agree; the first difference is named in one line.
 */
#include "cli/scan_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Two lists of strings, in any order: equal? */
static bool same_set(const struct strv *x, const struct strv *y)
{
    if (x->n != y->n) return false;
    if (!x->n) return true;
    const char **a = xcalloc(2 * x->n, sizeof *a);
    if (!a) return false;
    memcpy(a, x->v, x->n * sizeof *a);
    memcpy(a + x->n, y->v, y->n * sizeof *a);
    qsort(a, x->n, sizeof *a, cmp_cstr);
    qsort(a + x->n, x->n, sizeof *a, cmp_cstr);
    bool same = true;
    for (size_t i = 0; i < x->n && same; i++)
        same = !strcmp(a[i], a[x->n + i]);
    free(a);
    return same;
}

static void list_text(const struct strv *l, char *out, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < l->n && o + 1 < n; i++)
        o += (size_t)str_fmt(out + o, n - o, "%s%s", i ? " " : "", l->v[i]);
    if (o >= n) str_copy(out + n - 4, "...", 4);
}

static int differ_list(const char *what, const struct strv *now, const struct strv *then, char *out,
                       size_t n)
{
    if (same_set(now, then)) return 0;
    char a[160], b[160];
    list_text(now, a, sizeof a);
    list_text(then, b, sizeof b);
    str_fmt(out, n, "%s: '%s' (the scan: '%s')", what, a, b);
    return 1;
}

static int differ_str(const char *what, const char *now, const char *then, char *out, size_t n)
{
    if (!strcmp(now ? now : "", then ? then : "")) return 0;
    str_fmt(out, n, "%s: '%s' (the scan: '%s')", what, now ? now : "(none)",
            then ? then : "(none)");
    return 1;
}

static int differ_flag(const char *what, bool now, bool then, char *out, size_t n)
{
    if (now == then) return 0;
    str_fmt(out, n, "%s %s (the scan: %s)", what, now ? "given" : "not given",
            then ? "given" : "not given");
    return 1;
}

int scan_args_differ(const struct scan_args *now, const struct scan_args *then, bool scope,
                     char *out, size_t n)
{
    char s1[48], s2[48];
    str_fmt(s1, sizeof s1, "%llu/%llu", (unsigned long long)now->shard,
            (unsigned long long)now->nshards);
    str_fmt(s2, sizeof s2, "%llu/%llu", (unsigned long long)then->shard,
            (unsigned long long)then->nshards);
    if (scope && (differ_list("targets", &now->specs, &then->specs, out, n) ||
                  differ_list("-iL", &now->infiles, &then->infiles, out, n) ||
                  differ_str("--ports", now->to.ports, then->to.ports, out, n) ||
                  differ_list("--exclude", &now->excl, &then->excl, out, n) ||
                  differ_list("--exclude-file", &now->exfiles, &then->exfiles, out, n)))
        return 1;
    return differ_list("--resolve", &now->pins, &then->pins, out, n) ||
           differ_flag("--no-resolve", now->to.no_resolve, then->to.no_resolve, out, n) ||
           differ_str("--shard", s1, s2, out, n) ||
           differ_str("--discovery", now->syn ? "syn" : "connect", then->syn ? "syn" : "connect",
                      out, n) ||
           differ_flag("--discovery-only", now->eo.discovery_only, then->eo.discovery_only, out,
                       n) ||
           differ_str("--probe", now->eo.only_probe, then->eo.only_probe, out, n) ||
           differ_flag("--no-default-accounts", now->eo.popts.no_default_accounts,
                       then->eo.popts.no_default_accounts, out, n);
}
