/*
 * assess/honeypot.c -- answers known from public honeypot projects (data/honeypots.tsv, built
 * in: honeypot_data.c). A record matching every row of a group gets the info signal
 * honeypot-suspect naming the project; so does an address answering as many different stores
 * at once (assess_ctx.host_stores, counted by the scan). Nothing is dropped: researchers
 * filter on the signal.
 *
 * A row: id (rows sharing it must all hold), service, a JSON pointer into the record
 * (finding_to_json), op (equals, contains, has), value, project, source. The table is parsed
 * once; rows that do not parse are left out (test_assess checks the shipped file parses whole).
 */
#include "assess/assess.h"
#include "core/util.h"

#include <pthread.h>
#include <string.h>

extern const char honeypots_tsv[]; /* honeypot_data.c */

enum hp_op { HP_EQUALS = 1, HP_CONTAINS, HP_HAS };

#define HP_MAX_ROWS 256

struct hp_row {
    char id[40];
    char service[32];
    char pointer[64];
    enum hp_op op;
    char value[128];
    char project[64];
};

static struct hp_row rows[HP_MAX_ROWS];
static size_t nrows;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static bool field(const char *p, const char *e, int i, char *out, size_t n)
{
    for (; i > 0; i--) {
        const char *t = memchr(p, '\t', (size_t)(e - p));
        if (!t) return false;
        p = t + 1;
    }
    const char *t = memchr(p, '\t', (size_t)(e - p));
    size_t len = (size_t)((t ? t : e) - p);
    if (len == 0 || len >= n) return false;
    memcpy(out, p, len);
    out[len] = 0;
    return true;
}

static size_t parse(const char *text, size_t *bad)
{
    size_t nb = 0;
    nrows = 0;
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        if (!e) e = p + strlen(p);
        if (e > p && *p != '#') {
            struct hp_row r;
            char op[16];
            memset(&r, 0, sizeof r);
            bool ok = field(p, e, 0, r.id, sizeof r.id) &&
                      field(p, e, 1, r.service, sizeof r.service) &&
                      field(p, e, 2, r.pointer, sizeof r.pointer) && r.pointer[0] == '/' &&
                      field(p, e, 3, op, sizeof op) && field(p, e, 4, r.value, sizeof r.value) &&
                      field(p, e, 5, r.project, sizeof r.project);
            r.op = !strcmp(op, "equals")     ? HP_EQUALS
                   : !strcmp(op, "contains") ? HP_CONTAINS
                   : !strcmp(op, "has")      ? HP_HAS
                                             : 0;
            if (ok && r.op && nrows < HP_MAX_ROWS)
                rows[nrows++] = r;
            else
                nb++;
        }
        p = *e ? e + 1 : e;
    }
    if (bad) *bad = nb;
    return nrows;
}

static void load(void)
{
    (void)parse(honeypots_tsv, NULL);
}

size_t honeypot_table_parse(const char *text, size_t *bad)
{
    pthread_once(&once, load);
    return parse(text, bad);
}

/* The value at an RFC 6901 pointer (no '~' escapes in our rows' keys beyond ~0 ~1). */
static const json_t *at(const json_t *j, const char *ptr)
{
    char seg[64];
    while (j && *ptr == '/') {
        ptr++;
        size_t n = 0;
        for (; *ptr && *ptr != '/' && n + 1 < sizeof seg; ptr++) {
            char c = *ptr;
            if (c == '~' && (ptr[1] == '0' || ptr[1] == '1')) c = *++ptr == '0' ? '~' : '/';
            seg[n++] = c;
        }
        seg[n] = 0;
        j = json_is_object(j) ? json_object_get(j, seg) : NULL;
    }
    return j;
}

static bool row_holds(const struct hp_row *r, const json_t *rec)
{
    const json_t *v = at(rec, r->pointer);
    if (!v) return false;
    if (r->op == HP_HAS) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) if (json_is_string(x) &&
                                        !strcmp(json_string_value(x), r->value)) return true;
        return false;
    }
    char num[32];
    const char *s = json_string_value(v);
    if (!s && json_is_integer(v)) {
        str_fmt(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num;
    }
    if (!s) return false;
    return r->op == HP_EQUALS ? !strcmp(s, r->value) : strstr(s, r->value) != NULL;
}

/* A string compared as a row says. */
static bool str_holds(const struct hp_row *r, const char *s)
{
    if (!s || !s[0]) return false; /* an empty field is null in the record */
    return r->op == HP_EQUALS     ? !strcmp(s, r->value)
           : r->op == HP_CONTAINS ? strstr(s, r->value) != NULL
                                  : false;
}

/*
 * Does row r hold for f? The pointers the table uses are read from the finding itself
 * (/version, /product, /details/..., /data/names): making the whole record as JSON for every
 * finding of a service with a row was 3% of a fast probe stage. Any other pointer reads the
 * record, made once (*rec) and only then.
 */
static bool row_holds_finding(const struct hp_row *r, const struct finding *f, json_t **rec,
                              bool *oom)
{
    const char *p = r->pointer;
    if (!strcmp(p, "/version") && r->op != HP_HAS) return str_holds(r, f->version);
    if (!strcmp(p, "/product") && r->op != HP_HAS) return str_holds(r, f->product);
    if (!strcmp(p, "/data/names") && r->op == HP_HAS) {
        for (uint32_t i = 0; i < f->names.n; i++)
            if (!strcmp(f->names.v[i], r->value)) return true;
        return false;
    }
    if (!strncmp(p, "/details/", 9)) {
        struct hp_row sub = *r;
        str_copy(sub.pointer, p + 8, sizeof sub.pointer);
        return f->details && row_holds(&sub, f->details);
    }
    if (!*rec && !(*rec = finding_to_json(f, false))) {
        *oom = true;
        return false;
    }
    return row_holds(r, *rec);
}

const char *honeypot_match(const struct finding *f, char *why, size_t whyn)
{
    pthread_once(&once, load);
    json_t *rec = NULL;
    const char *hit = NULL;
    bool oom = false;
    for (size_t i = 0; i < nrows && !hit && !oom; i++) {
        if (strcmp(rows[i].service, f->service)) continue;
        if (i && !strcmp(rows[i - 1].id, rows[i].id)) continue; /* a group starts once */
        bool all = true;
        size_t k = i;
        for (; k < nrows && !strcmp(rows[k].id, rows[i].id) && all; k++)
            all = row_holds_finding(&rows[k], f, &rec, &oom);
        if (all) {
            hit = rows[i].project;
            if (why) str_fmt(why, whyn, "%s %s", rows[i].pointer + 1, rows[i].value);
        }
    }
    json_decref(rec);
    return hit;
}
