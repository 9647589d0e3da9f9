/*
 * probe/http.h -- one HTTP/1.1 client for every HTTP-speaking probe.
 *
 * Two parts:
 *  1. http_resp: a push parser for one response (status line, headers,
 *     Content-Length, chunked or close-delimited bodies). Every size is
 *     capped: status/header lines (HTTP_MAX_LINE), header count
 *     (HTTP_MAX_HEADERS), the header text kept (HTTP_HDR_BYTES), the body kept (body_cap; the rest
 * is counted and dropped, `truncated` set) and the bytes read in all (HTTP_MAX_TOTAL, after which
 * the response is cut off and the connection not reused). The buffers grow as bytes arrive,
 * within those caps: a response holds about what it received, not what it might have.
 *  2. The HTTP dispatcher, `probe_http` (registry name "http"): it sends
 *     GET / and asks every http_app whether the answer is its own; the best
 *     match takes over the connection (keep-alive) for its own requests.
 *     When nothing matches, it tries the apps' fingerprint paths in turn
 *     (e.g. /version, /ping), a few at most, then writes a generic "http"
 *     record (status, Server header, title).
 *
 * Adding an HTTP service: a signature file under signatures/ (docs/signatures.md), or,
 * when it needs code, one file src/probe/NAME.c defining `const struct http_app
 * http_app_NAME`, its catalogue entry in src/catalog/services.c and one line in
 * src/probe/registry.c; fixtures under tests/probe/cases/NAME/.
 */
#ifndef AJAR_PROBE_HTTP_H
#define AJAR_PROBE_HTTP_H

#include "probe/probe.h"

#define HTTP_MAX_LINE    8192
#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_HVALUE  1024
#define HTTP_HDR_BYTES   16384       /* header names and values kept, in all */
#define HTTP_BODY_CAP    (4u << 20)  /* default body kept: 4 MiB */
#define HTTP_MAX_TOTAL   (64u << 20) /* bytes read for one response before giving up */

enum { HTTP_MORE = 0, HTTP_DONE = 1, HTTP_BAD = -1 };

/* A header, sanitised to printable text: name up to 63 bytes, value up to HTTP_MAX_HVALUE - 1,
 * both NUL-terminated inside the response's hbuf. Offsets, not pointers: hbuf grows (moves) as
 * headers arrive. Read them with http_hname / http_hvalue. */
struct http_header {
    uint16_t name;  /* offset in hbuf.data */
    uint16_t value; /* offset in hbuf.data */
};

/*
 * One response. Its buffers (header text, body, the line being read) start empty and grow as
 * bytes arrive, each within its cap; http_resp_init keeps their memory for the next response on
 * the same connection.
 */
struct http_resp {
    int status; /* 200 */
    int minor;  /* HTTP/1.<minor> */
    int nhdr;
    struct http_header hdr[HTTP_MAX_HEADERS];
    struct buf hbuf; /* the headers' text, cap HTTP_HDR_BYTES; a header that does not fit is
                        dropped */
    struct buf body; /* capped at body_cap (and at Content-Length); NUL-terminated */
    bool truncated;  /* body longer than body_cap (rest dropped) */
    bool complete;
    bool keep_alive; /* the connection can carry another request */
    /* parser state (private) */
    bool head_only;
    bool chunked;
    int st;
    int64_t clen;  /* -1: read until close */
    uint64_t left; /* bytes left in body or current chunk */
    uint64_t total;
    struct buf line; /* the status, header or chunk line being read, cap HTTP_MAX_LINE - 1 */
    /* the body as JSON, parsed once for every app that asks (http_resp_json) */
    json_t *json;
    bool json_tried;
    /* the body's JSON tokens, made once for every app that asks (http_resp_jscan) */
    struct jscan *jscan;
    bool jscan_tried;
};

/*
 * The body parsed as JSON (any value; NULL when it is not JSON or empty), borrowed: valid until
 * the response is prepared again or freed. Parsed on the first call only: the dispatcher asks
 * every app (and every signature) whether an answer is its own, and each used to parse it anew.
 */
const json_t *http_resp_json(const struct http_resp *r);

/*
 * The body as JSON tokens (core/jsonscan.h, the whole text, no JSCAN_ALLOW_NUL; NULL when it is
 * not JSON or empty), borrowed like http_resp_json's tree: the apps' match() of the first
 * answer and the chosen app's first reading of it share one tokenisation. Its memory (a few KB)
 * is released when the response is prepared again.
 */
struct jscan;
const struct jscan *http_resp_jscan(const struct http_resp *r);

/* The name and value of header i (0 <= i < r->nhdr). */
static inline const char *http_hname(const struct http_resp *r, int i)
{
    return (const char *)r->hbuf.data + r->hdr[i].name;
}
static inline const char *http_hvalue(const struct http_resp *r, int i)
{
    return (const char *)r->hbuf.data + r->hdr[i].value;
}

/*
 * Prepare r for a response; body_cap 0 = HTTP_BODY_CAP. head_only: answer to HEAD (no body).
 * r is zeroed or was prepared before: its buffers' memory is kept (lengths reset), nothing else
 * of the previous response is.
 */
void http_resp_init(struct http_resp *r, size_t body_cap, bool head_only);
/* Release the buffers. Safe on a zeroed struct. */
void http_resp_free(struct http_resp *r);
/*
 * Feed bytes. *used (may be NULL) gets how many were consumed: bytes after
 * the end of this response belong to the next one. Returns HTTP_MORE,
 * HTTP_DONE or HTTP_BAD (not HTTP, or malformed beyond repair).
 */
int http_resp_feed(struct http_resp *r, const uint8_t *p, size_t n, size_t *used);
/* The connection closed: HTTP_DONE if the body was close-delimited, else HTTP_BAD. */
int http_resp_eof(struct http_resp *r);
/* First header with this name (case-insensitive), or NULL. */
const char *http_header(const struct http_resp *r, const char *name);
/* The <title> of an HTML body, sanitized, into out; "" if none. */
void http_title(const struct http_resp *r, char *out, size_t n);

/* ---- HTTP applications, driven by the dispatcher ---- */

struct http_app;
struct http_app_ctx {
    const struct http_app *app; /* the app in charge (NULL for the dispatcher's own requests) */
    struct probe_ctx *pc;       /* pc->f is the finding; use probe_emit for extra ones */
    void *state;                /* the app's state_size zeroed bytes */
    const char *path;           /* path of the request this response answers */
    bool head;                  /* the next request is HEAD (set by http_get/head) */
};

/*
 * Queue a request on the connection: method, path (sent as is; callers
 * percent-encode), optional extra header lines ("Name: value\r\n..." or
 * NULL) and body. Host is the target's name when one was given, else the
 * address (with the port when not 80/443). Returns 0 or -1 (request cap).
 */
int http_request(struct http_app_ctx *a, const char *method, const char *path, const char *headers,
                 const void *body, size_t bodylen);
int http_get(struct http_app_ctx *a, const char *path);
/* Did the dispatcher itself already GET this path on this connection run (GET /, fingerprints)? */
bool http_sent_before(const struct http_app_ctx *a, const char *path);

struct svc;
struct http_app {
    const char *name; /* service name in the record: "elasticsearch" */
    const char *const
        *paths; /* fingerprint paths to try when GET / matched nothing, NULL-ended; may be NULL */
    size_t state_size;

    /*
     * match: how sure (0..100) the app is that `r`, the answer to GET
     * `path` on `port`, comes from its product. 0 = not mine. The dispatcher picks
     * the highest score >= 50; ties go to the app whose ports include the
     * port. Pure: no side effects.
     */
    int (*match)(const struct http_app *self, const char *path, uint16_t port,
                 const struct http_resp *r);

    /*
     * on_response: the app owns the connection. Called first with the
     * matching response, then with the answer to each request it queued.
     * Fill a->pc->f; queue the next request with http_get/http_request and
     * return PROBE_SEND, or return PROBE_DONE. If the server closes the
     * connection, the dispatcher reconnects for the next queued request.
     */
    int (*on_response)(struct http_app_ctx *a, const struct http_resp *r);

    void (*free_state)(void *state);

    /* The catalogue entry (a signature's app points at its own); NULL: found by name. */
    const struct svc *entry;
};

size_t http_app_count(void);
const struct http_app *http_app_at(size_t i);
const struct http_app *http_app_find(const char *name);
extern const struct probe probe_http;
/* The bytes a dispatcher's state (probe_http's state_size) holds now: the struct, the memory of
 * its buffers and the chosen app's state. For the tests and benchmarks of its footprint. */
size_t http_state_memory(const void *state);
/* The catalogue entry of an app; does its service usually listen on port? */
const struct svc *http_app_entry(const struct http_app *a);
bool http_app_claims(const struct http_app *a, uint16_t port);

#endif
