/*
 * attr/ranges.c -- cloud providers' range files (see ranges.h).
 *
 * The table is sorted once, by prefix length (longest first), address, and how much the
 * entry says (service and region before none), so a lookup is one binary search per
 * prefix length present, longest first: a few microseconds. Where a file lists one prefix
 * several times (Azure's AzureCloud tag, then its regional and per-service tags) the entry
 * naming a service, then a region, wins.
 */
#include "attr/ranges.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cloud_providers[] = {"aws", "google-cloud", "azure", "oracle-cloud",
                                       "cloudflare"};
enum { P_AWS, P_GOOGLE, P_AZURE, P_ORACLE, P_CLOUDFLARE };

/* A printable excerpt of untrusted bytes for a message. */
static const char *excerpt(const char *s, size_t n, char *out, size_t outsz)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < outsz && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = c >= 0x20 && c < 0x7f && c != '\'' ? (char)c : '?';
    }
    out[k] = 0;
    return out;
}

int cloud_cidr_parse(const char *s, size_t n, uint8_t addr[16], uint8_t *plen)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    const char *slash = memchr(s, '/', n);
    if (!slash || slash == s) return -1;
    size_t alen = (size_t)(slash - s);
    if (alen >= 46) return -1;
    char a[46];
    memcpy(a, s, alen);
    a[alen] = 0;
    uint64_t bits = 0;
    memset(addr, 0, 16);
    unsigned max;
    if (inet_pton(AF_INET, a, addr + 12) == 1) {
        addr[10] = addr[11] = 0xff;
        max = 32;
    } else if (inet_pton(AF_INET6, a, addr) == 1) {
        max = 128;
    } else {
        return -1;
    }
    size_t plen_len = n - alen - 1;
    if (plen_len == 0 || plen_len > 3 || parse_u64n(slash + 1, plen_len, max, &bits) < 0) return -1;
    unsigned p = (unsigned)bits + (max == 32 ? 96 : 0);
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = p > i * 8 ? p - i * 8 : 0;
        if (keep >= 8) continue;
        addr[i] &= (uint8_t)(0xff00u >> keep);
    }
    *plen = (uint8_t)p;
    return 0;
}

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* Index of the interned string (0 for ""), or -1 (out of memory or too many). */
static long intern(struct cloud_ranges *r, const char *s)
{
    if (!s[0]) return 0;
    if (!r->nstr) {
        r->str = xcalloc(16, sizeof *r->str);
        if (!r->str) return -1;
        r->strcap = 16;
        r->str[0] = NULL;
        r->nstr = 1;
    }
    if (r->nstr * 2 >= r->hcap) {
        size_t nc = r->hcap ? r->hcap * 2 : 64;
        uint32_t *nh = xcalloc(nc, sizeof *nh);
        if (!nh) return -1;
        for (size_t i = 1; i < r->nstr; i++) {
            size_t k = str_hash(r->str[i]) & (nc - 1);
            while (nh[k])
                k = (k + 1) & (nc - 1);
            nh[k] = (uint32_t)i;
        }
        free(r->hash);
        r->hash = nh;
        r->hcap = nc;
    }
    size_t k = str_hash(s) & (r->hcap - 1);
    while (r->hash[k]) {
        if (strcmp(r->str[r->hash[k]], s) == 0) return r->hash[k];
        k = (k + 1) & (r->hcap - 1);
    }
    if (r->nstr > RANGES_MAX_STRINGS) return -1;
    if (r->nstr == r->strcap) {
        char **ns = arr_grow(r->str, r->nstr, &r->strcap, sizeof *ns, 16);
        if (!ns) return -1;
        r->str = ns;
    }
    char *copy = strdup(s);
    if (!copy) return -1;
    r->str[r->nstr] = copy;
    r->hash[k] = (uint32_t)r->nstr;
    return (long)r->nstr++;
}

/* The parse of one file: where it goes and what to say. */
struct rp {
    struct cloud_ranges *r;
    const char *name;
    struct err *e;
};

/* A name from the file: printable ASCII kept, anything else '?', at most 63 bytes. */
static void clean_name(const char *s, char *out, size_t outsz)
{
    size_t k = 0;
    for (; s && *s && k + 1 < outsz; s++) {
        unsigned char c = (unsigned char)*s;
        out[k++] = c > 0x20 && c < 0x7f ? (char)c : (c == ' ' ? ' ' : '?');
    }
    out[k] = 0;
}

static int add(struct rp *p, int provider, const char *cidr, size_t n, const char *region,
               const char *service, const char *where)
{
    struct cloud_ranges *r = p->r;
    if (r->n >= RANGES_MAX)
        return err_set(p->e, "%s: more than %u ranges (the cap)", p->name, RANGES_MAX);
    struct cloud_range c;
    memset(&c, 0, sizeof c);
    if (cloud_cidr_parse(cidr, n, c.addr, &c.plen) < 0) {
        char ex[48];
        return err_set(p->e, "%s: %s: not a CIDR: '%s'", p->name, where,
                       excerpt(cidr, n, ex, sizeof ex));
    }
    char rb[64], sb[64];
    clean_name(region, rb, sizeof rb);
    clean_name(service, sb, sizeof sb);
    long ri = intern(r, rb), si = intern(r, sb);
    if (ri < 0 || si < 0)
        return err_set(p->e, "%s: out of memory or more than %u region and service names", p->name,
                       RANGES_MAX_STRINGS);
    c.provider = (uint8_t)provider;
    c.region = (uint16_t)ri;
    c.service = (uint16_t)si;
    if (r->n == r->cap) {
        struct cloud_range *nv = arr_grow(r->v, r->n, &r->cap, sizeof *nv, 1024);
        if (!nv) return err_set(p->e, "%s: out of memory", p->name);
        r->v = nv;
    }
    r->v[r->n++] = c;
    r->sorted = false;
    return 0;
}

static const char *jstr(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A string member that must be a CIDR when present: 1 added, 0 absent, -1 error. */
static int add_member(struct rp *p, int provider, const json_t *o, const char *key,
                      const char *region, const char *service, const char *arr, size_t i)
{
    const json_t *v = json_object_get(o, key);
    if (!v) return 0;
    char where[96];
    str_fmt(where, sizeof where, "%s[%zu].%s", arr, i, key);
    if (!json_is_string(v)) return err_set(p->e, "%s: %s: not a string", p->name, where);
    if (add(p, provider, json_string_value(v), json_string_length(v), region, service, where) < 0)
        return -1;
    return 1;
}

/* AWS (ip_prefix / ipv6_prefix, region, service) and Google (ipv4Prefix / ipv6Prefix, scope,
 * service) share "prefixes": an array of objects. */
static int parse_prefix_array(struct rp *p, const json_t *arr, const char *aname, bool google)
{
    if (!arr) return 0;
    if (!json_is_array(arr)) return err_set(p->e, "%s: %s: not an array", p->name, aname);
    size_t i;
    const json_t *o;
    json_array_foreach(arr, i, o)
    {
        if (!json_is_object(o))
            return err_set(p->e, "%s: %s[%zu]: not an object", p->name, aname, i);
        const char *region = jstr(o, google ? "scope" : "region");
        const char *service = jstr(o, "service");
        int got = 0, k;
        static const char *const aws_keys[] = {"ip_prefix", "ipv6_prefix"};
        static const char *const g_keys[] = {"ipv4Prefix", "ipv6Prefix"};
        for (int j = 0; j < 2; j++) {
            k = add_member(p, google ? P_GOOGLE : P_AWS, o, google ? g_keys[j] : aws_keys[j],
                           region, service, aname, i);
            if (k < 0) return -1;
            got += k;
        }
        if (!got)
            return err_set(p->e, "%s: %s[%zu]: no %s", p->name, aname, i,
                           google ? "ipv4Prefix or ipv6Prefix" : "ip_prefix or ipv6_prefix");
    }
    return 0;
}

static int parse_azure(struct rp *p, const json_t *values)
{
    if (!json_is_array(values)) return err_set(p->e, "%s: values: not an array", p->name);
    size_t i;
    const json_t *o;
    json_array_foreach(values, i, o)
    {
        const json_t *pr = json_object_get(o, "properties");
        if (!json_is_object(pr))
            return err_set(p->e, "%s: values[%zu]: no properties object", p->name, i);
        const json_t *ap = json_object_get(pr, "addressPrefixes");
        if (!json_is_array(ap))
            return err_set(p->e, "%s: values[%zu].properties.addressPrefixes: not an array",
                           p->name, i);
        const char *region = jstr(pr, "region"), *service = jstr(pr, "systemService");
        size_t k;
        const json_t *c;
        json_array_foreach(ap, k, c)
        {
            char where[96];
            str_fmt(where, sizeof where, "values[%zu].properties.addressPrefixes[%zu]", i, k);
            if (!json_is_string(c)) return err_set(p->e, "%s: %s: not a string", p->name, where);
            if (add(p, P_AZURE, json_string_value(c), json_string_length(c), region, service,
                    where) < 0)
                return -1;
        }
    }
    return 0;
}

static int parse_oracle(struct rp *p, const json_t *regions)
{
    if (!json_is_array(regions)) return err_set(p->e, "%s: regions: not an array", p->name);
    size_t i;
    const json_t *o;
    json_array_foreach(regions, i, o)
    {
        if (!json_is_object(o)) return err_set(p->e, "%s: regions[%zu]: not an object", p->name, i);
        const char *region = jstr(o, "region");
        const json_t *cidrs = json_object_get(o, "cidrs");
        if (!json_is_array(cidrs))
            return err_set(p->e, "%s: regions[%zu].cidrs: not an array", p->name, i);
        size_t k;
        const json_t *c;
        json_array_foreach(cidrs, k, c)
        {
            char where[96];
            str_fmt(where, sizeof where, "regions[%zu].cidrs[%zu].cidr", i, k);
            const json_t *v = json_object_get(c, "cidr");
            if (!json_is_string(v)) return err_set(p->e, "%s: %s: not a string", p->name, where);
            const json_t *tags = json_object_get(c, "tags");
            const char *service = NULL;
            if (json_is_array(tags) && json_is_string(json_array_get(tags, 0)))
                service = json_string_value(json_array_get(tags, 0));
            if (add(p, P_ORACLE, json_string_value(v), json_string_length(v), region, service,
                    where) < 0)
                return -1;
        }
    }
    return 0;
}

static int parse_json(struct rp *p, const char *data, size_t len)
{
    /* jansson's tree costs tens of bytes per value: bound it before building it (commas and
     * openings, strings included, over-count the values) */
    size_t values = 1;
    for (size_t i = 0; i < len; i++)
        values += data[i] == ',' || data[i] == '[' || data[i] == '{';
    if (values > RANGES_MAX_JSON_VALUES)
        return err_set(p->e, "%s: more than %u JSON values (the cap)", p->name,
                       RANGES_MAX_JSON_VALUES);
    json_error_t je;
    json_t *j = json_loadb(data, len, 0, &je);
    if (!j) {
        char ex[48];
        return err_set(p->e, "%s: not valid JSON (line %d: %s)", p->name, je.line,
                       excerpt(je.text, strlen(je.text), ex, sizeof ex));
    }
    int rc;
    const json_t *prefixes = json_object_get(j, "prefixes");
    const json_t *first = json_array_get(prefixes, 0);
    if (!json_is_object(j)) {
        rc = err_set(p->e, "%s: JSON that is not an object", p->name);
    } else if (json_object_get(j, "values")) {
        rc = parse_azure(p, json_object_get(j, "values"));
    } else if (json_object_get(j, "regions")) {
        rc = parse_oracle(p, json_object_get(j, "regions"));
    } else if (json_object_get(j, "ipv6_prefixes") || json_object_get(j, "createDate") ||
               json_object_get(first, "ip_prefix") || json_object_get(first, "ipv6_prefix")) {
        rc = parse_prefix_array(p, prefixes, "prefixes", false);
        if (rc == 0)
            rc = parse_prefix_array(p, json_object_get(j, "ipv6_prefixes"), "ipv6_prefixes", false);
    } else if (json_object_get(j, "creationTime") || json_object_get(first, "ipv4Prefix") ||
               json_object_get(first, "ipv6Prefix")) {
        rc = parse_prefix_array(p, prefixes, "prefixes", true);
    } else {
        rc = err_set(p->e,
                     "%s: JSON in no range format ajar knows (AWS ip-ranges.json, Google "
                     "cloud.json, Azure Service Tags, Oracle public_ip_ranges.json)",
                     p->name);
    }
    json_decref(j);
    return rc;
}

static int parse_list(struct rp *p, const char *data, size_t len)
{
    size_t line = 0, i = 0;
    while (i < len) {
        const char *s = data + i;
        const char *nl = memchr(s, '\n', len - i);
        size_t n = nl ? (size_t)(nl - s) : len - i;
        i += n + 1;
        line++;
        size_t a = 0;
        while (a < n && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r'))
            a++;
        if (a == n || s[a] == '#') continue;
        char where[32];
        str_fmt(where, sizeof where, "line %zu", line);
        if (add(p, P_CLOUDFLARE, s + a, n - a, NULL, NULL, where) < 0) return -1;
    }
    return 0;
}

int cloud_ranges_parse(struct cloud_ranges *r, const char *name, const char *data, size_t len,
                       struct err *e)
{
    struct rp p = {r, name, e};
    size_t n0 = r->n;
    if (len > RANGES_FILE_CAP)
        return err_set(e, "%s: larger than %u MB (the cap)", name, RANGES_FILE_CAP >> 20);
    if (memchr(data, 0, len)) return err_set(e, "%s: binary data (a NUL byte)", name);
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i == len) return err_set(e, "%s: empty", name);
    int rc = data[i] == '{' ? parse_json(&p, data, len) : parse_list(&p, data, len);
    if (rc < 0) {
        r->n = n0;
        return -1;
    }
    if (r->n == n0) return err_set(e, "%s: no ranges in it", name);
    return 0;
}

int cloud_ranges_load_file(struct cloud_ranges *r, const char *path, struct err *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return err_set(e, "%s: %s", path, strerror(errno));
    char *b = xmalloc((size_t)RANGES_FILE_CAP + 1);
    if (!b) {
        fclose(fp);
        return err_set(e, "%s: out of memory", path);
    }
    size_t k = fread(b, 1, (size_t)RANGES_FILE_CAP + 1, fp);
    bool bad = ferror(fp) != 0;
    fclose(fp);
    int rc = bad ? err_set(e, "%s: cannot read it", path) : cloud_ranges_parse(r, path, b, k, e);
    free(b);
    return rc;
}

static int rich(const struct cloud_range *c)
{
    return (c->service ? 2 : 0) + (c->region ? 1 : 0);
}

static int range_cmp(const void *a, const void *b)
{
    const struct cloud_range *x = a, *y = b;
    if (x->plen != y->plen) return x->plen > y->plen ? -1 : 1;
    int c = memcmp(x->addr, y->addr, 16);
    if (c) return c;
    return rich(y) - rich(x);
}

void cloud_ranges_sort(struct cloud_ranges *r)
{
    if (r->n) qsort(r->v, r->n, sizeof *r->v, range_cmp);
    size_t k = 0;
    for (unsigned s = 0; s <= 129; s++) {
        /* seg[s]: how many entries are longer than 128 - s */
        while (k < r->n && r->v[k].plen > 128 - (int)s)
            k++;
        r->seg[s] = k;
    }
    r->sorted = true;
}

int cloud_ranges_lookup(struct cloud_ranges *r, const char *ip, struct cloud_hit *hit)
{
    if (!r->n) return 0;
    uint8_t a[16] = {0};
    bool v4 = false;
    if (inet_pton(AF_INET, ip, a + 12) == 1) {
        a[10] = a[11] = 0xff;
        v4 = true;
    } else if (inet_pton(AF_INET6, ip, a) != 1) {
        return 0;
    }
    if (!r->sorted) cloud_ranges_sort(r);
    int lowest = v4 ? 96 : 0;
    for (int plen = 128; plen >= lowest; plen--) {
        size_t lo = r->seg[128 - plen], end = r->seg[129 - plen], hi = end;
        if (lo >= hi) continue;
        uint8_t key[16];
        memcpy(key, a, 16);
        for (int i = 0; i < 16; i++) {
            int keep = plen - i * 8;
            if (keep >= 8) continue;
            key[i] &= keep <= 0 ? 0 : (uint8_t)(0xff00u >> keep);
        }
        while (lo < hi) { /* the first entry >= key */
            size_t mid = lo + (hi - lo) / 2;
            if (memcmp(r->v[mid].addr, key, 16) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < end && memcmp(r->v[lo].addr, key, 16) == 0) {
            const struct cloud_range *c = &r->v[lo];
            hit->provider = cloud_providers[c->provider];
            hit->region = c->region ? r->str[c->region] : "";
            hit->service = c->service ? r->str[c->service] : "";
            hit->plen = v4 ? (unsigned)plen - 96 : (unsigned)plen;
            return 1;
        }
    }
    return 0;
}

void cloud_ranges_free(struct cloud_ranges *r)
{
    for (size_t i = 1; i < r->nstr; i++)
        free(r->str[i]);
    free(r->str);
    free(r->hash);
    free(r->v);
    memset(r, 0, sizeof *r);
}
