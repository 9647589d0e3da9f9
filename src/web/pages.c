/*
 * web/pages.c -- the dashboard's pages (placeholder: being written).
 */
#include "web/web.h"

#include <string.h>

void html_esc(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            buf_append(b, "&amp;", 5);
            break;
        case '<':
            buf_append(b, "&lt;", 4);
            break;
        case '>':
            buf_append(b, "&gt;", 4);
            break;
        case '"':
            buf_append(b, "&quot;", 6);
            break;
        case '\'':
            buf_append(b, "&#39;", 5);
            break;
        default:
            buf_append(b, s, 1);
        }
    }
}

void url_esc(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            buf_append(b, s, 1);
        else
            buf_appendf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
}

void web_layout_begin(struct web_req *r, struct web_resp *o, const char *title, const char *nav)
{
    (void)nav;
    buf_appendf(&o->body, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html_esc(&o->body, title);
    buf_appendf(&o->body,
                " - ajar</title><link rel=\"stylesheet\" href=\"/static/ajar.css\"></head><body>");
    if (r->user && r->csrf) {
        buf_appendf(&o->body, "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" "
                              "name=\"csrf\" value=\"");
        html_esc(&o->body, r->csrf);
        buf_appendf(&o->body, "\"><button type=\"submit\">Sign out</button></form>");
    }
}

void web_layout_end(struct web_req *r, struct web_resp *o)
{
    (void)r;
    buf_appendf(&o->body, "</body></html>\n");
}

static int placeholder(struct web_req *r, struct web_resp *o, const char *title)
{
    web_layout_begin(r, o, title, NULL);
    buf_appendf(&o->body, "<h1>");
    html_esc(&o->body, title);
    buf_appendf(&o->body, "</h1>");
    web_layout_end(r, o);
    return 0;
}

int page_overview(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    return placeholder(r, o, "Overview");
}
int page_findings(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    return placeholder(r, o, "Findings");
}
int page_finding(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    return placeholder(r, o, "Finding");
}
int page_clusters(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    return placeholder(r, o, "Clusters");
}
int page_cluster(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    return placeholder(r, o, "Cluster");
}
int page_scans(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    return placeholder(r, o, "Scans");
}
int page_diff(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    return placeholder(r, o, "Diff");
}
int page_not_found(struct web_req *r, struct web_resp *o, struct err *e)
{
    (void)e;
    o->status = 404;
    return placeholder(r, o, "Not found");
}
