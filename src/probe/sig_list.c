/*
 * probe/sig_list.c -- the loaded signatures: reading a file or a directory of them (each
 * compiled by sigload.c, its service added to the catalogue), the shipped directory, the
 * list by transport (HTTP apps for the dispatcher, tcp probes), and unloading them all.
 */
#include "probe/sig_eval.h"
#include "probe/signature.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the loaded signatures ---- */

static struct sig **sigs;

static size_t nsigs, capsigs;

size_t signature_count(void)
{
    return nsigs;
}

/* The i-th loaded signature of one transport. */
static const struct sig *nth(size_t i, bool tcp)
{
    for (size_t k = 0; k < nsigs; k++)
        if (sigs[k]->tcp == tcp && i-- == 0) return sigs[k];
    return NULL;
}

size_t signature_app_count(void)
{
    size_t n = 0;
    for (size_t k = 0; k < nsigs; k++)
        n += !sigs[k]->tcp;
    return n;
}

const struct http_app *signature_app(size_t i)
{
    const struct sig *s = nth(i, false);
    return s ? &s->app : NULL;
}

size_t signature_probe_count(void)
{
    return nsigs - signature_app_count();
}

const struct probe *signature_probe(size_t i)
{
    const struct sig *s = nth(i, true);
    return s ? &s->probe : NULL;
}

const struct sig *signature_at(size_t i)
{
    return i < nsigs ? sigs[i] : NULL;
}

/* Read a file of at most SIG_FILE_CAP bytes into *out (malloc'ed, NUL-terminated). */
static int slurp(const char *path, char **out, size_t *n, struct err *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return err_set(e, "%s: %s", path, strerror(errno));
    char *b = xmalloc(SIG_FILE_CAP + 2);
    if (!b) {
        fclose(fp);
        return err_set(e, "%s: out of memory", path);
    }
    size_t k = fread(b, 1, SIG_FILE_CAP + 1, fp);
    bool bad = ferror(fp) != 0;
    fclose(fp);
    if (bad) {
        free(b);
        return err_set(e, "%s: cannot read it", path);
    }
    if (k > SIG_FILE_CAP) {
        free(b);
        return err_set(e, "%s:1: larger than %u bytes", path, SIG_FILE_CAP);
    }
    b[k] = 0;
    *out = b;
    *n = k;
    return 0;
}

int signature_check_file(const char *path, struct err *e)
{
    char *text = NULL;
    size_t n = 0;
    struct sig *s = NULL;
    if (slurp(path, &text, &n, e) < 0) return -1;
    int rc = sig_compile(path, text, n, &s, e);
    free(text);
    if (rc < 0) return -1;
    int r = 0;
    const struct svc *other = catalog_find(s->entry.name);
    if (other)
        r = err_set(e, "%s:1: service '%s' is already in the catalogue (%s)", path, s->entry.name,
                    other->impl == IMPL_SIGNATURE ? other->impl_name : "compiled in");
    for (int k = 0; r == 0 && k < CATALOG_MAX_ALIASES && s->entry.aliases[k]; k++)
        if (catalog_find(s->entry.aliases[k]))
            r = err_set(e, "%s:1: alias '%s' names a service already in the catalogue", path,
                        s->entry.aliases[k]);
    sig_free(s);
    return r;
}

int signature_load_file(const char *path, struct err *e)
{
    char *text = NULL;
    size_t n = 0;
    struct sig *s = NULL;
    if (slurp(path, &text, &n, e) < 0) return -1;
    int rc = sig_compile(path, text, n, &s, e);
    free(text);
    if (rc < 0) return -1;
    if (s->tcp && signature_probe_count() >= SIG_MAX_TCP) {
        sig_free(s);
        return err_set(e, "%s:1: more than %d signatures of transport tcp", path, SIG_MAX_TCP);
    }
    struct err ce;
    struct sig **nv = arr_grow(sigs, nsigs, &capsigs, sizeof *nv, 32);
    if (!nv) {
        sig_free(s);
        return err_set(e, "out of memory");
    }
    sigs = nv;
    if (catalog_add(&s->entry, &ce) < 0) {
        sig_free(s);
        return err_set(e, "%s:1: %s", path, ce.msg);
    }
    s->app.entry = catalog_service(s->entry.name);
    s->app.name = s->app.entry->name;
    s->probe.name = s->app.entry->name;
    sigs[nsigs++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml and *.yml files of dir, sorted (the order signatures load in). */
static int list_dir(const char *dir, char ***out, size_t *n, struct err *e)
{
    DIR *d = opendir(dir);
    if (!d) return err_set(e, "%s: %s", dir, strerror(errno));
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || !((l > 5 && !strcmp(de->d_name + l - 5, ".yaml")) ||
                                      (l > 4 && !strcmp(de->d_name + l - 4, ".yml"))))
            continue;
        if (cnt >= 4096) {
            rc = err_set(e, "%s: more than 4096 signature files", dir);
            break;
        }
        char **nv = arr_grow(v, cnt, &cap, sizeof *nv, 64);
        char path[PATH_MAX];
        if (!nv || str_fmt(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path) {
            rc = err_set(e, "%s: out of memory or a path too long", dir);
            break;
        }
        v = nv;
        if (!(v[cnt] = xstrdup(path))) {
            rc = err_set(e, "out of memory");
            break;
        }
        cnt++;
    }
    closedir(d);
    if (cnt) qsort(v, cnt, sizeof *v, cmp_str);
    *out = v;
    *n = cnt;
    return rc;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int signature_load_dir(const char *dir, int *loaded, struct err *e)
{
    char **v = NULL;
    size_t n = 0;
    int rc = list_dir(dir, &v, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = signature_load_file(v[i], e);
        if (rc == 0 && loaded) (*loaded)++;
    }
    free_list(v, n);
    return rc;
}

int signature_check_path(const char *path, int *bad, void (*say)(const char *line))
{
    struct stat sb;
    struct err e;
    if (stat(path, &sb) < 0) {
        err_set(&e, "%s: %s", path, strerror(errno));
        say(e.msg);
        (*bad)++;
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        if (signature_check_file(path, &e) < 0) {
            say(e.msg);
            (*bad)++;
            return -1;
        }
        return 0;
    }
    char **v = NULL;
    size_t n = 0;
    if (list_dir(path, &v, &n, &e) < 0) {
        say(e.msg);
        (*bad)++;
    }
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        checked++;
        if (signature_check_file(v[i], &e) < 0) {
            say(e.msg);
            (*bad)++;
        }
    }
    free_list(v, n);
    return checked;
}

/*
 * The shipped signatures: $AJAR_SIGNATURES_DIR; else next to the binary in a build tree
 * (BIN/../signatures); else under the install prefix (BIN/../share/ajar/signatures, and the
 * compiled-in AJAR_SHARE_DIR). NULL when none is found.
 */
#ifndef AJAR_SHARE_DIR

#define AJAR_SHARE_DIR "/usr/local/share/ajar"

#endif

const char *signature_shipped_dir(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("AJAR_SIGNATURES_DIR");
    struct stat sb;
    if (env && env[0]) return env;
    char exe[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
        exe[l] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        const char *rel[] = {"/../signatures", "/../../signatures", "/../share/ajar/signatures"};
        for (size_t i = 0; i < ARRAY_LEN(rel); i++) {
            char cand[PATH_MAX + 32];
            str_fmt(cand, sizeof cand, "%s%s", exe, rel[i]);
            if (stat(cand, &sb) == 0 && S_ISDIR(sb.st_mode) && realpath(cand, found)) return found;
        }
    }
    str_fmt(found, sizeof found, "%s/signatures", AJAR_SHARE_DIR);
    if (stat(found, &sb) == 0 && S_ISDIR(sb.st_mode)) return found;
    return NULL;
}

static bool shipped_loaded;

int signature_load_shipped(struct err *e)
{
    if (shipped_loaded) return 0;
    shipped_loaded = true;
    const char *dir = signature_shipped_dir();
    if (!dir)
        return err_set(e, "the shipped signatures were not found (set AJAR_SIGNATURES_DIR, or "
                          "install ajar with make install)");
    return signature_load_dir(dir, NULL, e);
}

void signature_unload_all(void)
{
    for (size_t i = 0; i < nsigs; i++)
        sig_free(sigs[i]);
    free(sigs);
    sigs = NULL;
    nsigs = capsigs = 0;
    shipped_loaded = false;
    catalog_reset_added();
    sig_regex_free();
}
