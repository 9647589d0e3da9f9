/*
 * tests/unit/test_bson.c -- the BSON encoder and the bounds-checked reader
 * (probe/bson.c): round trips, the exact bytes of a known document, and
 * hostile input (lying lengths, missing NULs, deep nesting, truncation at
 * every offset) that must be rejected without reading out of bounds.
 */
#include "probe/bson.h"
#include "unit/t.h"

#include <stdlib.h>

static void test_known_bytes(void)
{
    /* {"hello": 1} as the BSON spec spells it out */
    static const uint8_t want[] = {0x10, 0x00, 0x00, 0x00, 0x10, 'h',  'e',  'l',
                                   'l',  'o',  0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
    struct buf b;
    buf_init(&b, 1024);
    struct bson_enc e;
    bson_enc_init(&e, &b);
    bson_put_int32(&e, "hello", 1);
    bson_end(&e);
    CHECK_INT(bson_enc_finish(&e), 0);
    CHECK_INT(b.len, sizeof want);
    CHECK(b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0);
    buf_free(&b);
}

static void test_round_trip(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct bson_enc e;
    bson_enc_init(&e, &b);
    bson_put_int32(&e, "listDatabases", 1);
    bson_put_bool(&e, "nameOnly", false);
    bson_put_int64(&e, "big", 5000000000LL);
    bson_put_double(&e, "ok", 1.0);
    bson_put_str(&e, "$db", "admin");
    bson_begin_array(&e, "pipeline");
    bson_begin_doc(&e, "0");
    bson_begin_doc(&e, "$collStats");
    bson_begin_doc(&e, "storageStats");
    bson_end(&e);
    bson_end(&e);
    bson_end(&e);
    bson_end(&e);
    bson_end(&e);
    CHECK_INT(bson_enc_finish(&e), 0);
    CHECK_INT(bson_validate(b.data, b.len, 8), 0);
    CHECK_INT(bson_validate(b.data, b.len, 2), -1); /* nested 4 deep */

    struct bson_elem el;
    int64_t v = 0;
    CHECK_INT(bson_find(b.data, b.len, "listDatabases", &el), 1);
    CHECK(bson_elem_int(&el, &v) == 0 && v == 1);
    CHECK_INT(bson_find(b.data, b.len, "nameOnly", &el), 1);
    CHECK(!bson_elem_true(&el));
    CHECK_INT(bson_find(b.data, b.len, "big", &el), 1);
    CHECK(bson_elem_int(&el, &v) == 0 && v == 5000000000LL);
    CHECK_INT(bson_find(b.data, b.len, "ok", &el), 1);
    CHECK(bson_elem_true(&el));
    CHECK_INT(bson_find(b.data, b.len, "$db", &el), 1);
    const char *s;
    size_t n;
    CHECK(bson_elem_str(&el, &s, &n) == 0 && n == 5 && memcmp(s, "admin", 5) == 0);
    CHECK(bson_elem_int(&el, &v) == -1); /* a string is not a number */
    CHECK_INT(bson_find(b.data, b.len, "absent", &el), 0);
    CHECK_INT(bson_find(b.data, b.len, "pipeline", &el), 1);
    struct bson_iter it;
    CHECK_INT(bson_elem_iter(&el, &it), 0);
    CHECK_INT(bson_iter_next(&it, &el), 1);
    CHECK_STR(el.key, "0");
    CHECK_INT(el.type, BSON_DOC);
    CHECK_INT(bson_iter_next(&it, &el), 0);

    /* every truncation of a valid document is rejected */
    int rejected = 0;
    for (size_t cut = 0; cut < b.len; cut++) {
        uint8_t *t = malloc(cut ? cut : 1);
        memcpy(t, b.data, cut);
        if (bson_validate(t, cut, 8) < 0) rejected++;
        free(t);
    }
    CHECK_INT(rejected, b.len);
    buf_free(&b);
}

static void test_hostile(void)
{
    struct bson_iter it;
    struct bson_elem el;
    /* declared length larger than the bytes present */
    static const uint8_t longer[] = {0x20, 0, 0, 0, 0x0A, 'a', 0, 0};
    CHECK_INT(bson_iter_init(&it, longer, sizeof longer), -1);
    /* declared length too small */
    static const uint8_t tiny[] = {0x04, 0, 0, 0, 0};
    CHECK_INT(bson_iter_init(&it, tiny, sizeof tiny), -1);
    /* no final NUL */
    static const uint8_t nonul[] = {0x05, 0, 0, 0, 1};
    CHECK_INT(bson_iter_init(&it, nonul, sizeof nonul), -1);
    /* string whose length runs past the document */
    static const uint8_t badstr[] = {0x0E, 0, 0, 0, 0x02, 'a', 0, 0x7F, 0, 0, 0, 'x', 0, 0};
    CHECK_INT(bson_iter_init(&it, badstr, sizeof badstr), 0);
    CHECK_INT(bson_iter_next(&it, &el), -1);
    CHECK_INT(bson_iter_next(&it, &el), -1); /* stays bad */
    /* string of length 0 (must be >= 1 for the NUL) */
    static const uint8_t zstr[] = {0x0E, 0, 0, 0, 0x02, 'a', 0, 0, 0, 0, 0, 'x', 0, 0};
    CHECK_INT(bson_iter_init(&it, zstr, sizeof zstr), 0);
    CHECK_INT(bson_iter_next(&it, &el), -1);
    /* key without NUL before the end */
    static const uint8_t badkey[] = {0x08, 0, 0, 0, 0x0A, 'a', 'b', 0};
    CHECK_INT(bson_iter_init(&it, badkey, sizeof badkey), 0);
    CHECK_INT(bson_iter_next(&it, &el), -1);
    /* unknown type */
    static const uint8_t badtype[] = {0x08, 0, 0, 0, 0x42, 'a', 0, 0};
    CHECK_INT(bson_iter_init(&it, badtype, sizeof badtype), 0);
    CHECK_INT(bson_iter_next(&it, &el), -1);
    /* an embedded document claiming more than its parent holds */
    static const uint8_t baddoc[] = {0x0D, 0, 0, 0, 0x03, 'd', 0, 0x40, 0, 0, 0, 0, 0};
    CHECK_INT(bson_validate(baddoc, sizeof baddoc, 8), -1);
    /* NaN and huge doubles are not integers */
    struct buf b;
    buf_init(&b, 256);
    struct bson_enc e;
    bson_enc_init(&e, &b);
    bson_put_double(&e, "x", 1e300);
    bson_end(&e);
    CHECK_INT(bson_find(b.data, b.len, "x", &el), 1);
    int64_t v;
    CHECK_INT(bson_elem_int(&el, &v), -1);
    buf_free(&b);

    /* nesting deeper than the bound */
    uint8_t deep[512];
    size_t n = 0;
    const int levels = 40;
    /* build {a:{a:{...}}} from the inside out */
    size_t len = 5;
    uint8_t inner[sizeof deep];
    inner[0] = 5, inner[1] = inner[2] = inner[3] = 0, inner[4] = 0;
    for (int i = 0; i < levels; i++) {
        size_t nl = len + 8; /* 4 length + type + 'a' + NUL + ... + final NUL */
        uint8_t tmp[sizeof deep];
        tmp[0] = (uint8_t)nl, tmp[1] = (uint8_t)(nl >> 8), tmp[2] = 0, tmp[3] = 0;
        tmp[4] = BSON_DOC, tmp[5] = 'a', tmp[6] = 0;
        memcpy(tmp + 7, inner, len);
        tmp[7 + len] = 0;
        len = nl;
        memcpy(inner, tmp, len);
    }
    n = len;
    memcpy(deep, inner, n);
    CHECK_INT(bson_validate(deep, n, 64), -1); /* clamped to BSON_MAX_DEPTH */
    CHECK_INT(bson_validate(deep, n, 45), -1);

    /* encoder: depth cap and cap on the buffer */
    buf_init(&b, 64);
    bson_enc_init(&e, &b);
    for (int i = 0; i < 40; i++)
        bson_begin_doc(&e, "a");
    CHECK_INT(bson_enc_finish(&e), -1);
    buf_free(&b);
    buf_init(&b, 16);
    bson_enc_init(&e, &b);
    bson_put_str(&e, "key", "a string longer than the cap");
    bson_end(&e);
    CHECK_INT(bson_enc_finish(&e), -1);
    buf_free(&b);
}

int main(void)
{
    test_known_bytes();
    test_round_trip();
    test_hostile();
    return T_END();
}
