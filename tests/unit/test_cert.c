/*
 * tests/unit/test_cert.c -- certificate facts from the certificates that
 * tests/unit/certs/gen.sh made with the openssl CLI (fixed dates, so the
 * expectations hold whenever the files are regenerated).
 */
#include "core/util.h"
#include "t.h"
#include "tls/cert.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>

#define T2026 ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

static char *slurp(const char *name, size_t *n)
{
    char path[512];
    const char *here = __FILE__; /* tests/unit/test_cert.c */
    const char *slash = strrchr(here, '/');
    int dl = slash ? (int)(slash - here) : 1;
    str_fmt(path, sizeof path, "%.*s/certs/%s", dl, slash ? here : ".", name);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    char *p = xmalloc(65536);
    *n = p ? fread(p, 1, 65535, fp) : 0;
    if (p) p[*n] = '\0';
    fclose(fp);
    return p;
}

static int load(struct tls_facts *t, const char *name, const char *host, time_t now)
{
    size_t n = 0;
    char *p = slurp(name, &n);
    tls_facts_free(t); /* t was loaded before, or is zeroed */
    memset(t, 0, sizeof *t);
    int rc = p ? cert_facts_from_pem(t, p, n, host, now) : -1;
    free(p);
    return rc;
}

static bool has_san(const struct tls_facts *t, const char *s)
{
    for (int i = 0; i < t->nsan; i++)
        if (strcmp(t->san[i], s) == 0) return true;
    return false;
}

static void test_valid(void)
{
    struct tls_facts t = {0};
    str_copy(t.version, "TLSv1.3", sizeof t.version);
    str_copy(t.cipher, "TLS_AES_256_GCM_SHA384", sizeof t.cipher);
    size_t n = 0;
    char *p = slurp("valid.pem", &n);
    CHECK(p != NULL);
    if (!p) return;
    CHECK_INT(cert_facts_from_pem(&t, p, n, "db.example.test", T2026), 0);
    CHECK(t.present);
    CHECK_STR(t.version, "TLSv1.3"); /* the engine's fields survive */
    CHECK_STR(t.cipher, "TLS_AES_256_GCM_SHA384");
    CHECK_STR(t.subject_cn, "db.example.test");
    CHECK_STR(t.issuer_cn, "ajar test CA");
    CHECK_STR(t.subject, "CN=db.example.test,O=ajar tests");
    CHECK_STR(t.issuer, "CN=ajar test CA,O=ajar tests,C=ZZ");
    CHECK_INT(t.nsan, 4);
    CHECK(has_san(&t, "db.example.test"));
    CHECK(has_san(&t, "www.example.test"));
    CHECK(has_san(&t, "192.0.2.10"));
    CHECK(has_san(&t, "2001:db8::10"));
    CHECK_INT(t.not_before, 1704067200); /* 2024-01-01 */
    CHECK_INT(t.not_after, 2019686400);  /* 2034-01-01 */
    CHECK(!t.expired);
    CHECK(!t.not_yet_valid);
    CHECK(!t.self_signed);
    CHECK_STR(t.key_type, "rsa");
    CHECK_INT(t.key_bits, 2048);
    CHECK_STR(t.sig_alg, "sha256WithRSAEncryption");
    CHECK_INT(t.name_match, 1);
    CHECK_INT(t.chain_len, 1);
    CHECK_INT(strlen(t.sha256), 64);

    /* The fingerprint is SHA-256 of the DER: compute it the other way round. */
    BIO *b = BIO_new_mem_buf(p, (int)n);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL;
    int dlen = x ? i2d_X509(x, &der) : -1;
    CHECK(dlen > 0);
    if (dlen > 0) {
        unsigned char md[32];
        unsigned int ml = 0;
        EVP_Digest(der, (size_t)dlen, md, &ml, EVP_sha256(), NULL);
        char hex[65];
        for (int i = 0; i < 32; i++)
            str_fmt(hex + 2 * i, 3, "%02x", md[i]);
        CHECK_STR(t.sha256, hex);
        /* DER input gives the same facts. */
        struct tls_facts d = {0};
        CHECK_INT(cert_facts_from_pem(&d, (const char *)der, (size_t)dlen, "192.0.2.10", T2026), 0);
        CHECK_STR(d.sha256, hex);
        CHECK_STR(d.subject_cn, "db.example.test");
        CHECK_INT(d.name_match, 1); /* IP SAN */
        CHECK_INT(cert_facts_from_pem(&d, (const char *)der, (size_t)dlen, "2001:db8::10", T2026),
                  0);
        CHECK_INT(d.name_match, 1);
        CHECK_INT(cert_facts_from_pem(&d, (const char *)der, (size_t)dlen, "192.0.2.11", T2026), 0);
        CHECK_INT(d.name_match, 0);
        tls_facts_free(&d);
    }
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(b);
    free(p);

    /* No host: name_match stays -1. */
    CHECK_INT(load(&t, "valid.pem", NULL, T2026), 0);
    CHECK_INT(t.name_match, -1);
    CHECK_INT(load(&t, "valid.pem", "", T2026), 0);
    CHECK_INT(t.name_match, -1);
    /* Same certificate before its start and after its end. */
    CHECK_INT(load(&t, "valid.pem", NULL, 1700000000), 0);
    CHECK(t.not_yet_valid && !t.expired);
    CHECK_INT(load(&t, "valid.pem", NULL, 2100000000), 0);
    CHECK(t.expired && !t.not_yet_valid);
    tls_facts_free(&t);
}

static void test_chain(void)
{
    struct tls_facts t = {0};
    CHECK_INT(load(&t, "chain.pem", "www.example.test", T2026), 0);
    CHECK_INT(t.chain_len, 2);
    CHECK_STR(t.subject_cn, "db.example.test"); /* the first is the leaf */
    CHECK_INT(t.name_match, 1);
    CHECK_INT(load(&t, "ca.pem", NULL, T2026), 0);
    CHECK(t.self_signed); /* a root is self-signed too */
    tls_facts_free(&t);
}

static void test_expired(void)
{
    struct tls_facts t = {0};
    CHECK_INT(load(&t, "expired.pem", "old.example.test", T2026), 0);
    CHECK(t.expired);
    CHECK(!t.not_yet_valid);
    CHECK(!t.self_signed);
    CHECK_INT(t.not_after, 1519862400);  /* 2018-03-01 */
    CHECK_INT(t.not_before, 1456790400); /* 2016-03-01 */
    /* Seen in 2017, the same certificate was fine. */
    CHECK_INT(load(&t, "expired.pem", NULL, 1500000000), 0);
    CHECK(!t.expired);
    tls_facts_free(&t);
}

static void test_self_signed(void)
{
    struct tls_facts t = {0};
    CHECK_INT(load(&t, "selfsigned.pem", "kibana.local", T2026), 0);
    CHECK(t.self_signed);
    CHECK(t.expired);
    CHECK_STR(t.subject_cn, "kibana.local");
    CHECK_STR(t.issuer_cn, "kibana.local");
    CHECK_STR(t.subject, t.issuer);
    CHECK_INT(t.name_match, 1);
    tls_facts_free(&t);
}

static void test_keys(void)
{
    struct tls_facts t = {0};
    CHECK_INT(load(&t, "weak1024.pem", NULL, T2026), 0);
    CHECK_STR(t.key_type, "rsa");
    CHECK_INT(t.key_bits, 1024);
    CHECK_INT(load(&t, "ec256.pem", NULL, T2026), 0);
    CHECK_STR(t.key_type, "ec");
    CHECK_INT(t.key_bits, 256);
    CHECK_STR(t.sig_alg, "sha256WithRSAEncryption"); /* signed by the RSA CA */
    CHECK_INT(load(&t, "ed25519.pem", NULL, T2026), 0);
    CHECK_STR(t.key_type, "ed25519");
    CHECK_INT(t.key_bits, 256);
    tls_facts_free(&t);
}

static void test_names(void)
{
    struct tls_facts t = {0};
    CHECK_INT(load(&t, "wildcard.pem", "es-cn-0pp1f1y5g000abcd.kibana.example.test", T2026), 0);
    CHECK_INT(t.name_match, 1);
    CHECK_STR(t.subject_cn, "*.kibana.example.test");
    CHECK(has_san(&t, "*.kibana.example.test"));
    CHECK_INT(load(&t, "wildcard.pem", "kibana.example.test", T2026), 0);
    CHECK_INT(t.name_match, 1);
    /* a wildcard covers one label only */
    CHECK_INT(load(&t, "wildcard.pem", "a.b.kibana.example.test", T2026), 0);
    CHECK_INT(t.name_match, 0);
    CHECK_INT(load(&t, "valid.pem", "evil.example.org", T2026), 0);
    CHECK_INT(t.name_match, 0);
    CHECK_INT(load(&t, "notyet.pem", NULL, T2026), 0);
    CHECK(t.not_yet_valid);
    CHECK(!t.expired);
    tls_facts_free(&t);
}

static void test_odd(void)
{
    struct tls_facts t = {0};
    CHECK_INT(load(&t, "odd.pem", "x.example.test", T2026), 0);
    CHECK(t.present);
    CHECK_STR(t.subject_cn, ""); /* no CN at all */
    CHECK_INT(t.nsan, 0);        /* the only SAN is an e-mail */
    CHECK_INT(t.name_match, 0);
    /* UTF-8 kept, the tab escaped, no control byte reaches the record */
    CHECK(strstr(t.subject, "\xc3\x9c"
                            "n") != NULL);
    CHECK(strchr(t.subject, '\t') == NULL);
    for (const char *p = t.subject; *p; p++)
        CHECK((unsigned char)*p >= 0x20);

    /* Garbage never crashes and never claims a certificate. */
    static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    CHECK(cert_facts_from_pem(&t, junk, sizeof junk - 1, NULL, T2026) < 0);
    CHECK(!t.present);
    CHECK(cert_facts_from_pem(&t, "\x30\x82\x01", 3, NULL, T2026) < 0);
    CHECK(cert_facts_from_pem(&t, NULL, 0, NULL, T2026) < 0);
    CHECK(cert_facts(&t, NULL, NULL, "x", T2026) < 0);
    CHECK(!t.present);

    /* Every truncation of a real DER certificate is handled. */
    size_t n = 0;
    char *p = slurp("ec256.pem", &n);
    BIO *b = p ? BIO_new_mem_buf(p, (int)n) : NULL;
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL;
    int dlen = x ? i2d_X509(x, &der) : -1;
    int ok = 0;
    for (int i = 1; i < dlen; i++)
        if (cert_facts_from_pem(&t, (const char *)der, (size_t)i, NULL, T2026) < 0) ok++;
    CHECK_INT(ok, dlen > 0 ? dlen - 1 : -1);
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(b);
    free(p);
    tls_facts_free(&t);
}

int main(void)
{
    test_valid();
    test_chain();
    test_expired();
    test_self_signed();
    test_keys();
    test_names();
    test_odd();
    return T_END();
}
