/*
 * web/scope.c -- roles and a viewer's scope (see scope.h).
 */
#include "web/scope.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const role_names[] = {"admin", "analyst", "viewer"};
static const char *const kind_names[] = {"owner", "provider", "asn"};

int web_role_parse(const char *s)
{
    for (size_t i = 0; s && i < ARRAY_LEN(role_names); i++)
        if (strcmp(s, role_names[i]) == 0) return (int)i;
    return -1;
}

const char *web_role_name(enum web_role r)
{
    return (unsigned)r < ARRAY_LEN(role_names) ? role_names[r] : "?";
}

/* A value: 1-96 bytes, no control byte (the text is line-based), no '=' lead, no outer space. */
static bool value_ok(const char *v, size_t n)
{
    if (n == 0 || n > SCOPE_VALUE_MAX) return false;
    if (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) return false;
    return true;
}

static int add_n(struct web_scope *s, const char *kind, size_t kl, const char *value, size_t vl,
                 struct err *e)
{
    int k = -1;
    for (size_t i = 0; i < ARRAY_LEN(kind_names); i++)
        if (strlen(kind_names[i]) == kl && memcmp(kind, kind_names[i], kl) == 0) k = (int)i;
    if (k < 0) return err_set(e, "scope: '%.*s' is not owner, provider or asn", (int)kl, kind);
    if (!value_ok(value, vl))
        return err_set(e, "scope: %s: want 1-%d printable characters", kind_names[k],
                       SCOPE_VALUE_MAX);
    char v[SCOPE_VALUE_MAX + 1];
    memcpy(v, value, vl);
    v[vl] = 0;
    if (k == SCOPE_ASN) {
        const char *d = v;
        if ((d[0] == 'A' || d[0] == 'a') && (d[1] == 'S' || d[1] == 's')) d += 2;
        uint64_t n;
        if (parse_u64(d, 4294967295u, &n) < 0 || n == 0)
            return err_set(e, "scope: asn %s: want an AS number (37963 or AS37963)", v);
        str_fmt(v, sizeof v, "%llu", (unsigned long long)n);
    }
    if (s->n >= SCOPE_MAX_TERMS) return err_set(e, "scope: at most %d terms", SCOPE_MAX_TERMS);
    s->t[s->n].kind = (enum scope_kind)k;
    str_copy(s->t[s->n].value, v, sizeof s->t[s->n].value);
    s->n++;
    size_t tl = strlen(s->text);
    str_fmt(s->text + tl, sizeof s->text - tl, "%s=%s\n", kind_names[k], v);
    return 0;
}

int web_scope_add(struct web_scope *s, const char *kind, const char *value, struct err *e)
{
    if (!kind || !value) return err_set(e, "scope: empty term");
    return add_n(s, kind, strlen(kind), value, strlen(value), e);
}

int web_scope_parse(const char *text, size_t len, struct web_scope *s, struct err *e)
{
    memset(s, 0, sizeof *s);
    if (len >= SCOPE_TEXT_MAX) return err_set(e, "scope: longer than %d bytes", SCOPE_TEXT_MAX - 1);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p) {
            const char *eq = memchr(p, '=', (size_t)(le - p));
            if (!eq) return err_set(e, "scope: a line without '='");
            if (add_n(s, p, (size_t)(eq - p), eq + 1, (size_t)(le - eq - 1), e) < 0) return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

bool web_scope_match(const struct web_scope *s, const char *owner, const char *provider,
                     unsigned long asn)
{
    for (int i = 0; s && i < s->n; i++) {
        const char *v = s->t[i].value;
        switch (s->t[i].kind) {
        case SCOPE_OWNER:
            if (owner && *owner && strcasecmp(owner, v) == 0) return true;
            break;
        case SCOPE_PROVIDER:
            if (provider && *provider && strcasecmp(provider, v) == 0) return true;
            break;
        case SCOPE_ASN:
            if (asn && strtoul(v, NULL, 10) == asn) return true;
            break;
        }
    }
    return false;
}

void web_scope_describe(const struct web_scope *s, char *out, size_t n)
{
    if (!n) return;
    out[0] = 0;
    size_t l = 0;
    for (int i = 0; s && i < s->n && l < n; i++) {
        const char *v = s->t[i].value;
        int w = s->t[i].kind == SCOPE_ASN ? snprintf(out + l, n - l, "%sAS%s", i ? ", " : "", v)
                : s->t[i].kind == SCOPE_PROVIDER
                    ? snprintf(out + l, n - l, "%sprovider %s", i ? ", " : "", v)
                    : snprintf(out + l, n - l, "%sowner %s", i ? ", " : "", v);
        if (w < 0) break;
        l += (size_t)w;
    }
    if (l >= n) out[n - 1] = 0;
}
