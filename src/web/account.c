/*
 * web/account.c -- one's own account on the dashboard: the sessions open
 * in one's name (where from, since when, last used), ending one or all the
 * others, changing one's password; and for admins the list of accounts.
 *
 * The two POST routes are the only pages that write to the store, and
 * only to the account's own rows: the server has checked the session and
 * the CSRF token before they run (web.h). A password change asks for the
 * current password (checked under the login throttle, so a stolen session
 * cannot guess it faster than the sign-in form could), and ends every
 * other session of the account; ending another session asks for it too
 * (ASVS 3.3.4). Every change goes to the audit log.
 */
#include "web/auth.h"
#include "web/web_int.h"

#include <string.h>

/* A message after a redirect: fixed texts only (the argument picks one, never says one). */
static const char *notice_text(const char *done)
{
    static const struct {
        const char *key, *text;
    } t[] = {
        {"password", "Your password was changed; your other sessions ended."},
        {"ended", "The session was ended."},
        {"others", "Every other session was ended."},
    };
    for (size_t i = 0; done && i < ARRAY_LEN(t); i++)
        if (strcmp(done, t[i].key) == 0) return t[i].text;
    return NULL;
}

struct sess_ctx {
    struct web_req *r;
    struct buf *b;
    int n;
};

static int session_row(void *arg, const struct auth_session *s)
{
    struct sess_ctx *c = arg;
    struct buf *b = c->b;
    char t1[32], t2[32];
    kit_time(s->created, t1, sizeof t1);
    kit_time(s->last_used, t2, sizeof t2);
    bool self = c->r->session && strcmp(s->sha, c->r->session) == 0;
    buf_appendf(b, "<tr%s><td class=\"mono\">", self ? " class=\"self\"" : "");
    kit_html_n(b, s->sha, 12);
    buf_appendf(b, "</td><td class=\"mono\">");
    kit_html_n(b, s->address, 46);
    buf_appendf(b, "</td><td>%s</td><td>%s</td><td>", t1, t2);
    if (self) buf_appendf(b, "<b>this browser</b> ");
    buf_appendf(b, "<form method=\"post\" action=\"/account/sessions\" class=\"inline\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"");
    kit_html(b, c->r->csrf ? c->r->csrf : "");
    buf_appendf(b, "\"><input type=\"hidden\" name=\"end\" value=\"");
    kit_html(b, s->sha);
    buf_appendf(b, "\">");
    if (!self) /* ASVS 3.3.4: another session ends on the password, not on the session alone */
        buf_appendf(b, "<input type=\"password\" name=\"current\" aria-label=\"Your password\" "
                       "placeholder=\"your password\" autocomplete=\"current-password\" required>");
    buf_appendf(b, "<button type=\"submit\">%s</button></form></td></tr>",
                self ? "Sign out here" : "End");
    c->n++;
    return 0;
}

static int render(struct web_req *r, struct web_resp *o, int status, const char *error,
                  struct err *e)
{
    struct buf *b = &o->body;
    o->status = status;
    web_layout_begin(r, o, "Account", "account");
    buf_appendf(b, "<div class=\"head\"><div><h1>Account <span class=\"mono\">");
    kit_html(b, r->user ? r->user : "");
    buf_appendf(b, "</span></h1><p class=\"sub\">Role: <b>%s</b>", web_role_name(r->role));
    if (r->scope) {
        char sc[1024];
        web_scope_describe(r->scope, sc, sizeof sc);
        buf_appendf(b, " · sees only: ");
        kit_html_n(b, sc, 1000);
    }
    buf_appendf(b, "</p></div></div>");
    const char *note = notice_text(web_arg(r, "done"));
    if (note) buf_appendf(b, "<p class=\"notice\" role=\"status\">%s</p>", note);
    if (error) {
        buf_appendf(b, "<p class=\"login-error\" role=\"alert\">");
        kit_html(b, error);
        buf_appendf(b, "</p>");
    }

    buf_appendf(b, "<section class=\"panel\" id=\"sessions\"><h2>Sessions</h2>"
                   "<table class=\"grid\"><thead><tr><th>Id</th><th>From</th><th>Signed in</th>"
                   "<th>Last used</th><th></th></tr></thead><tbody>");
    struct sess_ctx c = {r, b, 0};
    if (auth_session_list(r->db, r->user, session_row, &c, e) < 0) return -1;
    buf_appendf(b, "</tbody></table>");
    if (c.n > 1) {
        buf_appendf(b, "<form method=\"post\" action=\"/account/sessions\">"
                       "<input type=\"hidden\" name=\"csrf\" value=\"");
        kit_html(b, r->csrf ? r->csrf : "");
        buf_appendf(b, "\"><input type=\"hidden\" name=\"end\" value=\"others\">"
                       "<input type=\"password\" name=\"current\" aria-label=\"Your password\" "
                       "placeholder=\"your password\" autocomplete=\"current-password\" required>"
                       "<button type=\"submit\">End every other session</button></form>");
    }
    buf_appendf(b, "</section>");

    buf_appendf(b, "<section class=\"panel\" id=\"password\"><h2>Change your password</h2>"
                   "<form method=\"post\" action=\"/account/password\" class=\"stack\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"");
    kit_html(b, r->csrf ? r->csrf : "");
    buf_appendf(b, "\"><label>Current password <input type=\"password\" name=\"current\" "
                   "autocomplete=\"current-password\" required></label>"
                   "<label>New password (12 characters or more) <input type=\"password\" "
                   "name=\"password\" autocomplete=\"new-password\" minlength=\"12\" "
                   "maxlength=\"128\" required></label>"
                   "<label>Again <input type=\"password\" name=\"again\" "
                   "autocomplete=\"new-password\" minlength=\"12\" maxlength=\"128\" required>"
                   "</label><button type=\"submit\">Change password</button></form>"
                   "<p class=\"note\">Changing it ends every other session of this account.</p>"
                   "</section>");
    web_layout_end(r, o);
    return 0;
}

int page_account(struct web_req *r, struct web_resp *o, struct err *e)
{
    return render(r, o, 200, NULL, e);
}

static void see_other(struct web_resp *o, const char *to)
{
    o->status = 303;
    str_copy(o->location, to, sizeof o->location);
}

/* The current password again, under the login throttle: 1 right, 0 refused (the page is
 * rendered with the reason), -1 error. */
static int recheck(struct web_req *r, struct web_resp *o, const char *cur, const char *what,
                   struct err *e)
{
    time_t now = now_wall();
    if (!cur || !*cur) {
        if (render(r, o, 400, "Your current password, please.", e) < 0) return -1;
        return 0;
    }
    int wait = r->thr ? auth_throttle_begin(r->thr, r->address, r->user, NULL, now) : 0;
    if (wait > 0) {
        char msg[128];
        str_fmt(msg, sizeof msg, "Too many failed attempts: try again in %d seconds.", wait);
        auth_audit(r->audit, "password_check_throttled", r->user, r->address, what);
        if (render(r, o, 429, msg, e) < 0) return -1;
        return 0;
    }
    int ok = auth_password_verify(r->db, r->user, cur, e);
    if (ok < 0) return -1;
    if (!ok) {
        auth_audit(r->audit, "password_check_failed", r->user, r->address, what);
        /* 400, not 403: a refused CSRF token is the 403, and the two must not look alike (a
         * scanner tells a checked token by a different answer to a forged one) */
        if (render(r, o, 400, "The current password is wrong.", e) < 0) return -1;
        return 0;
    }
    if (r->thr) auth_throttle_ok(r->thr, r->address, r->user);
    return 1;
}

int post_account_password(struct web_req *r, struct web_resp *o, struct err *e)
{
    const char *cur = web_arg(r, "current"), *pw = web_arg(r, "password"),
               *again = web_arg(r, "again");
    if (!cur || !pw || !again || !*cur)
        return render(r, o, 400, "The current password, and the new one twice, please.", e);
    int ok = recheck(r, o, cur, "password change", e);
    if (ok <= 0) return ok;
    if (strcmp(pw, again) != 0) return render(r, o, 400, "The new passwords differ.", e);
    const char *why = auth_password_problem_user(r->user, pw);
    if (why) {
        char msg[160];
        str_fmt(msg, sizeof msg, "The new password is %s.", why);
        return render(r, o, 400, msg, e);
    }
    int rc = auth_password_set(r->db, r->user, pw, r->session, e);
    if (rc < 0) return -1;
    if (rc == 1) return render(r, o, 404, "This account no longer exists.", e);
    auth_audit(r->audit, "password_changed", r->user, r->address, NULL);
    see_other(o, "/account?done=password");
    return 0;
}

int post_account_sessions(struct web_req *r, struct web_resp *o, struct err *e)
{
    const char *end = web_arg(r, "end");
    /* signing out here needs no password; ending any other session does (ASVS 3.3.4) */
    if (!(end && r->session && strcmp(end, r->session) == 0)) {
        int ok = recheck(r, o, web_arg(r, "current"), "ending sessions", e);
        if (ok <= 0) return ok;
    }
    if (end && strcmp(end, "others") == 0) {
        if (auth_sessions_end_others(r->db, r->user, r->session, e) < 0) return -1;
        auth_audit(r->audit, "sessions_ended", r->user, r->address, "every other session");
        see_other(o, "/account?done=others");
        return 0;
    }
    int rc = end ? auth_session_end(r->db, r->user, end, e) : 1;
    if (rc < 0) return -1;
    /* another account's session, or none: the same answer as an unknown id */
    if (rc == 1 || !end) return render(r, o, 404, "No such session of yours.", e);
    auth_audit(r->audit, "session_ended", r->user, r->address, NULL);
    see_other(o, r->session && strcmp(end, r->session) == 0 ? "/login" : "/account?done=ended");
    return 0;
}

/* ---- the accounts (admins) ---- */

static int user_row(void *arg, const struct auth_user *u)
{
    struct buf *b = arg;
    char t1[32], t2[32], sc[1024];
    kit_time(u->created, t1, sizeof t1);
    kit_time(u->last_login, t2, sizeof t2);
    web_scope_describe(&u->scope, sc, sizeof sc);
    buf_appendf(b, "<tr><td class=\"mono\">");
    kit_html(b, u->name);
    buf_appendf(b, "</td><td>%s</td><td>", web_role_name(u->role));
    kit_html_n(b, sc[0] ? sc : "every finding", 1000);
    buf_appendf(b, "</td><td>%s</td><td>%s</td><td class=\"n\">%lld</td></tr>", t1, t2,
                (long long)u->sessions);
    return 0;
}

int page_users(struct web_req *r, struct web_resp *o, struct err *e)
{
    struct buf *b = &o->body;
    web_layout_begin(r, o, "Users", "users");
    buf_appendf(b, "<div class=\"head\"><div><h1>Users</h1><p class=\"sub\">The dashboard's "
                   "accounts. Add, remove and reset them with <code>ajar user</code>.</p></div>"
                   "</div><section class=\"panel\"><table class=\"grid\"><thead><tr><th>Name</th>"
                   "<th>Role</th><th>Sees</th><th>Created</th><th>Last sign-in</th>"
                   "<th class=\"n\">Sessions</th></tr></thead><tbody>");
    if (auth_user_list(r->db, user_row, b, e) < 0) return -1;
    buf_appendf(b, "</tbody></table></section>");
    web_layout_end(r, o);
    return 0;
}
