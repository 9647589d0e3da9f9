/*
 * tests/fuzz/fuzz_bson.c -- the BSON reader of src/probe/bson.h on hostile
 * documents: bson_validate, then a recursive walk with every accessor the
 * MongoDB probe uses (bson_iter_*, bson_find, bson_elem_*), bounded in
 * depth like the probe's own reads. Each must stay inside the bytes given
 * (the input is exactly sized, so ASan sees one byte past the end).
 *
 * Input: one document as it sits in a reply (seeds: the documents of the
 * MongoDB fixtures' OP_MSG and OP_REPLY replies, tests/fuzz/seed.sh).
 */
#include "probe/bson.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static unsigned walk(struct bson_iter *it, int depth)
{
    unsigned seen = 0;
    struct bson_elem el;
    int rc;
    while ((rc = bson_iter_next(it, &el)) == 1 && seen < 100000) {
        seen++;
        if (el.key[el.keylen] != 0) __builtin_trap(); /* the key is NUL-terminated in place */
        int64_t v;
        const char *s;
        size_t sl;
        (void)bson_elem_int(&el, &v);
        (void)bson_elem_true(&el);
        if (bson_elem_str(&el, &s, &sl) == 0 && sl > 0) seen += (unsigned char)s[sl - 1] & 1;
        struct bson_iter sub;
        if (depth < BSON_MAX_DEPTH && bson_elem_iter(&el, &sub) == 0) seen += walk(&sub, depth + 1);
    }
    return seen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    (void)bson_validate(data, n, BSON_MAX_DEPTH);
    (void)bson_validate(data, n, 2);
    struct bson_iter it;
    if (bson_iter_init(&it, data, n) == 0) (void)walk(&it, 0);
    static const char *const keys[] = {
        "ok",     "version",   "databases",  "maxWireVersion",   "cursor",
        "errmsg", "totalSize", "firstBatch", "isWritablePrimary"};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        struct bson_elem el;
        if (bson_find(data, n, keys[i], &el) == 1) {
            int64_t v;
            (void)bson_elem_int(&el, &v);
        }
    }
    return 0;
}
