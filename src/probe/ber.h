/*
 * probe/ber.h -- the small part of ASN.1 BER that LDAP needs.
 *
 * LDAP messages (RFC 4511 section 5.1) are BER with a few restrictions:
 * definite lengths only, single-byte tags for everything LDAP itself
 * defines. So this is:
 *
 *   - an encoder that builds one request in a fixed buffer: primitives
 *     (INTEGER, ENUMERATED, BOOLEAN, OCTET STRING) under any one-byte tag,
 *     and constructed elements opened with ber_begin() and closed with
 *     ber_end(), which writes the minimal definite length (moving the
 *     content when the length needs the long form). Nesting is capped at
 *     BER_MAX_DEPTH; any misuse or overflow sets `failed` and turns every
 *     later call into a no-op, so callers check once (ber_finish);
 *   - a flat, bounds-checked reader: ber_next() takes one TLV off a byte
 *     range and hands back its tag and a sub-range for its content. It
 *     never recurses and never allocates: a caller descends by opening a
 *     reader on the content, so the nesting a parser follows is the nesting
 *     its code spells out, nothing a peer chooses. Every length is checked
 *     against the bytes present before use; indefinite lengths (0x80),
 *     lengths of more than four bytes, and high tag numbers (0x1f) are
 *     refused;
 *   - ber_frame(): where one top-level element ends in a stream, for a push
 *     parser that gathers a whole LDAPMessage before decoding it.
 */
#ifndef AJAR_PROBE_BER_H
#define AJAR_PROBE_BER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BER_ENC_MAX   2048 /* the largest request this encoder builds */
#define BER_MAX_DEPTH 8    /* constructed elements open at once */

/* Tags (class and constructed bits included). */
#define BER_BOOLEAN    0x01
#define BER_INTEGER    0x02
#define BER_OCTETS     0x04
#define BER_NULL       0x05
#define BER_ENUMERATED 0x0a
#define BER_SEQUENCE   0x30
#define BER_SET        0x31

/* ---- encoder ---- */

struct ber_enc {
    uint8_t b[BER_ENC_MAX];
    size_t len;
    size_t open[BER_MAX_DEPTH]; /* offset of each open element's length byte */
    int depth;
    bool failed;
};

void ber_enc_init(struct ber_enc *e);
/* A primitive of tag with these content bytes. */
void ber_put(struct ber_enc *e, uint8_t tag, const void *p, size_t n);
/* INTEGER / ENUMERATED (tag given) in the fewest two's-complement bytes. */
void ber_put_int(struct ber_enc *e, uint8_t tag, int64_t v);
void ber_put_bool(struct ber_enc *e, bool v);
void ber_put_str(struct ber_enc *e, uint8_t tag, const char *s);
/* Open a constructed element (SEQUENCE, SET, [APPLICATION n], ...); ber_end closes the innermost.
 */
void ber_begin(struct ber_enc *e, uint8_t tag);
void ber_end(struct ber_enc *e);
/* 0 when every element is closed and nothing failed, else -1. */
int ber_finish(const struct ber_enc *e);

/* ---- reader ---- */

struct ber_rd {
    const uint8_t *p;
    size_t n, i;
    bool bad; /* a malformed element was met: every later ber_next fails */
};

void ber_rd_init(struct ber_rd *r, const uint8_t *p, size_t n);
/* Bytes left. */
static inline size_t ber_left(const struct ber_rd *r)
{
    return r->n - r->i;
}
/*
 * The next element: 1 with *tag and its content (*v, *vn) inside the range, 0 at the end of the
 * range, -1 when malformed (tag 0x1f, indefinite or over-long length, content past the end).
 */
int ber_next(struct ber_rd *r, uint8_t *tag, const uint8_t **v, size_t *vn);
/* The next element must have this tag: 1 and its content, else -1 (0 at the end of the range). */
int ber_expect(struct ber_rd *r, uint8_t tag, const uint8_t **v, size_t *vn);
/* INTEGER / ENUMERATED content (1 to 8 bytes, two's complement) to *out. 0 or -1. */
int ber_int(const uint8_t *v, size_t vn, int64_t *out);

/*
 * Framing: the first element of a stream whose first n bytes are at p. 1 when its header is
 * complete: *hdr header bytes, *len content bytes (the element is *hdr + *len bytes); 0 when more
 * bytes are needed to know; -1 when the bytes cannot start a definite-length element (high tag,
 * indefinite length, a length of more than four bytes or above max).
 */
int ber_frame(const uint8_t *p, size_t n, size_t max, size_t *hdr, size_t *len);

#endif
