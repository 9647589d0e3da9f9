/*
 * tests/unit/t.h -- the smallest test harness that does the job.
 *
 * CHECK(cond) records a pass or a failure (with file:line and the
 * expression); T_END() prints "N passed, N failed" as the last line, which
 * tests/run-tests.sh sums, and returns the exit status for main.
 */
#ifndef AJAR_TEST_T_H
#define AJAR_TEST_T_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            t_pass++;                                                                              \
        } else {                                                                                   \
            t_fail++;                                                                              \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (cond) {                                                                                \
            t_pass++;                                                                              \
        } else {                                                                                   \
            t_fail++;                                                                              \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        CHECK_MSG(_a == _b, "%lld != %lld", _a, _b);                                               \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        CHECK_MSG(_a &&_b &&strcmp(_a, _b) == 0, "\"%s\" != \"%s\"", _a ? _a : "(null)",           \
                  _b ? _b : "(null)");                                                             \
    } while (0)

#define T_END() (printf("%d passed, %d failed\n", t_pass, t_fail), fflush(stdout), t_fail ? 1 : 0)

#include "core/util.h"
/* A file's bytes (at most 16 MiB, NUL-terminated; the caller frees), or NULL. */
static inline uint8_t *t_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct buf b;
    buf_init(&b, 16u << 20);
    char tmp[4096];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(&b, tmp, k);
    fclose(f);
    if (!b.data) buf_append(&b, "", 0);
    *n = b.len;
    return b.data;
}

/* The shipped signature files (the tree's signatures/, tests run from the top), so the
 * catalogue is the one `ajar scan` sees. */
#include "probe/signature.h"
static inline void t_load_signatures(void)
{
    struct err e;
    if (signature_load_dir("signatures", NULL, &e) < 0) {
        printf("FAIL loading the signatures: %s\n", e.msg);
        t_fail++;
    }
}

#endif
