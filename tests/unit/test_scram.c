/*
 * tests/unit/test_scram.c -- the SCRAM-SHA-256 client (probe/scram.c).
 *
 * RFC 7677 section 3's example (user "user", password "pencil", client
 * nonce rOprNGfwEbeRWgbNEkqO), which RethinkDB's driver documentation
 * reuses, must give the RFC's proof and accept the RFC's server
 * signature. The empty-password login the RethinkDB probe sends over that
 * same server-first message is checked against values computed with
 * Python's hashlib/hmac (an independent implementation). Then hostile
 * server messages: a nonce that does not extend ours, an iteration count
 * over the cap, a mandatory extension, broken base64, missing fields,
 * oversized messages, and a server-final with a wrong or truncated
 * signature.
 */
#include "probe/scram.h"
#include "unit/t.h"

#define NONCE "rOprNGfwEbeRWgbNEkqO"
#define SFIRST                                                                                     \
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"

static int final_for(struct scram *s, const char *user, const char *pw, const char *sfirst,
                     char *out, size_t n, const char **why)
{
    char first[SCRAM_MSG_MAX];
    if (scram_client_first(s, user, NONCE, first, sizeof first) < 0) return -2;
    return scram_client_final(s, pw, sfirst, strlen(sfirst), out, n, why);
}

static void test_rfc7677(void)
{
    struct scram s;
    char first[SCRAM_MSG_MAX], fin[SCRAM_MSG_MAX];
    const char *why = NULL;
    CHECK_INT(scram_client_first(&s, "user", NONCE, first, sizeof first), 0);
    CHECK_STR(first, "n,,n=user,r=" NONCE);
    CHECK_INT(scram_client_final(&s, "pencil", SFIRST, strlen(SFIRST), fin, sizeof fin, &why), 0);
    CHECK_STR(fin, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                   "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    const char *v = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    CHECK(scram_server_ok(&s, v, strlen(v)));
}

static void test_empty_password(void)
{
    struct scram s;
    char fin[SCRAM_MSG_MAX];
    const char *why = NULL;
    CHECK_INT(final_for(&s, "admin", "", SFIRST, fin, sizeof fin, &why), 0);
    CHECK_STR(fin, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                   "p=OkbuESfuxuY+w/WtxXhV9p1wrKTxO8vSpKRZORUwJxY=");
    const char *good = "v=PH9dpmfOMvaWZuonGClIn310jaApnm03JsjECx/r/dw=";
    const char *pencil = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    CHECK(scram_server_ok(&s, good, strlen(good)));
    CHECK(!scram_server_ok(&s, pencil, strlen(pencil))); /* a "success" from a look-alike */
    CHECK(!scram_server_ok(&s, good, 20));               /* truncated */
    CHECK(!scram_server_ok(&s, "v=", 2));
    CHECK(!scram_server_ok(&s, "", 0));
    CHECK(!scram_server_ok(&s, "e=other-error", 13));
}

static void test_random_nonce(void)
{
    struct scram a, b;
    char fa[SCRAM_MSG_MAX], fb[SCRAM_MSG_MAX];
    CHECK_INT(scram_client_first(&a, "admin", NULL, fa, sizeof fa), 0);
    CHECK_INT(scram_client_first(&b, "admin", NULL, fb, sizeof fb), 0);
    CHECK_INT(strlen(a.nonce), SCRAM_NONCE_LEN);
    CHECK(strcmp(a.nonce, b.nonce) != 0);
    /* a server-final before any server-first never verifies */
    CHECK(!scram_server_ok(&a, "v=PH9dpmfOMvaWZuonGClIn310jaApnm03JsjECx/r/dw=", 46));
}

static void test_hostile(void)
{
    struct scram s;
    char fin[SCRAM_MSG_MAX];
    const char *why = NULL;
    static const char *const bad[] = {
        "r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",    /* foreign nonce */
        "r=" NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",      /* not extended */
        "r=" NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999", /* too many rounds */
        "r=" NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
        "r=" NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1",
        "r=" NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096x",
        "m=ext,r=" NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", /* mandatory extension */
        "r=" NONCE "x,s=!!!!,i=4096",                           /* not base64 */
        "r=" NONCE "x,s=W22,i=4096",                            /* bad length */
        "r=" NONCE "x,s=,i=4096",
        "r=" NONCE "x,i=4096",                     /* no salt */
        "r=" NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==", /* no count */
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",       /* no nonce */
        "",
        ",,,,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(final_for(&s, "admin", "", bad[i], fin, sizeof fin, &why) == -1, "case %zu", i);
    /* a salt longer than the cap */
    char big[SCRAM_MSG_MAX];
    size_t k = (size_t)snprintf(big, sizeof big, "r=" NONCE "x,s=");
    while (k < 300)
        big[k++] = 'A';
    snprintf(big + k, sizeof big - k, ",i=4096");
    CHECK_INT(final_for(&s, "admin", "", big, fin, sizeof fin, &why), -1);
    /* a message over SCRAM_MSG_MAX */
    char huge[SCRAM_MSG_MAX + 64];
    memset(huge, 'A', sizeof huge - 1);
    memcpy(huge, "r=" NONCE "x,", 23);
    huge[sizeof huge - 1] = 0;
    CHECK_INT(final_for(&s, "admin", "", huge, fin, sizeof fin, &why), -1);
    /* an output buffer too small */
    CHECK_INT(final_for(&s, "admin", "", SFIRST, fin, 40, &why), -1);
    /* user names and nonces that would need escaping are refused */
    char first[SCRAM_MSG_MAX];
    CHECK_INT(scram_client_first(&s, "a,b", NONCE, first, sizeof first), -1);
    CHECK_INT(scram_client_first(&s, "admin", "a\"b", first, sizeof first), -1);
    CHECK_INT(scram_client_first(&s, "admin", "a,b", first, sizeof first), -1);
    CHECK_INT(scram_client_first(&s, "admin", NONCE, first, 10), -1);
}

int main(void)
{
    test_rfc7677();
    test_empty_password();
    test_random_nonce();
    test_hostile();
    return T_END();
}
