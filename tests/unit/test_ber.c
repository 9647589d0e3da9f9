/*
 * tests/unit/test_ber.c -- the BER encoder and bounds-checked reader
 * (probe/ber.c): the exact bytes of the anonymous bind (as OpenLDAP's
 * ldapsearch 2.5 sends them, seen with tcpdump), integer and length forms,
 * round trips, and hostile input (indefinite and over-long lengths, high
 * tags, lengths past the end, truncation at every offset) that must be
 * refused without reading out of bounds.
 */
#include "probe/ber.h"
#include "unit/t.h"

#include <stdlib.h>

static void test_bind_bytes(void)
{
    /* ldapsearch -x: LDAPMessage{1, BindRequest{3, "", simple ""}} */
    static const uint8_t want[] = {0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07,
                                   0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00};
    struct ber_enc e;
    ber_enc_init(&e);
    ber_begin(&e, 0x30);
    ber_put_int(&e, BER_INTEGER, 1);
    ber_begin(&e, 0x60);
    ber_put_int(&e, BER_INTEGER, 3);
    ber_put_str(&e, BER_OCTETS, "");
    ber_put_str(&e, 0x80, "");
    ber_end(&e);
    ber_end(&e);
    CHECK_INT(ber_finish(&e), 0);
    CHECK_INT(e.len, sizeof want);
    CHECK(e.len == sizeof want && memcmp(e.b, want, sizeof want) == 0);
}

static void check_int(int64_t v, const uint8_t *want, size_t n)
{
    struct ber_enc e;
    ber_enc_init(&e);
    ber_put_int(&e, BER_INTEGER, v);
    CHECK_INT(ber_finish(&e), 0);
    CHECK_MSG(e.len == n + 2 && e.b[1] == n && memcmp(e.b + 2, want, n) == 0, "int %lld",
              (long long)v);
    int64_t back = 0;
    CHECK(ber_int(e.b + 2, e.b[1], &back) == 0 && back == v);
}

static void test_integers(void)
{
    check_int(0, (const uint8_t *)"\x00", 1);
    check_int(127, (const uint8_t *)"\x7f", 1);
    check_int(128, (const uint8_t *)"\x00\x80", 2);
    check_int(256, (const uint8_t *)"\x01\x00", 2);
    check_int(-1, (const uint8_t *)"\xff", 1);
    check_int(-128, (const uint8_t *)"\x80", 1);
    check_int(-129, (const uint8_t *)"\xff\x7f", 2);
    check_int(INT32_MAX, (const uint8_t *)"\x7f\xff\xff\xff", 4);
    int64_t v;
    CHECK(ber_int((const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9, &v) < 0);
    CHECK(ber_int((const uint8_t *)"", 0, &v) < 0);
}

/* Contents of 123..1896 bytes: short, 0x81 and 0x82 length forms, one level inside another. */
static void test_lengths(void)
{
    static const size_t sizes[] = {127, 128, 300, 1900};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint8_t blob[2000];
        memset(blob, 'x', sizeof blob);
        struct ber_enc e;
        ber_enc_init(&e);
        ber_begin(&e, 0x30);
        ber_begin(&e, 0x31);
        ber_put(&e, BER_OCTETS, blob, sizes[k] - 4 < 1 ? 1 : sizes[k] - 4);
        ber_end(&e);
        ber_end(&e);
        CHECK_INT(ber_finish(&e), 0);
        /* read it back: one SEQUENCE holding one SET holding one OCTET STRING */
        struct ber_rd r, in, in2;
        uint8_t tag;
        const uint8_t *v;
        size_t vn;
        ber_rd_init(&r, e.b, e.len);
        CHECK_INT(ber_next(&r, &tag, &v, &vn), 1);
        CHECK(tag == 0x30 && v + vn == e.b + e.len);
        CHECK_INT(ber_next(&r, &tag, &v, &vn), 0);
        ber_rd_init(&in, e.b, e.len);
        CHECK_INT(ber_expect(&in, 0x30, &v, &vn), 1);
        ber_rd_init(&in2, v, vn);
        CHECK_INT(ber_expect(&in2, 0x31, &v, &vn), 1);
        ber_rd_init(&in, v, vn);
        CHECK_INT(ber_expect(&in, BER_OCTETS, &v, &vn), 1);
        CHECK_INT(vn, sizes[k] - 4);
        size_t hdr, len;
        CHECK_INT(ber_frame(e.b, e.len, 1u << 20, &hdr, &len), 1);
        CHECK_INT(hdr + len, e.len);
        for (size_t cut = 0; cut < hdr; cut++)
            CHECK_INT(ber_frame(e.b, cut, 1u << 20, &hdr, &len), 0);
    }
    /* a length the encoder cannot hold fails, and every later call is a no-op */
    struct ber_enc e;
    ber_enc_init(&e);
    uint8_t big[BER_ENC_MAX];
    memset(big, 0, sizeof big);
    ber_put(&e, BER_OCTETS, big, sizeof big);
    CHECK_INT(ber_finish(&e), -1);
}

static void test_depth(void)
{
    struct ber_enc e;
    ber_enc_init(&e);
    for (int i = 0; i < BER_MAX_DEPTH; i++)
        ber_begin(&e, 0x30);
    CHECK(!e.failed);
    ber_begin(&e, 0x30);
    CHECK(e.failed);
    ber_enc_init(&e);
    ber_end(&e); /* closing nothing */
    CHECK_INT(ber_finish(&e), -1);
    ber_enc_init(&e);
    ber_begin(&e, 0x30); /* left open */
    CHECK_INT(ber_finish(&e), -1);
}

static void test_hostile(void)
{
    struct ber_rd r;
    uint8_t tag;
    const uint8_t *v;
    size_t vn, hdr, len;
    /* indefinite length */
    ber_rd_init(&r, (const uint8_t *)"\x30\x80\x00\x00", 4);
    CHECK_INT(ber_next(&r, &tag, &v, &vn), -1);
    CHECK_INT(ber_next(&r, &tag, &v, &vn), -1); /* stays bad */
    /* five length bytes */
    CHECK_INT(ber_frame((const uint8_t *)"\x30\x85\x00\x00\x00\x00\x01", 7, 1u << 30, &hdr, &len),
              -1);
    /* high tag number form */
    CHECK_INT(ber_frame((const uint8_t *)"\x1f\x81\x00", 3, 100, &hdr, &len), -1);
    /* a length past the end of the range */
    ber_rd_init(&r, (const uint8_t *)"\x04\x05\x61\x62", 4);
    CHECK_INT(ber_next(&r, &tag, &v, &vn), -1);
    /* 0x84 with 4 GiB - 1: above the caller's maximum */
    CHECK_INT(ber_frame((const uint8_t *)"\x30\x84\xff\xff\xff\xff", 6, 1u << 20, &hdr, &len), -1);
    /* AD's non-minimal long form is fine */
    CHECK_INT(ber_frame((const uint8_t *)"\x30\x84\x00\x00\x00\x10", 6, 1u << 20, &hdr, &len), 1);
    CHECK(hdr == 6 && len == 16);
    /* the wrong tag where one is expected */
    ber_rd_init(&r, (const uint8_t *)"\x04\x00", 2);
    CHECK_INT(ber_expect(&r, BER_INTEGER, &v, &vn), -1);
    /* an empty range */
    ber_rd_init(&r, NULL, 5);
    CHECK_INT(ber_next(&r, &tag, &v, &vn), 0);
}

/* A SearchResultDone truncated at every offset: the reader never reads past what it is given. */
static void test_truncation(void)
{
    static const uint8_t msg[] = {0x30, 0x84, 0x00, 0x00, 0x00, 0x10, 0x02, 0x01, 0x02, 0x65, 0x84,
                                  0x00, 0x00, 0x00, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00};
    for (size_t n = 0; n <= sizeof msg; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(copy, msg, n);
        struct ber_rd r;
        uint8_t tag;
        const uint8_t *v;
        size_t vn;
        ber_rd_init(&r, copy, n);
        int rc = ber_next(&r, &tag, &v, &vn);
        CHECK_MSG(n == sizeof msg ? rc == 1 : rc != 1, "cut at %zu: %d", n, rc);
        free(copy);
    }
}

int main(void)
{
    test_bind_bytes();
    test_integers();
    test_lengths();
    test_depth();
    test_hostile();
    test_truncation();
    return T_END();
}
