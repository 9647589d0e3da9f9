/*
 * core/jsonscan.h -- reading a few keys of a JSON text without building a tree: jsmn (Debian's
 * libjsmn-dev, header only) cuts the text into tokens in a bounded array, and this module
 * checks them as strictly as jansson's json_loadb does, so that a text is read here exactly
 * when jansson would have read it, with the same values:
 *  - RFC 8259 syntax: every byte outside the tokens is whitespace or the one ',' or ':' due
 *    there (jsmn alone lets a missing comma or a trailing one pass), true/false/null and the
 *    number grammar, no control byte in a string, valid UTF-8 (no overlong form, no encoded
 *    surrogate, nothing past U+10FFFF), escapes as the grammar has them, \uXXXX surrogates in
 *    pairs;
 *  - jansson's own limits: an integer past int64 or a real past DBL_MAX is an error, values
 *    nest at most JSCAN_MAX_DEPTH deep (jansson's JSON_PARSER_MAX_DEPTH), \u0000 is refused in
 *    strings unless JSCAN_ALLOW_NUL and always in object keys;
 *  - the same member when a key repeats: the last one (jscan_get), as json_object_get.
 * Tokens live first in the struct's own array and then on the heap, doubling up to
 * JSCAN_MAX_TOKENS: a text with more tokens is refused (JSCAN_PREFIX: cut there), as a body past
 * its cap is.
 *
 * Two ways to read:
 *  - jscan_parse: the whole text is one JSON value (JSON_DECODE_ANY); trailing whitespace only;
 *  - jscan_parse(..., JSCAN_PREFIX): the text starts with an array or object, possibly cut off
 *    or damaged after some elements; jscan_elems says how many leading elements (members) are
 *    whole and valid, each as jansson would have read it alone (es_json_each's walk), and
 *    s->complete whether the closing bracket came after them.
 * Tokens are addressed by index (0 is the root); an index < 0 means "absent" in every call.
 */
#ifndef AJAR_CORE_JSONSCAN_H
#define AJAR_CORE_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* jsmn's declarations only (jsonscan.c holds its code), with parent links (O(1) work at each
 * closing bracket and comma) and strict primitives */
#ifndef JSMN_PARENT_LINKS
#define JSMN_PARENT_LINKS
#endif
#ifndef JSMN_STRICT
#define JSMN_STRICT
#endif
#ifndef JSMN_HEADER
#define JSMN_HEADER
#endif
#include <jsmn.h>

#define JSCAN_SMALL      128    /* tokens in the struct itself (most answers need fewer) */
#define JSCAN_MAX_TOKENS 262144 /* tokens at most (5 MiB), then the text is refused or cut */
#define JSCAN_MAX_DEPTH  2048   /* values nested at most (jansson's JSON_PARSER_MAX_DEPTH) */

enum {
    JSCAN_PREFIX = 1,    /* keep the valid leading elements of a cut or damaged array/object */
    JSCAN_ALLOW_NUL = 2, /* \u0000 in string values (jansson's JSON_ALLOW_NUL) */
};

/* What a token is. */
enum jscan_kind {
    JSCAN_NONE = 0, /* an index < 0 */
    JSCAN_OBJECT,
    JSCAN_ARRAY,
    JSCAN_STRING,
    JSCAN_INT,  /* a number without fraction or exponent */
    JSCAN_REAL, /* a number with either */
    JSCAN_TRUE,
    JSCAN_FALSE,
    JSCAN_NULL
};

struct jscan {
    const char *js;
    size_t len;
    jsmntok_t *tok; /* small, or the heap; once checked, a token's parent is the index after
                       its value (jscan_next) */
    int ntok;       /* tokens made */
    int cap;
    int nvalid;    /* tokens checked and valid: [0, nvalid) */
    int elems;     /* JSCAN_PREFIX: leading elements (object members) whole and valid */
    bool complete; /* the whole value is valid (JSCAN_PREFIX: its closing bracket was reached) */
    bool capped;   /* the text has more tokens than JSCAN_MAX_TOKENS (or memory was short):
                      what was read stops there */
    jsmntok_t small[JSCAN_SMALL];
};

/*
 * Tokenise and check js[0..len) (see above). Returns 0 when the text is one valid value
 * (JSCAN_PREFIX: when it starts with [ or {, whatever follows), -1 otherwise. Call jscan_free
 * after either.
 */
int jscan_parse(struct jscan *s, const char *js, size_t len, unsigned flags);
void jscan_free(struct jscan *s);

enum jscan_kind jscan_kind(const struct jscan *s, int i);
/* The index after i's value (past its whole subtree). */
int jscan_next(const struct jscan *s, int i);
/* Elements of array i, members of object i (JSCAN_PREFIX root: its valid leading ones); 0 for
 * anything else. */
int jscan_count(const struct jscan *s, int i);
/* Walking an array's elements or an object's members in order:
 *   struct jscan_it it; int key;
 *   for (int v = jscan_iter(s, i, &it, &key); v >= 0; v = jscan_iter_next(s, &it, &key)) ...
 * v is the element (the member's value); key the member's key token, -1 in an array. */
struct jscan_it {
    int at;   /* the next element's (key's) token */
    int left; /* elements (members) not yet given */
    bool obj;
};
int jscan_iter(const struct jscan *s, int i, struct jscan_it *it, int *key);
int jscan_iter_next(const struct jscan *s, struct jscan_it *it, int *key);
/* The value of key in object i (the last member with that key), -1 when none or i is no object. */
int jscan_get(const struct jscan *s, int i, const char *key);
/* Is string token i (unescaped) exactly these n bytes? */
bool jscan_eq(const struct jscan *s, int i, const char *p, size_t n);
/*
 * String token i unescaped into out (cap bytes, always NUL-terminated when cap > 0, cut at
 * cap - 1). Returns the whole unescaped length (> cap - 1: it was cut), 0 for no string.
 */
size_t jscan_str(const struct jscan *s, int i, char *out, size_t cap);
/* An integer token's value: 0, or -1 when i is not JSCAN_INT. */
int jscan_int(const struct jscan *s, int i, int64_t *out);
/* A number token's value as a double (strtod of the token): 0, or -1 when i is no number. */
int jscan_real(const struct jscan *s, int i, double *out);

#endif
