/*
 * tests/fuzz/fuzz_conf.c -- the configuration file reader (src/core/conf.h) on any bytes, as
 * /etc/ajar/ajar.conf, ~/.config/ajar/ajar.conf or --config FILE is read. A file is either
 * taken (then every entry keeps the reader's promises: a key of [a-z][a-z0-9._-]*, at most 64
 * characters; a value without control bytes or blanks around it; line numbers rising from 1;
 * at most CONF_ENTRIES_MAX entries) or refused with one line "F:LINE: ...". The same bytes fed
 * in two chunks, cut where the input's last byte says, must give the same result.
 */
#include "core/conf.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static void check_entries(const struct conf *c)
{
    if (c->n > CONF_ENTRIES_MAX) __builtin_trap();
    unsigned last = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *k = c->v[i].key, *v = c->v[i].value;
        size_t kl = strlen(k), vl = strlen(v);
        if (!kl || kl > CONF_KEY_MAX || !(k[0] >= 'a' && k[0] <= 'z')) __builtin_trap();
        if (strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789._-") != kl) __builtin_trap();
        if (vl > CONF_LINE_MAX) __builtin_trap();
        for (size_t j = 0; j < vl; j++)
            if (((unsigned char)v[j] < 0x20 && v[j] != '\t') || v[j] == 0x7f) __builtin_trap();
        if (vl && (v[0] == ' ' || v[0] == '\t' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            __builtin_trap();
        if (c->v[i].line <= last) __builtin_trap();
        last = c->v[i].line;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct conf a, b;
    struct err ea = {{0}}, eb = {{0}};
    int ra = conf_parse(&a, "F", data, n, &ea);
    if (ra < 0) {
        if (strncmp(ea.msg, "F:", 2) != 0 || strchr(ea.msg, '\n') || a.n) __builtin_trap();
    } else {
        check_entries(&a);
    }
    /* two chunks */
    size_t cut = n ? data[n - 1] % (n + 1) : 0;
    conf_init(&b, "F");
    int rb = conf_feed(&b, data, cut, &eb);
    if (rb == 0) rb = conf_feed(&b, data + cut, n - cut, &eb);
    if (rb == 0) rb = conf_finish(&b, &eb);
    if (ra != rb) __builtin_trap();
    if (ra < 0 && strcmp(ea.msg, eb.msg) != 0) __builtin_trap();
    if (ra == 0) {
        if (a.n != b.n) __builtin_trap();
        for (size_t i = 0; i < a.n; i++)
            if (strcmp(a.v[i].key, b.v[i].key) || strcmp(a.v[i].value, b.v[i].value) ||
                a.v[i].line != b.v[i].line)
                __builtin_trap();
    }
    conf_free(&a);
    conf_free(&b);
    return 0;
}
