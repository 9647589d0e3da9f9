/*
 * core/finding_write.c -- the record's JSON text without a jansson tree (finding_json_write):
 * the store's and -o's hot path; and the tls "key" value both writers put in the record
 * (finding_tls_key), checked as this writer checks strings.
 */
#include "core/finding.h"
#include "core/util.h"

#include <string.h>

/*
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

/* jansson's dump_string: a string of n bytes (NULs in it escaped); false, with nothing written,
 * when it is not UTF-8 (a string or key set without jansson's check), where jansson's dump
 * fails. The byte after s[n] is a NUL. */
static bool jw_json_str(struct jw *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    int esc = 1;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c >= 0x80) {
            size_t k = jw_utf8_seq(p + i);
            if (!k || k > n - i) return false;
            i += k;
            continue;
        }
        if (c < 0x20 || c == '"' || c == '\\') esc = 2;
        i++;
    }
    jw_str_body(w, s, n, esc);
    return true;
}

/* Nesting past which the rest of a tree is left to jansson (its loop check refuses a tree that
 * holds itself, which this walk would follow for ever). */
#define JW_JSON_DEPTH 64

/* json_dump_callback(j, ..., JSON_COMPACT | JSON_ENCODE_ANY) byte for byte: objects in jansson's
 * order (insertion), compact separators, integers as "%lld", strings as dump_string; a real, a
 * tree past JW_JSON_DEPTH, or anything else is dumped by jansson itself. */
static void jw_json(struct jw *w, const json_t *j, int depth)
{
    if (w->err) return;
    switch (depth < JW_JSON_DEPTH ? json_typeof(j) : JSON_REAL) {
    case JSON_OBJECT: {
        size_t mark = w->b->len;
        JW_LIT(w, "{");
        bool first = true;
        /* the iterator API takes a non-const object and only reads it */
        for (void *it = json_object_iter((json_t *)j); it && !w->err;
             it = json_object_iter_next((json_t *)j, it)) {
            if (!first) JW_LIT(w, ",");
            first = false;
            if (!jw_json_str(w, json_object_iter_key(it), json_object_iter_key_len(it))) {
                /* jansson writes such a key in part and goes on: the object is left to it */
                w->b->len = mark;
                w->b->data[mark] = 0;
                goto dump;
            }
            JW_LIT(w, ":");
            jw_json(w, json_object_iter_value(it), depth + 1);
        }
        JW_LIT(w, "}");
        break;
    }
    case JSON_ARRAY: {
        JW_LIT(w, "[");
        size_t n = json_array_size(j);
        for (size_t i = 0; i < n && !w->err; i++) {
            if (i) JW_LIT(w, ",");
            jw_json(w, json_array_get(j, i), depth + 1);
        }
        JW_LIT(w, "]");
        break;
    }
    case JSON_STRING:
        if (!jw_json_str(w, json_string_value(j), json_string_length(j))) w->err = -1;
        break;
    case JSON_INTEGER:
        jw_int(w, (int64_t)json_integer_value(j));
        break;
    case JSON_TRUE:
        JW_LIT(w, "true");
        break;
    case JSON_FALSE:
        JW_LIT(w, "false");
        break;
    case JSON_NULL:
        JW_LIT(w, "null");
        break;
    default:
    dump:
        if (json_dump_callback(j, jw_dump_cb, w, JSON_COMPACT | JSON_ENCODE_ANY) < 0) w->err = -1;
    }
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

/* "hostnames" (when one of them can be written) and "ptr": the names --rdns found for the
 * address, and those its PTR records gave. */
static void jw_hostnames(struct jw *w, const struct finding *f)
{
    int n = f->nhostnames < FINDING_MAX_HOSTNAMES ? f->nhostnames : FINDING_MAX_HOSTNAMES;
    size_t len;
    bool any = false;
    for (int i = 0; i < n && !any; i++)
        any = jw_check(f->hostnames[i], &len) != 0;
    if (any) {
        JW_KEY(w, "hostnames");
        JW_LIT(w, "[");
        for (int i = 0; i < n; i++)
            jw_elem_str(w, f->hostnames[i]);
        JW_LIT(w, "]");
    }
    JW_KEY(w, "ptr");
    JW_LIT(w, "[");
    for (int i = 0; i < n; i++)
        if (f->hostname_ptr & (UINT32_C(1) << i)) jw_elem_str(w, f->hostnames[i]);
    JW_LIT(w, "]");
}

/* "data"'s value: the counts, names, fields and per-name items, or null when none is known. */
static void jw_data(struct jw *w, const struct finding *f)
{
    if (f->databases >= 0 || f->collections >= 0 || f->records >= 0 || f->bytes >= 0 ||
        f->names.total || f->fields.total) {
        JW_LIT(w, "{");
        JW_KEY(w, "databases");
        jw_int_or_null(w, f->databases);
        JW_KEY(w, "collections");
        jw_int_or_null(w, f->collections);
        JW_KEY(w, "records");
        jw_int_or_null(w, f->records);
        JW_KEY(w, "bytes");
        jw_int_or_null(w, f->bytes);
        JW_KEY(w, "names");
        jw_strlist(w, &f->names);
        JW_KEY(w, "names_total");
        jw_int(w, (int64_t)(json_int_t)f->names.total);
        JW_KEY(w, "fields");
        jw_strlist(w, &f->fields);
        JW_KEY(w, "fields_total");
        jw_int(w, (int64_t)(json_int_t)f->fields.total);
        bool any = false;
        for (uint32_t i = 0; i < f->names.n; i++)
            if (f->name_records[i] >= 0 || f->name_bytes[i] >= 0) any = true;
        if (any) {
            JW_KEY(w, "items");
            JW_LIT(w, "[");
            for (uint32_t i = 0; i < f->names.n; i++) {
                jw_sep(w);
                JW_LIT(w, "{");
                JW_STR(w, "name", f->names.v[i]);
                JW_KEY(w, "records");
                jw_int_or_null(w, f->name_records[i]);
                JW_KEY(w, "bytes");
                jw_int_or_null(w, f->name_bytes[i]);
                JW_LIT(w, "}");
            }
            JW_LIT(w, "]");
        }
        JW_LIT(w, "}");
    } else {
        JW_LIT(w, "null");
    }
}

/* "marks" with its key, when a mark names a listed name or field (finding_to_json's rule). */
static void jw_marks(struct jw *w, const struct finding *f)
{
    bool open = false;
    for (int i = 0; i < f->nmarks; i++) {
        const struct finding_mark *m = &f->marks[i];
        const char *name = finding_mark_name(f, m);
        if (!name) continue;
        if (!open) {
            JW_KEY(w, "marks");
            JW_LIT(w, "[");
            open = true;
        }
        jw_sep(w);
        JW_LIT(w, "{");
        JW_STR(w, "name", name);
        JW_STR(w, "in", finding_mark_list_name(m->list));
        if (m->personal) {
            JW_KEY(w, "personal");
            JW_LIT(w, "[");
            for (unsigned b = 0; b < FINDING_PERSONAL_KINDS; b++)
                if (m->personal & (1u << b)) jw_elem_str(w, finding_personal_id(1u << b));
            JW_LIT(w, "]");
        }
        if (m->ransom) {
            JW_KEY(w, "ransom");
            JW_LIT(w, "true");
        }
        JW_LIT(w, "}");
    }
    if (open) JW_LIT(w, "]");
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
    if (f->rdns) jw_hostnames(&w, f);
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
    jw_data(&w, f);
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
        jw_json(&w, f->details, 0);
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
    jw_marks(&w, f);
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
