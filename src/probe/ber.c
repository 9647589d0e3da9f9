/*
 * probe/ber.c -- see ber.h. Written from X.690 (section 8.1: identifier,
 * length and contents octets) and RFC 4511 section 5.1; no code from
 * elsewhere.
 */
#include "probe/ber.h"

#include <string.h>

/* ---- encoder ---- */

void ber_enc_init(struct ber_enc *e)
{
    memset(e, 0, sizeof *e);
}

static void put_byte(struct ber_enc *e, uint8_t c)
{
    if (e->failed) return;
    if (e->len >= sizeof e->b) {
        e->failed = true;
        return;
    }
    e->b[e->len++] = c;
}

/* A definite length in the fewest bytes. */
static void put_len(struct ber_enc *e, size_t n)
{
    if (n < 0x80) {
        put_byte(e, (uint8_t)n);
        return;
    }
    uint8_t tmp[4];
    int k = 0;
    for (size_t v = n; v && k < 4; v >>= 8)
        tmp[k++] = (uint8_t)v;
    put_byte(e, (uint8_t)(0x80 | k));
    while (k)
        put_byte(e, tmp[--k]);
}

void ber_put(struct ber_enc *e, uint8_t tag, const void *p, size_t n)
{
    if (e->failed) return;
    if ((tag & 0x1f) == 0x1f || n >= sizeof e->b) {
        e->failed = true;
        return;
    }
    put_byte(e, tag);
    put_len(e, n);
    if (e->failed || n > sizeof e->b - e->len) {
        e->failed = true;
        return;
    }
    if (n) memcpy(e->b + e->len, p, n);
    e->len += n;
}

void ber_put_int(struct ber_enc *e, uint8_t tag, int64_t v)
{
    uint8_t tmp[8];
    int k = 8;
    for (int i = 0; i < 8; i++)
        tmp[7 - i] = (uint8_t)((uint64_t)v >> (8 * i));
    /* drop leading bytes that only repeat the sign of the next one */
    int s = 0;
    while (s < 7 &&
           ((tmp[s] == 0x00 && !(tmp[s + 1] & 0x80)) || (tmp[s] == 0xff && (tmp[s + 1] & 0x80))))
        s++;
    ber_put(e, tag, tmp + s, (size_t)(k - s));
}

void ber_put_bool(struct ber_enc *e, bool v)
{
    uint8_t c = v ? 0xff : 0x00;
    ber_put(e, BER_BOOLEAN, &c, 1);
}

void ber_put_str(struct ber_enc *e, uint8_t tag, const char *s)
{
    ber_put(e, tag, s, strlen(s));
}

void ber_begin(struct ber_enc *e, uint8_t tag)
{
    if (e->failed) return;
    if (e->depth >= BER_MAX_DEPTH || (tag & 0x1f) == 0x1f) {
        e->failed = true;
        return;
    }
    put_byte(e, tag);
    e->open[e->depth] = e->len;
    put_byte(e, 0); /* one length byte reserved; ber_end widens it when needed */
    if (!e->failed) e->depth++;
}

void ber_end(struct ber_enc *e)
{
    if (e->failed) return;
    if (e->depth <= 0) {
        e->failed = true;
        return;
    }
    size_t at = e->open[--e->depth];
    size_t start = at + 1, n = e->len - start;
    if (n < 0x80) {
        e->b[at] = (uint8_t)n;
        return;
    }
    int k = 0;
    for (size_t v = n; v; v >>= 8)
        k++;
    if (k > 4 || (size_t)k > sizeof e->b - e->len) {
        e->failed = true;
        return;
    }
    memmove(e->b + start + k, e->b + start, n);
    e->b[at] = (uint8_t)(0x80 | k);
    for (int i = 0; i < k; i++)
        e->b[start + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
    e->len += (size_t)k;
}

int ber_finish(const struct ber_enc *e)
{
    return e->failed || e->depth != 0 ? -1 : 0;
}

/* ---- reader ---- */

void ber_rd_init(struct ber_rd *r, const uint8_t *p, size_t n)
{
    r->p = p;
    r->n = p ? n : 0;
    r->i = 0;
    r->bad = false;
}

int ber_frame(const uint8_t *p, size_t n, size_t max, size_t *hdr, size_t *len)
{
    if (n < 1) return 0;
    if ((p[0] & 0x1f) == 0x1f) return -1; /* high tag numbers: nothing LDAP sends */
    if (n < 2) return 0;
    uint8_t l = p[1];
    if (l < 0x80) {
        *hdr = 2;
        *len = l;
    } else {
        size_t k = l & 0x7f;
        if (k == 0 || k > 4) return -1; /* indefinite, or more than 4 GiB */
        if (n < 2 + k) return 0;
        uint64_t v = 0;
        for (size_t i = 0; i < k; i++)
            v = v << 8 | p[2 + i];
        *hdr = 2 + k;
        *len = (size_t)v;
    }
    if (*len > max) return -1;
    return 1;
}

int ber_next(struct ber_rd *r, uint8_t *tag, const uint8_t **v, size_t *vn)
{
    if (r->bad) return -1;
    if (r->i >= r->n) return 0;
    size_t hdr, len, left = r->n - r->i;
    if (ber_frame(r->p + r->i, left, left, &hdr, &len) != 1 || hdr > left || len > left - hdr) {
        r->bad = true;
        return -1;
    }
    *tag = r->p[r->i];
    *v = r->p + r->i + hdr;
    *vn = len;
    r->i += hdr + len;
    return 1;
}

int ber_expect(struct ber_rd *r, uint8_t tag, const uint8_t **v, size_t *vn)
{
    uint8_t t;
    int rc = ber_next(r, &t, v, vn);
    if (rc <= 0) return rc;
    if (t != tag) {
        r->bad = true;
        return -1;
    }
    return 1;
}

int ber_int(const uint8_t *v, size_t vn, int64_t *out)
{
    if (!v || vn < 1 || vn > 8) return -1;
    uint64_t u = (v[0] & 0x80) ? UINT64_MAX : 0; /* sign extension */
    for (size_t i = 0; i < vn; i++)
        u = u << 8 | v[i];
    *out = (int64_t)u;
    return 0;
}
