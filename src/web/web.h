/*
 * web/web.h -- `ajar serve`, the dashboard: the contract between the
 * server (server.c: HTTPS, sessions, CSRF, headers, routing; auth.c:
 * accounts, throttling, audit log) and the pages (pages.c and friends:
 * HTML rendering over the store, read-only).
 *
 * A page is a function of a request to a response. The server has already
 * checked the session (every route but /login and /static/ needs one),
 * answered HEAD, and will add the security headers; a page only reads the
 * store through r->db (this worker thread's own connection, SQL with bound
 * parameters only) and writes HTML into o->body. Pages never write to the
 * store. State-changing requests (POST) reach a page only after the server
 * checked their CSRF token; pages that render a form put r->csrf in a hidden
 * field named "csrf".
 *
 * No page may refer to anything outside the binary: assets are embedded
 * (web_asset_find), charts are inline SVG, and the Content-Security-Policy
 * forbids scripts altogether (`script-src 'none'`), so no page uses
 * JavaScript or inline style attributes (`style-src 'self'`: classes in the
 * embedded stylesheet only).
 */
#ifndef AJAR_WEB_H
#define AJAR_WEB_H

#include "core/util.h"
#include "store/store.h"
#include "web/scope.h"
#include "kit/kit.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct web_views; /* view.c: the in-memory finding index per scan group */
struct auth_throttle;
struct auth_audit;

/* What every request may read; set up by serve before the first request. */
struct web_ctx {
    const char *where;               /* the store: a path or a postgresql:// URL */
    const struct kit_owners *owners; /* --owners FILE, NULL without */
    time_t cert_not_after;           /* the dashboard's own certificate */
    char cert_sha256[65];
    struct web_views *views;
    time_t started;
};

struct web_req {
    const char *method; /* "GET" or "POST" (HEAD arrives as GET) */
    const char *path;   /* the decoded path, without the query string */
    const char *user;   /* the signed-in user; NULL on /login and /static/ */
    const char *csrf;   /* the session's CSRF token, for forms; NULL without a session */
    enum web_role role; /* the signed-in user's */
    /* a viewer's scope (web/scope.h), NULL for the roles that see every finding: every read of
     * findings goes through it (wv_get, wp_obs_visible) */
    const struct web_scope *scope;
    const char *session;       /* the session's id (the SHA-256 of its token) */
    const char *address;       /* the client's address */
    struct auth_throttle *thr; /* the server's login throttle (a password change uses it) */
    struct auth_audit *audit;  /* the audit log */
    struct db *db;             /* this thread's read connection to the store */
    struct web_ctx *ctx;
    /* A query-string (GET) or form (POST) argument, NULL when absent. */
    const char *(*get_arg)(const struct web_req *r, const char *name);
    void *impl; /* the server's */
};

static inline const char *web_arg(const struct web_req *r, const char *name)
{
    return r->get_arg ? r->get_arg(r, name) : NULL;
}

#define WEB_BODY_CAP (64u << 20) /* a page is at most 64 MiB */

struct web_resp {
    int status;               /* 0 means 200 */
    const char *content_type; /* NULL: "text/html; charset=utf-8" */
    struct buf body;          /* initialised by the server with WEB_BODY_CAP */
    char location[1024];      /* with status 303: where to */
};

/* A page: 0, or -1 with e set (the server answers 500 and logs e, never shows it). */
typedef int (*web_page_fn)(struct web_req *r, struct web_resp *o, struct err *e);

/* ---- pages (pages.c): the routes behind a session ---- */
int page_overview(struct web_req *r, struct web_resp *o, struct err *e); /* GET / */
int page_findings(struct web_req *r, struct web_resp *o, struct err *e); /* GET /findings */
/* GET /finding?id=, or ?scan=&ip=&port=[&service=] */
int page_finding(struct web_req *r, struct web_resp *o, struct err *e);
int page_clusters(struct web_req *r, struct web_resp *o, struct err *e);  /* GET /clusters */
int page_cluster(struct web_req *r, struct web_resp *o, struct err *e);   /* GET /cluster?id= */
int page_scans(struct web_req *r, struct web_resp *o, struct err *e);     /* GET /scans */
int page_diff(struct web_req *r, struct web_resp *o, struct err *e);      /* GET /diff */
int page_not_found(struct web_req *r, struct web_resp *o, struct err *e); /* 404, signed in */
/* account.c: one's own sessions and password, and (admins) the accounts */
int page_account(struct web_req *r, struct web_resp *o, struct err *e); /* GET /account */
int page_users(struct web_req *r, struct web_resp *o, struct err *e);   /* GET /users, admin */
/* POST /account/password (current, new, again) and POST /account/sessions (end=ID or
 * end=others): they write to the store, the only pages that do; 303 back to /account. */
int post_account_password(struct web_req *r, struct web_resp *o, struct err *e);
int post_account_sessions(struct web_req *r, struct web_resp *o, struct err *e);

/*
 * The frame every page shares: <head> with the stylesheet, the navigation,
 * the signed-in user and a logout form (POST /logout with r->csrf), and a
 * banner when the dashboard's own certificate expires within 30 days (or
 * has expired). r->user NULL (the login page): no navigation, no logout.
 */
void web_layout_begin(struct web_req *r, struct web_resp *o, const char *title, const char *nav);
void web_layout_end(struct web_req *r, struct web_resp *o);

/* ---- embedded assets (assets.c) ---- */
struct web_asset {
    const char *path; /* "/static/ajar.css" */
    const char *content_type;
    const unsigned char *data;
    size_t len;
};
const struct web_asset *web_asset_find(const char *path);

/* ---- the finding index (view.c) ---- */
int web_views_new(struct web_views **out, const char *where, struct err *e);
void web_views_free(struct web_views *v);
/*
 * Build the index of the scan the overview shows first (the newest finished
 * one) with a connection of its own, so the first visitor does not wait for
 * it; serve calls it on a thread right after start and joins it on stop.
 */
int web_views_warm(struct web_ctx *ctx, struct err *e);

#endif
