/*
 * assess/assess.c -- the rules: facts in, signals and a severity out.
 *
 * Each rule below reads only the finding (and the two numbers in
 * assess_ctx) and adds at most one signal with a sentence a person can act
 * on. Severity is per signal, and the finding's severity is the highest of
 * them, so the rubric (docs/signals.md) is visible in one place per rule:
 *
 *   critical  readable without credentials AND (personal-data schema, more
 *             than a million records, or a ransom note)
 *   high      readable without credentials, with data (or a console/API
 *             that hands out a data store or the host)
 *   medium    end of life or no-auth-capability; an expired or shared
 *             certificate on a data service; personal schema seen behind auth
 *   low       other certificate hygiene, outdated patch level
 *   info      anything identified (authentication required, current)
 *
 * "Readable" means auth none, or auth partial with data facts (some paths
 * answered). A data service (Redis, MongoDB...) that answers without
 * credentials is readable even when it holds nothing yet: whatever is
 * written next is exposed.
 */
#include "assess/assess.h"
#include "assess/signals.h"
#include "core/units.h"
#include "catalog/catalog.h"
#include "core/util.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DAY  86400
#define YEAR (365 * DAY)

static bool in_set(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (str_ieq(s, set[i])) return true;
    return false;
}

/* Service names are compared with '_' and '-' treated alike. */
static void norm_service(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        out[i] = c == '_' ? '-' : c;
    }
    out[i] = '\0';
}

static const char *const system_names[] = {
    "admin",
    "local",
    "config",
    "information_schema",
    "mysql",
    "performance_schema",
    "sys",
    "postgres",
    "template0",
    "template1",
    "_users",
    "_replicator",
    "_global_changes",
    "default",
    "system",
};

static bool is_system_name(const char *n)
{
    return n[0] == '.' || in_set(n, system_names, ARRAY_LEN(system_names));
}

static void date_str(time_t t, char *out, size_t n)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, n, "%Y-%m-%d", &tm) == 0) str_copy(out, "?", n);
}

static int parse_date(const char *s, time_t *out)
{
    uint64_t y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    if (parse_u64n(s, 4, 9999, &y) < 0 || parse_u64n(s + 5, 2, 12, &m) < 0 ||
        parse_u64n(s + 8, 2, 31, &d) < 0)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)m - 1;
    tm.tm_mday = (int)d;
    *out = timegm(&tm);
    return 0;
}

/* "1,204", "3.4 million" */
static void count_str(uint64_t v, char *out, size_t n)
{
    if (v >= 1000000000ull)
        str_fmt(out, n, "%.1f billion", (double)v / 1e9);
    else if (v >= 1000000ull)
        str_fmt(out, n, "%.1f million", (double)v / 1e6);
    else
        str_fmt(out, n, "%llu", (unsigned long long)v);
}

/* What the assessment derives once and every rule reads. */
struct facts {
    char service[32];
    const char *product; /* product, else service */
    char who[160];       /* "Kibana 5.5.3 at 10.0.0.1:5601" */
    bool data_service, console, infra, has_data, readable, data_bearing;
    int64_t records, bytes; /* -1 unknown */
    unsigned pii;           /* union of categories over names and fields */
    int64_t pii_records;    /* records in personal-looking names, -1 unknown */
    char pii_examples[96];  /* a few of the names that matched */
    int nransom;
    char ransom_examples[96];
    bool wiped;
    time_t now;
    /* per stored name and field, what the record's marks say (mark_names) */
    unsigned name_pii[FINDING_MAX_NAMES], field_pii[FINDING_MAX_NAMES];
    bool name_ransom[FINDING_MAX_NAMES]; /* counted as a ransom note */
};

/* snprintf(out, n, "%s%s%s%s", parts...) without printf: the same bytes, cut at n - 1 */
static void cat(char *out, size_t n, const char *const *parts, int np)
{
    if (!n) return;
    size_t o = 0;
    for (int i = 0; i < np; i++) {
        size_t l = strlen(parts[i]), room = n - 1 - o;
        if (l > room) l = room;
        memcpy(out + o, parts[i], l);
        o += l;
    }
    out[o] = '\0';
}

static void add_example(char *buf, size_t n, const char *name)
{
    size_t len = strlen(buf);
    if (len + strlen(name) + 3 >= n) return;
    const char *parts[] = {len ? ", " : "", name};
    cat(buf + len, n - len, parts, 2);
}

static void gather(const struct finding *f, const struct assess_ctx *c, struct facts *x)
{
    memset(x, 0, sizeof *x);
    x->now = c && c->now ? c->now : f->time;
    norm_service(f->service, x->service, sizeof x->service);
    x->product = f->product[0] ? f->product : f->service;
    const char *who[] = {x->product, f->version[0] ? " " : "", f->version};
    cat(x->who, sizeof x->who, who, 3);
    /* the class is the catalogue's: a broker's queues hold data as a store's tables do */
    enum svc_class cls = catalog_class(f->service);
    x->data_service = cls == SVC_DATA || cls == SVC_BROKER;
    x->console = cls == SVC_CONSOLE;
    x->infra = cls == SVC_INFRA;

    /* volume: the probe's total, else the sum of the per-name counts */
    x->records = f->records;
    x->bytes = f->bytes;
    int64_t rsum = -1, bsum = -1;
    for (uint32_t i = 0; i < f->names.n; i++) {
        /* saturating: a hostile server's counts may add up past INT64_MAX */
        finding_count_add(&rsum, f->name_records[i]);
        finding_count_add(&bsum, f->name_bytes[i]);
    }
    if (x->records < 0) x->records = rsum;
    if (x->bytes < 0) x->bytes = bsum;
    x->has_data = x->records > 0 || x->bytes > 0 || f->names.total > 0 || f->fields.total > 0 ||
                  f->databases > 0 || f->collections > 0;
    x->readable = f->auth == AUTH_NONE || (f->auth == AUTH_PARTIAL && x->has_data);
    x->data_bearing = x->data_service || x->console || x->has_data || f->has_via;

    /* personal data: names with their counts, then fields; ransom-note names aside */
    x->pii_records = -1;
    int weak = 0;
    char weak_examples[96] = "";
    for (uint32_t i = 0; i < f->names.n; i++) {
        const char *n = f->names.v[i];
        int rs = ransom_strength(n);
        if (rs == 2) {
            x->name_ransom[i] = true;
            x->nransom++;
            add_example(x->ransom_examples, sizeof x->ransom_examples, n);
            continue;
        }
        if (rs == 1) {
            weak++;
            add_example(weak_examples, sizeof weak_examples, n);
            continue;
        }
        unsigned m = pii_classify(n);
        if (!m) continue;
        x->name_pii[i] = m;
        x->pii |= m;
        add_example(x->pii_examples, sizeof x->pii_examples, n);
        finding_count_add(&x->pii_records, f->name_records[i]);
    }
    bool pii_fields = false;
    for (uint32_t i = 0; i < f->fields.n; i++) {
        unsigned m = pii_classify(f->fields.v[i]);
        if (!m) continue;
        x->field_pii[i] = m;
        x->pii |= m;
        pii_fields = true;
        add_example(x->pii_examples, sizeof x->pii_examples, f->fields.v[i]);
    }
    /* personal fields without per-name counts: every record is a candidate person */
    if (x->pii_records < 0 && pii_fields) x->pii_records = x->records;

    /* A wiped store: beside the note, only system names and tiny leftovers remain. A name that
     * is also a common legitimate one (README, WARNING, Backup1: "weak") counts as a note only
     * then. */
    if (x->nransom > 0 || weak > 0) {
        int other = 0;
        bool tiny = true;
        for (uint32_t i = 0; i < f->names.n; i++) {
            const char *n = f->names.v[i];
            if (is_system_name(n) || ransom_strength(n)) continue;
            other++;
            if (f->name_records[i] < 0 || f->name_records[i] > 10) tiny = false;
        }
        x->wiped = f->names.total == f->names.n && (other == 0 || (other <= 2 && tiny));
        if (weak && x->wiped) {
            x->nransom += weak;
            add_example(x->ransom_examples, sizeof x->ransom_examples, weak_examples);
            for (uint32_t i = 0; i < f->names.n; i++)
                if (ransom_strength(f->names.v[i]) == 1) x->name_ransom[i] = true;
        }
        if (!x->nransom) x->wiped = false;
    }
}

/* The record's marks: gather's conclusions per name and field, names first (docs/record.md).
 * The dashboard shows these; nothing else classifies a name. */
static void mark_names(struct finding *f, const struct facts *x)
{
    f->nmarks = 0;
    for (uint32_t i = 0; i < f->names.n && i < FINDING_MAX_NAMES; i++)
        if (x->name_pii[i] || x->name_ransom[i])
            finding_add_mark(f, MARK_NAMES, i, x->name_pii[i], x->name_ransom[i]);
    for (uint32_t i = 0; i < f->fields.n && i < FINDING_MAX_NAMES; i++)
        if (x->field_pii[i]) finding_add_mark(f, MARK_FIELDS, i, x->field_pii[i], false);
}

static bool critical_data(const struct facts *x)
{
    return x->pii || x->records > 1000000 || x->nransom > 0;
}

static void where(const struct finding *f, char *out, size_t n)
{
    char port[12], *p = port + sizeof port - 1;
    *p = '\0';
    unsigned v = (unsigned)f->port;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    bool v6 = strchr(f->ip, ':') != NULL;
    const char *parts[] = {v6 ? "[" : "", f->ip, v6 ? "]:" : ":", p};
    cat(out, n, parts, 4);
}

static const char *detail_str(const struct finding *f, const char *key)
{
    json_t *v = f->details ? json_object_get(f->details, key) : NULL;
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static void volume_phrase(const struct finding *f, const struct facts *x, char *out, size_t n)
{
    char r[48] = "", b[48] = "";
    if (x->records >= 0) count_str((uint64_t)x->records, r, sizeof r);
    if (x->bytes >= 0) fmt_bytes((int64_t)x->bytes, b, sizeof b);
    if (r[0] && b[0])
        str_fmt(out, n, "%s records, %s in %llu names", r, b, (unsigned long long)f->names.total);
    else if (r[0])
        str_fmt(out, n, "%s records in %llu names", r, (unsigned long long)f->names.total);
    else if (f->names.total)
        str_fmt(out, n, "%llu names", (unsigned long long)f->names.total);
    else
        str_copy(out, "no data facts yet", n);
}

/* ---- rules ---- */

static void rule_no_auth(struct finding *f, const struct facts *x)
{
    bool console_open = x->console && f->auth == AUTH_NONE;
    if (!x->readable || !(x->has_data || x->data_service || console_open || f->has_via)) return;
    enum severity sev = critical_data(x) ? SEV_CRITICAL : SEV_HIGH;
    char vol[96];
    volume_phrase(f, x, vol, sizeof vol);
    const char *how = f->auth == AUTH_PARTIAL ? "partly readable" : "readable";
    if (f->has_via) {
        char via[64];
        if (strchr(f->via_ip, ':'))
            str_fmt(via, sizeof via, "[%s]:%u", f->via_ip, (unsigned)f->via_port);
        else
            str_fmt(via, sizeof via, "%s:%u", f->via_ip, (unsigned)f->via_port);
        finding_add_signal(f, signal_name(SIG_NO_AUTH), sev,
                           "%s data %s without credentials through %s at %s (%s)", x->who, how,
                           f->via_service[0] ? f->via_service : "a console", via, vol);
    } else {
        finding_add_signal(f, signal_name(SIG_NO_AUTH), sev,
                           "%s answers without credentials: data %s (%s)", x->who, how, vol);
    }
}

static void rule_dashboard(struct finding *f, const struct facts *x)
{
    char at[64];
    where(f, at, sizeof at);
    if (x->console && f->auth == AUTH_NONE) {
        const char *to = detail_str(f, "proxies_to");
        if (!to && strcmp(x->service, "kibana") == 0) to = "its Elasticsearch";
        if (!to) to = "its database";
        finding_add_signal(f, signal_name(SIG_DASHBOARD_EXPOSES_STORE), SEV_HIGH,
                           "open %s console at %s: anyone can browse and query %s through it -- an "
                           "open door to the data vault",
                           x->product, at, to);
        return;
    }
    if (f->has_via && catalog_class(f->via_service) == SVC_CONSOLE)
        finding_add_signal(f, signal_name(SIG_DASHBOARD_EXPOSES_STORE), SEV_HIGH,
                           "%s is reachable without credentials through the open %s console at "
                           "%s:%u",
                           x->who, f->via_service, f->via_ip, (unsigned)f->via_port);
}

static void rule_default_account(struct finding *f, const struct facts *x)
{
    const struct svc *sv = catalog_service(f->service);
    if (f->auth != AUTH_NONE || !sv || !sv->default_account) return;
    const char *user = detail_str(f, "user");
    const char *method = detail_str(f, "auth_method");
    if (!user) user = sv->default_account;
    if (!method) method = strcmp(x->service, "postgresql") == 0 ? "trust" : "empty password";
    finding_add_signal(f, signal_name(SIG_DEFAULT_ACCOUNT_EMPTY_PASSWORD), SEV_HIGH,
                       "%s let the default account '%s' in without a password (%s)", x->who, user,
                       method);
}

static void rule_no_auth_capability(struct finding *f, const struct facts *x)
{
    if (!no_auth_capability_either(x->product, f->service, f->version)) return;
    const char *why = "this version had no free built-in authentication";
    if (str_ieq(x->service, "elasticsearch") || str_ieq(x->service, "kibana") ||
        str_ieq(x->product, "elasticsearch") || str_ieq(x->product, "kibana"))
        why = "security was a paid feature before 6.8.0/7.1.0";
    finding_add_signal(f, signal_name(SIG_NO_AUTH_CAPABILITY), SEV_MEDIUM,
                       "%s: %s -- there was no way to add a password short of a licence or a proxy",
                       x->who, why);
}

static void rule_versions(struct finding *f, const struct facts *x)
{
    if (!f->version[0]) return;
    /* ">=3.3": only a lower bound (a version inferred from protocol features, kafka.c) -- the
     * real release may be any newer one, so neither end of life nor "outdated" can be said */
    if (f->version[0] == '>') return;
    /* a version inferred from protocol features names a release line ("2.6"), not a
     * release: the line's end of life holds, but whether it is behind the line's newest
     * release cannot be told */
    bool line_only = detail_str(f, "version_inferred_from") != NULL;
    const struct eol_info *e = eol_lookup(x->product, f->version);
    if (!e) e = eol_lookup(f->service, f->version);
    if (!e) return;
    time_t eol;
    bool older = version_cmp(f->version, e->line) < 0;
    if (e->eol_date && parse_date(e->eol_date, &eol) == 0 && eol <= x->now) {
        double years = (double)(x->now - eol) / (double)YEAR;
        finding_add_signal(f, signal_name(SIG_END_OF_LIFE), SEV_MEDIUM,
                           "%s is %s the %s line, which reached end of life by %s: %.1f years "
                           "without security fixes%s",
                           x->who, older ? "older than" : "in", e->line, e->eol_date, years,
                           e->verified ? "" : " (a date its source marks unverified)");
        return;
    }
    if (e->ended) {
        finding_add_signal(f, signal_name(SIG_END_OF_LIFE), SEV_MEDIUM,
                           "%s is %s the %s line, which has reached end of life (its vendor "
                           "published no date)",
                           x->who, older ? "older than" : "in", e->line);
        return;
    }
    if (!line_only && e->latest && version_cmp(f->version, e->latest) < 0)
        finding_add_signal(f, signal_name(SIG_OUTDATED), SEV_LOW,
                           "%s is behind %s, the newest %s release ajar knows of", x->who,
                           e->latest, e->line);
}

static void rule_certs(struct finding *f, const struct facts *x, const struct assess_ctx *c)
{
    const struct tls_facts *t = &f->tls;
    if (!t->present) return;
    enum severity data_sev = x->data_bearing ? SEV_MEDIUM : SEV_LOW;
    char d1[16], d2[16];
    if (t->expired) {
        date_str(t->not_after, d1, sizeof d1);
        long days = t->not_after > 0 ? (long)((x->now - t->not_after) / DAY) : -1;
        finding_add_signal(f, signal_name(SIG_CERT_EXPIRED), data_sev,
                           "the certificate expired on %s, %ld days before the scan", d1, days);
    }
    if (t->not_yet_valid) {
        date_str(t->not_before, d1, sizeof d1);
        finding_add_signal(f, signal_name(SIG_CERT_NOT_YET_VALID), SEV_LOW,
                           "the certificate is valid only from %s (a wrong clock or a pre-made "
                           "certificate)",
                           d1);
    }
    if (t->self_signed)
        finding_add_signal(f, signal_name(SIG_CERT_SELF_SIGNED), SEV_LOW,
                           "self-signed certificate (%s): clients cannot tell it from an "
                           "impostor's",
                           t->subject_cn[0] ? t->subject_cn : t->subject);
    bool rsa = strncmp(t->key_type, "rsa", 3) == 0;
    if ((rsa && t->key_bits > 0 && t->key_bits < 2048) ||
        (strcmp(t->key_type, "ec") == 0 && t->key_bits > 0 && t->key_bits < 224) ||
        strcmp(t->key_type, "dsa") == 0)
        finding_add_signal(f, signal_name(SIG_CERT_WEAK_KEY), SEV_LOW,
                           "weak certificate key: %s %d bits", t->key_type, t->key_bits);
    if (t->name_match == 0)
        finding_add_signal(f, signal_name(SIG_CERT_NAME_MISMATCH), SEV_LOW,
                           "the certificate (CN %s, %d SANs) does not cover the name %s",
                           t->subject_cn[0] ? t->subject_cn : "none", t->nsan,
                           f->host[0] ? f->host : "scanned");
    int hosts = c ? c->cert_hosts : 0;
    if (hosts >= 2)
        finding_add_signal(f, signal_name(SIG_CERT_SHARED), data_sev,
                           "the same certificate (sha256 %.16s...) is served by %d hosts: one "
                           "private key copied across machines",
                           t->sha256, hosts);
    bool old_issue = t->not_before > 0 && x->now - t->not_before > 2 * YEAR;
    bool long_expired = t->expired && t->not_after > 0 && x->now - t->not_after > YEAR;
    if (old_issue || long_expired) {
        date_str(t->not_before, d1, sizeof d1);
        date_str(t->not_after, d2, sizeof d2);
        if (long_expired)
            finding_add_signal(f, signal_name(SIG_CERT_STALE), SEV_LOW,
                               "expired for %.1f years (issued %s, expired %s): no maintenance "
                               "whatsoever",
                               (double)(x->now - t->not_after) / (double)YEAR, d1, d2);
        else
            finding_add_signal(f, signal_name(SIG_CERT_STALE), SEV_LOW,
                               "certificate not renewed for %.1f years (issued %s)",
                               (double)(x->now - t->not_before) / (double)YEAR, d1);
    }
}

static void rule_personal(struct finding *f, const struct facts *x)
{
    if (!x->pii) return;
    char cats[128] = "";
    size_t len = 0;
    for (int i = 0; i < PII_NCATEGORIES; i++) {
        unsigned b = 1u << i;
        if (!(x->pii & b)) continue;
        int w =
            str_fmt(cats + len, sizeof cats - len, "%s%s", len ? ", " : "", pii_category_label(b));
        if (w > 0) len += (size_t)w;
        if (len >= sizeof cats) break;
    }
    finding_add_signal(f, signal_name(SIG_PERSONAL_DATA_SCHEMA),
                       x->readable ? SEV_CRITICAL : SEV_MEDIUM,
                       "names that look like personal data (%s): %s", cats, x->pii_examples);
}

static void rule_volume(struct finding *f, const struct facts *x, const struct assess_ctx *c)
{
    const char *rb = NULL;
    if (x->records > 100000000)
        rb = "over 100 million records";
    else if (x->records > 1000000)
        rb = "over 1 million records";
    else if (x->records > 1000)
        rb = "over 1,000 records";
    const char *bb = NULL;
    if (x->bytes > 1099511627776ll)
        bb = "over 1 TB";
    else if (x->bytes > 1073741824ll)
        bb = "over 1 GB";
    if (rb || bb) {
        enum severity sev = !x->readable           ? SEV_INFO
                            : x->records > 1000000 ? SEV_CRITICAL
                                                   : SEV_HIGH;
        char r[48] = "?", b[48] = "?";
        if (x->records >= 0) count_str((uint64_t)x->records, r, sizeof r);
        if (x->bytes >= 0) fmt_bytes((int64_t)x->bytes, b, sizeof b);
        finding_add_signal(f, signal_name(SIG_LARGE_DATASET), sev, "%s%s%s (%s records, %s)",
                           rb ? rb : "", rb && bb ? ", " : "", bb ? bb : "", r, b);
    }
    uint64_t threshold =
        c && c->personal_threshold ? c->personal_threshold : ASSESS_PERSONAL_THRESHOLD;
    if (x->pii && x->pii_records > 0 && (uint64_t)x->pii_records > threshold) {
        char r[48], t[48];
        count_str((uint64_t)x->pii_records, r, sizeof r);
        count_str(threshold, t, sizeof t);
        finding_add_signal(f, signal_name(SIG_PERSONAL_DATA_OVER_THRESHOLD),
                           x->readable ? SEV_CRITICAL : SEV_HIGH,
                           "about %s records in personal-looking names: more people than the %s "
                           "at which a leak must be reported to the regulator",
                           r, t);
    }
}

static void rule_ransom(struct finding *f, const struct facts *x)
{
    if (!x->nransom) return;
    finding_add_signal(f, signal_name(SIG_RANSOM_NOTE), x->readable ? SEV_CRITICAL : SEV_MEDIUM,
                       "ransom-note names: %s%s", x->ransom_examples,
                       x->wiped ? " -- and nothing else of size remains: the store looks wiped"
                                : "");
}

static void rule_infra(struct finding *f, const struct facts *x)
{
    char at[64]; /* where(), written only when a signal says it */
    /* A service that is not initialised has no owner yet: whoever calls its setup first owns it
     * (Vault's sys/init hands over the unseal keys and the root token; a Couchbase node that was
     * never set up takes the first administrator it is given) -- whatever its auth. */
    if (f->details && json_is_false(json_object_get(f->details, "initialized")) &&
        (x->infra || x->data_service)) {
        where(f, at, sizeof at);
        finding_add_signal(f, signal_name(SIG_EXPOSED_INFRASTRUCTURE), SEV_CRITICAL,
                           "%s at %s is not initialised: whoever reaches it first can set it up "
                           "and own it",
                           x->who, at);
        return;
    }
    if (!x->infra || f->auth != AUTH_NONE) return;
    where(f, at, sizeof at);
    /* what an open one hands anyone: the catalogue entry's exposure */
    const struct svc *e = catalog_service(f->service);
    switch (e ? e->exposure : EXP_MAP) {
    case EXP_CODE:
        finding_add_signal(f, signal_name(SIG_EXPOSED_INFRASTRUCTURE), SEV_HIGH,
                           "%s open at %s: anyone can run code through it (a container, an "
                           "application, a kernel) on the hosts it controls",
                           x->who, at);
        break;
    case EXP_SECRETS:
        finding_add_signal(f, signal_name(SIG_EXPOSED_INFRASTRUCTURE), SEV_HIGH,
                           "%s open at %s: the cluster's configuration (and any secrets kept "
                           "there) readable and writable",
                           x->who, at);
        break;
    default:
        finding_add_signal(f, signal_name(SIG_EXPOSED_INFRASTRUCTURE), SEV_MEDIUM,
                           "%s open at %s: a map of internal hosts and services for anyone", x->who,
                           at);
    }
}

/* Researchers filter honeypots out: known answers, or an address that is every store at once. */
static void rule_honeypot(struct finding *f, const struct assess_ctx *c)
{
    char why[200];
    const char *project = honeypot_match(f, why, sizeof why);
    if (project)
        finding_add_signal(f, signal_name(SIG_HONEYPOT_SUSPECT), SEV_INFO,
                           "answers as the %s honeypot does (%s)", project, why);
    else if (c && c->host_stores >= HONEYPOT_MIN_STORES)
        finding_add_signal(f, signal_name(SIG_HONEYPOT_SUSPECT), SEV_INFO,
                           "this address answered as %d different stores at once", c->host_stores);
}

void assess_finding(struct finding *f, const struct assess_ctx *c)
{
    f->nsignals = 0;
    f->severity = SEV_NONE;
    struct facts x;
    gather(f, c, &x);
    mark_names(f, &x);
    rule_no_auth(f, &x);
    rule_dashboard(f, &x);
    rule_default_account(f, &x);
    rule_infra(f, &x);
    rule_no_auth_capability(f, &x);
    rule_versions(f, &x);
    rule_certs(f, &x, c);
    rule_personal(f, &x);
    rule_volume(f, &x, c);
    rule_ransom(f, &x);
    rule_honeypot(f, c);
    bool identified = f->service[0] && strcmp(f->service, "unknown") != 0;
    if ((identified || f->nsignals) && f->severity < SEV_INFO) f->severity = SEV_INFO;
    cluster_key(f, f->cluster, sizeof f->cluster);
}

/* ---- clusters ---- */

/* An index name with its variable parts blanked: digits -> '#', random ids -> '*'. */
static void name_pattern(const char *in, char *out, size_t n)
{
    char tmp[FINDING_MAX_NAME * 2];
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 1 < sizeof tmp; i++) {
        char c = in[i];
        if (c >= '0' && c <= '9') {
            if (j == 0 || tmp[j - 1] != '#') tmp[j++] = '#';
            continue;
        }
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        tmp[j++] = c;
    }
    tmp[j] = '\0';
    /* a long word mixing letters and digits is a generated id */
    size_t o = 0;
    for (size_t i = 0; tmp[i] && o + 1 < n;) {
        size_t k = i;
        bool alnum = (tmp[k] >= 'a' && tmp[k] <= 'z') || tmp[k] == '#';
        if (!alnum) {
            out[o++] = tmp[i++];
            continue;
        }
        int hashes = 0;
        while ((tmp[k] >= 'a' && tmp[k] <= 'z') || tmp[k] == '#')
            hashes += tmp[k++] == '#';
        if (k - i >= 8 && hashes >= 2) {
            out[o++] = '*';
        } else {
            for (size_t m = i; m < k && o + 1 < n; m++)
                out[o++] = tmp[m];
        }
        i = k;
    }
    out[o] = '\0';
}

/* es-cn-0pp1f1y5g000abcd.kibana.example -> es-cn-*.kibana.example */
static void cert_name_pattern(const char *in, char *out, size_t n)
{
    out[0] = '\0';
    if (!in || !in[0]) return;
    const char *dot = strchr(in, '.');
    size_t label = dot ? (size_t)(dot - in) : strlen(in);
    size_t o = 0;
    size_t start = 0;
    bool star = false;
    for (size_t i = 0; i <= label && o + 2 < n; i++) {
        if (i < label && in[i] != '-') continue;
        bool digit = false;
        for (size_t k = start; k < i; k++)
            digit |= in[k] >= '0' && in[k] <= '9';
        if (digit) {
            out[o++] = '*';
            star = true;
            break;
        }
        for (size_t k = start; k < i && o + 2 < n; k++) {
            char c = in[k];
            out[o++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        if (i < label) out[o++] = '-';
        start = i + 1;
    }
    (void)star;
    out[o] = '\0';
    if (dot) {
        size_t len = strlen(out);
        for (const char *p = dot; *p && len + 1 < n; p++)
            out[len++] = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        out[len] = '\0';
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The cluster key's message, on the stack: at most KEY_MSG_CAP bytes, as the struct buf it
 * replaces allowed (a longer message gets no key). No allocation per record. */
#define KEY_MSG_CAP 16384
struct key_msg {
    size_t len;
    bool over;
    char d[KEY_MSG_CAP];
};

static void km_puts(struct key_msg *k, const char *s)
{
    size_t l = strlen(s);
    if (k->over || l > KEY_MSG_CAP - k->len) {
        k->over = true;
        return;
    }
    memcpy(k->d + k->len, s, l);
    k->len += l;
}

/* SHA-256 fetched once: EVP_sha256() made EVP_Digest fetch the implementation per record */
static EVP_MD *sha256_impl;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_impl = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_impl;
}

void cluster_key(const struct finding *f, char *out, size_t n)
{
    if (n) out[0] = '\0';
    if (n < 13) return;
    struct key_msg m;
    m.len = 0;
    m.over = false;
    /* the names' patterns: on the stack for the names a record holds (FINDING_MAX_NAMES) */
    char stack_pats[FINDING_MAX_NAMES][FINDING_MAX_NAME];
    const char *stack_sorted[FINDING_MAX_NAMES];
    char(*pats)[FINDING_MAX_NAME] = stack_pats, (*heap_pats)[FINDING_MAX_NAME] = NULL;
    const char **sorted = stack_sorted, **heap_sorted = NULL;
    if (f->tls.present && f->tls.sha256[0]) {
        km_puts(&m, "cert:");
        km_puts(&m, f->tls.sha256);
    } else {
        char service[32];
        norm_service(f->product[0] ? f->product : f->service, service, sizeof service);
        if (!service[0] || strcmp(service, "unknown") == 0) goto out;
        char certpat[256] = "";
        if (f->tls.present)
            cert_name_pattern(f->tls.nsan ? f->tls.san[0] : f->tls.subject_cn, certpat,
                              sizeof certpat);
        if (!f->version[0] && !f->names.n && !certpat[0]) goto out;
        km_puts(&m, "cfg:");
        km_puts(&m, service);
        km_puts(&m, "|");
        km_puts(&m, f->version);
        km_puts(&m, "|");
        if (f->names.n) {
            if (f->names.n > FINDING_MAX_NAMES) {
                pats = heap_pats = xcalloc(f->names.n, sizeof *pats);
                sorted = heap_sorted = xcalloc(f->names.n, sizeof *sorted);
                if (!pats || !sorted) goto out;
            }
            for (uint32_t i = 0; i < f->names.n; i++) {
                name_pattern(f->names.v[i], pats[i], sizeof pats[i]);
                sorted[i] = pats[i];
            }
            qsort(sorted, f->names.n, sizeof *sorted, cmp_str);
            for (uint32_t i = 0; i < f->names.n; i++)
                if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0) {
                    km_puts(&m, sorted[i]);
                    km_puts(&m, ",");
                }
        }
        km_puts(&m, "|");
        km_puts(&m, certpat);
    }
    if (m.over) goto out;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    const EVP_MD *sha256 = sha256_md();
    if (!sha256 || EVP_Digest(m.d, m.len, md, &ml, sha256, NULL) != 1 || ml < 6) goto out;
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 6; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[12] = '\0';
out:
    free(heap_pats);
    free(heap_sorted);
}
