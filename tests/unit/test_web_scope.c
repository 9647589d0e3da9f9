/*
 * tests/unit/test_web_scope.c -- roles and a viewer's scope (web/scope.c):
 * the terms a CLI gives, the stored text parsed back (whole, byte by byte,
 * split at every offset), hostile texts refused, and the match rule.
 */
#include "t.h"
#include "web/scope.h"

#include <stdlib.h>

static void roles(void)
{
    CHECK_INT(web_role_parse("admin"), ROLE_ADMIN);
    CHECK_INT(web_role_parse("analyst"), ROLE_ANALYST);
    CHECK_INT(web_role_parse("viewer"), ROLE_VIEWER);
    CHECK_INT(web_role_parse("Admin"), -1);
    CHECK_INT(web_role_parse(""), -1);
    CHECK_INT(web_role_parse(NULL), -1);
    CHECK_STR(web_role_name(ROLE_VIEWER), "viewer");
    /* the order the routes rely on: a higher value is less trusted */
    CHECK(ROLE_ADMIN < ROLE_ANALYST && ROLE_ANALYST < ROLE_VIEWER);
}

static void terms(void)
{
    struct web_scope s;
    struct err e;
    memset(&s, 0, sizeof s);
    CHECK_INT(web_scope_add(&s, "owner", "Shanghai PSB", &e), 0);
    CHECK_INT(web_scope_add(&s, "asn", "AS37963", &e), 0);
    CHECK_INT(web_scope_add(&s, "provider", "alibaba", &e), 0);
    CHECK_INT(s.n, 3);
    CHECK_STR(s.text, "owner=Shanghai PSB\nasn=37963\nprovider=alibaba\n");
    CHECK_STR(s.t[1].value, "37963");
    char d[256];
    web_scope_describe(&s, d, sizeof d);
    CHECK_STR(d, "owner Shanghai PSB, AS37963, provider alibaba");
    web_scope_describe(&s, d, 10);
    CHECK_INT((int)strlen(d), 9);

    /* refused */
    struct web_scope x;
    memset(&x, 0, sizeof x);
    CHECK_INT(web_scope_add(&x, "tenant", "a", &e), -1);
    CHECK(strstr(e.msg, "owner, provider or asn") != NULL);
    CHECK_INT(web_scope_add(&x, "asn", "0", &e), -1);
    CHECK_INT(web_scope_add(&x, "asn", "AS", &e), -1);
    CHECK_INT(web_scope_add(&x, "asn", "4294967296", &e), -1);
    CHECK_INT(web_scope_add(&x, "asn", "12x", &e), -1);
    CHECK_INT(web_scope_add(&x, "owner", "", &e), -1);
    CHECK_INT(web_scope_add(&x, "owner", " lead", &e), -1);
    CHECK_INT(web_scope_add(&x, "owner", "two\nlines", &e), -1);
    CHECK_INT(web_scope_add(&x, "owner", "bell\a", &e), -1);
    char big[SCOPE_VALUE_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK_INT(web_scope_add(&x, "owner", big, &e), -1);
    big[SCOPE_VALUE_MAX] = 0;
    CHECK_INT(web_scope_add(&x, "owner", big, &e), 0);
    CHECK_INT(x.n, 1);
    for (int i = 1; i < SCOPE_MAX_TERMS; i++)
        CHECK_INT(web_scope_add(&x, "owner", big, &e), 0);
    CHECK_INT(web_scope_add(&x, "asn", "1", &e), -1); /* one term too many */
    CHECK(strstr(e.msg, "at most") != NULL);
    /* the longest scope's text fits and reads back the same */
    struct web_scope y;
    CHECK_INT(web_scope_parse(x.text, strlen(x.text), &y, &e), 0);
    CHECK_INT(y.n, SCOPE_MAX_TERMS);
    CHECK_STR(y.text, x.text);
}

static void parse(void)
{
    static const char text[] = "owner=Shanghai PSB\nasn=37963\nprovider=alibaba\n";
    struct web_scope s;
    struct err e;
    CHECK_INT(web_scope_parse(text, strlen(text), &s, &e), 0);
    CHECK_INT(s.n, 3);
    CHECK_STR(s.text, text);
    CHECK_INT(web_scope_parse("", 0, &s, &e), 0);
    CHECK_INT(s.n, 0);
    /* without the last newline, and empty lines: the same scope */
    CHECK_INT(web_scope_parse("\nowner=a\n\nasn=1", 15, &s, &e), 0);
    CHECK_STR(s.text, "owner=a\nasn=1\n");
    /* hostile texts */
    static const char *const bad[] = {"owner",    "=x\n",       "role=admin\n",
                                      "asn=-1\n", "owner= x\n", "owner=\n"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        CHECK_MSG(web_scope_parse(bad[i], strlen(bad[i]), &s, &e) == -1, "bad %zu", i);
    char nul[] = "owner=a\0b\n";
    CHECK_INT(web_scope_parse(nul, sizeof nul - 1, &s, &e), -1);
    char *huge = malloc(SCOPE_TEXT_MAX + 1);
    memset(huge, 'a', SCOPE_TEXT_MAX);
    huge[SCOPE_TEXT_MAX] = 0;
    CHECK_INT(web_scope_parse(huge, SCOPE_TEXT_MAX, &s, &e), -1);
    free(huge);

    /* byte by byte: every prefix is refused or parses to its whole lines, plus at most its cut
     * last line as a term of its own, never more */
    size_t n = strlen(text);
    for (size_t k = 0; k <= n; k++) {
        int r = web_scope_parse(text, k, &s, &e);
        CHECK_MSG(r == 0 || r == -1, "prefix %zu", k);
        size_t whole = 0, lines = 0;
        for (size_t i = 0; i < k; i++)
            if (text[i] == '\n') whole = i + 1, lines++;
        if (r == 0) {
            CHECK_MSG((size_t)s.n == lines || (size_t)s.n == lines + 1, "prefix %zu: %d", k, s.n);
            CHECK_MSG(strncmp(s.text, text, whole) == 0, "prefix %zu", k);
        } else {
            CHECK_MSG(k > whole, "prefix %zu: whole lines refused", k); /* only a cut line */
        }
    }
    /* split at every offset: two pieces joined again read as the whole */
    for (size_t k = 0; k <= n; k++) {
        char joined[sizeof text];
        memcpy(joined, text, k);
        memcpy(joined + k, text + k, n - k);
        CHECK_INT(web_scope_parse(joined, n, &s, &e), 0);
        CHECK_MSG(strcmp(s.text, text) == 0, "split %zu", k);
    }
}

static void match(void)
{
    struct web_scope s;
    struct err e;
    memset(&s, 0, sizeof s);
    web_scope_add(&s, "owner", "Shanghai PSB", &e);
    web_scope_add(&s, "asn", "37963", &e);
    CHECK(web_scope_match(&s, "Shanghai PSB", "", 0));
    CHECK(web_scope_match(&s, "shanghai psb", "", 0)); /* names ignore case */
    CHECK(web_scope_match(&s, "", "", 37963));
    CHECK(web_scope_match(&s, "Other", "aws", 37963)); /* any term */
    CHECK(!web_scope_match(&s, "Shanghai PSB2", "", 0));
    CHECK(!web_scope_match(&s, "Shanghai", "", 0));
    CHECK(!web_scope_match(&s, "", "", 0));
    CHECK(!web_scope_match(&s, "", "", 3796));
    CHECK(!web_scope_match(&s, NULL, NULL, 0));
    struct web_scope p;
    memset(&p, 0, sizeof p);
    web_scope_add(&p, "provider", "alibaba", &e);
    CHECK(web_scope_match(&p, "", "Alibaba", 0));
    CHECK(!web_scope_match(&p, "alibaba", "", 0)); /* an owner named so is not the provider */
    /* the empty scope matches nothing: it never means "everything" */
    struct web_scope z;
    memset(&z, 0, sizeof z);
    CHECK(!web_scope_match(&z, "Shanghai PSB", "alibaba", 37963));
}

int main(void)
{
    roles();
    terms();
    parse();
    match();
    return T_END();
}
