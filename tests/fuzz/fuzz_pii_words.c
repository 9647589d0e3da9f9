/*
 * tests/fuzz/fuzz_pii_words.c -- the personal-data dictionary's table parser
 * (src/assess/pii_words.c) on any bytes, as if they were data/pii-terms.tsv. The table is
 * compiled in, but its parser is held to a parser's promises: every row either kept or
 * counted as bad, the caps held, every kept word one the matcher can see (1 to 63 bytes, no
 * control byte, no upper-case ASCII), the lists laid out back to back.
 */
#include "assess/pii_words.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static struct pii_words t;
    char *text = malloc(n + 1);
    if (!text) return 0;
    memcpy(text, data, n);
    text[n] = '\0';
    size_t kept = pii_words_parse(text, &t);
    size_t total = 0;
    for (int l = 0; l < PL_NLISTS; l++) {
        if (t.first[l] != total) __builtin_trap();
        total += t.n[l];
        const struct pii_word *w = pii_list(&t, (enum pii_list)l);
        for (size_t i = 0; i < t.n[l]; i++) {
            size_t len = strlen(w[i].w);
            if (!len || len >= PII_WORD_MAX) __builtin_trap();
            if (w[i].w < t.pool || w[i].w + len >= t.pool + sizeof t.pool) __builtin_trap();
            for (size_t k = 0; k < len; k++) {
                unsigned char c = (unsigned char)w[i].w[k];
                if (c < 0x20 || c == 0x7f || (c >= 'A' && c <= 'Z')) __builtin_trap();
            }
            if (w[i].cats >> 13 || w[i].flags >> 4) __builtin_trap();
        }
    }
    if (kept != total || total > PII_MAX_ROWS) __builtin_trap();
    free(text);
    return 0;
}
