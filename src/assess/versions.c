/*
 * assess/versions.c -- how old is this version, and could it have had a
 * password at all?
 *
 * Two small tables, each row with its source. The end-of-life table maps a
 * product's release line ("5.6", "10", "10.11") to the date its vendor
 * stopped fixing it and to the newest release of the line we know of; the
 * assessment turns that into `end-of-life` (the date has passed) and
 * `outdated` (still maintained, but behind the newest release of its line).
 * Rows marked verified were checked against a stored source (the
 * fixtures' notes.md files under /work/shared/fixtures, which quote the
 * vendors' lifecycle pages and endoflife.date); the others are the best
 * knowledge of the author and say so in the comment next to them. A date
 * that goes stale only makes the scanner quieter, never wrong about a line
 * that is already dead.
 *
 * A version older than every line of a product it knows gets the oldest
 * line: its end of life is then an upper bound ("no later than").
 */
#include "assess/assess.h"
#include "core/util.h"

#include <string.h>

/* ---- version compare ---- */

#define VER_PARTS 6

struct ver {
    uint64_t c[VER_PARTS];
    int n;
    bool pre; /* -rc, -alpha, -beta, -snapshot: before its release */
};

static bool lower_prefix(const char *s, const char *p)
{
    return str_iprefix(s, p);
}

static void ver_parse(const char *s, struct ver *v)
{
    memset(v, 0, sizeof *v);
    if (!s) return;
    while (*s == ' ')
        s++;
    if (*s == 'v' || *s == 'V') s++;
    while (*s >= '0' && *s <= '9') {
        const char *start = s;
        while (*s >= '0' && *s <= '9')
            s++;
        uint64_t x = 0;
        size_t len = (size_t)(s - start);
        if (len > 18) len = 18; /* absurdly long numbers compare by their first digits */
        if (parse_u64n(start, len, UINT64_MAX, &x) < 0) x = 0;
        if (v->n < VER_PARTS) v->c[v->n++] = x;
        if (*s != '.') break;
        s++;
    }
    /* what follows the numbers: a pre-release marker, or noise (-oss, -log, +deb) */
    while (*s == '-' || *s == '.' || *s == '_' || *s == '~')
        s++;
    if (lower_prefix(s, "rc") || lower_prefix(s, "alpha") || lower_prefix(s, "beta") ||
        lower_prefix(s, "snapshot") || lower_prefix(s, "pre") || lower_prefix(s, "dev") ||
        lower_prefix(s, "m1") || lower_prefix(s, "milestone"))
        v->pre = true;
}

int version_cmp(const char *a, const char *b)
{
    bool ea = !a || !a[0], eb = !b || !b[0];
    if (ea || eb) return ea && eb ? 0 : ea ? -1 : 1;
    struct ver va, vb;
    ver_parse(a, &va);
    ver_parse(b, &vb);
    for (int i = 0; i < VER_PARTS; i++) {
        if (va.c[i] != vb.c[i]) return va.c[i] < vb.c[i] ? -1 : 1;
    }
    if (va.pre != vb.pre) return va.pre ? -1 : 1;
    return 0;
}

/* ---- end-of-life table ---- */

/* Product keys: "elastic" covers Elasticsearch and Kibana (one stack, one lifecycle). */
static const struct eol_info eol_table[] = {
    /* Elastic Stack: https://www.elastic.co/support/eol. 1.7, 2.4, 5.6, 6.8 are the "commonly
       cited" dates of ../fixtures/elasticsearch/notes.md, marked unverified there; an earlier
       minor of the same major died earlier, so the major's date is an upper bound. */
    {"elastic", "1", "2017-01-16", "1.7.6", false},
    {"elastic", "2", "2018-02-28", "2.4.6", false},
    {"elastic", "5", "2019-03-11", "5.6.16", false},
    {"elastic", "6", "2022-02-10", "6.8.23", false},
    /* 7.0-7.16: each minor lived 18 months (vendor policy); 7.16 (GA 2021-12) the last,
       best knowledge, unverified. 7.17 and the 8.x dates are verified (endoflife.date copy
       quoted in notes.md). 8.0-8.15: upper bound from 8.15 GA 2024-08 + 18 months,
       unverified. */
    {"elastic", "7", "2023-06-07", NULL, false},
    {"elastic", "7.17", "2026-01-15", "7.17.29", true},
    {"elastic", "8", "2026-02-15", NULL, false},
    {"elastic", "8.16", "2025-04-15", NULL, true},
    {"elastic", "8.17", NULL, NULL, true},
    {"elastic", "8.18", "2025-10-21", NULL, true},
    {"elastic", "8.19", "2027-07-15", NULL, true},
    {"elastic", "9", NULL, NULL, true},
    /* MongoDB: https://www.mongodb.com/legal/support-policy/lifecycles via mongodb/notes.md
       (verified). 2.2/2.4/2.6 are known to the month only (MongoDB staff comment quoted
       there): the last day of that month is used. */
    {"mongodb", "2.2", "2014-02-28", "2.2.7", true},
    {"mongodb", "2.4", "2016-03-31", "2.4.14", true},
    {"mongodb", "2.6", "2016-10-31", "2.6.12", true},
    {"mongodb", "3.0", "2018-02-28", "3.0.15", true},
    {"mongodb", "3.2", "2018-09-30", "3.2.22", true},
    {"mongodb", "3.4", "2020-01-31", "3.4.24", true},
    {"mongodb", "3.6", "2021-04-30", "3.6.23", true},
    {"mongodb", "4.0", "2022-04-30", "4.0.28", true},
    {"mongodb", "4.2", "2023-04-30", "4.2.25", true},
    {"mongodb", "4.4", "2024-02-29", "4.4.29", true},
    {"mongodb", "5.0", "2024-10-31", "5.0.31", true},
    {"mongodb", "6.0", "2025-07-31", NULL, true},
    {"mongodb", "7.0", "2027-08-31", NULL, true},
    {"mongodb", "8.0", "2029-10-31", NULL, true},
    /* Redis: no published calendar; a line ends when the next major's successor ships
       (https://redis.io/about/releases). Dates below are the releases that ended them or
       the line's last release -- best knowledge, unverified. 6.2 and later: no date. */
    {"redis", "2", "2017-07-14", "2.8.24", false},
    {"redis", "3", "2018-10-17", "3.2.13", false},
    {"redis", "4", "2020-04-30", "4.0.14", false},
    {"redis", "5", "2021-10-04", "5.0.14", false},
    {"redis", "6.0", "2023-07-10", "6.0.20", false},
    {"redis", "6.2", NULL, NULL, false},
    {"redis", "7.0", "2024-07-29", "7.0.15", false},
    {"redis", "7.2", NULL, NULL, false},
    {"redis", "7.4", NULL, NULL, false},
    {"redis", "8", NULL, NULL, false},
    /* PostgreSQL: https://www.postgresql.org/support/versioning/ (five years per major) --
       best knowledge, unverified here. */
    {"postgresql", "8.4", "2014-07-24", "8.4.22", false},
    {"postgresql", "9.0", "2015-10-08", "9.0.23", false},
    {"postgresql", "9.1", "2016-10-27", "9.1.24", false},
    {"postgresql", "9.2", "2017-11-09", "9.2.24", false},
    {"postgresql", "9.3", "2018-11-08", "9.3.25", false},
    {"postgresql", "9.4", "2020-02-13", "9.4.26", false},
    {"postgresql", "9.5", "2021-02-11", "9.5.25", false},
    {"postgresql", "9.6", "2021-11-11", "9.6.24", false},
    {"postgresql", "10", "2022-11-10", "10.23", false},
    {"postgresql", "11", "2023-11-09", "11.22", false},
    {"postgresql", "12", "2024-11-21", "12.22", false},
    {"postgresql", "13", "2025-11-13", NULL, false},
    {"postgresql", "14", "2026-11-12", NULL, false},
    {"postgresql", "15", "2027-11-11", NULL, false},
    {"postgresql", "16", "2028-11-09", NULL, false},
    {"postgresql", "17", "2029-11-08", NULL, false},
    /* MySQL: Oracle Lifetime Support Policy (extended support end) -- best knowledge,
       unverified here. */
    {"mysql", "5.0", "2011-12-31", "5.0.96", false},
    {"mysql", "5.1", "2013-12-31", "5.1.73", false},
    {"mysql", "5.5", "2018-12-31", "5.5.62", false},
    {"mysql", "5.6", "2021-02-28", "5.6.51", false},
    {"mysql", "5.7", "2023-10-31", "5.7.44", false},
    {"mysql", "8.0", "2026-04-30", NULL, false},
    {"mysql", "8.4", "2032-04-30", NULL, false},
    /* MariaDB: https://mariadb.org/about/#maintenance-policy (five years for long-term
       lines, one year for short-term ones) -- best knowledge, unverified here. */
    {"mariadb", "5.5", "2020-04-11", "5.5.68", false},
    {"mariadb", "10.0", "2019-03-31", "10.0.38", false},
    {"mariadb", "10.1", "2020-10-17", "10.1.48", false},
    {"mariadb", "10.2", "2022-05-23", "10.2.44", false},
    {"mariadb", "10.3", "2023-05-25", "10.3.39", false},
    {"mariadb", "10.4", "2024-06-18", "10.4.34", false},
    {"mariadb", "10.5", "2025-06-24", NULL, false},
    {"mariadb", "10.6", "2026-07-06", NULL, false},
    {"mariadb", "10.7", "2023-02-09", "10.7.8", false},
    {"mariadb", "10.8", "2023-05-20", "10.8.8", false},
    {"mariadb", "10.9", "2023-08-22", "10.9.8", false},
    {"mariadb", "10.10", "2023-11-17", "10.10.7", false},
    {"mariadb", "10.11", "2028-02-16", NULL, false},
    {"mariadb", "11.0", "2024-06-06", "11.0.6", false},
    {"mariadb", "11.1", "2024-08-21", "11.1.6", false},
    {"mariadb", "11.2", "2024-11-21", "11.2.6", false},
    {"mariadb", "11.3", "2024-05-29", "11.3.2", false},
    {"mariadb", "11.4", "2029-05-29", NULL, false},
};

/* Map a product or service name to a table key. */
static const char *product_key(const char *product)
{
    static const struct {
        const char *name, *key;
    } alias[] = {
        {"elasticsearch", "elastic"}, {"kibana", "elastic"},      {"elastic", "elastic"},
        {"mongodb", "mongodb"},       {"mongo", "mongodb"},       {"redis", "redis"},
        {"postgresql", "postgresql"}, {"postgres", "postgresql"}, {"mysql", "mysql"},
        {"mariadb", "mariadb"},
    };
    if (!product) return NULL;
    for (size_t i = 0; i < ARRAY_LEN(alias); i++)
        if (str_ieq(product, alias[i].name)) return alias[i].key;
    return NULL;
}

/* Does line "5.6" cover version "5.6.16"? Returns the number of parts matched, 0 if not. */
static int line_covers(const char *line, const struct ver *v)
{
    struct ver l;
    ver_parse(line, &l);
    if (l.n == 0 || l.n > v->n) return 0;
    for (int i = 0; i < l.n; i++)
        if (l.c[i] != v->c[i]) return 0;
    return l.n;
}

const struct eol_info *eol_lookup(const char *product, const char *version)
{
    const char *key = product_key(product);
    if (!version || !version[0]) return NULL;
    /* The MySQL protocol reports MariaDB as "5.5.5-10.11.6-MariaDB". */
    if (mem_find(version, strlen(version), "mariadb", true)) {
        key = "mariadb";
        if (strncmp(version, "5.5.5-", 6) == 0) version += 6;
    }
    if (!key) return NULL;
    struct ver v;
    ver_parse(version, &v);
    if (v.n == 0) return NULL;
    const struct eol_info *best = NULL, *oldest = NULL;
    int best_parts = 0;
    for (size_t i = 0; i < ARRAY_LEN(eol_table); i++) {
        const struct eol_info *e = &eol_table[i];
        if (strcmp(e->product, key) != 0) continue;
        if (!oldest || version_cmp(e->line, oldest->line) < 0) oldest = e;
        int m = line_covers(e->line, &v);
        if (m > best_parts) {
            best_parts = m;
            best = e;
        }
    }
    if (best) return best;
    if (oldest && version_cmp(version, oldest->line) < 0) return oldest;
    return NULL;
}

bool no_auth_capability(const char *product, const char *version)
{
    if (!product || !version || !version[0]) return false;
    struct ver v;
    ver_parse(version, &v);
    if (v.n == 0) return false;
    /* Elasticsearch and Kibana: security joined the free Basic licence in 6.8.0 and 7.1.0
       (7.1.0 release notes; elastic/azure-marketplace 7.1.1 -- ../fixtures/elasticsearch/
       notes.md). Before, Shield (1.x/2.x) and X-Pack security (5.x-6.7) were paid. */
    if (str_ieq(product, "elasticsearch") || str_ieq(product, "kibana"))
        return version_cmp(version, "6.8.0") < 0 ||
               (version_cmp(version, "7.0.0") >= 0 && version_cmp(version, "7.1.0") < 0);
    /* Prometheus: basic auth and TLS arrived with --web.config.file in 2.24.0 (2021-01);
       before, only a reverse proxy could ask for a password. Best knowledge, unverified. */
    if (str_ieq(product, "prometheus")) return version_cmp(version, "2.24.0") < 0;
    /* Memcached: SASL since 1.4.3 (2009). Best knowledge, unverified. */
    if (str_ieq(product, "memcached")) return version_cmp(version, "1.4.3") < 0;
    /* MongoDB, Redis, PostgreSQL, MySQL, CouchDB...: always had free authentication, only
       off by default (mongodb/notes.md): an open one is a configuration choice. */
    return false;
}
