/*
 * bench/gen_common.h -- what the generators (store_gen.c, serve_gen.c)
 * share: their command line. Each is built as one file against the
 * release library (bench/store.sh, bench/serve.sh), so this header holds
 * static functions only.
 */
#ifndef AJAR_BENCH_GEN_COMMON_H
#define AJAR_BENCH_GEN_COMMON_H

#include "core/util.h"

#include <stdint.h>
#include <string.h>

/* One option that takes a value: a string (str) or a number up to max (num). */
struct gen_opt {
    const char *name;
    const char **str;
    uint64_t *num;
    uint64_t max;
};

/* Every argument is one of opts (ended by a zeroed entry) with its value: 0, else -1. */
static int gen_args(int argc, char **argv, const struct gen_opt *opts)
{
    for (int i = 1; i < argc; i++) {
        const struct gen_opt *o = opts;
        while (o->name && strcmp(argv[i], o->name))
            o++;
        if (!o->name || i + 1 >= argc) return -1;
        const char *v = argv[++i];
        if (o->str)
            *o->str = v;
        else if (parse_u64(v, o->max, o->num) < 0)
            return -1;
    }
    return 0;
}

#endif
