/*
 * probe/http.c -- the HTTP/1.1 response parser and the HTTP dispatcher.
 *
 * Requests the dispatcher itself can send (every app lists its own):
 *   GET / HTTP/1.1
 *   GET <fingerprint path of an app>   (at most HTTP_MAX_FINGERPRINTS of them, each once;
 *                                       a signature's are the paths its identify rules read)
 *
 * The parser is a byte-driven state machine so it accepts any split of the
 * stream; it never keeps more than one line (HTTP_MAX_LINE) plus the capped
 * body. Header values longer than HTTP_MAX_HVALUE are cut, extra headers
 * beyond HTTP_MAX_HEADERS, or past HTTP_HDR_BYTES of header text, are
 * dropped, a 10 GB Content-Length is read (and
 * dropped) only up to HTTP_MAX_TOTAL before the response is declared cut off.
 */
#include "probe/http.h"
#include "core/jsonscan.h"
#include "core/version.h"
#include "catalog/catalog.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_MAX_FINGERPRINTS       8  /* on a port some HTTP service claims */
#define HTTP_FINGERPRINTS_UNCLAIMED 4  /* on a port none claims, after a web page at / */
#define HTTP_FINGERPRINTS_DEEP      48 /* on a port none claims whose / said nothing */

enum {
    ST_STATUS = 0,
    ST_HEADER,
    ST_BODY_LEN,
    ST_BODY_CLOSE,
    ST_CHUNK_SIZE,
    ST_CHUNK_DATA,
    ST_CHUNK_CRLF,
    ST_TRAILER,
    ST_DONE
};

/* First allocations of the growing buffers: most status and header lines fit in the first,
 * and so does the header text of most responses (a few headers of tens of bytes). */
#define LINE_FIRST 128
#define HBUF_FIRST 128

/* Empty b with this cap, keeping its memory. */
static void rebuf(struct buf *b, size_t cap)
{
    b->cap = cap;
    buf_reset(b);
}

static void drop_jscan(struct http_resp *r)
{
    if (r->jscan) {
        jscan_free(r->jscan);
        free(r->jscan);
    }
    r->jscan = NULL;
    r->jscan_tried = false;
}

void http_resp_init(struct http_resp *r, size_t body_cap, bool head_only)
{
    /* every field a response reads is set here; the header offsets past nhdr and the buffers'
     * bytes past their lengths are never read, so they are not cleared */
    r->status = 0;
    r->minor = 0;
    r->nhdr = 0;
    rebuf(&r->hbuf, HTTP_HDR_BYTES);
    rebuf(&r->body, body_cap ? body_cap : HTTP_BODY_CAP);
    rebuf(&r->line, HTTP_MAX_LINE - 1);
    r->truncated = false;
    r->complete = false;
    r->keep_alive = false;
    r->head_only = head_only;
    r->chunked = false;
    r->st = 0;
    r->clen = -1;
    r->left = 0;
    r->total = 0;
    json_decref(r->json);
    r->json = NULL;
    r->json_tried = false;
    drop_jscan(r);
}

const json_t *http_resp_json(const struct http_resp *r)
{
    if (!r->json_tried) {
        /* a memo: the response is const to the apps, its parse is made once for all */
        struct http_resp *m = (struct http_resp *)r;
        m->json_tried = true;
        if (r->body.data && r->body.len)
            m->json = json_loadb((const char *)r->body.data, r->body.len, JSON_DECODE_ANY, NULL);
    }
    return r->json;
}

const struct jscan *http_resp_jscan(const struct http_resp *r)
{
    if (!r->jscan_tried) {
        struct http_resp *m = (struct http_resp *)r; /* a memo, as http_resp_json's */
        m->jscan_tried = true;
        struct jscan *s = r->body.data && r->body.len ? xmalloc(sizeof *s) : NULL;
        if (s && jscan_parse(s, (const char *)r->body.data, r->body.len, 0) == 0) {
            m->jscan = s;
        } else if (s) {
            jscan_free(s);
            free(s);
        }
    }
    return r->jscan;
}

void http_resp_free(struct http_resp *r)
{
    drop_jscan(r);
    buf_free(&r->body);
    buf_free(&r->hbuf);
    buf_free(&r->line);
    json_decref(r->json);
    r->json = NULL;
    r->json_tried = false;
}

const char *http_header(const struct http_resp *r, const char *name)
{
    for (int i = 0; i < r->nhdr; i++)
        if (str_ieq(http_hname(r, i), name)) return http_hvalue(r, i);
    return NULL;
}

/* s without its leading blanks and trailing blanks and CRs, in place; its new length. */
static size_t trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (i) memmove(s, s + i, n - i + 1);
    return n - i;
}

static int parse_status(struct http_resp *r)
{
    /* HTTP/1.x NNN reason (the reason is not kept: nothing reads it) */
    const char *l = (const char *)r->line.data;
    if (strncmp(l, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)l[7]) || l[8] != ' ') return -1;
    r->minor = l[7] - '0';
    uint64_t st;
    if (parse_u64n(l + 9, 3, 999, &st) < 0 || st < 100) return -1;
    if (l[12] != 0 && l[12] != ' ' && l[12] != '\r') return -1;
    r->status = (int)st;
    r->keep_alive = r->minor >= 1;
    return 0;
}

_Static_assert(HTTP_HDR_BYTES <= UINT16_MAX, "header offsets are 16-bit");

/* Keep a header's sanitised name and value in hbuf while it has room for the name and some of
 * the value; otherwise (or when memory is short) the header is dropped. */
static void keep_header(struct http_resp *r, const char *name, size_t nn, const char *value,
                        size_t vn)
{
    size_t room = HTTP_HDR_BYTES - r->hbuf.len;
    if (r->nhdr >= HTTP_MAX_HEADERS || room < 66) return;
    /* the most the two str_sanitize calls below write: never more bytes than they read (a bad
     * or unsafe sequence becomes one '?' or fewer), never past the room they are given */
    size_t need =
        (nn < 63 ? nn : 63) + 1 + (vn < HTTP_MAX_HVALUE - 1 ? vn : HTTP_MAX_HVALUE - 1) + 1;
    if (need > room) need = room;
    if (buf_reserve_from(&r->hbuf, r->hbuf.len + need, HBUF_FIRST) < 0) return;
    char *p = (char *)r->hbuf.data + r->hbuf.len;
    size_t nl = str_sanitize(p, 64, name, nn, false);
    char *v = p + nl + 1;
    size_t vroom = room - nl - 1;
    size_t vl =
        str_sanitize(v, vroom < HTTP_MAX_HVALUE ? vroom : HTTP_MAX_HVALUE, value, vn, false);
    r->hdr[r->nhdr++] =
        (struct http_header){(uint16_t)r->hbuf.len, (uint16_t)(r->hbuf.len + nl + 1)};
    r->hbuf.len += nl + 1 + vl + 1;
    r->hbuf.data[r->hbuf.len] = 0; /* a struct buf's promise (room kept by grow) */
}

static int parse_header(struct http_resp *r)
{
    char *line = (char *)r->line.data;
    char *colon = strchr(line, ':');
    if (!colon) return 0; /* tolerate junk lines */
    *colon = 0;
    char *name = line, *value = colon + 1;
    size_t nn = trim(name), vn = trim(value);
    if (!nn) return 0;
    /* the names' lengths first: most headers are none of the three */
    if (nn == 14 && str_ieq(name, "Content-Length")) {
        uint64_t v;
        if (parse_u64(value, UINT64_MAX / 2, &v) < 0) return -1;
        r->clen = (int64_t)v;
    } else if (nn == 17 && str_ieq(name, "Transfer-Encoding")) {
        if (mem_find(value, vn, "chunked", true)) r->chunked = true;
    } else if (nn == 10 && str_ieq(name, "Connection")) {
        if (mem_find(value, vn, "close", true)) r->keep_alive = false;
        if (mem_find(value, vn, "keep-alive", true)) r->keep_alive = true;
    }
    keep_header(r, name, nn, value, vn);
    return 0;
}

static void body_keep(struct http_resp *r, const uint8_t *p, size_t n)
{
    if (r->body.len + n > r->body.cap) r->truncated = true;
    buf_append(&r->body, p, n); /* keeps what fits */
}

/* After the header block: decide how the body is delimited. */
static void start_body(struct http_resp *r)
{
    bool no_body = r->head_only || r->status == 204 || r->status == 304 || r->status < 200;
    if (no_body) {
        r->st = ST_DONE;
    } else if (r->chunked) {
        r->st = ST_CHUNK_SIZE;
    } else if (r->clen >= 0) {
        r->left = (uint64_t)r->clen;
        r->st = r->left ? ST_BODY_LEN : ST_DONE;
        /* the body will hold no more than Content-Length: its buffer never grows past it (it
         * still grows only as bytes arrive, whatever the length claims) */
        if (r->left < r->body.cap) r->body.cap = (size_t)r->left;
    } else {
        r->st = ST_BODY_CLOSE;
        r->keep_alive = false;
    }
}

/* A chunk's size line (hex digits, then perhaps ";extensions"): the chunk's length. */
static int parse_chunk_size(struct http_resp *r)
{
    char *line = (char *)r->line.data;
    char *semi = strchr(line, ';');
    if (semi) *semi = 0;
    trim(line);
    char *end;
    if (!line[0] || strlen(line) > 15) return -1;
    unsigned long long sz = strtoull(line, &end, 16);
    if (*end) return -1;
    r->left = sz;
    r->st = sz ? ST_CHUNK_DATA : ST_TRAILER;
    return 0;
}

/*
 * The bytes of a line before its '\n' in one step, taking and refusing exactly what the
 * byte-by-byte path of http_resp_feed would: p[0] (not a '\n') has passed the total's check,
 * each further byte passes it while r->total <= HTTP_MAX_TOTAL; the line keeps what fits under
 * its cap and drops the rest, except a status line, refused at its first byte past the cap.
 * *got: the bytes consumed (a refused line's up to the byte refused, as byte by byte); false for
 * a refusal (HTTP_BAD: a status line past its cap, or a line past the memory there is).
 */
static bool line_run(struct http_resp *r, const uint8_t *p, size_t n, size_t *got)
{
    struct buf *lb = &r->line;
    const uint8_t *nl = memchr(p, '\n', n);
    size_t span = nl ? (size_t)(nl - p) : n;
    uint64_t more = HTTP_MAX_TOTAL + 1 - r->total; /* r->total <= HTTP_MAX_TOTAL + 1 here */
    if (span - 1 > more) span = (size_t)more + 1;
    size_t take = lb->len < lb->cap ? lb->cap - lb->len : 0;
    if (take > span) take = span;
    if (take) {
        if (lb->len + take + 1 > lb->alloc &&
            buf_reserve_from(lb, lb->len + take, LINE_FIRST) < 0) {
            *got = 1;
            return false;
        }
        memcpy(lb->data + lb->len, p, take);
        lb->len += take;
    }
    bool refused = take < span && r->st == ST_STATUS;
    *got = refused ? take + 1 : span;
    r->total += *got - 1;
    return !refused;
}

int http_resp_feed(struct http_resp *r, const uint8_t *p, size_t n, size_t *used)
{
    size_t i = 0;
    int rc = HTTP_MORE;
    while (i < n && r->st != ST_DONE) {
        if (r->total++ > HTTP_MAX_TOTAL) {
            r->truncated = true;
            r->keep_alive = false;
            r->st = ST_DONE;
            break;
        }
        switch (r->st) {
        case ST_STATUS:
        case ST_HEADER:
        case ST_CHUNK_SIZE:
        case ST_CHUNK_CRLF:
        case ST_TRAILER: {
            struct buf *lb = &r->line;
            if (p[i] != '\n' && (r->st != ST_STATUS || lb->len >= 5)) {
                size_t got;
                bool ok = line_run(r, p + i, n - i, &got);
                i += got;
                if (!ok) {
                    rc = HTTP_BAD;
                    goto out;
                }
                break;
            }
            uint8_t c = p[i++];
            if (r->st == ST_STATUS && lb->len < 5 && c != "HTTP/"[lb->len]) {
                rc = HTTP_BAD;
                goto out;
            }
            if (c != '\n') {
                if (lb->len < lb->cap) {
                    /* a line past the memory there is is refused, never parsed cut */
                    if (lb->len + 2 > lb->alloc &&
                        buf_reserve_from(lb, lb->len + 1, LINE_FIRST) < 0) {
                        rc = HTTP_BAD;
                        goto out;
                    }
                    lb->data[lb->len++] = c;
                } else if (r->st == ST_STATUS) {
                    rc = HTTP_BAD;
                    goto out;
                }
                break;
            }
            if (!lb->data && buf_reserve_from(lb, 0, LINE_FIRST) < 0) {
                rc = HTTP_BAD;
                goto out;
            }
            lb->data[lb->len] = 0;
            if (lb->len && lb->data[lb->len - 1] == '\r') lb->data[--lb->len] = 0;
            size_t len = lb->len;
            lb->len = 0;
            if (r->st == ST_STATUS) {
                if (parse_status(r) < 0) {
                    rc = HTTP_BAD;
                    goto out;
                }
                r->st = ST_HEADER;
            } else if (r->st == ST_HEADER) {
                if (len == 0) {
                    if (r->status == 100) { /* interim: start over */
                        r->st = ST_STATUS;
                        r->nhdr = 0;
                        break;
                    }
                    start_body(r);
                } else if (parse_header(r) < 0) {
                    rc = HTTP_BAD;
                    goto out;
                }
            } else if (r->st == ST_CHUNK_SIZE) {
                if (parse_chunk_size(r) < 0) {
                    rc = HTTP_BAD;
                    goto out;
                }
            } else if (r->st == ST_CHUNK_CRLF) {
                r->st = ST_CHUNK_SIZE;
            } else { /* trailer */
                if (len == 0) r->st = ST_DONE;
            }
            break;
        }
        case ST_BODY_LEN:
        case ST_CHUNK_DATA: {
            size_t take = n - i;
            if (take > r->left) take = (size_t)r->left;
            body_keep(r, p + i, take);
            r->total += take > 0 ? take - 1 : 0;
            i += take;
            r->left -= take;
            if (r->left == 0) r->st = r->st == ST_BODY_LEN ? ST_DONE : ST_CHUNK_CRLF;
            break;
        }
        case ST_BODY_CLOSE: {
            size_t take = n - i;
            body_keep(r, p + i, take);
            r->total += take > 0 ? take - 1 : 0;
            i += take;
            break;
        }
        }
    }
    if (r->st == ST_DONE) {
        r->complete = true;
        rc = HTTP_DONE;
    }
out:
    if (used) *used = i;
    return rc;
}

int http_resp_eof(struct http_resp *r)
{
    if (r->st == ST_DONE) return HTTP_DONE;
    if (r->st == ST_BODY_CLOSE || (r->truncated && r->status)) {
        r->st = ST_DONE;
        r->complete = true;
        r->keep_alive = false;
        return HTTP_DONE;
    }
    return HTTP_BAD;
}

void http_title(const struct http_resp *r, char *out, size_t n)
{
    out[0] = 0;
    const char *b = (const char *)r->body.data;
    if (!b) return;
    const char *t = mem_find(b, r->body.len, "<title", true);
    if (!t) return;
    const char *gt = memchr(t, '>', r->body.len - (size_t)(t - b));
    if (!gt) return;
    gt++;
    const char *end = mem_find(gt, r->body.len - (size_t)(gt - b), "</title", true);
    size_t len = end ? (size_t)(end - gt) : 0;
    if (len > 200) len = 200;
    char tmp[256];
    str_sanitize(tmp, sizeof tmp, gt, len, false);
    trim(tmp);
    str_copy(out, tmp, n);
}

/* ---- the dispatcher ---- */

#define HTTP_SENT_MAX  (HTTP_FINGERPRINTS_DEEP + 1) /* the dispatcher's own GETs: / and paths */
#define HTTP_SENT_PATH 128                          /* a path remembered up to 127 bytes */
#define HTTP_PATH_MAX  256                          /* a->path: up to 255 bytes */
#define HTTP_RAW_MAX   256                          /* the first answer's bytes for sniff() */
#define HTTP_REQ_CAP   16384                        /* one request, headers and body */

/*
 * The state of one run, sized to what it uses: the fixed part is small and every text it keeps
 * is in a buffer that grows when there is something to keep (most runs never fill some of them:
 * an identified service keeps neither the fingerprint list nor the generic record's texts).
 */
struct http_state {
    struct http_resp resp;
    const struct http_app *app; /* chosen app, NULL while fingerprinting */
    void *app_state;
    /* the request in flight, to resend after a reconnect; its path is path_len bytes at
     * path_off in it */
    struct buf pending;
    uint16_t path_off, path_len;
    bool head; /* request in flight is HEAD */
    bool want_reconnect;
    bool sent_root;  /* GET / was sent (always the first) */
    int nsent;       /* the dispatcher's own GETs, / included */
    struct buf sent; /* the paths of the others, NUL-separated */
    /* what GET / said, for the generic record */
    bool have_root;
    bool root_page; /* / answered 2xx/3xx with HTML: a web site, not an API */
    bool root_cut;  /* GET /'s body was cut at the cap (endless or huge) */
    int root_status;
    struct buf root; /* when no app claimed it: Server, title, WWW-Authenticate's scheme, each
                        NUL-terminated */
    struct buf raw;  /* the first bytes of the first answer when it came in several reads */
};

static const char *host_header(struct probe_ctx *ctx, char *tmp, size_t n)
{
    const struct finding *f = ctx->f;
    if (f->host[0]) return f->host;
    bool v6 = strchr(f->ip, ':') != NULL;
    bool std = (f->port == 80 && !ctx->tls) || (f->port == 443 && ctx->tls);
    if (std)
        str_fmt(tmp, n, v6 ? "[%s]" : "%s", f->ip);
    else
        str_fmt(tmp, n, v6 ? "[%s]:%u" : "%s:%u", f->ip, f->port);
    return tmp;
}

static int put(struct buf *q, const char *p)
{
    return buf_append(q, p, strlen(p));
}

int http_request(struct http_app_ctx *a, const char *method, const char *path, const char *headers,
                 const void *body, size_t bodylen)
{
    struct probe_ctx *pc = a->pc;
    struct http_state *s = pc->state;
    char hb[300];
    /* built where it is kept for a resend: the buffer's memory serves every request of the run */
    struct buf *q = &s->pending;
    buf_reset(q);
    /* the caller's Accept (a signature's accept:) replaces the default one */
    bool own_accept = headers && (str_iprefix(headers, "Accept:") ||
                                  mem_find(headers, strlen(headers), "\r\nAccept:", true));
    /* one append after another (each returns 0 or -1; the order of | operands is unspecified) */
    int bad = put(q, method);
    bad |= put(q, " ");
    size_t off = q->len, plen = strlen(path);
    bad |= buf_append(q, path, plen);
    bad |= put(q, " HTTP/1.1\r\nHost: ");
    bad |= put(q, host_header(pc, hb, sizeof hb));
    bad |= put(q, "\r\nUser-Agent: " AJAR_AGENT " (+metadata-only exposure scanner)\r\n");
    if (!own_accept) bad |= put(q, "Accept: */*\r\n");
    bad |= put(q, "Connection: keep-alive\r\n");
    if (headers) bad |= put(q, headers);
    if (body) {
        char cl[48];
        str_fmt(cl, sizeof cl, "Content-Length: %zu\r\n", bodylen);
        bad |= put(q, cl);
    }
    bad |= put(q, "\r\n");
    if (body && bodylen) bad |= buf_append(q, body, bodylen);
    if (bad) {
        /* too long, or memory is short: nothing to send, nor to resend */
        buf_reset(q);
        s->path_len = 0;
        return -1;
    }
    s->path_off = (uint16_t)off; /* q->len <= HTTP_REQ_CAP */
    s->path_len = (uint16_t)plen;
    s->head = strcmp(method, "HEAD") == 0;
    return probe_send(pc, q->data, q->len);
}

int http_get(struct http_app_ctx *a, const char *path)
{
    return http_request(a, "GET", path, NULL, NULL, 0);
}

/* Has the dispatcher GET this path already (as remembered: up to 127 bytes)? */
static bool sent_has(const struct http_state *s, const char *path)
{
    if (!strcmp(path, "/")) return s->sent_root;
    for (size_t o = 0; o < s->sent.len;) {
        const char *e = (const char *)s->sent.data + o;
        if (!strcmp(e, path)) return true;
        o += strlen(e) + 1;
    }
    return false;
}

static int dispatch_send(struct probe_ctx *ctx, const char *path)
{
    struct http_state *s = ctx->state;
    struct http_app_ctx a = {.pc = ctx, .state = NULL, .path = path};
    if (s->nsent < HTTP_SENT_MAX) {
        s->nsent++;
        if (!strcmp(path, "/")) {
            s->sent_root = true;
        } else {
            /* short of memory, the path is not remembered: at worst asked again, within the
             * count */
            size_t k = strnlen(path, HTTP_SENT_PATH - 1);
            if (buf_reserve_from(&s->sent, s->sent.len + k + 1, 64) == 0) {
                memcpy(s->sent.data + s->sent.len, path, k);
                s->sent.len += k;
                s->sent.data[s->sent.len++] = 0;
                s->sent.data[s->sent.len] = 0;
            }
        }
    }
    return http_get(&a, path);
}

bool http_sent_before(const struct http_app_ctx *a, const char *path)
{
    return sent_has(a->pc->state, path);
}

static int http_start(struct probe_ctx *ctx)
{
    struct http_state *s = ctx->state;
    if (ctx->connection == 0) {
        buf_init(&s->pending, HTTP_REQ_CAP);
        buf_init(&s->sent, HTTP_SENT_MAX * HTTP_SENT_PATH);
        buf_init(&s->root, 128 + 128 + 32);
        buf_init(&s->raw, HTTP_RAW_MAX);
        http_resp_init(&s->resp, 0, false);
        if (dispatch_send(ctx, "/") < 0) return PROBE_DONE;
        return PROBE_SEND;
    }
    /* reconnected: resend the request in flight */
    if (!s->pending.len) return PROBE_DONE;
    http_resp_init(&s->resp, 0, s->head);
    s->want_reconnect = false;
    if (probe_send(ctx, s->pending.data, s->pending.len) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* What GET / said that the generic record shows: k = 0 Server, 1 title, 2 the scheme of
 * WWW-Authenticate; "" when not kept. */
static const char *root_text(const struct http_state *s, int k)
{
    if (!s->root.len) return "";
    const char *p = (const char *)s->root.data;
    for (; k > 0; k--)
        p += strlen(p) + 1;
    return p;
}

/* Keep the texts of GET /'s answer that the generic record shows (no app claimed it). */
static void keep_root(struct http_state *s, const struct http_resp *r)
{
    char server[128] = "", title[128], auth[32] = "";
    const char *sv = http_header(r, "Server");
    if (sv) str_copy(server, sv, sizeof server);
    http_title(r, title, sizeof title);
    const char *wa = http_header(r, "WWW-Authenticate");
    if (wa) {
        size_t k = strcspn(wa, " ,");
        str_sanitize(auth, sizeof auth, wa, k, false);
    }
    size_t ns = strlen(server) + 1, nt = strlen(title) + 1, na = strlen(auth) + 1;
    size_t len = ns + nt + na;
    if (len == 3 || buf_reserve_from(&s->root, len, len + 1) < 0)
        return; /* exactly what it holds */
    memcpy(s->root.data, server, ns);
    memcpy(s->root.data + ns, title, nt);
    memcpy(s->root.data + ns + nt, auth, na);
    s->root.len = len;
    s->root.data[s->root.len] = 0;
}

static void write_generic(struct probe_ctx *ctx)
{
    struct http_state *s = ctx->state;
    struct finding *f = ctx->f;
    FINDING_SET(f, service, "http");
    const char *server = root_text(s, 0), *title = root_text(s, 1), *auth = root_text(s, 2);
    if (server[0]) {
        /* "nginx/1.22.1 (Debian)" -> product nginx, version 1.22.1 */
        char prod[128];
        str_copy(prod, server, sizeof prod);
        char *sp = strchr(prod, ' ');
        if (sp) *sp = 0;
        char *slash = strchr(prod, '/');
        if (slash) {
            *slash = 0;
            FINDING_SET(f, version, slash + 1);
        }
        FINDING_SET(f, product, prod);
    }
    finding_detail_int(f, "status", s->root_status);
    /* a login demanded by the server itself, whoever it is */
    if (s->root_status == 401) {
        f->auth = AUTH_REQUIRED;
        if (auth[0]) finding_detail_str(f, "www_authenticate", auth);
    }
    if (s->root_cut && !f->error[0])
        FINDING_SET(f, error, "HTTP answer to GET / cut at the body cap (endless or huge body)");
    if (server[0]) finding_detail_str(f, "server", server);
    if (title[0]) finding_detail_str(f, "title", title);
}

/* Choose the best app for this response, or NULL. */
static const struct http_app *pick_app(const struct probe_ctx *ctx, const char *path,
                                       const struct http_resp *r)
{
    const struct http_app *best = NULL;
    int best_score = 49;
    bool best_port = false;
    for (size_t i = 0, n = http_app_count(); i < n; i++) {
        const struct http_app *app = http_app_at(i);
        int sc = app->match(app, path, ctx->f->port, r);
        if (sc < best_score || sc < 50) continue; /* neither better nor a tie that counts */
        /* whether the app's service usually listens here: a catalogue lookup, asked only of
         * the candidates that need it */
        bool on_port = http_app_claims(app, ctx->f->port);
        if (sc > best_score || (sc == best_score && sc > 49 && on_port && !best_port)) {
            best = app;
            best_score = sc;
            best_port = on_port;
        }
    }
    return best;
}

/*
 * Queue the next fingerprint path; returns PROBE_SEND or PROBE_DONE (generic). Every app's
 * paths are candidates, each sent at most once (an answer is tried on every app, so a path
 * two apps share is asked once): first those of apps whose service usually listens on this
 * port, then by the catalogue's prevalence, then in app order.
 */
static int next_fingerprint(struct probe_ctx *ctx)
{
    struct http_state *s = ctx->state;
    uint16_t port = ctx->f->port;
    /* a port some HTTP service claims gets every claimer's paths tried (up to 8); another, the
     * 4 most prevalent after a web page at / -- or, when / said nothing (an error, JSON, an
     * empty answer: an API server), every path there is (up to 48), as Nmap tries its rarer
     * probes on a port that did not answer the common ones */
    bool claimed = false;
    for (size_t i = 0; i < http_app_count() && !claimed; i++)
        claimed = http_app_claims(http_app_at(i), port);
    int cap = 1 + (claimed        ? HTTP_MAX_FINGERPRINTS
                   : s->root_page ? HTTP_FINGERPRINTS_UNCLAIMED
                                  : HTTP_FINGERPRINTS_DEEP);
    while (s->nsent < cap && s->nsent < HTTP_SENT_MAX) {
        const char *best = NULL;
        int best_key = -1;
        for (size_t i = 0; i < http_app_count(); i++) {
            const struct http_app *app = http_app_at(i);
            const struct svc *e = http_app_entry(app);
            int key = (http_app_claims(app, port) ? 1000 : 0) + (e ? e->prevalence : 0);
            for (const char *const *p = app->paths; p && *p; p++) {
                if (key > best_key && !sent_has(s, *p)) {
                    best = *p;
                    best_key = key;
                }
            }
        }
        if (!best) break;
        if (dispatch_send(ctx, best) < 0) break;
        return PROBE_SEND;
    }
    write_generic(ctx);
    return PROBE_DONE;
}

static int after_send(struct probe_ctx *ctx, int rc)
{
    struct http_state *s = ctx->state;
    if (rc == PROBE_SEND && !s->resp.keep_alive) {
        /* the server closes after each answer: drop what we queued, reconnect */
        buf_reset(ctx->out);
        s->want_reconnect = true;
        return PROBE_RECONNECT;
    }
    if (rc == PROBE_SEND) http_resp_init(&s->resp, 0, s->head);
    return rc;
}

/*
 * Does another protocol claim this answer? Some servers answer a GET on their own port with
 * an HTTP text that names them (MongoDB: "It looks like you are trying to access MongoDB over
 * HTTP on the native driver port"; ClickHouse's native port: "Port 9000 is for
 * clickhouse-client program"). Such an answer is not a web server: the dispatcher declines,
 * and the engine, holding the same bytes, tries the probe that recognises them.
 */
static bool other_protocol(const uint8_t *raw, size_t rawn)
{
    if (!rawn) return false;
    for (size_t i = 0; i < probe_count(); i++) {
        const struct probe *p = probe_at(i);
        if (p != &probe_http && probe_sniff(p, raw, rawn) >= 80) return true;
    }
    return false;
}

/*
 * A TLS server's plain-text refusal of a plain request: Go's net/http ("Client sent an HTTP
 * request to an HTTPS server", a registry or a Prometheus with TLS on their usual plain port)
 * or nginx ("The plain HTTP request was sent to HTTPS port"). It is no page of a web server
 * but "speak TLS here": the dispatcher declines, and the engine, which holds the same bytes
 * (net/job.c wants_tls), redoes the plan over TLS.
 */
static bool refuses_plain(const struct probe_ctx *ctx, const struct http_resp *r)
{
    static const char *const says[] = {"Client sent an HTTP request to an HTTPS server",
                                       "plain HTTP request was sent to HTTPS"};
    if (ctx->tls || r->status != 400 || !r->body.data) return false;
    for (size_t i = 0; i < ARRAY_LEN(says); i++)
        if (mem_find(r->body.data, r->body.len, says[i], true)) return true;
    return false;
}

/*
 * A complete response to the request in flight. raw/rawn: the first bytes of the first answer
 * (up to HTTP_RAW_MAX), for the other probes' sniff() while no app has claimed the port.
 */
static int handle_response(struct probe_ctx *ctx, const uint8_t *raw, size_t rawn)
{
    struct http_state *s = ctx->state;
    struct http_resp *r = &s->resp;
    /* the path this response answers, kept here while the app queues its next request */
    char path[HTTP_PATH_MAX];
    size_t pl = s->path_len < sizeof path - 1 ? s->path_len : sizeof path - 1;
    if (pl) memcpy(path, s->pending.data + s->path_off, pl);
    path[pl] = 0;
    if (!s->app) {
        const struct http_app *app = pick_app(ctx, path, r);
        if (!s->have_root) {
            s->have_root = true;
            s->root_status = r->status;
            s->root_cut = r->truncated;
            const char *ct = http_header(r, "Content-Type");
            s->root_page =
                r->status >= 200 && r->status < 400 && ct && str_iprefix(ct, "text/html");
            if (!app) keep_root(s, r); /* the generic record's texts, needed only then */
        }
        if (!app && s->nsent == 1 && (other_protocol(raw, rawn) || refuses_plain(ctx, r)))
            return PROBE_NOMATCH;
        if (!app) return after_send(ctx, next_fingerprint(ctx));
        s->app = app;
        if (app->state_size) {
            s->app_state = xcalloc(1, app->state_size);
            if (!s->app_state) return PROBE_DONE;
        }
        FINDING_SET(ctx->f, service, app->name);
    }
    struct http_app_ctx a = {.pc = ctx, .state = s->app_state, .path = path, .app = s->app};
    int rc = s->app->on_response(&a, r);
    return after_send(ctx, rc);
}

static int http_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct http_state *s = ctx->state;
    if (!n) return PROBE_MORE;
    size_t used = 0;
    int rc = http_resp_feed(&s->resp, p, n, &used);
    if (rc == HTTP_BAD) {
        if (s->app || s->have_root) {
            if (!ctx->f->error[0]) FINDING_SET(ctx->f, error, "malformed HTTP response");
            if (!s->app) write_generic(ctx);
            return PROBE_DONE;
        }
        return PROBE_NOMATCH;
    }
    /* the first answer's first bytes, for sniff(): seen here when it came in one read (the
     * usual case, nothing copied), else gathered read by read */
    const uint8_t *raw = NULL;
    size_t rawn = 0;
    if (!s->have_root) {
        if (rc == HTTP_DONE && !s->raw.len) {
            raw = p;
            rawn = n < HTTP_RAW_MAX ? n : HTTP_RAW_MAX;
        } else {
            size_t k = HTTP_RAW_MAX - s->raw.len;
            buf_append(&s->raw, p, n < k ? n : k); /* short of memory: sniffed on less */
            raw = s->raw.data;
            rawn = s->raw.len;
        }
    }
    if (rc == HTTP_MORE) return PROBE_MORE;
    int prc = handle_response(ctx, raw, rawn);
    if (s->have_root) buf_free(&s->raw);
    /* PROBE_SEND: bytes past this response before we asked again would be junk: ignore them */
    return prc;
}

static int http_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct http_state *s = ctx->state;
    if (s->want_reconnect) return PROBE_RECONNECT;
    if (why == PROBE_END_EOF && http_resp_eof(&s->resp) == HTTP_DONE) {
        int rc = handle_response(ctx, s->raw.data, s->raw.len);
        if (s->have_root) buf_free(&s->raw);
        if (rc == PROBE_SEND || rc == PROBE_RECONNECT) {
            buf_reset(ctx->out);
            s->want_reconnect = false;
            return PROBE_RECONNECT;
        }
        return rc;
    }
    if (s->app || s->have_root) {
        if (!ctx->f->error[0])
            FINDING_SET(ctx->f, error,
                        why == PROBE_END_TIMEOUT ? "HTTP response timed out"
                                                 : "HTTP connection ended early");
        if (!s->app) write_generic(ctx);
        return PROBE_DONE;
    }
    return PROBE_NOMATCH;
}

static void http_free_state(void *state)
{
    struct http_state *s = state;
    if (s->app && s->app->free_state && s->app_state) s->app->free_state(s->app_state);
    free(s->app_state);
    http_resp_free(&s->resp);
    buf_free(&s->pending);
    buf_free(&s->sent);
    buf_free(&s->root);
    buf_free(&s->raw);
}

size_t http_state_memory(const void *state)
{
    const struct http_state *s = state;
    size_t n = sizeof *s + s->resp.hbuf.alloc + s->resp.body.alloc + s->resp.line.alloc +
               s->pending.alloc + s->sent.alloc + s->root.alloc + s->raw.alloc;
    if (s->app_state) n += s->app->state_size;
    return n;
}

const struct probe probe_http = {
    .name = "http",
    .flags = PROBE_TLS_OK | PROBE_HTTP,
    .state_size = sizeof(struct http_state),
    .start = http_start,
    .on_data = http_on_data,
    .on_end = http_on_end,
    .free_state = http_free_state,
};

const struct http_app *http_app_find(const char *name)
{
    for (size_t i = 0; i < http_app_count(); i++)
        if (strcmp(http_app_at(i)->name, name) == 0) return http_app_at(i);
    return NULL;
}
