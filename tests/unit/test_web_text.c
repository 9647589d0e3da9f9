/*
 * tests/unit/test_web_text.c -- the dashboard's parsers of untrusted text
 * (src/web/record_text.h): the POST form decoder, the JSON string decoder, the
 * findings table's names read from a record's text, the post-login path
 * check. The parsers take whole buffers (the server collects the body
 * first), so "split at every offset" here means every prefix: a body or a
 * record cut anywhere must neither crash nor read past its end (ASan).
 */
#include "t.h"
#include "web/record_text.h"

#include <stdlib.h>
#include <string.h>

static void test_form(void)
{
    struct web_form f;
    const char *body = "csrf=0a1B&user=al%69ce&password=p%40ss+word%21&next=%2Ffindings%3Fq%3D1&x";
    web_form_parse(&f, body, strlen(body));
    CHECK_INT(f.n, 4); /* "x" has no '=' */
    CHECK_STR(web_form_get(&f, "csrf"), "0a1B");
    CHECK_STR(web_form_get(&f, "user"), "alice");
    CHECK_STR(web_form_get(&f, "password"), "p@ss word!");
    CHECK_STR(web_form_get(&f, "next"), "/findings?q=1");
    CHECK(web_form_get(&f, "x") == NULL);
    CHECK(web_form_get(&f, "nope") == NULL);
    web_form_free(&f);
    CHECK_INT(f.n, 0);

    /* malformed escapes stay as they are; the first of a repeated key wins */
    const char *odd = "a=%zz&b=%4&c=%&d=%41%4&a=second&=empty&e=";
    web_form_parse(&f, odd, strlen(odd));
    CHECK_STR(web_form_get(&f, "a"), "%zz");
    CHECK_STR(web_form_get(&f, "b"), "%4");
    CHECK_STR(web_form_get(&f, "c"), "%");
    CHECK_STR(web_form_get(&f, "d"), "A%4");
    CHECK_STR(web_form_get(&f, ""), "empty");
    CHECK_STR(web_form_get(&f, "e"), "");
    web_form_free(&f);

    /* %00 decodes to a NUL: the value ends there, nothing past the buffer */
    web_form_parse(&f, "k=a%00b", 7);
    CHECK_STR(web_form_get(&f, "k"), "a");
    web_form_free(&f);

    /* at most WEB_FORM_MAX pairs */
    char many[2000] = "";
    for (int i = 0; i < 100; i++) {
        char one[16];
        snprintf(one, sizeof one, "%sk%d=v", i ? "&" : "", i);
        strcat(many, one);
    }
    web_form_parse(&f, many, strlen(many));
    CHECK_INT(f.n, WEB_FORM_MAX);
    CHECK_STR(web_form_get(&f, "k31"), "v");
    CHECK(web_form_get(&f, "k32") == NULL);
    web_form_free(&f);

    /* every prefix, in an exactly sized buffer */
    size_t n = strlen(body);
    for (size_t cut = 0; cut <= n; cut++) {
        char *b = malloc(cut ? cut : 1);
        memcpy(b, body, cut);
        web_form_parse(&f, b, cut);
        CHECK(f.n <= 5);
        if (cut == n) CHECK_STR(web_form_get(&f, "user"), "alice");
        web_form_free(&f);
        free(b);
    }
    web_form_parse(&f, NULL, 0);
    CHECK_INT(f.n, 0);
}

static void test_json_str(void)
{
    char out[64];
    size_t len = 0;
    const char *s = "\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\u12\" tail";
    const char *end = s + strlen(s);
    const char *r = record_json_str(s, end, out, sizeof out, &len);
    CHECK(r != NULL && strcmp(r, " tail") == 0);
    CHECK_STR(out, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd");
    /* "\u12" is not 4 hex digits: U+FFFD, and the quote after it ends the string */
    (void)len;
    /* unterminated: NULL, at every cut */
    for (size_t cut = 0; cut < strlen(s) - 6; cut++) {
        char *b = malloc(cut + 1);
        memcpy(b, s, cut);
        b[cut] = 0;
        if (cut) CHECK(record_json_str(b, b + cut, out, sizeof out, NULL) == NULL);
        free(b);
    }
    /* the output is cut at its cap, still terminated */
    char small[4];
    r = record_json_str("\"abcdefgh\"", "\"abcdefgh\"" + 10, small, sizeof small, &len);
    CHECK(r != NULL);
    CHECK_STR(small, "abc");
}

static void test_record_display(void)
{
    const char *rec = "{\"ip\":\"127.0.0.1\",\"port\":9200,\"tls\":null,\"data\":{\"records\":5,"
                      "\"names\":[\"q\\\"uote\",\"back\\\\slash\",\"n3\",\"n4\",\"n5\"],"
                      "\"names_total\":7,\"fields\":[],\"fields_total\":0},"
                      "\"via\":{\"service\":\"kibana\",\"ip\":\"127.0.0.2\",\"port\":5601},"
                      "\"details\":{\"names\":[\"not these\"]},\"signals\":[]}";
    struct buf out;
    bool via = false;
    buf_init(&out, 1 << 16);
    wv_record_display(rec, strlen(rec), 4, &out, &via);
    buf_append(&out, "", 1);
    CHECK_STR((const char *)out.data, "q\"uote, back\\slash, n3, n4 (+3)");
    CHECK(via);
    wv_record_display(rec, strlen(rec), 10, &out, &via);
    buf_append(&out, "", 1);
    CHECK_STR((const char *)out.data, "q\"uote, back\\slash, n3, n4, n5 (+2)");
    const char *plain = "{\"data\":{\"names\":[\"a\"],\"names_total\":1},\"via\":null}";
    wv_record_display(plain, strlen(plain), 4, &out, &via);
    buf_append(&out, "", 1);
    CHECK_STR((const char *)out.data, "a");
    CHECK(!via);
    wv_record_display("{\"data\":null}", 13, 4, &out, &via);
    CHECK_INT(out.len, 0);
    /* every prefix (a record cut anywhere), exactly sized: no read past the end */
    size_t n = strlen(rec);
    for (size_t cut = 0; cut <= n; cut++) {
        char *b = malloc(cut ? cut : 1);
        memcpy(b, rec, cut);
        wv_record_display(b, cut, 4, &out, &via);
        CHECK(out.len <= 64);
        free(b);
    }
    buf_free(&out);
}

static void test_next(void)
{
    CHECK(web_next_ok("/"));
    CHECK(web_next_ok("/findings?severity=high&q=10.1."));
    CHECK(!web_next_ok(NULL));
    CHECK(!web_next_ok(""));
    CHECK(!web_next_ok("findings"));
    CHECK(!web_next_ok("//evil.example/"));
    CHECK(!web_next_ok("/\\evil.example/"));
    CHECK(!web_next_ok("/a\\b"));
    CHECK(!web_next_ok("https://evil.example/"));
    CHECK(!web_next_ok("/a b"));
    CHECK(!web_next_ok("/a\tb"));
    CHECK(!web_next_ok("/a\r\nSet-Cookie: x=1"));
    CHECK(!web_next_ok("/login"));
    CHECK(!web_next_ok("/logout"));
    char longp[600];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    CHECK(!web_next_ok(longp));
}

int main(void)
{
    test_form();
    test_json_str();
    test_record_display();
    test_next();
    return T_END();
}
