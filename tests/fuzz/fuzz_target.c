/*
 * tests/fuzz/fuzz_target.c -- target and port parsing (src/target/target.h)
 * on arbitrary text: what a user types or an -iL file holds is not network
 * data, but target lists are often generated from scraped sources, and the
 * parser must refuse garbage with a message instead of crashing or
 * allocating per address. Name resolution is off (no_resolve): names fail
 * without any DNS query, so the harness never touches the network.
 *
 * Input: lines. Line 1 is the -p spec (empty: the default list), a line
 * starting with '!' is an --exclude item, every other line a target spec
 * (each may hold several items separated by commas). The set built is then
 * queried and walked (a bounded number of steps, shards 1..3, a seek).
 */
#include "target/target.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define MAX_LINES 32

static void walk(const struct target_set *t, uint64_t seed, uint32_t nshards)
{
    struct target_iter it;
    struct err e;
    if (target_iter_init(&it, t, seed, 0, nshards, &e) < 0) return;
    struct target tg;
    char a[64];
    for (int i = 0; i < 64 && target_iter_next(&it, &tg) == 1; i++) {
        target_addr_str(&tg, a, sizeof a);
        if (!target_set_contains(t, tg.family, tg.addr, tg.port)) __builtin_trap();
    }
    uint64_t pos = target_iter_pos(&it), steps = target_iter_steps(&it);
    if (pos > steps) __builtin_trap();
    if (target_iter_seek(&it, steps / 2) == 0) (void)target_iter_next(&it, &tg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *text = malloc(n + 1);
    if (!text) return 0;
    memcpy(text, data, n);
    text[n] = 0;
    char *lines[MAX_LINES];
    size_t nl = 0;
    for (char *s = text; nl < MAX_LINES;) {
        lines[nl++] = s;
        char *nlc = strchr(s, '\n');
        if (!nlc) break;
        *nlc = 0;
        s = nlc + 1;
    }
    const char *specs[MAX_LINES], *excl[MAX_LINES];
    size_t ns = 0, nx = 0;
    for (size_t i = 1; i < nl; i++) {
        if (lines[i][0] == '!')
            excl[nx++] = lines[i] + 1;
        else
            specs[ns++] = lines[i];
    }

    struct err e;
    uint16_t *ports = NULL;
    size_t np = 0;
    if (lines[0][0] && ports_parse(lines[0], &ports, &np, &e) == 0) {
        for (size_t i = 1; i < np; i++)
            if (ports[i - 1] >= ports[i]) __builtin_trap(); /* promised sorted and unique */
        (void)port_service_name(ports[0]);
    }
    free(ports);
    uint16_t sp;
    (void)port_service_lookup(lines[0], &sp);

    struct target_opts o;
    memset(&o, 0, sizeof o);
    o.ports = lines[0][0] ? lines[0] : NULL;
    o.exclude = excl;
    o.n_exclude = nx;
    o.no_resolve = true;
    struct target_set *t = NULL;
    if (target_set_new(&t, specs, ns, &o, &e) == 0) {
        uint64_t size = target_set_size(t);
        (void)target_set_naddr(t);
        (void)target_set_nsegments(t);
        if (target_set_nports(t) > 0 && !target_set_ports(t)) __builtin_trap();
        struct target tg;
        if (size > 0) {
            if (target_set_get(t, 0, &tg) < 0 || target_set_get(t, size - 1, &tg) < 0)
                __builtin_trap();
            (void)target_set_get(t, size / 2, &tg);
        }
        if (target_set_get(t, size, &tg) == 0) __builtin_trap();
        walk(t, n, 1);
        walk(t, 7, 3);
        target_set_free(t);
    }
    free(text);
    return 0;
}
