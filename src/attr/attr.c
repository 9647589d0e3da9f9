/*
 * attr/attr.c -- attribution of a record's address (see attr.h).
 *
 * Layouts read (docs/attribution.md): GeoLite2/GeoIP2-ASN and DB-IP's ASN lite file
 * (autonomous_system_number, autonomous_system_organization), GeoLite2/GeoIP2 Country and
 * City and DB-IP's country/city lite files (country.iso_code, else
 * registered_country.iso_code), IPinfo's free files (asn "AS37963", as_name, country_code;
 * the older country_asn file has the ISO code in country). The layout is told from the
 * metadata's database_type and from the fields of one record found by walking the search
 * tree; a file with neither AS nor country fields is refused naming what it holds.
 */
#include "attr/attr.h"
#include "attr/ranges.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const char cloud_asns_tsv[]; /* cloud_asns_data.c: data/cloud-asns.tsv, NUL-terminated */

struct asn_row {
    uint32_t asn;
    char provider[32];
};

static struct {
    bool active;
    bool have_asn, have_geo;
    MMDB_s asn, geo;
    struct cloud_ranges ranges;
} st;

static bool tables_loaded;
static struct asn_row *table;
static size_t ntable;

/* The built-in table, parsed once (its rows: digits, tab, provider name, tab, source). */
static void load_table(void)
{
    if (tables_loaded) return;
    tables_loaded = true;
    size_t cap = 0;
    const char *p = cloud_asns_tsv;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *tab = memchr(p, '\t', n);
        uint64_t asn = 0;
        if (p[0] != '#' && tab && parse_u64n(p, (size_t)(tab - p), UINT32_MAX, &asn) == 0) {
            const char *prov = tab + 1;
            const char *tab2 = memchr(prov, '\t', n - (size_t)(prov - p));
            size_t pl = tab2 ? (size_t)(tab2 - prov) : n - (size_t)(prov - p);
            struct asn_row *nv = arr_grow(table, ntable, &cap, sizeof *nv, 32);
            if (!nv) return;
            table = nv;
            table[ntable].asn = (uint32_t)asn;
            str_fmt(table[ntable].provider, sizeof table[ntable].provider, "%.*s", (int)pl, prov);
            ntable++;
        }
        p += n + (nl ? 1 : 0);
    }
}

const char *attr_cloud_asn(uint32_t asn)
{
    load_table();
    for (size_t i = 0; i < ntable; i++)
        if (table[i].asn == asn) return table[i].provider;
    return NULL;
}

/* ---- MaxMind DB ---- */

static bool get_str(MMDB_entry_s *en, char *out, size_t n, const char *k1, const char *k2)
{
    MMDB_entry_data_s d;
    int rc = k2 ? MMDB_get_value(en, &d, k1, k2, NULL) : MMDB_get_value(en, &d, k1, NULL);
    if (rc != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING) return false;
    finding_set(out, n, d.utf8_string, d.data_size);
    return out[0] != 0;
}

static bool get_uint(MMDB_entry_s *en, const char *k, uint64_t *v)
{
    MMDB_entry_data_s d;
    if (MMDB_get_value(en, &d, k, NULL) != MMDB_SUCCESS || !d.has_data) return false;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT16:
        *v = d.uint16;
        return true;
    case MMDB_DATA_TYPE_UINT32:
        *v = d.uint32;
        return true;
    case MMDB_DATA_TYPE_UINT64:
        *v = d.uint64;
        return true;
    case MMDB_DATA_TYPE_INT32:
        if (d.int32 < 0) return false;
        *v = (uint64_t)d.int32;
        return true;
    default:
        return false;
    }
}

/* "AS37963" (IPinfo) or "37963". */
static bool parse_as_string(const char *s, uint32_t *asn)
{
    if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) s += 2;
    uint64_t v;
    if (parse_u64(s, UINT32_MAX, &v) < 0 || v == 0) return false;
    *asn = (uint32_t)v;
    return true;
}

static bool read_asn(MMDB_entry_s *en, uint32_t *asn, char *org, size_t orgsz)
{
    bool any = false;
    uint64_t v = 0;
    char s[32];
    if (get_uint(en, "autonomous_system_number", &v) && v > 0 && v <= UINT32_MAX) {
        *asn = (uint32_t)v;
        any = true;
    } else if (get_str(en, s, sizeof s, "asn", NULL) && parse_as_string(s, asn)) {
        any = true;
    }
    if (get_str(en, org, orgsz, "autonomous_system_organization", NULL) ||
        get_str(en, org, orgsz, "as_name", NULL))
        any = true;
    return any;
}

static bool iso2(const char *s)
{
    return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && !s[2];
}

static bool read_country(MMDB_entry_s *en, char out[3])
{
    char s[64];
    if ((get_str(en, s, sizeof s, "country", "iso_code") && iso2(s)) ||
        (get_str(en, s, sizeof s, "registered_country", "iso_code") && iso2(s)) ||
        (get_str(en, s, sizeof s, "country_code", NULL) && iso2(s)) ||
        (get_str(en, s, sizeof s, "country", NULL) && iso2(s))) {
        memcpy(out, s, 3);
        return true;
    }
    return false;
}

/* One data record of the file: walk the search tree, left first, at most a few thousand
 * nodes (an empty or odd tree gives none). */
static bool sample_entry(const MMDB_s *db, MMDB_entry_s *out)
{
    uint32_t stack[160];
    int sp = 0, steps = 0;
    stack[sp++] = 0;
    while (sp > 0 && steps++ < 4096) {
        uint32_t node = stack[--sp];
        MMDB_search_node_s n;
        if (node >= db->metadata.node_count || MMDB_read_node(db, node, &n) != MMDB_SUCCESS)
            continue;
        if (n.left_record_type == MMDB_RECORD_TYPE_DATA) {
            *out = n.left_record_entry;
            return true;
        }
        if (n.right_record_type == MMDB_RECORD_TYPE_DATA) {
            *out = n.right_record_entry;
            return true;
        }
        if (n.right_record_type == MMDB_RECORD_TYPE_SEARCH_NODE && sp < 159)
            stack[sp++] = (uint32_t)n.right_record;
        if (n.left_record_type == MMDB_RECORD_TYPE_SEARCH_NODE && sp < 159)
            stack[sp++] = (uint32_t)n.left_record;
    }
    return false;
}

/* The top-level keys of a record, "a, b, c" (for the message naming what a file holds). */
static MMDB_entry_data_list_s *skip_value(MMDB_entry_data_list_s *l, int depth)
{
    if (!l || depth > 32) return NULL;
    uint32_t t = l->entry_data.type, n = l->entry_data.data_size;
    l = l->next;
    for (uint32_t i = 0; l && i < n && (t == MMDB_DATA_TYPE_MAP || t == MMDB_DATA_TYPE_ARRAY);
         i++) {
        if (t == MMDB_DATA_TYPE_MAP) l = l->next; /* the key */
        l = skip_value(l, depth + 1);
    }
    return l;
}

static void record_keys(MMDB_entry_s *en, char *out, size_t n)
{
    out[0] = 0;
    MMDB_entry_data_list_s *list = NULL;
    if (MMDB_get_entry_data_list(en, &list) != MMDB_SUCCESS || !list) {
        if (list) MMDB_free_entry_data_list(list);
        return;
    }
    if (list->entry_data.type == MMDB_DATA_TYPE_MAP) {
        uint32_t pairs = list->entry_data.data_size;
        MMDB_entry_data_list_s *l = list->next;
        size_t len = 0;
        for (uint32_t i = 0; l && i < pairs && i < 12; i++) {
            if (l->entry_data.type == MMDB_DATA_TYPE_UTF8_STRING) {
                char k[48];
                finding_set(k, sizeof k, l->entry_data.utf8_string, l->entry_data.data_size);
                str_fmt(out + len, n - len, "%s%s", len ? ", " : "", k);
                len = strlen(out);
            }
            l = skip_value(l->next, 0);
        }
    }
    MMDB_free_entry_data_list(list);
}

static int db_open(const char *path, MMDB_s *db, struct attr_db_info *info, struct err *e)
{
    memset(info, 0, sizeof *info);
    struct stat sb;
    if (stat(path, &sb) < 0) return err_set(e, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return err_set(e, "%s: not a regular file", path);
    int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
    if (rc != MMDB_SUCCESS) {
        if (rc == MMDB_OUT_OF_MEMORY_ERROR) return err_set(e, "%s: out of memory", path);
        return err_set(e, "%s: not a MaxMind DB file, or a truncated one (%s)", path,
                       MMDB_strerror(rc));
    }
    const char *type = db->metadata.database_type ? db->metadata.database_type : "";
    finding_set(info->type, sizeof info->type, type, strlen(type));
    if (strstr(type, "ASN") || strstr(type, "-ISP")) info->has_asn = true;
    if (strstr(type, "Country") || strstr(type, "City")) info->has_country = true;
    MMDB_entry_s en;
    if (sample_entry(db, &en)) {
        uint32_t asn = 0;
        char org[128] = "", cc[3] = "";
        if (read_asn(&en, &asn, org, sizeof org)) info->has_asn = true;
        if (read_country(&en, cc)) info->has_country = true;
        if (!info->has_asn && !info->has_country) {
            char keys[256];
            record_keys(&en, keys, sizeof keys);
            MMDB_close(db);
            return err_set(e,
                           "%s: a MaxMind DB of type '%s' whose records hold %s%s%s: no AS or "
                           "country field ajar reads (GeoLite2/DB-IP ASN, Country or City; "
                           "IPinfo)",
                           path, info->type, keys[0] ? "{" : "nothing ajar can name", keys,
                           keys[0] ? "}" : "");
        }
    } else if (!info->has_asn && !info->has_country) {
        MMDB_close(db);
        return err_set(e,
                       "%s: a MaxMind DB of type '%s' with no record ajar could read: not an "
                       "ASN or country layout ajar knows (GeoLite2/DB-IP ASN, Country or City; "
                       "IPinfo)",
                       path, info->type);
    }
    return 0;
}

int attr_db_probe(const char *path, struct attr_db_info *info, struct err *e)
{
    MMDB_s db;
    if (db_open(path, &db, info, e) < 0) return -1;
    MMDB_close(&db);
    return 0;
}

void attr_close(void)
{
    if (st.have_asn) MMDB_close(&st.asn);
    if (st.have_geo) MMDB_close(&st.geo);
    cloud_ranges_free(&st.ranges);
    memset(&st, 0, sizeof st);
}

int attr_open(const struct attr_opts *o, struct err *e)
{
    attr_close();
    struct attr_db_info info;
    if (o->asn_db) {
        if (db_open(o->asn_db, &st.asn, &info, e) < 0) return -1;
        st.have_asn = true;
        if (!info.has_asn) {
            attr_close();
            return err_set(e,
                           "%s: a '%s' database has no AS fields (a country database goes "
                           "to --geo-db)",
                           o->asn_db, info.type);
        }
    }
    if (o->geo_db) {
        if (db_open(o->geo_db, &st.geo, &info, e) < 0) {
            attr_close();
            return -1;
        }
        st.have_geo = true;
        if (!info.has_country) {
            attr_close();
            return err_set(e,
                           "%s: a '%s' database has no country field (an ASN database goes "
                           "to --asn-db)",
                           o->geo_db, info.type);
        }
    }
    for (size_t i = 0; i < o->nranges; i++) {
        if (cloud_ranges_load_file(&st.ranges, o->ranges[i], e) < 0) {
            attr_close();
            return -1;
        }
    }
    cloud_ranges_sort(&st.ranges);
    load_table();
    st.active = o->asn_db || o->geo_db || o->nranges;
    return 0;
}

bool attr_active(void)
{
    return st.active;
}

/* The network of a lookup, "a.b.c.d/n" or "x::/n". */
static void format_prefix(const MMDB_s *db, const struct sockaddr_storage *ss, uint16_t netmask,
                          char *out, size_t n)
{
    uint8_t a[16];
    int fam, bits, nm = netmask;
    if (ss->ss_family == AF_INET) {
        memcpy(a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
        fam = AF_INET;
        bits = 32;
        if (db->metadata.ip_version == 6) nm -= 96;
    } else {
        memcpy(a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
        fam = AF_INET6;
        bits = 128;
    }
    if (nm < 0 || nm > bits) return;
    for (int i = 0; i < bits / 8; i++) {
        int keep = nm - i * 8;
        if (keep >= 8) continue;
        a[i] &= keep <= 0 ? 0 : (uint8_t)(0xff00u >> keep);
    }
    char txt[INET6_ADDRSTRLEN];
    if (!inet_ntop(fam, a, txt, sizeof txt)) return;
    str_fmt(out, n, "%s/%d", txt, nm);
}

void attr_enrich(struct finding *f)
{
    if (!st.active) return;
    struct finding_attr *at = &f->attr;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, f->ip, &s4->sin_addr) == 1)
        s4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, f->ip, &s6->sin6_addr) == 1)
        s6->sin6_family = AF_INET6;
    else
        return;
    int err = 0;
    if (st.have_asn) {
        MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&st.asn, (struct sockaddr *)&ss, &err);
        if (err == MMDB_SUCCESS && r.found_entry) {
            read_asn(&r.entry, &at->asn, at->org, sizeof at->org);
            format_prefix(&st.asn, &ss, r.netmask, at->prefix, sizeof at->prefix);
            if (!st.have_geo) read_country(&r.entry, at->country);
        }
    }
    if (st.have_geo) {
        MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&st.geo, (struct sockaddr *)&ss, &err);
        if (err == MMDB_SUCCESS && r.found_entry) read_country(&r.entry, at->country);
    }
    struct cloud_hit hit;
    const char *prov;
    if (cloud_ranges_lookup(&st.ranges, f->ip, &hit)) {
        str_copy(at->cloud, hit.provider, sizeof at->cloud);
        finding_set(at->cloud_region, sizeof at->cloud_region, hit.region, strlen(hit.region));
        finding_set(at->cloud_service, sizeof at->cloud_service, hit.service, strlen(hit.service));
    } else if (at->asn && (prov = attr_cloud_asn(at->asn)) != NULL) {
        str_copy(at->cloud, prov, sizeof at->cloud);
    }
}
