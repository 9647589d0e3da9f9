/*
 * core/arena.c -- strings in chunks (see arena.h).
 */
#include "core/arena.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

char *arena_dup(struct arena *a, const char *s, size_t n)
{
    struct arena_chunk *c = a->head;
    if (!c || c->size - c->used < n + 1) {
        size_t want = a->chunk ? a->chunk : 65536;
        size_t sz = n + 1 > want ? n + 1 : want;
        c = xmalloc(sizeof *c + sz);
        if (!c) return NULL;
        c->next = a->head;
        c->used = 0;
        c->size = sz;
        a->head = c;
    }
    char *p = c->data + c->used;
    memcpy(p, s, n);
    p[n] = 0;
    c->used += n + 1;
    return p;
}

const char *arena_str(struct arena *a, const char *s)
{
    if (!s) s = "";
    return arena_dup(a, s, strlen(s));
}

void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}
