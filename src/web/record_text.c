/*
 * web/record_text.c -- the dashboard's small parsers of untrusted text, kept apart
 * (and free of the store and the server) so the unit tests and a libFuzzer
 * harness (tests/fuzz/fuzz_web_text.c) reach them directly: a JSON string
 * decoder for the record text, the findings table's names, the form body
 * of a POST, and the check of a post-login "next" path.
 */
#include "web/record_text.h"
#include "core/record_text.h"

#include "core/finding.h"

#include <stdlib.h>
#include <string.h>

/* wv_record_display's names, joined. */
static int join_name(void *arg, const char *name, size_t n)
{
    struct buf *out = arg;
    if (out->len) buf_append(out, ", ", 2);
    buf_append(out, name, n);
    return 0;
}

/*
 * For the findings table, without parsing the record: its first `max`
 * names as "a, b, c (+N)" (N from names_total) into out, and whether it was
 * reached through a console.
 */
void wv_record_display(const char *rec, size_t len, int max, struct buf *out, bool *via)
{
    const char *after = NULL;
    buf_reset(out);
    *via = record_has_via(rec, len);
    int shown = record_names(rec, len, max, join_name, out, &after);
    if (!shown || !after) return;
    int64_t total = record_names_total(after, rec + len);
    if (total > shown) buf_appendf(out, " (+%lld)", (long long)(total - shown));
}

/* ---- forms ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode a form component (+ and %XX) into a new string. */
static char *form_decode(const char *p, size_t n)
{
    char *o = xmalloc(n + 1);
    if (!o) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '+')
            o[j++] = ' ';
        else if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
            o[j++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        } else
            o[j++] = p[i];
    }
    o[j] = 0;
    return o;
}

void web_form_parse(struct web_form *f, const char *p, size_t n)
{
    const char *end = p + n;
    memset(f, 0, sizeof *f);
    while (p && p < end && f->n < WEB_FORM_MAX) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq) {
            char *k = form_decode(p, (size_t)(eq - p));
            char *v = form_decode(eq + 1, (size_t)(stop - eq - 1));
            if (k && v) {
                f->kv[f->n][0] = k;
                f->kv[f->n][1] = v;
                f->n++;
            } else {
                free(k);
                free(v);
            }
        }
        p = amp ? amp + 1 : end;
    }
}

const char *web_form_get(const struct web_form *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->kv[i][0], name) == 0) return f->kv[i][1];
    return NULL;
}

void web_form_free(struct web_form *f)
{
    for (int i = 0; i < f->n; i++) {
        memset(f->kv[i][1], 0, strlen(f->kv[i][1])); /* passwords do not linger */
        free(f->kv[i][0]);
        free(f->kv[i][1]);
    }
    f->n = 0;
}

bool web_next_ok(const char *n)
{
    if (!n || n[0] != '/' || n[1] == '/' || n[1] == '\\' || strlen(n) > 512) return false;
    for (const unsigned char *p = (const unsigned char *)n; *p; p++)
        if (*p < 0x21 || *p == 0x7f || *p == '\\') return false;
    return strncmp(n, "/login", 6) != 0 && strncmp(n, "/logout", 7) != 0;
}
