/*
 * tls/tls.h -- the client TLS context the engine uses for every TLS
 * connection (OpenSSL 3).
 *
 * ajar never refuses to look: certificate verification is recorded, not
 * enforced, and the security level is 0 so that 1024-bit keys, SHA-1
 * signatures and old protocol versions can still be inspected.
 */
#ifndef AJAR_TLS_TLS_H
#define AJAR_TLS_TLS_H

#include "core/finding.h"

#include <openssl/ssl.h>

/* The shared client context (created on first use; NULL on failure). */
SSL_CTX *tls_client_ctx(void);
void tls_global_free(void);
/* Fill f->tls from an established session (protocol, cipher, certificate facts). */
void tls_session_facts(SSL *ssl, struct finding *f, time_t now);
/* Does this look like the start of a TLS record (alert or handshake) from a server? */
bool tls_looks_like_record(const uint8_t *p, size_t n);

#endif
