/*
 * tests/unit/test_es_common.c -- the pure helpers of probe/es_common.c:
 * size strings with units, the element-by-element JSON walker on whole,
 * cut-off and garbage bodies, and the 299 Warning header reader.
 */
#include "probe/es_common.h"
#include "unit/t.h"

static int count_one(void *arg, const char *key, size_t keylen, json_t *v)
{
    int *n = arg;
    (*n)++;
    return 0;
}

static int walk(const char *s, bool *complete)
{
    int n = 0;
    int r = es_json_each(s, strlen(s), count_one, &n, complete);
    return r < 0 ? r : n;
}

/* A _cat/indices list past jsonscan's token cap (70,000 rows of 5 tokens within the body cap) is
 * read whole all the same (element by element with jansson, as before the token reader), and a
 * small one through the tokens gives the same counts. */
static void test_cat_past_token_cap(void)
{
    for (int rows = 3; rows <= 70000; rows += 69997) {
        struct http_resp r;
        memset(&r, 0, sizeof r);
        http_resp_init(&r, 0, false);
        r.status = 200;
        r.complete = true;
        buf_append(&r.body, "[", 1);
        for (int i = 0; i < rows; i++)
            buf_appendf(&r.body, "%s{\"index\":\"i%d\",\"docs.count\":\"2\"}", i ? "," : "", i);
        buf_append(&r.body, "]", 1);
        CHECK(!r.body.truncated);
        struct finding f;
        finding_init(&f);
        CHECK_INT(es_cat_indices_apply(&f, &r), rows);
        CHECK_INT(f.collections, rows);
        CHECK_INT(f.records, 2LL * rows);
        CHECK(!json_object_get(f.details, "indices_truncated"));
        finding_free(&f);
        http_resp_free(&r);
    }
}

int main(void)
{
    test_cat_past_token_cap();
    int64_t v;
    CHECK(es_parse_size("650b", &v) == 0 && v == 650);
    CHECK(es_parse_size("105274918", &v) == 0 && v == 105274918);
    CHECK(es_parse_size("88.1kb", &v) == 0 && v == 90214);
    CHECK(es_parse_size("1.5TB", &v) == 0 && v == 1649267441664LL);
    CHECK(es_parse_size("9999999pb", &v) == 0 && v == INT64_MAX);
    CHECK(es_parse_size("", &v) < 0);
    CHECK(es_parse_size("-5", &v) < 0);
    CHECK(es_parse_size("5 apples", &v) < 0);
    CHECK(es_parse_size("1.", &v) < 0);

    bool done;
    CHECK_INT(walk("[1, \"a\", {\"x\":[1,2]}, [3], null, true]", &done), 6);
    CHECK(done);
    CHECK_INT(walk("  []", &done), 0);
    CHECK(done);
    CHECK_INT(walk("{\"a\":{\"b\":1},\"c\\\"d\":2}", &done), 2);
    CHECK(done);
    CHECK_INT(walk("[{\"i\":1},{\"i\":2},{\"i\":", &done), 2);
    CHECK(!done);
    CHECK_INT(walk("[12, 34", &done), 1); /* 34 may be a cut 345 */
    CHECK(!done);
    CHECK_INT(walk("{\"a\":1 \"b\":2}", &done), 1);
    CHECK(!done);
    CHECK_INT(walk("<html>", &done), -1);
    CHECK_INT(walk("", &done), -1);
    CHECK_INT(es_json_each(NULL, 0, count_one, NULL, NULL), -1);

    struct http_resp r = {0};
    memset(&r, 0, sizeof r);
    http_resp_init(&r, 0, false);
    static const char resp[] =
        "HTTP/1.1 200 OK\r\nX-elastic-product: Elasticsearch\r\nWarning: 299 "
        "Elasticsearch-7.17.14-774e3bfa4d52e2834e4d9d8d669d77e4e5c1017f \"Elasticsearch built-in "
        "security features are not enabled.\"\r\nContent-Length: 2\r\n\r\n{}";
    CHECK(http_resp_feed(&r, (const uint8_t *)resp, sizeof resp - 1, NULL) == HTTP_DONE);
    struct es_headers h;
    es_headers_parse(&r, &h);
    CHECK(h.elastic_product);
    CHECK(h.security_disabled);
    CHECK_STR(h.version, "7.17.14");
    struct es_root root;
    CHECK(es_root_parse(&r, &root) < 0);
    http_resp_free(&r);

    /* The header budget: 40 headers of 1,500-byte values. Each value is cut at
     * HTTP_MAX_HVALUE - 1; the ones that no longer fit in HTTP_HDR_BYTES are dropped; the
     * response still parses, and a header before the cut is found. */
    struct buf big;
    buf_init(&big, 1u << 20);
    buf_appendf(&big, "HTTP/1.1 200 OK\r\nServer: first\r\n");
    for (int i = 0; i < 40; i++) {
        buf_appendf(&big, "X-Big-%d: ", i);
        for (int k = 0; k < 1500; k++)
            buf_append(&big, "v", 1);
        buf_appendf(&big, "\r\n");
    }
    buf_appendf(&big, "X-Last: late\r\nContent-Length: 0\r\n\r\n");
    memset(&r, 0, sizeof r);
    http_resp_init(&r, 0, false);
    CHECK(http_resp_feed(&r, big.data, big.len, NULL) == HTTP_DONE);
    CHECK_STR(http_header(&r, "Server"), "first");
    CHECK(http_header(&r, "X-Big-0") && strlen(http_header(&r, "X-Big-0")) == HTTP_MAX_HVALUE - 1);
    CHECK(http_header(&r, "X-Last") == NULL);
    CHECK(r.nhdr > 10 && r.nhdr < 20);
    CHECK(r.hbuf.len <= HTTP_HDR_BYTES && r.hbuf.alloc <= HTTP_HDR_BYTES + 1);
    http_resp_free(&r);
    buf_free(&big);
    return T_END();
}
