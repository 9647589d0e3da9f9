/*
 * tests/unit/jscan_same.h -- jansson as the oracle of core/jsonscan: does token i of a checked
 * text hold the same value as jansson's json_t? Kinds, string bytes (unescaped, NULs included),
 * integers, reals, array elements in order, object members by key with the last of a repeated
 * key winning (json_object_get's) and as many distinct keys as the object has. Used by
 * test_jsonscan and fuzz_jsonscan.
 */
#ifndef AJAR_TEST_JSCAN_SAME_H
#define AJAR_TEST_JSCAN_SAME_H

#include "core/jsonscan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* String token i unescaped into a fresh buffer (the caller frees), length in *n. */
static inline char *jscan_same_dup(const struct jscan *s, int i, size_t *n)
{
    char one[1];
    *n = jscan_str(s, i, one, sizeof one);
    char *p = malloc(*n + 1);
    if (p) jscan_str(s, i, p, *n + 1);
    return p;
}

static inline bool jscan_same(const struct jscan *s, int i, const json_t *j)
{
    struct jscan_it it;
    int k, v;
    size_t n, idx = 0;
    switch (jscan_kind(s, i)) {
    case JSCAN_NONE:
        return false;
    case JSCAN_TRUE:
        return json_is_true(j);
    case JSCAN_FALSE:
        return json_is_false(j);
    case JSCAN_NULL:
        return json_is_null(j);
    case JSCAN_INT: {
        int64_t a;
        return json_is_integer(j) && jscan_int(s, i, &a) == 0 && a == json_integer_value(j);
    }
    case JSCAN_REAL: {
        double d;
        return json_is_real(j) && jscan_real(s, i, &d) == 0 && d == json_real_value(j);
    }
    case JSCAN_STRING: {
        char *p = jscan_same_dup(s, i, &n);
        bool ok = p && json_is_string(j) && json_string_length(j) == n &&
                  memcmp(p, json_string_value(j), n) == 0;
        free(p);
        return ok;
    }
    case JSCAN_ARRAY:
        if (!json_is_array(j) || json_array_size(j) != (size_t)jscan_count(s, i)) return false;
        for (v = jscan_iter(s, i, &it, &k); v >= 0; v = jscan_iter_next(s, &it, &k))
            if (!jscan_same(s, v, json_array_get(j, idx++))) return false;
        return true;
    case JSCAN_OBJECT: {
        if (!json_is_object(j)) return false;
        size_t distinct = 0;
        for (v = jscan_iter(s, i, &it, &k); v >= 0; v = jscan_iter_next(s, &it, &k)) {
            char *key = jscan_same_dup(s, k, &n);
            if (!key) return false;
            /* the last member with this key is the one jansson kept; an earlier one is
             * counted once */
            struct jscan_it it2 = it;
            int k2, last = v;
            for (int v2 = jscan_iter_next(s, &it2, &k2); v2 >= 0;
                 v2 = jscan_iter_next(s, &it2, &k2))
                if (jscan_eq(s, k2, key, n)) last = v2;
            if (last == v) distinct++;
            bool ok = jscan_same(s, last, json_object_getn(j, key, n));
            free(key);
            if (!ok) return false;
        }
        return distinct == json_object_size(j);
    }
    }
    return false;
}

#endif
