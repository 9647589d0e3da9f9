/*
 * tls/cert.h -- what a certificate says, as plain facts for the record.
 *
 * The engine hands over the leaf and the chain the server sent right after
 * a handshake; cert_facts() turns them into struct tls_facts (fingerprint,
 * names, issuer, validity, key, signature, self-signed, expiry and name
 * match at the scan time). Assessment (src/assess) judges those facts; this
 * file only reads them. Every string is sanitized on the way in: a
 * certificate is attacker-controlled input like any other network bytes.
 */
#ifndef AJAR_TLS_CERT_H
#define AJAR_TLS_CERT_H

#include "core/finding.h"

#include <openssl/x509.h>
#include <stddef.h>
#include <time.h>

/*
 * Fill t from the leaf certificate (and the chain the server sent, leaf
 * included as SSL_get_peer_cert_chain returns it on a client; NULL counts
 * as a chain of one) at scan time `now`. `host` is the name the user
 * scanned by (NULL or "" if none: name_match stays -1); an address literal
 * is checked against IP SANs. Does not touch t->version, t->cipher or
 * t->verified (the engine sets those from the SSL session). t is zeroed or
 * filled before: its SAN list is reused (tls_facts_free() releases it). The
 * caller keeps ownership of leaf and chain. Returns 0, or -1 when leaf is
 * NULL or unreadable (t->present is then false).
 */
int cert_facts(struct tls_facts *t, X509 *leaf, STACK_OF(X509) * chain, const char *host,
               time_t now);

/*
 * Same from PEM (one or more certificates, the first is the leaf, the rest
 * its chain) or DER (a single certificate) bytes: tests and import.
 * Returns 0 or -1 when no certificate could be parsed.
 */
int cert_facts_from_pem(struct tls_facts *t, const char *pem, size_t n, const char *host,
                        time_t now);

#endif
