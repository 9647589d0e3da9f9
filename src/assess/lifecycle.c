/*
 * assess/lifecycle.c -- how old is this version, and could it have had a
 * password at all? The data is data/lifecycle.tsv (release lines,
 * end-of-life dates, newest releases, each row with its source), embedded
 * in the binary at build time (lifecycle_data.c) and replaceable with a
 * newer copy (`ajar scan --lifecycle FILE`); the versions without free
 * authentication are the catalogue's (`no_auth` of each entry).
 *
 * The table is a file a user may hand us, so it is read as hostile: at
 * most LC_FILE_CAP bytes and LC_MAX_ROWS rows, every field capped, every
 * date checked, a bad line stops it with "FILE:LINE: what is wrong".
 *
 * Lookup: the product's slug (its name lowercased, spaces as '-'), else
 * the catalogue's lifecycle slug of the service it names; then the most
 * specific line that covers the version ("5.6" before "5"); a version
 * older than every line of a known product gets the oldest line (its end
 * of life is then an upper bound). A MySQL-protocol version such as
 * "5.5.5-10.11.6-MariaDB" is MariaDB 10.11.6.
 */
#include "assess/assess.h"
#include "catalog/catalog.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LC_FILE_CAP (4u << 20)
#define LC_MAX_ROWS 20000
#define LC_FIELD    256

static const char *const columns[] = {"product",     "cycle", "release_date", "eol",      "latest",
                                      "latest_date", "lts",   "source",       "retrieved"};

struct lc_row {
    struct eol_info info;
    char *strings; /* product, line, eol_date, latest, source: back to back */
};

struct lifecycle {
    struct lc_row *rows;
    size_t n, cap;
};

static struct lifecycle *active; /* NULL: the embedded table, parsed on first use */
static bool embedded_tried;

extern const char lifecycle_tsv[]; /* lifecycle_data.c: data/lifecycle.tsv, NUL-terminated */

void lifecycle_free(struct lifecycle *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].strings);
    free(t->rows);
    free(t);
}

static bool date_ok(const char *s)
{
    uint64_t y, m, d;
    return strlen(s) == 10 && s[4] == '-' && s[7] == '-' && parse_u64n(s, 4, 9999, &y) == 0 &&
           y >= 1970 && parse_u64n(s + 5, 2, 12, &m) == 0 && m >= 1 &&
           parse_u64n(s + 8, 2, 31, &d) == 0 && d >= 1;
}

static bool slug_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 63) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_' || s[i] == '.'))
            return false;
    return true;
}

/* One data line into row; 0, or -1 with e set. */
static int parse_row(const char *name, int lineno, char *line, struct lc_row *row, struct err *e)
{
    char *f[9];
    int nf = 0;
    for (char *p = line;;) {
        if (nf == 9) return err_set(e, "%s:%d: more than 9 columns", name, lineno);
        f[nf++] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = 0;
        p = tab + 1;
    }
    if (nf < 8)
        return err_set(e, "%s:%d: %d columns, want 9 (or 8 without retrieved)", name, lineno, nf);
    for (int i = 0; i < nf; i++) {
        if (strlen(f[i]) >= LC_FIELD)
            return err_set(e, "%s:%d: column %s longer than %d bytes", name, lineno, columns[i],
                           LC_FIELD - 1);
        for (const unsigned char *p = (const unsigned char *)f[i]; *p; p++)
            if (*p < 0x20 || *p == 0x7f)
                return err_set(e, "%s:%d: a control character in %s", name, lineno, columns[i]);
    }
    if (!slug_ok(f[0])) return err_set(e, "%s:%d: product: a lowercase slug", name, lineno);
    if (!f[1][0] || !strchr("0123456789", f[1][0]))
        return err_set(e, "%s:%d: cycle: a release line such as 5.6", name, lineno);
    if (f[2][0] && !date_ok(f[2]))
        return err_set(e, "%s:%d: release_date: YYYY-MM-DD or empty", name, lineno);
    bool ended = false;
    const char *eol = NULL;
    if (!strcmp(f[3], "true"))
        ended = true;
    else if (date_ok(f[3]))
        eol = f[3];
    else if (strcmp(f[3], "false") != 0)
        return err_set(e, "%s:%d: eol: YYYY-MM-DD, true or false", name, lineno);
    if (!f[7][0]) return err_set(e, "%s:%d: source: where the row comes from", name, lineno);
    const char *parts[5] = {f[0], f[1], eol, f[4][0] ? f[4] : NULL, f[7]};
    size_t total = 0;
    for (int i = 0; i < 5; i++)
        total += parts[i] ? strlen(parts[i]) + 1 : 0;
    row->strings = xmalloc(total);
    if (!row->strings) return err_set(e, "out of memory");
    char *o = row->strings;
    const char *copies[5];
    for (int i = 0; i < 5; i++) {
        copies[i] = NULL;
        if (!parts[i]) continue;
        size_t l = strlen(parts[i]) + 1;
        memcpy(o, parts[i], l);
        copies[i] = o;
        o += l;
    }
    row->info = (struct eol_info){.product = copies[0],
                                  .line = copies[1],
                                  .eol_date = copies[2],
                                  .latest = copies[3],
                                  .source = copies[4],
                                  .ended = ended,
                                  .verified = !strstr(copies[4], "unverified")};
    return 0;
}

int lifecycle_parse(const char *name, const char *text, size_t n, struct lifecycle **out,
                    struct err *e)
{
    *out = NULL;
    if (n > LC_FILE_CAP) return err_set(e, "%s:1: larger than %u bytes", name, LC_FILE_CAP);
    if (memchr(text, 0, n)) return err_set(e, "%s:1: a NUL byte in the file", name);
    struct lifecycle *t = xcalloc(1, sizeof *t);
    if (!t) return err_set(e, "out of memory");
    char line[9 * LC_FIELD + 16];
    bool header = false;
    int lineno = 0, rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        lineno++;
        const char *nl = memchr(text + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (text + i)) : n - i;
        if (len && text[i + len - 1] == '\r') len--;
        if (len >= sizeof line) {
            rc = err_set(e, "%s:%d: a line longer than %zu bytes", name, lineno, sizeof line - 1);
            break;
        }
        memcpy(line, text + i, len);
        line[len] = 0;
        i += (nl ? (size_t)(nl - (text + i)) + 1 : n - i);
        if (!line[0] || line[0] == '#') continue;
        if (!header) {
            char want[160];
            size_t o = 0;
            for (size_t c = 0; c < ARRAY_LEN(columns); c++)
                o += (size_t)str_fmt(want + o, sizeof want - o, "%s%s", c ? "\t" : "", columns[c]);
            if (strcmp(line, want) != 0)
                rc = err_set(e, "%s:%d: the first line must name the columns (%s)", name, lineno,
                             "product, cycle, release_date, eol, latest, latest_date, lts, "
                             "source, retrieved");
            header = true;
            continue;
        }
        if (t->n >= LC_MAX_ROWS) {
            rc = err_set(e, "%s:%d: more than %d rows", name, lineno, LC_MAX_ROWS);
            break;
        }
        struct lc_row *nv = arr_grow(t->rows, t->n, &t->cap, sizeof *nv, 256);
        if (!nv) {
            rc = err_set(e, "out of memory");
            break;
        }
        t->rows = nv;
        if (parse_row(name, lineno, line, &t->rows[t->n], e) < 0) {
            rc = -1;
            break;
        }
        t->n++;
    }
    if (rc == 0 && !header) rc = err_set(e, "%s:1: no header line, no rows", name);
    if (rc < 0) {
        lifecycle_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

static unsigned table_gen; /* changes with every table loaded or dropped (eol_lookup's memo) */

static const struct lifecycle *table(void)
{
    if (!active && !embedded_tried) {
        struct err e;
        embedded_tried = true;
        if (lifecycle_parse("data/lifecycle.tsv (built in)", lifecycle_tsv, strlen(lifecycle_tsv),
                            &active, &e) < 0)
            log_warn("%s", e.msg); /* the build's own file: test_lifecycle keeps it valid */
    }
    return active;
}

int lifecycle_load_file(const char *path, struct err *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return err_set(e, "%s: %s", path, strerror(errno));
    char *b = xmalloc(LC_FILE_CAP + 2);
    if (!b) {
        fclose(fp);
        return err_set(e, "%s: out of memory", path);
    }
    size_t k = fread(b, 1, LC_FILE_CAP + 1, fp);
    bool bad = ferror(fp) != 0;
    fclose(fp);
    if (bad) {
        free(b);
        return err_set(e, "%s: cannot read it", path);
    }
    struct lifecycle *t = NULL;
    int rc = lifecycle_parse(path, b, k, &t, e);
    free(b);
    if (rc < 0) return -1;
    lifecycle_free(active);
    active = t;
    embedded_tried = true;
    table_gen++;
    return 0;
}

void lifecycle_reset(void)
{
    lifecycle_free(active);
    active = NULL;
    embedded_tried = false;
    table_gen++;
}

size_t lifecycle_rows(void)
{
    const struct lifecycle *t = table();
    return t ? t->n : 0;
}

/* The table's slug for a product or service name, or NULL. */
static const char *slug_of(const struct lifecycle *t, const char *name, char *buf, size_t n)
{
    size_t i = 0;
    for (; name[i] && i + 1 < n; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        buf[i] = c == ' ' ? '-' : c;
    }
    buf[i] = 0;
    for (size_t r = 0; r < t->n; r++)
        if (!strcmp(t->rows[r].info.product, buf)) return buf;
    const struct svc *s = catalog_find(name);
    return s && s->lifecycle ? s->lifecycle : NULL;
}

static const struct eol_info *eol_find(const struct lifecycle *t, const char *product,
                                       const char *version);

/* The answers of recent lookups (a scan asks the same product and version for every store of a
 * fleet: a walk of the table each time was 3% of a fast probe stage). Per thread; an entry is
 * good while the table it came from is the active one. */
#define EOL_MEMO 64
struct eol_memo {
    const struct lifecycle *t;
    unsigned gen;
    char product[48], version[48];
    const struct eol_info *e;
};
static _Thread_local struct eol_memo memo[EOL_MEMO];

const struct eol_info *eol_lookup(const char *product, const char *version)
{
    const struct lifecycle *t = table();
    if (!t || !product || !version || !version[0]) return NULL;
    size_t pl = strlen(product), vl = strlen(version);
    if (pl >= sizeof memo[0].product || vl >= sizeof memo[0].version)
        return eol_find(t, product, version);
    uint32_t h = 2166136261u;
    for (const char *c = product; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    for (const char *c = version; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    struct eol_memo *m = &memo[h % EOL_MEMO];
    if (m->t == t && m->gen == table_gen && !strcmp(m->product, product) &&
        !strcmp(m->version, version))
        return m->e;
    m->e = eol_find(t, product, version);
    m->t = t;
    m->gen = table_gen;
    memcpy(m->product, product, pl + 1);
    memcpy(m->version, version, vl + 1);
    return m->e;
}

static const struct eol_info *eol_find(const struct lifecycle *t, const char *product,
                                       const char *version)
{
    char buf[64];
    const char *key = slug_of(t, product, buf, sizeof buf);
    /* The MySQL protocol reports MariaDB as "5.5.5-10.11.6-MariaDB". */
    if (mem_find(version, strlen(version), "mariadb", true)) {
        key = "mariadb";
        if (strncmp(version, "5.5.5-", 6) == 0) version += 6;
    }
    if (!key) return NULL;
    const struct eol_info *best = NULL, *oldest = NULL;
    int best_parts = 0;
    for (size_t r = 0; r < t->n; r++) {
        const struct eol_info *e = &t->rows[r].info;
        if (strcmp(e->product, key) != 0) continue;
        if (!oldest || version_cmp(e->line, oldest->line) < 0) oldest = e;
        int m = version_line_covers(e->line, version);
        if (m > best_parts) {
            best_parts = m;
            best = e;
        }
    }
    if (best) return best;
    if (oldest && version_cmp(version, oldest->line) < 0) return oldest;
    return NULL;
}

/* Is version inside the ranges "-6.8.0,7.0.0-7.1.0" ("-B": below B; "A-B": from A, below B)? */
static bool in_ranges(const char *ranges, const char *version)
{
    char buf[128];
    str_copy(buf, ranges, sizeof buf);
    char *save = NULL;
    for (char *r = strtok_r(buf, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
        while (*r == ' ')
            r++;
        char *dash = r[0] == '-' ? r : strchr(r + 1, '-');
        if (!dash) continue;
        *dash = 0;
        const char *lo = r, *hi = dash + 1;
        if ((!lo[0] || version_cmp(version, lo) >= 0) && (!hi[0] || version_cmp(version, hi) < 0))
            return true;
    }
    return false;
}

static bool version_numeric(const char *version)
{
    return version && version[0] &&
           (strspn(version, "0123456789") ||
            (version[0] == 'v' && strspn(version + 1, "0123456789")));
}

bool no_auth_capability(const char *product, const char *version)
{
    if (!product || !version_numeric(version)) return false;
    const struct svc *s = catalog_find(product);
    return s && s->no_auth && in_ranges(s->no_auth, version);
}

bool no_auth_capability_either(const char *a, const char *b, const char *version)
{
    if (!version_numeric(version)) return false;
    const struct svc *sa = a ? catalog_find(a) : NULL, *sb = b ? catalog_find(b) : NULL;
    if (sa && sa->no_auth && in_ranges(sa->no_auth, version)) return true;
    /* the same catalogue entry (a product and the service it names): the same answer */
    return sb && sb != sa && sb->no_auth && in_ranges(sb->no_auth, version);
}
