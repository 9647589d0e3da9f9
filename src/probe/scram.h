/*
 * probe/scram.h -- the client side of SCRAM-SHA-256 (RFC 5802, RFC 7677),
 * for the probes whose empty default-account login is a SCRAM exchange
 * (RethinkDB's admin). Pure functions over the messages' text; the
 * probe carries them in its protocol's framing.
 *
 * Only ever used with the empty password of a default account: SCRAM is
 * how such a server is asked "is the password still empty?", and the
 * server's signature (v=) proves the answer came from a server that
 * knows that password, not from a look-alike that says "success" to
 * anything.
 */
#ifndef AJAR_SCRAM_H
#define AJAR_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRAM_NONCE_LEN 24    /* our nonce: 18 random bytes in base64 */
#define SCRAM_MAX_ITER  16384 /* a server asking for more PBKDF2 rounds is not followed */
#define SCRAM_MSG_MAX   512

struct scram {
    char nonce[SCRAM_NONCE_LEN + 1];
    char client_first_bare[SCRAM_MSG_MAX]; /* "n=admin,r=<nonce>" */
    uint8_t server_signature[32];          /* expected in the server-final message */
    bool have_signature;
};

/*
 * Start: the client-first message "n,,n=USER,r=NONCE" into out (n bytes). nonce: a fixed nonce
 * (tests), or NULL for a random one. Returns 0, or -1 (user or nonce unusable, no randomness,
 * out too small).
 */
int scram_client_first(struct scram *s, const char *user, const char *nonce, char *out, size_t n);

/*
 * The server-first message (p, n: "r=...,s=...,i=..."): checks that its nonce extends ours,
 * then computes the client-final message "c=biws,r=...,p=PROOF" for password into out, and
 * remembers the server signature to expect. Returns 0, or -1 with why set to a static reason
 * (malformed, foreign nonce, iteration count over SCRAM_MAX_ITER, out too small).
 */
int scram_client_final(struct scram *s, const char *password, const char *p, size_t n, char *out,
                       size_t outn, const char **why);

/* The server-final message (p, n: "v=..."): does its signature match the one expected? */
bool scram_server_ok(const struct scram *s, const char *p, size_t n);

#endif
