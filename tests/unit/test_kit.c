/*
 * tests/unit/test_kit.c -- the presentation kit (src/kit/): the one HTML
 * and URL escaper (every special byte, control bytes, cuts at a code point,
 * the stream form equal to the buffer form) and the rule of which finding
 * counts a data store several reach.
 */
#include "t.h"
#include "kit/kit.h"
#include "core/finding.h"

#include <stdlib.h>

static const char *html(const char *s, size_t max)
{
    static char out[512];
    struct buf b;
    buf_init(&b, 400);
    kit_html_n(&b, s, max);
    buf_append(&b, "", 1);
    str_copy(out, (const char *)b.data, sizeof out);
    buf_free(&b);
    return out;
}

static void escape(void)
{
    CHECK_STR(html("a&b<c>d\"e'f", SIZE_MAX), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
    CHECK_STR(html("\x01tab\there\x7f", SIZE_MAX), "?tab?here?");
    CHECK_STR(html(NULL, SIZE_MAX), "");
    CHECK_STR(html("abcdef", 3), "abc\xe2\x80\xa6");
    /* a cut never splits a character: "é" is two bytes */
    CHECK_STR(html("ab\xc3\xa9z", 3), "ab\xc3\xa9\xe2\x80\xa6");
    CHECK_STR(html("<script>", 4), "&lt;scr\xe2\x80\xa6");
    /* the stream form writes the same bytes */
    FILE *fp = tmpfile();
    CHECK(fp != NULL);
    if (fp) {
        kit_html_fp(fp, "x<\"&'>\x02\xc3\xa9", SIZE_MAX);
        rewind(fp);
        char got[64] = "";
        size_t n = fread(got, 1, sizeof got - 1, fp);
        got[n] = 0;
        CHECK_STR(got, html("x<\"&'>\x02\xc3\xa9", SIZE_MAX));
        fclose(fp);
    }
    /* ... for cuts and long strings too (it writes through no buffer of its own now) */
    static const struct {
        const char *s;
        size_t max;
    } cases[] = {{"abcdef", 3}, {"ab\xc3\xa9z", 3}, {"<script>", 4}, {"", 0}, {"&&&&", 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f2 = tmpfile();
        if (!f2) continue;
        kit_html_fp(f2, cases[i].s, cases[i].max);
        rewind(f2);
        char got[64] = "";
        size_t n = fread(got, 1, sizeof got - 1, f2);
        got[n] = 0;
        CHECK_STR(got, html(cases[i].s, cases[i].max));
        fclose(f2);
    }
    char *big = malloc(3001);
    if (big) {
        for (int i = 0; i < 3000; i++)
            big[i] = "<a&\""[i % 4];
        big[3000] = 0;
        FILE *f3 = tmpfile();
        if (f3) {
            kit_html_fp(f3, big, SIZE_MAX);
            long sz = ftell(f3);
            CHECK_MSG(sz == 750L * (4 + 1 + 5 + 6), "%ld", sz); /* &lt; a &amp; &quot; */
            fclose(f3);
        }
        free(big);
    }
    struct buf b;
    buf_init(&b, 256);
    kit_url(&b, "a b&c=d/\xc3\xa9~-._");
    buf_append(&b, "", 1);
    CHECK_STR((const char *)b.data, "a%20b%26c%3Dd%2F%C3%A9~-._");
    buf_free(&b);
    CHECK_STR(KIT_AMP, "&amp;");
}

static void shared(void)
{
    /* three findings reach store s/1, two reach s/2, one reaches none */
    struct kit_store_row r[] = {
        {"s/1", false, false, 100, 10, 1}, /* locked */
        {"s/1", true, true, 50, 5, 2},     /* exposed, through a console */
        {"s/1", true, false, 50, 5, 3},    /* exposed, direct: counted (ties broken by via) */
        {"s/2", true, false, 10, 0, 4},
        {"s/2", true, false, 20, 0, 5}, /* more records: counted */
        {"", true, false, 999, 0, 6},   /* unknown store: always counted */
    };
    bool sh[6] = {false};
    uint32_t also[6] = {0};
    size_t marked = 9;
    CHECK_INT(kit_mark_shared(r, 6, sh, also, &marked), 0);
    CHECK_INT(marked, 3);
    CHECK(sh[0] && sh[1] && !sh[2]);
    CHECK(sh[3] && !sh[4] && !sh[5]);
    CHECK_INT(also[2], 2);
    CHECK_INT(also[4], 1);
    /* a lone store marks nothing */
    bool one[1] = {false};
    CHECK_INT(kit_mark_shared(r, 1, one, NULL, &marked), 0);
    CHECK_INT(marked, 0);
    CHECK(!one[0]);
    /* the order decides the last tie */
    struct kit_store_row t[] = {{"x", true, false, 1, 1, 9}, {"x", true, false, 1, 1, 2}};
    bool st[2] = {false};
    CHECK_INT(kit_mark_shared(t, 2, st, NULL, &marked), 0);
    CHECK(st[0] && !st[1]);
}

/* one meaning of "exposed" for the report and the dashboard: readable without credentials,
 * all of it or some */
static void exposed(void)
{
    CHECK(kit_auth_exposed(AUTH_NONE));
    CHECK(kit_auth_exposed(AUTH_PARTIAL));
    CHECK(!kit_auth_exposed(AUTH_REQUIRED));
    CHECK(!kit_auth_exposed(AUTH_UNKNOWN));
    CHECK(!kit_auth_exposed(-1) && !kit_auth_exposed(99));
}

/* Slack's three entities, nothing else; '`' only inside code */
static void slack(void)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    CHECK_INT(kit_slack(&b, "a & <b> `c` <!channel> &amp;", false), 0);
    CHECK_STR((const char *)b.data, "a &amp; &lt;b&gt; `c` &lt;!channel&gt; &amp;amp;");
    buf_reset(&b);
    CHECK_INT(kit_slack(&b, "`x`&\"'", true), 0);
    CHECK_STR((const char *)b.data, "'x'&amp;\"'");
    buf_reset(&b);
    CHECK_INT(kit_slack(&b, "", true), 0);
    CHECK_INT(b.len, 0);
    CHECK_INT(kit_slack(&b, NULL, false), 0);
    CHECK_INT(b.len, 0);
    buf_free(&b);
}

int main(void)
{
    escape();
    shared();
    exposed();
    slack();
    return T_END();
}
