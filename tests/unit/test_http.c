/*
 * tests/unit/test_http.c -- the footprint of the HTTP client (src/probe/http.c) and the caps it
 * keeps while its buffers grow on demand:
 *  - sizeof(struct http_resp) and the dispatcher's state_size stay small (they were 25,776 and
 *    32,944 bytes, zeroed for every connection);
 *  - a recorded Elasticsearch 7.10.2 root answer (tests/probe/cases/elasticsearch/open-7.10.2,
 *    the body from $AJAR_FIXTURES or the copy in the tree) fed whole, byte by byte and split at
 *    every offset parses the same, and the response's buffers then hold at most the bytes
 *    received rounded up to a power of two; a second response on the same struct reuses them;
 *  - the whole three-request exchange through the dispatcher (GET /, _cat/indices, _mapping)
 *    holds at most HTTP_RUN_FIXED bytes plus the largest body;
 *  - the caps are the old ones: a status line of HTTP_MAX_LINE - 1 bytes parses and one byte
 *    more is refused, a longer header line is cut, header values at HTTP_MAX_HVALUE - 1, at
 *    most HTTP_MAX_HEADERS headers, header offsets right after hbuf has moved, a body cap, a
 *    Content-Length that claims more than arrives allocates only what arrives.
 * Nothing here touches the network.
 */
#include "probe/http.h"
#include "unit/t.h"

#include <stdlib.h>
#include <string.h>

#define CASE "tests/probe/cases/elasticsearch/open-7.10.2"
/* what a dispatcher's run may hold besides the largest body it received: its state, the
 * request being sent, the response's header text and line, the app's state (measured: 1,152) */
#define HTTP_RUN_FIXED 1536

/* Response i of the case as the server sent it: N.head with CRLF, Content-Length, the body. */
static uint8_t *load_resp(int i, size_t *n, size_t *body_len)
{
    char path[512];
    size_t hn = 0, sn = 0, bn = 0;
    snprintf(path, sizeof path, CASE "/%d.head", i);
    uint8_t *head = t_slurp(path, &hn);
    snprintf(path, sizeof path, CASE "/%d.body.src", i);
    uint8_t *src = t_slurp(path, &sn);
    if (!head || !src) {
        free(head);
        free(src);
        return NULL;
    }
    while (sn && (src[sn - 1] == '\n' || src[sn - 1] == '\r'))
        src[--sn] = 0;
    const char *fx = getenv("AJAR_FIXTURES");
    snprintf(path, sizeof path, "%s/%s", fx && fx[0] ? fx : "tests/fixtures/recorded", (char *)src);
    uint8_t *body = t_slurp(path, &bn);
    struct buf b;
    buf_init(&b, 1u << 24);
    for (size_t s = 0; s < hn;) {
        size_t e = s;
        while (e < hn && head[e] != '\n')
            e++;
        size_t le = e > s && head[e - 1] == '\r' ? e - 1 : e;
        if (le > s) {
            buf_append(&b, head + s, le - s);
            buf_append(&b, "\r\n", 2);
        }
        s = e + 1;
    }
    buf_appendf(&b, "Content-Length: %zu\r\n\r\n", bn);
    if (body) buf_append(&b, body, bn);
    free(head);
    free(src);
    free(body);
    *n = b.len;
    *body_len = bn;
    return body ? b.data : (free(b.data), NULL);
}

static size_t pow2_ceil(size_t n)
{
    size_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

static size_t resp_alloc(const struct http_resp *r)
{
    return r->hbuf.alloc + r->body.alloc + r->line.alloc;
}

/* Is r the parse of the ES root answer (received bytes, body_len of them the body), its
 * buffers holding at most the bytes received rounded up to a power of two? */
static bool root_ok(const struct http_resp *r, size_t received, size_t body_len)
{
    const char *ct = http_header(r, "Content-Type");
    return r->complete && r->status == 200 && r->keep_alive && r->nhdr == 2 && ct &&
           !strcmp(ct, "application/json; charset=UTF-8") &&
           !strcmp(http_hname(r, 1), "Content-Length") && !strcmp(http_hvalue(r, 1), "542") &&
           r->body.len == body_len && r->body.data &&
           strstr((const char *)r->body.data, "\"number\" : \"7.10.2\"") &&
           r->body.data[body_len] == 0 && resp_alloc(r) <= pow2_ceil(received);
}

static void root_response(void)
{
    size_t n = 0, bl = 0;
    uint8_t *raw = load_resp(1, &n, &bl);
    CHECK_MSG(raw != NULL, "cannot read " CASE "/1.* and its fixture");
    if (!raw) return;
    CHECK(bl == 542);

    /* whole */
    struct http_resp r;
    memset(&r, 0, sizeof r);
    http_resp_init(&r, 0, false);
    size_t used = 0;
    CHECK_INT(http_resp_feed(&r, raw, n, &used), HTTP_DONE);
    CHECK(used == n);
    CHECK(root_ok(&r, n, bl));
    fprintf(stderr, "ES root answer: %zu bytes received, %zu held (hbuf %zu, line %zu, body %zu)\n",
            n, resp_alloc(&r), r.hbuf.alloc, r.line.alloc, r.body.alloc);
    CHECK(r.body.alloc == bl + 1); /* a Content-Length body: exactly its size */

    /* the next response on the connection reuses the memory: same blocks, nothing new */
    const uint8_t *hb = r.hbuf.data, *bd = r.body.data, *ln = r.line.data;
    size_t before = resp_alloc(&r);
    http_resp_init(&r, 0, false);
    CHECK(r.nhdr == 0 && r.status == 0 && !r.complete && r.body.len == 0 && r.hbuf.len == 0);
    CHECK_INT(http_resp_feed(&r, raw, n, &used), HTTP_DONE);
    CHECK(root_ok(&r, n, bl));
    CHECK(r.hbuf.data == hb && r.body.data == bd && r.line.data == ln);
    CHECK(resp_alloc(&r) == before);
    http_resp_free(&r);
    CHECK(r.hbuf.data == NULL && r.body.data == NULL && r.line.data == NULL);

    /* byte by byte: the buffers grow a byte at a time and end no bigger */
    memset(&r, 0, sizeof r);
    http_resp_init(&r, 0, false);
    int rc = HTTP_MORE;
    size_t i = 0;
    for (; i < n && rc == HTTP_MORE; i++)
        rc = http_resp_feed(&r, raw + i, 1, &used);
    CHECK(rc == HTTP_DONE && i == n);
    CHECK(root_ok(&r, n, bl));
    http_resp_free(&r);

    /* split at every offset */
    int bad_splits = 0;
    for (size_t at = 1; at < n; at++) {
        memset(&r, 0, sizeof r);
        http_resp_init(&r, 0, false);
        int r1 = http_resp_feed(&r, raw, at, &used);
        int r2 = r1 == HTTP_MORE ? http_resp_feed(&r, raw + at, n - at, &used) : r1;
        if (r2 != HTTP_DONE || !root_ok(&r, n, bl)) {
            bad_splits++;
            fprintf(stderr, "  (split at %zu)\n", at);
        }
        http_resp_free(&r);
        if (bad_splits > 3) break;
    }
    CHECK_MSG(bad_splits == 0, "%d splits of %zu", bad_splits, n - 1);
    free(raw);
}

/* The three requests of an Elasticsearch run through the dispatcher, as the engine drives it. */
static void dispatcher_run(void)
{
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, "127.0.215.1", sizeof f.ip);
    f.port = 9200;
    struct probe_options opts = {0};
    struct probe_run run;
    CHECK(probe_run_init(&run, &probe_http, &f, &opts) == 0);
    CHECK_INT(probe_http.start(&run.ctx), PROBE_SEND);
    static const char *const want[] = {"GET / HTTP/1.1\r\n",
                                       "GET /_cat/indices?format=json&bytes=b HTTP/1.1\r\n",
                                       "GET /_mapping HTTP/1.1\r\n"};
    size_t peak = 0, largest_body = 0;
    for (int i = 1; i <= 3; i++) {
        const char *out = (const char *)run.out.data;
        CHECK_MSG(out && !strncmp(out, want[i - 1], strlen(want[i - 1])), "request %d", i);
        /* the whole request, built in place */
        CHECK(out && strstr(out, "\r\nHost: 127.0.215.1:9200\r\nUser-Agent: ") &&
              strstr(out, "\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n") &&
              !strcmp(out + run.out.len - 4, "\r\n\r\n"));
        buf_reset(&run.out);
        size_t n = 0, bl = 0;
        uint8_t *raw = load_resp(i, &n, &bl);
        CHECK_MSG(raw != NULL, "response %d", i);
        if (!raw) break;
        if (bl > largest_body) largest_body = bl;
        int rc = probe_http.on_data(&run.ctx, raw, n);
        CHECK_INT(rc, i < 3 ? PROBE_SEND : PROBE_DONE);
        size_t m = http_state_memory(run.ctx.state);
        fprintf(stderr, "after response %d (%zu bytes): the run holds %zu bytes\n", i, n, m);
        if (m > peak) peak = m;
        free(raw);
    }
    CHECK_STR(f.service, "elasticsearch");
    CHECK_STR(f.version, "7.10.2");
    CHECK_MSG(peak <= HTTP_RUN_FIXED + largest_body + 1, "peak %zu, largest body %zu", peak,
              largest_body);
    probe_run_free(&run);
    finding_free(&f);
}

/* Feed a whole text; the parser's verdict. */
static int feed_text(struct http_resp *r, const char *s, size_t n, size_t body_cap)
{
    memset(r, 0, sizeof *r);
    http_resp_init(r, body_cap, false);
    return http_resp_feed(r, (const uint8_t *)s, n, NULL);
}

static void caps(void)
{
    struct http_resp r;
    struct buf b;

    /* the status line: HTTP_MAX_LINE - 1 bytes (its CR included) parse, one more is refused */
    for (int extra = 0; extra <= 1; extra++) {
        buf_init(&b, 1u << 20);
        buf_appendf(&b, "HTTP/1.1 200 ");
        while (b.len < HTTP_MAX_LINE - 2 + (size_t)extra)
            buf_append(&b, "r", 1);
        buf_appendf(&b, "\r\nContent-Length: 0\r\n\r\n");
        CHECK_INT(feed_text(&r, (const char *)b.data, b.len, 0), extra ? HTTP_BAD : HTTP_DONE);
        CHECK(r.line.alloc <= HTTP_MAX_LINE);
        http_resp_free(&r);
        buf_free(&b);
    }

    /* a header line past HTTP_MAX_LINE is cut there, its value at HTTP_MAX_HVALUE - 1 */
    buf_init(&b, 1u << 20);
    buf_appendf(&b, "HTTP/1.1 200 OK\r\nX-Long: ");
    for (int i = 0; i < 3 * HTTP_MAX_LINE; i++)
        buf_append(&b, "v", 1);
    buf_appendf(&b, "\r\nServer: after\r\nContent-Length: 0\r\n\r\n");
    CHECK_INT(feed_text(&r, (const char *)b.data, b.len, 0), HTTP_DONE);
    const char *v = http_header(&r, "X-Long");
    CHECK(v && strlen(v) == HTTP_MAX_HVALUE - 1);
    CHECK_STR(http_header(&r, "Server"), "after");
    CHECK(r.line.alloc == HTTP_MAX_LINE);
    http_resp_free(&r);
    buf_free(&b);

    /* HTTP_MAX_HEADERS kept, the rest dropped (but still read: Content-Length comes last) */
    buf_init(&b, 1u << 20);
    buf_appendf(&b, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS + 6; i++)
        buf_appendf(&b, "X-H%d: %d\r\n", i, i);
    buf_appendf(&b, "Content-Length: 2\r\n\r\nok");
    CHECK_INT(feed_text(&r, (const char *)b.data, b.len, 0), HTTP_DONE);
    CHECK_INT(r.nhdr, HTTP_MAX_HEADERS);
    CHECK_STR(http_header(&r, "X-H63"), "63");
    CHECK(http_header(&r, "X-H64") == NULL);
    CHECK(r.body.len == 2);
    http_resp_free(&r);
    buf_free(&b);

    /* offsets stay right while hbuf moves: 40 headers of 300 bytes make it grow 7 times */
    buf_init(&b, 1u << 20);
    buf_appendf(&b, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 40; i++) {
        buf_appendf(&b, "X-Grow-%d: ", i);
        for (int k = 0; k < 300; k++)
            buf_append(&b, &"0123456789"[i % 10], 1);
        buf_append(&b, "\r\n", 2);
    }
    buf_appendf(&b, "Content-Length: 0\r\n\r\n");
    CHECK_INT(feed_text(&r, (const char *)b.data, b.len, 0), HTTP_DONE);
    CHECK_INT(r.nhdr, 41);
    int wrong = 0;
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "X-Grow-%d", i);
        const char *hv = http_header(&r, name);
        if (strcmp(http_hname(&r, i), name) || !hv || hv != http_hvalue(&r, i) ||
            strlen(hv) != 300 || hv[0] != "0123456789"[i % 10] || hv[299] != hv[0])
            wrong++;
    }
    CHECK(wrong == 0);
    CHECK(r.hbuf.len > 40 * 300 && r.hbuf.len <= HTTP_HDR_BYTES && r.hbuf.alloc <= 2 * r.hbuf.len);
    http_resp_free(&r);
    buf_free(&b);

    /* a body cap: the rest counted and dropped, the buffer no bigger than the cap */
    static const char capped[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                                 "0123456789012345678901234567890123456789012345678901234567890123"
                                 "456789012345678901234567890123456789";
    CHECK_INT(feed_text(&r, capped, sizeof capped - 1, 16), HTTP_DONE);
    CHECK(r.truncated && r.body.len == 16 && r.body.alloc <= 17 && r.keep_alive);
    http_resp_free(&r);

    /* a Content-Length of 4 MB with 10 bytes sent: memory for what came, not for the claim */
    static const char claim[] = "HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\n0123456789";
    CHECK_INT(feed_text(&r, claim, sizeof claim - 1, 0), HTTP_MORE);
    CHECK(r.body.len == 10 && r.body.alloc <= 256 && resp_alloc(&r) <= 512);
    http_resp_free(&r);
}

/* The body's JSON is parsed once per response and shared (http_resp_json). */
static void json_memo(void)
{
    struct http_resp r;
    memset(&r, 0, sizeof r);
    http_resp_init(&r, 0, false);
    static const char a[] = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"tagline\":1}";
    CHECK_INT(http_resp_feed(&r, (const uint8_t *)a, sizeof a - 1, NULL), HTTP_DONE);
    const json_t *j = http_resp_json(&r);
    CHECK(json_is_object(j) && json_integer_value(json_object_get(j, "tagline")) == 1);
    CHECK_MSG(http_resp_json(&r) == j, "a second call parses again");
    /* the next response on the same struct: its own parse, not the last one's */
    http_resp_init(&r, 0, false);
    static const char b[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    CHECK_INT(http_resp_feed(&r, (const uint8_t *)b, sizeof b - 1, NULL), HTTP_DONE);
    CHECK_MSG(http_resp_json(&r) == NULL, "not JSON: NULL");
    http_resp_init(&r, 0, false);
    static const char c[] = "HTTP/1.1 204 No Content\r\n\r\n";
    CHECK_INT(http_resp_feed(&r, (const uint8_t *)c, sizeof c - 1, NULL), HTTP_DONE);
    CHECK_MSG(http_resp_json(&r) == NULL, "no body: NULL");
    http_resp_free(&r);
    CHECK(r.json == NULL && !r.json_tried);
}

/* A parse's outcome: verdict, bytes used, status, headers, body, flags and the byte count. */
static void resp_sum(struct buf *o, const struct http_resp *r, int rc, size_t used)
{
    buf_appendf(o, "rc %d used %zu status %d minor %d trunc %d complete %d ka %d total %llu|", rc,
                used, r->status, r->minor, r->truncated, r->complete, r->keep_alive,
                (unsigned long long)r->total);
    for (int i = 0; i < r->nhdr; i++)
        buf_appendf(o, "%s=%s|", http_hname(r, i), http_hvalue(r, i));
    if (r->body.len) buf_append(o, r->body.data, r->body.len);
}

/* Feed s in pieces of `step` bytes (0: whole) after the byte count is set to `total`; stop at the
 * first verdict other than HTTP_MORE; the outcome in o. */
static void feed_steps(struct buf *o, const struct buf *s, size_t step, uint64_t total)
{
    struct http_resp r;
    memset(&r, 0, sizeof r);
    http_resp_init(&r, 0, false);
    r.total = total;
    size_t at = 0, used = 0;
    int rc = HTTP_MORE;
    while (at < s->len && rc == HTTP_MORE) {
        size_t k = step && s->len - at > step ? step : s->len - at;
        rc = http_resp_feed(&r, s->data + at, k, &used);
        at += used;
    }
    resp_sum(o, &r, rc, at);
    http_resp_free(&r);
}

/* Lines are taken a run of bytes at a time (line_run): the same outcome as byte by byte, and as
 * split at every offset, at each cap: a status line one past its cap (refused at that byte), a
 * header line past its cap (cut), a chunked body's size lines, and the bytes-read cap falling
 * inside a header line. */
static void line_runs(void)
{
    struct {
        const char *head;
        size_t fill;
        const char *tail;
        uint64_t total;
    } cases[] = {
        {"HTTP/1.1 200 ", HTTP_MAX_LINE - 15, "\r\nContent-Length: 2\r\n\r\nok", 0},
        {"HTTP/1.1 200 ", HTTP_MAX_LINE - 14, "\r\nContent-Length: 2\r\n\r\nok", 0},
        {"HTTP/1.1 200 ", HTTP_MAX_LINE + 40, "\r\n\r\n", 0},
        {"HTTP/1.1 200 OK\r\nX-A: ", HTTP_MAX_LINE + 5,
         "\r\nServer: s\r\nContent-Length: 1\r\n\r\nb", 0},
        {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nX: ", 30,
         "\r\n\r\n3;ext=1\r\nabc\r\n 0 \r\nT: 1\r\n\r\n", 0},
        {"HTTP/1.1 200 OK\r\nX-B: ", 100, "\r\nContent-Length: 0\r\n\r\n", HTTP_MAX_TOTAL - 40},
        {"HTTP/1.1 200 OK\r\nX-B: ", 100, "\r\nContent-Length: 0\r\n\r\n", HTTP_MAX_TOTAL - 140},
        {"HTTP/1.1 200 OK\r\nX-B: ", 100, "\r\nContent-Length: 0\r\n\r\n", HTTP_MAX_TOTAL - 150},
        {"HTTP/1.1 200 OK\r\n", 0, "\n\nContent-Length: 1\r\n\r\nz", HTTP_MAX_TOTAL + 1 - 18},
        {"HTTPS", 0, "/1.1 200 OK\r\n\r\n", 0},
    };
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        struct buf s, want, got;
        buf_init(&s, 1u << 20);
        buf_appendf(&s, "%s", cases[c].head);
        for (size_t i = 0; i < cases[c].fill; i++)
            buf_append(&s, i % 7 ? "v" : " ", 1);
        buf_appendf(&s, "%s", cases[c].tail);
        buf_init(&want, 1u << 22);
        feed_steps(&want, &s, 1, cases[c].total);
        size_t steps[] = {0, 2, 3, 7, 64, 4096};
        for (size_t k = 0; k < ARRAY_LEN(steps); k++) {
            buf_init(&got, 1u << 22);
            feed_steps(&got, &s, steps[k], cases[c].total);
            CHECK_MSG(got.len == want.len && !memcmp(got.data, want.data, got.len),
                      "case %zu step %zu: %.200s vs %.200s", c, steps[k], (char *)got.data,
                      (char *)want.data);
            buf_free(&got);
        }
        fprintf(stderr, "line run case %zu: %.120s\n", c, (char *)want.data);
        buf_free(&want);
        buf_free(&s);
    }
}

int main(void)
{
    CHECK_MSG(sizeof(struct http_resp) <= 512, "%zu", sizeof(struct http_resp));
    CHECK_MSG(probe_http.state_size <= 768, "%zu", probe_http.state_size);
    fprintf(stderr, "sizeof(struct http_resp) %zu, probe_http.state_size %zu\n",
            sizeof(struct http_resp), probe_http.state_size);
    root_response();
    dispatcher_run();
    caps();
    line_runs();
    json_memo();
    return T_END();
}
