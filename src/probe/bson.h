/*
 * probe/bson.h -- the small part of BSON the MongoDB probe needs.
 *
 * The probe builds a handful of command documents ({hello: 1, $db: "admin"}
 * and the like) and reads a few keys out of the replies. So this is an
 * encoder that appends to a capped struct buf, and a flat, bounds-checked
 * iterator over one document: no tree is built, nothing is allocated while
 * reading, and every length a peer declares is checked against the bytes
 * actually present before it is used. Nested documents are read by opening
 * a new iterator on the element's value. bson_validate() walks a whole
 * document recursively with a depth bound for callers that want to reject
 * malformed replies up front.
 *
 * Sizes: BSON allows 16 MiB documents (BSON_MAX_DOC); callers keep a much
 * lower cap on what they buffer (the MongoDB probe: 4 MiB).
 */
#ifndef AJAR_PROBE_BSON_H
#define AJAR_PROBE_BSON_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BSON_MAX_DOC   (16u << 20)
#define BSON_MAX_DEPTH 32

enum bson_type {
    BSON_DOUBLE = 0x01,
    BSON_STRING = 0x02,
    BSON_DOC = 0x03,
    BSON_ARRAY = 0x04,
    BSON_BINARY = 0x05,
    BSON_UNDEFINED = 0x06,
    BSON_OID = 0x07,
    BSON_BOOL = 0x08,
    BSON_DATE = 0x09,
    BSON_NULL = 0x0A,
    BSON_REGEX = 0x0B,
    BSON_DBPOINTER = 0x0C,
    BSON_CODE = 0x0D,
    BSON_SYMBOL = 0x0E,
    BSON_CODE_W_SCOPE = 0x0F,
    BSON_INT32 = 0x10,
    BSON_TIMESTAMP = 0x11,
    BSON_INT64 = 0x12,
    BSON_DECIMAL128 = 0x13,
    BSON_MINKEY = 0xFF,
    BSON_MAXKEY = 0x7F,
};

/* ---- encoder ---- */

/*
 * Appends one document to a caller-owned buf. Open documents/arrays are
 * tracked by the offset of their length field; the lengths are patched by
 * bson_end(). Any failure (buf cap, depth, misuse) sets `failed` and makes
 * every later call a no-op, so callers check once at the end.
 */
struct bson_enc {
    struct buf *b;
    size_t open[BSON_MAX_DEPTH];
    int depth;
    bool failed;
};

/* Start the top-level document at the end of b. */
void bson_enc_init(struct bson_enc *e, struct buf *b);
void bson_put_int32(struct bson_enc *e, const char *key, int32_t v);
void bson_put_int64(struct bson_enc *e, const char *key, int64_t v);
void bson_put_double(struct bson_enc *e, const char *key, double v);
void bson_put_bool(struct bson_enc *e, const char *key, bool v);
void bson_put_str(struct bson_enc *e, const char *key, const char *s);
/* Open a sub-document / array under key (array keys are "0", "1", ... given by the caller). */
void bson_begin_doc(struct bson_enc *e, const char *key);
void bson_begin_array(struct bson_enc *e, const char *key);
/* Close the innermost open document (the top-level one last). */
void bson_end(struct bson_enc *e);
/* 0 when the document is complete (every level closed) and nothing failed, else -1. */
int bson_enc_finish(struct bson_enc *e);

/* ---- decoder ---- */

/* One element: type, key (NUL-terminated inside the document) and value bytes. */
struct bson_elem {
    uint8_t type;
    const char *key;
    size_t keylen;
    const uint8_t *val;
    size_t vlen;
};

struct bson_iter {
    const uint8_t *p; /* the whole document */
    size_t n;         /* its declared (and checked) length */
    size_t off;       /* next element */
    bool bad;
};

/*
 * Open an iterator on a document starting at p with at most avail bytes
 * available. Checks the declared length (>= 5, <= avail, <= BSON_MAX_DOC)
 * and the terminating NUL. Returns 0 or -1 (malformed).
 */
int bson_iter_init(struct bson_iter *it, const uint8_t *p, size_t avail);
/* Next element: 1 (filled *el), 0 (end of document), -1 (malformed; stays -1). */
int bson_iter_next(struct bson_iter *it, struct bson_elem *el);
/* Find the first top-level element named key in the document at (p, n). 1 found, 0 not, -1 bad. */
int bson_find(const uint8_t *p, size_t n, const char *key, struct bson_elem *el);

/* Value accessors: 0 on success, -1 when the element has another type or is malformed. */
/* Numbers: int32, int64, double (finite, truncated toward zero), bool (0/1). */
int bson_elem_int(const struct bson_elem *el, int64_t *out);
/* Strings (also symbol/code): pointer into the document, length without the NUL. */
int bson_elem_str(const struct bson_elem *el, const char **s, size_t *n);
/* Embedded document or array: open an iterator on it. */
int bson_elem_iter(const struct bson_elem *el, struct bson_iter *it);
/* Truthiness as MongoDB uses it for "ok": numbers != 0, bool true. */
bool bson_elem_true(const struct bson_elem *el);

/* Walk the whole document recursively (depth <= max_depth, at most BSON_MAX_DEPTH). 0 or -1. */
int bson_validate(const uint8_t *p, size_t n, int max_depth);

#endif
