/*
 * tests/unit/test_jsonscan.c -- core/jsonscan against jansson, its oracle: every text below is
 * read by jscan_parse exactly when json_loadb (JSON_DECODE_ANY) reads it, with the same values
 * (jscan_same.h); whole, every prefix (a text cut at every offset), byte by byte; the tolerant
 * walk (JSCAN_PREFIX) against es_json_each's count on every cut of a list; hostile texts
 * (nesting past jansson's depth, more tokens than the cap, bad escapes and surrogates, bad
 * UTF-8, numbers past int64 and DBL_MAX, a NUL byte); and the accessors' results.
 */
#include "core/jsonscan.h"
#include "probe/es_common.h"
#include "unit/jscan_same.h"
#include "unit/t.h"

#include <stdlib.h>

/* Does jscan agree with jansson on text p[0..n)? Both refuse it, or both read it the same. */
static bool agrees(const char *p, size_t n, unsigned flags)
{
    struct jscan s;
    int r = jscan_parse(&s, p, n, flags);
    json_t *j =
        json_loadb(p, n, JSON_DECODE_ANY | ((flags & JSCAN_ALLOW_NUL) ? JSON_ALLOW_NUL : 0), NULL);
    bool ok = (r == 0) == (j != NULL) && (r < 0 || jscan_same(&s, 0, j));
    if (!ok)
        fprintf(stderr, "  disagree (jscan %d, jansson %s) on %zu bytes: %.*s\n", r,
                j ? "ok" : "refused", n, (int)(n < 200 ? n : 200), p);
    json_decref(j);
    jscan_free(&s);
    return ok;
}

static bool agrees_s(const char *p)
{
    return agrees(p, strlen(p), 0);
}

/* jscan on every prefix of p agrees with jansson (a cut text is mostly refused by both). */
static int agrees_cuts(const char *p, size_t n)
{
    int bad = 0;
    for (size_t k = 0; k <= n; k++)
        if (!agrees(p, k, 0)) bad++;
    return bad;
}

static int count_one(void *arg, const char *key, size_t keylen, json_t *v)
{
    (*(int *)arg)++;
    return 0;
}

/* The tolerant walk agrees with es_json_each on p[0..n): as many elements, the same complete. */
static bool walk_agrees(const char *p, size_t n)
{
    int cnt = 0;
    bool complete = false;
    int r = es_json_each(p, n, count_one, &cnt, &complete);
    struct jscan s;
    int jr = jscan_parse(&s, p, n, JSCAN_PREFIX | JSCAN_ALLOW_NUL); /* es_json_each's flags */
    bool ok =
        (r < 0) == (jr < 0) && (r < 0 || (jscan_count(&s, 0) == cnt && s.complete == complete));
    if (!ok)
        fprintf(stderr, "  walk disagrees (each %d/%d, jscan %d/%d/%d) on %zu bytes: %.*s\n", r,
                cnt, jr, jscan_count(&s, 0), s.complete, n, (int)(n < 200 ? n : 200), p);
    jscan_free(&s);
    return ok;
}

static char *nested(int depth, const char *leaf)
{
    size_t ll = strlen(leaf);
    char *p = malloc((size_t)depth * 2 + ll + 1);
    memset(p, '[', (size_t)depth);
    memcpy(p + depth, leaf, ll);
    memset(p + depth + ll, ']', (size_t)depth);
    p[depth * 2 + ll] = 0;
    return p;
}

static void t_grammar(void)
{
    static const char *const texts[] = {
        /* valid */
        "{}",
        "[]",
        " {\"a\" : 1 , \"b\":[true,false,null]}\r\n\t",
        "0",
        "-0",
        "\"x\"",
        "1.5e-3",
        "-12.25E+2",
        "[1,[2,[3,{}]]]",
        "{\"a\":{\"b\":{\"c\":\"d\"}}}",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        "\"\\u00e9\\u20AC\\ud83d\\ude00\"",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
        "9223372036854775807",
        "-9223372036854775808",
        "1e-400",
        "1.7976931348623157e308",
        "{\"k\":1,\"k\":2}", /* a repeated key: the last wins */
        /* refused */
        "",
        "   ",
        "{",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{\"a\":1 \"b\":2}",
        "{,}",
        "[1,,2]",
        "{1:2}",
        "{\"a\"}",
        "[01]",
        "[1.]",
        "[.5]",
        "[-]",
        "[+1]",
        "[1e]",
        "[1e+]",
        "[tru]",
        "[nul]",
        "[True]",
        "[0x10]",
        "[NaN]",
        "[Infinity]",
        "9223372036854775808",
        "-9223372036854775809",
        "1e400",
        "-1e400",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12G4\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"\\ud800x\"",
        "\"a\tb\"",
        "\"\x01\"",
        "\"\\u0000\"",
        "{\"a\\u0000\":1}",
        "\"\xc3\"",
        "\"\xc0\xaf\"",
        "\"\xe0\x80\xaf\"",
        "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"",
        "\"\xf8\x88\x80\x80\x80\"",
        "\"\x80\"",
        "\"\xff\"",
        "[1]x",
        "[1] [2]",
        "1 2",
        "\xef\xbb\xbf[]",
        "[1]]",
        "[1}",
        "{\"a\":1]",
        "[\"a\":1]",
        "{\"a\":1:2}",
        "\"abc",
        "[\"abc]",
        "{\"a\":[}",
        "// c\n[]",
        "[1,/*x*/2]",
        "['a']",
    };
    for (size_t i = 0; i < ARRAY_LEN(texts); i++)
        CHECK_MSG(agrees_s(texts[i]), "text %zu", i);
    /* \u0000 in a value with JSCAN_ALLOW_NUL (JSON_ALLOW_NUL), never in a key */
    CHECK(agrees("[\"a\\u0000b\"]", 12, JSCAN_ALLOW_NUL));
    CHECK(agrees("{\"a\\u0000\":1}", 13, JSCAN_ALLOW_NUL));
    /* a NUL byte ends what jsmn reads: refused, as by jansson */
    CHECK(agrees("[1]\0", 4, 0));
    CHECK(agrees("[\"a\0\"]", 6, 0));
}

static void t_depth_and_cap(void)
{
    /* jansson's depth: 2048 values on a path (the leaf counts) */
    char *ok = nested(2047, "1"), *deep = nested(2048, "1"), *empty = nested(2048, "");
    CHECK(agrees_s(ok));
    CHECK(agrees_s(deep));
    CHECK(agrees_s(empty));
    struct jscan s;
    CHECK(jscan_parse(&s, ok, strlen(ok), 0) == 0);
    jscan_free(&s);
    CHECK(jscan_parse(&s, deep, strlen(deep), 0) < 0);
    jscan_free(&s);
    free(ok);
    free(deep);
    free(empty);
    char *far = nested(100000, "1"); /* far past it: refused, no crash, no deep recursion */
    CHECK(jscan_parse(&s, far, strlen(far), 0) < 0);
    jscan_free(&s);
    CHECK(jscan_parse(&s, far, strlen(far), JSCAN_PREFIX) == 0 && jscan_count(&s, 0) == 0);
    jscan_free(&s);
    free(far);

    /* more tokens than the cap: refused whole; JSCAN_PREFIX keeps what fit */
    size_t n = (size_t)JSCAN_MAX_TOKENS + 10;
    char *p = malloc(n * 2 + 2);
    size_t o = 0;
    p[o++] = '[';
    for (size_t i = 0; i < n; i++) {
        p[o++] = '1';
        p[o++] = i + 1 < n ? ',' : ']';
    }
    p[o] = 0;
    CHECK(jscan_parse(&s, p, o, 0) < 0);
    jscan_free(&s);
    CHECK(jscan_parse(&s, p, o, JSCAN_PREFIX) == 0);
    CHECK(!s.complete);
    CHECK(s.capped);
    CHECK_INT(jscan_count(&s, 0), JSCAN_MAX_TOKENS - 1); /* the root and as many elements */
    jscan_free(&s);
    /* just within the cap: read whole, from the heap */
    o = 0;
    p[o++] = '[';
    for (int i = 0; i < JSCAN_MAX_TOKENS - 1; i++) {
        p[o++] = '1';
        p[o++] = i + 2 < JSCAN_MAX_TOKENS ? ',' : ']';
    }
    CHECK(jscan_parse(&s, p, o, 0) == 0 && jscan_count(&s, 0) == JSCAN_MAX_TOKENS - 1);
    CHECK(!s.capped);
    CHECK(s.tok != s.small);
    jscan_free(&s);
    CHECK(s.tok == s.small);
    free(p);
}

static void t_accessors(void)
{
    const char *t = "{\"tag\\u006cine\":\"You Know, for Search\",\"v\":{\"number\":\"7.10.2\","
                    "\"n\":-42,\"r\":2.5,\"big\":9223372036854775807},\"k\":1,\"k\":\"two\","
                    "\"e\":\"\\u00e9\\ud83d\\ude00\\n\",\"list\":[1,\"a\",{}]}";
    struct jscan s;
    CHECK(jscan_parse(&s, t, strlen(t), 0) == 0);
    CHECK(s.tok == s.small);
    char buf[64];
    int tag = jscan_get(&s, 0, "tagline");
    CHECK(jscan_kind(&s, tag) == JSCAN_STRING);
    CHECK_INT(jscan_str(&s, tag, buf, sizeof buf), 20);
    CHECK_STR(buf, "You Know, for Search");
    /* cut at the cap, the whole length returned */
    CHECK_INT(jscan_str(&s, tag, buf, 4), 20);
    CHECK_STR(buf, "You");
    int v = jscan_get(&s, 0, "v");
    CHECK(jscan_kind(&s, v) == JSCAN_OBJECT);
    CHECK(jscan_str(&s, jscan_get(&s, v, "number"), buf, sizeof buf) == 6 &&
          !strcmp(buf, "7.10.2"));
    int64_t i64 = 0;
    CHECK(jscan_int(&s, jscan_get(&s, v, "n"), &i64) == 0 && i64 == -42);
    CHECK(jscan_int(&s, jscan_get(&s, v, "big"), &i64) == 0 && i64 == INT64_MAX);
    CHECK(jscan_int(&s, jscan_get(&s, v, "r"), &i64) < 0);
    double d = 0;
    CHECK(jscan_real(&s, jscan_get(&s, v, "r"), &d) == 0 && d == 2.5);
    CHECK(jscan_kind(&s, jscan_get(&s, v, "r")) == JSCAN_REAL);
    CHECK(jscan_get(&s, v, "absent") < 0);
    CHECK(jscan_get(&s, tag, "x") < 0); /* not an object */
    CHECK(jscan_kind(&s, -1) == JSCAN_NONE);
    CHECK(jscan_kind(&s, 10000) == JSCAN_NONE);
    /* a repeated key: the last */
    CHECK(jscan_kind(&s, jscan_get(&s, 0, "k")) == JSCAN_STRING);
    /* escapes into UTF-8: U+00E9, U+1F600 from a surrogate pair, a newline */
    CHECK_INT(jscan_str(&s, jscan_get(&s, 0, "e"), buf, sizeof buf), 7);
    CHECK(!memcmp(buf, "\xc3\xa9\xf0\x9f\x98\x80\n", 8));
    int list = jscan_get(&s, 0, "list");
    CHECK_INT(jscan_count(&s, list), 3);
    struct jscan_it it;
    int key, kinds[4], nk = 0;
    for (int e = jscan_iter(&s, list, &it, &key); e >= 0 && nk < 4;
         e = jscan_iter_next(&s, &it, &key)) {
        CHECK(key == -1);
        kinds[nk++] = jscan_kind(&s, e);
    }
    CHECK(nk == 3 && kinds[0] == JSCAN_INT && kinds[1] == JSCAN_STRING && kinds[2] == JSCAN_OBJECT);
    CHECK(jscan_eq(&s, jscan_iter(&s, 0, &it, &key) >= 0 ? key : -1, "tagline", 7));
    CHECK(!jscan_eq(&s, key, "tagline", 6));
    CHECK(!jscan_eq(&s, key, "taglinX", 7));
    CHECK_INT(jscan_next(&s, 0), s.ntok);
    jscan_free(&s);
}

static void t_files(void)
{
    /* the recorded answers the Elasticsearch probe reads: whole, at every cut, byte by byte */
    static const char *const files[] = {
        "elasticsearch/7.10.2/root.json",           "elasticsearch/docs-5.x-7.x/cat_indices.json",
        "elasticsearch/7.8.0/mapping.json",         "elasticsearch/8.15.0/root.json",
        "elasticsearch/opensearch-2.6.0/root.json",
    };
    /* AJAR_FIXTURES (tests/run-tests.sh sets it), else the copy in the tree */
    const char *fx = getenv("AJAR_FIXTURES");
    if (!fx) fx = "tests/fixtures/recorded";
    int read = 0;
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        char path[512];
        str_fmt(path, sizeof path, "%s/%s", fx, files[i]);
        size_t n;
        uint8_t *p = t_slurp(path, &n);
        if (!p) {
            printf("no fixture %s\n", path);
            continue;
        }
        read++;
        CHECK(agrees((const char *)p, n, 0));
        CHECK_INT(agrees_cuts((const char *)p, n), 0);
        int bad = 0;
        for (size_t k = 0; k <= n; k++)
            if (!walk_agrees((const char *)p, k)) bad++;
        CHECK_INT(bad, 0);
        free(p);
    }
    CHECK(read >= 3); /* the three answers of the benchmark's workload at least */
}

static void t_walk(void)
{
    static const char *const lists[] = {
        "[1, \"a\", {\"x\":[1,2]}, [3], null, true]",
        "[{\"index\":\"a\"},{\"index\":\"b\"},{\"index\":",
        "[{\"index\":\"a\"} {\"index\":\"b\"}]",
        "[{\"index\":\"a\"},{\"index\":\"b\\x\"},{\"index\":\"c\"}]",
        "[{\"index\":\"a\"},{\"n\":99999999999999999999},{}]",
        "[\"a\\u0000b\", 1]",
        "{\"k\\u0000\":1, \"j\":{\"a\\u0000\":1}, \"l\":2}",
        "{\"a\":1,\"a\":2,\"b\":[1,2]}",
        "{\"a\":1 , \"b\" : 2 , }",
        "{\"ok\":true,\"u\":\"r\": [], \"p\": [\"x\", \"y{\"n\":null]}", /* fuzz_jsonscan */
        "[\"a\": 1, 2]",
        ", [1]",
        "{\"e\":{\"a\":[1]},{{\"s\":1}",
        "[0,-1]:\"x\",\"y\":1]",
        "{\"a\":[1]}:{\"b\":2}",
        ":{\"a\":1}",
        "{\"e\":\"x\",\"r\":\"y\":1,\"z\":2}",
        "[1,2,3,12",
        "[\"\xff\",1]",
        "[1,2]garbage",
        "  {}  ",
        "\"x\"",
        "1",
        "",
        "{\"idx\":{\"mappings\":{\"properties\":{\"a\":{\"type\":\"text\"}}}}}",
    };
    for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
        size_t n = strlen(lists[i]);
        int bad = 0;
        for (size_t k = 0; k <= n; k++) /* every cut */
            if (!walk_agrees(lists[i], k)) bad++;
        CHECK_MSG(bad == 0, "list %zu", i);
    }
    /* depth inside an element: 2048 values deep in the element alone, as es_json_each's parse */
    char *in = nested(2048, "1"), *p = malloc(strlen(in) + 8);
    str_fmt(p, strlen(in) + 8, "[%s,1]", in);
    CHECK(walk_agrees(p, strlen(p)));
    free(p);
    free(in);
    in = nested(2049, "1");
    p = malloc(strlen(in) + 8);
    str_fmt(p, strlen(in) + 8, "[1,%s]", in);
    CHECK(walk_agrees(p, strlen(p)));
    free(p);
    free(in);
}

/* Byte by byte: a text that arrives in pieces is read only once it is whole (what jscan sees
 * is always the bytes so far); each piece agrees with jansson. */
static void t_bytewise(void)
{
    const char *t =
        "{\"name\":\"n\\u00e9\",\"cluster_name\":\"c\",\"version\":{\"number\":\"8.1.0\"},"
        "\"tagline\":\"You Know, for Search\"}";
    size_t n = strlen(t);
    int readable = 0;
    for (size_t k = 1; k <= n; k++) {
        struct jscan s;
        if (jscan_parse(&s, t, k, 0) == 0) readable++;
        jscan_free(&s);
    }
    CHECK_INT(readable, 1); /* only the whole text */
    CHECK_INT(agrees_cuts(t, n), 0);
}

int main(void)
{
    t_grammar();
    t_depth_and_cap();
    t_accessors();
    t_walk();
    t_bytewise();
    t_files();
    return T_END();
}
