/*
 * tests/unit/test_util.c -- the string helpers of core/util.c that every
 * parser of network data leans on. mem_find is checked against a plain
 * model on random haystacks (a small alphabet in both cases, NUL bytes,
 * needles at the very start and end) in both modes.
 */
#include "core/util.h"
#include "unit/t.h"

#include <ctype.h>
#include <stdlib.h>

static const char *model_find(const char *h, size_t n, const char *needle, bool icase)
{
    size_t m = strlen(needle);
    if (m > n) return NULL;
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m &&
               (icase ? tolower((unsigned char)h[i + k]) == tolower((unsigned char)needle[k])
                      : h[i + k] == needle[k]))
            k++;
        if (k == m) return h + i;
    }
    return NULL;
}

static void test_mem_find_fixed(void)
{
    const char *t = "<html><TITLE>x</Title></html>";
    CHECK(mem_find(t, strlen(t), "<title", true) == t + 6);
    CHECK(mem_find(t, strlen(t), "<title", false) == NULL);
    CHECK(mem_find(t, strlen(t), "</title", true) == t + 14);
    CHECK(mem_find(t, strlen(t), "", true) == t);
    CHECK(mem_find(t, 3, "<html>", true) == NULL);    /* needle longer than the haystack */
    CHECK(mem_find(t, 6, "<html>", true) == t);       /* exactly the haystack */
    CHECK(mem_find(t, 5, "<html>", true) == NULL);    /* one byte short */
    CHECK(mem_find("ab\0cd", 5, "CD", true) != NULL); /* past a NUL byte */
    CHECK(mem_find("1234", 4, "34", true) != NULL);   /* no case at all */
    CHECK(str_is_lower_hex("7cd686652cd0", 12) && !str_is_lower_hex("7CD6", 4));
    CHECK(!str_is_lower_hex("abcg", 4) && !str_is_lower_hex("", 0) && str_is_lower_hex("ab\0", 2));
}

static void test_mem_find_model(void)
{
    static const char alpha[] = "aAbB<>1\0";
    char hay[96], needle[8];
    uint32_t x = 2463534242u;
    int bad = 0, found = 0, runs = 0;
    for (int round = 0; round < 200000; round++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        size_t n = x % sizeof hay;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            hay[i] = alpha[x % 8];
        }
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        size_t m = 1 + x % 4;
        for (size_t i = 0; i < m; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            needle[i] = alpha[x % 7]; /* no NUL inside the needle */
        }
        needle[m] = 0;
        bool icase = round % 2;
        const char *want = model_find(hay, n, needle, icase);
        const char *got = mem_find(hay, n, needle, icase);
        runs++;
        found += want != NULL;
        if (want != got && bad++ < 5)
            printf("mem_find: '%s' in %zu bytes (icase %d): model %td, got %td\n", needle, n, icase,
                   want ? want - hay : -1, got ? got - hay : -1);
    }
    printf("mem_find: %d searches, %d found, %d differ from the model\n", runs, found, bad);
    CHECK_INT(bad, 0);
    CHECK(found > runs / 4 && found < runs);
}

/* The plain model of str_sanitize: one character at a time, UTF-8 judged by the table of
 * well-formed byte sequences (Unicode 15, table 3-7): first byte, then the range of the second;
 * the others are 80..BF. */
static size_t model_len(const uint8_t *s, size_t n)
{
    static const struct {
        uint8_t lo, hi, len, lo2, hi2;
    } t[] = {
        {0x00, 0x7f, 1, 0, 0},       {0xc2, 0xdf, 2, 0x80, 0xbf}, {0xe0, 0xe0, 3, 0xa0, 0xbf},
        {0xe1, 0xec, 3, 0x80, 0xbf}, {0xed, 0xed, 3, 0x80, 0x9f}, {0xee, 0xef, 3, 0x80, 0xbf},
        {0xf0, 0xf0, 4, 0x90, 0xbf}, {0xf1, 0xf3, 4, 0x80, 0xbf}, {0xf4, 0xf4, 4, 0x80, 0x8f},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        if (s[0] < t[k].lo || s[0] > t[k].hi) continue;
        if (t[k].len > n) return 0;
        if (t[k].len > 1 && (s[1] < t[k].lo2 || s[1] > t[k].hi2)) return 0;
        for (size_t i = 2; i < t[k].len; i++)
            if (s[i] < 0x80 || s[i] > 0xbf) return 0;
        return t[k].len;
    }
    return 0;
}

static size_t model_sanitize(char *dst, size_t dn, const uint8_t *s, size_t n, bool escape)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = model_len(s + i, n - i);
        if (l == 1 && (s[i] < 0x20 || s[i] == 0x7f)) l = 0;
        uint32_t cp = l == 2   ? (uint32_t)(s[i] & 0x1f) << 6 | (s[i + 1] & 0x3f)
                      : l == 3 ? (uint32_t)(s[i] & 0x0f) << 12 | (uint32_t)(s[i + 1] & 0x3f) << 6 |
                                     (s[i + 2] & 0x3f)
                               : 0;
        /* C1 controls, bidi overrides and isolates, line/paragraph separators: one mark */
        if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x2028 && cp <= 0x202e) ||
            (cp >= 0x2066 && cp <= 0x2069)) {
            if (!escape) {
                if (o + 1 >= dn) break;
                dst[o++] = '?';
                i += l;
                continue;
            }
            size_t k = 0;
            for (; k < l && o + 4 < dn; k++, o += 4)
                snprintf(dst + o, 5, "\\x%02x", s[i + k]);
            if (k < l) break;
            i += l;
            continue;
        }
        if (l) {
            if (o + l >= dn) break;
            memcpy(dst + o, s + i, l);
            o += l;
            i += l;
        } else {
            size_t w = escape ? 4 : 1;
            if (o + w >= dn) break;
            if (escape)
                snprintf(dst + o, 5, "\\x%02x", s[i]);
            else
                dst[o] = '?';
            o += w;
            i++;
        }
    }
    dst[o] = 0;
    return o;
}

static void test_sanitize_model(void)
{
    static const uint8_t pieces[][4] = {{'a'},
                                        {'Z'},
                                        {' '},
                                        {'~'},
                                        {0x7f},
                                        {0x01},
                                        {'\n'},
                                        {0},
                                        {0xc3, 0xa9},
                                        {0xe5, 0xa7, 0x93},
                                        {0xf0, 0x9f, 0x98, 0x80},
                                        {0xc3},
                                        {0xe5, 0xa7},
                                        {0xed, 0xa0, 0x80},
                                        {0xff},
                                        {0x80},
                                        {0xc2, 0x9b},
                                        {0xe2, 0x80, 0xae},
                                        {0xe2, 0x81, 0xa6},
                                        {0xc2, 0xa0}};
    static const size_t plen[] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 1, 2, 3, 1, 1, 2, 3, 3, 2};
    uint8_t in[64];
    char a[40], b[40];
    uint32_t x = 88172645u;
    int bad = 0, cut = 0;
    for (int round = 0; round < 100000; round++) {
        size_t n = 0;
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        int parts = (int)(x % 20);
        for (int k = 0; k < parts; k++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            size_t pi = x % 20;
            if (n + plen[pi] > sizeof in) break;
            memcpy(in + n, pieces[pi], plen[pi]);
            n += plen[pi];
        }
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        size_t dn = 1 + x % sizeof a;
        bool escape = (x >> 8) & 1;
        memset(a, 'A', sizeof a);
        memset(b, 'B', sizeof b);
        size_t ra = str_sanitize(a, dn, in, n, escape), rb = model_sanitize(b, dn, in, n, escape);
        cut += rb + 1 < n;
        if ((ra != rb || memcmp(a, b, rb + 1) != 0) && bad++ < 5)
            printf("sanitize: %zu bytes into %zu (escape %d): got %zu '%s', model %zu '%s'\n", n,
                   dn, escape, ra, a, rb, b);
    }
    printf("sanitize: 100000 inputs, %d cut short, %d differ from the model\n", cut, bad);
    CHECK_INT(bad, 0);
    CHECK(cut > 1000);
}

/* arr_grow: doubling from `first`, the old array kept on failure, no size_t wrap */
static void test_arr_grow(void)
{
    int *v = NULL;
    size_t n = 0, cap = 0, grew = 0;
    for (int i = 0; i < 1000; i++) {
        size_t before = cap;
        int *nv = arr_grow(v, n, &cap, sizeof *nv, 4);
        CHECK(nv != NULL);
        if (!nv) break;
        grew += cap != before;
        v = nv;
        v[n++] = i;
    }
    CHECK_INT(cap, 1024); /* 4, 8, ..., 1024 */
    CHECK_INT(grew, 9);
    CHECK_INT(v[999], 999);
    CHECK(arr_grow(v, 10, &cap, sizeof *v, 4) == v); /* room: the same array */
    size_t huge = SIZE_MAX / 2 + 1;
    CHECK(arr_grow(v, huge, &huge, sizeof *v, 4) == NULL); /* doubling would wrap */
    CHECK(huge == SIZE_MAX / 2 + 1);
    size_t big = SIZE_MAX / 4;
    CHECK(arr_grow(v, big, &big, sizeof *v, 4) == NULL); /* bytes would wrap */
    CHECK_INT(v[0], 0);                                  /* still ours */
    free(v);
}

int main(void)
{
    test_arr_grow();
    test_mem_find_fixed();
    test_mem_find_model();
    test_sanitize_model();
    return T_END();
}
