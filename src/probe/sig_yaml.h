/*
 * probe/sig_yaml.h -- the signature loader's YAML layer (sig_yaml.c), shared with the loader
 * (sigload.c): the arena a signature lives in, the tree a file's YAML becomes, and the typed
 * readers of that tree, each failing with "FILE:LINE: what is wrong". Inside the loader only.
 */
#ifndef AJAR_PROBE_SIG_YAML_H
#define AJAR_PROBE_SIG_YAML_H

#include "probe/sig_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define Y_MAX_NODES  4096
#define Y_MAX_DEPTH  12
#define Y_MAX_SCALAR 4096

/* ---- the arena: blocks, plus what needs freeing by its own function ---- */

struct arena {
    char **blocks;
    size_t nblocks, capblocks;
    pcre2_code **res;
    size_t nres, capres;
    json_t **vals;
    size_t nvals, capvals;
};

/* ---- the YAML tree ---- */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
    enum ytype t;
    int line;
    char *s; /* scalar text (NUL-terminated) */
    size_t len;
    bool quoted;
    struct ynode **kids; /* seq items; map keys and values alternating */
    size_t n, cap;
};

struct loader {
    const char *name;
    struct err *e;
    struct arena *ar;
    int nodes;
    bool failed;
};

/* ---- the arena ---- */

/* A zeroed block of n bytes owned by the arena; NULL when out of memory. */
void *sig_arena_alloc(struct arena *a, size_t n);
/* s[0..n) and a NUL, owned by the arena. */
char *sig_arena_strndup(struct arena *a, const char *s, size_t n);
/* Free every block, regex and JSON value of the arena, and the arena (NULL is fine). */
void sig_arena_free(struct arena *a);

/* ---- the tree ---- */

/* Keep the first error as "FILE:LINE: message" in L->e; always -1. */
int y_fail(struct loader *L, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A new node (counted against Y_MAX_NODES); NULL after y_fail(). */
struct ynode *y_new(struct loader *L, enum ytype t, int line);
/* Append kid to parent's items; 0 or -1 after y_fail(). */
int y_push(struct loader *L, struct ynode *parent, struct ynode *kid);
/* The events of one document into a tree; NULL on error (L->e set). */
struct ynode *y_parse(struct loader *L, const char *text, size_t n);

/* ---- reading the tree: 0 (or the value) when well-formed, else y_fail() ---- */

/* The value of key in map m, or NULL (m not a map, or no such key). */
struct ynode *y_get(const struct ynode *m, const char *key);
/* Every key of map m must be in allowed (NULL-ended) and appear once. */
int y_keys(struct loader *L, const struct ynode *m, const char *what, const char *const *allowed);
/* A required text: *out set, or -1. */
int y_str(struct loader *L, const struct ynode *y, const char *what, char **out);
/* An optional text: *out NULL when y is absent. */
int y_opt_str(struct loader *L, const struct ynode *y, const char *what, char **out);
/* An unquoted integer in [lo, hi]. */
int y_int(struct loader *L, const struct ynode *y, const char *what, int64_t lo, int64_t hi,
          int64_t *out);
/* true or false, unquoted, into *out; an absent y leaves *out as it was. */
int y_bool(struct loader *L, const struct ynode *y, const char *what, bool *out);
/* A number or a list of numbers (statuses, ports) into nums. */
int y_nums(struct loader *L, const struct ynode *y, const char *what, int64_t lo, int64_t hi,
           int *nums, int *n, int max);
/* A word of 1 to max bytes of [a-z0-9_-]. */
bool y_word_ok(const char *s, size_t max);
/* Text kept in the record or sent to a report: printable, no control bytes. */
bool y_text_ok(const char *s);
/* A regex compiled with PCRE2 (owned by the arena); NULL after y_fail(). */
pcre2_code *y_regex(struct loader *L, const struct ynode *y, const char *what);
/* Hand a new JSON value to the arena (it frees it); NULL after y_fail() when j is NULL or the
 * arena cannot grow (j is then released). */
json_t *y_keep_json(struct loader *L, json_t *j, int line);
/* A scalar as a JSON value: an unquoted number, true/false/null, else a string. */
json_t *y_json_scalar(struct loader *L, const struct ynode *y);
/* A JSON pointer: "/a/b/0", "*" segments allowed; relative ones ("a/b") when rel. */
int y_pointer(struct loader *L, const struct ynode *y, const char *what, bool rel, char **out);

#endif
