/*
 * probe/sig_yaml.c -- the signature loader's YAML layer (see sigload.c for what a signature
 * file may hold): an arena that owns every block, compiled regex and JSON value of a
 * signature; libyaml's event parser turned into a tree of ynodes (no anchors, aliases or
 * tags; at most Y_MAX_NODES nodes, Y_MAX_DEPTH deep, Y_MAX_SCALAR bytes a scalar); and the
 * typed readers of the tree: keys against a schema, texts, numbers, booleans, number lists,
 * words, printable texts, regexes (compiled once with PCRE2), JSON scalars and JSON pointers.
 * The first error is kept: "FILE:LINE: what is wrong".
 */
#include "probe/sig_yaml.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- the arena ---- */

void *sig_arena_alloc(struct arena *a, size_t n)
{
    char **nb = arr_grow(a->blocks, a->nblocks, &a->capblocks, sizeof *nb, 64);
    if (!nb) return NULL;
    a->blocks = nb;
    void *p = xcalloc(1, n ? n : 1);
    if (p) a->blocks[a->nblocks++] = p;
    return p;
}

char *sig_arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = sig_arena_alloc(a, n + 1);
    if (p) memcpy(p, s, n);
    return p;
}

void sig_arena_free(struct arena *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nblocks; i++)
        free(a->blocks[i]);
    for (size_t i = 0; i < a->nres; i++)
        pcre2_code_free(a->res[i]);
    for (size_t i = 0; i < a->nvals; i++)
        json_decref(a->vals[i]);
    free(a->blocks);
    free(a->res);
    free(a->vals);
    free(a);
}

/* ---- the tree ---- */

int y_fail(struct loader *L, int line, const char *fmt, ...)
{
    if (L->failed) return -1;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(L->e, "%s:%d: %s", L->name, line, msg);
    L->failed = true;
    return -1;
}

struct ynode *y_new(struct loader *L, enum ytype t, int line)
{
    if (++L->nodes > Y_MAX_NODES) {
        y_fail(L, line, "more than %d YAML nodes", Y_MAX_NODES);
        return NULL;
    }
    struct ynode *y = sig_arena_alloc(L->ar, sizeof *y);
    if (!y) {
        y_fail(L, line, "out of memory");
        return NULL;
    }
    y->t = t;
    y->line = line;
    return y;
}

int y_push(struct loader *L, struct ynode *parent, struct ynode *kid)
{
    if (parent->n == parent->cap) {
        size_t nc = parent->cap ? parent->cap * 2 : 8;
        struct ynode **nv = sig_arena_alloc(L->ar, nc * sizeof *nv);
        if (!nv) return y_fail(L, kid->line, "out of memory");
        if (parent->n) memcpy(nv, parent->kids, parent->n * sizeof *nv);
        parent->kids = nv; /* the old array stays in the arena until the end */
        parent->cap = nc;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

/* The events of one document into a tree; NULL on error (L->e set). */
struct ynode *y_parse(struct loader *L, const char *text, size_t n)
{
    yaml_parser_t p;
    yaml_event_t ev;
    struct ynode *stack[Y_MAX_DEPTH + 1], *root = NULL;
    int depth = 0;
    bool done = false, docs = false;
    if (!yaml_parser_initialize(&p)) {
        y_fail(L, 1, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, n);
    while (!done && !L->failed) {
        if (!yaml_parser_parse(&p, &ev)) {
            y_fail(L, (int)p.problem_mark.line + 1, "YAML: %s",
                   p.problem ? p.problem : "does not parse");
            break;
        }
        int line = (int)ev.start_mark.line + 1;
        struct ynode *y = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (docs) y_fail(L, line, "one YAML document per file");
            docs = true;
            break;
        case YAML_ALIAS_EVENT:
            y_fail(L, line, "YAML aliases (*name) are not allowed");
            break;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            const yaml_char_t *anchor = ev.type == YAML_SCALAR_EVENT ? ev.data.scalar.anchor
                                        : ev.type == YAML_SEQUENCE_START_EVENT
                                            ? ev.data.sequence_start.anchor
                                            : ev.data.mapping_start.anchor;
            const yaml_char_t *tag = ev.type == YAML_SCALAR_EVENT ? ev.data.scalar.tag
                                     : ev.type == YAML_SEQUENCE_START_EVENT
                                         ? ev.data.sequence_start.tag
                                         : ev.data.mapping_start.tag;
            if (anchor) {
                y_fail(L, line, "YAML anchors (&name) are not allowed");
                break;
            }
            if (tag) {
                y_fail(L, line, "YAML tags (!tag) are not allowed");
                break;
            }
            if (ev.type == YAML_SCALAR_EVENT) {
                if (ev.data.scalar.length > Y_MAX_SCALAR) {
                    y_fail(L, line, "a value longer than %d bytes", Y_MAX_SCALAR);
                    break;
                }
                if (memchr(ev.data.scalar.value, 0, ev.data.scalar.length)) {
                    y_fail(L, line, "a value with a NUL byte");
                    break;
                }
                y = y_new(L, Y_SCALAR, line);
                if (!y) break;
                y->s = sig_arena_strndup(L->ar, (const char *)ev.data.scalar.value,
                                         ev.data.scalar.length);
                y->len = ev.data.scalar.length;
                y->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
                if (!y->s) y_fail(L, line, "out of memory");
            } else {
                y = y_new(L, ev.type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ, line);
            }
            if (!y) break;
            if (depth > 0 && y_push(L, stack[depth - 1], y) < 0) break;
            if (depth == 0) {
                if (root) {
                    y_fail(L, line, "one top-level value per file");
                    break;
                }
                root = y;
            }
            if (y->t != Y_SCALAR) {
                if (depth >= Y_MAX_DEPTH) {
                    y_fail(L, line, "nested deeper than %d", Y_MAX_DEPTH);
                    break;
                }
                stack[depth++] = y;
            }
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (L->failed) return NULL;
    if (!root) {
        y_fail(L, 1, "empty file");
        return NULL;
    }
    return root;
}

/* ---- reading the tree ---- */

struct ynode *y_get(const struct ynode *m, const char *key)
{
    if (!m || m->t != Y_MAP) return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->t == Y_SCALAR && !strcmp(m->kids[i]->s, key)) return m->kids[i + 1];
    return NULL;
}

/* Every key of map m must be in allowed (NULL-ended) and appear once. */
int y_keys(struct loader *L, const struct ynode *m, const char *what, const char *const *allowed)
{
    if (m->t != Y_MAP) return y_fail(L, m->line, "%s must be a mapping (key: value)", what);
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const struct ynode *k = m->kids[i];
        if (k->t != Y_SCALAR) return y_fail(L, k->line, "%s: a key must be a plain word", what);
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (!strcmp(*a, k->s)) ok = true;
        if (!ok) return y_fail(L, k->line, "%s: unknown key '%.40s'", what, k->s);
        for (size_t j = 0; j < i; j += 2)
            if (!strcmp(m->kids[j]->s, k->s))
                return y_fail(L, k->line, "%s: key '%.40s' given twice", what, k->s);
    }
    return 0;
}

/* A required text: *out set, or -1. */
int y_str(struct loader *L, const struct ynode *y, const char *what, char **out)
{
    *out = "";
    if (!y) return y_fail(L, 1, "%s is missing", what);
    if (y->t != Y_SCALAR) return y_fail(L, y->line, "%s must be a text", what);
    *out = y->s;
    return 0;
}

/* An optional text: *out NULL when y is absent. */
int y_opt_str(struct loader *L, const struct ynode *y, const char *what, char **out)
{
    *out = NULL;
    return y ? y_str(L, y, what, out) : 0;
}

int y_int(struct loader *L, const struct ynode *y, const char *what, int64_t lo, int64_t hi,
          int64_t *out)
{
    uint64_t v;
    bool neg = y && y->t == Y_SCALAR && y->s[0] == '-';
    if (!y || y->t != Y_SCALAR || y->quoted ||
        parse_u64(y->s + (neg ? 1 : 0), (uint64_t)INT64_MAX, &v) < 0)
        return y_fail(L, y ? y->line : 0, "%s must be a number", what);
    int64_t x = neg ? -(int64_t)v : (int64_t)v;
    if (x < lo || x > hi)
        return y_fail(L, y->line, "%s must be %lld to %lld", what, (long long)lo, (long long)hi);
    *out = x;
    return 0;
}

int y_bool(struct loader *L, const struct ynode *y, const char *what, bool *out)
{
    if (!y) return 0;
    if (y->t == Y_SCALAR && !y->quoted && (!strcmp(y->s, "true") || !strcmp(y->s, "false"))) {
        *out = y->s[0] == 't';
        return 0;
    }
    return y_fail(L, y->line, "%s must be true or false", what);
}

/* A number or a list of numbers (statuses, ports) into nums. */
int y_nums(struct loader *L, const struct ynode *y, const char *what, int64_t lo, int64_t hi,
           int *nums, int *n, int max)
{
    *n = 0;
    if (y->t == Y_SCALAR) {
        int64_t v = 0;
        if (y_int(L, y, what, lo, hi, &v) < 0) return -1;
        nums[(*n)++] = (int)v;
        return 0;
    }
    if (y->t != Y_SEQ || y->n == 0)
        return y_fail(L, y->line, "%s must be a number or a list", what);
    if (y->n > (size_t)max) return y_fail(L, y->line, "%s: at most %d values", what, max);
    for (size_t i = 0; i < y->n; i++) {
        int64_t v = 0;
        if (y_int(L, y->kids[i], what, lo, hi, &v) < 0) return -1;
        nums[(*n)++] = (int)v;
    }
    return 0;
}

bool y_word_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (!n || n > max) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Text kept in the record or sent to a report: printable, no control bytes. */
bool y_text_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

pcre2_code *y_regex(struct loader *L, const struct ynode *y, const char *what)
{
    if (!y || y->t != Y_SCALAR) {
        y_fail(L, y ? y->line : 0, "%s must be a regular expression (text)", what);
        return NULL;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)y->s, y->len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   &ec, &eo, NULL);
    if (!re) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(ec, msg, sizeof msg);
        y_fail(L, y->line, "%s: bad regular expression at offset %zu: %s", what, (size_t)eo,
               (const char *)msg);
        return NULL;
    }
    pcre2_code **nv = arr_grow(L->ar->res, L->ar->nres, &L->ar->capres, sizeof *nv, 16);
    if (!nv) {
        pcre2_code_free(re);
        y_fail(L, y->line, "out of memory");
        return NULL;
    }
    L->ar->res = nv;
    L->ar->res[L->ar->nres++] = re;
    return re;
}

json_t *y_keep_json(struct loader *L, json_t *j, int line)
{
    if (!j) {
        y_fail(L, line, "out of memory");
        return NULL;
    }
    json_t **nv = arr_grow(L->ar->vals, L->ar->nvals, &L->ar->capvals, sizeof *nv, 16);
    if (!nv) {
        json_decref(j);
        y_fail(L, line, "out of memory");
        return NULL;
    }
    L->ar->vals = nv;
    L->ar->vals[L->ar->nvals++] = j;
    return j;
}

/* A scalar as a JSON value: an unquoted number, true/false/null, else a string. */
json_t *y_json_scalar(struct loader *L, const struct ynode *y)
{
    if (!y->quoted) {
        if (!strcmp(y->s, "true")) return y_keep_json(L, json_true(), y->line);
        if (!strcmp(y->s, "false")) return y_keep_json(L, json_false(), y->line);
        if (!strcmp(y->s, "null")) return y_keep_json(L, json_null(), y->line);
        uint64_t v;
        bool neg = y->s[0] == '-';
        if (parse_u64(y->s + (neg ? 1 : 0), (uint64_t)INT64_MAX, &v) == 0)
            return y_keep_json(L, json_integer(neg ? -(json_int_t)v : (json_int_t)v), y->line);
    }
    return y_keep_json(L, json_stringn(y->s, y->len), y->line);
}

/* A JSON pointer: "/a/b/0", "*" segments allowed; relative ones ("a/b") when rel. */
int y_pointer(struct loader *L, const struct ynode *y, const char *what, bool rel, char **out)
{
    if (!y || y->t != Y_SCALAR)
        return y_fail(L, y ? y->line : 0, "%s must be a JSON pointer", what);
    if (!rel && y->s[0] != '/' && y->s[0])
        return y_fail(L, y->line, "%s: a JSON pointer starts with '/'", what);
    for (const char *p = y->s; *p; p++)
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return y_fail(L, y->line, "%s: '~' must be followed by 0 or 1 (RFC 6901)", what);
    *out = y->s;
    return 0;
}
