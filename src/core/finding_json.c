/*
 * core/finding_json.c -- the record as a jansson tree (finding_to_json): the reference form of
 * docs/record.md, which finding_write.c writes byte for byte the same without a tree
 * (tests/unit/test_finding_json.c holds the two equal).
 */
#include "core/finding.h"
#include "core/util.h"

#include <string.h>

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

/* "marks": the assessment's marks that name a listed name or field (finding_mark_name). */
static json_t *marks_json(const struct finding *f)
{
    json_t *a = json_array();
    for (int i = 0; i < f->nmarks; i++) {
        const struct finding_mark *m = &f->marks[i];
        const char *name = finding_mark_name(f, m);
        if (!name) continue;
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "in", json_string(finding_mark_list_name(m->list)));
        if (m->personal) {
            json_t *p = json_array();
            for (unsigned b = 0; b < FINDING_PERSONAL_KINDS; b++)
                if (m->personal & (1u << b))
                    json_array_append_new(p, json_string(finding_personal_id(1u << b)));
            json_object_set_new(o, "personal", p);
        }
        if (m->ransom) json_object_set_new(o, "ransom", json_true());
        json_array_append_new(a, o);
    }
    return a;
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
    json_t *marks = marks_json(f);
    if (json_array_size(marks))
        json_object_set_new(o, "marks", marks);
    else
        json_decref(marks);
    json_object_set_new(o, "severity", json_string(severity_name(f->severity)));
    json_object_set_new(o, "cluster", jstr_or_null(f->cluster));
    json_object_set_new(o, "first_seen", jtime(f->first_seen));
    json_object_set_new(o, "last_seen", jtime(f->last_seen));
    return o;
}
