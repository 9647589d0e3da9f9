/*
 * web/server.c -- `ajar serve`'s HTTPS server.
 *
 * Every request goes through handle():
 *   1. methods: GET, HEAD and POST; anything else is 405.
 *   2. /static/...: the embedded assets, public.
 *   3. /login: public. GET shows the form and sets a short-lived pre-session
 *      cookie whose value the form repeats (double-submit, so a login cannot
 *      be forged from another site); POST checks it, the throttle, then the
 *      password, and on success starts a session (new token, cookie
 *      __Host-ajar_session; HttpOnly; Secure; SameSite=Strict; Path=/).
 *   4. everything else needs a valid session: without one, GET and HEAD are
 *      sent to /login (303) and anything else gets 401.
 *   5. POST (state changes) needs the session's CSRF token in the form, and
 *      is refused when the browser says it comes from another origin.
 *   6. the pages of web.h, each with this thread's store connection.
 * Every answer carries the security headers (a CSP without scripts,
 * X-Frame-Options DENY, HSTS, no referrer, nosniff) and no-store caching
 * except the static assets.
 *
 * Bounds: request headers within MHD's per-connection memory (64 KiB), a
 * POST body at most 16 KiB (refused unread past 1 MiB), at most 1,024
 * connections (8 per address), 15 s idle connection timeout.
 *
 * Roles (web/scope.h): each route names the least trusted role it answers;
 * a viewer's request carries its scope, which every read of findings
 * applies (web.h).
 */
#include "web/server.h"
#include "web/record_text.h"

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* GnuTLS priorities (libmicrohttpd's TLS): TLS 1.3, and TLS 1.2 with ECDHE key exchange and
 * AEAD ciphers only -- no CBC, no SHA-1 MAC, no static RSA (issue 22) */
#define TLS_PRIORITIES                                                                             \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"            \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

#define POST_MAX (16u << 10)
/* A body bigger than this is not read: announced (Content-Length), refused with 413 before a byte
 * of it; streamed (chunked), the connection is dropped there. Between POST_MAX and this, the body
 * is read and answered 413 (closing on unread data would reset the answer away). */
#define POST_DROP (1u << 20)
/* Connections: a browser opens at most 6 to one host; slow clients holding slots need 128
 * addresses to fill the server (8 x 32 did before), and an idle one is closed after 15 s. */
#define WEB_MAX_CONNS        1024
#define WEB_MAX_CONNS_PER_IP 8
#define WEB_IDLE_SEC         15
#define COOKIE_SESSION       "__Host-ajar_session"
#define COOKIE_LOGIN         "__Host-ajar_login"
/* A browser that signed in as a user: "NONCE.HMAC(key, user NONCE)", hex (see device_of) */
#define COOKIE_DEVICE "__Host-ajar_device"

static const char csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct db_pool {
    pthread_mutex_t mu;
    struct db **free_v;
    size_t nfree, cap;
    struct db **all;
    size_t nall, allcap;
};

struct web_server {
    struct MHD_Daemon *d;
    struct web_server_opts o;
    struct db_pool pool;
    struct auth_throttle *thr;
    unsigned char
        device_key[32]; /* signs device cookies; drawn at start (a restart forgets them) */
    uint16_t port;
};

/* One request's state, across MHD's calls. */
struct rq {
    struct buf post;
    bool post_too_big;
    bool answered;        /* the 413 went out before the body was read */
    size_t post_seen;     /* body bytes received */
    struct web_form form; /* the decoded body of a POST */
    struct MHD_Connection *conn;
};

/* ---- the store connection pool ---- */

static struct db *pool_get(struct web_server *s, struct err *e)
{
    struct db *d = NULL;
    pthread_mutex_lock(&s->pool.mu);
    if (s->pool.nfree) d = s->pool.free_v[--s->pool.nfree];
    pthread_mutex_unlock(&s->pool.mu);
    if (d) return d;
    if (store_connect(&d, s->o.ctx->where, false, e) < 0) return NULL;
    pthread_mutex_lock(&s->pool.mu);
    if (s->pool.nall == s->pool.allcap) {
        size_t nc = s->pool.allcap ? s->pool.allcap * 2 : 8;
        struct db **a = xrealloc(s->pool.all, nc * sizeof *a);
        struct db **f = a ? xrealloc(s->pool.free_v, nc * sizeof *f) : NULL;
        if (a) s->pool.all = a;
        if (f) s->pool.free_v = f;
        if (!a || !f) {
            pthread_mutex_unlock(&s->pool.mu);
            store_disconnect(d);
            err_set(e, "out of memory");
            return NULL;
        }
        s->pool.allcap = s->pool.cap = nc;
    }
    s->pool.all[s->pool.nall++] = d;
    pthread_mutex_unlock(&s->pool.mu);
    return d;
}

static void pool_put(struct web_server *s, struct db *d)
{
    if (!d) return;
    pthread_mutex_lock(&s->pool.mu);
    s->pool.free_v[s->pool.nfree++] = d;
    pthread_mutex_unlock(&s->pool.mu);
}

/* ---- small helpers ---- */

static const char *arg_get(const struct web_req *r, const char *name)
{
    const struct rq *q = r->impl;
    if (strcmp(r->method, "POST") == 0) return web_form_get(&q->form, name);
    return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
}

static void client_addr(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    str_copy(out, "?", n);
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

/* ---- answers ---- */

static void common_headers(struct MHD_Response *r, bool cache)
{
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    MHD_add_response_header(r, "Cache-Control", cache ? "private, max-age=3600" : "no-store");
}

/* Send o (its body is handed over to MHD). cookies: Set-Cookie values, NULL-terminated. */
static enum MHD_Result send_resp(struct MHD_Connection *c, struct web_resp *o,
                                 const char *const *cookies, bool cache)
{
    struct MHD_Response *r;
    if (o->body.len && o->body.data) {
        r = MHD_create_response_from_buffer_with_free_callback(o->body.len, o->body.data, free);
        if (r) o->body.data = NULL;
    } else
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    buf_free(&o->body);
    if (!r) return MHD_NO;
    common_headers(r, cache);
    MHD_add_response_header(r, "Content-Type",
                            o->content_type ? o->content_type : "text/html; charset=utf-8");
    int status = o->status ? o->status : 200;
    if (status == 303 || status == 302) MHD_add_response_header(r, "Location", o->location);
    if (status == 401) MHD_add_response_header(r, "WWW-Authenticate", "Cookie realm=\"ajar\"");
    for (size_t i = 0; cookies && cookies[i]; i++)
        MHD_add_response_header(r, "Set-Cookie", cookies[i]);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, int status, const char *text)
{
    struct web_resp o = {.status = status, .content_type = "text/plain; charset=utf-8"};
    buf_init(&o.body, 4096);
    buf_appendf(&o.body, "%s\n", text);
    return send_resp(c, &o, NULL, false);
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to,
                                const char *const *cookies)
{
    struct web_resp o = {.status = 303, .content_type = "text/plain; charset=utf-8"};
    buf_init(&o.body, 64);
    str_copy(o.location, to, sizeof o.location);
    return send_resp(c, &o, cookies, false);
}

static void session_cookie(char *out, size_t n, const char *token)
{
    if (token)
        str_fmt(out, n, "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict", COOKIE_SESSION, token);
    else
        str_fmt(out, n, "%s=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
                COOKIE_SESSION);
}

/* ---- login and logout ---- */

static enum MHD_Result login_form(struct web_server *s, struct MHD_Connection *c, struct web_req *r,
                                  int status, const char *message, const char *user)
{
    char tok[AUTH_TOKEN_HEX + 1], cookie[256];
    struct err e = {0};
    if (auth_random_hex(tok, &e) < 0) return send_text(c, 500, "internal error");
    str_fmt(cookie, sizeof cookie, "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=900",
            COOKIE_LOGIN, tok);
    struct web_resp o = {.status = status};
    buf_init(&o.body, WEB_BODY_CAP);
    r->user = NULL;
    r->csrf = NULL;
    web_layout_begin(r, &o, "Sign in", NULL);
    buf_appendf(&o.body, "<div class=\"login\"><h1>Sign in to ajar</h1>");
    if (message) {
        buf_appendf(&o.body, "<p class=\"login-error\" role=\"alert\">");
        kit_html(&o.body, message);
        buf_appendf(&o.body, "</p>");
    }
    buf_appendf(&o.body,
                "<form method=\"post\" action=\"/login\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
                tok);
    const char *next = web_arg(r, "next");
    if (web_next_ok(next)) {
        buf_appendf(&o.body, "<input type=\"hidden\" name=\"next\" value=\"");
        kit_html(&o.body, next);
        buf_appendf(&o.body, "\">");
    }
    buf_appendf(&o.body, "<label for=\"user\">User</label><input id=\"user\" name=\"user\" "
                         "autocomplete=\"username\" required maxlength=\"64\" value=\"");
    kit_html(&o.body, user ? user : "");
    buf_appendf(&o.body,
                "\"><label for=\"password\">Password</label><input id=\"password\" "
                "name=\"password\" type=\"password\" autocomplete=\"current-password\" required>"
                "<button type=\"submit\">Sign in</button></form>");
    char exp[32];
    time_fmt_utc(s->o.ctx->cert_not_after, exp, sizeof exp);
    buf_appendf(&o.body,
                "<p class=\"login-cert\">This server's certificate: SHA-256 <code>%s</code>, "
                "valid until %s.</p></div>",
                s->o.ctx->cert_sha256, exp);
    web_layout_end(r, &o);
    const char *cookies[] = {cookie, NULL};
    return send_resp(c, &o, cookies, false);
}

/* ---- device cookies (OWASP's defence against locking users out) ---- */

#define DEVICE_NONCE 16

static void device_mac(const struct web_server *s, const char *user, const char *nonce_hex,
                       char out[65])
{
    unsigned char md[32];
    unsigned int ml = 0;
    char msg[512];
    str_fmt(msg, sizeof msg, "%s\n%s", user, nonce_hex);
    HMAC(EVP_sha256(), s->device_key, sizeof s->device_key, (const unsigned char *)msg, strlen(msg),
         md, &ml);
    for (unsigned i = 0; i < 32; i++)
        str_fmt(out + 2 * i, 3, "%02x", ml == 32 ? md[i] : 0);
}

/* The device id (the nonce) when the request's device cookie was issued to this user's
 * sign-in by this server, else NULL. */
static const char *device_of(const struct web_server *s, struct MHD_Connection *c, const char *user,
                             char *nonce, size_t n)
{
    const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_DEVICE);
    if (!v || !user || strlen(v) != 2 * DEVICE_NONCE + 1 + 64 || v[2 * DEVICE_NONCE] != '.')
        return NULL;
    if (n < 2 * DEVICE_NONCE + 1) return NULL;
    str_fmt(nonce, n, "%.*s", 2 * DEVICE_NONCE, v);
    if (!str_is_lower_hex(nonce, 2 * DEVICE_NONCE)) return NULL;
    char mac[65];
    device_mac(s, user, nonce, mac);
    return auth_secret_eq(mac, v + 2 * DEVICE_NONCE + 1) ? nonce : NULL;
}

static void device_cookie(const struct web_server *s, const char *user, const char *nonce_in,
                          char *out, size_t n)
{
    char nonce[2 * DEVICE_NONCE + 1], mac[65];
    if (nonce_in) {
        str_copy(nonce, nonce_in, sizeof nonce);
    } else {
        char tok[AUTH_TOKEN_HEX + 1];
        struct err e;
        if (auth_random_hex(tok, &e) < 0) { /* no randomness: no device cookie this time */
            out[0] = 0;
            return;
        }
        str_copy(nonce, tok, sizeof nonce); /* its first 2 * DEVICE_NONCE hex digits */
    }
    device_mac(s, user, nonce, mac);
    str_fmt(out, n, "%s=%s.%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=31536000",
            COOKIE_DEVICE, nonce, mac);
}

static enum MHD_Result login_post(struct web_server *s, struct MHD_Connection *c, struct web_req *r,
                                  const char *addr)
{
    const char *want = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_LOGIN);
    const char *got = web_arg(r, "csrf");
    const char *user = web_arg(r, "user"), *pw = web_arg(r, "password");
    time_t now = now_wall();
    if (!auth_secret_eq(want, got)) {
        auth_audit(s->o.audit, "login_rejected", user, addr, "missing or wrong form token");
        return login_form(s, c, r, 403, "The sign-in form expired: try again.", user);
    }
    if (!user || !pw || !*user) return login_form(s, c, r, 400, "User and password, please.", user);
    char dev_buf[2 * DEVICE_NONCE + 1];
    const char *device = device_of(s, c, user, dev_buf, sizeof dev_buf);
    int wait = auth_throttle_begin(s->thr, addr, user, device, now);
    if (wait > 0) {
        char msg[128];
        str_fmt(msg, sizeof msg, "Too many failed attempts: try again in %d seconds.", wait);
        auth_audit(s->o.audit, "login_throttled", user, addr, msg);
        return login_form(s, c, r, 429, msg, user);
    }
    struct err e = {0};
    struct db *d = pool_get(s, &e);
    int ok = d ? auth_login_check(d, user, pw, &e) : -1;
    if (ok < 0) {
        pool_put(s, d);
        log_msg(0, "serve: login: %s", e.msg);
        return send_text(c, 500, "internal error");
    }
    if (!ok) {
        pool_put(s, d); /* the attempt was counted by auth_throttle_begin */
        auth_audit(s->o.audit, "login_failed", user, addr, NULL);
        return login_form(s, c, r, 401, "Wrong user name or password.", user);
    }
    char tok[AUTH_TOKEN_HEX + 1];
    struct auth_session ss;
    /* a session this browser had before ends: one sign-in, one live token */
    const char *old = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_SESSION);
    if (old && auth_session_del(d, old, &e) < 0) log_msg(0, "serve: session: %s", e.msg);
    if (auth_sessions_purge(d, now, &s->o.limits, &e) < 0) log_msg(0, "serve: session: %s", e.msg);
    int rc = auth_session_new(d, user, addr, now, tok, &ss, &e);
    pool_put(s, d);
    if (rc < 0) {
        log_msg(0, "serve: session: %s", e.msg);
        return send_text(c, 500, "internal error");
    }
    auth_throttle_ok_device(s->thr, addr, user, device);
    auth_audit(s->o.audit, "login", user, addr, NULL);
    char ck[256], clear[160], dk[256];
    session_cookie(ck, sizeof ck, tok);
    str_fmt(clear, sizeof clear, "%s=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
            COOKIE_LOGIN);
    device_cookie(s, user, device, dk, sizeof dk);
    const char *cookies[] = {ck, clear, dk[0] ? dk : NULL, NULL};
    const char *next = web_arg(r, "next");
    return redirect(c, web_next_ok(next) ? next : "/", cookies);
}

/* ---- routing ---- */

/* Each route with the least trusted role it answers (admin < analyst < viewer): a viewer's
 * pages read through its scope (web.h). */
static const struct route {
    const char *path;
    web_page_fn fn;
    enum web_role upto;
} routes[] =
    {
        {"/", page_overview, ROLE_VIEWER},       {"/findings", page_findings, ROLE_VIEWER},
        {"/finding", page_finding, ROLE_VIEWER}, {"/clusters", page_clusters, ROLE_VIEWER},
        {"/cluster", page_cluster, ROLE_VIEWER}, {"/scans", page_scans, ROLE_VIEWER},
        {"/diff", page_diff, ROLE_VIEWER},       {"/account", page_account, ROLE_VIEWER},
        {"/users", page_users, ROLE_ADMIN},
},
  post_routes[] = {
      {"/account/password", post_account_password, ROLE_VIEWER},
      {"/account/sessions", post_account_sessions, ROLE_VIEWER},
};

/* The route of a path, or NULL; *denied when it exists but not for this role. */
static const struct route *route_find(const struct route *t, size_t n, const char *path,
                                      enum web_role role, bool *denied)
{
    *denied = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(path, t[i].path) == 0) {
            if (role > t[i].upto) {
                *denied = true;
                return NULL;
            }
            return &t[i];
        }
    return NULL;
}

/* Answer a page (a GET route or a POST route). */
static enum MHD_Result run_page(struct web_server *s, struct MHD_Connection *c, struct db *d,
                                struct web_req *r, web_page_fn fn, const char *url)
{
    struct err e = {0};
    struct web_resp o = {0};
    buf_init(&o.body, WEB_BODY_CAP);
    int rc = fn(r, &o, &e);
    pool_put(s, d);
    if (rc < 0) {
        buf_free(&o.body);
        log_msg(0, "serve: %s: %s", url, e.msg);
        return send_text(c, 500, "internal error");
    }
    if (o.status == 303) {
        buf_free(&o.body);
        return redirect(c, o.location, NULL);
    }
    return send_resp(c, &o, NULL, false);
}

/* Rebuild the query string of a GET (for the way back after signing in). */
static enum MHD_Result query_again(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct buf *b = cls;
    (void)kind;
    buf_append(b, b->len && memchr(b->data, '?', b->len) ? "&" : "?", 1);
    kit_url(b, key);
    if (value) {
        buf_append(b, "=", 1);
        kit_url(b, value);
    }
    return MHD_YES;
}

/* POST from another origin (browsers say so in Origin or Sec-Fetch-Site). */
static bool cross_origin(struct MHD_Connection *c)
{
    /* a browser's own word, which no page can forge; with it, Origin may be "null" (our
     * Referrer-Policy no-referrer makes Chromium send that on same-origin form posts) */
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site) return strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0;
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (!origin) return false;
    if (!host || strncmp(origin, "https://", 8) != 0) return true;
    return strcmp(origin + 8, host) != 0;
}

/*
 * MHD's handler: one request, called first with no body, then per piece of the body, then to
 * answer. Long: the request's checks in the order they must run (body size, method, content
 * type, public routes, session, CSRF token and origin, role), each answering at once; they stay
 * in one function so that the order, which is the access control, reads top to bottom.
 */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    struct web_server *s = cls;
    struct rq *q = *req_cls;
    (void)version;
    if (!q) {
        q = xcalloc(1, sizeof *q);
        if (!q) return MHD_NO;
        buf_init(&q->post, POST_MAX);
        q->conn = c;
        *req_cls = q;
        /* a body announced bigger than any form we take is refused before a byte of it is
         * read (the connection closes after the answer) */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl) {
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || end == cl || n > POST_DROP) {
                q->post_too_big = q->answered = true;
                return send_text(c, 413, "request body too large");
            }
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (q->answered) { /* answered already: drop the rest, MHD closes after */
            *upload_size = 0;
            return MHD_YES;
        }
        q->post_seen += *upload_size;
        if (q->post_seen > POST_DROP) return MHD_NO; /* a stream past any form: hang up */
        if (!q->post_too_big &&
            (buf_append(&q->post, upload, *upload_size) < 0 || q->post.truncated))
            q->post_too_big = true; /* read (up to POST_DROP) and answered 413 at its end */
        *upload_size = 0;
        return MHD_YES;
    }
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    if (!get && !post) {
        struct web_resp o = {.status = 405, .content_type = "text/plain; charset=utf-8"};
        buf_init(&o.body, 64);
        buf_appendf(&o.body, "method not allowed\n");
        return send_resp(c, &o, NULL, false);
    }
    if (q->answered) return MHD_YES;
    if (q->post_too_big) return send_text(c, 413, "request body too large");
    if (post) {
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        if (!ct || !str_iprefix(ct, "application/x-www-form-urlencoded"))
            return send_text(c, 415, "forms only (application/x-www-form-urlencoded)");
        web_form_parse(&q->form, (const char *)q->post.data, q->post.len);
    }
    char addr[INET6_ADDRSTRLEN + 1];
    client_addr(c, addr, sizeof addr);
    struct web_req r = {.method = post ? "POST" : "GET",
                        .path = url,
                        .ctx = s->o.ctx,
                        .get_arg = arg_get,
                        .impl = q};

    /* public routes */
    if (strncmp(url, "/static/", 8) == 0) {
        const struct web_asset *a = get ? web_asset_find(url) : NULL;
        if (!a) return send_text(c, get ? 404 : 405, get ? "not found" : "method not allowed");
        struct web_resp o = {.content_type = a->content_type};
        buf_init(&o.body, a->len + 1);
        buf_append(&o.body, a->data, a->len);
        return send_resp(c, &o, NULL, true);
    }
    if (strcmp(url, "/login") == 0) {
        if (post) return login_post(s, c, &r, addr);
        const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_SESSION);
        if (tok) {
            struct err e = {0};
            struct db *d = pool_get(s, &e);
            struct auth_session ss;
            int v = d ? auth_session_get(d, tok, now_wall(), &s->o.limits, &ss, &e) : -1;
            pool_put(s, d);
            if (v == 1) return redirect(c, "/", NULL);
        }
        return login_form(s, c, &r, 200, NULL, NULL);
    }

    /* everything else: a session first */
    const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_SESSION);
    struct err e = {0};
    struct db *d = pool_get(s, &e);
    if (!d) {
        log_msg(0, "serve: store: %s", e.msg);
        return send_text(c, 500, "internal error");
    }
    struct auth_session ss;
    int v = tok ? auth_session_get(d, tok, now_wall(), &s->o.limits, &ss, &e) : 0;
    if (v < 0) {
        pool_put(s, d);
        log_msg(0, "serve: session: %s", e.msg);
        return send_text(c, 500, "internal error");
    }
    if (v == 0) {
        pool_put(s, d);
        if (!get) return send_text(c, 401, "sign in first");
        struct buf to;
        buf_init(&to, 2048);
        buf_appendf(&to, "/login?next=");
        struct buf nx;
        buf_init(&nx, 1024);
        buf_appendf(&nx, "%s", url);
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_again, &nx);
        buf_append(&nx, "", 1);
        if (!nx.truncated && web_next_ok((const char *)nx.data))
            kit_url(&to, (const char *)nx.data);
        else
            to.len = 6; /* "/login" */
        buf_append(&to, "", 1);
        char *cookies[2] = {NULL, NULL};
        char clear[160];
        if (tok) {
            session_cookie(clear, sizeof clear, NULL);
            cookies[0] = clear;
        }
        enum MHD_Result ret = redirect(c, to.truncated ? "/login" : (const char *)to.data,
                                       (const char *const *)cookies);
        buf_free(&to);
        buf_free(&nx);
        return ret;
    }
    r.user = ss.user;
    r.csrf = ss.csrf;
    r.db = d;
    r.role = ss.role;
    r.scope = ss.role == ROLE_VIEWER ? &ss.scope : NULL;
    r.session = ss.sha;
    r.address = addr;
    r.thr = s->thr;
    r.audit = s->o.audit;
    bool denied = false;
    if (post) {
        if (cross_origin(c) || !auth_secret_eq(web_arg(&r, "csrf"), ss.csrf)) {
            pool_put(s, d);
            auth_audit(s->o.audit, "csrf_rejected", ss.user, addr, url);
            return send_text(c, 403, "missing or wrong CSRF token");
        }
        if (strcmp(url, "/logout") == 0) {
            int rc = auth_session_del(d, tok, &e);
            pool_put(s, d);
            if (rc < 0) {
                log_msg(0, "serve: logout: %s", e.msg);
                return send_text(c, 500, "internal error");
            }
            auth_audit(s->o.audit, "logout", ss.user, addr, NULL);
            char clear[160];
            session_cookie(clear, sizeof clear, NULL);
            const char *cookies[] = {clear, NULL};
            return redirect(c, "/login", cookies);
        }
        const struct route *pr =
            route_find(post_routes, ARRAY_LEN(post_routes), url, r.role, &denied);
        if (pr) return run_page(s, c, d, &r, pr->fn, url);
        pool_put(s, d);
        if (denied) {
            auth_audit(s->o.audit, "forbidden", ss.user, addr, url);
            return send_text(c, 403, "not for your role");
        }
        return send_text(c, 405, "method not allowed");
    }
    const struct route *rt = route_find(routes, ARRAY_LEN(routes), url, r.role, &denied);
    if (denied) {
        pool_put(s, d);
        auth_audit(s->o.audit, "forbidden", ss.user, addr, url);
        return send_text(c, 403, "not for your role");
    }
    return run_page(s, c, d, &r, rt ? rt->fn : page_not_found, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct rq *q = *req_cls;
    if (!q) return;
    web_form_free(&q->form);
    if (q->post.data) memset(q->post.data, 0, q->post.len);
    buf_free(&q->post);
    free(q);
    *req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    log_debug("serve: %s", line);
}

/* ---- listen address ---- */

int web_parse_listen(const char *s, struct sockaddr_storage *ss, char *host, size_t hn,
                     uint16_t *port, struct err *e)
{
    char h[128];
    const char *colon;
    memset(ss, 0, sizeof *ss);
    if (!s || !*s) {
        err_set(e, "--listen: empty");
        return -1;
    }
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof h) {
            err_set(e, "--listen %s: want [IPv6]:PORT", s);
            return -1;
        }
        memcpy(h, s + 1, (size_t)(rb - s - 1));
        h[rb - s - 1] = 0;
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof h || memchr(s, ':', (size_t)(colon - s))) {
            err_set(e, "--listen %s: want ADDRESS:PORT (an IPv6 address in brackets)", s);
            return -1;
        }
        memcpy(h, s, (size_t)(colon - s));
        h[colon - s] = 0;
    }
    uint64_t p;
    if (parse_u64(colon + 1, 65535, &p) < 0) {
        err_set(e, "--listen %s: bad port", s);
        return -1;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
    } else if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
    } else {
        err_set(e, "--listen %s: '%s' is not an IP address", s, h);
        return -1;
    }
    str_copy(host, h, hn);
    *port = (uint16_t)p;
    return 0;
}

bool web_is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) return true;
        if (IN6_IS_ADDR_V4MAPPED(a)) return a->s6_addr[12] == 127;
    }
    return false;
}

/* ---- start and stop ---- */

int web_server_start(struct web_server **out, const struct web_server_opts *o, struct err *e)
{
    struct sockaddr_storage ss;
    char host[128];
    uint16_t port;
    if (web_parse_listen(o->listen, &ss, host, sizeof host, &port, e) < 0) return -1;
    struct web_server *s = xcalloc(1, sizeof *s);
    if (!s) {
        err_set(e, "out of memory");
        return -1;
    }
    s->o = *o;
    if (!s->o.threads) s->o.threads = 4;
    if (s->o.limits.idle <= 0) s->o.limits.idle = 1800;
    if (s->o.limits.absolute <= 0) s->o.limits.absolute = 43200;
    pthread_mutex_init(&s->pool.mu, NULL);
    s->thr = auth_throttle_new();
    if (RAND_bytes(s->device_key, sizeof s->device_key) != 1) {
        err_set(e, "no randomness for the device cookie key");
        auth_throttle_free(s->thr);
        pthread_mutex_destroy(&s->pool.mu);
        free(s);
        return -1;
    }
    unsigned flags =
        MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(
        flags, port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_HTTPS_MEM_KEY, o->key_pem, MHD_OPTION_HTTPS_MEM_CERT, o->cert_pem,
        MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)s->o.threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)WEB_MAX_CONNS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)WEB_MAX_CONNS_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)WEB_IDLE_SEC,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64u << 10), MHD_OPTION_NOTIFY_COMPLETED,
        completed, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_END);
    if (!s->d) {
        err_set(e, "cannot listen on %s (in use, or not an address of this machine?)", o->listen);
        auth_throttle_free(s->thr);
        pthread_mutex_destroy(&s->pool.mu);
        free(s);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : port;
    *out = s;
    return 0;
}

uint16_t web_server_port(const struct web_server *s)
{
    return s->port;
}

void web_server_stop(struct web_server *s)
{
    if (!s) return;
    MHD_stop_daemon(s->d);
    for (size_t i = 0; i < s->pool.nall; i++)
        store_disconnect(s->pool.all[i]);
    free(s->pool.all);
    free(s->pool.free_v);
    pthread_mutex_destroy(&s->pool.mu);
    auth_throttle_free(s->thr);
    free(s);
}
