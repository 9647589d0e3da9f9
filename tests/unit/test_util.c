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

int main(void)
{
    test_mem_find_fixed();
    test_mem_find_model();
    return T_END();
}
