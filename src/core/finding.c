/*
 * core/finding.c -- the record in memory: the names of its enums, setters that sanitize,
 * name and field lists, details, signals, marks and the personal-data categories' ids. Its JSON
 * forms (docs/record.md): finding_json.c writes it as a jansson tree, finding_write.c as bytes (the
 * same bytes, faster), finding_read.c reads it back.
 */
#include "core/finding.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const auth_names[] = {"unknown", "none", "required", "partial"};

static const char *const sev_names[] = {"none", "info", "low", "medium", "high", "critical"};

/* bit i of a mark's personal (and of assess's enum pii_category) */
static const char *const personal_ids[FINDING_PERSONAL_KINDS] = {
    "name",      "national-id", "phone",           "address", "email",    "birth-date", "passport",
    "bank-card", "vehicle",     "criminal-record", "health",  "location", "person",
};

static const char *const mark_lists[] = {"names", "fields"};

const char *finding_personal_id(unsigned bit)
{
    for (unsigned i = 0; i < FINDING_PERSONAL_KINDS; i++)
        if (bit == 1u << i) return personal_ids[i];
    return "";
}

unsigned finding_personal_parse(const char *id)
{
    for (unsigned i = 0; id && i < FINDING_PERSONAL_KINDS; i++)
        if (strcmp(id, personal_ids[i]) == 0) return 1u << i;
    return 0;
}

const char *finding_mark_list_name(unsigned list)
{
    return list < ARRAY_LEN(mark_lists) ? mark_lists[list] : "";
}

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
    if (l->n >= l->cap) { /* grows as names come: one name costs 4 slots, not 100 */
        uint32_t c = l->cap ? l->cap * 2 : 4;
        if (c > FINDING_MAX_NAMES) c = FINDING_MAX_NAMES;
        char **nv = xrealloc(l->v, c * sizeof *nv);
        if (!nv) return;
        l->v = nv;
        l->cap = c;
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

void tls_facts_free(struct tls_facts *t)
{
    free(t->san);
    t->san = NULL;
    t->nsan = 0;
    t->san_cap = 0;
}

void finding_free(struct finding *f)
{
    strlist_free(&f->names);
    strlist_free(&f->fields);
    free(f->name_records);
    free(f->name_bytes);
    f->name_records = f->name_bytes = NULL;
    f->name_counts_cap = 0;
    if (f->details) json_decref(f->details);
    f->details = NULL;
    free(f->signals);
    f->signals = NULL;
    f->nsignals = 0;
    f->signals_cap = 0;
    free(f->marks);
    f->marks = NULL;
    f->nmarks = 0;
    f->marks_cap = 0;
    free(f->hostnames);
    f->hostnames = NULL;
    f->nhostnames = 0;
    f->hostname_ptr = 0;
    f->hostnames_cap = 0;
    tls_facts_free(&f->tls);
}

static int strlist_copy(struct strlist *d, const struct strlist *s)
{
    memset(d, 0, sizeof *d);
    for (uint32_t i = 0; i < s->n; i++)
        strlist_add(d, s->v[i], strlen(s->v[i]));
    d->total = s->total;
    return d->n == s->n ? 0 : -1;
}

/* A copy of the n items of sz bytes at p, in an array of exactly n slots (*cap set), or NULL
 * (*cap 0) for none or when memory runs out. */
static void *items_dup(const void *p, int n, size_t sz, size_t *cap)
{
    *cap = 0;
    if (!p || n <= 0) return NULL;
    void *d = xmalloc((size_t)n * sz);
    if (!d) return NULL;
    memcpy(d, p, (size_t)n * sz);
    *cap = (size_t)n;
    return d;
}

/* The per-name counts of src's names into dst, whose names are copied; -1 when memory runs out
 * (dst's names are then dropped, so names and counts stay parallel). */
static int name_counts_copy(struct finding *dst, const struct finding *src)
{
    dst->name_counts_cap = 0;
    if (!dst->names.n) return 0;
    size_t sz = dst->names.n * sizeof(int64_t);
    dst->name_records = xmalloc(sz);
    dst->name_bytes = xmalloc(sz);
    if (!dst->name_records || !dst->name_bytes || !src->name_records || !src->name_bytes) {
        free(dst->name_records);
        free(dst->name_bytes);
        dst->name_records = dst->name_bytes = NULL;
        uint64_t total = dst->names.total;
        strlist_free(&dst->names);
        dst->names.total = total;
        return -1;
    }
    memcpy(dst->name_records, src->name_records, sz);
    memcpy(dst->name_bytes, src->name_bytes, sz);
    dst->name_counts_cap = dst->names.n;
    return 0;
}

int finding_copy(struct finding *dst, const struct finding *src)
{
    /* the plain bytes, then every owned list and object anew (nothing shared with src) */
    memcpy(dst, src, sizeof *dst);
    memset(&dst->names, 0, sizeof dst->names);
    memset(&dst->fields, 0, sizeof dst->fields);
    dst->name_records = dst->name_bytes = NULL;
    dst->details = NULL;
    int rc = 0;
    if (strlist_copy(&dst->names, &src->names) < 0) rc = -1;
    if (strlist_copy(&dst->fields, &src->fields) < 0) rc = -1;
    if (name_counts_copy(dst, src) < 0) rc = -1;
    if (src->details) {
        dst->details = json_deep_copy(src->details);
        if (!dst->details) rc = -1;
    }
    dst->signals = items_dup(src->signals, src->nsignals, sizeof *src->signals, &dst->signals_cap);
    if (!dst->signals) dst->nsignals = 0;
    dst->marks = items_dup(src->marks, src->nmarks, sizeof *src->marks, &dst->marks_cap);
    if (!dst->marks) dst->nmarks = 0;
    dst->hostnames =
        items_dup(src->hostnames, src->nhostnames, sizeof *src->hostnames, &dst->hostnames_cap);
    if (!dst->hostnames) {
        dst->nhostnames = 0;
        dst->hostname_ptr = 0;
    }
    dst->tls.san = items_dup(src->tls.san, src->tls.nsan, sizeof *src->tls.san, &dst->tls.san_cap);
    if (!dst->tls.san) dst->tls.nsan = 0;
    if (dst->nsignals != src->nsignals || dst->nmarks != src->nmarks ||
        dst->nhostnames != src->nhostnames || dst->tls.nsan != src->tls.nsan)
        rc = -1;
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
    if (f->names.n == before) return;
    if (f->name_counts_cap < f->names.cap) {
        /* the counts grow with the names, slot for slot */
        int64_t *r = xrealloc(f->name_records, f->names.cap * sizeof *r);
        if (r) f->name_records = r;
        int64_t *b = r ? xrealloc(f->name_bytes, f->names.cap * sizeof *b) : NULL;
        if (b) f->name_bytes = b;
        if (!r || !b) {
            /* dropped, as a full list drops it (still counted): names and counts stay parallel */
            free(f->names.v[--f->names.n]);
            return;
        }
        f->name_counts_cap = f->names.cap;
    }
    f->name_records[before] = records;
    f->name_bytes[before] = bytes;
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

/* Room for item n of an array of *cap slots of sz bytes, at most max items: v itself, or v
 * grown (4 slots first, or fewer as below; then doubling, never past max; *cap updated); NULL when
 * full or out of memory (v is then untouched and still the caller's). */
static void *room(void *v, int n, size_t *cap, size_t sz, int max)
{
    if (n < 0 || n >= max) return NULL;
    if ((size_t)n < *cap) return v;
    /* the first block: 4 slots, or as many as fit in 1 KiB when 4 do not (a record's signals,
     * 308 bytes each): glibc serves blocks up to about 1 KiB from its per-thread cache, and the
     * first 1,232-byte block of signals cost about 2,400 instructions a record (callgrind) */
    size_t c = *cap ? *cap * 2 : sz * 4 > 1024 && sz <= 1024 ? 1024 / sz : 4;
    if (c > (size_t)max) c = (size_t)max;
    void *nv = xrealloc(v, c * sz);
    if (nv) *cap = c;
    return nv;
}

struct signal *finding_new_signal(struct finding *f)
{
    struct signal *v =
        room(f->signals, f->nsignals, &f->signals_cap, sizeof *f->signals, FINDING_MAX_SIGNALS);
    if (!v) return NULL;
    f->signals = v;
    struct signal *s = &v[f->nsignals++];
    memset(s, 0, sizeof *s);
    return s;
}

const char *finding_mark_name(const struct finding *f, const struct finding_mark *m)
{
    const struct strlist *l = m->list == MARK_NAMES    ? &f->names
                              : m->list == MARK_FIELDS ? &f->fields
                                                       : NULL;
    return l && m->index < l->n ? l->v[m->index] : NULL;
}

bool finding_add_mark(struct finding *f, enum mark_list list, uint32_t index, uint32_t personal,
                      bool ransom)
{
    personal &= (1u << FINDING_PERSONAL_KINDS) - 1;
    if (!personal && !ransom) return false;
    struct finding_mark m = {(uint8_t)list, ransom, (uint16_t)index, personal};
    if (index > UINT16_MAX || !finding_mark_name(f, &m)) return false;
    for (int i = 0; i < f->nmarks; i++) {
        struct finding_mark *x = &f->marks[i];
        if (x->list == m.list && x->index == m.index) {
            x->personal |= personal;
            x->ransom = x->ransom || ransom;
            return true;
        }
    }
    struct finding_mark *v =
        room(f->marks, f->nmarks, &f->marks_cap, sizeof *f->marks, FINDING_MAX_MARKS);
    if (!v) return false;
    f->marks = v;
    v[f->nmarks++] = m;
    return true;
}

bool finding_add_hostname(struct finding *f, const char *name, bool ptr)
{
    char(*v)[FINDING_HOSTNAME_MAX + 1] = room(f->hostnames, f->nhostnames, &f->hostnames_cap,
                                              sizeof *f->hostnames, FINDING_MAX_HOSTNAMES);
    if (!v) return false;
    f->hostnames = v;
    str_copy(v[f->nhostnames], name, sizeof v[0]);
    if (ptr) f->hostname_ptr |= UINT32_C(1) << f->nhostnames;
    f->nhostnames++;
    return true;
}

bool tls_add_san(struct tls_facts *t, const char *s)
{
    char(*v)[256] = room(t->san, t->nsan, &t->san_cap, sizeof *t->san, FINDING_MAX_SAN);
    if (!v) return false;
    t->san = v;
    str_copy(v[t->nsan++], s, sizeof v[0]);
    return true;
}

void finding_add_signal(struct finding *f, const char *id, enum severity sev, const char *fmt, ...)
{
    struct signal *s = finding_new_signal(f);
    if (!s) return;
    str_copy(s->id, id, sizeof s->id);
    s->severity = sev;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
    va_end(ap);
    if (sev > f->severity) f->severity = sev;
}
