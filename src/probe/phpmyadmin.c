/*
 * probe/phpmyadmin.c -- phpMyAdmin, the web console for MySQL/MariaDB.
 *
 * Everything comes from the answer to GET /: the page's title, its
 * CommonParams.setAll({... logged_in:..., version:"5.2.1", auth_type:...})
 * (phpMyAdmin 5), the ?v=<version> on its assets, and either the login form
 * (pma_username) or, when auth_type is "config" (auto-login with stored
 * credentials), the navigation tree listing the databases. The login form
 * is never submitted.
 *
 * Requests this app can send: none of its own (the dispatcher's GET /).
 *
 * Record: auth required when the login form is shown; none when the page
 * is logged in (details proxies_to "mysql", auth_type, db host from the
 * title "<web> / <db host> | phpMyAdmin x.y.z"; names = databases in the
 * navigation tree).
 */
#include "probe/http.h"

#include <string.h>

static int pma_match(const struct http_app *self, const char *path, uint16_t port,
                     const struct http_resp *r)
{
    (void)self;
    (void)port;
    (void)path;
    const char *b = (const char *)r->body.data;
    size_t n = r->body.len;
    char title[128];
    http_title(r, title, sizeof title);
    bool in_title = strstr(title, "phpMyAdmin") != NULL;
    bool marks = b && (mem_find(b, n, "pma_username", false) ||
                       mem_find(b, n, "CommonParams.setAll", false) ||
                       mem_find(b, n, "pma_navigation", false));
    for (int i = 0; i < r->nhdr && !marks; i++)
        if (str_ieq(http_hname(r, i), "Set-Cookie") &&
            (str_iprefix(http_hvalue(r, i), "phpMyAdmin=") ||
             str_iprefix(http_hvalue(r, i), "pma_lang=")))
            marks = true;
    if (in_title && marks) return 95;
    if (in_title || marks) return 75;
    return 0;
}

/* The value of `key:"..."` inside the CommonParams object, into out. */
static bool common_param(const char *b, size_t n, const char *key, char *out, size_t outn)
{
    const char *cp = mem_find(b, n, "CommonParams.setAll({", false);
    if (!cp) return false;
    size_t rest = n - (size_t)(cp - b);
    const char *end = memchr(cp, '}', rest);
    size_t len = end ? (size_t)(end - cp) : rest;
    char pat[48];
    str_fmt(pat, sizeof pat, ",%s:", key);
    const char *k = mem_find(cp, len, pat, false);
    if (!k) return false;
    const char *v = k + strlen(pat);
    size_t vl = len - (size_t)(v - cp);
    if (vl && *v == '"') {
        v++;
        vl--;
        const char *q = memchr(v, '"', vl);
        if (!q) return false;
        vl = (size_t)(q - v);
    } else {
        size_t i = 0;
        while (i < vl && v[i] != ',' && v[i] != '}')
            i++;
        vl = i;
    }
    str_sanitize(out, outn, v, vl, false);
    return true;
}

/* Databases in the navigation tree: route=/database/structure&db=NAME&... */
static void nav_databases(struct finding *f, const char *b, size_t n)
{
    static const char pat[] = "route=/database/structure&db=";
    int64_t count = 0;
    const char *p = b;
    while (p && (size_t)(p - b) < n) {
        const char *m = mem_find(p, n - (size_t)(p - b), pat, false);
        if (!m) break;
        const char *v = m + sizeof pat - 1;
        size_t i = 0;
        while ((size_t)(v - b) + i < n && v[i] != '&' && v[i] != '"' && v[i] != '\'' && i < 128)
            i++;
        char name[FINDING_MAX_NAME];
        str_sanitize(name, sizeof name, v, i, false);
        if (name[0] && !strlist_has(&f->names, name)) {
            finding_add_name(f, name, strlen(name), -1, -1);
            if (strcmp(name, "information_schema") && strcmp(name, "mysql") &&
                strcmp(name, "performance_schema") && strcmp(name, "sys"))
                count++;
        }
        p = v + i;
    }
    if (f->names.total) f->databases = count;
}

static int pma_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct finding *f = a->pc->f;
    const char *b = (const char *)r->body.data;
    size_t n = b ? r->body.len : 0;
    char v[64] = "", title[128], tmp[64];
    FINDING_SET(f, product, "phpMyAdmin");
    if (!b) return PROBE_DONE;
    if (!common_param(b, n, "version", v, sizeof v)) {
        /* assets: "?v=5.2.1deb1%2Bdeb12u1" (4.x and 5.x) */
        const char *q = mem_find(b, n, "?v=", false);
        if (q) {
            size_t i = 0, off = (size_t)(q - b) + 3;
            while (off + i < n && i < 60 && b[off + i] != '"' && b[off + i] != '&' &&
                   b[off + i] != '\'')
                i++;
            str_sanitize(v, sizeof v, b + off, i, false);
            char *plus = strstr(v, "%2B");
            if (plus) {
                *plus = '+';
                memmove(plus + 1, plus + 3, strlen(plus + 3) + 1);
            }
        }
    }
    if (v[0]) {
        /* a distribution's build ("5.2.1deb1+deb12u1"): the upstream version
         * is what version tables know; the full string stays in details */
        size_t k = strspn(v, "0123456789.");
        if (k && v[k]) {
            finding_detail_str(f, "version_raw", v);
            v[k] = 0;
        }
        FINDING_SET(f, version, v);
    }
    if (common_param(b, n, "auth_type", tmp, sizeof tmp)) finding_detail_str(f, "auth_type", tmp);
    bool logged_in = common_param(b, n, "logged_in", tmp, sizeof tmp) && strcmp(tmp, "true") == 0;
    bool form = mem_find(b, n, "name=\"pma_username\"", false) ||
                mem_find(b, n, "id=\"login_form\"", false);
    if (form && !logged_in) {
        f->auth = AUTH_REQUIRED;
    } else if (logged_in || mem_find(b, n, "route=/logout", false) ||
               mem_find(b, n, "pma_navigation_tree", false)) {
        f->auth = AUTH_NONE;
        finding_detail_str(f, "proxies_to", "mysql");
        http_title(r, title, sizeof title);
        /* "127.0.150.15 / 127.0.150.13 | phpMyAdmin 5.2.1" -> db host 127.0.150.13 */
        char *bar = strstr(title, " | ");
        char *slash = strstr(title, " / ");
        if (bar && slash && slash < bar) {
            *bar = 0;
            finding_detail_str(f, "db_host", slash + 3);
        }
        nav_databases(f, b, n);
    }
    return PROBE_DONE;
}

const struct http_app http_app_phpmyadmin = {
    .name = "phpmyadmin",
    .paths = NULL,
    .state_size = 0,
    .match = pma_match,
    .on_response = pma_on_response,
};
