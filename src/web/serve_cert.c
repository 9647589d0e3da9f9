/*
 * web/serve_cert.c -- the dashboard's own certificate: load the one given
 * (--cert/--key) or the one generated on an earlier start, or generate a
 * self-signed one (ECDSA P-256, one year, names localhost, 127.0.0.1, ::1
 * and the listening address) and keep it beside the store, the key
 * readable by its owner only. Then check it: the key must match, an
 * expired certificate (or one not yet valid) is refused unless the caller
 * allows it, and the expiry is reported so the dashboard can warn 30 days
 * ahead.
 */
#include "web/serve_cert.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEM_MAX (64u << 10)

/* Read a whole (small) file. */
static char *slurp(const char *path, struct err *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        err_set(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *p = xmalloc(PEM_MAX + 1);
    size_t n = p ? fread(p, 1, PEM_MAX + 1, fp) : 0;
    fclose(fp);
    if (!p) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (n > PEM_MAX) {
        free(p);
        err_set(e, "%s: larger than %u bytes, not a PEM certificate or key", path, PEM_MAX);
        return NULL;
    }
    p[n] = 0;
    return p;
}

/* Write data to path atomically (a temporary file, then rename) with the given mode. */
static int write_file(const char *path, const char *data, size_t n, mode_t mode, struct err *e)
{
    char tmp[4200];
    if (str_fmt(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
        err_set(e, "%s: path too long", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        err_set(e, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            err_set(e, "%s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
        err_set(e, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static char *bio_string(BIO *b)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    if (n <= 0) return NULL;
    return xstrndup(p, (size_t)n);
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex) return -1;
    int ok = X509_add_ext(x, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

int web_cert_generate(const char *host, int days, char **cert_pem, char **key_pem, struct err *e)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    int rc = -1;
    *cert_pem = *key_pem = NULL;
    if (!key || !x || !cb || !kb) {
        err_set(e, "cannot generate a key");
        goto out;
    }
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        err_set(e, "no randomness for the certificate's serial");
        goto out;
    }
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    if (!sn || !X509_set_serialNumber(x, sn)) {
        ASN1_INTEGER_free(sn);
        err_set(e, "cannot set the certificate's serial");
        goto out;
    }
    ASN1_INTEGER_free(sn);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -300);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400L);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"ajar", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ajar serve", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    char san[512];
    str_fmt(san, sizeof san, "DNS:localhost,IP:127.0.0.1,IP:::1");
    if (host && *host && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0 &&
        strcmp(host, "localhost") != 0 && strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0) {
        unsigned char a[16];
        bool ip = inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
        bool dns = strlen(host) < 250 &&
                   strspn(host, "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == strlen(host);
        size_t l = strlen(san);
        if (ip || dns) str_fmt(san + l, sizeof san - l, ",%s:%s", ip ? "IP" : "DNS", host);
    }
    if (add_ext(x, NID_subject_alt_name, san) < 0 ||
        add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
        add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
        add_ext(x, NID_ext_key_usage, "serverAuth") < 0) {
        err_set(e, "cannot add the certificate's extensions");
        goto out;
    }
    if (!X509_sign(x, key, EVP_sha256())) {
        err_set(e, "cannot sign the certificate");
        goto out;
    }
    if (!PEM_write_bio_X509(cb, x) ||
        !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL)) {
        err_set(e, "cannot write the certificate");
        goto out;
    }
    *cert_pem = bio_string(cb);
    *key_pem = bio_string(kb);
    if (!*cert_pem || !*key_pem) {
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
        err_set(e, "out of memory");
        goto out;
    }
    rc = 0;
out:
    EVP_PKEY_free(key);
    X509_free(x);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

/* Fill the facts of cert_pem and check that key_pem is its key. */
static int inspect(struct web_cert *c, struct err *e)
{
    BIO *cb = BIO_new_mem_buf(c->cert_pem, -1), *kb = BIO_new_mem_buf(c->key_pem, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    int rc = -1;
    if (!x) {
        err_set(e, "%s: not a PEM certificate", c->cert_path);
        goto out;
    }
    if (!k) {
        err_set(e, "%s: not a PEM private key (an encrypted key is not supported)", c->key_path);
        goto out;
    }
    if (X509_check_private_key(x, k) != 1) {
        err_set(e, "%s is not the key of %s", c->key_path, c->cert_path);
        goto out;
    }
    struct tm tm;
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) {
        err_set(e, "%s: unreadable expiry", c->cert_path);
        goto out;
    }
    c->not_after = timegm(&tm);
    if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) != 1) {
        err_set(e, "%s: unreadable start of validity", c->cert_path);
        goto out;
    }
    c->not_before = timegm(&tm);
    unsigned char md[32];
    unsigned int mdn = 0;
    if (X509_digest(x, EVP_sha256(), md, &mdn) != 1 || mdn != 32) {
        err_set(e, "%s: cannot hash", c->cert_path);
        goto out;
    }
    for (unsigned i = 0; i < 32; i++)
        snprintf(c->sha256 + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

int web_cert_load(struct web_cert *c, const struct web_cert_opts *o, struct err *e)
{
    memset(c, 0, sizeof *c);
    if ((o->cert_path == NULL) != (o->key_path == NULL)) {
        err_set(e, "--cert and --key go together");
        return -1;
    }
    if (o->cert_path) {
        str_copy(c->cert_path, o->cert_path, sizeof c->cert_path);
        str_copy(c->key_path, o->key_path, sizeof c->key_path);
    } else {
        if (str_fmt(c->cert_path, sizeof c->cert_path, "%s/ajar-serve.crt", o->state_dir) < 0 ||
            str_fmt(c->key_path, sizeof c->key_path, "%s/ajar-serve.key", o->state_dir) < 0) {
            err_set(e, "%s: path too long", o->state_dir);
            return -1;
        }
        bool have_c = access(c->cert_path, F_OK) == 0, have_k = access(c->key_path, F_OK) == 0;
        if (have_c != have_k) {
            err_set(e, "%s exists without %s: remove it to generate a new pair",
                    have_c ? c->cert_path : c->key_path, have_c ? c->key_path : c->cert_path);
            return -1;
        }
        if (!have_c) {
            char *cp, *kp;
            if (web_cert_generate(o->host, WEB_CERT_DAYS, &cp, &kp, e) < 0) return -1;
            /* the key first, owner-only, so a certificate never exists without its key */
            int rc = write_file(c->key_path, kp, strlen(kp), 0600, e);
            if (rc == 0) rc = write_file(c->cert_path, cp, strlen(cp), 0644, e);
            free(cp);
            free(kp);
            if (rc < 0) return -1;
            c->generated = true;
        }
    }
    struct stat st;
    if (stat(c->key_path, &st) == 0 && (st.st_mode & 0077) && !o->cert_path) {
        err_set(e, "%s is readable by others (mode %03o): chmod 600 it", c->key_path,
                (unsigned)(st.st_mode & 0777));
        return -1;
    }
    c->cert_pem = slurp(c->cert_path, e);
    if (!c->cert_pem) return -1;
    c->key_pem = slurp(c->key_path, e);
    if (!c->key_pem || inspect(c, e) < 0) {
        web_cert_free(c);
        return -1;
    }
    time_t now = o->now ? o->now : now_wall();
    char when[32];
    time_fmt_utc(c->not_after, when, sizeof when);
    if (c->not_after <= now && !o->allow_expired) {
        err_set(e,
                "%s expired on %s: give a valid --cert/--key%s, or --allow-expired-cert to start "
                "anyway",
                c->cert_path, when,
                o->cert_path ? "" : " (or delete it and its key to generate a new one)");
        web_cert_free(c);
        return -1;
    }
    if (c->not_before > now + 300 && !o->allow_expired) {
        time_fmt_utc(c->not_before, when, sizeof when);
        err_set(e, "%s is not valid before %s (check the clock), or --allow-expired-cert",
                c->cert_path, when);
        web_cert_free(c);
        return -1;
    }
    return 0;
}

int web_cert_days_left(const struct web_cert *c, time_t now)
{
    double d = difftime(c->not_after, now) / 86400.0;
    if (d < -100000) return -100000;
    if (d > 100000) return 100000;
    return d < 0 ? (int)d - 1 : (int)d;
}

void web_cert_free(struct web_cert *c)
{
    if (c->key_pem) OPENSSL_cleanse(c->key_pem, strlen(c->key_pem));
    free(c->cert_pem);
    free(c->key_pem);
    c->cert_pem = c->key_pem = NULL;
}
