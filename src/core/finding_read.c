/*
 * core/finding_read.c -- the record read back from its JSON (finding_from_json: the store,
 * import, tests). Strings are cut to their fields' sizes and lists to the record's caps; an
 * absent or mistyped member keeps its default; no ip, or a port out of range, is -1.
 */
#include "core/finding.h"
#include "core/util.h"

#include <string.h>

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

/* The "tls" object t into x. */
static void tls_from_json(struct tls_facts *x, const json_t *t)
{
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
        if (x->nsan < FINDING_MAX_SAN && json_is_string(v)) tls_add_san(x, json_string_value(v));
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
    /* "rsa-2048": the bits only in the form the writers give them (no leading zero, not 0), so
     * a record read back and written again is the same text */
    if (dash && dash[1] >= '1' && dash[1] <= '9' && parse_u64(dash + 1, 1 << 20, &bits) == 0) {
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

/* The "data" object d into f: counts, names (from items, else names), fields, totals. */
static void data_from_json(struct finding *f, const json_t *d)
{
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

/* The entry of l named name (the first), -1 when l holds none. */
static int list_index(const struct strlist *l, const char *name)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], name) == 0) return (int)i;
    return -1;
}

/* The record's "marks" into f, after its names and fields: a mark of a name or field the record
 * does not list, or with nothing known to mark (no known category id, not ransom), is left out;
 * two of one name merge (finding_add_mark), so they stay within the lists' caps. */
static void marks_from_json(struct finding *f, const json_t *marks)
{
    size_t i;
    const json_t *m;
    json_array_foreach(marks, i, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *in = json_string_value(json_object_get(m, "in"));
        if (!name || !in) continue;
        enum mark_list list;
        if (!strcmp(in, finding_mark_list_name(MARK_NAMES)))
            list = MARK_NAMES;
        else if (!strcmp(in, finding_mark_list_name(MARK_FIELDS)))
            list = MARK_FIELDS;
        else
            continue;
        int at = list_index(list == MARK_NAMES ? &f->names : &f->fields, name);
        if (at < 0) continue;
        uint32_t personal = 0;
        size_t k;
        const json_t *p;
        json_array_foreach(json_object_get(m, "personal"), k, p)
        {
            personal |= finding_personal_parse(json_string_value(p));
        }
        finding_add_mark(f, list, (uint32_t)at, personal,
                         json_is_true(json_object_get(m, "ransom")));
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
            bool is_ptr = false;
            size_t k;
            const json_t *p;
            json_array_foreach(ptr, k, p)
            {
                if (json_is_string(p) && !strcmp(json_string_value(p), json_string_value(v)))
                    is_ptr = true;
            }
            finding_add_hostname(f, json_string_value(v), is_ptr);
        }
    }
    jget_str(j, "transport", f->transport, sizeof f->transport);
    f->time = jget_time(j, "time");
    jget_str(j, "service", f->service, sizeof f->service);
    jget_str(j, "product", f->product, sizeof f->product);
    jget_str(j, "version", f->version, sizeof f->version);
    char a[16] = "";
    jget_str(j, "auth", a, sizeof a);
    if (a[0]) auth_state_parse(a, &f->auth);
    jget_str(j, "banner", f->banner, sizeof f->banner);
    jget_str(j, "error", f->error, sizeof f->error);
    const json_t *t = json_object_get(j, "tls");
    if (json_is_object(t)) tls_from_json(&f->tls, t);
    const json_t *d = json_object_get(j, "data");
    if (json_is_object(d)) data_from_json(f, d);
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
        struct signal *g = finding_new_signal(f);
        if (!g) break;
        jget_str(s, "id", g->id, sizeof g->id);
        jget_str(s, "detail", g->detail, sizeof g->detail);
        char sv[16] = "";
        jget_str(s, "severity", sv, sizeof sv);
        severity_parse(sv, &g->severity);
    }
    marks_from_json(f, json_object_get(j, "marks"));
    char sv[16] = "";
    jget_str(j, "severity", sv, sizeof sv);
    if (sv[0]) severity_parse(sv, &f->severity);
    jget_str(j, "cluster", f->cluster, sizeof f->cluster);
    f->first_seen = jget_time(j, "first_seen");
    f->last_seen = jget_time(j, "last_seen");
    return 0;
}
