/*
 * core/finding.c -- the record: setters that sanitize, and the one JSON
 * writer/reader of the record format (docs/record.md).
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

static int auth_parse(const char *s, enum auth_state *out)
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

/* ---- JSON ---- */

static json_t *jstr_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *jint_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static json_t *jtime(time_t t)
{
    if (!t) return json_null();
    char b[32];
    time_fmt_utc(t, b, sizeof b);
    return json_string(b);
}

static json_t *strlist_json(const struct strlist *l)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static json_t *tls_json(const struct tls_facts *t)
{
    if (!t->present) return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "version", jstr_or_null(t->version));
    json_object_set_new(o, "cipher", jstr_or_null(t->cipher));
    json_object_set_new(o, "sha256", jstr_or_null(t->sha256));
    json_object_set_new(o, "subject_cn", jstr_or_null(t->subject_cn));
    json_object_set_new(o, "subject", jstr_or_null(t->subject));
    json_t *san = json_array();
    for (int i = 0; i < t->nsan; i++)
        json_array_append_new(san, json_string(t->san[i]));
    json_object_set_new(o, "san", san);
    json_object_set_new(o, "issuer_cn", jstr_or_null(t->issuer_cn));
    json_object_set_new(o, "issuer", jstr_or_null(t->issuer));
    json_object_set_new(o, "not_before", jtime(t->not_before));
    json_object_set_new(o, "not_after", jtime(t->not_after));
    json_object_set_new(o, "self_signed", json_boolean(t->self_signed));
    json_object_set_new(o, "expired", json_boolean(t->expired));
    json_object_set_new(o, "not_yet_valid", json_boolean(t->not_yet_valid));
    char key[32] = "";
    if (t->key_type[0]) {
        if (t->key_bits > 0)
            str_fmt(key, sizeof key, "%s-%d", t->key_type, t->key_bits);
        else
            str_copy(key, t->key_type, sizeof key);
    }
    json_object_set_new(o, "key", jstr_or_null(key));
    json_object_set_new(o, "sig_alg", jstr_or_null(t->sig_alg));
    json_object_set_new(o, "name_match",
                        t->name_match < 0 ? json_null() : json_boolean(t->name_match));
    json_object_set_new(o, "chain_len", json_integer(t->chain_len));
    json_object_set_new(o, "verified", json_boolean(t->verified));
    return o;
}

void finding_attr_json(json_t *o, const struct finding_attr *a)
{
    if (a->asn || a->org[0] || a->prefix[0]) {
        json_t *n = json_object();
        if (a->asn) json_object_set_new(n, "asn", json_integer(a->asn));
        if (a->org[0]) json_object_set_new(n, "org", json_string(a->org));
        if (a->prefix[0]) json_object_set_new(n, "prefix", json_string(a->prefix));
        json_object_set_new(o, "network", n);
    }
    if (a->country[0]) {
        json_t *g = json_object();
        json_object_set_new(g, "country", json_string(a->country));
        json_object_set_new(o, "geo", g);
    }
    if (a->cloud[0]) {
        json_t *c = json_object();
        json_object_set_new(c, "provider", json_string(a->cloud));
        json_object_set_new(c, "region",
                            a->cloud_region[0] ? json_string(a->cloud_region) : json_null());
        json_object_set_new(c, "service",
                            a->cloud_service[0] ? json_string(a->cloud_service) : json_null());
        json_object_set_new(o, "cloud", c);
    }
}

json_t *finding_to_json(const struct finding *f, bool discovery_only)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "ip", json_string(f->ip));
    json_object_set_new(o, "port", json_integer(f->port));
    json_object_set_new(o, "transport", json_string(f->transport));
    json_object_set_new(o, "time", jtime(f->time));
    if (f->host[0]) json_object_set_new(o, "host", json_string(f->host));
    if (f->rdns) {
        json_t *hn = json_array(), *ptr = json_array();
        for (int i = 0; i < f->nhostnames && i < FINDING_MAX_HOSTNAMES; i++) {
            json_array_append_new(hn, json_string(f->hostnames[i]));
            if (f->hostname_ptr & (UINT32_C(1) << i))
                json_array_append_new(ptr, json_string(f->hostnames[i]));
        }
        if (json_array_size(hn))
            json_object_set_new(o, "hostnames", hn);
        else
            json_decref(hn);
        json_object_set_new(o, "ptr", ptr);
    }
    if (discovery_only) return o;
    json_object_set_new(o, "service", json_string(f->service[0] ? f->service : "unknown"));
    json_object_set_new(o, "product", jstr_or_null(f->product));
    json_object_set_new(o, "version", jstr_or_null(f->version));
    json_object_set_new(o, "auth", json_string(auth_name(f->auth)));
    json_object_set_new(o, "tls", tls_json(&f->tls));
    bool has_data = f->databases >= 0 || f->collections >= 0 || f->records >= 0 || f->bytes >= 0 ||
                    f->names.total || f->fields.total;
    if (has_data) {
        json_t *d = json_object();
        json_object_set_new(d, "databases", jint_or_null(f->databases));
        json_object_set_new(d, "collections", jint_or_null(f->collections));
        json_object_set_new(d, "records", jint_or_null(f->records));
        json_object_set_new(d, "bytes", jint_or_null(f->bytes));
        json_object_set_new(d, "names", strlist_json(&f->names));
        json_object_set_new(d, "names_total", json_integer((json_int_t)f->names.total));
        json_object_set_new(d, "fields", strlist_json(&f->fields));
        json_object_set_new(d, "fields_total", json_integer((json_int_t)f->fields.total));
        bool any = false;
        for (uint32_t i = 0; i < f->names.n; i++)
            if (f->name_records[i] >= 0 || f->name_bytes[i] >= 0) any = true;
        if (any) {
            json_t *items = json_array();
            for (uint32_t i = 0; i < f->names.n; i++) {
                json_t *it = json_object();
                json_object_set_new(it, "name", json_string(f->names.v[i]));
                json_object_set_new(it, "records", jint_or_null(f->name_records[i]));
                json_object_set_new(it, "bytes", jint_or_null(f->name_bytes[i]));
                json_array_append_new(items, it);
            }
            json_object_set_new(d, "items", items);
        }
        json_object_set_new(o, "data", d);
    } else {
        json_object_set_new(o, "data", json_null());
    }
    if (f->has_via) {
        json_t *v = json_object();
        json_object_set_new(v, "service", json_string(f->via_service));
        json_object_set_new(v, "ip", json_string(f->via_ip));
        json_object_set_new(v, "port", json_integer(f->via_port));
        json_object_set_new(o, "via", v);
    } else {
        json_object_set_new(o, "via", json_null());
    }
    finding_attr_json(o, &f->attr);
    if (f->banner[0]) json_object_set_new(o, "banner", json_string(f->banner));
    if (f->error[0]) json_object_set_new(o, "error", json_string(f->error));
    if (f->details) json_object_set(o, "details", f->details);
    json_t *sig = json_array();
    for (int i = 0; i < f->nsignals; i++) {
        json_t *s = json_object();
        json_object_set_new(s, "id", json_string(f->signals[i].id));
        json_object_set_new(s, "severity", json_string(severity_name(f->signals[i].severity)));
        json_object_set_new(s, "detail", json_string(f->signals[i].detail));
        json_array_append_new(sig, s);
    }
    json_object_set_new(o, "signals", sig);
    json_object_set_new(o, "severity", json_string(severity_name(f->severity)));
    json_object_set_new(o, "cluster", jstr_or_null(f->cluster));
    json_object_set_new(o, "first_seen", jtime(f->first_seen));
    json_object_set_new(o, "last_seen", jtime(f->last_seen));
    return o;
}

/*
 * ---- the record's JSON text without a jansson tree ----
 *
 * The hot paths (the store's writer) need the record as text a million
 * times a scan; building a jansson tree to dump it costs an allocation per
 * value. finding_json_write() writes the same bytes as
 * json_dumps(finding_to_json(f, d), JSON_COMPACT) straight into a buffer:
 * the same members in the same order, jansson's escaping (\" \\ \b \f \n
 * \r \t, other bytes below 0x20 as \u00XX, everything else as is), and, as
 * json_string() refuses a string that is not valid UTF-8 so that the
 * member or element is left out, the same omission. tests/unit/
 * test_finding_json.c holds the two byte for byte equal.
 */

struct jw {
    struct buf *b;
    int err;
};

static void jw_raw(struct jw *w, const void *p, size_t n)
{
    struct buf *b = w->b;
    if (b->data && b->len + n < b->alloc && b->len + n <= b->cap) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = 0;
        return;
    }
    if (buf_append(b, p, n) < 0) w->err = -1;
}

#define JW_LIT(w, s) jw_raw((w), (s), sizeof(s) - 1)

/* A comma unless this is the first member or element of its object or array. */
static void jw_sep(struct jw *w)
{
    struct buf *b = w->b;
    if (b->len && b->data[b->len - 1] != '{' && b->data[b->len - 1] != '[') JW_LIT(w, ",");
}

/* jansson's utf8_check_first/utf8_check_full on a NUL-terminated string. */
static size_t jw_utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) return 0; /* also stops at the NUL */
        v = (v << 6) + (p[i] & 0x3f);
    }
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000)) return 0;
    return n;
}

/* 0: not valid UTF-8 (json_string() would refuse it); 1: valid; 2: valid, with bytes to escape. */
static int jw_check(const char *s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    int esc = 0;
    size_t i = 0;
    for (;;) {
        unsigned c = p[i];
        if (c >= 0x80) {
            size_t k = jw_utf8_seq(p + i);
            if (!k) return 0;
            i += k;
            continue;
        }
        if (!c) break;
        if (c < 0x20 || c == '"' || c == '\\') esc = 1;
        i++;
    }
    *len = i;
    return 1 + esc;
}

static void jw_str_body(struct jw *w, const char *s, size_t n, int esc)
{
    static const char hex[] = "0123456789ABCDEF";
    JW_LIT(w, "\"");
    if (esc < 2) {
        jw_raw(w, s, n);
    } else {
        size_t start = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            jw_raw(w, s + start, i - start);
            char seq[6] = {'\\', 0, '0', '0', 0, 0};
            size_t l = 2;
            switch (c) {
            case '"':
                seq[1] = '"';
                break;
            case '\\':
                seq[1] = '\\';
                break;
            case '\b':
                seq[1] = 'b';
                break;
            case '\f':
                seq[1] = 'f';
                break;
            case '\n':
                seq[1] = 'n';
                break;
            case '\r':
                seq[1] = 'r';
                break;
            case '\t':
                seq[1] = 't';
                break;
            default:
                seq[1] = 'u';
                seq[4] = hex[c >> 4];
                seq[5] = hex[c & 15];
                l = 6;
            }
            jw_raw(w, seq, l);
            start = i + 1;
        }
        jw_raw(w, s + start, n - start);
    }
    JW_LIT(w, "\"");
}

/* key is a literal "\"name\":" */
#define JW_KEY(w, k) (jw_sep(w), JW_LIT((w), "\"" k "\":"))

static void jw_m_str(struct jw *w, const char *key, size_t keylen, const char *s)
{
    size_t n;
    int c = jw_check(s, &n);
    if (!c) return; /* json_object_set_new(o, key, NULL) sets nothing */
    jw_sep(w);
    jw_raw(w, key, keylen);
    jw_str_body(w, s, n, c);
}

#define JW_STR(w, k, s) jw_m_str((w), "\"" k "\":", sizeof("\"" k "\":") - 1, (s))

static void jw_m_str_or_null(struct jw *w, const char *key, size_t keylen, const char *s)
{
    if (s[0]) {
        jw_m_str(w, key, keylen, s);
    } else {
        jw_sep(w);
        jw_raw(w, key, keylen);
        JW_LIT(w, "null");
    }
}

#define JW_STR_OR_NULL(w, k, s) jw_m_str_or_null((w), "\"" k "\":", sizeof("\"" k "\":") - 1, (s))

static void jw_elem_str(struct jw *w, const char *s)
{
    size_t n;
    int c = jw_check(s, &n);
    if (!c) return; /* json_array_append_new(a, NULL) appends nothing */
    jw_sep(w);
    jw_str_body(w, s, n, c);
}

static void jw_int(struct jw *w, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    jw_raw(w, p, (size_t)(tmp + sizeof tmp - p));
}

static void jw_int_or_null(struct jw *w, int64_t v)
{
    if (v >= 0)
        jw_int(w, v);
    else
        JW_LIT(w, "null");
}

static void jw_bool(struct jw *w, bool v)
{
    if (v)
        JW_LIT(w, "true");
    else
        JW_LIT(w, "false");
}

static void jw_2d(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* jtime(): null for 0, else time_fmt_utc's "YYYY-MM-DDTHH:MM:SSZ". */
static void jw_time(struct jw *w, time_t t)
{
    if (!t) {
        JW_LIT(w, "null");
        return;
    }
    char b[32];
    int64_t s = (int64_t)t;
    if (s > 0 && s < INT64_C(253402300800)) { /* 1970 .. 9999: 4-digit years */
        int64_t days = s / 86400, sec = s % 86400;
        /* civil_from_days (H. Hinnant), days since 1970-01-01 >= 0 */
        int64_t z = days + 719468, era = z / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;
        unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
        unsigned y = (unsigned)(yoe + era * 400) + (m <= 2);
        b[0] = '"';
        jw_2d(b + 1, y / 100);
        jw_2d(b + 3, y % 100);
        b[5] = '-';
        jw_2d(b + 6, m);
        b[8] = '-';
        jw_2d(b + 9, d);
        b[11] = 'T';
        jw_2d(b + 12, (unsigned)(sec / 3600));
        b[14] = ':';
        jw_2d(b + 15, (unsigned)(sec / 60 % 60));
        b[17] = ':';
        jw_2d(b + 18, (unsigned)(sec % 60));
        b[20] = 'Z';
        b[21] = '"';
        jw_raw(w, b, 22);
        return;
    }
    time_fmt_utc(t, b, sizeof b);
    size_t n = 0;
    int c = jw_check(b, &n);
    jw_str_body(w, b, n, c);
}

static void jw_strlist(struct jw *w, const struct strlist *l)
{
    JW_LIT(w, "[");
    for (uint32_t i = 0; i < l->n; i++)
        jw_elem_str(w, l->v[i]);
    JW_LIT(w, "]");
}

void finding_tls_key(const struct tls_facts *t, char *out, size_t n)
{
    char key[32] = "";
    if (t->key_type[0]) {
        if (t->key_bits > 0)
            str_fmt(key, sizeof key, "%s-%d", t->key_type, t->key_bits);
        else
            str_copy(key, t->key_type, sizeof key);
    }
    size_t len;
    str_copy(out, jw_check(key, &len) ? key : "", n);
}

static void jw_tls(struct jw *w, const struct tls_facts *t)
{
    JW_LIT(w, "{");
    JW_STR_OR_NULL(w, "version", t->version);
    JW_STR_OR_NULL(w, "cipher", t->cipher);
    JW_STR_OR_NULL(w, "sha256", t->sha256);
    JW_STR_OR_NULL(w, "subject_cn", t->subject_cn);
    JW_STR_OR_NULL(w, "subject", t->subject);
    JW_KEY(w, "san");
    JW_LIT(w, "[");
    for (int i = 0; i < t->nsan; i++)
        jw_elem_str(w, t->san[i]);
    JW_LIT(w, "]");
    JW_STR_OR_NULL(w, "issuer_cn", t->issuer_cn);
    JW_STR_OR_NULL(w, "issuer", t->issuer);
    JW_KEY(w, "not_before");
    jw_time(w, t->not_before);
    JW_KEY(w, "not_after");
    jw_time(w, t->not_after);
    JW_KEY(w, "self_signed");
    jw_bool(w, t->self_signed);
    JW_KEY(w, "expired");
    jw_bool(w, t->expired);
    JW_KEY(w, "not_yet_valid");
    jw_bool(w, t->not_yet_valid);
    char key[32] = "";
    if (t->key_type[0]) {
        if (t->key_bits > 0)
            str_fmt(key, sizeof key, "%s-%d", t->key_type, t->key_bits);
        else
            str_copy(key, t->key_type, sizeof key);
    }
    JW_STR_OR_NULL(w, "key", key);
    JW_STR_OR_NULL(w, "sig_alg", t->sig_alg);
    JW_KEY(w, "name_match");
    if (t->name_match < 0)
        JW_LIT(w, "null");
    else
        jw_bool(w, t->name_match);
    JW_KEY(w, "chain_len");
    jw_int(w, t->chain_len);
    JW_KEY(w, "verified");
    jw_bool(w, t->verified);
    JW_LIT(w, "}");
}

static int jw_dump_cb(const char *p, size_t n, void *arg)
{
    struct jw *w = arg;
    jw_raw(w, p, n);
    return w->err;
}

/* finding_attr_json's objects, the same bytes */
static void jw_attr(struct jw *w, const struct finding_attr *a)
{
    if (a->asn || a->org[0] || a->prefix[0]) {
        JW_KEY(w, "network");
        JW_LIT(w, "{");
        if (a->asn) {
            JW_KEY(w, "asn");
            jw_int(w, a->asn);
        }
        if (a->org[0]) JW_STR(w, "org", a->org);
        if (a->prefix[0]) JW_STR(w, "prefix", a->prefix);
        JW_LIT(w, "}");
    }
    if (a->country[0]) {
        JW_KEY(w, "geo");
        JW_LIT(w, "{");
        JW_STR(w, "country", a->country);
        JW_LIT(w, "}");
    }
    if (a->cloud[0]) {
        JW_KEY(w, "cloud");
        JW_LIT(w, "{");
        JW_STR(w, "provider", a->cloud);
        JW_STR_OR_NULL(w, "region", a->cloud_region);
        JW_STR_OR_NULL(w, "service", a->cloud_service);
        JW_LIT(w, "}");
    }
}

int finding_json_write(struct buf *b, const struct finding *f, bool discovery_only,
                       struct finding_json_spans *spans)
{
    struct jw w = {b, 0};
    size_t start = b->len;
    struct finding_json_spans sp = {0, 0, 0, 0};
    JW_LIT(&w, "{");
    JW_STR(&w, "ip", f->ip);
    JW_KEY(&w, "port");
    jw_int(&w, f->port);
    JW_STR(&w, "transport", f->transport);
    JW_KEY(&w, "time");
    jw_time(&w, f->time);
    if (f->host[0]) JW_STR(&w, "host", f->host);
    if (f->rdns) {
        int n = f->nhostnames < FINDING_MAX_HOSTNAMES ? f->nhostnames : FINDING_MAX_HOSTNAMES;
        size_t len;
        bool any = false;
        for (int i = 0; i < n && !any; i++)
            any = jw_check(f->hostnames[i], &len) != 0;
        if (any) {
            JW_KEY(&w, "hostnames");
            JW_LIT(&w, "[");
            for (int i = 0; i < n; i++)
                jw_elem_str(&w, f->hostnames[i]);
            JW_LIT(&w, "]");
        }
        JW_KEY(&w, "ptr");
        JW_LIT(&w, "[");
        for (int i = 0; i < n; i++)
            if (f->hostname_ptr & (UINT32_C(1) << i)) jw_elem_str(&w, f->hostnames[i]);
        JW_LIT(&w, "]");
    }
    if (discovery_only) goto end;
    JW_STR(&w, "service", f->service[0] ? f->service : "unknown");
    JW_STR_OR_NULL(&w, "product", f->product);
    JW_STR_OR_NULL(&w, "version", f->version);
    JW_STR(&w, "auth", auth_name(f->auth));
    JW_KEY(&w, "tls");
    if (f->tls.present) {
        sp.tls = b->len;
        jw_tls(&w, &f->tls);
        sp.tls_len = b->len - sp.tls;
    } else {
        JW_LIT(&w, "null");
    }
    JW_KEY(&w, "data");
    if (f->databases >= 0 || f->collections >= 0 || f->records >= 0 || f->bytes >= 0 ||
        f->names.total || f->fields.total) {
        JW_LIT(&w, "{");
        JW_KEY(&w, "databases");
        jw_int_or_null(&w, f->databases);
        JW_KEY(&w, "collections");
        jw_int_or_null(&w, f->collections);
        JW_KEY(&w, "records");
        jw_int_or_null(&w, f->records);
        JW_KEY(&w, "bytes");
        jw_int_or_null(&w, f->bytes);
        JW_KEY(&w, "names");
        jw_strlist(&w, &f->names);
        JW_KEY(&w, "names_total");
        jw_int(&w, (int64_t)(json_int_t)f->names.total);
        JW_KEY(&w, "fields");
        jw_strlist(&w, &f->fields);
        JW_KEY(&w, "fields_total");
        jw_int(&w, (int64_t)(json_int_t)f->fields.total);
        bool any = false;
        for (uint32_t i = 0; i < f->names.n; i++)
            if (f->name_records[i] >= 0 || f->name_bytes[i] >= 0) any = true;
        if (any) {
            JW_KEY(&w, "items");
            JW_LIT(&w, "[");
            for (uint32_t i = 0; i < f->names.n; i++) {
                jw_sep(&w);
                JW_LIT(&w, "{");
                JW_STR(&w, "name", f->names.v[i]);
                JW_KEY(&w, "records");
                jw_int_or_null(&w, f->name_records[i]);
                JW_KEY(&w, "bytes");
                jw_int_or_null(&w, f->name_bytes[i]);
                JW_LIT(&w, "}");
            }
            JW_LIT(&w, "]");
        }
        JW_LIT(&w, "}");
    } else {
        JW_LIT(&w, "null");
    }
    JW_KEY(&w, "via");
    if (f->has_via) {
        JW_LIT(&w, "{");
        JW_STR(&w, "service", f->via_service);
        JW_STR(&w, "ip", f->via_ip);
        JW_KEY(&w, "port");
        jw_int(&w, f->via_port);
        JW_LIT(&w, "}");
    } else {
        JW_LIT(&w, "null");
    }
    jw_attr(&w, &f->attr);
    if (f->banner[0]) JW_STR(&w, "banner", f->banner);
    if (f->error[0]) JW_STR(&w, "error", f->error);
    if (f->details) {
        JW_KEY(&w, "details");
        if (!w.err &&
            json_dump_callback(f->details, jw_dump_cb, &w, JSON_COMPACT | JSON_ENCODE_ANY) < 0)
            w.err = -1;
    }
    JW_KEY(&w, "signals");
    sp.signals = b->len;
    JW_LIT(&w, "[");
    for (int i = 0; i < f->nsignals; i++) {
        jw_sep(&w);
        JW_LIT(&w, "{");
        JW_STR(&w, "id", f->signals[i].id);
        JW_STR(&w, "severity", severity_name(f->signals[i].severity));
        JW_STR(&w, "detail", f->signals[i].detail);
        JW_LIT(&w, "}");
    }
    JW_LIT(&w, "]");
    sp.signals_len = b->len - sp.signals;
    JW_STR(&w, "severity", severity_name(f->severity));
    JW_STR_OR_NULL(&w, "cluster", f->cluster);
    JW_KEY(&w, "first_seen");
    jw_time(&w, f->first_seen);
    JW_KEY(&w, "last_seen");
    jw_time(&w, f->last_seen);
end:
    JW_LIT(&w, "}");
    if (w.err || b->truncated) {
        b->len = start;
        if (b->data) b->data[start] = 0;
        return -1;
    }
    if (spans) *spans = sp;
    return 0;
}

static void jget_str(const json_t *o, const char *k, char *dst, size_t n)
{
    const json_t *v = json_object_get(o, k);
    if (json_is_string(v)) str_copy(dst, json_string_value(v), n);
}

static int64_t jget_int(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static time_t jget_time(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    time_t t = 0;
    if (json_is_string(v)) time_parse_utc(json_string_value(v), &t);
    return t;
}

static void attr_from_json(struct finding_attr *a, const json_t *j)
{
    const json_t *n = json_object_get(j, "network");
    if (json_is_object(n)) {
        int64_t asn = jget_int(n, "asn");
        a->asn = asn > 0 && asn <= UINT32_MAX ? (uint32_t)asn : 0;
        jget_str(n, "org", a->org, sizeof a->org);
        jget_str(n, "prefix", a->prefix, sizeof a->prefix);
    }
    const json_t *g = json_object_get(j, "geo");
    if (json_is_object(g)) jget_str(g, "country", a->country, sizeof a->country);
    const json_t *c = json_object_get(j, "cloud");
    if (json_is_object(c)) {
        jget_str(c, "provider", a->cloud, sizeof a->cloud);
        jget_str(c, "region", a->cloud_region, sizeof a->cloud_region);
        jget_str(c, "service", a->cloud_service, sizeof a->cloud_service);
    }
}

int finding_from_json(struct finding *f, const json_t *j)
{
    finding_init(f);
    if (!json_is_object(j)) return -1;
    jget_str(j, "ip", f->ip, sizeof f->ip);
    int64_t port = jget_int(j, "port");
    if (!f->ip[0] || port < 0 || port > 65535) return -1;
    f->port = (uint16_t)port;
    jget_str(j, "host", f->host, sizeof f->host);
    const json_t *ptr = json_object_get(j, "ptr");
    if (json_is_array(ptr)) {
        f->rdns = true;
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(j, "hostnames"), i, v)
        {
            if (f->nhostnames >= FINDING_MAX_HOSTNAMES || !json_is_string(v)) continue;
            str_copy(f->hostnames[f->nhostnames], json_string_value(v), sizeof f->hostnames[0]);
            size_t k;
            const json_t *p;
            json_array_foreach(ptr, k, p)
            {
                if (json_is_string(p) && !strcmp(json_string_value(p), json_string_value(v)))
                    f->hostname_ptr |= UINT32_C(1) << f->nhostnames;
            }
            f->nhostnames++;
        }
    }
    jget_str(j, "transport", f->transport, sizeof f->transport);
    f->time = jget_time(j, "time");
    jget_str(j, "service", f->service, sizeof f->service);
    jget_str(j, "product", f->product, sizeof f->product);
    jget_str(j, "version", f->version, sizeof f->version);
    char a[16] = "";
    jget_str(j, "auth", a, sizeof a);
    if (a[0]) auth_parse(a, &f->auth);
    jget_str(j, "banner", f->banner, sizeof f->banner);
    jget_str(j, "error", f->error, sizeof f->error);
    const json_t *t = json_object_get(j, "tls");
    if (json_is_object(t)) {
        struct tls_facts *x = &f->tls;
        x->present = true;
        jget_str(t, "version", x->version, sizeof x->version);
        jget_str(t, "cipher", x->cipher, sizeof x->cipher);
        jget_str(t, "sha256", x->sha256, sizeof x->sha256);
        jget_str(t, "subject_cn", x->subject_cn, sizeof x->subject_cn);
        jget_str(t, "subject", x->subject, sizeof x->subject);
        jget_str(t, "issuer_cn", x->issuer_cn, sizeof x->issuer_cn);
        jget_str(t, "issuer", x->issuer, sizeof x->issuer);
        const json_t *san = json_object_get(t, "san");
        size_t i;
        const json_t *v;
        json_array_foreach(san, i, v)
        {
            if (x->nsan < FINDING_MAX_SAN && json_is_string(v))
                str_copy(x->san[x->nsan++], json_string_value(v), sizeof x->san[0]);
        }
        x->not_before = jget_time(t, "not_before");
        x->not_after = jget_time(t, "not_after");
        x->self_signed = json_is_true(json_object_get(t, "self_signed"));
        x->expired = json_is_true(json_object_get(t, "expired"));
        x->not_yet_valid = json_is_true(json_object_get(t, "not_yet_valid"));
        char key[32] = "";
        jget_str(t, "key", key, sizeof key);
        char *dash = strrchr(key, '-');
        uint64_t bits = 0;
        if (dash && parse_u64(dash + 1, 1 << 20, &bits) == 0) {
            *dash = 0;
            x->key_bits = (int)bits;
        }
        str_copy(x->key_type, key, sizeof x->key_type);
        jget_str(t, "sig_alg", x->sig_alg, sizeof x->sig_alg);
        const json_t *nm = json_object_get(t, "name_match");
        x->name_match = json_is_boolean(nm) ? json_is_true(nm) : -1;
        int64_t cl = jget_int(t, "chain_len");
        x->chain_len = cl > 0 ? (int)cl : 0;
        x->verified = json_is_true(json_object_get(t, "verified"));
    }
    const json_t *d = json_object_get(j, "data");
    if (json_is_object(d)) {
        f->databases = jget_int(d, "databases");
        f->collections = jget_int(d, "collections");
        f->records = jget_int(d, "records");
        f->bytes = jget_int(d, "bytes");
        const json_t *items = json_object_get(d, "items");
        size_t i;
        const json_t *v;
        if (json_is_array(items)) {
            json_array_foreach(items, i, v)
            {
                const json_t *nm = json_object_get(v, "name");
                if (json_is_string(nm))
                    finding_add_name(f, json_string_value(nm), strlen(json_string_value(nm)),
                                     jget_int(v, "records"), jget_int(v, "bytes"));
            }
        } else {
            json_array_foreach(json_object_get(d, "names"), i, v)
            {
                if (json_is_string(v))
                    finding_add_name(f, json_string_value(v), strlen(json_string_value(v)), -1, -1);
            }
        }
        json_array_foreach(json_object_get(d, "fields"), i, v)
        {
            if (json_is_string(v))
                finding_add_field(f, json_string_value(v), strlen(json_string_value(v)));
        }
        int64_t nt = jget_int(d, "names_total"), ft = jget_int(d, "fields_total");
        if (nt > (int64_t)f->names.total) f->names.total = (uint64_t)nt;
        if (ft > (int64_t)f->fields.total) f->fields.total = (uint64_t)ft;
    }
    const json_t *via = json_object_get(j, "via");
    if (json_is_object(via)) {
        f->has_via = true;
        jget_str(via, "service", f->via_service, sizeof f->via_service);
        jget_str(via, "ip", f->via_ip, sizeof f->via_ip);
        int64_t vp = jget_int(via, "port");
        f->via_port = vp > 0 && vp < 65536 ? (uint16_t)vp : 0;
    }
    attr_from_json(&f->attr, j);
    const json_t *det = json_object_get(j, "details");
    if (json_is_object(det)) f->details = json_deep_copy(det);
    const json_t *sigs = json_object_get(j, "signals");
    size_t i;
    const json_t *s;
    json_array_foreach(sigs, i, s)
    {
        if (f->nsignals >= FINDING_MAX_SIGNALS) break;
        struct signal *g = &f->signals[f->nsignals++];
        jget_str(s, "id", g->id, sizeof g->id);
        jget_str(s, "detail", g->detail, sizeof g->detail);
        char sv[16] = "";
        jget_str(s, "severity", sv, sizeof sv);
        severity_parse(sv, &g->severity);
    }
    char sv[16] = "";
    jget_str(j, "severity", sv, sizeof sv);
    if (sv[0]) severity_parse(sv, &f->severity);
    jget_str(j, "cluster", f->cluster, sizeof f->cluster);
    f->first_seen = jget_time(j, "first_seen");
    f->last_seen = jget_time(j, "last_seen");
    return 0;
}
