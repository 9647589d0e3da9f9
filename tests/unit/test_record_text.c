/*
 * tests/unit/test_record_text.c -- the record's reader for stored text
 * (core/record_text.c) on a record as finding_json_write() makes it: every
 * fact read back; then every prefix of the record, unterminated in a buffer
 * of exactly its size (ASan catches a read past it), yields no more than
 * the whole does; hostile values (quotes, escapes) stay inside their field.
 */
#include "t.h"
#include "core/finding.h"
#include "core/record_text.h"

#include <stdlib.h>

static int count(void *arg, const char *name, size_t n)
{
    (void)name;
    (void)n;
    ++*(int *)arg;
    return 0;
}

static int ids(void *arg, const char *id)
{
    struct buf *b = arg;
    buf_appendf(b, "%s;", id);
    return 0;
}

int main(void)
{
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, "10.0.0.1", sizeof f.ip);
    f.port = 9200;
    f.time = 1700000000;
    f.first_seen = 1690000000;
    str_copy(f.service, "elasticsearch", sizeof f.service);
    str_copy(f.product, "Elasticsearch", sizeof f.product);
    finding_add_name(&f, "customers", 9, 10, -1);
    finding_add_name(&f, "x\"}, \"via\":{", 13, 5, -1); /* a hostile index name */
    finding_add_name(&f, "orders", 6, 3, -1);
    finding_detail_str(&f, "cluster_name", "prod \"east\"");
    f.attr.asn = 37963;
    str_copy(f.attr.country, "CN", sizeof f.attr.country);
    str_copy(f.attr.cloud, "alibaba-cloud", sizeof f.attr.cloud);
    finding_add_signal(&f, "no-auth", SEV_HIGH, "open");
    finding_add_signal(&f, "personal-data-schema", SEV_CRITICAL, "names");
    struct buf b;
    buf_init(&b, 1 << 16);
    CHECK_INT(finding_json_write(&b, &f, false, NULL), 0);
    const char *rec = (const char *)b.data;
    size_t len = b.len;

    int n = 0;
    CHECK_INT(record_names(rec, len, 16, count, &n, NULL), 3);
    CHECK_INT(n, 3);
    CHECK(!record_has_via(rec, len)); /* the hostile name is not a via */
    char val[64];
    CHECK(record_detail(rec, len, "cluster_name", val, sizeof val));
    CHECK_STR(val, "prod \"east\"");
    CHECK(!record_detail(rec, len, "nope", val, sizeof val));
    char prov[32], cc[3];
    uint32_t asn = 0;
    record_attr(rec, len, prov, &asn, cc);
    CHECK_STR(prov, "alibaba-cloud");
    CHECK_INT(asn, 37963);
    CHECK_STR(cc, "CN");
    CHECK_INT(record_first_seen(rec, len), 1690000000);
    struct buf s;
    buf_init(&s, 4096);
    record_signal_ids(rec, len, ids, &s);
    buf_append(&s, "", 1);
    CHECK_STR((const char *)s.data, "no-auth;personal-data-schema;");

    /* a detail named like a data key, or a via inside a string, is not taken for one */
    {
        struct finding g;
        finding_init(&g);
        str_copy(g.ip, "10.0.0.2", sizeof g.ip);
        str_copy(g.service, "redis", sizeof g.service);
        finding_add_name(&g, "a\\\"via\":{", 9, 1, -1); /* a\"via":{ : a backslash, then a quote */
        json_t *arr = json_array();
        json_array_append_new(arr, json_string("not-a-data-name"));
        finding_detail(&g, "names", arr);
        finding_detail(&g, "via", json_object());
        struct buf gb;
        buf_init(&gb, 1 << 16);
        CHECK_INT(finding_json_write(&gb, &g, false, NULL), 0);
        int cnt = 0;
        CHECK_INT(record_names((const char *)gb.data, gb.len, 16, count, &cnt, NULL), 1);
        CHECK(!record_has_via((const char *)gb.data, gb.len));
        struct finding h;
        finding_init(&h);
        str_copy(h.ip, "10.0.0.3", sizeof h.ip);
        finding_detail(&h, "names", json_array());
        buf_reset(&gb);
        CHECK_INT(finding_json_write(&gb, &h, false, NULL), 0);
        CHECK_INT(record_names((const char *)gb.data, gb.len, 16, count, &cnt, NULL), 0);
        buf_free(&gb);
        finding_free(&g);
        finding_free(&h);
    }

    /* every prefix, unterminated, exactly sized */
    for (size_t k = 0; k <= len; k++) {
        char *p = malloc(k ? k : 1);
        memcpy(p, rec, k);
        int m = 0;
        CHECK_MSG(record_names(p, k, 16, count, &m, NULL) <= 3, "names at %zu", k);
        CHECK_MSG(!record_has_via(p, k), "via at %zu", k);
        uint32_t a = 0;
        record_attr(p, k, prov, &a, cc);
        CHECK_MSG(a == 0 || a == 37963 || a == 3796 || a == 379 || a == 37 || a == 3, "asn at %zu",
                  k);
        (void)record_detail(p, k, "cluster_name", val, sizeof val);
        (void)record_first_seen(p, k);
        buf_reset(&s);
        record_signal_ids(p, k, ids, &s);
        free(p);
    }
    buf_free(&s);
    buf_free(&b);
    finding_free(&f);
    return T_END();
}
