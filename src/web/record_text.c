/*
 * web/record_text.c -- the dashboard's small parsers of untrusted text, kept apart
 * (and free of the store and the server) so the unit tests and a libFuzzer
 * harness (tests/fuzz/fuzz_web_text.c) reach them directly: a JSON string
 * decoder for the record text, the findings table's names, the form body
 * of a POST, and the check of a post-login "next" path.
 */
#include "web/record_text.h"

#include "core/finding.h"

#include <stdlib.h>
#include <string.h>

static void put_utf8(char *out, size_t cap, size_t *k, uint32_t c)
{
    unsigned char b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (unsigned char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (unsigned char)(0xc0 | (c >> 6));
        b[1] = (unsigned char)(0x80 | (c & 63));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (c >> 12));
        b[1] = (unsigned char)(0x80 | ((c >> 6) & 63));
        b[2] = (unsigned char)(0x80 | (c & 63));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | (c >> 18));
        b[1] = (unsigned char)(0x80 | ((c >> 12) & 63));
        b[2] = (unsigned char)(0x80 | ((c >> 6) & 63));
        b[3] = (unsigned char)(0x80 | (c & 63));
        n = 4;
    }
    if (*k + n >= cap) return;
    memcpy(out + *k, b, n);
    *k += n;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static uint32_t hex4(const char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return 0xfffd;
        v = v * 16 + (uint32_t)h;
    }
    return v;
}

/*
 * Decode the JSON string whose opening quote is at p into out (cap bytes,
 * terminated; the rest cut). Returns the position after the closing quote,
 * or NULL when the text ends first.
 */
const char *web_json_str(const char *p, const char *end, char *out, size_t cap, size_t *len)
{
    size_t k = 0;
    p++;
    while (p < end && *p != '"') {
        if (*p == '\\' && p + 1 < end) {
            char c = p[1];
            p += 2;
            uint32_t u = (unsigned char)c;
            switch (c) {
            case 'n':
                u = '\n';
                break;
            case 't':
                u = '\t';
                break;
            case 'r':
                u = '\r';
                break;
            case 'b':
                u = '\b';
                break;
            case 'f':
                u = '\f';
                break;
            case 'u': {
                /* up to 4 hex digits; fewer (malformed): U+FFFD, and the rest is text again */
                int d = 0;
                while (d < 4 && p + d < end && hexval(p[d]) >= 0)
                    d++;
                if (d < 4) {
                    u = 0xfffd;
                    p += d;
                    break;
                }
                u = hex4(p);
                p += 4;
                if (u >= 0xd800 && u < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    uint32_t lo = hex4(p + 2);
                    if (lo >= 0xdc00 && lo < 0xe000) {
                        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                        p += 6;
                    }
                }
                break;
            }
            default:
                break;
            }
            put_utf8(out, cap, &k, u);
        } else {
            if (k + 1 < cap) out[k++] = *p;
            p++;
        }
    }
    if (p >= end) return NULL;
    out[k] = 0;
    if (len) *len = k;
    return p + 1;
}

/*
 * For the findings table, without parsing the record: its first `max`
 * names as "a, b, c (+N)" (N from names_total) into out, and whether it was
 * reached through a console (`"via":{`).
 */
void wv_record_display(const char *rec, size_t len, int max, struct buf *out, bool *via)
{
    const char *end = rec + len;
    buf_reset(out);
    *via = mem_find(rec, len, "\"via\":{", false) != NULL;
    const char *p = mem_find(rec, len, "\"names\":[", false);
    if (!p) return;
    p += 9;
    char name[FINDING_MAX_NAME * 4 + 8];
    int shown = 0;
    while (p < end && *p == '"' && shown < max) {
        size_t nl = 0;
        p = web_json_str(p, end, name, sizeof name, &nl);
        if (!p) return;
        if (shown++) buf_append(out, ", ", 2);
        buf_append(out, name, nl);
        if (p < end && *p == ',') p++;
    }
    if (!shown) return;
    const char *t = mem_find(p, (size_t)(end - p), "\"names_total\":", false);
    uint64_t total = 0;
    if (t) {
        t += 14;
        size_t dn = 0;
        while (t + dn < end && dn < 20 && t[dn] >= '0' && t[dn] <= '9')
            dn++;
        if (dn && parse_u64n(t, dn, INT64_MAX, &total) == 0 && total > (uint64_t)shown)
            buf_appendf(out, " (+%llu)", (unsigned long long)(total - (uint64_t)shown));
    }
}

/* ---- forms ---- */

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
