/*
 * probe/bson.c -- see bson.h. Little-endian throughout, as BSON is; the
 * byte order is spelled out with shifts so the code does not depend on the
 * host's. Reading never trusts a declared length: each one is checked
 * against what is left of the enclosing document before it is used.
 */
#include "probe/bson.h"

#include <math.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- encoder ---- */

static void put(struct bson_enc *e, const void *p, size_t n)
{
    if (e->failed) return;
    if (buf_append(e->b, p, n) < 0) e->failed = true;
}

static void put_u32(struct bson_enc *e, uint32_t v)
{
    uint8_t t[4];
    wr32(t, v);
    put(e, t, 4);
}

static void put_u64(struct bson_enc *e, uint64_t v)
{
    put_u32(e, (uint32_t)v);
    put_u32(e, (uint32_t)(v >> 32));
}

static void open_doc(struct bson_enc *e)
{
    if (e->failed) return;
    if (e->depth >= BSON_MAX_DEPTH) {
        e->failed = true;
        return;
    }
    e->open[e->depth++] = e->b->len;
    put_u32(e, 0); /* patched by bson_end */
}

/* Type byte and key; keys with an embedded NUL cannot exist (C strings). */
static void put_key(struct bson_enc *e, uint8_t type, const char *key)
{
    if (e->depth == 0) e->failed = true; /* element outside any document */
    put(e, &type, 1);
    put(e, key, strlen(key) + 1);
}

void bson_enc_init(struct bson_enc *e, struct buf *b)
{
    memset(e, 0, sizeof *e);
    e->b = b;
    open_doc(e);
}

void bson_put_int32(struct bson_enc *e, const char *key, int32_t v)
{
    put_key(e, BSON_INT32, key);
    put_u32(e, (uint32_t)v);
}

void bson_put_int64(struct bson_enc *e, const char *key, int64_t v)
{
    put_key(e, BSON_INT64, key);
    put_u64(e, (uint64_t)v);
}

void bson_put_double(struct bson_enc *e, const char *key, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_key(e, BSON_DOUBLE, key);
    put_u64(e, bits);
}

void bson_put_bool(struct bson_enc *e, const char *key, bool v)
{
    uint8_t b = v ? 1 : 0;
    put_key(e, BSON_BOOL, key);
    put(e, &b, 1);
}

void bson_put_str(struct bson_enc *e, const char *key, const char *s)
{
    size_t n = strlen(s) + 1;
    put_key(e, BSON_STRING, key);
    put_u32(e, (uint32_t)n);
    put(e, s, n);
}

void bson_begin_doc(struct bson_enc *e, const char *key)
{
    put_key(e, BSON_DOC, key);
    open_doc(e);
}

void bson_begin_array(struct bson_enc *e, const char *key)
{
    put_key(e, BSON_ARRAY, key);
    open_doc(e);
}

void bson_end(struct bson_enc *e)
{
    if (e->failed) return;
    if (e->depth == 0) {
        e->failed = true;
        return;
    }
    uint8_t z = 0;
    put(e, &z, 1);
    if (e->failed) return;
    size_t start = e->open[--e->depth];
    size_t len = e->b->len - start;
    if (len > BSON_MAX_DOC) {
        e->failed = true;
        return;
    }
    wr32(e->b->data + start, (uint32_t)len);
}

int bson_enc_finish(struct bson_enc *e)
{
    return e->failed || e->depth != 0 ? -1 : 0;
}

/* ---- decoder ---- */

int bson_iter_init(struct bson_iter *it, const uint8_t *p, size_t avail)
{
    memset(it, 0, sizeof *it);
    it->bad = true;
    if (!p || avail < 5) return -1;
    uint32_t len = rd32(p);
    if (len < 5 || len > avail || len > BSON_MAX_DOC || p[len - 1] != 0) return -1;
    it->p = p;
    it->n = len;
    it->off = 4;
    it->bad = false;
    return 0;
}

/* Length of a NUL-terminated string starting at p within n bytes, including the NUL; 0 if none. */
static size_t cstr_len(const uint8_t *p, size_t n)
{
    const uint8_t *z = memchr(p, 0, n);
    return z ? (size_t)(z - p) + 1 : 0;
}

/* A BSON string (int32 length incl. NUL, bytes, NUL) at p within n bytes: its total size, or 0. */
static size_t bstr_size(const uint8_t *p, size_t n)
{
    if (n < 5) return 0;
    uint32_t l = rd32(p);
    if (l < 1 || l > n - 4 || p[4 + l - 1] != 0) return 0;
    return 4 + (size_t)l;
}

/* Size of a value of this type at p with n bytes left (before the document's final NUL); 0 = bad.
 */
static size_t value_size(uint8_t type, const uint8_t *p, size_t n, bool *ok)
{
    size_t s = 0, a, b;
    *ok = true;
    switch (type) {
    case BSON_DOUBLE:
    case BSON_DATE:
    case BSON_TIMESTAMP:
    case BSON_INT64:
        s = 8;
        break;
    case BSON_INT32:
        s = 4;
        break;
    case BSON_BOOL:
        s = 1;
        break;
    case BSON_OID:
        s = 12;
        break;
    case BSON_DECIMAL128:
        s = 16;
        break;
    case BSON_UNDEFINED:
    case BSON_NULL:
    case BSON_MINKEY:
    case BSON_MAXKEY:
        return 0; /* empty value, *ok stays true */
    case BSON_STRING:
    case BSON_CODE:
    case BSON_SYMBOL:
        s = bstr_size(p, n);
        break;
    case BSON_DOC:
    case BSON_ARRAY:
        if (n >= 5) {
            uint32_t l = rd32(p);
            if (l >= 5 && l <= n && p[l - 1] == 0) s = l;
        }
        break;
    case BSON_BINARY:
        if (n >= 5) {
            uint32_t l = rd32(p);
            if (l <= n - 5) s = 5 + (size_t)l;
        }
        break;
    case BSON_REGEX:
        a = cstr_len(p, n);
        b = a ? cstr_len(p + a, n - a) : 0;
        if (a && b) s = a + b;
        break;
    case BSON_DBPOINTER:
        a = bstr_size(p, n);
        if (a && n - a >= 12) s = a + 12;
        break;
    case BSON_CODE_W_SCOPE:
        if (n >= 14) {
            uint32_t l = rd32(p);
            if (l >= 14 && l <= n) s = l;
        }
        break;
    default:
        break;
    }
    if (s == 0 || s > n) {
        *ok = false;
        return 0;
    }
    return s;
}

int bson_iter_next(struct bson_iter *it, struct bson_elem *el)
{
    if (it->bad) return -1;
    /* it->n >= 5 and p[n-1] == 0: the byte at n-1 ends the document */
    if (it->off >= it->n) goto bad;
    uint8_t type = it->p[it->off];
    if (type == 0) return it->off == it->n - 1 ? 0 : (it->bad = true, -1);
    size_t pos = it->off + 1;      /* <= n - 1: a type byte at n - 1 is the final NUL */
    size_t left = it->n - 1 - pos; /* bytes before the final NUL */
    size_t kl = cstr_len(it->p + pos, left);
    if (!kl) goto bad;
    el->type = type;
    el->key = (const char *)(it->p + pos);
    el->keylen = kl - 1;
    pos += kl;
    left -= kl;
    bool ok;
    size_t vs = value_size(type, it->p + pos, left, &ok);
    if (!ok) goto bad;
    el->val = it->p + pos;
    el->vlen = vs;
    it->off = pos + vs;
    return 1;
bad:
    it->bad = true;
    return -1;
}

int bson_find(const uint8_t *p, size_t n, const char *key, struct bson_elem *el)
{
    struct bson_iter it;
    if (bson_iter_init(&it, p, n) < 0) return -1;
    int r;
    while ((r = bson_iter_next(&it, el)) == 1)
        if (strcmp(el->key, key) == 0) return 1;
    return r;
}

int bson_elem_int(const struct bson_elem *el, int64_t *out)
{
    switch (el->type) {
    case BSON_INT32:
        *out = (int32_t)rd32(el->val);
        return 0;
    case BSON_INT64:
        *out = (int64_t)rd64(el->val);
        return 0;
    case BSON_BOOL:
        *out = el->val[0] ? 1 : 0;
        return 0;
    case BSON_DOUBLE: {
        uint64_t bits = rd64(el->val);
        double d;
        memcpy(&d, &bits, sizeof d);
        /* reject what cannot be represented rather than invoke undefined conversion */
        if (!isfinite(d) || d >= 9.2e18 || d <= -9.2e18) return -1;
        *out = (int64_t)d;
        return 0;
    }
    default:
        return -1;
    }
}

int bson_elem_str(const struct bson_elem *el, const char **s, size_t *n)
{
    if (el->type != BSON_STRING && el->type != BSON_SYMBOL && el->type != BSON_CODE) return -1;
    *s = (const char *)el->val + 4;
    *n = el->vlen - 5;
    return 0;
}

int bson_elem_iter(const struct bson_elem *el, struct bson_iter *it)
{
    if (el->type != BSON_DOC && el->type != BSON_ARRAY) return -1;
    return bson_iter_init(it, el->val, el->vlen);
}

bool bson_elem_true(const struct bson_elem *el)
{
    if (el->type == BSON_DOUBLE) {
        uint64_t bits = rd64(el->val);
        double d;
        memcpy(&d, &bits, sizeof d);
        return d != 0.0 && !isnan(d);
    }
    int64_t v;
    return bson_elem_int(el, &v) == 0 && v != 0;
}

static int validate(const uint8_t *p, size_t n, int depth)
{
    if (depth < 0) return -1;
    struct bson_iter it;
    if (bson_iter_init(&it, p, n) < 0) return -1;
    struct bson_elem el;
    int r;
    while ((r = bson_iter_next(&it, &el)) == 1) {
        if (el.type == BSON_DOC || el.type == BSON_ARRAY) {
            if (validate(el.val, el.vlen, depth - 1) < 0) return -1;
        } else if (el.type == BSON_CODE_W_SCOPE) {
            size_t sl = bstr_size(el.val + 4, el.vlen - 4);
            if (!sl || validate(el.val + 4 + sl, el.vlen - 4 - sl, depth - 1) < 0) return -1;
        }
    }
    return r;
}

int bson_validate(const uint8_t *p, size_t n, int max_depth)
{
    if (max_depth > BSON_MAX_DEPTH) max_depth = BSON_MAX_DEPTH;
    return validate(p, n, max_depth);
}
