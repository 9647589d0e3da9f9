/*
 * probe/scram.c -- see scram.h. The arithmetic of RFC 5802 section 3 with
 * SHA-256 (RFC 7677), on OpenSSL:
 *   SaltedPassword  = PBKDF2-HMAC-SHA-256(password, salt, i)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key"),  StoredKey = SHA-256(ClientKey)
 *   AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
 *   ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage)
 * Every field of the server's messages is length-checked before use; the
 * salt is capped (SCRAM_SALT_MAX) and the iteration count too
 * (SCRAM_MAX_ITER), so a hostile server can neither overflow a buffer nor
 * make us spin in PBKDF2.
 */
#include "probe/scram.h"
#include "core/util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#define SCRAM_SALT_MAX 128

/* str_fmt that fits: vsnprintf's count below the size */
#define FITS(k, n) ((k) >= 0 && (size_t)(k) < (n))

/* base64 of n bytes into out (4*ceil(n/3)+1 bytes). */
static size_t b64(const uint8_t *p, size_t n, char *out)
{
    return (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

/* Decode base64 text (p, n) into out (cap bytes). Returns the length or -1. */
static int unb64(const char *p, size_t n, uint8_t *out, size_t cap)
{
    if (n == 0 || n % 4 || n / 4 * 3 > cap + 2) return -1;
    uint8_t tmp[SCRAM_SALT_MAX + 3];
    if (n / 4 * 3 > sizeof tmp) return -1;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || (c == '=' && i >= n - 2);
        if (!ok) return -1;
    }
    int k = EVP_DecodeBlock(tmp, (const unsigned char *)p, (int)n);
    if (k < 0) return -1;
    if (p[n - 1] == '=') k--;
    if (p[n - 2] == '=') k--;
    if (k < 0 || (size_t)k > cap) return -1;
    memcpy(out, tmp, (size_t)k);
    return k;
}

int scram_client_first(struct scram *s, const char *user, const char *nonce, char *out, size_t n)
{
    memset(s, 0, sizeof *s);
    /* user names with ',' or '=' need escaping; ours never do */
    if (!user || strpbrk(user, ",=") || strlen(user) > 64) return -1;
    if (nonce) {
        size_t l = strlen(nonce);
        if (l == 0 || l > SCRAM_NONCE_LEN) return -1;
        for (size_t i = 0; i < l; i++) /* printable, and nothing JSON or SCRAM would escape */
            if (nonce[i] < 0x21 || nonce[i] > 0x7e || strchr(",\"\\", nonce[i])) return -1;
        memcpy(s->nonce, nonce, l + 1);
    } else {
        uint8_t r[18];
        if (RAND_bytes(r, sizeof r) != 1) return -1;
        b64(r, sizeof r, s->nonce);
    }
    int k = str_fmt(s->client_first_bare, sizeof s->client_first_bare, "n=%s,r=%s", user, s->nonce);
    if (!FITS(k, sizeof s->client_first_bare)) return -1;
    k = str_fmt(out, n, "n,,%s", s->client_first_bare);
    return FITS(k, n) ? 0 : -1;
}

/* The value of attribute a ("r", "s", "i") in a comma-separated message, or NULL. */
static const char *attr(const char *p, size_t n, char a, size_t *len)
{
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != ',')
            e++;
        if (e - i >= 2 && p[i] == a && p[i + 1] == '=') {
            *len = e - i - 2;
            return p + i + 2;
        }
        i = e + 1;
    }
    return NULL;
}

static bool hmac256(const uint8_t *key, size_t kl, const void *msg, size_t ml, uint8_t out[32])
{
    unsigned int ol = 0;
    return HMAC(EVP_sha256(), key, (int)kl, msg, ml, out, &ol) && ol == 32;
}

int scram_client_final(struct scram *s, const char *password, const char *p, size_t n, char *out,
                       size_t outn, const char **why)
{
    *why = "malformed server-first message";
    if (n == 0 || n >= SCRAM_MSG_MAX || memchr(p, 0, n)) return -1;
    size_t rl, sl, il;
    const char *r = attr(p, n, 'r', &rl), *salt64 = attr(p, n, 's', &sl),
               *iter = attr(p, n, 'i', &il);
    size_t ml;
    if (!r || !salt64 || !iter) return -1;
    if (attr(p, n, 'm', &ml)) return -1; /* mandatory extensions: none understood */
    size_t ourl = strlen(s->nonce);
    if (rl <= ourl || memcmp(r, s->nonce, ourl) != 0) {
        *why = "the server's nonce does not extend ours";
        return -1;
    }
    for (size_t k = 0; k < rl; k++)
        if (r[k] < 0x21 || r[k] > 0x7e) return -1;
    uint64_t iterations;
    if (parse_u64n(iter, il, UINT64_MAX, &iterations) < 0 || iterations == 0) return -1;
    if (iterations > SCRAM_MAX_ITER) {
        *why = "the server asks for more PBKDF2 iterations than ajar computes";
        return -1;
    }
    uint8_t salt[SCRAM_SALT_MAX];
    int saltl = unb64(salt64, sl, salt, sizeof salt);
    if (saltl <= 0) return -1;

    *why = "message too long";
    char without_proof[SCRAM_MSG_MAX + 16];
    int k = str_fmt(without_proof, sizeof without_proof, "c=biws,r=%.*s", (int)rl, r);
    if (!FITS(k, sizeof without_proof)) return -1;
    char auth[3 * SCRAM_MSG_MAX + 32];
    k = str_fmt(auth, sizeof auth, "%s,%.*s,%s", s->client_first_bare, (int)n, p, without_proof);
    if (!FITS(k, sizeof auth)) return -1;

    *why = "crypto failure";
    uint8_t salted[32], ckey[32], skey[32], stored[32], csig[32], proof[32];
    size_t pl = strlen(password);
    if (PKCS5_PBKDF2_HMAC(password, (int)pl, salt, saltl, (int)iterations, EVP_sha256(),
                          sizeof salted, salted) != 1)
        return -1;
    if (!hmac256(salted, 32, "Client Key", 10, ckey) ||
        !hmac256(salted, 32, "Server Key", 10, skey))
        return -1;
    SHA256(ckey, sizeof ckey, stored);
    if (!hmac256(stored, 32, auth, strlen(auth), csig) ||
        !hmac256(skey, 32, auth, strlen(auth), s->server_signature))
        return -1;
    for (int b = 0; b < 32; b++)
        proof[b] = ckey[b] ^ csig[b];
    char proof64[48];
    b64(proof, sizeof proof, proof64);
    OPENSSL_cleanse(salted, sizeof salted);
    *why = "message too long";
    k = str_fmt(out, outn, "%s,p=%s", without_proof, proof64);
    if (!FITS(k, outn)) return -1;
    s->have_signature = true;
    return 0;
}

bool scram_server_ok(const struct scram *s, const char *p, size_t n)
{
    size_t vl;
    const char *v = s->have_signature ? attr(p, n, 'v', &vl) : NULL;
    uint8_t sig[48];
    if (!v || unb64(v, vl, sig, sizeof sig) != 32) return false;
    return CRYPTO_memcmp(sig, s->server_signature, 32) == 0;
}
