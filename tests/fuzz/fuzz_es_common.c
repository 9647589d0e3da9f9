/*
 * tests/fuzz/fuzz_es_common.c -- the Elasticsearch/OpenSearch answer
 * readers of src/probe/es_common.h (shared by the Elasticsearch, Kibana and
 * CouchDB apps) called directly, so that a body reaches every reader
 * whatever the dispatcher would have decided about it.
 *
 * Input: byte 0 selects how the bytes become a struct http_resp: even ->
 * parsed by http_resp_feed as a whole response (the seeds: recorded answers
 * with their headers), odd -> taken as the body of a response whose status
 * is 200, 401 or 403 (bits 1-2), so the JSON readers see raw mutations
 * without the HTTP framing in the way. Byte 1: the body cap of the parsed
 * form is small when non-zero (cut-off bodies are the readers' hard case).
 */
#include "probe/es_common.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static int count_fn(void *arg, const char *key, size_t keylen, json_t *value)
{
    int *k = arg;
    unsigned sum = 0;
    for (size_t i = 0; key && i < keylen; i++) /* every key byte must be readable */
        sum += (unsigned char)key[i];
    *k += (int)(sum & 1);
    (void)es_json_count(value);
    char tmp[64];
    if (json_is_object(value)) es_json_str(value, "index", tmp, sizeof tmp);
    return ++*k > 100000;
}

static void readers(const struct http_resp *r)
{
    struct es_root root;
    memset(&root, 0, sizeof root);
    struct es_headers h;
    memset(&h, 0, sizeof h);
    bool os = false;
    (void)es_auth_score(r, &os);
    es_headers_parse(r, &h);
    struct finding f;
    finding_init(&f);
    if (es_root_parse(r, &root) == 0) es_root_apply(&f, &root, &h);
    (void)es_cat_indices_apply(&f, r);
    (void)es_mapping_apply(&f, r);
    finding_free(&f);

    const char *b = r->body.data ? (const char *)r->body.data : "";
    int k = 0;
    bool complete = false;
    (void)es_json_each(b, r->body.len, count_fn, &k, &complete);
    /* the size parser on the first word of the body */
    char word[32];
    size_t w = 0;
    while (w < r->body.len && w + 1 < sizeof word && b[w] != ' ' && b[w] != '\n' && b[w])
        word[w] = b[w], w++;
    word[w] = 0;
    int64_t sz;
    (void)es_parse_size(word, &sz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 2) return 0;
    static struct http_resp r;
    memset(&r, 0, sizeof r);
    if ((data[0] & 1) == 0) {
        http_resp_init(&r, data[1] ? (size_t)data[1] * 64 : 0, false);
        size_t used = 0;
        int rc = http_resp_feed(&r, data + 2, n - 2, &used);
        if (rc == HTTP_MORE) rc = http_resp_eof(&r);
        if (rc == HTTP_DONE) readers(&r);
    } else {
        static const int status[4] = {200, 401, 403, 200};
        http_resp_init(&r, 0, false);
        r.status = status[(data[0] >> 1) & 3];
        r.complete = true;
        buf_append(&r.body, data + 2, n - 2);
        if (!r.body.data) buf_append(&r.body, "", 0);
        readers(&r);
    }
    http_resp_free(&r);
    return 0;
}
