/*
 * web/view.c -- the in-memory finding index per scan group (placeholder).
 */
#include "web/web.h"

struct web_views {
    int unused;
};

int web_views_new(struct web_views **out, const char *where, struct err *e)
{
    (void)where;
    (void)e;
    *out = xcalloc(1, sizeof **out);
    return 0;
}

void web_views_free(struct web_views *v)
{
    free(v);
}
