/*
 * probe/adminer.c -- Adminer, the one-file database console (PHP).
 *
 * Everything comes from the answer to GET /: "Adminer" in the title, the
 * version in <span class="version">4.8.1</span> or in the assets'
 * "?file=default.css&amp;version=4.8.1", and the login form
 * (auth[username], auth[password]), which ajar never submits.
 *
 * Requests this app can send: none of its own (the dispatcher's GET /).
 *
 * Record: auth required when the login form is shown; none when the page
 * is already logged in (a logout button, e.g. a login-less plugin); else
 * unknown.
 */
#include "probe/http.h"

#include <string.h>

static int adminer_match(const struct http_app *self, const char *path,
                     const struct http_resp *r)
{
    (void)self;
    (void)path;
    const char *b = (const char *)r->body.data;
    size_t n = r->body.len;
    char title[128];
    http_title(r, title, sizeof title);
    bool in_title = strstr(title, "Adminer") != NULL;
    bool marks = b && (mem_find(b, n, "name=\"auth[driver]\"", false) ||
                       mem_find(b, n, "adminer.org", false));
    for (int i = 0; i < r->nhdr && !marks; i++)
        if (str_ieq(r->hdr[i].name, "Set-Cookie") && str_iprefix(r->hdr[i].value, "adminer_"))
            marks = true;
    if (in_title && marks) return 95;
    if (in_title) return 70;
    return 0;
}

static void version_after(const char *b, size_t n, const char *pat, char *out, size_t outn)
{
    const char *m = mem_find(b, n, pat, false);
    if (!m) return;
    size_t off = (size_t)(m - b) + strlen(pat), i = 0;
    while (off + i < n && i < 32 &&
           ((b[off + i] >= '0' && b[off + i] <= '9') || b[off + i] == '.' ||
            (b[off + i] >= 'a' && b[off + i] <= 'z') || b[off + i] == '-'))
        i++;
    if (i) str_sanitize(out, outn, b + off, i, false);
}

static int adminer_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct finding *f = a->pc->f;
    const char *b = (const char *)r->body.data;
    size_t n = b ? r->body.len : 0;
    char v[40] = "";
    FINDING_SET(f, product, "Adminer");
    if (!b) return PROBE_DONE;
    version_after(b, n, "<span class=\"version\">", v, sizeof v);
    if (!v[0]) version_after(b, n, "&amp;version=", v, sizeof v);
    if (v[0]) FINDING_SET(f, version, v);
    if (mem_find(b, n, "name=\"auth[username]\"", false) ||
        mem_find(b, n, "name=\"auth[password]\"", false))
        f->auth = AUTH_REQUIRED;
    else if (mem_find(b, n, "name=\"logout\"", false))
        f->auth = AUTH_NONE;
    return PROBE_DONE;
}

const struct http_app http_app_adminer = {
    .name = "adminer",
    .paths = NULL,
    .state_size = 0,
    .match = adminer_match,
    .on_response = adminer_on_response,
};
