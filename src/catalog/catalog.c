/*
 * catalog/catalog.c -- the catalogue's lookups (see catalog.h): the
 * compiled entries (services.c) and the ones signature files add at run
 * time, which own copies of their strings.
 *
 * Added entries are few (tens) and looked up by name a few times per
 * finding, so a linear walk is enough; the TLS-port question, asked for
 * every open port, walks the entries' short port lists.
 */
#include "catalog/catalog.h"
#include "core/finding.h"

#include <stdlib.h>
#include <string.h>

extern const struct svc catalog_compiled[];
extern const size_t catalog_ncompiled;

/* An added entry with the strings it owns. */
struct added {
    struct svc s;
    char *strings; /* every string of s, back to back */
};

/* pointers, so an entry never moves: apps keep a pointer to theirs */
static struct added **added;
static size_t nadded, capadded;

size_t catalog_count(void)
{
    return catalog_ncompiled + nadded;
}

const struct svc *catalog_at(size_t i)
{
    if (i < catalog_ncompiled) return &catalog_compiled[i];
    i -= catalog_ncompiled;
    return i < nadded ? &added[i]->s : NULL;
}

bool svc_name_eq(const char *a, const char *b)
{
    if (!a || !b) return false;
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x == '_') x = '-';
        if (y == '_') y = '-';
        if (x != y) return false;
        if (!x) return true;
    }
}

const struct svc *catalog_service(const char *service)
{
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct svc *s = catalog_at(i);
        if (svc_name_eq(s->name, service)) return s;
    }
    return NULL;
}

const struct svc *catalog_find(const char *name)
{
    const struct svc *s = catalog_service(name);
    if (s) return s;
    for (size_t i = 0; i < catalog_count(); i++) {
        s = catalog_at(i);
        for (int k = 0; k < CATALOG_MAX_ALIASES && s->aliases[k]; k++)
            if (svc_name_eq(s->aliases[k], name)) return s;
    }
    return NULL;
}

static bool in_ports(const uint16_t *v, uint16_t port)
{
    for (int i = 0; i < CATALOG_MAX_PORTS && v[i]; i++)
        if (v[i] == port) return true;
    return false;
}

bool svc_has_port(const struct svc *s, uint16_t port)
{
    return in_ports(s->ports, port);
}

bool svc_has_tls_port(const struct svc *s, uint16_t port)
{
    return in_ports(s->tls_ports, port);
}

bool catalog_port_is_tls(uint16_t port)
{
    for (size_t i = 0; i < catalog_count(); i++)
        if (svc_has_tls_port(catalog_at(i), port)) return true;
    return false;
}

const char *catalog_instance_key(const char *service)
{
    const struct svc *s = service ? catalog_service(service) : NULL;
    return s ? s->instance_key : NULL;
}

bool catalog_instance(const struct finding *f, char *out, size_t n)
{
    const char *key = catalog_instance_key(f->service);
    const char *v = key ? json_string_value(json_object_get(f->details, key)) : NULL;
    if (n) out[0] = 0;
    if (!finding_instance_id_ok(v) || n == 0) return false;
    str_fmt(out, n, "%s/%s", f->service, v);
    return true;
}

enum svc_class catalog_class(const char *service)
{
    const struct svc *s = service ? catalog_service(service) : NULL;
    return s ? s->cls : SVC_OTHER;
}

static const char *const class_names[] = {
    [SVC_OTHER] = "other",          [SVC_DATA] = "data",     [SVC_CONSOLE] = "console",
    [SVC_INFRA] = "infrastructure", [SVC_BROKER] = "broker",
};

const char *svc_class_name(enum svc_class c)
{
    return (size_t)c < ARRAY_LEN(class_names) ? class_names[c] : "other";
}

int svc_class_parse(const char *s, enum svc_class *out)
{
    for (size_t i = 0; i < ARRAY_LEN(class_names); i++)
        if (s && !strcmp(s, class_names[i])) {
            *out = (enum svc_class)i;
            return 0;
        }
    return -1;
}

static const char *const exposure_names[] = {
    [EXP_MAP] = "map", [EXP_SECRETS] = "secrets", [EXP_CODE] = "code"};

const char *svc_exposure_name(enum svc_exposure e)
{
    return (size_t)e < ARRAY_LEN(exposure_names) ? exposure_names[e] : "map";
}

int svc_exposure_parse(const char *s, enum svc_exposure *out)
{
    for (size_t i = 0; i < ARRAY_LEN(exposure_names); i++)
        if (s && !strcmp(s, exposure_names[i])) {
            *out = (enum svc_exposure)i;
            return 0;
        }
    return -1;
}

const char *svc_impl_name(enum svc_impl i)
{
    switch (i) {
    case IMPL_PROBE:
        return "probe";
    case IMPL_HTTP_APP:
        return "http-app";
    case IMPL_SIGNATURE:
        return "signature";
    }
    return "?";
}

/* Copy the string at *p into the arena at *o (room checked by the caller's sizing). */
static void own(const char **p, char **o)
{
    if (!*p) return;
    size_t n = strlen(*p) + 1;
    memcpy(*o, *p, n);
    *p = *o;
    *o += n;
}

int catalog_add(const struct svc *s, struct err *e)
{
    if (!s->name || !s->name[0]) return err_set(e, "a service needs a name");
    if (catalog_find(s->name))
        return err_set(e, "service '%s' is already in the catalogue", s->name);
    for (int k = 0; k < CATALOG_MAX_ALIASES && s->aliases[k]; k++)
        if (catalog_find(s->aliases[k]) || svc_name_eq(s->aliases[k], s->name))
            return err_set(e, "alias '%s' of '%s' names another service", s->aliases[k], s->name);
    struct added *a = xcalloc(1, sizeof *a);
    if (!a) return err_set(e, "out of memory");
    a->s = *s;
    const char **strs[8 + CATALOG_MAX_ALIASES] = {
        &a->s.name,      &a->s.instance_key, &a->s.default_account,
        &a->s.lifecycle, &a->s.no_auth,      &a->s.no_auth_source,
        &a->s.text,      &a->s.impl_name,
    };
    size_t ns = 8;
    for (int k = 0; k < CATALOG_MAX_ALIASES && a->s.aliases[k]; k++)
        strs[ns++] = &a->s.aliases[k];
    size_t total = 0;
    for (size_t i = 0; i < ns; i++)
        total += *strs[i] ? strlen(*strs[i]) + 1 : 0;
    struct added **nv = arr_grow(added, nadded, &capadded, sizeof *nv, 16);
    if (nv) added = nv; /* grown or not, the array stays the catalogue's */
    a->strings = nv ? xmalloc(total ? total : 1) : NULL;
    if (!a->strings) {
        free(a);
        return err_set(e, "out of memory");
    }
    char *o = a->strings;
    for (size_t i = 0; i < ns; i++)
        own(strs[i], &o);
    added[nadded++] = a;
    return 0;
}

void catalog_reset_added(void)
{
    for (size_t i = 0; i < nadded; i++) {
        free(added[i]->strings);
        free(added[i]);
    }
    free(added);
    added = NULL;
    nadded = capadded = 0;
}
