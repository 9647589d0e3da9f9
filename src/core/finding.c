/*
 * core/finding.c -- the record in memory: the names of its enums, setters that sanitize,
 * name and field lists, details, signals. Its JSON forms (docs/record.md): finding_json.c
 * writes it as a jansson tree, finding_write.c as bytes (the same bytes, faster),
 * finding_read.c reads it back.
 */
#include "core/finding.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const auth_names[] = {"unknown", "none", "required", "partial"};

static const char *const sev_names[] = {"none", "info", "low", "medium", "high", "critical"};

const char *auth_name(enum auth_state a)
{
    return (unsigned)a < ARRAY_LEN(auth_names) ? auth_names[a] : "unknown";
}

const char *severity_name(enum severity s)
{
    return (unsigned)s < ARRAY_LEN(sev_names) ? sev_names[s] : "none";
}

int severity_parse(const char *s, enum severity *out)
{
    for (size_t i = 0; i < ARRAY_LEN(sev_names); i++) {
        if (str_ieq(s, sev_names[i])) {
            *out = (enum severity)i;
            return 0;
        }
    }
    return -1;
}

int auth_state_parse(const char *s, enum auth_state *out)
{
    for (size_t i = 0; i < ARRAY_LEN(auth_names); i++) {
        if (strcmp(s, auth_names[i]) == 0) {
            *out = (enum auth_state)i;
            return 0;
        }
    }
    return -1;
}

void strlist_add(struct strlist *l, const char *s, size_t n)
{
    l->total++;
    if (l->n >= FINDING_MAX_NAMES) return;
    char tmp[FINDING_MAX_NAME];
    str_sanitize(tmp, sizeof tmp, s, n, true);
    if (!l->v) {
        l->v = xcalloc(FINDING_MAX_NAMES, sizeof(char *));
        if (!l->v) return;
    }
    char *d = xstrdup(tmp);
    if (!d) return;
    l->v[l->n++] = d;
}

bool strlist_has(const struct strlist *l, const char *s)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return true;
    return false;
}

void strlist_free(struct strlist *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

void finding_init(struct finding *f)
{
    memset(f, 0, sizeof *f);
    str_copy(f->transport, "tcp", sizeof f->transport);
    f->databases = f->collections = f->records = f->bytes = -1;
    f->tls.name_match = -1;
}

void finding_free(struct finding *f)
{
    strlist_free(&f->names);
    strlist_free(&f->fields);
    if (f->details) json_decref(f->details);
    f->details = NULL;
}

static int strlist_copy(struct strlist *d, const struct strlist *s)
{
    memset(d, 0, sizeof *d);
    for (uint32_t i = 0; i < s->n; i++)
        strlist_add(d, s->v[i], strlen(s->v[i]));
    d->total = s->total;
    return d->n == s->n ? 0 : -1;
}

int finding_copy(struct finding *dst, const struct finding *src)
{
    memcpy(dst, src, sizeof *dst);
    memset(&dst->names, 0, sizeof dst->names);
    memset(&dst->fields, 0, sizeof dst->fields);
    dst->details = NULL;
    int rc = 0;
    if (strlist_copy(&dst->names, &src->names) < 0) rc = -1;
    if (strlist_copy(&dst->fields, &src->fields) < 0) rc = -1;
    if (src->details) {
        dst->details = json_deep_copy(src->details);
        if (!dst->details) rc = -1;
    }
    return rc;
}

void finding_set(char *field, size_t fieldsz, const void *p, size_t n)
{
    str_sanitize(field, fieldsz, p, n, false);
}

void finding_count_add(int64_t *acc, int64_t v)
{
    if (v < 0) return;
    if (*acc < 0) *acc = 0;
    *acc = v > INT64_MAX - *acc ? INT64_MAX : *acc + v;
}

bool finding_instance_id_ok(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    return n >= 1 && n <= 64 &&
           strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-") == n;
}

void finding_add_name(struct finding *f, const char *name, size_t n, int64_t records, int64_t bytes)
{
    uint32_t before = f->names.n;
    strlist_add(&f->names, name, n);
    if (f->names.n > before) {
        f->name_records[before] = records;
        f->name_bytes[before] = bytes;
    }
}

void finding_add_field(struct finding *f, const char *name, size_t n)
{
    char tmp[FINDING_MAX_NAME];
    str_sanitize(tmp, sizeof tmp, name, n, true);
    if (strlist_has(&f->fields, tmp)) return;
    strlist_add(&f->fields, tmp, strlen(tmp));
}

void finding_detail(struct finding *f, const char *key, json_t *value)
{
    if (!value) return;
    if (!f->details) f->details = json_object();
    if (!f->details) {
        json_decref(value);
        return;
    }
    json_object_set_new(f->details, key, value);
}

void finding_detail_str(struct finding *f, const char *key, const char *value)
{
    char tmp[512];
    str_sanitize(tmp, sizeof tmp, value, strlen(value), true);
    finding_detail(f, key, json_string(tmp));
}

void finding_detail_strn(struct finding *f, const char *key, const void *p, size_t n)
{
    char tmp[256];
    str_sanitize(tmp, sizeof tmp, p, n, true);
    finding_detail(f, key, json_string(tmp));
}

void finding_detail_int(struct finding *f, const char *key, int64_t value)
{
    finding_detail(f, key, json_integer(value));
}

void finding_add_signal(struct finding *f, const char *id, enum severity sev, const char *fmt, ...)
{
    if (f->nsignals >= FINDING_MAX_SIGNALS) return;
    struct signal *s = &f->signals[f->nsignals++];
    str_copy(s->id, id, sizeof s->id);
    s->severity = sev;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
    va_end(ap);
    if (sev > f->severity) f->severity = sev;
}
