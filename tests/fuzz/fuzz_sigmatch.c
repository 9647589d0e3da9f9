/*
 * tests/fuzz/fuzz_sigmatch.c -- the signature matcher (src/probe/signature.c) on hostile
 * answers: every shipped signature's identify rules, and every extract rule as if the answer
 * came from each of its requests -- regexes under their limits, JSON pointers with wildcards,
 * counts and sums, names with their counts, details, captures. The record is then written as
 * JSON (it must stay valid). Input: byte 0 options as in fuzz_http_resp (bits 1-3 the body
 * cap), then one HTTP response. Seeds: the fixture responses (tests/fuzz/seed.sh).
 */
#include "core/finding.h"
#include "probe/sig_int.h"
#include "probe/signature.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static bool loaded;
    if (!loaded) {
        struct err e;
        loaded = true;
        if (signature_load_dir("signatures", NULL, &e) < 0) {
            fprintf(stderr, "%s\n", e.msg);
            __builtin_trap();
        }
    }
    if (n < 1) return 0;
    unsigned capk = (data[0] >> 1) & 7;
    static struct http_resp r;
    memset(&r, 0, sizeof r);
    http_resp_init(&r, capk ? (size_t)1 << (4 * capk) : 0, false);
    size_t used = 0;
    int rc = http_resp_feed(&r, data + 1, n - 1, &used);
    if (rc == HTTP_MORE) rc = http_resp_eof(&r);
    if (rc == HTTP_DONE) {
        for (size_t i = 0; i < signature_count(); i++) {
            struct finding f;
            finding_init(&f);
            str_copy(f.ip, "127.0.0.1", sizeof f.ip);
            f.port = (uint16_t)(data[0] & 1 ? 9090 : 8080);
            struct finding *extra[PROBE_MAX_EXTRA];
            int nx = sig_apply_all(signature_at(i), &r, &f, extra);
            for (int k = 0; k < nx; k++) { /* the stores behind a console: written, freed */
                json_decref(finding_to_json(extra[k], false));
                finding_free(extra[k]);
                free(extra[k]);
            }
            json_t *j = finding_to_json(&f, false);
            char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
            if (j && !s) __builtin_trap();
            free(s);
            json_decref(j);
            finding_free(&f);
        }
    }
    http_resp_free(&r);
    return 0;
}
