/*
 * tls/cert.c -- certificate facts for the record (see cert.h).
 *
 * Everything here reads a certificate the remote side chose, so nothing is
 * trusted: names go through str_sanitize, every OpenSSL call that can fail
 * is checked and a failure leaves the field empty rather than aborting, and
 * odd shapes (no subject, no CN, unknown key or signature algorithm, times
 * OpenSSL cannot convert) just yield fewer facts. The error queue is
 * cleared on the way out: a stale entry would make the engine's next
 * SSL_get_error() lie about an unrelated connection.
 *
 * Self-signed means both "issuer name equals subject name" and "its own key
 * verifies its signature": a name match alone is cheap to forge, and a CA
 * that reuses its name for a leaf is not the same finding.
 */
#include "tls/cert.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

/* One-line RFC 2253 form, UTF-8 kept (ESC_MSB off), control bytes escaped. */
static void name_oneline(char *dst, size_t dn, const X509_NAME *name)
{
    dst[0] = '\0';
    if (!name) return;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b) return;
    unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    if (X509_NAME_print_ex(b, name, 0, flags) >= 0) {
        char *p = NULL;
        long len = BIO_get_mem_data(b, &p);
        if (p && len > 0) str_sanitize(dst, dn, p, (size_t)len, false);
    }
    BIO_free(b);
}

/* The last CN of a name (the most specific in RFC 2253 order), as UTF-8. */
static void name_cn(char *dst, size_t dn, const X509_NAME *name)
{
    dst[0] = '\0';
    if (!name) return;
    int idx = -1, last = -1;
    while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0)
        last = idx;
    if (last < 0) return;
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, last);
    const ASN1_STRING *s = e ? X509_NAME_ENTRY_get_data(e) : NULL;
    if (!s) return;
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len > 0 && utf8) str_sanitize(dst, dn, utf8, (size_t)len, false);
    OPENSSL_free(utf8);
}

static time_t asn1_time(const ASN1_TIME *at)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!at || ASN1_TIME_to_tm(at, &tm) != 1) return 0;
    return timegm(&tm);
}

static void add_sans(struct tls_facts *t, X509 *leaf)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    if (!gens) return;
    int n = sk_GENERAL_NAME_num(gens);
    for (int i = 0; i < n && t->nsan < FINDING_MAX_SAN; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char dst[sizeof *t->san];
        if (g->type == GEN_DNS) {
            const ASN1_IA5STRING *s = g->d.dNSName;
            int len = ASN1_STRING_length(s);
            if (len <= 0) continue;
            str_sanitize(dst, sizeof dst, ASN1_STRING_get0_data(s), (size_t)len, false);
            tls_add_san(t, dst);
        } else if (g->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *s = g->d.iPAddress;
            int len = ASN1_STRING_length(s);
            const unsigned char *p = ASN1_STRING_get0_data(s);
            int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
            if (!af || !inet_ntop(af, p, dst, (socklen_t)sizeof dst)) continue;
            tls_add_san(t, dst);
        }
    }
    GENERAL_NAMES_free(gens);
}

static void key_facts(struct tls_facts *t, X509 *leaf)
{
    EVP_PKEY *pk = X509_get0_pubkey(leaf);
    if (!pk) return;
    const char *type = "other";
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
        type = "rsa";
        break;
    case EVP_PKEY_RSA_PSS:
        type = "rsa-pss";
        break;
    case EVP_PKEY_EC:
        type = "ec";
        break;
    case EVP_PKEY_ED25519:
        type = "ed25519";
        break;
    case EVP_PKEY_ED448:
        type = "ed448";
        break;
    case EVP_PKEY_DSA:
        type = "dsa";
        break;
    default:
        break;
    }
    str_copy(t->key_type, type, sizeof t->key_type);
    int bits = EVP_PKEY_get_bits(pk);
    t->key_bits = bits > 0 ? bits : 0;
}

static void sig_facts(struct tls_facts *t, X509 *leaf)
{
    int nid = X509_get_signature_nid(leaf);
    const char *ln = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
    if (ln) {
        str_copy(t->sig_alg, ln, sizeof t->sig_alg);
        return;
    }
    /* Unknown to this OpenSSL: keep the dotted OID so the record says something. */
    const X509_ALGOR *alg = NULL;
    X509_get0_signature(NULL, &alg, leaf);
    const ASN1_OBJECT *obj = NULL;
    if (alg) X509_ALGOR_get0(&obj, NULL, NULL, alg);
    char oid[80];
    if (obj && OBJ_obj2txt(oid, sizeof oid, obj, 1) > 0)
        str_sanitize(t->sig_alg, sizeof t->sig_alg, oid, strlen(oid), false);
}

static bool is_self_signed(X509 *leaf)
{
    const X509_NAME *s = X509_get_subject_name(leaf), *i = X509_get_issuer_name(leaf);
    if (!s || !i || X509_NAME_cmp(s, i) != 0) return false;
    EVP_PKEY *pk = X509_get0_pubkey(leaf);
    return pk && X509_verify(leaf, pk) == 1;
}

static int check_name(X509 *leaf, const char *host)
{
    unsigned char addr[16];
    int rc;
    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
        rc = X509_check_ip_asc(leaf, host, 0);
    else
        rc = X509_check_host(leaf, host, strlen(host), 0, NULL);
    return rc == 1 ? 1 : 0;
}

int cert_facts(struct tls_facts *t, X509 *leaf, STACK_OF(X509) * chain, const char *host,
               time_t now)
{
    /* Keep what the engine set from the session. */
    char version[sizeof t->version], cipher[sizeof t->cipher];
    bool verified = t->verified;
    memcpy(version, t->version, sizeof version);
    memcpy(cipher, t->cipher, sizeof cipher);
    /* and the SAN list's memory (t is zeroed or filled before: tls_facts_free() releases it) */
    char(*san)[sizeof *t->san] = t->san;
    size_t san_cap = t->san_cap;
    memset(t, 0, sizeof *t);
    t->san = san;
    t->san_cap = san_cap;
    memcpy(t->version, version, sizeof version);
    memcpy(t->cipher, cipher, sizeof cipher);
    t->verified = verified;
    t->name_match = -1;
    int rc = -1;
    if (!leaf) goto out;

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32) {
        static const char hex[] = "0123456789abcdef";
        for (unsigned i = 0; i < mdlen; i++) {
            t->sha256[2 * i] = hex[md[i] >> 4];
            t->sha256[2 * i + 1] = hex[md[i] & 15];
        }
        t->sha256[64] = '\0';
    }
    const X509_NAME *subj = X509_get_subject_name(leaf), *iss = X509_get_issuer_name(leaf);
    name_cn(t->subject_cn, sizeof t->subject_cn, subj);
    name_cn(t->issuer_cn, sizeof t->issuer_cn, iss);
    name_oneline(t->subject, sizeof t->subject, subj);
    name_oneline(t->issuer, sizeof t->issuer, iss);
    add_sans(t, leaf);

    const ASN1_TIME *nb = X509_get0_notBefore(leaf), *na = X509_get0_notAfter(leaf);
    t->not_before = asn1_time(nb);
    t->not_after = asn1_time(na);
    time_t at = now;
    /* X509_cmp_time: -1 the time is before `at`, 1 after, 0 on a malformed time. */
    t->expired = na && X509_cmp_time(na, &at) < 0;
    t->not_yet_valid = nb && X509_cmp_time(nb, &at) > 0;

    key_facts(t, leaf);
    sig_facts(t, leaf);
    t->self_signed = is_self_signed(leaf);
    if (host && host[0]) t->name_match = check_name(leaf, host);
    int nchain = chain ? sk_X509_num(chain) : 0;
    t->chain_len = nchain > 0 ? nchain : 1;
    t->present = true;
    rc = 0;
out:
    ERR_clear_error();
    return rc;
}

int cert_facts_from_pem(struct tls_facts *t, const char *pem, size_t n, const char *host,
                        time_t now)
{
    int rc = -1;
    BIO *b = NULL;
    X509 *leaf = NULL;
    STACK_OF(X509) *chain = NULL;
    if (!pem || n == 0 || n > INT_MAX) goto out;
    b = BIO_new_mem_buf(pem, (int)n);
    chain = sk_X509_new_null();
    if (!b || !chain) goto out;
    X509 *x;
    while (sk_X509_num(chain) < 16 && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(chain, x)) {
            X509_free(x);
            goto out;
        }
    }
    if (sk_X509_num(chain) == 0) {
        const unsigned char *p = (const unsigned char *)pem;
        x = d2i_X509(NULL, &p, (long)n);
        if (!x) goto out;
        if (!sk_X509_push(chain, x)) {
            X509_free(x);
            goto out;
        }
    }
    leaf = sk_X509_value(chain, 0);
    rc = cert_facts(t, leaf, chain, host, now);
out:
    if (rc < 0) {
        t->present = false;
        t->name_match = -1;
    }
    sk_X509_pop_free(chain, X509_free);
    BIO_free(b);
    ERR_clear_error();
    return rc;
}
