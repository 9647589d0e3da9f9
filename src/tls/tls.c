/*
 * tls/tls.c -- client context and session facts (see tls.h).
 */
#include "tls/tls.h"
#include "tls/cert.h"
#include "core/util.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

static SSL_CTX *ctx;

SSL_CTX *tls_client_ctx(void)
{
    if (ctx) return ctx;
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return NULL;
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_default_verify_paths(ctx);
    SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

void tls_global_free(void)
{
    if (ctx) SSL_CTX_free(ctx);
    ctx = NULL;
}

void tls_session_facts(SSL *ssl, struct finding *f, time_t now)
{
    struct tls_facts *t = &f->tls;
    X509 *leaf = SSL_get1_peer_certificate(ssl);
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    if (leaf) {
        cert_facts(t, leaf, chain, f->host[0] ? f->host : NULL, now);
        X509_free(leaf);
    }
    t->present = true;
    str_copy(t->version, SSL_get_version(ssl), sizeof t->version);
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    if (c) str_copy(t->cipher, SSL_CIPHER_get_name(c), sizeof t->cipher);
    t->verified = SSL_get_verify_result(ssl) == X509_V_OK && leaf;
}

bool tls_looks_like_record(const uint8_t *p, size_t n)
{
    return n >= 3 && (p[0] == 0x15 || p[0] == 0x16) && p[1] == 0x03 && p[2] <= 0x04;
}
