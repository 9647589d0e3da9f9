/*
 * tests/fuzz/fuzz_http_resp.c -- the HTTP/1.1 response push parser alone
 * (http_resp_feed in src/probe/http.c), as the dispatcher uses it on a
 * keep-alive connection: bytes after the end of one response start the
 * next one, and the connection may close in the middle of any of them.
 *
 * Input: byte 0 options (bit 0 the first response answers a HEAD; bits 1-3
 * body cap: 0 the default 4 MiB, k -> 16^k bytes, so truncation is reached
 * with small inputs; bits 5-7 chunking as in drive.h), byte 1 chunk seed,
 * then the bytes the server sent. Seeds: every fixture response of the
 * HTTP apps (tests/fuzz/seed.sh).
 */
#include "fuzz/drive.h"
#include "probe/http.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static void inspect(const struct http_resp *r, size_t cap)
{
    static const char *const names[] = {"content-type",      "server",
                                        "www-authenticate",  "content-length",
                                        "x-elastic-product", "location"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        (void)http_header(r, names[i]);
    char title[256];
    http_title(r, title, sizeof title);
    if (r->body.data && r->body.data[r->body.len] != 0) __builtin_trap(); /* promised NUL */
    /* the headers: within hbuf, each name and value NUL-terminated there, within their caps */
    if (r->nhdr < 0 || r->nhdr > HTTP_MAX_HEADERS || r->hbuf.len > HTTP_HDR_BYTES) __builtin_trap();
    if (r->nhdr && (!r->hbuf.data || r->hbuf.len >= r->hbuf.alloc)) __builtin_trap();
    for (int i = 0; i < r->nhdr; i++) {
        const char *nm = http_hname(r, i), *v = http_hvalue(r, i);
        const char *start = (const char *)r->hbuf.data, *end = start + r->hbuf.len;
        if (nm < start || nm >= end || v <= nm || v >= end) __builtin_trap();
        size_t nl = strnlen(nm, (size_t)(end - nm)), vl = strnlen(v, (size_t)(end - v));
        if (nm + nl >= end || v + vl >= end || nl > 63 || vl >= HTTP_MAX_HVALUE) __builtin_trap();
    }
    /* the buffers grow within their caps: never more memory than the caps allow */
    if (r->hbuf.alloc > HTTP_HDR_BYTES + 1 || r->line.alloc > HTTP_MAX_LINE) __builtin_trap();
    if (r->body.len > r->body.cap || r->body.alloc > (cap ? cap : HTTP_BODY_CAP) + 1)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 2) return 0;
    unsigned opt = data[0];
    unsigned capk = (opt >> 1) & 7;
    size_t cap = capk == 0 ? 0 : (size_t)1 << (4 * capk);
    struct fuzz_chunker ch;
    fuzz_chunker_init(&ch, opt >> 5, data[1]);
    const uint8_t *p = data + 2;
    size_t left = n - 2;

    struct http_resp r;
    memset(&r, 0, sizeof r);
    http_resp_init(&r, cap, (opt & 1) != 0);
    int rc = HTTP_MORE, responses = 0;
    while (left > 0 && responses < 16) {
        size_t k = fuzz_chunk(&ch, left), used = 0;
        rc = http_resp_feed(&r, p, k, &used);
        if (used > k) __builtin_trap();
        if (rc == HTTP_MORE && used != k) __builtin_trap();
        if (rc == HTTP_BAD) break;
        if (rc == HTTP_DONE) {
            inspect(&r, cap);
            responses++;
            if (!r.keep_alive) break;
            /* the rest of the chunk belongs to the next response (pipelining), parsed with
             * the buffers' memory kept, as the dispatcher does; every third with fresh ones */
            if (responses % 3 == 0) {
                http_resp_free(&r);
                memset(&r, 0, sizeof r);
            }
            http_resp_init(&r, cap, false);
            k = used;
        }
        p += k;
        left -= k;
    }
    if (rc == HTTP_MORE && http_resp_eof(&r) == HTTP_DONE) inspect(&r, cap);
    http_resp_free(&r);
    return 0;
}
