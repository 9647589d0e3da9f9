/*
 * core/arena.h -- strings that live as long as the thing made of them (a
 * report's rows, a dashboard view): copied into large chunks, freed at
 * once (arena.c).
 */
#ifndef AJAR_CORE_ARENA_H
#define AJAR_CORE_ARENA_H

#include <stddef.h>

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    char data[];
};
struct arena {
    struct arena_chunk *head;
    size_t chunk; /* bytes per chunk; 0: 64 KiB (a string longer gets a chunk of its own size) */
};

/* A NUL-terminated copy of the n bytes at s; NULL when out of memory. */
char *arena_dup(struct arena *a, const char *s, size_t n);
/* A copy of s (NULL taken as ""); NULL when out of memory. */
const char *arena_str(struct arena *a, const char *s);
void arena_free(struct arena *a);

#endif
