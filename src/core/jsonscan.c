/*
 * core/jsonscan.c -- see jsonscan.h.
 *
 * jsmn makes the tokens; it checks little (strict mode: primitives start as true/false/null or a
 * number, keys are strings, brackets match). The check below makes the rest of the grammar
 * hold: it walks the tokens in document order (jsmn's order) with the stack of open containers,
 * and between two tokens allows only whitespace and the one separator the grammar puts there
 * (',' between elements, ':' after a key, nothing after an opening bracket or before a closing
 * one), so every byte of the text is either inside a token whose content was checked or in a
 * gap that was. A container's size (jsmn counts its children) says when its closing bracket is
 * due. Once a token is checked its `parent` field (jsmn's link, not needed after the parse) is
 * set to the index after its value, which makes a walk over siblings O(1) a step; while a
 * container is open the same field counts the tokens seen at its level (keys and values).
 */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include <jsmn.h>

#include "core/jsonscan.h"
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A checked string token's size (0, or 1 for a key) gets this bit when its text has an
 * escape: one without is its own unescaped form (jscan_eq, jscan_str copy it as it is). */
#define ESCAPED (1 << 30)

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* js[a..b) is whitespace around exactly one punct (punct 0: whitespace only). */
static bool gap_ok(const char *js, size_t a, size_t b, char punct)
{
    if (b < a) return false;
    size_t i = a;
    while (i < b && is_ws(js[i]))
        i++;
    if (punct) {
        if (i >= b || js[i] != punct) return false;
        i++;
        while (i < b && is_ws(js[i]))
            i++;
    }
    return i == b;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned c = p[k], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (p[0] >= 0x80), 0 when invalid (jansson's rules:
 * no overlong form, no surrogate, nothing past U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0], v;
    size_t l;
    if (c >= 0xc2 && c <= 0xdf) {
        l = 2, v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        l = 3, v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        l = 4, v = c & 0x07;
    } else {
        return 0;
    }
    if (l > n) return 0;
    for (size_t k = 1; k < l; k++) {
        if ((p[k] & 0xc0) != 0x80) return 0;
        v = v << 6 | (p[k] & 0x3f);
    }
    if ((l == 3 && v < 0x800) || (l == 4 && v < 0x10000) || v > 0x10ffff ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return l;
}

/*
 * One character of a checked string's raw text p[*i..n) into out (1 to 4 bytes): its length.
 * The raw text was checked (str_check), so every escape is whole and every pair paired.
 */
static size_t unesc_next(const unsigned char *p, size_t n, size_t *i, char out[4])
{
    unsigned char c = p[*i];
    if (c != '\\') {
        out[0] = (char)c;
        (*i)++;
        return 1;
    }
    char e = (char)p[*i + 1];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k = strchr(from, e);
    if (e != 'u' && k) {
        out[0] = to[k - from];
        *i += 2;
        return 1;
    }
    unsigned u = 0, lo = 0;
    (void)hex4(p + *i + 2, &u);
    *i += 6;
    if (u >= 0xd800 && u <= 0xdbff && *i + 6 <= n) {
        (void)hex4(p + *i + 2, &lo);
        *i += 6;
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xc0 | u >> 6);
        out[1] = (char)(0x80 | (u & 0x3f));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (char)(0xe0 | u >> 12);
        out[1] = (char)(0x80 | (u >> 6 & 0x3f));
        out[2] = (char)(0x80 | (u & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | u >> 18);
    out[1] = (char)(0x80 | (u >> 12 & 0x3f));
    out[2] = (char)(0x80 | (u >> 6 & 0x3f));
    out[3] = (char)(0x80 | (u & 0x3f));
    return 4;
}

/* A string's raw text (between its quotes): 0 valid, -1 not. *nul: it holds \u0000; *esc: it
 * holds an escape. */
static int str_check(const unsigned char *p, size_t n, bool *nul, bool *esc)
{
    *nul = *esc = false;
    for (size_t i = 0; i < n;) {
        /* the common run: printable ASCII without a backslash */
        while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '\\')
            i++;
        if (i >= n) break;
        unsigned char c = p[i];
        if (c < 0x20) return -1;
        if (c >= 0x80) {
            size_t l = utf8_seq(p + i, n - i);
            if (!l) return -1;
            i += l;
            continue;
        }
        if (c != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= n) return -1;
        *esc = true;
        unsigned char e = p[i + 1];
        if (e != 'u') {
            if (!e || !strchr("\"\\/bfnrt", e)) return -1;
            i += 2;
            continue;
        }
        unsigned u, lo;
        if (i + 6 > n || hex4(p + i + 2, &u) < 0) return -1;
        i += 6;
        if (u >= 0xdc00 && u <= 0xdfff) return -1; /* a low surrogate alone */
        if (u >= 0xd800 && u <= 0xdbff) {          /* a high one: its low one must follow */
            if (i + 6 > n || p[i] != '\\' || p[i + 1] != 'u' || hex4(p + i + 2, &lo) < 0 ||
                lo < 0xdc00 || lo > 0xdfff)
                return -1;
            i += 6;
        }
        if (u == 0) *nul = true;
    }
    return 0;
}

/* strtod of the number p[0..n) (checked: the grammar's characters only), on a copy: the text
 * need not be terminated after it. *range: false when it overflows a double (jansson's
 * "real number overflow"). */
static double num_strtod(const char *p, size_t n, bool *range)
{
    char tmp[64], *c = n < sizeof tmp ? tmp : xmalloc(n + 1);
    if (!c) return 0; /* no memory: read as 0, in range (a count, never a crash) */
    memcpy(c, p, n);
    c[n] = 0;
    errno = 0;
    double d = strtod(c, NULL);
    if (range) *range = !((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE);
    if (c != tmp) free(c);
    return d;
}

/* A primitive's text: true, false, null or a number jansson reads (an integer within int64, a
 * real within DBL_MAX). 0 valid, -1 not. */
static int prim_check(const char *p, size_t n)
{
    if ((n == 4 && !memcmp(p, "true", 4)) || (n == 5 && !memcmp(p, "false", 5)) ||
        (n == 4 && !memcmp(p, "null", 4)))
        return 0;
    size_t i = 0;
    bool neg = false, real = false;
    if (i < n && p[i] == '-') neg = true, i++;
    if (i >= n) return -1;
    size_t ds = i;
    if (p[i] == '0') {
        i++;
    } else if (p[i] >= '1' && p[i] <= '9') {
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    } else {
        return -1;
    }
    size_t de = i;
    if (i < n && p[i] == '.') {
        real = true;
        size_t f = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == f) return -1;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        real = true;
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        size_t f = i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == f) return -1;
    }
    if (i != n) return -1;
    if (!real) { /* strtoll's range, as jansson reads integers */
        uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t k = ds; k < de; k++) {
            unsigned d = (unsigned)(p[k] - '0');
            if (v > (lim - d) / 10) return -1;
            v = v * 10 + d;
        }
        return 0;
    }
    bool range = true;
    (void)num_strtod(p, n, &range);
    return range ? 0 : -1;
}

static int grow(struct jscan *s)
{
    int ncap = s->cap * 2 > JSCAN_MAX_TOKENS ? JSCAN_MAX_TOKENS : s->cap * 2;
    jsmntok_t *t;
    if (s->tok == s->small) {
        t = xmalloc((size_t)ncap * sizeof *t);
        if (t) memcpy(t, s->small, sizeof s->small);
    } else {
        t = xrealloc(s->tok, (size_t)ncap * sizeof *t);
    }
    if (!t) return -1;
    s->tok = t;
    s->cap = ncap;
    return 0;
}

/* Where token t's text starts and ends (a string's quotes included). */
static size_t ext_start(const jsmntok_t *t)
{
    return (size_t)(t->type == JSMN_STRING ? t->start - 1 : t->start);
}
static size_t ext_end(const jsmntok_t *t)
{
    return (size_t)(t->type == JSMN_STRING ? t->end + 1 : t->end);
}

/* JSCAN_PREFIX: token i completed something at level h; when that was a whole element (member)
 * of the root, the walk may read it. */
static void elem_done(struct jscan *s, bool prefix, int h, int i)
{
    if (!prefix || h != 1) return;
    int seen = s->tok[0].parent;
    bool arr = s->tok[0].type == JSMN_ARRAY;
    if (arr || seen % 2 == 0) {
        s->elems = arr ? seen : seen / 2;
        s->nvalid = i + 1;
    }
}

/* Check the tokens (see the top). Returns 0 or -1; sets nvalid, elems, complete. */
static int check(struct jscan *s, unsigned flags)
{
    bool prefix = flags & JSCAN_PREFIX;
    jsmntok_t *tok = s->tok;
    int stack[JSCAN_MAX_DEPTH + 1], h = 0, i, closed_at = -1;
    size_t pos = 0;
    if (s->ntok <= 0) return -1;
    if (prefix && ((tok[0].type != JSMN_OBJECT && tok[0].type != JSMN_ARRAY) ||
                   !gap_ok(s->js, 0, (size_t)tok[0].start, 0))) /* (jsmn skips a ',' before) */
        return -1;
    if (prefix) s->nvalid = 1; /* the root: its elements are the first s->elems */
    for (i = 0; i <= s->ntok; i++) {
        /* close the containers that end before token i (by position: jsmn's sizes count
         * what it hung on a container, which after a stray ':' is not what it holds) */
        bool bad = false;
        while (h > 0 && !bad) {
            jsmntok_t *c = &tok[stack[h - 1]];
            if (c->end < 0 || (i < s->ntok && tok[i].start < c->end)) break;
            bool obj = c->type == JSMN_OBJECT;
            if ((obj && c->parent % 2) || !gap_ok(s->js, pos, (size_t)c->end - 1, 0)) {
                bad = true; /* a key without its value, or junk before the bracket */
                break;
            }
            pos = (size_t)c->end;
            c->size = obj ? c->parent / 2 : c->parent;
            c->parent = i; /* the index after its value */
            if (--h > 0) tok[stack[h - 1]].parent++;
            elem_done(s, prefix, h, i - 1);
            if (h == 0) closed_at = i;
        }
        if (!bad && h == 0 && i > 0 && closed_at < 0) closed_at = i; /* a scalar root */
        if (bad || closed_at >= 0 || i == s->ntok) break;
        jsmntok_t *t = &tok[i];
        char punct = 0;
        bool key = false;
        if (h > 0) {
            const jsmntok_t *c = &tok[stack[h - 1]];
            if (c->type == JSMN_OBJECT) key = c->parent % 2 == 0;
            punct = key                      ? (c->parent ? ',' : 0)
                    : c->type == JSMN_OBJECT ? ':'
                    : c->parent              ? ','
                                             : 0;
        }
        if (t->start < 0 || !gap_ok(s->js, pos, ext_start(t), punct)) break;
        /* a value's depth counts the containers around it (not a JSCAN_PREFIX root) */
        int depth = h + (prefix ? 0 : 1);
        bool nul, esc = false;
        if (key) {
            if (t->type != JSMN_STRING) break;
            if (str_check((const unsigned char *)s->js + t->start, (size_t)(t->end - t->start),
                          &nul, &esc) < 0)
                break;
            /* jansson refuses a NUL in a key, but es_json_each reads a top-level key alone */
            if (nul && !(prefix && h == 1)) break;
            t->size = 1;
        } else if (depth > JSCAN_MAX_DEPTH) {
            break;
        } else if (t->type == JSMN_STRING) {
            if (str_check((const unsigned char *)s->js + t->start, (size_t)(t->end - t->start),
                          &nul, &esc) < 0 ||
                (nul && !(flags & JSCAN_ALLOW_NUL)))
                break;
            t->size = 0;
        } else if (t->type == JSMN_PRIMITIVE) {
            if (prim_check(s->js + t->start, (size_t)(t->end - t->start)) < 0) break;
            t->size = 0;
        } else if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
            if (t->end < 0 && !(prefix && i == 0)) break; /* never closed */
            stack[h++] = i;
            t->parent = 0; /* counts the keys and values seen inside, until it closes */
            pos = (size_t)t->start + 1;
            continue;
        } else {
            break;
        }
        if (esc) t->size |= ESCAPED; /* a string's size is read no more */
        pos = ext_end(t);
        t->parent = i + 1;
        if (h > 0) tok[stack[h - 1]].parent++;
        elem_done(s, prefix, h, i);
    }
    if (closed_at >= 0) {
        s->nvalid = closed_at;
        s->elems = tok[0].size;
        s->complete = true;
    }
    if (prefix) return 0;
    if (!s->complete || closed_at != s->ntok || !gap_ok(s->js, pos, s->len, 0)) {
        s->complete = false; /* more than one value, or junk after it */
        return -1;
    }
    return 0;
}

/* A text that is one primitive ("0", " true\n"): strict jsmn makes no token of a primitive that
 * ends the text (it wants a delimiter after it); make it here, for check(). */
static bool lone_primitive(struct jscan *s)
{
    size_t a = 0, b;
    while (a < s->len && is_ws(s->js[a]))
        a++;
    if (a >= s->len || !s->js[a] || !strchr("-0123456789tfn", s->js[a])) return false;
    for (b = a; b < s->len && s->js[b] && !is_ws(s->js[b]) && !strchr(",]}:", s->js[b]); b++)
        ;
    s->tok[0] = (jsmntok_t){.type = JSMN_PRIMITIVE, .start = (int)a, .end = (int)b, .parent = -1};
    s->ntok = 1;
    return true;
}

int jscan_parse(struct jscan *s, const char *js, size_t len, unsigned flags)
{
    s->js = js;
    s->len = len;
    s->tok = s->small;
    s->cap = JSCAN_SMALL;
    s->ntok = s->nvalid = s->elems = 0;
    s->complete = s->capped = false;
    if (!js || len >= INT_MAX / 2) return -1; /* jsmn's offsets are int */
    jsmn_parser p;
    jsmn_init(&p);
    int r;
    for (;;) {
        r = jsmn_parse(&p, js, len, s->tok, (unsigned)s->cap);
        if (r != JSMN_ERROR_NOMEM) break;
        if (s->cap >= JSCAN_MAX_TOKENS || grow(s) < 0) {
            s->capped = true;
            break;
        }
    }
    s->ntok = (int)p.toknext;
    /* strict jsmn refuses an object as a key after allocating its token: that last token was
     * never filled in */
    while (s->ntok > 0 && s->tok[s->ntok - 1].start < 0)
        s->ntok--;
    if (r == JSMN_ERROR_PART && s->ntok == 0 && !(flags & JSCAN_PREFIX) && lone_primitive(s)) r = 1;
    if (r < 0 && !(flags & JSCAN_PREFIX)) return -1;
    return check(s, flags);
}

void jscan_free(struct jscan *s)
{
    if (s->tok != s->small) free(s->tok);
    s->tok = s->small;
    s->ntok = s->nvalid = s->elems = 0;
}

static bool valid(const struct jscan *s, int i)
{
    return i >= 0 && i < s->nvalid;
}

enum jscan_kind jscan_kind(const struct jscan *s, int i)
{
    if (!valid(s, i)) return JSCAN_NONE;
    const jsmntok_t *t = &s->tok[i];
    switch (t->type) {
    case JSMN_OBJECT:
        return JSCAN_OBJECT;
    case JSMN_ARRAY:
        return JSCAN_ARRAY;
    case JSMN_STRING:
        return JSCAN_STRING;
    default:
        break;
    }
    const char *p = s->js + t->start;
    if (*p == 't') return JSCAN_TRUE;
    if (*p == 'f') return JSCAN_FALSE;
    if (*p == 'n') return JSCAN_NULL;
    for (int k = t->start; k < t->end; k++)
        if (s->js[k] == '.' || s->js[k] == 'e' || s->js[k] == 'E') return JSCAN_REAL;
    return JSCAN_INT;
}

int jscan_next(const struct jscan *s, int i)
{
    return valid(s, i) ? s->tok[i].parent : -1;
}

int jscan_count(const struct jscan *s, int i)
{
    enum jscan_kind k = jscan_kind(s, i);
    if (k != JSCAN_OBJECT && k != JSCAN_ARRAY) return 0;
    return i == 0 && !s->complete ? s->elems : s->tok[i].size;
}

int jscan_iter(const struct jscan *s, int i, struct jscan_it *it, int *key)
{
    it->obj = jscan_kind(s, i) == JSCAN_OBJECT;
    it->left = jscan_count(s, i);
    it->at = i + 1;
    return jscan_iter_next(s, it, key);
}

int jscan_iter_next(const struct jscan *s, struct jscan_it *it, int *key)
{
    if (key) *key = -1;
    if (it->left <= 0) return -1;
    it->left--;
    int v = it->at;
    if (it->obj) {
        if (key) *key = v;
        v++;
    }
    it->at = jscan_next(s, v);
    return v;
}

bool jscan_eq(const struct jscan *s, int i, const char *p, size_t n)
{
    if (jscan_kind(s, i) != JSCAN_STRING) return false;
    const jsmntok_t *t = &s->tok[i];
    const unsigned char *raw = (const unsigned char *)s->js + t->start;
    size_t rn = (size_t)(t->end - t->start);
    if (!(t->size & ESCAPED)) return rn == n && !memcmp(raw, p, n);
    if (rn <= n) return false; /* an escape is longer than what it stands for */
    size_t o = 0;
    for (size_t k = 0; k < rn;) {
        char c[4];
        size_t l = unesc_next(raw, rn, &k, c);
        if (o + l > n || memcmp(p + o, c, l)) return false;
        o += l;
    }
    return o == n;
}

int jscan_get(const struct jscan *s, int i, const char *key)
{
    if (jscan_kind(s, i) != JSCAN_OBJECT) return -1;
    size_t n = strlen(key);
    int found = -1, k;
    struct jscan_it it;
    for (int v = jscan_iter(s, i, &it, &k); v >= 0; v = jscan_iter_next(s, &it, &k))
        if (jscan_eq(s, k, key, n)) found = v; /* the last wins, as in jansson */
    return found;
}

size_t jscan_str(const struct jscan *s, int i, char *out, size_t cap)
{
    if (cap) out[0] = 0;
    if (jscan_kind(s, i) != JSCAN_STRING) return 0;
    const jsmntok_t *t = &s->tok[i];
    const unsigned char *raw = (const unsigned char *)s->js + t->start;
    size_t rn = (size_t)(t->end - t->start), o = 0;
    if (!(t->size & ESCAPED)) {
        if (cap) {
            size_t k = rn < cap - 1 ? rn : cap - 1;
            memcpy(out, raw, k);
            out[k] = 0;
        }
        return rn;
    }
    for (size_t k = 0; k < rn;) {
        char c[4];
        size_t l = unesc_next(raw, rn, &k, c);
        for (size_t j = 0; j < l; j++, o++)
            if (o + 1 < cap) out[o] = c[j];
    }
    if (cap) out[o < cap ? o : cap - 1] = 0;
    return o;
}

int jscan_int(const struct jscan *s, int i, int64_t *out)
{
    if (jscan_kind(s, i) != JSCAN_INT) return -1;
    const jsmntok_t *t = &s->tok[i];
    const char *p = s->js + t->start;
    bool neg = *p == '-';
    uint64_t v = 0;
    for (int k = t->start + (neg ? 1 : 0); k < t->end; k++)
        v = v * 10 + (uint64_t)(s->js[k] - '0'); /* within range: checked */
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int jscan_real(const struct jscan *s, int i, double *out)
{
    enum jscan_kind k = jscan_kind(s, i);
    if (k != JSCAN_INT && k != JSCAN_REAL) return -1;
    *out = num_strtod(s->js + s->tok[i].start, (size_t)(s->tok[i].end - s->tok[i].start), NULL);
    return 0;
}
