/*
 * tests/fuzz/fuzz_jsonscan.c -- core/jsonscan (jsmn's tokens, checked as jansson checks a text)
 * against its oracles, on any bytes:
 *  - the whole text: jscan_parse reads it exactly when json_loadb (JSON_DECODE_ANY, with
 *    JSON_ALLOW_NUL when asked) does, and every value is the same (tests/unit/jscan_same.h);
 *  - JSCAN_PREFIX: as many leading elements, and the same "complete", as es_json_each's
 *    element-by-element walk (the Elasticsearch probe's reading of a cut list);
 *  - the accessors on every valid token (strings cut at small caps, keys looked up, numbers).
 * A disagreement aborts. Input: byte 0 bit 0 asks for \u0000 in values (JSCAN_ALLOW_NUL), the
 * rest is the text.
 */
#include "core/jsonscan.h"
#include "probe/es_common.h"
#include "unit/jscan_same.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

/* es_json_each's elements: all of them in [0], the objects and arrays in [1] */
static int count_one(void *arg, const char *key, size_t keylen, json_t *v)
{
    int *c = arg;
    c[0]++;
    if (json_is_object(v) || json_is_array(v)) c[1]++;
    return 0;
}

/* jscan's valid leading elements that are objects or arrays */
static int containers(const struct jscan *s)
{
    struct jscan_it it;
    int n = 0;
    for (int v = jscan_iter(s, 0, &it, NULL); v >= 0; v = jscan_iter_next(s, &it, NULL))
        n += jscan_kind(s, v) == JSCAN_OBJECT || jscan_kind(s, v) == JSCAN_ARRAY;
    return n;
}

static void accessors(const struct jscan *s)
{
    for (int i = 0; i < s->nvalid; i++) {
        char small[8];
        size_t full = jscan_str(s, i, small, sizeof small);
        if (jscan_kind(s, i) == JSCAN_STRING && full < sizeof small && strlen(small) > full)
            abort();
        char one[1];
        (void)jscan_str(s, i, one, sizeof one);
        if (jscan_kind(s, i) == JSCAN_STRING && one[0]) abort(); /* cap 1: just the NUL */
        int64_t v;
        double d;
        (void)jscan_int(s, i, &v);
        (void)jscan_real(s, i, &d);
        (void)jscan_get(s, i, "index");
        (void)jscan_eq(s, i, "index", 5);
        struct jscan_it it;
        int key, seen = 0;
        for (int e = jscan_iter(s, i, &it, &key); e >= 0; e = jscan_iter_next(s, &it, &key)) {
            if (e >= s->nvalid || key >= s->nvalid) abort();
            seen++;
        }
        if (seen != jscan_count(s, i)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1) return 0;
    unsigned flags = (data[0] & 1) ? JSCAN_ALLOW_NUL : 0;
    /* an exact copy: one byte past the text is an ASan report */
    size_t len = n - 1;
    char *p = malloc(len ? len : 1);
    if (!p) return 0;
    memcpy(p, data + 1, len);

    struct jscan s;
    int r = jscan_parse(&s, p, len, flags);
    json_t *j = json_loadb(p, len, JSON_DECODE_ANY | (flags ? JSON_ALLOW_NUL : 0), NULL);
    /* one quirk of jansson left out: a NUL byte right after a number or a literal is lost in
     * its lexer's look-ahead ("43\0", "[4\0]" are read), where jscan, as the grammar, refuses
     * it */
    bool quirk = false;
    for (size_t k = 1; k < len && !quirk; k++)
        quirk = !p[k] && strchr("0123456789.+-eEtruefalsn", p[k - 1]) && p[k - 1];
    if ((r == 0) != (j != NULL) && !quirk) abort();
    if (r == 0 && j && !jscan_same(&s, 0, j)) abort();
    if (r == 0) accessors(&s);
    json_decref(j);
    jscan_free(&s);

    int cnt[2] = {0, 0};
    bool complete = false;
    int er = es_json_each(p, len, count_one, cnt, &complete);
    r = jscan_parse(&s, p, len, JSCAN_PREFIX | JSCAN_ALLOW_NUL);
    if ((r < 0) != (er < 0)) abort();
    /* (jansson's NUL quirk above holds inside an element too: "[[0,-1\0]]") */
    if (r == 0 && !quirk && (containers(&s) != cnt[1] || s.complete != complete)) abort();
    /* all elements alike, but for one quirk of es_json_each: a top-level number or literal
     * ended by a NUL byte ("[1\0") is read as ended (strchr finds the terminator); jscan
     * stops before it. Only objects matter to the readers (cat_json skips the rest). */
    if (r == 0 && !memchr(p, 0, len) && jscan_count(&s, 0) != cnt[0]) abort();
    if (r == 0) accessors(&s);
    jscan_free(&s);
    free(p);
    return 0;
}
